/**
 * @file kpool/lookaside.h
 * @brief Lookaside lists: the classic non-paged and paged lists and the Ex
 *        lists (LOOKASIDE_LIST_EX), with the exact GENERAL_LOOKASIDE
 *        counters, the adaptive depth of the balance set manager on the
 *        virtual clock, lifetime checks, poisoned cached entries and the
 *        `!lookaside` report.
 *
 * # What is simulated (facts §3, §5.3, §5.4, §6.7)
 *
 * A list lives in caller-owned memory with the layout of GENERAL_LOOKASIDE
 * (kp_lookaside_t below: 0x60 bytes, Depth at 0x10, TotalAllocates at
 * 0x14, ...). The WDK face (<wdm.h>) overlays GENERAL_LOOKASIDE,
 * NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST and LOOKASIDE_LIST_EX on it
 * with the WDK's field names. The counters live in those fields and move
 * exactly as Windows moves them:
 *
 * - **Allocate**: TotalAllocates + 1; pop the first cached entry (LIFO);
 *   when there is none, AllocateMisses + 1 and the list's allocate routine
 *   is called with (Type, Size, Tag[, list]). Depth is not consulted.
 * - **Free**: TotalFrees + 1; when the number of cached entries is below
 *   Depth, the entry is pushed; otherwise FreeMisses + 1 and the free
 *   routine is called with (entry[, list]).
 * - A new list has Depth = the minimum depth (4) and MaximumDepth = 256
 *   (kp_config_t::lookaside_minimum_depth / _maximum_depth); all counters
 *   0. The Depth argument of the initialisers is ignored, as on Windows.
 * - Counter updates are plain increments (a load and a store, as in
 *   Windows' inline routines): exact for one thread; when several threads
 *   use a list at once an update may be lost, as on Windows.
 *
 * # Adaptive depth (facts §3.5, the WRK rules)
 *
 * kp_clock_advance() runs the balance set manager once per simulated
 * second. Scan number t (t = 1, 2, ...) handles, round-robin, group 0 (the
 * non-paged lists: classic non-paged and Ex lists of a non-paged type),
 * group 1 (the paged lists) and group 2 (the system lists; kpool has none,
 * so that second only passes). In general group g is scanned at scan t
 * when (t - 1) mod P == g mod P, P being the scan period
 * (kp_config_t::lookaside_scan_period, 3): with P = 3 that is the plain
 * round-robin, each list re-scored every 3 seconds; with P = 1 every list
 * is scored every second. For each list:
 *
 *     Allocates = TotalAllocates - LastTotalAllocates; LastTotalAllocates = TotalAllocates
 *     Misses    = AllocateMisses - LastAllocateMisses; LastAllocateMisses = AllocateMisses
 *     if minimum depth is 0 (verifier):          Depth = 0
 *     else if Allocates < P * threshold (25)
 *          or Allocates == 0:                    Depth = max(Depth - 10, minimum)
 *     else Ratio = Misses * 1000 / Allocates
 *          if Ratio < 5 (0.5 %):                 Depth = max(Depth - 1, minimum)
 *          else Delta = min(Ratio * (MaximumDepth - Depth) / 2000 + 5, 30)
 *               Depth = min(Depth + Delta, MaximumDepth)
 *
 * in unsigned 32-bit arithmetic (Depth signed), as in the WRK. The
 * constants 25, 10, 1, 5 and 30 are kp_config_t::lookaside_alloc_threshold,
 * _idle_decrement, _lowmiss_decrement, _grow_base and _grow_max; the 0.5 %
 * and the divisor 2000 are fixed. FreeMisses plays no part. The modern
 * Windows algorithm is UNVERIFIED; this is the documented Server 2003 one.
 *
 * **Verifier mode.** Driver Verifier sets the kernel's minimum lookaside
 * depth to 0, which disables caching: new lists start at Depth 0 and every
 * scan sets Depth 0, so every free reaches the free routine (and so the
 * pool's tracking and special pool). kpool does the same when the system's
 * kp_config_t::verifier_flags has KP_VERIFY_LOOKASIDE_DEPTH_ZERO, or when
 * kp_config_t::lookaside_minimum_depth is 0 (the variable itself).
 *
 * # Misuse and the bug checks (all raised in every mode, not only under
 *   the verifier, because Windows would otherwise corrupt memory silently)
 *
 * | misuse | bug check |
 * |---|---|
 * | initialising a list that is already active | 0xC4, P1 0xCA, P2 list |
 * | deleting a list never initialised (or already deleted) | 0xC4, P1 0xCB, P2 list |
 * | allocating from / freeing to / flushing such a list (kpool; Windows would use garbage) | 0xC4, P1 0xCB, P2 list, P3 1 (allocate), 2 (free), 3 (flush) |
 * | freeing pool memory that contains an active list | 0xC4, P1 0xCC, P2 list, P3 block start, P4 block size |
 * | Size below KP_LOOKASIDE_MINIMUM_BLOCK_SIZE (8) | 0xC4, P1 0xCD, P2 list, P3 size given, P4 8 |
 * | an entry freed to a list it did not come from, found because the sizes differ (kpool-specific subtype; Windows does not check) | 0xC4, P1 0xCE, P2 list, P3 entry, P4 the entry's size (its list's Size, or its pool block's requested size) |
 * | a paged list used above APC_LEVEL, any list above DISPATCH_LEVEL | as the pool: 0xC4 P1 0x01 (allocate, init) / 0x11 (free, flush, delete) for paged, 0x02 / 0x12 for non-paged, P2 IRQL, P3 pool type, P4 size (allocate) or address (free); retail (KP_VERIFY_AUTOMATIC clear): 0xC2 P1 0x08 / 0x09 |
 * | a cached entry written to while it sat in the list (found when it leaves the list: allocate, flush, delete, kp_lookaside_verify): its fill, or, with entry tracking, its first 8 bytes (the link to the next cached entry, which kpool then does not follow but replaces by the link it wrote) | 0xC6 DRIVER_CAUGHT_MODIFYING_FREED_POOL, P1 address of the first changed byte (the entry itself for its link), P2 1 (write), P3 0 (kernel mode), P4 the list |
 * | a cached entry freed to pool with ExFreePool while it is still in the list | the pool's double free: 0xC4 P1 0x13 (verifier) or 0xC2 P1 0x07 (retail), P2 0, P3 the list, P4 the entry |
 * | lists still active at kp_driver_unload() | 0xC7 TIMER_OR_DPC_INVALID once, P1 3 (kpool's value for "lookaside list"; Windows documents 0 timer, 1 DPC, 2 DPC routine), P2 the first undeleted list, P3 its tag, P4 the number of undeleted lists; the report lists them all with their init sites |
 *
 * Bad *values* get the documented status, or a raise where the WDK routine
 * returns VOID: ExInitializeLookasideListEx returns STATUS_INVALID_PARAMETER_4
 * for a bad pool type and STATUS_INVALID_PARAMETER_5 for bad flags (see
 * kp_lookaside_init_ex()); the classic initialisers raise
 * STATUS_INVALID_PARAMETER_4 for flags they do not accept. A NULL list
 * raises STATUS_ACCESS_VIOLATION; a list not 16-byte aligned raises
 * STATUS_DATATYPE_MISALIGNMENT (its SLIST header must be); so do a NULL or
 * unaligned entry. Unhandled, a raise is bug check 0x1E (kpool/raise.h).
 * If a bug check handler returns, the operation is abandoned: an allocate
 * returns NULL, a free leaves the entry with the caller, an init leaves the
 * list uninitialised, a flush or delete stops.
 *
 * # What Windows cannot do: poisoned cached entries
 *
 * While an entry sits in a list, its bytes after the SLIST link word (the
 * first 8 bytes, which the link overwrites on Windows too) up to Size are
 * filled with KP_LOOKASIDE_FILL and, in AddressSanitizer builds, poisoned
 * for ASan. A driver that touches an entry after returning it is reported:
 * under ASan at the faulty instruction (kpool adds to ASan's report which
 * list, tag and free site the address belongs to, through
 * __asan_set_error_report_callback, installed once per process when the
 * first system creates a list); otherwise when the entry
 * leaves the list, with bug check 0xC6. The report names the list, its tag
 * and where (file:line, thread) the entry was freed to the list: that is
 * kept out of band, never in the entry. Both checks can be switched off per
 * system (kp_lookaside_set_options()), for instance to measure the bare
 * Windows algorithm.
 *
 * # Thread safety
 *
 * Allocate and free may run concurrently on the same list from any number
 * of threads. Init, delete and flush must not race with other use of the
 * same list (the WDK says the driver synchronises them). The allocate and
 * free routines are called without any simulator lock and are not
 * serialised (as on Windows).
 *
 * # Reports
 *
 * kp_lookaside_query() gives one list's statistics, kp_lookaside_visit()
 * walks every active list, kp_report_lookaside() prints the `!lookaside`
 * view of one list or all of them.
 */
