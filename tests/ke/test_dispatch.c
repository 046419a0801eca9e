/*
 * test_dispatch.c — events, semaphores, kernel mutexes and waits: the
 * documented states and return values, real blocking and wake-ups between
 * host threads, timeouts on the virtual clock, WaitAll / WaitAny, the wait
 * block rule, and every misuse reaching its bug check or raise.
 */
#define _POSIX_C_SOURCE 200809L
#include <kpool/cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "kp_test_util.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define MS(n) (-(int64_t)(n) * 10000) /* relative timeout of n ms */

/* Waits (real time, bounded) until @n threads block in waits on @sys. */
static void wait_blocked(kp_system_t *sys, uint32_t n) {
  struct timespec ts = {0, 100000}; // 0.1 ms; at most 10 s in all
  for (int i = 0; i < 100000 && kp_wait_blocked_count(sys) != n; i++)
    nanosleep(&ts, NULL);
  assert_int_equal(kp_wait_blocked_count(sys), n);
}

/* A thread that waits on objects and records the status. */
typedef struct waiter {
  kp_system_t *sys;
  void *objs[4];
  uint32_t count;
  kp_wait_type_t type;
  bool has_timeout;
  int64_t timeout;
  atomic_int done;
  kp_status_t status;
  pthread_t th;
} waiter_t;

static void *waiter_main(void *arg) {
  waiter_t *w = arg;
  int64_t t = w->timeout;
  w->status = kp_wait(w->sys, w->count, w->objs, w->type,
                      w->has_timeout ? &t : NULL, NULL, KP_HERE);
  atomic_store(&w->done, 1);
  return NULL;
}

static void waiter_start(waiter_t *w, kp_system_t *sys, void *obj,
                         const int64_t *timeout) {
  memset(w, 0, sizeof *w);
  w->sys = sys;
  w->objs[0] = obj;
  w->count = 1;
  w->type = KP_WAIT_ANY;
  if (timeout != NULL) {
    w->has_timeout = true;
    w->timeout = *timeout;
  }
  assert_int_equal(pthread_create(&w->th, NULL, waiter_main, w), 0);
}

static void waiter_join(waiter_t *w) { pthread_join(w->th, NULL); }

/* ---------------------------------------------------------------------------
 * Events.
 * ------------------------------------------------------------------------- */
static void test_event_states(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 0);
  assert_int_equal(kp_event_set(sys, &e, 0, false, KP_HERE), 0);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 1);
  assert_int_equal(kp_event_set(sys, &e, 1, false, KP_HERE), 1);
  // A notification event stays signalled through waits.
  int64_t zero = 0;
  void *objs[1] = {&e};
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 1);
  assert_int_equal(kp_event_reset(sys, &e, KP_HERE), 1);
  assert_int_equal(kp_event_reset(sys, &e, KP_HERE), 0);
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  // Initially signalled.
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, true, KP_HERE);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 1);
}

static void test_sync_event_poll_consumes(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_SYNCHRONIZATION, true, KP_HERE);
  int64_t zero = 0;
  void *objs[1] = {&e};
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE), 0);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 0);
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
}

static void test_set_wakes_blocked_waiter(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_SYNCHRONIZATION, false, KP_HERE);
  waiter_t w;
  waiter_start(&w, sys, &e, NULL);
  wait_blocked(sys, 1);
  assert_int_equal(atomic_load(&w.done), 0);
  assert_int_equal(kp_event_set(sys, &e, 1, false, KP_HERE), 0);
  waiter_join(&w);
  assert_int_equal(w.status, KP_STATUS_SUCCESS);
  // The waiter consumed the synchronization event inside KeSetEvent.
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 0);
  assert_int_equal(kp_wait_blocked_count(sys), 0);
}

static void test_notification_releases_all(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  waiter_t a, b;
  waiter_start(&a, sys, &e, NULL);
  waiter_start(&b, sys, &e, NULL);
  wait_blocked(sys, 2);
  kp_event_set(sys, &e, 0, false, KP_HERE);
  waiter_join(&a);
  waiter_join(&b);
  assert_int_equal(a.status, 0);
  assert_int_equal(b.status, 0);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 1);
}

