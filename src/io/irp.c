/*
 * irp.c — IRPs: allocation, IoCallDriver, IoCompleteRequest with
 * completion routines and pending propagation, cancellation, the
 * IoBuild*Request builders, and the Driver Verifier I/O checks on those
 * paths (facts §2.7, §3, §4.2-4.3).
 */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "ke/kp_ke.h"
#include "kpool/dispatch.h"
#include "kpool/guarded.h"

_Static_assert(sizeof(kpi_io_irp_t) == 80, "IRP header keeps 16-byte alignment");
_Static_assert(sizeof(kp_irp_t) == 0xD0, "IRP is 0xD0 bytes");
_Static_assert(sizeof(kp_io_stack_t) == 0x48, "IO_STACK_LOCATION is 0x48 bytes");
_Static_assert(offsetof(kp_irp_t, tail.overlay.current) == 0xB8, "CurrentStackLocation");
_Static_assert(offsetof(kp_irp_t, cancel_routine) == 0x68, "CancelRoutine");
_Static_assert(offsetof(kp_io_stack_t, completion) == 0x38, "CompletionRoutine");

#define MAX_STACK 127


static void bit_set(uint64_t *words, int i) {
  if (i >= 0 && i < 128)
    __atomic_fetch_or(&words[i / 64], (uint64_t)1 << (i % 64), __ATOMIC_ACQ_REL);
}
static void bit_clear(uint64_t *words, int i) {
  if (i >= 0 && i < 128)
    __atomic_fetch_and(&words[i / 64], ~((uint64_t)1 << (i % 64)), __ATOMIC_ACQ_REL);
}
static bool bit_get(const uint64_t *words, int i) {
  if (i < 0 || i >= 128) return false;
  return (__atomic_load_n(&words[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1u;
}

kpi_io_irp_t *kpi_io_irp_find(kpi_io_t *io, const kp_irp_t *irp) {
  for (kpi_io_irp_t *h = io->irps; h != NULL; h = h->next)
    if ((const void *)(h + 1) == (const void *)irp) return h;
  return NULL;
}

static bool recently_freed(kpi_io_t *io, const kp_irp_t *irp) {
  for (uint32_t i = 0; i < KPI_IO_FREED_RING; i++)
    if (io->freed[i] == irp) return true;
  return false;
}

/* Sets up a fresh IRP header and its empty stack. */
static void irp_init(kp_irp_t *irp, int n) {
  uint8_t flags = irp->allocation_flags;
  memset(irp, 0, kp_irp_size(n));
  irp->type = KP_IO_TYPE_IRP;
  irp->size = (uint16_t)kp_irp_size(n);
  irp->stack_count = (int8_t)n;
  irp->current_location = (int8_t)(n + 1);
  irp->allocation_flags = flags;
  irp->thread_list.flink = &irp->thread_list;
  irp->thread_list.blink = &irp->thread_list;
  irp->tail.overlay.current = (kp_io_stack_t *)(void *)(irp + 1) + n;
}

kp_irp_t *kpi_io_irp_new(kp_system_t *sys, int stack_size, uint32_t kind,
                         kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || stack_size < 1 || stack_size > MAX_STACK) return NULL;
  size_t total = sizeof(kpi_io_irp_t) + kp_irp_size(stack_size);
  kpi_io_irp_t *h = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, total, KP_IO_TAG_IRP, site);
  if (h == NULL) return NULL;
  kp_irp_t *irp = (kp_irp_t *)(void *)(h + 1);
  irp_init(irp, stack_size);
  h->kind = kind;
  kpi_mutex_lock(&io->lock);
  h->serial = io->next_serial++;
  h->next = io->irps;
  if (io->irps != NULL) io->irps->prev = h;
  io->irps = h;
  for (uint32_t i = 0; i < KPI_IO_FREED_RING; i++)
    if (io->freed[i] == irp) io->freed[i] = NULL;
  kpi_mutex_unlock(&io->lock);
  return irp;
}

void kpi_io_irp_delete(kp_system_t *sys, kp_irp_t *irp, kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  kpi_io_irp_t *h = kpi_irp_hdr(irp);
  kpi_mutex_lock(&io->lock);
  if (h->prev != NULL) h->prev->next = h->next;
  else io->irps = h->next;
  if (h->next != NULL) h->next->prev = h->prev;
  io->freed[io->freed_pos++ % KPI_IO_FREED_RING] = irp;
  kpi_mutex_unlock(&io->lock);
  kp_free(sys, h, KP_IO_TAG_IRP, site);
}

kp_irp_t *kp_irp_alloc(kp_system_t *sys, int stack_size, kp_site_t site) {
  return kpi_io_irp_new(sys, stack_size, KPI_IRP_ALLOCATED, site);
}

static void io_violation(kp_system_t *sys, uint64_t p1, uint64_t p2,
                         uint64_t p3, uint64_t p4, kp_site_t site,
                         const char *what) {
  kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_IOMANAGER_VIOLATION, p1,
                     p2, p3, p4, &(kpi_bugcheck_ctx_t){.site = site}, "%s", what);
}

