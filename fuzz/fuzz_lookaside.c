/**
 * @file fuzz/fuzz_lookaside.c
 * @brief Fuzz target: scripts of operations on several lookaside lists of a
 *        fresh simulated system, checked against a model of the counters,
 *        the cached entries and Depth after every step.
 *
 * Input layout (fuzz_helpers.h producer, front to back):
 *
 *   config   verifier codes on/off, the depth constants (minimum 0..6 where
 *            0 is Driver Verifier's "caching off", maximum, threshold,
 *            decrements, growth base and cap, scan period 1..4)
 *   ops...   one selector byte each, then the operation's parameters
 *
 * Operations (on 4 list slots and up to 48 entries held by the "driver"):
 * init (classic non-paged, classic paged, Ex with a non-paged or paged
 * pool type; one of several sizes), allocate, free to a list, flush,
 * delete, advance the virtual clock (0..7 s), set Depth (the debugger's
 * `!lookaside 2`), free a held entry to pool, and deliberate misuse whose
 * bug check is predicted exactly: re-initialising an active list (0xCA),
 * using or deleting an inactive one (0xCB), freeing an entry to a list of
 * another size (0xCE), freeing a cached entry again (0x13 / 0x07), and
 * writing into a cached entry, found by the next allocate (0xC6).
 *
 * The model keeps, per list: active, kind, group (paged or not), Size,
 * Depth, MaximumDepth, the six counters and the cached entries as a LIFO
 * stack; per system: the clock and the number of balance set manager scans
 * (group g is scanned at scan t when t mod P == g mod P; the WRK formula
 * of kpool/lookaside.h applied to each list of the group in init order).
 * After every operation each active list is compared field by field, with
 * kp_lookaside_cached() and the first cached entry.
 *
 * Bug checks: the handler records the code and P1 and returns, so the
 * simulator abandons the operation; a bug check that was not predicted, or
 * a predicted one that did not come, fails the input. At the end all lists
 * are deleted and all entries freed, kp_driver_unload() must be clean
 * (pool tracking on), and the system is destroyed.
 *
 *   cmake -S . -B build-fuzz -G Ninja -DKPOOL_BUILD_FUZZERS=ON -DKPOOL_ASAN=ON \
 *         -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
 *   cmake --build build-fuzz --target fuzz_lookaside
 *   build-fuzz/fuzz/fuzz_lookaside -max_total_time=300 new_corpus fuzz/corpus/lookaside
 *
 * Seeds: fuzz/corpus/make_lookaside_seeds.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/kpool.h>

#include "fuzz_helpers.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FZ_ASAN)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
/* The deliberate write into a cached entry must reach the simulator's fill
 * check, not stop at ASan's poison. */
#define FZ_NO_ASAN __attribute__((no_sanitize("address"), noinline))
#else
#define FZ_NO_ASAN
#endif

#define SLOTS 4
#define MAX_HELD 48
#define MAX_CACHED 2048
#define MAX_OPS 1500
#define TAG KP_TAG('F', 'z', 'L', 'a')

static const uint32_t sizes[] = {8, 16, 24, 40, 64, 100, 256, 1000};
static const uint32_t ex_types[] = {0, 1, 4, 5, 512, 516, 33};

typedef struct mlist {
  bool active;
  kp_lookaside_kind_t kind;
  bool paged;
  uint32_t type;
  uint32_t size;
  uint16_t depth;
  uint16_t max;
  uint32_t total_allocates, allocate_misses, total_frees, free_misses;
  uint32_t last_total, last_misses;
  void *cached[MAX_CACHED]; /* LIFO: [ncached - 1] is the first */
  uint32_t ncached;
  uint64_t order;           /* init order, for the scan */
} mlist_t;

typedef struct held {
  void *p;
  uint32_t size; /* the Size of the list it came from */
} held_t;

typedef struct fz {
  kp_system_t *sys;
  kp_config_t cfg;
  uint16_t minimum;
  _Alignas(64) kp_lookaside_t lists[SLOTS];
  mlist_t m[SLOTS];
  held_t held[MAX_HELD];
  uint32_t nheld;
  uint64_t clock_ms;
  uint32_t scans;
  uint64_t next_order;
  /* Bug checks seen. */
  uint32_t bc_count;
  uint32_t bc_code;
  uint64_t bc_p1;
} fz_t;

static void fz_handler(const kp_bugcheck_t *bc, void *arg) {
  fz_t *f = arg;
  f->bc_count++;
  f->bc_code = bc->code;
  f->bc_p1 = bc->params[0];
}

