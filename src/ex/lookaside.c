/*
 * lookaside.c — lookaside lists: the GENERAL_LOOKASIDE counters, the
 * balance set manager's depth adjustment, lifetime checks, poisoned cached
 * entries and reports. The contract is in include/kpool/lookaside.h.
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

#if defined(__SANITIZE_ADDRESS__)
#define LA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LA_ASAN 1
#endif
#endif

#if defined(LA_ASAN)
#include <sanitizer/asan_interface.h>
/* Reads of poisoned cached entries by the fill check are the simulator's,
 * not the driver's: keep them out of ASan's view (and never inline them
 * into instrumented callers). */
#define LA_UNCHECKED_READ __attribute__((no_sanitize("address"), noinline))
#else
#define LA_UNCHECKED_READ
#endif

/* The hot paths are inlined whole; what they rarely need is kept out. */
#if defined(__GNUC__) || defined(__clang__)
#define LA_HOT static inline __attribute__((always_inline))
#define LA_COLD static __attribute__((noinline, cold))
#define LA_LIKELY(x) __builtin_expect(!!(x), 1)
#define LA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LA_HOT static inline
#define LA_COLD static
#define LA_LIKELY(x) (x)
#define LA_UNLIKELY(x) (x)
#endif

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

/* Bug check subtypes (kpool/lookaside.h has the table). */
#define LA_SUB_REINIT 0xCAu
#define LA_SUB_NOT_INIT 0xCBu
#define LA_SUB_ACTIVE_IN_FREED 0xCCu
#define LA_SUB_SIZE_TOO_SMALL 0xCDu
#define LA_SUB_WRONG_LIST 0xCEu
#define LA_C7_LOOKASIDE 3u
/* 0xCB's P3: which operation found the list inactive. */
enum { LA_OP_DELETE = 0, LA_OP_ALLOCATE = 1, LA_OP_FREE = 2, LA_OP_FLUSH = 3 };

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

#define LA_CLASSIC_FLAGS                                                       \
  (KP_POOL_RAISE_IF_ALLOCATION_FAILURE | KP_POOL_NX_ALLOCATION)
#define LA_LINK_BYTES 8u

/* ---------------------------------------------------------------------------
 * Spin locks (global table, entry stripes).
 * ------------------------------------------------------------------------- */
static void spin_lock(atomic_bool *held) {
  unsigned spins = 0;
  while (atomic_exchange_explicit(held, true, memory_order_acquire)) {
    if (++spins % 64u == 0) kpi_os_yield();
  }
}

#if defined(LA_ASAN)
static bool spin_trylock(atomic_bool *held) {
  return !atomic_exchange_explicit(held, true, memory_order_acquire);
}
#endif

static void spin_unlock(atomic_bool *held) {
  atomic_store_explicit(held, false, memory_order_release);
}

/* ---------------------------------------------------------------------------
 * Records.
 * ------------------------------------------------------------------------- */
typedef struct la_state la_state_t;

typedef struct la_rec {
  _Atomic(kp_lookaside_t *) list; /* NULL while the record is free */
  atomic_uint gen;                /* bumped each time the record is freed */
  uint32_t index;                 /* position in the table */
  /* Set at init, before the list pointer is published. */
  kp_system_t *sys;
  la_state_t *st;
  kp_lookaside_kind_t kind;
  kp_pool_kind_t pool;            /* scan group */
  uint32_t type;                  /* POOL_TYPE with the list's flag bits */
  uint32_t flags;
  uint32_t size;
  kp_tag_t tag;
  const kp_lookaside_invoker_t *invoker;
  kp_site_t init_site;
  uint32_t init_thread;
  /* The system's active lists (under st->lock). */
  struct la_rec *prev;
  struct la_rec *next;
  struct la_rec *free_next;       /* global free list */
} la_rec_t;

#define LA_CHUNK_BITS 8u
#define LA_CHUNK (1u << LA_CHUNK_BITS)
#define LA_MAX_CHUNKS 1024u

static _Atomic(la_rec_t *) la_chunks[LA_MAX_CHUNKS];
static atomic_bool la_global_lock;
static uint32_t la_chunk_count;    /* under la_global_lock */
static la_rec_t *la_free_recs;     /* under la_global_lock */
static la_state_t *la_states;      /* every system's state, for ASan reports */

