/*
 * kp_pool_internal.h — what the files of the pool (pool.c, pool_arena.c,
 * pool_record.c, pool_report.c) share: the record fields, the spin locks,
 * the record table's and tag table's lookups, heaps, headers, canaries and
 * the fill checks as static inline functions (the allocation and free fast
 * paths call them, so none may be an out-of-line call into another file),
 * and the declarations of what each file offers the others. Internal to
 * src/mm/.
 */
#ifndef KPOOL_SRC_MM_KP_POOL_INTERNAL_H
#define KPOOL_SRC_MM_KP_POOL_INTERNAL_H

#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "mm/kp_sanitizer.h"

/* Header word 2 is the block address mixed with this constant, so that a
 * header copied from elsewhere is recognised as corrupt. */
#define POOL_HEADER_COOKIE 0x6B706F6F6C686472ull /* "kpoolhdr" */
#define POOL_RESERVE_FACTOR 2u /* address space per budget byte */
/* Larger than any pool's budget can be (kp_config_t limits budgets to 2^40). */
#define POOL_MAX_REQUEST ((size_t)1 << 40)
/* Budget a heap reserves at a time while the pool is roomy. */
#define POOL_CREDIT_CHUNK ((size_t)64 << 10)
/* Sequence numbers a thread takes from the system at a time: each batch is
 * an atomic add on a line the other processors then miss, which at 64 cost
 * two threads about 9 ns per operation on the project's VM. */
#define POOL_SEQ_BATCH 1024u
/* Initial record hash buckets of a heap. */
#define POOL_HEAP_BUCKETS 256u
/* Initial tag slots of a heap. */
#define POOL_HEAP_TAGS 32u

static inline size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* ---------------------------------------------------------------------------
 * Spin locks (heaps, page map). Critical sections are a few hundred
 * instructions; a waiter yields after a short spin.
 * ------------------------------------------------------------------------- */
static inline void spin_init(kpi_spin_t *l) { atomic_flag_clear(&l->busy); }

static inline void spin_lock(kpi_spin_t *l) {
  unsigned spins = 0;
  while (atomic_flag_test_and_set_explicit(&l->busy, memory_order_acquire)) {
    if (++spins > 64) {
      kpi_os_yield();
      spins = 0;
    }
  }
}

static inline void spin_unlock(kpi_spin_t *l) {
  atomic_flag_clear_explicit(&l->busy, memory_order_release);
}

/* ---------------------------------------------------------------------------
 * Record fields (kp_types.h gives the packing).
 * ------------------------------------------------------------------------- */
#define REC_SIZE_BITS 41u
#define REC_SIZE_MASK ((UINT64_C(1) << REC_SIZE_BITS) - 1)
#define REC_SEQ_MASK ((UINT64_C(1) << 40) - 1)

