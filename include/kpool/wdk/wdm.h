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
 *   byte, WCHAR 16 bits. `%lu` for a ULONG is right for DbgPrint (which
 *   formats the Windows way) but not for the host's printf.
 *
 * - **WCHAR and L"..." literals.** Windows' wchar_t is 16 bits; Linux's
 *   and macOS's is 32. WCHAR is `wchar_t` when the compiler's wchar_t has
 *   two bytes (`-fshort-wchar`, or a Windows host: KPOOL_SHORT_WCHAR is 1),
 *   so a driver's `WCHAR buf[] = L"x"` compiles unchanged. Otherwise
 *   (KPOOL_SHORT_WCHAR 0) WCHAR is `char16_t` in C++ and `uint16_t` (the
 *   type of C11's char16_t) in C: write `u"..."`; an `L"..."` literal is
 *   32-bit there and does not convert to PWSTR. kpool's own code never uses
 *   wchar_t in its API, so it links with either. See
 *   docs/runtime-strings.md for how to build a driver's tests with
 *   `-fshort-wchar` and what that costs (the host's wide C library and
 *   C++'s std::wstring assume 4 bytes).
 *
 * - **The C run-time.** As the WDK's wdm.h, this header makes memcpy,
 *   memset, memcmp, memmove, strlen, strcmp, strncpy, ... visible (it
 *   includes <string.h> and <wchar.h>; the only OS-independent C headers a
 *   WDK face includes beyond <stddef.h>/<stdint.h>/<stdbool.h>). The wide
 *   functions (wcslen, wcscmp, wcscpy, ...) and _stricmp, _strnicmp,
 *   _wcsicmp, _wcsnicmp work on 16-bit WCHAR strings as on Windows: see
 *   kp_wdk_crt.h. min() and max() are macros unless NOMINMAX is defined,
 *   as in the WDK: C++ code that includes <algorithm> (or any standard
 *   header using std::min) after this header must define NOMINMAX first,
 *   or include the standard headers before and write `(std::min)(a, b)`.
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
 * - **Assertions.** A failed ASSERT, ASSERTMSG, NT_ASSERT, NT_ASSERTMSG,
 *   NT_VERIFY or NT_FRE_ASSERT raises bug check 0x1E
 *   KMODE_EXCEPTION_NOT_HANDLED with P1 = STATUS_ASSERTION_FAILURE
 *   sign-extended (0xFFFFFFFFC0000420, as x64 passes an NTSTATUS and as
 *   kp_raise_status does), P2 = the caller's address, P3 = P4 = 0, and the
 *   expression, message and file name:line in the explanation. On
 *   Windows NT_ASSERT raises a STATUS_ASSERTION_FAILURE exception, which
 *   unhandled is this bug check; ASSERT calls RtlAssert, which breaks into
 *   the debugger. kpool gives both the same result, which no KP_TRY
 *   catches, so that an assertion in driver code fails the test on the
 *   spot (kpool's choice).
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

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* The WDK's wdm.h includes its km/crt <string.h> (facts §8.9): drivers call
 * memcpy, strlen, wcslen... without including anything else. */
#include <string.h>
#include <wchar.h>

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

/* Calling conventions. x64 Windows has one convention, so __cdecl,
 * __stdcall and __fastcall mean nothing there; on Linux and macOS they are
 * not compiler keywords (gcc and clang predefine them only for Windows
 * targets), so they are defined empty. On a Windows host they are the
 * compiler's own. */
#if !defined(_WIN32)
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __fastcall
#define __fastcall
#endif
#endif
/** The kernel's calling convention (__stdcall; nothing on x64). */
#define NTAPI __stdcall
/** The register convention of a few routines (nothing on x64). */
#define FASTCALL __fastcall
/** The C runtime's convention. */
#ifndef CDECL
#define CDECL __cdecl
#endif
#define NTAPI_INLINE NTAPI
/** A driver imports kernel routines; here kpool exports them. */
#define DECLSPEC_IMPORT KP_API
#ifdef __cplusplus
#define EXTERN_C extern "C"
#else
#define EXTERN_C extern
#endif
/** Marks a routine the kernel exports: here, one kpool exports. */
#define NTKERNELAPI KP_API
/** Marks a routine ntdll/ntoskrnl export (DbgPrint...): kpool exports it. */
#define NTSYSAPI KP_API
#define NTSYSCALLAPI KP_API
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

/**
 * min(a, b) / max(a, b): the WDK's function-like macros (ntdef.h), defined
 * unless NOMINMAX is. Each argument may be evaluated twice. They collide
 * with C++'s std::min / std::max: define NOMINMAX before including this
 * header in C++ code that includes <algorithm> (or another standard header
 * that uses std::min) afterwards, or include those headers first and call
 * `(std::min)(a, b)`. tests/wdk/test_wdk_basedefs_*.cpp show both.
 * The host's C++ library shifts this: libstdc++'s c++config.h #undefs min
 * and max the first time any standard header is included, so with
 * <ntddk.h> as the very first include a later <algorithm> compiles but
 * the macros are gone; libc++ (macOS) shields its headers with
 * push_macro, so both orders compile and the macros stay.
 */
#ifndef NOMINMAX
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif

/**
 * DEFINE_ENUM_FLAG_OPERATORS(T): in C++, the bitwise operators |, |=, &,
 * &=, ^, ^= and ~ for the flag enum T (computed on the integer of T's
 * size), inside extern "C++"; in C, nothing (C enums already combine).
 * Write it without a trailing semicolon in C (ISO C forbids a stray ';'
 * at file scope and -Wpedantic says so).
 */
#ifdef __cplusplus
extern "C++" {
template <size_t Size> struct kp_wdk_enum_int_;
template <> struct kp_wdk_enum_int_<1> { typedef int8_t type; };
template <> struct kp_wdk_enum_int_<2> { typedef int16_t type; };
template <> struct kp_wdk_enum_int_<4> { typedef int32_t type; };
template <> struct kp_wdk_enum_int_<8> { typedef int64_t type; };
}
/* Unused operators of an enum with internal linkage (an anonymous
 * namespace) must not warn. */
#if defined(__GNUC__) || defined(__clang__)
#define KP_WDK_ENUM_OP_ __attribute__((unused))
#else
#define KP_WDK_ENUM_OP_
#endif
#define KP_WDK_ENUM_INT_(T) kp_wdk_enum_int_<sizeof(T)>::type
#define DEFINE_ENUM_FLAG_OPERATORS(T)                                          \
  extern "C++" {                                                               \
  KP_WDK_ENUM_OP_ inline constexpr T operator|(T a, T b) noexcept {            \
    return T(((KP_WDK_ENUM_INT_(T))a) | ((KP_WDK_ENUM_INT_(T))b));             \
  }                                                                            \
  KP_WDK_ENUM_OP_ inline T &operator|=(T &a, T b) noexcept {                   \
    return a = a | b;                                                          \
  }                                                                            \
  KP_WDK_ENUM_OP_ inline constexpr T operator&(T a, T b) noexcept {            \
    return T(((KP_WDK_ENUM_INT_(T))a) & ((KP_WDK_ENUM_INT_(T))b));             \
  }                                                                            \
  KP_WDK_ENUM_OP_ inline T &operator&=(T &a, T b) noexcept {                   \
    return a = a & b;                                                          \
  }                                                                            \
  KP_WDK_ENUM_OP_ inline constexpr T operator~(T a) noexcept {                 \
    return T(~((KP_WDK_ENUM_INT_(T))a));                                       \
  }                                                                            \
  KP_WDK_ENUM_OP_ inline constexpr T operator^(T a, T b) noexcept {            \
    return T(((KP_WDK_ENUM_INT_(T))a) ^ ((KP_WDK_ENUM_INT_(T))b));             \
  }                                                                            \
  KP_WDK_ENUM_OP_ inline T &operator^=(T &a, T b) noexcept {                   \
    return a = a ^ b;                                                          \
  }                                                                            \
  }
#else
#define DEFINE_ENUM_FLAG_OPERATORS(T)
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

/* More annotations real drivers write: the rest of the _In_/_Out_/_Inout_
 * buffer family, _Field_size_*, locks, IRQL, analysis hints, the old
 * __in / __out / __drv_* spellings. Empty, defined only when absent. */
#ifndef _In_reads_z_
#define _In_reads_z_(a)
#endif
#ifndef _In_reads_or_z_
#define _In_reads_or_z_(a)
#endif
#ifndef _In_reads_to_ptr_
#define _In_reads_to_ptr_(a)
#endif
#ifndef _Out_writes_z_
#define _Out_writes_z_(a)
#endif
#ifndef _Out_writes_to_
#define _Out_writes_to_(a, b)
#endif
#ifndef _Out_writes_to_opt_
#define _Out_writes_to_opt_(a, b)
#endif
#ifndef _Out_writes_bytes_to_
#define _Out_writes_bytes_to_(a, b)
#endif
#ifndef _Out_writes_bytes_to_opt_
#define _Out_writes_bytes_to_opt_(a, b)
#endif
#ifndef _Out_writes_all_
#define _Out_writes_all_(a)
#endif
#ifndef _Out_writes_all_opt_
#define _Out_writes_all_opt_(a)
#endif
#ifndef _Out_writes_bytes_all_opt_
#define _Out_writes_bytes_all_opt_(a)
#endif
#ifndef _Out_writes_opt_z_
#define _Out_writes_opt_z_(a)
#endif
#ifndef _Out_z_
#define _Out_z_
#endif
#ifndef _Out_opt_z_
#define _Out_opt_z_
#endif
#ifndef _Inout_z_
#define _Inout_z_
#endif
#ifndef _Inout_opt_z_
#define _Inout_opt_z_
#endif
#ifndef _Inout_updates_opt_
#define _Inout_updates_opt_(a)
#endif
#ifndef _Inout_updates_z_
#define _Inout_updates_z_(a)
#endif
#ifndef _Inout_updates_bytes_opt_
#define _Inout_updates_bytes_opt_(a)
#endif
#ifndef _Inout_updates_to_
#define _Inout_updates_to_(a, b)
#endif
#ifndef _Inout_updates_bytes_to_
#define _Inout_updates_bytes_to_(a, b)
#endif
#ifndef _Inout_updates_all_
#define _Inout_updates_all_(a)
#endif
#ifndef _Inout_updates_bytes_all_
#define _Inout_updates_bytes_all_(a)
#endif
#ifndef _Outptr_result_nullonfailure_
#define _Outptr_result_nullonfailure_
#endif
#ifndef _Outptr_opt_result_maybenull_
#define _Outptr_opt_result_maybenull_
#endif
#ifndef _Outptr_result_buffer_
#define _Outptr_result_buffer_(a)
#endif
#ifndef _Outptr_result_bytebuffer_
#define _Outptr_result_bytebuffer_(a)
#endif
#ifndef _Outptr_result_buffer_maybenull_
#define _Outptr_result_buffer_maybenull_(a)
#endif
#ifndef _Outptr_result_bytebuffer_maybenull_
#define _Outptr_result_bytebuffer_maybenull_(a)
#endif
#ifndef _Outptr_opt_result_buffer_
#define _Outptr_opt_result_buffer_(a)
#endif
#ifndef _Outptr_opt_result_bytebuffer_
#define _Outptr_opt_result_bytebuffer_(a)
#endif
#ifndef _Outptr_result_z_
#define _Outptr_result_z_
#endif
#ifndef _Deref_out_range_
#define _Deref_out_range_(a, b)
#endif
#ifndef _Deref_in_range_
#define _Deref_in_range_(a, b)
#endif
#ifndef _Deref_out_
#define _Deref_out_
#endif
#ifndef _Deref_post_maybenull_
#define _Deref_post_maybenull_
#endif
#ifndef _Printf_format_string_params_
#define _Printf_format_string_params_(a)
#endif
#ifndef _Scanf_format_string_
#define _Scanf_format_string_
#endif
#ifndef _Format_string_impl_
#define _Format_string_impl_(a, b)
#endif
#ifndef _Ret_z_
#define _Ret_z_
#endif
#ifndef _Ret_maybenull_z_
#define _Ret_maybenull_z_
#endif
#ifndef _Ret_writes_
#define _Ret_writes_(a)
#endif
#ifndef _Ret_writes_bytes_
#define _Ret_writes_bytes_(a)
#endif
#ifndef _Ret_writes_maybenull_
#define _Ret_writes_maybenull_(a)
#endif
#ifndef _Ret_writes_bytes_maybenull_
#define _Ret_writes_bytes_maybenull_(a)
#endif
#ifndef _Ret_valid_
#define _Ret_valid_
#endif
#ifndef _Result_nullonfailure_
#define _Result_nullonfailure_
#endif
#ifndef _Result_zeroonfailure_
#define _Result_zeroonfailure_
#endif
#ifndef _Return_type_success_
#define _Return_type_success_(a)
#endif
#ifndef _Post_z_
#define _Post_z_
#endif
#ifndef _Post_valid_
#define _Post_valid_
#endif
#ifndef _Post_readable_size_
#define _Post_readable_size_(a)
#endif
#ifndef _Post_readable_byte_size_
#define _Post_readable_byte_size_(a)
#endif
#ifndef _Post_writable_size_
#define _Post_writable_size_(a)
#endif
#ifndef _Post_equal_to_
#define _Post_equal_to_(a)
#endif
#ifndef _Post_same_lock_
#define _Post_same_lock_(a, b)
#endif
#ifndef _Pre_z_
#define _Pre_z_
#endif
#ifndef _Pre_valid_
#define _Pre_valid_
#endif
#ifndef _Pre_maybenull_
#define _Pre_maybenull_
#endif
#ifndef _Pre_null_
#define _Pre_null_
#endif
#ifndef _Pre_readable_size_
#define _Pre_readable_size_(a)
#endif
#ifndef _Pre_readable_byte_size_
#define _Pre_readable_byte_size_(a)
#endif
#ifndef _Pre_writable_size_
#define _Pre_writable_size_(a)
#endif
#ifndef _Pre_writable_byte_size_
#define _Pre_writable_byte_size_(a)
#endif
#ifndef _Pre_defensive_
#define _Pre_defensive_
#endif
#ifndef _Post_defensive_
#define _Post_defensive_
#endif
#ifndef _Field_size_opt_
#define _Field_size_opt_(a)
#endif
#ifndef _Field_size_bytes_opt_
#define _Field_size_bytes_opt_(a)
#endif
#ifndef _Field_size_part_
#define _Field_size_part_(a, b)
#endif
#ifndef _Field_size_part_opt_
#define _Field_size_part_opt_(a, b)
#endif
#ifndef _Field_size_bytes_part_opt_
#define _Field_size_bytes_part_opt_(a, b)
#endif
#ifndef _Field_size_full_
#define _Field_size_full_(a)
#endif
#ifndef _Field_size_full_opt_
#define _Field_size_full_opt_(a)
#endif
#ifndef _Field_size_bytes_full_
#define _Field_size_bytes_full_(a)
#endif
#ifndef _Field_size_bytes_full_opt_
#define _Field_size_bytes_full_opt_(a)
#endif
#ifndef _Field_z_
#define _Field_z_
#endif
#ifndef _Satisfies_
#define _Satisfies_(a)
#endif
#ifndef _Always_
#define _Always_(a)
#endif
#ifndef _On_failure_
#define _On_failure_(a)
#endif
#ifndef _Points_to_data_
#define _Points_to_data_
#endif
#ifndef _Const_
#define _Const_
#endif
#ifndef _Inexpressible_
#define _Inexpressible_(a)
#endif
#ifndef _Unchanged_
#define _Unchanged_(a)
#endif
#ifndef _Old_
#define _Old_(a)
#endif
#ifndef _Readable_bytes_
#define _Readable_bytes_(a)
#endif
#ifndef _Writable_bytes_
#define _Writable_bytes_(a)
#endif
#ifndef _Readable_elements_
#define _Readable_elements_(a)
#endif
#ifndef _Writable_elements_
#define _Writable_elements_(a)
#endif
#ifndef _Null_
#define _Null_
#endif
#ifndef _Notnull_
#define _Notnull_
#endif
#ifndef _Maybenull_
#define _Maybenull_
#endif
#ifndef _Valid_
#define _Valid_
#endif
#ifndef _Analysis_noreturn_
#define _Analysis_noreturn_
#endif
#ifndef _Analysis_mode_
#define _Analysis_mode_(a)
#endif
#ifndef _Analysis_assume_lock_held_
#define _Analysis_assume_lock_held_(a)
#endif
#ifndef _Analysis_assume_lock_not_held_
#define _Analysis_assume_lock_not_held_(a)
#endif
#ifndef _Analysis_assume_same_lock_
#define _Analysis_assume_same_lock_(a, b)
#endif
#ifndef _Benign_race_begin_
#define _Benign_race_begin_
#endif
#ifndef _Benign_race_end_
#define _Benign_race_end_
#endif
#ifndef _No_competing_thread_
#define _No_competing_thread_
#endif
#ifndef _No_competing_thread_begin_
#define _No_competing_thread_begin_
#endif
#ifndef _No_competing_thread_end_
#define _No_competing_thread_end_
#endif
#ifndef _Interlocked_
#define _Interlocked_
#endif
#ifndef _Requires_exclusive_lock_held_
#define _Requires_exclusive_lock_held_(a)
#endif
#ifndef _Requires_shared_lock_held_
#define _Requires_shared_lock_held_(a)
#endif
#ifndef _Requires_no_locks_held_
#define _Requires_no_locks_held_
#endif
#ifndef _Acquires_shared_lock_
#define _Acquires_shared_lock_(a)
#endif
#ifndef _Releases_shared_lock_
#define _Releases_shared_lock_(a)
#endif
#ifndef _Acquires_nonreentrant_lock_
#define _Acquires_nonreentrant_lock_(a)
#endif
#ifndef _Releases_nonreentrant_lock_
#define _Releases_nonreentrant_lock_(a)
#endif
#ifndef _Has_lock_kind_
#define _Has_lock_kind_(a)
#endif
#ifndef _Has_lock_level_
#define _Has_lock_level_(a)
#endif
#ifndef _Lock_level_order_
#define _Lock_level_order_(a, b)
#endif
#ifndef _Create_lock_level_
#define _Create_lock_level_(a)
#endif
#ifndef _Write_guarded_by_
#define _Write_guarded_by_(a)
#endif
#ifndef _IRQL_uses_cancel_
#define _IRQL_uses_cancel_
#endif
#ifndef _IRQL_is_cancel_
#define _IRQL_is_cancel_
#endif
#ifndef _IRQL_lowers_
#define _IRQL_lowers_(a)
#endif
#ifndef _Kernel_clear_do_init_
#define _Kernel_clear_do_init_(a)
#endif
#ifndef _Kernel_IoGetDmaAdapter_
#define _Kernel_IoGetDmaAdapter_
#endif
#ifndef _Kernel_float_used_
#define _Kernel_float_used_
#endif
#ifndef _Kernel_ptr_
#define _Kernel_ptr_
#endif
#ifndef _User_
#define _User_
#endif
#ifndef _User_always_
#define _User_always_
#endif
#ifndef _User_on_failure_
#define _User_on_failure_
#endif
#ifndef _Flag_
#define _Flag_
#endif
#ifndef _Pre_equal_to_
#define _Pre_equal_to_(a)
#endif
#ifndef _Outref_
#define _Outref_
#endif
#ifndef _Outref_result_maybenull_
#define _Outref_result_maybenull_
#endif
#ifndef _At_buffer_
#define _At_buffer_(a, b, c, d)
#endif
#ifndef __drv_dispatchType
#define __drv_dispatchType(a)
#endif
#ifndef __drv_dispatchType_other
#define __drv_dispatchType_other
#endif
#ifndef __drv_sameIRQL
#define __drv_sameIRQL
#endif
#ifndef __drv_raisesIRQL
#define __drv_raisesIRQL(a)
#endif
#ifndef __drv_setsIRQL
#define __drv_setsIRQL(a)
#endif
#ifndef __drv_savesIRQL
#define __drv_savesIRQL
#endif
#ifndef __drv_restoresIRQL
#define __drv_restoresIRQL
#endif
#ifndef __drv_savesIRQLGlobal
#define __drv_savesIRQLGlobal(a, b)
#endif
#ifndef __drv_restoresIRQLGlobal
#define __drv_restoresIRQLGlobal(a, b)
#endif
#ifndef __drv_minIRQL
#define __drv_minIRQL(a)
#endif
#ifndef __drv_useCancelIRQL
#define __drv_useCancelIRQL
#endif
#ifndef __drv_isCancelIRQL
#define __drv_isCancelIRQL
#endif
#ifndef __drv_arg
#define __drv_arg(a, b)
#endif
#ifndef __drv_in
#define __drv_in(a)
#endif
#ifndef __drv_out
#define __drv_out(a)
#endif
#ifndef __drv_in_deref
#define __drv_in_deref(a)
#endif
#ifndef __drv_out_deref
#define __drv_out_deref(a)
#endif
#ifndef __drv_strictTypeMatch
#define __drv_strictTypeMatch(a)
#endif
#ifndef __drv_strictType
#define __drv_strictType(a, b)
#endif
#ifndef __drv_isObjectPointer
#define __drv_isObjectPointer
#endif
#ifndef __drv_functionClass
#define __drv_functionClass(a)
#endif
#ifndef __drv_clearDoInit
#define __drv_clearDoInit(a)
#endif
#ifndef __drv_valueIs
#define __drv_valueIs(a)
#endif
#ifndef __drv_neverHold
#define __drv_neverHold(a)
#endif
#ifndef __drv_mustHold
#define __drv_mustHold(a)
#endif
#ifndef __drv_mustHoldCriticalRegion
#define __drv_mustHoldCriticalRegion
#endif
#ifndef __drv_acquiresResource
#define __drv_acquiresResource(a)
#endif
#ifndef __drv_releasesResource
#define __drv_releasesResource(a)
#endif
#ifndef __drv_acquiresCancelSpinLock
#define __drv_acquiresCancelSpinLock
#endif
#ifndef __drv_releasesCancelSpinLock
#define __drv_releasesCancelSpinLock
#endif
#ifndef __drv_acquiresCriticalRegion
#define __drv_acquiresCriticalRegion
#endif
#ifndef __drv_releasesCriticalRegion
#define __drv_releasesCriticalRegion
#endif
#ifndef __drv_inTry
#define __drv_inTry
#endif
#ifndef __drv_notInTry
#define __drv_notInTry
#endif
#ifndef __drv_preferredFunction
#define __drv_preferredFunction(a, b)
#endif
#ifndef __drv_reportError
#define __drv_reportError(a)
#endif
#ifndef __drv_formatString
#define __drv_formatString(a)
#endif
#ifndef __drv_floatUsed
#define __drv_floatUsed
#endif
#ifndef __drv_floatSaved
#define __drv_floatSaved
#endif
#ifndef __drv_floatRestored
#define __drv_floatRestored
#endif
#ifndef __drv_Mode_impl
#define __drv_Mode_impl(a)
#endif
#ifndef __drv_maxFunctionIRQL
#define __drv_maxFunctionIRQL(a)
#endif
#ifndef __drv_minFunctionIRQL
#define __drv_minFunctionIRQL(a)
#endif
#ifndef __drv_constant
#define __drv_constant
#endif
#ifndef __drv_nonConstant
#define __drv_nonConstant
#endif
#ifndef __drv_interlocked
#define __drv_interlocked
#endif
#ifndef __drv_innerMustHold
#define __drv_innerMustHold(a)
#endif
#ifndef __drv_innerNeverHold
#define __drv_innerNeverHold(a)
#endif

/* The pre-2008 spellings (__in, __out, __inout, __deref_out, __success, ...).
 * libstdc++ uses __in, __out and __success as parameter names, so in C++
 * they are defined only on request (KPOOL_OLD_SAL) and only before any
 * standard header that uses them; C gets them always. __reserved,
 * __callback and __override are never defined: glibc and Linux headers use
 * them as names. */
#if !defined(__cplusplus) || defined(KPOOL_OLD_SAL)
#ifndef __in
#define __in
#endif
#ifndef __in_opt
#define __in_opt
#endif
#ifndef __in_z
#define __in_z
#endif
#ifndef __in_opt_z
#define __in_opt_z
#endif
#ifndef __in_ecount
#define __in_ecount(a)
#endif
#ifndef __in_ecount_opt
#define __in_ecount_opt(a)
#endif
#ifndef __in_bcount
#define __in_bcount(a)
#endif
#ifndef __in_bcount_opt
#define __in_bcount_opt(a)
#endif
#ifndef __in_xcount
#define __in_xcount(a)
#endif
#ifndef __out
#define __out
#endif
#ifndef __out_opt
#define __out_opt
#endif
#ifndef __out_z
#define __out_z
#endif
#ifndef __out_ecount
#define __out_ecount(a)
#endif
#ifndef __out_ecount_opt
#define __out_ecount_opt(a)
#endif
#ifndef __out_bcount
#define __out_bcount(a)
#endif
#ifndef __out_bcount_opt
#define __out_bcount_opt(a)
#endif
#ifndef __out_ecount_part
#define __out_ecount_part(a, b)
#endif
#ifndef __out_bcount_part
#define __out_bcount_part(a, b)
#endif
#ifndef __out_ecount_full
#define __out_ecount_full(a)
#endif
#ifndef __out_bcount_full
#define __out_bcount_full(a)
#endif
#ifndef __out_xcount
#define __out_xcount(a)
#endif
#ifndef __inout
#define __inout
#endif
#ifndef __inout_opt
#define __inout_opt
#endif
#ifndef __inout_z
#define __inout_z
#endif
#ifndef __inout_ecount
#define __inout_ecount(a)
#endif
#ifndef __inout_bcount
#define __inout_bcount(a)
#endif
#ifndef __inout_ecount_opt
#define __inout_ecount_opt(a)
#endif
#ifndef __inout_bcount_opt
#define __inout_bcount_opt(a)
#endif
#ifndef __deref_out
#define __deref_out
#endif
#ifndef __deref_out_opt
#define __deref_out_opt
#endif
#ifndef __deref_opt_out
#define __deref_opt_out
#endif
#ifndef __deref_inout
#define __deref_inout
#endif
#ifndef __deref_out_ecount
#define __deref_out_ecount(a)
#endif
#ifndef __deref_out_bcount
#define __deref_out_bcount(a)
#endif
#ifndef __nullterminated
#define __nullterminated
#endif
#ifndef __checkReturn
#define __checkReturn
#endif
#ifndef __success
#define __success(a)
#endif
#ifndef __field_ecount
#define __field_ecount(a)
#endif
#ifndef __field_bcount
#define __field_bcount(a)
#endif
#ifndef __field_ecount_opt
#define __field_ecount_opt(a)
#endif
#ifndef __field_bcount_opt
#define __field_bcount_opt(a)
#endif
#ifndef __format_string
#define __format_string
#endif
#ifndef __typefix
#define __typefix(a)
#endif
#endif /* old SAL */
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
/**
 * A UTF-16 code unit, 16 bits as on Windows (see the file comment):
 * wchar_t when the compiler's wchar_t has 2 bytes (KPOOL_SHORT_WCHAR 1:
 * L"..." literals work), else char16_t in C++ and uint16_t in C (write
 * u"..."). All three have the same size and representation, so kpool
 * (built without -fshort-wchar) and a driver built with it agree.
 */
#if defined(_WIN32) || (defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2)
#define KPOOL_SHORT_WCHAR 1
typedef wchar_t WCHAR;
#elif defined(__cplusplus)
#define KPOOL_SHORT_WCHAR 0
typedef char16_t WCHAR;
#else
#define KPOOL_SHORT_WCHAR 0
typedef uint16_t WCHAR;
#endif
typedef WCHAR *PWCHAR, *PWCH, *PWSTR, *LPWSTR, *NWPSTR;
typedef const WCHAR *PCWCH, *PCWSTR, *LPCWSTR;
/** A NUL-terminated 8-bit string (RtlInitAnsiString's source). */
typedef char *PSZ;
typedef const char *PCSZ;
/** An IRQL (0 PASSIVE_LEVEL .. 15 HIGH_LEVEL). The same type as kp_irql_t. */
typedef UCHAR KIRQL, *PKIRQL;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* Limits of the basic types (ntdef.h). */
#ifndef MINCHAR
#define MINCHAR 0x80
#endif
#ifndef MAXCHAR
#define MAXCHAR 0x7f
#endif
#ifndef MINSHORT
#define MINSHORT 0x8000
#endif
#ifndef MAXSHORT
#define MAXSHORT 0x7fff
#endif
#ifndef MINLONG
#define MINLONG 0x80000000
#endif
#ifndef MAXLONG
#define MAXLONG 0x7fffffff
#endif
#ifndef MAXUCHAR
#define MAXUCHAR 0xff
#endif
#ifndef MAXUSHORT
#define MAXUSHORT 0xffff
#endif
#ifndef MAXULONG
#define MAXULONG 0xffffffff
#endif
#ifndef MAXLONGLONG
#define MAXLONGLONG 0x7fffffffffffffffLL
#endif
#ifndef MAXULONGLONG
#define MAXULONGLONG 0xffffffffffffffffULL
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
 * A fast mutex, 0x38 bytes with the public x64 field layout (facts §3.1);
 * the same storage as the core's kp_fast_mutex_t (checked in
 * src/wdk/wdk_sync.c). Count bit 0 is 1 when free; Owner is the holder's
 * thread identity; Contention counts waits; OldIrql is the IRQL before
 * ExAcquireFastMutex. The Event bytes are kpool's (an initialisation
 * cookie: waiters spin and yield instead). KGUARDED_MUTEX is the same
 * type, as in the WDK. Initialise with ExInitializeFastMutex or
 * KeInitializeGuardedMutex only.
 */
typedef struct _FAST_MUTEX {
  LONG Count;                  /**< 0x00: bit 0 = 1 free, 0 held */
  ULONG KpHolder_;             /**< 0x04 (padding in the WDK): kpool's holder word */
  PVOID Owner;                 /**< 0x08: owning thread */
  ULONG Contention;            /**< 0x10: contended acquisitions */
  ULONG KpFlags_;              /**< 0x14 (padding in the WDK): kpool */
  struct {
    ULONGLONG KpOpaque_[3];
  } Event;                     /**< 0x18: the KEVENT's 24 bytes (kpool's) */
  ULONG OldIrql;               /**< 0x30: IRQL before the acquire */
  ULONG KpReserved_;           /**< 0x34 padding */
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
/** Round the pointer @p address down / up to the size of @p type. */
#define ALIGN_DOWN_POINTER(address, type)                                      \
  ALIGN_DOWN_POINTER_BY(address, sizeof(type))
#define ALIGN_UP_POINTER(address, type)                                        \
  ALIGN_UP_POINTER_BY(address, sizeof(type))

/* ===========================================================================
 * NTSTATUS values (the core's KP_STATUS_* map, then every status of the
 * facts file §10.2) and their classification
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

/* The other statuses drivers commonly use (facts §10.2, the Microsoft values
 * of ntstatus.h). kp_status_name() knows every one of them, so reports
 * print the name; STATUS_WAIT_0 and STATUS_ABANDONED_WAIT_0 are aliases of
 * STATUS_SUCCESS and STATUS_ABANDONED and print as those. */
/* Success, wait and informational codes (severity 0 and 1) */
#define STATUS_WAIT_0 ((NTSTATUS)0x00000000L)
#define STATUS_WAIT_1 ((NTSTATUS)0x00000001L)
#define STATUS_WAIT_2 ((NTSTATUS)0x00000002L)
#define STATUS_WAIT_3 ((NTSTATUS)0x00000003L)
#define STATUS_WAIT_63 ((NTSTATUS)0x0000003FL)
#define STATUS_ABANDONED ((NTSTATUS)KP_STATUS_ABANDONED)
#define STATUS_ABANDONED_WAIT_0 ((NTSTATUS)KP_STATUS_ABANDONED)
#define STATUS_ABANDONED_WAIT_63 ((NTSTATUS)0x000000BFL)
#define STATUS_USER_APC ((NTSTATUS)KP_STATUS_USER_APC)
#define STATUS_KERNEL_APC ((NTSTATUS)0x00000100L)
#define STATUS_ALERTED ((NTSTATUS)KP_STATUS_ALERTED)
#define STATUS_REPARSE ((NTSTATUS)0x00000104L)
#define STATUS_MORE_ENTRIES ((NTSTATUS)0x00000105L)
#define STATUS_NOT_ALL_ASSIGNED ((NTSTATUS)0x00000106L)
#define STATUS_SOME_NOT_MAPPED ((NTSTATUS)0x00000107L)
#define STATUS_OPLOCK_BREAK_IN_PROGRESS ((NTSTATUS)0x00000108L)
#define STATUS_VOLUME_MOUNTED ((NTSTATUS)0x00000109L)
#define STATUS_NOTIFY_CLEANUP ((NTSTATUS)0x0000010BL)
#define STATUS_NOTIFY_ENUM_DIR ((NTSTATUS)0x0000010CL)
#define STATUS_WAIT_FOR_OPLOCK ((NTSTATUS)0x00000367L)
#define STATUS_OBJECT_NAME_EXISTS ((NTSTATUS)0x40000000L)
#define STATUS_THREAD_WAS_SUSPENDED ((NTSTATUS)0x40000001L)
#define STATUS_IMAGE_NOT_AT_BASE ((NTSTATUS)0x40000003L)
/* Warnings (severity 2): not NT_SUCCESS */
#define STATUS_GUARD_PAGE_VIOLATION ((NTSTATUS)0x80000001L)
#define STATUS_SINGLE_STEP ((NTSTATUS)0x80000004L)
#define STATUS_NO_MORE_FILES ((NTSTATUS)0x80000006L)
#define STATUS_NO_INHERITANCE ((NTSTATUS)0x8000000BL)
#define STATUS_DEVICE_PAPER_EMPTY ((NTSTATUS)0x8000000EL)
#define STATUS_DEVICE_POWERED_OFF ((NTSTATUS)0x8000000FL)
#define STATUS_DEVICE_OFF_LINE ((NTSTATUS)0x80000010L)
#define STATUS_DEVICE_BUSY ((NTSTATUS)0x80000011L)
#define STATUS_NO_MORE_EAS ((NTSTATUS)0x80000012L)
#define STATUS_INVALID_EA_NAME ((NTSTATUS)0x80000013L)
#define STATUS_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#define STATUS_STOPPED_ON_SYMLINK ((NTSTATUS)0x8000002DL)
/* Errors (severity 3) */
#define STATUS_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define STATUS_IN_PAGE_ERROR ((NTSTATUS)0xC0000006L)
#define STATUS_INVALID_CID ((NTSTATUS)0xC000000BL)
#define STATUS_TIMER_NOT_CANCELED ((NTSTATUS)0xC000000CL)
#define STATUS_NO_SUCH_DEVICE ((NTSTATUS)0xC000000EL)
#define STATUS_NO_SUCH_FILE ((NTSTATUS)0xC000000FL)
#define STATUS_END_OF_FILE ((NTSTATUS)0xC0000011L)
#define STATUS_NO_MEDIA_IN_DEVICE ((NTSTATUS)0xC0000013L)
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)
#define STATUS_CONFLICTING_ADDRESSES ((NTSTATUS)0xC0000018L)
#define STATUS_ILLEGAL_INSTRUCTION ((NTSTATUS)0xC000001DL)
#define STATUS_INVALID_LOCK_SEQUENCE ((NTSTATUS)0xC000001EL)
#define STATUS_INVALID_VIEW_SIZE ((NTSTATUS)0xC000001FL)
#define STATUS_ALREADY_COMMITTED ((NTSTATUS)0xC0000021L)
#define STATUS_OBJECT_TYPE_MISMATCH ((NTSTATUS)KP_STATUS_OBJECT_TYPE_MISMATCH)
#define STATUS_NONCONTINUABLE_EXCEPTION ((NTSTATUS)0xC0000025L)
#define STATUS_INVALID_DISPOSITION ((NTSTATUS)0xC0000026L)
#define STATUS_UNWIND ((NTSTATUS)0xC0000027L)
#define STATUS_BAD_STACK ((NTSTATUS)0xC0000028L)
#define STATUS_NOT_LOCKED ((NTSTATUS)0xC000002AL)
#define STATUS_NOT_COMMITTED ((NTSTATUS)0xC000002DL)
#define STATUS_OBJECT_NAME_INVALID ((NTSTATUS)0xC0000033L)
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define STATUS_OBJECT_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#define STATUS_PORT_DISCONNECTED ((NTSTATUS)0xC0000037L)
#define STATUS_DEVICE_ALREADY_ATTACHED ((NTSTATUS)0xC0000038L)
#define STATUS_OBJECT_PATH_INVALID ((NTSTATUS)0xC0000039L)
#define STATUS_OBJECT_PATH_NOT_FOUND ((NTSTATUS)0xC000003AL)
#define STATUS_OBJECT_PATH_SYNTAX_BAD ((NTSTATUS)0xC000003BL)
#define STATUS_DATA_OVERRUN ((NTSTATUS)0xC000003CL)
#define STATUS_DATA_ERROR ((NTSTATUS)0xC000003EL)
#define STATUS_CRC_ERROR ((NTSTATUS)0xC000003FL)
#define STATUS_SHARING_VIOLATION ((NTSTATUS)0xC0000043L)
#define STATUS_INVALID_PAGE_PROTECTION ((NTSTATUS)0xC0000045L)
#define STATUS_MUTANT_NOT_OWNED ((NTSTATUS)KP_STATUS_MUTANT_NOT_OWNED)
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED ((NTSTATUS)KP_STATUS_SEMAPHORE_LIMIT_EXCEEDED)
#define STATUS_THREAD_IS_TERMINATING ((NTSTATUS)0xC000004BL)
#define STATUS_FILE_LOCK_CONFLICT ((NTSTATUS)0xC0000054L)
#define STATUS_LOCK_NOT_GRANTED ((NTSTATUS)0xC0000055L)
#define STATUS_DELETE_PENDING ((NTSTATUS)0xC0000056L)
#define STATUS_PRIVILEGE_NOT_HELD ((NTSTATUS)0xC0000061L)
#define STATUS_LOGON_FAILURE ((NTSTATUS)0xC000006DL)
#define STATUS_INVALID_SID ((NTSTATUS)0xC0000078L)
#define STATUS_INVALID_SECURITY_DESCR ((NTSTATUS)0xC0000079L)
#define STATUS_PROCEDURE_NOT_FOUND ((NTSTATUS)0xC000007AL)
#define STATUS_INVALID_IMAGE_FORMAT ((NTSTATUS)0xC000007BL)
#define STATUS_DISK_FULL ((NTSTATUS)0xC000007FL)
#define STATUS_ARRAY_BOUNDS_EXCEEDED ((NTSTATUS)0xC000008CL)
#define STATUS_FLOAT_DIVIDE_BY_ZERO ((NTSTATUS)0xC000008EL)
#define STATUS_INTEGER_DIVIDE_BY_ZERO ((NTSTATUS)0xC0000094L)
#define STATUS_PRIVILEGED_INSTRUCTION ((NTSTATUS)0xC0000096L)
#define STATUS_DEVICE_DATA_ERROR ((NTSTATUS)0xC000009CL)
#define STATUS_DEVICE_NOT_CONNECTED ((NTSTATUS)0xC000009DL)
#define STATUS_DEVICE_POWER_FAILURE ((NTSTATUS)0xC000009EL)
#define STATUS_MEMORY_NOT_ALLOCATED ((NTSTATUS)0xC00000A0L)
#define STATUS_MEDIA_WRITE_PROTECTED ((NTSTATUS)0xC00000A2L)
#define STATUS_DEVICE_NOT_READY ((NTSTATUS)0xC00000A3L)
#define STATUS_INSTRUCTION_MISALIGNMENT ((NTSTATUS)0xC00000AAL)
#define STATUS_PIPE_BUSY ((NTSTATUS)0xC00000AEL)
#define STATUS_IO_TIMEOUT ((NTSTATUS)0xC00000B5L)
#define STATUS_FILE_IS_A_DIRECTORY ((NTSTATUS)0xC00000BAL)
#define STATUS_DUPLICATE_NAME ((NTSTATUS)0xC00000BDL)
#define STATUS_BAD_NETWORK_PATH ((NTSTATUS)0xC00000BEL)
#define STATUS_DEVICE_DOES_NOT_EXIST ((NTSTATUS)0xC00000C0L)
#define STATUS_BAD_DEVICE_TYPE ((NTSTATUS)0xC00000CBL)
#define STATUS_BAD_NETWORK_NAME ((NTSTATUS)0xC00000CCL)
#define STATUS_NOT_SAME_DEVICE ((NTSTATUS)0xC00000D4L)
#define STATUS_CANT_WAIT ((NTSTATUS)0xC00000D8L)
#define STATUS_INTERNAL_ERROR ((NTSTATUS)0xC00000E5L)
#define STATUS_INVALID_USER_BUFFER ((NTSTATUS)0xC00000E8L)
#define STATUS_UNEXPECTED_IO_ERROR ((NTSTATUS)0xC00000E9L)
#define STATUS_STACK_OVERFLOW ((NTSTATUS)0xC00000FDL)
#define STATUS_DIRECTORY_NOT_EMPTY ((NTSTATUS)0xC0000101L)
#define STATUS_FILE_CORRUPT_ERROR ((NTSTATUS)0xC0000102L)
#define STATUS_NOT_A_DIRECTORY ((NTSTATUS)0xC0000103L)
#define STATUS_NAME_TOO_LONG ((NTSTATUS)0xC0000106L)
#define STATUS_FILES_OPEN ((NTSTATUS)0xC0000107L)
#define STATUS_PROCESS_IS_TERMINATING ((NTSTATUS)0xC000010AL)
#define STATUS_CANNOT_DELETE ((NTSTATUS)0xC0000121L)
#define STATUS_FILE_DELETED ((NTSTATUS)0xC0000123L)
#define STATUS_DLL_NOT_FOUND ((NTSTATUS)0xC0000135L)
#define STATUS_ENTRYPOINT_NOT_FOUND ((NTSTATUS)0xC0000139L)
#define STATUS_DEVICE_CONFIGURATION_ERROR ((NTSTATUS)0xC0000182L)
#define STATUS_DRIVER_INTERNAL_ERROR ((NTSTATUS)0xC0000183L)
#define STATUS_INVALID_DEVICE_STATE ((NTSTATUS)0xC0000184L)
#define STATUS_IO_DEVICE_ERROR ((NTSTATUS)0xC0000185L)
#define STATUS_DEVICE_PROTOCOL_ERROR ((NTSTATUS)0xC0000186L)
#define STATUS_TOO_LATE ((NTSTATUS)0xC0000189L)
#define STATUS_MUTANT_LIMIT_EXCEEDED ((NTSTATUS)KP_STATUS_MUTANT_LIMIT_EXCEEDED)
#define STATUS_CONNECTION_RESET ((NTSTATUS)0xC000020DL)
#define STATUS_DATA_NOT_ACCEPTED ((NTSTATUS)0xC000021BL)
#define STATUS_OBJECTID_EXISTS ((NTSTATUS)0xC000022BL)
#define STATUS_RETRY ((NTSTATUS)0xC000022DL)
#define STATUS_HANDLE_NOT_CLOSABLE ((NTSTATUS)0xC0000235L)
#define STATUS_CONNECTION_REFUSED ((NTSTATUS)0xC0000236L)
#define STATUS_NETWORK_UNREACHABLE ((NTSTATUS)0xC000023CL)
#define STATUS_HOST_UNREACHABLE ((NTSTATUS)0xC000023DL)
#define STATUS_REQUEST_ABORTED ((NTSTATUS)0xC0000240L)
#define STATUS_CONNECTION_ABORTED ((NTSTATUS)0xC0000241L)
#define STATUS_DRIVER_UNABLE_TO_LOAD ((NTSTATUS)0xC000026CL)
#define STATUS_NOT_A_REPARSE_POINT ((NTSTATUS)0xC0000275L)
#define STATUS_DEVICE_REMOVED ((NTSTATUS)0xC00002B6L)
#define STATUS_NOINTERFACE ((NTSTATUS)0xC00002B9L)
#define STATUS_POWER_STATE_INVALID ((NTSTATUS)0xC00002D3L)
#define STATUS_DEVICE_ENUMERATION_ERROR ((NTSTATUS)0xC0000366L)
#define STATUS_INVALID_DEVICE_OBJECT_PARAMETER ((NTSTATUS)0xC0000369L)
#define STATUS_HIVE_UNLOADED ((NTSTATUS)0xC0000425L)
#define STATUS_INVALID_IMAGE_HASH ((NTSTATUS)0xC0000428L)
#define STATUS_NOT_CAPABLE ((NTSTATUS)0xC0000429L)
#define STATUS_IMPLEMENTATION_LIMIT ((NTSTATUS)0xC000042BL)
#define STATUS_DRIVER_PROCESS_TERMINATED ((NTSTATUS)0xC0000450L)
#define STATUS_RESOURCE_IN_USE ((NTSTATUS)0xC0000708L)
#define STATUS_ALREADY_REGISTERED ((NTSTATUS)0xC0000718L)
#define STATUS_INVALID_SIGNATURE ((NTSTATUS)0xC000A000L)
#define STATUS_FLT_NO_HANDLER_DEFINED ((NTSTATUS)0xC01C0001L)

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

/* The counted-string routines (RtlInitUnicodeString, RTL_CONSTANT_STRING,
 * ...) are in kp_wdk_string.h, included at the end. */

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

/* DbgPrintEx component ids (the DPFLTR_TYPE values; facts §8.8 give the
 * driver ids 77-82 and DEFAULT 101, the others follow the same table) and
 * levels. kpool keeps a mask for every id below KP_DEBUG_COMPONENTS. */
#define DPFLTR_SYSTEM_ID 0
#define DPFLTR_SMSS_ID 1
#define DPFLTR_SETUP_ID 2
#define DPFLTR_NTFS_ID 3
#define DPFLTR_CRASHDUMP_ID 5
#define DPFLTR_CDROM_ID 7
#define DPFLTR_CLASSPNP_ID 8
#define DPFLTR_DISK_ID 9
#define DPFLTR_SCSIPORT_ID 12
#define DPFLTR_SCSIMINIPORT_ID 13
#define DPFLTR_CONFIG_ID 14
#define DPFLTR_KBDCLASS_ID 20
#define DPFLTR_MOUCLASS_ID 21
#define DPFLTR_WMILIB_ID 23
#define DPFLTR_ACPI_ID 24
#define DPFLTR_VIDEO_ID 27
#define DPFLTR_VIDEOPRT_ID 29
#define DPFLTR_TCPIP_ID 30
#define DPFLTR_FASTFAT_ID 33
#define DPFLTR_PNPMGR_ID 35
#define DPFLTR_SERIAL_ID 39
#define DPFLTR_FLTMGR_ID 47
#define DPFLTR_PCI_ID 66
#define DPFLTR_INFINIBAND_ID 76
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82
#define DPFLTR_STORPORT_ID 89
#define DPFLTR_STORMINIPORT_ID 90
#define DPFLTR_VERIFIER_ID 93
#define DPFLTR_DEFAULT_ID 101
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000

/**
 * DbgPrint: DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, ...), as on
 * Windows Vista and later — so with the default filter it prints NOTHING
 * until the DEFAULT component's mask is opened (kp_debug_filter_set(sys,
 * DPFLTR_DEFAULT_ID, ~0u) or DbgSetDebugFilterState). See DbgPrintEx.
 *
 * The format is read the Windows way (kpool/format.h), not the host's: `l`
 * is 32 bits (`%lu` takes a ULONG), `ll` / `I64` 64 bits, `I` / `z`
 * pointer-sized, `%p` prints 16 upper-case hex digits, `%wZ` takes a
 * PCUNICODE_STRING, `%Z` a PCANSI_STRING, `%ws` / `%S` / `%ls` a PCWSTR,
 * `%wc` / `%C` / `%lc` a WCHAR, a NULL string prints "(null)", `%n` writes
 * nothing. Floating point conversions are not supported by DbgPrint
 * (Microsoft's documentation): kpool consumes the double and prints the
 * conversion as written ("%f"). Like Windows, one call sends at most 512
 * bytes: longer text is cut to 511 characters.
 *
 * @return STATUS_SUCCESS (an NTSTATUS in a ULONG, as declared by the WDK),
 *         also when the filter drops the message.
 */
NTSYSAPI ULONG DbgPrint(PCSTR Format, ...);

/**
 * DbgPrintEx: writes the message through the system's output function
 * when the debug filter passes @p ComponentId / @p Level (kp_debug_vprint):
 * a level 0-31 is the bit 1 << Level, a larger value is a bit field
 * (DPFLTR_MASK | bits); the message shows when those bits meet the
 * component's mask (Kd_<Component>_Mask) or the global Kd_WIN2000_Mask.
 * Defaults as on Windows: component masks 0, Kd_WIN2000_Mask 0x1, so only
 * DPFLTR_ERROR_LEVEL messages show. Change them with kp_debug_filter_set()
 * or DbgSetDebugFilterState. @return STATUS_SUCCESS.
 * @bugcheck 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL (P2 = IRQL, P3 = 8) when a
 * message that passes the filter uses %C %S %lc %ls %wc %ws or %wZ at
 * DISPATCH_LEVEL or above: Microsoft allows them at PASSIVE_LEVEL only,
 * their conversion code being pageable (kp_debug_vprint; kpool's check).
 */
NTSYSAPI ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);

