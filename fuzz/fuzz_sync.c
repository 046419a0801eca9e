/*
 * fuzz_sync.c — dispatcher objects, waits, timers, DPCs, work items and
 * spin locks driven by fuzzer bytes against an independent model.
 *
 * Input: byte 0 bit 0 = verifier automatic checks, bits 1-2 = semaphore
 * limits; then operations, one selector byte each (% 17) followed by its
 * parameters (fuzz_helpers.h producer). Objects: 4 events (0-1
 * notification, 2-3 synchronization), 2 semaphores, 2 kernel mutexes,
 * 2 timers (notification, synchronization), 2 DPCs, 2 spin locks, 1 work
 * item. The model keeps each object's state, the virtual clock, the timer
 * queue and the DPC queue, and predicts every return value, every raise
 * (KP_TRY) and every bug check (a recording handler that returns: the
 * operation is then abandoned, as documented).
 *
 * No wait can hang: waits are polls (timeout 0), or bounded relative
 * waits run on a second thread while this one moves the virtual clock one
 * millisecond at a time once the waiter sleeps (kp_wait_blocked_count), so
 * each blocking wait ends at a predicted step: when a timer it waits on
 * fires, or at its deadline.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "fuzz_helpers.h"
#include "kpool/kpool.h"

#define MAX_OPS 256
#define NEV 4
#define NSEM 2
#define NMUT 2
#define NTIM 2
#define NDPC 2
#define NOBJ (NEV + NSEM + NMUT + NTIM) /* waitable objects, by index */

typedef struct mtimer {
  bool set;
  bool signal;
  bool sync;
  uint64_t due_ms;
  uint32_t period_ms;
  int dpc; /* -1 none */
} mtimer_t;

typedef struct model {
  bool verifier;
  bool ev[NEV];
  int32_t sem[NSEM];
  int32_t sem_limit[NSEM];
  int32_t mut_depth[NMUT];
  mtimer_t tim[NTIM];
  bool dpc_queued[NDPC];
  int dpc_order[NDPC]; /* queue position: smaller runs first */
  int next_order;
  uint32_t dpc_runs[NDPC];
  bool spin_held[2];
  uint64_t clock_ms;
  uint32_t work_runs;
} model_t;

typedef struct fz {
  kp_system_t *sys;
  model_t m;
  kp_kobject_t ev[NEV], sem[NSEM], mut[NMUT], tim[NTIM], dpc[NDPC];
  kp_spin_lock_t spin[2];
  kp_irql_t spin_old[2];
  void *work;
  atomic_uint dpc_runs[NDPC];
  atomic_uint work_runs;
  uint32_t bc_count;
  uint32_t bc_code;
  uint64_t bc_p1;
} fz_t;

static char fake_device[16];

static void fz_handler(const kp_bugcheck_t *bc, void *arg) {
  fz_t *f = arg;
  f->bc_count++;
  f->bc_code = bc->code;
  f->bc_p1 = bc->params[0];
}

static void fz_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void expect_bugcheck(fz_t *f, uint32_t before, uint32_t code,
                            uint64_t p1) {
  FUZZ_ASSERT(f->bc_count == before + 1);
  FUZZ_ASSERT(f->bc_code == code);
  FUZZ_ASSERT(f->bc_p1 == p1);
}

/* The DPC routines count their runs (context = the counter). */
static void count_dpc(void *dpc, void *context, void *a1, void *a2) {
  (void)dpc;
  (void)a1;
  (void)a2;
  FUZZ_ASSERT(kp_irql_get() == KP_DISPATCH_LEVEL);
  atomic_fetch_add((atomic_uint *)context, 1);
}

static void count_work(void *io_object, void *context) {
  (void)io_object;
  FUZZ_ASSERT(kp_irql_get() == KP_PASSIVE_LEVEL);
  atomic_fetch_add((atomic_uint *)context, 1);
}

static void *obj_addr(fz_t *f, int i) {
  if (i < NEV) return &f->ev[i];
  i -= NEV;
  if (i < NSEM) return &f->sem[i];
  i -= NSEM;
  if (i < NMUT) return &f->mut[i];
  return &f->tim[i - NMUT];
}

/* ---------------------------------------------------------------------------
 * The model.
 * ------------------------------------------------------------------------- */
