/**
 * @file fuzz/fuzz_pool_ops.c
 * @brief Fuzz target: a script of pool operations against a fresh simulated
 *        system, checked against a model after every operation.
 *
 * Input layout (fuzz_helpers.h producer, front to back):
 *
 *   config   verifier on/off, NUMA nodes (1-2), processor, pool budgets
 *            (1-64 pages each), quota limit, priority reserves, fill bytes,
 *            quarantine limits
 *   ops...   one selector byte each, then the operation's own parameters
 *
 * Operations: ExAllocatePool2 (kp_alloc2) with chosen flags, including
 * reserved, duplicate and missing pool-type bits; the legacy allocators
 * (kp_alloc_legacy) with every kp_alloc_api_t, valid and invalid POOL_TYPE
 * values, modifier bits and priorities; frees with the right tag (stored,
 * with PROTECTED_POOL set, or 0 as ExFreePool does); block size and block
 * queries (start, interior, non-block); statistics (kp_stats_get,
 * kp_stats_tag, kp_stats_visit_tags, kp_visit_blocks); kp_verify; writes
 * inside blocks; memory pressure (kp_pool_set_available); the thread's
 * IRQL (PASSIVE, APC, DISPATCH); and deliberate misuse whose bug check is
 * predicted exactly (wrong tag, double free, freeing a recycled, wild, NULL
 * or interior address, canary overrun, header damage, write after free,
 * zero size, bad tags, must-succeed pool, pool access at DISPATCH_LEVEL).
 *
 * The model holds the live blocks (address -> tag, size, pool, content
 * byte), each pool's budget, available bytes, counters and quarantine (a
 * FIFO mirroring the documented limits), the per tag x pool counters and
 * the number of bug checks. After every operation the cheap invariants are
 * compared (pool totals, the touched tag, bug check count); the statistics
 * operation and the end of the input compare everything.
 *
 * Bug checks: the handler longjmps back into the call that raised it when
 * that call is "armed"; the outcome is then compared with the prediction.
 * Any bug check outside an armed call, or one that was not predicted,
 * prints the standard report and fails the input.
 *
 * At the end every block is freed, kp_driver_unload() must be clean, and
 * the system is destroyed. Nothing survives between inputs except the
 * calling thread's IRQL and processor, which are reset at the start.
 */
#include <setjmp.h>
#include <stdarg.h>
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
#include <sanitizer/asan_interface.h>
#endif

/* ---------------------------------------------------------------------------
 * Limits and constants of the model. The simulator's layout rules are the
 * documented ones (kpool/pool.h, kpool/stats.h): 16-byte granules with a
 * 16-byte header below a page, whole pages from a page up.
 * ------------------------------------------------------------------------- */
#define FZ_PAGE 4096u
#define FZ_GRANULE 16u
#define FZ_HEADER 16u
#define FZ_MAX_LIVE 64u
#define FZ_MAX_POOLS 3u /* paged + up to two non-paged nodes */
#define FZ_MAX_QUEUE 32u
#define FZ_MAX_TAGS 96u
#define FZ_MAX_STALE 8u
#define FZ_MAX_OPS 2000u
#define FZ_MAX_SIZE (3u * FZ_PAGE + 512u)
#define FZ_PROTECTED 0x80000000u
#define FZ_TAG_BIG 0x20474942u /* " GIB", reserved by the kernel */

/* One live block in the model. */
typedef struct mblock {
  uint8_t *p;
  size_t size;        /* bytes requested (1 for a retail zero-size request) */
  size_t bytes;       /* block bytes counted against the pool */
  size_t span;        /* bytes from p to the end of the block (data + canary) */
  bool big;           /* whole pages, no header */
  kp_tag_t tag;       /* as stored: PROTECTED_POOL stripped */
  uint32_t pool;      /* model pool index: 0 paged, 1 + node */
  uint8_t content;    /* every byte of [p, p + size) holds this */
  bool quota;
  kp_pool_flags_t flags;
  kp_alloc_api_t api;
} mblock_t;

/* One freed block in a pool's quarantine, oldest first. */
typedef struct mqueued {
  uint8_t *p;
  size_t bytes;
  size_t span;
  uint8_t *damage; /* lowest byte written after the free, or NULL */
} mqueued_t;

/* One simulated pool. */
typedef struct mpool {
  kp_pool_kind_t kind;
  size_t budget;
  size_t avail;
  size_t used;
  size_t peak;
  uint64_t allocs;
  uint64_t frees;
  uint64_t failures;
  uint32_t live;
  mqueued_t q[FZ_MAX_QUEUE];
  uint32_t qn;
  size_t qbytes;
} mpool_t;

/* Counters of one tag in one pool. */
typedef struct mtag {
  kp_tag_t tag;
  uint32_t pool;
  uint64_t allocs;
  uint64_t frees;
  uint64_t bytes;
  uint64_t peak;
  uint64_t failures;
} mtag_t;

/* What one call did. */
typedef struct outcome {
  void *p;
  bool raised;
  kp_status_t status;
  bool bugchecked;
  uint32_t code;
  uint64_t params[4];
} outcome_t;

/* What the model says a call must do. */
typedef enum expect_kind {
  EXPECT_OK = 0,   /* succeed (an allocation may still fail, see alloc_check) */
  EXPECT_FAIL,     /* NULL, or a raise of @c status when @c raise */
  EXPECT_BUGCHECK  /* bug check @c code with P1 @c p1 */
} expect_kind_t;

typedef struct expect {
  expect_kind_t kind;
  bool raise;
  kp_status_t status;
  bool counted;   /* the failure is counted in the tag and pool statistics */
  uint32_t code;
  uint64_t p1;
} expect_t;

/* The whole state of one input. */
typedef struct fz {
  kp_system_t *sys;
  kp_config_t cfg;
  bool verifier;
  uint32_t nodes;
  uint32_t node; /* the calling thread's node */
  kp_irql_t irql;

  jmp_buf env;
  volatile int armed;
  uint32_t bc_code;
  uint64_t bc_params[4];

  mpool_t pools[FZ_MAX_POOLS];
  uint32_t npools;
  mblock_t live[FZ_MAX_LIVE + 1];
  uint32_t nlive;
  mtag_t tags[FZ_MAX_TAGS];
  uint32_t ntags;
  uint8_t *stale[FZ_MAX_STALE]; /* recycled addresses: no longer blocks */
  uint32_t nstale;
  uint64_t quota_used;
  uint32_t bugchecks;
  kp_tag_t touched; /* tag of the last allocation or free, 0 if none */
} fz_t;

static const kp_tag_t fz_palette[8] = {
    KP_TAG('F', 'z', 'A', '0'), KP_TAG('F', 'z', 'B', '1'),
    KP_TAG('F', 'z', 'C', '2'), KP_TAG('E', 'v', 'C', '1'),
    KP_TAG('N', 'o', 'n', 'e'), KP_TAG('a', ' ', ' ', ' '),
    KP_TAG('7', 0, 0, 0),       KP_TAG('T', 'a', 'g', '1')};

static size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

/* KPOOL_FUZZ_TRACE=1 in the environment prints every operation to stderr
 * (read once, in LLVMFuzzerInitialize), for reading a crashing input. */
