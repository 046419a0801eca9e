/*
 * test_cmocka_helper.c — the helper header kpool/cmocka.h itself: each
 * assertion passes when it should, fails the test when it should (checked
 * end to end by running this executable again with --failing and reading
 * its exit code and output), restores the previous handler, nests, and
 * works in setup and teardown.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#endif

#include <kpool/cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kpool/kpool.h>

#define MANUAL 0xE2u /* MANUALLY_INITIATED_CRASH: kp_bugcheck's test code */

static const char *self_path;

static int setup_sys(void **state) {
  kp_system_t *sys = kp_system_create(NULL);
  *state = sys;
  return sys != NULL ? 0 : -1;
}

static int teardown_sys(void **state) {
  kp_system_destroy(*state);
  return 0;
}

static void crash(kp_system_t *sys, uint64_t p1) {
  kp_bugcheck(sys, MANUAL, p1, 2, 3, 4, "test crash");
}

/* ---------------------------------------------------------------------------
 * Passing assertions.
 * ------------------------------------------------------------------------- */
static void test_assert_bugcheck_catches(void **state) {
  kp_system_t *sys = *state;
  volatile int after = 0;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 1, crash(sys, 1); after = 1);
  assert_int_equal(after, 0); // the statement stops at the bug check
  KP_ASSERT_BUGCHECK(sys, 0xE2, 0x77, crash(sys, 0x77));
  assert_int_equal(kp_bugcheck_count(sys), 2);
}

static void test_assert_bugcheck_params(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK_PARAMS(sys, MANUAL, 9, 2, 3, 4, crash(sys, 9));
  KP_ASSERT_BUGCHECK_PARAMS(sys, MANUAL, 9, KP_ANY, 3, KP_ANY, crash(sys, 9));
  KP_ASSERT_BUGCHECK_PARAMS(sys, MANUAL, KP_ANY, KP_ANY, KP_ANY, KP_ANY,
                            crash(sys, 12345));
}

static void test_statement_with_commas(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 5, {
    int a = 2, b = 3;
    kp_bugcheck(sys, MANUAL, (uint64_t)(a + b), 0, 0, 0, NULL);
  });
  int x = 0, y = 0;
  KP_ASSERT_NO_BUGCHECK(sys, x = 1, y = 2);
  assert_int_equal(x + y, 3);
}

static void test_no_bugcheck_keeps_locals(void **state) {
  kp_system_t *sys = *state;
  void *p = NULL; // not volatile: KP_ASSERT_NO_BUGCHECK uses no setjmp
  KP_ASSERT_NO_BUGCHECK(sys, p = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, 40,
                                           KP_TAG('H', 'l', 'p', 'r'), KP_HERE));
  assert_non_null(p);
  KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, p, KP_TAG('H', 'l', 'p', 'r'), KP_HERE));
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

static void test_previous_handler_restored(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_record_t mine;
  kp_bugcheck_record_init(&mine);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &mine, NULL, NULL);
  KP_ASSERT_BUGCHECK(sys, MANUAL, 1, crash(sys, 1));
  KP_ASSERT_NO_BUGCHECK(sys, (void)0);
  KP_ASSERT_RAISES(KP_STATUS_UNSUCCESSFUL, kp_raise_status(KP_STATUS_UNSUCCESSFUL));
  kp_bugcheck_record_t cap;
  KP_CAPTURE_BUGCHECK(sys, &cap, crash(sys, 3));
  assert_int_equal(mine.count, 0); // the assertions caught their own
  crash(sys, 2);                   // and this one goes to mine again
  assert_int_equal(mine.count, 1);
  assert_int_equal(mine.params[0], 2);
  kp_bugcheck_fn old_fn = NULL;
  void *old_arg = NULL;
  kp_bugcheck_set_handler(sys, NULL, NULL, &old_fn, &old_arg);
  assert_true(old_fn == kp_bugcheck_record_handler);
  assert_ptr_equal(old_arg, &mine);
}

static void test_nested_in_one_function(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_NO_BUGCHECK(sys, KP_ASSERT_BUGCHECK(sys, MANUAL, 7, crash(sys, 7)));
  KP_ASSERT_BUGCHECK(sys, MANUAL, 1, {
    KP_ASSERT_BUGCHECK(sys, MANUAL, 2, crash(sys, 2));
    crash(sys, 1);
  });
  assert_int_equal(kp_bugcheck_count(sys), 3);
}

