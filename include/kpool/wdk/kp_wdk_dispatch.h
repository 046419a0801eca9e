/**
 * @file kpool/wdk/kp_wdk_dispatch.h
 * @brief WDK face of the execution surface: KEVENT, KSEMAPHORE, KMUTEX,
 *        KeWaitFor*, KTIMER, KDPC, IO_WORKITEM / WORK_QUEUE_ITEM, system
 *        threads, time, thread/process identity and processor counts.
 *
 * Included by wdm.h near its end; including it directly includes wdm.h
 * first. Every routine is an exported function with the WDK signature
 * acting on the current system (kp_system_current()); the rules, the
 * schedule of callbacks and the bug checks are the core's: read
 * kpool/dispatch.h and kpool/workitem.h.
 *
 * Layouts are the x64 ones (checked below: KEVENT 0x18, KSEMAPHORE 0x20,
 * KMUTEX 0x38, KTIMER 0x40, KDPC 0x40, KWAIT_BLOCK 0x30). kpool keeps each
 * object's real state out of band, keyed by its address; it writes
 * Header.Type and Header.SignalState at initialisation only, as a hint for
 * a debugger-minded reader: read the state with KeReadState*.
 *
 * On x64 the real headers make KeQuerySystemTime, KeQueryTickCount and
 * KeQueryInterruptTime macros that read KUSER_SHARED_DATA at a fixed kernel
 * address; here they are functions over the virtual clock.
 *
 * Shared with the I/O model and the object manager (other headers may
 * declare them too; each block is guarded): PDEVICE_OBJECT is only a
 * forward declaration here; OBJECT_ATTRIBUTES, CLIENT_ID, ACCESS_MASK,
 * POBJECT_TYPE, ObReferenceObjectByHandle, ObfDereferenceObject and ZwClose
 * are declared for thread handles.
 */
#ifndef KPOOL_WDK_KP_WDK_DISPATCH_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_DISPATCH_H
#define KPOOL_WDK_KP_WDK_DISPATCH_H

#include "../dispatch.h"
#include "../workitem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Basic types
 * ========================================================================= */
typedef LONG KPRIORITY;
#ifndef KPOOL_WDK_KPROCESSOR_MODE_DEFINED
#define KPOOL_WDK_KPROCESSOR_MODE_DEFINED
typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode = 0, UserMode = 1, MaximumMode = 2 } MODE;
#endif

/** Why a thread waits (informational; kpool ignores it). */
typedef enum _KWAIT_REASON {
  Executive = 0,
  FreePage = 1,
  PageIn = 2,
  PoolAllocation = 3,
  DelayExecution = 4,
  Suspended = 5,
  UserRequest = 6
} KWAIT_REASON;

typedef enum _EVENT_TYPE {
  NotificationEvent = 0,
  SynchronizationEvent = 1
} EVENT_TYPE;
typedef enum _TIMER_TYPE {
  NotificationTimer = 0,
  SynchronizationTimer = 1
} TIMER_TYPE;
typedef enum _WAIT_TYPE { WaitAll = 0, WaitAny = 1 } WAIT_TYPE;

#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
#define SEMAPHORE_INCREMENT 1
#define THREAD_WAIT_OBJECTS 3
#define MAXIMUM_WAIT_OBJECTS 64
#define ALL_PROCESSOR_GROUPS 0xFFFF

/* Threads, processes, device objects: opaque here. */
typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;
typedef struct _ETHREAD *PETHREAD;
typedef struct _KPROCESS *PKPROCESS, *PRKPROCESS;
typedef struct _EPROCESS *PEPROCESS;
struct _DEVICE_OBJECT;
typedef struct _DEVICE_OBJECT *PDEVICE_OBJECT;

