/**
 * @file kpool/wdk/kp_wdk_lookaside.h
 * @brief WDK face: SLIST_HEADER / SLIST_ENTRY and the interlocked SLIST
 *        routines, GENERAL_LOOKASIDE and the lookaside lists (classic
 *        non-paged and paged, and LOOKASIDE_LIST_EX).
 *
 * Included by wdm.h near its end, after the basic types, POOL_TYPE and
 * POOL_FLAGS; including it directly includes wdm.h first.
 *
 * Every routine is a real exported function with the WDK signature that
 * maps onto the core (kpool/slist.h, kpool/lookaside.h) on the current
 * system (kp_system_current()). The lookaside routines are also, unless
 * KPOOL_NO_CALL_SITES is defined, function-like macros that pass
 * __FILE__ / __LINE__ to a `kp_wdk_<Name>_at` twin: the site shows up as
 * the init site in the 0xC7 unload report, as the allocation site of the
 * entries the default allocator makes, and as the free site of a cached
 * entry in a "modified while cached" report. The SLIST routines record
 * nothing and have no macro.
 *
 * Layouts are those of 64-bit Windows (x64 and arm64) and are checked at
 * compile time below: SLIST_HEADER 16 bytes aligned 16, GENERAL_LOOKASIDE
 * 0x80 bytes aligned 64, GENERAL_LOOKASIDE_POOL and LOOKASIDE_LIST_EX 0x60
 * bytes, NPAGED_LOOKASIDE_LIST and PAGED_LOOKASIDE_LIST 0x80 (the x86-only
 * lock members do not exist on 64-bit Windows). 32-bit hosts are not
 * supported by this header.
 *
 * Behaviour, counters, the adaptive depth, the bug checks and the
 * statuses are the core's: read kpool/lookaside.h and kpool/slist.h. In
 * short: allocate counts TotalAllocates and, on a miss, AllocateMisses
 * before calling Allocate(Ex); free counts TotalFrees and pushes while
 * ExQueryDepthSList(&ListHead) < Depth, else counts FreeMisses and calls
 * Free(Ex); new lists have Depth 4 and MaximumDepth 256 and the Depth
 * argument is ignored; the balance set manager re-scores each list every
 * 3 simulated seconds (kp_clock_advance()).
 *
 * Custom routines are called with the WDK types they were declared with:
 * Allocate(Type, Size, Tag) / Free(Buffer) for the classic lists,
 * AllocateEx(Type, Size, Tag, Lookaside) / FreeEx(Buffer, Lookaside) for
 * LOOKASIDE_LIST_EX, where Type carries the flag bits the list adds
 * (POOL_RAISE_IF_ALLOCATION_FAILURE, POOL_NX_ALLOCATION,
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE).
 */
#ifndef KPOOL_WDK_KP_WDK_LOOKASIDE_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_LOOKASIDE_H
#define KPOOL_WDK_KP_WDK_LOOKASIDE_H

#include "../lookaside.h"
#include "../slist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * SLIST (facts §4)
 * ========================================================================= */

/** An SLIST entry: one link, 16-byte aligned (so 16 bytes) on Win64. */
typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
  struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

/**
 * The head of an SLIST: 16 bytes, aligned 16. Alignment holds Depth and
 * Sequence, Region the first entry; HeaderX64 names the bits (NextEntry is
 * the entry's address shifted right by 4).
 */
typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
  KP_WDK_ANONYMOUS_ struct {
    ULONGLONG Alignment;
    ULONGLONG Region;
  };
  KP_WDK_ANONYMOUS_ struct {
    ULONGLONG Depth : 16;
    ULONGLONG Sequence : 48;
    ULONGLONG Reserved : 4;
    ULONGLONG NextEntry : 60;
  } HeaderX64;
} SLIST_HEADER, *PSLIST_HEADER;

