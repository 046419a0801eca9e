/*
 * test_format.c — kpool/format.h, the kernel's printf dialect: each
 * conversion and size prefix, flags, width and precision (also `*`),
 * counted strings, the 8-bit <-> UTF-16 conversions, floating point with
 * and without KP_FORMAT_NO_FLOAT, and exact truncation with the full
 * length returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kpool/format.h>

/* Formats into a 256-byte buffer and checks text and returned length. */
static void check(const char *want, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  size_t n = kp_vformat(buf, sizeof buf, 0, fmt, ap);
  va_end(ap);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

static void test_integers(void **state) {
  (void)state;
  check("42|-42|42|52|2a|2A", "%d|%i|%u|%o|%x|%X", 42, -42, 42u, 42u, 42u, 42u);
  // `l` is 32 bits, as Windows' LONG: a 64-bit argument would be misread,
  // so pass 32-bit values.
  check("4294967295|-1", "%lu|%ld", (uint32_t)0xFFFFFFFFu, (int32_t)-1);
  check("1122334455667788|-9223372036854775808", "%I64x|%I64d",
        (unsigned long long)0x1122334455667788ull, (long long)INT64_MIN);
  check("18446744073709551615|ffffffffffffffff", "%llu|%llx", ~0ull, ~0ull);
  check("7|-7", "%I32u|%I32d", 7u, -7);
  check("ffffffffffffffff|-1|10", "%Ix|%Id|%Iu", (uintptr_t)-1, (intptr_t)-1,
        (uintptr_t)10);
  check("10|-3|5", "%zu|%td|%jd", (size_t)10, (ptrdiff_t)-3, (intmax_t)5);
  check("-1|255|-1|65535", "%hhd|%hhu|%hd|%hu", 255, 255, 65535, 65535);
  check("  +5|-5  |00042|  042|   ", "%+4d|%-4d|%05d|%5.3d|%3.0d", 5, -5, 42,
        42, 0);
  check(" 7|0x1f|0X1F|017|0", "% d|%#x|%#X|%#o|%#x", 7, 31u, 31u, 15u, 0u);
  check("-0042", "%05d", -42);
  check("%", "%%");
}

static void test_star_width_and_precision(void **state) {
  (void)state;
  check("   ab|ab   |abc|a", "%*s|%*s|%.*s|%.*s", 5, "ab", -5, "ab", 3,
        "abcdef", 1, "axyz");
  // A negative precision counts as none.
  check("abcdef", "%.*s", -1, "abcdef");
  check("00012", "%.*d", 5, 12);
}

static void test_strings_and_chars(void **state) {
  (void)state;
  const uint16_t wide[] = {'w', 'i', 0x00E9, 0};
  check("narrow|wi\xc3\xa9|wi\xc3\xa9|wi\xc3\xa9|narrow", "%s|%S|%ls|%ws|%hs",
        "narrow", wide, wide, wide, "narrow");
  check("q|\xc3\xa9|\xc3\xa9|\xc3\xa9|z", "%c|%C|%lc|%wc|%hc", 'q', 0xE9, 0xE9,
        0xE9, 'z');
  check("(null)|(null)", "%s|%ws", (const char *)NULL, (const uint16_t *)NULL);
  check("wi", "%.2ws", wide);
  // A surrogate pair is one code point; a lone surrogate is '?'.
  const uint16_t pair[] = {0xD83D, 0xDE00, 0xD800, 'x', 0};
  check("\xf0\x9f\x98\x80?x", "%ws", pair);
}

static void test_counted_strings(void **state) {
  (void)state;
  uint16_t wbuf[] = {'D', 'e', 'v', 'X'};
  kp_counted16_t us = {6, 8, wbuf};
  char abuf[] = "ansi-text";
  kp_counted8_t as = {4, 10, abuf};
  check("Dev|ansi|Dev|  Dev|De", "%wZ|%Z|%lZ|%5wZ|%.2wZ", &us, &as, &us, &us,
        &us);
  kp_counted16_t nobuf = {2, 2, NULL};
  check("(null)|(null)", "%wZ|%Z", &nobuf, (const kp_counted8_t *)NULL);
}

static void test_pointer_and_misc(void **state) {
  (void)state;
  check("0000000000ABCDEF|    0000000000000001", "%p|%20p",
        (void *)(uintptr_t)0xABCDEF, (void *)(uintptr_t)1);
  int n = 99;
  // %n is consumed and never written.
  check("ab", "a%nb", &n);
  assert_int_equal(n, 99);
  // Unknown conversions are copied, no argument consumed; a lone % too.
  check("%y 5 %", "%y %d %", 5);
  check("", NULL);
}

static void test_floating_point(void **state) {
  (void)state;
  check("1.50|  2.3|-1.000000e+00|1E+01|0x1p+0", "%.2f|%5.1f|%e|%.0E|%a", 1.5,
        2.3, -1.0, 10.0, 1.0);
  check("+1.0|-001.5| 2.0|3.|0.5", "%+.1f|%06.1f|% .1f|%#.0f|%g", 1.0, -1.5,
        2.0, 3.0, 0.5);
  check("inf|     nan|     inf", "%f|%8f|%08f", (double)INFINITY, (double)NAN,
        (double)INFINITY);
  check("2.5", "%.1Lf", (long double)2.5);
  // DbgPrint's reading: unsupported, shown as written, argument consumed.
  char buf[64];
  size_t len =
      kp_format(buf, sizeof buf, KP_FORMAT_NO_FLOAT, "%d %.2f %d", 1, 3.5, 2);
  assert_string_equal(buf, "1 %.2f 2");
  assert_int_equal(len, 8);
}

static void test_truncation_is_exact(void **state) {
  (void)state;
  char buf[8];
  memset(buf, 'X', sizeof buf);
  // 10 characters into 6 bytes: the first 5 and a NUL, nothing beyond.
  assert_int_equal(kp_format(buf, 6, 0, "%s%d", "abcde", 12345), 10);
  assert_memory_equal(buf, "abcde\0XX", 8);
  // Exact fit, and one short.
  assert_int_equal(kp_format(buf, 4, 0, "abc"), 3);
  assert_string_equal(buf, "abc");
  assert_int_equal(kp_format(buf, 3, 0, "abc"), 3);
  assert_string_equal(buf, "ab");
  // Size 1: only the NUL; size 0 and NULL: measure only.
  memset(buf, 'X', sizeof buf);
  assert_int_equal(kp_format(buf, 1, 0, "abc"), 3);
  assert_int_equal(buf[0], 0);
  assert_int_equal(buf[1], 'X');
  assert_int_equal(kp_format(buf, 0, 0, "abc"), 3);
  assert_int_equal(buf[0], 0);
  assert_int_equal(
      kp_format(NULL, 0, 0, "%d-%ws", 123, (const uint16_t *)u"wide"), 8);
  // A huge width is counted, not written.
  assert_int_equal(kp_format(buf, sizeof buf, 0, "%*d", 1000000000, 7),
                   1000000000);
  assert_string_equal(buf, "       ");
  // A multi-byte UTF-8 sequence is cut like any bytes.
  assert_int_equal(kp_format(buf, 3, 0, "a%wc", 0x20AC), 4);
  assert_memory_equal(buf, "a\xe2\0", 3);
}

static void test_utf16_output(void **state) {
  (void)state;
  uint16_t w[16];
  // %s is wide in a UTF-16 format, %S narrow; UTF-8 input is decoded.
  size_t n = kp_format16(w, 16, 0, (const uint16_t *)u"%s|%S|%d|%C",
                         (const uint16_t *)u"ab", "c\xc3\xa9", -7, 'z');
  const uint16_t want[] = {'a', 'b', '|', 'c', 0xE9, '|',
                           '-', '7', '|', 'z', 0};
  assert_int_equal(n, 10);
  assert_memory_equal(w, want, sizeof want);
  // A byte that starts no valid UTF-8 sequence stands for itself.
  n = kp_format16(w, 16, 0, (const uint16_t *)u"%hs",
                  "\xff"
                  "A");
  assert_int_equal(n, 2);
  assert_int_equal(w[0], 0xFF);
  assert_int_equal(w[1], 'A');
  // A 4-byte sequence becomes a surrogate pair.
  n = kp_format16(w, 16, 0, (const uint16_t *)u"%S", "\xf0\x9f\x98\x80");
  assert_int_equal(n, 2);
  assert_int_equal(w[0], 0xD83D);
  assert_int_equal(w[1], 0xDE00);
  // Truncation in units.
  for (size_t i = 0; i < 16; i++) w[i] = 0x5858;
  n = kp_format16(w, 4, 0, (const uint16_t *)u"%u", 123456u);
  assert_int_equal(n, 6);
  assert_int_equal(w[2], '3');
  assert_int_equal(w[3], 0);
  assert_int_equal(w[4], 0x5858);
  assert_int_equal(
      kp_format16(NULL, 0, 0, (const uint16_t *)u"%wZ", (kp_counted16_t *)NULL),
      6);
  assert_int_equal(kp_format16(w, 4, 0, NULL), 0);
  assert_int_equal(w[0], 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_integers),
      cmocka_unit_test(test_star_width_and_precision),
      cmocka_unit_test(test_strings_and_chars),
      cmocka_unit_test(test_counted_strings),
      cmocka_unit_test(test_pointer_and_misc),
      cmocka_unit_test(test_floating_point),
      cmocka_unit_test(test_truncation_is_exact),
      cmocka_unit_test(test_utf16_output),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
