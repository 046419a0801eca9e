/*
 * wdk_dispatch.c — the WDK execution-surface names over kpool/dispatch.h
 * and kpool/workitem.h: dispatcher objects, waits, timers, DPCs, work
 * items, system threads, identity, processors and time. No logic: type
 * conversions and the current system only.
 */
#include "kpool/wdk/ntddk.h"

#include "kpool/dispatch.h"
#include "kpool/system.h"
#include "kpool/workitem.h"

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif
#define WDK_SITE() kp_site(NULL, 0, WDK_CALLER())

static kp_system_t *cur(void) { return kp_system_current(); }

// The hint fields of DISPATCHER_HEADER (kpool keeps the real state out of
// band). Type values: event 0/1, mutant 2, semaphore 5, timer 8/9.
static void header_hint(DISPATCHER_HEADER *h, UCHAR type, UCHAR size,
                        LONG state) {
  if (h == NULL) return;
  h->Lock = 0;
  h->Type = type;
  h->Size = size;
  h->SignalState = state;
  h->WaitListHead.Flink = &h->WaitListHead;
  h->WaitListHead.Blink = &h->WaitListHead;
}

/* The routines with call-site twins are defined below as NAME_site (with
 * the site), then as the exported NAME (the caller's address) and
 * kp_wdk_NAME_at (file and line); the parenthesised names keep the
 * function-like macros of the header from expanding. */

/* ---------------------------------------------------------------------------
 * Events, semaphores, mutexes.
 * ------------------------------------------------------------------------- */
VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State) {
  kp_event_init(cur(), Event, (kp_event_type_t)Type, State != FALSE,
                WDK_SITE());
  if (Event != NULL)
    header_hint(&Event->Header, (UCHAR)Type, sizeof(KEVENT) / 4, State ? 1 : 0);
}

static LONG KeSetEvent_site(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait,
                            kp_site_t site) {
  return kp_event_set(cur(), Event, Increment, Wait != FALSE, site);
}

LONG NTAPI KeResetEvent(PRKEVENT Event) {
  return kp_event_reset(cur(), Event, WDK_SITE());
}

VOID NTAPI KeClearEvent(PRKEVENT Event) {
  (void)kp_event_reset(cur(), Event, WDK_SITE());
}

LONG NTAPI KeReadStateEvent(PRKEVENT Event) {
  return kp_event_read(cur(), Event, WDK_SITE());
}

VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count,
                                 LONG Limit) {
  kp_semaphore_init(cur(), Semaphore, Count, Limit, WDK_SITE());
  if (Semaphore != NULL && Limit > 0 && Count >= 0 && Count <= Limit) {
    header_hint(&Semaphore->Header, 5, sizeof(KSEMAPHORE) / 4, Count);
    Semaphore->Limit = Limit;
  }
}

LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment,
                              LONG Adjustment, BOOLEAN Wait) {
  return kp_semaphore_release(cur(), Semaphore, Increment, Adjustment,
                              Wait != FALSE, WDK_SITE());
}

LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore) {
  return kp_semaphore_read(cur(), Semaphore, WDK_SITE());
}

VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level) {
  kp_mutex_init(cur(), Mutex, Level, WDK_SITE());
  if (Mutex != NULL) {
    header_hint(&Mutex->Header, 2, sizeof(KMUTEX) / 4, 1);
    Mutex->MutantListEntry.Flink = Mutex->MutantListEntry.Blink = NULL;
    Mutex->OwnerThread = NULL;
    Mutex->Abandoned = FALSE;
    Mutex->ApcDisable = 1;
  }
}

LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait) {
  return kp_mutex_release(cur(), Mutex, Wait != FALSE, WDK_SITE());
}

LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex) {
  return kp_mutex_read(cur(), Mutex, WDK_SITE());
}

/* ---------------------------------------------------------------------------
 * Waits.
 * ------------------------------------------------------------------------- */
static NTSTATUS
KeWaitForSingleObject_site(PVOID Object, KWAIT_REASON WaitReason,
                           KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                           PLARGE_INTEGER Timeout, kp_site_t site) {
  (void)WaitReason; // informational
  (void)WaitMode;   // no user APCs are ever delivered
  (void)Alertable;  // nothing alerts a thread
  void *objects[1] = {Object};
  int64_t t = Timeout != NULL ? Timeout->QuadPart : 0;
  return kp_wait(cur(), 1, objects, KP_WAIT_ANY, Timeout != NULL ? &t : NULL,
                 NULL, site);
}