static bool m_ready(const model_t *m, int i) {
  if (i < NEV) return m->ev[i];
  i -= NEV;
  if (i < NSEM) return m->sem[i] > 0;
  i -= NSEM;
  if (i < NMUT) return true; /* this thread owns it or nobody does */
  return m->tim[i - NMUT].signal;
}

static bool m_consume(model_t *m, int i) {
  if (i < NEV) {
    if (i >= 2) m->ev[i] = false;
    return false;
  }
  i -= NEV;
  if (i < NSEM) {
    m->sem[i]--;
    return false;
  }
  i -= NSEM;
  if (i < NMUT) {
    m->mut_depth[i]++;
    return false;
  }
  if (m->tim[i - NMUT].sync) m->tim[i - NMUT].signal = false;
  return false;
}

static void m_dpc_queue(model_t *m, int k) {
  if (m->dpc_queued[k]) return;
  m->dpc_queued[k] = true;
  m->dpc_order[k] = m->next_order++;
}

static void m_drain(model_t *m) {
  for (int k = 0; k < NDPC; k++)
    if (m->dpc_queued[k]) {
      m->dpc_queued[k] = false;
      m->dpc_runs[k]++;
    }
}

static void m_fire(model_t *m, int j) {
  mtimer_t *t = &m->tim[j];
  t->signal = true;
  if (t->dpc >= 0) m_dpc_queue(m, t->dpc);
  if (t->period_ms != 0)
    t->due_ms += t->period_ms;
  else
    t->set = false;
}

/* Expires what is due at m->clock_ms, then drains (one clock step). */
static void m_step_here(model_t *m) {
  bool fired = true;
  while (fired) {
    fired = false;
    for (int j = 0; j < NTIM; j++)
      if (m->tim[j].set && m->tim[j].due_ms <= m->clock_ms) {
        m_fire(m, j);
        fired = true;
      }
  }
  m_drain(m);
}

/* kp_clock_advance(ms): a step now, then one at every due time up to the
 * target (the DPC counts do not depend on the order within a step). */
static void m_advance(model_t *m, uint64_t ms) {
  uint64_t target = m->clock_ms + ms;
  m_step_here(m);
  while (m->clock_ms < target) {
    uint64_t next = target;
    for (int j = 0; j < NTIM; j++)
      if (m->tim[j].set && m->tim[j].due_ms < next) next = m->tim[j].due_ms;
    if (next <= m->clock_ms) next = m->clock_ms + 1;
    m->clock_ms = next;
    m_step_here(m);
  }
}

/* ---------------------------------------------------------------------------
 * Checks.
 * ------------------------------------------------------------------------- */
static void check_all(fz_t *f) {
  model_t *m = &f->m;
  kp_system_t *sys = f->sys;
  for (int i = 0; i < NEV; i++)
    FUZZ_ASSERT((kp_event_read(sys, &f->ev[i], KP_HERE) != 0) == m->ev[i]);
  for (int i = 0; i < NSEM; i++)
    FUZZ_ASSERT(kp_semaphore_read(sys, &f->sem[i], KP_HERE) == m->sem[i]);
  for (int i = 0; i < NMUT; i++)
    FUZZ_ASSERT(kp_mutex_read(sys, &f->mut[i], KP_HERE) == 1 - m->mut_depth[i]);
  for (int j = 0; j < NTIM; j++)
    FUZZ_ASSERT(kp_timer_read(sys, &f->tim[j], KP_HERE) == m->tim[j].signal);
  for (int k = 0; k < NDPC; k++)
    FUZZ_ASSERT(atomic_load(&f->dpc_runs[k]) == m->dpc_runs[k]);
  FUZZ_ASSERT(kp_clock_now(sys) == m->clock_ms);
  FUZZ_ASSERT(atomic_load(&f->work_runs) == m->work_runs);
}

/* ---------------------------------------------------------------------------
 * Operations.
 * ------------------------------------------------------------------------- */
static void op_event(fz_t *f, fuzz_data_t *d) {
  int i = (int)fuzz_range(d, 0, NEV - 1);
  bool set = fuzz_bool(d);
  int32_t old = set ? kp_event_set(f->sys, &f->ev[i], 1, false, KP_HERE)
                    : kp_event_reset(f->sys, &f->ev[i], KP_HERE);
  FUZZ_ASSERT((old != 0) == f->m.ev[i]);
  f->m.ev[i] = set;
}

