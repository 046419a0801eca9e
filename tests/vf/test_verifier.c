/*
 * test_verifier.c — the verifier glue: kp_driver_unload reports every
 * finding (leaks 0xC4/0x62, secure pools not destroyed, ...) in one pass
 * before the first bug check stops the machine; the verifier counters and
 * report on any system; the limit on systems with special pool or force
 * IRQL checking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kp_test_util.h"
#include "kpool/secure.h"

#define VF_TAG KP_TAG('V', 'r', 'f', '1')

static kp_secure_pool_t make_secure_pool(kp_system_t *sys) {
  kp_secure_pool_t h = NULL;
  assert_int_equal(kp_secure_pool_create(sys, KP_POOL_CREATE_SECURE_POOL,
                                         KP_TAG('S', 'e', 'c', 'P'), NULL, &h, KP_HERE),
                   KP_STATUS_SUCCESS);
  return h;
}

static void test_unload_reports_all_findings_before_stopping(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  void *b = kp_alloc2(sys, KPT_PG, 20, VF_TAG, KP_HERE);
  kp_secure_pool_t h = make_secure_pool(sys);
  kpt_output_reset();
  // The handler jumps away at the first bug check, as a real stop would;
  // by then every finding has been printed. Root causes first: the object
  // the driver never destroyed, then the leaks.
  KPT_EXPECT_BUGCHECK(0xC4, KP_C4_SECURE_POOL_NOT_DESTROYED,
                      (void)kp_driver_unload(sys));
  assert_non_null(strstr(kpt_output, "still holds 2 allocations"));
  assert_non_null(strstr(kpt_output, "Tag 'Vrf1'"));
  assert_non_null(strstr(kpt_output, "never destroyed"));
  assert_non_null(strstr(kpt_output, "finding 1: *** STOP: 0x000000C4 (0x0000000000005C10"));
  assert_non_null(strstr(kpt_output, "finding 2: *** STOP: 0x000000C4 (0x0000000000000062"));
  assert_non_null(strstr(kpt_output, "2 findings, the first stops the machine"));
  assert_non_null(strstr(kpt_last.explanation, "finding 1 of 2"));
  // The secure pool's report comes before the leak report.
  assert_true(strstr(kpt_output, "never destroyed") < strstr(kpt_output, "still holds"));
  assert_int_equal(kp_bugcheck_count(sys), 1);
  kp_free(sys, a, VF_TAG, KP_HERE);
  kp_free(sys, b, VF_TAG, KP_HERE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_unload_one_pass_with_a_lookaside_list_too(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  kp_secure_pool_t h = make_secure_pool(sys);
  _Alignas(16) kp_lookaside_t list;
  // Zeroed: kp_lookaside_initialize reads the storage before it sets it,
  // which Memcheck reports for an uninitialised local.
  memset(&list, 0, sizeof list);
  kp_lookaside_init(sys, &list, KP_LOOKASIDE_NPAGED, NULL, NULL, 0, 32, VF_TAG, 0, KP_HERE);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, KP_C4_SECURE_POOL_NOT_DESTROYED,
                      (void)kp_driver_unload(sys));
  assert_non_null(strstr(kpt_last.explanation, "finding 1 of 3"));
  assert_non_null(strstr(kpt_output, "lookaside list is still active"));
  assert_non_null(strstr(kpt_output, "finding 2: *** STOP: 0x000000C7"));
  assert_non_null(strstr(kpt_output, "finding 3: *** STOP: 0x000000C4 (0x0000000000000062"));
  kp_lookaside_delete(sys, &list, KP_HERE);
  kp_free(sys, a, VF_TAG, KP_HERE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

typedef struct codes {
  int n;
  uint32_t code[8];
  uint64_t p1[8];
} codes_t;

static void record_codes(const kp_bugcheck_t *bc, void *arg) {
  codes_t *c = arg;
  if (c->n < 8) {
    c->code[c->n] = bc->code;
    c->p1[c->n] = bc->params[0];
  }
  c->n++;
}

static void test_unload_handler_that_returns_sees_every_finding(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  kp_secure_pool_t h = make_secure_pool(sys);
  codes_t c = {0};
  kp_bugcheck_set_handler(sys, record_codes, &c, NULL, NULL);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_UNSUCCESSFUL);
  kp_bugcheck_set_handler(sys, kpt_handler, NULL, NULL, NULL);
  assert_int_equal(c.n, 2);
  assert_int_equal(c.code[0], 0xC4);
  assert_int_equal(c.p1[0], KP_C4_SECURE_POOL_NOT_DESTROYED);
  assert_int_equal(c.code[1], 0xC4);
  assert_int_equal(c.p1[1], 0x62);
  assert_int_equal(kp_bugcheck_count(sys), 2);
  uint32_t last = 0;
  kp_bugcheck_last(sys, &last, NULL);
  assert_int_equal(last, 0xC4);
  kp_free(sys, a, VF_TAG, KP_HERE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_unload_single_finding(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_null(strstr(kpt_last.explanation, "finding 1 of"));
  assert_null(strstr(kpt_output, "finding 1:")); // one finding: just raised
  kp_free(sys, a, VF_TAG, KP_HERE);
  assert_int_equal(kp_bugcheck_count(sys), 1);
}

static void test_clean_unload_with_the_verifier_on(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL | KP_VERIFY_FORCE_IRQL | KP_VERIFY_LOW_RESOURCES;
  cfg.lrs_probability = 0;
  kp_system_t *sys = kpt_system(&cfg);
  void *p = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  kp_free(sys, p, VF_TAG, KP_HERE);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  kp_system_destroy(sys);
}

static void test_counters_and_report_without_verifier_options(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  assert_null(kp_alloc2(sys, KPT_NP, 10, 0, KP_HERE)); // tag 0: fails
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.allocations_succeeded, 1);
  assert_int_equal(c.allocations_failed, 1);
  assert_int_equal(c.allocations_attempted, 2);
  assert_int_equal(c.faults_injected, 0);
  assert_int_equal(c.allocations_succeeded_special, 0);
  kpt_output_reset();
  kp_verifier_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Pool Allocations Attempted              2"));
  assert_null(strstr(kpt_output, "Special pool:"));
  kp_verifier_report(NULL, NULL, NULL);
  kp_free(sys, p, VF_TAG, KP_HERE);
}

static void test_report_hook_is_part_of_the_system_reports(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  kp_system_t *sys = kpt_system(&cfg);
  void *p = kp_alloc2(sys, KPT_NP, 10, VF_TAG, KP_HERE);
  kpt_output_reset();
  kp_verifier_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Special pool: 1 of 4096 pages hold live blocks"));
  assert_non_null(strstr(kpt_output, "Low resources simulation: 0 faults"));
  kp_free(sys, p, VF_TAG, KP_HERE);
  kp_system_destroy(sys);
}

static void test_at_most_64_guarded_systems(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.paged_pool_bytes = 1 << 16;
  cfg.nonpaged_pool_bytes = 1 << 16;
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_pages = 4;
  kp_system_t *sys[65];
  int made = 0;
  for (; made < 65; made++) {
    sys[made] = kp_system_create(&cfg);
    if (sys[made] == NULL) break;
  }
  assert_int_equal(made, 64);
  // Fault injection alone needs no slot.
  kp_config_t lrs = cfg;
  lrs.verifier_flags = KP_VERIFY_DEFAULT | KP_VERIFY_LOW_RESOURCES;
  kp_system_t *plain = kp_system_create(&lrs);
  assert_non_null(plain);
  kp_system_destroy(plain);
  kp_system_destroy(sys[0]);
  sys[0] = kp_system_create(&cfg);
  assert_non_null(sys[0]);
  for (int i = 0; i < 64; i++) kp_system_destroy(sys[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_unload_reports_all_findings_before_stopping, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_handler_that_returns_sees_every_finding, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_single_finding, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_one_pass_with_a_lookaside_list_too, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_clean_unload_with_the_verifier_on),
      cmocka_unit_test_setup_teardown(test_counters_and_report_without_verifier_options, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_report_hook_is_part_of_the_system_reports),
      cmocka_unit_test(test_at_most_64_guarded_systems),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
