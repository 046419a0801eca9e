/*
 * bench_lookaside.c — the lookaside hit path (allocate + free of a cached
 * 64-byte entry) against glibc/libc malloc + free and against a free list
 * behind a pthread mutex, in the same run, with one thread and with two
 * threads sharing one list; plus the bare SLIST pop + push it is built on.
 *
 *   ./build/release/bench/bench_lookaside [--cpu] [iterations]
 *
 * --cpu reports the threads' CPU time per pair instead of wall time (for a
 * machine shared with other work).
 *
 * Each figure is the best of 3 runs of N iterations (default 5,000,000),
 * in ns per allocate + free pair. For two threads the figure is wall-clock
 * time / total pairs (so 2x scaling would halve it). "checks on" is the
 * default (poisoned entries, out-of-band tracking); "checks off" is
 * kp_lookaside_set_options(sys, 0), the bare Windows algorithm (two plain
 * counter increments and two 16-byte compare-and-swaps per pair).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/kpool.h>
#include <wdm.h>

#include "bench_common.h"
/* The SLIST operations inline (src/), as the lookaside hit has them: the
 * floor below must not pay calls the hit does not pay. The portable
 * (striped-lock) SLIST reaches symbols a shared libkpool does not export:
 * there the floor calls the public functions. */
#include "rtl/kp_slist.h"
#if KPI_SLIST_LOCK_FREE
#define FLOOR_POP(h) kpi_slist_pop(h)
#define FLOOR_PUSH(h, e) kpi_slist_push((h), (e))
#else
#define FLOOR_POP(h) kp_slist_pop(h)
#define FLOOR_PUSH(h, e) kp_slist_push((h), (e))
#endif

#define ENTRY 64
#define RUNS 3
#define TAG KP_TAG('B', 'n', 'c', 'h')

typedef enum subject {
  S_WDK,      /* ExAllocateFromLookasideListEx / ExFreeToLookasideListEx */
  S_CORE,     /* kp_lookaside_alloc / kp_lookaside_free */
  S_SLIST,    /* kp_slist_pop / kp_slist_push */
  S_MALLOC,   /* malloc / free */
  S_MUTEX,    /* a free list behind a pthread mutex */
  S_FLOOR,    /* the least a checked hit can do (floor_alloc / floor_free) */
  S_COUNT_
} subject_t;

/* The mutex-protected free list: the obvious alternative. */
typedef struct mlist {
  pthread_mutex_t lock;
  void *head;
} mlist_t;

static void *mlist_pop(mlist_t *m) {
  pthread_mutex_lock(&m->lock);
  void *p = m->head;
  if (p != NULL) m->head = *(void **)p;
  pthread_mutex_unlock(&m->lock);
  return p != NULL ? p : malloc(ENTRY);
}

static void mlist_push(mlist_t *m, void *p) {
  pthread_mutex_lock(&m->lock);
  *(void **)p = m->head;
  m->head = p;
  pthread_mutex_unlock(&m->lock);
}

/* The floor of a checked hit: what any lookaside hit that keeps kpool's
 * checks must do, and nothing else (no list record, IRQL, options, depth,
 * site or API layer): the SLIST pop, the check of the fill (bytes 8..63),
 * the entry's tracking word set to "out" by a plain store (the pop made the
 * entry ours), at the free the tracking word moved "out" -> "cached" by a
 * compare-and-swap (two frees racing on two processors must not both
 * succeed: the exact double-free check), the refill, the SLIST push, and the
 * two counters. Four entries of 64 bytes, one tracking word each. */
typedef struct floor_list {
  kp_slist_header_t head;
  uint8_t *base;           /* four 64-byte entries */
  _Atomic uint64_t state[4];
  _Atomic uint32_t allocs, frees; /* plain increments, as the list's */
} floor_list_t;

#define FLOOR_WORD (0x0101010101010101ull * KP_LOOKASIDE_FILL)

/* The fill (bytes 8..63) written and checked 16 bytes at a time where the
 * compiler has vectors, as the hit does: 8, 24, 40 and the last 16. */
