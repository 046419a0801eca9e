/*
 * stats.c — counters and reports: tag visits, totals, the PoolMon table,
 * the JSON export and the leak report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/kp_mm.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "kpool/pool3.h"
#include "kpool/secure.h"

/* A growable array of tag counters snapshotted from the pools. */
typedef struct tag_list {
  kp_tag_stats_t *items;
  size_t count;
  size_t cap;
} tag_list_t;

static bool tag_list_push(tag_list_t *l, const kp_tag_stats_t *st) {
  if (l->count == l->cap) {
    size_t n = l->cap ? l->cap * 2 : 64;
    kp_tag_stats_t *p = realloc(l->items, n * sizeof *p);
    if (p == NULL) return false;
    l->items = p;
    l->cap = n;
  }
  l->items[l->count++] = *st;
  return true;
}

static int tag_cmp(const void *a, const void *b) {
  const kp_tag_stats_t *x = a, *y = b;
  if (x->pool != y->pool) return x->pool < y->pool ? -1 : 1;
  if (x->node != y->node) return x->node < y->node ? -1 : 1;
  if (x->tag != y->tag) return x->tag < y->tag ? -1 : 1;
  return 0;
}

/* Every tag x pool x node, sorted by pool, node, tag. */
static void tags_snapshot(kp_system_t *sys, tag_list_t *l) {
  memset(l, 0, sizeof *l);
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kpi_pool_t *pool = &sys->pools[i];
    size_t slots = 0;
    kpi_tag_stat_t *tags = kpi_pool_tags(pool, &slots);
    for (size_t k = 0; k < slots; k++) {
      const kpi_tag_stat_t *t = &tags[k];
      if (!t->used) continue;
      kp_tag_stats_t st;
      memset(&st, 0, sizeof st);
      st.tag = t->tag;
      st.pool = pool->kind;
      st.node = pool->node;
      st.allocs = t->allocs;
      st.frees = t->frees;
      st.bytes = t->bytes;
      st.peak_bytes = t->peak_bytes;
      st.failures = t->failures;
      if (!tag_list_push(l, &st)) break;
    }
    free(tags);
  }
  if (l->count > 1) qsort(l->items, l->count, sizeof *l->items, tag_cmp);
}

void kp_stats_visit_tags(kp_system_t *sys, kp_tag_visitor_fn fn, void *arg) {
  if (sys == NULL || fn == NULL) return;
  tag_list_t l;
  tags_snapshot(sys, &l);
  for (size_t i = 0; i < l.count; i++)
    if (!fn(&l.items[i], arg)) break;
  free(l.items);
}

bool kp_stats_tag(kp_system_t *sys, kp_tag_t tag, kp_pool_kind_t pool_kind,
                  kp_tag_stats_t *out) {
  kp_tag_stats_t sum;
  memset(&sum, 0, sizeof sum);
  sum.tag = tag;
  sum.pool = pool_kind;
  bool found = false;
  if (sys != NULL) {
    for (uint32_t i = 0; i < sys->pool_count; i++) {
      kpi_pool_t *pool = &sys->pools[i];
      if (pool->kind != pool_kind) continue;
      size_t slots = 0;
      kpi_tag_stat_t *tags = kpi_pool_tags(pool, &slots);
      size_t k = slots != 0 ? kpi_tag_hash(tag, slots - 1) : 0;
      while (slots != 0 && tags[k].used) {
        const kpi_tag_stat_t *t = &tags[k];
        if (t->tag == tag) {
          found = true;
          sum.allocs += t->allocs;
          sum.frees += t->frees;
          sum.bytes += t->bytes;
          sum.peak_bytes += t->peak_bytes;
          sum.failures += t->failures;
          break;
        }
        k = (k + 1) & (slots - 1);
      }
      free(tags);
    }
  }
  if (out != NULL) {
    if (!found) memset(&sum, 0, sizeof sum);
    *out = sum;
  }
  return found;
}

bool kp_stats_get(kp_system_t *sys, kp_stats_t *st) {
  if (sys == NULL || st == NULL) return false;
  if (st->size != sizeof *st || st->version != KP_STATS_VERSION) return false;
  memset(st->pool, 0, sizeof st->pool);
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kpi_pool_t *pool = &sys->pools[i];
    kp_pool_totals_t *t = &st->pool[pool->kind];
    kpi_pool_figures_t f;
    kpi_pool_figures(pool, &f);
    t->allocs += f.allocs;
    t->frees += f.frees;
    t->failures += f.failures;
    t->live_blocks += f.live_count;
    t->bytes += f.used;
    t->peak_bytes += f.peak;
    t->budget += f.budget;
    t->quarantined_blocks += f.q_count;
    t->pages_in_use += f.pages_in_use;
  }
  st->untagged_allocs = atomic_load(&sys->untagged_allocs);
  st->bugchecks = kp_bugcheck_count(sys);
  st->clock_ms = kp_clock_now(sys);
  return true;
}

