/*
 * fault.c — low resources simulation: random failures (seed, probability
 * in 1/10000, tag filter, delay), fail-Nth and every-Nth, systematic
 * failures (each call site once, remembered in a file across runs) and
 * fuzzer-driven decisions (kpool/fuzz.h). The verifier module's alloc_hook
 * asks kpi_fault_decide() before any pool is touched; a "yes" makes the
 * request fail exactly as pool exhaustion would (NULL or a raise).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf/kp_verifier.h"
#include "ex/kp_ex.h"
#include "sim/kp_sim.h"
#include "kpool/fuzz.h"

/* Bits of kpi_fault::active: which modes can fail a request. */
#define FAULT_RANDOM 1u
#define FAULT_NTH 2u
#define FAULT_EVERY 4u
#define FAULT_SYSTEMATIC 8u
#define FAULT_FUZZ 16u

#define FAULT_FILE_MAGIC "# kpool systematic low resources simulation: sites already failed"
#define FAULT_LINE_MAX 4096

/* One site: file and line, or a return address kept relative to kpool's
 * own code (fault_anchor) so that it means the same in the next run of a
 * statically linked program. */
typedef struct fault_site {
  char *file;          /* owned copy, NULL for an address site */
  uint32_t line;
  int64_t rel;         /* address sites: caller - anchor */
  kp_tag_t tag;
  uint64_t hash;
  uint64_t faults;
  bool systematic;
  bool loaded;
  bool excluded;
  uint32_t chain;      /* next in bucket, index + 1 (0 = end) */
} fault_site_t;

struct kpi_fault {
  kpi_mutex_t lock;
  atomic_uint active;           /* FAULT_* bits; 0 = the fast path */
  atomic_int suspended;
  kpi_tag_patterns_t tags;
  /* Random. */
  uint64_t rng;
  uint32_t probability;
  uint64_t delay_allocations;
  uint64_t delay_ms;
  /* Nth / every Nth, counted from their base. */
  uint64_t nth;
  uint64_t nth_base;
  uint64_t every;
  uint64_t every_base;
  /* Fuzzer plan. */
  uint8_t *plan;
  uint64_t plan_bits;
  uint64_t plan_pos;
  /* Systematic: the sites file. */
  char *file;
  /* Sites: array in first-seen order plus a hash index. */
  fault_site_t *sites;
  uint32_t site_count;
  uint32_t site_cap;
  uint32_t *buckets;            /* index + 1 */
  uint32_t bucket_count;        /* power of two */
  /* Counters. */
  uint64_t candidates;
  uint64_t injected;
  uint64_t by_random;
  uint64_t by_nth;
  uint64_t by_systematic;
  uint64_t by_fuzz;
  uint64_t loaded;
};

/* Return-address sites are stored relative to this function's address. */
static void fault_anchor(void) {}

static int64_t anchor_rel(const void *caller) {
  uintptr_t anchor = (uintptr_t)fault_anchor;
  return (int64_t)((uintptr_t)caller - anchor);
}

static const void *anchor_abs(int64_t rel) {
  uintptr_t anchor = (uintptr_t)fault_anchor;
  return (const void *)(anchor + (uintptr_t)rel);
}

/* ---------------------------------------------------------------------------
 * Random numbers: splitmix64, small and good enough for a coin.
 * ------------------------------------------------------------------------- */
static uint64_t rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ---------------------------------------------------------------------------
 * Site table.
 * ------------------------------------------------------------------------- */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001B3ull;
  }
  return h;
}

static uint64_t site_hash(const char *file, uint32_t line, int64_t rel,
                          kp_tag_t tag) {
  uint64_t h = 0xCBF29CE484222325ull;
  if (file != NULL) {
    h = hash_bytes(h, file, strlen(file));
    h = hash_bytes(h, &line, sizeof line);
  } else {
    h = hash_bytes(h, &rel, sizeof rel);
  }
  return hash_bytes(h, &tag, sizeof tag);
}

