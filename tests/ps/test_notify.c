/*
 * test_notify.c — process, thread and image notifications through the WDK
 * names: arguments, the veto, registration rules, the integrity flag,
 * lookups and references, and what is left at unload (facts §6, §7.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntifs.h>

#include "kp_test_util.h"

static int setup(void **state) {
  int rc = kpt_setup(state);
  if (rc == 0) kp_system_set_current(*state);
  return rc;
}

static int teardown(void **state) {
  kp_system_set_current(NULL);
  return kpt_teardown(state);
}

static int g_creates, g_exits;
static HANDLE g_last_parent, g_last_pid;
static char g_image[64], g_cmd[64];
static KIRQL g_irql;
static NTSTATUS g_veto;

static void text(PCUNICODE_STRING s, char *out) {
  size_t n = s != NULL ? s->Length / 2u : 0;
  for (size_t i = 0; i < n && i < 63; i++) out[i] = (char)s->Buffer[i];
  out[n < 63 ? n : 63] = '\0';
}

static VOID OnProcessEx(PEPROCESS Process, HANDLE ProcessId, PPS_CREATE_NOTIFY_INFO CreateInfo) {
  g_irql = KeGetCurrentIrql();
  assert_true(KeAreApcsDisabled());  // in a critical region (facts §6.1)
  assert_ptr_equal(PsGetProcessId(Process), ProcessId);
  g_last_pid = ProcessId;
  if (CreateInfo == NULL) {
    g_exits++;
    return;
  }
  g_creates++;
  assert_int_equal(CreateInfo->Size, sizeof(PS_CREATE_NOTIFY_INFO));
  assert_true(CreateInfo->FileOpenNameAvailable);
  g_last_parent = CreateInfo->ParentProcessId;
  text(CreateInfo->ImageFileName, g_image);
  text(CreateInfo->CommandLine, g_cmd);
  assert_int_equal(CreateInfo->CreationStatus, STATUS_SUCCESS);
  if (g_veto != STATUS_SUCCESS) CreateInfo->CreationStatus = g_veto;
}

static int g_plain_creates;
static VOID OnProcess(HANDLE ParentId, HANDLE ProcessId, BOOLEAN Create) {
  (void)ParentId;
  (void)ProcessId;
  if (Create) g_plain_creates++;
}

static void test_process_notifications(void **state) {
  kp_system_t *sys = *state;
  g_creates = g_exits = g_plain_creates = 0;
  g_veto = STATUS_SUCCESS;
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, FALSE), STATUS_SUCCESS);
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, FALSE), STATUS_INVALID_PARAMETER);
  assert_int_equal(PsSetCreateProcessNotifyRoutine(OnProcess, FALSE), STATUS_SUCCESS);
  uint64_t pid = 0;
  assert_int_equal(kp_ps_process_create(sys, 4, "\\??\\C:\\Windows\\notepad.exe",
                                        "notepad.exe a.txt", &pid), STATUS_SUCCESS);
  assert_int_equal(g_creates, 1);
  assert_int_equal(g_plain_creates, 1);
  assert_int_equal(g_irql, PASSIVE_LEVEL);
  assert_ptr_equal(g_last_parent, (HANDLE)4);
  assert_ptr_equal(g_last_pid, (HANDLE)(uintptr_t)pid);
  assert_string_equal(g_image, "\\??\\C:\\Windows\\notepad.exe");
  assert_string_equal(g_cmd, "notepad.exe a.txt");
  // Lookups reference the process; the name is the 15-character one.
  PEPROCESS p = NULL;
  assert_int_equal(PsLookupProcessByProcessId((HANDLE)(uintptr_t)pid, &p), STATUS_SUCCESS);
  assert_string_equal(PsGetProcessImageFileName(p), "notepad.exe");
  assert_int_equal(ObReferenceObjectByPointer(p, 0, *PsProcessType, KernelMode), STATUS_SUCCESS);
  assert_int_equal(ObReferenceObjectByPointer(p, 0, *IoFileObjectType, KernelMode),
                   STATUS_OBJECT_TYPE_MISMATCH);
  ObDereferenceObject(p);
  ObDereferenceObject(p);
  assert_int_equal(PsLookupProcessByProcessId((HANDLE)0x7777, &p), STATUS_INVALID_CID);
  assert_null(p);
  assert_int_equal(kp_ps_process_exit(sys, pid), STATUS_SUCCESS);
  assert_int_equal(g_exits, 1);
  assert_int_equal(kp_ps_process_exit(sys, pid), STATUS_INVALID_CID);
  assert_int_equal(PsLookupProcessByProcessId((HANDLE)(uintptr_t)pid, &p), STATUS_INVALID_CID);
  // A veto: the caller sees the status.
  g_veto = STATUS_ACCESS_DENIED;
  assert_int_equal(kp_ps_process_create(sys, 4, "\\??\\C:\\evil.exe", NULL, &pid),
                   STATUS_ACCESS_DENIED);
  assert_int_equal(pid, 0);
  assert_int_equal(g_exits, 2);
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, TRUE), STATUS_SUCCESS);
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, TRUE), STATUS_PROCEDURE_NOT_FOUND);
  assert_int_equal(PsSetCreateProcessNotifyRoutine(OnProcess, TRUE), STATUS_SUCCESS);
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx2((PSCREATEPROCESSNOTIFYTYPE)1,
                                                      (PVOID)(uintptr_t)OnProcessEx, FALSE),
                   STATUS_INVALID_PARAMETER);
  // Without /INTEGRITYCHECK the Ex forms are refused.
  kp_ps_set_force_integrity(sys, false);
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, FALSE), STATUS_ACCESS_DENIED);
  assert_int_equal(PsSetCreateProcessNotifyRoutine(OnProcess, FALSE), STATUS_SUCCESS);
  assert_int_equal(PsSetCreateProcessNotifyRoutine(OnProcess, TRUE), STATUS_SUCCESS);
}

static int g_threads;
static HANDLE g_thread_pid;
static VOID OnThread(HANDLE ProcessId, HANDLE ThreadId, BOOLEAN Create) {
  (void)ThreadId;
  g_thread_pid = ProcessId;
  g_threads += Create ? 1 : -1;
}

static int g_images;
static BOOLEAN g_kernel_image;
static VOID OnImage(PUNICODE_STRING FullImageName, HANDLE ProcessId, PIMAGE_INFO ImageInfo) {
  (void)ProcessId;
  assert_non_null(FullImageName);
  assert_int_equal(ImageInfo->ImageAddressingMode, IMAGE_ADDRESSING_MODE_32BIT);
  assert_int_equal(ImageInfo->ImageSize, 0x2000);
  g_kernel_image = (BOOLEAN)ImageInfo->SystemModeImage;
  g_images++;
}

static void test_thread_and_image_notifications(void **state) {
  kp_system_t *sys = *state;
  g_threads = g_images = 0;
  uint64_t pid = 0, tid = 0;
  assert_int_equal(kp_ps_process_create(sys, 4, "\\??\\C:\\a.exe", NULL, &pid), 0);
  assert_int_equal(PsSetCreateThreadNotifyRoutine(OnThread), STATUS_SUCCESS);
  assert_int_equal(PsSetLoadImageNotifyRoutineEx(OnImage, 0x2), STATUS_INVALID_PARAMETER_2);
  assert_int_equal(PsSetLoadImageNotifyRoutine(OnImage), STATUS_SUCCESS);
  assert_int_equal(kp_ps_thread_create(sys, pid, &tid), STATUS_SUCCESS);
  assert_int_equal(g_threads, 1);
  assert_ptr_equal(g_thread_pid, (HANDLE)(uintptr_t)pid);
  PETHREAD t = NULL;
  assert_int_equal(PsLookupThreadByThreadId((HANDLE)(uintptr_t)tid, &t), STATUS_SUCCESS);
  assert_ptr_equal(PsGetThreadProcessId(t), (HANDLE)(uintptr_t)pid);
  ObDereferenceObject(t);
  assert_int_equal(kp_ps_thread_exit(sys, tid), STATUS_SUCCESS);
  assert_int_equal(g_threads, 0);
  assert_int_equal(kp_ps_image_load(sys, pid, "\\Windows\\System32\\x.dll", 0x10000, 0x2000), 0);
  assert_false(g_kernel_image);
  assert_int_equal(kp_ps_image_load(sys, 0, "\\SystemRoot\\drv.sys", 0x10000, 0x2000), 0);
  assert_true(g_kernel_image);
  assert_int_equal(g_images, 2);
  assert_int_equal(PsRemoveCreateThreadNotifyRoutine(OnThread), STATUS_SUCCESS);
  assert_int_equal(PsRemoveCreateThreadNotifyRoutine(OnThread), STATUS_PROCEDURE_NOT_FOUND);
  assert_int_equal(PsRemoveLoadImageNotifyRoutine(OnImage), STATUS_SUCCESS);
  assert_int_equal(kp_ps_process_exit(sys, pid), STATUS_SUCCESS);
}

static void test_callback_left_at_unload_is_0xCE(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, FALSE), STATUS_SUCCESS);
  uint64_t pid = 0;
  g_veto = STATUS_SUCCESS;
  assert_int_equal(kp_ps_process_create(sys, 4, "\\??\\C:\\b.exe", NULL, &pid), 0);
  PEPROCESS p = NULL;
  assert_int_equal(PsLookupProcessByProcessId((HANDLE)(uintptr_t)pid, &p), 0);
  kpt_reset_caught();
  kpt_output_reset();
  (void)kp_driver_unload(sys);
  assert_int_equal(kpt_last.code, 0xCE);
  assert_int_equal(kpt_last.p[0], (uintptr_t)OnProcessEx);
  assert_int_equal(kpt_last.p[2], (uintptr_t)OnProcessEx);
  assert_non_null(strstr(kpt_output, "reference(s) to process"));
  assert_int_equal(kp_io_unload_findings(sys), 2);
  // Underflow: one dereference too many.
  ObDereferenceObject(p);
  (void)kp_ps_process_exit(sys, pid);
  kpt_reset_caught();
  ObDereferenceObject(p);
  assert_int_equal(kpt_last.code, 0xC4);
  assert_int_equal(kpt_last.p[0], 0x3F);
  assert_int_equal(PsSetCreateProcessNotifyRoutineEx(OnProcessEx, TRUE), STATUS_SUCCESS);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_process_notifications),
      T(test_thread_and_image_notifications),
      T(test_callback_left_at_unload_is_0xCE),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
