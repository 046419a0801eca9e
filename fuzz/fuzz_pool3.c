/**
 * @file fuzz/fuzz_pool3.c
 * @brief Fuzz target: ExAllocatePool3 with arbitrary POOL_FLAGS and
 *        extended parameter arrays (garbage included), and ExFreePool2
 *        with arbitrary parameter arrays, each checked against the rules
 *        documented in kpool/pool3.h, re-implemented here as a model.
 *
 * Input layout (fuzz_helpers.h producer, front to back):
 *
 *   config   NUMA nodes (1-3), verifier automatic checks on/off
 *   ops...   one selector byte each, then the operation's parameters
 *
 * Operations:
 * - allocate: random flags (usually one pool type, sometimes none, two,
 *   reserved or unknown bits, random optional bits, RAISE_ON_FAILURE,
 *   USE_QUOTA, UNINITIALIZED, CACHE_ALIGNED), a tag (sometimes 0, sometimes
 *   with PROTECTED_POOL), a size, and an array of 0-20 entries (sometimes
 *   NULL with a count, sometimes a huge count) whose entries have random
 *   types (known, 0, 4, garbage), Optional bits, Reserved bits and values
 *   (valid and invalid priorities, existing, missing and MM_ANY_NODE_OK
 *   nodes, secure-pool pointers that are NULL or name a live, destroyed or
 *   forged pool with valid or garbage flags, a buffer or none).
 *   The model predicts kp_params_check()'s reason, status and entry index,
 *   and whether kp_alloc3() returns a block (or raises with
 *   RAISE_ON_FAILURE); a block is then checked (API, tag, pool, priority,
 *   strict node, contents, secure validation).
 * - free: a live block through kp_free2() with the right parameters; a
 *   secure block that is not FREEABLE must bug check 0xC2/0x5C04.
 * - misuse: kp_free2() on a live block with a random parameter array; the
 *   model predicts the exact BAD_POOL_CALLER subcode (and the rule number
 *   in P4 for a malformed array), or a clean free.
 *
 * Pools are large and blocks few, so a request the rules accept always
 * succeeds: the prediction is exact. Bug checks are caught by a handler
 * that longjmps back into the armed call; any other bug check fails.
 * At the end every block is freed, the secure pools destroyed (0x5C07
 * predicted for a pool that still holds non-FREEABLE blocks), the driver
 * unload must be clean and the system is destroyed.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/kpool.h>
#include <kpool/pool3.h>
#include <kpool/secure.h>

#include "fuzz_helpers.h"

#define FZ_PAGE 4096u
#define FZ_MAX_LIVE 48u
#define FZ_MAX_ENTRIES 20u
#define FZ_MAX_OPS 400u
#define FZ_MAX_SIZE (2u * FZ_PAGE + 100u)
#define FZ_PROTECTED 0x80000000u
#define FZ_KNOWN_REQUIRED                                                      \
  (KP_POOL_FLAG_USE_QUOTA | KP_POOL_FLAG_UNINITIALIZED |                       \
   KP_POOL_FLAG_CACHE_ALIGNED | KP_POOL_FLAG_RAISE_ON_FAILURE |                \
   KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE | KP_POOL_FLAG_PAGED)
#define FZ_TYPES                                                               \
  (KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE | KP_POOL_FLAG_PAGED)

/* Reports (ExDestroyPool lists what it released) go nowhere. */
static void fz_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

/* Content of initial secure buffers: a fixed pattern, bigger than any size. */
static uint8_t fz_pattern[FZ_MAX_SIZE];

typedef struct fz_block {
  uint8_t *p;
  kp_tag_t tag;
  bool secure;
  kp_secure_pool_t pool;
  uintptr_t cookie;
  uint32_t sflags;
} fz_block_t;

typedef struct fz {
  kp_system_t *sys;
  uint32_t nodes;
  kp_secure_pool_t live_pool[2];
  kp_secure_pool_t dead_pool;
  fz_block_t live[FZ_MAX_LIVE];
  uint32_t nlive;
  /* Bug check catching. */
  jmp_buf *jump;
  uint32_t bc_count;
  uint32_t bc_code;
  uint64_t bc_params[4];
} fz_t;


