/**
 * @file kpool/irql.h
 * @brief The simulated IRQL of each thread, spin locks and fast mutexes.
 *
 * Each host thread has its own simulated IRQL, PASSIVE_LEVEL at start.
 * Raising and lowering follow the HAL's rules; spin locks give real mutual
 * exclusion between host threads and raise to DISPATCH_LEVEL; fast mutexes
 * give real mutual exclusion and raise to APC_LEVEL. The pool checks the
 * caller's IRQL on every allocation and free.
 *
 * IRQL is a property of the thread, not of a system: bug checks raised by
 * these functions go to the current system (kp_system_current()).
 */
#ifndef KPOOL_IRQL_H
#define KPOOL_IRQL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint8_t kp_irql_t;
#define KP_PASSIVE_LEVEL 0u
#define KP_APC_LEVEL 1u
#define KP_DISPATCH_LEVEL 2u
#define KP_CLOCK_LEVEL 13u
#define KP_IPI_LEVEL 14u
#define KP_HIGH_LEVEL 15u

/** KeGetCurrentIrql: the calling thread's IRQL. */
KP_API kp_irql_t kp_irql_get(void);

/**
 * KeRaiseIrql: sets the thread's IRQL to @p new_irql and returns the old
 * one. @bugcheck 0x9 IRQL_NOT_GREATER_OR_EQUAL (P1 current, P2 new) when
 * @p new_irql is below the current IRQL or above HIGH_LEVEL.
 */
KP_API kp_irql_t kp_irql_raise(kp_irql_t new_irql);

/**
 * KeLowerIrql. @bugcheck 0xA IRQL_NOT_LESS_OR_EQUAL (P1 new, P2 current,
 * P3 0, P4 9) when @p new_irql is above the current IRQL.
 */
KP_API void kp_irql_lower(kp_irql_t new_irql);

/**
 * Sets the calling thread's IRQL without any check, for test set-up (for
 * instance to pretend code runs in a DPC). Returns the old IRQL.
 */
KP_API kp_irql_t kp_irql_set(kp_irql_t irql);

/**
 * PAGED_CODE(): the caller is pageable code. @bugcheck 0xD1
 * DRIVER_IRQL_NOT_LESS_OR_EQUAL (P1 caller address, P2 IRQL, P3 8 = execute,
 * P4 caller address) when the IRQL is above APC_LEVEL.
 */
KP_API void kp_paged_code(kp_site_t site);

/* ---------------------------------------------------------------------------
 * Spin locks: a KSPIN_LOCK is one pointer-sized word (0 = free).
 * ------------------------------------------------------------------------- */
typedef uintptr_t kp_spin_lock_t;

/** KeInitializeSpinLock. */
KP_API void kp_spin_lock_init(kp_spin_lock_t *lock);
/**
 * KeAcquireSpinLock: raises to DISPATCH_LEVEL, takes the lock, returns the
 * old IRQL. @bugcheck 0x9 when called above DISPATCH_LEVEL. Acquiring a
 * lock the thread already holds is a deadlock on Windows; kpool raises
 * 0xC4/0x30... no: it raises bug check 0xC4 with P1 = 0x40 (acquiring a
 * spin lock the thread already owns, as Driver Verifier's deadlock
 * detection reports it), P2 = the lock address.
 */
KP_API kp_irql_t kp_spin_lock_acquire(kp_spin_lock_t *lock);
/** KeReleaseSpinLock: releases, then lowers to @p old_irql. */
KP_API void kp_spin_lock_release(kp_spin_lock_t *lock, kp_irql_t old_irql);
/**
 * KeAcquireSpinLockAtDpcLevel. @bugcheck 0xC4 P1 = 0x41 (lock acquired
 * below DISPATCH_LEVEL; the Verifier's code for this misuse), P2 = lock,
 * P3 = IRQL.
 */
KP_API void kp_spin_lock_acquire_at_dpc(kp_spin_lock_t *lock);
/** KeReleaseSpinLockFromDpcLevel. Same IRQL rule as acquire_at_dpc. */
KP_API void kp_spin_lock_release_from_dpc(kp_spin_lock_t *lock);

/* ---------------------------------------------------------------------------
 * Fast mutexes. Storage is caller-owned (FAST_MUTEX in the WDK face).
 * ------------------------------------------------------------------------- */
typedef struct kp_fast_mutex {
  volatile uint32_t state;  /**< 0 free, 1 held */
  uint32_t owner;           /**< kp_thread_id() of the holder */
  uint8_t old_irql;         /**< IRQL before acquisition */
  uint8_t initialized;
  uint8_t pad_[6];
  uint64_t reserved_[5];    /**< keeps FAST_MUTEX at the WDK's 0x38 bytes */
} kp_fast_mutex_t;

/** ExInitializeFastMutex. */
KP_API void kp_fast_mutex_init(kp_fast_mutex_t *m);
/**
 * ExAcquireFastMutex: waits for the mutex, raises to APC_LEVEL.
 * @bugcheck 0xC4 P1 = 0x3A... kpool uses the IRQL_NOT_LESS_OR_EQUAL (0xA)
 * form: P1 = mutex address, P2 = current IRQL, P3 = 0, P4 = 0, when called
 * above APC_LEVEL. Recursive acquisition is a self-deadlock on Windows;
 * kpool raises 0xC4 with P1 = 0x40, P2 = the mutex.
 */
KP_API void kp_fast_mutex_acquire(kp_fast_mutex_t *m);
/** ExTryToAcquireFastMutex: true when acquired. */
KP_API bool kp_fast_mutex_try_acquire(kp_fast_mutex_t *m);
/** ExReleaseFastMutex: releases and restores the IRQL saved at acquire.
 *  @bugcheck 0xC4 P1 = 0x42 (releasing a mutex the thread does not own). */
KP_API void kp_fast_mutex_release(kp_fast_mutex_t *m);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_IRQL_H */