void kp_irp_free(kp_system_t *sys, kp_irp_t *irp, kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return;
  kpi_mutex_lock(&io->lock);
  kpi_io_irp_t *h = kpi_io_irp_find(io, irp);
  uint32_t kind = h != NULL ? h->kind : 0;
  bool in_use = h != NULL && h->sent && !h->completed &&
                irp->current_location <= irp->stack_count;
  kpi_mutex_unlock(&io->lock);
  if (h == NULL) {
    io_violation(sys, 0x01, (uintptr_t)irp, 0, 0, site,
                 "IoFreeIrp on something that is not a live IRP (freed twice, "
                 "or never allocated by IoAllocateIrp).");
    return;
  }
  if (kind != KPI_IRP_ALLOCATED) {
    io_violation(sys, 0x02, (uintptr_t)irp, 0, 0, site,
                 "IoFreeIrp on an IRP the I/O manager owns (a request's IRP, or "
                 "one from IoBuildDeviceIoControlRequest / "
                 "IoBuildSynchronousFsdRequest: complete it instead).");
    return;
  }
  if (in_use) {
    io_violation(sys, 0x20A, (uintptr_t)site.caller, (uintptr_t)irp, 0, site,
                 "IoFreeIrp on an IRP that a driver below still owns (sent with "
                 "IoCallDriver and not completed).");
    return;
  }
  kpi_io_irp_delete(sys, irp, site);
}

void kp_irp_reuse(kp_system_t *sys, kp_irp_t *irp, kp_status_t status) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || irp == NULL) return;
  kpi_mutex_lock(&io->lock);
  kpi_io_irp_t *h = kpi_io_irp_find(io, irp);
  if (h != NULL) {
    h->completed = 0;
    h->sent = 0;
    memset(h->marked, 0, sizeof h->marked);
    memset(h->forwarded, 0, sizeof h->forwarded);
  }
  kpi_mutex_unlock(&io->lock);
  if (h == NULL) {
    io_violation(sys, 0x01, (uintptr_t)irp, 0, 0, KP_NOSITE,
                 "IoReuseIrp on something that is not a live IRP.");
    return;
  }
  irp_init(irp, irp->stack_count);
  irp->io_status.u.status = status;
}

/* Under the lock: the header of @p irp if it is still the IRP of
 * @p serial (it may have been freed, and its memory reused, meanwhile). */
static kpi_io_irp_t *same_irp(kpi_io_t *io, kp_irp_t *irp, uint64_t serial) {
  kpi_io_irp_t *h = kpi_io_irp_find(io, irp);
  return h != NULL && h->serial == serial ? h : NULL;
}