/* The raising calls, each inside its own KP_TRY frame: the status raised
 * (0 when none) and the value returned. */
static kp_status_t try_sem_release(kp_system_t *sys, void *sem, int32_t adj,
                                   int32_t *out) {
  volatile kp_status_t raised = 0;
  volatile int32_t old = -1;
  KP_TRY {
    old = kp_semaphore_release(sys, sem, 1, adj, false, KP_HERE);
  } KP_EXCEPT(st) {
    raised = st;
  } KP_END_TRY;
  *out = old;
  return raised;
}

static kp_status_t try_mutex_release(kp_system_t *sys, void *mutex,
                                     int32_t *out) {
  volatile kp_status_t raised = 0;
  volatile int32_t old = 99;
  KP_TRY {
    old = kp_mutex_release(sys, mutex, false, KP_HERE);
  } KP_EXCEPT(st) {
    raised = st;
  } KP_END_TRY;
  *out = old;
  return raised;
}

static void op_sem_release(fz_t *f, fuzz_data_t *d) {
  int i = (int)fuzz_range(d, 0, NSEM - 1);
  int32_t adj = (int32_t)fuzz_range(d, 0, 4) - 1; /* -1..3 */
  model_t *m = &f->m;
  bool raise = adj < 0 || m->sem[i] + adj > m->sem_limit[i];
  int32_t old = 0;
  kp_status_t raised = try_sem_release(f->sys, &f->sem[i], adj, &old);
  if (raise) {
    FUZZ_ASSERT(raised == KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED);
  } else {
    FUZZ_ASSERT(raised == 0);
    FUZZ_ASSERT(old == m->sem[i]);
    m->sem[i] += adj;
  }
}

static void op_mutex_release(fz_t *f, fuzz_data_t *d) {
  int i = (int)fuzz_range(d, 0, NMUT - 1);
  model_t *m = &f->m;
  int32_t old = 0;
  kp_status_t raised = try_mutex_release(f->sys, &f->mut[i], &old);
  if (m->mut_depth[i] == 0) {
    FUZZ_ASSERT(raised == KP_STATUS_MUTANT_NOT_OWNED);
  } else {
    FUZZ_ASSERT(raised == 0);
    FUZZ_ASSERT(old == 1 - m->mut_depth[i]);
    m->mut_depth[i]--;
  }
}

/* A poll (timeout 0) on 1..3 objects, WaitAny or WaitAll. */
static void op_poll(fz_t *f, fuzz_data_t *d) {
  uint32_t n = (uint32_t)fuzz_range(d, 1, 3);
  bool all = fuzz_bool(d);
  int idx[3];
  void *objs[3];
  for (uint32_t k = 0; k < n; k++) {
    idx[k] = (int)fuzz_range(d, 0, NOBJ - 1);
    // WaitAll with one object twice is not modelled: use distinct ones.
    for (uint32_t q = 0; q < k; q++)
      if (idx[q] == idx[k]) idx[k] = (idx[k] + 1) % NOBJ, q = (uint32_t)-1;
    objs[k] = obj_addr(f, idx[k]);
  }
  int64_t zero = 0;
  kp_status_t st = kp_wait(f->sys, n, objs, all ? KP_WAIT_ALL : KP_WAIT_ANY,
                           &zero, NULL, KP_HERE);
  model_t *m = &f->m;
  kp_status_t want = KP_STATUS_TIMEOUT;
  if (all) {
    bool ok = true;
    for (uint32_t k = 0; k < n; k++) ok = ok && m_ready(m, idx[k]);
    if (ok) {
      for (uint32_t k = 0; k < n; k++) m_consume(m, idx[k]);
      want = KP_STATUS_SUCCESS;
    }
  } else {
    for (uint32_t k = 0; k < n; k++)
      if (m_ready(m, idx[k])) {
        m_consume(m, idx[k]);
        want = (kp_status_t)k;
        break;
      }
  }
  FUZZ_ASSERT(st == want);
}

