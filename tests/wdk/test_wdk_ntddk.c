/*
 * test_wdk_ntddk.c — driver-style code written only against <ntddk.h> /
 * <ntifs.h> names, run on kpool: ExAllocatePool2 and the legacy
 * allocators, tags, frees and their bug checks, ExQueryPoolBlockSize, the
 * list and Rtl helpers, IRQL and locks, DbgPrint, assertions, raising, and
 * the call-site recording of the WDK face.
 *
 * The only kpool (kp_) names used are the ones a test cannot avoid: making
 * a fresh current system per test with captured output (setup/teardown),
 * the CMocka bug check assertions of <kpool/cmocka.h>, kp_block_query to
 * read what the simulator recorded about a block, and KP_TRY / KP_EXCEPT,
 * which is how C code written for kpool spells __try / __except.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <ntifs.h>

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

/* ---------------------------------------------------------------------------
 * Fixture: a fresh current system per test, its output captured.
 * ------------------------------------------------------------------------- */

static char g_out[8192];
static size_t g_out_len;

static void capture_out(const char *text, void *arg) {
  (void)arg;
  size_t n = strlen(text);
  if (n > sizeof g_out - 1 - g_out_len) n = sizeof g_out - 1 - g_out_len;
  memcpy(g_out + g_out_len, text, n);
  g_out_len += n;
  g_out[g_out_len] = '\0';
}

static void out_reset(void) {
  g_out_len = 0;
  g_out[0] = '\0';
}

/* A bug check no assertion expects fails the test with its report (the
 * default handler would abort the whole executable). */
static void unexpected_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  print_error("unexpected bug check:\n%s\n%s\n%s\n", bc->stop_line, bc->name,
              bc->explanation != NULL ? bc->explanation : "");
  fail();
}

static int setup(void **state) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = capture_out;
  cfg.paged_pool_bytes = (size_t)16 << 20;
  cfg.nonpaged_pool_bytes = (size_t)16 << 20;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) return -1;
  kp_bugcheck_set_handler(sys, unexpected_bugcheck, NULL, NULL, NULL);
  // Every DbgPrint(Ex) level shown (Windows' default shows only errors;
  // tests/wdk/test_wdk_debug.c tests the filter itself).
  kp_debug_filter_set(sys, KP_DEBUG_WIN2000, 0xFFFFFFFFu);
  kp_system_t *old = kp_system_set_current(sys);
  if (old != NULL) kp_system_destroy(old);
  out_reset();
  *state = sys;
  return 0;
}

static kp_bugcheck_record_t g_teardown_rec;

static int teardown(void **state) {
  kp_system_t *sys = *state;
  jmp_buf env;
  // A test that failed half-way may have left the thread's IRQL raised.
  (void)kp_irql_set(PASSIVE_LEVEL);
  // A test that leaks pool fails here: destroy raises 0xC4/0x62.
  kp_bugcheck_record_init(&g_teardown_rec);
  g_teardown_rec.jump = &env;
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &g_teardown_rec,
                          NULL, NULL);
  if (setjmp(env) == 0) {
    kp_system_destroy(sys);
    return 0;
  }
  print_error("teardown: %s %s\n%s\n", g_teardown_rec.stop_line,
              g_teardown_rec.name, g_teardown_rec.explanation);
  kp_system_destroy(sys);
  return -1;
}

/* What the simulator recorded about the block at @p p. */
static kp_block_info_t block_of(void **state, const void *p) {
  kp_block_info_t info;
  memset(&info, 0, sizeof info);
  assert_true(kp_block_query((kp_system_t *)*state, p, &info));
  return info;
}

static BOOLEAN all_bytes(const void *p, SIZE_T n, UCHAR v) {
  const UCHAR *b = (const UCHAR *)p;
  for (SIZE_T i = 0; i < n; i++) {
    if (b[i] != v) return FALSE;
  }
  return TRUE;
}

/* Every byte equal and non-zero: the uninitialised-memory pattern. */
static BOOLEAN pattern_filled(const void *p, SIZE_T n) {
  const UCHAR *b = (const UCHAR *)p;
  return (BOOLEAN)(b[0] != 0 && all_bytes(p, n, b[0]));
}

#define TAG1 'gaT1'
#define TAG2 'gaT2'

/* P1 of bug check 0x1E for an unhandled exception with status @p st: kpool
 * passes the code sign-extended, as x64 Windows does. */
#define EXCEPTION_P1(st) ((ULONG64)(LONG64)(st))

/* "test_wdk_ntddk.c:<line>", as reports print a site. */
static void site_text(char *buf, size_t cap, ULONG line) {
  const char *base = strrchr(__FILE__, '/');
  snprintf(buf, cap, "%s:%lu", base != NULL ? base + 1 : __FILE__,
           (unsigned long)line);
}

/* ---------------------------------------------------------------------------
 * ExAllocatePool2
 * ------------------------------------------------------------------------- */

static void test_pool2_zeroes_memory(void **state) {
  (void)state;
  const SIZE_T sizes[] = {1, 16, 100, 4000, 4096, 5000};
  for (size_t i = 0; i < RTL_NUMBER_OF(sizes); i++) {
    PUCHAR np = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizes[i], TAG1);
    PUCHAR pg = (PUCHAR)ExAllocatePool2(POOL_FLAG_PAGED, sizes[i], TAG1);
    assert_non_null(np);
    assert_non_null(pg);
    assert_true(all_bytes(np, sizes[i], 0));
    assert_true(all_bytes(pg, sizes[i], 0));
    RtlFillMemory(np, sizes[i], 0x5A);
    ExFreePoolWithTag(np, TAG1);
    ExFreePoolWithTag(pg, TAG1);
  }
}

static void test_pool2_uninitialized_is_not_zero(void **state) {
  (void)state;
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 200,
                            TAG1);
  assert_non_null(p);
  assert_true(pattern_filled(p, 200));
  ExFreePoolWithTag(p, TAG1);
  p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, 9000, TAG1);
  assert_non_null(p);
  assert_true(pattern_filled(p, 9000));
  ExFreePoolWithTag(p, TAG1);
}