static void fz_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

FZ_NO_ASAN static void scribble(void *p, size_t offset, uint8_t value) {
  ((volatile uint8_t *)p)[offset] = value;
}

/* Checks that exactly one bug check came since @p before was read, and that
 * it had @p code and P1 @p p1. */
static void expect_bugcheck(fz_t *f, uint32_t before, uint32_t code,
                            uint64_t p1) {
  FUZZ_ASSERT(f->bc_count == before + 1);
  FUZZ_ASSERT(f->bc_code == code);
  FUZZ_ASSERT(f->bc_p1 == p1);
}

/* ---------------------------------------------------------------------------
 * The model of the balance set manager.
 * ------------------------------------------------------------------------- */
static void model_scan_list(const fz_t *f, mlist_t *m) {
  uint32_t allocates = m->total_allocates - m->last_total;
  uint32_t misses = m->allocate_misses - m->last_misses;
  m->last_total = m->total_allocates;
  m->last_misses = m->allocate_misses;
  int32_t target = m->depth;
  if (f->minimum == 0) {
    target = 0;
  } else if (allocates == 0 ||
             allocates < f->cfg.lookaside_scan_period * f->cfg.lookaside_alloc_threshold) {
    target -= f->cfg.lookaside_idle_decrement;
    if (target < f->minimum) target = f->minimum;
  } else {
    uint32_t ratio = misses * 1000u / allocates;
    if (ratio < 5) {
      target -= f->cfg.lookaside_lowmiss_decrement;
      if (target < f->minimum) target = f->minimum;
    } else {
      uint32_t delta = ratio * ((uint32_t)m->max - (uint32_t)target) / 2000u +
                       f->cfg.lookaside_grow_base;
      if (delta > f->cfg.lookaside_grow_max) delta = f->cfg.lookaside_grow_max;
      target += (int32_t)delta;
      if (target > (int32_t)m->max) target = m->max;
    }
  }
  if (getenv("KPOOL_FUZZ_TRACE") != NULL)
    fprintf(stderr, "  model scan: allocates %u misses %u depth %u -> %d\n",
            (unsigned)allocates, (unsigned)misses, (unsigned)m->depth,
            (int)target);
  m->depth = (uint16_t)target;
}

static void model_second(fz_t *f) {
  uint32_t t = f->scans++;
  uint32_t p = f->cfg.lookaside_scan_period;
  for (uint32_t g = 0; g < 2; g++) {
    if (t % p != g % p) continue;
    // The lists of group g in init order.
    uint64_t done = 0;
    for (;;) {
      int best = -1;
      for (int i = 0; i < SLOTS; i++) {
        mlist_t *m = &f->m[i];
        if (!m->active || m->paged != (g == 1) || m->order <= done) continue;
        if (best < 0 || m->order < f->m[best].order) best = i;
      }
      if (best < 0) break;
      model_scan_list(f, &f->m[best]);
      done = f->m[best].order;
    }
  }
}

/* ---------------------------------------------------------------------------
 * Checks.
 * ------------------------------------------------------------------------- */
static void check_all(fz_t *f) {
  for (int i = 0; i < SLOTS; i++) {
    const mlist_t *m = &f->m[i];
    kp_lookaside_t *l = &f->lists[i];
    kp_lookaside_info_t info;
    bool known = kp_lookaside_query(f->sys, l, &info);
    FUZZ_ASSERT(known == m->active);
    if (!m->active) continue;
    if (l->depth != m->depth)
      fprintf(stderr, "slot %d: Depth %u, model %u (max %u, scans %u)\n", i,
              (unsigned)l->depth, (unsigned)m->depth, (unsigned)m->max,
              (unsigned)f->scans);
    FUZZ_ASSERT(l->depth == m->depth);
    FUZZ_ASSERT(l->maximum_depth == m->max);
    FUZZ_ASSERT(l->total_allocates == m->total_allocates);
    FUZZ_ASSERT(l->allocate_misses == m->allocate_misses);
    FUZZ_ASSERT(l->total_frees == m->total_frees);
    FUZZ_ASSERT(l->free_misses == m->free_misses);
    FUZZ_ASSERT(l->last_total_allocates == m->last_total);
    FUZZ_ASSERT(l->last_allocate_misses == m->last_misses);
    FUZZ_ASSERT(l->size == m->size);
    FUZZ_ASSERT(l->type == m->type);
    FUZZ_ASSERT(kp_lookaside_cached(l) == (uint16_t)m->ncached);
    void *first = m->ncached ? m->cached[m->ncached - 1] : NULL;
    FUZZ_ASSERT((void *)kp_slist_first(&l->list_head) == first);
    FUZZ_ASSERT(info.current_depth == (uint16_t)m->ncached);
    FUZZ_ASSERT(info.kind == m->kind);
  }
  FUZZ_ASSERT(kp_clock_now(f->sys) == f->clock_ms);
}

