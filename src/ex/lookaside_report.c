/*
 * lookaside_report.c — lookaside lists, everything off the hit paths: the
 * per-system state (the module, see kpi_system_add_module), the bug
 * checks, flush and delete, queries and reports, kp_lookaside_verify, the
 * module's hooks (unload check, pool frees, leak owner, destroy) and the
 * AddressSanitizer report.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "ex/kp_ex.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "rtl/kp_slist.h"
#include "vf/kp_verifier.h"
#include "ex/kp_lookaside_internal.h"

/* ---------------------------------------------------------------------------
 * Per-system state: the registry of active lists and the entry tracker,
 * registered as a module.
 * ------------------------------------------------------------------------- */
static la_state_t *la_states;      /* every system's state, for ASan reports */

static void la_unload_check(kp_system_t *sys, void *state);
static void la_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block);
static void la_report(kp_system_t *sys, void *state, kp_output_fn out,
                      void *arg);
static void la_destroy(kp_system_t *sys, void *state);
static bool la_leak_owner(kp_system_t *sys, void *state,
                          const kp_block_info_t *block, char *why, size_t len);
static bool la_before_free_wanted(kp_system_t *sys, void *state);

static const kpi_module_ops_t la_ops = {
    .name = "lookaside",
    .tick = kpi_la_tick,
    .unload_check = la_unload_check,
    .before_free = la_before_free,
    .report = la_report,
    .destroy = la_destroy,
    .leak_owner = la_leak_owner,
    .before_free_wanted = la_before_free_wanted,
};

#if defined(LA_ASAN)
static void la_asan_report(const char *report);
static atomic_bool la_asan_installed;
#endif

static la_state_t *state_new(kp_system_t *sys) {
  la_state_t *st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  st->sys = sys;
  kpi_mutex_init(&st->lock);
  atomic_init(&st->active, 0);
  atomic_init(&st->options, KP_LOOKASIDE_OPT_DEFAULT);
  atomic_init(&st->tracked, 0);
  atomic_init(&st->hint, NULL);
  atomic_init(&st->hint_lock, false);
  for (uint32_t i = 0; i < LA_STRIPES; i++) atomic_init(&st->stripes[i].held, false);
  // The balance set manager has run once a second since the system started,
  // lists or not: keep its round-robin phase.
  st->scans = (uint32_t)(kp_clock_now(sys) / 1000);
  return st;
}

static void state_free(la_state_t *st) {
  for (uint32_t i = 0; i < LA_STRIPES; i++) {
    la_stripe_t *s = &st->stripes[i];
    for (uint32_t b = 0; b < s->nbuckets; b++) {
      la_node_t *n = s->buckets[b];
      while (n != NULL) {
        la_node_t *next = n->next;
        free(n);
        n = next;
      }
    }
    while (s->spare != NULL) {
      la_node_t *next = s->spare->next;
      free(s->spare);
      s->spare = next;
    }
    free(s->buckets);
  }
  la_hint_t *h = atomic_load(&st->hint);
  while (h != NULL) {
    la_hint_t *older = h->older;
    free(h);
    h = older;
  }
  kpi_mutex_destroy(&st->lock);
  free(st);
}

/* The system's state; created (and the module registered) on demand. */
la_state_t *kpi_la_state_get(kp_system_t *sys, bool create) {
  la_state_t *st = kpi_system_module(sys, &la_ops);
  if (st != NULL || !create) return st;
  st = state_new(sys);
  if (st == NULL) return NULL;
  if (!kpi_system_add_module(sys, &la_ops, st)) {
    // Another thread registered first (or the module table is full).
    state_free(st);
    return kpi_system_module(sys, &la_ops);
  }
  spin_lock(&kpi_la_global_lock);
  st->global_next = la_states;
  la_states = st;
  spin_unlock(&kpi_la_global_lock);
#if defined(LA_ASAN)
  if (!atomic_exchange(&la_asan_installed, true))
    __asan_set_error_report_callback(la_asan_report);
#endif
  return st;
}

static const char *kind_api(kp_lookaside_kind_t kind) {
  switch (kind) {
  case KP_LOOKASIDE_NPAGED: return "ExInitializeNPagedLookasideList";
  case KP_LOOKASIDE_PAGED: return "ExInitializePagedLookasideList";
  default: return "ExInitializeLookasideListEx";
  }
}

/* ---------------------------------------------------------------------------
 * Bug checks. Never called with a lock held.
 * ------------------------------------------------------------------------- */
