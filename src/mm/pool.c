/*
 * pool.c — page-owning arenas, per-processor heaps, blocks, headers,
 * canaries, out-of-band records, quarantine, per-tag counters, and the free
 * path's checks.
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

/* Header word 2 is the block address mixed with this constant, so that a
 * header copied from elsewhere is recognised as corrupt. */
#define POOL_HEADER_COOKIE 0x6B706F6F6C686472ull /* "kpoolhdr" */
#define POOL_RESERVE_FACTOR 2u /* address space per budget byte */
/* Larger than any pool's budget can be (kp_config_t limits budgets to 2^40). */
#define POOL_MAX_REQUEST ((size_t)1 << 40)
/* Budget a heap reserves at a time while the pool is roomy. */
#define POOL_CREDIT_CHUNK ((size_t)64 << 10)
/* Sequence numbers a thread takes from the system at a time. */
#define POOL_SEQ_BATCH 64u
/* Initial record hash buckets of a heap. */
#define POOL_HEAP_BUCKETS 256u
/* Initial tag slots of a heap. */
#define POOL_HEAP_TAGS 32u

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* ---------------------------------------------------------------------------
 * Spin locks (heaps, page map). Critical sections are a few hundred
 * instructions; a waiter yields after a short spin.
 * ------------------------------------------------------------------------- */
static void spin_init(kpi_spin_t *l) { atomic_flag_clear(&l->busy); }

static void spin_lock(kpi_spin_t *l) {
  unsigned spins = 0;
  while (atomic_flag_test_and_set_explicit(&l->busy, memory_order_acquire)) {
    if (++spins > 64) {
      kpi_os_yield();
      spins = 0;
    }
  }
}

static void spin_unlock(kpi_spin_t *l) {
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

/* ---------------------------------------------------------------------------
 * Interned sites: every distinct (file, line, caller) gets a number once per
 * process, so a record holds 4 bytes instead of 24. Numbers index chunks
 * that never move (read without a lock); the lookup table is under a spin
 * lock, with a small per-thread cache in front so that a loop's call site
 * costs a hash and a compare.
 * ------------------------------------------------------------------------- */
#define SITE_CHUNK_SHIFT 10u
#define SITE_CHUNK (1u << SITE_CHUNK_SHIFT)
#define SITE_MAX_CHUNKS 4096u
#define SITE_CACHE 32u

static _Atomic(kp_site_t *) site_chunks[SITE_MAX_CHUNKS];
static uint32_t site_count;       /* numbers handed out, under site_lock */
static uint32_t *site_table;      /* open addressing of numbers, under site_lock */
static size_t site_table_size;
static kpi_spin_t site_lock;

typedef struct site_cached {
  kp_site_t site;
  uint32_t id;
} site_cached_t;
static _Thread_local site_cached_t site_cache[SITE_CACHE];
/* The thread's two most recent sites, asked before the hash: a loop's
 * allocation and free sites alternate, and a hit then costs no hash. */
static _Thread_local site_cached_t site_recent[2];
static _Thread_local unsigned site_recent_next;
static uint32_t site_id_cached(const kp_site_t *s, site_cached_t *m);

static void spin_lock(kpi_spin_t *l);
static void spin_unlock(kpi_spin_t *l);

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

/* The site of number @id (0: no site). */
static kp_site_t site_get(uint32_t id) {
  if (id == 0) return KP_NOSITE;
  uint32_t i = id - 1;
  kp_site_t *chunk = atomic_load_explicit(&site_chunks[i >> SITE_CHUNK_SHIFT], memory_order_acquire);
  return chunk != NULL ? chunk[i & (SITE_CHUNK - 1)] : KP_NOSITE;
}

/* Under site_lock: the number of @s, adding it; 0 when out of memory. */
static uint32_t site_add_locked(const kp_site_t *s, size_t h) {
  if (site_table_size == 0 || (site_count + 1) * 2 > site_table_size) {
    size_t n = site_table_size ? site_table_size * 2 : 1024;
    uint32_t *t = calloc(n, sizeof *t);
    if (t == NULL) return 0;
    for (size_t k = 0; k < site_table_size; k++) {
      uint32_t id = site_table[k];
      if (id == 0) continue;
      kp_site_t old = site_get(id);
      size_t j = site_hash(&old) & (n - 1);
      while (t[j] != 0) j = (j + 1) & (n - 1);
      t[j] = id;
    }
    free(site_table);
    site_table = t;
    site_table_size = n;
  }
  size_t j = h & (site_table_size - 1);
  while (site_table[j] != 0) {
    kp_site_t have = site_get(site_table[j]);
    if (site_same(&have, s)) return site_table[j];
    j = (j + 1) & (site_table_size - 1);
  }
  uint32_t i = site_count;
  if ((i >> SITE_CHUNK_SHIFT) >= SITE_MAX_CHUNKS) return 0;
  kp_site_t *chunk = atomic_load_explicit(&site_chunks[i >> SITE_CHUNK_SHIFT], memory_order_relaxed);
  if (chunk == NULL) {
    chunk = calloc(SITE_CHUNK, sizeof *chunk);
    if (chunk == NULL) return 0;
    atomic_store_explicit(&site_chunks[i >> SITE_CHUNK_SHIFT], chunk, memory_order_release);
  }
  chunk[i & (SITE_CHUNK - 1)] = *s;
  // The slot is written before the number is published to other threads
  // (they get it through a record, under the heap lock that publishes it).
  atomic_thread_fence(memory_order_release);
  site_count = i + 1;
  site_table[j] = i + 1;
  return i + 1;
}

/* The number of @s (0 for "no site", or when out of memory: the report
 * then says "unknown site"). */
static uint32_t site_id_slow(const kp_site_t *s, size_t h, site_cached_t *c);
static inline uint32_t site_id(const kp_site_t *s) {
  // "No site" is never cached (site_id_slow answers 0 for it), so the
  // caches are asked first.
  site_cached_t *m = site_recent;
  const char *file = s->file;
  uint32_t line = s->line;
  for (int k = 0; k < 2; k++)
    if (m[k].site.line == line && m[k].site.file == file &&
        m[k].site.caller == s->caller && m[k].site.outer == s->outer &&
        m[k].id != 0)
      return m[k].id;
  return site_id_cached(s, m);
}

/* Behind the two recent sites: the hashed cache, then the table. */
static uint32_t site_id_cached(const kp_site_t *s, site_cached_t *m) {
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
    id = site_id_slow(s, h, c);
  if (id != 0) {
    // Replace the older of the two (a loop's two sites then both stay).
    unsigned k = m[0].id == 0 ? 0u : m[1].id == 0 ? 1u : site_recent_next;
    site_recent_next = k ^ 1u;
    m[k].site = *s;
    m[k].id = id;
  }
  return id;
}

/* A site missing from the thread's cache: the table, then the cache. */
static uint32_t site_id_slow(const kp_site_t *s, size_t h, site_cached_t *c) {
  if (s->file == NULL && s->caller == NULL && s->outer == NULL && s->line == 0)
    return 0;
  spin_lock(&site_lock);
  uint32_t id = site_add_locked(s, h);
  spin_unlock(&site_lock);
  if (id != 0) {
    c[1] = c[0];
    c[0].site = *s;
    c[0].id = id;
  }
  return id;
}

/* ---------------------------------------------------------------------------
 * Arena lifetime.
 *
 * A fuzzer or a test suite creates and destroys a system per input, so an
 * arena's address-space reservation, page map, heaps (records, hash, tag
 * tables) outlive the system that used them: kpi_pool_fini scrubs what the
 * run touched (page-map words and page owners below the high-water mark,
 * the hash buckets of the remaining records, used tag slots, free lists)
 * and parks the arena in a small process-wide cache; kpi_pool_init takes a
 * parked arena of the same reservation size before asking the host for a
 * new one. Memory is not cleared: every block is filled when it is handed
 * out, and a long run's pages are given back to the host (discarded) when
 * the arena is parked.
 * ------------------------------------------------------------------------- */
/* Arenas kept for reuse across systems in the process. */
#define POOL_CACHE_MAX 8u
/* Pages above which a parked arena's memory is given back to the host. */
#define POOL_CACHE_DISCARD_PAGES 256u
/* Spare records a parked heap keeps (the rest are freed). */
#define POOL_CACHE_SPARE_MAX 4096u

typedef struct pool_cached {
  uint8_t *base;
  size_t pages;
  bool exec;       /* asked for executable pages */
  bool executable; /* got them */
  uint64_t *page_map;
  _Atomic(uint8_t) *page_owner;
  kpi_heap_t *heaps[KPI_HEAPS];
} pool_cached_t;

static pool_cached_t pool_cache[POOL_CACHE_MAX];
static unsigned pool_cache_count;
static kpi_spin_t pool_cache_lock;

/* Takes a parked arena of @pages pages into @pool; false when none. */
static bool pool_cache_take(kpi_pool_t *pool, size_t pages, bool exec) {
  bool found = false;
  spin_lock(&pool_cache_lock);
  for (unsigned i = pool_cache_count; i-- > 0;) {
    pool_cached_t *c = &pool_cache[i];
    if (c->pages != pages || c->exec != exec) continue;
    pool->base = c->base;
    pool->pages = c->pages;
    pool->executable = c->executable;
    pool->page_map = c->page_map;
    pool->page_owner = c->page_owner;
    for (uint32_t h = 0; h < KPI_HEAPS; h++) {
      if (c->heaps[h] != NULL) c->heaps[h]->pool = pool;
      atomic_init(&pool->heaps[h], c->heaps[h]);
    }
    pool_cache[i] = pool_cache[--pool_cache_count];
    found = true;
    break;
  }
  spin_unlock(&pool_cache_lock);
  return found;
}

/* Parks @pool's scrubbed arena; false when the cache is full. */
static bool pool_cache_put(kpi_pool_t *pool, bool exec) {
  bool put = false;
  spin_lock(&pool_cache_lock);
  if (pool_cache_count < POOL_CACHE_MAX) {
    pool_cached_t *c = &pool_cache[pool_cache_count++];
    c->base = pool->base;
    c->pages = pool->pages;
    c->exec = exec;
    c->executable = pool->executable;
    c->page_map = pool->page_map;
    c->page_owner = pool->page_owner;
    for (uint32_t h = 0; h < KPI_HEAPS; h++)
      c->heaps[h] = atomic_load_explicit(&pool->heaps[h], memory_order_relaxed);
    put = true;
  }
  spin_unlock(&pool_cache_lock);
  return put;
}

bool kpi_pool_init(kpi_pool_t *pool, kp_pool_kind_t kind, uint32_t node,
                   size_t budget) {
  memset(pool, 0, sizeof *pool);
  kpi_mutex_init(&pool->lock);
  spin_init(&pool->page_lock);
  for (uint32_t h = 0; h < KPI_HEAPS; h++) atomic_init(&pool->heaps[h], NULL);
  pool->kind = kind;
  pool->node = node;
  pool->budget = budget;
  pool->available = budget;
  size_t host = kpi_os_page_size();
  size_t align = host > 65536 ? host : 65536;
  size_t reserve = round_up(budget * POOL_RESERVE_FACTOR, align);
  // Non-paged pool holds the executable pool types (NonPagedPool,
  // NonPagedPoolExecute, POOL_FLAG_NON_PAGED_EXECUTE): executable where
  // the host allows writable+executable pages.
  bool exec = kind == KP_POOL_NONPAGED;
  if (pool_cache_take(pool, reserve / KPI_PAGE_SIZE, exec)) {
    kpi_san_pool_create(pool);
    return true;
  }
  pool->base = kpi_os_reserve(reserve, align);
  if (pool->base == NULL) return false;
  pool->pages = reserve / KPI_PAGE_SIZE;
  pool->executable = exec;
  kp_status_t st = KP_STATUS_UNSUCCESSFUL;
  if (exec) st = kpi_os_protect(pool->base, reserve, KPI_PROT_READWRITE_EXEC);
  if (st != KP_STATUS_SUCCESS) {
    pool->executable = false;
    st = kpi_os_protect(pool->base, reserve, KPI_PROT_READWRITE);
  }
  if (st != KP_STATUS_SUCCESS) {
    kpi_os_release(pool->base, reserve);
    pool->base = NULL;
    return false;
  }
  pool->page_map = calloc((pool->pages + 63) / 64, sizeof(uint64_t));
  pool->page_owner = calloc(pool->pages, sizeof *pool->page_owner);
  if (pool->page_map == NULL || pool->page_owner == NULL) {
    kpi_pool_fini(pool);
    return false;
  }
  kpi_san_pool_create(pool);
  return true;
}


static void heap_free_all(kpi_heap_t *h) {
  for (uint32_t c = 0; c < h->chunk_count; c++) free(h->chunks[c]);
  free(h->chunks);
  free(h->buckets);
  free(h->tags);
  free(h);
}

static size_t hash_addr(const kpi_heap_t *h, uintptr_t a) {
  uint64_t x = (uint64_t)(a >> 4) * 0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 20) & (h->bucket_count - 1);
}