/* ---------------------------------------------------------------------------
 * Operations.
 * ------------------------------------------------------------------------- */
static void op_init(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  int kind = (int)fuzz_range(d, 0, 2);
  uint32_t size = sizes[fuzz_range(d, 0, sizeof sizes / sizeof sizes[0] - 1)];
  uint32_t ex_type = ex_types[fuzz_range(d, 0, sizeof ex_types / sizeof ex_types[0] - 1)];
  mlist_t *m = &f->m[s];
  kp_lookaside_t *l = &f->lists[s];
  uint32_t before = f->bc_count;
  kp_status_t st;
  if (kind == KP_LOOKASIDE_EX) {
    st = kp_lookaside_init_ex(f->sys, l, NULL, NULL, ex_type, 0, size, TAG, 0,
                              KP_HERE);
  } else {
    kp_lookaside_init(f->sys, l, (kp_lookaside_kind_t)kind, NULL, NULL, 0, size,
                      TAG, 0, KP_HERE);
    st = KP_STATUS_SUCCESS;
  }
  if (m->active) {
    // Re-initialising an active list: 0xC4/0xCA, the list untouched.
    expect_bugcheck(f, before, 0xC4, 0xCA);
    if (kind == KP_LOOKASIDE_EX) FUZZ_ASSERT(st == KP_STATUS_UNSUCCESSFUL);
    return;
  }
  FUZZ_ASSERT(f->bc_count == before);
  FUZZ_ASSERT(st == KP_STATUS_SUCCESS);
  memset(m, 0, sizeof *m);
  m->active = true;
  m->kind = (kp_lookaside_kind_t)kind;
  m->type = kind == KP_LOOKASIDE_EX ? ex_type : (uint32_t)kind;
  m->paged = kind == KP_LOOKASIDE_PAGED || (kind == KP_LOOKASIDE_EX && (ex_type & 1));
  m->size = size;
  m->depth = f->minimum;
  m->max = f->cfg.lookaside_maximum_depth;
  m->order = ++f->next_order;
}

static void op_alloc(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  mlist_t *m = &f->m[s];
  uint32_t before = f->bc_count;
  if (f->nheld == MAX_HELD) return;
  void *p = kp_lookaside_alloc(f->sys, &f->lists[s], KP_HERE);
  if (!m->active) {
    expect_bugcheck(f, before, 0xC4, 0xCB);
    FUZZ_ASSERT(p == NULL);
    return;
  }
  FUZZ_ASSERT(f->bc_count == before);
  FUZZ_ASSERT(p != NULL);
  m->total_allocates++;
  if (m->ncached > 0) {
    FUZZ_ASSERT(p == m->cached[--m->ncached]);
  } else {
    m->allocate_misses++;
    kp_block_info_t bi;
    FUZZ_ASSERT(kp_block_query(f->sys, p, &bi) && bi.address == p);
    FUZZ_ASSERT(bi.size == m->size && bi.tag == TAG);
  }
  // The driver owns it now: it may write all of it.
  memset(p, 0x5C, m->size);
  f->held[f->nheld].p = p;
  f->held[f->nheld].size = m->size;
  f->nheld++;
}

static void drop_held(fz_t *f, uint32_t h) {
  f->held[h] = f->held[--f->nheld];
}

static void op_free(fz_t *f, fuzz_data_t *d) {
  uint8_t pick = fuzz_u8(d);
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  if (f->nheld == 0) return;
  uint32_t h = pick % f->nheld;
  mlist_t *m = &f->m[s];
  void *p = f->held[h].p;
  uint32_t before = f->bc_count;
  kp_lookaside_free(f->sys, &f->lists[s], p, KP_HERE);
  if (!m->active) {
    expect_bugcheck(f, before, 0xC4, 0xCB);
    return;
  }
  if (f->held[h].size != m->size) {
    expect_bugcheck(f, before, 0xC4, 0xCE);
    return;
  }
  FUZZ_ASSERT(f->bc_count == before);
  m->total_frees++;
  if (m->ncached < m->depth) {
    FUZZ_ASSERT(m->ncached < MAX_CACHED);
    m->cached[m->ncached++] = p;
  } else {
    m->free_misses++;
    kp_block_info_t bi;
    FUZZ_ASSERT(!kp_block_query(f->sys, p, &bi));
  }
  drop_held(f, h);
}

