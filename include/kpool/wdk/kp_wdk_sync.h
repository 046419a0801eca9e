/**
 * @file kpool/wdk/kp_wdk_sync.h
 * @brief WDK face: queued and executive spin locks, the extra spin lock
 *        routines, fast mutex Unsafe forms, guarded mutexes, critical and
 *        guarded regions, ERESOURCE, push locks, rundown protection and
 *        InterlockedPushListSList(Ex).
 *
 * Thin mappings onto kpool/qspinlock.h, kpool/guarded.h,
 * kpool/exspinlock.h, kpool/pushlock.h, kpool/rundown.h and
 * kpool/resource.h, whose file comments list every bug check these
 * names raise (codes and parameters from facts §7) and what kpool does not
 * model. Facts §2-§4. Each exported function records its caller's address
 * as the call site of reports.
 */
#ifndef KPOOL_WDK_KP_WDK_SYNC_H
#define KPOOL_WDK_KP_WDK_SYNC_H

#include "../exspinlock.h"
#include "../interlocked.h"
#include "../pushlock.h"
#include "../rundown.h"
#include "../guarded.h"
#include "../qspinlock.h"
#include "../resource.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Spin locks beyond KeAcquireSpinLock (facts §2)
 * ========================================================================= */
/** SYNCH_LEVEL on x64. */
#ifndef SYNCH_LEVEL
#define SYNCH_LEVEL 12
#endif

/** A queued spin lock entry: the next waiter and the lock (x64 0x10). */
typedef struct _KSPIN_LOCK_QUEUE {
  struct _KSPIN_LOCK_QUEUE *volatile Next;
  PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

/** KLOCK_QUEUE_HANDLE, 0x18 bytes; one per acquisition, on the stack. */
typedef struct _KLOCK_QUEUE_HANDLE {
  KSPIN_LOCK_QUEUE LockQueue;
  KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

/** KeAcquireInStackQueuedSpinLock: FIFO queued acquire, raises to
 *  DISPATCH_LEVEL (saved in LockHandle->OldIrql). IRQL <= DISPATCH_LEVEL. */
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLock(
    PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle);
/** ...AtDpcLevel: no IRQL change; IRQL >= DISPATCH_LEVEL. */
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(
    PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle);
/** ...ForDpc: raises only when called below DISPATCH_LEVEL. */
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLockForDpc(
    PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle);
/** KeReleaseInStackQueuedSpinLock: at DISPATCH_LEVEL; restores OldIrql. */
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLock(
    PKLOCK_QUEUE_HANDLE LockHandle);
/** ...FromDpcLevel: no IRQL change. */
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(
    PKLOCK_QUEUE_HANDLE LockHandle);
/** ...ForDpc: lowers only if the acquire raised. */
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLockForDpc(
    PKLOCK_QUEUE_HANDLE LockHandle);
/** KeTryToAcquireSpinLockAtDpcLevel: TRUE when taken; release with
 *  KeReleaseSpinLockFromDpcLevel. */
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(
    PKSPIN_LOCK SpinLock);
/** KeTestSpinLock: FALSE if held, TRUE if free; never acquires. */
NTKERNELAPI BOOLEAN FASTCALL KeTestSpinLock(PKSPIN_LOCK SpinLock);
/** KeAcquireSpinLockRaiseToSynch (ntifs.h): raises to SYNCH_LEVEL and takes
 *  the lock; release with KeReleaseSpinLock(SpinLock, OldIrql). */
NTKERNELAPI KIRQL FASTCALL KeAcquireSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock);
/** KeRaiseIrqlToSynchLevel: raises to SYNCH_LEVEL (12); returns the old IRQL. */
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID);
/** KeAcquireSpinLockForDpc: KeAcquireSpinLock below DISPATCH_LEVEL,
 *  KeAcquireSpinLockAtDpcLevel at it; returns the IRQL to pass back. */
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock);
/** KeReleaseSpinLockForDpc: the matching release. */
NTKERNELAPI VOID NTAPI KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock,
                                               KIRQL OldIrql);