/* Record of slot number @id (1..; heap locked). */
static inline kpi_record_t *rec_at(const kpi_heap_t *h, uint32_t id) {
  uint32_t i = id - 1;
  return &h->chunks[i >> KPI_SLAB_SHIFT][i & (KPI_SLAB - 1)];
}



/* A heap as a new system finds it: no blocks, no counters, no credit. */
static void heap_scrub(kpi_heap_t *h) {
  // Every slot is free again; the chunks stay (up to a bound) for the next
  // system, which hands them out from the start.
  uint32_t keep = POOL_CACHE_SPARE_MAX / KPI_SLAB;
  while (h->chunk_count > keep) free(h->chunks[--h->chunk_count]);
  if (h->slots_used != 0) memset(h->buckets, 0, h->bucket_count * sizeof *h->buckets);
  h->slots_used = 0;
  h->free_slot = 0;
  if (h->tag_count != 0) memset(h->tags, 0, h->tag_slots * sizeof *h->tags);
  h->tag_last = NULL;
  memset(h->small_free, 0, sizeof h->small_free);
  h->tag_count = 0;
  h->credit = 0;
  h->roomy = false;
  h->bump = h->bump_end = NULL;
  h->used = h->peak = 0;
  h->allocs = h->frees = h->failures = 0;
  h->record_count = 0;
  h->live_count = 0;
  h->q_head = h->q_tail = 0;
  h->q_count = 0;
  h->q_bytes = 0;
}

/* Leaves the arena as kpi_pool_init found it fresh (see the banner). */
static void pool_scrub(kpi_pool_t *pool) {
  size_t top = pool->page_top;
  kpi_san_release(pool->base, top * KPI_PAGE_SIZE);
  if (top > POOL_CACHE_DISCARD_PAGES)
    kpi_os_discard(pool->base, round_up(top * KPI_PAGE_SIZE, kpi_os_page_size()));
  memset(pool->page_map, 0, ((top + 63) / 64) * sizeof(uint64_t));
  for (size_t i = 0; i < top; i++)
    atomic_store_explicit(&pool->page_owner[i], 0, memory_order_relaxed);
  for (uint32_t i = 0; i < KPI_HEAPS; i++) {
    kpi_heap_t *h = atomic_load_explicit(&pool->heaps[i], memory_order_relaxed);
    if (h != NULL) heap_scrub(h);
  }
}

void kpi_pool_fini(kpi_pool_t *pool) {
  if (pool->base != NULL) {
    kpi_san_pool_destroy(pool);
    bool exec = pool->kind == KP_POOL_NONPAGED;
    if (!pool->no_cache && pool->page_map != NULL && pool->page_owner != NULL) {
      pool_scrub(pool);
      if (pool_cache_put(pool, exec)) {
        kpi_mutex_destroy(&pool->lock);
        memset(pool, 0, sizeof *pool);
        return;
      }
    }
    // No poison may outlive the mapping: the next one at this address
    // would inherit it.
    kpi_san_release(pool->base, pool->page_top * KPI_PAGE_SIZE);
    kpi_os_release(pool->base, pool->pages * KPI_PAGE_SIZE);
  }
  for (uint32_t i = 0; i < KPI_HEAPS; i++) {
    kpi_heap_t *h = atomic_load_explicit(&pool->heaps[i], memory_order_relaxed);
    if (h != NULL) heap_free_all(h);
  }
  free(pool->page_map);
  free((void *)(uintptr_t)pool->page_owner);
  kpi_mutex_destroy(&pool->lock);
  memset(pool, 0, sizeof *pool);
}

kpi_pool_t *kpi_pool_for(kp_system_t *sys, kp_pool_kind_t kind, uint32_t node) {
  if (kind == KP_POOL_PAGED) return &sys->pools[0];
  if (node >= sys->cfg.numa_nodes) return NULL;
  return &sys->pools[1 + node];
}

kpi_pool_t *kpi_pool_containing(kp_system_t *sys, const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kpi_pool_t *p = &sys->pools[i];
    uintptr_t base = (uintptr_t)p->base;
    if (a >= base && a < base + p->pages * KPI_PAGE_SIZE) return p;
  }
  return NULL;
}

/* ---------------------------------------------------------------------------
 * Heaps.
 * ------------------------------------------------------------------------- */
/* The calling thread's heap in @pool, created on first use; NULL when the
 * host is out of memory. */
static inline kpi_heap_t *heap_at(kpi_pool_t *pool, uint32_t i);
static kpi_heap_t *heap_mine(kpi_pool_t *pool) {
  return heap_at(pool, kpi_thread()->id % KPI_HEAPS);
}

/* The heap owning the page of @p, or NULL (not a page in use). */
static kpi_heap_t *heap_owning(kpi_pool_t *pool, const void *p) {
  size_t page = (size_t)((const uint8_t *)p - pool->base) / KPI_PAGE_SIZE;
  if (page >= pool->pages) return NULL;
  uint8_t o = atomic_load_explicit(&pool->page_owner[page], memory_order_acquire);
  if (o == 0) return NULL;
  return atomic_load_explicit(&pool->heaps[o - 1], memory_order_acquire);
}

/* ---------------------------------------------------------------------------
 * Page runs (bitmap, first fit from a moving hint), under the page lock.
 * ------------------------------------------------------------------------- */
static bool page_used(const kpi_pool_t *pool, size_t i) {
  return (pool->page_map[i / 64] >> (i % 64)) & 1u;
}