static void test_pool2_flag_and_tag_rules(void **state) {
  (void)state;
  // Tag 0, no pool type, two pool types: NULL.
  assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0));
  assert_null(ExAllocatePool2(0, 16, TAG1));
  assert_null(ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 16, TAG1));
  assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, TAG1));
  assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE,
                              16, TAG1));
  // Reserved and unknown required bits: NULL.
  const POOL_FLAGS reserved[] = {POOL_FLAG_SESSION, POOL_FLAG_RESERVED1,
                                 POOL_FLAG_RESERVED2, POOL_FLAG_RESERVED3,
                                 0x800ULL, POOL_FLAG_REQUIRED_END};
  for (size_t i = 0; i < RTL_NUMBER_OF(reserved); i++) {
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | reserved[i], 16, TAG1));
  }
  // Unknown optional bits are ignored; special pool falls back if need be.
  const POOL_FLAGS optional[] = {POOL_FLAG_SPECIAL_POOL, 1ULL << 40,
                                 POOL_FLAG_OPTIONAL_END};
  for (size_t i = 0; i < RTL_NUMBER_OF(optional); i++) {
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED | optional[i], 16, TAG1);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG1);
  }
  // Each pool type alone works, and so does quota.
  const POOL_FLAGS ok[] = {POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE,
                           POOL_FLAG_PAGED,
                           POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA};
  for (size_t i = 0; i < RTL_NUMBER_OF(ok); i++) {
    PVOID p = ExAllocatePool2(ok[i], 48, TAG1);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG1);
  }
}

static void test_pool2_alignment(void **state) {
  (void)state;
  for (SIZE_T n = 1; n < 200; n += 13) {
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, TAG1);
    PVOID c = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, n,
                              TAG1);
    assert_int_equal((ULONG_PTR)p % MEMORY_ALLOCATION_ALIGNMENT, 0);
    assert_int_equal((ULONG_PTR)c % SYSTEM_CACHE_ALIGNMENT_SIZE, 0);
    ExFreePoolWithTag(p, TAG1);
    ExFreePoolWithTag(c, TAG1);
  }
  PVOID big = ExAllocatePool2(POOL_FLAG_PAGED, PAGE_SIZE + 1, TAG1);
  assert_non_null(big);
  assert_ptr_equal(PAGE_ALIGN(big), big);
  assert_int_equal(BYTE_OFFSET(big), 0);
  ExFreePoolWithTag(big, TAG1);
}

static void test_pool2_raise_on_failure(void **state) {
  kp_system_t *sys = *state;
  volatile NTSTATUS caught = STATUS_SUCCESS;
  PVOID volatile p = NULL;
  KP_TRY {
    p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16,
                        0);
  }
  KP_EXCEPT(status) { caught = status; }
  KP_END_TRY;
  assert_null(p);
  assert_int_equal(caught, STATUS_INSUFFICIENT_RESOURCES);
  // Not handled: KMODE_EXCEPTION_NOT_HANDLED with the status in P1.
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_INSUFFICIENT_RESOURCES),
                     ExAllocatePool2(POOL_FLAG_PAGED |
                                         POOL_FLAG_RAISE_ON_FAILURE,
                                     (SIZE_T)1 << 40, TAG1));
  // Without the flag the same failures return NULL.
  assert_null(ExAllocatePool2(POOL_FLAG_PAGED, (SIZE_T)1 << 40, TAG1));
}

/* ---------------------------------------------------------------------------
 * Legacy allocators
 * ------------------------------------------------------------------------- */

static void test_legacy_allocators(void **state) {
  PVOID a = ExAllocatePool(NonPagedPoolNx, 64);
  PVOID b = ExAllocatePoolWithTag(PagedPool, 100, TAG1);
  PVOID c = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 100, TAG1,
                                          LowPoolPriority);
  PVOID d = ExAllocatePoolWithQuotaTag(PagedPool, 100, TAG1);
  PVOID e = ExAllocatePoolWithQuota(PagedPool, 32);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_non_null(d);
  assert_non_null(e);
  // The legacy allocators do not zero.
  assert_true(pattern_filled(a, 64));
  assert_true(pattern_filled(b, 100));
  assert_true(pattern_filled(c, 100));
  // Untagged allocations are recorded under "None" ('enoN').
  assert_int_equal(block_of(state, a).tag, 'enoN');
  assert_int_equal(block_of(state, e).tag, 'enoN');
  assert_int_equal(block_of(state, b).tag, TAG1);
  assert_int_equal(block_of(state, b).pool, KP_POOL_PAGED);
  assert_int_equal(block_of(state, a).pool, KP_POOL_NONPAGED);
  BOOLEAN quota = FALSE;
  assert_int_equal(ExQueryPoolBlockSize(d, &quota), 112);
  assert_true(quota);
  assert_int_equal(ExQueryPoolBlockSize(e, &quota), 32);
  assert_true(quota);
  assert_int_equal(ExQueryPoolBlockSize(b, &quota), 112);
  assert_false(quota);
  ExFreePool(a);
  ExFreePoolWithTag(b, TAG1);
  ExFreePoolWithTag(c, TAG1);
  ExFreePoolWithTag(d, TAG1);
  ExFreePool(e);
}

