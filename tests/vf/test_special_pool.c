/*
 * test_special_pool.c — special pool (KP_VERIFY_SPECIAL_POOL): placement in
 * overrun and underrun mode, guard pages (0xD6), the pattern checked at
 * free (0xC1/0x23, 0x24), freed pages kept inaccessible (0xD5) in a bounded
 * FIFO, the budget's fallback to normal pool with Driver Verifier's
 * counters, selection by tag, size, flag and priority, and the free path's
 * checks on special blocks.
 *
 * Tests that write into the pattern bytes on purpose turn
 * kp_config_t::sanitizer_poisoning off: under ASan those bytes are
 * poisoned and ASan would report the write before kpool's own check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TSP_VALGRIND 1
#endif
#endif

#include "kp_test_util.h"
#include "kpool/cmocka.h"
#include "kpool/pool3.h"

#define SP_TAG KP_TAG('S', 'p', 'c', '1')

static int setup_special(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

/* Special pool for every allocation, pattern bytes not poisoned. */
static int setup_special_raw(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.sanitizer_poisoning = false;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static int setup_underrun_raw(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_underrun = true;
  cfg.sanitizer_poisoning = false;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

/* Under Valgrind, Memcheck reports each deliberate touch of a guard or
 * freed page too (an inaccessible page); these tests want only kpool's
 * bug check, so they silence Memcheck around them. */
static void quiet_begin(void) {
#if defined(TSP_VALGRIND)
  VALGRIND_DISABLE_ERROR_REPORTING;
#endif
}
static void quiet_end(void) {
#if defined(TSP_VALGRIND)
  VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

/* KPT_EXPECT_BUGCHECK for a statement that faults on purpose. */
#define EXPECT_FAULT(code_, p1_, stmt)                                         \
  do {                                                                         \
    quiet_begin();                                                             \
    KPT_EXPECT_BUGCHECK(code_, p1_, stmt);                                     \
    quiet_end();                                                               \
  } while (0)

/* Touches memory that may fault. The fences keep the compiler from moving
 * the bug check catcher's setup (a plain global that only the signal
 * handler reads) past the access, or dropping it. */
static void poke(volatile uint8_t *p, uint8_t value) {
  atomic_signal_fence(memory_order_seq_cst);
  *p = value;
  atomic_signal_fence(memory_order_seq_cst);
}

/* Where peek() stores what it read: a value nobody uses lets Valgrind's
 * JIT drop the load, and with it the fault. */
static volatile uint8_t peek_sink;

static uint8_t peek(volatile const uint8_t *p) {
  atomic_signal_fence(memory_order_seq_cst);
  uint8_t v = *p;
  peek_sink = v;
  atomic_signal_fence(memory_order_seq_cst);
  return v;
}

static bool is_special(kp_system_t *sys, const void *p) {
  return kp_special_pool_query(sys, p, NULL);
}

/* ---------------------------------------------------------------------------
 * Placement.
 * ------------------------------------------------------------------------- */
static void test_overrun_mode_block_ends_at_page_end(void **state) {
  kp_system_t *sys = *state;
  size_t sizes[] = {1, 15, 16, 24, 100, 4000, KP_SPECIAL_POOL_MAX_SIZE};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint8_t *p = kp_alloc2(sys, KPT_NP, sizes[k], SP_TAG, KP_HERE);
    assert_non_null(p);
    kp_special_info_t info;
    assert_true(kp_special_pool_query(sys, p, &info));
    assert_ptr_equal(info.block, p);
    assert_int_equal(info.size, sizes[k]);
    assert_false(info.underrun);
    assert_int_equal((uintptr_t)p % 16, 0);
    uint8_t *page_end = (uint8_t *)info.page + info.page_size;
    // Ends at the page end, rounded down to 16: at most 15 slop bytes.
    assert_true(p + sizes[k] <= page_end);
    assert_true((size_t)(page_end - (p + sizes[k])) < 16);
    assert_int_equal(info.slop, (size_t)(page_end - (p + sizes[k])));
    assert_ptr_equal(info.guard, page_end);
    assert_int_equal(kp_block_size(sys, p, NULL), (sizes[k] + 15) & ~(size_t)15);
    kp_free(sys, p, SP_TAG, KP_HERE);
  }
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

static void test_underrun_mode_block_at_page_start(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 40, SP_TAG, KP_HERE);
  kp_special_info_t info;
  assert_true(kp_special_pool_query(sys, p, &info));
  assert_true(info.underrun);
  assert_ptr_equal(info.page, p);
  assert_ptr_equal((uint8_t *)info.guard + info.page_size, p);
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_cache_aligned_in_special_pool(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_CACHE_ALIGNED, 70, SP_TAG, KP_HERE);
  kp_special_info_t info;
  assert_true(kp_special_pool_query(sys, p, &info));
  assert_int_equal((uintptr_t)p % 64, 0);
  assert_true(info.slop < 64);
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_contents_zeroed_or_filled_and_pattern(void **state) {
  kp_system_t *sys = *state;
  uint8_t *z = kp_alloc2(sys, KPT_NP, 50, SP_TAG, KP_HERE);
  uint8_t *u = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_UNINITIALIZED, 50, SP_TAG, KP_HERE);
  for (int i = 0; i < 50; i++) {
    assert_int_equal(z[i], 0);
    assert_int_equal(u[i], 0xCD);
  }
  kp_special_info_t info;
  assert_true(kp_special_pool_query(sys, z, &info));
  assert_int_equal(info.fill, 0x5A);
  // The pattern before the block (kpool's bytes) is intact at free.
  kp_free(sys, z, SP_TAG, KP_HERE);
  kp_free(sys, u, SP_TAG, KP_HERE);
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

/* ---------------------------------------------------------------------------
 * Guard pages and the pattern.
 * ------------------------------------------------------------------------- */
static void test_overrun_write_faults_0xD6(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 32, SP_TAG, KP_HERE);
  volatile uint8_t *v = p;
  EXPECT_FAULT(0xD6, (uintptr_t)(p + 32), poke(&v[32], 1));
  assert_int_equal(kpt_last.p[2], 0); // referencing address: not known
  assert_int_equal(kpt_last.p[3], 0);
#if defined(__linux__) && defined(__x86_64__)
  assert_int_equal(kpt_last.p[1], 1); // a write
#endif
  assert_true(kpt_last.has_block);
  assert_int_equal(kpt_last.block.tag, SP_TAG);
  assert_int_equal(kpt_last.block.size, 32);
  assert_non_null(strstr(kpt_last.explanation, "past the end"));
  assert_non_null(strstr(kpt_last.explanation, "Spc1"));
  assert_non_null(strstr(kpt_last.explanation, "test_special_pool.c:"));
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_overrun_read_faults_0xD6_read(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 48, SP_TAG, KP_HERE);
  volatile uint8_t *v = p;
  uint8_t sink = 0;
  EXPECT_FAULT(0xD6, (uintptr_t)(p + 48 + 100), sink = peek(&v[48 + 100]));
  (void)sink;
#if defined(__linux__) && defined(__x86_64__)
  assert_int_equal(kpt_last.p[1], 0); // a read
#endif
  assert_int_equal(kpt_last.block.size, 48);
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_underrun_faults_in_underrun_mode(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 64, SP_TAG, KP_HERE);
  volatile uint8_t *v = p;
  EXPECT_FAULT(0xD6, (uintptr_t)(p - 1), poke(&v[-1], 7));
  assert_non_null(strstr(kpt_last.explanation, "before the start"));
  assert_int_equal(kpt_last.block.size, 64);
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_slop_overwrite_found_at_free_0xC1_24(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 20, SP_TAG, KP_HERE); // 12 bytes of slop
  p[20] = 0x11;
  KPT_EXPECT_BUGCHECK(0xC1, (uintptr_t)p, kp_free(sys, p, SP_TAG, KP_HERE));
  assert_int_equal(kpt_last.p[1], 20);
  assert_int_equal(kpt_last.p[2], (uintptr_t)(p + 20));
  assert_int_equal(kpt_last.p[3], KP_C1_PATTERN_AFTER);
  assert_non_null(strstr(kpt_last.explanation, "0x11"));
  // The free was abandoned: the block is still live; repaired, it frees.
  assert_true(is_special(sys, p));
  p[20] = 0x5A;
  KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, p, SP_TAG, KP_HERE));
}