kp_status_t kp_irp_call(kp_system_t *sys, kp_device_t *device, kp_irp_t *irp,
                        kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  bool verify = kpi_io_verify(sys);
  kp_irql_t before = kp_irql_get();
  uintptr_t caller = (uintptr_t)site.caller;
  if (verify && before > KP_DISPATCH_LEVEL) {
    io_violation(sys, 0x10, before, 0, 0, site,
                 "IoCallDriver called above DISPATCH_LEVEL.");
    return KP_STATUS_INVALID_PARAMETER;
  }
  kpi_mutex_lock(&io->lock);
  kpi_io_irp_t *h = kpi_io_irp_find(io, irp);
  bool dev_ok = kpi_io_dev_find(io, device) != NULL;
  uint64_t serial = h != NULL ? h->serial : 0;
  kpi_mutex_unlock(&io->lock);
  if (h == NULL) {
    io_violation(sys, 0x03, (uintptr_t)irp, 0, 0, site,
                 "IoCallDriver with something that is not a live IRP.");
    return KP_STATUS_INVALID_PARAMETER;
  }
  if (!dev_ok) {
    io_violation(sys, 0x04, (uintptr_t)device, 0, 0, site,
                 "IoCallDriver with something that is not a live device object.");
    return KP_STATUS_INVALID_PARAMETER;
  }
  if (verify && __atomic_load_n(&irp->cancel_routine, __ATOMIC_ACQUIRE) != NULL)
    io_violation(sys, 0x203, caller, (uintptr_t)irp, 0, site,
                 "IoCallDriver with the IRP's cancel routine still set: clear it "
                 "(IoSetCancelRoutine(Irp, NULL)) before passing the IRP on.");
  if (irp->current_location <= 1) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_NO_MORE_IRP_STACK_LOCATIONS,
                       (uintptr_t)irp, 0, 0, 0, &(kpi_bugcheck_ctx_t){.site = site},
                       "IoCallDriver: the IRP has no stack location left for "
                       "the next driver (StackCount %d).", irp->stack_count);
    return KP_STATUS_INVALID_PARAMETER;
  }
  irp->current_location--;
  irp->tail.overlay.current--;
  kp_io_stack_t *loc = irp->tail.overlay.current;
  int cur = irp->current_location;
  loc->device = device;
  h->sent = 1;
  bit_clear(h->marked, cur);
  bit_clear(h->forwarded, cur);
  kp_dispatch_fn fn = loc->major < KP_IRP_MJ_COUNT
                          ? device->driver->major_function[loc->major]
                          : NULL;
  kp_status_t st;
  uint32_t apc_before = kp_apc_disable_count();
  if (fn == NULL) {
    irp->io_status.u.status = KP_STATUS_INVALID_DEVICE_REQUEST;
    irp->io_status.information = 0;
    kp_irp_complete(sys, irp, 0, site);
    st = KP_STATUS_INVALID_DEVICE_REQUEST;
  } else {
    st = fn(device, irp);
  }
  kp_irql_t after = kp_irql_get();
  if (verify && after != before) {
    (void)kp_irql_set(before);
    io_violation(sys, 0x05, (uintptr_t)device, before, after, site,
                 "The dispatch routine returned at a different IRQL than it "
                 "was called at (a spin lock not released, or KeLowerIrql "
                 "missing).");
  }
  uint32_t apc_after = kp_apc_disable_count();
  if (verify && apc_after != apc_before)
    kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, 0xC5,
                       (uintptr_t)fn, apc_after, apc_before,
                       &(kpi_bugcheck_ctx_t){.site = site},
                       "The dispatch routine returned with the thread's APC-disable "
                       "count changed (a KeEnterCriticalRegion or "
                       "KeEnterGuardedRegion without its Leave, or the reverse).");
  kpi_mutex_lock(&io->lock);
  h = same_irp(io, irp, serial);
  bool live = h != NULL;
  // Tell the caller's check that its IoCallDriver returned STATUS_PENDING.
  if (live && st == KP_STATUS_PENDING) bit_set(h->forwarded, cur + 1);
  bool marked = false, passed = false, forwarded = false;
  kp_status_t io_status = 0;
  if (live) {
    // The control byte is read atomically: another thread may be completing
    // the IRP now (the completion path touches it atomically too).
    marked = (__atomic_load_n(&loc->control, __ATOMIC_ACQUIRE) & KP_SL_PENDING_RETURNED) != 0 ||
             bit_get(h->marked, cur);
    forwarded = bit_get(h->forwarded, cur);
    // After STATUS_PENDING the IRP may be completing elsewhere: its position
    // and status are only read when the routine claims it is done.
    if (st != KP_STATUS_PENDING) {
      passed = h->completed || irp->current_location > cur;
      io_status = irp->io_status.u.status;
    }
  }
  kpi_mutex_unlock(&io->lock);
  if (!live || !verify) return st;
  uintptr_t routine = (uintptr_t)fn;
  if (st == KP_STATUS_PENDING) {
    if (!marked && !forwarded)
      io_violation(sys, 0x23D, routine, (uintptr_t)irp, (uint32_t)st, site,
                   "The dispatch routine returned STATUS_PENDING without "
                   "calling IoMarkIrpPending.");
  } else if (marked) {
    io_violation(sys, 0x23E, routine, (uintptr_t)irp, (uint32_t)st, site,
                 "The dispatch routine called IoMarkIrpPending but returned a "
                 "status other than STATUS_PENDING.");
  } else if (!passed) {
    io_violation(sys, 0x226, routine, (uintptr_t)irp, (uint32_t)st, site,
                 "The dispatch routine returned without completing the IRP, "
                 "passing it down, or marking it pending and returning "
                 "STATUS_PENDING.");
  } else if (st != io_status && irp->current_location > irp->stack_count) {
    io_violation(sys, 0x224, routine, (uintptr_t)irp, (uint32_t)io_status, site,
                 "The dispatch routine completed the IRP but returned a status "
                 "different from Irp->IoStatus.Status.");
  }
  return st;
}

