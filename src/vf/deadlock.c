/*
 * deadlock.c — the per-thread list of held locks (always kept: recursion
 * and ownership checks use it) and Driver Verifier's Deadlock Detection
 * (KP_VERIFY_DEADLOCK_DETECTION; facts §7.2): a lock-order graph per
 * system. Acquiring lock L while holding H adds the edge H -> L; acquiring
 * L while holding H when the graph already has a path L -> ... -> H closes
 * a cycle: two threads taking the locks in those orders at the same time
 * would deadlock, so it is bug check 0xC4/0x1001 before any real deadlock.
 * The graph also remembers the kind each lock was first used as (0x1008 /
 * 0x1009 for mixing, e.g. ordinary and in-stack queued spin lock routines
 * on one KSPIN_LOCK).
 *
 * Nodes are never freed before the system is destroyed: a forgotten lock's
 * node goes back to a free list with its generation bumped, so edges that
 * pointed to it are recognised as stale.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"

#define DL_MAX_HELD 64u
#define DL_BUCKETS 1024u

/* ---------------------------------------------------------------------------
 * Per-thread held list.
 * ------------------------------------------------------------------------- */
static _Thread_local kpi_held_t dl_held[DL_MAX_HELD];
static _Thread_local uint32_t dl_nheld;

const char *kpi_lock_kind_name(kpi_lock_kind_t kind) {
  switch (kind) {
  case KPI_LOCK_SPIN: return "spin lock";
  case KPI_LOCK_QUEUED_SPIN: return "in-stack queued spin lock";
  case KPI_LOCK_EX_SPIN: return "executive spin lock (EX_SPIN_LOCK)";
  case KPI_LOCK_FAST_MUTEX: return "fast mutex";
  case KPI_LOCK_GUARDED_MUTEX: return "guarded mutex";
  case KPI_LOCK_RESOURCE: return "resource (ERESOURCE)";
  case KPI_LOCK_PUSH_LOCK: return "push lock";
  case KPI_LOCK_INTERLOCKED: return "ExInterlocked spin lock";
  default: return "lock";
  }
}

kpi_held_t *kpi_held_find(const void *lock) {
  for (uint32_t i = dl_nheld; i-- > 0;)
    if (dl_held[i].lock == lock) return &dl_held[i];
  return NULL;
}

uint32_t kpi_held_count(void) { return dl_nheld; }

void kpi_held_reset(void) { dl_nheld = 0; }

/* ---------------------------------------------------------------------------
 * The graph (per system).
 * ------------------------------------------------------------------------- */
typedef struct dl_node dl_node_t;

typedef struct dl_edge {
  dl_node_t *to;
  uint32_t to_gen;
  uint32_t thread;        /* who took them in this order */
  kp_site_t from_site;    /* where that thread had acquired the "from" lock */
  kp_site_t to_site;      /* where it acquired the "to" lock */
} dl_edge_t;

struct dl_node {
  const void *lock;       /* NULL when free */
  uint32_t gen;
  uint8_t kind;
  uint32_t mark;          /* DFS visit epoch */
  dl_edge_t *edges;
  uint32_t nedges, cap;
  dl_node_t *chain;       /* bucket chain, or free list */
};

typedef struct dl_state {
  kpi_mutex_t lock;
  dl_node_t *buckets[DL_BUCKETS];
  dl_node_t *free_nodes;
  dl_node_t **blocks;     /* allocated nodes, for destroy */
  size_t nblocks, capblocks;
  uint32_t epoch;
  dl_node_t **stack;      /* DFS work stack */
  dl_edge_t **via;        /* DFS: edge used to reach each stacked node */
  size_t stack_cap;
} dl_state_t;

static void dl_destroy(kp_system_t *sys, void *state);
static void dl_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block);

static const kpi_module_ops_t dl_ops = {
    .name = "deadlock detection",
    .before_free = dl_before_free,
    .destroy = dl_destroy,
};

static dl_state_t *dl_state(kp_system_t *sys) {
  dl_state_t *st = kpi_system_module(sys, &dl_ops);
  if (st != NULL) return st;
  st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  kpi_mutex_init(&st->lock);
  if (!kpi_system_add_module(sys, &dl_ops, st)) {
    kpi_mutex_destroy(&st->lock);
    free(st);
    return kpi_system_module(sys, &dl_ops);
  }
  return st;
}