void kpi_la_raise_not_active(kp_system_t *sys, const kp_lookaside_t *list,
                             unsigned op, kp_site_t site) {
  static const char *const what[] = {"deleting", "allocating from",
                                     "freeing to", "flushing"};
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                     LA_SUB_NOT_INIT, (uint64_t)(uintptr_t)list, op, 0, &ctx,
                     "The driver is %s the lookaside list at %p, which is not "
                     "an initialised list of this system (never initialised, "
                     "already deleted, or copied to another address).",
                     what[op], (const void *)list);
}

void kpi_la_raise_wrong_list(kp_system_t *sys, const la_rec_t *r,
                             const kp_lookaside_t *list, const void *entry,
                             const la_seen_t *seen, kp_site_t site) {
  char tag[5];
  char origin[96] = "a block of that size";
  if (seen->origin != NULL)
    snprintf(origin, sizeof origin, "the lookaside list at %p",
             (const void *)seen->origin);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                     LA_SUB_WRONG_LIST, (uint64_t)(uintptr_t)list,
                     (uint64_t)(uintptr_t)entry, seen->origin_size, &ctx,
                     "The driver freed the entry %p to the lookaside list at "
                     "%p (tag \"%s\", Size %u), but the entry is %u bytes: it "
                     "came from %s, not from this list. (kpool-specific check: "
                     "Windows would hand it out later as a %u-byte entry.)",
                     entry, (const void *)list, kp_tag_text(r->tag, tag),
                     (unsigned)r->size, (unsigned)seen->origin_size, origin,
                     (unsigned)r->size);
}

/* An entry freed again while it is still cached: to a list, or to pool. */
void kpi_la_raise_freed_while_cached(kp_system_t *sys, const void *entry,
                                     const la_seen_t *seen, bool to_pool,
                                     kp_site_t site) {
  char tag[5];
  char where[160];
  kpi_site_text(seen->free_site, where, sizeof where);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  ctx.free_site = &seen->free_site;
  ctx.free_thread = seen->free_thread;
  bool verifier = kpi_verifier(sys);
  kpi_bugcheck_raise(
      sys,
      verifier ? KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION
               : KP_BUGCHECK_BAD_POOL_CALLER,
      verifier ? 0x13 : 0x07, 0, (uint64_t)(uintptr_t)seen->cached_in,
      (uint64_t)(uintptr_t)entry, &ctx,
      "The driver freed the entry %p %s, but it is still cached in the "
      "lookaside list at %p (tag \"%s\"): it was freed to that list at %s by "
      "thread %u. A double free.",
      entry, to_pool ? "to pool" : "to a lookaside list again",
      (const void *)seen->cached_in, kp_tag_text(seen->cached_tag, tag), where,
      (unsigned)seen->free_thread);
}

/* 0xC6 for a cached entry: P1 @p where (the first changed byte), @p what
 * says what changed, @p after what kpool did about it. */
static void raise_cached_modified(kp_system_t *sys, const kp_lookaside_t *list,
                                  kp_tag_t list_tag, uint32_t size,
                                  const void *entry, const void *where,
                                  const char *what, const char *after,
                                  const la_seen_t *seen, kp_site_t site) {
  char tag[5];
  char freed[160] = "an unknown site";
  if (seen->known) kpi_site_text(seen->free_site, freed, sizeof freed);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  if (seen->known) {
    ctx.free_site = &seen->free_site;
    ctx.free_thread = seen->free_thread;
  }
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL,
      (uint64_t)(uintptr_t)where, 1, 0, (uint64_t)(uintptr_t)list, &ctx,
      "The entry %p was written to while it was cached in the lookaside list "
      "at %p (tag \"%s\", Size %u): %s. It had been freed to the list at %s "
      "by thread %u; the driver kept using it afterwards.%s",
      entry, (const void *)list, kp_tag_text(list_tag, tag), (unsigned)size,
      what, freed, (unsigned)seen->free_thread, after);
}

/* @p value is the byte found at @p bad (read before the entry was
 * released: the report may come after the free routine ran). */
void kpi_la_raise_modified(kp_system_t *sys, const kp_lookaside_t *list,
                           kp_tag_t list_tag, uint32_t size, const void *entry,
                           const uint8_t *bad, uint8_t value,
                           const la_seen_t *seen, kp_site_t site) {
  char what[96];
  snprintf(what, sizeof what, "byte %zu holds 0x%02X instead of the fill 0x%02X",
           (size_t)(bad - (const uint8_t *)entry), (unsigned)value,
           KP_LOOKASIDE_FILL);
  raise_cached_modified(sys, list, list_tag, size, entry, bad, what, "", seen,
                        site);
}