static kpi_writer_t writer_make(kp_system_t *sys, kp_output_fn out, void *arg) {
  kpi_writer_t w;
  w.sys = sys;
  w.out = out;
  w.arg = arg;
  return w;
}

/* ---------------------------------------------------------------------------
 * PoolMon.
 * ------------------------------------------------------------------------- */
static int poolmon_cmp(const void *a, const void *b) {
  const kp_tag_stats_t *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->tag != y->tag) return x->tag < y->tag ? -1 : 1;
  return x->pool < y->pool ? -1 : (x->pool > y->pool);
}

void kp_report_poolmon(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  kpi_writer_t w = writer_make(sys, out, arg);
  tag_list_t l;
  tags_snapshot(sys, &l);
  // PoolMon shows tag x pool type: fold the non-paged nodes together.
  size_t n = 0;
  for (size_t i = 0; i < l.count; i++) {
    if (n > 0 && l.items[n - 1].tag == l.items[i].tag &&
        l.items[n - 1].pool == l.items[i].pool) {
      kp_tag_stats_t *d = &l.items[n - 1];
      d->allocs += l.items[i].allocs;
      d->frees += l.items[i].frees;
      d->bytes += l.items[i].bytes;
      d->failures += l.items[i].failures;
      continue;
    }
    l.items[n++] = l.items[i];
  }
  if (n > 1) qsort(l.items, n, sizeof *l.items, poolmon_cmp);
  kpi_writef(&w, " Tag  Type     Allocs      Frees       Diff        Bytes  Per Alloc\n");
  uint64_t ta = 0, tf = 0, tb = 0;
  for (size_t i = 0; i < n; i++) {
    const kp_tag_stats_t *s = &l.items[i];
    char tag[5];
    uint64_t diff = s->allocs - s->frees;
    kpi_writef(&w, " %s %-5s %10llu %10llu %10llu %12llu %10llu\n",
             kp_tag_text(s->tag, tag), s->pool == KP_POOL_PAGED ? "Paged" : "Nonp",
             (unsigned long long)s->allocs, (unsigned long long)s->frees,
             (unsigned long long)diff, (unsigned long long)s->bytes,
             (unsigned long long)(diff ? s->bytes / diff : 0));
    ta += s->allocs;
    tf += s->frees;
    tb += s->bytes;
  }
  kpi_writef(&w, " TOTAL      %10llu %10llu %10llu %12llu %10llu\n",
           (unsigned long long)ta, (unsigned long long)tf,
           (unsigned long long)(ta - tf), (unsigned long long)tb,
           (unsigned long long)(ta - tf ? tb / (ta - tf) : 0));
  free(l.items);
}

void kp_report(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  kp_report_poolmon(sys, out, arg);
  kp_report_pressure(sys, out, arg);
  if (out == NULL) {
    out = sys->cfg.out != NULL ? sys->cfg.out : kpi_default_out;
    arg = sys->cfg.out != NULL ? sys->cfg.out_arg : NULL;
  }
  kpi_modules_report(sys, out, arg);
}

/* ---------------------------------------------------------------------------
 * JSON.
 * ------------------------------------------------------------------------- */
static void json_tag(char out[32], kp_tag_t tag) {
  char text[5];
  kp_tag_text(tag, text);
  size_t k = 0;
  for (int i = 0; i < 4; i++) {
    char c = text[i];
    if (c == '"' || c == '\\') out[k++] = '\\';
    out[k++] = c;
  }
  out[k] = '\0';
}

