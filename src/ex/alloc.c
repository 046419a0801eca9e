/*
 * alloc.c — the allocation entry points' own rules: ExAllocatePool2's
 * POOL_FLAGS rules, the legacy POOL_TYPE rules, tag rules, zero size,
 * raising on failure. Each entry point builds a kpi_request_t and hands
 * it to kpi_alloc() (pool.c).
 */
#include <string.h>

#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "ex/kp_ex.h"
#include "rtl/kp_rtl.h"

#if defined(__GNUC__) || defined(__clang__)
#define ALLOC_RETURN_ADDRESS() __builtin_return_address(0)
#else
#define ALLOC_RETURN_ADDRESS() NULL
#endif

/* Old drivers may still OR in PROTECTED_POOL (0x80000000); the current
 * WDK defines it as 0. Accept it and strip it (facts §1.4). */
#define ALLOC_PROTECTED_POOL 0x80000000u
/* The tag the kernel uses for big pages it could not tag: " GIB". */
#define ALLOC_TAG_BIG 0x20474942u

void *kpi_alloc_failed(kp_system_t *sys, const kpi_request_t *rq,
                       kp_status_t status) {
  atomic_fetch_add(&sys->failed_allocs, 1);
  kpi_fail_record(sys, rq, status);
  if (rq->raise) kpi_raise(sys, status);
  return NULL;
}

static bool tag_has_letter_or_digit(kp_tag_t tag) {
  for (int i = 0; i < 4; i++) {
    unsigned c = (tag >> (8 * i)) & 0xFFu;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
        (c >= 'a' && c <= 'z'))
      return true;
  }
  return false;
}

/* The tag rules every API shares (BAD_POOL_CALLER 0x9C and 0x9D). Returns
 * false after raising. Tag 0 is each API's own business. */
static bool tag_acceptable(kp_system_t *sys, const kpi_request_t *rq) {
  // The common case first: the report's context is built only for a bad
  // tag (copying the site on every allocation is measurable).
  if (rq->tag != ALLOC_TAG_BIG &&
      (rq->tag == 0 || tag_has_letter_or_digit(rq->tag)))
    return true;
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = rq->site;
  char text[5];
  uint64_t caller = (uint64_t)(uintptr_t)rq->site.caller;
  if (rq->tag == ALLOC_TAG_BIG) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x9C, rq->pool_type,
                       rq->size, caller, &ctx,
                       "The driver allocated pool with the tag 'BIG ', which "
                       "the kernel reserves for its own big-page allocations.");
    return false;
  }
  if (rq->tag != 0 && !tag_has_letter_or_digit(rq->tag)) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x9D, rq->tag,
                       rq->pool_type, caller, &ctx,
                       "The driver allocated pool with the tag '%s' "
                       "(0x%08X), which contains no letter or digit.",
                       kp_tag_text(rq->tag, text), (unsigned)rq->tag);
    return false;
  }
  return true;
}

/* Zero size: a verifier violation (0xC4/0x00); retail treats it as one
 * byte, as ReactOS says NT does (facts §1.5). Returns false after raising. */
static bool size_acceptable(kp_system_t *sys, kpi_request_t *rq) {
  if (rq->size != 0) return true;
  if (kpi_verifier(sys)) {
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = rq->site;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                       0x00, kpi_irql(), rq->pool_type, 0, &ctx,
                       "The driver requested a zero-byte pool allocation "
                       "from %s.",
                       kpi_api_name(rq->api));
    return false;
  }
  rq->size = 1;
  return true;
}

bool kpi_alloc_checks(kp_system_t *sys, kpi_request_t *rq) {
  return tag_acceptable(sys, rq) && size_acceptable(sys, rq);
}

void *kpi_alloc_finish(kp_system_t *sys, kpi_request_t *rq) {
  if (!kpi_alloc_checks(sys, rq)) return NULL;
  kp_status_t why = KP_STATUS_SUCCESS;
  void *p = kpi_alloc(sys, rq, &why);
  if (p == NULL && why != KPI_STATUS_BUGCHECKED) {
    // IRQL violations already bug checked; everything else is a failure
    // the caller sees as NULL or a raise.
    return kpi_alloc_failed(sys, rq, why);
  }
  return p;
}

/* ---------------------------------------------------------------------------
 * ExAllocatePool2.
 * ------------------------------------------------------------------------- */
