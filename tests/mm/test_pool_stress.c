/*
 * test_pool_stress.c — the pool's per-processor heaps under threads: several
 * threads allocate, hand blocks to each other and free each other's blocks
 * while another thread reads the counters; every count must come out exact,
 * every cross-thread check must still fire. Built for ThreadSanitizer too
 * (the TSan step runs it): no data race may be reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"

#define STRESS_THREADS 4
#define STRESS_OPS 20000
#define STRESS_SLOTS 64 /* blocks in flight between threads */

/* A mailbox of blocks handed from one thread to another. */
typedef struct stress_box {
  pthread_mutex_t lock;
  void *slot[STRESS_SLOTS];
  kp_tag_t tag[STRESS_SLOTS];
} stress_box_t;

typedef struct stress {
  kp_system_t *sys;
  stress_box_t box;
  atomic_int stop;
  atomic_ulong allocs;
  atomic_ulong failures;
} stress_t;

typedef struct worker {
  stress_t *s;
  unsigned id;
} worker_t;

static uint32_t stress_rand(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static const kp_tag_t stress_tags[4] = {KP_TAG('S', 't', 'r', '0'), KP_TAG('S', 't', 'r', '1'),
                                        KP_TAG('S', 't', 'r', '2'), KP_TAG('S', 't', 'r', '3')};

/* Allocates; swaps the new block into a random mailbox slot and frees what
 * was there (most likely another thread's block), with its tag checked. */
static void *stress_worker(void *arg) {
  worker_t *w = arg;
  stress_t *s = w->s;
  uint32_t x = 0x9E3779B9u * (w->id + 1);
  for (int i = 0; i < STRESS_OPS; i++) {
    uint32_t r = stress_rand(&x);
    kp_tag_t tag = stress_tags[r % 4];
    size_t size = 1 + (r >> 8) % 600;
    if ((r & 0xFF) == 7) size = 4096 + (r >> 20) % 5000; // sometimes a page run
    kp_pool_flags_t flags = (r & 0x100) ? KP_POOL_FLAG_PAGED : KP_POOL_FLAG_NON_PAGED;
    void *p = kp_alloc2(s->sys, flags, size, tag, KP_HERE);
    if (p == NULL) {
      atomic_fetch_add(&s->failures, 1);
      continue;
    }
    atomic_fetch_add(&s->allocs, 1);
    ((volatile uint8_t *)p)[size - 1] = (uint8_t)i; // the driver uses it
    unsigned k = (r >> 12) % STRESS_SLOTS;
    pthread_mutex_lock(&s->box.lock);
    void *old = s->box.slot[k];
    kp_tag_t old_tag = s->box.tag[k];
    s->box.slot[k] = p;
    s->box.tag[k] = tag;
    pthread_mutex_unlock(&s->box.lock);
    if (old != NULL) kp_free(s->sys, old, old_tag, KP_HERE);
  }
  return NULL;
}

/* Reads every counter while the workers run. */
static void *stress_reader(void *arg) {
  stress_t *s = arg;
  while (!atomic_load(&s->stop)) {
    kp_stats_t st = KP_STATS_INIT;
    assert_true(kp_stats_get(s->sys, &st));
    assert_true(st.pool[KP_POOL_NONPAGED].frees <= st.pool[KP_POOL_NONPAGED].allocs);
    kp_tag_stats_t t;
    (void)kp_stats_tag(s->sys, stress_tags[1], KP_POOL_PAGED, &t);
    assert_true(t.frees <= t.allocs);
    kp_pressure_t pr;
    assert_int_equal(kp_pool_pressure(s->sys, KP_POOL_NONPAGED, 0, &pr), KP_STATUS_SUCCESS);
    assert_true(pr.used <= pr.available);
  }
  return NULL;
}

static void test_threads_free_each_others_blocks(void **state) {
  kp_system_t *sys = *state;
  static stress_t s;
  memset(&s, 0, sizeof s);
  s.sys = sys;
  pthread_mutex_init(&s.box.lock, NULL);
  worker_t w[STRESS_THREADS];
  pthread_t th[STRESS_THREADS], reader;
  assert_int_equal(pthread_create(&reader, NULL, stress_reader, &s), 0);
  for (unsigned i = 0; i < STRESS_THREADS; i++) {
    w[i].s = &s;
    w[i].id = i;
    assert_int_equal(pthread_create(&th[i], NULL, stress_worker, &w[i]), 0);
  }
  for (unsigned i = 0; i < STRESS_THREADS; i++) pthread_join(th[i], NULL);
  atomic_store(&s.stop, 1);
  pthread_join(reader, NULL);
  // Every block still in a mailbox is freed here, by yet another thread.
  unsigned long in_box = 0;
  for (unsigned k = 0; k < STRESS_SLOTS; k++)
    if (s.box.slot[k] != NULL) {
      kp_free(sys, s.box.slot[k], s.box.tag[k], KP_HERE);
      in_box++;
    }
  assert_true(in_box > 0);
  assert_int_equal(atomic_load(&s.failures), 0);
  // Exact totals: every allocation counted once, every free once.
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  uint64_t allocs = st.pool[KP_POOL_PAGED].allocs + st.pool[KP_POOL_NONPAGED].allocs;
  uint64_t frees = st.pool[KP_POOL_PAGED].frees + st.pool[KP_POOL_NONPAGED].frees;
  assert_int_equal(allocs, atomic_load(&s.allocs));
  assert_int_equal(frees, allocs);
  assert_int_equal(st.pool[KP_POOL_PAGED].live_blocks + st.pool[KP_POOL_NONPAGED].live_blocks, 0);
  assert_int_equal(st.pool[KP_POOL_PAGED].bytes + st.pool[KP_POOL_NONPAGED].bytes, 0);
  uint64_t tag_allocs = 0;
  for (unsigned i = 0; i < 4; i++)
    for (int k = 0; k < 2; k++) {
      kp_tag_stats_t t;
      if (!kp_stats_tag(sys, stress_tags[i], (kp_pool_kind_t)k, &t)) continue;
      assert_int_equal(t.allocs, t.frees);
      assert_int_equal(t.bytes, 0);
      tag_allocs += t.allocs;
    }
  assert_int_equal(tag_allocs, allocs);
  kp_pressure_t pr;
  assert_int_equal(kp_pool_pressure(sys, KP_POOL_NONPAGED, 0, &pr), KP_STATUS_SUCCESS);
  assert_int_equal(pr.used, 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
  pthread_mutex_destroy(&s.box.lock);
}

/* Cross-thread checks: a block allocated on one thread and freed on a
 * second is a double free when a third frees it again; a wrong tag from
 * another thread is still a tag mismatch. */
typedef struct hand {
  kp_system_t *sys;
  void *p;
  kp_tag_t tag;
} hand_t;

static void *hand_alloc(void *arg) {
  hand_t *h = arg;
  h->p = kp_alloc2(h->sys, KP_POOL_FLAG_NON_PAGED, 48, KPT_TAG1, KP_HERE);
  return NULL;
}

static void *hand_free(void *arg) {
  hand_t *h = arg;
  kp_free(h->sys, h->p, h->tag, KP_HERE);
  return NULL;
}

static void run_thread(void *(*fn)(void *), hand_t *h) {
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, fn, h), 0);
  pthread_join(t, NULL);
}