static inline size_t rec_size(const kpi_record_t *r) { return (size_t)(r->w0 & REC_SIZE_MASK); }
static inline uint32_t rec_pool_type(const kpi_record_t *r) { return (uint32_t)((r->w0 >> 41) & 0xFFFFu); }
static inline unsigned rec_state(const kpi_record_t *r) { return (unsigned)((r->w0 >> 57) & 3u); }
static inline bool rec_quota(const kpi_record_t *r) { return ((r->w0 >> 59) & 1u) != 0; }
static inline bool rec_big(const kpi_record_t *r) { return ((r->w0 >> 60) & 1u) != 0; }
static inline void rec_set_state(kpi_record_t *r, unsigned st) {
  r->w0 = (r->w0 & ~(UINT64_C(3) << 57)) | ((uint64_t)st << 57);
}
static inline uint64_t rec_sequence(const kpi_record_t *r) { return r->w1 & REC_SEQ_MASK; }
static inline kp_pool_flags_t rec_flags(const kpi_record_t *r) {
  return (kp_pool_flags_t)r->flags_lo | ((kp_pool_flags_t)((r->w1 >> 52) & 0xFFu) << 32);
}
/* The first byte of the block (header, or the first page). */
static inline uint8_t *rec_block(const kpi_record_t *r) {
  return rec_big(r) ? r->address : r->address - KPI_HEADER_SIZE;
}
/* Small blocks: granules including the header and the canary. */
static inline uint32_t rec_granules(const kpi_record_t *r) {
  size_t data = (rec_size(r) + KPI_MIN_CANARY + KPI_GRANULE - 1) & ~(size_t)(KPI_GRANULE - 1);
  return (uint32_t)((KPI_HEADER_SIZE + data) / KPI_GRANULE);
}
/* Big blocks: pages. */
static inline size_t rec_pages(const kpi_record_t *r) {
  return (rec_size(r) + KPI_PAGE_SIZE - 1) / KPI_PAGE_SIZE;
}
/* Bytes counted against the pool (Windows counting). */
static inline size_t rec_bytes(const kpi_record_t *r) {
  if (rec_big(r)) return rec_pages(r) * KPI_PAGE_SIZE;
  size_t n = rec_size(r) ? rec_size(r) : 1;
  return KPI_HEADER_SIZE + ((n + KPI_GRANULE - 1) & ~(size_t)(KPI_GRANULE - 1));
}

typedef struct site_cached {
  kp_site_t site;
  uint32_t id;
} site_cached_t;

static inline bool site_same(const kp_site_t *a, const kp_site_t *b) {
  return a->file == b->file && a->line == b->line && a->caller == b->caller &&
         a->outer == b->outer;
}

static inline size_t site_hash(const kp_site_t *s) {
  // One multiply: this runs on every allocation and free.
  uint64_t k = (uint64_t)(uintptr_t)s->file ^ ((uint64_t)(uintptr_t)s->caller << 1) ^
               ((uint64_t)(uintptr_t)s->outer << 3) ^ ((uint64_t)s->line << 17);
  uint64_t h = k * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 32);
}

/* Sites interned in pool_record.c: the site of number @id (0: no site), and
 * the table's number of a site missing from the thread's cache @c. */
kp_site_t kpi_site_get(uint32_t id);
uint32_t kpi_site_id_slow(const kp_site_t *s, size_t h, site_cached_t *c);

static inline size_t hash_addr(const kpi_heap_t *h, uintptr_t a) {
  uint64_t x = (uint64_t)(a >> 4) * 0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 20) & (h->bucket_count - 1);
}

/* Record of slot number @id (1..; heap locked). */
static inline kpi_record_t *rec_at(const kpi_heap_t *h, uint32_t id) {
  uint32_t i = id - 1;
  return &h->chunks[i >> KPI_SLAB_SHIFT][i & (KPI_SLAB - 1)];
}

/* ---------------------------------------------------------------------------
 * Record table (per heap, heap locked).
 * ------------------------------------------------------------------------- */
/* The record of the block at @p in any state, released included (the
 * free fast path, which wants only a live one, tests the state itself). */
static inline kpi_record_t *record_find_any(const kpi_heap_t *h, const void *p,
                                            uint32_t *id_out) {
  uintptr_t a = (uintptr_t)p;
  for (uint32_t id = h->buckets[hash_addr(h, a)]; id != 0;) {
    kpi_record_t *r = rec_at(h, id);
    if ((uintptr_t)r->address == a) {
      if (id_out != NULL) *id_out = id;
      return r;
    }
    id = r->hash_next;
  }
  return NULL;
}

/* The live or quarantined block at @p: a released record (its block back on
 * a free list) is no block. */
static inline kpi_record_t *record_find(const kpi_heap_t *h, const void *p,
                                        uint32_t *id_out) {
  kpi_record_t *r = record_find_any(h, p, id_out);
  return r != NULL && rec_state(r) != KPI_BLOCK_RELEASED ? r : NULL;
}

static inline void record_hash_insert(kpi_heap_t *h, kpi_record_t *r, uint32_t id) {
  size_t b = hash_addr(h, (uintptr_t)r->address);
  r->hash_next = h->buckets[b];
  h->buckets[b] = id;
}

