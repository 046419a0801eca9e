/*
 * test_pool3.c — ExAllocatePool3's extended parameter rules (every bad
 * input: NULL array, count without array, too many, Reserved bits,
 * unknown required / optional types, duplicates, bad values, conflicts
 * with the flags), the priority parameter, ExFreePool2 for ordinary
 * blocks and its bad parameters, and the WDK face: the 16-byte
 * POOL_EXTENDED_PARAMETER with its bit fields, call sites, the secure
 * pool names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntifs.h>

#include "kp_test_util.h"
#include "kpool/cmocka.h"
#include "kpool/pool3.h"
#include "kpool/secure.h"

static kp_pool_param_t param(uint32_t type, bool optional, uint64_t raw) {
  kp_pool_param_t p;
  memset(&p, 0, sizeof p);
  p.type = type;
  p.optional = optional;
  p.value.raw = raw;
  return p;
}

static kp_pool_param_t prio(kp_priority_t pr, bool optional) {
  kp_pool_param_t p = param(KP_PARAM_PRIORITY, optional, 0);
  p.value.priority = (int32_t)pr;
  return p;
}

static kp_pool_param_t node_param(uint32_t node, bool optional) {
  kp_pool_param_t p = param(KP_PARAM_NUMA_NODE, optional, 0);
  p.value.preferred_node = node;
  return p;
}

/* kp_alloc3 succeeded: check the block and free it. */
static void expect_ok(kp_system_t *sys, kp_pool_flags_t flags,
                      const kp_pool_param_t *params, uint32_t count) {
  void *p = kp_alloc3(sys, flags, 40, KPT_TAG1, params, count, KP_HERE);
  assert_non_null(p);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_int_equal(info.api, KP_API_ALLOCATE_POOL3);
  kp_free2(sys, p, KPT_TAG1, NULL, 0, KP_HERE);
}

/* kp_alloc3 failed with NULL, and kp_params_check gives @reason / @status;
 * with RAISE_ON_FAILURE the same call raises. */
static void expect_refused(kp_system_t *sys, kp_pool_flags_t flags,
                           const kp_pool_param_t *params, uint32_t count,
                           kp_params_reason_t reason, kp_status_t status,
                           uint32_t index) {
  assert_null(kp_alloc3(sys, flags, 40, KPT_TAG1, params, count, KP_HERE));
  kp_params_result_t r;
  assert_int_equal(kp_params_check(sys, flags, KPT_TAG1, params, count, &r),
                   status);
  assert_int_equal(r.reason, reason);
  assert_int_equal(r.index, index);
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   (void)kp_alloc3(sys, flags | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                   40, KPT_TAG1, params, count, KP_HERE));
}

/* ---------------------------------------------------------------------------
 * The array itself
 * ------------------------------------------------------------------------- */

