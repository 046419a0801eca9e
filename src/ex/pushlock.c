/*
 * pushlock.c — push locks (EX_PUSH_LOCK, facts §4.2): a word with an
 * exclusive bit, a writer-waiting bit and a reader count; waiters sleep on
 * the wait channel.
 */
#include <stdatomic.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"

#define PL_EXCL ((uintptr_t)1)
#define PL_WAIT ((uintptr_t)2)
#define PL_READER ((uintptr_t)4)

static _Atomic uintptr_t *pl_word(kp_push_lock_t *l) {
  return (_Atomic uintptr_t *)l;
}

void kp_push_lock_init(kp_push_lock_t *lock, kp_site_t site) {
  if (!kpi_sync_object_ok(lock, _Alignof(kp_push_lock_t), site,
                          "ExInitializePushLock"))
    return;
  kpi_lock_forget(lock);
  atomic_store_explicit(pl_word(lock), 0, memory_order_release);
}

static bool pl_apcs_ok(kp_push_lock_t *lock, uint64_t code, kp_site_t site,
                       const char *api) {
  if (kpi_normal_apcs_off() || !kpi_sync_verifier()) return true;
  kpi_sync_c4(code, kpi_irql(), kpi_apc_combined(), (uint64_t)(uintptr_t)lock,
              site,
              "%s(%p) with normal kernel APCs enabled: call it inside a "
              "critical region (KeEnterCriticalRegion) or guarded region.",
              api, (void *)lock);
  return false;
}

// One attempt; @reentrant_shared lets a reader in past a waiting writer.
static bool pl_try(kp_push_lock_t *lock, bool exclusive, bool reentrant_shared) {
  _Atomic uintptr_t *w = pl_word(lock);
  uintptr_t v = atomic_load_explicit(w, memory_order_relaxed);
  if (exclusive) {
    if (v == 0 || v == PL_WAIT)
      return atomic_compare_exchange_strong_explicit(
          w, &v, PL_EXCL, memory_order_acquire, memory_order_relaxed);
    if (!(v & PL_WAIT)) atomic_fetch_or_explicit(w, PL_WAIT, memory_order_relaxed);
    return false;
  }
  if ((v & PL_EXCL) || ((v & PL_WAIT) && !reentrant_shared)) return false;
  return atomic_compare_exchange_strong_explicit(
      w, &v, v + PL_READER, memory_order_acquire, memory_order_relaxed);
}

void kp_push_lock_acquire(kp_push_lock_t *lock, bool exclusive, kp_site_t site) {
  const char *api = exclusive ? "ExAcquirePushLockExclusive"
                              : "ExAcquirePushLockShared";
  if (!kpi_sync_object_ok(lock, _Alignof(kp_push_lock_t), site, api)) return;
  kp_irql_t irql = kpi_irql();
  if (irql > KP_APC_LEVEL) {
    kpi_sync_bugcheck(KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL,
                      (uint64_t)(uintptr_t)lock, irql, 0, 0, site,
                      "%s(%p) called at IRQL %u (%s); push locks are acquired "
                      "at or below APC_LEVEL.",
                      api, (void *)lock, (unsigned)irql, kpi_irql_name(irql));
    return;
  }
  if (!pl_apcs_ok(lock, KP_C4_PUSH_LOCK_ACQUIRE_APCS, site, api)) return;
  kpi_held_t *h = kpi_held_find(lock);
  if (h != NULL && (exclusive || !h->shared)) {
    kpi_sync_self_deadlock(lock, site, api, "push lock");
    return;
  }
  if (!kpi_lock_acquiring(lock, KPI_LOCK_PUSH_LOCK, h == NULL, site, api)) return;
  bool reentrant = h != NULL;
  if (!pl_try(lock, exclusive, reentrant)) {
    kpi_waitq_lock();
    while (!pl_try(lock, exclusive, reentrant)) kpi_waitq_sleep();
    kpi_waitq_unlock();
  }
  kpi_lock_acquired(lock, KPI_LOCK_PUSH_LOCK, !exclusive, site);
}

void kp_push_lock_release(kp_push_lock_t *lock, bool exclusive, kp_site_t site) {
  const char *api = exclusive ? "ExReleasePushLockExclusive"
                              : "ExReleasePushLockShared";
  if (!kpi_sync_object_ok(lock, _Alignof(kp_push_lock_t), site, api)) return;
  if (!pl_apcs_ok(lock, KP_C4_PUSH_LOCK_RELEASE_APCS, site, api)) return;
  const kpi_held_t *h = kpi_held_find(lock);
  uintptr_t v = atomic_load_explicit(pl_word(lock), memory_order_relaxed);
  if (h == NULL) {
    bool someone = (v & ~PL_WAIT) != 0;
    kpi_sync_c4(someone ? KP_C4_UNEXPECTED_THREAD : KP_C4_UNACQUIRED_RESOURCE,
                (uint64_t)(uintptr_t)lock, 0, someone ? kp_thread_id() : 0, site,
                "%s(%p): thread %u does not hold this push lock%s.", api,
                (void *)lock, kp_thread_id(),
                someone ? " (other threads do)" : " (nobody does)");
    return;
  }
  if ((h->shared != 0) == exclusive) {
    kpi_sync_c4(KP_C4_RELEASE_API_MISMATCH, (uint64_t)(uintptr_t)lock, 0, 0,
                site, "%s(%p): the push lock is held %s; release it with the "
                "%s routine.",
                api, (void *)lock, h->shared ? "shared" : "exclusive",
                h->shared ? "shared" : "exclusive");
    return;
  }
  kpi_lock_released(lock, NULL);
  if (exclusive)
    atomic_fetch_and_explicit(pl_word(lock), PL_WAIT, memory_order_release);
  else
    atomic_fetch_sub_explicit(pl_word(lock), PL_READER, memory_order_release);
  kpi_waitq_wake_all();
}
