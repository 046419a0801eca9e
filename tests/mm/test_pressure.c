/*
 * test_pressure.c — memory pressure and quota: per-pool budgets lowered at
 * run time, the EX_POOL_PRIORITY rule (Low fails first, Normal when memory
 * is very low, High only when the pool is exhausted) through
 * ExAllocatePool3's priority parameter, ExAllocatePoolWithTagPriority and
 * the defaults of the other allocators; configurable thresholds; the
 * pressure state and report; the process quota (POOL_FLAG_USE_QUOTA,
 * ExAllocatePoolWithQuotaTag, ExQueryPoolBlockSize's QuotaCharged).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntifs.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"
#include "kpool/pool3.h"

#define PAGE 4096u
#define AVAIL_PAGES 100u

static kp_pool_param_t prio(kp_priority_t pr, bool optional) {
  kp_pool_param_t p;
  memset(&p, 0, sizeof p);
  p.type = KP_PARAM_PRIORITY;
  p.optional = optional;
  p.value.priority = (int32_t)pr;
  return p;
}

/* One page-sized block (exactly one 4 KiB page against the budget). */
static void *page3(kp_system_t *sys, kp_pool_flags_t flags, kp_priority_t pr) {
  kp_pool_param_t p = prio(pr, false);
  return kp_alloc3(sys, flags, PAGE, KPT_TAG1, &p, 1, KP_HERE);
}

typedef struct held {
  void *p[AVAIL_PAGES + 8];
  unsigned n;
} held_t;

static void hold(held_t *h, void *p) {
  assert_non_null(p);
  h->p[h->n++] = p;
}

static void release(kp_system_t *sys, held_t *h) {
  for (unsigned i = 0; i < h->n; i++) kp_free(sys, h->p[i], 0, KP_HERE);
  h->n = 0;
}

static kp_pressure_level_t level(kp_system_t *sys, kp_pool_kind_t kind) {
  kp_pressure_t pr;
  assert_int_equal(kp_pool_pressure(sys, kind, 0, &pr), KP_STATUS_SUCCESS);
  return pr.level;
}

/* The rule with the default thresholds (Low keeps 20 % free, Normal 5 %),
 * on 100 available pages: after the block, Low needs 20 pages left,
 * Normal 5, High 0. */
static void run_priority_rule(kp_system_t *sys, kp_pool_flags_t flags,
                              kp_pool_kind_t kind) {
  held_t h = {{0}, 0};
  assert_int_equal(kp_pool_set_available(sys, kind, 0, AVAIL_PAGES * PAGE),
                   KP_STATUS_SUCCESS);
  assert_int_equal(kp_pool_available(sys, kind, 0), AVAIL_PAGES * PAGE);
  assert_int_equal(level(sys, kind), KP_PRESSURE_NONE);
  for (unsigned i = 0; i < 79; i++) hold(&h, page3(sys, flags, KP_PRIORITY_HIGH));
  // 79 used: a Low page leaves exactly 20 free (20 %): allowed.
  hold(&h, page3(sys, flags, KP_PRIORITY_LOW));
  // 80 used: Low would leave 19: refused; Normal and High are served.
  assert_int_equal(level(sys, kind), KP_PRESSURE_LOW);
  assert_null(page3(sys, flags, KP_PRIORITY_LOW));
  assert_null(page3(sys, flags, KP_PRIORITY_LOW_SPECIAL_OVERRUN));
  assert_null(page3(sys, flags, KP_PRIORITY_LOW_SPECIAL_UNDERRUN));
  hold(&h, page3(sys, flags, KP_PRIORITY_NORMAL));
  while (h.n < 94) hold(&h, page3(sys, flags, KP_PRIORITY_NORMAL));
  // 94 used: Normal leaves 5 (5 %): allowed; then 4: refused.
  hold(&h, page3(sys, flags, KP_PRIORITY_NORMAL_SPECIAL_UNDERRUN));
  assert_int_equal(level(sys, kind), KP_PRESSURE_VERY_LOW);
  assert_null(page3(sys, flags, KP_PRIORITY_NORMAL));
  assert_null(page3(sys, flags, KP_PRIORITY_NORMAL_SPECIAL_OVERRUN));
  assert_null(page3(sys, flags, KP_PRIORITY_LOW));
  // High takes the last pages, then fails too.
  while (h.n < AVAIL_PAGES) hold(&h, page3(sys, flags, KP_PRIORITY_HIGH_SPECIAL_OVERRUN));
  assert_int_equal(level(sys, kind), KP_PRESSURE_EXHAUSTED);
  assert_null(page3(sys, flags, KP_PRIORITY_HIGH));
  assert_null(kp_alloc3(sys, flags, 16, KPT_TAG1, NULL, 0, KP_HERE));
  kp_pressure_t pr;
  kp_pool_pressure(sys, kind, 0, &pr);
  assert_int_equal(pr.used, AVAIL_PAGES * PAGE);
  assert_int_equal(pr.free_bytes, 0);
  assert_int_equal(pr.failures, 8);
  // Freeing one page makes room for High only.
  kp_free(sys, h.p[--h.n], 0, KP_HERE);
  assert_null(page3(sys, flags, KP_PRIORITY_NORMAL));
  hold(&h, page3(sys, flags, KP_PRIORITY_HIGH));
  // Lifting the pressure serves everyone again.
  assert_int_equal(kp_pool_set_available(sys, kind, 0, SIZE_MAX), KP_STATUS_SUCCESS);
  assert_int_equal(level(sys, kind), KP_PRESSURE_NONE);
  hold(&h, page3(sys, flags, KP_PRIORITY_LOW));
  release(sys, &h);
}

