/*
 * test_guarded.c — critical and guarded regions (counters, queries, every
 * imbalance), the Unsafe fast mutex forms and guarded mutexes (region
 * effect, real exclusion, misuse codes).
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_fast_mutex_t m;

static void test_region_counters(void **state) {
  (void)state;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    assert_false(kp_apcs_disabled());
    assert_false(kp_all_apcs_disabled());
    kp_critical_region_enter(SITE);
    kp_critical_region_enter(SITE);
    assert_true(kp_apcs_disabled());
    assert_false(kp_all_apcs_disabled());
    assert_int_equal(kp_apc_disable_count(), 0x0000FFFEu); // KernelApcDisable -2
    kp_guarded_region_enter(SITE);
    assert_true(kp_all_apcs_disabled());
    assert_int_equal(kp_apc_disable_count(), 0xFFFFFFFEu);
    kp_guarded_region_leave(SITE);
    kp_critical_region_leave(SITE);
    kp_critical_region_leave(SITE);
    assert_false(kp_apcs_disabled());
    assert_int_equal(kp_apc_disable_count(), 0);
    // IRQL >= APC_LEVEL: all APCs off, but KeAreApcsDisabled reads the
    // counters only (facts §3.3).
    kp_irql_set(KP_APC_LEVEL);
    assert_true(kp_all_apcs_disabled());
    assert_false(kp_apcs_disabled());
    kp_irql_set(KP_PASSIVE_LEVEL);
  });
}

static void test_region_imbalance_verifier(void **state) {
  (void)state;
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x3E, 0, 0, 0,
                            kp_critical_region_leave(SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x0004000E, KP_ANY, 0, 0,
                            kp_guarded_region_leave(SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x11A, KP_DISPATCH_LEVEL, 0, 0,
                            kp_critical_region_enter(SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x11B, KP_DISPATCH_LEVEL, 0, 0,
                            kp_critical_region_leave(SITE));
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x0004000E, kp_guarded_region_enter(SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
}

static void test_region_imbalance_retail(void **state) {
  (void)state;
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x1, 0, 0, 0, 0,
                            kp_critical_region_leave(SITE));
  // The worker-routine check: entered and never left.
  uint32_t before = kp_apc_disable_count();
  kp_critical_region_enter(SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x1, PTR(&m), 0, 0x0000FFFFu, 1,
                            kp_apc_check_balanced(before, &m, 1, SITE));
  kp_critical_region_leave(SITE);
  KP_ASSERT_NO_BUGCHECK(fx.sys,
                        assert_true(kp_apc_check_balanced(before, &m, 1, SITE)));
}

static void test_unsafe_fast_mutex(void **state) {
  (void)state;
  kp_fast_mutex_init(&m);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x39, KP_PASSIVE_LEVEL, 0, PTR(&m),
                            kp_fast_mutex_acquire_unsafe(&m, SITE));
  kp_critical_region_enter(SITE);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_fast_mutex_acquire_unsafe(&m, SITE);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL); // no IRQL change
    assert_int_equal(m.count, 0);
    assert_non_null(m.owner);
  });
  kp_critical_region_leave(SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x3A, KP_PASSIVE_LEVEL, 0, PTR(&m),
                            kp_fast_mutex_release_unsafe(&m, SITE));
  kp_irql_set(KP_APC_LEVEL);
  // Taken Unsafe, released through ExReleaseFastMutex: wrong routine.
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1009, PTR(&m), 0, 0,
                            kp_fast_mutex_release(&m));
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_fast_mutex_release_unsafe(&m, SITE));
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1007, kp_fast_mutex_release_unsafe(&m, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  // Taken safely, released Unsafe.
  kp_fast_mutex_acquire(&m);
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1009, kp_fast_mutex_release_unsafe(&m, SITE));
  kp_fast_mutex_release(&m);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_guarded_mutex(void **state) {
  (void)state;
  kp_guarded_mutex_init(&m, SITE);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_guarded_mutex_acquire(&m, SITE);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
    assert_true(kp_all_apcs_disabled()); // a guarded region
    assert_true(kp_apcs_disabled());
    kp_guarded_mutex_release(&m, SITE);
    assert_false(kp_all_apcs_disabled());
    assert_true(kp_guarded_mutex_try_acquire(&m, SITE));
    assert_true(kp_all_apcs_disabled());
    kp_guarded_mutex_release(&m, SITE);
    kp_guarded_region_enter(SITE);
    kp_guarded_mutex_acquire_unsafe(&m, SITE);
    kp_guarded_mutex_release_unsafe(&m, SITE);
    kp_guarded_region_leave(SITE);
    assert_int_equal(kp_apc_disable_count(), 0);
  });
  kp_guarded_mutex_acquire(&m, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&m), 0, 0,
                            kp_guarded_mutex_acquire(&m, SITE));
  kp_guarded_mutex_release(&m, SITE);
  // Unsafe form outside a guarded region (a critical region is not enough).
  kp_critical_region_enter(SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x39, KP_PASSIVE_LEVEL, 0x0000FFFFu,
                            PTR(&m), kp_guarded_mutex_acquire_unsafe(&m, SITE));
  kp_critical_region_leave(SITE);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x33, KP_DISPATCH_LEVEL, PTR(&m), 0,
                            kp_guarded_mutex_acquire(&m, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_fast_mutex_t raw;
  memset(&raw, 0, sizeof raw);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&raw), 0, 0,
                            kp_guarded_mutex_acquire(&raw, SITE));
}

#define G_THREADS 4
#define G_ROUNDS 2000
static uint64_t g_counter;
static atomic_int g_bad;

static void *g_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < G_ROUNDS; i++) {
    if (!kp_guarded_mutex_try_acquire(&m, SITE)) kp_guarded_mutex_acquire(&m, SITE);
    if (!kp_all_apcs_disabled()) atomic_fetch_add(&g_bad, 1);
    uint64_t v = g_counter;
    if ((i & 63) == 0) sched_yield();
    g_counter = v + 1;
    kp_guarded_mutex_release(&m, SITE);
  }
  if (kp_apc_disable_count() != 0) atomic_fetch_add(&g_bad, 1);
  return NULL;
}

static void test_guarded_mutex_threads(void **state) {
  (void)state;
  kp_guarded_mutex_init(&m, SITE);
  g_counter = 0;
  pthread_t th[G_THREADS];
  for (int i = 0; i < G_THREADS; i++) th[i] = start_thread(g_worker, NULL);
  for (int i = 0; i < G_THREADS; i++) join_thread(th[i]);
  assert_int_equal(g_counter, (uint64_t)G_THREADS * G_ROUNDS);
  assert_int_equal(atomic_load(&g_bad), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_region_counters, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_region_imbalance_verifier, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_region_imbalance_retail, setup_retail, teardown),
      cmocka_unit_test_setup_teardown(test_unsafe_fast_mutex, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_guarded_mutex, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_guarded_mutex_threads, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
