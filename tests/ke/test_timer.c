/*
 * test_timer.c — KTIMER and KDPC on the virtual clock: one-shot and
 * periodic expiry at their exact steps, DPCs queued and run only at the
 * documented drain points (at DISPATCH_LEVEL, on the queuing processor),
 * timers as waitable objects, time queries and processor counts, and the
 * checks for timers and DPCs in freed pool and at driver unload.
 */
#define _POSIX_C_SOURCE 200809L
#include <kpool/cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "kp_test_util.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define MS(n) (-(int64_t)(n) * 10000)

/* What the DPC routine saw. */
typedef struct dpc_log {
  int runs;
  kp_irql_t irql;
  bool in_dpc;
  uint32_t processor;
  void *dpc, *context, *arg1, *arg2;
  uint64_t at_ms[16];
  kp_system_t *sys;
} dpc_log_t;

static void log_dpc(void *dpc, void *context, void *a1, void *a2) {
  dpc_log_t *l = context;
  if (l->runs < 16) l->at_ms[l->runs] = kp_clock_now(l->sys);
  l->runs++;
  l->irql = kp_irql_get();
  l->in_dpc = kp_in_dpc();
  l->processor = kp_thread_processor();
  l->dpc = dpc;
  l->context = context;
  l->arg1 = a1;
  l->arg2 = a2;
}

static void test_one_shot_timer_and_dpc(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  assert_false(kp_timer_set(sys, &t, MS(10), 0, &d, KP_HERE));
  assert_false(kp_timer_read(sys, &t, KP_HERE));
  kp_clock_advance(sys, 9);
  assert_false(kp_timer_read(sys, &t, KP_HERE));
  assert_int_equal(log.runs, 0);
  kp_clock_advance(sys, 1);
  assert_true(kp_timer_read(sys, &t, KP_HERE));
  assert_int_equal(log.runs, 1);
  assert_int_equal(log.at_ms[0], 10);
  assert_int_equal(log.irql, KP_DISPATCH_LEVEL);
  assert_true(log.in_dpc);
  assert_ptr_equal(log.dpc, &d);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  assert_false(kp_in_dpc());
  // Expired: no longer in the queue.
  assert_false(kp_timer_cancel(sys, &t, KP_HERE));
  // A notification timer stays signalled; setting again resets it.
  assert_false(kp_timer_set(sys, &t, MS(5), 0, NULL, KP_HERE));
  assert_false(kp_timer_read(sys, &t, KP_HERE));
  assert_true(kp_timer_set(sys, &t, MS(5), 0, NULL, KP_HERE));
  assert_true(kp_timer_cancel(sys, &t, KP_HERE));
  kp_clock_advance(sys, 100);
  assert_false(kp_timer_read(sys, &t, KP_HERE));
}

static void test_periodic_timer(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_SYNCHRONIZATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(10), 5, &d, KP_HERE);
  // One advance crosses five expiries: each runs its DPC at its own time.
  kp_clock_advance(sys, 30);
  assert_int_equal(log.runs, 5);
  for (int i = 0; i < 5; i++) assert_int_equal(log.at_ms[i], 10 + 5 * i);
  assert_true(kp_timer_cancel(sys, &t, KP_HERE));
  kp_clock_advance(sys, 100);
  assert_int_equal(log.runs, 5);
  // Negative period: kpool raises.
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER_3,
                   kp_timer_set(sys, &t, MS(1), -1, NULL, KP_HERE));
}

static void test_past_due_expires_at_once(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_clock_advance(sys, 50);
  // Absolute time 1 (1601) is long past: signalled by the set itself.
  kp_timer_set(sys, &t, 1, 0, &d, KP_HERE);
  assert_true(kp_timer_read(sys, &t, KP_HERE));
  // Its DPC waits for a drain point.
  assert_int_equal(log.runs, 0);
  assert_int_equal(kp_dpc_drain(sys), 1);
  assert_int_equal(log.runs, 1);
}