static void test_zero_and_uninitialized_helpers(void **state) {
  (void)state;
  PVOID z1 = ExAllocatePoolZero(NonPagedPoolNx, 300, TAG1);
  PVOID z2 = ExAllocatePoolQuotaZero(PagedPool, 300, TAG1);
  PVOID z3 = ExAllocatePoolPriorityZero(PagedPool, 300, TAG1,
                                        NormalPoolPriority);
  PVOID z4 = ExAllocatePoolWithTag(
      (POOL_TYPE)(NonPagedPoolNx | POOL_ZERO_ALLOCATION), 300, TAG1);
  PVOID u1 = ExAllocatePoolUninitialized(NonPagedPoolNx, 300, TAG1);
  PVOID u2 = ExAllocatePoolQuotaUninitialized(PagedPool, 300, TAG1);
  PVOID u3 = ExAllocatePoolPriorityUninitialized(PagedPool, 300, TAG1,
                                                 HighPoolPriority);
  PVOID all[] = {z1, z2, z3, z4, u1, u2, u3};
  for (size_t i = 0; i < RTL_NUMBER_OF(all); i++) assert_non_null(all[i]);
  assert_true(all_bytes(z1, 300, 0));
  assert_true(all_bytes(z2, 300, 0));
  assert_true(all_bytes(z3, 300, 0));
  assert_true(all_bytes(z4, 300, 0));
  assert_true(pattern_filled(u1, 300));
  assert_true(pattern_filled(u2, 300));
  assert_true(pattern_filled(u3, 300));
  for (size_t i = 0; i < RTL_NUMBER_OF(all); i++) {
    ExFreePoolWithTag(all[i], TAG1);
  }
}

static void test_legacy_failures_and_types(void **state) {
  kp_system_t *sys = *state;
  const SIZE_T huge = (SIZE_T)1 << 40;
  // Plain legacy failure: NULL; with POOL_RAISE_IF_ALLOCATION_FAILURE a raise.
  assert_null(ExAllocatePoolWithTag(PagedPool, huge, TAG1));
  KP_ASSERT_RAISES(STATUS_INSUFFICIENT_RESOURCES,
                   ExAllocatePoolWithTag(
                       (POOL_TYPE)(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE),
                       huge, TAG1));
  // Quota allocations raise by default and return NULL only when asked.
  // Windows allocates before it charges quota, so a request no pool can
  // hold is STATUS_INSUFFICIENT_RESOURCES although the quota would fail too
  // (test_alloc covers STATUS_QUOTA_EXCEEDED).
  KP_ASSERT_RAISES(STATUS_INSUFFICIENT_RESOURCES,
                   ExAllocatePoolWithQuotaTag(PagedPool, huge, TAG1));
  assert_null(ExAllocatePoolWithQuotaTag(
      (POOL_TYPE)(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), huge, TAG1));
  // DontUseThisType gives NULL; must-succeed pool is BAD_POOL_CALLER 0x9A.
  assert_null(ExAllocatePoolWithTag(DontUseThisType, 16, TAG1));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x9A,
                     ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 16, TAG1));
  // Cache-aligned types are 64-byte aligned.
  PVOID p = ExAllocatePoolWithTag(NonPagedPoolCacheAligned, 24, TAG1);
  PVOID q = ExAllocatePoolWithTag(PagedPoolCacheAligned, 24, TAG1);
  assert_non_null(p);
  assert_non_null(q);
  assert_int_equal((ULONG_PTR)p % 64, 0);
  assert_int_equal((ULONG_PTR)q % 64, 0);
  ExFreePoolWithTag(p, TAG1);
  ExFreePoolWithTag(q, TAG1);
}

/* ---------------------------------------------------------------------------
 * Free, tags, ExQueryPoolBlockSize
 * ------------------------------------------------------------------------- */

static void test_free_with_wrong_tag_bugchecks(void **state) {
  kp_system_t *sys = *state;
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG1);
  assert_non_null(p);
  // BAD_POOL_CALLER 0x0A: P2 address, P3 the allocation's tag, P4 ours.
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, 0x0A, (ULONG_PTR)p, TAG1, TAG2,
                            ExFreePoolWithTag(p, TAG2));
  // The free was abandoned: the block is still live and frees normally.
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePoolWithTag(p, TAG1));
  PVOID big = ExAllocatePool2(POOL_FLAG_PAGED, 3 * PAGE_SIZE, TAG1);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, 0x0A, (ULONG_PTR)big, TAG1, 'gaT3',
                            ExFreePoolWithTag(big, 'gaT3'));
  ExFreePoolWithTag(big, TAG1);
}

static void test_free_pool_does_not_check_the_tag(void **state) {
  kp_system_t *sys = *state;
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG1);
  PVOID q = ExAllocatePool2(POOL_FLAG_PAGED, 32, TAG2);
  PVOID r = ExAllocatePool2(POOL_FLAG_PAGED, 32, TAG2);
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePool(p));
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePoolWithTag(q, 0));
  KP_ASSERT_NO_BUGCHECK(sys, (ExFreePool)(r));
}

static void test_bad_frees_bugcheck(void **state) {
  kp_system_t *sys = *state;
  PUCHAR p = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG1);
  ULONG local = 0;
  // Interior pointer, a stack address: not a pool block.
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, ExFreePoolWithTag(p + 16, TAG1));
  assert_int_equal(rec.count, 1);
  KP_CAPTURE_BUGCHECK(sys, &rec, ExFreePool(&local));
  assert_int_equal(rec.count, 1);
  ExFreePoolWithTag(p, TAG1);
  // Double free.
  KP_CAPTURE_BUGCHECK(sys, &rec, ExFreePoolWithTag(p, TAG1));
  assert_int_equal(rec.count, 1);
}

static void test_query_pool_block_size(void **state) {
  (void)state;
  const struct {
    SIZE_T request;
    SIZE_T block;
  } cases[] = {{1, 16},      {16, 16},     {17, 32},     {100, 112},
               {4000, 4000}, {4096, 4096}, {5000, 8192}, {3 * PAGE_SIZE, 3 * PAGE_SIZE}};
  for (size_t i = 0; i < RTL_NUMBER_OF(cases); i++) {
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, cases[i].request, TAG1);
    BOOLEAN quota = TRUE;
    assert_int_equal(ExQueryPoolBlockSize(p, &quota), cases[i].block);
    assert_false(quota);
    ExFreePoolWithTag(p, TAG1);
  }
  PVOID q = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 40, TAG1);
  BOOLEAN quota = FALSE;
  assert_int_equal(ExQueryPoolBlockSize(q, &quota), 48);
  assert_true(quota);
  assert_int_equal(ExQueryPoolBlockSize(q, NULL), 48);
  // Not the start of a live block: 0, no quota.
  quota = TRUE;
  assert_int_equal(ExQueryPoolBlockSize((PUCHAR)q + 16, &quota), 0);
  assert_false(quota);
  ExFreePoolWithTag(q, TAG1);
}

