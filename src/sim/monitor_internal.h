/*
 * monitor_internal.h — the monitor's state, shared by monitor.c (samples,
 * events, the trace) and html.c (the HTML report).
 */
#ifndef KPOOL_SRC_SIM_MONITOR_INTERNAL_H
#define KPOOL_SRC_SIM_MONITOR_INTERNAL_H

#include "sim/kp_sim.h"

typedef struct mon_sample {
  uint64_t vclock_ms;
  uint64_t host_us;
  uint64_t pool_bytes[KP_POOL_KIND_COUNT_];
} mon_sample_t;

typedef struct mon_series {
  kp_tag_t tag;
  kp_pool_kind_t pool;
  uint64_t last;   /* bytes at the last sample */
  uint64_t peak;
} mon_series_t;

typedef struct mon_list {
  const void *list;
  kp_tag_t tag;
  uint32_t size;
  uint64_t first_sample;   /* samples_taken when first seen */
  bool gone;               /* deleted since */
  kp_lookaside_info_t last;
} mon_list_t;

typedef struct mon_event {
  kpi_event_kind_t kind;
  uint64_t vclock_ms;
  uint64_t host_us;
  uint32_t code;           /* bug check code */
  uint64_t params[4];
  kp_tag_t tag;            /* failure */
  size_t size;
  kp_status_t status;
  kp_fail_kind_t fail_kind;
  uint32_t thread;
  char name[64];           /* bug check name, driver name or mark */
  char *text;              /* bug check report or failure reason (malloc) */
} mon_event_t;

typedef struct kpi_monitor {
  kpi_mutex_t lock;
  kpi_mutex_t sample_lock; /* one sample at a time; taken before `lock` */
  kp_monitor_options_t opt;
  uint64_t host_origin_us;

  mon_sample_t *samples;   /* [max_samples] */
  uint64_t *series_bytes;  /* [max_samples][max_series + 1]; last = other */
  uint16_t *list_depth;    /* [max_samples][max_lists] */
  uint16_t *list_cached;
  float *list_hit;         /* allocate hit rate, percent; < 0 = absent */
  uint32_t nsamples;
  uint64_t samples_taken;

  mon_series_t *series;    /* [max_series] */
  uint32_t nseries;
  mon_list_t *lists;       /* [max_lists] */
  uint32_t nlists;

  mon_event_t *events;     /* [max_events] */
  uint32_t nevents;
  uint64_t events_dropped;
  uint32_t reports_kept;   /* bug check texts kept */

  /* Unload findings recorded when collected: their later raise is the
   * same bug check and is not recorded again. */
  uint32_t pending_codes[8];
  uint64_t pending_params[8][4];
  uint32_t npending;

  char *trace_path;        /* kp_config_t::trace_path, copied */
  char *html_path;         /* kp_config_t::html_report_path, copied */
} kpi_monitor_t;

/* The monitor of @sys, or NULL when it is not running. */
kpi_monitor_t *kpi_monitor_of(kp_system_t *sys);
/* Takes a sample; the monitor's lock must NOT be held. */
void kpi_monitor_take_sample(kp_system_t *sys, kpi_monitor_t *m);

/* JSON / HTML string escaping into a writer. */
void kpi_json_string(const kpi_writer_t *w, const char *s);
void kpi_html_text(const kpi_writer_t *w, const char *s);

/* The HTML report (html.c): gathers the pools' figures, then writes the
 * page under the monitor's lock (which must not be held by the caller). */
kp_status_t kpi_html_report(kp_system_t *sys, kpi_monitor_t *m,
                            const kpi_writer_t *w);

/* Called by kp_driver_unload (system.c) once the findings are collected:
 * remembers them so that their raise is not recorded twice, records the
 * unload, and writes the configured trace and HTML files. */
void kpi_monitor_unload(kp_system_t *sys, uint32_t count,
                        const uint32_t *codes, const uint64_t (*params)[4]);
/* Called by kp_system_create after the modules exist: starts the monitor
 * when the configuration names a trace or report file. False: creation
 * must fail (out of memory). */
bool kpi_monitor_attach(kp_system_t *sys);
/* Called by kp_system_destroy before the modules go: writes the files when
 * kp_driver_unload never did. */
void kpi_monitor_before_destroy(kp_system_t *sys);

#endif /* KPOOL_SRC_SIM_MONITOR_INTERNAL_H */