/* Wait statuses. */
#define STATUS_WAIT_0 ((NTSTATUS)0x00000000L)
#define STATUS_WAIT_1 ((NTSTATUS)0x00000001L)
#define STATUS_WAIT_2 ((NTSTATUS)0x00000002L)
#define STATUS_WAIT_3 ((NTSTATUS)0x00000003L)
#define STATUS_WAIT_63 ((NTSTATUS)0x0000003FL)
#define STATUS_ABANDONED ((NTSTATUS)KP_STATUS_ABANDONED)
#define STATUS_ABANDONED_WAIT_0 ((NTSTATUS)KP_STATUS_ABANDONED)
#define STATUS_ABANDONED_WAIT_63 ((NTSTATUS)0x000000BFL)
#define STATUS_USER_APC ((NTSTATUS)KP_STATUS_USER_APC)
#define STATUS_ALERTED ((NTSTATUS)KP_STATUS_ALERTED)
#ifndef STATUS_OBJECT_TYPE_MISMATCH
#define STATUS_OBJECT_TYPE_MISMATCH ((NTSTATUS)KP_STATUS_OBJECT_TYPE_MISMATCH)
#endif
#define STATUS_MUTANT_NOT_OWNED ((NTSTATUS)KP_STATUS_MUTANT_NOT_OWNED)
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED                                        \
  ((NTSTATUS)KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED)
#define STATUS_MUTANT_LIMIT_EXCEEDED ((NTSTATUS)KP_STATUS_MUTANT_LIMIT_EXCEEDED)

/* ===========================================================================
 * Dispatcher objects
 * ========================================================================= */
/** The common head of every waitable object (x64: 0x18 bytes). */
typedef struct _DISPATCHER_HEADER {
  KP_WDK_ANONYMOUS_ union {
    KP_WDK_ANONYMOUS_ struct {
      UCHAR Type;
      UCHAR Signalling;
      UCHAR Size;
      UCHAR Reserved1;
    };
    volatile LONG Lock;
  };
  LONG SignalState;
  LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT {
  DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KSEMAPHORE {
  DISPATCHER_HEADER Header;
  LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

typedef struct _KMUTANT {
  DISPATCHER_HEADER Header;
  LIST_ENTRY MutantListEntry;
  struct _KTHREAD *OwnerThread;
  BOOLEAN Abandoned;
  UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

struct _KDPC;
/** KDEFERRED_ROUTINE: a DPC routine, called at DISPATCH_LEVEL. */
typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext,
                               PVOID SystemArgument1, PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

typedef struct _KDPC {
  KP_WDK_ANONYMOUS_ union {
    ULONG TargetInfoAsUlong;
    KP_WDK_ANONYMOUS_ struct {
      UCHAR Type;
      UCHAR Importance;
      volatile USHORT Number;
    };
  };
  SINGLE_LIST_ENTRY DpcListEntry;
  KAFFINITY ProcessorHistory;
  PKDEFERRED_ROUTINE DeferredRoutine;
  PVOID DeferredContext;
  PVOID SystemArgument1;
  PVOID SystemArgument2;
  volatile PVOID DpcData;
} KDPC, *PKDPC, *PRKDPC;

typedef struct _KTIMER {
  DISPATCHER_HEADER Header;
  ULARGE_INTEGER DueTime;
  LIST_ENTRY TimerListEntry;
  struct _KDPC *Dpc;
  ULONG Processor;
  LONG Period;
} KTIMER, *PKTIMER, *PRKTIMER;

typedef struct _KWAIT_BLOCK {
  LIST_ENTRY WaitListEntry;
  UCHAR WaitType;
  volatile UCHAR BlockState;
  USHORT WaitKey;
  LONG SpareLong;
  PVOID Thread;
  PVOID Object;
  PVOID SparePtr;
} KWAIT_BLOCK, *PKWAIT_BLOCK, *PRKWAIT_BLOCK;

C_ASSERT(sizeof(DISPATCHER_HEADER) == 0x18);
C_ASSERT(sizeof(KEVENT) == 0x18);
C_ASSERT(sizeof(KSEMAPHORE) == 0x20);
C_ASSERT(sizeof(KMUTEX) == 0x38);
C_ASSERT(sizeof(KTIMER) == 0x40);
C_ASSERT(sizeof(KDPC) == 0x40);
C_ASSERT(sizeof(KWAIT_BLOCK) == 0x30);

/* ===========================================================================
 * Events, semaphores, mutexes (kpool/dispatch.h)
 * ========================================================================= */
/** KeInitializeEvent: @p State TRUE = signalled. */
NTKERNELAPI VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type,
                                         BOOLEAN State);
/** KeSetEvent: returns the previous state. 0xC4/0x80 above DISPATCH_LEVEL. */
NTKERNELAPI LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment,
                                  BOOLEAN Wait);
/** KeResetEvent: returns the previous state. */
NTKERNELAPI LONG NTAPI KeResetEvent(PRKEVENT Event);
/** KeClearEvent: not signalled. */
NTKERNELAPI VOID NTAPI KeClearEvent(PRKEVENT Event);
/** KeReadStateEvent: non-zero when signalled. */
NTKERNELAPI LONG NTAPI KeReadStateEvent(PRKEVENT Event);

/** KeInitializeSemaphore: @p Count 0..@p Limit. */
NTKERNELAPI VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count,
                                             LONG Limit);
/** KeReleaseSemaphore: previous count; raises
 *  STATUS_SEMAPHORE_LIMIT_EXCEEDED past the limit. */
NTKERNELAPI LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore,
                                          KPRIORITY Increment, LONG Adjustment,
                                          BOOLEAN Wait);
