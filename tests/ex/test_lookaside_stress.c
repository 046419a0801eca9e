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
#include <sched.h>
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
  int rounds;           /* 0: LA_ROUNDS */
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
  int rounds = r->rounds != 0 ? r->rounds : LA_ROUNDS;
  for (int round = 0; round < rounds; round++) {
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

/* A system with the Verifier's automatic checks and one Ex list of
 * ENTRY_SIZE entries on it (free(list) and kp_system_destroy after). */
static kp_system_t *new_system_and_list(kp_lookaside_t **out) {
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
  *out = list;
  return sys;
}

static void test_lookaside_threads(void **state) {
  (void)state;
  kp_lookaside_t *list = NULL;
  kp_system_t *sys = new_system_and_list(&list);

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
  /* The list's counters are Windows' plain increments: two threads
   * counting at once may lose an update (never add one), so under threads
   * they are at most the true counts, and close to them. The exact sums are
   * checked single-threaded (test_lookaside_counters_exact). */
  assert_true(list->total_allocates <= allocs);
  assert_true(list->total_allocates >= allocs / 2);
  assert_true(list->total_frees <= frees);
  assert_true(list->total_frees >= frees / 2);
  /* Every miss went to the pool, and every free miss came back to it: the
   * pool's own counts are exact, and the cached entries are the balance. */
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, TAG, KP_POOL_NONPAGED, &ts));
  assert_true(list->allocate_misses <= ts.allocs);
  assert_true(list->free_misses <= ts.frees);
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

/* The counters exactly, single-threaded: every allocate and free counted
 * once, hits and pushes balancing the cached entries, misses equal to the
 * pool's own counts, with the balance set manager moving Depth between
 * bursts. */
static void test_lookaside_counters_exact(void **state) {
  (void)state;
  kp_lookaside_t *list = NULL;
  kp_system_t *sys = new_system_and_list(&list);
  la_run_t run;
  memset(&run, 0, sizeof run);
  run.sys = sys;
  run.list = list;
  run.id = 1;
  run.seed = 0x9E3779B97F4A7C15ull;
  run.rounds = 5000;
  for (int burst = 0; burst < 8; burst++) {
    la_worker(&run);
    kp_clock_advance(sys, 3000);
  }
  assert_int_equal(run.failed, 0);
  assert_int_equal(run.stolen, 0);
  assert_int_equal(run.allocs, run.frees);
  assert_int_equal(list->total_allocates, run.allocs);
  assert_int_equal(list->total_frees, run.frees);
  uint64_t hits = list->total_allocates - list->allocate_misses;
  uint64_t pushes = list->total_frees - list->free_misses;
  assert_int_equal(kp_lookaside_cached(list), pushes - hits);
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, TAG, KP_POOL_NONPAGED, &ts));
  assert_int_equal(ts.allocs, list->allocate_misses);
  assert_int_equal(ts.frees, list->free_misses);
  assert_int_equal(ts.allocs - ts.frees, kp_lookaside_cached(list));
  assert_true(list->depth > 4); /* the bursts made it grow */
  kp_lookaside_delete(sys, list, KP_HERE);
  free(list);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * Two threads free the same entry to one list at the same moment, round
 * after round: exactly one free caches it, the other is the double free
 * (0xC4/0x13 under the verifier), never both and never neither.
 * ------------------------------------------------------------------------- */
#define DF_ROUNDS 3000

typedef struct df_shared {
  kp_system_t *sys;
  kp_lookaside_t *list;
  _Atomic(void *) entry;
  atomic_uint arrived;
  atomic_uint phase;
  atomic_uint checks;       /* bug checks seen by the handler */
  atomic_uint bad_checks;   /* ... that were not the expected double free */
} df_shared_t;

/* Both threads wait here until the other arrives. */
static void df_barrier(df_shared_t *d) {
  unsigned phase = atomic_load(&d->phase);
  if (atomic_fetch_add(&d->arrived, 1) + 1 == 2) {
    atomic_store(&d->arrived, 0);
    atomic_fetch_add(&d->phase, 1);
    return;
  }
  while (atomic_load(&d->phase) == phase) sched_yield();
}

/* Returns: the losing free is abandoned, its thread goes on. */
static void df_handler(const kp_bugcheck_t *bc, void *arg) {
  df_shared_t *d = arg;
  atomic_fetch_add(&d->checks, 1);
  void *e = atomic_load(&d->entry);
  if (bc->code != 0xC4 || bc->params[0] != 0x13 ||
      bc->params[2] != (uint64_t)(uintptr_t)d->list ||
      bc->params[3] != (uint64_t)(uintptr_t)e)
    atomic_fetch_add(&d->bad_checks, 1);
}

static void *df_worker(void *arg) {
  df_shared_t *d = arg;
  for (int round = 0; round < DF_ROUNDS; round++) {
    df_barrier(d); /* the entry is out */
    kp_lookaside_free(d->sys, d->list, atomic_load(&d->entry), KP_HERE);
    df_barrier(d); /* both frees done */
    df_barrier(d); /* checked */
  }
  return NULL;
}

static void test_lookaside_concurrent_double_free(void **state) {
  (void)state;
  kp_lookaside_t *list = NULL;
  kp_system_t *sys = new_system_and_list(&list);
  df_shared_t d;
  memset(&d, 0, sizeof d);
  d.sys = sys;
  d.list = list;
  atomic_init(&d.entry, NULL);
  atomic_init(&d.arrived, 0);
  atomic_init(&d.phase, 0);
  atomic_init(&d.checks, 0);
  atomic_init(&d.bad_checks, 0);
  kp_bugcheck_set_handler(sys, df_handler, &d, NULL, NULL);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, df_worker, &d), 0);
  unsigned wrong_checks = 0, wrong_depth = 0;
  for (int round = 0; round < DF_ROUNDS; round++) {
    /* A hit after the first round: the entry cached by the last round. */
    void *e = kp_lookaside_alloc(sys, list, KP_HERE);
    uint16_t before = kp_lookaside_cached(list);
    unsigned checks = atomic_load(&d.checks);
    atomic_store(&d.entry, e);
    df_barrier(&d);
    kp_lookaside_free(sys, list, e, KP_HERE);
    df_barrier(&d);
    if (atomic_load(&d.checks) != checks + 1) wrong_checks++;
    if (kp_lookaside_cached(list) != before + 1) wrong_depth++;
    df_barrier(&d);
  }
  pthread_join(th, NULL);
  kp_bugcheck_set_handler(sys, NULL, NULL, NULL, NULL);
  assert_int_equal(wrong_checks, 0);
  assert_int_equal(wrong_depth, 0);
  assert_int_equal(atomic_load(&d.checks), DF_ROUNDS);
  assert_int_equal(atomic_load(&d.bad_checks), 0);
  /* One entry, cached once: the list is sound. */
  assert_int_equal(kp_lookaside_cached(list), 1);
  assert_int_equal(kp_lookaside_verify(sys), KP_STATUS_SUCCESS);
  kp_lookaside_delete(sys, list, KP_HERE);
  kp_tag_stats_t ts;
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
      cmocka_unit_test(test_lookaside_counters_exact),
      cmocka_unit_test(test_lookaside_concurrent_double_free),
      cmocka_unit_test(test_slist_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
