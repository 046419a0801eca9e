/*
 * timer.c — KTIMER and KDPC: setting, cancelling and expiring timers on
 * the virtual clock, the DPC queue and where DPCs run, and the checks for
 * timers and DPCs left in freed pool or at driver unload. The schedule is
 * documented in include/kpool/dispatch.h.
 */
#include <stdio.h>
#include <string.h>

#include "ke/kp_dispatch.h"
#include "ke/kp_ke.h"
#include "ex/kp_ex.h"
#include "rtl/kp_rtl.h"

#define TIMER_SIZE 0x40u
#define DPC_SIZE 0x40u

/* ---------------------------------------------------------------------------
 * Timer list and DPC queue (under the lock).
 * ------------------------------------------------------------------------- */
void kpi_timer_unlink(kpi_dispatch_t *d, kpi_dobj_t *t) {
  if (!t->timer_set) return;
  if (t->timer_prev != NULL) t->timer_prev->timer_next = t->timer_next;
  else d->timers = t->timer_next;
  if (t->timer_next != NULL) t->timer_next->timer_prev = t->timer_prev;
  t->timer_prev = t->timer_next = NULL;
  t->timer_set = false;
  d->timers_set--;
  atomic_fetch_sub_explicit(&d->pending, 1, memory_order_relaxed);
}

static void timer_link(kpi_dispatch_t *d, kpi_dobj_t *t) {
  t->timer_prev = NULL;
  t->timer_next = d->timers;
  if (d->timers != NULL) d->timers->timer_prev = t;
  d->timers = t;
  t->timer_set = true;
  d->timers_set++;
  atomic_fetch_add_explicit(&d->pending, 1, memory_order_relaxed);
}

bool kpi_dpc_enqueue(kpi_dispatch_t *d, kpi_dobj_t *dpc, void *a1, void *a2) {
  if (dpc->queued) return false;
  dpc->queued = true;
  dpc->arg1 = a1;
  dpc->arg2 = a2;
  dpc->target = kp_thread_processor();
  dpc->dpc_next = NULL;
  if (d->dpc_tail != NULL) d->dpc_tail->dpc_next = dpc; else d->dpc_head = dpc;
  d->dpc_tail = dpc;
  d->dpcs_queued++;
  atomic_fetch_add_explicit(&d->pending, 1, memory_order_relaxed);
  return true;
}

bool kpi_dpc_unqueue(kpi_dispatch_t *d, kpi_dobj_t *dpc) {
  if (!dpc->queued) return false;
  kpi_dobj_t *prev = NULL;
  for (kpi_dobj_t *q = d->dpc_head; q != NULL; prev = q, q = q->dpc_next) {
    if (q != dpc) continue;
    if (prev != NULL) prev->dpc_next = q->dpc_next; else d->dpc_head = q->dpc_next;
    if (d->dpc_tail == q) d->dpc_tail = prev;
    break;
  }
  dpc->queued = false;
  dpc->dpc_next = NULL;
  d->dpcs_queued--;
  atomic_fetch_sub_explicit(&d->pending, 1, memory_order_relaxed);
  return true;
}

// A timer reached its due time: signal it, queue its DPC, re-arm it.
static void timer_fire(kpi_dispatch_t *d, kpi_dobj_t *t) {
  t->signal = 1;
  kpi_dobj_signalled(d, t);
  if (t->dpc != NULL) (void)kpi_dpc_enqueue(d, t->dpc, NULL, NULL);
  if (t->period_ms != 0)
    t->due += (uint64_t)t->period_ms * 10000u;
  else
    kpi_timer_unlink(d, t);
}

void kpi_timers_expire(kp_system_t *sys, kpi_dispatch_t *d, uint64_t now) {
  (void)sys;
  // Each pass fires every timer due by @now once; a periodic timer whose
  // next due time is still <= @now (a clock that jumped) fires again in
  // the next pass, so no expiry is lost.
  bool fired = true;
  while (fired) {
    fired = false;
    kpi_dobj_t *t = d->timers;
    while (t != NULL) {
      kpi_dobj_t *next = t->timer_next;
      if (t->due <= now) {
        timer_fire(d, t);
        fired = true;
      }
      t = next;
    }
  }
}

uint64_t kpi_timers_next(kpi_dispatch_t *d) {
  uint64_t next = UINT64_MAX;
  for (kpi_dobj_t *t = d->timers; t != NULL; t = t->timer_next)
    if (t->due < next) next = t->due;
  return next;
}

