/**
 * @file examples/aging_cache/aging_cache.h
 * @brief A cache whose entries expire, as a Windows driver would write it:
 *        a periodic KTIMER with a KDPC ages the entries at DISPATCH_LEVEL,
 *        and an IO_WORKITEM flushes the expired ones at PASSIVE_LEVEL.
 *
 * Written only against WDK names (<ntddk.h>). Flow:
 * - AgcInsert stamps each entry with KeQueryInterruptTime() + TTL and
 *   links it (oldest first) under the spin lock.
 * - Every AgePeriodMs the timer's DPC looks at the oldest entry; when it
 *   has expired and no flush is pending, it queues the work item
 *   (IoQueueWorkItem, DelayedWorkQueue).
 * - The work item unlinks every expired entry under the lock, then frees
 *   them outside it and reports each key to the owner's flush callback.
 * - AgcDestroy cancels the timer, flushes queued DPCs, waits for a pending
 *   flush (a notification KEVENT), frees the work item and the entries.
 *
 * Device object: IoAllocateWorkItem needs the driver's DEVICE_OBJECT. The
 * cache takes it from its owner and never looks inside it; kpool's I/O
 * model (DEVICE_OBJECT) comes from another header, so the tests pass a
 * stand-in device object, which the work item only carries along.
 *
 * Pool tags: 'AgCc' the cache, 'AgC1' an entry (non-paged: both are
 * touched at DISPATCH_LEVEL).
 */
#ifndef KPOOL_EXAMPLES_AGING_CACHE_AGING_CACHE_H
#define KPOOL_EXAMPLES_AGING_CACHE_AGING_CACHE_H

#include <ntddk.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGC_CACHE_TAG 'cCgA'
#define AGC_ENTRY_TAG '1CgA'

/** Called at PASSIVE_LEVEL from the work item for each flushed key. */
typedef VOID AGC_FLUSH_CALLBACK(PVOID Context, ULONG Key);
typedef AGC_FLUSH_CALLBACK *PAGC_FLUSH_CALLBACK;

typedef struct _AGC_ENTRY {
  LIST_ENTRY Link;      /**< AGING_CACHE::Entries, oldest first */
  ULONG Key;
  ULONGLONG ExpiresAt;  /**< interrupt time, 100 ns */
} AGC_ENTRY, *PAGC_ENTRY;

typedef struct _AGING_CACHE {
  KSPIN_LOCK Lock;          /**< Entries, Count, FlushPending */
  LIST_ENTRY Entries;
  ULONG Count;
  BOOLEAN FlushPending;     /**< the work item is queued or running */
  ULONGLONG Ttl;            /**< 100 ns */
  KTIMER AgeTimer;
  KDPC AgeDpc;
  PIO_WORKITEM FlushItem;
  KEVENT FlushIdle;         /**< signalled while no flush is pending */
  PAGC_FLUSH_CALLBACK OnFlush;
  PVOID OnFlushContext;
  ULONG64 Flushed;          /**< entries flushed so far */
} AGING_CACHE, *PAGING_CACHE;

/**
 * Creates a cache whose entries live @p TtlMs milliseconds, aged every
 * @p AgePeriodMs milliseconds, and starts its timer.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL device or
 *         output pointer or a zero TTL or period;
 *         STATUS_INSUFFICIENT_RESOURCES.
 * IRQL: PASSIVE_LEVEL.
 */
NTSTATUS AgcCreate(PDEVICE_OBJECT Device, ULONG TtlMs, ULONG AgePeriodMs,
                   PAGC_FLUSH_CALLBACK OnFlush, PVOID OnFlushContext,
                   PAGING_CACHE *Cache);
/** Adds @p Key. STATUS_INSUFFICIENT_RESOURCES when pool is short.
 *  IRQL <= DISPATCH_LEVEL. */
NTSTATUS AgcInsert(PAGING_CACHE Cache, ULONG Key);
/** TRUE when @p Key is cached (not flushed yet). */
BOOLEAN AgcContains(PAGING_CACHE Cache, ULONG Key);
/** Entries cached now. */
ULONG AgcCount(PAGING_CACHE Cache);
/** Stops the timer, waits for a pending flush, frees everything.
 *  IRQL: PASSIVE_LEVEL. */
VOID AgcDestroy(PAGING_CACHE Cache);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_EXAMPLES_AGING_CACHE_AGING_CACHE_H */