static void op_timer_set(fz_t *f, fuzz_data_t *d) {
  int j = (int)fuzz_range(d, 0, NTIM - 1);
  uint32_t due = (uint32_t)fuzz_range(d, 0, 50);
  uint32_t period = (uint32_t)fuzz_range(d, 0, 3) * 5; /* 0, 5, 10, 15 */
  int dpc = (int)fuzz_range(d, 0, NDPC) - 1;           /* -1, 0, 1 */
  model_t *m = &f->m;
  mtimer_t *t = &m->tim[j];
  bool was = kp_timer_set(f->sys, &f->tim[j], -(int64_t)due * 10000,
                          (int32_t)period, dpc >= 0 ? &f->dpc[dpc] : NULL,
                          KP_HERE);
  FUZZ_ASSERT(was == t->set);
  // The earlier setting goes, with its pending DPC.
  if (t->dpc >= 0) m->dpc_queued[t->dpc] = false;
  t->set = true;
  t->signal = false;
  t->due_ms = m->clock_ms + due;
  t->period_ms = period;
  t->dpc = dpc;
  if (due == 0) m_fire(m, j); /* already due: fires inside the set */
}

static void op_timer_cancel(fz_t *f, fuzz_data_t *d) {
  int j = (int)fuzz_range(d, 0, NTIM - 1);
  mtimer_t *t = &f->m.tim[j];
  bool was = kp_timer_cancel(f->sys, &f->tim[j], KP_HERE);
  FUZZ_ASSERT(was == t->set);
  if (t->set && t->dpc >= 0) f->m.dpc_queued[t->dpc] = false;
  t->set = false;
}

static void op_clock(fz_t *f, fuzz_data_t *d) {
  uint32_t ms = (uint32_t)fuzz_range(d, 0, 40);
  kp_clock_advance(f->sys, ms);
  m_advance(&f->m, ms);
}

static void op_dpc(fz_t *f, fuzz_data_t *d) {
  int k = (int)fuzz_range(d, 0, NDPC - 1);
  uint8_t what = (uint8_t)fuzz_range(d, 0, 2);
  model_t *m = &f->m;
  if (what == 0) {
    bool q = kp_dpc_queue(f->sys, &f->dpc[k], NULL, NULL, KP_HERE);
    FUZZ_ASSERT(q == !m->dpc_queued[k]);
    m_dpc_queue(m, k);
  } else if (what == 1) {
    bool r = kp_dpc_remove(f->sys, &f->dpc[k], KP_HERE);
    FUZZ_ASSERT(r == m->dpc_queued[k]);
    m->dpc_queued[k] = false;
  } else {
    if (m->spin_held[0] || m->spin_held[1]) return; /* flush needs <= APC */
    kp_dpc_flush(f->sys, KP_HERE);
    m_drain(m);
  }
}

static void op_spin(fz_t *f, fuzz_data_t *d) {
  int l = (int)fuzz_range(d, 0, 1);
  model_t *m = &f->m;
  // Locks are taken in order 0 then 1 and released in reverse, so the
  // IRQL returns to PASSIVE_LEVEL with the last release.
  kp_irql_t *old_irql = f->spin_old;
  if (!m->spin_held[l]) {
    if (l == 0 && m->spin_held[1]) return;
    old_irql[l] = kp_spin_lock_acquire(&f->spin[l]);
    m->spin_held[l] = true;
  } else {
    if (l == 0 && m->spin_held[1]) return;
    kp_spin_lock_release(&f->spin[l], old_irql[l]);
    m->spin_held[l] = false;
  }
  FUZZ_ASSERT(kp_irql_get() == ((m->spin_held[0] || m->spin_held[1])
                                    ? KP_DISPATCH_LEVEL
                                    : KP_PASSIVE_LEVEL));
}

/* A wait with a timeout at DISPATCH_LEVEL (a spin lock held): bug check. */
static void op_wait_at_dispatch(fz_t *f, fuzz_data_t *d) {
  int i = (int)fuzz_range(d, 0, NOBJ - 1);
  if (!f->m.spin_held[0] && !f->m.spin_held[1]) return;
  void *objs[1] = {obj_addr(f, i)};
  int64_t t = -10000;
  uint32_t before = f->bc_count;
  kp_status_t st = kp_wait(f->sys, 1, objs, KP_WAIT_ANY, &t, NULL, KP_HERE);
  FUZZ_ASSERT(st == KP_STATUS_INVALID_PARAMETER);
  if (f->m.verifier)
    expect_bugcheck(f, before, 0xC4, 0x3B);
  else
    expect_bugcheck(f, before, 0xA, (uint64_t)(uintptr_t)objs[0]);
}

