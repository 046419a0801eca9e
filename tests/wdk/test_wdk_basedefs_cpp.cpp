/*
 * test_wdk_basedefs_cpp.cpp — the WDK's basic definitions in C++17:
 * min/max against <algorithm> in both include orders,
 * DEFINE_ENUM_FLAG_OPERATORS, WCHAR literals and the wide CRT beside the
 * host's, the C run-time names after <ntddk.h>.
 *
 * This file includes <algorithm> BEFORE <ntddk.h> (no NOMINMAX): min and
 * max are then the WDK's macros, and std::min must be written
 * (std::min)(a, b). test_wdk_basedefs_nominmax.cpp shows the other order,
 * which needs NOMINMAX.
 *
 * Built twice: test_wdk_basedefs_cpp (WCHAR is char16_t, u"...") and
 * test_wdk_basedefs_cpp_short (-fshort-wchar: WCHAR is wchar_t, L"...").
 */
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <type_traits>
extern "C" {
#include <cmocka.h>
}

#include <ntddk.h>

/* From test_wdk_basedefs_nominmax.cpp. */
int nominmax_std_min(int a, int b);
bool nominmax_macros_absent();
bool nominmax_enum_flags_work();

namespace {

enum class Access : ULONG { None = 0, Read = 1, Write = 2, Execute = 4 };
DEFINE_ENUM_FLAG_OPERATORS(Access)

typedef enum _LEGACY_FLAGS : UCHAR { LfNone = 0, LfA = 0x01, LfHigh = 0x80 } LEGACY_FLAGS;
DEFINE_ENUM_FLAG_OPERATORS(LEGACY_FLAGS);

void test_min_max_after_algorithm(void **) {
#ifndef min
  fail_msg("min is the WDK macro after <ntddk.h> without NOMINMAX");
#endif
  assert_int_equal(min(3, 9), 3);
  assert_int_equal(max(3, 9), 9);
  // The standard functions, protected from the macros by parentheses.
  assert_int_equal((std::min)(4, 2), 2);
  assert_int_equal((std::max)({1, 7, 3}), 7);
  // <algorithm>'s templates were parsed before the macros existed.
  int v[] = {5, 1, 4};
  std::sort(v, v + 3);
  assert_int_equal(v[0], 1);
  assert_int_equal(*std::max_element(v, v + 3), 5);
}

void test_min_max_with_nominmax_first() {
  // The other TU: NOMINMAX, <ntddk.h> first, then <algorithm>.
  assert_true(nominmax_macros_absent());
  assert_int_equal(nominmax_std_min(8, 6), 6);
  assert_true(nominmax_enum_flags_work());
}

void test_nominmax(void **) { test_min_max_with_nominmax_first(); }

void test_enum_flag_operators(void **) {
  Access a = Access::Read | Access::Write;
  assert_int_equal(static_cast<ULONG>(a), 3);
  a |= Access::Execute;
  assert_int_equal(static_cast<ULONG>(a), 7);
  a &= ~Access::Write;
  assert_int_equal(static_cast<ULONG>(a), 5);
  assert_true((a & Access::Read) == Access::Read);
  assert_true((a & Access::Write) == Access::None);
  a ^= Access::Read;
  assert_true(a == Access::Execute);
  assert_true((Access::Read ^ Access::Read) == Access::None);
  // constexpr, as the WDK's.
  constexpr Access rw = Access::Read | Access::Write;
  static_assert(static_cast<ULONG>(rw) == 3, "constexpr operator|");
  // A one-byte enum keeps its width: ~ stays within UCHAR.
  LEGACY_FLAGS f = LfA | LfHigh;
  assert_int_equal(f, 0x81);
  f &= ~LfHigh;
  assert_int_equal(f, LfA);
  assert_int_equal(static_cast<UCHAR>(~LfNone), 0xFF);
}

void test_wchar_and_wide_crt(void **) {
  static_assert(sizeof(WCHAR) == 2, "WCHAR is 16 bits");
#if KPOOL_SHORT_WCHAR
  // -fshort-wchar: WCHAR is wchar_t and L"..." is a PCWSTR, as in a WDK
  // build.
  static_assert(std::is_same<WCHAR, wchar_t>::value, "WCHAR is wchar_t");
  const WCHAR *hello = L"hello";
  WCHAR arr[] = L"x\u00e9";
  static_assert(sizeof arr == 6, "16-bit wide literal");
  assert_int_equal(arr[1], 0xE9);
#else
  // WCHAR is char16_t: u"..." literals are PCWSTR.
  static_assert(std::is_same<WCHAR, char16_t>::value, "WCHAR is char16_t");
  const WCHAR *hello = u"hello";
#endif
  assert_int_equal(wcslen(hello), 5);
  WCHAR buf[8];
  wcscpy(buf, hello);
  assert_int_equal(wcscmp(buf, hello), 0);
  assert_ptr_equal(wcschr(buf, WCHAR('l')), buf + 2);
#if KPOOL_SHORT_WCHAR
  assert_int_equal(_wcsicmp(L"HELLO", hello), 0);
#else
  assert_int_equal(_wcsicmp(u"HELLO", hello), 0);
#endif
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, hello);
  assert_int_equal(s.Length, 10);
#if KPOOL_SHORT_WCHAR
  UNICODE_STRING k = RTL_CONSTANT_STRING(L"Key");
#else
  UNICODE_STRING k = RTL_CONSTANT_STRING(u"Key");
#endif
  assert_int_equal(k.MaximumLength, 8);
  STRING a = RTL_CONSTANT_STRING("ansi");
  assert_int_equal(a.Length, 4);
#if !KPOOL_SHORT_WCHAR
  // The host's wide functions still work on its own wchar_t (under
  // -fshort-wchar they cannot: the C and C++ libraries assume 4 bytes).
  std::wstring host(L"four");
  assert_int_equal(host.size(), 4);
  assert_int_equal(std::wcslen(L"three"), 5);
#endif
  // The byte functions, visible after <ntddk.h>.
  char c[8];
  memset(c, 0, sizeof c);
  memcpy(c, "ok", 2);
  assert_int_equal(strlen(c), 2);
  assert_int_equal(_stricmp(c, "OK"), 0);
}

} // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_min_max_after_algorithm),
      cmocka_unit_test(test_nominmax),
      cmocka_unit_test(test_enum_flag_operators),
      cmocka_unit_test(test_wchar_and_wide_crt),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
