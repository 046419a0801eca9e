/**
 * @file kpool/monitor.h
 * @brief What a person opens after a long run: the reason of each failed
 *        allocation, a trace in the Chrome Trace Event Format (Perfetto UI,
 *        chrome://tracing) and a self-contained HTML report.
 *
 * Nothing here exists on Windows. Windows fails an allocation by rule
 * (bad flags, tag 0, a non-zero Reserved field in an extended parameter)
 * silently; kpool keeps the reason of each thread's last failure
 * (kp_last_failure), counts failures by reason (kp_fail_counts, and the
 * Driver Verifier report) and, with kp_config_t::print_failures, prints each.
 *
 * The monitor samples the pool counters and the lookaside lists over time
 * and records events (allocation failures, injected or real; bug checks
 * with their reports; driver load and unload; marks a test sets). It costs
 * nothing until started: kp_monitor_start(), or kp_config_t::trace_path /
 * html_report_path, which start it at kp_system_create() and write the
 * files at kp_driver_unload() (before its first bug check is raised, so the
 * default handler's abort still leaves them behind) and, if unload never
 * ran, at kp_system_destroy().
 *
 * When samples are taken: at kp_monitor_start(), once per simulated second
 * of the virtual clock (kp_clock_advance, real-time mode), at each event,
 * at kp_monitor_sample(), and when a trace or report is written. Sizes are
 * bounded: when the sample table is full every other sample is dropped
 * (the run's whole span stays visible at half the resolution), events past
 * the limit are counted, not kept.
 *
 * Thread safety: every function is thread-safe.
 */
#ifndef KPOOL_MONITOR_H
#define KPOOL_MONITOR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Why an allocation failed.
 * ------------------------------------------------------------------------- */

/** The kind of reason an allocation failed for. */
typedef enum kp_fail_kind {
  KP_FAIL_NONE = 0,
  KP_FAIL_RULE,       /**< refused by rule: invalid flags, tag 0, a bad extended parameter */
  KP_FAIL_INJECTED,   /**< Driver Verifier's low resources simulation (any mode) */
  KP_FAIL_PRESSURE,   /**< the pool's budget or the priority reserve */
  KP_FAIL_QUOTA,      /**< the process quota */
  KP_FAIL_NODE,       /**< the required NUMA node cannot serve it */
  KP_FAIL_KIND_COUNT_
} kp_fail_kind_t;

/** The last failed allocation of a thread. */
typedef struct kp_fail_info {
  kp_fail_kind_t kind;   /**< KP_FAIL_NONE when this thread had none */
  kp_status_t status;    /**< what the caller saw raised (NULL returns carry
                              STATUS_INSUFFICIENT_RESOURCES) */
  kp_tag_t tag;
  size_t size;
  kp_site_t site;        /**< the caller's site */
  const char *api;       /**< "ExAllocatePool3" */
  char reason[192];      /**< in words, e.g. "extended parameter 0 (type 2):
                              the Reserved bits are not zero" */
} kp_fail_info_t;

/**
 * The calling thread's last failed allocation (on any system). Returns
 * false, and sets @p out->kind to KP_FAIL_NONE, when it has none. @p out
 * may be NULL to ask only whether there was one.
 */
KP_API bool kp_last_failure(kp_fail_info_t *out);

/** Forgets the calling thread's last failure. */
KP_API void kp_last_failure_clear(void);

/** The name of a kind: "rule", "injected", "pressure", "quota", "node". */
KP_API const char *kp_fail_kind_name(kp_fail_kind_t kind);

/** Failures of @p sys by kind since it was created, into @p counts
 *  (KP_FAIL_KIND_COUNT_ entries; [KP_FAIL_NONE] counts failures with no
 *  known reason). */
KP_API void kp_fail_counts(kp_system_t *sys,
                           uint64_t counts[KP_FAIL_KIND_COUNT_]);

/* ---------------------------------------------------------------------------
 * The monitor: samples and events.
 * ------------------------------------------------------------------------- */

/** Sizes of what the monitor keeps. Fill with kp_monitor_options_init. */
typedef struct kp_monitor_options {
  size_t size;           /**< sizeof(kp_monitor_options_t) */
  uint32_t max_samples;  /**< samples kept, 16..65536 (=512) */
  uint32_t max_events;   /**< events kept, 16..1048576 (=4096) */
  uint32_t max_series;   /**< tag x pool series charted, 1..256 (=24); the
                              rest are summed as "(other)" */
  uint32_t max_lists;    /**< lookaside lists charted, 1..256 (=24) */
  uint32_t max_reports;  /**< bug check report texts kept, 0..1024 (=64) */
} kp_monitor_options_t;

