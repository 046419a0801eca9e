/*
 * test_event_cache.c — CMocka tests of the event cache on kpool.
 *
 * The component under test (event_cache.c) uses WDK names only. The tests
 * use WDK names too, plus what a test cannot do without: a fresh simulated
 * system per test (kp_system_*), memory pressure to reach the failure path
 * (kp_pool_set_available), the pool counters (kp_stats_tag) and the bug
 * check assertions of <kpool/cmocka.h>. Two tests show bugs kpool catches:
 * a free with the wrong tag (BAD_POOL_CALLER 0xC2/0x0A) and records leaked
 * at driver unload (0xC4/0x62).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <ntifs.h> /* ExQueryPoolBlockSize */

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

#include "event_cache.h"

/* ---------------------------------------------------------------------------
 * Fixture: a fresh current system per test; teardown requires a clean
 * driver unload (nothing leaked, no bug check).
 * ------------------------------------------------------------------------- */

static void quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

/* A bug check no assertion expects fails the test with its report (the
 * default handler would abort the whole executable). */
static void unexpected_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  print_error("unexpected bug check:\n%s\n%s\n%s\n", bc->stop_line, bc->name,
              bc->explanation != NULL ? bc->explanation : "");
  fail();
}

static int setup(void **state) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  cfg.driver_name = "evcache.sys";
  cfg.nonpaged_pool_bytes = (size_t)4 << 20;
  cfg.paged_pool_bytes = (size_t)1 << 20;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) return -1;
  kp_bugcheck_set_handler(sys, unexpected_bugcheck, NULL, NULL, NULL);
  kp_system_t *old = kp_system_set_current(sys);
  if (old != NULL) kp_system_destroy(old);
  *state = sys;
  return 0;
}

static int teardown(void **state) {
  kp_system_t *sys = *state;
  (void)kp_irql_set(PASSIVE_LEVEL);
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  KP_ASSERT_NO_BUGCHECK(sys, status = kp_driver_unload(sys));
  assert_int_equal(status, STATUS_SUCCESS);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
  return 0;
}

/* Block bytes kpool counts for a record with @p length payload bytes: the
 * request rounded up to 16 plus the 16-byte header (kpool/stats.h). */
static uint64_t record_block_bytes(ULONG length) {
  SIZE_T size = FIELD_OFFSET(EVC_RECORD, Data) + (SIZE_T)length;
  return 16 + ((size + 15) & ~(SIZE_T)15);
}

static kp_tag_stats_t record_pool_stats(void **state) {
  kp_tag_stats_t st;
  (void)kp_stats_tag((kp_system_t *)*state, EVC_RECORD_TAG, KP_POOL_NONPAGED, &st);
  return st;
}

static PEVENT_CACHE make_cache(ULONG capacity) {
  PEVENT_CACHE cache = NULL;
  assert_int_equal(EvcCreate(capacity, &cache), STATUS_SUCCESS);
  assert_non_null(cache);
  return cache;
}

static void insert_text(PEVENT_CACHE cache, ULONG id, const char *text) {
  assert_int_equal(EvcInsert(cache, id, id % 4, text, (ULONG)strlen(text)),
                   STATUS_SUCCESS);
}

static BOOLEAN cached(PEVENT_CACHE cache, ULONG id) {
  ULONG length = 0;
  NTSTATUS status = EvcLookup(cache, id, NULL, 0, &length, NULL);
  assert_true(status == STATUS_NOT_FOUND || status == STATUS_BUFFER_TOO_SMALL ||
              status == STATUS_SUCCESS);
  return status != STATUS_NOT_FOUND;
}

static EVC_STATISTICS stats_of(PEVENT_CACHE cache) {
  EVC_STATISTICS st;
  memset(&st, 0xEE, sizeof st);
  EvcQueryStatistics(cache, &st);
  return st;
}

/* ---------------------------------------------------------------------------
 * Creation.
 * ------------------------------------------------------------------------- */
