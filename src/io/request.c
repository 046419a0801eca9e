/*
 * request.c — what a user-mode caller does: open a device by name, send
 * reads, writes and device-control requests with the I/O manager's buffer
 * placement (facts §3.4, §3.5), wait for pending ones, cancel them, close.
 */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "ke/kp_ke.h"
#include "kpool/dispatch.h"
#include "kpool/mdl.h"
#include "kpool/raise.h"

/* IO_SECURITY_CONTEXT as a CREATE's Parameters.Create.SecurityContext
 * points to it (x64: QoS, AccessState, DesiredAccess, FullCreateOptions). */
typedef struct sec_context {
  void *qos;
  void *access_state;
  uint32_t desired_access;
  uint32_t full_create_options;
} sec_context_t;

#define FILE_OPEN_DISPOSITION 1u  /* FILE_OPEN, in the top 8 bits of Options */

static bool nt_error(kp_status_t st) { return (uint32_t)st >= 0xC0000000u; }

static bool wants_read(uint32_t access) {
  return (access & (KP_FILE_READ_DATA | KP_GENERIC_READ | KP_GENERIC_ALL)) != 0;
}
static bool wants_write(uint32_t access) {
  return (access & (KP_FILE_WRITE_DATA | KP_GENERIC_WRITE | KP_GENERIC_ALL)) != 0;
}

