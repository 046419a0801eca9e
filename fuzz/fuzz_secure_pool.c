/**
 * @file fuzz/fuzz_secure_pool.c
 * @brief Fuzz target: secure pool operations against a model — ExCreatePool,
 *        ExDestroyPool, secure ExAllocatePool3, ExSecurePoolValidate,
 *        ExSecurePoolUpdate, ExFreePool2, ExFreePool on secure memory, and
 *        driver writes to secure pages (bug check 0xBE).
 *
 * Input layout (fuzz_helpers.h producer, front to back):
 *
 *   config   verifier automatic checks on/off, quota limit (small or large)
 *   ops...   one selector byte each, then the operation's parameters
 *
 * The model keeps the secure pools (handle, tag, live blocks), every live
 * block (address, size, tag, cookie, flags, a copy of its contents, quota),
 * the quota in use, and the failed-validation and write-fault counters the
 * simulator must report. Each operation predicts its result exactly: the
 * NTSTATUS of create and update, the answer of validate, NULL or a block
 * (or a raise) for an allocation, and for misuse the bug check code and
 * parameters (0xC2 with the kpool subcodes of kpool/secure.h, 0x0A for a
 * tag mismatch, the double-free codes, 0xA for ExCreatePool above
 * PASSIVE_LEVEL, the IRQL codes for an allocation above DISPATCH_LEVEL,
 * and 0xBE with P1 = address, P3 = handle, P4 = block for a write).
 * The "check" operation compares every block's contents and the totals.
 *
 * Bug checks are caught by a handler that longjmps back into the armed
 * call (also out of the SIGSEGV handler for 0xBE); any bug check that was
 * not predicted fails the input. At the end the blocks are freed, the
 * pools destroyed, the driver unload must be clean.
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
#define FZ_MAX_POOLS 6u
#define FZ_MAX_BLOCKS 64u
#define FZ_MAX_SIZE (2u * FZ_PAGE + 900u)
#define FZ_MAX_OPS 300u
#define FZ_PROTECTED 0x80000000u

typedef struct fz_block {
  bool live;
  uint8_t *p;
  size_t size;
  size_t bytes;
  kp_tag_t tag;
  uintptr_t cookie;
  uint32_t sflags;
  bool quota;
  uint8_t content[FZ_MAX_SIZE];
} fz_block_t;

typedef struct fz_pool {
  bool live;
  kp_secure_pool_t h;
  kp_tag_t tag;
  uint64_t failed_validations;
  uint64_t write_faults;
  fz_block_t blocks[FZ_MAX_BLOCKS / FZ_MAX_POOLS + 1];
} fz_pool_t;

typedef struct fz {
  kp_system_t *sys;
  bool verifier;
  size_t quota_limit;
  size_t quota_used;
  uint32_t pools_live; /* simulator-wide: at most KP_SECURE_MAX_POOLS */
  fz_pool_t pools[FZ_MAX_POOLS];
  kp_secure_pool_t dead[4]; /* handles of destroyed pools */
  uint32_t ndead;
  uint32_t dead_next;
  uint64_t orphan_failed_validations;
  jmp_buf *jump;
  uint32_t bc_count;
  uint32_t bc_code;
  uint64_t bc_params[4];
} fz_t;

static uint8_t fz_src[FZ_MAX_SIZE];

/* Reports (ExDestroyPool lists what it released) go nowhere. */
static void fz_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

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
  kp_bugcheck_print(bc, NULL, NULL); // to stderr, not the quiet output
  FUZZ_ASSERT(!"unexpected bug check");
}

/* ---------------------------------------------------------------------------
 * Armed calls: each runs one simulator call and says whether it bug
 * checked (the handler longjmp'ed back here).
 * ------------------------------------------------------------------------- */
typedef enum fz_call_kind {
  FZ_CALL_CREATE,
  FZ_CALL_DESTROY,
  FZ_CALL_ALLOC,
  FZ_CALL_FREE2,
  FZ_CALL_FREE,
  FZ_CALL_WRITE
} fz_call_kind_t;

typedef struct fz_call {
  fz_call_kind_t kind;
  uint32_t flags;
  uintptr_t tag;
  const kp_pool_create_params_t *cparams;
  kp_secure_pool_t *out;
  kp_secure_pool_t h;
  kp_pool_flags_t pflags;
  size_t size;
  const kp_pool_param_t *params;
  uint32_t count;
  void *p;
  kp_status_t status;
  void *result;
  bool raised;
} fz_call_t;

