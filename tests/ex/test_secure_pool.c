/*
 * test_secure_pool.c — the secure pool: ExCreatePool's checks, handles,
 * secure allocations, real page protection (a driver write is bug check
 * 0xBE), ExSecurePoolValidate, ExSecurePoolUpdate, freeing through
 * ExFreePool2 only, ExDestroyPool with live allocations, unload, reports,
 * threads, and the same through the WDK names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"
#include "kpool/pool3.h"
#include "kpool/secure.h"

#define SEC_TAG KP_TAG('S', 'e', 'c', 'P')
#define CFG_TAG KP_TAG('C', 'f', 'g', '1')
#define COOKIE ((uintptr_t)0xC00C1E5EC0DEull)
#define BOTH (KP_SECURE_FLAGS_FREEABLE | KP_SECURE_FLAGS_MODIFIABLE)

static kp_secure_pool_t make_pool(kp_system_t *sys) {
  kp_secure_pool_t h = NULL;
  assert_int_equal(kp_secure_pool_create(sys, KP_POOL_CREATE_SECURE_POOL,
                                         SEC_TAG, NULL, &h, KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_non_null(h);
  return h;
}

static kp_pool_param_t secure_param(const kp_secure_params_t *sp) {
  kp_pool_param_t p;
  memset(&p, 0, sizeof p);
  p.type = KP_PARAM_SECURE_POOL;
  p.value.secure = sp;
  return p;
}

static void *sec_alloc_flags(kp_system_t *sys, kp_pool_flags_t pflags,
                             kp_secure_pool_t h, size_t size,
                             const void *buffer, uintptr_t cookie,
                             uint32_t flags) {
  kp_secure_params_t sp = {h, buffer, cookie, flags};
  kp_pool_param_t p = secure_param(&sp);
  return kp_alloc3(sys, pflags, size, CFG_TAG, &p, 1, KP_HERE);
}

static void *sec_alloc(kp_system_t *sys, kp_secure_pool_t h, size_t size,
                       const void *buffer, uint32_t flags) {
  return sec_alloc_flags(sys, KP_POOL_FLAG_NON_PAGED, h, size, buffer, COOKIE,
                         flags);
}

static void sec_free(kp_system_t *sys, void *p, kp_tag_t tag,
                     kp_secure_pool_t h, uintptr_t cookie) {
  kp_secure_params_t sp = {h, NULL, cookie, 0};
  kp_pool_param_t prm = secure_param(&sp);
  kp_free2(sys, p, tag, &prm, 1, KP_HERE);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return false;
  return true;
}

/* ---------------------------------------------------------------------------
 * ExCreatePool
 * ------------------------------------------------------------------------- */

static void test_create_and_query(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = NULL;
  assert_int_equal(kp_secure_pool_create(sys, KP_POOL_CREATE_SECURE_POOL |
                                                  KP_POOL_CREATE_USE_GLOBAL_POOL,
                                         SEC_TAG, NULL, &h, KP_HERE),
                   KP_STATUS_SUCCESS);
  kp_secure_pool_info_t info;
  assert_true(kp_secure_pool_query(sys, h, &info));
  assert_ptr_equal(info.handle, h);
  assert_int_equal(info.tag, SEC_TAG);
  assert_int_equal(info.create_flags, 3);
  assert_int_equal(info.allocations, 0);
  assert_int_equal(info.capacity, KP_SECURE_POOL_CAPACITY);
  assert_non_null(info.site.file);
  assert_non_null(strstr(info.site.file, "test_secure_pool.c"));
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 1);
  assert_int_equal(tot.pools_created, 1);
  kp_secure_pool_destroy(sys, h, KP_HERE);
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 0);
  assert_false(kp_secure_pool_query(sys, h, &info));
}

static void test_create_bad_flags(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = (kp_secure_pool_t)(uintptr_t)0x1;
  const uint32_t bad[] = {0, KP_POOL_CREATE_USE_GLOBAL_POOL, 4, 5, 8,
                          0x80000001u, 0xFFFFFFFFu};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(kp_secure_pool_create(sys, bad[i], SEC_TAG, NULL, &h,
                                           KP_HERE),
                     KP_STATUS_INVALID_PARAMETER_1);
    assert_null(h);
  }
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 0);
}

