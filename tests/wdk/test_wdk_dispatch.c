/*
 * test_wdk_dispatch.c — the WDK face of the execution surface: layouts and
 * constants, and driver-style code using only WDK names (events, waits
 * with LARGE_INTEGER timeouts, timers with DPCs, the system-thread join
 * pattern, work items, time, identity, processors) on the current system.
 */
#include <ntddk.h>

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static kp_system_t *sys;
static kp_system_t *prev;

static int setup(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.numa_nodes = 2;
  cfg.processors_per_node = 2;
  sys = kp_system_create(&cfg);
  if (sys == NULL) return -1;
  prev = kp_system_set_current(sys);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  kp_system_set_current(prev);
  kp_system_destroy(sys);
  return 0;
}

static void test_layouts_and_constants(void **state) {
  (void)state;
  assert_int_equal(sizeof(KEVENT), 0x18);
  assert_int_equal(sizeof(KSEMAPHORE), 0x20);
  assert_int_equal(sizeof(KMUTEX), 0x38);
  assert_int_equal(sizeof(KTIMER), 0x40);
  assert_int_equal(sizeof(KDPC), 0x40);
  assert_int_equal(sizeof(KWAIT_BLOCK), 0x30);
  assert_int_equal(NotificationEvent, 0);
  assert_int_equal(SynchronizationEvent, 1);
  assert_int_equal(WaitAll, 0);
  assert_int_equal(WaitAny, 1);
  assert_int_equal(DelayedWorkQueue, 1);
  assert_int_equal(THREAD_WAIT_OBJECTS, 3);
  assert_int_equal(MAXIMUM_WAIT_OBJECTS, 64);
  assert_int_equal(STATUS_ABANDONED_WAIT_0, 0x80);
  assert_int_equal(STATUS_SEMAPHORE_LIMIT_EXCEEDED, (NTSTATUS)0xC0000047);
  assert_int_equal(STATUS_MUTANT_NOT_OWNED, (NTSTATUS)0xC0000046);
  assert_int_equal(IoSizeofWorkItem(), KP_WORKITEM_SIZE);
  assert_int_equal(sizeof(CLIENT_ID), 16);
  assert_int_equal(sizeof(OBJECT_ATTRIBUTES), 48);
}

static void test_event_wait_and_header_hint(void **state) {
  (void)state;
  KEVENT ev;
  KeInitializeEvent(&ev, SynchronizationEvent, FALSE);
  assert_int_equal(ev.Header.Type, SynchronizationEvent);
  assert_int_equal(KeReadStateEvent(&ev), 0);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &zero),
                   STATUS_TIMEOUT);
  assert_int_equal(KeSetEvent(&ev, IO_NO_INCREMENT, FALSE), 0);
  assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &zero),
                   STATUS_SUCCESS);
  KeSetEvent(&ev, EVENT_INCREMENT, FALSE);
  KeClearEvent(&ev);
  assert_int_equal(KeReadStateEvent(&ev), 0);
  KeSetEvent(&ev, EVENT_INCREMENT, FALSE);
  assert_int_equal(KeResetEvent(&ev), 1);
}

static void test_multiple_with_wait_blocks(void **state) {
  (void)state;
  KEVENT ev[5];
  PVOID objs[5];
  KWAIT_BLOCK blocks[5];
  for (int i = 0; i < 5; i++) {
    KeInitializeEvent(&ev[i], NotificationEvent, i == 4);
    objs[i] = &ev[i];
  }
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  assert_int_equal(KeWaitForMultipleObjects(5, objs, WaitAny, Executive,
                                            KernelMode, FALSE, &zero, blocks),
                   STATUS_WAIT_0 + 4);
  KP_ASSERT_BUGCHECK(sys, 0xC, 0,
                     KeWaitForMultipleObjects(5, objs, WaitAny, Executive,
                                              KernelMode, FALSE, &zero, NULL));
}

static void test_semaphore_and_mutex(void **state) {
  (void)state;
  KSEMAPHORE s;
  KeInitializeSemaphore(&s, 0, 1);
  assert_int_equal(s.Limit, 1);
  assert_int_equal(KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 1, FALSE), 0);
  KP_ASSERT_RAISES(STATUS_SEMAPHORE_LIMIT_EXCEEDED,
                   KeReleaseSemaphore(&s, SEMAPHORE_INCREMENT, 1, FALSE));
  assert_int_equal(KeReadStateSemaphore(&s), 1);
  KMUTEX m;
  KeInitializeMutex(&m, 0);
  assert_int_equal(KeWaitForMutexObject(&m, Executive, KernelMode, FALSE, NULL),
                   STATUS_SUCCESS);
  assert_int_equal(KeReadStateMutex(&m), 0);
  assert_int_equal(KeReleaseMutex(&m, FALSE), 0);
  KP_ASSERT_RAISES(STATUS_MUTANT_NOT_OWNED, KeReleaseMutex(&m, FALSE));
}