static void fz_do(fz_t *f, fz_call_t *c) {
  switch (c->kind) {
  case FZ_CALL_CREATE:
    c->status = kp_secure_pool_create(f->sys, c->flags, c->tag, c->cparams,
                                      c->out, KP_NOSITE);
    break;
  case FZ_CALL_DESTROY:
    kp_secure_pool_destroy(f->sys, c->h, KP_NOSITE);
    break;
  case FZ_CALL_ALLOC:
    c->result = kp_alloc3(f->sys, c->pflags, c->size, (kp_tag_t)c->tag,
                          c->params, c->count, KP_NOSITE);
    break;
  case FZ_CALL_FREE2:
    kp_free2(f->sys, c->p, (kp_tag_t)c->tag, c->params, c->count, KP_NOSITE);
    break;
  case FZ_CALL_FREE:
    kp_free(f->sys, c->p, (kp_tag_t)c->tag, KP_NOSITE);
    break;
  case FZ_CALL_WRITE:
    ((volatile uint8_t *)c->p)[0] = (uint8_t)c->size;
    break;
  }
}

static bool fz_armed(fz_t *f, fz_call_t *c) {
  jmp_buf env;
  kp_try_frame_t frame;
  uint32_t before = f->bc_count;
  c->raised = false;
  f->jump = &env;
  kp_try_enter(&frame);
  if (setjmp(env) != 0) {
    // The bug check cut the call short: drop the raise frame it left.
    kp_try_leave(&frame);
    FUZZ_ASSERT(f->bc_count == before + 1);
    return true;
  }
  if (setjmp(frame.env) == 0) {
    fz_do(f, c);
    kp_try_leave(&frame);
  } else {
    c->raised = true;
    c->status = frame.status;
  }
  f->jump = NULL;
  FUZZ_ASSERT(f->bc_count == before);
  return false;
}

static void fz_expect_bc(const fz_t *f, uint32_t code, uint64_t p1) {
  FUZZ_ASSERT(f->bc_code == code);
  FUZZ_ASSERT(f->bc_params[0] == p1);
}

/* ---------------------------------------------------------------------------
 * Model helpers.
 * ------------------------------------------------------------------------- */
static size_t fz_block_bytes(size_t size) {
  if (size >= FZ_PAGE) return (size + FZ_PAGE - 1) / FZ_PAGE * FZ_PAGE;
  return (size + 15) / 16 * 16;
}

static fz_pool_t *fz_pool_of(fz_t *f, kp_secure_pool_t h) {
  for (uint32_t i = 0; i < FZ_MAX_POOLS; i++)
    if (f->pools[i].live && f->pools[i].h == h) return &f->pools[i];
  return NULL;
}

static fz_pool_t *fz_any_pool(fz_t *f, fuzz_data_t *d) {
  uint32_t start = (uint32_t)fuzz_range(d, 0, FZ_MAX_POOLS - 1);
  for (uint32_t k = 0; k < FZ_MAX_POOLS; k++) {
    fz_pool_t *p = &f->pools[(start + k) % FZ_MAX_POOLS];
    if (p->live) return p;
  }
  return NULL;
}

static fz_block_t *fz_any_block(fz_t *f, fuzz_data_t *d, fz_pool_t **pool) {
  fz_pool_t *p = fz_any_pool(f, d);
  if (p == NULL) return NULL;
  uint32_t n = sizeof p->blocks / sizeof p->blocks[0];
  uint32_t start = (uint32_t)fuzz_range(d, 0, n - 1);
  for (uint32_t k = 0; k < n; k++) {
    fz_block_t *b = &p->blocks[(start + k) % n];
    if (b->live) {
      *pool = p;
      return b;
    }
  }
  return NULL;
}

/* A handle that names no live pool: destroyed, forged or NULL. */
static kp_secure_pool_t fz_bad_handle(fz_t *f, fuzz_data_t *d) {
  uint8_t sel = (uint8_t)fuzz_range(d, 0, 3);
  if (sel == 0 && f->ndead > 0) return f->dead[fuzz_range(d, 0, f->ndead - 1)];
  if (sel == 1) return NULL;
  fz_pool_t *p = fz_any_pool(f, d);
  uintptr_t base = p != NULL ? (uintptr_t)p->h : (uintptr_t)0xFFFF5C0000000100ull;
  uintptr_t forged = base ^ ((uintptr_t)fuzz_u32(d) | 1u);
  return fz_pool_of(f, (kp_secure_pool_t)forged) == NULL ? (kp_secure_pool_t)forged : NULL;
}

