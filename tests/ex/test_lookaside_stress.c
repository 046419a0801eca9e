/*
 * test_lookaside_stress.c — thread safety: two worker threads (plus a
 * third that runs the balance set manager meanwhile) do well over a million
 * operations on one lookaside list and one SLIST. Afterwards every counter
 * adds up, no entry was ever handed to two threads at once, and nothing was
 * lost. Meant to run clean under ThreadSanitizer (-DKPOOL_TSAN=ON).
 * Results are collected per thread and asserted after the joins.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kpool/kpool.h"

#define TAG KP_TAG('S', 't', 'r', '1')
#define THREADS 2
#define LA_ROUNDS 150000   /* per thread; each round is 2..16 operations */
#define SL_ROUNDS 150000   /* per thread; each round is 2..8 operations */
#define SL_ITEMS 256
#define ENTRY_SIZE 48

/* ---------------------------------------------------------------------------
 * The lookaside list.
 * ------------------------------------------------------------------------- */
typedef struct la_run {
  kp_system_t *sys;
  kp_lookaside_t *list;
  uint64_t id;
  uint64_t seed;
  uint64_t allocs;
  uint64_t frees;
  uint64_t failed;      /* NULL allocations (must stay 0) */
  uint64_t stolen;      /* an entry held by us was changed by someone else */
} la_run_t;

static uint64_t next_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void *la_worker(void *arg) {
  la_run_t *r = arg;
  uint64_t *held[8];
  for (int round = 0; round < LA_ROUNDS; round++) {
    int n = 1 + (int)(next_rand(&r->seed) % 8);
    for (int i = 0; i < n; i++) {
      held[i] = kp_lookaside_alloc(r->sys, r->list, KP_HERE);
      r->allocs++;
      if (held[i] == NULL) {
        r->failed++;
        n = i;
        break;
      }
      held[i][1] = r->id; /* after the link word */
      held[i][2] = (uint64_t)round;
    }
    for (int i = n; i-- > 0;) {
      if (held[i][1] != r->id || held[i][2] != (uint64_t)round) r->stolen++;
      kp_lookaside_free(r->sys, r->list, held[i], KP_HERE);
      r->frees++;
    }
  }
  return NULL;
}

/* Runs the balance set manager while the workers run, so that Depth moves
 * under their feet. */
typedef struct clock_run {
  kp_system_t *sys;
  atomic_int *stop;
  uint64_t seconds;
} clock_run_t;

static void *clock_worker(void *arg) {
  clock_run_t *c = arg;
  while (!atomic_load(c->stop)) {
    kp_clock_advance(c->sys, 1000);
    c->seconds++;
  }
  return NULL;
}

static void test_lookaside_threads(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
  kp_system_t *sys = kp_system_create(&cfg);
  assert_non_null(sys);
  kp_lookaside_t *list = aligned_alloc(16, sizeof *list);
  assert_non_null(list);
  assert_int_equal(kp_lookaside_init_ex(sys, list, NULL, NULL,
                                        KP_POOL_TYPE_NONPAGED_NX, 0, ENTRY_SIZE,
                                        TAG, 0, KP_HERE),
                   KP_STATUS_SUCCESS);

  la_run_t runs[THREADS];
  pthread_t th[THREADS];
  atomic_int stop;
  atomic_init(&stop, 0);
  clock_run_t clk = {sys, &stop, 0};
  pthread_t clock_thread;
  for (int i = 0; i < THREADS; i++) {
    memset(&runs[i], 0, sizeof runs[i]);
    runs[i].sys = sys;
    runs[i].list = list;
    runs[i].id = (uint64_t)i + 1;
    runs[i].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
  }
  assert_int_equal(pthread_create(&clock_thread, NULL, clock_worker, &clk), 0);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, la_worker, &runs[i]), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  atomic_store(&stop, 1);
  pthread_join(clock_thread, NULL);

  uint64_t allocs = 0, frees = 0;
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(runs[i].failed, 0);
    assert_int_equal(runs[i].stolen, 0);
    allocs += runs[i].allocs;
    frees += runs[i].frees;
  }
  assert_true(allocs + frees >= 1000000);
  assert_int_equal(allocs, frees);
  /* The list's counters add up. */
  assert_int_equal(list->total_allocates, allocs);
  assert_int_equal(list->total_frees, frees);
  uint64_t hits = list->total_allocates - list->allocate_misses;
  uint64_t pushes = list->total_frees - list->free_misses;
  assert_int_equal(kp_lookaside_cached(list), pushes - hits);
  /* Every miss went to the pool, and every free miss came back to it. */
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, TAG, KP_POOL_NONPAGED, &ts));
  assert_int_equal(ts.allocs, list->allocate_misses);
  assert_int_equal(ts.frees, list->free_misses);
  assert_int_equal(ts.allocs - ts.frees, kp_lookaside_cached(list));
  /* The cached entries are intact and the depth never went past
   * MaximumDepth plus the threads racing the Depth check. */
  assert_int_equal(kp_lookaside_verify(sys), KP_STATUS_SUCCESS);
  assert_true(kp_lookaside_cached(list) <= list->maximum_depth + THREADS);
  assert_true(clk.seconds > 0);

  kp_lookaside_delete(sys, list, KP_HERE);
  assert_true(kp_stats_tag(sys, TAG, KP_POOL_NONPAGED, &ts));
  assert_int_equal(ts.allocs, ts.frees);
  free(list);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * The SLIST.
 * ------------------------------------------------------------------------- */