#ifndef KPOOL_LOOKASIDE_H
#define KPOOL_LOOKASIDE_H

#include "common.h"
#include "pool.h"
#include "slist.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Constants (facts §2.6).
 * ------------------------------------------------------------------------- */

/** LOOKASIDE_MINIMUM_BLOCK_SIZE: the bytes through SLIST_ENTRY.Next (x64). */
#define KP_LOOKASIDE_MINIMUM_BLOCK_SIZE 8u
/** EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL: the allocate routine gets
 *  POOL_RAISE_IF_ALLOCATION_FAILURE in its pool type. */
#define KP_LOOKASIDE_EX_FLAGS_RAISE_ON_FAIL 0x00000001u
/** EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE: the allocate routine gets
 *  POOL_QUOTA_FAIL_INSTEAD_OF_RAISE (for quota-charging allocators). */
#define KP_LOOKASIDE_EX_FLAGS_FAIL_NO_RAISE 0x00000002u
/** EX_MAXIMUM_LOOKASIDE_DEPTH_BASE. */
#define KP_LOOKASIDE_DEPTH_BASE 256u
/** EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT. */
#define KP_LOOKASIDE_DEPTH_LIMIT 1024u
/** The byte written over a cached entry after its link word. */
#define KP_LOOKASIDE_FILL 0xE5u