/* ---------------------------------------------------------------------------
 * Operations.
 * ------------------------------------------------------------------------- */
static void op_create(fz_t *f, fuzz_data_t *d) {
  uint8_t sel = fuzz_u8(d);
  uint32_t flags = sel < 200 ? (uint32_t)fuzz_range(d, 1, 3) : fuzz_u32(d);
  uintptr_t tag = fuzz_u8(d) < 15 ? 0 : KP_TAG('S', 'p', 'a' + (char)fuzz_range(d, 0, 25), '!');
  if (fuzz_u8(d) < 5) tag |= (uintptr_t)1 << 40;
  kp_pool_create_params_t cp = {KP_POOL_CREATE_PARAMS_VERSION};
  const kp_pool_create_params_t *cparams = NULL;
  uint8_t psel = fuzz_u8(d);
  if (psel < 60) cparams = &cp;
  if (psel < 15) cp.version = fuzz_u32(d);
  kp_secure_pool_t h = NULL;
  bool null_out = fuzz_u8(d) < 8;
  bool raised_irql = fuzz_u8(d) < 8;

  fz_pool_t *slot = NULL;
  for (uint32_t i = 0; i < FZ_MAX_POOLS && slot == NULL; i++)
    if (!f->pools[i].live) slot = &f->pools[i];
  kp_status_t want;
  if ((flags & ~3u) != 0 || (flags & 1u) == 0)
    want = KP_STATUS_INVALID_PARAMETER_1;
  else if (tag == 0 || (uint64_t)tag > 0xFFFFFFFFu)
    want = KP_STATUS_INVALID_PARAMETER_2;
  else if (cparams != NULL && cp.version != 1)
    want = KP_STATUS_INVALID_PARAMETER;
  else if (null_out)
    want = KP_STATUS_INVALID_PARAMETER_4;
  else
    want = KP_STATUS_SUCCESS;
  // The model keeps FZ_MAX_POOLS pools: do not ask for more when it is full.
  if (want == KP_STATUS_SUCCESS && slot == NULL) return;

  fz_call_t c;
  memset(&c, 0, sizeof c);
  c.kind = FZ_CALL_CREATE;
  c.flags = flags;
  c.tag = tag;
  c.cparams = cparams;
  c.out = null_out ? NULL : &h;
  if (raised_irql) (void)kp_irql_set(KP_APC_LEVEL + (kp_irql_t)fuzz_range(d, 0, 1));
  bool bc = fz_armed(f, &c);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  if (raised_irql) {
    FUZZ_ASSERT(bc);
    FUZZ_ASSERT(f->bc_code == 0x0A);
    FUZZ_ASSERT(h == NULL);
    return;
  }
  FUZZ_ASSERT(!bc);
  FUZZ_ASSERT(c.status == want);
  if (want != KP_STATUS_SUCCESS) {
    FUZZ_ASSERT(h == NULL);
    return;
  }
  FUZZ_ASSERT(h != NULL && fz_pool_of(f, h) == NULL);
  memset(slot, 0, sizeof *slot);
  slot->live = true;
  slot->h = h;
  slot->tag = (kp_tag_t)tag;
  f->pools_live++;
}

static void fz_pool_gone(fz_t *f, fz_pool_t *p) {
  for (uint32_t i = 0; i < sizeof p->blocks / sizeof p->blocks[0]; i++)
    if (p->blocks[i].live && p->blocks[i].quota) f->quota_used -= p->blocks[i].bytes;
  // Keep the last four destroyed handles.
  f->dead[f->dead_next++ % 4] = p->h;
  if (f->ndead < 4) f->ndead++;
  p->live = false;
  f->pools_live--;
}