/** EX_SPIN_LOCK: a 32-bit word the driver zeroes (no initialise routine). */
typedef volatile LONG EX_SPIN_LOCK, *PEX_SPIN_LOCK;
/** A cache-aligned EX_SPIN_LOCK. */
typedef EX_SPIN_LOCK __attribute__((aligned(64))) ALIGNED_EX_SPINLOCK;

/** ExAcquireSpinLockShared: raises to DISPATCH_LEVEL; returns old IRQL. */
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock);
/** ExAcquireSpinLockExclusive: raises to DISPATCH_LEVEL; returns old IRQL. */
NTKERNELAPI KIRQL NTAPI ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock);
/** ExAcquireSpinLockSharedAtDpcLevel: IRQL >= DISPATCH_LEVEL. */
NTKERNELAPI VOID NTAPI ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock);
/** ExAcquireSpinLockExclusiveAtDpcLevel: IRQL >= DISPATCH_LEVEL. */
NTKERNELAPI VOID NTAPI ExAcquireSpinLockExclusiveAtDpcLevel(
    PEX_SPIN_LOCK SpinLock);
/** ExReleaseSpinLockShared: at DISPATCH_LEVEL; lowers to OldIrql. */
NTKERNELAPI VOID NTAPI ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock,
                                               KIRQL OldIrql);
/** ExReleaseSpinLockExclusive: at DISPATCH_LEVEL; lowers to OldIrql. */
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock,
                                                  KIRQL OldIrql);
/** ExReleaseSpinLockSharedFromDpcLevel. */
NTKERNELAPI VOID NTAPI ExReleaseSpinLockSharedFromDpcLevel(
    PEX_SPIN_LOCK SpinLock);
/** ExReleaseSpinLockExclusiveFromDpcLevel. */
NTKERNELAPI VOID NTAPI ExReleaseSpinLockExclusiveFromDpcLevel(
    PEX_SPIN_LOCK SpinLock);
/** ExTryConvertSharedSpinLockExclusive: 1 when converted (the caller was
 *  the only reader and no writer waited), else 0. */
NTKERNELAPI LOGICAL NTAPI ExTryConvertSharedSpinLockExclusive(
    PEX_SPIN_LOCK SpinLock);
/** ExTryAcquireSpinLockSharedAtDpcLevel: 1 when taken. */
NTKERNELAPI LOGICAL NTAPI ExTryAcquireSpinLockSharedAtDpcLevel(
    PEX_SPIN_LOCK SpinLock);
/** ExTryAcquireSpinLockExclusiveAtDpcLevel: 1 when taken. */
NTKERNELAPI LOGICAL NTAPI ExTryAcquireSpinLockExclusiveAtDpcLevel(
    PEX_SPIN_LOCK SpinLock);

/* ===========================================================================
 * Fast mutexes, guarded mutexes, regions (facts §3)
 * ========================================================================= */
/** ExAcquireFastMutexUnsafe: at APC_LEVEL or in a critical region. */
NTKERNELAPI VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex);
/** ExReleaseFastMutexUnsafe: pairs with ExAcquireFastMutexUnsafe only. */
NTKERNELAPI VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex);

/** KeInitializeGuardedMutex. */
NTKERNELAPI VOID FASTCALL KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex);
/** KeAcquireGuardedMutex: enters a guarded region and waits for the mutex. */
NTKERNELAPI VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
/** KeTryToAcquireGuardedMutex: TRUE when taken (then in a guarded region). */
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex);
/** KeReleaseGuardedMutex: releases and leaves the guarded region. */
NTKERNELAPI VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex);
/** KeAcquireGuardedMutexUnsafe: caller in a guarded region or at APC_LEVEL. */
NTKERNELAPI VOID FASTCALL KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex);
/** KeReleaseGuardedMutexUnsafe. */
NTKERNELAPI VOID FASTCALL KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX FastMutex);