static bool site_equal(const fault_site_t *s, const char *file, uint32_t line,
                       int64_t rel, kp_tag_t tag) {
  if (s->tag != tag) return false;
  if (file == NULL || s->file == NULL)
    return file == NULL && s->file == NULL && s->rel == rel;
  return s->line == line && strcmp(s->file, file) == 0;
}

static bool buckets_grow(kpi_fault_t *f) {
  uint32_t n = f->bucket_count ? f->bucket_count * 2 : 64;
  uint32_t *b = calloc(n, sizeof *b);
  if (b == NULL) return false;
  for (uint32_t i = 0; i < f->site_count; i++) {
    uint32_t k = (uint32_t)(f->sites[i].hash & (n - 1));
    f->sites[i].chain = b[k];
    b[k] = i + 1;
  }
  free(f->buckets);
  f->buckets = b;
  f->bucket_count = n;
  return true;
}

/* The site of (file, line | rel, tag); created when @create. NULL when
 * memory is short (the caller then does not fail the request). */
static fault_site_t *site_get(kpi_fault_t *f, const char *file, uint32_t line,
                              int64_t rel, kp_tag_t tag, bool create) {
  uint64_t h = site_hash(file, line, rel, tag);
  if (f->bucket_count != 0) {
    for (uint32_t i = f->buckets[h & (f->bucket_count - 1)]; i != 0;
         i = f->sites[i - 1].chain) {
      fault_site_t *s = &f->sites[i - 1];
      if (s->hash == h && site_equal(s, file, line, rel, tag)) return s;
    }
  }
  if (!create) return NULL;
  if ((f->site_count + 1) * 2 > f->bucket_count && !buckets_grow(f))
    return NULL;
  if (f->site_count == f->site_cap) {
    uint32_t cap = f->site_cap ? f->site_cap * 2 : 32;
    fault_site_t *s = realloc(f->sites, cap * sizeof *s);
    if (s == NULL) return NULL;
    f->sites = s;
    f->site_cap = cap;
  }
  char *copy = NULL;
  if (file != NULL) {
    size_t n = strlen(file) + 1;
    copy = malloc(n);
    if (copy == NULL) return NULL;
    memcpy(copy, file, n);
  }
  fault_site_t *s = &f->sites[f->site_count];
  memset(s, 0, sizeof *s);
  s->file = copy;
  s->line = file != NULL ? line : 0;
  s->rel = file != NULL ? 0 : rel;
  s->tag = tag;
  s->hash = h;
  uint32_t k = (uint32_t)(h & (f->bucket_count - 1));
  s->chain = f->buckets[k];
  f->buckets[k] = f->site_count + 1;
  f->site_count++;
  return s;
}

/* The key of a request's site: file and line when known, else the return
 * address, else "no site" (rel 0), which groups such calls by tag. */
static fault_site_t *site_of(kpi_fault_t *f, kp_site_t site, kp_tag_t tag,
                             bool create) {
  if (site.file != NULL) return site_get(f, site.file, site.line, 0, tag, create);
  int64_t rel = site.caller != NULL ? anchor_rel(site.caller) : 0;
  return site_get(f, NULL, 0, rel, tag, create);
}

/* ---------------------------------------------------------------------------
 * The sites file: one site per line, appended as soon as it fails.
 *   F <tag hex> <line> <file>
 *   A <tag hex> <relative address, signed decimal>
 * ------------------------------------------------------------------------- */
static void file_append(kpi_fault_t *f, const fault_site_t *s) {
  if (f->file == NULL) return;
  FILE *fp = fopen(f->file, "a");
  if (fp == NULL) return;
  if (s->file != NULL)
    fprintf(fp, "F %08" PRIx32 " %" PRIu32 " %s\n", (uint32_t)s->tag, s->line,
            s->file);
  else
    fprintf(fp, "A %08" PRIx32 " %" PRId64 "\n", (uint32_t)s->tag, s->rel);
  fclose(fp);
}