static void test_multichar_tag_value(void **state) {
  ULONG tag = 'gaT1';
  assert_int_equal(tag, 0x67615431);
  // In memory (little-endian) the tag reads "1Tag", as PoolMon shows it.
  assert_memory_equal(&tag, "1Tag", 4);
  assert_int_equal('looP', 0x6C6F6F50);
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'gaT1');
  assert_int_equal(block_of(state, p).tag, 0x67615431);
  ExFreePoolWithTag(p, 'gaT1');
}

static void test_tag_rules_bugcheck(void **state) {
  kp_system_t *sys = *state;
  // The legacy tagged allocators take no tag of 0 (ExAllocatePool2 returns
  // NULL instead, see above); " GIB" is the kernel's own big-page tag; a
  // tag needs a letter or a digit.
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x9B, ExAllocatePoolWithTag(PagedPool, 16, 0));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x9B,
                     ExAllocatePoolWithQuotaTag(PagedPool, 16, 0));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x9C,
                     ExAllocatePoolWithTag(NonPagedPoolNx, 16, ' GIB'));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x9C,
                     ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, ' GIB'));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x9D,
                     ExAllocatePoolWithTag(PagedPool, 16, '-.-.'));
  // Short tags are fine: 'ab' is 0x6162, shown "ba".
  PVOID volatile p = NULL; // set inside a setjmp-based assertion
  KP_ASSERT_NO_BUGCHECK(sys, p = ExAllocatePoolWithTag(PagedPool, 16, 'ab'));
  assert_non_null(p);
  ExFreePoolWithTag(p, 'ab');
}

/* ---------------------------------------------------------------------------
 * Call sites and function addresses
 * ------------------------------------------------------------------------- */

static void expect_site(void **state, PVOID p, ULONG line) {
  kp_block_info_t info = block_of(state, p);
  assert_non_null(info.site.file);
  assert_string_equal(info.site.file, __FILE__);
  assert_int_equal(info.site.line, line);
}

static void test_call_sites_are_recorded(void **state) {
  PVOID a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG1); const ULONG la = __LINE__;
  PVOID b = ExAllocatePoolWithTag(PagedPool, 32, TAG1); const ULONG lb = __LINE__;
  PVOID c = ExAllocatePool(NonPagedPoolNx, 32); const ULONG lc = __LINE__;
  PVOID d = ExAllocatePoolZero(PagedPool, 32, TAG1); const ULONG ld = __LINE__;
  PVOID e = ExAllocatePoolWithQuotaTag(PagedPool, 32, TAG1); const ULONG le = __LINE__;
  PVOID f = ExAllocatePoolWithTagPriority(PagedPool, 32, TAG1, HighPoolPriority); const ULONG lf = __LINE__;
  PVOID g = ExAllocatePoolWithQuota(PagedPool, 32); const ULONG lg = __LINE__;
  PVOID h = ExAllocatePoolUninitialized(PagedPool, 32, TAG1); const ULONG lh = __LINE__;
  expect_site(state, a, la);
  expect_site(state, b, lb);
  expect_site(state, c, lc);
  expect_site(state, d, ld);
  expect_site(state, e, le);
  expect_site(state, f, lf);
  expect_site(state, g, lg);
  expect_site(state, h, lh);
  ExFreePoolWithTag(a, TAG1);
  ExFreePoolWithTag(b, TAG1);
  ExFreePool(c);
  ExFreePoolWithTag(d, TAG1);
  ExFreePoolWithTag(e, TAG1);
  ExFreePoolWithTag(f, TAG1);
  ExFreePool(g);
  ExFreePoolWithTag(h, TAG1);
}

static void test_free_site_is_recorded(void **state) {
  kp_system_t *sys = *state;
  char where[512];
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG1);
  ExFreePoolWithTag(p, TAG1); const ULONG freed_at = __LINE__;
  // A double free reports where the block was freed first.
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, ExFreePoolWithTag(p, TAG1));
  assert_int_equal(rec.count, 1);
  site_text(where, sizeof where, freed_at);
  assert_non_null(strstr(rec.explanation, where));

  PVOID q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG1);
  ExFreePool(q); const ULONG freed_q_at = __LINE__;
  KP_CAPTURE_BUGCHECK(sys, &rec, ExFreePool(q));
  assert_int_equal(rec.count, 1);
  site_text(where, sizeof where, freed_q_at);
  assert_non_null(strstr(rec.explanation, where));
}

typedef PVOID (*alloc2_fn)(POOL_FLAGS, SIZE_T, ULONG);
typedef PVOID (*alloc_tag_fn)(POOL_TYPE, SIZE_T, ULONG);
typedef VOID (*free_tag_fn)(PVOID, ULONG);
typedef VOID (*free_fn)(PVOID);

static void test_function_addresses_work(void **state) {
  // Drivers store these in tables (lookaside callbacks, for instance).
  alloc2_fn alloc2 = ExAllocatePool2;
  alloc_tag_fn alloc_tag = &ExAllocatePoolWithTag;
  free_tag_fn free_tag = ExFreePoolWithTag;
  free_fn free_plain = &ExFreePool;
  PVOID p = alloc2(POOL_FLAG_NON_PAGED, 40, TAG1);
  PVOID q = alloc_tag(PagedPool, 40, TAG2);
  PVOID r = (ExAllocatePool2)(POOL_FLAG_PAGED, 40, TAG1);
  assert_non_null(p);
  assert_non_null(q);
  assert_non_null(r);
  assert_true(all_bytes(p, 40, 0));
  // Through the real functions there is no file, but the caller's address.
  kp_block_info_t info = block_of(state, p);
  assert_null(info.site.file);
  assert_non_null(info.site.caller);
  assert_null(block_of(state, r).site.file);
  assert_int_equal(block_of(state, q).tag, TAG2);
  free_tag(p, TAG1);
  free_plain(q);
  (ExFreePoolWithTag)(r, TAG1);
}

