/*
 * lookaside_track.c — entry tracking (KP_LOOKASIDE_OPT_TRACK), the locked
 * side: the stripes (a hash of nodes per stripe lock, the truth), node
 * states settled and moved by compare-and-swap, the hint table's refresh
 * and growth, an entry's first sighting, its leaving a list, and the
 * checks of a free the hint did not decide. The scheme and the lock-free
 * hits are in kp_lookaside_internal.h.
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
#include "ex/kp_lookaside_internal.h"

static uint32_t bucket_of(const la_stripe_t *s, uintptr_t a) {
  return (uint32_t)(addr_hash(a) >> 24) & (s->nbuckets - 1);
}

/* Stripe locked: the node's state once no lock-free free is midway (BUSY
 * lasts a few stores). */
uint64_t kpi_la_node_settled(const la_node_t *n) {
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
bool kpi_la_node_move(la_node_t *n, uint64_t *cur, uint64_t to) {
  if (__atomic_compare_exchange_n(&n->state, cur, to, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return true;
  *cur = kpi_la_node_settled(n);
  return false;
}

/* Stripe locked: sets the state, whatever it is once settled. */
static void node_set(la_node_t *n, uint64_t to) {
  uint64_t cur = kpi_la_node_settled(n);
  while (!kpi_la_node_move(n, &cur, to)) {
  }
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
la_node_t *kpi_la_node_find(la_stripe_t *s, uintptr_t a) {
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
  la_node_t *n = kpi_la_node_find(s, a);
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
  la_st(&n->link, LA_LINK_UNKNOWN);
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
void kpi_la_node_unlink(la_state_t *st, la_stripe_t *s, la_node_t *n) {
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

/* Tracking was switched off: every node is forgotten (none would be kept
 * in step any more, and an entry left marked as cached would later be
 * reported as freed twice). Each stripe under its lock, as a single drop
 * does; stale hints are rejected by the node's state, now 0. */
void kpi_la_track_forget_all(la_state_t *st) {
  for (uint32_t i = 0; i < LA_STRIPES; i++) {
    la_stripe_t *s = &st->stripes[i];
    spin_lock(&s->held);
    for (uint32_t b = 0; b < s->nbuckets; b++) {
      la_node_t *n = s->buckets[b];
      s->buckets[b] = NULL;
      while (n != NULL) {
        la_node_t *next = n->next;
        node_set(n, 0);
        n->next = s->spare;
        s->spare = n;
        s->count--;
        atomic_fetch_sub_explicit(&st->tracked, 1, memory_order_relaxed);
        n = next;
      }
    }
    spin_unlock(&s->held);
  }
}

/* A miss handed out @p entry: remember where it comes from. An entry that
 * is not 16-byte aligned is not tracked: no list can take it back (the
 * free raises STATUS_DATATYPE_MISALIGNMENT first). */
void kpi_la_track_origin(la_state_t *st, void *entry,
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

/* Stripe locked. */
la_node_t *kpi_la_node_cached(la_state_t *st, uintptr_t a) {
  la_stripe_t *s = stripe_of(st, a);
  spin_lock(&s->held);
  la_node_t *n = kpi_la_node_find(s, a);
  if (n != NULL && (kpi_la_node_settled(n) & LA_ST_MASK) == LA_ST_CACHED)
    hint_put(st, a, n);
  else
    n = NULL;
  spin_unlock(&s->held);
  return n;
}

kp_slist_entry_t *kpi_la_next_checked(la_state_t *st,
                                      const kp_slist_entry_t *e,
                                      uint64_t *found, uint64_t *recorded) {
  uint64_t read = (uint64_t)(uintptr_t)e->next;
  uint64_t link = LA_LINK_UNKNOWN;
  la_stripe_t *s = stripe_of(st, (uintptr_t)e);
  spin_lock(&s->held);
  la_node_t *n = kpi_la_node_find(s, (uintptr_t)e);
  if (n != NULL && (kpi_la_node_settled(n) & LA_ST_MASK) == LA_ST_CACHED)
    link = la_ld(&n->link);
  spin_unlock(&s->held);
  *found = LA_LINK_UNKNOWN;
  *recorded = link;
  if (link == LA_LINK_UNKNOWN || link == read)
    return (kp_slist_entry_t *)(uintptr_t)read;
  *found = read;
  return (kp_slist_entry_t *)(uintptr_t)link;
}

void kpi_la_seen_copy(la_seen_t *out, const la_node_t *n) {
  memset(out, 0, sizeof *out);
  if (n == NULL) return;
  uint64_t s = kpi_la_node_settled(n);
  out->known = true;
  out->cached = (s & LA_ST_MASK) == LA_ST_CACHED;
  out->origin_size = la_ld(&n->origin_size);
  out->origin = la_ld(&n->origin);
  out->cached_in = la_ld(&n->cached_in);
  out->cached_tag = la_ld(&n->cached_tag);
  out->free_site = kp_site(la_ld(&n->free_site.file), la_ld(&n->free_site.line),
                           la_ld(&n->free_site.caller));
  out->free_thread = la_ld(&n->free_thread);
  out->link = la_ld(&n->link);
}

/* An entry leaves its list (allocate hit, flush, delete), taken off it by
 * the caller: forget that it is cached; @p drop forgets the entry
 * altogether (it goes to the free routine). Copies what the node said into
 * @p seen unless it is NULL. */
void kpi_la_track_leave(la_state_t *st, void *entry, bool drop,
                        la_seen_t *seen) {
  uintptr_t a = (uintptr_t)entry;
  la_stripe_t *s = stripe_of(st, a);
  spin_lock(&s->held);
  la_node_t *n = kpi_la_node_find(s, a);
  if (seen != NULL) kpi_la_seen_copy(seen, n);
  if (n != NULL) {
    if (drop) {
      node_set(n, 0);
      kpi_la_node_unlink(st, s, n);
    } else {
      node_set(n, st_word(a, LA_ST_OUT));
      hint_put(st, a, n);
    }
  }
  spin_unlock(&s->held);
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
  uint64_t cur = kpi_la_node_settled(n);
  for (;;) {
    enum la_free_verdict v =
        (cur & LA_ST_MASK) == LA_ST_CACHED          ? LA_FREE_TWICE
        : la_ld(&n->origin_size) != r->size ? LA_FREE_WRONG_LIST
                                                     : LA_FREE_OK;
    if (v != LA_FREE_OK) {
      kpi_la_seen_copy(seen, n);
      if (created && kpi_la_node_move(n, &cur, 0)) kpi_la_node_unlink(st, s, n);
      return v;
    }
    if (push) {
      if (!kpi_la_node_move(n, &cur, st_word(a, LA_ST_BUSY))) continue;
      node_cache_fields(n, r, list, at->file, at->line, at->caller,
                        kpi_thread()->id);
      // Pushed by kpi_slist_push (lookaside.c), which records no link.
      la_st(&n->link, LA_LINK_UNKNOWN);
      __atomic_store_n(&n->state, st_word(a, LA_ST_CACHED), __ATOMIC_RELEASE);
      hint_put(st, a, n);
    } else {
      // Leaving the lists (free routine).
      if (!kpi_la_node_move(n, &cur, 0)) continue;
      kpi_la_node_unlink(st, s, n);
    }
    return LA_FREE_OK;
  }
}

/* The locked free: for an entry the hint did not know, a refused free, or
 * a free miss. */
enum la_free_verdict kpi_la_track_free(kp_system_t *sys, la_state_t *st,
                                       const la_rec_t *r, kp_lookaside_t *list,
                                       void *entry, bool push,
                                       const kp_site_t *at, la_seen_t *seen) {
  uintptr_t a = (uintptr_t)entry;
  la_stripe_t *s = stripe_of(st, a);
  memset(seen, 0, sizeof *seen);
  spin_lock(&s->held);
  la_node_t *n = kpi_la_node_find(s, a);
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
