/*
 * bitmap.c — RTL_BITMAP and the Rtl bitmap routines over 32-bit words.
 * See include/kpool/bitmap.h for the contract (search order, the hint,
 * zero-length requests, range misuse).
 */
#include <stdio.h>

#include "ke/kp_ke.h"
#include "kpool/bitmap.h"

_Static_assert(sizeof(kp_bitmap_t) == 16 || sizeof(void *) != 8,
               "RTL_BITMAP is 16 bytes on 64-bit hosts");
_Static_assert(sizeof(kp_bitmap_run_t) == 8, "RTL_BITMAP_RUN is 8 bytes");

/* ---------------------------------------------------------------------------
 * Misuse: the ASSERT of a checked kernel, unhandled (see the header).
 * ------------------------------------------------------------------------- */

// False after raising (the caller then changes nothing).
static bool range_ok(const kp_bitmap_t *bm, const char *what, uint32_t start,
                     uint32_t count) {
  uint64_t end = (uint64_t)start + count;
  if (bm != NULL && bm->buffer != NULL && end <= bm->size) return true;
  if (bm != NULL && count == 0 && bm->buffer != NULL) return true;
  kp_system_t *sys = kpi_current();
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED,
      (uint64_t)(int64_t)KP_STATUS_ASSERTION_FAILURE, (uint64_t)(uintptr_t)bm,
      start, count, NULL,
      "%s on bitmap %p: bits [%u, %llu) are not inside the map of %u bits.\n"
      "  A checked Windows kernel fails the routine's ASSERT here (an\n"
      "  unhandled STATUS_ASSERTION_FAILURE); a retail one writes past the\n"
      "  map. No bit was changed.",
      what, (const void *)bm, (unsigned)start, (unsigned long long)end,
      bm != NULL ? (unsigned)bm->size : 0u);
  return false;
}

/* ---------------------------------------------------------------------------
 * Word helpers. Bits at or past bm->size are never read as map bits.
 * ------------------------------------------------------------------------- */

static inline bool bit_get(const kp_bitmap_t *bm, uint32_t i) {
  return ((bm->buffer[i >> 5] >> (i & 31u)) & 1u) != 0;
}

// Mask of bits [lo, hi) inside one word, 0 <= lo < hi <= 32.
static inline uint32_t word_mask(uint32_t lo, uint32_t hi) {
  uint32_t upper = hi == 32u ? 0xFFFFFFFFu : ((1u << hi) - 1u);
  return upper & ~((1u << lo) - 1u);
}

// Sets (value true) or clears bits [start, end); end <= size.
static void fill_range(kp_bitmap_t *bm, uint32_t start, uint32_t end,
                       bool value) {
  while (start < end) {
    uint32_t w = start >> 5;
    uint32_t lo = start & 31u;
    uint32_t hi = (end - (w << 5)) >= 32u ? 32u : end - (w << 5);
    uint32_t m = word_mask(lo, hi);
    if (value)
      bm->buffer[w] |= m;
    else
      bm->buffer[w] &= ~m;
    start = (w << 5) + hi;
  }
}

static inline uint32_t popcount32(uint32_t v) {
#if defined(__GNUC__) || defined(__clang__)
  return (uint32_t)__builtin_popcount(v);
#else
  uint32_t n = 0;
  while (v != 0) {
    v &= v - 1u;
    n++;
  }
  return n;
#endif
}

static inline uint32_t ctz32(uint32_t v) { // v != 0
#if defined(__GNUC__) || defined(__clang__)
  return (uint32_t)__builtin_ctz(v);
#else
  uint32_t n = 0;
  while ((v & 1u) == 0) {
    v >>= 1;
    n++;
  }
  return n;
#endif
}

// The first bit in [from, limit) whose value is @value, or limit.
static uint32_t next_bit(const kp_bitmap_t *bm, uint32_t from, uint32_t limit,
                         bool value) {
  while (from < limit) {
    uint32_t w = from >> 5;
    uint32_t word = value ? bm->buffer[w] : ~bm->buffer[w];
    word &= ~((1u << (from & 31u)) - 1u);
    if (word != 0) {
      uint32_t i = (w << 5) + ctz32(word);
      return i < limit ? i : limit;
    }
    from = (w + 1u) << 5;
  }
  return limit;
}