static void test_no_parameters(void **state) {
  kp_system_t *sys = *state;
  expect_ok(sys, KPT_NP, NULL, 0);
  expect_ok(sys, KPT_PG, NULL, 0);
  // A count of 0 means no parameters: the pointer is never read, so even a
  // pointer that does not point anywhere is fine.
  expect_ok(sys, KPT_NP, (const kp_pool_param_t *)(uintptr_t)0x10, 0);
  kp_params_result_t r;
  assert_int_equal(kp_params_check(sys, KPT_NP, KPT_TAG1, NULL, 0, &r),
                   KP_STATUS_SUCCESS);
  assert_int_equal(r.reason, KP_PARAMS_OK);
  assert_int_equal(r.priority, KP_PRIORITY_NORMAL);
  assert_false(r.has_priority);
  assert_int_equal(r.node, KP_NODE_NONE);
  assert_false(r.secure);
  // The block is zeroed, as with ExAllocatePool2.
  uint8_t *p = kp_alloc3(sys, KPT_NP, 100, KPT_TAG1, NULL, 0, KP_HERE);
  for (int i = 0; i < 100; i++) assert_int_equal(p[i], 0);
  kp_block_info_t info;
  kp_block_query(sys, p, &info);
  assert_int_equal(info.priority, KP_PRIORITY_NORMAL);
  assert_non_null(strstr(info.site.file, "test_pool3.c"));
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_null_array_and_too_many(void **state) {
  kp_system_t *sys = *state;
  for (uint32_t count = 1; count < 40; count += 7)
    expect_refused(sys, KPT_NP, NULL, count, KP_PARAMS_NULL_ARRAY,
                   KP_STATUS_INVALID_PARAMETER_4, UINT32_MAX);
  expect_refused(sys, KPT_NP, NULL, UINT32_MAX, KP_PARAMS_NULL_ARRAY,
                 KP_STATUS_INVALID_PARAMETER_4, UINT32_MAX);
  // More entries than kpool reads: refused without reading them (a one
  // entry array with a huge count would crash otherwise).
  kp_pool_param_t one = prio(KP_PRIORITY_HIGH, false);
  expect_refused(sys, KPT_NP, &one, KP_POOL3_MAX_PARAMS + 1,
                 KP_PARAMS_TOO_MANY, KP_STATUS_INVALID_PARAMETER_5, UINT32_MAX);
  expect_refused(sys, KPT_NP, &one, UINT32_MAX, KP_PARAMS_TOO_MANY,
                 KP_STATUS_INVALID_PARAMETER_5, UINT32_MAX);
  // Exactly the maximum is read: all optional unknown entries are ignored.
  kp_pool_param_t many[KP_POOL3_MAX_PARAMS];
  for (uint32_t i = 0; i < KP_POOL3_MAX_PARAMS; i++) many[i] = param(100 + i, true, i);
  expect_ok(sys, KPT_NP, many, KP_POOL3_MAX_PARAMS);
  kp_params_result_t r;
  kp_params_check(sys, KPT_NP, KPT_TAG1, many, KP_POOL3_MAX_PARAMS, &r);
  assert_int_equal(r.ignored, KP_POOL3_MAX_PARAMS);
}

static void test_reserved_bits(void **state) {
  kp_system_t *sys = *state;
  const uint64_t reserved[] = {1, 0x40, (uint64_t)1 << 54};
  const uint32_t types[] = {KP_PARAM_PRIORITY, KP_PARAM_NUMA_NODE, 0, 9};
  for (size_t i = 0; i < 3; i++)
    for (size_t t = 0; t < 4; t++)
      for (int opt = 0; opt < 2; opt++) {
        kp_pool_param_t p = param(types[t], opt != 0, 0);
        if (types[t] == KP_PARAM_PRIORITY) p.value.priority = KP_PRIORITY_HIGH;
        p.reserved = reserved[i];
        expect_refused(sys, KPT_NP, &p, 1, KP_PARAMS_RESERVED_BITS,
                       KP_STATUS_INVALID_PARAMETER_4, 0);
      }
  // The entry at index 1 is the bad one.
  kp_pool_param_t two[2] = {prio(KP_PRIORITY_HIGH, false), node_param(0, false)};
  two[1].reserved = 2;
  expect_refused(sys, KPT_NP, two, 2, KP_PARAMS_RESERVED_BITS,
                 KP_STATUS_INVALID_PARAMETER_4, 1);
}

static void test_unknown_types(void **state) {
  kp_system_t *sys = *state;
  const uint32_t unknown[] = {KP_PARAM_INVALID, KP_PARAM_MAX, 5, 77, 255};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    kp_pool_param_t p = param(unknown[i], false, 0xDEADBEEF);
    expect_refused(sys, KPT_NP, &p, 1, KP_PARAMS_UNKNOWN_REQUIRED,
                   KP_STATUS_INVALID_PARAMETER_4, 0);
    p.optional = true;
    expect_ok(sys, KPT_NP, &p, 1);
    expect_ok(sys, KPT_PG, &p, 1);
  }
  // Optional unknown ones may repeat, next to known ones.
  kp_pool_param_t mix[4] = {param(9, true, 1), prio(KP_PRIORITY_LOW, false),
                            param(9, true, 2), node_param(0, true)};
  expect_ok(sys, KPT_NP, mix, 4);
  kp_params_result_t r;
  assert_int_equal(kp_params_check(sys, KPT_NP, KPT_TAG1, mix, 4, &r),
                   KP_STATUS_SUCCESS);
  assert_int_equal(r.ignored, 2);
  assert_true(r.has_priority);
  assert_int_equal(r.priority, KP_PRIORITY_LOW);
  assert_int_equal(r.node, 0);
  assert_true(r.node_strict);
}

