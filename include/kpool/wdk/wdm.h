/**
 * @file kpool/wdk/wdm.h
 * @brief kpool's WDK face: the real WDK names, types and widths over the
 *        core `kp_` simulator.
 *
 * A driver's test build links `kpool::wdk`; `#include <wdm.h>` (or
 * <ntddk.h>, <ntifs.h>) then finds this header. Everything here is a thin
 * mapping onto the core API (include/kpool/\*.h); each declaration says which
 * core function it maps to and what it simulates. There is no logic of its
 * own beyond argument conversion.
 *
 * What the face gives, and the choices it makes:
 *
 * - **Windows widths on every platform.** ULONG and LONG are 32 bits,
 *   LONGLONG/ULONG64 64 bits, ULONG_PTR/SIZE_T pointer-sized, BOOLEAN one
 *   byte, WCHAR 16 bits (write wide literals as `u"..."`, which are
 *   char16_t and match WCHAR; `L"..."` is 32-bit wchar_t on Linux and
 *   macOS). `%lu` for a ULONG is right for DbgPrint (which formats the
 *   Windows way) but not for the host's printf.
 *
 * - **Call sites.** Every allocation and free name (ExAllocatePool2,
 *   ExAllocatePoolWithTag, ExFreePoolWithTag, ExFreePool, ...) is also a
 *   function-like macro that passes `__FILE__` and `__LINE__` to a
 *   site-taking twin (`kp_wdk_<Name>_at`), so reports name the exact line.
 *   Taking the address (`&ExAllocatePool2`, `PVOID (*fn)(...) =
 *   ExFreePool;`), a parenthesised call `(ExFreePool)(p)` or `#undef` still
 *   reaches the real exported function, which records its return address
 *   as the site instead. `#define KPOOL_NO_CALL_SITES` before including
 *   switches all these macros off (the lookaside and ExAllocatePool3 names
 *   follow the same rule).
 *
 * - **Multi-character tags** ('gaT1' == 0x67615431, displayed "1Tag") are the
 *   WDK idiom. kpool::wdk adds -Wno-multichar to its users' flags; this
 *   header also switches the warning off for the rest of the including file
 *   where the compiler allows it: clang (C and C++; also its
 *   -Wfour-char-constants) and gcc in C. g++ (checked with gcc 12) does not
 *   honour the pragma for this lexer warning, because the C++ front end
 *   lexes the whole file before it sees pragmas; C++ users get the flag
 *   from the kpool::wdk target.
 *
 * - **DBG.** As in a WDK Debug configuration, kpool treats the build as a
 *   checked build: when the includer has not defined DBG, it is defined to
 *   1, so ASSERT, NT_ASSERT and KdPrint are active. Define DBG=0 before
 *   including for the free-build expansions (they evaluate nothing).
 *
 * - **Assertions.** A failed ASSERT, ASSERTMSG, NT_ASSERT, NT_ASSERTMSG or
 *   NT_VERIFY raises bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED with
 *   P1 = STATUS_ASSERTION_FAILURE (0x00000000C0000420: kpool passes every
 *   exception code to 0x1E as a 32-bit value, as kp_raise_status does),
 *   P2 = the caller's address, P3 = P4 = 0, and the expression,
 *   message and file:line in the explanation. On Windows NT_ASSERT raises a
 *   STATUS_ASSERTION_FAILURE exception, which unhandled is this bug check;
 *   ASSERT calls RtlAssert, which breaks into the debugger. kpool gives
 *   both the same result, which no KP_TRY catches, so that an assertion in
 *   driver code fails the test on the spot (kpool's choice).
 *
 * - **__try / __except.** C has no structured exception handling. Driver
 *   code simulated with kpool uses KP_TRY / KP_EXCEPT(status) / KP_END_TRY
 *   from kpool/raise.h (included here), which catch ExRaiseStatus and the
 *   raise of an allocation made with POOL_FLAG_RAISE_ON_FAILURE,
 *   POOL_RAISE_IF_ALLOCATION_FAILURE or a quota allocation. An unhandled
 *   raise is bug check 0x1E with P1 = the status, as on Windows.
 *
 * - **Names reserved in C.** The WDK spells its struct tags `_LIST_ENTRY`,
 *   `_UNICODE_STRING`, ... and its annotations `_In_`, `_Out_`, ...; driver
 *   code uses those exact spellings, so the face does too, deliberately
 *   (kpool's own names never use reserved spellings). Each SAL annotation
 *   is defined (empty) only if the includer has not defined it already.
 *
 * Everything declared here is thread-safe unless its doc says otherwise.
 * Functions act on the current simulated system (kp_system_current(),
 * created lazily with the defaults; tests replace it with
 * kp_system_set_current()).
 */
#ifndef KPOOL_WDK_WDM_H
#define KPOOL_WDK_WDM_H

/* Multi-character tags: see the file comment. No push/pop on purpose: the
 * driver's own 'gaT1' literals come after this header. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wmultichar"
#pragma clang diagnostic ignored "-Wfour-char-constants"
#elif defined(__GNUC__) && !defined(__cplusplus)
#pragma GCC diagnostic ignored "-Wmultichar"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common.h"
#include "../irql.h"
#include "../raise.h"

/* ===========================================================================
 * Build configuration
 * ========================================================================= */

/** Checked build unless the includer says otherwise (see the file comment). */
#ifndef DBG
#define DBG 1
#endif

/** wdm.h asks for pool tagging; without it the WDK maps the tagged
 *  allocators onto the untagged ones. kpool always tags. */
#ifndef POOL_TAGGING
#define POOL_TAGGING 1
#endif

/* ===========================================================================
 * Calling conventions, linkage and declaration helpers
 * ========================================================================= */

/** x64 has one calling convention; NTAPI and FASTCALL mean nothing there. */
#define NTAPI
#define FASTCALL
/** Marks a routine the kernel exports: here, one kpool exports. */
#define NTKERNELAPI KP_API
/** Marks a routine ntdll/ntoskrnl export (DbgPrint...): kpool exports it. */
#define NTSYSAPI KP_API
/** The WDK's __forceinline. */
#define FORCEINLINE static inline
#ifndef CONST
#define CONST const
#endif
#ifndef VOID
#define VOID void
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif

/** Silences "unused parameter" for @p P. */
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))

#if defined(__GNUC__) || defined(__clang__)
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_NORETURN __attribute__((noreturn))
#else
#define DECLSPEC_ALIGN(x)
#define DECLSPEC_NOINLINE
#define DECLSPEC_NORETURN
#endif
/** The cache line size the WDK aligns to on x64. */
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#define DECLSPEC_SELECTANY

/** Compile-time assertion, as the WDK's C_ASSERT. */
#ifdef __cplusplus
#define C_ASSERT(e) static_assert((e), #e)
#else
#define C_ASSERT(e) _Static_assert((e), #e)
#endif

/* ===========================================================================
 * SAL annotations: empty. Each is defined only when the includer has not
 * defined it (a project may bring its own sal.h stand-in).
 * ========================================================================= */
