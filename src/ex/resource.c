/*
 * resource.c — ERESOURCE and the Lite routines (facts §4.1). The state of
 * each resource lives in a per-system registry keyed by its address; every
 * change happens under the wait channel's mutex, and waiters sleep on its
 * condition variable. Bug checks are raised after the mutex is released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_sync.h"
#include "ke/kp_ke.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"

_Static_assert(sizeof(kp_resource_t) == 0x68, "ERESOURCE is 0x68 bytes");
_Static_assert(offsetof(kp_resource_t, owner_thread) == 0x30, "OwnerEntry");
_Static_assert(offsetof(kp_resource_t, active_entries) == 0x40, "ActiveEntries");
_Static_assert(offsetof(kp_resource_t, number_of_exclusive_waiters) == 0x4C,
               "NumberOfExclusiveWaiters");
_Static_assert(offsetof(kp_resource_t, spin_lock) == 0x60, "SpinLock");

#define RS_BUCKETS 256u
#define RS_FLAG_EXCLUSIVE 0x80u

typedef struct rs_owner {
  uintptr_t thread;     /* kp_resource_current_thread() */
  uint32_t tid;         /* kp_thread_id() */
  uint32_t count;
} rs_owner_t;

typedef struct rs_rec {
  kp_resource_t *res;
  kp_site_t init_site;
  uint32_t init_thread;
  bool exclusive;
  rs_owner_t *owners;
  uint32_t nowners, cap;
  uint32_t shared_waiters, excl_waiters;
  struct rs_rec *next;
} rs_rec_t;

typedef struct rs_state {
  rs_rec_t *buckets[RS_BUCKETS];
  uint32_t count;
} rs_state_t;

static void rs_unload_check(kp_system_t *sys, void *state);
static void rs_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block);
static void rs_destroy(kp_system_t *sys, void *state);

static const kpi_module_ops_t rs_ops = {
    .name = "resources",
    .unload_check = rs_unload_check,
    .before_free = rs_before_free,
    .destroy = rs_destroy,
};

static rs_state_t *rs_state(kp_system_t *sys, bool create) {
  rs_state_t *st = kpi_system_module(sys, &rs_ops);
  if (st != NULL || !create) return st;
  st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  if (!kpi_system_add_module(sys, &rs_ops, st)) {
    free(st);
    return kpi_system_module(sys, &rs_ops);
  }
  return st;
}

static void rs_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  rs_state_t *st = state;
  for (uint32_t b = 0; b < RS_BUCKETS; b++) {
    rs_rec_t *r = st->buckets[b];
    while (r != NULL) {
      rs_rec_t *next = r->next;
      free(r->owners);
      free(r);
      r = next;
    }
  }
  free(st);
}

static uint32_t rs_bucket(const void *p) {
  uintptr_t a = (uintptr_t)p >> 3;
  return (uint32_t)((a ^ (a >> 8) ^ (a >> 16)) % RS_BUCKETS);
}

static rs_rec_t *rs_find(rs_state_t *st, const kp_resource_t *r) {
  if (st == NULL) return NULL;
  for (rs_rec_t *x = st->buckets[rs_bucket(r)]; x != NULL; x = x->next)
    if (x->res == r) return x;
  return NULL;
}

static void rs_unlink(rs_state_t *st, rs_rec_t *rec) {
  rs_rec_t **pp = &st->buckets[rs_bucket(rec->res)];
  while (*pp != rec) pp = &(*pp)->next;
  *pp = rec->next;
  st->count--;
  free(rec->owners);
  free(rec);
}

static rs_owner_t *rs_owner(rs_rec_t *rec, uintptr_t thread) {
  for (uint32_t i = 0; i < rec->nowners; i++)
    if (rec->owners[i].thread == thread) return &rec->owners[i];
  return NULL;
}