static void test_create_bad_params_tag_handle(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = NULL;
  kp_pool_create_params_t v0 = {0}, v2 = {2}, v1 = {KP_POOL_CREATE_PARAMS_VERSION};
  assert_int_equal(kp_secure_pool_create(sys, 1, SEC_TAG, &v0, &h, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_pool_create(sys, 1, SEC_TAG, &v2, &h, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_pool_create(sys, 1, 0, NULL, &h, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER_2);
#if UINTPTR_MAX > 0xFFFFFFFFu
  assert_int_equal(kp_secure_pool_create(sys, 1, (uintptr_t)0x100000000ull,
                                         NULL, &h, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER_2);
#endif
  assert_int_equal(kp_secure_pool_create(sys, 1, SEC_TAG, NULL, NULL, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER_4);
  assert_int_equal(kp_secure_pool_create(NULL, 1, SEC_TAG, NULL, &h, KP_HERE),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_pool_create(sys, 1, SEC_TAG, &v1, &h, KP_HERE),
                   KP_STATUS_SUCCESS);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_create_passive_level_only(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = NULL;
  kp_irql_t levels[] = {KP_APC_LEVEL, KP_DISPATCH_LEVEL};
  for (int i = 0; i < 2; i++) {
    (void)kp_irql_set(levels[i]);
    // KP_HERE has no return address: P1 (and P4) are 0.
    KPT_EXPECT_BUGCHECK(0x0A, 0,
                        (void)kp_secure_pool_create(sys, 1, SEC_TAG, NULL, &h,
                                                    KP_HERE));
    (void)kp_irql_set(KP_PASSIVE_LEVEL);
    assert_int_equal(kpt_last.p[1], levels[i]);
    assert_int_equal(kpt_last.p[2], 8);
    assert_null(h);
  }
  // A handler that returns: the call fails and nothing is created.
  (void)kp_irql_set(KP_APC_LEVEL);
  kp_status_t st = kp_secure_pool_create(sys, 1, SEC_TAG, NULL, &h, KP_HERE);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  assert_false(KP_SUCCESS(st));
  assert_null(h);
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 0);
}

static void test_create_limit(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h[KP_SECURE_MAX_POOLS];
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++) h[i] = make_pool(sys);
  kp_secure_pool_t extra = NULL;
  assert_int_equal(kp_secure_pool_create(sys, 1, SEC_TAG, NULL, &extra, KP_HERE),
                   KP_STATUS_INSUFFICIENT_RESOURCES);
  assert_null(extra);
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++)
    for (uint32_t j = i + 1; j < KP_SECURE_MAX_POOLS; j++)
      assert_ptr_not_equal(h[i], h[j]);
  for (uint32_t i = 0; i < KP_SECURE_MAX_POOLS; i++)
    kp_secure_pool_destroy(sys, h[i], KP_HERE);
  extra = make_pool(sys);
  kp_secure_pool_destroy(sys, extra, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Handles are checked on every use.
 * ------------------------------------------------------------------------- */

static void test_stale_forged_and_foreign_handles(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t old = make_pool(sys);
  kp_secure_pool_destroy(sys, old, KP_HERE);
  kp_secure_pool_t h = make_pool(sys);
  // The slot is reused, the handle is not.
  assert_ptr_not_equal(h, old);
  uint8_t buf[32] = {1, 2, 3};
  assert_null(sec_alloc(sys, old, 32, buf, BOTH));
  void *p = sec_alloc(sys, h, 32, buf, BOTH);
  assert_non_null(p);
  assert_false(kp_secure_validate(sys, old, CFG_TAG, p, COOKIE));
  assert_int_equal(kp_secure_update(sys, old, CFG_TAG, p, COOKIE, 0, 1, buf),
                   KP_STATUS_INVALID_HANDLE);

  // Forged: a pointer, a small number, a handle with a bit flipped.
  int local = 0;
  kp_secure_pool_t forged[] = {
      (kp_secure_pool_t)(void *)&local, (kp_secure_pool_t)(uintptr_t)4,
      (kp_secure_pool_t)((uintptr_t)h ^ 0x100), (kp_secure_pool_t)((uintptr_t)h + 4),
      (kp_secure_pool_t)((uintptr_t)h | 1), NULL};
  for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
    assert_false(kp_secure_validate(sys, forged[i], CFG_TAG, p, COOKIE));
    assert_null(sec_alloc(sys, forged[i], 16, NULL, BOTH));
    kp_secure_pool_info_t info;
    assert_false(kp_secure_pool_query(sys, forged[i], &info));
  }

  // Another system's handle means nothing here, and the reverse.
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *other = kpt_system(&cfg);
  kp_secure_pool_t oh = make_pool(other);
  assert_false(kp_secure_validate(sys, oh, CFG_TAG, p, COOKIE));
  assert_false(kp_secure_validate(other, h, CFG_TAG, p, COOKIE));
  assert_null(sec_alloc(sys, oh, 16, NULL, BOTH));
  kp_secure_pool_destroy(other, oh, KP_HERE);
  kp_system_destroy(other);

  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_true(tot.bad_handles >= 6);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------- */

static void test_alloc_contents(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t init[300];
  for (size_t i = 0; i < sizeof init; i++) init[i] = (uint8_t)(i * 7 + 1);
  uint8_t *a = sec_alloc(sys, h, sizeof init, init, BOTH);
  assert_non_null(a);
  assert_memory_equal(a, init, sizeof init);
  assert_int_equal((uintptr_t)a % 16, 0);
  uint8_t *z = sec_alloc(sys, h, 100, NULL, BOTH);
  assert_true(all_bytes(z, 100, 0));
  uint8_t *u = sec_alloc_flags(sys, KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_UNINITIALIZED,
                               h, 100, NULL, COOKIE, BOTH);
  assert_true(all_bytes(u, 100, 0xCD));
  // With a buffer, UNINITIALIZED changes nothing: the buffer is the content.
  uint8_t *ub = sec_alloc_flags(sys, KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_UNINITIALIZED,
                                h, 10, init, COOKIE, BOTH);
  assert_memory_equal(ub, init, 10);

  kp_block_info_t info;
  assert_true(kp_block_query(sys, a + 10, &info));
  assert_ptr_equal(info.address, a);
  assert_int_equal(info.size, sizeof init);
  assert_int_equal(info.tag, CFG_TAG);
  assert_int_equal(info.api, KP_API_ALLOCATE_POOL3);
  assert_int_equal(info.pool, KP_POOL_NONPAGED);
  bool charged = true;
  assert_int_equal(kp_block_size(sys, a, &charged), 304);
  assert_false(charged);

  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.allocations, 4);
  assert_int_equal(pi.bytes, 304 + 112 + 112 + 16);
  sec_free(sys, a, CFG_TAG, h, COOKIE);
  sec_free(sys, z, CFG_TAG, h, COOKIE);
  sec_free(sys, u, CFG_TAG, h, COOKIE);
  sec_free(sys, ub, 0, h, COOKIE); // tag 0: no tag check
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.allocations, 0);
  assert_int_equal(pi.bytes, 0);
  assert_int_equal(pi.frees, 4);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_alloc_alignment_and_capacity(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *small = sec_alloc(sys, h, 20, NULL, BOTH);
  uint8_t *aligned = sec_alloc_flags(sys, KP_POOL_FLAG_NON_PAGED | KP_POOL_FLAG_CACHE_ALIGNED,
                                     h, 20, NULL, COOKIE, BOTH);
  assert_int_equal((uintptr_t)aligned % 64, 0);
  uint8_t *page = sec_alloc(sys, h, 5000, NULL, BOTH);
  assert_int_equal((uintptr_t)page % 4096, 0);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, page, &info));
  assert_int_equal(info.block_bytes, 8192);
  // The rest of the arena: no block of the whole capacity fits any more,
  assert_null(sec_alloc(sys, h, KP_SECURE_POOL_CAPACITY, NULL, BOTH));
  // nor anything bigger than the capacity.
  assert_null(sec_alloc(sys, h, KP_SECURE_POOL_CAPACITY + 1, NULL, BOTH));
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.failed_allocations, 1);
  sec_free(sys, small, CFG_TAG, h, COOKIE);
  sec_free(sys, aligned, CFG_TAG, h, COOKIE);
  sec_free(sys, page, CFG_TAG, h, COOKIE);
  // Empty again: the whole capacity fits exactly once.
  uint8_t *all = sec_alloc(sys, h, KP_SECURE_POOL_CAPACITY, NULL, BOTH);
  assert_non_null(all);
  assert_null(sec_alloc(sys, h, 16, NULL, BOTH));
  sec_free(sys, all, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_alloc_bad_parameters(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  // Secure flags beyond FREEABLE | MODIFIABLE.
  assert_null(sec_alloc(sys, h, 16, NULL, 4));
  assert_null(sec_alloc(sys, h, 16, NULL, 0x80000000u));
  // A NULL SecurePoolParams, required or optional.
  kp_pool_param_t p = secure_param(NULL);
  assert_null(kp_alloc3(sys, KPT_NP, 16, CFG_TAG, &p, 1, KP_HERE));
  p.optional = true;
  assert_null(kp_alloc3(sys, KPT_NP, 16, CFG_TAG, &p, 1, KP_HERE));
  // Required secure parameter with other pool flags fails.
  assert_null(sec_alloc_flags(sys, KPT_PG, h, 16, NULL, COOKIE, BOTH));
  assert_null(sec_alloc_flags(sys, KP_POOL_FLAG_NON_PAGED_EXECUTE, h, 16, NULL,
                              COOKIE, BOTH));
  // Tag 0 and bad flags still fail first.
  kp_secure_params_t sp = {h, NULL, COOKIE, BOTH};
  kp_pool_param_t ok = secure_param(&sp);
  assert_null(kp_alloc3(sys, KPT_NP, 16, 0, &ok, 1, KP_HERE));
  assert_null(kp_alloc3(sys, KPT_NP | KPT_PG, 16, CFG_TAG, &ok, 1, KP_HERE));
  // With RAISE_ON_FAILURE the failure is a raise.
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                         h, 16, NULL, COOKIE, 9));
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                         h, KP_SECURE_POOL_CAPACITY + 1, NULL,
                                         COOKIE, BOTH));
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.allocations, 0);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_optional_secure_with_paged_flags_is_ignored(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  kp_secure_params_t sp = {h, NULL, COOKIE, BOTH};
  kp_pool_param_t p = secure_param(&sp);
  p.optional = true;
  // Documented: an optional parameter incompatible with the flags is
  // ignored. The block is an ordinary paged one.
  uint8_t *q = kp_alloc3(sys, KPT_PG, 32, CFG_TAG, &p, 1, KP_HERE);
  assert_non_null(q);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, q, &info));
  assert_int_equal(info.pool, KP_POOL_PAGED);
  assert_false(kp_secure_validate(sys, h, CFG_TAG, q, COOKIE));
  q[0] = 1; // writable: not secure
  kp_free(sys, q, CFG_TAG, KP_HERE);
  // Optional and compatible: honoured.
  uint8_t *s = kp_alloc3(sys, KPT_NP, 32, CFG_TAG, &p, 1, KP_HERE);
  assert_true(kp_secure_validate(sys, h, CFG_TAG, s, COOKIE));
  sec_free(sys, s, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_alloc_quota_and_irql(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  kp_quota_t q;
  void *p = sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, h, 100, NULL,
                            COOKIE, BOTH);
  assert_non_null(p);
  assert_int_equal(kp_quota_query(sys, &q), KP_STATUS_SUCCESS);
  assert_int_equal(q.used, 112);
  bool charged = false;
  kp_block_size(sys, p, &charged);
  assert_true(charged);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 0);
  // Non-paged rule: fine at DISPATCH_LEVEL, a bug check above it.
  (void)kp_irql_set(KP_DISPATCH_LEVEL);
  p = sec_alloc(sys, h, 16, NULL, BOTH);
  assert_non_null(p);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  (void)kp_irql_set(KP_CLOCK_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x02, (void)sec_alloc(sys, h, 16, NULL, BOTH));
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.allocations, 0);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static int setup_small_quota(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.quota_limit = 256;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_alloc_quota_exceeded(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  void *a = sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, h, 200, NULL,
                            COOKIE, BOTH);
  assert_non_null(a);
  assert_null(sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, h, 100,
                              NULL, COOKIE, BOTH));
  KP_ASSERT_RAISES(KP_STATUS_QUOTA_EXCEEDED,
                   (void)sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA |
                                                  KP_POOL_FLAG_RAISE_ON_FAILURE,
                                         h, 100, NULL, COOKIE, BOTH));
  kp_quota_t q;
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 208);
  // Without quota the block fits.
  void *b = sec_alloc(sys, h, 100, NULL, BOTH);
  assert_non_null(b);
  sec_free(sys, a, CFG_TAG, h, COOKIE);
  sec_free(sys, b, CFG_TAG, h, COOKIE);
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 0);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * The pages are read-only for real: a write is bug check 0xBE.
 * ------------------------------------------------------------------------- */