/* ---------------------------------------------------------------------------
 * Timers.
 * ------------------------------------------------------------------------- */
static kpi_dobj_t *timer_find(kp_system_t *sys, kpi_dispatch_t *d, void *obj,
                              uint8_t type, const char *api, kp_site_t site) {
  kpi_dobj_t *o = obj != NULL ? kpi_dobj_find(d, obj) : NULL;
  if (o != NULL && o->type == type) return o;
  kpi_mutex_unlock(&d->lock);
  kpi_ke_bugcheck(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                  KP_C4_OBJECT_UNINITIALIZED, (uint64_t)(uintptr_t)obj, 0, 0,
                  site,
                  "%s(%p): no %s was initialised at this address.", api, obj,
                  type == KPI_DOBJ_TIMER ? "timer (KeInitializeTimer)"
                                         : "DPC (KeInitializeDpc)");
  return NULL;
}

void kp_timer_init(kp_system_t *sys, void *obj, kp_timer_type_t type,
                   kp_site_t site) {
  if (sys == NULL) return;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_dobj_t *o = kpi_dobj_init(sys, d, obj, KPI_DOBJ_TIMER, TIMER_SIZE,
                               "KeInitializeTimerEx", site);
  if (o == NULL) return;
  o->sync = type == KP_TIMER_SYNCHRONIZATION;
  kpi_mutex_unlock(&d->lock);
}

bool kp_timer_set(kp_system_t *sys, void *obj, int64_t due, int32_t period_ms,
                  void *dpc, kp_site_t site) {
  if (sys == NULL) return false;
  if (period_ms < 0) {
    kpi_raise(sys, KP_STATUS_INVALID_PARAMETER_3);
    return false;
  }
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *t = timer_find(sys, d, obj, KPI_DOBJ_TIMER, "KeSetTimerEx", site);
  if (t == NULL) return false;
  kpi_dobj_t *dr = NULL;
  if (dpc != NULL) {
    dr = timer_find(sys, d, dpc, KPI_DOBJ_DPC, "KeSetTimerEx", site);
    if (dr == NULL) return false;
  }
  bool was_set = t->timer_set;
  // Setting cancels the earlier setting, including its pending DPC.
  if (was_set) kpi_timer_unlink(d, t);
  if (t->dpc != NULL) (void)kpi_dpc_unqueue(d, t->dpc);
  uint64_t now = kp_time_interrupt(sys);
  uint64_t at;
  if (due < 0) {
    uint64_t rel = (uint64_t)0 - (uint64_t)due;
    at = rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
  } else {
    int64_t boot = sys->cfg.boot_system_time;
    at = due <= boot ? 0 : (uint64_t)(due - boot);
  }
  // A due time already past means now: a periodic timer then goes on from
  // now, not from a past instant it could never catch up with.
  if (at < now) at = now;
  t->signal = 0;
  t->due = at;
  t->period_ms = (uint32_t)period_ms;
  t->dpc = dr;
  t->site = site;
  timer_link(d, t);
  // A due time already reached expires at once (its DPC is queued; it runs
  // at the next drain).
  if (at <= now) kpi_timers_expire(sys, d, now);
  kpi_mutex_unlock(&d->lock);
  return was_set;
}

bool kp_timer_cancel(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return false;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *t = timer_find(sys, d, obj, KPI_DOBJ_TIMER, "KeCancelTimer", site);
  if (t == NULL) return false;
  bool was_set = t->timer_set;
  kpi_timer_unlink(d, t);
  // A one-shot timer that already expired has left the queue: FALSE, and
  // its queued DPC still runs (Windows does not dequeue it then).
  if (was_set && t->dpc != NULL) (void)kpi_dpc_unqueue(d, t->dpc);
  kpi_mutex_unlock(&d->lock);
  return was_set;
}

bool kp_timer_read(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return false;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *t =
      timer_find(sys, d, obj, KPI_DOBJ_TIMER, "KeReadStateTimer", site);
  if (t == NULL) return false;
  bool st = t->signal > 0;
  kpi_mutex_unlock(&d->lock);
  return st;
}

/* ---------------------------------------------------------------------------
 * DPCs.
 * ------------------------------------------------------------------------- */
