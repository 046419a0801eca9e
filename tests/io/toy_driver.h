/*
 * toy_driver.h — a small legacy driver written only with WDK names, for
 * the I/O manager's tests: \Device\Toy with \DosDevices\Toy, buffered
 * reads/writes, IOCTLs with each transfer method, a pending IOCTL that a
 * test completes or cancels later, and switchable seeded bugs.
 *
 * Include after <wdm.h>. Everything is static: each test file gets its own.
 */
#ifndef KPOOL_TESTS_IO_TOY_DRIVER_H
#define KPOOL_TESTS_IO_TOY_DRIVER_H

#include <string.h>

#define TOY_U(s) ((PWCH)(uintptr_t)(u##s))

#define IOCTL_TOY_ECHO CTL_CODE(0x8000, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_NEITHER CTL_CODE(0x8000, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_TOY_PEND CTL_CODE(0x8000, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_NEEDS_WRITE CTL_CODE(0x8000, 0x803, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_TOY_BIG_INFO CTL_CODE(0x8000, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_ERROR CTL_CODE(0x8000, 0x805, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_OVERRUN CTL_CODE(0x8000, 0x806, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_WARNING CTL_CODE(0x8000, 0x807, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TOY_OUT_DIRECT CTL_CODE(0x8000, 0x808, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)

/* Seeded bugs (one at a time). */
enum toy_bug {
  TOY_OK = 0,
  TOY_DOUBLE_COMPLETE,     /* ECHO completes twice */
  TOY_PENDING_NO_MARK,     /* ECHO returns STATUS_PENDING, not marked */
  TOY_MARK_NO_PENDING,     /* ECHO marks pending, completes, returns SUCCESS */
  TOY_NO_COMPLETE,         /* ECHO returns SUCCESS without completing */
  TOY_STATUS_MISMATCH,     /* ECHO completes with SUCCESS, returns an error */
  TOY_RAISE_IRQL,          /* ECHO returns at DISPATCH_LEVEL */
  TOY_LEAK_DEVICE,         /* Unload deletes neither the device nor the link */
  TOY_ENTRY_FAILS,         /* DriverEntry fails after creating its device */
  TOY_COMPLETE_PENDING_AT_HIGH, /* completes the pending IRP at HIGH_LEVEL */
  TOY_CANCEL_ROUTINE_LEFT, /* completes the pending IRP with its cancel routine set */
  TOY_NO_DELETE_LINK,      /* Unload deletes the device but not the link */
  TOY_CRITICAL_LEFT        /* ECHO returns inside a critical region */
};

typedef struct TOY_EXT {
  ULONG Magic;
  ULONG Creates, Closes, Cleanups;
  ULONG BytesWritten;
  PIRP Pending;            /* the pending IOCTL (one at a time) */
  KSPIN_LOCK Lock;
} TOY_EXT, *PTOY_EXT;

static enum toy_bug g_toy_bug;
static PDEVICE_OBJECT g_toy_device;
static UNICODE_STRING g_toy_registry_path; /* copy of the RegistryPath's first bytes */
static WCHAR g_toy_registry_buf[128];
static PUNICODE_STRING g_toy_registry_kept; /* the pointer itself, kept (a bug) */

static DRIVER_DISPATCH ToyCreateClose;
static DRIVER_DISPATCH ToyReadWrite;
static DRIVER_DISPATCH ToyDeviceControl;
static DRIVER_UNLOAD ToyUnload;
static DRIVER_CANCEL ToyCancel;

static NTSTATUS ToyComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

static NTSTATUS ToyCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PTOY_EXT ext = (PTOY_EXT)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  if (sp->MajorFunction == IRP_MJ_CREATE) ext->Creates++;
  else if (sp->MajorFunction == IRP_MJ_CLOSE) ext->Closes++;
  else ext->Cleanups++;
  return ToyComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS ToyReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PTOY_EXT ext = (PTOY_EXT)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  if (sp->MajorFunction == IRP_MJ_READ) {
    ULONG n = sp->Parameters.Read.Length;
    if (n != 0) memset(Irp->AssociatedIrp.SystemBuffer, 'R', n);
    return ToyComplete(Irp, STATUS_SUCCESS, n);
  }
  ext->BytesWritten += sp->Parameters.Write.Length;
  return ToyComplete(Irp, STATUS_SUCCESS, sp->Parameters.Write.Length);
}

