/*
 * test_wdk_types.c — the WDK face's types, widths, layouts and constant
 * values against the Windows facts (facts §1, §2, §7), and the switches a
 * translation unit can set before including: KPOOL_NO_CALL_SITES (this file
 * defines it) and DBG (left to the default, a checked build).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#define KPOOL_NO_CALL_SITES
#include <ntifs.h>

#include <kpool/kpool.h>

/* With KPOOL_NO_CALL_SITES the allocation names are not macros, except
 * ExFreePool, which ntddk.h maps to ExFreePoolWithTag(a, 0) as the WDK does. */
#if defined(ExAllocatePool2) || defined(ExAllocatePoolWithTag) ||              \
    defined(ExFreePoolWithTag) || defined(ExAllocatePoolZero)
#error "KPOOL_NO_CALL_SITES must leave the allocation names alone"
#endif
#ifndef ExFreePool
#error "ntddk.h maps ExFreePool to ExFreePoolWithTag(a, 0)"
#endif
/* A checked build by default. */
#if !DBG
#error "DBG defaults to 1"
#endif
/* Values usable in #if, as in the WDK. */
#if PAGE_SIZE != 4096 || HIGH_LEVEL != 15 || MM_ANY_NODE_OK != 0x80000000
#error "preprocessor-visible constants"
#endif
#if POOL_FLAG_UNUSED_REQUIRED_BITS != 0xFFFFF800
#error "POOL_FLAG_UNUSED_REQUIRED_BITS"
#endif

static void test_integer_widths(void **state) {
  (void)state;
  assert_int_equal(sizeof(CHAR), 1);
  assert_int_equal(sizeof(UCHAR), 1);
  assert_int_equal(sizeof(CCHAR), 1);
  assert_int_equal(sizeof(SHORT), 2);
  assert_int_equal(sizeof(USHORT), 2);
  assert_int_equal(sizeof(CSHORT), 2);
  assert_int_equal(sizeof(LONG), 4);
  assert_int_equal(sizeof(ULONG), 4);
  assert_int_equal(sizeof(LONG64), 8);
  assert_int_equal(sizeof(ULONG64), 8);
  assert_int_equal(sizeof(LONGLONG), 8);
  assert_int_equal(sizeof(ULONGLONG), 8);
  assert_int_equal(sizeof(ULONG_PTR), sizeof(void *));
  assert_int_equal(sizeof(LONG_PTR), sizeof(void *));
  assert_int_equal(sizeof(SIZE_T), sizeof(void *));
  assert_int_equal(sizeof(SSIZE_T), sizeof(void *));
  assert_int_equal(sizeof(KAFFINITY), sizeof(void *));
  assert_int_equal(sizeof(BOOLEAN), 1);
  assert_int_equal(sizeof(LOGICAL), 4);
  assert_int_equal(sizeof(WCHAR), 2);
  assert_int_equal(sizeof(NTSTATUS), 4);
  assert_int_equal(sizeof(KIRQL), 1);
  assert_int_equal(sizeof(HANDLE), sizeof(void *));
  assert_int_equal(sizeof(PVOID), sizeof(void *));
  assert_int_equal(sizeof(POOL_FLAGS), 8);
  assert_int_equal(sizeof(NODE_REQUIREMENT), 4);
  assert_int_equal(sizeof(KSPIN_LOCK), sizeof(void *));
}

static void test_integer_signedness(void **state) {
  (void)state;
  assert_true((ULONG)-1 == 0xFFFFFFFFu);
  assert_true((LONG)-1 < 0);
  assert_true((USHORT)-1 == 0xFFFFu);
  assert_true((SHORT)-1 < 0);
  assert_true((UCHAR)-1 == 0xFFu);
  assert_true((ULONG64)-1 == 0xFFFFFFFFFFFFFFFFull);
  assert_true((LONG64)-1 < 0);
  assert_true((ULONG_PTR)-1 > 0);
  assert_true((LONG_PTR)-1 < 0);
  assert_true((SSIZE_T)-1 < 0);
  assert_true((WCHAR)-1 == 0xFFFFu);
  assert_true((NTSTATUS)0xC0000001u < 0);
  assert_int_equal(TRUE, 1);
  assert_int_equal(FALSE, 0);
}

