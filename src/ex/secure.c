/*
 * secure.c — the secure pool (Kernel Data Protection): ExCreatePool,
 * ExDestroyPool, secure allocations, ExSecurePoolUpdate,
 * ExSecurePoolValidate, the write-fault bug check 0xBE, and the pool3
 * module's hooks (free of secure memory without parameters, queries,
 * leak visits, reports, unload check, destroy).
 *
 * Each secure pool reserves its own arena and keeps every page of it
 * read-only; kpool lifts the protection of the pages it writes, under the
 * module lock, and puts it back before unlocking. The cookie, flags and
 * everything else about a block live in out-of-band records. Handles are
 * encoded values (slot, generation, a per-system salt), never pointers.
 *
 * Locks: one process-wide lock (secure_global) guards the list of module
 * states that the SIGSEGV callback walks; each system's module state has
 * its own lock for its pools. Order: global, then state. No bug check is
 * raised while either is held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex/secure_internal.h"
#include "ke/kp_ke.h"
#include "mm/kp_mm.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "vf/kp_verifier.h"

#define SEC_GRANULES_PER_PAGE (KPI_PAGE_SIZE / KPI_GRANULE)
#define SEC_PAGES (KP_SECURE_POOL_CAPACITY / KPI_PAGE_SIZE)
#define SEC_GRANULES (KP_SECURE_POOL_CAPACITY / KPI_GRANULE)
#define SEC_FREED_KEEP 64u /* freed records kept to diagnose double frees */
#define SEC_LOCK_SPINS 200000u

#if defined(__GNUC__) || defined(__clang__)
#define SEC_RETURN_ADDRESS() __builtin_return_address(0)
#else
#define SEC_RETURN_ADDRESS() NULL
#endif

/* ---------------------------------------------------------------------------
 * Records and state.
 * ------------------------------------------------------------------------- */
typedef struct sec_block {
  kp_block_info_t info;  /* what queries and reports show */
  uintptr_t cookie;      /* out of band: the driver never sees this copy */
  uint32_t sflags;       /* KP_SECURE_FLAGS_* */
  uint32_t first;        /* first granule in the arena */
  uint32_t granules;     /* granules occupied */
  kp_site_t free_site;   /* set once freed */
  uint32_t free_thread;
  struct sec_block *prev;
  struct sec_block *next;
} sec_block_t;

typedef struct sec_pool {
  bool in_use;
  uint16_t gen;            /* generation of the slot, part of the handle */
  kp_tag_t tag;
  uint32_t create_flags;
  kp_site_t site;
  uint8_t *base;           /* arena, host-page aligned */
  size_t reserve;          /* bytes reserved */
  uint64_t *gmap;          /* granule bitmap, bit set = in use */
  uint16_t *page_free;     /* free granules per simulated page */
  sec_block_t *live_head;  /* allocation order */
  sec_block_t *live_tail;
  uint64_t live_count;
  uint64_t live_bytes;
  sec_block_t *freed_head; /* FIFO of recently freed records */
  sec_block_t *freed_tail;
  uint32_t freed_count;
  bool lifted;             /* a returning 0xBE handler made pages writable */
  uint64_t total_allocs;
  uint64_t frees;
  uint64_t failed_allocs;
  uint64_t failed_validations;
  uint64_t updates;
  uint64_t write_faults;
} sec_pool_t;

typedef struct sec_state {
  kp_system_t *sys;
  kpi_mutex_t lock;
  uint16_t salt;           /* tells this system's handles from others' */
  sec_pool_t pools[KP_SECURE_MAX_POOLS];
  uint64_t pools_created;
  uint64_t bad_handles;
  uint64_t orphan_failed_validations; /* validations naming no live pool */
  struct sec_state *g_next;
} sec_state_t;

/* ---------------------------------------------------------------------------
 * The process-wide list the fault callback walks.
 * ------------------------------------------------------------------------- */
static kpi_mutex_t secure_global;
static atomic_flag secure_global_flag = ATOMIC_FLAG_INIT;
static atomic_int secure_global_ready;
static sec_state_t *secure_states;
static atomic_int secure_fault_installed;
static atomic_uint secure_salt_counter;

static void global_ready(void) {
  // Lazily initialised like the current-system lock in system.c: the
  // first thread initialises, the others wait.
  if (!atomic_flag_test_and_set(&secure_global_flag)) {
    kpi_mutex_init(&secure_global);
    atomic_store(&secure_global_ready, 1);
  }
  while (atomic_load(&secure_global_ready) == 0) kpi_os_yield();
}

/* Bounded trylock, for the fault callback: it runs in a signal handler and
 * must not wait forever on a lock its own thread might hold. */
static bool lock_bounded(kpi_mutex_t *m) {
  for (uint32_t i = 0; i < SEC_LOCK_SPINS; i++) {
    if (kpi_mutex_trylock(m)) return true;
    kpi_os_yield();
  }
  return false;
}

static bool secure_fault(void *addr, int write, void *arg);

void kp_secure_arm_fault_handler(void) {
  if (atomic_load(&secure_fault_installed) != 0) kpi_os_fault_rearm();
}

/* ---------------------------------------------------------------------------
 * Handles.
 * ------------------------------------------------------------------------- */
#if UINTPTR_MAX > 0xFFFFFFFFu
#define SEC_HANDLE_MARK 0xFFFF5C0000000000ull
#define SEC_HANDLE_MARK_MASK 0xFFFFFF0000000000ull
static uintptr_t handle_encode(uint16_t salt, uint16_t gen, uint32_t slot) {
  return (uintptr_t)(SEC_HANDLE_MARK | ((uint64_t)salt << 24) |
                     ((uint64_t)gen << 8) | ((uint64_t)slot << 2));
}
static bool handle_decode(uintptr_t v, uint16_t *salt, uint16_t *gen,
                          uint32_t *slot) {
  uint64_t x = (uint64_t)v;
  if ((x & SEC_HANDLE_MARK_MASK) != SEC_HANDLE_MARK || (x & 3u) != 0)
    return false;
  *salt = (uint16_t)(x >> 24);
  *gen = (uint16_t)(x >> 8);
  *slot = (uint32_t)((x >> 2) & 0x3Fu);
  return true;
}
#else
/* 32-bit hosts: fewer bits of salt and generation, same checks. */
static uintptr_t handle_encode(uint16_t salt, uint16_t gen, uint32_t slot) {
  return (uintptr_t)(0x80000000u | ((uint32_t)(salt & 0xFFu) << 22) |
                     ((uint32_t)(gen & 0x3FFFu) << 8) | (slot << 2));
}
static bool handle_decode(uintptr_t v, uint16_t *salt, uint16_t *gen,
                          uint32_t *slot) {
  uint32_t x = (uint32_t)v;
  if ((x & 0x80000003u) != 0x80000000u) return false;
  *salt = (uint16_t)((x >> 22) & 0xFFu);
  *gen = (uint16_t)((x >> 8) & 0x3FFFu);
  *slot = (x >> 2) & 0x3Fu;
  return true;
}
#endif

