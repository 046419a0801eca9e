/*
 * test_stats.c — per tag x pool x node counters, totals, the PoolMon
 * table, the JSON export and the leak report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kp_test_util.h"

static void test_tag_counters(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 100, KPT_TAG1, KP_HERE); // 16 + 112
  void *b = kp_alloc2(sys, KPT_NP, 10, KPT_TAG1, KP_HERE);  // 16 + 16
  void *c = kp_alloc2(sys, KPT_PG, 5000, KPT_TAG1, KP_HERE); // 2 pages
  kp_tag_stats_t st;
  assert_true(kp_stats_tag(sys, KPT_TAG1, KP_POOL_NONPAGED, &st));
  assert_int_equal(st.allocs, 2);
  assert_int_equal(st.frees, 0);
  assert_int_equal(st.bytes, 128 + 32);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  assert_true(kp_stats_tag(sys, KPT_TAG1, KP_POOL_NONPAGED, &st));
  assert_int_equal(st.frees, 1);
  assert_int_equal(st.bytes, 32);
  assert_int_equal(st.peak_bytes, 160);
  assert_true(kp_stats_tag(sys, KPT_TAG1, KP_POOL_PAGED, &st));
  assert_int_equal(st.bytes, 8192);
  assert_false(kp_stats_tag(sys, KPT_TAG2, KP_POOL_PAGED, &st));
  assert_int_equal(st.allocs, 0);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
  kp_free(sys, c, KPT_TAG1, KP_HERE);
}

static void test_totals_and_abi_check(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 100, KPT_TAG1, KP_HERE);
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.pool[KP_POOL_NONPAGED].allocs, 1);
  assert_int_equal(st.pool[KP_POOL_NONPAGED].live_blocks, 1);
  assert_int_equal(st.pool[KP_POOL_NONPAGED].bytes, 128);
  assert_int_equal(st.pool[KP_POOL_NONPAGED].budget, (size_t)8 << 20);
  assert_int_equal(st.pool[KP_POOL_NONPAGED].pages_in_use, 1);
  kp_stats_t bad = KP_STATS_INIT;
  bad.size = 8;
  assert_false(kp_stats_get(sys, &bad));
  bad.size = sizeof bad;
  bad.version = 99;
  assert_false(kp_stats_get(sys, &bad));
  assert_false(kp_stats_get(NULL, &st));
  kp_free(sys, a, KPT_TAG1, KP_HERE);
}

typedef struct seen {
  int n;
  kp_tag_stats_t items[8];
} seen_t;

static bool collect(const kp_tag_stats_t *st, void *arg) {
  seen_t *s = arg;
  if (s->n < 8) s->items[s->n++] = *st;
  return true;
}

static bool stop_after_one(const kp_tag_stats_t *st, void *arg) {
  (void)st;
  *(int *)arg += 1;
  return false;
}

static int setup_two_nodes(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.numa_nodes = 2;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_visit_per_node(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 16, KPT_TAG2, KP_HERE);
  kp_thread_set_processor(sys, 2); // node 1
  void *b = kp_alloc2(sys, KPT_NP, 16, KPT_TAG2, KP_HERE);
  kp_thread_set_processor(sys, 0);
  void *c = kp_alloc2(sys, KPT_PG, 16, KPT_TAG1, KP_HERE);
  seen_t s = {0};
  kp_stats_visit_tags(sys, collect, &s);
  assert_int_equal(s.n, 3);
  // Ordered by pool (non-paged 0 first), node, tag.
  assert_int_equal(s.items[0].pool, KP_POOL_NONPAGED);
  assert_int_equal(s.items[0].node, 0);
  assert_int_equal(s.items[1].pool, KP_POOL_NONPAGED);
  assert_int_equal(s.items[1].node, 1);
  assert_int_equal(s.items[2].pool, KP_POOL_PAGED);
  assert_int_equal(s.items[2].tag, KPT_TAG1);
  int calls = 0;
  kp_stats_visit_tags(sys, stop_after_one, &calls);
  assert_int_equal(calls, 1);
  // kp_stats_tag sums the nodes.
  kp_tag_stats_t st;
  assert_true(kp_stats_tag(sys, KPT_TAG2, KP_POOL_NONPAGED, &st));
  assert_int_equal(st.allocs, 2);
  kp_free(sys, a, 0, KP_HERE);
  kp_free(sys, b, 0, KP_HERE);
  kp_free(sys, c, 0, KP_HERE);
}

static void test_poolmon_table(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 100, KPT_TAG1, KP_HERE);
  void *b = kp_alloc2(sys, KPT_NP, 100, KPT_TAG1, KP_HERE);
  void *c = kp_alloc2(sys, KPT_NP, 100, KPT_TAG1, KP_HERE);
  kp_free(sys, c, KPT_TAG1, KP_HERE);
  void *d = kp_alloc2(sys, KPT_PG, 5000, KPT_TAG2, KP_HERE);
  kpt_output_reset();
  kp_report_poolmon(sys, kpt_capture, NULL);
  assert_non_null(strstr(kpt_output, " Tag  Type     Allocs      Frees       Diff        Bytes  Per Alloc\n"));
  // Sorted by bytes: Tag2 (8192) before Tag1 (256).
  const char *t2 = strstr(kpt_output, " Tag2 Paged          1          0          1         8192       8192\n");
  const char *t1 = strstr(kpt_output, " Tag1 Nonp           3          1          2          256        128\n");
  assert_non_null(t2);
  assert_non_null(t1);
  assert_true(t2 < t1);
  assert_non_null(strstr(kpt_output, " TOTAL               4          1          3         8448       2816\n"));
  // NULL output goes to the system's output function.
  kpt_output_reset();
  kp_report_poolmon(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Tag1"));
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
  kp_free(sys, d, KPT_TAG2, KP_HERE);
}

static void test_json_export(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, 100, KP_TAG('q', '"', '\\', 'x'), KP_HERE);
  kpt_output_reset();
  kp_report_json(sys, kpt_capture, NULL);
  assert_true(kpt_output[0] == '{');
  assert_non_null(strstr(kpt_output, "\"pools\":[{\"pool\":\"paged\",\"node\":0,"));
  assert_non_null(strstr(kpt_output, "{\"pool\":\"nonpaged\",\"node\":0,\"budget\":8388608,"));
  assert_non_null(strstr(kpt_output, "\"tag\":\"q\\\"\\\\x\""));
  assert_non_null(strstr(kpt_output, "\"allocs\":1,\"frees\":0,\"diff\":1,\"bytes\":128,"));
  assert_non_null(strstr(kpt_output, "\"bugchecks\":0}\n"));
  // Balanced braces and brackets.
  int braces = 0, brackets = 0;
  bool in_string = false;
  for (const char *c = kpt_output; *c; c++) {
    if (*c == '\\' && in_string) { c++; continue; }
    if (*c == '"') in_string = !in_string;
    if (in_string) continue;
    braces += (*c == '{') - (*c == '}');
    brackets += (*c == '[') - (*c == ']');
  }
  assert_int_equal(braces, 0);
  assert_int_equal(brackets, 0);
  kp_free(sys, a, 0, KP_HERE);
}

static void test_full_report_and_json_state(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 100, KPT_TAG1, KP_HERE);
  kpt_output_reset();
  kp_report(sys, kpt_capture, NULL);
  assert_non_null(strstr(kpt_output, " Tag  Type     Allocs"));
  assert_non_null(strstr(kpt_output, "Tag1 Nonp"));
  assert_non_null(strstr(kpt_output, "Pool     Node"));
  assert_non_null(strstr(kpt_output, "Quota: 128 of"));
  kpt_output_reset();
  kp_report_json(sys, kpt_capture, NULL);
  assert_non_null(strstr(kpt_output, "\"pressure\":\"none\""));
  assert_non_null(strstr(kpt_output, "\"quota\":{\"limit\":67108864,\"used\":128}"));
  assert_non_null(strstr(kpt_output, "\"secure\":{\"pools\":0,"));
  // Pressure shows once the pool is pressed: 128 of 180 bytes in use leaves
  // 11 % after one more 32-byte block, below the 20 % Low reserve.
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, 180), KP_STATUS_SUCCESS);
  kpt_output_reset();
  kp_report_json(sys, kpt_capture, NULL);
  assert_non_null(strstr(kpt_output, "\"pressure\":\"low\""));
  kp_free(sys, a, KPT_TAG1, KP_HERE);
}

static void test_leak_report_groups_by_tag_and_site(void **state) {
  kp_system_t *sys = *state;
  void *p[5];
  for (int i = 0; i < 3; i++) p[i] = kp_alloc2(sys, KPT_NP, (size_t)(10 + i), KPT_TAG1, KP_HERE);
  int line_a = __LINE__ - 1;
  p[3] = kp_alloc2(sys, KPT_NP, 50, KPT_TAG1, KP_HERE);
  int line_b = __LINE__ - 1;
  p[4] = kp_alloc2(sys, KPT_PG, 60, KPT_TAG2, KP_HERE);
  kpt_output_reset();
  assert_int_equal(kp_report_leaks(sys, kpt_capture, NULL), 5);
  char want[128];
  assert_non_null(strstr(kpt_output, "5 outstanding allocations"));
  assert_non_null(strstr(kpt_output, "Tag 'Tag1' (0x31676154): 4 allocations"));
  assert_non_null(strstr(kpt_output, "Tag 'Tag2' (0x32676154): 1 allocation,"));
  snprintf(want, sizeof want, "3 x at test_stats.c:%d (ExAllocatePool2, non-paged pool", line_a);
  assert_non_null(strstr(kpt_output, want));
  assert_non_null(strstr(kpt_output, "10..12 bytes"));
  snprintf(want, sizeof want, "1 x at test_stats.c:%d", line_b);
  assert_non_null(strstr(kpt_output, want));
  for (int i = 0; i < 5; i++) kp_free(sys, p[i], 0, KP_HERE);
  kpt_output_reset();
  assert_int_equal(kp_report_leaks(sys, kpt_capture, NULL), 0);
  assert_non_null(strstr(kpt_output, "no outstanding allocations"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_tag_counters, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_totals_and_abi_check, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_visit_per_node, setup_two_nodes, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_poolmon_table, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_json_export, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_full_report_and_json_state, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_leak_report_groups_by_tag_and_site, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
