/*
 * waitq.c — the process-wide wait channel of the blocking locks (ERESOURCE,
 * push locks, rundown protection): one host mutex and condition variable.
 * Every release wakes every waiter, which re-checks its own lock; simple
 * and race-free (a waiter checks and sleeps under the mutex, a releaser
 * changes the lock word first and broadcasts under the mutex).
 */
#include "ke/kp_sync.h"

static kpi_mutex_t waitq_mutex;
static kpi_cond_t waitq_cond;
static atomic_int waitq_state; /* 0 new, 1 initialising, 2 ready */

static void waitq_init(void) {
  if (atomic_load_explicit(&waitq_state, memory_order_acquire) == 2) return;
  int expected = 0;
  if (atomic_compare_exchange_strong(&waitq_state, &expected, 1)) {
    kpi_mutex_init(&waitq_mutex);
    kpi_cond_init(&waitq_cond);
    atomic_store_explicit(&waitq_state, 2, memory_order_release);
    return;
  }
  while (atomic_load_explicit(&waitq_state, memory_order_acquire) != 2)
    kpi_os_yield();
}

void kpi_waitq_lock(void) {
  waitq_init();
  kpi_mutex_lock(&waitq_mutex);
}
void kpi_waitq_unlock(void) { kpi_mutex_unlock(&waitq_mutex); }
void kpi_waitq_sleep(void) { kpi_cond_wait(&waitq_cond, &waitq_mutex); }
void kpi_waitq_broadcast_locked(void) { kpi_cond_broadcast(&waitq_cond); }
void kpi_waitq_wake_all(void) {
  kpi_waitq_lock();
  kpi_cond_broadcast(&waitq_cond);
  kpi_waitq_unlock();
}
