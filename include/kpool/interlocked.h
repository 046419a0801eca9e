/**
 * @file kpool/interlocked.h
 * @brief The spin-lock based ExInterlocked routines and InterlockedCompareExchange128.
 *
 * @par ExInterlocked list and add routines (facts §1.2)
 * Each takes the caller's KSPIN_LOCK with "interrupts disabled": kpool
 * raises the thread to HIGH_LEVEL around the operation (so force IRQL
 * checking sees list storage touched at raised IRQL), callable at any
 * IRQL. The lock word holds the thread's number, as KeAcquireSpinLock's
 * does. Taking a lock the thread already holds is 0xC4/0x1000.
 */
#ifndef KPOOL_INTERLOCKED_H
#define KPOOL_INTERLOCKED_H

#include "common.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#endif /* KPOOL_INTERLOCKED_H */