void kp_dpc_init(kp_system_t *sys, void *obj, kp_dpc_routine_t routine,
                 void *context, bool threaded, kp_site_t site) {
  if (sys == NULL) return;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_dobj_t *o = kpi_dobj_init(sys, d, obj, KPI_DOBJ_DPC, DPC_SIZE,
                               threaded ? "KeInitializeThreadedDpc"
                                        : "KeInitializeDpc",
                               site);
  if (o == NULL) return;
  o->routine = routine;
  o->context = context;
  o->threaded = threaded;
  kpi_mutex_unlock(&d->lock);
}

bool kp_dpc_queue(kp_system_t *sys, void *obj, void *arg1, void *arg2,
                  kp_site_t site) {
  if (sys == NULL) return false;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = timer_find(sys, d, obj, KPI_DOBJ_DPC, "KeInsertQueueDpc", site);
  if (o == NULL) return false;
  bool queued = kpi_dpc_enqueue(d, o, arg1, arg2);
  if (queued) o->site = site;
  kpi_mutex_unlock(&d->lock);
  return queued;
}

bool kp_dpc_remove(kp_system_t *sys, void *obj, kp_site_t site) {
  if (sys == NULL) return false;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = timer_find(sys, d, obj, KPI_DOBJ_DPC, "KeRemoveQueueDpc", site);
  if (o == NULL) return false;
  bool removed = kpi_dpc_unqueue(d, o);
  kpi_mutex_unlock(&d->lock);
  return removed;
}

void kpi_dpc_recover(void) {
  kpi_kthread_t *k = kpi_kthread();
  // A DPC is running on this thread and a bug check raised inside it has
  // not come back from its handler: outside that handler, this means the
  // handler jumped out of the routine and the DPC's frame is gone.
  if (k->dpc_depth == 0 || k->bugcheck_depth <= k->dpc_bugcheck_base) return;
  kpi_thread_t *t = kpi_thread();
  kpi_irql_store(t, k->dpc_saved_irql);
  t->processor = k->dpc_saved_cpu;
  k->dpc_depth = 0;
  k->bugcheck_depth = k->dpc_bugcheck_base;
  kpi_dispatch_t *d = k->dpc_owner;
  k->dpc_owner = NULL;
  if (d != NULL) {
    kpi_mutex_lock(&d->lock);
    if (d->dpcs_running > 0) d->dpcs_running--;
    kpi_cond_broadcast(&d->dpc_idle);
    kpi_mutex_unlock(&d->lock);
  }
}

bool kp_in_dpc(void) {
  kpi_dpc_recover();
  return kpi_kthread()->dpc_depth > 0;
}

// The routine inside a KP_TRY frame: an exception a DPC does not handle
// must not unwind through the drain. Returns the raised status or 0.
static kp_status_t dpc_call(kp_dpc_routine_t routine, void *obj, void *context,
                            void *a1, void *a2) {
  volatile kp_status_t raised = 0;
  KP_TRY {
    routine(obj, context, a1, a2);
  } KP_EXCEPT(st) {
    raised = st;
  } KP_END_TRY;
  return raised;
}

// Runs one DPC routine at DISPATCH_LEVEL on its target processor. Returns
// false when the routine raised (the bug check is already raised).
static void dpc_run(kp_system_t *sys, kpi_dispatch_t *d, void *obj,
                    kp_dpc_routine_t routine, void *context, void *a1,
                    void *a2, uint32_t target) {
  kpi_thread_t *t = kpi_thread();
  kpi_kthread_t *k = kpi_kthread();
  k->dpc_saved_irql = t->irql;
  k->dpc_saved_cpu = t->processor;
  k->dpc_owner = d;
  k->dpc_bugcheck_base = k->bugcheck_depth;
  uint32_t cpus = sys->cfg.numa_nodes * sys->cfg.processors_per_node;
  t->processor = target < cpus ? target : 0;
  kpi_irql_store(t, KP_DISPATCH_LEVEL);
  k->dpc_depth++;
  kp_status_t raised = 0;
  if (routine != NULL) raised = dpc_call(routine, obj, context, a1, a2);
  k->dpc_depth--;
  k->dpc_owner = NULL;
  kpi_irql_store(t, k->dpc_saved_irql);
  t->processor = k->dpc_saved_cpu;
  if (raised != 0)
    kpi_ke_bugcheck(sys, KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED,
                    (uint64_t)(int64_t)raised, (uint64_t)(uintptr_t)routine, 0,
                    0, kp_site(NULL, 0, (const void *)(uintptr_t)routine),
                    "Status 0x%08X was raised in the DPC routine %p (DPC %p) "
                    "and the routine did not handle it.",
                    (unsigned)(uint32_t)raised, (void *)(uintptr_t)routine, obj);
}