/* KP_VERIFY_LOOKASIDE_DEPTH_ZERO (lookaside caching off, as Driver Verifier
 * does) is defined with the other verifier switches in kpool/system.h. */

/* ---------------------------------------------------------------------------
 * The list.
 * ------------------------------------------------------------------------- */

typedef struct kp_lookaside kp_lookaside_t;

/** ALLOCATE_FUNCTION: (PoolType, NumberOfBytes, Tag) -> entry or NULL. */
typedef void *(*kp_lookaside_allocate_fn)(uint32_t pool_type, size_t size,
                                          kp_tag_t tag);
/** FREE_FUNCTION: (Buffer). */
typedef void (*kp_lookaside_free_fn)(void *entry);
/** ALLOCATE_FUNCTION_EX: (PoolType, NumberOfBytes, Tag, Lookaside). */
typedef void *(*kp_lookaside_allocate_ex_fn)(uint32_t pool_type, size_t size,
                                             kp_tag_t tag,
                                             kp_lookaside_t *list);
/** FREE_FUNCTION_EX: (Buffer, Lookaside). */
typedef void (*kp_lookaside_free_ex_fn)(void *entry, kp_lookaside_t *list);

/**
 * A lookaside list: GENERAL_LOOKASIDE_POOL's layout, field for field
 * (0x60 bytes; the WDK's GENERAL_LOOKASIDE is this padded to 0x80 and
 * aligned 64). Caller-owned; must stay at the same address, 16-byte aligned,
 * from init to delete. The fields are the simulation's state, readable at
 * any time; write none of them (Windows lets a driver; kpool validates the
 * list through its own out-of-band record, never through these fields).
 */