bool kpi_alloc2_request(kpi_request_t *rq, kp_alloc_api_t api,
                        kp_pool_flags_t flags, size_t size, kp_tag_t tag,
                        const kp_site_t *site) {
  memset(rq, 0, sizeof *rq);
  rq->api = api;
  rq->flags = flags;
  rq->size = size;
  rq->tag = tag & ~ALLOC_PROTECTED_POOL;
  rq->priority = KP_PRIORITY_NORMAL;
  rq->node = KPI_NODE_CURRENT;
  // Field by field: a struct copy's 16-byte loads would stall on the
  // caller's 8-byte stores that just built the site.
  rq->site.file = site->file;
  rq->site.line = site->line;
  rq->site.caller = site->caller;
  rq->site.outer = site->outer;
  rq->raise = (flags & KP_POOL_FLAG_RAISE_ON_FAILURE) != 0;
  rq->zero = (flags & KP_POOL_FLAG_UNINITIALIZED) == 0;
  rq->quota = (flags & KP_POOL_FLAG_USE_QUOTA) != 0;
  rq->align = (flags & KP_POOL_FLAG_CACHE_ALIGNED) ? KPI_CACHE_ALIGN : KPI_GRANULE;

  // Required bits kpool does not know (reserved, SESSION, 0xFFFFF800) fail
  // the call; optional bits it does not know are ignored (facts §2.1).
  kp_pool_flags_t required = flags & KP_POOL_FLAG_REQUIRED_MASK;
  bool bad = (required & ~KP_POOL_FLAG_KNOWN_REQUIRED) != 0;
  unsigned types = 0;
  if (flags & KP_POOL_FLAG_NON_PAGED) {
    types++;
    rq->kind = KP_POOL_NONPAGED;
    rq->pool_type = KP_POOL_TYPE_NONPAGED_NX;
  }
  if (flags & KP_POOL_FLAG_NON_PAGED_EXECUTE) {
    types++;
    rq->kind = KP_POOL_NONPAGED;
    rq->pool_type = KP_POOL_TYPE_NONPAGED;
  }
  if (flags & KP_POOL_FLAG_PAGED) {
    types++;
    rq->kind = KP_POOL_PAGED;
    rq->pool_type = KP_POOL_TYPE_PAGED;
  }
  if (types != 1) bad = true;
  if (rq->tag == 0) bad = true;
  return !bad;
}

void kpi_alloc2_note_refusal(kp_pool_flags_t flags, kp_tag_t tag) {
  kp_pool_flags_t unknown =
      flags & KP_POOL_FLAG_REQUIRED_MASK & ~KP_POOL_FLAG_KNOWN_REQUIRED;
  unsigned types = ((flags & KP_POOL_FLAG_NON_PAGED) != 0) +
                   ((flags & KP_POOL_FLAG_NON_PAGED_EXECUTE) != 0) +
                   ((flags & KP_POOL_FLAG_PAGED) != 0);
  if (unknown != 0)
    kpi_fail_note(KP_FAIL_RULE,
                  "POOL_FLAGS 0x%llX: required bits 0x%llX are not known "
                  "(reserved or SESSION)",
                  (unsigned long long)flags, (unsigned long long)unknown);
  else if (types == 0)
    kpi_fail_note(KP_FAIL_RULE,
                  "POOL_FLAGS 0x%llX names no pool type (POOL_FLAG_PAGED, "
                  "_NON_PAGED or _NON_PAGED_EXECUTE)",
                  (unsigned long long)flags);
  else if (types > 1)
    kpi_fail_note(KP_FAIL_RULE, "POOL_FLAGS 0x%llX names %u pool types, not one",
                  (unsigned long long)flags, types);
  else if (tag == 0)
    kpi_fail_note(KP_FAIL_RULE, "the tag is 0");
}

/* kp_alloc2 and kp_alloc2_at's general path; @caller is the public
 * function's return address, recorded when the site names neither a file
 * nor a caller. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void *alloc2_general(kp_system_t *sys, kp_pool_flags_t flags,
                            size_t size, kp_tag_t tag, const kp_site_t *at,
                            const void *caller) {
  if (sys == NULL) return NULL;
  // No copy of a named site (a struct copy is wide loads on the caller's
  // narrow stores: a stall per call).
  kp_site_t own = KP_NOSITE;
  if (at == NULL || (at->file == NULL && at->caller == NULL)) {
    if (at != NULL) own = *at;
    own.caller = caller;
    at = &own;
  }
  kpi_request_t rq;
  if (!kpi_alloc2_request(&rq, KP_API_ALLOCATE_POOL2, flags, size, tag, at)) {
    kpi_alloc2_note_refusal(flags, rq.tag);
    return kpi_alloc_failed(sys, &rq, KP_STATUS_INSUFFICIENT_RESOURCES);
  }
  return kpi_alloc_finish(sys, &rq);
}

/* What kpi_alloc_small_fast falls back to for a named site. */
static void *alloc2_declined(kp_system_t *sys, kp_pool_flags_t flags,
                             size_t size, kp_tag_t tag, const kp_site_t *at) {
  return alloc2_general(sys, flags, size, tag, at, NULL);
}

