/*
 * html.c — the self-contained HTML report (kp_html_report): tables and
 * inline SVG charts drawn from the monitor's samples, no network, no
 * external script or style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/monitor_internal.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"

static void put(const kpi_writer_t *w, const char *s) {
  if (w->out != NULL)
    w->out(s, w->arg);
  else
    kpi_out(w->sys, s);
}

static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"};
#define PALETTE_N (sizeof palette / sizeof palette[0])

/* ---------------------------------------------------------------------------
 * Charts.
 * ------------------------------------------------------------------------- */
#define CHART_W 760
#define CHART_H 220
#define CHART_L 70  /* left margin: value labels */
#define CHART_R 16
#define CHART_T 14
#define CHART_B 34  /* bottom margin: time labels */

typedef double (*series_value_fn)(const kpi_monitor_t *m, uint32_t ctx,
                                  uint32_t series, uint32_t sample,
                                  bool *present);

typedef struct chart {
  const char *id;
  const char *title;
  const char *unit;        /* "bytes", "entries", "%" */
  uint32_t nseries;
  series_value_fn value;
  const char *const *labels;
  uint32_t ctx;            /* passed to value (the lookaside list index) */
} chart_t;

static double sample_x(const kpi_monitor_t *m, uint32_t i, bool by_index) {
  return by_index ? (double)i : (double)m->samples[i].vclock_ms;
}

static void human(double v, const char *unit, char *buf, size_t len) {
  if (strcmp(unit, "bytes") == 0) {
    if (v >= 1048576.0)
      snprintf(buf, len, "%.1f MiB", v / 1048576.0);
    else if (v >= 1024.0)
      snprintf(buf, len, "%.1f KiB", v / 1024.0);
    else
      snprintf(buf, len, "%.0f B", v);
  } else {
    snprintf(buf, len, "%.0f%s%s", v, *unit == '%' ? "" : " ", unit);
  }
}

static void chart_draw(const kpi_writer_t *w, const kpi_monitor_t *m,
                       const chart_t *c) {
  uint32_t n = m->nsamples;
  bool by_index = n < 2 || m->samples[n - 1].vclock_ms == m->samples[0].vclock_ms;
  double x0 = n != 0 ? sample_x(m, 0, by_index) : 0;
  double x1 = n != 0 ? sample_x(m, n - 1, by_index) : 1;
  if (x1 <= x0) x1 = x0 + 1;
  double vmax = 0;
  for (uint32_t s = 0; s < c->nseries; s++)
    for (uint32_t i = 0; i < n; i++) {
      bool present = false;
      double v = c->value(m, c->ctx, s, i, &present);
      if (present && v > vmax) vmax = v;
    }
  if (vmax <= 0) vmax = 1;
  double pw = CHART_W - CHART_L - CHART_R, ph = CHART_H - CHART_T - CHART_B;

  kpi_writef(w, "<figure><figcaption>");
  kpi_html_text(w, c->title);
  kpi_writef(w,
             "</figcaption>\n<svg class=\"kp-chart\" id=\"%s\" data-series=\"%u\" "
             "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n",
             c->id, (unsigned)c->nseries, CHART_W, CHART_H, CHART_W, CHART_H);
  // Axes and labels.
  char lo[32], hi[32];
  human(vmax, c->unit, hi, sizeof hi);
  human(0, c->unit, lo, sizeof lo);
  kpi_writef(w,
             "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" "
             "stroke=\"#ccc\"/>\n"
             "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n"
             "<text x=\"%d\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
             CHART_L, CHART_T, pw, ph, CHART_L - 4, CHART_T + 10, hi, CHART_L - 4,
             CHART_T + ph, lo);
  if (by_index)
    kpi_writef(w,
               "<text x=\"%d\" y=\"%d\" font-size=\"11\">sample 1</text>"
               "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">sample %u"
               " (virtual clock %llu ms)</text>\n",
               CHART_L, CHART_H - 12, CHART_W - CHART_R, CHART_H - 12, (unsigned)n,
               n != 0 ? (unsigned long long)m->samples[n - 1].vclock_ms : 0ull);
  else
    kpi_writef(w,
               "<text x=\"%d\" y=\"%d\" font-size=\"11\">%.0f ms</text>"
               "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.0f ms "
               "(virtual clock)</text>\n",
               CHART_L, CHART_H - 12, x0, CHART_W - CHART_R, CHART_H - 12, x1);
  // One polyline per series; a lone sample is drawn across the whole width.
  for (uint32_t s = 0; s < c->nseries; s++) {
    kpi_writef(w,
               "<polyline class=\"kp-line\" fill=\"none\" stroke-width=\"2\" "
               "stroke=\"%s\" points=\"",
               palette[s % PALETTE_N]);
    uint32_t drawn = 0;
    double last_y = 0;
    for (uint32_t i = 0; i < n; i++) {
      bool present = false;
      double v = c->value(m, c->ctx, s, i, &present);
      if (!present) continue;
      double x = CHART_L + (sample_x(m, i, by_index) - x0) / (x1 - x0) * pw;
      last_y = CHART_T + ph - v / vmax * ph;
      kpi_writef(w, "%s%.1f,%.1f", drawn ? " " : "", x, last_y);
      drawn++;
    }
    if (drawn == 1) kpi_writef(w, " %.1f,%.1f", CHART_L + pw, last_y);
    kpi_writef(w, "\"><title>");
    kpi_html_text(w, c->labels[s]);
    kpi_writef(w, "</title></polyline>\n");
  }
  kpi_writef(w, "</svg>\n<div class=\"legend\">");
  for (uint32_t s = 0; s < c->nseries; s++) {
    kpi_writef(w, "<span><i style=\"background:%s\"></i>", palette[s % PALETTE_N]);
    kpi_html_text(w, c->labels[s]);
    kpi_writef(w, "</span> ");
  }
  kpi_writef(w, "</div></figure>\n");
}

