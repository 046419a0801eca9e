/*
 * test_alloc.c — the allocation entry points' rules: ExAllocatePool2's
 * POOL_FLAGS (required vs optional, pool type, zeroing, cache alignment,
 * raise, quota), the legacy POOL_TYPE table, tag rules, zero size, IRQL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return false;
  return true;
}

static void test_pool2_zeroes_by_default(void **state) {
  kp_system_t *sys = *state;
  size_t sizes[] = {1, 16, 100, 4000, 5000, 20000};
  for (size_t i = 0; i < 6; i++) {
    uint8_t *p = kp_alloc2(sys, KPT_NP, sizes[i], KPT_TAG1, KP_HERE);
    assert_non_null(p);
    assert_true(all_bytes(p, sizes[i], 0));
    memset(p, 0x77, sizes[i]);
    kp_free(sys, p, KPT_TAG1, KP_HERE);
  }
}

static void test_pool2_uninitialized_is_pattern_filled(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG | KP_POOL_FLAG_UNINITIALIZED, 300, KPT_TAG1, KP_HERE);
  assert_non_null(p);
  assert_true(all_bytes(p, 300, 0xCD));
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static int setup_custom_fill(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.uninit_fill = 0x3C;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_uninit_fill_is_configurable(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_UNINITIALIZED, 64, KPT_TAG1, KP_HERE);
  assert_true(all_bytes(p, 64, 0x3C));
  uint8_t *q = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, 0, 64, KPT_TAG1,
                               KP_PRIORITY_NORMAL, KP_HERE);
  assert_true(all_bytes(q, 64, 0x3C));
  kp_free(sys, p, 0, KP_HERE);
  kp_free(sys, q, 0, KP_HERE);
}

static void test_pool2_exactly_one_pool_type(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc2(sys, 0, 16, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc2(sys, KP_POOL_FLAG_UNINITIALIZED, 16, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_NP | KPT_PG, 16, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_NON_PAGED_EXECUTE, 16, KPT_TAG1, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_PG | KP_POOL_FLAG_NON_PAGED_EXECUTE, 16, KPT_TAG1, KP_HERE));
  struct {
    kp_pool_flags_t flag;
    kp_pool_kind_t kind;
    uint32_t pool_type;
  } ok[] = {{KPT_NP, KP_POOL_NONPAGED, 512},
            {KP_POOL_FLAG_NON_PAGED_EXECUTE, KP_POOL_NONPAGED, 0},
            {KPT_PG, KP_POOL_PAGED, 1}};
  for (int i = 0; i < 3; i++) {
    void *p = kp_alloc2(sys, ok[i].flag, 16, KPT_TAG1, KP_HERE);
    assert_non_null(p);
    kp_block_info_t info;
    assert_true(kp_block_query(sys, p, &info));
    assert_int_equal(info.pool, ok[i].kind);
    assert_int_equal(info.pool_type, ok[i].pool_type);
    kp_free(sys, p, KPT_TAG1, KP_HERE);
  }
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.pool[KP_POOL_NONPAGED].allocs + st.pool[KP_POOL_PAGED].allocs, 3);
}

static void test_pool2_unknown_required_bits_fail(void **state) {
  kp_system_t *sys = *state;
  kp_pool_flags_t bad[] = {KP_POOL_FLAG_SESSION,   KP_POOL_FLAG_RESERVED1,
                           KP_POOL_FLAG_RESERVED2, KP_POOL_FLAG_RESERVED3,
                           0x800,                  0x100000,
                           0x80000000ull};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_null(kp_alloc2(sys, KPT_NP | bad[i], 16, KPT_TAG1, KP_HERE));
}

static void test_pool2_unknown_optional_bits_ignored(void **state) {
  kp_system_t *sys = *state;
  kp_pool_flags_t opt[] = {KP_POOL_FLAG_SPECIAL_POOL, 1ull << 33, 1ull << 40,
                           1ull << 63, 0xFFFFFFFF00000000ull};
  for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
    void *p = kp_alloc2(sys, KPT_NP | opt[i], 16, KPT_TAG1, KP_HERE);
    assert_non_null(p);
    kp_free(sys, p, KPT_TAG1, KP_HERE);
  }
}

static void test_pool2_tag_zero_fails(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc2(sys, KPT_NP, 16, 0, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_PG, 16, 0, KP_HERE));
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

static void test_pool2_cache_aligned(void **state) {
  kp_system_t *sys = *state;
  void *keep[40];
  for (int i = 0; i < 40; i++) {
    keep[i] = kp_alloc2(sys, (i & 1 ? KPT_NP : KPT_PG) | KP_POOL_FLAG_CACHE_ALIGNED,
                        (size_t)(1 + i * 37), KPT_TAG1, KP_HERE);
    assert_non_null(keep[i]);
    assert_int_equal((uintptr_t)keep[i] % 64, 0);
  }
  for (int i = 0; i < 40; i++) kp_free(sys, keep[i], KPT_TAG1, KP_HERE);
}

static void test_pool2_raise_on_failure(void **state) {
  kp_system_t *sys = *state;
  volatile kp_status_t got = 0;
  void *volatile p = (void *)1;
  KP_TRY {
    p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE, 16, 0, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_INSUFFICIENT_RESOURCES);
  assert_ptr_equal(p, (void *)1);
  // Out of memory raises too.
  got = 0;
  KP_TRY {
    p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE, (size_t)64 << 20,
                  KPT_TAG1, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_INSUFFICIENT_RESOURCES);
  // Without the flag, the same failure is a NULL.
  assert_null(kp_alloc2(sys, KPT_NP, (size_t)64 << 20, KPT_TAG1, KP_HERE));
}

static void test_unhandled_raise_is_bugcheck_1e(void **state) {
  kp_system_t *sys = *state;
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)KP_STATUS_INSUFFICIENT_RESOURCES,
                      (void)kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                      16, 0, KP_HERE));
}

static void test_pool2_quota(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 40, KPT_TAG1, KP_HERE);
  bool charged = false;
  assert_int_equal(kp_block_size(sys, p, &charged), 48);
  assert_true(charged);
  void *q = kp_alloc2(sys, KPT_NP, 40, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_block_size(sys, q, &charged), 48);
  assert_false(charged);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  kp_free(sys, q, KPT_TAG1, KP_HERE);
}

static void test_zero_size_verifier(void **state) {
  kp_system_t *sys = *state;
  KPT_EXPECT_BUGCHECK(0xC4, 0x00, (void)kp_alloc2(sys, KPT_PG, 0, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], 0);  // IRQL
  assert_int_equal(kpt_last.p[2], 1);  // PagedPool
  assert_int_equal(kpt_last.p[3], 0);  // bytes
  KPT_EXPECT_BUGCHECK(0xC4, 0x00, (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                                                        0, 0, KPT_TAG1,
                                                        KP_PRIORITY_NORMAL, KP_HERE));
}

static void test_zero_size_retail_is_one_byte(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_NP, 0, KPT_TAG1, KP_HERE);
  assert_non_null(p);
  assert_int_equal(kp_block_size(sys, p, NULL), 16);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_irql_rules_verifier(void **state) {
  kp_system_t *sys = *state;
  void *paged = kp_alloc2(sys, KPT_PG, 32, KPT_TAG1, KP_HERE);
  kp_irql_set(KP_APC_LEVEL);
  void *ok = kp_alloc2(sys, KPT_PG, 32, KPT_TAG1, KP_HERE);
  assert_non_null(ok);
  kp_free(sys, ok, KPT_TAG1, KP_HERE);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x01, (void)kp_alloc2(sys, KPT_PG, 32, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], 2);
  assert_int_equal(kpt_last.p[2], 1);
  assert_int_equal(kpt_last.p[3], 32);
  KPT_EXPECT_BUGCHECK(0xC4, 0x11, kp_free(sys, paged, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[3], (uintptr_t)paged);
  void *np = kp_alloc2(sys, KPT_NP, 32, KPT_TAG1, KP_HERE); // fine at DISPATCH
  assert_non_null(np);
  kp_irql_set(KP_HIGH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x02, (void)kp_alloc2(sys, KPT_NP, 32, KPT_TAG1, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC4, 0x12, kp_free(sys, np, KPT_TAG1, KP_HERE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_free(sys, np, KPT_TAG1, KP_HERE);
  kp_free(sys, paged, KPT_TAG1, KP_HERE);
}

static void test_irql_rules_retail(void **state) {
  kp_system_t *sys = *state;
  void *paged = kp_alloc2(sys, KPT_PG, 32, KPT_TAG1, KP_HERE);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC2, 0x08, (void)kp_alloc2(sys, KPT_PG, 32, KPT_TAG1, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC2, 0x09, kp_free(sys, paged, KPT_TAG1, KP_HERE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_free(sys, paged, KPT_TAG1, KP_HERE);
}

static void test_tag_rules(void **state) {
  kp_system_t *sys = *state;
  KPT_EXPECT_BUGCHECK(0xC2, 0x9C, (void)kp_alloc2(sys, KPT_NP, 16, 0x20474942u, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC2, 0x9D, (void)kp_alloc2(sys, KPT_NP, 16, KP_TAG(' ', '(', ')', '-'), KP_HERE));
  assert_int_equal(kpt_last.p[1], KP_TAG(' ', '(', ')', '-'));
  // PROTECTED_POOL (0x80000000) from old headers is stripped.
  void *p = kp_alloc2(sys, KPT_NP, 16, KPT_TAG1 | 0x80000000u, KP_HERE);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_int_equal(info.tag, KPT_TAG1);
  kp_free(sys, p, KPT_TAG1 | 0x80000000u, KP_HERE);
  // Short tags ('ab') are fine.
  p = kp_alloc2(sys, KPT_NP, 16, 0x6162, KP_HERE);
  assert_non_null(p);
  kp_free(sys, p, 0x6162, KP_HERE);
}

static void test_free_tag_check(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_NP, 16, KPT_TAG1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, kp_free(sys, p, KPT_TAG2, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)p);
  assert_int_equal(kpt_last.p[2], KPT_TAG1);
  assert_int_equal(kpt_last.p[3], KPT_TAG2);
  assert_non_null(strstr(kpt_last.stop_line, "*** STOP: 0x000000C2 (0x000000000000000A,"));
  assert_non_null(strstr(kpt_last.explanation, "'Tag2'"));
  assert_non_null(strstr(kpt_last.explanation, "'Tag1'"));
  kp_free(sys, p, 0, KP_HERE); // tag 0: ExFreePool, no check
}

/* kp_alloc2_at / kp_free_at: the site by address; NULL or an empty site
 * records the caller's return address, as kp_alloc2 does. Same checks. */
