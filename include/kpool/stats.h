/**
 * @file kpool/stats.h
 * @brief Statistics and reports: per tag x pool x node counters (the
 *        kernel's pool tracker table), totals, a PoolMon-style table, a
 *        JSON export and the leak report.
 *
 * Bytes are counted as Windows counts them: whole pool blocks, that is the
 * request rounded up to 16 bytes plus the 16-byte header below a page, and
 * whole pages from a page up. All functions are thread-safe; the figures
 * are a consistent snapshot per pool. Peaks (peak_bytes) are exact when one
 * thread allocates; with several they are the sum of each thread cache's
 * peak, an upper bound of the true peak.
 */
#ifndef KPOOL_STATS_H
#define KPOOL_STATS_H

#include "common.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Counters of one tag in one pool (and node, for non-paged pool). */
typedef struct kp_tag_stats {
  kp_tag_t tag;
  kp_pool_kind_t pool;
  uint32_t node;
  uint64_t allocs;      /**< successful allocations since the system started */
  uint64_t frees;
  uint64_t bytes;       /**< block bytes outstanding */
  uint64_t peak_bytes;  /**< highest value of @c bytes */
  uint64_t failures;    /**< failed allocation attempts with this tag */
} kp_tag_stats_t;

/**
 * Calls @p fn for each tag x pool x node with any activity, ordered by
 * pool, node, then tag value, until @p fn returns false. @p fn must not
 * call into the pool.
 */
typedef bool (*kp_tag_visitor_fn)(const kp_tag_stats_t *st, void *arg);
KP_API void kp_stats_visit_tags(kp_system_t *sys, kp_tag_visitor_fn fn,
                                void *arg);

/**
 * The counters of @p tag in @p pool, summed over all nodes. Returns false
 * (and zeroes @p out) when the tag was never used there.
 */
KP_API bool kp_stats_tag(kp_system_t *sys, kp_tag_t tag, kp_pool_kind_t pool,
                         kp_tag_stats_t *out);

#define KP_STATS_VERSION 1u

/** Totals of one pool kind (all nodes for non-paged). */
typedef struct kp_pool_totals {
  uint64_t allocs;
  uint64_t frees;
  uint64_t failures;
  uint64_t live_blocks;
  uint64_t bytes;        /**< block bytes outstanding */
  uint64_t peak_bytes;
  uint64_t budget;       /**< configured bytes */
  uint64_t quarantined_blocks;
  uint64_t pages_in_use; /**< 4 KiB pages the arena has carved */
} kp_pool_totals_t;

/** System-wide statistics. Initialise with KP_STATS_INIT. */
typedef struct kp_stats {
  size_t size;       /**< sizeof(kp_stats_t) */
  uint32_t version;  /**< KP_STATS_VERSION */
  kp_pool_totals_t pool[KP_POOL_KIND_COUNT_];
  uint64_t untagged_allocs;  /**< ExAllocatePool / ExAllocatePoolWithQuota calls served (no tag: "None") */
  uint64_t bugchecks;        /**< bug checks raised */
  uint64_t clock_ms;         /**< virtual time */
} kp_stats_t;

#ifdef __cplusplus
#define KP_STATS_INIT {sizeof(kp_stats_t), KP_STATS_VERSION, {}, 0, 0, 0}
#else
#define KP_STATS_INIT {sizeof(kp_stats_t), KP_STATS_VERSION, {{0}}, 0, 0, 0}
#endif

/** Fills @p st. Returns false when st->size or st->version do not match
 *  this library (ABI mismatch); @p st is untouched then. */
KP_API bool kp_stats_get(kp_system_t *sys, kp_stats_t *st);

/**
 * Prints a PoolMon-style table, one line per tag x pool, sorted by bytes
 * outstanding (largest first):
 *
 *     Tag  Type     Allocs      Frees       Diff      Bytes  Per Alloc
 *     Tag1 Nonp          3          1          2        160         80
 *
 * then a TOTAL line. @p out NULL means the system's output function.
 */
KP_API void kp_report_poolmon(kp_system_t *sys, kp_output_fn out, void *arg);

/**
 * The whole text report: the PoolMon table (kp_report_poolmon), the
 * pressure and quota state of every pool (kp_report_pressure), then what
 * the optional modules hold: secure pools, lookaside lists, Driver Verifier
 * counters (special pool, faults injected). @p out NULL means the system's
 * output function.
 */
KP_API void kp_report(kp_system_t *sys, kp_output_fn out, void *arg);

/**
 * Writes the same figures as one JSON object:
 * {"clock_ms":..,"pools":[{"pool":"nonpaged","node":0,"budget":..,...}],
 *  "tags":[{"tag":"Tag1","tag_value":826433876,"pool":"nonpaged","node":0,
 *  "allocs":3,"frees":1,"diff":2,"bytes":160,"peak_bytes":160,
 *  "failures":0}],"untagged_allocs":0,
 *  "quota":{"limit":..,"used":..},
 *  "secure":{"pools":..,"allocations":..,"bytes":..,"failed_validations":..,
 *  "bad_handles":..,"write_faults":..},"bugchecks":0}
 * Each pool object also carries "pressure": "none", "low", "very_low" or
 * "exhausted" (see kp_pool_pressure). Tag text is JSON-escaped.
 */
KP_API void kp_report_json(kp_system_t *sys, kp_output_fn out, void *arg);

/**
 * Writes the outstanding allocations, grouped by tag, then by allocation
 * site (file:line, thread, sizes), to @p out (NULL: the system's output).
 * Returns the number of outstanding allocations. Raises nothing.
 */
KP_API uint64_t kp_report_leaks(kp_system_t *sys, kp_output_fn out, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_STATS_H */