static void test_create_rejects_bad_arguments(void **state) {
  (void)state;
  PEVENT_CACHE cache = (PEVENT_CACHE)(uintptr_t)1;
  assert_int_equal(EvcCreate(0, &cache), STATUS_INVALID_PARAMETER);
  assert_null(cache);
  cache = (PEVENT_CACHE)(uintptr_t)1;
  assert_int_equal(EvcCreate(EVC_MAX_CAPACITY + 1, &cache), STATUS_INVALID_PARAMETER);
  assert_null(cache);
  assert_int_equal(EvcCreate(4, NULL), STATUS_INVALID_PARAMETER);
  EvcDestroy(NULL);
  cache = make_cache(EVC_MAX_CAPACITY);
  EvcDestroy(cache);
}

static void test_create_fails_cleanly_without_pool(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, 0), STATUS_SUCCESS);
  PEVENT_CACHE cache = (PEVENT_CACHE)(uintptr_t)1;
  assert_int_equal(EvcCreate(8, &cache), STATUS_INSUFFICIENT_RESOURCES);
  assert_null(cache);
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, SIZE_MAX),
                   STATUS_SUCCESS);
  cache = make_cache(8);
  EvcDestroy(cache);
}

/* ---------------------------------------------------------------------------
 * Insert and lookup.
 * ------------------------------------------------------------------------- */
