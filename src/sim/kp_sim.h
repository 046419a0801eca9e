/*
 * kp_sim.h — what sim/ shares with the rest of the core: the module
 * registry and its hook runners (system.c), output and the report writer
 * (system.c) and the leak report (stats.c).
 */
#ifndef KPOOL_SRC_SIM_KP_SIM_H
#define KPOOL_SRC_SIM_KP_SIM_H

#include "kp_types.h"

/* Module registry. Returns the state registered under @ops, or NULL. */
void *kpi_system_module(kp_system_t *sys, const kpi_module_ops_t *ops);
/* Registers @ops with @state; returns false when the table is full. If a
 * module with the same ops is already registered, returns false and leaves
 * the table unchanged (callers then use kpi_system_module). */
bool kpi_system_add_module(kp_system_t *sys, const kpi_module_ops_t *ops,
                           void *state);

/* Run every module's before_free / report hook (system.c); no locks held. */
void kpi_modules_before_free(kp_system_t *sys, const kp_block_info_t *block);
/* Whether any module's before_free hook could find something now (see
 * kpi_module_ops_t.before_free_wanted); false when none is registered. */
bool kpi_modules_before_free_wanted(kp_system_t *sys);
void kpi_modules_report(kp_system_t *sys, kp_output_fn out, void *arg);
/* Hook runners (system.c): see kpi_module_ops_t. */
bool kpi_modules_alloc(kp_system_t *sys, const kpi_request_t *rq,
                       void **result, kp_status_t *why);
bool kpi_modules_free(kp_system_t *sys, void *p, kp_tag_t tag, bool check_tag,
                      kp_site_t site);
bool kpi_modules_query(kp_system_t *sys, const void *p, kp_block_info_t *info);
bool kpi_modules_visit(kp_system_t *sys, kp_block_visitor_fn fn, void *arg);
bool kpi_modules_leak_owner(kp_system_t *sys, const kp_block_info_t *block,
                            char *why, size_t len);

/* ---------------------------------------------------------------------------
 * Output helpers (system.c).
 * ------------------------------------------------------------------------- */
void kpi_out(kp_system_t *sys, const char *text);
/* Where a report goes: @out(@arg), or the system's output when @out is
 * NULL. kpi_writef formats one piece (up to 1 KiB) and writes it there. */
typedef struct kpi_writer {
  kp_system_t *sys;
  kp_output_fn out;
  void *arg;
} kpi_writer_t;
void kpi_writef(const kpi_writer_t *w, const char *fmt, ...) KP_PRINTF(2, 3);
void kpi_default_out(const char *text, void *arg);

/* Leak report (stats.c): writes the outstanding allocations grouped by tag
 * and by site; returns how many allocations are outstanding. */
uint64_t kpi_report_leaks(kp_system_t *sys);

#endif /* KPOOL_SRC_SIM_KP_SIM_H */