#ifndef _In_
#define _In_
#endif
#ifndef _In_opt_
#define _In_opt_
#endif
#ifndef _In_z_
#define _In_z_
#endif
#ifndef _In_opt_z_
#define _In_opt_z_
#endif
#ifndef _In_reads_
#define _In_reads_(s)
#endif
#ifndef _In_reads_opt_
#define _In_reads_opt_(s)
#endif
#ifndef _In_reads_bytes_
#define _In_reads_bytes_(s)
#endif
#ifndef _In_reads_bytes_opt_
#define _In_reads_bytes_opt_(s)
#endif
#ifndef _In_range_
#define _In_range_(l, h)
#endif
#ifndef _Out_
#define _Out_
#endif
#ifndef _Out_opt_
#define _Out_opt_
#endif
#ifndef _Out_writes_
#define _Out_writes_(s)
#endif
#ifndef _Out_writes_opt_
#define _Out_writes_opt_(s)
#endif
#ifndef _Out_writes_bytes_
#define _Out_writes_bytes_(s)
#endif
#ifndef _Out_writes_bytes_opt_
#define _Out_writes_bytes_opt_(s)
#endif
#ifndef _Out_writes_bytes_all_
#define _Out_writes_bytes_all_(s)
#endif
#ifndef _Out_range_
#define _Out_range_(l, h)
#endif
#ifndef _Inout_
#define _Inout_
#endif
#ifndef _Inout_opt_
#define _Inout_opt_
#endif
#ifndef _Inout_updates_
#define _Inout_updates_(s)
#endif
#ifndef _Inout_updates_bytes_
#define _Inout_updates_bytes_(s)
#endif
#ifndef _Outptr_
#define _Outptr_
#endif
#ifndef _Outptr_opt_
#define _Outptr_opt_
#endif
#ifndef _Outptr_result_maybenull_
#define _Outptr_result_maybenull_
#endif
#ifndef _Printf_format_string_
#define _Printf_format_string_
#endif
#ifndef _Must_inspect_result_
#define _Must_inspect_result_
#endif
#ifndef _Check_return_
#define _Check_return_
#endif
#ifndef _Success_
#define _Success_(e)
#endif
#ifndef _Ret_maybenull_
#define _Ret_maybenull_
#endif
#ifndef _Ret_notnull_
#define _Ret_notnull_
#endif
#ifndef _Ret_range_
#define _Ret_range_(l, h)
#endif
#ifndef _Post_notnull_
#define _Post_notnull_
#endif
#ifndef _Post_maybenull_
#define _Post_maybenull_
#endif
#ifndef _Post_invalid_
#define _Post_invalid_
#endif
#ifndef _Post_ptr_invalid_
#define _Post_ptr_invalid_
#endif
#ifndef _Post_writable_byte_size_
#define _Post_writable_byte_size_(s)
#endif
#ifndef _Post_satisfies_
#define _Post_satisfies_(e)
#endif
#ifndef _Pre_satisfies_
#define _Pre_satisfies_(e)
#endif
#ifndef _Pre_notnull_
#define _Pre_notnull_
#endif
#ifndef _Frees_ptr_
#define _Frees_ptr_
#endif
#ifndef _Frees_ptr_opt_
#define _Frees_ptr_opt_
#endif
#ifndef _Null_terminated_
#define _Null_terminated_
#endif
#ifndef _Field_size_
#define _Field_size_(s)
#endif
#ifndef _Field_size_bytes_
#define _Field_size_bytes_(s)
#endif
#ifndef _Field_size_bytes_part_
#define _Field_size_bytes_part_(s, c)
#endif
#ifndef _Field_range_
#define _Field_range_(l, h)
#endif
#ifndef _Struct_size_bytes_
#define _Struct_size_bytes_(s)
#endif
#ifndef _When_
#define _When_(c, a)
#endif
#ifndef _At_
#define _At_(t, a)
#endif
#ifndef _Analysis_assume_
#define _Analysis_assume_(e)
#endif
#ifndef _Use_decl_annotations_
#define _Use_decl_annotations_
#endif
#ifndef _Function_class_
#define _Function_class_(c)
#endif
#ifndef _Dispatch_type_
#define _Dispatch_type_(t)
#endif
#ifndef _Reserved_
#define _Reserved_
#endif
#ifndef _Strict_type_match_
#define _Strict_type_match_
#endif
#ifndef _Literal_
#define _Literal_
#endif
#ifndef _Notliteral_
#define _Notliteral_
#endif
#ifndef _Interlocked_operand_
#define _Interlocked_operand_
#endif
#ifndef _IRQL_requires_
#define _IRQL_requires_(i)
#endif
#ifndef _IRQL_requires_max_
#define _IRQL_requires_max_(i)
#endif
#ifndef _IRQL_requires_min_
#define _IRQL_requires_min_(i)
#endif
#ifndef _IRQL_requires_same_
#define _IRQL_requires_same_
#endif
#ifndef _IRQL_raises_
#define _IRQL_raises_(i)
#endif
#ifndef _IRQL_saves_
#define _IRQL_saves_
#endif
#ifndef _IRQL_restores_
#define _IRQL_restores_
#endif
#ifndef _IRQL_saves_global_
#define _IRQL_saves_global_(k, o)
#endif
#ifndef _IRQL_restores_global_
#define _IRQL_restores_global_(k, o)
#endif
#ifndef _IRQL_always_function_min_
#define _IRQL_always_function_min_(i)
#endif
#ifndef _IRQL_always_function_max_
#define _IRQL_always_function_max_(i)
#endif
#ifndef _Requires_lock_held_
#define _Requires_lock_held_(l)
#endif
#ifndef _Requires_lock_not_held_
#define _Requires_lock_not_held_(l)
#endif
#ifndef _Acquires_lock_
#define _Acquires_lock_(l)
#endif
#ifndef _Releases_lock_
#define _Releases_lock_(l)
#endif
#ifndef _Acquires_exclusive_lock_
#define _Acquires_exclusive_lock_(l)
#endif
#ifndef _Releases_exclusive_lock_
#define _Releases_exclusive_lock_(l)
#endif
#ifndef _Guarded_by_
#define _Guarded_by_(l)
#endif
#ifndef _Kernel_requires_resource_held_
#define _Kernel_requires_resource_held_(r)
#endif
#ifndef _Kernel_requires_resource_not_held_
#define _Kernel_requires_resource_not_held_(r)
#endif
#ifndef _Kernel_acquires_resource_
#define _Kernel_acquires_resource_(r)
#endif
#ifndef _Kernel_releases_resource_
#define _Kernel_releases_resource_(r)
#endif
#ifndef _Kernel_float_saved_
#define _Kernel_float_saved_
#endif
#ifndef _Kernel_float_restored_
#define _Kernel_float_restored_
#endif
#ifndef _Enum_is_bitflag_
#define _Enum_is_bitflag_
#endif
#ifndef __drv_allocatesMem
#define __drv_allocatesMem(k)
#endif
#ifndef __drv_freesMem
#define __drv_freesMem(k)
#endif
#ifndef __drv_aliasesMem
#define __drv_aliasesMem
#endif
#ifndef __drv_when
#define __drv_when(c, a)
#endif
#ifndef __drv_maxIRQL
#define __drv_maxIRQL(i)
#endif
#ifndef __drv_requiresIRQL
#define __drv_requiresIRQL(i)
#endif

/* ===========================================================================
 * Basic types, with the widths of 64-bit Windows on every host
 * ========================================================================= */
typedef char CHAR, CCHAR, *PCHAR, *PCH, *PSTR, *LPSTR;
typedef const char *PCCH, *PCSTR, *LPCSTR;
typedef unsigned char UCHAR, *PUCHAR;
typedef short SHORT, CSHORT, *PSHORT;
typedef unsigned short USHORT, *PUSHORT;
/** 32 bits, unlike the host's `long` on LP64 systems. */
typedef int32_t LONG, *PLONG, LONG32, *PLONG32;
/** 32 bits, unlike the host's `unsigned long` on LP64 systems. */
typedef uint32_t ULONG, *PULONG, ULONG32, *PULONG32;
typedef const ULONG *PCULONG;
/** Windows' __int64 is `long long` (also on LP64 hosts, where int64_t is
 *  `long`): the WDK's 64-bit types keep that spelling. */
typedef long long LONGLONG, *PLONGLONG, LONG64, *PLONG64;
typedef unsigned long long ULONGLONG, *PULONGLONG, ULONG64, *PULONG64;
typedef intptr_t LONG_PTR, *PLONG_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef intptr_t SSIZE_T, *PSSIZE_T;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
/** One byte: TRUE or FALSE. */
typedef UCHAR BOOLEAN, *PBOOLEAN;
/** A 32-bit truth value (ExSecurePoolValidate and friends). */
typedef ULONG LOGICAL, *PLOGICAL;
typedef void *PVOID;
typedef const void *PCVOID;
typedef void *HANDLE, **PHANDLE;
/** An NTSTATUS: success >= 0. The same type as kp_status_t. */
typedef LONG NTSTATUS, *PNTSTATUS;
/** 16 bits, as on Windows. Write literals as u"..." (char16_t). */
typedef uint16_t WCHAR, *PWCHAR, *PWCH, *PWSTR, *LPWSTR;
typedef const WCHAR *PCWCH, *PCWSTR, *LPCWSTR;
/** An IRQL (0 PASSIVE_LEVEL .. 15 HIGH_LEVEL). The same type as kp_irql_t. */
typedef UCHAR KIRQL, *PKIRQL;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* Anonymous struct members are C11 but a GNU extension in C++. */
#if defined(__GNUC__) || defined(__clang__)
#define KP_WDK_ANONYMOUS_ __extension__
#else
#define KP_WDK_ANONYMOUS_
#endif

