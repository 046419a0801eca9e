/*
 * test_raise.c — ExRaiseStatus and KP_TRY / KP_EXCEPT: catching, nesting,
 * per-thread frames, the IRQL at the handler, and the 0x1E bug check of
 * an unhandled raise.
 */
#include <kpool/cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/kpool.h>

typedef struct fixture {
  kp_system_t *sys;
  kp_system_t *prev;
} fixture_t;

static fixture_t fx;

static int setup(void **state) {
  (void)state;
  fx.sys = kp_system_create(NULL);
  if (fx.sys == NULL) return -1;
  fx.prev = kp_system_set_current(fx.sys);
  kp_irql_set(KP_PASSIVE_LEVEL);
  return kp_try_active() ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_system_set_current(fx.prev);
  kp_system_destroy(fx.sys);
  fx.sys = NULL;
  // Every test must leave no frame registered.
  return kp_try_active() ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * KP_TRY without and with a raise.
 * ------------------------------------------------------------------------- */
static void test_try_without_raise(void **state) {
  (void)state;
  volatile int body = 0, handler = 0;
  volatile bool active_inside = false;
  assert_false(kp_try_active());
  KP_TRY {
    active_inside = kp_try_active();
    body = 1;
  } KP_EXCEPT(st) {
    handler = 1;
  } KP_END_TRY;
  assert_int_equal(body, 1);
  assert_int_equal(handler, 0);
  assert_true(active_inside);
  assert_false(kp_try_active());
}

static void test_raise_is_caught(void **state) {
  (void)state;
  volatile int after_raise = 0;
  volatile kp_status_t caught = 0;
  volatile bool active_in_handler = true;
  KP_TRY {
    kp_raise_status(KP_STATUS_ACCESS_DENIED);
    after_raise = 1;
  } KP_EXCEPT(st) {
    caught = st;
    active_in_handler = kp_try_active();
  } KP_END_TRY;
  assert_int_equal(after_raise, 0);
  assert_int_equal(caught, KP_STATUS_ACCESS_DENIED);
  // The frame is gone before KP_EXCEPT runs.
  assert_false(active_in_handler);
  assert_int_equal(kp_bugcheck_count(fx.sys), 0);
}

static void raise_from_deep(int depth, kp_status_t st) {
  if (depth == 0) kp_raise_status(st);
  else raise_from_deep(depth - 1, st);
}

static void test_raise_from_nested_calls(void **state) {
  (void)state;
  volatile kp_status_t caught = 0;
  KP_TRY {
    raise_from_deep(10, KP_STATUS_INVALID_PARAMETER);
  } KP_EXCEPT(st) {
    caught = st;
  } KP_END_TRY;
  assert_int_equal(caught, KP_STATUS_INVALID_PARAMETER);
}

/* Inner frames live in their own functions: two KP_TRY in one function
 * would shadow each other's frame variable. */
static kp_status_t inner_catches(kp_status_t st) {
  volatile kp_status_t caught = 0;
  KP_TRY {
    kp_raise_status(st);
  } KP_EXCEPT(s) {
    caught = s;
  } KP_END_TRY;
  return caught;
}

static void inner_reraises(kp_status_t st) {
  KP_TRY {
    kp_raise_status(st);
  } KP_EXCEPT(s) {
    // A raise in KP_EXCEPT goes to the next outer frame.
    kp_raise_status((kp_status_t)(s + 1));
  } KP_END_TRY;
}

static void test_nested_frames(void **state) {
  (void)state;
  volatile kp_status_t inner = 0, outer = 0;
  volatile int after_inner = 0;
  KP_TRY {
    inner = inner_catches(KP_STATUS_NO_MEMORY);
    after_inner = 1;
    inner_reraises(KP_STATUS_UNSUCCESSFUL);
  } KP_EXCEPT(st) {
    outer = st;
  } KP_END_TRY;
  assert_int_equal(inner, KP_STATUS_NO_MEMORY);
  assert_int_equal(after_inner, 1);
  assert_int_equal(outer, (kp_status_t)(KP_STATUS_UNSUCCESSFUL + 1));
}

/* ---------------------------------------------------------------------------
 * IRQL at the handler: a raise keeps the IRQL it happened at.
 * ------------------------------------------------------------------------- */
static void test_raise_keeps_irql(void **state) {
  (void)state;
  volatile kp_irql_t in_handler = 0, at_try = 99;
  KP_TRY {
    kp_irql_raise(KP_DISPATCH_LEVEL);
    kp_raise_status(KP_STATUS_UNSUCCESSFUL);
  } KP_EXCEPT(st) {
    in_handler = kp_irql_get();
    at_try = (kp_irql_t)kp_try_frame_.irql;
  } KP_END_TRY;
  assert_int_equal(in_handler, KP_DISPATCH_LEVEL);
  assert_int_equal(at_try, KP_PASSIVE_LEVEL);
  kp_irql_lower(KP_PASSIVE_LEVEL);
}

static void test_handler_releases_lock_taken_in_body(void **state) {
  (void)state;
  static kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  volatile kp_irql_t old = 99;
  volatile bool handled = false;
  KP_TRY {
    old = kp_spin_lock_acquire(&lock);
    kp_raise_status(KP_STATUS_INSUFFICIENT_RESOURCES);
  } KP_EXCEPT(st) {
    // The usual driver pattern: release in the handler. IRQL is still
    // DISPATCH_LEVEL here, so this is no misuse.
    kp_spin_lock_release(&lock, old);
    handled = true;
  } KP_END_TRY;
  assert_true(handled);
  assert_int_equal(lock, 0);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  assert_int_equal(kp_spin_locks_held(), 0);
  assert_int_equal(kp_bugcheck_count(fx.sys), 0);
}

/* ---------------------------------------------------------------------------
 * Unhandled raises: bug check 0x1E.
 * ------------------------------------------------------------------------- */
static void test_unhandled_raise_bugchecks(void **state) {
  (void)state;
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(fx.sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  volatile int returned = 0;
  kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
  returned = 1; // the handler returned, so kp_raise_status returns
  kp_bugcheck_set_handler(fx.sys, NULL, NULL, NULL, NULL);
  assert_int_equal(returned, 1);
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0x1E);
  assert_string_equal(rec.name, "KMODE_EXCEPTION_NOT_HANDLED");
  assert_int_equal(rec.params[0], 0xFFFFFFFFC0000005ull);
  assert_true(rec.params[1] != 0); // the caller's address
  assert_int_equal(rec.params[2], 0);
  assert_int_equal(rec.params[3], 0);
  assert_ptr_equal(rec.system, fx.sys);
  assert_non_null(strstr(rec.explanation, "STATUS_ACCESS_VIOLATION"));
  assert_non_null(strstr(rec.explanation, "no KP_TRY frame"));
}

static void test_unhandled_raise_with_assert_helper(void **state) {
  (void)state;
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x1E, (uint64_t)(int64_t)KP_STATUS_NOT_FOUND, KP_ANY,
                            0, 0, kp_raise_status(KP_STATUS_NOT_FOUND));
}

