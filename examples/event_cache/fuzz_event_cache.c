/**
 * @file examples/event_cache/fuzz_event_cache.c
 * @brief libFuzzer harness for the event cache with fuzzer-driven fault
 *        injection: the fuzzer chooses the operations AND which of the
 *        component's allocations fail (kpool/fuzz.h), so it explores the
 *        failure paths as well as the inputs.
 *
 * Input: kp_fuzz_split() gives the fault plan (one bit per allocation,
 * 1 = fail) and the operations: a capacity byte, then per operation a
 * selector byte and its parameters (insert, batch insert, lookup, remove,
 * statistics, IRQL raised to DISPATCH_LEVEL around an insert). A model of
 * the cache (ids oldest first, replacement, eviction) predicts every
 * lookup; a failed insert must leave the cache unchanged. At the end the
 * cache is destroyed and kp_driver_unload() must be clean: any leak on a
 * failure path is bug check 0xC4/0x62, which aborts the input.
 *
 * Built twice by faults.cmake: fuzz_event_cache (libFuzzer, clang with
 * KPOOL_BUILD_FUZZERS=ON) and fuzz_event_cache_regress (any compiler;
 * CTest replays examples/event_cache/fuzz_corpus/ with it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/fuzz.h>
#include <kpool/kpool.h>

#include "event_cache.h"
#include "event_cache_batch.h"
#include "fuzz_helpers.h"

#define FE_MAX_CAP 8

typedef struct fe_model {
  ULONG id[FE_MAX_CAP];
  ULONG len[FE_MAX_CAP];
  ULONG kind[FE_MAX_CAP];
  ULONG count;
  ULONG cap;
} fe_model_t;

static void fe_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void fe_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  kp_bugcheck_print(bc, NULL, NULL);
  fuzz_assert_fail("no bug check (a leak, or misuse of the pool)", __FILE__, __LINE__);
}

static void fe_drop(fe_model_t *m, ULONG at) {
  for (ULONG j = at; j + 1 < m->count; j++) {
    m->id[j] = m->id[j + 1];
    m->len[j] = m->len[j + 1];
    m->kind[j] = m->kind[j + 1];
  }
  m->count--;
}

static void fe_insert(fe_model_t *m, ULONG id, ULONG kind, ULONG len) {
  for (ULONG i = 0; i < m->count; i++)
    if (m->id[i] == id) {
      fe_drop(m, i);
      break;
    }
  if (m->count == m->cap) fe_drop(m, 0);
  m->id[m->count] = id;
  m->kind[m->count] = kind;
  m->len[m->count] = len;
  m->count++;
}

static void fe_payload(ULONG id, ULONG len, UCHAR *out) {
  for (ULONG i = 0; i < len; i++) out[i] = (UCHAR)(id ^ (i * 7u));
}

static void fe_check(PEVENT_CACHE cache, const fe_model_t *m, ULONG id) {
  static UCHAR buf[EVC_MAX_DATA], want[EVC_MAX_DATA];
  ULONG length = 0, kind = 0;
  NTSTATUS st = EvcLookup(cache, id, buf, sizeof buf, &length, &kind);
  for (ULONG i = 0; i < m->count; i++) {
    if (m->id[i] != id) continue;
    FUZZ_ASSERT(st == STATUS_SUCCESS);
    FUZZ_ASSERT(length == m->len[i] && kind == m->kind[i]);
    fe_payload(id, length, want);
    FUZZ_ASSERT(memcmp(buf, want, length) == 0);
    return;
  }
  FUZZ_ASSERT(st == STATUS_NOT_FOUND);
}

static void fe_op(PEVENT_CACHE cache, fe_model_t *m, fuzz_data_t *d) {
  static UCHAR data[4][EVC_MAX_DATA];
  switch (fuzz_u8(d) % 7) {
  case 0:
  case 1: { // insert
    ULONG id = (ULONG)fuzz_range(d, 1, 12);
    ULONG len = (ULONG)fuzz_range(d, 0, fuzz_bool(d) ? EVC_MAX_DATA : 64);
    fe_payload(id, len, data[0]);
    NTSTATUS st = EvcInsert(cache, id, id % 5, data[0], len);
    FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_INSUFFICIENT_RESOURCES);
    if (st == STATUS_SUCCESS) fe_insert(m, id, id % 5, len);
    fe_check(cache, m, id);
    break;
  }
  case 2: { // batch insert: all or nothing
    EVC_EVENT ev[4];
    ULONG n = (ULONG)fuzz_range(d, 1, 4);
    for (ULONG i = 0; i < n; i++) {
      ev[i].EventId = (ULONG)fuzz_range(d, 1, 12);
      ev[i].Kind = ev[i].EventId % 5;
      ev[i].DataLength = (ULONG)fuzz_range(d, 0, 100);
      fe_payload(ev[i].EventId, ev[i].DataLength, data[i]);
      ev[i].Data = data[i];
    }
    NTSTATUS st = EvcInsertBatch(cache, ev, n);
    FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_INSUFFICIENT_RESOURCES);
    if (st == STATUS_SUCCESS)
      for (ULONG i = 0; i < n; i++) fe_insert(m, ev[i].EventId, ev[i].Kind, ev[i].DataLength);
    for (ULONG i = 0; i < n; i++) fe_check(cache, m, ev[i].EventId);
    break;
  }
  case 3: // lookup
    fe_check(cache, m, (ULONG)fuzz_range(d, 1, 12));
    break;
  case 4: { // remove
    ULONG id = (ULONG)fuzz_range(d, 1, 12);
    NTSTATUS st = EvcRemove(cache, id);
    bool present = false;
    for (ULONG i = 0; i < m->count; i++)
      if (m->id[i] == id) {
        fe_drop(m, i);
        present = true;
        break;
      }
    FUZZ_ASSERT(st == (present ? STATUS_SUCCESS : STATUS_NOT_FOUND));
    break;
  }
  case 5: { // statistics
    EVC_STATISTICS s;
    EvcQueryStatistics(cache, &s);
    FUZZ_ASSERT(s.Count == m->count && s.Capacity == m->cap);
    break;
  }
  default: { // an insert at DISPATCH_LEVEL (the routines allow it)
    ULONG id = (ULONG)fuzz_range(d, 1, 12);
    fe_payload(id, 16, data[0]);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NTSTATUS st = EvcInsert(cache, id, id % 5, data[0], 16);
    KeLowerIrql(old);
    FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_INSUFFICIENT_RESOURCES);
    if (st == STATUS_SUCCESS) fe_insert(m, id, id % 5, 16);
    fe_check(cache, m, id);
    break;
  }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = fe_quiet;
  cfg.driver_name = "evcache.sys";
  cfg.nonpaged_pool_bytes = (size_t)2 << 20;
  cfg.paged_pool_bytes = (size_t)1 << 20;
  cfg.quarantine_blocks = 8;
  // Force IRQL checking rides along: the cache must touch only non-paged
  // memory under its spin lock.
  cfg.verifier_flags |= KP_VERIFY_FORCE_IRQL;
  kp_system_t *sys = kp_system_create(&cfg);
  FUZZ_ASSERT(sys != NULL);
  kp_bugcheck_set_handler(sys, fe_bugcheck, NULL, NULL, NULL);
  kp_system_t *old = kp_system_set_current(sys);
  (void)kp_irql_set(PASSIVE_LEVEL);

  const uint8_t *plan, *rest;
  size_t plan_size, rest_size;
  kp_fuzz_split(data, size, &plan, &plan_size, &rest, &rest_size);
  FUZZ_ASSERT(kp_fuzz_faults_begin(sys, plan, plan_size) == STATUS_SUCCESS);

  fuzz_data_t d = fuzz_data_init(rest, rest_size);
  fe_model_t m;
  memset(&m, 0, sizeof m);
  m.cap = (ULONG)fuzz_range(&d, 1, FE_MAX_CAP);
  PEVENT_CACHE cache = NULL;
  NTSTATUS st = EvcCreate(m.cap, &cache);
  FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_INSUFFICIENT_RESOURCES);
  if (st == STATUS_SUCCESS) {
    int ops = 0;
    while (!fuzz_data_empty(&d) && ops++ < 256) fe_op(cache, &m, &d);
  } else {
    FUZZ_ASSERT(cache == NULL);
  }
  (void)kp_fuzz_faults_end(sys);
  EvcDestroy(cache);
  // Every failure path must have given back what it took.
  FUZZ_ASSERT(kp_driver_unload(sys) == STATUS_SUCCESS);
  FUZZ_ASSERT(kp_bugcheck_count(sys) == 0);
  kp_system_set_current(old);
  kp_system_destroy(sys);
  return 0;
}
