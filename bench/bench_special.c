/*
 * bench_special.c — what Driver Verifier's features cost, in the same run as
 * their floors.
 *
 * 1. Special pool allocate + free (kp_alloc2 + kp_free with
 *    KP_VERIFY_SPECIAL_POOL: a data page made accessible and filled with the
 *    pattern, the block placed against the guard page; at free the pattern
 *    checked, the page made inaccessible and discarded, and queued in the
 *    freed-page FIFO) against a bare guard-page allocation of the same pages:
 *    mmap of two inaccessible pages, mprotect of the first to read/write, a
 *    write of the block, munmap. No guard-page allocator can do less than
 *    that floor. Also shown: the normal pool, for scale.
 * 2. Fault injection when it is off: kp_alloc2 + kp_free of 64 bytes on a
 *    system without the verifier module (the default), with the module
 *    registered but no mode on (kp_fault_set_nth(sys, 0, 0)), with random
 *    simulation on at probability 0 (every request takes the decision
 *    path and its lock), and with systematic simulation after every site
 *    has failed once (the site lookup on every call); and, for scale, the
 *    default system with kp_config_t::sanitizer_poisoning off (what the
 *    ASan/Valgrind descriptions cost in this build).
 *
 * Every thread-free loop keeps a ring of BENCH_LIVE blocks: each operation
 * frees the oldest and allocates a new one. Each figure is the best of
 * BENCH_ROUNDS rounds (the machine may be shared).
 *
 * Run from a build without sanitizers:
 *   cmake --preset release && cmake --build --preset release
 *   ./build/release/bench/bench_special
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS next to _POSIX_C_SOURCE */
#endif
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kpool/kpool.h>

#include "bench_common.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif

#define BENCH_LIVE 8u
#define BENCH_ROUNDS 3u
#define BENCH_SPECIAL_OPS 100000u
#define BENCH_FAULT_OPS 1000000u
#define BENCH_TAG KP_TAG('B', 'n', 'c', 'h')

static void quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static kp_system_t *make_system_ex(uint32_t extra_flags, bool poisoning) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  cfg.verifier_flags |= extra_flags;
  cfg.sanitizer_poisoning = poisoning;
  cfg.lrs_probability = 0;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) {
    fprintf(stderr, "bench_special: kp_system_create failed\n");
    exit(1);
  }
  return sys;
}

static kp_system_t *make_system(uint32_t extra_flags) {
  return make_system_ex(extra_flags, true);
}

/* ns per alloc+free pair with kpool, ring of BENCH_LIVE blocks. */
static double run_kpool(kp_system_t *sys, size_t size, unsigned ops) {
  void *ring[BENCH_LIVE] = {0};
  double best = 0.0;
  for (unsigned round = 0; round < BENCH_ROUNDS; round++) {
    uint64_t t0 = bench_now_ns();
    for (unsigned i = 0; i < ops; i++) {
      unsigned k = i % BENCH_LIVE;
      if (ring[k] != NULL) kp_free(sys, ring[k], BENCH_TAG, KP_NOSITE);
      ring[k] = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, size, BENCH_TAG,
                          kp_site("bench_special.c", 1, NULL));
      bench_do_not_optimize(ring[k]);
    }
    uint64_t t1 = bench_now_ns();
    double per = (double)(t1 - t0) / ops;
    if (round == 0 || per < best) best = per;
  }
  for (unsigned k = 0; k < BENCH_LIVE; k++)
    if (ring[k] != NULL) kp_free(sys, ring[k], BENCH_TAG, KP_NOSITE);
  return best;
}

/* The floor: two pages reserved inaccessible, the first opened, the block
 * written against the guard, unmapped at "free". */
static double run_mmap_floor(size_t size, unsigned ops) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  void *ring[BENCH_LIVE] = {0};
  double best = 0.0;
  for (unsigned round = 0; round < BENCH_ROUNDS; round++) {
    uint64_t t0 = bench_now_ns();
    for (unsigned i = 0; i < ops; i++) {
      unsigned k = i % BENCH_LIVE;
      if (ring[k] != NULL) munmap(ring[k], 2 * page);
      void *p = mmap(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED || mprotect(p, page, PROT_READ | PROT_WRITE) != 0) {
        fprintf(stderr, "bench_special: mmap/mprotect failed\n");
        exit(1);
      }
      memset((char *)p + page - size, 0, size);
      ring[k] = p;
      bench_do_not_optimize(p);
    }
    uint64_t t1 = bench_now_ns();
    double per = (double)(t1 - t0) / ops;
    if (round == 0 || per < best) best = per;
  }
  for (unsigned k = 0; k < BENCH_LIVE; k++)
    if (ring[k] != NULL) munmap(ring[k], 2 * page);
  return best;
}

