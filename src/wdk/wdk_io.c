/*
 * wdk_io.c — the WDK face of the I/O manager and of ObReference/Dereference:
 * Io* and Obf* names mapped onto kpool/io.h and kpool/ob.h.
 *
 * No logic lives here: the functions pick the current system, convert
 * UNICODE_STRINGs to (buffer, characters), and cast between the WDK
 * structures and their core layout twins, whose shared offsets are pinned
 * below.
 */
#include <stddef.h>

#include "kpool/wdk/ntifs.h"
#include "kpool/wdk/wdmsec.h"

#include "kpool/io.h"
#include "kpool/ob.h"
#include "kpool/system.h"

/* ---------------------------------------------------------------------------
 * The WDK structures are the core's twins (facts §1.3, §2.2, §3.1, §3.2).
 * ------------------------------------------------------------------------- */
#define KP_SAME(wdk, wf, core, cf)                                             \
  _Static_assert(offsetof(wdk, wf) == offsetof(core, cf), #wdk "." #wf)

_Static_assert(sizeof(DRIVER_OBJECT) == 0x150 && sizeof(kp_driver_t) == 0x150, "DRIVER_OBJECT");
_Static_assert(sizeof(DRIVER_EXTENSION) == 0x28 && sizeof(kp_driver_ext_t) == 0x28, "DRIVER_EXTENSION");
_Static_assert(sizeof(DEVICE_OBJECT) == 0x150 && sizeof(kp_device_t) == 0x150, "DEVICE_OBJECT");
_Static_assert(sizeof(IRP) == 0xD0 && sizeof(kp_irp_t) == 0xD0, "IRP");
_Static_assert(sizeof(IO_STACK_LOCATION) == 0x48 && sizeof(kp_io_stack_t) == 0x48, "IO_STACK_LOCATION");
_Static_assert(sizeof(FILE_OBJECT) == 0xD8 && sizeof(kp_file_t) == 0xD8, "FILE_OBJECT");
_Static_assert(sizeof(IO_STATUS_BLOCK) == 16 && sizeof(kp_io_status_t) == 16, "IO_STATUS_BLOCK");
_Static_assert(sizeof(UNICODE_STRING) == sizeof(kp_ustring_t), "UNICODE_STRING");

KP_SAME(DRIVER_OBJECT, DeviceObject, kp_driver_t, device);
KP_SAME(DRIVER_OBJECT, Flags, kp_driver_t, flags);
KP_SAME(DRIVER_OBJECT, DriverStart, kp_driver_t, driver_start);
KP_SAME(DRIVER_OBJECT, DriverExtension, kp_driver_t, extension);
KP_SAME(DRIVER_OBJECT, DriverName, kp_driver_t, driver_name);
KP_SAME(DRIVER_OBJECT, DriverInit, kp_driver_t, driver_init);
KP_SAME(DRIVER_OBJECT, DriverUnload, kp_driver_t, driver_unload);
KP_SAME(DRIVER_OBJECT, MajorFunction, kp_driver_t, major_function);
KP_SAME(DRIVER_EXTENSION, AddDevice, kp_driver_ext_t, add_device);
KP_SAME(DRIVER_EXTENSION, ServiceKeyName, kp_driver_ext_t, service_key_name);
KP_SAME(DEVICE_OBJECT, ReferenceCount, kp_device_t, reference_count);
KP_SAME(DEVICE_OBJECT, DriverObject, kp_device_t, driver);
KP_SAME(DEVICE_OBJECT, NextDevice, kp_device_t, next_device);
KP_SAME(DEVICE_OBJECT, AttachedDevice, kp_device_t, attached_device);
KP_SAME(DEVICE_OBJECT, Flags, kp_device_t, flags);
KP_SAME(DEVICE_OBJECT, Characteristics, kp_device_t, characteristics);
KP_SAME(DEVICE_OBJECT, DeviceExtension, kp_device_t, extension);
KP_SAME(DEVICE_OBJECT, DeviceType, kp_device_t, device_type);
KP_SAME(DEVICE_OBJECT, StackSize, kp_device_t, stack_size);
KP_SAME(DEVICE_OBJECT, AlignmentRequirement, kp_device_t, alignment);
KP_SAME(DEVICE_OBJECT, SecurityDescriptor, kp_device_t, security_descriptor);
KP_SAME(DEVICE_OBJECT, Reserved, kp_device_t, reserved4);
KP_SAME(IRP, MdlAddress, kp_irp_t, mdl);
KP_SAME(IRP, Flags, kp_irp_t, flags);
KP_SAME(IRP, AssociatedIrp.SystemBuffer, kp_irp_t, associated.system_buffer);
KP_SAME(IRP, IoStatus.Status, kp_irp_t, io_status.u.status);
KP_SAME(IRP, IoStatus.Information, kp_irp_t, io_status.information);
KP_SAME(IRP, RequestorMode, kp_irp_t, requestor_mode);
KP_SAME(IRP, PendingReturned, kp_irp_t, pending_returned);
KP_SAME(IRP, StackCount, kp_irp_t, stack_count);
KP_SAME(IRP, CurrentLocation, kp_irp_t, current_location);
KP_SAME(IRP, Cancel, kp_irp_t, cancel);
KP_SAME(IRP, CancelIrql, kp_irp_t, cancel_irql);
KP_SAME(IRP, UserIosb, kp_irp_t, user_iosb);
KP_SAME(IRP, UserEvent, kp_irp_t, user_event);
KP_SAME(IRP, CancelRoutine, kp_irp_t, cancel_routine);
KP_SAME(IRP, UserBuffer, kp_irp_t, user_buffer);
KP_SAME(IRP, Tail.Overlay.DriverContext, kp_irp_t, tail.overlay.driver_context);
KP_SAME(IRP, Tail.Overlay.Thread, kp_irp_t, tail.overlay.thread);
KP_SAME(IRP, Tail.Overlay.ListEntry, kp_irp_t, tail.overlay.list);
KP_SAME(IRP, Tail.Overlay.CurrentStackLocation, kp_irp_t, tail.overlay.current);
KP_SAME(IRP, Tail.Overlay.OriginalFileObject, kp_irp_t, tail.overlay.original_file);
KP_SAME(IO_STACK_LOCATION, Control, kp_io_stack_t, control);
KP_SAME(IO_STACK_LOCATION, Parameters.Create.SecurityContext, kp_io_stack_t, parameters.create.security_context);
KP_SAME(IO_STACK_LOCATION, Parameters.Create.Options, kp_io_stack_t, parameters.create.options);
KP_SAME(IO_STACK_LOCATION, Parameters.Create.FileAttributes, kp_io_stack_t, parameters.create.file_attributes);
KP_SAME(IO_STACK_LOCATION, Parameters.Create.ShareAccess, kp_io_stack_t, parameters.create.share_access);
KP_SAME(IO_STACK_LOCATION, Parameters.Create.EaLength, kp_io_stack_t, parameters.create.ea_length);
KP_SAME(IO_STACK_LOCATION, Parameters.Read.Length, kp_io_stack_t, parameters.rw.length);
KP_SAME(IO_STACK_LOCATION, Parameters.Read.Key, kp_io_stack_t, parameters.rw.key);
KP_SAME(IO_STACK_LOCATION, Parameters.Read.ByteOffset, kp_io_stack_t, parameters.rw.byte_offset);
KP_SAME(IO_STACK_LOCATION, Parameters.Write.ByteOffset, kp_io_stack_t, parameters.rw.byte_offset);
KP_SAME(IO_STACK_LOCATION, Parameters.DeviceIoControl.OutputBufferLength, kp_io_stack_t, parameters.ioctl.output_length);
KP_SAME(IO_STACK_LOCATION, Parameters.DeviceIoControl.InputBufferLength, kp_io_stack_t, parameters.ioctl.input_length);
KP_SAME(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode, kp_io_stack_t, parameters.ioctl.code);
KP_SAME(IO_STACK_LOCATION, Parameters.DeviceIoControl.Type3InputBuffer, kp_io_stack_t, parameters.ioctl.type3_input);
KP_SAME(IO_STACK_LOCATION, DeviceObject, kp_io_stack_t, device);
KP_SAME(IO_STACK_LOCATION, FileObject, kp_io_stack_t, file);
KP_SAME(IO_STACK_LOCATION, CompletionRoutine, kp_io_stack_t, completion);
KP_SAME(IO_STACK_LOCATION, Context, kp_io_stack_t, context);
KP_SAME(FILE_OBJECT, DeviceObject, kp_file_t, device);
KP_SAME(FILE_OBJECT, FsContext, kp_file_t, fs_context);
KP_SAME(FILE_OBJECT, FsContext2, kp_file_t, fs_context2);
KP_SAME(FILE_OBJECT, ReadAccess, kp_file_t, read_access);
KP_SAME(FILE_OBJECT, WriteAccess, kp_file_t, write_access);
KP_SAME(FILE_OBJECT, FileName, kp_file_t, file_name);
KP_SAME(FILE_OBJECT, FileObjectExtension, kp_file_t, file_object_extension);

/* The Ob tag the untagged forms record ('tlfD', shown "Dflt"). */
#define OB_DEFAULT_TAG 0x746c6644u

static kp_system_t *cur(void) { return kp_system_current(); }
static kp_site_t caller_site(const void *ra) { return kp_site(NULL, 0, ra); }
#define KP_RA __builtin_return_address(0)

/* Characters of a UNICODE_STRING (NULL-safe). */
static const uint16_t *us_buf(PCUNICODE_STRING s) { return s != NULL ? s->Buffer : NULL; }
static size_t us_len(PCUNICODE_STRING s) { return s != NULL ? s->Length / 2u : 0u; }

NTSTATUS NTAPI IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                              PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                              ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                              PDEVICE_OBJECT *DeviceObject) {
  return kp_io_create_device(cur(), (kp_driver_t *)DriverObject, DeviceExtensionSize,
                             us_buf(DeviceName), us_len(DeviceName), DeviceType,
                             DeviceCharacteristics, Exclusive != FALSE,
                             (kp_device_t **)DeviceObject);
}

