/**
 * @file kpool/wdk/ntifs.h
 * @brief kpool's <ntifs.h>: everything in <ntddk.h> plus
 *        ExQueryPoolBlockSize.
 *
 * See wdm.h for what the WDK face is and the choices it makes.
 */
#ifndef KPOOL_WDK_NTIFS_H
#define KPOOL_WDK_NTIFS_H

#include "ntddk.h"
#include "kp_wdk_ps_ifs.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ExQueryPoolBlockSize (obsolete, undocumented on Windows): kp_block_size().
 * Returns the usable size of the block that starts at @p PoolBlock (the
 * request rounded up to 16 bytes below a page, to whole pages from a page
 * up) and sets *@p QuotaCharged to whether the allocation charged quota
 * (POOL_FLAG_USE_QUOTA or a quota allocator). For an address that is not
 * the start of a live block it returns 0 and sets *@p QuotaCharged to
 * FALSE (kpool's choice: no bug check). @p QuotaCharged may be NULL.
 * IRQL <= DISPATCH_LEVEL. Thread-safe.
 */
NTKERNELAPI SIZE_T NTAPI ExQueryPoolBlockSize(PVOID PoolBlock,
                                              PBOOLEAN QuotaCharged);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_NTIFS_H */
