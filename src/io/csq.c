/*
 * csq.c — cancel-safe IRP queues (IoCsq*, facts §3.10): the driver's queue
 * and lock through its callbacks, kpool's cancel routine. Unlike ReactOS,
 * CompleteCanceledIrp runs after the queue lock is released, because
 * IoCompleteRequest must not be called with a spin lock held (DDI).
 */
#include "io/io_internal.h"
#include "ke/kp_ke.h"

_Static_assert(sizeof(kp_csq_t) == 64, "IO_CSQ is 64 bytes");
_Static_assert(sizeof(kp_csq_irp_context_t) == 24, "IO_CSQ_IRP_CONTEXT is 24 bytes");

/* DriverContext[3] of a queued IRP: its context, or the queue itself. */
#define CSQ_SLOT 3

static kp_cancel_fn take_cancel(kp_irp_t *irp, kp_cancel_fn with) {
  return __atomic_exchange_n(&irp->cancel_routine, with, __ATOMIC_ACQ_REL);
}

/* Resolves DriverContext[3]: sets *ctx when it is a context. */
static kp_csq_t *slot_csq(kp_irp_t *irp, kp_csq_irp_context_t **ctx) {
  void *p = irp->tail.overlay.driver_context[CSQ_SLOT];
  *ctx = NULL;
  if (p == NULL) return NULL;
  if (*(uint32_t *)p == KP_IO_TYPE_CSQ_IRP_CONTEXT) {
    *ctx = p;
    return (*ctx)->csq;
  }
  return p;
}

/* The cancel routine of every queued IRP. */
static void csq_cancel(kp_device_t *device, kp_irp_t *irp) {
  (void)device;
  kp_io_cancel_unlock(kpi_current(), irp->cancel_irql);
  kp_csq_irp_context_t *ctx = NULL;
  kp_csq_t *csq = slot_csq(irp, &ctx);
  if (csq == NULL) return;
  kp_irql_t irql = 0;
  csq->acquire(csq, &irql);
  csq->remove(csq, irp);
  if (ctx != NULL) ctx->irp = NULL;
  irp->tail.overlay.driver_context[CSQ_SLOT] = NULL;
  csq->release(csq, irql);
  csq->complete_canceled(csq, irp);
}

kp_status_t kp_csq_initialize(kp_csq_t *csq, uint32_t type, void (*insert)(void),
                              kp_csq_remove_fn remove, kp_csq_peek_fn peek,
                              kp_csq_acquire_fn acquire, kp_csq_release_fn release,
                              kp_csq_complete_fn complete_canceled) {
  if (csq == NULL || insert == NULL || remove == NULL || peek == NULL ||
      acquire == NULL || release == NULL || complete_canceled == NULL ||
      (type != KP_IO_TYPE_CSQ && type != KP_IO_TYPE_CSQ_EX))
    return KP_STATUS_INVALID_PARAMETER;
  csq->type = type;
  csq->reserved0 = 0;
  if (type == KP_IO_TYPE_CSQ_EX)
    csq->insert.ex = (kp_csq_insert_ex_fn)insert;
  else
    csq->insert.plain = (kp_csq_insert_fn)insert;
  csq->remove = remove;
  csq->peek = peek;
  csq->acquire = acquire;
  csq->release = release;
  csq->complete_canceled = complete_canceled;
  csq->reserve = NULL;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_csq_insert(kp_system_t *sys, kp_csq_t *csq, kp_irp_t *irp,
                          kp_csq_irp_context_t *context, void *insert_context) {
  (void)sys;
  if (csq == NULL || irp == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_irql_t irql = 0;
  csq->acquire(csq, &irql);
  if (context != NULL) {
    context->type = KP_IO_TYPE_CSQ_IRP_CONTEXT;
    context->irp = irp;
    context->csq = csq;
    irp->tail.overlay.driver_context[CSQ_SLOT] = context;
  } else {
    irp->tail.overlay.driver_context[CSQ_SLOT] = csq;
  }
  kp_status_t st = KP_STATUS_SUCCESS;
  if (csq->type == KP_IO_TYPE_CSQ_EX)
    st = csq->insert.ex(csq, irp, insert_context);
  else
    csq->insert.plain(csq, irp);
  if (!KP_SUCCESS(st)) {
    irp->tail.overlay.driver_context[CSQ_SLOT] = NULL;
    if (context != NULL) context->irp = NULL;
    csq->release(csq, irql);
    return st;
  }
  // IoMarkIrpPending, then cancelable.
  irp->tail.overlay.current->control |= KP_SL_PENDING_RETURNED;
  (void)take_cancel(irp, csq_cancel);
  bool complete = false;
  if (__atomic_load_n(&irp->cancel, __ATOMIC_ACQUIRE) && take_cancel(irp, NULL) != NULL) {
    // Cancelled before it became cancelable, and the routine was taken
    // back before IoCancelIrp saw it: it must not stay queued.
    csq->remove(csq, irp);
    if (context != NULL) context->irp = NULL;
    irp->tail.overlay.driver_context[CSQ_SLOT] = NULL;
    complete = true;
  }
  csq->release(csq, irql);
  if (complete) csq->complete_canceled(csq, irp);
  return KP_STATUS_SUCCESS;
}

kp_irp_t *kp_csq_remove_next(kp_system_t *sys, kp_csq_t *csq, void *peek_context) {
  (void)sys;
  if (csq == NULL) return NULL;
  kp_irql_t irql = 0;
  csq->acquire(csq, &irql);
  kp_irp_t *irp = csq->peek(csq, NULL, peek_context);
  while (irp != NULL) {
    if (take_cancel(irp, NULL) != NULL) {
      csq->remove(csq, irp);
      kp_csq_irp_context_t *ctx = NULL;
      (void)slot_csq(irp, &ctx);
      if (ctx != NULL) ctx->irp = NULL;
      irp->tail.overlay.driver_context[CSQ_SLOT] = NULL;
      break;
    }
    // Its cancel routine runs (or is about to): skip it.
    irp = csq->peek(csq, irp, peek_context);
  }
  csq->release(csq, irql);
  return irp;
}

kp_irp_t *kp_csq_remove(kp_system_t *sys, kp_csq_t *csq, kp_csq_irp_context_t *context) {
  (void)sys;
  if (csq == NULL || context == NULL) return NULL;
  kp_irql_t irql = 0;
  csq->acquire(csq, &irql);
  kp_irp_t *irp = context->irp;
  if (irp != NULL) {
    if (take_cancel(irp, NULL) != NULL) {
      csq->remove(csq, irp);
      context->irp = NULL;
      irp->tail.overlay.driver_context[CSQ_SLOT] = NULL;
    } else {
      irp = NULL;
    }
  }
  csq->release(csq, irql);
  return irp;
}
