/*
 * test_string.c — the counted-string routines (kpool/rtl_string.h through
 * the WDK face, kp_wdk_string.h): every routine, its edges (empty strings,
 * odd byte lengths, exact fits, MAXUSHORT limits, NULL sources), case
 * rules, numbers, code page 1252, UTF-8 with invalid input, the allocating
 * forms' pool records (tag, pool, routine, caller's site), their misuse
 * bug checks, and a leak at unload naming routine and site.
 *
 * Wide literals are u"..." (this file is built without -fshort-wchar; see
 * test_wdk_basedefs.c for L"...").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntifs.h>

#include "kp_test_util.h"

/* ---------------------------------------------------------------------------
 * Fixture: a fresh current system per test (the WDK names use it).
 * ------------------------------------------------------------------------- */

static int setup(void **state) {
  if (kpt_setup(state) != 0) return -1;
  kp_system_t *old = kp_system_set_current((kp_system_t *)*state);
  if (old != NULL) kp_system_destroy(old);
  return 0;
}

static int teardown(void **state) {
  (void)kp_system_set_current(NULL);
  return kpt_teardown(state);
}

#define STRG_TAG 'grtS'

/* The block the simulator recorded at @p p. */
static kp_block_info_t block_of(void **state, const void *p) {
  kp_block_info_t info;
  memset(&info, 0, sizeof info);
  assert_true(kp_block_query((kp_system_t *)*state, p, &info));
  return info;
}

/* Asserts that @p p is a live 'grtS' paged-pool block of @p size bytes
 * made by @p api at this file's @p line. */
static void assert_string_block(void **state, const void *p, size_t size,
                                kp_alloc_api_t api, int line) {
  kp_block_info_t b = block_of(state, p);
  assert_int_equal(b.tag, STRG_TAG);
  assert_int_equal(b.pool, KP_POOL_PAGED);
  assert_int_equal(b.size, size);
  assert_int_equal(b.api, api);
  assert_non_null(b.site.file);
  assert_non_null(strstr(b.site.file, "test_string.c"));
  assert_int_equal(b.site.line, line);
}

static size_t wlen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

static bool wequal(const WCHAR *a, const WCHAR *b, size_t n) {
  return memcmp(a, b, n * sizeof(WCHAR)) == 0;
}

/* ---------------------------------------------------------------------------
 * Init
 * ------------------------------------------------------------------------- */

static void test_init_unicode(void **state) {
  (void)state;
  UNICODE_STRING s;
  const WCHAR *text = u"Pool";
  RtlInitUnicodeString(&s, text);
  assert_int_equal(s.Length, 8);
  assert_int_equal(s.MaximumLength, 10);
  assert_ptr_equal(s.Buffer, text);
  RtlInitUnicodeString(&s, u"");
  assert_int_equal(s.Length, 0);
  assert_int_equal(s.MaximumLength, 2);
  RtlInitUnicodeString(&s, NULL);
  assert_int_equal(s.Length, 0);
  assert_int_equal(s.MaximumLength, 0);
  assert_null(s.Buffer);
  assert_int_equal(RtlInitUnicodeStringEx(&s, text), STATUS_SUCCESS);
  assert_int_equal(s.Length, 8);
  assert_int_equal(s.MaximumLength, 10);
  assert_int_equal(RtlInitUnicodeStringEx(&s, NULL), STATUS_SUCCESS);
  assert_int_equal(s.Length, 0);
  assert_null(s.Buffer);
}

static void test_init_unicode_limits(void **state) {
  (void)state;
  enum { CHARS = 0x8000 };
  WCHAR *big = malloc((CHARS + 1) * sizeof(WCHAR));
  assert_non_null(big);
  for (size_t i = 0; i < CHARS; i++) big[i] = u'x';
  UNICODE_STRING s;
  // 0x7FFE characters: 0xFFFC bytes, the largest that fits.
  big[0x7FFE] = 0;
  RtlInitUnicodeString(&s, big);
  assert_int_equal(s.Length, 0xFFFC);
  assert_int_equal(s.MaximumLength, 0xFFFE);
  assert_int_equal(RtlInitUnicodeStringEx(&s, big), STATUS_SUCCESS);
  assert_int_equal(s.Length, 0xFFFC);
  // One more: RtlInitUnicodeString clamps, the Ex form refuses.
  big[0x7FFE] = u'x';
  big[0x7FFF] = 0;
  RtlInitUnicodeString(&s, big);
  assert_int_equal(s.Length, 0xFFFC);
  assert_int_equal(s.MaximumLength, 0xFFFE);
  assert_ptr_equal(s.Buffer, big);
  assert_int_equal(RtlInitUnicodeStringEx(&s, big), STATUS_NAME_TOO_LONG);
  assert_int_equal(s.Length, 0);
  assert_int_equal(s.MaximumLength, 0);
  big[CHARS] = 0;
  RtlInitUnicodeString(&s, big);
  assert_int_equal(s.Length, 0xFFFC);
  free(big);
}

static void test_init_ansi_utf8(void **state) {
  (void)state;
  ANSI_STRING a;
  STRING s;
  UTF8_STRING u;
  RtlInitAnsiString(&a, "abc");
  assert_int_equal(a.Length, 3);
  assert_int_equal(a.MaximumLength, 4);
  RtlInitString(&s, "");
  assert_int_equal(s.Length, 0);
  assert_int_equal(s.MaximumLength, 1);
  RtlInitUTF8String(&u, "\xC3\xA9t\xC3\xA9");
  assert_int_equal(u.Length, 5);
  assert_int_equal(u.MaximumLength, 6);
  RtlInitAnsiString(&a, NULL);
  assert_int_equal(a.Length, 0);
  assert_int_equal(a.MaximumLength, 0);
  assert_null(a.Buffer);
  assert_int_equal(RtlInitStringEx(&s, "xy"), STATUS_SUCCESS);
  assert_int_equal(s.Length, 2);
  assert_int_equal(RtlInitAnsiStringEx(&a, NULL), STATUS_SUCCESS);
  assert_int_equal(RtlInitUTF8StringEx(&u, "q"), STATUS_SUCCESS);
  assert_int_equal(u.MaximumLength, 2);

  char *big = malloc(0x10001);
  assert_non_null(big);
  memset(big, 'a', 0x10000);
  big[0xFFFE] = '\0'; // 0xFFFE bytes: the largest that fits
  RtlInitAnsiString(&a, big);
  assert_int_equal(a.Length, 0xFFFE);
  assert_int_equal(a.MaximumLength, 0xFFFF);
  assert_int_equal(RtlInitStringEx(&s, big), STATUS_SUCCESS);
  big[0xFFFE] = 'a';
  big[0xFFFF] = '\0'; // one more
  RtlInitString(&s, big);
  assert_int_equal(s.Length, 0xFFFE);
  assert_int_equal(s.MaximumLength, 0xFFFF);
  assert_int_equal(RtlInitStringEx(&s, big), STATUS_NAME_TOO_LONG);
  assert_int_equal(s.Length, 0);
  assert_int_equal(RtlInitAnsiStringEx(&a, big), STATUS_NAME_TOO_LONG);
  assert_int_equal(RtlInitUTF8StringEx(&u, big), STATUS_NAME_TOO_LONG);
  assert_int_equal(u.MaximumLength, 0);
  free(big);
}