/* ---------------------------------------------------------------------------
 * Lists
 * ------------------------------------------------------------------------- */

typedef struct _RECORD {
  ULONG Value;
  LIST_ENTRY Link;
  SINGLE_LIST_ENTRY Single;
} RECORD, *PRECORD;

static ULONG list_values(PLIST_ENTRY head, ULONG *out, ULONG max) {
  ULONG n = 0;
  for (PLIST_ENTRY e = head->Flink; e != head && n < max; e = e->Flink) {
    out[n++] = CONTAINING_RECORD(e, RECORD, Link)->Value;
  }
  return n;
}

static void test_list_entry_helpers(void **state) {
  (void)state;
  RECORD r[6];
  for (ULONG i = 0; i < 6; i++) r[i].Value = i;
  LIST_ENTRY head;
  InitializeListHead(&head);
  assert_true(IsListEmpty(&head));
  InsertTailList(&head, &r[1].Link);
  InsertTailList(&head, &r[2].Link);
  InsertHeadList(&head, &r[0].Link);
  InsertTailList(&head, &r[3].Link);
  assert_false(IsListEmpty(&head));
  ULONG v[8];
  assert_int_equal(list_values(&head, v, 8), 4);
  for (ULONG i = 0; i < 4; i++) assert_int_equal(v[i], i);
  // Backwards too.
  assert_ptr_equal(head.Blink, &r[3].Link);
  assert_ptr_equal(r[3].Link.Blink, &r[2].Link);

  assert_ptr_equal(RemoveHeadList(&head), &r[0].Link);
  assert_ptr_equal(RemoveTailList(&head), &r[3].Link);
  assert_false(RemoveEntryList(&r[1].Link)); // r[2] is still there
  assert_true(RemoveEntryList(&r[2].Link));  // now empty
  assert_true(IsListEmpty(&head));
  // On an empty list the head itself comes back, as on Windows.
  assert_ptr_equal(RemoveHeadList(&head), &head);
  assert_ptr_equal(RemoveTailList(&head), &head);
  assert_true(IsListEmpty(&head));

  // AppendTailList splices a headless ring: 4 <-> 5 onto 0.
  InsertTailList(&head, &r[0].Link);
  InitializeListHead(&r[4].Link);
  InsertTailList(&r[4].Link, &r[5].Link); // ring {4, 5}, 4 as "head"
  AppendTailList(&head, &r[4].Link);
  assert_int_equal(list_values(&head, v, 8), 3);
  assert_int_equal(v[0], 0);
  assert_int_equal(v[1], 4);
  assert_int_equal(v[2], 5);
  assert_ptr_equal(head.Blink, &r[5].Link);
  assert_ptr_equal(r[5].Link.Flink, &head);

  // Singly linked: LIFO.
  SINGLE_LIST_ENTRY shead;
  shead.Next = NULL;
  assert_null(PopEntryList(&shead));
  PushEntryList(&shead, &r[0].Single);
  PushEntryList(&shead, &r[1].Single);
  assert_ptr_equal(PopEntryList(&shead), &r[1].Single);
  assert_ptr_equal(PopEntryList(&shead), &r[0].Single);
  assert_null(PopEntryList(&shead));
}

static void test_list_corruption_bugchecks(void **state) {
  kp_system_t *sys = *state;
  RECORD a, b;
  LIST_ENTRY head;
  InitializeListHead(&head);
  InsertTailList(&head, &a.Link);
  InsertTailList(&head, &b.Link);
  assert_false(RemoveEntryList(&a.Link));
  // Removing it again: its neighbours no longer point at it.
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0x139, 3, (ULONG_PTR)&a.Link, KP_ANY, KP_ANY,
                            RemoveEntryList(&a.Link));
  // The list was left alone.
  assert_ptr_equal(head.Flink, &b.Link);
  assert_ptr_equal(b.Link.Blink, &head);
  // A list head never initialised (zeroed memory).
  LIST_ENTRY zeroed;
  RtlZeroMemory(&zeroed, sizeof zeroed);
  KP_ASSERT_BUGCHECK(sys, 0x139, 3, InsertTailList(&zeroed, &a.Link));
  KP_ASSERT_BUGCHECK(sys, 0x139, 3, InsertHeadList(&zeroed, &a.Link));
  // A head whose last entry was overwritten.
  b.Link.Flink = &b.Link;
  KP_ASSERT_BUGCHECK(sys, 0x139, 3, InsertTailList(&head, &a.Link));
  KP_ASSERT_BUGCHECK(sys, 0x139, 3, RemoveTailList(&head));
  KP_ASSERT_BUGCHECK(sys, 0x139, 3, RemoveHeadList(&head));
}

/* ---------------------------------------------------------------------------
 * Rtl helpers and structure macros
 * ------------------------------------------------------------------------- */

static void test_rtl_memory_helpers(void **state) {
  (void)state;
  UCHAR a[32], b[32];
  RtlFillMemory(a, sizeof a, 0xAB);
  assert_true(all_bytes(a, sizeof a, 0xAB));
  RtlZeroMemory(a, 16);
  assert_true(all_bytes(a, 16, 0));
  assert_true(all_bytes(a + 16, 16, 0xAB));
  for (UCHAR i = 0; i < 32; i++) a[i] = i;
  RtlCopyMemory(b, a, sizeof a);
  assert_true(RtlEqualMemory(a, b, sizeof a));
  assert_int_equal(RtlCompareMemory(a, b, sizeof a), sizeof a);
  b[5] = 99;
  assert_false(RtlEqualMemory(a, b, sizeof a));
  assert_int_equal(RtlCompareMemory(a, b, sizeof a), 5);
  assert_int_equal(RtlCompareMemory(a, b, 3), 3);
  assert_int_equal(RtlCompareMemory(a, b, 0), 0);
  // Overlapping move, both directions.
  RtlMoveMemory(a + 4, a, 8);
  for (UCHAR i = 0; i < 8; i++) assert_int_equal(a[4 + i], i);
  RtlMoveMemory(a, a + 4, 8);
  for (UCHAR i = 0; i < 8; i++) assert_int_equal(a[i], i);
  assert_ptr_equal(RtlSecureZeroMemory(b, sizeof b), b);
  assert_true(all_bytes(b, sizeof b, 0));
}

