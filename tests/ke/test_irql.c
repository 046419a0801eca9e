/*
 * test_irql.c — the simulated IRQL, spin locks, fast mutexes and
 * PAGED_CODE: behaviour, every misuse and its bug check (with the
 * verifier's automatic checks on and off), and real mutual exclusion
 * between host threads.
 */
#include <kpool/cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include <kpool/kpool.h>

#define PTR(p) ((uint64_t)(uintptr_t)(p))

/* ---------------------------------------------------------------------------
 * Fixtures: a fresh system made current (IRQL misuse goes to the current
 * system), with or without the verifier's automatic checks.
 * ------------------------------------------------------------------------- */
typedef struct fixture {
  kp_system_t *sys;
  kp_system_t *prev;
} fixture_t;

static fixture_t fx;

static int make_system(uint32_t verifier_flags) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = verifier_flags;
  fx.sys = kp_system_create(&cfg);
  if (fx.sys == NULL) return -1;
  fx.prev = kp_system_set_current(fx.sys);
  kp_irql_set(KP_PASSIVE_LEVEL);
  return 0;
}

static int setup_verifier(void **state) {
  (void)state;
  return make_system(KP_VERIFY_DEFAULT);
}

static int setup_retail(void **state) {
  (void)state;
  return make_system(0);
}

static int teardown(void **state) {
  (void)state;
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_system_set_current(fx.prev);
  kp_system_destroy(fx.sys);
  fx.sys = NULL;
  return 0;
}

/* Installs the recorder (which returns) on the current system. */
static void record_returning(kp_bugcheck_record_t *rec) {
  kp_bugcheck_record_init(rec);
  kp_bugcheck_set_handler(fx.sys, kp_bugcheck_record_handler, rec, NULL, NULL);
}

static void record_stop(void) {
  kp_bugcheck_set_handler(fx.sys, NULL, NULL, NULL, NULL);
}

/* Runs fn(arg) on a new host thread and waits for it. */
static void run_thread(void *(*fn)(void *), void *arg) {
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fn, arg), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
}

/* ---------------------------------------------------------------------------
 * IRQL.
 * ------------------------------------------------------------------------- */
static void *read_irql_thread(void *arg) {
  *(kp_irql_t *)arg = kp_irql_get();
  kp_irql_set(KP_HIGH_LEVEL); // must not leak into other threads
  return NULL;
}

static void test_new_thread_starts_at_passive(void **state) {
  (void)state;
  kp_irql_set(KP_DISPATCH_LEVEL);
  kp_irql_t seen = 99;
  run_thread(read_irql_thread, &seen);
  assert_int_equal(seen, KP_PASSIVE_LEVEL);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
  kp_irql_set(KP_PASSIVE_LEVEL);
}

static void test_raise_and_lower(void **state) {
  (void)state;
  kp_irql_t got[4] = {0};
  kp_irql_t at_high = 0, at_dispatch = 0;
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    got[0] = kp_irql_raise(KP_APC_LEVEL);
    got[1] = kp_irql_raise(KP_APC_LEVEL); // same level is allowed
    got[2] = kp_irql_raise(KP_DISPATCH_LEVEL);
    got[3] = kp_irql_raise(KP_HIGH_LEVEL);
    at_high = kp_irql_get();
    kp_irql_lower(KP_HIGH_LEVEL); // same level is allowed
    kp_irql_lower(KP_DISPATCH_LEVEL);
    at_dispatch = kp_irql_get();
    kp_irql_lower(KP_PASSIVE_LEVEL);
  });
  assert_int_equal(got[0], KP_PASSIVE_LEVEL);
  assert_int_equal(got[1], KP_APC_LEVEL);
  assert_int_equal(got[2], KP_APC_LEVEL);
  assert_int_equal(got[3], KP_DISPATCH_LEVEL);
  assert_int_equal(at_high, KP_HIGH_LEVEL);
  assert_int_equal(at_dispatch, KP_DISPATCH_LEVEL);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_set_has_no_check(void **state) {
  (void)state;
  kp_irql_t got[3] = {0};
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    got[0] = kp_irql_set(KP_HIGH_LEVEL);
    got[1] = kp_irql_set(KP_APC_LEVEL);
    got[2] = kp_irql_set(KP_PASSIVE_LEVEL);
  });
  assert_int_equal(got[0], KP_PASSIVE_LEVEL);
  assert_int_equal(got[1], KP_HIGH_LEVEL);
  assert_int_equal(got[2], KP_APC_LEVEL);
}

