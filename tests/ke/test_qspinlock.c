/*
 * test_qspinlock.c — in-stack queued spin locks (real exclusion, IRQL
 * rules, every misuse), KeTryToAcquireSpinLockAtDpcLevel, KeTestSpinLock
 * and the SYNCH_LEVEL forms.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_spin_lock_t lock;

static void test_acquire_release_irql(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  kp_queued_lock_handle_t h;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_RAISE, SITE);
    assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
    assert_int_equal(h.old_irql, KP_PASSIVE_LEVEL);
    assert_false(kp_spin_lock_test(&lock));
    assert_int_equal(kp_spin_locks_held(), 1);
    kp_queued_spin_lock_release(&h, KP_QUEUED_RAISE, SITE);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
    assert_true(kp_spin_lock_test(&lock));
    // ForDpc at PASSIVE raises, at DISPATCH does not.
    kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_FOR_DPC, SITE);
    assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
    kp_queued_spin_lock_release(&h, KP_QUEUED_FOR_DPC, SITE);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
    kp_irql_set(KP_DISPATCH_LEVEL);
    kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_AT_DPC, SITE);
    kp_queued_spin_lock_release(&h, KP_QUEUED_AT_DPC, SITE);
    kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_FOR_DPC, SITE);
    kp_queued_spin_lock_release(&h, KP_QUEUED_FOR_DPC, SITE);
    assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
    kp_irql_set(KP_PASSIVE_LEVEL);
  });
}

#define Q_THREADS 4
#define Q_ROUNDS 3000
static uint64_t q_counter;
static atomic_int q_bad;

static void *q_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < Q_ROUNDS; i++) {
    kp_queued_lock_handle_t h;
    kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_RAISE, SITE);
    if (kp_irql_get() != KP_DISPATCH_LEVEL) atomic_fetch_add(&q_bad, 1);
    uint64_t v = q_counter;
    if ((i & 127) == 0) sched_yield();
    q_counter = v + 1;
    kp_queued_spin_lock_release(&h, KP_QUEUED_RAISE, SITE);
  }
  return NULL;
}

static void test_threads_exclude(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  q_counter = 0;
  pthread_t th[Q_THREADS];
  for (int i = 0; i < Q_THREADS; i++) th[i] = start_thread(q_worker, NULL);
  for (int i = 0; i < Q_THREADS; i++) join_thread(th[i]);
  assert_int_equal(q_counter, (uint64_t)Q_THREADS * Q_ROUNDS);
  assert_int_equal(atomic_load(&q_bad), 0);
  assert_true(kp_spin_lock_test(&lock));
}

static void test_misuse(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  kp_queued_lock_handle_t h, h2;
  kp_irql_set(KP_CLOCK_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x42, KP_CLOCK_LEVEL, PTR(&lock), 0,
      kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_RAISE, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x40, KP_PASSIVE_LEVEL, PTR(&lock), 0,
      kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_AT_DPC, SITE));
  kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_RAISE, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&lock), 0, 0,
      kp_queued_spin_lock_acquire(&lock, &h2, KP_QUEUED_RAISE, SITE));
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x36, KP_APC_LEVEL, PTR(&lock),
                            KP_PASSIVE_LEVEL,
                            kp_queued_spin_lock_release(&h, KP_QUEUED_RAISE, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x41, KP_APC_LEVEL, PTR(&lock), 0,
      kp_queued_spin_lock_release(&h, KP_QUEUED_AT_DPC, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  kp_queued_spin_lock_release(&h, KP_QUEUED_RAISE, SITE);
  // A second release of the same handle: the IRQL is back at PASSIVE.
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x36,
                     kp_queued_spin_lock_release(&h, KP_QUEUED_RAISE, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&lock), 0, 0,
      kp_queued_spin_lock_release(&h, KP_QUEUED_AT_DPC, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0xE1,
      kp_queued_spin_lock_acquire(NULL, &h, KP_QUEUED_RAISE, SITE));
}

static void *q_hold_main(void *arg) {
  kp_queued_lock_handle_t *h = arg;
  kp_queued_spin_lock_acquire(&lock, h, KP_QUEUED_RAISE, SITE);
  return NULL; // leaves it held: the main thread releases with h
}

static void test_release_with_another_threads_handle(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  kp_queued_lock_handle_t h;
  join_thread(start_thread(q_hold_main, &h));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1004, PTR(&lock), h.thread_,
                            kp_thread_id(),
                            kp_queued_spin_lock_release(&h, KP_QUEUED_RAISE, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
}

static void *ordinary_hold_main(void *arg) {
  (void)arg;
  (void)kp_spin_lock_acquire(&lock);
  return NULL; // left held by a thread that is gone
}

static void test_queued_on_ordinary_held_lock(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  join_thread(start_thread(ordinary_hold_main, NULL));
  kp_queued_lock_handle_t h;
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1008, PTR(&lock), 0, 0,
      kp_queued_spin_lock_acquire(&lock, &h, KP_QUEUED_AT_DPC, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
}

static void test_try_and_test(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x40, KP_PASSIVE_LEVEL, PTR(&lock), 0,
                            kp_spin_lock_try_at_dpc(&lock, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    assert_true(kp_spin_lock_test(&lock));
    assert_true(kp_spin_lock_try_at_dpc(&lock, SITE));
    assert_false(kp_spin_lock_test(&lock));
    assert_false(kp_spin_lock_try_at_dpc(&lock, SITE)); // own lock: busy
    kp_spin_lock_release_from_dpc(&lock);
    assert_true(kp_spin_lock_test(&lock));
  });
  kp_irql_set(KP_PASSIVE_LEVEL);
}

static void test_raise_to_synch(void **state) {
  (void)state;
  kp_spin_lock_init(&lock);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_irql_t old = kp_spin_lock_acquire_raise_to_synch(&lock, SITE);
    assert_int_equal(old, KP_PASSIVE_LEVEL);
    assert_int_equal(kp_irql_get(), KP_SYNCH_LEVEL);
    kp_spin_lock_release(&lock, old);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
    old = kp_irql_raise_to_synch();
    assert_int_equal(kp_irql_get(), 12);
    kp_irql_lower(old);
  });
  kp_irql_set(KP_IPI_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x42, KP_IPI_LEVEL, PTR(&lock), 0,
                            (void)kp_spin_lock_acquire_raise_to_synch(&lock, SITE));
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x30, (void)kp_irql_raise_to_synch());
  kp_irql_set(KP_PASSIVE_LEVEL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_acquire_release_irql, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_threads_exclude, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_misuse, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_release_with_another_threads_handle, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_queued_on_ordinary_held_lock, setup_no_deadlock, teardown),
      cmocka_unit_test_setup_teardown(test_try_and_test, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_raise_to_synch, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
