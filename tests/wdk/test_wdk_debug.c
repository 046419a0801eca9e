/*
 * test_wdk_debug.c — DbgPrint / DbgPrintEx / vDbgPrintEx(WithPrefix) /
 * KdPrint(Ex) through the debug filter (Windows' defaults, component and
 * global masks, bit-field levels, DbgQuery/SetDebugFilterState and
 * kp_debug_filter_*), the captured output text, the 512-byte message, and
 * the assertion macros in a DBG build (this file: the report names the
 * file name and line) and a free build (test_wdk_debug_free.c: nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include <wdm.h>

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

#include "kp_test_util.h"
#include "test_wdk_debug.h"

#define EXCEPTION_P1(st) ((ULONG64)(LONG64)(st))

static int setup(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *sys = kpt_system(&cfg);
  if (sys == NULL) return -1;
  kp_system_t *old = kp_system_set_current(sys);
  if (old != NULL) kp_system_destroy(old);
  *state = sys;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  kp_system_t *old = kp_system_set_current(NULL);
  if (old != NULL) kp_system_destroy(old);
  return 0;
}

/* ---------------------------------------------------------------------------
 * The filter
 * ------------------------------------------------------------------------- */

static void test_defaults_show_only_errors(void **state) {
  kp_system_t *sys = *state;
  // Windows' defaults: Kd_WIN2000_Mask 1, every component mask 0.
  assert_int_equal(kp_debug_filter_get(sys, KP_DEBUG_WIN2000), 1);
  assert_int_equal(kp_debug_filter_get(sys, DPFLTR_IHVDRIVER_ID), 0);
  kpt_output_reset();
  assert_int_equal(
      DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "err %d\n", 1),
      STATUS_SUCCESS);
  assert_int_equal(
      DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "warn\n"),
      STATUS_SUCCESS);
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "trace\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "info\n");
  DbgPrintEx(DPFLTR_IHVVIDEO_ID, DPFLTR_ERROR_LEVEL, "video err\n");
  // DbgPrint is DEFAULT / INFO: filtered out by default, still SUCCESS.
  assert_int_equal(DbgPrint("plain\n"), STATUS_SUCCESS);
  assert_string_equal(kpt_output, "err 1\nvideo err\n");
  // A bit-field level with bit 0 (DPFLTR_MASK | 1) is an error message too.
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x1, "mask-err\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x10, "mask-16\n");
  assert_string_equal(kpt_output, "mask-err\n");
}

static void test_component_masks(void **state) {
  kp_system_t *sys = *state;
  // Kd_IHVDRIVER_Mask = 0x8 (INFO): info shows, trace does not.
  assert_int_equal(kp_debug_filter_set(sys, DPFLTR_IHVDRIVER_ID, 0x8),
                   KP_STATUS_SUCCESS);
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "info\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "trace\n");
  DbgPrintEx(DPFLTR_IHVBUS_ID, DPFLTR_INFO_LEVEL, "bus info\n");
  assert_string_equal(kpt_output, "info\n");
  // Levels above 31 are bit fields: 0x10 and 0x20 against mask 0x30.
  kp_debug_filter_set(sys, DPFLTR_IHVDRIVER_ID, 0x30);
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x20, "bit5\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x40, "bit6\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, 5, "level5\n");
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, 6, "level6\n");
  assert_string_equal(kpt_output, "bit5\nlevel5\n");
  // Opening DEFAULT shows DbgPrint.
  kp_debug_filter_set(sys, DPFLTR_DEFAULT_ID, 0xFFFFFFFFu);
  kpt_output_reset();
  DbgPrint("plain %s\n", "text");
  assert_string_equal(kpt_output, "plain text\n");
  // The global mask applies to every component.
  kp_debug_filter_set(sys, KP_DEBUG_WIN2000, 0xF);
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_TRACE_LEVEL, "audio trace\n");
  assert_string_equal(kpt_output, "audio trace\n");
  // Closing it: even errors of a closed component vanish.
  kp_debug_filter_set(sys, KP_DEBUG_WIN2000, 0);
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "audio err\n");
  assert_string_equal(kpt_output, "");
  // Bad arguments.
  assert_int_equal(kp_debug_filter_set(NULL, 1, 1),
                   KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_debug_filter_set(sys, KP_DEBUG_COMPONENTS, 1),
                   KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_debug_filter_get(sys, KP_DEBUG_COMPONENTS), 0);
  assert_int_equal(kp_debug_filter_get(NULL, 1), 0);
  // An unknown component prints nothing, and DbgPrintEx still succeeds.
  kp_debug_filter_set(sys, KP_DEBUG_WIN2000, 0xFFFFFFFFu);
  kpt_output_reset();
  assert_int_equal(DbgPrintEx(5000, DPFLTR_ERROR_LEVEL, "unknown\n"),
                   STATUS_SUCCESS);
  assert_string_equal(kpt_output, "");
}