static void test_duplicate_types(void **state) {
  kp_system_t *sys = *state;
  kp_pool_param_t a[2] = {prio(KP_PRIORITY_HIGH, false), prio(KP_PRIORITY_HIGH, false)};
  expect_refused(sys, KPT_NP, a, 2, KP_PARAMS_DUPLICATE,
                 KP_STATUS_INVALID_PARAMETER_4, 1);
  a[1].optional = true;
  expect_refused(sys, KPT_NP, a, 2, KP_PARAMS_DUPLICATE,
                 KP_STATUS_INVALID_PARAMETER_4, 1);
  kp_pool_param_t b[3] = {node_param(0, true), prio(KP_PRIORITY_LOW, false),
                          node_param(0 | KP_NODE_ANY_OK, true)};
  expect_refused(sys, KPT_NP, b, 3, KP_PARAMS_DUPLICATE,
                 KP_STATUS_INVALID_PARAMETER_4, 2);
  // Even when the first one was dropped for conflicting with the flags.
  expect_refused(sys, KPT_PG, b, 3, KP_PARAMS_DUPLICATE,
                 KP_STATUS_INVALID_PARAMETER_4, 2);
}

/* ---------------------------------------------------------------------------
 * Priority
 * ------------------------------------------------------------------------- */

static void test_priority_values(void **state) {
  kp_system_t *sys = *state;
  const kp_priority_t good[] = {
      KP_PRIORITY_LOW, KP_PRIORITY_LOW_SPECIAL_OVERRUN,
      KP_PRIORITY_LOW_SPECIAL_UNDERRUN, KP_PRIORITY_NORMAL,
      KP_PRIORITY_NORMAL_SPECIAL_OVERRUN, KP_PRIORITY_NORMAL_SPECIAL_UNDERRUN,
      KP_PRIORITY_HIGH, KP_PRIORITY_HIGH_SPECIAL_OVERRUN,
      KP_PRIORITY_HIGH_SPECIAL_UNDERRUN};
  for (size_t i = 0; i < 9; i++) {
    kp_pool_param_t p = prio(good[i], false);
    void *b = kp_alloc3(sys, KPT_PG, 40, KPT_TAG1, &p, 1, KP_HERE);
    assert_non_null(b);
    kp_block_info_t info;
    kp_block_query(sys, b, &info);
    assert_int_equal(info.priority, good[i]); // placement bits kept too
    kp_free2(sys, b, KPT_TAG1, NULL, 0, KP_HERE);
  }
  const int32_t bad[] = {1, 7, 10, 17, 31, 33, 42, 48, 64, -1, INT32_MIN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    kp_pool_param_t p = prio(KP_PRIORITY_LOW, false);
    p.value.priority = bad[i];
    expect_refused(sys, KPT_NP, &p, 1, KP_PARAMS_BAD_PRIORITY,
                   KP_STATUS_INVALID_PARAMETER_4, 0);
    // A bad value in a known type fails even when optional (kpool's choice).
    p.optional = true;
    expect_refused(sys, KPT_NP, &p, 1, KP_PARAMS_BAD_PRIORITY,
                   KP_STATUS_INVALID_PARAMETER_4, 0);
  }
}

/* ---------------------------------------------------------------------------
 * NUMA node (details in test_numa.c)
 * ------------------------------------------------------------------------- */