typedef struct timer_waiter {
  kp_system_t *sys;
  void *obj;
  kp_status_t st;
  atomic_int done;
} timer_waiter_t;

static void *timer_wait_main(void *arg) {
  timer_waiter_t *w = arg;
  void *objs[1] = {w->obj};
  w->st = kp_wait(w->sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE);
  atomic_store(&w->done, 1);
  return NULL;
}

static void wait_blocked(kp_system_t *sys, uint32_t n) {
  struct timespec ts = {0, 100000};
  for (int i = 0; i < 100000 && kp_wait_blocked_count(sys) != n; i++)
    nanosleep(&ts, NULL);
  assert_int_equal(kp_wait_blocked_count(sys), n);
}

static void test_wait_on_synchronization_timer(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t;
  kp_timer_init(sys, &t, KP_TIMER_SYNCHRONIZATION, KP_HERE);
  kp_timer_set(sys, &t, MS(20), 0, NULL, KP_HERE);
  timer_waiter_t w = {sys, &t, 0, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, timer_wait_main, &w), 0);
  wait_blocked(sys, 1);
  kp_clock_advance(sys, 19);
  assert_int_equal(atomic_load(&w.done), 0);
  kp_clock_advance(sys, 1);
  pthread_join(th, NULL);
  assert_int_equal(w.st, KP_STATUS_SUCCESS);
  // The synchronization timer was reset by the satisfied wait.
  assert_false(kp_timer_read(sys, &t, KP_HERE));
}

/* Real-time clock mode: the clock thread moves the virtual clock, so a
 * timer and its DPC fire without the test advancing anything. */
static void test_realtime_clock_drives_timers(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(1500), 0, &d, KP_HERE);
  assert_int_equal(kp_clock_start_realtime(sys, 2), KP_STATUS_SUCCESS);
  void *objs[1] = {&t};
  int64_t limit = MS(60000); // a bound, in virtual time, if it never fired
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &limit, NULL, KP_HERE),
                   KP_STATUS_SUCCESS);
  kp_clock_stop_realtime(sys);
  // The DPC ran on the clock thread in the step of the expiry; stopping
  // joins that thread, so its run is visible here.
  assert_int_equal(log.runs, 1);
  assert_int_equal(log.at_ms[0], 1500);
}

static void test_dpc_queue_and_remove(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  assert_int_equal(kp_thread_set_processor(sys, 1), KP_STATUS_SUCCESS);
  assert_true(kp_dpc_queue(sys, &d, (void *)1, (void *)2, KP_HERE));
  assert_false(kp_dpc_queue(sys, &d, (void *)3, (void *)4, KP_HERE));
  kp_thread_set_processor(sys, 0);
  assert_int_equal(log.runs, 0); // queued only
  kp_clock_advance(sys, 0);     // a drain point
  assert_int_equal(log.runs, 1);
  assert_ptr_equal(log.arg1, (void *)1);
  assert_ptr_equal(log.arg2, (void *)2);
  assert_int_equal(log.processor, 1); // the processor that queued it
  assert_int_equal(kp_thread_processor(), 0);
  assert_true(kp_dpc_queue(sys, &d, NULL, NULL, KP_HERE));
  assert_true(kp_dpc_remove(sys, &d, KP_HERE));
  assert_false(kp_dpc_remove(sys, &d, KP_HERE));
  assert_int_equal(kp_dpc_drain(sys), 0);
  assert_int_equal(log.runs, 1);
  // Threaded DPCs run the same way.
  kp_kobject_t td;
  kp_dpc_init(sys, &td, log_dpc, &log, true, KP_HERE);
  kp_dpc_queue(sys, &td, NULL, NULL, KP_HERE);
  kp_dpc_flush(sys, KP_HERE);
  assert_int_equal(log.runs, 2);
  assert_int_equal(log.irql, KP_DISPATCH_LEVEL);
}

