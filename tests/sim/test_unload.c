/*
 * test_unload.c — pool tracking at driver unload and at system destroy:
 * the leak report, bug check 0xC4/0x62 and its parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kp_test_util.h"

static void test_clean_unload(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_NP, 10, KPT_TAG1, KP_HERE);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  assert_int_equal(kp_driver_unload(NULL), KP_STATUS_INVALID_PARAMETER_1);
}

static void test_leaks_at_unload_bugcheck_0x62(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 10, KPT_TAG1, KP_HERE);
  void *b = kp_alloc2(sys, KPT_PG, 20, KPT_TAG2, KP_HERE);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[1], (uintptr_t)kp_system_config(sys)->driver_name);
  assert_int_equal(kpt_last.p[2], 0);
  assert_int_equal(kpt_last.p[3], 2);
  // The report came first, grouped by tag and site.
  assert_non_null(strstr(kpt_output, "still holds 2 allocations"));
  assert_non_null(strstr(kpt_output, "Tag 'Tag1'"));
  assert_non_null(strstr(kpt_output, "Tag 'Tag2'"));
  assert_non_null(strstr(kpt_output, "test_unload.c:"));
  kp_free(sys, a, 0, KP_HERE);
  kp_free(sys, b, 0, KP_HERE);
}

static void test_destroy_reports_leaks_once(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *sys = kpt_system(&cfg);
  (void)kp_alloc2(sys, KPT_NP, 10, KPT_TAG1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, kp_system_destroy(sys));
  assert_int_equal(kpt_last.p[3], 1);
  // The second call releases everything without checking again.
  kpt_reset_caught();
  kp_system_destroy(sys);
  assert_int_equal(kpt_last.count, 0);
}

static void test_handler_returning_still_destroys(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *sys = kpt_system(&cfg);
  (void)kp_alloc2(sys, KPT_PG, 10, KPT_TAG1, KP_HERE);
  kpt_reset_caught();
  kp_system_destroy(sys); // handler returns: destroy goes on and frees all
  assert_int_equal(kpt_last.count, 1);
  assert_int_equal(kpt_last.code, 0xC4);
}

static void test_no_pool_tracking_no_check(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags &= ~KP_VERIFY_POOL_TRACKING;
  kp_system_t *sys = kpt_system(&cfg);
  (void)kp_alloc2(sys, KPT_PG, 10, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
  kpt_reset_caught();
  kp_system_destroy(sys);
  assert_int_equal(kpt_last.count, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_clean_unload, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_leaks_at_unload_bugcheck_0x62, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_destroy_reports_leaks_once),
      cmocka_unit_test(test_handler_returning_still_destroys),
      cmocka_unit_test(test_no_pool_tracking_no_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
