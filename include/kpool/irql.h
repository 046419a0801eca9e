/**
 * @file kpool/irql.h
 * @brief The simulated IRQL of each thread, spin locks, fast mutexes and
 *        PAGED_CODE.
 *
 * Each host thread has its own simulated IRQL, PASSIVE_LEVEL at start.
 * Raising and lowering follow the HAL's rules; spin locks give real mutual
 * exclusion between host threads and raise to DISPATCH_LEVEL; fast mutexes
 * give real mutual exclusion and raise to APC_LEVEL. The pool checks the
 * caller's IRQL on every allocation and free.
 *
 * IRQL is a property of the thread, not of a system: bug checks raised by
 * these functions go to the current system (kp_system_current(), created
 * with the defaults if there is none).
 *
 * @par Which bug check each misuse raises
 * The codes follow Microsoft's table for bug check 0xC4
 * DRIVER_VERIFIER_DETECTED_VIOLATION (Parameter 1 = the sub-code below;
 * checked against the published "Bug Check 0xC4" reference page). Where
 * retail Windows has its own check (the HAL's raise/lower checks, the
 * fast mutex IRQL rule) the code depends on the current system's
 * KP_VERIFY_AUTOMATIC switch; everywhere else retail Windows has no check
 * (the machine hangs or silently corrupts the lock), and kpool raises the
 * 0xC4 code in both modes, which is kpool's choice.
 *
 * | misuse | verifier on (KP_VERIFY_AUTOMATIC) | verifier off |
 * |---|---|---|
 * | kp_irql_raise below current or above HIGH_LEVEL | 0xC4 / 0x30: P2 current, P3 requested, P4 0 | 0x9: P1 current, P2 requested, P3 0, P4 0 |
 * | kp_irql_lower above current | 0xC4 / 0x31: P2 current, P3 requested, P4 0 | 0xA: P1 requested, P2 current, P3 0, P4 0 |
 * | kp_spin_lock_acquire above DISPATCH_LEVEL | 0xC4 / 0x42: P2 IRQL, P3 lock, P4 0 | 0x9: P1 current, P2 DISPATCH_LEVEL (the raise fails) |
 * | kp_spin_lock_release at IRQL other than DISPATCH_LEVEL (typically a double release) | 0xC4 / 0x32: P2 IRQL, P3 lock, P4 0 | same |
 * | kp_spin_lock_acquire_at_dpc below DISPATCH_LEVEL | 0xC4 / 0x40: P2 IRQL, P3 lock, P4 0 | same |
 * | kp_spin_lock_release_from_dpc below DISPATCH_LEVEL | 0xC4 / 0x41: P2 IRQL, P3 lock, P4 0 | same |
 * | kp_fast_mutex_acquire / try_acquire above APC_LEVEL | 0xC4 / 0x33: P2 IRQL, P3 mutex, P4 0 | 0xA: P1 mutex, P2 IRQL, P3 0, P4 0 |
 * | kp_fast_mutex_release at IRQL other than APC_LEVEL | 0xC4 / 0x34: P2 IRQL, P3 mutex, P4 0 | same |
 * | acquiring a spin lock or fast mutex the thread already holds | 0xC4 / 0x1000: P2 lock or mutex, P3 0, P4 0 | same |
 * | using a fast mutex before kp_fast_mutex_init | 0xC4 / 0x1002: P2 mutex, P3 0, P4 0 | same |
 * | releasing a lock or mutex another thread holds | 0xC4 / 0x1004: P2 lock or mutex, P3 holder's kp_thread_id(), P4 caller's kp_thread_id() | same |
 * | releasing a lock or mutex nobody holds (at the right IRQL) | 0xC4 / 0x1007: P2 lock or mutex, P3 0, P4 0 | same |
 * | NULL or misaligned lock or mutex pointer | 0xC4 / 0xE1: P2 the pointer, P3 0, P4 0 | same |
 * | kp_paged_code above APC_LEVEL | 0xD1: P1 caller, P2 IRQL, P3 8, P4 caller | same |
 *
 * Notes on the table:
 * - 0x1000, 0x1002, 0x1004 and 0x1007 are the codes of Driver Verifier's
 *   Deadlock Detection. kpool always raises them: a real machine would hang
 *   (recursive acquire) or corrupt the lock, and a test must not hang.
 *   Windows puts thread addresses in 0x1004's P3/P4; kpool puts the
 *   kp_thread_id() numbers that its reports use.
 * - 0xE1 ("a synchronization object was found to have an address that was
 *   either invalid or pageable") is used for a NULL or misaligned pointer
 *   instead of the page fault a real machine would take.
 * - Microsoft does not document the parameters of the HAL's own 0x9/0xA
 *   checks; the retail parameters above are kpool's choice.
 * - The IRQL checks come first; the ownership checks run only at a correct
 *   IRQL. So releasing a spin lock twice after its IRQL was restored raises
 *   0x32, as Driver Verifier reports a double release.
 *
 * When a bug check handler returns instead of longjmp'ing, the call is
 * abandoned with nothing changed: no lock is taken or released and the
 * IRQL stays as it was (an acquire then returns the current IRQL).
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

/* ---------------------------------------------------------------------------
 * Parameter 1 values of bug check 0xC4 raised by this module (see the table
 * in the file comment).
 * ------------------------------------------------------------------------- */
