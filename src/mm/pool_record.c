/*
 * pool_record.c — the pool's out-of-band tables, their rare side: the
 * process-wide table of interned sites, the growth of a heap's record
 * hash, the linear search for the block containing an address, a record
 * rebuilt as a kp_block_info_t, and the per-heap tag table (the pool
 * tracker table) behind its one-entry cache. The lookups on the allocation
 * and free paths are static inline in kp_pool_internal.h.
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
 * Interned sites: every distinct (file, line, caller) gets a number once per
 * process, so a record holds 4 bytes instead of 24. Numbers index chunks
 * that never move (read without a lock); the lookup table is under a spin
 * lock, with a small per-thread cache in front so that a loop's call site
 * costs a hash and a compare.
 * ------------------------------------------------------------------------- */
#define SITE_CHUNK_SHIFT 10u
#define SITE_CHUNK (1u << SITE_CHUNK_SHIFT)
#define SITE_MAX_CHUNKS 4096u

static _Atomic(kp_site_t *) site_chunks[SITE_MAX_CHUNKS];
static uint32_t site_count;       /* numbers handed out, under site_lock */
static uint32_t *site_table;      /* open addressing of numbers, under site_lock */
static size_t site_table_size;
static kpi_spin_t site_lock;

/* The site of number @id (0: no site). */
kp_site_t kpi_site_get(uint32_t id) {
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
      kp_site_t old = kpi_site_get(id);
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
    kp_site_t have = kpi_site_get(site_table[j]);
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

/* A site missing from the thread's cache: the table, then the cache. */
uint32_t kpi_site_id_slow(const kp_site_t *s, size_t h, site_cached_t *c) {
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
 * Record table (per heap, heap locked): growth and the rare lookups.
 * ------------------------------------------------------------------------- */
void kpi_record_hash_grow(kpi_heap_t *h) {
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

/* The live or quarantined record whose block contains @p, if any. Linear:
 * only used on error paths (interior pointers) and by kp_block_query. */
kpi_record_t *kpi_record_containing(const kpi_heap_t *h, const void *p,
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
void kpi_record_info(const kpi_heap_t *h, const kpi_record_t *r,
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
  out->site = kpi_site_get(r->site);
  out->quota_charged = rec_quota(r);
}

/* ---------------------------------------------------------------------------
 * Tag table (the pool tracker table), per heap: the lookup behind tag_slot.
 * ------------------------------------------------------------------------- */
kpi_tag_stat_t *kpi_tag_slot_find(kpi_heap_t *h, kp_tag_t tag, bool create) {
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
    return kpi_tag_slot_find(h, tag, true);
  }
  kpi_tag_stat_t *t = &h->tags[i];
  memset(t, 0, sizeof *t);
  t->used = 1;
  t->tag = tag;
  h->tag_count++;
  return t;
}