static void page_mark(kpi_pool_t *pool, size_t first, size_t n, uint8_t owner) {
  for (size_t i = first; i < first + n; i++) {
    if (owner != 0)
      pool->page_map[i / 64] |= (uint64_t)1 << (i % 64);
    else
      pool->page_map[i / 64] &= ~((uint64_t)1 << (i % 64));
    atomic_store_explicit(&pool->page_owner[i], owner, memory_order_release);
  }
  if (owner != 0)
    pool->pages_in_use += n;
  else
    pool->pages_in_use -= n;
}

/* @n pages for heap @h. */
static uint8_t *pages_take(kpi_pool_t *pool, const kpi_heap_t *h, size_t n) {
  uint8_t *result = NULL;
  spin_lock(&pool->page_lock);
  size_t total = pool->pages;
  size_t start = pool->page_hint < total ? pool->page_hint : 0;
  // Two passes: from the hint to the end, then from 0 to the hint.
  for (int pass = 0; pass < 2 && result == NULL; pass++) {
    size_t lo = pass == 0 ? start : 0;
    size_t hi = pass == 0 ? total : start + n;
    if (hi > total) hi = total;
    size_t run = 0;
    for (size_t i = lo; i < hi; i++) {
      if ((i % 64) == 0 && run == 0 && i + 64 <= hi &&
          pool->page_map[i / 64] == ~(uint64_t)0) {
        i += 63; // whole word used: skip it
        continue;
      }
      if (page_used(pool, i)) {
        run = 0;
        continue;
      }
      if (++run == n) {
        size_t first = i + 1 - n;
        page_mark(pool, first, n, (uint8_t)(h->index + 1));
        pool->page_hint = i + 1;
        if (i + 1 > pool->page_top) pool->page_top = i + 1;
        result = pool->base + first * KPI_PAGE_SIZE;
        break;
      }
    }
  }
  spin_unlock(&pool->page_lock);
  return result;
}

static void pages_give(const kp_system_t *sys, kpi_pool_t *pool, uint8_t *addr,
                       size_t n) {
  kpi_san_poison(sys, addr, n * KPI_PAGE_SIZE);
  size_t first = (size_t)(addr - pool->base) / KPI_PAGE_SIZE;
  spin_lock(&pool->page_lock);
  page_mark(pool, first, n, 0);
  spin_unlock(&pool->page_lock);
}

/* ---------------------------------------------------------------------------
 * Small blocks: exact-size free lists plus a bump page, per heap.
 * ------------------------------------------------------------------------- */
static void small_push(const kp_system_t *sys, kpi_heap_t *h, uint8_t *block,
                       uint32_t granules) {
  kpi_free_block_t *f = (kpi_free_block_t *)(void *)block;
  // Free memory stays poisoned; only kpool's link is written through.
  kpi_san_unpoison(sys, f, sizeof *f);
  f->next = h->small_free[granules];
  kpi_san_poison(sys, f, sizeof *f);
  h->small_free[granules] = f;
}

/* A block of @granules whose data (block + 16) is @align-aligned. */
static uint8_t *small_take(const kp_system_t *sys, kpi_heap_t *h,
                           uint32_t granules, size_t align) {
  kpi_free_block_t **head = &h->small_free[granules];
  if (*head != NULL &&
      (((uintptr_t)*head + KPI_HEADER_SIZE) & (align - 1)) == 0) {
    uint8_t *b = (uint8_t *)*head;
    kpi_san_unpoison(sys, b, sizeof(kpi_free_block_t));
    *head = (*head)->next;
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
        if (pad >= 2) small_push(sys, h, h->bump, (uint32_t)pad);
        h->bump = b + bytes;
        return b;
      }
      // Retire the rest of the bump page into the free lists.
      size_t rest = (size_t)(h->bump_end - h->bump) / KPI_GRANULE;
      if (rest >= 2) small_push(sys, h, h->bump, (uint32_t)rest);
      h->bump = h->bump_end = NULL;
    }
    uint8_t *page = pages_take(h->pool, h, 1);
    if (page == NULL) return NULL;
    // A fresh bump page is free memory until blocks are carved from it.
    kpi_san_poison(sys, page, KPI_PAGE_SIZE);
    h->bump = page;
    h->bump_end = page + KPI_PAGE_SIZE;
  }
  return NULL;
}

/* ---------------------------------------------------------------------------
 * Record table (per heap, heap locked).
 * ------------------------------------------------------------------------- */