static void test_cancel_removes_timer_dpc(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(5), 10, &d, KP_HERE);
  kp_clock_advance(sys, 5);
  assert_int_equal(log.runs, 1);
  assert_true(kp_timer_cancel(sys, &t, KP_HERE));
  kp_clock_advance(sys, 100);
  assert_int_equal(log.runs, 1);
}

/* A DPC that waits: a bug check (caught with a returning handler, since
 * the DPC runs inside kpool's drain). */
static kp_status_t dpc_wait_status;
static void waiting_dpc(void *dpc, void *context, void *a1, void *a2) {
  (void)dpc;
  (void)a1;
  (void)a2;
  kp_system_t *sys = context;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  void *objs[1] = {&e};
  int64_t t = MS(1);
  dpc_wait_status = kp_wait(sys, 1, objs, KP_WAIT_ANY, &t, NULL, KP_HERE);
}

static void test_wait_in_dpc_retail_0xb8(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t d;
  kp_dpc_init(sys, &d, waiting_dpc, sys, false, KP_HERE);
  kp_dpc_queue(sys, &d, NULL, NULL, KP_HERE);
  kpt_reset_caught();
  kp_dpc_drain(sys);
  assert_int_equal(kpt_last.count, 1);
  assert_int_equal(kpt_last.code, 0xB8);
  assert_int_equal(dpc_wait_status, KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_wait_in_dpc_verifier_0xc4(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t d;
  kp_dpc_init(sys, &d, waiting_dpc, sys, false, KP_HERE);
  kp_dpc_queue(sys, &d, NULL, NULL, KP_HERE);
  kpt_reset_caught();
  kp_dpc_drain(sys);
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x3B);
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
}

/* A handler that longjmps out of a DPC routine (the usual assertion): the
 * thread's next dispatcher call repairs what the DPC changed, and the
 * clock and the DPC queue keep working. */
static void test_longjmp_out_of_dpc(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d, d2;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, waiting_dpc, sys, false, KP_HERE);
  kp_timer_set(sys, &t, MS(5), 0, &d, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x3B, kp_clock_advance(sys, 10));
  assert_false(kp_in_dpc());
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  kp_dpc_flush(sys, KP_HERE); // would wait forever for the lost DPC
  dpc_log_t log = {0};
  log.sys = sys;
  kp_dpc_init(sys, &d2, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(5), 0, &d2, KP_HERE);
  kp_clock_advance(sys, 10); // the clock is not stuck with the lost advance
  assert_int_equal(log.runs, 1);
}

static void raising_dpc(void *dpc, void *context, void *a1, void *a2) {
  (void)dpc;
  (void)context;
  (void)a1;
  (void)a2;
  kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
}

static void test_raise_in_dpc_0x1e(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t d;
  kp_dpc_init(sys, &d, raising_dpc, NULL, false, KP_HERE);
  kp_dpc_queue(sys, &d, NULL, NULL, KP_HERE);
  // Even inside a KP_TRY of the caller: the exception stays in the DPC.
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)KP_STATUS_ACCESS_VIOLATION,
                      kp_dpc_drain(sys));
  assert_int_equal(kpt_last.p[1], PTR(raising_dpc));
  assert_false(kp_in_dpc());
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_reinit_set_timer_or_queued_dpc(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(10), 0, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0x139, 3, kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION,
                                               KP_HERE));
  kp_dpc_queue(sys, &d, NULL, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0x139, 3, kp_dpc_init(sys, &d, log_dpc, &log, false,
                                             KP_HERE));
  // Abandoned: both still pending; as storage of another kind, too.
  KPT_EXPECT_BUGCHECK(0x139, 3, kp_event_init(sys, &t, KP_EVENT_NOTIFICATION,
                                               false, KP_HERE));
  assert_true(kp_timer_cancel(sys, &t, KP_HERE));
  assert_true(kp_dpc_remove(sys, &d, KP_HERE));
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
}

static void test_flush_irql(void **state) {
  kp_system_t *sys = *state;
  kp_irql_t old = kp_irql_set(KP_DISPATCH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xA, 0, kp_dpc_flush(sys, KP_HERE));
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
  kp_irql_set(old);
}