void kpi_la_raise_link_modified(kp_system_t *sys, const kp_lookaside_t *list,
                                kp_tag_t list_tag, uint32_t size,
                                const void *entry, uint64_t found,
                                uint64_t expected, const la_seen_t *seen,
                                kp_site_t site) {
  char what[160];
  snprintf(what, sizeof what,
           "its first 8 bytes, the list's link to the next cached entry, hold "
           "0x%016llX instead of 0x%016llX",
           (unsigned long long)found, (unsigned long long)expected);
  raise_cached_modified(sys, list, list_tag, size, entry, entry, what,
                        " The list was relinked past it, and the entry went "
                        "to the list's free routine.",
                        seen, site);
}

/* ---------------------------------------------------------------------------
 * Flush and delete.
 * ------------------------------------------------------------------------- */

/* Frees a chain of entries taken off a list; raises 0xC6 once at the end for
 * the first entry whose fill was damaged (all entries are freed anyway). */
static void release_chain(const la_calls_t *c, la_state_t *st,
                          kp_lookaside_t *list, kp_slist_entry_t *e,
                          uint32_t opts, kp_site_t site) {
  bool damaged = false;
  const void *bad_entry = NULL;
  const uint8_t *bad = NULL;
  la_seen_t bad_seen;
  memset(&bad_seen, 0, sizeof bad_seen);
  bool link_damaged = false;
  const void *link_entry = NULL;
  uint64_t link_found = 0, link_expected = 0;
  la_seen_t link_seen;
  memset(&link_seen, 0, sizeof link_seen);
  while (e != NULL) {
    kp_slist_entry_t *next = e->next;
    la_seen_t seen;
    memset(&seen, 0, sizeof seen);
    if (opts & KP_LOOKASIDE_OPT_TRACK) {
      kpi_la_track_leave(st, e, true, &seen);
      // A link the driver wrote after the free is not followed: the one
      // the free recorded is (la_pop_tracked).
      if (seen.cached && seen.link != LA_LINK_UNKNOWN &&
          seen.link != (uint64_t)(uintptr_t)next) {
        if (!link_damaged) {
          link_damaged = true;
          link_entry = e;
          link_found = (uint64_t)(uintptr_t)next;
          link_expected = seen.link;
          link_seen = seen;
        }
        next = (kp_slist_entry_t *)(uintptr_t)seen.link;
      }
    }
    if (opts & KP_LOOKASIDE_OPT_POISON) {
      const uint8_t *b = fill_damage(e, c->size);
      if (b != NULL && !damaged) {
        damaged = true;
        bad_entry = e;
        bad = b;
        bad_seen = seen;
      }
      unpoison_entry(e, c->size);
    }
    kpi_la_call_free(c, list, e, site);
    e = next;
  }
  if (link_damaged) {
    kpi_la_raise_link_modified(c->sys, list, c->tag, c->size, link_entry,
                               link_found, link_expected, &link_seen, site);
    return;
  }
  // The byte is gone with the entry; report its address and offset only.
  if (damaged) {
    char tag[5];
    char where[160] = "an unknown site";
    if (bad_seen.known) kpi_site_text(bad_seen.free_site, where, sizeof where);
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = site;
    if (bad_seen.known) {
      ctx.free_site = &bad_seen.free_site;
      ctx.free_thread = bad_seen.free_thread;
    }
    kpi_bugcheck_raise(
        c->sys, KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL,
        (uint64_t)(uintptr_t)bad, 1, 0, (uint64_t)(uintptr_t)list, &ctx,
        "The entry %p was written to while it was cached in the lookaside "
        "list at %p (tag \"%s\", Size %u): byte %zu no longer held the fill "
        "0x%02X when the list was flushed. It had been freed to the list at "
        "%s by thread %u; the driver kept using it afterwards.",
        bad_entry, (const void *)list, kp_tag_text(c->tag, tag),
        (unsigned)c->size, (size_t)(bad - (const uint8_t *)bad_entry),
        KP_LOOKASIDE_FILL, where, (unsigned)bad_seen.free_thread);
  }
}

/* The checks flush and delete share: a plausible pointer, an active list
 * (else 0xC4/0xCB naming @p op), and the list's IRQL rule. Returns the
 * list's record, or NULL after a bug check. */
static la_rec_t *list_for_whole_list_op(kp_system_t *sys, kp_lookaside_t *list,
                                        unsigned op, kp_site_t site) {
  if (!kpi_la_list_ptr_ok(sys, list)) return NULL;
  la_rec_t *r = kpi_la_rec_find(sys, list);
  if (r == NULL) {
    kpi_la_raise_not_active(sys, list, op, site);
    return NULL;
  }
  if (!kpi_la_irql_ok(sys, r->pool, r->type, true, (uint64_t)(uintptr_t)list, &site))
    return NULL;
  return r;
}