/** vDbgPrintEx: DbgPrintEx with a va_list. */
NTSYSAPI ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format,
                           va_list arglist);
/** vDbgPrintExWithPrefix: vDbgPrintEx with @p Prefix written first (the
 *  prefix counts towards the 512 bytes). */
NTSYSAPI ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId,
                                     ULONG Level, PCCH Format,
                                     va_list arglist);

/**
 * DbgQueryDebugFilterState: whether DbgPrintEx(@p ComponentId, @p Level)
 * would print: TRUE (1) or FALSE (0) as an NTSTATUS;
 * STATUS_INVALID_PARAMETER_1 for an id outside kpool's table
 * (kp_debug_filter_query). ComponentId (ULONG)-1 is Kd_WIN2000_Mask.
 */
NTSYSAPI NTSTATUS NTAPI DbgQueryDebugFilterState(ULONG ComponentId,
                                                 ULONG Level);
/**
 * DbgSetDebugFilterState: sets (@p State TRUE) or clears the bits of
 * @p Level in the component's mask (kp_debug_filter_state).
 * @return STATUS_SUCCESS or STATUS_INVALID_PARAMETER_1.
 */
NTSYSAPI NTSTATUS NTAPI DbgSetDebugFilterState(ULONG ComponentId, ULONG Level,
                                               BOOLEAN State);

