/*
 * bench_pool_floor.c — how close the checked 64-byte pool pair is to the
 * least such a pair can cost on this machine.
 *
 *   ./build/release/bench/bench_pool_floor [--cpu] [iterations]
 *
 * Three subjects in the same run, each a loop of allocate + free with a
 * ring of 8 live 64-byte blocks (bench_pool's single-thread row):
 *
 *   ExAllocatePool2+ExFreePoolWithTag   kpool, default configuration
 *   floor model                         the model below
 *   malloc+free                         the C library
 *
 * The model is not kpool and allocates nothing real: it is kpool's fast
 * paths written as lean as we know how, in one file, keeping only what a
 * pair with kpool's checks cannot do without, so that its time is a floor
 * for any implementation of them on this machine:
 *
 *   allocation  the site (file, line, return address) interned through the
 *               thread's two recent sites; IRQL and hook tests; the
 *               thread's heap; its spin lock; a free block of the size
 *               class with the out-of-band record it kept; the budget
 *               credit; the record (56 bytes: address, size, type, state,
 *               sequence from a per-thread batch, tag, thread, site); heap
 *               counters with the peak; the tag's counters; the two-word
 *               header; the zero fill and the canary fill.
 *   free        pool containment; the page's owning heap; IRQL and hook
 *               tests; the free site; the spin lock; the record from the
 *               address hash; state and tag checks; header and canary
 *               checks; the record's new state, free site and thread;
 *               counters; the poison fill; the quarantine append; and the
 *               drain of the oldest quarantined block: its poison check,
 *               its accounting and its return to the free list.
 *
 * Left out, although kpool does them: the paged pool and NUMA choice, the
 * outer caller, quota, sanitizer and module tests beyond one word, a tag
 * table behind the last tag, the general path's arguments kept for a
 * decline, the lazily created current system. kpool's pair cannot be
 * faster than the model; "ratio kpool/floor" says how far above it it is.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/kpool.h>
#include <wdm.h>

#include "bench_common.h"

#define RUNS 5
#define RING 8
#define SIZE 64
#define TAG KP_TAG('B', 'n', 'c', 'h')

/* ---------------------------------------------------------------------------
 * The model.
 * ------------------------------------------------------------------------- */
typedef struct m_site {
  const char *file;
  uint32_t line;
  const void *caller;
} m_site_t;

typedef struct m_rec { /* 56 bytes, as kpool's record */
  uint8_t *address;
  uint64_t w0; /* size (41 bits), type, state (bits 57-58) */
  uint64_t w1; /* sequence, priority, API */
  uint32_t flags, tag, thread, site, free_thread, link, free_site, hash_next;
} m_rec_t;

typedef struct m_free {
  struct m_free *next;
  m_rec_t *rec;
} m_free_t;

typedef struct m_tag {
  uint32_t tag;
  uint64_t allocs, frees, bytes, peak;
} m_tag_t;

#define M_SLAB 256u
#define M_BLOCKS 512u
#define M_BUCKETS 1024u
#define M_PAGES 64u
#define M_COOKIE 0x6B706F6F6C686472ull
#define M_LIVE 1u
#define M_QUARANTINED 2u
#define M_RELEASED 3u
#define M_SIZE_MASK ((UINT64_C(1) << 41) - 1)

typedef struct m_heap {
  atomic_flag lock;
  size_t credit;
  m_free_t *small_free[256];
  uint32_t buckets[M_BUCKETS];
  m_rec_t *slabs[M_BLOCKS / M_SLAB];
  uint32_t q_head, q_count;
  m_rec_t *q_tail;
  size_t q_bytes, live, used, peak, allocs, frees;
  m_tag_t *tag_last;
  m_tag_t tags[1];
} m_heap_t;

typedef struct m_sys {
  uint8_t *base;
  size_t span;
  uint8_t owner[M_PAGES];
  m_heap_t *heaps[16];
  uint32_t header_base, quarantine_blocks;
  size_t quarantine_bytes;
  uint8_t uninit_fill, canary_fill, free_fill;
  atomic_int hooks;
  uint64_t generation;
  atomic_uint_fast64_t sequence;
} m_sys_t;