static bool fz_trace;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2)))
#endif
static void trace(const char *fmt, ...) {
  if (!fz_trace) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* ---------------------------------------------------------------------------
 * Output and the bug check handler.
 * ------------------------------------------------------------------------- */
static void out_null(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void out_stderr(const char *text, void *arg) {
  (void)arg;
  fputs(text, stderr);
}

static void on_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  fz_t *f = arg;
  if (!f->armed) {
    // Not inside a call that may bug check: the simulator raised where the
    // model says nothing can go wrong. Show the report, then fail.
    kp_bugcheck_print(bc, out_stderr, NULL);
    FUZZ_ASSERT(!"bug check outside an armed call");
  }
  f->armed = 0;
  f->bc_code = bc->code;
  memcpy(f->bc_params, bc->params, sizeof f->bc_params);
  longjmp(f->env, 1);
}

/* A call into the simulator that may raise or bug check. The thunk writes
 * its result through its argument (memory, not a local, so it survives the
 * longjmp). */
typedef void (*thunk_fn)(fz_t *f, void *arg);

/* Runs @p fn inside a KP_TRY frame with the bug check handler armed; the
 * handler's longjmp lands inside the KP_TRY body, so the frame is left the
 * normal way either way. */
static void run(fz_t *f, thunk_fn fn, void *arg, outcome_t *o) {
  o->raised = false;
  o->bugchecked = false;
  o->status = KP_STATUS_SUCCESS;
  o->code = 0;
  f->bc_code = 0;
  KP_TRY {
    if (setjmp(f->env) == 0) {
      f->armed = 1;
      fn(f, arg);
      f->armed = 0;
    } else {
      o->bugchecked = true;
    }
  }
  KP_EXCEPT(st) {
    f->armed = 0;
    o->raised = true;
    o->status = st;
  }
  KP_END_TRY;
  if (o->bugchecked) {
    o->code = f->bc_code;
    memcpy(o->params, f->bc_params, sizeof o->params);
  }
}

static void report_outcome(const char *what, const outcome_t *o,
                           const expect_t *e) {
  fprintf(stderr,
          "%s: expected kind %d (status 0x%08X, code 0x%X/0x%llX); got p=%p "
          "raised=%d status=0x%08X bugchecked=%d code=0x%X/0x%llX\n",
          what, (int)e->kind, (unsigned)e->status, (unsigned)e->code,
          (unsigned long long)e->p1, o->p, (int)o->raised,
          (unsigned)o->status, (int)o->bugchecked, (unsigned)o->code,
          (unsigned long long)o->params[0]);
}

/* Checks a call that must bug check with @p e->code / @p e->p1. */
static void check_bugcheck(fz_t *f, const char *what, const outcome_t *o,
                           const expect_t *e) {
  trace("  %s -> bug check 0x%X/0x%llX", what, (unsigned)o->code,
        (unsigned long long)o->params[0]);
  if (!o->bugchecked || o->code != e->code || o->params[0] != e->p1)
    report_outcome(what, o, e);
  FUZZ_ASSERT(o->bugchecked);
  FUZZ_ASSERT(o->code == e->code);
  FUZZ_ASSERT(o->params[0] == e->p1);
  f->bugchecks++;
}

/* ---------------------------------------------------------------------------
 * Model helpers.
 * ------------------------------------------------------------------------- */

/* Block layout for a request of @p size bytes (size > 0) aligned to
 * @p align: the bytes the pool counts, and the span from the returned
 * address to the block end. Returns true for a whole-page block. */
static bool layout(size_t size, size_t align, size_t *bytes, size_t *span) {
  if (size > ((size_t)1 << 48)) {
    // Beyond any budget (the largest is 64 pages): saturate, no overflow.
    *bytes = *span = SIZE_MAX;
    return true;
  }
  // A cache-aligned small block must also fit the worst-case padding in
  // front of it (48 bytes on a fresh page).
  size_t pad = align > FZ_GRANULE ? align - FZ_HEADER : 0;
  size_t data = round_up(size + 1, FZ_GRANULE);
  if (pad + FZ_HEADER + data <= FZ_PAGE) {
    *bytes = FZ_HEADER + round_up(size, FZ_GRANULE);
    *span = data;
    return false;
  }
  *bytes = round_up(size, FZ_PAGE);
  *span = *bytes;
  return true;
}

static mtag_t *tag_find(fz_t *f, kp_tag_t tag, uint32_t pool, bool create) {
  for (uint32_t i = 0; i < f->ntags; i++)
    if (f->tags[i].tag == tag && f->tags[i].pool == pool) return &f->tags[i];
  if (!create) return NULL;
  FUZZ_ASSERT(f->ntags < FZ_MAX_TAGS);
  mtag_t *t = &f->tags[f->ntags++];
  memset(t, 0, sizeof *t);
  t->tag = tag;
  t->pool = pool;
  return t;
}

static void stale_forget(fz_t *f, const uint8_t *p, size_t span) {
  for (uint32_t i = 0; i < f->nstale;) {
    if (f->stale[i] >= p && f->stale[i] < p + span)
      f->stale[i] = f->stale[--f->nstale];
    else
      i++;
  }
}

static void stale_add(fz_t *f, uint8_t *p) {
  if (f->nstale == FZ_MAX_STALE) {
    memmove(f->stale, f->stale + 1, (FZ_MAX_STALE - 1) * sizeof *f->stale);
    f->nstale--;
  }
  f->stale[f->nstale++] = p;
}

/* Whether the pool's budget check lets @p bytes through at @p priority
 * (kp_pool_set_available, priority reserves: kpool/pool.h). */
static bool budget_allows(const fz_t *f, const mpool_t *mp, size_t bytes,
                          kp_priority_t priority) {
  if (mp->used > mp->avail || bytes > mp->avail - mp->used) return false;
  uint32_t reserve = 0;
  unsigned base = (unsigned)priority & 0x30u;
  if (base == KP_PRIORITY_LOW)
    reserve = f->cfg.low_priority_reserve_percent;
  else if (base == KP_PRIORITY_NORMAL)
    reserve = f->cfg.normal_priority_reserve_percent;
  uint64_t left = (uint64_t)mp->avail - mp->used - bytes;
  return left * 100 >= (uint64_t)mp->avail * reserve;
}

static uint32_t pool_index(const fz_t *f, kp_pool_kind_t kind, uint32_t node) {
  (void)f;
  return kind == KP_POOL_PAGED ? 0u : 1u + node;
}

/* The quarantine drain of one pool after a free (FIFO, count and byte
 * limits, stops at the first damaged block). Returns the damaged block's
 * first bad byte, or NULL. */
static uint8_t *queue_drain(fz_t *f, mpool_t *mp) {
  while (mp->qn > 0 && (mp->qn > f->cfg.quarantine_blocks ||
                        mp->qbytes > f->cfg.quarantine_bytes)) {
    mqueued_t head = mp->q[0];
    memmove(mp->q, mp->q + 1, (mp->qn - 1) * sizeof *mp->q);
    mp->qn--;
    mp->qbytes -= head.bytes;
    stale_add(f, head.p);
    if (head.damage != NULL) return head.damage;
  }
  return NULL;
}

static mqueued_t *queue_find(fz_t *f, const uint8_t *p, uint32_t *pool) {
  for (uint32_t i = 0; i < f->npools; i++)
    for (uint32_t k = 0; k < f->pools[i].qn; k++)
      if (f->pools[i].q[k].p == p) {
        if (pool != NULL) *pool = i;
        return &f->pools[i].q[k];
      }
  return NULL;
}

/* Whether all @p n bytes at @p p are @p c. One memcmp of the range against
 * itself shifted by a byte: a per-byte loop here would dominate the run
 * time under the fuzzer's comparison tracing. */
static bool content_uniform(const uint8_t *p, size_t n, uint8_t c) {
  if (n == 0) return true;
  return p[0] == c && memcmp(p, p + 1, n - 1) == 0;
}

static bool poisoned(const void *p, size_t n) {
#ifdef FZ_ASAN
  // Under ASan the simulator may poison headers, canaries and freed blocks;
  // the misuse operations below then leave those bytes alone.
  return __asan_region_is_poisoned((void *)(uintptr_t)p, n) != NULL;
#else
  (void)p;
  (void)n;
  return false;
#endif
}

/* ---------------------------------------------------------------------------
 * Invariant checks.
 * ------------------------------------------------------------------------- */

/* Pool totals, the quarantine size and the bug check count: after every
 * operation. */
static void check_cheap(fz_t *f) {
  kp_stats_t st = KP_STATS_INIT;
  FUZZ_ASSERT(kp_stats_get(f->sys, &st));
  for (int kind = 0; kind < 2; kind++) {
    uint64_t allocs = 0, frees = 0, failures = 0, live = 0, bytes = 0;
    uint64_t peak = 0, budget = 0, queued = 0;
    for (uint32_t i = 0; i < f->npools; i++) {
      const mpool_t *mp = &f->pools[i];
      if ((int)mp->kind != kind) continue;
      allocs += mp->allocs;
      frees += mp->frees;
      failures += mp->failures;
      live += mp->live;
      bytes += mp->used;
      peak += mp->peak;
      budget += mp->budget;
      queued += mp->qn;
    }
    const kp_pool_totals_t *t = &st.pool[kind];
    FUZZ_ASSERT(t->allocs == allocs);
    FUZZ_ASSERT(t->frees == frees);
    FUZZ_ASSERT(t->failures == failures);
    FUZZ_ASSERT(t->live_blocks == live);
    FUZZ_ASSERT(t->bytes == bytes);
    FUZZ_ASSERT(t->peak_bytes == peak);
    FUZZ_ASSERT(t->budget == budget);
    FUZZ_ASSERT(t->quarantined_blocks == queued);
  }
  FUZZ_ASSERT(st.bugchecks == f->bugchecks);
  FUZZ_ASSERT(kp_bugcheck_count(f->sys) == f->bugchecks);
  for (uint32_t i = 0; i < f->npools; i++) {
    const mpool_t *mp = &f->pools[i];
    uint32_t node = mp->kind == KP_POOL_PAGED ? 0 : i - 1;
    FUZZ_ASSERT(kp_pool_available(f->sys, mp->kind, node) == mp->avail);
  }
}

/* kp_stats_tag for one tag in one pool kind, summed over nodes. */
static void check_tag(fz_t *f, kp_tag_t tag, kp_pool_kind_t kind) {
  kp_tag_stats_t want;
  memset(&want, 0, sizeof want);
  bool known = false;
  for (uint32_t i = 0; i < f->ntags; i++) {
    const mtag_t *t = &f->tags[i];
    if (t->tag != tag || f->pools[t->pool].kind != kind) continue;
    known = true;
    want.allocs += t->allocs;
    want.frees += t->frees;
    want.bytes += t->bytes;
    want.peak_bytes += t->peak;
    want.failures += t->failures;
  }
  kp_tag_stats_t got;
  bool found = kp_stats_tag(f->sys, tag, kind, &got);
  FUZZ_ASSERT(found == known);
  FUZZ_ASSERT(got.allocs == want.allocs);
  FUZZ_ASSERT(got.frees == want.frees);
  FUZZ_ASSERT(got.bytes == want.bytes);
  FUZZ_ASSERT(got.peak_bytes == want.peak_bytes);
  FUZZ_ASSERT(got.failures == want.failures);
}

typedef struct visit_state {
  fz_t *f;
  uint32_t seen;
  bool ordered;
  kp_tag_stats_t last;
} visit_state_t;

static bool visit_tag(const kp_tag_stats_t *st, void *arg) {
  visit_state_t *v = arg;
  fz_t *f = v->f;
  // Ordered by pool, node, then tag value (kpool/stats.h).
  if (v->seen > 0) {
    const kp_tag_stats_t *a = &v->last;
    bool after = a->pool < st->pool ||
                 (a->pool == st->pool &&
                  (a->node < st->node ||
                   (a->node == st->node && a->tag < st->tag)));
    if (!after) v->ordered = false;
  }
  v->last = *st;
  v->seen++;
  uint32_t pool = pool_index(f, st->pool, st->node);
  FUZZ_ASSERT(pool < f->npools);
  const mtag_t *t = tag_find(f, st->tag, pool, false);
  FUZZ_ASSERT(t != NULL);
  FUZZ_ASSERT(st->allocs == t->allocs);
  FUZZ_ASSERT(st->frees == t->frees);
  FUZZ_ASSERT(st->bytes == t->bytes);
  FUZZ_ASSERT(st->peak_bytes == t->peak);
  FUZZ_ASSERT(st->failures == t->failures);
  return true;
}

static bool visit_block(const kp_block_info_t *info, void *arg) {
  visit_state_t *v = arg;
  fz_t *f = v->f;
  v->seen++;
  for (uint32_t i = 0; i < f->nlive; i++) {
    const mblock_t *b = &f->live[i];
    if (b->p != info->address) continue;
    FUZZ_ASSERT(info->size == b->size);
    FUZZ_ASSERT(info->tag == b->tag);
    FUZZ_ASSERT(info->block_bytes == b->bytes);
    return true;
  }
  FUZZ_ASSERT(!"kp_visit_blocks reported a block the model does not know");
  return false;
}

/* Everything: every tag x pool x node, every live block's record and
 * contents. */
static void check_full(fz_t *f) {
  check_cheap(f);
  visit_state_t v;
  memset(&v, 0, sizeof v);
  v.f = f;
  v.ordered = true;
  kp_stats_visit_tags(f->sys, visit_tag, &v);
  FUZZ_ASSERT(v.seen == f->ntags);
  FUZZ_ASSERT(v.ordered);
  for (uint32_t i = 0; i < f->ntags; i++)
    check_tag(f, f->tags[i].tag, f->pools[f->tags[i].pool].kind);
  memset(&v, 0, sizeof v);
  v.f = f;
  kp_visit_blocks(f->sys, visit_block, &v);
  FUZZ_ASSERT(v.seen == f->nlive);
  for (uint32_t i = 0; i < f->nlive; i++) {
    const mblock_t *b = &f->live[i];
    FUZZ_ASSERT(content_uniform(b->p, b->size, b->content));
  }
}

/* ---------------------------------------------------------------------------
 * Allocation.
 * ------------------------------------------------------------------------- */
typedef struct alloc_args {
  bool legacy;
  kp_pool_flags_t flags;
  kp_alloc_api_t api;
  uint32_t pool_type;
  kp_priority_t priority;
  size_t size;
  kp_tag_t tag;
  void *result;
} alloc_args_t;

static void thunk_alloc(fz_t *f, void *arg) {
  alloc_args_t *a = arg;
  if (a->legacy)
    a->result = kp_alloc_legacy(f->sys, a->api, a->pool_type, a->size, a->tag,
                                a->priority, KP_HERE);
  else
    a->result = kp_alloc2(f->sys, a->flags, a->size, a->tag, KP_HERE);
}

/* A request after the entry point's own rules: what the pool sees. */
typedef struct request {
  kp_pool_kind_t kind;
  kp_tag_t tag;
  size_t size;
  size_t align;
  bool zero;
  bool quota;
  bool raise;
  kp_priority_t priority;
  kp_pool_flags_t flags; /* effective flags (kp_block_info_t::flags) */
} request_t;

static bool tag_has_letter_or_digit(kp_tag_t tag) {
  for (int i = 0; i < 4; i++) {
    unsigned c = (tag >> (8 * i)) & 0xFFu;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
        (c >= 'a' && c <= 'z'))
      return true;
  }
  return false;
}