/**
 * DbgBreakPoint: with no kernel debugger attached, Windows raises
 * STATUS_BREAKPOINT; kpool does the same through kp_raise_status(), so it
 * lands in a KP_EXCEPT or, unhandled, is bug check 0x1E with
 * P1 = STATUS_BREAKPOINT.
 */
NTSYSAPI VOID NTAPI DbgBreakPoint(VOID);

/**
 * RtlAssert: what ASSERT calls in a DBG build. Bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED with P1 = STATUS_ASSERTION_FAILURE
 * (sign-extended: 0xFFFFFFFFC0000420), P2 = the caller's address,
 * P3 = P4 = 0; the report names the expression, @p Message and the file
 * name (no directories) and line (kp_debug_assert_failed). Returns only if
 * a bug check handler returns.
 */
NTSYSAPI VOID NTAPI RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName,
                              ULONG LineNumber, PSTR MutableMessage);

/**
 * What NT_ASSERT and the other assertion macros call: the same bug check
 * as RtlAssert. Returns only if a bug check handler returns.
 */
KP_API void kp_wdk_assert_failed(const char *expression, const char *message,
                                 const char *file, ULONG line);

#ifdef DOXYGEN
/** ASSERT: when DBG, RtlAssert (bug check 0x1E) unless @p exp is true, and
 *  the BOOLEAN truth of @p exp; when !DBG, `((void)0)` (not even @p exp is
 *  evaluated). */