/** A signed 64-bit value with its 32-bit halves. */
typedef union _LARGE_INTEGER {
  KP_WDK_ANONYMOUS_ struct {
    ULONG LowPart;
    LONG HighPart;
  };
  struct {
    ULONG LowPart;
    LONG HighPart;
  } u;
  LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER, PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

/** An unsigned 64-bit value with its 32-bit halves. */
typedef union _ULARGE_INTEGER {
  KP_WDK_ANONYMOUS_ struct {
    ULONG LowPart;
    ULONG HighPart;
  };
  struct {
    ULONG LowPart;
    ULONG HighPart;
  } u;
  ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

/** A counted UTF-16 string; Length and MaximumLength are in bytes. */
typedef struct _UNICODE_STRING {
  USHORT Length;
  USHORT MaximumLength;
  PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

/** A counted 8-bit string; Length and MaximumLength are in bytes. */
typedef struct _STRING {
  USHORT Length;
  USHORT MaximumLength;
  PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING;
typedef const STRING *PCSTRING, *PCANSI_STRING;

/** A doubly linked list link; a list head is a LIST_ENTRY too. */
typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY *Flink;
  struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *PRLIST_ENTRY;

/** A singly linked list link (PushEntryList / PopEntryList). */
typedef struct _SINGLE_LIST_ENTRY {
  struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

/** A spin lock: one pointer-sized word, the same type as kp_spin_lock_t. */
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

/**
 * A fast mutex, 0x38 bytes as on x64 Windows. Its storage is the core's
 * kp_fast_mutex_t; initialise it with ExInitializeFastMutex only.
 */
typedef struct _FAST_MUTEX {
  kp_fast_mutex_t Simulated; /**< core state; not for driver use */
} FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;

/* ===========================================================================
 * Structure and alignment helpers
 * ========================================================================= */

/** Byte offset of @p field in @p type. */
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
/** Size of @p field in @p type. */
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
/** Bytes of @p type up to and including @p field. */
#define RTL_SIZEOF_THROUGH_FIELD(type, field)                                  \
  (offsetof(type, field) + RTL_FIELD_SIZE(type, field))
/** The @p type record whose @p field is at @p address. */
#define CONTAINING_RECORD(address, type, field)                                \
  ((type *)((PCHAR)(address) - offsetof(type, field)))
/** True when the optional argument @p ArgumentPointer was given (non-NULL). */
#define ARGUMENT_PRESENT(ArgumentPointer) ((ArgumentPointer) != NULL)
/** Number of elements of array @p A. */
#define RTL_NUMBER_OF(A) (sizeof(A) / sizeof((A)[0]))
#ifndef ARRAYSIZE
#define ARRAYSIZE(A) RTL_NUMBER_OF(A)
#endif
/** Round @p length down / up to a multiple of the power of two @p alignment. */
#define ALIGN_DOWN_BY(length, alignment)                                       \
  ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment)-1))
#define ALIGN_UP_BY(length, alignment)                                         \
  (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment)-1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment)                              \
  ((PVOID)ALIGN_DOWN_BY((ULONG_PTR)(address), alignment))
#define ALIGN_UP_POINTER_BY(address, alignment)                                \
  ((PVOID)ALIGN_UP_BY((ULONG_PTR)(address), alignment))
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))

/* ===========================================================================
 * NTSTATUS values (the core's KP_STATUS_* map, plus a few more the facts
 * file lists) and their classification
 * ========================================================================= */
#define STATUS_SUCCESS ((NTSTATUS)KP_STATUS_SUCCESS)
#define STATUS_TIMEOUT ((NTSTATUS)KP_STATUS_TIMEOUT)
#define STATUS_PENDING ((NTSTATUS)KP_STATUS_PENDING)
#define STATUS_DATATYPE_MISALIGNMENT ((NTSTATUS)KP_STATUS_DATATYPE_MISALIGNMENT)
#define STATUS_BREAKPOINT ((NTSTATUS)KP_STATUS_BREAKPOINT)
#define STATUS_BUFFER_OVERFLOW ((NTSTATUS)KP_STATUS_BUFFER_OVERFLOW)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)KP_STATUS_UNSUCCESSFUL)
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)KP_STATUS_NOT_IMPLEMENTED)
#define STATUS_INVALID_INFO_CLASS ((NTSTATUS)0xC0000003L)
#define STATUS_ACCESS_VIOLATION ((NTSTATUS)KP_STATUS_ACCESS_VIOLATION)
#define STATUS_PAGEFILE_QUOTA ((NTSTATUS)0xC0000007L)
#define STATUS_INVALID_HANDLE ((NTSTATUS)KP_STATUS_INVALID_HANDLE)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)KP_STATUS_INVALID_PARAMETER)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010L)
#define STATUS_NO_MEMORY ((NTSTATUS)KP_STATUS_NO_MEMORY)
#define STATUS_ACCESS_DENIED ((NTSTATUS)KP_STATUS_ACCESS_DENIED)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)KP_STATUS_BUFFER_TOO_SMALL)
#define STATUS_INVALID_PARAMETER_MIX ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_MIX)
#define STATUS_QUOTA_EXCEEDED ((NTSTATUS)KP_STATUS_QUOTA_EXCEEDED)
#define STATUS_INTEGER_OVERFLOW ((NTSTATUS)KP_STATUS_INTEGER_OVERFLOW)
#define STATUS_INSUFFICIENT_RESOURCES                                          \
  ((NTSTATUS)KP_STATUS_INSUFFICIENT_RESOURCES)
#define STATUS_WORKING_SET_QUOTA ((NTSTATUS)0xC00000A1L)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)KP_STATUS_NOT_SUPPORTED)
#define STATUS_INVALID_PARAMETER_1 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_1)
#define STATUS_INVALID_PARAMETER_2 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_2)
#define STATUS_INVALID_PARAMETER_3 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_3)
#define STATUS_INVALID_PARAMETER_4 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_4)
#define STATUS_INVALID_PARAMETER_5 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_5)
#define STATUS_INVALID_PARAMETER_6 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_6)
#define STATUS_INVALID_PARAMETER_7 ((NTSTATUS)KP_STATUS_INVALID_PARAMETER_7)
#define STATUS_INVALID_PARAMETER_8 ((NTSTATUS)0xC00000F6L)
#define STATUS_INVALID_PARAMETER_9 ((NTSTATUS)0xC00000F7L)
#define STATUS_INVALID_PARAMETER_10 ((NTSTATUS)0xC00000F8L)
#define STATUS_INVALID_PARAMETER_11 ((NTSTATUS)0xC00000F9L)
#define STATUS_INVALID_PARAMETER_12 ((NTSTATUS)0xC00000FAL)
#define STATUS_CANCELLED ((NTSTATUS)KP_STATUS_CANCELLED)
#define STATUS_COMMITMENT_LIMIT ((NTSTATUS)0xC000012DL)
#define STATUS_INVALID_ADDRESS ((NTSTATUS)KP_STATUS_INVALID_ADDRESS)
#define STATUS_INVALID_BUFFER_SIZE ((NTSTATUS)KP_STATUS_INVALID_BUFFER_SIZE)
#define STATUS_NOT_FOUND ((NTSTATUS)KP_STATUS_NOT_FOUND)
#define STATUS_HEAP_CORRUPTION ((NTSTATUS)KP_STATUS_HEAP_CORRUPTION)
#define STATUS_STACK_BUFFER_OVERRUN ((NTSTATUS)0xC0000409L)
#define STATUS_ASSERTION_FAILURE ((NTSTATUS)KP_STATUS_ASSERTION_FAILURE)

/** Success or informational status (severity 0 or 1). */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
/** Informational status (severity 1: 0x4xxxxxxx). */
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
/** Warning status (severity 2: 0x8xxxxxxx). */
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
/** Error status (severity 3: 0xCxxxxxxx). */
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

/* ===========================================================================
 * IRQL levels (AMD64 values), pages, alignment
 * ========================================================================= */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define DRS_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15

/* The host's <sys/user.h> or <mach/vm_param.h> may define PAGE_SIZE with
 * the host's value (16 KiB on Apple silicon); the simulated machine has
 * 4 KiB pages, as every Windows platform. */
#ifdef PAGE_SIZE
#undef PAGE_SIZE
#endif
#ifdef PAGE_SHIFT
#undef PAGE_SHIFT
#endif
/** 4 KiB on every Windows platform, so in kpool too. */
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L
/** Pool blocks below a page are aligned to this (x64: 16). */
#define MEMORY_ALLOCATION_ALIGNMENT 16
/** Cache line size on x64 (POOL_FLAG_CACHE_ALIGNED). */
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64
/** Pages spanned by @p Size bytes. */
#define BYTES_TO_PAGES(Size)                                                   \
  (((SIZE_T)(Size) >> PAGE_SHIFT) +                                            \
   (((SIZE_T)(Size) & (PAGE_SIZE - 1)) != 0))
