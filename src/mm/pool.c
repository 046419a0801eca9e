/*
 * pool.c — the allocation and free paths: per-processor heaps carving
 * blocks, small-block free lists, records made live, the one-pass fast
 * allocation and free, quarantine and the free path's checks.
 *
 * The rest of the pool: arena lifetime, page runs, budget and the IRQL
 * rule in pool_arena.c; the site table, record-table growth and tag tables
 * in pool_record.c; the bug-check reports, queries, figures and kp_verify
 * in pool_report.c; what the four share (record fields, spin locks, the
 * hot lookups as static inline functions) in kp_pool_internal.h.
 *
 * Each pool (paged; non-paged per node) reserves its own address range
 * through the OS layer and carves 4 KiB simulated pages from it. Small
 * blocks (up to a page minus two headers, 4064 bytes) come in 16-byte
 * granules with a 16-byte header in front and never cross a page; bigger
 * blocks take whole page runs and are page-aligned. Validity is decided by
 * the out-of-band record table, never by the header the driver could
 * overwrite.
 *
 * Blocks are served by per-processor heaps (kp_types.h): the calling
 * thread's heap carves, records and counts; a free goes to the heap that
 * owns the block's page, whichever thread frees it. The budget is exact:
 * a heap spends a credit reserved in the pool only while the pool is far
 * from any priority threshold, and otherwise asks the pool, which takes
 * every heap's credit back before it decides.
 *
 * Under AddressSanitizer or Valgrind (kp_sanitizer.h) every byte of a pool
 * page that is not a live block's data is poisoned: headers, canaries,
 * quarantined blocks, free-list memory and the unused rest of a bump page.
 * kpool opens what it reads (header, canary, quarantine fill) under the
 * heap lock and closes it again.
 */
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "sim/kp_sim.h"
#include "mm/kp_sanitizer.h"
#include "vf/kp_verifier.h"
#include "mm/kp_pool_internal.h"

/* ---------------------------------------------------------------------------
 * Interned sites, the calling thread's side: the two recent sites and the
 * hashed cache in front of the process-wide table (pool_record.c).
 * ------------------------------------------------------------------------- */
#define SITE_CACHE 32u

static _Thread_local site_cached_t site_cache[SITE_CACHE];
/* The thread's two most recent allocation sites and two most recent free
 * sites, asked before the hash: a loop allocates at one site and frees at
 * another, and each then answers from the first entry of its own pair. */
enum { SITE_ALLOC = 0, SITE_FREE = 1 };
static _Thread_local site_cached_t site_recent[2][2];
static _Thread_local unsigned site_recent_next[2];
/* Out of line, as it was while the table's slow path shared its file: the
 * recent sites answer a loop, and the cache inlined into every caller made
 * the fast paths' frames larger. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static uint32_t site_id_cached(const kp_site_t *s, int role);

static inline bool site_recent_is(const site_cached_t *m, const kp_site_t *s) {
  return m->site.line == s->line && m->site.file == s->file &&
         m->site.caller == s->caller && m->site.outer == s->outer;
}

/* The number of @s (0 for "no site", or when out of memory: the report
 * then says "unknown site"), @role saying which recent pair to ask. */
static inline uint32_t site_id(const kp_site_t *s, int role) {
  // An entry is either empty (all zero: it matches only "no site", whose
  // number is 0, the right answer) or a site with its number.
  site_cached_t *m = site_recent[role];
  if (site_recent_is(&m[0], s)) return m[0].id;
  if (site_recent_is(&m[1], s)) return m[1].id;
  return site_id_cached(s, role);
}

/* Behind the two recent sites: the hashed cache, then the table. */
static uint32_t site_id_cached(const kp_site_t *s, int role) {
  site_cached_t *m = site_recent[role];
  size_t h = site_hash(s);
  // Two ways per set: an allocation site and a free site of one loop that
  // fall into the same set would otherwise evict each other every call.
  site_cached_t *c = &site_cache[(h & (SITE_CACHE / 2 - 1)) * 2];
  uint32_t id;
  if (c[0].id != 0 && site_same(&c[0].site, s))
    id = c[0].id;
  else if (c[1].id != 0 && site_same(&c[1].site, s))
    id = c[1].id;
  else
    id = kpi_site_id_slow(s, h, c);
  if (id != 0) {
    // Replace the older of the two (a loop's two sites then both stay).
    unsigned k = m[0].id == 0 ? 0u : m[1].id == 0 ? 1u : site_recent_next[role];
    site_recent_next[role] = k ^ 1u;
    m[k].site = *s;
    m[k].id = id;
  }
  return id;
}

/* ---------------------------------------------------------------------------
 * Small blocks: exact-size free lists plus a bump page, per heap.
 * ------------------------------------------------------------------------- */
/* Puts @block on its free list; @rec_id is the slot of its RELEASED
 * record, or 0. */
static void small_push(const kp_system_t *sys, kpi_heap_t *h, uint8_t *block,
                       uint32_t granules, uint32_t rec_id) {
  kpi_free_block_t *f = (kpi_free_block_t *)(void *)block;
  // Free memory stays poisoned; only kpool's link is written through.
  kpi_san_unpoison(sys, f, sizeof *f);
  free_node_write(f, granules, h->small_free[granules], rec_id);
  kpi_san_poison(sys, f, sizeof *f);
  h->small_free[granules] = f;
}

/* Fills @bad for the overwritten entry @b at the head of the list of
 * @granules and drops that list (heap locked): its blocks are not reused,
 * and nothing follows a link read from overwritten memory. The block that
 * ends right in front of @b, if any, is named: the likely overrun. */
