/*
 * test_exspinlock.c — EX_SPIN_LOCK (kpool/exspinlock.h): shared and exclusive
 * holds, conversion, try forms, readers sharing and a writer excluding
 * them between host threads, and every misuse.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_ex_spin_lock_t xl;
/* --- EX_SPIN_LOCK ----------------------------------------------------------- */
static void test_ex_spin_lock_basics(void **state) {
  (void)state;
  xl = 0;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
    assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
    assert_int_equal(xl, 1);
    assert_true(kp_ex_spin_lock_try_convert(&xl, SITE));
    assert_int_equal((uint32_t)xl, 0x80000000u);
    kp_ex_spin_lock_release(&xl, true, false, old, SITE);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
    assert_int_equal(xl, 0);
    old = kp_ex_spin_lock_acquire(&xl, true, false, SITE);
    kp_ex_spin_lock_release(&xl, true, false, old, SITE);
    kp_irql_set(KP_DISPATCH_LEVEL);
    assert_true(kp_ex_spin_lock_try_at_dpc(&xl, false, SITE));
    assert_false(kp_ex_spin_lock_try_at_dpc(&xl, true, SITE)); // own: busy
    kp_ex_spin_lock_release(&xl, false, true, 0, SITE);
    assert_true(kp_ex_spin_lock_try_at_dpc(&xl, true, SITE));
    kp_ex_spin_lock_release(&xl, true, true, 0, SITE);
    kp_irql_set(KP_PASSIVE_LEVEL);
  });
}

static atomic_int xs_in;
static void *xs_reader(void *arg) {
  (void)arg;
  kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
  atomic_fetch_add(&xs_in, 1);
  kp_ex_spin_lock_release(&xl, false, false, old, SITE);
  return NULL;
}

static void test_ex_spin_lock_threads(void **state) {
  (void)state;
  xl = 0;
  atomic_store(&xs_in, 0);
  // Readers share: two enter while this thread holds it shared.
  kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
  pthread_t a = start_thread(xs_reader, NULL), b = start_thread(xs_reader, NULL);
  join_thread(a);
  join_thread(b);
  assert_int_equal(atomic_load(&xs_in), 2);
  kp_ex_spin_lock_release(&xl, false, false, old, SITE);
  // A writer excludes readers until it leaves.
  old = kp_ex_spin_lock_acquire(&xl, true, false, SITE);
  a = start_thread(xs_reader, NULL);
  sleep_ms(30);
  assert_int_equal(atomic_load(&xs_in), 2);
  kp_ex_spin_lock_release(&xl, true, false, old, SITE);
  join_thread(a);
  assert_int_equal(atomic_load(&xs_in), 3);
}

static void test_ex_spin_lock_misuse(void **state) {
  (void)state;
  xl = 0;
  kp_irql_set(KP_CLOCK_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x42, KP_CLOCK_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_acquire(&xl, true, false, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x40, KP_PASSIVE_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_acquire(&xl, false, true, SITE));
  kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&xl), 0, 0,
                            kp_ex_spin_lock_acquire(&xl, false, true, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1009, PTR(&xl), 0, 0,
                            kp_ex_spin_lock_release(&xl, true, false, old, SITE));
  kp_ex_spin_lock_release(&xl, false, false, old, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x32, KP_PASSIVE_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_release(&xl, false, false, old, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&xl), 0, 0,
                            kp_ex_spin_lock_release(&xl, false, true, 0, SITE));
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1007, kp_ex_spin_lock_try_convert(&xl, SITE));
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x41, KP_APC_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_release(&xl, false, true, 0, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_ex_spin_lock_basics, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_ex_spin_lock_threads, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_ex_spin_lock_misuse, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