static void test_constant_and_declared_strings(void **state) {
  (void)state;
  UNICODE_STRING k = RTL_CONSTANT_STRING(u"Driver");
  assert_int_equal(k.Length, 12);
  assert_int_equal(k.MaximumLength, 14);
  assert_true(wequal(k.Buffer, u"Driver", 6));
  STRING a = RTL_CONSTANT_STRING("ab");
  assert_int_equal(a.Length, 2);
  assert_int_equal(a.MaximumLength, 3);
  DECLARE_CONST_UNICODE_STRING(name, u"\\Device\\X");
  assert_int_equal(name.Length, 9 * 2);
  assert_int_equal(name.MaximumLength, 10 * 2);
  assert_ptr_equal(name.Buffer, name_buffer);
  DECLARE_UNICODE_STRING_SIZE(buf, 16);
  assert_int_equal(buf.Length, 0);
  assert_int_equal(buf.MaximumLength, 32);
  assert_ptr_equal(buf.Buffer, buf_buffer);
  assert_int_equal(RtlAppendUnicodeToString(&buf, u"ok"), STATUS_SUCCESS);
  assert_int_equal(buf.Length, 4);
  WCHAR w[4];
  UNICODE_STRING e;
  RtlInitEmptyUnicodeString(&e, w, sizeof w);
  assert_int_equal(e.Length, 0);
  assert_int_equal(e.MaximumLength, 8);
  char c[3];
  ANSI_STRING ea;
  RtlInitEmptyAnsiString(&ea, c, sizeof c);
  assert_int_equal(ea.MaximumLength, 3);
  assert_ptr_equal(ea.Buffer, c);
  assert_int_equal(UNICODE_STRING_MAX_BYTES, 65534);
  assert_int_equal(UNICODE_STRING_MAX_CHARS, 32767);
  assert_int_equal(MAXUSHORT, 0xFFFF);
  assert_int_equal(sizeof(UTF8_STRING), 16);
}

/* ---------------------------------------------------------------------------
 * Copy and append
 * ------------------------------------------------------------------------- */

static void test_copy_unicode(void **state) {
  (void)state;
  WCHAR buf[8];
  UNICODE_STRING d = {0, sizeof buf, buf};
  UNICODE_STRING s = RTL_CONSTANT_STRING(u"abc");
  for (int i = 0; i < 8; i++) buf[i] = 0x7777;
  RtlCopyUnicodeString(&d, &s);
  assert_int_equal(d.Length, 6);
  assert_true(wequal(buf, u"abc", 4)); // NUL added: room remained
  // Truncation: copies MaximumLength bytes, no NUL, no error.
  UNICODE_STRING small = {0, 4, buf};
  for (int i = 0; i < 8; i++) buf[i] = 0x7777;
  RtlCopyUnicodeString(&small, &s);
  assert_int_equal(small.Length, 4);
  assert_true(wequal(buf, u"ab", 2));
  assert_int_equal(buf[2], 0x7777);
  // Exact fit: no NUL written past MaximumLength.
  UNICODE_STRING exact = {0, 6, buf};
  for (int i = 0; i < 8; i++) buf[i] = 0x7777;
  RtlCopyUnicodeString(&exact, &s);
  assert_int_equal(exact.Length, 6);
  assert_int_equal(buf[3], 0x7777);
  // An odd MaximumLength copies that many bytes (as Windows: bytes).
  UNICODE_STRING odd = {0, 5, buf};
  RtlCopyUnicodeString(&odd, &s);
  assert_int_equal(odd.Length, 5);
  // NULL source: Length 0, buffer and MaximumLength unchanged.
  RtlCopyUnicodeString(&d, NULL);
  assert_int_equal(d.Length, 0);
  assert_int_equal(d.MaximumLength, sizeof buf);
  assert_ptr_equal(d.Buffer, buf);
  // Empty source.
  UNICODE_STRING empty = {0, 0, NULL};
  d.Length = 4;
  RtlCopyUnicodeString(&d, &empty);
  assert_int_equal(d.Length, 0);
  assert_int_equal(buf[0], 0);
}

static void test_copy_ansi(void **state) {
  (void)state;
  char buf[4];
  STRING d = {0, sizeof buf, buf};
  STRING s = RTL_CONSTANT_STRING("abcdef");
  memset(buf, '#', sizeof buf);
  RtlCopyString(&d, &s);
  assert_int_equal(d.Length, 4);
  assert_memory_equal(buf, "abcd", 4);
  STRING two = RTL_CONSTANT_STRING("xy");
  RtlCopyString(&d, &two);
  assert_int_equal(d.Length, 2);
  assert_string_equal(buf, "xy");
  RtlCopyString(&d, NULL);
  assert_int_equal(d.Length, 0);
}