static inline void record_hash_remove(kpi_heap_t *h, kpi_record_t *r) {
  uint32_t *pp = &h->buckets[hash_addr(h, (uintptr_t)r->address)];
  while (*pp != 0) {
    kpi_record_t *c = rec_at(h, *pp);
    if (c == r) {
      *pp = r->hash_next;
      return;
    }
    pp = &c->hash_next;
  }
}

/* Gives a record's slot back (heap locked; already out of the hash). */
static inline void record_free(kpi_heap_t *h, kpi_record_t *r, uint32_t id) {
  rec_set_state(r, 0);
  r->link_a = h->free_slot;
  h->free_slot = id;
}

/* Live blocks are not linked: a list would write two more records (the
 * neighbours' lines) on every allocation and free. The rare walks (reports,
 * kp_visit_blocks, kp_verify, interior pointers) scan the slots instead,
 * slot 1 to slots_used, and keep those whose state is live. */
#define FOR_EACH_SLOT(h, id) for (uint32_t id = 1; id <= (h)->slots_used; id++)

/* The record table's rare operations (pool_record.c). */
void kpi_record_hash_grow(kpi_heap_t *h);
kpi_record_t *kpi_record_containing(const kpi_heap_t *h, const void *p,
                                    bool include_quarantine);
void kpi_record_info(const kpi_heap_t *h, const kpi_record_t *r,
                     kp_block_info_t *out);

/* ---------------------------------------------------------------------------
 * Tag table (the pool tracker table), per heap.
 * ------------------------------------------------------------------------- */
kpi_tag_stat_t *kpi_tag_slot_find(kpi_heap_t *h, kp_tag_t tag, bool create);
/* The slot of @tag: the heap's last one when the tag is the same (a loop
 * allocating and freeing one tag skips the hash), else the table's. */
static inline kpi_tag_stat_t *tag_slot(kpi_heap_t *h, kp_tag_t tag, bool create) {
  // tag_last is cleared whenever slots move or are cleared (grow, scrub):
  // a slot it names is in use.
  kpi_tag_stat_t *t = h->tag_last;
  if (t != NULL && t->tag == tag) return t;
  t = kpi_tag_slot_find(h, tag, create);
  if (t != NULL) h->tag_last = t;
  return t;
}

/* ---------------------------------------------------------------------------
 * Heaps.
 * ------------------------------------------------------------------------- */

/* Heap @i of @pool, created on first use; NULL when the host is out of
 * memory. */
kpi_heap_t *kpi_heap_create(kpi_pool_t *pool, uint32_t i);
static inline kpi_heap_t *heap_at(kpi_pool_t *pool, uint32_t i) {
  kpi_heap_t *h = atomic_load_explicit(&pool->heaps[i], memory_order_acquire);
  return h != NULL ? h : kpi_heap_create(pool, i);
}

/* The heap owning the page of @p, or NULL (not a page in use). */
static inline kpi_heap_t *heap_owning(kpi_pool_t *pool, const void *p) {
  size_t page = (size_t)((const uint8_t *)p - pool->base) / KPI_PAGE_SIZE;
  if (page >= pool->pages) return NULL;
  uint8_t o = atomic_load_explicit(&pool->page_owner[page], memory_order_acquire);
  if (o == 0) return NULL;
  return atomic_load_explicit(&pool->heaps[o - 1], memory_order_acquire);
}

/* Page runs and the budget (pool_arena.c). */
uint8_t *kpi_pages_take(kpi_pool_t *pool, const kpi_heap_t *h, size_t n);
void kpi_pages_give(const kp_system_t *sys, kpi_pool_t *pool, uint8_t *addr,
                    size_t n);
bool kpi_budget_slow(const kp_system_t *sys, kpi_pool_t *pool, kpi_heap_t *h,
                     size_t bytes, kp_priority_t priority);