static void test_counted_strings(void **state) {
  (void)state;
  UNICODE_STRING us;
  RtlInitUnicodeString(&us, u"Pool");
  assert_int_equal(us.Length, 8);
  assert_int_equal(us.MaximumLength, 10);
  assert_int_equal(us.Buffer[3], 'l');
  RtlInitUnicodeString(&us, NULL);
  assert_int_equal(us.Length, 0);
  assert_int_equal(us.MaximumLength, 0);
  assert_null(us.Buffer);
  ANSI_STRING as;
  RtlInitAnsiString(&as, "Tag1");
  assert_int_equal(as.Length, 4);
  assert_int_equal(as.MaximumLength, 5);
  STRING st;
  RtlInitString(&st, "");
  assert_int_equal(st.Length, 0);
  assert_int_equal(st.MaximumLength, 1);
  UNICODE_STRING k = RTL_CONSTANT_STRING(u"Driver");
  assert_int_equal(k.Length, 12);
  assert_int_equal(k.MaximumLength, 14);
  STRING n = RTL_CONSTANT_STRING("abc");
  assert_int_equal(n.Length, 3);
  assert_int_equal(n.MaximumLength, 4);
  out_reset();
  DbgPrint("%wZ/%Z", &k, &n);
  assert_string_equal(g_out, "Driver/abc");
}

static void test_structure_macros(void **state) {
  (void)state;
  RECORD r;
  assert_int_equal(FIELD_OFFSET(RECORD, Link), offsetof(RECORD, Link));
  assert_int_equal(RTL_FIELD_SIZE(RECORD, Link), sizeof(LIST_ENTRY));
  assert_int_equal(RTL_SIZEOF_THROUGH_FIELD(RECORD, Link),
                   offsetof(RECORD, Link) + sizeof(LIST_ENTRY));
  assert_ptr_equal(CONTAINING_RECORD(&r.Single, RECORD, Single), &r);
  assert_true(ARGUMENT_PRESENT(&r));
  assert_false(ARGUMENT_PRESENT((PVOID)NULL));
  assert_int_equal(ALIGN_UP_BY(17, 16), 32);
  assert_int_equal(ALIGN_DOWN_BY(31, 16), 16);
  assert_int_equal(ALIGN_UP(5, ULONG64), 8);
  assert_int_equal(BYTES_TO_PAGES(1), 1);
  assert_int_equal(BYTES_TO_PAGES(PAGE_SIZE), 1);
  assert_int_equal(BYTES_TO_PAGES(PAGE_SIZE + 1), 2);
  assert_int_equal(ROUND_TO_PAGES(PAGE_SIZE + 1), 2 * PAGE_SIZE);
  assert_int_equal(NT_SUCCESS(STATUS_SUCCESS), 1);
  assert_int_equal(NT_SUCCESS(STATUS_PENDING), 1);
  assert_int_equal(NT_SUCCESS(STATUS_BUFFER_OVERFLOW), 0);
  assert_int_equal(NT_SUCCESS(STATUS_INSUFFICIENT_RESOURCES), 0);
  assert_true(NT_WARNING(STATUS_BUFFER_OVERFLOW));
  assert_true(NT_ERROR(STATUS_INVALID_PARAMETER));
  assert_false(NT_ERROR(STATUS_BUFFER_OVERFLOW));
  assert_true(NT_INFORMATION((NTSTATUS)0x40000000));
  assert_false(NT_INFORMATION(STATUS_SUCCESS));
}

/* ---------------------------------------------------------------------------
 * IRQL and locks
 * ------------------------------------------------------------------------- */

static void test_irql_raise_and_lower(void **state) {
  kp_system_t *sys = *state;
  KIRQL old = HIGH_LEVEL;
  assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
  KeRaiseIrql(APC_LEVEL, &old);
  assert_int_equal(old, PASSIVE_LEVEL);
  assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
  KIRQL old2 = KeRaiseIrqlToDpcLevel();
  assert_int_equal(old2, APC_LEVEL);
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  // Lowering to a higher IRQL, raising to a lower one: bug checks (the
  // default configuration has the verifier's automatic checks: 0xC4).
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x31, KeLowerIrql(HIGH_LEVEL));
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x30, KeRaiseIrql(PASSIVE_LEVEL, &old));
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old2);
  KeLowerIrql(old);
  assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
  assert_int_equal(KfRaiseIrql(DISPATCH_LEVEL), PASSIVE_LEVEL);
  KeLowerIrql(PASSIVE_LEVEL);
}

static void test_irql_rules_of_the_pool(void **state) {
  kp_system_t *sys = *state;
  KIRQL old;
  PVOID paged = ExAllocatePool2(POOL_FLAG_PAGED, 32, TAG1);
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  // Non-paged pool is fine at DISPATCH_LEVEL, paged pool is not.
  PVOID np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG1);
  assert_non_null(np);
  ExFreePoolWithTag(np, TAG1);
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x01,
                     ExAllocatePool2(POOL_FLAG_PAGED, 32, TAG1));
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x11, ExFreePoolWithTag(paged, TAG1));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xD1, KP_ANY, DISPATCH_LEVEL, 8, KP_ANY,
                            PAGED_CODE());
  KeLowerIrql(old);
  KP_ASSERT_NO_BUGCHECK(sys, PAGED_CODE());
  ExFreePoolWithTag(paged, TAG1);
}

