/*
 * wdk_sync.c — the WDK names of the interlocked, spin lock, mutex, region,
 * resource, push lock and rundown routines over the core (kpool/qspinlock.h,
 * kpool/guarded.h, kpool/exspinlock.h, kpool/pushlock.h, kpool/rundown.h,
 * kpool/interlocked.h, kpool/resource.h). Argument conversion
 * only; each passes its caller's address as the call site.
 */
#include <stddef.h>

#include "kpool/wdk/ntifs.h"

#include "kpool/slist.h"

#if defined(__GNUC__) || defined(__clang__)
#define WDK_SITE kp_site_take(__builtin_return_address(0))
#else
#define WDK_SITE kp_site_take(NULL)
#endif

// The WDK types are the core's storage.
_Static_assert(sizeof(FAST_MUTEX) == sizeof(kp_fast_mutex_t), "FAST_MUTEX");
_Static_assert(offsetof(FAST_MUTEX, Owner) == offsetof(kp_fast_mutex_t, owner),
               "FAST_MUTEX.Owner");
_Static_assert(offsetof(FAST_MUTEX, Contention) ==
                   offsetof(kp_fast_mutex_t, contention),
               "FAST_MUTEX.Contention");
_Static_assert(offsetof(FAST_MUTEX, Event) == 0x18, "FAST_MUTEX.Event");
_Static_assert(offsetof(FAST_MUTEX, OldIrql) == offsetof(kp_fast_mutex_t, old_irql),
               "FAST_MUTEX.OldIrql");
_Static_assert(sizeof(KLOCK_QUEUE_HANDLE) == sizeof(kp_queued_lock_handle_t),
               "KLOCK_QUEUE_HANDLE");
_Static_assert(offsetof(KLOCK_QUEUE_HANDLE, OldIrql) ==
                   offsetof(kp_queued_lock_handle_t, old_irql),
               "KLOCK_QUEUE_HANDLE.OldIrql");
_Static_assert(sizeof(ERESOURCE) == sizeof(kp_resource_t), "ERESOURCE");
_Static_assert(offsetof(ERESOURCE, OwnerEntry) ==
                   offsetof(kp_resource_t, owner_thread),
               "ERESOURCE.OwnerEntry");
_Static_assert(offsetof(ERESOURCE, ActiveEntries) ==
                   offsetof(kp_resource_t, active_entries),
               "ERESOURCE.ActiveEntries");
_Static_assert(offsetof(ERESOURCE, NumberOfExclusiveWaiters) ==
                   offsetof(kp_resource_t, number_of_exclusive_waiters),
               "ERESOURCE.NumberOfExclusiveWaiters");
_Static_assert(offsetof(ERESOURCE, SpinLock) == offsetof(kp_resource_t, spin_lock),
               "ERESOURCE.SpinLock");
_Static_assert(sizeof(EX_RUNDOWN_REF) == sizeof(kp_rundown_ref_t),
               "EX_RUNDOWN_REF");
_Static_assert(sizeof(LIST_ENTRY) == sizeof(kp_list_entry_t), "LIST_ENTRY");

static kp_fast_mutex_t *fm(PFAST_MUTEX m) { return (kp_fast_mutex_t *)(void *)m; }
static kp_queued_lock_handle_t *qh(PKLOCK_QUEUE_HANDLE h) {
  return (kp_queued_lock_handle_t *)(void *)h;
}
static kp_resource_t *rs(PERESOURCE r) { return (kp_resource_t *)(void *)r; }
static kp_ex_spin_lock_t *xs(PEX_SPIN_LOCK l) {
  return (kp_ex_spin_lock_t *)(uintptr_t)l;
}
static kp_rundown_ref_t *rd(PEX_RUNDOWN_REF r) {
  return (kp_rundown_ref_t *)(uintptr_t)&r->Count;
}

/* --- Interlocked ---------------------------------------------------------- */
BOOLEAN(InterlockedCompareExchange128)(LONG64 volatile *Destination,
                                       LONG64 ExchangeHigh, LONG64 ExchangeLow,
                                       LONG64 *ComparandResult) {
  return kp_interlocked_cas128((volatile int64_t *)(uintptr_t)Destination,
                               ExchangeHigh, ExchangeLow,
                               (int64_t *)(void *)ComparandResult)
             ? TRUE
             : FALSE;
}