static void test_alloc2_at_and_free_at(void **state) {
  kp_system_t *sys = *state;
  kp_site_t here = kp_site_outer("at.c", 42, NULL, (const void *)&here);
  uint8_t *p = kp_alloc2_at(sys, KPT_NP, 24, KPT_TAG1, &here);
  assert_non_null(p);
  assert_true(all_bytes(p, 24, 0));
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_string_equal(info.site.file, "at.c");
  assert_int_equal(info.site.line, 42);
  assert_ptr_equal(info.site.outer, (const void *)&here);
  uint8_t *q = kp_alloc2_at(sys, KPT_PG, 8, KPT_TAG2, NULL);
  assert_non_null(q);
  assert_true(kp_block_query(sys, q, &info));
  assert_null(info.site.file);
  assert_non_null(info.site.caller);
  // Bad flags and tags fail as through kp_alloc2.
  assert_null(kp_alloc2_at(sys, KPT_NP | KPT_PG, 8, KPT_TAG1, NULL));
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, kp_free_at(sys, p, KPT_TAG2, &here));
  kp_free_at(sys, p, KPT_TAG1, &here);
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, kp_free_at(sys, p, KPT_TAG1, NULL));
  // The first free's site is the report's free site.
  assert_true(kpt_last.has_free_site);
  assert_string_equal(kpt_last.free_site.file, "at.c");
  kp_free_at(sys, q, KPT_TAG2, NULL);
  kp_free_at(NULL, q, KPT_TAG2, NULL); // no system: nothing happens
}