static atomic_int dpc_runs;
static KDEFERRED_ROUTINE timer_dpc;
static VOID timer_dpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                      PVOID SystemArgument2) {
  UNREFERENCED_PARAMETER(SystemArgument1);
  UNREFERENCED_PARAMETER(SystemArgument2);
  assert_ptr_equal(DeferredContext, Dpc);
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  atomic_fetch_add(&dpc_runs, 1);
}

static void test_periodic_timer_dpc(void **state) {
  (void)state;
  KTIMER timer;
  KDPC dpc;
  atomic_store(&dpc_runs, 0);
  KeInitializeTimerEx(&timer, NotificationTimer);
  KeInitializeDpc(&dpc, timer_dpc, &dpc);
  LARGE_INTEGER due;
  due.QuadPart = -10 * 10000; // 10 ms
  assert_false(KeSetTimerEx(&timer, due, 10, &dpc));
  kp_clock_advance(sys, 35);
  assert_int_equal(atomic_load(&dpc_runs), 3);
  assert_true(KeReadStateTimer(&timer));
  assert_true(KeCancelTimer(&timer));
  KeFlushQueuedDpcs();
  // KeInsertQueueDpc: once, then FALSE while queued.
  assert_true(KeInsertQueueDpc(&dpc, NULL, NULL));
  assert_false(KeInsertQueueDpc(&dpc, NULL, NULL));
  KeFlushQueuedDpcs();
  assert_int_equal(atomic_load(&dpc_runs), 4);
  assert_false(KeRemoveQueueDpc(&dpc));
  KTIMER one;
  KeInitializeTimer(&one);
  assert_false(KeSetTimer(&one, due, NULL));
  assert_true(KeSetTimer(&one, due, NULL));
  assert_true(KeCancelTimer(&one));
}

static KSTART_ROUTINE thread_start;
static VOID thread_start(PVOID StartContext) {
  PKEVENT ev = StartContext;
  KeWaitForSingleObject(ev, Executive, KernelMode, FALSE, NULL);
  PsTerminateSystemThread(STATUS_SUCCESS);
}

static void test_system_thread_join(void **state) {
  (void)state;
  KEVENT go;
  KeInitializeEvent(&go, NotificationEvent, FALSE);
  HANDLE h = NULL;
  CLIENT_ID cid;
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, &cid,
                                        thread_start, &go),
                   STATUS_SUCCESS);
  assert_ptr_equal(cid.UniqueProcess, (HANDLE)(uintptr_t)4);
  PVOID obj = NULL;
  assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType,
                                             KernelMode, &obj, NULL),
                   STATUS_SUCCESS);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
  assert_int_equal(ZwClose(h), STATUS_INVALID_HANDLE);
  LARGE_INTEGER zero;
  zero.QuadPart = 0;
  assert_int_equal(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, &zero),
                   STATUS_TIMEOUT);
  KeSetEvent(&go, IO_NO_INCREMENT, FALSE);
  assert_int_equal(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, NULL),
                   STATUS_SUCCESS);
  ObDereferenceObject(obj);
  // Wrong object type.
  HANDLE h2 = NULL;
  KeInitializeEvent(&go, NotificationEvent, TRUE);
  PsCreateSystemThread(&h2, THREAD_ALL_ACCESS, NULL, NULL, NULL, thread_start,
                       &go);
  POBJECT_TYPE other = (POBJECT_TYPE)(void *)&go;
  assert_int_equal(ObReferenceObjectByHandle(h2, SYNCHRONIZE, other, KernelMode,
                                             &obj, NULL),
                   STATUS_OBJECT_TYPE_MISMATCH);
  assert_int_equal(ObReferenceObjectByHandle(h2, SYNCHRONIZE, NULL, KernelMode,
                                             &obj, NULL),
                   STATUS_SUCCESS);
  ZwClose(h2);
  KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, NULL);
  ObDereferenceObject(obj);
  assert_int_equal(PsTerminateSystemThread(STATUS_SUCCESS),
                   STATUS_INVALID_PARAMETER);
}

static atomic_int work_runs;
static IO_WORKITEM_ROUTINE work_routine;
static VOID work_routine(PDEVICE_OBJECT DeviceObject, PVOID Context) {
  UNREFERENCED_PARAMETER(DeviceObject);
  UNREFERENCED_PARAMETER(Context);
  atomic_fetch_add(&work_runs, 1);
}

