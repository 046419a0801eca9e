/*
 * qspinlock.c — in-stack queued spin locks (an MCS queue on the KSPIN_LOCK
 * word), KeTryToAcquireSpinLockAtDpcLevel, KeTestSpinLock and the
 * SYNCH_LEVEL forms (facts §2.1, §2.2). Checks run before any change.
 */
#include <stdatomic.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"

_Static_assert(sizeof(kp_queued_lock_handle_t) == 0x18,
               "KLOCK_QUEUE_HANDLE is 0x18 bytes");
_Static_assert(offsetof(kp_queued_lock_handle_t, old_irql) == 0x10,
               "KLOCK_QUEUE_HANDLE.OldIrql");

// Ordinary holders store their thread number (1, 2, ...); queued holders
// store a handle address. No handle lives in the first page.
#define Q_IS_THREAD_NUMBER(v) ((v) != 0 && (v) < 4096u)
#define Q_WAITING ((uintptr_t)1)

static _Atomic uintptr_t *q_word(const kp_spin_lock_t *lock) {
  return (_Atomic uintptr_t *)(uintptr_t)lock;
}
static _Atomic uintptr_t *q_next(kp_queued_lock_handle_t *h) {
  return (_Atomic uintptr_t *)(uintptr_t)&h->next;
}
static _Atomic uintptr_t *q_lockf(kp_queued_lock_handle_t *h) {
  return (_Atomic uintptr_t *)(uintptr_t)&h->lock;
}

static const char *const q_acq_api[] = {"KeAcquireInStackQueuedSpinLock",
                                        "KeAcquireInStackQueuedSpinLockAtDpcLevel",
                                        "KeAcquireInStackQueuedSpinLockForDpc"};
static const char *const q_rel_api[] = {
    "KeReleaseInStackQueuedSpinLock",
    "KeReleaseInStackQueuedSpinLockFromDpcLevel",
    "KeReleaseInStackQueuedSpinLockForDpc"};

static void q_spin_until_clear(_Atomic uintptr_t *w, uintptr_t bit) {
  int spins = 0;
  while (atomic_load_explicit(w, memory_order_acquire) & bit) {
    if (++spins >= KPI_SPINS_BEFORE_YIELD) {
      kpi_os_yield();
      spins = 0;
    }
  }
}

void kp_queued_spin_lock_acquire(kp_spin_lock_t *lock,
                                 kp_queued_lock_handle_t *handle,
                                 kp_queued_form_t form, kp_site_t site) {
  if ((unsigned)form > KP_QUEUED_FOR_DPC) form = KP_QUEUED_RAISE;
  const char *api = q_acq_api[form];
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  if (!kpi_sync_object_ok(handle, _Alignof(kp_queued_lock_handle_t), site, api))
    return;
  bool raise = form == KP_QUEUED_RAISE ||
               (form == KP_QUEUED_FOR_DPC && old < KP_DISPATCH_LEVEL);
  if (raise && old > KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_ACQUIRE_IRQL, old, (uint64_t)(uintptr_t)lock, 0, site,
                "%s(%p) called at IRQL %u (%s); it raises to DISPATCH_LEVEL "
                "and must be called at or below it.",
                api, (void *)lock, (unsigned)old, kpi_irql_name(old));
    return;
  }
  if (!raise && old < KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_ACQUIRE_AT_DPC_IRQL, old, (uint64_t)(uintptr_t)lock,
                0, site,
                "%s(%p) called at IRQL %u (%s); the caller must already run at "
                "DISPATCH_LEVEL or above.",
                api, (void *)lock, (unsigned)old, kpi_irql_name(old));
    return;
  }
  if (kpi_held_find(lock) != NULL) {
    kpi_sync_self_deadlock(lock, site, api, "spin lock");
    return;
  }
  if (!kpi_lock_acquiring(lock, KPI_LOCK_QUEUED_SPIN, true, site, api)) return;
  _Atomic uintptr_t *w = q_word(lock);
  uintptr_t v = atomic_load_explicit(w, memory_order_relaxed);
  if (Q_IS_THREAD_NUMBER(v)) {
    kpi_sync_c4(KP_C4_ACQUIRE_API_MISMATCH, (uint64_t)(uintptr_t)lock, 0, 0,
                site,
                "%s(%p): the spin lock is held through KeAcquireSpinLock (by "
                "thread %u); one KSPIN_LOCK must be used only with the queued "
                "routines or only with the ordinary ones.",
                api, (void *)lock, (unsigned)v);
    return;
  }
  if (raise) kpi_irql_store(t, KP_DISPATCH_LEVEL);
  handle->old_irql = old;
  handle->thread_ = t->id;
  atomic_store_explicit(q_next(handle), 0, memory_order_relaxed);
  atomic_store_explicit(q_lockf(handle), (uintptr_t)lock | Q_WAITING,
                        memory_order_relaxed);
  uintptr_t me = (uintptr_t)handle;
  for (;;) {
    v = atomic_load_explicit(w, memory_order_relaxed);
    if (Q_IS_THREAD_NUMBER(v)) {
      // An ordinary holder took it meanwhile: wait for it to let go.
      kpi_os_yield();
      continue;
    }
    if (atomic_compare_exchange_weak_explicit(w, &v, me, memory_order_acq_rel,
                                              memory_order_relaxed))
      break;
  }
  if (v == 0) {
    atomic_store_explicit(q_lockf(handle), (uintptr_t)lock, memory_order_relaxed);
  } else {
    // Join the queue behind the previous tail and spin on our own handle.
    kp_queued_lock_handle_t *pred = (kp_queued_lock_handle_t *)v;
    atomic_store_explicit(q_next(pred), me, memory_order_release);
    q_spin_until_clear(q_lockf(handle), Q_WAITING);
  }
  t->spin_locks_held++;
  kpi_lock_acquired(lock, KPI_LOCK_QUEUED_SPIN, false, site);
  kpi_held_t *h = kpi_held_find(lock);
  if (h != NULL) h->raised_to = raise ? KP_DISPATCH_LEVEL : 0;
}

