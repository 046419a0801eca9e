/*
 * test_io_layout.c — the WDK face's I/O structures against the x64
 * offsets and sizes of facts §1.3, §1.4, §2.2, §3.1, §3.2 (computed from
 * mingw-w64 layouts plus the WDK's field order), checked at compile time,
 * and the constant values of §1.5, §2.3, §3.2, §3.4, §3.6.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntifs.h>

#define OFF(t, f, v) _Static_assert(offsetof(t, f) == (v), #t "." #f)

_Static_assert(sizeof(DRIVER_OBJECT) == 0x150, "DRIVER_OBJECT");
OFF(DRIVER_OBJECT, Type, 0x00);
OFF(DRIVER_OBJECT, Size, 0x02);
OFF(DRIVER_OBJECT, DeviceObject, 0x08);
OFF(DRIVER_OBJECT, Flags, 0x10);
OFF(DRIVER_OBJECT, DriverStart, 0x18);
OFF(DRIVER_OBJECT, DriverSize, 0x20);
OFF(DRIVER_OBJECT, DriverSection, 0x28);
OFF(DRIVER_OBJECT, DriverExtension, 0x30);
OFF(DRIVER_OBJECT, DriverName, 0x38);
OFF(DRIVER_OBJECT, HardwareDatabase, 0x48);
OFF(DRIVER_OBJECT, FastIoDispatch, 0x50);
OFF(DRIVER_OBJECT, DriverInit, 0x58);
OFF(DRIVER_OBJECT, DriverStartIo, 0x60);
OFF(DRIVER_OBJECT, DriverUnload, 0x68);
OFF(DRIVER_OBJECT, MajorFunction, 0x70);
_Static_assert(sizeof(((DRIVER_OBJECT *)0)->MajorFunction) == 28 * 8, "MajorFunction[28]");

_Static_assert(sizeof(DRIVER_EXTENSION) == 0x28, "DRIVER_EXTENSION");
OFF(DRIVER_EXTENSION, DriverObject, 0x00);
OFF(DRIVER_EXTENSION, AddDevice, 0x08);
OFF(DRIVER_EXTENSION, Count, 0x10);
OFF(DRIVER_EXTENSION, ServiceKeyName, 0x18);

_Static_assert(sizeof(DEVICE_OBJECT) == 0x150, "DEVICE_OBJECT");
_Static_assert(_Alignof(DEVICE_OBJECT) == 16, "DEVICE_OBJECT alignment");
OFF(DEVICE_OBJECT, Type, 0x00);
OFF(DEVICE_OBJECT, Size, 0x02);
OFF(DEVICE_OBJECT, ReferenceCount, 0x04);
OFF(DEVICE_OBJECT, DriverObject, 0x08);
OFF(DEVICE_OBJECT, NextDevice, 0x10);
OFF(DEVICE_OBJECT, AttachedDevice, 0x18);
OFF(DEVICE_OBJECT, CurrentIrp, 0x20);
OFF(DEVICE_OBJECT, Timer, 0x28);
OFF(DEVICE_OBJECT, Flags, 0x30);
OFF(DEVICE_OBJECT, Characteristics, 0x34);
OFF(DEVICE_OBJECT, Vpb, 0x38);
OFF(DEVICE_OBJECT, DeviceExtension, 0x40);
OFF(DEVICE_OBJECT, DeviceType, 0x48);
OFF(DEVICE_OBJECT, StackSize, 0x4C);
OFF(DEVICE_OBJECT, Queue, 0x50);
OFF(DEVICE_OBJECT, AlignmentRequirement, 0x98);
OFF(DEVICE_OBJECT, DeviceQueue, 0xA0);
OFF(DEVICE_OBJECT, Dpc, 0xC8);
OFF(DEVICE_OBJECT, ActiveThreadCount, 0x108);
OFF(DEVICE_OBJECT, SecurityDescriptor, 0x110);
OFF(DEVICE_OBJECT, DeviceLock, 0x118);
OFF(DEVICE_OBJECT, SectorSize, 0x130);
OFF(DEVICE_OBJECT, Spare1, 0x132);
OFF(DEVICE_OBJECT, DeviceObjectExtension, 0x138);
OFF(DEVICE_OBJECT, Reserved, 0x140);

_Static_assert(sizeof(IRP) == 0xD0, "IRP");
OFF(IRP, Type, 0x00);
OFF(IRP, Size, 0x02);
OFF(IRP, MdlAddress, 0x08);
OFF(IRP, Flags, 0x10);
OFF(IRP, AssociatedIrp.SystemBuffer, 0x18);
OFF(IRP, ThreadListEntry, 0x20);
OFF(IRP, IoStatus, 0x30);
OFF(IRP, IoStatus.Status, 0x30);
OFF(IRP, IoStatus.Information, 0x38);
OFF(IRP, RequestorMode, 0x40);
OFF(IRP, PendingReturned, 0x41);
OFF(IRP, StackCount, 0x42);
OFF(IRP, CurrentLocation, 0x43);
OFF(IRP, Cancel, 0x44);
OFF(IRP, CancelIrql, 0x45);
OFF(IRP, ApcEnvironment, 0x46);
OFF(IRP, AllocationFlags, 0x47);
OFF(IRP, UserIosb, 0x48);
OFF(IRP, UserEvent, 0x50);
OFF(IRP, Overlay, 0x58);
OFF(IRP, CancelRoutine, 0x68);
OFF(IRP, UserBuffer, 0x70);
OFF(IRP, Tail.Overlay.DeviceQueueEntry, 0x78);
OFF(IRP, Tail.Overlay.DriverContext, 0x78);
OFF(IRP, Tail.Overlay.Thread, 0x98);
OFF(IRP, Tail.Overlay.AuxiliaryBuffer, 0xA0);
OFF(IRP, Tail.Overlay.ListEntry, 0xA8);
OFF(IRP, Tail.Overlay.CurrentStackLocation, 0xB8);
OFF(IRP, Tail.Overlay.OriginalFileObject, 0xC0);
OFF(IRP, Tail.Apc, 0x78);
OFF(IRP, Tail.CompletionKey, 0x78);

_Static_assert(sizeof(IO_STACK_LOCATION) == 0x48, "IO_STACK_LOCATION");
OFF(IO_STACK_LOCATION, MajorFunction, 0x00);
OFF(IO_STACK_LOCATION, MinorFunction, 0x01);
OFF(IO_STACK_LOCATION, Flags, 0x02);
OFF(IO_STACK_LOCATION, Control, 0x03);
OFF(IO_STACK_LOCATION, Parameters, 0x08);
OFF(IO_STACK_LOCATION, Parameters.Create.SecurityContext, 0x08);
OFF(IO_STACK_LOCATION, Parameters.Create.Options, 0x10);
OFF(IO_STACK_LOCATION, Parameters.Create.FileAttributes, 0x18);
OFF(IO_STACK_LOCATION, Parameters.Create.ShareAccess, 0x1A);
OFF(IO_STACK_LOCATION, Parameters.Create.EaLength, 0x20);
OFF(IO_STACK_LOCATION, Parameters.Read.Length, 0x08);
OFF(IO_STACK_LOCATION, Parameters.Read.Key, 0x10);
OFF(IO_STACK_LOCATION, Parameters.Read.Flags, 0x14);
OFF(IO_STACK_LOCATION, Parameters.Read.ByteOffset, 0x18);
OFF(IO_STACK_LOCATION, Parameters.Write.Length, 0x08);
OFF(IO_STACK_LOCATION, Parameters.Write.ByteOffset, 0x18);
OFF(IO_STACK_LOCATION, Parameters.DeviceIoControl.OutputBufferLength, 0x08);
OFF(IO_STACK_LOCATION, Parameters.DeviceIoControl.InputBufferLength, 0x10);
OFF(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode, 0x18);
OFF(IO_STACK_LOCATION, Parameters.DeviceIoControl.Type3InputBuffer, 0x20);
OFF(IO_STACK_LOCATION, DeviceObject, 0x28);
OFF(IO_STACK_LOCATION, FileObject, 0x30);
OFF(IO_STACK_LOCATION, CompletionRoutine, 0x38);
OFF(IO_STACK_LOCATION, Context, 0x40);
_Static_assert(sizeof(((IO_STACK_LOCATION *)0)->Parameters) == 32, "Parameters");

_Static_assert(sizeof(IO_STATUS_BLOCK) == 16, "IO_STATUS_BLOCK");
_Static_assert(sizeof(FILE_OBJECT) == 0xD8, "FILE_OBJECT");
OFF(FILE_OBJECT, Type, 0x00);
OFF(FILE_OBJECT, DeviceObject, 0x08);
OFF(FILE_OBJECT, FsContext, 0x18);
OFF(FILE_OBJECT, FsContext2, 0x20);
OFF(FILE_OBJECT, FileName, 0x58);

static void test_constants(void **state) {
  (void)state;
  assert_int_equal(IRP_MJ_READ, 0x03);
  assert_int_equal(IRP_MJ_WRITE, 0x04);
  assert_int_equal(IRP_MJ_DEVICE_CONTROL, 0x0e);
  assert_int_equal(IRP_MJ_CLEANUP, 0x12);
  assert_int_equal(IRP_MJ_PNP, 0x1b);
  assert_int_equal(IRP_MJ_MAXIMUM_FUNCTION, 0x1b);
  assert_int_equal(IRP_MJ_SCSI, IRP_MJ_INTERNAL_DEVICE_CONTROL);
  assert_int_equal(DO_BUFFERED_IO, 0x4);
  assert_int_equal(DO_DIRECT_IO, 0x10);
  assert_int_equal(DO_DEVICE_INITIALIZING, 0x80);
  assert_int_equal(FILE_DEVICE_SECURE_OPEN, 0x100);
  assert_int_equal(FILE_DEVICE_UNKNOWN, 0x22);
  assert_int_equal(SL_PENDING_RETURNED, 0x01);
  assert_int_equal(SL_INVOKE_ON_CANCEL, 0x20);
  assert_int_equal(SL_INVOKE_ON_SUCCESS, 0x40);
  assert_int_equal(SL_INVOKE_ON_ERROR, 0x80);
  assert_int_equal(IO_SOUND_INCREMENT, 8);
  assert_int_equal(IoSizeOfIrp(3), 0xD0 + 3 * 0x48);
  assert_int_equal(STATUS_MORE_PROCESSING_REQUIRED, (NTSTATUS)0xC0000016);
  assert_int_equal(STATUS_OBJECT_NAME_COLLISION, (NTSTATUS)0xC0000035);
  assert_int_equal(KernelMode, 0);
  assert_int_equal(UserMode, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_constants)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
