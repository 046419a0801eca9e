/*
 * lookaside.c — lookaside lists, the list operations: the table of list
 * records, initialisation, the allocate and free hit paths with their
 * GENERAL_LOOKASIDE counters, the list's routines, small queries and knobs,
 * and the balance set manager's depth adjustment. The contract is in
 * include/kpool/lookaside.h.
 *
 * The rest: the locked side of entry tracking in lookaside_track.c; the
 * per-system state, bug checks, flush and delete, reports, the module's
 * hooks (unload, pool frees, destroy) and the ASan report in
 * lookaside_report.c; what the three share in kp_lookaside_internal.h.
 *
 * Out-of-band state, never derived from memory the driver can write:
 * - a process-wide table of list records (chunks that are never freed, so a
 *   hint index in the list's Future[] field can be checked without
 *   trusting it: index in range, record->list == the list, generation and
 *   system equal);
 * - per system (a module, see kpi_system_add_module): the active lists in
 *   init order, the round-robin scan counter, the options, and a striped
 *   hash of every entry the lists have handed out or cached (its origin
 *   size, whether it is cached, where it was freed to the list).
 *
 * Locks: the global table lock (spin), each system's registry mutex, each
 * entry stripe (spin). None is held while a driver routine, the pool or a
 * bug check runs.
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

_Static_assert(sizeof(kp_lookaside_t) == 0x60, "GENERAL_LOOKASIDE_POOL is 0x60");
_Static_assert(offsetof(kp_lookaside_t, depth) == 0x10, "Depth at 0x10");
_Static_assert(offsetof(kp_lookaside_t, maximum_depth) == 0x12, "MaximumDepth");
_Static_assert(offsetof(kp_lookaside_t, total_allocates) == 0x14, "TotalAllocates");
_Static_assert(offsetof(kp_lookaside_t, allocate_misses) == 0x18, "AllocateMisses");
_Static_assert(offsetof(kp_lookaside_t, total_frees) == 0x1C, "TotalFrees");
_Static_assert(offsetof(kp_lookaside_t, free_misses) == 0x20, "FreeMisses");
_Static_assert(offsetof(kp_lookaside_t, type) == 0x24, "Type");
_Static_assert(offsetof(kp_lookaside_t, tag) == 0x28, "Tag");
_Static_assert(offsetof(kp_lookaside_t, size) == 0x2C, "Size");
_Static_assert(offsetof(kp_lookaside_t, allocate_routine) == 0x30, "Allocate");
_Static_assert(offsetof(kp_lookaside_t, free_routine) == 0x38, "Free");
_Static_assert(offsetof(kp_lookaside_t, list_entry) == 0x40, "ListEntry");
_Static_assert(offsetof(kp_lookaside_t, last_total_allocates) == 0x50, "LastTotalAllocates");
_Static_assert(offsetof(kp_lookaside_t, last_allocate_misses) == 0x54, "LastAllocateMisses");
_Static_assert(offsetof(kp_lookaside_t, future) == 0x58, "Future");

/* The Ex pool types accepted (kpool/lookaside.h). */
static bool ex_pool_type_valid(uint32_t t) {
  switch (t) {
  case 0: case 1: case 4: case 5: case 512: case 516:
  case 32: case 33: case 36: case 37: case 544:
    return true;
  default:
    return false;
  }
}

/* ---------------------------------------------------------------------------
 * Records.
 * ------------------------------------------------------------------------- */
/* The first chunk is static: a hit on one of the first LA_CHUNK records
 * (the usual case) finds it without loading la_chunks[0]. */
static la_rec_t la_chunk0[LA_CHUNK];
static _Atomic(la_rec_t *) la_chunks[LA_MAX_CHUNKS];
atomic_bool kpi_la_global_lock;
static uint32_t la_chunk_count;    /* under kpi_la_global_lock */
static la_rec_t *la_free_recs;     /* under kpi_la_global_lock */

/* A zeroed chunk of records (never freed). */
static la_rec_t *chunk_new(void) {
  if (la_chunk_count == 0) return la_chunk0;
  return calloc(LA_CHUNK, sizeof(la_rec_t));
}

static la_rec_t *rec_alloc(void) {
  la_rec_t *r = NULL;
  spin_lock(&kpi_la_global_lock);
  if (la_free_recs == NULL && la_chunk_count < LA_MAX_CHUNKS) {
    la_rec_t *chunk = chunk_new();
    if (chunk != NULL) {
      for (uint32_t i = 0; i < LA_CHUNK; i++) {
        atomic_init(&chunk[i].list, NULL);
        atomic_init(&chunk[i].gen, 1);
        chunk[i].index = la_chunk_count * LA_CHUNK + i;
        chunk[i].free_next = i + 1 < LA_CHUNK ? &chunk[i + 1] : NULL;
      }
      la_free_recs = chunk;
      atomic_store_explicit(&la_chunks[la_chunk_count], chunk,
                            memory_order_release);
      la_chunk_count++;
    }
  }
  r = la_free_recs;
  if (r != NULL) la_free_recs = r->free_next;
  spin_unlock(&kpi_la_global_lock);
  return r;
}