/** KeReadStateSemaphore: the current count. */
NTKERNELAPI LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

/** KeInitializeMutex: unowned. @p Level is reserved. */
NTKERNELAPI VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level);
/** KeReleaseMutex: 0 once released for the last time; raises
 *  STATUS_MUTANT_NOT_OWNED for a thread that does not own it. */
NTKERNELAPI LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait);
/** KeReadStateMutex: 1 when unowned. */
NTKERNELAPI LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex);

/* ===========================================================================
 * Waits
 * ========================================================================= */
/** KeWaitForSingleObject: STATUS_SUCCESS, STATUS_ABANDONED_WAIT_0,
 *  STATUS_TIMEOUT. @p Timeout NULL = forever, 0 = poll, < 0 relative,
 *  > 0 absolute (100 ns). Bug checks: kpool/dispatch.h. */
NTKERNELAPI NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object,
                                                 KWAIT_REASON WaitReason,
                                                 KPROCESSOR_MODE WaitMode,
                                                 BOOLEAN Alertable,
                                                 PLARGE_INTEGER Timeout);
/** KeWaitForMultipleObjects: STATUS_WAIT_0 + n, STATUS_ABANDONED_WAIT_0 +
 *  n, STATUS_TIMEOUT. More than THREAD_WAIT_OBJECTS objects need
 *  @p WaitBlockArray; more than MAXIMUM_WAIT_OBJECTS is bug check 0xC. */
NTKERNELAPI NTSTATUS NTAPI KeWaitForMultipleObjects(
    ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
    KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
    PKWAIT_BLOCK WaitBlockArray);
/** KeWaitForMutexObject: KeWaitForSingleObject. */
#define KeWaitForMutexObject KeWaitForSingleObject
/** KeDelayExecutionThread: STATUS_SUCCESS once the virtual clock passed
 *  @p Interval (< 0 relative, > 0 absolute; 0 yields). */
NTKERNELAPI NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode,
                                                  BOOLEAN Alertable,
                                                  PLARGE_INTEGER Interval);

/* ===========================================================================
 * Timers and DPCs
 * ========================================================================= */
/** KeInitializeTimer: a notification timer. */
NTKERNELAPI VOID NTAPI KeInitializeTimer(PKTIMER Timer);
/** KeInitializeTimerEx. */
NTKERNELAPI VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
/** KeSetTimer: one-shot; TRUE when it was already set. */
NTKERNELAPI BOOLEAN NTAPI KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime,
                                     PKDPC Dpc);
/** KeSetTimerEx: @p Period in milliseconds (0 = one-shot). */
NTKERNELAPI BOOLEAN NTAPI KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime,
                                       LONG Period, PKDPC Dpc);
/** KeCancelTimer: TRUE when it was set. */
NTKERNELAPI BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer);
/** KeReadStateTimer: TRUE when signalled. */
NTKERNELAPI BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer);

/** KeInitializeDpc. */
NTKERNELAPI VOID NTAPI KeInitializeDpc(PRKDPC Dpc,
                                       PKDEFERRED_ROUTINE DeferredRoutine,
                                       PVOID DeferredContext);
