/*
 * wdk_types.c — compile-time proof that the WDK face has the widths and
 * values of 64-bit Windows, and that its names agree with the core's.
 * Nothing here generates code; a wrong width stops the build.
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/irql.h"
#include "kpool/pool.h"

/* Widths of 64-bit Windows, on every host. */
_Static_assert(sizeof(CHAR) == 1 && sizeof(UCHAR) == 1, "CHAR is 8 bits");
_Static_assert(sizeof(SHORT) == 2 && sizeof(USHORT) == 2, "SHORT is 16 bits");
_Static_assert(sizeof(LONG) == 4 && sizeof(ULONG) == 4, "LONG is 32 bits");
_Static_assert(sizeof(LONG64) == 8 && sizeof(ULONG64) == 8, "LONG64 is 64 bits");
_Static_assert(sizeof(LONGLONG) == 8 && sizeof(ULONGLONG) == 8,
               "LONGLONG is 64 bits");
_Static_assert(sizeof(ULONG_PTR) == sizeof(void *) &&
                   sizeof(LONG_PTR) == sizeof(void *),
               "ULONG_PTR is pointer-sized");
_Static_assert(sizeof(SIZE_T) == sizeof(void *) &&
                   sizeof(SSIZE_T) == sizeof(void *),
               "SIZE_T is pointer-sized");
_Static_assert(sizeof(BOOLEAN) == 1, "BOOLEAN is one byte");
_Static_assert(sizeof(LOGICAL) == 4, "LOGICAL is a ULONG");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR is UTF-16");
_Static_assert(sizeof(NTSTATUS) == 4, "NTSTATUS is a LONG");
_Static_assert(sizeof(KIRQL) == 1, "KIRQL is a UCHAR");
_Static_assert(sizeof(POOL_FLAGS) == 8, "POOL_FLAGS is a ULONG64");
_Static_assert(sizeof(LARGE_INTEGER) == 8 && sizeof(ULARGE_INTEGER) == 8,
               "LARGE_INTEGER is 8 bytes");
_Static_assert(offsetof(LARGE_INTEGER, HighPart) == 4,
               "LARGE_INTEGER halves are little-endian");
_Static_assert(sizeof(LIST_ENTRY) == 2 * sizeof(void *), "LIST_ENTRY");
_Static_assert(sizeof(SINGLE_LIST_ENTRY) == sizeof(void *), "SINGLE_LIST_ENTRY");
_Static_assert(sizeof(KSPIN_LOCK) == sizeof(void *), "KSPIN_LOCK is a word");

#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
/* x64 layouts (kpool simulates x64 Windows on 64-bit hosts). */
_Static_assert(sizeof(FAST_MUTEX) == 0x38, "FAST_MUTEX is 0x38 bytes on x64");
_Static_assert(sizeof(UNICODE_STRING) == 16, "UNICODE_STRING is 16 bytes");
_Static_assert(offsetof(UNICODE_STRING, Buffer) == 8, "UNICODE_STRING.Buffer");
#endif

/* Types the face shares with the core: no conversion hides between them. */
_Static_assert(_Generic((NTSTATUS)0, kp_status_t: 1, default: 0),
               "NTSTATUS is kp_status_t");
_Static_assert(_Generic((KIRQL)0, kp_irql_t: 1, default: 0),
               "KIRQL is kp_irql_t");
_Static_assert(_Generic((KSPIN_LOCK)0, kp_spin_lock_t: 1, default: 0),
               "KSPIN_LOCK is kp_spin_lock_t");
_Static_assert(_Generic((ULONG)0, kp_tag_t: 1, default: 0),
               "a ULONG tag is a kp_tag_t");
_Static_assert(sizeof(POOL_TYPE) == 4, "POOL_TYPE is an int-sized enum");

/* POOL_FLAG_* bit for bit as the core's. */
_Static_assert(POOL_FLAG_USE_QUOTA == KP_POOL_FLAG_USE_QUOTA, "USE_QUOTA");
_Static_assert(POOL_FLAG_UNINITIALIZED == KP_POOL_FLAG_UNINITIALIZED,
               "UNINITIALIZED");
_Static_assert(POOL_FLAG_SESSION == KP_POOL_FLAG_SESSION, "SESSION");
_Static_assert(POOL_FLAG_CACHE_ALIGNED == KP_POOL_FLAG_CACHE_ALIGNED,
               "CACHE_ALIGNED");
_Static_assert(POOL_FLAG_RESERVED1 == KP_POOL_FLAG_RESERVED1, "RESERVED1");
_Static_assert(POOL_FLAG_RAISE_ON_FAILURE == KP_POOL_FLAG_RAISE_ON_FAILURE,
               "RAISE_ON_FAILURE");
_Static_assert(POOL_FLAG_NON_PAGED == KP_POOL_FLAG_NON_PAGED, "NON_PAGED");
_Static_assert(POOL_FLAG_NON_PAGED_EXECUTE == KP_POOL_FLAG_NON_PAGED_EXECUTE,
               "NON_PAGED_EXECUTE");