static void test_priority_rule_nonpaged(void **state) {
  run_priority_rule(*state, KPT_NP, KP_POOL_NONPAGED);
}

static void test_priority_rule_paged(void **state) {
  run_priority_rule(*state, KPT_PG, KP_POOL_PAGED);
}

static void test_other_allocators_use_the_same_rule(void **state) {
  kp_system_t *sys = *state;
  held_t h = {{0}, 0};
  kp_pool_set_available(sys, KP_POOL_PAGED, 0, AVAIL_PAGES * PAGE);
  for (unsigned i = 0; i < 80; i++) hold(&h, page3(sys, KPT_PG, KP_PRIORITY_HIGH));
  // ExAllocatePoolWithTagPriority: Low refused, Normal served.
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_PAGED,
                              PAGE, KPT_TAG1, KP_PRIORITY_LOW, KP_HERE));
  hold(&h, kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_PAGED,
                           PAGE, KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE));
  // The others ask with NormalPoolPriority.
  hold(&h, kp_alloc2(sys, KPT_PG, PAGE, KPT_TAG1, KP_HERE));
  hold(&h, kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, KP_POOL_TYPE_PAGED,
                           PAGE, KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE));
  while (h.n < 95) hold(&h, kp_alloc2(sys, KPT_PG, PAGE, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_PG, PAGE, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc3(sys, KPT_PG, PAGE, KPT_TAG1, NULL, 0, KP_HERE));
  hold(&h, kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_PAGED,
                           PAGE, KPT_TAG1, KP_PRIORITY_HIGH, KP_HERE));
  // A failure with a raise flag raises.
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc2(sys, KPT_PG | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   PAGE, KPT_TAG1, KP_HERE));
  // The non-paged pool is not under pressure.
  void *np = kp_alloc2(sys, KPT_NP, PAGE, KPT_TAG1, KP_HERE);
  assert_non_null(np);
  kp_free(sys, np, 0, KP_HERE);
  release(sys, &h);
}

