/**
 * @file kpool/raise.h
 * @brief Raising NTSTATUS exceptions (ExRaiseStatus) and catching them in
 *        C with KP_TRY / KP_EXCEPT / KP_END_TRY, a setjmp-based stand-in
 *        for __try / __except.
 *
 * @code
 *   void *p = NULL;
 *   KP_TRY {
 *     p = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_RAISE_ON_FAILURE,
 *                   64, KP_TAG('D','r','v','1'), KP_HERE);
 *   } KP_EXCEPT(status) {
 *     // status == KP_STATUS_INSUFFICIENT_RESOURCES
 *   } KP_END_TRY;
 * @endcode
 *
 * Rules (as for any setjmp code): do not `return`, `break` or `goto` out of
 * the KP_TRY body (the frame would stay registered; use a flag instead);
 * locals changed inside the body and read in KP_EXCEPT must be volatile.
 * Frames are per thread and nest. A raise with no frame on the thread is
 * bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED with P1 = the status.
 *
 * This header includes <setjmp.h> (a C standard header) for jmp_buf.
 */
#ifndef KPOOL_RAISE_H
#define KPOOL_RAISE_H

#include <setjmp.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One KP_TRY frame; lives on the stack of the function using KP_TRY. */
typedef struct kp_try_frame {
  jmp_buf env;
  struct kp_try_frame *prev;
  kp_status_t status; /**< the raised status, valid in KP_EXCEPT */
  uint32_t irql;      /**< IRQL at KP_TRY, restored when a raise lands */
} kp_try_frame_t;

/** Registers @p frame as the innermost handler of the calling thread. */
KP_API void kp_try_enter(kp_try_frame_t *frame);
/** Unregisters @p frame (the body finished without a raise). */
KP_API void kp_try_leave(kp_try_frame_t *frame);

/**
 * Simulates ExRaiseStatus: transfers control to the innermost KP_EXCEPT of
 * the calling thread with @p status. With no frame, raises bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED (P1 = status, P2 = 0, P3..P4 = 0) on the
 * current system. Does not return unless a bug check handler returns.
 */
KP_API void kp_raise_status(kp_status_t status);

/** True when the calling thread is inside a KP_TRY body. */
KP_API bool kp_try_active(void);

#define KP_TRY                                                                 \
  do {                                                                         \
    kp_try_frame_t kp_try_frame_;                                              \
    kp_try_enter(&kp_try_frame_);                                              \
    if (setjmp(kp_try_frame_.env) == 0) {

#define KP_EXCEPT(status_var)                                                  \
      kp_try_leave(&kp_try_frame_);                                            \
    } else {                                                                   \
      const kp_status_t status_var = kp_try_frame_.status;                     \
      (void)status_var;

#define KP_END_TRY                                                             \
    }                                                                          \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_RAISE_H */