void kp_irp_complete(kp_system_t *sys, kp_irp_t *irp, int8_t boost,
                     kp_site_t site) {
  (void)boost;  // recorded by nothing: the boost only affects scheduling
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return;
  bool verify = kpi_io_verify(sys);
  kp_irql_t irql = kp_irql_get();
  if (verify && irql > KP_DISPATCH_LEVEL) {
    io_violation(sys, 0x0E, irql, (uintptr_t)irp, 0, site,
                 "IoCompleteRequest called above DISPATCH_LEVEL.");
    return;
  }
  kpi_mutex_lock(&io->lock);
  kpi_io_irp_t *h = kpi_io_irp_find(io, irp);
  bool twice = h == NULL || h->completed ||
               irp->current_location > irp->stack_count + 1;
  bool freed = h == NULL && recently_freed(io, irp);
  kpi_mutex_unlock(&io->lock);
  if (twice) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_MULTIPLE_IRP_COMPLETE_REQUESTS,
                       (uintptr_t)irp, 0, 0, 0, &(kpi_bugcheck_ctx_t){.site = site},
                       "IoCompleteRequest on IRP %p, which %s.", (void *)irp,
                       freed ? "was completed and freed already"
                       : h == NULL ? "is not a live IRP"
                                   : "is already completed");
    return;
  }
  kp_status_t status = irp->io_status.u.status;
  if (verify && (status == KP_STATUS_PENDING || status == (kp_status_t)0xFFFFFFFFu))
    io_violation(sys, 0x06, (uint32_t)status, (uintptr_t)irp, 0, site,
                 "IoCompleteRequest with IoStatus.Status STATUS_PENDING (or -1): "
                 "set the final status first.");
  kp_cancel_fn cr = __atomic_load_n(&irp->cancel_routine, __ATOMIC_ACQUIRE);
  if (verify && cr != NULL)
    io_violation(sys, 0x07, (uintptr_t)cr, (uintptr_t)irp, 0, site,
                 "IoCompleteRequest with the IRP's cancel routine still set: "
                 "IoSetCancelRoutine(Irp, NULL) first.");

  // Walk up from the completing driver's location (facts §3.6).
  while (irp->current_location <= irp->stack_count) {
    kp_io_stack_t *loc = irp->tail.overlay.current;
    int index = irp->current_location;
    uint8_t control = __atomic_load_n(&loc->control, __ATOMIC_ACQUIRE);
    irp->pending_returned = (control & KP_SL_PENDING_RETURNED) != 0;
    if (irp->pending_returned) bit_set(h->marked, index);
    kp_completion_fn routine = loc->completion;
    void *context = loc->context;
    // The location is the completing driver's no longer: zero it (Control
    // atomically: the dispatch routine's IoCallDriver may be reading it).
    loc->major = loc->minor = loc->flags = 0;
    memset(&loc->parameters, 0, sizeof loc->parameters);
    loc->device = NULL;
    loc->file = NULL;
    loc->completion = NULL;
    loc->context = NULL;
    __atomic_store_n(&loc->control, 0, __ATOMIC_RELEASE);
    irp->current_location++;
    irp->tail.overlay.current++;
    bool top = irp->current_location > irp->stack_count;
    kp_status_t now = irp->io_status.u.status;
    bool call = routine != NULL &&
                ((KP_SUCCESS(now) && (control & KP_SL_INVOKE_ON_SUCCESS)) ||
                 (!KP_SUCCESS(now) && (control & KP_SL_INVOKE_ON_ERROR)) ||
                 (irp->cancel && (control & KP_SL_INVOKE_ON_CANCEL)));
    if (call) {
      kp_device_t *dev = top ? NULL : irp->tail.overlay.current->device;
      kp_irql_t before = kp_irql_get();
      uint32_t apc_before = kp_apc_disable_count();
      kp_status_t rs = routine(dev, irp, context);
      kp_irql_t after = kp_irql_get();
      uint32_t apc_after = kp_apc_disable_count();
      if (verify && apc_after != apc_before)
        kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, 0xFB,
                           (uintptr_t)routine, apc_after, apc_before, NULL,
                           "A completion routine returned with the thread's "
                           "APC-disable count changed.");
      if (verify && after != before) {
        (void)kp_irql_set(before);
        kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                           0xFA, (uintptr_t)routine, before, after, NULL,
                           "A completion routine returned at a different IRQL "
                           "than it was called at.");
      }
      if (rs == KP_STATUS_MORE_PROCESSING_REQUIRED) return;  // the routine's now
      if (verify && !top && irp->pending_returned &&
          (__atomic_load_n(&irp->tail.overlay.current->control, __ATOMIC_ACQUIRE) &
           KP_SL_PENDING_RETURNED) == 0)
        io_violation(sys, 0x228, (uintptr_t)routine, (uintptr_t)irp, 0, site,
                     "A completion routine saw Irp->PendingReturned TRUE and "
                     "did not call IoMarkIrpPending.");
    } else if (irp->pending_returned && !top) {
      // No routine: the I/O manager marks the driver above pending itself.
      __atomic_fetch_or(&irp->tail.overlay.current->control, KP_SL_PENDING_RETURNED,
                        __ATOMIC_ACQ_REL);
    }
  }
  // The top: the request is finished.
  kpi_mutex_lock(&io->lock);
  h->completed = 1;
  bool finish = h->kind != KPI_IRP_ALLOCATED && !h->submit_active;
  kpi_mutex_unlock(&io->lock);
  if (finish) kpi_io_request_finish(sys, irp);
}

