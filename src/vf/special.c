/*
 * special.c — special pool: each block gets a page of its own next to an
 * inaccessible guard page, the rest of its page holds a pattern checked at
 * free, and freed pages stay inaccessible for a while (facts §6.2).
 *
 * The arena is a run of slots of two pages each (data page + guard page),
 * all reserved inaccessible; a slot's data page is the first page in
 * overrun mode (guard after) and the second in underrun mode (guard
 * before). Pages are host pages when the host's are bigger than 4 KiB, so
 * that each guard can be protected on its own.
 *
 * The per-slot state is an atomic byte so that the fault handler can tell
 * a guard, a freed page or a trimmed paged page without a lock; it takes
 * the lock only to copy the block's record for the report. kpool never
 * touches a special page while it could be inaccessible under that lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/kp_sanitizer.h"
#include "vf/kp_verifier.h"
#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "sim/kp_sim.h"

enum sp_state {
  SP_UNUSED = 0,   /* never allocated */
  SP_LIVE = 1,     /* allocated, data page accessible */
  SP_TRIMMED = 2,  /* allocated paged block, inaccessible (force IRQL) */
  SP_FREED = 3,    /* freed, in the FIFO, inaccessible */
  SP_RECYCLED = 4  /* left the FIFO; inaccessible until reused */
};

typedef struct sp_slot {
  _Atomic uint8_t state;
  bool underrun;        /* placement of the current / last block */
  bool history;         /* info and free_site describe the last block */
  bool opened;          /* a handler returned: a page of the slot was opened */
  uint32_t link;        /* free list or FIFO, index + 1 */
  uint32_t live_prev;   /* live list, index + 1 */
  uint32_t live_next;
  kp_block_info_t info;
  kp_site_t free_site;
  uint32_t free_thread;
} sp_slot_t;

struct kpi_special {
  kpi_mutex_t lock;
  uint8_t *base;
  size_t reserve;
  size_t page;          /* max(4096, host page) */
  size_t stride;        /* 2 * page */
  uint32_t slots;
  sp_slot_t *slot;
  uint32_t top;         /* slots [0, top) have been used */
  uint32_t free_head;   /* recycled slots */
  uint32_t fifo_head;
  uint32_t fifo_tail;
  uint32_t fifo_len;
  uint32_t fifo_max;
  uint32_t recycled;
  uint32_t live_head;
  uint32_t live_tail;
  uint32_t live_count;
  /* Configuration. */
  kpi_tag_patterns_t tags;
  size_t min_size;
  size_t max_size;
  bool underrun;
  uint8_t fill;
  /* Counters. */
  uint64_t served;
  uint64_t eligible;
  uint64_t fallbacks;
};

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static uint8_t *slot_base(const kpi_special_t *sp, uint32_t i) {
  return sp->base + (size_t)i * sp->stride;
}
static uint8_t *data_page(const kpi_special_t *sp, uint32_t i, bool underrun) {
  return slot_base(sp, i) + (underrun ? sp->page : 0);
}
static uint8_t *guard_page(const kpi_special_t *sp, uint32_t i, bool underrun) {
  return slot_base(sp, i) + (underrun ? 0 : sp->page);
}

/* Bytes counted in the tag statistics: what a normal small block of the
 * same request takes, so figures do not change with special pool. */
static size_t block_bytes(size_t size) {
  return KPI_HEADER_SIZE + round_up(size, KPI_GRANULE);
}

/* ---------------------------------------------------------------------------
 * Lifetime.
 * ------------------------------------------------------------------------- */
kpi_special_t *kpi_special_create(kp_system_t *sys) {
  const kp_config_t *cfg = &sys->cfg;
  kpi_special_t *sp = calloc(1, sizeof *sp);
  if (sp == NULL) return NULL;
  kpi_mutex_init(&sp->lock);
  size_t host = kpi_os_page_size();
  sp->page = host > KPI_PAGE_SIZE ? host : KPI_PAGE_SIZE;
  sp->stride = 2 * sp->page;
  sp->slots = cfg->special_pool_pages;
  sp->fifo_max = cfg->special_pool_freed_pages;
  (void)kpi_tag_patterns_parse(cfg->special_pool_tags, &sp->tags);
  sp->min_size = cfg->special_pool_min_size;
  sp->max_size = cfg->special_pool_max_size;
  sp->underrun = cfg->special_pool_underrun;
  sp->fill = cfg->special_pool_fill;
  sp->reserve = (size_t)sp->slots * sp->stride;
  sp->slot = calloc(sp->slots, sizeof *sp->slot);
  // Reserved inaccessible: every page stays so until a block needs it.
  sp->base = sp->slot != NULL ? kpi_os_reserve(sp->reserve, sp->page) : NULL;
  if (sp->base == NULL) {
    free(sp->slot);
    kpi_mutex_destroy(&sp->lock);
    free(sp);
    return NULL;
  }
  kpi_san_pool_create(sp);
  return sp;
}

