/*
 * kp_mm.h — what mm/ (the pool files) shares with the rest of the core: the
 * arenas' lifetime, pool selection, the core allocation and free, and the
 * pools' figures.
 */
#ifndef KPOOL_SRC_MM_KP_MM_H
#define KPOOL_SRC_MM_KP_MM_H

#include "kp_types.h"

/* A pool's totals, read under its locks (pool_report.c). Peaks are the sum of the
 * heaps' peaks: exact with one thread, an upper bound with several. */
typedef struct kpi_pool_figures {
  size_t budget;
  size_t available;
  size_t used;
  size_t peak;
  uint64_t allocs;
  uint64_t frees;
  uint64_t failures;
  uint64_t live_count;
  uint64_t q_count;
  uint64_t pages_in_use;
} kpi_pool_figures_t;
void kpi_pool_figures(kpi_pool_t *pool, kpi_pool_figures_t *out);
/* The pool's per-tag counters summed over its heaps, in a new open-addressed
 * table of *@slots entries (free() it); NULL when empty or out of memory. */
kpi_tag_stat_t *kpi_pool_tags(kpi_pool_t *pool, size_t *slots);

/* Arena lifetime (pool_arena.c). */
bool kpi_pool_init(kpi_pool_t *pool, kp_pool_kind_t kind, uint32_t node,
                   size_t budget);
void kpi_pool_fini(kpi_pool_t *pool);

/* Counts an allocation (+1), a free (-1) or a failure (0) of @p bytes for
 * @p tag in the pool of @p kind / @p node, for blocks that modules serve
 * outside the regular arenas (special pool), so tag statistics and pool
 * totals stay whole. */
void kpi_stats_note(kp_system_t *sys, kp_pool_kind_t kind, uint32_t node,
                    kp_tag_t tag, uint64_t bytes, int delta);

/* Pool selection. */
kpi_pool_t *kpi_pool_for(kp_system_t *sys, kp_pool_kind_t kind, uint32_t node);
/* The pool whose arena contains @p addr, or NULL. No lock needed. */
kpi_pool_t *kpi_pool_containing(kp_system_t *sys, const void *addr);

/* ---------------------------------------------------------------------------
 * Core allocation (pool.c). kpi_alloc performs the IRQL check and the
 * allocation; on failure it returns NULL and does NOT raise (callers decide,
 * see kpi_alloc_failed()).
 * ------------------------------------------------------------------------- */
void *kpi_alloc(kp_system_t *sys, const kpi_request_t *rq,
                kp_status_t *why);
/* What kpi_alloc_small_fast calls, with its own arguments, when it
 * declines: the API's general path. */
typedef void *(*kpi_alloc_general_t)(kp_system_t *sys, kp_pool_flags_t flags,
                                     size_t size, kp_tag_t tag,
                                     const kp_site_t *at);
/* The common small allocation (16-byte aligned, no quota, one NUMA node, a
 * free block of its size that kept its record in the calling thread's
 * heap) in one pass, for callers that already applied their API's rules
 * (flags, tag, size not 0). @mode is KPI_FAST_MODE. When the request needs
 * the general path (raised IRQL, allocation hooks, sanitizer poisoning, an
 * empty free list, no credit ...) nothing has changed and it returns
 * @general(sys, flags, size, tag, at), a tail call so that an entry point
 * forwards to it without a frame of its own; with @general NULL it
 * returns NULL and the caller builds a kpi_request_t for kpi_alloc, which
 * decides and reports as always. */
void *kpi_alloc_small_fast(kp_system_t *sys, uint64_t mode,
                           kp_pool_flags_t flags, size_t size,
                           const kp_site_t *at, kpi_alloc_general_t general);
/* kpi_alloc_small_fast's @mode: what the request is, packed in one word so
 * that every argument travels in a register (and the decline is a tail
 * call). @type is the POOL_TYPE for reports (at most 0xFFFF: a larger one
 * takes the general path), @api the kp_alloc_api_t, @prio the
 * kp_priority_t (both below 64), @zero whether the data is zeroed (else
 * uninit_fill), @kind the kp_pool_kind_t, @tag the tag (bits 32-63). The
 * priority and API sit next to each other as in the record's word. */
#define KPI_FAST_MODE(kind, type, api, prio, zero, tag)                        \
  ((uint64_t)(type) | ((uint64_t)(prio) << 16) | ((uint64_t)(api) << 22) |     \
   ((uint64_t)((zero) ? 1 : 0) << 28) | ((uint64_t)(kind) << 29) |             \
   ((uint64_t)(uint32_t)(tag) << 32))
/* The IRQL rule for allocating (@p freeing false) or freeing from @p kind:
 * raises the documented bug check and returns false when violated
 * (pool_arena.c). */
bool kpi_pool_irql_ok(kp_system_t *sys, kp_pool_kind_t kind,
                      uint32_t pool_type, bool freeing, uint64_t size_or_addr,
                      kp_site_t site);
/* Free with an optional tag check. @p check_tag false skips the check.
 * @p site by address: a 32-byte struct copied by value through each layer
 * of the free path stalls store forwarding (measurable per call). */
void kpi_free(kp_system_t *sys, void *p, kp_tag_t tag, bool check_tag,
              const kp_site_t *site);

#endif /* KPOOL_SRC_MM_KP_MM_H */