static void test_append(void **state) {
  (void)state;
  WCHAR buf[6];
  for (int i = 0; i < 6; i++) buf[i] = 0x7777;
  UNICODE_STRING d = {0, 8, buf};
  UNICODE_STRING ab = RTL_CONSTANT_STRING(u"ab");
  assert_int_equal(RtlAppendUnicodeStringToString(&d, &ab), STATUS_SUCCESS);
  assert_int_equal(d.Length, 4);
  assert_int_equal(buf[2], 0); // NUL added when it fits
  // Exact fit: success, no NUL written past MaximumLength.
  assert_int_equal(RtlAppendUnicodeStringToString(&d, &ab), STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  assert_true(wequal(buf, u"abab", 4));
  assert_int_equal(buf[4], 0x7777);
  // Too small: STATUS_BUFFER_TOO_SMALL, unchanged.
  assert_int_equal(RtlAppendUnicodeStringToString(&d, &ab),
                   STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(d.Length, 8);
  assert_int_equal(RtlAppendUnicodeToString(&d, u"z"), STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(d.Length, 8);
  // Empty and NULL sources append nothing.
  assert_int_equal(RtlAppendUnicodeToString(&d, NULL), STATUS_SUCCESS);
  assert_int_equal(RtlAppendUnicodeToString(&d, u""), STATUS_SUCCESS);
  UNICODE_STRING empty = {0, 0, NULL};
  assert_int_equal(RtlAppendUnicodeStringToString(&d, &empty), STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  d.Length = 0;
  assert_int_equal(RtlAppendUnicodeToString(&d, u"xyz"), STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_true(wequal(buf, u"xyz", 4));

  char a[5];
  memset(a, '#', sizeof a);
  STRING da = {0, 4, a};
  STRING s = RTL_CONSTANT_STRING("ab");
  assert_int_equal(RtlAppendStringToString(&da, &s), STATUS_SUCCESS);
  assert_int_equal(RtlAppendStringToString(&da, &s), STATUS_SUCCESS);
  assert_int_equal(da.Length, 4);
  assert_memory_equal(a, "abab#", 5); // RtlAppendStringToString adds no NUL
  assert_int_equal(RtlAppendStringToString(&da, &s), STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(da.Length, 4);
}

/* ---------------------------------------------------------------------------
 * Compare and case
 * ------------------------------------------------------------------------- */

static void test_compare_unicode(void **state) {
  (void)state;
  UNICODE_STRING abc = RTL_CONSTANT_STRING(u"abc");
  UNICODE_STRING abd = RTL_CONSTANT_STRING(u"abd");
  UNICODE_STRING ab = RTL_CONSTANT_STRING(u"ab");
  UNICODE_STRING ABC = RTL_CONSTANT_STRING(u"ABC");
  UNICODE_STRING empty = {0, 0, NULL};
  assert_int_equal(RtlCompareUnicodeString(&abc, &abc, FALSE), 0);
  assert_true(RtlCompareUnicodeString(&abc, &abd, FALSE) < 0);
  assert_true(RtlCompareUnicodeString(&abd, &abc, FALSE) > 0);
  assert_true(RtlCompareUnicodeString(&ab, &abc, FALSE) < 0);
  assert_true(RtlCompareUnicodeString(&abc, &ab, FALSE) > 0);
  assert_true(RtlCompareUnicodeString(&ABC, &abc, FALSE) < 0);
  assert_int_equal(RtlCompareUnicodeString(&ABC, &abc, TRUE), 0);
  assert_true(RtlCompareUnicodeString(&empty, &ab, TRUE) < 0);
  assert_int_equal(RtlCompareUnicodeString(&empty, &empty, FALSE), 0);
  assert_true(RtlEqualUnicodeString(&ABC, &abc, TRUE));
  assert_false(RtlEqualUnicodeString(&ABC, &abc, FALSE));
  assert_false(RtlEqualUnicodeString(&ab, &abc, TRUE));
  // Latin-1, Latin Extended-A, Greek (final sigma) and Cyrillic fold.
  UNICODE_STRING lo = RTL_CONSTANT_STRING(u"\u00e9t\u00e9 \u00ff \u0161 \u03c3\u03c2 \u0436");
  UNICODE_STRING up = RTL_CONSTANT_STRING(u"\u00c9T\u00c9 \u0178 \u0160 \u03a3\u03a3 \u0416");
  assert_true(RtlEqualUnicodeString(&lo, &up, TRUE));
  assert_false(RtlEqualUnicodeString(&lo, &up, FALSE));
  // An odd Length ignores the odd byte.
  UNICODE_STRING odd = abc;
  odd.Length = 5;
  assert_int_equal(RtlCompareUnicodeString(&odd, &ab, FALSE), 0);
  assert_true(RtlEqualUnicodeString(&odd, &ab, FALSE));
  // Prefix: String1 is a prefix of String2.
  assert_true(RtlPrefixUnicodeString(&ab, &abc, FALSE));
  assert_false(RtlPrefixUnicodeString(&abc, &ab, FALSE));
  assert_true(RtlPrefixUnicodeString(&empty, &abc, FALSE));
  assert_true(RtlPrefixUnicodeString(&abc, &abc, FALSE));
  UNICODE_STRING AB = RTL_CONSTANT_STRING(u"AB");
  assert_false(RtlPrefixUnicodeString(&AB, &abc, FALSE));
  assert_true(RtlPrefixUnicodeString(&AB, &abc, TRUE));
}

static void test_compare_ansi(void **state) {
  (void)state;
  STRING abc = RTL_CONSTANT_STRING("abc");
  STRING ABC = RTL_CONSTANT_STRING("ABC");
  STRING ab = RTL_CONSTANT_STRING("ab");
  STRING e_acute = RTL_CONSTANT_STRING("\xE9");
  STRING E_acute = RTL_CONSTANT_STRING("\xC9");
  STRING a = RTL_CONSTANT_STRING("a");
  assert_int_equal(RtlCompareString(&abc, &abc, FALSE), 0);
  assert_true(RtlCompareString(&ABC, &abc, FALSE) < 0);
  assert_int_equal(RtlCompareString(&ABC, &abc, TRUE), 0);
  assert_true(RtlCompareString(&ab, &abc, FALSE) < 0);
  // Bytes compare as unsigned: 0xE9 sorts after 'a'.
  assert_true(RtlCompareString(&e_acute, &a, FALSE) > 0);
  assert_true(RtlEqualString(&e_acute, &E_acute, TRUE));
  assert_false(RtlEqualString(&e_acute, &E_acute, FALSE));
  assert_false(RtlEqualString(&ab, &abc, FALSE));
  assert_true(RtlPrefixString(&ab, &abc, FALSE));
  assert_false(RtlPrefixString(&abc, &ab, FALSE));
  STRING AB = RTL_CONSTANT_STRING("AB");
  assert_true(RtlPrefixString(&AB, &abc, TRUE));
  assert_false(RtlPrefixString(&AB, &abc, FALSE));
}

static void test_case_chars(void **state) {
  (void)state;
  static const struct {
    WCHAR lower, upper;
  } pairs[] = {
      {u'a', u'A'},       {u'z', u'Z'},       {0x00E0, 0x00C0},
      {0x00FE, 0x00DE},   {0x00FF, 0x0178},   {0x0101, 0x0100},
      {0x0137, 0x0136},   {0x013A, 0x0139},   {0x0148, 0x0147},
      {0x014B, 0x014A},   {0x0177, 0x0176},   {0x017A, 0x0179},
      {0x017E, 0x017D},   {0x03B1, 0x0391},   {0x03C9, 0x03A9},
      {0x0430, 0x0410},   {0x044F, 0x042F},   {0x0450, 0x0400},
      {0x045F, 0x040F},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    assert_int_equal(RtlUpcaseUnicodeChar(pairs[i].lower), pairs[i].upper);
    assert_int_equal(RtlDowncaseUnicodeChar(pairs[i].upper), pairs[i].lower);
  }
  // Characters that stay: digits, the division/multiplication signs,
  // micro sign, sharp s, dotless i, kra, unassigned U+03A2, CJK.
  static const WCHAR same[] = {u'0', u'@', 0x00F7, 0x00D7, 0x00B5, 0x00DF,
                               0x0131, 0x0138, 0x017F, 0x03A2, 0x4E2D};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    assert_int_equal(RtlUpcaseUnicodeChar(same[i]), same[i]);
    assert_int_equal(RtlDowncaseUnicodeChar(same[i]), same[i]);
  }
  assert_int_equal(RtlUpcaseUnicodeChar(0x03C2), 0x03A3); // final sigma
  assert_int_equal(RtlDowncaseUnicodeChar(0x03A3), 0x03C3);
  // RtlUpperChar: code page 1252.
  assert_int_equal(RtlUpperChar('q'), 'Q');
  assert_int_equal(RtlUpperChar('Q'), 'Q');
  assert_int_equal(RtlUpperChar('1'), '1');
  assert_int_equal((UCHAR)RtlUpperChar((CHAR)0xE9), 0xC9);
  assert_int_equal((UCHAR)RtlUpperChar((CHAR)0x9A), 0x8A);
  assert_int_equal((UCHAR)RtlUpperChar((CHAR)0x9C), 0x8C);
  assert_int_equal((UCHAR)RtlUpperChar((CHAR)0xFF), 0x9F);
  assert_int_equal((UCHAR)RtlUpperChar((CHAR)0xF7), 0xF7);
  assert_int_equal((UCHAR)RtlUpperChar((CHAR)0xB5), 0xB5);
}

static void test_upcase_downcase_string(void **state) {
  WCHAR buf[8];
  UNICODE_STRING d = {0, sizeof buf, buf};
  UNICODE_STRING s = RTL_CONSTANT_STRING(u"Ab\u00e9z");
  assert_int_equal(RtlUpcaseUnicodeString(&d, &s, FALSE), STATUS_SUCCESS);
  assert_int_equal(d.Length, 8);
  assert_true(wequal(buf, u"AB\u00c9Z", 4));
  assert_int_equal(RtlDowncaseUnicodeString(&d, &d, FALSE), STATUS_SUCCESS);
  assert_true(wequal(buf, u"ab\u00e9z", 4)); // in place
  // Too small: STATUS_BUFFER_OVERFLOW, nothing written.
  UNICODE_STRING small = {0, 6, buf};
  assert_int_equal(RtlUpcaseUnicodeString(&small, &s, FALSE),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(small.Length, 0);
  assert_int_equal(buf[0], u'a');
  // Allocate: a 'grtS' paged block of exactly Length bytes.
  UNICODE_STRING a = {0, 0, NULL};
  int line = __LINE__; NTSTATUS st = RtlUpcaseUnicodeString(&a, &s, TRUE);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(a.Length, 8);
  assert_int_equal(a.MaximumLength, 8);
  assert_true(wequal(a.Buffer, u"AB\u00c9Z", 4));
  assert_string_block(state, a.Buffer, 8, KP_API_RTL_UPCASE_UNICODE, line);
  RtlFreeUnicodeString(&a);
  line = __LINE__; st = RtlDowncaseUnicodeString(&a, &s, TRUE);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_true(wequal(a.Buffer, u"ab\u00e9z", 4));
  assert_string_block(state, a.Buffer, 8, KP_API_RTL_DOWNCASE_UNICODE, line);
  RtlFreeUnicodeString(&a);
  // An empty source allocates nothing.
  UNICODE_STRING empty = {0, 0, NULL};
  a.Buffer = buf;
  assert_int_equal(RtlUpcaseUnicodeString(&a, &empty, TRUE), STATUS_SUCCESS);
  assert_null(a.Buffer);
  assert_int_equal(a.Length, 0);
  // An odd Length: the whole characters only.
  UNICODE_STRING odd = s;
  odd.Length = 3;
  assert_int_equal(RtlUpcaseUnicodeString(&d, &odd, FALSE), STATUS_SUCCESS);
  assert_int_equal(d.Length, 2);
  assert_int_equal(buf[0], u'A');

  char ab[4];
  STRING ad = {0, 3, ab};
  STRING as = RTL_CONSTANT_STRING("ab\xE9x");
  RtlUpperString(&ad, &as); // truncates like RtlCopyString
  assert_int_equal(ad.Length, 3);
  assert_memory_equal(ab, "AB\xC9", 3);
}

/* ---------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------- */

static void test_integer_to_unicode(void **state) {
  (void)state;
  WCHAR buf[40];
  UNICODE_STRING s = {0, sizeof buf, buf};
  static const struct {
    ULONG value, base;
    const WCHAR *text;
  } cases[] = {
      {0, 10, u"0"},          {0, 0, u"0"},
      {1234, 0, u"1234"},     {4294967295u, 10, u"4294967295"},
      {255, 16, u"FF"},       {0xDEADBEEF, 16, u"DEADBEEF"},
      {8, 8, u"10"},          {5, 2, u"101"},
      {0xFFFFFFFF, 2, u"11111111111111111111111111111111"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(RtlIntegerToUnicodeString(cases[i].value, cases[i].base, &s),
                     STATUS_SUCCESS);
    size_t n = wlen(cases[i].text);
    assert_int_equal(s.Length, n * 2);
    assert_true(wequal(buf, cases[i].text, n + 1)); // NUL-terminated
  }
  assert_int_equal(RtlIntegerToUnicodeString(1, 3, &s), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlIntegerToUnicodeString(1, 36, &s),
                   STATUS_INVALID_PARAMETER);
  // Exact fit: digits and NUL. One byte less: STATUS_BUFFER_OVERFLOW.
  UNICODE_STRING fit = {0, 8, buf};
  assert_int_equal(RtlIntegerToUnicodeString(123, 10, &fit), STATUS_SUCCESS);
  assert_int_equal(fit.Length, 6);
  UNICODE_STRING tight = {0x55, 7, buf};
  assert_int_equal(RtlIntegerToUnicodeString(123, 10, &tight),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(tight.Length, 0x55);
  assert_int_equal(RtlInt64ToUnicodeString(18446744073709551615ull, 10, &s),
                   STATUS_SUCCESS);
  assert_true(wequal(buf, u"18446744073709551615", 21));
  assert_int_equal(RtlInt64ToUnicodeString(0x123456789ull, 16, &s),
                   STATUS_SUCCESS);
  assert_true(wequal(buf, u"123456789", 10));
  assert_int_equal(RtlInt64ToUnicodeString(1, 5, &s), STATUS_INVALID_PARAMETER);
}

static void test_integer_to_char(void **state) {
  (void)state;
  char buf[8];
  memset(buf, '#', sizeof buf);
  assert_int_equal(RtlIntegerToChar(255, 16, sizeof buf, buf), STATUS_SUCCESS);
  assert_string_equal(buf, "FF");
  memset(buf, '#', sizeof buf);
  assert_int_equal(RtlIntegerToChar(123, 0, 3, buf), STATUS_SUCCESS);
  assert_memory_equal(buf, "123#", 4); // exact fit: no NUL
  assert_int_equal(RtlIntegerToChar(1234, 10, 3, buf), STATUS_BUFFER_OVERFLOW);
  assert_int_equal(RtlIntegerToChar(1, 10, -1, buf), STATUS_BUFFER_OVERFLOW);
  assert_int_equal(RtlIntegerToChar(1, 7, sizeof buf, buf),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlIntegerToChar(6, 2, sizeof buf, buf), STATUS_SUCCESS);
  assert_string_equal(buf, "110");
  assert_int_equal(RtlIntegerToChar(64, 8, sizeof buf, buf), STATUS_SUCCESS);
  assert_string_equal(buf, "100");
}

static void test_char_to_integer(void **state) {
  (void)state;
  static const struct {
    const char *text;
    ULONG base, value;
  } cases[] = {
      {"123", 10, 123},       {"  \t42", 0, 42},      {"+678abc", 16, 6785724},
      {"789", 8, 7},          {"0x1F", 0, 31},        {"0o17", 0, 15},
      {"0b101", 0, 5},        {"0X1F", 0, 0},         {"abc", 10, 0},
      {"-1", 10, 0xFFFFFFFFu}, {"4294967296", 10, 0}, {"ff", 16, 255},
      {"FfZ", 16, 255},       {"0x10", 16, 0},        {"12", 2, 1},
      {"-", 10, 0},           {"0", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ULONG v = 0xCCCC;
    assert_int_equal(RtlCharToInteger(cases[i].text, cases[i].base, &v),
                     STATUS_SUCCESS);
    if (v != cases[i].value)
      fail_msg("\"%s\" base %u gave %u", cases[i].text,
               (unsigned)cases[i].base, (unsigned)v);
  }
  ULONG v = 7;
  assert_int_equal(RtlCharToInteger("", 10, &v), STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlCharToInteger("12", 7, &v), STATUS_INVALID_PARAMETER);
  assert_int_equal(v, 7);
}

static void test_unicode_string_to_integer(void **state) {
  (void)state;
  ULONG v = 0;
  UNICODE_STRING s = RTL_CONSTANT_STRING(u"+678abc");
  assert_int_equal(RtlUnicodeStringToInteger(&s, 16, &v), STATUS_SUCCESS);
  assert_int_equal(v, 6785724);
  UNICODE_STRING o = RTL_CONSTANT_STRING(u"789");
  assert_int_equal(RtlUnicodeStringToInteger(&o, 8, &v), STATUS_SUCCESS);
  assert_int_equal(v, 7);
  UNICODE_STRING h = RTL_CONSTANT_STRING(u" 0x7fffffff");
  assert_int_equal(RtlUnicodeStringToInteger(&h, 0, &v), STATUS_SUCCESS);
  assert_int_equal(v, 0x7FFFFFFF);
  // The count ends the number: "12345" with Length 4 is "12".
  UNICODE_STRING cut = RTL_CONSTANT_STRING(u"12345");
  cut.Length = 4;
  assert_int_equal(RtlUnicodeStringToInteger(&cut, 10, &v), STATUS_SUCCESS);
  assert_int_equal(v, 12);
  cut.Length = 5; // odd: two whole characters
  assert_int_equal(RtlUnicodeStringToInteger(&cut, 10, &v), STATUS_SUCCESS);
  assert_int_equal(v, 12);
  // A NUL inside the count ends it too.
  WCHAR nul[] = {u'4', 0, u'5'};
  UNICODE_STRING n = {6, 6, nul};
  assert_int_equal(RtlUnicodeStringToInteger(&n, 10, &v), STATUS_SUCCESS);
  assert_int_equal(v, 4);
  UNICODE_STRING neg = RTL_CONSTANT_STRING(u"-10");
  assert_int_equal(RtlUnicodeStringToInteger(&neg, 10, &v), STATUS_SUCCESS);
  assert_int_equal(v, (ULONG)-10);
  UNICODE_STRING empty = {0, 0, NULL};
  assert_int_equal(RtlUnicodeStringToInteger(&empty, 10, &v),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeStringToInteger(&s, 9, &v),
                   STATUS_INVALID_PARAMETER);
}

/* ---------------------------------------------------------------------------
 * ANSI (code page 1252) <-> Unicode
 * ------------------------------------------------------------------------- */

static void test_ansi_to_unicode(void **state) {
  WCHAR buf[8];
  UNICODE_STRING d = {0, sizeof buf, buf};
  STRING a = RTL_CONSTANT_STRING("A\x80\x81\xE9\x9F");
  assert_int_equal(RtlxAnsiStringToUnicodeSize(&a), 12);
  assert_int_equal(RtlAnsiStringToUnicodeSize(&a), 12);
  assert_int_equal(RtlAnsiStringToUnicodeString(&d, &a, FALSE), STATUS_SUCCESS);
  assert_int_equal(d.Length, 10);
  static const WCHAR expect[] = {u'A', 0x20AC, 0x0081, 0x00E9, 0x0178, 0};
  assert_true(wequal(buf, expect, 6));
  // Exact fit needs room for the NUL; one byte less overflows, unchanged.
  UNICODE_STRING fit = {0, 12, buf};
  assert_int_equal(RtlAnsiStringToUnicodeString(&fit, &a, FALSE),
                   STATUS_SUCCESS);
  UNICODE_STRING tight = {3, 11, buf};
  assert_int_equal(RtlAnsiStringToUnicodeString(&tight, &a, FALSE),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(tight.Length, 3);
  // Allocate: (Length + 1) * 2 bytes.
  UNICODE_STRING u = {0, 0, NULL};
  int line = __LINE__; NTSTATUS st = RtlAnsiStringToUnicodeString(&u, &a, TRUE);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(u.Length, 10);
  assert_int_equal(u.MaximumLength, 12);
  assert_true(wequal(u.Buffer, expect, 6));
  assert_string_block(state, u.Buffer, 12, KP_API_RTL_ANSI_TO_UNICODE, line);
  RtlFreeUnicodeString(&u);
  assert_null(u.Buffer);
  assert_int_equal(u.MaximumLength, 0);
  // Empty source.
  STRING e = {0, 0, NULL};
  assert_int_equal(RtlAnsiStringToUnicodeString(&u, &e, TRUE), STATUS_SUCCESS);
  assert_int_equal(u.Length, 0);
  assert_int_equal(u.MaximumLength, 2);
  assert_int_equal(u.Buffer[0], 0);
  RtlFreeUnicodeString(&u);
  // 32767 bytes need 65536 > MAXUSHORT: STATUS_INVALID_PARAMETER_2.
  char *big = malloc(32767);
  assert_non_null(big);
  memset(big, 'a', 32767);
  STRING b = {32767, 32767, big};
  assert_int_equal(RtlAnsiStringToUnicodeString(&u, &b, TRUE),
                   STATUS_INVALID_PARAMETER_2);
  assert_null(u.Buffer);
  b.Length = 32766; // 65534 bytes: fits
  assert_int_equal(RtlAnsiStringToUnicodeString(&u, &b, TRUE), STATUS_SUCCESS);
  assert_int_equal(u.MaximumLength, 65534);
  RtlFreeUnicodeString(&u);
  free(big);
}

static void test_unicode_to_ansi(void **state) {
  char buf[8];
  ANSI_STRING d = {0, sizeof buf, buf};
  static WCHAR text[] = {u'a', 0x20AC, 0x00FF, 0x0416, 0xD83D, 0xDE00};
  UNICODE_STRING s = {sizeof text, sizeof text, text};
  assert_int_equal(RtlxUnicodeStringToAnsiSize(&s), 7);
  assert_int_equal(RtlUnicodeStringToAnsiSize(&s), 7);
  assert_int_equal(RtlUnicodeStringToAnsiString(&d, &s, FALSE), STATUS_SUCCESS);
  assert_int_equal(d.Length, 6);
  assert_string_equal(buf, "a\x80\xFF???"); // no 1252 form: '?' per unit
  ANSI_STRING tight = {1, 6, buf};
  assert_int_equal(RtlUnicodeStringToAnsiString(&tight, &s, FALSE),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(tight.Length, 1);
  ANSI_STRING a = {0, 0, NULL};
  int line = __LINE__; NTSTATUS st = RtlUnicodeStringToAnsiString(&a, &s, TRUE);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(a.Length, 6);
  assert_int_equal(a.MaximumLength, 7);
  assert_string_block(state, a.Buffer, 7, KP_API_RTL_UNICODE_TO_ANSI, line);
  RtlFreeAnsiString(&a);
  assert_null(a.Buffer);
  // Odd Length: the whole characters.
  UNICODE_STRING odd = s;
  odd.Length = 3;
  assert_int_equal(RtlxUnicodeStringToAnsiSize(&odd), 2);
  assert_int_equal(RtlUnicodeStringToAnsiString(&d, &odd, FALSE),
                   STATUS_SUCCESS);
  assert_int_equal(d.Length, 1);
}

/* ---------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------- */

static void test_utf8_to_unicode_n(void **state) {
  (void)state;
  WCHAR out[16];
  ULONG got = 0;
  // "aé€😀": 1 + 2 + 3 + 4 bytes -> 1 + 1 + 1 + 2 units.
  const char *ok = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  assert_int_equal(RtlUTF8ToUnicodeN(NULL, 0, &got, ok, 10), STATUS_SUCCESS);
  assert_int_equal(got, 10);
  assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof out, &got, ok, 10),
                   STATUS_SUCCESS);
  assert_int_equal(got, 10);
  static const WCHAR expect[] = {u'a', 0x00E9, 0x20AC, 0xD83D, 0xDE00};
  assert_true(wequal(out, expect, 5));
  // Too small: whole characters that fit, STATUS_BUFFER_TOO_SMALL. Eight
  // bytes hold a, é, € but not half of the surrogate pair.
  for (int i = 0; i < 16; i++) out[i] = 0x7777;
  assert_int_equal(RtlUTF8ToUnicodeN(out, 8, &got, ok, 10),
                   STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(got, 6);
  assert_int_equal(out[3], 0x7777);
  assert_int_equal(RtlUTF8ToUnicodeN(out, 7, &got, ok, 10),
                   STATUS_BUFFER_TOO_SMALL); // odd: three units
  assert_int_equal(got, 6);
  // NULs inside the count are characters; the output ends with a NUL only
  // if the input did.
  assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof out, &got, "x\0y", 3),
                   STATUS_SUCCESS);
  assert_int_equal(got, 6);
  assert_int_equal(out[1], 0);
  // Invalid input: one U+FFFD per maximal invalid subpart,
  // STATUS_SOME_NOT_MAPPED (a success).
  static const struct {
    const char *in;
    ULONG bytes;
    ULONG units;
  } bad[] = {
      {"\x80", 1, 1},                 // stray continuation
      {"\xE2\x82", 2, 1},             // truncated: one replacement
      {"\xE2\x82z", 3, 2},            // truncated, then 'z'
      {"\xC0\xAF", 2, 2},             // overlong lead: each byte
      {"\xE0\x80\x80", 3, 3},         // overlong 3-byte form
      {"\xED\xA0\x80", 3, 3},         // a surrogate
      {"\xF4\x90\x80\x80", 4, 4},     // above U+10FFFF
      {"\xF5\x80", 2, 2},             // F5 never starts a sequence
      {"\xFF", 1, 1},
      {"\xF0\x9F\x98", 3, 1},         // truncated 4-byte form
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    NTSTATUS st = RtlUTF8ToUnicodeN(out, sizeof out, &got, bad[i].in,
                                    bad[i].bytes);
    if (st != STATUS_SOME_NOT_MAPPED || got != bad[i].units * 2)
      fail_msg("bad case %zu: status 0x%08X, %u bytes", i, (unsigned)st,
               (unsigned)got);
    assert_true(NT_SUCCESS(st));
    assert_int_equal(out[0], 0xFFFD);
  }
  assert_int_equal(out[1], 0xFFFD); // the last case's only unit is FFFD
  // Arguments.
  assert_int_equal(RtlUTF8ToUnicodeN(NULL, 0, NULL, ok, 10),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof out, &got, NULL, 0),
                   STATUS_INVALID_PARAMETER_4);
  assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof out, NULL, "a", 1),
                   STATUS_SUCCESS); // the count is optional with a buffer
  assert_int_equal(RtlUTF8ToUnicodeN(out, sizeof out, &got, "", 0),
                   STATUS_SUCCESS);
  assert_int_equal(got, 0);
}

static void test_unicode_to_utf8_n(void **state) {
  (void)state;
  char out[16];
  ULONG got = 0;
  static const WCHAR ok[] = {u'a', 0x00E9, 0x20AC, 0xD83D, 0xDE00};
  assert_int_equal(RtlUnicodeToUTF8N(NULL, 0, &got, ok, sizeof ok),
                   STATUS_SUCCESS);
  assert_int_equal(got, 10);
  assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &got, ok, sizeof ok),
                   STATUS_SUCCESS);
  assert_memory_equal(out, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10);
  memset(out, '#', sizeof out);
  assert_int_equal(RtlUnicodeToUTF8N(out, 8, &got, ok, sizeof ok),
                   STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(got, 6); // the 4-byte form did not fit whole
  assert_int_equal(out[6], '#');
  // Unpaired surrogates: EF BF BD each, STATUS_SOME_NOT_MAPPED.
  static const WCHAR lone[] = {0xDC00, u'x', 0xD800};
  assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &got, lone, sizeof lone),
                   STATUS_SOME_NOT_MAPPED);
  assert_int_equal(got, 7);
  assert_memory_equal(out, "\xEF\xBF\xBDx\xEF\xBF\xBD", 7);
  static const WCHAR high_then_high[] = {0xD800, 0xD801, 0xDC01};
  assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &got, high_then_high,
                                     sizeof high_then_high),
                   STATUS_SOME_NOT_MAPPED);
  assert_int_equal(got, 7); // FFFD, then U+10401
  // Arguments.
  assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &got, ok, 3),
                   STATUS_INVALID_PARAMETER_5);
  assert_int_equal(RtlUnicodeToUTF8N(NULL, 0, NULL, ok, 2),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &got, NULL, 2),
                   STATUS_INVALID_PARAMETER_4);
}