static void test_synchronization_releases_one(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_SYNCHRONIZATION, false, KP_HERE);
  waiter_t a, b;
  waiter_start(&a, sys, &e, NULL);
  waiter_start(&b, sys, &e, NULL);
  wait_blocked(sys, 2);
  kp_event_set(sys, &e, 0, false, KP_HERE);
  wait_blocked(sys, 1);
  // One wait was satisfied (the other still blocks); let it return.
  struct timespec ts = {0, 100000};
  for (int i = 0; i < 100000 && atomic_load(&a.done) + atomic_load(&b.done) == 0; i++)
    nanosleep(&ts, NULL);
  assert_int_equal(atomic_load(&a.done) + atomic_load(&b.done), 1);
  assert_int_equal(kp_wait_blocked_count(sys), 1);
  assert_int_equal(kp_event_read(sys, &e, KP_HERE), 0);
  kp_event_set(sys, &e, 0, false, KP_HERE);
  waiter_join(&a);
  waiter_join(&b);
  assert_int_equal(a.status, 0);
  assert_int_equal(b.status, 0);
}

/* ---------------------------------------------------------------------------
 * Timeouts on the virtual clock.
 * ------------------------------------------------------------------------- */
static void test_relative_timeout_exact(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  int64_t t = MS(10);
  waiter_t w;
  waiter_start(&w, sys, &e, &t);
  wait_blocked(sys, 1);
  kp_clock_advance(sys, 9);
  // Not before: the waiter is still blocked after 9 ms.
  assert_int_equal(kp_wait_blocked_count(sys), 1);
  assert_int_equal(atomic_load(&w.done), 0);
  kp_clock_advance(sys, 1);
  waiter_join(&w);
  assert_int_equal(w.status, KP_STATUS_TIMEOUT);
}

static void test_absolute_timeout(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  kp_clock_advance(sys, 100);
  int64_t t = kp_time_system(sys) + 5 * 10000; // 5 ms from now, absolute
  waiter_t w;
  waiter_start(&w, sys, &e, &t);
  wait_blocked(sys, 1);
  kp_clock_advance(sys, 4);
  assert_int_equal(atomic_load(&w.done), 0);
  kp_clock_advance(sys, 3);
  waiter_join(&w);
  assert_int_equal(w.status, KP_STATUS_TIMEOUT);
  // An absolute time already past: an immediate timeout, no blocking.
  int64_t past = kp_time_system(sys) - 1;
  void *objs[1] = {&e};
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &past, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
}

static void test_set_before_timeout(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  int64_t t = MS(50);
  waiter_t w;
  waiter_start(&w, sys, &e, &t);
  wait_blocked(sys, 1);
  kp_clock_advance(sys, 20);
  kp_event_set(sys, &e, 0, false, KP_HERE);
  waiter_join(&w);
  assert_int_equal(w.status, KP_STATUS_SUCCESS);
  kp_clock_advance(sys, 100); // the old deadline is gone with the wait
}

static void *delay_main(void *arg) {
  kp_system_t *sys = arg;
  kp_status_t st = kp_delay(sys, MS(20), KP_HERE);
  return (void *)(intptr_t)st;
}

static void test_delay_execution(void **state) {
  kp_system_t *sys = *state;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, delay_main, sys), 0);
  wait_blocked(sys, 1);
  kp_clock_advance(sys, 19);
  assert_int_equal(kp_wait_blocked_count(sys), 1);
  kp_clock_advance(sys, 1);
  void *ret = NULL;
  pthread_join(th, &ret);
  assert_int_equal((intptr_t)ret, KP_STATUS_SUCCESS);
  assert_int_equal(kp_delay(sys, 0, KP_HERE), KP_STATUS_SUCCESS); // a yield
}

/* ---------------------------------------------------------------------------
 * WaitAny / WaitAll and the wait block rule.
 * ------------------------------------------------------------------------- */