static void test_node_parameter_rules(void **state) {
  kp_system_t *sys = *state; // one node
  kp_pool_param_t n = node_param(0, false);
  expect_ok(sys, KPT_NP, &n, 1);
  expect_ok(sys, KP_POOL_FLAG_NON_PAGED_EXECUTE, &n, 1);
  // Only valid with non-paged pool: required fails, optional is dropped.
  expect_refused(sys, KPT_PG, &n, 1, KP_PARAMS_NODE_NEEDS_NONPAGED,
                 KP_STATUS_INVALID_PARAMETER_4, 0);
  n.optional = true;
  expect_ok(sys, KPT_PG, &n, 1);
  // A node that does not exist: failure, unless MM_ANY_NODE_OK.
  kp_pool_param_t missing = node_param(1, false);
  expect_refused(sys, KPT_NP, &missing, 1, KP_PARAMS_BAD_NODE,
                 KP_STATUS_INVALID_PARAMETER_4, 0);
  missing.optional = true;
  expect_refused(sys, KPT_NP, &missing, 1, KP_PARAMS_BAD_NODE,
                 KP_STATUS_INVALID_PARAMETER_4, 0);
  missing = node_param(0x7FFFFFFF, false);
  expect_refused(sys, KPT_NP, &missing, 1, KP_PARAMS_BAD_NODE,
                 KP_STATUS_INVALID_PARAMETER_4, 0);
  kp_pool_param_t any = node_param(5 | KP_NODE_ANY_OK, false);
  expect_ok(sys, KPT_NP, &any, 1);
  kp_params_result_t r;
  kp_params_check(sys, KPT_NP, KPT_TAG1, &any, 1, &r);
  assert_int_equal(r.node, KP_NODE_NONE);
  assert_false(r.node_strict);
}

/* ---------------------------------------------------------------------------
 * Flags and tag come first, as in ExAllocatePool2
 * ------------------------------------------------------------------------- */

static void test_flags_and_tag(void **state) {
  kp_system_t *sys = *state;
  kp_pool_param_t p = prio(KP_PRIORITY_HIGH, false);
  const kp_pool_flags_t bad[] = {0, KPT_NP | KPT_PG, KP_POOL_FLAG_SESSION | KPT_NP,
                                 KP_POOL_FLAG_RESERVED1 | KPT_NP,
                                 0x800ull | KPT_NP, 0x80000000ull | KPT_PG};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_null(kp_alloc3(sys, bad[i], 40, KPT_TAG1, &p, 1, KP_HERE));
    assert_null(kp_alloc3(sys, bad[i], 40, KPT_TAG1, NULL, 0, KP_HERE));
    kp_params_result_t r;
    assert_int_equal(kp_params_check(sys, bad[i], KPT_TAG1, &p, 1, &r),
                     KP_STATUS_INVALID_PARAMETER_1);
    assert_int_equal(r.reason, KP_PARAMS_BAD_FLAGS);
  }
  // Unknown optional flag bits are ignored.
  expect_ok(sys, KPT_NP | 0x0000004000000000ull, &p, 1);
  assert_null(kp_alloc3(sys, KPT_NP, 40, 0, &p, 1, KP_HERE));
  kp_params_result_t r;
  assert_int_equal(kp_params_check(sys, KPT_NP, 0, &p, 1, &r),
                   KP_STATUS_INVALID_PARAMETER_3);
  assert_int_equal(r.reason, KP_PARAMS_ZERO_TAG);
  assert_int_equal(kp_params_check(NULL, KPT_NP, KPT_TAG1, &p, 1, &r),
                   KP_STATUS_INVALID_PARAMETER);
  assert_null(kp_alloc3(NULL, KPT_NP, 40, KPT_TAG1, &p, 1, KP_HERE));
  // An unhandled raise is bug check 0x1E, as for ExAllocatePool2.
  // P1 is the status, sign-extended as Windows shows it.
  KPT_EXPECT_BUGCHECK(0x1E, (uint64_t)(int64_t)KP_STATUS_INSUFFICIENT_RESOURCES,
                      (void)kp_alloc3(sys, KPT_NP | KP_POOL_FLAG_RAISE_ON_FAILURE,
                                      40, KPT_TAG1, NULL, 3, KP_HERE));
}

