/**
 * @file kpool/ps.h
 * @brief Simulated processes, threads and image loads, and the
 *        notification callbacks drivers register for them (facts §6.1-6.4,
 *        §6.7-6.9).
 *
 * A test starts and ends processes (image name, command line, parent),
 * threads and image loads with the kp_ps_* calls; every callback the
 * driver registered runs at PASSIVE_LEVEL in the calling thread, in
 * registration order, with the documented arguments. A process-notify Ex
 * callback that sets CreationStatus to an error vetoes the creation:
 * kp_ps_process_create returns that status (the exit notification still
 * follows, so per-process state the driver made is released; kpool's
 * choice, UNVERIFIED).
 *
 * @par Registration rules
 * - Process routines: one table of 64 shared by the plain, Ex and Ex2
 *   forms. Registering a routine twice, or a 65th, is
 *   STATUS_INVALID_PARAMETER; removing one that is not registered is
 *   STATUS_PROCEDURE_NOT_FOUND. The Ex/Ex2 forms return
 *   STATUS_ACCESS_DENIED when the driver image lacks the force-integrity
 *   flag (/INTEGRITYCHECK): kp_ps_set_force_integrity(sys, false) makes the
 *   simulated image lack it (default: present).
 * - Thread and image routines: 64 each; a full table is
 *   STATUS_INSUFFICIENT_RESOURCES; removal of an unknown routine is
 *   STATUS_PROCEDURE_NOT_FOUND.
 *
 * @par At unload
 * A routine still registered would be called in unloaded code: with the
 * verifier's automatic checks, bug check 0xCE, P1 = the routine, P2 = 0,
 * P3 = the routine, P4 = 0 (facts §6.8); otherwise a report. References
 * to processes or threads a driver took (PsLookup*) and did not drop are
 * reported too.
 *
 * Thread-safe; the tables' lock is never held while a callback runs.
 */
#ifndef KPOOL_PS_H
#define KPOOL_PS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_STATUS_INVALID_CID ((kp_status_t)0xC000000Bu)
#define KP_STATUS_PROCEDURE_NOT_FOUND ((kp_status_t)0xC000007Au)

/** Kinds of process routines (their signatures differ). */
#define KP_PS_NOTIFY_PLAIN 0u /**< (ParentId, ProcessId, Create) */
#define KP_PS_NOTIFY_EX 1u    /**< (Process, ProcessId, CreateInfo) */

typedef struct kp_process kp_process_t;
typedef struct kp_thread kp_thread_t;

/** PsSetCreateProcessNotifyRoutine(Ex, Ex2): see the file comment. */
KP_API kp_status_t kp_ps_set_process_notify(kp_system_t *sys, void (*routine)(void),
                                            uint32_t kind, bool remove);
/** PsSetCreateThreadNotifyRoutine(Ex) / PsRemoveCreateThreadNotifyRoutine. */
KP_API kp_status_t kp_ps_set_thread_notify(kp_system_t *sys, void (*routine)(void),
                                           bool remove);
/** PsSetLoadImageNotifyRoutine(Ex) / PsRemoveLoadImageNotifyRoutine. */
KP_API kp_status_t kp_ps_set_image_notify(kp_system_t *sys, void (*routine)(void),
                                          bool remove);
/** Whether the simulated driver image has the force-integrity flag. */
KP_API void kp_ps_set_force_integrity(kp_system_t *sys, bool present);

/**
 * Starts a process: @p image (ASCII full path, e.g.
 * "\\??\\C:\\Windows\\notepad.exe"), @p command_line (may be NULL),
 * parent @p parent_pid (0: none). The first thread's creation is not
 * announced separately. Returns STATUS_SUCCESS with *@p pid, or the
 * status a callback put in CreationStatus.
 */
KP_API kp_status_t kp_ps_process_create(kp_system_t *sys, uint64_t parent_pid,
                                        const char *image, const char *command_line,
                                        uint64_t *pid);
/** Ends process @p pid (exit notifications); STATUS_INVALID_CID if unknown. */
KP_API kp_status_t kp_ps_process_exit(kp_system_t *sys, uint64_t pid);
/** Starts / ends a thread of process @p pid. */
KP_API kp_status_t kp_ps_thread_create(kp_system_t *sys, uint64_t pid, uint64_t *tid);
KP_API kp_status_t kp_ps_thread_exit(kp_system_t *sys, uint64_t tid);
/** Maps image @p name (ASCII) into @p pid (0 = a driver image). */
KP_API kp_status_t kp_ps_image_load(kp_system_t *sys, uint64_t pid, const char *name,
                                    uintptr_t base, size_t size);

/** PsLookupProcessByProcessId / PsLookupThreadByThreadId: a referenced
 *  object, or STATUS_INVALID_CID. Exited processes are not found. */
KP_API kp_status_t kp_ps_lookup_process(kp_system_t *sys, uint64_t pid, kp_process_t **out);
KP_API kp_status_t kp_ps_lookup_thread(kp_system_t *sys, uint64_t tid, kp_thread_t **out);
/** PsGetProcessId / PsGetThreadId / PsGetThreadProcessId. */
KP_API uint64_t kp_ps_process_id(const kp_process_t *process);
KP_API uint64_t kp_ps_thread_id(const kp_thread_t *thread);
KP_API uint64_t kp_ps_thread_process_id(const kp_thread_t *thread);
/** The 15-character image file name (PsGetProcessImageFileName). */
KP_API char *kp_ps_process_image_file_name(kp_process_t *process);

/** 1 when @p object is a simulated process, 2 a thread, 0 neither. */
KP_API int kp_ps_object_kind(kp_system_t *sys, const void *object);

/** ObReferenceObject / ObDereferenceObject on processes and threads:
 *  false when @p object is none of them. A dereference below zero raises
 *  0xC4/0x3F (verifier) or 0x18. */
KP_API bool kp_ps_object_reference(kp_system_t *sys, void *object, int delta);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_PS_H */
