/*
 * irql.c — the simulated IRQL of each host thread, spin locks, fast
 * mutexes and PAGED_CODE. The bug check codes and parameters are the table
 * in include/kpool/irql.h; every check runs before any state changes, so a
 * handler that returns leaves the lock and the IRQL as they were.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "kp_internal.h"

// The lock words are plain integers in the public headers (C++ includes
// them too); kpool accesses them only through C11 atomics of the same size
// and alignment.
_Static_assert(sizeof(_Atomic uintptr_t) == sizeof(uintptr_t),
               "atomic spin lock word must match kp_spin_lock_t");
_Static_assert(_Alignof(_Atomic uintptr_t) == _Alignof(uintptr_t),
               "atomic spin lock word must match kp_spin_lock_t");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
               "atomic fast mutex state must match uint32_t");
_Static_assert(sizeof(kp_fast_mutex_t) == 0x38,
               "kp_fast_mutex_t must keep the WDK FAST_MUTEX size");

#if defined(__GNUC__) || defined(__clang__)
#define IRQL_CALLER() __builtin_return_address(0)
#else
#define IRQL_CALLER() NULL
#endif

// Contended waits spin this many times on a plain load before yielding the
// host CPU; the machine may have fewer cores than waiting threads.
#define IRQL_SPINS_BEFORE_YIELD 32

#define IRQL_FAST_MUTEX_COOKIE 0x4B50464D55544558ull /* "KPFMUTEX" */

/* ---------------------------------------------------------------------------
 * Reporting.
 * ------------------------------------------------------------------------- */
static const char *irql_name(unsigned irql) {
  switch (irql) {
  case KP_PASSIVE_LEVEL: return "PASSIVE_LEVEL";
  case KP_APC_LEVEL: return "APC_LEVEL";
  case KP_DISPATCH_LEVEL: return "DISPATCH_LEVEL";
  case KP_CLOCK_LEVEL: return "CLOCK_LEVEL";
  case KP_IPI_LEVEL: return "IPI_LEVEL";
  case KP_HIGH_LEVEL: return "HIGH_LEVEL";
  default: return "a device IRQL";
  }
}

static void irql_bugcheck(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3,
                          uint64_t p4, kp_site_t site, const char *fmt, ...)
    KP_PRINTF(7, 8);

// Raises a bug check on the current system. Never called with a lock held
// by the simulator (the handler may longjmp).
static void irql_bugcheck(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3,
                          uint64_t p4, kp_site_t site, const char *fmt, ...) {
  char text[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(kpi_current(), code, p1, p2, p3, p4, &ctx, "%s", text);
}

static bool irql_verifier(void) {
  const kp_system_t *sys = kpi_current();
  // Without any system the verifier's codes are the more precise ones.
  return sys == NULL || kpi_verifier(sys);
}

static void c4(uint64_t sub, uint64_t p2, uint64_t p3, uint64_t p4,
               kp_site_t site, const char *what) {
  irql_bugcheck(KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, sub, p2, p3, p4,
                site, "%s", what);
}

/* ---------------------------------------------------------------------------
 * IRQL.
 * ------------------------------------------------------------------------- */
kp_irql_t kp_irql_get(void) { return kpi_thread()->irql; }

kp_irql_t kp_irql_set(kp_irql_t irql) {
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  kpi_irql_store(t, irql);
  return old;
}

// The HAL's raise check. Returns true when the raise may proceed.
static bool irql_raise_ok(kp_irql_t cur, kp_irql_t new_irql, kp_site_t site,
                          const char *api) {
  if (new_irql >= cur && new_irql <= KP_HIGH_LEVEL) return true;
  char what[256];
  snprintf(what, sizeof what,
           "%s asked to go from IRQL %u (%s) to IRQL %u: %s.", api,
           (unsigned)cur, irql_name(cur), (unsigned)new_irql,
           new_irql > KP_HIGH_LEVEL ? "that is above HIGH_LEVEL (15)"
                                    : "raising cannot lower the IRQL");
  if (irql_verifier())
    c4(KP_C4_RAISE_IRQL_INVALID, cur, new_irql, 0, site, what);
  else
    irql_bugcheck(KP_BUGCHECK_IRQL_NOT_GREATER_OR_EQUAL, cur, new_irql, 0, 0,
                  site, "%s", what);
  return false;
}

// The HAL's lower check. Returns true when the lowering may proceed.
static bool irql_lower_ok(kp_irql_t cur, kp_irql_t new_irql, kp_site_t site,
                          const char *api) {
  if (new_irql <= cur) return true;
  char what[256];
  snprintf(what, sizeof what,
           "%s asked to go from IRQL %u (%s) to IRQL %u: lowering cannot "
           "raise the IRQL (an uninitialised or wrong old-IRQL variable?).",
           api, (unsigned)cur, irql_name(cur), (unsigned)new_irql);
  if (irql_verifier())
    c4(KP_C4_LOWER_IRQL_INVALID, cur, new_irql, 0, site, what);
  else
    irql_bugcheck(KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL, new_irql, cur, 0, 0, site,
                  "%s", what);
  return false;
}

kp_irql_t kp_irql_raise(kp_irql_t new_irql) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!irql_raise_ok(old, new_irql, site, "KeRaiseIrql")) return old;
  kpi_irql_store(t, new_irql);
  return old;
}

