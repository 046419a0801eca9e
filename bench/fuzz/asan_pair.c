/*
 * bench/fuzz/asan_pair.c — malloc + free of 64-byte blocks (ring of 8 live
 * blocks, as bench_pool) in an AddressSanitizer build: the "ASan's
 * malloc+free" figure kpool's single-thread pair is compared with.
 * scripts/bench-fuzz.sh builds it with clang -O2 -fsanitize=address and
 * prints the ns per pair (best of 5 rounds of 2,000,000).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void) {
  enum { LIVE = 8, OPS = 2000000, ROUNDS = 5 };
  double best = -1.0;
  for (int round = 0; round < ROUNDS; round++) {
    void *ring[LIVE] = {0};
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < OPS + LIVE; i++) {
      uint32_t s = i % LIVE;
      free(ring[s]);
      unsigned char *p = malloc(64);
      if (p == NULL) return 1;
      ((volatile unsigned char *)p)[0] = (unsigned char)i;
      ring[s] = p;
    }
    uint64_t t1 = now_ns();
    for (int s = 0; s < LIVE; s++) free(ring[s]);
    double per = (double)(t1 - t0) / OPS;
    if (best < 0.0 || per < best) best = per;
  }
  printf("ASan malloc+free 64 B 1t: %.1f ns/op\n", best);
  return 0;
}
