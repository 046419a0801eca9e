/*
 * test_device.c — device objects, names and symbolic links, device stacks
 * with a filter on top of a lower driver, IoGetDeviceObjectPointer and
 * object references (facts §2, §7.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

#include "kp_test_util.h"
#include "io/toy_driver.h"

static int setup(void **state) {
  g_toy_bug = TOY_OK;
  int rc = kpt_setup(state);
  if (rc == 0) kp_system_set_current(*state);
  return rc;
}

static int teardown(void **state) {
  kp_system_set_current(NULL);
  return kpt_teardown(state);
}

static PDRIVER_OBJECT g_plain;
static NTSTATUS PlainEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)RegistryPath;
  g_plain = DriverObject;
  DriverObject->DriverUnload = ToyUnload;
  return STATUS_SUCCESS;
}

static void test_create_device_fields(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Plain", (kp_driver_init_fn)PlainEntry, &drv), 0);
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, TOY_U("\\Device\\Plain0"));
  PDEVICE_OBJECT a = NULL, b = NULL;
  assert_int_equal(IoCreateDevice(g_plain, 40, &name, FILE_DEVICE_UNKNOWN,
                                  FILE_DEVICE_SECURE_OPEN, TRUE, &a),
                   STATUS_SUCCESS);
  assert_int_equal(a->Type, IO_TYPE_DEVICE);
  assert_int_equal(a->Size, sizeof(DEVICE_OBJECT) + 40);
  assert_ptr_equal(a->DriverObject, g_plain);
  assert_int_equal(a->StackSize, 1);
  assert_int_equal(a->AlignmentRequirement, 63);
  assert_int_equal(a->Flags, DO_DEVICE_INITIALIZING | DO_EXCLUSIVE);
  assert_int_equal(a->Characteristics, FILE_DEVICE_SECURE_OPEN);
  assert_int_equal(a->DeviceType, FILE_DEVICE_UNKNOWN);
  assert_ptr_equal(a->DeviceExtension, (PUCHAR)a + sizeof(DEVICE_OBJECT));
  assert_int_equal((uintptr_t)a->DeviceExtension % 16, 0);
  for (int i = 0; i < 40; i++) assert_int_equal(((PUCHAR)a->DeviceExtension)[i], 0);
  // A second, unnamed one without an extension goes to the list's head.
  assert_int_equal(IoCreateDevice(g_plain, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &b), 0);
  assert_null(b->DeviceExtension);
  assert_ptr_equal(g_plain->DeviceObject, b);
  assert_ptr_equal(b->NextDevice, a);
  // Collisions and bad names.
  PDEVICE_OBJECT c = (PDEVICE_OBJECT)1;
  UNICODE_STRING upper, bad, empty;
  RtlInitUnicodeString(&upper, TOY_U("\\DEVICE\\PLAIN0"));
  assert_int_equal(IoCreateDevice(g_plain, 0, &upper, 0, 0, FALSE, &c),
                   STATUS_OBJECT_NAME_COLLISION);
  assert_null(c);
  RtlInitUnicodeString(&bad, TOY_U("Device\\X"));
  assert_int_equal(IoCreateDevice(g_plain, 0, &bad, 0, 0, FALSE, &c),
                   STATUS_OBJECT_PATH_SYNTAX_BAD);
  RtlInitUnicodeString(&empty, TOY_U("\\Device\\"));
  assert_int_equal(IoCreateDevice(g_plain, 0, &empty, 0, 0, FALSE, &c),
                   STATUS_OBJECT_NAME_INVALID);
  // Exclusive: a second handle is refused while the first is open.
  a->Flags &= ~DO_DEVICE_INITIALIZING;
  g_plain->MajorFunction[IRP_MJ_CREATE] = ToyCreateClose;
  g_plain->MajorFunction[IRP_MJ_CLEANUP] = ToyCreateClose;
  g_plain->MajorFunction[IRP_MJ_CLOSE] = ToyCreateClose;
  kp_io_handle_t *h1 = NULL, *h2 = NULL;
  assert_int_equal(kp_io_open(sys, "\\Device\\Plain0", 0, &h1), STATUS_SUCCESS);
  assert_int_equal(kp_io_open(sys, "\\Device\\Plain0", 0, &h2), STATUS_ACCESS_DENIED);
  assert_int_equal(kp_io_close(h1), STATUS_SUCCESS);
  assert_int_equal(kp_io_open(sys, "\\Device\\Plain0", 0, &h2), STATUS_SUCCESS);
  assert_int_equal(kp_io_close(h2), STATUS_SUCCESS);
  IoDeleteDevice(b);
  IoDeleteDevice(a);
  assert_null(g_plain->DeviceObject);
  // The name is free again.
  assert_int_equal(IoCreateDevice(g_plain, 0, &name, 0, 0, FALSE, &a), STATUS_SUCCESS);
  IoDeleteDevice(a);
  g_toy_bug = TOY_LEAK_DEVICE;
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  assert_int_equal(kpt_last.count, 0);
}

static void test_delete_twice_is_0x240(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Plain", (kp_driver_init_fn)PlainEntry, &drv), 0);
  PDEVICE_OBJECT a = NULL;
  assert_int_equal(IoCreateDevice(g_plain, 8, NULL, 0, 0, FALSE, &a), 0);
  IoDeleteDevice(a);
  kpt_reset_caught();
  IoDeleteDevice(a);
  assert_int_equal(kpt_last.code, 0xC9);
  assert_int_equal(kpt_last.p[0], 0x240);
  assert_int_equal(kpt_last.p[2], (uintptr_t)a);
  g_toy_bug = TOY_LEAK_DEVICE;
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
}

static void test_symbolic_links(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv), 0);
  UNICODE_STRING link, dev, other, missing;
  RtlInitUnicodeString(&link, TOY_U("\\??\\Toy"));
  RtlInitUnicodeString(&dev, TOY_U("\\Device\\Toy"));
  RtlInitUnicodeString(&other, TOY_U("\\GLOBAL??\\Toy2"));
  RtlInitUnicodeString(&missing, TOY_U("\\DosDevices\\Missing"));
  // \DosDevices\, \??\ and \GLOBAL??\ are one namespace.
  assert_int_equal(IoCreateSymbolicLink(&link, &dev), STATUS_OBJECT_NAME_COLLISION);
  assert_int_equal(IoCreateSymbolicLink(&other, &link), STATUS_SUCCESS);
  kp_io_handle_t *h = NULL;
  // A link to a link resolves to the device.
  assert_int_equal(kp_io_open(sys, "\\\\.\\Toy2", 0, &h), STATUS_SUCCESS);
  assert_int_equal(kp_io_close(h), STATUS_SUCCESS);
  assert_int_equal(IoDeleteSymbolicLink(&other), STATUS_SUCCESS);
  assert_int_equal(IoDeleteSymbolicLink(&other), STATUS_OBJECT_NAME_NOT_FOUND);
  assert_int_equal(IoDeleteSymbolicLink(&missing), STATUS_OBJECT_NAME_NOT_FOUND);
  assert_int_equal(kp_io_open(sys, "\\\\.\\Toy2", 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
}

/* ---------------------------------------------------------------------------
 * A filter on top of the toy driver.
 * ------------------------------------------------------------------------- */