/** KeInitializeThreadedDpc: runs at DISPATCH_LEVEL here. */
NTKERNELAPI VOID NTAPI KeInitializeThreadedDpc(
    PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext);
/** KeInsertQueueDpc: FALSE when already queued. Runs at the next drain
 *  (kp_clock_advance, kp_dpc_drain, KeFlushQueuedDpcs). */
NTKERNELAPI BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1,
                                           PVOID SystemArgument2);
/** KeRemoveQueueDpc: TRUE when it was queued. */
NTKERNELAPI BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc);
/** KeFlushQueuedDpcs: runs every queued DPC, waits for running ones. */
NTKERNELAPI VOID NTAPI KeFlushQueuedDpcs(VOID);

/* ===========================================================================
 * Work items (kpool/workitem.h)
 * ========================================================================= */
typedef enum _WORK_QUEUE_TYPE {
  CriticalWorkQueue = 0,
  DelayedWorkQueue = 1,
  HyperCriticalWorkQueue = 2,
  NormalWorkQueue = 3,
  BackgroundWorkQueue = 4,
  RealTimeWorkQueue = 5,
  SuperCriticalWorkQueue = 6,
  MaximumWorkQueue = 7,
  CustomPriorityWorkQueue = 32
} WORK_QUEUE_TYPE;

typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;
typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE *PIO_WORKITEM_ROUTINE;
typedef VOID IO_WORKITEM_ROUTINE_EX(PVOID IoObject, PVOID Context,
                                    PIO_WORKITEM IoWorkItem);
typedef IO_WORKITEM_ROUTINE_EX *PIO_WORKITEM_ROUTINE_EX;

/** IoAllocateWorkItem: NULL for a NULL device object. */
NTKERNELAPI PIO_WORKITEM NTAPI IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
/** IoFreeWorkItem: 0xE4/2 while queued; allowed inside its routine. */
NTKERNELAPI VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem);
/** IoQueueWorkItem: drivers pass DelayedWorkQueue. 0xE4/1 if queued. */
NTKERNELAPI VOID NTAPI IoQueueWorkItem(PIO_WORKITEM IoWorkItem,
                                       PIO_WORKITEM_ROUTINE WorkerRoutine,
                                       WORK_QUEUE_TYPE QueueType,
                                       PVOID Context);
/** IoQueueWorkItemEx. */
NTKERNELAPI VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem,
                                         PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                         WORK_QUEUE_TYPE QueueType,
                                         PVOID Context);
/** IoSizeofWorkItem: KP_WORKITEM_SIZE. */
NTKERNELAPI ULONG NTAPI IoSizeofWorkItem(VOID);
/** IoInitializeWorkItem: @p IoWorkItem is IoSizeofWorkItem() bytes of
 *  non-paged storage. */
NTKERNELAPI VOID NTAPI IoInitializeWorkItem(PVOID IoObject,
                                            PIO_WORKITEM IoWorkItem);
/** IoUninitializeWorkItem. */
NTKERNELAPI VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem);

typedef VOID WORKER_THREAD_ROUTINE(PVOID Parameter);
typedef WORKER_THREAD_ROUTINE *PWORKER_THREAD_ROUTINE;
/** WORK_QUEUE_ITEM: the deprecated ExQueueWorkItem's item. */
typedef struct _WORK_QUEUE_ITEM {
  LIST_ENTRY List;
  PWORKER_THREAD_ROUTINE WorkerRoutine;
  volatile PVOID Parameter;
} WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;

/** ExInitializeWorkItem (deprecated: use IoAllocateWorkItem). */
static inline VOID ExInitializeWorkItem(PWORK_QUEUE_ITEM Item,
                                        PWORKER_THREAD_ROUTINE Routine,
                                        PVOID Context) {
  Item->WorkerRoutine = Routine;
  Item->Parameter = Context;
  Item->List.Flink = NULL;
}
/** ExQueueWorkItem (deprecated: use IoQueueWorkItem). */
NTKERNELAPI VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem,
                                       WORK_QUEUE_TYPE QueueType);

