/*
 * kp_ke.h — what ke/ shares with the rest of the core: the calling thread's
 * state, its IRQL (and the one hook every IRQL change goes through), the
 * current system and bug checks.
 *
 * Locking rule, everywhere: never call kpi_bugcheck_raise() (and so a
 * user's handler, which may longjmp) while holding a simulator lock.
 * Decide under the lock, copy what the report needs, unlock, then raise.
 *
 * kpi_thread_state, kpi_thread_first_use and kpi_current are still defined
 * in sim/system.c, and kpi_irql_changed in vf/verifier.c (DESIGN.md §5.1).
 */
#ifndef KPOOL_SRC_KE_KP_KE_H
#define KPOOL_SRC_KE_KP_KE_H

#include "kp_types.h"

/* The calling thread's state, created on first use. Never NULL. Inline:
 * the allocation and lookaside paths ask for it several times per call. */
extern _Thread_local kpi_thread_t kpi_thread_state;
void kpi_thread_first_use(kpi_thread_t *t);
static inline kpi_thread_t *kpi_thread(void) {
  kpi_thread_t *t = &kpi_thread_state;
  if (t->id == 0) kpi_thread_first_use(t);
  return t;
}

/* The current system, creating it if needed (for WDK names and IRQL). */
kp_system_t *kpi_current(void);

/* The HAL rule for IRQL of the calling thread (irql.c). */
static inline kp_irql_t kpi_irql(void) { return kpi_thread()->irql; }

/* Force IRQL checking: told of every change of a thread's IRQL across
 * DISPATCH_LEVEL (either way). */
void kpi_irql_changed(kp_irql_t old_irql, kp_irql_t new_irql);

/* Sets the calling thread's IRQL. Every IRQL change goes through here so
 * that force IRQL checking sees each rise to DISPATCH_LEVEL and the last
 * fall below it. */
static inline void kpi_irql_store(kpi_thread_t *t, kp_irql_t irql) {
  kp_irql_t old = t->irql;
  t->irql = irql;
  if (t->abandoned && irql == KP_PASSIVE_LEVEL && t->spin_locks_held == 0)
    t->abandoned = false;
  if ((old >= KP_DISPATCH_LEVEL) != (irql >= KP_DISPATCH_LEVEL))
    kpi_irql_changed(old, irql);
}

/* ---------------------------------------------------------------------------
 * Bug checks (bugcheck.c). kpi_bugcheck_raise formats the stop line and
 * report, calls the handler, and returns only if the handler returned.
 * ------------------------------------------------------------------------- */
typedef struct kpi_bugcheck_ctx {
  const kp_block_info_t *block;    /* may be NULL */
  const kp_site_t *free_site;      /* may be NULL */
  uint32_t free_thread;
  kp_site_t site;                  /* where the offending call came from */
} kpi_bugcheck_ctx_t;

void kpi_bugcheck_raise(kp_system_t *sys, uint32_t code, uint64_t p1,
                        uint64_t p2, uint64_t p3, uint64_t p4,
                        const kpi_bugcheck_ctx_t *ctx, const char *fmt, ...)
    KP_PRINTF(8, 9);

/* Writes the details of a block (tag, size, pool, site, thread). */
size_t kpi_block_describe(const kp_block_info_t *b, char *buf, size_t len);

#endif /* KPOOL_SRC_KE_KP_KE_H */
