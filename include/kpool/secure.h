/**
 * @file kpool/secure.h
 * @brief The secure pool (Kernel Data Protection): ExCreatePool,
 *        ExDestroyPool, ExSecurePoolUpdate, ExSecurePoolValidate, and the
 *        bug checks that guard it.
 *
 * What is simulated (facts §1.9; Microsoft documents little of it, so most
 * of the behaviour below is kpool's choice and is marked *choice*):
 *
 * - A secure pool is created with kp_secure_pool_create() (ExCreatePool)
 *   and gets a handle: an opaque value, never a pointer, checked on every
 *   use. Each pool owns a page-backed arena of KP_SECURE_POOL_CAPACITY
 *   bytes (*choice*) whose pages are **read-only to the driver for real**
 *   (host page protection). kpool writes into it only inside its own calls
 *   (allocation with the initial buffer, kp_secure_update(), the fill of a
 *   freed block), lifting the protection of just the pages concerned under
 *   the pool's lock. So a driver that writes to secure memory takes a page
 *   fault, which kpool turns into bug check 0xBE
 *   ATTEMPTED_WRITE_TO_READONLY_MEMORY:
 *   P1 = the address written, P2 = 0 (the PTE: kpool has none),
 *   P3 = the secure pool handle, P4 = the start of the allocation written
 *   to (0 when the address is in no allocation) (*choice* for P3/P4, which
 *   Windows reserves), with the allocation described in the report (tag,
 *   size, pool handle, allocation site and thread).
 *   If the bug check handler returns instead of ending the test (a
 *   longjmp), the write must still complete for the program to go on:
 *   kpool then lifts the protection of that host page, lets the write
 *   happen and restores the protection at the pool's next kpool write.
 *   The cookie still guards the data: ExSecurePoolValidate() checks
 *   handle, tag, address and cookie, not the contents.
 *   Known limit: another thread's write that lands while kpool itself has
 *   lifted the protection (inside one of its calls) is not caught.
 * - The cookie and flags of every secure allocation live in kpool's own
 *   out-of-band records, never in or next to the block.
 * - Blocks are placed as in the other pools: 16-byte granules below a
 *   page, never crossing a simulated page; page-aligned from a page up;
 *   64-byte aligned with POOL_FLAG_CACHE_ALIGNED. There is no header in
 *   front of a secure block.
 *
 * @par Bug checks (BAD_POOL_CALLER 0xC2, kpool subcodes)
 * Microsoft does not document BAD_POOL_CALLER parameters for the secure
 * pool; kpool uses these P1 values, chosen not to collide with Microsoft's
 * table (facts §5.2):
 * | P1 | meaning | P2 | P3 | P4 |
 * |---|---|---|---|---|
 * | KP_C2_FREE2_BAD_PARAMETERS 0x5C01 | ExFreePool2 parameter array malformed | address | count | KP_FREE2_* rule broken |
 * | KP_C2_SECURE_BAD_HANDLE 0x5C02 | not a live secure pool handle (ExFreePool2, ExDestroyPool) | address (0 for ExDestroyPool) | handle | 0 |
 * | KP_C2_SECURE_BAD_COOKIE 0x5C03 | ExFreePool2 with the wrong cookie | address | handle | cookie passed |
 * | KP_C2_SECURE_NOT_FREEABLE 0x5C04 | ExFreePool2 on a block without SECURE_POOL_FLAGS_FREEABLE | address | handle | the block's flags |
 * | KP_C2_SECURE_FREED_WITHOUT_PARAMS 0x5C05 | ExFreePool / ExFreePoolWithTag / ExFreePool2 without parameters on secure memory | address | handle of the pool it is in | tag passed |
 * | KP_C2_SECURE_NOT_IN_POOL 0x5C06 | ExFreePool2 with secure parameters on an address that is not a live block of that pool (an ordinary block, another pool's, a wild pointer) | address | handle | 0 |
 * | KP_C2_SECURE_DESTROY_LIVE 0x5C07 | ExDestroyPool with allocations still alive | handle | live allocations | bytes |
 * A secure block freed twice gets the core's double-free bug check
 * (0xC4/0x13 under the verifier with P2 = 0, P3 = the address, P4 = 0;
 * 0xC2/0x07 retail with P2 = P3 = 0, P4 = the address: a secure block has
 * no header to show) with both sites, and a tag mismatch on ExFreePool2
 * the usual 0xC2/0x0A. kpool remembers the last 64 frees of each secure
 * pool for this (*choice*): an older free, or an address a newer block now
 * occupies, is diagnosed as KP_C2_SECURE_NOT_IN_POOL or by that block's
 * own checks (cookie, tag) instead.
 *
 * @par ExDestroyPool with live allocations (*choice*)
 * kpool reports every live allocation (tag, size, site) through the output
 * function, destroys the pool anyway (its memory is released, the handle
 * becomes invalid, any quota the blocks charged is returned), then raises
 * 0xC2 / KP_C2_SECURE_DESTROY_LIVE. The system stays consistent whatever
 * the handler does.
 *
 * @par Unload (*choice*)
 * kp_driver_unload() first runs the core leak check (live secure blocks
 * count as leaks there, 0xC4/0x62, with Pool Tracking). Then, with
 * KP_VERIFY_POOL_TRACKING, secure pools never destroyed are listed and
 * raise 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION with
 * P1 = KP_C4_SECURE_POOL_NOT_DESTROYED (0x5C10), P2 = pools,
 * P3 = allocations in them, P4 = bytes.
 *
 * Every function here is thread-safe.
 */
