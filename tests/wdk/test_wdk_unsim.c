/*
 * test_wdk_unsim.c — routines kpool declares but does not simulate: a
 * call stops with bug check 0x1E naming the routine, and a test's own
 * definition of one (here a CMocka mock of IoRegisterShutdownNotification)
 * replaces the library's default at link time. Also compiles a
 * minifilter's callback against <fltKernel.h> and IoCreateDeviceSecure
 * from <wdmsec.h>.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fltKernel.h>
#include <wdmsec.h>

#include "kp_test_util.h"

/* The test double: the library's IoRegisterShutdownNotification.o is
 * never pulled from the archive, so there is no duplicate symbol. */
NTSTATUS NTAPI IoRegisterShutdownNotification(PDEVICE_OBJECT DeviceObject) {
  check_expected_ptr(DeviceObject);
  return (NTSTATUS)mock();
}

static int setup(void **state) {
  int rc = kpt_setup(state);
  if (rc == 0) kp_system_set_current(*state);
  return rc;
}

static int teardown(void **state) {
  kp_system_set_current(NULL);
  return kpt_teardown(state);
}

static void test_test_double_wins(void **state) {
  (void)state;
  PDEVICE_OBJECT dev = (PDEVICE_OBJECT)(uintptr_t)0x1000;
  expect_value(IoRegisterShutdownNotification, DeviceObject, dev);
  will_return(IoRegisterShutdownNotification, STATUS_SUCCESS);
  assert_int_equal(IoRegisterShutdownNotification(dev), STATUS_SUCCESS);
}

static void test_unsimulated_call_names_the_routine(void **state) {
  (void)state;
  kpt_reset_caught();
  NTSTATUS st = IoWMIRegistrationControl(NULL, WMIREG_ACTION_REGISTER);
  assert_int_equal(st, STATUS_NOT_IMPLEMENTED);
  assert_int_equal(kpt_last.code, 0x1E);
  assert_int_equal(kpt_last.p[0], 0xC0000002);
  assert_int_equal(kpt_last.p[1], (uintptr_t)&IoWMIRegistrationControl);
  assert_non_null(strstr(kpt_last.explanation, "IoWMIRegistrationControl"));
  assert_non_null(strstr(kpt_last.explanation, "test double"));
  kpt_reset_caught();
  PFLT_FILTER filter = NULL;
  assert_int_equal(FltRegisterFilter(NULL, NULL, &filter), STATUS_NOT_IMPLEMENTED);
  assert_non_null(strstr(kpt_last.explanation, "FltRegisterFilter"));
}

/* A minifilter pre-operation callback, tested by calling it directly. */
static FLT_PREOP_CALLBACK_STATUS PreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                           PVOID *CompletionContext) {
  (void)FltObjects;
  *CompletionContext = NULL;
  if (Data->Iopb->MajorFunction != IRP_MJ_CREATE) return FLT_PREOP_SUCCESS_NO_CALLBACK;
  if (Data->Iopb->Parameters.Create.Options >> 24 == 5 /* FILE_OVERWRITE_IF */) {
    Data->IoStatus.Status = STATUS_ACCESS_DENIED;
    return FLT_PREOP_COMPLETE;
  }
  return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION g_ops[] = {{IRP_MJ_CREATE, 0, PreCreate, NULL, NULL},
                                                   {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL}};

static void test_minifilter_callback_compiles_and_runs(void **state) {
  (void)state;
  FLT_IO_PARAMETER_BLOCK iopb;
  memset(&iopb, 0, sizeof iopb);
  iopb.MajorFunction = IRP_MJ_CREATE;
  iopb.Parameters.Create.Options = 5u << 24;
  FLT_CALLBACK_DATA data;
  memset(&data, 0, sizeof data);
  data.Iopb = &iopb;
  PVOID ctx = (PVOID)1;
  assert_int_equal(g_ops[0].PreOperation(&data, NULL, &ctx), FLT_PREOP_COMPLETE);
  assert_int_equal(data.IoStatus.Status, STATUS_ACCESS_DENIED);
  assert_null(ctx);
  assert_int_equal(g_ops[1].MajorFunction, IRP_MJ_OPERATION_END);
}

static PDRIVER_OBJECT g_drv;
static NTSTATUS SecureEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  (void)RegistryPath;
  g_drv = DriverObject;
  return STATUS_SUCCESS;
}
static VOID NoUnload(PDRIVER_OBJECT DriverObject) { (void)DriverObject; }

static void test_create_device_secure(void **state) {
  kp_system_t *sys = *state;
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "Sec", (kp_driver_init_fn)SecureEntry, &drv), 0);
  UNICODE_STRING name, sddl;
  RtlInitUnicodeString(&name, (PCWSTR)(const void *)u"\\Device\\Sec");
  RtlInitUnicodeString(&sddl, SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
  PDEVICE_OBJECT dev = NULL;
  assert_int_equal(IoCreateDeviceSecure(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, NULL, NULL,
                                        &dev),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(IoCreateDeviceSecure(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &sddl,
                                        NULL, &dev),
                   STATUS_SUCCESS);
  IoDeleteDevice(dev);
  g_drv->DriverUnload = NoUnload;
  assert_int_equal(kp_io_unload(sys, drv), STATUS_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_test_double_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unsimulated_call_names_the_routine, setup, teardown),
      cmocka_unit_test_setup_teardown(test_minifilter_callback_compiles_and_runs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_device_secure, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