kp_status_t kpi_io_place_buffers(kp_system_t *sys, kp_irp_t *irp,
                                 kpi_io_req_t *req, uint32_t method) {
  kp_io_op_t *op = &req->op;
  kp_io_stack_t *next = kp_irp_next(irp);
  bool ioctl = op->major == KP_IRP_MJ_DEVICE_CONTROL ||
               op->major == KP_IRP_MJ_INTERNAL_DEVICE_CONTROL;
  req->method = method;
  if (method == KP_METHOD_NEITHER) {
    // The caller's own addresses, unvalidated (facts §3.5).
    if (ioctl) {
      next->parameters.ioctl.type3_input = (void *)(uintptr_t)op->in;
      irp->user_buffer = op->out;
    } else {
      irp->user_buffer = op->major == KP_IRP_MJ_WRITE ? (void *)(uintptr_t)op->in : op->out;
    }
    return KP_STATUS_SUCCESS;
  }
  uint32_t sys_len;
  if (method == KP_METHOD_BUFFERED)
    sys_len = ioctl ? (op->in_len > op->out_len ? op->in_len : op->out_len)
                    : (op->major == KP_IRP_MJ_WRITE ? op->in_len : op->out_len);
  else
    sys_len = ioctl ? op->in_len : 0;
  // No system buffer for zero lengths (facts §3.5).
  if (sys_len != 0) {
    void *buf = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_UNINITIALIZED,
                          sys_len, KP_IO_TAG_SYSTEM_BUFFER, KP_HERE);
    if (buf == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
    uint32_t in_copy = (ioctl || op->major == KP_IRP_MJ_WRITE) ? op->in_len : 0;
    if (in_copy != 0 && op->in != NULL) memcpy(buf, op->in, in_copy);
    irp->associated.system_buffer = buf;
    irp->flags |= KP_IRP_BUFFERED_IO | KP_IRP_DEALLOCATE_BUFFER;
  }
  if (method == KP_METHOD_BUFFERED) {
    bool out = ioctl ? op->out_len != 0 : op->major == KP_IRP_MJ_READ;
    if (out && sys_len != 0) {
      irp->flags |= KP_IRP_INPUT_OPERATION;
      req->buffered_out = true;
      req->buffered_out_len = op->out_len;
    }
    irp->user_buffer = op->out;
    return KP_STATUS_SUCCESS;
  }
  // IN_DIRECT / OUT_DIRECT (and DO_DIRECT_IO reads and writes): an MDL for
  // the second buffer, none for a zero length, probed and locked as the
  // I/O manager does: for read when the driver reads from it (IN_DIRECT,
  // writes), for write when it fills it (OUT_DIRECT, reads).
  void *va = ioctl ? op->out : (op->major == KP_IRP_MJ_WRITE ? (void *)(uintptr_t)op->in : op->out);
  uint32_t len = ioctl ? op->out_len : (op->major == KP_IRP_MJ_WRITE ? op->in_len : op->out_len);
  if (len == 0 || va == NULL) return KP_STATUS_SUCCESS;
  bool user = irp->requestor_mode == 1;
  if (user && KP_SUCCESS(kp_mdl_register_user_buffer(sys, va, len, true))) {
    // The test's buffer stands for the caller's user-mode buffer (unless the
    // test registered it itself).
    req->user_va = va;
  }
  kp_mdl_t *mdl = kp_mdl_alloc(sys, va, len, false, false, &irp->mdl, KP_HERE);
  if (mdl == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  req->mdl = mdl;
  int operation = method == KP_METHOD_OUT_DIRECT ? 1 /* IoWriteAccess */ : 0 /* IoReadAccess */;
  volatile kp_status_t raised = KP_STATUS_SUCCESS;
  KP_TRY {
    kp_mdl_probe_and_lock(sys, mdl, user ? 1 : 0, operation, KP_HERE);
  } KP_EXCEPT(st) {
    raised = st;
  } KP_END_TRY;
  if (!KP_SUCCESS(raised)) {
    // Not locked: the MDL goes, and the request fails as the probe did.
    irp->mdl = NULL;
    req->mdl = NULL;
    kp_mdl_free(sys, mdl, KP_HERE);
    return raised;
  }
  return KP_STATUS_SUCCESS;
}

/* Releases a request's MDL and its user-buffer registration. */
void kpi_io_release_mdl(kp_system_t *sys, kpi_io_req_t *req) {
  if (req == NULL) return;
  if (req->mdl != NULL) {
    kp_mdl_unlock(sys, req->mdl, KP_HERE);
    kp_mdl_free(sys, req->mdl, KP_HERE);
    req->mdl = NULL;
  }
  if (req->user_va != NULL) {
    (void)kp_mdl_unregister_user_buffer(sys, req->user_va);
    req->user_va = NULL;
  }
}

void kpi_io_request_finish(kp_system_t *sys, kp_irp_t *irp) {
  kpi_io_t *io = kpi_io(sys);
  kpi_io_irp_t *h = kpi_irp_hdr(irp);
  kpi_io_req_t *req = h->request;
  kp_status_t status = irp->io_status.u.status;
  uint64_t info = irp->io_status.information;
  if (req != NULL && req->buffered_out) {
    uint64_t n = info;
    if (info > req->buffered_out_len) {
      if (kpi_io_verify(sys) && req->method == KP_METHOD_BUFFERED &&
          req->op.major != KP_IRP_MJ_READ)
        kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                           0x312, 0, (uintptr_t)irp, info, NULL,
                           "IoStatus.Information (%llu) is larger than the "
                           "output buffer (%u bytes) of a METHOD_BUFFERED "
                           "request.", (unsigned long long)info,
                           (unsigned)req->buffered_out_len);
      n = req->buffered_out_len;
    }
    // Copy back only when the status is not an error (facts §3.5).
    if (!nt_error(status) && n != 0 && req->op.out != NULL)
      memcpy(req->op.out, irp->associated.system_buffer, (size_t)n);
  }
  if (irp->associated.system_buffer != NULL && (irp->flags & KP_IRP_DEALLOCATE_BUFFER))
    kp_free(sys, irp->associated.system_buffer, KP_IO_TAG_SYSTEM_BUFFER, KP_HERE);
  kpi_io_release_mdl(sys, req);
  uint32_t kind = h->kind;
  if (kind == KPI_IRP_BUILT) {
    if (irp->user_iosb != NULL) {
      irp->user_iosb->u.status = status;
      irp->user_iosb->information = (uintptr_t)info;
    }
    // The caller's KEVENT (IoBuild*Request): KeSetEvent through the
    // dispatcher, or the hook a test installed.
    if (irp->user_event != NULL) {
      if (io->event_fn != NULL) io->event_fn(irp->user_event);
      else (void)kp_event_set(sys, irp->user_event, 0, false, KP_HERE);
    }
    free(req);
  }
  kpi_io_irp_delete(sys, irp, KP_HERE);
  if (kind == KPI_IRP_USER && req != NULL) {
    struct kp_io_handle *hd = req->handle;
    req->status = status;
    req->information = info;
    kpi_mutex_lock(&io->lock);
    if (hd != NULL && hd->outstanding > 0) hd->outstanding--;
    kpi_mutex_unlock(&io->lock);
    atomic_store_explicit(&req->done, 1, memory_order_release);
  }
}