static NTSTATUS
KeWaitForMultipleObjects_site(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                              KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                              BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                              PKWAIT_BLOCK WaitBlockArray, kp_site_t site) {
  (void)WaitReason;
  (void)WaitMode;
  (void)Alertable;
  int64_t t = Timeout != NULL ? Timeout->QuadPart : 0;
  return kp_wait(cur(), Count, Object, (kp_wait_type_t)WaitType,
                 Timeout != NULL ? &t : NULL, WaitBlockArray, site);
}

static NTSTATUS KeDelayExecutionThread_site(KPROCESSOR_MODE WaitMode,
                                            BOOLEAN Alertable,
                                            PLARGE_INTEGER Interval,
                                            kp_site_t site) {
  (void)WaitMode;
  (void)Alertable;
  // A NULL interval would fault on Windows; here it is a zero interval.
  return kp_delay(cur(), Interval != NULL ? Interval->QuadPart : 0, site);
}

/* ---------------------------------------------------------------------------
 * Timers and DPCs.
 * ------------------------------------------------------------------------- */
static void timer_hint(PKTIMER Timer, TIMER_TYPE Type) {
  if (Timer == NULL) return;
  header_hint(&Timer->Header, (UCHAR)(8 + Type), sizeof(KTIMER) / 4, 0);
  Timer->DueTime.QuadPart = 0;
  Timer->TimerListEntry.Flink = Timer->TimerListEntry.Blink = NULL;
  Timer->Dpc = NULL;
  Timer->Processor = 0;
  Timer->Period = 0;
}

VOID NTAPI KeInitializeTimer(PKTIMER Timer) {
  kp_timer_init(cur(), Timer, KP_TIMER_NOTIFICATION, WDK_SITE());
  timer_hint(Timer, NotificationTimer);
}

VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type) {
  kp_timer_init(cur(), Timer, (kp_timer_type_t)Type, WDK_SITE());
  timer_hint(Timer, Type);
}

static BOOLEAN KeSetTimer_site(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc,
                               kp_site_t site) {
  return kp_timer_set(cur(), Timer, DueTime.QuadPart, 0, Dpc, site) ? TRUE
                                                                    : FALSE;
}

static BOOLEAN KeSetTimerEx_site(PKTIMER Timer, LARGE_INTEGER DueTime,
                                 LONG Period, PKDPC Dpc, kp_site_t site) {
  return kp_timer_set(cur(), Timer, DueTime.QuadPart, Period, Dpc, site)
             ? TRUE
             : FALSE;
}

BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer) {
  return kp_timer_cancel(cur(), Timer, WDK_SITE()) ? TRUE : FALSE;
}

BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer) {
  return kp_timer_read(cur(), Timer, WDK_SITE()) ? TRUE : FALSE;
}

static void dpc_hint(PRKDPC Dpc, PKDEFERRED_ROUTINE Routine, PVOID Context,
                     UCHAR type) {
  if (Dpc == NULL) return;
  Dpc->TargetInfoAsUlong = 0;
  Dpc->Type = type;
  Dpc->Importance = 1; // MediumImportance
  Dpc->DpcListEntry.Next = NULL;
  Dpc->ProcessorHistory = 0;
  Dpc->DeferredRoutine = Routine;
  Dpc->DeferredContext = Context;
  Dpc->SystemArgument1 = NULL;
  Dpc->SystemArgument2 = NULL;
  Dpc->DpcData = NULL;
}

VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                           PVOID DeferredContext) {
  kp_dpc_init(cur(), Dpc, (kp_dpc_routine_t)(void (*)(void))DeferredRoutine,
              DeferredContext, false, WDK_SITE());
  dpc_hint(Dpc, DeferredRoutine, DeferredContext, 0x13);
}

VOID NTAPI KeInitializeThreadedDpc(PRKDPC Dpc,
                                   PKDEFERRED_ROUTINE DeferredRoutine,
                                   PVOID DeferredContext) {
  kp_dpc_init(cur(), Dpc, (kp_dpc_routine_t)(void (*)(void))DeferredRoutine,
              DeferredContext, true, WDK_SITE());
  dpc_hint(Dpc, DeferredRoutine, DeferredContext, 0x18);
}

static BOOLEAN KeInsertQueueDpc_site(PRKDPC Dpc, PVOID SystemArgument1,
                                     PVOID SystemArgument2, kp_site_t site) {
  return kp_dpc_queue(cur(), Dpc, SystemArgument1, SystemArgument2, site)
             ? TRUE
             : FALSE;
}

BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc) {
  return kp_dpc_remove(cur(), Dpc, WDK_SITE()) ? TRUE : FALSE;
}