/** @p Size rounded up to whole pages. */
#define ROUND_TO_PAGES(Size)                                                   \
  (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
/** The page that holds @p Va. */
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
/** Offset of @p Va in its page. */
#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))

/* ===========================================================================
 * POOL_TYPE (legacy allocators) and its modifier bits
 * ========================================================================= */

/**
 * Pool types of the legacy allocators. What kpool does with each
 * (kp_alloc_legacy): non-paged types give non-paged memory, paged types
 * paged memory, the cache-aligned types 64-byte alignment;
 * DontUseThisType(Session) fails (NULL); the must-succeed types raise bug
 * check 0xC2/0x9A as Driver Verifier does; the deprecated session types
 * behave as their base type.
 */
typedef enum _POOL_TYPE {
  NonPagedPool = 0,
  NonPagedPoolExecute = NonPagedPool,
  PagedPool = 1,
  NonPagedPoolMustSucceed = NonPagedPool + 2,
  DontUseThisType = 3,
  NonPagedPoolCacheAligned = NonPagedPool + 4,
  PagedPoolCacheAligned = 5,
  NonPagedPoolCacheAlignedMustS = NonPagedPool + 6,
  MaxPoolType = 7,
  NonPagedPoolBase = 0,
  NonPagedPoolBaseMustSucceed = NonPagedPoolBase + 2,
  NonPagedPoolBaseCacheAligned = NonPagedPoolBase + 4,
  NonPagedPoolBaseCacheAlignedMustS = NonPagedPoolBase + 6,
  NonPagedPoolSession = 32,
  PagedPoolSession = NonPagedPoolSession + 1,
  NonPagedPoolMustSucceedSession = PagedPoolSession + 1,
  DontUseThisTypeSession = NonPagedPoolMustSucceedSession + 1,
  NonPagedPoolCacheAlignedSession = DontUseThisTypeSession + 1,
  PagedPoolCacheAlignedSession = NonPagedPoolCacheAlignedSession + 1,
  NonPagedPoolCacheAlignedMustSSession = PagedPoolCacheAlignedSession + 1,
  NonPagedPoolNx = 512,
  NonPagedPoolNxCacheAligned = NonPagedPoolNx + 4,
  NonPagedPoolSessionNx = NonPagedPoolNx + 32
} POOL_TYPE;

/** Quota allocations return NULL instead of raising. */
#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
/** Raise STATUS_INSUFFICIENT_RESOURCES instead of returning NULL. */
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
/** Advisory: the block will rarely be touched (accepted, no effect). */
#define POOL_COLD_ALLOCATION 256
/** Non-executable non-paged pool (lookaside Flags). */
#define POOL_NX_ALLOCATION 512
/** Zero the block (what the ExAllocatePool*Zero helpers add). */
#define POOL_ZERO_ALLOCATION 1024

/**
 * NX opt-in, as in the WDK: with POOL_NX_OPTIN_AUTO defined, NonPagedPool
 * means NonPagedPoolNx at compile time; with POOL_NX_OPTIN, it means the
 * variable ExDefaultNonPagedPoolType, which ExInitializeDriverRuntime
 * (DrvRtPoolNxOptIn) switches to NonPagedPoolNx. kpool treats executable
 * and NX non-paged pool alike apart from the recorded type.
 */
#if defined(POOL_NX_OPTIN_AUTO) && POOL_NX_OPTIN_AUTO
#define NonPagedPool NonPagedPoolNx
#define NonPagedPoolCacheAligned NonPagedPoolNxCacheAligned
#elif defined(POOL_NX_OPTIN) && POOL_NX_OPTIN
#define NonPagedPool ExDefaultNonPagedPoolType
#endif

/* ===========================================================================
 * POOL_FLAGS (ExAllocatePool2 / ExAllocatePool3), bit for bit
 * ========================================================================= */

/** Flags of ExAllocatePool2/3: low 32 bits required, high 32 optional. */
typedef ULONG64 POOL_FLAGS;

#define POOL_FLAG_REQUIRED_START 0x0000000000000001ULL
/** Charge the allocation to the (simulated) process quota. */
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
/** Do not zero: kpool fills the block with kp_config_t::uninit_fill. */
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
/** Reserved for the OS: the allocation fails. */
#define POOL_FLAG_SESSION 0x0000000000000004ULL
/** 64-byte alignment (best effort on Windows; always honoured here). */
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
/** Reserved: the allocation fails. */
#define POOL_FLAG_RESERVED1 0x0000000000000010ULL
/** Raise STATUS_INSUFFICIENT_RESOURCES instead of returning NULL. */
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
/** Non-paged, non-executable pool. */
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
/** Non-paged, executable pool. */
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
/** Paged pool (IRQL <= APC_LEVEL to allocate and free). */
#define POOL_FLAG_PAGED 0x0000000000000100ULL
/** Reserved: the allocation fails. */
#define POOL_FLAG_RESERVED2 0x0000000000000200ULL
/** Reserved: the allocation fails. */
#define POOL_FLAG_RESERVED3 0x0000000000000400ULL
#define POOL_FLAG_LAST_KNOWN_REQUIRED POOL_FLAG_RESERVED3
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ULL
/** Ask for special pool; falls back to normal pool when unavailable. */
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL
#define POOL_FLAG_OPTIONAL_END 0x8000000000000000ULL
/** The required half: an unknown bit here fails the allocation. */
#define POOL_FLAG_REQUIRED_MASK 0x00000000FFFFFFFFULL
/** Required bits above the last known one (0xFFFFF800). */
#define POOL_FLAG_UNUSED_REQUIRED_BITS                                         \
  (POOL_FLAG_REQUIRED_MASK &                                                   \
   ~(POOL_FLAG_LAST_KNOWN_REQUIRED | (POOL_FLAG_LAST_KNOWN_REQUIRED - 1)))

/* ===========================================================================
 * EX_POOL_PRIORITY, NUMA
 * ========================================================================= */

/**
 * Priority of ExAllocatePoolWithTagPriority: under simulated pressure, Low
 * fails first, then Normal; High fails only when the pool is exhausted.
 * The +8 / +9 variants choose special-pool placement (overrun / underrun).
 */
typedef enum _EX_POOL_PRIORITY {
  LowPoolPriority = 0,
  LowPoolPrioritySpecialPoolOverrun = 8,
  LowPoolPrioritySpecialPoolUnderrun = 9,
  NormalPoolPriority = 16,
  NormalPoolPrioritySpecialPoolOverrun = 24,
  NormalPoolPrioritySpecialPoolUnderrun = 25,
  HighPoolPriority = 32,
  HighPoolPrioritySpecialPoolOverrun = 40,
  HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/** A NUMA node index, optionally ORed with MM_ANY_NODE_OK. */
typedef ULONG NODE_REQUIREMENT;
/** Let the allocation fall back to another node. */
#define MM_ANY_NODE_OK 0x80000000

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Rtl memory helpers
 *
 * Public kpool headers do not include <string.h>; with gcc and clang these
 * expand to the compiler's builtins (which become memset/memcpy/...), with
 * other compilers to kpool's exported kp_wdk_mem* functions.
 * ========================================================================= */

/** memset, memcpy, memmove, memcmp for compilers without the builtins. */
KP_API void *kp_wdk_memset(void *dst, int value, size_t n);
KP_API void *kp_wdk_memcpy(void *dst, const void *src, size_t n);
KP_API void *kp_wdk_memmove(void *dst, const void *src, size_t n);
KP_API int kp_wdk_memcmp(const void *a, const void *b, size_t n);

#if defined(__GNUC__) || defined(__clang__)
#define KP_WDK_MEMSET_(d, v, n) __builtin_memset((d), (v), (n))
#define KP_WDK_MEMCPY_(d, s, n) __builtin_memcpy((d), (s), (n))
#define KP_WDK_MEMMOVE_(d, s, n) __builtin_memmove((d), (s), (n))
#define KP_WDK_MEMCMP_(a, b, n) __builtin_memcmp((a), (b), (n))
#else
#define KP_WDK_MEMSET_(d, v, n) kp_wdk_memset((d), (v), (n))
#define KP_WDK_MEMCPY_(d, s, n) kp_wdk_memcpy((d), (s), (n))
#define KP_WDK_MEMMOVE_(d, s, n) kp_wdk_memmove((d), (s), (n))
#define KP_WDK_MEMCMP_(a, b, n) kp_wdk_memcmp((a), (b), (n))
#endif

/** RtlZeroMemory: sets @p Length bytes at @p Destination to 0. */
#define RtlZeroMemory(Destination, Length)                                     \
  KP_WDK_MEMSET_((Destination), 0, (Length))
/** RtlFillMemory: sets @p Length bytes at @p Destination to @p Fill. */
#define RtlFillMemory(Destination, Length, Fill)                               \
  KP_WDK_MEMSET_((Destination), (Fill), (Length))
/** RtlCopyMemory: non-overlapping copy. */
#define RtlCopyMemory(Destination, Source, Length)                             \
  KP_WDK_MEMCPY_((Destination), (Source), (Length))
/** RtlMoveMemory: copy that allows overlap. */
#define RtlMoveMemory(Destination, Source, Length)                             \
  KP_WDK_MEMMOVE_((Destination), (Source), (Length))
/** RtlEqualMemory: non-zero when the @p Length bytes are equal. */
#define RtlEqualMemory(Destination, Source, Length)                            \
  (!KP_WDK_MEMCMP_((Destination), (Source), (Length)))

/**
 * RtlCompareMemory: the number of leading bytes of @p Source1 and
 * @p Source2 that are equal (== @p Length when the blocks are equal).
 */
NTSYSAPI SIZE_T NTAPI RtlCompareMemory(const VOID *Source1,
                                       const VOID *Source2, SIZE_T Length);

/**
 * RtlSecureZeroMemory: zeroes through volatile stores the compiler cannot
 * drop, and returns @p ptr.
 */
FORCEINLINE PVOID RtlSecureZeroMemory(PVOID ptr, SIZE_T cnt) {
  volatile UCHAR *p = (volatile UCHAR *)ptr;
  while (cnt != 0) {
    *p = 0;
    p++;
    cnt--;
  }
  return ptr;
}

/**
 * RtlInitUnicodeString: points @p DestinationString at the NUL-terminated
 * @p SourceString (not copied). Length = characters * 2, MaximumLength =
 * Length + 2; a NULL source gives 0, 0, NULL. A source too long for the
 * USHORT fields is capped at Length 0xFFFC (kpool's choice; the fields
 * never wrap). Thread-safe.
 */
NTSYSAPI VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString,
                                         PCWSTR SourceString);
/** RtlInitString / RtlInitAnsiString: the same for 8-bit strings. */
NTSYSAPI VOID NTAPI RtlInitString(PSTRING DestinationString,
                                  PCSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString,
                                      PCSTR SourceString);

/** A counted string initialiser for a string literal: u"..." for a
 *  UNICODE_STRING, "..." for a STRING (C; a C++ caller casts the literal). */
#define RTL_CONSTANT_STRING(s)                                                 \
  {(USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (s)}

/* ===========================================================================
 * Lists
 *
 * As in the current WDK, the doubly linked list helpers check the links
 * they are about to change; a broken link (a double remove, an entry that
 * was never inserted, a list head never initialised) is bug check 0x139
 * KERNEL_SECURITY_CHECK_FAILURE with P1 = 3 (LIST_ENTRY corruption), where
 * Windows fast-fails. kpool also treats a NULL link as corruption (Windows
 * would take a page fault). If a bug check handler returns, the operation
 * is abandoned and the list is left as it was. Define
 * NO_KERNEL_LIST_ENTRY_CHECKS before including to skip the checks, as in
 * the WDK. Not thread-safe: protect a shared list with a lock.
 * ========================================================================= */

/**
 * Reports a corrupted LIST_ENTRY: bug check 0x139 with P1 = 3, P2 = @p entry
 * (Windows puts a trap frame there; kpool has none), P3 = P4 = 0. Called by
 * the inline list helpers; returns only if a bug check handler returns.
 */
KP_API void kp_wdk_fatal_list_entry_error(const void *entry);

#if defined(NO_KERNEL_LIST_ENTRY_CHECKS)
#define KP_WDK_LIST_BROKEN_(cond) 0
#else
#define KP_WDK_LIST_BROKEN_(cond) (cond)
#endif

/** InitializeListHead: an empty list points to itself. */
FORCEINLINE VOID InitializeListHead(PLIST_ENTRY ListHead) {
  ListHead->Flink = ListHead;
  ListHead->Blink = ListHead;
}

/** IsListEmpty: TRUE when @p ListHead has no entries. */
FORCEINLINE BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead) {
  return (BOOLEAN)(ListHead->Flink == ListHead);
}

/** RtlpCheckListEntry: bug checks 0x139/3 unless @p Entry's neighbours
 *  point back at it. */
FORCEINLINE VOID RtlpCheckListEntry(PLIST_ENTRY Entry) {
  if (KP_WDK_LIST_BROKEN_(Entry->Flink == NULL || Entry->Blink == NULL ||
                          Entry->Flink->Blink != Entry ||
                          Entry->Blink->Flink != Entry)) {
    kp_wdk_fatal_list_entry_error(Entry);
  }
}

/**
 * RemoveEntryList: unlinks @p Entry. Returns TRUE when the list is empty
 * afterwards. @bugcheck 0x139/3 when the neighbours do not point at @p Entry.
 */
FORCEINLINE BOOLEAN RemoveEntryList(PLIST_ENTRY Entry) {
  PLIST_ENTRY next = Entry->Flink;
  PLIST_ENTRY prev = Entry->Blink;
  if (KP_WDK_LIST_BROKEN_(next == NULL || prev == NULL ||
                          next->Blink != Entry || prev->Flink != Entry)) {
    kp_wdk_fatal_list_entry_error(Entry);
    return FALSE;
  }
  prev->Flink = next;
  next->Blink = prev;
  return (BOOLEAN)(prev == next);
}

/**
 * RemoveHeadList: unlinks and returns the first entry. On an empty list it
 * returns @p ListHead itself (check IsListEmpty first, as on Windows).
 * @bugcheck 0x139/3 on broken links (the handler returning gives @p ListHead).
 */
FORCEINLINE PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead) {
  PLIST_ENTRY entry = ListHead->Flink;
  PLIST_ENTRY next = entry != NULL ? entry->Flink : NULL;
  if (KP_WDK_LIST_BROKEN_(entry == NULL || next == NULL ||
                          entry->Blink != ListHead || next->Blink != entry)) {
    kp_wdk_fatal_list_entry_error(ListHead);
    return ListHead;
  }
  ListHead->Flink = next;
  next->Blink = ListHead;
  return entry;
}

