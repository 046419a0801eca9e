#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_pool_ops.c into fuzz/corpus/pool_ops/.

Run by hand after changing the target's input format:

    python3 fuzz/corpus/make_pool_ops_seeds.py

Each seed is a short script that exercises one area (every operation of the
target appears in at least one seed). The encoding mirrors the target's
readers in fuzz/fuzz_helpers.h: fuzz_u8 is one byte, fuzz_u32 four bytes
little-endian, fuzz_range(lo, hi) as many bytes as hi - lo needs (none when
lo >= hi) holding value - lo.
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool_ops")
PAGE = 4096


def rng(value, lo, hi):
    """fuzz_range(lo, hi) reading back `value`."""
    if lo >= hi:
        return b""
    assert lo <= value <= hi, (value, lo, hi)
    span, n = hi - lo, 0
    while n < 8 and (span >> (8 * n)) != 0:
        n += 1
    return (value - lo).to_bytes(n, "little")


def u8(v):
    return bytes([v & 0xFF])


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


class Script:
    """Builds one input: the configuration, then operations."""

    def __init__(self, verifier=True, nodes=1, cpu=0, paged_pages=32,
                 nonpaged_pages=32, quota_pages=16, low=20, normal=5,
                 uninit=0xCD, free=0xDD, canary=0xFD, qblocks=4,
                 qbytes=4096):
        sel = (0 if verifier else 1) | (2 if nodes == 2 else 0)
        self.npools = 1 + nodes
        self.b = bytearray(u8(sel))
        self.b += rng(paged_pages, 1, 64) + rng(nonpaged_pages, 1, 64)
        self.b += rng(quota_pages, 0, 32) + rng(low, 0, 40) + rng(normal, 0, low)
        self.b += rng(uninit, 1, 255) + u8(free) + u8(canary)
        self.b += u8([0, 1, 2, 4, 8, 16].index(qblocks))
        self.b += u8([0, 256, 4096, 16384, 65536, 1 << 20].index(qbytes))
        self.b += rng(cpu, 0, nodes * 2 - 1)

    # -- parameters ---------------------------------------------------------
    @staticmethod
    def size(n):
        """pick_size: a selector byte, then a range in the selector's class."""
        if n == 0:
            return u8(0)
        if n == "huge":
            return u8(15) + u8(0)  # SIZE_MAX
        for sel, lo, hi in ((1, 1, 64), (7, 65, 1024), (10, 1025, 4063),
                            (13, 4097, 3 * PAGE + 512)):
            if lo <= n <= hi:
                return u8(sel) + rng(n, lo, hi)
        if 4056 <= n <= 4100:
            return u8(12) + rng(n, 4056, 4100)
        raise ValueError(n)

    @staticmethod
    def tag(t):
        """pick_tag: palette index 0..7, ('prot', i), 0, 'big', 'spaces',
        'protonly', or ('raw', value)."""
        if isinstance(t, int) and 0 <= t < 8:
            return u8(t)
        if t == 0 or t == "zero":
            return u8(0xF0)
        if t == "big":
            return u8(0xF1)
        if t == "spaces":
            return u8(0xF2)
        if t == "protonly":
            return u8(0xF3)
        if t[0] == "prot":
            return u8(0xE0 + t[1])
        if t[0] == "raw":
            return u8(0xFF) + u32(t[1])
        raise ValueError(t)

    # -- operations ---------------------------------------------------------
    def alloc2(self, type_sel=0, opt=0, size=64, tag=0):
        """type_sel: 0 NON_PAGED, 2 PAGED, 3 NON_PAGED_EXECUTE, 6 none,
        7 two types. opt: 1 UNINITIALIZED, 2 CACHE_ALIGNED, 4 USE_QUOTA,
        8 RAISE; 0x10 | k<<5 a reserved bit; 0x20 | k<<6 an optional one."""
        self.b += u8(0) + u8(type_sel) + u8(opt) + self.size(size) + self.tag(tag)
        return self

    def legacy(self, api=1, base=0, mods=0, prio=None, size=64, tag=0,
               raw_type=None):
        """api: 0 ExAllocatePool, 1 WithTag, 2 WithTagPriority, 3 quota,
        4 invalid. base: index into {0,1,2,3,4,5,6,32,33,34,35,36,37,38,7,64}.
        mods bits: 1 FAIL_INSTEAD_OF_RAISE, 2 RAISE, 4 COLD, 8 NX, 16 ZERO.
        prio: index into {0,8,9,16,24,25,32,40,41,7,48} (api 2 only)."""
        self.b += u8(3) + u8(api)
        if raw_type is not None:
            self.b += u8(0xF8) + u32(raw_type)
        else:
            self.b += u8(base) + u8(mods)
        if api == 2:
            self.b += u8(3 if prio is None else prio)
        self.b += self.size(size) + self.tag(tag)
        return self

    def free(self, idx=0, how=0):
        """how: 0 stored tag, 1 with PROTECTED_POOL, 2 tag 0 (ExFreePool)."""
        self.b += u8(5) + u8(how) + u8(idx)
        return self

    def query(self, idx, offset, size):
        """Block `idx` of the target's live list, which holds `size` bytes."""
        self.b += u8(8) + u8(idx) + rng(offset, 0, size - 1)
        return self

    def stats(self):
        self.b += u8(9)
        return self

    def verify(self):
        self.b += u8(10)
        return self

    def write(self, idx=0, value=0x5A):
        self.b += u8(11) + u8(idx) + u8(value)
        return self

    def pressure(self, pool=0, avail=None, budget=None, bad=False):
        """pool: model index (0 paged, 1 + node); avail None restores."""
        if bad:
            self.b += u8(12) + u8(7)
            return self
        if avail is None:
            sel = next(v for v in range(0x80, 0x100)
                       if v % self.npools == pool and (v & 7) != 7)
            self.b += u8(12) + u8(sel)
            return self
        assert (pool & 7) != 7
        self.b += u8(12) + u8(pool) + rng(avail, 0, budget)
        return self

    def irql(self, level):
        self.b += u8(13) + rng(level, 0, 2)
        return self

    def misuse(self, kind, sel=0, *extra):
        self.b += u8(14) + rng(kind, 0, 9) + u8(sel)
        for e in extra:
            self.b += e
        return self

    def contents(self):
        self.b += u8(15)
        return self

    def bytes(self):
        return bytes(self.b)


