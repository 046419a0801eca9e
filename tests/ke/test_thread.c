/*
 * test_thread.c — system threads and identity: creation, the join pattern
 * (reference the handle, close it, wait on the object), PsTerminateSystemThread,
 * an unhandled raise (0x7E), a thread ending with a KMUTEX (0x4000008A, then
 * the mutex abandoned), a running thread at unload (0xCE), thread and
 * process identity.
 */
#define _POSIX_C_SOURCE 200809L
#include <kpool/cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "kp_test_util.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))

typedef struct ctx {
  kp_system_t *sys;
  void *self;
  uint64_t cid;
  bool is_system;
  kp_irql_t irql;
  void *mutex;
  void *event;
  atomic_int ran;
} ctx_t;

static void start_plain(void *arg) {
  ctx_t *c = arg;
  c->self = kp_thread_object();
  c->cid = kp_thread_cid();
  c->is_system = kp_thread_is_system();
  c->irql = kp_irql_get();
  atomic_store(&c->ran, 1);
}

/* Reference, close, wait, dereference: the documented join. */
static kp_status_t join(kp_system_t *sys, void *handle, void **object) {
  void *obj = NULL;
  assert_int_equal(kp_handle_reference(sys, handle, &obj), KP_STATUS_SUCCESS);
  assert_int_equal(kp_handle_close(sys, handle), KP_STATUS_SUCCESS);
  void *objs[1] = {obj};
  kp_status_t st = kp_wait(sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE);
  if (object != NULL) *object = obj;
  return st;
}