/**
 * RemoveTailList: unlinks and returns the last entry (@p ListHead when the
 * list is empty). @bugcheck 0x139/3 on broken links.
 */
FORCEINLINE PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead) {
  PLIST_ENTRY entry = ListHead->Blink;
  PLIST_ENTRY prev = entry != NULL ? entry->Blink : NULL;
  if (KP_WDK_LIST_BROKEN_(entry == NULL || prev == NULL ||
                          entry->Flink != ListHead || prev->Flink != entry)) {
    kp_wdk_fatal_list_entry_error(ListHead);
    return ListHead;
  }
  ListHead->Blink = prev;
  prev->Flink = ListHead;
  return entry;
}

/** InsertTailList: links @p Entry as the last entry.
 *  @bugcheck 0x139/3 when the current last entry does not point back. */
FORCEINLINE VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
  PLIST_ENTRY last = ListHead->Blink;
  if (KP_WDK_LIST_BROKEN_(last == NULL || last->Flink != ListHead)) {
    kp_wdk_fatal_list_entry_error(ListHead);
    return;
  }
  Entry->Flink = ListHead;
  Entry->Blink = last;
  last->Flink = Entry;
  ListHead->Blink = Entry;
}

/** InsertHeadList: links @p Entry as the first entry.
 *  @bugcheck 0x139/3 when the current first entry does not point back. */
FORCEINLINE VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry) {
  PLIST_ENTRY first = ListHead->Flink;
  if (KP_WDK_LIST_BROKEN_(first == NULL || first->Blink != ListHead)) {
    kp_wdk_fatal_list_entry_error(ListHead);
    return;
  }
  Entry->Flink = first;
  Entry->Blink = ListHead;
  first->Blink = Entry;
  ListHead->Flink = Entry;
}

/**
 * AppendTailList: splices the ring that @p ListToAppend belongs to (a list
 * without its own head, @p ListToAppend first) onto the tail of @p ListHead.
 * @bugcheck 0x139/3 when either ring is broken at the splice points.
 */
FORCEINLINE VOID AppendTailList(PLIST_ENTRY ListHead,
                                PLIST_ENTRY ListToAppend) {
  PLIST_ENTRY last = ListHead->Blink;
  PLIST_ENTRY appended_last = ListToAppend->Blink;
  if (KP_WDK_LIST_BROKEN_(last == NULL || appended_last == NULL ||
                          last->Flink != ListHead ||
                          appended_last->Flink != ListToAppend)) {
    kp_wdk_fatal_list_entry_error(ListHead);
    return;
  }
  last->Flink = ListToAppend;
  ListToAppend->Blink = last;
  appended_last->Flink = ListHead;
  ListHead->Blink = appended_last;
}

/** PopEntryList: unlinks and returns the first entry, or NULL. */
FORCEINLINE PSINGLE_LIST_ENTRY PopEntryList(PSINGLE_LIST_ENTRY ListHead) {
  PSINGLE_LIST_ENTRY first = ListHead->Next;
  if (first != NULL) {
    ListHead->Next = first->Next;
  }
  return first;
}

/** PushEntryList: links @p Entry as the first entry. */
FORCEINLINE VOID PushEntryList(PSINGLE_LIST_ENTRY ListHead,
                               PSINGLE_LIST_ENTRY Entry) {
  Entry->Next = ListHead->Next;
  ListHead->Next = Entry;
}

/* ===========================================================================
 * Debug output, assertions, bug checks, raising
 * ========================================================================= */

/* DbgPrintEx component ids for drivers and levels. */
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000

