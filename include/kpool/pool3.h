/**
 * @file kpool/pool3.h
 * @brief ExAllocatePool3 and ExFreePool2 with extended parameters
 *        (priority, NUMA node, secure pool), the simulated NUMA machine,
 *        and the memory-pressure and quota state of the pools.
 *
 * The WDK face maps POOL_EXTENDED_PARAMETER (16 bytes, bit fields) onto
 * kp_pool_param_t field by field; the rules below are the same for both.
 *
 * @par ExAllocatePool3 rules (kp_alloc3)
 * The flags and tag follow ExAllocatePool2 exactly (kp_alloc2: one pool
 * type, no unknown required bit, tag != 0). Then the parameter array is
 * read, entry by entry, with these rules (facts §2.5; the parts Microsoft
 * does not document are kpool's choices, marked *choice*):
 * - @p count == 0: no parameters, whatever @p params is (*choice*: the
 *   array is `_In_reads_opt_(count)`, so nothing is read).
 * - @p params == NULL with @p count > 0: the call fails.
 * - @p count > KP_POOL3_MAX_PARAMS: the call fails without reading the
 *   array (*choice*; Windows knows only three types, so a longer array
 *   cannot be valid without duplicates or unknown optional entries).
 * - An entry whose Reserved bits are not zero fails the call, optional or
 *   not, known type or not (*choice*).
 * - An unknown Type (0 = PoolExtendedParameterInvalidType, 4 =
 *   PoolExtendedParameterMax and anything above): Optional = 1 ignores it,
 *   Optional = 0 fails the call (documented).
 * - A known Type given twice fails the call (*choice*), also when one of
 *   the two is optional.
 * - A known Type whose use conflicts with the flags (NUMA node without a
 *   non-paged flag; secure pool with anything but POOL_FLAG_NON_PAGED) is
 *   ignored when optional and fails the call when required (documented:
 *   an optional parameter "may still be ignored if incompatible with the
 *   flags").
 * - A known Type with an invalid value fails the call even when optional
 *   (*choice*: Optional is about types the allocator does not know or
 *   cannot combine, not about garbage in a known one): an EX_POOL_PRIORITY
 *   outside its nine values; a node index that does not exist without
 *   MM_ANY_NODE_OK; a NULL secure-pool pointer, an invalid secure pool
 *   handle, or secure flags other than FREEABLE | MODIFIABLE.
 * - Priority: the EX_POOL_PRIORITY rule of kp_pool_set_available() decides
 *   (Low fails first, Normal when memory is very low, High only when the
 *   pool cannot hold the block). A priority that cannot be met fails the
 *   call. Without the parameter the priority is NormalPoolPriority. The
 *   SpecialPoolOverrun / Underrun variants are carried to the special pool
 *   (when it serves the request) as its placement request.
 * - NUMA node (only with POOL_FLAG_NON_PAGED or POOL_FLAG_NON_PAGED_EXECUTE;
 *   *choice*: both are non-paged pool): PreferredNode = index, optionally
 *   ORed with KP_NODE_ANY_OK (MM_ANY_NODE_OK). The node serves the block
 *   when it has room; an exhausted node fails the call unless
 *   KP_NODE_ANY_OK is set, then the other nodes are tried in order
 *   (index+1, index+2, ... wrapping). A node index that does not exist is
 *   a failure without KP_NODE_ANY_OK and means "the calling thread's node,
 *   then the others" with it. Without the parameter, the calling thread's
 *   node is preferred and the others are tried.
 * - Secure pool: the block comes from that secure pool (kpool/secure.h),
 *   with its initial contents copied from the parameter's buffer (zeroes
 *   when the buffer is NULL, or kp_config_t::uninit_fill with
 *   POOL_FLAG_UNINITIALIZED), its cookie and flags kept out of the
 *   driver's reach. POOL_FLAG_USE_QUOTA charges the process quota as for
 *   any block; POOL_FLAG_SPECIAL_POOL is ignored; POOL_FLAG_CACHE_ALIGNED
 *   gives 64-byte alignment. The secure pool's capacity is fixed
 *   (KP_SECURE_POOL_CAPACITY); secure blocks are not counted against the
 *   non-paged budget nor in the tag table (secure pool memory belongs to
 *   the secure kernel on Windows); kp_secure_report() and the leak report
 *   list them.
 * Every failure returns NULL, or with POOL_FLAG_RAISE_ON_FAILURE raises
 * STATUS_QUOTA_EXCEEDED when the process quota is what failed and
 * STATUS_INSUFFICIENT_RESOURCES otherwise (also for a bad parameter array),
 * as kp_alloc2() does; each is counted as a failed allocation. Never a crash: kpool reads only
 * @p count entries (at most KP_POOL3_MAX_PARAMS) and the secure-pool
 * structure an entry points to.
 *
 * @par ExFreePool2 rules (kp_free2)
 * - Ordinary blocks: @p count 0 (the array is not read). Then exactly
 *   ExFreePoolWithTag: a non-zero @p tag must match (0xC2/0x0A), and every
 *   diagnosis of kp_free().
 * - Secure blocks: exactly one entry, Type PoolExtendedParameterSecurePool,
 *   Reserved 0, pointing to a kp_secure_params_t with the pool handle and
 *   the cookie, buffer NULL and flags 0. Optional is not looked at.
 * - Anything else is BAD_POOL_CALLER (0xC2) with the kpool subcodes of
 *   kpool/secure.h (Microsoft documents the bug check, not its
 *   parameters): KP_C2_FREE2_BAD_PARAMETERS for a malformed array (P4
 *   tells which rule, KP_FREE2_*), KP_C2_SECURE_BAD_HANDLE,
 *   KP_C2_SECURE_NOT_IN_POOL, KP_C2_SECURE_BAD_COOKIE,
 *   KP_C2_SECURE_NOT_FREEABLE, KP_C2_SECURE_FREED_WITHOUT_PARAMS.
 *
 * Every function here is thread-safe.
 */