static void free_list_corrupt(kpi_heap_t *h, uint8_t *b, uint32_t granules,
                              free_list_report_t *bad) {
  bad->found = true;
  bad->block = (uintptr_t)b;
  memcpy(bad->words, b, 16);
  bad->granules = granules;
  bad->has_front = false;
  FOR_EACH_SLOT(h, id) {
    kpi_record_t *r = rec_at(h, id);
    unsigned st = rec_state(r);
    if ((st == KPI_BLOCK_LIVE || st == KPI_BLOCK_QUARANTINED) && !rec_big(r) &&
        block_data_end(r) == b) {
      kpi_record_info(h, r, &bad->front);
      bad->has_front = true;
      break;
    }
  }
  h->small_free[granules] = NULL;
}

/* A block of @granules whose data (block + 16) is @align-aligned; *@rec its
 * RELEASED record (slot *@rec_id), or NULL (0) when the block has none yet.
 * NULL with @bad->found when the list's head was overwritten (the list is
 * dropped; the caller reports it and may try again). */
static uint8_t *small_take(const kp_system_t *sys, kpi_heap_t *h,
                           uint32_t granules, size_t align, kpi_record_t **rec,
                           uint32_t *rec_id, free_list_report_t *bad) {
  kpi_free_block_t **head = &h->small_free[granules];
  *rec = NULL;
  *rec_id = 0;
  if (*head != NULL &&
      (((uintptr_t)*head + KPI_HEADER_SIZE) & (align - 1)) == 0) {
    uint8_t *b = (uint8_t *)*head;
    kpi_san_unpoison(sys, b, sizeof(kpi_free_block_t));
    kpi_free_block_t *f = *head;
    if (!free_node_intact(h, f, granules)) {
      free_list_corrupt(h, b, granules, bad);
      kpi_san_poison(sys, b, sizeof(kpi_free_block_t));
      return NULL;
    }
    *rec_id = f->rec_id;
    *rec = f->rec_id != 0 ? rec_at(h, f->rec_id) : NULL;
    *head = f->next;
    return b;
  }
  size_t bytes = (size_t)granules * KPI_GRANULE;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (h->bump != NULL) {
      uintptr_t data = round_up((uintptr_t)h->bump + KPI_HEADER_SIZE, align);
      uint8_t *b = (uint8_t *)(data - KPI_HEADER_SIZE);
      if (b + bytes <= h->bump_end) {
        // Alignment padding in front becomes a free block when it is big
        // enough to hold a header and one granule.
        size_t pad = (size_t)(b - h->bump) / KPI_GRANULE;
        if (pad >= 2) small_push(sys, h, h->bump, (uint32_t)pad, 0);
        h->bump = b + bytes;
        return b;
      }
      // Retire the rest of the bump page into the free lists.
      size_t rest = (size_t)(h->bump_end - h->bump) / KPI_GRANULE;
      if (rest >= 2) small_push(sys, h, h->bump, (uint32_t)rest, 0);
      h->bump = h->bump_end = NULL;
    }
    uint8_t *page = kpi_pages_take(h->pool, h, 1);
    if (page == NULL) return NULL;
    // A fresh bump page is free memory until blocks are carved from it.
    kpi_san_poison(sys, page, KPI_PAGE_SIZE);
    h->bump = page;
    h->bump_end = page + KPI_PAGE_SIZE;
  }
  return NULL;
}

/* ---------------------------------------------------------------------------
 * Record slots (per heap, heap locked).
 * ------------------------------------------------------------------------- */
/* A free record slot (heap locked); *@id its number. NULL when the host is
 * out of memory. No clear: heap_carve sets every field. */
static kpi_record_t *record_new(kpi_heap_t *h, uint32_t *id) {
  if (h->free_slot != 0) {
    *id = h->free_slot;
    kpi_record_t *r = rec_at(h, *id);
    h->free_slot = r->link_a;
    return r;
  }
  uint32_t i = h->slots_used;
  if ((i >> KPI_SLAB_SHIFT) >= h->chunk_count) {
    if (h->chunk_count == h->chunk_cap) {
      uint32_t cap = h->chunk_cap ? h->chunk_cap * 2 : 8;
      kpi_record_t **nc = realloc(h->chunks, cap * sizeof *nc);
      if (nc == NULL) return NULL;
      h->chunks = nc;
      h->chunk_cap = cap;
    }
    kpi_record_t *chunk = malloc(KPI_SLAB * sizeof *chunk);
    if (chunk == NULL) return NULL;
    h->chunks[h->chunk_count++] = chunk;
  }
  h->slots_used = i + 1;
  *id = i + 1;
  return rec_at(h, *id);
}

/* Pool selection (kp_mm.h); here, where the free path inlines them. */
kpi_pool_t *kpi_pool_for(kp_system_t *sys, kp_pool_kind_t kind, uint32_t node) {
  if (kind == KP_POOL_PAGED) return &sys->pools[0];
  if (node >= sys->cfg.numa_nodes) return NULL;
  return &sys->pools[1 + node];
}

kpi_pool_t *kpi_pool_containing(kp_system_t *sys, const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  // Non-paged pool of node 0 first (pools[1]): most drivers' blocks.
  if (sys->pool_count > 1 && a - (uintptr_t)sys->pools[1].base < sys->pools[1].span)
    return &sys->pools[1];
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kpi_pool_t *p = &sys->pools[i];
    if (a - (uintptr_t)p->base < p->span) return p;
  }
  return NULL;
}

/* The calling thread's heap in @pool, created on first use; NULL when the
 * host is out of memory. */

static kpi_heap_t *heap_mine(kpi_pool_t *pool) {
  return heap_at(pool, kpi_thread()->id % KPI_HEAPS);
}

