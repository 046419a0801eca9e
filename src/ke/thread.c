/*
 * thread.c — thread and process identity, time on the virtual clock, and
 * system threads (PsCreateSystemThread, PsTerminateSystemThread, their
 * handles and waitable thread objects). See include/kpool/dispatch.h.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_dispatch.h"
#include "ke/kp_ke.h"
#include "rtl/kp_rtl.h"

/* Kernel handles have the top bit set on x64 (OBJ_KERNEL_HANDLE handles
 * live in the System process's table); kpool numbers them from here. */
#define THREAD_HANDLE_BASE 0xFFFFFFFF80000000ull

struct kpi_systhread {
  _Alignas(16) unsigned char object[64]; /* the ETHREAD: waitable */
  kp_system_t *sys;
  kpi_dispatch_t *d;
  kp_thread_start_t start;
  void *context;
  kpi_os_thread_t host;
  uint64_t handle;            /* 0 once closed */
  uint64_t tid;
  int32_t refs;               /* ObReferenceObjectByHandle references */
  bool started;               /* a host thread exists (join it) */
  bool ended;
  kp_status_t exit_status;
  jmp_buf exit_env;
  kp_site_t site;
  struct kpi_systhread *next;
};

/* ---------------------------------------------------------------------------
 * Per-thread state and identity.
 * ------------------------------------------------------------------------- */
static _Thread_local kpi_kthread_t thread_state;

kpi_kthread_t *kpi_kthread(void) {
  kpi_kthread_t *k = &thread_state;
  if (k->current == NULL) k->current = k->object;
  return k;
}

void kpi_kthread_set_worker(void) { kpi_kthread()->worker = true; }

void *kp_thread_object(void) { return kpi_kthread()->current; }

uint64_t kp_thread_cid(void) {
  kpi_kthread_t *k = kpi_kthread();
  if (k->systhread != NULL) return k->systhread->tid;
  return 4u * ((uint64_t)kp_thread_id() + 1u);
}

static _Alignas(16) unsigned char system_process[64];

void *kp_process_object(void) { return system_process; }

bool kp_thread_is_system(void) {
  kpi_kthread_t *k = kpi_kthread();
  return k->systhread != NULL || k->worker;
}

/* ---------------------------------------------------------------------------
 * Time.
 * ------------------------------------------------------------------------- */
uint64_t kp_time_interrupt(const kp_system_t *sys) {
  return kp_clock_now(sys) * 10000u;
}

int64_t kp_time_system(const kp_system_t *sys) {
  if (sys == NULL) return 0;
  return sys->cfg.boot_system_time + (int64_t)kp_time_interrupt(sys);
}

uint64_t kp_time_ticks(const kp_system_t *sys) {
  if (sys == NULL) return 0;
  return kp_time_interrupt(sys) / sys->cfg.time_increment;
}

uint32_t kp_time_increment(const kp_system_t *sys) {
  return sys != NULL ? sys->cfg.time_increment : 156250u;
}

uint32_t kp_processor_count(const kp_system_t *sys, uint16_t group) {
  if (sys == NULL) return 0;
  uint32_t total = sys->cfg.numa_nodes * sys->cfg.processors_per_node;
  if (group == 0xFFFFu) return total;
  uint32_t first = (uint32_t)group * KP_PROCESSORS_PER_GROUP;
  if (first >= total) return 0;
  uint32_t n = total - first;
  return n < KP_PROCESSORS_PER_GROUP ? n : KP_PROCESSORS_PER_GROUP;
}

/* ---------------------------------------------------------------------------
 * System threads.
 * ------------------------------------------------------------------------- */
// The end of a system thread: mutexes it still owns (0x4000008A, then
// abandoned), then its object is signalled.
const void *kpi_mutex_abandon_one(kp_system_t *sys, void *thread) {
  kpi_dispatch_t *d = kpi_dispatch(sys);
  const void *held = NULL;
  kpi_mutex_lock(&d->lock);
  for (size_t b = 0; b < KPI_DISPATCH_BUCKETS && held == NULL; b++)
    for (kpi_dobj_t *o = d->buckets[b]; o != NULL; o = o->hash_next)
      if (o->type == KPI_DOBJ_MUTEX && o->owner == thread) {
        o->owner = NULL;
        o->signal = 1;
        o->abandoned = true;
        kpi_dobj_signalled(d, o);
        held = o->addr;
        break;
      }
  kpi_mutex_unlock(&d->lock);
  return held;
}