static void test_spin_lock_wrappers(void **state) {
  kp_system_t *sys = *state;
  KSPIN_LOCK lock;
  KIRQL old = HIGH_LEVEL;
  KeInitializeSpinLock(&lock);
  KeAcquireSpinLock(&lock, &old);
  assert_int_equal(old, PASSIVE_LEVEL);
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeReleaseSpinLock(&lock, old);
  assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

  old = KeAcquireSpinLockRaiseToDpc(&lock);
  assert_int_equal(old, PASSIVE_LEVEL);
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeReleaseSpinLock(&lock, old);

  // The AtDpcLevel forms leave the IRQL alone and need DISPATCH_LEVEL.
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeAcquireSpinLockAtDpcLevel(&lock);
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeReleaseSpinLockFromDpcLevel(&lock);
  assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
  KeLowerIrql(old);
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x40, KeAcquireSpinLockAtDpcLevel(&lock));
}

typedef struct _COUNTER {
  KSPIN_LOCK Lock;
  ULONG Value;
} COUNTER;

#define COUNTER_ROUNDS 20000u

static void *count_under_lock(void *arg) {
  COUNTER *c = (COUNTER *)arg;
  for (ULONG i = 0; i < COUNTER_ROUNDS; i++) {
    KIRQL old;
    KeAcquireSpinLock(&c->Lock, &old);
    // A read-modify-write that loses updates without mutual exclusion.
    ULONG v = c->Value;
    c->Value = v + 1;
    KeReleaseSpinLock(&c->Lock, old);
  }
  return NULL;
}

static void test_spin_lock_excludes_threads(void **state) {
  (void)state;
  COUNTER c;
  KeInitializeSpinLock(&c.Lock);
  c.Value = 0;
  pthread_t t1, t2;
  assert_int_equal(pthread_create(&t1, NULL, count_under_lock, &c), 0);
  assert_int_equal(pthread_create(&t2, NULL, count_under_lock, &c), 0);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  assert_int_equal(c.Value, 2 * COUNTER_ROUNDS);
}

static void test_fast_mutex_wrappers(void **state) {
  kp_system_t *sys = *state;
  FAST_MUTEX m;
  ExInitializeFastMutex(&m);
  ExAcquireFastMutex(&m);
  assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
  // Held (by us): a try does not wait and fails.
  assert_false(ExTryToAcquireFastMutex(&m));
  ExReleaseFastMutex(&m);
  assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
  assert_true(ExTryToAcquireFastMutex(&m));
  assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
  ExReleaseFastMutex(&m);
  assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
  // Releasing a mutex nobody holds (at the IRQL a release expects).
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  KP_ASSERT_BUGCHECK(sys, 0xC4, 0x1007, ExReleaseFastMutex(&m));
  KeLowerIrql(old);
}

static void test_processor_and_node(void **state) {
  (void)state;
  assert_int_equal(KeGetCurrentProcessorNumber(), 0);
  assert_int_equal(KeGetCurrentNodeNumber(), 0);
}

/* ---------------------------------------------------------------------------
 * Debug output, assertions, bug checks, raising
 * ------------------------------------------------------------------------- */

static void test_dbgprint_formats_the_windows_way(void **state) {
  (void)state;
  WCHAR name_buf[] = u"Dev\u00e9ice";
  UNICODE_STRING name;
  name.Buffer = name_buf;
  name.Length = (USHORT)(7 * sizeof(WCHAR));
  name.MaximumLength = sizeof name_buf;
  char abuf[] = "ansi-text";
  ANSI_STRING ansi;
  ansi.Buffer = abuf;
  ansi.Length = 4;
  ansi.MaximumLength = sizeof abuf;
  ULONG ul = 0xFFFFFFFFu;
  LONG l = -5;
  ULONG64 big = 0x1122334455667788ULL;
  out_reset();
  ULONG st = DbgPrint("%lu|%ld|%lx|%I64x|%llu|%wZ|%Z|%ws|%s|%c|%5d|%-4s|%%\n",
                      ul, l, ul, big, (ULONGLONG)big, &name, &ansi,
                      (PCWSTR)u"wide", "narrow", 'q', 42, "ab");
  assert_int_equal(st, STATUS_SUCCESS);
  assert_string_equal(g_out, "4294967295|-5|ffffffff|1122334455667788|"
                             "1234605616436508552|Dev\xc3\xa9ice|ansi|wide|"
                             "narrow|q|   42|ab  |%\n");
  out_reset();
  DbgPrint("%p|%s|%wZ|%08X|%#x|%+d|%.3s\n", (PVOID)(ULONG_PTR)0xABCDEF,
           (PCSTR)NULL, (PCUNICODE_STRING)NULL, 0xBEEFu, 255u, 7, "abcdef");
  assert_string_equal(g_out, "0000000000ABCDEF|(null)|(null)|0000BEEF|0xff|+7|"
                             "abc\n");
  out_reset();
  DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "ex %u\n", 3u);
  KdPrint(("kd %d\n", 4));
  KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "kdex %s\n", "x"));
  assert_string_equal(g_out, "ex 3\nkd 4\nkdex x\n");
}

/* A driver's own trace routine, forwarding its arguments. */
static ULONG trace(PCCH prefix, PCCH format, ...) {
  va_list args;
  va_start(args, format);
  ULONG st = prefix != NULL
                 ? vDbgPrintExWithPrefix(prefix, DPFLTR_IHVDRIVER_ID,
                                         DPFLTR_TRACE_LEVEL, format, args)
                 : vDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, format,
                               args);
  va_end(args);
  return st;
}

static void test_vdbgprintex(void **state) {
  (void)state;
  out_reset();
  assert_int_equal(trace(NULL, "%lu-%s|", (ULONG)7, "a"), STATUS_SUCCESS);
  assert_int_equal(trace("drv: ", "%I64u\n", (ULONG64)1 << 40), STATUS_SUCCESS);
  assert_string_equal(g_out, "7-a|drv: 1099511627776\n");
}