/* ---------------------------------------------------------------------------
 * Allocation.
 * ------------------------------------------------------------------------- */
static size_t small_block_bytes(size_t size) {
  return KPI_HEADER_SIZE + round_up(size ? size : 1, KPI_GRANULE);
}

/* Largest request served as a small block: a page minus two pool headers
 * (4064 on x64), as Windows does; anything above takes whole pages. */
#define POOL_SMALL_MAX (KPI_PAGE_SIZE - 2u * KPI_HEADER_SIZE)
/* The largest request kpi_alloc_small_fast serves: every request up to
 * POOL_SMALL_MAX is a small block at 16-byte alignment (block_is_small). */
#define POOL_FAST_MAX POOL_SMALL_MAX

/* Whether a request is a small block: at most POOL_SMALL_MAX bytes, and
 * header, data and canary within one page, counting the worst-case padding
 * in front of a cache-aligned block (align - 16 bytes on a fresh page).
 * Without that padding a cache-aligned request just below a page could
 * never be placed and always failed. */
static bool block_is_small(size_t size, size_t align) {
  if (size > POOL_SMALL_MAX) return false;
  size_t pad = align > KPI_GRANULE ? align - KPI_HEADER_SIZE : 0;
  size_t data = round_up(size + KPI_MIN_CANARY, KPI_GRANULE);
  return pad + KPI_HEADER_SIZE + data <= KPI_PAGE_SIZE;
}

static bool quota_charge(kp_system_t *sys, uint64_t bytes) {
  uint64_t cur = atomic_load(&sys->quota_used);
  do {
    if (cur + bytes > sys->cfg.quota_limit) return false;
  } while (!atomic_compare_exchange_weak(&sys->quota_used, &cur, cur + bytes));
  return true;
}

/* The next allocation sequence number of @sys for the calling thread @t:
 * from a batch the thread took from the system's counter (one shared
 * atomic per POOL_SEQ_BATCH allocations instead of one per allocation).
 * Per thread, not per heap: a thread's allocations in different pools stay
 * in order (kp_block_info_t::sequence). */
static inline uint64_t sequence_next(kp_system_t *sys, kpi_thread_t *t) {
  if (t->seq_system != sys->generation || t->seq_next == t->seq_end) {
    t->seq_next = atomic_fetch_add(&sys->sequence, POOL_SEQ_BATCH) + 1;
    t->seq_end = t->seq_next + POOL_SEQ_BATCH;
    t->seq_system = sys->generation;
  }
  return t->seq_next++;
}

/* Makes record @r the live block at @p and counts it in its heap (heap
 * locked); a new record is put in the hash by the caller, a released one
 * is there already. @w0 carries size, POOL_TYPE, quota and big bits (the
 * state is set here), @w1_fixed the priority and API (record_w1_fixed).
 * Shared by heap_carve and kpi_alloc_small_fast, so both leave the same
 * record and counters. */
static inline void record_live(kp_system_t *sys, kpi_heap_t *h,
                               kpi_thread_t *me, kpi_record_t *r, uint8_t *p,
                               uint64_t w0, uint64_t w1_fixed,
                               kp_pool_flags_t flags, kp_tag_t tag,
                               uint32_t site, size_t bytes) {
  r->address = p;
  r->w0 = w0 | ((uint64_t)KPI_BLOCK_LIVE << 57);
  r->w1 = (sequence_next(sys, me) & REC_SEQ_MASK) | w1_fixed |
          ((uint64_t)((flags >> 32) & 0xFFu) << 52);
  r->flags_lo = (uint32_t)flags;
  r->tag = tag;
  r->thread = me->id;
  r->site = site;
  r->free_thread = 0;
  r->link_a = r->link_b = 0;
  h->live_count++;
  size_t used = h->used + bytes;
  h->used = used;
  if (used > h->peak) h->peak = used;
  h->allocs++;
  kpi_tag_stat_t *t = tag_slot(h, tag, true);
  if (t != NULL) {
    t->allocs++;
    uint64_t tb = t->bytes + bytes;
    t->bytes = tb;
    if (tb > t->peak_bytes) t->peak_bytes = tb;
  }
}

/* The record's fixed bits of word 1: priority (40-45) and API (46-51). */
static inline uint64_t record_w1_fixed(kp_priority_t priority,
                                       kp_alloc_api_t api) {
  return ((uint64_t)((unsigned)priority & 0x3Fu) << 40) |
         ((uint64_t)((unsigned)api & 0x3Fu) << 46);
}

/* What kpi_alloc fills after the heap lock is left. */
typedef struct carved {
  uint8_t *p;          /* the data */
  uint8_t *block;      /* header, or the first page */
  uint8_t *end;        /* end of data + canary */
  bool big;
  uint64_t header[2];  /* small blocks: the header to write, as two words
                          (a 16-byte copy from byte stores stalls the
                          store-to-load forwarding) */
} carved_t;

/* Tries one pool through the calling thread's heap; fills @out and returns
 * true on success (no lock held after). A quota request is charged after
 * its block is found, as Windows allocates before it charges: an exhausted
 * pool is STATUS_INSUFFICIENT_RESOURCES even when the quota would fail too. */
