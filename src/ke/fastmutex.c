/*
 * fastmutex.c — fast mutexes (ExAcquireFastMutex and the Unsafe forms) and
 * guarded mutexes (KeAcquireGuardedMutex and its forms), over the public
 * x64 FAST_MUTEX layout (facts §3.1, §3.2). Mutual exclusion is a
 * compare-and-swap on the holder word; a waiter spins and yields the host
 * CPU. Every check runs before any state changes, so a bug check handler
 * that returns leaves the mutex and the IRQL as they were.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"

_Static_assert(sizeof(kp_fast_mutex_t) == 0x38, "FAST_MUTEX is 0x38 bytes");
_Static_assert(offsetof(kp_fast_mutex_t, owner) == 0x08, "FAST_MUTEX.Owner");
_Static_assert(offsetof(kp_fast_mutex_t, contention) == 0x10,
               "FAST_MUTEX.Contention");
_Static_assert(offsetof(kp_fast_mutex_t, event_) == 0x18, "FAST_MUTEX.Event");
_Static_assert(offsetof(kp_fast_mutex_t, old_irql) == 0x30,
               "FAST_MUTEX.OldIrql");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
               "atomic holder word must match uint32_t");

#define FM_COOKIE 0x4B50464D55544558ull /* "KPFMUTEX" */
#define FM_TAKEN_UNSAFE 0x1u            /* flags_: taken by an Unsafe acquire */

typedef enum fm_form { FM_FAST, FM_FAST_UNSAFE, FM_GUARDED, FM_GUARDED_UNSAFE } fm_form_t;

static const char *const fm_acquire_api[] = {
    "ExAcquireFastMutex", "ExAcquireFastMutexUnsafe", "KeAcquireGuardedMutex",
    "KeAcquireGuardedMutexUnsafe"};
static const char *const fm_try_api[] = {"ExTryToAcquireFastMutex", "",
                                         "KeTryToAcquireGuardedMutex", ""};
static const char *const fm_release_api[] = {
    "ExReleaseFastMutex", "ExReleaseFastMutexUnsafe", "KeReleaseGuardedMutex",
    "KeReleaseGuardedMutexUnsafe"};

static bool fm_guarded(fm_form_t f) { return f == FM_GUARDED || f == FM_GUARDED_UNSAFE; }
static bool fm_unsafe(fm_form_t f) { return f == FM_FAST_UNSAFE || f == FM_GUARDED_UNSAFE; }
static kpi_lock_kind_t fm_kind(fm_form_t f) {
  return fm_guarded(f) ? KPI_LOCK_GUARDED_MUTEX : KPI_LOCK_FAST_MUTEX;
}
static const char *fm_noun(fm_form_t f) {
  return fm_guarded(f) ? "guarded mutex" : "fast mutex";
}

static volatile _Atomic uint32_t *fm_word(kp_fast_mutex_t *m) {
  return (volatile _Atomic uint32_t *)&m->holder;
}

static uint64_t fm_cookie(const kp_fast_mutex_t *m) {
  return (uint64_t)(uintptr_t)m ^ FM_COOKIE;
}

// The address-derived cookie also catches a mutex copied to new storage.
static bool fm_initialized(const kp_fast_mutex_t *m) {
  return m->event_[0] == fm_cookie(m);
}

static void fm_init(kp_fast_mutex_t *m, kp_site_t site, const char *api) {
  if (!kpi_sync_object_ok(m, _Alignof(kp_fast_mutex_t), site, api)) return;
  kpi_lock_forget(m);
  m->owner = NULL;
  m->contention = 0;
  m->flags_ = 0;
  m->event_[0] = fm_cookie(m);
  m->event_[1] = 0;
  m->event_[2] = 0;
  m->old_irql = 0;
  m->reserved_ = 0;
  m->count = 1;
  atomic_store_explicit(fm_word(m), 0, memory_order_release);
}

void kp_fast_mutex_init(kp_fast_mutex_t *m) {
  fm_init(m, kp_site_take(KPI_CALLER()), "ExInitializeFastMutex");
}

void kp_guarded_mutex_init(kp_fast_mutex_t *m, kp_site_t site) {
  fm_init(m, site, "KeInitializeGuardedMutex");
}

// The unsafe forms' rule: APC_LEVEL, or normal kernel APCs disabled by a
// critical or guarded region (guarded forms: a guarded region).
static bool fm_unsafe_context_ok(fm_form_t f, kp_irql_t irql) {
  const kpi_apc_state_t *a = kpi_apc_state();
  if (irql > KP_APC_LEVEL) return false;
  if (irql == KP_APC_LEVEL) return true;
  if (f == FM_GUARDED_UNSAFE) return a->special_apc_disable != 0;
  return a->kernel_apc_disable != 0 || a->special_apc_disable != 0;
}

