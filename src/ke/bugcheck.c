/*
 * bugcheck.c — simulated bug checks: names, the stop line, the report in
 * words, handlers (per system and global), KeBugCheckEx.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "ke/kp_dispatch.h"

typedef struct bugcheck_name {
  uint32_t code;
  const char *name;
} bugcheck_name_t;

static const bugcheck_name_t bugcheck_names[] = {
    {0x01, "APC_INDEX_MISMATCH"},
    {0x09, "IRQL_NOT_GREATER_OR_EQUAL"},
    {0x0A, "IRQL_NOT_LESS_OR_EQUAL"},
    {0x0C, "MAXIMUM_WAIT_OBJECTS_EXCEEDED"},
    {0x18, "REFERENCE_BY_POINTER"},
    {0x19, "BAD_POOL_HEADER"},
    {0x18, "REFERENCE_BY_POINTER"},
    {0x1E, "KMODE_EXCEPTION_NOT_HANDLED"},
    {0x20, "KERNEL_APC_PENDING_DURING_EXIT"},
    {0x35, "NO_MORE_IRP_STACK_LOCATIONS"},
    {0x40, "TARGET_MDL_TOO_SMALL"},
    {0x41, "MUST_SUCCEED_POOL_EMPTY"},
    {0x44, "MULTIPLE_IRP_COMPLETE_REQUESTS"},
    {0x48, "CANCEL_STATE_IN_COMPLETED_IRP"},
    {0x76, "PROCESS_HAS_LOCKED_PAGES"},
    {0x7E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"},
    {0x93, "INVALID_KERNEL_HANDLE"},
    {0xB8, "ATTEMPTED_SWITCH_FROM_DPC"},
    {0xBE, "ATTEMPTED_WRITE_TO_READONLY_MEMORY"},
    {0xC1, "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION"},
    {0xC2, "BAD_POOL_CALLER"},
    {0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"},
    {0xC5, "DRIVER_CORRUPTED_EXPOOL"},
    {0xC6, "DRIVER_CAUGHT_MODIFYING_FREED_POOL"},
    {0xC7, "TIMER_OR_DPC_INVALID"},
    {0xC9, "DRIVER_VERIFIER_IOMANAGER_VIOLATION"},
    {0xCC, "PAGE_FAULT_IN_FREED_SPECIAL_POOL"},
    {0xCD, "PAGE_FAULT_BEYOND_END_OF_ALLOCATION"},
    {0xCE, "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS"},
    {0xD0, "DRIVER_CORRUPTED_MMPOOL"},
    {0xD1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL"},
    {0xD4, "SYSTEM_SCAN_AT_RAISED_IRQL_CAUGHT_IMPROPER_DRIVER_UNLOAD"},
    {0xD5, "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL"},
    {0xD6, "DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION"},
    {0xE1, "WORKER_THREAD_RETURNED_AT_BAD_IRQL"},
    {0xE2, "MANUALLY_INITIATED_CRASH"},
    {0xE3, "RESOURCE_NOT_OWNED"},
    {0xE4, "WORKER_INVALID"},
    {0x139, "KERNEL_SECURITY_CHECK_FAILURE"},
    {0x4000008A, "THREAD_TERMINATE_HELD_MUTEX"},
};

const char *kp_bugcheck_name(uint32_t code) {
  for (size_t i = 0; i < sizeof bugcheck_names / sizeof bugcheck_names[0]; i++)
    if (bugcheck_names[i].code == code) return bugcheck_names[i].name;
  return "UNKNOWN_BUGCHECK";
}

/* ---------------------------------------------------------------------------
 * Handlers.
 * ------------------------------------------------------------------------- */
static _Atomic(kp_bugcheck_fn) bugcheck_global_fn;
static _Atomic(void *) bugcheck_global_arg;

void kp_bugcheck_set_global_handler(kp_bugcheck_fn fn, void *arg) {
  atomic_store(&bugcheck_global_arg, arg);
  atomic_store(&bugcheck_global_fn, fn);
}

void kp_bugcheck_set_handler(kp_system_t *sys, kp_bugcheck_fn fn, void *arg,
                             kp_bugcheck_fn *old_fn, void **old_arg) {
  if (sys == NULL) return;
  kpi_mutex_lock(&sys->lock);
  if (old_fn != NULL) *old_fn = sys->bugcheck_fn;
  if (old_arg != NULL) *old_arg = sys->bugcheck_arg;
  sys->bugcheck_fn = fn;
  sys->bugcheck_arg = arg;
  kpi_mutex_unlock(&sys->lock);
}

