/*
 * dispatch.c — dispatcher objects and waits: the out-of-band object table,
 * events, semaphores, kernel mutexes, KeWaitForSingleObject /
 * KeWaitForMultipleObjects, KeDelayExecutionThread, and the "dispatch"
 * module that plugs timers, DPCs and threads into the system's clock,
 * unload and free hooks. Behaviour and bug checks: include/kpool/dispatch.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_dispatch.h"
#include "ke/kp_ke.h"
#include "ex/kp_ex.h"
#include "sim/kp_sim.h"

#if defined(__GNUC__) || defined(__clang__)
#define DISPATCH_CALLER() __builtin_return_address(0)
#else
#define DISPATCH_CALLER() NULL
#endif

/* ---------------------------------------------------------------------------
 * Bug checks.
 * ------------------------------------------------------------------------- */
void kpi_ke_bugcheck(kp_system_t *sys, uint32_t code, uint64_t p1, uint64_t p2,
                     uint64_t p3, uint64_t p4, kp_site_t site, const char *fmt,
                     ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(sys, code, p1, p2, p3, p4, &ctx, "%s", text);
}

/* ---------------------------------------------------------------------------
 * The module.
 * ------------------------------------------------------------------------- */
static uint64_t dispatch_clock(kp_system_t *sys, void *state, uint64_t now_ms);
static void dispatch_unload(kp_system_t *sys, void *state);
static void dispatch_before_free(kp_system_t *sys, void *state,
                                 const kp_block_info_t *block);
static void dispatch_destroy(kp_system_t *sys, void *state);
static bool dispatch_before_free_wanted(kp_system_t *sys, void *state);

static const kpi_module_ops_t dispatch_ops = {
    .name = "dispatch",
    .unload_check = dispatch_unload,
    .before_free = dispatch_before_free,
    .destroy = dispatch_destroy,
    .clock = dispatch_clock,
    .before_free_wanted = dispatch_before_free_wanted,
};

kpi_dispatch_t *kpi_dispatch(kp_system_t *sys) {
  kpi_dpc_recover();
  kpi_dispatch_t *d = kpi_system_module(sys, &dispatch_ops);
  if (d != NULL) return d;
  d = calloc(1, sizeof *d);
  if (d == NULL) {
    fputs("kpool: out of host memory for the dispatcher state\n", stderr);
    abort();
  }
  kpi_mutex_init(&d->lock);
  kpi_cond_init(&d->dpc_idle);
  atomic_init(&d->pending, 0);
  d->next_handle = 1;
  if (kpi_system_add_module(sys, &dispatch_ops, d)) return d;
  // Another thread registered first (or the table is full).
  kpi_cond_destroy(&d->dpc_idle);
  kpi_mutex_destroy(&d->lock);
  free(d);
  d = kpi_system_module(sys, &dispatch_ops);
  if (d == NULL) {
    fputs("kpool: the module table is full; the dispatcher cannot start\n",
          stderr);
    abort();
  }
  return d;
}

/* ---------------------------------------------------------------------------
 * The object table.
 * ------------------------------------------------------------------------- */
static size_t dobj_bucket(const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  a ^= a >> 17;
  a *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(a >> 20) % KPI_DISPATCH_BUCKETS;
}

kpi_dobj_t *kpi_dobj_find(kpi_dispatch_t *d, const void *addr) {
  for (kpi_dobj_t *o = d->buckets[dobj_bucket(addr)]; o != NULL; o = o->hash_next)
    if (o->addr == addr) return o;
  return NULL;
}

kpi_dobj_t *kpi_dobj_get(kpi_dispatch_t *d, const void *addr, bool *created) {
  kpi_dobj_t *o = kpi_dobj_find(d, addr);
  *created = false;
  if (o != NULL) return o;
  o = calloc(1, sizeof *o);
  if (o == NULL) return NULL;
  o->addr = addr;
  size_t b = dobj_bucket(addr);
  o->hash_next = d->buckets[b];
  d->buckets[b] = o;
  *created = true;
  return o;
}

