/*
 * interlocked.c — the spin-lock based ExInterlocked routines (facts §1.2)
 * and InterlockedCompareExchange128. Each list routine takes the caller's
 * KSPIN_LOCK "with interrupts disabled": the thread runs at HIGH_LEVEL for
 * the duration, so it is callable at any IRQL.
 */
#include <stdatomic.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"

static _Atomic uintptr_t *il_word(kp_spin_lock_t *l) {
  return (_Atomic uintptr_t *)l;
}

// Takes @lock at HIGH_LEVEL; returns false (nothing changed) after a bug
// check. *old receives the IRQL to restore.
static bool il_lock(kp_spin_lock_t *lock, kp_site_t site, const char *api,
                    kp_irql_t *old) {
  kpi_thread_t *t = kpi_thread();
  *old = t->irql;
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return false;
  if (atomic_load_explicit(il_word(lock), memory_order_relaxed) == t->id) {
    kpi_sync_self_deadlock(lock, site, api, "spin lock");
    return false;
  }
  kpi_irql_store(t, KP_HIGH_LEVEL);
  for (;;) {
    uintptr_t expected = 0;
    if (atomic_compare_exchange_weak_explicit(il_word(lock), &expected, t->id,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      return true;
    kpi_os_yield();
  }
}

static void il_unlock(kp_spin_lock_t *lock, kp_irql_t old) {
  atomic_store_explicit(il_word(lock), 0, memory_order_release);
  kpi_irql_store(kpi_thread(), old);
}

static bool il_ptr_ok(const void *p, kp_site_t site, const char *api) {
  if (p != NULL) return true;
  kpi_sync_bugcheck(KP_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE, 3, 0, 0, 0, site,
                    "%s was passed a NULL list head or entry.", api);
  return false;
}

kp_list_entry_t *kp_exlist_insert(kp_list_entry_t *head, kp_list_entry_t *entry,
                                  bool tail, kp_spin_lock_t *lock,
                                  kp_site_t site) {
  const char *api = tail ? "ExInterlockedInsertTailList"
                         : "ExInterlockedInsertHeadList";
  if (!il_ptr_ok(head, site, api) || !il_ptr_ok(entry, site, api)) return NULL;
  kp_irql_t old;
  if (!il_lock(lock, site, api, &old)) return NULL;
  kp_list_entry_t *was = tail ? head->blink : head->flink;
  if (tail) {
    entry->flink = head;
    entry->blink = was;
    was->flink = entry;
    head->blink = entry;
  } else {
    entry->flink = was;
    entry->blink = head;
    was->blink = entry;
    head->flink = entry;
  }
  il_unlock(lock, old);
  return was == head ? NULL : was;
}

kp_list_entry_t *kp_exlist_remove_head(kp_list_entry_t *head,
                                       kp_spin_lock_t *lock, kp_site_t site) {
  const char *api = "ExInterlockedRemoveHeadList";
  if (!il_ptr_ok(head, site, api)) return NULL;
  kp_irql_t old;
  if (!il_lock(lock, site, api, &old)) return NULL;
  kp_list_entry_t *first = head->flink;
  if (first == head) {
    il_unlock(lock, old);
    return NULL;
  }
  head->flink = first->flink;
  first->flink->blink = head;
  il_unlock(lock, old);
  return first;
}

kp_single_list_entry_t *kp_exlist_push(kp_single_list_entry_t *head,
                                       kp_single_list_entry_t *entry,
                                       kp_spin_lock_t *lock, kp_site_t site) {
  const char *api = "ExInterlockedPushEntryList";
  if (!il_ptr_ok(head, site, api) || !il_ptr_ok(entry, site, api)) return NULL;
  kp_irql_t old;
  if (!il_lock(lock, site, api, &old)) return NULL;
  kp_single_list_entry_t *was = head->next;
  entry->next = was;
  head->next = entry;
  il_unlock(lock, old);
  return was;
}

kp_single_list_entry_t *kp_exlist_pop(kp_single_list_entry_t *head,
                                      kp_spin_lock_t *lock, kp_site_t site) {
  const char *api = "ExInterlockedPopEntryList";
  if (!il_ptr_ok(head, site, api)) return NULL;
  kp_irql_t old;
  if (!il_lock(lock, site, api, &old)) return NULL;
  kp_single_list_entry_t *first = head->next;
  if (first != NULL) head->next = first->next;
  il_unlock(lock, old);
  return first;
}

uint32_t kp_exlist_add_ulong(uint32_t *addend, uint32_t increment,
                             kp_spin_lock_t *lock, kp_site_t site) {
  const char *api = "ExInterlockedAddUlong";
  if (!il_ptr_ok(addend, site, api)) return 0;
  kp_irql_t old;
  if (!il_lock(lock, site, api, &old)) return 0;
  uint32_t was = *addend;
  *addend = was + increment;
  il_unlock(lock, old);
  return was;
}

int64_t kp_exlist_add_large(int64_t *addend, int64_t increment,
                            kp_spin_lock_t *lock, kp_site_t site) {
  const char *api = "ExInterlockedAddLargeInteger";
  if (!il_ptr_ok(addend, site, api)) return 0;
  kp_irql_t old;
  if (!il_lock(lock, site, api, &old)) return 0;
  int64_t was = *addend;
  *addend = (int64_t)((uint64_t)was + (uint64_t)increment);
  il_unlock(lock, old);
  return was;
}

bool kp_interlocked_cas128(volatile int64_t *dest, int64_t exchange_high,
                           int64_t exchange_low, int64_t *comparand_result) {
  if (((uintptr_t)dest & 15u) != 0) {
    kp_raise_status(KP_STATUS_DATATYPE_MISALIGNMENT);
    return false;
  }
#if defined(__SIZEOF_INT128__)
  __extension__ typedef unsigned __int128 u128;
  u128 want = ((u128)(uint64_t)comparand_result[1] << 64) |
              (uint64_t)comparand_result[0];
  u128 repl = ((u128)(uint64_t)exchange_high << 64) | (uint64_t)exchange_low;
  u128 seen = __sync_val_compare_and_swap((volatile u128 *)(uintptr_t)dest, want,
                                          repl);
  comparand_result[0] = (int64_t)(uint64_t)seen;
  comparand_result[1] = (int64_t)(uint64_t)(seen >> 64);
  return seen == want;
#else
  // No 16-byte compare-and-swap: serialise on the wait channel's mutex.
  kpi_waitq_lock();
  int64_t lo = dest[0], hi = dest[1];
  bool eq = lo == comparand_result[0] && hi == comparand_result[1];
  if (eq) {
    dest[0] = exchange_low;
    dest[1] = exchange_high;
  }
  comparand_result[0] = lo;
  comparand_result[1] = hi;
  kpi_waitq_unlock();
  return eq;
#endif
}
