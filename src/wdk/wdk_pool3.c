/*
 * wdk_pool3.c — ExAllocatePool3, ExFreePool2, ExCreatePool, ExDestroyPool,
 * ExSecurePoolUpdate, ExSecurePoolValidate, KeGetCurrentProcessorNumberEx
 * and KeQueryHighestNodeNumber as real exported functions over
 * kpool/pool3.h and kpool/secure.h, each allocation/free/create/destroy
 * name with a site-taking twin for the call-site macros.
 *
 * No logic lives here: the only work is converting POOL_EXTENDED_PARAMETER
 * (bit fields) and POOL_EXTENDED_PARAMS_SECURE_POOL into the core's
 * structures, entry by entry, without judging them: every rule is the
 * core's (kp_alloc3, kp_free2).
 */
#include "kpool/wdk/ntddk.h"

#include "kpool/pool3.h"
#include "kpool/secure.h"
#include "kpool/system.h"

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif

#define WDK_SITE_CALLER() kp_site(NULL, 0, WDK_CALLER())
#include "kp_wdk_site.h"

/* The WDK array, converted. Arrays longer than the core reads are passed
 * on unconverted with their count: the core refuses them unread. */
typedef struct wdk_params {
  kp_pool_param_t params[KP_POOL3_MAX_PARAMS];
  kp_secure_params_t secure[KP_POOL3_MAX_PARAMS];
} wdk_params_t;

static const kp_pool_param_t *convert(PCPOOL_EXTENDED_PARAMETER in,
                                      ULONG count, wdk_params_t *out) {
  if (in == NULL) return NULL;
  if (count > KP_POOL3_MAX_PARAMS) return out->params;
  for (ULONG i = 0; i < count; i++) {
    kp_pool_param_t *p = &out->params[i];
    p->type = (uint32_t)in[i].Type;
    p->optional = in[i].Optional != 0;
    p->reserved = (uint64_t)in[i].Reserved;
    switch (in[i].Type) {
    case PoolExtendedParameterPriority:
      p->value.priority = (int32_t)in[i].Priority;
      break;
    case PoolExtendedParameterNumaNode:
      p->value.preferred_node = in[i].PreferredNode;
      break;
    case PoolExtendedParameterSecurePool: {
      const POOL_EXTENDED_PARAMS_SECURE_POOL *s = in[i].SecurePoolParams;
      if (s == NULL) {
        p->value.secure = NULL;
        break;
      }
      // HANDLE and the core's handle are both opaque pointer-sized values.
      out->secure[i].pool = (kp_secure_pool_t)s->SecurePoolHandle;
      out->secure[i].buffer = s->Buffer;
      out->secure[i].cookie = s->Cookie;
      out->secure[i].flags = s->SecurePoolFlags;
      p->value.secure = &out->secure[i];
      break;
    }
    default:
      p->value.raw = in[i].Reserved2;
      break;
    }
  }
  return out->params;
}

static PVOID pool3_alloc(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                         PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                         ULONG ExtendedParametersCount, kp_site_t site) {
  wdk_params_t conv;
  const kp_pool_param_t *params = NULL;
  if (ExtendedParametersCount != 0)
    params = convert(ExtendedParameters, ExtendedParametersCount, &conv);
  return kp_alloc3(kp_system_current(), Flags, NumberOfBytes, Tag, params,
                   ExtendedParametersCount, site);
}

static VOID pool2_free(PVOID P, ULONG Tag,
                       PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                       ULONG ExtendedParametersCount, kp_site_t site) {
  wdk_params_t conv;
  const kp_pool_param_t *params = NULL;
  if (ExtendedParametersCount != 0)
    params = convert(ExtendedParameters, ExtendedParametersCount, &conv);
  kp_free2(kp_system_current(), P, Tag, params, ExtendedParametersCount, site);
}

/* ---------------------------------------------------------------------------
 * ExAllocatePool3 / ExFreePool2
 * ------------------------------------------------------------------------- */

PVOID NTAPI(ExAllocatePool3)(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                             PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                             ULONG ExtendedParametersCount) {
  return pool3_alloc(Flags, NumberOfBytes, Tag, ExtendedParameters,
                     ExtendedParametersCount, WDK_SITE_CALLER());
}