/* A driver's write: through a volatile pointer, so it is a real store.
 * The write tests use KP_CAPTURE_BUGCHECK (kpool/cmocka.h), which ends the
 * statement with calls into kpool: the compiler cannot move the store past
 * them. (A catch whose end is only a store to a static variable, like
 * KPT_CATCH, lets gcc -O2 hoist that store above the faulting one.) */
static void poke(uint8_t *p, size_t offset, uint8_t value) {
  ((volatile uint8_t *)p)[offset] = value;
}

static void test_write_is_bugcheck_0xbe(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t init[64];
  memset(init, 'A', sizeof init);
  uint8_t *p = sec_alloc(sys, h, sizeof init, init, KP_SECURE_FLAGS_FREEABLE);
  assert_non_null(p);
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, poke(p, 5, 'X'));
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0xBE);
  assert_int_equal(rec.params[0], (uint64_t)(uintptr_t)(p + 5));
  assert_int_equal(rec.params[1], 0);
  assert_int_equal(rec.params[2], (uint64_t)(uintptr_t)h);
  assert_int_equal(rec.params[3], (uint64_t)(uintptr_t)p);
  assert_string_equal(rec.name, "ATTEMPTED_WRITE_TO_READONLY_MEMORY");
  // The allocation is described: tag, pool handle, allocation site.
  assert_non_null(strstr(rec.explanation, "'Cfg1'"));
  assert_non_null(strstr(rec.explanation, "'SecP'"));
  char hs[32];
  snprintf(hs, sizeof hs, "%p", (void *)h);
  assert_non_null(strstr(rec.explanation, hs));
  assert_non_null(strstr(rec.explanation, "block:"));
  assert_non_null(strstr(rec.explanation, "test_secure_pool.c"));
  assert_non_null(strstr(rec.explanation, "(this one was not)"));
  // The write did not happen.
  assert_true(all_bytes(p, sizeof init, 'A'));
  // A second and third fault are caught too: the longjmp out of the signal
  // handler left SIGSEGV deliverable (SA_NODEFER).
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xBE, (uint64_t)(uintptr_t)p, 0,
                            (uint64_t)(uintptr_t)h, (uint64_t)(uintptr_t)p,
                            memset(p, 0, 8));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xBE, (uint64_t)(uintptr_t)(p + 63), 0,
                            (uint64_t)(uintptr_t)h, (uint64_t)(uintptr_t)p,
                            poke(p, 63, (uint8_t)(p[63] + 1)));
  assert_true(all_bytes(p, sizeof init, 'A'));
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.write_faults, 3);
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.write_faults, 3);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_write_outside_allocations(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 5000, NULL, BOTH);
  // Past the block, inside the arena: still secure memory, no allocation.
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, poke(p, 3 * 4096, 1));
  assert_int_equal(rec.code, 0xBE);
  assert_int_equal(rec.params[0], (uint64_t)(uintptr_t)(p + 3 * 4096));
  assert_int_equal(rec.params[3], 0);
  assert_non_null(strstr(rec.explanation, "in no live allocation"));
  // Freed memory is still protected.
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xBE, (uint64_t)(uintptr_t)p, 0,
                            (uint64_t)(uintptr_t)h, 0, poke(p, 0, 1));
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_write_with_returning_handler(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 32, "0123456789abcdef0123456789abcde", BOTH);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_fn old_fn = NULL;
  void *old_arg = NULL;
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, &old_fn, &old_arg);
  // The handler returns: kpool lets the write through so the program goes
  // on; the bug check was still raised.
  poke(p, 0, 'Z');
  poke(p, 1, 'Y'); // same page, protection still lifted: no second bug check
  kp_bugcheck_set_handler(sys, old_fn, old_arg, NULL, NULL);
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0xBE);
  assert_int_equal(p[0], 'Z');
  // The next kpool write to the pool restores the protection.
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 2, 1, "W"),
                   KP_STATUS_SUCCESS);
  assert_int_equal(p[2], 'W');
  KP_ASSERT_BUGCHECK(sys, 0xBE, (uint64_t)(uintptr_t)(p + 3), poke(p, 3, 'V'));
  assert_int_equal(p[3], '3');
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_write_goes_to_the_owning_system(void **state) {
  kp_system_t *sys = *state;
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *other = kp_system_create(&cfg);
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(other, kp_bugcheck_record_handler, &rec, NULL, NULL);
  kp_secure_pool_t oh = make_pool(other);
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *op = sec_alloc(other, oh, 16, NULL, BOTH);
  jmp_buf env;
  rec.jump = &env;
  if (setjmp(env) == 0) {
    poke(op, 0, 1);
    fail_msg("the write to the other system's secure pool was not caught");
  }
  rec.jump = NULL;
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0xBE);
  assert_ptr_equal(rec.system, other);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  sec_free(other, op, CFG_TAG, oh, COOKIE);
  kp_secure_pool_destroy(other, oh, KP_HERE);
  kp_system_destroy(other);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * ExSecurePoolValidate
 * ------------------------------------------------------------------------- */