/* kp_alloc2 and kp_free are macros over inline forwarders to the _at
 * functions where the compiler allows (KP_SITE_FORWARDERS); the exported
 * functions stay behind them for function pointers. Both record the same
 * site; without a file or caller, both record a return address in the
 * calling function (never one inside kpool). */
/* Allocates through the forwarder and through kp_alloc2_at, both without
 * a site: each records a return address inside this function. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void alloc_without_site(kp_system_t *sys, uint8_t **fwd, uint8_t **at) {
  *fwd = kp_alloc2(sys, KPT_NP, 24, KPT_TAG1, KP_NOSITE);
  *at = kp_alloc2_at(sys, KPT_NP, 24, KPT_TAG1, NULL);
}

static void test_site_forwarders_record_the_caller(void **state) {
  kp_system_t *sys = *state;
  void *(*alloc2_fn)(kp_system_t *, kp_pool_flags_t, size_t, kp_tag_t,
                     kp_site_t) = kp_alloc2;
  void (*free_fn)(kp_system_t *, void *, kp_tag_t, kp_site_t) = kp_free;
  uint8_t *a = kp_alloc2(sys, KPT_NP, 24, KPT_TAG1, KP_NOSITE);
  uint8_t *b = alloc2_fn(sys, KPT_NP, 24, KPT_TAG1, KP_NOSITE);
  uint8_t *c = kp_alloc2_at(sys, KPT_NP, 24, KPT_TAG1, NULL);
  uint8_t *d = kp_alloc2(sys, KPT_NP, 24, KPT_TAG1, KP_HERE);
  const uint32_t d_line = __LINE__ - 1;
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_non_null(d);
  kp_block_info_t ia, ib, ic, id;
  assert_true(kp_block_query(sys, a, &ia));
  assert_true(kp_block_query(sys, b, &ib));
  assert_true(kp_block_query(sys, c, &ic));
  assert_true(kp_block_query(sys, d, &id));
  assert_null(ia.site.file);
  assert_null(ib.site.file);
  assert_non_null(ia.site.caller);
  assert_non_null(ib.site.caller);
  assert_non_null(ic.site.caller);
  // Three return addresses into this function: a few hundred bytes apart.
  uintptr_t ra = (uintptr_t)ia.site.caller, rb = (uintptr_t)ib.site.caller,
            rc = (uintptr_t)ic.site.caller;
  assert_true(ra < rb && rb < rc);
  assert_true(rc - ra < 4096);
  // Inside alloc_without_site, in call order (a forwarder that was a call
  // of its own would record its own address, outside that function).
  uint8_t *e = NULL, *f = NULL;
  alloc_without_site(sys, &e, &f);
  kp_block_info_t ie, iff;
  assert_true(kp_block_query(sys, e, &ie));
  assert_true(kp_block_query(sys, f, &iff));
  uintptr_t start = (uintptr_t)(void (*)(void))alloc_without_site;
  assert_true((uintptr_t)ie.site.caller > start);
  assert_true((uintptr_t)ie.site.caller < (uintptr_t)iff.site.caller);
  assert_true((uintptr_t)iff.site.caller - start < 4096);
  kp_free(sys, e, KPT_TAG1, KP_HERE);
  kp_free(sys, f, KPT_TAG1, KP_HERE);
  assert_string_equal(id.site.file, __FILE__);
  assert_int_equal(id.site.line, d_line);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  const uint32_t a_line = __LINE__ - 1;
  free_fn(sys, b, KPT_TAG1, KP_HERE);
  const uint32_t b_line = __LINE__ - 1;
  // The first free's site is the double free's report, through either.
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, free_fn(sys, a, KPT_TAG1, KP_HERE));
  assert_true(kpt_last.has_free_site);
  assert_string_equal(kpt_last.free_site.file, __FILE__);
  assert_int_equal(kpt_last.free_site.line, a_line);
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, kp_free(sys, b, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.free_site.line, b_line);
  kp_free(sys, c, KPT_TAG1, KP_NOSITE);
  kp_free(sys, d, KPT_TAG1, KP_HERE);
}

static void test_legacy_pool_types(void **state) {
  kp_system_t *sys = *state;
  struct {
    uint32_t type;
    kp_pool_kind_t kind;
    size_t align;
  } ok[] = {{0, KP_POOL_NONPAGED, 16},   {1, KP_POOL_PAGED, 16},
            {4, KP_POOL_NONPAGED, 64},   {5, KP_POOL_PAGED, 64},
            {512, KP_POOL_NONPAGED, 16}, {516, KP_POOL_NONPAGED, 64},
            {32, KP_POOL_NONPAGED, 16},  {33, KP_POOL_PAGED, 16},
            {36, KP_POOL_NONPAGED, 64},  {37, KP_POOL_PAGED, 64},
            {544, KP_POOL_NONPAGED, 16}, {1 | 256, KP_POOL_PAGED, 16},
            {0 | 16, KP_POOL_NONPAGED, 16}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    for (int k = 0; k < 3; k++) {
      uint8_t *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, ok[i].type,
                                   24 + (size_t)k * 8, KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE);
      assert_non_null(p);
      assert_int_equal((uintptr_t)p % ok[i].align, 0);
      kp_block_info_t info;
      assert_true(kp_block_query(sys, p, &info));
      assert_int_equal(info.pool, ok[i].kind);
      assert_int_equal(info.pool_type, ok[i].type);
      assert_true(all_bytes(p, 24, 0xCD)); // legacy: not zeroed
      kp_free(sys, p, KPT_TAG1, KP_HERE);
    }
  }
  uint32_t invalid[] = {3, 35, 7, 64, 128, 2048, 0x10000};
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
    assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, invalid[i], 16,
                                KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE));
  uint32_t must[] = {2, 6, 34, 38};
  for (size_t i = 0; i < 4; i++) {
    KPT_EXPECT_BUGCHECK(0xC2, 0x9A, (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                                                          must[i], 16, KPT_TAG1,
                                                          KP_PRIORITY_NORMAL, KP_HERE));
    assert_int_equal(kpt_last.p[1], must[i]);
    assert_int_equal(kpt_last.p[3], KPT_TAG1);
  }
}

static void test_legacy_zero_allocation_bit(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                               KP_POOL_TYPE_PAGED | KP_POOL_ZERO_ALLOCATION, 100,
                               KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE);
  assert_true(all_bytes(p, 100, 0));
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_legacy_allocate_pool_tag_none(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL, 0, 50, 0, KP_PRIORITY_NORMAL, KP_HERE);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_int_equal(info.tag, KP_TAG_NONE);
  char text[5];
  assert_string_equal(kp_tag_text(info.tag, text), "None");
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.untagged_allocs, 1);
  // ExAllocatePoolWithQuota: "None" too, and quota charged.
  void *q = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_QUOTA, 1, 50, KPT_TAG1,
                            KP_PRIORITY_NORMAL, KP_HERE);
  assert_true(kp_block_query(sys, q, &info));
  assert_int_equal(info.tag, KP_TAG_NONE);
  assert_true(info.quota_charged);
  // An invalid pool type is not an allocation served.
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL, 3, 50, 0, KP_PRIORITY_NORMAL, KP_HERE));
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.untagged_allocs, 2);
  kp_free(sys, q, 0, KP_HERE);
  kp_free(sys, p, 0, KP_HERE);
}

static void test_legacy_zero_tag_bugchecks(void **state) {
  kp_system_t *sys = *state;
  KPT_EXPECT_BUGCHECK(0xC2, 0x9B, (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                                                        1, 16, 0, KP_PRIORITY_NORMAL, KP_HERE));
  assert_int_equal(kpt_last.p[1], 1);
  assert_int_equal(kpt_last.p[2], 16);
}

static void test_legacy_raise_bit(void **state) {
  kp_system_t *sys = *state;
  volatile kp_status_t got = 0;
  KP_TRY {
    (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                          KP_POOL_RAISE_IF_ALLOCATION_FAILURE, (size_t)64 << 20,
                          KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_INSUFFICIENT_RESOURCES);
  // Invalid pool type with the raise bit raises too.
  got = 0;
  KP_TRY {
    (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                          3 | KP_POOL_RAISE_IF_ALLOCATION_FAILURE, 16, KPT_TAG1,
                          KP_PRIORITY_NORMAL, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_INSUFFICIENT_RESOURCES);
}

static int setup_small_quota(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.quota_limit = 4096;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_quota_api_raises_by_default(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 3000, KPT_TAG1,
                            KP_PRIORITY_NORMAL, KP_HERE);
  assert_non_null(p);
  volatile kp_status_t got = 0;
  KP_TRY {
    (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 3000, KPT_TAG1,
                          KP_PRIORITY_NORMAL, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_QUOTA_EXCEEDED);
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA,
                              1 | KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 3000,
                              KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE));
  // Non-quota allocations are not limited by the quota.
  void *q = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, 1, 3000, KPT_TAG1,
                            KP_PRIORITY_NORMAL, KP_HERE);
  assert_non_null(q);
  bool charged = false;
  kp_block_size(sys, p, &charged);
  assert_true(charged);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  // Freeing returns the quota.
  p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 3000, KPT_TAG1,
                      KP_PRIORITY_NORMAL, KP_HERE);
  assert_non_null(p);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  kp_free(sys, q, KPT_TAG1, KP_HERE);
}

/* Windows allocates before it charges quota: with the pool exhausted AND
 * the quota exhausted, the quota API raises STATUS_INSUFFICIENT_RESOURCES,
 * not STATUS_QUOTA_EXCEEDED (observed on Windows x64). */