static void test_time_queries(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.time_increment = 100000; // 10 ms ticks
  kp_system_t *sys = kpt_system(&cfg);
  assert_non_null(sys);
  assert_int_equal(kp_time_interrupt(sys), 0);
  assert_int_equal(kp_time_system(sys), cfg.boot_system_time);
  kp_clock_advance(sys, 1234);
  assert_int_equal(kp_time_interrupt(sys), 12340000u);
  assert_int_equal(kp_time_system(sys), cfg.boot_system_time + 12340000);
  assert_int_equal(kp_time_ticks(sys), 123);
  assert_int_equal(kp_time_increment(sys), 100000);
  kp_system_destroy(sys);
  // The defaults and the validation of the new fields.
  kp_config_init(&cfg);
  assert_int_equal(cfg.time_increment, 156250);
  assert_int_equal(cfg.boot_system_time, 133485408000000000LL);
  cfg.time_increment = 4999;
  assert_null(kp_system_create(&cfg));
  cfg.time_increment = 156251;
  assert_null(kp_system_create(&cfg));
  cfg.time_increment = 156250;
  cfg.boot_system_time = -1;
  assert_null(kp_system_create(&cfg));
}

static void test_processor_counts(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.numa_nodes = 2;
  cfg.processors_per_node = 3;
  kp_system_t *sys = kpt_system(&cfg);
  assert_int_equal(kp_processor_count(sys, 0), 6);
  assert_int_equal(kp_processor_count(sys, 1), 0);
  assert_int_equal(kp_processor_count(sys, 0xFFFF), 6);
  kp_system_destroy(sys);
  cfg.processors_per_node = 40;
  sys = kpt_system(&cfg);
  assert_int_equal(kp_processor_count(sys, 0), 64);
  assert_int_equal(kp_processor_count(sys, 1), 16);
  assert_int_equal(kp_processor_count(sys, 2), 0);
  assert_int_equal(kp_processor_count(sys, 0xFFFF), 80);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * Freed pool and unload.
 * ------------------------------------------------------------------------- */
static void test_free_pool_with_set_timer_verifier(void **state) {
  kp_system_t *sys = *state;
  uint8_t *blk = kp_alloc2(sys, KPT_NP, 256, KPT_TAG1, KP_HERE);
  assert_non_null(blk);
  void *t = blk + 64;
  kp_timer_init(sys, t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_timer_set(sys, t, MS(100), 0, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x15, kp_free(sys, blk, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(t));
  assert_int_equal(kpt_last.p[3], PTR(blk));
  // The free was abandoned: cancel and free for real.
  assert_true(kp_timer_cancel(sys, t, KP_HERE));
  kp_free(sys, blk, KPT_TAG1, KP_HERE);
}

static void test_free_pool_with_set_timer_retail(void **state) {
  kp_system_t *sys = *state;
  uint8_t *blk = kp_alloc2(sys, KPT_NP, 256, KPT_TAG1, KP_HERE);
  void *t = blk;
  kp_timer_init(sys, t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_timer_set(sys, t, MS(100), 0, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC7, 0, kp_free(sys, blk, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(t));
  assert_int_equal(kpt_last.p[2], PTR(blk));
  assert_int_equal(kpt_last.p[3], PTR(blk) + 256);
  kp_timer_cancel(sys, t, KP_HERE);
  kp_free(sys, blk, KPT_TAG1, KP_HERE);
}

/* The free path asks the dispatcher only while a timer is set or a DPC
 * queued (a count kept beside the lists): nothing pending, frees skip the
 * check; set again, it is caught again. */
static void test_free_pool_check_follows_pending_count(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a = kp_alloc2(sys, KPT_NP, 128, KPT_TAG1, KP_HERE);
  uint8_t *b = kp_alloc2(sys, KPT_NP, 128, KPT_TAG1, KP_HERE);
  kp_timer_init(sys, a, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_timer_set(sys, a, MS(100), 0, NULL, KP_HERE);
  assert_true(kp_timer_cancel(sys, a, KP_HERE));
  kp_free(sys, a, KPT_TAG1, KP_HERE); // nothing pending: a plain free
  assert_int_equal(kpt_last.count, 0);
  kp_timer_init(sys, b, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_timer_set(sys, b, MS(100), 0, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x15, kp_free(sys, b, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(b));
  // Expired (not cancelled): the count drops with it.
  kp_clock_advance(sys, 200);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
  assert_int_equal(kpt_last.count, 1);
}

static void test_free_pool_with_queued_dpc(void **state) {
  kp_system_t *sys = *state;
  uint8_t *blk = kp_alloc2(sys, KPT_NP, 128, KPT_TAG1, KP_HERE);
  dpc_log_t log = {0};
  log.sys = sys;
  kp_dpc_init(sys, blk, log_dpc, &log, false, KP_HERE);
  kp_dpc_queue(sys, blk, NULL, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC7, 1, kp_free(sys, blk, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(blk));
  kp_dpc_remove(sys, blk, KP_HERE);
  kp_free(sys, blk, KPT_TAG1, KP_HERE);
  // Nothing pending: a free of pool that held a DPC is fine.
  assert_int_equal(log.runs, 0);
}

static void test_unload_with_timer_set(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(100), 100, &d, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC7, 0, kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[1], PTR(&t));
  assert_non_null(strstr(kpt_output, "timer"));
  kp_timer_cancel(sys, &t, KP_HERE);
}

static void test_unload_findings_retail(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t, d, d2;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_dpc_init(sys, &d2, log_dpc, &log, false, KP_HERE);
  kp_timer_set(sys, &t, MS(100), 0, &d, KP_HERE);
  kp_dpc_queue(sys, &d2, NULL, NULL, KP_HERE);
  // A handler that returns sees both findings, 0xCE each, routine in P1.
  kpt_reset_caught();
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_UNSUCCESSFUL);
  assert_int_equal(kpt_last.count, 2);
  assert_int_equal(kpt_last.code, 0xCE);
  assert_int_equal(kpt_last.p[0], PTR(log_dpc));
  kp_timer_cancel(sys, &t, KP_HERE);
  kp_dpc_remove(sys, &d2, KP_HERE);
}

static void test_unload_with_dpc_queued(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t d;
  dpc_log_t log = {0};
  log.sys = sys;
  kp_dpc_init(sys, &d, log_dpc, &log, false, KP_HERE);
  kp_dpc_queue(sys, &d, NULL, NULL, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC7, 1, kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[1], PTR(&d));
  assert_int_equal(kpt_last.p[2], PTR(&d));
  assert_int_equal(kpt_last.p[3], PTR(&d) + 0x40);
  kp_dpc_remove(sys, &d, KP_HERE);
  assert_int_equal(log.runs, 0);
}

static void test_unload_clean(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t t;
  kp_timer_init(sys, &t, KP_TIMER_NOTIFICATION, KP_HERE);
  kp_timer_set(sys, &t, MS(100), 0, NULL, KP_HERE);
  kp_timer_cancel(sys, &t, KP_HERE);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_one_shot_timer_and_dpc, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_periodic_timer, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_past_due_expires_at_once, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_on_synchronization_timer, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_realtime_clock_drives_timers, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_dpc_queue_and_remove, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_cancel_removes_timer_dpc, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_in_dpc_retail_0xb8, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_in_dpc_verifier_0xc4, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_longjmp_out_of_dpc, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_raise_in_dpc_0x1e, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_reinit_set_timer_or_queued_dpc, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_flush_irql, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_time_queries),
      cmocka_unit_test(test_processor_counts),
      cmocka_unit_test_setup_teardown(test_free_pool_with_set_timer_verifier, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_pool_with_set_timer_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_pool_with_queued_dpc, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_timer_set, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_findings_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_dpc_queued, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_clean, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_pool_check_follows_pending_count, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