/**
 * InitializeSListHead: an empty list (all zero).
 * @raise STATUS_DATATYPE_MISALIGNMENT when @p SListHead is not 16-byte
 *        aligned, as the user-mode inline does on Win64.
 */
NTKERNELAPI VOID NTAPI InitializeSListHead(PSLIST_HEADER SListHead);
/** ExInitializeSListHead is InitializeSListHead, as in the WDK. */
#define ExInitializeSListHead InitializeSListHead

/** InterlockedPushEntrySList: returns the previous first entry (or NULL).
 *  @raise STATUS_DATATYPE_MISALIGNMENT for an entry not 16-byte aligned. */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPushEntrySList(
    PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry);
/** InterlockedPopEntrySList: returns the removed first entry, or NULL. */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPopEntrySList(PSLIST_HEADER ListHead);
/** InterlockedFlushSList: empties the list; returns the old first entry
 *  (still linked to the others), or NULL. */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedFlushSList(PSLIST_HEADER ListHead);

/** ExInterlockedPushEntrySList: InterlockedPushEntrySList; @p Lock is
 *  ignored, as on every 64-bit Windows. */
NTKERNELAPI PSLIST_ENTRY NTAPI ExInterlockedPushEntrySList(
    PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
/** ExInterlockedPopEntrySList: InterlockedPopEntrySList; @p Lock ignored. */
NTKERNELAPI PSLIST_ENTRY NTAPI ExInterlockedPopEntrySList(
    PSLIST_HEADER ListHead, PKSPIN_LOCK Lock);
/** ExInterlockedFlushSList: InterlockedFlushSList. */
NTKERNELAPI PSLIST_ENTRY NTAPI ExInterlockedFlushSList(PSLIST_HEADER ListHead);
/* On x64 the WDK makes these three macros over the lock-free routines
 * (facts §1.3); the exported functions above stay reachable as
 * `(ExInterlockedPopEntrySList)(...)` or through their address. A driver's
 * own prototype of one of them expands to a matching redeclaration of the
 * lock-free routine, as with the WDK. */
#define ExInterlockedPushEntrySList(ListHead, ListEntry, Lock)                 \
  InterlockedPushEntrySList(ListHead, ListEntry)
#define ExInterlockedPopEntrySList(ListHead, Lock) InterlockedPopEntrySList(ListHead)
#define ExInterlockedFlushSList(ListHead) InterlockedFlushSList(ListHead)

/** ExQueryDepthSList: the number of entries (the 16-bit Depth). */
NTKERNELAPI USHORT NTAPI ExQueryDepthSList(PSLIST_HEADER SListHead);
/** QueryDepthSList is ExQueryDepthSList, as in the WDK. */
#define QueryDepthSList(Head) ExQueryDepthSList(Head)
/** FirstEntrySList: the first entry without removing it (not atomic with
 *  respect to other operations, as documented). */
NTKERNELAPI PSLIST_ENTRY NTAPI FirstEntrySList(const SLIST_HEADER *SListHead);

/* ===========================================================================
 * Lookaside lists (facts §3)
 * ========================================================================= */

/** The bytes through SLIST_ENTRY.Next: the smallest entry a list takes. */
#define LOOKASIDE_MINIMUM_BLOCK_SIZE (RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next))
/** ExInitializeLookasideListEx flags. */
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002UL
/** Base and upper limit of MaximumDepth. */
#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024

typedef struct _LOOKASIDE_LIST_EX *PLOOKASIDE_LIST_EX;

/** A classic list's allocate routine. */
typedef PVOID NTAPI ALLOCATE_FUNCTION(POOL_TYPE PoolType,
                                      SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
/** A classic list's free routine. */
typedef VOID NTAPI FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
/** An Ex list's allocate routine. */
typedef PVOID NTAPI ALLOCATE_FUNCTION_EX(POOL_TYPE PoolType,
                                         SIZE_T NumberOfBytes, ULONG Tag,
                                         PLOOKASIDE_LIST_EX Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
/** An Ex list's free routine. */
typedef VOID NTAPI FREE_FUNCTION_EX(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/* The members of GENERAL_LOOKASIDE and GENERAL_LOOKASIDE_POOL (the WDK's
 * GENERAL_LOOKASIDE_LAYOUT), x64 offsets in the comments. */
#define KP_WDK_GENERAL_LOOKASIDE_LAYOUT_                                       \
  union {                                                                      \
    SLIST_HEADER ListHead;            /* 0x00 */                               \
    SINGLE_LIST_ENTRY SingleListHead;                                          \
  };                                                                           \
  USHORT Depth;                       /* 0x10 */                               \
  USHORT MaximumDepth;                /* 0x12 */                               \
  ULONG TotalAllocates;               /* 0x14 */                               \
  union {                                                                      \
    ULONG AllocateMisses;             /* 0x18 */                               \
    ULONG AllocateHits;                                                        \
  };                                                                           \
  ULONG TotalFrees;                   /* 0x1C */                               \
  union {                                                                      \
    ULONG FreeMisses;                 /* 0x20 */                               \
    ULONG FreeHits;                                                            \
  };                                                                           \
  POOL_TYPE Type;                     /* 0x24 */                               \
  ULONG Tag;                          /* 0x28 */                               \
  ULONG Size;                         /* 0x2C */                               \
  union {                                                                      \
    PALLOCATE_FUNCTION_EX AllocateEx; /* 0x30 */                               \
    PALLOCATE_FUNCTION Allocate;                                               \
  };                                                                           \
  union {                                                                      \
    PFREE_FUNCTION_EX FreeEx;         /* 0x38 */                               \
    PFREE_FUNCTION Free;                                                       \
  };                                                                           \
  LIST_ENTRY ListEntry;               /* 0x40 */                               \
  ULONG LastTotalAllocates;           /* 0x50 */                               \
  union {                                                                      \
    ULONG LastAllocateMisses;         /* 0x54 */                               \
    ULONG LastAllocateHits;                                                    \
  };                                                                           \
  ULONG Future[2]                     /* 0x58 */

/** GENERAL_LOOKASIDE: the list state, cache aligned (0x80 bytes). Depth is
 *  the most entries the list keeps; the counters are described in
 *  kpool/lookaside.h. */
typedef struct DECLSPEC_CACHEALIGN _GENERAL_LOOKASIDE {
  KP_WDK_GENERAL_LOOKASIDE_LAYOUT_;
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

/** GENERAL_LOOKASIDE_POOL: the same members, naturally aligned (0x60). */
typedef struct _GENERAL_LOOKASIDE_POOL {
  KP_WDK_GENERAL_LOOKASIDE_LAYOUT_;
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

/** A classic non-paged lookaside list (ExInitializeNPagedLookasideList). */
typedef struct DECLSPEC_CACHEALIGN _NPAGED_LOOKASIDE_LIST {
  GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

/** A classic paged lookaside list (ExInitializePagedLookasideList). */
typedef struct DECLSPEC_CACHEALIGN _PAGED_LOOKASIDE_LIST {
  GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

/** An Ex lookaside list (ExInitializeLookasideListEx); not cache aligned,
 *  so it can sit inside another structure (16-byte alignment needed). */
typedef struct _LOOKASIDE_LIST_EX {
  GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX;

/* ---------------------------------------------------------------------------
 * Classic lists.
 * ------------------------------------------------------------------------- */

/**
 * ExInitializeNPagedLookasideList (<= DISPATCH_LEVEL): kp_lookaside_init()
 * with KP_LOOKASIDE_NPAGED. Type = NonPagedPool | @p Flags; Depth 4,
 * MaximumDepth 256; @p Depth ignored; NULL routines mean
 * ExAllocatePoolWithTag / ExFreePool.
 * @raise STATUS_INVALID_PARAMETER_4 for a flag other than
 *        POOL_RAISE_IF_ALLOCATION_FAILURE / POOL_NX_ALLOCATION.
 * @bugcheck 0xC4/0xCA re-initialising an active list, 0xC4/0xCD
 *           @p Size < LOOKASIDE_MINIMUM_BLOCK_SIZE.
 */
NTKERNELAPI VOID NTAPI ExInitializeNPagedLookasideList(
    PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth);
/** ExDeleteNPagedLookasideList: frees the cached entries, unregisters the
 *  list. @bugcheck 0xC4/0xCB for a list not initialised. */
NTKERNELAPI VOID NTAPI ExDeleteNPagedLookasideList(
    PNPAGED_LOOKASIDE_LIST Lookaside);
/** ExAllocateFromNPagedLookasideList: a cached entry, or Allocate's. */
NTKERNELAPI PVOID NTAPI ExAllocateFromNPagedLookasideList(
    PNPAGED_LOOKASIDE_LIST Lookaside);
/** ExFreeToNPagedLookasideList: cache @p Entry while below Depth, else
 *  Free it. */
NTKERNELAPI VOID NTAPI ExFreeToNPagedLookasideList(
    PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

/**
 * ExInitializePagedLookasideList (<= APC_LEVEL): as the non-paged form with
 * Type = PagedPool | @p Flags (POOL_RAISE_IF_ALLOCATION_FAILURE; NX is
 * accepted and has no effect). Every paged-list routine bug checks above
 * APC_LEVEL (see kpool/lookaside.h).
 */
NTKERNELAPI VOID NTAPI ExInitializePagedLookasideList(
    PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth);
/** ExDeletePagedLookasideList. */
NTKERNELAPI VOID NTAPI ExDeletePagedLookasideList(
    PPAGED_LOOKASIDE_LIST Lookaside);
/** ExAllocateFromPagedLookasideList. */
NTKERNELAPI PVOID NTAPI ExAllocateFromPagedLookasideList(
    PPAGED_LOOKASIDE_LIST Lookaside);
/** ExFreeToPagedLookasideList. */
NTKERNELAPI VOID NTAPI ExFreeToPagedLookasideList(
    PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

/* ---------------------------------------------------------------------------
 * Ex lists.
 * ------------------------------------------------------------------------- */

/**
 * ExInitializeLookasideListEx (<= DISPATCH_LEVEL): kp_lookaside_init_ex().
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_4 when @p PoolType is
 *         not a valid pool type; STATUS_INVALID_PARAMETER_5 when @p Flags
 *         is not 0, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL or
 *         EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE (the latter needs an
 *         @p Allocate routine); STATUS_INVALID_PARAMETER_6 for a Size that
 *         does not fit a ULONG.
 * @bugcheck 0xC4/0xCA, 0xC4/0xCD as the classic initialisers.
 */
NTKERNELAPI NTSTATUS NTAPI ExInitializeLookasideListEx(
    PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
    PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size,
    ULONG Tag, USHORT Depth);
/** ExDeleteLookasideListEx: frees the cached entries, unregisters the list.
 *  @bugcheck 0xC4/0xCB for a list not initialised. */
NTKERNELAPI VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
/** ExFlushLookasideListEx: frees every cached entry through FreeEx. */
NTKERNELAPI VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
/** ExAllocateFromLookasideListEx: a cached entry, or AllocateEx's. */
NTKERNELAPI PVOID NTAPI ExAllocateFromLookasideListEx(
    PLOOKASIDE_LIST_EX Lookaside);
/** ExFreeToLookasideListEx: cache @p Entry while below Depth, else FreeEx
 *  it. */
NTKERNELAPI VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside,
                                               PVOID Entry);

/* Site-taking twins the call-site macros use; same behaviour. */
KP_API VOID kp_wdk_ExInitializeNPagedLookasideList_at(
    PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth,
    const char *File, ULONG Line);
KP_API VOID kp_wdk_ExDeleteNPagedLookasideList_at(
    PNPAGED_LOOKASIDE_LIST Lookaside, const char *File, ULONG Line);
KP_API PVOID kp_wdk_ExAllocateFromNPagedLookasideList_at(
    PNPAGED_LOOKASIDE_LIST Lookaside, const char *File, ULONG Line);
KP_API VOID kp_wdk_ExFreeToNPagedLookasideList_at(
    PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry, const char *File,
    ULONG Line);
KP_API VOID kp_wdk_ExInitializePagedLookasideList_at(
    PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth,
    const char *File, ULONG Line);
KP_API VOID kp_wdk_ExDeletePagedLookasideList_at(
    PPAGED_LOOKASIDE_LIST Lookaside, const char *File, ULONG Line);
KP_API PVOID kp_wdk_ExAllocateFromPagedLookasideList_at(
    PPAGED_LOOKASIDE_LIST Lookaside, const char *File, ULONG Line);
KP_API VOID kp_wdk_ExFreeToPagedLookasideList_at(
    PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry, const char *File,
    ULONG Line);
KP_API NTSTATUS kp_wdk_ExInitializeLookasideListEx_at(
    PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
    PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size,
    ULONG Tag, USHORT Depth, const char *File, ULONG Line);
KP_API VOID kp_wdk_ExDeleteLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                              const char *File, ULONG Line);
KP_API VOID kp_wdk_ExFlushLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                             const char *File, ULONG Line);
KP_API PVOID kp_wdk_ExAllocateFromLookasideListEx_at(
    PLOOKASIDE_LIST_EX Lookaside, const char *File, ULONG Line);
KP_API VOID kp_wdk_ExFreeToLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                              PVOID Entry, const char *File,
                                              ULONG Line);

#ifdef __cplusplus
}
#endif

/* ---------------------------------------------------------------------------
 * Layout checks (facts §3.2, §4).
 * ------------------------------------------------------------------------- */
#ifdef __cplusplus
#define KP_WDK_ALIGNOF_(type) alignof(type)
#else
#define KP_WDK_ALIGNOF_(type) _Alignof(type)
#endif
C_ASSERT(sizeof(SLIST_ENTRY) == 16);
C_ASSERT(sizeof(SLIST_HEADER) == 16);
C_ASSERT(KP_WDK_ALIGNOF_(SLIST_HEADER) == 16);
C_ASSERT(LOOKASIDE_MINIMUM_BLOCK_SIZE == KP_LOOKASIDE_MINIMUM_BLOCK_SIZE);
C_ASSERT(sizeof(GENERAL_LOOKASIDE) == 0x80);
C_ASSERT(KP_WDK_ALIGNOF_(GENERAL_LOOKASIDE) == 64);
C_ASSERT(KP_WDK_ALIGNOF_(LOOKASIDE_LIST_EX) == 16);
C_ASSERT(sizeof(GENERAL_LOOKASIDE_POOL) == 0x60);
C_ASSERT(sizeof(LOOKASIDE_LIST_EX) == 0x60);
C_ASSERT(sizeof(NPAGED_LOOKASIDE_LIST) == 0x80);
C_ASSERT(sizeof(PAGED_LOOKASIDE_LIST) == 0x80);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Depth) == 0x10);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, MaximumDepth) == 0x12);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, TotalAllocates) == 0x14);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, AllocateMisses) == 0x18);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, TotalFrees) == 0x1C);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, FreeMisses) == 0x20);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Type) == 0x24);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Tag) == 0x28);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Size) == 0x2C);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, AllocateEx) == 0x30);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, FreeEx) == 0x38);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, ListEntry) == 0x40);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, LastTotalAllocates) == 0x50);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, LastAllocateMisses) == 0x54);
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Future) == 0x58);
/* The core's view of the same memory. */
C_ASSERT(sizeof(kp_lookaside_t) == sizeof(GENERAL_LOOKASIDE_POOL));
C_ASSERT(offsetof(kp_lookaside_t, depth) == offsetof(GENERAL_LOOKASIDE_POOL, Depth));
C_ASSERT(offsetof(kp_lookaside_t, type) == offsetof(GENERAL_LOOKASIDE_POOL, Type));
C_ASSERT(offsetof(kp_lookaside_t, allocate_routine) ==
         offsetof(GENERAL_LOOKASIDE_POOL, Allocate));