static void release_cached(fz_t *f, mlist_t *m) {
  for (uint32_t i = 0; i < m->ncached; i++) {
    kp_block_info_t bi;
    FUZZ_ASSERT(!kp_block_query(f->sys, m->cached[i], &bi));
  }
  m->ncached = 0;
}

static void op_flush(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  mlist_t *m = &f->m[s];
  uint32_t before = f->bc_count;
  kp_lookaside_flush(f->sys, &f->lists[s], KP_HERE);
  if (!m->active) {
    expect_bugcheck(f, before, 0xC4, 0xCB);
    return;
  }
  FUZZ_ASSERT(f->bc_count == before);
  release_cached(f, m);
}

static void op_delete(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  mlist_t *m = &f->m[s];
  uint32_t before = f->bc_count;
  kp_lookaside_delete(f->sys, &f->lists[s], KP_HERE);
  if (!m->active) {
    expect_bugcheck(f, before, 0xC4, 0xCB);
    return;
  }
  FUZZ_ASSERT(f->bc_count == before);
  release_cached(f, m);
  m->active = false;
}

static void op_clock(fz_t *f, fuzz_data_t *d) {
  uint64_t ms = fuzz_range(d, 0, 7000);
  uint64_t seconds = (f->clock_ms + ms) / 1000 - f->clock_ms / 1000;
  kp_clock_advance(f->sys, ms);
  f->clock_ms += ms;
  for (uint64_t i = 0; i < seconds; i++) model_second(f);
}

static void op_set_depth(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  uint16_t depth = (uint16_t)fuzz_range(d, 0, 400);
  mlist_t *m = &f->m[s];
  bool ok = kp_lookaside_set_depth(f->sys, &f->lists[s], depth);
  FUZZ_ASSERT(ok == m->active);
  if (ok) m->depth = depth > m->max ? m->max : depth;
}

static void op_free_to_pool(fz_t *f, fuzz_data_t *d) {
  uint8_t pick = fuzz_u8(d);
  bool with_tag = fuzz_bool(d);
  if (f->nheld == 0) return;
  uint32_t h = pick % f->nheld;
  uint32_t before = f->bc_count;
  kp_free(f->sys, f->held[h].p, with_tag ? TAG : 0, KP_HERE);
  FUZZ_ASSERT(f->bc_count == before);
  drop_held(f, h);
}

/* Frees the first cached entry of a list again: a double free. */
static void op_double_free(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  bool to_pool = fuzz_bool(d);
  mlist_t *m = &f->m[s];
  if (!m->active || m->ncached == 0) return;
  uint32_t before = f->bc_count;
  void *p = m->cached[m->ncached - 1];
  if (to_pool)
    kp_free(f->sys, p, 0, KP_HERE);
  else
    kp_lookaside_free(f->sys, &f->lists[s], p, KP_HERE);
  bool verifier = (f->cfg.verifier_flags & KP_VERIFY_AUTOMATIC) != 0;
  expect_bugcheck(f, before, verifier ? 0xC4 : 0xC2, verifier ? 0x13 : 0x07);
}

/* Writes into the first cached entry; the next allocate finds it (0xC6),
 * releases the entry and returns NULL. The allocation was counted first,
 * as Windows counts it (a hit: no miss). */
static void op_touch_cached(fz_t *f, fuzz_data_t *d) {
  int s = (int)fuzz_range(d, 0, SLOTS - 1);
  uint16_t where = fuzz_u16(d);
  uint8_t value = fuzz_u8(d);
  mlist_t *m = &f->m[s];
  if (!m->active || m->ncached == 0 || m->size < 16) return;
  uint8_t *p = m->cached[m->ncached - 1];
  size_t filled = m->size & ~(uint32_t)7;
  size_t off = 8 + where % (filled - 8);
  if (value == KP_LOOKASIDE_FILL) value ^= 1;
  scribble(p, off, value);
  uint32_t before = f->bc_count;
  void *got = kp_lookaside_alloc(f->sys, &f->lists[s], KP_HERE);
  FUZZ_ASSERT(got == NULL);
  expect_bugcheck(f, before, 0xC6, (uint64_t)(uintptr_t)(p + off));
  m->total_allocates++;
  m->ncached--;
  kp_block_info_t bi;
  FUZZ_ASSERT(!kp_block_query(f->sys, p, &bi));
}