static kp_secure_pool_t handle_of(const sec_state_t *st, uint32_t slot) {
  uintptr_t v = handle_encode(st->salt, st->pools[slot].gen, slot);
  return (kp_secure_pool_t)v;
}

/* The live pool @h names (state locked), or NULL. */
static sec_pool_t *pool_of(sec_state_t *st, kp_secure_pool_t h) {
  uint16_t salt = 0, gen = 0;
  uint32_t slot = 0;
  if (!handle_decode((uintptr_t)h, &salt, &gen, &slot)) return NULL;
#if UINTPTR_MAX <= 0xFFFFFFFFu
  if (salt != (st->salt & 0xFFu)) return NULL;
  if (slot >= KP_SECURE_MAX_POOLS) return NULL;
  sec_pool_t *sp = &st->pools[slot];
  if (!sp->in_use || (sp->gen & 0x3FFFu) != gen) return NULL;
#else
  if (salt != st->salt || slot >= KP_SECURE_MAX_POOLS) return NULL;
  sec_pool_t *sp = &st->pools[slot];
  if (!sp->in_use || sp->gen != gen) return NULL;
#endif
  return sp;
}

static uint32_t slot_of(const sec_state_t *st, const sec_pool_t *sp) {
  return (uint32_t)(sp - st->pools);
}

/* ---------------------------------------------------------------------------
 * Module registration.
 * ------------------------------------------------------------------------- */
static void mod_unload_check(kp_system_t *sys, void *state);
static bool mod_free_hook(kp_system_t *sys, void *state, void *p, kp_tag_t tag,
                          bool check_tag, kp_site_t site);
static bool mod_query_hook(kp_system_t *sys, void *state, const void *p,
                           kp_block_info_t *info);
static bool mod_visit_hook(kp_system_t *sys, void *state,
                           kp_block_visitor_fn fn, void *arg);
static void mod_report(kp_system_t *sys, void *state, kp_output_fn out,
                       void *arg);
static void mod_destroy(kp_system_t *sys, void *state);

static const kpi_module_ops_t secure_ops = {
    .name = "pool3",
    .tick = NULL,
    .unload_check = mod_unload_check,
    .before_free = NULL,
    .alloc_hook = NULL,
    .free_hook = mod_free_hook,
    .query_hook = mod_query_hook,
    .visit_hook = mod_visit_hook,
    .report = mod_report,
    .destroy = mod_destroy,
};

/* Takes @st off the fault callback's list. */
static void global_unlink(sec_state_t *st) {
  global_ready();
  kpi_mutex_lock(&secure_global);
  for (sec_state_t **pp = &secure_states; *pp != NULL; pp = &(*pp)->g_next) {
    if (*pp == st) {
      *pp = st->g_next;
      break;
    }
  }
  kpi_mutex_unlock(&secure_global);
}

/* Installs the fault callback once. Under the global lock, so that no
 * thread goes on to create a pool (and let a driver write into it) while
 * another is still installing it. The callback itself only ever try-locks
 * the global lock, so a fault meanwhile cannot deadlock. */
static bool fault_install(void) {
  if (atomic_load(&secure_fault_installed) != 0) return true;
  global_ready();
  kpi_mutex_lock(&secure_global);
  bool ok = atomic_load(&secure_fault_installed) != 0 ||
            kpi_os_fault_register(secure_fault, NULL);
  if (ok) atomic_store(&secure_fault_installed, 1);
  kpi_mutex_unlock(&secure_global);
  return ok;
}

/* The module state of @sys; created and registered when @create. */
static sec_state_t *state_get(kp_system_t *sys, bool create) {
  if (sys == NULL) return NULL;
  sec_state_t *st = kpi_system_module(sys, &secure_ops);
  if (st != NULL || !create) return st;
  st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  st->sys = sys;
  kpi_mutex_init(&st->lock);
  // The salt only needs to differ between systems alive at the same time,
  // so that one system's handle is not taken for another's.
  uint32_t n = atomic_fetch_add(&secure_salt_counter, 1) + 1;
  st->salt = (uint16_t)((n * 0x9E37u) ^ (n >> 16));
  if (st->salt == 0) st->salt = 0x5EC;
  // On the fault callback's list before anyone can find the state through
  // the system: once registered, another thread may create a pool and a
  // driver write into it must already be recognised. A state with no pool
  // on the list is harmless (it contains no address).
  global_ready();
  kpi_mutex_lock(&secure_global);
  st->g_next = secure_states;
  secure_states = st;
  kpi_mutex_unlock(&secure_global);
  if (!kpi_system_add_module(sys, &secure_ops, st)) {
    // Another thread registered first (or the table is full).
    global_unlink(st);
    kpi_mutex_destroy(&st->lock);
    free(st);
    return kpi_system_module(sys, &secure_ops);
  }
  return st;
}

bool kpi_pool3_attach(kp_system_t *sys) { return state_get(sys, true) != NULL; }

/* ---------------------------------------------------------------------------
 * Arena: granule bitmap, simulated pages, host-page protection.
 * ------------------------------------------------------------------------- */
static bool gran_used(const sec_pool_t *sp, uint32_t g) {
  return (sp->gmap[g / 64] >> (g % 64)) & 1u;
}

static void gran_mark(sec_pool_t *sp, uint32_t first, uint32_t n, bool used) {
  for (uint32_t g = first; g < first + n; g++) {
    uint64_t bit = (uint64_t)1 << (g % 64);
    if (used)
      sp->gmap[g / 64] |= bit;
    else
      sp->gmap[g / 64] &= ~bit;
    if (used)
      sp->page_free[g / SEC_GRANULES_PER_PAGE]--;
    else
      sp->page_free[g / SEC_GRANULES_PER_PAGE]++;
  }
}

/* First fit: @n granules inside one simulated page, starting on a multiple
 * of @align granules. Returns the first granule or UINT32_MAX. */
static uint32_t carve_small(const sec_pool_t *sp, uint32_t n, uint32_t align) {
  for (uint32_t page = 0; page < SEC_PAGES; page++) {
    if (sp->page_free[page] < n) continue;
    uint32_t base = page * SEC_GRANULES_PER_PAGE;
    for (uint32_t start = 0; start + n <= SEC_GRANULES_PER_PAGE; start += align) {
      uint32_t k = 0;
      while (k < n && !gran_used(sp, base + start + k)) k++;
      if (k == n) return base + start;
    }
  }
  return UINT32_MAX;
}

/* First fit: @pages whole free pages in a row. */
static uint32_t carve_pages(const sec_pool_t *sp, uint32_t pages) {
  uint32_t run = 0;
  for (uint32_t page = 0; page < SEC_PAGES; page++) {
    run = sp->page_free[page] == SEC_GRANULES_PER_PAGE ? run + 1 : 0;
    if (run == pages) return (page + 1 - pages) * SEC_GRANULES_PER_PAGE;
  }
  return UINT32_MAX;
}