struct kp_lookaside {
  kp_slist_header_t list_head;    /**< 0x00 ListHead: the cached entries */
  uint16_t depth;                 /**< 0x10 Depth: most entries kept */
  uint16_t maximum_depth;         /**< 0x12 MaximumDepth */
  uint32_t total_allocates;       /**< 0x14 TotalAllocates */
  uint32_t allocate_misses;       /**< 0x18 AllocateMisses */
  uint32_t total_frees;           /**< 0x1C TotalFrees */
  uint32_t free_misses;           /**< 0x20 FreeMisses */
  uint32_t type;                  /**< 0x24 Type: POOL_TYPE with the list's flag bits */
  kp_tag_t tag;                   /**< 0x28 Tag */
  uint32_t size;                  /**< 0x2C Size */
  union {                         /**< 0x30 AllocateEx / Allocate */
    kp_lookaside_allocate_ex_fn allocate_ex_routine;
    kp_lookaside_allocate_fn allocate_routine;
  };
  union {                         /**< 0x38 FreeEx / Free */
    kp_lookaside_free_ex_fn free_ex_routine;
    kp_lookaside_free_fn free_routine;
  };
  /** 0x40 ListEntry. Windows links the system's lists through it; kpool
   *  keeps its registry out of band and points both links at the field
   *  itself (an empty ring), so nothing ever writes through them. */
  struct {
    void *flink;
    void *blink;
  } list_entry;
  uint32_t last_total_allocates;  /**< 0x50 LastTotalAllocates */
  uint32_t last_allocate_misses;  /**< 0x54 LastAllocateMisses */
  /** 0x58 Future[2]: kpool keeps a lookup hint here (an index into its
   *  registry and a generation number), checked against the registry. */
  uint32_t future[2];
};

/** Which API family a list belongs to (it decides the callback shapes and
 *  the IRQL limit). */
typedef enum kp_lookaside_kind {
  KP_LOOKASIDE_NPAGED = 0, /**< ExInitializeNPagedLookasideList */
  KP_LOOKASIDE_PAGED = 1,  /**< ExInitializePagedLookasideList */
  KP_LOOKASIDE_EX = 2      /**< ExInitializeLookasideListEx */
} kp_lookaside_kind_t;

/**
 * How to call routines whose C types differ from the core's (the WDK face
 * uses it: a driver's ALLOCATE_FUNCTION takes a POOL_TYPE, not a uint32_t).
 * @c allocate receives the routine stored in the list (cast back by the
 * invoker to its real type before the call) and the arguments; likewise
 * @c free. NULL members call the routine with the core types.
 */
typedef struct kp_lookaside_invoker {
  void *(*allocate)(kp_lookaside_t *list, void (*routine)(void),
                    uint32_t pool_type, size_t size, kp_tag_t tag);
  void (*free)(kp_lookaside_t *list, void (*routine)(void), void *entry);
} kp_lookaside_invoker_t;

/** Everything an initialiser takes (see kp_lookaside_initialize()). */
typedef struct kp_lookaside_params {
  kp_lookaside_kind_t kind;
  /** Classic lists: their routines (NULL: ExAllocatePoolWithTag /
   *  ExFreePool semantics). */
  kp_lookaside_allocate_fn allocate;
  kp_lookaside_free_fn free_routine;
  /** Ex lists: their routines (NULL: the defaults). */
  kp_lookaside_allocate_ex_fn allocate_ex;
  kp_lookaside_free_ex_fn free_ex;
  /** Ex lists: the POOL_TYPE. Classic lists: ignored (NonPagedPool or
   *  PagedPool by kind). */
  uint32_t pool_type;
  /** Classic: POOL_RAISE_IF_ALLOCATION_FAILURE, POOL_NX_ALLOCATION. Ex:
   *  KP_LOOKASIDE_EX_FLAGS_*. */
  uint32_t flags;
  size_t size;
  kp_tag_t tag;
  uint16_t depth;                        /**< ignored, as on Windows */
  const kp_lookaside_invoker_t *invoker; /**< NULL: core types; must outlive the list */
} kp_lookaside_params_t;