VOID NTAPI IoDeleteDevice(PDEVICE_OBJECT DeviceObject) {
  kp_io_delete_device(cur(), (kp_device_t *)DeviceObject, caller_site(KP_RA));
}

NTSTATUS NTAPI IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName,
                                    PUNICODE_STRING DeviceName) {
  // The owner is the driver of the device the link names, when it is one.
  kp_system_t *sys = cur();
  kp_device_t *dev = kp_io_lookup_device(sys, us_buf(DeviceName), us_len(DeviceName));
  return kp_io_create_link(sys, dev != NULL ? dev->driver : NULL,
                           us_buf(SymbolicLinkName), us_len(SymbolicLinkName),
                           us_buf(DeviceName), us_len(DeviceName));
}

NTSTATUS NTAPI IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName) {
  return kp_io_delete_link(cur(), us_buf(SymbolicLinkName), us_len(SymbolicLinkName));
}

PDEVICE_OBJECT NTAPI IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice,
                                                 PDEVICE_OBJECT TargetDevice) {
  return (PDEVICE_OBJECT)kp_io_attach(cur(), (kp_device_t *)SourceDevice,
                                      (kp_device_t *)TargetDevice);
}

NTSTATUS NTAPI IoAttachDeviceToDeviceStackSafe(PDEVICE_OBJECT SourceDevice,
                                               PDEVICE_OBJECT TargetDevice,
                                               PDEVICE_OBJECT *AttachedToDeviceObject) {
  if (AttachedToDeviceObject == NULL) return STATUS_INVALID_PARAMETER;
  PDEVICE_OBJECT to = IoAttachDeviceToDeviceStack(SourceDevice, TargetDevice);
  *AttachedToDeviceObject = to;
  return to != NULL ? STATUS_SUCCESS : STATUS_NO_SUCH_DEVICE;
}