static void test_query_and_set_filter_state(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(
      DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL), TRUE);
  assert_int_equal(
      DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL), FALSE);
  assert_int_equal(
      DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, TRUE),
      STATUS_SUCCESS);
  assert_int_equal(kp_debug_filter_get(sys, DPFLTR_IHVDRIVER_ID), 0x4);
  assert_int_equal(
      DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL), TRUE);
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "now shown\n");
  assert_string_equal(kpt_output, "now shown\n");
  assert_int_equal(
      DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x30, TRUE),
      STATUS_SUCCESS);
  assert_int_equal(kp_debug_filter_get(sys, DPFLTR_IHVDRIVER_ID), 0x34);
  assert_int_equal(
      DbgSetDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, FALSE),
      STATUS_SUCCESS);
  assert_int_equal(kp_debug_filter_get(sys, DPFLTR_IHVDRIVER_ID), 0x30);
  // (ULONG)-1 is Kd_WIN2000_Mask.
  assert_int_equal(DbgSetDebugFilterState((ULONG)-1, DPFLTR_ERROR_LEVEL, FALSE),
                   STATUS_SUCCESS);
  assert_int_equal(
      DbgQueryDebugFilterState(DPFLTR_IHVVIDEO_ID, DPFLTR_ERROR_LEVEL), FALSE);
  assert_int_equal(DbgQueryDebugFilterState(KP_DEBUG_COMPONENTS, 0),
                   STATUS_INVALID_PARAMETER_1);
  assert_int_equal(DbgSetDebugFilterState(KP_DEBUG_COMPONENTS, 0, TRUE),
                   STATUS_INVALID_PARAMETER_1);
}

/* Threads changing masks of a fresh system at once: the filter's state is
 * created once (registration race) and every change is kept. */
static void *set_levels(void *arg) {
  ULONG component = (ULONG)(uintptr_t)arg;
  for (ULONG level = 0; level < 32; level++) {
    DbgSetDebugFilterState(component, level, TRUE);
    (void)DbgQueryDebugFilterState(component, level);
    // A bit-field level with no bits matches no mask: never printed (the
    // capture function is not thread-safe), but filtered concurrently.
    DbgPrintEx(component, DPFLTR_MASK, "never shown\n");
  }
  return NULL;
}

static void test_filter_is_thread_safe(void **state) {
  kp_system_t *sys = *state;
  pthread_t t[4];
  for (uintptr_t i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, set_levels,
                                    (void *)(DPFLTR_IHVDRIVER_ID + i)),
                     0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (ULONG i = 0; i < 4; i++)
    assert_int_equal(kp_debug_filter_get(sys, DPFLTR_IHVDRIVER_ID + i),
                     0xFFFFFFFFu);
  assert_string_equal(kpt_output, "");
}

/* ---------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------- */

static ULONG trace(PCCH prefix, PCCH format, ...) {
  va_list args;
  va_start(args, format);
  ULONG st =
      prefix != NULL
          ? vDbgPrintExWithPrefix(prefix, DPFLTR_IHVDRIVER_ID,
                                  DPFLTR_ERROR_LEVEL, format, args)
          : vDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, format, args);
  va_end(args);
  return st;
}

static void test_output_text(void **state) {
  (void)state;
  WCHAR name_buf[] = u"Dev";
  UNICODE_STRING name = {6, 8, name_buf};
  kpt_output_reset();
  assert_int_equal(trace("drv: ", "%wZ %lu %I64x %ws %p\n", &name, (ULONG)7,
                         (ULONG64)0xAB, (PCWSTR)u"w", (PVOID)(ULONG_PTR)0x10),
                   STATUS_SUCCESS);
  assert_int_equal(trace(NULL, "[%5s]\n", "ab"), STATUS_SUCCESS);
  assert_string_equal(kpt_output,
                      "drv: Dev 7 ab w 0000000000000010\n[   ab]\n");
  // No floating point in DbgPrint: shown as written.
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%d %f %d\n", 1, 2.0, 3);
  assert_string_equal(kpt_output, "1 %f 3\n");
}