#if defined(__GNUC__) || defined(__clang__)
typedef uint64_t floor_v2 __attribute__((vector_size(16), aligned(8)));
static void floor_fill(uint8_t *e) {
  const floor_v2 f = {FLOOR_WORD, FLOOR_WORD};
  memcpy(e + 8, &f, 16);
  memcpy(e + 24, &f, 16);
  memcpy(e + 40, &f, 16);
  memcpy(e + 48, &f, 16);
}
static int floor_fill_is(const uint8_t *e) {
  const floor_v2 f = {FLOOR_WORD, FLOOR_WORD};
  floor_v2 a, b, c, d;
  memcpy(&a, e + 8, 16);
  memcpy(&b, e + 24, 16);
  memcpy(&c, e + 40, 16);
  memcpy(&d, e + 48, 16);
  floor_v2 x = (a ^ f) | (b ^ f) | (c ^ f) | (d ^ f);
  return (x[0] | x[1]) == 0;
}
#else
static void floor_fill(uint8_t *e) {
  uint64_t w = FLOOR_WORD;
  for (size_t i = 8; i < 64; i += 8) memcpy(e + i, &w, 8);
}
static int floor_fill_is(const uint8_t *e) {
  uint64_t diff = 0, w;
  for (size_t i = 8; i < 64; i += 8) {
    memcpy(&w, e + i, 8);
    diff |= w ^ FLOOR_WORD;
  }
  return diff == 0;
}
#endif

static _Atomic uint64_t *floor_node(floor_list_t *f, const void *e) {
  return &f->state[((const uint8_t *)e - f->base) / 64 % 4];
}

