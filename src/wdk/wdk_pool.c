/*
 * wdk_pool.c — the WDK allocation names (ExAllocatePool2, the legacy
 * ExAllocatePool* family, ExFreePool[WithTag], ExQueryPoolBlockSize) as
 * real exported functions over kpool/pool.h, each with a site-taking twin
 * for the call-site macros; plus ExInitializeDriverRuntime and its globals.
 *
 * No logic lives here: every rule (flags, tags, IRQL, bug checks) is the
 * core's. These functions only pick the current system, convert the WDK
 * types and say where the call came from.
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/pool.h"
#include "kpool/system.h"

// The real functions below carry the same names as the call-site macros;
// each definition puts its name in parentheses so that no macro (wdm.h's
// call-site macros, ntddk.h's ExFreePool) can expand it.

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif

// A call through the real function: no file, the caller's return address.
#define WDK_SITE_CALLER() kp_site(NULL, 0, WDK_CALLER())
// A call through a macro: its file and line, and the return address too.
#include "kp_wdk_site.h"

#if defined(__GNUC__) || defined(__clang__)
/* Set by the allocation macros (wdm.h), taken by WDK_SITE_AT. */
__thread const void *kp_wdk_outer_caller;
#endif

BOOLEAN ExPoolZeroingNativelySupported = FALSE;
POOL_TYPE ExDefaultNonPagedPoolType = NonPagedPoolExecute;

VOID ExInitializeDriverRuntime(ULONG RuntimeFlags) {
  // The simulated kernel is Windows 10 2004 or later: zeroing is native and
  // NX non-paged pool exists.
  ExPoolZeroingNativelySupported = TRUE;
  if ((RuntimeFlags & DrvRtPoolNxOptIn) != 0) {
    ExDefaultNonPagedPoolType = NonPagedPoolNx;
  }
}

/* ---------------------------------------------------------------------------
 * Shared bodies. Each takes the site already built by its caller.
 * ------------------------------------------------------------------------- */

static PVOID legacy_alloc(kp_alloc_api_t api, POOL_TYPE type, SIZE_T size,
                          ULONG tag, EX_POOL_PRIORITY priority,
                          kp_site_t site) {
  // POOL_TYPE is a signed enum; its value with modifier bits is what the
  // core reads, so convert bit for bit.
  return kp_alloc_legacy(kp_system_current(), api, (uint32_t)type, size, tag,
                         (kp_priority_t)priority, site);
}

/* ---------------------------------------------------------------------------
 * ExAllocatePool2
 * ------------------------------------------------------------------------- */

PVOID NTAPI(ExAllocatePool2)(POOL_FLAGS Flags, SIZE_T NumberOfBytes,
                             ULONG Tag) {
  return kp_alloc2(kp_system_current(), Flags, NumberOfBytes, Tag,
                   WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePool2_at(POOL_FLAGS Flags, SIZE_T NumberOfBytes,
                                ULONG Tag, const char *File, ULONG Line) {
  // The site by address: passed by value, it was built, then copied with
  // wide loads that stalled on the narrow stores that built it.
  kp_site_t site = WDK_SITE_AT(File, Line);
  return kp_alloc2_at(kp_system_current(), Flags, NumberOfBytes, Tag, &site);
}

/* ---------------------------------------------------------------------------
 * Legacy allocators
 * ------------------------------------------------------------------------- */

PVOID NTAPI(ExAllocatePool)(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
  return legacy_alloc(KP_API_ALLOCATE_POOL, PoolType, NumberOfBytes,
                      KP_TAG_NONE, NormalPoolPriority, WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePool_at(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                               const char *File, ULONG Line) {
  return legacy_alloc(KP_API_ALLOCATE_POOL, PoolType, NumberOfBytes,
                      KP_TAG_NONE, NormalPoolPriority,
                      WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocatePoolWithTag)(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                   ULONG Tag) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_WITH_TAG, PoolType, NumberOfBytes,
                      Tag, NormalPoolPriority, WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePoolWithTag_at(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                      ULONG Tag, const char *File,
                                      ULONG Line) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_WITH_TAG, PoolType, NumberOfBytes,
                      Tag, NormalPoolPriority, WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocatePoolWithQuota)(POOL_TYPE PoolType,
                                     SIZE_T NumberOfBytes) {
  // The untagged quota allocator is recorded under "None", as ExAllocatePool.
  return legacy_alloc(KP_API_ALLOCATE_POOL_WITH_QUOTA, PoolType, NumberOfBytes,
                      KP_TAG_NONE, NormalPoolPriority, WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePoolWithQuota_at(POOL_TYPE PoolType,
                                        SIZE_T NumberOfBytes, const char *File,
                                        ULONG Line) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_WITH_QUOTA, PoolType, NumberOfBytes,
                      KP_TAG_NONE, NormalPoolPriority,
                      WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocatePoolWithQuotaTag)(POOL_TYPE PoolType,
                                        SIZE_T NumberOfBytes, ULONG Tag) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_QUOTA, PoolType, NumberOfBytes,
                      Tag, NormalPoolPriority, WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePoolWithQuotaTag_at(POOL_TYPE PoolType,
                                           SIZE_T NumberOfBytes, ULONG Tag,
                                           const char *File, ULONG Line) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_QUOTA, PoolType, NumberOfBytes,
                      Tag, NormalPoolPriority, WDK_SITE_AT(File, Line));
}

PVOID NTAPI(ExAllocatePoolWithTagPriority)(POOL_TYPE PoolType,
                                           SIZE_T NumberOfBytes, ULONG Tag,
                                           EX_POOL_PRIORITY Priority) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_PRIORITY, PoolType, NumberOfBytes,
                      Tag, Priority, WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePoolWithTagPriority_at(POOL_TYPE PoolType,
                                              SIZE_T NumberOfBytes, ULONG Tag,
                                              EX_POOL_PRIORITY Priority,
                                              const char *File, ULONG Line) {
  return legacy_alloc(KP_API_ALLOCATE_POOL_PRIORITY, PoolType, NumberOfBytes,
                      Tag, Priority, WDK_SITE_AT(File, Line));
}

/* ---------------------------------------------------------------------------
 * Free and query
 * ------------------------------------------------------------------------- */

VOID(ExFreePoolWithTag)(PVOID P, ULONG Tag) {
  kp_free(kp_system_current(), P, Tag, WDK_SITE_CALLER());
}

VOID kp_wdk_ExFreePoolWithTag_at(PVOID P, ULONG Tag, const char *File,
                                 ULONG Line) {
  kp_site_t site = WDK_SITE_AT(File, Line);
  kp_free_at(kp_system_current(), P, Tag, &site);
}

VOID NTAPI(ExFreePool)(PVOID P) {
  // Tag 0: no tag check, exactly what ntddk.h's ExFreePool macro does.
  kp_free(kp_system_current(), P, 0, WDK_SITE_CALLER());
}

VOID kp_wdk_ExFreePool_at(PVOID P, const char *File, ULONG Line) {
  kp_free(kp_system_current(), P, 0, WDK_SITE_AT(File, Line));
}

SIZE_T NTAPI(ExQueryPoolBlockSize)(PVOID PoolBlock, PBOOLEAN QuotaCharged) {
  bool quota = false;
  size_t size = kp_block_size(kp_system_current(), PoolBlock, &quota);
  if (QuotaCharged != NULL) {
    *QuotaCharged = quota ? TRUE : FALSE;
  }
  return size;
}
