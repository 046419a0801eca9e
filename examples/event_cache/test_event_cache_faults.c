/*
 * test_event_cache_faults.c — the event cache under kpool's low resources
 * simulation: every allocation the component makes is failed in turn, and
 * each time the component must return STATUS_INSUFFICIENT_RESOURCES, keep
 * its cache consistent and leak nothing (kp_driver_unload stays clean).
 *
 * - a systematic run in one process: the scenario is repeated until it
 *   fails no new call site (KP_VERIFY_SYSTEMATIC_LRS);
 * - the same across processes: with KPOOL_SYSTEMATIC_SITES set (by
 *   scripts/systematic.sh, which CTest runs as
 *   example_event_cache_systematic), one scenario per run with the sites
 *   kept in that file;
 * - a fail-Nth sweep over the scenario;
 * - the deliberately broken batch insert (event_cache_batch.h): the same
 *   sweep exposes its leak as bug check 0xC4/0x62, with the leak report
 *   naming the line that allocated the leaked records; without fault
 *   injection it passes every test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <kpool/cmocka.h>
#include <kpool/fuzz.h>
#include <kpool/kpool.h>

#include "event_cache.h"
#include "event_cache_batch.h"

static char evf_output[1 << 15];
static size_t evf_output_len;

static void capture(const char *text, void *arg) {
  (void)arg;
  size_t n = strlen(text);
  if (evf_output_len + n >= sizeof evf_output) n = sizeof evf_output - 1 - evf_output_len;
  memcpy(evf_output + evf_output_len, text, n);
  evf_output_len += n;
  evf_output[evf_output_len] = '\0';
}

static void unexpected_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  print_error("unexpected bug check:\n%s\n%s\n%s\n", bc->stop_line, bc->name,
              bc->explanation != NULL ? bc->explanation : "");
  fail();
}

/* A fresh current system: the component's WDK calls act on it. Special
 * pool and force IRQL checking ride along (the cache's memory is
 * non-paged, touched under its spin lock). */
static kp_system_t *make_system(uint32_t flags, uint64_t fail_nth, const char *sites) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = capture;
  cfg.driver_name = "evcache.sys";
  cfg.nonpaged_pool_bytes = (size_t)4 << 20;
  cfg.paged_pool_bytes = (size_t)1 << 20;
  cfg.verifier_flags |= flags | KP_VERIFY_SPECIAL_POOL | KP_VERIFY_FORCE_IRQL;
  cfg.fail_nth = fail_nth;
  cfg.systematic_sites_file = sites;
  kp_system_t *sys = kp_system_create(&cfg);
  assert_non_null(sys);
  kp_bugcheck_set_handler(sys, unexpected_bugcheck, NULL, NULL, NULL);
  kp_system_t *old = kp_system_set_current(sys);
  if (old != NULL) kp_system_destroy(old);
  evf_output_len = 0;
  evf_output[0] = '\0';
  return sys;
}

static void finish_clean(kp_system_t *sys) {
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  KP_ASSERT_NO_BUGCHECK(sys, status = kp_driver_unload(sys));
  assert_int_equal(status, STATUS_SUCCESS);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
}

static bool count_block(const kp_block_info_t *info, void *arg) {
  (void)info;
  (*(uint64_t *)arg)++;
  return true;
}

static uint64_t live_blocks(kp_system_t *sys) {
  uint64_t n = 0;
  kp_visit_blocks(sys, count_block, &n);
  return n;
}

static kp_verifier_counters_t counters(kp_system_t *sys) {
  kp_verifier_counters_t c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  assert_true(kp_verifier_counters_get(sys, &c));
  return c;
}

/* ---------------------------------------------------------------------------
 * The scenario, with a model of what the cache must hold whatever fails.
 * ------------------------------------------------------------------------- */
#define CAP 4

typedef struct model {
  ULONG id[CAP];
  ULONG kind[CAP];
  ULONG len[CAP];
  int count; /* oldest first */
} model_t;

static void model_insert(model_t *m, ULONG id, ULONG kind, ULONG len) {
  for (int i = 0; i < m->count; i++) {
    if (m->id[i] == id) {
      for (int j = i; j + 1 < m->count; j++) {
        m->id[j] = m->id[j + 1];
        m->kind[j] = m->kind[j + 1];
        m->len[j] = m->len[j + 1];
      }
      m->count--;
      break;
    }
  }
  if (m->count == CAP) {
    for (int j = 0; j + 1 < m->count; j++) {
      m->id[j] = m->id[j + 1];
      m->kind[j] = m->kind[j + 1];
      m->len[j] = m->len[j + 1];
    }
    m->count--;
  }
  m->id[m->count] = id;
  m->kind[m->count] = kind;
  m->len[m->count] = len;
  m->count++;
}