/**
 * DbgPrint: formats like the kernel's DbgPrint and writes the text through
 * the current system's output function (kp_printf; stderr by default).
 *
 * The format is read the Windows way, not the host's: `l` is 32 bits
 * (`%lu` takes a ULONG), `ll` / `I64` 64 bits, `I` / `z` pointer-sized,
 * `%p` prints 16 upper-case hex digits, `%wZ` takes a PCUNICODE_STRING,
 * `%Z` a PCANSI_STRING, `%ws` / `%S` / `%ls` a PCWSTR, `%wc` / `%C` / `%lc`
 * a WCHAR, and a NULL string prints "(null)". `%n` writes nothing. Windows
 * does not support floating point conversions in DbgPrint; kpool formats
 * them anyway. Like Windows, one call sends at most 512 bytes: longer text
 * is cut to 511 characters. There is no compile-time format check.
 *
 * @return STATUS_SUCCESS (an NTSTATUS in a ULONG, as declared by the WDK).
 */
NTSYSAPI ULONG DbgPrint(PCSTR Format, ...);

/**
 * DbgPrintEx: DbgPrint for a component and level. kpool's debugger shows
 * every message: there is no component filter mask (Windows drops all but
 * DPFLTR_ERROR_LEVEL messages by default).
 */
NTSYSAPI ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);

#if defined(__GNUC__) || defined(__clang__)
/** vDbgPrintEx: DbgPrintEx with a va_list (declared with the compiler's
 *  builtin type, identical to <stdarg.h>'s va_list). */
NTSYSAPI ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format,
                           __builtin_va_list arglist);
/** vDbgPrintExWithPrefix: vDbgPrintEx with @p Prefix written first. */
NTSYSAPI ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId,
                                     ULONG Level, PCCH Format,
                                     __builtin_va_list arglist);
#endif

/**
 * DbgBreakPoint: with no kernel debugger attached, Windows raises
 * STATUS_BREAKPOINT; kpool does the same through kp_raise_status(), so it
 * lands in a KP_EXCEPT or, unhandled, is bug check 0x1E with
 * P1 = STATUS_BREAKPOINT.
 */
NTSYSAPI VOID NTAPI DbgBreakPoint(VOID);

/**
 * What a failed assertion calls: bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED
 * with P1 = STATUS_ASSERTION_FAILURE, P2 = the caller's address, P3 = P4 = 0
 * and an explanation naming @p expression, @p message (may be NULL),
 * @p file and @p line. Returns only if a bug check handler returns.
 */
KP_API void kp_wdk_assert_failed(const char *expression, const char *message,
                                 const char *file, ULONG line);

#ifdef DOXYGEN
/** ASSERT: when DBG, bug check 0x1E (see kp_wdk_assert_failed) unless @p exp
 *  is true; when !DBG, nothing (not even @p exp is evaluated). */
#define ASSERT(exp)
/** ASSERTMSG: ASSERT with a message. */
#define ASSERTMSG(msg, exp)
/** NT_ASSERT / NT_ASSERTMSG: as ASSERT / ASSERTMSG. */
#define NT_ASSERT(exp)
#define NT_ASSERTMSG(msg, exp)
/** NT_VERIFY / NT_VERIFYMSG: always evaluate @p exp and give its truth as a
 *  BOOLEAN; when DBG a false @p exp also bug checks. */
#define NT_VERIFY(exp)
#define NT_VERIFYMSG(msg, exp)
/** KdPrint((fmt, ...)) / KdPrintEx((id, level, fmt, ...)): DbgPrint /
 *  DbgPrintEx when DBG, nothing otherwise. Note the double parentheses. */
#define KdPrint(args)
#define KdPrintEx(args)
#endif

/* NT_VERIFY's value goes through a function so that the common statement
 * form `NT_VERIFY(NT_SUCCESS(status));` does not warn "result unused". */
FORCEINLINE BOOLEAN kp_wdk_verify_(int ok, const char *expression,
                                   const char *message, const char *file,
                                   ULONG line) {
  if (!ok) {
    kp_wdk_assert_failed(expression, message, file, line);
  }
  return ok ? TRUE : FALSE;
}
FORCEINLINE BOOLEAN kp_wdk_truth_(int ok) { return ok ? TRUE : FALSE; }

#if DBG
#define ASSERT(exp)                                                            \
  ((exp) ? (void)0 : kp_wdk_assert_failed(#exp, NULL, __FILE__, __LINE__))
#define ASSERTMSG(msg, exp)                                                    \
  ((exp) ? (void)0 : kp_wdk_assert_failed(#exp, (msg), __FILE__, __LINE__))
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_VERIFY(exp)                                                         \
  kp_wdk_verify_((exp) ? 1 : 0, #exp, NULL, __FILE__, __LINE__)
#define NT_VERIFYMSG(msg, exp)                                                 \
  kp_wdk_verify_((exp) ? 1 : 0, #exp, (msg), __FILE__, __LINE__)
#define KdPrint(args) DbgPrint args
#define KdPrintEx(args) DbgPrintEx args
#define KdBreakPoint() DbgBreakPoint()
#else
#define ASSERT(exp) ((void)0)
#define ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERT(exp) ((void)0)
#define NT_ASSERTMSG(msg, exp) ((void)0)
#define NT_VERIFY(exp) kp_wdk_truth_((exp) ? 1 : 0)
#define NT_VERIFYMSG(msg, exp) kp_wdk_truth_((exp) ? 1 : 0)
#define KdPrint(args) ((void)0)
#define KdPrintEx(args) ((void)0)
#define KdBreakPoint() ((void)0)
#endif

/**
 * KeBugCheckEx: raises bug check @p BugCheckCode with the four parameters on
 * the current system (kp_bugcheck()). The default handler prints the stop
 * line and aborts; a test's handler may return (then so does this, unlike
 * Windows) or longjmp.
 */
NTKERNELAPI VOID NTAPI KeBugCheckEx(ULONG BugCheckCode,
                                    ULONG_PTR BugCheckParameter1,
                                    ULONG_PTR BugCheckParameter2,
                                    ULONG_PTR BugCheckParameter3,
                                    ULONG_PTR BugCheckParameter4);

/** KeBugCheck: KeBugCheckEx with four zero parameters. */
NTKERNELAPI VOID NTAPI KeBugCheck(ULONG BugCheckCode);

/**
 * ExRaiseStatus: raises @p Status (kp_raise_status()). Lands in the
 * innermost KP_EXCEPT of the calling thread; with none, bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED with P1 = @p Status.
 */
NTKERNELAPI VOID NTAPI ExRaiseStatus(NTSTATUS Status);
/** ExRaiseAccessViolation: ExRaiseStatus(STATUS_ACCESS_VIOLATION). */
NTKERNELAPI VOID NTAPI ExRaiseAccessViolation(VOID);
/** ExRaiseDatatypeMisalignment: ExRaiseStatus(STATUS_DATATYPE_MISALIGNMENT). */
NTKERNELAPI VOID NTAPI ExRaiseDatatypeMisalignment(VOID);

/* ===========================================================================
 * IRQL, spin locks, fast mutexes (kpool/irql.h)
 * ========================================================================= */

/** KeGetCurrentIrql: the calling thread's simulated IRQL (kp_irql_get). */
NTKERNELAPI KIRQL NTAPI KeGetCurrentIrql(VOID);

/**
 * KeRaiseIrql: raises to @p NewIrql and stores the old IRQL in
 * *@p OldIrql (kp_irql_raise). @bugcheck when @p NewIrql is below the
 * current IRQL: 0x9 IRQL_NOT_GREATER_OR_EQUAL, or 0xC4/0x30 with the
 * verifier's automatic checks (see kp_irql_raise()).
 */
NTKERNELAPI VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
/** KfRaiseIrql: KeRaiseIrql returning the old IRQL. */
NTKERNELAPI KIRQL NTAPI KfRaiseIrql(KIRQL NewIrql);
/**
 * KeLowerIrql: lowers to @p NewIrql (kp_irql_lower). @bugcheck when
 * @p NewIrql is above the current IRQL: 0xA IRQL_NOT_LESS_OR_EQUAL, or
 * 0xC4/0x31 with the verifier's automatic checks (see kp_irql_lower()).
 */
NTKERNELAPI VOID NTAPI KeLowerIrql(KIRQL NewIrql);
/** KeRaiseIrqlToDpcLevel: raises to DISPATCH_LEVEL, returns the old IRQL. */
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID);

/**
 * PAGED_CODE(): the enclosing routine is pageable (kp_paged_code).
 * @bugcheck 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL when the IRQL is above
 * APC_LEVEL. Active in every build: on Windows, pageable code running at
 * DISPATCH_LEVEL faults as soon as it is paged out (Driver Verifier's force
 * IRQL checking makes that certain), so kpool always checks.
 */
#define PAGED_CODE() kp_paged_code(KP_HERE)
/** PAGED_CODE_LOCKED(): nothing, as in the WDK. */
#define PAGED_CODE_LOCKED() ((void)0)

/** KeInitializeSpinLock: a free spin lock (kp_spin_lock_init). */
NTKERNELAPI VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
/**
 * KeAcquireSpinLock: raises to DISPATCH_LEVEL, takes the lock (real mutual
 * exclusion between host threads), stores the old IRQL in *@p OldIrql
 * (kp_spin_lock_acquire). @bugcheck above DISPATCH_LEVEL, on recursion and
 * for a NULL or misaligned lock, as documented at kp_spin_lock_acquire().
 */
NTKERNELAPI VOID NTAPI KeAcquireSpinLock(PKSPIN_LOCK SpinLock,
                                         PKIRQL OldIrql);
/** KeAcquireSpinLockRaiseToDpc: KeAcquireSpinLock returning the old IRQL. */
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
/** KeReleaseSpinLock: releases, then lowers to @p NewIrql
 *  (kp_spin_lock_release; its bug checks: not at DISPATCH_LEVEL, not held,
 *  held by another thread). */
NTKERNELAPI VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock,
                                         KIRQL NewIrql);
/** KeAcquireSpinLockAtDpcLevel: takes the lock without raising
 *  (kp_spin_lock_acquire_at_dpc). @bugcheck 0xC4/0x40 below DISPATCH_LEVEL. */
NTKERNELAPI VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
/** KeReleaseSpinLockFromDpcLevel: releases without lowering
 *  (kp_spin_lock_release_from_dpc). @bugcheck 0xC4/0x41 below
 *  DISPATCH_LEVEL. */
NTKERNELAPI VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);

/** ExInitializeFastMutex: a free fast mutex (kp_fast_mutex_init). */
NTKERNELAPI VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex);
/**
 * ExAcquireFastMutex: waits for the mutex and raises to APC_LEVEL
 * (kp_fast_mutex_acquire). @bugcheck above APC_LEVEL (0xA, or 0xC4/0x33
 * with the verifier's automatic checks), on recursion (0xC4/0x1000) and for
 * an uninitialised mutex, as documented at kp_fast_mutex_acquire().
 */
NTKERNELAPI VOID FASTCALL ExAcquireFastMutex(PFAST_MUTEX FastMutex);
/** ExReleaseFastMutex: releases and restores the IRQL saved at acquire
 *  (kp_fast_mutex_release). @bugcheck when not at APC_LEVEL, not held or
 *  held by another thread, as documented at kp_fast_mutex_release(). */
NTKERNELAPI VOID FASTCALL ExReleaseFastMutex(PFAST_MUTEX FastMutex);
/** ExTryToAcquireFastMutex: TRUE when acquired without waiting
 *  (kp_fast_mutex_try_acquire). */
NTKERNELAPI BOOLEAN FASTCALL ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex);

/** KeGetCurrentProcessorNumber: the simulated processor of the calling
 *  thread (kp_thread_processor). */
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumber(VOID);

/**
 * KeGetCurrentNodeNumber: the simulated NUMA node of the calling thread in
 * the current system (kp_thread_node()).
 */
NTKERNELAPI USHORT NTAPI KeGetCurrentNodeNumber(VOID);

/* ===========================================================================
 * Pool allocation and free (kpool/pool.h)
 *
 * Each routine is a real exported function with the WDK signature, acting on
 * kp_system_current(), and also (unless KPOOL_NO_CALL_SITES) a macro that
 * calls its kp_wdk_<Name>_at twin with __FILE__ / __LINE__. The real
 * functions record their return address as the site.
 * ========================================================================= */

/**
 * ExAllocatePool2: kp_alloc2(). Zeroed memory unless POOL_FLAG_UNINITIALIZED
 * (then filled with a non-zero pattern); exactly one of POOL_FLAG_NON_PAGED,
 * POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED; an unknown or reserved
 * required bit, a zero @p Tag or no memory give NULL, or a raise of
 * STATUS_INSUFFICIENT_RESOURCES with POOL_FLAG_RAISE_ON_FAILURE.
 * Below a page: 16-byte aligned (64 with POOL_FLAG_CACHE_ALIGNED); from a
 * page up: page-aligned. @bugcheck IRQL rules as kp_alloc2().
 */
NTKERNELAPI PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags,
                                        SIZE_T NumberOfBytes, ULONG Tag);

