/**
 * @file kpool/resource.h
 * @brief Executive resources (ERESOURCE) and the Lite routines (facts §4.1).
 *
 * A kp_resource_t is the caller's 0x68-byte ERESOURCE with the public x64
 * field layout. kpool keeps the real state (owners with their counts,
 * waiters, where it was initialised) in a per-system registry keyed by the
 * address, and mirrors it into the public fields (ActiveCount, Flag 0x80
 * when owned exclusive, OwnerEntry, ContentionCount, NumberOf*Waiters).
 * Waiters sleep on a host condition variable: a thread really blocks until
 * the owner releases. Shared requests wait behind a waiting exclusive
 * request (ExAcquireResourceSharedLite), or ignore it
 * (ExAcquireSharedStarveExclusive), or wait behind it even when the caller
 * already owns the resource shared (ExAcquireSharedWaitForExclusive).
 *
 * Thread identities (ERESOURCE_THREAD, OwnerEntry.OwnerThread) are
 * kp_resource_current_thread() values.
 *
 * @par Bug checks
 * | misuse | code |
 * |---|---|
 * | acquire with normal kernel APCs enabled (no critical/guarded region, IRQL < APC_LEVEL), verifier on | 0xC4/0x37: P2 IRQL, P3 CombinedApcDisable, P4 resource |
 * | release by the current thread with APCs enabled, verifier on | 0xC4/0x38, same parameters |
 * | acquire above APC_LEVEL | 0xA: P1 resource, P2 IRQL (kpool's choice) |
 * | release of a resource the thread does not own | deadlock detection on: 0xC4/0x1004 (P2 resource, P3 an owner's kp_thread_id(), P4 caller's) or 0x1007 (nobody owns it); off: 0xE3 RESOURCE_NOT_OWNED, P1 resource, P2 thread, P3 0 (no owner table), P4 0 |
 * | exclusive acquire (waiting) by a thread that owns it only shared; WaitForExclusive acquire (waiting) by a shared owner while an exclusive request waits | 0xC4/0x1000, P2 resource (Windows hangs) |
 * | use of a resource never initialised (or deleted) | 0xC4/0x1002, P2 resource |
 * | ExInitializeResourceLite on an initialised resource | 0xC4/0xD0, P2 resource |
 * | ExDeleteResourceLite of an uninitialised resource | 0xC4/0xD1, P2 resource |
 * | delete or reinitialise while owned | 0xC4/0x100B, P2 resource |
 * | NULL or not 8-byte aligned | 0xC4/0x3D: P2 0, P3 0, P4 resource |
 * | pool freed that holds an initialised resource | 0xC4/0x17: P2 resource, P3 pool type, P4 pool address |
 * | driver unload with resources never deleted | 0xC4/0xD2: P2 the first resource, P3 0, P4 0 (listed in the unload report; kpool's mapping of Windows' "memory with an active ERESOURCE released" check onto the unloading driver) |
 */
#ifndef KPOOL_RESOURCE_H
#define KPOOL_RESOURCE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_C4_RESOURCE_ACQUIRE_APCS 0x37u   /**< acquired with APCs enabled */
#define KP_C4_RESOURCE_RELEASE_APCS 0x38u   /**< released with APCs enabled */
#define KP_C4_RESOURCE_UNALIGNED 0x3Du      /**< unaligned ERESOURCE */
#define KP_C4_RESOURCE_IN_FREED_POOL 0x17u  /**< freeing pool with an active ERESOURCE */
#define KP_C4_RESOURCE_REINITIALIZED 0xD0u  /**< ExInitializeResourceLite twice */
#define KP_C4_RESOURCE_DELETE_UNINIT 0xD1u  /**< ExDeleteResourceLite of an uninitialised one */
#define KP_C4_RESOURCE_AT_UNLOAD 0xD2u      /**< active ERESOURCE in released memory */

