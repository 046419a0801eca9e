/**
 * @file kpool/wdk/kp_wdk_interlocked.h
 * @brief WDK face: the Interlocked* family (compiler intrinsics in the WDK)
 *        as static inline functions over the GCC/Clang __atomic builtins,
 *        and the ExInterlocked* routines that take a spin lock.
 *
 * Facts §1. Every function is a real function (not a macro), so its address
 * can be taken and a driver that declares its own prototype of a WDK name
 * still compiles, in C and C++, as long as the prototype matches the WDK
 * signature: the driver's declaration then redeclares kpool's inline
 * function (it inherits its internal linkage). Supported spellings of such
 * a prototype: with or without NTKERNELAPI / NTAPI / FASTCALL, `extern`,
 * inside or outside `extern "C"`. Not supported: a prototype whose types
 * differ from the WDK's (e.g. `long *` for `LONG volatile *`), which does
 * not compile with the real WDK either. With NTKERNELAPI (kpool's export
 * attribute) such a prototype adds an attribute after the inline
 * definition, which clang reports as -Wignored-attributes; this header
 * switches that warning off for the rest of the including file under
 * clang (gcc does not warn), as wdm.h does for multi-character tags.
 *
 * Memory order (facts §1.1): the plain forms are full barriers
 * (__ATOMIC_SEQ_CST), `...Acquire` acquire, `...Release` release,
 * `...NoFence` relaxed. Every spelling exists, including the ones the x64
 * WDK lacks (InterlockedExchangeRelease) so ARM64-targeted sources compile;
 * the 8/16/64-bit ordered forms are spelled both ways
 * (InterlockedIncrementAcquire64 and InterlockedIncrement64Acquire).
 * Returns: Increment/Decrement/Add give the new value; Exchange,
 * ExchangeAdd, CompareExchange, And, Or, Xor the old one; the bit tests
 * the old bit. Any IRQL; operands must be naturally aligned.
 *
 * InterlockedCompareExchange128 is an exported function (it needs the
 * 16-byte compare-and-swap kpool is built with, -mcx16 on x86-64).
 */
#ifndef KPOOL_WDK_KP_WDK_INTERLOCKED_H
#define KPOOL_WDK_KP_WDK_INTERLOCKED_H

#include "../interlocked.h"

/* See the file comment: no push/pop on purpose, the driver's prototypes
 * come after this header. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wignored-attributes"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** How each intrinsic is defined: a static inline function. */
#define KP_WDK_INTRIN_ static inline

