/*
 * irql.c — the simulated IRQL of each host thread, spin locks, fast
 * mutexes and PAGED_CODE. The bug check codes and parameters are the table
 * in include/kpool/irql.h; every check runs before any state changes, so a
 * handler that returns leaves the lock and the IRQL as they were.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"
#include "rtl/kp_rtl.h"

// The lock words are plain integers in the public headers (C++ includes
// them too); kpool accesses them only through C11 atomics of the same size
// and alignment.
_Static_assert(sizeof(_Atomic uintptr_t) == sizeof(uintptr_t),
               "atomic spin lock word must match kp_spin_lock_t");
_Static_assert(_Alignof(_Atomic uintptr_t) == _Alignof(uintptr_t),
               "atomic spin lock word must match kp_spin_lock_t");

#define IRQL_CALLER() KPI_CALLER()

// Contended waits spin this many times on a plain load before yielding the
// host CPU; the machine may have fewer cores than waiting threads.
#define IRQL_SPINS_BEFORE_YIELD KPI_SPINS_BEFORE_YIELD

/* ---------------------------------------------------------------------------
 * Reporting.
 * ------------------------------------------------------------------------- */
const char *kpi_irql_name(unsigned irql) {
  switch (irql) {
  case KP_PASSIVE_LEVEL: return "PASSIVE_LEVEL";
  case KP_APC_LEVEL: return "APC_LEVEL";
  case KP_DISPATCH_LEVEL: return "DISPATCH_LEVEL";
  case 12u: return "SYNCH_LEVEL";
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
  char text[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(kpi_current(), code, p1, p2, p3, p4, &ctx, "%s", text);
}

void kpi_sync_bugcheck(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3,
                       uint64_t p4, kp_site_t site, const char *fmt, ...) {
  char text[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  irql_bugcheck(code, p1, p2, p3, p4, site, "%s", text);
}

void kpi_sync_c4(uint64_t sub, uint64_t p2, uint64_t p3, uint64_t p4,
                 kp_site_t site, const char *fmt, ...) {
  char text[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  irql_bugcheck(KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, sub, p2, p3, p4,
                site, "%s", text);
}

bool kpi_sync_verifier(void) {
  const kp_system_t *sys = kpi_current();
  return sys == NULL || kpi_verifier(sys);
}

bool kpi_sync_deadlock_on(void) {
  const kp_system_t *sys = kpi_current();
  return sys != NULL &&
         (sys->cfg.verifier_flags & KP_VERIFY_DEADLOCK_DETECTION) != 0;
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
           (unsigned)cur, kpi_irql_name(cur), (unsigned)new_irql,
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
           api, (unsigned)cur, kpi_irql_name(cur), (unsigned)new_irql);
  if (irql_verifier())
    c4(KP_C4_LOWER_IRQL_INVALID, cur, new_irql, 0, site, what);
  else
    irql_bugcheck(KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL, new_irql, cur, 0, 0, site,
                  "%s", what);
  return false;
}

kp_irql_t kp_irql_raise(kp_irql_t new_irql) {
  kp_site_t site = kp_site_take(IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!irql_raise_ok(old, new_irql, site, "KeRaiseIrql")) return old;
  kpi_irql_store(t, new_irql);
  return old;
}

void kp_irql_lower(kp_irql_t new_irql) {
  kp_site_t site = kp_site_take(IRQL_CALLER());
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
                where, (unsigned)irql, kpi_irql_name(irql));
}

/* ---------------------------------------------------------------------------
 * Shared by spin locks and fast mutexes (fastmutex.c has its own copy of
 * the ownership report through kpi_sync_c4).
 * ------------------------------------------------------------------------- */
bool kpi_sync_object_ok(const void *obj, size_t align, kp_site_t site,
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

void kpi_sync_self_deadlock(const void *obj, kp_site_t site, const char *api,
                            const char *kind) {
  char first[300] = "";
  const kpi_held_t *h = kpi_held_find(obj);
  if (h != NULL) {
    char where[256];
    kpi_site_text(h->site, where, sizeof where);
    snprintf(first, sizeof first, " It was acquired at %s.", where);
  }
  char what[640];
  snprintf(what, sizeof what,
           "%s: thread %u already holds the %s %p; acquiring it again would "
           "deadlock (a real machine hangs here).%s",
           api, kp_thread_id(), kind, obj, first);
  c4(KP_C4_SELF_DEADLOCK, (uint64_t)(uintptr_t)obj, 0, 0, site, what);
}

// Release ownership check shared by both kinds. @holder is the word read.
bool kpi_sync_release_owner_ok(const void *obj, uint64_t holder,
                               kp_site_t site, const char *api,
                               const char *kind) {
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
  kp_site_t site = kp_site_take(IRQL_CALLER());
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, "KeInitializeSpinLock"))
    return;
  kpi_lock_forget(lock);
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
    kpi_sync_self_deadlock(lock, site, api, "spin lock");
    return false;
  }
  return true;
}

