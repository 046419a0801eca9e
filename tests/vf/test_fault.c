/*
 * test_fault.c — low resources simulation: fail-Nth and every-Nth, random
 * failures (seed, probability, tag filter, delay in allocations and in
 * virtual time), systematic failures (each site once; the sites file
 * across runs; reset and exclusion), fuzzer-driven plans (kpool/fuzz.h),
 * suspend/resume, the call's own failure semantics (NULL or a raise), the
 * counters and the report, for every entry point.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L /* mkstemp, fork, pipe, waitpid */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"
#include "kpool/fuzz.h"
#include "kpool/pool3.h"

#define FT_TAG KP_TAG('F', 't', '0', '1')

static int setup_config(void **state, void (*tweak)(kp_config_t *)) {
  kp_config_t cfg;
  kpt_config(&cfg);
  tweak(&cfg);
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static void alloc_free(kp_system_t *sys, bool *failed) {
  void *p = kp_alloc2(sys, KPT_NP, 32, FT_TAG, KP_HERE);
  *failed = p == NULL;
  if (p != NULL) kp_free(sys, p, FT_TAG, KP_HERE);
}

/* The failure pattern of @n allocations as a bit string ('1' failed). */
static void pattern(kp_system_t *sys, int n, char *out) {
  for (int i = 0; i < n; i++) {
    bool failed;
    alloc_free(sys, &failed);
    out[i] = failed ? '1' : '0';
  }
  out[n] = '\0';
}

/* ---------------------------------------------------------------------------
 * Nth.
 * ------------------------------------------------------------------------- */
static void tweak_nth(kp_config_t *cfg) { cfg->fail_nth = 3; }
static int setup_nth(void **state) { return setup_config(state, tweak_nth); }

static void test_fail_nth(void **state) {
  kp_system_t *sys = *state;
  char got[9];
  pattern(sys, 8, got);
  assert_string_equal(got, "00100000");
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.faults_injected, 1);
  assert_int_equal(c.faults_nth, 1);
  assert_int_equal(c.fault_candidates, 8);
  assert_int_equal(c.allocations_failed, 1);
  assert_int_equal(c.allocations_succeeded, 7);
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, FT_TAG, KP_POOL_NONPAGED, &ts));
  assert_int_equal(ts.failures, 1);
}

static void tweak_every(kp_config_t *cfg) { cfg->fail_every_nth = 2; }
static int setup_every(void **state) { return setup_config(state, tweak_every); }

static void test_fail_every_nth(void **state) {
  kp_system_t *sys = *state;
  char got[9];
  pattern(sys, 8, got);
  assert_string_equal(got, "01010101");
}

static void test_set_nth_at_run_time(void **state) {
  kp_system_t *sys = *state; // created without fault injection
  char got[9];
  pattern(sys, 4, got);
  assert_string_equal(got, "0000");
  assert_int_equal(kp_fault_set_nth(sys, 2, 0), KP_STATUS_SUCCESS);
  pattern(sys, 4, got);
  assert_string_equal(got, "0100"); // counted from the call
  assert_int_equal(kp_fault_set_nth(sys, 0, 3), KP_STATUS_SUCCESS);
  pattern(sys, 6, got);
  assert_string_equal(got, "001001");
  assert_int_equal(kp_fault_set_nth(sys, 0, 0), KP_STATUS_SUCCESS);
  pattern(sys, 3, got);
  assert_string_equal(got, "000");
  assert_int_equal(kp_fault_set_nth(NULL, 1, 0), KP_STATUS_INVALID_PARAMETER_1);
}

/* ---------------------------------------------------------------------------
 * Failure semantics of each entry point.
 * ------------------------------------------------------------------------- */
static void tweak_always(kp_config_t *cfg) { cfg->fail_every_nth = 1; }
static int setup_always(void **state) { return setup_config(state, tweak_always); }

