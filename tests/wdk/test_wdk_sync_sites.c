/*
 * test_wdk_sync_sites.c — the opt-in KPOOL_LOCK_CALL_SITES macros: reports
 * of lock misuse through the WDK names give file:line of the acquire and
 * of the misuse (recursion, lock-order inversion between two threads).
 */
#define KPOOL_LOCK_CALL_SITES
#include <ntddk.h>

#include <kpool/cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static kp_system_t *sys;
static kp_system_t *prev;

static int setup(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  sys = kp_system_create(&cfg);
  prev = kp_system_set_current(sys);
  kp_sync_thread_reset();
  return sys == NULL;
}

static int teardown(void **state) {
  (void)state;
  kp_irql_set(PASSIVE_LEVEL);
  kp_sync_thread_reset();
  kp_system_set_current(prev);
  kp_system_destroy(sys);
  return 0;
}

static FAST_MUTEX fm;

static void test_recursion_names_both_lines(void **state) {
  (void)state;
  ExInitializeFastMutex(&fm);
  int acquire_line = __LINE__ + 1;
  ExAcquireFastMutex(&fm);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  int misuse_line = __LINE__ + 1;
  ExAcquireFastMutex(&fm);
  kp_bugcheck_set_handler(sys, NULL, NULL, NULL, NULL);
  assert_int_equal(rec.code, 0xC4);
  assert_int_equal(rec.params[0], 0x1000);
  char want[64];
  snprintf(want, sizeof want, "acquired at test_wdk_sync_sites.c:%d", acquire_line);
  assert_non_null(strstr(rec.explanation, want));
  snprintf(want, sizeof want, "this call:  at test_wdk_sync_sites.c:%d", misuse_line);
  assert_non_null(strstr(rec.explanation, want));
  ExReleaseFastMutex(&fm);
}

static KSPIN_LOCK la, lb;
static int other_b_line, other_a_line;

static void *b_then_a(void *arg) {
  (void)arg;
  KIRQL o1, o2;
  other_b_line = __LINE__ + 1;
  KeAcquireSpinLock(&lb, &o1);
  other_a_line = __LINE__ + 1;
  KeAcquireSpinLock(&la, &o2);
  KeReleaseSpinLock(&la, o2);
  KeReleaseSpinLock(&lb, o1);
  return NULL;
}

static void test_inversion_names_both_orders(void **state) {
  (void)state;
  KeInitializeSpinLock(&la);
  KeInitializeSpinLock(&lb);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, b_then_a, NULL), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  KIRQL o1, o2;
  int held_line = __LINE__ + 1;
  KeAcquireSpinLock(&la, &o1);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  int misuse_line = __LINE__ + 1;
  KeAcquireSpinLock(&lb, &o2);
  kp_bugcheck_set_handler(sys, NULL, NULL, NULL, NULL);
  assert_int_equal(rec.params[0], 0x1001);
  const int lines[] = {held_line, misuse_line, other_b_line, other_a_line};
  for (int i = 0; i < 4; i++) {
    char want[64];
    snprintf(want, sizeof want, "test_wdk_sync_sites.c:%d", lines[i]);
    assert_non_null(strstr(rec.explanation, want));
  }
  KeReleaseSpinLock(&la, o1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_recursion_names_both_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_inversion_names_both_orders, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
