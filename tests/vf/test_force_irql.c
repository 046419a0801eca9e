/*
 * test_force_irql.c — force IRQL checking (KP_VERIFY_FORCE_IRQL): paged
 * pool is made inaccessible while any thread is at DISPATCH_LEVEL or above;
 * a touch at that IRQL is DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1) naming the
 * allocation; a touch at a legal IRQL (another thread) pages the page back
 * in; kpool's own accesses never bug check; paged special-pool blocks are
 * trimmed too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TFI_VALGRIND 1
#endif
#endif

#include "kp_test_util.h"
#include "kpool/cmocka.h"

#define PG_TAG KP_TAG('P', 'g', 'd', '1')

/* Memcheck reports a touch of an inaccessible page as well; the tests
 * that fault on purpose want only kpool's bug check. */
static void quiet_begin(void) {
#if defined(TFI_VALGRIND)
  VALGRIND_DISABLE_ERROR_REPORTING;
#endif
}
static void quiet_end(void) {
#if defined(TFI_VALGRIND)
  VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

#define EXPECT_FAULT(code_, p1_, stmt)                                         \
  do {                                                                         \
    quiet_begin();                                                             \
    KPT_EXPECT_BUGCHECK(code_, p1_, stmt);                                     \
    quiet_end();                                                               \
  } while (0)

/* Accesses that may fault. The fences keep the catcher's setup (a plain
 * global read only by the signal handler) before the access; the sink keeps
 * a read alive under Valgrind's JIT. */
static volatile uint8_t sink;

static void poke(volatile uint8_t *p, uint8_t v) {
  atomic_signal_fence(memory_order_seq_cst);
  *p = v;
  atomic_signal_fence(memory_order_seq_cst);
}

static uint8_t peek(volatile const uint8_t *p) {
  atomic_signal_fence(memory_order_seq_cst);
  uint8_t v = *p;
  sink = v;
  atomic_signal_fence(memory_order_seq_cst);
  return v;
}

static int setup_force(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_FORCE_IRQL;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static int setup_force_special(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags |= KP_VERIFY_FORCE_IRQL | KP_VERIFY_SPECIAL_POOL;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static void test_paged_write_at_dispatch_is_0xD1(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 64, PG_TAG, KP_HERE);
  p[0] = 1; // fine at PASSIVE_LEVEL
  assert_false(kp_force_irql_trimmed(sys));
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  assert_true(kp_force_irql_trimmed(sys));
  assert_int_equal(kp_force_irql_raised_threads(), 1);
  EXPECT_FAULT(0xD1, (uintptr_t)(p + 10), poke(&p[10], 2));
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
#if defined(__linux__) && defined(__x86_64__)
  assert_int_equal(kpt_last.p[2], 1); // write
#endif
  assert_int_equal(kpt_last.p[3], 0);
  assert_true(kpt_last.has_block);
  assert_ptr_equal(kpt_last.block.address, p);
  assert_non_null(strstr(kpt_last.explanation, "'Pgd1'"));
  assert_non_null(strstr(kpt_last.explanation, "test_force_irql.c:"));
  kp_irql_lower(old);
  assert_false(kp_force_irql_trimmed(sys));
  assert_int_equal(kp_force_irql_raised_threads(), 0);
  assert_int_equal(peek(&p[0]), 1); // contents kept
  kp_free(sys, p, PG_TAG, KP_HERE);
}

static void test_paged_read_at_high_irql_is_0xD1_read(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 5000, PG_TAG, KP_HERE); // a page block
  kp_irql_t old = kp_irql_raise(KP_CLOCK_LEVEL);
  EXPECT_FAULT(0xD1, (uintptr_t)(p + 4500), (void)peek(&p[4500]));
  assert_int_equal(kpt_last.p[1], KP_CLOCK_LEVEL);
#if defined(__linux__) && defined(__x86_64__)
  assert_int_equal(kpt_last.p[2], 0); // read
#endif
  kp_irql_lower(old);
  kp_free(sys, p, PG_TAG, KP_HERE);
}

static void test_spin_lock_trims_and_release_restores(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  uint8_t *p = kp_alloc2(sys, KPT_PG, 32, PG_TAG, KP_HERE);
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  kp_irql_t old = kp_spin_lock_acquire(&lock);
  assert_true(kp_force_irql_trimmed(sys));
  EXPECT_FAULT(0xD1, (uintptr_t)p, poke(&p[0], 1));
  kp_spin_lock_release(&lock, old);
  assert_false(kp_force_irql_trimmed(sys));
  poke(&p[0], 1);
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_int_equal(c.force_irql_trims, 1);
  kpt_output_reset();
  kp_verifier_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Force IRQL checking: paged pool trimmed 1 time"));
  kp_free(sys, p, PG_TAG, KP_HERE);
  kp_system_set_current(prev);
}

static void test_apc_level_and_nonpaged_are_not_trimmed(void **state) {
  kp_system_t *sys = *state;
  uint8_t *pg = kp_alloc2(sys, KPT_PG, 32, PG_TAG, KP_HERE);
  uint8_t *np = kp_alloc2(sys, KPT_NP, 32, PG_TAG, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_APC_LEVEL);
  assert_false(kp_force_irql_trimmed(sys));
  KP_ASSERT_NO_BUGCHECK(sys, poke(&pg[1], 1));
  kp_irql_raise(KP_DISPATCH_LEVEL);
  // Non-paged pool stays accessible; allocating and freeing it is legal.
  KP_ASSERT_NO_BUGCHECK(sys, poke(&np[1], 1));
  void *more = kp_alloc2(sys, KPT_NP, 100, PG_TAG, KP_HERE);
  assert_non_null(more);
  KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, more, PG_TAG, KP_HERE));
  kp_irql_lower(old);
  kp_free(sys, pg, PG_TAG, KP_HERE);
  kp_free(sys, np, PG_TAG, KP_HERE);
}

