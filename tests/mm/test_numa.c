/*
 * test_numa.c — the simulated NUMA machine: nodes and processors per node,
 * each thread on a simulated processor (KeGetCurrentProcessorNumberEx,
 * KeGetCurrentNodeNumber, processor groups), non-paged pool per node, the
 * PoolExtendedParameterNumaNode rules (preferred node, exhausted or
 * missing node, MM_ANY_NODE_OK fallback, non-paged only) and per-node
 * statistics in the tag table and the JSON report.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include <ntifs.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"
#include "kpool/pool3.h"

#define NODES 4u
#define PER_NODE 2u
#define NODE_BYTES ((size_t)1 << 20)

static int setup_numa(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.numa_nodes = NODES;
  cfg.processors_per_node = PER_NODE;
  cfg.nonpaged_pool_bytes = NODE_BYTES;
  *state = kpt_system(&cfg);
  if (*state == NULL) return -1;
  kp_system_set_current(*state);
  return 0;
}

static int teardown_numa(void **state) {
  // The simulated processor is per thread, not per system: put it back.
  (void)kp_thread_set_processor(*state, 0);
  return kpt_teardown(state);
}

static kp_pool_param_t node_param(uint32_t node, bool optional) {
  kp_pool_param_t p;
  memset(&p, 0, sizeof p);
  p.type = KP_PARAM_NUMA_NODE;
  p.optional = optional;
  p.value.preferred_node = node;
  return p;
}

static uint32_t node_of(kp_system_t *sys, const void *p) {
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_int_equal(info.pool, KP_POOL_NONPAGED);
  return info.node;
}

static void *alloc_on(kp_system_t *sys, uint32_t node, size_t size) {
  kp_pool_param_t p = node_param(node, false);
  return kp_alloc3(sys, KPT_NP, size, KPT_TAG1, &p, 1, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Nodes and processors
 * ------------------------------------------------------------------------- */

static void test_topology(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_numa_node_count(sys), NODES);
  assert_int_equal(kp_numa_processor_count(sys), NODES * PER_NODE);
  assert_int_equal(kp_numa_node_count(NULL), 0);
  assert_int_equal(kp_numa_processor_count(NULL), 0);
  for (uint32_t cpu = 0; cpu < NODES * PER_NODE; cpu++)
    assert_int_equal(kp_numa_processor_node(sys, cpu), cpu / PER_NODE);
  assert_int_equal(kp_numa_processor_node(sys, NODES * PER_NODE), KP_NODE_NONE);
  assert_int_equal(kp_numa_processor_node(NULL, 0), KP_NODE_NONE);
  assert_int_equal(KeQueryHighestNodeNumber(), NODES - 1);
  for (uint32_t n = 0; n < NODES; n++)
    assert_int_equal(kp_numa_node_free(sys, n), NODE_BYTES);
  assert_int_equal(kp_numa_node_free(sys, NODES), 0);
}

static void test_thread_processor(void **state) {
  kp_system_t *sys = *state;
  for (uint32_t cpu = 0; cpu < NODES * PER_NODE; cpu++) {
    assert_int_equal(kp_thread_set_processor(sys, cpu), KP_STATUS_SUCCESS);
    PROCESSOR_NUMBER pn;
    memset(&pn, 0xFF, sizeof pn);
    assert_int_equal(KeGetCurrentProcessorNumberEx(&pn), cpu);
    assert_int_equal(pn.Group, 0);
    assert_int_equal(pn.Number, cpu);
    assert_int_equal(pn.Reserved, 0);
    assert_int_equal(KeGetCurrentProcessorNumberEx(NULL), cpu);
    assert_int_equal(KeGetCurrentNodeNumber(), cpu / PER_NODE);
    assert_int_equal(KeGetCurrentProcessorNumber(), cpu);
    kp_processor_number_t kn;
    assert_int_equal(kp_numa_current_processor(&kn), cpu);
    assert_int_equal(kn.number, cpu);
  }
  // Out of range: refused, the thread stays where it was.
  assert_int_equal(kp_thread_set_processor(sys, NODES * PER_NODE),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(KeGetCurrentProcessorNumberEx(NULL), NODES * PER_NODE - 1);
}

static int setup_groups(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.numa_nodes = 3;
  cfg.processors_per_node = 64;
  cfg.nonpaged_pool_bytes = NODE_BYTES;
  *state = kpt_system(&cfg);
  if (*state == NULL) return -1;
  kp_system_set_current(*state);
  return 0;
}

static void test_processor_groups(void **state) {
  kp_system_t *sys = *state;
  // 192 processors: groups of 64, as on Windows.
  const uint32_t cpus[] = {0, 63, 64, 130, 191};
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(kp_thread_set_processor(sys, cpus[i]), KP_STATUS_SUCCESS);
    PROCESSOR_NUMBER pn;
    assert_int_equal(KeGetCurrentProcessorNumberEx(&pn), cpus[i]);
    assert_int_equal(pn.Group, cpus[i] / 64);
    assert_int_equal(pn.Number, cpus[i] % 64);
    assert_int_equal(KeGetCurrentNodeNumber(), cpus[i] / 64);
  }
  assert_int_equal(KeQueryHighestNodeNumber(), 2);
}

