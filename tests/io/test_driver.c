/*
 * test_driver.c — loading and unloading a whole driver (facts §1): the
 * driver object DriverEntry sees, the RegistryPath, the default dispatch
 * routine, DO_DEVICE_INITIALIZING, a failing DriverEntry, and the unload
 * checks (devices, links, open handles, pending IRPs: 0xCE).
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
  g_toy_device = NULL;
  int rc = kpt_setup(state);
  if (rc == 0) kp_system_set_current(*state);
  return rc;
}

static int teardown(void **state) {
  kp_system_set_current(NULL);
  return kpt_teardown(state);
}

static PDRIVER_OBJECT g_seen_driver;
static NTSTATUS RecordingEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)RegistryPath;
  g_seen_driver = DriverObject;
  DriverObject->MajorFunction[IRP_MJ_READ] = NULL;  // put back by the I/O manager
  DriverObject->DriverUnload = ToyUnload;
  return STATUS_SUCCESS;
}

static void test_driver_object_as_driver_entry_sees_it(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Recorder", (kp_driver_init_fn)RecordingEntry, &drv),
                   STATUS_SUCCESS);
  PDRIVER_OBJECT d = (PDRIVER_OBJECT)drv;
  assert_ptr_equal(d, g_seen_driver);
  assert_int_equal(d->Type, IO_TYPE_DRIVER);
  assert_int_equal(d->Size, sizeof(DRIVER_OBJECT));
  assert_non_null(d->DriverExtension);
  assert_ptr_equal(d->DriverExtension->DriverObject, d);
  assert_null(d->DeviceObject);
  assert_ptr_equal(d->DriverInit, (PDRIVER_INITIALIZE)RecordingEntry);
  // \Driver\Recorder, and the service key name.
  assert_int_equal(d->DriverName.Length, 16 * 2);
  assert_int_equal(d->DriverName.Buffer[1], 'D');
  assert_int_equal(d->DriverName.Buffer[8], 'R');
  assert_int_equal(d->DriverExtension->ServiceKeyName.Length, 8 * 2);
  // Entries it did not set, and the one it set to NULL, are the default.
  assert_non_null(d->MajorFunction[IRP_MJ_READ]);
  assert_ptr_equal(d->MajorFunction[IRP_MJ_READ], d->MajorFunction[IRP_MJ_CREATE]);
  assert_non_null(strstr(kpt_output, "MajorFunction[0x03] to NULL"));
  assert_ptr_equal(kp_driver_find(sys, "RECORDER"), drv);
  // Same name twice.
  assert_int_equal(kp_driver_load(sys, "recorder", (kp_driver_init_fn)RecordingEntry, NULL),
                   STATUS_OBJECT_NAME_COLLISION);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  assert_null(kp_driver_find(sys, "Recorder"));
}

static void test_bad_load_arguments(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = (kp_driver_t *)1;
  assert_int_equal(kp_driver_load(sys, NULL, (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_INVALID_PARAMETER);
  assert_null(drv);
  assert_int_equal(kp_driver_load(sys, "", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_driver_load(sys, "a\\b", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_driver_load(sys, "Toy", NULL, &drv), STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_driver_load(NULL, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_io_unload(sys, NULL), STATUS_INVALID_PARAMETER);
}

static void test_registry_path_and_its_lifetime(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  const char *want = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Toy";
  assert_int_equal(g_toy_registry_path.Length, strlen(want) * 2);
  for (size_t i = 0; i < strlen(want); i++)
    assert_int_equal(g_toy_registry_path.Buffer[i], (WCHAR)want[i]);
  // The I/O manager freed the string after DriverEntry: a driver that kept
  // the pointer holds a dangling one (the bytes were poisoned first).
  assert_ptr_not_equal(g_toy_registry_kept, NULL);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
}

static void test_device_ready_after_driver_entry(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  PDRIVER_OBJECT d = (PDRIVER_OBJECT)drv;
  assert_ptr_equal(d->DeviceObject, g_toy_device);
  assert_int_equal(g_toy_device->Flags & DO_DEVICE_INITIALIZING, 0);
  assert_true(g_toy_device->Flags & DO_BUFFERED_IO);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  assert_int_equal(kp_io_unload_findings(sys), 0);
  assert_int_equal(kpt_last.count, 0);
}

static void test_default_routine_is_invalid_device_request(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  kp_io_handle_t *h = NULL;
  assert_int_equal(kp_io_open(sys, "\\\\.\\Toy", KP_GENERIC_READ, &h), STATUS_SUCCESS);
  // No IRP_MJ_FLUSH_BUFFERS routine: the I/O manager's default answers.
  kp_io_op_t op = {KP_IRP_MJ_FLUSH_BUFFERS, 0, NULL, 0, NULL, 0, 0};
  uint64_t info = 99;
  assert_int_equal(kp_io_submit(h, &op, &info, NULL), STATUS_INVALID_DEVICE_REQUEST);
  assert_int_equal(info, 0);
  assert_int_equal(kp_io_close(h), STATUS_SUCCESS);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  assert_int_equal(kpt_last.count, 0);
}

static void test_failing_driver_entry_leaves_its_device(void **state) {
  kp_system_t *sys = *state;
  g_toy_bug = TOY_ENTRY_FAILS;
  kp_driver_t *drv = (kp_driver_t *)1;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_INSUFFICIENT_RESOURCES);
  assert_null(drv);
  assert_non_null(strstr(kpt_output, "DriverEntry failed with 0xC000009A"));
  // Not loaded: its name is free again, Unload is never called.
  assert_null(kp_driver_find(sys, "Toy"));
  // The device it created and did not delete is reported at the unload
  // check, together with the pool it holds (0xC4/0x62).
  kpt_output_reset();
  kpt_reset_caught();
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_UNSUCCESSFUL);
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x62);
  assert_non_null(strstr(kpt_output, "did not delete device object"));
  assert_non_null(strstr(kpt_output, "\\Device\\Toy"));
  assert_non_null(strstr(kpt_output, "DriverEntry failure path"));
  assert_non_null(strstr(kpt_output, "'Devi'"));
  assert_int_equal(kp_io_unload_findings(sys), 1);
}

static void test_unload_reports_device_and_link_left(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  g_toy_bug = TOY_LEAK_DEVICE;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  kpt_output_reset();
  assert_int_equal(kp_io_unload(sys, drv), KP_STATUS_UNSUCCESSFUL);
  assert_non_null(strstr(kpt_output, "did not delete device object"));
  assert_non_null(strstr(kpt_output, "did not delete symbolic link \\??\\Toy -> \\Device\\Toy"));
  assert_int_equal(kp_io_unload_findings(sys), 2);
  assert_int_equal(kpt_last.code, 0xC4);  // the device's pool block
  assert_int_equal(kpt_last.p[0], 0x62);
}

static void test_unload_reports_link_left(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  g_toy_bug = TOY_NO_DELETE_LINK;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  kpt_output_reset();
  assert_int_equal(kp_io_unload(sys, drv), KP_STATUS_UNSUCCESSFUL);
  assert_non_null(strstr(kpt_output, "did not delete symbolic link"));
  assert_null(strstr(kpt_output, "did not delete device object"));
  assert_int_equal(kp_io_unload_findings(sys), 1);
  assert_int_equal(kpt_last.count, 0);  // a link is no pool block
}

static void test_unload_refused_while_a_handle_is_open(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  kp_io_handle_t *h = NULL;
  assert_int_equal(kp_io_open(sys, "\\DosDevices\\Toy", KP_GENERIC_READ, &h), STATUS_SUCCESS);
  assert_int_equal(kp_io_unload(sys, drv), KP_STATUS_DEVICE_BUSY);
  assert_non_null(strstr(kpt_output, "unload refused: 1 handle(s)"));
  assert_non_null(g_toy_device);  // Unload was not called
  assert_int_equal(kp_io_close(h), STATUS_SUCCESS);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  assert_int_equal(kpt_last.count, 0);
}

static NTSTATUS NoUnloadEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)DriverObject;
  (void)RegistryPath;
  return STATUS_SUCCESS;
}

static NTSTATUS AddUnloadEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)RegistryPath;
  DriverObject->DriverUnload = ToyUnload;
  return STATUS_SUCCESS;
}

static void test_driver_without_unload_cannot_unload(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Stuck", (kp_driver_init_fn)NoUnloadEntry, &drv),
                   STATUS_SUCCESS);
  assert_int_equal(kp_io_unload(sys, drv), STATUS_INVALID_DEVICE_REQUEST);
  assert_non_null(strstr(kpt_output, "no Unload routine"));
  // Give it one so that the test ends cleanly.
  ((PDRIVER_OBJECT)drv)->DriverUnload = ToyUnload;
  g_toy_bug = TOY_LEAK_DEVICE;  // ToyUnload then does nothing
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
  (void)AddUnloadEntry;
}

static void test_unload_with_pending_irp_is_0xCE(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Toy", (kp_driver_init_fn)ToyDriverEntry, &drv),
                   STATUS_SUCCESS);
  kp_io_handle_t *h = NULL;
  assert_int_equal(kp_io_open(sys, "\\??\\Toy", KP_GENERIC_READ, &h), STATUS_SUCCESS);
  uint8_t out[8];
  kp_io_op_t op = {KP_IRP_MJ_DEVICE_CONTROL, IOCTL_TOY_PEND, NULL, 0, out, sizeof out, 0};
  kp_io_request_t *req = NULL;
  assert_int_equal(kp_io_submit(h, &op, NULL, &req), STATUS_PENDING);
  assert_non_null(req);
  kp_irp_t *irp = kp_io_request_irp(req);
  // The test closes its handle (CLEANUP runs, CLOSE waits for the IRP):
  // the device has no open handle, so Unload runs, with the IRP still
  // queued in the driver and its cancel routine set.
  assert_int_equal(kp_io_close(h), STATUS_SUCCESS);
  kpt_output_reset();
  kpt_reset_caught();
  assert_int_equal(kp_io_unload(sys, drv), KP_STATUS_UNSUCCESSFUL);
  // Root cause first: the 0xCE for the IRP, then the pool it holds
  // (0xC4/0x62: the IRP, its system buffer).
  assert_non_null(strstr(kpt_output, "0x000000CE"));
  char expect[64];
  snprintf(expect, sizeof expect, "0x%016llX", (unsigned long long)(uintptr_t)ToyCancel);
  assert_non_null(strstr(kpt_output, expect));
  assert_non_null(strstr(kpt_output, "finding 1: *** STOP: 0x000000CE"));
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x62);
  assert_ptr_not_equal(irp, NULL);
  assert_true(kp_io_unload_findings(sys) >= 1);
  (void)req;  // the request can never finish: its driver is gone
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_driver_object_as_driver_entry_sees_it, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_load_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_registry_path_and_its_lifetime, setup, teardown),
      cmocka_unit_test_setup_teardown(test_device_ready_after_driver_entry, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_routine_is_invalid_device_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failing_driver_entry_leaves_its_device, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unload_reports_device_and_link_left, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unload_reports_link_left, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unload_refused_while_a_handle_is_open, setup, teardown),
      cmocka_unit_test_setup_teardown(test_driver_without_unload_cannot_unload, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_pending_irp_is_0xCE, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