/**
 * Initialises @p list (any kind). The common worker behind the three
 * initialisers below and the WDK names.
 *
 * Pool types an Ex list accepts: NonPagedPool (0), PagedPool (1),
 * NonPagedPoolCacheAligned (4), PagedPoolCacheAligned (5), NonPagedPoolNx
 * (512), NonPagedPoolNxCacheAligned (516) and the deprecated session forms
 * (32, 33, 36, 37, 544). Anything else, modifier bits included (they belong
 * in Flags), is STATUS_INVALID_PARAMETER_4. Ex flags: 0, RAISE_ON_FAIL or
 * FAIL_NO_RAISE; both, another bit, or FAIL_NO_RAISE with the default
 * allocate routine (undefined per the DDI docs) is STATUS_INVALID_PARAMETER_5.
 * A Size above 0xFFFFFFFF (the field is a ULONG) is
 * STATUS_INVALID_PARAMETER_6. Classic flags: non-paged lists accept
 * POOL_RAISE_IF_ALLOCATION_FAILURE (16) and POOL_NX_ALLOCATION (512),
 * paged lists the same (NX has no effect on paged memory); another bit
 * returns STATUS_INVALID_PARAMETER_4 (Flags is the 4th parameter of the
 * classic initialisers), a Size above 0xFFFFFFFF STATUS_INVALID_PARAMETER_5.
 *
 * The list's Type becomes the pool type ORed with the flag bits the list
 * adds: classic NonPagedPool | Flags or PagedPool | Flags; Ex PoolType |
 * POOL_RAISE_IF_ALLOCATION_FAILURE (RAISE_ON_FAIL) or
 * | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE (FAIL_NO_RAISE). That Type is what the
 * allocate routine receives. The default allocate routine is
 * kp_alloc_legacy(sys, KP_API_LOOKASIDE, Type, Size, Tag, Normal, site of
 * the allocate call) (ExAllocatePoolWithTag; POOL_NX_ALLOCATION dropped on
 * paged lists), so a raise flag makes a failed miss raise
 * STATUS_INSUFFICIENT_RESOURCES; the default free is kp_free(sys, entry, 0,
 * site).
 *
 * @return STATUS_SUCCESS, or the statuses above (the list is then left
 *         untouched). A NULL @p params is STATUS_INVALID_PARAMETER.
 * @raise STATUS_ACCESS_VIOLATION (NULL list), STATUS_DATATYPE_MISALIGNMENT
 *        (list not 16-byte aligned).
 * @bugcheck 0xC4/0xCA re-initialising an active list; 0xC4/0xCD Size < 8;
 *           the IRQL rule (paged list above APC_LEVEL, any above
 *           DISPATCH_LEVEL).
 */
KP_API kp_status_t kp_lookaside_initialize(kp_system_t *sys,
                                           kp_lookaside_t *list,
                                           const kp_lookaside_params_t *params,
                                           kp_site_t site);

/**
 * Simulates ExInitializeNPagedLookasideList (@p kind KP_LOOKASIDE_NPAGED)
 * and ExInitializePagedLookasideList (KP_LOOKASIDE_PAGED); VOID on Windows,
 * so a bad flag or size raises the status kp_lookaside_initialize() would
 * return, and a @p kind other than those two raises
 * STATUS_INVALID_PARAMETER. NULL routines select the defaults.
 */
