/*
 * kp_sync_fixture.h — the fixture of the lock tests: a fresh system made
 * current, the calling thread's IRQL, APC counters and held-lock list
 * reset around each test, and a helper to run code on another host thread.
 * Include after <kpool/cmocka.h>.
 */
#ifndef KPOOL_TESTS_KP_SYNC_FIXTURE_H
#define KPOOL_TESTS_KP_SYNC_FIXTURE_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <kpool/kpool.h>

#define KP_SYNC_UNUSED __attribute__((unused))
#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define SITE kp_site(__FILE__, (uint32_t)__LINE__, NULL)

typedef struct sync_fixture {
  kp_system_t *sys;
  kp_system_t *prev;
} sync_fixture_t;

static sync_fixture_t fx;

static int sync_make(uint32_t verifier_flags) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = verifier_flags;
  fx.sys = kp_system_create(&cfg);
  if (fx.sys == NULL) return -1;
  fx.prev = kp_system_set_current(fx.sys);
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_sync_thread_reset();
  return 0;
}

KP_SYNC_UNUSED static int setup_verifier(void **state) {
  (void)state;
  return sync_make(KP_VERIFY_DEFAULT);
}

/* Verifier without deadlock detection. */
KP_SYNC_UNUSED static int setup_no_deadlock(void **state) {
  (void)state;
  return sync_make(KP_VERIFY_DEFAULT & ~KP_VERIFY_DEADLOCK_DETECTION);
}

KP_SYNC_UNUSED static int setup_retail(void **state) {
  (void)state;
  return sync_make(0);
}

static int teardown(void **state) {
  (void)state;
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_sync_thread_reset();
  kp_system_set_current(fx.prev);
  kp_system_destroy(fx.sys);
  fx.sys = NULL;
  return 0;
}

KP_SYNC_UNUSED static void sleep_ms(unsigned ms) {
  // sched_yield loops instead of nanosleep: the tests build as strict C11.
  struct timespec start, now;
  timespec_get(&start, TIME_UTC);
  for (;;) {
    sched_yield();
    timespec_get(&now, TIME_UTC);
    long el = (now.tv_sec - start.tv_sec) * 1000L +
              (now.tv_nsec - start.tv_nsec) / 1000000L;
    if (el >= (long)ms) return;
  }
}

KP_SYNC_UNUSED static pthread_t start_thread(void *(*fn)(void *), void *arg) {
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
  return th;
}

KP_SYNC_UNUSED static void join_thread(pthread_t th) { assert_int_equal(pthread_join(th, NULL), 0); }

/* Waits (up to ~5 s) until *flag becomes at least @value. */
KP_SYNC_UNUSED static bool wait_flag(atomic_int *flag, int value) {
  for (int i = 0; i < 5000; i++) {
    if (atomic_load(flag) >= value) return true;
    sleep_ms(1);
  }
  return false;
}

#endif /* KPOOL_TESTS_KP_SYNC_FIXTURE_H */