static void test_dbgprint_sends_at_most_512_bytes(void **state) {
  (void)state;
  char longer[700];
  RtlFillMemory(longer, sizeof longer - 1, 'x');
  longer[sizeof longer - 1] = '\0';
  out_reset();
  DbgPrint("%s", longer);
  assert_int_equal(strlen(g_out), 511);
}

static void test_assertions_bugcheck_0x1e(void **state) {
  kp_system_t *sys = *state;
  // Changed inside the setjmp-based assertions: volatile.
  volatile int x = 1;
  KP_ASSERT_NO_BUGCHECK(sys, NT_ASSERT(x == 1));
  KP_ASSERT_NO_BUGCHECK(sys, ASSERT(x == 1));
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_ASSERTION_FAILURE), NT_ASSERT(x == 2));
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_ASSERTION_FAILURE), ASSERT(x > 5));
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_ASSERTION_FAILURE),
                     NT_ASSERTMSG("x must be zero", x == 0));
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_ASSERTION_FAILURE),
                     ASSERTMSG("x must be zero", x == 0));
  // The report names the expression, the message and the line.
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, NT_ASSERTMSG("odd", x == 7)); const ULONG line = __LINE__;
  assert_int_equal(rec.count, 1);
  assert_int_equal(rec.code, 0x1E);
  assert_int_equal(rec.params[0], EXCEPTION_P1(STATUS_ASSERTION_FAILURE));
  assert_non_null(strstr(rec.explanation, "x == 7"));
  assert_non_null(strstr(rec.explanation, "odd"));
  char where[512];
  site_text(where, sizeof where, line);
  assert_non_null(strstr(rec.explanation, where));
  // NT_VERIFY always evaluates and gives the truth value.
  volatile BOOLEAN ok = FALSE;
  KP_ASSERT_NO_BUGCHECK(sys, ok = NT_VERIFY(++x == 2));
  assert_true(ok);
  assert_int_equal(x, 2);
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_ASSERTION_FAILURE), NT_VERIFY(x == 3));
}

static void test_kebugcheckex(void **state) {
  kp_system_t *sys = *state;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xE2, 1, 2, 3, 4, KeBugCheckEx(0xE2, 1, 2, 3, 4));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xDEAD, 0, 0, 0, 0, KeBugCheck(0xDEAD));
}

static void test_ex_raise_status(void **state) {
  kp_system_t *sys = *state;
  volatile NTSTATUS seen = STATUS_SUCCESS;
  volatile int after = 0;
  KP_TRY {
    ExRaiseStatus(STATUS_ACCESS_DENIED);
    after = 1;
  }
  KP_EXCEPT(status) { seen = status; }
  KP_END_TRY;
  assert_int_equal(seen, STATUS_ACCESS_DENIED);
  assert_int_equal(after, 0);
  KP_ASSERT_RAISES(STATUS_ACCESS_VIOLATION, ExRaiseAccessViolation());
  KP_ASSERT_RAISES(STATUS_DATATYPE_MISALIGNMENT, ExRaiseDatatypeMisalignment());
  KP_ASSERT_RAISES(STATUS_BREAKPOINT, DbgBreakPoint());
  // Unhandled: KMODE_EXCEPTION_NOT_HANDLED with the status.
  KP_ASSERT_BUGCHECK(sys, 0x1E, EXCEPTION_P1(STATUS_INVALID_PARAMETER),
                     ExRaiseStatus(STATUS_INVALID_PARAMETER));
}

static void test_driver_runtime(void **state) {
  (void)state;
  BOOLEAN old_zeroing = ExPoolZeroingNativelySupported;
  POOL_TYPE old_type = ExDefaultNonPagedPoolType;
  ExInitializeDriverRuntime(0);
  assert_true(ExPoolZeroingNativelySupported);
  assert_int_equal(ExDefaultNonPagedPoolType, old_type);
  ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
  assert_int_equal(ExDefaultNonPagedPoolType, NonPagedPoolNx);
  PVOID p = ExAllocatePoolZero(ExDefaultNonPagedPoolType, 16, TAG1);
  // The recorded type keeps the modifier bits the helper added.
  assert_int_equal(block_of(state, p).pool_type & ~(ULONG)POOL_ZERO_ALLOCATION,
                   NonPagedPoolNx);
  ExFreePoolWithTag(p, TAG1);
  ExPoolZeroingNativelySupported = old_zeroing;
  ExDefaultNonPagedPoolType = old_type;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pool2_zeroes_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool2_uninitialized_is_not_zero, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool2_flag_and_tag_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool2_alignment, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool2_raise_on_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_legacy_allocators, setup, teardown),
      cmocka_unit_test_setup_teardown(test_zero_and_uninitialized_helpers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_legacy_failures_and_types, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_with_wrong_tag_bugchecks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_pool_does_not_check_the_tag, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_frees_bugcheck, setup, teardown),
      cmocka_unit_test_setup_teardown(test_query_pool_block_size, setup, teardown),
      cmocka_unit_test_setup_teardown(test_multichar_tag_value, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tag_rules_bugcheck, setup, teardown),
      cmocka_unit_test_setup_teardown(test_call_sites_are_recorded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_site_is_recorded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_function_addresses_work, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_entry_helpers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_corruption_bugchecks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rtl_memory_helpers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_counted_strings, setup, teardown),
      cmocka_unit_test_setup_teardown(test_structure_macros, setup, teardown),
      cmocka_unit_test_setup_teardown(test_irql_raise_and_lower, setup, teardown),
      cmocka_unit_test_setup_teardown(test_irql_rules_of_the_pool, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spin_lock_wrappers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spin_lock_excludes_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fast_mutex_wrappers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_processor_and_node, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dbgprint_formats_the_windows_way, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vdbgprintex, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dbgprint_sends_at_most_512_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assertions_bugcheck_0x1e, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kebugcheckex, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ex_raise_status, setup, teardown),
      cmocka_unit_test_setup_teardown(test_driver_runtime, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