/* Sends @p irp (set up for @p req) to the handle's stack top. */
static kp_status_t send(kp_io_handle_t *hd, kpi_io_req_t *req, kp_irp_t *irp,
                        uint64_t *information, kp_io_request_t **pending) {
  kp_system_t *sys = hd->sys;
  kpi_io_t *io = kpi_io(sys);
  kpi_io_irp_t *h = kpi_irp_hdr(irp);
  if (pending != NULL) *pending = NULL;
  kpi_mutex_lock(&io->lock);
  hd->outstanding++;
  h->submit_active = 1;
  kpi_mutex_unlock(&io->lock);
  kp_irql_t old = kp_irql_set(KP_PASSIVE_LEVEL);
  kp_status_t st = kp_irp_call(sys, hd->top, irp, KP_NOSITE);
  (void)kp_irql_set(old);
  kpi_mutex_lock(&io->lock);
  h->submit_active = 0;
  bool done = h->completed;
  kpi_mutex_unlock(&io->lock);
  if (done) kpi_io_request_finish(sys, irp);
  bool finished = atomic_load_explicit(&req->done, memory_order_acquire) != 0;
  if (!finished && st == KP_STATUS_PENDING && pending != NULL) {
    req->waiter = true;
    *pending = (kp_io_request_t *)req;
    return KP_STATUS_PENDING;
  }
  if (!finished && st != KP_STATUS_PENDING) {
    // The driver neither completed nor pended it (0x226 with I/O
    // verification): the caller sees what it returned; the IRP stays, and
    // the unload check reports it.
    if (information != NULL) *information = 0;
    return st;
  }
  while (atomic_load_explicit(&req->done, memory_order_acquire) == 0) kpi_os_sleep_ms(1);
  if (information != NULL) *information = req->information;
  st = req->status;
  free(req);
  kpi_io_run_closes(sys);
  return st;
}

/* A request IRP for @p hd with the next location set up for @p major. */
static kp_irp_t *request_irp(kp_io_handle_t *hd, uint32_t major, kpi_io_req_t **out) {
  kp_irp_t *irp = kpi_io_irp_new(hd->sys, hd->top->stack_size, KPI_IRP_USER, KP_HERE);
  if (irp == NULL) return NULL;
  kpi_io_req_t *req = calloc(1, sizeof *req);
  if (req == NULL) {
    kpi_io_irp_delete(hd->sys, irp, KP_HERE);
    return NULL;
  }
  req->sys = hd->sys;
  req->handle = hd;
  req->irp = irp;
  req->op.major = major;
  kpi_irp_hdr(irp)->request = req;
  irp->requestor_mode = 1;  // UserMode
  irp->tail.overlay.original_file = hd->file;
  irp->tail.overlay.thread = kp_thread_object();  // the requesting thread
  kp_io_stack_t *next = kp_irp_next(irp);
  next->major = (uint8_t)major;
  next->file = hd->file;
  *out = req;
  return irp;
}

/* Sends a CREATE, CLEANUP or CLOSE (no buffers) and waits. */
static kp_status_t simple_request(kp_io_handle_t *hd, uint32_t major,
                                  sec_context_t *sec) {
  kpi_io_req_t *req = NULL;
  kp_irp_t *irp = request_irp(hd, major, &req);
  if (irp == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_io_stack_t *next = kp_irp_next(irp);
  if (major == KP_IRP_MJ_CREATE) {
    next->parameters.create.security_context = sec;
    next->parameters.create.options = FILE_OPEN_DISPOSITION << 24;
    irp->flags |= KP_IRP_CREATE_OPERATION;
  } else if (major == KP_IRP_MJ_CLOSE) {
    irp->flags |= KP_IRP_CLOSE_OPERATION;
  }
  return send(hd, req, irp, NULL, NULL);
}

/* Converts an ASCII name to UTF-16 (NULL for a non-ASCII or long one). */
static uint16_t *ascii_u16(const char *s, size_t *len) {
  size_t n = strlen(s);
  if (n == 0 || n > 1024) return NULL;
  uint16_t *u = malloc((n + 1) * sizeof *u);
  if (u == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)s[i] >= 0x80) {
      free(u);
      return NULL;
    }
    u[i] = (uint8_t)s[i];
  }
  u[n] = 0;
  *len = n;
  return u;
}

/* The handle is closed (CLEANUP sent): it no longer counts as an open
 * handle to the device (unload and exclusive opens look at that count). */
static void handle_closed(kp_io_handle_t *hd) {
  kpi_io_t *io = kpi_io(hd->sys);
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *dh = kpi_io_dev_find(io, hd->device);
  if (dh != NULL && !hd->handle_closed) dh->open_files--;
  hd->handle_closed = true;
  kpi_mutex_unlock(&io->lock);
}