void kp_report_json(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  kpi_writer_t w = writer_make(sys, out, arg);
  kpi_writef(&w, "{\"clock_ms\":%llu,\"driver\":\"%s\",\"pools\":[",
           (unsigned long long)kp_clock_now(sys),
           sys->cfg.driver_name ? sys->cfg.driver_name : "");
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kpi_pool_t *pool = &sys->pools[i];
    kpi_pool_figures_t f;
    kpi_pool_figures(pool, &f);
    unsigned long long v[9] = {f.budget,   f.available, f.used,
                               f.peak,     f.allocs,    f.frees,
                               f.failures, f.live_count, f.q_count};
    static const char *const levels[] = {"none", "low", "very_low", "exhausted"};
    kp_pressure_t pr;
    const char *level = "none";
    if (kp_pool_pressure(sys, pool->kind, pool->node, &pr) == KP_STATUS_SUCCESS &&
        (unsigned)pr.level < 4)
      level = levels[pr.level];
    kpi_writef(&w,
             "%s{\"pool\":\"%s\",\"node\":%u,\"budget\":%llu,\"available\":%llu,"
             "\"bytes\":%llu,\"peak_bytes\":%llu,\"allocs\":%llu,\"frees\":%llu,"
             "\"failures\":%llu,\"live_blocks\":%llu,\"quarantined_blocks\":%llu,"
             "\"pressure\":\"%s\"}",
             i ? "," : "", pool->kind == KP_POOL_PAGED ? "paged" : "nonpaged",
             pool->node, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], level);
  }
  kpi_writef(&w, "],\"tags\":[");
  tag_list_t l;
  tags_snapshot(sys, &l);
  for (size_t i = 0; i < l.count; i++) {
    const kp_tag_stats_t *s = &l.items[i];
    char tag[32];
    json_tag(tag, s->tag);
    kpi_writef(&w,
             "%s{\"tag\":\"%s\",\"tag_value\":%u,\"pool\":\"%s\",\"node\":%u,"
             "\"allocs\":%llu,\"frees\":%llu,\"diff\":%llu,\"bytes\":%llu,"
             "\"peak_bytes\":%llu,\"failures\":%llu}",
             i ? "," : "", tag, (unsigned)s->tag,
             s->pool == KP_POOL_PAGED ? "paged" : "nonpaged", s->node,
             (unsigned long long)s->allocs, (unsigned long long)s->frees,
             (unsigned long long)(s->allocs - s->frees),
             (unsigned long long)s->bytes, (unsigned long long)s->peak_bytes,
             (unsigned long long)s->failures);
  }
  free(l.items);
  kp_quota_t quota = {0, 0};
  (void)kp_quota_query(sys, &quota);
  kp_secure_totals_t sec;
  kp_secure_get_totals(sys, &sec);
  kpi_writef(&w,
           "],\"untagged_allocs\":%llu,\"quota\":{\"limit\":%llu,\"used\":%llu},"
           "\"secure\":{\"pools\":%u,\"allocations\":%llu,\"bytes\":%llu,"
           "\"failed_validations\":%llu,\"bad_handles\":%llu,\"write_faults\":%llu},"
           "\"bugchecks\":%u}\n",
           (unsigned long long)atomic_load(&sys->untagged_allocs),
           (unsigned long long)quota.limit, (unsigned long long)quota.used,
           sec.pools, (unsigned long long)sec.allocations,
           (unsigned long long)sec.bytes, (unsigned long long)sec.failed_validations,
           (unsigned long long)sec.bad_handles, (unsigned long long)sec.write_faults,
           kp_bugcheck_count(sys));
}

/* ---------------------------------------------------------------------------
 * Leak report: outstanding allocations grouped by tag, then by site.
 * ------------------------------------------------------------------------- */
typedef struct leak_list {
  kp_block_info_t *items;
  size_t count;
  size_t cap;
} leak_list_t;

typedef struct held {
  kp_block_info_t block;
  char why[200];
} held_t;

static bool leak_collect(const kp_block_info_t *info, void *arg) {
  leak_list_t *l = arg;
  if (l->count == l->cap) {
    size_t n = l->cap ? l->cap * 2 : 64;
    kp_block_info_t *p = realloc(l->items, n * sizeof *p);
    if (p == NULL) return false;
    l->items = p;
    l->cap = n;
  }
  l->items[l->count++] = *info;
  return true;
}

static int site_cmp(kp_site_t a, kp_site_t b) {
  if (a.file != b.file) {
    if (a.file == NULL) return -1;
    if (b.file == NULL) return 1;
    int c = strcmp(a.file, b.file);
    if (c != 0) return c;
  }
  if (a.line != b.line) return a.line < b.line ? -1 : 1;
  // One wrapper line, many callers: group by the outer site too.
  if (a.outer != b.outer) return (uintptr_t)a.outer < (uintptr_t)b.outer ? -1 : 1;
  if (a.file == NULL && a.caller != b.caller)
    return (uintptr_t)a.caller < (uintptr_t)b.caller ? -1 : 1;
  return 0;
}