static void test_every_entry_point_fails_with_its_semantics(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc2(sys, KPT_PG, 10, FT_TAG, KP_HERE));
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, KP_POOL_TYPE_NONPAGED, 10,
                              FT_TAG, KP_PRIORITY_NORMAL, KP_HERE));
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL, KP_POOL_TYPE_PAGED, 10, 0,
                              KP_PRIORITY_NORMAL, KP_HERE));
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, KP_POOL_TYPE_NONPAGED_NX, 10,
                              FT_TAG, KP_PRIORITY_HIGH, KP_HERE));
  assert_null(kp_alloc3(sys, KPT_NP, 10, FT_TAG, NULL, 0, KP_HERE)); // ExAllocatePool3
  // Callers that asked for a raise get one.
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE, 10, FT_TAG,
                                   KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                                         KP_POOL_TYPE_NONPAGED | KP_POOL_RAISE_IF_ALLOCATION_FAILURE,
                                         10, FT_TAG, KP_PRIORITY_NORMAL, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, KP_POOL_TYPE_PAGED, 10,
                                         FT_TAG, KP_PRIORITY_NORMAL, KP_HERE));
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA,
                              KP_POOL_TYPE_PAGED | KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 10, FT_TAG,
                              KP_PRIORITY_NORMAL, KP_HERE));
  // An unhandled raise is 0x1E, as for any raise.
  kp_system_t *prev = kp_system_set_current(sys);
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)KP_STATUS_INSUFFICIENT_RESOURCES,
                      (void)kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE, 10, FT_TAG,
                                      KP_HERE));
  kp_system_set_current(prev);
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.faults_injected, 10);
  assert_int_equal(c.allocations_succeeded, 0);
  // Validation failures are not candidates: they fail before the pools.
  assert_null(kp_alloc2(sys, KP_POOL_FLAG_SESSION | KPT_NP, 10, FT_TAG, KP_HERE));
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.fault_candidates, 10);
}

static void test_lookaside_misses_fail_too(void **state) {
  kp_system_t *sys = *state; // every allocation fails
  _Alignas(16) kp_lookaside_t list;
  // Zeroed: kp_lookaside_initialize reads the storage before it sets it,
  // which Memcheck reports for an uninitialised local.
  memset(&list, 0, sizeof list);
  kp_lookaside_init(sys, &list, KP_LOOKASIDE_NPAGED, NULL, NULL, 0, 64, FT_TAG, 0, KP_HERE);
  kp_fault_suspend(sys);
  void *cached = kp_lookaside_alloc(sys, &list, KP_HERE); // a miss, allowed
  kp_fault_resume(sys);
  assert_non_null(cached);
  kp_lookaside_free(sys, &list, cached, KP_HERE); // now cached
  // A hit needs no pool: it succeeds even now ...
  void *hit = kp_lookaside_alloc(sys, &list, KP_HERE);
  assert_ptr_equal(hit, cached);
  // ... a miss goes to the pool and fails there.
  assert_null(kp_lookaside_alloc(sys, &list, KP_HERE));
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.faults_injected, 1);
  kp_lookaside_free(sys, &list, hit, KP_HERE);
  kp_lookaside_delete(sys, &list, KP_HERE);
}

static void tweak_always_special(kp_config_t *cfg) {
  cfg->fail_nth = 1;
  cfg->verifier_flags |= KP_VERIFY_SPECIAL_POOL;
}
static int setup_special_nth(void **state) { return setup_config(state, tweak_always_special); }

static void test_injection_comes_before_special_pool(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc2(sys, KPT_NP, 10, FT_TAG, KP_HERE));
  void *p = kp_alloc2(sys, KPT_NP, 10, FT_TAG, KP_HERE);
  assert_true(kp_special_pool_query(sys, p, NULL));
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.allocations_succeeded_special, 1);
  assert_int_equal(c.special_eligible, 1);
  kp_free(sys, p, FT_TAG, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Random.
 * ------------------------------------------------------------------------- */
static kp_system_t *random_system(uint64_t seed, uint32_t prob) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_LOW_RESOURCES;
  cfg.lrs_seed = seed;
  cfg.lrs_probability = prob;
  return kpt_system(&cfg);
}

static void test_random_is_reproducible_from_the_seed(void **state) {
  (void)state;
  char a[401], b[401], c[401];
  kp_system_t *sys = random_system(42, 5000);
  pattern(sys, 400, a);
  kp_system_destroy(sys);
  sys = random_system(42, 5000);
  pattern(sys, 400, b);
  kp_system_destroy(sys);
  sys = random_system(43, 5000);
  pattern(sys, 400, c);
  kp_system_destroy(sys);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  int ones = 0;
  for (int i = 0; i < 400; i++) ones += a[i] == '1';
  // 50 % over 400 draws: far outside [120, 280] is a broken generator.
  assert_in_range(ones, 120, 280);
}