static bool heap_carve(kp_system_t *sys, kpi_pool_t *pool,
                       const kpi_request_t *rq, kp_status_t *why,
                       carved_t *out) {
  kpi_thread_t *me = kpi_thread();
  kpi_heap_t *h = heap_at(pool, me->id % KPI_HEAPS);
  if (h == NULL) {
    *why = KP_STATUS_NO_MEMORY;
    return false;
  }
  size_t size = rq->size;
  bool small = block_is_small(size, rq->align);
  size_t pages = small ? 0 : round_up(size, KPI_PAGE_SIZE) / KPI_PAGE_SIZE;
  size_t bytes = small ? small_block_bytes(size) : pages * KPI_PAGE_SIZE;
  // Interned before the lock (the site table has its own).
  uint32_t site = site_id(&rq->site, SITE_ALLOC);
  spin_lock(&h->lock);
  if (h->roomy && h->credit >= bytes) {
    h->credit -= bytes;
  } else {
    spin_unlock(&h->lock);
    if (!kpi_budget_slow(sys, pool, h, bytes, rq->priority)) {
      *why = KP_STATUS_INSUFFICIENT_RESOURCES;
      return false;
    }
    spin_lock(&h->lock);
  }
  // From here @bytes are charged; a failure gives them back as credit
  // (taken back into the pool by the next exact decision).
  uint8_t *block = NULL;
  uint32_t granules = 0;
  kpi_record_t *r = NULL; // the block's released record, if it has one
  uint32_t released_id = 0;
  if (small) {
    size_t data = round_up(size + KPI_MIN_CANARY, KPI_GRANULE);
    granules = (uint32_t)((KPI_HEADER_SIZE + data) / KPI_GRANULE);
    free_list_report_t bad;
    bad.found = false;
    block = small_take(sys, h, granules, rq->align, &r, &released_id, &bad);
    if (bad.found) {
      // The list is dropped; report, then carve again (from another list
      // or the bump page) if the bug check handler lets the driver go on.
      h->credit += bytes;
      spin_unlock(&h->lock);
      kpi_free_list_raise(sys, &bad);
      return heap_carve(sys, pool, rq, why, out);
    }
  } else {
    block = kpi_pages_take(pool, h, pages);
  }
  uint32_t id = 0;
  bool fresh = false;
  if (block != NULL && r == NULL) {
    // A block without a record (bump page, page run): a new record.
    if (h->record_count + 1 > h->bucket_count) kpi_record_hash_grow(h);
    r = record_new(h, &id);
    fresh = true;
  }
  bool quota_failed = block != NULL && r != NULL && rq->quota &&
                      !quota_charge(sys, bytes);
  if (block == NULL || r == NULL || quota_failed) {
    *why = block == NULL      ? KP_STATUS_INSUFFICIENT_RESOURCES
           : r == NULL        ? KP_STATUS_NO_MEMORY
                              : KP_STATUS_QUOTA_EXCEEDED;
    // Otherwise the arena's address space is exhausted (fragmentation):
    // the simulated machine running out of pool, not a host failure.
    if (block != NULL) {
      // The block goes back where it came from; nothing was counted yet.
      // A record taken for it is given back; a released one stays bound.
      if (fresh && r != NULL) record_free(h, r, id);
      if (small)
        small_push(sys, h, block, granules, fresh ? 0 : released_id);
      else
        kpi_pages_give(sys, pool, block, pages);
    }
    h->credit += bytes;
    spin_unlock(&h->lock);
    return false;
  }
  uint32_t pool_type = rq->pool_type <= 0xFFFFu ? rq->pool_type : 0xFFFFu;
  record_live(sys, h, me, r, small ? block + KPI_HEADER_SIZE : block,
              (uint64_t)size | ((uint64_t)pool_type << 41) |
                  ((uint64_t)(rq->quota ? 1 : 0) << 59) |
                  ((uint64_t)(small ? 0 : 1) << 60),
              record_w1_fixed(rq->priority, rq->api), rq->flags, rq->tag,
              site, bytes);
  if (fresh) {
    record_hash_insert(h, r, id);
    h->record_count++;
  }
  out->p = r->address;
  out->block = block;
  out->end = block_data_end(r);
  out->big = !small;
  if (small) {
    uint8_t hdr[16];
    header_expected(h, r, hdr);
    memcpy(&out->header[0], hdr, 8);
    memcpy(&out->header[1], hdr + 8, 8);
  }
  spin_unlock(&h->lock);
  return true;
}

static void pool_note_failure(kpi_pool_t *pool, kp_tag_t tag) {
  kpi_heap_t *h = heap_mine(pool);
  if (h == NULL) {
    kpi_mutex_lock(&pool->lock);
    pool->failures++;
    kpi_mutex_unlock(&pool->lock);
    return;
  }
  spin_lock(&h->lock);
  h->failures++;
  kpi_tag_stat_t *t = tag_slot(h, tag, true);
  if (t != NULL) t->failures++;
  spin_unlock(&h->lock);
}

