/*
 * test_deadlock.c — Driver Verifier's deadlock detection
 * (KP_VERIFY_DEADLOCK_DETECTION): lock-order inversion between two threads
 * over spin locks, fast mutexes, guarded mutexes, resources and push locks
 * is bug check 0xC4/0x1001 before any real deadlock, with both orders'
 * sites in the report; the switch turns it off; API mixing 0x1008/0x1009;
 * a lock freed while held 0x100B.
 */
#include <kpool/cmocka.h>

#include <stdio.h>

#include "kp_sync_fixture.h"

static kp_spin_lock_t spin_a, spin_b, spin_c;
static kp_fast_mutex_t fm_a, fm_b;
static kp_resource_t res_a;
static kp_push_lock_t push_a;

/* Thread 2: takes B then A (both released again), with the sites lines. */
static void *spin_b_then_a(void *arg) {
  (void)arg;
  kp_irql_t o1 = kp_spin_lock_acquire(&spin_b);
  kp_irql_t o2 = kp_spin_lock_acquire(&spin_a);
  kp_spin_lock_release(&spin_a, o2);
  kp_spin_lock_release(&spin_b, o1);
  return NULL;
}

static void test_spin_lock_inversion(void **state) {
  (void)state;
  kp_spin_lock_init(&spin_a);
  kp_spin_lock_init(&spin_b);
  join_thread(start_thread(spin_b_then_a, NULL));
  kp_irql_t o1 = kp_spin_lock_acquire(&spin_a);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(fx.sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  // Thread 2 took B then A; this thread holds A and asks for B: a cycle.
  (void)kp_spin_lock_acquire(&spin_b);
  kp_bugcheck_set_handler(fx.sys, NULL, NULL, NULL, NULL);
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0xC4);
  assert_int_equal(rec.params[0], 0x1001);
  assert_int_equal(rec.params[1], PTR(&spin_b));
  assert_int_equal(rec.params[2], PTR(&spin_a));
  assert_non_null(strstr(rec.explanation, "Lock hierarchy violation"));
  // The lock was not taken (the handler returned): A is still ours.
  assert_true(kp_spin_lock_test(&spin_b));
  kp_spin_lock_release(&spin_a, o1);
}

static void *spin_a_b_c(void *arg) {
  (void)arg;
  kp_irql_t o1 = kp_spin_lock_acquire(&spin_a);
  kp_irql_t o2 = kp_spin_lock_acquire(&spin_b);
  kp_spin_lock_release(&spin_b, o2);
  kp_irql_t o3 = kp_spin_lock_acquire(&spin_c);
  kp_spin_lock_release(&spin_c, o3);
  kp_spin_lock_release(&spin_a, o1);
  kp_irql_t o4 = kp_spin_lock_acquire(&spin_b);
  kp_irql_t o5 = kp_spin_lock_acquire(&spin_c);
  kp_spin_lock_release(&spin_c, o5);
  kp_spin_lock_release(&spin_b, o4);
  return NULL;
}

static void test_three_lock_cycle(void **state) {
  (void)state;
  kp_spin_lock_init(&spin_a);
  kp_spin_lock_init(&spin_b);
  kp_spin_lock_init(&spin_c);
  join_thread(start_thread(spin_a_b_c, NULL));
  kp_irql_t o1 = kp_spin_lock_acquire(&spin_c);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1001, PTR(&spin_a), PTR(&spin_c), 0,
                            (void)kp_spin_lock_acquire(&spin_a));
  kp_irql_set(KP_DISPATCH_LEVEL);
  kp_spin_lock_release(&spin_c, o1);
}

static void test_same_order_is_fine(void **state) {
  (void)state;
  kp_spin_lock_init(&spin_a);
  kp_spin_lock_init(&spin_b);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    for (int i = 0; i < 3; i++) {
      kp_irql_t o1 = kp_spin_lock_acquire(&spin_a);
      kp_irql_t o2 = kp_spin_lock_acquire(&spin_b);
      kp_spin_lock_release(&spin_b, o2);
      kp_spin_lock_release(&spin_a, o1);
    }
  });
}

static void test_switch_off(void **state) {
  (void)state;
  kp_spin_lock_init(&spin_a);
  kp_spin_lock_init(&spin_b);
  join_thread(start_thread(spin_b_then_a, NULL));
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_irql_t o1 = kp_spin_lock_acquire(&spin_a);
    kp_irql_t o2 = kp_spin_lock_acquire(&spin_b);
    kp_spin_lock_release(&spin_b, o2);
    kp_spin_lock_release(&spin_a, o1);
  });
}