typedef struct FILTER_EXT {
  PDEVICE_OBJECT Lower;
  ULONG Seen;
  ULONG Completed;
} FILTER_EXT, *PFILTER_EXT;

static PDEVICE_OBJECT g_filter_device;
static PFILE_OBJECT g_lower_file;

static NTSTATUS FilterPass(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILTER_EXT ext = (PFILTER_EXT)DeviceObject->DeviceExtension;
  ext->Seen++;
  IoSkipCurrentIrpStackLocation(Irp);
  return IoCallDriver(ext->Lower, Irp);
}

static NTSTATUS FilterDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
  (void)Context;
  PFILTER_EXT ext = (PFILTER_EXT)DeviceObject->DeviceExtension;
  ext->Completed++;
  if (Irp->PendingReturned) IoMarkIrpPending(Irp);
  return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS FilterIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PFILTER_EXT ext = (PFILTER_EXT)DeviceObject->DeviceExtension;
  ext->Seen++;
  IoCopyCurrentIrpStackLocationToNext(Irp);
  IoSetCompletionRoutine(Irp, FilterDone, NULL, TRUE, TRUE, TRUE);
  return IoCallDriver(ext->Lower, Irp);
}

static VOID FilterUnload(PDRIVER_OBJECT DriverObject) {
  (void)DriverObject;
  PFILTER_EXT ext = (PFILTER_EXT)g_filter_device->DeviceExtension;
  IoDetachDevice(ext->Lower);
  IoDeleteDevice(g_filter_device);
  ObDereferenceObject(g_lower_file);
}