KP_API void kp_lookaside_init(kp_system_t *sys, kp_lookaside_t *list,
                              kp_lookaside_kind_t kind,
                              kp_lookaside_allocate_fn allocate,
                              kp_lookaside_free_fn free_routine,
                              uint32_t flags, size_t size, kp_tag_t tag,
                              uint16_t depth, kp_site_t site);

/**
 * Simulates ExInitializeLookasideListEx.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_4 (bad @p pool_type);
 *         STATUS_INVALID_PARAMETER_5 (bad @p flags);
 *         STATUS_INVALID_PARAMETER_6 (@p size above 0xFFFFFFFF).
 * Bug checks and raises as kp_lookaside_initialize().
 */
KP_API kp_status_t kp_lookaside_init_ex(kp_system_t *sys, kp_lookaside_t *list,
                                        kp_lookaside_allocate_ex_fn allocate,
                                        kp_lookaside_free_ex_fn free_routine,
                                        uint32_t pool_type, uint32_t flags,
                                        size_t size, kp_tag_t tag,
                                        uint16_t depth, kp_site_t site);

/**
 * Simulates ExAllocateFrom{N,}PagedLookasideList and
 * ExAllocateFromLookasideListEx: see the file comment for the counters.
 * A cached entry comes back with the caller's old contents after the link
 * word only if poisoning is off; with poisoning the bytes from offset 8 up
 * to the last whole 8-byte granule of Size hold KP_LOOKASIDE_FILL (never
 * rely on either: Windows gives no guarantee). @p site is the caller, recorded for the default allocator.
 * @return the entry, or NULL (the routine failed, or a bug check handler
 *         returned).
 * @bugcheck 0xC4/0xCB (not an active list), the IRQL rule, 0xC6 (the
 *           cached entry was modified while in the list: its fill, or, with
 *           entry tracking, its first 8 bytes, the link to the next cached
 *           entry, which kpool then does not follow).
 */
KP_API void *kp_lookaside_alloc(kp_system_t *sys, kp_lookaside_t *list,
                                kp_site_t site);

/**
 * Simulates ExFreeTo{N,}PagedLookasideList and ExFreeToLookasideListEx:
 * see the file comment for the counters. @p site is recorded as the free
 * site of a cached entry and passed to the default free routine.
 * @raise STATUS_ACCESS_VIOLATION (NULL @p entry), STATUS_DATATYPE_MISALIGNMENT
 *        (@p entry not 16-byte aligned).
 * @bugcheck 0xC4/0xCB, 0xC4/0xCE (entry from a list of another size), the
 *           IRQL rule.
 */
KP_API void kp_lookaside_free(kp_system_t *sys, kp_lookaside_t *list,
                              void *entry, kp_site_t site);

/**
 * kp_lookaside_alloc() and kp_lookaside_free() with the site passed by
 * address (NULL: none). The WDK face uses these: a 24-byte kp_site_t passed
 * by value costs the caller a store-forwarding stall (~5 ns a call on
 * x86-64) that the hit path otherwise does not pay.
 */
KP_API void *kp_lookaside_alloc_at(kp_system_t *sys, kp_lookaside_t *list,
                                   const kp_site_t *site);
KP_API void kp_lookaside_free_at(kp_system_t *sys, kp_lookaside_t *list,
                                 void *entry, const kp_site_t *site);

#if KP_SITE_FORWARDERS
/* kp_lookaside_alloc() and kp_lookaside_free() as forwarders to the _at
 * functions (see KP_SITE_FORWARDERS in kpool/common.h). */
KP_FORWARDER void *kp_lookaside_alloc_fwd_(kp_system_t *sys,
                                           kp_lookaside_t *list,
                                           kp_site_t site) {
  return kp_lookaside_alloc_at(sys, list, &site);
}
KP_FORWARDER void kp_lookaside_free_fwd_(kp_system_t *sys,
                                         kp_lookaside_t *list, void *entry,
                                         kp_site_t site) {
  kp_lookaside_free_at(sys, list, entry, &site);
}
#define kp_lookaside_alloc(sys, list, site)                                    \
  kp_lookaside_alloc_fwd_((sys), (list), (site))