static void inner_assertion(kp_system_t *sys) {
  KP_ASSERT_BUGCHECK(sys, MANUAL, 8, crash(sys, 8));
}

static void test_nested_through_calls(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 1, inner_assertion(sys); crash(sys, 1));
  KP_ASSERT_NO_BUGCHECK(sys, inner_assertion(sys));
}

static void test_capture_fills_record(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, crash(sys, 0xABC));
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, MANUAL);
  assert_int_equal(rec.params[0], 0xABC);
  assert_int_equal(rec.params[1], 2);
  assert_int_equal(rec.params[2], 3);
  assert_int_equal(rec.params[3], 4);
  assert_ptr_equal(rec.system, sys);
  assert_int_equal(rec.thread, kp_thread_id());
  assert_null(rec.jump);
  assert_string_equal(rec.name, "MANUALLY_INITIATED_CRASH");
  assert_non_null(strstr(rec.stop_line, "*** STOP: 0x000000E2 (0x0000000000000ABC,"));
  assert_non_null(strstr(rec.explanation, "test crash"));
  KP_CAPTURE_BUGCHECK(sys, &rec, (void)0);
  assert_int_equal(rec.count, 0);
  assert_int_equal(rec.code, 0);
}

static void test_recorder_returning_and_truncation(void **state) {
  kp_system_t *sys = *state;
  static char longtext[6000];
  memset(longtext, 'x', sizeof longtext - 1);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  crash(sys, 1);
  kp_bugcheck(sys, MANUAL, 2, 0, 0, 0, longtext);
  kp_bugcheck_set_handler(sys, NULL, NULL, NULL, NULL);
  assert_int_equal(rec.count, 2); // the handler returned both times
  assert_int_equal(rec.params[0], 2);
  assert_int_equal(strlen(rec.explanation), sizeof rec.explanation - 1);
  // The handler ignores NULL arguments.
  kp_bugcheck_record_handler(NULL, &rec);
  kp_bugcheck_record_init(NULL);
  assert_int_equal(rec.count, 2);
}

static void test_matching_function(void **state) {
  (void)state;
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  assert_false(kp_bugcheck_record_matches(&rec, 0, KP_ANY, KP_ANY, KP_ANY, KP_ANY));
  assert_false(kp_bugcheck_record_matches(NULL, 0, 0, 0, 0, 0));
  rec.count = 1;
  rec.code = 0xC4;
  rec.params[0] = 0x30;
  rec.params[1] = 2;
  rec.params[2] = 1;
  rec.params[3] = 0;
  assert_true(kp_bugcheck_record_matches(&rec, 0xC4, 0x30, 2, 1, 0));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC4, 0x30, KP_ANY, KP_ANY, KP_ANY));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC4, KP_ANY, KP_ANY, 1, KP_ANY));
  assert_false(kp_bugcheck_record_matches(&rec, 0xC2, 0x30, KP_ANY, KP_ANY, KP_ANY)); // code
  assert_false(kp_bugcheck_record_matches(&rec, 0xC4, 0x31, KP_ANY, KP_ANY, KP_ANY)); // P1
  assert_false(kp_bugcheck_record_matches(&rec, 0xC4, 0x30, 3, KP_ANY, KP_ANY));      // P2
  assert_false(kp_bugcheck_record_matches(&rec, 0xC4, 0x30, KP_ANY, 0, KP_ANY));      // P3
  assert_false(kp_bugcheck_record_matches(&rec, 0xC4, 0x30, KP_ANY, KP_ANY, 9));      // P4
}

static void test_assert_raises(void **state) {
  (void)state;
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   kp_raise_status(KP_STATUS_INSUFFICIENT_RESOURCES));
  assert_false(kp_try_active());
}

static void test_raise_escapes_to_enclosing_frame(void **state) {
  kp_system_t *sys = *state;
  volatile kp_status_t caught = 0;
  KP_TRY {
    KP_ASSERT_BUGCHECK(sys, MANUAL, 1, kp_raise_status(KP_STATUS_CANCELLED));
  } KP_EXCEPT(st) {
    caught = st;
  } KP_END_TRY;
  assert_int_equal(caught, KP_STATUS_CANCELLED);
  assert_false(kp_try_active());
  // The assertion's handler was taken down before the raise went on.
  kp_bugcheck_fn old_fn = kp_bugcheck_record_handler;
  kp_bugcheck_set_handler(sys, NULL, NULL, &old_fn, NULL);
  assert_null(old_fn);
}