static size_t host_round_down(size_t v, size_t host) { return v & ~(host - 1); }
static size_t host_round_up(size_t v, size_t host) {
  return (v + host - 1) & ~(host - 1);
}

/* Writes into the arena (state locked): lifts the protection of the host
 * pages under [dst, dst+n), copies @src (or fills with @fill when @src is
 * NULL), and protects them again. */
static void arena_write(sec_pool_t *sp, uint8_t *dst, const void *src,
                        uint8_t fill, size_t n) {
  if (n == 0) return;
  size_t host = kpi_os_page_size();
  if (sp->lifted) {
    // A bug check handler returned from a write fault and kpool let that
    // write through: protect the whole arena again before going on.
    (void)kpi_os_protect(sp->base, sp->reserve, KPI_PROT_READ);
    sp->lifted = false;
  }
  uintptr_t lo = host_round_down((uintptr_t)dst, host);
  uintptr_t hi = host_round_up((uintptr_t)dst + n, host);
  (void)kpi_os_protect((void *)lo, hi - lo, KPI_PROT_READWRITE);
  if (src != NULL)
    memmove(dst, src, n);
  else
    memset(dst, fill, n);
  (void)kpi_os_protect((void *)lo, hi - lo, KPI_PROT_READ);
}

static void pool_release(sec_pool_t *sp) {
  for (sec_block_t *b = sp->live_head; b != NULL;) {
    sec_block_t *next = b->next;
    free(b);
    b = next;
  }
  for (sec_block_t *b = sp->freed_head; b != NULL;) {
    sec_block_t *next = b->next;
    free(b);
    b = next;
  }
  if (sp->base != NULL) kpi_os_release(sp->base, sp->reserve);
  free(sp->gmap);
  free(sp->page_free);
  uint16_t gen = sp->gen;
  memset(sp, 0, sizeof *sp);
  // The generation survives, so that a stale handle to this slot stays
  // invalid after the slot is reused.
  sp->gen = gen;
}

/* The live block that starts at @p, or (interior) contains it. */
static sec_block_t *block_find(const sec_pool_t *sp, const void *p,
                               bool interior) {
  uintptr_t a = (uintptr_t)p;
  for (sec_block_t *b = sp->live_head; b != NULL; b = b->next) {
    uintptr_t s = (uintptr_t)b->info.address;
    if (a == s) return b;
    if (interior && a > s && a < s + (size_t)b->granules * KPI_GRANULE) return b;
  }
  return NULL;
}

static bool arena_contains(const sec_pool_t *sp, const void *p) {
  uintptr_t a = (uintptr_t)p;
  uintptr_t base = (uintptr_t)sp->base;
  return sp->in_use && a >= base && a < base + KP_SECURE_POOL_CAPACITY;
}

static sec_pool_t *pool_containing(sec_state_t *st, const void *p) {
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++)
    if (arena_contains(&st->pools[i], p)) return &st->pools[i];
  return NULL;
}

static void live_unlink(sec_pool_t *sp, sec_block_t *b) {
  if (b->prev != NULL)
    b->prev->next = b->next;
  else
    sp->live_head = b->next;
  if (b->next != NULL)
    b->next->prev = b->prev;
  else
    sp->live_tail = b->prev;
  b->prev = b->next = NULL;
}

static void freed_push(sec_pool_t *sp, sec_block_t *b) {
  b->next = NULL;
  b->prev = sp->freed_tail;
  if (sp->freed_tail != NULL)
    sp->freed_tail->next = b;
  else
    sp->freed_head = b;
  sp->freed_tail = b;
  if (++sp->freed_count > SEC_FREED_KEEP) {
    sec_block_t *old = sp->freed_head;
    sp->freed_head = old->next;
    if (sp->freed_head != NULL) sp->freed_head->prev = NULL;
    free(old);
    sp->freed_count--;
  }
}

static sec_block_t *freed_find(const sec_pool_t *sp, const void *p) {
  // Newest first: the latest free of that address is the one to report.
  for (sec_block_t *b = sp->freed_tail; b != NULL; b = b->prev)
    if (b->info.address == p) return b;
  return NULL;
}

static bool quota_take(kp_system_t *sys, uint64_t bytes) {
  uint64_t cur = atomic_load(&sys->quota_used);
  do {
    if (cur + bytes > sys->cfg.quota_limit) return false;
  } while (!atomic_compare_exchange_weak(&sys->quota_used, &cur, cur + bytes));
  return true;
}

/* ---------------------------------------------------------------------------
 * ExCreatePool / ExDestroyPool.
 * ------------------------------------------------------------------------- */
kp_status_t kp_secure_pool_create(kp_system_t *sys, uint32_t flags,
                                  uintptr_t tag,
                                  const kp_pool_create_params_t *params,
                                  kp_secure_pool_t *handle, kp_site_t site) {
  if (handle != NULL) *handle = NULL;
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_irql_t irql = kpi_irql();
  if (irql != KP_PASSIVE_LEVEL) {
    kpi_bugcheck_ctx_t ctx = {0};
    ctx.site = site;
    uint64_t caller = (uint64_t)(uintptr_t)site.caller;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL, caller, irql,
                       8, caller, &ctx,
                       "The driver called ExCreatePool at IRQL %u; it may "
                       "only be called at PASSIVE_LEVEL.",
                       (unsigned)irql);
    return KP_STATUS_UNSUCCESSFUL;
  }
  if ((flags & ~KP_POOL_CREATE_VALID_FLAGS) != 0 ||
      (flags & KP_POOL_CREATE_SECURE_POOL) == 0)
    return KP_STATUS_INVALID_PARAMETER_1;
  if (tag == 0 || (uint64_t)tag > 0xFFFFFFFFu) return KP_STATUS_INVALID_PARAMETER_2;
  if (params != NULL && params->version != KP_POOL_CREATE_PARAMS_VERSION)
    return KP_STATUS_INVALID_PARAMETER;
  if (handle == NULL) return KP_STATUS_INVALID_PARAMETER_4;
  if (site.file == NULL && site.caller == NULL)
    site.caller = SEC_RETURN_ADDRESS();

  sec_state_t *st = state_get(sys, true);
  if (st == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;

  // Build the arena outside the lock; only the slot is claimed under it.
  size_t host = kpi_os_page_size();
  size_t reserve = host_round_up(KP_SECURE_POOL_CAPACITY, host);
  uint8_t *base = kpi_os_reserve(reserve, host > 65536 ? host : 65536);
  uint64_t *gmap = calloc(SEC_GRANULES / 64, sizeof *gmap);
  uint16_t *page_free = malloc(SEC_PAGES * sizeof *page_free);
  kp_status_t status = KP_STATUS_SUCCESS;
  if (base == NULL || gmap == NULL || page_free == NULL ||
      kpi_os_protect(base, reserve, KPI_PROT_READ) != KP_STATUS_SUCCESS) {
    status = KP_STATUS_INSUFFICIENT_RESOURCES;
    goto out;
  }
  for (uint32_t i = 0; i < SEC_PAGES; i++) page_free[i] = SEC_GRANULES_PER_PAGE;

  if (!fault_install()) {
    // Without the fault callback a driver write would crash the test
    // instead of raising 0xBE; refuse rather than pretend.
    status = KP_STATUS_INSUFFICIENT_RESOURCES;
    goto out;
  }
  kp_secure_arm_fault_handler();

  kpi_mutex_lock(&st->lock);
  sec_pool_t *sp = NULL;
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS && sp == NULL; i++)
    if (!st->pools[i].in_use) sp = &st->pools[i];
  if (sp != NULL) {
    sp->in_use = true;
    sp->gen = (uint16_t)(sp->gen + 1);
    if (sp->gen == 0) sp->gen = 1;
    sp->tag = (kp_tag_t)tag;
    sp->create_flags = flags;
    sp->site = site;
    sp->base = base;
    sp->reserve = reserve;
    sp->gmap = gmap;
    sp->page_free = page_free;
    st->pools_created++;
    *handle = handle_of(st, slot_of(st, sp));
    base = NULL;
    gmap = NULL;
    page_free = NULL;
  } else {
    status = KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  kpi_mutex_unlock(&st->lock);
out:
  if (base != NULL) kpi_os_release(base, reserve);
  free(gmap);
  free(page_free);
  return status;
}

