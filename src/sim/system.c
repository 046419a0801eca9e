/*
 * system.c — the simulated machine: configuration, creation and
 * destruction, the current system behind the WDK names, per-thread state,
 * the virtual clock, module registry and output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "sim/kp_sim.h"
#include "vf/kp_verifier.h"
#include "sim/monitor_internal.h"

/* ---------------------------------------------------------------------------
 * Per-thread state.
 * ------------------------------------------------------------------------- */
_Thread_local kpi_thread_t kpi_thread_state;
static atomic_uint sys_next_thread_id = 1;

void kpi_thread_first_use(kpi_thread_t *t) {
  if (t->id == 0) t->id = atomic_fetch_add(&sys_next_thread_id, 1);
}

uint32_t kp_thread_id(void) { return kpi_thread()->id; }

uint32_t kp_thread_processor(void) { return kpi_thread()->processor; }

uint32_t kp_thread_node(const kp_system_t *sys) {
  uint32_t per = sys != NULL ? sys->cfg.processors_per_node : 1;
  uint32_t node = kpi_thread()->processor / (per ? per : 1);
  if (sys != NULL && node >= sys->cfg.numa_nodes) node = 0;
  return node;
}

kp_status_t kp_thread_set_processor(kp_system_t *sys, uint32_t cpu) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (cpu >= sys->cfg.numa_nodes * sys->cfg.processors_per_node)
    return KP_STATUS_INVALID_PARAMETER;
  kpi_thread()->processor = cpu;
  return KP_STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------
 * Configuration.
 * ------------------------------------------------------------------------- */
void kp_config_init(kp_config_t *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->verifier_flags = KP_VERIFY_DEFAULT;
  cfg->driver_name = "kpool-driver.sys";
  cfg->paged_pool_bytes = (size_t)256 << 20;
  cfg->nonpaged_pool_bytes = (size_t)128 << 20;
  cfg->low_priority_reserve_percent = 20;
  cfg->normal_priority_reserve_percent = 5;
  cfg->quota_limit = (size_t)64 << 20;
  cfg->numa_nodes = 1;
  cfg->processors_per_node = 2;
  cfg->uninit_fill = 0xCD;
  cfg->free_fill = 0xDD;
  cfg->canary_fill = 0xFD;
  cfg->quarantine_blocks = 256;
  cfg->quarantine_bytes = (size_t)4 << 20;
  cfg->out = NULL;
  cfg->out_arg = NULL;
  cfg->lookaside_minimum_depth = 4;
  cfg->lookaside_maximum_depth = 256;
  cfg->lookaside_alloc_threshold = 25;
  cfg->lookaside_idle_decrement = 10;
  cfg->lookaside_lowmiss_decrement = 1;
  cfg->lookaside_grow_base = 5;
  cfg->lookaside_grow_max = 30;
  cfg->lookaside_scan_period = 3;
  cfg->time_increment = 156250;
  cfg->boot_system_time = 133485408000000000LL;
  kpi_verifier_config_init(cfg); // special pool, fault injection, sanitizers
}

static bool config_valid(const kp_config_t *cfg) {
  if (cfg->size != sizeof *cfg) return false;
  if (cfg->numa_nodes < 1 || cfg->numa_nodes > KPI_MAX_NODES) return false;
  if (cfg->processors_per_node < 1 ||
      cfg->processors_per_node > KPI_MAX_PROCESSORS_PER_NODE)
    return false;
  // Each pool needs at least one page and must fit the 32-bit page index.
  if (cfg->paged_pool_bytes < KPI_PAGE_SIZE ||
      cfg->nonpaged_pool_bytes < KPI_PAGE_SIZE)
    return false;
  if (cfg->paged_pool_bytes > ((size_t)1 << 40) ||
      cfg->nonpaged_pool_bytes > ((size_t)1 << 40))
    return false;
  if (cfg->low_priority_reserve_percent > 100 ||
      cfg->normal_priority_reserve_percent > 100 ||
      cfg->normal_priority_reserve_percent > cfg->low_priority_reserve_percent)
    return false;
  if (cfg->lookaside_minimum_depth > cfg->lookaside_maximum_depth) return false;
  if (cfg->lookaside_scan_period == 0) return false;
  if (cfg->uninit_fill == 0) return false;
  if (cfg->time_increment < 5000 || cfg->time_increment > 156250) return false;
  if (cfg->boot_system_time < 0) return false;
  if (!kpi_verifier_config_valid(cfg)) return false;
  return true;
}

