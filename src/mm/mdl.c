/*
 * mdl.c — MDLs over simulated memory: allocation in non-paged pool,
 * building for non-paged pool, probe and lock with simulated PFNs,
 * mapping, partial MDLs, and the Verifier's MDL checks. See kpool/mdl.h.
 *
 * Per-system state (the registered user buffers) lives in the "mdl"
 * module. Locking rule as everywhere: decide under the lock, unlock, then
 * raise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "ex/kp_ex.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "kpool/mdl.h"

_Static_assert(sizeof(void *) != 8 || sizeof(kp_mdl_t) == 0x30,
               "MDL is 0x30 bytes on x64");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, size) == 0x08,
               "Size at 0x08");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, flags) == 0x0A,
               "MdlFlags at 0x0A");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, process) == 0x10,
               "Process at 0x10");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, mapped_va) == 0x18,
               "MappedSystemVa at 0x18");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, start_va) == 0x20,
               "StartVa at 0x20");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, byte_count) == 0x28,
               "ByteCount at 0x28");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_mdl_t, byte_offset) == 0x2C,
               "ByteOffset at 0x2C");

#define MDL_P1_PROBE_IRQL 0x70u
#define MDL_P1_MAP_IRQL 0x76u
#define MDL_P1_MAP_USER_IRQL 0x77u
#define MDL_P1_UNLOCK_IRQL 0x78u
#define MDL_P1_UNMAP_IRQL 0x79u
#define MDL_P1_UNLOCK_NOT_LOCKED 0x7Cu
#define MDL_P1_UNLOCK_NONPAGED 0x7Du
#define MDL_P1_BUILD_NOT_NONPAGED 0x7Fu
#define MDL_P1_MAP_BUGCHECK_ON_FAILURE 0x82u
#define MDL_P1_PROBE_FLAGS 0xB0u
#define MDL_P1_MAP_FLAGS 0xB2u
#define MDL_P1_MAP_MISSING_FLAGS 0xB3u
#define MDL_P1_UNLOCK_PARTIAL 0xB4u
#define MDL_P1_FREE_MAPPED 0xB8u

#define BUGCHECK_TARGET_MDL_TOO_SMALL 0x40u
#define BUGCHECK_PROCESS_HAS_LOCKED_PAGES 0x76u

/* ---------------------------------------------------------------------------
 * Module state: registered user buffers.
 * ------------------------------------------------------------------------- */

typedef struct user_buffer {
  uintptr_t start;
  uintptr_t end;
  bool writable;
} user_buffer_t;

typedef struct mdl_state {
  kpi_mutex_t lock;
  user_buffer_t *buf;
  size_t count;
  size_t cap;
} mdl_state_t;

static void mod_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  mdl_state_t *st = state;
  kpi_mutex_destroy(&st->lock);
  free(st->buf);
  free(st);
}

static const kpi_module_ops_t mdl_ops = {
    .name = "mdl",
    .destroy = mod_destroy,
};

static mdl_state_t *state_get(kp_system_t *sys, bool create) {
  mdl_state_t *st = kpi_system_module(sys, &mdl_ops);
  if (st != NULL || !create) return st;
  st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  kpi_mutex_init(&st->lock);
  if (!kpi_system_add_module(sys, &mdl_ops, st)) {
    kpi_mutex_destroy(&st->lock);
    free(st);
    return kpi_system_module(sys, &mdl_ops);
  }
  return st;
}