static void test_work_items(void **state) {
  (void)state;
  static char fake_device[64];
  PDEVICE_OBJECT dev = (PDEVICE_OBJECT)(void *)fake_device;
  atomic_store(&work_runs, 0);
  PIO_WORKITEM wi = IoAllocateWorkItem(dev);
  assert_non_null(wi);
  IoQueueWorkItem(wi, work_routine, DelayedWorkQueue, NULL);
  kp_workitem_wait_idle(sys);
  assert_int_equal(atomic_load(&work_runs), 1);
  IoFreeWorkItem(wi);
  assert_null(IoAllocateWorkItem(NULL));
}

static void test_time_identity_processors(void **state) {
  (void)state;
  LARGE_INTEGER st, tc, freq;
  KeQuerySystemTime(&st);
  assert_int_equal(st.QuadPart, kp_system_config(sys)->boot_system_time);
  assert_int_equal(KeQueryInterruptTime(), 0);
  kp_clock_advance(sys, 1000);
  assert_int_equal(KeQueryInterruptTime(), 10000000u);
  assert_int_equal(KeQueryUnbiasedInterruptTime(), 10000000u);
  ULONG64 qpc = 0;
  assert_int_equal(KeQueryInterruptTimePrecise(&qpc), 10000000u);
  assert_int_equal(qpc, 10000000u);
  KeQuerySystemTimePrecise(&st);
  assert_int_equal(st.QuadPart, kp_system_config(sys)->boot_system_time + 10000000);
  KeQueryTickCount(&tc);
  assert_int_equal(tc.QuadPart, 10000000 / 156250);
  assert_int_equal(KeQueryTimeIncrement(), 156250);
  LARGE_INTEGER pc = KeQueryPerformanceCounter(&freq);
  assert_int_equal(freq.QuadPart, 10000000);
  assert_int_equal(pc.QuadPart, 10000000);
  assert_ptr_equal(KeGetCurrentThread(), (PKTHREAD)PsGetCurrentThread());
  assert_ptr_equal(PsGetCurrentProcessId(), (HANDLE)(uintptr_t)4);
  assert_non_null(PsGetCurrentThreadId());
  assert_ptr_equal(PsGetCurrentProcess(), IoGetCurrentProcess());
  KAFFINITY mask = 0;
  assert_int_equal(KeQueryActiveProcessorCount(&mask), 4);
  assert_int_equal(mask, 0xF);
  assert_int_equal(KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS), 4);
  assert_int_equal(KeQueryActiveProcessorCountEx(1), 0);
  assert_int_equal(KeQueryMaximumProcessorCount(), 4);
  assert_int_equal(KeQueryMaximumProcessorCountEx(0), 4);
  assert_int_equal(KeNumberProcessors, 4);
}

static char captured[8192];
static size_t captured_len;
static void capture(const char *text, void *arg) {
  (void)arg;
  size_t n = strlen(text);
  if (captured_len + n >= sizeof captured) n = sizeof captured - 1 - captured_len;
  memcpy(captured + captured_len, text, n);
  captured_len += n;
  captured[captured_len] = '\0';
}

static void record_returning(const kp_bugcheck_t *bc, void *arg) {
  (void)bc;
  (void)arg;
}

/* The call-site macros put this file and line into the unload report. */
static void test_call_sites_in_reports(void **state) {
  (void)state;
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = capture;
  kp_system_t *s = kp_system_create(&cfg);
  kp_system_t *old = kp_system_set_current(s);
  kp_bugcheck_set_handler(s, record_returning, NULL, NULL, NULL);
  captured_len = 0;
  KTIMER t;
  KeInitializeTimer(&t);
  LARGE_INTEGER due;
  due.QuadPart = -10000;
  KeSetTimer(&t, due, NULL); const int line = __LINE__;
  assert_int_equal(kp_driver_unload(s), KP_STATUS_UNSUCCESSFUL);
  char where[64];
  snprintf(where, sizeof where, "test_wdk_dispatch.c:%d", line);
  assert_non_null(strstr(captured, where));
  KeCancelTimer(&t);
  kp_system_set_current(old);
  kp_system_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layouts_and_constants),
      cmocka_unit_test(test_call_sites_in_reports),
      cmocka_unit_test_setup_teardown(test_event_wait_and_header_hint, setup, teardown),
      cmocka_unit_test_setup_teardown(test_multiple_with_wait_blocks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_semaphore_and_mutex, setup, teardown),
      cmocka_unit_test_setup_teardown(test_periodic_timer_dpc, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_thread_join, setup, teardown),
      cmocka_unit_test_setup_teardown(test_work_items, setup, teardown),
      cmocka_unit_test_setup_teardown(test_time_identity_processors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