static void test_validate(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  kp_secure_pool_t h2 = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 64, NULL, BOTH);
  uint8_t *q = sec_alloc_flags(sys, KPT_NP, h2, 64, NULL, 7, BOTH);
  assert_true(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE));
  // PROTECTED_POOL (0x80000000) is masked as everywhere else.
  assert_true(kp_secure_validate(sys, h, CFG_TAG | 0x80000000u, p, COOKIE));
  assert_true(kp_secure_validate(sys, h2, CFG_TAG, q, 7));
  assert_false(kp_secure_validate(sys, h, KPT_TAG2, p, COOKIE));   // tag
  assert_false(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE + 1)); // cookie
  assert_false(kp_secure_validate(sys, h, CFG_TAG, p + 16, COOKIE)); // interior
  assert_false(kp_secure_validate(sys, h, CFG_TAG, NULL, COOKIE));
  assert_false(kp_secure_validate(sys, h2, CFG_TAG, p, COOKIE)); // other pool
  assert_false(kp_secure_validate(sys, h, CFG_TAG, q, 7));
  void *plain = kp_alloc2(sys, KPT_NP, 64, CFG_TAG, KP_HERE);
  assert_false(kp_secure_validate(sys, h, CFG_TAG, plain, COOKIE));
  kp_free(sys, plain, CFG_TAG, KP_HERE);
  assert_false(kp_secure_validate(NULL, h, CFG_TAG, p, COOKIE));
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.failed_validations, 6);
  assert_true(kp_secure_pool_query(sys, h2, &pi));
  assert_int_equal(pi.failed_validations, 1);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  assert_false(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE)); // freed
  sec_free(sys, q, CFG_TAG, h2, 7);
  kp_secure_pool_destroy(sys, h2, KP_HERE);
  assert_false(kp_secure_validate(sys, h2, CFG_TAG, q, 7)); // pool gone
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.failed_validations, 8); // 7 in h, 1 without a pool
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * ExSecurePoolUpdate
 * ------------------------------------------------------------------------- */

