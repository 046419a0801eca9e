/*
 * kp_lookaside_internal.h — what the files of the lookaside lists
 * (lookaside.c, lookaside_track.c, lookaside_report.c) share: the records,
 * the per-system state, the entry tracker's nodes, stripes and hint table,
 * and the hit paths' helpers as static inline functions (alloc_body and
 * free_body inline them whole, so none may be a call into another file),
 * the poison fill, and the declarations of what each file offers the
 * others. Internal to src/ex/.
 */
#ifndef KPOOL_SRC_EX_KP_LOOKASIDE_INTERNAL_H
#define KPOOL_SRC_EX_KP_LOOKASIDE_INTERNAL_H

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

/* Bug check subtypes (kpool/lookaside.h has the table). */
#define LA_SUB_REINIT 0xCAu
#define LA_SUB_NOT_INIT 0xCBu
#define LA_SUB_ACTIVE_IN_FREED 0xCCu
#define LA_SUB_SIZE_TOO_SMALL 0xCDu
#define LA_SUB_WRONG_LIST 0xCEu
#define LA_C7_LOOKASIDE 3u
/* 0xCB's P3: which operation found the list inactive. */
enum { LA_OP_DELETE = 0, LA_OP_ALLOCATE = 1, LA_OP_FREE = 2, LA_OP_FLUSH = 3 };

#define LA_CLASSIC_FLAGS                                                       \
  (KP_POOL_RAISE_IF_ALLOCATION_FAILURE | KP_POOL_NX_ALLOCATION)
#define LA_LINK_BYTES 8u

/* ---------------------------------------------------------------------------
 * Spin locks (global table, entry stripes).
 * ------------------------------------------------------------------------- */
static inline void spin_lock(atomic_bool *held) {
  unsigned spins = 0;
  while (atomic_exchange_explicit(held, true, memory_order_acquire)) {
    if (++spins % 64u == 0) kpi_os_yield();
  }
}

#if defined(LA_ASAN)
static inline bool spin_trylock(atomic_bool *held) {
  return !atomic_exchange_explicit(held, true, memory_order_acquire);
}
#endif

static inline void spin_unlock(atomic_bool *held) {
  atomic_store_explicit(held, false, memory_order_release);
}

typedef struct la_state la_state_t;
struct la_node;

/*
 * A list's record. The fields up to opts are what every hit reads (written
 * only while the list is being initialised, or by kp_lookaside_set_options);
 * the rest is for the slow paths.
 */
typedef struct la_rec {
  _Atomic(kp_lookaside_t *) list; /* NULL while the record is free */
  atomic_uint gen;                /* bumped each time the record is freed */
  uint32_t index;                 /* position in the table */
  /* Set at init, before the list pointer is published. */
  kp_system_t *sys;
  la_state_t *st;
  uint32_t size;
  kp_tag_t tag;
  uint32_t type;                  /* POOL_TYPE with the list's flag bits */
  kp_pool_kind_t pool;            /* scan group */
  /* The system's options (st->options), copied so that a hit reads them
   * from the line it already has: set at init under st->lock and by
   * kp_lookaside_set_options for every active list (atomic access). */
  uint32_t opts;
  uint64_t sys_gen;               /* sys->generation */
  kp_lookaside_kind_t kind;
  uint32_t flags;
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
  /* The link word kpool wrote into the entry when a free hit pushed it
   * (the entry that was first then), checked when a hit pops the entry;
   * LA_LINK_UNKNOWN after any other way onto the list. */
  uint64_t link;
} la_node_t;

/* No link recorded: not a 16-byte aligned address, so never a real one. */
#define LA_LINK_UNKNOWN ((uint64_t)1)

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

/* The global table's lock (lookaside.c): records, and every system's state
 * for the ASan report (lookaside_report.c). */
extern atomic_bool kpi_la_global_lock;