static void test_raise_to_lower_irql_verifier(void **state) {
  (void)state;
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x30, KP_DISPATCH_LEVEL,
                            KP_APC_LEVEL, 0, kp_irql_raise(KP_APC_LEVEL));
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
}

static void test_raise_above_high_verifier(void **state) {
  (void)state;
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x30, KP_PASSIVE_LEVEL, 16, 0,
                            kp_irql_raise(16));
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_raise_to_lower_irql_retail(void **state) {
  (void)state;
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x9, KP_DISPATCH_LEVEL, KP_PASSIVE_LEVEL, 0,
                            0, kp_irql_raise(KP_PASSIVE_LEVEL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x9, KP_DISPATCH_LEVEL, 200, 0, 0,
                            kp_irql_raise(200));
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
}

static void test_lower_to_higher_irql(void **state) {
  (void)state;
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x31, KP_APC_LEVEL,
                            KP_DISPATCH_LEVEL, 0,
                            kp_irql_lower(KP_DISPATCH_LEVEL));
  assert_int_equal(kp_irql_get(), KP_APC_LEVEL);
}

static void test_lower_to_higher_irql_retail(void **state) {
  (void)state;
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xA, KP_APC_LEVEL, KP_PASSIVE_LEVEL, 0, 0,
                            kp_irql_lower(KP_APC_LEVEL));
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_raise_abandoned_when_handler_returns(void **state) {
  (void)state;
  kp_bugcheck_record_t rec;
  record_returning(&rec);
  kp_irql_set(KP_DISPATCH_LEVEL);
  kp_irql_t old = kp_irql_raise(KP_PASSIVE_LEVEL);
  kp_irql_lower(KP_HIGH_LEVEL);
  record_stop();
  assert_int_equal(rec.count, 2);
  assert_int_equal(old, KP_DISPATCH_LEVEL);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
}

/* ---------------------------------------------------------------------------
 * PAGED_CODE.
 * ------------------------------------------------------------------------- */
static void test_paged_code_ok_at_apc(void **state) {
  (void)state;
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_paged_code(KP_HERE));
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_paged_code(KP_HERE));
}

static void test_paged_code_at_dispatch(void **state) {
  (void)state;
  static const char code_addr[1] = {0};
  kp_site_t site = kp_site("driver.c", 42, code_addr);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xD1, PTR(code_addr), KP_DISPATCH_LEVEL, 8,
                            PTR(code_addr), kp_paged_code(site));
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(fx.sys, &rec, kp_paged_code(site));
  assert_int_equal(rec.count, 1);
  assert_string_equal(rec.name, "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
  assert_non_null(strstr(rec.explanation, "driver.c:42"));
  assert_non_null(strstr(rec.explanation, "PAGED_CODE"));
}

static void test_paged_code_unknown_site(void **state) {
  (void)state;
  kp_irql_set(KP_HIGH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xD1, 0, KP_HIGH_LEVEL, 8, 0,
                            kp_paged_code(KP_NOSITE));
}

/* ---------------------------------------------------------------------------
 * Spin locks: behaviour.
 * ------------------------------------------------------------------------- */