void *kpi_alloc(kp_system_t *sys, const kpi_request_t *rq, kp_status_t *why) {
  kp_status_t dummy;
  if (why == NULL) why = &dummy;
  *why = KP_STATUS_SUCCESS;
  // Any API's plain small request tries the one-pass path first.
  if (rq->align == KPI_GRANULE && !rq->quota && rq->node == KPI_NODE_CURRENT &&
      rq->pool_type <= 0xFFFFu && (unsigned)rq->api < 64u &&
      (unsigned)rq->priority < 64u) {
    void *p = kpi_alloc_small_fast(
        sys,
        KPI_FAST_MODE(rq->kind, rq->pool_type, rq->api, rq->priority, rq->zero,
                      rq->tag),
        rq->flags, rq->size, &rq->site, NULL);
    if (p != NULL) return p;
  }
  kp_irql_t limit = rq->kind == KP_POOL_PAGED ? KP_APC_LEVEL : KP_DISPATCH_LEVEL;
  if (kpi_irql() > limit &&
      !kpi_pool_irql_ok(sys, rq->kind, rq->pool_type, false, rq->size,
                        rq->site)) {
    *why = KPI_STATUS_BUGCHECKED;
    return NULL;
  }
  if (atomic_load_explicit(&sys->alloc_hooks, memory_order_acquire) != 0) {
    void *result = NULL;
    if (kpi_modules_alloc(sys, rq, &result, why)) return result;
  }
  uint32_t node = 0;
  if (rq->kind == KP_POOL_NONPAGED) {
    if (rq->node != KPI_NODE_CURRENT)
      node = rq->node;
    else if (sys->cfg.numa_nodes > 1)
      node = kp_thread_node(sys); // one node: always 0, skip the call
  }
  if (node >= sys->cfg.numa_nodes) {
    // A node that does not exist: a strict request fails, any other one is
    // served from the calling thread's node.
    if (rq->node_strict) {
      *why = KP_STATUS_INSUFFICIENT_RESOURCES;
      return NULL;
    }
    node = kp_thread_node(sys);
  }
  if (rq->size > POOL_MAX_REQUEST) {
    // No pool can hold it (budgets are at most 2^40 bytes). Failing here,
    // as pool exhaustion, also keeps the rounding below from overflowing
    // for sizes near SIZE_MAX.
    *why = KP_STATUS_INSUFFICIENT_RESOURCES;
    kpi_pool_t *blame = kpi_pool_for(sys, rq->kind, node < sys->cfg.numa_nodes ? node : 0);
    if (blame != NULL) pool_note_failure(blame, rq->tag);
    return NULL;
  }

  carved_t c;
  c.header[0] = c.header[1] = 0;
  bool ok = false;
  kpi_pool_t *pool = NULL;
  uint32_t tries = rq->kind == KP_POOL_NONPAGED && !rq->node_strict
                       ? sys->cfg.numa_nodes
                       : 1;
  kp_status_t first_why = KP_STATUS_INSUFFICIENT_RESOURCES;
  for (uint32_t i = 0; i < tries && !ok; i++) {
    uint32_t n = (node + i) % sys->cfg.numa_nodes;
    pool = kpi_pool_for(sys, rq->kind, rq->kind == KP_POOL_PAGED ? 0 : n);
    if (pool == NULL) {
      first_why = KP_STATUS_INVALID_PARAMETER;
      break;
    }
    ok = heap_carve(sys, pool, rq, why, &c);
    if (i == 0 && !ok) first_why = *why;
    // A quota failure is final: the block was found, the charge failed.
    if (!ok && *why == KP_STATUS_QUOTA_EXCEEDED) {
      first_why = *why;
      break;
    }
  }
  if (!ok) {
    *why = first_why;
    kpi_pool_t *blame = kpi_pool_for(sys, rq->kind, node < sys->cfg.numa_nodes ? node : 0);
    if (blame != NULL) pool_note_failure(blame, rq->tag);
    return NULL;
  }

  // The block is ours alone now: fill it without the lock.
  uint8_t *p = c.p;
  if (kpi_san_on(sys)) {
    // Open the whole block for the fills; Valgrind's chunk is declared
    // first because declaring it marks the bytes undefined.
    kpi_san_unpoison(sys, c.block, (size_t)(c.end - c.block));
    kpi_san_pool_alloc(sys, pool, p, rq->size);
  }
  if (!c.big) {
    memcpy(c.block, &c.header[0], 8);
    memcpy(c.block + 8, &c.header[1], 8);
  }
  memset(p, rq->zero ? 0 : sys->cfg.uninit_fill, rq->size);
  memset(p + rq->size, sys->cfg.canary_fill, (size_t)(c.end - (p + rq->size)));
  if (kpi_san_on(sys)) {
    // Header and canary are kpool's (live_close without the record).
    if (!c.big) kpi_san_poison(sys, c.block, KPI_HEADER_SIZE);
    kpi_san_poison(sys, p + rq->size, (size_t)(c.end - (p + rq->size)));
  }
  return p;
}

/* The common small allocation in one pass (see kp_mm.h). Every condition
 * that could make the general path behave differently sends the request
 * there instead (through @general, or back to the caller): raised IRQL, a
 * module's allocation hook (special pool, fault injection), several NUMA
 * nodes, sanitizer poisoning, a size that is not a small block, a heap not
 * created yet, no credit, no free block of this size that kept its
 * record (the bump page, page runs and new records are the general
 * path's). Nothing is changed before the last of those checks but the
 * call site's interning. The record, counters and header are exactly what
 * heap_carve and kpi_alloc write for the same request. */