static void test_utf8_strings(void **state) {
  UTF8_STRING u8;
  RtlInitUTF8String(&u8, "\xC3\xA9t\xC3\xA9");
  UNICODE_STRING u = {0, 0, NULL};
  int line = __LINE__; NTSTATUS st = RtlUTF8StringToUnicodeString(&u, &u8, TRUE);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(u.Length, 6);
  assert_int_equal(u.MaximumLength, 8);
  assert_true(wequal(u.Buffer, u"\u00e9t\u00e9", 4));
  assert_string_block(state, u.Buffer, 8, KP_API_RTL_UTF8_TO_UNICODE, line);

  UTF8_STRING back = {0, 0, NULL};
  line = __LINE__; st = RtlUnicodeStringToUTF8String(&back, &u, TRUE);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(back.Length, 5);
  assert_int_equal(back.MaximumLength, 6);
  assert_string_equal(back.Buffer, "\xC3\xA9t\xC3\xA9");
  assert_string_block(state, back.Buffer, 6, KP_API_RTL_UNICODE_TO_UTF8, line);
  RtlFreeUTF8String(&back);
  RtlFreeUnicodeString(&u);

  // Into the caller's buffers: fit, overflow (unchanged), replacements.
  WCHAR wb[4];
  UNICODE_STRING wd = {0, sizeof wb, wb};
  assert_int_equal(RtlUTF8StringToUnicodeString(&wd, &u8, FALSE),
                   STATUS_SUCCESS);
  assert_int_equal(wd.Length, 6);
  assert_int_equal(wd.MaximumLength, 8);
  assert_int_equal(wb[3], 0);
  UNICODE_STRING tight = {2, 7, wb};
  assert_int_equal(RtlUTF8StringToUnicodeString(&tight, &u8, FALSE),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(tight.Length, 2);
  UTF8_STRING broken = RTL_CONSTANT_STRING("a\xFF");
  assert_int_equal(RtlUTF8StringToUnicodeString(&wd, &broken, FALSE),
                   STATUS_SOME_NOT_MAPPED);
  assert_int_equal(wd.Length, 4);
  assert_int_equal(wb[1], 0xFFFD);
  char cb[4];
  UTF8_STRING cd = {0, sizeof cb, cb};
  static WCHAR lone[] = {0xD800};
  UNICODE_STRING ls = {2, 2, lone};
  assert_int_equal(RtlUnicodeStringToUTF8String(&cd, &ls, FALSE),
                   STATUS_SOME_NOT_MAPPED);
  assert_int_equal(cd.Length, 3);
  assert_memory_equal(cb, "\xEF\xBF\xBD", 4);
  UTF8_STRING small = {0, 3, cb};
  assert_int_equal(RtlUnicodeStringToUTF8String(&small, &ls, FALSE),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(small.Length, 0);
  // A result above MAXUSHORT: 21846 three-byte characters need 65539.
  WCHAR *big = malloc(21846 * sizeof(WCHAR));
  assert_non_null(big);
  for (int i = 0; i < 21846; i++) big[i] = 0x20AC;
  UNICODE_STRING bs = {21846 * 2, 21846 * 2, big};
  UTF8_STRING none = {0, 0, NULL};
  assert_int_equal(RtlUnicodeStringToUTF8String(&none, &bs, TRUE),
                   STATUS_INVALID_PARAMETER_2);
  assert_null(none.Buffer);
  free(big);
  // Empty strings.
  UTF8_STRING e8 = {0, 0, NULL};
  assert_int_equal(RtlUTF8StringToUnicodeString(&u, &e8, TRUE), STATUS_SUCCESS);
  assert_int_equal(u.Length, 0);
  assert_int_equal(u.MaximumLength, 2);
  RtlFreeUnicodeString(&u);
}

/* ---------------------------------------------------------------------------
 * Duplicate, create, free
 * ------------------------------------------------------------------------- */

static void test_duplicate(void **state) {
  UNICODE_STRING in = RTL_CONSTANT_STRING(u"dup");
  UNICODE_STRING out = {0, 0, NULL};
  const ULONG nt = RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE;
  // One line: compilers differ on __LINE__ inside a multi-line macro call.
  int line = __LINE__; NTSTATUS st = RtlDuplicateUnicodeString(nt, &in, &out);
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(out.Length, 6);
  assert_int_equal(out.MaximumLength, 8);
  assert_true(wequal(out.Buffer, u"dup", 4));
  assert_string_block(state, out.Buffer, 8, KP_API_RTL_DUPLICATE_UNICODE, line);
  RtlFreeUnicodeString(&out);
  // Flags 0: exactly Length bytes.
  assert_int_equal(RtlDuplicateUnicodeString(0, &in, &out), STATUS_SUCCESS);
  assert_int_equal(out.MaximumLength, 6);
  RtlFreeUnicodeString(&out);
  // Empty input: no buffer unless both flags.
  UNICODE_STRING empty = {0, 0, NULL};
  out.Buffer = (PWCH)(uintptr_t)1;
  assert_int_equal(RtlDuplicateUnicodeString(1, &empty, &out), STATUS_SUCCESS);
  assert_null(out.Buffer);
  assert_int_equal(out.MaximumLength, 0);
  assert_int_equal(RtlDuplicateUnicodeString(3, &empty, &out), STATUS_SUCCESS);
  assert_non_null(out.Buffer);
  assert_int_equal(out.Length, 0);
  assert_int_equal(out.MaximumLength, 2);
  assert_int_equal(out.Buffer[0], 0);
  RtlFreeUnicodeString(&out);
  // Invalid parameters.
  assert_int_equal(RtlDuplicateUnicodeString(2, &in, &out),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlDuplicateUnicodeString(4, &in, &out),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlDuplicateUnicodeString(1, NULL, &out),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(RtlDuplicateUnicodeString(1, &in, NULL),
                   STATUS_INVALID_PARAMETER);
  UNICODE_STRING longer = {8, 6, in.Buffer};
  assert_int_equal(RtlDuplicateUnicodeString(1, &longer, &out),
                   STATUS_INVALID_PARAMETER);
  UNICODE_STRING nobuf = {0, 4, NULL};
  assert_int_equal(RtlDuplicateUnicodeString(1, &nobuf, &out),
                   STATUS_INVALID_PARAMETER);
  // Length 0xFFFE with a terminator needs 0x10000 bytes.
  WCHAR *big = calloc(0x7FFF, sizeof(WCHAR));
  assert_non_null(big);
  UNICODE_STRING b = {0xFFFE, 0xFFFE, big};
  assert_int_equal(RtlDuplicateUnicodeString(1, &b, &out),
                   STATUS_NAME_TOO_LONG);
  assert_int_equal(RtlDuplicateUnicodeString(0, &b, &out), STATUS_SUCCESS);
  assert_int_equal(out.MaximumLength, 0xFFFE);
  RtlFreeUnicodeString(&out);
  free(big);
}

static void test_create(void **state) {
  UNICODE_STRING s = {0, 0, NULL};
  int line = __LINE__; BOOLEAN ok = RtlCreateUnicodeString(&s, u"made");
  assert_true(ok);
  assert_int_equal(s.Length, 8);
  assert_int_equal(s.MaximumLength, 10);
  assert_true(wequal(s.Buffer, u"made", 5));
  assert_string_block(state, s.Buffer, 10, KP_API_RTL_CREATE_UNICODE, line);
  RtlFreeUnicodeString(&s);
  assert_false(RtlCreateUnicodeString(&s, NULL));
  assert_null(s.Buffer);
  assert_true(RtlCreateUnicodeString(&s, u""));
  assert_int_equal(s.MaximumLength, 2);
  RtlFreeUnicodeString(&s);
}

static void test_allocation_failure(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_PAGED, 0, 0),
                   STATUS_SUCCESS);
  STRING a = RTL_CONSTANT_STRING("abc");
  UNICODE_STRING u = {0, 0, NULL};
  UNICODE_STRING in = RTL_CONSTANT_STRING(u"abc");
  ANSI_STRING as = {0, 0, NULL};
  assert_int_equal(RtlAnsiStringToUnicodeString(&u, &a, TRUE), STATUS_NO_MEMORY);
  assert_null(u.Buffer);
  assert_int_equal(RtlUnicodeStringToAnsiString(&as, &in, TRUE),
                   STATUS_NO_MEMORY);
  assert_int_equal(RtlUTF8StringToUnicodeString(&u, &a, TRUE), STATUS_NO_MEMORY);
  assert_int_equal(RtlUnicodeStringToUTF8String(&as, &in, TRUE),
                   STATUS_NO_MEMORY);
  assert_int_equal(RtlUpcaseUnicodeString(&u, &in, TRUE), STATUS_NO_MEMORY);
  assert_int_equal(RtlDowncaseUnicodeString(&u, &in, TRUE), STATUS_NO_MEMORY);
  assert_int_equal(RtlDuplicateUnicodeString(1, &in, &u), STATUS_NO_MEMORY);
  assert_false(RtlCreateUnicodeString(&u, u"x"));
  assert_null(u.Buffer);
  assert_null(as.Buffer);
  (void)kp_pool_set_available(sys, KP_POOL_PAGED, 0, SIZE_MAX);
}

static void test_free_rules(void **state) {
  kp_system_t *sys = *state;
  // Buffer NULL: nothing happens.
  UNICODE_STRING none = {0, 0, NULL};
  RtlFreeUnicodeString(&none);
  ANSI_STRING anone = {0, 0, NULL};
  RtlFreeAnsiString(&anone);
  // The free zeroes the struct, so a second call on it is harmless.
  UNICODE_STRING s = {0, 0, NULL};
  assert_true(RtlCreateUnicodeString(&s, u"twice"));
  RtlFreeUnicodeString(&s);
  assert_null(s.Buffer);
  assert_int_equal(s.Length, 0);
  assert_int_equal(s.MaximumLength, 0);
  RtlFreeUnicodeString(&s);
  assert_int_equal(kpt_last.count, 0);
  // ExFreePoolWithTag with the string tag is a correct free.
  assert_true(RtlCreateUnicodeString(&s, u"tagged"));
  ExFreePoolWithTag(s.Buffer, 'grtS');
  (void)sys;
}

static void test_double_free_through_copy(void **state) {
  (void)state;
  UNICODE_STRING s = {0, 0, NULL};
  assert_true(RtlCreateUnicodeString(&s, u"shared"));
  UNICODE_STRING copy = s;
  RtlFreeUnicodeString(&s);
  int line = __LINE__; bool caught;
  KPT_CATCH(caught, RtlFreeUnicodeString(&copy));
  assert_true(caught);
  // Verifier on (the test config): 0xC4/0x13; the report names both sites.
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x13);
  assert_true(kpt_last.has_free_site);
  assert_int_equal(kpt_last.free_site.line, line - 1);
  assert_int_equal(kpt_last.block.tag, STRG_TAG);
  assert_int_equal(kpt_last.block.api, KP_API_RTL_CREATE_UNICODE);
  (void)line;
}