#define KP_C4_RAISE_IRQL_INVALID 0x30u           /**< KeRaiseIrql to a lower or > HIGH_LEVEL IRQL */
#define KP_C4_LOWER_IRQL_INVALID 0x31u           /**< KeLowerIrql to a higher IRQL */
#define KP_C4_SPIN_RELEASE_IRQL 0x32u            /**< KeReleaseSpinLock not at DISPATCH_LEVEL */
#define KP_C4_FAST_MUTEX_ACQUIRE_IRQL 0x33u      /**< fast mutex acquired above APC_LEVEL */
#define KP_C4_FAST_MUTEX_RELEASE_IRQL 0x34u      /**< fast mutex released not at APC_LEVEL */
#define KP_C4_SPIN_ACQUIRE_AT_DPC_IRQL 0x40u     /**< KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL */
#define KP_C4_SPIN_RELEASE_FROM_DPC_IRQL 0x41u   /**< KeReleaseSpinLockFromDpcLevel below DISPATCH_LEVEL */
#define KP_C4_SPIN_ACQUIRE_IRQL 0x42u            /**< KeAcquireSpinLock above DISPATCH_LEVEL */
#define KP_C4_SYNC_OBJECT_ADDRESS 0xE1u          /**< invalid (NULL, misaligned) lock address */
#define KP_C4_SELF_DEADLOCK 0x1000u              /**< recursive acquisition */
#define KP_C4_UNINITIALIZED_RESOURCE 0x1002u     /**< used before initialisation */
#define KP_C4_UNEXPECTED_THREAD 0x1004u          /**< released by a thread that does not hold it */
#define KP_C4_UNACQUIRED_RESOURCE 0x1007u        /**< released while nobody holds it */

/** KeGetCurrentIrql: the calling thread's IRQL. Thread-safe (per thread). */
KP_API kp_irql_t kp_irql_get(void);

/**
 * KeRaiseIrql: sets the thread's IRQL to @p new_irql and returns the old
 * one. Raising to the current IRQL is allowed.
 * @bugcheck with the verifier's automatic checks on: 0xC4, P1 = 0x30,
 * P2 = current IRQL, P3 = @p new_irql, P4 = 0; off: 0x9
 * IRQL_NOT_GREATER_OR_EQUAL, P1 = current, P2 = @p new_irql, P3 = P4 = 0;
 * when @p new_irql is below the current IRQL or above HIGH_LEVEL. If the
 * handler returns, the IRQL is unchanged and the current IRQL is returned.
 */
KP_API kp_irql_t kp_irql_raise(kp_irql_t new_irql);

/**
 * KeLowerIrql: sets the thread's IRQL to @p new_irql (equal to the current
 * IRQL is allowed).
 * @bugcheck with the verifier's automatic checks on: 0xC4, P1 = 0x31,
 * P2 = current IRQL, P3 = @p new_irql, P4 = 0; off: 0xA
 * IRQL_NOT_LESS_OR_EQUAL, P1 = @p new_irql, P2 = current, P3 = P4 = 0;
 * when @p new_irql is above the current IRQL. If the handler returns, the
 * IRQL is unchanged.
 */
KP_API void kp_irql_lower(kp_irql_t new_irql);

/**
 * Sets the calling thread's IRQL without any check, for test set-up (for
 * instance to pretend code runs in a DPC). Returns the old IRQL. It does
 * not touch the count of spin locks held.
 */
KP_API kp_irql_t kp_irql_set(kp_irql_t irql);

/**
 * PAGED_CODE(): the caller is pageable code and must run at or below
 * APC_LEVEL. @p site names the caller (KP_HERE); it appears in the report.
 * @bugcheck 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL, P1 = @p site.caller (the
 * address of the pageable code; 0 when unknown), P2 = IRQL, P3 = 8
 * (execute), P4 = @p site.caller, when the IRQL is above APC_LEVEL; in
 * both verifier modes (on Windows the page fault on the trimmed code page
 * gives this code).
 */