static void test_bytes_before_block_found_at_free_0xC1_23(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 100, SP_TAG, KP_HERE);
  p[-3] = 0;
  KPT_EXPECT_BUGCHECK(0xC1, (uintptr_t)p, kp_free(sys, p, SP_TAG, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)(p - 3));
  assert_int_equal(kpt_last.p[3], KP_C1_PATTERN_BEFORE);
  p[-3] = 0x5A;
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_overrun_in_underrun_mode_found_at_free(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 64, SP_TAG, KP_HERE);
  p[64 + 200] = 1; // no guard after the block in underrun mode
  KPT_EXPECT_BUGCHECK(0xC1, (uintptr_t)p, kp_free(sys, p, SP_TAG, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_C1_PATTERN_AFTER);
  assert_int_equal(kpt_last.p[2], (uintptr_t)(p + 264));
  p[64 + 200] = 0x5A;
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_configurable_pattern(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_fill = 0xA7;
  cfg.sanitizer_poisoning = false;
  kp_system_t *sys = kpt_system(&cfg);
  uint8_t *p = kp_alloc2(sys, KPT_NP, 8, SP_TAG, KP_HERE);
  assert_int_equal(p[8], 0xA7);
  assert_int_equal(p[-1], 0xA7);
  kp_free(sys, p, SP_TAG, KP_HERE);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * Freed pages.
 * ------------------------------------------------------------------------- */
static void test_use_after_free_faults_0xD5_with_both_sites(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 16, SP_TAG, kp_site("alloc_site.c", 11, NULL));
  kp_free(sys, p, SP_TAG, kp_site("free_site.c", 22, NULL));
  assert_false(is_special(sys, p));
  volatile uint8_t *v = p;
  uint8_t sink = 0;
  EXPECT_FAULT(0xD5, (uintptr_t)(p + 4), sink = peek(&v[4]));
  (void)sink;
  assert_true(kpt_last.has_block);
  assert_int_equal(kpt_last.block.site.line, 11);
  assert_true(kpt_last.has_free_site);
  assert_int_equal(kpt_last.free_site.line, 22);
  assert_non_null(strstr(kpt_last.explanation, "alloc_site.c:11"));
  assert_non_null(strstr(kpt_last.explanation, "free_site.c:22"));
#if defined(__linux__) && defined(__x86_64__)
  assert_int_equal(kpt_last.p[1], 0);
  EXPECT_FAULT(0xD5, (uintptr_t)p, poke(&v[0], 1));
  assert_int_equal(kpt_last.p[1], 1);
#endif
}

static void test_freed_fifo_is_bounded_and_pages_are_reused(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_pages = 4;
  cfg.special_pool_freed_pages = 2;
  kp_system_t *sys = kpt_system(&cfg);
  uint8_t *b[4];
  kp_special_info_t info[4];
  for (int i = 0; i < 4; i++) {
    b[i] = kp_alloc2(sys, KPT_NP, 32, SP_TAG, KP_HERE);
    assert_true(kp_special_pool_query(sys, b[i], &info[i]));
  }
  kp_free(sys, b[0], SP_TAG, KP_HERE);
  kp_free(sys, b[1], SP_TAG, KP_HERE);
  kp_free(sys, b[2], SP_TAG, KP_HERE); // the FIFO holds 2: b[0] leaves it
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.special_live, 1);
  assert_int_equal(c.special_freed_kept, 3); // 2 in the FIFO, 1 recycled
  // The next block takes b[0]'s page (out of the FIFO first) ...
  uint8_t *e = kp_alloc2(sys, KPT_NP, 32, SP_TAG, KP_HERE);
  kp_special_info_t ie;
  assert_true(kp_special_pool_query(sys, e, &ie));
  assert_ptr_equal(ie.page, info[0].page);
  // ... while b[1] and b[2] still fault.
  volatile uint8_t *v = b[1];
  EXPECT_FAULT(0xD5, (uintptr_t)b[1], poke(&v[0], 1));
  // When every other page is live, the FIFO gives up its oldest page.
  uint8_t *f = kp_alloc2(sys, KPT_NP, 32, SP_TAG, KP_HERE);
  kp_special_info_t iff;
  assert_true(kp_special_pool_query(sys, f, &iff));
  assert_ptr_equal(iff.page, info[1].page);
  v = b[2];
  EXPECT_FAULT(0xD5, (uintptr_t)b[2], poke(&v[0], 1));
  kp_free(sys, e, SP_TAG, KP_HERE);
  kp_free(sys, f, SP_TAG, KP_HERE);
  kp_free(sys, b[3], SP_TAG, KP_HERE);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * Budget, counters, selection.
 * ------------------------------------------------------------------------- */
static void test_budget_exhausted_falls_back_and_counts(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_pages = 2;
  kp_system_t *sys = kpt_system(&cfg);
  void *p[3];
  for (int i = 0; i < 3; i++) {
    p[i] = kp_alloc2(sys, KPT_NP, 64, SP_TAG, KP_HERE);
    assert_non_null(p[i]); // all succeed
  }
  assert_true(is_special(sys, p[0]));
  assert_true(is_special(sys, p[1]));
  assert_false(is_special(sys, p[2])); // normal pool
  kp_block_info_t bi;
  assert_true(kp_block_query(sys, p[2], &bi));
  assert_int_equal(bi.flags & KP_POOL_FLAG_SPECIAL_POOL, 0);
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.allocations_succeeded_special, 2);
  assert_int_equal(c.allocations_succeeded, 3);
  assert_int_equal(c.allocations_attempted, 3);
  assert_int_equal(c.special_eligible, 3);
  assert_int_equal(c.special_fallbacks, 1);
  assert_int_equal(c.special_pages, 2);
  kpt_output_reset();
  kp_verifier_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Pool Allocations Succeeded SpecialPool  2"));
  assert_non_null(strstr(kpt_output, "Pool Allocations Succeeded              3"));
  assert_non_null(strstr(kpt_output, "fewer than 95%"));
  for (int i = 0; i < 3; i++) kp_free(sys, p[i], SP_TAG, KP_HERE);
  kp_verifier_counters_t bad = {.size = 3};
  assert_false(kp_verifier_counters_get(sys, &bad));
  assert_false(kp_verifier_counters_get(NULL, &c));
  kp_system_destroy(sys);
}