void kpi_special_destroy(kpi_special_t *sp) {
  if (sp == NULL) return;
  kpi_san_release(sp->base, (size_t)sp->top * sp->stride);
  kpi_san_pool_destroy(sp);
  kpi_os_release(sp->base, sp->reserve);
  free(sp->slot);
  kpi_mutex_destroy(&sp->lock);
  free(sp);
}

bool kpi_special_contains(const kpi_special_t *sp, const void *addr) {
  uintptr_t a = (uintptr_t)addr;
  uintptr_t b = (uintptr_t)sp->base;
  return a >= b && a < b + sp->reserve;
}

/* ---------------------------------------------------------------------------
 * Lists (special lock held).
 * ------------------------------------------------------------------------- */
static void live_link(kpi_special_t *sp, uint32_t i) {
  sp_slot_t *s = &sp->slot[i];
  s->live_next = 0;
  s->live_prev = sp->live_tail;
  if (sp->live_tail != 0)
    sp->slot[sp->live_tail - 1].live_next = i + 1;
  else
    sp->live_head = i + 1;
  sp->live_tail = i + 1;
  sp->live_count++;
}

static void live_unlink(kpi_special_t *sp, uint32_t i) {
  sp_slot_t *s = &sp->slot[i];
  if (s->live_prev != 0)
    sp->slot[s->live_prev - 1].live_next = s->live_next;
  else
    sp->live_head = s->live_next;
  if (s->live_next != 0)
    sp->slot[s->live_next - 1].live_prev = s->live_prev;
  else
    sp->live_tail = s->live_prev;
  s->live_prev = s->live_next = 0;
  sp->live_count--;
}

/* Oldest freed slot leaves the FIFO; its page stays inaccessible. */
static void fifo_evict(kpi_special_t *sp) {
  uint32_t i = sp->fifo_head - 1;
  sp->fifo_head = sp->slot[i].link;
  if (sp->fifo_head == 0) sp->fifo_tail = 0;
  sp->fifo_len--;
  atomic_store(&sp->slot[i].state, SP_RECYCLED);
  sp->slot[i].link = sp->free_head;
  sp->free_head = i + 1;
  sp->recycled++;
}

/* A slot for a new block: never used first (so freed pages stay
 * inaccessible as long as possible), then recycled, then the FIFO's
 * oldest. UINT32_MAX when every slot holds a live block. */
static uint32_t slot_take(kpi_special_t *sp) {
  if (sp->top < sp->slots) return sp->top++;
  if (sp->free_head == 0 && sp->fifo_head != 0) fifo_evict(sp);
  if (sp->free_head == 0) return UINT32_MAX;
  uint32_t i = sp->free_head - 1;
  sp->free_head = sp->slot[i].link;
  sp->recycled--;
  return i;
}

/* ---------------------------------------------------------------------------
 * Allocation.
 * ------------------------------------------------------------------------- */
static bool config_selects(const kpi_special_t *sp, const kpi_request_t *rq) {
  bool tag_rule = sp->tags.count != 0;
  bool size_rule = sp->max_size != 0;
  if (!tag_rule && !size_rule) return true;
  if (tag_rule && kpi_tag_patterns_match(&sp->tags, rq->tag)) return true;
  return size_rule && rq->size >= sp->min_size && rq->size <= sp->max_size;
}

static bool quota_charge(kp_system_t *sys, uint64_t bytes) {
  uint64_t cur = atomic_load(&sys->quota_used);
  do {
    if (cur + bytes > sys->cfg.quota_limit) return false;
  } while (!atomic_compare_exchange_weak(&sys->quota_used, &cur, cur + bytes));
  return true;
}

/* Fills the data page: pattern everywhere, then the block. */
static void page_prepare(const kpi_special_t *sp, uint8_t *page, uint8_t *block,
                         const kpi_request_t *rq, uint8_t uninit) {
  memset(page, sp->fill, sp->page);
  memset(block, rq->zero ? 0 : uninit, rq->size);
}