void *kpi_alloc_small_fast(kp_system_t *sys, uint64_t mode,
                           kp_pool_flags_t flags, size_t size,
                           const kp_site_t *at, kpi_alloc_general_t general) {
  kp_tag_t tag = (kp_tag_t)(mode >> 32);
  kpi_thread_t *me = kpi_thread();
  kp_pool_kind_t kind = (kp_pool_kind_t)((mode >> 29) & 1u);
  kp_irql_t limit = kind == KP_POOL_PAGED ? KP_APC_LEVEL : KP_DISPATCH_LEVEL;
  if (me->irql > limit || size - 1 >= POOL_FAST_MAX || sys->cfg.numa_nodes != 1 ||
      atomic_load_explicit(&sys->alloc_hooks, memory_order_acquire) != 0 ||
      kpi_san_on(sys))
    goto decline;
  kpi_pool_t *pool = &sys->pools[kind == KP_POOL_PAGED ? 0 : 1];
  kpi_heap_t *h =
      atomic_load_explicit(&pool->heaps[me->id % KPI_HEAPS], memory_order_acquire);
  if (h == NULL) goto decline;
  size_t bytes = KPI_HEADER_SIZE + round_up(size, KPI_GRANULE);
  size_t span = round_up(size + KPI_MIN_CANARY, KPI_GRANULE); // data + canary
  uint32_t granules = (uint32_t)((KPI_HEADER_SIZE + span) / KPI_GRANULE);
  uint32_t site = site_id(at, SITE_ALLOC);
  spin_lock(&h->lock);
  kpi_free_block_t *f = h->small_free[granules];
  // A block with its released record (no slot to take, no hash insert),
  // whose free-list entry is intact: an overwritten one is the general
  // path's to report.
  if (f == NULL || f->rec_id == 0 || !free_node_intact(h, f, granules) ||
      !h->roomy || h->credit < bytes) {
    spin_unlock(&h->lock);
    goto decline;
  }
  kpi_record_t *r = rec_at(h, f->rec_id);
  h->credit -= bytes;
  h->small_free[granules] = f->next;
  uint8_t *block = (uint8_t *)(void *)f;
  uint8_t *p = block + KPI_HEADER_SIZE;
  // Priority and API lie in @mode as in the record's word 1.
  record_live(sys, h, me, r, p,
              (uint64_t)size | ((mode & 0xFFFFu) << 41),
              ((mode >> 16) & 0xFFFu) << 40, flags, tag, site, bytes);
  spin_unlock(&h->lock);
  uint64_t hw[2];
  header_words(pool, granules, false, tag, p, hw);
  memcpy(block, hw, 16);
  span_fill(p, size, (mode >> 28) & 1u ? 0 : sys->cfg.uninit_fill);
  span_fill(p + size, span - size, sys->cfg.canary_fill);
  return p;
decline:
  return general != NULL ? general(sys, flags, size, tag, at) : NULL;
}

/* ---------------------------------------------------------------------------
 * Free.
 * ------------------------------------------------------------------------- */

/* Returns a quarantined block's memory to the arena (heap locked): a page
 * run to the page map, a small block to its free list with its record. */
static void block_release(const kp_system_t *sys, kpi_heap_t *h,
                          kpi_record_t *r, uint32_t id) {
  if (rec_big(r)) {
    kpi_pages_give(sys, h->pool, r->address, rec_pages(r));
    record_hash_remove(h, r);
    h->record_count--;
    record_free(h, r, id);
    return;
  }
  // A small block keeps its record, bound to it on the free list.
  rec_set_state(r, KPI_BLOCK_RELEASED);
  small_push(sys, h, rec_block(r), rec_granules(r), id);
}

/* Puts freed record @r (slot @id, @bytes counted) at the tail of the
 * quarantine FIFO (heap locked). */
static inline void quarantine_append(kpi_heap_t *h, kpi_record_t *r,
                                     uint32_t id, size_t bytes) {
  r->link_a = 0;
  if (h->q_tail != NULL)
    h->q_tail->link_a = id;
  else
    h->q_head = id;
  h->q_tail = r;
  h->q_count++;
  h->q_bytes += bytes;
}

/* Drains the quarantine down to its limits (heap locked). Stops at the
 * first damaged block and reports it; that block is not reused. */
static void quarantine_drain(kp_system_t *sys, kpi_heap_t *h,
                             poison_report_t *rep) {
  while (h->q_head != 0 &&
         (h->q_count > sys->cfg.quarantine_blocks ||
          h->q_bytes > sys->cfg.quarantine_bytes)) {
    uint32_t id = h->q_head;
    kpi_record_t *r = rec_at(h, id);
    h->q_head = r->link_a;
    if (h->q_head == 0) h->q_tail = NULL;
    h->q_count--;
    h->q_bytes -= rec_bytes(r);
    quarantine_open(sys, r);
    const uint8_t *bad = poison_damage(r, sys->cfg.free_fill);
    uint8_t value = bad != NULL ? *bad : 0;
    quarantine_close(sys, r);
    if (bad != NULL && !rep->damaged) {
      rep->damaged = true;
      kpi_record_info(h, r, &rep->info);
      rep->free_site = kpi_site_get(r->link_b);
      rep->free_thread = r->free_thread;
      rep->where = (uintptr_t)bad;
      rep->value = value;
      // Keep the damaged block out of circulation: its record goes, its
      // memory stays marked in use so the damage cannot spread.
      record_hash_remove(h, r);
      h->record_count--;
      record_free(h, r, id);
      return;
    }
    block_release(sys, h, r, id);
  }
}

/* quarantine_drain for the free fast path (no sanitizer): the oldest small
 * blocks whose poison is intact go back to their free lists with their
 * records, each field read once; a page run, or damage, is left to
 * quarantine_drain, which releases or reports it the general way. */
static inline void drain_fast(kp_system_t *sys, kpi_heap_t *h,
                              poison_report_t *rep) {
  const uint32_t max_blocks = sys->cfg.quarantine_blocks;
  const size_t max_bytes = sys->cfg.quarantine_bytes;
  const uint8_t fill = sys->cfg.free_fill;
  uint32_t id;
  while ((id = h->q_head) != 0 &&
         (h->q_count > max_blocks || h->q_bytes > max_bytes)) {
    kpi_record_t *r = rec_at(h, id);
    uint64_t w0 = r->w0;
    uint8_t *data = r->address;
    size_t size = (size_t)(w0 & REC_SIZE_MASK);
    size_t span = round_up(size + KPI_MIN_CANARY, KPI_GRANULE);
    if (rec_big(r) || !span_is(data, span, fill)) {
      quarantine_drain(sys, h, rep);
      return;
    }
    uint32_t next = r->link_a;
    h->q_head = next;
    if (next == 0) h->q_tail = NULL;
    h->q_count--;
    h->q_bytes -= KPI_HEADER_SIZE + round_up(size ? size : 1, KPI_GRANULE);
    r->w0 = (w0 & ~(UINT64_C(3) << 57)) | ((uint64_t)KPI_BLOCK_RELEASED << 57);
    uint32_t granules = (uint32_t)((KPI_HEADER_SIZE + span) / KPI_GRANULE);
    kpi_free_block_t *f = (kpi_free_block_t *)(void *)(data - KPI_HEADER_SIZE);
    free_node_write(f, granules, h->small_free[granules], id);
    h->small_free[granules] = f;
  }
}