static void test_random_probability_bounds(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  assert_int_equal(cfg.lrs_probability, 600); // Driver Verifier's default
  char got[101];
  kp_system_t *sys = random_system(7, 0);
  pattern(sys, 100, got);
  assert_null(strchr(got, '1'));
  kp_system_destroy(sys);
  sys = random_system(7, 10000);
  pattern(sys, 100, got);
  assert_null(strchr(got, '0'));
  kp_system_destroy(sys);
  // The default, 6 %: some fail, most do not.
  sys = random_system(7, 600);
  pattern(sys, 100, got);
  int ones = 0;
  for (int i = 0; i < 100; i++) ones += got[i] == '1';
  assert_in_range(ones, 1, 30);
  kp_system_destroy(sys);
}

static void tweak_delay_allocs(kp_config_t *cfg) {
  cfg->verifier_flags |= KP_VERIFY_LOW_RESOURCES;
  cfg->lrs_probability = 10000;
  cfg->lrs_delay_allocations = 5;
}
static int setup_delay_allocs(void **state) { return setup_config(state, tweak_delay_allocs); }

static void test_random_delay_in_allocations(void **state) {
  kp_system_t *sys = *state;
  char got[9];
  pattern(sys, 8, got);
  assert_string_equal(got, "00000111");
}

static void tweak_delay_ms(kp_config_t *cfg) {
  cfg->verifier_flags |= KP_VERIFY_LOW_RESOURCES;
  cfg->lrs_probability = 10000;
  cfg->lrs_delay_ms = 8 * 60 * 1000; // Windows' 8 minutes
}
static int setup_delay_ms(void **state) { return setup_config(state, tweak_delay_ms); }

static void test_random_delay_in_virtual_time(void **state) {
  kp_system_t *sys = *state;
  char got[4];
  pattern(sys, 3, got);
  assert_string_equal(got, "000");
  kp_clock_advance(sys, 8 * 60 * 1000 - 1);
  pattern(sys, 3, got);
  assert_string_equal(got, "000");
  kp_clock_advance(sys, 1);
  pattern(sys, 3, got);
  assert_string_equal(got, "111");
}

static void tweak_tags(kp_config_t *cfg) {
  cfg->verifier_flags |= KP_VERIFY_LOW_RESOURCES;
  cfg->lrs_probability = 10000;
  cfg->lrs_tags = "Ft* Ab?d";
}
static int setup_tags(void **state) { return setup_config(state, tweak_tags); }

static void test_tag_filter_with_wildcards(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc2(sys, KPT_NP, 8, FT_TAG, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_NP, 8, KP_TAG('A', 'b', 'x', 'd'), KP_HERE));
  void *p = kp_alloc2(sys, KPT_NP, 8, KPT_TAG1, KP_HERE);
  void *q = kp_alloc2(sys, KPT_NP, 8, KP_TAG('A', 'b', 'x', 'e'), KP_HERE);
  assert_non_null(p);
  assert_non_null(q);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  kp_free(sys, q, 0, KP_HERE);
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.fault_candidates, 2); // the others were filtered out
}

/* ---------------------------------------------------------------------------
 * Suspend / resume.
 * ------------------------------------------------------------------------- */
static void test_suspend_and_resume(void **state) {
  kp_system_t *sys = *state; // every allocation fails
  char got[3];
  kp_fault_suspend(sys);
  kp_fault_suspend(sys);
  pattern(sys, 2, got);
  assert_string_equal(got, "00");
  kp_fault_resume(sys);
  pattern(sys, 2, got);
  assert_string_equal(got, "00"); // still suspended once
  kp_fault_resume(sys);
  pattern(sys, 2, got);
  assert_string_equal(got, "11");
  kp_fault_resume(sys); // extra: ignored
  pattern(sys, 2, got);
  assert_string_equal(got, "11");
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.fault_candidates, 4); // suspended calls are not counted
  kp_fault_suspend(NULL);
  kp_fault_resume(NULL);
}