// Checks shared by every acquire form. True when it may proceed.
static bool fm_acquire_ok(kp_fast_mutex_t *m, fm_form_t f, kp_irql_t irql,
                          kp_site_t site, const char *api) {
  if (!kpi_sync_object_ok(m, _Alignof(kp_fast_mutex_t), site, api)) return false;
  if (fm_unsafe(f)) {
    if (!fm_unsafe_context_ok(f, irql)) {
      kpi_sync_c4(KP_C4_UNSAFE_MUTEX_ACQUIRE, irql, kpi_apc_combined(),
                  (uint64_t)(uintptr_t)m, site,
                  "%s(%p) called at IRQL %u (%s) with APC disable count "
                  "0x%08X: the caller must run at APC_LEVEL or inside a %s "
                  "region.",
                  api, (void *)m, (unsigned)irql, kpi_irql_name(irql),
                  (unsigned)kpi_apc_combined(),
                  f == FM_GUARDED_UNSAFE ? "guarded" : "critical or guarded");
      return false;
    }
  } else if (irql > KP_APC_LEVEL) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p) called at IRQL %u (%s); %ss are acquired at or below "
             "APC_LEVEL.",
             api, (void *)m, (unsigned)irql, kpi_irql_name(irql), fm_noun(f));
    if (kpi_sync_verifier())
      kpi_sync_c4(KP_C4_FAST_MUTEX_ACQUIRE_IRQL, irql, (uint64_t)(uintptr_t)m, 0,
                  site, "%s", what);
    else
      kpi_sync_bugcheck(KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL,
                        (uint64_t)(uintptr_t)m, irql, 0, 0, site, "%s", what);
    return false;
  }
  if (!fm_initialized(m)) {
    kpi_sync_c4(KP_C4_UNINITIALIZED_RESOURCE, (uint64_t)(uintptr_t)m, 0, 0, site,
                "%s(%p): the %s was never initialised with %s (or was copied "
                "after it).",
                api, (void *)m, fm_noun(f),
                fm_guarded(f) ? "KeInitializeGuardedMutex"
                              : "ExInitializeFastMutex");
    return false;
  }
  return true;
}

static void fm_took(kp_fast_mutex_t *m, fm_form_t f, kpi_thread_t *t,
                    kp_irql_t old, kp_site_t site) {
  m->count = 0;
  m->owner = (void *)kpi_thread_token();
  m->flags_ = fm_unsafe(f) ? FM_TAKEN_UNSAFE : 0;
  if (f == FM_FAST) {
    m->old_irql = old;
    kpi_irql_store(t, KP_APC_LEVEL);
  } else if (f == FM_GUARDED) {
    kpi_guarded_enter_raw();
  }
  kpi_lock_acquired(m, fm_kind(f), false, site);
}

