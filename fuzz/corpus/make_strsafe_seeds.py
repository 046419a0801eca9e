#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_strsafe.c (fuzz/corpus/strsafe/).

Run by hand after changing the target's input format:

    python3 fuzz/corpus/make_strsafe_seeds.py

The target reads an operation selector byte (mod 8: 0-3 copy/cat of the
NUL-terminated family, 4 printf, 5 length, 6 UNICODE_STRING copy/cat/printf,
7 ntintsafe; 6 also RtlUnicodeStringPrintfEx) and then its parameters, every byte through the
fuzz_helpers.h producer. Seeds are deterministic pseudo-random byte
strings: a few uniform ones, one per operation (every selector byte the
same operation), and low-valued ones that reach the valid paths (small
sizes, no invalid flags, non-NULL pointers).
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "strsafe")


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes(data))


def op_script(r, op, steps, param_bytes, hi):
    """steps operations of kind op, each followed by param_bytes bytes in
    [0, hi] (NULL/invalid choices need values below 8 or 0xFF)."""
    data = []
    for _ in range(steps):
        data.append(op + 8 * r.randrange(32))
        data.extend(r.randrange(hi + 1) for _ in range(param_bytes))
    return data


def main():
    r = random.Random(0x5AFE)
    write("00_uniform_400", [r.randrange(256) for _ in range(400)])
    write("01_uniform_1500", [r.randrange(256) for _ in range(1500)])
    names = ["copy", "cat", "copy2", "cat2", "printf", "length", "ustr", "int"]
    for op, name in enumerate(names):
        write("1%d_%s_mixed" % (op, name), op_script(r, op, 24, 48, 255))
        # Bytes >= 8 avoid the NULL choices; below 0xF0 keeps sizes and
        # flags mostly valid.
        write("2%d_%s_valid" % (op, name),
              [b if i % 49 else op for i, b in enumerate(
                  op_script(r, op, 24, 48, 0xEF))])
    write("30_all_ops_low", [r.randrange(40) for _ in range(2000)])


if __name__ == "__main__":
    main()