static void test_wdk_priority_names(void **state) {
  kp_system_t *sys = *state;
  kp_system_set_current(sys);
  held_t h = {{0}, 0};
  kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, AVAIL_PAGES * PAGE);
  for (unsigned i = 0; i < 80; i++)
    hold(&h, ExAllocatePoolWithTagPriority(NonPagedPoolNx, PAGE, 'gaT1', HighPoolPriority));
  assert_null(ExAllocatePoolWithTagPriority(NonPagedPoolNx, PAGE, 'gaT1', LowPoolPriority));
  assert_null(ExAllocatePoolPriorityZero(NonPagedPoolNx, PAGE, 'gaT1', LowPoolPriority));
  POOL_EXTENDED_PARAMETER e;
  memset(&e, 0, sizeof e);
  e.Type = PoolExtendedParameterPriority;
  e.Priority = LowPoolPriority;
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, PAGE, 'gaT1', &e, 1));
  // An optional priority that cannot be met fails the call too (kpool's
  // reading of "if there is not enough space for the priority the
  // allocation fails").
  e.Optional = 1;
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, PAGE, 'gaT1', &e, 1));
  e.Priority = NormalPoolPriority;
  hold(&h, ExAllocatePool3(POOL_FLAG_NON_PAGED, PAGE, 'gaT1', &e, 1));
  volatile NTSTATUS got = 0;
  e.Priority = LowPoolPriority;
  KP_TRY {
    (void)ExAllocatePool3(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, PAGE,
                          'gaT1', &e, 1);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, STATUS_INSUFFICIENT_RESOURCES);
  release(sys, &h);
}

static int setup_thresholds(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.low_priority_reserve_percent = 50;
  cfg.normal_priority_reserve_percent = 10;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_thresholds_are_configurable(void **state) {
  kp_system_t *sys = *state;
  held_t h = {{0}, 0};
  kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, AVAIL_PAGES * PAGE);
  for (unsigned i = 0; i < 49; i++) hold(&h, page3(sys, KPT_NP, KP_PRIORITY_HIGH));
  hold(&h, page3(sys, KPT_NP, KP_PRIORITY_LOW)); // leaves 50 %
  assert_null(page3(sys, KPT_NP, KP_PRIORITY_LOW));
  while (h.n < 89) hold(&h, page3(sys, KPT_NP, KP_PRIORITY_NORMAL));
  hold(&h, page3(sys, KPT_NP, KP_PRIORITY_NORMAL)); // leaves 10 %
  assert_null(page3(sys, KPT_NP, KP_PRIORITY_NORMAL));
  hold(&h, page3(sys, KPT_NP, KP_PRIORITY_HIGH));
  kp_pressure_t pr;
  kp_pool_pressure(sys, KP_POOL_NONPAGED, 0, &pr);
  assert_int_equal(pr.low_reserve_percent, 50);
  assert_int_equal(pr.normal_reserve_percent, 10);
  assert_int_equal(pr.level, KP_PRESSURE_VERY_LOW);
  release(sys, &h);
}

static void test_pressure_queries_and_bad_arguments(void **state) {
  kp_system_t *sys = *state;
  kp_pressure_t pr;
  assert_int_equal(kp_pool_pressure(NULL, KP_POOL_PAGED, 0, &pr), KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_pool_pressure(sys, (kp_pool_kind_t)7, 0, &pr), KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_pool_pressure(sys, KP_POOL_NONPAGED, 1, &pr), KP_STATUS_INVALID_PARAMETER_3);
  assert_int_equal(kp_pool_pressure(sys, KP_POOL_PAGED, 0, NULL), KP_STATUS_INVALID_PARAMETER_4);
  assert_int_equal(kp_pool_set_available(NULL, KP_POOL_PAGED, 0, 1), KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_pool_set_available(sys, (kp_pool_kind_t)7, 0, 1), KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 3, 1), KP_STATUS_INVALID_PARAMETER_3);
  assert_int_equal(kp_pool_pressure(sys, KP_POOL_PAGED, 0, &pr), KP_STATUS_SUCCESS);
  assert_int_equal(pr.budget, (size_t)8 << 20);
  assert_int_equal(pr.available, pr.budget);
  assert_int_equal(pr.pool, KP_POOL_PAGED);
  // Available never exceeds the budget.
  kp_pool_set_available(sys, KP_POOL_PAGED, 0, (size_t)1 << 40);
  assert_int_equal(kp_pool_available(sys, KP_POOL_PAGED, 0), (size_t)8 << 20);
  // Zero available: exhausted.
  kp_pool_set_available(sys, KP_POOL_PAGED, 0, 0);
  assert_int_equal(level(sys, KP_POOL_PAGED), KP_PRESSURE_EXHAUSTED);
  assert_null(page3(sys, KPT_PG, KP_PRIORITY_HIGH));
  kp_quota_t q;
  assert_int_equal(kp_quota_query(NULL, &q), KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_quota_query(sys, NULL), KP_STATUS_INVALID_PARAMETER_2);
}