/* ---------------------------------------------------------------------------
 * Wait satisfaction (under the lock).
 * ------------------------------------------------------------------------- */
static bool dobj_waitable(const kpi_dobj_t *o) {
  return o->type != 0 && o->type != KPI_DOBJ_DPC;
}

// Can @thread's wait take @o now?
static bool dobj_ready(const kpi_dobj_t *o, const void *thread) {
  if (o->type == KPI_DOBJ_MUTEX) return o->signal > 0 || o->owner == thread;
  return o->signal > 0;
}

// Applies the side effect of a satisfied wait; true when @o was a mutex
// abandoned by its previous owner.
static bool dobj_consume(kpi_dobj_t *o, void *thread) {
  switch (o->type) {
  case KPI_DOBJ_EVENT:
  case KPI_DOBJ_TIMER:
    if (o->sync) o->signal = 0;
    return false;
  case KPI_DOBJ_SEMAPHORE:
    o->signal--;
    return false;
  case KPI_DOBJ_MUTEX: {
    bool abandoned = o->abandoned;
    o->abandoned = false;
    o->signal--;
    o->owner = thread;
    return abandoned;
  }
  default:
    return false;
  }
}

static void wblock_unlink(kpi_wblock_t *b) {
  kpi_dobj_t *o = b->obj;
  if (b->prev != NULL) b->prev->next = b->next; else o->wait_head = b->next;
  if (b->next != NULL) b->next->prev = b->prev; else o->wait_tail = b->prev;
  b->prev = b->next = NULL;
}

static void waiter_finish(kpi_dispatch_t *d, kpi_waiter_t *w, kp_status_t st) {
  for (uint32_t i = 0; i < w->count; i++) wblock_unlink(&w->blocks[i]);
  if (w->prev != NULL) w->prev->next = w->next; else d->blocked_head = w->next;
  if (w->next != NULL) w->next->prev = w->prev;
  w->prev = w->next = NULL;
  d->blocked--;
  w->status = st;
  w->done = true;
  kpi_cond_signal(&w->cv);
}

// Tries to satisfy @w now, applying side effects. Returns true and sets
// *@st when it did. @objs is the wait's object list.
static bool wait_try(kpi_dobj_t *const *objs, uint32_t count, bool wait_all,
                     void *thread, kp_status_t *st) {
  if (!wait_all) {
    for (uint32_t i = 0; i < count; i++) {
      if (!dobj_ready(objs[i], thread)) continue;
      bool abandoned = dobj_consume(objs[i], thread);
      *st = (kp_status_t)((abandoned ? KP_STATUS_ABANDONED : 0) + (int32_t)i);
      return true;
    }
    return false;
  }
  for (uint32_t i = 0; i < count; i++)
    if (!dobj_ready(objs[i], thread)) return false;
  bool abandoned = false;
  for (uint32_t i = 0; i < count; i++)
    abandoned |= dobj_consume(objs[i], thread);
  *st = abandoned ? KP_STATUS_ABANDONED : KP_STATUS_SUCCESS;
  return true;
}

void kpi_dobj_signalled(kpi_dispatch_t *d, kpi_dobj_t *o) {
  kpi_wblock_t *b = o->wait_head;
  while (b != NULL && o->signal > 0) {
    kpi_wblock_t *next = b->next;
    kpi_waiter_t *w = b->waiter;
    kpi_dobj_t *objs[KP_MAXIMUM_WAIT_OBJECTS];
    for (uint32_t i = 0; i < w->count; i++) objs[i] = w->blocks[i].obj;
    kp_status_t st;
    if (wait_try(objs, w->count, w->wait_all, w->thread, &st)) {
      waiter_finish(d, w, st);
      // The waiter's blocks (maybe the next one of this list) are gone.
      next = o->wait_head;
    }
    b = next;
  }
}