void kp_irql_lower(kp_irql_t new_irql) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  if (!irql_lower_ok(t->irql, new_irql, site, "KeLowerIrql")) return;
  kpi_irql_store(t, new_irql);
}

void kp_paged_code(kp_site_t site) {
  kp_irql_t irql = kpi_thread()->irql;
  if (irql <= KP_APC_LEVEL) return;
  char where[256];
  kpi_site_text(site, where, sizeof where);
  // P3 = 8: the fault is an instruction fetch from a trimmed code page.
  irql_bugcheck(KP_BUGCHECK_DRIVER_IRQL_NOT_LESS_OR_EQUAL,
                (uint64_t)(uintptr_t)site.caller, irql, 8,
                (uint64_t)(uintptr_t)site.caller, site,
                "PAGED_CODE() at %s ran at IRQL %u (%s): pageable code must "
                "run at or below APC_LEVEL.",
                where, (unsigned)irql, irql_name(irql));
}

/* ---------------------------------------------------------------------------
 * Shared by spin locks and fast mutexes.
 * ------------------------------------------------------------------------- */
static bool object_ok(const void *obj, size_t align, kp_site_t site,
                      const char *api) {
  if (obj != NULL && (uintptr_t)obj % align == 0) return true;
  char what[256];
  snprintf(what, sizeof what,
           "%s was passed %s lock address %p; a real machine would fault on "
           "it.",
           api, obj == NULL ? "a NULL" : "a misaligned", obj);
  c4(KP_C4_SYNC_OBJECT_ADDRESS, (uint64_t)(uintptr_t)obj, 0, 0, site, what);
  return false;
}

static void self_deadlock(const void *obj, kp_site_t site, const char *api,
                          const char *kind) {
  char what[256];
  snprintf(what, sizeof what,
           "%s: thread %u already holds the %s %p; acquiring it again would "
           "deadlock (a real machine hangs here).",
           api, kp_thread_id(), kind, obj);
  c4(KP_C4_SELF_DEADLOCK, (uint64_t)(uintptr_t)obj, 0, 0, site, what);
}

// Release ownership check shared by both kinds. @holder is the word read.
static bool release_owner_ok(const void *obj, uint64_t holder, kp_site_t site,
                             const char *api, const char *kind) {
  uint32_t me = kp_thread_id();
  if (holder == me) return true;
  char what[256];
  if (holder == 0) {
    snprintf(what, sizeof what, "%s: the %s %p is not held by anyone.", api,
             kind, obj);
    c4(KP_C4_UNACQUIRED_RESOURCE, (uint64_t)(uintptr_t)obj, 0, 0, site, what);
  } else {
    snprintf(what, sizeof what,
             "%s: the %s %p is held by thread %llu, but thread %u releases "
             "it.",
             api, kind, obj, (unsigned long long)holder, me);
    c4(KP_C4_UNEXPECTED_THREAD, (uint64_t)(uintptr_t)obj, holder, me, site,
       what);
  }
  return false;
}