bool kpi_special_alloc(kp_system_t *sys, kpi_special_t *sp,
                       const kpi_request_t *rq, void **result, kp_status_t *why) {
  if (rq->size == 0 || rq->size > KP_SPECIAL_POOL_MAX_SIZE) return false;
  bool special_priority = ((unsigned)rq->priority & 8u) != 0;
  if ((rq->flags & KP_POOL_FLAG_SPECIAL_POOL) == 0 && !special_priority &&
      !config_selects(sp, rq))
    return false;
  bool underrun = special_priority ? ((unsigned)rq->priority & 1u) != 0 : sp->underrun;
  uint32_t node = 0;
  if (rq->kind == KP_POOL_NONPAGED) {
    node = rq->node == KPI_NODE_CURRENT ? kp_thread_node(sys) : rq->node;
    if (node >= sys->cfg.numa_nodes) node = 0;
  }
  size_t bytes = block_bytes(rq->size);
  if (rq->quota && !quota_charge(sys, bytes)) {
    kpi_stats_note(sys, rq->kind, node, rq->tag, 0, 0);
    *result = NULL;
    *why = KP_STATUS_QUOTA_EXCEEDED;
    return true;
  }

  // The block is guarded only if kpool's fault handler is the process's
  // (a test framework may have replaced it since the system was made).
  kpi_os_fault_rearm();
  kpi_mutex_lock(&sp->lock);
  sp->eligible++;
  uint32_t i = slot_take(sp);
  if (i == UINT32_MAX) {
    // Special pool is exhausted: the request silently gets normal pool.
    sp->fallbacks++;
    kpi_mutex_unlock(&sp->lock);
    if (rq->quota) atomic_fetch_sub(&sys->quota_used, bytes);
    return false;
  }
  sp_slot_t *s = &sp->slot[i];
  uint8_t *page = data_page(sp, i, underrun);
  if (s->opened) {
    // A handler returned from an earlier fault: close both pages again.
    (void)kpi_os_protect(slot_base(sp, i), sp->stride, KPI_PROT_NONE);
    s->opened = false;
  }
  uint8_t *block = underrun ? page
                            : (uint8_t *)((uintptr_t)(page + sp->page - rq->size) &
                                          ~(uintptr_t)(rq->align - 1));
  if (kpi_os_protect(page, sp->page, KPI_PROT_READWRITE) != KP_STATUS_SUCCESS) {
    // The host refused: give the slot back and use normal pool.
    s->link = sp->free_head;
    sp->free_head = i + 1;
    sp->recycled++;
    sp->fallbacks++;
    kpi_mutex_unlock(&sp->lock);
    if (rq->quota) atomic_fetch_sub(&sys->quota_used, bytes);
    return false;
  }
  kpi_san_unpoison(sys, page, sp->page);
  // Valgrind's chunk first: declaring it marks its bytes undefined.
  kpi_san_pool_alloc(sys, sp, block, rq->size);
  page_prepare(sp, page, block, rq, sys->cfg.uninit_fill);
  s->underrun = underrun;
  s->history = true;
  s->free_site = KP_NOSITE;
  s->free_thread = 0;
  memset(&s->info, 0, sizeof s->info);
  s->info.address = block;
  s->info.size = rq->size;
  s->info.block_bytes = bytes;
  s->info.tag = rq->tag;
  s->info.pool = rq->kind;
  s->info.node = node;
  s->info.flags = rq->flags | KP_POOL_FLAG_SPECIAL_POOL;
  s->info.pool_type = rq->pool_type;
  s->info.priority = rq->priority;
  s->info.api = rq->api;
  s->info.sequence = atomic_fetch_add(&sys->sequence, 1) + 1;
  s->info.thread = kp_thread_id();
  s->info.site = rq->site;
  s->info.quota_charged = rq->quota;
  atomic_store(&s->state, SP_LIVE);
  live_link(sp, i);
  sp->served++;
  // The tools see only the block; the pattern bytes are kpool's.
  kpi_san_poison(sys, page, (size_t)(block - page));
  kpi_san_poison(sys, block + rq->size, (size_t)(page + sp->page - (block + rq->size)));
  kpi_mutex_unlock(&sp->lock);

  kpi_stats_note(sys, rq->kind, node, rq->tag, bytes, +1);
  *result = block;
  *why = KP_STATUS_SUCCESS;
  return true;
}

