/**
 * @file kpool/workitem.h
 * @brief Work items: IoAllocateWorkItem / IoInitializeWorkItem,
 *        IoQueueWorkItem(Ex), IoFreeWorkItem / IoUninitializeWorkItem and
 *        the deprecated ExQueueWorkItem, run by a system worker thread.
 *
 * What is simulated: each system has one worker host thread (a system
 * thread: PsIsSystemThread is TRUE there), started on the first queue. It
 * runs queued items one at a time in queue order (whatever the queue
 * type: priorities are not modelled) at PASSIVE_LEVEL. An item is taken
 * off the queue before its routine runs, so the routine may free it
 * (IoFreeWorkItem) or queue it again.
 *
 * kp_system_destroy() drops items still queued and waits for the routine
 * that runs (one blocked forever keeps destroy waiting).
 *
 * Determinism: kp_workitem_wait_idle() returns once the queue is empty and
 * no routine runs; a test queues, waits idle, then asserts. Bug checks a
 * routine raises are raised on the worker thread: a test catches them
 * with a handler that records and returns (kp_bugcheck_last), not with a
 * longjmp-based assertion (that only catches the calling thread's).
 *
 * Bug checks:
 * | misuse | code |
 * |---|---|
 * | queue an item already queued | 0xE4/1 (P2 item, P3 queue type) |
 * | IoFreeWorkItem / IoUninitializeWorkItem of a queued item | 0xE4/2 (P2 item, P3 routine) |
 * | pool freed while it holds a queued (Ex or Io) item | 0xE4/0 (P2 item, P3-P4 block start/end) |
 * | an unknown or already freed item | 0xE4/3 (P2 item; kpool's choice) |
 * | invalid queue type (7..31, > 63) | 0xE4/6 (P2 item, P3 queue type) |
 * | queue above DISPATCH_LEVEL | 0xA (P1 item, P2 IRQL) |
 * | routine returns at IRQL != PASSIVE_LEVEL | 0xE1 (P1 routine, P2 IRQL, P3 context, P4 item) |
 * | routine returns owning a KMUTEX | 0x1 (P1 routine, P2 0, P3 0xFFFF, P4 1); the mutex is abandoned |
 * | routine raises and nothing catches it | 0x7E (P1 status, P2 routine) |
 * | unload with an item queued or running | 0xCE (P1 routine, P2 0, P3 routine) |
 * Items allocated with kp_workitem_alloc and never freed are listed at
 * unload (no bug check: Windows has none).
 */
#ifndef KPOOL_WORKITEM_H
#define KPOOL_WORKITEM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** IoSizeofWorkItem: bytes of IO_WORKITEM storage kpool needs (its own
 *  choice; the record is kept out of band). */
#define KP_WORKITEM_SIZE 0x60u

/** WORK_QUEUE_TYPE values. */
#define KP_WORK_QUEUE_CRITICAL 0u
#define KP_WORK_QUEUE_DELAYED 1u
#define KP_WORK_QUEUE_HYPER_CRITICAL 2u
#define KP_WORK_QUEUE_NORMAL 3u
#define KP_WORK_QUEUE_BACKGROUND 4u
#define KP_WORK_QUEUE_REAL_TIME 5u
#define KP_WORK_QUEUE_SUPER_CRITICAL 6u
#define KP_WORK_QUEUE_MAXIMUM 7u
#define KP_WORK_QUEUE_CUSTOM_PRIORITY 32u

/** IO_WORKITEM_ROUTINE. */
typedef void (*kp_workitem_fn)(void *io_object, void *context);
/** IO_WORKITEM_ROUTINE_EX. */
typedef void (*kp_workitem_ex_fn)(void *io_object, void *context, void *item);
/** WORKER_THREAD_ROUTINE (ExQueueWorkItem). */
typedef void (*kp_worker_fn)(void *parameter);

/** IoAllocateWorkItem: an item of KP_WORKITEM_SIZE bytes bound to
 *  @p io_object; NULL when @p io_object is NULL (kpool's choice) or the host
 *  is out of memory. */
KP_API void *kp_workitem_alloc(kp_system_t *sys, void *io_object,
                               kp_site_t site);
/** IoFreeWorkItem (items from kp_workitem_alloc). */
KP_API void kp_workitem_free(kp_system_t *sys, void *item, kp_site_t site);
/** IoInitializeWorkItem: @p item is caller storage of KP_WORKITEM_SIZE. */
KP_API void kp_workitem_init(kp_system_t *sys, void *item, void *io_object,
                             kp_site_t site);
/** IoUninitializeWorkItem. */
KP_API void kp_workitem_uninit(kp_system_t *sys, void *item, kp_site_t site);
/** IoQueueWorkItem. */
KP_API void kp_workitem_queue(kp_system_t *sys, void *item, kp_workitem_fn fn,
                              uint32_t queue_type, void *context,
                              kp_site_t site);
/** IoQueueWorkItemEx. */
KP_API void kp_workitem_queue_ex(kp_system_t *sys, void *item,
                                 kp_workitem_ex_fn fn, uint32_t queue_type,
                                 void *context, kp_site_t site);
/** ExQueueWorkItem: @p item is the WORK_QUEUE_ITEM (its address only);
 *  @p fn(@p parameter) owns the item. */
KP_API void kp_workitem_queue_plain(kp_system_t *sys, void *item,
                                    kp_worker_fn fn, void *parameter,
                                    uint32_t queue_type, kp_site_t site);
/** Waits until no item is queued or running. Returns at once when called
 *  from a work item routine. Thread-safe. */
KP_API void kp_workitem_wait_idle(kp_system_t *sys);
/** Items queued or running now. */
KP_API uint32_t kp_workitem_pending(kp_system_t *sys);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WORKITEM_H */