/**
 * ExAllocatePool (deprecated): kp_alloc_legacy() with the tag "None".
 * Pattern-filled memory (not zeroed); NULL on failure, or a raise with
 * POOL_RAISE_IF_ALLOCATION_FAILURE.
 */
NTKERNELAPI PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType,
                                       SIZE_T NumberOfBytes);

/**
 * ExAllocatePoolWithTag (deprecated): kp_alloc_legacy(). Pattern-filled
 * unless POOL_ZERO_ALLOCATION is ORed into @p PoolType. NULL on failure, or
 * a raise with POOL_RAISE_IF_ALLOCATION_FAILURE. @bugcheck 0xC2/0x9B for a
 * zero tag, 0xC2/0x9A for must-succeed pool; IRQL rules as kp_alloc2().
 */
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType,
                                              SIZE_T NumberOfBytes,
                                              ULONG Tag);

/**
 * ExAllocatePoolWithQuota (deprecated): a quota allocation tagged "None".
 * Raises STATUS_INSUFFICIENT_RESOURCES on failure unless
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is set (then NULL).
 */
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithQuota(POOL_TYPE PoolType,
                                                SIZE_T NumberOfBytes);

/**
 * ExAllocatePoolWithQuotaTag (deprecated): a quota allocation
 * (kp_alloc_legacy with KP_API_ALLOCATE_POOL_QUOTA). Raises on failure
 * unless POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is set (then NULL).
 */
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType,
                                                   SIZE_T NumberOfBytes,
                                                   ULONG Tag);

/**
 * ExAllocatePoolWithTagPriority (deprecated): ExAllocatePoolWithTag whose
 * @p Priority decides how early it fails under simulated memory pressure.
 */
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTagPriority(
    POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
    EX_POOL_PRIORITY Priority);

/**
 * ExFreePoolWithTag: kp_free(). A zero @p Tag skips the tag check.
 * @bugcheck 0xC2/0x0A when @p Tag is non-zero and differs from the
 * allocation's tag (P2 address, P3 allocation tag, P4 @p Tag); double free,
 * wild / interior / foreign pointer, overrun canary and IRQL violations as
 * documented at kp_free().
 */
NTKERNELAPI VOID ExFreePoolWithTag(PVOID P, ULONG Tag);

/** ExFreePool: ExFreePoolWithTag(P, 0): no tag check (as ntddk.h maps it). */
NTKERNELAPI VOID NTAPI ExFreePool(PVOID P);

/* Site-taking twins the call-site macros use; @p File / @p Line name the
 * caller's source line. Same behaviour as the functions above. */
KP_API PVOID kp_wdk_ExAllocatePool2_at(POOL_FLAGS Flags, SIZE_T NumberOfBytes,
                                       ULONG Tag, const char *File,
                                       ULONG Line);
KP_API PVOID kp_wdk_ExAllocatePool_at(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                      const char *File, ULONG Line);
KP_API PVOID kp_wdk_ExAllocatePoolWithTag_at(POOL_TYPE PoolType,
                                             SIZE_T NumberOfBytes, ULONG Tag,
                                             const char *File, ULONG Line);
KP_API PVOID kp_wdk_ExAllocatePoolWithQuota_at(POOL_TYPE PoolType,
                                               SIZE_T NumberOfBytes,
                                               const char *File, ULONG Line);
KP_API PVOID kp_wdk_ExAllocatePoolWithQuotaTag_at(POOL_TYPE PoolType,
                                                  SIZE_T NumberOfBytes,
                                                  ULONG Tag, const char *File,
                                                  ULONG Line);
KP_API PVOID kp_wdk_ExAllocatePoolWithTagPriority_at(
    POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
    EX_POOL_PRIORITY Priority, const char *File, ULONG Line);
KP_API VOID kp_wdk_ExFreePoolWithTag_at(PVOID P, ULONG Tag, const char *File,
                                        ULONG Line);
KP_API VOID kp_wdk_ExFreePool_at(PVOID P, const char *File, ULONG Line);

/* ---------------------------------------------------------------------------
 * Driver runtime initialisation and the zeroing helpers
 * ------------------------------------------------------------------------- */

/** ExInitializeDriverRuntime flag: opt in to NX non-paged pool. */
#define DrvRtPoolNxOptIn 0x00000001

/**
 * FALSE until ExInitializeDriverRuntime() runs, as in the WDK. Only read by
 * the *Zero helpers when POOL_ZERO_DOWN_LEVEL_SUPPORT is defined (kpool
 * always honours POOL_ZERO_ALLOCATION, so the extra zeroing is harmless).
 * One process-wide variable (on Windows, one per driver image).
 */
KP_API extern BOOLEAN ExPoolZeroingNativelySupported;
/**
 * What NonPagedPool means under POOL_NX_OPTIN: NonPagedPoolExecute until
 * ExInitializeDriverRuntime(DrvRtPoolNxOptIn), then NonPagedPoolNx.
 */