VOID NTAPI KeFlushQueuedDpcs(VOID) { kp_dpc_flush(cur(), WDK_SITE()); }

/* ---------------------------------------------------------------------------
 * Work items.
 * ------------------------------------------------------------------------- */
static PIO_WORKITEM IoAllocateWorkItem_site(PDEVICE_OBJECT DeviceObject,
                                            kp_site_t site) {
  return (PIO_WORKITEM)kp_workitem_alloc(cur(), DeviceObject, site);
}

VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem) {
  kp_workitem_free(cur(), IoWorkItem, WDK_SITE());
}

static VOID IoQueueWorkItem_site(PIO_WORKITEM IoWorkItem,
                                 PIO_WORKITEM_ROUTINE WorkerRoutine,
                                 WORK_QUEUE_TYPE QueueType, PVOID Context,
                                 kp_site_t site) {
  kp_workitem_queue(cur(), IoWorkItem,
                    (kp_workitem_fn)(void (*)(void))WorkerRoutine,
                    (uint32_t)QueueType, Context, site);
}

static VOID IoQueueWorkItemEx_site(PIO_WORKITEM IoWorkItem,
                                   PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                   WORK_QUEUE_TYPE QueueType, PVOID Context,
                                   kp_site_t site) {
  kp_workitem_queue_ex(cur(), IoWorkItem,
                       (kp_workitem_ex_fn)(void (*)(void))WorkerRoutine,
                       (uint32_t)QueueType, Context, site);
}

ULONG NTAPI IoSizeofWorkItem(VOID) { return KP_WORKITEM_SIZE; }

VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem) {
  kp_workitem_init(cur(), IoWorkItem, IoObject, WDK_SITE());
}

VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem) {
  kp_workitem_uninit(cur(), IoWorkItem, WDK_SITE());
}

VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem,
                           WORK_QUEUE_TYPE QueueType) {
  kp_workitem_queue_plain(
      cur(), WorkItem,
      WorkItem != NULL ? (kp_worker_fn)(void (*)(void))WorkItem->WorkerRoutine
                       : NULL,
      WorkItem != NULL ? WorkItem->Parameter : NULL, (uint32_t)QueueType,
      WDK_SITE());
}

/* ---------------------------------------------------------------------------
 * System threads.
 * ------------------------------------------------------------------------- */
static NTSTATUS PsCreateSystemThread_site(PHANDLE ThreadHandle,
                                          ULONG DesiredAccess,
                                          POBJECT_ATTRIBUTES ObjectAttributes,
                                          HANDLE ProcessHandle,
                                          PCLIENT_ID ClientId,
                                          PKSTART_ROUTINE StartRoutine,
                                          PVOID StartContext, kp_site_t site) {
  (void)DesiredAccess;    // kernel handles: full access
  (void)ObjectAttributes; // the thread is unnamed in every case
  (void)ProcessHandle;    // always the System process
  void *handle = NULL;
  uint64_t tid = 0;
  NTSTATUS st = kp_system_thread_create(
      cur(), ThreadHandle != NULL ? &handle : NULL, &tid,
      (kp_thread_start_t)(void (*)(void))StartRoutine, StartContext, site);
  if (!NT_SUCCESS(st)) return st;
  *ThreadHandle = handle;
  if (ClientId != NULL) {
    ClientId->UniqueProcess = (HANDLE)(uintptr_t)KP_SYSTEM_PROCESS_ID;
    ClientId->UniqueThread = (HANDLE)(uintptr_t)tid;
  }
  return st;
}

NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus) {
  return kp_system_thread_exit(cur(), ExitStatus);
}

/* ---------------------------------------------------------------------------
 * Identity.
 * ------------------------------------------------------------------------- */
PKTHREAD NTAPI KeGetCurrentThread(VOID) { return (PKTHREAD)kp_thread_object(); }

PETHREAD NTAPI PsGetCurrentThread(VOID) { return (PETHREAD)kp_thread_object(); }

HANDLE NTAPI PsGetCurrentThreadId(VOID) {
  return (HANDLE)(uintptr_t)kp_thread_cid();
}

HANDLE NTAPI PsGetCurrentProcessId(VOID) {
  return (HANDLE)(uintptr_t)KP_SYSTEM_PROCESS_ID;
}

PEPROCESS NTAPI IoGetCurrentProcess(VOID) {
  return (PEPROCESS)kp_process_object();
}

/* ---------------------------------------------------------------------------
 * Processors.
 * ------------------------------------------------------------------------- */
