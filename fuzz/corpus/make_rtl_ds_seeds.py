#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_rtl_ds (fuzz/corpus/rtl_ds/).

Input layout: 2 bytes bitmap size (0..320), then operations: a selector
byte (bit 7: table operation, else bitmap operation) and its parameters.
Deterministic: the same files every run.
"""
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtl_ds")


def seed(name, size_bits, ops):
    data = bytes([size_bits & 0xFF, (size_bits >> 8) & 0xFF]) + bytes(ops)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    rnd = random.Random(20261203)
    # Empty map, a few table operations.
    seed("empty_map_tables", 0, [0x80, 5, 0x80, 9, 0x81, 5, 0x82, 9])
    # Word-aligned and odd sizes with every bitmap operation.
    for size in (32, 40, 63, 64, 65, 97, 320):
        ops = []
        for sel in range(12):
            ops += [sel, rnd.randrange(256), rnd.randrange(256),
                    rnd.randrange(256), rnd.randrange(256)]
        seed("bitmap_%d" % size, size, ops)
    # Ascending then descending inserts, deletes from the middle.
    ops = []
    for k in range(64):
        ops += [0x80, k]
    for k in range(10, 50, 3):
        ops += [0x81, k]
    for k in range(63, -1, -2):
        ops += [0x82, k]
    seed("tables_ordered", 17, ops)
    # Random mixes.
    for i in range(6):
        ops = [rnd.randrange(256) for _ in range(600)]
        seed("mix_%d" % i, rnd.randrange(321), ops)


if __name__ == "__main__":
    main()
