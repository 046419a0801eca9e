/*
 * test_interlocked.c — the spin-lock based ExInterlocked routines and
 * InterlockedCompareExchange128 (kpool/interlocked.h), and
 * InterlockedPushListSList (kp_slist_push_list): results, IRQL, list
 * integrity under several host threads, misuse.
 */
#include <kpool/cmocka.h>

#include "kp_sync_fixture.h"


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
      cmocka_unit_test_setup_teardown(test_exinterlocked_lists, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_exinterlocked_threads, setup_verifier, teardown),
      cmocka_unit_test_setup_teardown(test_cas128_and_push_list, setup_verifier, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
