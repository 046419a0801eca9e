/*
 * test_resource.c — ERESOURCE (kpool/resource.h): ownership and recursion,
 * real blocking between host threads (exclusive vs shared, writer
 * preference, starve-exclusive vs wait-for-exclusive), the public field
 * mirror, and every misuse with its exact bug check.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_resource_t res;

static void crit_enter(void) { kp_critical_region_enter(SITE); }
static void crit_leave(void) { kp_critical_region_leave(SITE); }

static void test_exclusive_and_shared_recursion(void **state) {
  (void)state;
  assert_int_equal(kp_resource_init(&res, SITE), KP_STATUS_SUCCESS);
  crit_enter();
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
    assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
    // An exclusive owner gets shared access recursively and stays exclusive.
    assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
    assert_true(kp_resource_is_exclusive(&res));
    assert_int_equal(kp_resource_shared_count(&res), 3);
    assert_int_equal(res.flag, 0x80);
    assert_int_equal(res.active_count, 1);
    assert_int_equal(res.owner_thread, kp_resource_current_thread());
    assert_int_equal(res.owner_count, 3u << 3);
    kp_resource_release(&res, 0, SITE);
    kp_resource_release(&res, 0, SITE);
    kp_resource_convert_to_shared(&res, SITE);
    assert_false(kp_resource_is_exclusive(&res));
    assert_int_equal(kp_resource_shared_count(&res), 1);
    assert_int_equal(res.flag, 0);
    kp_resource_release(&res, 0, SITE);
    assert_int_equal(kp_resource_shared_count(&res), 0);
    assert_int_equal(res.active_count, 0);
    assert_int_equal(kp_resource_delete(&res, SITE), KP_STATUS_SUCCESS);
  });
  crit_leave();
}

/* A second thread and what it observed. */
typedef struct rs_worker {
  kp_resource_mode_t mode;
  bool wait;
  atomic_int started;
  atomic_int acquired;
  atomic_int release_now;
  atomic_int done;
  bool result;
} rs_worker_t;

static void *rs_worker_main(void *arg) {
  rs_worker_t *w = arg;
  kp_critical_region_enter(SITE);
  atomic_store(&w->started, 1);
  w->result = kp_resource_acquire(&res, w->mode, w->wait, SITE);
  atomic_store(&w->acquired, 1);
  if (w->result) {
    while (!atomic_load(&w->release_now)) sleep_ms(1);
    kp_resource_release(&res, 0, SITE);
  }
  kp_critical_region_leave(SITE);
  atomic_store(&w->done, 1);
  return NULL;
}