static void test_without_the_flag_nothing_is_trimmed(void **state) {
  kp_system_t *sys = *state; // default configuration
  uint8_t *p = kp_alloc2(sys, KPT_PG, 32, PG_TAG, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  assert_false(kp_force_irql_trimmed(sys));
  KP_ASSERT_NO_BUGCHECK(sys, poke(&p[0], 1));
  kp_irql_lower(old);
  kp_free(sys, p, PG_TAG, KP_HERE);
  assert_false(kp_force_irql_trimmed(NULL));
}

static void test_kpool_own_accesses_never_bugcheck(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 32, PG_TAG, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  // kp_verify reads every paged header and canary at DISPATCH_LEVEL.
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  // Its pages came back in; the next rise trims them again.
  kp_irql_lower(old);
  old = kp_irql_raise(KP_DISPATCH_LEVEL);
  EXPECT_FAULT(0xD1, (uintptr_t)p, poke(&p[0], 1));
  kp_irql_lower(old);
  kp_free(sys, p, PG_TAG, KP_HERE);
}

/* kp_lookaside_verify reads the fill of entries cached in a paged list: a
 * kpool read, legal at any IRQL like kp_verify's (no 0xD1 raised while the
 * registry lock is held). */
static void test_lookaside_verify_at_dispatch_never_bugchecks(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  memset(&l, 0, sizeof l);
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 1 /* PagedPool */, 0,
                                        64, PG_TAG, 0, KP_HERE),
                   KP_STATUS_SUCCESS);
  void *e = kp_lookaside_alloc(sys, &l, KP_HERE);
  assert_non_null(e);
  kp_lookaside_free(sys, &l, e, KP_HERE);
  assert_int_equal(kp_lookaside_cached(&l), 1);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  assert_true(kp_force_irql_trimmed(sys));
  assert_int_equal(kp_lookaside_verify(sys), KP_STATUS_SUCCESS);
  kp_irql_lower(old);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  kp_lookaside_delete(sys, &l, KP_HERE);
}

static void test_irql_set_is_seen(void **state) {
  kp_system_t *sys = *state;
  (void)kp_irql_set(KP_HIGH_LEVEL);
  assert_true(kp_force_irql_trimmed(sys));
  (void)kp_irql_set(KP_DISPATCH_LEVEL); // still at or above
  assert_true(kp_force_irql_trimmed(sys));
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  assert_false(kp_force_irql_trimmed(sys));
  assert_int_equal(kp_force_irql_raised_threads(), 0);
}

static void test_handler_that_returns_lets_the_access_complete(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = kp_alloc2(sys, KPT_PG, 32, PG_TAG, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  kpt_reset_caught();
  quiet_begin();
  poke(&p[3], 9); // kpt_handler returns: the page is brought in
  quiet_end();
  assert_int_equal(kpt_last.count, 1);
  assert_int_equal(kpt_last.code, 0xD1);
  kp_irql_lower(old);
  assert_int_equal(p[3], 9);
  kp_free(sys, p, PG_TAG, KP_HERE);
}

static void test_paged_special_pool_is_trimmed_too(void **state) {
  kp_system_t *sys = *state;
  uint8_t *pg = kp_alloc2(sys, KPT_PG, 40, PG_TAG, KP_HERE);
  uint8_t *np = kp_alloc2(sys, KPT_NP, 40, PG_TAG, KP_HERE);
  assert_true(kp_special_pool_query(sys, pg, NULL));
  assert_true(kp_special_pool_query(sys, np, NULL));
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  EXPECT_FAULT(0xD1, (uintptr_t)(pg + 5), poke(&pg[5], 1));
  assert_true(kpt_last.has_block);
  assert_ptr_equal(kpt_last.block.address, pg);
  KP_ASSERT_NO_BUGCHECK(sys, poke(&np[5], 1));
  // The guard page still wins past the end of the non-paged block.
  EXPECT_FAULT(0xD6, (uintptr_t)(np + 48), poke(&np[48], 1)); // after 8 slop bytes
  kp_irql_lower(old);
  KP_ASSERT_NO_BUGCHECK(sys, poke(&pg[5], 1));
  kp_free(sys, pg, PG_TAG, KP_HERE);
  kp_free(sys, np, PG_TAG, KP_HERE);
}

static void test_free_of_trimmed_special_block_at_passive(void **state) {
  kp_system_t *sys = *state;
  uint8_t *pg = kp_alloc2(sys, KPT_PG, 40, PG_TAG, KP_HERE);
  // Trimmed by a rise, then freed after the fall: free pages it in.
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  kp_irql_lower(old);
  KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, pg, PG_TAG, KP_HERE));
}