/* ---------------------------------------------------------------------------
 * Spin locks.
 * ------------------------------------------------------------------------- */
static _Atomic uintptr_t *spin_word(kp_spin_lock_t *lock) {
  return (_Atomic uintptr_t *)lock;
}

static void spin_take(kp_spin_lock_t *lock, uint32_t me) {
  _Atomic uintptr_t *w = spin_word(lock);
  for (;;) {
    uintptr_t expected = 0;
    if (atomic_compare_exchange_weak_explicit(w, &expected, (uintptr_t)me,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      return;
    // Wait on plain loads so the cache line is not hammered by writes.
    int spins = 0;
    while (atomic_load_explicit(w, memory_order_relaxed) != 0) {
      if (++spins >= IRQL_SPINS_BEFORE_YIELD) {
        kpi_os_yield();
        spins = 0;
      }
    }
  }
}

void kp_spin_lock_init(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  if (!object_ok(lock, _Alignof(kp_spin_lock_t), site, "KeInitializeSpinLock"))
    return;
  atomic_store_explicit(spin_word(lock), 0, memory_order_release);
}

uint32_t kp_spin_locks_held(void) { return kpi_thread()->spin_locks_held; }

// Common part of the acquire forms, after the IRQL check.
static bool spin_acquire_checked(kp_spin_lock_t *lock, kp_site_t site,
                                 const char *api) {
  uint32_t me = kp_thread_id();
  // Only this thread can store its own id, so a relaxed load suffices to
  // see whether it holds the lock already.
  if (atomic_load_explicit(spin_word(lock), memory_order_relaxed) == me) {
    self_deadlock(lock, site, api, "spin lock");
    return false;
  }
  return true;
}

kp_irql_t kp_spin_lock_acquire(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!object_ok(lock, _Alignof(kp_spin_lock_t), site, "KeAcquireSpinLock"))
    return old;
  if (old > KP_DISPATCH_LEVEL) {
    char what[256];
    snprintf(what, sizeof what,
             "KeAcquireSpinLock(%p) called at IRQL %u (%s); spin locks are "
             "acquired at or below DISPATCH_LEVEL.",
             (void *)lock, (unsigned)old, irql_name(old));
    if (irql_verifier())
      c4(KP_C4_SPIN_ACQUIRE_IRQL, old, (uint64_t)(uintptr_t)lock, 0, site, what);
    else
      irql_bugcheck(KP_BUGCHECK_IRQL_NOT_GREATER_OR_EQUAL, old,
                    KP_DISPATCH_LEVEL, 0, 0, site, "%s", what);
    return old;
  }
  if (!spin_acquire_checked(lock, site, "KeAcquireSpinLock")) return old;
  kpi_irql_store(t, KP_DISPATCH_LEVEL);
  spin_take(lock, t->id);
  t->spin_locks_held++;
  return old;
}

/* The AtDpcLevel / FromDpcLevel forms: the caller must already run at
 * DISPATCH_LEVEL or above; otherwise bug check 0xC4 with @p code. */
static bool at_dispatch_or_above(const kpi_thread_t *t, kp_spin_lock_t *lock,
                                 kp_site_t site, const char *api,
                                 uint64_t code) {
  if (t->irql >= KP_DISPATCH_LEVEL) return true;
  char what[256];
  snprintf(what, sizeof what,
           "%s(%p) called at IRQL %u (%s); the caller must already run at "
           "DISPATCH_LEVEL or above.",
           api, (void *)lock, (unsigned)t->irql, irql_name(t->irql));
  c4(code, t->irql, (uint64_t)(uintptr_t)lock, 0, site, what);
  return false;
}

void kp_spin_lock_acquire_at_dpc(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "KeAcquireSpinLockAtDpcLevel";
  if (!object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  if (!at_dispatch_or_above(t, lock, site, api, KP_C4_SPIN_ACQUIRE_AT_DPC_IRQL))
    return;
  if (!spin_acquire_checked(lock, site, api)) return;
  spin_take(lock, t->id);
  t->spin_locks_held++;
}

// Checks shared by both release forms, after the IRQL check.
static bool spin_release_checked(kp_spin_lock_t *lock, kp_site_t site,
                                 const char *api) {
  uintptr_t holder = atomic_load_explicit(spin_word(lock), memory_order_relaxed);
  return release_owner_ok(lock, holder, site, api, "spin lock");
}

static void spin_give(kpi_thread_t *t, kp_spin_lock_t *lock) {
  atomic_store_explicit(spin_word(lock), 0, memory_order_release);
  if (t->spin_locks_held > 0) t->spin_locks_held--;
}

void kp_spin_lock_release(kp_spin_lock_t *lock, kp_irql_t old_irql) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "KeReleaseSpinLock";
  if (!object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  kp_irql_t cur = t->irql;
  if (cur != KP_DISPATCH_LEVEL) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p) called at IRQL %u (%s) instead of DISPATCH_LEVEL; this "
             "is typically a second release of the same lock.",
             api, (void *)lock, (unsigned)cur, irql_name(cur));
    c4(KP_C4_SPIN_RELEASE_IRQL, cur, (uint64_t)(uintptr_t)lock, 0, site, what);
    return;
  }
  if (!spin_release_checked(lock, site, api)) return;
  if (!irql_lower_ok(cur, old_irql, site, api)) return;
  spin_give(t, lock);
  kpi_irql_store(t, old_irql);
}