uint32_t kp_dpc_drain(kp_system_t *sys) {
  if (sys == NULL || kp_in_dpc()) return 0;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  uint32_t ran = 0;
  for (;;) {
    kpi_mutex_lock(&d->lock);
    kpi_dobj_t *o = d->dpc_head;
    if (o == NULL) {
      kpi_mutex_unlock(&d->lock);
      break;
    }
    (void)kpi_dpc_unqueue(d, o);
    // Copy what the call needs: the routine may free or re-queue the DPC.
    void *obj = (void *)(uintptr_t)o->addr;
    kp_dpc_routine_t routine = o->routine;
    void *context = o->context, *a1 = o->arg1, *a2 = o->arg2;
    uint32_t target = o->target;
    d->dpcs_running++;
    kpi_mutex_unlock(&d->lock);
    dpc_run(sys, d, obj, routine, context, a1, a2, target);
    kpi_mutex_lock(&d->lock);
    d->dpcs_running--;
    kpi_cond_broadcast(&d->dpc_idle);
    kpi_mutex_unlock(&d->lock);
    ran++;
  }
  return ran;
}

void kp_dpc_flush(kp_system_t *sys, kp_site_t site) {
  if (sys == NULL) return;
  kp_irql_t irql = kpi_irql();
  if (irql > KP_APC_LEVEL) {
    kpi_ke_bugcheck(sys, KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL, 0, irql, 0,
                    (uint64_t)(uintptr_t)site.caller, site,
                    "KeFlushQueuedDpcs called at IRQL %u%s: it waits for DPCs "
                    "and must run at or below APC_LEVEL.",
                    (unsigned)irql, kp_in_dpc() ? " inside a DPC" : "");
    return;
  }
  (void)kp_dpc_drain(sys);
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  while (d->dpcs_running > 0) kpi_cond_wait(&d->dpc_idle, &d->lock);
  kpi_mutex_unlock(&d->lock);
}

/* ---------------------------------------------------------------------------
 * Checks: freed pool and driver unload.
 * ------------------------------------------------------------------------- */
typedef struct timer_finding {
  uint8_t type;
  const void *addr;
  uint32_t size;
  kp_dpc_routine_t routine;
  kp_site_t site;
} timer_finding_t;

#define TIMER_FINDINGS_MAX 64u

// Collects set timers and queued DPCs, optionally only inside [lo, hi).
static uint32_t timers_collect(kpi_dispatch_t *d, uintptr_t lo, uintptr_t hi,
                               timer_finding_t *out, uint32_t max,
                               uint32_t *total) {
  uint32_t n = 0;
  *total = 0;
  kpi_mutex_lock(&d->lock);
  for (kpi_dobj_t *t = d->timers; t != NULL; t = t->timer_next) {
    uintptr_t a = (uintptr_t)t->addr;
    if (a < lo || a >= hi) continue;
    (*total)++;
    if (n < max)
      out[n++] = (timer_finding_t){KPI_DOBJ_TIMER, t->addr, t->size,
                                   t->dpc != NULL ? t->dpc->routine : NULL,
                                   t->site};
  }
  for (kpi_dobj_t *q = d->dpc_head; q != NULL; q = q->dpc_next) {
    uintptr_t a = (uintptr_t)q->addr;
    if (a < lo || a >= hi) continue;
    (*total)++;
    if (n < max)
      out[n++] = (timer_finding_t){KPI_DOBJ_DPC, q->addr, q->size, q->routine,
                                   q->site};
  }
  kpi_mutex_unlock(&d->lock);
  return n;
}