static void test_bugchecks_like_pool2(void **state) {
  kp_system_t *sys = *state;
  kp_pool_param_t p = prio(KP_PRIORITY_HIGH, false);
  KPT_EXPECT_BUGCHECK(0xC4, 0x00, (void)kp_alloc3(sys, KPT_NP, 0, KPT_TAG1, &p, 1, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC2, 0x9C, (void)kp_alloc3(sys, KPT_NP, 8, 0x20474942u, &p, 1, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC2, 0x9D, (void)kp_alloc3(sys, KPT_NP, 8, KP_TAG('-', '-', '-', '-'), &p, 1, KP_HERE));
  (void)kp_irql_set(KP_DISPATCH_LEVEL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x01, (void)kp_alloc3(sys, KPT_PG, 8, KPT_TAG1, &p, 1, KP_HERE));
  void *np = kp_alloc3(sys, KPT_NP, 8, KPT_TAG1, &p, 1, KP_HERE);
  assert_non_null(np);
  kp_free2(sys, np, KPT_TAG1, NULL, 0, KP_HERE);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
}

/* ---------------------------------------------------------------------------
 * ExFreePool2 on ordinary blocks
 * ------------------------------------------------------------------------- */

static void test_free2_ordinary(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_NP, 64, KPT_TAG1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC2, 0x0A, kp_free2(sys, p, KPT_TAG2, NULL, 0, KP_HERE));
  assert_int_equal(kpt_last.p[2], KPT_TAG1);
  assert_int_equal(kpt_last.p[3], KPT_TAG2);
  // The rejected free left the block alone.
  assert_true(kp_block_query(sys, p, NULL));
  KP_ASSERT_NO_BUGCHECK(sys, kp_free2(sys, p, KPT_TAG1, NULL, 0, KP_HERE));
  assert_false(kp_block_query(sys, p, NULL));
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, kp_free2(sys, p, KPT_TAG1, NULL, 0, KP_HERE));
  void *q = kp_alloc2(sys, KPT_PG, 64, KPT_TAG1, KP_HERE);
  // Tag 0: no check; a non-NULL array with count 0 is not read.
  KP_ASSERT_NO_BUGCHECK(sys, kp_free2(sys, q, 0, (const kp_pool_param_t *)(uintptr_t)0x10, 0, KP_HERE));
  assert_false(kp_block_query(sys, q, NULL));
  int local;
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free2(sys, &local, 0, NULL, 0, KP_HERE));
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free2(sys, NULL, 0, NULL, 0, KP_HERE));
}

static void test_free2_bad_parameters_on_ordinary_blocks(void **state) {
  kp_system_t *sys = *state;
  void *p = kp_alloc2(sys, KPT_NP, 64, KPT_TAG1, KP_HERE);
  uint64_t a = (uint64_t)(uintptr_t)p;
  kp_pool_param_t pr = prio(KP_PRIORITY_HIGH, false);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, KPT_TAG1, &pr, 1, KP_HERE));
  assert_int_equal(kpt_last.p[1], a);
  assert_int_equal(kpt_last.p[2], 1);
  assert_int_equal(kpt_last.p[3], KP_FREE2_BAD_TYPE);
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, KPT_TAG1, NULL, 5, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_NULL_ARRAY);
  kp_pool_param_t arr[3] = {pr, pr, pr};
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                      kp_free2(sys, p, KPT_TAG1, arr, 3, KP_HERE));
  assert_int_equal(kpt_last.p[3], KP_FREE2_BAD_COUNT);
  // A well-formed secure parameter on an ordinary block: not in the pool.
  kp_secure_pool_t h = NULL;
  assert_int_equal(kp_secure_pool_create(sys, 1, KPT_TAG2, NULL, &h, KP_HERE),
                   KP_STATUS_SUCCESS);
  kp_secure_params_t sp = {h, NULL, 1, 0};
  kp_pool_param_t sec = param(KP_PARAM_SECURE_POOL, false, 0);
  sec.value.secure = &sp;
  KPT_EXPECT_BUGCHECK(0xC2, KP_C2_SECURE_NOT_IN_POOL,
                      kp_free2(sys, p, KPT_TAG1, &sec, 1, KP_HERE));
  // Nothing was freed.
  assert_true(kp_block_query(sys, p, NULL));
  kp_free2(sys, p, KPT_TAG1, NULL, 0, KP_HERE);
  kp_secure_pool_destroy(sys, h, KP_HERE);
}