#ifndef KPOOL_POOL3_H
#define KPOOL_POOL3_H

#include "common.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Extended parameters.
 * ------------------------------------------------------------------------- */

/** POOL_EXTENDED_PARAMETER_TYPE values. */
typedef enum kp_param_type {
  KP_PARAM_INVALID = 0,     /**< PoolExtendedParameterInvalidType: unknown */
  KP_PARAM_PRIORITY = 1,    /**< PoolExtendedParameterPriority */
  KP_PARAM_SECURE_POOL = 2, /**< PoolExtendedParameterSecurePool */
  KP_PARAM_NUMA_NODE = 3,   /**< PoolExtendedParameterNumaNode */
  KP_PARAM_MAX = 4          /**< PoolExtendedParameterMax: unknown */
} kp_param_type_t;

/** The most entries kp_alloc3() reads (more fail the call unread). */
#define KP_POOL3_MAX_PARAMS 16u

/** MM_ANY_NODE_OK: ORed into a preferred node, allows other nodes. */
#define KP_NODE_ANY_OK 0x80000000u

/** "No preferred node" in kp_params_result_t::node. */
#define KP_NODE_NONE 0xFFFFFFFFu

/** A secure pool handle (the WDK's HANDLE). An opaque value that encodes
 *  a slot, a generation and the system: it is never a pointer, and kpool
 *  checks it on every use (a forged, stale or foreign handle is rejected). */
typedef struct kp_secure_pool_opaque *kp_secure_pool_t;

/** Bits of kp_secure_params_t::flags (SECURE_POOL_FLAGS_*). */
#define KP_SECURE_FLAGS_NONE 0x0u
#define KP_SECURE_FLAGS_FREEABLE 0x1u   /**< ExFreePool2 may free it */
#define KP_SECURE_FLAGS_MODIFIABLE 0x2u /**< ExSecurePoolUpdate may change it */
#define KP_SECURE_FLAGS_VALID 0x3u