static void bench_special_pool(void) {
  static const size_t sizes[] = {64, 1024, 4080};
  kp_system_t *special = make_system(KP_VERIFY_SPECIAL_POOL);
  kp_system_t *normal = make_system(0);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t size = sizes[i];
    char name[128];
    snprintf(name, sizeof name, "special pool kp_alloc2+kp_free %zu B", size);
    double sp = run_kpool(special, size, BENCH_SPECIAL_OPS);
    printf("%s: %.1f ns/op\n", name, sp);
    snprintf(name, sizeof name, "mmap+mprotect+munmap (2 pages) %zu B", size);
    double floor = run_mmap_floor(size, BENCH_SPECIAL_OPS);
    printf("%s: %.1f ns/op\n", name, floor);
    snprintf(name, sizeof name, "normal pool kp_alloc2+kp_free %zu B", size);
    double np = run_kpool(normal, size, BENCH_SPECIAL_OPS);
    printf("%s: %.1f ns/op\n", name, np);
    snprintf(name, sizeof name, "ratio special/mmap-floor %zu B", size);
    bench_report_ratio(name, sp, floor);
    snprintf(name, sizeof name, "ratio special/normal %zu B", size);
    bench_report_ratio(name, sp, np);
  }
  kp_verifier_counters_t c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  if (kp_verifier_counters_get(special, &c))
    printf("special pool: %llu of %llu allocations served, %llu fell back\n",
           (unsigned long long)c.allocations_succeeded_special,
           (unsigned long long)c.special_eligible,
           (unsigned long long)c.special_fallbacks);
  kp_system_destroy(special);
  kp_system_destroy(normal);
}

static void bench_fault_off(void) {
  kp_system_t *plain = make_system(0);
  kp_system_t *idle = make_system(0);
  if (kp_fault_set_nth(idle, 0, 0) != KP_STATUS_SUCCESS) exit(1);
  kp_system_t *random0 = make_system(KP_VERIFY_LOW_RESOURCES);
  kp_system_t *systematic = make_system(KP_VERIFY_SYSTEMATIC_LRS);
  // Fail the one site once, before measuring: from then on every call is
  // a lookup that says "already failed".
  void *p = kp_alloc2(systematic, KP_POOL_FLAG_NON_PAGED, 64, BENCH_TAG,
                      kp_site("bench_special.c", 1, NULL));
  if (p != NULL) kp_free(systematic, p, BENCH_TAG, KP_NOSITE);

  double base = run_kpool(plain, 64, BENCH_FAULT_OPS);
  double off = run_kpool(idle, 64, BENCH_FAULT_OPS);
  double zero = run_kpool(random0, 64, BENCH_FAULT_OPS);
  double sys = run_kpool(systematic, 64, BENCH_FAULT_OPS);
  printf("kp_alloc2+kp_free 64 B, no verifier module: %.1f ns/op\n", base);
  printf("kp_alloc2+kp_free 64 B, fault module registered, all modes off: %.1f ns/op\n", off);
  printf("kp_alloc2+kp_free 64 B, random simulation at probability 0: %.1f ns/op\n", zero);
  printf("kp_alloc2+kp_free 64 B, systematic, site already failed: %.1f ns/op\n", sys);
  bench_report_ratio("ratio fault-module-off/no-module", off, base);
  bench_report_ratio("ratio random-p0/no-module", zero, base);
  bench_report_ratio("ratio systematic-steady/no-module", sys, base);
  // What describing memory to ASan/Valgrind costs in this build (client
  // requests are a few instructions when not under Valgrind; nothing at
  // all without either tool's headers).
  kp_system_t *unpoisoned = make_system_ex(0, false);
  double raw = run_kpool(unpoisoned, 64, BENCH_FAULT_OPS);
  printf("kp_alloc2+kp_free 64 B, sanitizer_poisoning off: %.1f ns/op\n", raw);
  bench_report_ratio("ratio poisoning-on/poisoning-off", base, raw);
  kp_system_destroy(unpoisoned);
  kp_system_destroy(plain);
  kp_system_destroy(idle);
  kp_system_destroy(random0);
  kp_system_destroy(systematic);
}

int main(void) {
  bench_print_header("bench_special: Driver Verifier costs");
  bench_special_pool();
  bench_fault_off();
  return 0;
}