void kpi_timers_before_free(kp_system_t *sys, kpi_dispatch_t *d,
                            const kp_block_info_t *block) {
  // Cheap when nothing is pending: the common case on every free.
  kpi_mutex_lock(&d->lock);
  bool any = d->timers_set != 0 || d->dpcs_queued != 0;
  kpi_mutex_unlock(&d->lock);
  if (!any) return;
  uintptr_t lo = (uintptr_t)block->address;
  uintptr_t hi = lo + block->size;
  timer_finding_t f[1];
  uint32_t total = 0;
  uint32_t n = timers_collect(d, lo, hi, f, 1, &total);
  if (n == 0) return;
  char where[256];
  kpi_site_text(f[0].site, where, sizeof where);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.block = block;
  if (f[0].type == KPI_DOBJ_TIMER && kpi_verifier(sys)) {
    kpi_bugcheck_raise(
        sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
        KP_C4_TIMER_IN_FREED_POOL, (uint64_t)(uintptr_t)f[0].addr,
        block->pool_type, (uint64_t)lo, &ctx,
        "Freeing pool that holds an active timer: the KTIMER at %p (offset "
        "0x%zx in the block, set at %s) is still in the timer queue; cancel "
        "it (KeCancelTimer) before freeing its memory.%s",
        f[0].addr, (size_t)((uintptr_t)f[0].addr - lo), where,
        total > 1 ? " More timers or DPCs in the block are pending too." : "");
    return;
  }
  bool timer = f[0].type == KPI_DOBJ_TIMER;
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_TIMER_OR_DPC_INVALID, timer ? 0u : 1u,
      (uint64_t)(uintptr_t)f[0].addr, (uint64_t)lo, (uint64_t)hi, &ctx,
      "Freeing pool that holds %s: the %s at %p (offset 0x%zx in the block, "
      "%s at %s) is still pending; %s before freeing its memory.",
      timer ? "an active timer" : "a queued DPC", timer ? "KTIMER" : "KDPC",
      f[0].addr, (size_t)((uintptr_t)f[0].addr - lo), timer ? "set" : "queued",
      where,
      timer ? "cancel it (KeCancelTimer) and flush DPCs (KeFlushQueuedDpcs)"
            : "remove it (KeRemoveQueueDpc) or let it run (KeFlushQueuedDpcs)");
}

void kpi_timers_unload_check(kp_system_t *sys, kpi_dispatch_t *d) {
  timer_finding_t f[TIMER_FINDINGS_MAX];
  uint32_t total = 0;
  uint32_t n = timers_collect(d, 0, UINTPTR_MAX, f, TIMER_FINDINGS_MAX, &total);
  if (total == 0) return;
  kp_printf(sys,
            "kpool: driver unload: %u timer%s still set / DPC%s still queued "
            "(Windows raises 0x%s right after the unload):\n",
            (unsigned)total, total == 1 ? "" : "s", total == 1 ? "" : "s",
            kpi_verifier(sys) ? "C7 under Driver Verifier" : "CE later");
  for (uint32_t i = 0; i < n; i++) {
    char where[256];
    kpi_site_text(f[i].site, where, sizeof where);
    bool timer = f[i].type == KPI_DOBJ_TIMER;
    kp_printf(sys, "kpool:   %s %p, %s at %s, routine %p\n",
              timer ? "KTIMER" : "KDPC", f[i].addr, timer ? "set" : "queued",
              where, (void *)(uintptr_t)f[i].routine);
  }
  for (uint32_t i = 0; i < n; i++) {
    char where[256];
    kpi_site_text(f[i].site, where, sizeof where);
    bool timer = f[i].type == KPI_DOBJ_TIMER;
    uint64_t addr = (uint64_t)(uintptr_t)f[i].addr;
    uint64_t routine = (uint64_t)(uintptr_t)f[i].routine;
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = f[i].site;
    if (kpi_verifier(sys)) {
      kpi_bugcheck_raise(
          sys, KP_BUGCHECK_TIMER_OR_DPC_INVALID, timer ? 0u : 1u, addr, addr,
          addr + f[i].size, &ctx,
          "The driver unloaded with the %s at %p still %s (at %s); its %s "
          "would run in unloaded code. Cancel timers (KeCancelTimer), remove "
          "or flush DPCs (KeRemoveQueueDpc, KeFlushQueuedDpcs) in Unload.",
          timer ? "KTIMER" : "KDPC", f[i].addr, timer ? "set" : "queued",
          where, timer ? "expiry" : "routine");
    } else {
      uint64_t p1 = routine != 0 ? routine : addr;
      kpi_bugcheck_raise(
          sys,
          KP_BUGCHECK_DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
          p1, 0, p1, 0, &ctx,
          "The driver unloaded with the %s at %p still %s (at %s); when it "
          "fires, Windows touches the unloaded driver (0xCE).",
          timer ? "KTIMER" : "KDPC", f[i].addr, timer ? "set" : "queued",
          where);
    }
  }
}
