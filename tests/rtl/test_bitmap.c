/*
 * test_bitmap.c — RTL_BITMAP and every Rtl bitmap routine through the WDK
 * names: each edge (word boundaries, zero lengths, hints past the end,
 * wrap-around, ranges past the map, padding bits), then every routine
 * against a naive bit-by-bit model over random bitmaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntddk.h>

#include "kp_test_util.h"

/* The x64 WDK layouts, checked at compile time as a driver would. */
C_ASSERT(sizeof(RTL_BITMAP) == 16);
C_ASSERT(FIELD_OFFSET(RTL_BITMAP, Buffer) == 8);
C_ASSERT(sizeof(RTL_BITMAP_RUN) == 8);

#define NOT_FOUND 0xFFFFFFFFu
#define ASSERT_P1 ((uint64_t)(int64_t)(int32_t)0xC0000420u)

static int setup(void **state) {
  if (kpt_setup(state) != 0) return -1;
  kp_system_t *old = kp_system_set_current((kp_system_t *)*state);
  if (old != NULL && old != *state) kp_system_destroy(old);
  return 0;
}

static int teardown(void **state) { return kpt_teardown(state); }

/* ---------------------------------------------------------------------------
 * The model: one bit at a time, straight from the documentation.
 * ------------------------------------------------------------------------- */

static int m_get(const ULONG *b, ULONG i) { return (int)((b[i / 32] >> (i % 32)) & 1u); }

static int m_run_is(const ULONG *b, ULONG size, ULONG s, ULONG n, int v) {
  if ((uint64_t)s + n > size) return 0;
  for (ULONG i = s; i < s + n; i++)
    if (m_get(b, i) != v) return 0;
  return 1;
}

static ULONG m_find(const ULONG *b, ULONG size, ULONG n, ULONG hint, int v) {
  if (n > size) return NOT_FOUND;
  if (hint >= size) hint = 0;
  if (n == 0) return hint & ~7u;
  for (ULONG s = hint; s + n <= size; s++)
    if (m_run_is(b, size, s, n, v)) return s;
  for (ULONG s = 0; s < hint && s + n <= size; s++)
    if (m_run_is(b, size, s, n, v)) return s;
  return NOT_FOUND;
}

static ULONG m_count(const ULONG *b, ULONG size, int v) {
  ULONG c = 0;
  for (ULONG i = 0; i < size; i++) c += m_get(b, i) == v;
  return c;
}

static ULONG m_next_run(const ULONG *b, ULONG size, ULONG from, ULONG *start) {
  ULONG i = from;
  while (i < size && m_get(b, i)) i++;
  *start = i < size ? i : size;
  if (i >= size) return 0;
  ULONG e = i;
  while (e < size && !m_get(b, e)) e++;
  return e - i;
}

static ULONG m_back_run(const ULONG *b, ULONG size, ULONG from, ULONG *start) {
  *start = 0;
  if (from >= size) return 0;
  int64_t i = from;
  while (i >= 0 && m_get(b, (ULONG)i)) i--;
  if (i < 0) return 0;
  int64_t e = i;
  while (i >= 0 && !m_get(b, (ULONG)i)) i--;
  *start = (ULONG)(i + 1);
  return (ULONG)(e - i);
}

/* All clear runs in ascending order; returns how many. */
static ULONG m_runs(const ULONG *b, ULONG size, RTL_BITMAP_RUN *out, ULONG max) {
  ULONG n = 0, s = 0;
  for (;;) {
    ULONG st;
    ULONG len = m_next_run(b, size, s, &st);
    if (len == 0 || n == max) break;
    out[n].StartingIndex = st;
    out[n].NumberOfBits = len;
    n++;
    s = st + len;
  }
  return n;
}

/* ---------------------------------------------------------------------------
 * Layout and the simple routines.
 * ------------------------------------------------------------------------- */

static void test_layout(void **state) {
  (void)state;
  assert_int_equal(sizeof(RTL_BITMAP), 16);
  assert_int_equal(offsetof(RTL_BITMAP, Buffer), 8);
  assert_int_equal(sizeof(RTL_BITMAP_RUN), 8);
  assert_int_equal(offsetof(RTL_BITMAP_RUN, NumberOfBits), 4);
}

static void test_init_does_not_clear(void **state) {
  (void)state;
  ULONG buf[2] = {0xA5A5A5A5u, 0x5A5A5A5Au};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 64);
  assert_int_equal(bm.SizeOfBitMap, 64);
  assert_ptr_equal(bm.Buffer, buf);
  assert_int_equal(buf[0], 0xA5A5A5A5u);
  assert_int_equal(RtlNumberOfSetBits(&bm), 32);
}