/* ---------------------------------------------------------------------------
 * Free.
 * ------------------------------------------------------------------------- */
enum sp_verdict { SPV_OK, SPV_NOT_A_BLOCK, SPV_INTERIOR, SPV_DOUBLE, SPV_BEFORE, SPV_AFTER };

typedef struct sp_check {
  enum sp_verdict verdict;
  uint32_t slot;
  kp_block_info_t info;
  kp_site_t free_site;
  uint32_t free_thread;
  uintptr_t where;      /* damaged pattern byte */
  uint8_t value;        /* what it holds (read under the lock, unpoisoned) */
} sp_check_t;

/* The slot whose data page holds @p, or UINT32_MAX (lock held). */
static uint32_t slot_of_data(const kpi_special_t *sp, const void *p) {
  size_t off = (size_t)((const uint8_t *)p - sp->base);
  uint32_t i = (uint32_t)(off / sp->stride);
  if (i >= sp->slots) return UINT32_MAX;
  bool first = off % sp->stride < sp->page;
  return first != sp->slot[i].underrun ? i : UINT32_MAX;
}

static void classify(const kpi_special_t *sp, const void *p, sp_check_t *c) {
  c->verdict = SPV_NOT_A_BLOCK;
  uint32_t i = slot_of_data(sp, p);
  if (i == UINT32_MAX) return;
  const sp_slot_t *s = &sp->slot[i];
  uint8_t st = atomic_load(&s->state);
  uintptr_t a = (uintptr_t)p;
  uintptr_t b = (uintptr_t)s->info.address;
  if (!s->history) return;
  c->slot = i;
  c->info = s->info;
  if (st == SP_LIVE || st == SP_TRIMMED) {
    if (a == b)
      c->verdict = SPV_OK;
    else if (a > b && a < b + s->info.size)
      c->verdict = SPV_INTERIOR;
    return;
  }
  if (a == b) {
    c->verdict = SPV_DOUBLE;
    c->free_site = s->free_site;
    c->free_thread = s->free_thread;
  }
}

static const uint8_t *first_not(const uint8_t *p, const uint8_t *end, uint8_t v) {
  for (; p < end; p++)
    if (*p != v) return p;
  return NULL;
}

static void free_reject(kp_system_t *sys, void *p, const sp_check_t *c,
                        kp_site_t site, uint8_t fill) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  uint64_t addr = (uint64_t)(uintptr_t)p;
  bool dv = kpi_verifier(sys);
  switch (c->verdict) {
  case SPV_NOT_A_BLOCK:
    if (dv)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x10, addr, 0, 0, &ctx,
                         "The driver freed %p, an address in special pool "
                         "that is not the start of any allocation.",
                         p);
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
                         addr, 0, 0, KP_C1_NOT_ALLOCATED, &ctx,
                         "The driver freed %p, special pool that was not "
                         "allocated.",
                         p);
    break;
  case SPV_INTERIOR:
    ctx.block = &c->info;
    kpi_bugcheck_raise(sys,
                       dv ? KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION
                          : KP_BUGCHECK_BAD_POOL_CALLER,
                       dv ? 0x10u : 0x99u, addr, 0, 0, &ctx,
                       "The driver freed %p, which points %zu bytes into a "
                       "special-pool allocation instead of at its start.",
                       p, (size_t)((uintptr_t)p - (uintptr_t)c->info.address));
    break;
  case SPV_DOUBLE:
    ctx.block = &c->info;
    ctx.free_site = &c->free_site;
    ctx.free_thread = c->free_thread;
    if (dv)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x13, 0, addr, 0, &ctx,
                         "The driver freed the special-pool block %p twice.", p);
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x07, 0, 0, addr,
                         &ctx, "The driver freed the special-pool block %p twice.",
                         p);
    break;
  case SPV_BEFORE:
    ctx.block = &c->info;
    kpi_bugcheck_raise(
        sys, KP_BUGCHECK_SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, addr, c->where,
        0, KP_C1_PATTERN_BEFORE, &ctx,
        "Special pool: bytes in front of the block %p, in its own page, were "
        "overwritten (an underrun): byte %p, %zu bytes before the block, holds "
        "0x%02X instead of the pattern 0x%02X. Found when the block was freed.",
        p, (void *)c->where, (size_t)(addr - c->where), c->value, fill);
    break;
  case SPV_AFTER:
    ctx.block = &c->info;
    kpi_bugcheck_raise(
        sys, KP_BUGCHECK_SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, addr,
        c->info.size, c->where, KP_C1_PATTERN_AFTER, &ctx,
        "Special pool: bytes after the end of the block %p were overwritten "
        "(an overrun into the slop before the guard page): byte %p, offset "
        "%zu of a %zu-byte request, holds 0x%02X instead of the pattern "
        "0x%02X. Found when the block was freed.",
        p, (void *)c->where, (size_t)(c->where - addr), c->info.size, c->value,
        fill);
    break;
  case SPV_OK:
    break;
  }
}

