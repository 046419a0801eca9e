/*
 * monitor.c — samples of the pool counters and lookaside lists over time,
 * events (allocation failures, bug checks, driver load and unload, marks),
 * and the trace in the Chrome Trace Event Format (kpool/monitor.h).
 *
 * The monitor is a module of the system (kpi_system_add_module): its tick
 * takes a sample once per simulated second, and the system's event hook
 * brings it the events of the layers below without their calling sim/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/monitor_internal.h"
#include "sim/kp_sim.h"

/* ---------------------------------------------------------------------------
 * Options.
 * ------------------------------------------------------------------------- */
void kp_monitor_options_init(kp_monitor_options_t *opt) {
  if (opt == NULL) return;
  memset(opt, 0, sizeof *opt);
  opt->size = sizeof *opt;
  opt->max_samples = 512;
  opt->max_events = 4096;
  opt->max_series = 24;
  opt->max_lists = 24;
  opt->max_reports = 64;
}

static bool options_valid(const kp_monitor_options_t *o) {
  return o->size == sizeof *o && o->max_samples >= 16 &&
         o->max_samples <= 65536 && o->max_events >= 16 &&
         o->max_events <= 1048576 && o->max_series >= 1 &&
         o->max_series <= 256 && o->max_lists >= 1 && o->max_lists <= 256 &&
         o->max_reports <= 1024;
}

/* ---------------------------------------------------------------------------
 * Lifetime.
 * ------------------------------------------------------------------------- */
static void monitor_free(kpi_monitor_t *m) {
  if (m == NULL) return;
  for (uint32_t i = 0; i < m->nevents; i++) free(m->events[i].text);
  free(m->samples);
  free(m->series_bytes);
  free(m->list_depth);
  free(m->list_cached);
  free(m->list_hit);
  free(m->series);
  free(m->lists);
  free(m->events);
  free(m->trace_path);
  free(m->html_path);
  kpi_mutex_destroy(&m->lock);
  kpi_mutex_destroy(&m->sample_lock);
  free(m);
}

static void monitor_tick(kp_system_t *sys, void *state) {
  kpi_monitor_take_sample(sys, state);
}

static void monitor_destroy(kp_system_t *sys, void *state) {
  // The hook goes first: nothing may record into freed memory.
  atomic_store(&sys->event_hook, NULL);
  sys->event_state = NULL;
  monitor_free(state);
}

static const kpi_module_ops_t monitor_ops = {
    .name = "monitor",
    .tick = monitor_tick,
    .destroy = monitor_destroy,
};

kpi_monitor_t *kpi_monitor_of(kp_system_t *sys) {
  if (sys == NULL || atomic_load(&sys->event_hook) == NULL) return NULL;
  return kpi_system_module(sys, &monitor_ops);
}

static void monitor_event(kp_system_t *sys, const kpi_event_t *ev);

