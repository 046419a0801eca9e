/*
 * test_lookaside_depth.c — the adaptive depth on the virtual clock: the
 * round-robin of the balance set manager, and growing, idle-shrinking and
 * low-miss-shrinking trajectories reproduced exactly (values worked out by
 * hand from the WRK rules in kpool/lookaside.h), with the default and with
 * custom constants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kpool/kpool.h"
#include <wdm.h>

#define TAG KP_TAG('D', 'e', 'p', '1')
#define MAX_BATCH 512

static kp_system_t *make(const kp_config_t *cfg) {
  kp_system_t *sys = kp_system_create(cfg);
  assert_non_null(sys);
  return sys;
}

static kp_system_t *make_default(void) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
  return make(&cfg);
}

/* @p n allocations that all miss (the cache is emptied first), then the n
 * entries are freed again (the list keeps up to Depth of them). */
static void misses(kp_system_t *sys, kp_lookaside_t *l, int n) {
  void *e[MAX_BATCH];
  assert_true(n <= MAX_BATCH);
  kp_lookaside_flush(sys, l, KP_HERE);
  for (int i = 0; i < n; i++) {
    e[i] = kp_lookaside_alloc(sys, l, KP_HERE);
    assert_non_null(e[i]);
  }
  for (int i = 0; i < n; i++) kp_lookaside_free(sys, l, e[i], KP_HERE);
}

/* @p n allocations that all hit: one entry taken and given back. */
static void hits(kp_system_t *sys, kp_lookaside_t *l, int n) {
  assert_true(kp_lookaside_cached(l) > 0);
  uint32_t before = l->allocate_misses;
  for (int i = 0; i < n; i++) {
    void *p = kp_lookaside_alloc(sys, l, KP_HERE);
    kp_lookaside_free(sys, l, p, KP_HERE);
  }
  assert_int_equal(l->allocate_misses, before);
}

static void new_list(kp_system_t *sys, kp_lookaside_t *l, uint32_t pool_type) {
  assert_int_equal(kp_lookaside_init_ex(sys, l, NULL, NULL, pool_type, 0, 32, TAG,
                                        0, KP_HERE),
                   KP_STATUS_SUCCESS);
}

/* ---------------------------------------------------------------------------
 * Scheduling.
 * ------------------------------------------------------------------------- */
static void test_round_robin_every_three_seconds(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t np;
  _Alignas(16) kp_lookaside_t pg;
  new_list(sys, &np, KP_POOL_TYPE_NONPAGED_NX);
  new_list(sys, &pg, KP_POOL_TYPE_PAGED);
  misses(sys, &np, 100);
  misses(sys, &pg, 100);

  /* Not a whole second yet: nothing. */
  kp_clock_advance(sys, 999);
  assert_int_equal(np.depth, 4);
  assert_int_equal(np.last_total_allocates, 0);
  /* Second 1: the non-paged group. */
  kp_clock_advance(sys, 1);
  assert_int_equal(np.depth, 34);
  assert_int_equal(np.last_total_allocates, 100);
  assert_int_equal(np.last_allocate_misses, 100);
  assert_int_equal(pg.depth, 4);
  assert_int_equal(pg.last_total_allocates, 0);
  /* Second 2: the paged group. */
  kp_clock_advance(sys, 1000);
  assert_int_equal(pg.depth, 34);
  assert_int_equal(pg.last_total_allocates, 100);
  assert_int_equal(np.depth, 34);
  /* Second 3: the system lists (none); seconds 4 and 5 start over. */
  misses(sys, &np, 100);
  misses(sys, &pg, 100);
  kp_clock_advance(sys, 1000);
  assert_int_equal(np.depth, 34);
  assert_int_equal(pg.depth, 34);
  kp_clock_advance(sys, 1000);
  assert_int_equal(np.depth, 64);
  assert_int_equal(pg.depth, 34);
  kp_clock_advance(sys, 1000);
  assert_int_equal(pg.depth, 64);
  assert_int_equal(kp_clock_now(sys), 5000);

  /* One call covering several seconds runs each of them. */
  misses(sys, &np, 100);
  misses(sys, &pg, 100);
  kp_clock_advance(sys, 3000); /* seconds 6 (system), 7 (np), 8 (pg) */
  assert_int_equal(np.depth, 94);
  assert_int_equal(pg.depth, 94);
  kp_lookaside_delete(sys, &np, KP_HERE);
  kp_lookaside_delete(sys, &pg, KP_HERE);
  kp_system_destroy(sys);
}

static void test_manual_scan_counts_in_round_robin(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t np;
  new_list(sys, &np, 0);
  misses(sys, &np, 100);
  kp_lookaside_adjust_depth(sys); /* the non-paged group */
  assert_int_equal(np.depth, 34);
  misses(sys, &np, 100);
  kp_lookaside_adjust_depth(sys); /* paged */
  kp_lookaside_adjust_depth(sys); /* system */
  assert_int_equal(np.depth, 34);
  kp_clock_advance(sys, 1000);    /* the non-paged group again */
  assert_int_equal(np.depth, 64);
  kp_lookaside_delete(sys, &np, KP_HERE);
  kp_system_destroy(sys);
}