C_ASSERT(offsetof(kp_lookaside_t, future) == offsetof(GENERAL_LOOKASIDE_POOL, Future));
C_ASSERT(sizeof(POOL_TYPE) == sizeof(uint32_t));

/* ===========================================================================
 * Call-site macros (see wdm.h): function-like, so the bare names still
 * denote the exported functions.
 * ========================================================================= */
#if !defined(KPOOL_NO_CALL_SITES)
#define ExInitializeNPagedLookasideList(Lookaside, Allocate, Free, Flags,      \
                                        Size, Tag, Depth)                      \
  kp_wdk_ExInitializeNPagedLookasideList_at((Lookaside), (Allocate), (Free),   \
                                            (Flags), (Size), (Tag), (Depth),   \
                                            __FILE__, __LINE__)
#define ExDeleteNPagedLookasideList(Lookaside)                                 \
  kp_wdk_ExDeleteNPagedLookasideList_at((Lookaside), __FILE__, __LINE__)
#define ExAllocateFromNPagedLookasideList(Lookaside) \
  kp_wdk_ExAllocateFromNPagedLookasideList_at((Lookaside), __FILE__, __LINE__)
#define ExFreeToNPagedLookasideList(Lookaside, Entry)                          \
  kp_wdk_ExFreeToNPagedLookasideList_at((Lookaside), (Entry), __FILE__,        \
                                        __LINE__)