static void payload(ULONG id, ULONG len, UCHAR *out) {
  for (ULONG i = 0; i < len; i++) out[i] = (UCHAR)(id * 31u + i);
}

static void check_cache(PEVENT_CACHE cache, const model_t *m) {
  UCHAR buf[EVC_MAX_DATA], want[EVC_MAX_DATA];
  for (ULONG id = 1; id <= 9; id++) {
    int at = -1;
    for (int i = 0; i < m->count; i++)
      if (m->id[i] == id) at = i;
    ULONG length = 0, kind = 0;
    NTSTATUS st = EvcLookup(cache, id, buf, sizeof buf, &length, &kind);
    if (at < 0) {
      assert_int_equal(st, STATUS_NOT_FOUND);
      continue;
    }
    assert_int_equal(st, STATUS_SUCCESS);
    assert_int_equal(length, m->len[at]);
    assert_int_equal(kind, m->kind[at]);
    payload(id, length, want);
    assert_memory_equal(buf, want, length);
  }
  EVC_STATISTICS s;
  EvcQueryStatistics(cache, &s);
  assert_int_equal(s.Count, (ULONG)m->count);
}

static void insert_one(PEVENT_CACHE cache, model_t *m, ULONG id, ULONG len) {
  UCHAR data[EVC_MAX_DATA];
  payload(id, len, data);
  NTSTATUS st = EvcInsert(cache, id, id % 3, data, len);
  if (st == STATUS_INSUFFICIENT_RESOURCES) return; // the cache is unchanged
  assert_int_equal(st, STATUS_SUCCESS);
  model_insert(m, id, id % 3, len);
}

static void insert_batch(PEVENT_CACHE cache, model_t *m, bool leaky) {
  static UCHAR data[3][64];
  EVC_EVENT ev[3];
  ULONG ids[3] = {7, 8, 2};
  for (int i = 0; i < 3; i++) {
    payload(ids[i], 40u + (ULONG)i, data[i]);
    ev[i].EventId = ids[i];
    ev[i].Kind = ids[i] % 3;
    ev[i].Data = data[i];
    ev[i].DataLength = 40u + (ULONG)i;
  }
  NTSTATUS st = leaky ? EvcInsertBatchLeaky(cache, ev, 3) : EvcInsertBatch(cache, ev, 3);
  if (st == STATUS_INSUFFICIENT_RESOURCES) return; // all or nothing
  assert_int_equal(st, STATUS_SUCCESS);
  for (int i = 0; i < 3; i++) model_insert(m, ids[i], ids[i] % 3, 40u + (ULONG)i);
}

/* Create, insert with replacement and eviction, a batch, remove, destroy.
 * Returns false when the cache could not even be created. */
static bool scenario(bool leaky_batch) {
  PEVENT_CACHE cache = (PEVENT_CACHE)(uintptr_t)1;
  NTSTATUS st = EvcCreate(CAP, &cache);
  if (st == STATUS_INSUFFICIENT_RESOURCES) {
    assert_null(cache);
    return false;
  }
  assert_int_equal(st, STATUS_SUCCESS);
  model_t m;
  memset(&m, 0, sizeof m);
  const ULONG order[] = {1, 2, 3, 2, 4, 5, 6};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    insert_one(cache, &m, order[i], 10u + (ULONG)i * 50u);
    check_cache(cache, &m);
  }
  insert_batch(cache, &m, leaky_batch);
  check_cache(cache, &m);
  for (int i = 0; i < m.count; i++) {
    if (m.id[i] % 2 == 0) continue;
    assert_int_equal(EvcRemove(cache, m.id[i]), STATUS_SUCCESS);
  }
  EvcDestroy(cache);
  return true;
}

/* ---------------------------------------------------------------------------
 * Tests.
 * ------------------------------------------------------------------------- */
static void test_systematic_run_in_one_process(void **state) {
  (void)state;
  kp_system_t *sys = make_system(KP_VERIFY_SYSTEMATIC_LRS, 0, NULL);
  uint64_t before = 0;
  int runs = 0;
  for (; runs < 50; runs++) {
    (void)scenario(false);
    assert_int_equal(live_blocks(sys), 0); // every failure path cleaned up
    uint64_t now = counters(sys).faults_systematic;
    if (now == before) break;
    before = now;
  }
  assert_true(runs < 50);
  // EvcCreate, EvcInsert, the batch's array and its records: each failed
  // once, in the first run that reached it.
  assert_int_equal(before, 4);
  kp_fault_report(sys, NULL, NULL);
  assert_non_null(strstr(evf_output, "event_cache.c:"));
  assert_non_null(strstr(evf_output, "event_cache_batch.c:"));
  finish_clean(sys);
}