static void test_selection_by_tag_patterns(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_tags = "Sp?1 Dr*";
  kp_system_t *sys = kpt_system(&cfg);
  struct {
    kp_tag_t tag;
    bool special;
  } cases[] = {{KP_TAG('S', 'p', 'x', '1'), true},  {KP_TAG('S', 'p', 'x', '2'), false},
               {KP_TAG('D', 'r', 'v', '9'), true},  {KP_TAG('D', 'r', 0, 0), true},
               {KP_TAG('T', 'a', 'g', '1'), false}, {KP_TAG('x', 'D', 'r', 'v'), false}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    void *p = kp_alloc2(sys, KPT_NP, 10, cases[i].tag, KP_HERE);
    assert_non_null(p);
    assert_int_equal(is_special(sys, p), cases[i].special);
    kp_free(sys, p, cases[i].tag, KP_HERE);
  }
  kp_system_destroy(sys);
}

static void test_selection_by_size_range(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_min_size = 17;
  cfg.special_pool_max_size = 32;
  kp_system_t *sys = kpt_system(&cfg);
  size_t sizes[] = {16, 17, 32, 33};
  bool want[] = {false, true, true, false};
  for (int i = 0; i < 4; i++) {
    void *p = kp_alloc2(sys, KPT_PG, sizes[i], SP_TAG, KP_HERE);
    assert_int_equal(is_special(sys, p), want[i]);
    kp_free(sys, p, SP_TAG, KP_HERE);
  }
  kp_system_destroy(sys);
}