/* One live allocation, copied out for a report made without the lock. */
typedef struct sec_leak {
  kp_block_info_t info;
  uint32_t sflags;
} sec_leak_t;

void kp_secure_pool_destroy(kp_system_t *sys, kp_secure_pool_t pool,
                            kp_site_t site) {
  if (sys == NULL) return;
  if (site.file == NULL && site.caller == NULL)
    site.caller = SEC_RETURN_ADDRESS();
  sec_state_t *st = state_get(sys, false);
  sec_pool_t *sp = NULL;
  uint64_t live = 0, bytes = 0, quota = 0;
  sec_leak_t *leaks = NULL;
  kp_tag_t pool_tag = 0;
  if (st != NULL) {
    kpi_mutex_lock(&st->lock);
    sp = pool_of(st, pool);
    if (sp != NULL) {
      live = sp->live_count;
      bytes = sp->live_bytes;
      pool_tag = sp->tag;
      if (live != 0) leaks = calloc((size_t)live, sizeof *leaks);
      size_t i = 0;
      for (sec_block_t *b = sp->live_head; b != NULL; b = b->next, i++) {
        if (b->info.quota_charged) quota += b->info.block_bytes;
        if (leaks != NULL) {
          leaks[i].info = b->info;
          leaks[i].sflags = b->sflags;
        }
      }
      pool_release(sp);
    } else {
      st->bad_handles++;
    }
    kpi_mutex_unlock(&st->lock);
  }
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  if (sp == NULL) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, KP_C2_SECURE_BAD_HANDLE,
                       0, (uint64_t)(uintptr_t)pool, 0, &ctx,
                       "The driver called ExDestroyPool with %p, which is not "
                       "the handle of a live secure pool (never created, or "
                       "already destroyed).",
                       (void *)pool);
    return;
  }
  if (quota != 0) atomic_fetch_sub(&sys->quota_used, quota);
  if (live == 0) return;
  char tag_text[5];
  kp_printf(sys,
            "kpool: ExDestroyPool: secure pool %p ('%s') still held %llu "
            "allocation%s (%llu bytes); they were released with it:\n",
            (void *)pool, kp_tag_text(pool_tag, tag_text),
            (unsigned long long)live, live == 1 ? "" : "s",
            (unsigned long long)bytes);
  for (size_t i = 0; leaks != NULL && i < live; i++) {
    char desc[1024];
    kpi_block_describe(&leaks[i].info, desc, sizeof desc);
    kp_printf(sys, "%s  flags:      0x%X\n", desc, (unsigned)leaks[i].sflags);
  }
  free(leaks);
  kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, KP_C2_SECURE_DESTROY_LIVE,
                     (uint64_t)(uintptr_t)pool, live, bytes, &ctx,
                     "The driver destroyed secure pool %p while %llu "
                     "allocation%s (%llu bytes) were still alive. kpool "
                     "released them with the pool (listed above).",
                     (void *)pool, (unsigned long long)live,
                     live == 1 ? "" : "s", (unsigned long long)bytes);
}

/* ---------------------------------------------------------------------------
 * Allocation and free.
 * ------------------------------------------------------------------------- */
bool kpi_secure_handle_valid(kp_system_t *sys, kp_secure_pool_t h) {
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) return false;
  kpi_mutex_lock(&st->lock);
  bool ok = pool_of(st, h) != NULL;
  kpi_mutex_unlock(&st->lock);
  return ok;
}

bool kpi_secure_contains(kp_system_t *sys, const void *p,
                         kp_secure_pool_t *owner) {
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) return false;
  kpi_mutex_lock(&st->lock);
  sec_pool_t *sp = pool_containing(st, p);
  if (sp != NULL && owner != NULL) *owner = handle_of(st, slot_of(st, sp));
  kpi_mutex_unlock(&st->lock);
  return sp != NULL;
}