static void test_pressure_report(void **state) {
  kp_system_t *sys = *state;
  held_t h = {{0}, 0};
  kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, AVAIL_PAGES * PAGE);
  for (unsigned i = 0; i < 85; i++) hold(&h, page3(sys, KPT_NP, KP_PRIORITY_HIGH));
  assert_null(page3(sys, KPT_NP, KP_PRIORITY_LOW));
  kpt_output_reset();
  kp_report_pressure(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Pool     Node"));
  assert_non_null(strstr(kpt_output, "low (LowPoolPriority fails)"));
  assert_non_null(strstr(kpt_output, "409600"));  // available
  assert_non_null(strstr(kpt_output, "348160"));  // used: 85 pages
  assert_non_null(strstr(kpt_output, "Quota: 0 of 67108864 bytes charged"));
  // The paged pool line says normal.
  assert_non_null(strstr(kpt_output, "Paged"));
  assert_non_null(strstr(kpt_output, "normal"));
  // The failure is also in the per-tag counters.
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, KPT_TAG1, KP_POOL_NONPAGED, &ts));
  assert_int_equal(ts.failures, 1);
  release(sys, &h);
}

/* ---------------------------------------------------------------------------
 * The *SpecialPoolOverrun / *SpecialPoolUnderrun priorities carry their
 * placement to the special pool when it exists.
 * ------------------------------------------------------------------------- */