static void *floor_alloc(floor_list_t *f) {
  uint8_t *e = (uint8_t *)FLOOR_POP(&f->head);
  atomic_store_explicit(&f->allocs,
                        atomic_load_explicit(&f->allocs, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  if (e == NULL) return NULL;
  if (!floor_fill_is(e)) abort(); /* the fill was damaged: cannot happen here */
  atomic_store_explicit(floor_node(f, e), (uint64_t)(uintptr_t)e | 2u,
                        memory_order_release);
  return e;
}

static void floor_free(floor_list_t *f, void *entry) {
  uint8_t *e = entry;
  uint64_t want = (uint64_t)(uintptr_t)e | 2u;
  if (!atomic_compare_exchange_strong_explicit(floor_node(f, e), &want,
                                               (uint64_t)(uintptr_t)e | 1u,
                                               memory_order_acquire,
                                               memory_order_relaxed))
    abort(); /* a double free: cannot happen here */
  floor_fill(e);
  FLOOR_PUSH(&f->head, (kp_slist_entry_t *)(void *)e);
  atomic_store_explicit(&f->frees,
                        atomic_load_explicit(&f->frees, memory_order_relaxed) + 1,
                        memory_order_relaxed);
}

typedef struct shared {
  kp_system_t *sys;
  LOOKASIDE_LIST_EX *list;
  kp_slist_header_t *slist;
  mlist_t *mlist;
  floor_list_t *floor;
  subject_t subject;
  uint64_t iterations;
  atomic_int ready;
  atomic_int go;
  _Atomic uint64_t cpu_ns; /* threads' CPU time in the run (--cpu) */
} shared_t;

/* --cpu: report thread CPU time per pair instead of wall time (on a machine
 * shared with other work, wall time mostly measures that work). */
static int cpu_mode;

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static void run_loop(shared_t *sh) {
  uint64_t n = sh->iterations;
  switch (sh->subject) {
  case S_WDK:
    for (uint64_t i = 0; i < n; i++) {
      void *p = ExAllocateFromLookasideListEx(sh->list);
      bench_do_not_optimize(p);
      ExFreeToLookasideListEx(sh->list, p);
    }
    break;
  case S_CORE: {
    kp_lookaside_t *l = (kp_lookaside_t *)(void *)sh->list;
    for (uint64_t i = 0; i < n; i++) {
      void *p = kp_lookaside_alloc_at(sh->sys, l, NULL);
      bench_do_not_optimize(p);
      kp_lookaside_free_at(sh->sys, l, p, NULL);
    }
    break;
  }
  case S_SLIST:
    for (uint64_t i = 0; i < n; i++) {
      kp_slist_entry_t *e = kp_slist_pop(sh->slist);
      bench_do_not_optimize(e);
      kp_slist_push(sh->slist, e);
    }
    break;
  case S_MALLOC:
    for (uint64_t i = 0; i < n; i++) {
      void *p = malloc(ENTRY);
      bench_do_not_optimize(p);
      free(p);
    }
    break;
  case S_MUTEX:
    for (uint64_t i = 0; i < n; i++) {
      void *p = mlist_pop(sh->mlist);
      bench_do_not_optimize(p);
      mlist_push(sh->mlist, p);
    }
    break;
  case S_FLOOR:
    for (uint64_t i = 0; i < n; i++) {
      void *p = floor_alloc(sh->floor);
      bench_do_not_optimize(p);
      floor_free(sh->floor, p);
    }
    break;
  default:
    break;
  }
}

static void *thread_main(void *arg) {
  shared_t *sh = arg;
  kp_system_set_current(sh->sys); /* process-wide; same value for all */
  atomic_fetch_add(&sh->ready, 1);
  while (!atomic_load(&sh->go)) {
  }
  uint64_t c0 = thread_cpu_ns();
  run_loop(sh);
  atomic_fetch_add(&sh->cpu_ns, thread_cpu_ns() - c0);
  return NULL;
}

/* ns per pair: best of RUNS, with @p threads threads sharing the subject. */
static double measure(shared_t *sh, int threads) {
  double best = 0.0;
  for (int run = 0; run < RUNS; run++) {
    pthread_t th[2];
    atomic_store(&sh->ready, 0);
    atomic_store(&sh->go, 0);
    atomic_store(&sh->cpu_ns, 0);
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, thread_main, sh);
    while (atomic_load(&sh->ready) < threads) {
    }
    uint64_t t0 = bench_now_ns();
    atomic_store(&sh->go, 1);
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    uint64_t dt = bench_now_ns() - t0;
    if (cpu_mode) dt = atomic_load(&sh->cpu_ns);
    double per = (double)dt / (double)(sh->iterations * (uint64_t)threads);
    if (run == 0 || per < best) best = per;
  }
  return best;
}

static const char *const names[S_COUNT_] = {
    "lookaside hit ExAllocateFromLookasideListEx+ExFreeToLookasideListEx",
    "lookaside hit kp_lookaside_alloc_at+kp_lookaside_free_at",
    "SLIST pop+push (kp_slist, cmpxchg16b)",
    "malloc+free",
    "mutex free list pop+push",
    "floor of a checked hit (SLIST pop+push, fill check and refill, one CAS)",
};

int main(int argc, char **argv) {
  uint64_t iterations = 5000000;
  if (argc > 1 && strcmp(argv[1], "--cpu") == 0) {
    cpu_mode = 1;
    argc--;
    argv++;
  }
  if (argc > 1) iterations = strtoull(argv[1], NULL, 10);
  if (iterations == 0) iterations = 1;
  bench_print_header("bench_lookaside: allocate+free of a cached 64-byte entry");
  printf("timing: %s\n", cpu_mode ? "thread CPU time (--cpu)" : "wall time");
  printf("iterations: %llu per thread per run, best of %d runs; SLIST lock-free: %s\n",
         (unsigned long long)iterations, RUNS, kp_slist_lock_free() ? "yes" : "no");

  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) return 1;
  kp_system_set_current(sys);

  /* aligned_alloc wants a multiple of the alignment (C11 7.22.3.1). */
  LOOKASIDE_LIST_EX *list = aligned_alloc(64, (sizeof *list + 63) / 64 * 64);
  kp_slist_header_t *slist = aligned_alloc(64, 64);
  kp_slist_entry_t *slots = aligned_alloc(64, 4 * 64);
  mlist_t mlist;
  pthread_mutex_init(&mlist.lock, NULL);
  mlist.head = NULL;
  if (list == NULL || slist == NULL || slots == NULL) return 1;
  if (ExInitializeLookasideListEx(list, NULL, NULL, NonPagedPoolNx, 0, ENTRY, TAG,
                                  0) != STATUS_SUCCESS)
    return 1;
  /* Warm: four entries cached, so every allocation of two threads hits. */
  void *warm[4];
  for (int i = 0; i < 4; i++) warm[i] = ExAllocateFromLookasideListEx(list);
  for (int i = 0; i < 4; i++) ExFreeToLookasideListEx(list, warm[i]);
  kp_slist_init(slist);
  for (int i = 0; i < 4; i++) kp_slist_push(slist, &slots[i * 4]);
  for (int i = 0; i < 4; i++) mlist_push(&mlist, malloc(ENTRY));
  floor_list_t *floor = aligned_alloc(64, (sizeof *floor + 63) / 64 * 64);
  if (floor == NULL) return 1;
  memset(floor, 0, sizeof *floor);
  floor->base = aligned_alloc(64, 4 * 64);
  if (floor->base == NULL) return 1;
  memset(floor->base, KP_LOOKASIDE_FILL, 4 * 64);
  kp_slist_init(&floor->head);
  for (int i = 0; i < 4; i++) {
    uint8_t *e = floor->base + i * 64;
    atomic_store(&floor->state[i], (uint64_t)(uintptr_t)e | 1u);
    kp_slist_push(&floor->head, (kp_slist_entry_t *)(void *)e);
  }

  shared_t sh;
  memset(&sh, 0, sizeof sh);
  sh.sys = sys;
  sh.list = list;
  sh.slist = slist;
  sh.mlist = &mlist;
  sh.floor = floor;
  sh.iterations = iterations;

  for (int threads = 1; threads <= 2; threads++) {
    const char *tn = threads == 1 ? "1 thread" : "2 threads";
    double ns[S_COUNT_];
    double off[2];
    char label[200];
    printf("\n-- %s%s --\n", tn, threads == 1 ? "" : " (one shared list)");
    for (int s = 0; s < S_COUNT_; s++) {
      sh.subject = (subject_t)s;
      snprintf(label, sizeof label, "%s%s, %s", names[s],
               s <= S_CORE ? " (checks on)" : "", tn);
      ns[s] = measure(&sh, threads);
      bench_report(label, (uint64_t)(ns[s] * 1000.0), 1000);
    }
    /* The bare Windows algorithm: no fill, no tracking. */
    kp_lookaside_set_options(sys, 0);
    for (int s = S_WDK; s <= S_CORE; s++) {
      sh.subject = (subject_t)s;
      snprintf(label, sizeof label, "%s (checks off), %s", names[s], tn);
      off[s] = measure(&sh, threads);
      bench_report(label, (uint64_t)(off[s] * 1000.0), 1000);
    }
    kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT);
    double m = ns[S_MALLOC];
    snprintf(label, sizeof label, "ratio lookaside WDK (checks on)/malloc, %s", tn);
    bench_report_ratio(label, ns[S_WDK], m);
    snprintf(label, sizeof label, "ratio lookaside WDK (checks off)/malloc, %s", tn);
    bench_report_ratio(label, off[S_WDK], m);
    snprintf(label, sizeof label, "ratio lookaside core (checks off)/malloc, %s", tn);
    bench_report_ratio(label, off[S_CORE], m);
    snprintf(label, sizeof label, "ratio lookaside WDK (checks on)/mutex free list, %s", tn);
    bench_report_ratio(label, ns[S_WDK], ns[S_MUTEX]);
    snprintf(label, sizeof label, "ratio lookaside WDK (checks off)/mutex free list, %s", tn);
    bench_report_ratio(label, off[S_WDK], ns[S_MUTEX]);
    snprintf(label, sizeof label, "ratio lookaside WDK (checks off)/SLIST pop+push, %s", tn);
    bench_report_ratio(label, off[S_WDK], ns[S_SLIST]);
    snprintf(label, sizeof label, "ratio lookaside core (checks off)/SLIST pop+push, %s", tn);
    bench_report_ratio(label, off[S_CORE], ns[S_SLIST]);
    snprintf(label, sizeof label, "ratio SLIST/malloc, %s", tn);
    bench_report_ratio(label, ns[S_SLIST], m);
    snprintf(label, sizeof label, "ratio floor of a checked hit/malloc, %s", tn);
    bench_report_ratio(label, ns[S_FLOOR], m);
    snprintf(label, sizeof label, "ratio lookaside WDK (checks on)/floor, %s", tn);
    bench_report_ratio(label, ns[S_WDK], ns[S_FLOOR]);
  }

  LOOKASIDE_LIST_EX *l = list;
  printf("\nlist counters: TotalAllocates %u AllocateMisses %u TotalFrees %u FreeMisses %u\n",
         (unsigned)l->L.TotalAllocates, (unsigned)l->L.AllocateMisses,
         (unsigned)l->L.TotalFrees, (unsigned)l->L.FreeMisses);
  ExDeleteLookasideListEx(list);
  while (mlist.head != NULL) free(mlist_pop(&mlist));
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
  free(list);
  free(slist);
  free(slots);
  free(floor->base);
  free(floor);
  return 0;
}
