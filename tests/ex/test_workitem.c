/*
 * test_workitem.c — IO_WORKITEM and WORK_QUEUE_ITEM: items run on the
 * worker thread at PASSIVE_LEVEL in queue order, kp_workitem_wait_idle as
 * the deterministic point, freeing from inside the routine, and every
 * misuse: queued twice (0xE4/1), freed while queued (0xE4/2), pool freed
 * under a queued item (0xE4/0), unknown item (0xE4/3), bad queue type
 * (0xE4/6), routine returning at DISPATCH_LEVEL (0xE1), an unhandled raise
 * (0x7E), unload with an item queued (0xCE).
 */
#include <kpool/cmocka.h>

#include <sched.h>
#include <stdatomic.h>

#include "kp_test_util.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))

static char device[64]; /* stands in for a DEVICE_OBJECT */

typedef struct log {
  kp_system_t *sys;
  int order[8];
  atomic_int runs;
  bool system_thread;
  kp_irql_t irql;
  void *io_object, *item;
  void *free_me;
  void *block_event;
} log_t;

static void routine(void *io_object, void *context) {
  log_t *l = context;
  int n = atomic_fetch_add(&l->runs, 1);
  if (n < 8) l->order[n] = 1;
  l->io_object = io_object;
  l->system_thread = kp_thread_is_system();
  l->irql = kp_irql_get();
}

static void routine2(void *io_object, void *context) {
  log_t *l = context;
  (void)io_object;
  int n = atomic_fetch_add(&l->runs, 1);
  if (n < 8) l->order[n] = 2;
}

static void routine_ex(void *io_object, void *context, void *item) {
  log_t *l = context;
  atomic_fetch_add(&l->runs, 1);
  l->io_object = io_object;
  l->item = item;
  // Freeing the item from its own routine is allowed.
  if (l->free_me != NULL) kp_workitem_free(l->sys, l->free_me, KP_HERE);
}

static void test_queue_runs_on_worker(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  l.sys = sys;
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  void *b = kp_workitem_alloc(sys, device, KP_HERE);
  assert_non_null(a);
  assert_non_null(b);
  kp_workitem_queue(sys, a, routine, KP_WORK_QUEUE_DELAYED, &l, KP_HERE);
  kp_workitem_queue(sys, b, routine2, KP_WORK_QUEUE_DELAYED, &l, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 2);
  assert_int_equal(l.order[0], 1); // queue order
  assert_int_equal(l.order[1], 2);
  assert_ptr_equal(l.io_object, device);
  assert_true(l.system_thread);
  assert_int_equal(l.irql, KP_PASSIVE_LEVEL);
  assert_int_equal(kp_workitem_pending(sys), 0);
  // Queued again after it ran: fine.
  kp_workitem_queue(sys, a, routine, KP_WORK_QUEUE_CRITICAL, &l, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 3);
  kp_workitem_free(sys, a, KP_HERE);
  kp_workitem_free(sys, b, KP_HERE);
  assert_null(kp_workitem_alloc(sys, NULL, KP_HERE));
}

static void test_ex_routine_frees_itself(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  l.sys = sys;
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  l.free_me = a;
  kp_workitem_queue_ex(sys, a, routine_ex, KP_WORK_QUEUE_DELAYED, &l, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 1);
  assert_ptr_equal(l.item, a);
  assert_int_equal(kpt_last.count, 0);
  // It is gone: freeing again is an unknown item.
  KPT_EXPECT_BUGCHECK(0xE4, 3, kp_workitem_free(sys, a, KP_HERE));
}

/* A routine that queues its own item again (allowed: the item left the
 * queue before the routine ran). */
static void *requeue_item;
static void requeue_routine(void *io_object, void *context) {
  log_t *l = context;
  if (atomic_fetch_add(&l->runs, 1) + 1 < 3)
    kp_workitem_queue(l->sys, requeue_item, requeue_routine,
                      KP_WORK_QUEUE_DELAYED, l, KP_HERE);
  (void)io_object;
}