static void fz_handler(const kp_bugcheck_t *bc, void *arg) {
  fz_t *f = arg;
  f->bc_count++;
  f->bc_code = bc->code;
  memcpy(f->bc_params, bc->params, sizeof f->bc_params);
  if (f->jump != NULL) {
    jmp_buf *j = f->jump;
    f->jump = NULL;
    longjmp(*j, 1);
  }
  kp_bugcheck_print(bc, NULL, NULL);
  FUZZ_ASSERT(!"unexpected bug check");
}

/* ---------------------------------------------------------------------------
 * The model of the documented rules (kpool/pool3.h).
 * ------------------------------------------------------------------------- */
typedef struct fz_expect {
  kp_params_reason_t reason;
  uint32_t index;
  kp_priority_t priority;
  uint32_t node;        /* KP_NODE_NONE: the thread's */
  bool strict;
  bool secure;
  const kp_secure_params_t *sp;
} fz_expect_t;

static bool fz_priority_valid(int32_t p) {
  return p == 0 || p == 8 || p == 9 || p == 16 || p == 24 || p == 25 ||
         p == 32 || p == 40 || p == 41;
}

static bool fz_handle_live(const fz_t *f, kp_secure_pool_t h) {
  return h != NULL && (h == f->live_pool[0] || h == f->live_pool[1]);
}

static bool fz_flags_valid(kp_pool_flags_t flags, kp_tag_t tag) {
  kp_pool_flags_t req = flags & KP_POOL_FLAG_REQUIRED_MASK;
  if ((req & ~FZ_KNOWN_REQUIRED) != 0) return false;
  kp_pool_flags_t t = flags & FZ_TYPES;
  if (t != KP_POOL_FLAG_NON_PAGED && t != KP_POOL_FLAG_NON_PAGED_EXECUTE &&
      t != KP_POOL_FLAG_PAGED)
    return false;
  return (tag & ~FZ_PROTECTED) != 0;
}

static fz_expect_t fz_predict(const fz_t *f, kp_pool_flags_t flags, kp_tag_t tag,
                              const kp_pool_param_t *params, uint32_t count) {
  fz_expect_t e;
  memset(&e, 0, sizeof e);
  e.reason = KP_PARAMS_OK;
  e.index = UINT32_MAX;
  e.priority = KP_PRIORITY_NORMAL;
  e.node = KP_NODE_NONE;
  if (!fz_flags_valid(flags, tag)) {
    e.reason = fz_flags_valid(flags, 1) ? KP_PARAMS_ZERO_TAG : KP_PARAMS_BAD_FLAGS;
    return e;
  }
  if (count == 0) return e;
  if (params == NULL) {
    e.reason = KP_PARAMS_NULL_ARRAY;
    return e;
  }
  if (count > KP_POOL3_MAX_PARAMS) {
    e.reason = KP_PARAMS_TOO_MANY;
    return e;
  }
  bool nonpaged = (flags & (KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE)) != 0;
  bool np_only = (flags & FZ_TYPES) == KP_POOL_FLAG_NON_PAGED;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < count; i++) {
    const kp_pool_param_t *p = &params[i];
    kp_params_reason_t r = KP_PARAMS_OK;
    if (p->reserved != 0) {
      r = KP_PARAMS_RESERVED_BITS;
    } else if (p->type < 1 || p->type > 3) {
      if (!p->optional) r = KP_PARAMS_UNKNOWN_REQUIRED;
    } else if (seen & (1u << p->type)) {
      r = KP_PARAMS_DUPLICATE;
    } else {
      seen |= 1u << p->type;
      if (p->type == KP_PARAM_PRIORITY) {
        if (!fz_priority_valid(p->value.priority))
          r = KP_PARAMS_BAD_PRIORITY;
        else
          e.priority = (kp_priority_t)p->value.priority;
      } else if (p->type == KP_PARAM_NUMA_NODE) {
        if (!nonpaged) {
          if (!p->optional) r = KP_PARAMS_NODE_NEEDS_NONPAGED;
        } else {
          bool any = (p->value.preferred_node & KP_NODE_ANY_OK) != 0;
          uint32_t n = p->value.preferred_node & ~KP_NODE_ANY_OK;
          if (n >= f->nodes && !any) {
            r = KP_PARAMS_BAD_NODE;
          } else if (n < f->nodes) {
            e.node = n;
            e.strict = !any;
          }
        }
      } else { // secure pool
        if (!np_only) {
          if (!p->optional) r = KP_PARAMS_SECURE_NEEDS_NONPAGED;
        } else if (p->value.secure == NULL) {
          r = KP_PARAMS_SECURE_NULL;
        } else if ((p->value.secure->flags & ~KP_SECURE_FLAGS_VALID) != 0) {
          r = KP_PARAMS_SECURE_BAD_FLAGS;
        } else if (!fz_handle_live(f, p->value.secure->pool)) {
          r = KP_PARAMS_SECURE_BAD_HANDLE;
        } else {
          e.secure = true;
          e.sp = p->value.secure;
        }
      }
    }
    if (r != KP_PARAMS_OK) {
      e.reason = r;
      e.index = i;
      return e;
    }
  }
  return e;
}