void kp_lookaside_flush(kp_system_t *sys, kp_lookaside_t *list,
                        kp_site_t site) {
  sys = sys_or_current(sys);
  la_rec_t *r = list_for_whole_list_op(sys, list, LA_OP_FLUSH, site);
  if (r == NULL) return;
  uint32_t opts = atomic_load_explicit(&r->st->options, memory_order_relaxed);
  la_calls_t c = calls_of(r);
  release_chain(&c, r->st, list, kpi_slist_flush(&list->list_head), opts, site);
}

void kp_lookaside_delete(kp_system_t *sys, kp_lookaside_t *list,
                         kp_site_t site) {
  sys = sys_or_current(sys);
  la_rec_t *r = list_for_whole_list_op(sys, list, LA_OP_DELETE, site);
  if (r == NULL) return;
  la_state_t *st = r->st;
  uint32_t opts = atomic_load_explicit(&st->options, memory_order_relaxed);
  la_calls_t c = calls_of(r);
  // First out of the system's set (no scan touches it any more), then the
  // cached entries go to the free routine: the WRK order.
  kpi_mutex_lock(&st->lock);
  if (r->prev != NULL)
    r->prev->next = r->next;
  else
    st->head = r->next;
  if (r->next != NULL)
    r->next->prev = r->prev;
  else
    st->tail = r->prev;
  r->prev = r->next = NULL;
  atomic_fetch_sub(&st->active, 1);
  kpi_mutex_unlock(&st->lock);
  kpi_la_rec_release(r);
  __atomic_store_n(&list->future[0], 0, __ATOMIC_RELAXED);
  __atomic_store_n(&list->future[1], 0, __ATOMIC_RELAXED);
  release_chain(&c, st, list, kpi_slist_flush(&list->list_head), opts, site);
}

/* ---------------------------------------------------------------------------
 * Reports.
 * ------------------------------------------------------------------------- */
static void info_of(const la_rec_t *r, kp_lookaside_info_t *info) {
  const kp_lookaside_t *l = atomic_load_explicit(&r->list, memory_order_relaxed);
  memset(info, 0, sizeof *info);
  info->list = l;
  info->kind = r->kind;
  info->pool = r->pool;
  info->pool_type = r->type;
  info->flags = r->flags;
  info->tag = r->tag;
  info->size = r->size;
  info->current_depth = kp_slist_depth(&l->list_head);
  info->depth = __atomic_load_n(&l->depth, __ATOMIC_RELAXED);
  info->maximum_depth = __atomic_load_n(&l->maximum_depth, __ATOMIC_RELAXED);
  info->total_allocates = __atomic_load_n(&l->total_allocates, __ATOMIC_RELAXED);
  info->allocate_misses = __atomic_load_n(&l->allocate_misses, __ATOMIC_RELAXED);
  info->total_frees = __atomic_load_n(&l->total_frees, __ATOMIC_RELAXED);
  info->free_misses = __atomic_load_n(&l->free_misses, __ATOMIC_RELAXED);
  info->last_total_allocates =
      __atomic_load_n(&l->last_total_allocates, __ATOMIC_RELAXED);
  info->last_allocate_misses =
      __atomic_load_n(&l->last_allocate_misses, __ATOMIC_RELAXED);
  if (info->total_allocates != 0)
    info->allocate_hit_rate =
        100.0 * (double)(info->total_allocates - info->allocate_misses) /
        (double)info->total_allocates;
  if (info->total_frees != 0)
    info->free_hit_rate = 100.0 *
                          (double)(info->total_frees - info->free_misses) /
                          (double)info->total_frees;
  if (r->kind == KP_LOOKASIDE_EX) {
    info->default_allocate = l->allocate_ex_routine == kpi_la_default_allocate_ex;
    info->default_free = l->free_ex_routine == kpi_la_default_free_ex;
  } else {
    info->default_allocate = l->allocate_routine == kpi_la_default_allocate;
    info->default_free = l->free_routine == kpi_la_default_free;
  }
  info->init_site = r->init_site;
  info->init_thread = r->init_thread;
}

bool kp_lookaside_query(kp_system_t *sys, const kp_lookaside_t *list,
                        kp_lookaside_info_t *info) {
  sys = sys_or_current(sys);
  if (sys == NULL || list == NULL || info == NULL) return false;
  la_rec_t *r = kpi_la_rec_find(sys, (kp_lookaside_t *)(uintptr_t)list);
  if (r == NULL) return false;
  info_of(r, info);
  return true;
}