static void test_suspend_before_injection_is_enabled(void **state) {
  kp_system_t *sys = *state; // created without fault injection
  kpt_output_reset();
  kp_fault_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Low resources simulation: off"));
  kp_fault_resume(sys); // nothing to resume: ignored
  kp_fault_suspend(sys);
  assert_int_equal(kp_fault_set_nth(sys, 1, 0), KP_STATUS_SUCCESS);
  char got[3];
  pattern(sys, 1, got);
  assert_string_equal(got, "0"); // enabled while suspended: nothing fails
  kp_fault_resume(sys);
  pattern(sys, 2, got);
  assert_string_equal(got, "10");
  kpt_output_reset();
  kp_fault_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "1 fault injected in 2 candidate allocations"));
}

/* ---------------------------------------------------------------------------
 * Systematic.
 * ------------------------------------------------------------------------- */
static void *alloc_at(kp_system_t *sys, const char *file, uint32_t line, kp_tag_t tag) {
  return kp_alloc2(sys, KPT_PG, 24, tag, kp_site(file, line, NULL));
}

static bool fails_at(kp_system_t *sys, const char *file, uint32_t line, kp_tag_t tag) {
  void *p = alloc_at(sys, file, line, tag);
  if (p != NULL) kp_free(sys, p, tag, KP_HERE);
  return p == NULL;
}

/* No file: the site is the return address of kp_alloc2's caller. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static bool fails_by_caller(kp_system_t *sys) {
  void *p = kp_alloc2(sys, KPT_PG, 24, FT_TAG, KP_NOSITE);
  if (p != NULL) kp_free(sys, p, FT_TAG, KP_HERE);
  return p == NULL;
}

static kp_system_t *systematic_system(const char *file) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SYSTEMATIC_LRS;
  cfg.systematic_sites_file = file;
  return kpt_system(&cfg);
}

static void test_systematic_fails_each_site_once(void **state) {
  (void)state;
  kp_system_t *sys = systematic_system(NULL);
  for (int round = 0; round < 3; round++) {
    assert_int_equal(fails_at(sys, "drv.c", 10, FT_TAG), round == 0);
    assert_int_equal(fails_at(sys, "drv.c", 20, FT_TAG), round == 0);
    // Same line, other tag: another site.
    assert_int_equal(fails_at(sys, "drv.c", 10, KPT_TAG1), round == 0);
    assert_int_equal(fails_by_caller(sys), round == 0);
  }
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.faults_systematic, 4);
  assert_int_equal(c.faults_injected, 4);
  kpt_output_reset();
  kp_fault_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "4 faults injected"));
  assert_non_null(strstr(kpt_output, "drv.c:10"));
  assert_non_null(strstr(kpt_output, "drv.c:20"));
  assert_non_null(strstr(kpt_output, "caller 0x"));
  // Reset: every site fails once more.
  kp_fault_systematic_reset(sys);
  assert_true(fails_at(sys, "drv.c", 10, FT_TAG));
  assert_false(fails_at(sys, "drv.c", 10, FT_TAG));
  // Exclusion: never fails.
  assert_int_equal(kp_fault_systematic_exclude(sys, kp_site("drv.c", 30, NULL), FT_TAG),
                   KP_STATUS_SUCCESS);
  assert_false(fails_at(sys, "drv.c", 30, FT_TAG));
  assert_int_equal(kp_fault_systematic_exclude(NULL, KP_NOSITE, FT_TAG),
                   KP_STATUS_INVALID_PARAMETER_1);
  kp_system_destroy(sys);
}

typedef struct site_list {
  int count;
  int loaded;
  int excluded;
  uint64_t faults;
} site_list_t;

static bool count_site(const kp_fault_site_t *s, void *arg) {
  site_list_t *l = arg;
  l->count++;
  l->loaded += s->loaded;
  l->excluded += s->excluded;
  l->faults += s->faults;
  return true;
}

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  int n = 0;
  for (int ch; (ch = fgetc(f)) != EOF;) n += ch == '\n';
  fclose(f);
  return n;
}

static void test_systematic_sites_file_across_runs(void **state) {
  (void)state;
  char path[] = "/tmp/kpool_sites_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  remove(path); // the first run starts without a file
  // Run 1: two sites fail and are written down at once.
  kp_system_t *sys = systematic_system(path);
  assert_true(fails_at(sys, "drv.c", 10, FT_TAG));
  assert_true(fails_by_caller(sys));
  assert_int_equal(count_lines(path), 2);
  kp_system_destroy(sys);
  // Run 2: those pass; a new site fails and is appended.
  sys = systematic_system(path);
  assert_false(fails_at(sys, "drv.c", 10, FT_TAG));
  assert_false(fails_by_caller(sys));
  assert_true(fails_at(sys, "other dir/drv 2.c", 7, FT_TAG)); // spaces survive
  assert_int_equal(count_lines(path), 3);
  site_list_t l = {0};
  kp_fault_visit_sites(sys, count_site, &l);
  assert_int_equal(l.count, 3);
  assert_int_equal(l.loaded, 2);
  assert_int_equal(l.faults, 1);
  kpt_output_reset();
  kp_fault_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "2 sites loaded from"));
  // Reset keeps what earlier runs failed.
  kp_fault_systematic_reset(sys);
  assert_false(fails_at(sys, "drv.c", 10, FT_TAG));
  assert_true(fails_at(sys, "other dir/drv 2.c", 7, FT_TAG));
  kp_system_destroy(sys);
  // Run 3: nothing new.
  sys = systematic_system(path);
  assert_false(fails_at(sys, "drv.c", 10, FT_TAG));
  assert_false(fails_at(sys, "other dir/drv 2.c", 7, FT_TAG));
  assert_false(fails_by_caller(sys));
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.faults_injected, 0);
  kp_system_destroy(sys);
  // A malformed file is read as far as it makes sense.
  FILE *f = fopen(path, "a");
  assert_non_null(f);
  fputs("garbage line\nF zz\nA 1\n", f);
  fclose(f);
  sys = systematic_system(path);
  assert_false(fails_at(sys, "drv.c", 10, FT_TAG));
  kp_system_destroy(sys);
  remove(path);
}

/* ---------------------------------------------------------------------------
 * Fuzzer-driven.
 * ------------------------------------------------------------------------- */
