/**
 * @file kpool/rundown.h
 * @brief Rundown protection (EX_RUNDOWN_REF and the cache-aware form).
 *
 * @par Rundown protection (facts §4.3)
 * EX_RUNDOWN_REF: bit 0 = run-down started, references in the bits above
 * (2 per reference). Acquire fails once the run-down started; the wait
 * sleeps until the last reference is released. Releasing more references
 * than are held is bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE with
 * P1 = 14 (invalid reference count), P2 = P3 = 0, P4 = the ref (kpool's
 * choice; facts: "treat as a fatal assertion").
 * The cache-aware form is a kp_rundown_cache_aware_t: one EX_RUNDOWN_REF
 * plus the tag of its allocation (kpool keeps one counter instead of one
 * per processor; the behaviour is the same).
 *
 */
#ifndef KPOOL_RUNDOWN_H
#define KPOOL_RUNDOWN_H

#include "common.h"
#include "irql.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_SECURITY_CHECK_INVALID_REFCOUNT 14u /**< 0x139 P1: invalid reference count */

/* --- EX_RUNDOWN_REF ------------------------------------------------------- */
typedef uintptr_t kp_rundown_ref_t;

/** ExInitializeRundownProtection / ExReInitializeRundownProtection. */
KP_API void kp_rundown_init(kp_rundown_ref_t *ref);
/** ExAcquireRundownProtection(Ex): adds @p count references; false (and
 *  nothing added) once the run-down started. */
KP_API bool kp_rundown_acquire(kp_rundown_ref_t *ref, uint32_t count);
/** ExReleaseRundownProtection(Ex): drops @p count references; the last
 *  wakes the waiter. Bug check 0x139/14 on underflow. */
KP_API void kp_rundown_release(kp_rundown_ref_t *ref, uint32_t count,
                               kp_site_t site);
/** ExWaitForRundownProtectionRelease: from now on acquires fail; blocks
 *  until no reference is left. */
KP_API void kp_rundown_wait(kp_rundown_ref_t *ref);
/** ExRundownCompleted: marks the run-down complete (acquires keep failing). */
KP_API void kp_rundown_completed(kp_rundown_ref_t *ref);
/** The references held now (for tests and reports). */
KP_API uint32_t kp_rundown_count(const kp_rundown_ref_t *ref);

/** EX_RUNDOWN_REF_CACHE_AWARE storage. */
typedef struct kp_rundown_cache_aware {
  kp_rundown_ref_t ref;     /**< the counter */
  uint32_t tag;             /**< pool tag when allocated by kpool, else 0 */
  uint32_t allocated;       /**< 1 when ExAllocateCacheAwareRundownProtection made it */
} kp_rundown_cache_aware_t;

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_RUNDOWN_H */