static void test_struct_layouts(void **state) {
  (void)state;
  // x64 layouts: kpool simulates 64-bit Windows on 64-bit hosts.
  assert_int_equal(sizeof(void *), 8);
  assert_int_equal(sizeof(LARGE_INTEGER), 8);
  assert_int_equal(sizeof(ULARGE_INTEGER), 8);
  assert_int_equal(sizeof(UNICODE_STRING), 16);
  assert_int_equal(offsetof(UNICODE_STRING, Length), 0);
  assert_int_equal(offsetof(UNICODE_STRING, MaximumLength), 2);
  assert_int_equal(offsetof(UNICODE_STRING, Buffer), 8);
  assert_int_equal(sizeof(ANSI_STRING), 16);
  assert_int_equal(sizeof(LIST_ENTRY), 16);
  assert_int_equal(offsetof(LIST_ENTRY, Blink), 8);
  assert_int_equal(sizeof(SINGLE_LIST_ENTRY), 8);
  assert_int_equal(sizeof(FAST_MUTEX), 0x38);
  assert_int_equal(_Alignof(FAST_MUTEX), 8);
  assert_int_equal(sizeof(KGUARDED_MUTEX), 0x38);
}

static void test_large_integer_halves(void **state) {
  (void)state;
  LARGE_INTEGER li;
  li.QuadPart = 0x1122334455667788LL;
  assert_int_equal(li.LowPart, 0x55667788u);
  assert_int_equal(li.HighPart, 0x11223344);
  assert_int_equal(li.u.LowPart, 0x55667788u);
  assert_int_equal(li.u.HighPart, 0x11223344);
  li.QuadPart = -1;
  assert_true(li.HighPart == -1);
  ULARGE_INTEGER ul;
  ul.QuadPart = 0xFFFFFFFF00000001ULL;
  assert_int_equal(ul.LowPart, 1);
  assert_int_equal(ul.HighPart, 0xFFFFFFFFu);
}

static void test_pool_flags_values(void **state) {
  (void)state;
  assert_true(POOL_FLAG_REQUIRED_START == 0x0000000000000001ULL);
  assert_true(POOL_FLAG_USE_QUOTA == 0x0000000000000001ULL);
  assert_true(POOL_FLAG_UNINITIALIZED == 0x0000000000000002ULL);
  assert_true(POOL_FLAG_SESSION == 0x0000000000000004ULL);
  assert_true(POOL_FLAG_CACHE_ALIGNED == 0x0000000000000008ULL);
  assert_true(POOL_FLAG_RESERVED1 == 0x0000000000000010ULL);
  assert_true(POOL_FLAG_RAISE_ON_FAILURE == 0x0000000000000020ULL);
  assert_true(POOL_FLAG_NON_PAGED == 0x0000000000000040ULL);
  assert_true(POOL_FLAG_NON_PAGED_EXECUTE == 0x0000000000000080ULL);
  assert_true(POOL_FLAG_PAGED == 0x0000000000000100ULL);
  assert_true(POOL_FLAG_RESERVED2 == 0x0000000000000200ULL);
  assert_true(POOL_FLAG_RESERVED3 == 0x0000000000000400ULL);
  assert_true(POOL_FLAG_LAST_KNOWN_REQUIRED == POOL_FLAG_RESERVED3);
  assert_true(POOL_FLAG_REQUIRED_END == 0x0000000080000000ULL);
  assert_true(POOL_FLAG_OPTIONAL_START == 0x0000000100000000ULL);
  assert_true(POOL_FLAG_SPECIAL_POOL == 0x0000000100000000ULL);
  assert_true(POOL_FLAG_OPTIONAL_END == 0x8000000000000000ULL);
  assert_true(POOL_FLAG_REQUIRED_MASK == 0x00000000FFFFFFFFULL);
  assert_true(POOL_FLAG_UNUSED_REQUIRED_BITS == 0x00000000FFFFF800ULL);
  // The flags are 64-bit values (POOL_FLAGS), not ints.
  assert_int_equal(sizeof(POOL_FLAG_OPTIONAL_END), 8);
  assert_int_equal(sizeof(POOL_FLAG_NON_PAGED), 8);
}