void kp_spin_lock_release_from_dpc(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "KeReleaseSpinLockFromDpcLevel";
  if (!object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  if (!at_dispatch_or_above(t, lock, site, api, KP_C4_SPIN_RELEASE_FROM_DPC_IRQL))
    return;
  if (!spin_release_checked(lock, site, api)) return;
  spin_give(t, lock);
}

/* ---------------------------------------------------------------------------
 * Fast mutexes.
 * ------------------------------------------------------------------------- */
static volatile _Atomic uint32_t *mutex_state(kp_fast_mutex_t *m) {
  return (volatile _Atomic uint32_t *)&m->state;
}

static uint64_t mutex_cookie(const kp_fast_mutex_t *m) {
  return (uint64_t)(uintptr_t)m ^ IRQL_FAST_MUTEX_COOKIE;
}

// The address-derived cookie also catches a mutex copied to new storage.
static bool mutex_initialized(const kp_fast_mutex_t *m) {
  return m->initialized == 1 && m->reserved_[0] == mutex_cookie(m);
}

void kp_fast_mutex_init(kp_fast_mutex_t *m) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  if (!object_ok(m, _Alignof(kp_fast_mutex_t), site, "ExInitializeFastMutex"))
    return;
  m->owner = 0;
  m->old_irql = 0;
  for (size_t i = 0; i < sizeof m->pad_; i++) m->pad_[i] = 0;
  for (size_t i = 0; i < sizeof m->reserved_ / sizeof m->reserved_[0]; i++)
    m->reserved_[i] = 0;
  m->reserved_[0] = mutex_cookie(m);
  m->initialized = 1;
  atomic_store_explicit(mutex_state(m), 0, memory_order_release);
}

