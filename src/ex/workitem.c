/*
 * workitem.c — IO_WORKITEM and WORK_QUEUE_ITEM: records kept out of band,
 * one worker host thread per system, the checks of include/kpool/workitem.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_dispatch.h"
#include "ke/kp_ke.h"
#include "ex/kp_ex.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "kpool/workitem.h"

enum { WI_IO = 0, WI_IO_EX = 1, WI_PLAIN = 2 };

typedef struct wi_item {
  void *addr;
  void *io_object;
  bool allocated;             /* kp_workitem_alloc (kpool owns storage) */
  bool plain;                 /* ExQueueWorkItem item: record dies when run */
  bool queued;
  bool running;
  bool free_after;            /* freed by its own routine */
  uint8_t kind;
  void (*fn)(void);
  void *context;
  uint32_t queue_type;
  kp_site_t site;
  struct wi_item *next;       /* all records */
  struct wi_item *q_next;     /* the queue */
} wi_item_t;

typedef struct wi_state {
  kpi_mutex_t lock;
  kpi_cond_t work;            /* worker: something queued, or stop */
  kpi_cond_t idle;            /* waiters: queue drained */
  wi_item_t *items;
  wi_item_t *q_head, *q_tail;
  uint32_t pending;           /* queued + running */
  bool started;
  bool stop;
  kpi_os_thread_t worker;
  kp_system_t *sys;
} wi_state_t;

static void wi_unload(kp_system_t *sys, void *state);
static void wi_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block);
static void wi_destroy(kp_system_t *sys, void *state);

static const kpi_module_ops_t wi_ops = {
    .name = "workitem",
    .unload_check = wi_unload,
    .before_free = wi_before_free,
    .destroy = wi_destroy,
};

static wi_state_t *wi_state(kp_system_t *sys) {
  wi_state_t *s = kpi_system_module(sys, &wi_ops);
  if (s != NULL) return s;
  s = calloc(1, sizeof *s);
  if (s == NULL) {
    fputs("kpool: out of host memory for the work item state\n", stderr);
    abort();
  }
  kpi_mutex_init(&s->lock);
  kpi_cond_init(&s->work);
  kpi_cond_init(&s->idle);
  s->sys = sys;
  if (kpi_system_add_module(sys, &wi_ops, s)) return s;
  kpi_cond_destroy(&s->idle);
  kpi_cond_destroy(&s->work);
  kpi_mutex_destroy(&s->lock);
  free(s);
  s = kpi_system_module(sys, &wi_ops);
  if (s == NULL) {
    fputs("kpool: the module table is full; work items cannot start\n", stderr);
    abort();
  }
  return s;
}

static wi_item_t *wi_find(wi_state_t *s, const void *addr) {
  for (wi_item_t *it = s->items; it != NULL; it = it->next)
    if (it->addr == addr) return it;
  return NULL;
}

static void wi_forget(wi_state_t *s, wi_item_t *it) {
  wi_item_t **pp = &s->items;
  while (*pp != NULL && *pp != it) pp = &(*pp)->next;
  if (*pp == it) *pp = it->next;
  if (it->allocated) free(it->addr);
  free(it);
}

static void wi_bugcheck(kp_system_t *sys, uint32_t code, uint64_t p1,
                        uint64_t p2, uint64_t p3, uint64_t p4, kp_site_t site,
                        const char *fmt, ...) KP_PRINTF(8, 9);