static void test_update(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t init[100];
  memset(init, '.', sizeof init);
  uint8_t *p = sec_alloc(sys, h, sizeof init, init, BOTH);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 10, 5, "hello"),
                   KP_STATUS_SUCCESS);
  assert_memory_equal(p + 10, "hello", 5);
  assert_int_equal(p[9], '.');
  assert_int_equal(p[15], '.');
  // Up to the last byte requested.
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 99, 1, "!"),
                   KP_STATUS_SUCCESS);
  assert_int_equal(p[99], '!');
  // Size 0 within bounds: success, nothing changes (also at the very end).
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 100, 0, NULL),
                   KP_STATUS_SUCCESS);
  // From secure memory itself (overlapping).
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 11, 5, p + 10),
                   KP_STATUS_SUCCESS);
  assert_memory_equal(p + 10, "hhello", 6);
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.updates, 3);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_update_statuses(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 100, NULL, BOTH);
  uint8_t *ro = sec_alloc(sys, h, 100, NULL, KP_SECURE_FLAGS_FREEABLE);
  const char *x = "x";
  assert_int_equal(kp_secure_update(sys, (kp_secure_pool_t)(uintptr_t)8, CFG_TAG,
                                    p, COOKIE, 0, 1, x),
                   KP_STATUS_INVALID_HANDLE);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p + 1, COOKIE, 0, 1, x),
                   KP_STATUS_INVALID_PARAMETER_3);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, NULL, COOKIE, 0, 1, x),
                   KP_STATUS_INVALID_PARAMETER_3);
  assert_int_equal(kp_secure_update(sys, h, KPT_TAG2, p, COOKIE, 0, 1, x),
                   KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE ^ 1, 0, 1, x),
                   KP_STATUS_INVALID_PARAMETER_4);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, ro, COOKIE, 0, 1, x),
                   KP_STATUS_ACCESS_DENIED);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 101, 0, x),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 100, 1, x),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 50, 51, x),
                   KP_STATUS_INVALID_PARAMETER);
  // Overflow of Offset + Size must not wrap into bounds.
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 1, SIZE_MAX, x),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, SIZE_MAX, 2, x),
                   KP_STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 0, 1, NULL),
                   KP_STATUS_INVALID_PARAMETER_7);
  assert_int_equal(kp_secure_update(NULL, h, CFG_TAG, p, COOKIE, 0, 1, x),
                   KP_STATUS_INVALID_PARAMETER);
  assert_true(all_bytes(p, 100, 0));
  assert_true(all_bytes(ro, 100, 0));
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.updates, 0);
  assert_int_equal(pi.failed_validations, 4); // address x2, tag, cookie
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  assert_int_equal(kp_secure_update(sys, h, CFG_TAG, p, COOKIE, 0, 1, x),
                   KP_STATUS_INVALID_PARAMETER_3); // freed
  sec_free(sys, ro, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * Freeing: only FREEABLE, only ExFreePool2, matching handle and cookie.
 * ------------------------------------------------------------------------- */

static void test_free_rules(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  kp_secure_pool_t h2 = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 48, NULL, BOTH);
  uint8_t *keep = sec_alloc(sys, h, 48, NULL, KP_SECURE_FLAGS_MODIFIABLE);
  uint64_t a = (uint64_t)(uintptr_t)p;

  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_NOT_FREEABLE,
                      sec_free(sys, keep, CFG_TAG, h, COOKIE));
  assert_int_equal(kpt_last.p[3], KP_SECURE_FLAGS_MODIFIABLE);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_BAD_COOKIE,
                      sec_free(sys, p, CFG_TAG, h, 42));
  assert_int_equal(kpt_last.p[1], a);
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)h);
  assert_int_equal(kpt_last.p[3], 42);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_NOT_IN_POOL,
                      sec_free(sys, p, CFG_TAG, h2, COOKIE));
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_BAD_HANDLE,
                      sec_free(sys, p, CFG_TAG, (kp_secure_pool_t)(uintptr_t)12, COOKIE));
  assert_int_equal(kpt_last.p[2], 12);
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, sec_free(sys, p, KPT_TAG2, h, COOKIE));
  assert_int_equal(kpt_last.p[2], CFG_TAG);
  assert_int_equal(kpt_last.p[3], KPT_TAG2);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_NOT_IN_POOL,
                      sec_free(sys, p + 16, CFG_TAG, h, COOKIE));
  // Without the secure parameter: ExFreePool, ExFreePoolWithTag, ExFreePool2.
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS,
                      kp_free(sys, p, 0, KP_HERE));
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)h);
  assert_non_null(strstr(kpt_last.explanation, "ExFreePool "));
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS,
                      kp_free(sys, p, CFG_TAG, KP_HERE));
  assert_int_equal(kpt_last.p[3], CFG_TAG);
  assert_non_null(strstr(kpt_last.explanation, "ExFreePoolWithTag"));
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS,
                      kp_free2(sys, p, CFG_TAG, NULL, 0, KP_HERE));
  assert_non_null(strstr(kpt_last.explanation, "ExFreePool2"));
  // An ordinary block freed with secure parameters.
  void *plain = kp_alloc2(sys, KPT_NP, 48, CFG_TAG, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_NOT_IN_POOL,
                      sec_free(sys, plain, CFG_TAG, h, COOKIE));
  kp_free(sys, plain, CFG_TAG, KP_HERE);

  // Nothing was freed by all that.
  assert_true(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE));
  assert_true(kp_secure_validate(sys, h, CFG_TAG, keep, COOKIE));
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  assert_false(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE));
  // A block that is not FREEABLE goes with its pool.
  kp_secure_pool_destroy(sys, h2, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_DESTROY_LIVE,
                      kp_secure_pool_destroy(sys, h, KP_HERE));
}