static void op_misuse(fz_t *f, fuzz_data_t *d) {
  uint8_t what = (uint8_t)fuzz_range(d, 0, 2);
  uint32_t before = f->bc_count;
  void *objs[4] = {&f->ev[0], &f->ev[1], &f->ev[2], &f->ev[3]};
  int64_t zero = 0;
  if (what == 0) {
    // Four objects and no wait block array.
    kp_wait(f->sys, 4, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE);
    expect_bugcheck(f, before, 0xC, 0);
  } else if (what == 1) {
    kp_kobject_t never;
    memset(&never, 0, sizeof never);
    objs[0] = &never;
    kp_wait(f->sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE);
    expect_bugcheck(f, before, 0xC4, 0x1002);
  } else {
    if (f->m.spin_held[0] || f->m.spin_held[1]) return;
    kp_irql_t old = kp_irql_raise(KP_HIGH_LEVEL);
    (void)kp_event_set(f->sys, &f->ev[0], 0, false, KP_HERE);
    kp_irql_lower(old);
    if (f->m.verifier) {
      expect_bugcheck(f, before, 0xC4, 0x80);
    } else {
      FUZZ_ASSERT(f->bc_count == before);
      f->m.ev[0] = true;
    }
  }
}

static void op_work(fz_t *f, fuzz_data_t *d) {
  (void)d;
  if (f->m.spin_held[0] || f->m.spin_held[1]) return;
  kp_workitem_queue(f->sys, f->work, count_work, KP_WORK_QUEUE_DELAYED,
                    &f->work_runs, KP_HERE);
  kp_workitem_wait_idle(f->sys);
  f->m.work_runs++;
}

/* A bounded blocking wait on another thread while this one moves the
 * clock. Events, semaphores and timers only (a mutex would be owned by
 * the other thread). */
typedef struct bwait {
  fz_t *f;
  void *obj;
  int64_t timeout;
  kp_status_t st;
} bwait_t;

static void *bwait_main(void *arg) {
  bwait_t *b = arg;
  void *objs[1] = {b->obj};
  b->st = kp_wait(b->f->sys, 1, objs, KP_WAIT_ANY, &b->timeout, NULL, KP_HERE);
  return NULL;
}

static void op_blocking_wait(fz_t *f, fuzz_data_t *d) {
  int pick = (int)fuzz_range(d, 0, NEV + NSEM + NTIM - 1);
  int i = pick < NEV + NSEM ? pick : pick + NMUT;
  uint32_t ms = (uint32_t)fuzz_range(d, 1, 20);
  if (f->m.spin_held[0] || f->m.spin_held[1]) return;
  model_t *m = &f->m;
  kp_status_t want;
  if (m_ready(m, i)) {
    m_consume(m, i);
    want = KP_STATUS_SUCCESS;
  } else {
    want = KP_STATUS_TIMEOUT;
    for (uint32_t t = 1; t <= ms; t++) {
      m_advance(m, 1);
      if (m_ready(m, i)) {
        m_consume(m, i);
        want = KP_STATUS_SUCCESS;
        break;
      }
    }
  }
  bwait_t b = {f, obj_addr(f, i), -(int64_t)ms * 10000, 0};
  pthread_t th;
  FUZZ_ASSERT(pthread_create(&th, NULL, bwait_main, &b) == 0);
  if (want == KP_STATUS_SUCCESS && m->clock_ms == kp_clock_now(f->sys)) {
    // Satisfied at once: the waiter never blocks.
  } else {
    while (kp_wait_blocked_count(f->sys) == 0) sched_yield();
    while (kp_wait_blocked_count(f->sys) != 0) kp_clock_advance(f->sys, 1);
  }
  pthread_join(th, NULL);
  FUZZ_ASSERT(b.st == want);
}