kp_irql_t kp_io_cancel_lock(kp_system_t *sys) {
  kpi_io_t *io = kpi_io(sys);
  return kp_spin_lock_acquire(&io->cancel_lock);
}

void kp_io_cancel_unlock(kp_system_t *sys, kp_irql_t irql) {
  kpi_io_t *io = kpi_io(sys);
  kp_spin_lock_release(&io->cancel_lock, irql);
}

bool kp_irp_cancel(kp_system_t *sys, kp_irp_t *irp) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || irp == NULL) return false;
  kpi_mutex_lock(&io->lock);
  kpi_io_irp_t *h = kpi_io_irp_find(io, irp);
  bool completed = h != NULL && h->completed;
  kpi_mutex_unlock(&io->lock);
  if (h == NULL) return false;
  kp_irql_t irql = kp_io_cancel_lock(sys);
  __atomic_store_n(&irp->cancel, 1, __ATOMIC_RELEASE);
  kp_cancel_fn routine = __atomic_exchange_n(&irp->cancel_routine, NULL, __ATOMIC_ACQ_REL);
  if (routine == NULL) {
    kp_io_cancel_unlock(sys, irql);
    return false;
  }
  if (completed) {
    kp_io_cancel_unlock(sys, irql);
    kpi_bugcheck_raise(sys, KP_BUGCHECK_CANCEL_STATE_IN_COMPLETED_IRP,
                       (uintptr_t)irp, (uintptr_t)routine, 0, 0, NULL,
                       "IoCancelIrp would call the cancel routine of IRP %p, "
                       "which is already completed (the routine was not "
                       "cleared before IoCompleteRequest).", (void *)irp);
    return false;
  }
  irp->cancel_irql = irql;
  kp_device_t *dev = irp->current_location <= irp->stack_count
                         ? irp->tail.overlay.current->device
                         : NULL;
  // The routine releases the cancel spin lock (facts §3.9).
  routine(dev, irp);
  return true;
}

/* ---------------------------------------------------------------------------
 * IoBuildDeviceIoControlRequest / IoBuildSynchronousFsdRequest.
 * ------------------------------------------------------------------------- */