void kpi_waits_expire(kpi_dispatch_t *d, uint64_t now) {
  kpi_waiter_t *w = d->blocked_head;
  while (w != NULL) {
    kpi_waiter_t *next = w->next;
    if (w->has_deadline && w->deadline <= now)
      waiter_finish(d, w, KP_STATUS_TIMEOUT);
    w = next;
  }
}

uint64_t kpi_waits_next(kpi_dispatch_t *d) {
  uint64_t next = UINT64_MAX;
  for (kpi_waiter_t *w = d->blocked_head; w != NULL; w = w->next)
    if (w->has_deadline && w->deadline < next) next = w->deadline;
  return next;
}

/* ---------------------------------------------------------------------------
 * Common checks.
 * ------------------------------------------------------------------------- */
static const char *dobj_type_name(uint8_t type) {
  switch (type) {
  case KPI_DOBJ_EVENT: return "event";
  case KPI_DOBJ_SEMAPHORE: return "semaphore";
  case KPI_DOBJ_MUTEX: return "mutex";
  case KPI_DOBJ_TIMER: return "timer";
  case KPI_DOBJ_THREAD: return "thread";
  case KPI_DOBJ_DPC: return "DPC";
  default: return "object";
  }
}

static void uninitialized(kp_system_t *sys, const void *obj, const char *api,
                          const char *expected, kp_site_t site) {
  kpi_ke_bugcheck(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                  KP_C4_OBJECT_UNINITIALIZED, (uint64_t)(uintptr_t)obj, 0, 0,
                  site,
                  "%s(%p): no %s was initialised at this address (never "
                  "initialised, copied, or initialised as another kind of "
                  "object).",
                  api, obj, expected);
}

// Looks @obj up as @type under the lock; on failure unlocks and raises.
static kpi_dobj_t *dobj_expect(kp_system_t *sys, kpi_dispatch_t *d,
                               const void *obj, uint8_t type, const char *api,
                               kp_site_t site) {
  kpi_dobj_t *o = obj != NULL ? kpi_dobj_find(d, obj) : NULL;
  if (o != NULL && o->type == type) return o;
  kpi_mutex_unlock(&d->lock);
  uninitialized(sys, obj, api, dobj_type_name(type), site);
  return NULL;
}

kpi_dobj_t *kpi_dobj_init(kp_system_t *sys, kpi_dispatch_t *d, void *obj,
                             uint8_t type, uint32_t size, const char *api,
                             kp_site_t site) {
  if (obj == NULL) {
    uninitialized(sys, obj, api, dobj_type_name(type), site);
    return NULL;
  }
  kpi_mutex_lock(&d->lock);
  bool created = false;
  kpi_dobj_t *o = kpi_dobj_get(d, obj, &created);
  if (o == NULL) {
    kpi_mutex_unlock(&d->lock);
    kpi_raise(sys, KP_STATUS_INSUFFICIENT_RESOURCES);
    return NULL;
  }
  if (!created && (o->wait_head != NULL || o->timer_set || o->queued)) {
    // Re-initialising an object threads wait on, a set timer or a queued
    // DPC corrupts the list it is linked in.
    const char *where = o->wait_head != NULL ? "a thread is waiting on this"
                        : o->timer_set      ? "the timer queue still holds this"
                                            : "the DPC queue still holds this";
    const char *what = dobj_type_name(o->type);
    kpi_mutex_unlock(&d->lock);
    kpi_ke_bugcheck(sys, KP_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE, 3, 0, 0, 0,
                    site,
                    "%s(%p): %s %s; initialising it again corrupts that list "
                    "(LIST_ENTRY corruption).",
                    api, obj, where, what);
    return NULL;
  }
  if (!created) {
    kpi_dobj_t *next = o->hash_next;
    memset(o, 0, sizeof *o);
    o->addr = obj;
    o->hash_next = next;
  }
  o->type = type;
  o->size = size;
  o->site = site;
  return o;
}

/* ---------------------------------------------------------------------------
 * Events.
 * ------------------------------------------------------------------------- */
