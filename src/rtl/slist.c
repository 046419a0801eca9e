/*
 * slist.c — interlocked singly linked lists (SLIST_HEADER), lock-free with
 * a 16-byte compare-and-swap on x86-64 and arm64, with a striped-lock
 * fallback elsewhere. See include/kpool/slist.h for the contract.
 */
#include "rtl/kp_slist.h"

_Static_assert(sizeof(kp_slist_header_t) == 16, "SLIST_HEADER is 16 bytes");
_Static_assert(_Alignof(kp_slist_header_t) == 16, "SLIST_HEADER is aligned 16");
_Static_assert(sizeof(kp_slist_entry_t) == 16 || sizeof(void *) != 8,
               "SLIST_ENTRY is 16 bytes on 64-bit hosts");
_Static_assert(_Alignof(kp_slist_entry_t) == 16, "SLIST_ENTRY is aligned 16");

/* Raises for a header the hardware could not swap. False when raised (a
 * raise normally does not return; a bug check handler may make it). */
static bool header_ok(const kp_slist_header_t *head) {
  if (head == NULL) {
    kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
    return false;
  }
  if (((uintptr_t)head & 15u) != 0) {
    kp_raise_status(KP_STATUS_DATATYPE_MISALIGNMENT);
    return false;
  }
  return true;
}

static bool entry_ok(const kp_slist_entry_t *entry) {
  if (entry == NULL) {
    kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
    return false;
  }
  if (((uintptr_t)entry & 15u) != 0) {
    kp_raise_status(KP_STATUS_DATATYPE_MISALIGNMENT);
    return false;
  }
  return true;
}

void kp_slist_init(kp_slist_header_t *head) {
  if (!header_ok(head)) return;
  __atomic_store_n(&head->region, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&head->alignment, 0, __ATOMIC_RELEASE);
}

uint16_t kp_slist_depth(const kp_slist_header_t *head) {
  if (!header_ok(head)) return 0;
  return kpi_slist_depth(head);
}

kp_slist_entry_t *kp_slist_first(const kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  return (kp_slist_entry_t *)(uintptr_t)__atomic_load_n(&head->region,
                                                        __ATOMIC_ACQUIRE);
}

uint64_t kp_slist_sequence(const kp_slist_header_t *head) {
  if (!header_ok(head)) return 0;
  return __atomic_load_n(&head->alignment, __ATOMIC_ACQUIRE) >>
         KP_SLIST_SEQUENCE_SHIFT;
}

bool kp_slist_lock_free(void) { return KPI_SLIST_LOCK_FREE != 0; }

kp_slist_entry_t *kp_slist_push(kp_slist_header_t *head,
                                kp_slist_entry_t *entry) {
  if (!header_ok(head) || !entry_ok(entry)) return NULL;
  return kpi_slist_push(head, entry);
}

kp_slist_entry_t *kp_slist_pop(kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  return kpi_slist_pop(head);
}

kp_slist_entry_t *kp_slist_flush(kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  return kpi_slist_flush(head);
}

kp_slist_entry_t *kp_slist_push_list(kp_slist_header_t *head,
                                     kp_slist_entry_t *first,
                                     kp_slist_entry_t *last, uint32_t count) {
  if (!header_ok(head) || !entry_ok(first) || !entry_ok(last)) return NULL;
  if (count == 0) {
    kp_raise_status(KP_STATUS_INVALID_PARAMETER);
    return NULL;
  }
  return kpi_slist_push_list(head, first, last, count);
}

#if !KPI_SLIST_LOCK_FREE
kpi_slist_stripe_t kpi_slist_stripes[KPI_SLIST_STRIPES];
#endif