typedef struct m_recent {
  m_site_t site;
  uint32_t id;
} m_recent_t;

typedef struct m_thread {
  uint32_t id;
  uint8_t irql;
  uint64_t seq_system, seq_next, seq_end;
  m_recent_t recent[2][2]; /* [allocation, free][two sites] */
} m_thread_t;

static m_sys_t *m_current;
static _Thread_local m_thread_t m_me;

static m_rec_t *m_rec_at(const m_heap_t *h, uint32_t id) {
  uint32_t i = id - 1;
  return &h->slabs[i / M_SLAB][i % M_SLAB];
}

static size_t m_hash(uintptr_t a) {
  return (size_t)(((uint64_t)(a >> 4) * 0x9E3779B97F4A7C15ull) >> 20) & (M_BUCKETS - 1);
}

static size_t m_round(size_t v) { return (v + 15) & ~(size_t)15; }

/* Fill and check of short spans (16 bytes and more here): 16-byte vectors
 * where the compiler has them, 8-byte words elsewhere, the last one
 * overlapping; the check ORs the differences and tests once. */
#if defined(__GNUC__) || defined(__clang__)
typedef uint64_t m_v2 __attribute__((vector_size(16), aligned(1)));
static void m_fill(uint8_t *p, size_t n, uint8_t fill) {
  uint64_t w = 0x0101010101010101ull * fill;
  m_v2 v = {w, w};
  for (size_t i = 0; i + 16 < n; i += 16) memcpy(p + i, &v, 16);
  memcpy(p + n - 16, &v, 16);
}

static int m_is(const uint8_t *p, size_t n, uint8_t fill) {
  uint64_t w = 0x0101010101010101ull * fill;
  m_v2 v = {w, w}, acc = {0, 0}, x;
  for (size_t i = 0; i + 16 < n; i += 16) {
    memcpy(&x, p + i, 16);
    acc |= x ^ v;
  }
  memcpy(&x, p + n - 16, 16);
  acc |= x ^ v;
  return (acc[0] | acc[1]) == 0;
}
#else
static void m_fill(uint8_t *p, size_t n, uint8_t fill) {
  uint64_t w = 0x0101010101010101ull * fill;
  for (size_t i = 0; i + 8 < n; i += 8) memcpy(p + i, &w, 8);
  memcpy(p + n - 8, &w, 8);
}

static int m_is(const uint8_t *p, size_t n, uint8_t fill) {
  uint64_t w = 0x0101010101010101ull * fill, acc = 0, v;
  for (size_t i = 0; i + 8 < n; i += 8) {
    memcpy(&v, p + i, 8);
    acc |= v ^ w;
  }
  memcpy(&v, p + n - 8, 8);
  return (acc | (v ^ w)) == 0;
}
#endif

static uint32_t m_site_id(m_thread_t *t, const m_site_t *s, int role) {
  m_recent_t *r = t->recent[role];
  if (r[0].site.line == s->line && r[0].site.file == s->file && r[0].site.caller == s->caller)
    return r[0].id;
  if (r[1].site.line == s->line && r[1].site.file == s->file && r[1].site.caller == s->caller)
    return r[1].id;
  r[1] = r[0];
  r[0].site = *s;
  r[0].id = 7; /* the interning table is not modelled */
  return r[0].id;
}

static void m_lock(m_heap_t *h) {
  while (atomic_flag_test_and_set_explicit(&h->lock, memory_order_acquire)) {
  }
}

static void m_unlock(m_heap_t *h) {
  atomic_flag_clear_explicit(&h->lock, memory_order_release);
}

/* What a decline would do (never taken in this loop). */
BENCH_NOINLINE static void *m_general(void) {
  abort();
}