static void test_systematic_run_across_processes(void **state) {
  (void)state;
  // scripts/systematic.sh sets this and reruns the program until no run
  // fails a new site; without it there is nothing to do here.
  const char *sites = getenv("KPOOL_SYSTEMATIC_SITES");
  if (sites == NULL || sites[0] == '\0') skip();
  kp_system_t *sys = make_system(KP_VERIFY_SYSTEMATIC_LRS, 0, sites);
  (void)scenario(false);
  assert_int_equal(live_blocks(sys), 0);
  finish_clean(sys);
}

static void test_fail_each_allocation_in_turn(void **state) {
  (void)state;
  for (uint64_t n = 1;; n++) {
    kp_system_t *sys = make_system(0, n, NULL);
    (void)scenario(false);
    uint64_t injected = counters(sys).faults_injected;
    finish_clean(sys);
    if (injected == 0) {
      // Past the last allocation: every one of them has failed once.
      assert_true(n > 10);
      break;
    }
    assert_true(n < 1000);
  }
}

typedef struct leak_seen {
  int runs_clean;
  int runs_leaking;
  uint64_t records_leaked;
} leak_seen_t;

static void test_broken_batch_leak_exposed_by_fault_injection(void **state) {
  (void)state;
  // Without failures the broken batch insert passes.
  kp_system_t *sys = make_system(0, 0, NULL);
  assert_true(scenario(true));
  finish_clean(sys);

  // The fail-Nth sweep reaches the failure path with records in hand.
  leak_seen_t seen = {0, 0, 0};
  for (uint64_t n = 1;; n++) {
    sys = make_system(0, n, NULL);
    (void)scenario(true);
    uint64_t injected = counters(sys).faults_injected;
    uint64_t leaked = live_blocks(sys);
    if (leaked == 0) {
      finish_clean(sys);
      seen.runs_clean++;
    } else {
      // The verifier stops the unload: 0xC4/0x62, P4 = the blocks leaked,
      // and the report names the allocating line of the broken routine.
      KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x62, KP_ANY, 0, leaked,
                                (void)kp_driver_unload(sys));
      assert_non_null(strstr(evf_output, "Tag 'EvC1'"));
      assert_non_null(strstr(evf_output, "event_cache_batch.c:"));
      seen.runs_leaking++;
      seen.records_leaked += leaked;
      kp_system_set_current(NULL);
      kp_system_destroy(sys); // unload already reported
    }
    if (injected == 0) break;
  }
  // A batch of 3 leaks 1 or 2 records, depending on which record failed.
  assert_int_equal(seen.runs_leaking, 2);
  assert_int_equal(seen.records_leaked, 3);
  assert_true(seen.runs_clean > 10);
}

static void test_broken_batch_leak_exposed_by_a_fuzzer_plan(void **state) {
  (void)state;
  kp_system_t *sys = make_system(0, 0, NULL);
  PEVENT_CACHE cache = NULL;
  assert_int_equal(EvcCreate(CAP, &cache), STATUS_SUCCESS);
  // The plan a fuzzer would find: array ok, record 1 ok, record 2 fails.
  const uint8_t plan[] = {0x04};
  assert_int_equal(kp_fuzz_faults_begin(sys, plan, sizeof plan), STATUS_SUCCESS);
  static const UCHAR data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EVC_EVENT ev[2] = {{1, 0, data, 8}, {2, 0, data, 8}};
  assert_int_equal(EvcInsertBatchLeaky(cache, ev, 2), STATUS_INSUFFICIENT_RESOURCES);
  assert_int_equal(kp_fuzz_faults_end(sys), 3);
  EvcDestroy(cache);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x62, KP_ANY, 0, 1, (void)kp_driver_unload(sys));
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_systematic_run_in_one_process),
      cmocka_unit_test(test_systematic_run_across_processes),
      cmocka_unit_test(test_fail_each_allocation_in_turn),
      cmocka_unit_test(test_broken_batch_leak_exposed_by_fault_injection),
      cmocka_unit_test(test_broken_batch_leak_exposed_by_a_fuzzer_plan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