/* ---------------------------------------------------------------------------
 * Pools (the arenas themselves are in mm/pool_arena.c).
 * ------------------------------------------------------------------------- */
/* Names each system's lifetime (kp_system::generation). */
static atomic_uint_fast64_t sys_generations;
kp_system_t *kp_system_create(const kp_config_t *cfg) {
  kp_config_t defaults;
  if (cfg == NULL) {
    kp_config_init(&defaults);
    cfg = &defaults;
  }
  if (!config_valid(cfg)) return NULL;

  kp_system_t *sys = calloc(1, sizeof *sys);
  if (sys == NULL) return NULL;
  sys->cfg = *cfg;
  sys->pool_count = 1 + cfg->numa_nodes;
  sys->pools = calloc(sys->pool_count, sizeof *sys->pools);
  if (sys->pools == NULL) {
    free(sys);
    return NULL;
  }
  kpi_mutex_init(&sys->lock);
  atomic_init(&sys->advance_owner, 0);
  atomic_init(&sys->sequence, 0);
  sys->generation = atomic_fetch_add(&sys_generations, 1) + 1;
  atomic_init(&sys->bugcheck_count, 0);
  atomic_init(&sys->untagged_allocs, 0);
  atomic_init(&sys->failed_allocs, 0);
  atomic_init(&sys->quota_used, 0);
  atomic_init(&sys->before_free_hooks, 0);
  atomic_init(&sys->alloc_hooks, 0);
  atomic_init(&sys->module_count, 0);
  atomic_init(&sys->rt_running, false);
  atomic_init(&sys->rt_stop, false);
  atomic_init(&sys->foreign_hooks, 0);
  sys->next_ticker_id = 1;

  bool ok = kpi_pool_init(&sys->pools[0], KP_POOL_PAGED, 0,
                          cfg->paged_pool_bytes);
  for (uint32_t n = 0; ok && n < cfg->numa_nodes; n++)
    ok = kpi_pool_init(&sys->pools[1 + n], KP_POOL_NONPAGED, n,
                       cfg->nonpaged_pool_bytes);
  if (!ok) {
    for (uint32_t i = 0; i < sys->pool_count; i++) kpi_pool_fini(&sys->pools[i]);
    kpi_mutex_destroy(&sys->lock);
    free(sys->pools);
    free(sys);
    return NULL;
  }
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    sys->pools[i].index = i;
    // Force IRQL checking protects paged pool pages: such an arena is not
    // parked for reuse by a later system.
    if (cfg->verifier_flags & KP_VERIFY_FORCE_IRQL) sys->pools[i].no_cache = true;
  }
  // Special pool, force IRQL checking, fault injection (verifier.c).
  if (!kpi_verifier_attach(sys)) {
    kp_system_destroy(sys);
    return NULL;
  }
  // The trace and HTML report, when the configuration names their files.
  if (!kpi_monitor_attach(sys)) {
    kp_system_destroy(sys);
    return NULL;
  }
  return sys;
}

const kp_config_t *kp_system_config(const kp_system_t *sys) {
  return sys != NULL ? &sys->cfg : NULL;
}

/* ---------------------------------------------------------------------------
 * The current system.
 * ------------------------------------------------------------------------- */
static _Atomic(kp_system_t *) sys_current;
static kpi_mutex_t sys_current_lock;
static atomic_flag sys_current_lock_ready_flag = ATOMIC_FLAG_INIT;
static atomic_int sys_current_lock_ready;

