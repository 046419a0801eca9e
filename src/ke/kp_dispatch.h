/*
 * kp_dispatch.h — what dispatch.c (objects and waits), timer.c (timers and
 * DPCs) and thread.c (identity, system threads, time) share: the
 * per-system dispatcher state, the out-of-band object records and the
 * per-thread kernel state.
 *
 * Locking: one dispatcher lock per system (kpi_dispatch_t.lock) guards
 * every record, wait list, the timer list and the DPC queue. As
 * everywhere, no bug check is raised and no driver routine is called with
 * it held.
 */
#ifndef KPOOL_SRC_KE_KP_DISPATCH_H
#define KPOOL_SRC_KE_KP_DISPATCH_H

#include <setjmp.h>

#include "kp_types.h"
#include "kpool/dispatch.h"

enum kpi_dobj_type {
  KPI_DOBJ_EVENT = 1,
  KPI_DOBJ_SEMAPHORE,
  KPI_DOBJ_MUTEX,
  KPI_DOBJ_TIMER,
  KPI_DOBJ_THREAD,
  KPI_DOBJ_DPC /* not waitable */
};

struct kpi_waiter;

/* One object's place in one wait. */
typedef struct kpi_wblock {
  struct kpi_waiter *waiter;
  struct kpi_dobj *obj;
  uint32_t index;
  struct kpi_wblock *prev, *next; /* the object's wait list */
} kpi_wblock_t;

/* One waiting thread (on its stack while it waits). */
typedef struct kpi_waiter {
  kpi_cond_t cv;
  void *thread;               /* the waiter's thread object (mutex owner) */
  uint32_t count;
  bool wait_all;
  bool done;
  kp_status_t status;
  bool has_deadline;
  uint64_t deadline;          /* interrupt time, 100 ns */
  struct kpi_waiter *prev, *next; /* the blocked list */
  kpi_wblock_t *blocks;       /* [count] */
} kpi_waiter_t;

/* The out-of-band record of one object. */
typedef struct kpi_dobj {
  const void *addr;
  uint32_t size;              /* bytes of the object (for range checks) */
  uint8_t type;               /* enum kpi_dobj_type */
  bool sync;                  /* synchronization event / timer */
  int32_t signal;             /* event/timer/thread 0/1; semaphore count;
                                 mutex 1 free, 1 - n when owned n times */
  int32_t limit;              /* semaphore */
  void *owner;                /* mutex: owner's thread object */
  bool abandoned;             /* mutex: owner ended holding it */
  kpi_wblock_t *wait_head, *wait_tail;
  /* Timer. */
  bool timer_set;
  uint64_t due;               /* interrupt time */
  uint32_t period_ms;
  struct kpi_dobj *dpc;       /* the timer's DPC record, or NULL */
  struct kpi_dobj *timer_prev, *timer_next; /* set timers */
  /* DPC. */
  kp_dpc_routine_t routine;
  void *context;
  void *arg1, *arg2;
  bool threaded;
  bool queued;
  uint32_t target;            /* processor that queued it */
  struct kpi_dobj *dpc_next;  /* DPC queue */
  kp_site_t site;             /* where it was initialised / set / queued */
  struct kpi_dobj *hash_next;
} kpi_dobj_t;

#define KPI_DISPATCH_BUCKETS 4096u

typedef struct kpi_systhread kpi_systhread_t;

typedef struct kpi_dispatch {
  kpi_mutex_t lock;
  kpi_dobj_t *buckets[KPI_DISPATCH_BUCKETS];
  kpi_waiter_t *blocked_head;
  uint32_t blocked;
  kpi_dobj_t *timers;
  uint32_t timers_set;
  kpi_dobj_t *dpc_head, *dpc_tail;
  uint32_t dpcs_queued;
  /* timers_set + dpcs_queued, readable without the lock: a free asks it
   * (dispatch_before_free_wanted) before it takes the hooks' path. */
  atomic_uint pending;
  uint32_t dpcs_running;
  kpi_cond_t dpc_idle;        /* dpcs_running dropped */
  /* System threads (thread.c). */
  kpi_systhread_t *threads;
  uint64_t next_handle;
} kpi_dispatch_t;

/* The system's dispatcher state, created (and the module registered) on
 * first use. Never NULL: a host out of memory or a full module table
 * aborts with a message (neither is a driver's doing). */
kpi_dispatch_t *kpi_dispatch(kp_system_t *sys);

/* Record lookup under the lock; NULL when @addr was never initialised. */
kpi_dobj_t *kpi_dobj_find(kpi_dispatch_t *d, const void *addr);
/* Finds or creates the record of @addr (creation resets it). NULL when the
 * host is out of memory. */