static void test_wrong_free_routine(void **state) {
  (void)state;
  // A string buffer freed with another tag: 0xC2/0x0A.
  UNICODE_STRING s = {0, 0, NULL};
  assert_true(RtlCreateUnicodeString(&s, u"mine"));
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, ExFreePoolWithTag(s.Buffer, 'gaT1'));
  assert_int_equal(kpt_last.p[2], STRG_TAG);
  assert_int_equal(kpt_last.p[3], 'gaT1');
  RtlFreeUnicodeString(&s);
  // The driver's own buffer given to RtlFreeUnicodeString: 0xC2/0x0A too.
  PWCH own = ExAllocatePool2(POOL_FLAG_PAGED, 8, 'gaT1');
  assert_non_null(own);
  UNICODE_STRING o = {0, 8, own};
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, RtlFreeUnicodeString(&o));
  assert_int_equal(kpt_last.p[2], 'gaT1');
  assert_int_equal(kpt_last.p[3], STRG_TAG);
  ExFreePoolWithTag(own, 'gaT1');
  // A buffer that is not pool memory at all (a stack array).
  WCHAR stack[4] = {0};
  UNICODE_STRING st = {0, sizeof stack, stack};
  bool caught;
  KPT_CATCH(caught, RtlFreeUnicodeString(&st));
  assert_true(caught);
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x10);
}