static double pool_value(const kpi_monitor_t *m, uint32_t ctx, uint32_t s,
                         uint32_t i, bool *present) {
  (void)ctx;
  *present = true;
  return (double)m->samples[i].pool_bytes[s == 0 ? KP_POOL_NONPAGED : KP_POOL_PAGED];
}

static double tag_value(const kpi_monitor_t *m, uint32_t ctx, uint32_t s,
                        uint32_t i, bool *present) {
  (void)ctx;
  *present = true;
  uint32_t col = s < m->nseries ? s : m->opt.max_series;
  return (double)m->series_bytes[(size_t)i * (m->opt.max_series + 1u) + col];
}

/* Lookaside charts of list @k: series 0 depth, 1 cached entries. */
static double list_value(const kpi_monitor_t *m, uint32_t k, uint32_t s,
                         uint32_t i, bool *present) {
  size_t at = (size_t)i * m->opt.max_lists + k;
  *present = m->list_hit[at] >= 0;
  return s == 0 ? m->list_depth[at] : m->list_cached[at];
}
static double list_hit_value(const kpi_monitor_t *m, uint32_t k, uint32_t s,
                             uint32_t i, bool *present) {
  (void)s;
  size_t at = (size_t)i * m->opt.max_lists + k;
  *present = m->list_hit[at] >= 0;
  return m->list_hit[at];
}

/* ---------------------------------------------------------------------------
 * Figures gathered before the monitor's lock is taken.
 * ------------------------------------------------------------------------- */
typedef struct leak_row {
  kp_tag_t tag;
  kp_pool_kind_t pool;
  const char *file;
  uint32_t line;
  const void *caller;
  const void *outer;
  uint64_t count;
  uint64_t bytes;
  uint32_t thread;
} leak_row_t;

typedef struct figures {
  kp_tag_stats_t *tags;
  size_t ntags, cap_tags;
  leak_row_t *leaks;
  size_t nleaks, cap_leaks;
  uint64_t live, live_bytes;
  kp_stats_t st;
  uint64_t fail[KP_FAIL_KIND_COUNT_];
} figures_t;

static bool fig_tag(const kp_tag_stats_t *st, void *arg) {
  figures_t *f = arg;
  if (f->ntags == f->cap_tags) {
    size_t cap = f->cap_tags ? f->cap_tags * 2 : 64;
    kp_tag_stats_t *t = realloc(f->tags, cap * sizeof *t);
    if (t == NULL) return false;
    f->tags = t;
    f->cap_tags = cap;
  }
  f->tags[f->ntags++] = *st;
  return true;
}

