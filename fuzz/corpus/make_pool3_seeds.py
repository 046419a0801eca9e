#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/fuzz_pool3.c (fuzz/corpus/pool3/) and
fuzz/fuzz_secure_pool.c (fuzz/corpus/secure_pool/).

Run by hand after changing either target's input format:

    python3 fuzz/corpus/make_pool3_seeds.py

Both targets read every byte as a parameter (fuzz_helpers.h producer), so
seeds are deterministic pseudo-random byte strings of several lengths and
biases: small values reach the valid paths (known types, existing nodes,
live pools, in-bounds offsets), uniform bytes the garbage paths. A few
seeds repeat one operation selector to stress one area (allocation,
misuse, validation, update, writes).

The found_<sha1> files next to these seeds are inputs libFuzzer found that
reach edges the generated seeds miss, kept with
`fuzz_<target> -use_counters=0 -set_cover_merge=1 <seed dir> <fuzzed dir>`;
this script does not write or delete them.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(bytes(data))


def biased(r, n, hi):
    """n bytes, each uniform in [0, hi]."""
    return [r.randrange(hi + 1) for _ in range(n)]


def main():
    pool3 = os.path.join(HERE, "pool3")
    secure = os.path.join(HERE, "secure_pool")
    for i, (n, hi) in enumerate([(300, 255), (1200, 255), (2000, 255), (800, 31),
                                 (1500, 7), (2000, 63), (600, 3), (2000, 127)]):
        r = random.Random(4000 + i)
        write(pool3, "%02d_random_%d_max%d" % (i + 1, n, hi), biased(r, n, hi))
        r = random.Random(5000 + i)
        write(secure, "%02d_random_%d_max%d" % (i + 1, n, hi), biased(r, n, hi))

    # pool3: mostly allocations (selector < 150), then mostly misuse (>= 210).
    r = random.Random(4100)
    data = [0, 0]
    for _ in range(60):
        data += [r.randrange(150)] + biased(r, 24, 40)
    write(pool3, "20_allocations", data)
    r = random.Random(4101)
    data = [1, 1]
    for _ in range(40):
        data += [r.randrange(150)] + biased(r, 20, 30)
        data += [210 + r.randrange(46)] + biased(r, 30, 255)
    write(pool3, "21_alloc_then_misuse", data)

    # secure_pool: create a few pools, then one kind of operation each.
    for j, (lo, hi, name) in enumerate([(35, 109, "allocs"), (110, 139, "validate"),
                                        (140, 169, "update"), (170, 209, "free"),
                                        (225, 239, "writes")]):
        r = random.Random(5100 + j)
        data = [0, 0]
        for _ in range(3):
            data += [0] + biased(r, 10, 20)
        for _ in range(50):
            data += [35 + r.randrange(75)] + biased(r, 16, 40)  # allocate
            data += [lo + r.randrange(hi - lo + 1)] + biased(r, 16, 60)
        data += [250]  # check
        write(secure, "%02d_%s" % (20 + j, name), data)


if __name__ == "__main__":
    main()