/** KeEnterCriticalRegion: disables normal kernel APCs (nests). */
NTKERNELAPI VOID NTAPI KeEnterCriticalRegion(VOID);
/** KeLeaveCriticalRegion: bug check if no critical region was entered. */
NTKERNELAPI VOID NTAPI KeLeaveCriticalRegion(VOID);
/** KeEnterGuardedRegion: disables all APCs (nests). */
NTKERNELAPI VOID NTAPI KeEnterGuardedRegion(VOID);
/** KeLeaveGuardedRegion. */
NTKERNELAPI VOID NTAPI KeLeaveGuardedRegion(VOID);
/** KeAreApcsDisabled: in a critical or guarded region. */
NTKERNELAPI BOOLEAN NTAPI KeAreApcsDisabled(VOID);
/** KeAreAllApcsDisabled: in a guarded region or IRQL >= APC_LEVEL. */
NTKERNELAPI BOOLEAN NTAPI KeAreAllApcsDisabled(VOID);

/* ===========================================================================
 * Executive resources (facts §4.1)
 * ========================================================================= */
/** Identity of a resource owner thread. */
typedef ULONG_PTR ERESOURCE_THREAD, *PERESOURCE_THREAD;

/** One owner of a resource (16 bytes on x64). */
typedef struct _OWNER_ENTRY {
  ERESOURCE_THREAD OwnerThread;
  ULONG TableSize;             /**< the flag bits and OwnerCount << 3 */
} OWNER_ENTRY, *POWNER_ENTRY;

/** ERESOURCE, 0x68 bytes, the public x64 layout (documented as opaque). */
typedef struct _ERESOURCE {
  LIST_ENTRY SystemResourcesList;
  POWNER_ENTRY OwnerTable;
  SHORT ActiveCount;
  USHORT Flag;
  PVOID SharedWaiters;
  PVOID ExclusiveWaiters;
  OWNER_ENTRY OwnerEntry;
  ULONG ActiveEntries;
  ULONG ContentionCount;
  ULONG NumberOfSharedWaiters;
  ULONG NumberOfExclusiveWaiters;
  PVOID Reserved2;
  PVOID Address;
  KSPIN_LOCK SpinLock;
} ERESOURCE, *PERESOURCE;

#define ResourceNeverExclusive 0x10
#define ResourceReleaseByOtherThread 0x20
#define ResourceOwnedExclusive 0x80

/** ExGetCurrentResourceThread(): the caller's ERESOURCE_THREAD. */
#define ExGetCurrentResourceThread() ((ERESOURCE_THREAD)kp_resource_current_thread())

/** ExInitializeResourceLite: STATUS_SUCCESS. */
NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource);
/** ExReinitializeResourceLite: STATUS_SUCCESS. */
NTKERNELAPI NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource);
/** ExDeleteResourceLite: STATUS_SUCCESS. */
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource);
/** ExAcquireResourceExclusiveLite. */
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource,
                                                         BOOLEAN Wait);
/** ExAcquireResourceSharedLite. */
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource,
                                                      BOOLEAN Wait);
/** ExAcquireSharedStarveExclusive. */
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource,
                                                         BOOLEAN Wait);
/** ExAcquireSharedWaitForExclusive. */
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource,
                                                          BOOLEAN Wait);
/** ExReleaseResourceLite. */
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource);
/** ExReleaseResourceForThreadLite. */
NTKERNELAPI VOID NTAPI ExReleaseResourceForThreadLite(
    PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId);
/** ExSetResourceOwnerPointer: moves the caller's ownership to
 *  @p OwnerPointer (its two low bits set); release it with
 *  ExReleaseResourceForThreadLite(Resource, (ERESOURCE_THREAD)OwnerPointer). */
NTKERNELAPI VOID NTAPI ExSetResourceOwnerPointer(PERESOURCE Resource,
                                                 PVOID OwnerPointer);
/** FLAG_OWNER_POINTER_IS_THREAD for ExSetResourceOwnerPointerEx. */
#define FLAG_OWNER_POINTER_IS_THREAD 0x1
/** ExSetResourceOwnerPointerEx: as ExSetResourceOwnerPointer; Flags 0 or
 *  FLAG_OWNER_POINTER_IS_THREAD (else raises STATUS_INVALID_PARAMETER_3). */