static void test_pool_type_values(void **state) {
  (void)state;
  const struct {
    POOL_TYPE type;
    int value;
  } types[] = {{NonPagedPool, 0},
               {NonPagedPoolExecute, 0},
               {PagedPool, 1},
               {NonPagedPoolMustSucceed, 2},
               {DontUseThisType, 3},
               {NonPagedPoolCacheAligned, 4},
               {PagedPoolCacheAligned, 5},
               {NonPagedPoolCacheAlignedMustS, 6},
               {MaxPoolType, 7},
               {NonPagedPoolBase, 0},
               {NonPagedPoolBaseMustSucceed, 2},
               {NonPagedPoolBaseCacheAligned, 4},
               {NonPagedPoolBaseCacheAlignedMustS, 6},
               {NonPagedPoolSession, 32},
               {PagedPoolSession, 33},
               {NonPagedPoolMustSucceedSession, 34},
               {DontUseThisTypeSession, 35},
               {NonPagedPoolCacheAlignedSession, 36},
               {PagedPoolCacheAlignedSession, 37},
               {NonPagedPoolCacheAlignedMustSSession, 38},
               {NonPagedPoolNx, 512},
               {NonPagedPoolNxCacheAligned, 516},
               {NonPagedPoolSessionNx, 544}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    assert_int_equal((int)types[i].type, types[i].value);
  }
  assert_int_equal(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 8);
  assert_int_equal(POOL_RAISE_IF_ALLOCATION_FAILURE, 16);
  assert_int_equal(POOL_COLD_ALLOCATION, 256);
  assert_int_equal(POOL_NX_ALLOCATION, 512);
  assert_int_equal(POOL_ZERO_ALLOCATION, 1024);
  assert_int_equal(PROTECTED_POOL, 0);
  assert_int_equal(sizeof(POOL_TYPE), 4);
}

static void test_priority_values(void **state) {
  (void)state;
  assert_int_equal(LowPoolPriority, 0);
  assert_int_equal(LowPoolPrioritySpecialPoolOverrun, 8);
  assert_int_equal(LowPoolPrioritySpecialPoolUnderrun, 9);
  assert_int_equal(NormalPoolPriority, 16);
  assert_int_equal(NormalPoolPrioritySpecialPoolOverrun, 24);
  assert_int_equal(NormalPoolPrioritySpecialPoolUnderrun, 25);
  assert_int_equal(HighPoolPriority, 32);
  assert_int_equal(HighPoolPrioritySpecialPoolOverrun, 40);
  assert_int_equal(HighPoolPrioritySpecialPoolUnderrun, 41);
}

static void test_machine_constants(void **state) {
  (void)state;
  assert_int_equal(PASSIVE_LEVEL, 0);
  assert_int_equal(LOW_LEVEL, 0);
  assert_int_equal(APC_LEVEL, 1);
  assert_int_equal(DISPATCH_LEVEL, 2);
  assert_int_equal(CMCI_LEVEL, 5);
  assert_int_equal(CLOCK_LEVEL, 13);
  assert_int_equal(IPI_LEVEL, 14);
  assert_int_equal(DRS_LEVEL, 14);
  assert_int_equal(POWER_LEVEL, 14);
  assert_int_equal(PROFILE_LEVEL, 15);
  assert_int_equal(HIGH_LEVEL, 15);
  assert_int_equal(PAGE_SIZE, 0x1000);
  assert_int_equal(PAGE_SHIFT, 12);
  assert_int_equal(MEMORY_ALLOCATION_ALIGNMENT, 16);
  assert_int_equal(SYSTEM_CACHE_ALIGNMENT_SIZE, 64);
  assert_int_equal(MM_ANY_NODE_OK, 0x80000000u);
  assert_int_equal(DrvRtPoolNxOptIn, 1);
  assert_int_equal(DPFLTR_IHVDRIVER_ID, 77);
  assert_int_equal(DPFLTR_ERROR_LEVEL, 0);
  assert_int_equal(DPFLTR_INFO_LEVEL, 3);
  assert_int_equal(DPFLTR_MASK, 0x80000000u);
}