void kpi_la_rec_release(la_rec_t *r) {
  atomic_store_explicit(&r->list, NULL, memory_order_release);
  atomic_fetch_add_explicit(&r->gen, 1, memory_order_relaxed);
  spin_lock(&kpi_la_global_lock);
  r->free_next = la_free_recs;
  la_free_recs = r;
  spin_unlock(&kpi_la_global_lock);
}

/* ---------------------------------------------------------------------------
 * Finding a list's record.
 * ------------------------------------------------------------------------- */

/* The record the hint in Future[] names, if it really describes @p list. */
LA_HOT la_rec_t *rec_hint(kp_system_t *sys, const kp_lookaside_t *list) {
  uint32_t idx = __atomic_load_n(&list->future[0], __ATOMIC_RELAXED);
  uint32_t gen = __atomic_load_n(&list->future[1], __ATOMIC_RELAXED);
  if (idx == 0 || idx > LA_MAX_CHUNKS * LA_CHUNK) return NULL;
  idx--;
  la_rec_t *r;
  if (LA_LIKELY(idx < LA_CHUNK)) {
    // Not yet handed out, a record of la_chunk0 names no list (zeroed).
    r = &la_chunk0[idx];
  } else {
    la_rec_t *chunk = atomic_load_explicit(&la_chunks[idx >> LA_CHUNK_BITS],
                                           memory_order_acquire);
    if (chunk == NULL) return NULL;
    r = &chunk[idx & (LA_CHUNK - 1)];
  }
  if (atomic_load_explicit(&r->list, memory_order_acquire) != list) return NULL;
  if (atomic_load_explicit(&r->gen, memory_order_relaxed) != gen) return NULL;
  if (r->sys != sys) return NULL;
  return r;
}

/* The active record of @p list in @p sys, or NULL. Falls back to the
 * registry when the hint was overwritten (and repairs it). */
la_rec_t *kpi_la_rec_find(kp_system_t *sys, kp_lookaside_t *list) {
  la_rec_t *r = rec_hint(sys, list);
  if (r != NULL) return r;
  la_state_t *st = kpi_la_state_get(sys, false);
  if (st == NULL) return NULL;
  kpi_mutex_lock(&st->lock);
  for (r = st->head; r != NULL; r = r->next)
    if (atomic_load_explicit(&r->list, memory_order_relaxed) == list) break;
  if (r != NULL) {
    __atomic_store_n(&list->future[0], r->index + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&list->future[1], atomic_load(&r->gen), __ATOMIC_RELAXED);
  }
  kpi_mutex_unlock(&st->lock);
  return r;
}

/* Raises for a list pointer the SLIST could not use. */
bool kpi_la_list_ptr_ok(kp_system_t *sys, const void *list) {
  if (list == NULL) {
    kpi_raise(sys, KP_STATUS_ACCESS_VIOLATION);
    return false;
  }
  if (((uintptr_t)list & 15u) != 0) {
    kpi_raise(sys, KP_STATUS_DATATYPE_MISALIGNMENT);
    return false;
  }
  return true;
}

static uint16_t minimum_depth(const kp_system_t *sys) {
  if (sys->cfg.verifier_flags & KP_VERIFY_LOOKASIDE_DEPTH_ZERO) return 0;
  return sys->cfg.lookaside_minimum_depth;
}

/* ---------------------------------------------------------------------------
 * Calling the list's routines.
 * ------------------------------------------------------------------------- */

/* The defaults stored in a list's Allocate/Free fields. The simulator
 * recognises them and calls the pool itself with the list's system and the
 * caller's site; called directly (a driver calling L.Allocate), they act on
 * the current system. */
void *kpi_la_default_allocate(uint32_t pool_type, size_t size, kp_tag_t tag) {
  return kp_alloc_legacy(kp_system_current(), KP_API_LOOKASIDE, pool_type,
                         size, tag, KP_PRIORITY_NORMAL, KP_NOSITE);
}

void kpi_la_default_free(void *entry) {
  kp_free(kp_system_current(), entry, 0, KP_NOSITE);
}

void *kpi_la_default_allocate_ex(uint32_t pool_type, size_t size,
                                 kp_tag_t tag, kp_lookaside_t *list) {
  (void)list;
  return kpi_la_default_allocate(pool_type, size, tag);
}

void kpi_la_default_free_ex(void *entry, kp_lookaside_t *list) {
  (void)list;
  kpi_la_default_free(entry);
}

static void *call_allocate(const la_calls_t *c, kp_lookaside_t *list,
                           kp_site_t site) {
  // Windows reads the routine from the list at each call; so do we.
  if (c->kind == KP_LOOKASIDE_EX) {
    kp_lookaside_allocate_ex_fn fn = list->allocate_ex_routine;
    if (fn == kpi_la_default_allocate_ex || fn == NULL)
      return kp_alloc_legacy(c->sys, KP_API_LOOKASIDE, c->type, c->size,
                             c->tag, KP_PRIORITY_NORMAL, site);
    if (c->invoker != NULL && c->invoker->allocate != NULL)
      return c->invoker->allocate(list, (void (*)(void))fn, c->type, c->size,
                                  c->tag);
    return fn(c->type, c->size, c->tag, list);
  }
  kp_lookaside_allocate_fn fn = list->allocate_routine;
  if (fn == kpi_la_default_allocate || fn == NULL)
    return kp_alloc_legacy(c->sys, KP_API_LOOKASIDE, c->type, c->size, c->tag,
                           KP_PRIORITY_NORMAL, site);
  if (c->invoker != NULL && c->invoker->allocate != NULL)
    return c->invoker->allocate(list, (void (*)(void))fn, c->type, c->size,
                                c->tag);
  return fn(c->type, c->size, c->tag);
}