bool kpi_special_free(kp_system_t *sys, kpi_special_t *sp, void *p, kp_tag_t tag,
                      bool check_tag, kp_site_t site) {
  if (!kpi_special_contains(sp, p)) return false;
  sp_check_t c;
  memset(&c, 0, sizeof c);
  kpi_mutex_lock(&sp->lock);
  classify(sp, p, &c);
  kpi_mutex_unlock(&sp->lock);
  if (c.verdict != SPV_OK) {
    free_reject(sys, p, &c, site, sp->fill);
    return true;
  }
  if (check_tag && tag != 0 && (tag & 0x7FFFFFFFu) != c.info.tag) {
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = site;
    ctx.block = &c.info;
    char t1[5], t2[5];
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x0A,
                       (uint64_t)(uintptr_t)p, c.info.tag, tag, &ctx,
                       "The driver freed %p with tag '%s' (0x%08X), but it was "
                       "allocated with tag '%s' (0x%08X).",
                       p, kp_tag_text(tag, t1), (unsigned)tag,
                       kp_tag_text(c.info.tag, t2), (unsigned)c.info.tag);
    return true;
  }
  if (!kpi_pool_irql_ok(sys, c.info.pool, c.info.pool_type, true,
                        (uint64_t)(uintptr_t)p, site))
    return true;
  if (kpi_modules_before_free_wanted(sys)) {
    uint32_t before = kp_bugcheck_count(sys);
    kpi_modules_before_free(sys, &c.info);
    if (kp_bugcheck_count(sys) != before) return true;
  }

  kpi_mutex_lock(&sp->lock);
  classify(sp, p, &c); // again: another thread may have freed it meanwhile
  if (c.verdict == SPV_OK) {
    sp_slot_t *s = &sp->slot[c.slot];
    uint8_t *page = data_page(sp, c.slot, s->underrun);
    uint8_t *end = (uint8_t *)p + c.info.size;
    if (atomic_load(&s->state) == SP_TRIMMED) {
      // Force IRQL trimmed it; this thread is at a legal IRQL (checked).
      (void)kpi_os_protect(page, sp->page, KPI_PROT_READWRITE);
      atomic_store(&s->state, SP_LIVE);
    }
    kpi_san_unpoison(sys, page, sp->page);
    const uint8_t *bad = first_not(end, page + sp->page, sp->fill);
    if (bad != NULL) {
      c.verdict = SPV_AFTER;
    } else {
      bad = first_not(page, (const uint8_t *)p, sp->fill);
      if (bad != NULL) c.verdict = SPV_BEFORE;
    }
    if (bad != NULL) {
      // The machine stops here; if the handler returns the block stays.
      c.where = (uintptr_t)bad;
      c.value = *bad;
      kpi_san_poison(sys, page, (size_t)((uint8_t *)p - page));
      kpi_san_poison(sys, end, (size_t)(page + sp->page - end));
    } else {
      kpi_san_pool_free(sys, sp, p, c.info.size);
      kpi_san_unpoison(sys, page, sp->page);
      (void)kpi_os_protect(page, sp->page, KPI_PROT_NONE);
      kpi_os_discard(page, sp->page);
      live_unlink(sp, c.slot);
      s->free_site = site;
      s->free_thread = kp_thread_id();
      atomic_store(&s->state, SP_FREED);
      s->link = 0;
      if (sp->fifo_tail != 0)
        sp->slot[sp->fifo_tail - 1].link = c.slot + 1;
      else
        sp->fifo_head = c.slot + 1;
      sp->fifo_tail = c.slot + 1;
      sp->fifo_len++;
      while (sp->fifo_len > sp->fifo_max) fifo_evict(sp);
    }
  }
  kpi_mutex_unlock(&sp->lock);
  if (c.verdict != SPV_OK) {
    free_reject(sys, p, &c, site, sp->fill);
    return true;
  }
  kpi_stats_note(sys, c.info.pool, c.info.node, c.info.tag, c.info.block_bytes, -1);
  if (c.info.quota_charged) atomic_fetch_sub(&sys->quota_used, c.info.block_bytes);
  return true;
}