/* ===========================================================================
 * System threads, handles and objects
 * ========================================================================= */
#ifndef KP_WDK_ACCESS_MASK_DEFINED
#define KP_WDK_ACCESS_MASK_DEFINED
typedef ULONG ACCESS_MASK, *PACCESS_MASK;
#endif
#ifndef SYNCHRONIZE
#define SYNCHRONIZE 0x00100000L
#endif
#ifndef THREAD_ALL_ACCESS
#define THREAD_ALL_ACCESS 0x001FFFFFL
#endif
#ifndef OBJ_KERNEL_HANDLE
#define OBJ_KERNEL_HANDLE 0x00000200L
#endif

#ifndef KP_WDK_CLIENT_ID_DEFINED
#define KP_WDK_CLIENT_ID_DEFINED
typedef struct _CLIENT_ID {
  HANDLE UniqueProcess;
  HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;
#endif

#ifndef KP_WDK_OBJECT_ATTRIBUTES_DEFINED
#define KP_WDK_OBJECT_ATTRIBUTES_DEFINED
typedef struct _OBJECT_ATTRIBUTES {
  ULONG Length;
  HANDLE RootDirectory;
  PUNICODE_STRING ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
#define InitializeObjectAttributes(p, n, a, r, s)                              \
  do {                                                                         \
    (p)->Length = sizeof(OBJECT_ATTRIBUTES);                                   \
    (p)->RootDirectory = (r);                                                  \
    (p)->Attributes = (a);                                                     \
    (p)->ObjectName = (n);                                                     \
    (p)->SecurityDescriptor = (s);                                             \
    (p)->SecurityQualityOfService = NULL;                                      \
  } while (0)
#endif

#ifndef KP_WDK_OBJECT_TYPE_DEFINED
#define KP_WDK_OBJECT_TYPE_DEFINED
typedef struct _OBJECT_TYPE *POBJECT_TYPE;
typedef struct _OBJECT_HANDLE_INFORMATION *POBJECT_HANDLE_INFORMATION;
#endif
/** The thread object type (pass *PsThreadType to ObReferenceObjectByHandle). */
extern KP_API POBJECT_TYPE *PsThreadType;

/** KSTART_ROUTINE: a system thread's entry, at PASSIVE_LEVEL. */
typedef VOID KSTART_ROUTINE(PVOID StartContext);
typedef KSTART_ROUTINE *PKSTART_ROUTINE;

/** PsCreateSystemThread: the thread belongs to the System process whatever
 *  @p ProcessHandle says; @p ClientId (optional) gets the process and
 *  thread ids. STATUS_SUCCESS, STATUS_INVALID_PARAMETER (NULL handle
 *  pointer or routine), STATUS_INSUFFICIENT_RESOURCES. */
NTKERNELAPI NTSTATUS NTAPI PsCreateSystemThread(
    PHANDLE ThreadHandle, ULONG DesiredAccess,
    POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
    PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID StartContext);
/** PsTerminateSystemThread: does not return in a system thread;
 *  STATUS_INVALID_PARAMETER elsewhere. */
NTKERNELAPI NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus);

#ifndef KP_WDK_OB_HANDLE_ROUTINES_DECLARED
#define KP_WDK_OB_HANDLE_ROUTINES_DECLARED
/** ObReferenceObjectByHandle for system-thread handles: the thread object,
 *  referenced. STATUS_INVALID_HANDLE; STATUS_OBJECT_TYPE_MISMATCH when
 *  @p ObjectType is given and is not *PsThreadType. */
NTKERNELAPI NTSTATUS NTAPI ObReferenceObjectByHandle(
    HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
    KPROCESSOR_MODE AccessMode, PVOID *Object,
    POBJECT_HANDLE_INFORMATION HandleInformation);
/** ObfDereferenceObject: drops a reference (0x18 when none is left). */
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object);
#define ObDereferenceObject(o) ObfDereferenceObject(o)
/** ZwClose: STATUS_SUCCESS or STATUS_INVALID_HANDLE. */
NTSYSAPI NTSTATUS NTAPI ZwClose(HANDLE Handle);
#endif

/* ===========================================================================
 * Identity
 * ========================================================================= */