static void test_unhandled_raise_in_statement(void **state) {
  kp_system_t *sys = *state;
  // No enclosing frame: the raise is the 0x1E bug check on its system.
  kp_system_t *prev = kp_system_set_current(sys);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0x1E, 0xFFFFFFFFC0000120ull, KP_ANY, 0, 0,
                            kp_raise_status(KP_STATUS_CANCELLED));
  kp_system_set_current(prev);
  assert_false(kp_try_active());
}

typedef struct other_thread {
  kp_system_t *sys;
} other_thread_t;

static void *crash_on_other_thread(void *arg) {
  other_thread_t *o = arg;
  crash(o->sys, 0x55);
  return NULL;
}

static void run_crashing_thread(kp_system_t *sys) {
  other_thread_t o = {sys};
  pthread_t th;
  if (pthread_create(&th, NULL, crash_on_other_thread, &o) == 0)
    pthread_join(th, NULL);
}

static void test_other_threads_go_to_previous_handler(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_record_t mine;
  kp_bugcheck_record_init(&mine);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &mine, NULL, NULL);
  KP_ASSERT_NO_BUGCHECK(sys, run_crashing_thread(sys));
  kp_bugcheck_set_handler(sys, NULL, NULL, NULL, NULL);
  assert_int_equal(mine.count, 1);
  assert_int_equal(mine.params[0], 0x55);
  assert_int_not_equal(mine.thread, kp_thread_id());
}

/* The example in the header's documentation, as written there. */
static void test_header_example(void **state) {
  kp_system_t *sys = *state;
  const kp_tag_t tag1 = KP_TAG('T', 'a', 'g', '1');
  void *volatile p = NULL; // live across KP_ASSERT_BUGCHECK's setjmp
  KP_ASSERT_NO_BUGCHECK(sys, p = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, 32,
                                           tag1, KP_HERE));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A,
                     kp_free(sys, p, KP_TAG('T', 'a', 'g', '2'), KP_HERE));
  KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, p, tag1, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   kp_raise_status(KP_STATUS_INSUFFICIENT_RESOURCES));
  kp_system_t *prev = kp_system_set_current(sys);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(kp_system_current(), 0xC4, 0x30, KP_DISPATCH_LEVEL,
                            KP_PASSIVE_LEVEL, KP_ANY,
                            kp_irql_raise(KP_PASSIVE_LEVEL));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_system_set_current(prev);
}

/* ---------------------------------------------------------------------------
 * Use in setup and teardown.
 * ------------------------------------------------------------------------- */
static int fixture_checks;

static int setup_with_assertions(void **state) {
  kp_system_t *sys = kp_system_create(NULL);
  if (sys == NULL) return -1;
  *state = sys;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 3, crash(sys, 3));
  KP_ASSERT_NO_BUGCHECK(sys, (void)0);
  fixture_checks++;
  return 0;
}

static int teardown_with_assertions(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK_PARAMS(sys, MANUAL, 4, 2, 3, 4, crash(sys, 4));
  fixture_checks++;
  kp_system_destroy(sys);
  return 0;
}

static void test_inside_fixture(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(fixture_checks, 1); // setup ran its assertions
  assert_int_equal(kp_bugcheck_count(sys), 1);
}

static void test_after_fixture(void **state) {
  (void)state;
  assert_int_equal(fixture_checks, 2); // and so did teardown
}

/* ---------------------------------------------------------------------------
 * Assertions that must fail: run in a child process (--failing), whose
 * exit code is the number of failed tests.
 * ------------------------------------------------------------------------- */
static void fail_wrong_code(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A, kp_bugcheck(sys, 0xC4, 0x0A, 0, 0, 0, NULL));
}
static void fail_wrong_p1(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 0x11, crash(sys, 0x12));
}
static void fail_wrong_p3(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK_PARAMS(sys, MANUAL, 1, KP_ANY, 99, KP_ANY, crash(sys, 1));
}
static void fail_nothing_raised(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 1, (void)0);
}
static void fail_unexpected_bugcheck(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_NO_BUGCHECK(sys, crash(sys, 0x66));
}
static void fail_wrong_status(void **state) {
  (void)state;
  KP_ASSERT_RAISES(KP_STATUS_NO_MEMORY, kp_raise_status(KP_STATUS_ACCESS_DENIED));
}
static void fail_no_raise(void **state) {
  (void)state;
  KP_ASSERT_RAISES(KP_STATUS_NO_MEMORY, (void)0);
}
static void fail_null_system(void **state) {
  (void)state;
  KP_ASSERT_BUGCHECK(NULL, MANUAL, 1, (void)0);
}
static void fail_null_system_none(void **state) {
  (void)state;
  KP_ASSERT_NO_BUGCHECK(NULL, (void)0);
}
static void pass_control(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK(sys, MANUAL, 1, crash(sys, 1));
}