static void test_routine_requeues_itself(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  l.sys = sys;
  requeue_item = kp_workitem_alloc(sys, device, KP_HERE);
  kp_workitem_queue(sys, requeue_item, requeue_routine, KP_WORK_QUEUE_DELAYED,
                    &l, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 3);
  assert_int_equal(kpt_last.count, 0);
  kp_workitem_free(sys, requeue_item, KP_HERE);
}

static void test_initialized_item(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  l.sys = sys;
  uint8_t *storage = kp_alloc2(sys, KPT_NP, KP_WORKITEM_SIZE, KPT_TAG1, KP_HERE);
  kp_workitem_init(sys, storage, device, KP_HERE);
  kp_workitem_queue(sys, storage, routine, KP_WORK_QUEUE_DELAYED, &l, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 1);
  kp_workitem_uninit(sys, storage, KP_HERE);
  kp_free(sys, storage, KPT_TAG1, KP_HERE);
}

static void plain_routine(void *parameter) {
  log_t *l = parameter;
  atomic_fetch_add(&l->runs, 1);
}

static void test_ex_queue_work_item(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  char item[32];
  kp_workitem_queue_plain(sys, item, plain_routine, &l, KP_WORK_QUEUE_DELAYED,
                          KP_HERE);
  kp_workitem_wait_idle(sys);
  kp_workitem_queue_plain(sys, item, plain_routine, &l, KP_WORK_QUEUE_DELAYED,
                          KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 2);
}

/* A routine that blocks until the test lets it go, to hold items queued. */
static void blocking_routine(void *io_object, void *context) {
  (void)io_object;
  log_t *l = context;
  void *objs[1] = {l->block_event};
  kp_wait(l->sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE);
  atomic_fetch_add(&l->runs, 1);
}

static void test_misuse_while_queued(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  l.sys = sys;
  kp_kobject_t gate;
  kp_event_init(sys, &gate, KP_EVENT_NOTIFICATION, false, KP_HERE);
  l.block_event = &gate;
  void *blocker = kp_workitem_alloc(sys, device, KP_HERE);
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  kp_workitem_queue(sys, blocker, blocking_routine, KP_WORK_QUEUE_DELAYED, &l,
                    KP_HERE);
  // Once the blocker sleeps in its wait, it is running for certain.
  for (long i = 0; i < 100000000L && kp_wait_blocked_count(sys) == 0; i++)
    sched_yield();
  assert_int_equal(kp_wait_blocked_count(sys), 1);
  kp_workitem_queue(sys, a, routine, KP_WORK_QUEUE_DELAYED, &l, KP_HERE);
  // a is queued behind the blocked routine.
  KPT_EXPECT_BUGCHECK(0xE4, 1, kp_workitem_queue(sys, a, routine,
                                                  KP_WORK_QUEUE_DELAYED, &l,
                                                  KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(a));
  assert_int_equal(kpt_last.p[2], KP_WORK_QUEUE_DELAYED);
  KPT_EXPECT_BUGCHECK(0xE4, 2, kp_workitem_free(sys, a, KP_HERE));
  assert_int_equal(kpt_last.p[2], PTR(routine));
  // Unload with items queued and running: 0xCE for each (the first raised).
  KPT_EXPECT_BUGCHECK(0xCE, PTR(routine), kp_driver_unload(sys));
  assert_non_null(strstr(kpt_output, "still running"));
  // Pool freed under a queued (initialised) item.
  uint8_t *blk = kp_alloc2(sys, KPT_NP, 256, KPT_TAG1, KP_HERE);
  kp_workitem_init(sys, blk + 32, device, KP_HERE);
  kp_workitem_queue(sys, blk + 32, routine, KP_WORK_QUEUE_DELAYED, &l, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xE4, 0, kp_free(sys, blk, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(blk + 32));
  assert_int_equal(kpt_last.p[2], PTR(blk));
  kp_event_set(sys, &gate, 0, false, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 3);
  kp_workitem_uninit(sys, blk + 32, KP_HERE);
  kp_free(sys, blk, KPT_TAG1, KP_HERE);
  kp_workitem_free(sys, a, KP_HERE);
  kp_workitem_free(sys, blocker, KP_HERE);
}

static void test_bad_arguments(void **state) {
  kp_system_t *sys = *state;
  log_t l = {0};
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xE4, 6, kp_workitem_queue(sys, a, routine,
                                                  KP_WORK_QUEUE_MAXIMUM, &l,
                                                  KP_HERE));
  assert_int_equal(kpt_last.p[2], KP_WORK_QUEUE_MAXIMUM);
  char unknown[8];
  KPT_EXPECT_BUGCHECK(0xE4, 3, kp_workitem_queue(sys, unknown, routine,
                                                  KP_WORK_QUEUE_DELAYED, &l,
                                                  KP_HERE));
  KPT_EXPECT_BUGCHECK(0xE4, 3, kp_workitem_free(sys, unknown, KP_HERE));
  kp_irql_t old = kp_irql_set(KP_HIGH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xA, PTR(a), kp_workitem_queue(sys, a, routine,
                                                      KP_WORK_QUEUE_DELAYED,
                                                      &l, KP_HERE));
  kp_irql_set(old);
  // A custom priority queue type is valid.
  kp_workitem_queue(sys, a, routine, KP_WORK_QUEUE_CUSTOM_PRIORITY + 10, &l,
                    KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&l.runs), 1);
  kp_workitem_free(sys, a, KP_HERE);
}