/** KeGetCurrentThread / PsGetCurrentThread: the calling thread's object. */
NTKERNELAPI PKTHREAD NTAPI KeGetCurrentThread(VOID);
NTKERNELAPI PETHREAD NTAPI PsGetCurrentThread(VOID);
/** PsGetCurrentThreadId / PsGetCurrentProcessId (System: 4). */
NTKERNELAPI HANDLE NTAPI PsGetCurrentThreadId(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentProcessId(VOID);
/** IoGetCurrentProcess: the System process (PsGetCurrentProcess). */
NTKERNELAPI PEPROCESS NTAPI IoGetCurrentProcess(VOID);
#define PsGetCurrentProcess IoGetCurrentProcess

/* ===========================================================================
 * Processors
 * ========================================================================= */
/** KeQueryActiveProcessorCount: processors of group 0; @p ActiveProcessors
 *  (optional) gets their mask. */
NTKERNELAPI ULONG NTAPI
KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);
/** KeQueryActiveProcessorCountEx: 0 for a group that does not exist;
 *  ALL_PROCESSOR_GROUPS counts all. */
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCountEx(USHORT GroupNumber);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCount(VOID);
NTKERNELAPI ULONG NTAPI KeQueryMaximumProcessorCountEx(USHORT GroupNumber);
/** KeNumberProcessors: the active processor count of group 0. */
#define KeNumberProcessors ((CCHAR)KeQueryActiveProcessorCount(NULL))

/* ===========================================================================
 * Time (virtual clock)
 * ========================================================================= */
/** KeQuerySystemTime: 100 ns since 1601-01-01 UTC. */
NTKERNELAPI VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
/** KeQueryInterruptTime: 100 ns since boot. */
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTime(VOID);
/** KeQueryInterruptTimePrecise: also the performance counter value. */
NTKERNELAPI ULONG64 NTAPI KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp);
/** KeQueryUnbiasedInterruptTime: equal to the interrupt time (no sleep). */
NTKERNELAPI ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID);
/** KeQueryTickCount: interrupt time / KeQueryTimeIncrement(). */
NTKERNELAPI VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount);
/** KeQueryTimeIncrement: 100 ns per tick (kp_config_t.time_increment). */
NTKERNELAPI ULONG NTAPI KeQueryTimeIncrement(VOID);
/** KeQueryPerformanceCounter: 10 MHz, counting the interrupt time. */
NTKERNELAPI LARGE_INTEGER NTAPI
KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);

/* ===========================================================================
 * Call-site twins and macros: as for the allocation names in wdm.h, these
 * routines record the caller's file and line for kpool's reports (timers
 * and DPCs left at unload, wait and work item misuse) unless
 * KPOOL_NO_CALL_SITES is defined. The macros are function-like, so the
 * names without a following '(' still denote the exported functions.
 * ========================================================================= */
KP_API LONG kp_wdk_KeSetEvent_at(PRKEVENT Event, KPRIORITY Increment,
                                 BOOLEAN Wait, const char *File, int Line);
KP_API NTSTATUS kp_wdk_KeWaitForSingleObject_at(
    PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
    BOOLEAN Alertable, PLARGE_INTEGER Timeout, const char *File, int Line);
KP_API NTSTATUS kp_wdk_KeWaitForMultipleObjects_at(
    ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
    KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
    PKWAIT_BLOCK WaitBlockArray, const char *File, int Line);
KP_API NTSTATUS kp_wdk_KeDelayExecutionThread_at(KPROCESSOR_MODE WaitMode,
                                                 BOOLEAN Alertable,
                                                 PLARGE_INTEGER Interval,
                                                 const char *File, int Line);
KP_API BOOLEAN kp_wdk_KeSetTimer_at(PKTIMER Timer, LARGE_INTEGER DueTime,
                                    PKDPC Dpc, const char *File, int Line);
KP_API BOOLEAN kp_wdk_KeSetTimerEx_at(PKTIMER Timer, LARGE_INTEGER DueTime,
                                      LONG Period, PKDPC Dpc, const char *File,
                                      int Line);
