/*
 * test_system.c — configuration, creation and its bad inputs, the current
 * system, the virtual clock and tickers, simulated processors, status
 * names, tag text and the version.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "kp_test_util.h"

static void test_config_defaults(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  assert_int_equal(cfg.size, sizeof cfg);
  assert_int_equal(cfg.verifier_flags, KP_VERIFY_DEFAULT);
  assert_int_equal(cfg.numa_nodes, 1);
  assert_int_equal(cfg.uninit_fill, 0xCD);
  assert_int_equal(cfg.free_fill, 0xDD);
  assert_int_equal(cfg.canary_fill, 0xFD);
  assert_int_equal(cfg.lookaside_minimum_depth, 4);
  assert_int_equal(cfg.lookaside_maximum_depth, 256);
  assert_int_equal(cfg.lookaside_alloc_threshold, 25);
  assert_int_equal(cfg.lookaside_scan_period, 3);
  assert_int_equal(cfg.low_priority_reserve_percent, 20);
  assert_int_equal(cfg.normal_priority_reserve_percent, 5);
  kp_system_t *sys = kp_system_create(NULL); // NULL config = defaults
  assert_non_null(sys);
  assert_int_equal(kp_system_config(sys)->paged_pool_bytes, (size_t)256 << 20);
  kp_system_destroy(sys);
  kp_system_destroy(NULL); // harmless
  kp_config_init(NULL);    // harmless
}

static void test_config_rejects_bad_values(void **state) {
  (void)state;
  kp_config_t base, cfg;
  kp_config_init(&base);
  cfg = base; cfg.size = 8;                               assert_null(kp_system_create(&cfg));
  cfg = base; cfg.numa_nodes = 0;                         assert_null(kp_system_create(&cfg));
  cfg = base; cfg.numa_nodes = 65;                        assert_null(kp_system_create(&cfg));
  cfg = base; cfg.processors_per_node = 0;                assert_null(kp_system_create(&cfg));
  cfg = base; cfg.processors_per_node = 65;               assert_null(kp_system_create(&cfg));
  cfg = base; cfg.paged_pool_bytes = 100;                 assert_null(kp_system_create(&cfg));
  cfg = base; cfg.nonpaged_pool_bytes = 0;                assert_null(kp_system_create(&cfg));
  cfg = base; cfg.paged_pool_bytes = (size_t)1 << 41;     assert_null(kp_system_create(&cfg));
  cfg = base; cfg.low_priority_reserve_percent = 101;     assert_null(kp_system_create(&cfg));
  cfg = base; cfg.normal_priority_reserve_percent = 30;   assert_null(kp_system_create(&cfg));
  cfg = base; cfg.lookaside_minimum_depth = 300;          assert_null(kp_system_create(&cfg));
  cfg = base; cfg.lookaside_scan_period = 0;              assert_null(kp_system_create(&cfg));
  cfg = base; cfg.uninit_fill = 0;                        assert_null(kp_system_create(&cfg));
}

static void test_current_system(void **state) {
  (void)state;
  kp_system_t *prev = kp_system_set_current(NULL);
  kp_system_t *a = kp_system_current(); // created lazily with defaults
  assert_non_null(a);
  assert_ptr_equal(kp_system_current(), a);
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *b = kp_system_create(&cfg);
  assert_ptr_equal(kp_system_set_current(b), a);
  assert_ptr_equal(kp_system_current(), b);
  kp_system_destroy(a);
  kp_system_destroy(b); // destroying the current system clears it
  kp_system_t *c = kp_system_current();
  assert_non_null(c);
  kp_system_set_current(prev);
  kp_system_destroy(c);
}

static int ticks;
static void count_tick(kp_system_t *sys, void *arg) {
  (void)sys;
  *(int *)arg += 1;
}

static void test_clock_and_tickers(void **state) {
  kp_system_t *sys = *state;
  ticks = 0;
  uint32_t id = kp_clock_add_ticker(sys, count_tick, &ticks);
  assert_true(id != 0);
  assert_int_equal(kp_clock_now(sys), 0);
  kp_clock_advance(sys, 999);
  assert_int_equal(ticks, 0);
  kp_clock_advance(sys, 1);
  assert_int_equal(ticks, 1);
  kp_clock_advance(sys, 1500);
  assert_int_equal(ticks, 2);
  kp_clock_advance(sys, 500);
  assert_int_equal(ticks, 3);
  kp_clock_advance(sys, 10000);
  assert_int_equal(ticks, 13);
  assert_int_equal(kp_clock_now(sys), 13000);
  kp_clock_remove_ticker(sys, id);
  kp_clock_advance(sys, 5000);
  assert_int_equal(ticks, 13);
  assert_int_equal(kp_clock_add_ticker(sys, NULL, NULL), 0);
  int many[17] = {0};
  uint32_t ids[17];
  for (int i = 0; i < 17; i++) ids[i] = kp_clock_add_ticker(sys, count_tick, &many[i]);
  assert_int_equal(ids[16], 0); // table of 16 is full
  kp_clock_advance(sys, 1000);
  for (int i = 0; i < 16; i++) assert_int_equal(many[i], 1);
  kp_clock_advance(NULL, 5); // harmless
  assert_int_equal(kp_clock_now(NULL), 0);
}

static int rt_ticks;
static void count_rt_tick(kp_system_t *sys, void *arg) {
  (void)sys;
  (void)arg;
  __atomic_fetch_add(&rt_ticks, 1, __ATOMIC_RELAXED);
}

static void test_realtime_clock(void **state) {
  kp_system_t *sys = *state;
  rt_ticks = 0;
  assert_true(kp_clock_add_ticker(sys, count_rt_tick, NULL) != 0);
  assert_false(kp_clock_realtime(sys));
  assert_int_equal(kp_clock_start_realtime(sys, 5), KP_STATUS_SUCCESS);
  assert_true(kp_clock_realtime(sys));
  assert_int_equal(kp_clock_start_realtime(sys, 5), KP_STATUS_UNSUCCESSFUL);
  assert_int_equal(kp_clock_start_realtime(NULL, 5), KP_STATUS_INVALID_PARAMETER_1);
  // Wait (bounded) for three simulated seconds; no assertion on time.
  for (int i = 0; i < 2000 && kp_clock_now(sys) < 3000; i++) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kp_clock_stop_realtime(sys);
  assert_false(kp_clock_realtime(sys));
  uint64_t now = kp_clock_now(sys);
  assert_true(now >= 3000);
  assert_int_equal(now % 1000, 0); // whole simulated seconds only
  assert_int_equal(__atomic_load_n(&rt_ticks, __ATOMIC_RELAXED), (int)(now / 1000));
  kp_clock_stop_realtime(sys); // harmless when stopped
  kp_clock_stop_realtime(NULL);
  // Destroying a system whose clock runs stops the clock first.
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *other = kp_system_create(&cfg);
  assert_int_equal(kp_clock_start_realtime(other, 0), KP_STATUS_SUCCESS);
  kp_system_destroy(other);
}

static int setup_numa(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.numa_nodes = 2;
  cfg.processors_per_node = 4;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_processors_and_nodes(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_thread_processor(), 0);
  assert_int_equal(kp_thread_node(sys), 0);
  assert_int_equal(kp_thread_set_processor(sys, 5), KP_STATUS_SUCCESS);
  assert_int_equal(kp_thread_processor(), 5);
  assert_int_equal(kp_thread_node(sys), 1);
  // Non-paged allocations come from the thread's node.
  void *p = kp_alloc2(sys, KPT_NP, 64, KPT_TAG1, KP_HERE);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_int_equal(info.node, 1);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_thread_set_processor(sys, 8), KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_thread_set_processor(NULL, 0), KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_thread_set_processor(sys, 0), KP_STATUS_SUCCESS);
  assert_true(kp_thread_id() >= 1);
}

static void test_status_names(void **state) {
  (void)state;
  assert_string_equal(kp_status_name(KP_STATUS_INSUFFICIENT_RESOURCES),
                      "STATUS_INSUFFICIENT_RESOURCES");
  assert_string_equal(kp_status_name(KP_STATUS_SUCCESS), "STATUS_SUCCESS");
  assert_string_equal(kp_status_name(KP_STATUS_INVALID_PARAMETER_5),
                      "STATUS_INVALID_PARAMETER_5");
  assert_null(kp_status_name((kp_status_t)0x12345678));
  assert_true(KP_SUCCESS(KP_STATUS_SUCCESS));
  assert_true(KP_SUCCESS(KP_STATUS_PENDING));
  assert_false(KP_SUCCESS(KP_STATUS_UNSUCCESSFUL));
  assert_int_equal((uint32_t)KP_STATUS_INVALID_PARAMETER_4, 0xC00000F2u);
}

static void test_tag_text(void **state) {
  (void)state;
  char t[5];
  assert_int_equal(KP_TAG('T', 'a', 'g', '1'), 0x31676154u);
  assert_string_equal(kp_tag_text(0x31676154u, t), "Tag1");
  assert_string_equal(kp_tag_text(0x67615431u, t), "1Tag"); // 'gaT1'
  assert_string_equal(kp_tag_text(0x6162, t), "ba  ");       // 'ab'
  assert_string_equal(kp_tag_text(0x01414141, t), "AAA.");
  assert_string_equal(kp_tag_text(0, t), "    ");
}

static void test_version(void **state) {
  (void)state;
  assert_int_equal(kp_version(), KP_VERSION_NUMBER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_defaults),
      cmocka_unit_test(test_config_rejects_bad_values),
      cmocka_unit_test(test_current_system),
      cmocka_unit_test_setup_teardown(test_clock_and_tickers, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_realtime_clock, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_processors_and_nodes, setup_numa, kpt_teardown),
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_tag_text),
      cmocka_unit_test(test_version),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
