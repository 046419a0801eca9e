/*
 * rundown.c — rundown protection (EX_RUNDOWN_REF, facts §4.3): bit 0 marks
 * the run-down, references count in steps of 2 above it; the waiter
 * sleeps on the wait channel until the count reaches zero.
 */
#include <stdatomic.h>

#include "ke/kp_sync.h"

#define RD_ACTIVE ((uintptr_t)1)
#define RD_INC ((uintptr_t)2)

static _Atomic uintptr_t *rd_word(kp_rundown_ref_t *r) {
  return (_Atomic uintptr_t *)r;
}

void kp_rundown_init(kp_rundown_ref_t *ref) {
  atomic_store_explicit(rd_word(ref), 0, memory_order_release);
}

bool kp_rundown_acquire(kp_rundown_ref_t *ref, uint32_t count) {
  _Atomic uintptr_t *w = rd_word(ref);
  uintptr_t v = atomic_load_explicit(w, memory_order_relaxed);
  for (;;) {
    if (v & RD_ACTIVE) return false;
    if (atomic_compare_exchange_weak_explicit(w, &v, v + RD_INC * count,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      return true;
  }
}

void kp_rundown_release(kp_rundown_ref_t *ref, uint32_t count, kp_site_t site) {
  _Atomic uintptr_t *w = rd_word(ref);
  uintptr_t v = atomic_load_explicit(w, memory_order_relaxed);
  for (;;) {
    if ((v >> 1) < count) {
      kpi_sync_bugcheck(KP_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE,
                        KP_SECURITY_CHECK_INVALID_REFCOUNT, 0, 0,
                        (uint64_t)(uintptr_t)ref, site,
                        "ExReleaseRundownProtection(%p) releases %u "
                        "reference%s but only %llu %s held: more releases than "
                        "acquires.",
                        (void *)ref, (unsigned)count, count == 1 ? "" : "s",
                        (unsigned long long)(v >> 1), (v >> 1) == 1 ? "is" : "are");
      return;
    }
    if (atomic_compare_exchange_weak_explicit(w, &v, v - RD_INC * count,
                                              memory_order_release,
                                              memory_order_relaxed))
      break;
  }
  if (v - RD_INC * count == RD_ACTIVE) kpi_waitq_wake_all();
}

void kp_rundown_wait(kp_rundown_ref_t *ref) {
  _Atomic uintptr_t *w = rd_word(ref);
  atomic_fetch_or_explicit(w, RD_ACTIVE, memory_order_acq_rel);
  if (atomic_load_explicit(w, memory_order_acquire) == RD_ACTIVE) return;
  kpi_waitq_lock();
  while (atomic_load_explicit(w, memory_order_acquire) != RD_ACTIVE)
    kpi_waitq_sleep();
  kpi_waitq_unlock();
}

void kp_rundown_completed(kp_rundown_ref_t *ref) {
  atomic_store_explicit(rd_word(ref), RD_ACTIVE, memory_order_release);
}

uint32_t kp_rundown_count(const kp_rundown_ref_t *ref) {
  return (uint32_t)(atomic_load_explicit(rd_word((kp_rundown_ref_t *)(uintptr_t)ref),
                                         memory_order_acquire) >> 1);
}