KP_API BOOLEAN kp_wdk_KeInsertQueueDpc_at(PRKDPC Dpc, PVOID SystemArgument1,
                                          PVOID SystemArgument2,
                                          const char *File, int Line);
KP_API PIO_WORKITEM kp_wdk_IoAllocateWorkItem_at(PDEVICE_OBJECT DeviceObject,
                                                 const char *File, int Line);
KP_API VOID kp_wdk_IoQueueWorkItem_at(PIO_WORKITEM IoWorkItem,
                                      PIO_WORKITEM_ROUTINE WorkerRoutine,
                                      WORK_QUEUE_TYPE QueueType, PVOID Context,
                                      const char *File, int Line);
KP_API VOID kp_wdk_IoQueueWorkItemEx_at(PIO_WORKITEM IoWorkItem,
                                        PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                        WORK_QUEUE_TYPE QueueType,
                                        PVOID Context, const char *File,
                                        int Line);
KP_API NTSTATUS kp_wdk_PsCreateSystemThread_at(
    PHANDLE ThreadHandle, ULONG DesiredAccess,
    POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
    PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID StartContext,
    const char *File, int Line);

#if !defined(KPOOL_NO_CALL_SITES)
#define KeSetEvent(Event, Increment, Wait)                                     \
  kp_wdk_KeSetEvent_at((Event), (Increment), (Wait), __FILE__, __LINE__)
#define KeWaitForSingleObject(Object, WaitReason, WaitMode, Alertable,         \
                              Timeout)                                         \
  kp_wdk_KeWaitForSingleObject_at((Object), (WaitReason), (WaitMode),          \
                                  (Alertable), (Timeout), __FILE__, __LINE__)
#define KeWaitForMultipleObjects(Count, Object, WaitType, WaitReason,          \
                                 WaitMode, Alertable, Timeout, WaitBlockArray) \
  kp_wdk_KeWaitForMultipleObjects_at(                                          \
      (Count), (Object), (WaitType), (WaitReason), (WaitMode), (Alertable),    \
      (Timeout), (WaitBlockArray), __FILE__, __LINE__)
#define KeDelayExecutionThread(WaitMode, Alertable, Interval)                  \
  kp_wdk_KeDelayExecutionThread_at((WaitMode), (Alertable), (Interval),        \
                                   __FILE__, __LINE__)
#define KeSetTimer(Timer, DueTime, Dpc)                                        \
  kp_wdk_KeSetTimer_at((Timer), (DueTime), (Dpc), __FILE__, __LINE__)
#define KeSetTimerEx(Timer, DueTime, Period, Dpc)                              \
  kp_wdk_KeSetTimerEx_at((Timer), (DueTime), (Period), (Dpc), __FILE__,        \
                         __LINE__)
#define KeInsertQueueDpc(Dpc, SystemArgument1, SystemArgument2)                \
  kp_wdk_KeInsertQueueDpc_at((Dpc), (SystemArgument1), (SystemArgument2),      \
                             __FILE__, __LINE__)
#define IoAllocateWorkItem(DeviceObject)                                       \
  kp_wdk_IoAllocateWorkItem_at((DeviceObject), __FILE__, __LINE__)
#define IoQueueWorkItem(IoWorkItem, WorkerRoutine, QueueType, Context)         \
  kp_wdk_IoQueueWorkItem_at((IoWorkItem), (WorkerRoutine), (QueueType),        \
                            (Context), __FILE__, __LINE__)
#define IoQueueWorkItemEx(IoWorkItem, WorkerRoutine, QueueType, Context)       \
  kp_wdk_IoQueueWorkItemEx_at((IoWorkItem), (WorkerRoutine), (QueueType),      \
                              (Context), __FILE__, __LINE__)
#define PsCreateSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes,    \
                             ProcessHandle, ClientId, StartRoutine,            \
                             StartContext)                                     \
  kp_wdk_PsCreateSystemThread_at(                                              \
      (ThreadHandle), (DesiredAccess), (ObjectAttributes), (ProcessHandle),    \
      (ClientId), (StartRoutine), (StartContext), __FILE__, __LINE__)
#endif /* !KPOOL_NO_CALL_SITES */

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_DISPATCH_H */
