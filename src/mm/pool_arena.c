/*
 * pool_arena.c — the pool's arenas: their lifetime (reservation, the
 * process-wide cache of parked arenas, scrubbing), heap creation, page
 * runs, the budget and priority rule, the available figure, and the IRQL
 * rule for allocating and freeing.
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
  pool->header_base = ((node & 0xFFu) << 8) | (((uint32_t)kind + 1u) << 24);
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
    pool->span = pool->pages * KPI_PAGE_SIZE;
    kpi_san_pool_create(pool);
    return true;
  }
  pool->base = kpi_os_reserve(reserve, align);
  if (pool->base == NULL) return false;
  pool->pages = reserve / KPI_PAGE_SIZE;
  pool->span = pool->pages * KPI_PAGE_SIZE;
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
    pool->span = 0;
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
  h->q_head = 0;
  h->q_tail = NULL;
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
uint8_t *kpi_pages_take(kpi_pool_t *pool, const kpi_heap_t *h, size_t n) {
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

void kpi_pages_give(const kp_system_t *sys, kpi_pool_t *pool, uint8_t *addr,
                    size_t n) {
  kpi_san_poison(sys, addr, n * KPI_PAGE_SIZE);
  size_t first = (size_t)(addr - pool->base) / KPI_PAGE_SIZE;
  spin_lock(&pool->page_lock);
  page_mark(pool, first, n, 0);
  spin_unlock(&pool->page_lock);
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
bool kpi_budget_slow(const kp_system_t *sys, kpi_pool_t *pool, kpi_heap_t *h,
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

kpi_heap_t *kpi_heap_create(kpi_pool_t *pool, uint32_t i) {
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