static void current_lock(void) {
  // Lazily initialised without pthread_once so that system.c stays free of
  // OS headers; the first thread initialises, the others wait for it.
  if (!atomic_flag_test_and_set(&sys_current_lock_ready_flag)) {
    kpi_mutex_init(&sys_current_lock);
    atomic_store(&sys_current_lock_ready, 1);
  }
  while (atomic_load(&sys_current_lock_ready) == 0) kpi_os_yield();
  kpi_mutex_lock(&sys_current_lock);
}

/* The first call: creates the default system. Out of line, so that every
 * later call is a load and a test. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static kp_system_t *current_create(void) {
  kp_system_t *sys;
  current_lock();
  sys = atomic_load(&sys_current);
  if (sys == NULL) {
    sys = kp_system_create(NULL);
    atomic_store(&sys_current, sys);
  }
  kpi_mutex_unlock(&sys_current_lock);
  return sys;
}

kp_system_t *kp_system_current(void) {
  kp_system_t *sys = atomic_load(&sys_current);
  return sys != NULL ? sys : current_create();
}

kp_system_t *kpi_current(void) { return kp_system_current(); }

kp_system_t *kp_system_set_current(kp_system_t *sys) {
  current_lock();
  kp_system_t *old = atomic_exchange(&sys_current, sys);
  kpi_mutex_unlock(&sys_current_lock);
  return old;
}

/* ---------------------------------------------------------------------------
 * Modules.
 * ------------------------------------------------------------------------- */
/* The table only grows, and a slot never changes once the count covers it
 * (published with release, read with acquire), so readers need no lock:
 * the allocation hooks run on every allocation. */
void *kpi_system_module(kp_system_t *sys, const kpi_module_ops_t *ops) {
  uint32_t n = atomic_load_explicit(&sys->module_count, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++)
    if (sys->modules[i].ops == ops) return sys->modules[i].state;
  return NULL;
}

bool kpi_system_add_module(kp_system_t *sys, const kpi_module_ops_t *ops,
                           void *state) {
  bool ok = true;
  kpi_mutex_lock(&sys->lock);
  uint32_t n = atomic_load_explicit(&sys->module_count, memory_order_relaxed);
  for (uint32_t i = 0; i < n; i++)
    if (sys->modules[i].ops == ops) ok = false;
  if (ok && n == KPI_MAX_MODULES) ok = false;
  if (ok) {
    sys->modules[n].ops = ops;
    sys->modules[n].state = state;
    atomic_store_explicit(&sys->module_count, n + 1, memory_order_release);
    if (ops->before_free != NULL) atomic_fetch_add(&sys->before_free_hooks, 1);
    if (ops->alloc_hook != NULL) atomic_fetch_add(&sys->alloc_hooks, 1);
    if (ops->free_hook != NULL || ops->query_hook != NULL ||
        ops->visit_hook != NULL)
      atomic_fetch_add(&sys->foreign_hooks, 1);
  }
  kpi_mutex_unlock(&sys->lock);
  return ok;
}

/* The published part of the module table (see kpi_system_module). */
static uint32_t modules_snapshot(kp_system_t *sys,
                                 kpi_module_slot_t out[KPI_MAX_MODULES]) {
  uint32_t n = atomic_load_explicit(&sys->module_count, memory_order_acquire);
  memcpy(out, sys->modules, n * sizeof *out);
  return n;
}

void kpi_modules_before_free(kp_system_t *sys, const kp_block_info_t *block) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->before_free != NULL)
      mods[i].ops->before_free(sys, mods[i].state, block);
}

bool kpi_modules_before_free_wanted(kp_system_t *sys) {
  if (atomic_load_explicit(&sys->before_free_hooks, memory_order_acquire) == 0)
    return false;
  // The published slots, read in place (no snapshot copy: this runs on
  // every free while a hook is registered).
  uint32_t n = atomic_load_explicit(&sys->module_count, memory_order_acquire);
  for (uint32_t i = 0; i < n; i++) {
    const kpi_module_ops_t *ops = sys->modules[i].ops;
    if (ops->before_free == NULL) continue;
    if (ops->before_free_wanted == NULL ||
        ops->before_free_wanted(sys, sys->modules[i].state))
      return true;
  }
  return false;
}

