/*
 * test_aging_cache.c — the aging cache driven through the virtual clock:
 * advance, let the work item run (kp_workitem_wait_idle), assert exactly
 * which entries were flushed and when; and an unload that forgot
 * AgcDestroy, with the timer still set, reaching bug check 0xC7.
 */
#include "aging_cache.h"

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

static kp_system_t *sys;
static kp_system_t *prev;
static char device_storage[64]; /* a stand-in DEVICE_OBJECT (see the header) */
#define DEVICE ((PDEVICE_OBJECT)(void *)device_storage)

typedef struct flush_log {
  ULONG keys[16];
  ULONG count;
  uint64_t at_ms[16];
} flush_log_t;

static VOID on_flush(PVOID Context, ULONG Key) {
  flush_log_t *log = Context;
  if (log->count < 16) {
    log->keys[log->count] = Key;
    log->at_ms[log->count] = kp_clock_now(sys);
  }
  log->count++;
}

static int make(uint32_t verifier_flags) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = verifier_flags;
  sys = kp_system_create(&cfg);
  if (sys == NULL) return -1;
  prev = kp_system_set_current(sys);
  return 0;
}

static int setup(void **state) {
  (void)state;
  return make(KP_VERIFY_DEFAULT);
}

static int setup_no_tracking(void **state) {
  (void)state;
  return make(KP_VERIFY_AUTOMATIC);
}

static int teardown(void **state) {
  (void)state;
  kp_system_set_current(prev);
  kp_system_destroy(sys);
  return 0;
}

/* Advances the clock, then lets a flush the DPCs queued finish. */
static void advance(uint64_t ms) {
  kp_clock_advance(sys, ms);
  kp_workitem_wait_idle(sys);
}

static void test_entries_flushed_when_expired(void **state) {
  (void)state;
  flush_log_t log = {0};
  PAGING_CACHE c = NULL;
  // TTL 100 ms, aged every 20 ms.
  assert_int_equal(AgcCreate(DEVICE, 100, 20, on_flush, &log, &c), STATUS_SUCCESS);
  assert_int_equal(AgcInsert(c, 1), STATUS_SUCCESS);
  assert_int_equal(AgcInsert(c, 2), STATUS_SUCCESS);
  advance(50);
  assert_int_equal(AgcInsert(c, 3), STATUS_SUCCESS); // expires at 150
  advance(49);                                       // t = 99
  assert_int_equal(log.count, 0);
  assert_int_equal(AgcCount(c), 3);
  advance(1); // t = 100: the DPC at 100 sees 1 and 2 expired
  assert_int_equal(log.count, 2);
  assert_int_equal(log.keys[0], 1);
  assert_int_equal(log.keys[1], 2);
  assert_int_equal(log.at_ms[0], 100);
  assert_false(AgcContains(c, 1));
  assert_true(AgcContains(c, 3));
  advance(59); // t = 159: the DPCs at 120 and 140 found nothing expired
  assert_int_equal(log.count, 2);
  advance(1); // t = 160: 3 expired at 150, flushed at the next tick
  assert_int_equal(log.count, 3);
  assert_int_equal(log.keys[2], 3);
  assert_int_equal(log.at_ms[2], 160);
  assert_int_equal(AgcCount(c), 0);
  assert_int_equal(c->Flushed, 3);
  AgcDestroy(c);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
}

static void test_destroy_with_entries_left(void **state) {
  (void)state;
  PAGING_CACHE c = NULL;
  assert_int_equal(AgcCreate(DEVICE, 1000, 10, NULL, NULL, &c), STATUS_SUCCESS);
  for (ULONG k = 0; k < 10; k++) AgcInsert(c, k);
  advance(30);
  assert_int_equal(AgcCount(c), 10);
  AgcDestroy(c); // cancels the timer, frees the entries
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);
}

static void test_bad_arguments(void **state) {
  (void)state;
  PAGING_CACHE c = NULL;
  assert_int_equal(AgcCreate(NULL, 10, 10, NULL, NULL, &c), STATUS_INVALID_PARAMETER);
  assert_int_equal(AgcCreate(DEVICE, 0, 10, NULL, NULL, &c), STATUS_INVALID_PARAMETER);
  assert_int_equal(AgcCreate(DEVICE, 10, 0, NULL, NULL, &c), STATUS_INVALID_PARAMETER);
  assert_int_equal(AgcCreate(DEVICE, 10, 10, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
  AgcDestroy(NULL);
}

/* The driver forgot AgcDestroy in its Unload: the periodic timer is still
 * set. Without pool tracking the timer is the first finding: 0xC7, P1 = 0
 * (a timer), P2 = the KTIMER. */
static void test_unload_with_timer_set(void **state) {
  (void)state;
  PAGING_CACHE c = NULL;
  assert_int_equal(AgcCreate(DEVICE, 100, 20, NULL, NULL, &c), STATUS_SUCCESS);
  AgcInsert(c, 7);
  advance(40);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC7, 0, (uint64_t)(uintptr_t)&c->AgeTimer,
                            KP_ANY, KP_ANY, kp_driver_unload(sys));
  AgcDestroy(c);
}

/* With pool tracking too, the leak (0xC4/0x62) is raised first and the
 * timer follows; a handler that returns sees both. */
static uint32_t codes[8];
static uint32_t ncodes;
static void record(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  if (ncodes < 8) codes[ncodes] = bc->code;
  ncodes++;
}

static void test_unload_report_lists_leak_and_timer(void **state) {
  (void)state;
  PAGING_CACHE c = NULL;
  assert_int_equal(AgcCreate(DEVICE, 100, 20, NULL, NULL, &c), STATUS_SUCCESS);
  ncodes = 0;
  kp_bugcheck_fn old_fn = NULL;
  void *old_arg = NULL;
  kp_bugcheck_set_handler(sys, record, NULL, &old_fn, &old_arg);
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_UNSUCCESSFUL);
  kp_bugcheck_set_handler(sys, old_fn, old_arg, NULL, NULL);
  // Root cause first: the timer still set, then the leak it sits in.
  assert_int_equal(ncodes, 2);
  assert_int_equal(codes[0], 0xC7);
  assert_int_equal(codes[1], 0xC4);
  AgcDestroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_entries_flushed_when_expired, setup, teardown),
      cmocka_unit_test_setup_teardown(test_destroy_with_entries_left, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_timer_set, setup_no_tracking, teardown),
      cmocka_unit_test_setup_teardown(test_unload_report_lists_leak_and_timer, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