KP_API extern POOL_TYPE ExDefaultNonPagedPoolType;

/**
 * ExInitializeDriverRuntime: the simulated OS is Windows 10 2004 or later,
 * so it sets ExPoolZeroingNativelySupported to TRUE and, with
 * DrvRtPoolNxOptIn in @p RuntimeFlags, ExDefaultNonPagedPoolType to
 * NonPagedPoolNx. Not thread-safe (call it in DriverEntry).
 */
KP_API VOID ExInitializeDriverRuntime(ULONG RuntimeFlags);

/* The *Zero / *Uninitialized helpers are inline, as in the WDK. The
 * parentheses around the callee names keep the call-site macros out. */

/* With POOL_ZERO_DOWN_LEVEL_SUPPORT, the *Zero helpers zero the block
 * themselves until ExInitializeDriverRuntime() says the OS does it. */
FORCEINLINE PVOID kp_wdk_zero_down_level(PVOID p, SIZE_T NumberOfBytes) {
#if defined(POOL_ZERO_DOWN_LEVEL_SUPPORT)
  if (p != NULL && !ExPoolZeroingNativelySupported) {
    RtlZeroMemory(p, NumberOfBytes);
  }
#else
  (void)NumberOfBytes;
#endif
  return p;
}

/** ExAllocatePoolZero: ExAllocatePoolWithTag with POOL_ZERO_ALLOCATION. */
FORCEINLINE PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                     ULONG Tag) {
  PVOID p = (ExAllocatePoolWithTag)(
      (POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
  return kp_wdk_zero_down_level(p, NumberOfBytes);
}

/** ExAllocatePoolUninitialized: ExAllocatePoolWithTag unchanged. */
FORCEINLINE PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType,
                                              SIZE_T NumberOfBytes,
                                              ULONG Tag) {
  return (ExAllocatePoolWithTag)(PoolType, NumberOfBytes, Tag);
}

/** ExAllocatePoolQuotaZero: ExAllocatePoolWithQuotaTag with
 *  POOL_ZERO_ALLOCATION. */
FORCEINLINE PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType,
                                          SIZE_T NumberOfBytes, ULONG Tag) {
  PVOID p = (ExAllocatePoolWithQuotaTag)(
      (POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
  return kp_wdk_zero_down_level(p, NumberOfBytes);
}

/** ExAllocatePoolQuotaUninitialized: ExAllocatePoolWithQuotaTag unchanged. */
FORCEINLINE PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType,
                                                   SIZE_T NumberOfBytes,
                                                   ULONG Tag) {
  return (ExAllocatePoolWithQuotaTag)(PoolType, NumberOfBytes, Tag);
}

/** ExAllocatePoolPriorityZero: ExAllocatePoolWithTagPriority with
 *  POOL_ZERO_ALLOCATION. */
FORCEINLINE PVOID ExAllocatePoolPriorityZero(POOL_TYPE PoolType,
                                             SIZE_T NumberOfBytes, ULONG Tag,
                                             EX_POOL_PRIORITY Priority) {
  PVOID p = (ExAllocatePoolWithTagPriority)(
      (POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag,
      Priority);
  return kp_wdk_zero_down_level(p, NumberOfBytes);
}

/** ExAllocatePoolPriorityUninitialized: ExAllocatePoolWithTagPriority
 *  unchanged. */
FORCEINLINE PVOID ExAllocatePoolPriorityUninitialized(
    POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
    EX_POOL_PRIORITY Priority) {
  return (ExAllocatePoolWithTagPriority)(PoolType, NumberOfBytes, Tag,
                                         Priority);
}

/* Site-recording forms of the helpers above (used by the macros below). */
FORCEINLINE PVOID kp_wdk_ExAllocatePoolZero_at(POOL_TYPE PoolType,
                                               SIZE_T NumberOfBytes, ULONG Tag,
                                               const char *File, ULONG Line) {
  PVOID p = kp_wdk_ExAllocatePoolWithTag_at(
      (POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag, File,
      Line);
  return kp_wdk_zero_down_level(p, NumberOfBytes);
}

FORCEINLINE PVOID kp_wdk_ExAllocatePoolQuotaZero_at(POOL_TYPE PoolType,
                                                    SIZE_T NumberOfBytes,
                                                    ULONG Tag, const char *File,
                                                    ULONG Line) {
  PVOID p = kp_wdk_ExAllocatePoolWithQuotaTag_at(
      (POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag, File,
      Line);
  return kp_wdk_zero_down_level(p, NumberOfBytes);
}

FORCEINLINE PVOID kp_wdk_ExAllocatePoolPriorityZero_at(
    POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
    EX_POOL_PRIORITY Priority, const char *File, ULONG Line) {
  PVOID p = kp_wdk_ExAllocatePoolWithTagPriority_at(
      (POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag,
      Priority, File, Line);
  return kp_wdk_zero_down_level(p, NumberOfBytes);
}

#ifdef __cplusplus
}
#endif

/* ===========================================================================
 * Call-site macros (see the file comment). Function-like, so the names
 * without a following '(' still denote the exported functions.
 * ========================================================================= */
#if !defined(KPOOL_NO_CALL_SITES)
#define ExAllocatePool2(Flags, NumberOfBytes, Tag)                             \
  kp_wdk_ExAllocatePool2_at((Flags), (NumberOfBytes), (Tag), __FILE__,         \
                            __LINE__)
#define ExAllocatePool(PoolType, NumberOfBytes)                                \
  kp_wdk_ExAllocatePool_at((PoolType), (NumberOfBytes), __FILE__, __LINE__)
#define ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag)                    \
  kp_wdk_ExAllocatePoolWithTag_at((PoolType), (NumberOfBytes), (Tag),          \
                                  __FILE__, __LINE__)
#define ExAllocatePoolWithQuota(PoolType, NumberOfBytes)                       \
  kp_wdk_ExAllocatePoolWithQuota_at((PoolType), (NumberOfBytes), __FILE__,     \
                                    __LINE__)
#define ExAllocatePoolWithQuotaTag(PoolType, NumberOfBytes, Tag)               \
  kp_wdk_ExAllocatePoolWithQuotaTag_at((PoolType), (NumberOfBytes), (Tag),     \
                                       __FILE__, __LINE__)
#define ExAllocatePoolWithTagPriority(PoolType, NumberOfBytes, Tag, Priority)  \
  kp_wdk_ExAllocatePoolWithTagPriority_at((PoolType), (NumberOfBytes), (Tag),  \
                                          (Priority), __FILE__, __LINE__)
#define ExAllocatePoolZero(PoolType, NumberOfBytes, Tag)                       \
  kp_wdk_ExAllocatePoolZero_at((PoolType), (NumberOfBytes), (Tag), __FILE__,   \
                               __LINE__)
#define ExAllocatePoolUninitialized(PoolType, NumberOfBytes, Tag)              \
  kp_wdk_ExAllocatePoolWithTag_at((PoolType), (NumberOfBytes), (Tag),          \
                                  __FILE__, __LINE__)
#define ExAllocatePoolQuotaZero(PoolType, NumberOfBytes, Tag)                  \
  kp_wdk_ExAllocatePoolQuotaZero_at((PoolType), (NumberOfBytes), (Tag),        \
                                    __FILE__, __LINE__)
#define ExAllocatePoolQuotaUninitialized(PoolType, NumberOfBytes, Tag)         \
  kp_wdk_ExAllocatePoolWithQuotaTag_at((PoolType), (NumberOfBytes), (Tag),     \
                                       __FILE__, __LINE__)
#define ExAllocatePoolPriorityZero(PoolType, NumberOfBytes, Tag, Priority)     \
  kp_wdk_ExAllocatePoolPriorityZero_at((PoolType), (NumberOfBytes), (Tag),     \
                                       (Priority), __FILE__, __LINE__)
#define ExAllocatePoolPriorityUninitialized(PoolType, NumberOfBytes, Tag,      \
                                            Priority)                          \
  kp_wdk_ExAllocatePoolWithTagPriority_at((PoolType), (NumberOfBytes), (Tag),  \
                                          (Priority), __FILE__, __LINE__)
#define ExFreePoolWithTag(P, Tag)                                              \
  kp_wdk_ExFreePoolWithTag_at((P), (Tag), __FILE__, __LINE__)
#define ExFreePool(P) kp_wdk_ExFreePool_at((P), __FILE__, __LINE__)
#endif /* !KPOOL_NO_CALL_SITES */

/* ===========================================================================
 * Lookaside lists and SLISTs; ExAllocatePool3, ExFreePool2, ExCreatePool
 * and the secure pool. Kept in their own headers, which rely on the types
 * above.
 * ========================================================================= */
#include "kp_wdk_lookaside.h"
#include "kp_wdk_pool3.h"
#include "kp_wdk_dispatch.h"

#endif /* KPOOL_WDK_WDM_H */