static void test_free_bad_parameter_arrays(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 48, NULL, BOTH);
  kp_secure_params_t good = {h, NULL, COOKIE, 0};
  kp_pool_param_t two[2] = {secure_param(&good), secure_param(&good)};
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, NULL, 1, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_NULL_ARRAY);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, two, 2, KP_HERE));
  assert_int_equal(kpt_last.p[2], 2);
  assert_int_equal(kpt_last.p[3], KP_FREE2_BAD_COUNT);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, two, 0xFFFFFFFFu, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_BAD_COUNT);
  kp_pool_param_t e = secure_param(&good);
  e.reserved = 1;
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, &e, 1, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_RESERVED_BITS);
  const uint32_t types[] = {KP_PARAM_INVALID, KP_PARAM_PRIORITY,
                            KP_PARAM_NUMA_NODE, KP_PARAM_MAX, 255};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    e = secure_param(&good);
    e.type = types[i];
    e.optional = true; // Optional does not make a free parameter acceptable.
    KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                        kp_free2(sys, p, CFG_TAG, &e, 1, KP_HERE));
    assert_int_equal(kpt_last.p[3], KP_FREE2_BAD_TYPE);
  }
  e = secure_param(NULL);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, &e, 1, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_NULL_SECURE);
  kp_secure_params_t with_buffer = {h, "x", COOKIE, 0};
  e = secure_param(&with_buffer);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, &e, 1, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_BUFFER_NOT_NULL);
  kp_secure_params_t with_flags = {h, NULL, COOKIE, KP_SECURE_FLAGS_FREEABLE};
  e = secure_param(&with_flags);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, CFG_TAG, &e, 1, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_FLAGS_NOT_ZERO);
  assert_true(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE));
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_double_free(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 48, NULL, BOTH);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, sec_free(sys, p, CFG_TAG, h, COOKIE));
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)p);
  assert_true(kpt_last.has_free_site);
  assert_non_null(kpt_last.free_site.file);
  assert_non_null(strstr(kpt_last.explanation, "freed:"));
  // After the address is used again, freeing the new block is fine.
  uint8_t *q = sec_alloc(sys, h, 48, NULL, BOTH);
  assert_ptr_equal(q, p);
  sec_free(sys, q, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_double_free_retail(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 48, NULL, BOTH);
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  KPT_EXPECT_BUGCHECK(0xC2, 0x07, sec_free(sys, p, CFG_TAG, h, COOKIE));
  assert_int_equal(kpt_last.p[3], (uint64_t)(uintptr_t)p);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* kpool remembers the last 64 frees of a pool (secure.h): a free older
 * than that is no longer a double free but an address of no live block. */
static void test_double_free_memory_is_bounded(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *b[65];
  // All alive at once, so that each has its own address.
  for (int i = 0; i < 65; i++) {
    b[i] = sec_alloc(sys, h, 48, NULL, BOTH);
    assert_non_null(b[i]);
  }
  for (int i = 0; i < 65; i++) sec_free(sys, b[i], CFG_TAG, h, COOKIE);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_NOT_IN_POOL,
                      sec_free(sys, b[0], CFG_TAG, h, COOKIE));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)b[0]);
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, sec_free(sys, b[1], CFG_TAG, h, COOKIE));
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)b[1]);
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, sec_free(sys, b[64], CFG_TAG, h, COOKIE));
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static void test_free_irql_and_returning_handler(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  uint8_t *p = sec_alloc(sys, h, 48, NULL, BOTH);
  (void)kp_irql_set(KP_DISPATCH_LEVEL + 1);
  KPT_EXPECT_BUGCHECK(0xC4, 0x12, sec_free(sys, p, CFG_TAG, h, COOKIE));
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  // The kpt handler returns when no catch is active: the free is abandoned.
  sec_free(sys, p, CFG_TAG, h, 1);
  assert_int_equal(kpt_last.code, 0xC2);
  assert_true(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE));
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  assert_false(kp_secure_validate(sys, h, CFG_TAG, p, COOKIE));
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * ExDestroyPool
 * ------------------------------------------------------------------------- */