ULONG FASTCALL ExInterlockedAddUlong(PULONG Addend, ULONG Increment,
                                     PKSPIN_LOCK Lock) {
  return kp_exlist_add_ulong(Addend, Increment, Lock, WDK_SITE);
}

LARGE_INTEGER NTAPI ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend,
                                                 LARGE_INTEGER Increment,
                                                 PKSPIN_LOCK Lock) {
  LARGE_INTEGER r;
  r.QuadPart = kp_exlist_add_large(Addend != NULL ? (int64_t *)(void *)&Addend->QuadPart : NULL,
                                   Increment.QuadPart, Lock, WDK_SITE);
  return r;
}

PLIST_ENTRY FASTCALL ExInterlockedInsertHeadList(PLIST_ENTRY ListHead,
                                                 PLIST_ENTRY ListEntry,
                                                 PKSPIN_LOCK Lock) {
  return (PLIST_ENTRY)(void *)kp_exlist_insert(
      (kp_list_entry_t *)(void *)ListHead, (kp_list_entry_t *)(void *)ListEntry,
      false, Lock, WDK_SITE);
}

PLIST_ENTRY FASTCALL ExInterlockedInsertTailList(PLIST_ENTRY ListHead,
                                                 PLIST_ENTRY ListEntry,
                                                 PKSPIN_LOCK Lock) {
  return (PLIST_ENTRY)(void *)kp_exlist_insert(
      (kp_list_entry_t *)(void *)ListHead, (kp_list_entry_t *)(void *)ListEntry,
      true, Lock, WDK_SITE);
}

PLIST_ENTRY FASTCALL ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead,
                                                 PKSPIN_LOCK Lock) {
  return (PLIST_ENTRY)(void *)kp_exlist_remove_head(
      (kp_list_entry_t *)(void *)ListHead, Lock, WDK_SITE);
}

PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPushEntryList(
    PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock) {
  return (PSINGLE_LIST_ENTRY)(void *)kp_exlist_push(
      (kp_single_list_entry_t *)(void *)ListHead,
      (kp_single_list_entry_t *)(void *)ListEntry, Lock, WDK_SITE);
}

PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead,
                                                      PKSPIN_LOCK Lock) {
  return (PSINGLE_LIST_ENTRY)(void *)kp_exlist_pop(
      (kp_single_list_entry_t *)(void *)ListHead, Lock, WDK_SITE);
}

PSLIST_ENTRY FASTCALL InterlockedPushListSList(PSLIST_HEADER ListHead,
                                               PSLIST_ENTRY List,
                                               PSLIST_ENTRY ListEnd,
                                               ULONG Count) {
  return (PSLIST_ENTRY)(void *)kp_slist_push_list(
      (kp_slist_header_t *)(void *)ListHead, (kp_slist_entry_t *)(void *)List,
      (kp_slist_entry_t *)(void *)ListEnd, Count);
}

PSLIST_ENTRY NTAPI InterlockedPushListSListEx(PSLIST_HEADER ListHead,
                                              PSLIST_ENTRY List,
                                              PSLIST_ENTRY ListEnd, ULONG Count) {
  return InterlockedPushListSList(ListHead, List, ListEnd, Count);
}

/* --- Spin locks ------------------------------------------------------------ */
VOID FASTCALL KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
                                             PKLOCK_QUEUE_HANDLE LockHandle) {
  kp_queued_spin_lock_acquire(SpinLock, qh(LockHandle), KP_QUEUED_RAISE, WDK_SITE);
}
VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(
    PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle) {
  kp_queued_spin_lock_acquire(SpinLock, qh(LockHandle), KP_QUEUED_AT_DPC,
                              WDK_SITE);
}
VOID FASTCALL KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock,
                                                   PKLOCK_QUEUE_HANDLE LockHandle) {
  kp_queued_spin_lock_acquire(SpinLock, qh(LockHandle), KP_QUEUED_FOR_DPC,
                              WDK_SITE);
}
VOID FASTCALL KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle) {
  kp_queued_spin_lock_release(qh(LockHandle), KP_QUEUED_RAISE, WDK_SITE);
}
VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(
    PKLOCK_QUEUE_HANDLE LockHandle) {
  kp_queued_spin_lock_release(qh(LockHandle), KP_QUEUED_AT_DPC, WDK_SITE);
}
VOID FASTCALL KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle) {
  kp_queued_spin_lock_release(qh(LockHandle), KP_QUEUED_FOR_DPC, WDK_SITE);
}
BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  return kp_spin_lock_try_at_dpc(SpinLock, WDK_SITE) ? TRUE : FALSE;
}
BOOLEAN FASTCALL KeTestSpinLock(PKSPIN_LOCK SpinLock) {
  return kp_spin_lock_test(SpinLock) ? TRUE : FALSE;
}
KIRQL FASTCALL KeAcquireSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock) {
  return kp_spin_lock_acquire_raise_to_synch(SpinLock, WDK_SITE);
}
KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID) { return kp_irql_raise_to_synch(); }
KIRQL NTAPI KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock) {
  KIRQL irql = kp_irql_get();
  if (irql < DISPATCH_LEVEL) return kp_spin_lock_acquire(SpinLock);
  kp_spin_lock_acquire_at_dpc(SpinLock);
  return irql;
}
VOID NTAPI KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql) {
  if (OldIrql < DISPATCH_LEVEL)
    kp_spin_lock_release(SpinLock, OldIrql);
  else
    kp_spin_lock_release_from_dpc(SpinLock);
}