uint32_t kp_bugcheck_count(const kp_system_t *sys) {
  return sys != NULL ? atomic_load(&sys->bugcheck_count) : 0;
}

void kp_bugcheck_last(const kp_system_t *sys, uint32_t *code,
                      uint64_t params[4]) {
  if (sys == NULL) return;
  kpi_mutex_t *lock = (kpi_mutex_t *)(uintptr_t)&sys->lock;
  kpi_mutex_lock(lock);
  if (code != NULL) *code = sys->last_bugcheck_code;
  if (params != NULL) memcpy(params, sys->last_bugcheck_params, 4 * sizeof(uint64_t));
  kpi_mutex_unlock(lock);
}

void kp_bugcheck_print(const kp_bugcheck_t *bc, kp_output_fn out,
                       void *out_arg) {
  if (bc == NULL) return;
  if (out == NULL) out = kpi_default_out;
  out(bc->stop_line, out_arg);
  out("\n", out_arg);
  out(bc->name, out_arg);
  out("\n", out_arg);
  if (bc->explanation != NULL && bc->explanation[0] != '\0') {
    out("\n", out_arg);
    out(bc->explanation, out_arg);
    out("\n", out_arg);
  }
}

static void bugcheck_default(const kp_bugcheck_t *bc, kp_system_t *sys) {
  kp_output_fn out = kpi_default_out;
  void *arg = NULL;
  if (sys != NULL && sys->cfg.out != NULL) {
    out = sys->cfg.out;
    arg = sys->cfg.out_arg;
  }
  kp_bugcheck_print(bc, out, arg);
  fflush(stderr);
  fflush(stdout);
  abort();
}

/* ---------------------------------------------------------------------------
 * Report text.
 * ------------------------------------------------------------------------- */
static const char *pool_name(kp_pool_kind_t kind) {
  return kind == KP_POOL_PAGED ? "paged pool" : "non-paged pool";
}

size_t kpi_block_describe(const kp_block_info_t *b, char *buf, size_t len) {
  char tag[5];
  char site[256];
  kpi_site_text(b->site, site, sizeof site);
  int n = snprintf(buf, len,
                   "  block:      %p, %zu bytes requested (%zu-byte block), "
                   "%s, node %u\n"
                   "  tag:        '%s' (0x%08X)\n"
                   "  allocated:  %s at %s by thread %u (allocation #%llu)\n",
                   b->address, b->size, b->block_bytes, pool_name(b->pool),
                   b->node, kp_tag_text(b->tag, tag), (unsigned)b->tag,
                   kpi_api_name(b->api), site, b->thread,
                   (unsigned long long)b->sequence);
  return n < 0 ? 0 : (size_t)n;
}

/* Appends printf output to buf at *pos, never overflowing. */
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    KP_PRINTF(4, 5);
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...) {
  if (*pos >= len) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  *pos += (size_t)n;
  if (*pos >= len) *pos = len - 1;
}

static void bugcheck_dispatch(kp_system_t *sys, const kp_bugcheck_t *bc) {
  kp_bugcheck_fn fn = NULL;
  void *arg = NULL;
  if (sys != NULL) {
    kpi_mutex_lock(&sys->lock);
    fn = sys->bugcheck_fn;
    arg = sys->bugcheck_arg;
    sys->last_bugcheck_code = bc->code;
    memcpy(sys->last_bugcheck_params, bc->params, sizeof bc->params);
    kpi_mutex_unlock(&sys->lock);
    atomic_fetch_add(&sys->bugcheck_count, 1);
    // The monitor records it before the handler runs: a handler may
    // longjmp, and the default one aborts.
    kpi_event_t ev = {0};
    ev.kind = KPI_EVENT_BUGCHECK;
    ev.bugcheck = bc;
    kpi_event(sys, &ev);
  }
  if (fn == NULL) {
    fn = atomic_load(&bugcheck_global_fn);
    arg = atomic_load(&bugcheck_global_arg);
  }
  if (fn == NULL) bugcheck_default(bc, sys);
  // Counted, so that a handler that longjmps out of a DPC routine can be
  // told from one that returns (kpi_dpc_recover).
  kpi_kthread()->bugcheck_depth++;
  fn(bc, arg);
  kpi_kthread()->bugcheck_depth--;
  // The handler returned: the simulator abandons the operation. If the
  // thread is left raised or holding spin locks, what it reports next is
  // likely a consequence of this one: remember it.
  kpi_thread_t *t = kpi_thread();
  if (t->irql > KP_PASSIVE_LEVEL || t->spin_locks_held != 0) {
    t->abandoned = true;
    t->abandoned_code = bc->code;
    t->abandoned_p1 = bc->params[0];
    t->abandoned_irql = t->irql;
    t->abandoned_locks = t->spin_locks_held;
  }
}