/* Drops the handle's file object and device references, and frees it. */
static void handle_release(kp_io_handle_t *hd) {
  kp_system_t *sys = hd->sys;
  kpi_io_t *io = kpi_io(sys);
  kpi_mutex_lock(&io->lock);
  for (struct kp_io_handle **pp = &io->handles; *pp != NULL; pp = &(*pp)->next)
    if (*pp == hd) {
      *pp = hd->next;
      break;
    }
  kpi_io_dev_t *dh = kpi_io_dev_find(io, hd->device);
  if (dh != NULL) {
    if (!hd->handle_closed) dh->open_files--;
    dh->refs--;
  }
  kpi_mutex_unlock(&io->lock);
  kp_free(sys, hd->file, KP_IO_TAG_FILE, KP_HERE);
  kp_device_t *dev = hd->device;
  free(hd);
  kpi_io_dev_release(sys, io, dev);
}

kp_status_t kp_io_open(kp_system_t *sys, const char *name, uint32_t access,
                       kp_io_handle_t **handle) {
  if (handle != NULL) *handle = NULL;
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || name == NULL || handle == NULL) return KP_STATUS_INVALID_PARAMETER;
  kpi_io_run_closes(sys);
  size_t len = 0;
  uint16_t *u = ascii_u16(name, &len);
  if (u == NULL) return KP_STATUS_OBJECT_NAME_INVALID;
  size_t clen = 0;
  uint16_t *canon = kpi_io_canon(u, len, &clen);
  free(u);
  if (canon == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_io_handle_t *hd = calloc(1, sizeof *hd);
  kp_file_t *file = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, sizeof(kp_file_t),
                              KP_IO_TAG_FILE, KP_HERE);
  kp_status_t st = KP_STATUS_SUCCESS;
  kpi_mutex_lock(&io->lock);
  kp_device_t *dev = kpi_io_resolve(io, canon, clen);
  kpi_io_dev_t *dh = dev != NULL ? kpi_io_dev_find(io, dev) : NULL;
  if (hd == NULL || file == NULL) st = KP_STATUS_INSUFFICIENT_RESOURCES;
  else if (dh == NULL) st = KP_STATUS_OBJECT_NAME_NOT_FOUND;
  else if (dh->delete_pending) st = KP_STATUS_DELETE_PENDING;
  else if ((dev->flags & KP_DO_EXCLUSIVE) && dh->open_files != 0) st = KP_STATUS_ACCESS_DENIED;
  if (KP_SUCCESS(st)) {
    dh->open_files++;
    dh->refs++;
    kp_device_t *top = dev;
    while (top->attached_device != NULL) top = top->attached_device;
    hd->sys = sys;
    hd->device = dev;
    hd->top = top;
    hd->access = access;
    hd->file = file;
    hd->file_refs = 1;
    hd->next = io->handles;
    io->handles = hd;
  }
  kpi_mutex_unlock(&io->lock);
  free(canon);
  if (!KP_SUCCESS(st)) {
    if (file != NULL) kp_free(sys, file, KP_IO_TAG_FILE, KP_HERE);
    free(hd);
    return st;
  }
  file->type = KP_IO_TYPE_FILE;
  file->size = (int16_t)sizeof(kp_file_t);
  file->device = dev;
  file->read_access = wants_read(access);
  file->write_access = wants_write(access);
  sec_context_t sec = {NULL, NULL, access, 0};
  st = simple_request(hd, KP_IRP_MJ_CREATE, &sec);
  if (!KP_SUCCESS(st)) {
    handle_release(hd);
    return st;
  }
  *handle = hd;
  return st;
}

kp_file_t *kp_io_handle_file(kp_io_handle_t *handle) {
  return handle != NULL ? handle->file : NULL;
}

void kpi_io_run_closes(kp_system_t *sys) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || kp_irql_get() != KP_PASSIVE_LEVEL) return;
  for (;;) {
    kp_io_handle_t *ready = NULL;
    kpi_mutex_lock(&io->lock);
    for (kp_io_handle_t *h = io->handles; h != NULL; h = h->next)
      if (h->close_wanted && h->outstanding == 0) {
        ready = h;
        h->close_wanted = false;
        break;
      }
    kpi_mutex_unlock(&io->lock);
    if (ready == NULL) return;
    (void)simple_request(ready, KP_IRP_MJ_CLOSE, NULL);
    handle_release(ready);
  }
}