// The end of a system thread: mutexes it still owns (0x4000008A, then
// abandoned), its IRQL (0x20), then its object is signalled.
static void systhread_end(kpi_systhread_t *st, kp_status_t status) {
  kpi_dispatch_t *d = st->d;
  for (;;) {
    // Abandoned first, so the bug check's handler sees the state Windows
    // leaves, and the loop ends.
    const void *held = kpi_mutex_abandon_one(st->sys, st->object);
    if (held == NULL) break;
    kpi_ke_bugcheck(st->sys, KP_BUGCHECK_THREAD_TERMINATE_HELD_MUTEX,
                    (uint64_t)(uintptr_t)st->object, (uint64_t)(uintptr_t)held,
                    0, 0, st->site,
                    "The system thread %p (start routine %p) ended while it "
                    "still owned the KMUTEX %p; the mutex is abandoned (the "
                    "next wait on it returns STATUS_ABANDONED_WAIT_0).",
                    (void *)st->object, (void *)(uintptr_t)st->start, held);
  }
  kpi_thread_t *t = kpi_thread();
  if (t->irql != KP_PASSIVE_LEVEL) {
    kp_irql_t irql = t->irql;
    kpi_irql_store(t, KP_PASSIVE_LEVEL);
    kpi_ke_bugcheck(st->sys, KP_BUGCHECK_KERNEL_APC_PENDING_DURING_EXIT, 0, 0,
                    irql, 0, st->site,
                    "The system thread %p (start routine %p) ended at IRQL %u; "
                    "a thread must end at PASSIVE_LEVEL (a spin lock still "
                    "held, or a KeRaiseIrql without its KeLowerIrql?).",
                    (void *)st->object, (void *)(uintptr_t)st->start,
                    (unsigned)irql);
  }
  kpi_mutex_lock(&d->lock);
  kpi_dobj_t *o = kpi_dobj_find(d, st->object);
  st->exit_status = status;
  st->ended = true;
  if (o != NULL) {
    o->signal = 1;
    kpi_dobj_signalled(d, o);
  }
  kpi_mutex_unlock(&d->lock);
}

static void *systhread_main(void *arg) {
  kpi_systhread_t *st = arg;
  kpi_kthread_t *k = kpi_kthread();
  k->systhread = st;
  k->current = st->object;
  volatile kp_status_t status = KP_STATUS_SUCCESS;
  if (setjmp(st->exit_env) == 0) {
    KP_TRY {
      st->start(st->context);
    } KP_EXCEPT(raised) {
      status = raised;
      kpi_ke_bugcheck(st->sys, KP_BUGCHECK_SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
                      (uint64_t)(int64_t)raised, (uint64_t)(uintptr_t)st->start,
                      0, 0, st->site,
                      "Status 0x%08X (%s) was raised in the system thread "
                      "started at %p and nothing caught it.",
                      (unsigned)(uint32_t)raised,
                      kp_status_name(raised) ? kp_status_name(raised) : "?",
                      (void *)(uintptr_t)st->start);
    } KP_END_TRY;
  } else {
    // PsTerminateSystemThread: the frames it jumped over are gone.
    kpi_thread()->try_top = NULL;
    status = st->exit_status;
  }
  systhread_end(st, status);
  return NULL;
}