void *kpi_secure_alloc(kp_system_t *sys, const kpi_request_t *rq,
                       const kp_secure_params_t *sparams, kp_status_t *why) {
  *why = KP_STATUS_SUCCESS;
  if (!kpi_pool_irql_ok(sys, KP_POOL_NONPAGED, rq->pool_type, false, rq->size,
                        rq->site)) {
    *why = KPI_STATUS_BUGCHECKED;
    return NULL;
  }
  // Low resources simulation covers secure allocations too: they bypass
  // kpi_alloc, so ask the fault injector here.
  if (kpi_fault_inject(sys, rq)) {
    *why = KP_STATUS_INSUFFICIENT_RESOURCES;
    return NULL;
  }
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) {
    *why = KP_STATUS_INVALID_HANDLE;
    return NULL;
  }
  // The driver is about to hold secure memory: make sure a write to it
  // reaches kpool even if a test framework replaced the fault handler.
  kp_secure_arm_fault_handler();
  size_t size = rq->size;
  if (size > KP_SECURE_POOL_CAPACITY) {
    *why = KP_STATUS_INSUFFICIENT_RESOURCES;
    return NULL;
  }
  bool big = size >= KPI_PAGE_SIZE;
  uint32_t granules = big ? (uint32_t)(host_round_up(size, KPI_PAGE_SIZE) / KPI_GRANULE)
                          : (uint32_t)((size + KPI_GRANULE - 1) / KPI_GRANULE);
  size_t block_bytes = (size_t)granules * KPI_GRANULE;

  // Copy the driver's initial contents before taking any lock: a bad
  // pointer then faults in the driver's name, not inside kpool's lock.
  uint8_t *init = NULL;
  if (sparams->buffer != NULL && size > 0) {
    init = malloc(size);
    if (init == NULL) {
      *why = KP_STATUS_NO_MEMORY;
      return NULL;
    }
    memcpy(init, sparams->buffer, size);
  }
  sec_block_t *b = calloc(1, sizeof *b);
  if (b == NULL) {
    free(init);
    *why = KP_STATUS_NO_MEMORY;
    return NULL;
  }
  if (rq->quota && !quota_take(sys, block_bytes)) {
    free(init);
    free(b);
    *why = KP_STATUS_QUOTA_EXCEEDED;
    return NULL;
  }

  void *result = NULL;
  kpi_mutex_lock(&st->lock);
  sec_pool_t *sp = pool_of(st, sparams->pool);
  if (sp == NULL) {
    *why = KP_STATUS_INVALID_HANDLE;
    st->bad_handles++;
  } else {
    uint32_t first = big ? carve_pages(sp, granules / SEC_GRANULES_PER_PAGE)
                         : carve_small(sp, granules,
                                       rq->align >= KPI_CACHE_ALIGN ? 4u : 1u);
    if (first == UINT32_MAX) {
      sp->failed_allocs++;
      *why = KP_STATUS_INSUFFICIENT_RESOURCES;
    } else {
      gran_mark(sp, first, granules, true);
      uint8_t *addr = sp->base + (size_t)first * KPI_GRANULE;
      b->first = first;
      b->granules = granules;
      b->cookie = sparams->cookie;
      b->sflags = sparams->flags;
      b->info.address = addr;
      b->info.size = size;
      b->info.block_bytes = block_bytes;
      b->info.tag = rq->tag;
      b->info.pool = KP_POOL_NONPAGED;
      b->info.node = rq->node == KPI_NODE_CURRENT ? kp_thread_node(sys) : rq->node;
      b->info.flags = rq->flags;
      b->info.pool_type = rq->pool_type;
      b->info.priority = rq->priority;
      b->info.api = rq->api;
      b->info.sequence = atomic_fetch_add(&sys->sequence, 1) + 1;
      b->info.thread = kp_thread_id();
      b->info.site = rq->site;
      b->info.quota_charged = rq->quota;
      b->prev = sp->live_tail;
      if (sp->live_tail != NULL)
        sp->live_tail->next = b;
      else
        sp->live_head = b;
      sp->live_tail = b;
      sp->live_count++;
      sp->live_bytes += block_bytes;
      sp->total_allocs++;
      // Contents: the initial buffer, else zeroes (or the uninitialised
      // pattern); the slack up to the granule is zeroed, as kpool never
      // leaves a previous block's bytes readable in a secure block.
      if (init != NULL)
        arena_write(sp, addr, init, 0, size);
      else
        arena_write(sp, addr, NULL, rq->zero ? 0 : sys->cfg.uninit_fill, size);
      arena_write(sp, addr + size, NULL, 0, block_bytes - size);
      result = addr;
      b = NULL;
    }
  }
  kpi_mutex_unlock(&st->lock);
  if (result == NULL && rq->quota)
    atomic_fetch_sub(&sys->quota_used, block_bytes);
  free(b);
  free(init);
  return result;
}

enum sec_free_verdict {
  SEC_FREE_OK = 0,
  SEC_FREE_BAD_HANDLE,
  SEC_FREE_NOT_IN_POOL,
  SEC_FREE_DOUBLE,
  SEC_FREE_TAG,
  SEC_FREE_COOKIE,
  SEC_FREE_NOT_FREEABLE
};

typedef struct sec_free_check {
  enum sec_free_verdict verdict;
  kp_block_info_t info;
  uint32_t sflags;
  kp_site_t free_site;
  uint32_t free_thread;
} sec_free_check_t;

/* Decides a secure free (state locked). Returns the block when it may go. */
static sec_block_t *free_validate(sec_state_t *st, sec_pool_t **spp,
                                  kp_secure_pool_t pool, void *p, kp_tag_t tag,
                                  uintptr_t cookie, sec_free_check_t *fc) {
  sec_pool_t *sp = pool_of(st, pool);
  *spp = sp;
  if (sp == NULL) {
    st->bad_handles++;
    fc->verdict = SEC_FREE_BAD_HANDLE;
    return NULL;
  }
  sec_block_t *b = block_find(sp, p, false);
  if (b == NULL) {
    sec_block_t *f = arena_contains(sp, p) ? freed_find(sp, p) : NULL;
    if (f != NULL && block_find(sp, p, true) == NULL) {
      fc->verdict = SEC_FREE_DOUBLE;
      fc->info = f->info;
      fc->free_site = f->free_site;
      fc->free_thread = f->free_thread;
    } else {
      fc->verdict = SEC_FREE_NOT_IN_POOL;
    }
    return NULL;
  }
  fc->info = b->info;
  fc->sflags = b->sflags;
  if (tag != 0 && (tag & 0x7FFFFFFFu) != b->info.tag) {
    fc->verdict = SEC_FREE_TAG;
    return NULL;
  }
  if (cookie != b->cookie) {
    sp->failed_validations++;
    fc->verdict = SEC_FREE_COOKIE;
    return NULL;
  }
  if ((b->sflags & KP_SECURE_FLAGS_FREEABLE) == 0) {
    fc->verdict = SEC_FREE_NOT_FREEABLE;
    return NULL;
  }
  fc->verdict = SEC_FREE_OK;
  return b;
}

static void free_reject(kp_system_t *sys, void *p, kp_tag_t tag,
                        kp_secure_pool_t pool, uintptr_t cookie,
                        const sec_free_check_t *fc, kp_site_t site) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  uint64_t addr = (uint64_t)(uintptr_t)p;
  uint64_t h = (uint64_t)(uintptr_t)pool;
  char t1[5], t2[5];
  switch (fc->verdict) {
  case SEC_FREE_BAD_HANDLE:
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, KP_C2_SECURE_BAD_HANDLE,
                       addr, h, 0, &ctx,
                       "The driver called ExFreePool2 on %p with secure pool "
                       "handle %p, which is not a live secure pool.",
                       p, (void *)pool);
    break;
  case SEC_FREE_NOT_IN_POOL:
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, KP_C2_SECURE_NOT_IN_POOL,
                       addr, h, 0, &ctx,
                       "The driver called ExFreePool2 on %p with the secure "
                       "pool parameter for pool %p, but %p is not the start "
                       "of a live allocation of that secure pool.",
                       p, (void *)pool, p);
    break;
  case SEC_FREE_DOUBLE:
    ctx.block = &fc->info;
    ctx.free_site = &fc->free_site;
    ctx.free_thread = fc->free_thread;
    if (kpi_verifier(sys))
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x13, 0, addr, 0, &ctx,
                         "The driver freed secure allocation %p twice "
                         "(secure pool %p).",
                         p, (void *)pool);
    else
      kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x07, 0, 0, addr,
                         &ctx,
                         "The driver freed secure allocation %p twice "
                         "(secure pool %p).",
                         p, (void *)pool);
    break;
  case SEC_FREE_TAG:
    ctx.block = &fc->info;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, 0x0A, addr,
                       fc->info.tag, tag, &ctx,
                       "The driver freed secure allocation %p with tag '%s' "
                       "(0x%08X), but it was allocated with tag '%s' "
                       "(0x%08X).",
                       p, kp_tag_text(tag, t1), (unsigned)tag,
                       kp_tag_text(fc->info.tag, t2), (unsigned)fc->info.tag);
    break;
  case SEC_FREE_COOKIE:
    ctx.block = &fc->info;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER, KP_C2_SECURE_BAD_COOKIE,
                       addr, h, (uint64_t)cookie, &ctx,
                       "The driver called ExFreePool2 on secure allocation %p "
                       "(secure pool %p) with cookie 0x%llX, which is not "
                       "the allocation's cookie.",
                       p, (void *)pool, (unsigned long long)cookie);
    break;
  case SEC_FREE_NOT_FREEABLE:
    ctx.block = &fc->info;
    kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER,
                       KP_C2_SECURE_NOT_FREEABLE, addr, h, fc->sflags, &ctx,
                       "The driver called ExFreePool2 on secure allocation %p "
                       "(secure pool %p), which was allocated without "
                       "SECURE_POOL_FLAGS_FREEABLE (flags 0x%X).",
                       p, (void *)pool, (unsigned)fc->sflags);
    break;
  case SEC_FREE_OK:
    break;
  }
}