static kpi_record_t *record_find(const kpi_heap_t *h, const void *p,
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

static void record_hash_insert(kpi_heap_t *h, kpi_record_t *r, uint32_t id) {
  size_t b = hash_addr(h, (uintptr_t)r->address);
  r->hash_next = h->buckets[b];
  h->buckets[b] = id;
}

static void record_hash_remove(kpi_heap_t *h, kpi_record_t *r) {
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

static void record_hash_grow(kpi_heap_t *h) {
  size_t n = h->bucket_count * 2;
  uint32_t *nb = calloc(n, sizeof *nb);
  if (nb == NULL) return; // keep the longer chains; still correct
  uint32_t *old = h->buckets;
  size_t old_n = h->bucket_count;
  h->buckets = nb;
  h->bucket_count = n;
  for (size_t i = 0; i < old_n; i++) {
    uint32_t id = old[i];
    while (id != 0) {
      kpi_record_t *r = rec_at(h, id);
      uint32_t next = r->hash_next;
      record_hash_insert(h, r, id);
      id = next;
    }
  }
  free(old);
}

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

/* Gives a record's slot back (heap locked; already out of the hash). */
static void record_free(kpi_heap_t *h, kpi_record_t *r, uint32_t id) {
  rec_set_state(r, 0);
  r->link_a = h->free_slot;
  h->free_slot = id;
}

/* Live blocks are not linked: a list would write two more records (the
 * neighbours' lines) on every allocation and free. The rare walks (reports,
 * kp_visit_blocks, kp_verify, interior pointers) scan the slots instead,
 * slot 1 to slots_used, and keep those whose state is live. */
#define FOR_EACH_SLOT(h, id) for (uint32_t id = 1; id <= (h)->slots_used; id++)

/* The live or quarantined record whose block contains @p, if any. Linear:
 * only used on error paths (interior pointers) and by kp_block_query. */
static kpi_record_t *record_containing(const kpi_heap_t *h, const void *p,
                                       bool include_quarantine) {
  uintptr_t a = (uintptr_t)p;
  FOR_EACH_SLOT(h, id) {
    kpi_record_t *r = rec_at(h, id);
    unsigned st = rec_state(r);
    if (st != KPI_BLOCK_LIVE && !(include_quarantine && st == KPI_BLOCK_QUARANTINED))
      continue;
    uintptr_t s = (uintptr_t)r->address;
    size_t n = rec_size(r);
    if (a >= s && a < s + (n ? n : 1)) return r;
  }
  return NULL;
}

/* The kp_block_info_t of @r, rebuilt (heap locked). */
static void record_info(const kpi_heap_t *h, const kpi_record_t *r,
                        kp_block_info_t *out) {
  out->address = r->address;
  out->size = rec_size(r);
  out->block_bytes = rec_bytes(r);
  out->tag = r->tag;
  out->pool = h->pool->kind;
  out->node = h->pool->node;
  out->flags = rec_flags(r);
  out->pool_type = rec_pool_type(r);
  out->priority = (kp_priority_t)((r->w1 >> 40) & 0x3Fu);
  out->api = (kp_alloc_api_t)((r->w1 >> 46) & 0x3Fu);
  out->sequence = rec_sequence(r);
  out->thread = r->thread;
  out->site = site_get(r->site);
  out->quota_charged = rec_quota(r);
}

/* ---------------------------------------------------------------------------
 * Tag table (the pool tracker table), per heap.
 * ------------------------------------------------------------------------- */
static kpi_tag_stat_t *tag_slot_find(kpi_heap_t *h, kp_tag_t tag, bool create);
/* The slot of @tag: the heap's last one when the tag is the same (a loop
 * allocating and freeing one tag skips the hash), else the table's. */
static inline kpi_tag_stat_t *tag_slot(kpi_heap_t *h, kp_tag_t tag, bool create) {
  kpi_tag_stat_t *t = h->tag_last;
  if (t != NULL && t->tag == tag && t->used) return t;
  t = tag_slot_find(h, tag, create);
  if (t != NULL) h->tag_last = t;
  return t;
}

static kpi_tag_stat_t *tag_slot_find(kpi_heap_t *h, kp_tag_t tag, bool create) {
  size_t mask = h->tag_slots - 1;
  size_t i = kpi_tag_hash(tag, mask);
  for (;;) {
    kpi_tag_stat_t *t = &h->tags[i];
    if (t->used && t->tag == tag) return t;
    if (!t->used) break;
    i = (i + 1) & mask;
  }
  if (!create) return NULL;
  if ((h->tag_count + 1) * 2 > h->tag_slots) {
    size_t n = h->tag_slots * 2;
    kpi_tag_stat_t *nt = calloc(n, sizeof *nt);
    if (nt == NULL) return NULL;
    kpi_tag_stat_t *old = h->tags;
    size_t old_n = h->tag_slots;
    h->tags = nt;
    h->tag_slots = n;
    for (size_t k = 0; k < old_n; k++) {
      if (!old[k].used) continue;
      size_t j = kpi_tag_hash(old[k].tag, n - 1);
      while (nt[j].used) j = (j + 1) & (n - 1);
      nt[j] = old[k];
    }
    free(old);
    h->tag_last = NULL;
    return tag_slot_find(h, tag, true);
  }
  kpi_tag_stat_t *t = &h->tags[i];
  memset(t, 0, sizeof *t);
  t->used = 1;
  t->tag = tag;
  h->tag_count++;
  return t;
}

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
  uint32_t type = (uint32_t)(pool->kind + 1) | (quota ? 8u : 0u);
  uint32_t w0 = ((uint32_t)(pool->node & 0xFF) << 8) | ((granules & 0xFFu) << 16) |
                ((type & 0xFFu) << 24);
  out[0] = 0;
  memcpy(&out[0], &w0, 4);
  memcpy((uint8_t *)&out[0] + 4, &tag, 4);
  out[1] = (uint64_t)(uintptr_t)data ^ POOL_HEADER_COOKIE;
}

static void header_expected(const kpi_heap_t *h, const kpi_record_t *r,
                            uint8_t out[16]) {
  uint64_t w[2];
  header_words(h->pool, rec_granules(r), rec_quota(r), r->tag, r->address, w);
  memcpy(out, w, 16);
}

/* End of the bytes that belong to the block (data + canary). */
static uint8_t *block_data_end(const kpi_record_t *r) {
  if (rec_big(r)) return r->address + rec_pages(r) * KPI_PAGE_SIZE;
  return rec_block(r) + (size_t)rec_granules(r) * KPI_GRANULE;
}

/* First byte in [p, end) that is not @fill, or NULL. Compares a word at a
 * time: every free checks a whole quarantined block, so this is hot. */
static const uint8_t *first_not(const uint8_t *p, const uint8_t *end,
                                uint8_t fill) {
  uint64_t pattern = 0x0101010101010101ull * fill;
  while (p < end && ((uintptr_t)p & 7) != 0) {
    if (*p != fill) return p;
    p++;
  }
  // 32 bytes per test (a small block's data and canary are 2-5 of these),
  // then 8; the first differing word is then searched byte by byte.
  while ((size_t)(end - p) >= 32) {
    uint64_t w[4];
    memcpy(w, p, 32);
    if (((w[0] ^ pattern) | (w[1] ^ pattern) | (w[2] ^ pattern) |
         (w[3] ^ pattern)) != 0)
      break;
    p += 32;
  }
  while ((size_t)(end - p) >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (w != pattern) break;
    p += 8;
  }
  for (; p < end; p++)
    if (*p != fill) return p;
  return NULL;
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
  if (n >= 16) {
    // 16-byte stores (one vector store each where the target has them).
    uint64_t two[2] = {pattern, pattern};
    for (size_t i = 0; i + 16 < n; i += 16) memcpy(p + i, two, 16);
    memcpy(p + n - 16, two, 16);
  } else if (n >= 8) {
    memcpy(p, &pattern, 8);
    memcpy(p + n - 8, &pattern, 8);
  } else {
    for (size_t i = 0; i < n; i++) p[i] = fill;
  }
}

static inline bool span_is(const uint8_t *p, size_t n, uint8_t fill) {
  uint64_t pattern = 0x0101010101010101ull * fill;
  uint64_t acc = 0;
  if (n >= 32) {
    // Whole 32-byte steps, then the last 32 bytes (overlapping the step
    // before when n is not a multiple of 32).
    for (size_t i = 0; i + 32 < n; i += 32)
      acc |= (span_word(p + i) ^ pattern) | (span_word(p + i + 8) ^ pattern) |
             (span_word(p + i + 16) ^ pattern) | (span_word(p + i + 24) ^ pattern);
    const uint8_t *q = p + n - 32;
    acc |= (span_word(q) ^ pattern) | (span_word(q + 8) ^ pattern) |
           (span_word(q + 16) ^ pattern) | (span_word(q + 24) ^ pattern);
  } else if (n >= 16) {
    acc = (span_word(p) ^ pattern) | (span_word(p + 8) ^ pattern) |
          (span_word(p + n - 16) ^ pattern) | (span_word(p + n - 8) ^ pattern);
  } else if (n >= 8) {
    acc = (span_word(p) ^ pattern) | (span_word(p + n - 8) ^ pattern);
  } else {
    for (size_t i = 0; i < n; i++) acc |= (uint64_t)(p[i] ^ fill);
  }
  return acc == 0;
}

/* First canary byte that differs, or NULL. */
static const uint8_t *canary_damage(const kpi_record_t *r, uint8_t fill) {
  const uint8_t *from = (const uint8_t *)r->address + rec_size(r);
  const uint8_t *end = block_data_end(r);
  if (span_is(from, (size_t)(end - from), fill)) return NULL;
  return first_not(from, end, fill);
}

/* First poisoned byte that differs in a quarantined block, or NULL. */
static const uint8_t *poison_damage(const kpi_record_t *r, uint8_t fill) {
  const uint8_t *from = (const uint8_t *)r->address;
  const uint8_t *end = block_data_end(r);
  if (span_is(from, (size_t)(end - from), fill)) return NULL;
  return first_not(from, end, fill);
}

/* kpool's own look at the bytes it keeps poisoned for the tools: the
 * header and canary of a live block (heap locked). */
static void live_open(const kp_system_t *sys, const kpi_record_t *r) {
  if (!kpi_san_on(sys)) return;
  if (!rec_big(r)) kpi_san_unpoison(sys, rec_block(r), KPI_HEADER_SIZE);
  const uint8_t *end = (const uint8_t *)r->address + rec_size(r);
  kpi_san_unpoison(sys, end, (size_t)(block_data_end(r) - end));
}

static void live_close(const kp_system_t *sys, const kpi_record_t *r) {
  if (!kpi_san_on(sys)) return;
  if (!rec_big(r)) kpi_san_poison(sys, rec_block(r), KPI_HEADER_SIZE);
  const uint8_t *end = (const uint8_t *)r->address + rec_size(r);
  kpi_san_poison(sys, end, (size_t)(block_data_end(r) - end));
}

/* The same for a quarantined block: its whole data and canary. */
static void quarantine_open(const kp_system_t *sys, const kpi_record_t *r) {
  kpi_san_unpoison(sys, r->address, (size_t)(block_data_end(r) - r->address));
}

static void quarantine_close(const kp_system_t *sys, const kpi_record_t *r) {
  kpi_san_poison(sys, r->address, (size_t)(block_data_end(r) - r->address));
}

static bool header_intact(const kpi_heap_t *h, const kpi_record_t *r) {
  if (rec_big(r)) return true; // big blocks have no header
  uint8_t want[16];
  header_expected(h, r, want);
  uint64_t w[2], have[2];
  memcpy(w, want, 16);
  memcpy(have, rec_block(r), 16);
  return ((w[0] ^ have[0]) | (w[1] ^ have[1])) == 0;
}

/* ---------------------------------------------------------------------------
 * Budget and priority.
 *
 * pool->reserved (pool lock) counts the bytes of live blocks plus every
 * heap's credit. A heap allocates from its credit, under its own lock,
 * only while it is @roomy: the pool grants that when, with all of the
 * reserved bytes used, even a LowPoolPriority request would still pass, so
 * a request served from credit is one the exact rule below would allow.
 * Otherwise the heap asks the pool, which first takes every heap's credit
 * back (so reserved is exactly the bytes in use), applies the rule, and
 * grants a new credit only when the pool is roomy again.
 * ------------------------------------------------------------------------- */
/* The exact rule: @bytes more on top of @used bytes of @avail. */
static bool budget_rule(const kp_system_t *sys, size_t avail, size_t used,
                        size_t bytes, kp_priority_t priority) {
  if (used > avail || bytes > avail - used) return false;
  uint32_t reserve = 0;
  unsigned base = (unsigned)priority & 0x30u;
  if (base == KP_PRIORITY_LOW)
    reserve = sys->cfg.low_priority_reserve_percent;
  else if (base == KP_PRIORITY_NORMAL)
    reserve = sys->cfg.normal_priority_reserve_percent;
  // Left free after this allocation must stay at or above the reserve.
  uint64_t left = (uint64_t)avail - used - bytes;
  return left * 100 >= (uint64_t)avail * reserve;
}

/* Takes every heap's credit back into the pool (pool locked). */
static void budget_revoke(kpi_pool_t *pool) {
  for (uint32_t i = 0; i < KPI_HEAPS; i++) {
    kpi_heap_t *h = atomic_load_explicit(&pool->heaps[i], memory_order_acquire);
    if (h == NULL) continue;
    spin_lock(&h->lock);
    pool->reserved -= h->credit;
    h->credit = 0;
    h->roomy = false;
    spin_unlock(&h->lock);
  }
}

/* Charges @bytes for heap @h through the pool (no heap lock held): true
 * when the exact rule allows it; then grants @h a new credit when roomy. */
static bool budget_slow(const kp_system_t *sys, kpi_pool_t *pool, kpi_heap_t *h,
                        size_t bytes, kp_priority_t priority) {
  kpi_mutex_lock(&pool->lock);
  // Still roomy with every other heap's credit counted as used: a new
  // credit for this heap alone. Taking the others' credits back here made
  // two threads revoke each other's on every allocation.
  if (budget_rule(sys, pool->available, pool->reserved,
                  bytes + POOL_CREDIT_CHUNK, KP_PRIORITY_LOW)) {
    pool->reserved += bytes + POOL_CREDIT_CHUNK;
    spin_lock(&h->lock);
    h->credit += POOL_CREDIT_CHUNK;
    h->roomy = true;
    spin_unlock(&h->lock);
    kpi_mutex_unlock(&pool->lock);
    return true;
  }
  budget_revoke(pool);
  bool ok = budget_rule(sys, pool->available, pool->reserved, bytes, priority);
  if (ok) {
    pool->reserved += bytes;
    // Roomy: a LowPoolPriority request would pass with a whole new chunk
    // used too (the low reserve is the largest of the thresholds).
    if (budget_rule(sys, pool->available, pool->reserved, POOL_CREDIT_CHUNK,
                    KP_PRIORITY_LOW)) {
      pool->reserved += POOL_CREDIT_CHUNK;
      spin_lock(&h->lock);
      h->credit += POOL_CREDIT_CHUNK;
      h->roomy = true;
      spin_unlock(&h->lock);
    }
  }
  kpi_mutex_unlock(&pool->lock);
  return ok;
}

/* ---------------------------------------------------------------------------
 * IRQL rules (facts §1.7).
 * ------------------------------------------------------------------------- */
bool kpi_pool_irql_ok(kp_system_t *sys, kp_pool_kind_t kind,
                      uint32_t pool_type, bool freeing, uint64_t size_or_addr,
                      kp_site_t site) {
  kp_irql_t irql = kpi_irql();
  kp_irql_t max = kind == KP_POOL_PAGED ? KP_APC_LEVEL : KP_DISPATCH_LEVEL;
  if (irql <= max) return true;
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  const char *what = kind == KP_POOL_PAGED ? "paged" : "non-paged";
  const char *limit = kind == KP_POOL_PAGED ? "APC_LEVEL" : "DISPATCH_LEVEL";
  if (kpi_verifier(sys)) {
    uint64_t sub = freeing ? (kind == KP_POOL_PAGED ? 0x11 : 0x12)
                           : (kind == KP_POOL_PAGED ? 0x01 : 0x02);
    kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, sub,
                       irql, pool_type, size_or_addr, &ctx,
                       "The driver %s %s pool at IRQL %u; the limit is %s.",
                       freeing ? "freed" : "allocated", what, (unsigned)irql,
                       limit);
  } else {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, freeing ? 0x09 : 0x08,
                       irql, pool_type, size_or_addr, &ctx,
                       "The driver %s %s pool at IRQL %u; the limit is %s.",
                       freeing ? "freed" : "allocated", what, (unsigned)irql,
                       limit);
  }
  return false;
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