static void file_load(kpi_fault_t *f) {
  FILE *fp = fopen(f->file, "r");
  if (fp == NULL) return; // no file yet: the first run
  char *line = malloc(FAULT_LINE_MAX);
  if (line == NULL) {
    fclose(fp);
    return;
  }
  while (fgets(line, FAULT_LINE_MAX, fp) != NULL) {
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    char kind = 0;
    unsigned long tag = 0;
    fault_site_t *s = NULL;
    if (line[0] == 'F') {
      unsigned long ln = 0;
      int used = 0;
      if (sscanf(line, "%c %lx %lu %n", &kind, &tag, &ln, &used) < 3 || used == 0 ||
          line[used] == '\0')
        continue;
      s = site_get(f, line + used, (uint32_t)ln, 0, (kp_tag_t)tag, true);
    } else if (line[0] == 'A') {
      long long rel = 0;
      if (sscanf(line, "%c %lx %lld", &kind, &tag, &rel) != 3) continue;
      s = site_get(f, NULL, 0, (int64_t)rel, (kp_tag_t)tag, true);
    }
    if (s != NULL && !s->loaded) {
      s->loaded = true;
      s->systematic = true;
      f->loaded++;
    }
  }
  free(line);
  fclose(fp);
}

/* ---------------------------------------------------------------------------
 * Lifetime.
 * ------------------------------------------------------------------------- */
static unsigned modes_now(const kpi_fault_t *f, uint32_t flags) {
  unsigned m = 0;
  if (flags & KP_VERIFY_LOW_RESOURCES) m |= FAULT_RANDOM;
  if (flags & KP_VERIFY_SYSTEMATIC_LRS) m |= FAULT_SYSTEMATIC;
  if (f->nth != 0) m |= FAULT_NTH;
  if (f->every != 0) m |= FAULT_EVERY;
  return m;
}

kpi_fault_t *kpi_fault_create(kp_system_t *sys) {
  const kp_config_t *cfg = &sys->cfg;
  kpi_fault_t *f = calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  kpi_mutex_init(&f->lock);
  atomic_init(&f->suspended, 0);
  (void)kpi_tag_patterns_parse(cfg->lrs_tags, &f->tags); // validated at create
  f->rng = cfg->lrs_seed;
  f->probability = cfg->lrs_probability;
  f->delay_allocations = cfg->lrs_delay_allocations;
  f->delay_ms = cfg->lrs_delay_ms;
  f->nth = cfg->fail_nth;
  f->every = cfg->fail_every_nth;
  if (cfg->systematic_sites_file != NULL) {
    size_t n = strlen(cfg->systematic_sites_file) + 1;
    f->file = malloc(n);
    if (f->file == NULL) {
      kpi_fault_destroy(f);
      return NULL;
    }
    memcpy(f->file, cfg->systematic_sites_file, n);
    file_load(f);
  }
  atomic_init(&f->active, modes_now(f, cfg->verifier_flags));
  return f;
}

void kpi_fault_destroy(kpi_fault_t *f) {
  if (f == NULL) return;
  for (uint32_t i = 0; i < f->site_count; i++) free(f->sites[i].file);
  free(f->sites);
  free(f->buckets);
  free(f->plan);
  free(f->file);
  kpi_mutex_destroy(&f->lock);
  free(f);
}

/* ---------------------------------------------------------------------------
 * The decision.
 * ------------------------------------------------------------------------- */
