/*
 * pool_report.c — what the pool reports and answers: the bug checks of a
 * rejected free and of a damaged quarantined block, the byte search that
 * locates damage, block queries, kp_visit_blocks, the statistics of blocks
 * served outside the arenas, the pools' figures and tag tables, and
 * kp_verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "sim/kp_sim.h"
#include "mm/kp_sanitizer.h"
#include "vf/kp_verifier.h"
#include "mm/kp_pool_internal.h"

/* ---------------------------------------------------------------------------
 * Bug checks of the free path and the byte search that locates damage.
 * ------------------------------------------------------------------------- */
void kpi_poison_raise(kp_system_t *sys, const poison_report_t *rep) {
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

void kpi_free_list_raise(kp_system_t *sys, const free_list_report_t *rep) {
  kpi_bugcheck_ctx_t ctx = {0};
  char cause[200];
  if (rep->has_front) {
    ctx.block = &rep->front;
    snprintf(cause, sizeof cause,
             "The block in front of it, %p (%zu bytes requested), ends right "
             "there: most likely it was written past its end (its canary is "
             "checked when it is freed).",
             rep->front.address, rep->front.size);
  } else {
    snprintf(cause, sizeof cause,
             "No block in use ends right in front of it: a write through a "
             "stale or wild pointer.");
  }
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_BAD_POOL_HEADER, 0x3, rep->block, rep->words[0],
      rep->words[1], &ctx,
      "The header of the free pool block at %p (%u bytes) was overwritten "
      "after the block was freed: its free-list entry reads next %p, record "
      "%u, check 0x%08X, not what kpool wrote. %s The list of this size is "
      "dropped: its blocks are not reused.",
      (void *)rep->block, rep->granules * (unsigned)KPI_GRANULE,
      (void *)(uintptr_t)rep->words[0], (unsigned)(uint32_t)rep->words[1],
      (unsigned)(uint32_t)(rep->words[1] >> 32), cause);
}

/* First byte in [p, end) that is not @fill, or NULL. Compares a word at a
 * time: every free checks a whole quarantined block, so this is hot. */
const uint8_t *kpi_first_not(const uint8_t *p, const uint8_t *end,
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

static uint64_t header_word(const uint8_t h[16]) {
  uint64_t w;
  memcpy(&w, h, 8);
  return w;
}

/* Raises the bug check for a rejected free (no lock held). */
void kpi_free_reject(kp_system_t *sys, void *p, kp_tag_t tag,
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
  if (r == NULL || rec_state(r) != KPI_BLOCK_LIVE) r = kpi_record_containing(h, p, false);
  if (r != NULL && info != NULL) kpi_record_info(h, r, info);
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
        if (rec_state(r) == KPI_BLOCK_LIVE && i < live) kpi_record_info(hs[k], r, &all[i++]);
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
        kpi_record_info(hs[k], r, &info);
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
      kpi_record_info(h, r, &fc.info);
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
        kpi_record_info(h, r, &rep.info);
        rep.free_site = kpi_site_get(r->link_b);
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
    kpi_free_reject(sys, addr, 0, &fc, KP_NOSITE);
    return false;
  }
  if (rep.damaged) {
    kpi_poison_raise(sys, &rep);
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