PVOID kp_wdk_ExAllocatePool3_at(POOL_FLAGS Flags, SIZE_T NumberOfBytes,
                                ULONG Tag,
                                PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                                ULONG ExtendedParametersCount,
                                const char *File, ULONG Line) {
  return pool3_alloc(Flags, NumberOfBytes, Tag, ExtendedParameters,
                     ExtendedParametersCount, WDK_SITE_AT(File, Line));
}

VOID NTAPI(ExFreePool2)(PVOID P, ULONG Tag,
                        PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                        ULONG ExtendedParametersCount) {
  pool2_free(P, Tag, ExtendedParameters, ExtendedParametersCount,
             WDK_SITE_CALLER());
}

VOID kp_wdk_ExFreePool2_at(PVOID P, ULONG Tag,
                           PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                           ULONG ExtendedParametersCount, const char *File,
                           ULONG Line) {
  pool2_free(P, Tag, ExtendedParameters, ExtendedParametersCount,
             WDK_SITE_AT(File, Line));
}

/* ---------------------------------------------------------------------------
 * Secure pools
 * ------------------------------------------------------------------------- */

static NTSTATUS create_pool(ULONG Flags, ULONG_PTR Tag,
                            POOL_CREATE_EXTENDED_PARAMS *Params,
                            HANDLE *PoolHandle, kp_site_t site) {
  kp_pool_create_params_t params;
  const kp_pool_create_params_t *pp = NULL;
  if (Params != NULL) {
    params.version = Params->Version;
    pp = &params;
  }
  kp_secure_pool_t handle = NULL;
  kp_status_t st = kp_secure_pool_create(kp_system_current(), Flags, Tag, pp,
                                         PoolHandle != NULL ? &handle : NULL,
                                         site);
  if (PoolHandle != NULL) *PoolHandle = (HANDLE)handle;
  return st;
}

NTSTATUS(ExCreatePool)(ULONG Flags, ULONG_PTR Tag,
                       POOL_CREATE_EXTENDED_PARAMS *Params,
                       HANDLE *PoolHandle) {
  return create_pool(Flags, Tag, Params, PoolHandle, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_ExCreatePool_at(ULONG Flags, ULONG_PTR Tag,
                                POOL_CREATE_EXTENDED_PARAMS *Params,
                                HANDLE *PoolHandle, const char *File,
                                ULONG Line) {
  return create_pool(Flags, Tag, Params, PoolHandle, WDK_SITE_AT(File, Line));
}

VOID(ExDestroyPool)(HANDLE PoolHandle) {
  kp_secure_pool_destroy(kp_system_current(), (kp_secure_pool_t)PoolHandle,
                         WDK_SITE_CALLER());
}

VOID kp_wdk_ExDestroyPool_at(HANDLE PoolHandle, const char *File, ULONG Line) {
  kp_secure_pool_destroy(kp_system_current(), (kp_secure_pool_t)PoolHandle,
                         WDK_SITE_AT(File, Line));
}

NTSTATUS ExSecurePoolUpdate(HANDLE SecurePoolHandle, ULONG Tag,
                            PVOID Allocation, ULONG_PTR Cookie, SIZE_T Offset,
                            SIZE_T Size, PVOID Buffer) {
  return kp_secure_update(kp_system_current(),
                          (kp_secure_pool_t)SecurePoolHandle, Tag, Allocation,
                          Cookie, Offset, Size, Buffer);
}

LOGICAL ExSecurePoolValidate(HANDLE SecurePoolHandle, ULONG Tag,
                             PVOID Allocation, ULONG_PTR Cookie) {
  return kp_secure_validate(kp_system_current(),
                            (kp_secure_pool_t)SecurePoolHandle, Tag,
                            Allocation, Cookie)
             ? TRUE
             : FALSE;
}

/* ---------------------------------------------------------------------------
 * Processors
 * ------------------------------------------------------------------------- */

ULONG NTAPI KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber) {
  kp_processor_number_t n;
  uint32_t index = kp_numa_current_processor(&n);
  if (ProcNumber != NULL) {
    ProcNumber->Group = n.group;
    ProcNumber->Number = n.number;
    ProcNumber->Reserved = 0;
  }
  return index;
}

USHORT NTAPI KeQueryHighestNodeNumber(VOID) {
  uint32_t nodes = kp_numa_node_count(kp_system_current());
  return (USHORT)(nodes > 0 ? nodes - 1 : 0);
}
