/*
 * kp_sanitizer.h — tells AddressSanitizer and Valgrind Memcheck which pool
 * bytes a driver may touch, so that the tools the user already runs report
 * a driver's overflow or use after free in pool memory themselves.
 *
 * - Built with ASan (__SANITIZE_ADDRESS__, or __has_feature(address_
 *   sanitizer) on clang): headers, canaries, quarantined blocks, free-list
 *   memory, special-pool pattern bytes and lookaside-cached entries are
 *   poisoned with __asan_poison_memory_region; ASan then reports
 *   "use-after-poison" at the faulting instruction.
 * - Built with KP_HAVE_VALGRIND (src/CMakeLists.txt defines it when
 *   <valgrind/memcheck.h> exists and KPOOL_VALGRIND is on): each arena is a
 *   Memcheck mempool (VALGRIND_CREATE_MEMPOOL); live blocks are
 *   VALGRIND_MEMPOOL_ALLOC chunks, freed ones VALGRIND_MEMPOOL_FREE; the
 *   bytes kpool keeps for itself are VALGRIND_MAKE_MEM_NOACCESS. The client
 *   requests cost a few instructions when the program does not run under
 *   Valgrind.
 * - Otherwise every function here is an empty inline and compiles away.
 *
 * Everything is gated at run time by kp_config_t::sanitizer_poisoning (on by
 * default): tests that overrun into canaries on purpose, to see kpool's own
 * bug check, turn it off so that the tool does not stop them first.
 *
 * Rules for kpool code (pool.c, special.c, the lookaside module):
 * - Memory kpool itself reads or writes while it is poisoned must be
 *   unpoisoned first (kpi_san_unpoison) and poisoned again after, under
 *   the lock that owns it.
 * - Before an arena is released, kpi_san_release() clears its shadow, so
 *   the next mapping at that address does not inherit stale poison.
 * - Lookaside lists call kpi_san_poison() on an entry when they cache it
 *   and kpi_san_unpoison() (or _undefined) before they hand it out or read
 *   the link stored in it.
 */
#ifndef KPOOL_SRC_KP_SANITIZER_H
#define KPOOL_SRC_KP_SANITIZER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "kp_types.h"

#if defined(__SANITIZE_ADDRESS__)
#define KPI_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KPI_HAVE_ASAN 1
#endif
#endif

#if defined(KPI_HAVE_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(KP_HAVE_VALGRIND)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

/* 1 when this build can tell a tool anything (ASan compiled in, or the
 * Valgrind headers were found); pool.c skips the bookkeeping otherwise. */
#if defined(KPI_HAVE_ASAN) || defined(KP_HAVE_VALGRIND)
#define KPI_SAN_BUILD 1
#else
#define KPI_SAN_BUILD 0
#endif

/* True when the process runs under Valgrind. Asked once per translation
 * unit and remembered: the question is itself a client request, and a
 * build with the Valgrind headers but no Valgrind should not pay for the
 * descriptions (about 10 cycles each, a dozen per allocation and free). */
static inline bool kpi_san_valgrind(void) {
#if defined(KP_HAVE_VALGRIND)
  static atomic_int cached = -1;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v < 0) {
    v = RUNNING_ON_VALGRIND ? 1 : 0;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v != 0;
#else
  return false;
#endif
}

/* True when @sys wants its memory described to a tool that is there. */
static inline bool kpi_san_on(const kp_system_t *sys) {
  if (!KPI_SAN_BUILD || sys == NULL || !sys->cfg.sanitizer_poisoning) return false;
#if defined(KPI_HAVE_ASAN)
  return true;
#else
  return kpi_san_valgrind();
#endif
}

