/**
 * @file kpool/exspinlock.h
 * @brief Executive reader/writer spin locks (EX_SPIN_LOCK).
 *
 * @par EX_SPIN_LOCK (facts §2.3)
 * A 32-bit word the driver zeroes. Bit 31 = held exclusive, bit 30 = a
 * writer waits (writer preference: new readers wait), bits 0-29 = readers.
 * Real exclusion between host threads; waiters spin and yield.
 * Bug checks (P1 of 0xC4): raising acquire above DISPATCH_LEVEL 0x42;
 * AtDpcLevel acquire below DISPATCH_LEVEL 0x40; raising release not at
 * DISPATCH_LEVEL 0x32; FromDpcLevel release below DISPATCH_LEVEL 0x41
 * (P2 IRQL, P3 lock: the codes of the KSPIN_LOCK routines, kpool's
 * choice); recursive acquire in either mode 0x1000 (it deadlocks on
 * Windows); release when the thread does not hold it 0x1007 (nobody holds
 * it) or 0x1004; exclusive release of a shared hold or the reverse 0x1009;
 * ExTryConvertSharedSpinLockExclusive without holding it shared 0x1007.
 *
 */
#ifndef KPOOL_EXSPINLOCK_H
#define KPOOL_EXSPINLOCK_H

#include "common.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- EX_SPIN_LOCK -------------------------------------------------------- */
typedef int32_t kp_ex_spin_lock_t;

/** ExAcquireSpinLockShared / ...Exclusive (@p at_dpc false: raises to
 *  DISPATCH_LEVEL and returns the old IRQL) or the ...AtDpcLevel forms
 *  (@p at_dpc true; returns the current IRQL). */
KP_API kp_irql_t kp_ex_spin_lock_acquire(kp_ex_spin_lock_t *lock, bool exclusive,
                                         bool at_dpc, kp_site_t site);
/** ExReleaseSpinLockShared / ...Exclusive (lowers to @p old_irql) or the
 *  ...FromDpcLevel forms (@p at_dpc true; @p old_irql ignored). */
KP_API void kp_ex_spin_lock_release(kp_ex_spin_lock_t *lock, bool exclusive,
                                    bool at_dpc, kp_irql_t old_irql,
                                    kp_site_t site);
/** ExTryAcquireSpinLockShared/ExclusiveAtDpcLevel: true when taken. */
KP_API bool kp_ex_spin_lock_try_at_dpc(kp_ex_spin_lock_t *lock, bool exclusive,
                                       kp_site_t site);
/** ExTryConvertSharedSpinLockExclusive: true when the caller, the only
 *  reader with no writer waiting, now holds it exclusive. */
KP_API bool kp_ex_spin_lock_try_convert(kp_ex_spin_lock_t *lock,
                                        kp_site_t site);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_EXSPINLOCK_H */
