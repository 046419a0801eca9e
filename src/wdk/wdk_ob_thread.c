/*
 * wdk_ob_thread.c — the object-manager names a driver needs to join a
 * system thread (ObReferenceObjectByHandle, ObfDereferenceObject, ZwClose,
 * PsThreadType), over the core's thread handles (kpool/dispatch.h). Kept
 * apart from wdk_dispatch.c because the object manager is shared with the
 * I/O model: when a general handle table exists, these become its thread
 * case.
 */
#include "kpool/wdk/ntddk.h"

#include "kpool/dispatch.h"
#include "kpool/system.h"

/* The thread object type: only its address matters. */
struct _OBJECT_TYPE {
  const char *name;
};
static struct _OBJECT_TYPE thread_type = {"Thread"};
static POBJECT_TYPE thread_type_pointer = &thread_type;
POBJECT_TYPE *PsThreadType = &thread_type_pointer;

NTSTATUS NTAPI ObReferenceObjectByHandle(
    HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
    KPROCESSOR_MODE AccessMode, PVOID *Object,
    POBJECT_HANDLE_INFORMATION HandleInformation) {
  (void)DesiredAccess; // kernel handles grant everything
  (void)AccessMode;
  (void)HandleInformation;
  if (Object == NULL) return STATUS_INVALID_PARAMETER;
  *Object = NULL;
  if (ObjectType != NULL && ObjectType != &thread_type)
    return STATUS_OBJECT_TYPE_MISMATCH;
  return kp_handle_reference(kp_system_current(), Handle, Object);
}

/* ObfDereferenceObject and ZwClose are the general ones (wdk_io.c,
 * wdk_cm.c over kpool/ob.h), which fall back to the thread handles here. */