BENCH_NOINLINE static void *m_alloc(m_sys_t *sys, uint32_t tag, size_t size,
                                    const m_site_t *at) {
  m_thread_t *t = &m_me;
  if (t->irql > 2 || size - 1 >= 4064 ||
      atomic_load_explicit(&sys->hooks, memory_order_relaxed) != 0)
    return m_general();
  m_heap_t *h = sys->heaps[t->id % 16];
  size_t bytes = 16 + m_round(size), span = m_round(size + 16);
  uint32_t granules = (uint32_t)((16 + span) / 16);
  uint32_t site = m_site_id(t, at, 0);
  m_lock(h);
  m_free_t *f = h->small_free[granules];
  m_rec_t *r;
  if (f == NULL || (r = f->rec) == NULL || h->credit < bytes) {
    m_unlock(h);
    return m_general();
  }
  h->credit -= bytes;
  h->small_free[granules] = f->next;
  uint8_t *p = (uint8_t *)f + 16;
  if (t->seq_system != sys->generation || t->seq_next == t->seq_end) {
    t->seq_next = atomic_fetch_add(&sys->sequence, 64) + 1;
    t->seq_end = t->seq_next + 64;
    t->seq_system = sys->generation;
  }
  r->address = p;
  r->w0 = size | ((uint64_t)512 << 41) | ((uint64_t)M_LIVE << 57);
  r->w1 = t->seq_next++ | ((uint64_t)0x21 << 40);
  r->flags = 0x40;
  r->tag = tag;
  r->thread = t->id;
  r->site = site;
  r->free_thread = 0;
  r->link = r->free_site = 0;
  h->live++;
  size_t used = h->used + bytes;
  h->used = used;
  if (used > h->peak) h->peak = used;
  h->allocs++;
  m_tag_t *ts = h->tag_last;
  if (ts == NULL || ts->tag != tag) {
    ts = &h->tags[0]; /* the tag table is not modelled */
    ts->tag = tag;
    h->tag_last = ts;
  }
  ts->allocs++;
  uint64_t tb = ts->bytes + bytes;
  ts->bytes = tb;
  if (tb > ts->peak) ts->peak = tb;
  m_unlock(h);
  uint64_t hw[2] = {(uint64_t)(sys->header_base | ((granules & 0xFFu) << 16)) |
                        ((uint64_t)tag << 32),
                    (uint64_t)(uintptr_t)p ^ M_COOKIE};
  memcpy(p - 16, hw, 16);
  m_fill(p, size, 0);
  m_fill(p + size, span - size, sys->canary_fill);
  return p;
}

BENCH_NOINLINE static void m_free(m_sys_t *sys, void *vp, uint32_t tag,
                                  const m_site_t *at) {
  uint8_t *p = vp;
  m_thread_t *t = &m_me;
  size_t offset = (size_t)(p - sys->base);
  if ((uintptr_t)p - (uintptr_t)sys->base >= sys->span || t->irql > 2 ||
      atomic_load_explicit(&sys->hooks, memory_order_relaxed) != 0) {
    m_general();
    return;
  }
  uint8_t owner = sys->owner[offset / 4096];
  if (owner == 0) {
    m_general();
    return;
  }
  m_heap_t *h = sys->heaps[owner - 1];
  uint32_t free_site = m_site_id(t, at, 1);
  m_lock(h);
  m_rec_t *r = NULL;
  uint32_t id;
  for (id = h->buckets[m_hash((uintptr_t)p)]; id != 0; id = r->hash_next) {
    r = m_rec_at(h, id);
    if (r->address == p) break;
  }
  if (id == 0) goto decline;
  uint64_t w0 = r->w0;
  uint32_t rtag = r->tag;
  if (((w0 >> 57) & 3u) != M_LIVE || (tag != 0 && (tag & 0x7FFFFFFFu) != rtag))
    goto decline;
  size_t size = (size_t)(w0 & M_SIZE_MASK), span = m_round(size + 16);
  uint32_t granules = (uint32_t)((16 + span) / 16);
  uint64_t want[2] = {(uint64_t)(sys->header_base | ((granules & 0xFFu) << 16)) |
                          ((uint64_t)rtag << 32),
                      (uint64_t)(uintptr_t)p ^ M_COOKIE};
  uint64_t have[2];
  memcpy(have, p - 16, 16);
  if (((want[0] ^ have[0]) | (want[1] ^ have[1])) != 0 ||
      !m_is(p + size, span - size, sys->canary_fill))
    goto decline;
  r->w0 = (w0 & ~(UINT64_C(3) << 57)) | ((uint64_t)M_QUARANTINED << 57);
  r->free_site = free_site;
  r->free_thread = t->id;
  size_t bytes = 16 + m_round(size);
  h->live--;
  h->used -= bytes;
  h->credit += bytes;
  h->frees++;
  m_tag_t *ts = h->tag_last;
  if (ts != NULL && ts->tag == rtag) {
    ts->frees++;
    ts->bytes -= bytes;
  }
  m_fill(p, span, sys->free_fill);
  r->link = 0;
  if (h->q_tail != NULL)
    h->q_tail->link = id;
  else
    h->q_head = id;
  h->q_tail = r;
  h->q_count++;
  h->q_bytes += bytes;
  while ((id = h->q_head) != 0 &&
         (h->q_count > sys->quarantine_blocks || h->q_bytes > sys->quarantine_bytes)) {
    m_rec_t *q = m_rec_at(h, id);
    uint64_t qw = q->w0;
    uint8_t *d = q->address;
    size_t qsize = (size_t)(qw & M_SIZE_MASK), qspan = m_round(qsize + 16);
    if (!m_is(d, qspan, sys->free_fill)) abort(); /* 0xC1 in kpool */
    h->q_head = q->link;
    if (h->q_head == 0) h->q_tail = NULL;
    h->q_count--;
    h->q_bytes -= 16 + m_round(qsize);
    q->w0 = (qw & ~(UINT64_C(3) << 57)) | ((uint64_t)M_RELEASED << 57);
    uint32_t qg = (uint32_t)((16 + qspan) / 16);
    m_free_t *fb = (m_free_t *)(void *)(d - 16);
    fb->next = h->small_free[qg];
    fb->rec = q;
    h->small_free[qg] = fb;
  }
  m_unlock(h);
  return;
decline:
  m_unlock(h);
  m_general();
}