/* The round-robin counts from the system's start, lists or not (found by
 * fuzz_lookaside: the phase used to start with the first list). */
static void test_round_robin_phase_counts_from_boot(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  kp_clock_advance(sys, 1000); /* second 1: the non-paged group, no list yet */
  _Alignas(16) kp_lookaside_t np;
  new_list(sys, &np, 0);
  misses(sys, &np, 100);
  kp_clock_advance(sys, 1000); /* second 2: paged */
  assert_int_equal(np.depth, 4);
  kp_clock_advance(sys, 1000); /* second 3: system lists */
  assert_int_equal(np.depth, 4);
  kp_clock_advance(sys, 1000); /* second 4: non-paged */
  assert_int_equal(np.depth, 34);
  kp_lookaside_delete(sys, &np, KP_HERE);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * Trajectories with the default constants (4 / 25 / 10 / 1 / 5 / 30 / 256,
 * period 3). One 3-second advance = one scan of the list.
 * ------------------------------------------------------------------------- */
static void test_growth_all_misses(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t l;
  new_list(sys, &l, 0);
  /* Ratio 1000: Delta = (Max - Depth) / 2 + 5, at most 30, Depth <= 256. */
  static const uint16_t want[] = {34, 64, 94, 124, 154, 184, 214, 240, 253, 256, 256};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    misses(sys, &l, 100);
    kp_clock_advance(sys, 3000);
    assert_int_equal(l.depth, want[i]);
  }
  /* The list now caches up to 256 entries. */
  misses(sys, &l, 300);
  assert_int_equal(kp_lookaside_cached(&l), 256);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

static void test_growth_five_percent_misses(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t l;
  new_list(sys, &l, 0);
  /* 200 allocations, 10 misses: Ratio 50,
   * Delta = 50 * (256 - Depth) / 2000 + 5. */
  static const uint16_t want[] = {15, 26, 36, 46};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    misses(sys, &l, 10);
    hits(sys, &l, 190);
    kp_clock_advance(sys, 3000);
    assert_int_equal(l.depth, want[i]);
    assert_int_equal(l.last_total_allocates, 200 * (i + 1));
    assert_int_equal(l.last_allocate_misses, 10 * (i + 1));
  }
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

static void test_idle_shrink(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t l;
  new_list(sys, &l, 0);
  for (int i = 0; i < 3; i++) {
    misses(sys, &l, 100);
    kp_clock_advance(sys, 3000);
  }
  assert_int_equal(l.depth, 94);
  /* Fewer than 25 allocations a second (74 in 3 s): -10 a scan, down to 4. */
  static const uint16_t want[] = {84, 74, 64, 54, 44, 34, 24, 14, 4, 4};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    hits(sys, &l, 74);
    kp_clock_advance(sys, 3000);
    assert_int_equal(l.depth, want[i]);
  }
  /* Entirely idle too. */
  misses(sys, &l, 100);
  kp_clock_advance(sys, 3000);
  assert_int_equal(l.depth, 34);
  kp_clock_advance(sys, 6000);
  assert_int_equal(l.depth, 14);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

static void test_low_miss_shrink(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t l;
  new_list(sys, &l, 0);
  misses(sys, &l, 100);
  kp_clock_advance(sys, 3000);
  assert_int_equal(l.depth, 34);
  /* Exactly 75 allocations (the threshold), no miss: Ratio 0, -1. */
  hits(sys, &l, 75);
  kp_clock_advance(sys, 3000);
  assert_int_equal(l.depth, 33);
  /* 1000 allocations, 4 misses: Ratio 4 (< 5), -1 a scan. */
  static const uint16_t want[] = {32, 31, 30};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    misses(sys, &l, 4);
    hits(sys, &l, 996);
    kp_clock_advance(sys, 3000);
    assert_int_equal(l.depth, want[i]);
  }
  /* 5 misses in 1000 is Ratio 5: grows by 5 * (256 - 30) / 2000 + 5 = 5. */
  misses(sys, &l, 5);
  hits(sys, &l, 995);
  kp_clock_advance(sys, 3000);
  assert_int_equal(l.depth, 35);
  /* It never goes below the minimum depth. */
  kp_lookaside_set_depth(sys, &l, 5);
  for (int i = 0; i < 3; i++) {
    hits(sys, &l, 500);
    kp_clock_advance(sys, 3000);
  }
  assert_int_equal(l.depth, 4);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

static void test_free_misses_play_no_part(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  _Alignas(16) kp_lookaside_t l;
  new_list(sys, &l, 0);
  misses(sys, &l, 100);
  hits(sys, &l, 900);
  /* Lots of free misses: 96 of the 100 frees went to pool. */
  assert_int_equal(l.free_misses, 96);
  kp_clock_advance(sys, 3000);
  /* Ratio = 100 * 1000 / 1000 = 100: Delta = 100 * 252 / 2000 + 5 = 17. */
  assert_int_equal(l.depth, 21);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * Custom constants.
 * ------------------------------------------------------------------------- */
static void test_custom_constants(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
  cfg.lookaside_minimum_depth = 6;
  cfg.lookaside_maximum_depth = 100;
  cfg.lookaside_alloc_threshold = 10;
  cfg.lookaside_idle_decrement = 2;
  cfg.lookaside_lowmiss_decrement = 3;
  cfg.lookaside_grow_base = 7;
  cfg.lookaside_grow_max = 50;
  cfg.lookaside_scan_period = 1; /* every group every second */
  kp_system_t *sys = make(&cfg);
  _Alignas(16) kp_lookaside_t l;
  _Alignas(16) kp_lookaside_t p;
  new_list(sys, &l, 0);
  new_list(sys, &p, KP_POOL_TYPE_PAGED);
  assert_int_equal(l.depth, 6);
  assert_int_equal(l.maximum_depth, 100);
  /* All misses: Delta = 1000 * (100 - D) / 2000 + 7, at most 50. */
  static const uint16_t grow[] = {56, 85, 99, 100};
  for (size_t i = 0; i < sizeof grow / sizeof grow[0]; i++) {
    misses(sys, &l, 20);
    misses(sys, &p, 20);
    kp_clock_advance(sys, 1000);
    assert_int_equal(l.depth, grow[i]);
    assert_int_equal(p.depth, grow[i]);
  }
  /* Idle (5 < 1 * 10 allocations): -2. */
  hits(sys, &l, 5);
  kp_clock_advance(sys, 1000);
  assert_int_equal(l.depth, 98);
  /* Busy without misses: -3. */
  hits(sys, &l, 20);
  kp_clock_advance(sys, 1000);
  assert_int_equal(l.depth, 95);
  /* Idle down to the minimum 6. */
  kp_clock_advance(sys, 60000);
  assert_int_equal(l.depth, 6);
  assert_int_equal(p.depth, 6);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_lookaside_delete(sys, &p, KP_HERE);
  kp_system_destroy(sys);
}

static void test_longer_scan_period(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
  cfg.lookaside_scan_period = 6;
  kp_system_t *sys = make(&cfg);
  _Alignas(16) kp_lookaside_t l;
  new_list(sys, &l, 0);
  /* 149 allocations in 6 s is below 6 * 25: idle. */
  misses(sys, &l, 100);
  kp_clock_advance(sys, 1000); /* second 1: scanned (100 < 150: idle) */
  assert_int_equal(l.depth, 4);
  assert_int_equal(l.last_total_allocates, 100);
  misses(sys, &l, 150);
  kp_clock_advance(sys, 5000); /* seconds 2..6: not this list */
  assert_int_equal(l.depth, 4);
  assert_int_equal(l.last_total_allocates, 100);
  kp_clock_advance(sys, 1000); /* second 7: 150 misses, grows */
  assert_int_equal(l.depth, 34);
  assert_int_equal(l.last_total_allocates, 250);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * The same through the WDK names.
 * ------------------------------------------------------------------------- */
static void test_wdk_list_grows_and_shrinks(void **state) {
  (void)state;
  kp_system_t *sys = make_default();
  kp_system_set_current(sys);
  NPAGED_LOOKASIDE_LIST l;
  ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 64, TAG, 0);
  void *e[100];
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 100; i++) e[i] = ExAllocateFromNPagedLookasideList(&l);
    for (int i = 0; i < 100; i++) ExFreeToNPagedLookasideList(&l, e[i]);
    kp_clock_advance(sys, 3000);
  }
  /* Round 1: 100 misses -> 34. Round 2: 4 hits, 96 misses, Ratio 960:
   * Delta = 960 * (256 - 34) / 2000 + 5 = 111 -> 30 -> 64. */
  assert_int_equal(l.L.Depth, 64);
  assert_int_equal(l.L.LastTotalAllocates, 200);
  assert_int_equal(l.L.LastAllocateMisses, 196);
  assert_int_equal(ExQueryDepthSList(&l.L.ListHead), 34);
  kp_clock_advance(sys, 9000);
  assert_int_equal(l.L.Depth, 34);
  ExDeleteNPagedLookasideList(&l);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_robin_every_three_seconds),
      cmocka_unit_test(test_manual_scan_counts_in_round_robin),
      cmocka_unit_test(test_round_robin_phase_counts_from_boot),
      cmocka_unit_test(test_growth_all_misses),
      cmocka_unit_test(test_growth_five_percent_misses),
      cmocka_unit_test(test_idle_shrink),
      cmocka_unit_test(test_low_miss_shrink),
      cmocka_unit_test(test_free_misses_play_no_part),
      cmocka_unit_test(test_custom_constants),
      cmocka_unit_test(test_longer_scan_period),
      cmocka_unit_test(test_wdk_list_grows_and_shrinks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