static bool fig_block(const kp_block_info_t *b, void *arg) {
  figures_t *f = arg;
  f->live++;
  f->live_bytes += b->block_bytes;
  for (size_t i = 0; i < f->nleaks; i++) {
    leak_row_t *r = &f->leaks[i];
    if (r->tag == b->tag && r->pool == b->pool && r->line == b->site.line &&
        r->caller == b->site.caller && r->outer == b->site.outer &&
        (r->file == b->site.file ||
         (r->file != NULL && b->site.file != NULL && strcmp(r->file, b->site.file) == 0))) {
      r->count++;
      r->bytes += b->block_bytes;
      return true;
    }
  }
  if (f->nleaks == f->cap_leaks) {
    if (f->cap_leaks >= 4096) return true;  // enough rows for a page
    size_t cap = f->cap_leaks ? f->cap_leaks * 2 : 64;
    leak_row_t *t = realloc(f->leaks, cap * sizeof *t);
    if (t == NULL) return false;
    f->leaks = t;
    f->cap_leaks = cap;
  }
  leak_row_t *r = &f->leaks[f->nleaks++];
  r->tag = b->tag;
  r->pool = b->pool;
  r->file = b->site.file;
  r->line = b->site.line;
  r->caller = b->site.caller;
  r->outer = b->site.outer;
  r->count = 1;
  r->bytes = b->block_bytes;
  r->thread = b->thread;
  return true;
}

static int tag_cmp(const void *a, const void *b) {
  const kp_tag_stats_t *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  if (x->allocs != y->allocs) return x->allocs < y->allocs ? 1 : -1;
  return x->tag < y->tag ? -1 : x->tag > y->tag;
}