static inline kp_system_t *sys_or_current(kp_system_t *sys) {
  return sys != NULL ? sys : kp_system_current();
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

static inline la_stripe_t *stripe_of(la_state_t *st, uintptr_t a) {
  return &st->stripes[addr_hash(a) >> 58];
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
  uint64_t link; /* la_node_t::link */
} la_seen_t;

/* The fields of an entry freed to @p list by thread @p thread (the node is
 * BUSY: ours). */
static inline void node_cache_fields(la_node_t *n, const la_rec_t *r,
                                     const kp_lookaside_t *list,
                                     const char *file, uint32_t line,
                                     const void *caller, uint32_t thread) {
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
  LA_SET(free_thread, thread);
#undef LA_SET
}

/* An entry leaves its list, taken off it by the caller (lookaside_track.c;
 * the locked side of the allocate hit's leave). */
void kpi_la_track_leave(la_state_t *st, void *entry, bool drop,
                        la_seen_t *seen);

/* The entry the calling thread's last hit met, and its node (kpi_thread_t):
 * a one-entry hint in front of the hint table. Private to the thread, so
 * keeping it costs no shared write. The node is looked at only when it
 * belongs to the system of the list at hand (same generation: alive, and
 * nodes are never freed while their system lives), and trusted only while
 * its state names the entry. */
typedef struct la_last {
  uintptr_t entry; /* 0: none for this system */
  la_node_t *node;
} la_last_t;

static inline la_last_t thread_last(const kpi_thread_t *t, const la_rec_t *r) {
  la_last_t l = {0, NULL};
  if (t->la_system == r->sys_gen) {
    l.entry = t->la_entry;
    l.node = (la_node_t *)t->la_node;
  }
  return l;
}

static inline void thread_remember(kpi_thread_t *t, const la_rec_t *r,
                                   uintptr_t a, la_node_t *n) {
  t->la_system = r->sys_gen;
  t->la_entry = a;
  t->la_node = n;
}

enum la_free_verdict { LA_FREE_OK, LA_FREE_WRONG_LIST, LA_FREE_TWICE };

/* The free hit without a lock: true when the entry, handed out by @p list
 * (or one of its size) and known to the thread's last entry or the hint
 * table, is now CACHED with its free site. False: nothing changed, take the
 * locked path (which decides, and reports a double free or a wrong list).
 *
 * The thread's last node is tried by the compare-and-swap itself: it
 * succeeds only on a node whose state is exactly "@p entry, OUT", which is
 * the entry's node (a node recycled for another address fails it and
 * changes nothing). A failure on a node that names the entry (CACHED or
 * BUSY: a double free) goes straight to the locked path. */
static inline bool track_free_hit(kpi_thread_t *t, const la_rec_t *r,
                                  la_last_t last, const kp_lookaside_t *list,
                                  void *entry, const char *file, uint32_t line,
                                  const void *caller, la_node_t **node) {
  uintptr_t a = (uintptr_t)entry;
  uint64_t s = st_word(a, LA_ST_OUT);
  la_node_t *n = last.node;
  if (last.entry != a || n == NULL ||
      !__atomic_compare_exchange_n(&n->state, &s, st_word(a, LA_ST_BUSY),
                                   false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
    if (last.entry == a && n != NULL && (s & ~(uint64_t)LA_ST_MASK) == (uint64_t)a)
      return false;
    n = hint_find(r->st, a, &s);
    if (n == NULL || s != st_word(a, LA_ST_OUT)) return false;
    if (!__atomic_compare_exchange_n(&n->state, &s, st_word(a, LA_ST_BUSY),
                                     false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return false;
    thread_remember(t, r, a, n);
  }
  if (la_ld(&n->origin_size) != r->size) {
    __atomic_store_n(&n->state, st_word(a, LA_ST_OUT), __ATOMIC_RELEASE);
    return false;
  }
  node_cache_fields(n, r, list, file, line, caller, t->id);
  __atomic_store_n(&n->state, st_word(a, LA_ST_CACHED), __ATOMIC_RELEASE);
  *node = n;
  return true;
}

/* ---------------------------------------------------------------------------
 * The list itself with entry tracking: the link word checked.
 *
 * A cached entry's first 8 bytes are the SLIST link, which the fill cannot
 * cover: a driver writing them after the free would make the next pop put
 * its value at the head of the list, and the pop after that read through
 * it. So a free hit records in the entry's node the link it writes (with
 * every attempt of its push, before the compare-and-swap publishes the
 * entry), and a hit's pop compares the link it read with the node's. They
 * differ only when the link was overwritten: when the header is unchanged
 * since it was read (the pop's compare-and-swap succeeds), the entry has
 * been first all along, so its link is the one its push wrote. The entry
 * is then popped with the recorded link instead, the list stays whole, and
 * the caller reports the entry as modified (0xC6).
 * ------------------------------------------------------------------------- */
/* The node of @a when it is CACHED, found under its stripe lock (and put
 * back into the hint table), or NULL (lookaside_track.c). */
la_node_t *kpi_la_node_cached(la_state_t *st, uintptr_t a);

/* The node of @first when it is CACHED: the thread's last entry, else the
 * hint table, else (the table is a cache: it misses after it grows or when
 * two entries share its slots) the entry's stripe, under its lock. NULL
 * only for an entry kpool does not track. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static la_node_t *la_first_node_slow(const la_rec_t *r, uint64_t first) {
  uint64_t s;
  la_node_t *h = hint_find(r->st, (uintptr_t)first, &s);
  if (h != NULL && s == st_word((uintptr_t)first, LA_ST_CACHED)) return h;
  return kpi_la_node_cached(r->st, (uintptr_t)first);
}

static inline la_node_t *la_first_node(const la_rec_t *r, const la_last_t *last,
                                       uint64_t first) {
  if (last->entry == (uintptr_t)first && last->node != NULL &&
      node_state(last->node) == st_word((uintptr_t)first, LA_ST_CACHED))
    return last->node;
  return la_first_node_slow(r, first);
}

/* The link to unlink @n's entry with: the one its push recorded, else the
 * one read. */
static inline uint64_t la_link_to_use(const la_node_t *n, uint64_t read) {
  if (n == NULL) return read;
  uint64_t recorded = la_ld(&n->link);
  return recorded != LA_LINK_UNKNOWN ? recorded : read;
}

/* kpi_slist_push that records in @n the link it writes. */
static inline void la_push_linked(kp_slist_header_t *head,
                                  kp_slist_entry_t *entry, la_node_t *n) {
#if KPI_SLIST_LOCK_FREE
  uint64_t word, next;
  kpi_slist_load(head, &word, &next);
  for (;;) {
    entry->next = (kp_slist_entry_t *)(uintptr_t)next;
    la_st(&n->link, next);
    if (kpi_slist_swap(head, &word, &next, kpi_slist_word_push(word),
                       (uint64_t)(uintptr_t)entry))
      return;
  }
#else
  kpi_slist_stripe_t *s = kpi_slist_stripe_of(head);
  kpi_slist_stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  entry->next = (kp_slist_entry_t *)(uintptr_t)next;
  la_st(&n->link, next);
  kpi_slist_store(head, kpi_slist_word_push(word), (uint64_t)(uintptr_t)entry);
  kpi_slist_stripe_unlock(s);
#endif
}

/* kpi_slist_pop for a hit with tracking on. *@node is the popped entry's
 * node when it was CACHED just before the pop's compare-and-swap (else
 * NULL: the leave takes the locked path); nothing else moves a CACHED node
 * (frees of a cached entry and pool frees only report), so after the pop
 * it is the caller's to move to OUT. *@bad_link is the link word found
 * when it was not the recorded one (the entry was then popped with the
 * recorded link), else LA_LINK_UNKNOWN. */
static inline kp_slist_entry_t *la_pop_tracked(const la_rec_t *r,
                                               kp_slist_header_t *head,
                                               la_last_t last, la_node_t **node,
                                               uint64_t *bad_link) {
  uint64_t found, second, link;
  la_node_t *n;
#if KPI_SLIST_LOCK_FREE
  uint64_t word, next;
  kpi_slist_load(head, &word, &next);
  for (;;) {
    if (next == 0) return NULL;
    second = kpi_slist_read_next((const kp_slist_entry_t *)(uintptr_t)next);
    n = la_first_node(r, &last, next);
    link = la_link_to_use(n, second);
    found = next;
    if (kpi_slist_swap(head, &word, &next, kpi_slist_word_pop(word), link))
      break;
  }
#else
  kpi_slist_stripe_t *s = kpi_slist_stripe_of(head);
  kpi_slist_stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  found = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  if (found == 0) {
    kpi_slist_stripe_unlock(s);
    return NULL;
  }
  second = kpi_slist_read_next((const kp_slist_entry_t *)(uintptr_t)found);
  n = la_first_node(r, &last, found);
  link = la_link_to_use(n, second);
  kpi_slist_store(head, kpi_slist_word_pop(word), link);
  kpi_slist_stripe_unlock(s);
#endif
  *bad_link = link != second ? second : LA_LINK_UNKNOWN;
  *node = n;
  return (kp_slist_entry_t *)(uintptr_t)found;
}

/* ---------------------------------------------------------------------------
 * Poison (KP_LOOKASIDE_OPT_POISON).
 * ------------------------------------------------------------------------- */

/* Words of an entry: the fill is written and checked 8 or 16 bytes at a
 * time (entries are 16-byte aligned, the fill starts at 8). */
typedef uint64_t __attribute__((may_alias)) la_word_t;
#define LA_FILL_WORD (0x0101010101010101ull * KP_LOOKASIDE_FILL)
#if defined(__GNUC__) || defined(__clang__)
#define LA_VECTOR_FILL 1
/* 16 bytes at an 8-byte boundary (unaligned vector loads and stores). */
typedef uint64_t la_pair_t __attribute__((vector_size(16), aligned(8), may_alias));
#endif

/* The fill covers whole 8-byte granules after the link word, so ASan never
 * has to describe a partly poisoned granule (unpoisoning one would mark its
 * tail unaddressable). */
static inline size_t fill_end(uint32_t size) { return size & ~(size_t)7; }

static inline void poison_entry(void *entry, uint32_t size) {
  size_t end = fill_end(size);
  if (end <= LA_LINK_BYTES) return;
  // Wide stores: most entries are small, where a memset call costs more
  // than the stores themselves.
  uint8_t *p = (uint8_t *)entry + LA_LINK_BYTES;
  size_t n = end - LA_LINK_BYTES; // a multiple of 8
#if defined(LA_VECTOR_FILL)
  if (n >= 16) {
    const la_pair_t fill = {LA_FILL_WORD, LA_FILL_WORD};
    // 16 bytes at a time, the last 16 overlapping the one before (no 8-byte
    // tail to test for). The empty asm keeps the compiler from turning the
    // loop back into a memset call.
    uint8_t *last = p + n - 16;
    for (; p < last; p += 16) {
      *(la_pair_t *)(void *)p = fill;
      __asm__("" : "+r"(p));
    }
    *(la_pair_t *)(void *)last = fill;
  } else {
    *(la_word_t *)(void *)p = LA_FILL_WORD;
  }
#else
  for (; n >= 8; n -= 8, p += 8) *(la_word_t *)(void *)p = LA_FILL_WORD;
#endif
#if defined(LA_ASAN)
  ASAN_POISON_MEMORY_REGION((uint8_t *)entry + LA_LINK_BYTES, end - LA_LINK_BYTES);
#endif
}

static inline void unpoison_entry(void *entry, uint32_t size) {
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

LA_UNCHECKED_READ static inline const uint8_t *fill_damage(const void *entry,
                                                           uint32_t size) {
  const uint8_t *base = entry;
  size_t end = fill_end(size);
  if (end <= LA_LINK_BYTES) return NULL;
  // One branch for the whole fill: the differences from the fill are OR-ed
  // (16 bytes at a time, the last 16 overlapping), the byte is looked for
  // only on damage.
  const uint8_t *p = base + LA_LINK_BYTES;
  size_t n = end - LA_LINK_BYTES; // a multiple of 8
  uint64_t diff;
#if defined(LA_VECTOR_FILL)
  if (n >= 16) {
    const la_pair_t fill = {LA_FILL_WORD, LA_FILL_WORD};
    const uint8_t *last = p + n - 16;
    la_pair_t acc = *(const la_pair_t *)(const void *)last ^ fill;
    for (; p < last; p += 16) acc |= *(const la_pair_t *)(const void *)p ^ fill;
    diff = acc[0] | acc[1];
  } else {
    diff = *(const la_word_t *)(const void *)p ^ LA_FILL_WORD;
  }
#else
  diff = 0;
  for (size_t i = 0; i < n; i += 8)
    diff |= *(const la_word_t *)(const void *)(p + i) ^ LA_FILL_WORD;
#endif
  if (diff == 0) return NULL;
  for (size_t k = LA_LINK_BYTES; k < end; k++)
    if (base[k] != KP_LOOKASIDE_FILL) return base + k;
  return NULL;
}

LA_UNCHECKED_READ static inline uint8_t read_byte(const uint8_t *p) {
  return *(const volatile uint8_t *)p;
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

static inline la_calls_t calls_of(const la_rec_t *r) {
  la_calls_t c;
  c.sys = r->sys;
  c.kind = r->kind;
  c.type = r->type;
  c.size = r->size;
  c.tag = r->tag;
  c.invoker = r->invoker;
  return c;
}

/* ---------------------------------------------------------------------------
 * What each file offers the others.
 * ------------------------------------------------------------------------- */
/* lookaside.c: records, the list's routines, the IRQL rule, the balance set
 * manager's tick. */
void kpi_la_rec_release(la_rec_t *r);
la_rec_t *kpi_la_rec_find(kp_system_t *sys, kp_lookaside_t *list);
bool kpi_la_list_ptr_ok(kp_system_t *sys, const void *list);
void *kpi_la_default_allocate(uint32_t pool_type, size_t size, kp_tag_t tag);
void kpi_la_default_free(void *entry);
void *kpi_la_default_allocate_ex(uint32_t pool_type, size_t size,
                                 kp_tag_t tag, kp_lookaside_t *list);
void kpi_la_default_free_ex(void *entry, kp_lookaside_t *list);
void kpi_la_call_free(const la_calls_t *c, kp_lookaside_t *list, void *entry,
                      kp_site_t site);
bool kpi_la_irql_ok(kp_system_t *sys, kp_pool_kind_t pool, uint32_t type,
                    bool freeing, uint64_t size_or_addr, const kp_site_t *at);
void kpi_la_tick(kp_system_t *sys, void *state);

/* lookaside_track.c: the locked side of entry tracking. */
uint64_t kpi_la_node_settled(const la_node_t *n);
bool kpi_la_node_move(la_node_t *n, uint64_t *cur, uint64_t to);
la_node_t *kpi_la_node_find(la_stripe_t *s, uintptr_t a);
void kpi_la_node_unlink(la_state_t *st, la_stripe_t *s, la_node_t *n);
/* Forgets every tracked entry (tracking switched off). */
void kpi_la_track_forget_all(la_state_t *st);
void kpi_la_track_origin(la_state_t *st, void *entry,
                         const kp_lookaside_t *list, uint32_t size);
void kpi_la_seen_copy(la_seen_t *out, const la_node_t *n);
/* The entry after @e, a cached entry kpool walks (flush, delete, verify,
 * options): @e's link, or the link its free recorded when the two differ
 * (the driver wrote the link after freeing @e; *@found is then the value
 * found, else LA_LINK_UNKNOWN). *@recorded is the recorded link. Takes
 * @e's stripe lock (after the registry lock, if held). */
kp_slist_entry_t *kpi_la_next_checked(la_state_t *st,
                                      const kp_slist_entry_t *e,
                                      uint64_t *found, uint64_t *recorded);
enum la_free_verdict kpi_la_track_free(kp_system_t *sys, la_state_t *st,
                                       const la_rec_t *r, kp_lookaside_t *list,
                                       void *entry, bool push,
                                       const kp_site_t *at, la_seen_t *seen);

/* lookaside_report.c: the per-system state and the bug checks. */
la_state_t *kpi_la_state_get(kp_system_t *sys, bool create);
void kpi_la_raise_not_active(kp_system_t *sys, const kp_lookaside_t *list,
                             unsigned op, kp_site_t site);
void kpi_la_raise_wrong_list(kp_system_t *sys, const la_rec_t *r,
                             const kp_lookaside_t *list, const void *entry,
                             const la_seen_t *seen, kp_site_t site);
void kpi_la_raise_freed_while_cached(kp_system_t *sys, const void *entry,
                                     const la_seen_t *seen, bool to_pool,
                                     kp_site_t site);
void kpi_la_raise_modified(kp_system_t *sys, const kp_lookaside_t *list,
                           kp_tag_t list_tag, uint32_t size, const void *entry,
                           const uint8_t *bad, uint8_t value,
                           const la_seen_t *seen, kp_site_t site);
/* 0xC6 for a cached entry whose link word held @found instead of
 * @expected. */
void kpi_la_raise_link_modified(kp_system_t *sys, const kp_lookaside_t *list,
                                kp_tag_t list_tag, uint32_t size,
                                const void *entry, uint64_t found,
                                uint64_t expected, const la_seen_t *seen,
                                kp_site_t site);

#endif /* KPOOL_SRC_EX_KP_LOOKASIDE_INTERNAL_H */