void kp_event_init(kp_system_t *sys, void *obj, kp_event_type_t type,
                   bool signalled, kp_site_t site) {
  if (sys == NULL) return;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_dobj_t *o = kpi_dobj_init(sys, d, obj, KPI_DOBJ_EVENT, 0x18,
                            "KeInitializeEvent", site);
  if (o == NULL) return;
  o->sync = type == KP_EVENT_SYNCHRONIZATION;
  o->signal = signalled ? 1 : 0;
  kpi_mutex_unlock(&d->lock);
}

int32_t kp_event_set(kp_system_t *sys, void *obj, int32_t increment, bool wait,
                     kp_site_t site) {
  (void)increment; // priority boosts are not modelled
  (void)wait;
  if (sys == NULL) return 0;
  kp_irql_t irql = kpi_irql();
  if (irql > KP_DISPATCH_LEVEL && kpi_verifier(sys)) {
    kpi_ke_bugcheck(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                    KP_C4_SET_EVENT_IRQL, irql, (uint64_t)(uintptr_t)obj, 0,
                    site,
                    "KeSetEvent(%p) called at IRQL %u; events are set at or "
                    "below DISPATCH_LEVEL.",
                    obj, (unsigned)irql);
    return 0;
  }
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = dobj_expect(sys, d, obj, KPI_DOBJ_EVENT, "KeSetEvent", site);
  if (o == NULL) return 0;
  int32_t old = o->signal;
  o->signal = 1;
  kpi_dobj_signalled(d, o);
  kpi_mutex_unlock(&d->lock);
  return old;
}

int32_t kp_event_reset(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = dobj_expect(sys, d, obj, KPI_DOBJ_EVENT, "KeResetEvent", site);
  if (o == NULL) return 0;
  int32_t old = o->signal;
  o->signal = 0;
  kpi_mutex_unlock(&d->lock);
  return old;
}

int32_t kp_event_read(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o =
      dobj_expect(sys, d, obj, KPI_DOBJ_EVENT, "KeReadStateEvent", site);
  if (o == NULL) return 0;
  int32_t st = o->signal;
  kpi_mutex_unlock(&d->lock);
  return st;
}

/* ---------------------------------------------------------------------------
 * Semaphores.
 * ------------------------------------------------------------------------- */
void kp_semaphore_init(kp_system_t *sys, void *obj, int32_t count,
                       int32_t limit, kp_site_t site) {
  if (sys == NULL) return;
  if (limit <= 0 || count < 0 || count > limit) {
    kpi_raise(sys, KP_STATUS_INVALID_PARAMETER);
    return;
  }
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_dobj_t *o = kpi_dobj_init(sys, d, obj, KPI_DOBJ_SEMAPHORE, 0x20,
                            "KeInitializeSemaphore", site);
  if (o == NULL) return;
  o->signal = count;
  o->limit = limit;
  kpi_mutex_unlock(&d->lock);
}

