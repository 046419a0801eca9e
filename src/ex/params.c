/*
 * params.c — POOL_EXTENDED_PARAMETER validation, ExAllocatePool3 and
 * ExFreePool2. The flag and tag rules are ExAllocatePool2's
 * (kpi_alloc2_request in alloc.c); the allocation itself goes to the
 * regular pools (kpi_alloc, which applies priority, NUMA node and quota)
 * or to a secure pool (secure.c).
 *
 * The rules are documented in kpool/pool3.h; comments here say why.
 */
#include <string.h>

#include "ex/secure_internal.h"
#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "ex/kp_ex.h"

#if defined(__GNUC__) || defined(__clang__)
#define PARAMS_RETURN_ADDRESS() __builtin_return_address(0)
#else
#define PARAMS_RETURN_ADDRESS() NULL
#endif

/* The known types, as bits, to find duplicates. */
static uint32_t type_bit(uint32_t type) { return 1u << type; }

static bool type_known(uint32_t type) {
  return type == KP_PARAM_PRIORITY || type == KP_PARAM_SECURE_POOL ||
         type == KP_PARAM_NUMA_NODE;
}

static void result_init(kp_params_result_t *r) {
  memset(r, 0, sizeof *r);
  r->reason = KP_PARAMS_OK;
  r->index = UINT32_MAX;
  r->priority = KP_PRIORITY_NORMAL;
  r->node = KP_NODE_NONE;
}

static kp_status_t refuse(kp_params_result_t *r, kp_params_reason_t reason,
                          uint32_t index, kp_status_t status) {
  r->reason = reason;
  r->index = index;
  return status;
}

/* One entry, known type, Reserved already zero. */
static kp_status_t entry_check(kp_system_t *sys, kp_pool_flags_t flags,
                               const kp_pool_param_t *e, uint32_t i,
                               kp_params_result_t *r) {
  bool nonpaged =
      (flags & (KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE)) != 0;
  switch (e->type) {
  case KP_PARAM_PRIORITY: {
    kp_priority_t prio = (kp_priority_t)e->value.priority;
    if (!kpi_priority_valid(prio))
      return refuse(r, KP_PARAMS_BAD_PRIORITY, i, KP_STATUS_INVALID_PARAMETER_4);
    r->priority = prio;
    r->has_priority = true;
    return KP_STATUS_SUCCESS;
  }
  case KP_PARAM_NUMA_NODE: {
    if (!nonpaged) {
      // Documented as valid with non-paged pool only: an optional entry
      // is dropped, a required one fails the call.
      if (e->optional) {
        r->ignored++;
        return KP_STATUS_SUCCESS;
      }
      return refuse(r, KP_PARAMS_NODE_NEEDS_NONPAGED, i,
                    KP_STATUS_INVALID_PARAMETER_4);
    }
    uint32_t v = e->value.preferred_node;
    bool any = (v & KP_NODE_ANY_OK) != 0;
    uint32_t node = v & ~KP_NODE_ANY_OK;
    if (node >= sys->cfg.numa_nodes) {
      if (!any)
        return refuse(r, KP_PARAMS_BAD_NODE, i, KP_STATUS_INVALID_PARAMETER_4);
      // Any node will do: start from the calling thread's.
      r->node = KP_NODE_NONE;
      r->node_strict = false;
      return KP_STATUS_SUCCESS;
    }
    r->node = node;
    r->node_strict = !any;
    return KP_STATUS_SUCCESS;
  }
  case KP_PARAM_SECURE_POOL: {
    // Secure pool memory is non-paged and NX: POOL_FLAG_NON_PAGED only.
    bool plain_nonpaged =
        (flags & (KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE |
                  KP_POOL_FLAG_PAGED)) == KP_POOL_FLAG_NON_PAGED;
    if (!plain_nonpaged) {
      if (e->optional) {
        r->ignored++;
        return KP_STATUS_SUCCESS;
      }
      return refuse(r, KP_PARAMS_SECURE_NEEDS_NONPAGED, i,
                    KP_STATUS_INVALID_PARAMETER_4);
    }
    const kp_secure_params_t *sp = e->value.secure;
    if (sp == NULL)
      return refuse(r, KP_PARAMS_SECURE_NULL, i, KP_STATUS_INVALID_PARAMETER_4);
    if ((sp->flags & ~KP_SECURE_FLAGS_VALID) != 0)
      return refuse(r, KP_PARAMS_SECURE_BAD_FLAGS, i,
                    KP_STATUS_INVALID_PARAMETER_4);
    if (!kpi_secure_handle_valid(sys, sp->pool))
      return refuse(r, KP_PARAMS_SECURE_BAD_HANDLE, i,
                    KP_STATUS_INVALID_PARAMETER_4);
    r->secure = true;
    r->secure_params = *sp;
    return KP_STATUS_SUCCESS;
  }
  default:
    return KP_STATUS_SUCCESS;
  }
}