static kp_status_t fz_status_of(kp_params_reason_t r) {
  switch (r) {
  case KP_PARAMS_OK:
    return KP_STATUS_SUCCESS;
  case KP_PARAMS_BAD_FLAGS:
    return KP_STATUS_INVALID_PARAMETER_1;
  case KP_PARAMS_ZERO_TAG:
    return KP_STATUS_INVALID_PARAMETER_3;
  case KP_PARAMS_TOO_MANY:
    return KP_STATUS_INVALID_PARAMETER_5;
  default:
    return KP_STATUS_INVALID_PARAMETER_4;
  }
}

/* ---------------------------------------------------------------------------
 * Building inputs.
 * ------------------------------------------------------------------------- */
static kp_secure_pool_t fz_pick_handle(fz_t *f, fuzz_data_t *d) {
  switch (fuzz_range(d, 0, 7)) {
  case 0:
    return f->dead_pool;
  case 1:
    return NULL;
  case 2: // forged: a live handle with bits changed
    return (kp_secure_pool_t)((uintptr_t)f->live_pool[0] ^ (uintptr_t)fuzz_u32(d));
  case 3:
    return f->live_pool[1];
  default:
    return f->live_pool[0];
  }
}

static const int32_t fz_priorities[] = {0, 8, 9, 16, 24, 25, 32, 40, 41};

static void fz_make_entry(fz_t *f, fuzz_data_t *d, kp_pool_param_t *p,
                          kp_secure_params_t *sp) {
  memset(p, 0, sizeof *p);
  uint8_t sel = fuzz_u8(d);
  p->type = sel < 60 ? KP_PARAM_PRIORITY
            : sel < 120 ? KP_PARAM_NUMA_NODE
            : sel < 190 ? KP_PARAM_SECURE_POOL
                        : fuzz_u8(d);
  p->optional = fuzz_bool(d);
  if (fuzz_u8(d) < 16) p->reserved = fuzz_u64(d) & (((uint64_t)1 << 55) - 1);
  switch (p->type) {
  case KP_PARAM_PRIORITY:
    if (fuzz_u8(d) < 220)
      p->value.priority = fz_priorities[fuzz_range(d, 0, 8)];
    else
      p->value.priority = (int32_t)fuzz_u32(d);
    break;
  case KP_PARAM_NUMA_NODE: {
    uint32_t n = fuzz_u8(d) < 230 ? (uint32_t)fuzz_range(d, 0, f->nodes + 1) : fuzz_u32(d);
    if (fuzz_bool(d)) n |= KP_NODE_ANY_OK;
    p->value.preferred_node = n;
    break;
  }
  case KP_PARAM_SECURE_POOL:
    if (fuzz_u8(d) < 20) {
      p->value.secure = NULL;
      break;
    }
    sp->pool = fz_pick_handle(f, d);
    sp->buffer = fuzz_bool(d) ? fz_pattern : NULL;
    sp->cookie = (uintptr_t)fuzz_u64(d);
    sp->flags = fuzz_u8(d) < 230 ? (uint32_t)fuzz_range(d, 0, 3) : fuzz_u32(d);
    p->value.secure = sp;
    break;
  default:
    p->value.raw = fuzz_u64(d);
    break;
  }
}

