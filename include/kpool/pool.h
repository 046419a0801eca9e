/**
 * @file kpool/pool.h
 * @brief Paged and non-paged pool: allocation and free with Windows
 *        semantics (ExAllocatePool2 flag rules, legacy POOL_TYPE rules,
 *        tag checks, zeroing), block sizes and integrity checks.
 *
 * Memory model (what the simulator does, as on x64 Windows):
 * - Requests up to 4064 bytes (a page minus two 16-byte headers, as on x64
 *   Windows) come in 16-byte granules with a 16-byte header in front of the
 *   returned pointer; the header holds the tag at offset 4, so
 *   `((uint32_t *)p)[-3]` shows the tag, as a debugger would, and its
 *   PoolType byte (offset 3) is the pool type + 1, with the quota bit (8)
 *   when the block charged quota.
 * - Larger requests are page-aligned and rounded up to whole pages.
 * - Non-paged pool is executable where the host allows writable and
 *   executable pages (NonPagedPool, NonPagedPoolExecute and
 *   POOL_FLAG_NON_PAGED_EXECUTE need it; NX requests share the memory);
 *   macOS on Apple silicon and SELinux-confined hosts give read/write only.
 * - Every live block has an out-of-band record (tag, size, pool, flags, node,
 *   priority, sequence number, thread, site). Validity never depends on
 *   memory the driver can write.
 * - Each host thread allocates through its own cache (Windows' per-processor
 *   lists): a block may be freed by any thread and is checked and
 *   quarantined where it was allocated; no lock is global.
 * - The bytes after the requested size up to the end of the block hold a
 *   canary (kp_config_t::canary_fill), checked at free and by kp_verify().
 * - Freed blocks are filled with kp_config_t::free_fill and kept in a FIFO
 *   quarantine; a change to that fill is found when the block leaves the
 *   quarantine or at kp_verify() and raises 0xC6.
 *
 * Every function here is thread-safe.
 */
#ifndef KPOOL_POOL_H
#define KPOOL_POOL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * POOL_FLAGS (ExAllocatePool2/3), bit for bit as in the WDK.
 * Low 32 bits are required: an unknown one fails the allocation.
 * High 32 bits are optional: unknown ones are ignored.
 * ------------------------------------------------------------------------- */
typedef uint64_t kp_pool_flags_t;
#define KP_POOL_FLAG_USE_QUOTA 0x0000000000000001ull
#define KP_POOL_FLAG_UNINITIALIZED 0x0000000000000002ull
#define KP_POOL_FLAG_SESSION 0x0000000000000004ull /* reserved for the OS: fails */
#define KP_POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ull
#define KP_POOL_FLAG_RESERVED1 0x0000000000000010ull
#define KP_POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ull
#define KP_POOL_FLAG_NON_PAGED 0x0000000000000040ull
#define KP_POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ull
#define KP_POOL_FLAG_PAGED 0x0000000000000100ull
#define KP_POOL_FLAG_RESERVED2 0x0000000000000200ull
#define KP_POOL_FLAG_RESERVED3 0x0000000000000400ull
#define KP_POOL_FLAG_REQUIRED_MASK 0x00000000FFFFFFFFull
#define KP_POOL_FLAG_SPECIAL_POOL 0x0000000100000000ull
#define KP_POOL_FLAG_OPTIONAL_MASK 0xFFFFFFFF00000000ull
/** Required bits kpool understands and accepts. Any other required bit
 *  (SESSION, RESERVED1..3, 0xFFFFF800) makes the allocation fail. */
#define KP_POOL_FLAG_KNOWN_REQUIRED                                            \
  (KP_POOL_FLAG_USE_QUOTA | KP_POOL_FLAG_UNINITIALIZED |                       \
   KP_POOL_FLAG_CACHE_ALIGNED | KP_POOL_FLAG_RAISE_ON_FAILURE |                \
   KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE |                   \
   KP_POOL_FLAG_PAGED)

/* ---------------------------------------------------------------------------
 * POOL_TYPE values and modifier bits (legacy allocators).
 * ------------------------------------------------------------------------- */