static void op_destroy(fz_t *f, fuzz_data_t *d) {
  fz_call_t c;
  memset(&c, 0, sizeof c);
  c.kind = FZ_CALL_DESTROY;
  fz_pool_t *p = fuzz_u8(d) < 200 ? fz_any_pool(f, d) : NULL;
  if (p == NULL) {
    c.h = fz_bad_handle(f, d);
    FUZZ_ASSERT(fz_armed(f, &c));
    fz_expect_bc(f, 0xC2, KP_C2_SECURE_BAD_HANDLE);
    FUZZ_ASSERT(f->bc_params[2] == (uint64_t)(uintptr_t)c.h);
    return;
  }
  uint64_t live = 0, bytes = 0;
  for (uint32_t i = 0; i < sizeof p->blocks / sizeof p->blocks[0]; i++)
    if (p->blocks[i].live) {
      live++;
      bytes += p->blocks[i].bytes;
    }
  c.h = p->h;
  bool bc = fz_armed(f, &c);
  FUZZ_ASSERT(bc == (live != 0));
  if (bc) {
    fz_expect_bc(f, 0xC2, KP_C2_SECURE_DESTROY_LIVE);
    FUZZ_ASSERT(f->bc_params[2] == live && f->bc_params[3] == bytes);
  }
  fz_pool_gone(f, p);
}

static void op_alloc(fz_t *f, fuzz_data_t *d) {
  fz_pool_t *p = fz_any_pool(f, d);
  bool bad_handle = p == NULL || fuzz_u8(d) < 20;
  kp_secure_params_t sp;
  memset(&sp, 0, sizeof sp);
  sp.pool = bad_handle ? fz_bad_handle(f, d) : p->h;
  sp.cookie = (uintptr_t)fuzz_u64(d);
  sp.flags = fuzz_u8(d) < 240 ? (uint32_t)fuzz_range(d, 0, 3) : fuzz_u32(d);
  size_t size = fuzz_u8(d) < 3 ? KP_SECURE_POOL_CAPACITY + 1 : (size_t)fuzz_range(d, 1, FZ_MAX_SIZE);
  bool with_buffer = fuzz_bool(d);
  for (size_t i = 0; with_buffer && i < size && i < FZ_MAX_SIZE; i++)
    fz_src[i] = (uint8_t)(i ^ sp.cookie);
  sp.buffer = with_buffer && size <= FZ_MAX_SIZE ? fz_src : NULL;
  kp_pool_param_t prm;
  memset(&prm, 0, sizeof prm);
  prm.type = KP_PARAM_SECURE_POOL;
  prm.optional = fuzz_u8(d) < 30;
  prm.value.secure = &sp;
  uint8_t fsel = fuzz_u8(d);
  kp_pool_flags_t pflags = fsel < 220 ? KP_POOL_FLAG_NON_PAGED
                           : fsel < 240 ? KP_POOL_FLAG_PAGED
                                        : KP_POOL_FLAG_NON_PAGED_EXECUTE;
  uint8_t extra = fuzz_u8(d);
  if (extra & 1) pflags |= KP_POOL_FLAG_UNINITIALIZED;
  if (extra & 2) pflags |= KP_POOL_FLAG_RAISE_ON_FAILURE;
  if (extra & 4) pflags |= KP_POOL_FLAG_USE_QUOTA;
  if (extra & 8) pflags |= KP_POOL_FLAG_CACHE_ALIGNED;
  kp_tag_t tag = KP_TAG('S', 'b', 'a' + (char)fuzz_range(d, 0, 25), '1');
  bool high_irql = fuzz_u8(d) < 4;

  // Prediction.
  bool np_only = (pflags & (KP_POOL_FLAG_PAGED | KP_POOL_FLAG_NON_PAGED_EXECUTE)) == 0;
  bool ignored = !np_only && prm.optional;   // ordinary block
  bool refused = !np_only && !prm.optional;  // required but conflicting
  if (!ignored && !refused) {
    if ((sp.flags & ~KP_SECURE_FLAGS_VALID) != 0 || bad_handle) refused = true;
  }
  size_t bytes = fz_block_bytes(size);
  bool secure = !ignored && !refused;
  bool fits = size <= KP_SECURE_POOL_CAPACITY;
  bool quota_ok = (pflags & KP_POOL_FLAG_USE_QUOTA) == 0 || f->quota_used + bytes <= f->quota_limit;
  if (ignored) return; // ordinary pools are fuzz_pool3's business
  fz_block_t *slot = NULL;
  if (secure) {
    for (uint32_t i = 0; i < sizeof p->blocks / sizeof p->blocks[0] && slot == NULL; i++)
      if (!p->blocks[i].live) slot = &p->blocks[i];
    if (slot == NULL) return; // the model's table is full
  }
  fz_call_t c;
  memset(&c, 0, sizeof c);
  c.kind = FZ_CALL_ALLOC;
  c.pflags = pflags;
  c.size = size;
  c.tag = tag;
  c.params = &prm;
  c.count = 1;
  if (high_irql) (void)kp_irql_set(KP_DISPATCH_LEVEL + 1);
  bool bc = fz_armed(f, &c);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  if (high_irql && secure) {
    // Secure pool memory follows the non-paged IRQL rule.
    FUZZ_ASSERT(bc);
    fz_expect_bc(f, f->verifier ? 0xC4 : 0xC2, f->verifier ? 0x02 : 0x08);
    return;
  }
  FUZZ_ASSERT(!bc);
  bool raise = (pflags & KP_POOL_FLAG_RAISE_ON_FAILURE) != 0;
  if (!secure || !fits || !quota_ok) {
    FUZZ_ASSERT(c.result == NULL);
    FUZZ_ASSERT(c.raised == raise);
    if (raise)
      FUZZ_ASSERT(c.status == (secure && fits && !quota_ok ? KP_STATUS_QUOTA_EXCEEDED
                                                             : KP_STATUS_INSUFFICIENT_RESOURCES));
    return;
  }
  FUZZ_ASSERT(!c.raised && c.result != NULL);
  uint8_t *b = c.result;
  if (size >= FZ_PAGE) FUZZ_ASSERT(((uintptr_t)b & (FZ_PAGE - 1)) == 0);
  if (size < FZ_PAGE && (pflags & KP_POOL_FLAG_CACHE_ALIGNED))
    FUZZ_ASSERT(((uintptr_t)b & 63u) == 0);
  memset(slot, 0, sizeof *slot);
  slot->live = true;
  slot->p = b;
  slot->size = size;
  slot->bytes = bytes;
  slot->tag = tag;
  slot->cookie = sp.cookie;
  slot->sflags = sp.flags;
  slot->quota = (pflags & KP_POOL_FLAG_USE_QUOTA) != 0;
  if (sp.buffer != NULL)
    memcpy(slot->content, fz_src, size);
  else
    memset(slot->content, (pflags & KP_POOL_FLAG_UNINITIALIZED) ? 0xCD : 0, size);
  FUZZ_ASSERT(memcmp(b, slot->content, size) == 0);
  if (slot->quota) f->quota_used += bytes;
}

