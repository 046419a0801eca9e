/*
 * wdk_bitmap.c — the WDK bitmap names (RtlInitializeBitMap, RtlSetBits,
 * RtlFindClearBits, ...) as real exported functions over kpool/bitmap.h.
 * No logic: RTL_BITMAP and kp_bitmap_t share one layout (checked below).
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/bitmap.h"

_Static_assert(sizeof(RTL_BITMAP) == sizeof(kp_bitmap_t), "RTL_BITMAP size");
_Static_assert(sizeof(void *) != 8 || sizeof(RTL_BITMAP) == 16,
               "RTL_BITMAP is 16 bytes on x64");
_Static_assert(offsetof(RTL_BITMAP, SizeOfBitMap) ==
                   offsetof(kp_bitmap_t, size),
               "SizeOfBitMap");
_Static_assert(offsetof(RTL_BITMAP, Buffer) == offsetof(kp_bitmap_t, buffer),
               "Buffer");
_Static_assert(sizeof(RTL_BITMAP_RUN) == sizeof(kp_bitmap_run_t) &&
                   offsetof(RTL_BITMAP_RUN, NumberOfBits) ==
                       offsetof(kp_bitmap_run_t, count),
               "RTL_BITMAP_RUN");

#define BM(h) ((kp_bitmap_t *)(void *)(h))

VOID NTAPI RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer,
                               ULONG SizeOfBitMap) {
  kp_bitmap_init(BM(BitMapHeader), BitMapBuffer, SizeOfBitMap);
}

VOID NTAPI RtlClearAllBits(PRTL_BITMAP BitMapHeader) {
  kp_bitmap_clear_all(BM(BitMapHeader));
}

VOID NTAPI RtlSetAllBits(PRTL_BITMAP BitMapHeader) {
  kp_bitmap_set_all(BM(BitMapHeader));
}

VOID NTAPI RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber) {
  kp_bitmap_clear_bit(BM(BitMapHeader), BitNumber);
}

VOID NTAPI RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber) {
  kp_bitmap_set_bit(BM(BitMapHeader), BitNumber);
}

BOOLEAN NTAPI RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber) {
  return kp_bitmap_test_bit(BM(BitMapHeader), BitNumber) ? TRUE : FALSE;
}

VOID NTAPI RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex,
                        ULONG NumberToClear) {
  kp_bitmap_clear_bits(BM(BitMapHeader), StartingIndex, NumberToClear);
}

VOID NTAPI RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex,
                      ULONG NumberToSet) {
  kp_bitmap_set_bits(BM(BitMapHeader), StartingIndex, NumberToSet);
}

BOOLEAN NTAPI RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex,
                              ULONG Length) {
  return kp_bitmap_are_clear(BM(BitMapHeader), StartingIndex, Length) ? TRUE
                                                                      : FALSE;
}

BOOLEAN NTAPI RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex,
                            ULONG Length) {
  return kp_bitmap_are_set(BM(BitMapHeader), StartingIndex, Length) ? TRUE
                                                                    : FALSE;
}

ULONG NTAPI RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader) {
  return kp_bitmap_count_set(BM(BitMapHeader));
}

ULONG NTAPI RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader) {
  return kp_bitmap_count_clear(BM(BitMapHeader));
}

ULONG NTAPI RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                             ULONG HintIndex) {
  return kp_bitmap_find_clear(BM(BitMapHeader), NumberToFind, HintIndex);
}

ULONG NTAPI RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                           ULONG HintIndex) {
  return kp_bitmap_find_set(BM(BitMapHeader), NumberToFind, HintIndex);
}

ULONG NTAPI RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                                   ULONG HintIndex) {
  return kp_bitmap_find_clear_and_set(BM(BitMapHeader), NumberToFind,
                                      HintIndex);
}

ULONG NTAPI RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind,
                                   ULONG HintIndex) {
  return kp_bitmap_find_set_and_clear(BM(BitMapHeader), NumberToFind,
                                      HintIndex);
}

ULONG NTAPI RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader,
                                 PULONG StartingIndex) {
  return kp_bitmap_first_run_clear(BM(BitMapHeader), StartingIndex);
}

ULONG NTAPI RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader,
                                       ULONG FromIndex,
                                       PULONG StartingRunIndex) {
  return kp_bitmap_next_run_clear(BM(BitMapHeader), FromIndex,
                                  StartingRunIndex);
}

ULONG NTAPI RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader,
                                        ULONG FromIndex,
                                        PULONG StartingRunIndex) {
  return kp_bitmap_last_run_clear_backward(BM(BitMapHeader), FromIndex,
                                           StartingRunIndex);
}

ULONG NTAPI RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader,
                                   PULONG StartingIndex) {
  return kp_bitmap_longest_run_clear(BM(BitMapHeader), StartingIndex);
}

ULONG NTAPI RtlFindClearRuns(PRTL_BITMAP BitMapHeader, PRTL_BITMAP_RUN RunArray,
                             ULONG SizeOfRunArray, BOOLEAN LocateLongestRuns) {
  return kp_bitmap_find_clear_runs(BM(BitMapHeader),
                                   (kp_bitmap_run_t *)(void *)RunArray,
                                   SizeOfRunArray, LocateLongestRuns != FALSE);
}

CCHAR NTAPI RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target) {
  return (CCHAR)kp_bitmap_popcount_uintptr(Target);
}
