/*
 * wdk_lookaside.c — the WDK SLIST and lookaside names as real exported
 * functions over kpool/slist.h and kpool/lookaside.h, each lookaside
 * routine with a site-taking twin for the call-site macros.
 *
 * No logic lives here: the functions pick the current system, convert the
 * WDK types and say where the call came from. The only extra piece is the
 * invoker: the core calls a driver's ALLOCATE_FUNCTION / FREE_FUNCTION[_EX]
 * through it, so that each routine is called with the exact C type it was
 * declared with (POOL_TYPE, PLOOKASIDE_LIST_EX), never through a cast type.
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/lookaside.h"
#include "kpool/slist.h"
#include "kpool/system.h"

// The definitions put their names in parentheses so that the call-site
// macros of kp_wdk_lookaside.h do not expand them.

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif

// A call through the real function: no file, the caller's return address.
#define WDK_SITE_CALLER() kp_site(NULL, 0, WDK_CALLER())
// A call through a macro: its file and line, and the return address too.
#include "kp_wdk_site.h"

// Allocate and free pass the site's fields straight to the core
// (kp_lookaside_alloc_site / _free_site: in registers, a tail call). A
// lookaside site has no outer caller (the core never reported one), so the
// lookaside macros do not record one and these functions leave the
// thread-local slot alone: a jump to the core, no thread-local access.

/* The WDK structures are the core's list, field for field. */
C_ASSERT(offsetof(NPAGED_LOOKASIDE_LIST, L) == 0);
C_ASSERT(offsetof(PAGED_LOOKASIDE_LIST, L) == 0);
C_ASSERT(offsetof(LOOKASIDE_LIST_EX, L) == 0);
C_ASSERT(sizeof(SLIST_HEADER) == sizeof(kp_slist_header_t));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, ListHead) == offsetof(kp_lookaside_t, list_head));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, TotalAllocates) ==
         offsetof(kp_lookaside_t, total_allocates));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, AllocateMisses) ==
         offsetof(kp_lookaside_t, allocate_misses));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, TotalFrees) == offsetof(kp_lookaside_t, total_frees));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, FreeMisses) == offsetof(kp_lookaside_t, free_misses));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Tag) == offsetof(kp_lookaside_t, tag));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Size) == offsetof(kp_lookaside_t, size));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, Free) == offsetof(kp_lookaside_t, free_routine));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, ListEntry) == offsetof(kp_lookaside_t, list_entry));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, LastTotalAllocates) ==
         offsetof(kp_lookaside_t, last_total_allocates));
C_ASSERT(offsetof(GENERAL_LOOKASIDE, LastAllocateMisses) ==
         offsetof(kp_lookaside_t, last_allocate_misses));

static kp_slist_header_t *core_head(PSLIST_HEADER h) {
  return (kp_slist_header_t *)(void *)h;
}

static kp_lookaside_t *core_list(void *general_lookaside) {
  return (kp_lookaside_t *)general_lookaside;
}

/* ---------------------------------------------------------------------------
 * SLIST
 * ------------------------------------------------------------------------- */

VOID NTAPI(InitializeSListHead)(PSLIST_HEADER SListHead) {
  kp_slist_init(core_head(SListHead));
}

PSLIST_ENTRY NTAPI(InterlockedPushEntrySList)(PSLIST_HEADER ListHead,
                                              PSLIST_ENTRY ListEntry) {
  return (PSLIST_ENTRY)(void *)kp_slist_push(
      core_head(ListHead), (kp_slist_entry_t *)(void *)ListEntry);
}

PSLIST_ENTRY NTAPI(InterlockedPopEntrySList)(PSLIST_HEADER ListHead) {
  return (PSLIST_ENTRY)(void *)kp_slist_pop(core_head(ListHead));
}

PSLIST_ENTRY NTAPI(InterlockedFlushSList)(PSLIST_HEADER ListHead) {
  return (PSLIST_ENTRY)(void *)kp_slist_flush(core_head(ListHead));
}

PSLIST_ENTRY NTAPI(ExInterlockedPushEntrySList)(PSLIST_HEADER ListHead,
                                                PSLIST_ENTRY ListEntry,
                                                PKSPIN_LOCK Lock) {
  (void)Lock; // ignored on 64-bit Windows
  return (PSLIST_ENTRY)(void *)kp_slist_push(
      core_head(ListHead), (kp_slist_entry_t *)(void *)ListEntry);
}