static void dl_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  dl_state_t *st = state;
  for (size_t i = 0; i < st->nblocks; i++) {
    free(st->blocks[i]->edges);
    free(st->blocks[i]);
  }
  free(st->blocks);
  free(st->stack);
  free(st->via);
  kpi_mutex_destroy(&st->lock);
  free(st);
}

static uint32_t dl_bucket(const void *lock) {
  uintptr_t a = (uintptr_t)lock >> 3;
  return (uint32_t)((a ^ (a >> 10) ^ (a >> 20)) % DL_BUCKETS);
}

static dl_node_t *dl_find(dl_state_t *st, const void *lock) {
  for (dl_node_t *n = st->buckets[dl_bucket(lock)]; n != NULL; n = n->chain)
    if (n->lock == lock) return n;
  return NULL;
}

static dl_node_t *dl_get(dl_state_t *st, const void *lock, uint8_t kind) {
  dl_node_t *n = dl_find(st, lock);
  if (n != NULL) return n;
  n = st->free_nodes;
  if (n != NULL) {
    st->free_nodes = n->chain;
  } else {
    if (st->nblocks == st->capblocks) {
      size_t cap = st->capblocks ? st->capblocks * 2 : 64;
      dl_node_t **b = realloc(st->blocks, cap * sizeof *b);
      if (b == NULL) return NULL;
      st->blocks = b;
      st->capblocks = cap;
    }
    n = calloc(1, sizeof *n);
    if (n == NULL) return NULL;
    st->blocks[st->nblocks++] = n;
  }
  n->lock = lock;
  n->kind = kind;
  n->nedges = 0;
  uint32_t b = dl_bucket(lock);
  n->chain = st->buckets[b];
  st->buckets[b] = n;
  return n;
}

static void dl_remove(dl_state_t *st, dl_node_t *n) {
  dl_node_t **pp = &st->buckets[dl_bucket(n->lock)];
  while (*pp != n) pp = &(*pp)->chain;
  *pp = n->chain;
  n->lock = NULL;
  n->gen++;
  n->nedges = 0;
  n->chain = st->free_nodes;
  st->free_nodes = n;
}

static bool dl_edge_live(const dl_edge_t *e) {
  return e->to->lock != NULL && e->to->gen == e->to_gen;
}

static bool dl_add_edge(dl_node_t *from, dl_node_t *to, kp_site_t from_site,
                        kp_site_t to_site) {
  for (uint32_t i = 0; i < from->nedges; i++)
    if (from->edges[i].to == to && dl_edge_live(&from->edges[i])) return true;
  // Drop stale edges before growing.
  uint32_t k = 0;
  for (uint32_t i = 0; i < from->nedges; i++)
    if (dl_edge_live(&from->edges[i])) from->edges[k++] = from->edges[i];
  from->nedges = k;
  if (from->nedges == from->cap) {
    uint32_t cap = from->cap ? from->cap * 2 : 4;
    dl_edge_t *e = realloc(from->edges, cap * sizeof *e);
    if (e == NULL) return false;
    from->edges = e;
    from->cap = cap;
  }
  dl_edge_t *e = &from->edges[from->nedges++];
  e->to = to;
  e->to_gen = to->gen;
  e->thread = kp_thread_id();
  e->from_site = from_site;
  e->to_site = to_site;
  return true;
}

static bool dl_stack_reserve(dl_state_t *st, size_t need) {
  if (need <= st->stack_cap) return true;
  size_t cap = st->stack_cap ? st->stack_cap * 2 : 64;
  while (cap < need) cap *= 2;
  dl_node_t **s = realloc(st->stack, cap * sizeof *s);
  if (s == NULL) return false;
  st->stack = s;
  dl_edge_t **v = realloc(st->via, cap * sizeof *v);
  if (v == NULL) return false;
  st->via = v;
  st->stack_cap = cap;
  return true;
}

/* Is there a path from -> ... -> target? Fills *first / *last with the
 * first and the last edge of one such path. */