/* ---------------------------------------------------------------------------
 * The WDK face
 * ------------------------------------------------------------------------- */

static int wdk_setup(void **state) {
  int rc = kpt_setup(state);
  if (rc == 0) kp_system_set_current(*state);
  return rc;
}

static void test_wdk_layout(void **state) {
  (void)state;
  assert_int_equal(sizeof(POOL_EXTENDED_PARAMETER), 16);
  assert_int_equal(offsetof(POOL_EXTENDED_PARAMETER, Reserved2), 8);
  assert_int_equal(sizeof(POOL_EXTENDED_PARAMS_SECURE_POOL), 32);
  assert_int_equal(sizeof(PROCESSOR_NUMBER), 4);
  assert_int_equal(POOL_EXTENDED_PARAMETER_RESERVED_BITS, 55);
  // The bit fields sit where the WDK puts them: Type in bits 0..7,
  // Optional in bit 8, Reserved in bits 9..63.
  POOL_EXTENDED_PARAMETER p;
  memset(&p, 0, sizeof p);
  p.Type = PoolExtendedParameterNumaNode;
  p.Optional = 1;
  p.Reserved = 5;
  uint64_t word;
  memcpy(&word, &p, sizeof word);
  assert_int_equal(word, 3u | (1u << 8) | (5ull << 9));
  p.Reserved = (1ull << 55) - 1;
  memcpy(&word, &p, sizeof word);
  assert_int_equal(word >> 9, (1ull << 55) - 1);
  assert_int_equal(PoolExtendedParameterPriority, 1);
  assert_int_equal(PoolExtendedParameterSecurePool, 2);
  assert_int_equal(PoolExtendedParameterNumaNode, 3);
  assert_int_equal(PoolExtendedParameterMax, 4);
  assert_int_equal(SECURE_POOL_FLAGS_FREEABLE, 1);
  assert_int_equal(SECURE_POOL_FLAGS_MODIFIABLE, 2);
  assert_int_equal(POOL_CREATE_FLG_SECURE_POOL, 1);
  assert_int_equal(POOL_CREATE_FLG_USE_GLOBAL_POOL, 2);
  assert_int_equal(POOL_CREATE_FLG_VALID_FLAGS, 3);
  assert_int_equal(POOL_CREATE_PARAMS_VERSION, 1);
  assert_int_equal(MM_ANY_NODE_OK, 0x80000000u);
}

static void test_wdk_allocate_pool3(void **state) {
  kp_system_t *sys = *state;
  POOL_EXTENDED_PARAMETER params[2];
  memset(params, 0, sizeof params);
  params[0].Type = PoolExtendedParameterPriority;
  params[0].Priority = HighPoolPriority;
  params[1].Type = PoolExtendedParameterNumaNode;
  params[1].PreferredNode = 0 | MM_ANY_NODE_OK;
  PVOID p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 2);
  assert_non_null(p);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_int_equal(info.priority, KP_PRIORITY_HIGH);
  assert_int_equal(info.api, KP_API_ALLOCATE_POOL3);
  assert_int_equal(info.tag, 'gaT1');
  assert_non_null(info.site.file);
  assert_non_null(strstr(info.site.file, "test_pool3.c"));
  ExFreePool2(p, 'gaT1', NULL, 0);

  // Every field reaches the core: Reserved bits, unknown required types,
  // optional ones, duplicates.
  params[1].Reserved = 1;
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 2));
  params[1].Reserved = 0;
  params[1].Type = 42;
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 2));
  params[1].Optional = 1;
  p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 2);
  assert_non_null(p);
  ExFreePool2(p, 'gaT1', NULL, 0);
  params[1] = params[0];
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 2));
  params[0].Priority = (EX_POOL_PRIORITY)3;
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 1));
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', NULL, 1));
  assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 100, 'gaT1', params, 17));
  p = ExAllocatePool3(POOL_FLAG_PAGED, 100, 'gaT1', params, 0);
  assert_non_null(p);
  ExFreePool(p);
  volatile NTSTATUS got = 0;
  KP_TRY {
    (void)ExAllocatePool3(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 100,
                          'gaT1', NULL, 2);
  } KP_EXCEPT(st) {
    got = st;
  } KP_END_TRY;
  assert_int_equal(got, STATUS_INSUFFICIENT_RESOURCES);
}