static void raising_routine(void *io_object, void *context) {
  (void)io_object;
  (void)context;
  kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
}

static void dispatch_routine(void *io_object, void *context) {
  (void)io_object;
  (void)context;
  kp_irql_raise(KP_DISPATCH_LEVEL); // returns without lowering
}

/* Bug checks on the worker thread: the handler records and returns. */
static void test_worker_bug_checks(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  int ctx = 0;
  kpt_reset_caught();
  kp_workitem_queue(sys, a, dispatch_routine, KP_WORK_QUEUE_DELAYED, &ctx,
                    KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(kpt_last.code, 0xE1);
  assert_int_equal(kpt_last.p[0], PTR(dispatch_routine));
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
  assert_int_equal(kpt_last.p[2], PTR(&ctx));
  assert_int_equal(kpt_last.p[3], PTR(a));
  kpt_reset_caught();
  kp_workitem_queue(sys, a, raising_routine, KP_WORK_QUEUE_DELAYED, &ctx,
                    KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(kpt_last.code, 0x7E);
  assert_int_equal(kpt_last.p[0], (uint64_t)(int64_t)KP_STATUS_ACCESS_VIOLATION);
  kp_workitem_free(sys, a, KP_HERE);
}

static void *held_mutex;
static void mutex_routine(void *io_object, void *context) {
  (void)io_object;
  kp_system_t *sys = context;
  void *objs[1] = {held_mutex};
  kp_wait(sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE); // never released
}

static void test_routine_returns_owning_mutex(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t m;
  kp_mutex_init(sys, &m, 0, KP_HERE);
  held_mutex = &m;
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  kpt_reset_caught();
  kp_workitem_queue(sys, a, mutex_routine, KP_WORK_QUEUE_DELAYED, sys, KP_HERE);
  kp_workitem_wait_idle(sys);
  assert_int_equal(kpt_last.code, 0x1);
  assert_int_equal(kpt_last.p[0], PTR(mutex_routine));
  assert_int_equal(kpt_last.p[3], 1);
  // Abandoned, not inherited by the worker's next item.
  void *objs[1] = {&m};
  int64_t zero = 0;
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_ABANDONED);
  kp_mutex_release(sys, &m, false, KP_HERE);
  kp_workitem_free(sys, a, KP_HERE);
}

static void test_unload_lists_unfreed_items(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_workitem_alloc(sys, device, KP_HERE);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
  assert_non_null(strstr(kpt_output, "never freed"));
  kp_workitem_free(sys, a, KP_HERE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_queue_runs_on_worker, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_ex_routine_frees_itself, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_routine_requeues_itself, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_initialized_item, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_ex_queue_work_item, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_misuse_while_queued, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_worker_bug_checks, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_routine_returns_owning_mutex, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_lists_unfreed_items, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
