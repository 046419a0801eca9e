/**
 * @file examples/event_cache/event_cache.h
 * @brief An event cache, as a Windows driver would write it: tagged records
 *        in a LIST_ENTRY list under a KSPIN_LOCK, a capacity limit that
 *        evicts the oldest record, copy-out lookups, and a teardown that
 *        frees everything.
 *
 * Written only against WDK names (<ntddk.h>): the same source builds in a
 * WDK driver project. Under kpool it links kpool::wdk, so every allocation
 * and free goes through the simulated pool and its checks.
 *
 * Memory: the cache object and its records live in non-paged pool
 * (POOL_FLAG_NON_PAGED), because they are touched while the spin lock is
 * held, at DISPATCH_LEVEL. Records are allocated before the lock is taken
 * and freed after it is released, so an allocation failure leaves the cache
 * exactly as it was, and no pool call runs under the lock.
 *
 * Pool tags (PoolMon shows them as "EvCc" and "EvC1"):
 * - EVC_CACHE_TAG  the EVENT_CACHE object
 * - EVC_RECORD_TAG each cached record (header and payload in one block)
 *
 * Thread safety: every routine except EvcCreate and EvcDestroy may be called
 * concurrently on the same cache, at IRQL <= DISPATCH_LEVEL. EvcDestroy must
 * not race with any other call on the cache.
 */
#ifndef KPOOL_EXAMPLES_EVENT_CACHE_EVENT_CACHE_H
#define KPOOL_EXAMPLES_EVENT_CACHE_EVENT_CACHE_H

#include <ntddk.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Pool tag of the cache object: "EvCc". */
#define EVC_CACHE_TAG 'cCvE'
/** Pool tag of a record: "EvC1". */
#define EVC_RECORD_TAG '1CvE'

/** Largest payload of one event, in bytes. */
#define EVC_MAX_DATA 1024u
/** Largest capacity a cache may be created with. */
#define EVC_MAX_CAPACITY 65536u

/** One cached event: header and payload in one pool block. */
typedef struct _EVC_RECORD {
  LIST_ENTRY Link;   /**< in EVENT_CACHE::Records, oldest first */
  ULONG EventId;     /**< caller's key; unique within a cache */
  ULONG Kind;        /**< caller's event kind, returned by lookups */
  ULONG64 Sequence;  /**< insertion number, from 1 */
  ULONG DataLength;  /**< bytes in Data */
  UCHAR Data[];      /**< payload */
} EVC_RECORD, *PEVC_RECORD;

/** Counters of one cache (EvcQueryStatistics). */
typedef struct _EVC_STATISTICS {
  ULONG Count;                /**< records cached now */
  ULONG Capacity;             /**< most records kept */
  ULONG64 Inserted;           /**< successful EvcInsert calls */
  ULONG64 Replaced;           /**< inserts that replaced a record with the same id */
  ULONG64 Evicted;            /**< oldest records dropped to make room */
  ULONG64 AllocationFailures; /**< inserts that failed for lack of pool */
} EVC_STATISTICS, *PEVC_STATISTICS;

/**
 * The cache. Allocated by EvcCreate; the layout is public so that tests
 * can inspect it, but only the Evc routines change it, under Lock.
 */
typedef struct _EVENT_CACHE {
  KSPIN_LOCK Lock;      /**< protects every field below */
  LIST_ENTRY Records;   /**< EVC_RECORD::Link, oldest at the head */
  ULONG Count;
  ULONG Capacity;
  ULONG64 NextSequence;
  EVC_STATISTICS Stats; /**< Count and Capacity are filled in on query */
} EVENT_CACHE, *PEVENT_CACHE;

/**
 * Creates an empty cache that keeps at most @p Capacity records.
 * @return STATUS_SUCCESS and the cache in @p *Cache;
 *         STATUS_INVALID_PARAMETER for a NULL @p Cache or a capacity of 0
 *         or above EVC_MAX_CAPACITY; STATUS_INSUFFICIENT_RESOURCES when
 *         the cache object cannot be allocated (@p *Cache is NULL then).
 * IRQL <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcCreate(_In_ ULONG Capacity, _Outptr_ PEVENT_CACHE *Cache);

/**
 * Caches a copy of an event. A record with the same @p EventId is replaced;
 * otherwise, when the cache is full, the oldest record is evicted.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL cache, a
 *         payload longer than EVC_MAX_DATA or NULL @p Data with a non-zero
 *         length; STATUS_INSUFFICIENT_RESOURCES when the record cannot be
 *         allocated: then nothing was evicted or replaced.
 * IRQL <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcInsert(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId, _In_ ULONG Kind,
                   _In_reads_bytes_opt_(DataLength) const VOID *Data,
                   _In_ ULONG DataLength);

/**
 * Copies the payload of event @p EventId into @p Buffer, under the lock.
 * @param ReturnedLength receives the payload length (also when the buffer
 *        is too small); may be NULL.
 * @param Kind receives the event kind; may be NULL.
 * @return STATUS_SUCCESS; STATUS_NOT_FOUND; STATUS_BUFFER_TOO_SMALL when
 *         @p BufferLength is below the payload length (nothing copied);
 *         STATUS_INVALID_PARAMETER for a NULL cache, or a NULL buffer with
 *         a non-zero length.
 * IRQL <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcLookup(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId,
                   _Out_writes_bytes_opt_(BufferLength) PVOID Buffer,
                   _In_ ULONG BufferLength, _Out_opt_ PULONG ReturnedLength,
                   _Out_opt_ PULONG Kind);

/**
 * Drops event @p EventId. @return STATUS_SUCCESS, STATUS_NOT_FOUND, or
 * STATUS_INVALID_PARAMETER for a NULL cache. IRQL <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcRemove(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId);

/** Fills @p Statistics with a consistent snapshot. IRQL <= DISPATCH_LEVEL. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID EvcQueryStatistics(_In_ PEVENT_CACHE Cache,
                        _Out_ PEVC_STATISTICS Statistics);

/**
 * Frees every record and the cache itself. NULL is ignored.
 * IRQL <= DISPATCH_LEVEL. No other call on the cache may run concurrently.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID EvcDestroy(_In_opt_ PEVENT_CACHE Cache);

/* ---------------------------------------------------------------------------
 * Deliberately wrong code, kept to show what kpool catches (the demo and
 * test_event_cache.c use it). Never call it from real code.
 * ------------------------------------------------------------------------- */

/**
 * Drops the oldest record like an eviction, but frees it with
 * EVC_CACHE_TAG instead of EVC_RECORD_TAG: a copy-paste slip that Windows
 * (and kpool) stop with BAD_POOL_CALLER 0xC2, P1 = 0x0A, P2 = the record,
 * P3 = EVC_RECORD_TAG (the allocation's tag), P4 = EVC_CACHE_TAG.
 * The record is already unlinked when the free bug checks, so if the bug
 * check handler returns, the record stays allocated and no longer cached.
 * @return TRUE when there was a record to drop.
 */
BOOLEAN EvcDropOldestWithWrongTag(_In_ PEVENT_CACHE Cache);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_EXAMPLES_EVENT_CACHE_EVENT_CACHE_H */