#ifndef KPOOL_SECURE_H
#define KPOOL_SECURE_H

#include "common.h"
#include "pool.h"
#include "pool3.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of address space each secure pool can hand out (4 MiB). */
#define KP_SECURE_POOL_CAPACITY ((size_t)4 << 20)
/** Secure pools that may exist at once in one system. */
#define KP_SECURE_MAX_POOLS 64u

/** POOL_CREATE_FLG_SECURE_POOL: create a secure pool. */
#define KP_POOL_CREATE_SECURE_POOL 0x1u
/** POOL_CREATE_FLG_USE_GLOBAL_POOL: accepted with SECURE_POOL and
 *  recorded; it changes nothing in the simulation (*choice*). */
#define KP_POOL_CREATE_USE_GLOBAL_POOL 0x2u
/** POOL_CREATE_FLG_VALID_FLAGS. */
#define KP_POOL_CREATE_VALID_FLAGS 0x3u
/** POOL_CREATE_PARAMS_VERSION. */
#define KP_POOL_CREATE_PARAMS_VERSION 1u

/** POOL_CREATE_EXTENDED_PARAMS as in WDK 10.0.22621 (only a version). */
typedef struct kp_pool_create_params {
  uint32_t version; /**< must be KP_POOL_CREATE_PARAMS_VERSION */
} kp_pool_create_params_t;

/* BAD_POOL_CALLER P1 subcodes (table in the file comment). */
#define KP_C2_FREE2_BAD_PARAMETERS 0x5C01u
#define KP_C2_SECURE_BAD_HANDLE 0x5C02u
#define KP_C2_SECURE_BAD_COOKIE 0x5C03u
#define KP_C2_SECURE_NOT_FREEABLE 0x5C04u
#define KP_C2_SECURE_FREED_WITHOUT_PARAMS 0x5C05u
#define KP_C2_SECURE_NOT_IN_POOL 0x5C06u
#define KP_C2_SECURE_DESTROY_LIVE 0x5C07u
/** DRIVER_VERIFIER_DETECTED_VIOLATION P1: secure pools left at unload. */
#define KP_C4_SECURE_POOL_NOT_DESTROYED 0x5C10u

