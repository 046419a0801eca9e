/*
 * test_pushlock.c — push locks (kpool/pushlock.h): readers share, a writer
 * really blocks until they leave, re-entrant readers, and every misuse.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_push_lock_t pl;
/* --- Push locks ------------------------------------------------------------- */
typedef struct pl_worker {
  bool exclusive;
  atomic_int started, acquired;
} pl_worker_t;

static void *pl_main(void *arg) {
  pl_worker_t *w = arg;
  kp_critical_region_enter(SITE);
  atomic_store(&w->started, 1);
  kp_push_lock_acquire(&pl, w->exclusive, SITE);
  atomic_store(&w->acquired, 1);
  kp_push_lock_release(&pl, w->exclusive, SITE);
  kp_critical_region_leave(SITE);
  return NULL;
}

static void test_push_lock_blocking(void **state) {
  (void)state;
  kp_push_lock_init(&pl, SITE);
  kp_critical_region_enter(SITE);
  kp_push_lock_acquire(&pl, false, SITE);
  pl_worker_t reader = {.exclusive = false};
  join_thread(start_thread(pl_main, &reader)); // readers share
  assert_int_equal(atomic_load(&reader.acquired), 1);
  pl_worker_t writer = {.exclusive = true};
  pthread_t tw = start_thread(pl_main, &writer);
  assert_true(wait_flag(&writer.started, 1));
  sleep_ms(30);
  assert_int_equal(atomic_load(&writer.acquired), 0); // blocked
  // A reader re-entering past the waiting writer is allowed.
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_push_lock_acquire(&pl, false, SITE);
    kp_push_lock_release(&pl, false, SITE);
  });
  kp_push_lock_release(&pl, false, SITE);
  join_thread(tw);
  assert_int_equal(atomic_load(&writer.acquired), 1);
  assert_int_equal(pl, 0);
  kp_critical_region_leave(SITE);
}

static void test_push_lock_misuse(void **state) {
  (void)state;
  kp_push_lock_init(&pl, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xEA, KP_PASSIVE_LEVEL, 0, PTR(&pl),
                            kp_push_lock_acquire(&pl, true, SITE));
  kp_critical_region_enter(SITE);
  kp_push_lock_acquire(&pl, true, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&pl), 0, 0,
                            kp_push_lock_acquire(&pl, false, SITE));
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1009, kp_push_lock_release(&pl, false, SITE));
  kp_critical_region_leave(SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xEB, KP_PASSIVE_LEVEL, 0, PTR(&pl),
                            kp_push_lock_release(&pl, true, SITE));
  kp_critical_region_enter(SITE);
  kp_push_lock_release(&pl, true, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&pl), 0, 0,
                            kp_push_lock_release(&pl, true, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xA, PTR(&pl), KP_DISPATCH_LEVEL, 0, 0,
                            kp_push_lock_acquire(&pl, true, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_critical_region_leave(SITE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_push_lock_blocking, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_push_lock_misuse, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
