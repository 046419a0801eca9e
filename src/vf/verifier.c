/*
 * verifier.c — the Driver Verifier module of a system (special pool and
 * low resources simulation behind one alloc_hook), force IRQL checking, the
 * page-fault callback that turns touches of protected verifier memory into
 * bug checks, tag patterns, the verifier's configuration and counters.
 *
 * Force IRQL checking keeps one process-wide count of host threads whose
 * simulated IRQL is DISPATCH_LEVEL or above (IRQL is per thread, shared by
 * all systems). irql.c reports every crossing of DISPATCH_LEVEL through
 * kpi_irql_changed(); each rise trims the paged pool of every system that
 * has the flag, and the last fall restores it, both under one global lock
 * so that a trim and a restore never interleave.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf/kp_verifier.h"
#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "sim/kp_sim.h"

/* Systems with special pool or force IRQL checking, for the fault
 * callback (which runs in a signal handler and must not lock to find
 * them). */
#define VF_MAX_SYSTEMS 64u

struct kpi_verifier_state {
  kp_system_t *sys;
  kpi_fault_t *fault;          /* always present */
  kpi_special_t *special;      /* NULL without KP_VERIFY_SPECIAL_POOL */
  bool force_irql;
  int entry;                   /* index in vf_table, -1 when not listed */
  atomic_uint_fast64_t trims;
  atomic_uint_fast64_t page_ins;
};
typedef struct kpi_verifier_state vf_state_t;

typedef struct vf_entry {
  _Atomic(vf_state_t *) vf;
  _Atomic uintptr_t paged_lo;  /* force IRQL: the paged arena, else 0 */
  _Atomic uintptr_t paged_hi;
  atomic_bool trimmed;
} vf_entry_t;

static vf_entry_t vf_table[VF_MAX_SYSTEMS];
static atomic_uint vf_force_systems;  /* entries with force IRQL */
static atomic_uint vf_raised;         /* threads at >= DISPATCH_LEVEL */
static kpi_mutex_t vf_lock;
static atomic_flag vf_lock_flag = ATOMIC_FLAG_INIT;
static atomic_int vf_lock_ready;
static bool vf_fault_registered;      /* under vf_lock */
static _Thread_local unsigned vf_internal;

static void vf_global_lock(void) {
  // Lazily initialised without pthread_once: only src/os includes OS
  // headers. The first caller initialises; the others wait for it.
  if (!atomic_flag_test_and_set(&vf_lock_flag)) {
    kpi_mutex_init(&vf_lock);
    atomic_store(&vf_lock_ready, 1);
  }
  while (atomic_load(&vf_lock_ready) == 0) kpi_os_yield();
  kpi_mutex_lock(&vf_lock);
}

static void vf_global_unlock(void) { kpi_mutex_unlock(&vf_lock); }

const char *kpi_access_text(int write) {
  if (write == 1) return "wrote";
  if (write == 0) return "read";
  return "touched (read or write: the host does not say)";
}

/* ---------------------------------------------------------------------------
 * Tag patterns.
 * ------------------------------------------------------------------------- */
bool kpi_tag_patterns_parse(const char *text, kpi_tag_patterns_t *out) {
  memset(out, 0, sizeof *out);
  if (text == NULL) return true;
  const char *p = text;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '\0') return true;
    const char *start = p;
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ',') p++;
    size_t n = (size_t)(p - start);
    if (n > KPI_TAG_PATTERN_LEN || out->count == KPI_TAG_PATTERNS_MAX) {
      memset(out, 0, sizeof *out);
      return false;
    }
    memcpy(out->pat[out->count], start, n);
    out->pat[out->count][n] = '\0';
    out->count++;
  }
}

