/**
 * @file kpool/dispatch.h
 * @brief The execution surface: dispatcher objects (events, semaphores,
 *        kernel mutexes, timers, thread objects) and waits, DPCs, system
 *        threads, time and thread/process identity.
 *
 * What is simulated
 * -----------------
 * - Objects live in caller storage (the WDK's KEVENT, KSEMAPHORE, KMUTEX,
 *   KTIMER, KDPC, or a kp_kobject_t); their real state is kept out of band
 *   in a table keyed by the object's address, as the pool keeps its block
 *   records, so a driver that scribbles over an object cannot corrupt the
 *   simulator. Initialising storage again resets its record.
 * - Waits are real: a thread that waits on a non-signalled object blocks
 *   its host thread (a condition variable) until another thread signals the
 *   object, or until the virtual clock passes its timeout. Waiters are
 *   satisfied in FIFO order of their waits, under one dispatcher lock per
 *   system, with the side effects Windows documents (a synchronization
 *   event or timer is reset, a semaphore count taken, a mutex owned).
 * - Time: every timeout and due time is in 100 ns units, negative =
 *   relative, positive = absolute system time (1601 based; see
 *   kp_config_t.boot_system_time). The virtual clock only moves with
 *   kp_clock_advance() (or real-time mode); a timeout never expires on its
 *   own, so tests are deterministic.
 *
 * When callbacks run (the deterministic schedule)
 * -----------------------------------------------
 * - Timers expire inside kp_clock_advance(), at the exact step of their
 *   due time (the clock moves from due time to due time).
 * - A queued DPC runs on the thread that calls kp_clock_advance() (after
 *   each step's expiries), kp_dpc_drain() or kp_dpc_flush()
 *   (KeFlushQueuedDpcs), at DISPATCH_LEVEL, on the simulated processor of
 *   the thread that queued it. Never earlier: KeInsertQueueDpc only queues.
 *   In real-time clock mode the clock thread runs them.
 * - Work items run on the system's worker host thread, in queue order
 *   (kpool/workitem.h; kp_workitem_wait_idle()).
 * - System threads run on their own host thread from creation.
 *
 * Bug checks (the table the WDK names share)
 * ------------------------------------------
 * | misuse | verifier (KP_VERIFY_AUTOMATIC) | retail |
 * |---|---|---|
 * | wait at > DISPATCH, or at DISPATCH with a NULL / non-zero timeout | 0xC4/0x3B (P2 IRQL, P3 object, P4 timeout or 0) | in a DPC 0xB8 (P1 thread); else 0xA (P1 object, P2 IRQL) |
 * | more than 64 objects, or more than 3 without a wait block array | 0xC | 0xC |
 * | object never initialised (or not waitable) | 0xC4/0x1002 (P2 object) | same |
 * | KeSetEvent above DISPATCH_LEVEL | 0xC4/0x80 (P2 IRQL, P3 event) | not checked |
 * | KeReleaseSemaphore beyond the limit | raise STATUS_SEMAPHORE_LIMIT_EXCEEDED (0x1E unhandled, 0x7E in a system thread) | same |
 * | KeReleaseMutex by a thread that does not own it | raise STATUS_MUTANT_NOT_OWNED | same |
 * | system thread ends owning a KMUTEX | 0x4000008A (P1 thread, P2 mutex); the mutex is then abandoned | same |
 * | object re-initialised while a thread waits on it, a timer while set, a DPC while queued | 0x139/3 | same |
 * | pool freed holding a set timer | 0xC4/0x15 (P2 timer, P3 pool type, P4 block) | 0xC7/0 (P2 timer, P3-P4 block range) |
 * | pool freed holding a queued DPC | 0xC7/1 (P2 DPC, P3-P4 block range) | same |
 * | unload with a timer set / a DPC queued | 0xC7/0, 0xC7/1 | 0xCE (P1 routine or object) |
 * | unload with a system thread running | 0xCE (P1 start routine) | same |
 * | an exception a DPC routine does not handle | 0x1E (P1 status, P2 routine) | same |
 * | exception unhandled in a system thread | 0x7E (P1 status, P2 start routine) | same |
 * | system thread ends above PASSIVE_LEVEL | 0x20 (P3 IRQL; APCs are not modelled, P1 = P2 = 0) | same |
 *
 * A bug check raised inside a DPC routine runs the handler on the draining
 * thread; a handler that longjmps out (KP_ASSERT_BUGCHECK) abandons the
 * DPC, and the thread's next dispatcher call restores the IRQL, processor
 * and DPC bookkeeping it had changed.
 *
 * Not modelled: preemption, priorities and priority boosts (Increment
 * arguments are accepted and ignored), APC delivery (Alertable waits are
 * never alerted, UserMode waits never get STATUS_USER_APC), hardware
 * interrupts, the DPC watchdog.
 */