VOID NTAPI IoDetachDevice(PDEVICE_OBJECT TargetDevice) {
  kp_io_detach(cur(), (kp_device_t *)TargetDevice, caller_site(KP_RA));
}

PDEVICE_OBJECT NTAPI IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject) {
  return (PDEVICE_OBJECT)kp_io_top_device(cur(), (kp_device_t *)DeviceObject);
}

PDEVICE_OBJECT NTAPI IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject) {
  kp_system_t *sys = cur();
  kp_device_t *top = kp_io_top_device(sys, (kp_device_t *)DeviceObject);
  if (top != NULL) kp_io_device_reference(sys, top);
  return (PDEVICE_OBJECT)top;
}

NTSTATUS NTAPI IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName,
                                        ACCESS_MASK DesiredAccess,
                                        PFILE_OBJECT *FileObject,
                                        PDEVICE_OBJECT *DeviceObject) {
  return kp_io_get_device_pointer(cur(), us_buf(ObjectName), us_len(ObjectName),
                                  DesiredAccess, (kp_file_t **)FileObject,
                                  (kp_device_t **)DeviceObject);
}

NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  return kp_irp_call(cur(), (kp_device_t *)DeviceObject, (kp_irp_t *)Irp,
                     caller_site(KP_RA));
}

VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost) {
  kp_irp_complete(cur(), (kp_irp_t *)Irp, PriorityBoost, caller_site(KP_RA));
}

BOOLEAN NTAPI IoCancelIrp(PIRP Irp) {
  return kp_irp_cancel(cur(), (kp_irp_t *)Irp) ? TRUE : FALSE;
}

VOID NTAPI IoAcquireCancelSpinLock(PKIRQL Irql) {
  KIRQL old = kp_io_cancel_lock(cur());
  if (Irql != NULL) *Irql = old;
}

VOID NTAPI IoReleaseCancelSpinLock(KIRQL Irql) { kp_io_cancel_unlock(cur(), Irql); }

PIRP NTAPI IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota) {
  (void)ChargeQuota;
  return (PIRP)kp_irp_alloc(cur(), StackSize, caller_site(KP_RA));
}

VOID NTAPI IoFreeIrp(PIRP Irp) { kp_irp_free(cur(), (kp_irp_t *)Irp, caller_site(KP_RA)); }

VOID NTAPI IoReuseIrp(PIRP Irp, NTSTATUS Iostatus) {
  kp_irp_reuse(cur(), (kp_irp_t *)Irp, Iostatus);
}

VOID NTAPI IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize) {
  kp_irp_initialize(cur(), (kp_irp_t *)Irp, PacketSize, StackSize, caller_site(KP_RA));
}

PIRP NTAPI IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject,
                                         PVOID InputBuffer, ULONG InputBufferLength,
                                         PVOID OutputBuffer, ULONG OutputBufferLength,
                                         BOOLEAN InternalDeviceIoControl, PKEVENT Event,
                                         PIO_STATUS_BLOCK IoStatusBlock) {
  return (PIRP)kp_irp_build_ioctl(cur(), IoControlCode, (kp_device_t *)DeviceObject,
                                  InputBuffer, InputBufferLength, OutputBuffer,
                                  OutputBufferLength, InternalDeviceIoControl != FALSE,
                                  Event, (kp_io_status_t *)IoStatusBlock);
}

PIRP NTAPI IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject,
                                        PVOID Buffer, ULONG Length,
                                        PLARGE_INTEGER StartingOffset, PKEVENT Event,
                                        PIO_STATUS_BLOCK IoStatusBlock) {
  int64_t offset = StartingOffset != NULL ? StartingOffset->QuadPart : 0;
  return (PIRP)kp_irp_build_fsd(cur(), MajorFunction, (kp_device_t *)DeviceObject,
                                Buffer, Length, StartingOffset != NULL ? &offset : NULL,
                                Event, (kp_io_status_t *)IoStatusBlock);
}

NTSTATUS NTAPI IoSetCompletionRoutineEx(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                        PIO_COMPLETION_ROUTINE CompletionRoutine,
                                        PVOID Context, BOOLEAN InvokeOnSuccess,
                                        BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel) {
  uint8_t flags = (uint8_t)((InvokeOnSuccess ? SL_INVOKE_ON_SUCCESS : 0) |
                            (InvokeOnError ? SL_INVOKE_ON_ERROR : 0) |
                            (InvokeOnCancel ? SL_INVOKE_ON_CANCEL : 0));
  return kp_irp_set_completion_ex(cur(), (kp_device_t *)DeviceObject, (kp_irp_t *)Irp,
                                  (kp_completion_fn)(void (*)(void))CompletionRoutine, Context, flags);
}

LONG_PTR FASTCALL ObfReferenceObject(PVOID Object) {
  kp_ob_reference(cur(), Object, OB_DEFAULT_TAG);
  return 0;
}

LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object) {
  kp_ob_dereference(cur(), Object, OB_DEFAULT_TAG);
  return 0;
}

LONG_PTR FASTCALL ObfReferenceObjectWithTag(PVOID Object, ULONG Tag) {
  kp_ob_reference(cur(), Object, Tag);
  return 0;
}

LONG_PTR FASTCALL ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag) {
  kp_ob_dereference(cur(), Object, Tag);
  return 0;
}

_Static_assert(sizeof(IO_CSQ) == 64 && sizeof(IO_CSQ_IRP_CONTEXT) == 24, "IO_CSQ");
KP_SAME(IO_CSQ, CsqInsertIrp, kp_csq_t, insert);
KP_SAME(IO_CSQ, CsqRemoveIrp, kp_csq_t, remove);
KP_SAME(IO_CSQ, CsqPeekNextIrp, kp_csq_t, peek);
KP_SAME(IO_CSQ, CsqAcquireLock, kp_csq_t, acquire);
KP_SAME(IO_CSQ, CsqReleaseLock, kp_csq_t, release);
KP_SAME(IO_CSQ, CsqCompleteCanceledIrp, kp_csq_t, complete_canceled);
KP_SAME(IO_CSQ_IRP_CONTEXT, Irp, kp_csq_irp_context_t, irp);
KP_SAME(IO_CSQ_IRP_CONTEXT, Csq, kp_csq_irp_context_t, csq);