static void test_spin_lock_acquire_release(void **state) {
  (void)state;
  kp_spin_lock_t lock = 12345;
  kp_spin_lock_init(&lock);
  assert_int_equal(lock, 0);
  kp_irql_t old = 99, inside = 0;
  kp_spin_lock_t word = 0;
  uint32_t held = 0;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    old = kp_spin_lock_acquire(&lock);
    inside = kp_irql_get();
    word = lock;
    held = kp_spin_locks_held();
    kp_spin_lock_release(&lock, old);
  });
  assert_int_equal(old, KP_PASSIVE_LEVEL);
  assert_int_equal(inside, KP_DISPATCH_LEVEL);
  assert_int_equal(word, kp_thread_id());
  assert_int_equal(held, 1);
  assert_int_equal(lock, 0);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  assert_int_equal(kp_spin_locks_held(), 0);
}

static void test_spin_lock_from_apc_and_dispatch(void **state) {
  (void)state;
  kp_spin_lock_t a, b;
  kp_spin_lock_init(&a);
  kp_spin_lock_init(&b);
  kp_irql_t old_a = 99, old_b = 99, between = 0;
  uint32_t held = 0;
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    old_a = kp_spin_lock_acquire(&a);
    old_b = kp_spin_lock_acquire(&b); // already at DISPATCH_LEVEL
    held = kp_spin_locks_held();
    kp_spin_lock_release(&b, old_b);
    between = kp_irql_get();
    kp_spin_lock_release(&a, old_a);
  });
  assert_int_equal(old_a, KP_APC_LEVEL);
  assert_int_equal(old_b, KP_DISPATCH_LEVEL);
  assert_int_equal(held, 2);
  assert_int_equal(between, KP_DISPATCH_LEVEL);
  assert_int_equal(kp_irql_get(), KP_APC_LEVEL);
  assert_int_equal(kp_spin_locks_held(), 0);
}

static void test_spin_lock_at_dpc_level(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_spin_lock_t word = 0;
  kp_irql_t inside = 0;
  uint32_t held = 0;
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_spin_lock_acquire_at_dpc(&lock);
    word = lock;
    inside = kp_irql_get();
    held = kp_spin_locks_held();
    kp_spin_lock_release_from_dpc(&lock);
  });
  assert_int_equal(word, kp_thread_id());
  assert_int_equal(inside, KP_DISPATCH_LEVEL);
  assert_int_equal(held, 1);
  assert_int_equal(lock, 0);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
  assert_int_equal(kp_spin_locks_held(), 0);
  // Above DISPATCH_LEVEL the DPC forms are allowed too.
  kp_irql_set(KP_CLOCK_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_spin_lock_acquire_at_dpc(&lock),
                        kp_spin_lock_release_from_dpc(&lock));
  assert_int_equal(kp_irql_get(), KP_CLOCK_LEVEL);
  assert_int_equal(lock, 0);
}

/* ---------------------------------------------------------------------------
 * Spin locks: misuse.
 * ------------------------------------------------------------------------- */
static void test_spin_acquire_above_dispatch(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_set(KP_CLOCK_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x42, KP_CLOCK_LEVEL, PTR(&lock), 0,
                            kp_spin_lock_acquire(&lock));
  assert_int_equal(lock, 0);
  assert_int_equal(kp_irql_get(), KP_CLOCK_LEVEL);
  assert_int_equal(kp_spin_locks_held(), 0);
}

static void test_spin_acquire_above_dispatch_retail(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_set(KP_HIGH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0x9, KP_HIGH_LEVEL, KP_DISPATCH_LEVEL, 0, 0,
                            kp_spin_lock_acquire(&lock));
  assert_int_equal(lock, 0);
}

static void test_spin_acquire_abandoned_when_handler_returns(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_bugcheck_record_t rec;
  record_returning(&rec);
  kp_irql_set(KP_CLOCK_LEVEL);
  kp_irql_t got = kp_spin_lock_acquire(&lock);
  record_stop();
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.params[0], 0x42);
  assert_int_equal(got, KP_CLOCK_LEVEL);
  assert_int_equal(lock, 0);
  assert_int_equal(kp_irql_get(), KP_CLOCK_LEVEL);
}

static void test_spin_recursive_acquire(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&lock), 0, 0,
                            kp_spin_lock_acquire(&lock));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&lock), 0, 0,
                            kp_spin_lock_acquire_at_dpc(&lock));
  // Still held exactly once, at DISPATCH_LEVEL.
  assert_int_equal(lock, kp_thread_id());
  assert_int_equal(kp_spin_locks_held(), 1);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_spin_lock_release(&lock, old));
}