/* ---------------------------------------------------------------------------
 * Allocation per node
 * ------------------------------------------------------------------------- */

static void test_default_node_is_the_threads(void **state) {
  kp_system_t *sys = *state;
  for (uint32_t n = 0; n < NODES; n++) {
    kp_thread_set_processor(sys, n * PER_NODE + 1);
    void *a = kp_alloc2(sys, KPT_NP, 64, KPT_TAG1, KP_HERE);
    void *b = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'gaT1');
    void *c = kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, NULL, 0, KP_HERE);
    assert_int_equal(node_of(sys, a), n);
    assert_int_equal(node_of(sys, b), n);
    assert_int_equal(node_of(sys, c), n);
    assert_true(kp_numa_node_free(sys, n) < NODE_BYTES);
    kp_free(sys, a, 0, KP_HERE);
    ExFreePool(b);
    kp_free(sys, c, 0, KP_HERE);
  }
  // Paged pool has no nodes.
  kp_thread_set_processor(sys, 7);
  void *pg = kp_alloc2(sys, KPT_PG, 64, KPT_TAG1, KP_HERE);
  kp_block_info_t info;
  kp_block_query(sys, pg, &info);
  assert_int_equal(info.pool, KP_POOL_PAGED);
  assert_int_equal(info.node, 0);
  kp_free(sys, pg, 0, KP_HERE);
}

static void test_preferred_node(void **state) {
  kp_system_t *sys = *state;
  kp_thread_set_processor(sys, 0);
  for (uint32_t n = 0; n < NODES; n++) {
    void *p = alloc_on(sys, n, 100);
    assert_non_null(p);
    assert_int_equal(node_of(sys, p), n);
    kp_free2(sys, p, KPT_TAG1, NULL, 0, KP_HERE);
    kp_pool_param_t any = node_param(n | KP_NODE_ANY_OK, false);
    p = kp_alloc3(sys, KPT_NP, 100, KPT_TAG1, &any, 1, KP_HERE);
    assert_int_equal(node_of(sys, p), n);
    kp_free2(sys, p, KPT_TAG1, NULL, 0, KP_HERE);
  }
  // NON_PAGED_EXECUTE is non-paged pool too.
  kp_pool_param_t p3 = node_param(3, false);
  void *x = kp_alloc3(sys, KP_POOL_FLAG_NON_PAGED_EXECUTE, 100, KPT_TAG1, &p3, 1, KP_HERE);
  assert_int_equal(node_of(sys, x), 3);
  kp_free(sys, x, 0, KP_HERE);
}

