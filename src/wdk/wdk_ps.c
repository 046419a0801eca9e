/*
 * wdk_ps.c — the WDK face of process/thread/image notifications and
 * lookups, mapped onto kpool/ps.h. No logic beyond argument checks the
 * WDK routines document.
 */
#include <stddef.h>

#include "kpool/wdk/ntifs.h"

#include "kpool/ps.h"
#include "kpool/system.h"

_Static_assert(sizeof(PS_CREATE_NOTIFY_INFO) == 72, "PS_CREATE_NOTIFY_INFO");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, ParentProcessId) == 16, "ParentProcessId");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, CreatingThreadId) == 24, "CreatingThreadId");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, FileObject) == 40, "FileObject");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, ImageFileName) == 48, "ImageFileName");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, CommandLine) == 56, "CommandLine");
_Static_assert(offsetof(PS_CREATE_NOTIFY_INFO, CreationStatus) == 64, "CreationStatus");
_Static_assert(sizeof(IMAGE_INFO) == 40, "IMAGE_INFO");
_Static_assert(offsetof(IMAGE_INFO, ImageBase) == 8, "ImageBase");
_Static_assert(offsetof(IMAGE_INFO, ImageSize) == 24, "ImageSize");
_Static_assert(offsetof(IMAGE_INFO, ImageSectionNumber) == 32, "ImageSectionNumber");

static kp_system_t *cur(void) { return kp_system_current(); }
#define FN(f) ((void (*)(void))(f))

NTSTATUS NTAPI PsSetCreateProcessNotifyRoutine(PCREATE_PROCESS_NOTIFY_ROUTINE NotifyRoutine,
                                               BOOLEAN Remove) {
  return kp_ps_set_process_notify(cur(), FN(NotifyRoutine), KP_PS_NOTIFY_PLAIN, Remove != 0);
}

NTSTATUS NTAPI PsSetCreateProcessNotifyRoutineEx(PCREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine,
                                                 BOOLEAN Remove) {
  return kp_ps_set_process_notify(cur(), FN(NotifyRoutine), KP_PS_NOTIFY_EX, Remove != 0);
}

NTSTATUS NTAPI PsSetCreateProcessNotifyRoutineEx2(PSCREATEPROCESSNOTIFYTYPE NotifyType,
                                                  PVOID NotifyInformation, BOOLEAN Remove) {
  if (NotifyType != PsCreateProcessNotifySubsystems) return STATUS_INVALID_PARAMETER;
  return kp_ps_set_process_notify(cur(), (void (*)(void))(uintptr_t)NotifyInformation,
                                  KP_PS_NOTIFY_EX, Remove != 0);
}

NTSTATUS NTAPI PsSetCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine) {
  return kp_ps_set_thread_notify(cur(), FN(NotifyRoutine), false);
}

NTSTATUS NTAPI PsSetCreateThreadNotifyRoutineEx(PSCREATETHREADNOTIFYTYPE NotifyType,
                                                PVOID NotifyInformation) {
  if (NotifyType != PsCreateThreadNotifyNonSystem && NotifyType != PsCreateThreadNotifySubsystems)
    return STATUS_INVALID_PARAMETER;
  return kp_ps_set_thread_notify(cur(), (void (*)(void))(uintptr_t)NotifyInformation, false);
}

NTSTATUS NTAPI PsRemoveCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine) {
  return kp_ps_set_thread_notify(cur(), FN(NotifyRoutine), true);
}

NTSTATUS NTAPI PsSetLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine) {
  return kp_ps_set_image_notify(cur(), FN(NotifyRoutine), false);
}

NTSTATUS NTAPI PsSetLoadImageNotifyRoutineEx(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine,
                                             ULONG_PTR Flags) {
  if ((Flags & ~(ULONG_PTR)PS_IMAGE_NOTIFY_CONFLICTING_ARCHITECTURE) != 0)
    return STATUS_INVALID_PARAMETER_2;
  return kp_ps_set_image_notify(cur(), FN(NotifyRoutine), false);
}

NTSTATUS NTAPI PsRemoveLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine) {
  return kp_ps_set_image_notify(cur(), FN(NotifyRoutine), true);
}

HANDLE NTAPI PsGetProcessId(PEPROCESS Process) {
  return (HANDLE)(uintptr_t)kp_ps_process_id((const kp_process_t *)(void *)Process);
}

HANDLE NTAPI PsGetThreadId(PETHREAD Thread) {
  return (HANDLE)(uintptr_t)kp_ps_thread_id((const kp_thread_t *)(void *)Thread);
}

HANDLE NTAPI PsGetThreadProcessId(PETHREAD Thread) {
  return (HANDLE)(uintptr_t)kp_ps_thread_process_id((const kp_thread_t *)(void *)Thread);
}

NTSTATUS NTAPI PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process) {
  return kp_ps_lookup_process(cur(), (uint64_t)(uintptr_t)ProcessId, (kp_process_t **)(void *)Process);
}

NTSTATUS NTAPI PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD *Thread) {
  return kp_ps_lookup_thread(cur(), (uint64_t)(uintptr_t)ThreadId, (kp_thread_t **)(void *)Thread);
}

PCHAR NTAPI PsGetProcessImageFileName(PEPROCESS Process) {
  return kp_ps_process_image_file_name((kp_process_t *)(void *)Process);
}
