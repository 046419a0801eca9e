/*
 * numa.c — the simulated NUMA machine as the driver sees it (nodes,
 * processors, groups, free bytes per node) and the pressure and quota
 * state of the pools, with their text report.
 *
 * The per-node non-paged pools themselves, the budget and priority rule and
 * the quota charge live in pool_arena.c and pool.c; this file only reads
 * them.
 */
#include <stdio.h>
#include <string.h>

#include "mm/kp_mm.h"
#include "sim/kp_sim.h"
#include "kpool/pool3.h"

uint32_t kp_numa_node_count(const kp_system_t *sys) {
  return sys != NULL ? sys->cfg.numa_nodes : 0;
}

uint32_t kp_numa_processor_count(const kp_system_t *sys) {
  return sys != NULL ? sys->cfg.numa_nodes * sys->cfg.processors_per_node : 0;
}

uint32_t kp_numa_processor_node(const kp_system_t *sys, uint32_t cpu) {
  if (sys == NULL || cpu >= kp_numa_processor_count(sys)) return KP_NODE_NONE;
  return cpu / sys->cfg.processors_per_node;
}

uint32_t kp_numa_current_processor(kp_processor_number_t *number) {
  uint32_t cpu = kp_thread_processor();
  if (number != NULL) {
    number->group = (uint16_t)(cpu / KP_PROCESSORS_PER_GROUP);
    number->number = (uint8_t)(cpu % KP_PROCESSORS_PER_GROUP);
    number->reserved = 0;
  }
  return cpu;
}

/* A pool's figures, read under its lock. */
static void pool_snapshot(kp_system_t *sys, kpi_pool_t *pool, kp_pressure_t *out) {
  memset(out, 0, sizeof *out);
  kpi_pool_figures_t f;
  kpi_pool_figures(pool, &f);
  out->pool = pool->kind;
  out->node = pool->node;
  out->budget = f.budget;
  out->available = f.available;
  out->used = f.used;
  out->peak = f.peak;
  out->failures = f.failures;
  out->free_bytes = out->used < out->available ? out->available - out->used : 0;
  out->low_reserve_percent = sys->cfg.low_priority_reserve_percent;
  out->normal_reserve_percent = sys->cfg.normal_priority_reserve_percent;
  // The smallest block is a 16-byte header and one granule. The thresholds
  // are those of the allocator's priority rule (pool_arena.c): what would remain
  // free after the block, as a percentage of the available bytes.
  const uint64_t smallest = 2u * KPI_GRANULE;
  if (out->free_bytes < smallest) {
    out->level = KP_PRESSURE_EXHAUSTED;
    return;
  }
  uint64_t left = (uint64_t)out->free_bytes - smallest;
  uint64_t avail = out->available;
  if (left * 100 < avail * out->normal_reserve_percent)
    out->level = KP_PRESSURE_VERY_LOW;
  else if (left * 100 < avail * out->low_reserve_percent)
    out->level = KP_PRESSURE_LOW;
  else
    out->level = KP_PRESSURE_NONE;
}

size_t kp_numa_node_free(kp_system_t *sys, uint32_t node) {
  if (sys == NULL) return 0;
  kpi_pool_t *pool = kpi_pool_for(sys, KP_POOL_NONPAGED, node);
  if (pool == NULL) return 0;
  kp_pressure_t p;
  pool_snapshot(sys, pool, &p);
  return p.free_bytes;
}

kp_status_t kp_pool_pressure(kp_system_t *sys, kp_pool_kind_t kind,
                             uint32_t node, kp_pressure_t *out) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (kind != KP_POOL_PAGED && kind != KP_POOL_NONPAGED)
    return KP_STATUS_INVALID_PARAMETER_2;
  kpi_pool_t *pool = kpi_pool_for(sys, kind, node);
  if (pool == NULL) return KP_STATUS_INVALID_PARAMETER_3;
  if (out == NULL) return KP_STATUS_INVALID_PARAMETER_4;
  pool_snapshot(sys, pool, out);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_quota_query(kp_system_t *sys, kp_quota_t *out) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (out == NULL) return KP_STATUS_INVALID_PARAMETER_2;
  out->limit = sys->cfg.quota_limit;
  out->used = (size_t)atomic_load(&sys->quota_used);
  return KP_STATUS_SUCCESS;
}

static const char *level_name(kp_pressure_level_t level) {
  switch (level) {
  case KP_PRESSURE_NONE:
    return "normal";
  case KP_PRESSURE_LOW:
    return "low (LowPoolPriority fails)";
  case KP_PRESSURE_VERY_LOW:
    return "very low (only HighPoolPriority)";
  case KP_PRESSURE_EXHAUSTED:
    return "exhausted";
  }
  return "?";
}

static void emit(kp_system_t *sys, kp_output_fn out, void *arg,
                 const char *text) {
  if (out != NULL)
    out(text, arg);
  else
    kpi_out(sys, text);
}

void kp_report_pressure(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  char line[256];
  emit(sys, out, arg,
       "Pool     Node       Budget    Available         Used         Peak  "
       "Failures  State\n");
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kp_pressure_t p;
    pool_snapshot(sys, &sys->pools[i], &p);
    char node[16];
    if (p.pool == KP_POOL_PAGED)
      snprintf(node, sizeof node, "-");
    else
      snprintf(node, sizeof node, "%u", p.node);
    snprintf(line, sizeof line, "%-5s %7s %12zu %12zu %12zu %12zu %9llu  %s\n",
             p.pool == KP_POOL_PAGED ? "Paged" : "Nonp", node, p.budget,
             p.available, p.used, p.peak, (unsigned long long)p.failures,
             level_name(p.level));
    emit(sys, out, arg, line);
  }
  kp_quota_t q;
  (void)kp_quota_query(sys, &q);
  snprintf(line, sizeof line, "Quota: %zu of %zu bytes charged\n", q.used,
           q.limit);
  emit(sys, out, arg, line);
}