/** POOL_EXTENDED_PARAMS_SECURE_POOL, with the same layout (32 bytes on
 *  64-bit hosts). */
typedef struct kp_secure_params {
  kp_secure_pool_t pool; /**< SecurePoolHandle from kp_secure_pool_create() */
  const void *buffer;    /**< initial contents (size bytes), or NULL; NULL on free */
  uintptr_t cookie;      /**< the value ExSecurePoolValidate must be given */
  uint32_t flags;        /**< KP_SECURE_FLAGS_*; 0 on free */
} kp_secure_params_t;

/**
 * One extended parameter. Unlike POOL_EXTENDED_PARAMETER, the header bit
 * fields are separate members here (type = Type:8, optional = Optional:1,
 * reserved = Reserved:55, which must be 0); the value union has the WDK's
 * members at offset 0 of an 8-byte union.
 */
typedef struct kp_pool_param {
  uint32_t type;     /**< kp_param_type_t, 0..255 */
  bool optional;     /**< Optional bit */
  uint64_t reserved; /**< Reserved bits (55 in the WDK); must be 0 */
  union {
    uint64_t raw;                      /**< Reserved2: all 8 bytes */
    int32_t priority;                  /**< EX_POOL_PRIORITY */
    const kp_secure_params_t *secure;  /**< SecurePoolParams */
    uint32_t preferred_node;           /**< node index | KP_NODE_ANY_OK */
  } value;
} kp_pool_param_t;

/** Why kp_params_check() refused a request (KP_PARAMS_OK when it did not). */
typedef enum kp_params_reason {
  KP_PARAMS_OK = 0,
  KP_PARAMS_BAD_FLAGS,            /**< POOL_FLAGS invalid (as ExAllocatePool2) */
  KP_PARAMS_ZERO_TAG,             /**< tag 0 */
  KP_PARAMS_NULL_ARRAY,           /**< params NULL, count > 0 */
  KP_PARAMS_TOO_MANY,             /**< count > KP_POOL3_MAX_PARAMS */
  KP_PARAMS_RESERVED_BITS,        /**< an entry's Reserved bits are not 0 */
  KP_PARAMS_UNKNOWN_REQUIRED,     /**< unknown Type with Optional = 0 */
  KP_PARAMS_DUPLICATE,            /**< a known Type given twice */
  KP_PARAMS_BAD_PRIORITY,         /**< not an EX_POOL_PRIORITY value */
  KP_PARAMS_NODE_NEEDS_NONPAGED,  /**< required NUMA node with paged flags */
  KP_PARAMS_BAD_NODE,             /**< node does not exist, no MM_ANY_NODE_OK */
  KP_PARAMS_SECURE_NEEDS_NONPAGED,/**< required secure pool without POOL_FLAG_NON_PAGED only */
  KP_PARAMS_SECURE_NULL,          /**< SecurePoolParams NULL */
  KP_PARAMS_SECURE_BAD_HANDLE,    /**< not a live secure pool of this system */
  KP_PARAMS_SECURE_BAD_FLAGS      /**< SecurePoolFlags beyond FREEABLE|MODIFIABLE */
} kp_params_reason_t;

/** What kp_params_check() made of a request. */
typedef struct kp_params_result {
  kp_params_reason_t reason; /**< KP_PARAMS_OK, or why the call fails */
  uint32_t index;            /**< offending entry, or UINT32_MAX */
  uint32_t ignored;          /**< optional entries ignored (unknown or conflicting) */
  kp_priority_t priority;    /**< effective priority (Normal by default) */
  bool has_priority;         /**< a priority parameter was honoured */
  uint32_t node;             /**< preferred node, or KP_NODE_NONE (the thread's) */
  bool node_strict;          /**< the node and no other (no MM_ANY_NODE_OK) */
  bool secure;               /**< a secure pool parameter was honoured */
  kp_secure_params_t secure_params; /**< its contents, when @c secure */
} kp_params_result_t;