kp_status_t kp_mdl_register_user_buffer(kp_system_t *sys, void *addr,
                                        size_t length, bool writable) {
  if (sys == NULL || addr == NULL || length == 0 ||
      (uintptr_t)addr + length < (uintptr_t)addr)
    return KP_STATUS_INVALID_PARAMETER;
  mdl_state_t *st = state_get(sys, true);
  if (st == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  uintptr_t s = (uintptr_t)addr;
  uintptr_t e = s + length;
  kp_status_t result = KP_STATUS_SUCCESS;
  kpi_mutex_lock(&st->lock);
  for (size_t i = 0; i < st->count; i++) {
    if (s < st->buf[i].end && st->buf[i].start < e) {
      result = KP_STATUS_INVALID_PARAMETER;
      goto out;
    }
  }
  if (st->count == st->cap) {
    size_t cap = st->cap == 0 ? 8 : st->cap * 2;
    user_buffer_t *nb = realloc(st->buf, cap * sizeof *nb);
    if (nb == NULL) {
      result = KP_STATUS_INSUFFICIENT_RESOURCES;
      goto out;
    }
    st->buf = nb;
    st->cap = cap;
  }
  st->buf[st->count].start = s;
  st->buf[st->count].end = e;
  st->buf[st->count].writable = writable;
  st->count++;
out:
  kpi_mutex_unlock(&st->lock);
  return result;
}

kp_status_t kp_mdl_unregister_user_buffer(kp_system_t *sys, void *addr) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  mdl_state_t *st = state_get(sys, false);
  if (st == NULL) return KP_STATUS_NOT_FOUND;
  kp_status_t result = KP_STATUS_NOT_FOUND;
  kpi_mutex_lock(&st->lock);
  for (size_t i = 0; i < st->count; i++) {
    if (st->buf[i].start == (uintptr_t)addr) {
      st->buf[i] = st->buf[st->count - 1];
      st->count--;
      result = KP_STATUS_SUCCESS;
      break;
    }
  }
  kpi_mutex_unlock(&st->lock);
  return result;
}

// True when [s, e) is inside one registered user buffer; *writable says
// whether that buffer may be written.
static bool user_range(kp_system_t *sys, uintptr_t s, uintptr_t e,
                       bool *writable) {
  mdl_state_t *st = state_get(sys, false);
  if (st == NULL) return false;
  bool found = false;
  kpi_mutex_lock(&st->lock);
  for (size_t i = 0; i < st->count; i++) {
    if (st->buf[i].start <= s && e <= st->buf[i].end) {
      found = true;
      *writable = st->buf[i].writable;
      break;
    }
  }
  kpi_mutex_unlock(&st->lock);
  return found;
}

// True when [s, e) is inside the requested bytes of one live pool block.
static bool pool_range(kp_system_t *sys, uintptr_t s, uintptr_t e,
                       kp_block_info_t *info) {
  if (!kp_block_query(sys, (const void *)s, info)) return false;
  uintptr_t bs = (uintptr_t)info->address;
  return s >= bs && e <= bs + info->size;
}

/* ---------------------------------------------------------------------------
 * Geometry.
 * ------------------------------------------------------------------------- */

uintptr_t kp_mdl_pfn(const void *va) { return (uintptr_t)va >> KPI_PAGE_SHIFT; }

size_t kp_mdl_pages_spanned(const void *va, size_t size) {
  size_t off = (uintptr_t)va & (KPI_PAGE_SIZE - 1u);
  return (off + size + KPI_PAGE_SIZE - 1u) >> KPI_PAGE_SHIFT;
}

size_t kp_mdl_size_of(const void *base, size_t length) {
  return sizeof(kp_mdl_t) +
         sizeof(uintptr_t) * kp_mdl_pages_spanned(base, length);
}

uintptr_t *kp_mdl_pfns(kp_mdl_t *mdl) { return (uintptr_t *)(void *)(mdl + 1); }

static inline uint16_t flags_of(const kp_mdl_t *mdl) {
  return (uint16_t)mdl->flags;
}

static inline void flags_set(kp_mdl_t *mdl, uint16_t f) {
  mdl->flags = (int16_t)f;
}

static inline uintptr_t mdl_va(const kp_mdl_t *mdl) {
  return (uintptr_t)mdl->start_va + mdl->byte_offset;
}

void kp_mdl_init(kp_mdl_t *mdl, void *base, size_t length) {
  mdl->next = NULL;
  // The WDK stores the size through a CSHORT cast: large MDLs wrap.
  mdl->size = (int16_t)(uint16_t)kp_mdl_size_of(base, length);
  mdl->flags = 0;
  mdl->process = NULL;
  mdl->mapped_va = NULL;
  mdl->start_va = (void *)((uintptr_t)base & ~(uintptr_t)(KPI_PAGE_SIZE - 1u));
  mdl->byte_offset = (uint32_t)((uintptr_t)base & (KPI_PAGE_SIZE - 1u));
  mdl->byte_count = (uint32_t)length;
}

static void fill_pfns(kp_mdl_t *mdl) {
  size_t n = kp_mdl_pages_spanned((const void *)mdl_va(mdl), mdl->byte_count);
  uintptr_t *pfn = kp_mdl_pfns(mdl);
  uintptr_t first = kp_mdl_pfn(mdl->start_va);
  for (size_t i = 0; i < n; i++) pfn[i] = first + i;
}