static void test_wait_any_index(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e[3];
  for (int i = 0; i < 3; i++)
    kp_event_init(sys, &e[i], KP_EVENT_SYNCHRONIZATION, false, KP_HERE);
  void *objs[3] = {&e[0], &e[1], &e[2]};
  int64_t zero = 0;
  kp_event_set(sys, &e[2], 0, false, KP_HERE);
  kp_event_set(sys, &e[1], 0, false, KP_HERE);
  // The lowest signalled index wins; only it is consumed.
  assert_int_equal(kp_wait(sys, 3, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE), 1);
  assert_int_equal(kp_event_read(sys, &e[1], KP_HERE), 0);
  assert_int_equal(kp_event_read(sys, &e[2], KP_HERE), 1);
  assert_int_equal(kp_wait(sys, 3, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE), 2);
  assert_int_equal(kp_wait(sys, 3, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
}

static void test_wait_all_needs_all(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e[2];
  kp_event_init(sys, &e[0], KP_EVENT_SYNCHRONIZATION, true, KP_HERE);
  kp_event_init(sys, &e[1], KP_EVENT_SYNCHRONIZATION, false, KP_HERE);
  void *objs[2] = {&e[0], &e[1]};
  int64_t zero = 0;
  assert_int_equal(kp_wait(sys, 2, objs, KP_WAIT_ALL, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  // Nothing was consumed by the unsatisfied WaitAll.
  assert_int_equal(kp_event_read(sys, &e[0], KP_HERE), 1);
  // Blocking: one set is not enough, the second releases it.
  waiter_t w;
  memset(&w, 0, sizeof w);
  w.sys = sys;
  w.objs[0] = &e[0];
  w.objs[1] = &e[1];
  w.count = 2;
  w.type = KP_WAIT_ALL;
  kp_event_reset(sys, &e[0], KP_HERE);
  assert_int_equal(pthread_create(&w.th, NULL, waiter_main, &w), 0);
  wait_blocked(sys, 1);
  kp_event_set(sys, &e[1], 0, false, KP_HERE);
  assert_int_equal(kp_wait_blocked_count(sys), 1);
  assert_int_equal(kp_event_read(sys, &e[1], KP_HERE), 1);
  kp_event_set(sys, &e[0], 0, false, KP_HERE);
  waiter_join(&w);
  assert_int_equal(w.status, KP_STATUS_SUCCESS);
  assert_int_equal(kp_event_read(sys, &e[0], KP_HERE), 0);
  assert_int_equal(kp_event_read(sys, &e[1], KP_HERE), 0);
}

/* WaitAny over an event and a mutex owned elsewhere, then WaitAll of a
 * semaphore and a mutex: side effects only when all are taken. */
static void test_wait_mixed_objects(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e, m, s;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  kp_mutex_init(sys, &m, 0, KP_HERE);
  kp_semaphore_init(sys, &s, 0, 5, KP_HERE);
  int64_t zero = 0;
  void *any[2] = {&e, &m};
  assert_int_equal(kp_wait(sys, 2, any, KP_WAIT_ANY, &zero, NULL, KP_HERE), 1);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 0);
  void *all[2] = {&s, &m};
  // The semaphore is empty: nothing is taken, not even the mutex again.
  assert_int_equal(kp_wait(sys, 2, all, KP_WAIT_ALL, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 0);
  kp_semaphore_release(sys, &s, 0, 2, false, KP_HERE);
  assert_int_equal(kp_wait(sys, 2, all, KP_WAIT_ALL, &zero, NULL, KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_int_equal(kp_semaphore_read(sys, &s, KP_HERE), 1);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), -1); // owned twice
  assert_int_equal(kp_mutex_release(sys, &m, false, KP_HERE), -1);
  assert_int_equal(kp_mutex_release(sys, &m, false, KP_HERE), 0);
}

static void test_wait_block_rule(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e[65];
  void *objs[65];
  for (int i = 0; i < 65; i++) {
    kp_event_init(sys, &e[i], KP_EVENT_NOTIFICATION, i == 64, KP_HERE);
    objs[i] = &e[i];
  }
  unsigned char blocks[65 * KP_WAIT_BLOCK_SIZE];
  int64_t zero = 0;
  KPT_EXPECT_BUGCHECK(0xC, 0,
                      kp_wait(sys, 4, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC, 0, kp_wait(sys, 65, objs, KP_WAIT_ANY, &zero,
                                      blocks, KP_HERE));
  // 3 objects need no array; 64 with one are fine.
  assert_int_equal(kp_wait(sys, 3, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  kp_event_set(sys, &e[63], 0, false, KP_HERE);
  assert_int_equal(kp_wait(sys, 64, objs, KP_WAIT_ANY, &zero, blocks, KP_HERE),
                   63);
  assert_int_equal(kp_wait(sys, 0, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER);
}

/* ---------------------------------------------------------------------------
 * Semaphores.
 * ------------------------------------------------------------------------- */
static void test_semaphore_counts_and_limit(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t s;
  kp_semaphore_init(sys, &s, 0, 2, KP_HERE);
  assert_int_equal(kp_semaphore_read(sys, &s, KP_HERE), 0);
  assert_int_equal(kp_semaphore_release(sys, &s, 1, 1, false, KP_HERE), 0);
  assert_int_equal(kp_semaphore_read(sys, &s, KP_HERE), 1);
  // Past the limit: raised, count unchanged.
  KP_ASSERT_RAISES(KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                   kp_semaphore_release(sys, &s, 1, 2, false, KP_HERE));
  assert_int_equal(kp_semaphore_read(sys, &s, KP_HERE), 1);
  KP_ASSERT_RAISES(KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                   kp_semaphore_release(sys, &s, 1, -1, false, KP_HERE));
  assert_int_equal(kp_semaphore_release(sys, &s, 1, 1, false, KP_HERE), 1);
  int64_t zero = 0;
  void *objs[1] = {&s};
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE), 0);
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE), 0);
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  // Bad initial values.
  kp_kobject_t bad;
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER,
                   kp_semaphore_init(sys, &bad, 3, 2, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER,
                   kp_semaphore_init(sys, &bad, 0, 0, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER,
                   kp_semaphore_init(sys, &bad, -1, 4, KP_HERE));
}

static void test_semaphore_unhandled_raise_is_0x1e(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t s;
  kp_semaphore_init(sys, &s, 1, 1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                      kp_semaphore_release(sys, &s, 1, 1, false, KP_HERE));
}

static void test_semaphore_releases_waiters(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t s;
  kp_semaphore_init(sys, &s, 0, 10, KP_HERE);
  waiter_t a, b;
  waiter_start(&a, sys, &s, NULL);
  waiter_start(&b, sys, &s, NULL);
  wait_blocked(sys, 2);
  assert_int_equal(kp_semaphore_release(sys, &s, 1, 3, false, KP_HERE), 0);
  waiter_join(&a);
  waiter_join(&b);
  // Each satisfied wait took one.
  assert_int_equal(kp_semaphore_read(sys, &s, KP_HERE), 1);
}

/* ---------------------------------------------------------------------------
 * Kernel mutexes.
 * ------------------------------------------------------------------------- */
static void test_mutex_recursion(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t m;
  kp_mutex_init(sys, &m, 0, KP_HERE);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 1);
  void *objs[1] = {&m};
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE), 0);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 0);
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE), 0);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), -1);
  assert_int_equal(kp_mutex_release(sys, &m, false, KP_HERE), -1);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 0);
  assert_int_equal(kp_mutex_release(sys, &m, false, KP_HERE), 0);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 1);
  // Released once too often: not owned.
  KP_ASSERT_RAISES(KP_STATUS_MUTANT_NOT_OWNED,
                   kp_mutex_release(sys, &m, false, KP_HERE));
}