void kpi_la_call_free(const la_calls_t *c, kp_lookaside_t *list, void *entry,
                      kp_site_t site) {
  if (c->kind == KP_LOOKASIDE_EX) {
    kp_lookaside_free_ex_fn fn = list->free_ex_routine;
    if (fn == kpi_la_default_free_ex || fn == NULL) {
      kp_free(c->sys, entry, 0, site);
    } else if (c->invoker != NULL && c->invoker->free != NULL) {
      c->invoker->free(list, (void (*)(void))fn, entry);
    } else {
      fn(entry, list);
    }
    return;
  }
  kp_lookaside_free_fn fn = list->free_routine;
  if (fn == kpi_la_default_free || fn == NULL) {
    kp_free(c->sys, entry, 0, site);
  } else if (c->invoker != NULL && c->invoker->free != NULL) {
    c->invoker->free(list, (void (*)(void))fn, entry);
  } else {
    fn(entry);
  }
}

/* The site by value, for the slow paths (NULL: no site). The hot paths
 * pass it by address: a 24-byte struct built by the caller and copied again
 * costs a store-forwarding stall per call on x86-64 (~5 ns). */
static kp_site_t site_of(const kp_site_t *at) {
  if (at == NULL) return KP_NOSITE;
  return kp_site(at->file, at->line, at->caller);
}

bool kpi_la_irql_ok(kp_system_t *sys, kp_pool_kind_t pool, uint32_t type,
                    bool freeing, uint64_t size_or_addr, const kp_site_t *at) {
  // The common case costs one thread-local read.
  if (kpi_irql() <= KP_APC_LEVEL) return true;
  return kpi_pool_irql_ok(sys, pool, type, freeing, size_or_addr, site_of(at));
}

/* ---------------------------------------------------------------------------
 * Initialisation.
 * ------------------------------------------------------------------------- */