static void test_all_bits_keep_padding(void **state) {
  (void)state;
  ULONG buf[3] = {0x12345678u, 0xF0F0F0F0u, 0xDEADBEEFu};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 40);
  RtlClearAllBits(&bm);
  assert_int_equal(buf[0], 0);
  assert_int_equal(buf[1], 0xF0F0F000u); // bits 40..63 untouched
  assert_int_equal(buf[2], 0xDEADBEEFu);
  assert_int_equal(RtlNumberOfSetBits(&bm), 0);
  assert_int_equal(RtlNumberOfClearBits(&bm), 40);
  RtlSetAllBits(&bm);
  assert_int_equal(buf[0], 0xFFFFFFFFu);
  assert_int_equal(buf[1], 0xF0F0F0FFu);
  assert_int_equal(RtlNumberOfSetBits(&bm), 40);
  assert_int_equal(RtlNumberOfClearBits(&bm), 0);
  // A map of 0 bits touches nothing.
  RTL_BITMAP empty;
  RtlInitializeBitMap(&empty, buf, 0);
  RtlSetAllBits(&empty);
  RtlClearAllBits(&empty);
  assert_int_equal(buf[0], 0xFFFFFFFFu);
  assert_int_equal(RtlNumberOfSetBits(&empty), 0);
  assert_int_equal(RtlFindClearBits(&empty, 1, 0), NOT_FOUND);
  assert_int_equal(RtlFindClearBits(&empty, 0, 5), 0);
}

static void test_single_bits(void **state) {
  (void)state;
  ULONG buf[2] = {0, 0};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 64);
  RtlSetBit(&bm, 0);
  RtlSetBit(&bm, 31);
  RtlSetBit(&bm, 32);
  RtlSetBit(&bm, 63);
  assert_int_equal(buf[0], 0x80000001u);
  assert_int_equal(buf[1], 0x80000001u);
  assert_true(RtlTestBit(&bm, 31));
  assert_false(RtlTestBit(&bm, 30));
  assert_int_equal(RtlCheckBit(&bm, 32), 1);
  assert_int_equal(RtlCheckBit(&bm, 33), 0);
  RtlClearBit(&bm, 31);
  RtlClearBit(&bm, 32);
  assert_int_equal(buf[0], 0x00000001u);
  assert_int_equal(buf[1], 0x80000000u);
  assert_int_equal(RtlNumberOfSetBitsUlongPtr(0), 0);
  assert_int_equal(RtlNumberOfSetBitsUlongPtr((ULONG_PTR)-1),
                   (int)(8 * sizeof(ULONG_PTR)));
  assert_int_equal(RtlNumberOfSetBitsUlongPtr(0x8000000000000101ull), 3);
}

static void test_ranges(void **state) {
  (void)state;
  ULONG buf[4] = {0, 0, 0, 0xFFFFFFFFu};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 96);
  RtlSetBits(&bm, 30, 36); // bits 30..65
  assert_int_equal(buf[0], 0xC0000000u);
  assert_int_equal(buf[1], 0xFFFFFFFFu);
  assert_int_equal(buf[2], 0x00000003u);
  assert_int_equal(buf[3], 0xFFFFFFFFu);
  assert_true(RtlAreBitsSet(&bm, 30, 36));
  assert_false(RtlAreBitsSet(&bm, 29, 2));
  assert_true(RtlAreBitsClear(&bm, 66, 30));
  assert_false(RtlAreBitsClear(&bm, 65, 1));
  // Zero length: FALSE for both, even where the bits agree.
  assert_false(RtlAreBitsClear(&bm, 70, 0));
  assert_false(RtlAreBitsSet(&bm, 31, 0));
  // Not inside the map: FALSE (also when start + length wraps).
  assert_false(RtlAreBitsClear(&bm, 90, 7));
  assert_false(RtlAreBitsClear(&bm, 96, 1));
  assert_false(RtlAreBitsClear(&bm, 0xFFFFFFF0u, 0x20));
  assert_true(RtlAreBitsClear(&bm, 90, 6)); // ends exactly at the size
  RtlClearBits(&bm, 31, 34); // leaves 30 and 65
  assert_int_equal(buf[0], 0x40000000u);
  assert_int_equal(buf[1], 0);
  assert_int_equal(buf[2], 0x00000002u);
  // Count 0 is a no-op anywhere, even at the end of the map.
  RtlSetBits(&bm, 96, 0);
  RtlClearBits(&bm, 96, 0);
  RtlSetBits(&bm, 95, 1);
  assert_int_equal(buf[2], 0x80000002u);
  assert_int_equal(buf[3], 0xFFFFFFFFu);
  assert_int_equal(kpt_last.count, 0);
}