static la_rec_t *rec_alloc(void) {
  la_rec_t *r = NULL;
  spin_lock(&la_global_lock);
  if (la_free_recs == NULL && la_chunk_count < LA_MAX_CHUNKS) {
    la_rec_t *chunk = calloc(LA_CHUNK, sizeof *chunk);
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
  spin_unlock(&la_global_lock);
  return r;
}

static void rec_release(la_rec_t *r) {
  atomic_store_explicit(&r->list, NULL, memory_order_release);
  atomic_fetch_add_explicit(&r->gen, 1, memory_order_relaxed);
  spin_lock(&la_global_lock);
  r->free_next = la_free_recs;
  la_free_recs = r;
  spin_unlock(&la_global_lock);
}

/* ---------------------------------------------------------------------------
 * Per-system state: the registry of active lists and the entry tracker.
 * ------------------------------------------------------------------------- */
/*
 * One tracked entry. addr and next are the stripe's (under its lock); the
 * rest is also read and written without it, by the allocate and free hits,
 * so every access to those fields is atomic (__atomic builtins).
 *
 * state is the entry's address with its condition in the low bits (entries
 * are 16-byte aligned): OUT (handed out), CACHED, or BUSY (a free is
 * writing the fields below; held for a few stores, never across a call).
 * 0 once the node is removed. A node found without the lock (through the
 * hint table) is trusted only while its state names the address looked
 * for, and changes only by a compare-and-swap of that state, so a node
 * recycled for another address is never mistaken for the entry's.
 */
typedef struct la_node {
  uintptr_t addr;
  struct la_node *next;
  uint64_t state;
  uint32_t origin_size;          /* Size of the list it came from, or block size */
  const kp_lookaside_t *origin;  /* that list (may be gone), or NULL */
  const kp_lookaside_t *cached_in;
  kp_tag_t cached_tag;
  uint32_t cached_size;
  kp_site_t free_site;           /* where it was freed to cached_in */
  uint32_t free_thread;
} la_node_t;

#define LA_ST_OUT 0u
#define LA_ST_CACHED 1u
#define LA_ST_BUSY 2u
#define LA_ST_MASK 15u

#define LA_STRIPES 64u

typedef struct la_stripe {
  atomic_bool held;
  uint32_t nbuckets;             /* power of two, 0 before first use */
  uint32_t count;
  la_node_t **buckets;
  la_node_t *spare;
  char pad[KPI_CACHE_ALIGN - 32];
} la_stripe_t;

/*
 * The hint table: address -> node without a lock, for the hits. A cache,
 * not the truth (the stripes are): a slot holds the node last seen for
 * some address hashing there (two slots per address), checked through the
 * node's state; a stale or missing hint only sends the call to the locked
 * path, which refreshes it. Nodes are never freed while the system lives,
 * so a stale slot never points at freed memory. Grown (a new, empty table
 * of four times the tracked entries) by the locked path; older tables stay
 * allocated until the system is destroyed (readers may still hold them):
 * at most as much again as the newest.
 */
typedef struct la_hint {
  uint32_t mask;
  struct la_hint *older;
  la_node_t *slot[];
} la_hint_t;

#define LA_HINT_MIN 256u
#define LA_HINT_MAX (1u << 20)

struct la_state {
  kp_system_t *sys;
  kpi_mutex_t lock;              /* the registry below */
  la_rec_t *head;                /* active lists, init order */
  la_rec_t *tail;
  atomic_uint active;
  uint32_t scans;                /* balance set manager steps so far */
  atomic_uint options;
  atomic_uint_fast64_t tracked;  /* nodes in the stripes */
  la_state_t *global_next;
  _Atomic(la_hint_t *) hint;     /* newest hint table, or NULL */
  atomic_bool hint_lock;         /* growing it */
  la_stripe_t stripes[LA_STRIPES];
};

static void la_tick(kp_system_t *sys, void *state);
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
    .tick = la_tick,
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
static la_state_t *state_get(kp_system_t *sys, bool create) {
  la_state_t *st = kpi_system_module(sys, &la_ops);
  if (st != NULL || !create) return st;
  st = state_new(sys);
  if (st == NULL) return NULL;
  if (!kpi_system_add_module(sys, &la_ops, st)) {
    // Another thread registered first (or the module table is full).
    state_free(st);
    return kpi_system_module(sys, &la_ops);
  }
  spin_lock(&la_global_lock);
  st->global_next = la_states;
  la_states = st;
  spin_unlock(&la_global_lock);
#if defined(LA_ASAN)
  if (!atomic_exchange(&la_asan_installed, true))
    __asan_set_error_report_callback(la_asan_report);
#endif
  return st;
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
  la_rec_t *chunk =
      atomic_load_explicit(&la_chunks[idx >> LA_CHUNK_BITS], memory_order_acquire);
  if (chunk == NULL) return NULL;
  la_rec_t *r = &chunk[idx & (LA_CHUNK - 1)];
  if (atomic_load_explicit(&r->list, memory_order_acquire) != list) return NULL;
  if (atomic_load_explicit(&r->gen, memory_order_relaxed) != gen) return NULL;
  if (r->sys != sys) return NULL;
  return r;
}

/* The active record of @p list in @p sys, or NULL. Falls back to the
 * registry when the hint was overwritten (and repairs it). */
static la_rec_t *rec_find(kp_system_t *sys, kp_lookaside_t *list) {
  la_rec_t *r = rec_hint(sys, list);
  if (r != NULL) return r;
  la_state_t *st = state_get(sys, false);
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

static kp_system_t *sys_or_current(kp_system_t *sys) {
  return sys != NULL ? sys : kp_system_current();
}

/* Raises for a list pointer the SLIST could not use. */
static bool list_ptr_ok(kp_system_t *sys, const void *list) {
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

static const char *kind_api(kp_lookaside_kind_t kind) {
  switch (kind) {
  case KP_LOOKASIDE_NPAGED: return "ExInitializeNPagedLookasideList";
  case KP_LOOKASIDE_PAGED: return "ExInitializePagedLookasideList";
  default: return "ExInitializeLookasideListEx";
  }
}

/* ---------------------------------------------------------------------------
 * Entry tracking (KP_LOOKASIDE_OPT_TRACK).
 *
 * The stripes (a hash of nodes per stripe lock) are the truth; the hits
 * reach a node through the hint table instead, without a lock:
 * - allocate hit: the pop's compare-and-swap made the entry the caller's,
 *   and nothing else changes a CACHED node, so CACHED -> OUT is a plain
 *   (release) store;
 * - free hit: one compare-and-swap OUT -> BUSY claims the node (of two
 *   threads freeing the entry at once, one wins; the other finds it BUSY
 *   or CACHED, takes the locked path and reports the double free), the
 *   fields are written, then a release store makes it CACHED.
 * Everything else (first sighting, a miss, flush, delete, pool frees,
 * reports) takes the entry's stripe lock and changes states only by
 * compare-and-swap, after waiting out a BUSY.
 * ------------------------------------------------------------------------- */
static inline uint64_t addr_hash(uintptr_t a) {
  return (uint64_t)(a >> 4) * 0x9E3779B97F4A7C15ull;
}

static la_stripe_t *stripe_of(la_state_t *st, uintptr_t a) {
  return &st->stripes[addr_hash(a) >> 58];
}

static uint32_t bucket_of(const la_stripe_t *s, uintptr_t a) {
  return (uint32_t)(addr_hash(a) >> 24) & (s->nbuckets - 1);
}

/* The node fields shared with the lock-free paths. */
#define la_ld(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define la_st(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static inline uint64_t st_word(uintptr_t a, unsigned cond) {
  return (uint64_t)a | cond;
}

static inline uint64_t node_state(const la_node_t *n) {
  return __atomic_load_n(&n->state, __ATOMIC_ACQUIRE);
}

/* Stripe locked: the node's state once no lock-free free is midway (BUSY
 * lasts a few stores). */
static uint64_t node_settled(const la_node_t *n) {
  unsigned spins = 0;
  for (;;) {
    uint64_t s = node_state(n);
    if ((s & LA_ST_MASK) != LA_ST_BUSY) return s;
    if (++spins % 64u == 0) kpi_os_yield();
  }
}

/* Stripe locked: moves the node from the settled state *@p cur to @p to.
 * False when a lock-free hit changed it meanwhile; *@p cur is then the new
 * settled state, for the caller to decide again. */
static bool node_move(la_node_t *n, uint64_t *cur, uint64_t to) {
  if (__atomic_compare_exchange_n(&n->state, cur, to, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return true;
  *cur = node_settled(n);
  return false;
}

/* Stripe locked: sets the state, whatever it is once settled. */
static void node_set(la_node_t *n, uint64_t to) {
  uint64_t cur = node_settled(n);
  while (!node_move(n, &cur, to)) {
  }
}

static inline uint32_t hint_index(const la_hint_t *h, uintptr_t a) {
  return (uint32_t)(addr_hash(a) >> 32) & h->mask;
}

/* Lock-free: the node the hint table has for @p a (its state in *@p state),
 * or NULL (no hint: take the locked path). */
static inline la_node_t *hint_find(la_state_t *st, uintptr_t a,
                                   uint64_t *state) {
  la_hint_t *h = atomic_load_explicit(&st->hint, memory_order_acquire);
  if (h == NULL) return NULL;
  uint32_t i = hint_index(h, a);
  for (uint32_t k = 0; k < 2; k++, i ^= 1u) {
    la_node_t *n = __atomic_load_n(&h->slot[i], __ATOMIC_ACQUIRE);
    if (n == NULL) continue;
    uint64_t s = node_state(n);
    if ((s & ~(uint64_t)LA_ST_MASK) == (uint64_t)a) {
      *state = s;
      return n;
    }
  }
  return NULL;
}

/* Stripe of @p a locked: makes @p n the hint for @p a (the slot of the two
 * that holds it, or a free or dead one, or the first). */
static void hint_put(la_state_t *st, uintptr_t a, la_node_t *n) {
  la_hint_t *h = atomic_load_explicit(&st->hint, memory_order_acquire);
  if (h == NULL) return;
  uint32_t i = hint_index(h, a);
  uint32_t pick = i;
  for (uint32_t k = 0; k < 2; k++) {
    uint32_t j = i ^ k;
    la_node_t *x = __atomic_load_n(&h->slot[j], __ATOMIC_RELAXED);
    if (x == n) return;
    if (x == NULL || (node_state(x) & ~(uint64_t)LA_ST_MASK) == 0) {
      pick = j;
      break;
    }
  }
  __atomic_store_n(&h->slot[pick], n, __ATOMIC_RELEASE);
}

/* A new, empty hint table when the tracked entries outgrow a quarter of the
 * current one (the old one stays allocated: readers may hold it). */
static void hint_grow(la_state_t *st, uint64_t tracked) {
  if (atomic_exchange_explicit(&st->hint_lock, true, memory_order_acquire))
    return; // another thread is growing it
  la_hint_t *old = atomic_load_explicit(&st->hint, memory_order_relaxed);
  uint64_t cap = old != NULL ? (uint64_t)old->mask + 1 : 0;
  if (cap < LA_HINT_MAX && tracked * 4 > cap) {
    uint64_t nc = cap != 0 ? cap * 2 : LA_HINT_MIN;
    while (nc < tracked * 4 && nc < LA_HINT_MAX) nc *= 2;
    la_hint_t *h = calloc(1, sizeof *h + (size_t)nc * sizeof(la_node_t *));
    if (h != NULL) { // else keep the old one: only more locked paths
      h->mask = (uint32_t)(nc - 1);
      h->older = old;
      atomic_store_explicit(&st->hint, h, memory_order_release);
    }
  }
  atomic_store_explicit(&st->hint_lock, false, memory_order_release);
}

/* Stripe locked by the caller. */
static la_node_t *node_find(la_stripe_t *s, uintptr_t a) {
  if (s->nbuckets == 0) return NULL;
  for (la_node_t *n = s->buckets[bucket_of(s, a)]; n != NULL; n = n->next)
    if (n->addr == a) return n;
  return NULL;
}

static void stripe_grow(la_stripe_t *s) {
  uint32_t nb = s->nbuckets ? s->nbuckets * 2 : 16;
  la_node_t **b = calloc(nb, sizeof *b);
  if (b == NULL) return; // keep the old table: only chains get longer
  uint32_t old_nb = s->nbuckets;
  la_node_t **old = s->buckets;
  s->buckets = b;
  s->nbuckets = nb;
  for (uint32_t i = 0; i < old_nb; i++) {
    la_node_t *n = old[i];
    while (n != NULL) {
      la_node_t *next = n->next;
      uint32_t k = bucket_of(s, n->addr);
      n->next = b[k];
      b[k] = n;
      n = next;
    }
  }
  free(old);
}

/* Copies a site field by field (see site_of for why not as a struct). */
static inline void site_store(kp_site_t *dst, const kp_site_t *at) {
  la_st(&dst->file, at != NULL ? at->file : NULL);
  la_st(&dst->line, at != NULL ? at->line : 0u);
  la_st(&dst->caller, at != NULL ? at->caller : NULL);
}

/* The node of @p a (16-byte aligned), created OUT when missing (NULL only
 * when out of memory). A recycled node may still be read through a stale
 * hint: its fields are reset atomically, its new state published last. */
static la_node_t *node_get(la_state_t *st, la_stripe_t *s, uintptr_t a) {
  la_node_t *n = node_find(s, a);
  if (n != NULL) return n;
  if (s->count + 1 > s->nbuckets * 2) stripe_grow(s);
  if (s->nbuckets == 0) return NULL;
  n = s->spare;
  if (n != NULL) {
    s->spare = n->next;
  } else {
    n = calloc(1, sizeof *n);
    if (n == NULL) return NULL;
  }
  n->addr = a;
  la_st(&n->origin_size, 0u);
  la_st(&n->origin, NULL);
  la_st(&n->cached_in, NULL);
  la_st(&n->cached_tag, 0u);
  la_st(&n->cached_size, 0u);
  site_store(&n->free_site, NULL);
  la_st(&n->free_thread, 0u);
  __atomic_store_n(&n->state, st_word(a, LA_ST_OUT), __ATOMIC_RELEASE);
  uint32_t k = bucket_of(s, a);
  n->next = s->buckets[k];
  s->buckets[k] = n;
  s->count++;
  uint64_t tracked =
      atomic_fetch_add_explicit(&st->tracked, 1, memory_order_relaxed) + 1;
  la_hint_t *h = atomic_load_explicit(&st->hint, memory_order_acquire);
  if (h == NULL || tracked * 4 > (uint64_t)h->mask + 1) hint_grow(st, tracked);
  hint_put(st, a, n);
  return n;
}

/* Stripe locked: takes @p n (state already 0) out of the stripe. */
static void node_unlink(la_state_t *st, la_stripe_t *s, la_node_t *n) {
  if (s->nbuckets == 0) return;
  la_node_t **pp = &s->buckets[bucket_of(s, n->addr)];
  while (*pp != NULL && *pp != n) pp = &(*pp)->next;
  if (*pp == NULL) return;
  *pp = n->next;
  n->next = s->spare;
  s->spare = n;
  s->count--;
  atomic_fetch_sub_explicit(&st->tracked, 1, memory_order_relaxed);
}

/* A miss handed out @p entry: remember where it comes from. An entry that
 * is not 16-byte aligned is not tracked: no list can take it back (the
 * free raises STATUS_DATATYPE_MISALIGNMENT first). */
static void track_origin(la_state_t *st, void *entry,
                         const kp_lookaside_t *list, uint32_t size) {
  uintptr_t a = (uintptr_t)entry;
  if ((a & LA_ST_MASK) != 0) return;
  la_stripe_t *s = stripe_of(st, a);
  spin_lock(&s->held);
  la_node_t *n = node_get(st, s, a);
  if (n != NULL) {
    la_st(&n->origin_size, size);
    la_st(&n->origin, list);
    node_set(n, st_word(a, LA_ST_OUT));
  }
  spin_unlock(&s->held);
}

/* What a tracked entry's node said when it was looked at. */
typedef struct la_seen {
  bool known;
  bool cached;
  uint32_t origin_size;
  const kp_lookaside_t *origin;
  const kp_lookaside_t *cached_in;
  kp_tag_t cached_tag;
  kp_site_t free_site;
  uint32_t free_thread;
} la_seen_t;

/* Stripe locked. */
static void seen_copy(la_seen_t *out, const la_node_t *n) {
  memset(out, 0, sizeof *out);
  if (n == NULL) return;
  uint64_t s = node_settled(n);
  out->known = true;
  out->cached = (s & LA_ST_MASK) == LA_ST_CACHED;
  out->origin_size = la_ld(&n->origin_size);
  out->origin = la_ld(&n->origin);
  out->cached_in = la_ld(&n->cached_in);
  out->cached_tag = la_ld(&n->cached_tag);
  out->free_site = kp_site(la_ld(&n->free_site.file), la_ld(&n->free_site.line),
                           la_ld(&n->free_site.caller));
  out->free_thread = la_ld(&n->free_thread);
}

/* The fields of an entry freed to @p list (the node is BUSY: ours). */
static inline void node_cache_fields(la_node_t *n, const la_rec_t *r,
                                     const kp_lookaside_t *list,
                                     const char *file, uint32_t line,
                                     const void *caller) {
  // Stored only when changed: an entry freed again by the same code to the
  // same list (the common case) costs loads, which a locked instruction
  // need not wait for, instead of stores, which it must.
#define LA_SET(field, v)                                                       \
  do {                                                                         \
    if (la_ld(&n->field) != (v)) la_st(&n->field, (v));                        \
  } while (0)
  LA_SET(cached_in, list);
  LA_SET(cached_tag, r->tag);
  LA_SET(cached_size, r->size);
  LA_SET(free_site.file, file);
  LA_SET(free_site.line, line);
  LA_SET(free_site.caller, caller);
  LA_SET(free_thread, kpi_thread()->id);
#undef LA_SET
}

/* An entry leaves its list (allocate hit, flush, delete), taken off it by
 * the caller: forget that it is cached; @p drop forgets the entry
 * altogether (it goes to the free routine). Copies what the node said into
 * @p seen unless it is NULL. */
static void track_leave(la_state_t *st, void *entry, bool drop,
                        la_seen_t *seen) {
  uintptr_t a = (uintptr_t)entry;
  la_stripe_t *s = stripe_of(st, a);
  spin_lock(&s->held);
  la_node_t *n = node_find(s, a);
  if (seen != NULL) seen_copy(seen, n);
  if (n != NULL) {
    if (drop) {
      node_set(n, 0);
      node_unlink(st, s, n);
    } else {
      node_set(n, st_word(a, LA_ST_OUT));
      hint_put(st, a, n);
    }
  }
  spin_unlock(&s->held);
}

/* The allocate hit's leave, without a lock when the hint knows the entry
 * (the pop made it ours: nothing else moves a CACHED node). */
static inline void track_leave_hit(la_state_t *st, void *entry) {
  uintptr_t a = (uintptr_t)entry;
  uint64_t s;
  la_node_t *n = hint_find(st, a, &s);
  if (n != NULL && (s & LA_ST_MASK) == LA_ST_CACHED) {
    __atomic_store_n(&n->state, st_word(a, LA_ST_OUT), __ATOMIC_RELEASE);
    return;
  }
  track_leave(st, entry, false, NULL);
}

enum la_free_verdict { LA_FREE_OK, LA_FREE_WRONG_LIST, LA_FREE_TWICE };

/* The free hit without a lock: true when the entry, handed out by @p list
 * (or one of its size) and known to the hint, is now CACHED with its free
 * site. False: nothing changed, take the locked path (which decides, and
 * reports a double free or a wrong list). */
static inline bool track_free_hit(la_state_t *st, const la_rec_t *r,
                                  const kp_lookaside_t *list, void *entry,
                                  const char *file, uint32_t line,
                                  const void *caller) {
  uintptr_t a = (uintptr_t)entry;
  uint64_t s;
  la_node_t *n = hint_find(st, a, &s);
  if (n == NULL || s != st_word(a, LA_ST_OUT)) return false;
  if (!__atomic_compare_exchange_n(&n->state, &s, st_word(a, LA_ST_BUSY), false,
                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return false;
  if (la_ld(&n->origin_size) != r->size) {
    __atomic_store_n(&n->state, st_word(a, LA_ST_OUT), __ATOMIC_RELEASE);
    return false;
  }
  node_cache_fields(n, r, list, file, line, caller);
  __atomic_store_n(&n->state, st_word(a, LA_ST_CACHED), __ATOMIC_RELEASE);
  return true;
}

/* Stripe locked: the checks of a free on node @p n, and the bookkeeping:
 * when @p push the entry becomes cached with its free site; otherwise it is
 * forgotten (it goes to the free routine). On a bad verdict nothing
 * changes, except that a node met just now (@p created) is forgotten. */
static enum la_free_verdict free_decide(la_state_t *st, la_stripe_t *s,
                                        la_node_t *n, const la_rec_t *r,
                                        const kp_lookaside_t *list, bool push,
                                        bool created, const kp_site_t *at,
                                        la_seen_t *seen) {
  uintptr_t a = n->addr;
  uint64_t cur = node_settled(n);
  for (;;) {
    enum la_free_verdict v =
        (cur & LA_ST_MASK) == LA_ST_CACHED          ? LA_FREE_TWICE
        : la_ld(&n->origin_size) != r->size ? LA_FREE_WRONG_LIST
                                                     : LA_FREE_OK;
    if (v != LA_FREE_OK) {
      seen_copy(seen, n);
      if (created && node_move(n, &cur, 0)) node_unlink(st, s, n);
      return v;
    }
    if (push) {
      if (!node_move(n, &cur, st_word(a, LA_ST_BUSY))) continue;
      node_cache_fields(n, r, list, at->file, at->line, at->caller);
      __atomic_store_n(&n->state, st_word(a, LA_ST_CACHED), __ATOMIC_RELEASE);
      hint_put(st, a, n);
    } else {
      // Leaving the lists (free routine).
      if (!node_move(n, &cur, 0)) continue;
      node_unlink(st, s, n);
    }
    return LA_FREE_OK;
  }
}

/* The locked free: for an entry the hint did not know, a refused free, or
 * a free miss. */
static enum la_free_verdict track_free(kp_system_t *sys, la_state_t *st,
                                       const la_rec_t *r, kp_lookaside_t *list,
                                       void *entry, bool push,
                                       const kp_site_t *at, la_seen_t *seen) {
  uintptr_t a = (uintptr_t)entry;
  la_stripe_t *s = stripe_of(st, a);
  memset(seen, 0, sizeof *seen);
  spin_lock(&s->held);
  la_node_t *n = node_find(s, a);
  if (n != NULL) {
    // The common case: an entry a list handed out.
    enum la_free_verdict v =
        free_decide(st, s, n, r, list, push, false, at, seen);
    spin_unlock(&s->held);
    return v;
  }
  spin_unlock(&s->held);

  // Never seen: an entry the driver allocated itself. A pool block tells its
  // size; other memory is taken at the list's word. (Queried unlocked: the
  // pool takes its own lock.)
  uint32_t origin_size = r->size;
  kp_block_info_t info;
  if (kp_block_query(sys, entry, &info))
    origin_size = (uint32_t)((uintptr_t)info.address + info.size - a);
  spin_lock(&s->held);
  n = node_get(st, s, a);
  if (n == NULL) {
    // Untracked (out of memory): judge by the size alone.
    spin_unlock(&s->held);
    seen->origin_size = origin_size;
    return origin_size != r->size ? LA_FREE_WRONG_LIST : LA_FREE_OK;
  }
  bool created = la_ld(&n->origin_size) == 0;
  if (created) {
    la_st(&n->origin_size, origin_size);
    la_st(&n->origin, NULL);
  }
  enum la_free_verdict v =
      free_decide(st, s, n, r, list, push, created, at, seen);
  spin_unlock(&s->held);
  return v;
}

/* ---------------------------------------------------------------------------
 * Poison (KP_LOOKASIDE_OPT_POISON).
 * ------------------------------------------------------------------------- */

/* Words of the entry of an entry: the fill is written and checked 8 bytes
 * at a time (entries are 16-byte aligned, the fill starts at 8). */
typedef uint64_t __attribute__((may_alias)) la_word_t;
#define LA_FILL_WORD (0x0101010101010101ull * KP_LOOKASIDE_FILL)

/* The fill covers whole 8-byte granules after the link word, so ASan never
 * has to describe a partly poisoned granule (unpoisoning one would mark its
 * tail unaddressable). */
static size_t fill_end(uint32_t size) { return size & ~(size_t)7; }

static void poison_entry(void *entry, uint32_t size) {
  size_t end = fill_end(size);
  if (end <= LA_LINK_BYTES) return;
  // Word-wide stores (16 bytes where the compiler has vectors): most entries
  // are small, where a memset call costs more than the stores themselves.
  uint8_t *p = (uint8_t *)entry + LA_LINK_BYTES;
  size_t n = end - LA_LINK_BYTES;
#if defined(__GNUC__) || defined(__clang__)
  typedef uint64_t la_pair_t
      __attribute__((vector_size(16), aligned(8), may_alias));
  const la_pair_t fill = {LA_FILL_WORD, LA_FILL_WORD};
  // (The empty asm keeps the compiler from turning the loops back into a
  // memset call.)
  for (; n >= 16; n -= 16, p += 16) {
    *(la_pair_t *)(void *)p = fill;
    __asm__("" : "+r"(p));
  }
  if (n >= 8) *(la_word_t *)(void *)p = LA_FILL_WORD;
#else
  for (; n >= 8; n -= 8, p += 8) *(la_word_t *)(void *)p = LA_FILL_WORD;
#endif
#if defined(LA_ASAN)
  ASAN_POISON_MEMORY_REGION((uint8_t *)entry + LA_LINK_BYTES, end - LA_LINK_BYTES);
#endif
}

static void unpoison_entry(void *entry, uint32_t size) {
#if defined(LA_ASAN)
  size_t end = fill_end(size);
  if (end > LA_LINK_BYTES)
    ASAN_UNPOISON_MEMORY_REGION((uint8_t *)entry + LA_LINK_BYTES,
                                end - LA_LINK_BYTES);
#else
  (void)entry;
  (void)size;
#endif
}

/* The first byte of the fill that changed, or NULL. */

LA_UNCHECKED_READ static const uint8_t *fill_damage(const void *entry,
                                                    uint32_t size) {
  const uint8_t *base = entry;
  size_t end = fill_end(size);
  // One branch for the whole fill: the words' differences are OR-ed (a
  // loop the compiler may vectorise), the byte is looked for only on damage.
  uint64_t diff = 0;
  for (size_t i = LA_LINK_BYTES; i < end; i += 8)
    diff |= *(const la_word_t *)(const void *)(base + i) ^ LA_FILL_WORD;
  if (diff == 0) return NULL;
  for (size_t k = LA_LINK_BYTES; k < end; k++)
    if (base[k] != KP_LOOKASIDE_FILL) return base + k;
  return NULL;
}

LA_UNCHECKED_READ static uint8_t read_byte(const uint8_t *p) {
  return *(const volatile uint8_t *)p;
}

/* ---------------------------------------------------------------------------
 * Calling the list's routines.
 * ------------------------------------------------------------------------- */

/* The defaults stored in a list's Allocate/Free fields. The simulator
 * recognises them and calls the pool itself with the list's system and the
 * caller's site; called directly (a driver calling L.Allocate), they act on
 * the current system. */
static void *la_default_allocate(uint32_t pool_type, size_t size, kp_tag_t tag) {
  return kp_alloc_legacy(kp_system_current(), KP_API_LOOKASIDE, pool_type,
                         size, tag, KP_PRIORITY_NORMAL, KP_NOSITE);
}

static void la_default_free(void *entry) {
  kp_free(kp_system_current(), entry, 0, KP_NOSITE);
}

static void *la_default_allocate_ex(uint32_t pool_type, size_t size,
                                    kp_tag_t tag, kp_lookaside_t *list) {
  (void)list;
  return la_default_allocate(pool_type, size, tag);
}

static void la_default_free_ex(void *entry, kp_lookaside_t *list) {
  (void)list;
  la_default_free(entry);
}

/* What the list needs to call its routines once its record may be gone
 * (delete) or while the registry is not locked. */
typedef struct la_calls {
  kp_system_t *sys;
  kp_lookaside_kind_t kind;
  uint32_t type;
  uint32_t size;
  kp_tag_t tag;
  const kp_lookaside_invoker_t *invoker;
} la_calls_t;

static la_calls_t calls_of(const la_rec_t *r) {
  la_calls_t c;
  c.sys = r->sys;
  c.kind = r->kind;
  c.type = r->type;
  c.size = r->size;
  c.tag = r->tag;
  c.invoker = r->invoker;
  return c;
}

static void *call_allocate(const la_calls_t *c, kp_lookaside_t *list,
                           kp_site_t site) {
  // Windows reads the routine from the list at each call; so do we.
  if (c->kind == KP_LOOKASIDE_EX) {
    kp_lookaside_allocate_ex_fn fn = list->allocate_ex_routine;
    if (fn == la_default_allocate_ex || fn == NULL)
      return kp_alloc_legacy(c->sys, KP_API_LOOKASIDE, c->type, c->size,
                             c->tag, KP_PRIORITY_NORMAL, site);
    if (c->invoker != NULL && c->invoker->allocate != NULL)
      return c->invoker->allocate(list, (void (*)(void))fn, c->type, c->size,
                                  c->tag);
    return fn(c->type, c->size, c->tag, list);
  }
  kp_lookaside_allocate_fn fn = list->allocate_routine;
  if (fn == la_default_allocate || fn == NULL)
    return kp_alloc_legacy(c->sys, KP_API_LOOKASIDE, c->type, c->size, c->tag,
                           KP_PRIORITY_NORMAL, site);
  if (c->invoker != NULL && c->invoker->allocate != NULL)
    return c->invoker->allocate(list, (void (*)(void))fn, c->type, c->size,
                                c->tag);
  return fn(c->type, c->size, c->tag);
}

static void call_free(const la_calls_t *c, kp_lookaside_t *list, void *entry,
                      kp_site_t site) {
  if (c->kind == KP_LOOKASIDE_EX) {
    kp_lookaside_free_ex_fn fn = list->free_ex_routine;
    if (fn == la_default_free_ex || fn == NULL) {
      kp_free(c->sys, entry, 0, site);
    } else if (c->invoker != NULL && c->invoker->free != NULL) {
      c->invoker->free(list, (void (*)(void))fn, entry);
    } else {
      fn(entry, list);
    }
    return;
  }
  kp_lookaside_free_fn fn = list->free_routine;
  if (fn == la_default_free || fn == NULL) {
    kp_free(c->sys, entry, 0, site);
  } else if (c->invoker != NULL && c->invoker->free != NULL) {
    c->invoker->free(list, (void (*)(void))fn, entry);
  } else {
    fn(entry);
  }
}

/* ---------------------------------------------------------------------------
 * Bug checks. Never called with a lock held.
 * ------------------------------------------------------------------------- */
static void raise_not_active(kp_system_t *sys, const kp_lookaside_t *list,
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

static void raise_wrong_list(kp_system_t *sys, const la_rec_t *r,
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
static void raise_freed_while_cached(kp_system_t *sys, const void *entry,
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

/* @p value is the byte found at @p bad (read before the entry was
 * released: the report may come after the free routine ran). */
static void raise_modified(kp_system_t *sys, const kp_lookaside_t *list,
                           kp_tag_t list_tag, uint32_t size, const void *entry,
                           const uint8_t *bad, uint8_t value,
                           const la_seen_t *seen, kp_site_t site) {
  char tag[5];
  char where[160] = "an unknown site";
  if (seen->known) kpi_site_text(seen->free_site, where, sizeof where);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  if (seen->known) {
    ctx.free_site = &seen->free_site;
    ctx.free_thread = seen->free_thread;
  }
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL,
      (uint64_t)(uintptr_t)bad, 1, 0, (uint64_t)(uintptr_t)list, &ctx,
      "The entry %p was written to while it was cached in the lookaside list "
      "at %p (tag \"%s\", Size %u): byte %zu holds 0x%02X instead of the fill "
      "0x%02X. It had been freed to the list at %s by thread %u; the driver "
      "kept using it afterwards.",
      entry, (const void *)list, kp_tag_text(list_tag, tag), (unsigned)size,
      (size_t)(bad - (const uint8_t *)entry), (unsigned)value,
      KP_LOOKASIDE_FILL, where, (unsigned)seen->free_thread);
}

/* The site by value, for the slow paths (NULL: no site). The hot paths
 * pass it by address: a 24-byte struct built by the caller and copied again
 * costs a store-forwarding stall per call on x86-64 (~5 ns). */
static kp_site_t site_of(const kp_site_t *at) {
  if (at == NULL) return KP_NOSITE;
  return kp_site(at->file, at->line, at->caller);
}

static bool irql_ok(kp_system_t *sys, kp_pool_kind_t pool, uint32_t type,
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
  if (!list_ptr_ok(sys, list)) return KP_STATUS_ACCESS_VIOLATION;
  uint32_t type = 0;
  kp_status_t st = validate(params, &type);
  if (!KP_SUCCESS(st)) return st;
  kp_pool_kind_t pool =
      (params->kind == KP_LOOKASIDE_PAGED ||
       (params->kind == KP_LOOKASIDE_EX && (params->pool_type & 1u) != 0))
          ? KP_POOL_PAGED
          : KP_POOL_NONPAGED;
  if (!irql_ok(sys, pool, type, false, params->size, &site))
    return KP_STATUS_UNSUCCESSFUL;

  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  la_rec_t *old = rec_find(sys, list);
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
  la_state_t *state = state_get(sys, true);
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
        params->allocate_ex ? params->allocate_ex : la_default_allocate_ex;
    list->free_ex_routine = params->free_ex ? params->free_ex : la_default_free_ex;
  } else {
    list->allocate_routine = params->allocate ? params->allocate : la_default_allocate;
    list->free_routine =
        params->free_routine ? params->free_routine : la_default_free;
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

  kpi_mutex_lock(&state->lock);
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
  if (!list_ptr_ok(sys, list)) return NULL;
  la_rec_t *r = rec_find(sys, list);
  if (r == NULL) raise_not_active(sys, list, op, site);
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
  if (opts & KP_LOOKASIDE_OPT_TRACK) track_leave(r->st, entry, false, &seen);
  uint8_t value = read_byte(bad);
  la_calls_t c = calls_of(r);
  la_seen_t ignored;
  if (opts & KP_LOOKASIDE_OPT_TRACK) track_leave(r->st, entry, true, &ignored);
  call_free(&c, list, entry, site);
  raise_modified(sys, list, r->tag, r->size, entry, bad, value, &seen, site);
}

/* The list was empty: AllocateMisses + 1 and the allocate routine. */
static __attribute__((noinline)) void *
alloc_miss(const la_rec_t *r, kp_lookaside_t *list, uint32_t opts,
           kp_site_t site) {
  counter_bump(&list->allocate_misses);
  la_calls_t c = calls_of(r);
  void *entry = call_allocate(&c, list, site);
  if (entry != NULL && (opts & KP_LOOKASIDE_OPT_TRACK))
    track_origin(r->st, entry, list, r->size);
  return entry;
}

LA_HOT void *alloc_body(kp_system_t *sys, kp_lookaside_t *list,
                        la_where_t w) {
  if (LA_UNLIKELY(sys == NULL)) sys = kp_system_current();
  la_rec_t *r = rec_of(sys, list, LA_OP_ALLOCATE, w);
  if (LA_UNLIKELY(r == NULL)) return NULL;
  if (LA_UNLIKELY(kpi_irql() > KP_APC_LEVEL) &&
      !irql_slow(sys, r, false, r->size, where_site(w)))
    return NULL;
  uint32_t opts = atomic_load_explicit(&r->st->options, memory_order_relaxed);
  // Every allocation is counted, a hit on a damaged entry (0xC6, the handler
  // returning) too. Windows counts before it pops (facts 3.3); counting
  // just after is the same to one thread and lets the pop's locked
  // instruction go without waiting for the store.
  void *entry = kpi_slist_pop(&list->list_head);
  counter_bump(&list->total_allocates);
  if (LA_UNLIKELY(entry == NULL)) return alloc_miss(r, list, opts, where_site(w));
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
  if (opts & KP_LOOKASIDE_OPT_TRACK) track_leave_hit(r->st, entry);
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

void *kp_lookaside_alloc(kp_system_t *sys, kp_lookaside_t *list,
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
      track_free(sys, r->st, r, list, entry, push, &site, &seen);
  if (v == LA_FREE_WRONG_LIST) {
    raise_wrong_list(sys, r, list, entry, &seen, site);
    return false;
  }
  if (v == LA_FREE_TWICE) {
    raise_freed_while_cached(sys, entry, &seen, false, site);
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
  call_free(&c, list, entry, site);
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
  if (LA_UNLIKELY(kpi_irql() > KP_APC_LEVEL) &&
      !irql_slow(sys, r, true, (uint64_t)(uintptr_t)entry, where_site(w)))
    return;
  uint32_t opts = atomic_load_explicit(&r->st->options, memory_order_relaxed);
  // Windows: push only while the list holds fewer entries than Depth.
  uint16_t depth = __atomic_load_n(&list->depth, __ATOMIC_RELAXED);
  bool push = kpi_slist_depth(&list->list_head) < depth;
  if ((opts & KP_LOOKASIDE_OPT_TRACK) &&
      LA_UNLIKELY(!(push && track_free_hit(r->st, r, list, entry, where_file(w),
                                           where_line(w), where_caller(w)))) &&
      !free_tracked(sys, r, list, entry, push, where_site(w)))
    return;
  if (LA_UNLIKELY(!push)) {
    counter_bump(&list->total_frees);
    free_miss(r, list, entry, where_site(w));
    return;
  }
  if (opts & KP_LOOKASIDE_OPT_POISON) poison_entry(entry, r->size);
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

void kp_lookaside_free(kp_system_t *sys, kp_lookaside_t *list, void *entry,
                       kp_site_t site) {
  kp_lookaside_free_at(sys, list, entry, &site);
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
  while (e != NULL) {
    kp_slist_entry_t *next = e->next;
    la_seen_t seen;
    memset(&seen, 0, sizeof seen);
    if (opts & KP_LOOKASIDE_OPT_TRACK) track_leave(st, e, true, &seen);
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
    call_free(c, list, e, site);
    e = next;
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
  if (!list_ptr_ok(sys, list)) return NULL;
  la_rec_t *r = rec_find(sys, list);
  if (r == NULL) {
    raise_not_active(sys, list, op, site);
    return NULL;
  }
  if (!irql_ok(sys, r->pool, r->type, true, (uint64_t)(uintptr_t)list, &site))
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
  rec_release(r);
  __atomic_store_n(&list->future[0], 0, __ATOMIC_RELAXED);
  __atomic_store_n(&list->future[1], 0, __ATOMIC_RELAXED);
  release_chain(&c, st, list, kpi_slist_flush(&list->list_head), opts, site);
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
  if (rec_find(sys, list) == NULL) return false;
  uint16_t max = __atomic_load_n(&list->maximum_depth, __ATOMIC_RELAXED);
  __atomic_store_n(&list->depth, depth > max ? max : depth, __ATOMIC_RELAXED);
  return true;
}

uint32_t kp_lookaside_set_options(kp_system_t *sys, uint32_t options) {
  sys = sys_or_current(sys);
  if (sys == NULL) return 0;
  la_state_t *st = state_get(sys, true);
  if (st == NULL) return 0;
  return atomic_exchange(&st->options, options & KP_LOOKASIDE_OPT_DEFAULT);
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

static void la_tick(kp_system_t *sys, void *state) {
  (void)sys;
  scan_step(state);
}

void kp_lookaside_adjust_depth(kp_system_t *sys) {
  sys = sys_or_current(sys);
  if (sys == NULL) return;
  la_state_t *st = state_get(sys, false);
  if (st != NULL) scan_step(st);
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
    info->default_allocate = l->allocate_ex_routine == la_default_allocate_ex;
    info->default_free = l->free_ex_routine == la_default_free_ex;
  } else {
    info->default_allocate = l->allocate_routine == la_default_allocate;
    info->default_free = l->free_routine == la_default_free;
  }
  info->init_site = r->init_site;
  info->init_thread = r->init_thread;
}

bool kp_lookaside_query(kp_system_t *sys, const kp_lookaside_t *list,
                        kp_lookaside_info_t *info) {
  sys = sys_or_current(sys);
  if (sys == NULL || list == NULL || info == NULL) return false;
  la_rec_t *r = rec_find(sys, (kp_lookaside_t *)(uintptr_t)list);
  if (r == NULL) return false;
  info_of(r, info);
  return true;
}

uint32_t kp_lookaside_visit(kp_system_t *sys, kp_lookaside_visitor_fn fn,
                            void *arg) {
  sys = sys_or_current(sys);
  if (sys == NULL || fn == NULL) return 0;
  la_state_t *st = state_get(sys, false);
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
  la_state_t *st = state_get(sys, false);
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
  la_state_t *st = state_get(sys, false);
  if (st == NULL) return KP_STATUS_SUCCESS;
  if ((atomic_load(&st->options) & KP_LOOKASIDE_OPT_POISON) == 0)
    return KP_STATUS_SUCCESS;
  const kp_lookaside_t *list = NULL;
  const void *entry = NULL;
  const uint8_t *bad = NULL;
  kp_tag_t tag = 0;
  uint32_t size = 0;
  // kpool's own reads of cached entries (a paged list's are paged pool) are
  // legal at any IRQL: under force IRQL checking a fault here pages in
  // instead of raising 0xD1 with the registry lock held. Left before the
  // bug check below (the handler may longjmp).
  kpi_force_irql_internal_enter();
  kpi_mutex_lock(&st->lock);
  for (la_rec_t *r = st->head; r != NULL && bad == NULL; r = r->next) {
    kp_lookaside_t *l = atomic_load_explicit(&r->list, memory_order_relaxed);
    const kp_slist_entry_t *e = kp_slist_first(&l->list_head);
    // Bounded walk: a corrupted link could make a cycle.
    for (uint32_t n = 0; e != NULL && n < 65536u; n++, e = e->next) {
      bad = fill_damage(e, r->size);
      if (bad != NULL) {
        list = l;
        entry = e;
        tag = r->tag;
        size = r->size;
        break;
      }
    }
  }
  uint8_t value = bad != NULL ? read_byte(bad) : 0;
  kpi_mutex_unlock(&st->lock);
  kpi_force_irql_internal_leave();
  if (bad == NULL) return KP_STATUS_SUCCESS;
  la_seen_t seen;
  memset(&seen, 0, sizeof seen);
  la_stripe_t *s = stripe_of(st, (uintptr_t)entry);
  spin_lock(&s->held);
  seen_copy(&seen, node_find(s, (uintptr_t)entry));
  spin_unlock(&s->held);
  raise_modified(sys, list, tag, size, entry, bad, value, &seen, KP_NOSITE);
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
  seen_copy(&seen, node_find(s, a));
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
  la_node_t *n = node_find(s, lo);
  memset(&seen, 0, sizeof seen);
  if (n != NULL) {
    uint64_t cur = node_settled(n);
    for (;;) {
      if ((cur & LA_ST_MASK) == LA_ST_CACHED) {
        seen_copy(&seen, n);
        break;
      }
      // Handed out: the entry leaves the lists with its block.
      if (node_move(n, &cur, 0)) {
        node_unlink(st, s, n);
        break;
      }
    }
  }
  spin_unlock(&s->held);
  if (seen.cached)
    raise_freed_while_cached(sys, block->address, &seen, true, KP_NOSITE);
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
    rec_release(r);
    r = next;
  }
  spin_lock(&la_global_lock);
  for (la_state_t **pp = &la_states; *pp != NULL; pp = &(*pp)->global_next) {
    if (*pp == st) {
      *pp = st->global_next;
      break;
    }
  }
  spin_unlock(&la_global_lock);
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
  if (!spin_trylock(&la_global_lock)) return;
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
  spin_unlock(&la_global_lock);
}
#endif
