/*
 * kp_ex.h — what ex/ shares with the rest of the core: the allocation
 * request rules and failure path (alloc.c), failure reasons (failure.c)
 * and raising a status (raise.c).
 */
#ifndef KPOOL_SRC_EX_KP_EX_H
#define KPOOL_SRC_EX_KP_EX_H

#include "kp_types.h"

/* Counts a failed request (validation or memory) and raises @p status when
 * the request asked for a raise. Returns NULL (if a raise was caught by a
 * bug check handler that returned, also NULL). */
void *kpi_alloc_failed(kp_system_t *sys, const kpi_request_t *rq,
                       kp_status_t status);
/* ExAllocatePool2's POOL_FLAGS and tag rules, shared with ExAllocatePool3
 * (alloc.c): fills @rq from the arguments (always, so a failure can honour
 * RAISE_ON_FAILURE) and returns false when the flags or tag are invalid. */
bool kpi_alloc2_request(kpi_request_t *rq, kp_alloc_api_t api,
                        kp_pool_flags_t flags, size_t size, kp_tag_t tag,
                        const kp_site_t *site);
/* Notes (kpi_fail_note) why kpi_alloc2_request refused @flags / @tag. */
void kpi_alloc2_note_refusal(kp_pool_flags_t flags, kp_tag_t tag);
/* The tag (0xC2/0x9C, 0x9D) and zero-size (0xC4/0x00; retail: 1 byte)
 * rules every API shares. Returns false after raising a bug check. */
bool kpi_alloc_checks(kp_system_t *sys, kpi_request_t *rq);
/* kpi_alloc_checks, then kpi_alloc, then kpi_alloc_failed on failure. */
void *kpi_alloc_finish(kp_system_t *sys, kpi_request_t *rq);
/* True for the nine EX_POOL_PRIORITY values (alloc.c). */
bool kpi_priority_valid(kp_priority_t p);

/* Raise (raise.c): raise without returning to the caller when a frame
 * exists; with no frame, bug check 0x1E on @p sys (or the current system). */
void kpi_raise(kp_system_t *sys, kp_status_t status);

/* Records why the calling thread's current allocation is about to fail
 * (kp_fail_kind_t and a printf detail); kpi_alloc_failed consumes it. A
 * failure with no note is described from its status. */
void kpi_fail_note(kp_fail_kind_t kind, const char *fmt, ...) KP_PRINTF(2, 3);
/* kpi_alloc_failed's bookkeeping (failure.c): the thread's last failure,
 * the count by kind, the printed line (print_failures), the monitor event. */
void kpi_fail_record(kp_system_t *sys, const struct kpi_request *rq,
                     kp_status_t status);

#endif /* KPOOL_SRC_EX_KP_EX_H */
