/*
 * test_strsafe.c — ntstrsafe.h: every family (Cch/Cb x A/W x Copy, CopyN,
 * Cat, CatN, Printf, VPrintf, Length, their Ex forms, CopyUnicodeString,
 * the UNICODE_STRING forms) at its edges: zero sizes, exact fits, one
 * short, NTSTRSAFE_MAX_CCH and one more, NULLs with and without
 * STRSAFE_IGNORE_NULLS, each flag, and the exact buffer contents
 * (fill bytes included) after each call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ntstrsafe.h>

#define MAXCCH ((size_t)NTSTRSAFE_MAX_CCH)
#define GUARD 0x7E

/* A buffer pre-filled with GUARD so that every byte written shows. */
static void guard(void *p, size_t n) { memset(p, GUARD, n); }

static void assert_bytes(const void *got, const void *want, size_t n) {
  assert_memory_equal(got, want, n);
}

static size_t wlen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

static void assert_wstr(const WCHAR *got, const char *want) {
  size_t n = strlen(want);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(got[i], (unsigned char)want[i]);
  assert_int_equal(got[n], 0);
}

/* ---------------------------------------------------------------------------
 * Copy
 * ------------------------------------------------------------------------- */

static void test_copy_a_edges(void **state) {
  (void)state;
  char b[8];
  // Exact fit: 3 characters and the NUL in 4.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyA(b, 4, "abc"), STATUS_SUCCESS);
  assert_bytes(b, "abc\0\x7E", 5);
  // One short: truncated, terminated, STATUS_BUFFER_OVERFLOW (not NT_SUCCESS).
  guard(b, sizeof b);
  NTSTATUS st = RtlStringCchCopyA(b, 3, "abc");
  assert_int_equal(st, STATUS_BUFFER_OVERFLOW);
  assert_false(NT_SUCCESS(st));
  assert_bytes(b, "ab\0\x7E", 4);
  // Size 1: only the NUL fits.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyA(b, 1, "abc"), STATUS_BUFFER_OVERFLOW);
  assert_int_equal(b[0], 0);
  assert_int_equal(b[1], GUARD);
  // Empty source.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyA(b, 1, ""), STATUS_SUCCESS);
  assert_int_equal(b[0], 0);
  // Size 0, size above the maximum, NULLs: invalid, nothing written.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyA(b, 0, "abc"), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyA(b, MAXCCH + 1, "abc"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyA(b, 4, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyA(NULL, 4, "abc"), STATUS_INVALID_PARAMETER);
  assert_int_equal(b[0], GUARD);
  // The maximum itself is a valid size (only the string's bytes are touched).
  assert_int_equal(RtlStringCchCopyA(b, MAXCCH, "xy"), STATUS_SUCCESS);
  assert_bytes(b, "xy\0\x7E", 4);
  // Cb for char: the same in bytes; the maximum is NTSTRSAFE_MAX_CCH bytes.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCbCopyA(b, 4, "abcd"), STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "abc\0", 4);
  assert_int_equal(RtlStringCbCopyA(b, MAXCCH, "q"), STATUS_SUCCESS);
  assert_int_equal(RtlStringCbCopyA(b, MAXCCH + 1, "q"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCbCopyA(b, 0, "q"), STATUS_INVALID_PARAMETER);
}

static void test_copy_w_edges(void **state) {
  (void)state;
  WCHAR w[8];
  guard(w, sizeof w);
  assert_int_equal(RtlStringCchCopyW(w, 4, (PCWSTR)u"abc"), STATUS_SUCCESS);
  assert_wstr(w, "abc");
  assert_int_equal(w[4], 0x7E7E);
  guard(w, sizeof w);
  assert_int_equal(RtlStringCchCopyW(w, 3, (PCWSTR)u"abc"),
                   STATUS_BUFFER_OVERFLOW);
  assert_wstr(w, "ab");
  // Cb: 8 bytes are 4 WCHARs; 7 bytes are 3 (the odd byte is unused).
  guard(w, sizeof w);
  assert_int_equal(RtlStringCbCopyW(w, 8, (PCWSTR)u"abc"), STATUS_SUCCESS);
  assert_wstr(w, "abc");
  guard(w, sizeof w);
  assert_int_equal(RtlStringCbCopyW(w, 7, (PCWSTR)u"abc"),
                   STATUS_BUFFER_OVERFLOW);
  assert_wstr(w, "ab");
  // 1 byte holds no WCHAR: a zero-size buffer.
  assert_int_equal(RtlStringCbCopyW(w, 1, (PCWSTR)u"a"),
                   STATUS_INVALID_PARAMETER);
  // Maximum in bytes: NTSTRSAFE_MAX_CCH * sizeof(WCHAR).
  assert_int_equal(RtlStringCbCopyW(w, MAXCCH * 2, (PCWSTR)u"a"),
                   STATUS_SUCCESS);
  assert_int_equal(RtlStringCbCopyW(w, MAXCCH * 2 + 1, (PCWSTR)u"a"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyW(w, MAXCCH + 1, (PCWSTR)u"a"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyW(w, MAXCCH, (PCWSTR)u"a"), STATUS_SUCCESS);
}

static void test_copy_ex_outputs_and_flags(void **state) {
  (void)state;
  char b[8];
  char *end = NULL;
  size_t rem = 99;
  // Success: end at the NUL, remaining counts the NUL.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyExA(b, 8, "abc", &end, &rem, 0),
                   STATUS_SUCCESS);
  assert_ptr_equal(end, b + 3);
  assert_int_equal(rem, 5);
  assert_int_equal(b[4], GUARD);
  // Truncation: end at the last character, remaining 1.
  assert_int_equal(RtlStringCchCopyExA(b, 3, "abcdef", &end, &rem, 0),
                   STATUS_BUFFER_OVERFLOW);
  assert_ptr_equal(end, b + 2);
  assert_int_equal(rem, 1);
  // FILL_BEHIND_NULL: every byte after the NUL gets the fill byte.
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchCopyExA(b, 6, "ab", &end, &rem, STRSAFE_FILL_BYTE('z')),
      STATUS_SUCCESS);
  assert_bytes(b, "ab\0zzz\x7E", 7);
  assert_int_equal(rem, 4);
  // FILL_BEHIND_NULL when the string fills the buffer: nothing to fill.
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchCopyExA(b, 3, "ab", NULL, NULL, STRSAFE_FILL_BYTE('z')),
      STATUS_SUCCESS);
  assert_bytes(b, "ab\0\x7E", 4);
  // FILL_ON_FAILURE: the whole buffer filled, NUL in the last unit.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyExA(b, 5, "abcdef", &end, &rem,
                                       STRSAFE_FAILURE_BYTE('f')),
                   STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "ffff\0\x7E", 6);
  assert_ptr_equal(end, b + 4);
  assert_int_equal(rem, 1);
  // Fill byte 0: the buffer is all zero, the result empty.
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchCopyExA(b, 5, "abcdef", &end, &rem, STRSAFE_FILL_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "\0\0\0\0\0\x7E", 6);
  assert_ptr_equal(end, b);
  assert_int_equal(rem, 5);
  // NULL_ON_FAILURE and NO_TRUNCATION: the result is "".
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchCopyExA(b, 4, "abcdef", &end, &rem, STRSAFE_NULL_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "\0bc\0\x7E", 5);
  assert_ptr_equal(end, b);
  assert_int_equal(rem, 4);
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchCopyExA(b, 4, "abcdef", &end, &rem, STRSAFE_NO_TRUNCATION),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(b[0], 0);
  assert_int_equal(rem, 4);
  // FILL_ON_FAILURE then NULL_ON_FAILURE: filled, then emptied.
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchCopyExA(b, 4, "abcdef", NULL, NULL,
                          STRSAFE_FAILURE_BYTE('f') | STRSAFE_NULL_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "\0ff\0\x7E", 5);
  // No flag applies on success but FILL_BEHIND_NULL.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyExA(b, 4, "abc", NULL, NULL,
                                       STRSAFE_FAILURE_BYTE('f') |
                                           STRSAFE_NULL_ON_FAILURE |
                                           STRSAFE_NO_TRUNCATION),
                   STATUS_SUCCESS);
  assert_bytes(b, "abc\0\x7E", 5);
  // An invalid flag: STATUS_INVALID_PARAMETER, nothing written, outputs kept.
  guard(b, sizeof b);
  end = (char *)&rem;
  rem = 77;
  assert_int_equal(RtlStringCchCopyExA(b, 8, "abc", &end, &rem, 0x2000),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(b[0], GUARD);
  assert_ptr_equal(end, (char *)&rem);
  assert_int_equal(rem, 77);
  // The W form fills bytes, and Cb reports bytes (plus an odd byte).
  WCHAR w[6];
  PWSTR wend = NULL;
  guard(w, sizeof w);
  assert_int_equal(RtlStringCbCopyExW(w, 11, (PCWSTR)u"ab", &wend, &rem,
                                      STRSAFE_FILL_BYTE(0x41)),
                   STATUS_SUCCESS);
  assert_wstr(w, "ab");
  assert_int_equal(w[3], 0x4141);
  assert_int_equal(w[4], 0x4141);
  assert_int_equal(w[5], 0x7E7E);
  assert_ptr_equal(wend, w + 2);
  assert_int_equal(rem, 3 * 2 + 1);
  assert_int_equal(RtlStringCchCopyExW(w, 5, (PCWSTR)u"ab", &wend, &rem, 0),
                   STATUS_SUCCESS);
  assert_int_equal(rem, 3);
}