/* P4 of KP_C2_FREE2_BAD_PARAMETERS: which ExFreePool2 rule was broken. */
#define KP_FREE2_NULL_ARRAY 1u      /**< count > 0 with a NULL array */
#define KP_FREE2_BAD_COUNT 2u       /**< count other than 0 or 1 */
#define KP_FREE2_RESERVED_BITS 3u   /**< the entry's Reserved bits are not 0 */
#define KP_FREE2_BAD_TYPE 4u        /**< Type is not PoolExtendedParameterSecurePool */
#define KP_FREE2_NULL_SECURE 5u     /**< SecurePoolParams is NULL */
#define KP_FREE2_BUFFER_NOT_NULL 6u /**< Buffer must be NULL on free */
#define KP_FREE2_FLAGS_NOT_ZERO 7u  /**< SecurePoolFlags must be 0 on free */

/**
 * Simulates ExCreatePool: creates a secure pool and stores its handle in
 * @p handle.
 *
 * @param flags KP_POOL_CREATE_SECURE_POOL, optionally with
 *        KP_POOL_CREATE_USE_GLOBAL_POOL.
 * @param tag the pool's tag (ULONG_PTR in the WDK); must fit 32 bits and
 *        not be 0 (*choice*).
 * @param params NULL, or a structure whose version must be 1.
 * @param handle receives the handle (NULL on failure).
 * @param site the caller, for reports.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 for other flags (any
 *         bit beyond 0x3, or no SECURE_POOL: kpool simulates secure pools
 *         only); STATUS_INVALID_PARAMETER_2 for a zero tag or one above 32
 *         bits; STATUS_INVALID_PARAMETER for a version other than 1;
 *         STATUS_INVALID_PARAMETER_4 for a NULL @p handle;
 *         STATUS_INSUFFICIENT_RESOURCES when KP_SECURE_MAX_POOLS pools
 *         exist or the host refuses the address space.
 * @bugcheck IRQL_NOT_LESS_OR_EQUAL (0xA) when called above PASSIVE_LEVEL
 *           (ExCreatePool is PASSIVE_LEVEL only): P1 = caller address,
 *           P2 = IRQL, P3 = 8 (execute), P4 = caller address (*choice*,
 *           in both verifier modes). Nothing is created.
 */
KP_API kp_status_t kp_secure_pool_create(kp_system_t *sys, uint32_t flags,
                                         uintptr_t tag,
                                         const kp_pool_create_params_t *params,
                                         kp_secure_pool_t *handle,
                                         kp_site_t site);

/**
 * Simulates ExDestroyPool. No IRQL rule is enforced (undocumented).
 * @bugcheck 0xC2 / KP_C2_SECURE_BAD_HANDLE for a handle that is not a live
 *           secure pool of @p sys (never created, already destroyed).
 * @bugcheck 0xC2 / KP_C2_SECURE_DESTROY_LIVE after destroying a pool that
 *           still had allocations (see the file comment).
 */
KP_API void kp_secure_pool_destroy(kp_system_t *sys, kp_secure_pool_t pool,
                                   kp_site_t site);

/**
 * Simulates ExSecurePoolUpdate: copies @p size bytes from @p buffer over
 * the allocation at @p offset. The checks, in this order, and their
 * statuses (Microsoft documents none; *choice*):
 * @return STATUS_SUCCESS (also for @p size 0 with @p offset within the
 *         block: nothing changes);
 *         STATUS_INVALID_HANDLE: @p pool is not a live secure pool;
 *         STATUS_INVALID_PARAMETER_3: @p allocation is not the start of a
 *         live allocation of that pool;
 *         STATUS_INVALID_PARAMETER_2: @p tag differs from its tag;
 *         STATUS_INVALID_PARAMETER_4: @p cookie differs from its cookie;
 *         STATUS_ACCESS_DENIED: it was not allocated MODIFIABLE;
 *         STATUS_INVALID_PARAMETER: @p offset + @p size beyond the bytes
 *         requested (overflow-safe);
 *         STATUS_INVALID_PARAMETER_7: @p buffer NULL with @p size > 0.
 * A mismatched tag or cookie also counts as a failed validation. No IRQL
 * rule is enforced (undocumented). @p buffer may point into secure memory.
 */