#define FAILING_COUNT 9

static int teardown_check_restored(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_fn old_fn = NULL;
  kp_bugcheck_set_handler(sys, NULL, NULL, &old_fn, NULL);
  if (old_fn != NULL) printf("HANDLER-LEAK\n");
  if (kp_try_active()) printf("FRAME-LEAK\n");
  fflush(stdout);
  kp_system_destroy(sys);
  return 0;
}

static int run_failing(void) {
#define F(t) cmocka_unit_test_setup_teardown(t, setup_sys, teardown_check_restored)
  const struct CMUnitTest failing[] = {
      F(fail_wrong_code),  F(fail_wrong_p1),          F(fail_wrong_p3),
      F(fail_nothing_raised), F(fail_unexpected_bugcheck), F(fail_wrong_status),
      F(fail_no_raise),    F(fail_null_system),       F(fail_null_system_none),
      F(pass_control),
  };
#undef F
  return cmocka_run_group_tests(failing, NULL, NULL);
}

static char *run_self_failing(int *exit_code) {
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execl(self_path, self_path, "--failing", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t cap = 1 << 16, len = 0;
  char *out = malloc(cap);
  if (out != NULL) {
    ssize_t n;
    while ((n = read(fds[0], out + len, cap - 1 - len)) > 0) {
      len += (size_t)n;
      if (len + 1 == cap) {
        char *bigger = realloc(out, cap * 2);
        if (bigger == NULL) break;
        out = bigger;
        cap *= 2;
      }
    }
    out[len] = '\0';
  }
  close(fds[0]);
  int status = 0;
  *exit_code = -1;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
    *exit_code = WEXITSTATUS(status);
  return out;
}

static void test_wrong_expectations_fail_the_test(void **state) {
  (void)state;
  int code = -1;
  char *out = run_self_failing(&code);
  assert_non_null(out);
  if (code != FAILING_COUNT) print_error("child output:\n%s\n", out);
  assert_int_equal(code, FAILING_COUNT);
  // What each failure says.
  assert_non_null(strstr(out, "should raise bug check 0x000000C2 with P1 0xA"));
  assert_non_null(strstr(out, "got: *** STOP: 0x000000C4 (0x000000000000000A,"));
  assert_non_null(strstr(out, "should raise bug check 0x000000E2 with P1 0x11"));
  assert_non_null(strstr(out, "with P1 0x1, P3 0x63\n"));
  assert_non_null(strstr(out, "got: no bug check"));
  assert_non_null(strstr(out, "should raise no bug check; it raised 1"));
  assert_non_null(strstr(out, "but raised 0xC0000022 (STATUS_ACCESS_DENIED)"));
  assert_non_null(strstr(out, "but returned normally"));
  assert_non_null(strstr(out, "on a NULL system"));
  assert_non_null(strstr(out, "test_cmocka_helper.c:"));
  assert_null(strstr(out, "HANDLER-LEAK"));
  assert_null(strstr(out, "FRAME-LEAK"));
  free(out);
}

int main(int argc, char **argv) {
  self_path = argv[0];
  if (argc > 1 && strcmp(argv[1], "--failing") == 0) return run_failing();
#define T(t) cmocka_unit_test_setup_teardown(t, setup_sys, teardown_sys)
  const struct CMUnitTest tests[] = {
      T(test_assert_bugcheck_catches),
      T(test_assert_bugcheck_params),
      T(test_statement_with_commas),
      T(test_no_bugcheck_keeps_locals),
      T(test_previous_handler_restored),
      T(test_nested_in_one_function),
      T(test_nested_through_calls),
      T(test_capture_fills_record),
      T(test_recorder_returning_and_truncation),
      T(test_matching_function),
      T(test_assert_raises),
      T(test_raise_escapes_to_enclosing_frame),
      T(test_unhandled_raise_in_statement),
      T(test_other_threads_go_to_previous_handler),
      T(test_header_example),
      cmocka_unit_test_setup_teardown(test_inside_fixture, setup_with_assertions,
                                      teardown_with_assertions),
      cmocka_unit_test(test_after_fixture),
      cmocka_unit_test(test_wrong_expectations_fail_the_test),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