static kp_pool_flags_t fz_make_flags(fuzz_data_t *d) {
  kp_pool_flags_t flags = 0;
  uint8_t sel = fuzz_u8(d);
  if (sel < 200) {
    static const kp_pool_flags_t types[] = {KP_POOL_FLAG_NON_PAGED,
                                            KP_POOL_FLAG_NON_PAGED,
                                            KP_POOL_FLAG_NON_PAGED_EXECUTE,
                                            KP_POOL_FLAG_PAGED};
    flags = types[fuzz_range(d, 0, 3)];
    uint8_t extra = fuzz_u8(d);
    if (extra & 1) flags |= KP_POOL_FLAG_UNINITIALIZED;
    if (extra & 2) flags |= KP_POOL_FLAG_CACHE_ALIGNED;
    if (extra & 4) flags |= KP_POOL_FLAG_RAISE_ON_FAILURE;
    if (extra & 8) flags |= KP_POOL_FLAG_USE_QUOTA;
    if (extra & 16) flags |= (kp_pool_flags_t)fuzz_u32(d) << 32; // optional bits
    if ((extra & 0xE0) == 0xE0) flags |= (kp_pool_flags_t)1 << fuzz_range(d, 0, 31);
  } else {
    flags = fuzz_u64(d);
  }
  // The special pool (an optional bit) is not configured: it is ignored.
  return flags;
}

static kp_tag_t fz_make_tag(fuzz_data_t *d) {
  uint8_t sel = fuzz_u8(d);
  kp_tag_t tag = KP_TAG('F', 'z', 'a' + (char)fuzz_range(d, 0, 25), '3');
  if (sel < 10) return 0;
  if (sel < 20) return tag | FZ_PROTECTED;
  if (sel < 25) return FZ_PROTECTED; // 0 once masked
  return tag;
}

/* ---------------------------------------------------------------------------
 * Calls that may bug check or raise.
 * ------------------------------------------------------------------------- */
typedef struct fz_free_call {
  fz_t *f;
  void *p;
  kp_tag_t tag;
  const kp_pool_param_t *params;
  uint32_t count;
} fz_free_call_t;

/* Runs kp_free2; true when it bug checked (the handler longjmp'ed here). */
static bool fz_free_armed(fz_free_call_t *c) {
  jmp_buf env;
  uint32_t before = c->f->bc_count;
  c->f->jump = &env;
  if (setjmp(env) == 0) {
    kp_free2(c->f->sys, c->p, c->tag, c->params, c->count, KP_NOSITE);
    c->f->jump = NULL;
    FUZZ_ASSERT(c->f->bc_count == before);
    return false;
  }
  FUZZ_ASSERT(c->f->bc_count == before + 1);
  return true;
}

static void *fz_alloc3_try(fz_t *f, kp_pool_flags_t flags, size_t size,
                           kp_tag_t tag, const kp_pool_param_t *params,
                           uint32_t count, bool *raised, kp_status_t *status) {
  kp_try_frame_t frame;
  *raised = false;
  kp_try_enter(&frame);
  if (setjmp(frame.env) == 0) {
    void *p = kp_alloc3(f->sys, flags, size, tag, params, count, KP_NOSITE);
    kp_try_leave(&frame);
    return p;
  }
  *raised = true;
  *status = frame.status;
  return NULL;
}