static void wi_bugcheck(kp_system_t *sys, uint32_t code, uint64_t p1,
                        uint64_t p2, uint64_t p3, uint64_t p4, kp_site_t site,
                        const char *fmt, ...) {
  char text[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(sys, code, p1, p2, p3, p4, &ctx, "%s", text);
}

/* ---------------------------------------------------------------------------
 * The worker.
 * ------------------------------------------------------------------------- */
static void wi_run(wi_state_t *s, kp_site_t site, void *addr, uint8_t kind,
                   void (*fn)(void), void *io_object, void *context) {
  kp_system_t *sys = s->sys;
  KP_TRY {
    if (kind == WI_IO)
      ((kp_workitem_fn)fn)(io_object, context);
    else if (kind == WI_IO_EX)
      ((kp_workitem_ex_fn)fn)(io_object, context, addr);
    else
      ((kp_worker_fn)fn)(context);
  } KP_EXCEPT(raised) {
    wi_bugcheck(sys, KP_BUGCHECK_SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
                (uint64_t)(int64_t)raised, (uint64_t)(uintptr_t)fn, 0, 0,
                site,
                "Status 0x%08X was raised in the work item routine %p (item "
                "%p) and nothing caught it.",
                (unsigned)(uint32_t)raised, (void *)(uintptr_t)fn, addr);
  } KP_END_TRY;
  // A KMUTEX still held keeps normal kernel APCs disabled: the worker
  // returns with an APC disable count that does not match (0x1, P4 = 1).
  for (;;) {
    const void *held = kpi_mutex_abandon_one(sys, kpi_self());
    if (held == NULL) break;
    wi_bugcheck(sys, KP_BUGCHECK_APC_INDEX_MISMATCH, (uint64_t)(uintptr_t)fn,
                0, 0xFFFF, 1, site,
                "The work item routine %p (item %p) returned still owning the "
                "KMUTEX %p (normal kernel APCs stay disabled: KernelApcDisable "
                "-1, so CombinedApcDisable 0xFFFF). The mutex is abandoned.",
                (void *)(uintptr_t)fn, addr, held);
  }
  kp_irql_t irql = kpi_irql();
  if (irql != KP_PASSIVE_LEVEL) {
    wi_bugcheck(sys, KP_BUGCHECK_WORKER_THREAD_RETURNED_AT_BAD_IRQL,
                (uint64_t)(uintptr_t)fn, irql, (uint64_t)(uintptr_t)context,
                (uint64_t)(uintptr_t)addr, site,
                "The work item routine %p (item %p) returned at IRQL %u; it "
                "must return at PASSIVE_LEVEL.",
                (void *)(uintptr_t)fn, addr, (unsigned)irql);
    kpi_irql_store(kpi_thread(), KP_PASSIVE_LEVEL);
  }
}

static void *wi_main(void *arg) {
  wi_state_t *s = arg;
  kpi_kthread_set_worker();
  kpi_mutex_lock(&s->lock);
  for (;;) {
    while (s->q_head == NULL && !s->stop) kpi_cond_wait(&s->work, &s->lock);
    if (s->q_head == NULL) break;
    wi_item_t *it = s->q_head;
    s->q_head = it->q_next;
    if (s->q_head == NULL) s->q_tail = NULL;
    it->q_next = NULL;
    it->queued = false;
    it->running = true;
    void *addr = it->addr;
    uint8_t kind = it->kind;
    void (*fn)(void) = it->fn;
    void *io_object = it->io_object, *context = it->context;
    // Copied under the lock: the routine may queue the item again, which
    // rewrites these fields while it runs.
    kp_site_t site = it->site;
    kpi_mutex_unlock(&s->lock);
    wi_run(s, site, addr, kind, fn, io_object, context);
    kpi_mutex_lock(&s->lock);
    it->running = false;
    // An ExQueueWorkItem item belongs to its routine once it runs; an Io
    // item freed by its own routine goes now.
    if ((it->plain && !it->queued) || it->free_after) wi_forget(s, it);
    s->pending--;
    if (s->pending == 0) kpi_cond_broadcast(&s->idle);
  }
  kpi_mutex_unlock(&s->lock);
  return NULL;
}

/* ---------------------------------------------------------------------------
 * Allocation and initialisation.
 * ------------------------------------------------------------------------- */
static void unknown_item(kp_system_t *sys, void *item, const char *api,
                         kp_site_t site) {
  wi_bugcheck(sys, KP_BUGCHECK_WORKER_INVALID, 3, (uint64_t)(uintptr_t)item, 0,
              0, site,
              "%s(%p): not a work item (never allocated or initialised, or "
              "already freed).",
              api, item);
}

void *kp_workitem_alloc(kp_system_t *sys, void *io_object, kp_site_t site) {
  if (sys == NULL || io_object == NULL) return NULL;
  wi_state_t *s = wi_state(sys);
  wi_item_t *it = calloc(1, sizeof *it);
  void *storage = calloc(1, KP_WORKITEM_SIZE);
  if (it == NULL || storage == NULL) {
    free(it);
    free(storage);
    return NULL;
  }
  it->addr = storage;
  it->io_object = io_object;
  it->allocated = true;
  it->site = site;
  kpi_mutex_lock(&s->lock);
  it->next = s->items;
  s->items = it;
  kpi_mutex_unlock(&s->lock);
  return storage;
}

void kp_workitem_init(kp_system_t *sys, void *item, void *io_object,
                      kp_site_t site) {
  if (sys == NULL) return;
  if (item == NULL) {
    unknown_item(sys, item, "IoInitializeWorkItem", site);
    return;
  }
  wi_state_t *s = wi_state(sys);
  kpi_mutex_lock(&s->lock);
  wi_item_t *it = wi_find(s, item);
  if (it != NULL && (it->queued || it->running)) {
    kpi_mutex_unlock(&s->lock);
    wi_bugcheck(sys, KP_BUGCHECK_WORKER_INVALID, 1, (uint64_t)(uintptr_t)item,
                it->queue_type, 0, site,
                "IoInitializeWorkItem(%p): the item is still queued or "
                "running.",
                item);
    return;
  }
  if (it == NULL) {
    it = calloc(1, sizeof *it);
    if (it == NULL) {
      kpi_mutex_unlock(&s->lock);
      kpi_raise(sys, KP_STATUS_INSUFFICIENT_RESOURCES);
      return;
    }
    it->addr = item;
    it->next = s->items;
    s->items = it;
  }
  it->io_object = io_object;
  it->site = site;
  kpi_mutex_unlock(&s->lock);
}

// IoFreeWorkItem and IoUninitializeWorkItem.
static void wi_release(kp_system_t *sys, void *item, bool allocated,
                       const char *api, kp_site_t site) {
  if (sys == NULL) return;
  wi_state_t *s = wi_state(sys);
  kpi_mutex_lock(&s->lock);
  wi_item_t *it = item != NULL ? wi_find(s, item) : NULL;
  if (it == NULL || it->plain || it->allocated != allocated || it->free_after) {
    kpi_mutex_unlock(&s->lock);
    unknown_item(sys, item, api, site);
    return;
  }
  if (it->queued) {
    uint64_t routine = (uint64_t)(uintptr_t)it->fn;
    kpi_mutex_unlock(&s->lock);
    wi_bugcheck(sys, KP_BUGCHECK_WORKER_INVALID, 2, (uint64_t)(uintptr_t)item,
                routine, 0, site,
                "%s(%p): the work item is still queued (routine %p); it may "
                "be freed only after its routine started.",
                api, item, (void *)(uintptr_t)routine);
    return;
  }
  if (it->running)
    it->free_after = true; // from inside its own routine: allowed
  else
    wi_forget(s, it);
  kpi_mutex_unlock(&s->lock);
}

void kp_workitem_free(kp_system_t *sys, void *item, kp_site_t site) {
  wi_release(sys, item, true, "IoFreeWorkItem", site);
}

void kp_workitem_uninit(kp_system_t *sys, void *item, kp_site_t site) {
  wi_release(sys, item, false, "IoUninitializeWorkItem", site);
}

/* ---------------------------------------------------------------------------
 * Queueing.
 * ------------------------------------------------------------------------- */
static bool queue_type_valid(uint32_t t) {
  return t < KP_WORK_QUEUE_MAXIMUM ||
         (t >= KP_WORK_QUEUE_CUSTOM_PRIORITY && t < KP_WORK_QUEUE_CUSTOM_PRIORITY + 32);
}

static void wi_queue(kp_system_t *sys, void *item, uint8_t kind,
                     void (*fn)(void), void *context, uint32_t queue_type,
                     const char *api, kp_site_t site) {
  if (sys == NULL) return;
  kp_irql_t irql = kpi_irql();
  if (irql > KP_DISPATCH_LEVEL) {
    wi_bugcheck(sys, KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL,
                (uint64_t)(uintptr_t)item, irql, 0,
                (uint64_t)(uintptr_t)site.caller, site,
                "%s(%p) called at IRQL %u; work items are queued at or below "
                "DISPATCH_LEVEL.",
                api, item, (unsigned)irql);
    return;
  }
  if (!queue_type_valid(queue_type)) {
    wi_bugcheck(sys, KP_BUGCHECK_WORKER_INVALID, 6, (uint64_t)(uintptr_t)item,
                queue_type, 0, site,
                "%s(%p): %u is not a WORK_QUEUE_TYPE (drivers pass "
                "DelayedWorkQueue).",
                api, item, (unsigned)queue_type);
    return;
  }
  if (item == NULL || fn == NULL) {
    unknown_item(sys, item, api, site);
    return;
  }
  wi_state_t *s = wi_state(sys);
  kpi_mutex_lock(&s->lock);
  wi_item_t *it = wi_find(s, item);
  if (kind == WI_PLAIN && it == NULL) {
    it = calloc(1, sizeof *it);
    if (it == NULL) {
      kpi_mutex_unlock(&s->lock);
      kpi_raise(sys, KP_STATUS_INSUFFICIENT_RESOURCES);
      return;
    }
    it->addr = item;
    it->plain = true;
    it->next = s->items;
    s->items = it;
  }
  if (it == NULL || it->free_after || (kind == WI_PLAIN) != it->plain) {
    kpi_mutex_unlock(&s->lock);
    unknown_item(sys, item, api, site);
    return;
  }
  if (it->queued) {
    uint32_t qt = it->queue_type;
    kpi_mutex_unlock(&s->lock);
    wi_bugcheck(sys, KP_BUGCHECK_WORKER_INVALID, 1, (uint64_t)(uintptr_t)item,
                qt, 0, site,
                "%s(%p): the work item is already queued; queueing it again "
                "corrupts the worker queue.",
                api, item);
    return;
  }
  it->kind = kind;
  it->fn = fn;
  it->context = context;
  it->queue_type = queue_type;
  it->site = site;
  it->queued = true;
  it->q_next = NULL;
  if (s->q_tail != NULL) s->q_tail->q_next = it; else s->q_head = it;
  s->q_tail = it;
  s->pending++;
  bool ok = true;
  if (!s->started) {
    s->started = kpi_os_thread_start(&s->worker, wi_main, s);
    ok = s->started;
  }
  kpi_cond_signal(&s->work);
  kpi_mutex_unlock(&s->lock);
  if (!ok) {
    fputs("kpool: the host refused to start the work item thread\n", stderr);
    abort();
  }
}

void kp_workitem_queue(kp_system_t *sys, void *item, kp_workitem_fn fn,
                       uint32_t queue_type, void *context, kp_site_t site) {
  wi_queue(sys, item, WI_IO, (void (*)(void))fn, context, queue_type,
           "IoQueueWorkItem", site);
}

void kp_workitem_queue_ex(kp_system_t *sys, void *item, kp_workitem_ex_fn fn,
                          uint32_t queue_type, void *context, kp_site_t site) {
  wi_queue(sys, item, WI_IO_EX, (void (*)(void))fn, context, queue_type,
           "IoQueueWorkItemEx", site);
}

void kp_workitem_queue_plain(kp_system_t *sys, void *item, kp_worker_fn fn,
                             void *parameter, uint32_t queue_type,
                             kp_site_t site) {
  wi_queue(sys, item, WI_PLAIN, (void (*)(void))fn, parameter, queue_type,
           "ExQueueWorkItem", site);
}

void kp_workitem_wait_idle(kp_system_t *sys) {
  if (sys == NULL || kpi_kthread()->worker) return;
  wi_state_t *s = wi_state(sys);
  kpi_mutex_lock(&s->lock);
  while (s->pending != 0) kpi_cond_wait(&s->idle, &s->lock);
  kpi_mutex_unlock(&s->lock);
}

uint32_t kp_workitem_pending(kp_system_t *sys) {
  if (sys == NULL) return 0;
  wi_state_t *s = wi_state(sys);
  kpi_mutex_lock(&s->lock);
  uint32_t n = s->pending;
  kpi_mutex_unlock(&s->lock);
  return n;
}

/* ---------------------------------------------------------------------------
 * Module hooks.
 * ------------------------------------------------------------------------- */
static void wi_unload(kp_system_t *sys, void *state) {
  wi_state_t *s = state;
  enum { MAX = 32 };
  void *addr[MAX];
  uint64_t routine[MAX];
  bool running[MAX];
  kp_site_t site[MAX];
  uint32_t n = 0, idle_allocated = 0;
  kpi_mutex_lock(&s->lock);
  for (wi_item_t *it = s->items; it != NULL; it = it->next) {
    if (it->queued || it->running) {
      if (n < MAX) {
        addr[n] = it->addr;
        routine[n] = (uint64_t)(uintptr_t)it->fn;
        running[n] = it->running;
        site[n] = it->site;
        n++;
      }
    } else if (it->allocated) {
      idle_allocated++;
    }
  }
  kpi_mutex_unlock(&s->lock);
  if (idle_allocated != 0)
    kp_printf(sys,
              "kpool: driver unload: %u work item%s allocated with "
              "IoAllocateWorkItem never freed (IoFreeWorkItem).\n",
              (unsigned)idle_allocated, idle_allocated == 1 ? "" : "s");
  for (uint32_t i = 0; i < n; i++) {
    char where[256];
    kpi_site_text(site[i], where, sizeof where);
    wi_bugcheck(sys,
                KP_BUGCHECK_DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
                routine[i], 0, routine[i], 0, site[i],
                "The driver unloaded with the work item %p %s (routine %p, "
                "queued at %s); the routine is unloaded code.",
                addr[i], running[i] ? "still running" : "still queued",
                (void *)(uintptr_t)routine[i], where);
  }
}

static void wi_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block) {
  wi_state_t *s = state;
  uintptr_t lo = (uintptr_t)block->address, hi = lo + block->size;
  void *hit = NULL;
  kp_site_t site = KP_NOSITE;
  kpi_mutex_lock(&s->lock);
  if (s->pending != 0)
    for (wi_item_t *it = s->q_head; it != NULL; it = it->q_next)
      if ((uintptr_t)it->addr >= lo && (uintptr_t)it->addr < hi) {
        hit = it->addr;
        site = it->site;
        break;
      }
  // Records of idle items initialised in this block die with it.
  if (hit == NULL) {
    wi_item_t **pp = &s->items;
    while (*pp != NULL) {
      wi_item_t *it = *pp;
      if (!it->allocated && !it->queued && !it->running &&
          (uintptr_t)it->addr >= lo && (uintptr_t)it->addr < hi) {
        *pp = it->next;
        free(it);
      } else {
        pp = &it->next;
      }
    }
  }
  kpi_mutex_unlock(&s->lock);
  if (hit == NULL) return;
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.block = block;
  ctx.site = site;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_WORKER_INVALID, 0,
                     (uint64_t)(uintptr_t)hit, (uint64_t)lo, (uint64_t)hi,
                     &ctx,
                     "Freeing pool that holds the queued work item %p (offset "
                     "0x%zx in the block).",
                     hit, (size_t)((uintptr_t)hit - lo));
}

static void wi_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  wi_state_t *s = state;
  kpi_mutex_lock(&s->lock);
  s->stop = true;
  // Queued items that never ran are dropped: the system goes away.
  s->q_head = s->q_tail = NULL;
  kpi_cond_broadcast(&s->work);
  bool started = s->started;
  kpi_mutex_unlock(&s->lock);
  if (started) kpi_os_thread_join(&s->worker);
  wi_item_t *it = s->items;
  while (it != NULL) {
    wi_item_t *next = it->next;
    if (it->allocated) free(it->addr);
    free(it);
    it = next;
  }
  kpi_cond_destroy(&s->idle);
  kpi_cond_destroy(&s->work);
  kpi_mutex_destroy(&s->lock);
  free(s);
}
