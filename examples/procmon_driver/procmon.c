/*
 * procmon.c — a small legacy driver that kpool runs unchanged: it creates
 * \Device\ProcMon and \DosDevices\ProcMon, reads MaxProcesses from its
 * service key's Parameters subkey, tracks processes from a process-notify
 * callback in a table whose entries come from a lookaside list, vetoes
 * images named "blocked.exe", and serves IOCTLs with buffered and direct
 * I/O. Only WDK names are used.
 */
#include "procmon.h"

#define PM_TAG 'nMrP'
#define PM_DEFAULT_MAX 16

typedef struct PM_ENTRY {
  LIST_ENTRY Link;
  PROCMON_INFO Info;
} PM_ENTRY, *PPM_ENTRY;

typedef struct PM_GLOBALS {
  PDEVICE_OBJECT Device;
  NPAGED_LOOKASIDE_LIST Entries;
  LIST_ENTRY Processes;
  KSPIN_LOCK Lock;
  ULONG Count;
  ULONG Max;
  BOOLEAN NotifyRegistered;
} PM_GLOBALS;

BOOLEAN ProcMonSeedDoubleCompletion = FALSE;
static PM_GLOBALS g_pm;

static DRIVER_UNLOAD ProcMonUnload;
static DRIVER_DISPATCH ProcMonCreateClose;
static DRIVER_DISPATCH ProcMonDeviceControl;

static UNICODE_STRING Str(PCWSTR s) {
  UNICODE_STRING u;
  RtlInitUnicodeString(&u, s);
  return u;
}

/* MaxProcesses from <RegistryPath>\Parameters, or the default. */
static ULONG ReadMaxProcesses(PUNICODE_STRING RegistryPath) {
  ULONG max = PM_DEFAULT_MAX;
  OBJECT_ATTRIBUTES oa;
  HANDLE service = NULL, params = NULL;
  InitializeObjectAttributes(&oa, RegistryPath, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL,
                             NULL);
  if (!NT_SUCCESS(ZwOpenKey(&service, KEY_READ, &oa))) return max;
  UNICODE_STRING sub = Str((PCWSTR)u"Parameters");
  InitializeObjectAttributes(&oa, &sub, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, service, NULL);
  if (NT_SUCCESS(ZwOpenKey(&params, KEY_READ, &oa))) {
    UCHAR buf[FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(ULONG)];
    PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
    ULONG got = 0;
    UNICODE_STRING name = Str((PCWSTR)u"MaxProcesses");
    NTSTATUS st = ZwQueryValueKey(params, &name, KeyValuePartialInformation, buf, sizeof buf, &got);
    if (NT_SUCCESS(st) && info->Type == REG_DWORD && info->DataLength == sizeof(ULONG)) {
      ULONG v;
      RtlCopyMemory(&v, info->Data, sizeof v);
      if (v != 0 && v <= 4096) max = v;
    }
    ZwClose(params);
  }
  ZwClose(service);
  return max;
}

static BOOLEAN EndsWith(PCUNICODE_STRING s, PCWSTR suffix) {
  USHORT n = 0;
  while (suffix[n] != 0) n++;
  if (s == NULL || s->Length / sizeof(WCHAR) < n) return FALSE;
  PCWSTR tail = s->Buffer + s->Length / sizeof(WCHAR) - n;
  for (USHORT i = 0; i < n; i++) {
    WCHAR a = tail[i], b = suffix[i];
    if (a >= 'A' && a <= 'Z') a = (WCHAR)(a + 32);
    if (a != b) return FALSE;
  }
  return TRUE;
}