KP_API void kp_paged_code(kp_site_t site);

/**
 * Call sites of lock routines. kp_site_next() records @p file / @p line
 * for the calling thread's next lock routine, which takes it with
 * kp_site_take() (with the routine's return address as the caller) and
 * names it in its reports; without a pending site kp_site_take() returns
 * just @p caller. The WDK face's opt-in KPOOL_LOCK_CALL_SITES macros use
 * the pair (see kp_wdk_sync.h).
 */
KP_API void kp_site_next(const char *file, uint32_t line);
/** Takes (and clears) the pending site of kp_site_next(), see above; a
 *  caller recorded by kp_site_next_caller() replaces @p caller. */
KP_API kp_site_t kp_site_take(void *caller);
/**
 * Records the return address the calling thread's next lock routine names
 * as its caller: the WDK face calls it with its own return address (the
 * driver's), so that reports of spin-lock and fast-mutex misuse name the
 * driver's function and file:line (symbolised) rather than the face's.
 */
KP_API void kp_site_next_caller(const void *caller);

/* ---------------------------------------------------------------------------
 * Spin locks: a KSPIN_LOCK is one pointer-sized word, 0 = free. While held
 * it contains the holder's kp_thread_id(), so that recursion and release by
 * another thread are detected. Mutual exclusion is real (C11 atomics with
 * acquire/release ordering); a waiting thread spins and yields the host
 * CPU. Each function keeps a per-thread count of spin locks held.
 * ------------------------------------------------------------------------- */
typedef uintptr_t kp_spin_lock_t;

/**
 * KeInitializeSpinLock: sets the word to 0 (free). Must not be called on a
 * held lock. @bugcheck 0xC4 / 0xE1 for a NULL or misaligned @p lock.
 */
KP_API void kp_spin_lock_init(kp_spin_lock_t *lock);

/**
 * KeAcquireSpinLock: raises the IRQL to DISPATCH_LEVEL, waits until the
 * lock is free, takes it, and returns the IRQL from before the call (pass
 * it to kp_spin_lock_release). Allowed at IRQL <= DISPATCH_LEVEL.
 * @bugcheck
 * - above DISPATCH_LEVEL: with the verifier's automatic checks, 0xC4 with
 *   P1 = 0x42, P2 = IRQL, P3 = @p lock; without them 0x9
 *   IRQL_NOT_GREATER_OR_EQUAL, P1 = IRQL, P2 = DISPATCH_LEVEL (the HAL's
 *   raise to a lower IRQL).
 * - the calling thread already holds @p lock: 0xC4, P1 = 0x1000
 *   (self-deadlock), P2 = @p lock. A real machine would spin forever.
 * - NULL or misaligned @p lock: 0xC4, P1 = 0xE1, P2 = @p lock.
 * If the handler returns, the lock is not taken, the IRQL is unchanged and
 * the current IRQL is returned.
 * Thread-safe: this is the point of it.
 */
KP_API kp_irql_t kp_spin_lock_acquire(kp_spin_lock_t *lock);

/**
 * KeReleaseSpinLock: releases @p lock and lowers the IRQL to @p old_irql.
 * @bugcheck
 * - IRQL is not DISPATCH_LEVEL (a double release after the IRQL was
 *   restored lands here): 0xC4, P1 = 0x32, P2 = IRQL, P3 = @p lock.
 * - nobody holds @p lock: 0xC4, P1 = 0x1007, P2 = @p lock.
 * - another thread holds it: 0xC4, P1 = 0x1004, P2 = @p lock, P3 = the
 *   holder's kp_thread_id(), P4 = the caller's.
 * - @p old_irql above DISPATCH_LEVEL: the lowering check of kp_irql_lower
 *   (0xC4 / 0x31 or 0xA), with the lock still held.
 * - NULL or misaligned @p lock: 0xC4 / 0xE1.
 * If the handler returns, nothing changes (the lock stays as it was).
 */
KP_API void kp_spin_lock_release(kp_spin_lock_t *lock, kp_irql_t old_irql);

/**
 * KeAcquireSpinLockAtDpcLevel: takes the lock without changing the IRQL;
 * the caller must already run at IRQL >= DISPATCH_LEVEL.
 * @bugcheck below DISPATCH_LEVEL: 0xC4, P1 = 0x40, P2 = IRQL,
 * P3 = @p lock. Recursion: 0xC4 / 0x1000. NULL or misaligned: 0xC4 / 0xE1.
 */
KP_API void kp_spin_lock_acquire_at_dpc(kp_spin_lock_t *lock);