static void test_selection_per_allocation_flag_and_priority(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_tags = "Zzzz"; // matches nothing used here
  kp_system_t *sys = kpt_system(&cfg);
  void *plain = kp_alloc2(sys, KPT_NP, 40, SP_TAG, KP_HERE);
  assert_false(is_special(sys, plain));
  void *flagged = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_SPECIAL_POOL, 40, SP_TAG, KP_HERE);
  kp_special_info_t info;
  assert_true(kp_special_pool_query(sys, flagged, &info));
  assert_false(info.underrun); // the configured mode
  void *under = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_NONPAGED_NX, 40,
                                SP_TAG, KP_PRIORITY_NORMAL_SPECIAL_UNDERRUN, KP_HERE);
  assert_true(kp_special_pool_query(sys, under, &info));
  assert_true(info.underrun);
  assert_ptr_equal(info.page, under);
  void *over = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_PAGED, 40,
                               SP_TAG, KP_PRIORITY_LOW_SPECIAL_OVERRUN, KP_HERE);
  assert_true(kp_special_pool_query(sys, over, &info));
  assert_false(info.underrun);
  void *normal_prio = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_PAGED, 40,
                                      SP_TAG, KP_PRIORITY_HIGH, KP_HERE);
  assert_false(is_special(sys, normal_prio));
  kp_free(sys, plain, SP_TAG, KP_HERE);
  kp_free(sys, flagged, SP_TAG, KP_HERE);
  kp_free(sys, under, SP_TAG, KP_HERE);
  kp_free(sys, over, SP_TAG, KP_HERE);
  kp_free(sys, normal_prio, SP_TAG, KP_HERE);
  kp_system_destroy(sys);
}