uint32_t kp_lookaside_visit(kp_system_t *sys, kp_lookaside_visitor_fn fn,
                            void *arg) {
  sys = sys_or_current(sys);
  if (sys == NULL || fn == NULL) return 0;
  la_state_t *st = kpi_la_state_get(sys, false);
  if (st == NULL) return 0;
  uint32_t n = 0;
  kpi_mutex_lock(&st->lock);
  for (la_rec_t *r = st->head; r != NULL; r = r->next) {
    kp_lookaside_info_t info;
    info_of(r, &info);
    n++;
    if (!fn(&info, arg)) break;
  }
  kpi_mutex_unlock(&st->lock);
  return n;
}

/* Up to @p cap infos of the active lists (malloc'd; *count set), so that
 * printing and bug checks happen without the registry lock. */
static kp_lookaside_info_t *snapshot(la_state_t *st, uint32_t *count,
                                     uint32_t *total) {
  kpi_mutex_lock(&st->lock);
  uint32_t n = atomic_load(&st->active);
  kp_lookaside_info_t *v = n ? calloc(n, sizeof *v) : NULL;
  uint32_t i = 0;
  if (v != NULL)
    for (la_rec_t *r = st->head; r != NULL && i < n; r = r->next) info_of(r, &v[i++]);
  kpi_mutex_unlock(&st->lock);
  *count = i;
  *total = n;
  return v;
}

static const char *pool_type_name(uint32_t base) {
  switch (base) {
  case 0: return "NonPagedPool";
  case 1: return "PagedPool";
  case 4: return "NonPagedPoolCacheAligned";
  case 5: return "PagedPoolCacheAligned";
  case 32: return "NonPagedPoolSession";
  case 33: return "PagedPoolSession";
  case 36: return "NonPagedPoolCacheAlignedSession";
  case 37: return "PagedPoolCacheAlignedSession";
  case 512: return "NonPagedPoolNx";
  case 516: return "NonPagedPoolNxCacheAligned";
  case 544: return "NonPagedPoolSessionNx";
  default: return "?";
  }
}

static unsigned hit_percent(uint32_t total, uint32_t misses) {
  if (total == 0) return 0;
  return (unsigned)(((uint64_t)(total - misses) * 100u) / total);
}

static void print_info(const kpi_writer_t *o, const kp_lookaside_info_t *in) {
  char tag[5];
  char where[160];
  // The type without the flag bits the list adds, then those bits.
  uint32_t base = in->pool_type & ~(uint32_t)(KP_POOL_RAISE_IF_ALLOCATION_FAILURE |
                                              KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE);
  if (in->kind != KP_LOOKASIDE_EX) base &= ~(uint32_t)KP_POOL_NX_ALLOCATION;
  const char *name = pool_type_name(base);
  if (in->kind != KP_LOOKASIDE_EX && base == 0 &&
      (in->pool_type & KP_POOL_NX_ALLOCATION))
    name = "NonPagedPoolNx";
  kpi_writef(o, "Lookaside \"\" @ 0x%016llx Tag(hex): 0x%08x \"%s\"\n",
       (unsigned long long)(uintptr_t)in->list, (unsigned)in->tag,
       kp_tag_text(in->tag, tag));
  kpi_writef(o, "Type           =       %04x %s%s%s\n", (unsigned)in->pool_type, name,
       (in->pool_type & KP_POOL_RAISE_IF_ALLOCATION_FAILURE)
           ? " | POOL_RAISE_IF_ALLOCATION_FAILURE" : "",
       (in->pool_type & KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE)
           ? " | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE" : "");
  kpi_writef(o, "Current Depth  = %10u   Max Depth  = %10u\n",
       (unsigned)in->current_depth, (unsigned)in->depth);
  kpi_writef(o, "Size           = %10u   Max Alloc  = %10llu\n", (unsigned)in->size,
       (unsigned long long)in->size * in->depth);
  kpi_writef(o, "AllocateMisses = %10u   FreeMisses = %10u\n",
       (unsigned)in->allocate_misses, (unsigned)in->free_misses);
  kpi_writef(o, "TotalAllocates = %10u   TotalFrees = %10u\n",
       (unsigned)in->total_allocates, (unsigned)in->total_frees);
  kpi_writef(o, "Hit Rate       = %9u%%   Hit Rate   = %9u%%\n",
       hit_percent(in->total_allocates, in->allocate_misses),
       hit_percent(in->total_frees, in->free_misses));
  kpi_site_text(in->init_site, where, sizeof where);
  kpi_writef(o, "kpool: %s, MaximumDepth %u, LastTotalAllocates %u, "
          "LastAllocateMisses %u\n",
       kind_api(in->kind), (unsigned)in->maximum_depth,
       (unsigned)in->last_total_allocates, (unsigned)in->last_allocate_misses);
  kpi_writef(o, "kpool: Allocate %s, Free %s; initialised at %s by thread %u\n",
       in->default_allocate ? "default (ExAllocatePoolWithTag)" : "driver routine",
       in->default_free ? "default (ExFreePool)" : "driver routine", where,
       (unsigned)in->init_thread);
}

