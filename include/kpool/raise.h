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
 * Frames are per thread and nest: a raise lands in the innermost KP_EXCEPT
 * of the raising thread, and a raise inside a KP_EXCEPT block goes to the
 * next outer frame. Two KP_TRY blocks nested in one function shadow each
 * other's frame variable (-Wshadow warns); put the inner one in a function.
 *
 * IRQL: a raise does not change the IRQL. KP_EXCEPT runs at the IRQL of
 * the raise, with every lock taken in the body still held, because that is
 * what structured exception handling does on Windows (the dispatcher and
 * the unwind never touch IRQL). A driver whose __except releases a spin
 * lock taken in the __try therefore works unchanged. The IRQL at KP_TRY is
 * kept in the frame (kp_try_frame_t::irql) for a handler that wants it.
 *
 * A raise with no frame on the thread is bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED: P1 = the status, P2 = the exception address
 * (the caller of kp_raise_status; 0 for raises made inside kpool, such as a
 * failed allocation with a raise flag, whose report names the system),
 * P3 = 0, P4 = 0. If that bug check's handler returns, the raising call
 * returns to its caller (which a real machine would not do): a failed
 * allocation then returns NULL.
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
  /** IRQL at KP_TRY (informational: a raise keeps the IRQL of the raise). */
  uint32_t irql;
} kp_try_frame_t;

/** Registers @p frame as the innermost handler of the calling thread
 *  (used by KP_TRY; NULL is ignored). */
KP_API void kp_try_enter(kp_try_frame_t *frame);
/**
 * Unregisters @p frame (the body finished without a raise; used by
 * KP_EXCEPT). Frames registered after @p frame and still on the stack
 * (left by a `return` out of a nested body) are dropped with it. A frame
 * that is not registered is ignored.
 */
KP_API void kp_try_leave(kp_try_frame_t *frame);

/**
 * Simulates ExRaiseStatus: unregisters the innermost KP_TRY frame of the
 * calling thread and transfers control to its KP_EXCEPT with @p status
 * (IRQL unchanged). With no frame, raises bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED (P1 = status, P2 = the caller's address,
 * P3 = P4 = 0) on the current system. Does not return unless that bug
 * check's handler returns; then it returns to its caller.
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