#define FN(f) ((void (*)(void))(f))

NTSTATUS NTAPI IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp,
                               PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                               PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                               PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                               PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                               PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp) {
  return kp_csq_initialize((kp_csq_t *)Csq, KP_IO_TYPE_CSQ, FN(CsqInsertIrp),
                           (kp_csq_remove_fn)FN(CsqRemoveIrp), (kp_csq_peek_fn)FN(CsqPeekNextIrp),
                           (kp_csq_acquire_fn)FN(CsqAcquireLock),
                           (kp_csq_release_fn)FN(CsqReleaseLock),
                           (kp_csq_complete_fn)FN(CsqCompleteCanceledIrp));
}

NTSTATUS NTAPI IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp,
                                 PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                 PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                                 PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                 PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                 PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp) {
  return kp_csq_initialize((kp_csq_t *)Csq, KP_IO_TYPE_CSQ_EX, FN(CsqInsertIrp),
                           (kp_csq_remove_fn)FN(CsqRemoveIrp), (kp_csq_peek_fn)FN(CsqPeekNextIrp),
                           (kp_csq_acquire_fn)FN(CsqAcquireLock),
                           (kp_csq_release_fn)FN(CsqReleaseLock),
                           (kp_csq_complete_fn)FN(CsqCompleteCanceledIrp));
}

VOID NTAPI IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context) {
  (void)kp_csq_insert(cur(), (kp_csq_t *)Csq, (kp_irp_t *)Irp, (kp_csq_irp_context_t *)Context,
                      NULL);
}

NTSTATUS NTAPI IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context,
                                PVOID InsertContext) {
  return kp_csq_insert(cur(), (kp_csq_t *)Csq, (kp_irp_t *)Irp, (kp_csq_irp_context_t *)Context,
                       InsertContext);
}

PIRP NTAPI IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext) {
  return (PIRP)kp_csq_remove_next(cur(), (kp_csq_t *)Csq, PeekContext);
}

PIRP NTAPI IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context) {
  return (PIRP)kp_csq_remove(cur(), (kp_csq_t *)Csq, (kp_csq_irp_context_t *)Context);
}

NTSTATUS NTAPI IoCreateDeviceSecure(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                    PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                                    ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                    PCUNICODE_STRING DefaultSDDLString, LPCGUID DeviceClassGuid,
                                    PDEVICE_OBJECT *DeviceObject) {
  (void)DeviceClassGuid;
  if (DefaultSDDLString == NULL) return STATUS_INVALID_PARAMETER;
  return IoCreateDevice(DriverObject, DeviceExtensionSize, DeviceName, DeviceType,
                        DeviceCharacteristics, Exclusive, DeviceObject);
}

/* Object types: only their addresses matter (threads: the dispatcher's). */
struct _OBJECT_TYPE {
  const char *name;
};
static struct _OBJECT_TYPE process_type = {"Process"}, file_type = {"File"},
                           device_type = {"Device"};
static POBJECT_TYPE process_type_pointer = &process_type, file_type_pointer = &file_type,
                    device_type_pointer = &device_type;
POBJECT_TYPE *PsProcessType = &process_type_pointer;
POBJECT_TYPE *IoFileObjectType = &file_type_pointer;
POBJECT_TYPE *IoDeviceObjectType = &device_type_pointer;

NTSTATUS NTAPI ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
                                          POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode) {
  (void)DesiredAccess;  // kernel references grant everything
  (void)AccessMode;
  uint32_t kind = ObjectType == NULL                 ? KP_OB_ANY
                  : ObjectType == *PsProcessType     ? KP_OB_PROCESS
                  : ObjectType == *IoFileObjectType  ? KP_OB_FILE
                  : ObjectType == *IoDeviceObjectType ? KP_OB_DEVICE
                  : ObjectType == *PsThreadType      ? KP_OB_THREAD
                                                     : 0xFFFFFFFFu;
  return kp_ob_reference_by_pointer(cur(), Object, kind, OB_DEFAULT_TAG);
}