/* ---------------------------------------------------------------------------
 * Bug checks (no lock is held when these run).
 * ------------------------------------------------------------------------- */

static void mdl_bugcheck(kp_system_t *sys, uint64_t p1, uint64_t p2,
                         uint64_t p3, uint64_t p4, kp_site_t site,
                         const char *what) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  char where[160];
  kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, p1,
                     p2, p3, p4, &ctx, "%s\n  call site: %s", what,
                     kpi_site_text(site, where, sizeof where));
}

static bool irql_ok(kp_system_t *sys, kp_irql_t max, uint64_t p1, uint64_t p3,
                    uint64_t p4, kp_site_t site, const char *routine) {
  kp_irql_t irql = kpi_irql();
  if (irql <= max) return true;
  char text[200];
  snprintf(text, sizeof text,
           "The driver called %s at IRQL %u; the highest allowed is %u.",
           routine, (unsigned)irql, (unsigned)max);
  mdl_bugcheck(sys, p1, irql, p3, p4, site, text);
  return false;
}

/* ---------------------------------------------------------------------------
 * Allocation and free.
 * ------------------------------------------------------------------------- */

kp_mdl_t *kp_mdl_alloc(kp_system_t *sys, void *va, uint32_t length,
                       bool secondary, bool charge_quota, void **irp_mdl_slot,
                       kp_site_t site) {
  if (sys == NULL || length > KP_MDL_MAX_LENGTH) return NULL;
  // The request ExAllocatePoolWithTag(NonPagedPoolNx, size, 'Mdl ') would
  // make (ExAllocatePoolWithQuotaTag with POOL_QUOTA_FAIL_INSTEAD_OF_RAISE
  // when charging quota: IoAllocateMdl reports failure with NULL, never a
  // raise), built here so that mm/ does not call up into ex/.
  kpi_request_t rq;
  memset(&rq, 0, sizeof rq);
  rq.api =
      charge_quota ? KP_API_ALLOCATE_POOL_QUOTA : KP_API_ALLOCATE_POOL_WITH_TAG;
  rq.pool_type = KP_POOL_TYPE_NONPAGED_NX |
                 (charge_quota ? KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE : 0u);
  rq.kind = KP_POOL_NONPAGED;
  rq.flags = KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_UNINITIALIZED |
             (charge_quota ? KP_POOL_FLAG_USE_QUOTA : 0u);
  rq.size = kp_mdl_size_of(va, length);
  rq.tag = KP_TAG_MDL;
  rq.priority = KP_PRIORITY_NORMAL;
  rq.node = KPI_NODE_CURRENT;
  rq.quota = charge_quota;
  rq.align = KPI_GRANULE;
  rq.site = site;
  kp_status_t why = KP_STATUS_SUCCESS;
  kp_mdl_t *mdl = kpi_alloc(sys, &rq, &why);
  // A failure is counted as every failed allocation is; an IRQL violation
  // already raised its bug check.
  if (mdl == NULL && why != KPI_STATUS_BUGCHECKED)
    atomic_fetch_add(&sys->failed_allocs, 1);
  if (mdl == NULL) return NULL;
  kp_mdl_init(mdl, va, length);
  if (irp_mdl_slot != NULL) {
    if (!secondary || *irp_mdl_slot == NULL) {
      *irp_mdl_slot = mdl;
    } else {
      kp_mdl_t *tail = *irp_mdl_slot;
      while (tail->next != NULL) tail = tail->next;
      tail->next = mdl;
    }
  }
  return mdl;
}