void kpi_secure_free(kp_system_t *sys, void *p, kp_tag_t tag,
                     kp_secure_pool_t pool, uintptr_t cookie, kp_site_t site) {
  sec_free_check_t fc;
  memset(&fc, 0, sizeof fc);
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) {
    fc.verdict = SEC_FREE_BAD_HANDLE;
    free_reject(sys, p, tag, pool, cookie, &fc, site);
    return;
  }
  sec_pool_t *sp = NULL;
  kpi_mutex_lock(&st->lock);
  sec_block_t *b = free_validate(st, &sp, pool, p, tag, cookie, &fc);
  kpi_mutex_unlock(&st->lock);
  if (b == NULL) {
    free_reject(sys, p, tag, pool, cookie, &fc, site);
    return;
  }
  if (!kpi_pool_irql_ok(sys, KP_POOL_NONPAGED, fc.info.pool_type, true,
                        (uint64_t)(uintptr_t)p, site))
    return;

  uint64_t sequence = fc.info.sequence;
  bool quota = false;
  size_t bytes = 0;
  kpi_mutex_lock(&st->lock);
  // Validate again: another thread may have freed or destroyed meanwhile.
  b = free_validate(st, &sp, pool, p, tag, cookie, &fc);
  if (b != NULL && b->info.sequence == sequence) {
    live_unlink(sp, b);
    sp->live_count--;
    sp->live_bytes -= b->info.block_bytes;
    sp->frees++;
    quota = b->info.quota_charged;
    bytes = b->info.block_bytes;
    arena_write(sp, b->info.address, NULL, sys->cfg.free_fill,
                (size_t)b->granules * KPI_GRANULE);
    gran_mark(sp, b->first, b->granules, false);
    b->free_site = site;
    b->free_thread = kp_thread_id();
    freed_push(sp, b);
  } else if (b != NULL) {
    // The block at @p now is a different allocation: the one the driver
    // meant was freed by someone else in between.
    fc.verdict = SEC_FREE_DOUBLE;
    b = NULL;
  }
  kpi_mutex_unlock(&st->lock);
  if (b == NULL) {
    free_reject(sys, p, tag, pool, cookie, &fc, site);
    return;
  }
  if (quota) atomic_fetch_sub(&sys->quota_used, bytes);
}

void kpi_secure_free_without_params(kp_system_t *sys, void *p, kp_tag_t tag,
                                    kp_secure_pool_t owner, const char *api,
                                    kp_site_t site) {
  kpi_bugcheck_ctx_t ctx = {0};
  ctx.site = site;
  kp_block_info_t info;
  if (mod_query_hook(sys, state_get(sys, false), p, &info)) ctx.block = &info;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_BAD_POOL_CALLER,
                     KP_C2_SECURE_FREED_WITHOUT_PARAMS, (uint64_t)(uintptr_t)p,
                     (uint64_t)(uintptr_t)owner, tag, &ctx,
                     "The driver called %s on %p, which is secure pool memory "
                     "(secure pool %p). Secure allocations are freed only by "
                     "ExFreePool2 with a PoolExtendedParameterSecurePool "
                     "parameter holding the pool handle and the cookie.",
                     api, p, (void *)owner);
}

/* ---------------------------------------------------------------------------
 * ExSecurePoolUpdate / ExSecurePoolValidate.
 * ------------------------------------------------------------------------- */

/* Finds the block for an update or validate (state locked). Returns the
 * status of kp_secure_update's first checks (handle, address, tag, cookie)
 * and counts failed validations. */
static kp_status_t identify(sec_state_t *st, kp_secure_pool_t pool,
                            kp_tag_t tag, const void *allocation,
                            uintptr_t cookie, sec_pool_t **spp,
                            sec_block_t **bp) {
  sec_pool_t *sp = pool_of(st, pool);
  *spp = sp;
  *bp = NULL;
  if (sp == NULL) {
    st->bad_handles++;
    st->orphan_failed_validations++;
    return KP_STATUS_INVALID_HANDLE;
  }
  sec_block_t *b = allocation != NULL ? block_find(sp, allocation, false) : NULL;
  if (b == NULL) {
    sp->failed_validations++;
    return KP_STATUS_INVALID_PARAMETER_3;
  }
  if ((tag & 0x7FFFFFFFu) != b->info.tag) {
    sp->failed_validations++;
    return KP_STATUS_INVALID_PARAMETER_2;
  }
  if (cookie != b->cookie) {
    sp->failed_validations++;
    return KP_STATUS_INVALID_PARAMETER_4;
  }
  *bp = b;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_secure_update(kp_system_t *sys, kp_secure_pool_t pool,
                             kp_tag_t tag, void *allocation, uintptr_t cookie,
                             size_t offset, size_t size, const void *buffer) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER;
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) return KP_STATUS_INVALID_HANDLE;
  kp_secure_arm_fault_handler();
  sec_pool_t *sp = NULL;
  sec_block_t *b = NULL;
  uint8_t *copy = NULL;
  uint64_t sequence = 0;

  kpi_mutex_lock(&st->lock);
  kp_status_t status = identify(st, pool, tag, allocation, cookie, &sp, &b);
  if (KP_SUCCESS(status)) {
    sequence = b->info.sequence;
    // Bounds without overflow: offset <= size requested, then the rest.
    if ((b->sflags & KP_SECURE_FLAGS_MODIFIABLE) == 0)
      status = KP_STATUS_ACCESS_DENIED;
    else if (offset > b->info.size || size > b->info.size - offset)
      status = KP_STATUS_INVALID_PARAMETER;
    else if (buffer == NULL && size > 0)
      status = KP_STATUS_INVALID_PARAMETER_7;
  }
  kpi_mutex_unlock(&st->lock);
  if (!KP_SUCCESS(status) || size == 0) return status;

  // Copy the source outside the lock (it may be bad, or secure memory).
  copy = malloc(size);
  if (copy == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  memcpy(copy, buffer, size);

  kpi_mutex_lock(&st->lock);
  status = identify(st, pool, tag, allocation, cookie, &sp, &b);
  if (KP_SUCCESS(status) && b->info.sequence != sequence)
    status = KP_STATUS_INVALID_PARAMETER_3; // freed and reallocated meanwhile
  if (KP_SUCCESS(status)) {
    arena_write(sp, (uint8_t *)b->info.address + offset, copy, 0, size);
    sp->updates++;
  }
  kpi_mutex_unlock(&st->lock);
  free(copy);
  return status;
}

