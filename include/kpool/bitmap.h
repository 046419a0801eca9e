/**
 * @file kpool/bitmap.h
 * @brief Bitmaps: the core form of RTL_BITMAP and of the Rtl bitmap
 *        routines (RtlInitializeBitMap, RtlSetBits, RtlFindClearBits, ...).
 *
 * What is simulated (surface facts §8.5):
 *
 * - kp_bitmap_t is { uint32_t size; uint32_t *buffer; }: 16 bytes on a
 *   64-bit host, the x64 RTL_BITMAP. Bit n is bit (n mod 32) of
 *   buffer[n / 32], least significant bit first.
 * - Bits at and beyond @c size in the last 32-bit word are never read as
 *   part of the map and never written: counting and searching ignore them,
 *   and "set all" / "clear all" keep them. (Windows' RtlClearAllBits and
 *   RtlSetAllBits write whole ULONGs; kpool keeps the padding so that a
 *   buffer shared with other data is never damaged. kpool's choice.)
 * - "Not found" is 0xFFFFFFFF (KP_BITMAP_NOT_FOUND), as documented.
 * - The find routines search from the hint to the end, then from bit 0 back
 *   to the hint: the result is the lowest start at or after the hint whose
 *   run fits, else the lowest start before it. A hint at or beyond the size
 *   is treated as 0. A request for 0 bits returns the hint (0 when beyond
 *   the size) rounded down to a multiple of 8, and a request larger than
 *   the map returns KP_BITMAP_NOT_FOUND (the behaviour of Windows' and
 *   ReactOS's implementations; the DDI pages do not say).
 * - Range misuse (a bit number or a range past @c size in the set / clear /
 *   test routines) is what a checked Windows kernel catches with an ASSERT
 *   inside the routine; kpool raises what an unhandled assertion is, bug
 *   check 0x1E KMODE_EXCEPTION_NOT_HANDLED with P1 = STATUS_ASSERTION_FAILURE
 *   (0xC0000420), P2 = the bitmap, P3 = the index, P4 = the count, on the
 *   current system. If the handler returns, no bit is changed (a test
 *   returns FALSE). A retail Windows kernel would write past the map.
 *
 * Thread safety: none, as on Windows (callers synchronise access to one
 * map); different maps may be used from different threads.
 */
#ifndef KPOOL_BITMAP_H
#define KPOOL_BITMAP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** RTL_BITMAP: the size in bits and the 32-bit words holding them. */
typedef struct kp_bitmap {
  uint32_t size;    /**< SizeOfBitMap: number of bits */
  uint32_t *buffer; /**< Buffer: ULONG-aligned, (size + 31) / 32 words */
} kp_bitmap_t;

/** RTL_BITMAP_RUN: one run of clear bits. */
typedef struct kp_bitmap_run {
  uint32_t start; /**< StartingIndex */
  uint32_t count; /**< NumberOfBits */
} kp_bitmap_run_t;

/** The "not found" result of the find routines. */
#define KP_BITMAP_NOT_FOUND 0xFFFFFFFFu

/** RtlInitializeBitMap: stores @p buffer and @p size; does not clear. */
KP_API void kp_bitmap_init(kp_bitmap_t *bm, uint32_t *buffer, uint32_t size);
/** RtlClearAllBits / RtlSetAllBits: every bit below the size. */
KP_API void kp_bitmap_clear_all(kp_bitmap_t *bm);
KP_API void kp_bitmap_set_all(kp_bitmap_t *bm);
/** RtlClearBit / RtlSetBit. @bugcheck 0x1E/0xC0000420 when @p bit >= size. */
KP_API void kp_bitmap_clear_bit(kp_bitmap_t *bm, uint32_t bit);
KP_API void kp_bitmap_set_bit(kp_bitmap_t *bm, uint32_t bit);
/** RtlTestBit: the bit's value. @bugcheck 0x1E/0xC0000420 when @p bit >=
 *  size (then false if the handler returns). */