static void test_create_and_join(void **state) {
  kp_system_t *sys = *state;
  ctx_t c = {0};
  c.sys = sys;
  void *h = NULL;
  uint64_t tid = 0;
  assert_int_equal(kp_system_thread_create(sys, &h, &tid, start_plain, &c, KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_non_null(h);
  void *obj = NULL;
  assert_int_equal(join(sys, h, &obj), KP_STATUS_SUCCESS);
  assert_int_equal(atomic_load(&c.ran), 1);
  // Inside, the thread object is the handle's object, the id the ClientId.
  assert_ptr_equal(c.self, obj);
  assert_int_equal(c.cid, tid);
  assert_true(c.is_system);
  assert_int_equal(c.irql, KP_PASSIVE_LEVEL);
  assert_int_equal(kp_thread_exit_status(sys, obj), KP_STATUS_SUCCESS);
  kp_object_dereference(sys, obj);
  // The handle is closed; a second close or reference fails.
  assert_int_equal(kp_handle_close(sys, h), KP_STATUS_INVALID_HANDLE);
  void *o2 = NULL;
  assert_int_equal(kp_handle_reference(sys, h, &o2), KP_STATUS_INVALID_HANDLE);
  // One dereference too many: 0x18.
  KPT_EXPECT_BUGCHECK(0x18, 0, kp_object_dereference(sys, obj));
  assert_int_equal(kpt_last.p[1], PTR(obj));
  // Bad arguments.
  assert_int_equal(kp_system_thread_create(sys, NULL, NULL, start_plain, &c, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_system_thread_create(sys, &h, NULL, NULL, &c, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER);
}

static void start_terminate(void *arg) {
  ctx_t *c = arg;
  atomic_store(&c->ran, 1);
  kp_system_thread_exit(c->sys, (kp_status_t)0x1234);
  atomic_store(&c->ran, 2); // never reached
}

static void test_terminate(void **state) {
  kp_system_t *sys = *state;
  ctx_t c = {0};
  c.sys = sys;
  void *h = NULL;
  kp_system_thread_create(sys, &h, NULL, start_terminate, &c, KP_HERE);
  void *obj = NULL;
  assert_int_equal(join(sys, h, &obj), KP_STATUS_SUCCESS);
  assert_int_equal(atomic_load(&c.ran), 1);
  assert_int_equal(kp_thread_exit_status(sys, obj), 0x1234);
  kp_object_dereference(sys, obj);
  // Not a system thread: an error status, no exit.
  assert_int_equal(kp_system_thread_exit(sys, 0), KP_STATUS_INVALID_PARAMETER);
  assert_false(kp_thread_is_system());
}

static void start_raise(void *arg) {
  ctx_t *c = arg;
  kp_kobject_t m;
  kp_mutex_init(c->sys, &m, 0, KP_HERE);
  kp_mutex_release(c->sys, &m, false, KP_HERE); // not owned: raises
}

/* Bug checks raised on another thread: record and return. */
static void test_unhandled_raise_0x7e(void **state) {
  kp_system_t *sys = *state;
  ctx_t c = {0};
  c.sys = sys;
  void *h = NULL;
  kpt_reset_caught();
  kp_system_thread_create(sys, &h, NULL, start_raise, &c, KP_HERE);
  void *obj = NULL;
  join(sys, h, &obj);
  assert_int_equal(kpt_last.code, 0x7E);
  assert_int_equal(kpt_last.p[0], (uint64_t)(int64_t)KP_STATUS_MUTANT_NOT_OWNED);
  assert_int_equal(kpt_last.p[1], PTR(start_raise));
  kp_object_dereference(sys, obj);
}

static void start_hold_mutex(void *arg) {
  ctx_t *c = arg;
  void *objs[1] = {c->mutex};
  kp_wait(c->sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE);
  c->self = kp_thread_object();
  // Returns owning the mutex.
}

static void test_thread_ends_holding_mutex(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t m;
  kp_mutex_init(sys, &m, 0, KP_HERE);
  ctx_t c = {0};
  c.sys = sys;
  c.mutex = &m;
  void *h = NULL;
  kpt_reset_caught();
  kp_system_thread_create(sys, &h, NULL, start_hold_mutex, &c, KP_HERE);
  void *obj = NULL;
  join(sys, h, &obj);
  assert_int_equal(kpt_last.code, 0x4000008A);
  assert_int_equal(kpt_last.p[0], PTR(c.self));
  assert_int_equal(kpt_last.p[1], PTR(&m));
  // Abandoned: the next wait gets it with STATUS_ABANDONED_WAIT_0, then the
  // mutex is ordinary again.
  void *objs[1] = {&m};
  int64_t zero = 0;
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_ABANDONED);
  assert_int_equal(kp_mutex_release(sys, &m, false, KP_HERE), 0);
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_SUCCESS);
  kp_mutex_release(sys, &m, false, KP_HERE);
  kp_object_dereference(sys, obj);
}

static void start_raise_irql(void *arg) {
  (void)arg;
  kp_irql_raise(KP_DISPATCH_LEVEL); // and never lowered
}

static void test_thread_ends_at_dispatch_0x20(void **state) {
  kp_system_t *sys = *state;
  void *h = NULL;
  kpt_reset_caught();
  kp_system_thread_create(sys, &h, NULL, start_raise_irql, NULL, KP_HERE);
  void *obj = NULL;
  join(sys, h, &obj);
  assert_int_equal(kpt_last.code, 0x20);
  assert_int_equal(kpt_last.p[2], KP_DISPATCH_LEVEL);
  kp_object_dereference(sys, obj);
}

static void start_wait_event(void *arg) {
  ctx_t *c = arg;
  void *objs[1] = {c->event};
  kp_wait(c->sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE);
}

static void test_unload_with_thread_running(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  ctx_t c = {0};
  c.sys = sys;
  c.event = &e;
  void *h = NULL;
  kp_system_thread_create(sys, &h, NULL, start_wait_event, &c, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xCE, PTR(start_wait_event), kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[2], PTR(start_wait_event));
  kp_event_set(sys, &e, 0, false, KP_HERE);
  assert_int_equal(join(sys, h, NULL), KP_STATUS_SUCCESS);
}

static void *identity_main(void *arg) {
  void **out = arg;
  out[0] = kp_thread_object();
  out[1] = (void *)(uintptr_t)kp_thread_cid();
  return NULL;
}

static void test_identity(void **state) {
  (void)state;
  void *me = kp_thread_object();
  assert_non_null(me);
  assert_ptr_equal(kp_thread_object(), me); // stable
  assert_int_equal(kp_thread_cid(), 4u * (kp_thread_id() + 1u));
  assert_int_not_equal(kp_thread_cid(), KP_SYSTEM_PROCESS_ID);
  void *other[2] = {NULL, NULL};
  pthread_t th;
  pthread_create(&th, NULL, identity_main, other);
  pthread_join(th, NULL);
  assert_ptr_not_equal(other[0], me);
  assert_int_not_equal((uint64_t)(uintptr_t)other[1], kp_thread_cid());
  assert_non_null(kp_process_object());
  assert_false(kp_thread_is_system());
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_and_join, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_terminate, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unhandled_raise_0x7e, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_thread_ends_holding_mutex, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_thread_ends_at_dispatch_0x20, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_thread_running, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_identity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
