/**
 * @file kpool/debug.h
 * @brief The kernel debugger's side of a driver: DbgPrint output through
 *        the component filter, and failed assertions.
 *
 * **Filter** (facts §8.8; Microsoft's "Reading and Filtering Debugging
 * Messages"). Every system holds a 32-bit mask per component id
 * (Windows' Kd_<Component>_Mask; kpool keeps KP_DEBUG_COMPONENTS of them)
 * and one global mask (Kd_WIN2000_Mask). A message of level L is written
 * iff its bits (1 << L for L <= 31; L itself, with bit 31 — the
 * DPFLTR_MASK marker — cleared, for L >= 32) intersect the component's
 * mask OR the global mask. Defaults are Windows': every component mask 0,
 * the global mask 0x1, so only DPFLTR_ERROR_LEVEL messages appear, and
 * DbgPrint (component DPFLTR_DEFAULT_ID, level DPFLTR_INFO_LEVEL, as on
 * Windows Vista and later) prints nothing until its mask is opened, for
 * example with kp_debug_filter_set(sys, 101, 0xFFFFFFFF) (Windows:
 * `ed nt!Kd_DEFAULT_Mask 0xFFFFFFFF`, or the "Debug Print Filter"
 * registry key). A component id outside the table matches nothing.
 *
 * **Output** goes through the system's output function (kp_config_t::out;
 * stderr by default), one piece per message, at most 511 characters of
 * text (Windows transmits at most 512 bytes per call; the rest is lost).
 *
 * All functions are thread-safe (the masks are atomic).
 */
#ifndef KPOOL_DEBUG_H
#define KPOOL_DEBUG_H

#include <stdarg.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Component ids 0 .. KP_DEBUG_COMPONENTS - 1 have a mask (Windows' table
 *  ends below 160). */
#define KP_DEBUG_COMPONENTS 256u
/** The id of the global mask (Kd_WIN2000_Mask); Windows spells it -1. */
#define KP_DEBUG_WIN2000 0xFFFFFFFFu
/** Most bytes one message sends, its NUL included. */
#define KP_DEBUG_MESSAGE_MAX 512u

/**
 * Sets the mask of @p component (or of KP_DEBUG_WIN2000) on @p sys, as
 * `ed nt!Kd_<Component>_Mask` does.
 * @return KP_STATUS_SUCCESS; KP_STATUS_INVALID_PARAMETER_1 for a NULL
 *         system; KP_STATUS_INVALID_PARAMETER_2 for an id outside the table.
 */
KP_API kp_status_t kp_debug_filter_set(kp_system_t *sys, uint32_t component,
                                       uint32_t mask);
/** The mask of @p component (or KP_DEBUG_WIN2000); 0 for an unknown id or
 *  a NULL system. */
KP_API uint32_t kp_debug_filter_get(kp_system_t *sys, uint32_t component);

/**
 * Simulates DbgQueryDebugFilterState: 1 (TRUE) when a message of
 * @p component / @p level would be written, 0 (FALSE) when not;
 * KP_STATUS_INVALID_PARAMETER_1 for an id outside the table.
 */
KP_API kp_status_t kp_debug_filter_query(kp_system_t *sys, uint32_t component,
                                         uint32_t level);
/**
 * Simulates DbgSetDebugFilterState: sets (@p state true) or clears the
 * bits of @p level in @p component's mask (KP_DEBUG_WIN2000: the global
 * one). @return KP_STATUS_SUCCESS or KP_STATUS_INVALID_PARAMETER_1.
 */
KP_API kp_status_t kp_debug_filter_state(kp_system_t *sys, uint32_t component,
                                         uint32_t level, bool state);

/**
 * Simulates vDbgPrintExWithPrefix: when the filter passes @p component /
 * @p level, formats @p prefix (may be NULL) and @p fmt with kpool/format.h
 * (8-bit, KP_FORMAT_NO_FLOAT: DbgPrint supports no floating point), cuts
 * the text to KP_DEBUG_MESSAGE_MAX - 1 characters and writes it through
 * the output function of @p sys (NULL: the current system).
 * @p site is the caller, for reports.
 *
 * Microsoft documents the UTF-16 conversions (%C %S %lc %ls %wc %ws %wZ)
 * for PASSIVE_LEVEL only: their conversion code is pageable. A message
 * that passes the filter and uses one at DISPATCH_LEVEL or above raises
 * bug check 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL (P1 = P4 = the caller,
 * P2 = the IRQL, P3 = 8: an instruction fetch), as PAGED_CODE() does and
 * as Windows would on touching the paged-out code; if the handler returns,
 * the message is still written. At APC_LEVEL kpool lets it pass (pageable
 * code runs there). kpool's check: Windows has none.
 *
 * @return KP_STATUS_SUCCESS, also when the filter dropped the message (as
 *         Windows does).
 */
KP_API kp_status_t kp_debug_vprint(kp_system_t *sys, uint32_t component,
                                   uint32_t level, const char *prefix,
                                   const char *fmt, va_list ap, kp_site_t site);

/**
 * A failed driver assertion (ASSERT, NT_ASSERT, RtlAssert, ...): bug check
 * 0x1E KMODE_EXCEPTION_NOT_HANDLED with P1 = STATUS_ASSERTION_FAILURE
 * (0xC0000420), P2 = @p site's caller address (0 when unknown), P3 = P4 = 0,
 * and an explanation naming @p expression, @p message (may be NULL) and
 * the file NAME and line of @p site. Windows' RtlAssert breaks into the
 * attached debugger and NT_ASSERT raises STATUS_ASSERTION_FAILURE, which
 * with no debugger is this bug check: kpool stops on the spot so the test
 * fails where the assertion is. Returns only if the bug check handler
 * returns. @p sys NULL: the current system.
 */
KP_API void kp_debug_assert_failed(kp_system_t *sys, const char *expression,
                                   const char *message, kp_site_t site);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_DEBUG_H */