static void test_out_of_range_bugchecks(void **state) {
  (void)state;
  ULONG buf[2] = {0, 0x0F0F0F0Fu};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 40);
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, RtlSetBit(&bm, 40));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)&bm);
  assert_int_equal(kpt_last.p[2], 40);
  assert_int_equal(kpt_last.p[3], 1);
  assert_non_null(strstr(kpt_last.explanation, "RtlSetBit"));
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, RtlClearBit(&bm, 1000));
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, RtlSetBits(&bm, 30, 11));
  assert_int_equal(kpt_last.p[2], 30);
  assert_int_equal(kpt_last.p[3], 11);
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, RtlClearBits(&bm, 0xFFFFFFFFu, 2));
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, (void)RtlTestBit(&bm, 40));
  // Nothing was written, padding included.
  assert_int_equal(buf[0], 0);
  assert_int_equal(buf[1], 0x0F0F0F0Fu);
  // With a handler that returns, RtlTestBit answers FALSE.
  kpt_reset_caught();
  buf[1] |= 0x100u; // bit 40 is padding
  assert_false(RtlTestBit(&bm, 40));
  assert_int_equal(kpt_last.count, 1);
}

static void test_find_edges(void **state) {
  (void)state;
  ULONG buf[2] = {0, 0};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 64);
  RtlSetBits(&bm, 0, 10);  // clear: 10..63
  RtlSetBits(&bm, 40, 4);  // clear: 10..39, 44..63
  // From the hint to the end first.
  assert_int_equal(RtlFindClearBits(&bm, 5, 12), 12);
  assert_int_equal(RtlFindClearBits(&bm, 5, 38), 44);
  // Nothing fits after the hint: wraps to 0.
  assert_int_equal(RtlFindClearBits(&bm, 25, 50), 10);
  // A hint at or past the size counts as 0.
  assert_int_equal(RtlFindClearBits(&bm, 3, 64), 10);
  assert_int_equal(RtlFindClearBits(&bm, 3, 0xFFFFFFFFu), 10);
  // Too long, or longer than the map.
  assert_int_equal(RtlFindClearBits(&bm, 31, 0), NOT_FOUND);
  assert_int_equal(RtlFindClearBits(&bm, 65, 0), NOT_FOUND);
  // Zero bits: the hint rounded down to a byte boundary.
  assert_int_equal(RtlFindClearBits(&bm, 0, 13), 8);
  assert_int_equal(RtlFindSetBits(&bm, 0, 63), 56);
  assert_int_equal(RtlFindClearBits(&bm, 0, 64), 0);
  // Set runs.
  assert_int_equal(RtlFindSetBits(&bm, 4, 5), 5);
  assert_int_equal(RtlFindSetBits(&bm, 4, 7), 40);
  assert_int_equal(RtlFindSetBits(&bm, 10, 20), 0);
  assert_int_equal(RtlFindSetBits(&bm, 11, 0), NOT_FOUND);
  // Find-and-flip.
  assert_int_equal(RtlFindClearBitsAndSet(&bm, 20, 0), 10);
  assert_true(RtlAreBitsSet(&bm, 0, 30));
  assert_int_equal(RtlFindSetBitsAndClear(&bm, 2, 41), 41);
  assert_true(RtlAreBitsClear(&bm, 41, 2));
  assert_int_equal(RtlFindClearBitsAndSet(&bm, 40, 0), NOT_FOUND);
  ULONG before0 = buf[0], before1 = buf[1];
  assert_int_equal(RtlFindClearBitsAndSet(&bm, 0, 9), 8); // zero: no change
  assert_int_equal(buf[0], before0);
  assert_int_equal(buf[1], before1);
}