/* ---------------------------------------------------------------------------
 * Operations.
 * ------------------------------------------------------------------------- */
static void fz_check_block(fz_t *f, const uint8_t *p, kp_pool_flags_t flags,
                           size_t size, kp_tag_t tag, const fz_expect_t *e) {
  kp_block_info_t info;
  FUZZ_ASSERT(kp_block_query(f->sys, p, &info));
  FUZZ_ASSERT(info.address == p);
  FUZZ_ASSERT(info.size == size);
  FUZZ_ASSERT(info.api == KP_API_ALLOCATE_POOL3);
  FUZZ_ASSERT(info.tag == (tag & ~FZ_PROTECTED));
  FUZZ_ASSERT(info.priority == e->priority);
  bool paged = !e->secure && (flags & KP_POOL_FLAG_PAGED) != 0;
  FUZZ_ASSERT(info.pool == (paged ? KP_POOL_PAGED : KP_POOL_NONPAGED));
  if (!paged && e->strict) FUZZ_ASSERT(info.node == e->node);
  FUZZ_ASSERT(info.quota_charged == ((flags & KP_POOL_FLAG_USE_QUOTA) != 0));
  if (size >= FZ_PAGE)
    FUZZ_ASSERT(((uintptr_t)p & (FZ_PAGE - 1)) == 0);
  else if (flags & KP_POOL_FLAG_CACHE_ALIGNED)
    FUZZ_ASSERT(((uintptr_t)p & 63u) == 0);
  else
    FUZZ_ASSERT(((uintptr_t)p & 15u) == 0);
  if (e->secure && e->sp->buffer != NULL) {
    FUZZ_ASSERT(memcmp(p, fz_pattern, size) == 0);
  } else {
    uint8_t fill = (flags & KP_POOL_FLAG_UNINITIALIZED) ? 0xCD : 0;
    for (size_t i = 0; i < size; i++) FUZZ_ASSERT(p[i] == fill);
  }
  if (e->secure) {
    FUZZ_ASSERT(kp_secure_validate(f->sys, e->sp->pool, tag, p, e->sp->cookie));
    FUZZ_ASSERT(!kp_secure_validate(f->sys, e->sp->pool, tag, p, e->sp->cookie + 1));
  }
}

static void op_alloc(fz_t *f, fuzz_data_t *d) {
  kp_pool_param_t params[FZ_MAX_ENTRIES];
  kp_secure_params_t sps[FZ_MAX_ENTRIES];
  memset(params, 0, sizeof params);
  memset(sps, 0, sizeof sps);
  kp_pool_flags_t flags = fz_make_flags(d);
  kp_tag_t tag = fz_make_tag(d);
  size_t size = (size_t)fuzz_range(d, 1, FZ_MAX_SIZE);
  uint32_t count = (uint32_t)fuzz_range(d, 0, FZ_MAX_ENTRIES + 1);
  uint32_t built = count <= FZ_MAX_ENTRIES ? count : 1;
  if (count > FZ_MAX_ENTRIES) count = fuzz_bool(d) ? UINT32_MAX : 17u + fuzz_u8(d);
  for (uint32_t i = 0; i < built; i++) fz_make_entry(f, d, &params[i], &sps[i]);
  const kp_pool_param_t *arr = params;
  if (count > 0 && fuzz_u8(d) < 12) arr = NULL;
  if (f->nlive == FZ_MAX_LIVE) flags = 0; // keep the model's table bounded

  fz_expect_t e = fz_predict(f, flags, tag, arr, count);
  kp_params_result_t r;
  kp_status_t st = kp_params_check(f->sys, flags, tag, arr, count, &r);
  FUZZ_ASSERT(r.reason == e.reason);
  FUZZ_ASSERT(r.index == e.index);
  FUZZ_ASSERT(st == fz_status_of(e.reason));
  if (e.reason == KP_PARAMS_OK) {
    FUZZ_ASSERT(r.priority == e.priority);
    FUZZ_ASSERT(r.secure == e.secure);
    FUZZ_ASSERT(r.node == e.node);
    FUZZ_ASSERT(!e.strict || r.node_strict);
  }

  bool raised = false;
  kp_status_t raised_status = 0;
  uint32_t before = f->bc_count;
  uint8_t *p = fz_alloc3_try(f, flags, size, tag, arr, count, &raised, &raised_status);
  FUZZ_ASSERT(f->bc_count == before);
  if (e.reason != KP_PARAMS_OK) {
    FUZZ_ASSERT(p == NULL);
    FUZZ_ASSERT(raised == ((flags & KP_POOL_FLAG_RAISE_ON_FAILURE) != 0));
    if (raised) FUZZ_ASSERT(raised_status == KP_STATUS_INSUFFICIENT_RESOURCES);
    return;
  }
  FUZZ_ASSERT(!raised);
  FUZZ_ASSERT(p != NULL);
  fz_check_block(f, p, flags, size, tag, &e);
  fz_block_t *b = &f->live[f->nlive++];
  b->p = p;
  b->tag = tag & ~FZ_PROTECTED;
  b->secure = e.secure;
  b->pool = e.secure ? e.sp->pool : NULL;
  b->cookie = e.secure ? e.sp->cookie : 0;
  b->sflags = e.secure ? e.sp->flags : 0;
}