/* Glob match of @pat against @s: '?' one character, '*' any run. */
static bool glob_match(const char *pat, const char *s) {
  const char *star = NULL;
  const char *resume = NULL;
  while (*s != '\0') {
    if (*pat == '*') {
      star = pat++;
      resume = s;
    } else if (*pat == '?' || *pat == *s) {
      pat++;
      s++;
    } else if (star != NULL) {
      pat = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (*pat == '*') pat++;
  return *pat == '\0';
}

bool kpi_tag_patterns_match(const kpi_tag_patterns_t *p, kp_tag_t tag) {
  char text[5];
  kp_tag_text(tag & 0x7FFFFFFFu, text);
  // A short tag prints with trailing blanks; patterns are written without.
  size_t n = strlen(text);
  while (n > 0 && text[n - 1] == ' ') text[--n] = '\0';
  for (uint32_t i = 0; i < p->count; i++)
    if (glob_match(p->pat[i], text)) return true;
  return false;
}

/* ---------------------------------------------------------------------------
 * Configuration (called by system.c).
 * ------------------------------------------------------------------------- */
void kpi_verifier_config_init(kp_config_t *cfg) {
  cfg->special_pool_tags = NULL;
  cfg->special_pool_min_size = 0;
  cfg->special_pool_max_size = 0;
  cfg->special_pool_pages = 4096;
  cfg->special_pool_freed_pages = 1024;
  cfg->special_pool_underrun = false;
  cfg->special_pool_fill = 0x5A;
  cfg->lrs_seed = 1;
  cfg->lrs_probability = 600;
  cfg->lrs_tags = NULL;
  cfg->lrs_delay_allocations = 0;
  cfg->lrs_delay_ms = 0;
  cfg->fail_nth = 0;
  cfg->fail_every_nth = 0;
  cfg->systematic_sites_file = NULL;
  cfg->sanitizer_poisoning = true;
}

bool kpi_verifier_config_valid(const kp_config_t *cfg) {
  kpi_tag_patterns_t pats;
  if (!kpi_tag_patterns_parse(cfg->special_pool_tags, &pats)) return false;
  if (!kpi_tag_patterns_parse(cfg->lrs_tags, &pats)) return false;
  if (cfg->special_pool_max_size != 0 &&
      cfg->special_pool_min_size > cfg->special_pool_max_size)
    return false;
  if (cfg->special_pool_max_size == 0 && cfg->special_pool_min_size != 0)
    return false;
  if (cfg->special_pool_pages < 1 || cfg->special_pool_pages > (1u << 20))
    return false;
  if (cfg->lrs_probability > 10000) return false;
  if (cfg->systematic_sites_file != NULL && cfg->systematic_sites_file[0] == '\0')
    return false;
  return true;
}

/* ---------------------------------------------------------------------------
 * Module hooks.
 * ------------------------------------------------------------------------- */
/* The node a request's counters belong to. */
static uint32_t request_node(kp_system_t *sys, const kpi_request_t *rq) {
  if (rq->kind != KP_POOL_NONPAGED) return 0;
  uint32_t node = rq->node == KPI_NODE_CURRENT ? kp_thread_node(sys) : rq->node;
  return node < sys->cfg.numa_nodes ? node : 0;
}

static bool vf_alloc_hook(kp_system_t *sys, void *state, const kpi_request_t *rq,
                          void **result, kp_status_t *why) {
  vf_state_t *v = state;
  if (kpi_fault_decide(sys, v->fault, rq)) {
    // Per-tag failures stay whole: the pools never saw this request.
    kpi_stats_note(sys, rq->kind, request_node(sys, rq), rq->tag, 0, 0);
    *result = NULL;
    *why = KP_STATUS_INSUFFICIENT_RESOURCES;
    return true;
  }
  if (v->special != NULL) return kpi_special_alloc(sys, v->special, rq, result, why);
  return false;
}

static bool vf_free_hook(kp_system_t *sys, void *state, void *p, kp_tag_t tag,
                         bool check_tag, kp_site_t site) {
  vf_state_t *v = state;
  return v->special != NULL &&
         kpi_special_free(sys, v->special, p, tag, check_tag, site);
}

static bool vf_query_hook(kp_system_t *sys, void *state, const void *p,
                          kp_block_info_t *info) {
  (void)sys;
  vf_state_t *v = state;
  return v->special != NULL && kpi_special_query(v->special, p, info);
}

static bool vf_visit_hook(kp_system_t *sys, void *state, kp_block_visitor_fn fn,
                          void *arg) {
  (void)sys;
  vf_state_t *v = state;
  return v->special == NULL || kpi_special_visit(v->special, fn, arg);
}

static void vf_report_hook(kp_system_t *sys, void *state, kp_output_fn out,
                           void *arg) {
  (void)state;
  kp_verifier_report(sys, out, arg);
}

static void vf_unlist(vf_state_t *v);

static void vf_destroy_hook(kp_system_t *sys, void *state) {
  (void)sys;
  vf_state_t *v = state;
  vf_unlist(v);
  kpi_special_destroy(v->special);
  kpi_fault_destroy(v->fault);
  free(v);
}

static const kpi_module_ops_t vf_ops = {
    .name = "verifier",
    .tick = NULL,
    .unload_check = NULL,
    .before_free = NULL,
    .alloc_hook = vf_alloc_hook,
    .free_hook = vf_free_hook,
    .query_hook = vf_query_hook,
    .visit_hook = vf_visit_hook,
    .report = vf_report_hook,
    .destroy = vf_destroy_hook,
};

/* ---------------------------------------------------------------------------
 * The fault callback.
 * ------------------------------------------------------------------------- */
static void page_in(void *addr) {
  size_t host = kpi_os_page_size();
  uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(host - 1);
  (void)kpi_os_protect((void *)page, host, KPI_PROT_READWRITE);
}

static bool vf_fault(void *addr, int write, void *arg) {
  (void)arg;
  uintptr_t a = (uintptr_t)addr;
  for (uint32_t i = 0; i < VF_MAX_SYSTEMS; i++) {
    vf_entry_t *e = &vf_table[i];
    vf_state_t *v = atomic_load(&e->vf);
    if (v == NULL) continue;
    if (v->special != NULL && kpi_special_contains(v->special, addr))
      return kpi_special_fault(v->sys, v->special, addr, write);
    uintptr_t lo = atomic_load(&e->paged_lo);
    if (lo == 0 || a < lo || a >= atomic_load(&e->paged_hi)) continue;
    kp_irql_t irql = kpi_irql();
    if (irql >= KP_DISPATCH_LEVEL && vf_internal == 0 && atomic_load(&e->trimmed))
      kpi_force_irql_bugcheck(v->sys, addr, write, irql);
    else
      atomic_fetch_add(&v->page_ins, 1);
    // Paged in; after a bug check only when the handler returned, so that
    // the access completes as documented.
    page_in(addr);
    return true;
  }
  return false;
}

void kpi_force_irql_bugcheck(kp_system_t *sys, void *addr, int write,
                             kp_irql_t irql) {
  kp_block_info_t info;
  bool have = kp_block_query(sys, addr, &info);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.block = have ? &info : NULL;
  char tag[5];
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_DRIVER_IRQL_NOT_LESS_OR_EQUAL, (uint64_t)(uintptr_t)addr,
      irql, write == 1 ? 1 : 0, 0, &ctx,
      "The driver %s paged pool at %p at IRQL %u, at or above DISPATCH_LEVEL%s%s%s. "
      "Force IRQL Checking makes paged pool inaccessible while any thread "
      "is at DISPATCH_LEVEL or above; on Windows this access could page-fault "
      "with no way to service it.",
      kpi_access_text(write), addr, (unsigned)irql,
      have ? " (inside a block tagged '" : "", have ? kp_tag_text(info.tag, tag) : "",
      have ? "')" : "");
}

void kpi_force_irql_note_page_in(kp_system_t *sys) {
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v != NULL) atomic_fetch_add(&v->page_ins, 1);
}