/* The common request (one pool type, no quota, no cache alignment, no
 * special pool, a tag that passes the tag rules, a named site) goes to the
 * one-pass path, which forwards anything it declines to the general path;
 * a tail call both ways, so this function has no frame of its own. */
static inline void *alloc2_at(kp_system_t *sys, kp_pool_flags_t flags,
                              size_t size, kp_tag_t tag, const kp_site_t *at,
                              const void *caller) {
  kp_pool_flags_t plain = flags & ~(KP_POOL_FLAG_UNINITIALIZED |
                                    KP_POOL_FLAG_RAISE_ON_FAILURE);
  kp_tag_t t = tag & ~ALLOC_PROTECTED_POOL;
  if (sys != NULL && at != NULL && (at->file != NULL || at->caller != NULL) &&
      (plain == KP_POOL_FLAG_NON_PAGED || plain == KP_POOL_FLAG_PAGED ||
       plain == KP_POOL_FLAG_NON_PAGED_EXECUTE) &&
      t != 0 && t != ALLOC_TAG_BIG && tag_has_letter_or_digit(t)) {
    kp_pool_kind_t kind =
        plain == KP_POOL_FLAG_PAGED ? KP_POOL_PAGED : KP_POOL_NONPAGED;
    uint32_t type = plain == KP_POOL_FLAG_PAGED          ? KP_POOL_TYPE_PAGED
                    : plain == KP_POOL_FLAG_NON_PAGED    ? KP_POOL_TYPE_NONPAGED_NX
                                                         : KP_POOL_TYPE_NONPAGED;
    // The tag without PROTECTED_POOL, as the general path strips it too.
    return kpi_alloc_small_fast(
        sys,
        KPI_FAST_MODE(kind, type, KP_API_ALLOCATE_POOL2, KP_PRIORITY_NORMAL,
                      (flags & KP_POOL_FLAG_UNINITIALIZED) == 0, t),
        flags, size, at, alloc2_declined);
  }
  return alloc2_general(sys, flags, size, tag, at, caller);
}

/* The name in parentheses: kpool/pool.h makes kp_alloc2 and kp_free macros
 * over inline forwarders (KP_SITE_FORWARDERS); these are the exported
 * functions behind them. */
void *(kp_alloc2)(kp_system_t *sys, kp_pool_flags_t flags, size_t size,
                kp_tag_t tag, kp_site_t site) {
  return alloc2_at(sys, flags, size, tag, &site, ALLOC_RETURN_ADDRESS());
}

void *kp_alloc2_at(kp_system_t *sys, kp_pool_flags_t flags, size_t size,
                   kp_tag_t tag, const kp_site_t *site) {
  return alloc2_at(sys, flags, size, tag, site, ALLOC_RETURN_ADDRESS());
}

/* ---------------------------------------------------------------------------
 * The legacy allocators.
 * ------------------------------------------------------------------------- */
#define ALLOC_TYPE_MODIFIERS                                                   \
  (KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | KP_POOL_RAISE_IF_ALLOCATION_FAILURE | \
   KP_POOL_COLD_ALLOCATION | KP_POOL_NX_ALLOCATION | KP_POOL_ZERO_ALLOCATION)

bool kpi_priority_valid(kp_priority_t p) {
  switch (p) {
  case KP_PRIORITY_LOW:
  case KP_PRIORITY_LOW_SPECIAL_OVERRUN:
  case KP_PRIORITY_LOW_SPECIAL_UNDERRUN:
  case KP_PRIORITY_NORMAL:
  case KP_PRIORITY_NORMAL_SPECIAL_OVERRUN:
  case KP_PRIORITY_NORMAL_SPECIAL_UNDERRUN:
  case KP_PRIORITY_HIGH:
  case KP_PRIORITY_HIGH_SPECIAL_OVERRUN:
  case KP_PRIORITY_HIGH_SPECIAL_UNDERRUN:
    return true;
  }
  return false;
}