static void test_runs(void **state) {
  (void)state;
  ULONG buf[3] = {0, 0, 0};
  RTL_BITMAP bm;
  RtlInitializeBitMap(&bm, buf, 80);
  RtlSetAllBits(&bm);
  ULONG start = 1234;
  assert_int_equal(RtlFindFirstRunClear(&bm, &start), 0);
  assert_int_equal(start, 80);
  assert_int_equal(RtlFindLongestRunClear(&bm, &start), 0);
  assert_int_equal(start, 0);
  assert_int_equal(RtlFindLastBackwardRunClear(&bm, 79, &start), 0);
  RTL_BITMAP_RUN runs[4];
  assert_int_equal(RtlFindClearRuns(&bm, runs, 4, FALSE), 0);
  // Clear runs: [3,5) [10,40) [50,52) [60,90->80) i.e. 60..79 (20 bits).
  RtlClearBits(&bm, 3, 2);
  RtlClearBits(&bm, 10, 30);
  RtlClearBits(&bm, 50, 2);
  RtlClearBits(&bm, 60, 20);
  assert_int_equal(RtlFindFirstRunClear(&bm, &start), 2);
  assert_int_equal(start, 3);
  assert_int_equal(RtlFindNextForwardRunClear(&bm, 4, &start), 1);
  assert_int_equal(start, 4);
  assert_int_equal(RtlFindNextForwardRunClear(&bm, 5, &start), 30);
  assert_int_equal(start, 10);
  assert_int_equal(RtlFindNextForwardRunClear(&bm, 80, &start), 0);
  assert_int_equal(start, 80);
  assert_int_equal(RtlFindLongestRunClear(&bm, &start), 30);
  assert_int_equal(start, 10);
  // Backward: the run ending at the last clear bit at or before FromIndex.
  assert_int_equal(RtlFindLastBackwardRunClear(&bm, 45, &start), 30);
  assert_int_equal(start, 10);
  assert_int_equal(RtlFindLastBackwardRunClear(&bm, 20, &start), 11);
  assert_int_equal(start, 10);
  assert_int_equal(RtlFindLastBackwardRunClear(&bm, 2, &start), 0);
  assert_int_equal(RtlFindLastBackwardRunClear(&bm, 80, &start), 0);
  // All runs, ascending; and the longest first.
  assert_int_equal(RtlFindClearRuns(&bm, runs, 4, FALSE), 4);
  assert_int_equal(runs[0].StartingIndex, 3);
  assert_int_equal(runs[3].StartingIndex, 60);
  assert_int_equal(runs[3].NumberOfBits, 20);
  assert_int_equal(RtlFindClearRuns(&bm, runs, 2, FALSE), 2);
  assert_int_equal(runs[1].StartingIndex, 10);
  assert_int_equal(RtlFindClearRuns(&bm, runs, 3, TRUE), 3);
  assert_int_equal(runs[0].NumberOfBits, 30);
  assert_int_equal(runs[1].NumberOfBits, 20);
  // [3,5) and [50,52) tie at 2 bits: the lower start is kept.
  assert_int_equal(runs[2].StartingIndex, 3);
  assert_int_equal(runs[2].NumberOfBits, 2);
  assert_int_equal(RtlFindClearRuns(&bm, runs, 0, TRUE), 0);
}