static void test_unicode_formats_need_pageable_irql(void **state) {
  kp_system_t *sys = *state;
  WCHAR name_buf[] = u"Dev";
  UNICODE_STRING name = {6, 8, name_buf};
  KIRQL old;
  // APC_LEVEL: allowed (pageable code runs there).
  KeRaiseIrql(APC_LEVEL, &old);
  kpt_output_reset();
  KP_ASSERT_NO_BUGCHECK(
      sys, DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%wZ\n", &name));
  assert_string_equal(kpt_output, "Dev\n");
  KeLowerIrql(old);
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  // 8-bit text, or a message the filter drops, is fine at DISPATCH_LEVEL.
  KP_ASSERT_NO_BUGCHECK(sys,
                        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                                   "%s %hs %hS %lld\n", "a", "b", "c", 1LL));
  KP_ASSERT_NO_BUGCHECK(sys, DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL,
                                        "%ws\n", (PCWSTR)u"dropped"));
  // A UTF-16 conversion that would be printed: 0xD1, P2 = IRQL, P3 = 8.
  KP_ASSERT_BUGCHECK_PARAMS(
      sys, 0xD1, KP_ANY, DISPATCH_LEVEL, 8, KP_ANY,
      DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "x=%wZ\n", &name));
  KP_ASSERT_BUGCHECK_PARAMS(
      sys, 0xD1, KP_ANY, DISPATCH_LEVEL, 8, KP_ANY,
      DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%-5C|", (WCHAR)'w'));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xD1, KP_ANY, DISPATCH_LEVEL, 8, KP_ANY,
                            DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL,
                                       "%.3ls", (PCWSTR)u"abcd"));
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(
      sys, &rec,
      DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%ws", (PCWSTR)u"w"));
  assert_non_null(strstr(rec.explanation, "PASSIVE_LEVEL"));
  assert_non_null(strstr(rec.explanation, "\"%ws\""));
  KeLowerIrql(old);
}

static void test_message_is_cut_at_512_bytes(void **state) {
  (void)state;
  char longer[700];
  memset(longer, 'x', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  kpt_output_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%s", longer);
  assert_int_equal(strlen(kpt_output), 511);
  // The prefix counts towards the limit.
  kpt_output_reset();
  trace("0123456789", "%s", longer);
  assert_int_equal(strlen(kpt_output), 511);
  assert_memory_equal(kpt_output, "0123456789xx", 12);
}

static void test_kdprint_in_a_dbg_build(void **state) {
  kp_system_t *sys = *state;
  kp_debug_filter_set(sys, DPFLTR_DEFAULT_ID, 0xFFFFFFFFu);
  kpt_output_reset();
  KdPrint(("kd %d\n", 4));
  KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "kdex %s\n", "x"));
  KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "filtered\n"));
  assert_string_equal(kpt_output, "kd 4\nkdex x\n");
}

/* ---------------------------------------------------------------------------
 * Assertions
 * ------------------------------------------------------------------------- */

/* "test_wdk_debug.c:<line>", the file NAME as kpool reports print it. */
static void where(char *buf, size_t cap, const char *file, int line) {
  const char *base = strrchr(file, '/');
  snprintf(buf, cap, "%s:%d", base != NULL ? base + 1 : file, line);
}