static void test_spin_recursive_acquire_retail(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1000, kp_spin_lock_acquire(&lock));
  kp_spin_lock_release(&lock, old);
}

static void test_spin_double_release(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  kp_spin_lock_release(&lock, old);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x32, KP_PASSIVE_LEVEL, PTR(&lock),
                            0, kp_spin_lock_release(&lock, old));
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_spin_release_above_dispatch(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  kp_irql_raise(KP_HIGH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x32, KP_HIGH_LEVEL, PTR(&lock), 0,
                            kp_spin_lock_release(&lock, old));
  assert_int_equal(lock, kp_thread_id()); // nothing changed
  kp_irql_lower(KP_DISPATCH_LEVEL);
  kp_spin_lock_release(&lock, old);
  assert_int_equal(lock, 0);
}

static void test_spin_release_not_held(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&lock), 0, 0,
                            kp_spin_lock_release(&lock, KP_PASSIVE_LEVEL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&lock), 0, 0,
                            kp_spin_lock_release_from_dpc(&lock));
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
  assert_int_equal(kp_spin_locks_held(), 0);
}

static void test_spin_release_with_bad_old_irql(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x31, KP_DISPATCH_LEVEL,
                            KP_CLOCK_LEVEL, 0,
                            kp_spin_lock_release(&lock, KP_CLOCK_LEVEL));
  assert_int_equal(lock, kp_thread_id()); // still held
  assert_int_equal(kp_spin_locks_held(), 1);
  kp_spin_lock_release(&lock, old);
}

static void test_spin_dpc_forms_below_dispatch(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x40, KP_APC_LEVEL, PTR(&lock), 0,
                            kp_spin_lock_acquire_at_dpc(&lock));
  assert_int_equal(lock, 0);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x41, KP_APC_LEVEL, PTR(&lock), 0,
                            kp_spin_lock_release_from_dpc(&lock));
}

static void test_spin_dpc_forms_below_dispatch_retail(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x40, KP_PASSIVE_LEVEL, PTR(&lock),
                            0, kp_spin_lock_acquire_at_dpc(&lock));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x41, KP_PASSIVE_LEVEL, PTR(&lock),
                            0, kp_spin_lock_release_from_dpc(&lock));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1007, kp_spin_lock_release_from_dpc(&lock));
}

static void test_spin_bad_pointers(void **state) {
  (void)state;
  _Alignas(16) unsigned char raw[32] = {0};
  kp_spin_lock_t *odd = (kp_spin_lock_t *)(void *)(raw + 1);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0, kp_spin_lock_init(NULL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, PTR(odd), 0, 0,
                            kp_spin_lock_init(odd));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0,
                            kp_spin_lock_acquire(NULL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, PTR(odd), 0, 0,
                            kp_spin_lock_acquire(odd));
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0,
                            kp_spin_lock_release(NULL, KP_PASSIVE_LEVEL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0,
                            kp_spin_lock_acquire_at_dpc(NULL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, PTR(odd), 0, 0,
                            kp_spin_lock_release_from_dpc(odd));
  for (size_t i = 0; i < sizeof raw; i++) assert_int_equal(raw[i], 0);
}

/* A second thread holds the lock while the main thread releases it. */
typedef struct holder {
  kp_spin_lock_t *lock;
  kp_fast_mutex_t *mutex;
  atomic_int acquired;
  atomic_int done;
  uint32_t id;
} holder_t;

static void *spin_holder_thread(void *arg) {
  holder_t *h = arg;
  kp_irql_t old = kp_spin_lock_acquire(h->lock);
  h->id = kp_thread_id();
  atomic_store(&h->acquired, 1);
  while (atomic_load(&h->done) == 0) sched_yield();
  kp_spin_lock_release(h->lock, old);
  return NULL;
}

static void test_spin_release_by_other_thread(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  holder_t h;
  memset(&h, 0, sizeof h);
  h.lock = &lock;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, spin_holder_thread, &h), 0);
  while (atomic_load(&h.acquired) == 0) sched_yield();
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1004, PTR(&lock), h.id,
                            kp_thread_id(),
                            kp_spin_lock_release(&lock, KP_PASSIVE_LEVEL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1004, PTR(&lock), h.id,
                            kp_thread_id(), kp_spin_lock_release_from_dpc(&lock));
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
  atomic_store(&h.done, 1);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(lock, 0);
}