#define ExInitializePagedLookasideList(Lookaside, Allocate, Free, Flags, Size, \
                                       Tag, Depth)                             \
  kp_wdk_ExInitializePagedLookasideList_at((Lookaside), (Allocate), (Free),    \
                                           (Flags), (Size), (Tag), (Depth),    \
                                           __FILE__, __LINE__)
#define ExDeletePagedLookasideList(Lookaside)                                  \
  kp_wdk_ExDeletePagedLookasideList_at((Lookaside), __FILE__, __LINE__)
#define ExAllocateFromPagedLookasideList(Lookaside) \
  kp_wdk_ExAllocateFromPagedLookasideList_at((Lookaside), __FILE__, __LINE__)
#define ExFreeToPagedLookasideList(Lookaside, Entry)                           \
  kp_wdk_ExFreeToPagedLookasideList_at((Lookaside), (Entry), __FILE__,         \
                                       __LINE__)
#define ExInitializeLookasideListEx(Lookaside, Allocate, Free, PoolType,       \
                                    Flags, Size, Tag, Depth)                   \
  kp_wdk_ExInitializeLookasideListEx_at((Lookaside), (Allocate), (Free),       \
                                        (PoolType), (Flags), (Size), (Tag),    \
                                        (Depth), __FILE__, __LINE__)
#define ExDeleteLookasideListEx(Lookaside)                                     \
  kp_wdk_ExDeleteLookasideListEx_at((Lookaside), __FILE__, __LINE__)
#define ExFlushLookasideListEx(Lookaside)                                      \
  kp_wdk_ExFlushLookasideListEx_at((Lookaside), __FILE__, __LINE__)
#define ExAllocateFromLookasideListEx(Lookaside) \
  kp_wdk_ExAllocateFromLookasideListEx_at((Lookaside), __FILE__, __LINE__)
#define ExFreeToLookasideListEx(Lookaside, Entry)                              \
  kp_wdk_ExFreeToLookasideListEx_at((Lookaside), (Entry), __FILE__, __LINE__)
#endif /* !KPOOL_NO_CALL_SITES */

#endif /* KPOOL_WDK_KP_WDK_LOOKASIDE_H */
