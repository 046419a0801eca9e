/**
 * @file kpool/exlocks.h
 * @brief Executive reader/writer spin locks (EX_SPIN_LOCK), push locks
 *        (EX_PUSH_LOCK), rundown protection (EX_RUNDOWN_REF and the
 *        cache-aware form) and the spin-lock based ExInterlocked routines.
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
 * @par Rundown protection (facts §4.3)
 * EX_RUNDOWN_REF: bit 0 = run-down started, references in the bits above
 * (2 per reference). Acquire fails once the run-down started; the wait
 * sleeps until the last reference is released. Releasing more references
 * than are held is bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE with
 * P1 = 14 (invalid reference count), P2 = P3 = 0, P4 = the ref (kpool's
 * choice; facts: "treat as a fatal assertion").
 * The cache-aware form is a kp_rundown_cache_aware_t: one EX_RUNDOWN_REF
 * plus the tag of its allocation (kpool keeps one counter instead of one
 * per processor; the behaviour is the same).
 *
 * @par ExInterlocked list and add routines (facts §1.2)
 * Each takes the caller's KSPIN_LOCK with "interrupts disabled": kpool
 * raises the thread to HIGH_LEVEL around the operation (so force IRQL
 * checking sees list storage touched at raised IRQL), callable at any
 * IRQL. The lock word holds the thread's number, as KeAcquireSpinLock's
 * does. Taking a lock the thread already holds is 0xC4/0x1000.
 */
#ifndef KPOOL_EXLOCKS_H
#define KPOOL_EXLOCKS_H

#include "common.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_C4_PUSH_LOCK_ACQUIRE_APCS 0xEAu  /**< push lock acquired with APCs enabled */
#define KP_C4_PUSH_LOCK_RELEASE_APCS 0xEBu  /**< push lock released with APCs enabled */
#define KP_SECURITY_CHECK_INVALID_REFCOUNT 14u /**< 0x139 P1: invalid reference count */

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

/* --- EX_RUNDOWN_REF ------------------------------------------------------- */
typedef uintptr_t kp_rundown_ref_t;

/** ExInitializeRundownProtection / ExReInitializeRundownProtection. */
KP_API void kp_rundown_init(kp_rundown_ref_t *ref);
/** ExAcquireRundownProtection(Ex): adds @p count references; false (and
 *  nothing added) once the run-down started. */
KP_API bool kp_rundown_acquire(kp_rundown_ref_t *ref, uint32_t count);
/** ExReleaseRundownProtection(Ex): drops @p count references; the last
 *  wakes the waiter. Bug check 0x139/14 on underflow. */
KP_API void kp_rundown_release(kp_rundown_ref_t *ref, uint32_t count,
                               kp_site_t site);
/** ExWaitForRundownProtectionRelease: from now on acquires fail; blocks
 *  until no reference is left. */
KP_API void kp_rundown_wait(kp_rundown_ref_t *ref);
/** ExRundownCompleted: marks the run-down complete (acquires keep failing). */
KP_API void kp_rundown_completed(kp_rundown_ref_t *ref);
/** The references held now (for tests and reports). */
KP_API uint32_t kp_rundown_count(const kp_rundown_ref_t *ref);

/** EX_RUNDOWN_REF_CACHE_AWARE storage. */
typedef struct kp_rundown_cache_aware {
  kp_rundown_ref_t ref;     /**< the counter */
  uint32_t tag;             /**< pool tag when allocated by kpool, else 0 */
  uint32_t allocated;       /**< 1 when ExAllocateCacheAwareRundownProtection made it */
} kp_rundown_cache_aware_t;

/* --- ExInterlocked routines ---------------------------------------------- */
/** A LIST_ENTRY / SINGLE_LIST_ENTRY as the core sees it. */
typedef struct kp_list_entry {
  struct kp_list_entry *flink;
  struct kp_list_entry *blink;
} kp_list_entry_t;
typedef struct kp_single_list_entry {
  struct kp_single_list_entry *next;
} kp_single_list_entry_t;

/** ExInterlockedInsertHeadList / ...TailList (@p tail): returns the old
 *  first / last entry, or NULL when the list was empty. */
KP_API kp_list_entry_t *kp_exlist_insert(kp_list_entry_t *head,
                                         kp_list_entry_t *entry, bool tail,
                                         kp_spin_lock_t *lock, kp_site_t site);
/** ExInterlockedRemoveHeadList: the removed entry, or NULL when empty. */
KP_API kp_list_entry_t *kp_exlist_remove_head(kp_list_entry_t *head,
                                              kp_spin_lock_t *lock,
                                              kp_site_t site);
/** ExInterlockedPushEntryList: the old first entry or NULL. */
KP_API kp_single_list_entry_t *kp_exlist_push(kp_single_list_entry_t *head,
                                              kp_single_list_entry_t *entry,
                                              kp_spin_lock_t *lock,
                                              kp_site_t site);
/** ExInterlockedPopEntryList: the removed entry or NULL. */
KP_API kp_single_list_entry_t *kp_exlist_pop(kp_single_list_entry_t *head,
                                             kp_spin_lock_t *lock,
                                             kp_site_t site);
/** ExInterlockedAddUlong: adds under @p lock; returns the original value. */
KP_API uint32_t kp_exlist_add_ulong(uint32_t *addend, uint32_t increment,
                                    kp_spin_lock_t *lock, kp_site_t site);
/** ExInterlockedAddLargeInteger: as above, 64-bit. */
KP_API int64_t kp_exlist_add_large(int64_t *addend, int64_t increment,
                                   kp_spin_lock_t *lock, kp_site_t site);

/** InterlockedCompareExchange128: true (1) when the 16 bytes at @p dest
 *  equalled @p comparand_result[0..1] (low, high) and were replaced by
 *  (@p exchange_low, @p exchange_high); @p comparand_result always
 *  receives the original 16 bytes. @p dest must be 16-byte aligned (else
 *  raises STATUS_DATATYPE_MISALIGNMENT). */
KP_API bool kp_interlocked_cas128(volatile int64_t *dest, int64_t exchange_high,
                                  int64_t exchange_low,
                                  int64_t *comparand_result);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_EXLOCKS_H */
