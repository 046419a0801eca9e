/*
 * test_tag_table.c — a driver component's CMocka test built with the
 * installed package's kpool_add_test(): the table's results, and a
 * driver's misuse caught as the bug check Windows raises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

#include "tag_table.h"

static void quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static int setup(void **state) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) return -1;
  kp_system_set_current(sys);
  *state = sys;
  return 0;
}

static int teardown(void **state) {
  kp_system_t *sys = *state;
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  KP_ASSERT_NO_BUGCHECK(sys, status = kp_driver_unload(sys)); // nothing leaked
  assert_int_equal(status, STATUS_SUCCESS);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
  return 0;
}

static void test_insert_lookup_remove(void **state) {
  (void)state;
  TT_TABLE table;
  memset(&table, 0, sizeof table);
  assert_int_equal(TtInsert(&table, 1, "one", 3), STATUS_SUCCESS);
  assert_int_equal(TtInsert(&table, 2, "two!", 4), STATUS_SUCCESS);
  assert_int_equal(TtInsert(&table, 1, "uno", 3), STATUS_SUCCESS); // replaces
  const TT_ENTRY *e = TtLookup(&table, 1);
  assert_non_null(e);
  assert_memory_equal(e->Data, "uno", 3);
  assert_int_equal(TtInsert(&table, 3, "", 0), STATUS_INVALID_PARAMETER);
  assert_true(TtRemove(&table, 2));
  assert_false(TtRemove(&table, 2));
  assert_null(TtLookup(&table, 2));
  TtClear(&table);
}

static void test_full_table(void **state) {
  (void)state;
  TT_TABLE table;
  memset(&table, 0, sizeof table);
  for (ULONG k = 0; k < TT_CAPACITY; k++)
    assert_int_equal(TtInsert(&table, k, &k, sizeof k), STATUS_SUCCESS);
  assert_int_equal(TtInsert(&table, 100, "x", 1), STATUS_INSUFFICIENT_RESOURCES);
  TtClear(&table);
}

/* A driver bug: freeing a table entry with another tag is BAD_POOL_CALLER
 * (0xC2) with P1 0x0A, as on Windows. */
static void test_wrong_tag_is_a_bug_check(void **state) {
  kp_system_t *sys = *state;
  TT_TABLE table;
  memset(&table, 0, sizeof table);
  assert_int_equal(TtInsert(&table, 7, "seven", 5), STATUS_SUCCESS);
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A, ExFreePoolWithTag(table.Slots[0], 'gaTX'));
  TtClear(&table); // the rejected free left the block in place
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_insert_lookup_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_tag_is_a_bug_check, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