static void test_cross_thread_checks(void **state) {
  kp_system_t *sys = *state;
  hand_t h = {sys, NULL, KPT_TAG1};
  run_thread(hand_alloc, &h);
  assert_non_null(h.p);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, h.p, &info));
  assert_int_not_equal(info.thread, kp_thread_id());
  // Wrong tag, from this thread: BAD_POOL_CALLER 0x0A.
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A, kp_free(sys, h.p, KPT_TAG2, KP_HERE));
  // Freed on a second thread...
  run_thread(hand_free, &h);
  // ...and again here: a double free (verifier: 0xC4/0x13), with the
  // second thread's free recorded.
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x13, kp_free(sys, h.p, KPT_TAG1, KP_HERE));
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.pool[KP_POOL_NONPAGED].allocs, 1);
  assert_int_equal(st.pool[KP_POOL_NONPAGED].frees, 1);
  assert_int_equal(st.pool[KP_POOL_NONPAGED].bytes, 0);
}

/* A leak of a block allocated on another thread is still reported (with
 * its site) at unload. */
static void test_leak_from_other_thread(void **state) {
  kp_system_t *sys = *state;
  hand_t h = {sys, NULL, KPT_TAG1};
  run_thread(hand_alloc, &h);
  assert_non_null(h.p);
  kpt_output_reset();
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_non_null(strstr(kpt_output, "test_pool_stress.c"));
  kp_free(sys, h.p, KPT_TAG1, KP_HERE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_threads_free_each_others_blocks, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_cross_thread_checks, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_leak_from_other_thread, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