#define KP_POOL_TYPE_NONPAGED 0u
#define KP_POOL_TYPE_PAGED 1u
#define KP_POOL_TYPE_NONPAGED_MUST_SUCCEED 2u
#define KP_POOL_TYPE_DONT_USE 3u
#define KP_POOL_TYPE_NONPAGED_CACHE_ALIGNED 4u
#define KP_POOL_TYPE_PAGED_CACHE_ALIGNED 5u
#define KP_POOL_TYPE_NONPAGED_CACHE_ALIGNED_MUST_S 6u
#define KP_POOL_TYPE_SESSION 32u /* deprecated session types: base + 32 */
#define KP_POOL_TYPE_NONPAGED_NX 512u
#define KP_POOL_TYPE_NONPAGED_NX_CACHE_ALIGNED 516u
#define KP_POOL_TYPE_NONPAGED_SESSION_NX 544u
/* Modifier bits ORed into a POOL_TYPE. */
#define KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8u
#define KP_POOL_RAISE_IF_ALLOCATION_FAILURE 16u
#define KP_POOL_COLD_ALLOCATION 256u
#define KP_POOL_NX_ALLOCATION 512u
#define KP_POOL_ZERO_ALLOCATION 1024u

/* ---------------------------------------------------------------------------
 * EX_POOL_PRIORITY.
 * ------------------------------------------------------------------------- */
typedef enum kp_priority {
  KP_PRIORITY_LOW = 0,
  KP_PRIORITY_LOW_SPECIAL_OVERRUN = 8,
  KP_PRIORITY_LOW_SPECIAL_UNDERRUN = 9,
  KP_PRIORITY_NORMAL = 16,
  KP_PRIORITY_NORMAL_SPECIAL_OVERRUN = 24,
  KP_PRIORITY_NORMAL_SPECIAL_UNDERRUN = 25,
  KP_PRIORITY_HIGH = 32,
  KP_PRIORITY_HIGH_SPECIAL_OVERRUN = 40,
  KP_PRIORITY_HIGH_SPECIAL_UNDERRUN = 41
} kp_priority_t;

/** Which simulated pool a block lives in. In bug check parameters the pool
 *  type is the Windows one: 0 non-paged, 1 paged. */
typedef enum kp_pool_kind {
  KP_POOL_NONPAGED = 0,
  KP_POOL_PAGED = 1,
  KP_POOL_KIND_COUNT_ = 2
} kp_pool_kind_t;

/** Which entry point made an allocation (shown in reports). */
typedef enum kp_alloc_api {
  KP_API_ALLOCATE_POOL = 0,        /**< ExAllocatePool (tag "None") */
  KP_API_ALLOCATE_POOL_WITH_TAG,   /**< ExAllocatePoolWithTag */
  KP_API_ALLOCATE_POOL_PRIORITY,   /**< ExAllocatePoolWithTagPriority */
  KP_API_ALLOCATE_POOL_QUOTA,      /**< ExAllocatePoolWithQuotaTag */
  KP_API_ALLOCATE_POOL2,           /**< ExAllocatePool2 */
  KP_API_ALLOCATE_POOL3,           /**< ExAllocatePool3 */
  KP_API_LOOKASIDE,                /**< a lookaside list's default allocator */
  KP_API_ALLOCATE_POOL_WITH_QUOTA, /**< ExAllocatePoolWithQuota (tag "None") */
  /* The run-time library's string routines (kpool/rtl_string.h): paged
   * pool, tag 'grtS' ("Strg"). */
  KP_API_RTL_ANSI_TO_UNICODE,      /**< RtlAnsiStringToUnicodeString */
  KP_API_RTL_UNICODE_TO_ANSI,      /**< RtlUnicodeStringToAnsiString */
  KP_API_RTL_UTF8_TO_UNICODE,      /**< RtlUTF8StringToUnicodeString */
  KP_API_RTL_UNICODE_TO_UTF8,      /**< RtlUnicodeStringToUTF8String */
  KP_API_RTL_UPCASE_UNICODE,       /**< RtlUpcaseUnicodeString */
  KP_API_RTL_DOWNCASE_UNICODE,     /**< RtlDowncaseUnicodeString */
  KP_API_RTL_DUPLICATE_UNICODE,    /**< RtlDuplicateUnicodeString */
  KP_API_RTL_CREATE_UNICODE,       /**< RtlCreateUnicodeString */
  KP_API_COUNT_
} kp_alloc_api_t;

/** The tag recorded for ExAllocatePool / ExAllocatePoolWithQuota: "None". */
#define KP_TAG_NONE KP_TAG('N', 'o', 'n', 'e')