/* One thread holds DISPATCH_LEVEL while others work at PASSIVE_LEVEL. */
typedef struct passive_worker {
  kp_system_t *sys;
  int rounds;
  int bad;
} passive_worker_t;

static void *passive_work(void *arg) {
  passive_worker_t *w = arg;
  for (int i = 0; i < w->rounds; i++) {
    uint8_t *p = kp_alloc2(w->sys, KPT_PG, (size_t)(16 + i % 300), PG_TAG, KP_HERE);
    if (p == NULL) {
      w->bad++;
      continue;
    }
    memset(p, 0x33, 16);
    if (p[15] != 0x33) w->bad++;
    kp_free(w->sys, p, PG_TAG, KP_HERE);
  }
  return NULL;
}

static void test_other_threads_at_passive_page_in(void **state) {
  kp_system_t *sys = *state;
  uint8_t *mine = kp_alloc2(sys, KPT_PG, 16, PG_TAG, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  passive_worker_t w[2] = {{sys, 500, 0}, {sys, 500, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, passive_work, &w[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_int_equal(w[0].bad + w[1].bad, 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  kp_verifier_counters_t c = {.size = sizeof c};
  assert_true(kp_verifier_counters_get(sys, &c));
  assert_true(c.force_irql_page_ins > 0);
  assert_true(kp_force_irql_trimmed(sys));
  kp_irql_lower(old);
  kp_free(sys, mine, PG_TAG, KP_HERE);
}

/* Several threads raise and lower while others touch paged memory. */
typedef struct mixed_worker {
  kp_system_t *sys;
  int id;
  int bad;
} mixed_worker_t;

static void *mixed_work(void *arg) {
  mixed_worker_t *w = arg;
  kp_spin_lock_t lock;
  kp_spin_lock_init(&lock);
  for (int i = 0; i < 400; i++) {
    uint8_t *pg = kp_alloc2(w->sys, KPT_PG, 64, PG_TAG, KP_HERE);
    if (pg == NULL) {
      w->bad++;
      continue;
    }
    pg[0] = (uint8_t)i; // PASSIVE_LEVEL: may page in
    kp_irql_t old = kp_spin_lock_acquire(&lock);
    uint8_t *np = kp_alloc2(w->sys, KPT_NP, 64, PG_TAG, KP_HERE);
    if (np == NULL)
      w->bad++;
    else
      np[0] = 1;
    kp_free(w->sys, np, PG_TAG, KP_HERE);
    kp_spin_lock_release(&lock, old);
    if (pg[0] != (uint8_t)i) w->bad++;
    kp_free(w->sys, pg, PG_TAG, KP_HERE);
  }
  return NULL;
}

static void test_threads_raise_and_touch_concurrently(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *prev = kp_system_set_current(sys);
  mixed_worker_t w[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (mixed_worker_t){sys, i, 0};
    pthread_create(&th[i], NULL, mixed_work, &w[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++) assert_int_equal(w[i].bad, 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  assert_int_equal(kp_force_irql_raised_threads(), 0);
  assert_false(kp_force_irql_trimmed(sys));
  kp_system_set_current(prev);
}

/* Freeing paged pool at DISPATCH_LEVEL is the pool's IRQL rule (0xC4/0x11),
 * not a fault on the trimmed page, and leaves no lock held. */
static void test_free_paged_at_dispatch_is_irql_rule(void **state) {
  kp_system_t *sys = *state;
  uint8_t *volatile p = kp_alloc2(sys, KPT_PG, 64, PG_TAG, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  EXPECT_FAULT(0xC4, 0x11, kp_free(sys, p, PG_TAG, KP_HERE));
  assert_int_equal(kpt_last.p[1], KP_DISPATCH_LEVEL);
  assert_int_equal(kpt_last.p[3], (uintptr_t)p);
  kp_irql_lower(old);
  kp_free(sys, p, PG_TAG, KP_HERE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_free_paged_at_dispatch_is_irql_rule, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_paged_write_at_dispatch_is_0xD1, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_paged_read_at_high_irql_is_0xD1_read, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_spin_lock_trims_and_release_restores, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_apc_level_and_nonpaged_are_not_trimmed, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_without_the_flag_nothing_is_trimmed, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_kpool_own_accesses_never_bugcheck, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_lookaside_verify_at_dispatch_never_bugchecks, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_irql_set_is_seen, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_handler_that_returns_lets_the_access_complete, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_paged_special_pool_is_trimmed_too, setup_force_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_of_trimmed_special_block_at_passive, setup_force_special, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_other_threads_at_passive_page_in, setup_force, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_threads_raise_and_touch_concurrently, setup_force, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