static int setup_special(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  // Only the priority variants ask for special pool: no tag matches this.
  cfg.special_pool_tags = "Zzzz";
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_special_pool_placement_priorities(void **state) {
  kp_system_t *sys = *state;
  const size_t size = 64;
  const kp_priority_t under[] = {KP_PRIORITY_LOW_SPECIAL_UNDERRUN,
                                 KP_PRIORITY_NORMAL_SPECIAL_UNDERRUN,
                                 KP_PRIORITY_HIGH_SPECIAL_UNDERRUN};
  const kp_priority_t over[] = {KP_PRIORITY_LOW_SPECIAL_OVERRUN,
                                KP_PRIORITY_NORMAL_SPECIAL_OVERRUN,
                                KP_PRIORITY_HIGH_SPECIAL_OVERRUN};
  for (int i = 0; i < 3; i++) {
    kp_pool_param_t p = prio(under[i], false);
    uint8_t *u = kp_alloc3(sys, KPT_NP, size, KPT_TAG1, &p, 1, KP_HERE);
    p = prio(over[i], false);
    uint8_t *o = kp_alloc3(sys, KPT_PG, size, KPT_TAG1, &p, 1, KP_HERE);
    assert_non_null(u);
    assert_non_null(o);
    kp_block_info_t info;
    kp_block_query(sys, u, &info);
    assert_true((info.flags & KP_POOL_FLAG_SPECIAL_POOL) != 0);
    assert_int_equal(info.priority, under[i]);
    assert_int_equal((uintptr_t)u % PAGE, 0);            // starts its page
    kp_block_query(sys, o, &info);
    assert_true((info.flags & KP_POOL_FLAG_SPECIAL_POOL) != 0);
    assert_int_equal(((uintptr_t)o + size) % PAGE, 0);   // ends its page
    kp_free2(sys, u, KPT_TAG1, NULL, 0, KP_HERE);
    kp_free2(sys, o, KPT_TAG1, NULL, 0, KP_HERE);
  }
  // Plain priorities stay in normal pool.
  kp_pool_param_t p = prio(KP_PRIORITY_HIGH, false);
  uint8_t *n = kp_alloc3(sys, KPT_NP, size, KPT_TAG1, &p, 1, KP_HERE);
  kp_block_info_t info;
  kp_block_query(sys, n, &info);
  assert_true((info.flags & KP_POOL_FLAG_SPECIAL_POOL) == 0);
  kp_free2(sys, n, KPT_TAG1, NULL, 0, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Quota
 * ------------------------------------------------------------------------- */

static int setup_quota(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.quota_limit = 10 * PAGE;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_quota_pool2_pool3(void **state) {
  kp_system_t *sys = *state;
  held_t h = {{0}, 0};
  kp_quota_t q;
  for (unsigned i = 0; i < 5; i++)
    hold(&h, kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, PAGE, KPT_TAG1, KP_HERE));
  for (unsigned i = 0; i < 5; i++) {
    kp_pool_param_t p = prio(KP_PRIORITY_HIGH, false);
    hold(&h, kp_alloc3(sys, KPT_PG | KP_POOL_FLAG_USE_QUOTA, PAGE, KPT_TAG1, &p, 1, KP_HERE));
  }
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 10 * PAGE);
  assert_int_equal(q.limit, 10 * PAGE);
  assert_null(kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 16, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc3(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 16, KPT_TAG1, NULL, 0, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_QUOTA_EXCEEDED,
                   (void)kp_alloc3(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA |
                                            KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   16, KPT_TAG1, NULL, 0, KP_HERE));
  // Without USE_QUOTA nothing is charged.
  hold(&h, kp_alloc2(sys, KPT_NP, 16, KPT_TAG1, KP_HERE));
  bool charged = false;
  assert_int_equal(kp_block_size(sys, h.p[0], &charged), PAGE);
  assert_true(charged);
  assert_int_equal(kp_block_size(sys, h.p[h.n - 1], &charged), 16);
  assert_false(charged);
  // Freeing gives the quota back.
  kp_free(sys, h.p[0], 0, KP_HERE);
  h.p[0] = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, PAGE, KPT_TAG1, KP_HERE);
  assert_non_null(h.p[0]);
  kpt_output_reset();
  kp_report_pressure(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Quota: 40960 of 40960 bytes charged"));
  release(sys, &h);
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 0);
}

static void test_quota_wdk_names(void **state) {
  kp_system_t *sys = *state;
  kp_system_set_current(sys);
  PVOID a = ExAllocatePoolWithQuotaTag(PagedPool, 8 * PAGE, 'gaT1');
  assert_non_null(a);
  BOOLEAN charged = FALSE;
  assert_int_equal(ExQueryPoolBlockSize(a, &charged), 8 * PAGE);
  assert_true(charged);
  // The quota API raises by default...
  volatile NTSTATUS got = 0;
  KP_TRY {
    (void)ExAllocatePoolWithQuotaTag(PagedPool, 4 * PAGE, 'gaT1');
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, STATUS_QUOTA_EXCEEDED);
  // ...and returns NULL with POOL_QUOTA_FAIL_INSTEAD_OF_RAISE.
  assert_null(ExAllocatePoolWithQuotaTag(
      (POOL_TYPE)(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), 4 * PAGE, 'gaT1'));
  assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 4 * PAGE, 'gaT1'));
  PVOID b = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 2 * PAGE, 'gaT1');
  assert_non_null(b);
  PVOID c = ExAllocatePool2(POOL_FLAG_PAGED, PAGE, 'gaT1');
  assert_int_equal(ExQueryPoolBlockSize(c, &charged), PAGE);
  assert_false(charged);
  ExFreePool(a);
  ExFreePool(b);
  ExFreePool(c);
  kp_quota_t q;
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_priority_rule_nonpaged, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_priority_rule_paged, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_other_allocators_use_the_same_rule, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wdk_priority_names, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_thresholds_are_configurable, setup_thresholds, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pressure_queries_and_bad_arguments, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pressure_report, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_special_pool_placement_priorities, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quota_pool2_pool3, setup_quota, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quota_wdk_names, setup_quota, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