#ifndef KPOOL_DISPATCH_H
#define KPOOL_DISPATCH_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Storage for any core object (event, semaphore, mutex, timer, DPC) when
 *  the caller does not use the WDK structs. */
typedef struct kp_kobject {
  uint64_t opaque[8];
} kp_kobject_t;

/** Event kinds (EVENT_TYPE values). */
typedef enum kp_event_type {
  KP_EVENT_NOTIFICATION = 0,   /**< stays signalled; releases every waiter */
  KP_EVENT_SYNCHRONIZATION = 1 /**< auto-reset: one wait consumes it */
} kp_event_type_t;

/** Timer kinds (TIMER_TYPE values). */
typedef enum kp_timer_type {
  KP_TIMER_NOTIFICATION = 0,
  KP_TIMER_SYNCHRONIZATION = 1
} kp_timer_type_t;

/** Wait kinds (WAIT_TYPE values). */
typedef enum kp_wait_type { KP_WAIT_ALL = 0, KP_WAIT_ANY = 1 } kp_wait_type_t;

#define KP_THREAD_WAIT_OBJECTS 3u    /**< built-in wait blocks per thread */
#define KP_MAXIMUM_WAIT_OBJECTS 64u  /**< most objects one wait may name */
#define KP_WAIT_BLOCK_SIZE 0x30u     /**< sizeof(KWAIT_BLOCK) on x64 */

/** The 0xC4 subcodes raised here (see the table above). */
#define KP_C4_WAIT_AT_DISPATCH 0x3Bu        /**< KeWait* at DISPATCH_LEVEL or higher */
#define KP_C4_TIMER_IN_FREED_POOL 0x15u     /**< freeing pool with an active timer */
#define KP_C4_SET_EVENT_IRQL 0x80u          /**< KeSetEvent above DISPATCH_LEVEL */
#define KP_C4_OBJECT_UNINITIALIZED 0x1002u  /**< object used before initialisation */

/* ---------------------------------------------------------------------------
 * Events (KeInitializeEvent, KeSetEvent, KeResetEvent, KeClearEvent,
 * KeReadStateEvent). @p obj is the object's storage. Thread-safe.
 * ------------------------------------------------------------------------- */
/** KeInitializeEvent. 0x139/3 if a thread still waits on @p obj. */
KP_API void kp_event_init(kp_system_t *sys, void *obj, kp_event_type_t type,
                          bool signalled, kp_site_t site);
/** KeSetEvent: signals; returns the previous state (non-zero = was
 *  signalled). A waiter satisfied by it has already consumed a
 *  synchronization event when this returns. @p wait is accepted (the
 *  dispatcher lock is not held across calls). 0xC4/0x80 above DISPATCH. */
KP_API int32_t kp_event_set(kp_system_t *sys, void *obj, int32_t increment,
                            bool wait, kp_site_t site);
/** KeResetEvent: not signalled; returns the previous state. */
KP_API int32_t kp_event_reset(kp_system_t *sys, void *obj, kp_site_t site);
/** KeReadStateEvent: the state, non-zero = signalled. */
KP_API int32_t kp_event_read(kp_system_t *sys, void *obj, kp_site_t site);

/* ---------------------------------------------------------------------------
 * Semaphores.
 * ------------------------------------------------------------------------- */
/** KeInitializeSemaphore. @p count 0..@p limit, @p limit > 0; otherwise
 *  raises STATUS_INVALID_PARAMETER (kpool's choice: Windows does not say). */
KP_API void kp_semaphore_init(kp_system_t *sys, void *obj, int32_t count,
                              int32_t limit, kp_site_t site);
/** KeReleaseSemaphore: count += @p adjustment, waiters released; returns
 *  the previous count. If the new count would pass the limit (or
 *  @p adjustment is negative) the count is unchanged and
 *  STATUS_SEMAPHORE_LIMIT_EXCEEDED is raised (kp_raise_status). */
KP_API int32_t kp_semaphore_release(kp_system_t *sys, void *obj,
                                    int32_t increment, int32_t adjustment,
                                    bool wait, kp_site_t site);
/** KeReadStateSemaphore: the current count. */
KP_API int32_t kp_semaphore_read(kp_system_t *sys, void *obj, kp_site_t site);

/* ---------------------------------------------------------------------------
 * Kernel mutexes (KMUTEX): acquired by waiting on them, recursively by the
 * owner; released once per acquisition.
 * ------------------------------------------------------------------------- */
/** KeInitializeMutex: unowned, signalled. @p level is ignored (reserved). */
KP_API void kp_mutex_init(kp_system_t *sys, void *obj, uint32_t level,
                          kp_site_t site);
