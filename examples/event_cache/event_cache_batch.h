/**
 * @file examples/event_cache/event_cache_batch.h
 * @brief All-or-nothing batch insert into an event cache, twice: the
 *        correct routine, and a deliberately broken copy whose failure path
 *        leaks, kept to show what kpool's fault injection exposes.
 *
 * Both allocate every record of the batch before taking the cache's lock,
 * so that a failed allocation leaves the cache as it was. The broken one
 * forgets, on that failure, to free the records it had already allocated:
 * a leak that no test without allocation failures can see, and that a
 * fail-Nth sweep (or a fuzzer plan) turns into DRIVER_VERIFIER_DETECTED_
 * VIOLATION 0xC4/0x62 at driver unload, with the leak report pointing at
 * event_cache_batch.c. (Systematic simulation fails each call site once:
 * the loop's single site fails at its first record, where nothing has been
 * allocated yet, so it does not find this one; the Nth sweep does.)
 *
 * WDK names only, like event_cache.c.
 */
#ifndef KPOOL_EXAMPLES_EVENT_CACHE_EVENT_CACHE_BATCH_H
#define KPOOL_EXAMPLES_EVENT_CACHE_EVENT_CACHE_BATCH_H

#include "event_cache.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Pool tag of the temporary record array of a batch: "EvCb". */
#define EVC_BATCH_TAG 'bCvE'
/** Most events in one batch. */
#define EVC_MAX_BATCH 64u

/** One event of a batch. */
typedef struct _EVC_EVENT {
  ULONG EventId;
  ULONG Kind;
  const VOID *Data;
  ULONG DataLength;
} EVC_EVENT, *PEVC_EVENT;

/**
 * Inserts @p Count events as EvcInsert would, one after the other (later
 * ones replace earlier ones with the same id, evicting the oldest when the
 * cache is full), or none of them.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL cache or
 *         events, a count of 0 or above EVC_MAX_BATCH, or an event EvcInsert
 *         would reject; STATUS_INSUFFICIENT_RESOURCES when an allocation
 *         failed: nothing was inserted, nothing leaked.
 * IRQL <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcInsertBatch(_In_ PEVENT_CACHE Cache,
                        _In_reads_(Count) const EVC_EVENT *Events,
                        _In_ ULONG Count);

/**
 * DELIBERATELY BROKEN: EvcInsertBatch with a leak on its failure path (the
 * records allocated before the failing one are never freed). For the
 * example's tests only.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcInsertBatchLeaky(_In_ PEVENT_CACHE Cache,
                             _In_reads_(Count) const EVC_EVENT *Events,
                             _In_ ULONG Count);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_EXAMPLES_EVENT_CACHE_EVENT_CACHE_BATCH_H */