/* Under the lock: the handle whose file object is @p file. */
static kp_io_handle_t *handle_of(kpi_io_t *io, const kp_file_t *file) {
  for (kp_io_handle_t *h = io->handles; h != NULL; h = h->next)
    if (h->file == file) return h;
  return NULL;
}

bool kp_io_file_reference(kp_system_t *sys, kp_file_t *file) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || file == NULL) return false;
  kpi_mutex_lock(&io->lock);
  kp_io_handle_t *h = handle_of(io, file);
  if (h != NULL) h->file_refs++;
  kpi_mutex_unlock(&io->lock);
  return h != NULL;
}

bool kp_io_file_dereference(kp_system_t *sys, kp_file_t *file) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || file == NULL) return false;
  kpi_mutex_lock(&io->lock);
  kp_io_handle_t *h = handle_of(io, file);
  bool ok = h != NULL && h->file_refs > 0;
  if (ok && --h->file_refs == 0) h->close_wanted = true;
  kpi_mutex_unlock(&io->lock);
  if (ok) kpi_io_run_closes(sys);
  return ok;
}

kp_status_t kp_io_close(kp_io_handle_t *hd) {
  if (hd == NULL) return KP_STATUS_INVALID_HANDLE;
  kp_system_t *sys = hd->sys;
  if (hd->cleanup_sent) return KP_STATUS_INVALID_HANDLE;
  hd->cleanup_sent = true;
  // CloseHandle succeeds whatever the driver's CLEANUP returns.
  (void)simple_request(hd, KP_IRP_MJ_CLEANUP, NULL);
  handle_closed(hd);
  // CLOSE comes when the last reference to the file object goes and the
  // last request on it is done.
  (void)kp_io_file_dereference(sys, hd->file);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_io_get_device_pointer(kp_system_t *sys, const uint16_t *name,
                                     size_t name_len, uint32_t access,
                                     kp_file_t **file, kp_device_t **device) {
  if (file != NULL) *file = NULL;
  if (device != NULL) *device = NULL;
  if (sys == NULL || name == NULL || file == NULL || device == NULL)
    return KP_STATUS_INVALID_PARAMETER;
  if (name_len == 0 || name_len > 1024) return KP_STATUS_OBJECT_NAME_INVALID;
  char ascii[1025];
  for (size_t i = 0; i < name_len; i++) {
    if (name[i] == 0 || name[i] >= 0x80) return KP_STATUS_OBJECT_NAME_INVALID;
    ascii[i] = (char)name[i];
  }
  ascii[name_len] = '\0';
  kp_io_handle_t *hd = NULL;
  kp_status_t st = kp_io_open(sys, ascii, access, &hd);
  if (!KP_SUCCESS(st)) return st;
  hd->cleanup_sent = true;
  (void)simple_request(hd, KP_IRP_MJ_CLEANUP, NULL);
  handle_closed(hd);
  // The handle's reference becomes the caller's file object reference.
  *file = hd->file;
  *device = hd->top;
  return st;
}

kp_status_t kp_io_submit(kp_io_handle_t *hd, const kp_io_op_t *op,
                         uint64_t *information, kp_io_request_t **request) {
  if (information != NULL) *information = 0;
  if (request != NULL) *request = NULL;
  if (hd == NULL || hd->cleanup_sent) return KP_STATUS_INVALID_HANDLE;
  if (op == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_system_t *sys = hd->sys;
  kpi_io_run_closes(sys);
  bool ioctl = op->major == KP_IRP_MJ_DEVICE_CONTROL;
  bool rw = op->major == KP_IRP_MJ_READ || op->major == KP_IRP_MJ_WRITE;
  if (!ioctl && !rw && op->major != KP_IRP_MJ_FLUSH_BUFFERS)
    return KP_STATUS_INVALID_PARAMETER;
  if ((op->in_len != 0 && op->in == NULL) || (op->out_len != 0 && op->out == NULL))
    return KP_STATUS_INVALID_PARAMETER;
  // The I/O manager checks the handle's access before building the IRP.
  uint32_t need = ioctl ? (op->code >> 14) & 3u
                  : op->major == KP_IRP_MJ_READ ? KP_FILE_READ_ACCESS
                  : op->major == KP_IRP_MJ_WRITE ? KP_FILE_WRITE_ACCESS : 0u;
  if (((need & KP_FILE_READ_ACCESS) && !wants_read(hd->access)) ||
      ((need & KP_FILE_WRITE_ACCESS) && !wants_write(hd->access)))
    return KP_STATUS_ACCESS_DENIED;
  kpi_io_req_t *req = NULL;
  kp_irp_t *irp = request_irp(hd, op->major, &req);
  if (irp == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  req->op = *op;
  kp_io_stack_t *next = kp_irp_next(irp);
  uint32_t method;
  if (ioctl) {
    next->parameters.ioctl.output_length = op->out_len;
    next->parameters.ioctl.input_length = op->in_len;
    next->parameters.ioctl.code = op->code;
    method = op->code & 3u;
  } else {
    next->parameters.rw.length = op->major == KP_IRP_MJ_READ ? op->out_len : op->in_len;
    next->parameters.rw.byte_offset = op->offset;
    uint32_t f = hd->top->flags;
    method = (f & KP_DO_BUFFERED_IO) ? KP_METHOD_BUFFERED
             : (f & KP_DO_DIRECT_IO) ? (op->major == KP_IRP_MJ_READ ? KP_METHOD_OUT_DIRECT
                                                                    : KP_METHOD_IN_DIRECT)
                                     : KP_METHOD_NEITHER;
    if (op->major == KP_IRP_MJ_READ) irp->flags |= KP_IRP_READ_OPERATION;
    if (op->major == KP_IRP_MJ_WRITE) irp->flags |= KP_IRP_WRITE_OPERATION;
  }
  if (op->major != KP_IRP_MJ_FLUSH_BUFFERS) {
    kp_status_t st = kpi_io_place_buffers(sys, irp, req, method);
    if (!KP_SUCCESS(st)) {
      if (irp->associated.system_buffer != NULL)
        kp_free(sys, irp->associated.system_buffer, KP_IO_TAG_SYSTEM_BUFFER, KP_HERE);
      kpi_io_release_mdl(sys, req);
      free(req);
      kpi_io_irp_delete(sys, irp, KP_HERE);
      return st;
    }
  }
  return send(hd, req, irp, information, request);
}

kp_status_t kp_io_wait(kp_io_request_t *request, uint32_t timeout_ms,
                       uint64_t *information) {
  kpi_io_req_t *req = (kpi_io_req_t *)request;
  if (req == NULL) return KP_STATUS_INVALID_PARAMETER;
  uint32_t waited = 0;
  while (atomic_load_explicit(&req->done, memory_order_acquire) == 0) {
    if (timeout_ms != UINT32_MAX && waited >= timeout_ms) return KP_STATUS_TIMEOUT;
    kpi_os_sleep_ms(1);
    waited++;
  }
  kp_status_t st = req->status;
  if (information != NULL) *information = req->information;
  kp_system_t *sys = req->sys;
  free(req);
  kpi_io_run_closes(sys);
  return st;
}

bool kp_io_cancel(kp_io_request_t *request) {
  kpi_io_req_t *req = (kpi_io_req_t *)request;
  if (req == NULL || atomic_load_explicit(&req->done, memory_order_acquire)) return false;
  return kp_irp_cancel(req->sys, req->irp);
}

kp_irp_t *kp_io_request_irp(kp_io_request_t *request) {
  kpi_io_req_t *req = (kpi_io_req_t *)request;
  if (req == NULL || atomic_load_explicit(&req->done, memory_order_acquire)) return NULL;
  return req->irp;
}

kp_status_t kp_io_read(kp_io_handle_t *handle, void *buf, uint32_t len,
                       int64_t offset, uint64_t *information) {
  kp_io_op_t op = {KP_IRP_MJ_READ, 0, NULL, 0, buf, len, offset};
  return kp_io_submit(handle, &op, information, NULL);
}

kp_status_t kp_io_write(kp_io_handle_t *handle, const void *buf, uint32_t len,
                        int64_t offset, uint64_t *information) {
  kp_io_op_t op = {KP_IRP_MJ_WRITE, 0, buf, len, NULL, 0, offset};
  return kp_io_submit(handle, &op, information, NULL);
}

kp_status_t kp_io_ioctl(kp_io_handle_t *handle, uint32_t code, const void *in,
                        uint32_t in_len, void *out, uint32_t out_len,
                        uint64_t *information) {
  kp_io_op_t op = {KP_IRP_MJ_DEVICE_CONTROL, code, in, in_len, out, out_len, 0};
  return kp_io_submit(handle, &op, information, NULL);
}