/**
 * KeReleaseSpinLockFromDpcLevel: releases the lock without changing the
 * IRQL. @bugcheck below DISPATCH_LEVEL: 0xC4, P1 = 0x41, P2 = IRQL,
 * P3 = @p lock. Not held: 0xC4 / 0x1007. Held by another thread:
 * 0xC4 / 0x1004. NULL or misaligned: 0xC4 / 0xE1.
 */
KP_API void kp_spin_lock_release_from_dpc(kp_spin_lock_t *lock);

/** The number of spin locks the calling thread holds now. */
KP_API uint32_t kp_spin_locks_held(void);

/* ---------------------------------------------------------------------------
 * Fast mutexes. Storage is caller-owned (FAST_MUTEX in the WDK face).
 * ------------------------------------------------------------------------- */
typedef struct kp_fast_mutex {
  /** 0x00, the WDK's Count: bit 0 is 1 when free, 0 when held (1 after
   *  kp_fast_mutex_init). Written by kpool only. */
  volatile int32_t count;
  /** 0x04 (padding in the WDK layout): 0 when free, else the
   *  kp_thread_id() of the holder. The word kpool's atomics exclude on. */
  volatile uint32_t holder;
  /** 0x08, the WDK's Owner: the holder's thread identity (NULL if free). */
  void *volatile owner;
  /** 0x10, the WDK's Contention: acquisitions that had to wait. */
  volatile uint32_t contention;
  /** 0x14 (padding in the WDK layout): kpool's flags (how it was taken). */
  uint32_t flags_;
  /** 0x18, the WDK's Event (24 bytes): kpool keeps an initialisation
   *  cookie derived from the mutex's address there, so a zeroed, garbage
   *  or copied mutex is found uninitialised; waiters spin and yield. */
  uint64_t event_[3];
  /** 0x30, the WDK's OldIrql: the IRQL before ExAcquireFastMutex. */
  uint32_t old_irql;
  uint32_t reserved_; /**< 0x34 padding */
} kp_fast_mutex_t;

/**
 * ExInitializeFastMutex: makes @p m free and usable. Must not be called on
 * a held mutex. @bugcheck 0xC4 / 0xE1 for a NULL or misaligned @p m.
 */
KP_API void kp_fast_mutex_init(kp_fast_mutex_t *m);

/**
 * ExAcquireFastMutex: waits until @p m is free, takes it and raises the
 * IRQL to APC_LEVEL, saving the previous IRQL in the mutex for the release.
 * Allowed at IRQL <= APC_LEVEL.
 * @bugcheck
 * - above APC_LEVEL: with the verifier's automatic checks, 0xC4 with
 *   P1 = 0x33, P2 = IRQL, P3 = @p m; without them 0xA
 *   IRQL_NOT_LESS_OR_EQUAL, P1 = @p m, P2 = IRQL, P3 = P4 = 0 (kpool's
 *   choice of parameters; the IrqlExApcLte1 rule names 0xA as the retail
 *   result).
 * - @p m was never initialised: 0xC4, P1 = 0x1002, P2 = @p m.
 * - the calling thread already holds @p m: 0xC4, P1 = 0x1000, P2 = @p m
 *   (a real machine would deadlock).
 * - NULL or misaligned @p m: 0xC4, P1 = 0xE1, P2 = @p m.
 * If the handler returns, the mutex is not taken and the IRQL is unchanged.
 * Thread-safe.
 */
KP_API void kp_fast_mutex_acquire(kp_fast_mutex_t *m);

/**
 * ExTryToAcquireFastMutex: takes @p m and raises to APC_LEVEL when it is
 * free and returns true; returns false with nothing changed when another
 * thread, or the calling thread itself, holds it (no wait, so no
 * deadlock, as on Windows). The IRQL, initialisation and pointer checks
 * are those of kp_fast_mutex_acquire; after such a bug check it returns
 * false if the handler returns.
 */
KP_API bool kp_fast_mutex_try_acquire(kp_fast_mutex_t *m);

/**
 * ExReleaseFastMutex: releases @p m and restores the IRQL saved when it
 * was acquired.
 * @bugcheck
 * - IRQL is not APC_LEVEL: 0xC4, P1 = 0x34, P2 = IRQL, P3 = @p m.
 * - @p m was never initialised: 0xC4 / 0x1002.
 * - nobody holds @p m: 0xC4, P1 = 0x1007, P2 = @p m.
 * - another thread holds it: 0xC4, P1 = 0x1004, P2 = @p m, P3 = holder's
 *   kp_thread_id(), P4 = caller's.
 * - NULL or misaligned @p m: 0xC4 / 0xE1.
 * If the handler returns, nothing changes.
 */
KP_API void kp_fast_mutex_release(kp_fast_mutex_t *m);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_IRQL_H */