static void test_exclusive_blocks_second_thread(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
  rs_worker_t w = {.mode = KP_RESOURCE_EXCLUSIVE, .wait = true};
  atomic_store(&w.release_now, 1);
  pthread_t th = start_thread(rs_worker_main, &w);
  assert_true(wait_flag(&w.started, 1));
  sleep_ms(50);
  // The worker is blocked: not acquired, counted as a waiter.
  assert_int_equal(atomic_load(&w.acquired), 0);
  assert_int_equal(kp_resource_waiters(&res, true), 1);
  assert_int_equal(res.number_of_exclusive_waiters, 1);
  kp_resource_release(&res, 0, SITE);
  join_thread(th);
  assert_true(w.result);
  assert_true(res.contention_count >= 1);
  assert_int_equal(kp_resource_waiters(&res, true), 0);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void test_no_wait_returns_false(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
  rs_worker_t w = {.mode = KP_RESOURCE_SHARED, .wait = false};
  pthread_t th = start_thread(rs_worker_main, &w);
  join_thread(th);
  assert_false(w.result);
  kp_resource_release(&res, 0, SITE);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void test_shared_owners_proceed_together(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  rs_worker_t w = {.mode = KP_RESOURCE_SHARED, .wait = true};
  pthread_t th = start_thread(rs_worker_main, &w);
  // The worker gets it while this thread still holds it shared.
  assert_true(wait_flag(&w.acquired, 1));
  assert_true(w.result);
  assert_int_equal(res.active_count, 2);
  atomic_store(&w.release_now, 1);
  join_thread(th);
  kp_resource_release(&res, 0, SITE);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

/* Shared holder (main), exclusive waiter (w1), then a third thread asking
 * in @mode: SharedLite waits behind the exclusive waiter, StarveExclusive
 * does not. */
static void writer_preference_case(kp_resource_mode_t mode, bool third_waits) {
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  rs_worker_t writer = {.mode = KP_RESOURCE_EXCLUSIVE, .wait = true};
  atomic_store(&writer.release_now, 1);
  pthread_t tw = start_thread(rs_worker_main, &writer);
  for (int i = 0; i < 5000 && kp_resource_waiters(&res, true) == 0; i++) sleep_ms(1);
  assert_int_equal(kp_resource_waiters(&res, true), 1);
  rs_worker_t reader = {.mode = mode, .wait = true};
  atomic_store(&reader.release_now, 1);
  pthread_t tr = start_thread(rs_worker_main, &reader);
  if (third_waits) {
    assert_true(wait_flag(&reader.started, 1));
    sleep_ms(50);
    assert_int_equal(atomic_load(&reader.acquired), 0);
    assert_int_equal(kp_resource_waiters(&res, false), 1);
  } else {
    assert_true(wait_flag(&reader.acquired, 1));
    assert_true(reader.result);
    assert_int_equal(atomic_load(&writer.acquired), 0);
  }
  kp_resource_release(&res, 0, SITE);
  join_thread(tw);
  join_thread(tr);
  assert_true(writer.result);
  assert_true(reader.result);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void test_shared_waits_behind_exclusive_waiter(void **state) {
  (void)state;
  writer_preference_case(KP_RESOURCE_SHARED, true);
}

static void test_starve_exclusive_ignores_waiter(void **state) {
  (void)state;
  writer_preference_case(KP_RESOURCE_STARVE_EXCLUSIVE, false);
}

static void test_wait_for_exclusive_waits_even_for_shared_owner(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  rs_worker_t writer = {.mode = KP_RESOURCE_EXCLUSIVE, .wait = true};
  atomic_store(&writer.release_now, 1);
  pthread_t tw = start_thread(rs_worker_main, &writer);
  for (int i = 0; i < 5000 && kp_resource_waiters(&res, true) == 0; i++) sleep_ms(1);
  // SharedLite by the shared owner nests; WaitForExclusive would wait for
  // the writer, which waits for us: without Wait it fails, with Wait it is
  // the self-deadlock Windows hangs on.
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  kp_resource_release(&res, 0, SITE);
  assert_false(kp_resource_acquire(&res, KP_RESOURCE_WAIT_FOR_EXCLUSIVE, false, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&res), 0, 0,
      kp_resource_acquire(&res, KP_RESOURCE_WAIT_FOR_EXCLUSIVE, true, SITE));
  kp_resource_release(&res, 0, SITE);
  join_thread(tw);
  assert_true(writer.result);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void test_exclusive_by_shared_owner_is_self_deadlock(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  assert_false(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, false, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&res), 0, 0,
      kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
  kp_resource_release(&res, 0, SITE);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void test_acquire_and_release_with_apcs_enabled(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x37, KP_PASSIVE_LEVEL, 0, PTR(&res),
      kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_SHARED, true, SITE));
  crit_leave();
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x38, KP_PASSIVE_LEVEL, 0, PTR(&res),
      kp_resource_release(&res, 0, SITE));
  // At APC_LEVEL normal kernel APCs are off: no check.
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_resource_release(&res, 0, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_resource_delete(&res, SITE);
}

static void test_release_not_owned_retail_code(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xE3, PTR(&res),
                            kp_resource_current_thread(), 0, 0,
                            kp_resource_release(&res, 0, SITE));
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void *hold_exclusive_main(void *arg) {
  rs_worker_t *w = arg;
  kp_critical_region_enter(SITE);
  w->result = kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE);
  atomic_store(&w->acquired, (int)kp_thread_id());
  while (!atomic_load(&w->release_now)) sleep_ms(1);
  kp_resource_release(&res, 0, SITE);
  kp_critical_region_leave(SITE);
  return NULL;
}

static void test_release_not_owned_deadlock_codes(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&res), 0, 0,
                            kp_resource_release(&res, 0, SITE));
  rs_worker_t w = {0};
  pthread_t th = start_thread(hold_exclusive_main, &w);
  assert_true(wait_flag(&w.acquired, 1));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1004, PTR(&res),
                            (uint64_t)atomic_load(&w.acquired), kp_thread_id(),
                            kp_resource_release(&res, 0, SITE));
  atomic_store(&w.release_now, 1);
  join_thread(th);
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void *release_for_main(void *arg) {
  uintptr_t owner = *(uintptr_t *)arg;
  kp_resource_release(&res, owner, SITE);
  return NULL;
}

static void test_release_for_thread(void **state) {
  (void)state;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
  uintptr_t me = kp_resource_current_thread();
  KP_ASSERT_NO_BUGCHECK(fx.sys, join_thread(start_thread(release_for_main, &me)));
  assert_false(kp_resource_is_exclusive(&res));
  assert_int_equal(res.active_count, 0);
  crit_leave();
  kp_sync_thread_reset(); // this thread's held list still names it
  kp_resource_delete(&res, SITE);
}

static void test_set_owner_pointer(void **state) {
  (void)state;
  static uintptr_t owner_storage;
  uintptr_t owner = (uintptr_t)&owner_storage | 3u;
  kp_resource_init(&res, SITE);
  crit_enter();
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
  assert_true(kp_resource_acquire(&res, KP_RESOURCE_EXCLUSIVE, true, SITE));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER_2,
                   kp_resource_set_owner(&res, (uintptr_t)&owner_storage, SITE));
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_resource_set_owner(&res, owner, SITE));
  assert_false(kp_resource_is_exclusive(&res)); // no longer this thread's
  assert_int_equal(res.owner_thread, owner);
  assert_int_equal(res.owner_count, 2u << 3);
  // Another thread (the "resource user") releases both for the owner.
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    join_thread(start_thread(release_for_main, &owner));
    join_thread(start_thread(release_for_main, &owner));
  });
  assert_int_equal(res.active_count, 0);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&res), 0, 0,
                            kp_resource_set_owner(&res, owner, SITE));
  crit_leave();
  kp_resource_delete(&res, SITE);
}