static int leak_cmp(const void *a, const void *b) {
  const leak_row_t *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* ---------------------------------------------------------------------------
 * The page.
 * ------------------------------------------------------------------------- */
static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>kpool report</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;"
    "color:#222;max-width:1100px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}\n"
    "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;"
    "border-bottom:1px solid #eee;text-align:right}th{background:#f3f3f3}\n"
    "td.l,th.l{text-align:left}code,pre{font:12px/1.35 ui-monospace,Menlo,"
    "Consolas,monospace}\npre{background:#fff8f0;border:1px solid #f0d0b0;"
    "padding:8px;overflow-x:auto;white-space:pre-wrap}\n"
    ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.card{border:1px "
    "solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}.card b{display:"
    "block;font-size:20px}.bad b{color:#c00}\nfigure{margin:8px 0 18px}figcaption"
    "{font-weight:600;margin-bottom:4px}.legend span{margin-right:12px;font-size:"
    "12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}\n"
    ".muted{color:#777}#kp-check{color:#777;font-size:11px;margin-top:30px}\n"
    "</style></head><body>\n";

/* Counts the charts that have a line with two points or more. */
static const char page_script[] =
    "<script>\n"
    "(function(){var c=document.querySelectorAll('svg.kp-chart'),d=0;\n"
    "for(var i=0;i<c.length;i++){var l=c[i].querySelectorAll('polyline.kp-line'),"
    "ok=l.length>0;\nfor(var j=0;j<l.length;j++){if(l[j].points.numberOfItems<2)"
    "ok=false;}\nif(ok){d++;c[i].setAttribute('data-drawn','1');}}\n"
    "document.getElementById('kp-check').textContent='charts='+c.length+' drawn='+d;"
    "})();\n</script>\n";

static void card(const kpi_writer_t *w, const char *label, unsigned long long v,
                 bool bad) {
  kpi_writef(w, "<div class=\"card%s\"><b>%llu</b>%s</div>\n",
             bad && v != 0 ? " bad" : "", v, label);
}

static void section_bugchecks(const kpi_writer_t *w, const kpi_monitor_t *m) {
  kpi_writef(w, "<h2 id=\"bugchecks\">Bug checks</h2>\n");
  uint32_t shown = 0;
  for (uint32_t i = 0; i < m->nevents; i++) {
    const mon_event_t *e = &m->events[i];
    if (e->kind != KPI_EVENT_BUGCHECK) continue;
    shown++;
    kpi_writef(w,
               "<details%s><summary><b>0x%08X %s</b> (0x%llX, 0x%llX, 0x%llX, 0x%llX)"
               " <span class=\"muted\">at %llu ms, thread %u%s</span></summary>\n",
               shown == 1 ? " open" : "", (unsigned)e->code, e->name,
               (unsigned long long)e->params[0], (unsigned long long)e->params[1],
               (unsigned long long)e->params[2], (unsigned long long)e->params[3],
               (unsigned long long)e->vclock_ms, (unsigned)e->thread,
               shown == 1 ? "; the first: look here first" : "");
    if (e->text != NULL) {
      kpi_writef(w, "<pre>");
      kpi_html_text(w, e->text);
      kpi_writef(w, "</pre>");
    }
    kpi_writef(w, "</details>\n");
  }
  if (shown == 0) kpi_writef(w, "<p class=\"muted\">None.</p>\n");
}

static void section_poolmon(const kpi_writer_t *w, const figures_t *f) {
  kpi_writef(w,
             "<h2 id=\"poolmon\">PoolMon</h2>\n<table><tr><th class=\"l\">Tag</th>"
             "<th class=\"l\">Type</th><th>Allocs</th><th>Frees</th><th>Diff</th>"
             "<th>Bytes</th><th>Peak</th><th>Failures</th></tr>\n");
  for (size_t i = 0; i < f->ntags; i++) {
    const kp_tag_stats_t *t = &f->tags[i];
    char tag[5];
    kpi_writef(w, "<tr><td class=\"l\"><code>");
    kpi_html_text(w, kp_tag_text(t->tag, tag));
    kpi_writef(w,
               "</code></td><td class=\"l\">%s</td><td>%llu</td><td>%llu</td>"
               "<td>%lld</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
               t->pool == KP_POOL_PAGED ? "Paged" : "Nonp",
               (unsigned long long)t->allocs, (unsigned long long)t->frees,
               (long long)(t->allocs - t->frees), (unsigned long long)t->bytes,
               (unsigned long long)t->peak_bytes, (unsigned long long)t->failures);
  }
  if (f->ntags == 0)
    kpi_writef(w, "<tr><td class=\"l\" colspan=\"8\">No allocations.</td></tr>\n");
  kpi_writef(w, "</table>\n");
}

static void section_lists(const kpi_writer_t *w, kpi_monitor_t *m) {
  kpi_writef(w, "<h2 id=\"lookaside\">Lookaside lists</h2>\n");
  if (m->nlists == 0) {
    kpi_writef(w, "<p class=\"muted\">No lookaside list was active.</p>\n");
    return;
  }
  kpi_writef(w,
             "<table><tr><th class=\"l\">List</th><th class=\"l\">Tag</th><th>Size"
             "</th><th>Depth</th><th>Max</th><th>Cached</th><th>Allocates</th>"
             "<th>Alloc hit %%</th><th>Frees</th><th>Free hit %%</th><th class=\"l\">"
             "State</th></tr>\n");
  for (uint32_t k = 0; k < m->nlists; k++) {
    const kp_lookaside_info_t *i = &m->lists[k].last;
    char tag[5];
    kpi_writef(w, "<tr><td class=\"l\"><code>%p</code></td><td class=\"l\"><code>",
               m->lists[k].list);
    kpi_html_text(w, kp_tag_text(m->lists[k].tag, tag));
    kpi_writef(w,
               "</code></td><td>%u</td><td>%u</td><td>%u</td><td>%u</td><td>%u</td>"
               "<td>%.1f</td><td>%u</td><td>%.1f</td><td class=\"l\">%s</td></tr>\n",
               (unsigned)i->size, (unsigned)i->depth, (unsigned)i->maximum_depth,
               (unsigned)i->current_depth, (unsigned)i->total_allocates,
               i->allocate_hit_rate, (unsigned)i->total_frees, i->free_hit_rate,
               m->lists[k].gone ? "deleted" : "active");
  }
  kpi_writef(w, "</table>\n");
  static const char *const depth_labels[] = {"Depth", "cached entries"};
  static const char *const hit_labels[] = {"allocate hit rate %"};
  for (uint32_t k = 0; k < m->nlists; k++) {
    char tag[5], id[32], title[96], id2[32], title2[96];
    snprintf(id, sizeof id, "kp-list-%u", (unsigned)k);
    snprintf(title, sizeof title, "Lookaside '%s' @%p: depth over time",
             kp_tag_text(m->lists[k].tag, tag), m->lists[k].list);
    chart_t c = {id, title, "entries", 2, list_value, depth_labels, k};
    chart_draw(w, m, &c);
    snprintf(id2, sizeof id2, "kp-list-hit-%u", (unsigned)k);
    snprintf(title2, sizeof title2, "Lookaside '%s' @%p: allocate hit rate",
             tag, m->lists[k].list);
    chart_t h = {id2, title2, "%", 1, list_hit_value, hit_labels, k};
    chart_draw(w, m, &h);
  }
}

static void section_failures(const kpi_writer_t *w, const kpi_monitor_t *m,
                             const figures_t *f) {
  kpi_writef(w,
             "<h2 id=\"failures\">Allocation failures</h2>\n<table><tr>"
             "<th class=\"l\">Reason</th><th>Count</th></tr>\n");
  for (unsigned k = 0; k < KP_FAIL_KIND_COUNT_; k++)
    if (f->fail[k] != 0)
      kpi_writef(w, "<tr><td class=\"l\">%s</td><td>%llu</td></tr>\n",
                 kp_fail_kind_name((kp_fail_kind_t)k), (unsigned long long)f->fail[k]);
  kpi_writef(w, "</table>\n");
  uint32_t shown = 0;
  for (uint32_t i = 0; i < m->nevents; i++) {
    const mon_event_t *e = &m->events[i];
    if (e->kind != KPI_EVENT_ALLOC_FAILED) continue;
    if (shown == 0)
      kpi_writef(w,
                 "<table><tr><th>ms</th><th class=\"l\">API</th><th class=\"l\">Tag"
                 "</th><th>Bytes</th><th class=\"l\">Kind</th><th class=\"l\">"
                 "Reason</th></tr>\n");
    if (++shown > 200) continue;  // counted above; the page stays readable
    char tag[5];
    kpi_writef(w, "<tr><td>%llu</td><td class=\"l\">%s</td><td class=\"l\"><code>",
               (unsigned long long)e->vclock_ms, e->name);
    kpi_html_text(w, kp_tag_text(e->tag, tag));
    kpi_writef(w, "</code></td><td>%zu</td><td class=\"l\">%s</td><td class=\"l\">",
               e->size, kp_fail_kind_name(e->fail_kind));
    kpi_html_text(w, e->text);
    kpi_writef(w, "</td></tr>\n");
  }
  if (shown != 0) kpi_writef(w, "</table>\n");
  if (shown > 200)
    kpi_writef(w, "<p class=\"muted\">%u more not shown.</p>\n", shown - 200);
  if (shown == 0) kpi_writef(w, "<p class=\"muted\">None.</p>\n");
}

static void section_leaks(const kpi_writer_t *w, const figures_t *f) {
  kpi_writef(w,
             "<h2 id=\"leaks\">Outstanding allocations by tag and site</h2>\n"
             "<p>%llu allocations, %llu bytes.</p>\n",
             (unsigned long long)f->live, (unsigned long long)f->live_bytes);
  if (f->nleaks == 0) return;
  kpi_writef(w,
             "<table><tr><th class=\"l\">Tag</th><th class=\"l\">Pool</th>"
             "<th class=\"l\">Site</th><th>Count</th><th>Bytes</th><th>Thread</th></tr>\n");
  for (size_t i = 0; i < f->nleaks; i++) {
    const leak_row_t *r = &f->leaks[i];
    char tag[5], site[256];
    kp_site_t s = kp_site_outer(r->file, r->line, r->caller, r->outer);
    kpi_site_text(s, site, sizeof site);
    kpi_writef(w, "<tr><td class=\"l\"><code>");
    kpi_html_text(w, kp_tag_text(r->tag, tag));
    kpi_writef(w, "</code></td><td class=\"l\">%s</td><td class=\"l\"><code>",
               r->pool == KP_POOL_PAGED ? "paged" : "non-paged");
    kpi_html_text(w, site);
    kpi_writef(w, "</code></td><td>%llu</td><td>%llu</td><td>%u</td></tr>\n",
               (unsigned long long)r->count, (unsigned long long)r->bytes,
               (unsigned)r->thread);
  }
  kpi_writef(w, "</table>\n");
}

static void section_events(const kpi_writer_t *w, const kpi_monitor_t *m) {
  kpi_writef(w, "<h2 id=\"events\">Driver events and marks</h2>\n<ul>\n");
  uint32_t shown = 0;
  for (uint32_t i = 0; i < m->nevents; i++) {
    const mon_event_t *e = &m->events[i];
    const char *what = e->kind == KPI_EVENT_DRIVER_LOAD     ? "driver load"
                       : e->kind == KPI_EVENT_DRIVER_UNLOAD ? "driver unload"
                       : e->kind == KPI_EVENT_MARK          ? "mark"
                                                            : NULL;
    if (what == NULL) continue;
    shown++;
    kpi_writef(w, "<li>%llu ms: %s <code>", (unsigned long long)e->vclock_ms, what);
    kpi_html_text(w, e->name);
    kpi_writef(w, "</code></li>\n");
  }
  if (shown == 0) kpi_writef(w, "<li class=\"muted\">None.</li>\n");
  kpi_writef(w, "</ul>\n");
  if (m->events_dropped != 0)
    kpi_writef(w, "<p class=\"muted\">%llu events past the limit were not kept.</p>\n",
               (unsigned long long)m->events_dropped);
}

/* The figures that need the pools' locks are gathered first; the page is
 * then written under the monitor's lock (kp_html_report). */
kp_status_t kpi_html_report(kp_system_t *sys, kpi_monitor_t *m,
                            const kpi_writer_t *w) {
  figures_t f;
  memset(&f, 0, sizeof f);
  f.st = (kp_stats_t)KP_STATS_INIT;
  (void)kp_stats_get(sys, &f.st);
  kp_stats_visit_tags(sys, fig_tag, &f);
  kp_visit_blocks(sys, fig_block, &f);
  kp_fail_counts(sys, f.fail);
  if (f.ntags > 1) qsort(f.tags, f.ntags, sizeof *f.tags, tag_cmp);
  if (f.nleaks > 1) qsort(f.leaks, f.nleaks, sizeof *f.leaks, leak_cmp);

  kpi_mutex_lock(&m->lock);
  put(w, page_head);
  const char *driver = sys->cfg.driver_name != NULL ? sys->cfg.driver_name : "driver";
  kpi_writef(w, "<h1>kpool report: ");
  kpi_html_text(w, driver);
  kpi_writef(w,
             "</h1>\n<div class=\"muted\">kpool %d.%d.%d; virtual clock %llu ms; "
             "%u samples kept of %llu taken</div>\n<div class=\"cards\">\n",
             KP_VERSION_MAJOR, KP_VERSION_MINOR, KP_VERSION_PATCH,
             (unsigned long long)kp_clock_now(sys), (unsigned)m->nsamples,
             (unsigned long long)m->samples_taken);
  uint64_t bugchecks = 0, failures = 0;
  for (uint32_t i = 0; i < m->nevents; i++) {
    bugchecks += m->events[i].kind == KPI_EVENT_BUGCHECK;
    failures += m->events[i].kind == KPI_EVENT_ALLOC_FAILED;
  }
  card(w, "bug checks", bugchecks, true);
  card(w, "outstanding allocations", f.live, false);
  card(w, "outstanding bytes", f.live_bytes, false);
  card(w, "failed allocations", failures, false);
  card(w, "lookaside lists", m->nlists, false);
  kpi_writef(w, "</div>\n");

  section_bugchecks(w, m);

  kpi_writef(w, "<h2 id=\"bytes\">Pool bytes over time</h2>\n");
  static const char *const pool_labels[] = {"non-paged pool", "paged pool"};
  chart_t pools = {"kp-pools", "Bytes outstanding per pool", "bytes", 2, pool_value,
                   pool_labels, 0};
  chart_draw(w, m, &pools);
  uint32_t nseries = m->nseries + (m->nseries == m->opt.max_series ? 1u : 0u);
  if (nseries != 0) {
    const char **labels = calloc(nseries, sizeof *labels);
    char(*text)[32] = calloc(nseries, sizeof *text);
    if (labels != NULL && text != NULL) {
      for (uint32_t s = 0; s < nseries; s++) {
        char tag[5];
        if (s < m->nseries)
          snprintf(text[s], sizeof text[s], "%s (%s)",
                   kp_tag_text(m->series[s].tag, tag),
                   m->series[s].pool == KP_POOL_PAGED ? "paged" : "non-paged");
        else
          snprintf(text[s], sizeof text[s], "(other tags)");
        labels[s] = text[s];
      }
      chart_t tags = {"kp-tags", "Bytes outstanding per tag", "bytes", nseries,
                      tag_value, labels, 0};
      chart_draw(w, m, &tags);
    }
    free(labels);
    free(text);
  }

  section_poolmon(w, &f);
  section_lists(w, m);
  section_failures(w, m, &f);
  section_leaks(w, &f);
  section_events(w, m);
  kpi_writef(w, "<div id=\"kp-check\">charts not checked (scripts off)</div>\n");
  put(w, page_script);
  put(w, "</body></html>\n");
  kpi_mutex_unlock(&m->lock);
  free(f.tags);
  free(f.leaks);
  return KP_STATUS_SUCCESS;
}