KP_API bool kp_bitmap_test_bit(const kp_bitmap_t *bm, uint32_t bit);
/**
 * RtlClearBits / RtlSetBits: bits [@p start, @p start + @p count). A count
 * of 0 does nothing (any start). @bugcheck 0x1E/0xC0000420 when the range
 * ends past the size (nothing is changed if the handler returns).
 */
KP_API void kp_bitmap_clear_bits(kp_bitmap_t *bm, uint32_t start,
                                 uint32_t count);
KP_API void kp_bitmap_set_bits(kp_bitmap_t *bm, uint32_t start,
                               uint32_t count);
/** RtlAreBitsClear / RtlAreBitsSet: false when @p length is 0 or the range
 *  is not inside the map (documented), else whether all are clear / set. */
KP_API bool kp_bitmap_are_clear(const kp_bitmap_t *bm, uint32_t start,
                                uint32_t length);
KP_API bool kp_bitmap_are_set(const kp_bitmap_t *bm, uint32_t start,
                              uint32_t length);
/** RtlNumberOfSetBits / RtlNumberOfClearBits (bits below the size). */
KP_API uint32_t kp_bitmap_count_set(const kp_bitmap_t *bm);
KP_API uint32_t kp_bitmap_count_clear(const kp_bitmap_t *bm);
/** RtlFindClearBits / RtlFindSetBits: see the file comment for the search
 *  order, the hint and the zero-count rule. */
KP_API uint32_t kp_bitmap_find_clear(const kp_bitmap_t *bm, uint32_t count,
                                     uint32_t hint);
KP_API uint32_t kp_bitmap_find_set(const kp_bitmap_t *bm, uint32_t count,
                                   uint32_t hint);
/** RtlFindClearBitsAndSet / RtlFindSetBitsAndClear: the find above, then
 *  the run found is flipped. */
KP_API uint32_t kp_bitmap_find_clear_and_set(kp_bitmap_t *bm, uint32_t count,
                                             uint32_t hint);
KP_API uint32_t kp_bitmap_find_set_and_clear(kp_bitmap_t *bm, uint32_t count,
                                             uint32_t hint);
/**
 * RtlFindNextForwardRunClear: the first clear bit at or after @p from and
 * the length of the clear run starting there. Returns 0 when there is none
 * (then *@p start = the size; kpool's choice, undocumented).
 */
KP_API uint32_t kp_bitmap_next_run_clear(const kp_bitmap_t *bm, uint32_t from,
                                         uint32_t *start);
/** RtlFindFirstRunClear: kp_bitmap_next_run_clear from bit 0. */
KP_API uint32_t kp_bitmap_first_run_clear(const kp_bitmap_t *bm,
                                          uint32_t *start);
/**
 * RtlFindLastBackwardRunClear: the last clear bit at or before @p from and
 * the clear run that ends there (from its first bit to that one): returns
 * its length and sets *@p start. None (or @p from >= size): 0, *@p start 0
 * (kpool's choice for the out-of-range case).
 */
KP_API uint32_t kp_bitmap_last_run_clear_backward(const kp_bitmap_t *bm,
                                                  uint32_t from,
                                                  uint32_t *start);
/** RtlFindLongestRunClear: the longest clear run (the lowest on a tie);
 *  0 and *@p start = 0 when there is none. */
KP_API uint32_t kp_bitmap_longest_run_clear(const kp_bitmap_t *bm,
                                            uint32_t *start);
/**
 * RtlFindClearRuns: fills @p runs with up to @p max clear runs and returns
 * how many. @p longest false: the first runs, in ascending order. @p
 * longest true: the longest runs, longest first; among runs of equal
 * length the lower start comes first and is kept.
 */
KP_API uint32_t kp_bitmap_find_clear_runs(const kp_bitmap_t *bm,
                                          kp_bitmap_run_t *runs, uint32_t max,
                                          bool longest);
/** RtlNumberOfSetBitsUlongPtr: the number of set bits in @p value. */
KP_API uint32_t kp_bitmap_popcount_uintptr(uintptr_t value);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_BITMAP_H */