static void test_lifecycle_misuse(void **state) {
  (void)state;
  static kp_resource_t other;
  crit_enter();
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&other), 0, 0,
      kp_resource_acquire(&other, KP_RESOURCE_SHARED, true, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xD1, PTR(&other), 0, 0,
                            kp_resource_delete(&other, SITE));
  kp_resource_init(&other, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xD0, PTR(&other), 0, 0,
                            kp_resource_init(&other, SITE));
  assert_true(kp_resource_acquire(&other, KP_RESOURCE_SHARED, true, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x100B, PTR(&other), 0, 0,
                            kp_resource_delete(&other, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x100B, PTR(&other), 0, 0,
                            kp_resource_reinit(&other, SITE));
  kp_resource_release(&other, 0, SITE);
  assert_int_equal(kp_resource_reinit(&other, SITE), KP_STATUS_SUCCESS);
  assert_int_equal(kp_resource_delete(&other, SITE), KP_STATUS_SUCCESS);
  kp_resource_t *odd = (kp_resource_t *)(void *)((char *)&other + 4);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x3D, 0, 0, PTR(odd),
                            kp_resource_init(odd, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  kp_resource_init(&other, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xA, PTR(&other), KP_DISPATCH_LEVEL, 0, 0,
      kp_resource_acquire(&other, KP_RESOURCE_SHARED, true, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_resource_delete(&other, SITE);
  crit_leave();
}

static void test_free_pool_with_active_resource(void **state) {
  (void)state;
  kp_resource_t *r = kp_alloc2(fx.sys, KP_POOL_FLAG_NON_PAGED, sizeof *r,
                               KP_TAG('R', 'e', 's', '1'), SITE);
  assert_non_null(r);
  kp_resource_init(r, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x17, PTR(r), KP_ANY, PTR(r),
                            kp_free(fx.sys, r, KP_TAG('R', 'e', 's', '1'), SITE));
  kp_resource_delete(r, SITE);
  KP_ASSERT_NO_BUGCHECK(fx.sys,
                        kp_free(fx.sys, r, KP_TAG('R', 'e', 's', '1'), SITE));
}

static void test_unload_lists_undeleted_resources(void **state) {
  (void)state;
  static kp_resource_t a, b;
  kp_resource_init(&a, SITE);
  kp_resource_init(&b, SITE);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(fx.sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  assert_int_not_equal(kp_driver_unload(fx.sys), KP_STATUS_SUCCESS);
  kp_bugcheck_set_handler(fx.sys, NULL, NULL, NULL, NULL);
  assert_int_equal(rec.code, 0xC4);
  assert_int_equal(rec.params[0], 0xD2);
  assert_true(rec.params[1] == PTR(&a) || rec.params[1] == PTR(&b));
  kp_resource_delete(&a, SITE);
  kp_resource_delete(&b, SITE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_exclusive_and_shared_recursion, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_exclusive_blocks_second_thread, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_no_wait_returns_false, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_shared_owners_proceed_together, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_shared_waits_behind_exclusive_waiter, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_starve_exclusive_ignores_waiter, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_wait_for_exclusive_waits_even_for_shared_owner, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_exclusive_by_shared_owner_is_self_deadlock, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_acquire_and_release_with_apcs_enabled, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_release_not_owned_retail_code, setup_no_deadlock, teardown),
      cmocka_unit_test_setup_teardown(test_release_not_owned_deadlock_codes, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_release_for_thread, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_set_owner_pointer, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_lifecycle_misuse, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_free_pool_with_active_resource, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_unload_lists_undeleted_resources, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