KIRQL NTAPI ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock) {
  return kp_ex_spin_lock_acquire(xs(SpinLock), false, false, WDK_SITE);
}
KIRQL NTAPI ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock) {
  return kp_ex_spin_lock_acquire(xs(SpinLock), true, false, WDK_SITE);
}
VOID NTAPI ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock) {
  (void)kp_ex_spin_lock_acquire(xs(SpinLock), false, true, WDK_SITE);
}
VOID NTAPI ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock) {
  (void)kp_ex_spin_lock_acquire(xs(SpinLock), true, true, WDK_SITE);
}
VOID NTAPI ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql) {
  kp_ex_spin_lock_release(xs(SpinLock), false, false, OldIrql, WDK_SITE);
}
VOID NTAPI ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql) {
  kp_ex_spin_lock_release(xs(SpinLock), true, false, OldIrql, WDK_SITE);
}
VOID NTAPI ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock) {
  kp_ex_spin_lock_release(xs(SpinLock), false, true, 0, WDK_SITE);
}
VOID NTAPI ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock) {
  kp_ex_spin_lock_release(xs(SpinLock), true, true, 0, WDK_SITE);
}
LOGICAL NTAPI ExTryConvertSharedSpinLockExclusive(PEX_SPIN_LOCK SpinLock) {
  return kp_ex_spin_lock_try_convert(xs(SpinLock), WDK_SITE) ? 1u : 0u;
}
LOGICAL NTAPI ExTryAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock) {
  return kp_ex_spin_lock_try_at_dpc(xs(SpinLock), false, WDK_SITE) ? 1u : 0u;
}
LOGICAL NTAPI ExTryAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock) {
  return kp_ex_spin_lock_try_at_dpc(xs(SpinLock), true, WDK_SITE) ? 1u : 0u;
}

/* --- Mutexes and regions ---------------------------------------------------- */
VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex) {
  kp_fast_mutex_acquire_unsafe(fm(FastMutex), WDK_SITE);
}
VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex) {
  kp_fast_mutex_release_unsafe(fm(FastMutex), WDK_SITE);
}
VOID FASTCALL KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex) {
  kp_guarded_mutex_init(fm(Mutex), WDK_SITE);
}
VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  kp_guarded_mutex_acquire(fm(Mutex), WDK_SITE);
}
BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) {
  return kp_guarded_mutex_try_acquire(fm(Mutex), WDK_SITE) ? TRUE : FALSE;
}
VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex) {
  kp_guarded_mutex_release(fm(Mutex), WDK_SITE);
}
VOID FASTCALL KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex) {
  kp_guarded_mutex_acquire_unsafe(fm(FastMutex), WDK_SITE);
}
VOID FASTCALL KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex) {
  kp_guarded_mutex_release_unsafe(fm(FastMutex), WDK_SITE);
}
VOID NTAPI KeEnterCriticalRegion(VOID) { kp_critical_region_enter(WDK_SITE); }
VOID NTAPI KeLeaveCriticalRegion(VOID) { kp_critical_region_leave(WDK_SITE); }
VOID NTAPI KeEnterGuardedRegion(VOID) { kp_guarded_region_enter(WDK_SITE); }
VOID NTAPI KeLeaveGuardedRegion(VOID) { kp_guarded_region_leave(WDK_SITE); }
BOOLEAN NTAPI KeAreApcsDisabled(VOID) { return kp_apcs_disabled() ? TRUE : FALSE; }
BOOLEAN NTAPI KeAreAllApcsDisabled(VOID) {
  return kp_all_apcs_disabled() ? TRUE : FALSE;
}