static void test_insert_then_lookup_copies_out(void **state) {
  (void)state;
  PEVENT_CACHE cache = make_cache(4);
  static const char payload[] = "disk 3: retry";
  assert_int_equal(EvcInsert(cache, 7, 3, payload, sizeof payload), STATUS_SUCCESS);

  char buffer[64];
  memset(buffer, 'x', sizeof buffer);
  ULONG length = 0, kind = 0;
  assert_int_equal(EvcLookup(cache, 7, buffer, sizeof buffer, &length, &kind),
                   STATUS_SUCCESS);
  assert_int_equal(length, sizeof payload);
  assert_int_equal(kind, 3);
  assert_memory_equal(buffer, payload, sizeof payload);
  assert_int_equal(buffer[sizeof payload], 'x'); // nothing past the payload

  // Too small: nothing copied, the needed length reported.
  memset(buffer, 'x', sizeof buffer);
  assert_int_equal(EvcLookup(cache, 7, buffer, 4, &length, NULL),
                   STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(length, sizeof payload);
  assert_int_equal(buffer[0], 'x');
  // A size query with no buffer.
  assert_int_equal(EvcLookup(cache, 7, NULL, 0, &length, NULL), STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(length, sizeof payload);
  assert_int_equal(EvcLookup(cache, 8, buffer, sizeof buffer, &length, &kind),
                   STATUS_NOT_FOUND);
  assert_int_equal(length, 0);

  // An event with no payload.
  assert_int_equal(EvcInsert(cache, 9, 1, NULL, 0), STATUS_SUCCESS);
  assert_int_equal(EvcLookup(cache, 9, NULL, 0, &length, &kind), STATUS_SUCCESS);
  assert_int_equal(length, 0);
  assert_int_equal(kind, 1);
  EvcDestroy(cache);
}

static void test_insert_rejects_bad_arguments(void **state) {
  PEVENT_CACHE cache = make_cache(4);
  static UCHAR big[EVC_MAX_DATA + 1];
  assert_int_equal(EvcInsert(NULL, 1, 0, big, 4), STATUS_INVALID_PARAMETER);
  assert_int_equal(EvcInsert(cache, 1, 0, big, EVC_MAX_DATA + 1), STATUS_INVALID_PARAMETER);
  assert_int_equal(EvcInsert(cache, 1, 0, NULL, 4), STATUS_INVALID_PARAMETER);
  assert_int_equal(EvcLookup(NULL, 1, NULL, 0, NULL, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(EvcLookup(cache, 1, NULL, 4, NULL, NULL), STATUS_INVALID_PARAMETER);
  assert_int_equal(EvcRemove(NULL, 1), STATUS_INVALID_PARAMETER);
  // Rejected before any allocation: the record tag was never used.
  kp_tag_stats_t st;
  assert_false(kp_stats_tag((kp_system_t *)*state, EVC_RECORD_TAG, KP_POOL_NONPAGED, &st));
  // The largest payload is accepted.
  assert_int_equal(EvcInsert(cache, 1, 0, big, EVC_MAX_DATA), STATUS_SUCCESS);
  assert_int_equal(stats_of(cache).Count, 1);
  EvcDestroy(cache);
}

/* ---------------------------------------------------------------------------
 * Capacity, replacement, removal.
 * ------------------------------------------------------------------------- */
static void test_full_cache_evicts_the_oldest(void **state) {
  PEVENT_CACHE cache = make_cache(3);
  for (ULONG id = 1; id <= 5; id++) insert_text(cache, id, "event");
  assert_false(cached(cache, 1));
  assert_false(cached(cache, 2));
  assert_true(cached(cache, 3));
  assert_true(cached(cache, 4));
  assert_true(cached(cache, 5));
  EVC_STATISTICS st = stats_of(cache);
  assert_int_equal(st.Count, 3);
  assert_int_equal(st.Capacity, 3);
  assert_int_equal(st.Inserted, 5);
  assert_int_equal(st.Evicted, 2);
  assert_int_equal(st.Replaced, 0);
  assert_int_equal(st.AllocationFailures, 0);

  // The pool agrees: five records allocated, the two evicted ones freed.
  kp_tag_stats_t pool = record_pool_stats(state);
  assert_int_equal(pool.allocs, 5);
  assert_int_equal(pool.frees, 2);
  assert_int_equal(pool.bytes, 3 * record_block_bytes(5));

  // Oldest first: the list is in insertion order.
  PEVC_RECORD first = CONTAINING_RECORD(cache->Records.Flink, EVC_RECORD, Link);
  PEVC_RECORD last = CONTAINING_RECORD(cache->Records.Blink, EVC_RECORD, Link);
  assert_int_equal(first->EventId, 3);
  assert_int_equal(last->EventId, 5);
  assert_true(first->Sequence < last->Sequence);
  EvcDestroy(cache);
}

static void test_same_id_replaces_without_evicting(void **state) {
  (void)state;
  PEVENT_CACHE cache = make_cache(2);
  insert_text(cache, 1, "first");
  insert_text(cache, 2, "second");
  insert_text(cache, 1, "first, updated");
  char buffer[32];
  ULONG length = 0;
  assert_int_equal(EvcLookup(cache, 1, buffer, sizeof buffer, &length, NULL),
                   STATUS_SUCCESS);
  assert_int_equal(length, strlen("first, updated"));
  assert_memory_equal(buffer, "first, updated", length);
  assert_true(cached(cache, 2));
  EVC_STATISTICS st = stats_of(cache);
  assert_int_equal(st.Count, 2);
  assert_int_equal(st.Replaced, 1);
  assert_int_equal(st.Evicted, 0);
  // Replaced, so now the newest: the next insert evicts 2, not 1.
  insert_text(cache, 3, "third");
  assert_false(cached(cache, 2));
  assert_true(cached(cache, 1));
  EvcDestroy(cache);
}

static void test_remove(void **state) {
  PEVENT_CACHE cache = make_cache(4);
  insert_text(cache, 1, "a");
  insert_text(cache, 2, "b");
  assert_int_equal(EvcRemove(cache, 1), STATUS_SUCCESS);
  assert_int_equal(EvcRemove(cache, 1), STATUS_NOT_FOUND);
  assert_false(cached(cache, 1));
  assert_true(cached(cache, 2));
  assert_int_equal(stats_of(cache).Count, 1);
  assert_int_equal(record_pool_stats(state).frees, 1);
  EvcDestroy(cache);
}

/* ---------------------------------------------------------------------------
 * The failure path.
 * ------------------------------------------------------------------------- */
static void test_allocation_failure_leaves_cache_intact(void **state) {
  kp_system_t *sys = *state;
  PEVENT_CACHE cache = make_cache(2);
  insert_text(cache, 1, "one");
  insert_text(cache, 2, "two");

  // No non-paged pool left beyond what is in use.
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0,
                                         (size_t)st.pool[KP_POOL_NONPAGED].bytes),
                   STATUS_SUCCESS);
  assert_int_equal(EvcInsert(cache, 3, 0, "three", 5), STATUS_INSUFFICIENT_RESOURCES);
  // Full cache, failed insert: nothing was evicted for it.
  assert_true(cached(cache, 1));
  assert_true(cached(cache, 2));
  assert_false(cached(cache, 3));
  EVC_STATISTICS cs = stats_of(cache);
  assert_int_equal(cs.Count, 2);
  assert_int_equal(cs.Evicted, 0);
  assert_int_equal(cs.Inserted, 2);
  assert_int_equal(cs.AllocationFailures, 1);
  assert_int_equal(record_pool_stats(state).failures, 1);
  // A replacement that cannot be allocated keeps the old record.
  assert_int_equal(EvcInsert(cache, 1, 0, "uno", 3), STATUS_INSUFFICIENT_RESOURCES);
  char buffer[8];
  ULONG length = 0;
  assert_int_equal(EvcLookup(cache, 1, buffer, sizeof buffer, &length, NULL),
                   STATUS_SUCCESS);
  assert_memory_equal(buffer, "one", 3);

  // Pressure gone: the insert works and evicts the oldest.
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, SIZE_MAX),
                   STATUS_SUCCESS);
  insert_text(cache, 3, "three");
  assert_false(cached(cache, 1));
  assert_true(cached(cache, 3));
  EvcDestroy(cache);
}