#define ASSERT(exp)
/** ASSERTMSG: ASSERT with a message. */
#define ASSERTMSG(msg, exp)
/** NT_ASSERT / NT_ASSERTMSG / NT_ASSERTMSGW: as ASSERT / ASSERTMSG (the
 *  W form's UTF-16 message is not shown). */
#define NT_ASSERT(exp)
#define NT_ASSERTMSG(msg, exp)
#define NT_ASSERTMSGW(msg, exp)
/** NT_VERIFY / NT_VERIFYMSG / NT_VERIFYMSGW, RTL_VERIFY / RTL_VERIFYMSG:
 *  always evaluate @p exp and give its truth as a BOOLEAN; when DBG a
 *  false @p exp also bug checks. */
#define NT_VERIFY(exp)
#define NT_VERIFYMSG(msg, exp)
#define RTL_VERIFY(exp)
/** NT_FRE_ASSERT: asserts in every build, DBG or not. */
#define NT_FRE_ASSERT(exp)
/** RTL_SOFT_ASSERT / RTL_SOFT_ASSERTMSG: when DBG, a false @p exp only
 *  DbgPrints (filtered as DbgPrint); nothing when !DBG. */
#define RTL_SOFT_ASSERT(exp)
/** KdPrint((fmt, ...)) / KdPrintEx((id, level, fmt, ...)): DbgPrint /
 *  DbgPrintEx when DBG, nothing otherwise. Note the double parentheses. */
