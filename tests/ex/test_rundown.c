/*
 * test_rundown.c — rundown protection (kpool/rundown.h): references, the
 * wait that blocks until the last release, completion, reinitialisation
 * and the over-release bug check.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_rundown_ref_t rr;
/* --- Rundown protection ------------------------------------------------------ */
static atomic_int rd_waited;
static void *rd_waiter(void *arg) {
  (void)arg;
  kp_rundown_wait(&rr);
  atomic_store(&rd_waited, 1);
  return NULL;
}

static void test_rundown(void **state) {
  (void)state;
  kp_rundown_init(&rr);
  atomic_store(&rd_waited, 0);
  assert_true(kp_rundown_acquire(&rr, 1));
  assert_true(kp_rundown_acquire(&rr, 3));
  assert_int_equal(kp_rundown_count(&rr), 4);
  pthread_t th = start_thread(rd_waiter, NULL);
  for (int i = 0; i < 5000 && (__atomic_load_n(&rr, __ATOMIC_ACQUIRE) & 1) == 0; i++)
    sleep_ms(1);
  assert_false(kp_rundown_acquire(&rr, 1)); // run-down began
  sleep_ms(20);
  assert_int_equal(atomic_load(&rd_waited), 0); // still 4 references
  kp_rundown_release(&rr, 3, SITE);
  sleep_ms(20);
  assert_int_equal(atomic_load(&rd_waited), 0);
  kp_rundown_release(&rr, 1, SITE);
  join_thread(th);
  assert_int_equal(atomic_load(&rd_waited), 1);
  kp_rundown_wait(&rr); // again: returns at once
  kp_rundown_completed(&rr);
  assert_false(kp_rundown_acquire(&rr, 1));
  kp_rundown_init(&rr); // ExReInitializeRundownProtection
  assert_true(kp_rundown_acquire(&rr, 1));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x139, 14, 0, 0, PTR(&rr),
                            kp_rundown_release(&rr, 2, SITE));
  kp_rundown_release(&rr, 1, SITE);
  assert_int_equal(kp_rundown_count(&rr), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_rundown, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