KP_WDK_INTRIN_ CHAR InterlockedExchange8(CHAR volatile *Target, CHAR Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeAcquire8(CHAR volatile *Target, CHAR Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeRelease8(CHAR volatile *Target, CHAR Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeNoFence8(CHAR volatile *Target, CHAR Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ CHAR InterlockedCompareExchange8(CHAR volatile *Destination, CHAR ExChange, CHAR Comperand) {
  CHAR expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

KP_WDK_INTRIN_ CHAR InterlockedCompareExchangeAcquire8(CHAR volatile *Destination, CHAR ExChange, CHAR Comperand) {
  CHAR expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
  return expected;
}

KP_WDK_INTRIN_ CHAR InterlockedCompareExchangeRelease8(CHAR volatile *Destination, CHAR ExChange, CHAR Comperand) {
  CHAR expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ CHAR InterlockedCompareExchangeNoFence8(CHAR volatile *Destination, CHAR ExChange, CHAR Comperand) {
  CHAR expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeAdd8(CHAR volatile *Addend, CHAR Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeAddAcquire8(CHAR volatile *Addend, CHAR Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeAddRelease8(CHAR volatile *Addend, CHAR Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ CHAR InterlockedExchangeAddNoFence8(CHAR volatile *Addend, CHAR Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ CHAR InterlockedAnd8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ CHAR InterlockedAndAcquire8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ CHAR InterlockedAndRelease8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ CHAR InterlockedAndNoFence8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ CHAR InterlockedOr8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ CHAR InterlockedOrAcquire8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ CHAR InterlockedOrRelease8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ CHAR InterlockedOrNoFence8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ CHAR InterlockedXor8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ CHAR InterlockedXorAcquire8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ CHAR InterlockedXorRelease8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ CHAR InterlockedXorNoFence8(CHAR volatile *Destination, CHAR Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedExchange16(SHORT volatile *Target, SHORT Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeAcquire16(SHORT volatile *Target, SHORT Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeRelease16(SHORT volatile *Target, SHORT Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeNoFence16(SHORT volatile *Target, SHORT Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedCompareExchange16(SHORT volatile *Destination, SHORT ExChange, SHORT Comperand) {
  SHORT expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

KP_WDK_INTRIN_ SHORT InterlockedCompareExchangeAcquire16(SHORT volatile *Destination, SHORT ExChange, SHORT Comperand) {
  SHORT expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
  return expected;
}

KP_WDK_INTRIN_ SHORT InterlockedCompareExchangeRelease16(SHORT volatile *Destination, SHORT ExChange, SHORT Comperand) {
  SHORT expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ SHORT InterlockedCompareExchangeNoFence16(SHORT volatile *Destination, SHORT ExChange, SHORT Comperand) {
  SHORT expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeAdd16(SHORT volatile *Addend, SHORT Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeAddAcquire16(SHORT volatile *Addend, SHORT Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeAddRelease16(SHORT volatile *Addend, SHORT Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedExchangeAddNoFence16(SHORT volatile *Addend, SHORT Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedAnd16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedAndAcquire16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedAndRelease16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedAndNoFence16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedOr16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedOrAcquire16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedOrRelease16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedOrNoFence16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedXor16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedXorAcquire16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedXorRelease16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedXorNoFence16(SHORT volatile *Destination, SHORT Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedIncrement16(SHORT volatile *Addend) {
  return __atomic_add_fetch(Addend, (SHORT)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedIncrementAcquire16(SHORT volatile *Addend) {
  return __atomic_add_fetch(Addend, (SHORT)1, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedIncrementRelease16(SHORT volatile *Addend) {
  return __atomic_add_fetch(Addend, (SHORT)1, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedIncrementNoFence16(SHORT volatile *Addend) {
  return __atomic_add_fetch(Addend, (SHORT)1, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ SHORT InterlockedDecrement16(SHORT volatile *Addend) {
  return __atomic_sub_fetch(Addend, (SHORT)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SHORT InterlockedDecrementAcquire16(SHORT volatile *Addend) {
  return __atomic_sub_fetch(Addend, (SHORT)1, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ SHORT InterlockedDecrementRelease16(SHORT volatile *Addend) {
  return __atomic_sub_fetch(Addend, (SHORT)1, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ SHORT InterlockedDecrementNoFence16(SHORT volatile *Addend) {
  return __atomic_sub_fetch(Addend, (SHORT)1, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedExchange(LONG volatile *Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedExchangeAcquire(LONG volatile *Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedExchangeRelease(LONG volatile *Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedExchangeNoFence(LONG volatile *Target, LONG Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedCompareExchange(LONG volatile *Destination, LONG ExChange, LONG Comperand) {
  LONG expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

KP_WDK_INTRIN_ LONG InterlockedCompareExchangeAcquire(LONG volatile *Destination, LONG ExChange, LONG Comperand) {
  LONG expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
  return expected;
}

KP_WDK_INTRIN_ LONG InterlockedCompareExchangeRelease(LONG volatile *Destination, LONG ExChange, LONG Comperand) {
  LONG expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ LONG InterlockedCompareExchangeNoFence(LONG volatile *Destination, LONG ExChange, LONG Comperand) {
  LONG expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedExchangeAddAcquire(LONG volatile *Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedExchangeAddRelease(LONG volatile *Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedExchangeAddNoFence(LONG volatile *Addend, LONG Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedAnd(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedAndAcquire(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedAndRelease(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedAndNoFence(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedOr(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedOrAcquire(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedOrRelease(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedOrNoFence(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedXor(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedXorAcquire(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedXorRelease(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedXorNoFence(LONG volatile *Destination, LONG Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedIncrement(LONG volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedIncrementAcquire(LONG volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG)1, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedIncrementRelease(LONG volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG)1, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedIncrementNoFence(LONG volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG)1, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedDecrement(LONG volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedDecrementAcquire(LONG volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG)1, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedDecrementRelease(LONG volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG)1, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedDecrementNoFence(LONG volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG)1, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG InterlockedAdd(LONG volatile *Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG InterlockedAddAcquire(LONG volatile *Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG InterlockedAddRelease(LONG volatile *Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG InterlockedAddNoFence(LONG volatile *Addend, LONG Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchange64(LONG64 volatile *Target, LONG64 Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeAcquire64(LONG64 volatile *Target, LONG64 Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeRelease64(LONG64 volatile *Target, LONG64 Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeNoFence64(LONG64 volatile *Target, LONG64 Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination, LONG64 ExChange, LONG64 Comperand) {
  LONG64 expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

KP_WDK_INTRIN_ LONG64 InterlockedCompareExchangeAcquire64(LONG64 volatile *Destination, LONG64 ExChange, LONG64 Comperand) {
  LONG64 expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
  return expected;
}

KP_WDK_INTRIN_ LONG64 InterlockedCompareExchangeRelease64(LONG64 volatile *Destination, LONG64 ExChange, LONG64 Comperand) {
  LONG64 expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ LONG64 InterlockedCompareExchangeNoFence64(LONG64 volatile *Destination, LONG64 ExChange, LONG64 Comperand) {
  LONG64 expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeAddAcquire64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeAddRelease64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedExchangeAddNoFence64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedAndAcquire64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedAndRelease64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedAndNoFence64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_and(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedOr64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedOrAcquire64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedOrRelease64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedOrNoFence64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_or(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedXor64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedXorAcquire64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedXorRelease64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedXorNoFence64(LONG64 volatile *Destination, LONG64 Value) {
  return __atomic_fetch_xor(Destination, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedIncrement64(LONG64 volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG64)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedIncrementAcquire64(LONG64 volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG64)1, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedIncrementRelease64(LONG64 volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG64)1, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedIncrementNoFence64(LONG64 volatile *Addend) {
  return __atomic_add_fetch(Addend, (LONG64)1, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedDecrement64(LONG64 volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG64)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedDecrementAcquire64(LONG64 volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG64)1, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedDecrementRelease64(LONG64 volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG64)1, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedDecrementNoFence64(LONG64 volatile *Addend) {
  return __atomic_sub_fetch(Addend, (LONG64)1, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ LONG64 InterlockedAdd64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ LONG64 InterlockedAddAcquire64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ LONG64 InterlockedAddRelease64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ LONG64 InterlockedAddNoFence64(LONG64 volatile *Addend, LONG64 Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID Exchange, PVOID Comperand) {
  PVOID expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

KP_WDK_INTRIN_ PVOID InterlockedExchangePointerAcquire(PVOID volatile *Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_ACQUIRE);
}

KP_WDK_INTRIN_ PVOID InterlockedCompareExchangePointerAcquire(PVOID volatile *Destination, PVOID Exchange, PVOID Comperand) {
  PVOID expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, Exchange, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);
  return expected;
}

KP_WDK_INTRIN_ PVOID InterlockedExchangePointerRelease(PVOID volatile *Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELEASE);
}

KP_WDK_INTRIN_ PVOID InterlockedCompareExchangePointerRelease(PVOID volatile *Destination, PVOID Exchange, PVOID Comperand) {
  PVOID expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, Exchange, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ PVOID InterlockedExchangePointerNoFence(PVOID volatile *Target, PVOID Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_RELAXED);
}

KP_WDK_INTRIN_ PVOID InterlockedCompareExchangePointerNoFence(PVOID volatile *Destination, PVOID Exchange, PVOID Comperand) {
  PVOID expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, Exchange, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndSet(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_or(Base, bit, __ATOMIC_SEQ_CST) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndReset(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_and(Base, (LONG)~bit, __ATOMIC_SEQ_CST) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndComplement(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_xor(Base, bit, __ATOMIC_SEQ_CST) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndSetAcquire(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_or(Base, bit, __ATOMIC_ACQUIRE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndResetAcquire(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_and(Base, (LONG)~bit, __ATOMIC_ACQUIRE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndComplementAcquire(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_xor(Base, bit, __ATOMIC_ACQUIRE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndSetRelease(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_or(Base, bit, __ATOMIC_RELEASE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndResetRelease(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_and(Base, (LONG)~bit, __ATOMIC_RELEASE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndComplementRelease(LONG volatile *Base, LONG Offset) {
  LONG bit = (LONG)((ULONG64)1 << (Offset & 31));
  return (BOOLEAN)((__atomic_fetch_xor(Base, bit, __ATOMIC_RELEASE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndSet64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_or(Base, bit, __ATOMIC_SEQ_CST) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndReset64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_and(Base, (LONG64)~bit, __ATOMIC_SEQ_CST) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndComplement64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_xor(Base, bit, __ATOMIC_SEQ_CST) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndSetAcquire64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_or(Base, bit, __ATOMIC_ACQUIRE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndResetAcquire64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_and(Base, (LONG64)~bit, __ATOMIC_ACQUIRE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndComplementAcquire64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_xor(Base, bit, __ATOMIC_ACQUIRE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndSetRelease64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_or(Base, bit, __ATOMIC_RELEASE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndResetRelease64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_and(Base, (LONG64)~bit, __ATOMIC_RELEASE) & bit) != 0);
}

KP_WDK_INTRIN_ BOOLEAN InterlockedBitTestAndComplementRelease64(LONG64 volatile *Base, LONG64 Offset) {
  LONG64 bit = (LONG64)((ULONG64)1 << (Offset & 63));
  return (BOOLEAN)((__atomic_fetch_xor(Base, bit, __ATOMIC_RELEASE) & bit) != 0);
}

KP_WDK_INTRIN_ SIZE_T InterlockedIncrementSizeT(SIZE_T volatile *Addend) {
  return __atomic_add_fetch(Addend, (SIZE_T)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SIZE_T InterlockedDecrementSizeT(SIZE_T volatile *Addend) {
  return __atomic_sub_fetch(Addend, (SIZE_T)1, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SIZE_T InterlockedExchangeAddSizeT(SIZE_T volatile *Addend, SIZE_T Value) {
  return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SIZE_T InterlockedAddSizeT(SIZE_T volatile *Addend, SIZE_T Value) {
  return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SIZE_T InterlockedExchangeSizeT(SIZE_T volatile *Target, SIZE_T Value) {
  return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ SIZE_T InterlockedCompareExchangeSizeT(SIZE_T volatile *Destination, SIZE_T ExChange, SIZE_T Comperand) {
  SIZE_T expected = Comperand;
  (void)__atomic_compare_exchange_n(Destination, &expected, ExChange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}

KP_WDK_INTRIN_ KAFFINITY InterlockedAndAffinity(KAFFINITY volatile *Target, KAFFINITY Set) {
  return __atomic_fetch_and(Target, Set, __ATOMIC_SEQ_CST);
}

KP_WDK_INTRIN_ KAFFINITY InterlockedOrAffinity(KAFFINITY volatile *Target, KAFFINITY Set) {
  return __atomic_fetch_or(Target, Set, __ATOMIC_SEQ_CST);
}

/* The 64/8/16-bit forms are also spelled with the order suffix last
 * (InterlockedAnd64Acquire = InterlockedAndAcquire64), as the WDK has both. */
#define InterlockedExchange8Acquire InterlockedExchangeAcquire8
#define InterlockedExchange8Release InterlockedExchangeRelease8
#define InterlockedExchange8NoFence InterlockedExchangeNoFence8
#define InterlockedCompareExchange8Acquire InterlockedCompareExchangeAcquire8
#define InterlockedCompareExchange8Release InterlockedCompareExchangeRelease8
#define InterlockedCompareExchange8NoFence InterlockedCompareExchangeNoFence8
#define InterlockedExchangeAdd8Acquire InterlockedExchangeAddAcquire8
#define InterlockedExchangeAdd8Release InterlockedExchangeAddRelease8
#define InterlockedExchangeAdd8NoFence InterlockedExchangeAddNoFence8
#define InterlockedAnd8Acquire InterlockedAndAcquire8
#define InterlockedAnd8Release InterlockedAndRelease8
#define InterlockedAnd8NoFence InterlockedAndNoFence8
#define InterlockedOr8Acquire InterlockedOrAcquire8
#define InterlockedOr8Release InterlockedOrRelease8
#define InterlockedOr8NoFence InterlockedOrNoFence8
#define InterlockedXor8Acquire InterlockedXorAcquire8
#define InterlockedXor8Release InterlockedXorRelease8
#define InterlockedXor8NoFence InterlockedXorNoFence8
#define InterlockedExchange16Acquire InterlockedExchangeAcquire16
#define InterlockedExchange16Release InterlockedExchangeRelease16
#define InterlockedExchange16NoFence InterlockedExchangeNoFence16
#define InterlockedCompareExchange16Acquire InterlockedCompareExchangeAcquire16
#define InterlockedCompareExchange16Release InterlockedCompareExchangeRelease16
#define InterlockedCompareExchange16NoFence InterlockedCompareExchangeNoFence16
#define InterlockedExchangeAdd16Acquire InterlockedExchangeAddAcquire16
#define InterlockedExchangeAdd16Release InterlockedExchangeAddRelease16
#define InterlockedExchangeAdd16NoFence InterlockedExchangeAddNoFence16
#define InterlockedAnd16Acquire InterlockedAndAcquire16
#define InterlockedAnd16Release InterlockedAndRelease16
#define InterlockedAnd16NoFence InterlockedAndNoFence16
#define InterlockedOr16Acquire InterlockedOrAcquire16
#define InterlockedOr16Release InterlockedOrRelease16
#define InterlockedOr16NoFence InterlockedOrNoFence16
#define InterlockedXor16Acquire InterlockedXorAcquire16
#define InterlockedXor16Release InterlockedXorRelease16
#define InterlockedXor16NoFence InterlockedXorNoFence16
#define InterlockedIncrement16Acquire InterlockedIncrementAcquire16
#define InterlockedIncrement16Release InterlockedIncrementRelease16
#define InterlockedIncrement16NoFence InterlockedIncrementNoFence16
#define InterlockedDecrement16Acquire InterlockedDecrementAcquire16
#define InterlockedDecrement16Release InterlockedDecrementRelease16
#define InterlockedDecrement16NoFence InterlockedDecrementNoFence16
#define InterlockedExchange64Acquire InterlockedExchangeAcquire64
#define InterlockedExchange64Release InterlockedExchangeRelease64
#define InterlockedExchange64NoFence InterlockedExchangeNoFence64
#define InterlockedCompareExchange64Acquire InterlockedCompareExchangeAcquire64
#define InterlockedCompareExchange64Release InterlockedCompareExchangeRelease64
#define InterlockedCompareExchange64NoFence InterlockedCompareExchangeNoFence64
#define InterlockedExchangeAdd64Acquire InterlockedExchangeAddAcquire64
#define InterlockedExchangeAdd64Release InterlockedExchangeAddRelease64
#define InterlockedExchangeAdd64NoFence InterlockedExchangeAddNoFence64
#define InterlockedAnd64Acquire InterlockedAndAcquire64
#define InterlockedAnd64Release InterlockedAndRelease64
#define InterlockedAnd64NoFence InterlockedAndNoFence64
#define InterlockedOr64Acquire InterlockedOrAcquire64
#define InterlockedOr64Release InterlockedOrRelease64
#define InterlockedOr64NoFence InterlockedOrNoFence64
#define InterlockedXor64Acquire InterlockedXorAcquire64
#define InterlockedXor64Release InterlockedXorRelease64
#define InterlockedXor64NoFence InterlockedXorNoFence64
#define InterlockedIncrement64Acquire InterlockedIncrementAcquire64
#define InterlockedIncrement64Release InterlockedIncrementRelease64
#define InterlockedIncrement64NoFence InterlockedIncrementNoFence64
#define InterlockedDecrement64Acquire InterlockedDecrementAcquire64
#define InterlockedDecrement64Release InterlockedDecrementRelease64
#define InterlockedDecrement64NoFence InterlockedDecrementNoFence64
#define InterlockedAdd64Acquire InterlockedAddAcquire64
#define InterlockedAdd64Release InterlockedAddRelease64
#define InterlockedAdd64NoFence InterlockedAddNoFence64

/** InterlockedCompareExchange128 (x64): compares the 16 bytes at
 *  @p Destination (16-byte aligned) with *@p ComparandResult (low quad
 *  first); if equal stores ExchangeLow/ExchangeHigh. ComparandResult always
 *  receives the original. Returns 1 if equal. Maps to kp_interlocked_cas128. */
NTKERNELAPI BOOLEAN InterlockedCompareExchange128(LONG64 volatile *Destination,
                                                  LONG64 ExchangeHigh,
                                                  LONG64 ExchangeLow,
                                                  LONG64 *ComparandResult);

/* ---------------------------------------------------------------------------
 * Spin-lock based ExInterlocked routines (facts §1.2; kpool/interlocked.h).
 * Callable at any IRQL: each takes @p Lock at HIGH_LEVEL ("interrupts
 * disabled") for the operation. Use the lock with these routines only.
 * ------------------------------------------------------------------------- */
/** ExInterlockedAddUlong: returns the original value. */
NTKERNELAPI ULONG FASTCALL ExInterlockedAddUlong(PULONG Addend, ULONG Increment,
                                                 PKSPIN_LOCK Lock);
/** ExInterlockedAddLargeInteger: returns the original value. */
NTKERNELAPI LARGE_INTEGER NTAPI ExInterlockedAddLargeInteger(
    PLARGE_INTEGER Addend, LARGE_INTEGER Increment, PKSPIN_LOCK Lock);
/** ExInterlockedInsertHeadList: the old first entry, or NULL if empty. */
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedInsertHeadList(
    PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
/** ExInterlockedInsertTailList: the old last entry, or NULL if empty. */
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedInsertTailList(
    PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
/** ExInterlockedRemoveHeadList: the removed entry, or NULL if empty. */
NTKERNELAPI PLIST_ENTRY FASTCALL ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead,
                                                             PKSPIN_LOCK Lock);
/** ExInterlockedPushEntryList: the old first entry or NULL. */
NTKERNELAPI PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPushEntryList(
    PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock);
/** ExInterlockedPopEntryList: the removed entry or NULL. */
NTKERNELAPI PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPopEntryList(
    PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock);

/** ExInterlockedAddLargeStatistic (macro, no lock): adds Increment to
 *  Addend->QuadPart with InterlockedAddNoFence64, as the non-x86 WDK. */
#define ExInterlockedAddLargeStatistic(Addend, Increment)                      \
  ((void)InterlockedAddNoFence64(&(Addend)->QuadPart, (LONG64)(Increment)))
/** ExInterlockedCompareExchange64 (macro): on x64 the Lock is ignored. */
#define ExInterlockedCompareExchange64(Destination, Exchange, Comperand, Lock) \
  InterlockedCompareExchange64((Destination), *(Exchange), *(Comperand))

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_INTERLOCKED_H */
