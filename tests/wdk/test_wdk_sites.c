/*
 * test_wdk_sites.c — allocations made through a driver's own wrapper: the
 * site is the wrapper's line, and the report adds who called the wrapper
 * ("called from <function> at <file:line>"); the leak report groups the
 * wrapper's blocks by that outer caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntddk.h>

#include "kp_test_util.h"

#define WRAP_TAG 'prWT'

/* The driver's allocation wrapper, as in a driver's Memory.c. It counts
 * after the call, so that no compiler turns the calls into tail calls (a
 * tail call leaves no return address behind: the report would then name
 * the caller's caller, which is still right, but not what this test pins). */
static volatile int allocations;
__attribute__((noinline)) static PVOID DrvAlloc(SIZE_T n) {
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, WRAP_TAG);
  allocations++;
  return p;
}

__attribute__((noinline)) static PVOID CreateWidget(void) {
  PVOID p = DrvAlloc(40);
  allocations++;
  return p;
}
__attribute__((noinline)) static PVOID CreateGadget(void) {
  PVOID p = DrvAlloc(80);
  allocations++;
  return p;
}

static void test_leaks_grouped_by_the_wrappers_caller(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  PVOID w1 = CreateWidget();
  PVOID w2 = CreateWidget();
  PVOID g = CreateGadget();
  assert_non_null(w1);
  assert_non_null(g);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, g, &info));
  assert_non_null(info.site.file);
  assert_non_null(info.site.outer);
  assert_ptr_not_equal(info.site.outer, info.site.caller);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  // Two groups at the wrapper's one line, told apart by the caller.
  char want[64];
  snprintf(want, sizeof want, "test_wdk_sites.c:%d, called from ", 25);
  const char *first = strstr(kpt_output, want);
  assert_non_null(first);
  const char *second = strstr(first + 1, want);
  assert_non_null(second);
  assert_null(strstr(second + 1, want));
  assert_non_null(strstr(kpt_output, "2 x at test_wdk_sites.c:25, called from "));
  assert_non_null(strstr(kpt_output, "1 x at test_wdk_sites.c:25, called from "));
  // With the host's symbolizer, the callers by name and line.
  if (strstr(kpt_output, "called from CreateWidget") != NULL) {
    assert_non_null(strstr(kpt_output, "called from CreateWidget at test_wdk_sites.c:31"));
    assert_non_null(strstr(kpt_output, "called from CreateGadget at test_wdk_sites.c:36"));
  } else {
    print_message("note: no symbolizer for this build: callers shown as %s\n",
                  strstr(first, "called from "));
  }
  ExFreePoolWithTag(w1, WRAP_TAG);
  ExFreePoolWithTag(w2, WRAP_TAG);
  ExFreePoolWithTag(g, WRAP_TAG);
  kp_system_set_current(prev);
}

/* A free names no outer caller (the free macros do not record one), and a
 * direct call through the function name has none either. */
static void test_no_outer_for_frees_and_function_calls(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  PVOID p = (ExAllocatePool2)(POOL_FLAG_NON_PAGED, 16, WRAP_TAG);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_null(info.site.file);
  assert_null(info.site.outer);
  assert_non_null(info.site.caller);
  ExFreePoolWithTag(p, WRAP_TAG);
  kp_system_set_current(prev);
}

/* Spin-lock and fast-mutex misuse has no call-site macro (the WDK names
 * are plain functions): the report symbolises the return address, so it
 * still names the function and file:line. */
static void test_lock_reports_name_file_and_line(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  bool caught;
  KPT_CATCH(caught, KeAcquireSpinLock(&lock, &old));
  assert_true(caught);
  assert_int_equal(kpt_last.code, 0xC4);
  const char *at = strstr(kpt_last.explanation, "this call:  at caller 0x");
  assert_non_null(at);
  if (strstr(at, " in test_lock_reports_name_file_and_line") != NULL) {
    assert_non_null(strstr(at, " in test_lock_reports_name_file_and_line at test_wdk_sites.c:"));
  } else {
    print_message("note: no symbolizer for this build: %.80s\n", at);
  }
  // The acquire was abandoned; the first one still holds the lock.
  KeReleaseSpinLock(&lock, old);
  FAST_MUTEX m;
  ExInitializeFastMutex(&m);
  ExAcquireFastMutex(&m);
  KPT_CATCH(caught, ExAcquireFastMutex(&m));
  assert_true(caught);
  at = strstr(kpt_last.explanation, "this call:  at caller 0x");
  assert_non_null(at);
  if (strstr(at, " in test_lock_reports_name_file_and_line") != NULL)
    assert_non_null(strstr(at, " in test_lock_reports_name_file_and_line at test_wdk_sites.c:"));
  ExReleaseFastMutex(&m);
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_system_set_current(prev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_leaks_grouped_by_the_wrappers_caller, kpt_setup,
                                      kpt_teardown),
      cmocka_unit_test_setup_teardown(test_no_outer_for_frees_and_function_calls, kpt_setup,
                                      kpt_teardown),
      cmocka_unit_test_setup_teardown(test_lock_reports_name_file_and_line, kpt_setup,
                                      kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