static void *mutex_owner_main(void *arg) {
  void **a = arg;
  kp_system_t *sys = a[0];
  void *objs[1] = {a[1]};
  kp_wait(sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE);
  return NULL; // a plain host thread keeps it owned after it ends
}

static void test_mutex_other_owner(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t m;
  kp_mutex_init(sys, &m, 0, KP_HERE);
  void *args[2] = {sys, &m};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, mutex_owner_main, args), 0);
  pthread_join(th, NULL);
  assert_int_equal(kp_mutex_read(sys, &m, KP_HERE), 0);
  // Another thread owns it: a poll times out, a release raises.
  int64_t zero = 0;
  void *objs[1] = {&m};
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  KP_ASSERT_RAISES(KP_STATUS_MUTANT_NOT_OWNED,
                   kp_mutex_release(sys, &m, false, KP_HERE));
}

/* ---------------------------------------------------------------------------
 * Misuse.
 * ------------------------------------------------------------------------- */
static void test_wait_irql_verifier(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  void *objs[1] = {&e};
  int64_t zero = 0, t = MS(1);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  // A poll is allowed at DISPATCH_LEVEL.
  assert_int_equal(kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE),
                   KP_STATUS_TIMEOUT);
  KPT_EXPECT_BUGCHECK(0xC4, 0x3B,
                      kp_wait(sys, 1, objs, KP_WAIT_ANY, &t, NULL, KP_HERE));
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
  assert_int_equal(kpt_last.p[2], PTR(&e));
  assert_int_equal(kpt_last.p[3], (uint64_t)t);
  KPT_EXPECT_BUGCHECK(0xC4, 0x3B,
                      kp_wait(sys, 1, objs, KP_WAIT_ANY, NULL, NULL, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC4, 0x3B, kp_delay(sys, MS(1), KP_HERE));
  kp_irql_lower(old);
  kp_system_set_current(prev);
}