/* The next allocation sequence number of @sys for the calling thread: from
 * a batch the thread took from the system's counter (one shared atomic per
 * POOL_SEQ_BATCH allocations instead of one per allocation). */
static uint64_t sequence_next(kp_system_t *sys, kpi_thread_t *t) {
  if (t->seq_system != sys->generation || t->seq_next == t->seq_end) {
    t->seq_next = atomic_fetch_add(&sys->sequence, POOL_SEQ_BATCH) + 1;
    t->seq_end = t->seq_next + POOL_SEQ_BATCH;
    t->seq_system = sys->generation;
  }
  return t->seq_next++;
}

/* Heap @i of @pool, created on first use; NULL when the host is out of
 * memory. */
static kpi_heap_t *heap_create(kpi_pool_t *pool, uint32_t i);
static inline kpi_heap_t *heap_at(kpi_pool_t *pool, uint32_t i) {
  kpi_heap_t *h = atomic_load_explicit(&pool->heaps[i], memory_order_acquire);
  return h != NULL ? h : heap_create(pool, i);
}

static kpi_heap_t *heap_create(kpi_pool_t *pool, uint32_t i) {
  kpi_heap_t *h = NULL;
  kpi_heap_t *n = calloc(1, sizeof *n);
  uint32_t *b = calloc(POOL_HEAP_BUCKETS, sizeof *b);
  kpi_tag_stat_t *t = calloc(POOL_HEAP_TAGS, sizeof *t);
  if (n == NULL || b == NULL || t == NULL) {
    free(n);
    free(b);
    free(t);
    return NULL;
  }
  spin_init(&n->lock);
  n->pool = pool;
  n->index = i;
  n->buckets = b;
  n->bucket_count = POOL_HEAP_BUCKETS;
  n->tags = t;
  n->tag_slots = POOL_HEAP_TAGS;
  kpi_mutex_lock(&pool->lock);
  h = atomic_load_explicit(&pool->heaps[i], memory_order_relaxed);
  if (h == NULL) {
    atomic_store_explicit(&pool->heaps[i], n, memory_order_release);
    h = n;
    n = NULL;
  }
  kpi_mutex_unlock(&pool->lock);
  if (n != NULL) heap_free_all(n);
  return h;
}

/* Makes record @r (slot @id) the live block at @p and counts it in its
 * heap (heap locked). @w0 carries size, POOL_TYPE, quota and big bits;
 * the state is set here. Shared by heap_carve and kpi_alloc_small_fast, so
 * both leave the same record and counters. */