#define kp_lookaside_free(sys, list, entry, site)                              \
  kp_lookaside_free_fwd_((sys), (list), (entry), (site))
#endif

/**
 * kp_lookaside_alloc_at() and kp_lookaside_free_at() on the current system
 * (kp_system_current()), with the site's fields as arguments: the entry
 * points of the WDK face (ExAllocateFrom... / ExFreeTo...), which forward
 * the call-site macro's file and line and their return address in
 * registers. Nothing is built from them unless a report needs the site.
 * Same results, bug checks and thread safety as the _at functions.
 */
KP_API void *kp_lookaside_alloc_site(kp_lookaside_t *list, const char *file,
                                     uint32_t line, const void *caller);
KP_API void kp_lookaside_free_site(kp_lookaside_t *list, void *entry,
                                   const char *file, uint32_t line,
                                   const void *caller);

/**
 * Simulates ExFlushLookasideListEx (kpool allows it on every kind): takes
 * all cached entries off the list in one step and passes each to the free
 * routine. The counters do not move (as ReactOS; Windows' exact behaviour
 * is UNVERIFIED).
 * @bugcheck 0xC4/0xCB, the IRQL rule, 0xC6 for an entry modified while
 *           cached, its fill or (with entry tracking) its link word (the
 *           remaining entries are still freed: a written link is not
 *           followed).
 */
KP_API void kp_lookaside_flush(kp_system_t *sys, kp_lookaside_t *list,
                               kp_site_t site);

/**
 * Simulates ExDelete{N,}PagedLookasideList and ExDeleteLookasideListEx:
 * removes the list from the system's set, then frees the cached entries
 * through the free routine (the WRK order). Counters are left as they
 * were. Afterwards the caller owns the memory again; the list may be
 * initialised anew.
 * @bugcheck 0xC4/0xCB when @p list is not an active list of @p sys; the
 *           IRQL rule; 0xC6 as flush.
 */
KP_API void kp_lookaside_delete(kp_system_t *sys, kp_lookaside_t *list,
                                kp_site_t site);

/** The number of entries cached right now (the "Current Depth" of
 *  `!lookaside`: ExQueryDepthSList of the list head). */
KP_API uint16_t kp_lookaside_cached(const kp_lookaside_t *list);

/**
 * Sets the Depth of an active list, as `!lookaside <addr> 2 <depth>` does
 * in the debugger (clamped to MaximumDepth). Cached entries above the new
 * Depth stay until allocated; frees go to the free routine meanwhile.
 * Returns false when @p list is not an active list of @p sys.
 */
KP_API bool kp_lookaside_set_depth(kp_system_t *sys, kp_lookaside_t *list,
                                   uint16_t depth);

/**
 * Runs one step of the balance set manager now (ExAdjustLookasideDepth),
 * exactly what a simulated second of kp_clock_advance() runs (it counts as
 * a scan for the round-robin).
 */
KP_API void kp_lookaside_adjust_depth(kp_system_t *sys);

/* ---------------------------------------------------------------------------
 * Options.
 * ------------------------------------------------------------------------- */

/** Fill cached entries with KP_LOOKASIDE_FILL (and poison them for ASan),
 *  check the fill when they leave the list. */
#define KP_LOOKASIDE_OPT_POISON 0x1u
/** Track every entry out of band: its origin size (the 0xC4/0xCE check),
 *  whether it is cached and where it was freed to the list. */
#define KP_LOOKASIDE_OPT_TRACK 0x2u
/** The default of every system. */
#define KP_LOOKASIDE_OPT_DEFAULT (KP_LOOKASIDE_OPT_POISON | KP_LOOKASIDE_OPT_TRACK)