static void test_wait_irql_retail(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  void *objs[1] = {&e};
  int64_t t = MS(1);
  kp_irql_t old = kp_irql_set(KP_DISPATCH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xA, PTR(&e),
                      kp_wait(sys, 1, objs, KP_WAIT_ANY, &t, NULL, KP_HERE));
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
  kp_irql_set(old);
}

static void test_uninitialized_object(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t never;
  memset(&never, 0, sizeof never);
  void *objs[1] = {&never};
  int64_t zero = 0;
  KPT_EXPECT_BUGCHECK(0xC4, 0x1002,
                      kp_wait(sys, 1, objs, KP_WAIT_ANY, &zero, NULL, KP_HERE));
  assert_int_equal(kpt_last.p[1], PTR(&never));
  KPT_EXPECT_BUGCHECK(0xC4, 0x1002, kp_event_set(sys, &never, 0, false, KP_HERE));
  // An event is not a semaphore.
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x1002, kp_semaphore_read(sys, &e, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC4, 0x1002, kp_mutex_release(sys, &e, false, KP_HERE));
}

static void test_reinit_with_waiter_0x139(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  waiter_t w;
  waiter_start(&w, sys, &e, NULL);
  wait_blocked(sys, 1);
  KPT_EXPECT_BUGCHECK(0x139, 3,
                      kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false,
                                    KP_HERE));
  // The handler returned control to the test: the waiter is still there.
  kp_event_set(sys, &e, 0, false, KP_HERE);
  waiter_join(&w);
  assert_int_equal(w.status, 0);
}

static void test_set_event_above_dispatch(void **state) {
  kp_system_t *sys = *state;
  kp_kobject_t e;
  kp_event_init(sys, &e, KP_EVENT_NOTIFICATION, false, KP_HERE);
  kp_irql_t old = kp_irql_set(KP_HIGH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x80, kp_event_set(sys, &e, 0, false, KP_HERE));
  assert_int_equal(kpt_last.p[1], KP_HIGH_LEVEL);
  assert_int_equal(kpt_last.p[2], PTR(&e));
  kp_irql_set(KP_DISPATCH_LEVEL);
  assert_int_equal(kp_event_set(sys, &e, 0, false, KP_HERE), 0);
  kp_irql_set(old);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_event_states, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_sync_event_poll_consumes, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_set_wakes_blocked_waiter, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_notification_releases_all, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_synchronization_releases_one, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_relative_timeout_exact, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_absolute_timeout, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_set_before_timeout, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_delay_execution, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_any_index, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_all_needs_all, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_mixed_objects, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_block_rule, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_semaphore_counts_and_limit, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_semaphore_unhandled_raise_is_0x1e, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_semaphore_releases_waiters, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_mutex_recursion, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_mutex_other_owner, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_irql_verifier, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wait_irql_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_uninitialized_object, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_reinit_with_waiter_0x139, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_set_event_above_dispatch, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
