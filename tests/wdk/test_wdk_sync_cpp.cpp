/*
 * test_wdk_sync_cpp.cpp — the C++17 half of the compile-and-run test of
 * the interlocked and lock WDK names (see test_wdk_sync.c): the same
 * driver-style code, with its own prototypes, built as C++.
 */
#include <ntddk.h>

#include <kpool/kpool.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
extern "C" {
#include <cmocka.h>
}

#include "wdk_sync_uses.inc"

namespace {

kp_system_t *sys;
kp_system_t *prev;

int setup(void **) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  sys = kp_system_create(&cfg);
  prev = kp_system_set_current(sys);
  return sys == nullptr;
}

int teardown(void **) {
  kp_system_set_current(prev);
  kp_system_destroy(sys);
  return 0;
}

void test_interlocked_names(void **) { assert_int_equal(wdk_interlocked_uses(), 0); }

void test_lock_names(void **) {
  assert_int_equal(wdk_lock_uses(), 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_interlocked_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lock_names, setup, teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