static kpi_io_req_t *req_new(kp_system_t *sys, kp_irp_t *irp) {
  kpi_io_req_t *req = calloc(1, sizeof *req);
  if (req == NULL) return NULL;
  req->sys = sys;
  req->irp = irp;
  kpi_irp_hdr(irp)->request = req;
  return req;
}

void kp_io_set_event_signal(kp_system_t *sys, kp_io_event_fn fn) {
  kpi_io_t *io = kpi_io(sys);
  if (io != NULL) io->event_fn = fn;
}

/* Undoes a half-built request. */
static void build_fail(kp_system_t *sys, kp_irp_t *irp) {
  kpi_io_irp_t *h = kpi_irp_hdr(irp);
  if (irp->associated.system_buffer != NULL)
    kp_free(sys, irp->associated.system_buffer, KP_IO_TAG_SYSTEM_BUFFER, KP_HERE);
  kpi_io_release_mdl(sys, h->request);
  free(h->request);
  kpi_io_irp_delete(sys, irp, KP_HERE);
}


kp_irp_t *kp_irp_build_ioctl(kp_system_t *sys, uint32_t code,
                             kp_device_t *device, void *in, uint32_t in_len,
                             void *out, uint32_t out_len, bool internal,
                             void *event, kp_io_status_t *iosb) {
  if (sys == NULL || device == NULL || iosb == NULL) return NULL;
  if (!kp_io_is_device(sys, device)) return NULL;
  kp_irp_t *irp = kpi_io_irp_new(sys, device->stack_size, KPI_IRP_BUILT, KP_HERE);
  if (irp == NULL) return NULL;
  kpi_io_req_t *req = req_new(sys, irp);
  if (req == NULL) {
    kpi_io_irp_delete(sys, irp, KP_HERE);
    return NULL;
  }
  req->op.major = internal ? KP_IRP_MJ_INTERNAL_DEVICE_CONTROL : KP_IRP_MJ_DEVICE_CONTROL;
  req->op.code = code;
  req->op.in = in;
  req->op.in_len = in_len;
  req->op.out = out;
  req->op.out_len = out_len;
  irp->user_iosb = iosb;
  irp->user_event = event;
  irp->requestor_mode = 0;  // KernelMode (facts §3.5)
  irp->tail.overlay.thread = kp_thread_object();
  kp_io_stack_t *next = kp_irp_next(irp);
  next->major = (uint8_t)req->op.major;
  next->parameters.ioctl.output_length = out_len;
  next->parameters.ioctl.input_length = in_len;
  next->parameters.ioctl.code = code;
  kp_status_t st = kpi_io_place_buffers(sys, irp, req, code & 3u);
  if (!KP_SUCCESS(st)) {
    build_fail(sys, irp);
    if (st == KP_STATUS_ACCESS_VIOLATION && kpi_io_verify(sys))
      io_violation(sys, 0x09, (uintptr_t)device, code, (uint32_t)st, KP_NOSITE,
                   "IoBuildDeviceIoControlRequest with an output buffer that is "
                   "not valid system memory (the MDL's probe failed).");
    return NULL;
  }
  return irp;
}

