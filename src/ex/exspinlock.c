/*
 * exspinlock.c — executive reader/writer spin locks (EX_SPIN_LOCK, facts
 * §2.3): readers share, a writer waits for them to leave, and while a
 * writer waits new readers wait too (writer preference).
 */
#include <stdatomic.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"
#include "rtl/kp_rtl.h"

#define XS_EXCL ((int32_t)0x80000000)
#define XS_WAIT ((int32_t)0x40000000)
#define XS_READERS 0x3FFFFFFF

static _Atomic int32_t *xs_word(kp_ex_spin_lock_t *l) {
  return (_Atomic int32_t *)l;
}

static void xs_backoff(int *spins) {
  if (++*spins >= KPI_SPINS_BEFORE_YIELD) {
    kpi_os_yield();
    *spins = 0;
  }
}

static bool xs_try(kp_ex_spin_lock_t *lock, bool exclusive, bool mark_wait) {
  _Atomic int32_t *w = xs_word(lock);
  int32_t v = atomic_load_explicit(w, memory_order_relaxed);
  if (exclusive) {
    if (v == 0 || v == XS_WAIT)
      return atomic_compare_exchange_strong_explicit(
          w, &v, XS_EXCL, memory_order_acquire, memory_order_relaxed);
    if (mark_wait && !(v & XS_WAIT))
      atomic_fetch_or_explicit(w, XS_WAIT, memory_order_relaxed);
    return false;
  }
  if (v & (XS_EXCL | XS_WAIT)) return false;
  return atomic_compare_exchange_strong_explicit(w, &v, v + 1,
                                                 memory_order_acquire,
                                                 memory_order_relaxed);
}

static const char *xs_acq_api(bool exclusive, bool at_dpc) {
  if (exclusive)
    return at_dpc ? "ExAcquireSpinLockExclusiveAtDpcLevel"
                  : "ExAcquireSpinLockExclusive";
  return at_dpc ? "ExAcquireSpinLockSharedAtDpcLevel" : "ExAcquireSpinLockShared";
}

static bool xs_acquire_checks(kp_ex_spin_lock_t *lock, bool at_dpc,
                              kp_irql_t irql, kp_site_t site, const char *api) {
  if (!kpi_sync_object_ok(lock, _Alignof(kp_ex_spin_lock_t), site, api))
    return false;
  if (!at_dpc && irql > KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_ACQUIRE_IRQL, irql, (uint64_t)(uintptr_t)lock, 0,
                site, "%s(%p) called at IRQL %u (%s); it raises to "
                "DISPATCH_LEVEL and must be called at or below it.",
                api, (void *)lock, (unsigned)irql, kpi_irql_name(irql));
    return false;
  }
  if (at_dpc && irql < KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_ACQUIRE_AT_DPC_IRQL, irql, (uint64_t)(uintptr_t)lock,
                0, site, "%s(%p) called at IRQL %u (%s); the caller must "
                "already run at DISPATCH_LEVEL or above.",
                api, (void *)lock, (unsigned)irql, kpi_irql_name(irql));
    return false;
  }
  return true;
}

kp_irql_t kp_ex_spin_lock_acquire(kp_ex_spin_lock_t *lock, bool exclusive,
                                  bool at_dpc, kp_site_t site) {
  const char *api = xs_acq_api(exclusive, at_dpc);
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!xs_acquire_checks(lock, at_dpc, old, site, api)) return old;
  if (kpi_held_find(lock) != NULL) {
    kpi_sync_self_deadlock(lock, site, api, "executive spin lock");
    return old;
  }
  if (!kpi_lock_acquiring(lock, KPI_LOCK_EX_SPIN, true, site, api)) return old;
  if (!at_dpc) kpi_irql_store(t, KP_DISPATCH_LEVEL);
  int spins = 0;
  while (!xs_try(lock, exclusive, true)) xs_backoff(&spins);
  kpi_lock_acquired(lock, KPI_LOCK_EX_SPIN, !exclusive, site);
  return old;
}

bool kp_ex_spin_lock_try_at_dpc(kp_ex_spin_lock_t *lock, bool exclusive,
                                kp_site_t site) {
  const char *api = exclusive ? "ExTryAcquireSpinLockExclusiveAtDpcLevel"
                              : "ExTryAcquireSpinLockSharedAtDpcLevel";
  if (!xs_acquire_checks(lock, true, kpi_irql(), site, api)) return false;
  if (kpi_held_find(lock) != NULL) return false;
  if (!kpi_lock_acquiring(lock, KPI_LOCK_EX_SPIN, false, site, api)) return false;
  if (!xs_try(lock, exclusive, false)) return false;
  kpi_lock_acquired(lock, KPI_LOCK_EX_SPIN, !exclusive, site);
  return true;
}

