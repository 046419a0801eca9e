/**
 * @file kpool/pushlock.h
 * @brief Push locks (EX_PUSH_LOCK).
 *
 * @par EX_PUSH_LOCK (facts §4.2)
 * A pointer-sized word, 0 = free: bit 0 = held exclusive, bit 1 = a writer
 * waits, bits 2.. = readers. Waiters sleep on a host condition variable.
 * A thread already holding it shared may take it shared again even when a
 * writer waits. Bug checks: acquire with normal kernel APCs enabled
 * (no critical/guarded region and IRQL < APC_LEVEL) 0xC4/0xEA, release
 * 0xC4/0xEB (P2 IRQL, P3 CombinedApcDisable, P4 lock); acquire above
 * APC_LEVEL 0xA (P1 lock, P2 IRQL; kpool's choice); exclusive re-acquire by
 * the owner (hangs on Windows) or shared re-acquire by the exclusive owner
 * 0xC4/0x1000; release when not held 0x1007/0x1004; release in the other
 * mode 0x1009.
 *
 */
#ifndef KPOOL_PUSHLOCK_H
#define KPOOL_PUSHLOCK_H

#include "common.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_C4_PUSH_LOCK_ACQUIRE_APCS 0xEAu  /**< push lock acquired with APCs enabled */
#define KP_C4_PUSH_LOCK_RELEASE_APCS 0xEBu  /**< push lock released with APCs enabled */

/* --- EX_PUSH_LOCK --------------------------------------------------------- */
typedef uintptr_t kp_push_lock_t;

/** ExInitializePushLock: stores 0 (free). */
KP_API void kp_push_lock_init(kp_push_lock_t *lock, kp_site_t site);
/** ExAcquirePushLockExclusive[Ex] / ...Shared[Ex]; waits. */
KP_API void kp_push_lock_acquire(kp_push_lock_t *lock, bool exclusive,
                                 kp_site_t site);
/** ExReleasePushLockExclusive[Ex] / ...Shared[Ex]. */
KP_API void kp_push_lock_release(kp_push_lock_t *lock, bool exclusive,
                                 kp_site_t site);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_PUSHLOCK_H */