static void test_status_values(void **state) {
  (void)state;
  const struct {
    NTSTATUS status;
    ULONG value;
  } codes[] = {
      {STATUS_SUCCESS, 0x00000000u},
      {STATUS_TIMEOUT, 0x00000102u},
      {STATUS_PENDING, 0x00000103u},
      {STATUS_DATATYPE_MISALIGNMENT, 0x80000002u},
      {STATUS_BREAKPOINT, 0x80000003u},
      {STATUS_BUFFER_OVERFLOW, 0x80000005u},
      {STATUS_UNSUCCESSFUL, 0xC0000001u},
      {STATUS_NOT_IMPLEMENTED, 0xC0000002u},
      {STATUS_INVALID_INFO_CLASS, 0xC0000003u},
      {STATUS_ACCESS_VIOLATION, 0xC0000005u},
      {STATUS_PAGEFILE_QUOTA, 0xC0000007u},
      {STATUS_INVALID_HANDLE, 0xC0000008u},
      {STATUS_INVALID_PARAMETER, 0xC000000Du},
      {STATUS_INVALID_DEVICE_REQUEST, 0xC0000010u},
      {STATUS_NO_MEMORY, 0xC0000017u},
      {STATUS_ACCESS_DENIED, 0xC0000022u},
      {STATUS_BUFFER_TOO_SMALL, 0xC0000023u},
      {STATUS_INVALID_PARAMETER_MIX, 0xC0000030u},
      {STATUS_QUOTA_EXCEEDED, 0xC0000044u},
      {STATUS_INTEGER_OVERFLOW, 0xC0000095u},
      {STATUS_INSUFFICIENT_RESOURCES, 0xC000009Au},
      {STATUS_WORKING_SET_QUOTA, 0xC00000A1u},
      {STATUS_NOT_SUPPORTED, 0xC00000BBu},
      {STATUS_INVALID_PARAMETER_1, 0xC00000EFu},
      {STATUS_INVALID_PARAMETER_2, 0xC00000F0u},
      {STATUS_INVALID_PARAMETER_3, 0xC00000F1u},
      {STATUS_INVALID_PARAMETER_4, 0xC00000F2u},
      {STATUS_INVALID_PARAMETER_5, 0xC00000F3u},
      {STATUS_INVALID_PARAMETER_6, 0xC00000F4u},
      {STATUS_INVALID_PARAMETER_7, 0xC00000F5u},
      {STATUS_INVALID_PARAMETER_8, 0xC00000F6u},
      {STATUS_INVALID_PARAMETER_9, 0xC00000F7u},
      {STATUS_INVALID_PARAMETER_10, 0xC00000F8u},
      {STATUS_INVALID_PARAMETER_11, 0xC00000F9u},
      {STATUS_INVALID_PARAMETER_12, 0xC00000FAu},
      {STATUS_CANCELLED, 0xC0000120u},
      {STATUS_COMMITMENT_LIMIT, 0xC000012Du},
      {STATUS_INVALID_ADDRESS, 0xC0000141u},
      {STATUS_INVALID_BUFFER_SIZE, 0xC0000206u},
      {STATUS_NOT_FOUND, 0xC0000225u},
      {STATUS_HEAP_CORRUPTION, 0xC0000374u},
      {STATUS_STACK_BUFFER_OVERRUN, 0xC0000409u},
      {STATUS_ASSERTION_FAILURE, 0xC0000420u},
  };
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    assert_int_equal((ULONG)codes[i].status, codes[i].value);
    // Each is an NTSTATUS (a LONG): the error codes are negative.
    assert_int_equal(codes[i].status < 0, (codes[i].value >> 31) != 0);
  }
}

