/**
 * @file kpool/wdk/kp_wdk_ps.h
 * @brief WDK face of the <ntddk.h> process, thread and image notifications
 *        (kpool/ps.h): PS_CREATE_NOTIFY_INFO, IMAGE_INFO, CLIENT_ID, the
 *        PsSet.../PsRemove... routines, PsGetProcessId and friends.
 *
 * Included by ntddk.h. Layouts (x64): PS_CREATE_NOTIFY_INFO 72 bytes,
 * IMAGE_INFO 40, CLIENT_ID 16 (facts §6.2, §6.4). The callbacks run at
 * PASSIVE_LEVEL in the thread of the test's kp_ps_* call.
 */
/* The base header first, outside the guard: it includes this one in its
 * place, so a driver may include this header alone. */
#include "wdm.h"

#ifndef KPOOL_WDK_KP_WDK_PS_H
#define KPOOL_WDK_KP_WDK_PS_H

#ifdef __cplusplus
extern "C" {
#endif

/** CLIENT_ID: a process and a thread ID (shared with the dispatcher). */
#ifndef KP_WDK_CLIENT_ID_DEFINED
#define KP_WDK_CLIENT_ID_DEFINED
typedef struct _CLIENT_ID {
  HANDLE UniqueProcess;
  HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;
#endif

/** PS_CREATE_NOTIFY_INFO (72 bytes): what an Ex routine gets on create. */
typedef struct _PS_CREATE_NOTIFY_INFO {
  SIZE_T Size;
  KP_WDK_ANONYMOUS_ union {
    ULONG Flags;
    KP_WDK_ANONYMOUS_ struct {
      ULONG FileOpenNameAvailable : 1;
      ULONG IsSubsystemProcess : 1;
      ULONG Reserved : 30;
    };
  };
  HANDLE ParentProcessId;
  CLIENT_ID CreatingThreadId;
  struct _FILE_OBJECT *FileObject;
  PCUNICODE_STRING ImageFileName;
  PCUNICODE_STRING CommandLine;
  NTSTATUS CreationStatus;
} PS_CREATE_NOTIFY_INFO, *PPS_CREATE_NOTIFY_INFO;

typedef VOID (*PCREATE_PROCESS_NOTIFY_ROUTINE)(HANDLE ParentId, HANDLE ProcessId,
                                               BOOLEAN Create);
typedef VOID (*PCREATE_PROCESS_NOTIFY_ROUTINE_EX)(PEPROCESS Process, HANDLE ProcessId,
                                                  PPS_CREATE_NOTIFY_INFO CreateInfo);
typedef VOID (*PCREATE_THREAD_NOTIFY_ROUTINE)(HANDLE ProcessId, HANDLE ThreadId,
                                              BOOLEAN Create);

/** IMAGE_INFO (40 bytes). */
typedef struct _IMAGE_INFO {
  KP_WDK_ANONYMOUS_ union {
    ULONG Properties;
    KP_WDK_ANONYMOUS_ struct {
      ULONG ImageAddressingMode : 8;
      ULONG SystemModeImage : 1;
      ULONG ImageMappedToAllPids : 1;
      ULONG ExtendedInfoPresent : 1;
      ULONG MachineTypeMismatch : 1;
      ULONG ImageSignatureLevel : 4;
      ULONG ImageSignatureType : 3;
      ULONG ImagePartialMap : 1;
      ULONG Reserved : 12;
    };
  };
  PVOID ImageBase;
  ULONG ImageSelector;
  SIZE_T ImageSize;
  ULONG ImageSectionNumber;
} IMAGE_INFO, *PIMAGE_INFO;
#define IMAGE_ADDRESSING_MODE_32BIT 3

typedef VOID (*PLOAD_IMAGE_NOTIFY_ROUTINE)(PUNICODE_STRING FullImageName, HANDLE ProcessId,
                                           PIMAGE_INFO ImageInfo);

typedef enum _PSCREATEPROCESSNOTIFYTYPE {
  PsCreateProcessNotifySubsystems = 0
} PSCREATEPROCESSNOTIFYTYPE;
typedef enum _PSCREATETHREADNOTIFYTYPE {
  PsCreateThreadNotifyNonSystem = 0,
  PsCreateThreadNotifySubsystems = 1
} PSCREATETHREADNOTIFYTYPE;
#define PS_IMAGE_NOTIFY_CONFLICTING_ARCHITECTURE 0x1

/** kp_ps_set_process_notify (plain / Ex / Ex2; Ex2's NotifyType must be
 *  PsCreateProcessNotifySubsystems, else STATUS_INVALID_PARAMETER). */
NTKERNELAPI NTSTATUS NTAPI PsSetCreateProcessNotifyRoutine(
    PCREATE_PROCESS_NOTIFY_ROUTINE NotifyRoutine, BOOLEAN Remove);
NTKERNELAPI NTSTATUS NTAPI PsSetCreateProcessNotifyRoutineEx(
    PCREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine, BOOLEAN Remove);
NTKERNELAPI NTSTATUS NTAPI PsSetCreateProcessNotifyRoutineEx2(PSCREATEPROCESSNOTIFYTYPE NotifyType,
                                                              PVOID NotifyInformation,
                                                              BOOLEAN Remove);
/** kp_ps_set_thread_notify (Ex: NotifyType 0 or 1, else STATUS_INVALID_PARAMETER). */
NTKERNELAPI NTSTATUS NTAPI PsSetCreateThreadNotifyRoutine(
    PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine);
NTKERNELAPI NTSTATUS NTAPI PsSetCreateThreadNotifyRoutineEx(PSCREATETHREADNOTIFYTYPE NotifyType,
                                                            PVOID NotifyInformation);
NTKERNELAPI NTSTATUS NTAPI PsRemoveCreateThreadNotifyRoutine(
    PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine);
/** kp_ps_set_image_notify (Ex: Flags beyond 0x1 are STATUS_INVALID_PARAMETER_2). */
NTKERNELAPI NTSTATUS NTAPI PsSetLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine);
NTKERNELAPI NTSTATUS NTAPI PsSetLoadImageNotifyRoutineEx(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine,
                                                         ULONG_PTR Flags);
NTKERNELAPI NTSTATUS NTAPI PsRemoveLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine);
/** PsGetProcessId / PsGetThreadId / PsGetThreadProcessId. */
NTKERNELAPI HANDLE NTAPI PsGetProcessId(PEPROCESS Process);
NTKERNELAPI HANDLE NTAPI PsGetThreadId(PETHREAD Thread);
NTKERNELAPI HANDLE NTAPI PsGetThreadProcessId(PETHREAD Thread);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_PS_H */
