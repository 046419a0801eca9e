/*
 * event_cache.c — the event cache (see event_cache.h). Driver code: WDK
 * names only.
 *
 * Pattern used throughout: pool calls happen outside the spin lock. Insert
 * allocates and fills its record first, then links it under the lock;
 * whatever the lock section unlinks (a replaced or evicted record) is
 * collected on a local list and freed after the lock is released.
 */
#include "event_cache.h"

/* Frees every record on @p List (records unlinked from a cache). */
static VOID EvcpFreeRecords(_Inout_ PLIST_ENTRY List) {
  while (!IsListEmpty(List)) {
    PLIST_ENTRY entry = RemoveHeadList(List);
    PEVC_RECORD record = CONTAINING_RECORD(entry, EVC_RECORD, Link);
    ExFreePoolWithTag(record, EVC_RECORD_TAG);
  }
}

/* The record with @p EventId, or NULL. Caller holds the lock. */
static PEVC_RECORD EvcpFindLocked(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId) {
  for (PLIST_ENTRY entry = Cache->Records.Flink; entry != &Cache->Records;
       entry = entry->Flink) {
    PEVC_RECORD record = CONTAINING_RECORD(entry, EVC_RECORD, Link);
    if (record->EventId == EventId) return record;
  }
  return NULL;
}

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcCreate(_In_ ULONG Capacity, _Outptr_ PEVENT_CACHE *Cache) {
  if (Cache == NULL) return STATUS_INVALID_PARAMETER;
  *Cache = NULL;
  if (Capacity == 0 || Capacity > EVC_MAX_CAPACITY) return STATUS_INVALID_PARAMETER;

  // Non-paged: the lock and the list are used at DISPATCH_LEVEL.
  PEVENT_CACHE cache = (PEVENT_CACHE)ExAllocatePool2(
      POOL_FLAG_NON_PAGED, sizeof(EVENT_CACHE), EVC_CACHE_TAG);
  if (cache == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  KeInitializeSpinLock(&cache->Lock);
  InitializeListHead(&cache->Records);
  cache->Count = 0;
  cache->Capacity = Capacity;
  cache->NextSequence = 1;
  RtlZeroMemory(&cache->Stats, sizeof(cache->Stats));
  *Cache = cache;
  return STATUS_SUCCESS;
}

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcInsert(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId, _In_ ULONG Kind,
                   _In_reads_bytes_opt_(DataLength) const VOID *Data,
                   _In_ ULONG DataLength) {
  if (Cache == NULL || DataLength > EVC_MAX_DATA ||
      (Data == NULL && DataLength != 0))
    return STATUS_INVALID_PARAMETER;

  // Allocate before taking the lock: on failure nothing has been touched,
  // so no record was evicted for a record that never arrived. Every field
  // is written below, so the block need not be zeroed.
  SIZE_T size = FIELD_OFFSET(EVC_RECORD, Data) + (SIZE_T)DataLength;
  PEVC_RECORD record = (PEVC_RECORD)ExAllocatePool2(
      POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, size, EVC_RECORD_TAG);
  KIRQL oldIrql;
  if (record == NULL) {
    KeAcquireSpinLock(&Cache->Lock, &oldIrql);
    Cache->Stats.AllocationFailures++;
    KeReleaseSpinLock(&Cache->Lock, oldIrql);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  record->EventId = EventId;
  record->Kind = Kind;
  record->DataLength = DataLength;
  if (DataLength != 0) RtlCopyMemory(record->Data, Data, DataLength);

  LIST_ENTRY unlinked;
  InitializeListHead(&unlinked);
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  PEVC_RECORD old = EvcpFindLocked(Cache, EventId);
  if (old != NULL) {
    RemoveEntryList(&old->Link);
    InsertTailList(&unlinked, &old->Link);
    Cache->Count--;
    Cache->Stats.Replaced++;
  } else if (Cache->Count == Cache->Capacity) {
    PLIST_ENTRY oldest = RemoveHeadList(&Cache->Records);
    InsertTailList(&unlinked, oldest);
    Cache->Count--;
    Cache->Stats.Evicted++;
  }
  record->Sequence = Cache->NextSequence++;
  InsertTailList(&Cache->Records, &record->Link);
  Cache->Count++;
  Cache->Stats.Inserted++;
  KeReleaseSpinLock(&Cache->Lock, oldIrql);

  EvcpFreeRecords(&unlinked);
  return STATUS_SUCCESS;
}

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcLookup(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId,
                   _Out_writes_bytes_opt_(BufferLength) PVOID Buffer,
                   _In_ ULONG BufferLength, _Out_opt_ PULONG ReturnedLength,
                   _Out_opt_ PULONG Kind) {
  if (Cache == NULL || (Buffer == NULL && BufferLength != 0))
    return STATUS_INVALID_PARAMETER;
  NTSTATUS status = STATUS_NOT_FOUND;
  ULONG length = 0;
  ULONG kind = 0;
  KIRQL oldIrql;
  // The copy happens under the lock: the record may be evicted and freed
  // by another thread as soon as the lock is released.
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  PEVC_RECORD record = EvcpFindLocked(Cache, EventId);
  if (record != NULL) {
    length = record->DataLength;
    kind = record->Kind;
    if (BufferLength < length) {
      status = STATUS_BUFFER_TOO_SMALL;
    } else {
      if (length != 0) RtlCopyMemory(Buffer, record->Data, length);
      status = STATUS_SUCCESS;
    }
  }
  KeReleaseSpinLock(&Cache->Lock, oldIrql);
  if (ReturnedLength != NULL) *ReturnedLength = length;
  if (Kind != NULL) *Kind = kind;
  return status;
}

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcRemove(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId) {
  if (Cache == NULL) return STATUS_INVALID_PARAMETER;
  KIRQL oldIrql;
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  PEVC_RECORD record = EvcpFindLocked(Cache, EventId);
  if (record != NULL) {
    RemoveEntryList(&record->Link);
    Cache->Count--;
  }
  KeReleaseSpinLock(&Cache->Lock, oldIrql);
  if (record == NULL) return STATUS_NOT_FOUND;
  ExFreePoolWithTag(record, EVC_RECORD_TAG);
  return STATUS_SUCCESS;
}

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID EvcQueryStatistics(_In_ PEVENT_CACHE Cache,
                        _Out_ PEVC_STATISTICS Statistics) {
  KIRQL oldIrql;
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  *Statistics = Cache->Stats;
  Statistics->Count = Cache->Count;
  Statistics->Capacity = Cache->Capacity;
  KeReleaseSpinLock(&Cache->Lock, oldIrql);
}

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID EvcDestroy(_In_opt_ PEVENT_CACHE Cache) {
  if (Cache == NULL) return;
  LIST_ENTRY unlinked;
  InitializeListHead(&unlinked);
  KIRQL oldIrql;
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  while (!IsListEmpty(&Cache->Records))
    InsertTailList(&unlinked, RemoveHeadList(&Cache->Records));
  Cache->Count = 0;
  KeReleaseSpinLock(&Cache->Lock, oldIrql);
  EvcpFreeRecords(&unlinked);
  ExFreePoolWithTag(Cache, EVC_CACHE_TAG);
}

/* ---------------------------------------------------------------------------
 * Deliberately wrong code (see event_cache.h).
 * ------------------------------------------------------------------------- */
BOOLEAN EvcDropOldestWithWrongTag(_In_ PEVENT_CACHE Cache) {
  PEVC_RECORD record = NULL;
  KIRQL oldIrql;
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  if (!IsListEmpty(&Cache->Records)) {
    record = CONTAINING_RECORD(RemoveHeadList(&Cache->Records), EVC_RECORD, Link);
    Cache->Count--;
    Cache->Stats.Evicted++;
  }
  KeReleaseSpinLock(&Cache->Lock, oldIrql);
  if (record == NULL) return FALSE;
  // The bug: the cache's tag, not the record's.
  ExFreePoolWithTag(record, EVC_CACHE_TAG);
  return TRUE;
}