static void test_quota_allocates_before_charging(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 3000, KPT_TAG1,
                            KP_PRIORITY_NORMAL, KP_HERE);
  assert_non_null(p); // the 4 KiB quota is now nearly used up
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_PAGED, 0, 0), KP_STATUS_SUCCESS);
  volatile kp_status_t got = 0;
  KP_TRY {
    (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 3000, KPT_TAG1,
                          KP_PRIORITY_NORMAL, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_INSUFFICIENT_RESOURCES);
  // Pool back, quota still short: now it is the quota that fails, and the
  // block found for it went back (nothing counted, nothing leaked).
  kp_pool_set_available(sys, KP_POOL_PAGED, 0, SIZE_MAX);
  kp_stats_t before = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &before));
  got = 0;
  KP_TRY {
    (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 3000, KPT_TAG1,
                          KP_PRIORITY_NORMAL, KP_HERE);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, KP_STATUS_QUOTA_EXCEEDED);
  kp_stats_t after = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &after));
  assert_int_equal(after.pool[KP_POOL_PAGED].bytes, before.pool[KP_POOL_PAGED].bytes);
  assert_int_equal(after.pool[KP_POOL_PAGED].allocs, before.pool[KP_POOL_PAGED].allocs);
  // ExAllocatePool2 with USE_QUOTA: the same order.
  kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, 0);
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA |
                                            KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   3000, KPT_TAG1, KP_HERE));
  kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, SIZE_MAX);
  KP_ASSERT_RAISES(KP_STATUS_QUOTA_EXCEEDED,
                   (void)kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA |
                                            KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   3000, KPT_TAG1, KP_HERE));
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_invalid_priority_and_api(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 16, KPT_TAG1,
                              (kp_priority_t)7, KP_HERE));
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 16, KPT_TAG1,
                              (kp_priority_t)48, KP_HERE));
  assert_null(kp_alloc_legacy(sys, (kp_alloc_api_t)99, 0, 16, KPT_TAG1,
                              KP_PRIORITY_NORMAL, KP_HERE));
  void *p = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 16, KPT_TAG1,
                            KP_PRIORITY_LOW_SPECIAL_UNDERRUN, KP_HERE);
  assert_non_null(p);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  assert_null(kp_alloc2(NULL, KPT_NP, 16, KPT_TAG1, KP_HERE));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pool2_zeroes_by_default, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_site_forwarders_record_the_caller, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_uninitialized_is_pattern_filled, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_uninit_fill_is_configurable, setup_custom_fill, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_exactly_one_pool_type, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_unknown_required_bits_fail, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_unknown_optional_bits_ignored, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_tag_zero_fails, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_cache_aligned, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_raise_on_failure, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unhandled_raise_is_bugcheck_1e, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_pool2_quota, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_zero_size_verifier, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_zero_size_retail_is_one_byte, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_irql_rules_verifier, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_irql_rules_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_tag_rules, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_tag_check, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_alloc2_at_and_free_at, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_legacy_pool_types, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_legacy_zero_allocation_bit, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_legacy_allocate_pool_tag_none, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_legacy_zero_tag_bugchecks, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_legacy_raise_bit, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quota_api_raises_by_default, setup_small_quota, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quota_allocates_before_charging, setup_small_quota, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_invalid_priority_and_api, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