kp_irql_t kp_spin_lock_acquire(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site_take(IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  kp_irql_t old = t->irql;
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, "KeAcquireSpinLock"))
    return old;
  if (old > KP_DISPATCH_LEVEL) {
    char what[256];
    snprintf(what, sizeof what,
             "KeAcquireSpinLock(%p) called at IRQL %u (%s); spin locks are "
             "acquired at or below DISPATCH_LEVEL.",
             (void *)lock, (unsigned)old, kpi_irql_name(old));
    if (irql_verifier())
      c4(KP_C4_SPIN_ACQUIRE_IRQL, old, (uint64_t)(uintptr_t)lock, 0, site, what);
    else
      irql_bugcheck(KP_BUGCHECK_IRQL_NOT_GREATER_OR_EQUAL, old,
                    KP_DISPATCH_LEVEL, 0, 0, site, "%s", what);
    return old;
  }
  if (!spin_acquire_checked(lock, site, "KeAcquireSpinLock")) return old;
  if (!kpi_lock_acquiring(lock, KPI_LOCK_SPIN, true, site, "KeAcquireSpinLock"))
    return old;
  kpi_irql_store(t, KP_DISPATCH_LEVEL);
  spin_take(lock, t->id);
  t->spin_locks_held++;
  kpi_lock_acquired(lock, KPI_LOCK_SPIN, false, site);
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
           api, (void *)lock, (unsigned)t->irql, kpi_irql_name(t->irql));
  c4(code, t->irql, (uint64_t)(uintptr_t)lock, 0, site, what);
  return false;
}

void kp_spin_lock_acquire_at_dpc(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site_take(IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "KeAcquireSpinLockAtDpcLevel";
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  if (!at_dispatch_or_above(t, lock, site, api, KP_C4_SPIN_ACQUIRE_AT_DPC_IRQL))
    return;
  if (!spin_acquire_checked(lock, site, api)) return;
  if (!kpi_lock_acquiring(lock, KPI_LOCK_SPIN, true, site, api)) return;
  spin_take(lock, t->id);
  t->spin_locks_held++;
  kpi_lock_acquired(lock, KPI_LOCK_SPIN, false, site);
}

// Checks shared by both release forms, after the IRQL check.
static bool spin_release_checked(kp_spin_lock_t *lock, kp_site_t site,
                                 const char *api) {
  uintptr_t holder = atomic_load_explicit(spin_word(lock), memory_order_relaxed);
  if (!kpi_sync_release_owner_ok(lock, holder, site, api, "spin lock")) return false;
  return kpi_lock_release_kind_ok(lock, KPI_LOCK_SPIN, site, api);
}

static void spin_give(kpi_thread_t *t, kp_spin_lock_t *lock) {
  kpi_lock_released(lock, NULL);
  atomic_store_explicit(spin_word(lock), 0, memory_order_release);
  if (t->spin_locks_held > 0) t->spin_locks_held--;
}

void kp_spin_lock_release(kp_spin_lock_t *lock, kp_irql_t old_irql) {
  kp_site_t site = kp_site_take(IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "KeReleaseSpinLock";
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  kp_irql_t cur = t->irql;
  // A lock taken by KeAcquireSpinLockRaiseToSynch is released at SYNCH_LEVEL.
  const kpi_held_t *held = kpi_held_find(lock);
  kp_irql_t want = held != NULL && held->raised_to == KP_SYNCH_LEVEL
                       ? (kp_irql_t)KP_SYNCH_LEVEL
                       : (kp_irql_t)KP_DISPATCH_LEVEL;
  if (cur != want) {
    char what[256];
    snprintf(what, sizeof what,
             "%s(%p) called at IRQL %u (%s) instead of %s; this "
             "is typically a second release of the same lock.",
             api, (void *)lock, (unsigned)cur, kpi_irql_name(cur),
             want == KP_DISPATCH_LEVEL ? "DISPATCH_LEVEL" : "SYNCH_LEVEL (12)");
    c4(KP_C4_SPIN_RELEASE_IRQL, cur, (uint64_t)(uintptr_t)lock, 0, site, what);
    return;
  }
  if (!spin_release_checked(lock, site, api)) return;
  if (!irql_lower_ok(cur, old_irql, site, api)) return;
  spin_give(t, lock);
  kpi_irql_store(t, old_irql);
}

void kp_spin_lock_release_from_dpc(kp_spin_lock_t *lock) {
  kp_site_t site = kp_site_take(IRQL_CALLER());
  kpi_thread_t *t = kpi_thread();
  const char *api = "KeReleaseSpinLockFromDpcLevel";
  if (!kpi_sync_object_ok(lock, _Alignof(kp_spin_lock_t), site, api)) return;
  if (!at_dispatch_or_above(t, lock, site, api, KP_C4_SPIN_RELEASE_FROM_DPC_IRQL))
    return;
  if (!spin_release_checked(lock, site, api)) return;
  spin_give(t, lock);
}