/* Validates a free (heap locked). Fills @fc (fc->info only for a rejected
 * free, or when @want_info: copying the record costs on every free);
 * returns the live record when the free may proceed. */
static kpi_record_t *free_validate(kp_system_t *sys, kpi_heap_t *h, void *p,
                                   kp_tag_t tag, bool check_tag,
                                   free_check_t *fc, bool want_info,
                                   uint32_t *id_out) {
  kpi_record_t *r = record_find(h, p, id_out);
  if (r == NULL) {
    kpi_record_t *c = kpi_record_containing(h, p, true);
    fc->verdict = c != NULL ? FREE_INTERIOR : FREE_NOT_A_BLOCK;
    if (c != NULL) kpi_record_info(h, c, &fc->info);
    return NULL;
  }
  bool live = rec_state(r) == KPI_BLOCK_LIVE;
  bool mismatch = check_tag && tag != 0 && (tag & 0x7FFFFFFFu) != r->tag;
  if (want_info || !live || mismatch) kpi_record_info(h, r, &fc->info);
  if (!live) {
    fc->verdict = FREE_DOUBLE;
    fc->free_site = kpi_site_get(r->link_b);
    fc->free_thread = r->free_thread;
    if (!rec_big(r)) {
      kpi_san_unpoison(sys, rec_block(r), KPI_HEADER_SIZE);
      memcpy(fc->header, rec_block(r), 16);
      kpi_san_poison(sys, rec_block(r), KPI_HEADER_SIZE);
    } else {
      memset(fc->header, 0, sizeof fc->header); // big blocks have no header
    }
    fc->big = rec_big(r);
    return NULL;
  }
  if (mismatch) {
    fc->verdict = FREE_TAG_MISMATCH;
    return NULL;
  }
  live_open(sys, r);
  fc->verdict = FREE_OK;
  const uint8_t *bad = NULL;
  if (!header_intact(h, r)) {
    fc->verdict = FREE_HEADER;
    memcpy(fc->header, rec_block(r), 16);
  } else if ((bad = canary_damage(r, sys->cfg.canary_fill)) != NULL) {
    fc->verdict = FREE_CANARY;
    fc->where = (uintptr_t)bad;
    fc->value = *bad;
  }
  live_close(sys, r);
  if (fc->verdict != FREE_OK) {
    if (!want_info) kpi_record_info(h, r, &fc->info);
    return NULL;
  }
  return r;
}

/* The common free in one pass: a live small block of the calling system,
 * the right tag, header and canary intact, IRQL fine, no module wanting to
 * see the block first, no sanitizer poisoning. True when done (the
 * quarantine drain may have raised 0xC1 for an older block); false, with
 * nothing changed, when the general path must decide and report. The state
 * it leaves is exactly the general path's for the same free. */
static bool free_fast(kp_system_t *sys, kpi_pool_t *pool, void *p,
                      kp_tag_t tag, bool check_tag, const kp_site_t *at) {
  kpi_thread_t *me = kpi_thread();
  kp_irql_t max_irql = pool->kind == KP_POOL_PAGED ? KP_APC_LEVEL : KP_DISPATCH_LEVEL;
  if (me->irql > max_irql || kpi_san_on(sys) ||
      (atomic_load_explicit(&sys->before_free_hooks, memory_order_relaxed) != 0 &&
       kpi_modules_before_free_wanted(sys)))
    return false;
  kpi_heap_t *h = heap_owning(pool, p);
  if (h == NULL) return false;
  uint32_t free_site = site_id(at, SITE_FREE);
  poison_report_t rep;
  rep.damaged = false;
  spin_lock(&h->lock);
  uint32_t id = 0;
  kpi_record_t *r = record_find_any(h, p, &id);
  if (r == NULL) goto decline;
  // The record's words read once: the stores to the heap's counters below
  // would otherwise make the compiler read them again.
  uint64_t w0 = r->w0;
  kp_tag_t rtag = r->tag;
  // Live (state 1) and not a page run (bit 60 = bit 3 after the shift).
  if (((w0 >> 57) & 0xBu) != KPI_BLOCK_LIVE ||
      (check_tag && tag != 0 && (tag & 0x7FFFFFFFu) != rtag))
    goto decline;
  bool quota = ((w0 >> 59) & 1u) != 0;
  size_t size = (size_t)(w0 & REC_SIZE_MASK);
  uint8_t *data = p;
  size_t span = round_up(size + KPI_MIN_CANARY, KPI_GRANULE); // data + canary
  uint32_t granules = (uint32_t)((KPI_HEADER_SIZE + span) / KPI_GRANULE);
  // The header compared as two words.
  uint64_t want[2], have[2];
  header_words(pool, granules, quota, rtag, data, want);
  memcpy(have, data - KPI_HEADER_SIZE, 16);
  if (((want[0] ^ have[0]) | (want[1] ^ have[1])) != 0 ||
      !span_is(data + size, span - size, sys->cfg.canary_fill))
    goto decline;
  r->w0 = (w0 & ~(UINT64_C(3) << 57)) | ((uint64_t)KPI_BLOCK_QUARANTINED << 57);
  r->link_b = free_site;
  r->free_thread = me->id;
  size_t bytes = KPI_HEADER_SIZE + round_up(size ? size : 1, KPI_GRANULE);
  h->live_count--;
  h->used -= bytes;
  h->credit += bytes;
  h->frees++;
  kpi_tag_stat_t *t = tag_slot(h, rtag, false);
  if (t != NULL) {
    t->frees++;
    t->bytes -= bytes;
  }
  if (quota) atomic_fetch_sub(&sys->quota_used, bytes);
  span_fill(data, span, sys->cfg.free_fill);
  quarantine_append(h, r, id, bytes);
  drain_fast(sys, h, &rep);
  spin_unlock(&h->lock);
  if (rep.damaged) kpi_poison_raise(sys, &rep);
  return true;
decline:
  spin_unlock(&h->lock);
  return false;
}