/* ---------------------------------------------------------------------------
 * The run.
 * ------------------------------------------------------------------------- */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_data_t d = fuzz_data_init(data, size);
  fz_t *f = calloc(1, sizeof *f);
  if (f == NULL) return 0;
  kp_irql_set(KP_PASSIVE_LEVEL);
  uint8_t cfg_byte = fuzz_u8(&d);
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = fz_quiet;
  cfg.nonpaged_pool_bytes = (size_t)4 << 20;
  cfg.paged_pool_bytes = (size_t)4 << 20;
  if ((cfg_byte & 1) == 0) cfg.verifier_flags &= ~KP_VERIFY_AUTOMATIC;
  f->sys = kp_system_create(&cfg);
  FUZZ_ASSERT(f->sys != NULL);
  kp_bugcheck_set_handler(f->sys, fz_handler, f, NULL, NULL);
  model_t *m = &f->m;
  m->verifier = (cfg_byte & 1) != 0;
  for (int i = 0; i < NEV; i++)
    kp_event_init(f->sys, &f->ev[i],
                  i < 2 ? KP_EVENT_NOTIFICATION : KP_EVENT_SYNCHRONIZATION,
                  false, KP_HERE);
  for (int i = 0; i < NSEM; i++) {
    m->sem_limit[i] = 1 + ((cfg_byte >> (1 + i)) & 1) * 2; /* 1 or 3 */
    kp_semaphore_init(f->sys, &f->sem[i], 0, m->sem_limit[i], KP_HERE);
  }
  for (int i = 0; i < NMUT; i++) kp_mutex_init(f->sys, &f->mut[i], 0, KP_HERE);
  for (int j = 0; j < NTIM; j++) {
    kp_timer_init(f->sys, &f->tim[j],
                  j == 0 ? KP_TIMER_NOTIFICATION : KP_TIMER_SYNCHRONIZATION,
                  KP_HERE);
    m->tim[j].sync = j == 1;
    m->tim[j].dpc = -1;
  }
  for (int k = 0; k < NDPC; k++)
    kp_dpc_init(f->sys, &f->dpc[k], count_dpc, &f->dpc_runs[k], k == 1, KP_HERE);
  kp_spin_lock_init(&f->spin[0]);
  kp_spin_lock_init(&f->spin[1]);
  f->work = kp_workitem_alloc(f->sys, fake_device, KP_HERE);
  FUZZ_ASSERT(f->work != NULL);
  check_all(f);

  bool trace = getenv("KPOOL_FUZZ_TRACE") != NULL;
  for (int n = 0; n < MAX_OPS && !fuzz_data_empty(&d); n++) {
    uint8_t op = fuzz_u8(&d) % 17;
    if (trace) fprintf(stderr, "op %d: %u\n", n, (unsigned)op);
    switch (op) {
    case 0: case 1: op_event(f, &d); break;
    case 2: op_sem_release(f, &d); break;
    case 3: op_mutex_release(f, &d); break;
    case 4: case 5: op_poll(f, &d); break;
    case 6: op_timer_set(f, &d); break;
    case 7: op_timer_cancel(f, &d); break;
    case 8: case 9: op_clock(f, &d); break;
    case 10: op_dpc(f, &d); break;
    case 11: op_spin(f, &d); break;
    case 12: op_wait_at_dispatch(f, &d); break;
    case 13: op_misuse(f, &d); break;
    case 14: op_work(f, &d); break;
    default: op_blocking_wait(f, &d); break;
    }
    check_all(f);
  }

  // Everything back: then the unload finds nothing.
  uint32_t before = f->bc_count;
  if (m->spin_held[1]) kp_spin_lock_release(&f->spin[1], f->spin_old[1]);
  if (m->spin_held[0]) kp_spin_lock_release(&f->spin[0], f->spin_old[0]);
  FUZZ_ASSERT(kp_irql_get() == KP_PASSIVE_LEVEL);
  for (int j = 0; j < NTIM; j++) kp_timer_cancel(f->sys, &f->tim[j], KP_HERE);
  for (int k = 0; k < NDPC; k++) kp_dpc_remove(f->sys, &f->dpc[k], KP_HERE);
  for (int i = 0; i < NMUT; i++)
    while (m->mut_depth[i]-- > 0) kp_mutex_release(f->sys, &f->mut[i], false, KP_HERE);
  kp_workitem_free(f->sys, f->work, KP_HERE);
  FUZZ_ASSERT(kp_driver_unload(f->sys) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(f->bc_count == before);
  kp_system_destroy(f->sys);
  free(f);
  return 0;
}