NTKERNELAPI VOID NTAPI ExSetResourceOwnerPointerEx(PERESOURCE Resource,
                                                   PVOID OwnerPointer,
                                                   ULONG Flags);
/** ExConvertExclusiveToSharedLite. */
NTKERNELAPI VOID NTAPI ExConvertExclusiveToSharedLite(PERESOURCE Resource);
/** ExIsResourceAcquiredExclusiveLite. */
NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource);
/** ExIsResourceAcquiredSharedLite: the caller's acquisitions (any mode). */
NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource);
/** ExIsResourceAcquiredLite: ExIsResourceAcquiredSharedLite. */
#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite
/** ExGetExclusiveWaiterCount. */
NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource);
/** ExGetSharedWaiterCount. */
NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource);
/** ExEnterCriticalRegionAndAcquireResourceExclusive: returns an opaque
 *  value (kpool: the resource's Address field). */
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(
    PERESOURCE Resource);
/** ExEnterCriticalRegionAndAcquireResourceShared. */
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(
    PERESOURCE Resource);
/** ExEnterCriticalRegionAndAcquireSharedWaitForExclusive. */
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(
    PERESOURCE Resource);
/** ExReleaseResourceAndLeaveCriticalRegion. */
NTKERNELAPI VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(
    PERESOURCE Resource);

/* ===========================================================================
 * Push locks (facts §4.2)
 * ========================================================================= */
#define EX_PUSH_LOCK ULONG_PTR
#define PEX_PUSH_LOCK ULONG_PTR *
#define EX_DEFAULT_PUSH_LOCK_FLAGS 0

/** ExInitializePushLock: 0 = free. */
NTKERNELAPI VOID NTAPI ExInitializePushLock(PEX_PUSH_LOCK PushLock);
/** ExAcquirePushLockExclusiveEx. Normal kernel APCs must be disabled. */
NTKERNELAPI VOID FASTCALL ExAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock,
                                                       ULONG Flags);
/** ExAcquirePushLockSharedEx. */
NTKERNELAPI VOID FASTCALL ExAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock,
                                                    ULONG Flags);
/** ExReleasePushLockExclusiveEx. */
NTKERNELAPI VOID FASTCALL ExReleasePushLockExclusiveEx(PEX_PUSH_LOCK PushLock,
                                                       ULONG Flags);
/** ExReleasePushLockSharedEx. */
NTKERNELAPI VOID FASTCALL ExReleasePushLockSharedEx(PEX_PUSH_LOCK PushLock,
                                                    ULONG Flags);
#define ExAcquirePushLockExclusive(Lock)                                       \
  ExAcquirePushLockExclusiveEx(Lock, EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExAcquirePushLockShared(Lock)                                          \
  ExAcquirePushLockSharedEx(Lock, EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExReleasePushLockExclusive(Lock)                                       \
  ExReleasePushLockExclusiveEx(Lock, EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExReleasePushLockShared(Lock)                                          \
  ExReleasePushLockSharedEx(Lock, EX_DEFAULT_PUSH_LOCK_FLAGS)

/* ===========================================================================
 * Rundown protection (facts §4.3)
 * ========================================================================= */
#define EX_RUNDOWN_ACTIVE 0x1
#define EX_RUNDOWN_COUNT_SHIFT 0x1
#define EX_RUNDOWN_COUNT_INC (1 << EX_RUNDOWN_COUNT_SHIFT)

/** EX_RUNDOWN_REF: 8 bytes; bit 0 = run-down, references above. */
typedef struct _EX_RUNDOWN_REF {
  KP_WDK_ANONYMOUS_ union {
    volatile ULONG_PTR Count;
    volatile PVOID Ptr;
  };
} EX_RUNDOWN_REF, *PEX_RUNDOWN_REF;

/** The cache-aware form (opaque). */
typedef struct _EX_RUNDOWN_REF_CACHE_AWARE *PEX_RUNDOWN_REF_CACHE_AWARE;

NTKERNELAPI VOID FASTCALL ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef);
NTKERNELAPI VOID FASTCALL ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef);
/** ExAcquireRundownProtection: FALSE once the run-down began. */
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef);
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef,
                                                          ULONG Count);
