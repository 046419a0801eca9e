/* test_wdk_debug.h — what test_wdk_debug_free.c (DBG 0) gives the test. */
#ifndef KPOOL_TESTS_WDK_TEST_WDK_DEBUG_H
#define KPOOL_TESTS_WDK_TEST_WDK_DEBUG_H

/* Runs every assertion and KdPrint macro with a false expression that
 * increments *evaluations; returns DBG as seen there (0). */
int free_build_asserts(int *evaluations);
/* NT_VERIFY, NT_VERIFYMSG, RTL_VERIFY: bit i set when the i-th was true. */
int free_build_verifies(int *evaluations);
/* NT_FRE_ASSERT(value == 1) in a free build. */
void free_build_fre_assert(int value);
/* The line of the NT_FRE_ASSERT above. */
extern const int free_build_fre_assert_line;

#endif /* KPOOL_TESTS_WDK_TEST_WDK_DEBUG_H */
