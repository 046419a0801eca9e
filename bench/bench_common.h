/**
 * @file bench/bench_common.h
 * @brief Helpers shared by the benchmarks: a monotonic nanosecond clock,
 *        barriers that keep the compiler from deleting the measured work,
 *        and the report lines.
 *
 * Bench code, not a public header: it uses POSIX clock_gettime
 * (bench/CMakeLists.txt defines _POSIX_C_SOURCE for it).
 *
 * Output format, one figure per line so that scripts can grep it:
 *
 *     ExAllocatePool2+ExFreePoolWithTag 64 B: 41.3 ns/op
 *     malloc+free 64 B: 17.9 ns/op
 *     ratio kpool/malloc 64 B: 2.31x
 */
#ifndef KPOOL_BENCH_BENCH_COMMON_H
#define KPOOL_BENCH_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The build the benchmark was compiled in ("Release", "Debug+ASan/UBSan"). */
#ifndef KP_BENCH_BUILD
#define KP_BENCH_BUILD "unknown"
#endif

/** Nanoseconds from CLOCK_MONOTONIC: for differences only. */
static inline uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/**
 * Compiler barrier: memory accesses are not moved across it and every
 * value stored before it counts as observed. Costs no instruction.
 */
static inline void bench_barrier(void) {
#if defined(__GNUC__) || defined(__clang__)
  __asm__ __volatile__("" ::: "memory");
#endif
}

/**
 * Makes the compiler assume @p p is read (and the memory it points to may be
 * read or written), so an allocation whose result is otherwise unused is
 * not optimised away.
 */
static inline void bench_do_not_optimize(const void *p) {
#if defined(__GNUC__) || defined(__clang__)
  __asm__ __volatile__("" : : "r"(p) : "memory");
#else
  static const void *volatile sink;
  sink = p;
#endif
}

/** Keeps a function out of line (a modelled entry point stays a call). */
#if defined(__GNUC__) || defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline))
#define BENCH_RETURN_ADDRESS() __builtin_return_address(0)
#else
#define BENCH_NOINLINE
#define BENCH_RETURN_ADDRESS() NULL
#endif

/** Prints the build type once, so a Debug or sanitizer figure is not
 *  mistaken for a real one. */
static inline void bench_print_header(const char *title) {
  printf("%s (build: %s)\n", title, KP_BENCH_BUILD);
}

/**
 * Prints "name: X ns/op" for @p ops operations that took @p elapsed_ns in
 * total, and returns X.
 */
static inline double bench_report(const char *name, uint64_t elapsed_ns,
                                  uint64_t ops) {
  double per_op = ops != 0 ? (double)elapsed_ns / (double)ops : 0.0;
  printf("%s: %.1f ns/op\n", name, per_op);
  return per_op;
}

/**
 * Prints "name: R.RRx" with R = @p value / @p baseline (for example kpool
 * ns/op over malloc ns/op), and returns R (0 when @p baseline is 0).
 */
static inline double bench_report_ratio(const char *name, double value,
                                        double baseline) {
  double ratio = baseline > 0.0 ? value / baseline : 0.0;
  printf("%s: %.2fx\n", name, ratio);
  return ratio;
}

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_BENCH_BENCH_COMMON_H */