bool kp_secure_validate(kp_system_t *sys, kp_secure_pool_t pool, kp_tag_t tag,
                        const void *allocation, uintptr_t cookie) {
  sec_state_t *st = state_get(sys, true);
  if (st == NULL) return false;
  kp_secure_arm_fault_handler();
  sec_pool_t *sp = NULL;
  sec_block_t *b = NULL;
  kpi_mutex_lock(&st->lock);
  kp_status_t status = identify(st, pool, tag, allocation, cookie, &sp, &b);
  kpi_mutex_unlock(&st->lock);
  return KP_SUCCESS(status);
}

/* ---------------------------------------------------------------------------
 * The write fault: bug check 0xBE.
 * ------------------------------------------------------------------------- */
typedef struct sec_fault_find {
  kp_system_t *sys;
  kp_secure_pool_t handle;
  kp_tag_t pool_tag;
  bool has_block;
  kp_block_info_t info;
  uint32_t sflags;
} sec_fault_find_t;

/* Looks @addr up in every system's secure pools (global lock held). */
static bool fault_find(void *addr, sec_fault_find_t *ff, bool lift) {
  for (sec_state_t *st = secure_states; st != NULL; st = st->g_next) {
    if (!lock_bounded(&st->lock)) continue;
    sec_pool_t *sp = pool_containing(st, addr);
    if (sp != NULL) {
      ff->sys = st->sys;
      ff->handle = handle_of(st, slot_of(st, sp));
      ff->pool_tag = sp->tag;
      sec_block_t *b = block_find(sp, addr, true);
      ff->has_block = b != NULL;
      if (b != NULL) {
        ff->info = b->info;
        ff->sflags = b->sflags;
      }
      if (lift) {
        // The handler returned: let this one write through (see
        // kpool/secure.h); arena_write re-protects the arena later.
        size_t host = kpi_os_page_size();
        void *page = (void *)host_round_down((uintptr_t)addr, host);
        (void)kpi_os_protect(page, host, KPI_PROT_READWRITE);
        sp->lifted = true;
      } else {
        sp->write_faults++;
      }
    }
    kpi_mutex_unlock(&st->lock);
    if (sp != NULL) return true;
  }
  return false;
}

static bool secure_fault(void *addr, int write, void *arg) {
  (void)arg;
  if (atomic_load(&secure_global_ready) == 0) return false;
  if (!lock_bounded(&secure_global)) return false;
  sec_fault_find_t ff;
  memset(&ff, 0, sizeof ff);
  bool ours = fault_find(addr, &ff, false);
  kpi_mutex_unlock(&secure_global);
  if (!ours) return false;

  kpi_bugcheck_ctx_t ctx = {0};
  ctx.block = ff.has_block ? &ff.info : NULL;
  char tag_text[5];
  uint64_t start = ff.has_block ? (uint64_t)(uintptr_t)ff.info.address : 0;
  kpi_bugcheck_raise(
      ff.sys, KP_BUGCHECK_ATTEMPTED_WRITE_TO_READONLY_MEMORY,
      (uint64_t)(uintptr_t)addr, 0, (uint64_t)(uintptr_t)ff.handle, start,
      &ctx,
      "The driver %s %p, which is read-only secure pool memory (secure pool "
      "%p, pool tag '%s'). %s Secure allocations change only through "
      "ExSecurePoolUpdate, and only when allocated with "
      "SECURE_POOL_FLAGS_MODIFIABLE%s.",
      write == 0 ? "accessed" : "wrote to", addr, (void *)ff.handle,
      kp_tag_text(ff.pool_tag, tag_text),
      ff.has_block ? "The allocation written to is described below."
                   : "The address is in no live allocation of that pool.",
      ff.has_block && (ff.sflags & KP_SECURE_FLAGS_MODIFIABLE) == 0
          ? " (this one was not)"
          : "");

  // The handler returned: the write has to complete for the program to go
  // on. Find the pool again (it may be gone) and lift that page.
  if (lock_bounded(&secure_global)) {
    sec_fault_find_t again;
    memset(&again, 0, sizeof again);
    bool found = fault_find(addr, &again, true);
    kpi_mutex_unlock(&secure_global);
    if (found) return true;
  }
  return false;
}

/* ---------------------------------------------------------------------------
 * Queries and reports.
 * ------------------------------------------------------------------------- */
static void info_fill(const sec_state_t *st, const sec_pool_t *sp,
                      kp_secure_pool_info_t *info) {
  memset(info, 0, sizeof *info);
  info->handle = handle_of(st, slot_of(st, sp));
  info->tag = sp->tag;
  info->create_flags = sp->create_flags;
  info->allocations = sp->live_count;
  info->bytes = sp->live_bytes;
  info->total_allocations = sp->total_allocs;
  info->frees = sp->frees;
  info->failed_allocations = sp->failed_allocs;
  info->failed_validations = sp->failed_validations;
  info->updates = sp->updates;
  info->write_faults = sp->write_faults;
  info->capacity = KP_SECURE_POOL_CAPACITY;
  info->site = sp->site;
}

bool kp_secure_pool_query(kp_system_t *sys, kp_secure_pool_t pool,
                          kp_secure_pool_info_t *info) {
  if (info == NULL) return false;
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) return false;
  kpi_mutex_lock(&st->lock);
  sec_pool_t *sp = pool_of(st, pool);
  if (sp != NULL) info_fill(st, sp, info);
  kpi_mutex_unlock(&st->lock);
  return sp != NULL;
}

void kp_secure_get_totals(kp_system_t *sys, kp_secure_totals_t *out) {
  if (out == NULL) return;
  memset(out, 0, sizeof *out);
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) return;
  kpi_mutex_lock(&st->lock);
  out->pools_created = st->pools_created;
  out->bad_handles = st->bad_handles;
  out->failed_validations = st->orphan_failed_validations;
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++) {
    const sec_pool_t *sp = &st->pools[i];
    if (!sp->in_use) continue;
    out->pools++;
    out->allocations += sp->live_count;
    out->bytes += sp->live_bytes;
    out->failed_validations += sp->failed_validations;
    out->write_faults += sp->write_faults;
  }
  kpi_mutex_unlock(&st->lock);
}