static void test_null_pointers_raise(void **state) {
  kp_system_t *sys = *state;
  UNICODE_STRING s = RTL_CONSTANT_STRING(u"a");
  // Unhandled: bug check 0x1E with STATUS_ACCESS_VIOLATION.
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)STATUS_ACCESS_VIOLATION,
                      RtlCopyUnicodeString(NULL, &s));
  assert_non_null(strstr(kpt_last.explanation, "STATUS_ACCESS_VIOLATION"));
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)STATUS_ACCESS_VIOLATION,
                      (void)RtlAppendUnicodeStringToString(&s, NULL));
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)STATUS_ACCESS_VIOLATION,
                      RtlInitUnicodeString(NULL, u"x"));
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)STATUS_ACCESS_VIOLATION,
                      (void)RtlCompareUnicodeString(&s, NULL, FALSE));
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)STATUS_ACCESS_VIOLATION,
                      RtlFreeUnicodeString(NULL));
  // A KP_TRY catches it like any raise.
  volatile NTSTATUS seen = STATUS_SUCCESS;
  KP_TRY { RtlCopyString(NULL, NULL); }
  KP_EXCEPT(code) { seen = code; }
  KP_END_TRY;
  assert_int_equal(seen, STATUS_ACCESS_VIOLATION);
  (void)sys;
}