void kp_queued_spin_lock_release(kp_queued_lock_handle_t *handle,
                                 kp_queued_form_t form, kp_site_t site) {
  if ((unsigned)form > KP_QUEUED_FOR_DPC) form = KP_QUEUED_RAISE;
  const char *api = q_rel_api[form];
  kpi_thread_t *t = kpi_thread();
  if (!kpi_sync_object_ok(handle, _Alignof(kp_queued_lock_handle_t), site, api))
    return;
  kp_spin_lock_t *lock = (kp_spin_lock_t *)(
      atomic_load_explicit(q_lockf(handle), memory_order_relaxed) & ~Q_WAITING);
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  kp_irql_t cur = t->irql;
  kp_irql_t old = handle->old_irql;
  bool lower = form == KP_QUEUED_RAISE ||
               (form == KP_QUEUED_FOR_DPC && old < KP_DISPATCH_LEVEL);
  if (lower && cur != KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_QUEUED_RELEASE_IRQL, cur, (uint64_t)(uintptr_t)lock, old,
                site,
                "%s for the lock %p called at IRQL %u (%s) instead of "
                "DISPATCH_LEVEL; this is typically a second release.",
                api, (void *)lock, (unsigned)cur, kpi_irql_name(cur));
    return;
  }
  if (!lower && cur < KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_RELEASE_FROM_DPC_IRQL, cur, (uint64_t)(uintptr_t)lock,
                0, site,
                "%s for the lock %p called at IRQL %u (%s); the caller must "
                "run at DISPATCH_LEVEL or above.",
                api, (void *)lock, (unsigned)cur, kpi_irql_name(cur));
    return;
  }
  _Atomic uintptr_t *w = q_word(lock);
  uintptr_t v = atomic_load_explicit(w, memory_order_relaxed);
  if (v == 0 || Q_IS_THREAD_NUMBER(v) || kpi_held_find(lock) == NULL ||
      handle->thread_ != t->id) {
    uint64_t holder = v == 0 ? 0 : Q_IS_THREAD_NUMBER(v) ? v : handle->thread_;
    if (holder == t->id) holder = 0;
    (void)kpi_sync_release_owner_ok(lock, holder, site, api,
                                    "in-stack queued spin lock");
    return;
  }
  if (!kpi_lock_release_kind_ok(lock, KPI_LOCK_QUEUED_SPIN, site, api)) return;
  kpi_lock_released(lock, NULL);
  if (t->spin_locks_held > 0) t->spin_locks_held--;
  uintptr_t me = (uintptr_t)handle;
  uintptr_t next = atomic_load_explicit(q_next(handle), memory_order_acquire);
  if (next == 0) {
    uintptr_t expected = me;
    if (!atomic_compare_exchange_strong_explicit(w, &expected, 0,
                                                 memory_order_release,
                                                 memory_order_relaxed)) {
      // A waiter swapped itself in but has not linked yet.
      while ((next = atomic_load_explicit(q_next(handle),
                                          memory_order_acquire)) == 0)
        kpi_os_yield();
    }
  }
  if (next != 0) {
    kp_queued_lock_handle_t *n = (kp_queued_lock_handle_t *)next;
    atomic_store_explicit(q_lockf(n), (uintptr_t)lock, memory_order_release);
  }
  atomic_store_explicit(q_lockf(handle), (uintptr_t)lock, memory_order_relaxed);
  if (lower) kpi_irql_store(t, old);
}