static bool priority_valid(kp_priority_t p) {
  static const unsigned ok[] = {0, 8, 9, 16, 24, 25, 32, 40, 41};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if ((unsigned)p == ok[i]) return true;
  return false;
}

/* The rules shared by every entry point once the request is valid: tag
 * text, zero size, IRQL. Returns true when the request reaches the pool. */
static bool predict_common(const fz_t *f, request_t *rq, expect_t *e) {
  if (rq->tag == FZ_TAG_BIG) {
    e->kind = EXPECT_BUGCHECK;
    e->code = KP_BUGCHECK_BAD_POOL_CALLER;
    e->p1 = 0x9C;
    return false;
  }
  if (!tag_has_letter_or_digit(rq->tag)) {
    e->kind = EXPECT_BUGCHECK;
    e->code = KP_BUGCHECK_BAD_POOL_CALLER;
    e->p1 = 0x9D;
    return false;
  }
  if (rq->size == 0) {
    if (f->verifier) {
      e->kind = EXPECT_BUGCHECK;
      e->code = KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION;
      e->p1 = 0x00;
      return false;
    }
    rq->size = 1; // retail: one byte
  }
  if (rq->kind == KP_POOL_PAGED && f->irql > KP_APC_LEVEL) {
    e->kind = EXPECT_BUGCHECK;
    e->code = f->verifier ? KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION
                          : KP_BUGCHECK_BAD_POOL_CALLER;
    e->p1 = f->verifier ? 0x01 : 0x08;
    return false;
  }
  e->kind = EXPECT_OK;
  return true;
}

/* ExAllocatePool2's rules (kpool/pool.h). */
static bool predict_alloc2(const fz_t *f, const alloc_args_t *a, request_t *rq,
                           expect_t *e) {
  memset(rq, 0, sizeof *rq);
  rq->tag = a->tag & ~FZ_PROTECTED;
  rq->size = a->size;
  rq->priority = KP_PRIORITY_NORMAL;
  rq->flags = a->flags;
  rq->zero = (a->flags & KP_POOL_FLAG_UNINITIALIZED) == 0;
  rq->quota = (a->flags & KP_POOL_FLAG_USE_QUOTA) != 0;
  rq->raise = (a->flags & KP_POOL_FLAG_RAISE_ON_FAILURE) != 0;
  rq->align = (a->flags & KP_POOL_FLAG_CACHE_ALIGNED) ? 64 : 16;
  unsigned types = 0;
  if (a->flags & KP_POOL_FLAG_NON_PAGED) types++, rq->kind = KP_POOL_NONPAGED;
  if (a->flags & KP_POOL_FLAG_NON_PAGED_EXECUTE)
    types++, rq->kind = KP_POOL_NONPAGED;
  if (a->flags & KP_POOL_FLAG_PAGED) types++, rq->kind = KP_POOL_PAGED;
  kp_pool_flags_t required = a->flags & KP_POOL_FLAG_REQUIRED_MASK;
  e->raise = rq->raise;
  if ((required & ~KP_POOL_FLAG_KNOWN_REQUIRED) != 0 || types != 1 ||
      rq->tag == 0) {
    e->kind = EXPECT_FAIL;
    e->status = KP_STATUS_INSUFFICIENT_RESOURCES;
    e->counted = false;
    return false;
  }
  return predict_common(f, rq, e);
}