void kp_mdl_free(kp_system_t *sys, kp_mdl_t *mdl, kp_site_t site) {
  if (sys == NULL) return;
  kp_block_info_t info;
  // Only an MDL that is a live block is read: anything else goes straight
  // to the pool's free, which diagnoses it.
  if (mdl != NULL && kp_block_query(sys, mdl, &info) && info.address == mdl &&
      info.size >= sizeof(kp_mdl_t)) {
    uint16_t f = flags_of(mdl);
    if ((f & KP_MDL_PARTIAL) != 0) {
      // IoFreeMdl releases a partial MDL's own mapping.
      if ((f & KP_MDL_PARTIAL_HAS_BEEN_MAPPED) != 0)
        flags_set(mdl, (uint16_t)(f & ~(KP_MDL_PARTIAL_HAS_BEEN_MAPPED |
                                        KP_MDL_MAPPED_TO_SYSTEM_VA)));
    } else if ((f & KP_MDL_MAPPED_TO_SYSTEM_VA) != 0 &&
               (f & KP_MDL_SOURCE_IS_NONPAGED_POOL) == 0) {
      mdl_bugcheck(sys, MDL_P1_FREE_MAPPED, (uint64_t)(uintptr_t)mdl, f, 0,
                   site,
                   "IoFreeMdl was called for an MDL whose pages are still "
                   "mapped to a system address (MmUnmapLockedPages or "
                   "MmUnlockPages first).");
      return;
    } else if ((f & KP_MDL_PAGES_LOCKED) != 0) {
      size_t pages =
          kp_mdl_pages_spanned((const void *)mdl_va(mdl), mdl->byte_count);
      kpi_bugcheck_ctx_t ctx = {0};
      ctx.site = site;
      kpi_bugcheck_raise(
          sys, BUGCHECK_PROCESS_HAS_LOCKED_PAGES, 0,
          (uint64_t)(uintptr_t)mdl->process, pages, 0, &ctx,
          "IoFreeMdl was called for MDL %p whose %zu page(s) are still "
          "locked (MmUnlockPages first). Windows finds the locked pages when "
          "the process exits; kpool reports them at the free.",
          (void *)mdl, pages);
      return;
    }
  }
  kpi_free(sys, mdl, 0, false, &site);
}

/* ---------------------------------------------------------------------------
 * Building, locking, unlocking.
 * ------------------------------------------------------------------------- */

void kp_mdl_build_nonpaged(kp_system_t *sys, kp_mdl_t *mdl, kp_site_t site) {
  uintptr_t s = mdl_va(mdl);
  uintptr_t e = s + mdl->byte_count;
  kp_block_info_t info;
  if (!pool_range(sys, s, e, &info) || info.pool != KP_POOL_NONPAGED) {
    bool paged = kp_block_query(sys, (const void *)s, &info) &&
                 info.pool == KP_POOL_PAGED;
    char text[300];
    snprintf(text, sizeof text,
             "MmBuildMdlForNonPagedPool was called for MDL %p describing "
             "[%p, %p), which is %s.",
             (void *)mdl, (void *)s, (void *)e,
             paged ? "paged pool"
                   : "not inside one live non-paged pool block (kpool's "
                     "check: Windows would build garbage page numbers)");
    mdl_bugcheck(sys, MDL_P1_BUILD_NOT_NONPAGED, kpi_irql(),
                 (uint64_t)(uintptr_t)mdl, flags_of(mdl), site, text);
    return;
  }
  fill_pfns(mdl);
  mdl->mapped_va = (void *)s;
  flags_set(mdl, (uint16_t)(flags_of(mdl) | KP_MDL_SOURCE_IS_NONPAGED_POOL));
}

void kp_mdl_probe_and_lock(kp_system_t *sys, kp_mdl_t *mdl, int access_mode,
                           int operation, kp_site_t site) {
  if (!irql_ok(sys, KP_DISPATCH_LEVEL, MDL_P1_PROBE_IRQL,
               (uint64_t)(uintptr_t)mdl, (uint64_t)access_mode, site,
               "MmProbeAndLockPages"))
    return;
  uint16_t f = flags_of(mdl);
  uint16_t wrong =
      (uint16_t)(f & (KP_MDL_PAGES_LOCKED | KP_MDL_SOURCE_IS_NONPAGED_POOL |
                      KP_MDL_PARTIAL | KP_MDL_MAPPED_TO_SYSTEM_VA));
  if (wrong != 0) {
    mdl_bugcheck(sys, MDL_P1_PROBE_FLAGS, (uint64_t)(uintptr_t)mdl, f, wrong,
                 site,
                 "MmProbeAndLockPages was called for an MDL that is already "
                 "locked, mapped, partial or built by "
                 "MmBuildMdlForNonPagedPool.");
    return;
  }
  uintptr_t s = mdl_va(mdl);
  uintptr_t e = s + mdl->byte_count;
  bool write = operation != KP_LOCK_READ;
  bool writable = false;
  kp_block_info_t info;
  bool ok = false;
  if (user_range(sys, s, e, &writable))
    ok = !write || writable;
  else if (access_mode == KP_MODE_KERNEL)
    ok = pool_range(sys, s, e, &info);
  if (!ok) {
    kpi_raise(sys, KP_STATUS_ACCESS_VIOLATION);
    return;
  }
  fill_pfns(mdl);
  f |= KP_MDL_PAGES_LOCKED;
  if (write) f |= KP_MDL_WRITE_OPERATION;
  flags_set(mdl, f);
}

