/*
 * test_wdk_debug_free.c — the free-build (DBG 0) expansions of the
 * assertion and KdPrint macros, compiled in their own translation unit and
 * called from test_wdk_debug.c.
 */
#define DBG 0
#include <wdm.h>

#include "test_wdk_debug.h"

int free_build_asserts(int *evaluations) {
  // None of these may evaluate its expression or report anything (so the
  // parameter is otherwise unreferenced, as in a real free build).
  UNREFERENCED_PARAMETER(evaluations);
  ASSERT(++*evaluations == 0);
  ASSERTMSG("never", ++*evaluations == 0);
  NT_ASSERT(++*evaluations == 0);
  NT_ASSERTMSG("never", ++*evaluations == 0);
  NT_ASSERTMSGW(u"never", ++*evaluations == 0);
  RTL_SOFT_ASSERT(++*evaluations == 0);
  KdPrint(("%d", ++*evaluations));
  KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%d", ++*evaluations));
  KdBreakPoint();
  return DBG;
}

int free_build_verifies(int *evaluations) {
  // These evaluate in every build and give the truth value.
  BOOLEAN a = NT_VERIFY(++*evaluations == 1);
  BOOLEAN b = NT_VERIFYMSG("m", ++*evaluations == 5);
  BOOLEAN c = RTL_VERIFY(++*evaluations == 3);
  return (a ? 1 : 0) + (b ? 2 : 0) + (c ? 4 : 0);
}

// clang-format off
void free_build_fre_assert(int value) { NT_FRE_ASSERT(value == 1); } const int free_build_fre_assert_line = __LINE__;
// clang-format on
