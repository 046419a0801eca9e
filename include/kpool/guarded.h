/**
 * @file kpool/guarded.h
 * @brief Critical and guarded regions (the thread's APC-disable counters),
 *        the Unsafe fast mutex forms, and guarded mutexes.
 *
 * Each host thread has Windows' two APC-disable counters, both 0 at start:
 * KernelApcDisable (critical regions: normal kernel and user APCs off) and
 * SpecialApcDisable (guarded regions: all APCs off). Entering a region
 * decrements its counter, leaving increments it (facts §3.3); kpool has no
 * APCs to deliver, so the counters only feed the queries and the checks of
 * the lock routines (ERESOURCE and push locks need normal kernel APCs off,
 * the Unsafe mutex forms need APC_LEVEL or a region).
 *
 * A guarded mutex is a kp_fast_mutex_t (the WDK makes KGUARDED_MUTEX the
 * same type as FAST_MUTEX). KeAcquireGuardedMutex enters a guarded region
 * instead of raising the IRQL (the documented behaviour); as on Windows 8+
 * the checks are those of a fast mutex.
 *
 * @par Bug checks (P1 of 0xC4 unless the code says otherwise)
 * | misuse | code |
 * |---|---|
 * | leave a critical region never entered | verifier: 0xC4/0x3E, P2-P4 0; retail: 0x1 APC_INDEX_MISMATCH, P1 caller, P2 0, P3 CombinedApcDisable, P4 0 (raised at once: kpool has no system-call return) |
 * | leave a guarded region never entered | 0xC4/0x0004000E (the GuardedRegions DDI rule), P2 = rule name text, P3 CombinedApcDisable, P4 0 |
 * | enter/leave a critical region above APC_LEVEL | 0xC4/0x11A / 0x11B, P2 IRQL |
 * | enter/leave a guarded region above APC_LEVEL | 0xC4/0x0004000E as above |
 * | Unsafe acquire / release outside APC_LEVEL and outside a region | 0xC4/0x39 / 0x3A: P2 IRQL, P3 CombinedApcDisable, P4 mutex |
 * | guarded mutex acquired above APC_LEVEL | as a fast mutex: 0xC4/0x33 (retail 0xA) |
 * | guarded mutex released above APC_LEVEL | 0xC4/0x34 |
 * | recursive acquisition | 0xC4/0x1000, P2 mutex |
 * | release by a non-owner / when free | 0xC4/0x1004 / 0x1007 |
 * | Unsafe release of a safely taken mutex, or the reverse | 0xC4/0x1009, P2 mutex |
 * | use before initialisation | 0xC4/0x1002 |
 */
#ifndef KPOOL_GUARDED_H
#define KPOOL_GUARDED_H

#include "common.h"
#include "deadlock.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_C4_CRITICAL_LEAVE_UNBALANCED 0x3Eu   /**< KeLeaveCriticalRegion without enter */
#define KP_C4_UNSAFE_MUTEX_ACQUIRE 0x39u        /**< Unsafe acquire outside APC_LEVEL / region */
#define KP_C4_UNSAFE_MUTEX_RELEASE 0x3Au        /**< Unsafe release outside APC_LEVEL / region */
#define KP_C4_CRITICAL_ENTER_IRQL 0x11Au        /**< KeEnterCriticalRegion above APC_LEVEL */
#define KP_C4_CRITICAL_LEAVE_IRQL 0x11Bu        /**< KeLeaveCriticalRegion above APC_LEVEL */
#define KP_C4_RULE_GUARDED_REGIONS 0x0004000Eu  /**< DDI compliance rule GuardedRegions */

