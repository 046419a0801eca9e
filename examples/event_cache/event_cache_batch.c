/*
 * event_cache_batch.c — batch insert into the event cache: allocate every
 * record first (outside the lock), then link them all under the lock. The
 * correct routine and its deliberately broken copy share everything but
 * the failure path. See event_cache_batch.h.
 */
#include "event_cache_batch.h"

/* The cache's list is walked here as event_cache.c walks it (its helper is
 * static there). */
static PEVC_RECORD EvcbFindLocked(_In_ PEVENT_CACHE Cache, _In_ ULONG EventId) {
  for (PLIST_ENTRY entry = Cache->Records.Flink; entry != &Cache->Records;
       entry = entry->Flink) {
    PEVC_RECORD record = CONTAINING_RECORD(entry, EVC_RECORD, Link);
    if (record->EventId == EventId) return record;
  }
  return NULL;
}

static NTSTATUS EvcbInsert(_In_ PEVENT_CACHE Cache,
                           _In_reads_(Count) const EVC_EVENT *Events,
                           _In_ ULONG Count, _In_ BOOLEAN FreeOnFailure) {
  if (Cache == NULL || Events == NULL || Count == 0 || Count > EVC_MAX_BATCH)
    return STATUS_INVALID_PARAMETER;
  for (ULONG i = 0; i < Count; i++)
    if (Events[i].DataLength > EVC_MAX_DATA ||
        (Events[i].Data == NULL && Events[i].DataLength != 0))
      return STATUS_INVALID_PARAMETER;

  PEVC_RECORD *records = (PEVC_RECORD *)ExAllocatePool2(
      POOL_FLAG_NON_PAGED, sizeof(PEVC_RECORD) * Count, EVC_BATCH_TAG);
  if (records == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  NTSTATUS status = STATUS_SUCCESS;
  ULONG made = 0;
  for (; made < Count; made++) {
    const EVC_EVENT *ev = &Events[made];
    SIZE_T size = FIELD_OFFSET(EVC_RECORD, Data) + (SIZE_T)ev->DataLength;
    PEVC_RECORD record = (PEVC_RECORD)ExAllocatePool2(
        POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, size, EVC_RECORD_TAG);
    if (record == NULL) {
      status = STATUS_INSUFFICIENT_RESOURCES;
      break;
    }
    record->EventId = ev->EventId;
    record->Kind = ev->Kind;
    record->DataLength = ev->DataLength;
    if (ev->DataLength != 0) RtlCopyMemory(record->Data, ev->Data, ev->DataLength);
    records[made] = record;
  }

  KIRQL oldIrql;
  if (!NT_SUCCESS(status)) {
    // All or nothing: give back what this batch allocated. The broken copy
    // frees only the array and forgets the records (the leak).
    if (FreeOnFailure)
      for (ULONG i = 0; i < made; i++) ExFreePoolWithTag(records[i], EVC_RECORD_TAG);
    ExFreePoolWithTag(records, EVC_BATCH_TAG);
    KeAcquireSpinLock(&Cache->Lock, &oldIrql);
    Cache->Stats.AllocationFailures++;
    KeReleaseSpinLock(&Cache->Lock, oldIrql);
    return status;
  }

  LIST_ENTRY unlinked;
  InitializeListHead(&unlinked);
  KeAcquireSpinLock(&Cache->Lock, &oldIrql);
  for (ULONG i = 0; i < Count; i++) {
    PEVC_RECORD record = records[i];
    PEVC_RECORD old = EvcbFindLocked(Cache, record->EventId);
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
  }
  KeReleaseSpinLock(&Cache->Lock, oldIrql);

  // Pool calls stay outside the lock, as in event_cache.c.
  while (!IsListEmpty(&unlinked)) {
    PLIST_ENTRY entry = RemoveHeadList(&unlinked);
    ExFreePoolWithTag(CONTAINING_RECORD(entry, EVC_RECORD, Link), EVC_RECORD_TAG);
  }
  ExFreePoolWithTag(records, EVC_BATCH_TAG);
  return STATUS_SUCCESS;
}

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcInsertBatch(_In_ PEVENT_CACHE Cache,
                        _In_reads_(Count) const EVC_EVENT *Events,
                        _In_ ULONG Count) {
  return EvcbInsert(Cache, Events, Count, TRUE);
}

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS EvcInsertBatchLeaky(_In_ PEVENT_CACHE Cache,
                             _In_reads_(Count) const EVC_EVENT *Events,
                             _In_ ULONG Count) {
  return EvcbInsert(Cache, Events, Count, FALSE);
}