#define KdPrint(args)
#define KdPrintEx(args)
#endif

/* The assertion macros' values go through functions so that the common
 * statement form `NT_VERIFY(NT_SUCCESS(status));` does not warn "result
 * unused". */
FORCEINLINE BOOLEAN kp_wdk_rtl_assert_(int ok, const char *expression,
                                       const char *file, ULONG line,
                                       const char *message) {
  if (!ok) {
    RtlAssert((PVOID)(uintptr_t)expression, (PVOID)(uintptr_t)file, line,
              (PSTR)(uintptr_t)message);
  }
  return ok ? TRUE : FALSE;
}
FORCEINLINE BOOLEAN kp_wdk_verify_(int ok, const char *expression,
                                   const char *message, const char *file,
                                   ULONG line) {
  if (!ok) {
    kp_wdk_assert_failed(expression, message, file, line);
  }
  return ok ? TRUE : FALSE;
}
FORCEINLINE BOOLEAN kp_wdk_truth_(int ok) { return ok ? TRUE : FALSE; }

/** NT_FRE_ASSERT: active in every build. */
#define NT_FRE_ASSERT(exp)                                                     \
  ((void)kp_wdk_verify_((exp) ? 1 : 0, #exp, NULL, __FILE__, __LINE__))

#if DBG
#define ASSERT(exp)                                                            \
  kp_wdk_rtl_assert_((exp) ? 1 : 0, #exp, __FILE__, __LINE__, NULL)
#define ASSERTMSG(msg, exp)                                                    \
  kp_wdk_rtl_assert_((exp) ? 1 : 0, #exp, __FILE__, __LINE__, (msg))
#define RTL_VERIFY(exp) ASSERT(exp)
#define RTL_VERIFYMSG(msg, exp) ASSERTMSG(msg, exp)
#define RTL_SOFT_ASSERT(exp)                                                   \
  ((exp) ? TRUE                                                                \
         : ((void)DbgPrint("Soft assertion failed: %s at %s:%d\n", #exp,     \
                           __FILE__, __LINE__),                                \
            FALSE))
#define RTL_SOFT_ASSERTMSG(msg, exp)                                           \
  ((exp) ? TRUE                                                                \
         : ((void)DbgPrint("Soft assertion failed: %s: %s at %s:%d\n",       \
                           (msg), #exp, __FILE__, __LINE__),                   \
            FALSE))
#define NT_ASSERT(exp)                                                         \
  ((void)kp_wdk_verify_((exp) ? 1 : 0, #exp, NULL, __FILE__, __LINE__))
#define NT_ASSERTMSG(msg, exp)                                                 \
  ((void)kp_wdk_verify_((exp) ? 1 : 0, #exp, (msg), __FILE__, __LINE__))
#define NT_ASSERTMSGW(msg, exp)                                                \
  ((void)kp_wdk_verify_((exp) ? 1 : 0, #exp, NULL, __FILE__, __LINE__))
#define NT_VERIFY(exp)                                                         \
  kp_wdk_verify_((exp) ? 1 : 0, #exp, NULL, __FILE__, __LINE__)
#define NT_VERIFYMSG(msg, exp)                                                 \
  kp_wdk_verify_((exp) ? 1 : 0, #exp, (msg), __FILE__, __LINE__)
#define NT_VERIFYMSGW(msg, exp)                                                \
  kp_wdk_verify_((exp) ? 1 : 0, #exp, NULL, __FILE__, __LINE__)
#define KdPrint(args) DbgPrint args
#define KdPrintEx(args) DbgPrintEx args
#define KdBreakPoint() DbgBreakPoint()
#else
#define ASSERT(exp) ((void)0)
#define ASSERTMSG(msg, exp) ((void)0)
#define RTL_VERIFY(exp) kp_wdk_truth_((exp) ? 1 : 0)
#define RTL_VERIFYMSG(msg, exp) kp_wdk_truth_((exp) ? 1 : 0)
#define RTL_SOFT_ASSERT(exp) ((void)0)
#define RTL_SOFT_ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERT(exp) ((void)0)
#define NT_ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERTMSGW(msg, exp) ((void)0)
#define NT_VERIFY(exp) kp_wdk_truth_((exp) ? 1 : 0)
#define NT_VERIFYMSG(msg, exp) kp_wdk_truth_((exp) ? 1 : 0)
#define NT_VERIFYMSGW(msg, exp) kp_wdk_truth_((exp) ? 1 : 0)
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
/*
 * The pool allocation macros also record who called the function that
 * expands them: the return address of the enclosing function, so that
 * blocks allocated through a driver's own wrapper (its operator new, its
 * allocation helper) are reported as "Memory.cpp:6, called from <function>
 * at <file:line>" and leak reports group them by that outer site. The
 * value travels in a thread-local variable that the _at function reads
 * and clears (their signatures stay as they are). A wrapper the compiler
 * inlines reports its caller's caller: mark it noinline to keep one level.
 */
#if defined(__GNUC__) || defined(__clang__)
#ifdef __cplusplus
extern "C" {
#endif
KP_API extern __thread const void *kp_wdk_outer_caller;
#ifdef __cplusplus
}
#endif
#define KP_WDK_OUTER()                                                         \
  ((void)(kp_wdk_outer_caller = (const void *)__builtin_return_address(0)))
#else
#define KP_WDK_OUTER() ((void)0)
#endif
#define ExAllocatePool2(Flags, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePool2_at((Flags), (NumberOfBytes), (Tag), __FILE__,         \
                            __LINE__))
#define ExAllocatePool(PoolType, NumberOfBytes) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePool_at((PoolType), (NumberOfBytes), __FILE__, __LINE__))
#define ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithTag_at((PoolType), (NumberOfBytes), (Tag),          \
                                  __FILE__, __LINE__))
#define ExAllocatePoolWithQuota(PoolType, NumberOfBytes) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithQuota_at((PoolType), (NumberOfBytes), __FILE__,     \
                                    __LINE__))
#define ExAllocatePoolWithQuotaTag(PoolType, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithQuotaTag_at((PoolType), (NumberOfBytes), (Tag),     \
                                       __FILE__, __LINE__))
#define ExAllocatePoolWithTagPriority(PoolType, NumberOfBytes, Tag, Priority) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithTagPriority_at((PoolType), (NumberOfBytes), (Tag),  \
                                          (Priority), __FILE__, __LINE__))
#define ExAllocatePoolZero(PoolType, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolZero_at((PoolType), (NumberOfBytes), (Tag), __FILE__,   \
                               __LINE__))
#define ExAllocatePoolUninitialized(PoolType, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithTag_at((PoolType), (NumberOfBytes), (Tag),          \
                                  __FILE__, __LINE__))