/** ERESOURCE, 0x68 bytes, the public x64 layout (names in the WDK face). */
typedef struct kp_resource {
  void *list_[2];                 /**< 0x00 SystemResourcesList */
  void *owner_table;              /**< 0x10 OwnerTable (kpool: NULL) */
  int16_t active_count;           /**< 0x18 owners */
  uint16_t flag;                  /**< 0x1A 0x80 = owned exclusive */
  uint32_t pad0_;
  void *shared_waiters;           /**< 0x20 */
  void *exclusive_waiters;        /**< 0x28 */
  uintptr_t owner_thread;         /**< 0x30 OwnerEntry.OwnerThread */
  uint32_t owner_count;           /**< 0x38 OwnerEntry: OwnerCount << 3 */
  uint32_t pad1_;
  uint32_t active_entries;        /**< 0x40 */
  uint32_t contention_count;      /**< 0x44 acquisitions that waited */
  uint32_t number_of_shared_waiters;    /**< 0x48 */
  uint32_t number_of_exclusive_waiters; /**< 0x4C */
  void *reserved2;                /**< 0x50 */
  void *address;                  /**< 0x58 */
  uintptr_t spin_lock;            /**< 0x60 */
} kp_resource_t;

/** How kp_resource_acquire asks. */
typedef enum kp_resource_mode {
  KP_RESOURCE_EXCLUSIVE = 0,      /**< ExAcquireResourceExclusiveLite */
  KP_RESOURCE_SHARED = 1,         /**< ExAcquireResourceSharedLite */
  KP_RESOURCE_STARVE_EXCLUSIVE = 2, /**< ExAcquireSharedStarveExclusive */
  KP_RESOURCE_WAIT_FOR_EXCLUSIVE = 3 /**< ExAcquireSharedWaitForExclusive */
} kp_resource_mode_t;

/** ExGetCurrentResourceThread(): the calling thread's identity. */
KP_API uintptr_t kp_resource_current_thread(void);
/** ExInitializeResourceLite; returns STATUS_SUCCESS. */
KP_API kp_status_t kp_resource_init(kp_resource_t *r, kp_site_t site);
/** ExReinitializeResourceLite; STATUS_SUCCESS. */
KP_API kp_status_t kp_resource_reinit(kp_resource_t *r, kp_site_t site);
/** ExDeleteResourceLite; STATUS_SUCCESS. */
KP_API kp_status_t kp_resource_delete(kp_resource_t *r, kp_site_t site);
/** The acquire routines: true when granted; false when @p wait is false
 *  and it would have to wait. */
KP_API bool kp_resource_acquire(kp_resource_t *r, kp_resource_mode_t mode,
                                bool wait, kp_site_t site);
/** ExReleaseResourceLite (@p thread 0) / ExReleaseResourceForThreadLite. */
KP_API void kp_resource_release(kp_resource_t *r, uintptr_t thread,
                                kp_site_t site);
/**
 * ExSetResourceOwnerPointer / ExSetResourceOwnerPointerEx: moves the
 * calling thread's ownership (all its acquisitions, exclusive or shared)
 * to @p owner, an owner pointer whose two low bits are set (Microsoft's
 * rule; they tell owner pointers from threads). Afterwards only
 * kp_resource_release(@p r, @p owner) may release it.
 * @raise STATUS_INVALID_PARAMETER_2 when the two low bits of @p owner are
 *        not both set (kpool's choice; Windows documents no check).
 * @bugcheck the release-by-non-owner codes when the caller does not own
 *           @p r.
 */
KP_API void kp_resource_set_owner(kp_resource_t *r, uintptr_t owner,
                                  kp_site_t site);
/** ExConvertExclusiveToSharedLite. */
KP_API void kp_resource_convert_to_shared(kp_resource_t *r, kp_site_t site);
/** ExIsResourceAcquiredExclusiveLite. */
KP_API bool kp_resource_is_exclusive(kp_resource_t *r);
/** ExIsResourceAcquiredSharedLite: the caller's acquisitions (any mode). */
KP_API uint32_t kp_resource_shared_count(kp_resource_t *r);
/** ExGetExclusiveWaiterCount / ExGetSharedWaiterCount. */
KP_API uint32_t kp_resource_waiters(kp_resource_t *r, bool exclusive);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_RESOURCE_H */