/* Every status of the core's map has its STATUS_ name with the same value
 * (a missing name fails to compile). */
#define CHECK_STATUS_(name, value, text)                                       \
  assert_int_equal((ULONG)STATUS_##name, (ULONG)(value));                      \
  assert_int_equal(STATUS_##name, KP_STATUS_##name);

static void test_status_names_cover_the_core_map(void **state) {
  (void)state;
  KP_STATUS_MAP(CHECK_STATUS_)
}

static void test_status_classes(void **state) {
  (void)state;
  assert_true(NT_SUCCESS(STATUS_SUCCESS));
  assert_true(NT_SUCCESS(STATUS_TIMEOUT));
  assert_true(NT_SUCCESS((NTSTATUS)0x40000000));
  assert_false(NT_SUCCESS(STATUS_BREAKPOINT));
  assert_false(NT_SUCCESS(STATUS_UNSUCCESSFUL));
  assert_true(NT_INFORMATION((NTSTATUS)0x40000001));
  assert_false(NT_INFORMATION(STATUS_PENDING));
  assert_true(NT_WARNING(STATUS_DATATYPE_MISALIGNMENT));
  assert_false(NT_WARNING(STATUS_ACCESS_DENIED));
  assert_true(NT_ERROR(STATUS_ACCESS_DENIED));
  assert_false(NT_ERROR(STATUS_SUCCESS));
  assert_false(NT_ERROR(STATUS_BUFFER_OVERFLOW));
}

static void test_multichar_tags(void **state) {
  (void)state;
  // C puts the first character in the most significant byte, as MSVC does.
  assert_int_equal((ULONG)'gaT1', 0x67615431u);
  assert_int_equal((ULONG)'Fred', 0x46726564u);
  assert_int_equal((ULONG)'sftN', 0x7366744Eu);
  assert_int_equal((ULONG)'enoN', 0x656E6F4Eu);
  assert_int_equal((ULONG)'ab', 0x6162u);
  // Little-endian memory holds the bytes reversed: 'gaT1' reads "1Tag",
  // so a tag that should show as "Tag1" is written '1gaT'.
  ULONG tag = '1gaT';
  assert_memory_equal(&tag, "Tag1", 4);
  assert_int_equal(tag, KP_TAG('T', 'a', 'g', '1'));
}

static void test_no_call_sites_uses_real_functions(void **state) {
  (void)state;
  kp_system_t *sys = kp_system_create(NULL);
  assert_non_null(sys);
  kp_system_t *old = kp_system_set_current(sys);
  PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, 'gaT1');
  assert_non_null(p);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, p, &info));
  // No macro: the real function recorded its caller, not a file and line.
  assert_null(info.site.file);
  assert_int_equal(info.site.line, 0);
  assert_non_null(info.site.caller);
  // ExFreePool is ntddk.h's ExFreePoolWithTag(a, 0): no tag check.
  ExFreePool(p);
  assert_false(kp_block_query(sys, p, &info) && info.address == p);
  assert_ptr_equal(kp_system_set_current(old), sys);
  kp_system_destroy(sys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_integer_widths),
      cmocka_unit_test(test_integer_signedness),
      cmocka_unit_test(test_struct_layouts),
      cmocka_unit_test(test_large_integer_halves),
      cmocka_unit_test(test_pool_flags_values),
      cmocka_unit_test(test_pool_type_values),
      cmocka_unit_test(test_priority_values),
      cmocka_unit_test(test_machine_constants),
      cmocka_unit_test(test_status_values),
      cmocka_unit_test(test_status_names_cover_the_core_map),
      cmocka_unit_test(test_status_classes),
      cmocka_unit_test(test_multichar_tags),
      cmocka_unit_test(test_no_call_sites_uses_real_functions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
