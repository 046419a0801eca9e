/*
 * object.c — ObReferenceObject / ObDereferenceObject over the objects the
 * other modules own (device and file objects from the I/O manager).
 */
#include "ke/kp_ke.h"
#include "kpool/cm.h"
#include "kpool/dispatch.h"
#include "kpool/io.h"
#include "kpool/ob.h"
#include "kpool/ps.h"

static void unknown_object(kp_system_t *sys, void *object, const char *what) {
  kpi_bugcheck_raise(sys, KP_BUGCHECK_REFERENCE_BY_POINTER, 0, (uintptr_t)object,
                     0, 0, NULL,
                     "%s on %p, which is not an object kpool knows (a device "
                     "file, process or thread object), or one already freed.", what, object);
}

void kp_ob_reference(kp_system_t *sys, void *object, uint32_t tag) {
  (void)tag;
  if (sys == NULL) return;
  if (kp_io_is_device(sys, object)) {
    kp_io_device_reference(sys, object);
    return;
  }
  if (kp_io_file_reference(sys, object)) return;
  if (kp_ps_object_reference(sys, object, +1)) return;
  unknown_object(sys, object, "ObReferenceObject");
}

void kp_ob_dereference(kp_system_t *sys, void *object, uint32_t tag) {
  (void)tag;
  if (sys == NULL) return;
  if (kp_io_is_device(sys, object)) {
    kp_io_device_dereference(sys, object);  // raises on an underflow
    return;
  }
  if (kp_io_file_dereference(sys, object)) return;
  if (kp_ps_object_reference(sys, object, -1)) return;  // raises on an underflow
  // System threads' objects (the dispatcher's; 0x18 when unknown there too).
  kp_object_dereference(sys, object);
}

kp_status_t kp_ob_close(kp_system_t *sys, void *handle) {
  if (sys == NULL) return KP_STATUS_INVALID_HANDLE;
  // Registry handles (their range, open or already closed: 0x93 rule of
  // kpool/cm.h); everything else is the dispatcher's (system threads:
  // STATUS_INVALID_HANDLE for a bad one, its choice).
  if (kp_cm_is_handle(sys, handle)) return kp_cm_close(sys, handle);
  return kp_handle_close(sys, handle);
}

kp_status_t kp_ob_reference_by_pointer(kp_system_t *sys, void *object, uint32_t kind,
                                       uint32_t tag) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  uint32_t is = KP_OB_ANY;
  if (kp_io_is_device(sys, object)) {
    is = KP_OB_DEVICE;
  } else if (kp_io_file_reference(sys, object)) {
    // Probe by referencing; undone below when the kind does not match.
    is = KP_OB_FILE;
    (void)kp_io_file_dereference(sys, object);
  } else {
    int k = kp_ps_object_kind(sys, object);
    is = k == 1 ? KP_OB_PROCESS : k == 2 ? KP_OB_THREAD : KP_OB_ANY;
  }
  if (is == KP_OB_ANY) {
    unknown_object(sys, object, "ObReferenceObjectByPointer");
    return KP_STATUS_INVALID_PARAMETER;
  }
  if (kind != KP_OB_ANY && kind != is) return KP_STATUS_OBJECT_TYPE_MISMATCH;
  kp_ob_reference(sys, object, tag);
  return KP_STATUS_SUCCESS;
}