/**
 * Sets the checks above for every list of @p sys (the bare Windows
 * algorithm is @p options 0), active lists included. Entries cached at
 * that moment follow: switching the fill on fills (and ASan-poisons) them,
 * switching it off opens them for ASan, switching tracking off forgets
 * every tracked entry (one cached then is freed by a delete or flush
 * without a report; an entry met again after tracking is back is tracked
 * from then on). Must not race with allocates or frees on the lists of
 * @p sys (the cached entries are taken off each list and put back).
 * Returns the previous options.
 */
KP_API uint32_t kp_lookaside_set_options(kp_system_t *sys, uint32_t options);

/* ---------------------------------------------------------------------------
 * Reports.
 * ------------------------------------------------------------------------- */

/** What kpool knows about one active list. */
typedef struct kp_lookaside_info {
  const kp_lookaside_t *list;
  kp_lookaside_kind_t kind;
  kp_pool_kind_t pool;            /**< paged or non-paged group */
  uint32_t pool_type;             /**< Type (with the flag bits) */
  uint32_t flags;                 /**< the flags given at init */
  kp_tag_t tag;
  uint32_t size;
  uint16_t current_depth;         /**< entries cached now */
  uint16_t depth;                 /**< Depth */
  uint16_t maximum_depth;         /**< MaximumDepth */
  uint32_t total_allocates;
  uint32_t allocate_misses;
  uint32_t total_frees;
  uint32_t free_misses;
  uint32_t last_total_allocates;
  uint32_t last_allocate_misses;
  /** Hit rates in percent, (Total - Misses) / Total, 0 when Total is 0. */
  double allocate_hit_rate;
  double free_hit_rate;
  bool default_allocate;          /**< the default allocate routine */
  bool default_free;              /**< the default free routine */
  kp_site_t init_site;            /**< where the list was initialised */
  uint32_t init_thread;
} kp_lookaside_info_t;

/** Fills @p info for @p list. Returns false when it is not an active list
 *  of @p sys. Thread-safe (the counters are a snapshot). */
KP_API bool kp_lookaside_query(kp_system_t *sys, const kp_lookaside_t *list,
                               kp_lookaside_info_t *info);

/** Calls @p fn for each active list of @p sys, in initialisation order,
 *  until it returns false. The registry is locked meanwhile: @p fn must not
 *  initialise or delete lists. Returns the number of lists visited. */
typedef bool (*kp_lookaside_visitor_fn)(const kp_lookaside_info_t *info,
                                        void *arg);
KP_API uint32_t kp_lookaside_visit(kp_system_t *sys,
                                   kp_lookaside_visitor_fn fn, void *arg);

/**
 * Prints the `!lookaside` view of @p list, or of every active list when
 * @p list is NULL (then a summary line), through @p out (NULL: the
 * system's output function):
 *
 *     Lookaside "" @ 0x00007f3a10002040 Tag(hex): 0x31676154 "Tag1"
 *     Type           =       0200 NonPagedPoolNx
 *     Current Depth  =          2   Max Depth  =          4
 *     Size           =         48   Max Alloc  =        192
 *     AllocateMisses =          3   FreeMisses =          1
 *     TotalAllocates =          5   TotalFrees =          4
 *     Hit Rate       =        40%   Hit Rate   =        75%
 *
 * plus kpool's lines: kind, MaximumDepth, routines, init site.
 */
KP_API void kp_report_lookaside(kp_system_t *sys, const kp_lookaside_t *list,
                                kp_output_fn out, void *arg);

/**
 * Checks the fill (and, with entry tracking, the link word) of every cached
 * entry of every list of @p sys, as a departure from the list would. Not
 * thread-safe with other use of the lists. @return STATUS_SUCCESS, or STATUS_HEAP_CORRUPTION after raising
 * 0xC6 for the first modified entry (if the handler returns).
 */
KP_API kp_status_t kp_lookaside_verify(kp_system_t *sys);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_LOOKASIDE_H */
