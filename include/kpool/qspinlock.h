/**
 * @file kpool/qspinlock.h
 * @brief In-stack queued spin locks, the try/test spin lock routines, the
 *        SYNCH_LEVEL forms.
 *
 * In-stack queued spin locks (facts §2.1) use the same KSPIN_LOCK word as
 * ordinary spin locks: while held, the word points to the handle of the
 * last waiter (an MCS queue), so waiters get the lock in the order they
 * asked and each spins on its own handle. A lock must be used either only
 * with the queued routines or only with the ordinary ones: kpool raises
 * 0xC4/0x1008 when a queued acquire finds the lock held by an ordinary
 * acquire (always: otherwise the simulator would follow a thread number as
 * a pointer), and Deadlock Detection (KP_VERIFY_DEADLOCK_DETECTION) raises
 * 0xC4/0x1008 / 0x1009 for any other mix.
 *
 * @par Bug checks (P1 of 0xC4)
 * | misuse | code |
 * |---|---|
 * | queued acquire above DISPATCH_LEVEL | 0x42: P2 IRQL, P3 lock |
 * | AtDpcLevel queued acquire / KeTryToAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL | 0x40: P2 IRQL, P3 lock |
 * | KeReleaseInStackQueuedSpinLock at IRQL other than DISPATCH_LEVEL | 0x36: P2 IRQL, P3 lock (the "spin lock number": kpool gives the address), P4 saved old IRQL |
 * | FromDpcLevel queued release below DISPATCH_LEVEL | 0x41: P2 IRQL, P3 lock |
 * | acquiring a lock the thread holds | 0x1000: P2 lock |
 * | releasing with a handle whose lock nobody holds | 0x1007: P2 lock |
 * | releasing with another thread's handle | 0x1004: P2 lock, P3 owner thread, P4 caller |
 * | queued acquire of a lock held through KeAcquireSpinLock | 0x1008: P2 lock |
 * | KeAcquireSpinLockRaiseToSynch above SYNCH_LEVEL | 0x42: P2 IRQL, P3 lock |
 * | NULL or misaligned lock or handle | 0xE1 |
 */
#ifndef KPOOL_QSPINLOCK_H
#define KPOOL_QSPINLOCK_H

#include "common.h"
#include "deadlock.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

/** SYNCH_LEVEL on x64 (facts §2.2). */
#define KP_SYNCH_LEVEL 12u

#define KP_C4_QUEUED_RELEASE_IRQL 0x36u  /**< queued spin lock released not at DISPATCH_LEVEL */

/**
 * KLOCK_QUEUE_HANDLE, 0x18 bytes as on x64: the caller's queue entry
 * (Next, Lock) and the saved IRQL. kpool keeps the acquiring thread's
 * number in the padding after OldIrql.
 */
typedef struct kp_queued_lock_handle {
  void *volatile next;               /**< 0x00 LockQueue.Next: next waiter's handle */
  kp_spin_lock_t *volatile lock;     /**< 0x08 LockQueue.Lock (bit 0 set while waiting) */
  uint8_t old_irql;                  /**< 0x10 OldIrql */
  uint8_t pad_[3];
  uint32_t thread_;                  /**< 0x14 kpool: kp_thread_id() of the acquirer */
} kp_queued_lock_handle_t;

/** The forms of the queued acquire and release. */
typedef enum kp_queued_form {
  KP_QUEUED_RAISE = 0,   /**< KeAcquire/ReleaseInStackQueuedSpinLock */
  KP_QUEUED_AT_DPC = 1,  /**< ...AtDpcLevel / ...FromDpcLevel */
  KP_QUEUED_FOR_DPC = 2  /**< ...ForDpc: raise only when called below DISPATCH_LEVEL */
} kp_queued_form_t;

/** Acquires @p lock in the queue with @p handle (caller storage, one per
 *  acquisition). See the table for the checks. Thread-safe. */
KP_API void kp_queued_spin_lock_acquire(kp_spin_lock_t *lock,
                                        kp_queued_lock_handle_t *handle,
                                        kp_queued_form_t form, kp_site_t site);
/** Releases the lock @p handle holds, passing it to the next waiter, and
 *  (raise forms) restores the IRQL saved in the handle. */
KP_API void kp_queued_spin_lock_release(kp_queued_lock_handle_t *handle,
                                        kp_queued_form_t form, kp_site_t site);

/** KeTryToAcquireSpinLockAtDpcLevel: true when taken (release with
 *  kp_spin_lock_release_from_dpc); false when busy, also when the caller
 *  holds it itself. IRQL >= DISPATCH_LEVEL (else 0xC4/0x40). */
KP_API bool kp_spin_lock_try_at_dpc(kp_spin_lock_t *lock, kp_site_t site);
/** KeTestSpinLock: true when @p lock is free (never acquires). */
KP_API bool kp_spin_lock_test(const kp_spin_lock_t *lock);
/** KeAcquireSpinLockRaiseToSynch: raises to SYNCH_LEVEL and takes
 *  @p lock; returns the old IRQL for kp_spin_lock_release, which accepts
 *  SYNCH_LEVEL for a lock taken this way. */
KP_API kp_irql_t kp_spin_lock_acquire_raise_to_synch(kp_spin_lock_t *lock,
                                                     kp_site_t site);
/** KeRaiseIrqlToSynchLevel: kp_irql_raise(KP_SYNCH_LEVEL). */
KP_API kp_irql_t kp_irql_raise_to_synch(void);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_QSPINLOCK_H */