static bool dl_path(dl_state_t *st, dl_node_t *from, dl_node_t *target,
                    dl_edge_t *first, dl_edge_t *last) {
  uint32_t epoch = ++st->epoch;
  size_t top = 0;
  if (!dl_stack_reserve(st, 1)) return false;
  st->stack[top] = from;
  st->via[top] = NULL;
  top++;
  from->mark = epoch;
  // Depth-first; via[] keeps the first edge taken out of @from for each
  // stacked node, so the report can name it.
  while (top > 0) {
    top--;
    dl_node_t *n = st->stack[top];
    dl_edge_t *root_edge = st->via[top];
    for (uint32_t i = 0; i < n->nedges; i++) {
      dl_edge_t *e = &n->edges[i];
      if (!dl_edge_live(e)) continue;
      dl_edge_t *re = root_edge != NULL ? root_edge : e;
      if (e->to == target) {
        *first = *re;
        *last = *e;
        return true;
      }
      if (e->to->mark == epoch) continue;
      e->to->mark = epoch;
      if (!dl_stack_reserve(st, top + 1)) return false;
      st->stack[top] = e->to;
      st->via[top] = re;
      top++;
    }
  }
  return false;
}

/* ---------------------------------------------------------------------------
 * Hooks.
 * ------------------------------------------------------------------------- */
static dl_state_t *dl_active(void) {
  if (!kpi_sync_deadlock_on()) return NULL;
  return dl_state(kpi_current());
}

bool kpi_lock_acquiring(const void *lock, kpi_lock_kind_t kind, bool may_wait,
                        kp_site_t site, const char *api) {
  dl_state_t *st = dl_active();
  if (st == NULL) return true;
  kpi_mutex_lock(&st->lock);
  dl_node_t *n = dl_find(st, lock);
  if (n != NULL && n->kind != (uint8_t)kind) {
    uint8_t was = n->kind;
    kpi_mutex_unlock(&st->lock);
    kpi_sync_c4(KP_C4_ACQUIRE_API_MISMATCH, (uint64_t)(uintptr_t)lock, was,
                (uint64_t)kind, site,
                "%s(%p): the lock was used through the %s routines before and "
                "is now acquired through the %s routines; one lock must be "
                "used through one family of routines only (Deadlock "
                "Detection). P3/P4 are kpool's lock "
                "kind numbers (before / now).",
                api, lock, kpi_lock_kind_name((kpi_lock_kind_t)was),
                kpi_lock_kind_name(kind));
    return false;
  }
  if (!may_wait || n == NULL) {
    kpi_mutex_unlock(&st->lock);
    return true;
  }
  for (uint32_t i = 0; i < dl_nheld; i++) {
    const kpi_held_t *h = &dl_held[i];
    if (h->lock == lock) continue;
    dl_node_t *hn = dl_find(st, h->lock);
    if (hn == NULL) continue;
    dl_edge_t first, last;
    if (!dl_path(st, n, hn, &first, &last)) continue;
    kpi_mutex_unlock(&st->lock);
    char held_at[256], other_held_at[256], other_took_at[256];
    kpi_site_text(h->site, held_at, sizeof held_at);
    kpi_site_text(first.from_site, other_held_at, sizeof other_held_at);
    kpi_site_text(last.to_site, other_took_at, sizeof other_took_at);
    kpi_sync_c4(KP_C4_LOCK_HIERARCHY, (uint64_t)(uintptr_t)lock,
                (uint64_t)(uintptr_t)h->lock, 0, site,
                "Lock hierarchy violation (Deadlock Detection): thread %u "
                "holds the %s %p (acquired at %s) and now asks for the %s %p "
                "(%s, this call). Earlier, thread %u held %p (acquired at %s) "
                "and then took %s%p at %s: the opposite order. Two threads "
                "doing both at once deadlock.",
                kp_thread_id(), kpi_lock_kind_name((kpi_lock_kind_t)h->kind),
                h->lock, held_at, kpi_lock_kind_name(kind), lock, api,
                first.thread, lock, other_held_at,
                first.to == last.to ? "" : "(through other locks) ",
                h->lock, other_took_at);
    return false;
  }
  kpi_mutex_unlock(&st->lock);
  return true;
}