static void test_fuzz_plan_decides_each_allocation(void **state) {
  kp_system_t *sys = *state; // no fault injection configured
  const uint8_t plan[] = {0x05, 0x80}; // bits 0, 2 and 15
  assert_int_equal(kp_fuzz_faults_begin(sys, plan, sizeof plan), KP_STATUS_SUCCESS);
  char got[21];
  pattern(sys, 20, got);
  assert_string_equal(got, "10100000000000010000");
  assert_int_equal(kp_fuzz_faults_consumed(sys), 16);
  assert_int_equal(kp_fuzz_faults_end(sys), 16);
  pattern(sys, 4, got);
  assert_string_equal(got, "0000");
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.faults_fuzz, 3);
  // A new plan replaces the old one; an empty plan fails nothing.
  assert_int_equal(kp_fuzz_faults_begin(sys, plan, 1), KP_STATUS_SUCCESS);
  assert_int_equal(kp_fuzz_faults_begin(sys, NULL, 0), KP_STATUS_SUCCESS);
  pattern(sys, 4, got);
  assert_string_equal(got, "0000");
  assert_int_equal(kp_fuzz_faults_end(sys), 0);
  assert_int_equal(kp_fuzz_faults_begin(NULL, plan, 1), KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_fuzz_faults_begin(sys, NULL, 1), KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_fuzz_faults_end(NULL), 0);
  assert_int_equal(kp_fuzz_faults_consumed(NULL), 0);
}

static void test_fuzz_split(void **state) {
  (void)state;
  const uint8_t in[] = {2, 0xAA, 0xBB, 1, 2, 3};
  const uint8_t *plan, *rest;
  size_t np, nr;
  kp_fuzz_split(in, sizeof in, &plan, &np, &rest, &nr);
  assert_ptr_equal(plan, in + 1);
  assert_int_equal(np, 2);
  assert_ptr_equal(rest, in + 3);
  assert_int_equal(nr, 3);
  const uint8_t big[] = {200, 1, 2};
  kp_fuzz_split(big, sizeof big, &plan, &np, &rest, &nr);
  assert_int_equal(np, 2);
  assert_int_equal(nr, 0);
  kp_fuzz_split(NULL, 0, &plan, &np, &rest, &nr);
  assert_int_equal(np, 0);
  assert_int_equal(nr, 0);
}

/* ---------------------------------------------------------------------------
 * Reports, configuration, threads.
 * ------------------------------------------------------------------------- */