kpi_dobj_t *kpi_dobj_get(kpi_dispatch_t *d, const void *addr, bool *created);

/* Every initialiser: resets (or creates) the record of @obj as @type.
 * Returns it with the lock HELD, or NULL (lock not held) after a bug check
 * (NULL storage; 0x139/3 when a thread waits on it) or a raise. */
kpi_dobj_t *kpi_dobj_init(kp_system_t *sys, kpi_dispatch_t *d, void *obj,
                          uint8_t type, uint32_t size, const char *api,
                          kp_site_t site);

/* Under the lock: satisfies the waiters of @o that can be satisfied now, in
 * FIFO order (applying each wait's side effects). */
void kpi_dobj_signalled(kpi_dispatch_t *d, kpi_dobj_t *o);
/* Under the lock: ends every blocked wait whose deadline is <= @now. */
void kpi_waits_expire(kpi_dispatch_t *d, uint64_t now);
/* Under the lock: the earliest deadline of a blocked wait, or UINT64_MAX. */
uint64_t kpi_waits_next(kpi_dispatch_t *d);

/* timer.c. Under the lock: expires due timers. */
void kpi_timers_expire(kp_system_t *sys, kpi_dispatch_t *d, uint64_t now);
uint64_t kpi_timers_next(kpi_dispatch_t *d);
/* Under the lock: takes @dpc off the queue if queued. */
bool kpi_dpc_unqueue(kpi_dispatch_t *d, kpi_dobj_t *dpc);
/* Under the lock: queues @dpc; false when already queued. */
bool kpi_dpc_enqueue(kpi_dispatch_t *d, kpi_dobj_t *dpc, void *a1, void *a2);
/* Under the lock: removes a timer from the set list. */
void kpi_timer_unlink(kpi_dispatch_t *d, kpi_dobj_t *t);
/* Unload / free-pool checks of timers and DPCs (timer.c). */
void kpi_timers_unload_check(kp_system_t *sys, kpi_dispatch_t *d);
void kpi_timers_before_free(kp_system_t *sys, kpi_dispatch_t *d,
                            const kp_block_info_t *block);

/* ---------------------------------------------------------------------------
 * Per-thread kernel state (thread.c).
 * ------------------------------------------------------------------------- */
typedef struct kpi_kthread {
  _Alignas(16) unsigned char object[64]; /* KeGetCurrentThread of a plain thread */
  void *current;              /* the thread object in use */
  kpi_systhread_t *systhread; /* non-NULL in a system thread */
  bool worker;                /* a work-item worker thread */
  uint32_t dpc_depth;         /* > 0 while a DPC routine runs */
  /* Bug check handlers running on this thread (kpi_bugcheck_raise counts
   * them in and out). A handler that longjmps never comes out: while a DPC
   * runs, that abandons the DPC, and the thread's next dispatcher call
   * restores what the DPC changed (kpi_dpc_recover). */
  uint32_t bugcheck_depth;
  uint32_t dpc_bugcheck_base;
  kp_irql_t dpc_saved_irql;
  uint32_t dpc_saved_cpu;
  kpi_dispatch_t *dpc_owner;
} kpi_kthread_t;

kpi_kthread_t *kpi_kthread(void);
/* The calling thread's object (mutex owner identity). */
static inline void *kpi_self(void) { return kpi_kthread()->current; }

/* timer.c: repairs the calling thread's DPC state after a bug check
 * handler longjmped out of a DPC routine (see kpi_kthread_t). Cheap when
 * nothing is pending. */
void kpi_dpc_recover(void);

/* thread.c: system threads' unload check and teardown. */
void kpi_threads_unload_check(kp_system_t *sys, kpi_dispatch_t *d);
void kpi_threads_destroy(kp_system_t *sys, kpi_dispatch_t *d);
/* thread.c: abandons one KMUTEX owned by @thread (a thread object) and
 * returns its address, or NULL when it owns none. For the end of a system
 * thread and the return of a work item routine. */
const void *kpi_mutex_abandon_one(kp_system_t *sys, void *thread);

/* thread.c: marks the calling host thread as a work-item worker. */
void kpi_kthread_set_worker(void);

/* Bug check helper shared by the three files: raises on @sys with the
 * site and the calling thread in the report. */
void kpi_ke_bugcheck(kp_system_t *sys, uint32_t code, uint64_t p1, uint64_t p2,
                     uint64_t p3, uint64_t p4, kp_site_t site, const char *fmt,
                     ...) KP_PRINTF(8, 9);

#endif /* KPOOL_SRC_KE_KP_DISPATCH_H */