void kp_report_lookaside(kp_system_t *sys, const kp_lookaside_t *list,
                         kp_output_fn out, void *arg) {
  sys = sys_or_current(sys);
  if (sys == NULL) return;
  kpi_writer_t o = {sys, out, arg};
  if (list != NULL) {
    kp_lookaside_info_t info;
    if (!kp_lookaside_query(sys, list, &info)) {
      kpi_writef(&o, "kpool: %p is not an active lookaside list\n", (const void *)list);
      return;
    }
    print_info(&o, &info);
    return;
  }
  la_state_t *st = kpi_la_state_get(sys, false);
  uint32_t count = 0, total = 0;
  kp_lookaside_info_t *v = st != NULL ? snapshot(st, &count, &total) : NULL;
  uint64_t cached = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (i != 0) kpi_writef(&o, "\n");
    print_info(&o, &v[i]);
    cached += v[i].current_depth;
  }
  kpi_writef(&o, "kpool: %u lookaside list%s, %llu entr%s cached\n", (unsigned)count,
       count == 1 ? "" : "s", (unsigned long long)cached, cached == 1 ? "y" : "ies");
  free(v);
}

static void la_report(kp_system_t *sys, void *state, kp_output_fn out,
                      void *arg) {
  (void)state;
  kp_report_lookaside(sys, NULL, out, arg);
}

kp_status_t kp_lookaside_verify(kp_system_t *sys) {
  sys = sys_or_current(sys);
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  la_state_t *st = kpi_la_state_get(sys, false);
  if (st == NULL) return KP_STATUS_SUCCESS;
  uint32_t opts = atomic_load(&st->options);
  if ((opts & (KP_LOOKASIDE_OPT_POISON | KP_LOOKASIDE_OPT_TRACK)) == 0)
    return KP_STATUS_SUCCESS;
  const kp_lookaside_t *list = NULL;
  const void *entry = NULL;
  const uint8_t *bad = NULL;
  kp_tag_t tag = 0;
  uint32_t size = 0;
  uint64_t link_found = LA_LINK_UNKNOWN, link_expected = LA_LINK_UNKNOWN;
  // kpool's own reads of cached entries (a paged list's are paged pool) are
  // legal at any IRQL: under force IRQL checking a fault here pages in
  // instead of raising 0xD1 with the registry lock held. Left before the
  // bug check below (the handler may longjmp).
  kpi_force_irql_internal_enter();
  kpi_mutex_lock(&st->lock);
  for (la_rec_t *r = st->head; r != NULL && entry == NULL; r = r->next) {
    kp_lookaside_t *l = atomic_load_explicit(&r->list, memory_order_relaxed);
    const kp_slist_entry_t *e = kp_slist_first(&l->list_head);
    // Bounded walk: a corrupted link could make a cycle. With tracking, a
    // link is followed only when it is the one the entry's free wrote.
    for (uint32_t n = 0; e != NULL && n < 65536u; n++) {
      if (opts & KP_LOOKASIDE_OPT_POISON) bad = fill_damage(e, r->size);
      const kp_slist_entry_t *next = e->next;
      if (bad == NULL && (opts & KP_LOOKASIDE_OPT_TRACK)) {
        uint64_t found, recorded;
        next = kpi_la_next_checked(st, e, &found, &recorded);
        if (found != LA_LINK_UNKNOWN) {
          link_found = found;
          link_expected = recorded;
        }
      }
      if (bad != NULL || link_found != LA_LINK_UNKNOWN) {
        list = l;
        entry = e;
        tag = r->tag;
        size = r->size;
        break;
      }
      e = next;
    }
  }
  uint8_t value = bad != NULL ? read_byte(bad) : 0;
  kpi_mutex_unlock(&st->lock);
  kpi_force_irql_internal_leave();
  if (entry == NULL) return KP_STATUS_SUCCESS;
  la_seen_t seen;
  memset(&seen, 0, sizeof seen);
  la_stripe_t *s = stripe_of(st, (uintptr_t)entry);
  spin_lock(&s->held);
  kpi_la_seen_copy(&seen, kpi_la_node_find(s, (uintptr_t)entry));
  spin_unlock(&s->held);
  if (bad != NULL)
    kpi_la_raise_modified(sys, list, tag, size, entry, bad, value, &seen, KP_NOSITE);
  else
    kpi_la_raise_link_modified(sys, list, tag, size, entry, link_found,
                               link_expected, &seen, KP_NOSITE);
  return KP_STATUS_HEAP_CORRUPTION;
}