/* The legacy allocators' rules (kpool/pool.h). */
static bool predict_legacy(const fz_t *f, const alloc_args_t *a, request_t *rq,
                           expect_t *e) {
  const uint32_t mods = KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE |
                        KP_POOL_RAISE_IF_ALLOCATION_FAILURE |
                        KP_POOL_COLD_ALLOCATION | KP_POOL_NX_ALLOCATION |
                        KP_POOL_ZERO_ALLOCATION;
  memset(rq, 0, sizeof *rq);
  rq->tag = a->api == KP_API_ALLOCATE_POOL ? KP_TAG_NONE : a->tag & ~FZ_PROTECTED;
  rq->size = a->size;
  rq->priority = a->priority;
  rq->quota = a->api == KP_API_ALLOCATE_POOL_QUOTA;
  rq->zero = (a->pool_type & KP_POOL_ZERO_ALLOCATION) != 0;
  rq->raise = rq->quota ? (a->pool_type & KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) == 0
                        : (a->pool_type & KP_POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
  e->raise = rq->raise;
  uint32_t plain = (a->pool_type & ~mods) & ~KP_POOL_TYPE_SESSION;
  if (a->api >= KP_API_COUNT_ || !priority_valid(a->priority) || plain > 6 ||
      plain == KP_POOL_TYPE_DONT_USE) {
    e->kind = EXPECT_FAIL;
    e->status = KP_STATUS_INSUFFICIENT_RESOURCES;
    e->counted = false;
    return false;
  }
  if (rq->tag == 0) {
    e->kind = EXPECT_BUGCHECK;
    e->code = KP_BUGCHECK_BAD_POOL_CALLER;
    e->p1 = 0x9B;
    return false;
  }
  if (plain == KP_POOL_TYPE_NONPAGED_MUST_SUCCEED ||
      plain == KP_POOL_TYPE_NONPAGED_CACHE_ALIGNED_MUST_S) {
    e->kind = EXPECT_BUGCHECK;
    e->code = KP_BUGCHECK_BAD_POOL_CALLER;
    e->p1 = 0x9A;
    return false;
  }
  rq->kind = (plain & 1u) ? KP_POOL_PAGED : KP_POOL_NONPAGED;
  rq->align = (plain & 4u) ? 64 : 16;
  if (rq->kind == KP_POOL_PAGED)
    rq->flags = KP_POOL_FLAG_PAGED;
  else if (a->pool_type & KP_POOL_NX_ALLOCATION)
    rq->flags = KP_POOL_FLAG_NON_PAGED;
  else
    rq->flags = KP_POOL_FLAG_NON_PAGED_EXECUTE;
  if (!rq->zero) rq->flags |= KP_POOL_FLAG_UNINITIALIZED;
  if (rq->quota) rq->flags |= KP_POOL_FLAG_USE_QUOTA;
  if (rq->raise) rq->flags |= KP_POOL_FLAG_RAISE_ON_FAILURE;
  if (rq->align == 64) rq->flags |= KP_POOL_FLAG_CACHE_ALIGNED;
  return predict_common(f, rq, e);
}

/* Pages the simulator has carved out of the arena of @p kind. */
static uint64_t pages_in_use(fz_t *f, kp_pool_kind_t kind) {
  kp_stats_t st = KP_STATS_INIT;
  FUZZ_ASSERT(kp_stats_get(f->sys, &st));
  return st.pool[kind].pages_in_use;
}

/* Whether an allocation of @p bytes that its budget allows may still find
 * no room in the arena of pool @p pool. Freed small blocks (kept on their
 * size's free list) and quarantined blocks hold pages the budget no longer
 * counts, so the arena can fill up; the model accepts that only once the
 * pools of this kind have carved more pages than the budget's worth. (The
 * statistics give pages per kind, not per node: a weaker check with two
 * nodes.) */
static bool arena_may_be_full(fz_t *f, kp_pool_kind_t kind, size_t size,
                              size_t bytes, uint32_t pool) {
  uint64_t need = bytes >= FZ_PAGE ? bytes / FZ_PAGE : 1;
  uint64_t budget_pages = f->pools[pool].budget / FZ_PAGE;
  uint64_t carved = pages_in_use(f, kind);
  if (carved + need > budget_pages) return true;
  fprintf(stderr, "allocation of %zu bytes found no room within the budget: "
                  "%llu pages carved, %llu needed, budget %llu pages\n",
          size, (unsigned long long)carved, (unsigned long long)need,
          (unsigned long long)budget_pages);
  return false;
}

/* Records a failed allocation attempt that reached the pool. */
static void note_failure(fz_t *f, uint32_t pool, kp_tag_t tag) {
  f->pools[pool].failures++;
  tag_find(f, tag, pool, true)->failures++;
}

static void check_failure_outcome(const char *what, const outcome_t *o,
                                  const expect_t *e, kp_status_t alt) {
  bool ok = !o->bugchecked && o->p == NULL &&
            (e->raise ? o->raised && (o->status == e->status ||
                                      o->status == alt)
                      : !o->raised);
  if (!ok) report_outcome(what, o, e);
  FUZZ_ASSERT(ok);
}

static void do_alloc(fz_t *f, alloc_args_t *a) {
  request_t rq;
  expect_t e;
  memset(&e, 0, sizeof e);
  bool reaches = a->legacy ? predict_legacy(f, a, &rq, &e)
                           : predict_alloc2(f, a, &rq, &e);
  f->touched = rq.tag;
  outcome_t o;
  memset(&o, 0, sizeof o);
  a->result = NULL;
  run(f, thunk_alloc, a, &o);
  o.p = o.raised || o.bugchecked ? NULL : a->result;
  if (a->legacy)
    trace("legacy api %d type 0x%X prio %d size %zu tag 0x%08X -> %p raised "
          "0x%08X bugcheck 0x%X/0x%llX",
          (int)a->api, (unsigned)a->pool_type, (int)a->priority, a->size,
          (unsigned)a->tag, o.p, (unsigned)o.status, (unsigned)o.code,
          (unsigned long long)o.params[0]);
  else
    trace("alloc2 flags 0x%llX size %zu tag 0x%08X -> %p raised 0x%08X "
          "bugcheck 0x%X/0x%llX",
          (unsigned long long)a->flags, a->size, (unsigned)a->tag, o.p,
          (unsigned)o.status, (unsigned)o.code,
          (unsigned long long)o.params[0]);

  if (!reaches) {
    if (e.kind == EXPECT_BUGCHECK)
      check_bugcheck(f, "alloc", &o, &e);
    else
      check_failure_outcome("alloc (invalid request)", &o, &e,
                            KP_STATUS_INSUFFICIENT_RESOURCES);
    return;
  }

  // The request reaches the pool: quota first, then the node's budget,
  // then (non-paged, more than one node) the other nodes in turn.
  size_t bytes = 0, span = 0;
  bool big = layout(rq.size, rq.align, &bytes, &span);
  uint32_t first = pool_index(f, rq.kind, f->node);
  if (rq.quota && (f->quota_used > f->cfg.quota_limit ||
                   bytes > f->cfg.quota_limit - f->quota_used)) {
    e.kind = EXPECT_FAIL;
    e.status = KP_STATUS_QUOTA_EXCEEDED;
    check_failure_outcome("alloc (quota)", &o, &e, KP_STATUS_INSUFFICIENT_RESOURCES);
    note_failure(f, first, rq.tag);
    return;
  }
  uint32_t tries = rq.kind == KP_POOL_NONPAGED ? f->nodes : 1;
  bool budget_ok = false;
  for (uint32_t i = 0; i < tries && !budget_ok; i++) {
    uint32_t n = (f->node + i) % f->nodes;
    if (budget_allows(f, &f->pools[pool_index(f, rq.kind, n)], bytes,
                      rq.priority))
      budget_ok = true;
  }
  if (!budget_ok || o.p == NULL) {
    e.kind = EXPECT_FAIL;
    e.status = KP_STATUS_INSUFFICIENT_RESOURCES;
    check_failure_outcome("alloc (pool)", &o, &e, KP_STATUS_INSUFFICIENT_RESOURCES);
    if (budget_ok) FUZZ_ASSERT(arena_may_be_full(f, rq.kind, rq.size, bytes, first));
    note_failure(f, first, rq.tag);
    return;
  }

  // Success: find which pool it came from and check the block.
  FUZZ_ASSERT(!o.raised && !o.bugchecked);
  kp_block_info_t info;
  FUZZ_ASSERT(kp_block_query(f->sys, o.p, &info));
  FUZZ_ASSERT(info.address == o.p);
  FUZZ_ASSERT(info.pool == rq.kind);
  uint32_t pool = pool_index(f, info.pool, info.node);
  FUZZ_ASSERT(pool < f->npools);
  // The first node tried is the thread's; another only when it was full.
  if (pool != first && budget_allows(f, &f->pools[first], bytes, rq.priority))
    FUZZ_ASSERT(arena_may_be_full(f, rq.kind, rq.size, bytes, first));
  FUZZ_ASSERT(budget_allows(f, &f->pools[pool], bytes, rq.priority));
  FUZZ_ASSERT(info.size == rq.size);
  FUZZ_ASSERT(info.block_bytes == bytes);
  FUZZ_ASSERT(info.tag == rq.tag);
  FUZZ_ASSERT(info.quota_charged == rq.quota);
  FUZZ_ASSERT(info.flags == rq.flags);
  FUZZ_ASSERT(info.api == (a->legacy ? a->api : KP_API_ALLOCATE_POOL2));
  FUZZ_ASSERT(info.priority == rq.priority);
  size_t align = big ? FZ_PAGE : rq.align;
  FUZZ_ASSERT(((uintptr_t)o.p & (align - 1)) == 0);
  uint8_t fill = rq.zero ? 0 : f->cfg.uninit_fill;
  FUZZ_ASSERT(content_uniform(o.p, rq.size, fill));
  bool quota = !rq.quota;
  FUZZ_ASSERT(kp_block_size(f->sys, o.p, &quota) ==
              (big ? bytes : round_up(rq.size, FZ_GRANULE)));
  FUZZ_ASSERT(quota == rq.quota);

  // No overlap with any block the model knows, live or quarantined.
  for (uint32_t i = 0; i < f->nlive; i++) {
    const mblock_t *b = &f->live[i];
    FUZZ_ASSERT((uint8_t *)o.p + span <= b->p || b->p + b->span <= (uint8_t *)o.p);
  }
  for (uint32_t i = 0; i < f->npools; i++)
    for (uint32_t k = 0; k < f->pools[i].qn; k++) {
      const mqueued_t *q = &f->pools[i].q[k];
      FUZZ_ASSERT((uint8_t *)o.p + span <= q->p || q->p + q->span <= (uint8_t *)o.p);
    }
  stale_forget(f, o.p, span);

  mpool_t *mp = &f->pools[pool];
  mp->allocs++;
  mp->used += bytes;
  mp->live++;
  if (mp->used > mp->peak) mp->peak = mp->used;
  mtag_t *t = tag_find(f, rq.tag, pool, true);
  t->allocs++;
  t->bytes += bytes;
  if (t->bytes > t->peak) t->peak = t->bytes;
  if (rq.quota) f->quota_used += bytes;

  mblock_t *b = &f->live[f->nlive++];
  b->p = o.p;
  b->size = rq.size;
  b->bytes = bytes;
  b->span = span;
  b->big = big;
  b->tag = rq.tag;
  b->pool = pool;
  b->content = fill;
  b->quota = rq.quota;
  b->flags = rq.flags;
  b->api = info.api;
  a->result = o.p;
}

/* ---------------------------------------------------------------------------
 * Free.
 * ------------------------------------------------------------------------- */
typedef struct free_args {
  void *p;
  kp_tag_t tag;
} free_args_t;

static void thunk_free(fz_t *f, void *arg) {
  free_args_t *a = arg;
  kp_free(f->sys, a->p, a->tag, KP_HERE);
}

static void call_free(fz_t *f, void *p, kp_tag_t tag, outcome_t *o) {
  free_args_t a;
  a.p = p;
  a.tag = tag;
  run(f, thunk_free, &a, o);
}

/* Frees live block @p idx with @p tag (the right one: stored, with
 * PROTECTED_POOL, or 0) and updates the model. */
static void free_live(fz_t *f, uint32_t idx, kp_tag_t tag) {
  mblock_t b = f->live[idx];
  mpool_t *mp = &f->pools[b.pool];
  f->touched = b.tag;
  FUZZ_ASSERT(content_uniform(b.p, b.size, b.content));
  expect_t e;
  memset(&e, 0, sizeof e);
  outcome_t o;
  memset(&o, 0, sizeof o);
  if (mp->kind == KP_POOL_PAGED && f->irql > KP_APC_LEVEL) {
    // Paged pool at DISPATCH_LEVEL: bug check, the block stays allocated.
    e.kind = EXPECT_BUGCHECK;
    e.code = f->verifier ? KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION
                         : KP_BUGCHECK_BAD_POOL_CALLER;
    e.p1 = f->verifier ? 0x11 : 0x09;
    call_free(f, b.p, tag, &o);
    check_bugcheck(f, "free at DISPATCH_LEVEL", &o, &e);
    FUZZ_ASSERT(kp_block_size(f->sys, b.p, NULL) != 0);
    return;
  }

  // The model first: the free itself always completes; the quarantine
  // drain that follows may find a block written after its free (0xC6).
  f->live[idx] = f->live[--f->nlive];
  mp->frees++;
  mp->used -= b.bytes;
  mp->live--;
  mtag_t *t = tag_find(f, b.tag, b.pool, false);
  FUZZ_ASSERT(t != NULL);
  t->frees++;
  t->bytes -= b.bytes;
  if (b.quota) f->quota_used -= b.bytes;
  FUZZ_ASSERT(mp->qn < FZ_MAX_QUEUE);
  mp->q[mp->qn].p = b.p;
  mp->q[mp->qn].bytes = b.bytes;
  mp->q[mp->qn].span = b.span;
  mp->q[mp->qn].damage = NULL;
  mp->qn++;
  mp->qbytes += b.bytes;
  uint8_t *damage = queue_drain(f, mp);

  call_free(f, b.p, tag, &o);
  trace("free %p (%zu bytes, pool %u) tag 0x%08X -> bugcheck 0x%X/0x%llX",
        (void *)b.p, b.size, b.pool, (unsigned)tag, (unsigned)o.code,
        (unsigned long long)o.params[0]);
  if (damage != NULL) {
    e.kind = EXPECT_BUGCHECK;
    e.code = KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL;
    e.p1 = (uint64_t)(uintptr_t)damage;
    check_bugcheck(f, "free draining a damaged block", &o, &e);
  } else {
    if (o.bugchecked || o.raised) report_outcome("free", &o, &e);
    FUZZ_ASSERT(!o.bugchecked && !o.raised);
  }
  FUZZ_ASSERT(kp_block_size(f->sys, b.p, NULL) == 0);
  FUZZ_ASSERT(!kp_block_query(f->sys, b.p, NULL));
  if (queue_find(f, b.p, NULL) != NULL && !poisoned(b.p, b.span))
    FUZZ_ASSERT(content_uniform(b.p, b.span, f->cfg.free_fill));
}

/* ---------------------------------------------------------------------------
 * kp_verify: what it must find, in its order (pools in index order; in
 * each, live blocks' headers and canaries, then the quarantine's poison).
 * The model keeps live blocks intact outside the misuse operations, so only
 * quarantine damage can be pending here.
 * ------------------------------------------------------------------------- */
static void thunk_verify(fz_t *f, void *arg) {
  kp_status_t *st = arg;
  *st = kp_verify(f->sys);
}

static void do_verify(fz_t *f) {
  mqueued_t *hit = NULL;
  for (uint32_t i = 0; i < f->npools && hit == NULL; i++)
    for (uint32_t k = 0; k < f->pools[i].qn && hit == NULL; k++)
      if (f->pools[i].q[k].damage != NULL) hit = &f->pools[i].q[k];
  kp_status_t st = KP_STATUS_UNSUCCESSFUL;
  outcome_t o;
  memset(&o, 0, sizeof o);
  run(f, thunk_verify, &st, &o);
  if (hit == NULL) {
    FUZZ_ASSERT(!o.bugchecked && !o.raised);
    FUZZ_ASSERT(st == KP_STATUS_SUCCESS);
    return;
  }
  expect_t e;
  memset(&e, 0, sizeof e);
  e.kind = EXPECT_BUGCHECK;
  e.code = KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL;
  e.p1 = (uint64_t)(uintptr_t)hit->damage;
  check_bugcheck(f, "verify (freed block written)", &o, &e);
  // kp_verify restores the fill of the block it reported.
  hit->damage = NULL;
}

/* ---------------------------------------------------------------------------
 * Deliberate misuse, each with its exact bug check.
 * ------------------------------------------------------------------------- */
static kp_tag_t other_tag(kp_tag_t tag, uint8_t sel) {
  for (int i = 0; i < 8; i++) {
    kp_tag_t t = fz_palette[(sel + i) & 7];
    if (t != tag) return (sel & 8) ? t | FZ_PROTECTED : t;
  }
  return KP_TAG('Z', 'z', 'Z', 'z');
}

static void expect_not_block(const fz_t *f, expect_t *e, bool in_pool) {
  memset(e, 0, sizeof *e);
  e->kind = EXPECT_BUGCHECK;
  if (f->verifier) {
    e->code = KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION;
    e->p1 = 0x10;
  } else {
    e->code = KP_BUGCHECK_BAD_POOL_CALLER;
    e->p1 = in_pool ? 0x99 : 0x42;
  }
}

/* Writes @p v at @p where, runs kp_free or kp_verify expecting @p e, then
 * restores the byte. */
static void damage_and_check(fz_t *f, uint8_t *where, uint8_t v, void *block,
                             kp_tag_t tag, bool by_verify, const expect_t *e,
                             const char *what, outcome_t *o) {
  uint8_t saved = *where;
  *where = v;
  memset(o, 0, sizeof *o);
  if (by_verify) {
    kp_status_t st = KP_STATUS_SUCCESS;
    run(f, thunk_verify, &st, o);
  } else {
    call_free(f, block, tag, o);
  }
  check_bugcheck(f, what, o, e);
  *where = saved;
}

static void do_misuse(fz_t *f, fuzz_data_t *d) {
  uint8_t kind = (uint8_t)fuzz_range(d, 0, 9);
  uint8_t sel = fuzz_u8(d);
  trace("misuse %u", (unsigned)kind);
  expect_t e;
  memset(&e, 0, sizeof e);
  outcome_t o;
  memset(&o, 0, sizeof o);
  mblock_t *b = f->nlive > 0 ? &f->live[sel % f->nlive] : NULL;

  switch (kind) {
  case 0: { // wrong tag: 0xC2/0x0A, P2 address, P3 the block's tag, P4 ours
    if (b == NULL) return;
    kp_tag_t t = other_tag(b->tag, fuzz_u8(d));
    e.kind = EXPECT_BUGCHECK;
    e.code = KP_BUGCHECK_BAD_POOL_CALLER;
    e.p1 = 0x0A;
    call_free(f, b->p, t, &o);
    check_bugcheck(f, "free with the wrong tag", &o, &e);
    FUZZ_ASSERT(o.params[1] == (uint64_t)(uintptr_t)b->p);
    FUZZ_ASSERT(o.params[2] == b->tag);
    FUZZ_ASSERT(o.params[3] == t);
    FUZZ_ASSERT(kp_block_size(f->sys, b->p, NULL) != 0);
    return;
  }
  case 1: { // double free of a block still in quarantine
    mqueued_t *q = NULL;
    for (uint32_t i = 0; i < f->npools && q == NULL; i++)
      if (f->pools[i].qn > 0) q = &f->pools[i].q[sel % f->pools[i].qn];
    if (q == NULL) return;
    e.kind = EXPECT_BUGCHECK;
    e.code = f->verifier ? KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION
                         : KP_BUGCHECK_BAD_POOL_CALLER;
    e.p1 = f->verifier ? 0x13 : 0x07;
    call_free(f, q->p, 0, &o);
    check_bugcheck(f, "double free", &o, &e);
    if (f->verifier)
      FUZZ_ASSERT(o.params[2] == (uint64_t)(uintptr_t)q->p - FZ_HEADER);
    else
      FUZZ_ASSERT(o.params[3] == (uint64_t)(uintptr_t)q->p);
    return;
  }
  case 2: { // free of a recycled address that is no block any more
    if (f->nstale == 0) return;
    uint8_t *p = f->stale[sel % f->nstale];
    expect_not_block(f, &e, true);
    call_free(f, p, 0, &o);
    check_bugcheck(f, "free of a recycled address", &o, &e);
    return;
  }
  case 3: { // wild (stack) or NULL pointer: in no pool
    int local = 0;
    void *p = (sel & 1) ? (void *)&local : NULL;
    expect_not_block(f, &e, false);
    call_free(f, p, 0, &o);
    check_bugcheck(f, "free of a wild pointer", &o, &e);
    FUZZ_ASSERT(!kp_block_query(f->sys, p, NULL));
    FUZZ_ASSERT(kp_block_size(f->sys, p, NULL) == 0);
    return;
  }
  case 4: { // interior pointer
    if (b == NULL || b->size < 2) return;
    size_t k = (size_t)fuzz_range(d, 1, b->size - 1);
    expect_not_block(f, &e, true);
    call_free(f, b->p + k, b->tag, &o);
    check_bugcheck(f, "free of an interior pointer", &o, &e);
    return;
  }
  case 5:
  case 6: { // overrun into the canary, found by kp_free or kp_verify
    if (b == NULL || b->span <= b->size) return;
    size_t k = (size_t)fuzz_range(d, 0, b->span - b->size - 1);
    uint8_t *where = b->p + b->size + k;
    uint8_t v = (uint8_t)(fuzz_u8(d) | 1u);
    if (v == f->cfg.canary_fill) v ^= 0x80u;
    if (poisoned(where, 1)) return;
    // kp_verify reports the first damage in pool order: quarantine damage
    // of an earlier pool comes first, so only verify when there is none.
    bool by_verify = kind == 6;
    for (uint32_t i = 0; by_verify && i < b->pool; i++)
      for (uint32_t j = 0; j < f->pools[i].qn; j++)
        if (f->pools[i].q[j].damage != NULL) by_verify = false;
    e.kind = EXPECT_BUGCHECK;
    e.code = KP_BUGCHECK_BAD_POOL_HEADER;
    e.p1 = 0x21;
    damage_and_check(f, where, v, b->p, b->tag, by_verify, &e, "canary overrun",
                     &o);
    FUZZ_ASSERT(o.params[1] == (uint64_t)(uintptr_t)b->p);
    FUZZ_ASSERT(o.params[2] == b->size);
    FUZZ_ASSERT(o.params[3] == v);
    FUZZ_ASSERT(kp_block_size(f->sys, b->p, NULL) != 0);
    return;
  }
  case 7: { // the pool header in front of a small block
    if (b == NULL || b->big) return;
    uint8_t *where = b->p - FZ_HEADER + fuzz_range(d, 0, FZ_HEADER - 1);
    if (poisoned(where, 1)) return;
    uint8_t v = (uint8_t)(*where ^ (fuzz_u8(d) | 1u));
    bool by_verify = (sel & 1) != 0;
    for (uint32_t i = 0; by_verify && i < b->pool; i++)
      for (uint32_t j = 0; j < f->pools[i].qn; j++)
        if (f->pools[i].q[j].damage != NULL) by_verify = false;
    e.kind = EXPECT_BUGCHECK;
    e.code = KP_BUGCHECK_BAD_POOL_CALLER;
    e.p1 = 0x01;
    damage_and_check(f, where, v, b->p, b->tag, by_verify, &e, "header damage",
                     &o);
    FUZZ_ASSERT(o.params[1] == (uint64_t)(uintptr_t)b->p - FZ_HEADER);
    FUZZ_ASSERT(kp_block_size(f->sys, b->p, NULL) != 0);
    return;
  }
  case 8: { // write after free, into a block still in quarantine
    mqueued_t *q = NULL;
    for (uint32_t i = 0; i < f->npools && q == NULL; i++)
      if (f->pools[(i + sel) % f->npools].qn > 0) {
        mpool_t *mp = &f->pools[(i + sel) % f->npools];
        q = &mp->q[fuzz_u8(d) % mp->qn];
      }
    if (q == NULL) return;
    uint8_t *where = q->p + fuzz_range(d, 0, q->span - 1);
    if (poisoned(where, 1)) return;
    uint8_t v = (uint8_t)(f->cfg.free_fill ^ (fuzz_u8(d) | 1u));
    *where = v;
    if (q->damage == NULL || where < q->damage) q->damage = where;
    return;
  }
  default: { // query addresses that are not blocks
    int local = 0;
    uint8_t *p = f->nstale > 0 ? f->stale[sel % f->nstale] : (uint8_t *)&local;
    FUZZ_ASSERT(kp_block_size(f->sys, p, NULL) == 0);
    FUZZ_ASSERT(!kp_block_query(f->sys, p, NULL));
    for (uint32_t i = 0; i < f->npools; i++)
      for (uint32_t k = 0; k < f->pools[i].qn; k++) {
        FUZZ_ASSERT(kp_block_size(f->sys, f->pools[i].q[k].p, NULL) == 0);
        FUZZ_ASSERT(!kp_block_query(f->sys, f->pools[i].q[k].p, NULL));
      }
    return;
  }
  }
}

/* ---------------------------------------------------------------------------
 * Parameters from the input.
 * ------------------------------------------------------------------------- */
static kp_tag_t pick_tag(fuzz_data_t *d) {
  uint8_t sel = fuzz_u8(d);
  if (sel < 0xE0) return fz_palette[sel & 7];
  if (sel < 0xF0) return fz_palette[sel & 7] | FZ_PROTECTED;
  switch (sel) {
  case 0xF0: return 0;
  case 0xF1: return FZ_TAG_BIG;
  case 0xF2: return KP_TAG(' ', ' ', ' ', ' '); // no letter or digit
  case 0xF3: return FZ_PROTECTED;               // 0 once PROTECTED_POOL goes
  default: return fuzz_u32(d);
  }
}

static size_t pick_size(fuzz_data_t *d) {
  uint8_t sel = fuzz_u8(d) & 15u;
  if (sel == 0) return 0;
  if (sel <= 6) return (size_t)fuzz_range(d, 1, 64);
  if (sel <= 9) return (size_t)fuzz_range(d, 65, 1024);
  if (sel <= 11) return (size_t)fuzz_range(d, 1025, 4063);
  if (sel == 12) return (size_t)fuzz_range(d, 4056, 4100); // small/big edge
  if (sel <= 14) return (size_t)fuzz_range(d, 4097, FZ_MAX_SIZE);
  static const size_t huge[4] = {SIZE_MAX, SIZE_MAX - 15, SIZE_MAX / 2,
                                 (size_t)1 << 40};
  return huge[fuzz_u8(d) & 3u];
}

static kp_pool_flags_t pick_flags(fuzz_data_t *d) {
  static const kp_pool_flags_t types[8] = {
      KP_POOL_FLAG_NON_PAGED, KP_POOL_FLAG_NON_PAGED, KP_POOL_FLAG_PAGED,
      KP_POOL_FLAG_NON_PAGED_EXECUTE, KP_POOL_FLAG_PAGED, KP_POOL_FLAG_NON_PAGED,
      0, KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_PAGED};
  static const kp_pool_flags_t reserved[8] = {
      KP_POOL_FLAG_SESSION,   KP_POOL_FLAG_RESERVED1, KP_POOL_FLAG_RESERVED2,
      KP_POOL_FLAG_RESERVED3, 0x800u,                 0x10000u,
      0x80000000u,            0x1000u};
  uint8_t t = fuzz_u8(d);
  uint8_t opt = fuzz_u8(d);
  kp_pool_flags_t flags = types[t & 7u];
  if (opt & 0x01u) flags |= KP_POOL_FLAG_UNINITIALIZED;
  if (opt & 0x02u) flags |= KP_POOL_FLAG_CACHE_ALIGNED;
  if (opt & 0x04u) flags |= KP_POOL_FLAG_USE_QUOTA;
  if (opt & 0x08u) flags |= KP_POOL_FLAG_RAISE_ON_FAILURE;
  if (opt & 0x10u)
    flags |= reserved[(opt >> 5) & 7u];
  else if (opt & 0x20u)
    flags |= (kp_pool_flags_t)1 << (33 + ((opt >> 6) & 3u)); // unknown optional
  return flags;
}

static uint32_t pick_pool_type(fuzz_data_t *d) {
  static const uint32_t bases[16] = {0, 1, 2, 3, 4, 5, 6, 32, 33, 34, 35, 36,
                                     37, 38, 7, 64};
  static const uint32_t mods[5] = {
      KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, KP_POOL_RAISE_IF_ALLOCATION_FAILURE,
      KP_POOL_COLD_ALLOCATION, KP_POOL_NX_ALLOCATION, KP_POOL_ZERO_ALLOCATION};
  uint8_t sel = fuzz_u8(d);
  if (sel >= 0xF8) return fuzz_u32(d);
  uint32_t type = bases[sel & 15u];
  uint8_t m = fuzz_u8(d);
  for (unsigned i = 0; i < 5; i++)
    if (m & (1u << i)) type |= mods[i];
  return type;
}

static kp_priority_t pick_priority(fuzz_data_t *d) {
  static const unsigned values[11] = {0, 8, 9, 16, 24, 25, 32, 40, 41, 7, 48};
  return (kp_priority_t)values[fuzz_u8(d) % 11u];
}

/* ---------------------------------------------------------------------------
 * The other operations.
 * ------------------------------------------------------------------------- */
static void op_alloc2(fz_t *f, fuzz_data_t *d) {
  alloc_args_t a;
  memset(&a, 0, sizeof a);
  a.flags = pick_flags(d);
  a.size = pick_size(d);
  a.tag = pick_tag(d);
  do_alloc(f, &a);
}

static void op_legacy(fz_t *f, fuzz_data_t *d) {
  static const kp_alloc_api_t apis[5] = {
      KP_API_ALLOCATE_POOL, KP_API_ALLOCATE_POOL_WITH_TAG,
      KP_API_ALLOCATE_POOL_PRIORITY, KP_API_ALLOCATE_POOL_QUOTA, KP_API_COUNT_};
  alloc_args_t a;
  memset(&a, 0, sizeof a);
  a.legacy = true;
  a.api = apis[fuzz_u8(d) % 5u];
  a.pool_type = pick_pool_type(d);
  a.priority = a.api == KP_API_ALLOCATE_POOL_PRIORITY ? pick_priority(d)
                                                       : KP_PRIORITY_NORMAL;
  a.size = pick_size(d);
  a.tag = pick_tag(d);
  do_alloc(f, &a);
}

static void op_free(fz_t *f, fuzz_data_t *d) {
  if (f->nlive == 0) return;
  uint8_t sel = fuzz_u8(d);
  uint32_t idx = (uint32_t)(fuzz_u8(d) % f->nlive);
  kp_tag_t tag = f->live[idx].tag;
  if ((sel & 3u) == 1u) tag |= FZ_PROTECTED; // ExFreePoolWithTag ignores it
  if ((sel & 3u) == 2u) tag = 0;             // ExFreePool: no tag check
  free_live(f, idx, tag);
}

static void op_query(fz_t *f, fuzz_data_t *d) {
  if (f->nlive == 0) return;
  const mblock_t *b = &f->live[fuzz_u8(d) % f->nlive];
  bool quota = !b->quota;
  size_t want = b->big ? b->bytes : round_up(b->size, FZ_GRANULE);
  FUZZ_ASSERT(kp_block_size(f->sys, b->p, &quota) == want);
  FUZZ_ASSERT(quota == b->quota);
  size_t k = (size_t)fuzz_range(d, 0, b->size - 1);
  kp_block_info_t info;
  FUZZ_ASSERT(kp_block_query(f->sys, b->p + k, &info));
  FUZZ_ASSERT(info.address == b->p);
  FUZZ_ASSERT(info.size == b->size);
  FUZZ_ASSERT(info.tag == b->tag);
  FUZZ_ASSERT(info.block_bytes == b->bytes);
  FUZZ_ASSERT(info.flags == b->flags);
  FUZZ_ASSERT(info.api == b->api);
  FUZZ_ASSERT(info.quota_charged == b->quota);
  FUZZ_ASSERT(pool_index(f, info.pool, info.node) == b->pool);
  if (k > 0) FUZZ_ASSERT(kp_block_size(f->sys, b->p + k, NULL) == 0);
}

static void op_write(fz_t *f, fuzz_data_t *d) {
  if (f->nlive == 0) return;
  mblock_t *b = &f->live[fuzz_u8(d) % f->nlive];
  b->content = fuzz_u8(d);
  memset(b->p, b->content, b->size);
}

static void op_pressure(fz_t *f, fuzz_data_t *d) {
  uint8_t sel = fuzz_u8(d);
  if ((sel & 7u) == 7u) {
    // Bad arguments: a pool kind or node that does not exist.
    FUZZ_ASSERT(kp_pool_set_available(f->sys, KP_POOL_KIND_COUNT_, 0, 0) ==
                KP_STATUS_INVALID_PARAMETER_2);
    FUZZ_ASSERT(kp_pool_set_available(f->sys, KP_POOL_NONPAGED, f->nodes, 0) ==
                KP_STATUS_INVALID_PARAMETER_3);
    FUZZ_ASSERT(kp_pool_set_available(NULL, KP_POOL_NONPAGED, 0, 0) ==
                KP_STATUS_INVALID_PARAMETER_1);
    FUZZ_ASSERT(kp_pool_available(f->sys, KP_POOL_NONPAGED, f->nodes) == 0);
    return;
  }
  mpool_t *mp = &f->pools[sel % f->npools];
  uint32_t idx = (uint32_t)(mp - f->pools);
  uint32_t node = mp->kind == KP_POOL_PAGED ? 0 : idx - 1;
  size_t bytes = (sel & 0x80u) ? SIZE_MAX : (size_t)fuzz_range(d, 0, mp->budget);
  FUZZ_ASSERT(kp_pool_set_available(f->sys, mp->kind, node, bytes) ==
              KP_STATUS_SUCCESS);
  mp->avail = bytes < mp->budget ? bytes : mp->budget;
  trace("pool %u available %zu", idx, mp->avail);
}

static void op_irql(fz_t *f, fuzz_data_t *d) {
  f->irql = (kp_irql_t)fuzz_range(d, KP_PASSIVE_LEVEL, KP_DISPATCH_LEVEL);
  kp_irql_set(f->irql);
  trace("irql %u", (unsigned)f->irql);
  FUZZ_ASSERT(kp_irql_get() == f->irql);
}

static void op_check_contents(fz_t *f) {
  for (uint32_t i = 0; i < f->nlive; i++)
    FUZZ_ASSERT(content_uniform(f->live[i].p, f->live[i].size, f->live[i].content));
}

/* ---------------------------------------------------------------------------
 * One input.
 * ------------------------------------------------------------------------- */
static bool setup(fz_t *f, fuzz_data_t *d) {
  static const uint32_t qblocks[6] = {0, 1, 2, 4, 8, 16};
  static const size_t qbytes[6] = {0, 256, 4096, 16384, 65536, (size_t)1 << 20};
  kp_config_init(&f->cfg);
  uint8_t sel = fuzz_u8(d);
  f->verifier = (sel & 1u) == 0;
  f->cfg.verifier_flags = KP_VERIFY_POOL_TRACKING |
                          (f->verifier ? KP_VERIFY_AUTOMATIC : 0u);
  f->nodes = (sel & 2u) ? 2u : 1u;
  f->cfg.numa_nodes = f->nodes;
  f->cfg.processors_per_node = 2;
  f->cfg.paged_pool_bytes = (size_t)fuzz_range(d, 1, 64) * FZ_PAGE;
  f->cfg.nonpaged_pool_bytes = (size_t)fuzz_range(d, 1, 64) * FZ_PAGE;
  f->cfg.quota_limit = (size_t)fuzz_range(d, 0, 32) * FZ_PAGE;
  f->cfg.low_priority_reserve_percent = (uint32_t)fuzz_range(d, 0, 40);
  f->cfg.normal_priority_reserve_percent =
      (uint32_t)fuzz_range(d, 0, f->cfg.low_priority_reserve_percent);
  f->cfg.uninit_fill = (uint8_t)fuzz_range(d, 1, 255);
  f->cfg.free_fill = fuzz_u8(d);
  f->cfg.canary_fill = fuzz_u8(d);
  f->cfg.quarantine_blocks = qblocks[fuzz_u8(d) % 6u];
  f->cfg.quarantine_bytes = qbytes[fuzz_u8(d) % 6u];
  f->cfg.out = out_null;
  uint32_t cpu = (uint32_t)fuzz_range(d, 0, f->nodes * 2u - 1u);
  trace("config: verifier %d nodes %u cpu %u paged %zu nonpaged %zu quota %zu "
        "low %u%% normal %u%% fills %02X/%02X/%02X quarantine %u/%zu",
        (int)f->verifier, f->nodes, cpu, f->cfg.paged_pool_bytes,
        f->cfg.nonpaged_pool_bytes, f->cfg.quota_limit,
        f->cfg.low_priority_reserve_percent,
        f->cfg.normal_priority_reserve_percent, f->cfg.uninit_fill,
        f->cfg.free_fill, f->cfg.canary_fill, f->cfg.quarantine_blocks,
        f->cfg.quarantine_bytes);

  f->sys = kp_system_create(&f->cfg);
  FUZZ_ASSERT(f->sys != NULL);
  kp_bugcheck_set_handler(f->sys, on_bugcheck, f, NULL, NULL);
  FUZZ_ASSERT(kp_thread_set_processor(f->sys, cpu) == KP_STATUS_SUCCESS);
  f->node = cpu / 2u;
  FUZZ_ASSERT(kp_thread_node(f->sys) == f->node);
  f->irql = KP_PASSIVE_LEVEL;
  kp_irql_set(f->irql);

  f->npools = 1 + f->nodes;
  for (uint32_t i = 0; i < f->npools; i++) {
    mpool_t *mp = &f->pools[i];
    mp->kind = i == 0 ? KP_POOL_PAGED : KP_POOL_NONPAGED;
    mp->budget = i == 0 ? f->cfg.paged_pool_bytes : f->cfg.nonpaged_pool_bytes;
    mp->avail = mp->budget;
  }
  return true;
}

static void teardown(fz_t *f) {
  f->irql = KP_PASSIVE_LEVEL;
  kp_irql_set(f->irql);
  while (f->nlive > 0) free_live(f, f->nlive - 1, f->live[f->nlive - 1].tag);
  // Every block written after its free is reported once, then repaired.
  for (uint32_t i = 0; i < FZ_MAX_POOLS * FZ_MAX_QUEUE + 1; i++) {
    bool pending = false;
    for (uint32_t p = 0; p < f->npools; p++)
      for (uint32_t k = 0; k < f->pools[p].qn; k++)
        if (f->pools[p].q[k].damage != NULL) pending = true;
    do_verify(f);
    if (!pending) break;
  }
  check_full(f);
  FUZZ_ASSERT(kp_report_leaks(f->sys, out_null, NULL) == 0);
  FUZZ_ASSERT(kp_driver_unload(f->sys) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(kp_bugcheck_count(f->sys) == f->bugchecks);
  kp_system_destroy(f->sys);
  f->sys = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *t = getenv("KPOOL_FUZZ_TRACE");
  fz_trace = t != NULL && t[0] != '\0' && t[0] != '0';
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz_t f; // large; static keeps it off the stack
  memset(&f, 0, sizeof f);
  fuzz_data_t d = fuzz_data_init(data, size);
  if (!setup(&f, &d)) return 0;
  check_full(&f);

  for (uint32_t n = 0; n < FZ_MAX_OPS && !fuzz_data_empty(&d); n++) {
    uint8_t op = fuzz_u8(&d) & 15u;
    f.touched = 0;
    switch (op) {
    case 0:
    case 1:
    case 2:
      op_alloc2(&f, &d);
      break;
    case 3:
    case 4:
      op_legacy(&f, &d);
      break;
    case 5:
    case 6:
    case 7:
      op_free(&f, &d);
      break;
    case 8:
      op_query(&f, &d);
      break;
    case 9:
      check_full(&f);
      break;
    case 10:
      do_verify(&f);
      break;
    case 11:
      op_write(&f, &d);
      break;
    case 12:
      op_pressure(&f, &d);
      break;
    case 13:
      op_irql(&f, &d);
      break;
    case 14:
      do_misuse(&f, &d);
      break;
    default:
      op_check_contents(&f);
      break;
    }
    check_cheap(&f);
    if (f.touched != 0) {
      check_tag(&f, f.touched, KP_POOL_NONPAGED);
      check_tag(&f, f.touched, KP_POOL_PAGED);
    }
    if (f.nlive > FZ_MAX_LIVE) free_live(&f, f.nlive - 1, f.live[f.nlive - 1].tag);
  }
  teardown(&f);
  return 0;
}