/* ---------------------------------------------------------------------------
 * Spin locks and fast mutexes: real mutual exclusion.
 * ------------------------------------------------------------------------- */
#define WORKERS 4
#define ROUNDS 20000

typedef struct worker {
  kp_spin_lock_t *lock;
  kp_fast_mutex_t *mutex;
  uint64_t *counter; // plain memory: only the lock protects it
  uint32_t bad_irql; // results, asserted after join
  uint32_t bad_held;
} worker_t;

static void *spin_worker(void *arg) {
  worker_t *w = arg;
  for (int i = 0; i < ROUNDS; i++) {
    kp_irql_t old = kp_spin_lock_acquire(w->lock);
    if (old != KP_PASSIVE_LEVEL || kp_irql_get() != KP_DISPATCH_LEVEL)
      w->bad_irql++;
    if (kp_spin_locks_held() != 1) w->bad_held++;
    // A non-atomic read-modify-write: lost updates show a broken lock.
    uint64_t v = *w->counter;
    if ((i & 63) == 0) sched_yield();
    *w->counter = v + 1;
    kp_spin_lock_release(w->lock, old);
    if (kp_irql_get() != KP_PASSIVE_LEVEL) w->bad_irql++;
  }
  return NULL;
}

static void *mutex_worker(void *arg) {
  worker_t *w = arg;
  for (int i = 0; i < ROUNDS; i++) {
    bool got = (i & 1) ? kp_fast_mutex_try_acquire(w->mutex) : false;
    if (!got) kp_fast_mutex_acquire(w->mutex);
    if (kp_irql_get() != KP_APC_LEVEL) w->bad_irql++;
    if (__atomic_load_n(&w->mutex->holder, __ATOMIC_RELAXED) != kp_thread_id()) w->bad_held++;
    uint64_t v = *w->counter;
    if ((i & 63) == 0) sched_yield();
    *w->counter = v + 1;
    kp_fast_mutex_release(w->mutex);
    if (kp_irql_get() != KP_PASSIVE_LEVEL) w->bad_irql++;
  }
  return NULL;
}

static void run_workers(void *(*fn)(void *), kp_spin_lock_t *lock,
                        kp_fast_mutex_t *mutex, uint64_t *counter) {
  pthread_t th[WORKERS];
  worker_t w[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].lock = lock;
    w[i].mutex = mutex;
    w[i].counter = counter;
    assert_int_equal(pthread_create(&th[i], NULL, fn, &w[i]), 0);
  }
  for (int i = 0; i < WORKERS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  for (int i = 0; i < WORKERS; i++) {
    assert_int_equal(w[i].bad_irql, 0);
    assert_int_equal(w[i].bad_held, 0);
  }
}

static void test_spin_lock_mutual_exclusion(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  uint64_t counter = 0;
  uint32_t before = kp_bugcheck_count(fx.sys);
  run_workers(spin_worker, &lock, NULL, &counter);
  assert_int_equal(counter, (uint64_t)WORKERS * ROUNDS);
  assert_int_equal(lock, 0);
  assert_int_equal(kp_bugcheck_count(fx.sys), before);
}

static void test_fast_mutex_mutual_exclusion(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  uint64_t counter = 0;
  uint32_t before = kp_bugcheck_count(fx.sys);
  run_workers(mutex_worker, NULL, &m, &counter);
  assert_int_equal(counter, (uint64_t)WORKERS * ROUNDS);
  assert_int_equal(m.holder, 0);
  assert_int_equal(kp_bugcheck_count(fx.sys), before);
}