/* The array rules, after the flags and tag passed. */
static kp_status_t array_check(kp_system_t *sys, kp_pool_flags_t flags,
                               const kp_pool_param_t *params, uint32_t count,
                               kp_params_result_t *r) {
  if (count == 0) return KP_STATUS_SUCCESS;
  if (params == NULL)
    return refuse(r, KP_PARAMS_NULL_ARRAY, UINT32_MAX,
                  KP_STATUS_INVALID_PARAMETER_4);
  if (count > KP_POOL3_MAX_PARAMS)
    return refuse(r, KP_PARAMS_TOO_MANY, UINT32_MAX,
                  KP_STATUS_INVALID_PARAMETER_5);
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; i++) {
    const kp_pool_param_t *e = &params[i];
    if (e->reserved != 0)
      return refuse(r, KP_PARAMS_RESERVED_BITS, i, KP_STATUS_INVALID_PARAMETER_4);
    if (!type_known(e->type)) {
      if (e->optional) {
        r->ignored++;
        continue;
      }
      return refuse(r, KP_PARAMS_UNKNOWN_REQUIRED, i,
                    KP_STATUS_INVALID_PARAMETER_4);
    }
    if ((seen & type_bit(e->type)) != 0)
      return refuse(r, KP_PARAMS_DUPLICATE, i, KP_STATUS_INVALID_PARAMETER_4);
    seen |= type_bit(e->type);
    kp_status_t st = entry_check(sys, flags, e, i, r);
    if (!KP_SUCCESS(st)) return st;
  }
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_params_check(kp_system_t *sys, kp_pool_flags_t flags,
                            kp_tag_t tag, const kp_pool_param_t *params,
                            uint32_t count, kp_params_result_t *result) {
  kp_params_result_t local;
  kp_params_result_t *r = result != NULL ? result : &local;
  result_init(r);
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  kpi_request_t rq;
  const kp_site_t nosite = KP_NOSITE;
  if (!kpi_alloc2_request(&rq, KP_API_ALLOCATE_POOL3, flags, 1, tag, &nosite)) {
    if (rq.tag == 0 && kpi_alloc2_request(&rq, KP_API_ALLOCATE_POOL3, flags, 1,
                                          1, &nosite))
      return refuse(r, KP_PARAMS_ZERO_TAG, UINT32_MAX,
                    KP_STATUS_INVALID_PARAMETER_3);
    return refuse(r, KP_PARAMS_BAD_FLAGS, UINT32_MAX,
                  KP_STATUS_INVALID_PARAMETER_1);
  }
  return array_check(sys, flags, params, count, r);
}

/* ---------------------------------------------------------------------------
 * ExAllocatePool3.
 * ------------------------------------------------------------------------- */

/* Why array_check refused, in words, for kp_last_failure. */
static void note_params_refusal(const kp_pool_param_t *params, uint32_t count,
                                const kp_params_result_t *r) {
  static const char *const why[] = {
      [KP_PARAMS_OK] = "accepted",
      [KP_PARAMS_BAD_FLAGS] = "the POOL_FLAGS are invalid",
      [KP_PARAMS_ZERO_TAG] = "the tag is 0",
      [KP_PARAMS_NULL_ARRAY] = "the parameter array is NULL with a non-zero count",
      [KP_PARAMS_TOO_MANY] = "more extended parameters than ExAllocatePool3 takes",
      [KP_PARAMS_RESERVED_BITS] = "the Reserved bits are not zero",
      [KP_PARAMS_UNKNOWN_REQUIRED] = "an unknown Type that is not Optional",
      [KP_PARAMS_DUPLICATE] = "this Type was given twice",
      [KP_PARAMS_BAD_PRIORITY] = "Priority is not an EX_POOL_PRIORITY value",
      [KP_PARAMS_NODE_NEEDS_NONPAGED] = "a required NUMA node needs non-paged flags",
      [KP_PARAMS_BAD_NODE] = "the NUMA node does not exist (and MM_ANY_NODE_OK is not set)",
      [KP_PARAMS_SECURE_NEEDS_NONPAGED] = "a required secure pool needs POOL_FLAG_NON_PAGED alone",
      [KP_PARAMS_SECURE_NULL] = "SecurePoolParams is NULL",
      [KP_PARAMS_SECURE_BAD_HANDLE] = "the secure pool handle is not a live pool of this system",
      [KP_PARAMS_SECURE_BAD_FLAGS] = "SecurePoolFlags has bits beyond FREEABLE | MODIFIABLE",
  };
  const char *text = (unsigned)r->reason < sizeof why / sizeof why[0] &&
                             why[r->reason] != NULL
                         ? why[r->reason]
                         : "refused";
  if (r->index != UINT32_MAX && params != NULL && r->index < count)
    kpi_fail_note(KP_FAIL_RULE, "extended parameter %u (type %u): %s",
                  (unsigned)r->index, (unsigned)params[r->index].type, text);
  else
    kpi_fail_note(KP_FAIL_RULE, "ExAllocatePool3 parameters: %s", text);
}
void *kp_alloc3(kp_system_t *sys, kp_pool_flags_t flags, size_t size,
                kp_tag_t tag, const kp_pool_param_t *params, uint32_t count,
                kp_site_t site) {
  if (sys == NULL) return NULL;
  if (site.file == NULL && site.caller == NULL)
    site.caller = PARAMS_RETURN_ADDRESS();
  // A driver that passes extended parameters uses this module: register
  // it, so that its report (pressure, quota, secure pools) is part of the
  // system's reports. Plain calls skip this to stay off the system lock.
  if (count != 0) (void)kpi_pool3_attach(sys);
  kpi_request_t rq;
  if (!kpi_alloc2_request(&rq, KP_API_ALLOCATE_POOL3, flags, size, tag, &site)) {
    kpi_alloc2_note_refusal(flags, rq.tag);
    return kpi_alloc_failed(sys, &rq, KP_STATUS_INSUFFICIENT_RESOURCES);
  }

  kp_params_result_t r;
  result_init(&r);
  if (!KP_SUCCESS(array_check(sys, flags, params, count, &r))) {
    note_params_refusal(params, count, &r);
    return kpi_alloc_failed(sys, &rq, KP_STATUS_INSUFFICIENT_RESOURCES);
  }

  rq.priority = r.priority;
  if (r.node != KP_NODE_NONE) {
    rq.node = r.node;
    rq.node_strict = r.node_strict;
  }
  if (!r.secure) return kpi_alloc_finish(sys, &rq);

  // Secure pool: same tag and size rules, then the secure arena.
  if (!kpi_alloc_checks(sys, &rq)) return NULL;
  kp_status_t why = KP_STATUS_SUCCESS;
  void *p = kpi_secure_alloc(sys, &rq, &r.secure_params, &why);
  if (p == NULL && why != KPI_STATUS_BUGCHECKED) {
    // As for the regular pools: a quota failure raises STATUS_QUOTA_EXCEEDED,
    // every other failure STATUS_INSUFFICIENT_RESOURCES.
    if (why != KP_STATUS_QUOTA_EXCEEDED) why = KP_STATUS_INSUFFICIENT_RESOURCES;
    return kpi_alloc_failed(sys, &rq, why);
  }
  return p;
}