int32_t kp_semaphore_release(kp_system_t *sys, void *obj, int32_t increment,
                             int32_t adjustment, bool wait, kp_site_t site) {
  (void)increment;
  (void)wait;
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = dobj_expect(sys, d, obj, KPI_DOBJ_SEMAPHORE,
                              "KeReleaseSemaphore", site);
  if (o == NULL) return 0;
  int32_t old = o->signal;
  int64_t next = (int64_t)old + adjustment;
  if (adjustment < 0 || next > o->limit) {
    kpi_mutex_unlock(&d->lock);
    kpi_raise(sys, KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    return old;
  }
  o->signal = (int32_t)next;
  kpi_dobj_signalled(d, o);
  kpi_mutex_unlock(&d->lock);
  return old;
}

int32_t kp_semaphore_read(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = dobj_expect(sys, d, obj, KPI_DOBJ_SEMAPHORE,
                              "KeReadStateSemaphore", site);
  if (o == NULL) return 0;
  int32_t st = o->signal;
  kpi_mutex_unlock(&d->lock);
  return st;
}

/* ---------------------------------------------------------------------------
 * Kernel mutexes.
 * ------------------------------------------------------------------------- */
void kp_mutex_init(kp_system_t *sys, void *obj, uint32_t level, kp_site_t site) {
  (void)level; // reserved: the level-ordering check (0xD) is not modelled
  if (sys == NULL) return;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_dobj_t *o = kpi_dobj_init(sys, d, obj, KPI_DOBJ_MUTEX, 0x38,
                            "KeInitializeMutex", site);
  if (o == NULL) return;
  o->signal = 1;
  kpi_mutex_unlock(&d->lock);
}

int32_t kp_mutex_release(kp_system_t *sys, void *obj, bool wait,
                         kp_site_t site) {
  (void)wait;
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o =
      dobj_expect(sys, d, obj, KPI_DOBJ_MUTEX, "KeReleaseMutex", site);
  if (o == NULL) return 0;
  void *me = kpi_self();
  if (o->signal > 0 || o->owner != me) {
    // Windows raises; unhandled, that is 0x1E (0x7E in a system thread).
    kpi_mutex_unlock(&d->lock);
    kpi_raise(sys, KP_STATUS_MUTANT_NOT_OWNED);
    return 0;
  }
  // Windows returns the state before the release: 0 when this was the last
  // release (the mutex is now signalled), negative while still owned.
  int32_t old = o->signal;
  o->signal++;
  if (o->signal == 1) {
    o->owner = NULL;
    kpi_dobj_signalled(d, o);
  }
  kpi_mutex_unlock(&d->lock);
  return old;
}

int32_t kp_mutex_read(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o =
      dobj_expect(sys, d, obj, KPI_DOBJ_MUTEX, "KeReadStateMutex", site);
  if (o == NULL) return 0;
  int32_t st = o->signal;
  kpi_mutex_unlock(&d->lock);
  return st;
}

/* ---------------------------------------------------------------------------
 * Waits.
 * ------------------------------------------------------------------------- */
// The IRQL rule of every wait. Returns false after a bug check.
static bool wait_irql_ok(kp_system_t *sys, const void *obj,
                         const int64_t *timeout, kp_site_t site,
                         const char *api) {
  kp_irql_t irql = kpi_irql();
  bool poll = timeout != NULL && *timeout == 0;
  if (irql < KP_DISPATCH_LEVEL || (irql == KP_DISPATCH_LEVEL && poll))
    return true;
  const char *what = timeout == NULL ? "no timeout (wait forever)"
                                     : (poll ? "a zero timeout"
                                             : "a non-zero timeout");
  if (kpi_verifier(sys)) {
    kpi_ke_bugcheck(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                    KP_C4_WAIT_AT_DISPATCH, irql, (uint64_t)(uintptr_t)obj,
                    timeout != NULL ? (uint64_t)*timeout : 0, site,
                    "%s(%p) with %s at IRQL %u%s: only a zero-timeout poll is "
                    "allowed at DISPATCH_LEVEL, nothing above it.",
                    api, obj, what, (unsigned)irql,
                    kp_in_dpc() ? " inside a DPC" : "");
  } else if (kp_in_dpc()) {
    kpi_ke_bugcheck(sys, KP_BUGCHECK_ATTEMPTED_SWITCH_FROM_DPC,
                    (uint64_t)(uintptr_t)kpi_self(), 0, 0, 0, site,
                    "%s(%p) with %s inside a DPC routine: a DPC must not "
                    "wait or yield.",
                    api, obj, what);
  } else {
    kpi_ke_bugcheck(sys, KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL,
                    (uint64_t)(uintptr_t)obj, irql, 0,
                    (uint64_t)(uintptr_t)site.caller, site,
                    "%s(%p) with %s at IRQL %u: only a zero-timeout poll is "
                    "allowed at DISPATCH_LEVEL.",
                    api, obj, what, (unsigned)irql);
  }
  return false;
}

// Deadline in interrupt time for a non-zero timeout.
static uint64_t wait_deadline(kp_system_t *sys, int64_t timeout) {
  uint64_t now = kp_time_interrupt(sys);
  if (timeout < 0) {
    uint64_t rel = (uint64_t)0 - (uint64_t)timeout;
    return rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
  }
  int64_t boot = sys->cfg.boot_system_time;
  return timeout <= boot ? 0 : (uint64_t)(timeout - boot);
}

// The blocking part shared by waits and delays: under the lock, with the
// wait not satisfiable now. Returns the wait's status, lock still held.
static kp_status_t wait_block(kp_system_t *sys, kpi_dispatch_t *d,
                              kpi_dobj_t *const *objs, uint32_t count,
                              bool wait_all, const int64_t *timeout) {
  kpi_wblock_t blocks[KP_MAXIMUM_WAIT_OBJECTS];
  kpi_waiter_t w;
  memset(&w, 0, sizeof w);
  w.thread = kpi_self();
  w.count = count;
  w.wait_all = wait_all;
  w.blocks = blocks;
  if (timeout != NULL) {
    w.has_deadline = true;
    w.deadline = wait_deadline(sys, *timeout);
    if (w.deadline <= kp_time_interrupt(sys)) return KP_STATUS_TIMEOUT;
  }
  kpi_cond_init(&w.cv);
  for (uint32_t i = 0; i < count; i++) {
    kpi_wblock_t *b = &blocks[i];
    b->waiter = &w;
    b->obj = objs[i];
    b->index = i;
    b->next = NULL;
    b->prev = objs[i]->wait_tail;
    if (b->prev != NULL) b->prev->next = b; else objs[i]->wait_head = b;
    objs[i]->wait_tail = b;
  }
  w.next = d->blocked_head;
  if (w.next != NULL) w.next->prev = &w;
  d->blocked_head = &w;
  d->blocked++;
  while (!w.done) kpi_cond_wait(&w.cv, &d->lock);
  kpi_cond_destroy(&w.cv);
  return w.status;
}

kp_status_t kp_wait(kp_system_t *sys, uint32_t count, void *const objects[],
                    kp_wait_type_t type, const int64_t *timeout,
                    void *wait_blocks, kp_site_t site) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (site.caller == NULL && site.file == NULL)
    site = kp_site(NULL, 0, DISPATCH_CALLER());
  const char *api = count == 1 && wait_blocks == NULL && type == KP_WAIT_ANY
                        ? "KeWaitForSingleObject"
                        : "KeWaitForMultipleObjects";
  if (count > KP_MAXIMUM_WAIT_OBJECTS ||
      (count > KP_THREAD_WAIT_OBJECTS && wait_blocks == NULL)) {
    kpi_ke_bugcheck(sys, KP_BUGCHECK_MAXIMUM_WAIT_OBJECTS_EXCEEDED, 0, 0, 0, 0,
                    site,
                    "%s with %u objects%s: at most %u objects, and more than "
                    "%u need a WaitBlockArray of Count KWAIT_BLOCKs.",
                    api, (unsigned)count,
                    wait_blocks == NULL ? " and no WaitBlockArray" : "",
                    KP_MAXIMUM_WAIT_OBJECTS, KP_THREAD_WAIT_OBJECTS);
    return KP_STATUS_INVALID_PARAMETER;
  }
  if (count == 0 || objects == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (type != KP_WAIT_ALL && type != KP_WAIT_ANY)
    return KP_STATUS_INVALID_PARAMETER;
  if (!wait_irql_ok(sys, objects[0], timeout, site, api))
    return KP_STATUS_INVALID_PARAMETER;

  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_dobj_t *objs[KP_MAXIMUM_WAIT_OBJECTS];
  kpi_mutex_lock(&d->lock);
  for (uint32_t i = 0; i < count; i++) {
    kpi_dobj_t *o = objects[i] != NULL ? kpi_dobj_find(d, objects[i]) : NULL;
    if (o == NULL || !dobj_waitable(o)) {
      kpi_mutex_unlock(&d->lock);
      uninitialized(sys, objects[i], api, "dispatcher object", site);
      return KP_STATUS_INVALID_PARAMETER;
    }
    objs[i] = o;
  }
  void *me = kpi_self();
  bool wait_all = type == KP_WAIT_ALL;
  // A mutex owned MINLONG times cannot be taken once more.
  for (uint32_t i = 0; i < count; i++) {
    if (objs[i]->type == KPI_DOBJ_MUTEX && objs[i]->owner == me &&
        objs[i]->signal == INT32_MIN) {
      kpi_mutex_unlock(&d->lock);
      kpi_raise(sys, KP_STATUS_MUTANT_LIMIT_EXCEEDED);
      return KP_STATUS_MUTANT_LIMIT_EXCEEDED;
    }
  }
  kp_status_t st;
  if (!wait_try(objs, count, wait_all, me, &st)) {
    if (timeout != NULL && *timeout == 0)
      st = KP_STATUS_TIMEOUT;
    else
      st = wait_block(sys, d, objs, count, wait_all, timeout);
  }
  kpi_mutex_unlock(&d->lock);
  return st;
}

kp_status_t kp_delay(kp_system_t *sys, int64_t interval, kp_site_t site) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (site.caller == NULL && site.file == NULL)
    site = kp_site(NULL, 0, DISPATCH_CALLER());
  if (!wait_irql_ok(sys, NULL, &interval, site, "KeDelayExecutionThread"))
    return KP_STATUS_INVALID_PARAMETER;
  if (interval == 0) {
    kpi_os_yield();
    return KP_STATUS_SUCCESS;
  }
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  (void)wait_block(sys, d, NULL, 0, false, &interval);
  kpi_mutex_unlock(&d->lock);
  return KP_STATUS_SUCCESS;
}