/* A counted string with bytes to read or write but no Buffer: the kernel
 * would fault, kpool raises STATUS_ACCESS_VIOLATION and allocates nothing. */
static void test_unbacked_strings_raise(void **state) {
  (void)state;
  const uint64_t av = (uint64_t)(int64_t)STATUS_ACCESS_VIOLATION;
  UNICODE_STRING hollow = {4, 4, NULL};
  STRING ahollow = {3, 3, NULL};
  WCHAR wb[8];
  char cb[8];
  UNICODE_STRING w = {0, sizeof wb, wb};
  STRING c = {0, sizeof cb, cb};
  UNICODE_STRING ok = RTL_CONSTANT_STRING(u"ok");
  STRING aok = RTL_CONSTANT_STRING("ok");
  UNICODE_STRING nowhere = {0, 8, NULL};
  STRING anowhere = {0, 8, NULL};
  ULONG v;
  KPT_EXPECT_BUGCHECK(0x1E, av, RtlCopyUnicodeString(&w, &hollow));
  KPT_EXPECT_BUGCHECK(0x1E, av, RtlCopyUnicodeString(&nowhere, &ok));
  KPT_EXPECT_BUGCHECK(0x1E, av, RtlCopyString(&c, &ahollow));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlAppendUnicodeStringToString(&w, &hollow));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlAppendUnicodeStringToString(&nowhere, &ok));
  KPT_EXPECT_BUGCHECK(0x1E, av, (void)RtlAppendStringToString(&c, &ahollow));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlCompareUnicodeString(&hollow, &ok, TRUE));
  STRING abc = RTL_CONSTANT_STRING("abc");
  KPT_EXPECT_BUGCHECK(0x1E, av, (void)RtlEqualString(&ahollow, &abc, FALSE));
  // Different lengths are unequal without reading a byte.
  assert_false(RtlEqualString(&ahollow, &aok, FALSE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUpcaseUnicodeString(&w, &hollow, TRUE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUpcaseUnicodeString(&nowhere, &ok, FALSE));
  KPT_EXPECT_BUGCHECK(0x1E, av, RtlUpperString(&c, &ahollow));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlIntegerToUnicodeString(5, 10, &nowhere));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUnicodeStringToInteger(&hollow, 10, &v));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlAnsiStringToUnicodeString(&w, &ahollow, TRUE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlAnsiStringToUnicodeString(&nowhere, &aok, FALSE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUnicodeStringToAnsiString(&c, &hollow, TRUE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUnicodeStringToAnsiString(&anowhere, &ok, FALSE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUTF8StringToUnicodeString(&w, &ahollow, TRUE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUnicodeStringToUTF8String(&c, &hollow, TRUE));
  KPT_EXPECT_BUGCHECK(0x1E, av,
                      (void)RtlUnicodeStringToUTF8String(&anowhere, &ok, FALSE));
  // RtlDuplicateUnicodeString validates instead (its documented style).
  UNICODE_STRING out = {0, 0, NULL};
  assert_int_equal(RtlDuplicateUnicodeString(1, &hollow, &out),
                   STATUS_INVALID_PARAMETER);
  assert_null(out.Buffer);
  // Nothing was allocated by any of them (teardown checks for leaks too).
  assert_int_equal(w.Length, 0);
  assert_int_equal(c.Length, 0);
}

static void test_paged_allocation_irql(void **state) {
  (void)state;
  STRING a = RTL_CONSTANT_STRING("abc");
  UNICODE_STRING u = {0, 0, NULL};
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  bool caught;
  KPT_CATCH(caught, (void)RtlAnsiStringToUnicodeString(&u, &a, TRUE));
  KeLowerIrql(old);
  // Paged pool above APC_LEVEL: the pool's IRQL bug check (verifier 0xC4).
  assert_true(caught);
  assert_int_equal(kpt_last.code, 0xC4);
  assert_null(u.Buffer);
}

/* ---------------------------------------------------------------------------
 * Leaks at unload name the routine, the tag and the caller's site.
 * ------------------------------------------------------------------------- */

static void expect_leak_report(kp_system_t *sys, const char *routine,
                               int line) {
  char site[128];
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_non_null(strstr(kpt_output, "Tag 'Strg'"));
  snprintf(site, sizeof site, "test_string.c:%d (%s, paged pool", line,
           routine);
  if (strstr(kpt_output, site) == NULL)
    fail_msg("leak report lacks \"%s\":\n%s", site, kpt_output);
}

static void test_leaks_name_routine_and_site(void **state) {
  kp_system_t *sys = *state;
  STRING a = RTL_CONSTANT_STRING("abc");
  UNICODE_STRING in = RTL_CONSTANT_STRING(u"abc");
  UNICODE_STRING u = {0, 0, NULL};
  ANSI_STRING as = {0, 0, NULL};
  int line;

  line = __LINE__; (void)RtlAnsiStringToUnicodeString(&u, &a, TRUE);
  expect_leak_report(sys, "RtlAnsiStringToUnicodeString", line);
  RtlFreeUnicodeString(&u);
  line = __LINE__; (void)RtlUnicodeStringToAnsiString(&as, &in, TRUE);
  expect_leak_report(sys, "RtlUnicodeStringToAnsiString", line);
  RtlFreeAnsiString(&as);
  line = __LINE__; (void)RtlUTF8StringToUnicodeString(&u, &a, TRUE);
  expect_leak_report(sys, "RtlUTF8StringToUnicodeString", line);
  RtlFreeUnicodeString(&u);
  line = __LINE__; (void)RtlUnicodeStringToUTF8String(&as, &in, TRUE);
  expect_leak_report(sys, "RtlUnicodeStringToUTF8String", line);
  RtlFreeUTF8String(&as);
  line = __LINE__; (void)RtlUpcaseUnicodeString(&u, &in, TRUE);
  expect_leak_report(sys, "RtlUpcaseUnicodeString", line);
  RtlFreeUnicodeString(&u);
  line = __LINE__; (void)RtlDowncaseUnicodeString(&u, &in, TRUE);
  expect_leak_report(sys, "RtlDowncaseUnicodeString", line);
  RtlFreeUnicodeString(&u);
  line = __LINE__; (void)RtlDuplicateUnicodeString(1, &in, &u);
  expect_leak_report(sys, "RtlDuplicateUnicodeString", line);
  RtlFreeUnicodeString(&u);
  line = __LINE__; (void)RtlCreateUnicodeString(&u, u"leak");
  expect_leak_report(sys, "RtlCreateUnicodeString", line);
  RtlFreeUnicodeString(&u);
  assert_int_equal(kp_driver_unload(sys), STATUS_SUCCESS);
}

/* Called through the exported function (no call-site macro): the report
 * names the routine and the caller's return address. */
static void test_leak_through_function_pointer(void **state) {
  kp_system_t *sys = *state;
  BOOLEAN (*create)(PUNICODE_STRING, PCWSTR) = RtlCreateUnicodeString;
  UNICODE_STRING u = {0, 0, NULL};
  assert_true(create(&u, u"fp"));
  kp_block_info_t b = block_of(state, u.Buffer);
  assert_null(b.site.file);
  assert_non_null(b.site.caller);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_non_null(strstr(kpt_output, "(RtlCreateUnicodeString, paged pool"));
  assert_non_null(strstr(kpt_output, "caller 0x"));
  (RtlFreeUnicodeString)(&u);
  assert_null(u.Buffer);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
      T(test_init_unicode),
      T(test_init_unicode_limits),
      T(test_init_ansi_utf8),
      T(test_constant_and_declared_strings),
      T(test_copy_unicode),
      T(test_copy_ansi),
      T(test_append),
      T(test_compare_unicode),
      T(test_compare_ansi),
      T(test_case_chars),
      T(test_upcase_downcase_string),
      T(test_integer_to_unicode),
      T(test_integer_to_char),
      T(test_char_to_integer),
      T(test_unicode_string_to_integer),
      T(test_ansi_to_unicode),
      T(test_unicode_to_ansi),
      T(test_utf8_to_unicode_n),
      T(test_unicode_to_utf8_n),
      T(test_utf8_strings),
      T(test_duplicate),
      T(test_create),
      T(test_allocation_failure),
      T(test_free_rules),
      T(test_double_free_through_copy),
      T(test_wrong_free_routine),
      T(test_null_pointers_raise),
      T(test_unbacked_strings_raise),
      T(test_paged_allocation_irql),
      T(test_leaks_name_routine_and_site),
      T(test_leak_through_function_pointer),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