void kpi_bugcheck_raise(kp_system_t *sys, uint32_t code, uint64_t p1,
                        uint64_t p2, uint64_t p3, uint64_t p4,
                        const kpi_bugcheck_ctx_t *ctx, const char *fmt, ...) {
  char stop[160];
  char text[4096];
  size_t pos = 0;
  snprintf(stop, sizeof stop,
           "*** STOP: 0x%08X (0x%016llX,0x%016llX,0x%016llX,0x%016llX)",
           (unsigned)code, (unsigned long long)p1, (unsigned long long)p2,
           (unsigned long long)p3, (unsigned long long)p4);
  text[0] = '\0';
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n > 0) pos = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    append(text, sizeof text, &pos, "\n");
  }
  if (ctx != NULL && ctx->block != NULL) {
    char desc[1024];
    kpi_block_describe(ctx->block, desc, sizeof desc);
    append(text, sizeof text, &pos, "%s", desc);
  }
  if (ctx != NULL && ctx->free_site != NULL) {
    char site[256];
    kpi_site_text(*ctx->free_site, site, sizeof site);
    append(text, sizeof text, &pos, "  freed:      at %s by thread %u\n", site,
           ctx->free_thread);
  }
  if (ctx != NULL && (ctx->site.file != NULL || ctx->site.caller != NULL)) {
    char site[256];
    kpi_site_text(ctx->site, site, sizeof site);
    append(text, sizeof text, &pos, "  this call:  at %s by thread %u\n", site,
           kp_thread_id());
  }
  kpi_thread_t *t = kpi_thread();
  if (t->abandoned && (t->irql > KP_PASSIVE_LEVEL || t->spin_locks_held != 0)) {
    append(text, sizeof text, &pos,
           "  follows from: an earlier bug check on this thread, 0x%08X "
           "(P1 0x%llX, %s), whose handler returned: the simulator abandoned "
           "that operation and left this thread at IRQL %u with %u spin "
           "lock%s held. Fix that bug first; this report is probably its "
           "consequence.\n",
           (unsigned)t->abandoned_code, (unsigned long long)t->abandoned_p1,
           kp_bugcheck_name(t->abandoned_code), (unsigned)t->abandoned_irql,
           (unsigned)t->abandoned_locks, t->abandoned_locks == 1 ? "" : "s");
  }
  if (sys != NULL && sys->cfg.driver_name != NULL)
    append(text, sizeof text, &pos, "  driver:     %s (kpool simulated system %p)\n",
           sys->cfg.driver_name, (void *)sys);
  // Drop the final newline: the printer adds one.
  if (pos > 0 && text[pos - 1] == '\n') text[pos - 1] = '\0';

  kp_bugcheck_t bc;
  memset(&bc, 0, sizeof bc);
  bc.code = code;
  bc.params[0] = p1;
  bc.params[1] = p2;
  bc.params[2] = p3;
  bc.params[3] = p4;
  bc.name = kp_bugcheck_name(code);
  bc.stop_line = stop;
  bc.explanation = text;
  bc.block = ctx != NULL ? ctx->block : NULL;
  bc.free_site = ctx != NULL ? ctx->free_site : NULL;
  bc.free_thread = ctx != NULL ? ctx->free_thread : 0;
  bc.system = sys;
  bugcheck_dispatch(sys, &bc);
}

void kp_bugcheck(kp_system_t *sys, uint32_t code, uint64_t p1, uint64_t p2,
                 uint64_t p3, uint64_t p4, const char *explanation) {
  kpi_bugcheck_raise(sys, code, p1, p2, p3, p4, NULL, "%s",
                     explanation != NULL ? explanation
                                         : "KeBugCheckEx called by the driver.");
}