/* Mutates the identification of @b; returns the expected failure. */
typedef enum fz_ident { FZ_ID_OK, FZ_ID_HANDLE, FZ_ID_ADDRESS, FZ_ID_TAG, FZ_ID_COOKIE } fz_ident_t;

static fz_ident_t fz_identify(fz_t *f, fuzz_data_t *d, const fz_pool_t *p,
                              const fz_block_t *b, kp_secure_pool_t *h,
                              kp_tag_t *tag, uint8_t **addr, uintptr_t *cookie) {
  *h = p->h;
  *tag = b->tag;
  *addr = b->p;
  *cookie = b->cookie;
  uint8_t sel = fuzz_u8(d);
  if (sel < 150) {
    if (fuzz_bool(d)) *tag |= FZ_PROTECTED; // masked: still matches
    return FZ_ID_OK;
  }
  if (sel < 170) {
    *h = fz_bad_handle(f, d);
    return FZ_ID_HANDLE;
  }
  if (sel < 200) {
    *addr = b->p + fuzz_range(d, 1, b->size > 1 ? b->size - 1 : 1);
    if (fuzz_u8(d) < 30) *addr = NULL;
    return FZ_ID_ADDRESS;
  }
  if (sel < 225) {
    *tag = b->tag ^ (kp_tag_t)fuzz_range(d, 1, 0x7F);
    return FZ_ID_TAG;
  }
  *cookie = b->cookie ^ (uintptr_t)fuzz_range(d, 1, UINT32_MAX);
  return FZ_ID_COOKIE;
}

static void fz_count_failed(fz_t *f, fz_pool_t *p, fz_ident_t id) {
  if (id == FZ_ID_HANDLE)
    f->orphan_failed_validations++;
  else if (id != FZ_ID_OK)
    p->failed_validations++;
}

static void op_validate(fz_t *f, fuzz_data_t *d) {
  fz_pool_t *p = NULL;
  fz_block_t *b = fz_any_block(f, d, &p);
  if (b == NULL) return;
  kp_secure_pool_t h;
  kp_tag_t tag;
  uint8_t *addr;
  uintptr_t cookie;
  fz_ident_t id = fz_identify(f, d, p, b, &h, &tag, &addr, &cookie);
  bool got = kp_secure_validate(f->sys, h, tag, addr, cookie);
  FUZZ_ASSERT(got == (id == FZ_ID_OK));
  fz_count_failed(f, p, id);
}

