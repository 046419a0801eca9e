/*
 * test_sanitizer.c — kpool describes its memory to AddressSanitizer and
 * Valgrind Memcheck (kp_config_t::sanitizer_poisoning):
 * - built with ASan: headers, canaries, quarantined blocks, free memory and
 *   special-pool pattern bytes are poisoned, the driver's bytes are not,
 *   nothing is left poisoned after kp_system_destroy, and ASan itself
 *   stops a driver that overruns or uses pool memory after free (checked
 *   in a forked child);
 * - run under Valgrind: the same bytes are inaccessible to Memcheck
 *   (VALGRIND_GET_VBITS returns 3 for them, without an error report);
 * - otherwise the tests are skipped; the knob is accepted either way.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L /* mkstemp, fork, pipe, waitpid */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp_test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define TS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TS_ASAN 1
#endif
#endif
#if defined(TS_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TS_VALGRIND 1
#endif
#endif

/* 1 poisoned (inaccessible to the tool), 0 accessible, -1 no tool. */
static int poisoned(const void *p) {
#if defined(TS_ASAN)
  return __asan_address_is_poisoned(p) ? 1 : 0;
#elif defined(TS_VALGRIND)
  if (!RUNNING_ON_VALGRIND) return -1;
  uint8_t bits;
  unsigned r = (unsigned)VALGRIND_GET_VBITS(p, &bits, 1);
  return r == 3 ? 1 : 0;
#else
  (void)p;
  return -1;
#endif
}

static bool have_tool(void) {
  int x = 0;
  return poisoned(&x) != -1;
}

static int setup_special(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static void test_live_block_header_and_canary_are_poisoned(void **state) {
  kp_system_t *sys = *state;
  if (!have_tool()) skip();
  uint8_t *p = kp_alloc2(sys, KPT_NP, 20, KPT_TAG1, KP_HERE);
  for (int i = 0; i < 20; i++) assert_int_equal(poisoned(p + i), 0);
  for (int i = 1; i <= 16; i++) assert_int_equal(poisoned(p - i), 1); // header
  for (int i = 20; i < 32; i++) assert_int_equal(poisoned(p + i), 1); // canary
  // The rest of the bump page is free memory.
  assert_int_equal(poisoned(p + 64), 1);
  uint8_t *big = kp_alloc2(sys, KPT_PG, 5000, KPT_TAG1, KP_HERE);
  assert_int_equal(poisoned(big), 0);
  assert_int_equal(poisoned(big + 4999), 0);
  assert_int_equal(poisoned(big + 5000), 1);
  assert_int_equal(poisoned(big + 8191), 1);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  kp_free(sys, big, KPT_TAG1, KP_HERE);
}

static void test_freed_and_recycled_blocks(void **state) {
  kp_system_t *sys = *state;
  if (!have_tool()) skip();
  uint8_t *p = kp_alloc2(sys, KPT_NP, 48, KPT_TAG1, KP_HERE);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  for (int i = -16; i < 64; i++) assert_int_equal(poisoned(p + i), 1);
  // Push it through the quarantine and reuse it: open again, and intact.
  void *keep[300];
  for (int i = 0; i < 300; i++) {
    keep[i] = kp_alloc2(sys, KPT_NP, 48, KPT_TAG1, KP_HERE);
    assert_non_null(keep[i]);
    assert_int_equal(poisoned(keep[i]), 0);
    assert_int_equal(poisoned((uint8_t *)keep[i] + 48), 1);
  }
  for (int i = 0; i < 300; i++) kp_free(sys, keep[i], KPT_TAG1, KP_HERE);
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

static void test_knob_off_poisons_nothing(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.sanitizer_poisoning = false;
  kp_system_t *sys = kpt_system(&cfg);
  assert_non_null(sys);
  uint8_t *p = kp_alloc2(sys, KPT_NP, 20, KPT_TAG1, KP_HERE);
  if (have_tool()) {
    assert_int_equal(poisoned(p - 16), 0);
    assert_int_equal(poisoned(p + 20), 0);
  }
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  if (have_tool()) assert_int_equal(poisoned(p), 0);
  kp_system_destroy(sys);
}

static void test_special_pool_pattern_is_poisoned(void **state) {
  kp_system_t *sys = *state;
  if (!have_tool()) skip();
  uint8_t *p = kp_alloc2(sys, KPT_NP, 20, KPT_TAG1, KP_HERE);
  kp_special_info_t info;
  assert_true(kp_special_pool_query(sys, p, &info));
  assert_int_equal(poisoned(p), 0);
  assert_int_equal(poisoned(p + 19), 0);
  assert_int_equal(poisoned(p + 20), 1); // slop before the guard page
  assert_int_equal(poisoned(p - 1), 1);  // pattern in front
  assert_int_equal(poisoned(info.page), 1);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_destroy_leaves_no_poison(void **state) {
  (void)state;
  if (!have_tool()) skip();
#if defined(TS_ASAN)
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  kp_system_t *sys = kpt_system(&cfg);
  uint8_t *a = kp_alloc2(sys, KPT_NP, 20, KPT_TAG1, KP_HERE);
  uint8_t *b = kp_alloc2(sys, KPT_NP, 20, KPT_TAG2, KP_HERE);
  uint8_t *c = kp_alloc2(sys, KPT_PG | KP_POOL_FLAG_SPECIAL_POOL, 20, KPT_TAG1, KP_HERE);
  kp_free(sys, b, KPT_TAG2, KP_HERE);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  kp_free(sys, c, KPT_TAG1, KP_HERE);
  kp_system_destroy(sys);
  // The arenas are unmapped; their shadow must not keep poison for the
  // next mapping at the same addresses. (Shadow is readable for any
  // address; the memory itself is not touched.)
  assert_false(__asan_address_is_poisoned(a - 16));
  assert_false(__asan_address_is_poisoned(b));
  assert_false(__asan_address_is_poisoned(c - 1));
#else
  skip(); // Valgrind forgets an unmapped range by itself
#endif
}

#if defined(TS_ASAN)
/* Runs @fn in a child with stderr captured; returns the child's report. */
static char child_report[16384];

static int run_child(void (*fn)(void)) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    fn();
    _exit(0); // not reached when ASan stops the driver
  }
  close(fds[1]);
  size_t len = 0;
  ssize_t n;
  while ((n = read(fds[0], child_report + len, sizeof child_report - 1 - len)) > 0 ||
         (n < 0 && errno == EINTR))
    if (n > 0) len += (size_t)n;
  child_report[len] = '\0';
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static volatile uint8_t child_sink;

static void child_overrun(void) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  kp_system_t *sys = kp_system_create(&cfg);
  uint8_t *p = kp_alloc2(sys, KPT_NP, 20, KPT_TAG1, KP_HERE);
  ((volatile uint8_t *)p)[21] = 1; // the driver's bug
}

static void child_use_after_free(void) {
  kp_system_t *sys = kp_system_create(NULL);
  uint8_t *p = kp_alloc2(sys, KPT_PG, 64, KPT_TAG1, KP_HERE);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  child_sink = ((volatile uint8_t *)p)[8];
}

static void child_special_slop(void) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  kp_system_t *sys = kp_system_create(&cfg);
  uint8_t *p = kp_alloc2(sys, KPT_NP, 20, KPT_TAG1, KP_HERE);
  ((volatile uint8_t *)p)[24] = 1; // in the slop, before the guard page
}
#endif

