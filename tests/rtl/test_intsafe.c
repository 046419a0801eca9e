/*
 * test_intsafe.c — ntintsafe.h: every arithmetic routine at its type's
 * bounds (the largest value, one past it, the smallest, one below), the
 * documented status (STATUS_INTEGER_OVERFLOW) and the error value left in
 * the result; every conversion at its bounds (test_intsafe_conv.inc,
 * generated with expectations computed from the type ranges); and the core
 * functions of kpool/intsafe.h directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kpool/intsafe.h>
#include <ntintsafe.h>

#define OK STATUS_SUCCESS
#define OVF STATUS_INTEGER_OVERFLOW

/* Unsigned type T (routine prefix N) whose largest value is MAX. */
#define UNSIGNED_CASES(N, T, MAX)                                              \
  do {                                                                         \
    T r;                                                                       \
    const T max = (T)(MAX);                                                    \
    assert_int_equal(Rtl##N##Add(max, 0, &r), OK);                             \
    assert_true(r == max);                                                     \
    assert_int_equal(Rtl##N##Add((T)(max - 1), 1, &r), OK);                    \
    assert_true(r == max);                                                     \
    r = 5;                                                                     \
    assert_int_equal(Rtl##N##Add(max, 1, &r), OVF);                            \
    assert_true(r == (T) ~(T)0);                                               \
    assert_int_equal(Rtl##N##Add(1, max, &r), OVF);                            \
    assert_int_equal(Rtl##N##Add(max, max, &r), OVF);                          \
    assert_int_equal(Rtl##N##Sub(max, max, &r), OK);                           \
    assert_true(r == 0);                                                       \
    assert_int_equal(Rtl##N##Sub(1, 1, &r), OK);                               \
    assert_int_equal(Rtl##N##Sub(0, 1, &r), OVF);                              \
    assert_true(r == (T) ~(T)0);                                               \
    assert_int_equal(Rtl##N##Sub(0, max, &r), OVF);                            \
    assert_int_equal(Rtl##N##Mult(max, 1, &r), OK);                            \
    assert_true(r == max);                                                     \
    assert_int_equal(Rtl##N##Mult(0, max, &r), OK);                            \
    assert_true(r == 0);                                                       \
    assert_int_equal(Rtl##N##Mult((T)(max / 2), 2, &r), OK);                   \
    assert_true(r == (T)(max - 1));                                            \
    assert_int_equal(Rtl##N##Mult((T)(max / 2 + 1), 2, &r), OVF);              \
    assert_true(r == (T) ~(T)0);                                               \
    assert_int_equal(Rtl##N##Mult(max, max, &r), OVF);                         \
  } while (0)

/* Signed type T with range [MIN, MAX]. */
#define SIGNED_CASES(N, T, MIN, MAX)                                           \
  do {                                                                         \
    T r;                                                                       \
    const T mn = (T)(MIN);                                                     \
    const T mx = (T)(MAX);                                                     \
    assert_int_equal(Rtl##N##Add(mx, 0, &r), OK);                              \
    assert_true(r == mx);                                                      \
    r = 5;                                                                     \
    assert_int_equal(Rtl##N##Add(mx, 1, &r), OVF);                             \
    assert_true(r == (T)-1);                                                   \
    assert_int_equal(Rtl##N##Add(mn, -1, &r), OVF);                            \
    assert_int_equal(Rtl##N##Add(mn, mx, &r), OK);                             \
    assert_true(r == (T)-1);                                                   \
    assert_int_equal(Rtl##N##Add(mn, 0, &r), OK);                              \
    assert_true(r == mn);                                                      \
    assert_int_equal(Rtl##N##Sub(mn, 1, &r), OVF);                             \
    assert_int_equal(Rtl##N##Sub(mx, -1, &r), OVF);                            \
    assert_int_equal(Rtl##N##Sub(-1, mx, &r), OK);                             \
    assert_true(r == mn);                                                      \
    assert_int_equal(Rtl##N##Sub(0, mn, &r), OVF);                             \
    assert_int_equal(Rtl##N##Sub(0, mx, &r), OK);                              \
    assert_true(r == (T)(mn + 1));                                             \
    assert_int_equal(Rtl##N##Mult(mn, -1, &r), OVF);                           \
    assert_true(r == (T)-1);                                                   \
    assert_int_equal(Rtl##N##Mult(mx, -1, &r), OK);                            \
    assert_true(r == (T)(mn + 1));                                             \
    assert_int_equal(Rtl##N##Mult(mn, 1, &r), OK);                             \
    assert_true(r == mn);                                                      \
    assert_int_equal(Rtl##N##Mult(mx, 2, &r), OVF);                            \
    assert_int_equal(Rtl##N##Mult(mn, 2, &r), OVF);                            \
    assert_int_equal(Rtl##N##Mult((T)(mn / 2), 2, &r), OK);                    \
    assert_true(r == mn);                                                      \
    assert_int_equal(Rtl##N##Mult((T)(mx / 2 + 1), -2, &r), OK);               \
    assert_true(r == mn);                                                      \
    assert_int_equal(Rtl##N##Mult((T)(mx / 2 + 1), 2, &r), OVF);               \
    assert_int_equal(Rtl##N##Mult(0, mn, &r), OK);                             \
    assert_true(r == 0);                                                       \
  } while (0)

static void test_unsigned_arithmetic(void **state) {
  (void)state;
  UNSIGNED_CASES(UChar, UCHAR, 0xFF);
  UNSIGNED_CASES(UInt8, UINT8, 0xFF);
  UNSIGNED_CASES(Byte, BYTE, 0xFF);
  UNSIGNED_CASES(UShort, USHORT, 0xFFFF);
  UNSIGNED_CASES(Word, WORD, 0xFFFF);
  UNSIGNED_CASES(UInt, UINT, 0xFFFFFFFFu);
  UNSIGNED_CASES(ULong, ULONG, 0xFFFFFFFFu);
  UNSIGNED_CASES(DWord, DWORD, 0xFFFFFFFFu);
  UNSIGNED_CASES(ULongLong, ULONGLONG, UINT64_MAX);
  UNSIGNED_CASES(DWordLong, DWORDLONG, UINT64_MAX);
  UNSIGNED_CASES(ULong64, ULONG64, UINT64_MAX);
  UNSIGNED_CASES(DWord64, DWORD64, UINT64_MAX);
  UNSIGNED_CASES(UInt64, UINT64, UINT64_MAX);
  UNSIGNED_CASES(SizeT, size_t, SIZE_MAX);
  UNSIGNED_CASES(SIZET, SIZE_T, SIZE_MAX);
  UNSIGNED_CASES(ULongPtr, ULONG_PTR, UINTPTR_MAX);
  UNSIGNED_CASES(DWordPtr, DWORD_PTR, UINTPTR_MAX);
  UNSIGNED_CASES(UIntPtr, UINT_PTR, UINTPTR_MAX);
  // The error values the documentation's examples rely on.
  ULONG ul = 0;
  assert_int_equal(RtlULongAdd(0xFFFFFFFFu, 1, &ul), STATUS_INTEGER_OVERFLOW);
  assert_int_equal(ul, ULONG_ERROR);
  SIZE_T sz = 0;
  assert_int_equal(RtlSizeTMult((SIZE_T)1 << 32, (SIZE_T)1 << 32, &sz), OVF);
  assert_true(sz == SIZE_T_ERROR);
  assert_int_equal(RtlSizeTSub(3, 4, &sz), OVF);
  assert_true(sz == SIZE_T_ERROR);
}

static void test_signed_arithmetic(void **state) {
  (void)state;
  SIGNED_CASES(Int8, INT8, -128, 127);
  SIGNED_CASES(Short, SHORT, -32768, 32767);
  SIGNED_CASES(Int, INT, INT32_MIN, INT32_MAX);
  SIGNED_CASES(Long, LONG, INT32_MIN, INT32_MAX);
  SIGNED_CASES(LongLong, LONGLONG, INT64_MIN, INT64_MAX);
  SIGNED_CASES(Int64, INT64, INT64_MIN, INT64_MAX);
  SIGNED_CASES(Long64, LONG64, INT64_MIN, INT64_MAX);
  SIGNED_CASES(LongPtr, LONG_PTR, INTPTR_MIN, INTPTR_MAX);
  SIGNED_CASES(IntPtr, INT_PTR, INTPTR_MIN, INTPTR_MAX);
  SIGNED_CASES(SSIZET, SSIZE_T, INTPTR_MIN, INTPTR_MAX);
  SIGNED_CASES(PtrdiffT, ptrdiff_t, PTRDIFF_MIN, PTRDIFF_MAX);
  LONG l = 0;
  assert_int_equal(RtlLongMult(65536, 32768, &l), OVF);
  assert_int_equal(l, LONG_ERROR);
  assert_int_equal(RtlLongMult(-65536, 32768, &l), OK);
  assert_int_equal(l, INT32_MIN);
}

#define CONV(fn, FT, TT, v, ok, want)                                          \
  do {                                                                         \
    TT r_ = (TT)0x5A;                                                          \
    NTSTATUS st_ = fn(v, &r_);                                                 \
    assert_int_equal(st_, (ok) ? STATUS_SUCCESS : STATUS_INTEGER_OVERFLOW);    \
    assert_true(r_ == (want));                                                 \
  } while (0)

static void test_conversions(void **state) {
  (void)state;
  // The routines drivers use most, spelled out.
  ULONG ul = 0;
  assert_int_equal(RtlULongLongToULong(0xFFFFFFFFull, &ul), OK);
  assert_int_equal(ul, 0xFFFFFFFFu);
  assert_int_equal(RtlULongLongToULong(0x100000000ull, &ul), OVF);
  assert_int_equal(ul, ULONG_ERROR);
  assert_int_equal(RtlSizeTToULong((SIZE_T)0x100000000ull, &ul), OVF);
  assert_int_equal(RtlULongPtrToULong((ULONG_PTR)7, &ul), OK);
  assert_int_equal(ul, 7);
  assert_int_equal(RtlLongToULong(-1, &ul), OVF);
  assert_int_equal(ul, ULONG_ERROR);
  USHORT us = 0;
  assert_int_equal(RtlULongToUShort(0x10000u, &us), OVF);
  assert_int_equal(us, USHORT_ERROR);
  assert_int_equal(RtlULongToUShort(0xFFFFu, &us), OK);
  UINT ui = 0;
  assert_int_equal(RtlIntToUInt(-5, &ui), OVF);
  assert_int_equal(ui, UINT_ERROR);
  LONG l = 0;
  assert_int_equal(RtlLongLongToLong(INT64_C(-2147483649), &l), OVF);
  assert_int_equal(l, LONG_ERROR);
  assert_int_equal(RtlLongLongToLong(INT64_C(-2147483648), &l), OK);
  assert_int_equal(l, INT32_MIN);
  // Every conversion of ntintsafe.h at its bounds.
#include "test_intsafe_conv.inc"
}

static void test_core(void **state) {
  (void)state;
  uint64_t u = 0;
  int64_t s = 0;
  assert_int_equal(kp_int_uadd(UINT64_MAX, 0, UINT64_MAX, &u),
                   KP_STATUS_SUCCESS);
  assert_int_equal(kp_int_uadd(UINT64_MAX, 1, UINT64_MAX, &u),
                   KP_STATUS_INTEGER_OVERFLOW);
  assert_true(u == UINT64_MAX);
  // An operand already above the type's maximum fails.
  assert_int_equal(kp_int_uadd(300, 0, 255, &u), KP_STATUS_INTEGER_OVERFLOW);
  assert_int_equal(kp_int_umul(UINT64_MAX, UINT64_MAX, UINT64_MAX, &u),
                   KP_STATUS_INTEGER_OVERFLOW);
  assert_int_equal(kp_int_umul(0x100000000ull, 0xFFFFFFFFull, UINT64_MAX, &u),
                   KP_STATUS_SUCCESS);
  assert_true(u == 0xFFFFFFFF00000000ull);
  assert_int_equal(kp_int_smul(INT64_MIN, -1, INT64_MIN, INT64_MAX, &s),
                   KP_STATUS_INTEGER_OVERFLOW);
  assert_true(s == -1);
  assert_int_equal(kp_int_smul(INT64_MIN / 2, 2, INT64_MIN, INT64_MAX, &s),
                   KP_STATUS_SUCCESS);
  assert_true(s == INT64_MIN);
  assert_int_equal(kp_int_sadd(INT64_MAX, INT64_MIN, INT64_MIN, INT64_MAX, &s),
                   KP_STATUS_SUCCESS);
  assert_true(s == -1);
  assert_int_equal(kp_int_ssub(INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX, &s),
                   KP_STATUS_INTEGER_OVERFLOW);
  assert_int_equal(kp_int_stou(-1, UINT64_MAX, &u), KP_STATUS_INTEGER_OVERFLOW);
  assert_int_equal(kp_int_stos(128, -128, 127, &s), KP_STATUS_INTEGER_OVERFLOW);
  assert_int_equal(kp_int_utou(255, 255, &u), KP_STATUS_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unsigned_arithmetic),
      cmocka_unit_test(test_signed_arithmetic),
      cmocka_unit_test(test_conversions),
      cmocka_unit_test(test_core),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
