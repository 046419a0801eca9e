/*
 * kp_sync.h — what the lock modules share (src/ke, src/ex, src/vf): the
 * report helpers, the per-thread APC-disable counters, the per-thread list
 * of held locks and the hooks of Driver Verifier's deadlock detection
 * (src/vf/deadlock.c), and the process-wide wait channel blocking locks
 * sleep on.
 */
#ifndef KPOOL_SRC_KE_KP_SYNC_H
#define KPOOL_SRC_KE_KP_SYNC_H

#include "ke/kp_ke.h"

#if defined(__GNUC__) || defined(__clang__)
#define KPI_CALLER() __builtin_return_address(0)
#else
#define KPI_CALLER() NULL
#endif

/* Contended spin waits spin this many times before yielding the host CPU. */
#define KPI_SPINS_BEFORE_YIELD 32

/* ---------------------------------------------------------------------------
 * Reports (irql.c).
 * ------------------------------------------------------------------------- */
/* "DISPATCH_LEVEL", ... */
const char *kpi_irql_name(unsigned irql);
/* Raises a bug check on the current system with @site as "this call".
 * Never call with a simulator lock held. */
void kpi_sync_bugcheck(uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3,
                       uint64_t p4, kp_site_t site, const char *fmt, ...)
    KP_PRINTF(7, 8);
/* 0xC4 with P1 = @sub. */
void kpi_sync_c4(uint64_t sub, uint64_t p2, uint64_t p3, uint64_t p4,
                 kp_site_t site, const char *fmt, ...) KP_PRINTF(6, 7);
/* True when the current system runs the verifier's automatic checks (or
 * there is no system yet). */
bool kpi_sync_verifier(void);
/* True when the current system has deadlock detection on. */
bool kpi_sync_deadlock_on(void);
/* NULL or misaligned lock object: 0xC4 / 0xE1; false when raised. */
bool kpi_sync_object_ok(const void *obj, size_t align, kp_site_t site,
                        const char *api);

/* Recursive acquisition of a non-recursive lock: 0xC4 / 0x1000, P2 = @obj;
 * the report names where the thread acquired it. */
void kpi_sync_self_deadlock(const void *obj, kp_site_t site, const char *api,
                            const char *kind);
/* Release by a thread whose kp_thread_id() is not @holder: 0xC4 / 0x1007
 * (@holder 0) or 0x1004 (P3 @holder, P4 the caller); false when raised. */
bool kpi_sync_release_owner_ok(const void *obj, uint64_t holder,
                               kp_site_t site, const char *api,
                               const char *kind);

/* A pointer-sized identity of the calling thread (the address of its
 * kpool state): FAST_MUTEX.Owner and ERESOURCE_THREAD values. */
static inline uintptr_t kpi_thread_token(void) {
  return (uintptr_t)kpi_thread();
}

/* ---------------------------------------------------------------------------
 * APC-disable counters of the calling thread (apc.c). Both count down from
 * 0 as Windows' KernelApcDisable / SpecialApcDisable do.
 * ------------------------------------------------------------------------- */
typedef struct kpi_apc_state {
  int16_t kernel_apc_disable;   /* critical regions (KeEnterCriticalRegion) */
  int16_t special_apc_disable;  /* guarded regions (KeEnterGuardedRegion) */
} kpi_apc_state_t;

kpi_apc_state_t *kpi_apc_state(void);
/* CombinedApcDisable = (SpecialApcDisable << 16) | KernelApcDisable, as
 * the 32-bit value Windows reports in bug check parameters. */
uint32_t kpi_apc_combined(void);
/* Normal kernel APCs are off: a critical or guarded region, or IRQL >=
 * APC_LEVEL (what the resource and push lock checks ask). */
bool kpi_normal_apcs_off(void);
/* Region changes without any check (for implicit regions of locks). */
void kpi_guarded_enter_raw(void);
void kpi_guarded_leave_raw(void);
void kpi_critical_enter_raw(void);
void kpi_critical_leave_raw(void);

