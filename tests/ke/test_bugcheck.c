/*
 * test_bugcheck.c — the stop line and report format, the default handler
 * (print and abort, checked in a child process), handler installation,
 * KeBugCheckEx, counters, names and the global handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp_test_util.h"

static void test_stop_line_format(void **state) {
  kp_system_t *sys = *state;
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, kp_bugcheck(sys, 0xC2, 0x0A, 0x00007F2A1C003010ull,
                                              0x31676154, 0x32676154, "words"));
  assert_string_equal(kpt_last.stop_line,
                      "*** STOP: 0x000000C2 (0x000000000000000A,0x00007F2A1C003010,"
                      "0x0000000031676154,0x0000000032676154)");
  assert_string_equal(kpt_last.name, "BAD_POOL_CALLER");
  assert_non_null(strstr(kpt_last.explanation, "words"));
}

static void test_print_layout(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_t bc;
  memset(&bc, 0, sizeof bc);
  bc.code = 0xC4;
  bc.name = "DRIVER_VERIFIER_DETECTED_VIOLATION";
  bc.stop_line = "*** STOP: 0x000000C4 (0x0000000000000062,0x0000000000000000,"
                 "0x0000000000000000,0x0000000000000001)";
  bc.explanation = "one leak";
  bc.system = sys;
  kpt_output_reset();
  kp_bugcheck_print(&bc, kpt_capture, NULL);
  assert_string_equal(kpt_output,
                      "*** STOP: 0x000000C4 (0x0000000000000062,0x0000000000000000,"
                      "0x0000000000000000,0x0000000000000001)\n"
                      "DRIVER_VERIFIER_DETECTED_VIOLATION\n\none leak\n");
}

static void test_report_describes_block(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_PG, 77, KPT_TAG1, KP_HERE);
  int line = __LINE__ - 1;
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, kp_free(sys, p, KPT_TAG2, KP_HERE));
  char want[64];
  snprintf(want, sizeof want, "test_bugcheck.c:%d", line);
  assert_non_null(strstr(kpt_last.explanation, want));
  assert_non_null(strstr(kpt_last.explanation, "77 bytes requested"));
  assert_non_null(strstr(kpt_last.explanation, "paged pool"));
  assert_non_null(strstr(kpt_last.explanation, "'Tag1' (0x31676154)"));
  assert_non_null(strstr(kpt_last.explanation, "by thread"));
  assert_non_null(strstr(kpt_last.explanation, "this call:"));
  assert_non_null(strstr(kpt_last.explanation, "ExAllocatePool2"));
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_counters_and_last(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_bugcheck_count(sys), 0);
  kp_bugcheck(sys, 0xE2, 1, 2, 3, 4, NULL); // handler returns here
  kp_bugcheck(sys, 0xC7, 5, 6, 7, 8, NULL);
  assert_int_equal(kp_bugcheck_count(sys), 2);
  uint32_t code = 0;
  uint64_t p[4] = {0};
  kp_bugcheck_last(sys, &code, p);
  assert_int_equal(code, 0xC7);
  assert_int_equal(p[0], 5);
  assert_int_equal(p[3], 8);
  assert_non_null(strstr(kpt_last.explanation, "KeBugCheckEx"));
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(kp_bugcheck_name(0x1E), "KMODE_EXCEPTION_NOT_HANDLED");
  assert_string_equal(kp_bugcheck_name(0xD6), "DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION");
  assert_string_equal(kp_bugcheck_name(0xBE), "ATTEMPTED_WRITE_TO_READONLY_MEMORY");
  assert_string_equal(kp_bugcheck_name(0x12345), "UNKNOWN_BUGCHECK");
}

static int other_calls;
static void other_handler(const kp_bugcheck_t *bc, void *arg) {
  (void)bc;
  *(int *)arg += 1;
}

static void test_handler_swap(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_fn old_fn = NULL;
  void *old_arg = (void *)1;
  other_calls = 0;
  kp_bugcheck_set_handler(sys, other_handler, &other_calls, &old_fn, &old_arg);
  assert_ptr_equal(old_fn, kpt_handler);
  assert_null(old_arg);
  kp_bugcheck(sys, 0xE2, 0, 0, 0, 0, NULL);
  assert_int_equal(other_calls, 1);
  kp_bugcheck_set_handler(sys, old_fn, old_arg, NULL, NULL);
  kpt_reset_caught();
  kp_bugcheck(sys, 0xE2, 0, 0, 0, 0, NULL);
  assert_int_equal(other_calls, 1);
  assert_int_equal(kpt_last.count, 1);
}

static void test_global_handler(void **state) {
  (void)state;
  other_calls = 0;
  kp_bugcheck_set_global_handler(other_handler, &other_calls);
  kp_bugcheck(NULL, 0xE2, 0, 0, 0, 0, NULL);
  assert_int_equal(other_calls, 1);
  kp_bugcheck_set_global_handler(NULL, NULL);
}

/* The default handler prints the report and aborts: run it in a child. */
static void test_default_handler_aborts(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    kp_system_t *sys = kp_system_create(NULL);
    void *p = kp_alloc2(sys, KPT_NP, 16, KPT_TAG1, KP_HERE);
    kp_free(sys, p, KPT_TAG2, KP_HERE);
    _exit(0); // not reached: the default handler aborts
  }
  close(fds[1]);
  char buf[8192];
  size_t len = 0;
  ssize_t n;
  while ((n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
  buf[len] = '\0';
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
  assert_non_null(strstr(buf, "*** STOP: 0x000000C2 (0x000000000000000A,"));
  assert_non_null(strstr(buf, ",0x0000000031676154,0x0000000032676154)\nBAD_POOL_CALLER\n"));
  assert_non_null(strstr(buf, "'Tag2'"));
}

/* A handler that records and returns: the simulator abandons each operation. */
static char returned_text[8][4096];
static uint32_t returned_code[8];
static int returned_n;
static void record_and_return(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  if (returned_n < 8) {
    returned_code[returned_n] = bc->code;
    snprintf(returned_text[returned_n], sizeof returned_text[0], "%s", bc->explanation);
  }
  returned_n++;
}

/* After a handler returned from a bug check that left the thread at
 * DISPATCH_LEVEL holding a spin lock, the next report says it follows from
 * that one; back at PASSIVE_LEVEL, reports stand on their own again. */
static void test_report_after_abandoned_operation_names_its_cause(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  returned_n = 0;
  kp_bugcheck_set_handler(sys, record_and_return, NULL, NULL, NULL);
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  (void)kp_spin_lock_acquire(&lock);  // acquired twice: bug check, returns
  assert_int_equal(returned_n, 1);
  assert_null(strstr(returned_text[0], "follows from"));
  // Still at DISPATCH_LEVEL with the lock held: a paged allocation is an
  // IRQL violation, which the report ties to the first bug check.
  void *p = kp_alloc2(sys, KPT_PG, 32, KPT_TAG1, KP_HERE);
  assert_null(p);
  assert_int_equal(returned_n, 2);
  char want[128];
  snprintf(want, sizeof want, "follows from: an earlier bug check on this thread, 0x%08X",
           (unsigned)returned_code[0]);
  assert_non_null(strstr(returned_text[1], want));
  assert_non_null(strstr(returned_text[1], "at IRQL 2 with 1 spin lock held"));
  kp_spin_lock_release(&lock, old);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  // Back at PASSIVE_LEVEL: the next report stands on its own.
  kp_bugcheck(sys, 0xE2, 0, 0, 0, 0, NULL);
  assert_int_equal(returned_n, 3);
  assert_null(strstr(returned_text[2], "follows from"));
  kp_bugcheck_set_handler(sys, kpt_handler, NULL, NULL, NULL);
  kp_system_set_current(prev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_stop_line_format, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_print_layout, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_report_describes_block, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_counters_and_last, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_names),
      cmocka_unit_test_setup_teardown(test_handler_swap, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_global_handler),
      cmocka_unit_test(test_default_handler_aborts),
      cmocka_unit_test_setup_teardown(test_report_after_abandoned_operation_names_its_cause,
                                      kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
