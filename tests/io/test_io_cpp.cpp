// test_io_cpp.cpp — a driver's DriverEntry and dispatch routines (the toy
// driver) compiled as C++17 against <ntddk.h>, loaded and driven.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {
#include <cmocka.h>
}

#include <ntddk.h>
#include <fltKernel.h>
#include <wdmsec.h>

// Not <kpool/kpool.h>: main's monitor.h trips g++ -Wshadow (reported).
#include <kpool/bugcheck.h>
#include <kpool/io.h>
#include <kpool/system.h>
#include "io/toy_driver.h"

static void test_cpp_driver_round_trip(void **state) {
  kp_system_t *sys = static_cast<kp_system_t *>(*state);
  kp_system_set_current(sys);
  kp_driver_t *drv = nullptr;
  assert_int_equal(kp_driver_load(sys, "Toy", reinterpret_cast<kp_driver_init_fn>(ToyDriverEntry),
                                  &drv),
                   STATUS_SUCCESS);
  kp_io_handle_t *h = nullptr;
  assert_int_equal(kp_io_open(sys, "\\\\.\\Toy", KP_GENERIC_READ, &h), STATUS_SUCCESS);
  char in[3] = {'o', 'k', 0}, out[3] = {0, 0, 0};
  uint64_t info = 0;
  assert_int_equal(kp_io_ioctl(h, IOCTL_TOY_ECHO, in, 2, out, 2, &info), STATUS_SUCCESS);
  assert_int_equal(info, 2);
  assert_memory_equal(out, "ok", 2);
  assert_int_equal(kp_io_close(h), STATUS_SUCCESS);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  kp_system_set_current(nullptr);
}

static void quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static int setup(void **state) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  *state = kp_system_create(&cfg);
  return *state != nullptr ? 0 : -1;
}

static int teardown(void **state) {
  kp_system_t *sys = static_cast<kp_system_t *>(*state);
  uint32_t bugchecks = kp_bugcheck_count(sys);
  kp_system_destroy(sys);
  return bugchecks == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cpp_driver_round_trip, setup, teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