PSLIST_ENTRY NTAPI(ExInterlockedPopEntrySList)(PSLIST_HEADER ListHead,
                                               PKSPIN_LOCK Lock) {
  (void)Lock;
  return (PSLIST_ENTRY)(void *)kp_slist_pop(core_head(ListHead));
}

PSLIST_ENTRY NTAPI(ExInterlockedFlushSList)(PSLIST_HEADER ListHead) {
  return (PSLIST_ENTRY)(void *)kp_slist_flush(core_head(ListHead));
}

USHORT NTAPI(ExQueryDepthSList)(PSLIST_HEADER SListHead) {
  return kp_slist_depth(core_head(SListHead));
}

PSLIST_ENTRY NTAPI(FirstEntrySList)(const SLIST_HEADER *SListHead) {
  return (PSLIST_ENTRY)(void *)kp_slist_first(
      (const kp_slist_header_t *)(const void *)SListHead);
}

/* ---------------------------------------------------------------------------
 * Invokers: call the driver's routines with their own types.
 * ------------------------------------------------------------------------- */

static void *call_classic_allocate(kp_lookaside_t *list, void (*routine)(void),
                                   uint32_t pool_type, size_t size,
                                   kp_tag_t tag) {
  (void)list;
  PALLOCATE_FUNCTION fn = (PALLOCATE_FUNCTION)routine;
  return fn((POOL_TYPE)pool_type, size, tag);
}

static void call_classic_free(kp_lookaside_t *list, void (*routine)(void),
                              void *entry) {
  (void)list;
  PFREE_FUNCTION fn = (PFREE_FUNCTION)routine;
  fn(entry);
}

static void *call_ex_allocate(kp_lookaside_t *list, void (*routine)(void),
                              uint32_t pool_type, size_t size, kp_tag_t tag) {
  PALLOCATE_FUNCTION_EX fn = (PALLOCATE_FUNCTION_EX)routine;
  return fn((POOL_TYPE)pool_type, size, tag, (PLOOKASIDE_LIST_EX)(void *)list);
}

static void call_ex_free(kp_lookaside_t *list, void (*routine)(void),
                         void *entry) {
  PFREE_FUNCTION_EX fn = (PFREE_FUNCTION_EX)routine;
  fn(entry, (PLOOKASIDE_LIST_EX)(void *)list);
}

static const kp_lookaside_invoker_t classic_invoker = {call_classic_allocate,
                                                       call_classic_free};
static const kp_lookaside_invoker_t ex_invoker = {call_ex_allocate, call_ex_free};

/* ---------------------------------------------------------------------------
 * Shared bodies.
 * ------------------------------------------------------------------------- */

static void classic_init(void *list, kp_lookaside_kind_t kind,
                         PALLOCATE_FUNCTION allocate, PFREE_FUNCTION free_fn,
                         ULONG flags, SIZE_T size, ULONG tag, USHORT depth,
                         kp_site_t site) {
  kp_system_t *sys = kp_system_current();
  kp_lookaside_params_t p = {0};
  p.kind = kind;
  // Stored as the core's types; the invoker casts them back before a call.
  p.allocate = (kp_lookaside_allocate_fn)allocate;
  p.free_routine = (kp_lookaside_free_fn)free_fn;
  p.flags = flags;
  p.size = size;
  p.tag = tag;
  p.depth = depth;
  p.invoker = &classic_invoker;
  kp_status_t st = kp_lookaside_initialize(sys, core_list(list), &p, site);
  // VOID on Windows: a bad value can only be raised (kp_lookaside_init).
  if (st == KP_STATUS_INVALID_PARAMETER_4 || st == KP_STATUS_INVALID_PARAMETER_5)
    kp_raise_status(st);
}