/* The API entry points: the site from the call, the current system, the
 * ExAllocatePool2 rules for a constant request. */
BENCH_NOINLINE static void *m_alloc2(uint64_t flags, size_t size, uint32_t tag,
                                     const char *file, uint32_t line) {
  m_site_t site = {file, line, BENCH_RETURN_ADDRESS()};
  if (flags != 0x40 || tag == 0) return m_general();
  return m_alloc(m_current, tag, size, &site);
}

BENCH_NOINLINE static void m_free_with_tag(void *p, uint32_t tag,
                                           const char *file, uint32_t line) {
  m_site_t site = {file, line, BENCH_RETURN_ADDRESS()};
  m_free(m_current, p, tag, &site);
}

/* A model system with one heap whose free list holds M_BLOCKS 64-byte
 * blocks (96 bytes with header and canary), each with its released record
 * in the hash: kpool's state after a warm-up. */
static m_sys_t *m_create(void) {
  m_sys_t *sys = calloc(1, sizeof *sys);
  m_heap_t *h = calloc(1, sizeof *h);
  if (sys == NULL || h == NULL) return NULL;
  sys->span = (size_t)M_PAGES * 4096;
  sys->base = aligned_alloc(4096, sys->span);
  if (sys->base == NULL) return NULL;
  memset(sys->base, 0, sys->span);
  memset(sys->owner, 1, sizeof sys->owner);
  sys->heaps[0] = h;
  sys->header_base = 0x0200;
  sys->quarantine_blocks = 256;
  sys->quarantine_bytes = (size_t)1 << 20;
  sys->uninit_fill = 0xAA;
  sys->canary_fill = 0xCC;
  sys->free_fill = 0xDD;
  atomic_flag_clear(&h->lock);
  h->credit = (size_t)1 << 30;
  for (uint32_t s = 0; s < M_BLOCKS / M_SLAB; s++) {
    h->slabs[s] = calloc(M_SLAB, sizeof(m_rec_t));
    if (h->slabs[s] == NULL) return NULL;
  }
  for (uint32_t i = 0; i < M_BLOCKS; i++) {
    uint8_t *block = sys->base + (size_t)i * 96;
    m_rec_t *r = m_rec_at(h, i + 1);
    r->address = block + 16;
    r->w0 = SIZE | ((uint64_t)M_RELEASED << 57);
    size_t b = m_hash((uintptr_t)r->address);
    r->hash_next = h->buckets[b];
    h->buckets[b] = i + 1;
    m_free_t *f = (m_free_t *)(void *)block;
    f->next = h->small_free[6];
    f->rec = r;
    h->small_free[6] = f;
  }
  return sys;
}