/* ---------------------------------------------------------------------------
 * Every routine against the model, over random bitmaps.
 * ------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

static void random_fill(ULONG *b, ULONG words) {
  // Long runs as well as noise: pick a density per word.
  for (ULONG w = 0; w < words; w++) {
    switch (rnd() % 4) {
    case 0: b[w] = 0; break;
    case 1: b[w] = 0xFFFFFFFFu; break;
    case 2: b[w] = rnd(); break;
    default: b[w] = rnd() & rnd() & rnd(); break;
    }
  }
}

static void test_random_against_model(void **state) {
  (void)state;
  enum { WORDS = 12 };
  for (int iter = 0; iter < 3000; iter++) {
    ULONG buf[WORDS + 1], copy[WORDS + 1];
    ULONG size = rnd() % (32 * WORDS + 1);
    random_fill(buf, WORDS + 1);
    memcpy(copy, buf, sizeof buf);
    RTL_BITMAP bm;
    RtlInitializeBitMap(&bm, buf, size);
    assert_int_equal(RtlNumberOfSetBits(&bm), m_count(buf, size, 1));
    assert_int_equal(RtlNumberOfClearBits(&bm), m_count(buf, size, 0));
    for (int q = 0; q < 8; q++) {
      ULONG n = rnd() % 40;
      ULONG hint = rnd() % (size + 8);
      assert_int_equal(RtlFindClearBits(&bm, n, hint), m_find(buf, size, n, hint, 0));
      assert_int_equal(RtlFindSetBits(&bm, n, hint), m_find(buf, size, n, hint, 1));
      ULONG s = size ? rnd() % size : 0;
      ULONG len = rnd() % 50;
      assert_int_equal(RtlAreBitsClear(&bm, s, len) != 0,
                       len != 0 && m_run_is(buf, size, s, len, 0));
      assert_int_equal(RtlAreBitsSet(&bm, s, len) != 0,
                       len != 0 && m_run_is(buf, size, s, len, 1));
      ULONG st1, st2;
      ULONG from = rnd() % (size + 4);
      ULONG l1 = RtlFindNextForwardRunClear(&bm, from, &st1);
      ULONG l2 = m_next_run(buf, size, from, &st2);
      assert_int_equal(l1, l2);
      assert_int_equal(st1, st2);
      l1 = RtlFindLastBackwardRunClear(&bm, from, &st1);
      l2 = m_back_run(buf, size, from, &st2);
      assert_int_equal(l1, l2);
      assert_int_equal(st1, st2);
    }
    // Runs: ascending equals the model; longest-first is the model sorted
    // by length (stable), truncated.
    RTL_BITMAP_RUN all[400], got[400];
    ULONG total = m_runs(buf, size, all, 400);
    ULONG want = rnd() % 6;
    assert_int_equal(RtlFindClearRuns(&bm, got, 400, FALSE), total);
    for (ULONG i = 0; i < total; i++) {
      assert_int_equal(got[i].StartingIndex, all[i].StartingIndex);
      assert_int_equal(got[i].NumberOfBits, all[i].NumberOfBits);
    }
    for (ULONG i = 1; i < total; i++) { // stable insertion sort, longest first
      RTL_BITMAP_RUN r = all[i];
      ULONG j = i;
      while (j > 0 && all[j - 1].NumberOfBits < r.NumberOfBits) {
        all[j] = all[j - 1];
        j--;
      }
      all[j] = r;
    }
    ULONG k = RtlFindClearRuns(&bm, got, want, TRUE);
    assert_int_equal(k, total < want ? total : want);
    for (ULONG i = 0; i < k; i++) {
      assert_int_equal(got[i].StartingIndex, all[i].StartingIndex);
      assert_int_equal(got[i].NumberOfBits, all[i].NumberOfBits);
    }
    ULONG ls;
    ULONG ll = RtlFindLongestRunClear(&bm, &ls);
    assert_int_equal(ll, total ? all[0].NumberOfBits : 0);
    assert_int_equal(ls, total ? all[0].StartingIndex : 0);
    // Set / clear ranges and find-and-flip match the model, padding intact.
    if (size > 0) {
      ULONG s = rnd() % size;
      ULONG n = rnd() % (size - s + 1);
      RtlSetBits(&bm, s, n);
      for (ULONG i = s; i < s + n; i++) copy[i / 32] |= 1u << (i % 32);
      s = rnd() % size;
      n = rnd() % (size - s + 1);
      RtlClearBits(&bm, s, n);
      for (ULONG i = s; i < s + n; i++) copy[i / 32] &= ~(1u << (i % 32));
      assert_memory_equal(buf, copy, sizeof buf);
      n = 1 + rnd() % 20;
      ULONG hint = rnd() % size;
      ULONG expect = m_find(copy, size, n, hint, 0);
      assert_int_equal(RtlFindClearBitsAndSet(&bm, n, hint), expect);
      if (expect != NOT_FOUND)
        for (ULONG i = expect; i < expect + n; i++) copy[i / 32] |= 1u << (i % 32);
      assert_memory_equal(buf, copy, sizeof buf);
      expect = m_find(copy, size, n, hint, 1);
      assert_int_equal(RtlFindSetBitsAndClear(&bm, n, hint), expect);
      if (expect != NOT_FOUND)
        for (ULONG i = expect; i < expect + n; i++) copy[i / 32] &= ~(1u << (i % 32));
      assert_memory_equal(buf, copy, sizeof buf);
      RtlSetAllBits(&bm);
      for (ULONG i = 0; i < size; i++) copy[i / 32] |= 1u << (i % 32);
      assert_memory_equal(buf, copy, sizeof buf);
      RtlClearAllBits(&bm);
      for (ULONG i = 0; i < size; i++) copy[i / 32] &= ~(1u << (i % 32));
      assert_memory_equal(buf, copy, sizeof buf);
    }
  }
  assert_int_equal(kpt_last.count, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_init_does_not_clear, setup, teardown),
      cmocka_unit_test_setup_teardown(test_all_bits_keep_padding, setup, teardown),
      cmocka_unit_test_setup_teardown(test_single_bits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
      cmocka_unit_test_setup_teardown(test_out_of_range_bugchecks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_find_edges, setup, teardown),
      cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