/* ---------------------------------------------------------------------------
 * ExFreePool2.
 * ------------------------------------------------------------------------- */

/* Raises BAD_POOL_CALLER for a malformed ExFreePool2 array. */
static void free2_bad_params(kp_system_t *sys, void *p, uint32_t count,
                             uint32_t rule, kp_site_t site) {
  static const char *const what[] = {
      "",
      "a NULL parameter array with a non-zero count",
      "a parameter count other than 0 or 1",
      "non-zero Reserved bits in the parameter",
      "a parameter type other than PoolExtendedParameterSecurePool",
      "a NULL SecurePoolParams pointer",
      "a non-NULL Buffer in the secure pool parameters (must be NULL on free)",
      "non-zero SecurePoolFlags (must be 0 on free)",
  };
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER,
                     KP_C2_FREE2_BAD_PARAMETERS, (uint64_t)(uintptr_t)p, count,
                     rule, &ctx,
                     "The driver called ExFreePool2 on %p with %s (count "
                     "%u).",
                     p, what[rule], (unsigned)count);
}

void kp_free2(kp_system_t *sys, void *p, kp_tag_t tag,
              const kp_pool_param_t *params, uint32_t count, kp_site_t site) {
  if (sys == NULL) return;
  if (site.file == NULL && site.caller == NULL)
    site.caller = PARAMS_RETURN_ADDRESS();
  if (count == 0) {
    kp_secure_pool_t owner = NULL;
    if (kpi_secure_contains(sys, p, &owner)) {
      kpi_secure_free_without_params(sys, p, tag, owner, "ExFreePool2", site);
      return;
    }
    kpi_free(sys, p, tag, true, &site);
    return;
  }
  uint32_t rule = 0;
  const kp_secure_params_t *sp = NULL;
  if (params == NULL)
    rule = KP_FREE2_NULL_ARRAY;
  else if (count != 1)
    rule = KP_FREE2_BAD_COUNT;
  else if (params[0].reserved != 0)
    rule = KP_FREE2_RESERVED_BITS;
  else if (params[0].type != KP_PARAM_SECURE_POOL)
    rule = KP_FREE2_BAD_TYPE;
  else if ((sp = params[0].value.secure) == NULL)
    rule = KP_FREE2_NULL_SECURE;
  else if (sp->buffer != NULL)
    rule = KP_FREE2_BUFFER_NOT_NULL;
  else if (sp->flags != 0)
    rule = KP_FREE2_FLAGS_NOT_ZERO;
  if (rule != 0) {
    free2_bad_params(sys, p, count, rule, site);
    return;
  }
  kpi_secure_free(sys, p, tag, sp->pool, sp->cookie, site);
}