static void test_destroy_with_live_allocations(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  void *a = sec_alloc_flags(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, h, 40, NULL,
                            COOKIE, BOTH);
  void *b = sec_alloc(sys, h, 5000, NULL, 0);
  assert_non_null(a);
  assert_non_null(b);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_DESTROY_LIVE,
                      kp_secure_pool_destroy(sys, h, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)h);
  assert_int_equal(kpt_last.p[2], 2);
  assert_int_equal(kpt_last.p[3], 48 + 8192);
  // The report listed them, with their tag and site.
  assert_non_null(strstr(kpt_output, "still held 2 allocations"));
  assert_non_null(strstr(kpt_output, "'Cfg1'"));
  assert_non_null(strstr(kpt_output, "test_secure_pool.c"));
  // The pool is gone, the quota back, the blocks no longer known.
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 0);
  assert_int_equal(tot.allocations, 0);
  kp_quota_t q;
  kp_quota_query(sys, &q);
  assert_int_equal(q.used, 0);
  assert_false(kp_block_query(sys, a, NULL));
  assert_false(kp_secure_validate(sys, h, CFG_TAG, a, COOKIE));
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_BAD_HANDLE,
                      kp_secure_pool_destroy(sys, h, KP_HERE));
  assert_int_equal(kpt_last.p[1], 0);
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)h);
}

static void test_destroy_bad_handles(void **state) {
  kp_system_t *sys = *state;
  // Before any secure pool exists, and with forged values.
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_BAD_HANDLE,
                      kp_secure_pool_destroy(sys, NULL, KP_HERE));
  kp_secure_pool_t h = make_pool(sys);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_BAD_HANDLE,
                      kp_secure_pool_destroy(sys, (kp_secure_pool_t)(uintptr_t)0x40, KP_HERE));
  KP_ASSERT_NO_BUGCHECK(sys, kp_secure_pool_destroy(sys, h, KP_HERE));
}

/* ---------------------------------------------------------------------------
 * Unload and reports
 * ------------------------------------------------------------------------- */

static void test_unload_reports_undestroyed_pools(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  (void)h;
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, KP_C4_SECURE_POOL_NOT_DESTROYED,
                      (void)kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[1], 1);
  assert_int_equal(kpt_last.p[2], 0);
  assert_non_null(strstr(kpt_output, "never destroyed"));
  assert_non_null(strstr(kpt_output, "SecP"));
}

static void test_unload_with_live_secure_blocks(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  void *p = sec_alloc(sys, h, 100, NULL, BOTH);
  assert_non_null(p);
  // The handler returns: first this module's check (the pool never
  // destroyed is the root cause), then the core's leak check (the secure
  // block is a leak).
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  (void)kp_driver_unload(sys);
  kp_bugcheck_set_handler(sys, kpt_handler, NULL, NULL, NULL);
  assert_int_equal(rec.count, 2);
  assert_int_equal(rec.code, 0xC4);
  assert_int_equal(rec.params[0], 0x62);
  assert_int_equal(rec.params[3], 1);
  assert_non_null(strstr(kpt_output, "Cfg1"));
  const char *pool_line = strstr(kpt_output, "never destroyed");
  const char *leak_line = strstr(kpt_output, "still holds 1 allocation");
  assert_non_null(pool_line);
  assert_non_null(leak_line);
  assert_true(pool_line < leak_line);
}

/* Low resources simulation reaches secure allocations too (they do not go
 * through the regular pools' allocation path). */