void kp_mdl_unlock(kp_system_t *sys, kp_mdl_t *mdl, kp_site_t site) {
  if (!irql_ok(sys, KP_DISPATCH_LEVEL, MDL_P1_UNLOCK_IRQL,
               (uint64_t)(uintptr_t)mdl, 0, site, "MmUnlockPages"))
    return;
  uint16_t f = flags_of(mdl);
  uint64_t m = (uint64_t)(uintptr_t)mdl;
  if ((f & KP_MDL_PARTIAL) != 0) {
    mdl_bugcheck(sys, MDL_P1_UNLOCK_PARTIAL, m, f, KP_MDL_PARTIAL, site,
                 "MmUnlockPages was called for a partial MDL (built by "
                 "IoBuildPartialMdl); unlock the source MDL instead.");
    return;
  }
  if ((f & KP_MDL_SOURCE_IS_NONPAGED_POOL) != 0) {
    mdl_bugcheck(sys, MDL_P1_UNLOCK_NONPAGED, m, f, 0, site,
                 "MmUnlockPages was called for an MDL built by "
                 "MmBuildMdlForNonPagedPool; its pages are never unlocked.");
    return;
  }
  if ((f & KP_MDL_PAGES_LOCKED) == 0) {
    mdl_bugcheck(sys, MDL_P1_UNLOCK_NOT_LOCKED, m, f, 0, site,
                 "MmUnlockPages was called for an MDL whose pages were never "
                 "successfully locked (or were already unlocked).");
    return;
  }
  // The system mapping goes first, as MmUnlockPages does.
  f &= (uint16_t) ~(KP_MDL_MAPPED_TO_SYSTEM_VA | KP_MDL_PAGES_LOCKED);
  mdl->mapped_va = NULL;
  flags_set(mdl, f);
}

/* ---------------------------------------------------------------------------
 * Mapping.
 * ------------------------------------------------------------------------- */

#define PRIORITY_FLAGS                                                         \
  (KP_MDL_MAPPING_NO_WRITE | KP_MDL_MAPPING_NO_EXECUTE |                       \
   KP_MDL_MAPPING_WITH_GUARD_PTES)
#define CACHE_TYPE_LIMIT 6 /* MmMaximumCacheType */

void *kp_mdl_map(kp_system_t *sys, kp_mdl_t *mdl, int access_mode,
                 int cache_type, void *requested_address,
                 bool bugcheck_on_failure, uint32_t priority, kp_site_t site) {
  (void)requested_address;
  uint64_t m = (uint64_t)(uintptr_t)mdl;
  bool user = access_mode != KP_MODE_KERNEL;
  if (!irql_ok(sys, user ? KP_APC_LEVEL : KP_DISPATCH_LEVEL,
               user ? MDL_P1_MAP_USER_IRQL : MDL_P1_MAP_IRQL, m,
               (uint64_t)access_mode, site, "MmMapLockedPagesSpecifyCache"))
    return NULL;
  uint16_t f = flags_of(mdl);
  if (bugcheck_on_failure && kpi_verifier(sys)) {
    mdl_bugcheck(sys, MDL_P1_MAP_BUGCHECK_ON_FAILURE, m, f, 0, site,
                 "MmMapLockedPagesSpecifyCache was called with "
                 "BugCheckOnFailure TRUE; Driver Verifier requires FALSE.");
    return NULL;
  }
  if (!user) {
    uint16_t wrong = (uint16_t)(f & (KP_MDL_MAPPED_TO_SYSTEM_VA |
                                     KP_MDL_SOURCE_IS_NONPAGED_POOL));
    if (wrong != 0) {
      mdl_bugcheck(sys, MDL_P1_MAP_FLAGS, m, f, wrong, site,
                   "MmMapLockedPagesSpecifyCache (kernel mode) was called for "
                   "an MDL already mapped to a system address or built by "
                   "MmBuildMdlForNonPagedPool (use "
                   "MmGetSystemAddressForMdlSafe).");
      return NULL;
    }
  }
  if ((f & (KP_MDL_PAGES_LOCKED | KP_MDL_PARTIAL |
            KP_MDL_SOURCE_IS_NONPAGED_POOL)) == 0) {
    mdl_bugcheck(sys, MDL_P1_MAP_MISSING_FLAGS, m, f,
                 KP_MDL_PAGES_LOCKED | KP_MDL_SOURCE_IS_NONPAGED_POOL, site,
                 "MmMapLockedPagesSpecifyCache was called for an MDL whose "
                 "pages are not locked (MmProbeAndLockPages first).");
    return NULL;
  }
  if (cache_type < 0 || cache_type >= CACHE_TYPE_LIMIT ||
      (priority & ~(PRIORITY_FLAGS | 0xFFu)) != 0)
    return NULL;
  void *va = (void *)mdl_va(mdl);
  if (user) return va;
  mdl->mapped_va = va;
  f |= KP_MDL_MAPPED_TO_SYSTEM_VA;
  if ((f & KP_MDL_PARTIAL) != 0) f |= KP_MDL_PARTIAL_HAS_BEEN_MAPPED;
  flags_set(mdl, f);
  return va;
}