static NTSTATUS ex_init(PLOOKASIDE_LIST_EX list, PALLOCATE_FUNCTION_EX allocate,
                        PFREE_FUNCTION_EX free_fn, POOL_TYPE pool_type,
                        ULONG flags, SIZE_T size, ULONG tag, USHORT depth,
                        kp_site_t site) {
  kp_lookaside_params_t p = {0};
  p.kind = KP_LOOKASIDE_EX;
  p.allocate_ex = (kp_lookaside_allocate_ex_fn)allocate;
  p.free_ex = (kp_lookaside_free_ex_fn)free_fn;
  p.pool_type = (uint32_t)pool_type;
  p.flags = flags;
  p.size = size;
  p.tag = tag;
  p.depth = depth;
  p.invoker = &ex_invoker;
  return kp_lookaside_initialize(kp_system_current(), core_list(list), &p,
                                 site);
}

/* ---------------------------------------------------------------------------
 * Classic non-paged lists.
 * ------------------------------------------------------------------------- */

VOID NTAPI(ExInitializeNPagedLookasideList)(PNPAGED_LOOKASIDE_LIST Lookaside,
                                            PALLOCATE_FUNCTION Allocate,
                                            PFREE_FUNCTION Free, ULONG Flags,
                                            SIZE_T Size, ULONG Tag,
                                            USHORT Depth) {
  classic_init(Lookaside, KP_LOOKASIDE_NPAGED, Allocate, Free, Flags, Size, Tag,
               Depth, WDK_SITE_CALLER());
}

VOID kp_wdk_ExInitializeNPagedLookasideList_at(
    PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth,
    const char *File, ULONG Line) {
  classic_init(Lookaside, KP_LOOKASIDE_NPAGED, Allocate, Free, Flags, Size, Tag,
               Depth, WDK_SITE_AT(File, Line));
}

VOID NTAPI(ExDeleteNPagedLookasideList)(PNPAGED_LOOKASIDE_LIST Lookaside) {
  kp_lookaside_delete(kp_system_current(), core_list(Lookaside),
                      WDK_SITE_CALLER());
}

