/**
 * @file kpool/deadlock.h
 * @brief Driver Verifier's Deadlock Detection (KP_VERIFY_DEADLOCK_DETECTION):
 *        the Parameter 1 values of bug check 0xC4 it raises.
 *
 * The switch is a kp_config_t::verifier_flags bit (kpool/system.h), on in
 * KP_VERIFY_DEFAULT. With it, kpool keeps a lock-order graph per system
 * over spin locks (ordinary and in-stack queued), EX_SPIN_LOCKs, fast and
 * guarded mutexes, ERESOURCEs and push locks (src/vf/deadlock.c):
 *
 * | code | when | P2 | P3 | P4 |
 * |---|---|---|---|---|
 * | 0x1001 | taking a lock closes a cycle in the acquisition-order graph (two threads took two locks in opposite orders, or a longer chain); raised before any real deadlock | the lock being acquired | the held lock of the inverted pair | 0 |
 * | 0x1008 | a lock acquired through a family of routines other than the one it was first used with (ordinary vs in-stack queued spin lock routines, fast vs guarded mutex routines) | lock | kind first used (kpool's number) | kind now |
 * | 0x1009 | a lock released through another family than it was acquired with (also: fast mutex Unsafe vs safe forms, shared vs exclusive release; those two always) | lock | kind acquired | kind released |
 * | 0x100B | pool freed that contains a lock the freeing thread holds (ERESOURCE deleted or reinitialised while owned: always) | lock | 0 | 0 |
 *
 * A resource released by a thread that does not own it is 0x1004 / 0x1007
 * with the switch and the retail 0xE3 without. The recursion (0x1000),
 * uninitialised use (0x1002), wrong-thread (0x1004) and not-held (0x1007)
 * checks of the lock routines run in every mode (kpool/irql.h): a test
 * must not hang where Windows would.
 *
 * The report of 0x1001 names the two locks (kind and address), where the
 * current thread acquired the one it holds, this call, and where the other
 * thread took them in the opposite order; with KPOOL_LOCK_CALL_SITES
 * (kp_wdk_sync.h) these are file:line.
 */
#ifndef KPOOL_DEADLOCK_H
#define KPOOL_DEADLOCK_H

#include "common.h"

#define KP_C4_LOCK_HIERARCHY 0x1001u        /**< lock-order cycle */
#define KP_C4_ACQUIRE_API_MISMATCH 0x1008u  /**< acquired through the wrong lock API */
#define KP_C4_RELEASE_API_MISMATCH 0x1009u  /**< released through the wrong lock API */
#define KP_C4_LOCK_DELETED_OWNED 0x100Bu    /**< lock deleted or freed while owned */

#endif /* KPOOL_DEADLOCK_H */