static NTSTATUS FilterEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)RegistryPath;
  UNICODE_STRING target;
  RtlInitUnicodeString(&target, TOY_U("\\Device\\Toy"));
  PDEVICE_OBJECT lower = NULL;
  NTSTATUS st = IoGetDeviceObjectPointer(&target, FILE_READ_DATA, &g_lower_file, &lower);
  if (!NT_SUCCESS(st)) return st;
  st = IoCreateDevice(DriverObject, sizeof(FILTER_EXT), NULL, lower->DeviceType, 0, FALSE,
                      &g_filter_device);
  if (!NT_SUCCESS(st)) {
    ObDereferenceObject(g_lower_file);
    return st;
  }
  g_filter_device->Flags |= lower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
  g_filter_device->Flags &= ~DO_DEVICE_INITIALIZING;
  PFILTER_EXT ext = (PFILTER_EXT)g_filter_device->DeviceExtension;
  PDEVICE_OBJECT to = NULL;
  st = IoAttachDeviceToDeviceStackSafe(g_filter_device, lower, &to);
  if (!NT_SUCCESS(st)) {
    IoDeleteDevice(g_filter_device);
    ObDereferenceObject(g_lower_file);
    return st;
  }
  ext->Lower = to;
  for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) DriverObject->MajorFunction[i] = FilterPass;
  DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FilterIoctl;
  DriverObject->DriverUnload = FilterUnload;
  return STATUS_SUCCESS;
}

static void test_filter_on_a_lower_driver(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *toy = NULL, *filter = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &toy), 0);
  PTOY_EXT toy_ext = (PTOY_EXT)g_toy_device->DeviceExtension;
  assert_int_equal(kp_driver_load(sys, "Filter", (kp_driver_init_fn)FilterEntry, &filter), 0);
  // IoGetDeviceObjectPointer opened the toy device (CREATE, CLEANUP).
  assert_int_equal(toy_ext->Creates, 1);
  assert_int_equal(toy_ext->Cleanups, 1);
  assert_int_equal(toy_ext->Closes, 0);
  assert_ptr_equal(g_toy_device->AttachedDevice, g_filter_device);
  assert_int_equal(g_filter_device->StackSize, 2);
  assert_ptr_equal(IoGetAttachedDevice(g_toy_device), g_filter_device);
  PDEVICE_OBJECT top = IoGetAttachedDeviceReference(g_toy_device);
  assert_ptr_equal(top, g_filter_device);
  ObDereferenceObject(top);
  // The test opens the toy's name: the request enters at the filter.
  kp_io_handle_t *h = NULL;
  assert_int_equal(kp_io_open(sys, "\\\\.\\Toy", KP_GENERIC_READ, &h), STATUS_SUCCESS);
  PFILTER_EXT fext = (PFILTER_EXT)g_filter_device->DeviceExtension;
  assert_int_equal(fext->Seen, 1);
  char in[4] = "abc", out[4] = {0};
  uint64_t info = 0;
  assert_int_equal(kp_io_ioctl(h, IOCTL_TOY_ECHO, in, 3, out, 4, &info), STATUS_SUCCESS);
  assert_int_equal(info, 3);
  assert_memory_equal(out, "abc", 3);
  assert_int_equal(fext->Completed, 1);
  // A pending IOCTL through the filter: its routine propagates pending.
  kp_io_op_t op = {KP_IRP_MJ_DEVICE_CONTROL, IOCTL_TOY_PEND, NULL, 0, out, 4, 0};
  kp_io_request_t *req = NULL;
  assert_int_equal(kp_io_submit(h, &op, &info, &req), STATUS_PENDING);
  assert_true(ToyCompletePending(1));
  assert_int_equal(kp_io_wait(req, UINT32_MAX, &info), STATUS_SUCCESS);
  assert_int_equal(fext->Completed, 2);
  assert_int_equal(kp_io_close(h), STATUS_SUCCESS);
  assert_int_equal(kpt_last.count, 0);
  // The filter goes first; its Unload detaches and drops the file object
  // (the toy then gets its CLOSE).
  assert_int_equal(kp_io_unload(sys, filter), STATUS_SUCCESS);
  assert_int_equal(toy_ext->Closes, 2);
  assert_null(g_toy_device->AttachedDevice);
  assert_int_equal(kp_io_unload(sys, toy), STATUS_SUCCESS);
  assert_int_equal(kpt_last.count, 0);
}