static inline void record_live(kp_system_t *sys, kpi_heap_t *h,
                               kpi_thread_t *me, kpi_record_t *r, uint32_t id,
                               uint8_t *p, uint64_t w0, kp_priority_t priority,
                               kp_alloc_api_t api, kp_pool_flags_t flags,
                               kp_tag_t tag, uint32_t site, size_t bytes) {
  r->address = p;
  r->w0 = w0 | ((uint64_t)KPI_BLOCK_LIVE << 57);
  r->w1 = (sequence_next(sys, me) & REC_SEQ_MASK) |
          ((uint64_t)((unsigned)priority & 0x3Fu) << 40) |
          ((uint64_t)((unsigned)api & 0x3Fu) << 46) |
          ((uint64_t)((flags >> 32) & 0xFFu) << 52);
  r->flags_lo = (uint32_t)flags;
  r->tag = tag;
  r->thread = me->id;
  r->site = site;
  r->free_thread = 0;
  r->link_a = r->link_b = 0;
  record_hash_insert(h, r, id);
  h->record_count++;
  h->live_count++;
  h->used += bytes;
  if (h->used > h->peak) h->peak = h->used;
  h->allocs++;
  kpi_tag_stat_t *t = tag_slot(h, tag, true);
  if (t != NULL) {
    t->allocs++;
    t->bytes += bytes;
    if (t->bytes > t->peak_bytes) t->peak_bytes = t->bytes;
  }
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
  uint32_t site = site_id(&rq->site);
  spin_lock(&h->lock);
  if (h->roomy && h->credit >= bytes) {
    h->credit -= bytes;
  } else {
    spin_unlock(&h->lock);
    if (!budget_slow(sys, pool, h, bytes, rq->priority)) {
      *why = KP_STATUS_INSUFFICIENT_RESOURCES;
      return false;
    }
    spin_lock(&h->lock);
  }
  // From here @bytes are charged; a failure gives them back as credit
  // (taken back into the pool by the next exact decision).
  if (h->record_count + 1 > h->bucket_count) record_hash_grow(h);
  uint32_t id = 0;
  kpi_record_t *r = record_new(h, &id);
  if (r == NULL) {
    h->credit += bytes;
    spin_unlock(&h->lock);
    *why = KP_STATUS_NO_MEMORY;
    return false;
  }
  uint8_t *block = NULL;
  uint32_t granules = 0;
  if (small) {
    size_t data = round_up(size + KPI_MIN_CANARY, KPI_GRANULE);
    granules = (uint32_t)((KPI_HEADER_SIZE + data) / KPI_GRANULE);
    block = small_take(sys, h, granules, rq->align);
  } else {
    block = pages_take(pool, h, pages);
  }
  if (block == NULL || (rq->quota && !quota_charge(sys, bytes))) {
    *why = KP_STATUS_INSUFFICIENT_RESOURCES;
    if (block != NULL) {
      // The block goes back where it came from; nothing was counted yet.
      *why = KP_STATUS_QUOTA_EXCEEDED;
      if (small)
        small_push(sys, h, block, granules);
      else
        pages_give(sys, pool, block, pages);
    }
    // Otherwise the arena's address space is exhausted (fragmentation):
    // the simulated machine running out of pool, not a host failure.
    record_free(h, r, id);
    h->credit += bytes;
    spin_unlock(&h->lock);
    return false;
  }
  uint32_t pool_type = rq->pool_type <= 0xFFFFu ? rq->pool_type : 0xFFFFu;
  record_live(sys, h, me, r, id, small ? block + KPI_HEADER_SIZE : block,
              (uint64_t)size | ((uint64_t)pool_type << 41) |
                  ((uint64_t)(rq->quota ? 1 : 0) << 59) |
                  ((uint64_t)(small ? 0 : 1) << 60),
              rq->priority, rq->api, rq->flags, rq->tag, site, bytes);
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
  if (rq->align == KPI_GRANULE && !rq->quota && rq->node == KPI_NODE_CURRENT) {
    void *p = kpi_alloc_small_fast(sys, rq->kind, rq->pool_type, rq->flags,
                                   rq->api, rq->size, rq->tag, rq->zero,
                                   rq->priority, &rq->site);
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
 * that could make the general path behave differently sends the caller
 * there instead: raised IRQL, a module's allocation hook (special pool,
 * fault injection), several NUMA nodes, sanitizer poisoning, a size that is
 * not a small block, a heap not created yet, no credit, no free block of
 * this size (the bump page and page runs are the general path's), no free
 * record slot or a hash that must grow. Nothing is changed before the last
 * of those checks. The record, counters and header are exactly what
 * heap_carve and kpi_alloc write for the same request. */
void *kpi_alloc_small_fast(kp_system_t *sys, kp_pool_kind_t kind,
                           uint32_t pool_type, kp_pool_flags_t flags,
                           kp_alloc_api_t api, size_t size, kp_tag_t tag,
                           bool zero, kp_priority_t priority,
                           const kp_site_t *at) {
  kpi_thread_t *me = kpi_thread();
  kp_irql_t limit = kind == KP_POOL_PAGED ? KP_APC_LEVEL : KP_DISPATCH_LEVEL;
  if (me->irql > limit || size == 0 || size > POOL_FAST_MAX ||
      pool_type > 0xFFFFu || sys->cfg.numa_nodes != 1 ||
      atomic_load_explicit(&sys->alloc_hooks, memory_order_acquire) != 0 ||
      kpi_san_on(sys))
    return NULL;
  kpi_pool_t *pool = &sys->pools[kind == KP_POOL_PAGED ? 0 : 1];
  kpi_heap_t *h =
      atomic_load_explicit(&pool->heaps[me->id % KPI_HEAPS], memory_order_acquire);
  if (h == NULL) return NULL;
  size_t rounded = round_up(size, KPI_GRANULE);
  size_t bytes = KPI_HEADER_SIZE + rounded;
  uint32_t granules =
      (uint32_t)((KPI_HEADER_SIZE + round_up(size + KPI_MIN_CANARY, KPI_GRANULE)) /
                 KPI_GRANULE);
  uint32_t site = site_id(at);
  spin_lock(&h->lock);
  kpi_free_block_t *f = h->small_free[granules];
  uint32_t id = h->free_slot;
  if (!h->roomy || h->credit < bytes || f == NULL || id == 0 ||
      h->record_count + 1 > h->bucket_count) {
    spin_unlock(&h->lock);
    return NULL;
  }
  h->credit -= bytes;
  h->small_free[granules] = f->next;
  kpi_record_t *r = rec_at(h, id);
  h->free_slot = r->link_a;
  uint8_t *block = (uint8_t *)(void *)f;
  uint8_t *p = block + KPI_HEADER_SIZE;
  record_live(sys, h, me, r, id, p, (uint64_t)size | ((uint64_t)pool_type << 41),
              priority, api, flags, tag, site, bytes);
  spin_unlock(&h->lock);
  uint64_t hw[2];
  header_words(pool, granules, false, tag, p, hw);
  memcpy(block, hw, 16);
  span_fill(p, size, zero ? 0 : sys->cfg.uninit_fill);
  uint8_t *end = block + (size_t)granules * KPI_GRANULE;
  span_fill(p + size, (size_t)(end - (p + size)), sys->cfg.canary_fill);
  return p;
}

/* ---------------------------------------------------------------------------
 * Free.
 * ------------------------------------------------------------------------- */

/* Returns a quarantined block's memory to the arena (heap locked). */
static void block_release(const kp_system_t *sys, kpi_heap_t *h,
                          kpi_record_t *r, uint32_t id) {
  if (rec_big(r))
    pages_give(sys, h->pool, r->address, rec_pages(r));
  else
    small_push(sys, h, rec_block(r), rec_granules(r));
  record_hash_remove(h, r);
  h->record_count--;
  record_free(h, r, id);
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
    if (h->q_head == 0) h->q_tail = 0;
    h->q_count--;
    h->q_bytes -= rec_bytes(r);
    quarantine_open(sys, r);
    const uint8_t *bad = poison_damage(r, sys->cfg.free_fill);
    uint8_t value = bad != NULL ? *bad : 0;
    quarantine_close(sys, r);
    if (bad != NULL && !rep->damaged) {
      rep->damaged = true;
      record_info(h, r, &rep->info);
      rep->free_site = site_get(r->link_b);
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

static void poison_raise(kp_system_t *sys, const poison_report_t *rep) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.block = &rep->info;
  ctx.free_site = &rep->free_site;
  ctx.free_thread = rep->free_thread;
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL, rep->where, 1, 0, 0,
      &ctx,
      "The driver wrote to pool memory after freeing it: byte %p (offset %zu "
      "into the block) holds 0x%02X instead of the free fill 0x%02X.",
      (void *)rep->where, (size_t)(rep->where - (uintptr_t)rep->info.address),
      rep->value, sys->cfg.free_fill);
}

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

/* Validates a free (heap locked). Fills @fc (fc->info only for a rejected
 * free, or when @want_info: copying the record costs on every free);
 * returns the live record when the free may proceed. */
static kpi_record_t *free_validate(kp_system_t *sys, kpi_heap_t *h, void *p,
                                   kp_tag_t tag, bool check_tag,
                                   free_check_t *fc, bool want_info,
                                   uint32_t *id_out) {
  kpi_record_t *r = record_find(h, p, id_out);
  if (r == NULL) {
    kpi_record_t *c = record_containing(h, p, true);
    fc->verdict = c != NULL ? FREE_INTERIOR : FREE_NOT_A_BLOCK;
    if (c != NULL) record_info(h, c, &fc->info);
    return NULL;
  }
  bool live = rec_state(r) == KPI_BLOCK_LIVE;
  bool mismatch = check_tag && tag != 0 && (tag & 0x7FFFFFFFu) != r->tag;
  if (want_info || !live || mismatch) record_info(h, r, &fc->info);
  if (!live) {
    fc->verdict = FREE_DOUBLE;
    fc->free_site = site_get(r->link_b);
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
    if (!want_info) record_info(h, r, &fc->info);
    return NULL;
  }
  return r;
}

static uint64_t header_word(const uint8_t h[16]) {
  uint64_t w;
  memcpy(&w, h, 8);
  return w;
}

/* Raises the bug check for a rejected free (no lock held). */
static void free_reject(kp_system_t *sys, void *p, kp_tag_t tag,
                        const free_check_t *fc, kp_site_t site) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  uint64_t addr = (uint64_t)(uintptr_t)p;
  bool dv = kpi_verifier(sys);
  char t1[5], t2[5];
  switch (fc->verdict) {
  case FREE_NOT_IN_POOL:
    if (dv)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x10, addr, 0, 0, &ctx,
                         "The driver freed %p, an address that no allocation "
                         "of this system returned (it is outside every pool).",
                         p);
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x42, addr, 0, 0,
                         &ctx,
                         "The driver freed %p, an address that is in no pool.",
                         p);
    break;
  case FREE_NOT_A_BLOCK:
    if (dv)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x10, addr, 0, 0, &ctx,
                         "The driver freed %p, which lies in pool memory but "
                         "is not the start of any allocation (never "
                         "allocated, or freed long ago and recycled).",
                         p);
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x99, addr, 0, 0,
                         &ctx,
                         "The driver freed %p, which is not the start of a "
                         "pool allocation.",
                         p);
    break;
  case FREE_INTERIOR:
    ctx.block = &fc->info;
    if (dv)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x10, addr, 0, 0, &ctx,
                         "The driver freed %p, which points %zu bytes into an "
                         "allocation instead of at its start.",
                         p, (size_t)((uintptr_t)p - (uintptr_t)fc->info.address));
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x99, addr, 0, 0,
                         &ctx,
                         "The driver freed %p, which points %zu bytes into an "
                         "allocation instead of at its start.",
                         p, (size_t)((uintptr_t)p - (uintptr_t)fc->info.address));
    break;
  case FREE_DOUBLE:
    ctx.block = &fc->info;
    ctx.free_site = &fc->free_site;
    ctx.free_thread = fc->free_thread;
    if (dv)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x13, 0, fc->big ? 0 : addr - KPI_HEADER_SIZE,
                         header_word(fc->header),
                         &ctx, "The driver freed %p twice.", p);
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x07, 0,
                         header_word(fc->header), addr, &ctx,
                         "The driver freed %p twice.", p);
    break;
  case FREE_TAG_MISMATCH:
    ctx.block = &fc->info;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x0A, addr,
                       fc->info.tag, tag, &ctx,
                       "The driver freed %p with tag '%s' (0x%08X), but it was "
                       "allocated with tag '%s' (0x%08X).",
                       p, kp_tag_text(tag, t1), (unsigned)tag,
                       kp_tag_text(fc->info.tag, t2), (unsigned)fc->info.tag);
    break;
  case FREE_HEADER:
    ctx.block = &fc->info;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x01,
                       addr - KPI_HEADER_SIZE, header_word(fc->header), 0, &ctx,
                       "The pool header in front of %p was overwritten (an "
                       "underrun of this block, or an overrun of the block "
                       "before it).",
                       p);
    break;
  case FREE_CANARY:
    ctx.block = &fc->info;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_HEADER, 0x21, addr,
                       fc->info.size, fc->value, &ctx,
                       "The driver wrote past the end of its allocation: byte "
                       "%p (offset %zu, %zu bytes were requested) holds 0x%02X "
                       "instead of the canary 0x%02X. Found when the block was "
                       "freed.",
                       (void *)fc->where,
                       (size_t)(fc->where - (uintptr_t)fc->info.address),
                       fc->info.size, fc->value, sys->cfg.canary_fill);
    break;
  case FREE_OK:
    break;
  }
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
  uint32_t free_site = site_id(at);
  poison_report_t rep;
  rep.damaged = false;
  spin_lock(&h->lock);
  uint32_t id = 0;
  kpi_record_t *r = record_find(h, p, &id);
  if (r == NULL || rec_state(r) != KPI_BLOCK_LIVE || rec_big(r) ||
      (check_tag && tag != 0 && (tag & 0x7FFFFFFFu) != r->tag)) {
    spin_unlock(&h->lock);
    return false;
  }
  uint8_t *data = p;
  uint8_t *block = data - KPI_HEADER_SIZE;
  size_t size = rec_size(r);
  uint32_t granules = rec_granules(r);
  uint8_t *end = block + (size_t)granules * KPI_GRANULE;
  // The header compared as two words.
  uint64_t want[2], have[2];
  kp_tag_t rtag = r->tag;
  header_words(pool, granules, rec_quota(r), rtag, data, want);
  memcpy(have, block, 16);
  if (((want[0] ^ have[0]) | (want[1] ^ have[1])) != 0 ||
      !span_is(data + size, (size_t)(end - (data + size)), sys->cfg.canary_fill)) {
    spin_unlock(&h->lock);
    return false;
  }
  h->live_count--;
  rec_set_state(r, KPI_BLOCK_QUARANTINED);
  r->link_b = free_site;
  r->free_thread = me->id;
  size_t bytes = KPI_HEADER_SIZE + round_up(size ? size : 1, KPI_GRANULE);
  h->used -= bytes;
  h->credit += bytes;
  h->frees++;
  kpi_tag_stat_t *t = tag_slot(h, rtag, false);
  if (t != NULL) {
    t->frees++;
    t->bytes -= bytes;
  }
  if (rec_quota(r)) atomic_fetch_sub(&sys->quota_used, bytes);
  span_fill(data, (size_t)(end - data), sys->cfg.free_fill);
  r->link_a = 0;
  if (h->q_tail != 0)
    rec_at(h, h->q_tail)->link_a = id;
  else
    h->q_head = id;
  h->q_tail = id;
  h->q_count++;
  h->q_bytes += bytes;
  quarantine_drain(sys, h, &rep);
  spin_unlock(&h->lock);
  if (rep.damaged) poison_raise(sys, &rep);
  return true;
}

