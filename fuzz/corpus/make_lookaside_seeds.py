#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_lookaside.c (fuzz/corpus/lookaside/).

Run by hand after changing the target's input format:

    python3 fuzz/corpus/make_lookaside_seeds.py

The target reads every byte as a parameter (fuzz_helpers.h producer:
little-endian, as few bytes as the range needs). The scripted seeds below
spell out operations with the same encoding as the target, so each reaches
a known scenario (growth, idle shrinking, the round-robin over non-paged
and paged lists, verifier mode, every predicted bug check); a few
pseudo-random seeds cover the rest.

The found_* files next to these seeds are inputs libFuzzer found that reach
edges the generated seeds miss, kept with
`fuzz_lookaside -use_counters=0 -merge=1 <seed dir> <fuzzed dir>`; this
script does not write or delete them.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "lookaside")

# Operation selectors (byte % 12 in the target).
INIT, ALLOC, FREE, FLUSH, DELETE, CLOCK, SET_DEPTH, TO_POOL, MISUSE = (
    0, 1, 4, 6, 7, 8, 9, 10, 11)
NPAGED, PAGED, EX = 0, 1, 2
SIZES = [8, 16, 24, 40, 64, 100, 256, 1000]
EX_TYPES = [0, 1, 4, 5, 512, 516, 33]


def config(verifier=1, minimum=4, maximum=256, threshold=25, idle=10,
           lowmiss=1, base=5, cap=30, period=3):
    m = maximum - 6
    return [verifier, minimum, m & 0xFF, m >> 8, threshold, idle, lowmiss,
            base, cap, period - 1]


def init(slot, kind, size, ex_type=512):
    return [INIT, slot, kind, SIZES.index(size), EX_TYPES.index(ex_type)]


def alloc(slot, n=1):
    return [ALLOC, slot] * n


def free(held, slot):
    return [FREE, held, slot]


def clock(ms):
    return [CLOCK, ms & 0xFF, ms >> 8]


def batch(slot, n):
    """n allocations, then the n entries freed back (newest held first)."""
    ops = alloc(slot, n)
    for i in range(n):
        ops += free(n - 1 - i, slot)
    return ops


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes(data))


def main():
    write("01_basic_ex", config() + init(0, EX, 40) + batch(0, 6) +
          clock(3000) + batch(0, 6) + [FLUSH, 0, DELETE, 0])
    grow = config() + init(0, NPAGED, 64)
    for _ in range(6):
        grow += batch(0, 40) + clock(3000)
    write("02_growth", grow)
    idle = config() + init(0, EX, 24, 0)
    for _ in range(3):
        idle += batch(0, 40) + clock(3000)
    idle += clock(7000) * 4
    write("03_idle_shrink", idle)
    rr = config(period=3) + init(0, NPAGED, 16) + init(1, PAGED, 100) + \
        init(2, EX, 40, 33)
    for _ in range(4):
        rr += batch(0, 30) + batch(1, 30) + batch(2, 30) + clock(1000)
    write("04_round_robin", rr)
    write("05_verifier_depth_zero", config(minimum=0) + init(0, EX, 64) +
          batch(0, 10) + clock(3000) + batch(0, 10))
    misuse = config() + init(0, EX, 40) + init(1, EX, 64)
    misuse += init(0, EX, 40)              # re-init: 0xCA
    misuse += alloc(3) + [FLUSH, 3, DELETE, 3]  # inactive: 0xCB
    misuse += alloc(0) + free(0, 1)        # other size: 0xCE
    misuse += free(0, 0)                   # cached now
    misuse += [MISUSE, 1, 0, 0]            # double free to the list
    misuse += [MISUSE, 1, 0, 1]            # double free to pool
    misuse += [MISUSE, 0, 0, 5, 0, 0x42]   # write into it: 0xC6
    misuse += alloc(1) + [TO_POOL, 0, 1]   # free to pool directly
    misuse += [SET_DEPTH, 1, 2, 0] + batch(1, 5)
    write("06_misuse", misuse)
    write("07_retail_codes", config(verifier=0) + init(0, NPAGED, 256) +
          alloc(0) + free(0, 0) + [MISUSE, 1, 0, 0, MISUSE, 0, 0, 200, 0, 1, 7])
    custom = config(minimum=2, maximum=40, threshold=3, idle=1, lowmiss=2,
                    base=7, cap=12, period=1) + init(0, EX, 1000, 5) + \
        init(1, PAGED, 8)
    for _ in range(5):
        custom += batch(0, 12) + batch(1, 4) + clock(1500)
    write("08_custom_constants", custom)
    r = random.Random(0x1A5)
    for i, n in enumerate([16, 64, 256, 1024, 4096]):
        write("%02d_random_%d" % (10 + i, n), [r.randrange(256) for _ in range(n)])
        write("%02d_small_%d" % (20 + i, n), [r.randrange(12) for _ in range(n)])


if __name__ == "__main__":
    main()