static void test_priority_overrides_configured_underrun(void **state) {
  kp_system_t *sys = *state; // underrun configured
  void *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_NONPAGED_NX, 40,
                            SP_TAG, KP_PRIORITY_HIGH_SPECIAL_OVERRUN, KP_HERE);
  kp_special_info_t info;
  assert_true(kp_special_pool_query(sys, p, &info));
  assert_false(info.underrun);
  kp_free(sys, p, SP_TAG, KP_HERE);
}

static void test_no_special_pool_without_the_flag(void **state) {
  kp_system_t *sys = *state; // default config: special pool off
  void *p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_SPECIAL_POOL, 40, SP_TAG, KP_HERE);
  assert_non_null(p);
  assert_false(is_special(sys, p));
  void *q = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_PAGED, 40, SP_TAG,
                            KP_PRIORITY_NORMAL_SPECIAL_OVERRUN, KP_HERE);
  assert_false(is_special(sys, q));
  kp_free(sys, p, SP_TAG, KP_HERE);
  kp_free(sys, q, SP_TAG, KP_HERE);
  assert_false(kp_special_pool_query(NULL, p, NULL));
  assert_false(kp_special_pool_query(sys, NULL, NULL));
}

static void test_requests_bigger_than_a_page_use_normal_pool(void **state) {
  kp_system_t *sys = *state;
  void *a = kp_alloc2(sys, KPT_NP, KP_SPECIAL_POOL_MAX_SIZE, SP_TAG, KP_HERE);
  void *b = kp_alloc2(sys, KPT_NP, KP_SPECIAL_POOL_MAX_SIZE + 1, SP_TAG, KP_HERE);
  void *c = kp_alloc2(sys, KPT_NP, 20000, SP_TAG, KP_HERE);
  assert_true(is_special(sys, a));
  assert_false(is_special(sys, b));
  assert_false(is_special(sys, c));
  kp_free(sys, a, SP_TAG, KP_HERE);
  kp_free(sys, b, SP_TAG, KP_HERE);
  kp_free(sys, c, SP_TAG, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * The free path and the rest of the core on special blocks.
 * ------------------------------------------------------------------------- */
static void test_free_misuse_on_special_blocks(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 64, SP_TAG, kp_site("a.c", 1, NULL));
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)p);
  assert_int_equal(kpt_last.p[2], SP_TAG);
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free(sys, p + 8, SP_TAG, KP_HERE));   // interior
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free(sys, p - 16, SP_TAG, KP_HERE));  // pattern
  kp_free(sys, p, SP_TAG, kp_site("b.c", 2, NULL));
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, kp_free(sys, p, SP_TAG, KP_HERE));       // double
  assert_int_equal(kpt_last.p[2], (uintptr_t)p);
  assert_true(kpt_last.has_free_site);
  assert_int_equal(kpt_last.free_site.line, 2);
}