/**
 * Simulates ExAllocatePool2.
 *
 * Rules (facts §1.3, §2.1): exactly one of NON_PAGED, NON_PAGED_EXECUTE,
 * PAGED; any unknown or reserved required bit fails; unknown optional bits
 * are ignored; tag 0 fails; the memory is zeroed unless UNINITIALIZED is
 * given (then it is filled with kp_config_t::uninit_fill); CACHE_ALIGNED
 * gives 64-byte alignment; USE_QUOTA charges the simulated process quota.
 *
 * @return the block, or NULL on failure. With KP_POOL_FLAG_RAISE_ON_FAILURE
 *         a failure raises STATUS_INSUFFICIENT_RESOURCES instead (see
 *         kpool/raise.h); unhandled, that is bug check 0x1E.
 * @bugcheck 0xC2/0x08 (retail) or 0xC4/0x01 (verifier): paged pool at
 *           IRQL > APC_LEVEL; 0xC4/0x02: IRQL > DISPATCH_LEVEL.
 * @bugcheck 0xC4/0x00 under the verifier for a zero size (retail: 1 byte).
 * @bugcheck 0x19/0x03 (BAD_POOL_HEADER, free list corrupt) when the header
 *           of the free block that would serve the request was overwritten
 *           after that block was freed (usually an overrun of the block in
 *           front, which the report names): P2 the free block, P3 and P4 its
 *           two header words as found. The list of that size is dropped.
 */
KP_API void *kp_alloc2(kp_system_t *sys, kp_pool_flags_t flags, size_t size,
                       kp_tag_t tag, kp_site_t site);

/**
 * Simulates the legacy allocators: ExAllocatePool (@p api
 * KP_API_ALLOCATE_POOL, tag ignored and recorded as "None"),
 * ExAllocatePoolWithTag, ExAllocatePoolWithTagPriority and
 * ExAllocatePoolWithQuotaTag (KP_API_ALLOCATE_POOL_QUOTA) and
 * ExAllocatePoolWithQuota (KP_API_ALLOCATE_POOL_WITH_QUOTA, tag ignored and
 * recorded as "None", like ExAllocatePool).
 *
 * @p pool_type is a POOL_TYPE with its modifier bits. Results per type:
 * NonPagedPool/NonPagedPoolNx and their session forms give non-paged
 * memory; PagedPool and PagedPoolSession paged memory; the cache-aligned
 * types 64-byte alignment; DontUseThisType (3, 35) and unknown bits give
 * NULL; the must-succeed types (2, 6, 34, 38) raise bug check 0xC2/0x9A.
 * The memory is filled with kp_config_t::uninit_fill unless
 * POOL_ZERO_ALLOCATION is set.
 *
 * Failure: NULL; a raise of STATUS_INSUFFICIENT_RESOURCES when
 * POOL_RAISE_IF_ALLOCATION_FAILURE is set; the quota API raises by default
 * and returns NULL only with POOL_QUOTA_FAIL_INSTEAD_OF_RAISE.
 * A zero tag to a tagged API raises 0xC2/0x9B; the tag " GIB" 0xC2/0x9C; a
 * tag with no letter or digit 0xC2/0x9D. IRQL rules as kp_alloc2().
 * @p priority is an EX_POOL_PRIORITY (use KP_PRIORITY_NORMAL otherwise).
 */
KP_API void *kp_alloc_legacy(kp_system_t *sys, kp_alloc_api_t api,
                             uint32_t pool_type, size_t size, kp_tag_t tag,
                             kp_priority_t priority, kp_site_t site);

/**
 * Simulates ExFreePoolWithTag (and ExFreePool, which is @p tag 0: no tag
 * check). NULL is BAD_POOL_CALLER like any address that is not a block.
 *
 * @bugcheck 0xC2/0x0A: @p tag is non-zero and differs from the block's tag
 *           (P2 address, P3 the allocation's tag, P4 the tag passed).
 * @bugcheck double free: 0xC4/0x13 (verifier) or 0xC2/0x07 (retail); the
 *           report names both the allocation and the first free site.
 * @bugcheck not a block (wild, interior or another system's pointer):
 *           0xC4/0x10 (verifier) or 0xC2/0x99 / 0xC2/0x42 (retail).
 * @bugcheck 0x19/0x21: the canary after the block was overwritten.
 * @bugcheck 0xC2/0x01: the header in front of the block was overwritten.
 * @bugcheck 0xC4/0x11 or 0xC2/0x09: paged free at IRQL > APC_LEVEL;
 *           0xC4/0x12: non-paged free at IRQL > DISPATCH_LEVEL.
 */
KP_API void kp_free(kp_system_t *sys, void *p, kp_tag_t tag, kp_site_t site);

/**
 * kp_alloc2() and kp_free() with the site by address (NULL: no site, the
 * caller's return address is recorded). Same rules, results and bug checks;
 * for wrappers that build the site themselves (the WDK face): a 32-byte
 * struct passed on by value costs a copy per layer.
 */
