#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/fuzz_sync.c (fuzz/corpus/sync/).

Run by hand after changing the target's input format:

    python3 fuzz/corpus/make_sync_seeds.py

Byte 0 is the configuration (bit 0 verifier automatic checks, bits 1-2 the
semaphore limits 1 or 3); then each operation is a selector byte (% 17 in
the target) and its parameters, read with fuzz_helpers.h's producer (one
byte per small range). The scripted seeds reach known scenarios (events and
polls, semaphore limit raise, mutex recursion and not-owned raise, periodic
timers with DPCs across clock advances, blocking waits satisfied by a timer
or timing out, spin locks with the DISPATCH_LEVEL wait bug check, misuse);
a few pseudo-random seeds cover the rest.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sync")

EVENT, SEM, MUTREL, POLL, TSET, TCANCEL, CLOCK, DPC, SPIN, WAITDISP, MISUSE, WORK, BWAIT = (
    0, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15)


def event(i, set_):
    return [EVENT, i, 1 if set_ else 0]


def sem(i, adj):  # adj -1..3 is encoded as adj + 1
    return [SEM, i, adj + 1]


def poll(objs, wait_all=False):
    out = [POLL, len(objs) - 1, 1 if wait_all else 0]
    return out + list(objs)


def tset(j, due, period_sel, dpc):  # dpc -1, 0, 1 -> 0, 1, 2
    return [TSET, j, due, period_sel, dpc + 1]


def clock(ms):
    return [CLOCK, ms]


def bwait(pick, ms):  # pick 0..7: events, semaphores, timers
    return [BWAIT, pick, ms - 1]


SEEDS = {
    "01_events_polls": [1] + event(0, True) + poll([0]) + event(2, True)
    + poll([2]) + poll([2]) + poll([0, 2], True) + event(2, True)
    + poll([0, 2], True) + event(0, False),
    "02_semaphore_limit": [3] + sem(0, 1) + sem(0, 3) + sem(0, -1)
    + poll([4]) + poll([4]) + sem(1, 2) + poll([5, 4]),
    "03_mutex_recursion": [1] + poll([6]) + poll([6]) + [MUTREL, 0, MUTREL, 0,
                                                         MUTREL, 0],
    "04_periodic_timer_dpc": [1] + tset(0, 10, 1, 0) + clock(40) + clock(7)
    + [TCANCEL, 0] + clock(30) + poll([8]),
    "05_sync_timer_wait": [0] + tset(1, 5, 0, 1) + clock(5) + poll([9])
    + poll([9]) + tset(1, 0, 2, -1) + poll([9]),
    "06_blocking_waits": [1] + tset(1, 7, 0, 0) + bwait(7, 20)
    + bwait(0, 3) + event(1, True) + bwait(1, 5) + tset(0, 30, 0, -1)
    + bwait(6, 10),
    "07_dpc_queue": [1] + [DPC, 0, 0, DPC, 0, 0, DPC, 1, 0, DPC, 1, 1, DPC, 0, 2]
    + clock(0),
    "08_spin_dispatch_wait": [1] + [SPIN, 0, SPIN, 1, WAITDISP, 3] + poll([0])
    + clock(3) + [SPIN, 1, SPIN, 0],
    "09_spin_retail": [0] + [SPIN, 0, WAITDISP, 1, SPIN, 0],
    "10_misuse": [1] + [MISUSE, 0, MISUSE, 1, MISUSE, 2],
    "11_misuse_retail": [0] + [MISUSE, 0, MISUSE, 1, MISUSE, 2],
    "12_work_items": [1] + [WORK, WORK, WORK] + tset(0, 1, 3, 1) + clock(50),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes(b & 0xFF for b in data))
    rng = random.Random(20261203)
    for n, length in enumerate([40, 120, 300], start=20):
        with open(os.path.join(OUT, "%02d_random_%d" % (n, length)), "wb") as f:
            f.write(bytes(rng.randrange(256) for _ in range(length)))


if __name__ == "__main__":
    main()