static void test_wdk_function_pointers(void **state) {
  kp_system_t *sys = *state;
  // Taking the address reaches the exported functions (no call-site macro):
  // the site is the caller's return address.
  PVOID (*alloc3)(POOL_FLAGS, SIZE_T, ULONG, PCPOOL_EXTENDED_PARAMETER, ULONG) =
      ExAllocatePool3;
  VOID (*free2)(PVOID, ULONG, PCPOOL_EXTENDED_PARAMETER, ULONG) = ExFreePool2;
  PVOID p = alloc3(POOL_FLAG_PAGED, 10, 'gaT1', NULL, 0);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  assert_null(info.site.file);
  assert_non_null(info.site.caller);
  free2(p, 'gaT1', NULL, 0);
  p = (ExAllocatePool3)(POOL_FLAG_PAGED, 10, 'gaT1', NULL, 0);
  assert_non_null(p);
  (ExFreePool2)(p, 'gaT1', NULL, 0);
}

static void test_wdk_free_pool2_bugchecks(void **state) {
  kp_system_t *sys = *state;
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'gaT1');
  POOL_EXTENDED_PARAMETER e;
  memset(&e, 0, sizeof e);
  e.Type = PoolExtendedParameterPriority;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, KP_C2_FREE2_BAD_PARAMETERS,
                            (uint64_t)(uintptr_t)p, 1, KP_FREE2_BAD_TYPE,
                            ExFreePool2(p, 'gaT1', &e, 1));
  e.Type = PoolExtendedParameterSecurePool;
  e.Reserved = 3;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, KP_C2_FREE2_BAD_PARAMETERS, KP_ANY, 1,
                            KP_FREE2_RESERVED_BITS, ExFreePool2(p, 'gaT1', &e, 1));
  e.Reserved = 0;
  e.SecurePoolParams = NULL;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, KP_C2_FREE2_BAD_PARAMETERS, KP_ANY, 1,
                            KP_FREE2_NULL_SECURE, ExFreePool2(p, 'gaT1', &e, 1));
  KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A, ExFreePool2(p, 'gaT2', NULL, 0));
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePool2(p, 'gaT1', NULL, 0));
}