// The caller's hold of @lock in the mode asked for; false after a bug check.
static bool xs_held_ok(kp_ex_spin_lock_t *lock, bool exclusive, kp_site_t site,
                       const char *api) {
  const kpi_held_t *h = kpi_held_find(lock);
  int32_t v = atomic_load_explicit(xs_word(lock), memory_order_relaxed);
  if (h == NULL) {
    uint64_t someone = (v & (XS_EXCL | XS_READERS)) != 0;
    kpi_sync_c4(someone ? KP_C4_UNEXPECTED_THREAD : KP_C4_UNACQUIRED_RESOURCE,
                (uint64_t)(uintptr_t)lock, 0, someone ? kp_thread_id() : 0, site,
                "%s(%p): thread %u does not hold this executive spin lock%s.",
                api, (void *)lock, kp_thread_id(),
                someone ? " (other threads do)" : " (nobody does)");
    return false;
  }
  if ((h->shared != 0) == exclusive) {
    char where[256];
    kpi_site_text(h->site, where, sizeof where);
    kpi_sync_c4(KP_C4_RELEASE_API_MISMATCH, (uint64_t)(uintptr_t)lock, 0, 0,
                site,
                "%s(%p): the lock was acquired %s at %s; release it with the "
                "%s routine.",
                api, (void *)lock, h->shared ? "shared" : "exclusive", where,
                h->shared ? "shared" : "exclusive");
    return false;
  }
  return true;
}

void kp_ex_spin_lock_release(kp_ex_spin_lock_t *lock, bool exclusive,
                             bool at_dpc, kp_irql_t old_irql, kp_site_t site) {
  const char *api =
      exclusive ? (at_dpc ? "ExReleaseSpinLockExclusiveFromDpcLevel"
                          : "ExReleaseSpinLockExclusive")
                : (at_dpc ? "ExReleaseSpinLockSharedFromDpcLevel"
                          : "ExReleaseSpinLockShared");
  kpi_thread_t *t = kpi_thread();
  if (!kpi_sync_object_ok(lock, _Alignof(kp_ex_spin_lock_t), site, api)) return;
  kp_irql_t cur = t->irql;
  if (!at_dpc && cur != KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_RELEASE_IRQL, cur, (uint64_t)(uintptr_t)lock, 0, site,
                "%s(%p) called at IRQL %u (%s) instead of DISPATCH_LEVEL; this "
                "is typically a second release.",
                api, (void *)lock, (unsigned)cur, kpi_irql_name(cur));
    return;
  }
  if (at_dpc && cur < KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_RELEASE_FROM_DPC_IRQL, cur,
                (uint64_t)(uintptr_t)lock, 0, site,
                "%s(%p) called at IRQL %u (%s); the caller must run at "
                "DISPATCH_LEVEL or above.",
                api, (void *)lock, (unsigned)cur, kpi_irql_name(cur));
    return;
  }
  if (!xs_held_ok(lock, exclusive, site, api)) return;
  if (!at_dpc && old_irql > KP_DISPATCH_LEVEL) {
    kp_irql_lower(old_irql); // raises the lowering check's bug check
    return;
  }
  kpi_lock_released(lock, NULL);
  if (exclusive)
    atomic_fetch_and_explicit(xs_word(lock), XS_WAIT, memory_order_release);
  else
    atomic_fetch_sub_explicit(xs_word(lock), 1, memory_order_release);
  if (!at_dpc) kpi_irql_store(t, old_irql);
}

bool kp_ex_spin_lock_try_convert(kp_ex_spin_lock_t *lock, kp_site_t site) {
  const char *api = "ExTryConvertSharedSpinLockExclusive";
  if (!kpi_sync_object_ok(lock, _Alignof(kp_ex_spin_lock_t), site, api))
    return false;
  if (!xs_held_ok(lock, false, site, api)) return false;
  int32_t expected = 1;
  if (!atomic_compare_exchange_strong_explicit(xs_word(lock), &expected,
                                               XS_EXCL, memory_order_acquire,
                                               memory_order_relaxed))
    return false;
  kpi_held_find(lock)->shared = 0;
  return true;
}