/* ---------------------------------------------------------------------------
 * Queries.
 * ------------------------------------------------------------------------- */
/* The live slot whose block contains @p (lock held), or UINT32_MAX. */
static uint32_t live_slot_containing(const kpi_special_t *sp, const void *p) {
  uint32_t i = slot_of_data(sp, p);
  if (i == UINT32_MAX) return UINT32_MAX;
  const sp_slot_t *s = &sp->slot[i];
  uint8_t st = atomic_load(&s->state);
  if (st != SP_LIVE && st != SP_TRIMMED) return UINT32_MAX;
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)s->info.address;
  size_t n = s->info.size ? s->info.size : 1;
  return a >= b && a < b + n ? i : UINT32_MAX;
}

bool kpi_special_query(kpi_special_t *sp, const void *p, kp_block_info_t *info) {
  if (!kpi_special_contains(sp, p)) return false;
  kpi_mutex_lock(&sp->lock);
  uint32_t i = live_slot_containing(sp, p);
  if (i != UINT32_MAX && info != NULL) *info = sp->slot[i].info;
  kpi_mutex_unlock(&sp->lock);
  return i != UINT32_MAX;
}

bool kpi_special_where(kpi_special_t *sp, const void *p, kp_special_info_t *out) {
  if (!kpi_special_contains(sp, p)) return false;
  kpi_mutex_lock(&sp->lock);
  uint32_t i = live_slot_containing(sp, p);
  if (i != UINT32_MAX && out != NULL) {
    const sp_slot_t *s = &sp->slot[i];
    uint8_t *page = data_page(sp, i, s->underrun);
    out->block = s->info.address;
    out->size = s->info.size;
    out->page = page;
    out->page_size = sp->page;
    out->guard = guard_page(sp, i, s->underrun);
    out->underrun = s->underrun;
    out->slop = s->underrun ? 0
                            : (size_t)(page + sp->page -
                                       ((uint8_t *)s->info.address + s->info.size));
    out->fill = sp->fill;
  }
  kpi_mutex_unlock(&sp->lock);
  return i != UINT32_MAX;
}

bool kpi_special_visit(kpi_special_t *sp, kp_block_visitor_fn fn, void *arg) {
  bool go = true;
  kpi_mutex_lock(&sp->lock);
  for (uint32_t i = sp->live_head; i != 0 && go; i = sp->slot[i - 1].live_next)
    go = fn(&sp->slot[i - 1].info, arg);
  kpi_mutex_unlock(&sp->lock);
  return go;
}

void kpi_special_counters(kpi_special_t *sp, kp_verifier_counters_t *out) {
  kpi_mutex_lock(&sp->lock);
  out->allocations_succeeded_special = sp->served;
  out->special_eligible = sp->eligible;
  out->special_fallbacks = sp->fallbacks;
  out->special_live = sp->live_count;
  out->special_freed_kept = (uint64_t)sp->fifo_len + sp->recycled;
  out->special_pages = sp->slots;
  kpi_mutex_unlock(&sp->lock);
}

void kpi_special_write_report(kp_system_t *sys, kpi_special_t *sp,
                              kp_output_fn out, void *arg) {
  (void)sys;
  char line[512];
  kp_verifier_counters_t c;
  memset(&c, 0, sizeof c);
  kpi_special_counters(sp, &c);
  snprintf(line, sizeof line,
           "Special pool: %llu of %llu pages hold live blocks, %llu freed "
           "pages kept inaccessible; %s mode, pattern 0x%02X\n"
           "  requests for special pool: %llu, served %llu, fell back to "
           "normal pool %llu (special pool full)\n",
           (unsigned long long)c.special_live, (unsigned long long)c.special_pages,
           (unsigned long long)c.special_freed_kept,
           sp->underrun ? "underrun (Verify Start)" : "overrun (Verify End)",
           sp->fill, (unsigned long long)c.special_eligible,
           (unsigned long long)c.allocations_succeeded_special,
           (unsigned long long)c.special_fallbacks);
  out(line, arg);
  if (c.special_eligible != 0 &&
      c.allocations_succeeded_special * 100 < c.special_eligible * 95) {
    snprintf(line, sizeof line,
             "  WARNING: fewer than 95%% of the allocations that asked for "
             "special pool got it (%llu of %llu); raise "
             "kp_config_t::special_pool_pages.\n",
             (unsigned long long)c.allocations_succeeded_special,
             (unsigned long long)c.special_eligible);
    out(line, arg);
  }
}