KP_API void *kp_alloc2_at(kp_system_t *sys, kp_pool_flags_t flags, size_t size,
                          kp_tag_t tag, const kp_site_t *site);
KP_API void kp_free_at(kp_system_t *sys, void *p, kp_tag_t tag,
                       const kp_site_t *site);

#if KP_SITE_FORWARDERS
/* kp_alloc2() and kp_free() as forwarders to the _at functions (see
 * KP_SITE_FORWARDERS in kpool/common.h). */
KP_FORWARDER void *kp_alloc2_fwd_(kp_system_t *sys, kp_pool_flags_t flags,
                                  size_t size, kp_tag_t tag, kp_site_t site) {
  return kp_alloc2_at(sys, flags, size, tag, &site);
}
KP_FORWARDER void kp_free_fwd_(kp_system_t *sys, void *p, kp_tag_t tag,
                               kp_site_t site) {
  kp_free_at(sys, p, tag, &site);
}
#define kp_alloc2(sys, flags, size, tag, site)                                 \
  kp_alloc2_fwd_((sys), (flags), (size), (tag), (site))
#define kp_free(sys, p, tag, site) kp_free_fwd_((sys), (p), (tag), (site))
#endif

/**
 * Simulates ExQueryPoolBlockSize: the usable size of the block (requested
 * size rounded up to 16 bytes up to 4064 bytes, to whole pages above), and
 * in @p quota_charged (may be NULL) whether the allocation charged
 * quota. Returns 0 for an address that is not the start of a live block
 * (undocumented on Windows; kpool chooses not to bug check here).
 */
KP_API size_t kp_block_size(kp_system_t *sys, const void *p,
                            bool *quota_charged);

/** What the simulator knows about one live allocation. */
typedef struct kp_block_info {
  void *address;
  size_t size;            /**< bytes requested */
  size_t block_bytes;     /**< bytes counted against the pool (header included) */
  kp_tag_t tag;
  kp_pool_kind_t pool;
  uint32_t node;
  kp_pool_flags_t flags;  /**< effective POOL_FLAGS */
  uint32_t pool_type;     /**< POOL_TYPE for bug check parameters */
  kp_priority_t priority;
  kp_alloc_api_t api;
  uint64_t sequence;      /**< allocation number in this system, from 1: unique;
                               in order within a thread (threads take them in
                               batches, so not in time order across threads) */
  uint32_t thread;        /**< kp_thread_id() of the allocating thread */
  kp_site_t site;
  bool quota_charged;
} kp_block_info_t;

/**
 * Looks up the live block that contains @p p (start or interior). Returns
 * true and fills @p info when there is one.
 */
KP_API bool kp_block_query(kp_system_t *sys, const void *p,
                           kp_block_info_t *info);

/**
 * Simulates memory pressure: limits the bytes the pool of @p kind (and, for
 * non-paged pool, @p node) can hand out to @p bytes (capped at the
 * configured budget; pass SIZE_MAX to restore it). Blocks already allocated
 * stay. Priorities then decide who fails first: LowPoolPriority when less
 * than kp_config_t::low_priority_reserve_percent of the available bytes
 * would remain free, NormalPoolPriority below
 * normal_priority_reserve_percent, HighPoolPriority only when the block
 * does not fit at all. ExAllocatePool2 and the legacy allocators without a
 * priority use NormalPoolPriority.
 * @return STATUS_SUCCESS, or STATUS_INVALID_PARAMETER_1/2/3 for a NULL
 *         system, a bad kind or a node that does not exist.
 */
KP_API kp_status_t kp_pool_set_available(kp_system_t *sys, kp_pool_kind_t kind,
                                         uint32_t node, size_t bytes);

/** The bytes currently available to the pool (see kp_pool_set_available);
 *  0 for a bad argument. */
KP_API size_t kp_pool_available(kp_system_t *sys, kp_pool_kind_t kind,
                                uint32_t node);

/**
 * Checks every live block's header and canary and every quarantined
 * block's poison. Raises the bug check a free would raise on the first
 * damage found; returns STATUS_SUCCESS when all is intact.
 */
KP_API kp_status_t kp_verify(kp_system_t *sys);

/**
 * Calls @p fn for each live allocation (pool by pool, in allocation order
 * within a pool; then blocks held by special or secure pools) until it
 * returns false. The pool is locked meanwhile: @p fn must not call into
 * the pool.
 */
typedef bool (*kp_block_visitor_fn)(const kp_block_info_t *info, void *arg);
KP_API void kp_visit_blocks(kp_system_t *sys, kp_block_visitor_fn fn,
                            void *arg);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_POOL_H */