static void m_destroy(m_sys_t *sys) {
  m_heap_t *h = sys->heaps[0];
  for (uint32_t s = 0; s < M_BLOCKS / M_SLAB; s++) free(h->slabs[s]);
  free(h);
  free(sys->base);
  free(sys);
}

/* ---------------------------------------------------------------------------
 * The loops.
 * ------------------------------------------------------------------------- */
typedef enum { S_KPOOL, S_FLOOR, S_MALLOC, S_COUNT_ } subject_t;

static int cpu_mode;

static uint64_t now_ns(void) {
  if (!cpu_mode) return bench_now_ns();
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static double run(subject_t s, uint64_t n) {
  void *ring[RING] = {0};
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) {
    unsigned k = (unsigned)(i % RING);
    void *p;
    switch (s) {
    case S_KPOOL:
      if (ring[k] != NULL) ExFreePoolWithTag(ring[k], TAG);
      p = ExAllocatePool2(POOL_FLAG_NON_PAGED, SIZE, TAG);
      break;
    case S_FLOOR:
      if (ring[k] != NULL) m_free_with_tag(ring[k], TAG, __FILE__, __LINE__);
      p = m_alloc2(0x40, SIZE, TAG, __FILE__, __LINE__);
      break;
    default:
      free(ring[k]);
      p = malloc(SIZE);
      break;
    }
    if (p == NULL) abort();
    ((volatile unsigned char *)p)[0] = 1;
    bench_do_not_optimize(p);
    ring[k] = p;
  }
  uint64_t dt = now_ns() - t0;
  for (unsigned k = 0; k < RING; k++) {
    if (ring[k] == NULL) continue;
    if (s == S_KPOOL)
      ExFreePoolWithTag(ring[k], TAG);
    else if (s == S_FLOOR)
      m_free_with_tag(ring[k], TAG, __FILE__, __LINE__);
    else
      free(ring[k]);
  }
  return (double)dt / (double)n;
}

int main(int argc, char **argv) {
  uint64_t n = 2000000;
  if (argc > 1 && strcmp(argv[1], "--cpu") == 0) {
    cpu_mode = 1;
    argc--;
    argv++;
  }
  if (argc > 1) n = strtoull(argv[1], NULL, 10);
  if (n == 0) n = 1;
  bench_print_header("bench_pool_floor: the 64-byte pair against its floor model");
  printf("timing: %s\n", cpu_mode ? "thread CPU time per op (--cpu)" : "wall time");
  printf("%llu pairs per run, ring of %d, best of %d runs, subjects interleaved\n",
         (unsigned long long)n, RING, RUNS);
  kp_system_t *sys = kp_system_current();
  m_current = m_create();
  if (sys == NULL || m_current == NULL) return 1;
  static const char *const names[S_COUNT_] = {
      "ExAllocatePool2+ExFreePoolWithTag 64 B", "floor model 64 B", "malloc+free 64 B"};
  double best[S_COUNT_] = {0};
  for (int r = 0; r < RUNS; r++) {
    for (int s = 0; s < S_COUNT_; s++) {
      double ns = run((subject_t)s, n);
      if (r == 0 || ns < best[s]) best[s] = ns;
    }
  }
  for (int s = 0; s < S_COUNT_; s++)
    bench_report(names[s], (uint64_t)(best[s] * 1000.0), 1000);
  bench_report_ratio("ratio floor model/malloc 64 B", best[S_FLOOR], best[S_MALLOC]);
  bench_report_ratio("ratio ExAllocatePool2/malloc 64 B", best[S_KPOOL], best[S_MALLOC]);
  bench_report_ratio("ratio ExAllocatePool2/floor model 64 B", best[S_KPOOL], best[S_FLOOR]);
  m_destroy(m_current);
  return 0;
}