void kp_mdl_unmap(kp_system_t *sys, void *base, kp_mdl_t *mdl, kp_site_t site) {
  uint64_t m = (uint64_t)(uintptr_t)mdl;
  if (!irql_ok(sys, KP_DISPATCH_LEVEL, MDL_P1_UNMAP_IRQL,
               (uint64_t)(uintptr_t)base, m, site, "MmUnmapLockedPages"))
    return;
  uint16_t f = flags_of(mdl);
  bool system_mapping = (f & KP_MDL_MAPPED_TO_SYSTEM_VA) != 0 &&
                        (f & KP_MDL_SOURCE_IS_NONPAGED_POOL) == 0 &&
                        base == mdl->mapped_va;
  if (system_mapping) {
    f &= (uint16_t) ~(KP_MDL_MAPPED_TO_SYSTEM_VA |
                      KP_MDL_PARTIAL_HAS_BEEN_MAPPED);
    mdl->mapped_va = NULL;
    flags_set(mdl, f);
    return;
  }
  // A user-mode mapping is the buffer's own address and leaves no flag.
  bool user_mapping = (uintptr_t)base == mdl_va(mdl) &&
                      (f & KP_MDL_MAPPED_TO_SYSTEM_VA) == 0 &&
                      (f & (KP_MDL_PAGES_LOCKED | KP_MDL_PARTIAL |
                            KP_MDL_SOURCE_IS_NONPAGED_POOL)) != 0;
  if (user_mapping) return;
  mdl_bugcheck(
      sys, MDL_P1_MAP_FLAGS, m, f,
      f & (KP_MDL_SOURCE_IS_NONPAGED_POOL | KP_MDL_MAPPED_TO_SYSTEM_VA), site,
      "MmUnmapLockedPages was called with an address that is not a "
      "mapping of this MDL (never mapped, already unmapped, or an "
      "MDL built by MmBuildMdlForNonPagedPool). kpool's check: "
      "Windows corrupts its page tables here.");
}

void *kp_mdl_system_address(kp_system_t *sys, kp_mdl_t *mdl, uint32_t priority,
                            kp_site_t site) {
  if ((flags_of(mdl) &
       (KP_MDL_MAPPED_TO_SYSTEM_VA | KP_MDL_SOURCE_IS_NONPAGED_POOL)) != 0)
    return mdl->mapped_va;
  return kp_mdl_map(sys, mdl, KP_MODE_KERNEL, 1 /* MmCached */, NULL, false,
                    priority, site);
}

/* ---------------------------------------------------------------------------
 * Partial MDLs.
 * ------------------------------------------------------------------------- */

static void assertion(kp_system_t *sys, kp_mdl_t *source, uintptr_t va,
                      uint32_t length, kp_site_t site, const char *what) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED,
                     (uint64_t)(int64_t)KP_STATUS_ASSERTION_FAILURE,
                     (uint64_t)(uintptr_t)source, va, length, &ctx,
                     "IoBuildPartialMdl: %s A checked Windows kernel fails "
                     "the routine's ASSERT here (an unhandled "
                     "STATUS_ASSERTION_FAILURE).",
                     what);
}