static void test_failed_allocation_raise(void **state) {
  (void)state;
  const size_t huge = (size_t)1 << 40;
  const kp_pool_flags_t flags =
      KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_RAISE_ON_FAILURE;
  // Caught: STATUS_INSUFFICIENT_RESOURCES.
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   kp_alloc2(fx.sys, flags, huge, KP_TAG('R', 'a', 'i', 's'),
                             KP_HERE));
  // Unhandled: 0x1E on the allocating system, with no exception address,
  // and the allocation returns NULL when the handler returns.
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(fx.sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  void *p = kp_alloc2(fx.sys, flags, huge, KP_TAG('R', 'a', 'i', 's'), KP_HERE);
  kp_bugcheck_set_handler(fx.sys, NULL, NULL, NULL, NULL);
  assert_null(p);
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0x1E);
  assert_int_equal(rec.params[0], (uint64_t)(int64_t)KP_STATUS_INSUFFICIENT_RESOURCES);
  assert_int_equal(rec.params[1], 0);
  assert_int_equal(rec.params[2], 0);
  assert_int_equal(rec.params[3], 0);
  assert_ptr_equal(rec.system, fx.sys);
}

static void test_failed_allocation_raise_on_other_system(void **state) {
  (void)state;
  // kpi_raise takes the system it is given, not the current one.
  kp_system_t *other = kp_system_create(NULL);
  assert_non_null(other);
  const kp_pool_flags_t flags =
      KP_POOL_FLAG_PAGED | KP_POOL_FLAG_RAISE_ON_FAILURE;
  KP_ASSERT_BUGCHECK_PARAMS(other, 0x1E,
                            (uint64_t)(int64_t)KP_STATUS_INSUFFICIENT_RESOURCES, 0, 0, 0,
                            kp_alloc2(other, flags, (size_t)1 << 41,
                                      KP_TAG('R', 'a', 'i', 's'), KP_HERE));
  assert_int_equal(kp_bugcheck_count(fx.sys), 0);
  kp_system_destroy(other);
}