/* --- Resources --------------------------------------------------------------- */
NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource) {
  return kp_resource_init(rs(Resource), WDK_SITE);
}
NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource) {
  return kp_resource_reinit(rs(Resource), WDK_SITE);
}
NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource) {
  return kp_resource_delete(rs(Resource), WDK_SITE);
}
BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait) {
  return kp_resource_acquire(rs(Resource), KP_RESOURCE_EXCLUSIVE, Wait != 0,
                             WDK_SITE)
             ? TRUE
             : FALSE;
}
BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait) {
  return kp_resource_acquire(rs(Resource), KP_RESOURCE_SHARED, Wait != 0,
                             WDK_SITE)
             ? TRUE
             : FALSE;
}
BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait) {
  return kp_resource_acquire(rs(Resource), KP_RESOURCE_STARVE_EXCLUSIVE,
                             Wait != 0, WDK_SITE)
             ? TRUE
             : FALSE;
}
BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait) {
  return kp_resource_acquire(rs(Resource), KP_RESOURCE_WAIT_FOR_EXCLUSIVE,
                             Wait != 0, WDK_SITE)
             ? TRUE
             : FALSE;
}
VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource) {
  kp_resource_release(rs(Resource), 0, WDK_SITE);
}
VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource,
                                          ERESOURCE_THREAD ResourceThreadId) {
  kp_resource_release(rs(Resource),
                      ResourceThreadId != 0 ? ResourceThreadId
                                            : (ERESOURCE_THREAD)1,
                      WDK_SITE);
}
VOID NTAPI ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer) {
  kp_resource_set_owner(rs(Resource), (uintptr_t)OwnerPointer, WDK_SITE);
}
VOID NTAPI ExSetResourceOwnerPointerEx(PERESOURCE Resource, PVOID OwnerPointer,
                                       ULONG Flags) {
  if ((Flags & ~(ULONG)FLAG_OWNER_POINTER_IS_THREAD) != 0) {
    kp_raise_status(KP_STATUS_INVALID_PARAMETER_3);
    return;
  }
  kp_resource_set_owner(rs(Resource), (uintptr_t)OwnerPointer, WDK_SITE);
}
VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource) {
  kp_resource_convert_to_shared(rs(Resource), WDK_SITE);
}
BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource) {
  return kp_resource_is_exclusive(rs(Resource)) ? TRUE : FALSE;
}
ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource) {
  return kp_resource_shared_count(rs(Resource));
}
ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource) {
  return kp_resource_waiters(rs(Resource), true);
}
ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource) {
  return kp_resource_waiters(rs(Resource), false);
}

// Enter the critical region first; leave it again if the acquire bug
// checked and the handler returned.
static PVOID enter_and_acquire(PERESOURCE Resource, kp_resource_mode_t mode,
                               kp_site_t site) {
  kp_critical_region_enter(site);
  if (!kp_resource_acquire(rs(Resource), mode, true, site)) {
    kp_critical_region_leave(site);
    return NULL;
  }
  return Resource->Address;
}
PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource) {
  return enter_and_acquire(Resource, KP_RESOURCE_EXCLUSIVE, WDK_SITE);
}
PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource) {
  return enter_and_acquire(Resource, KP_RESOURCE_SHARED, WDK_SITE);
}
PVOID NTAPI ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(
    PERESOURCE Resource) {
  return enter_and_acquire(Resource, KP_RESOURCE_WAIT_FOR_EXCLUSIVE, WDK_SITE);
}
VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource) {
  kp_site_t site = WDK_SITE;
  kp_resource_release(rs(Resource), 0, site);
  kp_critical_region_leave(site);
}

/* --- Push locks ----------------------------------------------------------------- */
VOID NTAPI ExInitializePushLock(PEX_PUSH_LOCK PushLock) {
  kp_push_lock_init(PushLock, WDK_SITE);
}
VOID FASTCALL ExAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags) {
  (void)Flags;
  kp_push_lock_acquire(PushLock, true, WDK_SITE);
}
VOID FASTCALL ExAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags) {
  (void)Flags;
  kp_push_lock_acquire(PushLock, false, WDK_SITE);
}
VOID FASTCALL ExReleasePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags) {
  (void)Flags;
  kp_push_lock_release(PushLock, true, WDK_SITE);
}
VOID FASTCALL ExReleasePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags) {
  (void)Flags;
  kp_push_lock_release(PushLock, false, WDK_SITE);
}