/* ---------------------------------------------------------------------------
 * Lock kinds, held locks and deadlock detection (src/vf/deadlock.c).
 * ------------------------------------------------------------------------- */
typedef enum kpi_lock_kind {
  KPI_LOCK_SPIN = 1,         /* KSPIN_LOCK, ordinary routines */
  KPI_LOCK_QUEUED_SPIN = 2,  /* KSPIN_LOCK, in-stack queued routines */
  KPI_LOCK_EX_SPIN = 3,      /* EX_SPIN_LOCK */
  KPI_LOCK_FAST_MUTEX = 4,
  KPI_LOCK_GUARDED_MUTEX = 5,
  KPI_LOCK_RESOURCE = 6,     /* ERESOURCE */
  KPI_LOCK_PUSH_LOCK = 7,
  KPI_LOCK_INTERLOCKED = 8   /* the spin lock of an ExInterlocked routine */
} kpi_lock_kind_t;

const char *kpi_lock_kind_name(kpi_lock_kind_t kind);

/* One lock the calling thread holds. */
typedef struct kpi_held {
  const void *lock;
  uint8_t kind;              /* kpi_lock_kind_t */
  uint8_t shared;            /* held shared (resources, push locks, EX_SPIN_LOCK) */
  uint8_t raised_to;         /* IRQL the acquire raised to (spin locks) */
  uint32_t count;            /* recursive acquisitions (resources) */
  kp_site_t site;            /* where it was (first) acquired */
} kpi_held_t;

/* The calling thread's entry for @lock, or NULL. */
kpi_held_t *kpi_held_find(const void *lock);
/* Forgets the calling thread's held list (kp_sync_thread_reset). */
void kpi_held_reset(void);
/* Number of locks the calling thread holds. */
uint32_t kpi_held_count(void);

/* Before a (possibly waiting) acquisition of @lock: with deadlock
 * detection on, checks that @kind matches the kind @lock was first used
 * with (0xC4/0x1008) and, when @may_wait, that taking @lock while holding
 * the thread's other locks closes no cycle in the lock-order graph
 * (0xC4/0x1001). Returns false after a bug check (the caller abandons the
 * call). */
bool kpi_lock_acquiring(const void *lock, kpi_lock_kind_t kind, bool may_wait,
                        kp_site_t site, const char *api);
/* After @lock was acquired: adds it to the thread's held list (a second
 * hold of a recursively owned lock only counts up) and, with deadlock
 * detection, the order edges from every lock held. */
void kpi_lock_acquired(const void *lock, kpi_lock_kind_t kind, bool shared,
                       kp_site_t site);
/* A release by the calling thread: drops one hold; copies the entry to
 * @out (may be NULL) first. False when the thread does not hold @lock. */
bool kpi_lock_released(const void *lock, kpi_held_t *out);
/* Release-kind check (0xC4/0x1009) with deadlock detection: false after a
 * bug check. */
bool kpi_lock_release_kind_ok(const void *lock, kpi_lock_kind_t kind,
                              kp_site_t site, const char *api);
/* (Re)initialisation or deletion of @lock: forgets its node and edges. */
void kpi_lock_forget(const void *lock);

/* ---------------------------------------------------------------------------
 * The wait channel (waitq.c): one host mutex and condition variable for
 * the whole process. A waiter locks, re-checks its condition, sleeps; a
 * releaser changes the lock word, then wakes everyone under the mutex.
 * ------------------------------------------------------------------------- */
void kpi_waitq_lock(void);
void kpi_waitq_unlock(void);
void kpi_waitq_sleep(void);           /* with the channel locked */
void kpi_waitq_wake_all(void);        /* locks, broadcasts, unlocks */
void kpi_waitq_broadcast_locked(void);/* with the channel locked */

#endif /* KPOOL_SRC_KE_KP_SYNC_H */