static void fm_acquire(kp_fast_mutex_t *m, fm_form_t f, kp_site_t site) {
  kpi_thread_t *t = kpi_thread();
  const char *api = fm_acquire_api[f];
  kp_irql_t old = t->irql;
  if (!fm_acquire_ok(m, f, old, site, api)) return;
  volatile _Atomic uint32_t *w = fm_word(m);
  if (atomic_load_explicit(w, memory_order_relaxed) == t->id) {
    kpi_sync_self_deadlock(m, site, api, fm_noun(f));
    return;
  }
  if (!kpi_lock_acquiring(m, fm_kind(f), true, site, api)) return;
  bool waited = false;
  for (;;) {
    uint32_t expected = 0;
    if (atomic_compare_exchange_weak_explicit(w, &expected, t->id,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      break;
    waited = true;
    int spins = 0;
    while (atomic_load_explicit(w, memory_order_relaxed) != 0) {
      if (++spins >= KPI_SPINS_BEFORE_YIELD) {
        kpi_os_yield();
        spins = 0;
      }
    }
  }
  if (waited) m->contention++;
  fm_took(m, f, t, old, site);
}

static bool fm_try(kp_fast_mutex_t *m, fm_form_t f, kp_site_t site) {
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!fm_acquire_ok(m, f, old, site, fm_try_api[f])) return false;
  uint32_t expected = 0;
  if (!atomic_compare_exchange_strong_explicit(fm_word(m), &expected, t->id,
                                               memory_order_acquire,
                                               memory_order_relaxed))
    return false;
  fm_took(m, f, t, old, site);
  return true;
}

static void fm_release(kp_fast_mutex_t *m, fm_form_t f, kp_site_t site) {
  kpi_thread_t *t = kpi_thread();
  const char *api = fm_release_api[f];
  if (!kpi_sync_object_ok(m, _Alignof(kp_fast_mutex_t), site, api)) return;
  kp_irql_t irql = t->irql;
  if (fm_unsafe(f)) {
    if (!fm_unsafe_context_ok(f, irql)) {
      kpi_sync_c4(KP_C4_UNSAFE_MUTEX_RELEASE, irql, kpi_apc_combined(),
                  (uint64_t)(uintptr_t)m, site,
                  "%s(%p) called at IRQL %u (%s) with APC disable count "
                  "0x%08X: the caller must run at APC_LEVEL or inside a %s "
                  "region.",
                  api, (void *)m, (unsigned)irql, kpi_irql_name(irql),
                  (unsigned)kpi_apc_combined(),
                  f == FM_GUARDED_UNSAFE ? "guarded" : "critical or guarded");
      return;
    }
  } else if ((f == FM_FAST && irql != KP_APC_LEVEL) ||
             (f == FM_GUARDED && irql > KP_APC_LEVEL)) {
    kpi_sync_c4(KP_C4_FAST_MUTEX_RELEASE_IRQL, irql, (uint64_t)(uintptr_t)m, 0,
                site,
                "%s(%p) called at IRQL %u (%s) instead of %s; this is "
                "typically a second release or an IRQL changed while holding "
                "it.",
                api, (void *)m, (unsigned)irql, kpi_irql_name(irql),
                f == FM_FAST ? "APC_LEVEL" : "APC_LEVEL or below");
    return;
  }
  if (!fm_initialized(m)) {
    kpi_sync_c4(KP_C4_UNINITIALIZED_RESOURCE, (uint64_t)(uintptr_t)m, 0, 0, site,
                "%s(%p): the %s was never initialised (or was copied after "
                "it).",
                api, (void *)m, fm_noun(f));
    return;
  }
  volatile _Atomic uint32_t *w = fm_word(m);
  uint32_t holder = atomic_load_explicit(w, memory_order_relaxed);
  if (!kpi_sync_release_owner_ok(m, holder, site, api, fm_noun(f))) return;
  if (!kpi_lock_release_kind_ok(m, fm_kind(f), site, api)) return;
  bool taken_unsafe = (m->flags_ & FM_TAKEN_UNSAFE) != 0;
  if (taken_unsafe != fm_unsafe(f)) {
    kpi_sync_c4(KP_C4_RELEASE_API_MISMATCH, (uint64_t)(uintptr_t)m, 0, 0, site,
                "%s(%p): the %s was acquired with the %s form; it must be "
                "released with the matching %s form.",
                api, (void *)m, fm_noun(f), taken_unsafe ? "Unsafe" : "safe",
                taken_unsafe ? "Unsafe" : "safe");
    return;
  }
  // Read what the holder saved before letting the next holder overwrite it.
  kp_irql_t old = (kp_irql_t)m->old_irql;
  kpi_lock_released(m, NULL);
  m->owner = NULL;
  m->count = 1;
  atomic_store_explicit(w, 0, memory_order_release);
  if (f == FM_FAST)
    kpi_irql_store(t, old);
  else if (f == FM_GUARDED)
    kpi_guarded_leave_raw();
}

void kp_fast_mutex_acquire(kp_fast_mutex_t *m) {
  fm_acquire(m, FM_FAST, kp_site_take(KPI_CALLER()));
}
bool kp_fast_mutex_try_acquire(kp_fast_mutex_t *m) {
  return fm_try(m, FM_FAST, kp_site_take(KPI_CALLER()));
}
void kp_fast_mutex_release(kp_fast_mutex_t *m) {
  fm_release(m, FM_FAST, kp_site_take(KPI_CALLER()));
}
void kp_fast_mutex_acquire_at(kp_fast_mutex_t *m, kp_site_t site) {
  fm_acquire(m, FM_FAST, site);
}
bool kp_fast_mutex_try_acquire_at(kp_fast_mutex_t *m, kp_site_t site) {
  return fm_try(m, FM_FAST, site);
}
void kp_fast_mutex_release_at(kp_fast_mutex_t *m, kp_site_t site) {
  fm_release(m, FM_FAST, site);
}
void kp_fast_mutex_acquire_unsafe(kp_fast_mutex_t *m, kp_site_t site) {
  fm_acquire(m, FM_FAST_UNSAFE, site);
}
void kp_fast_mutex_release_unsafe(kp_fast_mutex_t *m, kp_site_t site) {
  fm_release(m, FM_FAST_UNSAFE, site);
}
void kp_guarded_mutex_acquire(kp_fast_mutex_t *m, kp_site_t site) {
  fm_acquire(m, FM_GUARDED, site);
}
bool kp_guarded_mutex_try_acquire(kp_fast_mutex_t *m, kp_site_t site) {
  return fm_try(m, FM_GUARDED, site);
}
void kp_guarded_mutex_release(kp_fast_mutex_t *m, kp_site_t site) {
  fm_release(m, FM_GUARDED, site);
}
void kp_guarded_mutex_acquire_unsafe(kp_fast_mutex_t *m, kp_site_t site) {
  fm_acquire(m, FM_GUARDED_UNSAFE, site);
}
void kp_guarded_mutex_release_unsafe(kp_fast_mutex_t *m, kp_site_t site) {
  fm_release(m, FM_GUARDED_UNSAFE, site);
}