void kp_mdl_build_partial(kp_system_t *sys, kp_mdl_t *source, kp_mdl_t *target,
                          void *va, uint32_t length, kp_site_t site) {
  uint16_t sf = flags_of(source);
  uintptr_t s0 = mdl_va(source);
  uintptr_t s1 = s0 + source->byte_count;
  uintptr_t v = (uintptr_t)va;
  if ((sf & (KP_MDL_PAGES_LOCKED | KP_MDL_SOURCE_IS_NONPAGED_POOL |
             KP_MDL_PARTIAL)) == 0) {
    assertion(sys, source, v, length, site,
              "the source MDL is neither locked, built for non-paged pool "
              "nor partial, so it has no page numbers to copy.");
    return;
  }
  if (length == 0 && v >= s0 && v <= s1) length = (uint32_t)(s1 - v);
  if (v < s0 || v + length > s1 || v + length < v) {
    assertion(sys, source, v, length, site,
              "the range is not inside the source MDL's buffer.");
    return;
  }
  size_t pages = kp_mdl_pages_spanned(va, length);
  size_t room = ((size_t)(uint16_t)target->size > sizeof(kp_mdl_t))
                    ? ((size_t)(uint16_t)target->size - sizeof(kp_mdl_t)) /
                          sizeof(uintptr_t)
                    : 0;
  // Size is a CSHORT and wraps for MDLs above ~16 MB; a target that is a
  // live pool block (IoAllocateMdl) has its true capacity in the block.
  kp_block_info_t tinfo;
  if (kp_block_query(sys, target, &tinfo) && tinfo.address == (void *)target &&
      tinfo.size > sizeof(kp_mdl_t)) {
    size_t block_room = (tinfo.size - sizeof(kp_mdl_t)) / sizeof(uintptr_t);
    if (block_room > room) room = block_room;
  }
  if (pages > room) {
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = site;
    kpi_bugcheck_raise(sys, BUGCHECK_TARGET_MDL_TOO_SMALL, 0, 0, 0, 0, &ctx,
                       "IoBuildPartialMdl: the target MDL %p has room for %zu "
                       "page(s); [%p, +%u) spans %zu.",
                       (void *)target, room, va, (unsigned)length, pages);
    return;
  }
  size_t first = (size_t)(((v & ~(uintptr_t)(KPI_PAGE_SIZE - 1u)) -
                           (uintptr_t)source->start_va) >>
                          KPI_PAGE_SHIFT);
  uint16_t keep =
      (uint16_t)(flags_of(target) & (KP_MDL_ALLOCATED_FIXED_SIZE |
                                     KP_MDL_PAGE_CONTENTS_INVARIANT));
  uint16_t inherit =
      (uint16_t)(sf & (KP_MDL_SOURCE_IS_NONPAGED_POOL |
                       KP_MDL_MAPPED_TO_SYSTEM_VA | KP_MDL_IO_PAGE_READ));
  target->start_va = (void *)(v & ~(uintptr_t)(KPI_PAGE_SIZE - 1u));
  target->byte_offset = (uint32_t)(v & (KPI_PAGE_SIZE - 1u));
  target->byte_count = length;
  target->process = source->process;
  target->mapped_va = (inherit & (KP_MDL_SOURCE_IS_NONPAGED_POOL |
                                  KP_MDL_MAPPED_TO_SYSTEM_VA)) != 0
                          ? (void *)((uintptr_t)source->mapped_va + (v - s0))
                          : NULL;
  memcpy(kp_mdl_pfns(target), kp_mdl_pfns(source) + first,
         pages * sizeof(uintptr_t));
  flags_set(target, (uint16_t)(keep | inherit | KP_MDL_PARTIAL));
}

void kp_mdl_prepare_reuse(kp_system_t *sys, kp_mdl_t *mdl) {
  (void)sys;
  uint16_t f = flags_of(mdl);
  if ((f & KP_MDL_PARTIAL_HAS_BEEN_MAPPED) != 0) {
    f &= (uint16_t) ~(KP_MDL_PARTIAL_HAS_BEEN_MAPPED |
                      KP_MDL_MAPPED_TO_SYSTEM_VA);
    mdl->mapped_va = NULL;
    flags_set(mdl, f);
  }
}