/* ---------------------------------------------------------------------------
 * IRQL and concurrency.
 * ------------------------------------------------------------------------- */
static void test_usable_at_dispatch_level(void **state) {
  (void)state;
  PEVENT_CACHE cache = make_cache(4);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  // Non-paged records and a spin lock: all legal at DISPATCH_LEVEL, and
  // kpool checks every pool call's IRQL.
  insert_text(cache, 1, "from a DPC");
  assert_true(cached(cache, 1));
  assert_int_equal(EvcRemove(cache, 1), STATUS_SUCCESS);
  insert_text(cache, 2, "again");
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
  EvcDestroy(cache);
}

#define THREAD_EVENTS 2000u
#define SHARED_CAPACITY 64u

typedef struct worker {
  PEVENT_CACHE cache;
  ULONG first_id;
  ULONG insert_failures;
  ULONG bad_lookups;
} worker_t;

static void *worker_main(void *arg) {
  worker_t *w = arg;
  UCHAR payload[48];
  for (ULONG i = 0; i < THREAD_EVENTS; i++) {
    ULONG id = w->first_id + i;
    memset(payload, (int)(id & 0xFF), sizeof payload);
    if (!NT_SUCCESS(EvcInsert(w->cache, id, 0, payload, 16 + i % 32)))
      w->insert_failures++;
    UCHAR copy[48];
    ULONG length = 0;
    NTSTATUS status = EvcLookup(w->cache, id - i % 8, copy, sizeof copy, &length, NULL);
    // Another thread may have evicted it; if found, the copy is whole.
    if (status == STATUS_SUCCESS) {
      for (ULONG k = 0; k < length; k++)
        if (copy[k] != (UCHAR)((id - i % 8) & 0xFF)) w->bad_lookups++;
    } else if (status != STATUS_NOT_FOUND) {
      w->bad_lookups++;
    }
  }
  return NULL;
}

