/**
 * @file kpool/wdk/kp_wdk_pool3.h
 * @brief WDK face: POOL_EXTENDED_PARAMETER, ExAllocatePool3, ExFreePool2,
 *        ExCreatePool / ExDestroyPool and the secure pool
 *        (ExSecurePoolUpdate, ExSecurePoolValidate), PROCESSOR_NUMBER and
 *        KeGetCurrentProcessorNumberEx.
 *
 * Included by wdm.h near its end, after the basic types, POOL_FLAGS and
 * EX_POOL_PRIORITY; including it directly includes wdm.h first.
 *
 * Every routine is a real exported function with the WDK signature acting
 * on the current system (kp_system_current()). ExAllocatePool3,
 * ExFreePool2, ExCreatePool and ExDestroyPool are also, unless
 * KPOOL_NO_CALL_SITES is defined, function-like macros that pass
 * __FILE__ / __LINE__ to a `kp_wdk_<Name>_at` twin, as the other
 * allocation names in wdm.h do.
 *
 * The rules are the core's; read kpool/pool3.h (ExAllocatePool3 and
 * ExFreePool2: which parameter arrays succeed, which fail, which bug
 * check) and kpool/secure.h (the secure pool, its statuses, bug checks and
 * the 0xBE write fault). In short:
 * - ExAllocatePool3 returns NULL (or raises with POOL_FLAG_RAISE_ON_FAILURE)
 *   for: bad POOL_FLAGS or tag 0 (as ExAllocatePool2); a NULL array with a
 *   count; more than 16 entries; Reserved bits set; a required unknown
 *   Type; a Type given twice; an invalid priority, node or secure-pool
 *   value; a required parameter the flags do not allow (NUMA node without
 *   a non-paged flag; secure pool without POOL_FLAG_NON_PAGED); a node
 *   that is full without MM_ANY_NODE_OK; a priority that cannot be met;
 *   POOL_FLAG_USE_QUOTA beyond the process quota.
 *   A count of 0 means no parameters whatever the pointer. Optional
 *   unknown or conflicting entries are ignored.
 * - ExFreePool2: count 0 for ordinary blocks; exactly one
 *   PoolExtendedParameterSecurePool entry (handle and cookie, Buffer NULL,
 *   flags 0) for secure ones; anything else is BAD_POOL_CALLER.
 *
 * Layouts are those of 64-bit Windows and are checked at compile time
 * below: POOL_EXTENDED_PARAMETER 16 bytes (Type:8, Optional:1,
 * Reserved:55, then an 8-byte union), POOL_EXTENDED_PARAMS_SECURE_POOL 32
 * bytes, PROCESSOR_NUMBER 4 bytes. 32-bit hosts are not supported by this
 * header.
 */
#ifndef KPOOL_WDK_KP_WDK_POOL3_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_POOL3_H
#define KPOOL_WDK_KP_WDK_POOL3_H

#include "../pool3.h"
#include "../secure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * POOL_EXTENDED_PARAMETER (facts §2.5)
 * ========================================================================= */

/** The type of one extended parameter of ExAllocatePool3 / ExFreePool2. */
typedef enum POOL_EXTENDED_PARAMETER_TYPE {
  PoolExtendedParameterInvalidType = 0, /**< never valid: unknown */
  PoolExtendedParameterPriority = 1,    /**< Priority: an EX_POOL_PRIORITY */
  PoolExtendedParameterSecurePool = 2,  /**< SecurePoolParams */
  PoolExtendedParameterNumaNode = 3,    /**< PreferredNode */
  PoolExtendedParameterMax = 4          /**< internal: unknown */
} POOL_EXTENDED_PARAMETER_TYPE,
    *PPOOL_EXTENDED_PARAMETER_TYPE;

#define POOL_EXTENDED_PARAMETER_TYPE_BITS 8
#define POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS 1
#define POOL_EXTENDED_PARAMETER_RESERVED_BITS                                  \
  (64 - POOL_EXTENDED_PARAMETER_TYPE_BITS -                                    \
   POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS)

/** SecurePoolFlags: none. */
#define SECURE_POOL_FLAGS_NONE 0x0
/** The allocation may be freed (ExFreePool2 with handle and cookie). */
#define SECURE_POOL_FLAGS_FREEABLE 0x1
/** The allocation may be changed with ExSecurePoolUpdate. */
#define SECURE_POOL_FLAGS_MODIFIABLE 0x2

/**
 * What a PoolExtendedParameterSecurePool entry points to. On allocation:
 * the pool handle, the initial contents (NumberOfBytes bytes, or NULL for
 * zeroes), the cookie and SECURE_POOL_FLAGS_*. On ExFreePool2: the handle
 * and cookie, Buffer NULL, SecurePoolFlags 0.
 */
typedef struct _POOL_EXTENDED_PARAMS_SECURE_POOL {
  HANDLE SecurePoolHandle;
  PVOID Buffer;
  ULONG_PTR Cookie;
  ULONG SecurePoolFlags;
} POOL_EXTENDED_PARAMS_SECURE_POOL, *PPOOL_EXTENDED_PARAMS_SECURE_POOL;

