/**
 * @file kpool/wdk/ntddk.h
 * @brief kpool's <ntddk.h>: everything in <wdm.h> plus the few ntddk.h
 *        names the pool needs.
 *
 * See wdm.h for what the WDK face is and the choices it makes (type widths,
 * call-site macros, DBG, assertions, KP_TRY for __try).
 */
#ifndef KPOOL_WDK_NTDDK_H
#define KPOOL_WDK_NTDDK_H

#include "wdm.h"
#include "kp_wdk_ps.h"

/**
 * PROTECTED_POOL is deprecated; the current WDK defines it as 0 (older
 * headers had 0x80000000, which kpool's free path still masks off a tag).
 */
#define PROTECTED_POOL 0x0

#if defined(KPOOL_NO_CALL_SITES) && !defined(ExFreePool)
/** As in the WDK's ntddk.h: ExFreePool is a free with tag 0 (no check).
 *  (With call sites on, wdm.h's ExFreePool macro already does this.) */
#define ExFreePool(a) ExFreePoolWithTag(a, 0)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* KeGetCurrentNodeNumber is declared in wdm.h, where the WDK has it. */

#ifdef __cplusplus
}
#endif

/* Generic tables and splay links (declared by the WDK in ntddk.h). */
#include "kp_wdk_gentable.h"

#endif /* KPOOL_WDK_NTDDK_H */