/** KeEnterCriticalRegion: KernelApcDisable - 1. IRQL <= APC_LEVEL. */
KP_API void kp_critical_region_enter(kp_site_t site);
/** KeLeaveCriticalRegion: KernelApcDisable + 1; bug checks as in the table. */
KP_API void kp_critical_region_leave(kp_site_t site);
/** KeEnterGuardedRegion: SpecialApcDisable - 1. IRQL <= APC_LEVEL. */
KP_API void kp_guarded_region_enter(kp_site_t site);
/** KeLeaveGuardedRegion: SpecialApcDisable + 1; bug checks as in the table. */
KP_API void kp_guarded_region_leave(kp_site_t site);
/** KeAreApcsDisabled: in a critical or guarded region (the counters only;
 *  IRQL >= APC_LEVEL alone does not count, facts §3.3). */
KP_API bool kp_apcs_disabled(void);
/** KeAreAllApcsDisabled: in a guarded region or IRQL >= APC_LEVEL. */
KP_API bool kp_all_apcs_disabled(void);
/** The thread's CombinedApcDisable: (SpecialApcDisable << 16) |
 *  (uint16_t)KernelApcDisable, as bug check parameters show it. */
KP_API uint32_t kp_apc_disable_count(void);
/**
 * The APC_INDEX_MISMATCH check Windows runs when a system call or worker
 * routine returns: bug check 0x1 with P1 = @p routine, P2 = 0 (the
 * ApcStateIndex), P3 = CombinedApcDisable, P4 = @p worker (0 system call,
 * 1 worker routine) when CombinedApcDisable differs from @p expected (the
 * value before the routine ran). Returns true when balanced. For the code
 * that runs work items and simulated system calls.
 */
KP_API bool kp_apc_check_balanced(uint32_t expected, const void *routine,
                                  uint32_t worker, kp_site_t site);

/**
 * Test set-up: forgets the calling thread's APC-disable counters and its
 * list of held locks (as after a bug check a test caught with longjmp).
 * Does not release any lock.
 */
KP_API void kp_sync_thread_reset(void);

/** kp_fast_mutex_acquire / try / release with an explicit call site. */
KP_API void kp_fast_mutex_acquire_at(kp_fast_mutex_t *m, kp_site_t site);
KP_API bool kp_fast_mutex_try_acquire_at(kp_fast_mutex_t *m, kp_site_t site);
KP_API void kp_fast_mutex_release_at(kp_fast_mutex_t *m, kp_site_t site);
/** ExAcquireFastMutexUnsafe: takes @p m without changing the IRQL; the
 *  caller runs at APC_LEVEL or inside a critical/guarded region. */
KP_API void kp_fast_mutex_acquire_unsafe(kp_fast_mutex_t *m, kp_site_t site);
/** ExReleaseFastMutexUnsafe: releases a mutex taken with the Unsafe form. */
KP_API void kp_fast_mutex_release_unsafe(kp_fast_mutex_t *m, kp_site_t site);

/** KeInitializeGuardedMutex. */
KP_API void kp_guarded_mutex_init(kp_fast_mutex_t *m, kp_site_t site);
/** KeAcquireGuardedMutex: enters a guarded region, then waits for @p m. */
KP_API void kp_guarded_mutex_acquire(kp_fast_mutex_t *m, kp_site_t site);
/** KeTryToAcquireGuardedMutex: enters a guarded region only on success. */
KP_API bool kp_guarded_mutex_try_acquire(kp_fast_mutex_t *m, kp_site_t site);
/** KeReleaseGuardedMutex: releases @p m and leaves the guarded region. */
KP_API void kp_guarded_mutex_release(kp_fast_mutex_t *m, kp_site_t site);
/** KeAcquireGuardedMutexUnsafe: the caller is in a guarded region or at
 *  APC_LEVEL; no region change. */
KP_API void kp_guarded_mutex_acquire_unsafe(kp_fast_mutex_t *m, kp_site_t site);
/** KeReleaseGuardedMutexUnsafe. */
KP_API void kp_guarded_mutex_release_unsafe(kp_fast_mutex_t *m, kp_site_t site);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_GUARDED_H */