void kpi_force_irql_internal_enter(void) { vf_internal++; }
void kpi_force_irql_internal_leave(void) {
  if (vf_internal > 0) vf_internal--;
}
bool kpi_force_irql_internal(void) { return vf_internal != 0; }

/* ---------------------------------------------------------------------------
 * Trimming (vf_lock held).
 * ------------------------------------------------------------------------- */
static void entry_trim(vf_entry_t *e, vf_state_t *v) {
  uintptr_t lo = atomic_load(&e->paged_lo);
  uintptr_t hi = atomic_load(&e->paged_hi);
  atomic_store(&e->trimmed, true);
  (void)kpi_os_protect((void *)lo, hi - lo, KPI_PROT_NONE);
  if (v->special != NULL) kpi_special_trim(v->special);
  atomic_fetch_add(&v->trims, 1);
}

static void entry_untrim(vf_entry_t *e, vf_state_t *v) {
  uintptr_t lo = atomic_load(&e->paged_lo);
  uintptr_t hi = atomic_load(&e->paged_hi);
  (void)kpi_os_protect((void *)lo, hi - lo, KPI_PROT_READWRITE);
  if (v->special != NULL) kpi_special_untrim(v->special);
  atomic_store(&e->trimmed, false);
}

void kpi_irql_changed(kp_irql_t old_irql, kp_irql_t new_irql) {
  bool up = old_irql < KP_DISPATCH_LEVEL && new_irql >= KP_DISPATCH_LEVEL;
  bool down = old_irql >= KP_DISPATCH_LEVEL && new_irql < KP_DISPATCH_LEVEL;
  if (!up && !down) return;
  if (atomic_load(&vf_force_systems) == 0) {
    // Nobody to trim: keep the count right and stay off the lock.
    if (up) {
      atomic_fetch_add(&vf_raised, 1);
    } else {
      unsigned cur = atomic_load(&vf_raised);
      while (cur > 0 && !atomic_compare_exchange_weak(&vf_raised, &cur, cur - 1)) {
      }
    }
    return;
  }
  vf_global_lock();
  unsigned cur = atomic_load(&vf_raised);
  if (up)
    atomic_store(&vf_raised, cur + 1);
  else if (cur > 0)
    atomic_store(&vf_raised, cur - 1);
  bool trim = up;
  bool untrim = down && atomic_load(&vf_raised) == 0;
  if (trim) kpi_os_fault_rearm();
  for (uint32_t i = 0; i < VF_MAX_SYSTEMS && (trim || untrim); i++) {
    vf_entry_t *e = &vf_table[i];
    vf_state_t *v = atomic_load(&e->vf);
    if (v == NULL || !v->force_irql) continue;
    if (trim)
      entry_trim(e, v);
    else if (atomic_load(&e->trimmed))
      entry_untrim(e, v);
  }
  vf_global_unlock();
}

