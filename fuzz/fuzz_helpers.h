/**
 * @file fuzz/fuzz_helpers.h
 * @brief What every kpool fuzz target shares: the libFuzzer entry point
 *        prototypes, an always-on assertion, and a data producer that turns
 *        the fuzzer's bytes into parameters.
 *
 * Fuzz code, not a public header: it may use the C standard library freely.
 * See fuzz/README.md for how targets are built, run and added.
 */
#ifndef KPOOL_FUZZ_FUZZ_HELPERS_H
#define KPOOL_FUZZ_FUZZ_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * libFuzzer entry points. Declared here so that each target's definition
 * has a prototype (-Wmissing-prototypes) and regression_main.c can call it.
 * ------------------------------------------------------------------------- */

/** Runs one input. Must return 0; report a finding with FUZZ_ASSERT. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * Optional one-time setup before the first input. When a target defines it,
 * fuzz/CMakeLists.txt tells the corpus replayer to call it too.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---------------------------------------------------------------------------
 * Assertions.
 * ------------------------------------------------------------------------- */

/** Prints the failed condition with its file and line, then aborts. */
static inline void fuzz_assert_fail(const char *cond, const char *file,
                                    int line) {
  fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", file, line, cond);
  fflush(stderr);
  abort();
}

#ifdef DOXYGEN
/**
 * Checks @p cond in every build (NDEBUG has no effect): when false, prints
 * "file:line: FUZZ_ASSERT(cond) failed" to stderr and aborts, which libFuzzer
 * and the corpus replayer report as a crash.
 */
void FUZZ_ASSERT(bool cond);
#else
#define FUZZ_ASSERT(cond)                                                      \
  ((cond) ? (void)0 : fuzz_assert_fail(#cond, __FILE__, __LINE__))
#endif

/* ---------------------------------------------------------------------------
 * Data producer. Reads values from the front of the input, little-endian.
 * When the input runs out, the remaining bytes of a value read as zero, and
 * a value read from an empty input is 0 (fuzz_range: its minimum), so a
 * target never has to check lengths before reading.
 * ------------------------------------------------------------------------- */

/** The unread part of a fuzz input. */
typedef struct fuzz_data {
  const uint8_t *data; /**< next unread byte */
  size_t size;         /**< bytes left */
} fuzz_data_t;

/** A producer over @p size bytes at @p data. */
static inline fuzz_data_t fuzz_data_init(const uint8_t *data, size_t size) {
  fuzz_data_t d;
  d.data = data;
  d.size = size;
  return d;
}

/** Bytes not read yet. */
static inline size_t fuzz_data_remaining(const fuzz_data_t *d) {
  return d->size;
}

/** True when every byte has been read. */
static inline bool fuzz_data_empty(const fuzz_data_t *d) {
  return d->size == 0;
}

/** Reads up to @p n (<= 8) bytes as a little-endian number. */
static inline uint64_t fuzz_read_le(fuzz_data_t *d, size_t n) {
  uint64_t v = 0;
  size_t i;
  if (n > d->size) n = d->size;
  for (i = 0; i < n; i++) v |= (uint64_t)d->data[i] << (8 * i);
  d->data += n;
  d->size -= n;
  return v;
}

static inline uint8_t fuzz_u8(fuzz_data_t *d) {
  return (uint8_t)fuzz_read_le(d, 1);
}

static inline uint16_t fuzz_u16(fuzz_data_t *d) {
  return (uint16_t)fuzz_read_le(d, 2);
}

static inline uint32_t fuzz_u32(fuzz_data_t *d) {
  return (uint32_t)fuzz_read_le(d, 4);
}

static inline uint64_t fuzz_u64(fuzz_data_t *d) { return fuzz_read_le(d, 8); }

/** One byte; true when its low bit is set. */
static inline bool fuzz_bool(fuzz_data_t *d) { return (fuzz_u8(d) & 1u) != 0; }

/**
 * A value in [@p min, @p max] (inclusive; @p min when @p min >= @p max).
 * Reads only as many bytes as the span needs, so small ranges cost one byte.
 * Returns @p min when the input is exhausted.
 */
static inline uint64_t fuzz_range(fuzz_data_t *d, uint64_t min, uint64_t max) {
  uint64_t span;
  uint64_t v;
  size_t n = 0;
  if (min >= max) return min;
  span = max - min; /* number of values minus one */
  while (n < 8 && (span >> (8 * n)) != 0) n++;
  v = fuzz_read_le(d, n);
  if (span == UINT64_MAX) return v;
  return min + v % (span + 1);
}

/**
 * Up to @p n bytes of the input, in place. Stores the number available
 * (<= @p n) in @p *got; returns NULL when it is 0.
 */
static inline const uint8_t *fuzz_bytes(fuzz_data_t *d, size_t n, size_t *got) {
  const uint8_t *p = d->data;
  if (n > d->size) n = d->size;
  d->data += n;
  d->size -= n;
  *got = n;
  return n != 0 ? p : NULL;
}

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_FUZZ_FUZZ_HELPERS_H */
