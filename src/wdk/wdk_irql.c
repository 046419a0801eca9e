/*
 * wdk_irql.c — the WDK IRQL, spin lock, fast mutex and processor names over
 * kpool/irql.h. The core keeps the per-thread IRQL and does every check;
 * these functions only convert between the WDK and core types.
 */
#include "kpool/wdk/ntddk.h"

#include "kpool/irql.h"
#include "kpool/system.h"

/* The driver's return address, named by the core's lock reports. */
#if defined(__GNUC__) || defined(__clang__)
#define WDK_NOTE_CALLER() kp_site_next_caller(__builtin_return_address(0))
#else
#define WDK_NOTE_CALLER() ((void)0)
#endif

KIRQL NTAPI KeGetCurrentIrql(VOID) { return kp_irql_get(); }

VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql) {
  WDK_NOTE_CALLER();
  KIRQL old = kp_irql_raise(NewIrql);
  // The WDK writes the old IRQL through the pointer unconditionally; a NULL
  // pointer would fault on Windows, here it only loses the value.
  if (OldIrql != NULL) {
    *OldIrql = old;
  }
}

KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql) { return kp_irql_raise(NewIrql); }

VOID NTAPI KeLowerIrql(KIRQL NewIrql) { kp_irql_lower(NewIrql); }

KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID) {
  WDK_NOTE_CALLER();
  return kp_irql_raise((kp_irql_t)DISPATCH_LEVEL);
}

VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock) {
  kp_spin_lock_init(SpinLock);
}

VOID NTAPI KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql) {
  WDK_NOTE_CALLER();
  KIRQL old = kp_spin_lock_acquire(SpinLock);
  if (OldIrql != NULL) {
    *OldIrql = old;
  }
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) {
  WDK_NOTE_CALLER();
  return kp_spin_lock_acquire(SpinLock);
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql) {
  WDK_NOTE_CALLER();
  kp_spin_lock_release(SpinLock, NewIrql);
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) {
  WDK_NOTE_CALLER();
  kp_spin_lock_acquire_at_dpc(SpinLock);
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) {
  WDK_NOTE_CALLER();
  kp_spin_lock_release_from_dpc(SpinLock);
}

// A NULL FAST_MUTEX pointer must reach the core as NULL (it bug checks
// 0xC4/0xE1), not as the address of a member of a NULL struct.
static kp_fast_mutex_t *core_mutex(PFAST_MUTEX FastMutex) {
  return (kp_fast_mutex_t *)(void *)FastMutex;
}

VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex) {
  WDK_NOTE_CALLER();
  kp_fast_mutex_init(core_mutex(FastMutex));
}

VOID FASTCALL ExAcquireFastMutex(PFAST_MUTEX FastMutex) {
  WDK_NOTE_CALLER();
  kp_fast_mutex_acquire(core_mutex(FastMutex));
}

VOID FASTCALL ExReleaseFastMutex(PFAST_MUTEX FastMutex) {
  WDK_NOTE_CALLER();
  kp_fast_mutex_release(core_mutex(FastMutex));
}

BOOLEAN FASTCALL ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex) {
  WDK_NOTE_CALLER();
  return kp_fast_mutex_try_acquire(core_mutex(FastMutex)) ? TRUE : FALSE;
}

ULONG NTAPI KeGetCurrentProcessorNumber(VOID) {
  return kp_thread_processor();
}

USHORT NTAPI KeGetCurrentNodeNumber(VOID) {
  return (USHORT)kp_thread_node(kp_system_current());
}