/* ---------------------------------------------------------------------------
 * Module hooks: unload, pool frees, destroy.
 * ------------------------------------------------------------------------- */
static void la_unload_check(kp_system_t *sys, void *state) {
  la_state_t *st = state;
  if (atomic_load(&st->active) == 0) return;
  uint32_t count = 0, total = 0;
  kp_lookaside_info_t *v = snapshot(st, &count, &total);
  if (total == 0) {
    free(v);
    return;
  }
  kpi_writer_t o = {sys, NULL, NULL};
  kpi_writef(&o, "kpool: driver unload: %u lookaside list%s still active (never "
           "deleted):\n",
       (unsigned)total, total == 1 ? " is" : "s are");
  uint64_t first = 0;
  kp_tag_t first_tag = 0;
  for (uint32_t i = 0; i < count; i++) {
    char tag[5];
    char where[160];
    kpi_site_text(v[i].init_site, where, sizeof where);
    kpi_writef(&o, "  %p tag \"%s\" Size %u, %u cached, %s at %s (thread %u)\n",
         (const void *)v[i].list, kp_tag_text(v[i].tag, tag),
         (unsigned)v[i].size, (unsigned)v[i].current_depth,
         kind_api(v[i].kind), where, (unsigned)v[i].init_thread);
    if (i == 0) {
      first = (uint64_t)(uintptr_t)v[i].list;
      first_tag = v[i].tag;
    }
  }
  free(v);
  char tag[5];
  kpi_bugcheck_raise(sys, KP_BUGCHECK_TIMER_OR_DPC_INVALID, LA_C7_LOOKASIDE,
                     first, first_tag, total, NULL,
                     "The driver unloaded with %u lookaside list%s still "
                     "active; the first is at 0x%llx (tag \"%s\"). Windows "
                     "would later scan freed memory in its balance set "
                     "manager. The list above shows where each was "
                     "initialised.",
                     (unsigned)total, total == 1 ? "" : "s",
                     (unsigned long long)first, kp_tag_text(first_tag, tag));
}

/* A cached entry of a list still active at unload belongs to that list's
 * finding (0xC7), not to the driver's own leaks. */
static bool la_leak_owner(kp_system_t *sys, void *state,
                          const kp_block_info_t *block, char *why, size_t len) {
  (void)sys;
  la_state_t *st = state;
  if (atomic_load(&st->active) == 0) return false;
  uintptr_t a = (uintptr_t)block->address;
  la_stripe_t *s = stripe_of(st, a);
  spin_lock(&s->held);
  la_seen_t seen;
  kpi_la_seen_copy(&seen, kpi_la_node_find(s, a));
  spin_unlock(&s->held);
  bool cached = seen.cached;
  const kp_lookaside_t *list = seen.cached_in;
  kp_tag_t tag = seen.cached_tag;
  if (!cached) return false;
  char text[5];
  snprintf(why, len, "cached in lookaside list %p (tag \"%s\"), which was never deleted",
           (const void *)list, kp_tag_text(tag, text));
  return true;
}

/* la_before_free finds something only while a list is active or an entry
 * is tracked. */
static bool la_before_free_wanted(kp_system_t *sys, void *state) {
  (void)sys;
  la_state_t *st = state;
  return atomic_load_explicit(&st->active, memory_order_relaxed) != 0 ||
         atomic_load_explicit(&st->tracked, memory_order_relaxed) != 0;
}

