/*
 * test_exlocks.c — EX_SPIN_LOCK, push locks, rundown protection and the
 * spin-lock based ExInterlocked routines (kpool/exlocks.h): behaviour,
 * real blocking between host threads, every misuse.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"

static kp_ex_spin_lock_t xl;
static kp_push_lock_t pl;
static kp_rundown_ref_t rr;

/* --- EX_SPIN_LOCK ----------------------------------------------------------- */
static void test_ex_spin_lock_basics(void **state) {
  (void)state;
  xl = 0;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
    assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
    assert_int_equal(xl, 1);
    assert_true(kp_ex_spin_lock_try_convert(&xl, SITE));
    assert_int_equal((uint32_t)xl, 0x80000000u);
    kp_ex_spin_lock_release(&xl, true, false, old, SITE);
    assert_int_equal(kp_irql_get(), KP_PASSIVE_LEVEL);
    assert_int_equal(xl, 0);
    old = kp_ex_spin_lock_acquire(&xl, true, false, SITE);
    kp_ex_spin_lock_release(&xl, true, false, old, SITE);
    kp_irql_set(KP_DISPATCH_LEVEL);
    assert_true(kp_ex_spin_lock_try_at_dpc(&xl, false, SITE));
    assert_false(kp_ex_spin_lock_try_at_dpc(&xl, true, SITE)); // own: busy
    kp_ex_spin_lock_release(&xl, false, true, 0, SITE);
    assert_true(kp_ex_spin_lock_try_at_dpc(&xl, true, SITE));
    kp_ex_spin_lock_release(&xl, true, true, 0, SITE);
    kp_irql_set(KP_PASSIVE_LEVEL);
  });
}

static atomic_int xs_in;
static void *xs_reader(void *arg) {
  (void)arg;
  kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
  atomic_fetch_add(&xs_in, 1);
  kp_ex_spin_lock_release(&xl, false, false, old, SITE);
  return NULL;
}

static void test_ex_spin_lock_threads(void **state) {
  (void)state;
  xl = 0;
  atomic_store(&xs_in, 0);
  // Readers share: two enter while this thread holds it shared.
  kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
  pthread_t a = start_thread(xs_reader, NULL), b = start_thread(xs_reader, NULL);
  join_thread(a);
  join_thread(b);
  assert_int_equal(atomic_load(&xs_in), 2);
  kp_ex_spin_lock_release(&xl, false, false, old, SITE);
  // A writer excludes readers until it leaves.
  old = kp_ex_spin_lock_acquire(&xl, true, false, SITE);
  a = start_thread(xs_reader, NULL);
  sleep_ms(30);
  assert_int_equal(atomic_load(&xs_in), 2);
  kp_ex_spin_lock_release(&xl, true, false, old, SITE);
  join_thread(a);
  assert_int_equal(atomic_load(&xs_in), 3);
}

static void test_ex_spin_lock_misuse(void **state) {
  (void)state;
  xl = 0;
  kp_irql_set(KP_CLOCK_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x42, KP_CLOCK_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_acquire(&xl, true, false, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x40, KP_PASSIVE_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_acquire(&xl, false, true, SITE));
  kp_irql_t old = kp_ex_spin_lock_acquire(&xl, false, false, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&xl), 0, 0,
                            kp_ex_spin_lock_acquire(&xl, false, true, SITE));
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1009, PTR(&xl), 0, 0,
                            kp_ex_spin_lock_release(&xl, true, false, old, SITE));
  kp_ex_spin_lock_release(&xl, false, false, old, SITE);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x32, KP_PASSIVE_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_release(&xl, false, false, old, SITE));
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1007, PTR(&xl), 0, 0,
                            kp_ex_spin_lock_release(&xl, false, true, 0, SITE));
  KP_ASSERT_BUGCHECK(fx.sys, 0xC4, 0x1007, kp_ex_spin_lock_try_convert(&xl, SITE));
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x41, KP_APC_LEVEL, PTR(&xl), 0,
                            kp_ex_spin_lock_release(&xl, false, true, 0, SITE));
  kp_irql_set(KP_PASSIVE_LEVEL);
}

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

/* --- ExInterlocked routines -------------------------------------------------- */
static kp_spin_lock_t il_lock;