// How many bits equal @value start at @from, counting up to @limit.
static uint32_t run_length(const kp_bitmap_t *bm, uint32_t from, uint32_t limit,
                           bool value) {
  return next_bit(bm, from, limit, !value) - from;
}

static uint32_t count_set(const kp_bitmap_t *bm) {
  uint32_t n = 0;
  uint32_t full = bm->size >> 5;
  for (uint32_t w = 0; w < full; w++) n += popcount32(bm->buffer[w]);
  if ((bm->size & 31u) != 0)
    n += popcount32(bm->buffer[full] & word_mask(0, bm->size & 31u));
  return n;
}

// The lowest start s in [lo, hi) with bits [s, s + count) all @value and
// s + count <= size; KP_BITMAP_NOT_FOUND when none. count > 0.
static uint32_t find_run(const kp_bitmap_t *bm, uint32_t count, uint32_t lo,
                         uint32_t hi, bool value) {
  uint32_t last = bm->size - count; // count <= size checked by the caller
  if (hi > last + 1u) hi = last + 1u;
  uint32_t s = lo;
  while (s < hi) {
    s = next_bit(bm, s, hi, value);
    if (s >= hi) break;
    uint32_t len = run_length(bm, s, s + count, value);
    if (len >= count) return s;
    s += len; // lands on a bit of the other value
  }
  return KP_BITMAP_NOT_FOUND;
}

static uint32_t find(const kp_bitmap_t *bm, uint32_t count, uint32_t hint,
                     bool value) {
  if (bm == NULL || count > bm->size) return KP_BITMAP_NOT_FOUND;
  if (hint >= bm->size) hint = 0;
  // Windows' and ReactOS's routines answer a zero-length request with the
  // hint rounded down to a byte boundary.
  if (count == 0) return hint & ~7u;
  uint32_t s = find_run(bm, count, hint, bm->size, value);
  if (s == KP_BITMAP_NOT_FOUND && hint != 0)
    s = find_run(bm, count, 0, hint, value);
  return s;
}

/* ---------------------------------------------------------------------------
 * The routines.
 * ------------------------------------------------------------------------- */

void kp_bitmap_init(kp_bitmap_t *bm, uint32_t *buffer, uint32_t size) {
  bm->size = size;
  bm->buffer = buffer;
}

void kp_bitmap_clear_all(kp_bitmap_t *bm) {
  fill_range(bm, 0, bm->size, false);
}

void kp_bitmap_set_all(kp_bitmap_t *bm) { fill_range(bm, 0, bm->size, true); }

void kp_bitmap_clear_bit(kp_bitmap_t *bm, uint32_t bit) {
  if (!range_ok(bm, "RtlClearBit", bit, 1)) return;
  bm->buffer[bit >> 5] &= ~(1u << (bit & 31u));
}

void kp_bitmap_set_bit(kp_bitmap_t *bm, uint32_t bit) {
  if (!range_ok(bm, "RtlSetBit", bit, 1)) return;
  bm->buffer[bit >> 5] |= 1u << (bit & 31u);
}

bool kp_bitmap_test_bit(const kp_bitmap_t *bm, uint32_t bit) {
  if (!range_ok(bm, "RtlTestBit", bit, 1)) return false;
  return bit_get(bm, bit);
}

void kp_bitmap_clear_bits(kp_bitmap_t *bm, uint32_t start, uint32_t count) {
  if (!range_ok(bm, "RtlClearBits", start, count)) return;
  if (count == 0) return;
  fill_range(bm, start, start + count, false);
}

void kp_bitmap_set_bits(kp_bitmap_t *bm, uint32_t start, uint32_t count) {
  if (!range_ok(bm, "RtlSetBits", start, count)) return;
  if (count == 0) return;
  fill_range(bm, start, start + count, true);
}

static bool are_all(const kp_bitmap_t *bm, uint32_t start, uint32_t length,
                    bool value) {
  if (bm == NULL || length == 0) return false;
  if ((uint64_t)start + length > bm->size) return false;
  return run_length(bm, start, start + length, value) == length;
}

bool kp_bitmap_are_clear(const kp_bitmap_t *bm, uint32_t start,
                         uint32_t length) {
  return are_all(bm, start, length, false);
}

bool kp_bitmap_are_set(const kp_bitmap_t *bm, uint32_t start, uint32_t length) {
  return are_all(bm, start, length, true);
}

uint32_t kp_bitmap_count_set(const kp_bitmap_t *bm) { return count_set(bm); }