static void op_update(fz_t *f, fuzz_data_t *d) {
  fz_pool_t *p = NULL;
  fz_block_t *b = fz_any_block(f, d, &p);
  if (b == NULL) return;
  kp_secure_pool_t h;
  kp_tag_t tag;
  uint8_t *addr;
  uintptr_t cookie;
  fz_ident_t id = fz_identify(f, d, p, b, &h, &tag, &addr, &cookie);
  size_t offset, size;
  uint8_t osel = fuzz_u8(d);
  if (osel < 200) {
    offset = (size_t)fuzz_range(d, 0, b->size);
    size = (size_t)fuzz_range(d, 0, b->size - offset + (osel < 20 ? 3 : 0));
  } else if (osel < 230) {
    offset = (size_t)fuzz_range(d, 1, SIZE_MAX);
    size = SIZE_MAX - (size_t)fuzz_range(d, 0, 2);
  } else {
    offset = (size_t)fuzz_u64(d);
    size = (size_t)fuzz_u64(d);
  }
  const uint8_t *src = fz_src;
  if (fuzz_u8(d) < 10) src = NULL;
  uint8_t seed = fuzz_u8(d);
  for (size_t i = 0; i < FZ_MAX_SIZE; i++) fz_src[i] = (uint8_t)(seed ^ (i * 7));
  kp_status_t want;
  if (id == FZ_ID_HANDLE)
    want = KP_STATUS_INVALID_HANDLE;
  else if (id == FZ_ID_ADDRESS)
    want = KP_STATUS_INVALID_PARAMETER_3;
  else if (id == FZ_ID_TAG)
    want = KP_STATUS_INVALID_PARAMETER_2;
  else if (id == FZ_ID_COOKIE)
    want = KP_STATUS_INVALID_PARAMETER_4;
  else if ((b->sflags & KP_SECURE_FLAGS_MODIFIABLE) == 0)
    want = KP_STATUS_ACCESS_DENIED;
  else if (offset > b->size || size > b->size - offset)
    want = KP_STATUS_INVALID_PARAMETER;
  else if (src == NULL && size > 0)
    want = KP_STATUS_INVALID_PARAMETER_7;
  else
    want = KP_STATUS_SUCCESS;
  kp_status_t got = kp_secure_update(f->sys, h, tag, addr, cookie, offset, size, src);
  FUZZ_ASSERT(got == want);
  fz_count_failed(f, p, id);
  if (want == KP_STATUS_SUCCESS && size > 0) memcpy(b->content + offset, src, size);
  FUZZ_ASSERT(memcmp(b->p, b->content, b->size) == 0);
}

static void op_free(fz_t *f, fuzz_data_t *d) {
  fz_pool_t *p = NULL;
  fz_block_t *b = fz_any_block(f, d, &p);
  if (b == NULL) return;
  kp_secure_pool_t h;
  kp_tag_t tag;
  uint8_t *addr;
  uintptr_t cookie;
  fz_ident_t id = fz_identify(f, d, p, b, &h, &tag, &addr, &cookie);
  if (fuzz_u8(d) < 30) tag = 0; // no tag check
  bool high_irql = fuzz_u8(d) < 4;
  kp_secure_params_t sp = {h, NULL, cookie, 0};
  kp_pool_param_t prm;
  memset(&prm, 0, sizeof prm);
  prm.type = KP_PARAM_SECURE_POOL;
  prm.value.secure = &sp;
  fz_call_t c;
  memset(&c, 0, sizeof c);
  c.kind = FZ_CALL_FREE2;
  c.p = addr;
  c.tag = tag;
  c.params = &prm;
  c.count = 1;

  uint64_t want = 0;
  bool want_bc = true;
  if (id == FZ_ID_HANDLE)
    want = KP_C2_SECURE_BAD_HANDLE;
  else if (id == FZ_ID_ADDRESS)
    want = KP_C2_SECURE_NOT_IN_POOL;
  else if (id == FZ_ID_TAG && tag != 0)
    want = 0x0A;
  else if (id == FZ_ID_COOKIE)
    want = KP_C2_SECURE_BAD_COOKIE;
  else if ((b->sflags & KP_SECURE_FLAGS_FREEABLE) == 0)
    want = KP_C2_SECURE_NOT_FREEABLE;
  else
    want_bc = false;
  // Only a wrong cookie counts as a failed validation in a free.
  if (id == FZ_ID_COOKIE) p->failed_validations++;
  if (!want_bc && high_irql) {
    (void)kp_irql_set(KP_DISPATCH_LEVEL + 1);
    FUZZ_ASSERT(fz_armed(f, &c));
    (void)kp_irql_set(KP_PASSIVE_LEVEL);
    fz_expect_bc(f, f->verifier ? 0xC4 : 0xC2, f->verifier ? 0x12 : 0x09);
    return; // abandoned: the block stays
  }
  bool bc = fz_armed(f, &c);
  FUZZ_ASSERT(bc == want_bc);
  if (bc) {
    fz_expect_bc(f, 0xC2, want);
    return;
  }
  if (b->quota) f->quota_used -= b->bytes;
  b->live = false;
  FUZZ_ASSERT(!kp_secure_validate(f->sys, p->h, b->tag, b->p, b->cookie));
  p->failed_validations++;
  // Freeing it again is a double free, with the core's codes.
  if (fuzz_u8(d) < 60) {
    sp.pool = p->h;
    sp.cookie = b->cookie;
    c.p = b->p;
    c.tag = b->tag;
    FUZZ_ASSERT(fz_armed(f, &c));
    if (f->verifier)
      fz_expect_bc(f, 0xC4, 0x13);
    else
      fz_expect_bc(f, 0xC2, 0x07);
  }
}

