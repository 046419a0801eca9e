/*
 * wdk_debug.c — DbgPrint and friends, the debug filter queries, the
 * assertion failure path, KeBugCheckEx, ExRaiseStatus and DbgBreakPoint,
 * over kp_debug_* (kpool/debug.h), kp_bugcheck and kp_raise_status.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kpool/wdk/wdm.h"

#include "kpool/bugcheck.h"
#include "kpool/debug.h"
#include "kpool/raise.h"
#include "kpool/system.h"

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif

ULONG DbgPrint(PCSTR Format, ...) {
  va_list ap;
  va_start(ap, Format);
  // Vista and later: DbgPrint is the DEFAULT component at INFO level.
  kp_status_t st =
      kp_debug_vprint(kp_system_current(), DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL,
                      NULL, Format, ap, kp_site(NULL, 0, WDK_CALLER()));
  va_end(ap);
  return (ULONG)st;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
  va_list ap;
  va_start(ap, Format);
  kp_status_t st =
      kp_debug_vprint(kp_system_current(), ComponentId, Level, NULL, Format, ap,
                      kp_site(NULL, 0, WDK_CALLER()));
  va_end(ap);
  return (ULONG)st;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format,
                  va_list arglist) {
  return (ULONG)kp_debug_vprint(kp_system_current(), ComponentId, Level, NULL,
                                Format, arglist,
                                kp_site(NULL, 0, WDK_CALLER()));
}

ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level,
                            PCCH Format, va_list arglist) {
  return (ULONG)kp_debug_vprint(kp_system_current(), ComponentId, Level, Prefix,
                                Format, arglist,
                                kp_site(NULL, 0, WDK_CALLER()));
}

NTSTATUS NTAPI DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level) {
  return kp_debug_filter_query(kp_system_current(), ComponentId, Level);
}

NTSTATUS NTAPI DbgSetDebugFilterState(ULONG ComponentId, ULONG Level,
                                      BOOLEAN State) {
  return kp_debug_filter_state(kp_system_current(), ComponentId, Level,
                               State != FALSE);
}

/* ---------------------------------------------------------------------------
 * Assertions, bug checks, raising
 * ------------------------------------------------------------------------- */

void kp_wdk_assert_failed(const char *expression, const char *message,
                          const char *file, ULONG line) {
  kp_debug_assert_failed(kp_system_current(), expression, message,
                         kp_site(file, line, WDK_CALLER()));
}

VOID NTAPI RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName,
                     ULONG LineNumber, PSTR MutableMessage) {
  kp_debug_assert_failed(
      kp_system_current(), (const char *)VoidFailedAssertion, MutableMessage,
      kp_site((const char *)VoidFileName, LineNumber, WDK_CALLER()));
}

VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
                        ULONG_PTR BugCheckParameter2,
                        ULONG_PTR BugCheckParameter3,
                        ULONG_PTR BugCheckParameter4) {
  char text[128];
  snprintf(text, sizeof text, "  The driver called KeBugCheckEx (from %p).\n",
           WDK_CALLER());
  kp_bugcheck(kp_system_current(), BugCheckCode, BugCheckParameter1,
              BugCheckParameter2, BugCheckParameter3, BugCheckParameter4, text);
}

VOID NTAPI KeBugCheck(ULONG BugCheckCode) {
  char text[128];
  snprintf(text, sizeof text, "  The driver called KeBugCheck (from %p).\n",
           WDK_CALLER());
  kp_bugcheck(kp_system_current(), BugCheckCode, 0, 0, 0, 0, text);
}

VOID NTAPI ExRaiseStatus(NTSTATUS Status) { kp_raise_status(Status); }

VOID NTAPI ExRaiseAccessViolation(VOID) {
  kp_raise_status(STATUS_ACCESS_VIOLATION);
}

VOID NTAPI ExRaiseDatatypeMisalignment(VOID) {
  kp_raise_status(STATUS_DATATYPE_MISALIGNMENT);
}

VOID NTAPI DbgBreakPoint(VOID) { kp_raise_status(STATUS_BREAKPOINT); }