static void test_exhausted_node(void **state) {
  kp_system_t *sys = *state;
  kp_thread_set_processor(sys, 0);
  // Node 2 is full.
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 2, 0), KP_STATUS_SUCCESS);
  assert_int_equal(kp_numa_node_free(sys, 2), 0);
  // Without MM_ANY_NODE_OK the call fails, also for High priority.
  assert_null(alloc_on(sys, 2, 64));
  kp_pool_param_t both[2] = {node_param(2, false), {0}};
  both[1].type = KP_PARAM_PRIORITY;
  both[1].value.priority = KP_PRIORITY_HIGH;
  assert_null(kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, both, 2, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc3(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   64, KPT_TAG1, both, 1, KP_HERE));
  // With it, the next node serves the block.
  kp_pool_param_t any = node_param(2 | KP_NODE_ANY_OK, false);
  void *p = kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, &any, 1, KP_HERE);
  assert_non_null(p);
  assert_int_equal(node_of(sys, p), 3);
  kp_free(sys, p, 0, KP_HERE);
  // Node 3 full too: wraps to node 0.
  kp_pool_set_available(sys, KP_POOL_NONPAGED, 3, 0);
  p = kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, &any, 1, KP_HERE);
  assert_int_equal(node_of(sys, p), 0);
  kp_free(sys, p, 0, KP_HERE);
  // Without a parameter, a thread on a full node is served by another.
  kp_thread_set_processor(sys, 2 * PER_NODE);
  p = kp_alloc2(sys, KPT_NP, 64, KPT_TAG1, KP_HERE);
  assert_non_null(p);
  assert_int_equal(node_of(sys, p), 0);
  kp_free(sys, p, 0, KP_HERE);
  // Every node full: nothing.
  for (uint32_t n = 0; n < NODES; n++) kp_pool_set_available(sys, KP_POOL_NONPAGED, n, 0);
  assert_null(kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, &any, 1, KP_HERE));
  assert_null(kp_alloc2(sys, KPT_NP, 64, KPT_TAG1, KP_HERE));
  // The failures are charged to the preferred node.
  kp_pressure_t pr;
  kp_pool_pressure(sys, KP_POOL_NONPAGED, 2, &pr);
  assert_true(pr.failures >= 4);
  for (uint32_t n = 0; n < NODES; n++)
    kp_pool_set_available(sys, KP_POOL_NONPAGED, n, SIZE_MAX);
}

static void test_missing_node(void **state) {
  kp_system_t *sys = *state;
  kp_thread_set_processor(sys, 3); // node 1
  assert_null(alloc_on(sys, NODES, 64));
  assert_null(alloc_on(sys, 1000, 64));
  kp_pool_param_t opt = node_param(NODES, true);
  assert_null(kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, &opt, 1, KP_HERE));
  // With MM_ANY_NODE_OK: the thread's node.
  kp_pool_param_t any = node_param(NODES | KP_NODE_ANY_OK, false);
  void *p = kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, &any, 1, KP_HERE);
  assert_int_equal(node_of(sys, p), 1);
  kp_free(sys, p, 0, KP_HERE);
  any.value.preferred_node = 0x7FFFFFFFu | KP_NODE_ANY_OK;
  p = kp_alloc3(sys, KPT_NP, 64, KPT_TAG1, &any, 1, KP_HERE);
  assert_int_equal(node_of(sys, p), 1);
  kp_free(sys, p, 0, KP_HERE);
}

static void test_node_needs_nonpaged(void **state) {
  kp_system_t *sys = *state;
  kp_pool_param_t p = node_param(1, false);
  assert_null(kp_alloc3(sys, KPT_PG, 64, KPT_TAG1, &p, 1, KP_HERE));
  p.optional = true;
  void *b = kp_alloc3(sys, KPT_PG, 64, KPT_TAG1, &p, 1, KP_HERE);
  assert_non_null(b);
  kp_block_info_t info;
  kp_block_query(sys, b, &info);
  assert_int_equal(info.pool, KP_POOL_PAGED);
  kp_free(sys, b, 0, KP_HERE);
}

static void test_wdk_numa_parameter(void **state) {
  kp_system_t *sys = *state;
  POOL_EXTENDED_PARAMETER e;
  memset(&e, 0, sizeof e);
  e.Type = PoolExtendedParameterNumaNode;
  e.PreferredNode = 3;
  PVOID p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 256, 'amuN', &e, 1);
  assert_int_equal(node_of(sys, p), 3);
  ExFreePool2(p, 'amuN', NULL, 0);
  e.PreferredNode = 9;
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 256, 'amuN', &e, 1));
  e.PreferredNode = 9 | MM_ANY_NODE_OK;
  p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 256, 'amuN', &e, 1);
  assert_non_null(p);
  ExFreePool2(p, 'amuN', NULL, 0);
  e.PreferredNode = 1;
  assert_null(ExAllocatePool3(POOL_FLAG_PAGED, 256, 'amuN', &e, 1));
}

/* ---------------------------------------------------------------------------
 * Per-node statistics
 * ------------------------------------------------------------------------- */