static void op_free_without_params(fz_t *f, fuzz_data_t *d) {
  fz_pool_t *p = NULL;
  fz_block_t *b = fz_any_block(f, d, &p);
  if (b == NULL) return;
  fz_call_t c;
  memset(&c, 0, sizeof c);
  c.kind = fuzz_bool(d) ? FZ_CALL_FREE : FZ_CALL_FREE2;
  c.p = b->p + (fuzz_bool(d) ? 0 : fuzz_range(d, 0, b->size - 1));
  c.tag = fuzz_bool(d) ? b->tag : 0;
  FUZZ_ASSERT(fz_armed(f, &c));
  fz_expect_bc(f, 0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS);
  FUZZ_ASSERT(f->bc_params[1] == (uint64_t)(uintptr_t)c.p);
  FUZZ_ASSERT(f->bc_params[2] == (uint64_t)(uintptr_t)p->h);
}

static void op_write(fz_t *f, fuzz_data_t *d) {
  fz_pool_t *p = NULL;
  fz_block_t *b = fz_any_block(f, d, &p);
  if (b == NULL) return;
  fz_call_t c;
  memset(&c, 0, sizeof c);
  c.kind = FZ_CALL_WRITE;
  c.p = b->p + fuzz_range(d, 0, b->size - 1);
  c.size = fuzz_u8(d);
  kp_secure_arm_fault_handler();
  FUZZ_ASSERT(fz_armed(f, &c));
  fz_expect_bc(f, 0xBE, (uint64_t)(uintptr_t)c.p);
  FUZZ_ASSERT(f->bc_params[2] == (uint64_t)(uintptr_t)p->h);
  FUZZ_ASSERT(f->bc_params[3] == (uint64_t)(uintptr_t)b->p);
  p->write_faults++;
  FUZZ_ASSERT(memcmp(b->p, b->content, b->size) == 0);
}