/** A NUMA node index, optionally ORed with MM_ANY_NODE_OK. */
typedef ULONG POOL_NODE_REQUIREMENT;

/**
 * One extended parameter: Type (POOL_EXTENDED_PARAMETER_TYPE), Optional
 * (1: ignore the entry when its type is unknown or it conflicts with the
 * flags), Reserved (must be 0), then the value for the type.
 */
typedef struct _POOL_EXTENDED_PARAMETER {
  KP_WDK_ANONYMOUS_ struct {
    ULONG64 Type : POOL_EXTENDED_PARAMETER_TYPE_BITS;
    ULONG64 Optional : POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS;
    ULONG64 Reserved : POOL_EXTENDED_PARAMETER_RESERVED_BITS;
  };
  KP_WDK_ANONYMOUS_ union {
    ULONG64 Reserved2;
    PVOID Reserved3;
    EX_POOL_PRIORITY Priority;
    POOL_EXTENDED_PARAMS_SECURE_POOL *SecurePoolParams;
    POOL_NODE_REQUIREMENT PreferredNode;
  };
} POOL_EXTENDED_PARAMETER, *PPOOL_EXTENDED_PARAMETER;

typedef const POOL_EXTENDED_PARAMETER *PCPOOL_EXTENDED_PARAMETER;

C_ASSERT(sizeof(POOL_EXTENDED_PARAMETER) == 16);
C_ASSERT(offsetof(POOL_EXTENDED_PARAMETER, Reserved2) == 8);
C_ASSERT(sizeof(POOL_EXTENDED_PARAMS_SECURE_POOL) == 32);
C_ASSERT(offsetof(POOL_EXTENDED_PARAMS_SECURE_POOL, SecurePoolFlags) == 24);

/* ===========================================================================
 * ExCreatePool parameters (facts §1.9; WDK 10.0.22621 shape)
 * ========================================================================= */

/** Create a secure pool (the only kind kpool simulates). */
#define POOL_CREATE_FLG_SECURE_POOL 0x1
/** Accepted with POOL_CREATE_FLG_SECURE_POOL; no effect in the simulation. */
#define POOL_CREATE_FLG_USE_GLOBAL_POOL 0x2
#define POOL_CREATE_FLG_VALID_FLAGS                                            \
  (POOL_CREATE_FLG_SECURE_POOL | POOL_CREATE_FLG_USE_GLOBAL_POOL)

#define POOL_CREATE_PARAMS_VERSION 0x1

/** Optional ExCreatePool parameters: Version must be 1. */
typedef struct _POOL_CREATE_EXTENDED_PARAMS {
  ULONG Version;
} POOL_CREATE_EXTENDED_PARAMS, *PPOOL_CREATE_EXTENDED_PARAMS;

/* ===========================================================================
 * Processors (facts: none; PROCESSOR_NUMBER as in the WDK)
 * ========================================================================= */