static VOID OnProcess(PEPROCESS Process, HANDLE ProcessId, PPS_CREATE_NOTIFY_INFO CreateInfo) {
  (void)Process;
  KIRQL irql;
  if (CreateInfo == NULL) {
    // Exit: forget it.
    PPM_ENTRY gone = NULL;
    KeAcquireSpinLock(&g_pm.Lock, &irql);
    for (PLIST_ENTRY e = g_pm.Processes.Flink; e != &g_pm.Processes; e = e->Flink) {
      PPM_ENTRY p = CONTAINING_RECORD(e, PM_ENTRY, Link);
      if (p->Info.ProcessId == (ULONG64)(ULONG_PTR)ProcessId) {
        RemoveEntryList(e);
        g_pm.Count--;
        gone = p;
        break;
      }
    }
    KeReleaseSpinLock(&g_pm.Lock, irql);
    if (gone != NULL) ExFreeToNPagedLookasideList(&g_pm.Entries, gone);
    return;
  }
  if (EndsWith(CreateInfo->ImageFileName, (PCWSTR)u"blocked.exe")) {
    CreateInfo->CreationStatus = STATUS_ACCESS_DENIED;
    return;
  }
  PPM_ENTRY p = (PPM_ENTRY)ExAllocateFromNPagedLookasideList(&g_pm.Entries);
  if (p == NULL) return;  // not tracked: out of memory
  RtlZeroMemory(p, sizeof *p);
  p->Info.ProcessId = (ULONG64)(ULONG_PTR)ProcessId;
  p->Info.ParentId = (ULONG64)(ULONG_PTR)CreateInfo->ParentProcessId;
  PCUNICODE_STRING img = CreateInfo->ImageFileName;
  USHORT chars = img != NULL ? (USHORT)(img->Length / sizeof(WCHAR)) : 0;
  USHORT keep = chars < PROCMON_IMAGE_CHARS ? chars : PROCMON_IMAGE_CHARS;
  if (keep != 0) RtlCopyMemory(p->Info.Image, img->Buffer + (chars - keep), keep * sizeof(WCHAR));
  p->Info.ImageLength = keep;
  BOOLEAN stored = FALSE;
  KeAcquireSpinLock(&g_pm.Lock, &irql);
  if (g_pm.Count < g_pm.Max) {
    InsertTailList(&g_pm.Processes, &p->Link);
    g_pm.Count++;
    stored = TRUE;
  }
  KeReleaseSpinLock(&g_pm.Lock, irql);
  if (!stored) ExFreeToNPagedLookasideList(&g_pm.Entries, p);
}

static NTSTATUS Complete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information) {
  Irp->IoStatus.Status = Status;
  Irp->IoStatus.Information = Information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return Status;
}

static NTSTATUS ProcMonCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  (void)DeviceObject;
  return Complete(Irp, STATUS_SUCCESS, 0);
}

static VOID ClearAll(VOID) {
  KIRQL irql;
  LIST_ENTRY gone;
  InitializeListHead(&gone);
  KeAcquireSpinLock(&g_pm.Lock, &irql);
  while (!IsListEmpty(&g_pm.Processes)) InsertTailList(&gone, RemoveHeadList(&g_pm.Processes));
  g_pm.Count = 0;
  KeReleaseSpinLock(&g_pm.Lock, irql);
  while (!IsListEmpty(&gone))
    ExFreeToNPagedLookasideList(&g_pm.Entries, CONTAINING_RECORD(RemoveHeadList(&gone), PM_ENTRY, Link));
}