void kpi_modules_report(kp_system_t *sys, kp_output_fn out, void *arg) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->report != NULL) mods[i].ops->report(sys, mods[i].state, out, arg);
}

bool kpi_modules_alloc(kp_system_t *sys, const kpi_request_t *rq,
                       void **result, kp_status_t *why) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->alloc_hook != NULL &&
        mods[i].ops->alloc_hook(sys, mods[i].state, rq, result, why))
      return true;
  return false;
}

bool kpi_modules_free(kp_system_t *sys, void *p, kp_tag_t tag, bool check_tag,
                      kp_site_t site) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->free_hook != NULL &&
        mods[i].ops->free_hook(sys, mods[i].state, p, tag, check_tag, site))
      return true;
  return false;
}

bool kpi_modules_query(kp_system_t *sys, const void *p, kp_block_info_t *info) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->query_hook != NULL &&
        mods[i].ops->query_hook(sys, mods[i].state, p, info))
      return true;
  return false;
}

bool kpi_modules_visit(kp_system_t *sys, kp_block_visitor_fn fn, void *arg) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->visit_hook != NULL &&
        !mods[i].ops->visit_hook(sys, mods[i].state, fn, arg))
      return false;
  return true;
}

bool kpi_modules_leak_owner(kp_system_t *sys, const kp_block_info_t *block,
                            char *why, size_t len) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->leak_owner != NULL &&
        mods[i].ops->leak_owner(sys, mods[i].state, block, why, len))
      return true;
  return false;
}

/* ---------------------------------------------------------------------------
 * Unload and destruction.
 * ------------------------------------------------------------------------- */
static bool count_block(const kp_block_info_t *info, void *arg) {
  (void)info;
  (*(uint64_t *)arg)++;
  return true;
}

static uint64_t outstanding_allocations(kp_system_t *sys) {
  uint64_t n = 0;
  kp_visit_blocks(sys, count_block, &n);
  return n;
}

/* The 0xC4/0x62 check shared by unload and destroy. */
static bool leak_check(kp_system_t *sys, const char *when) {
  if ((sys->cfg.verifier_flags & KP_VERIFY_POOL_TRACKING) == 0) return true;
  uint64_t leaked = outstanding_allocations(sys);
  if (leaked == 0) return true;
  kp_printf(sys, "kpool: %s: %s still holds %llu allocation%s:\n", when,
            sys->cfg.driver_name ? sys->cfg.driver_name : "the driver",
            (unsigned long long)leaked, leaked == 1 ? "" : "s");
  (void)kpi_report_leaks(sys);
  kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62,
                     (uint64_t)(uintptr_t)sys->cfg.driver_name, 0, leaked,
                     NULL,
                     "The driver is unloading without freeing %llu pool "
                     "allocation%s (Pool Tracking). The leak report above "
                     "lists them by tag and by allocation site.",
                     (unsigned long long)leaked, leaked == 1 ? "" : "s");
  return false;
}

/* What the unload checks found, while kp_driver_unload collects them. */
#define UNLOAD_FINDINGS_MAX 8u
typedef struct unload_finding {
  uint32_t code;
  uint64_t params[4];
  char explanation[3072];
} unload_finding_t;

typedef struct unload_findings {
  uint32_t count;                 /* all findings, kept or not */
  unload_finding_t item[UNLOAD_FINDINGS_MAX];
} unload_findings_t;

/* The handler kp_driver_unload installs while its checks run: each bug
 * check is a finding, kept; it returns, so every check runs to its end. */
static void unload_collect(const kp_bugcheck_t *bc, void *arg) {
  unload_findings_t *f = arg;
  uint32_t k = f->count++;
  if (k >= UNLOAD_FINDINGS_MAX) {
    kp_printf(bc->system, "kpool: driver unload: finding %u: %s %s\n%s\n", k + 1,
              bc->stop_line, bc->name, bc->explanation);
    return;
  }
  unload_finding_t *it = &f->item[k];
  it->code = bc->code;
  memcpy(it->params, bc->params, sizeof it->params);
  snprintf(it->explanation, sizeof it->explanation, "%s", bc->explanation);
  // kpi_bugcheck_raise appends the driver line again when it is raised.
  char *driver = strstr(it->explanation, "\n  driver:");
  if (driver != NULL) *driver = '\0';
}