static void fz_forget(fz_t *f, uint32_t i) { f->live[i] = f->live[--f->nlive]; }

static kp_pool_param_t fz_secure_entry(const kp_secure_params_t *sp) {
  kp_pool_param_t p;
  memset(&p, 0, sizeof p);
  p.type = KP_PARAM_SECURE_POOL;
  p.value.secure = sp;
  return p;
}

static void op_free(fz_t *f, fuzz_data_t *d) {
  if (f->nlive == 0) return;
  uint32_t i = (uint32_t)fuzz_range(d, 0, f->nlive - 1);
  fz_block_t *b = &f->live[i];
  kp_secure_params_t sp = {b->pool, NULL, b->cookie, 0};
  kp_pool_param_t prm = fz_secure_entry(&sp);
  fz_free_call_t c = {f, b->p, fuzz_bool(d) ? b->tag : 0, b->secure ? &prm : NULL,
                      b->secure ? 1u : 0u};
  bool bugchecked = fz_free_armed(&c);
  if (b->secure && (b->sflags & KP_SECURE_FLAGS_FREEABLE) == 0) {
    FUZZ_ASSERT(bugchecked);
    FUZZ_ASSERT(f->bc_code == 0xC2 && f->bc_params[0] == KP_C2_SECURE_NOT_FREEABLE);
    FUZZ_ASSERT(kp_block_query(f->sys, b->p, NULL));
    return;
  }
  FUZZ_ASSERT(!bugchecked);
  FUZZ_ASSERT(!b->secure || !kp_secure_validate(f->sys, b->pool, b->tag, b->p, b->cookie));
  fz_forget(f, i);
}