/* ---------------------------------------------------------------------------
 * Fast mutexes: behaviour.
 * ------------------------------------------------------------------------- */
static void test_fast_mutex_acquire_release(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  memset(&m, 0xAB, sizeof m);
  kp_fast_mutex_init(&m);
  assert_int_equal(m.holder, 0);
  assert_null(m.owner);
  assert_int_equal(m.count, 1);
  kp_irql_t inside = 0, saved = 99;
  uint32_t owner = 0, word = 0;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_fast_mutex_acquire(&m);
    inside = kp_irql_get();
    owner = m.holder;
    word = m.holder;
    saved = m.old_irql;
    kp_fast_mutex_release(&m);
  });
  assert_int_equal(inside, KP_APC_LEVEL);
  assert_int_equal(owner, kp_thread_id());
  assert_int_equal(word, kp_thread_id());
  assert_int_equal(saved, KP_PASSIVE_LEVEL);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  assert_int_equal(m.holder, 0);
  assert_null(m.owner);
  // From APC_LEVEL the saved IRQL is APC_LEVEL.
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_fast_mutex_acquire(&m),
                        kp_fast_mutex_release(&m));
  assert_int_equal(kp_irql_get(), KP_APC_LEVEL);
}

static void test_fast_mutex_try_acquire(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  bool first = false, again = true;
  kp_irql_t after_first = 0, after_again = 0, saved = 99;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    first = kp_fast_mutex_try_acquire(&m);
    after_first = kp_irql_get();
    // Held by this thread: false, no wait, no bug check, nothing changed.
    again = kp_fast_mutex_try_acquire(&m);
    after_again = kp_irql_get();
    saved = m.old_irql;
    kp_fast_mutex_release(&m);
  });
  assert_true(first);
  assert_false(again);
  assert_int_equal(after_first, KP_APC_LEVEL);
  assert_int_equal(after_again, KP_APC_LEVEL);
  assert_int_equal(saved, KP_PASSIVE_LEVEL);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void *mutex_holder_thread(void *arg) {
  holder_t *h = arg;
  kp_fast_mutex_acquire(h->mutex);
  h->id = kp_thread_id();
  atomic_store(&h->acquired, 1);
  while (atomic_load(&h->done) == 0) sched_yield();
  kp_fast_mutex_release(h->mutex);
  return NULL;
}

static void test_fast_mutex_held_by_other_thread(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  holder_t h;
  memset(&h, 0, sizeof h);
  h.mutex = &m;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, mutex_holder_thread, &h), 0);
  while (atomic_load(&h.acquired) == 0) sched_yield();
  assert_false(kp_fast_mutex_try_acquire(&m));
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1004, PTR(&m), h.id, kp_thread_id(),
                            kp_fast_mutex_release(&m));
  assert_int_equal(kp_irql_get(), KP_APC_LEVEL);
  kp_irql_set(KP_PASSIVE_LEVEL);
  atomic_store(&h.done, 1);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(m.holder, 0);
}

/* ---------------------------------------------------------------------------
 * Fast mutexes: misuse.
 * ------------------------------------------------------------------------- */
static void test_fast_mutex_acquire_above_apc(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x33, KP_DISPATCH_LEVEL, PTR(&m), 0,
                            kp_fast_mutex_acquire(&m));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x33, KP_DISPATCH_LEVEL, PTR(&m), 0,
                            kp_fast_mutex_try_acquire(&m));
  assert_int_equal(m.holder, 0);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
}

static void test_fast_mutex_acquire_above_apc_retail(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xA, PTR(&m), KP_DISPATCH_LEVEL, 0, 0,
                            kp_fast_mutex_acquire(&m));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xA, PTR(&m), KP_DISPATCH_LEVEL, 0, 0,
                            kp_fast_mutex_try_acquire(&m));
  assert_int_equal(m.holder, 0);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
}