static int setup_fail_second(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.fail_nth = 2;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_fault_injection_reaches_secure_allocations(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = NULL;
  assert_int_equal(kp_secure_pool_create(sys, 1, SEC_TAG, NULL, &h, KP_HERE),
                   KP_STATUS_SUCCESS);
  uint8_t buf[32] = {1, 2, 3};
  void *a = sec_alloc(sys, h, 32, buf, BOTH); // allocation 1: served
  assert_non_null(a);
  assert_null(sec_alloc(sys, h, 32, buf, BOTH)); // allocation 2: injected
  void *c = sec_alloc(sys, h, 32, buf, BOTH);  // allocation 3: served
  assert_non_null(c);
  sec_free(sys, a, CFG_TAG, h, COOKIE);
  sec_free(sys, c, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

static int setup_no_tracking(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_unload_without_pool_tracking(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  (void)h;
  KP_ASSERT_NO_BUGCHECK(sys, (void)kp_driver_unload(sys));
}

typedef struct visit_count {
  int blocks;
  int secure_tagged;
} visit_count_t;

static bool count_blocks(const kp_block_info_t *info, void *arg) {
  visit_count_t *vc = arg;
  vc->blocks++;
  if (info->tag == CFG_TAG) vc->secure_tagged++;
  return true;
}

static void test_reports(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  void *p = sec_alloc(sys, h, 100, NULL, BOTH);
  void *q = sec_alloc(sys, h, 10, NULL, BOTH);
  assert_false(kp_secure_validate(sys, h, CFG_TAG, p, 1));
  visit_count_t vc = {0, 0};
  kp_visit_blocks(sys, count_blocks, &vc);
  assert_int_equal(vc.blocks, 2);
  assert_int_equal(vc.secure_tagged, 2);
  kpt_output_reset();
  kp_secure_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Secure pools: 1 live (1 created), 2 "
                                     "allocations, 128 bytes, 1 failed "
                                     "validations"));
  assert_non_null(strstr(kpt_output, "SecP"));
  kpt_output_reset();
  uint64_t n = kp_report_leaks(sys, NULL, NULL);
  assert_int_equal(n, 2);
  assert_non_null(strstr(kpt_output, "Cfg1"));
  sec_free(sys, p, CFG_TAG, h, COOKIE);
  sec_free(sys, q, CFG_TAG, h, COOKIE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 0);
  assert_int_equal(tot.pools_created, 1);
}

/* ---------------------------------------------------------------------------
 * Threads: one pool, several threads allocating, validating, updating and
 * freeing their own blocks.
 * ------------------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 200

typedef struct thread_arg {
  kp_system_t *sys;
  kp_secure_pool_t h;
  uint32_t index;
  int failures;
} thread_arg_t;

static void *thread_main(void *v) {
  thread_arg_t *t = v;
  for (uint32_t r = 0; r < ROUNDS; r++) {
    uintptr_t cookie = ((uintptr_t)t->index << 20) | r;
    uint8_t buf[40];
    memset(buf, (int)(t->index + 1), sizeof buf);
    uint8_t *p = sec_alloc_flags(t->sys, KPT_NP, t->h, sizeof buf, buf, cookie, BOTH);
    if (p == NULL || p[39] != t->index + 1) {
      t->failures++;
      continue;
    }
    if (!kp_secure_validate(t->sys, t->h, CFG_TAG, p, cookie)) t->failures++;
    if (kp_secure_validate(t->sys, t->h, CFG_TAG, p, cookie + 1)) t->failures++;
    uint8_t v2 = (uint8_t)r;
    if (kp_secure_update(t->sys, t->h, CFG_TAG, p, cookie, 5, 1, &v2) !=
            KP_STATUS_SUCCESS ||
        p[5] != v2)
      t->failures++;
    kp_secure_params_t sp = {t->h, NULL, cookie, 0};
    kp_pool_param_t prm = secure_param(&sp);
    kp_free2(t->sys, p, CFG_TAG, &prm, 1, kp_site(NULL, 0, NULL));
  }
  return NULL;
}

static void test_threads(void **state) {
  kp_system_t *sys = *state;
  kp_secure_pool_t h = make_pool(sys);
  pthread_t th[THREADS];
  thread_arg_t args[THREADS];
  for (uint32_t i = 0; i < THREADS; i++) {
    args[i].sys = sys;
    args[i].h = h;
    args[i].index = i;
    args[i].failures = 0;
    assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
  }
  for (uint32_t i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (uint32_t i = 0; i < THREADS; i++) assert_int_equal(args[i].failures, 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, h, &pi));
  assert_int_equal(pi.allocations, 0);
  assert_int_equal(pi.total_allocations, THREADS * ROUNDS);
  assert_int_equal(pi.failed_validations, THREADS * ROUNDS);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_and_query, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fault_injection_reaches_secure_allocations, setup_fail_second, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_create_bad_flags, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_create_bad_params_tag_handle, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_create_passive_level_only, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_create_limit, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_stale_forged_and_foreign_handles, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_alloc_contents, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_alloc_alignment_and_capacity, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_alloc_bad_parameters, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_optional_secure_with_paged_flags_is_ignored, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_alloc_quota_and_irql, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_alloc_quota_exceeded, setup_small_quota, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_write_is_bugcheck_0xbe, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_write_outside_allocations, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_write_with_returning_handler, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_write_goes_to_the_owning_system, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_validate, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_update, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_update_statuses, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_rules, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_bad_parameter_arrays, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_double_free, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_double_free_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_double_free_memory_is_bounded, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_irql_and_returning_handler, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_destroy_with_live_allocations, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_destroy_bad_handles, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_reports_undestroyed_pools, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_live_secure_blocks, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unload_without_pool_tracking, setup_no_tracking, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_reports, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_threads, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