static void test_free_misuse_retail_codes(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags = KP_VERIFY_SPECIAL_POOL | KP_VERIFY_POOL_TRACKING;
  kp_system_t *sys = kpt_system(&cfg);
  uint8_t *p = kp_alloc2(sys, KPT_NP, 64, SP_TAG, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC1, (uintptr_t)(p - 16), kp_free(sys, p - 16, SP_TAG, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_C1_NOT_ALLOCATED);
  KPT_EXPECT_BUGCHECK(0xC2, 0x99, kp_free(sys, p + 1, SP_TAG, KP_HERE));
  kp_free(sys, p, SP_TAG, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC2, 0x07, kp_free(sys, p, SP_TAG, KP_HERE));
  kp_system_destroy(sys);
}

static void test_free_at_wrong_irql(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *old = kp_system_set_current(sys);
  void *p = kp_alloc2(sys, KPT_PG, 64, SP_TAG, KP_HERE);
  kp_irql_t was = kp_irql_raise(KP_DISPATCH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x11, kp_free(sys, p, SP_TAG, KP_HERE));
  kp_irql_lower(was);
  assert_true(is_special(sys, p)); // the free was abandoned
  kp_free(sys, p, SP_TAG, KP_HERE);
  kp_system_set_current(old);
}

static void test_stats_query_and_leak_report_see_special_blocks(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 100, SP_TAG, KP_HERE);
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, SP_TAG, KP_POOL_PAGED, &ts));
  assert_int_equal(ts.allocs, 1);
  assert_int_equal(ts.bytes, 16 + 112);
  kp_block_info_t bi;
  assert_true(kp_block_query(sys, p + 50, &bi)); // interior pointer too
  assert_ptr_equal(bi.address, p);
  assert_int_equal(bi.tag, SP_TAG);
  assert_int_equal(bi.pool, KP_POOL_PAGED);
  assert_true((bi.flags & KP_POOL_FLAG_SPECIAL_POOL) != 0);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[3], 1);
  assert_non_null(strstr(kpt_output, "Spc1"));
  kp_free(sys, p, SP_TAG, KP_HERE);
  assert_true(kp_stats_tag(sys, SP_TAG, KP_POOL_PAGED, &ts));
  assert_int_equal(ts.frees, 1);
  assert_int_equal(ts.bytes, 0);
}

static void test_quota_is_charged_and_returned(void **state) {
  kp_system_t *sys = *state;
  kp_quota_t q;
  assert_int_equal(kp_quota_query(sys, &q), KP_STATUS_SUCCESS);
  size_t before = q.used;
  void *p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 100, SP_TAG, KP_HERE);
  assert_true(is_special(sys, p));
  bool charged = false;
  assert_int_equal(kp_block_size(sys, p, &charged), 112);
  assert_true(charged);
  assert_int_equal(kp_quota_query(sys, &q), KP_STATUS_SUCCESS);
  assert_int_equal(q.used, before + 16 + 112);
  kp_free(sys, p, SP_TAG, KP_HERE);
  assert_int_equal(kp_quota_query(sys, &q), KP_STATUS_SUCCESS);
  assert_int_equal(q.used, before);
  // Over the quota: the allocation fails as it would in normal pool.
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.quota_limit = 100;
  kp_system_t *small = kpt_system(&cfg);
  assert_null(kp_alloc2(small, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 100, SP_TAG, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_QUOTA_EXCEEDED,
                   (void)kp_alloc2(small, KPT_NP | KP_POOL_FLAG_USE_QUOTA | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   100, SP_TAG, KP_HERE));
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(small, &c));
  assert_int_equal(c.allocations_succeeded_special, 0);
  assert_int_equal(c.allocations_failed, 2);
  kp_system_destroy(small);
}

static void test_handler_that_returns_lets_the_access_complete(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 16, SP_TAG, KP_HERE);
  volatile uint8_t *v = p;
  kpt_reset_caught();
  quiet_begin();
  poke(&v[16], 3); // kpt_handler returns (no KPT_CATCH): the guard is opened
  quiet_end();
  assert_int_equal(kpt_last.count, 1);
  assert_int_equal(kpt_last.code, 0xD6);
  assert_int_equal(v[16], 3);
  kp_free(sys, p, SP_TAG, KP_HERE);
  // The page is reused and guarded again.
  uint8_t *q = kp_alloc2(sys, KPT_NP, 16, SP_TAG, KP_HERE);
  volatile uint8_t *w = q;
  EXPECT_FAULT(0xD6, (uintptr_t)(q + 16), poke(&w[16], 1));
  kp_free(sys, q, SP_TAG, KP_HERE);
}

static void test_fault_handler_is_rearmed_by_allocations(void **state) {
  kp_system_t *sys = *state;
  // Something (a test framework) replaces the process's handler ...
  kp_verifier_arm_fault_handler();
  uint8_t *p = kp_alloc2(sys, KPT_NP, 16, SP_TAG, KP_HERE);
  volatile uint8_t *v = p;
  // ... the allocation re-armed kpool's; the guard still bug checks.
  EXPECT_FAULT(0xD6, (uintptr_t)(p + 16), poke(&v[16], 1));
  kp_free(sys, p, SP_TAG, KP_HERE);
}

typedef struct worker {
  kp_system_t *sys;
  int rounds;
  int failures;
} worker_t;