/** KeReleaseMutex: returns the state before the release: 0 when this was
 *  the last release (the mutex is now signalled), negative while the owner
 *  still holds it recursively. Raises
 *  STATUS_MUTANT_NOT_OWNED when the caller does not own it. */
KP_API int32_t kp_mutex_release(kp_system_t *sys, void *obj, bool wait,
                                kp_site_t site);
/** KeReadStateMutex: 1 when signalled (unowned), else <= 0. */
KP_API int32_t kp_mutex_read(kp_system_t *sys, void *obj, kp_site_t site);

/* ---------------------------------------------------------------------------
 * Waits.
 * ------------------------------------------------------------------------- */
/**
 * KeWaitForSingleObject / KeWaitForMultipleObjects.
 * @param timeout NULL: forever; *timeout == 0: poll (never blocks);
 *        < 0: relative, 100 ns; > 0: absolute system time.
 * @param wait_blocks the caller's KWAIT_BLOCK array; required (non-NULL)
 *        when @p count > 3; its contents are not used.
 * @return STATUS_WAIT_0 + i (WaitAny: index of the object that satisfied
 *         it; WaitAll: 0), STATUS_ABANDONED_WAIT_0 + i when that object is
 *         a mutex whose owner ended (WaitAll: STATUS_ABANDONED_WAIT_0),
 *         STATUS_TIMEOUT. @p count 0 returns STATUS_INVALID_PARAMETER.
 * Bug checks: see the table in the file comment.
 */
KP_API kp_status_t kp_wait(kp_system_t *sys, uint32_t count,
                           void *const objects[], kp_wait_type_t type,
                           const int64_t *timeout, void *wait_blocks,
                           kp_site_t site);
/** KeDelayExecutionThread: sleeps until the virtual clock passes the
 *  interval (relative < 0, absolute > 0); 0 yields. STATUS_SUCCESS. Same
 *  IRQL rule as a wait with a non-zero timeout. */
KP_API kp_status_t kp_delay(kp_system_t *sys, int64_t interval, kp_site_t site);
/** Threads currently blocked in a wait or delay on @p sys (for tests that
 *  must move the clock only once a waiter sleeps). */
KP_API uint32_t kp_wait_blocked_count(kp_system_t *sys);

/* ---------------------------------------------------------------------------
 * Timers.
 * ------------------------------------------------------------------------- */
/** KeInitializeTimerEx: not set, not signalled. */
KP_API void kp_timer_init(kp_system_t *sys, void *obj, kp_timer_type_t type,
                          kp_site_t site);
/** KeSetTimerEx: cancels an earlier setting (and its queued DPC), resets
 *  the signal and sets the timer to expire at @p due (100 ns, relative <
 *  0), then every @p period_ms milliseconds if > 0; on expiry @p dpc (may
 *  be NULL) is queued. A due time already reached expires at once.
 *  Returns true when the timer was already set. A negative period raises
 *  STATUS_INVALID_PARAMETER_3 (kpool's choice). */
KP_API bool kp_timer_set(kp_system_t *sys, void *obj, int64_t due,
                         int32_t period_ms, void *dpc, kp_site_t site);
/** KeCancelTimer: true when the timer was set. Removes its DPC from the
 *  queue too (a DPC already running is not waited for). */
KP_API bool kp_timer_cancel(kp_system_t *sys, void *obj, kp_site_t site);
/** KeReadStateTimer. */
KP_API bool kp_timer_read(kp_system_t *sys, void *obj, kp_site_t site);

/* ---------------------------------------------------------------------------
 * DPCs.
 * ------------------------------------------------------------------------- */
/** A DPC routine (KDEFERRED_ROUTINE): runs at DISPATCH_LEVEL. */
typedef void (*kp_dpc_routine_t)(void *dpc, void *context, void *arg1,
                                 void *arg2);
/** KeInitializeDpc / KeInitializeThreadedDpc (@p threaded: recorded; a
 *  threaded DPC runs at DISPATCH_LEVEL, as Windows runs them when threaded
 *  DPCs are disabled). */
KP_API void kp_dpc_init(kp_system_t *sys, void *obj, kp_dpc_routine_t routine,
                        void *context, bool threaded, kp_site_t site);
/** KeInsertQueueDpc: false (and nothing changes) when already queued. */
KP_API bool kp_dpc_queue(kp_system_t *sys, void *obj, void *arg1, void *arg2,
                         kp_site_t site);
/** KeRemoveQueueDpc: true when it was queued (it will not run). */
KP_API bool kp_dpc_remove(kp_system_t *sys, void *obj, kp_site_t site);
/** Runs every queued DPC now, on the calling thread (see the schedule
 *  above), including DPCs they queue. Returns how many ran. Not from a DPC
 *  (returns 0 there). */
