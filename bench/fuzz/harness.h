/*
 * bench/fuzz/harness.h — the body shared by the fuzz-harness pair that
 * scripts/bench-fuzz.sh builds and compares (exec/s):
 *
 *   harness_kpool.c   a fresh kpool system per input (kp_system_create /
 *                     kp_system_destroy, default configuration: every check
 *                     on), then up to 32 allocate + free pairs through
 *                     ExAllocatePool2 / ExFreePoolWithTag
 *   harness_calloc.c  the same pairs on calloc / free
 *
 * Each input byte is one pair: size 1 + byte * 4 (1..1021 bytes), with a
 * ring of 4 live blocks so frees are not always of the newest block.
 * HARNESS_ALLOC(n) / HARNESS_FREE(p) are defined by the including file.
 */
#ifndef KPOOL_BENCH_FUZZ_HARNESS_H
#define KPOOL_BENCH_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define HARNESS_MAX_PAIRS 32u
#define HARNESS_RING 4u

static void harness_pairs(const uint8_t *data, size_t size) {
  void *ring[HARNESS_RING] = {0};
  size_t n = size < HARNESS_MAX_PAIRS ? size : HARNESS_MAX_PAIRS;
  for (size_t i = 0; i < n; i++) {
    size_t slot = i % HARNESS_RING;
    if (ring[slot] != NULL) HARNESS_FREE(ring[slot]);
    unsigned char *p = HARNESS_ALLOC(1 + (size_t)data[i] * 4);
    if (p != NULL) p[0] = data[i];
    ring[slot] = p;
  }
  for (size_t s = 0; s < HARNESS_RING; s++)
    if (ring[s] != NULL) HARNESS_FREE(ring[s]);
}

#endif /* KPOOL_BENCH_FUZZ_HARNESS_H */