static void *special_worker(void *arg) {
  worker_t *w = arg;
  void *live[8] = {0};
  for (int i = 0; i < w->rounds; i++) {
    int slot = i % 8;
    if (live[slot] != NULL) kp_free(w->sys, live[slot], SP_TAG, KP_HERE);
    size_t size = (size_t)(1 + (i * 37) % 2000);
    live[slot] = kp_alloc2(w->sys, (i & 1) ? KPT_NP : KPT_PG, size, SP_TAG, KP_HERE);
    if (live[slot] == NULL) {
      w->failures++;
    } else {
      memset(live[slot], 0x42, size);
    }
  }
  for (int slot = 0; slot < 8; slot++)
    if (live[slot] != NULL) kp_free(w->sys, live[slot], SP_TAG, KP_HERE);
  return NULL;
}

static void test_threads_allocate_and_free_concurrently(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  cfg.special_pool_pages = 24; // smaller than the live set: fallbacks too
  cfg.special_pool_freed_pages = 4;
  kp_system_t *sys = kpt_system(&cfg);
  worker_t w[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker_t){sys, 2000, 0};
    assert_int_equal(pthread_create(&th[i], NULL, special_worker, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++) assert_int_equal(w[i].failures, 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.special_live, 0);
  assert_int_equal(c.special_eligible, 8000);
  assert_true(c.allocations_succeeded_special > 0);
  assert_int_equal(c.allocations_succeeded_special + c.special_fallbacks, 8000);
  kp_system_destroy(sys);
}

static void test_config_validation(void **state) {
  (void)state;
  kp_config_t base;
  kp_config_init(&base);
  assert_int_equal(base.special_pool_pages, 4096);
  assert_int_equal(base.special_pool_freed_pages, 1024);
  assert_int_equal(base.special_pool_fill, 0x5A);
  assert_false(base.special_pool_underrun);
  assert_null(base.special_pool_tags);
  assert_true(base.sanitizer_poisoning);
  kp_config_t cfg = base;
  cfg.special_pool_pages = 0;
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.special_pool_pages = (1u << 20) + 1;
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.special_pool_min_size = 64;
  cfg.special_pool_max_size = 32;
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.special_pool_min_size = 64; // a minimum without a maximum
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.special_pool_tags = "ThisPatternIsFarTooLongToBeATagPattern";
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.special_pool_tags = "a b c d e f g h i j k l m n o p q"; // 17 patterns
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.special_pool_tags = "  ";
  kp_system_t *sys = kp_system_create(&cfg);
  assert_non_null(sys);
  kp_system_destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_overrun_mode_block_ends_at_page_end, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_underrun_mode_block_at_page_start, setup_underrun_raw, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_cache_aligned_in_special_pool, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_contents_zeroed_or_filled_and_pattern, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_overrun_write_faults_0xD6, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_overrun_read_faults_0xD6_read, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_underrun_faults_in_underrun_mode, setup_underrun_raw, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_slop_overwrite_found_at_free_0xC1_24, setup_special_raw, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_bytes_before_block_found_at_free_0xC1_23, setup_special_raw, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_overrun_in_underrun_mode_found_at_free, setup_underrun_raw, kpt_teardown),
      cmocka_unit_test(test_configurable_pattern),
      cmocka_unit_test_setup_teardown(test_use_after_free_faults_0xD5_with_both_sites, setup_special, kpt_teardown),
      cmocka_unit_test(test_freed_fifo_is_bounded_and_pages_are_reused),
      cmocka_unit_test(test_budget_exhausted_falls_back_and_counts),
      cmocka_unit_test(test_selection_by_tag_patterns),
      cmocka_unit_test(test_selection_by_size_range),
      cmocka_unit_test(test_selection_per_allocation_flag_and_priority),
      cmocka_unit_test_setup_teardown(test_priority_overrides_configured_underrun, setup_underrun_raw, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_no_special_pool_without_the_flag, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_requests_bigger_than_a_page_use_normal_pool, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_misuse_on_special_blocks, setup_special, kpt_teardown),
      cmocka_unit_test(test_free_misuse_retail_codes),
      cmocka_unit_test_setup_teardown(test_free_at_wrong_irql, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_stats_query_and_leak_report_see_special_blocks, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quota_is_charged_and_returned, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_handler_that_returns_lets_the_access_complete, setup_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fault_handler_is_rearmed_by_allocations, setup_special, kpt_teardown),
      cmocka_unit_test(test_threads_allocate_and_free_concurrently),
      cmocka_unit_test(test_config_validation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