/* ---------------------------------------------------------------------------
 * Free-list entries (kpi_free_block_t, written over a free block's header).
 * ------------------------------------------------------------------------- */
/* The check word of the entry at @block on the list of @granules: the high
 * half of one multiply by an odd constant, so that a change in any bit of
 * the link, the slot or the check word is seen (a write that keeps the
 * check right is a 1 in 2^32 chance, not a crash: the slot is still bounded
 * and must name the block). */
static inline uint32_t free_node_check(const void *block, uint32_t granules,
                                       const void *next, uint32_t rec_id) {
  uint64_t x = ((uint64_t)(uintptr_t)block << 16) ^ (uint64_t)(uintptr_t)next ^
               ((uint64_t)rec_id << 32 | granules);
  return (uint32_t)((x * 0x9E3779B97F4A7C15ull) >> 32);
}

static inline void free_node_write(kpi_free_block_t *f, uint32_t granules,
                                   kpi_free_block_t *next, uint32_t rec_id) {
  f->next = next;
  f->rec_id = rec_id;
  f->check = free_node_check(f, granules, next, rec_id);
}

/* Whether the entry @f at the head of the list of @granules is what kpool
 * wrote: its check word, and a record slot (if any) that exists and names
 * this block. Reads only @f and the heap's own slots. */
static inline bool free_node_intact(const kpi_heap_t *h, const kpi_free_block_t *f,
                                    uint32_t granules) {
  uint32_t id = f->rec_id;
  if (f->check != free_node_check(f, granules, f->next, id)) return false;
  if (id == 0) return true;
  if (id > h->slots_used) return false;
  return rec_at(h, id)->address == (const uint8_t *)f + KPI_HEADER_SIZE;
}

/* A free-list entry found overwritten (copied out under the heap lock). */
typedef struct free_list_report {
  bool found;
  uintptr_t block;        /* the free block whose header was overwritten */
  uint64_t words[2];      /* its 16 header bytes as found */
  uint32_t granules;      /* the list it was on */
  bool has_front;         /* a block ends right in front of it */
  kp_block_info_t front;  /* that block, the likely overrun */
} free_list_report_t;

/* Raises BAD_POOL_HEADER 0x19/0x3 for @rep (pool_report.c; no lock held). */
void kpi_free_list_raise(kp_system_t *sys, const free_list_report_t *rep);

/* ---------------------------------------------------------------------------
 * Headers and canaries.
 * ------------------------------------------------------------------------- */
/* The header of a small block as two words (little-endian layout of
 * POOL_HEADER): PreviousSize 0, PoolIndex = node, BlockSize in granules,
 * PoolType + 1 (in use) with the quota bit (8) of a quota-charged block as
 * Windows' header carries it, then the tag; the second word is the data
 * address mixed with POOL_HEADER_COOKIE. */
static inline void header_words(const kpi_pool_t *pool, uint32_t granules,
                                bool quota, kp_tag_t tag, const uint8_t *data,
                                uint64_t out[2]) {
  uint32_t w0 = pool->header_base | ((granules & 0xFFu) << 16) |
                (quota ? 8u << 24 : 0u);
  memcpy(&out[0], &w0, 4);
  memcpy((uint8_t *)&out[0] + 4, &tag, 4);
  out[1] = (uint64_t)(uintptr_t)data ^ POOL_HEADER_COOKIE;
}

static inline void header_expected(const kpi_heap_t *h, const kpi_record_t *r,
                                   uint8_t out[16]) {
  uint64_t w[2];
  header_words(h->pool, rec_granules(r), rec_quota(r), r->tag, r->address, w);
  memcpy(out, w, 16);
}

/* End of the bytes that belong to the block (data + canary). */
static inline uint8_t *block_data_end(const kpi_record_t *r) {
  if (rec_big(r)) return r->address + rec_pages(r) * KPI_PAGE_SIZE;
  return rec_block(r) + (size_t)rec_granules(r) * KPI_GRANULE;
}