void *kp_alloc_legacy(kp_system_t *sys, kp_alloc_api_t api, uint32_t pool_type,
                      size_t size, kp_tag_t tag, kp_priority_t priority,
                      kp_site_t site) {
  if (sys == NULL) return NULL;
  if (site.file == NULL && site.caller == NULL)
    site.caller = ALLOC_RETURN_ADDRESS();
  kpi_request_t rq;
  memset(&rq, 0, sizeof rq);
  rq.api = api;
  rq.pool_type = pool_type;
  rq.size = size;
  rq.tag = tag & ~ALLOC_PROTECTED_POOL;
  rq.priority = priority;
  rq.node = KPI_NODE_CURRENT;
  rq.site = site;
  rq.quota = api == KP_API_ALLOCATE_POOL_QUOTA ||
             api == KP_API_ALLOCATE_POOL_WITH_QUOTA;
  rq.zero = (pool_type & KP_POOL_ZERO_ALLOCATION) != 0;
  if (rq.quota)
    rq.raise = (pool_type & KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) == 0;
  else
    rq.raise = (pool_type & KP_POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
  // The allocators without a tag record "None" (facts §1.4).
  bool untagged = api == KP_API_ALLOCATE_POOL || api == KP_API_ALLOCATE_POOL_WITH_QUOTA;
  if (untagged) rq.tag = KP_TAG_NONE;

  uint32_t base = pool_type & ~ALLOC_TYPE_MODIFIERS;
  uint32_t plain = base & ~KP_POOL_TYPE_SESSION;
  bool valid = api < KP_API_COUNT_ && kpi_priority_valid(priority) && plain <= 6 &&
               plain != KP_POOL_TYPE_DONT_USE;
  if (!valid) {
    if (api >= KP_API_COUNT_)
      kpi_fail_note(KP_FAIL_RULE, "unknown allocation API %u", (unsigned)api);
    else if (!kpi_priority_valid(priority))
      kpi_fail_note(KP_FAIL_RULE, "%u is not an EX_POOL_PRIORITY value",
                    (unsigned)priority);
    else
      kpi_fail_note(KP_FAIL_RULE, "POOL_TYPE 0x%X is not a pool type a driver "
                    "may allocate from", (unsigned)pool_type);
    return kpi_alloc_failed(sys, &rq, KP_STATUS_INSUFFICIENT_RESOURCES);
  }
  if (untagged) atomic_fetch_add(&sys->untagged_allocs, 1);

  if (rq.tag == 0) {
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = site;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x9B, pool_type, size,
                       (uint64_t)(uintptr_t)site.caller, &ctx,
                       "The driver called %s with a tag of 0.",
                       kpi_api_name(api));
    return NULL;
  }
  if (plain & KP_POOL_TYPE_NONPAGED_MUST_SUCCEED) {
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = site;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x9A, pool_type, size,
                       rq.tag, &ctx,
                       "The driver requested must-succeed pool (POOL_TYPE "
                       "%u), which is no longer supported.",
                       (unsigned)pool_type);
    return NULL;
  }
  rq.kind = (plain & KP_POOL_TYPE_PAGED) ? KP_POOL_PAGED : KP_POOL_NONPAGED;
  rq.align = (plain & 4u) ? KPI_CACHE_ALIGN : KPI_GRANULE;

  // The effective POOL_FLAGS, for reports and kp_block_query.
  if (rq.kind == KP_POOL_PAGED)
    rq.flags = KP_POOL_FLAG_PAGED;
  else if (pool_type & KP_POOL_NX_ALLOCATION)
    rq.flags = KP_POOL_FLAG_NON_PAGED;
  else
    rq.flags = KP_POOL_FLAG_NON_PAGED_EXECUTE;
  if (!rq.zero) rq.flags |= KP_POOL_FLAG_UNINITIALIZED;
  if (rq.quota) rq.flags |= KP_POOL_FLAG_USE_QUOTA;
  if (rq.raise) rq.flags |= KP_POOL_FLAG_RAISE_ON_FAILURE;
  if (rq.align == KPI_CACHE_ALIGN) rq.flags |= KP_POOL_FLAG_CACHE_ALIGNED;
  return kpi_alloc_finish(sys, &rq);
}

/* ---------------------------------------------------------------------------
 * Free.
 * ------------------------------------------------------------------------- */
void (kp_free)(kp_system_t *sys, void *p, kp_tag_t tag, kp_site_t site) {
  if (sys == NULL) return;
  if (site.file == NULL && site.caller == NULL)
    site.caller = ALLOC_RETURN_ADDRESS();
  kpi_free(sys, p, tag, true, &site);
}

void kp_free_at(kp_system_t *sys, void *p, kp_tag_t tag,
                const kp_site_t *site) {
  if (sys == NULL) return;
  if (site != NULL && (site->file != NULL || site->caller != NULL)) {
    kpi_free(sys, p, tag, true, site);
    return;
  }
  kp_site_t own = site != NULL ? *site : KP_NOSITE;
  own.caller = ALLOC_RETURN_ADDRESS();
  kpi_free(sys, p, tag, true, &own);
}