static void test_asan_reports_the_drivers_bugs(void **state) {
  (void)state;
#if defined(TS_ASAN)
  void (*bugs[])(void) = {child_overrun, child_use_after_free, child_special_slop};
  const char *where[] = {"child_overrun", "child_use_after_free", "child_special_slop"};
  // Function names need a symbolizer that matches the compiler; the build
  // points ASAN_SYMBOLIZER_PATH at one, or says there is none.
  const char *asan_options = getenv("ASAN_OPTIONS");
  bool names_checked = true;
  if (getenv("KP_TEST_NO_SYMBOLIZER") != NULL) {
    printf("note: no llvm-symbolizer matching this compiler: the check that ASan's report "
           "names the driver's function is skipped (the reports themselves are checked)\n");
    names_checked = false;
  } else if (asan_options != NULL && strstr(asan_options, "symbolize=0") != NULL) {
    printf("note: ASAN_OPTIONS has symbolize=0: the function-name check is skipped\n");
    names_checked = false;
  }
  for (int i = 0; i < 3; i++) {
    int status = run_child(bugs[i]);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) != 0) && !WIFSIGNALED(status))
      fail_msg("%s: the child was not stopped:\n%s", where[i], child_report);
    if (strstr(child_report, "AddressSanitizer: use-after-poison") == NULL)
      fail_msg("%s: no ASan report:\n%s", where[i], child_report);
    if (!names_checked) continue;
    if (strstr(child_report, where[i]) == NULL)
      fail_msg("%s: the report does not name the driver's function:\n%s", where[i],
               child_report);
  }
#else
  skip();
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_live_block_header_and_canary_are_poisoned, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_freed_and_recycled_blocks, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_knob_off_poisons_nothing),
      cmocka_unit_test_setup_teardown(test_special_pool_pattern_is_poisoned, setup_special, kpt_teardown),
      cmocka_unit_test(test_destroy_leaves_no_poison),
      cmocka_unit_test(test_asan_reports_the_drivers_bugs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