/* ---------------------------------------------------------------------------
 * Force IRQL checking: trim and restore live paged blocks.
 * ------------------------------------------------------------------------- */
void kpi_special_trim(kpi_special_t *sp) {
  kpi_mutex_lock(&sp->lock);
  for (uint32_t i = sp->live_head; i != 0; i = sp->slot[i - 1].live_next) {
    sp_slot_t *s = &sp->slot[i - 1];
    if (s->info.pool != KP_POOL_PAGED || atomic_load(&s->state) != SP_LIVE) continue;
    atomic_store(&s->state, SP_TRIMMED);
    (void)kpi_os_protect(data_page(sp, i - 1, s->underrun), sp->page, KPI_PROT_NONE);
  }
  kpi_mutex_unlock(&sp->lock);
}

void kpi_special_untrim(kpi_special_t *sp) {
  kpi_mutex_lock(&sp->lock);
  for (uint32_t i = sp->live_head; i != 0; i = sp->slot[i - 1].live_next) {
    sp_slot_t *s = &sp->slot[i - 1];
    if (atomic_load(&s->state) != SP_TRIMMED) continue;
    (void)kpi_os_protect(data_page(sp, i - 1, s->underrun), sp->page,
                         KPI_PROT_READWRITE);
    atomic_store(&s->state, SP_LIVE);
  }
  kpi_mutex_unlock(&sp->lock);
}

/* ---------------------------------------------------------------------------
 * Faults (signal context: no allocation, the lock only to copy a record).
 * ------------------------------------------------------------------------- */
/* Whether global page @q is the data page of a slot; its slot then. */
static bool page_is_data(const kpi_special_t *sp, size_t q, uint32_t *slot) {
  uint32_t i = (uint32_t)(q / 2);
  if (i >= sp->slots) return false;
  bool first = (q % 2) == 0;
  *slot = i;
  return first != sp->slot[i].underrun;
}

static bool slot_live(const kpi_special_t *sp, uint32_t i) {
  uint8_t st = atomic_load(&sp->slot[i].state);
  return st == SP_LIVE || st == SP_TRIMMED;
}

static bool slot_freed(const kpi_special_t *sp, uint32_t i) {
  uint8_t st = atomic_load(&sp->slot[i].state);
  return (st == SP_FREED || st == SP_RECYCLED) && sp->slot[i].history;
}

static void open_page(kpi_special_t *sp, uint32_t slot, uint8_t *page) {
  // Only reached when a bug check handler returned: let the faulting
  // instruction complete, as documented; the slot is closed on reuse.
  sp->slot[slot].opened = true;
  (void)kpi_os_protect(page, sp->page, KPI_PROT_READWRITE);
}

