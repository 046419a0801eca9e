/*
 * test_wdk_sync.c — the C11 half of the compile-and-run test of the WDK
 * names added for interlocked operations and locks (kp_wdk_interlocked.h,
 * kp_wdk_sync.h): a driver-style translation unit including <ntddk.h>,
 * with its own prototypes of WDK names, calling every name
 * (wdk_sync_uses.inc, shared with test_wdk_sync_cpp.cpp).
 */
#include <ntddk.h>

#include <kpool/cmocka.h>

#include "wdk_sync_uses.inc"

static kp_system_t *sys;
static kp_system_t *prev;

static int setup(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  sys = kp_system_create(&cfg);
  prev = kp_system_set_current(sys);
  return sys == NULL;
}

static int teardown(void **state) {
  (void)state;
  kp_system_set_current(prev);
  kp_system_destroy(sys);
  return 0;
}

static void test_interlocked_names(void **state) {
  (void)state;
  KP_ASSERT_NO_BUGCHECK(sys, assert_int_equal(wdk_interlocked_uses(), 0));
}

static void test_lock_names(void **state) {
  (void)state;
  KP_ASSERT_NO_BUGCHECK(sys, assert_int_equal(wdk_lock_uses(), 0));
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
}

static void test_misuse_through_wdk_names(void **state) {
  (void)state;
  static ERESOURCE r;
  ExInitializeResourceLite(&r);
  // Verifier on: acquiring without a critical region is 0xC4/0x37.
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x37, PASSIVE_LEVEL, 0,
                            (uint64_t)(uintptr_t)&r,
                            ExAcquireResourceSharedLite(&r, TRUE));
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x3E, KeLeaveCriticalRegion());
  ExDeleteResourceLite(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_interlocked_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lock_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_misuse_through_wdk_names, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