/* ---------------------------------------------------------------------------
 * Registration.
 * ------------------------------------------------------------------------- */
static bool vf_list(vf_state_t *v) {
  bool ok = false;
  vf_global_lock();
  if (!vf_fault_registered) vf_fault_registered = kpi_os_fault_register(vf_fault, NULL);
  // A test framework may have replaced the process's handler since.
  if (vf_fault_registered) kpi_os_fault_rearm();
  for (uint32_t i = 0; vf_fault_registered && i < VF_MAX_SYSTEMS; i++) {
    vf_entry_t *e = &vf_table[i];
    if (atomic_load(&e->vf) != NULL) continue;
    v->entry = (int)i;
    atomic_store(&e->trimmed, false);
    if (v->force_irql) {
      kpi_pool_t *paged = kpi_pool_for(v->sys, KP_POOL_PAGED, 0);
      atomic_store(&e->paged_lo, (uintptr_t)paged->base);
      atomic_store(&e->paged_hi, (uintptr_t)paged->base + paged->pages * KPI_PAGE_SIZE);
      atomic_fetch_add(&vf_force_systems, 1);
    } else {
      atomic_store(&e->paged_lo, 0);
      atomic_store(&e->paged_hi, 0);
    }
    atomic_store(&e->vf, v);
    // A thread already at DISPATCH_LEVEL: trim now, as it would have been.
    if (v->force_irql && atomic_load(&vf_raised) > 0) entry_trim(e, v);
    ok = true;
    break;
  }
  vf_global_unlock();
  return ok;
}