static kp_status_t validate(const kp_lookaside_params_t *p, uint32_t *type) {
  if (p->kind == KP_LOOKASIDE_EX) {
    if (!ex_pool_type_valid(p->pool_type)) return KP_STATUS_INVALID_PARAMETER_4;
    uint32_t f = p->flags;
    bool ok = f == 0 || f == KP_LOOKASIDE_EX_FLAGS_RAISE_ON_FAIL ||
              (f == KP_LOOKASIDE_EX_FLAGS_FAIL_NO_RAISE && p->allocate_ex != NULL);
    if (!ok) return KP_STATUS_INVALID_PARAMETER_5;
    if (p->size > UINT32_MAX) return KP_STATUS_INVALID_PARAMETER_6;
    *type = p->pool_type;
    if (f == KP_LOOKASIDE_EX_FLAGS_RAISE_ON_FAIL)
      *type |= KP_POOL_RAISE_IF_ALLOCATION_FAILURE;
    if (f == KP_LOOKASIDE_EX_FLAGS_FAIL_NO_RAISE)
      *type |= KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
    return KP_STATUS_SUCCESS;
  }
  if (p->kind != KP_LOOKASIDE_NPAGED && p->kind != KP_LOOKASIDE_PAGED)
    return KP_STATUS_INVALID_PARAMETER;
  if ((p->flags & ~(uint32_t)LA_CLASSIC_FLAGS) != 0)
    return KP_STATUS_INVALID_PARAMETER_4;
  if (p->size > UINT32_MAX) return KP_STATUS_INVALID_PARAMETER_5;
  *type = (p->kind == KP_LOOKASIDE_PAGED ? KP_POOL_TYPE_PAGED
                                         : KP_POOL_TYPE_NONPAGED) |
          p->flags;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_lookaside_initialize(kp_system_t *sys, kp_lookaside_t *list,
                                    const kp_lookaside_params_t *params,
                                    kp_site_t site) {
  sys = sys_or_current(sys);
  if (sys == NULL || params == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (!kpi_la_list_ptr_ok(sys, list)) return KP_STATUS_ACCESS_VIOLATION;
  uint32_t type = 0;
  kp_status_t st = validate(params, &type);
  if (!KP_SUCCESS(st)) return st;
  kp_pool_kind_t pool =
      (params->kind == KP_LOOKASIDE_PAGED ||
       (params->kind == KP_LOOKASIDE_EX && (params->pool_type & 1u) != 0))
          ? KP_POOL_PAGED
          : KP_POOL_NONPAGED;
  if (!kpi_la_irql_ok(sys, pool, type, false, params->size, &site))
    return KP_STATUS_UNSUCCESSFUL;

  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  la_rec_t *old = kpi_la_rec_find(sys, list);
  if (old != NULL) {
    char where[160];
    kpi_site_text(old->init_site, where, sizeof where);
    kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                       LA_SUB_REINIT, (uint64_t)(uintptr_t)list, 0, 0, &ctx,
                       "The driver is initialising the lookaside list at %p, "
                       "which is already active: it was initialised at %s by "
                       "thread %u and never deleted.",
                       (void *)list, where, (unsigned)old->init_thread);
    return KP_STATUS_UNSUCCESSFUL;
  }
  if (params->size < KP_LOOKASIDE_MINIMUM_BLOCK_SIZE) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                       LA_SUB_SIZE_TOO_SMALL, (uint64_t)(uintptr_t)list,
                       params->size, KP_LOOKASIDE_MINIMUM_BLOCK_SIZE, &ctx,
                       "The driver is initialising the lookaside list at %p "
                       "with Size %zu; the minimum is "
                       "LOOKASIDE_MINIMUM_BLOCK_SIZE (%u), the SLIST link.",
                       (void *)list, params->size,
                       KP_LOOKASIDE_MINIMUM_BLOCK_SIZE);
    return KP_STATUS_UNSUCCESSFUL;
  }
  la_state_t *state = kpi_la_state_get(sys, true);
  if (state == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  la_rec_t *r = rec_alloc();
  if (r == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;

  // The list as Windows leaves it after initialisation.
  memset(list, 0, sizeof *list);
  kp_slist_init(&list->list_head);
  list->depth = minimum_depth(sys);
  list->maximum_depth = sys->cfg.lookaside_maximum_depth;
  list->type = type;
  list->tag = params->tag;
  list->size = (uint32_t)params->size;
  if (params->kind == KP_LOOKASIDE_EX) {
    list->allocate_ex_routine =
        params->allocate_ex ? params->allocate_ex : kpi_la_default_allocate_ex;
    list->free_ex_routine = params->free_ex ? params->free_ex : kpi_la_default_free_ex;
  } else {
    list->allocate_routine = params->allocate ? params->allocate : kpi_la_default_allocate;
    list->free_routine =
        params->free_routine ? params->free_routine : kpi_la_default_free;
  }
  list->list_entry.flink = &list->list_entry;
  list->list_entry.blink = &list->list_entry;

  r->sys = sys;
  r->st = state;
  r->kind = params->kind;
  r->pool = pool;
  r->type = type;
  r->flags = params->flags;
  r->size = (uint32_t)params->size;
  r->tag = params->tag;
  r->invoker = params->invoker;
  r->init_site = site;
  r->init_thread = kp_thread_id();
  uint32_t gen = atomic_load_explicit(&r->gen, memory_order_relaxed);
  list->future[0] = r->index + 1;
  list->future[1] = gen;

  r->sys_gen = sys->generation;
  kpi_mutex_lock(&state->lock);
  // Under the lock, as kp_lookaside_set_options changes them.
  la_st(&r->opts, atomic_load_explicit(&state->options, memory_order_relaxed));
  r->next = NULL;
  r->prev = state->tail;
  if (state->tail != NULL)
    state->tail->next = r;
  else
    state->head = r;
  state->tail = r;
  // Published last: the hot path trusts a record only once it names the list.
  atomic_store_explicit(&r->list, list, memory_order_release);
  atomic_fetch_add(&state->active, 1);
  kpi_mutex_unlock(&state->lock);
  return KP_STATUS_SUCCESS;
}

void kp_lookaside_init(kp_system_t *sys, kp_lookaside_t *list,
                       kp_lookaside_kind_t kind,
                       kp_lookaside_allocate_fn allocate,
                       kp_lookaside_free_fn free_routine, uint32_t flags,
                       size_t size, kp_tag_t tag, uint16_t depth,
                       kp_site_t site) {
  sys = sys_or_current(sys);
  if (kind != KP_LOOKASIDE_NPAGED && kind != KP_LOOKASIDE_PAGED) {
    kpi_raise(sys, KP_STATUS_INVALID_PARAMETER);
    return;
  }
  kp_lookaside_params_t p;
  memset(&p, 0, sizeof p);
  p.kind = kind;
  p.allocate = allocate;
  p.free_routine = free_routine;
  p.flags = flags;
  p.size = size;
  p.tag = tag;
  p.depth = depth;
  kp_status_t st = kp_lookaside_initialize(sys, list, &p, site);
  // VOID on Windows: a bad value can only be raised.
  if (st == KP_STATUS_INVALID_PARAMETER || st == KP_STATUS_INVALID_PARAMETER_4 ||
      st == KP_STATUS_INVALID_PARAMETER_5)
    kpi_raise(sys, st);
}

kp_status_t kp_lookaside_init_ex(kp_system_t *sys, kp_lookaside_t *list,
                                 kp_lookaside_allocate_ex_fn allocate,
                                 kp_lookaside_free_ex_fn free_routine,
                                 uint32_t pool_type, uint32_t flags,
                                 size_t size, kp_tag_t tag, uint16_t depth,
                                 kp_site_t site) {
  kp_lookaside_params_t p;
  memset(&p, 0, sizeof p);
  p.kind = KP_LOOKASIDE_EX;
  p.allocate_ex = allocate;
  p.free_ex = free_routine;
  p.pool_type = pool_type;
  p.flags = flags;
  p.size = size;
  p.tag = tag;
  p.depth = depth;
  return kp_lookaside_initialize(sys, list, &p, site);
}

/* ---------------------------------------------------------------------------
 * Allocate and free: the hot paths.
 *
 * One body per operation, inlined into each entry point: the _at ones (the
 * site by address, NULL for none) and the _site ones of the WDK face (the
 * site's fields in registers). The common case (a hit) builds no site and
 * takes no lock; everything else is in out-of-line functions that receive
 * the site by value, built only then.
 * ------------------------------------------------------------------------- */

/* Where a call came from: a site by address (the _at entry points), or its
 * fields (the _site ones). Lookaside reports carry no outer caller (as
 * before: only the pool's allocation entry points record one). */
typedef struct la_where {
  const kp_site_t *at;
  const char *file;
  uint32_t line;
  const void *caller;
} la_where_t;

LA_HOT la_where_t where_at(const kp_site_t *at) {
  la_where_t w = {at, NULL, 0, NULL};
  return w;
}

LA_HOT const char *where_file(la_where_t w) {
  return w.at != NULL ? w.at->file : w.file;
}
LA_HOT uint32_t where_line(la_where_t w) {
  return w.at != NULL ? w.at->line : w.line;
}
LA_HOT const void *where_caller(la_where_t w) {
  return w.at != NULL ? w.at->caller : w.caller;
}
LA_HOT kp_site_t where_site(la_where_t w) {
  return kp_site(where_file(w), where_line(w), where_caller(w));
}

/* Counts one event in a GENERAL_LOOKASIDE counter: the plain increment of
 * Windows' inline routines (facts 3.3), a load and a store, no locked
 * instruction, with checks on or off. An update may be lost when two
 * processors count at once, as on Windows; single-threaded counts are
 * exact. (docs/decisions.md, "lookaside fast path".) */
LA_HOT void counter_bump(uint32_t *c) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* The checks every operation starts with, off the hot path: a list
 * pointer the SLIST could not use (raises), a list that is not active in
 * @p sys (0xC4/0xCB), the IRQL rule. Return the record, or NULL after the
 * report. */
LA_COLD la_rec_t *rec_slow(kp_system_t *sys, kp_lookaside_t *list,
                           unsigned op, kp_site_t site) {
  if (!kpi_la_list_ptr_ok(sys, list)) return NULL;
  la_rec_t *r = kpi_la_rec_find(sys, list);
  if (r == NULL) kpi_la_raise_not_active(sys, list, op, site);
  return r;
}

LA_COLD bool irql_slow(kp_system_t *sys, const la_rec_t *r, bool freeing,
                       uint64_t size_or_addr, kp_site_t site) {
  return kpi_pool_irql_ok(sys, r->pool, r->type, freeing, size_or_addr, site);
}

/* The active record of @p list: the Future[] hint, else the slow path. */
LA_HOT la_rec_t *rec_of(kp_system_t *sys, kp_lookaside_t *list, unsigned op,
                        la_where_t w) {
  la_rec_t *r = NULL;
  if (LA_LIKELY(list != NULL && ((uintptr_t)list & 15u) == 0))
    r = rec_hint(sys, list);
  if (LA_UNLIKELY(r == NULL)) r = rec_slow(sys, list, op, where_site(w));
  return r;
}

/* A damaged cached entry left the list: it is not handed out but goes to
 * the free routine first (nothing leaks when the bug check handler
 * longjmps), then 0xC6. */
LA_COLD void alloc_damaged(kp_system_t *sys, const la_rec_t *r,
                           kp_lookaside_t *list, void *entry, uint32_t opts,
                           const uint8_t *bad, kp_site_t site) {
  la_seen_t seen;
  memset(&seen, 0, sizeof seen);
  if (opts & KP_LOOKASIDE_OPT_TRACK) kpi_la_track_leave(r->st, entry, false, &seen);
  uint8_t value = read_byte(bad);
  la_calls_t c = calls_of(r);
  la_seen_t ignored;
  if (opts & KP_LOOKASIDE_OPT_TRACK) kpi_la_track_leave(r->st, entry, true, &ignored);
  kpi_la_call_free(&c, list, entry, site);
  kpi_la_raise_modified(sys, list, r->tag, r->size, entry, bad, value, &seen, site);
}

/* A cached entry's link word was overwritten (la_pop_tracked popped it with
 * the recorded link, so the list is whole): as alloc_damaged, the entry
 * goes to the free routine, then 0xC6. */
LA_COLD void alloc_bad_link(kp_system_t *sys, const la_rec_t *r,
                            kp_lookaside_t *list, void *entry, uint32_t opts,
                            uint64_t found, kp_site_t site) {
  la_seen_t seen;
  memset(&seen, 0, sizeof seen);
  kpi_la_track_leave(r->st, entry, false, &seen);
  uint64_t expected = seen.link;
  if (opts & KP_LOOKASIDE_OPT_POISON) unpoison_entry(entry, r->size);
  la_calls_t c = calls_of(r);
  la_seen_t ignored;
  kpi_la_track_leave(r->st, entry, true, &ignored);
  kpi_la_call_free(&c, list, entry, site);
  kpi_la_raise_link_modified(sys, list, r->tag, r->size, entry, found,
                             expected, &seen, site);
}

/* The list was empty: AllocateMisses + 1 and the allocate routine. */
static __attribute__((noinline)) void *
alloc_miss(const la_rec_t *r, kp_lookaside_t *list, uint32_t opts,
           kp_site_t site) {
  counter_bump(&list->allocate_misses);
  la_calls_t c = calls_of(r);
  void *entry = call_allocate(&c, list, site);
  if (entry != NULL && (opts & KP_LOOKASIDE_OPT_TRACK))
    kpi_la_track_origin(r->st, entry, list, r->size);
  return entry;
}

LA_HOT void *alloc_body(kp_system_t *sys, kp_lookaside_t *list,
                        la_where_t w) {
  if (LA_UNLIKELY(sys == NULL)) sys = kp_system_current();
  la_rec_t *r = rec_of(sys, list, LA_OP_ALLOCATE, w);
  if (LA_UNLIKELY(r == NULL)) return NULL;
  kpi_thread_t *t = kpi_thread();
  if (LA_UNLIKELY(t->irql > KP_APC_LEVEL) &&
      !irql_slow(sys, r, false, r->size, where_site(w)))
    return NULL;
  uint32_t opts = la_ld(&r->opts);
  // Read before the pop: the locked instruction waits for them anyway, and
  // the entry's node is then at hand when the entry is.
  la_last_t last = thread_last(t, r);
  // Every allocation is counted, a hit on a damaged entry (0xC6, the handler
  // returning) too. Windows counts before it pops (facts 3.3); counting
  // just after is the same to one thread and lets the pop's locked
  // instruction go without waiting for the store. With tracking, the pop
  // checks the entry's link word against the one its free wrote.
  uint64_t bad_link = LA_LINK_UNKNOWN;
  la_node_t *node = NULL;
  void *entry = (opts & KP_LOOKASIDE_OPT_TRACK)
                    ? la_pop_tracked(r, &list->list_head, last, &node, &bad_link)
                    : kpi_slist_pop(&list->list_head);
  counter_bump(&list->total_allocates);
  if (LA_UNLIKELY(entry == NULL)) return alloc_miss(r, list, opts, where_site(w));
  if (LA_UNLIKELY(bad_link != LA_LINK_UNKNOWN)) {
    alloc_bad_link(sys, r, list, entry, opts, bad_link, where_site(w));
    return NULL;
  }
  // The fill is checked first: the entry is the caller's since the pop, and
  // the node's record is copied out (for the report) only when damaged.
  if (opts & KP_LOOKASIDE_OPT_POISON) {
    const uint8_t *bad = fill_damage(entry, r->size);
    unpoison_entry(entry, r->size);
    if (LA_UNLIKELY(bad != NULL)) {
      alloc_damaged(sys, r, list, entry, opts, bad, where_site(w));
      return NULL;
    }
  }
  if (opts & KP_LOOKASIDE_OPT_TRACK) {
    if (node != NULL) {
      // The pop found it CACHED and made it ours: CACHED -> OUT is a store.
      __atomic_store_n(&node->state, st_word((uintptr_t)entry, LA_ST_OUT),
                       __ATOMIC_RELEASE);
      if (last.node != node) thread_remember(t, r, (uintptr_t)entry, node);
    } else {
      kpi_la_track_leave(r->st, entry, false, NULL);
    }
  }
  return entry;
}

void *kp_lookaside_alloc_at(kp_system_t *sys, kp_lookaside_t *list,
                            const kp_site_t *at) {
  return alloc_body(sys, list, where_at(at));
}

void *kp_lookaside_alloc_site(kp_lookaside_t *list, const char *file,
                              uint32_t line, const void *caller) {
  la_where_t w = {NULL, file, line, caller};
  return alloc_body(NULL, list, w);
}

/* The name in parentheses: kpool/lookaside.h makes it a macro over an inline
 * forwarder (KP_SITE_FORWARDERS); this is the exported function. */
void *(kp_lookaside_alloc)(kp_system_t *sys, kp_lookaside_t *list,
                         kp_site_t site) {
  return kp_lookaside_alloc_at(sys, list, &site);
}

/* A bad entry pointer: the raise the SLIST push would have caused. */
LA_COLD void free_bad_entry(kp_system_t *sys, const void *entry) {
  kpi_raise(sys, entry == NULL ? KP_STATUS_ACCESS_VIOLATION
                               : KP_STATUS_DATATYPE_MISALIGNMENT);
}

/* The locked free (the hint did not know the entry, a refused free, a free
 * miss): false after a report (the free is abandoned). */
static __attribute__((noinline)) bool
free_tracked(kp_system_t *sys, const la_rec_t *r, kp_lookaside_t *list,
             void *entry, bool push, kp_site_t site) {
  la_seen_t seen;
  enum la_free_verdict v =
      kpi_la_track_free(sys, r->st, r, list, entry, push, &site, &seen);
  if (v == LA_FREE_WRONG_LIST) {
    kpi_la_raise_wrong_list(sys, r, list, entry, &seen, site);
    return false;
  }
  if (v == LA_FREE_TWICE) {
    kpi_la_raise_freed_while_cached(sys, entry, &seen, false, site);
    return false;
  }
  return true;
}

/* The list held Depth entries: FreeMisses + 1 and the free routine. */
static __attribute__((noinline)) void
free_miss(const la_rec_t *r, kp_lookaside_t *list, void *entry,
          kp_site_t site) {
  counter_bump(&list->free_misses);
  la_calls_t c = calls_of(r);
  kpi_la_call_free(&c, list, entry, site);
}

LA_HOT void free_body(kp_system_t *sys, kp_lookaside_t *list, void *entry,
                      la_where_t w) {
  if (LA_UNLIKELY(sys == NULL)) sys = kp_system_current();
  la_rec_t *r = rec_of(sys, list, LA_OP_FREE, w);
  if (LA_UNLIKELY(r == NULL)) return;
  if (LA_UNLIKELY(entry == NULL || ((uintptr_t)entry & 15u) != 0)) {
    free_bad_entry(sys, entry);
    return;
  }
  kpi_thread_t *t = kpi_thread();
  if (LA_UNLIKELY(t->irql > KP_APC_LEVEL) &&
      !irql_slow(sys, r, true, (uint64_t)(uintptr_t)entry, where_site(w)))
    return;
  uint32_t opts = la_ld(&r->opts);
  // Windows: push only while the list holds fewer entries than Depth.
  uint16_t depth = __atomic_load_n(&list->depth, __ATOMIC_RELAXED);
  bool push = kpi_slist_depth(&list->list_head) < depth;
  la_node_t *node = NULL; // a free hit's node: its push records the link
  if ((opts & KP_LOOKASIDE_OPT_TRACK) &&
      LA_UNLIKELY(!(push && track_free_hit(t, r, thread_last(t, r), list,
                                           entry, where_file(w), where_line(w),
                                           where_caller(w), &node))) &&
      !free_tracked(sys, r, list, entry, push, where_site(w)))
    return;
  if (LA_UNLIKELY(!push)) {
    counter_bump(&list->total_frees);
    free_miss(r, list, entry, where_site(w));
    return;
  }
  if (opts & KP_LOOKASIDE_OPT_POISON) poison_entry(entry, r->size);
  if (node != NULL)
    la_push_linked(&list->list_head, entry, node);
  else
    kpi_slist_push(&list->list_head, entry);
  counter_bump(&list->total_frees); // after the push: see alloc_body
}

void kp_lookaside_free_at(kp_system_t *sys, kp_lookaside_t *list, void *entry,
                          const kp_site_t *at) {
  free_body(sys, list, entry, where_at(at));
}

void kp_lookaside_free_site(kp_lookaside_t *list, void *entry,
                            const char *file, uint32_t line,
                            const void *caller) {
  la_where_t w = {NULL, file, line, caller};
  free_body(NULL, list, entry, w);
}

void (kp_lookaside_free)(kp_system_t *sys, kp_lookaside_t *list, void *entry,
                       kp_site_t site) {
  kp_lookaside_free_at(sys, list, entry, &site);
}

/* ---------------------------------------------------------------------------
 * Small queries and knobs.
 * ------------------------------------------------------------------------- */
uint16_t kp_lookaside_cached(const kp_lookaside_t *list) {
  if (list == NULL) return 0;
  return kp_slist_depth(&list->list_head);
}

bool kp_lookaside_set_depth(kp_system_t *sys, kp_lookaside_t *list,
                            uint16_t depth) {
  sys = sys_or_current(sys);
  if (sys == NULL || list == NULL) return false;
  if (kpi_la_rec_find(sys, list) == NULL) return false;
  uint16_t max = __atomic_load_n(&list->maximum_depth, __ATOMIC_RELAXED);
  __atomic_store_n(&list->depth, depth > max ? max : depth, __ATOMIC_RELAXED);
  return true;
}

uint32_t kp_lookaside_set_options(kp_system_t *sys, uint32_t options) {
  sys = sys_or_current(sys);
  if (sys == NULL) return 0;
  la_state_t *st = kpi_la_state_get(sys, true);
  if (st == NULL) return 0;
  uint32_t opts = options & KP_LOOKASIDE_OPT_DEFAULT;
  // With the active lists' copies, under the registry lock (which
  // kp_lookaside_initialize holds when it copies the options).
  kpi_mutex_lock(&st->lock);
  uint32_t old = atomic_exchange(&st->options, opts);
  bool poison_changed = ((old ^ opts) & KP_LOOKASIDE_OPT_POISON) != 0;
  bool track_off = (old & KP_LOOKASIDE_OPT_TRACK) && !(opts & KP_LOOKASIDE_OPT_TRACK);
  for (la_rec_t *r = st->head; r != NULL; r = r->next) {
    la_st(&r->opts, opts);
    if (!poison_changed && !track_off) continue;
    // The entries cached now follow the new rule: filled (and poisoned
    // for ASan) when the fill is switched on, so that their next hit does
    // not find them "modified"; opened for ASan when it is switched off,
    // since no hit will open them any more; relinked where the driver
    // overwrote a link when tracking, which would have found it, is
    // switched off. Taken off the list and put back whole, in order and
    // with the same Depth (the caller does not run allocates or frees on
    // the lists meanwhile: kpool/lookaside.h).
    kp_lookaside_t *l = atomic_load_explicit(&r->list, memory_order_relaxed);
    kp_slist_entry_t *chain = kpi_slist_flush(&l->list_head);
    if (chain == NULL) continue;
    kp_slist_entry_t *last = chain;
    uint16_t n = 0;
    for (kp_slist_entry_t *e = chain; e != NULL && n < UINT16_MAX;) {
      if (poison_changed) { // else walked only to relink (tracking off)
        if (opts & KP_LOOKASIDE_OPT_POISON)
          poison_entry(e, r->size);
        else
          unpoison_entry(e, r->size);
      }
      last = e;
      n++;
      // A link the driver overwrote is not followed. It is left as found
      // for the entry's next hit to report, unless tracking is switched
      // off now: then nothing would check it, and kpool relinks it.
      if (!(old & KP_LOOKASIDE_OPT_TRACK)) {
        e = e->next;
        continue;
      }
      uint64_t found, recorded;
      kp_slist_entry_t *next = kpi_la_next_checked(st, e, &found, &recorded);
      if (found != LA_LINK_UNKNOWN && !(opts & KP_LOOKASIDE_OPT_TRACK))
        e->next = next;
      e = next;
    }
    kpi_slist_push_list(&l->list_head, chain, last, n);
  }
  kpi_mutex_unlock(&st->lock);
  // Nodes kept while tracking was off would no longer follow the entries.
  if ((old & KP_LOOKASIDE_OPT_TRACK) && !(opts & KP_LOOKASIDE_OPT_TRACK))
    kpi_la_track_forget_all(st);
  return old;
}

/* ---------------------------------------------------------------------------
 * The balance set manager (facts §3.5).
 * ------------------------------------------------------------------------- */
static void scan_list(const kp_config_t *cfg, uint16_t minimum,
                      kp_lookaside_t *l) {
  uint32_t total = __atomic_load_n(&l->total_allocates, __ATOMIC_RELAXED);
  uint32_t misses_total = __atomic_load_n(&l->allocate_misses, __ATOMIC_RELAXED);
  uint32_t allocates = total - __atomic_load_n(&l->last_total_allocates, __ATOMIC_RELAXED);
  uint32_t misses = misses_total - __atomic_load_n(&l->last_allocate_misses, __ATOMIC_RELAXED);
  __atomic_store_n(&l->last_total_allocates, total, __ATOMIC_RELAXED);
  __atomic_store_n(&l->last_allocate_misses, misses_total, __ATOMIC_RELAXED);

  int32_t target = __atomic_load_n(&l->depth, __ATOMIC_RELAXED);
  uint32_t maximum = __atomic_load_n(&l->maximum_depth, __ATOMIC_RELAXED);
  if (minimum == 0) {
    // The verifier's minimum depth of 0 switches caching off.
    target = 0;
  } else if (allocates == 0 ||
             allocates < cfg->lookaside_scan_period * cfg->lookaside_alloc_threshold) {
    // allocates == 0 only matters with a threshold of 0 (the ratio below
    // would divide by zero); Windows' threshold of 25 never gets there.
    target -= cfg->lookaside_idle_decrement;
    if (target < minimum) target = minimum;
  } else {
    // Unsigned 32-bit arithmetic, as in the WRK (it wraps as Windows would).
    uint32_t ratio = (misses * 1000u) / allocates;
    if (ratio < 5u) {
      target -= cfg->lookaside_lowmiss_decrement;
      if (target < minimum) target = minimum;
    } else {
      uint32_t delta = (ratio * (maximum - (uint32_t)target)) / 2000u +
                       cfg->lookaside_grow_base;
      if (delta > cfg->lookaside_grow_max) delta = cfg->lookaside_grow_max;
      target += (int32_t)delta;
      if (target > (int32_t)maximum) target = (int32_t)maximum;
    }
  }
  __atomic_store_n(&l->depth, (uint16_t)target, __ATOMIC_RELAXED);
}

static void scan_step(la_state_t *st) {
  kp_system_t *sys = st->sys;
  uint32_t period = sys->cfg.lookaside_scan_period;
  uint16_t minimum = minimum_depth(sys);
  kpi_mutex_lock(&st->lock);
  uint32_t t = st->scans++;
  // Group g (0 non-paged, 1 paged, 2 system lists: none) at the scans t
  // (counted from 0) with t mod P == g mod P.
  for (uint32_t g = 0; g < 2; g++) {
    if (t % period != g % period) continue;
    for (la_rec_t *r = st->head; r != NULL; r = r->next)
      if ((uint32_t)r->pool == (g == 0 ? (uint32_t)KP_POOL_NONPAGED
                                       : (uint32_t)KP_POOL_PAGED))
        scan_list(&sys->cfg, minimum,
                  atomic_load_explicit(&r->list, memory_order_relaxed));
  }
  kpi_mutex_unlock(&st->lock);
}

void kpi_la_tick(kp_system_t *sys, void *state) {
  (void)sys;
  scan_step(state);
}

void kp_lookaside_adjust_depth(kp_system_t *sys) {
  sys = sys_or_current(sys);
  if (sys == NULL) return;
  la_state_t *st = kpi_la_state_get(sys, false);
  if (st != NULL) scan_step(st);
}