// Mirrors the record into the public fields.
static void rs_mirror(rs_rec_t *rec) {
  kp_resource_t *r = rec->res;
  r->active_count = (int16_t)rec->nowners;
  r->active_entries = rec->nowners;
  r->flag = rec->exclusive ? RS_FLAG_EXCLUSIVE : 0;
  r->owner_thread = rec->nowners ? rec->owners[0].thread : 0;
  r->owner_count = rec->nowners ? rec->owners[0].count << 3 : 0;
  r->number_of_shared_waiters = rec->shared_waiters;
  r->number_of_exclusive_waiters = rec->excl_waiters;
}

static bool rs_add_owner(rs_rec_t *rec, uintptr_t thread, uint32_t tid) {
  if (rec->nowners == rec->cap) {
    uint32_t cap = rec->cap ? rec->cap * 2 : 4;
    rs_owner_t *o = realloc(rec->owners, cap * sizeof *o);
    if (o == NULL) return false;
    rec->owners = o;
    rec->cap = cap;
  }
  rec->owners[rec->nowners++] = (rs_owner_t){thread, tid, 1};
  return true;
}

uintptr_t kp_resource_current_thread(void) { return kpi_thread_token(); }

static bool rs_object_ok(kp_resource_t *r, kp_site_t site, const char *api) {
  if (r != NULL && ((uintptr_t)r & 7u) == 0) return true;
  kpi_sync_c4(KP_C4_RESOURCE_UNALIGNED, 0, 0, (uint64_t)(uintptr_t)r, site,
              "%s was passed %s ERESOURCE address %p (it must be nonpaged "
              "and 8-byte aligned).",
              api, r == NULL ? "a NULL" : "a misaligned", (void *)r);
  return false;
}

static void rs_uninit(kp_resource_t *r, kp_site_t site, const char *api) {
  kpi_sync_c4(KP_C4_UNINITIALIZED_RESOURCE, (uint64_t)(uintptr_t)r, 0, 0, site,
              "%s(%p): the resource was never initialised with "
              "ExInitializeResourceLite (or was deleted).",
              api, (void *)r);
}