static void vf_unlist(vf_state_t *v) {
  if (v->entry < 0) return;
  vf_global_lock();
  vf_entry_t *e = &vf_table[v->entry];
  if (atomic_load(&e->trimmed)) entry_untrim(e, v);
  if (v->force_irql) atomic_fetch_sub(&vf_force_systems, 1);
  atomic_store(&e->vf, NULL);
  atomic_store(&e->paged_lo, 0);
  atomic_store(&e->paged_hi, 0);
  v->entry = -1;
  vf_global_unlock();
}

static vf_state_t *vf_new(kp_system_t *sys, bool full) {
  vf_state_t *v = calloc(1, sizeof *v);
  if (v == NULL) return NULL;
  v->sys = sys;
  v->entry = -1;
  atomic_init(&v->trims, 0);
  atomic_init(&v->page_ins, 0);
  v->fault = kpi_fault_create(sys);
  uint32_t flags = sys->cfg.verifier_flags;
  bool ok = v->fault != NULL;
  if (ok && full && (flags & KP_VERIFY_SPECIAL_POOL)) {
    v->special = kpi_special_create(sys);
    ok = v->special != NULL;
  }
  if (ok && full) v->force_irql = (flags & KP_VERIFY_FORCE_IRQL) != 0;
  if (ok && (v->special != NULL || v->force_irql)) ok = vf_list(v);
  if (!ok) {
    vf_destroy_hook(sys, v);
    return NULL;
  }
  return v;
}

bool kpi_verifier_attach(kp_system_t *sys) {
  const kp_config_t *cfg = &sys->cfg;
  uint32_t want = KP_VERIFY_SPECIAL_POOL | KP_VERIFY_FORCE_IRQL |
                  KP_VERIFY_LOW_RESOURCES | KP_VERIFY_SYSTEMATIC_LRS;
  if ((cfg->verifier_flags & want) == 0 && cfg->fail_nth == 0 &&
      cfg->fail_every_nth == 0)
    return true;
  vf_state_t *v = vf_new(sys, true);
  if (v == NULL) return false;
  if (!kpi_system_add_module(sys, &vf_ops, v)) {
    vf_destroy_hook(sys, v);
    return false;
  }
  return true;
}

bool kpi_fault_inject(kp_system_t *sys, const kpi_request_t *rq) {
  if (atomic_load(&sys->alloc_hooks) == 0) return false;
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v == NULL || !kpi_fault_decide(sys, v->fault, rq)) return false;
  kpi_stats_note(sys, rq->kind, request_node(sys, rq), rq->tag, 0, 0);
  return true;
}

void kp_verifier_arm_fault_handler(void) {
  if (atomic_load(&vf_lock_ready) == 0) return;
  vf_global_lock();
  bool armed = vf_fault_registered;
  vf_global_unlock();
  if (armed) kpi_os_fault_rearm();
}

kpi_fault_t *kpi_fault_of(kp_system_t *sys, bool create) {
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v != NULL || !create) return v != NULL ? v->fault : NULL;
  v = vf_new(sys, false);
  if (v == NULL) return NULL;
  if (!kpi_system_add_module(sys, &vf_ops, v)) {
    // Another thread was first (or the table is full).
    vf_destroy_hook(sys, v);
    v = kpi_system_module(sys, &vf_ops);
  }
  return v != NULL ? v->fault : NULL;
}

/* ---------------------------------------------------------------------------
 * Public queries.
 * ------------------------------------------------------------------------- */
bool kp_special_pool_query(kp_system_t *sys, const void *p, kp_special_info_t *info) {
  if (sys == NULL || p == NULL) return false;
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v == NULL || v->special == NULL) return false;
  return kpi_special_where(v->special, p, info);
}

uint32_t kp_force_irql_raised_threads(void) { return atomic_load(&vf_raised); }