static void test_reports_name_the_sites(void **state) {
  kp_system_t *sys = *state; // fail_nth = 3
  void *p[4];
  for (int i = 0; i < 4; i++) p[i] = alloc_at(sys, "report.c", 77, FT_TAG);
  assert_null(p[2]);
  for (int i = 0; i < 4; i++)
    if (p[i] != NULL) kp_free(sys, p[i], FT_TAG, KP_HERE);
  site_list_t l = {0};
  kp_fault_visit_sites(sys, count_site, &l);
  assert_int_equal(l.count, 1);
  assert_int_equal(l.faults, 1);
  kpt_output_reset();
  kp_verifier_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Resource Allocations Failed Deliberately 1"));
  assert_non_null(strstr(kpt_output, "Pool Allocations Failed                 1"));
  assert_non_null(strstr(kpt_output, "report.c:77"));
  assert_non_null(strstr(kpt_output, "tag 'Ft01'  1 fault"));
  kp_fault_visit_sites(NULL, count_site, &l);
  kp_fault_visit_sites(sys, NULL, NULL);
}

static void test_config_validation(void **state) {
  (void)state;
  kp_config_t base;
  kp_config_init(&base);
  assert_int_equal(base.lrs_seed, 1);
  assert_int_equal(base.fail_nth, 0);
  assert_int_equal(base.fail_every_nth, 0);
  assert_null(base.lrs_tags);
  assert_null(base.systematic_sites_file);
  kp_config_t cfg = base;
  cfg.lrs_probability = 10001;
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.lrs_tags = "a b c d e f g h i j k l m n o p q";
  assert_null(kp_system_create(&cfg));
  cfg = base;
  cfg.systematic_sites_file = "";
  assert_null(kp_system_create(&cfg));
}

typedef struct thread_arg {
  kp_system_t *sys;
  int failed;
} thread_arg_t;

static void *thread_work(void *arg) {
  thread_arg_t *t = arg;
  for (int i = 0; i < 3000; i++) {
    void *p = kp_alloc2(t->sys, (i & 1) ? KPT_NP : KPT_PG, 40, FT_TAG, KP_HERE);
    if (p == NULL)
      t->failed++;
    else
      kp_free(t->sys, p, FT_TAG, KP_HERE);
  }
  return NULL;
}

static void tweak_every3(kp_config_t *cfg) {
  cfg->fail_every_nth = 3;
  cfg->verifier_flags |= KP_VERIFY_SYSTEMATIC_LRS;
}
static int setup_every3(void **state) { return setup_config(state, tweak_every3); }

static void test_threads_share_the_decisions(void **state) {
  kp_system_t *sys = *state;
  thread_arg_t t[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    t[i] = (thread_arg_t){sys, 0};
    pthread_create(&th[i], NULL, thread_work, &t[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  int failed = 0;
  for (int i = 0; i < 4; i++) failed += t[i].failed;
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.fault_candidates, 12000);
  assert_int_equal(c.faults_nth, 4000);
  assert_int_equal(c.faults_injected, (uint64_t)failed);
  // One site (this file's line) failed by systematic once, on top.
  assert_int_equal(c.faults_systematic, 1);
  assert_int_equal(failed, 4001);
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fail_nth, setup_nth, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fail_every_nth, setup_every, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_set_nth_at_run_time, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_every_entry_point_fails_with_its_semantics, setup_always, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_lookaside_misses_fail_too, setup_always, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_injection_comes_before_special_pool, setup_special_nth, kpt_teardown),
      cmocka_unit_test(test_random_is_reproducible_from_the_seed),
      cmocka_unit_test(test_random_probability_bounds),
      cmocka_unit_test_setup_teardown(test_random_delay_in_allocations, setup_delay_allocs, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_random_delay_in_virtual_time, setup_delay_ms, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_tag_filter_with_wildcards, setup_tags, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_suspend_and_resume, setup_always, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_suspend_before_injection_is_enabled, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_systematic_fails_each_site_once),
      cmocka_unit_test(test_systematic_sites_file_across_runs),
      cmocka_unit_test_setup_teardown(test_fuzz_plan_decides_each_allocation, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_fuzz_split),
      cmocka_unit_test_setup_teardown(test_reports_name_the_sites, setup_nth, kpt_teardown),
      cmocka_unit_test(test_config_validation),
      cmocka_unit_test_setup_teardown(test_threads_share_the_decisions, setup_every3, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
