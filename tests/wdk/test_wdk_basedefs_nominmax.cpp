/*
 * test_wdk_basedefs_nominmax.cpp — the other include order: <ntddk.h>
 * FIRST, then <algorithm>. That only compiles with NOMINMAX (the WDK's
 * convention), which leaves min and max undefined so that std::min and
 * std::max parse. Linked into test_wdk_basedefs_cpp.
 */
#define NOMINMAX
#include <ntddk.h>

#include <algorithm>
#include <vector>

#if defined(min) || defined(max)
#error "NOMINMAX must leave min and max undefined"
#endif

enum class Mode : USHORT { Off = 0, On = 1, Fast = 2 };
DEFINE_ENUM_FLAG_OPERATORS(Mode)

int nominmax_std_min(int a, int b) {
  std::vector<int> v{a, b};
  return *std::min_element(v.begin(), v.end()) == std::min(a, b)
             ? std::min(a, b)
             : -1;
}

bool nominmax_macros_absent() { return true; }

bool nominmax_enum_flags_work() {
  Mode m = Mode::On | Mode::Fast;
  m &= ~Mode::On;
  return m == Mode::Fast;
}