/** Fills @p opt with the defaults documented on each field. */
KP_API void kp_monitor_options_init(kp_monitor_options_t *opt);

/**
 * Starts the monitor on @p sys (@p opt NULL: the defaults) and takes the
 * first sample.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 for a NULL system;
 *         STATUS_INVALID_PARAMETER_2 for options out of range or of the
 *         wrong size; STATUS_UNSUCCESSFUL when it already runs on @p sys;
 *         STATUS_INSUFFICIENT_RESOURCES when the host is out of memory.
 */
KP_API kp_status_t kp_monitor_start(kp_system_t *sys,
                                    const kp_monitor_options_t *opt);

/** True when the monitor runs on @p sys. */
KP_API bool kp_monitor_active(kp_system_t *sys);

/** Takes a sample now (no effect when the monitor is not running). */
KP_API void kp_monitor_sample(kp_system_t *sys);

/** Records an instant event named @p name (copied; up to 63 bytes) in the
 *  trace and the report, e.g. "phase 2". No effect when not running. */
KP_API void kp_monitor_mark(kp_system_t *sys, const char *name);

/** What the monitor holds (for tests and tools). */
typedef struct kp_monitor_counts_s {
  uint32_t samples;        /**< samples kept now */
  uint64_t samples_taken;  /**< samples taken since the start */
  uint32_t events;         /**< events kept */
  uint64_t events_dropped; /**< events past max_events */
  uint32_t series;         /**< tag x pool series charted */
  uint32_t lists;          /**< lookaside lists charted */
  uint32_t bugchecks;      /**< bug check events kept */
  uint32_t failures;       /**< allocation failure events kept */
} kp_monitor_counts_t;

/** Fills @p out; returns false (and zeroes it) when not running. */
KP_API bool kp_monitor_counts(kp_system_t *sys, kp_monitor_counts_t *out);

/* ---------------------------------------------------------------------------
 * Writers.
 * ------------------------------------------------------------------------- */

/**
 * Writes the trace as one JSON object in the Chrome Trace Event Format:
 * {"traceEvents":[...],"displayTimeUnit":"ms","otherData":{...}}.
 * Timestamps ("ts", microseconds) are virtual time; each event also
 * carries the host time ("args":{"host_us":..}) in microseconds since
 * the monitor started. Counters ("ph":"C"): "pool bytes" (paged /
 * nonpaged), "tag <Tag> bytes" per tag x pool, "lookaside <Tag>@<addr>"
 * (depth, cached, hit %). Instant events ("ph":"i"): allocation failures
 * ("alloc failed <Tag>": reason, injected or not), bug checks ("bugcheck
 * 0x..": name, parameters), driver load and unload, marks. A sample is
 * taken first.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 for a NULL system;
 *         STATUS_UNSUCCESSFUL when the monitor does not run on @p sys.
 *         @p out NULL means the system's output function.
 */
KP_API kp_status_t kp_trace_write(kp_system_t *sys, kp_output_fn out,
                                  void *arg);

/** kp_trace_write into the file @p path (created or truncated).
 *  STATUS_INVALID_PARAMETER_2 for a NULL path, STATUS_ACCESS_DENIED when
 *  the file cannot be written. */
KP_API kp_status_t kp_trace_write_file(kp_system_t *sys, const char *path);

/**
 * Writes one self-contained HTML page (no network, no external script or
 * style; charts are inline SVG): the PoolMon table, pool and per-tag
 * bytes over time, each lookaside list's depth over time and hit rate,
 * allocation failures by reason, the outstanding allocations by tag and
 * site, and every bug check with its report. A sample is taken first.
 * Each chart is an <svg class="kp-chart"> with a data-series count; a small
 * inline script checks, once the page is loaded, that every chart has a
 * drawn line and writes the result into <div id="kp-check">.
 * Return values as kp_trace_write.
 */
KP_API kp_status_t kp_html_report(kp_system_t *sys, kp_output_fn out,
                                  void *arg);

/** kp_html_report into the file @p path. Statuses as kp_trace_write_file. */
KP_API kp_status_t kp_html_report_file(kp_system_t *sys, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_MONITOR_H */