/* ExFreePool2 with a random array on a live block: the exact outcome. */
static void op_misuse(fz_t *f, fuzz_data_t *d) {
  if (f->nlive == 0) return;
  uint32_t i = (uint32_t)fuzz_range(d, 0, f->nlive - 1);
  fz_block_t *b = &f->live[i];
  kp_pool_param_t params[3];
  kp_secure_params_t sps[3];
  memset(params, 0, sizeof params);
  memset(sps, 0, sizeof sps);
  uint32_t count = (uint32_t)fuzz_range(d, 0, 3);
  for (uint32_t k = 0; k < count; k++) {
    fz_make_entry(f, d, &params[k], &sps[k]);
    // Often a well-formed free parameter, so that the later checks run.
    if (fuzz_u8(d) < 150) {
      params[k].type = KP_PARAM_SECURE_POOL;
      params[k].reserved = fuzz_u8(d) < 20 ? 1 : 0;
      sps[k].pool = fuzz_u8(d) < 200 && b->secure ? b->pool : fz_pick_handle(f, d);
      sps[k].cookie = fuzz_u8(d) < 200 ? b->cookie : (uintptr_t)fuzz_u64(d);
      sps[k].buffer = fuzz_u8(d) < 20 ? fz_pattern : NULL;
      sps[k].flags = fuzz_u8(d) < 20 ? (uint32_t)fuzz_range(d, 1, 3) : 0;
      params[k].value.secure = fuzz_u8(d) < 10 ? NULL : &sps[k];
    }
  }
  const kp_pool_param_t *arr = count > 0 && fuzz_u8(d) < 20 ? NULL : params;
  kp_tag_t tag = fuzz_u8(d) < 40 ? fz_make_tag(d) : b->tag;

  // The prediction (kpool/pool3.h, kpool/secure.h).
  uint64_t want_p1 = 0, want_p4 = 0;
  bool want_bc = true;
  bool check_p4 = false;
  // A tag is checked unless it is 0; PROTECTED_POOL is masked before the
  // comparison (so 0x80000000 alone is a non-zero tag that never matches).
  bool tag_differs = tag != 0 && (tag & ~FZ_PROTECTED) != b->tag;
  if (count == 0) {
    if (b->secure) {
      want_p1 = KP_C2_SECURE_FREED_WITHOUT_PARAMS;
    } else if (tag_differs) {
      want_p1 = 0x0A;
    } else {
      want_bc = false;
    }
  } else {
    const kp_pool_param_t *e = arr != NULL ? &arr[0] : NULL;
    uint32_t rule = 0;
    if (arr == NULL)
      rule = KP_FREE2_NULL_ARRAY;
    else if (count != 1)
      rule = KP_FREE2_BAD_COUNT;
    else if (e->reserved != 0)
      rule = KP_FREE2_RESERVED_BITS;
    else if (e->type != KP_PARAM_SECURE_POOL)
      rule = KP_FREE2_BAD_TYPE;
    else if (e->value.secure == NULL)
      rule = KP_FREE2_NULL_SECURE;
    else if (e->value.secure->buffer != NULL)
      rule = KP_FREE2_BUFFER_NOT_NULL;
    else if (e->value.secure->flags != 0)
      rule = KP_FREE2_FLAGS_NOT_ZERO;
    if (rule != 0) {
      want_p1 = KP_C2_FREE2_BAD_PARAMETERS;
      want_p4 = rule;
      check_p4 = true;
    } else {
      const kp_secure_params_t *s = e->value.secure;
      if (!fz_handle_live(f, s->pool))
        want_p1 = KP_C2_SECURE_BAD_HANDLE;
      else if (!b->secure || s->pool != b->pool)
        want_p1 = KP_C2_SECURE_NOT_IN_POOL;
      else if (tag_differs)
        want_p1 = 0x0A;
      else if (s->cookie != b->cookie)
        want_p1 = KP_C2_SECURE_BAD_COOKIE;
      else if ((b->sflags & KP_SECURE_FLAGS_FREEABLE) == 0)
        want_p1 = KP_C2_SECURE_NOT_FREEABLE;
      else
        want_bc = false;
    }
  }
  fz_free_call_t c = {f, b->p, tag, arr, count};
  bool bugchecked = fz_free_armed(&c);
  FUZZ_ASSERT(bugchecked == want_bc);
  if (!want_bc) {
    fz_forget(f, i);
    return;
  }
  FUZZ_ASSERT(f->bc_code == 0xC2);
  FUZZ_ASSERT(f->bc_params[0] == want_p1);
  FUZZ_ASSERT(f->bc_params[1] == (uint64_t)(uintptr_t)b->p);
  if (check_p4) FUZZ_ASSERT(f->bc_params[3] == want_p4);
  // Nothing was freed.
  FUZZ_ASSERT(kp_block_query(f->sys, b->p, NULL));
}

/* ---------------------------------------------------------------------------
 * One input.
 * ------------------------------------------------------------------------- */