uint32_t kp_bitmap_count_clear(const kp_bitmap_t *bm) {
  return bm->size - count_set(bm);
}

uint32_t kp_bitmap_find_clear(const kp_bitmap_t *bm, uint32_t count,
                              uint32_t hint) {
  return find(bm, count, hint, false);
}

uint32_t kp_bitmap_find_set(const kp_bitmap_t *bm, uint32_t count,
                            uint32_t hint) {
  return find(bm, count, hint, true);
}

uint32_t kp_bitmap_find_clear_and_set(kp_bitmap_t *bm, uint32_t count,
                                      uint32_t hint) {
  uint32_t s = find(bm, count, hint, false);
  if (s != KP_BITMAP_NOT_FOUND && count != 0)
    fill_range(bm, s, s + count, true);
  return s;
}

uint32_t kp_bitmap_find_set_and_clear(kp_bitmap_t *bm, uint32_t count,
                                      uint32_t hint) {
  uint32_t s = find(bm, count, hint, true);
  if (s != KP_BITMAP_NOT_FOUND && count != 0)
    fill_range(bm, s, s + count, false);
  return s;
}

uint32_t kp_bitmap_next_run_clear(const kp_bitmap_t *bm, uint32_t from,
                                  uint32_t *start) {
  uint32_t s = from < bm->size ? next_bit(bm, from, bm->size, false) : bm->size;
  *start = s;
  if (s >= bm->size) {
    *start = bm->size;
    return 0;
  }
  return run_length(bm, s, bm->size, false);
}

uint32_t kp_bitmap_first_run_clear(const kp_bitmap_t *bm, uint32_t *start) {
  return kp_bitmap_next_run_clear(bm, 0, start);
}

uint32_t kp_bitmap_last_run_clear_backward(const kp_bitmap_t *bm, uint32_t from,
                                           uint32_t *start) {
  *start = 0;
  if (from >= bm->size) return 0;
  // Walk down to the last clear bit at or before @from, then to the first
  // bit of its run. Bit by bit inside a word, word by word across full ones.
  int64_t i = from;
  while (i >= 0 && bit_get(bm, (uint32_t)i)) {
    if ((i & 31) == 31 && bm->buffer[i >> 5] == 0xFFFFFFFFu)
      i -= 32;
    else
      i--;
  }
  if (i < 0) return 0;
  uint32_t end = (uint32_t)i;
  while (i >= 0 && !bit_get(bm, (uint32_t)i)) {
    if ((i & 31) == 31 && bm->buffer[i >> 5] == 0u)
      i -= 32;
    else
      i--;
  }
  *start = (uint32_t)(i + 1);
  return end - *start + 1u;
}

uint32_t kp_bitmap_find_clear_runs(const kp_bitmap_t *bm, kp_bitmap_run_t *runs,
                                   uint32_t max, bool longest) {
  if (runs == NULL || max == 0) return 0;
  uint32_t n = 0;
  uint32_t s = 0;
  while (s < bm->size) {
    s = next_bit(bm, s, bm->size, false);
    if (s >= bm->size) break;
    uint32_t len = run_length(bm, s, bm->size, false);
    if (!longest) {
      runs[n].start = s;
      runs[n].count = len;
      if (++n == max) break;
    } else {
      // Keep the array sorted longest first; an equal run goes after the
      // ones already there, and a full array takes only a strictly longer
      // run, so the lower start wins a tie.
      uint32_t pos = n;
      while (pos > 0 && runs[pos - 1].count < len) pos--;
      if (pos < max) {
        uint32_t last = n < max ? n : max - 1u;
        for (uint32_t k = last; k > pos; k--) runs[k] = runs[k - 1];
        runs[pos].start = s;
        runs[pos].count = len;
        if (n < max) n++;
      }
    }
    s += len;
  }
  return n;
}

uint32_t kp_bitmap_longest_run_clear(const kp_bitmap_t *bm, uint32_t *start) {
  kp_bitmap_run_t run;
  if (kp_bitmap_find_clear_runs(bm, &run, 1, true) == 1) {
    *start = run.start;
    return run.count;
  }
  *start = 0;
  return 0;
}

uint32_t kp_bitmap_popcount_uintptr(uintptr_t value) {
  uint32_t n = 0;
  while (value != 0) {
    value &= value - 1u;
    n++;
  }
  return n;
}