static void la_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block) {
  la_state_t *st = state;
  uintptr_t lo = (uintptr_t)block->address;
  uintptr_t hi = lo + block->size;
  if (atomic_load_explicit(&st->active, memory_order_relaxed) != 0) {
    const kp_lookaside_t *found = NULL;
    kp_site_t init_site = KP_NOSITE;
    kpi_mutex_lock(&st->lock);
    for (la_rec_t *r = st->head; r != NULL; r = r->next) {
      uintptr_t l = (uintptr_t)atomic_load_explicit(&r->list, memory_order_relaxed);
      if (l < hi && l + sizeof(kp_lookaside_t) > lo) {
        found = (const kp_lookaside_t *)l;
        init_site = r->init_site;
        break;
      }
    }
    kpi_mutex_unlock(&st->lock);
    if (found != NULL) {
      char where[160];
      kpi_site_text(init_site, where, sizeof where);
      kpi_bugcheck_ctx_t ctx = {0};
      ctx.block = block;
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         LA_SUB_ACTIVE_IN_FREED, (uint64_t)(uintptr_t)found,
                         (uint64_t)lo, block->size, &ctx,
                         "The driver is freeing the pool block at %p (%zu "
                         "bytes), which contains the active lookaside list at "
                         "%p (initialised at %s). Delete the list first.",
                         block->address, block->size, (const void *)found,
                         where);
      return;
    }
  }
  if (atomic_load_explicit(&st->tracked, memory_order_relaxed) == 0) return;
  la_seen_t seen;
  la_stripe_t *s = stripe_of(st, lo);
  spin_lock(&s->held);
  la_node_t *n = kpi_la_node_find(s, lo);
  memset(&seen, 0, sizeof seen);
  if (n != NULL) {
    uint64_t cur = kpi_la_node_settled(n);
    for (;;) {
      if ((cur & LA_ST_MASK) == LA_ST_CACHED) {
        kpi_la_seen_copy(&seen, n);
        break;
      }
      // Handed out: the entry leaves the lists with its block.
      if (kpi_la_node_move(n, &cur, 0)) {
        kpi_la_node_unlink(st, s, n);
        break;
      }
    }
  }
  spin_unlock(&s->held);
  if (seen.cached)
    kpi_la_raise_freed_while_cached(sys, block->address, &seen, true, KP_NOSITE);
}

static void la_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  la_state_t *st = state;
  kpi_mutex_lock(&st->lock);
  la_rec_t *r = st->head;
  st->head = st->tail = NULL;
  kpi_mutex_unlock(&st->lock);
  while (r != NULL) {
    la_rec_t *next = r->next;
    r->prev = r->next = NULL;
    kpi_la_rec_release(r);
    r = next;
  }
  spin_lock(&kpi_la_global_lock);
  for (la_state_t **pp = &la_states; *pp != NULL; pp = &(*pp)->global_next) {
    if (*pp == st) {
      *pp = st->global_next;
      break;
    }
  }
  spin_unlock(&kpi_la_global_lock);
  state_free(st);
}

/* ---------------------------------------------------------------------------
 * AddressSanitizer: say which list a reported address was cached in.
 * ------------------------------------------------------------------------- */
#if defined(LA_ASAN)
static void la_asan_report(const char *report) {
  (void)report;
  uintptr_t a = (uintptr_t)__asan_get_report_address();
  if (a == 0) return;
  // The process is about to die: take no lock we cannot get at once.
  if (!spin_trylock(&kpi_la_global_lock)) return;
  for (la_state_t *st = la_states; st != NULL; st = st->global_next) {
    for (uint32_t i = 0; i < LA_STRIPES; i++) {
      la_stripe_t *s = &st->stripes[i];
      if (!spin_trylock(&s->held)) continue;
      for (uint32_t b = 0; b < s->nbuckets; b++) {
        for (la_node_t *n = s->buckets[b]; n != NULL; n = n->next) {
          // No wait for a BUSY node here: the process is about to die.
          if ((node_state(n) & LA_ST_MASK) != LA_ST_CACHED) continue;
          uint32_t size = la_ld(&n->cached_size);
          if (a < n->addr || a >= n->addr + size) continue;
          char tag[5];
          char where[160];
          kp_site_t fs = kp_site(la_ld(&n->free_site.file),
                                 la_ld(&n->free_site.line),
                                 la_ld(&n->free_site.caller));
          kpi_site_text(fs, where, sizeof where);
          fprintf(stderr,
                  "kpool: address %p is byte %zu of the entry %p cached in "
                  "the lookaside list at %p (tag \"%s\", Size %u); the entry "
                  "was freed to that list at %s by thread %u, and the driver "
                  "touched it afterwards.\n",
                  (void *)a, (size_t)(a - n->addr), (void *)n->addr,
                  (const void *)la_ld(&n->cached_in),
                  kp_tag_text(la_ld(&n->cached_tag), tag), (unsigned)size,
                  where, (unsigned)la_ld(&n->free_thread));
        }
      }
      spin_unlock(&s->held);
    }
  }
  spin_unlock(&kpi_la_global_lock);
}
#endif