/**
 * Validates an ExAllocatePool3 request without allocating: the flags and
 * tag as ExAllocatePool2, then the parameter array by the rules in the file
 * comment. Fills @p result (may be NULL) with the effective request.
 * Counts nothing, raises nothing.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 for bad flags,
 *         STATUS_INVALID_PARAMETER_3 for tag 0, STATUS_INVALID_PARAMETER_4
 *         for a bad array or entry, STATUS_INVALID_PARAMETER_5 for
 *         @p count > KP_POOL3_MAX_PARAMS; STATUS_INVALID_PARAMETER for a
 *         NULL @p sys.
 */
KP_API kp_status_t kp_params_check(kp_system_t *sys, kp_pool_flags_t flags,
                                   kp_tag_t tag, const kp_pool_param_t *params,
                                   uint32_t count, kp_params_result_t *result);

/**
 * Simulates ExAllocatePool3: kp_alloc2() plus the extended parameters
 * (rules in the file comment). Recorded with KP_API_ALLOCATE_POOL3.
 * @return the block, or NULL (with KP_POOL_FLAG_RAISE_ON_FAILURE a raise
 *         of STATUS_INSUFFICIENT_RESOURCES, or STATUS_QUOTA_EXCEEDED when
 *         the quota failed).
 * @bugcheck as kp_alloc2(): IRQL (0xC2/0x08, 0xC4/0x01, 0xC4/0x02), zero
 *           size under the verifier (0xC4/0x00), tags " GIB" (0xC2/0x9C)
 *           and without letter or digit (0xC2/0x9D). A secure allocation
 *           follows the non-paged IRQL rule.
 */
KP_API void *kp_alloc3(kp_system_t *sys, kp_pool_flags_t flags, size_t size,
                       kp_tag_t tag, const kp_pool_param_t *params,
                       uint32_t count, kp_site_t site);

/**
 * Simulates ExFreePool2 (rules in the file comment).
 * @bugcheck 0xC2 with the KP_C2_* subcodes of kpool/secure.h for bad
 *           parameters, a wrong handle or cookie, a block that is not
 *           FREEABLE or not in the pool named; 0xC2/0x0A for a tag
 *           mismatch; the double-free, wild-pointer, canary and IRQL bug
 *           checks of kp_free() (secure blocks too).
 */
KP_API void kp_free2(kp_system_t *sys, void *p, kp_tag_t tag,
                     const kp_pool_param_t *params, uint32_t count,
                     kp_site_t site);

/* ---------------------------------------------------------------------------
 * The simulated NUMA machine. Processors are numbered 0..N-1 system-wide;
 * processor i is on node i / processors_per_node. Processor groups hold 64
 * processors each, as on Windows (group = i / 64, number = i % 64).
 * ------------------------------------------------------------------------- */

/** PROCESSOR_NUMBER: a processor's group and number within it. */
typedef struct kp_processor_number {
  uint16_t group;   /**< processor group */
  uint8_t number;   /**< processor within the group, 0..63 */
  uint8_t reserved; /**< 0 */
} kp_processor_number_t;

/** Simulated processors per group (as on 64-bit Windows). */
#define KP_PROCESSORS_PER_GROUP 64u

/** Number of simulated NUMA nodes (kp_config_t::numa_nodes); 0 for NULL. */
KP_API uint32_t kp_numa_node_count(const kp_system_t *sys);

/** Number of simulated processors (nodes x processors per node); 0 for NULL. */
KP_API uint32_t kp_numa_processor_count(const kp_system_t *sys);

/** The node of processor @p cpu, or KP_NODE_NONE when it does not exist. */
KP_API uint32_t kp_numa_processor_node(const kp_system_t *sys, uint32_t cpu);

/**
 * Simulates KeGetCurrentProcessorNumberEx: the system-wide index of the
 * calling thread's simulated processor (kp_thread_processor()), and its
 * group and number in @p number (may be NULL).
 */
KP_API uint32_t kp_numa_current_processor(kp_processor_number_t *number);