bool kpi_special_fault(kp_system_t *sys, kpi_special_t *sp, void *addr, int write) {
  uint8_t *a = addr;
  size_t q = (size_t)(a - sp->base) / sp->page;
  uint8_t *page = sp->base + q * sp->page;
  uint32_t i = 0;
  uint64_t rw = write == 1 ? 1 : 0;
  kpi_bugcheck_ctx_t ctx = {0};
  kp_block_info_t info;
  kp_site_t free_site = KP_NOSITE;

  if (page_is_data(sp, q, &i)) {
    uint8_t st = atomic_load(&sp->slot[i].state);
    if (st == SP_TRIMMED || st == SP_LIVE) {
      kp_irql_t irql = kpi_irql();
      if (st == SP_TRIMMED && irql >= KP_DISPATCH_LEVEL && !kpi_force_irql_internal()) {
        kpi_force_irql_bugcheck(sys, addr, write, irql);
      } else if (st == SP_TRIMMED) {
        kpi_force_irql_note_page_in(sys);
      }
      // Page in (or a race with a restore that is just finishing).
      uint8_t expect = SP_TRIMMED;
      atomic_compare_exchange_strong(&sp->slot[i].state, &expect, SP_LIVE);
      (void)kpi_os_protect(page, sp->page, KPI_PROT_READWRITE);
      return true;
    }
    kpi_mutex_lock(&sp->lock);
    bool freed = slot_freed(sp, i);
    if (freed) {
      info = sp->slot[i].info;
      free_site = sp->slot[i].free_site;
      ctx.free_thread = sp->slot[i].free_thread;
    }
    kpi_mutex_unlock(&sp->lock);
    if (freed) {
      ctx.block = &info;
      ctx.free_site = &free_site;
      kpi_bugcheck_raise(
          sys, KP_BUGCHECK_DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
          (uint64_t)(uintptr_t)addr, rw, 0, 0, &ctx,
          "The driver %s %p, %td bytes from the start of a special-pool block "
          "it had freed; freed special pool stays inaccessible.",
          kpi_access_text(write), addr,
          (ptrdiff_t)(a - (uint8_t *)info.address));
    } else {
      kpi_bugcheck_raise(
          sys, KP_BUGCHECK_DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
          (uint64_t)(uintptr_t)addr, rw, 0, 0, NULL,
          "The driver %s %p, a special-pool page that holds no allocation.",
          kpi_access_text(write), addr);
    }
    kpi_mutex_lock(&sp->lock);
    open_page(sp, i, page);
    kpi_mutex_unlock(&sp->lock);
    return true;
  }

  // A guard page: blame the live block next to it, the nearer one when
  // both neighbours hold one (an overrun of the block before, an underrun
  // of the block after).
  uint32_t guard_slot = (uint32_t)(q / 2);
  uint32_t before = 0, after = 0;
  bool has_before = q > 0 && page_is_data(sp, q - 1, &before);
  bool has_after = page_is_data(sp, q + 1, &after);
  bool live_before = has_before && slot_live(sp, before);
  bool live_after = has_after && slot_live(sp, after);
  bool use_after;
  if (live_before && live_after)
    use_after = (size_t)(a - page) >= sp->page / 2;
  else if (live_before || live_after)
    use_after = live_after;
  else
    use_after = has_after && slot_freed(sp, after) &&
                !(has_before && slot_freed(sp, before) && (size_t)(a - page) < sp->page / 2);
  uint32_t owner = use_after ? after : before;
  bool has_owner = use_after ? has_after : has_before;

  kpi_mutex_lock(&sp->lock);
  bool live = has_owner && slot_live(sp, owner);
  bool freed = has_owner && !live && slot_freed(sp, owner);
  if (live || freed) {
    info = sp->slot[owner].info;
    free_site = sp->slot[owner].free_site;
    ctx.free_thread = sp->slot[owner].free_thread;
  }
  kpi_mutex_unlock(&sp->lock);

  if (live) {
    ctx.block = &info;
    uint8_t *start = info.address;
    uint8_t *end = start + info.size;
    if (a >= end)
      kpi_bugcheck_raise(
          sys, KP_BUGCHECK_DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
          (uint64_t)(uintptr_t)addr, rw, 0, 0, &ctx,
          "The driver %s %p, %zu bytes past the end of a %zu-byte special-pool "
          "block: the guard page after it caught the overrun.",
          kpi_access_text(write), addr, (size_t)(a - end), info.size);
    else
      kpi_bugcheck_raise(
          sys, KP_BUGCHECK_DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
          (uint64_t)(uintptr_t)addr, rw, 0, 0, &ctx,
          "The driver %s %p, %zu bytes before the start of a %zu-byte "
          "special-pool block: the guard page in front of it caught the "
          "underrun.",
          kpi_access_text(write), addr, (size_t)(start - a), info.size);
  } else if (freed) {
    ctx.block = &info;
    ctx.free_site = &free_site;
    kpi_bugcheck_raise(
        sys, KP_BUGCHECK_DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
        (uint64_t)(uintptr_t)addr, rw, 0, 0, &ctx,
        "The driver %s %p, on the guard page of a special-pool block it had "
        "freed.",
        kpi_access_text(write), addr);
  } else {
    kpi_bugcheck_raise(
        sys, KP_BUGCHECK_DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
        (uint64_t)(uintptr_t)addr, rw, 0, 0, NULL,
        "The driver %s %p, a special-pool guard page next to no allocation.",
        kpi_access_text(write), addr);
  }
  kpi_mutex_lock(&sp->lock);
  open_page(sp, guard_slot, page);
  kpi_mutex_unlock(&sp->lock);
  return true;
}
