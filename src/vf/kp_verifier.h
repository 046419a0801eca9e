/*
 * kp_verifier.h — what the Driver Verifier files share: verifier.c (the
 * module, force IRQL checking, the fault handler, tag patterns), fault.c
 * (low resources simulation) and special.c (special pool).
 *
 * One module ("verifier") is registered per system that needs it; its
 * alloc_hook asks fault injection first (fail the request) and special pool
 * second (serve it), so an injected failure also covers special-pool
 * requests.
 */
#ifndef KPOOL_SRC_KP_VERIFIER_H
#define KPOOL_SRC_KP_VERIFIER_H

#include "kp_types.h"
#include "kpool/verifier.h"

/* ---------------------------------------------------------------------------
 * What the rest of the core calls in vf/ (verifier.c).
 * ------------------------------------------------------------------------- */
/* Defaults and checks of the verifier's kp_config_t fields (system.c calls
 * them from kp_config_init and kp_system_create). */
void kpi_verifier_config_init(kp_config_t *cfg);
bool kpi_verifier_config_valid(const kp_config_t *cfg);
/* Adds the verifier module when the configuration asks for special pool,
 * force IRQL checking or fault injection. False: creation must fail. */
bool kpi_verifier_attach(kp_system_t *sys);
/* Low resources simulation for an allocation path that does not go
 * through kpi_alloc (secure pools): true when @rq must fail with
 * STATUS_INSUFFICIENT_RESOURCES (already counted). */
bool kpi_fault_inject(kp_system_t *sys, const kpi_request_t *rq);

/* ---------------------------------------------------------------------------
 * Tag patterns (verifier.c): "Tag1 Dr* T?g2", matched against tag text.
 * ------------------------------------------------------------------------- */
#define KPI_TAG_PATTERNS_MAX 16u
#define KPI_TAG_PATTERN_LEN 32u

typedef struct kpi_tag_patterns {
  uint32_t count; /* 0: no filter configured */
  char pat[KPI_TAG_PATTERNS_MAX][KPI_TAG_PATTERN_LEN + 1];
} kpi_tag_patterns_t;

/* Parses @text (NULL or blank: count 0). False when a pattern is too long
 * or there are too many. */
bool kpi_tag_patterns_parse(const char *text, kpi_tag_patterns_t *out);
/* True when @tag's text matches one of the patterns. */
bool kpi_tag_patterns_match(const kpi_tag_patterns_t *p, kp_tag_t tag);

/* ---------------------------------------------------------------------------
 * Low resources simulation (fault.c).
 * ------------------------------------------------------------------------- */
typedef struct kpi_fault kpi_fault_t;

/* From @sys's configuration; NULL when memory is short or the sites file
 * cannot be read. */
kpi_fault_t *kpi_fault_create(kp_system_t *sys);
void kpi_fault_destroy(kpi_fault_t *f);
/* True when the request must fail (counted as injected). No locks held by
 * the caller. */
bool kpi_fault_decide(kp_system_t *sys, kpi_fault_t *f, const kpi_request_t *rq);
/* Fills the fault_* fields of @out. */
void kpi_fault_counters(kpi_fault_t *f, kp_verifier_counters_t *out);
void kpi_fault_write_report(kp_system_t *sys, kpi_fault_t *f, kp_output_fn out,
                            void *arg);

/* Public entry points in fault.c reach the system's fault state here
 * (verifier.c); @create adds the module when it is missing. */
kpi_fault_t *kpi_fault_of(kp_system_t *sys, bool create);

/* ---------------------------------------------------------------------------
 * Special pool (special.c).
 * ------------------------------------------------------------------------- */
typedef struct kpi_special kpi_special_t;

kpi_special_t *kpi_special_create(kp_system_t *sys);
void kpi_special_destroy(kpi_special_t *sp);
/* alloc_hook part: true when special pool served (or failed) @rq. */
bool kpi_special_alloc(kp_system_t *sys, kpi_special_t *sp,
                       const kpi_request_t *rq, void **result, kp_status_t *why);
bool kpi_special_free(kp_system_t *sys, kpi_special_t *sp, void *p, kp_tag_t tag,
                      bool check_tag, kp_site_t site);
bool kpi_special_query(kpi_special_t *sp, const void *p, kp_block_info_t *info);
bool kpi_special_visit(kpi_special_t *sp, kp_block_visitor_fn fn, void *arg);
bool kpi_special_where(kpi_special_t *sp, const void *p, kp_special_info_t *out);
/* Lock-free: whether @addr lies in the special arena. */
bool kpi_special_contains(const kpi_special_t *sp, const void *addr);
/* Fault on the special arena (signal context): raises 0xD5/0xD6/0xD1 or
 * pages a trimmed page back in. Returns true when handled. */
bool kpi_special_fault(kp_system_t *sys, kpi_special_t *sp, void *addr, int write);
/* Force IRQL: make live paged blocks inaccessible / accessible again. */
void kpi_special_trim(kpi_special_t *sp);
void kpi_special_untrim(kpi_special_t *sp);
void kpi_special_counters(kpi_special_t *sp, kp_verifier_counters_t *out);
void kpi_special_write_report(kp_system_t *sys, kpi_special_t *sp,
                              kp_output_fn out, void *arg);

/* ---------------------------------------------------------------------------
 * Force IRQL checking (verifier.c).
 * ------------------------------------------------------------------------- */
/* Marks the calling thread's own accesses to paged pool as kpool's (so a
 * fault at raised IRQL pages in instead of bug checking). Nest. */
void kpi_force_irql_internal_enter(void);
void kpi_force_irql_internal_leave(void);
/* True inside such a section. */
bool kpi_force_irql_internal(void);
/* Raises 0xD1 for a touch of trimmed memory at @irql (no locks held; the
 * block is looked up here). */
void kpi_force_irql_bugcheck(kp_system_t *sys, void *addr, int write,
                             kp_irql_t irql);
/* Counts one page-in (a fault at a legal IRQL). */
void kpi_force_irql_note_page_in(kp_system_t *sys);

/* Text for a read/write flag from the OS layer (-1 unknown). */
const char *kpi_access_text(int write);

#endif /* KPOOL_SRC_KP_VERIFIER_H */