def seeds():
    s = {}

    # Plain use of both pools through ExAllocatePool2, then the statistics.
    x = Script()
    for i, (t, sz) in enumerate([(0, 24), (2, 100), (3, 500), (0, 4000),
                                 (2, 9000), (0, 1)]):
        x.alloc2(type_sel=t, size=sz, tag=i % 4)
    x.stats().query(0, 10, 24).query(4, 8191, 9000).write(1, 0x11).contents()
    x.free(0).free(0, how=1).free(0, how=2).stats().verify()
    s["01_alloc2_basic"] = x

    # Retail mode (no verifier codes): zero size is one byte, ExFreePool.
    x = Script(verifier=False)
    x.alloc2(size=0, tag=1).alloc2(type_sel=2, opt=1, size=0, tag=2)
    x.query(0, 0, 1).free(0, how=2).free(0).stats()
    s["02_retail_zero_size"] = x

    # Invalid ExAllocatePool2 requests: documented NULL (or a raise).
    x = Script()
    x.alloc2(type_sel=6, size=32, tag=0)          # no pool type
    x.alloc2(type_sel=7, size=32, tag=0)          # two pool types
    x.alloc2(opt=0x10, size=32, tag=1)            # SESSION
    x.alloc2(opt=0x10 | (1 << 5), size=32, tag=1)  # RESERVED1
    x.alloc2(opt=0x10 | (6 << 5), size=32, tag=1)  # 0x80000000
    x.alloc2(size=32, tag="zero").alloc2(size=32, tag="protonly")
    x.alloc2(opt=0x08, size=32, tag="zero")       # raise on failure
    x.alloc2(opt=0x20 | (2 << 6), size=32, tag=2)  # unknown optional: ignored
    x.alloc2(size=0, tag=1)                        # zero size: 0xC4/0x00
    x.stats()
    s["03_alloc2_invalid"] = x

    # Every legacy entry point and POOL_TYPE family.
    x = Script()
    x.legacy(api=0, base=0, size=40)               # ExAllocatePool: "None"
    x.legacy(api=1, base=1, mods=16, size=40, tag=1)  # paged, zeroed
    x.legacy(api=1, base=4, size=40, tag=2)        # cache aligned
    x.legacy(api=1, base=5, mods=8, size=3000, tag=3)
    x.legacy(api=1, base=7, size=40, tag=1)        # 32 session non-paged
    x.legacy(api=1, base=8, size=40, tag=1)        # 33 session paged
    x.legacy(api=2, base=0, prio=0, size=64, tag=1)
    x.legacy(api=2, base=0, prio=6, size=64, tag=1)
    x.legacy(api=2, base=0, prio=9, size=64, tag=1)   # invalid priority
    x.legacy(api=3, base=0, mods=1, size=64, tag=2)   # quota, NULL on failure
    x.legacy(api=3, base=1, size=64, tag=2)           # quota, raises
    x.legacy(api=4, base=0, size=64, tag=1)           # invalid API
    x.legacy(api=1, base=3, size=64, tag=1)           # DontUseThisType
    x.legacy(api=1, base=15, size=64, tag=1)          # 64: unknown
    x.legacy(api=1, raw_type=0x12345, size=64, tag=1)
    x.legacy(api=1, base=2, size=64, tag=1)           # must succeed: 0xC2/0x9A
    x.legacy(api=1, base=6, size=64, tag=1)
    x.legacy(api=1, base=0, size=64, tag="zero")      # tag 0: 0xC2/0x9B
    x.stats().free(0).free(1).stats()
    s["04_legacy_types"] = x

    # Small budgets: big blocks fail, then succeed after frees.
    x = Script(paged_pages=3, nonpaged_pages=2, qblocks=0, qbytes=0)
    x.alloc2(size=6000, tag=1).alloc2(size=2000, tag=1).alloc2(size=2000, tag=1)
    x.alloc2(type_sel=2, size=9000, tag=2).alloc2(type_sel=2, size=12000, tag=2)
    x.free(0).alloc2(size=4096, tag=3).stats()
    s["05_budget_exhaustion"] = x

    # Memory pressure and priorities: Low fails first.
    x = Script(nonpaged_pages=16, low=30, normal=10)
    x.pressure(pool=1, avail=16384, budget=16 * PAGE)
    x.legacy(api=2, base=0, prio=0, size=8000, tag=1)   # low: fails
    x.legacy(api=2, base=0, prio=3, size=8000, tag=1)   # normal: fails
    x.legacy(api=2, base=0, prio=6, size=8000, tag=1)   # high: fits
    x.pressure(pool=1).pressure(bad=True)
    x.legacy(api=2, base=0, prio=0, size=8000, tag=1).stats()
    s["06_pressure_priority"] = x

    # Quota exhaustion, with and without raising.
    x = Script(quota_pages=2)
    x.alloc2(opt=0x04, size=5000, tag=1).alloc2(opt=0x04, size=5000, tag=1)
    x.alloc2(opt=0x0C, size=5000, tag=1)
    x.legacy(api=3, base=0, size=5000, tag=2)
    x.legacy(api=3, base=0, mods=1, size=5000, tag=2)
    x.free(0).alloc2(opt=0x04, size=100, tag=1).query(0, 99, 100).stats()
    s["07_quota"] = x

    # IRQL: paged pool at DISPATCH_LEVEL bug checks, non-paged is fine.
    x = Script()
    x.alloc2(type_sel=2, size=64, tag=1).irql(2)
    x.alloc2(type_sel=2, size=64, tag=1).alloc2(size=64, tag=2)
    x.free(0).free(1).irql(1).alloc2(type_sel=2, size=64, tag=1)
    x.irql(0).free(0).free(0).stats()
    s["08_irql"] = x
    x = Script(verifier=False)
    x.alloc2(type_sel=2, size=64, tag=1).irql(2)
    x.alloc2(type_sel=2, size=64, tag=1).free(0).irql(0)
    s["09_irql_retail"] = x

    # Misuse: wrong tag, double free, wild, NULL and interior pointers.
    x = Script(qblocks=8, qbytes=65536)
    x.alloc2(size=100, tag=1).alloc2(size=300, tag=2)
    x.misuse(0, 0, u8(3))                 # wrong tag
    x.free(0).misuse(1, 0)                # double free (in quarantine)
    x.misuse(3, 0).misuse(3, 1)           # NULL, stack address
    x.misuse(4, 0, rng(5, 1, 299))        # interior
    x.misuse(9, 0).stats()
    s["10_misuse_frees"] = x
    x = Script(verifier=False, qblocks=8, qbytes=65536)
    x.alloc2(size=100, tag=1).misuse(0, 0, u8(3)).free(0).misuse(1, 0)
    x.misuse(3, 1).alloc2(size=100, tag=1).misuse(4, 0, rng(9, 1, 99))
    s["11_misuse_retail"] = x

    # Canary overrun (found by free and by verify) and header damage.
    x = Script()
    x.alloc2(size=20, tag=1).alloc2(size=5000, tag=2).alloc2(size=30, tag=1)
    x.misuse(5, 0, rng(3, 0, 11), u8(0x42))      # 20 -> 12 canary bytes
    x.misuse(6, 1, rng(0, 0, 3191), u8(0x42))    # big block: verify
    x.misuse(7, 2, rng(4, 0, 15), u8(0x10))      # header, free
    x.misuse(7, 5, rng(9, 0, 15), u8(0x01))      # header, verify
    x.verify().free(0).free(0).free(0).stats()
    s["12_overrun_header"] = x

    # Write after free: found by verify, and by the quarantine drain.
    x = Script(qblocks=2, qbytes=65536)
    x.alloc2(size=64, tag=1).alloc2(size=64, tag=1).alloc2(size=64, tag=1)
    x.free(0).misuse(8, 0, u8(0), rng(7, 0, 79), u8(0x33)).verify()
    x.free(0).misuse(8, 0, u8(0), rng(2, 0, 79), u8(0x33))
    x.free(0).alloc2(size=64, tag=1).free(0).stats()
    s["13_use_after_free"] = x

    # Quarantine off: addresses are recycled; freeing a stale one.
    x = Script(qblocks=0, qbytes=0)
    x.alloc2(size=48, tag=1).free(0).misuse(2, 0).misuse(9, 0)
    x.alloc2(size=48, tag=2).query(0, 47, 48).free(0).stats()
    s["14_stale_free"] = x

    # Two NUMA nodes, thread on node 1, fallback to node 0 when full.
    x = Script(nodes=2, cpu=3, nonpaged_pages=4)
    x.alloc2(size=9000, tag=1).alloc2(size=9000, tag=1)
    x.pressure(pool=2, avail=0, budget=4 * PAGE).alloc2(size=100, tag=2)
    x.pressure(pool=2).query(0, 4096, 9000).stats()
    x.free(0).free(0).free(0).stats()
    s["15_numa"] = x

    # Sizes at the small/big edge, cache aligned and not.
    x = Script()
    for sz in (4032, 4048, 4063, 4064, 4065, 4080, 4095, 4096, 4097):
        x.alloc2(opt=0, size=sz, tag=1).alloc2(opt=0x02, size=sz, tag=2)
    x.legacy(api=1, base=4, size=4040, tag=3).stats()
    s["16_page_edge_sizes"] = x

    # Absurd sizes fail as exhaustion (SIZE_MAX and friends).
    x = Script()
    x.alloc2(size="huge", tag=1).alloc2(opt=0x04, size="huge", tag=1)
    x.alloc2(opt=0x08, size="huge", tag=1).stats()
    s["17_huge_sizes"] = x

    # Tags: BIG, no letter, raw values, PROTECTED_POOL stripped.
    x = Script()
    x.alloc2(size=16, tag="big").alloc2(size=16, tag="spaces")
    x.alloc2(size=16, tag=("raw", 0x01020304))
    x.alloc2(size=16, tag=("raw", 0x4142434A))
    x.alloc2(size=16, tag=("prot", 2)).legacy(api=1, size=16, tag=("prot", 3))
    x.free(0, how=1).free(0).stats()
    s["18_tags"] = x

    # More blocks than the model tracks: the surplus is freed at once.
    x = Script(nonpaged_pages=64, qblocks=16, qbytes=1 << 20)
    for i in range(70):
        x.alloc2(opt=i & 1, size=16 + 8 * i, tag=i % 8)
    x.stats().contents()
    s["19_many_blocks"] = x

    # Uninitialised fills checked against the configuration.
    x = Script(uninit=0x01, free=0x00, canary=0x00)
    x.alloc2(opt=0x01, size=33, tag=1).legacy(api=1, size=33, tag=1)
    x.legacy(api=1, mods=16, size=33, tag=1).contents().write(0, 0x00)
    x.free(0).free(0).verify()
    s["20_fills"] = x
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    for name, script in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(script.bytes())
    print("wrote %d seeds to %s" % (len(seeds()), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