/* [p, p+n) belongs to kpool, not to the driver: any access is reported. */
static inline void kpi_san_poison(const kp_system_t *sys, const void *p,
                                  size_t n) {
  if (!kpi_san_on(sys) || n == 0) return;
#if defined(KPI_HAVE_ASAN)
  __asan_poison_memory_region(p, n);
#endif
#if defined(KP_HAVE_VALGRIND)
  (void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
  (void)p;
}

/* [p, p+n) may be accessed and holds defined bytes (kpool wrote them). */
static inline void kpi_san_unpoison(const kp_system_t *sys, const void *p,
                                    size_t n) {
  if (!kpi_san_on(sys) || n == 0) return;
#if defined(KPI_HAVE_ASAN)
  __asan_unpoison_memory_region(p, n);
#endif
#if defined(KP_HAVE_VALGRIND)
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
  (void)p;
}

/* [p, p+n) may be accessed but its contents mean nothing (a lookaside
 * entry handed out again: the driver must initialise it). */
static inline void kpi_san_unpoison_undefined(const kp_system_t *sys,
                                              const void *p, size_t n) {
  if (!kpi_san_on(sys) || n == 0) return;
#if defined(KPI_HAVE_ASAN)
  __asan_unpoison_memory_region(p, n);
#endif
#if defined(KP_HAVE_VALGRIND)
  (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
  (void)p;
}

/* Clears all poison over [p, p+n) before the range is unmapped. Runs
 * whatever the knob says: a system may be destroyed after a test changed
 * nothing, and stale ASan shadow would outlive the mapping. */
static inline void kpi_san_release(const void *p, size_t n) {
  if (n == 0) return;
#if defined(KPI_HAVE_ASAN)
  __asan_unpoison_memory_region(p, n);
#endif
#if defined(KP_HAVE_VALGRIND)
  (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
  (void)p;
}

/* True when ASan reports [p, p+n) as poisoned somewhere (tests). */
static inline bool kpi_san_is_poisoned(const void *p, size_t n) {
#if defined(KPI_HAVE_ASAN)
  return __asan_region_is_poisoned((void *)(uintptr_t)p, n) != NULL;
#else
  (void)p;
  (void)n;
  return false;
#endif
}

/* ---------------------------------------------------------------------------
 * Valgrind mempools: one per arena, anchored at the arena's own struct.
 * ------------------------------------------------------------------------- */
/* Create and destroy run whatever the knob says: a pool with no chunks
 * costs Memcheck nothing, and the knob only decides whether chunks are
 * described. */
static inline void kpi_san_pool_create(const void *anchor) {
#if defined(KP_HAVE_VALGRIND)
  VALGRIND_CREATE_MEMPOOL(anchor, 0, 0);
#endif
  (void)anchor;
}

static inline void kpi_san_pool_destroy(const void *anchor) {
#if defined(KP_HAVE_VALGRIND)
  VALGRIND_DESTROY_MEMPOOL(anchor);
#endif
  (void)anchor;
}

/* A block of @n bytes at @p goes to the driver (contents defined after). */
static inline void kpi_san_pool_alloc(const kp_system_t *sys,
                                      const void *anchor, const void *p,
                                      size_t n) {
  if (!kpi_san_on(sys)) return;
#if defined(KPI_HAVE_ASAN)
  __asan_unpoison_memory_region(p, n);
#endif
#if defined(KP_HAVE_VALGRIND)
  VALGRIND_MEMPOOL_ALLOC(anchor, p, n);
#endif
  (void)anchor;
  (void)p;
  (void)n;
}

/* The block at @p (@n bytes) goes back to kpool: no access from now on. */
static inline void kpi_san_pool_free(const kp_system_t *sys,
                                     const void *anchor, const void *p,
                                     size_t n) {
  if (!kpi_san_on(sys)) return;
#if defined(KP_HAVE_VALGRIND)
  VALGRIND_MEMPOOL_FREE(anchor, p);
#endif
#if defined(KPI_HAVE_ASAN)
  __asan_poison_memory_region(p, n);
#endif
  (void)anchor;
  (void)p;
  (void)n;
}

#endif /* KPOOL_SRC_KP_SANITIZER_H */