static void test_exinterlocked_lists(void **state) {
  (void)state;
  kp_spin_lock_init(&il_lock);
  kp_list_entry_t head = {&head, &head}, a, b, c;
  kp_irql_set(KP_DISPATCH_LEVEL); // any IRQL
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    assert_null(kp_exlist_remove_head(&head, &il_lock, SITE));
    assert_null(kp_exlist_insert(&head, &a, true, &il_lock, SITE));
    assert_ptr_equal(kp_exlist_insert(&head, &b, true, &il_lock, SITE), &a);
    assert_ptr_equal(kp_exlist_insert(&head, &c, false, &il_lock, SITE), &a);
    assert_int_equal(kp_irql_get(), KP_DISPATCH_LEVEL);
    assert_ptr_equal(kp_exlist_remove_head(&head, &il_lock, SITE), &c);
    assert_ptr_equal(kp_exlist_remove_head(&head, &il_lock, SITE), &a);
    assert_ptr_equal(kp_exlist_remove_head(&head, &il_lock, SITE), &b);
    assert_ptr_equal(head.flink, &head);
    assert_ptr_equal(head.blink, &head);
  });
  kp_single_list_entry_t sh = {NULL}, x, y;
  KP_ASSERT_NO_BUGCHECK(fx.sys, {
    assert_null(kp_exlist_push(&sh, &x, &il_lock, SITE));
    assert_ptr_equal(kp_exlist_push(&sh, &y, &il_lock, SITE), &x);
    assert_ptr_equal(kp_exlist_pop(&sh, &il_lock, SITE), &y);
    assert_ptr_equal(kp_exlist_pop(&sh, &il_lock, SITE), &x);
    assert_null(kp_exlist_pop(&sh, &il_lock, SITE));
    uint32_t u = 5;
    assert_int_equal(kp_exlist_add_ulong(&u, 3, &il_lock, SITE), 5);
    assert_int_equal(u, 8);
    int64_t big = INT64_C(1) << 40;
    assert_int_equal(kp_exlist_add_large(&big, -1, &il_lock, SITE), INT64_C(1) << 40);
    assert_int_equal(big, (INT64_C(1) << 40) - 1);
  });
  kp_irql_set(KP_PASSIVE_LEVEL);
  // The lock held by this thread through KeAcquireSpinLock: self-deadlock.
  kp_irql_t old = kp_spin_lock_acquire(&il_lock);
  KP_ASSERT_BUGCHECK_PARAMS(fx.sys, 0xC4, 0x1000, PTR(&il_lock), 0, 0,
                            kp_exlist_pop(&sh, &il_lock, SITE));
  kp_spin_lock_release(&il_lock, old);
  KP_ASSERT_BUGCHECK(fx.sys, 0x139, 3, kp_exlist_pop(NULL, &il_lock, SITE));
}

#define IL_THREADS 4
#define IL_ROUNDS 2000
static kp_list_entry_t il_head;
static kp_list_entry_t il_items[IL_THREADS][IL_ROUNDS];
static void *il_worker(void *arg) {
  kp_list_entry_t *mine = arg;
  for (int i = 0; i < IL_ROUNDS; i++) {
    kp_exlist_insert(&il_head, &mine[i], (i & 1) != 0, &il_lock, SITE);
    if ((i & 3) == 3) (void)kp_exlist_remove_head(&il_head, &il_lock, SITE);
  }
  return NULL;
}

static void test_exinterlocked_threads(void **state) {
  (void)state;
  kp_spin_lock_init(&il_lock);
  il_head.flink = il_head.blink = &il_head;
  pthread_t th[IL_THREADS];
  for (int i = 0; i < IL_THREADS; i++) th[i] = start_thread(il_worker, il_items[i]);
  for (int i = 0; i < IL_THREADS; i++) join_thread(th[i]);
  size_t n = 0;
  for (kp_list_entry_t *e = il_head.flink; e != &il_head; e = e->flink) {
    assert_ptr_equal(e->flink->blink, e);
    n++;
  }
  assert_int_equal(n, (size_t)IL_THREADS * (IL_ROUNDS - IL_ROUNDS / 4));
}

static void test_cas128_and_push_list(void **state) {
  (void)state;
  _Alignas(16) int64_t cell[2] = {1, 2};
  int64_t cmp[2] = {1, 2};
  assert_true(kp_interlocked_cas128(cell, 20, 10, cmp));
  assert_int_equal(cell[0], 10);
  assert_int_equal(cell[1], 20);
  cmp[0] = 0;
  assert_false(kp_interlocked_cas128(cell, 0, 0, cmp));
  assert_int_equal(cmp[0], 10);
  assert_int_equal(cmp[1], 20);
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT,
                   kp_interlocked_cas128((int64_t *)(void *)((char *)cell + 8),
                                         0, 0, cmp));
  kp_slist_header_t hd;
  kp_slist_entry_t e[3];
  kp_slist_init(&hd);
  kp_slist_push(&hd, &e[2]);
  e[0].next = &e[1];
  assert_ptr_equal(kp_slist_push_list(&hd, &e[0], &e[1], 2), &e[2]);
  assert_int_equal(kp_slist_depth(&hd), 3);
  assert_ptr_equal(kp_slist_pop(&hd), &e[0]);
  assert_ptr_equal(kp_slist_pop(&hd), &e[1]);
  assert_ptr_equal(kp_slist_pop(&hd), &e[2]);
  assert_null(kp_slist_pop(&hd));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER,
                   kp_slist_push_list(&hd, &e[0], &e[0], 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_ex_spin_lock_basics, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_ex_spin_lock_threads, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_ex_spin_lock_misuse, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_push_lock_blocking, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_push_lock_misuse, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_rundown, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_exinterlocked_lists, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_exinterlocked_threads, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_cas128_and_push_list, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