VOID kp_wdk_ExDeleteNPagedLookasideList_at(PNPAGED_LOOKASIDE_LIST Lookaside,
                                           const char *File, ULONG Line) {
  kp_lookaside_delete(kp_system_current(), core_list(Lookaside),
                      WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocateFromNPagedLookasideList)(PNPAGED_LOOKASIDE_LIST Lookaside) {
  return kp_lookaside_alloc_site(core_list(Lookaside), NULL, 0, WDK_CALLER());
}

PVOID kp_wdk_ExAllocateFromNPagedLookasideList_at(
    PNPAGED_LOOKASIDE_LIST Lookaside, const char *File, ULONG Line) {
  return kp_lookaside_alloc_site(core_list(Lookaside), File, Line, WDK_CALLER());
}

VOID NTAPI(ExFreeToNPagedLookasideList)(PNPAGED_LOOKASIDE_LIST Lookaside,
                                        PVOID Entry) {
  kp_lookaside_free_site(core_list(Lookaside), Entry, NULL, 0, WDK_CALLER());
}

VOID kp_wdk_ExFreeToNPagedLookasideList_at(PNPAGED_LOOKASIDE_LIST Lookaside,
                                           PVOID Entry, const char *File,
                                           ULONG Line) {
  kp_lookaside_free_site(core_list(Lookaside), Entry, File, Line, WDK_CALLER());
}

/* ---------------------------------------------------------------------------
 * Classic paged lists.
 * ------------------------------------------------------------------------- */

VOID NTAPI(ExInitializePagedLookasideList)(PPAGED_LOOKASIDE_LIST Lookaside,
                                           PALLOCATE_FUNCTION Allocate,
                                           PFREE_FUNCTION Free, ULONG Flags,
                                           SIZE_T Size, ULONG Tag,
                                           USHORT Depth) {
  classic_init(Lookaside, KP_LOOKASIDE_PAGED, Allocate, Free, Flags, Size, Tag,
               Depth, WDK_SITE_CALLER());
}

VOID kp_wdk_ExInitializePagedLookasideList_at(
    PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth,
    const char *File, ULONG Line) {
  classic_init(Lookaside, KP_LOOKASIDE_PAGED, Allocate, Free, Flags, Size, Tag,
               Depth, WDK_SITE_AT(File, Line));
}

VOID NTAPI(ExDeletePagedLookasideList)(PPAGED_LOOKASIDE_LIST Lookaside) {
  kp_lookaside_delete(kp_system_current(), core_list(Lookaside),
                      WDK_SITE_CALLER());
}

VOID kp_wdk_ExDeletePagedLookasideList_at(PPAGED_LOOKASIDE_LIST Lookaside,
                                          const char *File, ULONG Line) {
  kp_lookaside_delete(kp_system_current(), core_list(Lookaside),
                      WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocateFromPagedLookasideList)(PPAGED_LOOKASIDE_LIST Lookaside) {
  return kp_lookaside_alloc_site(core_list(Lookaside), NULL, 0, WDK_CALLER());
}

PVOID kp_wdk_ExAllocateFromPagedLookasideList_at(
    PPAGED_LOOKASIDE_LIST Lookaside, const char *File, ULONG Line) {
  return kp_lookaside_alloc_site(core_list(Lookaside), File, Line, WDK_CALLER());
}

VOID NTAPI(ExFreeToPagedLookasideList)(PPAGED_LOOKASIDE_LIST Lookaside,
                                       PVOID Entry) {
  kp_lookaside_free_site(core_list(Lookaside), Entry, NULL, 0, WDK_CALLER());
}

VOID kp_wdk_ExFreeToPagedLookasideList_at(PPAGED_LOOKASIDE_LIST Lookaside,
                                          PVOID Entry, const char *File,
                                          ULONG Line) {
  kp_lookaside_free_site(core_list(Lookaside), Entry, File, Line, WDK_CALLER());
}

/* ---------------------------------------------------------------------------
 * Ex lists.
 * ------------------------------------------------------------------------- */

NTSTATUS NTAPI(ExInitializeLookasideListEx)(PLOOKASIDE_LIST_EX Lookaside,
                                            PALLOCATE_FUNCTION_EX Allocate,
                                            PFREE_FUNCTION_EX Free,
                                            POOL_TYPE PoolType, ULONG Flags,
                                            SIZE_T Size, ULONG Tag,
                                            USHORT Depth) {
  return ex_init(Lookaside, Allocate, Free, PoolType, Flags, Size, Tag, Depth,
                 WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_ExInitializeLookasideListEx_at(
    PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
    PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size,
    ULONG Tag, USHORT Depth, const char *File, ULONG Line) {
  return ex_init(Lookaside, Allocate, Free, PoolType, Flags, Size, Tag, Depth,
                 WDK_SITE_AT(File, Line));
}

VOID NTAPI(ExDeleteLookasideListEx)(PLOOKASIDE_LIST_EX Lookaside) {
  kp_lookaside_delete(kp_system_current(), core_list(Lookaside),
                      WDK_SITE_CALLER());
}

VOID kp_wdk_ExDeleteLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                       const char *File, ULONG Line) {
  kp_lookaside_delete(kp_system_current(), core_list(Lookaside),
                      WDK_SITE_AT(File, Line));
}

VOID NTAPI(ExFlushLookasideListEx)(PLOOKASIDE_LIST_EX Lookaside) {
  kp_lookaside_flush(kp_system_current(), core_list(Lookaside),
                     WDK_SITE_CALLER());
}

VOID kp_wdk_ExFlushLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                      const char *File, ULONG Line) {
  kp_lookaside_flush(kp_system_current(), core_list(Lookaside),
                     WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocateFromLookasideListEx)(PLOOKASIDE_LIST_EX Lookaside) {
  return kp_lookaside_alloc_site(core_list(Lookaside), NULL, 0, WDK_CALLER());
}

PVOID kp_wdk_ExAllocateFromLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                              const char *File, ULONG Line) {
  return kp_lookaside_alloc_site(core_list(Lookaside), File, Line, WDK_CALLER());
}

VOID NTAPI(ExFreeToLookasideListEx)(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry) {
  kp_lookaside_free_site(core_list(Lookaside), Entry, NULL, 0, WDK_CALLER());
}

VOID kp_wdk_ExFreeToLookasideListEx_at(PLOOKASIDE_LIST_EX Lookaside,
                                       PVOID Entry, const char *File,
                                       ULONG Line) {
  kp_lookaside_free_site(core_list(Lookaside), Entry, File, Line, WDK_CALLER());
}