static char *copy_string(const char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

kp_status_t kp_monitor_start(kp_system_t *sys, const kp_monitor_options_t *opt) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  kp_monitor_options_t o;
  kp_monitor_options_init(&o);
  if (opt != NULL) {
    if (opt->size != sizeof o || !options_valid(opt))
      return KP_STATUS_INVALID_PARAMETER_2;
    o = *opt;
  }
  if (kpi_system_module(sys, &monitor_ops) != NULL) return KP_STATUS_UNSUCCESSFUL;
  kpi_monitor_t *m = calloc(1, sizeof *m);
  if (m == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_mutex_init(&m->lock);
  kpi_mutex_init(&m->sample_lock);
  m->opt = o;
  m->host_origin_us = kpi_os_monotonic_us();
  size_t ns = o.max_samples;
  m->samples = calloc(ns, sizeof *m->samples);
  m->series_bytes = calloc(ns * (o.max_series + 1u), sizeof *m->series_bytes);
  m->list_depth = calloc(ns * o.max_lists, sizeof *m->list_depth);
  m->list_cached = calloc(ns * o.max_lists, sizeof *m->list_cached);
  m->list_hit = calloc(ns * o.max_lists, sizeof *m->list_hit);
  m->series = calloc(o.max_series, sizeof *m->series);
  m->lists = calloc(o.max_lists, sizeof *m->lists);
  m->events = calloc(o.max_events, sizeof *m->events);
  if (m->samples == NULL || m->series_bytes == NULL || m->list_depth == NULL ||
      m->list_cached == NULL || m->list_hit == NULL || m->series == NULL ||
      m->lists == NULL || m->events == NULL) {
    monitor_free(m);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  m->trace_path = copy_string(sys->cfg.trace_path);
  m->html_path = copy_string(sys->cfg.html_report_path);
  if (!kpi_system_add_module(sys, &monitor_ops, m)) {
    // Full table, or another thread started one meanwhile.
    bool raced = kpi_system_module(sys, &monitor_ops) != NULL;
    monitor_free(m);
    return raced ? KP_STATUS_UNSUCCESSFUL : KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  sys->event_state = m;
  atomic_store_explicit(&sys->event_hook, monitor_event, memory_order_release);
  kpi_monitor_take_sample(sys, m);
  return KP_STATUS_SUCCESS;
}

bool kp_monitor_active(kp_system_t *sys) { return kpi_monitor_of(sys) != NULL; }

bool kpi_monitor_attach(kp_system_t *sys) {
  if (sys->cfg.trace_path == NULL && sys->cfg.html_report_path == NULL)
    return true;
  return KP_SUCCESS(kp_monitor_start(sys, NULL));
}

/* ---------------------------------------------------------------------------
 * Samples.
 * ------------------------------------------------------------------------- */

/* Halves the samples kept: every other one goes, the span stays. */
static void compact(kpi_monitor_t *m) {
  uint32_t cols = m->opt.max_series + 1u;
  uint32_t lists = m->opt.max_lists;
  uint32_t keep = 0;
  for (uint32_t i = 0; i < m->nsamples; i += 2, keep++) {
    m->samples[keep] = m->samples[i];
    memmove(&m->series_bytes[(size_t)keep * cols],
            &m->series_bytes[(size_t)i * cols], cols * sizeof *m->series_bytes);
    memmove(&m->list_depth[(size_t)keep * lists],
            &m->list_depth[(size_t)i * lists], lists * sizeof *m->list_depth);
    memmove(&m->list_cached[(size_t)keep * lists],
            &m->list_cached[(size_t)i * lists], lists * sizeof *m->list_cached);
    memmove(&m->list_hit[(size_t)keep * lists], &m->list_hit[(size_t)i * lists],
            lists * sizeof *m->list_hit);
  }
  m->nsamples = keep;
}

/* What the visitors collect, outside the monitor's lock. */
typedef struct gathered {
  kp_tag_stats_t *tags;
  size_t ntags, cap_tags;
  kp_lookaside_info_t *lists;
  size_t nlists, cap_lists;
} gathered_t;

static bool gather_tag(const kp_tag_stats_t *st, void *arg) {
  gathered_t *g = arg;
  if (g->ntags == g->cap_tags) {
    size_t cap = g->cap_tags ? g->cap_tags * 2 : 32;
    kp_tag_stats_t *t = realloc(g->tags, cap * sizeof *t);
    if (t == NULL) return false;
    g->tags = t;
    g->cap_tags = cap;
  }
  g->tags[g->ntags++] = *st;
  return true;
}

static bool gather_list(const kp_lookaside_info_t *info, void *arg) {
  gathered_t *g = arg;
  if (g->nlists == g->cap_lists) {
    size_t cap = g->cap_lists ? g->cap_lists * 2 : 8;
    kp_lookaside_info_t *t = realloc(g->lists, cap * sizeof *t);
    if (t == NULL) return false;
    g->lists = t;
    g->cap_lists = cap;
  }
  g->lists[g->nlists++] = *info;
  return true;
}

/* Row @i gets the bytes of @st (monitor's lock held). */
static void sample_tag(kpi_monitor_t *m, uint64_t *row, const kp_tag_stats_t *st) {
  uint32_t k = 0;
  while (k < m->nseries && !(m->series[k].tag == st->tag && m->series[k].pool == st->pool))
    k++;
  if (k == m->nseries) {
    // A tag with nothing outstanding and never charted is not worth a line.
    if (st->bytes == 0 && st->peak_bytes == 0) return;
    if (m->nseries == m->opt.max_series) {
      row[m->opt.max_series] += st->bytes;
      return;
    }
    m->series[k].tag = st->tag;
    m->series[k].pool = st->pool;
    m->nseries++;
  }
  row[k] += st->bytes;  // nodes of one pool add up
}

static void sample_list(kpi_monitor_t *m, uint32_t i, const kp_lookaside_info_t *info) {
  uint32_t k = 0;
  // The same storage reused for a list of another tag or size is a new list.
  while (k < m->nlists &&
         !(m->lists[k].list == info->list && m->lists[k].tag == info->tag &&
           m->lists[k].size == info->size))
    k++;
  if (k == m->nlists) {
    if (m->nlists == m->opt.max_lists) return;
    m->lists[k].list = info->list;
    m->lists[k].tag = info->tag;
    m->lists[k].size = info->size;
    m->lists[k].first_sample = m->samples_taken;
    m->nlists++;
  }
  m->lists[k].last = *info;
  m->lists[k].gone = false;
  size_t at = (size_t)i * m->opt.max_lists + k;
  m->list_depth[at] = info->depth;
  m->list_cached[at] = info->current_depth;
  m->list_hit[at] = (float)info->allocate_hit_rate;
}

void kpi_monitor_take_sample(kp_system_t *sys, kpi_monitor_t *m) {
  // One sampler at a time. The figures are gathered first, outside the
  // monitor's lock: the visitors take the pools' and the registry's locks.
  kpi_mutex_lock(&m->sample_lock);
  kp_stats_t st = KP_STATS_INIT;
  (void)kp_stats_get(sys, &st);
  gathered_t g;
  memset(&g, 0, sizeof g);
  kp_stats_visit_tags(sys, gather_tag, &g);
  (void)kp_lookaside_visit(sys, gather_list, &g);
  kpi_mutex_lock(&m->lock);
  if (m->nsamples == m->opt.max_samples) compact(m);
  uint32_t i = m->nsamples;
  mon_sample_t *s = &m->samples[i];
  s->vclock_ms = kp_clock_now(sys);
  s->host_us = kpi_os_monotonic_us() - m->host_origin_us;
  for (unsigned p = 0; p < KP_POOL_KIND_COUNT_; p++) s->pool_bytes[p] = st.pool[p].bytes;
  uint64_t *row = &m->series_bytes[(size_t)i * (m->opt.max_series + 1u)];
  memset(row, 0, (m->opt.max_series + 1u) * sizeof *row);
  for (uint32_t k = 0; k < m->opt.max_lists; k++)
    m->list_hit[(size_t)i * m->opt.max_lists + k] = -1.0f;
  for (uint32_t k = 0; k < m->nlists; k++) m->lists[k].gone = true;
  for (size_t k = 0; k < g.ntags; k++) sample_tag(m, row, &g.tags[k]);
  for (size_t k = 0; k < g.nlists; k++) sample_list(m, i, &g.lists[k]);
  for (uint32_t k = 0; k < m->nseries; k++) {
    m->series[k].last = row[k];
    if (row[k] > m->series[k].peak) m->series[k].peak = row[k];
  }
  m->nsamples = i + 1;
  m->samples_taken++;
  kpi_mutex_unlock(&m->lock);
  kpi_mutex_unlock(&m->sample_lock);
  free(g.tags);
  free(g.lists);
}

void kp_monitor_sample(kp_system_t *sys) {
  kpi_monitor_t *m = kpi_monitor_of(sys);
  if (m != NULL) kpi_monitor_take_sample(sys, m);
}

bool kp_monitor_counts(kp_system_t *sys, kp_monitor_counts_t *out) {
  if (out == NULL) return false;
  memset(out, 0, sizeof *out);
  kpi_monitor_t *m = kpi_monitor_of(sys);
  if (m == NULL) return false;
  kpi_mutex_lock(&m->lock);
  out->samples = m->nsamples;
  out->samples_taken = m->samples_taken;
  out->events = m->nevents;
  out->events_dropped = m->events_dropped;
  out->series = m->nseries;
  out->lists = m->nlists;
  for (uint32_t i = 0; i < m->nevents; i++) {
    if (m->events[i].kind == KPI_EVENT_BUGCHECK) out->bugchecks++;
    if (m->events[i].kind == KPI_EVENT_ALLOC_FAILED) out->failures++;
  }
  kpi_mutex_unlock(&m->lock);
  return true;
}

/* ---------------------------------------------------------------------------
 * Events.
 * ------------------------------------------------------------------------- */

/* A slot for a new event (the lock held), or NULL when full. */
static mon_event_t *event_slot(kp_system_t *sys, kpi_monitor_t *m,
                               kpi_event_kind_t kind) {
  if (m->nevents == m->opt.max_events) {
    m->events_dropped++;
    return NULL;
  }
  mon_event_t *e = &m->events[m->nevents++];
  memset(e, 0, sizeof *e);
  e->kind = kind;
  e->vclock_ms = kp_clock_now(sys);
  e->host_us = kpi_os_monotonic_us() - m->host_origin_us;
  e->thread = kp_thread_id();
  return e;
}

/* True when @bc is an unload finding already recorded (then forgotten). */
static bool pending_finding(kpi_monitor_t *m, const kp_bugcheck_t *bc) {
  for (uint32_t i = 0; i < m->npending; i++) {
    if (m->pending_codes[i] == bc->code &&
        memcmp(m->pending_params[i], bc->params, sizeof bc->params) == 0) {
      m->npending--;
      m->pending_codes[i] = m->pending_codes[m->npending];
      memcpy(m->pending_params[i], m->pending_params[m->npending],
             sizeof m->pending_params[i]);
      return true;
    }
  }
  return false;
}

static char *report_text(const kp_bugcheck_t *bc) {
  size_t a = strlen(bc->stop_line), b = strlen(bc->name),
         c = bc->explanation != NULL ? strlen(bc->explanation) : 0;
  char *t = malloc(a + b + c + 3);
  if (t == NULL) return NULL;
  memcpy(t, bc->stop_line, a);
  t[a] = '\n';
  memcpy(t + a + 1, bc->name, b);
  t[a + 1 + b] = '\n';
  if (c != 0) memcpy(t + a + b + 2, bc->explanation, c);
  t[a + b + 2 + c] = '\0';
  return t;
}

static void monitor_event(kp_system_t *sys, const kpi_event_t *ev) {
  kpi_monitor_t *m = sys->event_state;
  if (m == NULL) return;
  kpi_mutex_lock(&m->lock);
  if (ev->kind == KPI_EVENT_BUGCHECK && pending_finding(m, ev->bugcheck)) {
    kpi_mutex_unlock(&m->lock);
    return;
  }
  mon_event_t *e = event_slot(sys, m, ev->kind);
  if (e != NULL) {
    switch (ev->kind) {
    case KPI_EVENT_BUGCHECK:
      e->code = ev->bugcheck->code;
      memcpy(e->params, ev->bugcheck->params, sizeof e->params);
      snprintf(e->name, sizeof e->name, "%s", ev->bugcheck->name);
      if (m->reports_kept < m->opt.max_reports) {
        e->text = report_text(ev->bugcheck);
        if (e->text != NULL) m->reports_kept++;
      }
      break;
    case KPI_EVENT_ALLOC_FAILED:
      e->tag = ev->fail->tag;
      e->size = ev->fail->size;
      e->status = ev->status;
      e->fail_kind = ev->fail->kind;
      snprintf(e->name, sizeof e->name, "%s", ev->fail->api);
      e->text = copy_string(ev->fail->reason);
      break;
    case KPI_EVENT_DRIVER_LOAD:
    case KPI_EVENT_DRIVER_UNLOAD:
    case KPI_EVENT_MARK:
      e->status = ev->status;
      snprintf(e->name, sizeof e->name, "%s", ev->name != NULL ? ev->name : "");
      break;
    }
  }
  kpi_mutex_unlock(&m->lock);
}

void kp_monitor_mark(kp_system_t *sys, const char *name) {
  if (kpi_monitor_of(sys) == NULL) return;
  kpi_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = KPI_EVENT_MARK;
  ev.name = name != NULL ? name : "";
  kpi_event(sys, &ev);
}

/* ---------------------------------------------------------------------------
 * Unload and destroy: record, then write the configured files.
 * ------------------------------------------------------------------------- */
static void write_files(kp_system_t *sys, kpi_monitor_t *m) {
  if (m->trace_path != NULL && !KP_SUCCESS(kp_trace_write_file(sys, m->trace_path)))
    kp_printf(sys, "kpool: cannot write the trace to %s\n", m->trace_path);
  if (m->html_path != NULL &&
      !KP_SUCCESS(kp_html_report_file(sys, m->html_path)))
    kp_printf(sys, "kpool: cannot write the HTML report to %s\n", m->html_path);
  else if (m->html_path != NULL)
    kp_printf(sys, "kpool: HTML report written to %s\n", m->html_path);
}

void kpi_monitor_unload(kp_system_t *sys, uint32_t count, const uint32_t *codes,
                        const uint64_t (*params)[4]) {
  kpi_monitor_t *m = kpi_monitor_of(sys);
  if (m == NULL) return;
  kpi_mutex_lock(&m->lock);
  m->npending = 0;
  for (uint32_t i = 0; i < count && i < 8; i++) {
    m->pending_codes[i] = codes[i];
    memcpy(m->pending_params[i], params[i], sizeof m->pending_params[i]);
    m->npending++;
  }
  kpi_mutex_unlock(&m->lock);
  kpi_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = KPI_EVENT_DRIVER_UNLOAD;
  ev.name = sys->cfg.driver_name != NULL ? sys->cfg.driver_name : "driver";
  ev.status = count == 0 ? KP_STATUS_SUCCESS : KP_STATUS_UNSUCCESSFUL;
  kpi_event(sys, &ev);
  write_files(sys, m);
}

void kpi_monitor_before_destroy(kp_system_t *sys) {
  kpi_monitor_t *m = kpi_monitor_of(sys);
  if (m != NULL && !sys->unload_checked) write_files(sys, m);
}

/* ---------------------------------------------------------------------------
 * Writers' helpers.
 * ------------------------------------------------------------------------- */
static void put(const kpi_writer_t *w, const char *s) {
  if (w->out != NULL)
    w->out(s, w->arg);
  else
    kpi_out(w->sys, s);
}

void kpi_json_string(const kpi_writer_t *w, const char *s) {
  char buf[256];
  size_t n = 0;
  buf[n++] = '"';
  for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p;
       p++) {
    if (n > sizeof buf - 8) {
      buf[n] = '\0';
      put(w, buf);
      n = 0;
    }
    unsigned c = *p;
    if (c == '"' || c == '\\') {
      buf[n++] = '\\';
      buf[n++] = (char)c;
    } else if (c == '\n') {
      buf[n++] = '\\';
      buf[n++] = 'n';
    } else if (c < 0x20 || c == 0x7F) {
      n += (size_t)snprintf(buf + n, sizeof buf - n, "\\u%04x", c);
    } else {
      buf[n++] = (char)c;  // UTF-8 passes through
    }
  }
  buf[n++] = '"';
  buf[n] = '\0';
  put(w, buf);
}

void kpi_html_text(const kpi_writer_t *w, const char *s) {
  char buf[256];
  size_t n = 0;
  for (const char *p = s != NULL ? s : ""; *p; p++) {
    if (n > sizeof buf - 8) {
      buf[n] = '\0';
      put(w, buf);
      n = 0;
    }
    const char *esc = NULL;
    switch (*p) {
    case '<': esc = "&lt;"; break;
    case '>': esc = "&gt;"; break;
    case '&': esc = "&amp;"; break;
    case '"': esc = "&quot;"; break;
    default: break;
    }
    if (esc != NULL) {
      size_t k = strlen(esc);
      memcpy(buf + n, esc, k);
      n += k;
    } else {
      buf[n++] = *p;
    }
  }
  buf[n] = '\0';
  put(w, buf);
}

/* A file writer: kp_output_fn over a FILE. */
typedef struct file_out {
  FILE *f;
  bool failed;
} file_out_t;

static void file_write(const char *text, void *arg) {
  file_out_t *fo = arg;
  if (fputs(text, fo->f) < 0) fo->failed = true;
}

typedef kp_status_t (*writer_fn)(kp_system_t *sys, kp_output_fn out, void *arg);

static kp_status_t write_to_file(kp_system_t *sys, const char *path,
                                 writer_fn fn) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (path == NULL) return KP_STATUS_INVALID_PARAMETER_2;
  if (kpi_monitor_of(sys) == NULL) return KP_STATUS_UNSUCCESSFUL;
  file_out_t fo = {fopen(path, "w"), false};
  if (fo.f == NULL) return KP_STATUS_ACCESS_DENIED;
  kp_status_t st = fn(sys, file_write, &fo);
  if (fclose(fo.f) != 0) fo.failed = true;
  if (KP_SUCCESS(st) && fo.failed) st = KP_STATUS_ACCESS_DENIED;
  return st;
}

/* ---------------------------------------------------------------------------
 * The trace (Chrome Trace Event Format, JSON object form).
 * ------------------------------------------------------------------------- */
static const char *pool_short(kp_pool_kind_t p) {
  return p == KP_POOL_PAGED ? "paged" : "nonpaged";
}

/* "ts" in microseconds of virtual time; "host_us" in each event's args. */
static void trace_counter_pools(const kpi_writer_t *w, const mon_sample_t *s,
                                bool *first) {
  kpi_writef(w,
             "%s\n{\"name\":\"pool bytes\",\"ph\":\"C\",\"ts\":%llu,\"pid\":1,"
             "\"tid\":0,\"args\":{\"paged\":%llu,\"nonpaged\":%llu}}",
             *first ? "" : ",", (unsigned long long)s->vclock_ms * 1000u,
             (unsigned long long)s->pool_bytes[KP_POOL_PAGED],
             (unsigned long long)s->pool_bytes[KP_POOL_NONPAGED]);
  *first = false;
}

static void trace_samples(const kpi_writer_t *w, kpi_monitor_t *m, bool *first) {
  uint32_t cols = m->opt.max_series + 1u;
  for (uint32_t i = 0; i < m->nsamples; i++) {
    const mon_sample_t *s = &m->samples[i];
    unsigned long long ts = (unsigned long long)s->vclock_ms * 1000u;
    trace_counter_pools(w, s, first);
    for (uint32_t k = 0; k <= m->nseries; k++) {
      bool other = k == m->nseries;
      if (other && m->nseries < m->opt.max_series) break;
      uint64_t v = m->series_bytes[(size_t)i * cols + (other ? m->opt.max_series : k)];
      char tag[5];
      char name[48];
      if (other)
        snprintf(name, sizeof name, "tag (other) bytes");
      else
        snprintf(name, sizeof name, "tag %s bytes", kp_tag_text(m->series[k].tag, tag));
      kpi_writef(w, ",\n{\"name\":");
      kpi_json_string(w, name);
      kpi_writef(w,
                 ",\"ph\":\"C\",\"ts\":%llu,\"pid\":1,\"tid\":0,\"args\":{\"%s\":%llu}}",
                 ts, other ? "all" : pool_short(m->series[k].pool),
                 (unsigned long long)v);
    }
    for (uint32_t k = 0; k < m->nlists; k++) {
      size_t at = (size_t)i * m->opt.max_lists + k;
      if (m->list_hit[at] < 0) continue;
      char tag[5];
      char name[64];
      snprintf(name, sizeof name, "lookaside %s@%p",
               kp_tag_text(m->lists[k].tag, tag), m->lists[k].list);
      kpi_writef(w, ",\n{\"name\":");
      kpi_json_string(w, name);
      kpi_writef(w,
                 ",\"ph\":\"C\",\"ts\":%llu,\"pid\":1,\"tid\":0,\"args\":{"
                 "\"depth\":%u,\"cached\":%u,\"hit_percent\":%.1f}}",
                 ts, (unsigned)m->list_depth[at], (unsigned)m->list_cached[at],
                 (double)m->list_hit[at]);
    }
  }
}

static void trace_events(const kpi_writer_t *w, kpi_monitor_t *m, bool *first) {
  for (uint32_t i = 0; i < m->nevents; i++) {
    const mon_event_t *e = &m->events[i];
    char name[96];
    char tag[5];
    const char *cat = "kpool";
    switch (e->kind) {
    case KPI_EVENT_BUGCHECK:
      snprintf(name, sizeof name, "bugcheck 0x%X %s", (unsigned)e->code, e->name);
      cat = "bugcheck";
      break;
    case KPI_EVENT_ALLOC_FAILED:
      snprintf(name, sizeof name, "alloc failed %s (%s)", kp_tag_text(e->tag, tag),
               kp_fail_kind_name(e->fail_kind));
      cat = "failure";
      break;
    case KPI_EVENT_DRIVER_LOAD:
      snprintf(name, sizeof name, "driver load %s", e->name);
      cat = "driver";
      break;
    case KPI_EVENT_DRIVER_UNLOAD:
      snprintf(name, sizeof name, "driver unload %s", e->name);
      cat = "driver";
      break;
    case KPI_EVENT_MARK:
      snprintf(name, sizeof name, "%s", e->name);
      cat = "mark";
      break;
    }
    kpi_writef(w, "%s\n{\"name\":", *first ? "" : ",");
    *first = false;
    kpi_json_string(w, name);
    kpi_writef(w,
               ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"g\",\"ts\":%llu,\"pid\":1,"
               "\"tid\":%u,\"args\":{\"host_us\":%llu",
               cat, (unsigned long long)e->vclock_ms * 1000u, (unsigned)e->thread,
               (unsigned long long)e->host_us);
    if (e->kind == KPI_EVENT_BUGCHECK)
      kpi_writef(w,
                 ",\"code\":\"0x%08X\",\"p1\":\"0x%llX\",\"p2\":\"0x%llX\","
                 "\"p3\":\"0x%llX\",\"p4\":\"0x%llX\"",
                 (unsigned)e->code, (unsigned long long)e->params[0],
                 (unsigned long long)e->params[1], (unsigned long long)e->params[2],
                 (unsigned long long)e->params[3]);
    if (e->kind == KPI_EVENT_ALLOC_FAILED) {
      const char *st = kp_status_name(e->status);
      kpi_writef(w, ",\"api\":\"%s\",\"tag\":", e->name);
      kpi_json_string(w, kp_tag_text(e->tag, tag));
      kpi_writef(w, ",\"size\":%zu,\"injected\":%s,\"status\":\"%s\"", e->size,
                 e->fail_kind == KP_FAIL_INJECTED ? "true" : "false",
                 st != NULL ? st : "?");
    }
    if (e->text != NULL) {
      kpi_writef(w, ",\"%s\":", e->kind == KPI_EVENT_BUGCHECK ? "report" : "reason");
      kpi_json_string(w, e->text);
    }
    kpi_writef(w, "}}");
  }
}

kp_status_t kp_trace_write(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  kpi_monitor_t *m = kpi_monitor_of(sys);
  if (m == NULL) return KP_STATUS_UNSUCCESSFUL;
  kpi_monitor_take_sample(sys, m);
  kpi_writer_t w = {sys, out, arg};
  kpi_mutex_lock(&m->lock);
  bool first = true;
  kpi_writef(&w, "{\"traceEvents\":[");
  kpi_writef(&w,
             "\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
             "\"args\":{\"name\":");
  kpi_json_string(&w, sys->cfg.driver_name != NULL ? sys->cfg.driver_name
                                                   : "kpool");
  kpi_writef(&w, "}}");
  first = false;
  trace_samples(&w, m, &first);
  trace_events(&w, m, &first);
  kpi_writef(&w,
             "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":"
             "\"kpool %d.%d.%d\",\"clock\":\"virtual (ts) and host (args.host_us)\","
             "\"samples_taken\":%llu,\"samples_kept\":%u,\"events_dropped\":%llu}}\n",
             KP_VERSION_MAJOR, KP_VERSION_MINOR, KP_VERSION_PATCH,
             (unsigned long long)m->samples_taken, m->nsamples,
             (unsigned long long)m->events_dropped);
  kpi_mutex_unlock(&m->lock);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_trace_write_file(kp_system_t *sys, const char *path) {
  return write_to_file(sys, path, kp_trace_write);
}

kp_status_t kp_html_report(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  kpi_monitor_t *m = kpi_monitor_of(sys);
  if (m == NULL) return KP_STATUS_UNSUCCESSFUL;
  kpi_monitor_take_sample(sys, m);
  kpi_writer_t w = {sys, out, arg};
  return kpi_html_report(sys, m, &w);
}

kp_status_t kp_html_report_file(kp_system_t *sys, const char *path) {
  return write_to_file(sys, path, kp_html_report);
}