/* ---------------------------------------------------------------------------
 * Frames are per thread.
 * ------------------------------------------------------------------------- */
typedef struct thread_result {
  bool active_at_start;
  kp_bugcheck_record_t rec;
  kp_status_t caught;
} thread_result_t;

static void *raise_in_thread(void *arg) {
  thread_result_t *r = arg;
  r->active_at_start = kp_try_active();
  kp_raise_status(KP_STATUS_CANCELLED); // no frame on this thread
  volatile kp_status_t caught = 0;
  KP_TRY {
    kp_raise_status(KP_STATUS_TIMEOUT);
  } KP_EXCEPT(st) {
    caught = st;
  } KP_END_TRY;
  r->caught = caught;
  return NULL;
}

static void test_frames_are_per_thread(void **state) {
  (void)state;
  thread_result_t *r = calloc(1, sizeof *r);
  assert_non_null(r);
  kp_bugcheck_record_init(&r->rec);
  kp_bugcheck_set_handler(fx.sys, kp_bugcheck_record_handler, &r->rec, NULL,
                          NULL);
  volatile bool main_caught = false;
  volatile int thread_ok = -1;
  KP_TRY {
    // This thread has a frame; the other thread's raise must not land here.
    pthread_t th;
    thread_ok = pthread_create(&th, NULL, raise_in_thread, r);
    if (thread_ok == 0) thread_ok = pthread_join(th, NULL);
  } KP_EXCEPT(st) {
    main_caught = true;
  } KP_END_TRY;
  kp_bugcheck_set_handler(fx.sys, NULL, NULL, NULL, NULL);
  assert_int_equal(thread_ok, 0);
  assert_false(main_caught);
  assert_false(r->active_at_start);
  assert_int_equal(r->rec.count, 1);
  assert_int_equal(r->rec.code, 0x1E);
  assert_int_equal(r->rec.params[0], (uint64_t)(int64_t)KP_STATUS_CANCELLED);
  assert_int_equal(r->caught, KP_STATUS_TIMEOUT);
  free(r);
}

/* ---------------------------------------------------------------------------
 * Frame bookkeeping.
 * ------------------------------------------------------------------------- */
static void test_leave_drops_stale_inner_frames(void **state) {
  (void)state;
  kp_try_frame_t outer, inner;
  kp_try_enter(&outer);
  kp_try_enter(&inner);
  assert_int_equal(outer.irql, KP_PASSIVE_LEVEL);
  assert_int_equal(outer.status, KP_STATUS_SUCCESS);
  // As if the inner body had returned without leaving its frame.
  kp_try_leave(&outer);
  assert_false(kp_try_active());
}

static void test_leave_ignores_unknown_frame(void **state) {
  (void)state;
  kp_try_frame_t registered, stranger;
  kp_try_enter(&registered);
  kp_try_leave(&stranger);
  assert_true(kp_try_active());
  kp_try_leave(NULL);
  kp_try_enter(NULL);
  assert_true(kp_try_active());
  kp_try_leave(&registered);
  assert_false(kp_try_active());
  kp_try_leave(&registered); // twice: ignored
  assert_false(kp_try_active());
}

static void test_frame_records_irql_at_try(void **state) {
  (void)state;
  kp_try_frame_t f;
  kp_irql_set(KP_APC_LEVEL);
  kp_try_enter(&f);
  kp_try_leave(&f);
  assert_int_equal(f.irql, KP_APC_LEVEL);
}

static void test_assert_raises_helper(void **state) {
  (void)state;
  KP_ASSERT_RAISES(KP_STATUS_QUOTA_EXCEEDED,
                   kp_raise_status(KP_STATUS_QUOTA_EXCEEDED));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER_2,
                   raise_from_deep(3, KP_STATUS_INVALID_PARAMETER_2));
  assert_false(kp_try_active());
}

int main(void) {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_try_without_raise),
      T(test_raise_is_caught),
      T(test_raise_from_nested_calls),
      T(test_nested_frames),
      T(test_raise_keeps_irql),
      T(test_handler_releases_lock_taken_in_body),
      T(test_unhandled_raise_bugchecks),
      T(test_unhandled_raise_with_assert_helper),
      T(test_failed_allocation_raise),
      T(test_failed_allocation_raise_on_other_system),
      T(test_frames_are_per_thread),
      T(test_leave_drops_stale_inner_frames),
      T(test_leave_ignores_unknown_frame),
      T(test_frame_records_irql_at_try),
      T(test_assert_raises_helper),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