static NTSTATUS ProcMonDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  (void)DeviceObject;
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  ULONG in = sp->Parameters.DeviceIoControl.InputBufferLength;
  ULONG out = sp->Parameters.DeviceIoControl.OutputBufferLength;
  PVOID buf = Irp->AssociatedIrp.SystemBuffer;
  KIRQL irql;
  switch (sp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_PROCMON_GET_COUNT: {
      if (out < sizeof(ULONG)) return Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
      KeAcquireSpinLock(&g_pm.Lock, &irql);
      ULONG n = g_pm.Count;
      KeReleaseSpinLock(&g_pm.Lock, irql);
      RtlCopyMemory(buf, &n, sizeof n);
      if (ProcMonSeedDoubleCompletion) Complete(Irp, STATUS_SUCCESS, sizeof n);  // the bug
      return Complete(Irp, STATUS_SUCCESS, sizeof n);
    }
    case IOCTL_PROCMON_QUERY: {
      if (in < sizeof(ULONG64) || out < sizeof(PROCMON_INFO))
        return Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
      ULONG64 pid;
      RtlCopyMemory(&pid, buf, sizeof pid);
      NTSTATUS st = STATUS_NOT_FOUND;
      KeAcquireSpinLock(&g_pm.Lock, &irql);
      for (PLIST_ENTRY e = g_pm.Processes.Flink; e != &g_pm.Processes; e = e->Flink) {
        PPM_ENTRY p = CONTAINING_RECORD(e, PM_ENTRY, Link);
        if (p->Info.ProcessId == pid) {
          RtlCopyMemory(buf, &p->Info, sizeof p->Info);
          st = STATUS_SUCCESS;
          break;
        }
      }
      KeReleaseSpinLock(&g_pm.Lock, irql);
      return Complete(Irp, st, NT_SUCCESS(st) ? sizeof(PROCMON_INFO) : 0);
    }
    case IOCTL_PROCMON_LIST: {
      if (Irp->MdlAddress == NULL) return Complete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
      PULONG64 ids = (PULONG64)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
      if (ids == NULL) return Complete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
      ULONG room = MmGetMdlByteCount(Irp->MdlAddress) / sizeof(ULONG64), n = 0;
      BOOLEAN more = FALSE;
      KeAcquireSpinLock(&g_pm.Lock, &irql);
      for (PLIST_ENTRY e = g_pm.Processes.Flink; e != &g_pm.Processes; e = e->Flink) {
        if (n == room) {
          more = TRUE;
          break;
        }
        ULONG64 id = CONTAINING_RECORD(e, PM_ENTRY, Link)->Info.ProcessId;
        RtlCopyMemory(&ids[n++], &id, sizeof id);
      }
      KeReleaseSpinLock(&g_pm.Lock, irql);
      return Complete(Irp, more ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, n * sizeof(ULONG64));
    }
    case IOCTL_PROCMON_CLEAR:
      ClearAll();
      return Complete(Irp, STATUS_SUCCESS, 0);
    default:
      return Complete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
}

static VOID ProcMonUnload(PDRIVER_OBJECT DriverObject) {
  (void)DriverObject;
  UNICODE_STRING link = Str((PCWSTR)u"\\DosDevices\\ProcMon");
  if (g_pm.NotifyRegistered) PsSetCreateProcessNotifyRoutineEx(OnProcess, TRUE);
  ClearAll();
  ExDeleteNPagedLookasideList(&g_pm.Entries);
  IoDeleteSymbolicLink(&link);
  IoDeleteDevice(g_pm.Device);
}

NTSTATUS ProcMonDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  UNICODE_STRING name = Str((PCWSTR)u"\\Device\\ProcMon");
  UNICODE_STRING link = Str((PCWSTR)u"\\DosDevices\\ProcMon");
  RtlZeroMemory(&g_pm, sizeof g_pm);
  g_pm.Max = ReadMaxProcesses(RegistryPath);
  InitializeListHead(&g_pm.Processes);
  KeInitializeSpinLock(&g_pm.Lock);
  NTSTATUS st = IoCreateDevice(DriverObject, 0, &name, PROCMON_DEVICE_TYPE, FILE_DEVICE_SECURE_OPEN,
                               FALSE, &g_pm.Device);
  if (!NT_SUCCESS(st)) return st;
  g_pm.Device->Flags |= DO_BUFFERED_IO;
  st = IoCreateSymbolicLink(&link, &name);
  if (!NT_SUCCESS(st)) {
    IoDeleteDevice(g_pm.Device);
    return st;
  }
  ExInitializeNPagedLookasideList(&g_pm.Entries, NULL, NULL, 0, sizeof(PM_ENTRY), PM_TAG, 0);
  st = PsSetCreateProcessNotifyRoutineEx(OnProcess, FALSE);
  if (!NT_SUCCESS(st)) {
    ExDeleteNPagedLookasideList(&g_pm.Entries);
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(g_pm.Device);
    return st;
  }
  g_pm.NotifyRegistered = TRUE;
  DriverObject->MajorFunction[IRP_MJ_CREATE] = ProcMonCreateClose;
  DriverObject->MajorFunction[IRP_MJ_CLOSE] = ProcMonCreateClose;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ProcMonDeviceControl;
  DriverObject->DriverUnload = ProcMonUnload;
  return STATUS_SUCCESS;
}