/**
 * Bytes the non-paged pool of @p node could still hand out: its available
 * bytes (kp_pool_set_available()) minus the bytes in use; 0 for a node
 * that does not exist.
 */
KP_API size_t kp_numa_node_free(kp_system_t *sys, uint32_t node);

/* ---------------------------------------------------------------------------
 * Memory pressure and quota state.
 * ------------------------------------------------------------------------- */

/** How hard a pool is pressed, for reports (see kp_pool_pressure()). */
typedef enum kp_pressure_level {
  KP_PRESSURE_NONE = 0,     /**< every priority is served */
  KP_PRESSURE_LOW = 1,      /**< LowPoolPriority requests fail */
  KP_PRESSURE_VERY_LOW = 2, /**< Normal fails too; only High is served */
  KP_PRESSURE_EXHAUSTED = 3 /**< nothing fits: even High fails */
} kp_pressure_level_t;

/** The pressure state of one pool. */
typedef struct kp_pressure {
  kp_pool_kind_t pool;
  uint32_t node;
  size_t budget;     /**< configured bytes */
  size_t available;  /**< bytes the pool may hand out now (<= budget) */
  size_t used;       /**< block bytes in use */
  size_t free_bytes; /**< available - used (0 when used exceeds it) */
  size_t peak;       /**< highest @c used */
  uint64_t failures; /**< failed allocations charged to this pool */
  uint32_t low_reserve_percent;    /**< kp_config_t::low_priority_reserve_percent */
  uint32_t normal_reserve_percent; /**< kp_config_t::normal_priority_reserve_percent */
  /** The level for a one-granule request: LOW when less than
   *  low_reserve_percent of @c available would stay free, VERY_LOW below
   *  normal_reserve_percent, EXHAUSTED when a 32-byte block (16-byte
   *  header plus one granule) does not fit. */
  kp_pressure_level_t level;
} kp_pressure_t;

/**
 * The pressure state of the pool of @p kind (and @p node for non-paged).
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1/2/3/4 for a NULL
 *         system, a bad kind, a node that does not exist, a NULL @p out.
 */
KP_API kp_status_t kp_pool_pressure(kp_system_t *sys, kp_pool_kind_t kind,
                                    uint32_t node, kp_pressure_t *out);

/** The simulated process quota (POOL_FLAG_USE_QUOTA, *WithQuota*). */
typedef struct kp_quota {
  size_t limit; /**< kp_config_t::quota_limit */
  size_t used;  /**< block bytes charged now */
} kp_quota_t;

/**
 * The quota state. A quota allocation that would take @c used above
 * @c limit fails: NULL for ExAllocatePool2/3 (or a raise of
 * STATUS_QUOTA_EXCEEDED with POOL_FLAG_RAISE_ON_FAILURE), a raise of
 * STATUS_QUOTA_EXCEEDED for ExAllocatePoolWithQuota[Tag] unless
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE (then NULL). Freeing gives the bytes back.
 * ExQueryPoolBlockSize (kp_block_size) reports QuotaCharged.
 * @return STATUS_SUCCESS, or STATUS_INVALID_PARAMETER_1/2 for NULLs.
 */
KP_API kp_status_t kp_quota_query(kp_system_t *sys, kp_quota_t *out);

/**
 * Writes the pressure state of every pool and the quota state, one line
 * each:
 *
 *     Pool     Node       Budget    Available         Used         Peak  Failures  State
 *     Paged       -    268435456    268435456          160          160         0  normal
 *     Nonp        0    134217728       409600       348160       348160         1  low (LowPoolPriority fails)
 *     Quota: 160 of 67108864 bytes charged
 *
 * @p out NULL means the system's output function. The pool3 module's
 * report hook (run by kpool's reports once a driver used extended
 * parameters or a secure pool) prints this and kp_secure_report().
 */
KP_API void kp_report_pressure(kp_system_t *sys, kp_output_fn out, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_POOL3_H */