void kpi_lock_acquired(const void *lock, kpi_lock_kind_t kind, bool shared,
                       kp_site_t site) {
  kpi_held_t *h = kpi_held_find(lock);
  if (h != NULL) {
    h->count++;
    return;
  }
  if (dl_nheld < DL_MAX_HELD) {
    kpi_held_t *e = &dl_held[dl_nheld++];
    e->lock = lock;
    e->kind = (uint8_t)kind;
    e->shared = shared;
    e->raised_to = 0;
    e->count = 1;
    e->site = site;
  }
  dl_state_t *st = dl_active();
  if (st == NULL) return;
  kpi_mutex_lock(&st->lock);
  dl_node_t *n = dl_get(st, lock, (uint8_t)kind);
  if (n != NULL) {
    for (uint32_t i = 0; i < dl_nheld; i++) {
      if (dl_held[i].lock == lock) continue;
      dl_node_t *hn = dl_get(st, dl_held[i].lock, dl_held[i].kind);
      if (hn != NULL) (void)dl_add_edge(hn, n, dl_held[i].site, site);
    }
  }
  kpi_mutex_unlock(&st->lock);
}

bool kpi_lock_released(const void *lock, kpi_held_t *out) {
  for (uint32_t i = dl_nheld; i-- > 0;) {
    if (dl_held[i].lock != lock) continue;
    if (out != NULL) *out = dl_held[i];
    if (--dl_held[i].count == 0) {
      memmove(&dl_held[i], &dl_held[i + 1],
              (dl_nheld - i - 1) * sizeof dl_held[0]);
      dl_nheld--;
    }
    return true;
  }
  return false;
}

bool kpi_lock_release_kind_ok(const void *lock, kpi_lock_kind_t kind,
                              kp_site_t site, const char *api) {
  const kpi_held_t *h = kpi_held_find(lock);
  if (h == NULL || h->kind == (uint8_t)kind || !kpi_sync_deadlock_on())
    return true;
  char where[256];
  kpi_site_text(h->site, where, sizeof where);
  kpi_sync_c4(KP_C4_RELEASE_API_MISMATCH, (uint64_t)(uintptr_t)lock, h->kind,
              (uint64_t)kind, site,
              "%s(%p): the lock was acquired through the %s routines at %s "
              "and is released through the %s routines (Deadlock Detection). P3/P4 are kpool's lock kind numbers "
              "(acquired / released).",
              api, lock, kpi_lock_kind_name((kpi_lock_kind_t)h->kind), where,
              kpi_lock_kind_name(kind));
  return false;
}

void kpi_lock_forget(const void *lock) {
  kp_system_t *sys = kpi_current();
  if (sys == NULL) return;
  dl_state_t *st = kpi_system_module(sys, &dl_ops);
  if (st == NULL) return;
  kpi_mutex_lock(&st->lock);
  dl_node_t *n = dl_find(st, lock);
  if (n != NULL) dl_remove(st, n);
  kpi_mutex_unlock(&st->lock);
}

// Freed pool takes the locks it contained out of the graph; a lock the
// freeing thread still holds there is a lock freed while owned (0x100B).
static void dl_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block) {
  (void)sys;
  dl_state_t *st = state;
  const uint8_t *lo = (const uint8_t *)block->address;
  const uint8_t *hi = lo + block->size;
  for (uint32_t i = 0; i < dl_nheld; i++) {
    const uint8_t *l = (const uint8_t *)dl_held[i].lock;
    if (l < lo || l >= hi) continue;
    char where[256];
    kpi_site_text(dl_held[i].site, where, sizeof where);
    kpi_sync_c4(KP_C4_LOCK_DELETED_OWNED, (uint64_t)(uintptr_t)l, 0, 0,
                kp_site(NULL, 0, NULL),
                "The pool block %p being freed contains the %s %p, which "
                "thread %u still holds (acquired at %s).",
                block->address,
                kpi_lock_kind_name((kpi_lock_kind_t)dl_held[i].kind),
                (const void *)l, kp_thread_id(), where);
    return;
  }
  kpi_mutex_lock(&st->lock);
  for (uint32_t b = 0; b < DL_BUCKETS; b++) {
    dl_node_t *n = st->buckets[b];
    while (n != NULL) {
      dl_node_t *next = n->chain;
      const uint8_t *l = (const uint8_t *)n->lock;
      if (l >= lo && l < hi) dl_remove(st, n);
      n = next;
    }
  }
  kpi_mutex_unlock(&st->lock);
}