// Checks before acquiring (both forms). Returns true when it may proceed.
static bool mutex_acquire_ok(kp_fast_mutex_t *m, kp_irql_t irql,
                             kp_site_t site, const char *api) {
  if (!object_ok(m, _Alignof(kp_fast_mutex_t), site, api)) return false;
  if (irql > KP_APC_LEVEL) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p) called at IRQL %u (%s); fast mutexes are acquired at or "
             "below APC_LEVEL.",
             api, (void *)m, (unsigned)irql, irql_name(irql));
    if (irql_verifier())
      c4(KP_C4_FAST_MUTEX_ACQUIRE_IRQL, irql, (uint64_t)(uintptr_t)m, 0, site,
         what);
    else
      irql_bugcheck(KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL, (uint64_t)(uintptr_t)m,
                    irql, 0, 0, site, "%s", what);
    return false;
  }
  if (!mutex_initialized(m)) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p): the fast mutex was never initialised with "
             "ExInitializeFastMutex (or was copied after it).",
             api, (void *)m);
    c4(KP_C4_UNINITIALIZED_RESOURCE, (uint64_t)(uintptr_t)m, 0, 0, site, what);
    return false;
  }
  return true;
}

static void mutex_took(kp_fast_mutex_t *m, kpi_thread_t *t, kp_irql_t old) {
  m->owner = t->id;
  m->old_irql = old;
  kpi_irql_store(t, KP_APC_LEVEL);
}

void kp_fast_mutex_acquire(kp_fast_mutex_t *m) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "ExAcquireFastMutex";
  kp_irql_t old = t->irql;
  if (!mutex_acquire_ok(m, old, site, api)) return;
  volatile _Atomic uint32_t *st = mutex_state(m);
  if (atomic_load_explicit(st, memory_order_relaxed) == t->id) {
    self_deadlock(m, site, api, "fast mutex");
    return;
  }
  for (;;) {
    uint32_t expected = 0;
    if (atomic_compare_exchange_weak_explicit(st, &expected, t->id,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      break;
    // A real waiter sleeps; the host thread yields instead.
    int spins = 0;
    while (atomic_load_explicit(st, memory_order_relaxed) != 0) {
      if (++spins >= IRQL_SPINS_BEFORE_YIELD) {
        kpi_os_yield();
        spins = 0;
      }
    }
  }
  mutex_took(m, t, old);
}

bool kp_fast_mutex_try_acquire(kp_fast_mutex_t *m) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!mutex_acquire_ok(m, old, site, "ExTryToAcquireFastMutex")) return false;
  uint32_t expected = 0;
  if (!atomic_compare_exchange_strong_explicit(mutex_state(m), &expected, t->id,
                                               memory_order_acquire,
                                               memory_order_relaxed))
    return false;
  mutex_took(m, t, old);
  return true;
}

void kp_fast_mutex_release(kp_fast_mutex_t *m) {
  kp_site_t site = kp_site(NULL, 0, IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "ExReleaseFastMutex";
  if (!object_ok(m, _Alignof(kp_fast_mutex_t), site, api)) return;
  if (t->irql != KP_APC_LEVEL) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p) called at IRQL %u (%s) instead of APC_LEVEL; this is "
             "typically a second release or an IRQL changed while holding it.",
             api, (void *)m, (unsigned)t->irql, irql_name(t->irql));
    c4(KP_C4_FAST_MUTEX_RELEASE_IRQL, t->irql, (uint64_t)(uintptr_t)m, 0, site,
       what);
    return;
  }
  if (!mutex_initialized(m)) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p): the fast mutex was never initialised with "
             "ExInitializeFastMutex (or was copied after it).",
             api, (void *)m);
    c4(KP_C4_UNINITIALIZED_RESOURCE, (uint64_t)(uintptr_t)m, 0, 0, site, what);
    return;
  }
  volatile _Atomic uint32_t *st = mutex_state(m);
  uint32_t holder = atomic_load_explicit(st, memory_order_relaxed);
  if (!release_owner_ok(m, holder, site, api, "fast mutex")) return;
  // Read what the holder saved before letting the next holder overwrite it.
  kp_irql_t old = m->old_irql;
  m->owner = 0;
  atomic_store_explicit(st, 0, memory_order_release);
  kpi_irql_store(t, old);
}
