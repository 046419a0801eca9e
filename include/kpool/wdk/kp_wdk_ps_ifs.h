/**
 * @file kpool/wdk/kp_wdk_ps_ifs.h
 * @brief WDK face of the <ntifs.h> process lookups (kpool/ps.h):
 *        PsLookupProcessByProcessId, PsLookupThreadByThreadId and the
 *        undocumented PsGetProcessImageFileName.
 *
 * Included by ntifs.h. The objects returned are referenced: drop them with
 * ObDereferenceObject (a reference left at unload is reported).
 * IRQL <= APC_LEVEL.
 */
/* The base header first, outside the guard: it includes this one in its
 * place, so a driver may include this header alone. */
#include "ntddk.h"

#ifndef KPOOL_WDK_KP_WDK_PS_IFS_H
#define KPOOL_WDK_KP_WDK_PS_IFS_H

#ifdef __cplusplus
extern "C" {
#endif

/** STATUS_INVALID_CID for an unknown or exited process. */
NTKERNELAPI NTSTATUS NTAPI PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process);
/** STATUS_INVALID_CID for an unknown or exited thread. */
NTKERNELAPI NTSTATUS NTAPI PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD *Thread);
/** Undocumented: EPROCESS.ImageFileName, 15 characters and a NUL (facts §6.9). */
NTKERNELAPI PCHAR NTAPI PsGetProcessImageFileName(PEPROCESS Process);
/** Not simulated (kpool/unsim.h): a test supplies its own. */
NTKERNELAPI NTSTATUS NTAPI SeLocateProcessImageName(PEPROCESS Process,
                                                    PUNICODE_STRING *pImageFileName);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_PS_IFS_H */