uint32_t kp_wait_blocked_count(kp_system_t *sys) {
  if (sys == NULL) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  uint32_t n = d->blocked;
  kpi_mutex_unlock(&d->lock);
  return n;
}

/* ---------------------------------------------------------------------------
 * Module hooks.
 * ------------------------------------------------------------------------- */
static uint64_t dispatch_clock(kp_system_t *sys, void *state, uint64_t now_ms) {
  kpi_dispatch_t *d = state;
  uint64_t now = now_ms * 10000u;
  kpi_mutex_lock(&d->lock);
  kpi_timers_expire(sys, d, now);
  kpi_waits_expire(d, now);
  kpi_mutex_unlock(&d->lock);
  // DPCs of the timers that just expired (and any other queued DPC).
  (void)kp_dpc_drain(sys);
  kpi_mutex_lock(&d->lock);
  uint64_t next = kpi_timers_next(d);
  uint64_t w = kpi_waits_next(d);
  if (w < next) next = w;
  kpi_mutex_unlock(&d->lock);
  if (next == UINT64_MAX) return UINT64_MAX;
  // Round up to the clock's millisecond steps.
  return next / 10000u + (next % 10000u != 0);
}

static void dispatch_unload(kp_system_t *sys, void *state) {
  kpi_timers_unload_check(sys, state);
  kpi_threads_unload_check(sys, state);
}

static void dispatch_before_free(kp_system_t *sys, void *state,
                                 const kp_block_info_t *block) {
  kpi_timers_before_free(sys, state, block);
}

/* The hook finds something only while a timer is set or a DPC queued. */
static bool dispatch_before_free_wanted(kp_system_t *sys, void *state) {
  (void)sys;
  const kpi_dispatch_t *d = state;
  return atomic_load_explicit(&d->pending, memory_order_relaxed) != 0;
}

static void dispatch_destroy(kp_system_t *sys, void *state) {
  kpi_dispatch_t *d = state;
  kpi_threads_destroy(sys, d);
  for (size_t b = 0; b < KPI_DISPATCH_BUCKETS; b++) {
    kpi_dobj_t *o = d->buckets[b];
    while (o != NULL) {
      kpi_dobj_t *next = o->hash_next;
      free(o);
      o = next;
    }
  }
  kpi_cond_destroy(&d->dpc_idle);
  kpi_mutex_destroy(&d->lock);
  free(d);
}