ULONG NTAPI KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors) {
  ULONG n = kp_processor_count(cur(), 0);
  if (ActiveProcessors != NULL)
    *ActiveProcessors = n >= 64 ? ~(KAFFINITY)0 : (((KAFFINITY)1 << n) - 1);
  return n;
}

ULONG NTAPI KeQueryActiveProcessorCountEx(USHORT GroupNumber) {
  return kp_processor_count(cur(), GroupNumber);
}

ULONG NTAPI KeQueryMaximumProcessorCount(VOID) {
  return kp_processor_count(cur(), 0);
}

ULONG NTAPI KeQueryMaximumProcessorCountEx(USHORT GroupNumber) {
  return kp_processor_count(cur(), GroupNumber);
}

/* ---------------------------------------------------------------------------
 * Time.
 * ------------------------------------------------------------------------- */
VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  if (CurrentTime != NULL) CurrentTime->QuadPart = kp_time_system(cur());
}

VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime) {
  KeQuerySystemTime(CurrentTime);
}

ULONGLONG NTAPI KeQueryInterruptTime(VOID) { return kp_time_interrupt(cur()); }

ULONG64 NTAPI KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp) {
  ULONG64 t = kp_time_interrupt(cur());
  // The performance counter counts 100 ns units too (10 MHz).
  if (QpcTimeStamp != NULL) *QpcTimeStamp = t;
  return t;
}

ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID) {
  return kp_time_interrupt(cur());
}

VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount) {
  if (CurrentCount != NULL)
    CurrentCount->QuadPart = (LONGLONG)kp_time_ticks(cur());
}

ULONG NTAPI KeQueryTimeIncrement(VOID) { return kp_time_increment(cur()); }

LARGE_INTEGER NTAPI
KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency) {
  LARGE_INTEGER v;
  v.QuadPart = (LONGLONG)kp_time_interrupt(cur());
  if (PerformanceFrequency != NULL)
    PerformanceFrequency->QuadPart = KP_PERFORMANCE_FREQUENCY;
  return v;
}

LONG NTAPI(KeSetEvent)(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  return KeSetEvent_site(Event, Increment, Wait, WDK_SITE());
}