static VOID ToyCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PTOY_EXT ext = (PTOY_EXT)DeviceObject->DeviceExtension;
  IoReleaseCancelSpinLock(Irp->CancelIrql);
  KIRQL irql;
  KeAcquireSpinLock(&ext->Lock, &irql);
  if (ext->Pending == Irp) ext->Pending = NULL;
  KeReleaseSpinLock(&ext->Lock, irql);
  ToyComplete(Irp, STATUS_CANCELLED, 0);
}

/* What a worker would do: complete the pending IRP with @p bytes of 'P'. */
static inline BOOLEAN ToyCompletePending(ULONG bytes) {
  PTOY_EXT ext = (PTOY_EXT)g_toy_device->DeviceExtension;
  KIRQL irql;
  KeAcquireSpinLock(&ext->Lock, &irql);
  PIRP irp = ext->Pending;
  ext->Pending = NULL;
  KeReleaseSpinLock(&ext->Lock, irql);
  if (irp == NULL) return FALSE;
  if (g_toy_bug != TOY_CANCEL_ROUTINE_LEFT && IoSetCancelRoutine(irp, NULL) == NULL)
    return FALSE;  // the cancel routine owns it
  if (bytes != 0) memset(irp->AssociatedIrp.SystemBuffer, 'P', bytes);
  if (g_toy_bug == TOY_COMPLETE_PENDING_AT_HIGH) {
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    ToyComplete(irp, STATUS_SUCCESS, bytes);
    KeLowerIrql(old);
    return TRUE;
  }
  ToyComplete(irp, STATUS_SUCCESS, bytes);
  return TRUE;
}