static void test_copy_ex_ignore_nulls(void **state) {
  (void)state;
  char b[4];
  char *end = (char *)1;
  size_t rem = 9;
  guard(b, sizeof b);
  // A NULL source is "".
  assert_int_equal(
      RtlStringCchCopyExA(b, 4, NULL, &end, &rem, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  assert_int_equal(b[0], 0);
  assert_ptr_equal(end, b);
  assert_int_equal(rem, 4);
  // Without the flag a NULL source is invalid.
  assert_int_equal(RtlStringCchCopyExA(b, 4, NULL, NULL, NULL, 0),
                   STATUS_INVALID_PARAMETER);
  // A NULL destination needs size 0, then an empty source succeeds...
  assert_int_equal(
      RtlStringCchCopyExA(NULL, 0, "", &end, &rem, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  assert_null(end);
  assert_int_equal(rem, 0);
  assert_int_equal(
      RtlStringCchCopyExA(NULL, 0, NULL, NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  // ...and a non-empty one is invalid.
  assert_int_equal(
      RtlStringCchCopyExA(NULL, 0, "a", NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_INVALID_PARAMETER);
  assert_int_equal(
      RtlStringCchCopyExA(NULL, 4, "", NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_INVALID_PARAMETER);
  // A real buffer of size 0 (allowed with the flag): overflow for text.
  assert_int_equal(
      RtlStringCchCopyExA(b, 0, "a", NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(RtlStringCchCopyExA(b, 0, "a", NULL, NULL, 0),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyExA(NULL, 4, "a", NULL, NULL, 0),
                   STATUS_INVALID_PARAMETER);
}

static void test_copy_n(void **state) {
  (void)state;
  char b[8];
  char src[4] = {'w', 'x', 'y', 'z'}; // not terminated
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyNA(b, 8, src, 4), STATUS_SUCCESS);
  assert_bytes(b, "wxyz\0\x7E", 6);
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyNA(b, 8, "abcdef", 2), STATUS_SUCCESS);
  assert_bytes(b, "ab\0\x7E", 4);
  // The limit beyond the string: stops at its NUL.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyNA(b, 8, "ab", 100), STATUS_SUCCESS);
  assert_bytes(b, "ab\0\x7E", 4);
  // Exact fit and one short, limited by the buffer.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyNA(b, 5, src, 4), STATUS_SUCCESS);
  assert_bytes(b, "wxyz\0", 5);
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyNA(b, 4, src, 4), STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "wxy\0", 4);
  // Zero characters to copy: "".
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchCopyNA(b, 4, "abc", 0), STATUS_SUCCESS);
  assert_int_equal(b[0], 0);
  // The limit is checked against the maximum.
  assert_int_equal(RtlStringCchCopyNA(b, 3, "abc", MAXCCH),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(RtlStringCchCopyNA(b, 4, "abc", MAXCCH + 1),
                   STATUS_INVALID_PARAMETER);
  // Cb W: cbToCopy in bytes (an odd byte count rounds down).
  WCHAR w[8];
  guard(w, sizeof w);
  assert_int_equal(RtlStringCbCopyNW(w, sizeof w, (PCWSTR)u"abcdef", 5),
                   STATUS_SUCCESS);
  assert_wstr(w, "ab");
  assert_int_equal(RtlStringCbCopyNW(w, sizeof w, (PCWSTR)u"a", MAXCCH * 2 + 1),
                   STATUS_INVALID_PARAMETER);
  // Ex forms.
  PWSTR wend = NULL;
  size_t rem = 0;
  guard(w, sizeof w);
  assert_int_equal(RtlStringCchCopyNExW(w, 4, (PCWSTR)u"abcdef", 6, &wend, &rem,
                                        STRSAFE_NO_TRUNCATION),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(w[0], 0);
  assert_ptr_equal(wend, w);
  assert_int_equal(rem, 4);
  char *end = NULL;
  guard(b, sizeof b);
  assert_int_equal(RtlStringCbCopyNExA(b, 6, "abcdef", 3, &end, &rem,
                                       STRSAFE_FILL_BYTE('.')),
                   STATUS_SUCCESS);
  assert_bytes(b, "abc\0..\x7E", 7);
  assert_ptr_equal(end, b + 3);
  assert_int_equal(rem, 3);
  assert_int_equal(
      RtlStringCchCopyNExA(b, 4, NULL, 2, NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
}

/* ---------------------------------------------------------------------------
 * Cat
 * ------------------------------------------------------------------------- */

static void test_cat(void **state) {
  (void)state;
  char b[8];
  guard(b, sizeof b);
  memcpy(b, "ab", 3);
  assert_int_equal(RtlStringCchCatA(b, 6, "cde"), STATUS_SUCCESS);
  assert_bytes(b, "abcde\0\x7E", 7);
  // Exact fit, then one more character.
  memcpy(b, "ab", 3);
  assert_int_equal(RtlStringCchCatA(b, 4, "c"), STATUS_SUCCESS);
  assert_bytes(b, "abc\0", 4);
  memcpy(b, "ab", 3);
  assert_int_equal(RtlStringCchCatA(b, 4, "cd"), STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "abc\0", 4);
  // A full destination: nothing fits, still overflow.
  assert_int_equal(RtlStringCchCatA(b, 4, "x"), STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "abc\0", 4);
  assert_int_equal(RtlStringCchCatA(b, 4, ""), STATUS_SUCCESS);
  // No NUL within the size: invalid, untouched.
  memset(b, 'q', sizeof b);
  assert_int_equal(RtlStringCchCatA(b, 4, "x"), STATUS_INVALID_PARAMETER);
  assert_int_equal(b[3], 'q');
  assert_int_equal(b[4], 'q');
  // Sizes and NULLs.
  memcpy(b, "ab", 3);
  assert_int_equal(RtlStringCchCatA(b, 0, "x"), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCatA(b, MAXCCH + 1, "x"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCatA(b, MAXCCH, "x"), STATUS_SUCCESS);
  assert_bytes(b, "abx\0", 4);
  assert_int_equal(RtlStringCchCatA(b, 8, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCatA(NULL, 8, "x"), STATUS_INVALID_PARAMETER);
  // W and Cb.
  WCHAR w[6] = {'a', 0};
  assert_int_equal(RtlStringCbCatW(w, 8, (PCWSTR)u"bcd"),
                   STATUS_BUFFER_OVERFLOW);
  assert_wstr(w, "abc");
  assert_int_equal(RtlStringCchCatW(w, 6, (PCWSTR)u"de"), STATUS_SUCCESS);
  assert_wstr(w, "abcde");
}

static void test_cat_ex(void **state) {
  (void)state;
  char b[8];
  char *end = NULL;
  size_t rem = 0;
  guard(b, sizeof b);
  memcpy(b, "ab", 3);
  assert_int_equal(
      RtlStringCchCatExA(b, 7, "c", &end, &rem, STRSAFE_FILL_BYTE('-')),
      STATUS_SUCCESS);
  assert_bytes(b, "abc\0---\x7E", 8);
  assert_ptr_equal(end, b + 3);
  assert_int_equal(rem, 4);
  // Overflow with NO_TRUNCATION: the original string stays.
  guard(b, sizeof b);
  memcpy(b, "ab", 3);
  assert_int_equal(
      RtlStringCchCatExA(b, 5, "cdef", &end, &rem, STRSAFE_NO_TRUNCATION),
      STATUS_BUFFER_OVERFLOW);
  assert_string_equal(b, "ab");
  assert_ptr_equal(end, b + 2);
  assert_int_equal(rem, 3);
  // NULL_ON_FAILURE: the whole destination becomes "".
  memcpy(b, "ab", 3);
  assert_int_equal(
      RtlStringCchCatExA(b, 5, "cdef", &end, &rem, STRSAFE_NULL_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(b[0], 0);
  assert_ptr_equal(end, b);
  assert_int_equal(rem, 5);
  // FILL_ON_FAILURE overwrites the original too.
  guard(b, sizeof b);
  memcpy(b, "ab", 3);
  assert_int_equal(
      RtlStringCchCatExA(b, 5, "cdef", &end, &rem, STRSAFE_FAILURE_BYTE('#')),
      STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "####\0\x7E", 6);
  assert_int_equal(rem, 1);
  // Plain overflow: truncated result.
  memcpy(b, "ab", 3);
  assert_int_equal(RtlStringCchCatExA(b, 5, "cdef", &end, &rem, 0),
                   STATUS_BUFFER_OVERFLOW);
  assert_string_equal(b, "abcd");
  assert_ptr_equal(end, b + 4);
  assert_int_equal(rem, 1);
  // Unterminated destination with a failure flag: the flag applies.
  memset(b, 'q', sizeof b);
  end = NULL;
  assert_int_equal(
      RtlStringCchCatExA(b, 4, "x", &end, &rem, STRSAFE_NULL_ON_FAILURE),
      STATUS_INVALID_PARAMETER);
  assert_int_equal(b[0], 0);
  assert_null(end);
  // IGNORE_NULLS.
  memcpy(b, "ab", 3);
  assert_int_equal(
      RtlStringCchCatExA(b, 8, NULL, &end, &rem, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  assert_string_equal(b, "ab");
  assert_int_equal(rem, 6);
  assert_int_equal(
      RtlStringCchCatExA(NULL, 0, "", NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  assert_int_equal(
      RtlStringCchCatExA(NULL, 0, "z", NULL, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_INVALID_PARAMETER);
  // Cb W remaining bytes.
  WCHAR w[5] = {'a', 0};
  PWSTR wend = NULL;
  assert_int_equal(RtlStringCbCatExW(w, 9, (PCWSTR)u"b", &wend, &rem, 0),
                   STATUS_SUCCESS);
  assert_ptr_equal(wend, w + 2);
  assert_int_equal(rem, 2 * 2 + 1);
  assert_int_equal(RtlStringCbCatExW(w, 9, (PCWSTR)u"b", NULL, NULL, 0x10000),
                   STATUS_INVALID_PARAMETER);
}

static void test_cat_n(void **state) {
  (void)state;
  char b[8] = "ab";
  char src[3] = {'x', 'y', 'z'}; // not terminated
  assert_int_equal(RtlStringCchCatNA(b, 8, src, 2), STATUS_SUCCESS);
  assert_string_equal(b, "abxy");
  assert_int_equal(RtlStringCchCatNA(b, 6, src, 3), STATUS_BUFFER_OVERFLOW);
  assert_string_equal(b, "abxyx");
  assert_int_equal(RtlStringCchCatNA(b, 8, "q", MAXCCH + 1),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCbCatNA(b, 8, "12345", 0), STATUS_SUCCESS);
  assert_string_equal(b, "abxyx");
  char *end = NULL;
  size_t rem = 0;
  assert_int_equal(
      RtlStringCchCatNExA(b, 8, "12345", 5, &end, &rem, STRSAFE_NO_TRUNCATION),
      STATUS_BUFFER_OVERFLOW);
  assert_string_equal(b, "abxyx");
  assert_int_equal(rem, 3);
  WCHAR w[6] = {'a', 0};
  assert_int_equal(RtlStringCbCatNW(w, sizeof w, (PCWSTR)u"bcdef", 4),
                   STATUS_SUCCESS);
  assert_wstr(w, "abc");
  PWSTR wend = NULL;
  assert_int_equal(
      RtlStringCbCatNExW(w, sizeof w, (PCWSTR)u"de", 4, &wend, &rem, 0),
      STATUS_SUCCESS);
  assert_wstr(w, "abcde");
  assert_int_equal(rem, 2);
  assert_int_equal(RtlStringCchCatNExW(w, 6, (PCWSTR)u"f", 1, &wend, &rem, 0),
                   STATUS_BUFFER_OVERFLOW);
}

/* ---------------------------------------------------------------------------
 * Printf
 * ------------------------------------------------------------------------- */

static NTSTATUS vprintf_a(char *b, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  NTSTATUS st = RtlStringCchVPrintfA(b, n, fmt, ap);
  va_end(ap);
  return st;
}

static NTSTATUS vprintf_ex_w(PWSTR b, size_t cb, PWSTR *end, size_t *rem,
                             DWORD flags, PCWSTR fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  NTSTATUS st = RtlStringCbVPrintfExW(b, cb, end, rem, flags, fmt, ap);
  va_end(ap);
  return st;
}

static void test_printf(void **state) {
  (void)state;
  char b[16];
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchPrintfA(b, 16, "%lu-%ws-%I64x", (ULONG)42,
                                       (PCWSTR)u"w", (ULONG64)0xABCull),
                   STATUS_SUCCESS);
  assert_string_equal(b, "42-w-abc");
  // Exact fit (7 + NUL in 8), one short.
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchPrintfA(b, 8, "%s", "1234567"), STATUS_SUCCESS);
  assert_bytes(b, "1234567\0\x7E", 9);
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchPrintfA(b, 7, "%s", "1234567"),
                   STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "123456\0\x7E", 8);
  assert_int_equal(RtlStringCchPrintfA(b, 0, "x"), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchPrintfA(b, MAXCCH + 1, "x"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchPrintfA(b, MAXCCH, "%d", 5), STATUS_SUCCESS);
  assert_string_equal(b, "5");
  assert_int_equal(RtlStringCchPrintfA(b, 16, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(vprintf_a(b, 4, "%d%d", 12, 34), STATUS_BUFFER_OVERFLOW);
  assert_string_equal(b, "123");
  assert_int_equal(RtlStringCbPrintfA(b, 5, "%c%c%c", 'a', 'b', 'c'),
                   STATUS_SUCCESS);
  assert_string_equal(b, "abc");
  // Floating point is formatted by the safe-string printf.
  assert_int_equal(RtlStringCbPrintfA(b, 16, "%.2f", 1.5), STATUS_SUCCESS);
  assert_string_equal(b, "1.50");
  // W: %s is a wide string, %S a narrow one.
  WCHAR w[16];
  assert_int_equal(
      RtlStringCchPrintfW(w, 16, (PCWSTR)u"%s|%S|%d", (PCWSTR)u"wi", "na", -3),
      STATUS_SUCCESS);
  assert_wstr(w, "wi|na|-3");
  assert_int_equal(RtlStringCbPrintfW(w, 8, (PCWSTR)u"%s", (PCWSTR)u"abcdef"),
                   STATUS_BUFFER_OVERFLOW);
  assert_wstr(w, "abc");
}

static void test_printf_ex(void **state) {
  (void)state;
  char b[10];
  char *end = NULL;
  size_t rem = 0;
  guard(b, sizeof b);
  assert_int_equal(
      RtlStringCchPrintfExA(b, 8, &end, &rem, STRSAFE_FILL_BYTE('*'), "%d", 12),
      STATUS_SUCCESS);
  assert_bytes(b, "12\0*****\x7E", 9);
  assert_ptr_equal(end, b + 2);
  assert_int_equal(rem, 6);
  guard(b, sizeof b);
  assert_int_equal(RtlStringCchPrintfExA(b, 4, &end, &rem,
                                         STRSAFE_FAILURE_BYTE('!'), "%s",
                                         "toolong"),
                   STATUS_BUFFER_OVERFLOW);
  assert_bytes(b, "!!!\0\x7E", 5);
  assert_ptr_equal(end, b + 3);
  assert_int_equal(rem, 1);
  assert_int_equal(RtlStringCchPrintfExA(b, 4, &end, &rem,
                                         STRSAFE_NO_TRUNCATION, "%s",
                                         "toolong"),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(b[0], 0);
  assert_int_equal(rem, 4);
  // IGNORE_NULLS: a NULL format is "", a NULL buffer of size 0 measures
  // nothing.
  assert_int_equal(
      RtlStringCchPrintfExA(b, 4, &end, &rem, STRSAFE_IGNORE_NULLS, NULL),
      STATUS_SUCCESS);
  assert_int_equal(b[0], 0);
  assert_int_equal(
      RtlStringCchPrintfExA(NULL, 0, NULL, NULL, STRSAFE_IGNORE_NULLS, ""),
      STATUS_SUCCESS);
  assert_int_equal(
      RtlStringCchPrintfExA(NULL, 0, NULL, NULL, STRSAFE_IGNORE_NULLS, "x"),
      STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchPrintfExA(b, 4, NULL, NULL, 0x4000, "x"),
                   STATUS_INVALID_PARAMETER);
  // Cb W through the va_list form.
  WCHAR w[6];
  PWSTR wend = NULL;
  assert_int_equal(vprintf_ex_w(w, 11, &wend, &rem, 0, (PCWSTR)u"%u", 77u),
                   STATUS_SUCCESS);
  assert_wstr(w, "77");
  assert_ptr_equal(wend, w + 2);
  assert_int_equal(rem, 3 * 2 + 1);
  assert_int_equal(RtlStringCbPrintfExW(w, 12, &wend, &rem, 0, (PCWSTR)u"%s",
                                        (PCWSTR)u"123456"),
                   STATUS_BUFFER_OVERFLOW);
  assert_wstr(w, "12345");
  assert_int_equal(rem, 2);
}

/* ---------------------------------------------------------------------------
 * Length
 * ------------------------------------------------------------------------- */

static void test_length(void **state) {
  (void)state;
  size_t n = 99;
  assert_int_equal(RtlStringCchLengthA("abc", 4, &n), STATUS_SUCCESS);
  assert_int_equal(n, 3);
  // The NUL must be within cchMax.
  n = 99;
  assert_int_equal(RtlStringCchLengthA("abc", 3, &n), STATUS_INVALID_PARAMETER);
  assert_int_equal(n, 0);
  assert_int_equal(RtlStringCchLengthA("", 1, &n), STATUS_SUCCESS);
  assert_int_equal(n, 0);
  assert_int_equal(RtlStringCchLengthA("", 0, &n), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchLengthA(NULL, 4, &n), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchLengthA("abc", MAXCCH, &n), STATUS_SUCCESS);
  assert_int_equal(RtlStringCchLengthA("abc", MAXCCH + 1, &n),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchLengthA("abc", 8, NULL), STATUS_SUCCESS);
  // Cb W: bytes in and out.
  assert_int_equal(RtlStringCbLengthW((PCWSTR)u"abc", 8, &n), STATUS_SUCCESS);
  assert_int_equal(n, 6);
  assert_int_equal(RtlStringCbLengthW((PCWSTR)u"abc", 7, &n),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCbLengthW((PCWSTR)u"abc", MAXCCH * 2 + 1, &n),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchLengthW((PCWSTR)u"abcd", 5, &n), STATUS_SUCCESS);
  assert_int_equal(n, 4);
  assert_int_equal(RtlStringCbLengthA("abcd", 5, &n), STATUS_SUCCESS);
  assert_int_equal(n, 4);
  assert_int_equal(RtlUnalignedStringCchLengthW((PCWSTR)u"ab", 3, &n),
                   STATUS_SUCCESS);
  assert_int_equal(n, 2);
  assert_int_equal(RtlUnalignedStringCbLengthW((PCWSTR)u"ab", 6, &n),
                   STATUS_SUCCESS);
  assert_int_equal(n, 4);
}

/* ---------------------------------------------------------------------------
 * UNICODE_STRING forms
 * ------------------------------------------------------------------------- */

static UNICODE_STRING ustr(PWCH buf, USHORT len_chars, USHORT max_chars) {
  UNICODE_STRING u;
  u.Buffer = buf;
  u.Length = (USHORT)(len_chars * 2);
  u.MaximumLength = (USHORT)(max_chars * 2);
  return u;
}

static void test_copy_unicode_string_to_buffer(void **state) {
  (void)state;
  WCHAR src_buf[] = {'a', 'b', 0, 'c'}; // an embedded NUL is copied as data
  UNICODE_STRING src = ustr(src_buf, 4, 4);
  WCHAR w[8];
  guard(w, sizeof w);
  assert_int_equal(RtlStringCchCopyUnicodeString(w, 5, &src), STATUS_SUCCESS);
  assert_int_equal(w[0], 'a');
  assert_int_equal(w[2], 0);
  assert_int_equal(w[3], 'c');
  assert_int_equal(w[4], 0);
  assert_int_equal(w[5], 0x7E7E);
  guard(w, sizeof w);
  assert_int_equal(RtlStringCbCopyUnicodeString(w, 6, &src),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(w[1], 'b');
  assert_int_equal(w[2], 0);
  PWSTR end = NULL;
  size_t rem = 0;
  assert_int_equal(RtlStringCbCopyUnicodeStringEx(w, 16, &src, &end, &rem, 0),
                   STATUS_SUCCESS);
  assert_ptr_equal(end, w + 4);
  assert_int_equal(rem, 8);
  // An invalid UNICODE_STRING, a NULL one.
  UNICODE_STRING odd = src;
  odd.Length = 3;
  assert_int_equal(RtlStringCchCopyUnicodeString(w, 8, &odd),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyUnicodeString(w, 8, NULL),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlStringCchCopyUnicodeStringEx(w, 8, NULL, &end, &rem,
                                                   STRSAFE_IGNORE_NULLS),
                   STATUS_SUCCESS);
  assert_int_equal(w[0], 0);
  assert_int_equal(rem, 8);
}

static void test_unicode_string_init_validate(void **state) {
  (void)state;
  UNICODE_STRING u;
  assert_int_equal(RtlUnicodeStringInit(&u, (PCWSTR)u"abc"), STATUS_SUCCESS);
  assert_int_equal(u.Length, 6);
  assert_int_equal(u.MaximumLength, 8);
  assert_int_equal(u.Buffer[0], 'a');
  assert_int_equal(RtlUnicodeStringInit(&u, NULL), STATUS_SUCCESS);
  assert_int_equal(u.Length, 0);
  assert_int_equal(u.MaximumLength, 0);
  assert_null(u.Buffer);
  assert_int_equal(RtlUnicodeStringInit(NULL, (PCWSTR)u"a"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringInit(NULL, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringInitEx(NULL, NULL, STRSAFE_IGNORE_NULLS),
                   STATUS_SUCCESS);
  assert_int_equal(
      RtlUnicodeStringInitEx(NULL, (PCWSTR)u"a", STRSAFE_IGNORE_NULLS),
      STATUS_INVALID_PARAMETER);
  assert_int_equal(
      RtlUnicodeStringInitEx(&u, (PCWSTR)u"a", STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  assert_int_equal(
      RtlUnicodeStringInitEx(&u, (PCWSTR)u"a", STRSAFE_FILL_BEHIND),
      STATUS_INVALID_PARAMETER);
  // 32766 characters fit (MaximumLength 65534); 32767 do not.
  static WCHAR big[32768];
  for (size_t i = 0; i < 32767; i++) big[i] = 'x';
  big[32767] = 0;
  assert_int_equal(RtlUnicodeStringInit(&u, big), STATUS_INVALID_PARAMETER);
  assert_int_equal(u.Length, 0);
  assert_null(u.Buffer);
  big[32766] = 0;
  assert_int_equal(RtlUnicodeStringInit(&u, big), STATUS_SUCCESS);
  assert_int_equal(u.Length, 65532);
  assert_int_equal(u.MaximumLength, 65534);
  assert_int_equal(RtlUnicodeStringValidate(&u), STATUS_SUCCESS);
  // Validate: odd lengths, Length > MaximumLength, too large, NULL buffer.
  WCHAR b[4];
  UNICODE_STRING v = ustr(b, 1, 4);
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_SUCCESS);
  v.Length = 3;
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
  v = ustr(b, 1, 4);
  v.MaximumLength = 7;
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
  v = ustr(b, 3, 2);
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
  v = ustr(b, 0, 0);
  v.MaximumLength = 65535;
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
  v = ustr(NULL, 1, 1);
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
  v = ustr(NULL, 0, 0);
  assert_int_equal(RtlUnicodeStringValidate(&v), STATUS_SUCCESS);
  assert_int_equal(RtlUnicodeStringValidate(NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringValidateEx(NULL, STRSAFE_IGNORE_NULLS),
                   STATUS_SUCCESS);
  assert_int_equal(RtlUnicodeStringValidateEx(&u, 0x200),
                   STATUS_INVALID_PARAMETER);
}

static void test_unicode_string_copy(void **state) {
  (void)state;
  WCHAR db[4];
  WCHAR sb[] = {'a', 'b', 'c', 'd', 'e'};
  UNICODE_STRING src = ustr(sb, 3, 5);
  UNICODE_STRING d = ustr(db, 0, 4);
  UNICODE_STRING rest;
  guard(db, sizeof db);
  assert_int_equal(RtlUnicodeStringCopy(&d, &src), STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(db[2], 'c');
  // Not NUL-terminated.
  assert_int_equal(db[3], 0x7E7E);
  // Exact fit, overflow.
  src.Length = 8;
  assert_int_equal(RtlUnicodeStringCopy(&d, &src), STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  assert_int_equal(db[3], 'd');
  src.Length = 10;
  guard(db, sizeof db);
  assert_int_equal(RtlUnicodeStringCopyEx(&d, &src, &rest, 0),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 8);
  assert_int_equal(db[3], 'd');
  assert_ptr_equal(rest.Buffer, db + 4);
  assert_int_equal(rest.Length, 0);
  assert_int_equal(rest.MaximumLength, 0);
  // Failure flags.
  assert_int_equal(
      RtlUnicodeStringCopyEx(&d, &src, &rest, STRSAFE_NO_TRUNCATION),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  assert_int_equal(rest.MaximumLength, 8);
  assert_int_equal(
      RtlUnicodeStringCopyEx(&d, &src, NULL, STRSAFE_ZERO_LENGTH_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  assert_int_equal(
      RtlUnicodeStringCopyEx(&d, &src, NULL, STRSAFE_FAILURE_BYTE(0x31)),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 8);
  assert_int_equal(db[0], 0x3131);
  assert_int_equal(db[3], 0x3131);
  assert_int_equal(
      RtlUnicodeStringCopyEx(&d, &src, NULL, STRSAFE_FILL_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  assert_int_equal(db[3], 0);
  // FILL_BEHIND on success.
  src.Length = 2;
  guard(db, sizeof db);
  assert_int_equal(
      RtlUnicodeStringCopyEx(&d, &src, &rest, STRSAFE_FILL_BEHIND | 0x55),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 2);
  assert_int_equal(db[1], 0x5555);
  assert_int_equal(db[3], 0x5555);
  assert_ptr_equal(rest.Buffer, db + 1);
  assert_int_equal(rest.MaximumLength, 6);
  // Bad operands.
  UNICODE_STRING bad = d;
  bad.Length = 10;
  assert_int_equal(RtlUnicodeStringCopy(&bad, &src), STATUS_INVALID_PARAMETER);
  assert_int_equal(bad.Length, 10);
  bad = src;
  bad.Length = 1;
  assert_int_equal(RtlUnicodeStringCopy(&d, &bad), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringCopy(&d, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringCopy(NULL, &src), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringCopyEx(&d, NULL, NULL, STRSAFE_IGNORE_NULLS),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 0);
  assert_int_equal(
      RtlUnicodeStringCopyEx(NULL, &src, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringCopyEx(&d, &src, NULL, 0x8000),
                   STATUS_INVALID_PARAMETER);
  // CopyString, and the N forms.
  assert_int_equal(RtlUnicodeStringCopyString(&d, (PCWSTR)u"xyz"),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(db[0], 'x');
  assert_int_equal(RtlUnicodeStringCopyString(&d, (PCWSTR)u"12345"),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 8);
  assert_int_equal(RtlUnicodeStringCopyStringEx(&d, (PCWSTR)u"12345", &rest,
                                                STRSAFE_NO_TRUNCATION),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  src.Length = 10;
  assert_int_equal(RtlUnicodeStringCchCopyN(&d, &src, 2), STATUS_SUCCESS);
  assert_int_equal(d.Length, 4);
  assert_int_equal(RtlUnicodeStringCbCopyN(&d, &src, 7), STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(
      RtlUnicodeStringCchCopyN(&d, &src, NTSTRSAFE_UNICODE_STRING_MAX_CCH),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(
      RtlUnicodeStringCchCopyN(&d, &src, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1),
      STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringCbCopyN(
                       &d, &src, NTSTRSAFE_UNICODE_STRING_MAX_CCH * 2 + 1),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringCchCopyNEx(&d, &src, 1, &rest, 0),
                   STATUS_SUCCESS);
  assert_int_equal(rest.MaximumLength, 6);
  assert_int_equal(RtlUnicodeStringCbCopyNEx(&d, &src, 4, NULL, 0),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 4);
  assert_int_equal(RtlUnicodeStringCchCopyStringN(&d, (PCWSTR)u"hello", 3),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(db[2], 'l');
  assert_int_equal(RtlUnicodeStringCbCopyStringN(&d, (PCWSTR)u"hello", 2),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 2);
  assert_int_equal(
      RtlUnicodeStringCchCopyStringNEx(&d, (PCWSTR)u"hello", 9, NULL,
                                       STRSAFE_ZERO_LENGTH_ON_FAILURE),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  assert_int_equal(
      RtlUnicodeStringCbCopyStringNEx(&d, NULL, 2, NULL, STRSAFE_IGNORE_NULLS),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 0);
}

static void test_unicode_string_cat(void **state) {
  (void)state;
  WCHAR db[5] = {'a', 'b'};
  UNICODE_STRING d = ustr(db, 2, 5);
  WCHAR sb[] = {'c', 'd', 'e', 'f'};
  UNICODE_STRING src = ustr(sb, 2, 4);
  UNICODE_STRING rest;
  assert_int_equal(RtlUnicodeStringCat(&d, &src), STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  assert_int_equal(db[3], 'd');
  assert_int_equal(
      RtlUnicodeStringCatEx(&d, &src, &rest, STRSAFE_NO_TRUNCATION),
      STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 8);
  assert_ptr_equal(rest.Buffer, db + 4);
  assert_int_equal(rest.MaximumLength, 2);
  assert_int_equal(RtlUnicodeStringCat(&d, &src), STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 10);
  assert_int_equal(db[4], 'c');
  assert_int_equal(RtlUnicodeStringCat(&d, &src), STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 10);
  d.Length = 2;
  assert_int_equal(RtlUnicodeStringCatString(&d, (PCWSTR)u"xy"),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(db[1], 'x');
  assert_int_equal(db[2], 'y');
  assert_int_equal(RtlUnicodeStringCatStringEx(&d, (PCWSTR)u"zzz", &rest,
                                               STRSAFE_ZERO_LENGTH_ON_FAILURE),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  d.Length = 2;
  assert_int_equal(RtlUnicodeStringCchCatN(&d, &src, 1), STATUS_SUCCESS);
  assert_int_equal(d.Length, 4);
  assert_int_equal(RtlUnicodeStringCbCatN(&d, &src, 2), STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(
      RtlUnicodeStringCchCatNEx(&d, &src, 1, &rest, STRSAFE_FILL_BEHIND | 0x11),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  assert_int_equal(db[4], 0x1111);
  assert_int_equal(RtlUnicodeStringCbCatNEx(&d, &src, 0, NULL, 0),
                   STATUS_SUCCESS);
  d.Length = 0;
  assert_int_equal(RtlUnicodeStringCchCatStringN(&d, (PCWSTR)u"pqrs", 2),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 4);
  assert_int_equal(RtlUnicodeStringCbCatStringN(&d, (PCWSTR)u"pqrs", 2),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_int_equal(RtlUnicodeStringCchCatStringNEx(
                       &d, (PCWSTR)u"pqrs", 4, &rest, STRSAFE_NO_TRUNCATION),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 6);
  assert_int_equal(
      RtlUnicodeStringCbCatStringNEx(&d, (PCWSTR)u"pqrs", 4, &rest, 0),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 10);
  assert_int_equal(rest.MaximumLength, 0);
  assert_int_equal(RtlUnicodeStringCat(&d, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(
      RtlUnicodeStringCchCatN(&d, &src, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1),
      STATUS_INVALID_PARAMETER);
}

static NTSTATUS ustr_vprintf(PUNICODE_STRING d, PCWSTR fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  NTSTATUS st = RtlUnicodeStringVPrintf(d, fmt, ap);
  va_end(ap);
  return st;
}

static NTSTATUS ustr_vprintf_ex(PUNICODE_STRING d, PUNICODE_STRING rest,
                                DWORD flags, PCWSTR fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  NTSTATUS st = RtlUnicodeStringVPrintfEx(d, rest, flags, fmt, ap);
  va_end(ap);
  return st;
}

static void test_unicode_string_printf(void **state) {
  (void)state;
  WCHAR db[6];
  UNICODE_STRING d = ustr(db, 0, 6);
  UNICODE_STRING rest;
  guard(db, sizeof db);
  assert_int_equal(
      RtlUnicodeStringPrintf(&d, (PCWSTR)u"%d-%s", 42, (PCWSTR)u"x"),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  assert_int_equal(db[0], '4');
  assert_int_equal(db[3], 'x');
  // No terminator written.
  assert_int_equal(db[4], 0x7E7E);
  // Exactly full, then one more.
  assert_int_equal(ustr_vprintf(&d, (PCWSTR)u"%S", "abcdef"), STATUS_SUCCESS);
  assert_int_equal(d.Length, 12);
  assert_int_equal(db[5], 'f');
  assert_int_equal(ustr_vprintf(&d, (PCWSTR)u"%S", "abcdefg"),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 12);
  assert_int_equal(db[5], 'f');
  assert_int_equal(RtlUnicodeStringPrintfEx(&d, &rest, STRSAFE_NO_TRUNCATION,
                                            (PCWSTR)u"%S", "abcdefg"),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(d.Length, 0);
  assert_ptr_equal(rest.Buffer, db);
  assert_int_equal(rest.MaximumLength, 12);
  guard(db, sizeof db);
  assert_int_equal(
      ustr_vprintf_ex(&d, &rest, STRSAFE_FILL_BEHIND | 0x22, (PCWSTR)u"%u", 7u),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 2);
  assert_int_equal(db[1], 0x2222);
  assert_int_equal(db[5], 0x2222);
  assert_int_equal(rest.MaximumLength, 10);
  assert_int_equal(RtlUnicodeStringPrintf(&d, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(
      RtlUnicodeStringPrintfEx(&d, NULL, STRSAFE_IGNORE_NULLS, NULL),
      STATUS_SUCCESS);
  assert_int_equal(d.Length, 0);
  assert_int_equal(RtlUnicodeStringPrintf(NULL, (PCWSTR)u"x"),
                   STATUS_INVALID_PARAMETER);
  // A zero-size UNICODE_STRING: text overflows.
  UNICODE_STRING z = ustr(db, 0, 0);
  assert_int_equal(RtlUnicodeStringPrintf(&z, (PCWSTR)u"x"),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(RtlUnicodeStringPrintf(&z, (PCWSTR)u""), STATUS_SUCCESS);
  (void)wlen;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copy_a_edges),
      cmocka_unit_test(test_copy_w_edges),
      cmocka_unit_test(test_copy_ex_outputs_and_flags),
      cmocka_unit_test(test_copy_ex_ignore_nulls),
      cmocka_unit_test(test_copy_n),
      cmocka_unit_test(test_cat),
      cmocka_unit_test(test_cat_ex),
      cmocka_unit_test(test_cat_n),
      cmocka_unit_test(test_printf),
      cmocka_unit_test(test_printf_ex),
      cmocka_unit_test(test_length),
      cmocka_unit_test(test_copy_unicode_string_to_buffer),
      cmocka_unit_test(test_unicode_string_init_validate),
      cmocka_unit_test(test_unicode_string_copy),
      cmocka_unit_test(test_unicode_string_cat),
      cmocka_unit_test(test_unicode_string_printf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