static void test_fast_mutex_try_abandoned_returns_false(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  kp_bugcheck_record_t rec;
  record_returning(&rec);
  kp_irql_set(KP_DISPATCH_LEVEL);
  bool got = kp_fast_mutex_try_acquire(&m);
  kp_fast_mutex_acquire(&m);
  record_stop();
  assert_false(got);
  assert_int_equal(rec.count, 2);
  assert_int_equal(m.holder, 0);
  assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
}

static void test_fast_mutex_recursive_acquire(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  kp_fast_mutex_acquire(&m);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&m), 0, 0,
                            kp_fast_mutex_acquire(&m));
  assert_int_equal(m.old_irql, KP_PASSIVE_LEVEL); // not overwritten
  kp_fast_mutex_release(&m);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_fast_mutex_release_misuse(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_fast_mutex_init(&m);
  // Not held, at PASSIVE_LEVEL: the IRQL check speaks first.
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x34, KP_PASSIVE_LEVEL, PTR(&m), 0,
                            kp_fast_mutex_release(&m));
  // Not held, at APC_LEVEL.
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&m), 0, 0,
                            kp_fast_mutex_release(&m));
  kp_irql_set(KP_PASSIVE_LEVEL);
  // Held, but the IRQL was changed in between.
  kp_fast_mutex_acquire(&m);
  kp_irql_raise(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x34, KP_DISPATCH_LEVEL, PTR(&m), 0,
                            kp_fast_mutex_release(&m));
  assert_int_equal(m.holder, kp_thread_id());
  kp_irql_lower(KP_APC_LEVEL);
  kp_fast_mutex_release(&m);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_fast_mutex_uninitialized(void **state) {
  (void)state;
  kp_fast_mutex_t zero;
  memset(&zero, 0, sizeof zero);
  kp_fast_mutex_t garbage;
  memset(&garbage, 0x5A, sizeof garbage);
  kp_fast_mutex_t good;
  kp_fast_mutex_init(&good);
  kp_fast_mutex_t copy = good; // a copy is not an initialised mutex
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&zero), 0, 0,
                            kp_fast_mutex_acquire(&zero));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&garbage), 0, 0,
                            kp_fast_mutex_acquire(&garbage));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&copy), 0, 0,
                            kp_fast_mutex_acquire(&copy));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&zero), 0, 0,
                            kp_fast_mutex_try_acquire(&zero));
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1002, PTR(&zero), 0, 0,
                            kp_fast_mutex_release(&zero));
  assert_int_equal(zero.holder, 0);
  assert_int_equal(kp_irql_get(), KP_APC_LEVEL);
}

static void test_fast_mutex_bad_pointers(void **state) {
  (void)state;
  _Alignas(16) unsigned char raw[sizeof(kp_fast_mutex_t) + 16];
  memset(raw, 0, sizeof raw);
  kp_fast_mutex_t *odd = (kp_fast_mutex_t *)(void *)(raw + 4);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0, kp_fast_mutex_init(NULL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, PTR(odd), 0, 0,
                            kp_fast_mutex_init(odd));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0,
                            kp_fast_mutex_acquire(NULL));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, PTR(odd), 0, 0,
                            kp_fast_mutex_try_acquire(odd));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0xE1, 0, 0, 0,
                            kp_fast_mutex_release(NULL));
  for (size_t i = 0; i < sizeof raw; i++) assert_int_equal(raw[i], 0);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

static void test_fast_mutex_and_spin_lock_nest(void **state) {
  (void)state;
  kp_fast_mutex_t m;
  kp_spin_lock_t lock;
  kp_fast_mutex_init(&m);
  kp_spin_lock_init(&lock);
  kp_fast_mutex_acquire(&m);
  KP_ASSERT_NO_BUGCHECK(fx.sys, kp_paged_code(KP_HERE)); // APC_LEVEL is fine
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  assert_int_equal(old, KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xD1, 0, KP_DISPATCH_LEVEL, 8, 0,
                            kp_paged_code(KP_HERE));
  kp_spin_lock_release(&lock, old);
  assert_int_equal(kp_irql_get(), KP_APC_LEVEL);
  kp_fast_mutex_release(&m);
  assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
}