void kpi_free(kp_system_t *sys, void *p, kp_tag_t tag, bool check_tag,
              const kp_site_t *at) {
  kpi_pool_t *pool = kpi_pool_containing(sys, p);
  if (pool != NULL && free_fast(sys, pool, p, tag, check_tag, at)) return;
  // Only the verdict needs a start value: each verdict sets what its
  // report reads (memset of the whole struct is measurable on this path).
  free_check_t fc;
  fc.verdict = FREE_OK;
  if (pool == NULL && atomic_load(&sys->foreign_hooks) != 0 &&
      kpi_modules_free(sys, p, tag, check_tag, *at))
    return;
  if (pool == NULL) {
    fc.verdict = FREE_NOT_IN_POOL;
    free_reject(sys, p, tag, &fc, *at);
    return;
  }
  // The heap that carved the block keeps its record, whichever thread
  // frees it. A page no heap owns holds no block.
  kpi_heap_t *h = heap_owning(pool, p);
  if (h == NULL) {
    fc.verdict = FREE_NOT_A_BLOCK;
    free_reject(sys, p, tag, &fc, *at);
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
      free_reject(sys, p, tag, &fc, *at);
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
  uint32_t free_site = site_id(at);
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
    r->link_a = 0;
    if (h->q_tail != 0)
      rec_at(h, h->q_tail)->link_a = id;
    else
      h->q_head = id;
    h->q_tail = id;
    h->q_count++;
    h->q_bytes += bytes;
    quarantine_drain(sys, h, &rep);
  }
  spin_unlock(&h->lock);
  if (r == NULL) {
    free_reject(sys, p, tag, &fc, *at);
    return;
  }
  if (rep.damaged) poison_raise(sys, &rep);
}

/* ---------------------------------------------------------------------------
 * Queries.
 * ------------------------------------------------------------------------- */
size_t kp_block_size(kp_system_t *sys, const void *p, bool *quota_charged) {
  if (quota_charged != NULL) *quota_charged = false;
  if (sys == NULL || p == NULL) return 0;
  kpi_pool_t *pool = kpi_pool_containing(sys, p);
  if (pool == NULL) {
    kp_block_info_t info;
    if (atomic_load(&sys->foreign_hooks) == 0 || !kpi_modules_query(sys, p, &info) ||
        info.address != p)
      return 0;
    if (quota_charged != NULL) *quota_charged = info.quota_charged;
    // Same rounding as the regular pools: 16 bytes below a page, whole
    // pages from a page up (special and secure blocks follow it too).
    size_t n = info.size ? info.size : 1;
    return n >= KPI_PAGE_SIZE ? round_up(n, KPI_PAGE_SIZE) : round_up(n, KPI_GRANULE);
  }
  kpi_heap_t *h = heap_owning(pool, p);
  if (h == NULL) return 0;
  size_t size = 0;
  spin_lock(&h->lock);
  kpi_record_t *r = record_find(h, p, NULL);
  if (r != NULL && rec_state(r) == KPI_BLOCK_LIVE) {
    size = rec_big(r) ? rec_pages(r) * KPI_PAGE_SIZE
                      : round_up(rec_size(r) ? rec_size(r) : 1, KPI_GRANULE);
    if (quota_charged != NULL) *quota_charged = rec_quota(r);
  }
  spin_unlock(&h->lock);
  return size;
}

bool kp_block_query(kp_system_t *sys, const void *p, kp_block_info_t *info) {
  if (sys == NULL || p == NULL) return false;
  kpi_pool_t *pool = kpi_pool_containing(sys, p);
  if (pool == NULL) {
    kp_block_info_t tmp;
    if (atomic_load(&sys->foreign_hooks) == 0) return false;
    return kpi_modules_query(sys, p, info != NULL ? info : &tmp);
  }
  kpi_heap_t *h = heap_owning(pool, p);
  if (h == NULL) return false;
  spin_lock(&h->lock);
  kpi_record_t *r = record_find(h, p, NULL);
  if (r == NULL || rec_state(r) != KPI_BLOCK_LIVE) r = record_containing(h, p, false);
  if (r != NULL && info != NULL) record_info(h, r, info);
  spin_unlock(&h->lock);
  return r != NULL;
}

/* The heaps of @pool that exist, in index order. */
static uint32_t heaps_of(kpi_pool_t *pool, kpi_heap_t *out[KPI_HEAPS]) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < KPI_HEAPS; i++) {
    kpi_heap_t *h = atomic_load_explicit(&pool->heaps[i], memory_order_acquire);
    if (h != NULL) out[n++] = h;
  }
  return n;
}

static int info_seq_cmp(const void *a, const void *b) {
  const kp_block_info_t *x = a;
  const kp_block_info_t *y = b;
  return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* One pool's live blocks, in allocation order across its heaps (every heap
 * locked meanwhile). Returns false when @fn asked to stop. */
static bool pool_visit(kpi_pool_t *pool, kp_block_visitor_fn fn, void *arg) {
  kpi_heap_t *hs[KPI_HEAPS];
  bool go = true;
  kpi_mutex_lock(&pool->lock);
  uint32_t n = heaps_of(pool, hs);
  for (uint32_t k = 0; k < n; k++) spin_lock(&hs[k]->lock);
  size_t live = 0;
  for (uint32_t k = 0; k < n; k++) live += hs[k]->live_count;
  kp_block_info_t *all = live != 0 ? malloc(live * sizeof *all) : NULL;
  if (all != NULL) {
    size_t i = 0;
    for (uint32_t k = 0; k < n; k++)
      FOR_EACH_SLOT(hs[k], id) {
        const kpi_record_t *r = rec_at(hs[k], id);
        if (rec_state(r) == KPI_BLOCK_LIVE && i < live) record_info(hs[k], r, &all[i++]);
      }
    qsort(all, live, sizeof *all, info_seq_cmp);
    for (size_t j = 0; j < live && go; j++) go = fn(&all[j], arg);
    free(all);
  } else {
    // No memory for the merge: heap by heap.
    for (uint32_t k = 0; k < n && go; k++)
      FOR_EACH_SLOT(hs[k], id) {
        if (!go) break;
        const kpi_record_t *r = rec_at(hs[k], id);
        if (rec_state(r) != KPI_BLOCK_LIVE) continue;
        kp_block_info_t info;
        record_info(hs[k], r, &info);
        go = fn(&info, arg);
      }
  }
  for (uint32_t k = n; k-- > 0;) spin_unlock(&hs[k]->lock);
  kpi_mutex_unlock(&pool->lock);
  return go;
}