/* Lists the findings (all but the first in full: the first is printed when
 * it is raised). */
static void unload_announce(kp_system_t *sys, const unload_findings_t *f,
                            uint32_t kept) {
  kp_printf(sys, "kpool: driver unload: %u findings, the first stops the machine:\n",
            f->count);
  for (uint32_t i = 0; i < kept; i++) {
    const unload_finding_t *it = &f->item[i];
    kp_printf(sys,
              "kpool: driver unload: finding %u: *** STOP: 0x%08X (0x%016llX,"
              "0x%016llX,0x%016llX,0x%016llX) %s\n",
              i + 1, (unsigned)it->code, (unsigned long long)it->params[0],
              (unsigned long long)it->params[1], (unsigned long long)it->params[2],
              (unsigned long long)it->params[3], kp_bugcheck_name(it->code));
    if (i > 0) kp_printf(sys, "%s\n", it->explanation);
  }
}

kp_status_t kp_driver_unload(kp_system_t *sys) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  sys->unload_checked = true;
  // One pass: leaks (0xC4/0x62), then each module's check (lookaside lists,
  // secure pools, ...) print their findings while a collecting handler
  // holds the bug checks back; then the findings are raised in that order,
  // so the first stops the machine only after everything is reported (a
  // handler that returns sees every one). Bug checks other threads raise
  // meanwhile are collected too.
  // On the stack (about 24 KiB): a handler may longjmp out of the raises
  // below, which must leave nothing to free.
  unload_findings_t findings;
  unload_findings_t *f = &findings;
  f->count = 0;
  kp_bugcheck_fn old_fn = NULL;
  void *old_arg = NULL;
  kp_bugcheck_set_handler(sys, unload_collect, f, &old_fn, &old_arg);
  // Root causes first: what each module still holds (a lookaside list never
  // deleted, a timer still set, a device not deleted) comes before the
  // leak check, whose report then shows the blocks those objects hold
  // (cached entries, extensions) as their consequences.
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->unload_check != NULL)
      mods[i].ops->unload_check(sys, mods[i].state);
  bool clean = leak_check(sys, "driver unload");
  kp_bugcheck_set_handler(sys, old_fn, old_arg, NULL, NULL);
  uint32_t found = f->count;
  uint32_t kept = found < UNLOAD_FINDINGS_MAX ? found : UNLOAD_FINDINGS_MAX;
  // The held-back bug checks are counted when raised below, not twice.
  if (found != 0) atomic_fetch_sub(&sys->bugcheck_count, found);
  {
    // The monitor recorded each finding as it was collected: it must not
    // record their raise again, and its files must exist before the first
    // raise stops the machine.
    uint32_t codes[UNLOAD_FINDINGS_MAX];
    uint64_t params[UNLOAD_FINDINGS_MAX][4];
    for (uint32_t i = 0; i < kept; i++) {
      codes[i] = f->item[i].code;
      memcpy(params[i], f->item[i].params, sizeof params[i]);
    }
    kpi_monitor_unload(sys, kept, codes, (const uint64_t(*)[4])params);
  }
  if (found > 1) unload_announce(sys, f, kept);
  for (uint32_t i = 0; i < kept; i++) {
    const unload_finding_t *it = &f->item[i];
    if (i == 0 && found > 1)
      kpi_bugcheck_raise(sys, it->code, it->params[0], it->params[1],
                         it->params[2], it->params[3], NULL,
                         "%s\n  (finding 1 of %u at driver unload; the others "
                         "are printed above)",
                         it->explanation, found);
    else
      kpi_bugcheck_raise(sys, it->code, it->params[0], it->params[1],
                         it->params[2], it->params[3], NULL, "%s",
                         it->explanation);
  }
  return clean && found == 0 ? KP_STATUS_SUCCESS : KP_STATUS_UNSUCCESSFUL;
}