static NTSTATUS ToyDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PTOY_EXT ext = (PTOY_EXT)DeviceObject->DeviceExtension;
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  ULONG in = sp->Parameters.DeviceIoControl.InputBufferLength;
  ULONG out = sp->Parameters.DeviceIoControl.OutputBufferLength;
  PUCHAR buf = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
  switch (sp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_TOY_ECHO: {
      ULONG n = in < out ? in : out;  // the bytes are already in place
      switch (g_toy_bug) {
        case TOY_DOUBLE_COMPLETE:
          ToyComplete(Irp, STATUS_SUCCESS, n);
          return ToyComplete(Irp, STATUS_SUCCESS, n);
        case TOY_PENDING_NO_MARK:
          ToyComplete(Irp, STATUS_SUCCESS, n);
          return STATUS_PENDING;
        case TOY_MARK_NO_PENDING:
          IoMarkIrpPending(Irp);
          return ToyComplete(Irp, STATUS_SUCCESS, n);
        case TOY_NO_COMPLETE:
          return STATUS_SUCCESS;
        case TOY_STATUS_MISMATCH:
          ToyComplete(Irp, STATUS_SUCCESS, n);
          return STATUS_UNSUCCESSFUL;
        case TOY_CRITICAL_LEFT:
          KeEnterCriticalRegion();
          return ToyComplete(Irp, STATUS_SUCCESS, n);
        case TOY_RAISE_IRQL: {
          KIRQL old;
          KeRaiseIrql(DISPATCH_LEVEL, &old);
          return ToyComplete(Irp, STATUS_SUCCESS, n);
        }
        default:
          return ToyComplete(Irp, STATUS_SUCCESS, n);
      }
    }
    case IOCTL_TOY_NEITHER: {
      PUCHAR src = (PUCHAR)sp->Parameters.DeviceIoControl.Type3InputBuffer;
      PUCHAR dst = (PUCHAR)Irp->UserBuffer;
      UCHAR fill = (in != 0 && src != NULL) ? src[0] : 'N';
      if (out != 0 && dst != NULL) memset(dst, fill, out);
      return ToyComplete(Irp, STATUS_SUCCESS, out);
    }
    case IOCTL_TOY_PEND: {
      KIRQL irql;
      IoMarkIrpPending(Irp);
      KeAcquireSpinLock(&ext->Lock, &irql);
      ext->Pending = Irp;
      IoSetCancelRoutine(Irp, ToyCancel);
      KeReleaseSpinLock(&ext->Lock, irql);
      return STATUS_PENDING;
    }
    case IOCTL_TOY_NEEDS_WRITE:
      return ToyComplete(Irp, STATUS_SUCCESS, 0);
    case IOCTL_TOY_BIG_INFO:
      return ToyComplete(Irp, STATUS_SUCCESS, (ULONG_PTR)out + 8);
    case IOCTL_TOY_ERROR:
      if (out != 0) memset(buf, 'E', out);
      return ToyComplete(Irp, STATUS_INVALID_PARAMETER, out);
    case IOCTL_TOY_WARNING:
      if (out != 0) memset(buf, 'W', out);
      return ToyComplete(Irp, STATUS_BUFFER_OVERFLOW, out);
    case IOCTL_TOY_OUT_DIRECT: {
      // The second buffer, through the MDL the I/O manager locked.
      if (Irp->MdlAddress == NULL) return ToyComplete(Irp, STATUS_INVALID_PARAMETER, 0);
      PUCHAR va = (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
      if (va == NULL) return ToyComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
      UCHAR fill = (in != 0 && buf != NULL) ? buf[0] : 'D';
      memset(va, fill, MmGetMdlByteCount(Irp->MdlAddress));
      return ToyComplete(Irp, STATUS_SUCCESS, MmGetMdlByteCount(Irp->MdlAddress));
    }
    case IOCTL_TOY_OVERRUN: {
      ULONG len = in > out ? in : out;
      buf[len] = 0x41;  // one byte past the system buffer
      return ToyComplete(Irp, STATUS_SUCCESS, 0);
    }
    default:
      return ToyComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
}

static VOID ToyUnload(PDRIVER_OBJECT DriverObject) {
  (void)DriverObject;
  UNICODE_STRING link;
  RtlInitUnicodeString(&link, TOY_U("\\DosDevices\\Toy"));
  if (g_toy_bug == TOY_LEAK_DEVICE) return;
  if (g_toy_bug != TOY_NO_DELETE_LINK) IoDeleteSymbolicLink(&link);
  IoDeleteDevice(g_toy_device);
  g_toy_device = NULL;
}

static NTSTATUS ToyDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name, link;
  USHORT n = RegistryPath->Length < sizeof g_toy_registry_buf ? RegistryPath->Length
                                                              : (USHORT)sizeof g_toy_registry_buf;
  memcpy(g_toy_registry_buf, RegistryPath->Buffer, n);
  g_toy_registry_path.Buffer = g_toy_registry_buf;
  g_toy_registry_path.Length = n;
  g_toy_registry_path.MaximumLength = (USHORT)sizeof g_toy_registry_buf;
  g_toy_registry_kept = RegistryPath;
  RtlInitUnicodeString(&name, TOY_U("\\Device\\Toy"));
  RtlInitUnicodeString(&link, TOY_U("\\DosDevices\\Toy"));
  NTSTATUS st = IoCreateDevice(DriverObject, sizeof(TOY_EXT), &name, FILE_DEVICE_UNKNOWN,
                               FILE_DEVICE_SECURE_OPEN, FALSE, &g_toy_device);
  if (!NT_SUCCESS(st)) return st;
  PTOY_EXT ext = (PTOY_EXT)g_toy_device->DeviceExtension;
  ext->Magic = 0x21796F54;
  KeInitializeSpinLock(&ext->Lock);
  g_toy_device->Flags |= DO_BUFFERED_IO;
  if (g_toy_bug == TOY_ENTRY_FAILS) return STATUS_INSUFFICIENT_RESOURCES;
  st = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(st)) {
    IoDeleteDevice(g_toy_device);
    return st;
  }
  DriverObject->MajorFunction[IRP_MJ_CREATE] = ToyCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = ToyCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLEANUP] = ToyCreateClose;
  DriverObject->MajorFunction[IRP_MJ_READ] = ToyReadWrite;
  DriverObject->MajorFunction[IRP_MJ_WRITE] = ToyReadWrite;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ToyDeviceControl;
  DriverObject->DriverUnload = ToyUnload;
  return STATUS_SUCCESS;
}

#endif /* KPOOL_TESTS_IO_TOY_DRIVER_H */