/** ExReleaseRundownProtection: bug check 0x139/14 on more releases than
 *  acquires. */
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef);
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef,
                                                       ULONG Count);
/** ExWaitForRundownProtectionRelease: blocks until no reference is left. */
NTKERNELAPI VOID FASTCALL ExWaitForRundownProtectionRelease(
    PEX_RUNDOWN_REF RunRef);
NTKERNELAPI VOID FASTCALL ExRundownCompleted(PEX_RUNDOWN_REF RunRef);

/** ExAllocateCacheAwareRundownProtection: from the pool with @p PoolTag;
 *  NULL when the allocation fails. */
NTKERNELAPI PEX_RUNDOWN_REF_CACHE_AWARE NTAPI
ExAllocateCacheAwareRundownProtection(POOL_TYPE PoolType, ULONG PoolTag);
/** ExSizeOfRundownProtectionCacheAware: bytes for caller storage. */
NTKERNELAPI SIZE_T NTAPI ExSizeOfRundownProtectionCacheAware(VOID);
/** ExInitializeRundownProtectionCacheAware: in caller storage of
 *  @p RunRefSize >= ExSizeOfRundownProtectionCacheAware() bytes. */
NTKERNELAPI VOID NTAPI ExInitializeRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, SIZE_T RunRefSize);
/** ExFreeCacheAwareRundownProtection: only for the Allocate form. */
NTKERNELAPI VOID NTAPI ExFreeCacheAwareRundownProtection(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware);
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware);
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtectionCacheAwareEx(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, ULONG Count);
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware);
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtectionCacheAwareEx(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRef, ULONG Count);
NTKERNELAPI VOID FASTCALL ExWaitForRundownProtectionReleaseCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRef);
NTKERNELAPI VOID FASTCALL ExReInitializeRundownProtectionCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware);
NTKERNELAPI VOID FASTCALL ExRundownCompletedCacheAware(
    PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware);

/* ===========================================================================
 * InterlockedPushListSList (facts §1.3)
 * ========================================================================= */
/** InterlockedPushListSList (ntifs.h): pushes the linked chain
 *  List..ListEnd of Count entries in one step; returns the old first entry. */
NTKERNELAPI PSLIST_ENTRY FASTCALL InterlockedPushListSList(
    PSLIST_HEADER ListHead, PSLIST_ENTRY List, PSLIST_ENTRY ListEnd, ULONG Count);
/** InterlockedPushListSListEx (user-mode name, same contract). */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPushListSListEx(
    PSLIST_HEADER ListHead, PSLIST_ENTRY List, PSLIST_ENTRY ListEnd, ULONG Count);

#ifdef __cplusplus
}
#endif

/* ===========================================================================
 * Opt-in call sites: with KPOOL_LOCK_CALL_SITES defined before including,
 * the lock routines below become function-like macros that record
 * __FILE__:__LINE__ for the report (kp_site_next), so bug checks name the
 * exact line of the acquire and of the misuse. Off by default because a
 * driver that declares its own prototype of one of these names would then
 * not compile. `(Name)(...)` and taking the address still reach the
 * functions.
 * ========================================================================= */
