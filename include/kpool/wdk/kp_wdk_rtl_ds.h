/**
 * @file kpool/wdk/kp_wdk_rtl_ds.h
 * @brief WDK face: RTL_BITMAP, RTL_BITMAP_RUN and the Rtl bitmap routines
 *        (wdm.h), over the core kpool/bitmap.h.
 *
 * Included by wdm.h near its end; including it directly includes wdm.h
 * first. The generic tables, which the WDK declares in ntddk.h, are in
 * kp_wdk_gentable.h (included by ntddk.h).
 *
 * Behaviour (see kpool/bitmap.h for the details): bit n is bit n % 32 of
 * Buffer[n / 32]; the find routines return 0xFFFFFFFF when nothing fits and
 * search from HintIndex to the end, then from 0 back to the hint (a hint
 * at or past the size counts as 0); NumberToFind 0 returns the hint
 * rounded down to a multiple of 8; RtlAreBitsClear / RtlAreBitsSet return
 * FALSE for a zero length or a range not inside the map; bits past
 * SizeOfBitMap are never read or written. A bit number or range past the
 * map in RtlSetBit(s) / RtlClearBit(s) / RtlTestBit is bug check 0x1E with
 * P1 = STATUS_ASSERTION_FAILURE (the checked kernel's ASSERT), nothing
 * changed if the handler returns. Callers synchronise access, as on
 * Windows. Layout: RTL_BITMAP 16 bytes, RTL_BITMAP_RUN 8 (checked in
 * src/wdk/wdk_bitmap.c).
 */
#ifndef KPOOL_WDK_KP_WDK_RTL_DS_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_RTL_DS_H
#define KPOOL_WDK_KP_WDK_RTL_DS_H

#include "../bitmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/** RTL_BITMAP: SizeOfBitMap bits in Buffer (ULONG-aligned). */
typedef struct _RTL_BITMAP {
  ULONG SizeOfBitMap;
  PULONG Buffer;
} RTL_BITMAP, *PRTL_BITMAP;

/** RTL_BITMAP_RUN: one run found by RtlFindClearRuns. */
typedef struct _RTL_BITMAP_RUN {
  ULONG StartingIndex;
  ULONG NumberOfBits;
} RTL_BITMAP_RUN, *PRTL_BITMAP_RUN;

/** RtlInitializeBitMap: stores Buffer and SizeOfBitMap; clears nothing. */
NTSYSAPI VOID NTAPI RtlInitializeBitMap(PRTL_BITMAP BitMapHeader,
                                        PULONG BitMapBuffer,
                                        ULONG SizeOfBitMap);
/** RtlClearAllBits / RtlSetAllBits: every bit below SizeOfBitMap. */
NTSYSAPI VOID NTAPI RtlClearAllBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI VOID NTAPI RtlSetAllBits(PRTL_BITMAP BitMapHeader);
/** RtlClearBit / RtlSetBit. @bugcheck 0x1E/0xC0000420 past the map. */
NTSYSAPI VOID NTAPI RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
NTSYSAPI VOID NTAPI RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
/** RtlTestBit. @bugcheck 0x1E/0xC0000420 past the map (then FALSE). */
NTSYSAPI BOOLEAN NTAPI RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber);
/** RtlClearBits / RtlSetBits: NumberToClear / NumberToSet 0 is a no-op.
 *  @bugcheck 0x1E/0xC0000420 when the range ends past the map. */
NTSYSAPI VOID NTAPI RtlClearBits(PRTL_BITMAP BitMapHeader,
                                 ULONG StartingIndex, ULONG NumberToClear);
NTSYSAPI VOID NTAPI RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex,
                               ULONG NumberToSet);
/** RtlAreBitsClear / RtlAreBitsSet: FALSE for Length 0 or a range outside
 *  the map. */
NTSYSAPI BOOLEAN NTAPI RtlAreBitsClear(PRTL_BITMAP BitMapHeader,
                                       ULONG StartingIndex, ULONG Length);
NTSYSAPI BOOLEAN NTAPI RtlAreBitsSet(PRTL_BITMAP BitMapHeader,
                                     ULONG StartingIndex, ULONG Length);
/** RtlNumberOfSetBits / RtlNumberOfClearBits. */
NTSYSAPI ULONG NTAPI RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader);
NTSYSAPI ULONG NTAPI RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader);
/** RtlFindClearBits / RtlFindSetBits: start index or 0xFFFFFFFF. */
NTSYSAPI ULONG NTAPI RtlFindClearBits(PRTL_BITMAP BitMapHeader,
                                      ULONG NumberToFind, ULONG HintIndex);
NTSYSAPI ULONG NTAPI RtlFindSetBits(PRTL_BITMAP BitMapHeader,
                                    ULONG NumberToFind, ULONG HintIndex);
/** RtlFindClearBitsAndSet / RtlFindSetBitsAndClear: find, then flip. */
NTSYSAPI ULONG NTAPI RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader,
                                            ULONG NumberToFind,
                                            ULONG HintIndex);
NTSYSAPI ULONG NTAPI RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader,
                                            ULONG NumberToFind,
                                            ULONG HintIndex);
/** RtlFindFirstRunClear: length of the first clear run (0: none; then
 *  *StartingIndex = SizeOfBitMap). */
NTSYSAPI ULONG NTAPI RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader,
                                          PULONG StartingIndex);
/** RtlFindNextForwardRunClear: the clear run at or after FromIndex. */
NTSYSAPI ULONG NTAPI RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader,
                                                ULONG FromIndex,
                                                PULONG StartingRunIndex);
/** RtlFindLastBackwardRunClear: the clear run ending at the last clear bit
 *  at or before FromIndex. */
NTSYSAPI ULONG NTAPI RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader,
                                                 ULONG FromIndex,
                                                 PULONG StartingRunIndex);
/** RtlFindLongestRunClear: the longest clear run (lowest on a tie). */
NTSYSAPI ULONG NTAPI RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader,
                                            PULONG StartingIndex);
/** RtlFindClearRuns: up to SizeOfRunArray runs, ascending, or longest
 *  first with LocateLongestRuns. Returns how many. */
NTSYSAPI ULONG NTAPI RtlFindClearRuns(PRTL_BITMAP BitMapHeader,
                                      PRTL_BITMAP_RUN RunArray,
                                      ULONG SizeOfRunArray,
                                      BOOLEAN LocateLongestRuns);
/** RtlNumberOfSetBitsUlongPtr: set bits in Target. */
NTSYSAPI CCHAR NTAPI RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target);

/** RtlCheckBit: the bit's value, 0 or 1, read straight from the buffer (a
 *  macro, as in the WDK: no range check). */
#define RtlCheckBit(BMH, BP)                                                   \
  ((((BMH)->Buffer[(BP) / 32]) >> ((BP) % 32)) & 0x1)

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_RTL_DS_H */