static void test_stack_errors(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Plain", (kp_driver_init_fn)PlainEntry, &drv), 0);
  PDEVICE_OBJECT lower = NULL, upper = NULL;
  assert_int_equal(IoCreateDevice(g_plain, 0, NULL, 0, 0, FALSE, &lower), 0);
  assert_int_equal(IoCreateDevice(g_plain, 0, NULL, 0, 0, FALSE, &upper), 0);
  // Still initializing: nothing may attach to it.
  assert_null(IoAttachDeviceToDeviceStack(upper, lower));
  lower->Flags &= ~DO_DEVICE_INITIALIZING;
  assert_ptr_equal(IoAttachDeviceToDeviceStack(upper, lower), lower);
  // Deleting the upper device while it is attached: 0xC9/0x201.
  kpt_reset_caught();
  IoDeleteDevice(upper);
  assert_int_equal(kpt_last.code, 0xC9);
  assert_int_equal(kpt_last.p[0], 0x201);
  IoDetachDevice(lower);
  kpt_reset_caught();
  IoDetachDevice(lower);  // twice
  assert_int_equal(kpt_last.code, 0xC9);
  assert_int_equal(kpt_last.p[0], 0x202);
  assert_int_equal(kpt_last.p[2], (uintptr_t)lower);
  IoDeleteDevice(upper);
  IoDeleteDevice(lower);
  g_toy_bug = TOY_LEAK_DEVICE;
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
}

static void test_references(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Plain", (kp_driver_init_fn)PlainEntry, &drv), 0);
  PDEVICE_OBJECT d = NULL;
  assert_int_equal(IoCreateDevice(g_plain, 0, NULL, 0, 0, FALSE, &d), 0);
  ObReferenceObject(d);
  IoDeleteDevice(d);
  // Still referenced: delete pending, memory kept until the last reference.
  assert_true(kp_io_is_device(sys, d));
  ObDereferenceObject(d);
  assert_false(kp_io_is_device(sys, d));
  // A dereference too many: 0xC4/0x3F with the verifier, 0x18 without.
  assert_int_equal(IoCreateDevice(g_plain, 0, NULL, 0, 0, FALSE, &d), 0);
  kpt_reset_caught();
  ObDereferenceObject(d);
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x3F);
  assert_int_equal(kpt_last.p[1], (uintptr_t)d);
  assert_int_equal(kpt_last.p[2], UINT64_MAX);
  // ObReferenceObjectByPointer checks the type.
  assert_int_equal(ObReferenceObjectByPointer(d, 0, *IoDeviceObjectType, KernelMode),
                   STATUS_SUCCESS);
  assert_int_equal(ObReferenceObjectByPointer(d, 0, *PsProcessType, KernelMode),
                   STATUS_OBJECT_TYPE_MISMATCH);
  ObDereferenceObject(d);
  int junk;
  kpt_reset_caught();
  ObReferenceObject(&junk);
  assert_int_equal(kpt_last.code, 0x18);
  assert_int_equal(kpt_last.p[1], (uintptr_t)&junk);
  IoDeleteDevice(d);
  g_toy_bug = TOY_LEAK_DEVICE;
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
}

static void test_device_reference_leaked_at_unload(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Plain", (kp_driver_init_fn)PlainEntry, &drv), 0);
  PDEVICE_OBJECT d = NULL;
  assert_int_equal(IoCreateDevice(g_plain, 0, NULL, 0, 0, FALSE, &d), 0);
  ObReferenceObject(d);
  IoDeleteDevice(d);
  g_toy_bug = TOY_LEAK_DEVICE;
  kpt_output_reset();
  kpt_reset_caught();
  assert_int_equal(kp_io_unload(sys, drv), KP_STATUS_UNSUCCESSFUL);
  assert_non_null(strstr(kpt_output, "1 reference(s) to deleted device object"));
  assert_int_equal(kpt_last.code, 0xC4);  // its 'Devi' block is still held
  assert_int_equal(kpt_last.p[0], 0x62);
  ObDereferenceObject(d);  // now it goes
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_create_device_fields),
      T(test_delete_twice_is_0x240),
      T(test_symbolic_links),
      T(test_filter_on_a_lower_driver),
      T(test_stack_errors),
      T(test_references),
      T(test_device_reference_leaked_at_unload),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