void kp_secure_visit_pools(kp_system_t *sys, kp_secure_pool_visitor_fn fn,
                           void *arg) {
  if (fn == NULL) return;
  sec_state_t *st = state_get(sys, false);
  if (st == NULL) return;
  kpi_mutex_lock(&st->lock);
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++) {
    if (!st->pools[i].in_use) continue;
    kp_secure_pool_info_t info;
    info_fill(st, &st->pools[i], &info);
    if (!fn(&info, arg)) break;
  }
  kpi_mutex_unlock(&st->lock);
}

/* Text of one secure pool line (no lock needed: works on a copy). */
static void report_line(const kp_secure_pool_info_t *info, char *buf,
                        size_t len) {
  char tag[5];
  char site[256];
  kpi_site_text(info->site, site, sizeof site);
  snprintf(buf, len,
           "%18p %-4s %11llu %11llu %10llu %10llu %8llu  %s\n",
           (void *)info->handle, kp_tag_text(info->tag, tag),
           (unsigned long long)info->allocations,
           (unsigned long long)info->bytes,
           (unsigned long long)info->failed_validations,
           (unsigned long long)info->updates,
           (unsigned long long)info->write_faults, site);
}

typedef struct report_ctx {
  kp_secure_pool_info_t items[KP_SECURE_MAX_POOLS];
  uint32_t count;
} report_ctx_t;

static bool report_collect(const kp_secure_pool_info_t *info, void *arg) {
  report_ctx_t *rc = arg;
  if (rc->count < KP_SECURE_MAX_POOLS) rc->items[rc->count++] = *info;
  return true;
}

static void emit(kp_system_t *sys, kp_output_fn out, void *arg,
                 const char *text) {
  if (out != NULL)
    out(text, arg);
  else
    kpi_out(sys, text);
}

void kp_secure_report(kp_system_t *sys, kp_output_fn out, void *arg) {
  if (sys == NULL) return;
  report_ctx_t *rc = calloc(1, sizeof *rc);
  if (rc == NULL) return;
  kp_secure_visit_pools(sys, report_collect, rc);
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  char line[512];
  snprintf(line, sizeof line,
           "Secure pools: %u live (%llu created), %llu allocations, %llu "
           "bytes, %llu failed validations, %llu bad handles, %llu write "
           "faults\n",
           tot.pools, (unsigned long long)tot.pools_created,
           (unsigned long long)tot.allocations, (unsigned long long)tot.bytes,
           (unsigned long long)tot.failed_validations,
           (unsigned long long)tot.bad_handles,
           (unsigned long long)tot.write_faults);
  emit(sys, out, arg, line);
  if (rc->count > 0)
    emit(sys, out, arg,
         "            Handle Tag       Allocs       Bytes  BadValid    Updates  WFaults  Created at\n");
  for (uint32_t i = 0; i < rc->count; i++) {
    report_line(&rc->items[i], line, sizeof line);
    emit(sys, out, arg, line);
  }
  free(rc);
}

/* ---------------------------------------------------------------------------
 * Module hooks.
 * ------------------------------------------------------------------------- */
static bool mod_free_hook(kp_system_t *sys, void *state, void *p, kp_tag_t tag,
                          bool check_tag, kp_site_t site) {
  (void)check_tag;
  sec_state_t *st = state;
  if (st == NULL) return false;
  kp_secure_pool_t owner = NULL;
  kpi_mutex_lock(&st->lock);
  sec_pool_t *sp = pool_containing(st, p);
  if (sp != NULL) owner = handle_of(st, slot_of(st, sp));
  kpi_mutex_unlock(&st->lock);
  if (sp == NULL) return false;
  kpi_secure_free_without_params(sys, p, tag, owner,
                                 tag != 0 ? "ExFreePoolWithTag" : "ExFreePool",
                                 site);
  return true;
}

static bool mod_query_hook(kp_system_t *sys, void *state, const void *p,
                           kp_block_info_t *info) {
  (void)sys;
  sec_state_t *st = state;
  if (st == NULL) return false;
  kpi_mutex_lock(&st->lock);
  sec_pool_t *sp = pool_containing(st, p);
  sec_block_t *b = sp != NULL ? block_find(sp, p, true) : NULL;
  if (b != NULL && info != NULL) *info = b->info;
  kpi_mutex_unlock(&st->lock);
  return b != NULL;
}

static bool mod_visit_hook(kp_system_t *sys, void *state,
                           kp_block_visitor_fn fn, void *arg) {
  (void)sys;
  sec_state_t *st = state;
  bool go = true;
  kpi_mutex_lock(&st->lock);
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS && go; i++) {
    if (!st->pools[i].in_use) continue;
    for (sec_block_t *b = st->pools[i].live_head; b != NULL && go; b = b->next)
      go = fn(&b->info, arg);
  }
  kpi_mutex_unlock(&st->lock);
  return go;
}

static void mod_report(kp_system_t *sys, void *state, kp_output_fn out,
                       void *arg) {
  (void)state;
  // Pressure and quota are printed by kp_report() for every system; the
  // module adds what only it knows.
  kp_secure_report(sys, out, arg);
}

static void mod_unload_check(kp_system_t *sys, void *state) {
  sec_state_t *st = state;
  if ((sys->cfg.verifier_flags & KP_VERIFY_POOL_TRACKING) == 0) return;
  report_ctx_t *rc = calloc(1, sizeof *rc);
  if (rc == NULL) return;
  kpi_mutex_lock(&st->lock);
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++)
    if (st->pools[i].in_use) info_fill(st, &st->pools[i], &rc->items[rc->count++]);
  kpi_mutex_unlock(&st->lock);
  uint64_t allocs = 0, bytes = 0;
  if (rc->count > 0) {
    kp_printf(sys, "kpool: driver unload: %u secure pool%s never destroyed "
                   "(ExDestroyPool):\n",
              rc->count, rc->count == 1 ? " was" : "s were");
    for (uint32_t i = 0; i < rc->count; i++) {
      char line[512];
      report_line(&rc->items[i], line, sizeof line);
      kpi_out(sys, line);
      allocs += rc->items[i].allocations;
      bytes += rc->items[i].bytes;
    }
  }
  uint32_t pools = rc->count;
  free(rc);
  if (pools == 0) return;
  kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                     KP_C4_SECURE_POOL_NOT_DESTROYED, pools, allocs, bytes,
                     NULL,
                     "The driver is unloading without destroying %u secure "
                     "pool%s (%llu allocations, %llu bytes still in them). "
                     "Every ExCreatePool needs its ExDestroyPool.",
                     pools, pools == 1 ? "" : "s", (unsigned long long)allocs,
                     (unsigned long long)bytes);
}

static void mod_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  sec_state_t *st = state;
  // Off the fault callback's list first, so that no fault looks at it.
  global_unlink(st);
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++)
    if (st->pools[i].in_use) pool_release(&st->pools[i]);
  kpi_mutex_destroy(&st->lock);
  free(st);
}