/* --- Rundown protection ------------------------------------------------------------ */
VOID FASTCALL ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef) {
  kp_rundown_init(rd(RunRef));
}
VOID FASTCALL ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef) {
  kp_rundown_init(rd(RunRef));
}
BOOLEAN FASTCALL ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef) {
  return kp_rundown_acquire(rd(RunRef), 1) ? TRUE : FALSE;
}
BOOLEAN FASTCALL ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count) {
  return kp_rundown_acquire(rd(RunRef), Count) ? TRUE : FALSE;
}
VOID FASTCALL ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef) {
  kp_rundown_release(rd(RunRef), 1, WDK_SITE);
}
VOID FASTCALL ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count) {
  kp_rundown_release(rd(RunRef), Count, WDK_SITE);
}
VOID FASTCALL ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef) {
  kp_rundown_wait(rd(RunRef));
}
VOID FASTCALL ExRundownCompleted(PEX_RUNDOWN_REF RunRef) {
  kp_rundown_completed(rd(RunRef));
}

static kp_rundown_cache_aware_t *ca(PEX_RUNDOWN_REF_CACHE_AWARE r) {
  return (kp_rundown_cache_aware_t *)(void *)r;
}

PEX_RUNDOWN_REF_CACHE_AWARE NTAPI
ExAllocateCacheAwareRundownProtection(POOL_TYPE PoolType, ULONG PoolTag) {
  kp_rundown_cache_aware_t *r = (kp_rundown_cache_aware_t *)ExAllocatePoolWithTag(
      PoolType, sizeof *r, PoolTag);
  if (r == NULL) return NULL;
  kp_rundown_init(&r->ref);
  r->tag = PoolTag;
  r->allocated = 1;
  return (PEX_RUNDOWN_REF_CACHE_AWARE)(void *)r;
}
SIZE_T NTAPI ExSizeOfRundownProtectionCacheAware(VOID) {
  return sizeof(kp_rundown_cache_aware_t);
}
VOID NTAPI ExInitializeRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, SIZE_T RunRefSize) {
  if (RunRefSize < sizeof(kp_rundown_cache_aware_t)) {
    // Too small for the counter: the caller's buffer overflow on Windows.
    kp_raise_status(KP_STATUS_INVALID_PARAMETER_2);
    return;
  }
  kp_rundown_init(&ca(RunRefCacheAware)->ref);
  ca(RunRefCacheAware)->tag = 0;
  ca(RunRefCacheAware)->allocated = 0;
}
VOID NTAPI ExFreeCacheAwareRundownProtection(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware) {
  kp_rundown_cache_aware_t *r = ca(RunRefCacheAware);
  // Freeing caller storage (not from the Allocate form) reaches the pool's
  // own check of a foreign address with tag 0.
  ExFreePoolWithTag(r, r != NULL && r->allocated ? r->tag : 0);
}
BOOLEAN FASTCALL ExAcquireRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware) {
  return kp_rundown_acquire(&ca(RunRefCacheAware)->ref, 1) ? TRUE : FALSE;
}
BOOLEAN FASTCALL ExAcquireRundownProtectionCacheAwareEx(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, ULONG Count) {
  return kp_rundown_acquire(&ca(RunRefCacheAware)->ref, Count) ? TRUE : FALSE;
}
VOID FASTCALL ExReleaseRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware) {
  kp_rundown_release(&ca(RunRefCacheAware)->ref, 1, WDK_SITE);
}
VOID FASTCALL ExReleaseRundownProtectionCacheAwareEx(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRef, ULONG Count) {
  kp_rundown_release(&ca(RunRef)->ref, Count, WDK_SITE);
}
VOID FASTCALL ExWaitForRundownProtectionReleaseCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRef) {
  kp_rundown_wait(&ca(RunRef)->ref);
}
VOID FASTCALL ExReInitializeRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware) {
  kp_rundown_init(&ca(RunRefCacheAware)->ref);
}
VOID FASTCALL ExRundownCompletedCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware) {
  kp_rundown_completed(&ca(RunRefCacheAware)->ref);
}