/* ---------------------------------------------------------------------------
 * The target.
 * ------------------------------------------------------------------------- */
static void read_config(fz_t *f, fuzz_data_t *d) {
  kp_config_init(&f->cfg);
  f->cfg.verifier_flags = KP_VERIFY_POOL_TRACKING;
  if (fuzz_bool(d)) f->cfg.verifier_flags |= KP_VERIFY_AUTOMATIC;
  f->cfg.out = fz_quiet;
  f->cfg.lookaside_minimum_depth = (uint16_t)fuzz_range(d, 0, 6);
  f->cfg.lookaside_maximum_depth = (uint16_t)fuzz_range(d, 6, 300);
  f->cfg.lookaside_alloc_threshold = (uint32_t)fuzz_range(d, 0, 30);
  f->cfg.lookaside_idle_decrement = (uint16_t)fuzz_range(d, 0, 12);
  f->cfg.lookaside_lowmiss_decrement = (uint16_t)fuzz_range(d, 0, 3);
  f->cfg.lookaside_grow_base = (uint16_t)fuzz_range(d, 0, 8);
  f->cfg.lookaside_grow_max = (uint16_t)fuzz_range(d, 0, 40);
  f->cfg.lookaside_scan_period = (uint32_t)fuzz_range(d, 1, 4);
  // A small pool budget keeps the quarantine and the pages cheap.
  f->cfg.nonpaged_pool_bytes = (size_t)8 << 20;
  f->cfg.paged_pool_bytes = (size_t)8 << 20;
  f->minimum = f->cfg.lookaside_minimum_depth;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_data_t d = fuzz_data_init(data, size);
  fz_t *f = calloc(1, sizeof *f);
  if (f == NULL) return 0;
  kp_irql_set(KP_PASSIVE_LEVEL);
  read_config(f, &d);
  f->sys = kp_system_create(&f->cfg);
  FUZZ_ASSERT(f->sys != NULL);
  kp_bugcheck_set_handler(f->sys, fz_handler, f, NULL, NULL);

  bool trace = getenv("KPOOL_FUZZ_TRACE") != NULL;
  if (trace)
    fprintf(stderr, "config: automatic %d min %u max %u threshold %u idle %u "
                    "lowmiss %u base %u cap %u period %u\n",
            (f->cfg.verifier_flags & KP_VERIFY_AUTOMATIC) != 0,
            (unsigned)f->minimum, (unsigned)f->cfg.lookaside_maximum_depth,
            (unsigned)f->cfg.lookaside_alloc_threshold,
            (unsigned)f->cfg.lookaside_idle_decrement,
            (unsigned)f->cfg.lookaside_lowmiss_decrement,
            (unsigned)f->cfg.lookaside_grow_base,
            (unsigned)f->cfg.lookaside_grow_max,
            (unsigned)f->cfg.lookaside_scan_period);
  for (int n = 0; n < MAX_OPS && !fuzz_data_empty(&d); n++) {
    uint8_t op = fuzz_u8(&d) % 12;
    if (trace) fprintf(stderr, "op %d: %u\n", n, (unsigned)op);
    switch (op) {
    case 0: op_init(f, &d); break;
    case 1: case 2: case 3: op_alloc(f, &d); break;
    case 4: case 5: op_free(f, &d); break;
    case 6: op_flush(f, &d); break;
    case 7: op_delete(f, &d); break;
    case 8: op_clock(f, &d); break;
    case 9: op_set_depth(f, &d); break;
    case 10: op_free_to_pool(f, &d); break;
    default:
      if (fuzz_bool(&d))
        op_double_free(f, &d);
      else
        op_touch_cached(f, &d);
      break;
    }
    check_all(f);
  }

  // Everything back: nothing leaks, nothing is left active.
  uint32_t before = f->bc_count;
  FUZZ_ASSERT(kp_lookaside_verify(f->sys) == KP_STATUS_SUCCESS);
  for (int i = 0; i < SLOTS; i++)
    if (f->m[i].active) kp_lookaside_delete(f->sys, &f->lists[i], KP_HERE);
  while (f->nheld > 0) kp_free(f->sys, f->held[--f->nheld].p, 0, KP_HERE);
  FUZZ_ASSERT(kp_driver_unload(f->sys) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(f->bc_count == before);
  kp_system_destroy(f->sys);
  free(f);
  return 0;
}