/* Whether all @n bytes at @p are @fill: the answer of every free, so one
 * pass of word loads OR-ed together with no early exit and no alignment
 * prologue (the last word overlaps the one before when @n is not a
 * multiple of 8). first_not then finds the byte, on a damaged block only. */
static inline uint64_t span_word(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

/* memset for the fast paths' short spans (data of a small block, its
 * canary, its poison): word stores, the last word overlapping, no call. */
static inline void span_fill(uint8_t *p, size_t n, uint8_t fill) {
  if (n > 128) {
    memset(p, fill, n);
    return;
  }
  uint64_t pattern = 0x0101010101010101ull * fill;
  uint64_t two[2] = {pattern, pattern};
  if (n >= 32) {
    // The first and the last 32 bytes (16-byte stores, one vector store
    // each where the target has them), then what lies between.
    memcpy(p, two, 16);
    memcpy(p + 16, two, 16);
    memcpy(p + n - 32, two, 16);
    memcpy(p + n - 16, two, 16);
    for (size_t i = 32; i + 32 < n; i += 16) memcpy(p + i, two, 16);
  } else if (n >= 16) {
    memcpy(p, two, 16);
    memcpy(p + n - 16, two, 16);
  } else if (n >= 8) {
    memcpy(p, &pattern, 8);
    memcpy(p + n - 8, &pattern, 8);
  } else {
    for (size_t i = 0; i < n; i++) p[i] = fill;
  }
}

#if defined(__GNUC__) || defined(__clang__)
/* Two words as one 16-byte vector (SSE2 on x86-64, NEON on arm64). */
typedef uint64_t span_v2 __attribute__((vector_size(16)));
static inline span_v2 span_load(const uint8_t *p) {
  span_v2 v;
  memcpy(&v, p, 16);
  return v;
}
#endif

static inline bool span_is(const uint8_t *p, size_t n, uint8_t fill) {
  uint64_t pattern = 0x0101010101010101ull * fill;
#if defined(__GNUC__) || defined(__clang__)
  if (n >= 16) {
    // The first and last 16 bytes, then (above 32) the second and the
    // second-to-last, then what lies between: 16-byte loads OR-ed
    // together, one test at the end.
    span_v2 pat = {pattern, pattern};
    span_v2 acc = (span_load(p) ^ pat) | (span_load(p + n - 16) ^ pat);
    if (n > 32) {
      acc |= (span_load(p + 16) ^ pat) | (span_load(p + n - 32) ^ pat);
      for (size_t i = 32; i + 32 < n; i += 16) acc |= span_load(p + i) ^ pat;
    }
    return (acc[0] | acc[1]) == 0;
  }
  uint64_t acc = 0;
#else
  uint64_t acc = 0;
  if (n >= 32) {
    // The first and the last 32 bytes, then what lies between in 16-byte
    // steps (the last step may overlap the last 32).
    const uint8_t *q = p + n - 32;
    acc = (span_word(p) ^ pattern) | (span_word(p + 8) ^ pattern) |
          (span_word(p + 16) ^ pattern) | (span_word(p + 24) ^ pattern) |
          (span_word(q) ^ pattern) | (span_word(q + 8) ^ pattern) |
          (span_word(q + 16) ^ pattern) | (span_word(q + 24) ^ pattern);
    for (size_t i = 32; i + 32 < n; i += 16)
      acc |= (span_word(p + i) ^ pattern) | (span_word(p + i + 8) ^ pattern);
  } else if (n >= 16) {
    acc = (span_word(p) ^ pattern) | (span_word(p + 8) ^ pattern) |
          (span_word(p + n - 16) ^ pattern) | (span_word(p + n - 8) ^ pattern);
  } else
#endif
  if (n >= 8) {
    acc = (span_word(p) ^ pattern) | (span_word(p + n - 8) ^ pattern);
  } else {
    for (size_t i = 0; i < n; i++) acc |= (uint64_t)(p[i] ^ fill);
  }
  return acc == 0;
}

/* First byte in [p, end) that is not @fill, or NULL (pool_report.c). */
const uint8_t *kpi_first_not(const uint8_t *p, const uint8_t *end,
                             uint8_t fill);

/* First canary byte that differs, or NULL. */
static inline const uint8_t *canary_damage(const kpi_record_t *r, uint8_t fill) {
  const uint8_t *from = (const uint8_t *)r->address + rec_size(r);
  const uint8_t *end = block_data_end(r);
  if (span_is(from, (size_t)(end - from), fill)) return NULL;
  return kpi_first_not(from, end, fill);
}

/* First poisoned byte that differs in a quarantined block, or NULL. */
static inline const uint8_t *poison_damage(const kpi_record_t *r, uint8_t fill) {
  const uint8_t *from = (const uint8_t *)r->address;
  const uint8_t *end = block_data_end(r);
  if (span_is(from, (size_t)(end - from), fill)) return NULL;
  return kpi_first_not(from, end, fill);
}

/* kpool's own look at the bytes it keeps poisoned for the tools: the
 * header and canary of a live block (heap locked). */
static inline void live_open(const kp_system_t *sys, const kpi_record_t *r) {
  if (!kpi_san_on(sys)) return;
  if (!rec_big(r)) kpi_san_unpoison(sys, rec_block(r), KPI_HEADER_SIZE);
  const uint8_t *end = (const uint8_t *)r->address + rec_size(r);
  kpi_san_unpoison(sys, end, (size_t)(block_data_end(r) - end));
}

static inline void live_close(const kp_system_t *sys, const kpi_record_t *r) {
  if (!kpi_san_on(sys)) return;
  if (!rec_big(r)) kpi_san_poison(sys, rec_block(r), KPI_HEADER_SIZE);
  const uint8_t *end = (const uint8_t *)r->address + rec_size(r);
  kpi_san_poison(sys, end, (size_t)(block_data_end(r) - end));
}

/* The same for a quarantined block: its whole data and canary. */
static inline void quarantine_open(const kp_system_t *sys, const kpi_record_t *r) {
  kpi_san_unpoison(sys, r->address, (size_t)(block_data_end(r) - r->address));
}

static inline void quarantine_close(const kp_system_t *sys, const kpi_record_t *r) {
  kpi_san_poison(sys, r->address, (size_t)(block_data_end(r) - r->address));
}

static inline bool header_intact(const kpi_heap_t *h, const kpi_record_t *r) {
  if (rec_big(r)) return true; // big blocks have no header
  uint8_t want[16];
  header_expected(h, r, want);
  uint64_t w[2], have[2];
  memcpy(w, want, 16);
  memcpy(have, rec_block(r), 16);
  return ((w[0] ^ have[0]) | (w[1] ^ have[1])) == 0;
}

/* What a quarantine drain found wrong (copied out before unlocking). */
typedef struct poison_report {
  bool damaged;
  kp_block_info_t info;
  kp_site_t free_site;
  uint32_t free_thread;
  uintptr_t where;
  uint8_t value;
} poison_report_t;

enum free_verdict {
  FREE_OK = 0,
  FREE_NOT_IN_POOL,
  FREE_NOT_A_BLOCK,
  FREE_INTERIOR,
  FREE_DOUBLE,
  FREE_TAG_MISMATCH,
  FREE_HEADER,
  FREE_CANARY
};

typedef struct free_check {
  enum free_verdict verdict;
  kp_block_info_t info;
  kp_site_t free_site;
  uint32_t free_thread;
  uint8_t header[16];
  bool big;               /* a page-run block (no header) */
  uintptr_t where;
  uint8_t value;
} free_check_t;

/* The bug checks of a damaged quarantined block and of a rejected free
 * (pool_report.c; no lock held). */
void kpi_poison_raise(kp_system_t *sys, const poison_report_t *rep);
void kpi_free_reject(kp_system_t *sys, void *p, kp_tag_t tag,
                     const free_check_t *fc, kp_site_t site);

#endif /* KPOOL_SRC_MM_KP_POOL_INTERNAL_H */