static void fz_teardown(fz_t *f) {
  // Free what can be freed; non-FREEABLE secure blocks go with their pool.
  bool has_locked[2] = {false, false};
  for (uint32_t i = 0; i < f->nlive; i++) {
    fz_block_t *b = &f->live[i];
    if (b->secure && (b->sflags & KP_SECURE_FLAGS_FREEABLE) == 0) {
      has_locked[b->pool == f->live_pool[1]] = true;
      continue;
    }
    kp_secure_params_t sp = {b->pool, NULL, b->cookie, 0};
    kp_pool_param_t prm = fz_secure_entry(&sp);
    fz_free_call_t c = {f, b->p, b->tag, b->secure ? &prm : NULL, b->secure ? 1u : 0u};
    FUZZ_ASSERT(!fz_free_armed(&c));
  }
  f->nlive = 0;
  for (int k = 0; k < 2; k++) {
    jmp_buf env;
    uint32_t before = f->bc_count;
    f->jump = &env;
    if (setjmp(env) == 0) {
      kp_secure_pool_destroy(f->sys, f->live_pool[k], KP_NOSITE);
      f->jump = NULL;
    }
    FUZZ_ASSERT(f->bc_count == before + (has_locked[k] ? 1u : 0u));
    if (has_locked[k])
      FUZZ_ASSERT(f->bc_code == 0xC2 && f->bc_params[0] == KP_C2_SECURE_DESTROY_LIVE);
  }
  kp_secure_totals_t tot;
  kp_secure_get_totals(f->sys, &tot);
  FUZZ_ASSERT(tot.pools == 0 && tot.allocations == 0);
  kp_quota_t q;
  FUZZ_ASSERT(kp_quota_query(f->sys, &q) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(q.used == 0);
  FUZZ_ASSERT(kp_driver_unload(f->sys) == KP_STATUS_SUCCESS);
  kp_system_destroy(f->sys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz_t f;
  fuzz_data_t d = fuzz_data_init(data, size);
  memset(&f, 0, sizeof f);
  for (size_t i = 0; i < sizeof fz_pattern; i++) fz_pattern[i] = (uint8_t)(i * 31 + 7);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);

  kp_config_t cfg;
  kp_config_init(&cfg);
  f.nodes = (uint32_t)fuzz_range(&d, 1, 3);
  cfg.numa_nodes = f.nodes;
  if (fuzz_bool(&d)) cfg.verifier_flags &= ~KP_VERIFY_AUTOMATIC;
  cfg.paged_pool_bytes = (size_t)16 << 20;
  cfg.nonpaged_pool_bytes = (size_t)16 << 20;
  cfg.out = fz_quiet;
  f.sys = kp_system_create(&cfg);
  FUZZ_ASSERT(f.sys != NULL);
  kp_bugcheck_set_handler(f.sys, fz_handler, &f, NULL, NULL);
  FUZZ_ASSERT(kp_thread_set_processor(f.sys, 0) == KP_STATUS_SUCCESS);
  for (int k = 0; k < 2; k++)
    FUZZ_ASSERT(kp_secure_pool_create(f.sys, KP_POOL_CREATE_SECURE_POOL,
                                      KP_TAG('F', 'z', 'S', (char)('0' + k)),
                                      NULL, &f.live_pool[k],
                                      KP_NOSITE) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(kp_secure_pool_create(f.sys, KP_POOL_CREATE_SECURE_POOL,
                                    KP_TAG('F', 'z', 'S', 'x'), NULL,
                                    &f.dead_pool, KP_NOSITE) == KP_STATUS_SUCCESS);
  kp_secure_pool_destroy(f.sys, f.dead_pool, KP_NOSITE);

  for (uint32_t n = 0; n < FZ_MAX_OPS && !fuzz_data_empty(&d); n++) {
    uint8_t op = fuzz_u8(&d);
    if (op < 150)
      op_alloc(&f, &d);
    else if (op < 210)
      op_free(&f, &d);
    else
      op_misuse(&f, &d);
  }
  fz_teardown(&f);
  return 0;
}
