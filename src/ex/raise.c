/*
 * raise.c — ExRaiseStatus and the per-thread stack of KP_TRY frames that
 * stands in for structured exception handling. Behaviour and choices are
 * documented in include/kpool/raise.h.
 */
#include <setjmp.h>
#include <stdio.h>

#include "ke/kp_ke.h"
#include "ex/kp_ex.h"

#if defined(__GNUC__) || defined(__clang__)
#define RAISE_CALLER() __builtin_return_address(0)
#else
#define RAISE_CALLER() NULL
#endif

void kp_try_enter(kp_try_frame_t *frame) {
  if (frame == NULL) return;
  kpi_thread_t *t = kpi_thread();
  frame->prev = t->try_top;
  frame->status = KP_STATUS_SUCCESS;
  frame->irql = t->irql;
  t->try_top = frame;
}

void kp_try_leave(kp_try_frame_t *frame) {
  if (frame == NULL) return;
  kpi_thread_t *t = kpi_thread();
  // Normally @frame is the innermost one. If inner frames are still
  // registered, their bodies were left without KP_EXCEPT (a return out of a
  // nested KP_TRY); drop them too, since their stack is gone.
  kp_try_frame_t *f = t->try_top;
  while (f != NULL && f != frame) f = f->prev;
  if (f == NULL) return;
  t->try_top = frame->prev;
}

bool kp_try_active(void) { return kpi_thread()->try_top != NULL; }

static void raise_unhandled(kp_system_t *sys, kp_status_t status,
                            const void *address) {
  if (sys == NULL) sys = kpi_current();
  const char *name = kp_status_name(status);
  char where[64] = "an unknown address";
  if (address != NULL) snprintf(where, sizeof where, "%p", address);
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = kp_site(NULL, 0, address);
  // P1 is the NTSTATUS widened to ULONG_PTR as a LONG is on x64: sign
  // extended, so WinDbg's ffffffffc000009a reads the same here.
  kpi_bugcheck_raise(sys, KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED,
                     (uint64_t)(int64_t)status, (uint64_t)(uintptr_t)address,
                     0, 0, &ctx,
                     "Status 0x%08X (%s) was raised at %s by thread %u, and no "
                     "KP_TRY frame is active on that thread to catch it.",
                     (unsigned)(uint32_t)status,
                     name != NULL ? name : "unknown status", where,
                     kp_thread_id());
}

// The raise itself. With a frame, control never comes back here.
static void raise_at(kp_system_t *sys, kp_status_t status,
                     const void *address) {
  kpi_thread_t *t = kpi_thread();
  kp_try_frame_t *f = t->try_top;
  if (f == NULL) {
    raise_unhandled(sys, status, address);
    return;
  }
  // Pop first, so a raise inside KP_EXCEPT goes to the next outer frame,
  // as an exception raised in an __except block does. The IRQL is left as
  // it is at the raise: SEH does not change IRQL (see raise.h).
  t->try_top = f->prev;
  f->status = status;
  longjmp(f->env, 1);
}

void kpi_raise(kp_system_t *sys, kp_status_t status) {
  raise_at(sys, status, NULL);
}

void kp_raise_status(kp_status_t status) {
  raise_at(NULL, status, RAISE_CALLER());
}