static void op_check(fz_t *f) {
  kp_secure_totals_t tot;
  kp_secure_get_totals(f->sys, &tot);
  uint64_t allocs = 0, bytes = 0, failed = f->orphan_failed_validations, faults = 0;
  uint32_t pools = 0;
  for (uint32_t i = 0; i < FZ_MAX_POOLS; i++) {
    fz_pool_t *p = &f->pools[i];
    if (!p->live) continue;
    pools++;
    failed += p->failed_validations;
    faults += p->write_faults;
    uint64_t pa = 0, pb = 0;
    for (uint32_t k = 0; k < sizeof p->blocks / sizeof p->blocks[0]; k++) {
      fz_block_t *b = &p->blocks[k];
      if (!b->live) continue;
      pa++;
      pb += b->bytes;
      FUZZ_ASSERT(memcmp(b->p, b->content, b->size) == 0);
      kp_block_info_t info;
      FUZZ_ASSERT(kp_block_query(f->sys, b->p, &info));
      FUZZ_ASSERT(info.tag == b->tag && info.size == b->size);
      FUZZ_ASSERT(info.block_bytes == b->bytes);
    }
    kp_secure_pool_info_t pi;
    FUZZ_ASSERT(kp_secure_pool_query(f->sys, p->h, &pi));
    FUZZ_ASSERT(pi.allocations == pa && pi.bytes == pb);
    FUZZ_ASSERT(pi.failed_validations == p->failed_validations);
    FUZZ_ASSERT(pi.write_faults == p->write_faults);
    FUZZ_ASSERT(pi.tag == p->tag);
    allocs += pa;
    bytes += pb;
  }
  FUZZ_ASSERT(tot.pools == pools);
  FUZZ_ASSERT(tot.allocations == allocs && tot.bytes == bytes);
  FUZZ_ASSERT(tot.failed_validations == failed);
  FUZZ_ASSERT(tot.write_faults == faults);
  kp_quota_t q;
  FUZZ_ASSERT(kp_quota_query(f->sys, &q) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(q.used == f->quota_used);
}

/* ---------------------------------------------------------------------------
 * One input.
 * ------------------------------------------------------------------------- */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz_t f;
  fuzz_data_t d = fuzz_data_init(data, size);
  memset(&f, 0, sizeof f);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  kp_config_t cfg;
  kp_config_init(&cfg);
  f.verifier = !fuzz_bool(&d);
  if (!f.verifier) cfg.verifier_flags &= ~KP_VERIFY_AUTOMATIC;
  cfg.quota_limit = fuzz_bool(&d) ? (size_t)fuzz_range(&d, 1, 64) * FZ_PAGE : (size_t)64 << 20;
  f.quota_limit = cfg.quota_limit;
  cfg.out = fz_quiet;
  f.sys = kp_system_create(&cfg);
  FUZZ_ASSERT(f.sys != NULL);
  kp_bugcheck_set_handler(f.sys, fz_handler, &f, NULL, NULL);

  for (uint32_t n = 0; n < FZ_MAX_OPS && !fuzz_data_empty(&d); n++) {
    uint8_t op = fuzz_u8(&d);
    if (op < 25)
      op_create(&f, &d);
    else if (op < 35)
      op_destroy(&f, &d);
    else if (op < 110)
      op_alloc(&f, &d);
    else if (op < 140)
      op_validate(&f, &d);
    else if (op < 170)
      op_update(&f, &d);
    else if (op < 210)
      op_free(&f, &d);
    else if (op < 225)
      op_free_without_params(&f, &d);
    else if (op < 240)
      op_write(&f, &d);
    else
      op_check(&f);
  }
  op_check(&f);

  // Tear down: free what is FREEABLE, then destroy the pools (0x5C07 for a
  // pool that still holds blocks), and the unload must be clean.
  for (uint32_t i = 0; i < FZ_MAX_POOLS; i++) {
    fz_pool_t *p = &f.pools[i];
    if (!p->live) continue;
    uint64_t left = 0;
    for (uint32_t k = 0; k < sizeof p->blocks / sizeof p->blocks[0]; k++) {
      fz_block_t *b = &p->blocks[k];
      if (!b->live) continue;
      if ((b->sflags & KP_SECURE_FLAGS_FREEABLE) == 0) {
        left++;
        continue;
      }
      kp_secure_params_t sp = {p->h, NULL, b->cookie, 0};
      kp_pool_param_t prm;
      memset(&prm, 0, sizeof prm);
      prm.type = KP_PARAM_SECURE_POOL;
      prm.value.secure = &sp;
      fz_call_t c;
      memset(&c, 0, sizeof c);
      c.kind = FZ_CALL_FREE2;
      c.p = b->p;
      c.tag = b->tag;
      c.params = &prm;
      c.count = 1;
      FUZZ_ASSERT(!fz_armed(&f, &c));
      b->live = false;
    }
    fz_call_t c;
    memset(&c, 0, sizeof c);
    c.kind = FZ_CALL_DESTROY;
    c.h = p->h;
    FUZZ_ASSERT(fz_armed(&f, &c) == (left != 0));
    p->live = false;
  }
  kp_secure_totals_t tot;
  kp_secure_get_totals(f.sys, &tot);
  FUZZ_ASSERT(tot.pools == 0 && tot.allocations == 0);
  kp_quota_t q;
  FUZZ_ASSERT(kp_quota_query(f.sys, &q) == KP_STATUS_SUCCESS && q.used == 0);
  FUZZ_ASSERT(kp_driver_unload(f.sys) == KP_STATUS_SUCCESS);
  kp_system_destroy(f.sys);
  return 0;
}