static void test_two_threads_share_the_cache(void **state) {
  PEVENT_CACHE cache = make_cache(SHARED_CAPACITY);
  worker_t w[2];
  pthread_t t[2];
  for (int i = 0; i < 2; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].cache = cache;
    w[i].first_id = 1 + (ULONG)i * 100000u;
  }
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(t[i], NULL), 0);

  for (int i = 0; i < 2; i++) {
    assert_int_equal(w[i].insert_failures, 0);
    assert_int_equal(w[i].bad_lookups, 0);
  }
  EVC_STATISTICS st = stats_of(cache);
  assert_int_equal(st.Count, SHARED_CAPACITY);
  assert_int_equal(st.Inserted, 2 * THREAD_EVENTS);
  assert_int_equal(st.Evicted, 2 * THREAD_EVENTS - SHARED_CAPACITY);
  kp_tag_stats_t pool = record_pool_stats(state);
  assert_int_equal(pool.allocs, 2 * THREAD_EVENTS);
  assert_int_equal(pool.frees, 2 * THREAD_EVENTS - SHARED_CAPACITY);
  EvcDestroy(cache);
}

/* ---------------------------------------------------------------------------
 * Teardown, and two bugs kpool catches.
 * ------------------------------------------------------------------------- */
static void test_destroy_frees_everything(void **state) {
  kp_system_t *sys = *state;
  PEVENT_CACHE cache = make_cache(16);
  for (ULONG id = 1; id <= 10; id++) insert_text(cache, id, "payload");
  EvcDestroy(cache);
  kp_tag_stats_t rec = record_pool_stats(state);
  assert_int_equal(rec.allocs, 10);
  assert_int_equal(rec.frees, 10);
  assert_int_equal(rec.bytes, 0);
  kp_tag_stats_t obj;
  assert_true(kp_stats_tag(sys, EVC_CACHE_TAG, KP_POOL_NONPAGED, &obj));
  assert_int_equal(obj.allocs, 1);
  assert_int_equal(obj.frees, 1);
  assert_int_equal(obj.bytes, 0);
}

static void test_wrong_tag_free_is_caught(void **state) {
  kp_system_t *sys = *state;
  PEVENT_CACHE cache = make_cache(4);
  insert_text(cache, 1, "oldest");
  insert_text(cache, 2, "newer");
  // Read before the assertion (its setjmp): not changed by the statement.
  PEVC_RECORD volatile oldest =
      CONTAINING_RECORD(cache->Records.Flink, EVC_RECORD, Link);

  // BAD_POOL_CALLER, P1 0x0A: P2 the block, P3 its tag, P4 the tag passed.
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, 0x0A, (uint64_t)(uintptr_t)oldest,
                            EVC_RECORD_TAG, EVC_CACHE_TAG,
                            EvcDropOldestWithWrongTag(cache));

  // The bug check stopped the free: the record is still allocated (and no
  // longer cached). Free it as the correct code would.
  assert_int_equal(stats_of(cache).Count, 1);
  assert_false(cached(cache, 1));
  assert_true(ExQueryPoolBlockSize(oldest, NULL) != 0);
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePoolWithTag(oldest, EVC_RECORD_TAG));
  EvcDestroy(cache);
}

static void test_leaked_cache_is_caught_at_unload(void **state) {
  kp_system_t *sys = *state;
  PEVENT_CACHE volatile cache = make_cache(4);
  insert_text(cache, 1, "a");
  insert_text(cache, 2, "b");
  // The driver forgot EvcDestroy in its unload routine: Driver Verifier's
  // pool tracking reports 0xC4, P1 0x62, P4 = 3 allocations (the cache
  // object and two records).
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x62, KP_ANY, 0, 3, kp_driver_unload(sys));
  EvcDestroy(cache); // the teardown's unload check is clean again
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_rejects_bad_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_fails_cleanly_without_pool, setup, teardown),
      cmocka_unit_test_setup_teardown(test_insert_then_lookup_copies_out, setup, teardown),
      cmocka_unit_test_setup_teardown(test_insert_rejects_bad_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_cache_evicts_the_oldest, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_id_replaces_without_evicting, setup, teardown),
      cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_allocation_failure_leaves_cache_intact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_usable_at_dispatch_level, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_threads_share_the_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_destroy_frees_everything, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_tag_free_is_caught, setup, teardown),
      cmocka_unit_test_setup_teardown(test_leaked_cache_is_caught_at_unload, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