static void test_wdk_secure_pool(void **state) {
  kp_system_t *sys = *state;
  HANDLE pool = NULL;
  assert_int_equal(ExCreatePool(0, 'looP', NULL, &pool), STATUS_INVALID_PARAMETER_1);
  assert_null(pool);
  POOL_CREATE_EXTENDED_PARAMS cp = {2};
  assert_int_equal(ExCreatePool(POOL_CREATE_FLG_SECURE_POOL, 'looP', &cp, &pool),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(ExCreatePool(POOL_CREATE_FLG_SECURE_POOL, 'looP', NULL, NULL),
                   STATUS_INVALID_PARAMETER_4);
  cp.Version = POOL_CREATE_PARAMS_VERSION;
  assert_int_equal(ExCreatePool(POOL_CREATE_FLG_SECURE_POOL, 'looP', &cp, &pool),
                   STATUS_SUCCESS);
  assert_non_null(pool);
  kp_secure_pool_info_t pi;
  assert_true(kp_secure_pool_query(sys, (kp_secure_pool_t)pool, &pi));
  assert_non_null(strstr(pi.site.file, "test_pool3.c"));

  char init[16] = "configuration!";
  POOL_EXTENDED_PARAMS_SECURE_POOL sp;
  memset(&sp, 0, sizeof sp);
  sp.SecurePoolHandle = pool;
  sp.Buffer = init;
  sp.Cookie = 0xC0FFEE;
  sp.SecurePoolFlags = SECURE_POOL_FLAGS_FREEABLE | SECURE_POOL_FLAGS_MODIFIABLE;
  POOL_EXTENDED_PARAMETER e;
  memset(&e, 0, sizeof e);
  e.Type = PoolExtendedParameterSecurePool;
  e.SecurePoolParams = &sp;
  char *p = ExAllocatePool3(POOL_FLAG_NON_PAGED, sizeof init, 'gfnC', &e, 1);
  assert_non_null(p);
  assert_string_equal(p, "configuration!");
  assert_int_equal(ExSecurePoolValidate(pool, 'gfnC', p, 0xC0FFEE), TRUE);
  assert_int_equal(ExSecurePoolValidate(pool, 'gfnC', p, 0xC0FFEF), FALSE);
  assert_int_equal(ExSecurePoolValidate(pool, 'gfnX', p, 0xC0FFEE), FALSE);
  assert_int_equal(ExSecurePoolUpdate(pool, 'gfnC', p, 0xC0FFEE, 0, 6, "CONFIG"),
                   STATUS_SUCCESS);
  assert_string_equal(p, "CONFIGuration!");
  assert_int_equal(ExSecurePoolUpdate(pool, 'gfnC', p, 0xC0FFEE, 10, 7, "xxxxxxx"),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(ExSecurePoolUpdate(NULL, 'gfnC', p, 0xC0FFEE, 0, 1, "x"),
                   STATUS_INVALID_HANDLE);
  // ExFreePool / ExFreePoolWithTag on secure memory: BAD_POOL_CALLER.
  KP_ASSERT_BUGCHECK(sys, 0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS, ExFreePool(p));
  KP_ASSERT_BUGCHECK(sys, 0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS,
                     ExFreePoolWithTag(p, 'gfnC'));
  // The free: handle and cookie, Buffer NULL, flags 0.
  POOL_EXTENDED_PARAMS_SECURE_POOL fp;
  memset(&fp, 0, sizeof fp);
  fp.SecurePoolHandle = pool;
  fp.Cookie = 0xBAD;
  e.SecurePoolParams = &fp;
  KP_ASSERT_BUGCHECK(sys, 0xC2, KP_C2_SECURE_BAD_COOKIE, ExFreePool2(p, 'gfnC', &e, 1));
  fp.Cookie = 0xC0FFEE;
  fp.SecurePoolFlags = 1;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, KP_C2_FREE2_BAD_PARAMETERS, KP_ANY, 1,
                            KP_FREE2_FLAGS_NOT_ZERO, ExFreePool2(p, 'gfnC', &e, 1));
  fp.SecurePoolFlags = 0;
  fp.Buffer = init;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, KP_C2_FREE2_BAD_PARAMETERS, KP_ANY, 1,
                            KP_FREE2_BUFFER_NOT_NULL, ExFreePool2(p, 'gfnC', &e, 1));
  fp.Buffer = NULL;
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePool2(p, 'gfnC', &e, 1));
  assert_int_equal(ExSecurePoolValidate(pool, 'gfnC', p, 0xC0FFEE), FALSE);
  KP_ASSERT_NO_BUGCHECK(sys, ExDestroyPool(pool));
  KP_ASSERT_BUGCHECK(sys, 0xC2, KP_C2_SECURE_BAD_HANDLE, ExDestroyPool(pool));
  // Through the function pointer too.
  NTSTATUS (*create)(ULONG, ULONG_PTR, POOL_CREATE_EXTENDED_PARAMS *, HANDLE *) =
      ExCreatePool;
  VOID (*destroy)(HANDLE) = ExDestroyPool;
  assert_int_equal(create(POOL_CREATE_FLG_SECURE_POOL, 'looP', NULL, &pool),
                   STATUS_SUCCESS);
  destroy(pool);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_no_parameters, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_null_array_and_too_many, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_reserved_bits, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_unknown_types, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_types, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_priority_values, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_node_parameter_rules, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_flags_and_tag, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_bugchecks_like_pool2, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free2_ordinary, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free2_bad_parameters_on_ordinary_blocks, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wdk_layout, wdk_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wdk_allocate_pool3, wdk_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wdk_function_pointers, wdk_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wdk_free_pool2_bugchecks, wdk_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_wdk_secure_pool, wdk_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