void kp_system_destroy(kp_system_t *sys) {
  if (sys == NULL) return;
  // No clock thread may touch the system while it goes away.
  kp_clock_stop_realtime(sys);
  kpi_monitor_before_destroy(sys);
  if (!sys->unload_checked && !sys->destroy_checked) {
    // Set first: if the handler longjmps out of the leak bug check, a second
    // destroy call releases everything without checking again.
    sys->destroy_checked = true;
    (void)leak_check(sys, "system destroy");
  }
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  // Modules go first, in reverse order: they may still free pool blocks.
  for (uint32_t i = n; i-- > 0;)
    if (mods[i].ops->destroy != NULL) mods[i].ops->destroy(sys, mods[i].state);

  kp_system_t *expected = sys;
  atomic_compare_exchange_strong(&sys_current, &expected, NULL);
  for (uint32_t i = 0; i < sys->pool_count; i++) kpi_pool_fini(&sys->pools[i]);
  kpi_mutex_destroy(&sys->lock);
  free(sys->pools);
  free(sys);
}

/* ---------------------------------------------------------------------------
 * Virtual clock.
 * ------------------------------------------------------------------------- */
static void clock_second(kp_system_t *sys) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  for (uint32_t i = 0; i < n; i++)
    if (mods[i].ops->tick != NULL) mods[i].ops->tick(sys, mods[i].state);

  kp_ticker_fn fns[KPI_MAX_TICKERS];
  void *args[KPI_MAX_TICKERS];
  kpi_mutex_lock(&sys->lock);
  memcpy(fns, sys->ticker_fn, sizeof fns);
  memcpy(args, sys->ticker_arg, sizeof args);
  kpi_mutex_unlock(&sys->lock);
  for (uint32_t i = 0; i < KPI_MAX_TICKERS; i++)
    if (fns[i] != NULL) fns[i](sys, args[i]);
}

// Runs every module's clock hook at @now; returns the earliest next due time.
static uint64_t clock_modules(kp_system_t *sys, uint64_t now) {
  kpi_module_slot_t mods[KPI_MAX_MODULES];
  uint32_t n = modules_snapshot(sys, mods);
  uint64_t next = UINT64_MAX;
  for (uint32_t i = 0; i < n; i++) {
    if (mods[i].ops->clock == NULL) continue;
    uint64_t due = mods[i].ops->clock(sys, mods[i].state, now);
    if (due < next) next = due;
  }
  return next;
}

void kp_clock_advance(kp_system_t *sys, uint64_t milliseconds) {
  if (sys == NULL) return;
  // Steps: from due time to due time (timers, wait timeouts), so that
  // every expiry happens at its own instant and its DPC runs then. One
  // advancing thread at a time; ownership left behind by this thread (a
  // handler that longjmped out of a DPC) is taken over.
  uint32_t me = kp_thread_id();
  for (;;) {
    unsigned expected = 0;
    if (atomic_compare_exchange_strong(&sys->advance_owner, &expected, me) ||
        expected == me)
      break;
    kpi_os_yield();
  }
  kpi_mutex_lock(&sys->lock);
  uint64_t now = sys->clock_ms;
  kpi_mutex_unlock(&sys->lock);
  uint64_t target = milliseconds > UINT64_MAX - now ? UINT64_MAX : now + milliseconds;
  for (;;) {
    uint64_t next = clock_modules(sys, now);
    if (now >= target) break;
    uint64_t step = next < target ? next : target;
    if (step <= now) step = now + 1;
    kpi_mutex_lock(&sys->lock);
    sys->clock_ms = step;
    kpi_mutex_unlock(&sys->lock);
    uint64_t seconds = step / 1000 - now / 1000;
    // Ticks run outside the lock: they take pool and list locks themselves.
    for (uint64_t s = 0; s < seconds; s++) clock_second(sys);
    now = step;
  }
  atomic_store(&sys->advance_owner, 0);
}