/* The retail runs of tests whose codes do not depend on the mode. */
static void test_paged_code_at_dispatch_retail(void **state) {
  test_paged_code_at_dispatch(state);
}
static void test_spin_double_release_retail(void **state) {
  test_spin_double_release(state);
}
static void test_spin_bad_pointers_retail(void **state) {
  test_spin_bad_pointers(state);
}
static void test_fast_mutex_release_misuse_retail(void **state) {
  test_fast_mutex_release_misuse(state);
}

static void test_explanations_name_the_misuse(void **state) {
  (void)state;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_bugcheck_record_t rec;
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_CAPTURE_BUGCHECK(fx.sys, &rec, kp_spin_lock_release(&lock, 0));
  assert_int_equal(rec.count, 1);
  assert_string_equal(rec.name, "DRIVER_VERIFIER_DETECTED_VIOLATION");
  assert_non_null(strstr(rec.explanation, "KeReleaseSpinLock"));
  assert_non_null(strstr(rec.explanation, "not held"));
  kp_irql_set(KP_PASSIVE_LEVEL);
  KP_CAPTURE_BUGCHECK(fx.sys, &rec, kp_irql_lower(KP_DISPATCH_LEVEL));
  assert_int_equal(rec.code, 0xC4);
  assert_non_null(strstr(rec.explanation, "KeLowerIrql"));
}

int main(void) {
#define V(t) cmocka_unit_test_setup_teardown(t, setup_verifier, teardown)
#define R(t) cmocka_unit_test_setup_teardown(t, setup_retail, teardown)
  const struct CMUnitTest tests[] = {
      V(test_new_thread_starts_at_passive),
      V(test_raise_and_lower),
      V(test_set_has_no_check),
      V(test_raise_to_lower_irql_verifier),
      V(test_raise_above_high_verifier),
      R(test_raise_to_lower_irql_retail),
      V(test_lower_to_higher_irql),
      R(test_lower_to_higher_irql_retail),
      V(test_raise_abandoned_when_handler_returns),
      V(test_paged_code_ok_at_apc),
      V(test_paged_code_at_dispatch),
      R(test_paged_code_at_dispatch_retail),
      V(test_paged_code_unknown_site),
      V(test_spin_lock_acquire_release),
      V(test_spin_lock_from_apc_and_dispatch),
      V(test_spin_lock_at_dpc_level),
      V(test_spin_acquire_above_dispatch),
      R(test_spin_acquire_above_dispatch_retail),
      V(test_spin_acquire_abandoned_when_handler_returns),
      V(test_spin_recursive_acquire),
      R(test_spin_recursive_acquire_retail),
      V(test_spin_double_release),
      R(test_spin_double_release_retail),
      V(test_spin_release_above_dispatch),
      V(test_spin_release_not_held),
      V(test_spin_release_with_bad_old_irql),
      V(test_spin_dpc_forms_below_dispatch),
      R(test_spin_dpc_forms_below_dispatch_retail),
      V(test_spin_bad_pointers),
      R(test_spin_bad_pointers_retail),
      V(test_spin_release_by_other_thread),
      V(test_spin_lock_mutual_exclusion),
      V(test_fast_mutex_mutual_exclusion),
      V(test_fast_mutex_acquire_release),
      V(test_fast_mutex_try_acquire),
      V(test_fast_mutex_held_by_other_thread),
      V(test_fast_mutex_acquire_above_apc),
      R(test_fast_mutex_acquire_above_apc_retail),
      V(test_fast_mutex_try_abandoned_returns_false),
      V(test_fast_mutex_recursive_acquire),
      V(test_fast_mutex_release_misuse),
      R(test_fast_mutex_release_misuse_retail),
      V(test_fast_mutex_uninitialized),
      V(test_fast_mutex_bad_pointers),
      V(test_fast_mutex_and_spin_lock_nest),
      V(test_explanations_name_the_misuse),
  };
#undef V
#undef R
  return cmocka_run_group_tests(tests, NULL, NULL);
}