typedef struct node_counts {
  uint64_t allocs[NODES];
  uint64_t bytes[NODES];
} node_counts_t;

static bool count_tag(const kp_tag_stats_t *st, void *arg) {
  node_counts_t *nc = arg;
  if (st->tag == KPT_TAG2 && st->pool == KP_POOL_NONPAGED && st->node < NODES) {
    nc->allocs[st->node] += st->allocs;
    nc->bytes[st->node] += st->bytes;
  }
  return true;
}

static void test_per_node_statistics(void **state) {
  kp_system_t *sys = *state;
  void *held[NODES * 3];
  unsigned n = 0;
  for (uint32_t node = 0; node < NODES; node++)
    for (uint32_t k = 0; k <= node && k < 3; k++) {
      kp_pool_param_t p = node_param(node, false);
      held[n] = kp_alloc3(sys, KPT_NP, 48, KPT_TAG2, &p, 1, KP_HERE);
      assert_non_null(held[n]);
      n++;
    }
  node_counts_t nc;
  memset(&nc, 0, sizeof nc);
  kp_stats_visit_tags(sys, count_tag, &nc);
  assert_int_equal(nc.allocs[0], 1);
  assert_int_equal(nc.allocs[1], 2);
  assert_int_equal(nc.allocs[2], 3);
  assert_int_equal(nc.allocs[3], 3);
  assert_int_equal(nc.bytes[2], 3 * 64); // 48 bytes + 16-byte header each
  kpt_output_reset();
  kp_report_json(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "\"tag\":\"Tag2\""));
  assert_non_null(strstr(kpt_output, "\"node\":3"));
  kpt_output_reset();
  kp_report_pressure(sys, NULL, NULL);
  // One line per node.
  assert_non_null(strstr(kpt_output, "Nonp        3"));
  for (unsigned i = 0; i < n; i++) kp_free(sys, held[i], 0, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Threads on different processors
 * ------------------------------------------------------------------------- */

typedef struct numa_thread {
  kp_system_t *sys;
  uint32_t cpu;
  uint32_t wrong_node;
  uint32_t failed;
} numa_thread_t;

static void *numa_thread_main(void *v) {
  numa_thread_t *t = v;
  if (kp_thread_set_processor(t->sys, t->cpu) != KP_STATUS_SUCCESS) t->failed++;
  for (int i = 0; i < 200; i++) {
    void *p = kp_alloc2(t->sys, KPT_NP, 32 + (size_t)i, KPT_TAG1, kp_site(NULL, 0, NULL));
    if (p == NULL) {
      t->failed++;
      continue;
    }
    kp_block_info_t info;
    if (!kp_block_query(t->sys, p, &info) || info.node != t->cpu / PER_NODE)
      t->wrong_node++;
    if (KeGetCurrentNodeNumber() != t->cpu / PER_NODE) t->wrong_node++;
    kp_free(t->sys, p, KPT_TAG1, kp_site(NULL, 0, NULL));
  }
  return NULL;
}

static void test_threads_on_nodes(void **state) {
  kp_system_t *sys = *state;
  pthread_t th[NODES * PER_NODE];
  numa_thread_t args[NODES * PER_NODE];
  for (uint32_t i = 0; i < NODES * PER_NODE; i++) {
    args[i].sys = sys;
    args[i].cpu = i;
    args[i].wrong_node = 0;
    args[i].failed = 0;
    assert_int_equal(pthread_create(&th[i], NULL, numa_thread_main, &args[i]), 0);
  }
  for (uint32_t i = 0; i < NODES * PER_NODE; i++) pthread_join(th[i], NULL);
  for (uint32_t i = 0; i < NODES * PER_NODE; i++) {
    assert_int_equal(args[i].failed, 0);
    assert_int_equal(args[i].wrong_node, 0);
  }
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.pool[KP_POOL_NONPAGED].allocs, NODES * PER_NODE * 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_topology, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_thread_processor, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_processor_groups, setup_groups, teardown_numa),
      cmocka_unit_test_setup_teardown(test_default_node_is_the_threads, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_preferred_node, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_exhausted_node, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_missing_node, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_node_needs_nonpaged, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_wdk_numa_parameter, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_per_node_statistics, setup_numa, teardown_numa),
      cmocka_unit_test_setup_teardown(test_threads_on_nodes, setup_numa, teardown_numa),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