bool kpi_fault_decide(kp_system_t *sys, kpi_fault_t *f, const kpi_request_t *rq) {
  unsigned active = atomic_load_explicit(&f->active, memory_order_acquire);
  if (active == 0) return false;
  if (atomic_load_explicit(&f->suspended, memory_order_acquire) > 0) return false;
  if (f->tags.count != 0 && !kpi_tag_patterns_match(&f->tags, rq->tag))
    return false;
  // The clock has its own lock: read it before taking ours.
  uint64_t now = (active & FAULT_RANDOM) && f->delay_ms != 0 ? kp_clock_now(sys) : 0;

  unsigned why = 0;
  kpi_mutex_lock(&f->lock);
  active = atomic_load_explicit(&f->active, memory_order_relaxed);
  uint64_t cand = ++f->candidates;
  if ((active & FAULT_FUZZ) && f->plan_pos < f->plan_bits) {
    uint64_t k = f->plan_pos++;
    if ((f->plan[k / 8] >> (k % 8)) & 1u) why |= FAULT_FUZZ;
  }
  if ((active & FAULT_NTH) && cand - f->nth_base == f->nth) why |= FAULT_NTH;
  if ((active & FAULT_EVERY) && (cand - f->every_base) % f->every == 0)
    why |= FAULT_NTH;
  if ((active & FAULT_RANDOM) && cand > f->delay_allocations && now >= f->delay_ms) {
    // Draw for every eligible candidate, so a seed replays the same run.
    if (rng_next(&f->rng) % 10000u < f->probability) why |= FAULT_RANDOM;
  }
  fault_site_t *s = NULL;
  if (active & FAULT_SYSTEMATIC) {
    s = site_of(f, rq->site, rq->tag, true);
    if (s != NULL && !s->systematic && !s->excluded) {
      s->systematic = true;
      why |= FAULT_SYSTEMATIC;
      file_append(f, s);
    }
  }
  if (why != 0) {
    if (s == NULL) s = site_of(f, rq->site, rq->tag, true);
    if (s != NULL) s->faults++;
    f->injected++;
    if (why & FAULT_RANDOM) f->by_random++;
    if (why & FAULT_NTH) f->by_nth++;
    if (why & FAULT_SYSTEMATIC) f->by_systematic++;
    if (why & FAULT_FUZZ) f->by_fuzz++;
    kpi_fail_note(KP_FAIL_INJECTED,
                  "injected by Driver Verifier's low resources simulation "
                  "(%s)",
                  (why & FAULT_FUZZ)         ? "fuzzer-driven"
                  : (why & FAULT_SYSTEMATIC) ? "systematic, once per site"
                  : (why & FAULT_NTH)        ? "fail the Nth allocation"
                                             : "random");
  }
  kpi_mutex_unlock(&f->lock);
  return why != 0;
}

/* ---------------------------------------------------------------------------
 * Public control.
 * ------------------------------------------------------------------------- */
void kp_fault_suspend(kp_system_t *sys) {
  if (sys == NULL) return;
  // Created if missing: injection enabled later (kp_fault_set_nth, a fuzzer
  // plan) must still find the system suspended.
  kpi_fault_t *f = kpi_fault_of(sys, true);
  if (f != NULL) atomic_fetch_add(&f->suspended, 1);
}

void kp_fault_resume(kp_system_t *sys) {
  if (sys == NULL) return;
  kpi_fault_t *f = kpi_fault_of(sys, false);
  if (f == NULL) return;
  int cur = atomic_load(&f->suspended);
  while (cur > 0 && !atomic_compare_exchange_weak(&f->suspended, &cur, cur - 1)) {
  }
}

kp_status_t kp_fault_set_nth(kp_system_t *sys, uint64_t nth, uint64_t every_nth) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  kpi_fault_t *f = kpi_fault_of(sys, true);
  if (f == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_mutex_lock(&f->lock);
  f->nth = nth;
  f->nth_base = f->candidates;
  f->every = every_nth;
  f->every_base = f->candidates;
  unsigned m = atomic_load(&f->active) & ~(FAULT_NTH | FAULT_EVERY);
  if (nth != 0) m |= FAULT_NTH;
  if (every_nth != 0) m |= FAULT_EVERY;
  atomic_store(&f->active, m);
  kpi_mutex_unlock(&f->lock);
  return KP_STATUS_SUCCESS;
}