typedef struct sl_item {
  kp_slist_entry_t link;
  uint64_t index;
  uint64_t owner; /* 0 while in the list */
} sl_item_t;

typedef struct sl_run {
  kp_slist_header_t *head;
  uint64_t id;
  uint64_t seed;
  uint64_t pops;
  uint64_t pushes;
  uint64_t empty;
  uint64_t bad;
} sl_run_t;

static void *sl_worker(void *arg) {
  sl_run_t *r = arg;
  sl_item_t *held[4];
  for (int round = 0; round < SL_ROUNDS; round++) {
    int n = 1 + (int)(next_rand(&r->seed) % 4), got = 0;
    for (; got < n; got++) {
      kp_slist_entry_t *e = kp_slist_pop(r->head);
      r->pops++;
      if (e == NULL) {
        r->empty++;
        break;
      }
      held[got] = (sl_item_t *)(void *)e;
      if (held[got]->owner != 0) r->bad++;
      held[got]->owner = r->id;
    }
    while (got > 0) {
      got--;
      if (held[got]->owner != r->id) r->bad++;
      held[got]->owner = 0;
      kp_slist_push(r->head, &held[got]->link);
      r->pushes++;
    }
  }
  return NULL;
}

static void test_slist_threads(void **state) {
  (void)state;
  kp_slist_header_t head;
  sl_item_t *items = aligned_alloc(16, SL_ITEMS * sizeof *items);
  assert_non_null(items);
  kp_slist_init(&head);
  for (int i = 0; i < SL_ITEMS; i++) {
    items[i].index = (uint64_t)i;
    items[i].owner = 0;
    kp_slist_push(&head, &items[i].link);
  }
  uint64_t seq0 = kp_slist_sequence(&head);
  sl_run_t runs[THREADS];
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&runs[i], 0, sizeof runs[i]);
    runs[i].head = &head;
    runs[i].id = (uint64_t)i + 1;
    runs[i].seed = 0xD1B54A32D192ED03ull * (uint64_t)(i + 7);
  }
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, sl_worker, &runs[i]), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);

  uint64_t pops = 0, pushes = 0, ops = 0;
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(runs[i].bad, 0);
    pops += runs[i].pops - runs[i].empty;
    pushes += runs[i].pushes;
    ops += runs[i].pops + runs[i].pushes;
  }
  assert_true(ops >= 1000000);
  assert_int_equal(pops, pushes);
  /* Depth exact, every item back once, and one sequence step per change. */
  assert_int_equal(kp_slist_depth(&head), SL_ITEMS);
  assert_int_equal(kp_slist_sequence(&head) - seq0, pops + pushes);
  int *seen = calloc(SL_ITEMS, sizeof *seen);
  assert_non_null(seen);
  kp_slist_entry_t *e;
  while ((e = kp_slist_pop(&head)) != NULL) {
    uint64_t idx = ((sl_item_t *)(void *)e)->index;
    assert_true(idx < SL_ITEMS);
    seen[idx]++;
  }
  for (int i = 0; i < SL_ITEMS; i++) assert_int_equal(seen[i], 1);
  free(seen);
  free(items);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lookaside_threads),
      cmocka_unit_test(test_slist_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