/* Thread 2: resource (exclusive) then fast mutex. */
static void *res_then_fm(void *arg) {
  (void)arg;
  kp_critical_region_enter(SITE);
  kp_resource_acquire(&res_a, KP_RESOURCE_EXCLUSIVE, true, SITE);
  kp_fast_mutex_acquire(&fm_a);
  kp_fast_mutex_release(&fm_a);
  kp_resource_release(&res_a, 0, SITE);
  kp_critical_region_leave(SITE);
  return NULL;
}

static void test_mutex_and_resource_inversion(void **state) {
  (void)state;
  kp_fast_mutex_init(&fm_a);
  kp_resource_init(&res_a, SITE);
  join_thread(start_thread(res_then_fm, NULL));
  kp_fast_mutex_acquire(&fm_a); // APC_LEVEL: APCs are off for the resource
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1001, PTR(&res_a), PTR(&fm_a), 0,
      kp_resource_acquire(&res_a, KP_RESOURCE_SHARED, true, SITE));
  kp_fast_mutex_release(&fm_a);
  kp_resource_delete(&res_a, SITE);
}

static void *guarded_b_then_push(void *arg) {
  (void)arg;
  kp_guarded_mutex_acquire(&fm_b, SITE);
  kp_push_lock_acquire(&push_a, true, SITE);
  kp_push_lock_release(&push_a, true, SITE);
  kp_guarded_mutex_release(&fm_b, SITE);
  return NULL;
}

static void test_guarded_mutex_and_push_lock_inversion(void **state) {
  (void)state;
  kp_guarded_mutex_init(&fm_b, SITE);
  kp_push_lock_init(&push_a, SITE);
  join_thread(start_thread(guarded_b_then_push, NULL));
  kp_critical_region_enter(SITE);
  kp_push_lock_acquire(&push_a, false, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1001, PTR(&fm_b), PTR(&push_a), 0,
                            kp_guarded_mutex_acquire(&fm_b, SITE));
  kp_push_lock_release(&push_a, false, SITE);
  kp_critical_region_leave(SITE);
}

static void test_try_acquire_adds_no_cycle_check(void **state) {
  (void)state;
  kp_fast_mutex_init(&fm_a);
  kp_fast_mutex_init(&fm_b);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_fast_mutex_acquire(&fm_a);
    kp_guarded_mutex_acquire_unsafe(&fm_b, SITE);
    kp_guarded_mutex_release_unsafe(&fm_b, SITE);
    kp_fast_mutex_release(&fm_a);
  });
  kp_guarded_region_enter(SITE);
  kp_guarded_mutex_acquire_unsafe(&fm_b, SITE);
  // The opposite order through a try cannot deadlock: no check.
  kp_irql_set(KP_PASSIVE_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    if (kp_fast_mutex_try_acquire(&fm_a)) kp_fast_mutex_release(&fm_a);
  });
  kp_guarded_mutex_release_unsafe(&fm_b, SITE);
  kp_guarded_region_leave(SITE);
}

static void test_api_mixing(void **state) {
  (void)state;
  kp_spin_lock_init(&spin_a);
  kp_irql_t o = kp_spin_lock_acquire(&spin_a);
  kp_spin_lock_release(&spin_a, o);
  kp_queued_lock_handle_t h;
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1008,
                     kp_queued_spin_lock_acquire(&spin_a, &h, KP_QUEUED_RAISE, SITE));
  // A guarded mutex acquired and released through the fast mutex routine.
  kp_guarded_mutex_init(&fm_b, SITE);
  kp_irql_set(KP_APC_LEVEL);
  kp_guarded_mutex_acquire_unsafe(&fm_b, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1009, PTR(&fm_b), KP_ANY, KP_ANY,
                            kp_fast_mutex_release_unsafe(&fm_b, SITE));
  kp_guarded_mutex_release_unsafe(&fm_b, SITE);
  kp_irql_set(KP_PASSIVE_LEVEL);
}

static void test_lock_freed_while_held(void **state) {
  (void)state;
  kp_fast_mutex_t *m = kp_alloc2(fx.sys, KP_POOL_FLAG_NON_PAGED, sizeof *m,
                                 KP_TAG('M', 't', 'x', '1'), SITE);
  assert_non_null(m);
  kp_fast_mutex_init(m);
  kp_fast_mutex_acquire(m);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x100B, PTR(m), 0, 0,
                            kp_free(fx.sys, m, KP_TAG('M', 't', 'x', '1'), SITE));
  kp_fast_mutex_release(m);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_free(fx.sys, m, KP_TAG('M', 't', 'x', '1'), SITE));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_spin_lock_inversion, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_three_lock_cycle, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_same_order_is_fine, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_switch_off, setup_no_deadlock, teardown),
      cmocka_unit_test_setup_teardown(test_mutex_and_resource_inversion, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_guarded_mutex_and_push_lock_inversion, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_try_acquire_adds_no_cycle_check, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_api_mixing, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_lock_freed_while_held, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