kp_status_t kp_resource_init(kp_resource_t *r, kp_site_t site) {
  const char *api = "ExInitializeResourceLite";
  if (!rs_object_ok(r, site, api)) return KP_STATUS_SUCCESS;
  kp_system_t *sys = kpi_current();
  kpi_waitq_lock();
  rs_state_t *st = rs_state(sys, true);
  rs_rec_t *rec = rs_find(st, r);
  if (rec != NULL) {
    char where[256];
    kpi_site_text(rec->init_site, where, sizeof where);
    kpi_waitq_unlock();
    kpi_sync_c4(KP_C4_RESOURCE_REINITIALIZED, (uint64_t)(uintptr_t)r, 0, 0, site,
                "%s(%p): the resource is already initialised (at %s) and was "
                "not deleted; use ExReinitializeResourceLite, or "
                "ExDeleteResourceLite first.",
                api, (void *)r, where);
    return KP_STATUS_SUCCESS;
  }
  rec = st != NULL ? calloc(1, sizeof *rec) : NULL;
  if (rec == NULL) {
    kpi_waitq_unlock();
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  rec->res = r;
  rec->init_site = site;
  rec->init_thread = kp_thread_id();
  uint32_t b = rs_bucket(r);
  rec->next = st->buckets[b];
  st->buckets[b] = rec;
  st->count++;
  memset(r, 0, sizeof *r);
  r->address = r;
  rs_mirror(rec);
  kpi_waitq_unlock();
  kpi_lock_forget(r);
  return KP_STATUS_SUCCESS;
}

// Delete and reinitialise share their checks. @remove: delete.
static kp_status_t rs_retire(kp_resource_t *r, bool remove, kp_site_t site,
                             const char *api) {
  if (!rs_object_ok(r, site, api)) return KP_STATUS_SUCCESS;
  kpi_waitq_lock();
  rs_state_t *st = rs_state(kpi_current(), false);
  rs_rec_t *rec = rs_find(st, r);
  if (rec == NULL) {
    kpi_waitq_unlock();
    if (remove)
      kpi_sync_c4(KP_C4_RESOURCE_DELETE_UNINIT, (uint64_t)(uintptr_t)r, 0, 0,
                  site, "%s(%p): the resource is not initialised (never, or "
                  "deleted already).",
                  api, (void *)r);
    else
      rs_uninit(r, site, api);
    return KP_STATUS_SUCCESS;
  }
  if (rec->nowners != 0 || rec->shared_waiters != 0 || rec->excl_waiters != 0) {
    uint32_t tid = rec->nowners ? rec->owners[0].tid : 0;
    bool excl = rec->exclusive;
    uint32_t waiters = rec->shared_waiters + rec->excl_waiters;
    kpi_waitq_unlock();
    if (tid != 0)
      kpi_sync_c4(KP_C4_LOCK_DELETED_OWNED, (uint64_t)(uintptr_t)r, 0, 0, site,
                  "%s(%p) while the resource is owned (%s, by thread %u%s).",
                  api, (void *)r, excl ? "exclusive" : "shared", (unsigned)tid,
                  excl ? "" : " and maybe others");
    else
      kpi_sync_c4(KP_C4_LOCK_DELETED_OWNED, (uint64_t)(uintptr_t)r, 0, 0, site,
                  "%s(%p) while %u thread%s still wait%s for the resource.",
                  api, (void *)r, (unsigned)waiters, waiters == 1 ? "" : "s",
                  waiters == 1 ? "s" : "");
    return KP_STATUS_SUCCESS;
  }
  if (remove) {
    rs_unlink(st, rec);
  } else {
    rec->shared_waiters = rec->excl_waiters = 0;
    r->contention_count = 0;
    rs_mirror(rec);
  }
  kpi_waitq_unlock();
  kpi_lock_forget(r);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_resource_reinit(kp_resource_t *r, kp_site_t site) {
  return rs_retire(r, false, site, "ExReinitializeResourceLite");
}

kp_status_t kp_resource_delete(kp_resource_t *r, kp_site_t site) {
  return rs_retire(r, true, site, "ExDeleteResourceLite");
}

static const char *const rs_acq_api[] = {
    "ExAcquireResourceExclusiveLite", "ExAcquireResourceSharedLite",
    "ExAcquireSharedStarveExclusive", "ExAcquireSharedWaitForExclusive"};

/* What an acquire may do now. */
enum rs_verdict { RS_GRANT, RS_RECURSE, RS_WAIT, RS_SELF_DEADLOCK };

static enum rs_verdict rs_decide(const rs_rec_t *rec, kp_resource_mode_t mode,
                                 const rs_owner_t *mine) {
  if (mine != NULL) {
    if (rec->exclusive) return RS_RECURSE;  // exclusive owner: any mode nests
    if (mode == KP_RESOURCE_EXCLUSIVE) return RS_SELF_DEADLOCK;
    if (mode == KP_RESOURCE_WAIT_FOR_EXCLUSIVE && rec->excl_waiters != 0)
      return RS_SELF_DEADLOCK;
    return RS_RECURSE;
  }
  if (rec->nowners == 0) return RS_GRANT;
  if (rec->exclusive || mode == KP_RESOURCE_EXCLUSIVE) return RS_WAIT;
  if (mode == KP_RESOURCE_STARVE_EXCLUSIVE) return RS_GRANT;
  return rec->excl_waiters == 0 ? RS_GRANT : RS_WAIT;
}

bool kp_resource_acquire(kp_resource_t *r, kp_resource_mode_t mode, bool wait,
                         kp_site_t site) {
  if ((unsigned)mode > KP_RESOURCE_WAIT_FOR_EXCLUSIVE) mode = KP_RESOURCE_EXCLUSIVE;
  const char *api = rs_acq_api[mode];
  if (!rs_object_ok(r, site, api)) return false;
  kp_irql_t irql = kpi_irql();
  if (irql > KP_APC_LEVEL) {
    kpi_sync_bugcheck(KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL, (uint64_t)(uintptr_t)r,
                      irql, 0, 0, site,
                      "%s(%p) called at IRQL %u (%s); resources are acquired "
                      "at or below APC_LEVEL.",
                      api, (void *)r, (unsigned)irql, kpi_irql_name(irql));
    return false;
  }
  if (kpi_sync_verifier() && !kpi_normal_apcs_off()) {
    kpi_sync_c4(KP_C4_RESOURCE_ACQUIRE_APCS, irql, kpi_apc_combined(),
                (uint64_t)(uintptr_t)r, site,
                "%s(%p) with normal kernel APCs enabled: acquire resources "
                "inside a critical region (KeEnterCriticalRegion) and keep it "
                "until the release.",
                api, (void *)r);
    return false;
  }
  uintptr_t me = kpi_thread_token();
  uint32_t tid = kp_thread_id();
  bool held = kpi_held_find(r) != NULL;
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  if (rec == NULL) {
    kpi_waitq_unlock();
    rs_uninit(r, site, api);
    return false;
  }
  enum rs_verdict v = rs_decide(rec, mode, rs_owner(rec, me));
  kpi_waitq_unlock();
  if (v == RS_SELF_DEADLOCK) {
    if (!wait) return false;
    kpi_sync_self_deadlock(r, site, api,
                           mode == KP_RESOURCE_EXCLUSIVE
                               ? "resource shared (an exclusive request by a "
                                 "shared owner waits for itself)"
                               : "resource shared while an exclusive request "
                                 "waits (ExAcquireSharedWaitForExclusive waits "
                                 "behind it)");
    return false;
  }
  if (!held && !kpi_lock_acquiring(r, KPI_LOCK_RESOURCE, wait, site, api))
    return false;
  bool shared = mode != KP_RESOURCE_EXCLUSIVE;
  kpi_waitq_lock();
  rec = rs_find(rs_state(kpi_current(), false), r);
  if (rec == NULL) {
    kpi_waitq_unlock();
    rs_uninit(r, site, api);
    return false;
  }
  v = rs_decide(rec, mode, rs_owner(rec, me));
  if (v == RS_WAIT) {
    if (!wait) {
      kpi_waitq_unlock();
      return false;
    }
    if (shared) rec->shared_waiters++; else rec->excl_waiters++;
    r->contention_count++;
    rs_mirror(rec);
    while ((v = rs_decide(rec, mode, rs_owner(rec, me))) == RS_WAIT)
      kpi_waitq_sleep();
    if (shared) rec->shared_waiters--; else rec->excl_waiters--;
  }
  bool ok = true;
  if (v == RS_RECURSE) {
    rs_owner(rec, me)->count++;
  } else {
    // RS_GRANT (a self-deadlock cannot appear while waiting: the owner
    // entry of this thread cannot change meanwhile).
    ok = rs_add_owner(rec, me, tid);
    if (ok && !shared) rec->exclusive = true;
  }
  bool now_shared = !rec->exclusive;
  rs_mirror(rec);
  // Waiting exclusive requests changed: shared waiters may proceed.
  kpi_waitq_broadcast_locked();
  kpi_waitq_unlock();
  if (ok) kpi_lock_acquired(r, KPI_LOCK_RESOURCE, now_shared, site);
  return ok;
}

// The release-by-non-owner report (0xE3, or 0x1004/0x1007 with deadlock
// detection). @other: an owner's thread number, 0 if none.
static void rs_not_owner(kp_resource_t *r, uintptr_t who, uint32_t other,
                         kp_site_t site, const char *api) {
  if (kpi_sync_deadlock_on())
    kpi_sync_c4(other ? KP_C4_UNEXPECTED_THREAD : KP_C4_UNACQUIRED_RESOURCE,
                (uint64_t)(uintptr_t)r, other, other ? kp_thread_id() : 0, site,
                "%s(%p): the calling thread does not own the resource%s.", api,
                (void *)r, other ? " (another thread does)" : " (nobody does)");
  else
    kpi_sync_bugcheck(KP_BUGCHECK_RESOURCE_NOT_OWNED, (uint64_t)(uintptr_t)r,
                      who, 0, 0, site,
                      "%s(%p): thread %#llx does not own the resource%s.", api,
                      (void *)r, (unsigned long long)who,
                      other ? " (another thread does)" : " (nobody does)");
}

void kp_resource_release(kp_resource_t *r, uintptr_t thread, kp_site_t site) {
  const char *api = thread == 0 ? "ExReleaseResourceLite"
                                : "ExReleaseResourceForThreadLite";
  if (!rs_object_ok(r, site, api)) return;
  uintptr_t me = kpi_thread_token();
  uintptr_t who = thread == 0 ? me : thread;
  if (who == me && kpi_sync_verifier() && !kpi_normal_apcs_off()) {
    kp_irql_t irql = kpi_irql();
    kpi_sync_c4(KP_C4_RESOURCE_RELEASE_APCS, irql, kpi_apc_combined(),
                (uint64_t)(uintptr_t)r, site,
                "%s(%p) with normal kernel APCs enabled: the critical region "
                "must last until the release.",
                api, (void *)r);
    return;
  }
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  if (rec == NULL) {
    kpi_waitq_unlock();
    rs_uninit(r, site, api);
    return;
  }
  rs_owner_t *o = rs_owner(rec, who);
  if (o == NULL) {
    uint32_t other = rec->nowners ? rec->owners[0].tid : 0;
    kpi_waitq_unlock();
    rs_not_owner(r, who, other, site, api);
    return;
  }
  if (--o->count == 0) {
    *o = rec->owners[--rec->nowners];
    if (rec->nowners == 0) rec->exclusive = false;
  }
  rs_mirror(rec);
  kpi_waitq_broadcast_locked();
  kpi_waitq_unlock();
  if (who == me) kpi_lock_released(r, NULL);
}

void kp_resource_set_owner(kp_resource_t *r, uintptr_t owner, kp_site_t site) {
  const char *api = "ExSetResourceOwnerPointer";
  if (!rs_object_ok(r, site, api)) return;
  if ((owner & 3u) != 3u) {
    kp_raise_status(KP_STATUS_INVALID_PARAMETER_2);
    return;
  }
  uintptr_t me = kpi_thread_token();
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  if (rec == NULL) {
    kpi_waitq_unlock();
    rs_uninit(r, site, api);
    return;
  }
  rs_owner_t *o = rs_owner(rec, me);
  if (o == NULL) {
    uint32_t other = rec->nowners ? rec->owners[0].tid : 0;
    kpi_waitq_unlock();
    rs_not_owner(r, me, other, site, api);
    return;
  }
  rs_owner_t *to = rs_owner(rec, owner);
  if (to != NULL) {
    to->count += o->count;
    *o = rec->owners[--rec->nowners];
  } else {
    o->thread = owner;
    o->tid = 0;
  }
  rs_mirror(rec);
  kpi_waitq_unlock();
  while (kpi_lock_released(r, NULL)) {
  }
}

void kp_resource_convert_to_shared(kp_resource_t *r, kp_site_t site) {
  const char *api = "ExConvertExclusiveToSharedLite";
  if (!rs_object_ok(r, site, api)) return;
  uintptr_t me = kpi_thread_token();
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  if (rec == NULL) {
    kpi_waitq_unlock();
    rs_uninit(r, site, api);
    return;
  }
  if (!rec->exclusive || rs_owner(rec, me) == NULL) {
    kpi_waitq_unlock();
    kpi_sync_bugcheck(KP_BUGCHECK_RESOURCE_NOT_OWNED, (uint64_t)(uintptr_t)r, me,
                      0, 0, site,
                      "%s(%p): the calling thread does not own the resource "
                      "exclusive.",
                      api, (void *)r);
    return;
  }
  rec->exclusive = false;
  rs_mirror(rec);
  kpi_waitq_broadcast_locked();
  kpi_waitq_unlock();
  kpi_held_t *h = kpi_held_find(r);
  if (h != NULL) h->shared = 1;
}

bool kp_resource_is_exclusive(kp_resource_t *r) {
  if (r == NULL) return false;
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  bool yes = rec != NULL && rec->exclusive &&
             rs_owner(rec, kpi_thread_token()) != NULL;
  kpi_waitq_unlock();
  return yes;
}

uint32_t kp_resource_shared_count(kp_resource_t *r) {
  if (r == NULL) return 0;
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  const rs_owner_t *o = rec != NULL ? rs_owner(rec, kpi_thread_token()) : NULL;
  uint32_t n = o != NULL ? o->count : 0;
  kpi_waitq_unlock();
  return n;
}

uint32_t kp_resource_waiters(kp_resource_t *r, bool exclusive) {
  if (r == NULL) return 0;
  kpi_waitq_lock();
  rs_rec_t *rec = rs_find(rs_state(kpi_current(), false), r);
  uint32_t n = rec == NULL ? 0 : exclusive ? rec->excl_waiters : rec->shared_waiters;
  kpi_waitq_unlock();
  return n;
}

static void rs_unload_check(kp_system_t *sys, void *state) {
  rs_state_t *st = state;
  kpi_writer_t o = {sys, NULL, NULL};
  const void *first = NULL;
  kpi_waitq_lock();
  uint32_t n = st->count;
  if (n != 0)
    kpi_writef(&o, "kpool: driver unload: %u ERESOURCE%s initialised and never "
                   "deleted (ExDeleteResourceLite):\n",
               (unsigned)n, n == 1 ? " is" : "s are");
  for (uint32_t b = 0; b < RS_BUCKETS; b++) {
    for (rs_rec_t *rec = st->buckets[b]; rec != NULL; rec = rec->next) {
      char where[256];
      kpi_site_text(rec->init_site, where, sizeof where);
      kpi_writef(&o, "  %p initialised at %s (thread %u)%s\n", (void *)rec->res,
                 where, (unsigned)rec->init_thread,
                 rec->nowners ? ", still owned" : "");
      if (first == NULL) first = rec->res;
    }
  }
  kpi_waitq_unlock();
  if (first == NULL) return;
  kpi_sync_c4(KP_C4_RESOURCE_AT_UNLOAD, (uint64_t)(uintptr_t)first, 0, 0,
              kp_site(NULL, 0, NULL),
              "The driver unloads with %u ERESOURCE%s still initialised (listed "
              "above); delete each with ExDeleteResourceLite before its memory "
              "goes away. P2 is the first.",
              (unsigned)n, n == 1 ? "" : "s");
}

static void rs_before_free(kp_system_t *sys, void *state,
                           const kp_block_info_t *block) {
  (void)sys;
  rs_state_t *st = state;
  const uint8_t *lo = (const uint8_t *)block->address;
  const uint8_t *hi = lo + block->size;
  const void *hit = NULL;
  kp_site_t init = kp_site(NULL, 0, NULL);
  kpi_waitq_lock();
  for (uint32_t b = 0; b < RS_BUCKETS && hit == NULL; b++)
    for (rs_rec_t *rec = st->buckets[b]; rec != NULL; rec = rec->next) {
      const uint8_t *p = (const uint8_t *)rec->res;
      if (p >= lo && p < hi) {
        hit = rec->res;
        init = rec->init_site;
        break;
      }
    }
  kpi_waitq_unlock();
  if (hit == NULL) return;
  char where[256];
  kpi_site_text(init, where, sizeof where);
  kpi_sync_c4(KP_C4_RESOURCE_IN_FREED_POOL, (uint64_t)(uintptr_t)hit,
              block->pool_type, (uint64_t)(uintptr_t)block->address,
              kp_site(NULL, 0, NULL),
              "The pool block %p being freed contains the ERESOURCE %p "
              "(initialised at %s), which was never deleted with "
              "ExDeleteResourceLite.",
              block->address, hit, where);
}