static void test_asserts_in_a_dbg_build(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(DBG, 1);
  volatile int x = 1;
  KP_ASSERT_NO_BUGCHECK(sys, ASSERT(x == 1));
  KP_ASSERT_NO_BUGCHECK(sys, NT_ASSERT(x == 1));
  KP_ASSERT_NO_BUGCHECK(sys, NT_FRE_ASSERT(x == 1));
  // ASSERT is a BOOLEAN expression in a DBG build.
  BOOLEAN v = ASSERT(x == 1);
  assert_int_equal(v, TRUE);
  const ULONG64 p1 = EXCEPTION_P1(STATUS_ASSERTION_FAILURE);
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, ASSERT(x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, ASSERTMSG("msg", x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, NT_ASSERT(x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, NT_ASSERTMSG("msg", x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, NT_ASSERTMSGW(u"msg", x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, NT_VERIFY(x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, NT_VERIFYMSG("msg", x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, RTL_VERIFY(x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, p1, NT_FRE_ASSERT(x == 2));
  KP_ASSERT_BUGCHECK(
      sys, 0x1E, p1,
      RtlAssert((PVOID) "expr", (PVOID) "/a/b/drv.c", 12, (PSTR) "m"));
  // The report: expression, message, file NAME (no directories) and line.
  kp_bugcheck_record_t rec;
  char at[256];
  // clang-format off
  KP_CAPTURE_BUGCHECK(sys, &rec, ASSERTMSG("x must be 7", x == 7)); const int line = __LINE__;
  // clang-format on
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.params[0], p1);
  assert_int_not_equal(rec.params[1], 0);
  assert_int_equal(rec.params[2], 0);
  assert_int_equal(rec.params[3], 0);
  assert_non_null(strstr(rec.explanation, "x == 7"));
  assert_non_null(strstr(rec.explanation, "x must be 7"));
  where(at, sizeof at, __FILE__, line);
  assert_non_null(strstr(rec.explanation, at));
  // No directory of __FILE__ appears when it has one.
  if (strchr(__FILE__, '/') != NULL)
    assert_null(strstr(rec.explanation, __FILE__));
  KP_CAPTURE_BUGCHECK(sys, &rec,
                      RtlAssert((PVOID) "e", (PVOID) "/a/b/drv.c", 12, NULL));
  assert_non_null(strstr(rec.explanation, "drv.c:12"));
  assert_null(strstr(rec.explanation, "/a/b"));
  // NT_VERIFY evaluates once and gives the truth value.
  volatile BOOLEAN ok = FALSE;
  KP_ASSERT_NO_BUGCHECK(sys, ok = NT_VERIFY(++x == 2));
  assert_true(ok);
  assert_int_equal(x, 2);
}

static void test_soft_assert_only_prints(void **state) {
  kp_system_t *sys = *state;
  kp_debug_filter_set(sys, DPFLTR_DEFAULT_ID, 0xFFFFFFFFu);
  volatile int x = 1;
  kpt_output_reset();
  BOOLEAN r = FALSE;
  KP_ASSERT_NO_BUGCHECK(sys, r = RTL_SOFT_ASSERT(x == 2));
  assert_int_equal(r, FALSE);
  assert_non_null(strstr(kpt_output, "Soft assertion failed: x == 2"));
  KP_ASSERT_NO_BUGCHECK(sys, r = RTL_SOFT_ASSERTMSG("note", x == 1));
  assert_int_equal(r, TRUE);
}

static void test_asserts_in_a_free_build(void **state) {
  kp_system_t *sys = *state;
  kp_debug_filter_set(sys, DPFLTR_DEFAULT_ID, 0xFFFFFFFFu);
  int evaluations = 0;
  int dbg = -1;
  kpt_output_reset();
  KP_ASSERT_NO_BUGCHECK(sys, dbg = free_build_asserts(&evaluations));
  assert_int_equal(dbg, 0);
  assert_int_equal(evaluations, 0);
  assert_string_equal(kpt_output, "");
  int truth = -1;
  KP_ASSERT_NO_BUGCHECK(sys, truth = free_build_verifies(&evaluations));
  assert_int_equal(evaluations, 3);
  assert_int_equal(truth, 1 | 4);
  // NT_FRE_ASSERT checks in every build.
  KP_ASSERT_NO_BUGCHECK(sys, free_build_fre_assert(1));
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, free_build_fre_assert(2));
  assert_int_equal(rec.code, 0x1E);
  char at[64];
  snprintf(at, sizeof at, "test_wdk_debug_free.c:%d",
           free_build_fre_assert_line);
  assert_non_null(strstr(rec.explanation, at));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_defaults_show_only_errors, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_component_masks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_query_and_set_filter_state, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_filter_is_thread_safe, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_output_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unicode_formats_need_pageable_irql,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_message_is_cut_at_512_bytes, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_kdprint_in_a_dbg_build, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_asserts_in_a_dbg_build, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_soft_assert_only_prints, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_asserts_in_a_free_build, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