void kp_fault_systematic_reset(kp_system_t *sys) {
  if (sys == NULL) return;
  kpi_fault_t *f = kpi_fault_of(sys, false);
  if (f == NULL) return;
  kpi_mutex_lock(&f->lock);
  for (uint32_t i = 0; i < f->site_count; i++)
    if (!f->sites[i].loaded) f->sites[i].systematic = false;
  kpi_mutex_unlock(&f->lock);
}

kp_status_t kp_fault_systematic_exclude(kp_system_t *sys, kp_site_t site,
                                        kp_tag_t tag) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  kpi_fault_t *f = kpi_fault_of(sys, true);
  if (f == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_mutex_lock(&f->lock);
  fault_site_t *s = site_of(f, site, tag, true);
  if (s != NULL) s->excluded = true;
  kpi_mutex_unlock(&f->lock);
  return s != NULL ? KP_STATUS_SUCCESS : KP_STATUS_INSUFFICIENT_RESOURCES;
}

kp_status_t kp_fuzz_faults_begin(kp_system_t *sys, const uint8_t *plan,
                                 size_t size) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (plan == NULL && size != 0) return KP_STATUS_INVALID_PARAMETER_2;
  kpi_fault_t *f = kpi_fault_of(sys, true);
  if (f == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  uint8_t *copy = NULL;
  if (size != 0) {
    copy = malloc(size);
    if (copy == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
    memcpy(copy, plan, size);
  }
  kpi_mutex_lock(&f->lock);
  free(f->plan);
  f->plan = copy;
  f->plan_bits = (uint64_t)size * 8u;
  f->plan_pos = 0;
  atomic_fetch_or(&f->active, FAULT_FUZZ);
  kpi_mutex_unlock(&f->lock);
  return KP_STATUS_SUCCESS;
}

uint64_t kp_fuzz_faults_end(kp_system_t *sys) {
  if (sys == NULL) return 0;
  kpi_fault_t *f = kpi_fault_of(sys, false);
  if (f == NULL) return 0;
  kpi_mutex_lock(&f->lock);
  uint64_t used = f->plan_pos;
  atomic_fetch_and(&f->active, ~FAULT_FUZZ);
  free(f->plan);
  f->plan = NULL;
  f->plan_bits = 0;
  f->plan_pos = 0;
  kpi_mutex_unlock(&f->lock);
  return used;
}

uint64_t kp_fuzz_faults_consumed(kp_system_t *sys) {
  if (sys == NULL) return 0;
  kpi_fault_t *f = kpi_fault_of(sys, false);
  if (f == NULL) return 0;
  kpi_mutex_lock(&f->lock);
  uint64_t used = f->plan_pos;
  kpi_mutex_unlock(&f->lock);
  return used;
}

/* ---------------------------------------------------------------------------
 * Counters, sites, report.
 * ------------------------------------------------------------------------- */
void kpi_fault_counters(kpi_fault_t *f, kp_verifier_counters_t *out) {
  kpi_mutex_lock(&f->lock);
  out->faults_injected = f->injected;
  out->faults_random = f->by_random;
  out->faults_nth = f->by_nth;
  out->faults_systematic = f->by_systematic;
  out->faults_fuzz = f->by_fuzz;
  out->fault_candidates = f->candidates;
  kpi_mutex_unlock(&f->lock);
}

static void site_public(const fault_site_t *s, kp_fault_site_t *out) {
  memset(out, 0, sizeof *out);
  if (s->file != NULL)
    out->site = kp_site(s->file, s->line, NULL);
  else
    out->site = kp_site(NULL, 0, s->rel != 0 ? anchor_abs(s->rel) : NULL);
  out->tag = s->tag;
  out->faults = s->faults;
  out->systematic = s->systematic;
  out->loaded = s->loaded;
  out->excluded = s->excluded;
}

void kp_fault_visit_sites(kp_system_t *sys, kp_fault_site_fn fn, void *arg) {
  if (sys == NULL || fn == NULL) return;
  kpi_fault_t *f = kpi_fault_of(sys, false);
  if (f == NULL) return;
  // Copy out first: @fn runs without the lock (it may allocate, which asks
  // for a decision under this lock).
  kpi_mutex_lock(&f->lock);
  uint32_t n = f->site_count;
  kp_fault_site_t *copy = n != 0 ? malloc(n * sizeof *copy) : NULL;
  if (copy == NULL) n = 0;
  for (uint32_t i = 0; i < n; i++) site_public(&f->sites[i], &copy[i]);
  kpi_mutex_unlock(&f->lock);
  for (uint32_t i = 0; i < n; i++)
    if (!fn(&copy[i], arg)) break;
  free(copy);
}

static void report_site_line(kp_output_fn out, void *arg, const fault_site_t *s) {
  char line[FAULT_LINE_MAX + 128];
  char tag[5];
  char where[FAULT_LINE_MAX];
  if (s->file != NULL)
    snprintf(where, sizeof where, "%s:%" PRIu32, s->file, s->line);
  else if (s->rel != 0)
    snprintf(where, sizeof where, "caller %p", anchor_abs(s->rel));
  else
    snprintf(where, sizeof where, "unknown site");
  snprintf(line, sizeof line, "    %-48s tag '%s'  %" PRIu64 " fault%s%s%s\n",
           where, kp_tag_text(s->tag, tag), s->faults, s->faults == 1 ? "" : "s",
           s->loaded ? "  [failed in an earlier run]" : "",
           s->excluded ? "  [excluded]" : "");
  out(line, arg);
}

void kpi_fault_write_report(kp_system_t *sys, kpi_fault_t *f, kp_output_fn out,
                            void *arg) {
  (void)sys;
  char line[512];
  kpi_mutex_lock(&f->lock);
  unsigned active = atomic_load(&f->active);
  snprintf(line, sizeof line,
           "Low resources simulation: %" PRIu64 " fault%s injected in %" PRIu64
           " candidate allocation%s (random %" PRIu64 ", Nth %" PRIu64
           ", systematic %" PRIu64 ", fuzzer %" PRIu64 ")%s\n",
           f->injected, f->injected == 1 ? "" : "s", f->candidates,
           f->candidates == 1 ? "" : "s", f->by_random, f->by_nth,
           f->by_systematic, f->by_fuzz,
           atomic_load(&f->suspended) > 0 ? " [suspended]" : "");
  out(line, arg);
  if (active & FAULT_RANDOM) {
    snprintf(line, sizeof line,
             "  random: probability %" PRIu32 "/10000, delay %" PRIu64
             " allocations and %" PRIu64 " ms\n",
             f->probability, f->delay_allocations, f->delay_ms);
    out(line, arg);
  }
  bool header = false;
  for (uint32_t i = 0; i < f->site_count; i++) {
    const fault_site_t *s = &f->sites[i];
    if (s->faults == 0) continue;
    if (!header) {
      out("  sites failed in this run:\n", arg);
      header = true;
    }
    report_site_line(out, arg, s);
  }
  uint32_t excluded = 0;
  for (uint32_t i = 0; i < f->site_count; i++) excluded += f->sites[i].excluded;
  if ((active & FAULT_SYSTEMATIC) || f->loaded != 0) {
    snprintf(line, sizeof line,
             "  systematic: %" PRIu64 " site%s loaded from %s, %" PRIu64
             " failed in this run, %" PRIu32 " excluded\n",
             f->loaded, f->loaded == 1 ? "" : "s",
             f->file != NULL ? f->file : "(no sites file)", f->by_systematic,
             excluded);
    out(line, arg);
  }
  kpi_mutex_unlock(&f->lock);
}

void kp_fault_report(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  if (out == NULL) {
    out = sys->cfg.out != NULL ? sys->cfg.out : kpi_default_out;
    arg = sys->cfg.out != NULL ? sys->cfg.out_arg : NULL;
  }
  kpi_fault_t *f = kpi_fault_of(sys, false);
  if (f == NULL) {
    out("Low resources simulation: off\n", arg);
    return;
  }
  kpi_fault_write_report(sys, f, out, arg);
}