bool kp_spin_lock_try_at_dpc(kp_spin_lock_t *lock, kp_site_t site) {
  const char *api = "KeTryToAcquireSpinLockAtDpcLevel";
  kpi_thread_t *t = kpi_thread();
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return false;
  if (t->irql < KP_DISPATCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_ACQUIRE_AT_DPC_IRQL, t->irql,
                (uint64_t)(uintptr_t)lock, 0, site,
                "%s(%p) called at IRQL %u (%s); the caller must run at "
                "DISPATCH_LEVEL.",
                api, (void *)lock, (unsigned)t->irql, kpi_irql_name(t->irql));
    return false;
  }
  if (!kpi_lock_acquiring(lock, KPI_LOCK_SPIN, false, site, api)) return false;
  uintptr_t expected = 0;
  if (!atomic_compare_exchange_strong_explicit(q_word(lock), &expected, t->id,
                                               memory_order_acquire,
                                               memory_order_relaxed))
    return false;
  t->spin_locks_held++;
  kpi_lock_acquired(lock, KPI_LOCK_SPIN, false, site);
  return true;
}

bool kp_spin_lock_test(const kp_spin_lock_t *lock) {
  if (lock == NULL) {
    (void)kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t),
                             kp_site(NULL, 0, KPI_CALLER()), "KeTestSpinLock");
    return false;
  }
  return atomic_load_explicit(q_word(lock), memory_order_relaxed) == 0;
}

kp_irql_t kp_spin_lock_acquire_raise_to_synch(kp_spin_lock_t *lock,
                                              kp_site_t site) {
  const char *api = "KeAcquireSpinLockRaiseToSynch";
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return old;
  if (old > KP_SYNCH_LEVEL) {
    kpi_sync_c4(KP_C4_SPIN_ACQUIRE_IRQL, old, (uint64_t)(uintptr_t)lock, 0, site,
                "%s(%p) called at IRQL %u (%s); it raises to SYNCH_LEVEL (12) "
                "and must be called at or below it.",
                api, (void *)lock, (unsigned)old, kpi_irql_name(old));
    return old;
  }
  _Atomic uintptr_t *w = q_word(lock);
  if (atomic_load_explicit(w, memory_order_relaxed) == t->id) {
    kpi_sync_self_deadlock(lock, site, api, "spin lock");
    return old;
  }
  if (!kpi_lock_acquiring(lock, KPI_LOCK_SPIN, true, site, api)) return old;
  kpi_irql_store(t, KP_SYNCH_LEVEL);
  for (;;) {
    uintptr_t expected = 0;
    if (atomic_compare_exchange_weak_explicit(w, &expected, t->id,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      break;
    kpi_os_yield();
  }
  t->spin_locks_held++;
  kpi_lock_acquired(lock, KPI_LOCK_SPIN, false, site);
  kpi_held_t *h = kpi_held_find(lock);
  if (h != NULL) h->raised_to = KP_SYNCH_LEVEL;
  return old;
}

kp_irql_t kp_irql_raise_to_synch(void) { return kp_irql_raise(KP_SYNCH_LEVEL); }