KP_API uint32_t kp_dpc_drain(kp_system_t *sys);
/** KeFlushQueuedDpcs: drains, then waits until DPCs running on other
 *  threads have finished. IRQL <= APC_LEVEL, else 0xA (P2 IRQL). */
KP_API void kp_dpc_flush(kp_system_t *sys, kp_site_t site);
/** True while the calling thread runs a DPC routine. */
KP_API bool kp_in_dpc(void);

/* ---------------------------------------------------------------------------
 * Time, on the virtual clock (KeQuery*). All thread-safe.
 * ------------------------------------------------------------------------- */
/** Interrupt time: 100 ns units since boot (virtual clock * 10000). */
KP_API uint64_t kp_time_interrupt(const kp_system_t *sys);
/** System time: boot_system_time + interrupt time (1601 based, UTC). */
KP_API int64_t kp_time_system(const kp_system_t *sys);
/** Clock ticks since boot: interrupt time / time_increment. */
KP_API uint64_t kp_time_ticks(const kp_system_t *sys);
/** 100 ns units per tick (kp_config_t.time_increment). */
KP_API uint32_t kp_time_increment(const kp_system_t *sys);
/** The performance counter's frequency (10 MHz: one count per 100 ns). */
#define KP_PERFORMANCE_FREQUENCY 10000000u

/* ---------------------------------------------------------------------------
 * Processors: numa_nodes * processors_per_node simulated processors, in
 * groups of 64 (KP_PROCESSORS_PER_GROUP, kpool/pool3.h), all active.
 * ------------------------------------------------------------------------- */
/** Processors in @p group (KeQueryActiveProcessorCountEx and
 *  KeQueryMaximumProcessorCountEx: they are equal here); 0xFFFF
 *  (ALL_PROCESSOR_GROUPS) counts all; 0 for a group that does not exist. */
KP_API uint32_t kp_processor_count(const kp_system_t *sys, uint16_t group);

/* ---------------------------------------------------------------------------
 * Identity and system threads.
 * ------------------------------------------------------------------------- */
/** The calling host thread's thread object (KeGetCurrentThread): stable for
 *  the thread's life; in a system thread, the waitable object its handle
 *  names. */
KP_API void *kp_thread_object(void);
/** The calling thread's id (PsGetCurrentThreadId): 4 * (kp_thread_id() + 1),
 *  never the System process id. */
KP_API uint64_t kp_thread_cid(void);
/** The one simulated process, System: its id (4) and its object. */
#define KP_SYSTEM_PROCESS_ID 4u
KP_API void *kp_process_object(void);
/** True in a system thread or a work item's worker thread. */
KP_API bool kp_thread_is_system(void);

typedef void (*kp_thread_start_t)(void *context);
/**
 * PsCreateSystemThread: starts @p start(@p context) on a new host thread
 * at PASSIVE_LEVEL. *@p handle receives a kernel handle (kp_handle_*),
 * *@p tid (optional) the thread id. Returning from @p start is
 * PsTerminateSystemThread(STATUS_SUCCESS). An exception nobody catches in
 * the thread is bug check 0x7E (P1 status). The thread object is
 * signalled when the thread ends. kp_system_destroy() waits for every
 * system thread to end: end them first (a thread blocked forever would
 * keep destroy waiting).
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL handle
 *         pointer or routine; STATUS_INSUFFICIENT_RESOURCES.
 */
KP_API kp_status_t kp_system_thread_create(kp_system_t *sys, void **handle,
                                           uint64_t *tid,
                                           kp_thread_start_t start,
                                           void *context, kp_site_t site);
/** PsTerminateSystemThread: ends the calling system thread (does not
 *  return); STATUS_INVALID_PARAMETER from any other thread. */
KP_API kp_status_t kp_system_thread_exit(kp_system_t *sys, kp_status_t status);
/** ObReferenceObjectByHandle for a thread handle: the thread object, with
 *  a reference. STATUS_INVALID_HANDLE for an unknown or closed handle. */
KP_API kp_status_t kp_handle_reference(kp_system_t *sys, void *handle,
                                       void **object);
/** ObDereferenceObject of a thread object. 0x18 REFERENCE_BY_POINTER (P1 0,
 *  P2 object) when it has no reference left or is unknown. */
KP_API void kp_object_dereference(kp_system_t *sys, void *object);
/** ZwClose of a thread handle: STATUS_SUCCESS or STATUS_INVALID_HANDLE. */
KP_API kp_status_t kp_handle_close(kp_system_t *sys, void *handle);
/** The exit status of a thread object once it has ended (else
 *  STATUS_PENDING). */
KP_API kp_status_t kp_thread_exit_status(kp_system_t *sys, void *object);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_DISPATCH_H */
