/*
 * aging_cache.c — see aging_cache.h. WDK names only.
 */
#include "aging_cache.h"

#define AGC_100NS_PER_MS 10000ull

static KDEFERRED_ROUTINE AgcAgeDpc;
static IO_WORKITEM_ROUTINE AgcFlushWork;

NTSTATUS AgcCreate(PDEVICE_OBJECT Device, ULONG TtlMs, ULONG AgePeriodMs,
                   PAGC_FLUSH_CALLBACK OnFlush, PVOID OnFlushContext,
                   PAGING_CACHE *Cache) {
  PAGED_CODE();
  if (Cache == NULL || Device == NULL || TtlMs == 0 || AgePeriodMs == 0)
    return STATUS_INVALID_PARAMETER;
  *Cache = NULL;
  PAGING_CACHE c = (PAGING_CACHE)ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                                 sizeof(AGING_CACHE),
                                                 AGC_CACHE_TAG);
  if (c == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  c->FlushItem = IoAllocateWorkItem(Device);
  if (c->FlushItem == NULL) {
    ExFreePoolWithTag(c, AGC_CACHE_TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  KeInitializeSpinLock(&c->Lock);
  InitializeListHead(&c->Entries);
  c->Ttl = (ULONGLONG)TtlMs * AGC_100NS_PER_MS;
  c->OnFlush = OnFlush;
  c->OnFlushContext = OnFlushContext;
  KeInitializeEvent(&c->FlushIdle, NotificationEvent, TRUE);
  KeInitializeDpc(&c->AgeDpc, AgcAgeDpc, c);
  KeInitializeTimerEx(&c->AgeTimer, NotificationTimer);
  LARGE_INTEGER due;
  due.QuadPart = -(LONGLONG)AgePeriodMs * (LONGLONG)AGC_100NS_PER_MS;
  KeSetTimerEx(&c->AgeTimer, due, (LONG)AgePeriodMs, &c->AgeDpc);
  *Cache = c;
  return STATUS_SUCCESS;
}

NTSTATUS AgcInsert(PAGING_CACHE Cache, ULONG Key) {
  PAGC_ENTRY e = (PAGC_ENTRY)ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                             sizeof(AGC_ENTRY), AGC_ENTRY_TAG);
  if (e == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  e->Key = Key;
  e->ExpiresAt = KeQueryInterruptTime() + Cache->Ttl;
  KIRQL old;
  KeAcquireSpinLock(&Cache->Lock, &old);
  InsertTailList(&Cache->Entries, &e->Link);
  Cache->Count++;
  KeReleaseSpinLock(&Cache->Lock, old);
  return STATUS_SUCCESS;
}

BOOLEAN AgcContains(PAGING_CACHE Cache, ULONG Key) {
  BOOLEAN found = FALSE;
  KIRQL old;
  KeAcquireSpinLock(&Cache->Lock, &old);
  for (PLIST_ENTRY l = Cache->Entries.Flink; l != &Cache->Entries; l = l->Flink)
    if (CONTAINING_RECORD(l, AGC_ENTRY, Link)->Key == Key) found = TRUE;
  KeReleaseSpinLock(&Cache->Lock, old);
  return found;
}

ULONG AgcCount(PAGING_CACHE Cache) {
  KIRQL old;
  KeAcquireSpinLock(&Cache->Lock, &old);
  ULONG n = Cache->Count;
  KeReleaseSpinLock(&Cache->Lock, old);
  return n;
}

/* The timer's DPC, at DISPATCH_LEVEL: queue one flush when the oldest entry
 * has expired. */
static VOID AgcAgeDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                      PVOID SystemArgument2) {
  UNREFERENCED_PARAMETER(Dpc);
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  PAGING_CACHE c = (PAGING_CACHE)DeferredContext;
  ULONGLONG now = KeQueryInterruptTime();
  BOOLEAN queue = FALSE;
  KeAcquireSpinLockAtDpcLevel(&c->Lock);
  if (!c->FlushPending && !IsListEmpty(&c->Entries) &&
      CONTAINING_RECORD(c->Entries.Flink, AGC_ENTRY, Link)->ExpiresAt <= now) {
    // The flag and the event change together, under the lock.
    c->FlushPending = TRUE;
    KeClearEvent(&c->FlushIdle);
    queue = TRUE;
  }
  KeReleaseSpinLockFromDpcLevel(&c->Lock);
  if (queue) IoQueueWorkItem(c->FlushItem, AgcFlushWork, DelayedWorkQueue, c);
}

/* The work item, at PASSIVE_LEVEL: unlink the expired entries under the
 * lock, free them and report them outside it. */
static VOID AgcFlushWork(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  PAGING_CACHE c = (PAGING_CACHE)Context;
  LIST_ENTRY expired;
  InitializeListHead(&expired);
  ULONGLONG now = KeQueryInterruptTime();
  KIRQL old;
  KeAcquireSpinLock(&c->Lock, &old);
  while (!IsListEmpty(&c->Entries)) {
    PAGC_ENTRY e = CONTAINING_RECORD(c->Entries.Flink, AGC_ENTRY, Link);
    if (e->ExpiresAt > now) break;
    RemoveEntryList(&e->Link);
    InsertTailList(&expired, &e->Link);
    c->Count--;
  }
  KeReleaseSpinLock(&c->Lock, old);
  while (!IsListEmpty(&expired)) {
    PAGC_ENTRY e = CONTAINING_RECORD(RemoveHeadList(&expired), AGC_ENTRY, Link);
    if (c->OnFlush != NULL) c->OnFlush(c->OnFlushContext, e->Key);
    c->Flushed++;
    ExFreePoolWithTag(e, AGC_ENTRY_TAG);
  }
  // Last: once FlushIdle is set, AgcDestroy may free the cache.
  KeAcquireSpinLock(&c->Lock, &old);
  c->FlushPending = FALSE;
  KeSetEvent(&c->FlushIdle, IO_NO_INCREMENT, FALSE);
  KeReleaseSpinLock(&c->Lock, old);
}

VOID AgcDestroy(PAGING_CACHE Cache) {
  PAGED_CODE();
  if (Cache == NULL) return;
  // Order matters: no new DPC, no DPC still running, then no flush.
  KeCancelTimer(&Cache->AgeTimer);
  KeFlushQueuedDpcs();
  KeWaitForSingleObject(&Cache->FlushIdle, Executive, KernelMode, FALSE, NULL);
  IoFreeWorkItem(Cache->FlushItem);
  while (!IsListEmpty(&Cache->Entries)) {
    PAGC_ENTRY e =
        CONTAINING_RECORD(RemoveHeadList(&Cache->Entries), AGC_ENTRY, Link);
    ExFreePoolWithTag(e, AGC_ENTRY_TAG);
  }
  ExFreePoolWithTag(Cache, AGC_CACHE_TAG);
}