LONG kp_wdk_KeSetEvent_at(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait,
                          const char *File, int Line) {
  return KeSetEvent_site(Event, Increment, Wait,
                         kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

NTSTATUS NTAPI(KeWaitForSingleObject)(PVOID Object, KWAIT_REASON WaitReason,
                                      KPROCESSOR_MODE WaitMode,
                                      BOOLEAN Alertable,
                                      PLARGE_INTEGER Timeout) {
  return KeWaitForSingleObject_site(Object, WaitReason, WaitMode, Alertable,
                                    Timeout, WDK_SITE());
}

NTSTATUS kp_wdk_KeWaitForSingleObject_at(PVOID Object, KWAIT_REASON WaitReason,
                                         KPROCESSOR_MODE WaitMode,
                                         BOOLEAN Alertable,
                                         PLARGE_INTEGER Timeout,
                                         const char *File, int Line) {
  return KeWaitForSingleObject_site(
      Object, WaitReason, WaitMode, Alertable, Timeout,
      kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

NTSTATUS NTAPI(KeWaitForMultipleObjects)(
    ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
    KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
    PKWAIT_BLOCK WaitBlockArray) {
  return KeWaitForMultipleObjects_site(Count, Object, WaitType, WaitReason,
                                       WaitMode, Alertable, Timeout,
                                       WaitBlockArray, WDK_SITE());
}

NTSTATUS kp_wdk_KeWaitForMultipleObjects_at(
    ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
    KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
    PKWAIT_BLOCK WaitBlockArray, const char *File, int Line) {
  return KeWaitForMultipleObjects_site(
      Count, Object, WaitType, WaitReason, WaitMode, Alertable, Timeout,
      WaitBlockArray, kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

NTSTATUS NTAPI(KeDelayExecutionThread)(KPROCESSOR_MODE WaitMode,
                                       BOOLEAN Alertable,
                                       PLARGE_INTEGER Interval) {
  return KeDelayExecutionThread_site(WaitMode, Alertable, Interval, WDK_SITE());
}

NTSTATUS kp_wdk_KeDelayExecutionThread_at(KPROCESSOR_MODE WaitMode,
                                          BOOLEAN Alertable,
                                          PLARGE_INTEGER Interval,
                                          const char *File, int Line) {
  return KeDelayExecutionThread_site(
      WaitMode, Alertable, Interval,
      kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

BOOLEAN NTAPI(KeSetTimer)(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc) {
  return KeSetTimer_site(Timer, DueTime, Dpc, WDK_SITE());
}

BOOLEAN kp_wdk_KeSetTimer_at(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc,
                             const char *File, int Line) {
  return KeSetTimer_site(Timer, DueTime, Dpc,
                         kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

BOOLEAN NTAPI(KeSetTimerEx)(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period,
                            PKDPC Dpc) {
  return KeSetTimerEx_site(Timer, DueTime, Period, Dpc, WDK_SITE());
}

BOOLEAN kp_wdk_KeSetTimerEx_at(PKTIMER Timer, LARGE_INTEGER DueTime,
                               LONG Period, PKDPC Dpc, const char *File,
                               int Line) {
  return KeSetTimerEx_site(Timer, DueTime, Period, Dpc,
                           kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

BOOLEAN NTAPI(KeInsertQueueDpc)(PRKDPC Dpc, PVOID SystemArgument1,
                                PVOID SystemArgument2) {
  return KeInsertQueueDpc_site(Dpc, SystemArgument1, SystemArgument2,
                               WDK_SITE());
}

BOOLEAN kp_wdk_KeInsertQueueDpc_at(PRKDPC Dpc, PVOID SystemArgument1,
                                   PVOID SystemArgument2, const char *File,
                                   int Line) {
  return KeInsertQueueDpc_site(Dpc, SystemArgument1, SystemArgument2,
                               kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

PIO_WORKITEM NTAPI(IoAllocateWorkItem)(PDEVICE_OBJECT DeviceObject) {
  return IoAllocateWorkItem_site(DeviceObject, WDK_SITE());
}

PIO_WORKITEM kp_wdk_IoAllocateWorkItem_at(PDEVICE_OBJECT DeviceObject,
                                          const char *File, int Line) {
  return IoAllocateWorkItem_site(DeviceObject,
                                 kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

VOID NTAPI(IoQueueWorkItem)(PIO_WORKITEM IoWorkItem,
                            PIO_WORKITEM_ROUTINE WorkerRoutine,
                            WORK_QUEUE_TYPE QueueType, PVOID Context) {
  IoQueueWorkItem_site(IoWorkItem, WorkerRoutine, QueueType, Context,
                       WDK_SITE());
}

VOID kp_wdk_IoQueueWorkItem_at(PIO_WORKITEM IoWorkItem,
                               PIO_WORKITEM_ROUTINE WorkerRoutine,
                               WORK_QUEUE_TYPE QueueType, PVOID Context,
                               const char *File, int Line) {
  IoQueueWorkItem_site(IoWorkItem, WorkerRoutine, QueueType, Context,
                       kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

VOID NTAPI(IoQueueWorkItemEx)(PIO_WORKITEM IoWorkItem,
                              PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                              WORK_QUEUE_TYPE QueueType, PVOID Context) {
  IoQueueWorkItemEx_site(IoWorkItem, WorkerRoutine, QueueType, Context,
                         WDK_SITE());
}

VOID kp_wdk_IoQueueWorkItemEx_at(PIO_WORKITEM IoWorkItem,
                                 PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                 WORK_QUEUE_TYPE QueueType, PVOID Context,
                                 const char *File, int Line) {
  IoQueueWorkItemEx_site(IoWorkItem, WorkerRoutine, QueueType, Context,
                         kp_site(File, (uint32_t)Line, WDK_CALLER()));
}

NTSTATUS NTAPI(PsCreateSystemThread)(PHANDLE ThreadHandle, ULONG DesiredAccess,
                                     POBJECT_ATTRIBUTES ObjectAttributes,
                                     HANDLE ProcessHandle, PCLIENT_ID ClientId,
                                     PKSTART_ROUTINE StartRoutine,
                                     PVOID StartContext) {
  return PsCreateSystemThread_site(ThreadHandle, DesiredAccess,
                                   ObjectAttributes, ProcessHandle, ClientId,
                                   StartRoutine, StartContext, WDK_SITE());
}

NTSTATUS
kp_wdk_PsCreateSystemThread_at(PHANDLE ThreadHandle, ULONG DesiredAccess,
                               POBJECT_ATTRIBUTES ObjectAttributes,
                               HANDLE ProcessHandle, PCLIENT_ID ClientId,
                               PKSTART_ROUTINE StartRoutine, PVOID StartContext,
                               const char *File, int Line) {
  return PsCreateSystemThread_site(
      ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle, ClientId,
      StartRoutine, StartContext, kp_site(File, (uint32_t)Line, WDK_CALLER()));
}