static void *clock_realtime_main(void *arg) {
  kp_system_t *sys = arg;
  uint32_t waited = 0;
  while (!atomic_load(&sys->rt_stop)) {
    // Sleep in short slices so that a stop request is answered quickly.
    uint32_t slice = sys->rt_period_ms - waited;
    if (slice > 10) slice = 10;
    kpi_os_sleep_ms(slice);
    waited += slice;
    if (waited >= sys->rt_period_ms) {
      waited = 0;
      if (!atomic_load(&sys->rt_stop)) kp_clock_advance(sys, 1000);
    }
  }
  return NULL;
}

kp_status_t kp_clock_start_realtime(kp_system_t *sys, uint32_t period_ms) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  bool expected = false;
  if (!atomic_compare_exchange_strong(&sys->rt_running, &expected, true))
    return KP_STATUS_UNSUCCESSFUL;
  sys->rt_period_ms = period_ms != 0 ? period_ms : 1000;
  atomic_store(&sys->rt_stop, false);
  if (!kpi_os_thread_start(&sys->rt_thread, clock_realtime_main, sys)) {
    atomic_store(&sys->rt_running, false);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  return KP_STATUS_SUCCESS;
}

void kp_clock_stop_realtime(kp_system_t *sys) {
  if (sys == NULL || !atomic_load(&sys->rt_running)) return;
  atomic_store(&sys->rt_stop, true);
  kpi_os_thread_join(&sys->rt_thread);
  atomic_store(&sys->rt_running, false);
}

bool kp_clock_realtime(const kp_system_t *sys) {
  return sys != NULL && atomic_load(&sys->rt_running);
}

uint64_t kp_clock_now(const kp_system_t *sys) {
  if (sys == NULL) return 0;
  kpi_mutex_lock((kpi_mutex_t *)(uintptr_t)&sys->lock);
  uint64_t now = sys->clock_ms;
  kpi_mutex_unlock((kpi_mutex_t *)(uintptr_t)&sys->lock);
  return now;
}

uint32_t kp_clock_add_ticker(kp_system_t *sys, kp_ticker_fn fn, void *arg) {
  if (sys == NULL || fn == NULL) return 0;
  uint32_t id = 0;
  kpi_mutex_lock(&sys->lock);
  for (uint32_t i = 0; i < KPI_MAX_TICKERS; i++) {
    if (sys->ticker_fn[i] == NULL) {
      id = sys->next_ticker_id++;
      sys->ticker_fn[i] = fn;
      sys->ticker_arg[i] = arg;
      sys->ticker_id[i] = id;
      break;
    }
  }
  kpi_mutex_unlock(&sys->lock);
  return id;
}

void kp_clock_remove_ticker(kp_system_t *sys, uint32_t id) {
  if (sys == NULL || id == 0) return;
  kpi_mutex_lock(&sys->lock);
  for (uint32_t i = 0; i < KPI_MAX_TICKERS; i++) {
    if (sys->ticker_id[i] == id) {
      sys->ticker_fn[i] = NULL;
      sys->ticker_arg[i] = NULL;
      sys->ticker_id[i] = 0;
    }
  }
  kpi_mutex_unlock(&sys->lock);
}

/* ---------------------------------------------------------------------------
 * Output.
 * ------------------------------------------------------------------------- */
void kpi_default_out(const char *text, void *arg) {
  (void)arg;
  fputs(text, stderr);
}

void kpi_out(kp_system_t *sys, const char *text) {
  if (sys != NULL && sys->cfg.out != NULL)
    sys->cfg.out(text, sys->cfg.out_arg);
  else
    kpi_default_out(text, NULL);
}

void kpi_writef(const kpi_writer_t *w, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (w->out != NULL)
    w->out(buf, w->arg);
  else
    kpi_out(w->sys, buf);
}

void kp_printf(kp_system_t *sys, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    kpi_out(sys, small);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (big == NULL) {
    kpi_out(sys, small);
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  kpi_out(sys, big);
  free(big);
}