#if defined(KPOOL_LOCK_CALL_SITES)
#define KP_WDK_AT_(call) (kp_site_next(__FILE__, (uint32_t)__LINE__), call)
#define KeAcquireSpinLock(a, b) KP_WDK_AT_((KeAcquireSpinLock)(a, b))
#define KeReleaseSpinLock(a, b) KP_WDK_AT_((KeReleaseSpinLock)(a, b))
#define KeAcquireSpinLockAtDpcLevel(a) KP_WDK_AT_((KeAcquireSpinLockAtDpcLevel)(a))
#define KeReleaseSpinLockFromDpcLevel(a) KP_WDK_AT_((KeReleaseSpinLockFromDpcLevel)(a))
#define KeAcquireSpinLockRaiseToDpc(a) KP_WDK_AT_((KeAcquireSpinLockRaiseToDpc)(a))
#define KeAcquireInStackQueuedSpinLock(a, b) KP_WDK_AT_((KeAcquireInStackQueuedSpinLock)(a, b))
#define KeAcquireInStackQueuedSpinLockAtDpcLevel(a, b) KP_WDK_AT_((KeAcquireInStackQueuedSpinLockAtDpcLevel)(a, b))
#define KeAcquireInStackQueuedSpinLockForDpc(a, b) KP_WDK_AT_((KeAcquireInStackQueuedSpinLockForDpc)(a, b))
#define KeReleaseInStackQueuedSpinLock(a) KP_WDK_AT_((KeReleaseInStackQueuedSpinLock)(a))
#define KeReleaseInStackQueuedSpinLockFromDpcLevel(a) KP_WDK_AT_((KeReleaseInStackQueuedSpinLockFromDpcLevel)(a))
#define KeReleaseInStackQueuedSpinLockForDpc(a) KP_WDK_AT_((KeReleaseInStackQueuedSpinLockForDpc)(a))
#define KeTryToAcquireSpinLockAtDpcLevel(a) KP_WDK_AT_((KeTryToAcquireSpinLockAtDpcLevel)(a))
#define KeAcquireSpinLockRaiseToSynch(a) KP_WDK_AT_((KeAcquireSpinLockRaiseToSynch)(a))
#define ExAcquireSpinLockShared(a) KP_WDK_AT_((ExAcquireSpinLockShared)(a))
#define ExAcquireSpinLockExclusive(a) KP_WDK_AT_((ExAcquireSpinLockExclusive)(a))
#define ExAcquireSpinLockSharedAtDpcLevel(a) KP_WDK_AT_((ExAcquireSpinLockSharedAtDpcLevel)(a))
#define ExAcquireSpinLockExclusiveAtDpcLevel(a) KP_WDK_AT_((ExAcquireSpinLockExclusiveAtDpcLevel)(a))
#define ExReleaseSpinLockShared(a, b) KP_WDK_AT_((ExReleaseSpinLockShared)(a, b))
#define ExReleaseSpinLockExclusive(a, b) KP_WDK_AT_((ExReleaseSpinLockExclusive)(a, b))
#define ExReleaseSpinLockSharedFromDpcLevel(a) KP_WDK_AT_((ExReleaseSpinLockSharedFromDpcLevel)(a))
#define ExReleaseSpinLockExclusiveFromDpcLevel(a) KP_WDK_AT_((ExReleaseSpinLockExclusiveFromDpcLevel)(a))
#define ExTryConvertSharedSpinLockExclusive(a) KP_WDK_AT_((ExTryConvertSharedSpinLockExclusive)(a))
#define ExTryAcquireSpinLockSharedAtDpcLevel(a) KP_WDK_AT_((ExTryAcquireSpinLockSharedAtDpcLevel)(a))
#define ExTryAcquireSpinLockExclusiveAtDpcLevel(a) KP_WDK_AT_((ExTryAcquireSpinLockExclusiveAtDpcLevel)(a))
#define ExInitializeFastMutex(a) KP_WDK_AT_((ExInitializeFastMutex)(a))
#define ExAcquireFastMutex(a) KP_WDK_AT_((ExAcquireFastMutex)(a))
#define ExReleaseFastMutex(a) KP_WDK_AT_((ExReleaseFastMutex)(a))
#define ExTryToAcquireFastMutex(a) KP_WDK_AT_((ExTryToAcquireFastMutex)(a))
#define ExAcquireFastMutexUnsafe(a) KP_WDK_AT_((ExAcquireFastMutexUnsafe)(a))
#define ExReleaseFastMutexUnsafe(a) KP_WDK_AT_((ExReleaseFastMutexUnsafe)(a))
#define KeInitializeGuardedMutex(a) KP_WDK_AT_((KeInitializeGuardedMutex)(a))
#define KeAcquireGuardedMutex(a) KP_WDK_AT_((KeAcquireGuardedMutex)(a))
#define KeReleaseGuardedMutex(a) KP_WDK_AT_((KeReleaseGuardedMutex)(a))
#define KeTryToAcquireGuardedMutex(a) KP_WDK_AT_((KeTryToAcquireGuardedMutex)(a))
#define KeAcquireGuardedMutexUnsafe(a) KP_WDK_AT_((KeAcquireGuardedMutexUnsafe)(a))
#define KeReleaseGuardedMutexUnsafe(a) KP_WDK_AT_((KeReleaseGuardedMutexUnsafe)(a))
#define KeEnterCriticalRegion() KP_WDK_AT_((KeEnterCriticalRegion)())
#define KeLeaveCriticalRegion() KP_WDK_AT_((KeLeaveCriticalRegion)())
#define KeEnterGuardedRegion() KP_WDK_AT_((KeEnterGuardedRegion)())
#define KeLeaveGuardedRegion() KP_WDK_AT_((KeLeaveGuardedRegion)())
#define ExInitializeResourceLite(a) KP_WDK_AT_((ExInitializeResourceLite)(a))
#define ExReinitializeResourceLite(a) KP_WDK_AT_((ExReinitializeResourceLite)(a))
#define ExDeleteResourceLite(a) KP_WDK_AT_((ExDeleteResourceLite)(a))
#define ExAcquireResourceExclusiveLite(a, b) KP_WDK_AT_((ExAcquireResourceExclusiveLite)(a, b))
#define ExAcquireResourceSharedLite(a, b) KP_WDK_AT_((ExAcquireResourceSharedLite)(a, b))
#define ExAcquireSharedStarveExclusive(a, b) KP_WDK_AT_((ExAcquireSharedStarveExclusive)(a, b))
#define ExAcquireSharedWaitForExclusive(a, b) KP_WDK_AT_((ExAcquireSharedWaitForExclusive)(a, b))
#define ExReleaseResourceLite(a) KP_WDK_AT_((ExReleaseResourceLite)(a))
#define ExReleaseResourceForThreadLite(a, b) KP_WDK_AT_((ExReleaseResourceForThreadLite)(a, b))
#define ExConvertExclusiveToSharedLite(a) KP_WDK_AT_((ExConvertExclusiveToSharedLite)(a))
#define ExEnterCriticalRegionAndAcquireResourceExclusive(a) KP_WDK_AT_((ExEnterCriticalRegionAndAcquireResourceExclusive)(a))
#define ExEnterCriticalRegionAndAcquireResourceShared(a) KP_WDK_AT_((ExEnterCriticalRegionAndAcquireResourceShared)(a))
#define ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(a) KP_WDK_AT_((ExEnterCriticalRegionAndAcquireSharedWaitForExclusive)(a))
#define ExReleaseResourceAndLeaveCriticalRegion(a) KP_WDK_AT_((ExReleaseResourceAndLeaveCriticalRegion)(a))
#define ExInitializePushLock(a) KP_WDK_AT_((ExInitializePushLock)(a))
#define ExAcquirePushLockExclusiveEx(a, b) KP_WDK_AT_((ExAcquirePushLockExclusiveEx)(a, b))
#define ExAcquirePushLockSharedEx(a, b) KP_WDK_AT_((ExAcquirePushLockSharedEx)(a, b))
#define ExReleasePushLockExclusiveEx(a, b) KP_WDK_AT_((ExReleasePushLockExclusiveEx)(a, b))
#define ExReleasePushLockSharedEx(a, b) KP_WDK_AT_((ExReleasePushLockSharedEx)(a, b))
#define ExReleaseRundownProtection(a) KP_WDK_AT_((ExReleaseRundownProtection)(a))
#define ExReleaseRundownProtectionEx(a, b) KP_WDK_AT_((ExReleaseRundownProtectionEx)(a, b))
#endif /* KPOOL_LOCK_CALL_SITES */

#endif /* KPOOL_WDK_KP_WDK_SYNC_H */