static int leak_cmp(const void *x, const void *y) {
  const kp_block_info_t *a = x, *b = y;
  if (a->tag != b->tag) return a->tag < b->tag ? -1 : 1;
  int c = site_cmp(a->site, b->site);
  if (c != 0) return c;
  return a->sequence < b->sequence ? -1 : (a->sequence > b->sequence);
}

uint64_t kp_report_leaks(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return 0;
  kpi_writer_t w = writer_make(sys, out, arg);
  leak_list_t l;
  memset(&l, 0, sizeof l);
  kp_visit_blocks(sys, leak_collect, &l);
  if (l.count == 0) {
    kpi_writef(&w, "kpool: no outstanding allocations.\n");
    free(l.items);
    return 0;
  }
  qsort(l.items, l.count, sizeof *l.items, leak_cmp);
  // Blocks an object already reported holds (a cached entry of a lookaside
  // list never deleted) are consequences: they are listed after the
  // driver's own leaks, each with its owner.
  size_t total = l.count;
  size_t own = 0;
  held_t *held = NULL;
  size_t nheld = 0;
  for (size_t k = 0; k < l.count; k++) {
    char why[200];
    if (kpi_modules_leak_owner(sys, &l.items[k], why, sizeof why)) {
      held_t *h = realloc(held, (nheld + 1) * sizeof *held);
      if (h != NULL) {
        held = h;
        held[nheld].block = l.items[k];
        memcpy(held[nheld].why, why, sizeof why);
        nheld++;
        continue;
      }
    }
    l.items[own++] = l.items[k];
  }
  l.count = own;
  uint64_t total_bytes = 0;
  for (size_t i = 0; i < l.count; i++) total_bytes += l.items[i].block_bytes;
  if (nheld != 0)
    kpi_writef(&w,
               "kpool: %zu outstanding allocation%s: %zu the driver's own, %zu "
               "held by objects reported above (listed last).\n",
               total, total == 1 ? "" : "s", own, nheld);
  if (own != 0)
    kpi_writef(&w, "kpool: %zu outstanding allocation%s, %llu bytes, by tag and site:\n",
               l.count, l.count == 1 ? "" : "s", (unsigned long long)total_bytes);
  size_t i = 0;
  while (i < l.count) {
    size_t tag_end = i;
    uint64_t tag_bytes = 0;
    while (tag_end < l.count && l.items[tag_end].tag == l.items[i].tag)
      tag_bytes += l.items[tag_end++].block_bytes;
    char tag[5];
    kpi_writef(&w, "  Tag '%s' (0x%08X): %zu allocation%s, %llu bytes\n",
             kp_tag_text(l.items[i].tag, tag), (unsigned)l.items[i].tag,
             tag_end - i, tag_end - i == 1 ? "" : "s",
             (unsigned long long)tag_bytes);
    size_t j = i;
    while (j < tag_end) {
      size_t site_end = j;
      size_t lo = l.items[j].size, hi = l.items[j].size;
      while (site_end < tag_end &&
             site_cmp(l.items[site_end].site, l.items[j].site) == 0) {
        if (l.items[site_end].size < lo) lo = l.items[site_end].size;
        if (l.items[site_end].size > hi) hi = l.items[site_end].size;
        site_end++;
      }
      const kp_block_info_t *first = &l.items[j];
      char site[256];
      kpi_site_text(first->site, site, sizeof site);
      kpi_writef(&w,
               "    %zu x at %s (%s, %s pool, thread %u), %zu..%zu bytes, "
               "first is allocation #%llu at %p\n",
               site_end - j, site, kpi_api_name(first->api),
               first->pool == KP_POOL_PAGED ? "paged" : "non-paged",
               first->thread, lo, hi, (unsigned long long)first->sequence,
               first->address);
      j = site_end;
    }
    i = tag_end;
  }
  for (size_t k = 0; k < nheld; k++) {
    char tag[5];
    char site[256];
    kpi_site_text(held[k].block.site, site, sizeof site);
    kpi_writef(&w,
               "  held: %p, %zu bytes, tag '%s', allocated at %s: %s (a "
               "consequence of that finding, not a separate leak)\n",
               held[k].block.address, held[k].block.size,
               kp_tag_text(held[k].block.tag, tag), site, held[k].why);
  }
  free(held);
  free(l.items);
  return (uint64_t)total;
}

uint64_t kpi_report_leaks(kp_system_t *sys) {
  return kp_report_leaks(sys, NULL, NULL);
}