/* kpi_free's general path: every free the fast path declined. Out of line,
 * so that the fast path's frame stays small. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void free_general(kp_system_t *sys, kpi_pool_t *pool, void *p,
                         kp_tag_t tag, bool check_tag, const kp_site_t *at);

void kpi_free(kp_system_t *sys, void *p, kp_tag_t tag, bool check_tag,
              const kp_site_t *at) {
  kpi_pool_t *pool = kpi_pool_containing(sys, p);
  if (pool != NULL && free_fast(sys, pool, p, tag, check_tag, at)) return;
  free_general(sys, pool, p, tag, check_tag, at);
}

static void free_general(kp_system_t *sys, kpi_pool_t *pool, void *p,
                         kp_tag_t tag, bool check_tag, const kp_site_t *at) {
  // Only the verdict needs a start value: each verdict sets what its
  // report reads (memset of the whole struct is measurable on this path).
  free_check_t fc;
  fc.verdict = FREE_OK;
  if (pool == NULL && atomic_load(&sys->foreign_hooks) != 0 &&
      kpi_modules_free(sys, p, tag, check_tag, *at))
    return;
  if (pool == NULL) {
    fc.verdict = FREE_NOT_IN_POOL;
    kpi_free_reject(sys, p, tag, &fc, *at);
    return;
  }
  // The heap that carved the block keeps its record, whichever thread
  // frees it. A page no heap owns holds no block.
  kpi_heap_t *h = heap_owning(pool, p);
  if (h == NULL) {
    fc.verdict = FREE_NOT_A_BLOCK;
    kpi_free_reject(sys, p, tag, &fc, *at);
    return;
  }
  // Modules' before_free checks (active lookaside list, set timer or queued
  // DPC, work item, lock in the block) only while one of them has such an
  // object: otherwise the free stays on its one-lock path.
  bool hooks = atomic_load_explicit(&sys->before_free_hooks, memory_order_relaxed) != 0 &&
               kpi_modules_before_free_wanted(sys);
  kp_irql_t max_irql = pool->kind == KP_POOL_PAGED ? KP_APC_LEVEL : KP_DISPATCH_LEVEL;
  kpi_record_t *r = NULL;
  // The common case (IRQL fine, no module wants to see the block first)
  // validates and frees under one lock; otherwise validate, run the checks
  // that may bug check without the lock, then validate again and free.
  if (hooks || kpi_irql() > max_irql) {
    // kpool's own read of the block (header, canary) at raised IRQL must
    // not fault into 0xD1 under force IRQL checking while the heap lock is
    // held: the IRQL rule below is the bug check this free deserves.
    kpi_force_irql_internal_enter();
    spin_lock(&h->lock);
    r = free_validate(sys, h, p, tag, check_tag, &fc, true, NULL);
    spin_unlock(&h->lock);
    kpi_force_irql_internal_leave();
    if (r == NULL) {
      kpi_free_reject(sys, p, tag, &fc, *at);
      return;
    }
    if (!kpi_pool_irql_ok(sys, fc.info.pool, fc.info.pool_type, true,
                          (uint64_t)(uintptr_t)p, *at))
      return;
    if (hooks) {
      uint32_t before = kp_bugcheck_count(sys);
      kpi_modules_before_free(sys, &fc.info);
      // A hook that bug checked and whose handler returned: abandon it.
      if (kp_bugcheck_count(sys) != before) return;
    }
  }

  poison_report_t rep;
  rep.damaged = false;
  uint32_t me = kpi_thread()->id;
  uint32_t free_site = site_id(at, SITE_FREE);
  spin_lock(&h->lock);
  // Validate again: another thread may have freed the block meanwhile.
  uint32_t id = 0;
  r = free_validate(sys, h, p, tag, check_tag, &fc, false, &id);
  if (r != NULL) {
    h->live_count--;
    rec_set_state(r, KPI_BLOCK_QUARANTINED);
    r->link_b = free_site;
    r->free_thread = me;
    size_t bytes = rec_bytes(r);
    h->used -= bytes;
    // The bytes stay reserved in the pool, as this heap's credit.
    h->credit += bytes;
    h->frees++;
    kpi_tag_stat_t *t = tag_slot(h, r->tag, false);
    if (t != NULL) {
      t->frees++;
      t->bytes -= bytes;
    }
    if (rec_quota(r)) atomic_fetch_sub(&sys->quota_used, bytes);
    size_t span = (size_t)(block_data_end(r) - r->address);
    quarantine_open(sys, r);
    memset(r->address, sys->cfg.free_fill, span);
    // From here on a touch by the driver is the tool's report too.
    kpi_san_pool_free(sys, pool, r->address, span);
    quarantine_close(sys, r);
    quarantine_append(h, r, id, bytes);
    quarantine_drain(sys, h, &rep);
  }
  spin_unlock(&h->lock);
  if (r == NULL) {
    kpi_free_reject(sys, p, tag, &fc, *at);
    return;
  }
  if (rep.damaged) kpi_poison_raise(sys, &rep);
}