void kp_visit_blocks(kp_system_t *sys, kp_block_visitor_fn fn, void *arg) {
  if (sys == NULL || fn == NULL) return;
  bool go = true;
  for (uint32_t i = 0; i < sys->pool_count && go; i++) go = pool_visit(&sys->pools[i], fn, arg);
  if (go && atomic_load(&sys->foreign_hooks) != 0) kpi_modules_visit(sys, fn, arg);
}

void kpi_stats_note(kp_system_t *sys, kp_pool_kind_t kind, uint32_t node,
                    kp_tag_t tag, uint64_t bytes, int delta) {
  kpi_pool_t *pool = kpi_pool_for(sys, kind, node);
  if (pool == NULL) return;
  // Blocks served outside the arena (special pool) are counted in heap 0,
  // whichever thread allocates or frees them, so that its counters never
  // go below zero; their bytes count against the budget like any block.
  kpi_heap_t *h = heap_at(pool, 0);
  kpi_mutex_lock(&pool->lock);
  if (delta > 0) pool->reserved += bytes;
  if (delta < 0) pool->reserved -= bytes;
  if (h == NULL) {
    if (delta == 0) pool->failures++;
    kpi_mutex_unlock(&pool->lock);
    return;
  }
  spin_lock(&h->lock);
  kpi_tag_stat_t *t = tag_slot(h, tag, true);
  if (delta > 0) {
    h->allocs++;
    h->used += bytes;
    if (h->used > h->peak) h->peak = h->used;
    if (t != NULL) {
      t->allocs++;
      t->bytes += bytes;
      if (t->bytes > t->peak_bytes) t->peak_bytes = t->bytes;
    }
  } else if (delta < 0) {
    h->frees++;
    h->used -= bytes;
    if (t != NULL) {
      t->frees++;
      t->bytes -= bytes;
    }
  } else {
    h->failures++;
    if (t != NULL) t->failures++;
  }
  spin_unlock(&h->lock);
  kpi_mutex_unlock(&pool->lock);
}

kp_status_t kp_pool_set_available(kp_system_t *sys, kp_pool_kind_t kind,
                                  uint32_t node, size_t bytes) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (kind != KP_POOL_PAGED && kind != KP_POOL_NONPAGED)
    return KP_STATUS_INVALID_PARAMETER_2;
  kpi_pool_t *pool = kpi_pool_for(sys, kind, node);
  if (pool == NULL) return KP_STATUS_INVALID_PARAMETER_3;
  kpi_mutex_lock(&pool->lock);
  // Credits were granted against the old figure: take them back.
  budget_revoke(pool);
  pool->available = bytes < pool->budget ? bytes : pool->budget;
  kpi_mutex_unlock(&pool->lock);
  return KP_STATUS_SUCCESS;
}

size_t kp_pool_available(kp_system_t *sys, kp_pool_kind_t kind, uint32_t node) {
  if (sys == NULL) return 0;
  kpi_pool_t *pool = kpi_pool_for(sys, kind, node);
  if (pool == NULL) return 0;
  kpi_mutex_lock(&pool->lock);
  size_t v = pool->available;
  kpi_mutex_unlock(&pool->lock);
  return v;
}

void kpi_pool_figures(kpi_pool_t *pool, kpi_pool_figures_t *out) {
  memset(out, 0, sizeof *out);
  kpi_heap_t *hs[KPI_HEAPS];
  kpi_mutex_lock(&pool->lock);
  uint32_t n = heaps_of(pool, hs);
  // Every heap locked at once: the figures are one consistent moment.
  for (uint32_t k = 0; k < n; k++) spin_lock(&hs[k]->lock);
  size_t credit = 0;
  for (uint32_t k = 0; k < n; k++) {
    const kpi_heap_t *h = hs[k];
    credit += h->credit;
    out->peak += h->peak;
    out->allocs += h->allocs;
    out->frees += h->frees;
    out->failures += h->failures;
    out->live_count += h->live_count;
    out->q_count += h->q_count;
  }
  for (uint32_t k = n; k-- > 0;) spin_unlock(&hs[k]->lock);
  out->used = pool->reserved - credit;
  out->budget = pool->budget;
  out->available = pool->available;
  out->failures += pool->failures;
  spin_lock(&pool->page_lock);
  out->pages_in_use = pool->pages_in_use;
  spin_unlock(&pool->page_lock);
  kpi_mutex_unlock(&pool->lock);
  // One heap's peak is exact; with several the sum bounds the real peak.
  if (out->peak < out->used) out->peak = out->used;
}

kpi_tag_stat_t *kpi_pool_tags(kpi_pool_t *pool, size_t *slots) {
  *slots = 0;
  kpi_heap_t *hs[KPI_HEAPS];
  kpi_tag_stat_t *out = NULL;
  kpi_mutex_lock(&pool->lock);
  uint32_t n = heaps_of(pool, hs);
  for (uint32_t k = 0; k < n; k++) spin_lock(&hs[k]->lock);
  size_t total = 0;
  for (uint32_t k = 0; k < n; k++) total += hs[k]->tag_count;
  size_t size = 16;
  while (size < total * 2) size *= 2;
  if (total != 0) out = calloc(size, sizeof *out);
  for (uint32_t k = 0; k < n && out != NULL; k++) {
    const kpi_heap_t *h = hs[k];
    for (size_t i = 0; i < h->tag_slots; i++) {
      const kpi_tag_stat_t *t = &h->tags[i];
      if (!t->used) continue;
      size_t j = kpi_tag_hash(t->tag, size - 1);
      while (out[j].used && out[j].tag != t->tag) j = (j + 1) & (size - 1);
      kpi_tag_stat_t *o = &out[j];
      o->used = 1;
      o->tag = t->tag;
      o->allocs += t->allocs;
      o->frees += t->frees;
      o->bytes += t->bytes;
      o->peak_bytes += t->peak_bytes;
      o->failures += t->failures;
    }
  }
  for (uint32_t k = n; k-- > 0;) spin_unlock(&hs[k]->lock);
  kpi_mutex_unlock(&pool->lock);
  if (out != NULL) {
    *slots = size;
    // As for pools: one heap's peak is exact, several bound it.
    for (size_t j = 0; j < size; j++)
      if (out[j].used && out[j].peak_bytes < out[j].bytes) out[j].peak_bytes = out[j].bytes;
  }
  return out;
}

/* kp_verify over one heap (locks taken and left here). Returns false after
 * raising (the bug check was reported). */
static bool heap_verify(kp_system_t *sys, kpi_heap_t *h) {
  free_check_t fc;
  memset(&fc, 0, sizeof fc);
  poison_report_t rep;
  memset(&rep, 0, sizeof rep);
  void *addr = NULL;
  // kpool's own reads of paged pool are legal at any IRQL: under force
  // IRQL checking a fault here pages in instead of bug checking. Left
  // before any bug check (the handler may longjmp).
  kpi_force_irql_internal_enter();
  spin_lock(&h->lock);
  FOR_EACH_SLOT(h, id) {
    kpi_record_t *r = rec_at(h, id);
    if (rec_state(r) != KPI_BLOCK_LIVE) continue;
    live_open(sys, r);
    if (!header_intact(h, r)) {
      fc.verdict = FREE_HEADER;
      memcpy(fc.header, rec_block(r), 16);
    } else {
      const uint8_t *bad = canary_damage(r, sys->cfg.canary_fill);
      if (bad != NULL) {
        fc.verdict = FREE_CANARY;
        fc.where = (uintptr_t)bad;
        fc.value = *bad;
      }
    }
    live_close(sys, r);
    if (fc.verdict != FREE_OK) {
      record_info(h, r, &fc.info);
      addr = r->address;
      break;
    }
  }
  if (fc.verdict == FREE_OK) {
    for (uint32_t id = h->q_head; id != 0;) {
      kpi_record_t *r = rec_at(h, id);
      quarantine_open(sys, r);
      const uint8_t *bad = poison_damage(r, sys->cfg.free_fill);
      if (bad != NULL) {
        rep.damaged = true;
        record_info(h, r, &rep.info);
        rep.free_site = site_get(r->link_b);
        rep.free_thread = r->free_thread;
        rep.where = (uintptr_t)bad;
        rep.value = *bad;
        // Repair the fill so the same damage is reported once.
        memset(r->address, sys->cfg.free_fill, (size_t)(block_data_end(r) - r->address));
      }
      quarantine_close(sys, r);
      if (rep.damaged) break;
      id = r->link_a;
    }
  }
  spin_unlock(&h->lock);
  kpi_force_irql_internal_leave();
  if (fc.verdict != FREE_OK) {
    free_reject(sys, addr, 0, &fc, KP_NOSITE);
    return false;
  }
  if (rep.damaged) {
    poison_raise(sys, &rep);
    return false;
  }
  return true;
}

kp_status_t kp_verify(kp_system_t *sys) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  for (uint32_t i = 0; i < sys->pool_count; i++) {
    kpi_heap_t *hs[KPI_HEAPS];
    uint32_t n = heaps_of(&sys->pools[i], hs);
    for (uint32_t k = 0; k < n; k++)
      if (!heap_verify(sys, hs[k])) return KP_STATUS_HEAP_CORRUPTION;
  }
  return KP_STATUS_SUCCESS;
}