kp_status_t kp_system_thread_create(kp_system_t *sys, void **handle,
                                    uint64_t *tid, kp_thread_start_t start,
                                    void *context, kp_site_t site) {
  if (sys == NULL || handle == NULL || start == NULL)
    return KP_STATUS_INVALID_PARAMETER;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_systhread_t *st = calloc(1, sizeof *st);
  if (st == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  st->sys = sys;
  st->d = d;
  st->start = start;
  st->context = context;
  st->site = site;
  kpi_mutex_lock(&d->lock);
  bool created = false;
  kpi_dobj_t *o = kpi_dobj_get(d, st->object, &created);
  if (o == NULL) {
    kpi_mutex_unlock(&d->lock);
    free(st);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  o->type = KPI_DOBJ_THREAD;
  o->size = sizeof st->object;
  o->signal = 0;
  o->site = site;
  st->handle = THREAD_HANDLE_BASE + 4u * d->next_handle++;
  st->next = d->threads;
  d->threads = st;
  kpi_mutex_unlock(&d->lock);
  // The id must be known before the thread runs, so system threads are
  // numbered by their handle (ids above 0x40000, apart from the
  // 4 * (kp_thread_id() + 1) of other threads).
  st->tid = 4u * (0x10000u + (uint64_t)(st->handle - THREAD_HANDLE_BASE) / 4u);
  st->started = true;
  *handle = (void *)(uintptr_t)st->handle;
  if (tid != NULL) *tid = st->tid;
  if (!kpi_os_thread_start(&st->host, systhread_main, st)) {
    // Unpublish: the record stays (ended) so that the handle reads as
    // closed.
    kpi_mutex_lock(&d->lock);
    st->started = false;
    st->ended = true;
    st->handle = 0;
    o->signal = 1;
    kpi_mutex_unlock(&d->lock);
    *handle = NULL;
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_system_thread_exit(kp_system_t *sys, kp_status_t status) {
  (void)sys;
  kpi_systhread_t *st = kpi_kthread()->systhread;
  if (st == NULL) return KP_STATUS_INVALID_PARAMETER;
  st->exit_status = status;
  longjmp(st->exit_env, 1);
}

static kpi_systhread_t *thread_by_handle(kpi_dispatch_t *d, void *handle) {
  uint64_t h = (uint64_t)(uintptr_t)handle;
  if (h == 0) return NULL;
  for (kpi_systhread_t *st = d->threads; st != NULL; st = st->next)
    if (st->handle == h) return st;
  return NULL;
}

kp_status_t kp_handle_reference(kp_system_t *sys, void *handle,
                                void **object) {
  if (sys == NULL || object == NULL) return KP_STATUS_INVALID_PARAMETER;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_systhread_t *st = thread_by_handle(d, handle);
  if (st != NULL) {
    st->refs++;
    *object = st->object;
  }
  kpi_mutex_unlock(&d->lock);
  return st != NULL ? KP_STATUS_SUCCESS : KP_STATUS_INVALID_HANDLE;
}

void kp_object_dereference(kp_system_t *sys, void *object) {
  if (sys == NULL) return;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  bool ok = false;
  kpi_mutex_lock(&d->lock);
  for (kpi_systhread_t *st = d->threads; st != NULL; st = st->next)
    if ((void *)st->object == object && st->refs > 0) {
      st->refs--;
      ok = true;
      break;
    }
  kpi_mutex_unlock(&d->lock);
  if (ok) return;
  kpi_ke_bugcheck(sys, KP_BUGCHECK_REFERENCE_BY_POINTER, 0,
                  (uint64_t)(uintptr_t)object, 0, 0, KP_NOSITE,
                  "ObDereferenceObject(%p): the object has no reference left "
                  "to drop (or is not an object kpool created).",
                  object);
}

kp_status_t kp_handle_close(kp_system_t *sys, void *handle) {
  if (sys == NULL) return KP_STATUS_INVALID_HANDLE;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kpi_mutex_lock(&d->lock);
  kpi_systhread_t *st = thread_by_handle(d, handle);
  if (st != NULL) st->handle = 0;
  kpi_mutex_unlock(&d->lock);
  return st != NULL ? KP_STATUS_SUCCESS : KP_STATUS_INVALID_HANDLE;
}

kp_status_t kp_thread_exit_status(kp_system_t *sys, void *object) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  kpi_dispatch_t *d = kpi_dispatch(sys);
  kp_status_t st = KP_STATUS_INVALID_PARAMETER;
  kpi_mutex_lock(&d->lock);
  for (kpi_systhread_t *t = d->threads; t != NULL; t = t->next)
    if ((void *)t->object == object)
      st = t->ended ? t->exit_status : KP_STATUS_PENDING;
  kpi_mutex_unlock(&d->lock);
  return st;
}

/* ---------------------------------------------------------------------------
 * Unload and teardown.
 * ------------------------------------------------------------------------- */
void kpi_threads_unload_check(kp_system_t *sys, kpi_dispatch_t *d) {
  enum { MAX = 32 };
  kp_thread_start_t start[MAX];
  const void *obj[MAX];
  kp_site_t site[MAX];
  uint32_t n = 0, total = 0;
  kpi_mutex_lock(&d->lock);
  for (kpi_systhread_t *st = d->threads; st != NULL; st = st->next) {
    if (st->ended) continue;
    if (n < MAX) {
      start[n] = st->start;
      obj[n] = st->object;
      site[n] = st->site;
      n++;
    }
    total++;
  }
  kpi_mutex_unlock(&d->lock);
  for (uint32_t i = 0; i < n; i++) {
    char where[256];
    kpi_site_text(site[i], where, sizeof where);
    uint64_t routine = (uint64_t)(uintptr_t)start[i];
    kpi_ke_bugcheck(
        sys, KP_BUGCHECK_DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
        routine, 0, routine, 0, site[i],
        "The driver unloaded while its system thread %p (start routine %p, "
        "created at %s) is still running%s. Signal it to stop and wait on "
        "its thread object in Unload.",
        obj[i], (void *)(uintptr_t)start[i], where,
        total > n ? " (more threads are running too)" : "");
  }
}

void kpi_threads_destroy(kp_system_t *sys, kpi_dispatch_t *d) {
  (void)sys;
  kpi_systhread_t *st = d->threads;
  d->threads = NULL;
  while (st != NULL) {
    kpi_systhread_t *next = st->next;
    // A thread that never started has nothing to join.
    if (st->started) kpi_os_thread_join(&st->host);
    free(st);
    st = next;
  }
}