KP_API kp_status_t kp_secure_update(kp_system_t *sys, kp_secure_pool_t pool,
                                    kp_tag_t tag, void *allocation,
                                    uintptr_t cookie, size_t offset,
                                    size_t size, const void *buffer);

/**
 * Simulates ExSecurePoolValidate: true only when @p pool is a live secure
 * pool of @p sys, @p allocation is the start of one of its live
 * allocations, and @p tag and @p cookie are that allocation's. Every false
 * answer is counted as a failed validation (per pool when the handle is
 * valid, per system otherwise). No IRQL rule is enforced.
 */
KP_API bool kp_secure_validate(kp_system_t *sys, kp_secure_pool_t pool,
                               kp_tag_t tag, const void *allocation,
                               uintptr_t cookie);

/** What kpool reports about one secure pool. */
typedef struct kp_secure_pool_info {
  kp_secure_pool_t handle;
  kp_tag_t tag;
  uint32_t create_flags;       /**< KP_POOL_CREATE_* */
  uint64_t allocations;        /**< live allocations */
  uint64_t bytes;              /**< bytes they occupy (rounded blocks) */
  uint64_t total_allocations;  /**< since creation */
  uint64_t frees;
  uint64_t failed_allocations; /**< did not fit in the arena */
  uint64_t failed_validations; /**< validate/update with a wrong tag, cookie or address */
  uint64_t updates;            /**< successful kp_secure_update() calls */
  uint64_t write_faults;       /**< driver writes caught (0xBE) */
  size_t capacity;             /**< KP_SECURE_POOL_CAPACITY */
  kp_site_t site;              /**< where it was created */
} kp_secure_pool_info_t;

/** Fills @p info for a live pool; false for an invalid handle or NULLs. */
KP_API bool kp_secure_pool_query(kp_system_t *sys, kp_secure_pool_t pool,
                                 kp_secure_pool_info_t *info);

/** System-wide secure pool counters. */
typedef struct kp_secure_totals {
  uint32_t pools;              /**< live secure pools */
  uint64_t pools_created;
  uint64_t allocations;        /**< live secure allocations */
  uint64_t bytes;
  uint64_t failed_validations; /**< all pools, plus calls with bad handles */
  uint64_t bad_handles;        /**< calls that named no live pool */
  uint64_t write_faults;
} kp_secure_totals_t;

/** Fills @p out (zeroes when no secure pool was ever used). */
KP_API void kp_secure_get_totals(kp_system_t *sys, kp_secure_totals_t *out);

/**
 * Calls @p fn for each live secure pool until it returns false. The pools
 * are locked meanwhile: @p fn must not call into kpool.
 */
typedef bool (*kp_secure_pool_visitor_fn)(const kp_secure_pool_info_t *info,
                                          void *arg);
KP_API void kp_secure_visit_pools(kp_system_t *sys,
                                  kp_secure_pool_visitor_fn fn, void *arg);

/**
 * Makes sure kpool's page-fault handler is installed, so that a driver's
 * write to secure memory becomes bug check 0xBE. Test frameworks may
 * replace the process's SIGSEGV handler: CMocka installs its own around
 * every setup, test and teardown and restores the old one after. kpool
 * re-installs its handler (keeping the framework's for faults that are not
 * kpool's) on every kp_secure_pool_create(), secure allocation,
 * kp_secure_update() and kp_secure_validate(). Call this before a write
 * that should bug check when none of those ran in the current test
 * function (for instance when the secure block was made in a setup
 * fixture). Does nothing before the first secure pool. Thread-safe.
 */
KP_API void kp_secure_arm_fault_handler(void);

/**
 * Writes one line per live secure pool (handle, tag, allocations, bytes,
 * failed validations, write faults) and a total line; the pool3 module's
 * report hook prints it too. @p out NULL means the system's output
 * function.
 */
KP_API void kp_secure_report(kp_system_t *sys, kp_output_fn out, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_SECURE_H */