#define ExAllocatePoolQuotaZero(PoolType, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolQuotaZero_at((PoolType), (NumberOfBytes), (Tag),        \
                                    __FILE__, __LINE__))
#define ExAllocatePoolQuotaUninitialized(PoolType, NumberOfBytes, Tag) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithQuotaTag_at((PoolType), (NumberOfBytes), (Tag),     \
                                       __FILE__, __LINE__))
#define ExAllocatePoolPriorityZero(PoolType, NumberOfBytes, Tag, Priority) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolPriorityZero_at((PoolType), (NumberOfBytes), (Tag),     \
                                       (Priority), __FILE__, __LINE__))
#define ExAllocatePoolPriorityUninitialized(PoolType, NumberOfBytes, Tag,      \
                                            Priority) \
  (KP_WDK_OUTER(), kp_wdk_ExAllocatePoolWithTagPriority_at((PoolType), (NumberOfBytes), (Tag),  \
                                          (Priority), __FILE__, __LINE__))
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
#include "kp_wdk_rtl_ds.h"
#include "kp_wdk_mdl.h"
#include "kp_wdk_crt.h"
#include "kp_wdk_string.h"
#include "kp_wdk_interlocked.h"
#include "kp_wdk_sync.h"
#include "kp_wdk_dispatch.h"
#include "kp_wdk_io.h"
#include "kp_wdk_ob.h"
#include "kp_wdk_cm.h"
#include "kp_wdk_unsim.h"

#endif /* KPOOL_WDK_WDM_H */