_Static_assert(POOL_FLAG_PAGED == KP_POOL_FLAG_PAGED, "PAGED");
_Static_assert(POOL_FLAG_RESERVED2 == KP_POOL_FLAG_RESERVED2, "RESERVED2");
_Static_assert(POOL_FLAG_RESERVED3 == KP_POOL_FLAG_RESERVED3, "RESERVED3");
_Static_assert(POOL_FLAG_SPECIAL_POOL == KP_POOL_FLAG_SPECIAL_POOL,
               "SPECIAL_POOL");
_Static_assert(POOL_FLAG_REQUIRED_MASK == KP_POOL_FLAG_REQUIRED_MASK,
               "REQUIRED_MASK");
_Static_assert(POOL_FLAG_UNUSED_REQUIRED_BITS == 0xFFFFF800ULL,
               "UNUSED_REQUIRED_BITS");

/* POOL_TYPE values and modifier bits as the core reads them. */
_Static_assert(NonPagedPool == KP_POOL_TYPE_NONPAGED, "NonPagedPool");
_Static_assert(PagedPool == KP_POOL_TYPE_PAGED, "PagedPool");
_Static_assert(NonPagedPoolMustSucceed == KP_POOL_TYPE_NONPAGED_MUST_SUCCEED,
               "NonPagedPoolMustSucceed");
_Static_assert(DontUseThisType == KP_POOL_TYPE_DONT_USE, "DontUseThisType");
_Static_assert(NonPagedPoolCacheAligned == KP_POOL_TYPE_NONPAGED_CACHE_ALIGNED,
               "NonPagedPoolCacheAligned");
_Static_assert(PagedPoolCacheAligned == KP_POOL_TYPE_PAGED_CACHE_ALIGNED,
               "PagedPoolCacheAligned");
_Static_assert(NonPagedPoolCacheAlignedMustS ==
                   KP_POOL_TYPE_NONPAGED_CACHE_ALIGNED_MUST_S,
               "NonPagedPoolCacheAlignedMustS");
_Static_assert(NonPagedPoolSession == KP_POOL_TYPE_SESSION, "session base");
_Static_assert(NonPagedPoolNx == KP_POOL_TYPE_NONPAGED_NX, "NonPagedPoolNx");
_Static_assert(NonPagedPoolNxCacheAligned ==
                   KP_POOL_TYPE_NONPAGED_NX_CACHE_ALIGNED,
               "NonPagedPoolNxCacheAligned");
_Static_assert(NonPagedPoolSessionNx == KP_POOL_TYPE_NONPAGED_SESSION_NX,
               "NonPagedPoolSessionNx");
_Static_assert(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE ==
                   KP_POOL_QUOTA_FAIL_INSTEAD_OF_RAISE,
               "POOL_QUOTA_FAIL_INSTEAD_OF_RAISE");
_Static_assert(POOL_RAISE_IF_ALLOCATION_FAILURE ==
                   KP_POOL_RAISE_IF_ALLOCATION_FAILURE,
               "POOL_RAISE_IF_ALLOCATION_FAILURE");
_Static_assert(POOL_COLD_ALLOCATION == KP_POOL_COLD_ALLOCATION,
               "POOL_COLD_ALLOCATION");
_Static_assert(POOL_NX_ALLOCATION == KP_POOL_NX_ALLOCATION,
               "POOL_NX_ALLOCATION");
_Static_assert(POOL_ZERO_ALLOCATION == KP_POOL_ZERO_ALLOCATION,
               "POOL_ZERO_ALLOCATION");

/* EX_POOL_PRIORITY as kp_priority_t. */
_Static_assert((int)LowPoolPriority == (int)KP_PRIORITY_LOW, "Low");
_Static_assert((int)NormalPoolPriority == (int)KP_PRIORITY_NORMAL, "Normal");
_Static_assert((int)HighPoolPriority == (int)KP_PRIORITY_HIGH, "High");
_Static_assert((int)HighPoolPrioritySpecialPoolUnderrun ==
                   (int)KP_PRIORITY_HIGH_SPECIAL_UNDERRUN,
               "HighPoolPrioritySpecialPoolUnderrun");

/* IRQL levels as the core's. */
_Static_assert(PASSIVE_LEVEL == KP_PASSIVE_LEVEL, "PASSIVE_LEVEL");
_Static_assert(APC_LEVEL == KP_APC_LEVEL, "APC_LEVEL");
_Static_assert(DISPATCH_LEVEL == KP_DISPATCH_LEVEL, "DISPATCH_LEVEL");
_Static_assert(CLOCK_LEVEL == KP_CLOCK_LEVEL, "CLOCK_LEVEL");
_Static_assert(IPI_LEVEL == KP_IPI_LEVEL, "IPI_LEVEL");
_Static_assert(HIGH_LEVEL == KP_HIGH_LEVEL, "HIGH_LEVEL");

/* NTSTATUS conversions wrap as on Windows (implementation-defined before
 * C23; every supported compiler wraps). */
_Static_assert(STATUS_INSUFFICIENT_RESOURCES < 0, "error statuses are negative");
_Static_assert(STATUS_INVALID_PARAMETER_12 < 0, "literal statuses wrap too");