bool kp_force_irql_trimmed(kp_system_t *sys) {
  if (sys == NULL) return false;
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v == NULL || v->entry < 0 || !v->force_irql) return false;
  return atomic_load(&vf_table[v->entry].trimmed);
}

bool kp_verifier_counters_get(kp_system_t *sys, kp_verifier_counters_t *out) {
  if (sys == NULL || out == NULL || out->size != sizeof *out) return false;
  kp_verifier_counters_t c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  kp_stats_t st = KP_STATS_INIT;
  if (kp_stats_get(sys, &st)) {
    c.allocations_succeeded = st.pool[KP_POOL_PAGED].allocs + st.pool[KP_POOL_NONPAGED].allocs;
    c.allocations_with_no_tag = st.untagged_allocs;
  }
  c.allocations_failed = atomic_load(&sys->failed_allocs);
  c.allocations_attempted = c.allocations_succeeded + c.allocations_failed;
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v != NULL) {
    kpi_fault_counters(v->fault, &c);
    if (v->special != NULL) kpi_special_counters(v->special, &c);
    c.force_irql_trims = atomic_load(&v->trims);
    c.force_irql_page_ins = atomic_load(&v->page_ins);
  }
  *out = c;
  return true;
}

void kp_verifier_report(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  if (out == NULL) {
    out = sys->cfg.out != NULL ? sys->cfg.out : kpi_default_out;
    arg = sys->cfg.out != NULL ? sys->cfg.out_arg : NULL;
  }
  kp_verifier_counters_t c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  (void)kp_verifier_counters_get(sys, &c);
  char line[1024];
  snprintf(line, sizeof line,
           "Driver Verifier (%s): flags 0x%08" PRIx32 "\n"
           "  Pool Allocations Attempted              %" PRIu64 "\n"
           "  Pool Allocations Succeeded              %" PRIu64 "\n"
           "  Pool Allocations Succeeded SpecialPool  %" PRIu64 "\n"
           "  Pool Allocations With No Tag            %" PRIu64 "\n"
           "  Pool Allocations Failed                 %" PRIu64 "\n"
           "  Resource Allocations Failed Deliberately %" PRIu64 "\n",
           sys->cfg.driver_name != NULL ? sys->cfg.driver_name : "driver",
           sys->cfg.verifier_flags, c.allocations_attempted,
           c.allocations_succeeded, c.allocations_succeeded_special,
           c.allocations_with_no_tag, c.allocations_failed, c.faults_injected);
  out(line, arg);
  // kpool: why they failed (Windows fails by rule silently).
  uint64_t by_kind[KP_FAIL_KIND_COUNT_];
  kp_fail_counts(sys, by_kind);
  snprintf(line, sizeof line,
           "  Failed by rule (flags, tag, parameters) %" PRIu64 "\n"
           "  Failed by injection                     %" PRIu64 "\n"
           "  Failed by pool pressure                 %" PRIu64 "\n"
           "  Failed by quota                         %" PRIu64 "\n"
           "  Failed by NUMA node                     %" PRIu64 "\n",
           by_kind[KP_FAIL_RULE], by_kind[KP_FAIL_INJECTED],
           by_kind[KP_FAIL_PRESSURE], by_kind[KP_FAIL_QUOTA], by_kind[KP_FAIL_NODE]);
  out(line, arg);
  vf_state_t *v = kpi_system_module(sys, &vf_ops);
  if (v == NULL) return;
  if (v->special != NULL) kpi_special_write_report(sys, v->special, out, arg);
  if (v->force_irql) {
    snprintf(line, sizeof line,
             "Force IRQL checking: paged pool trimmed %" PRIu64 " time%s, %" PRIu64
             " page%s brought back by faults at a legal IRQL%s\n",
             c.force_irql_trims, c.force_irql_trims == 1 ? "" : "s",
             c.force_irql_page_ins, c.force_irql_page_ins == 1 ? "" : "s",
             kp_force_irql_trimmed(sys) ? " (trimmed now)" : "");
    out(line, arg);
  }
  kpi_fault_write_report(sys, v->fault, out, arg);
}