/** A processor: its group (64 per group) and number within it. */
typedef struct _PROCESSOR_NUMBER {
  USHORT Group;
  UCHAR Number;
  UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;

C_ASSERT(sizeof(PROCESSOR_NUMBER) == 4);

/**
 * KeGetCurrentProcessorNumberEx: the system-wide index of the calling
 * thread's simulated processor (kp_numa_current_processor()); fills
 * @p ProcNumber (may be NULL) with its group and number. Set a thread's
 * processor with kp_thread_set_processor().
 */
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumberEx(
    PPROCESSOR_NUMBER ProcNumber);

/** KeQueryHighestNodeNumber: the simulated node count minus one. */
NTKERNELAPI USHORT NTAPI KeQueryHighestNodeNumber(VOID);

/* ===========================================================================
 * ExAllocatePool3 / ExFreePool2
 * ========================================================================= */

/**
 * ExAllocatePool3: kp_alloc3(). ExAllocatePool2 plus extended parameters
 * (priority, preferred NUMA node, secure pool); rules in the file comment
 * and kpool/pool3.h. NULL on failure, or with POOL_FLAG_RAISE_ON_FAILURE a
 * raise of STATUS_INSUFFICIENT_RESOURCES (STATUS_QUOTA_EXCEEDED when the
 * process quota is what failed).
 * @bugcheck as ExAllocatePool2 (IRQL, zero size under the verifier, tags).
 */
NTKERNELAPI PVOID NTAPI ExAllocatePool3(
    POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
    PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
    ULONG ExtendedParametersCount);

/**
 * ExFreePool2: kp_free2(). Count 0 for ordinary blocks (then exactly
 * ExFreePoolWithTag); one PoolExtendedParameterSecurePool entry with the
 * pool handle and cookie for secure blocks.
 * @bugcheck BAD_POOL_CALLER (0xC2) for bad parameters, a wrong handle or
 *           cookie, a block not FREEABLE (P1 subcodes in kpool/secure.h),
 *           a tag mismatch (0x0A); the other free diagnoses of
 *           ExFreePoolWithTag.
 */
NTKERNELAPI VOID NTAPI ExFreePool2(PVOID P, ULONG Tag,
                                   PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                                   ULONG ExtendedParametersCount);

/* ===========================================================================
 * Secure pools (kpool/secure.h)
 * ========================================================================= */

/**
 * ExCreatePool: kp_secure_pool_create(). @p Flags must be
 * POOL_CREATE_FLG_SECURE_POOL (optionally | POOL_CREATE_FLG_USE_GLOBAL_POOL);
 * @p Params may be NULL.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 (flags),
 *         STATUS_INVALID_PARAMETER_2 (tag 0 or above 32 bits),
 *         STATUS_INVALID_PARAMETER (Version != 1),
 *         STATUS_INVALID_PARAMETER_4 (NULL @p PoolHandle),
 *         STATUS_INSUFFICIENT_RESOURCES (64 pools exist).
 * @bugcheck 0xA above PASSIVE_LEVEL.
 */
KP_API NTSTATUS ExCreatePool(ULONG Flags, ULONG_PTR Tag,
                             POOL_CREATE_EXTENDED_PARAMS *Params,
                             HANDLE *PoolHandle);

/**
 * ExDestroyPool: kp_secure_pool_destroy().
 * @bugcheck 0xC2 / 0x5C02 for a handle that is not a live secure pool;
 *           0xC2 / 0x5C07 after destroying a pool with live allocations.
 */
KP_API VOID ExDestroyPool(HANDLE PoolHandle);

/**
 * ExSecurePoolUpdate: kp_secure_update(). Copies @p Size bytes of
 * @p Buffer to @p Allocation + @p Offset.
 * @return STATUS_SUCCESS; STATUS_INVALID_HANDLE (pool),
 *         STATUS_INVALID_PARAMETER_3 (not a live allocation of the pool),
 *         STATUS_INVALID_PARAMETER_2 (tag), STATUS_INVALID_PARAMETER_4
 *         (cookie), STATUS_ACCESS_DENIED (not SECURE_POOL_FLAGS_MODIFIABLE),
 *         STATUS_INVALID_PARAMETER (Offset + Size out of bounds),
 *         STATUS_INVALID_PARAMETER_7 (NULL @p Buffer with @p Size > 0).
 */
KP_API NTSTATUS ExSecurePoolUpdate(HANDLE SecurePoolHandle, ULONG Tag,
                                   PVOID Allocation, ULONG_PTR Cookie,
                                   SIZE_T Offset, SIZE_T Size, PVOID Buffer);

/**
 * ExSecurePoolValidate: kp_secure_validate(). TRUE only when the handle,
 * tag, address and cookie all match one live secure allocation.
 */
KP_API LOGICAL ExSecurePoolValidate(HANDLE SecurePoolHandle, ULONG Tag,
                                    PVOID Allocation, ULONG_PTR Cookie);

/* Site-taking twins the call-site macros use; @p File / @p Line name the
 * caller's source line. Same behaviour as the functions above. */
KP_API PVOID kp_wdk_ExAllocatePool3_at(
    POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
    PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
    ULONG ExtendedParametersCount, const char *File, ULONG Line);
KP_API VOID kp_wdk_ExFreePool2_at(PVOID P, ULONG Tag,
                                  PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                                  ULONG ExtendedParametersCount,
                                  const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_ExCreatePool_at(ULONG Flags, ULONG_PTR Tag,
                                       POOL_CREATE_EXTENDED_PARAMS *Params,
                                       HANDLE *PoolHandle, const char *File,
                                       ULONG Line);
KP_API VOID kp_wdk_ExDestroyPool_at(HANDLE PoolHandle, const char *File,
                                    ULONG Line);

#ifdef __cplusplus
}
#endif

/* Call-site macros (see wdm.h). */
#if !defined(KPOOL_NO_CALL_SITES)
#define ExAllocatePool3(Flags, NumberOfBytes, Tag, ExtendedParameters,         \
                        ExtendedParametersCount) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePool3_at((Flags), (NumberOfBytes), (Tag),                   \
                            (ExtendedParameters), (ExtendedParametersCount),   \
                            __FILE__, __LINE__))
#define ExFreePool2(P, Tag, ExtendedParameters, ExtendedParametersCount)       \
  kp_wdk_ExFreePool2_at((P), (Tag), (ExtendedParameters),                      \
                        (ExtendedParametersCount), __FILE__, __LINE__)
#define ExCreatePool(Flags, Tag, Params, PoolHandle)                           \
  kp_wdk_ExCreatePool_at((Flags), (Tag), (Params), (PoolHandle), __FILE__,     \
                         __LINE__)
#define ExDestroyPool(PoolHandle)                                              \
  kp_wdk_ExDestroyPool_at((PoolHandle), __FILE__, __LINE__)
#endif /* !KPOOL_NO_CALL_SITES */

#endif /* KPOOL_WDK_KP_WDK_POOL3_H */