kp_irp_t *kp_irp_build_fsd(kp_system_t *sys, uint32_t major,
                           kp_device_t *device, void *buffer, uint32_t length,
                           const int64_t *offset, void *event,
                           kp_io_status_t *iosb) {
  if (sys == NULL || device == NULL || iosb == NULL) return NULL;
  bool rw = major == KP_IRP_MJ_READ || major == KP_IRP_MJ_WRITE;
  if (!rw && major != KP_IRP_MJ_FLUSH_BUFFERS && major != KP_IRP_MJ_SHUTDOWN &&
      major != KP_IRP_MJ_PNP)
    return NULL;
  if (!rw && (buffer != NULL || length != 0 || offset != NULL)) return NULL;
  if (!kp_io_is_device(sys, device)) return NULL;
  kp_irp_t *irp = kpi_io_irp_new(sys, device->stack_size, KPI_IRP_BUILT, KP_HERE);
  if (irp == NULL) return NULL;
  kpi_io_req_t *req = req_new(sys, irp);
  if (req == NULL) {
    kpi_io_irp_delete(sys, irp, KP_HERE);
    return NULL;
  }
  req->op.major = major;
  if (major == KP_IRP_MJ_WRITE) {
    req->op.in = buffer;
    req->op.in_len = length;
  } else if (major == KP_IRP_MJ_READ) {
    req->op.out = buffer;
    req->op.out_len = length;
  }
  req->op.offset = offset != NULL ? *offset : 0;
  irp->user_iosb = iosb;
  irp->user_event = event;
  irp->requestor_mode = 0;
  kp_io_stack_t *next = kp_irp_next(irp);
  next->major = (uint8_t)major;
  if (rw) {
    next->parameters.rw.length = length;
    next->parameters.rw.byte_offset = req->op.offset;
    uint32_t method = (device->flags & KP_DO_BUFFERED_IO) ? KP_METHOD_BUFFERED
                      : (device->flags & KP_DO_DIRECT_IO)
                          ? (major == KP_IRP_MJ_READ ? KP_METHOD_OUT_DIRECT : KP_METHOD_IN_DIRECT)
                          : KP_METHOD_NEITHER;
    kp_status_t st = kpi_io_place_buffers(sys, irp, req, method);
    if (!KP_SUCCESS(st)) {
      build_fail(sys, irp);
      if (st == KP_STATUS_ACCESS_VIOLATION && kpi_io_verify(sys))
        io_violation(sys, 0x08, (uintptr_t)device, major, (uint32_t)st, KP_NOSITE,
                     "IoBuildSynchronousFsdRequest with a buffer that is not valid "
                     "system memory (the MDL's probe failed).");
      return NULL;
    }
  }
  return irp;
}

/* ---------------------------------------------------------------------------
 * IoSetCompletionRoutineEx and IoInitializeIrp.
 * ------------------------------------------------------------------------- */
#define TAG_COMPLETION_EX KP_TAG('I', 'o', 'C', 'x')

typedef struct completion_ex {
  kp_system_t *sys;
  kp_completion_fn routine;
  void *context;
} completion_ex_t;

/* Runs the driver's routine after freeing the block that stood for it. */
static kp_status_t completion_ex_run(kp_device_t *device, kp_irp_t *irp,
                                     void *context) {
  completion_ex_t *e = context;
  kp_completion_fn routine = e->routine;
  void *ctx = e->context;
  kp_free(e->sys, e, TAG_COMPLETION_EX, KP_HERE);
  return routine(device, irp, ctx);
}

kp_status_t kp_irp_set_completion_ex(kp_system_t *sys, kp_device_t *device,
                                     kp_irp_t *irp, kp_completion_fn routine,
                                     void *context, uint8_t flags) {
  (void)device;
  if (sys == NULL || irp == NULL || routine == NULL) return KP_STATUS_INVALID_PARAMETER;
  completion_ex_t *e = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, sizeof *e,
                                 TAG_COMPLETION_EX, KP_HERE);
  if (e == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  e->sys = sys;
  e->routine = routine;
  e->context = context;
  kp_io_stack_t *next = kp_irp_next(irp);
  next->completion = completion_ex_run;
  next->context = e;
  next->control = (uint8_t)(flags & (KP_SL_INVOKE_ON_SUCCESS | KP_SL_INVOKE_ON_ERROR |
                                     KP_SL_INVOKE_ON_CANCEL));
  return KP_STATUS_SUCCESS;
}

void kp_irp_initialize(kp_system_t *sys, kp_irp_t *irp, uint16_t size,
                       int stack_size, kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || irp == NULL) return;
  kpi_mutex_lock(&io->lock);
  bool tracked = kpi_io_irp_find(io, irp) != NULL;
  kpi_mutex_unlock(&io->lock);
  if (tracked) {
    io_violation(sys, 0x20D, (uintptr_t)site.caller, (uintptr_t)irp, 0, site,
                 "IoInitializeIrp on an IRP from IoAllocateIrp (it is already "
                 "initialised; use IoReuseIrp to recycle it).");
    return;
  }
  if (stack_size < 1 || stack_size > MAX_STACK || size < kp_irp_size(stack_size)) return;
  kp_printf(sys, "kpool: IoInitializeIrp on driver memory %p: initialised, but "
            "kpool does not track IRPs a driver allocates itself; sending it "
            "is 0xC9/0x03 (use IoAllocateIrp)\n", (void *)irp);
  irp_init(irp, stack_size);
}
