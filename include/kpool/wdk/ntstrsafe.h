/**
 * @file ntstrsafe.h (kpool WDK face)
 * @brief The WDK's ntstrsafe.h: the safe string functions for kernel-mode
 *        code, mapped onto kpool/strsafe.h (logic in the core; these are
 *        one-line inline wrappers, as the WDK's are inline).
 *
 * Families (facts §8.3; Microsoft's ntstrsafe pages):
 *
 * - `RtlStringCch*` (sizes in characters) and `RtlStringCb*` (in bytes),
 *   each in an `A` (char) and a `W` (WCHAR) form: Copy, CopyN, Cat, CatN,
 *   Printf, VPrintf, Length, and the Ex forms of Copy, CopyN, Cat, CatN,
 *   Printf, VPrintf with `ppszDestEnd`, `pcchRemaining` / `pcbRemaining`
 *   and `dwFlags`; `RtlUnalignedStringC{b,ch}LengthW`;
 *   `RtlStringC{b,ch}CopyUnicodeString(Ex)`.
 * - UNICODE_STRING forms: `RtlUnicodeString{Init,Validate,Copy,CopyString,
 *   Cat,CatString,Printf,VPrintf}(Ex)` and
 *   `RtlUnicodeString{Cb,Cch}{CopyN,CatN,CopyStringN,CatStringN}(Ex)`.
 *
 * Statuses (the only ones): STATUS_SUCCESS; STATUS_BUFFER_OVERFLOW when the
 * result was truncated (the char buffers then hold the truncated result,
 * always NUL-terminated; UNICODE_STRING results are never terminated);
 * STATUS_INVALID_PARAMETER for a bad flag, a size of 0 or above
 * NTSTRSAFE_MAX_CCH (NTSTRSAFE_UNICODE_STRING_MAX_CCH for UNICODE_STRING),
 * a NULL pointer without STRSAFE_IGNORE_NULLS, a Cat destination with no
 * NUL within its size, an invalid UNICODE_STRING. Where Windows would
 * crash (a NULL source in a non-Ex form), kpool returns
 * STATUS_INVALID_PARAMETER. The exact flag semantics, the Ex outputs and
 * what is written on each failure are documented in kpool/strsafe.h.
 *
 * Printf uses kpool/format.h's kernel dialect (`%ws`, `%wZ`, `%I64x`, ...;
 * floating point supported, as the kernel's _vsnprintf is on x64).
 *
 * Switches: NTSTRSAFE_NO_CB_FUNCTIONS and NTSTRSAFE_NO_CCH_FUNCTIONS omit
 * a family (not both); NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS omits the
 * UNICODE_STRING forms; NTSTRSAFE_LIB and NTSTRSAFE_USE_SECURE_CRT change
 * nothing (kpool has one implementation). NTSTRSAFE_MAX_CCH cannot be
 * lowered: the core checks against 2147483647, so a different value fails
 * to compile (a C_ASSERT) rather than being silently ignored (kpool's
 * limitation).
 *
 * Every documented page says PASSIVE_LEVEL; kpool does not check the
 * IRQL here. Thread-safe (no shared state).
 */
#ifndef KPOOL_WDK_NTSTRSAFE_H
#define KPOOL_WDK_NTSTRSAFE_H

#include <stdarg.h>

#include "wdm.h"

#include "../strsafe.h"

#if defined(NTSTRSAFE_NO_CB_FUNCTIONS) && defined(NTSTRSAFE_NO_CCH_FUNCTIONS)
#error "NTSTRSAFE_NO_CB_FUNCTIONS and NTSTRSAFE_NO_CCH_FUNCTIONS both defined"
#endif

/* A repeated typedef of the same type is valid C11 and C++. */
typedef ULONG DWORD;

typedef char *NTSTRSAFE_PSTR;
typedef const char *NTSTRSAFE_PCSTR;
typedef WCHAR *NTSTRSAFE_PWSTR;
typedef const WCHAR *NTSTRSAFE_PCWSTR;
typedef const WCHAR *NTSTRSAFE_PCUWSTR;
/** Sources of the N forms need not be terminated. */
typedef const char *STRSAFE_PCNZCH;
typedef const WCHAR *STRSAFE_PCNZWCH;
typedef const WCHAR *STRSAFE_PCUNZWCH;

/** Largest buffer, in characters (INT_MAX). An includer's lower value is
 *  rejected at compile time below: kpool's core checks against INT_MAX. */
#ifndef NTSTRSAFE_MAX_CCH
#define NTSTRSAFE_MAX_CCH 2147483647
#endif
/** Largest string length, NUL excluded. */
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
/** Largest UNICODE_STRING, in characters: 0xFFFF / sizeof(WCHAR). */
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH 32767

/* dwFlags of the Ex forms; the low byte is the fill byte. */
#define STRSAFE_IGNORE_NULLS 0x00000100
#define STRSAFE_FILL_BEHIND_NULL 0x00000200
#define STRSAFE_FILL_ON_FAILURE 0x00000400
#define STRSAFE_NULL_ON_FAILURE 0x00000800
#define STRSAFE_NO_TRUNCATION 0x00001000
/* The UNICODE_STRING forms' spellings of 0x200 and 0x800. */
#define STRSAFE_FILL_BEHIND 0x00000200
#define STRSAFE_ZERO_LENGTH_ON_FAILURE 0x00000800
/** FILL_BEHIND_NULL with fill byte @p x. */
#define STRSAFE_FILL_BYTE(x)                                                   \
  ((DWORD)(((x)&0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
/** FILL_ON_FAILURE with fill byte @p x. */
#define STRSAFE_FAILURE_BYTE(x)                                                \
  ((DWORD)(((x)&0x000000FF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags)&0x000000FF))

#ifndef STATUS_BUFFER_OVERFLOW
#define STATUS_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#endif
#ifndef STATUS_INVALID_PARAMETER
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#endif

/* The core reads UNICODE_STRING as kp_counted16_t and the flags as its own
 * KP_STRSAFE_* bits: both must match the WDK's. */
C_ASSERT(sizeof(UNICODE_STRING) == sizeof(kp_counted16_t));
C_ASSERT(offsetof(UNICODE_STRING, MaximumLength) ==
         offsetof(kp_counted16_t, maximum_length));
C_ASSERT(offsetof(UNICODE_STRING, Buffer) == offsetof(kp_counted16_t, buffer));
C_ASSERT(STRSAFE_NO_TRUNCATION == KP_STRSAFE_NO_TRUNCATION);
C_ASSERT(NTSTRSAFE_MAX_CCH == KP_STRSAFE_MAX_CCH);
C_ASSERT(NTSTRSAFE_UNICODE_STRING_MAX_CCH == KP_STRSAFE_USTR_MAX_CCH);

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NTSTRSAFE_NO_CCH_FUNCTIONS
FORCEINLINE NTSTATUS RtlStringCchCopyA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                       NTSTRSAFE_PCSTR pszSrc) {
  return kp_strsafe_copy(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                         NTSTRSAFE_PCSTR pszSrc,
                                         NTSTRSAFE_PSTR *ppszDestEnd,
                                         size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, (void **)ppszDestEnd, pcchRemaining,
                         dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchCopyNA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                        STRSAFE_PCNZCH pszSrc,
                                        size_t cchToCopy) {
  return kp_strsafe_copy(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                         cchToCopy, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyNExA(NTSTRSAFE_PSTR pszDest,
                                          size_t cchDest, STRSAFE_PCNZCH pszSrc,
                                          size_t cchToCopy,
                                          NTSTRSAFE_PSTR *ppszDestEnd,
                                          size_t *pcchRemaining,
                                          DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                         cchToCopy, (void **)ppszDestEnd, pcchRemaining,
                         dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchCatA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                      NTSTRSAFE_PCSTR pszSrc) {
  return kp_strsafe_cat(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                        NTSTRSAFE_PCSTR pszSrc,
                                        NTSTRSAFE_PSTR *ppszDestEnd,
                                        size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, (void **)ppszDestEnd, pcchRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchCatNA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                       STRSAFE_PCNZCH pszSrc,
                                       size_t cchToAppend) {
  return kp_strsafe_cat(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                        cchToAppend, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatNExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                                         STRSAFE_PCNZCH pszSrc,
                                         size_t cchToAppend,
                                         NTSTRSAFE_PSTR *ppszDestEnd,
                                         size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cchDest, 1, false, kp_strsafe_sz(pszSrc),
                        cchToAppend, (void **)ppszDestEnd, pcchRemaining,
                        dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest,
                                          size_t cchDest,
                                          NTSTRSAFE_PCSTR pszFormat,
                                          va_list argList) {
  return kp_strsafe_vprintf(pszDest, cchDest, 1, false, NULL, NULL, 0,
                            pszFormat, argList);
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfExA(
    NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR *ppszDestEnd,
    size_t *pcchRemaining, DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat,
    va_list argList) {
  return kp_strsafe_vprintf(pszDest, cchDest, 1, false, (void **)ppszDestEnd,
                            pcchRemaining, dwFlags, pszFormat, argList);
}
static inline NTSTATUS RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest,
                                           size_t cchDest,
                                           NTSTRSAFE_PCSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st = kp_strsafe_vprintf(pszDest, cchDest, 1, false, NULL, NULL, 0,
                                   pszFormat, ap);
  va_end(ap);
  return st;
}
static inline NTSTATUS
RtlStringCchPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest,
                      NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining,
                      DWORD dwFlags, NTSTRSAFE_PCSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st =
      kp_strsafe_vprintf(pszDest, cchDest, 1, false, (void **)ppszDestEnd,
                         pcchRemaining, dwFlags, pszFormat, ap);
  va_end(ap);
  return st;
}
FORCEINLINE NTSTATUS RtlStringCchLengthA(NTSTRSAFE_PCSTR psz, size_t cchMax,
                                         size_t *pcchLength) {
  return kp_strsafe_length(psz, cchMax, 1, false, pcchLength);
}
FORCEINLINE NTSTATUS RtlStringCchCopyW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                       NTSTRSAFE_PCWSTR pszSrc) {
  return kp_strsafe_copy(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyExW(NTSTRSAFE_PWSTR pszDest,
                                         size_t cchDest,
                                         NTSTRSAFE_PCWSTR pszSrc,
                                         NTSTRSAFE_PWSTR *ppszDestEnd,
                                         size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, (void **)ppszDestEnd, pcchRemaining,
                         dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                        STRSAFE_PCNZWCH pszSrc,
                                        size_t cchToCopy) {
  return kp_strsafe_copy(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                         cchToCopy, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyNExW(
    NTSTRSAFE_PWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc,
    size_t cchToCopy, NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
    DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                         cchToCopy, (void **)ppszDestEnd, pcchRemaining,
                         dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchCatW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                      NTSTRSAFE_PCWSTR pszSrc) {
  return kp_strsafe_cat(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                        NTSTRSAFE_PCWSTR pszSrc,
                                        NTSTRSAFE_PWSTR *ppszDestEnd,
                                        size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, (void **)ppszDestEnd, pcchRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchCatNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                                       STRSAFE_PCNZWCH pszSrc,
                                       size_t cchToAppend) {
  return kp_strsafe_cat(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                        cchToAppend, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatNExW(NTSTRSAFE_PWSTR pszDest,
                                         size_t cchDest, STRSAFE_PCNZWCH pszSrc,
                                         size_t cchToAppend,
                                         NTSTRSAFE_PWSTR *ppszDestEnd,
                                         size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cchDest, 2, false, kp_strsafe_sz(pszSrc),
                        cchToAppend, (void **)ppszDestEnd, pcchRemaining,
                        dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest,
                                          size_t cchDest,
                                          NTSTRSAFE_PCWSTR pszFormat,
                                          va_list argList) {
  return kp_strsafe_vprintf(pszDest, cchDest, 2, false, NULL, NULL, 0,
                            pszFormat, argList);
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfExW(
    NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR *ppszDestEnd,
    size_t *pcchRemaining, DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat,
    va_list argList) {
  return kp_strsafe_vprintf(pszDest, cchDest, 2, false, (void **)ppszDestEnd,
                            pcchRemaining, dwFlags, pszFormat, argList);
}
static inline NTSTATUS RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest,
                                           size_t cchDest,
                                           NTSTRSAFE_PCWSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st = kp_strsafe_vprintf(pszDest, cchDest, 2, false, NULL, NULL, 0,
                                   pszFormat, ap);
  va_end(ap);
  return st;
}
static inline NTSTATUS
RtlStringCchPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest,
                      NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining,
                      DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st =
      kp_strsafe_vprintf(pszDest, cchDest, 2, false, (void **)ppszDestEnd,
                         pcchRemaining, dwFlags, pszFormat, ap);
  va_end(ap);
  return st;
}
FORCEINLINE NTSTATUS RtlStringCchLengthW(NTSTRSAFE_PCWSTR psz, size_t cchMax,
                                         size_t *pcchLength) {
  return kp_strsafe_length(psz, cchMax, 2, false, pcchLength);
}
FORCEINLINE NTSTATUS RtlUnalignedStringCchLengthW(STRSAFE_PCUNZWCH psz,
                                                  size_t cchMax,
                                                  size_t *pcchLength) {
  return kp_strsafe_length(psz, cchMax, 2, false, pcchLength);
}
#ifndef NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS
FORCEINLINE NTSTATUS RtlStringCchCopyUnicodeString(
    NTSTRSAFE_PWSTR pszDest, size_t cchDest, PCUNICODE_STRING SourceString) {
  return kp_strsafe_copy(pszDest, cchDest, 2, false,
                         kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                         SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyUnicodeStringEx(
    NTSTRSAFE_PWSTR pszDest, size_t cchDest, PCUNICODE_STRING SourceString,
    NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cchDest, 2, false,
                         kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                         SIZE_MAX, (void **)ppszDestEnd, pcchRemaining,
                         dwFlags);
}
#endif
#endif /* NTSTRSAFE_NO_CCH_FUNCTIONS */

#ifndef NTSTRSAFE_NO_CB_FUNCTIONS
FORCEINLINE NTSTATUS RtlStringCbCopyA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                      NTSTRSAFE_PCSTR pszSrc) {
  return kp_strsafe_copy(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                        NTSTRSAFE_PCSTR pszSrc,
                                        NTSTRSAFE_PSTR *ppszDestEnd,
                                        size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbCopyNA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                       STRSAFE_PCNZCH pszSrc, size_t cbToCopy) {
  return kp_strsafe_copy(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                         cbToCopy, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                         STRSAFE_PCNZCH pszSrc, size_t cbToCopy,
                                         NTSTRSAFE_PSTR *ppszDestEnd,
                                         size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                         cbToCopy, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbCatA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                     NTSTRSAFE_PCSTR pszSrc) {
  return kp_strsafe_cat(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                       NTSTRSAFE_PCSTR pszSrc,
                                       NTSTRSAFE_PSTR *ppszDestEnd,
                                       size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbCatNA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                      STRSAFE_PCNZCH pszSrc,
                                      size_t cbToAppend) {
  return kp_strsafe_cat(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                        cbToAppend, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatNExA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                        STRSAFE_PCNZCH pszSrc,
                                        size_t cbToAppend,
                                        NTSTRSAFE_PSTR *ppszDestEnd,
                                        size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cbDest, 1, true, kp_strsafe_sz(pszSrc),
                        cbToAppend, (void **)ppszDestEnd, pcbRemaining,
                        dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                         NTSTRSAFE_PCSTR pszFormat,
                                         va_list argList) {
  return kp_strsafe_vprintf(pszDest, cbDest, 1, true, NULL, NULL, 0, pszFormat,
                            argList);
}
FORCEINLINE NTSTATUS RtlStringCbVPrintfExA(NTSTRSAFE_PSTR pszDest,
                                           size_t cbDest,
                                           NTSTRSAFE_PSTR *ppszDestEnd,
                                           size_t *pcbRemaining, DWORD dwFlags,
                                           NTSTRSAFE_PCSTR pszFormat,
                                           va_list argList) {
  return kp_strsafe_vprintf(pszDest, cbDest, 1, true, (void **)ppszDestEnd,
                            pcbRemaining, dwFlags, pszFormat, argList);
}
static inline NTSTATUS RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest,
                                          NTSTRSAFE_PCSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st = kp_strsafe_vprintf(pszDest, cbDest, 1, true, NULL, NULL, 0,
                                   pszFormat, ap);
  va_end(ap);
  return st;
}
static inline NTSTATUS RtlStringCbPrintfExA(NTSTRSAFE_PSTR pszDest,
                                            size_t cbDest,
                                            NTSTRSAFE_PSTR *ppszDestEnd,
                                            size_t *pcbRemaining, DWORD dwFlags,
                                            NTSTRSAFE_PCSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st =
      kp_strsafe_vprintf(pszDest, cbDest, 1, true, (void **)ppszDestEnd,
                         pcbRemaining, dwFlags, pszFormat, ap);
  va_end(ap);
  return st;
}
FORCEINLINE NTSTATUS RtlStringCbLengthA(NTSTRSAFE_PCSTR psz, size_t cbMax,
                                        size_t *pcbLength) {
  return kp_strsafe_length(psz, cbMax, 1, true, pcbLength);
}
FORCEINLINE NTSTATUS RtlStringCbCopyW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                      NTSTRSAFE_PCWSTR pszSrc) {
  return kp_strsafe_copy(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                        NTSTRSAFE_PCWSTR pszSrc,
                                        NTSTRSAFE_PWSTR *ppszDestEnd,
                                        size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                         SIZE_MAX, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                       STRSAFE_PCNZWCH pszSrc,
                                       size_t cbToCopy) {
  return kp_strsafe_copy(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                         cbToCopy, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                         STRSAFE_PCNZWCH pszSrc,
                                         size_t cbToCopy,
                                         NTSTRSAFE_PWSTR *ppszDestEnd,
                                         size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                         cbToCopy, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbCatW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                     NTSTRSAFE_PCWSTR pszSrc) {
  return kp_strsafe_cat(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                       NTSTRSAFE_PCWSTR pszSrc,
                                       NTSTRSAFE_PWSTR *ppszDestEnd,
                                       size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                        SIZE_MAX, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbCatNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                      STRSAFE_PCNZWCH pszSrc,
                                      size_t cbToAppend) {
  return kp_strsafe_cat(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                        cbToAppend, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatNExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                        STRSAFE_PCNZWCH pszSrc,
                                        size_t cbToAppend,
                                        NTSTRSAFE_PWSTR *ppszDestEnd,
                                        size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_cat(pszDest, cbDest, 2, true, kp_strsafe_sz(pszSrc),
                        cbToAppend, (void **)ppszDestEnd, pcbRemaining,
                        dwFlags);
}
FORCEINLINE NTSTATUS RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest,
                                         NTSTRSAFE_PCWSTR pszFormat,
                                         va_list argList) {
  return kp_strsafe_vprintf(pszDest, cbDest, 2, true, NULL, NULL, 0, pszFormat,
                            argList);
}
FORCEINLINE NTSTATUS RtlStringCbVPrintfExW(NTSTRSAFE_PWSTR pszDest,
                                           size_t cbDest,
                                           NTSTRSAFE_PWSTR *ppszDestEnd,
                                           size_t *pcbRemaining, DWORD dwFlags,
                                           NTSTRSAFE_PCWSTR pszFormat,
                                           va_list argList) {
  return kp_strsafe_vprintf(pszDest, cbDest, 2, true, (void **)ppszDestEnd,
                            pcbRemaining, dwFlags, pszFormat, argList);
}
static inline NTSTATUS RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest,
                                          size_t cbDest,
                                          NTSTRSAFE_PCWSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st = kp_strsafe_vprintf(pszDest, cbDest, 2, true, NULL, NULL, 0,
                                   pszFormat, ap);
  va_end(ap);
  return st;
}
static inline NTSTATUS RtlStringCbPrintfExW(NTSTRSAFE_PWSTR pszDest,
                                            size_t cbDest,
                                            NTSTRSAFE_PWSTR *ppszDestEnd,
                                            size_t *pcbRemaining, DWORD dwFlags,
                                            NTSTRSAFE_PCWSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st =
      kp_strsafe_vprintf(pszDest, cbDest, 2, true, (void **)ppszDestEnd,
                         pcbRemaining, dwFlags, pszFormat, ap);
  va_end(ap);
  return st;
}
FORCEINLINE NTSTATUS RtlStringCbLengthW(NTSTRSAFE_PCWSTR psz, size_t cbMax,
                                        size_t *pcbLength) {
  return kp_strsafe_length(psz, cbMax, 2, true, pcbLength);
}
FORCEINLINE NTSTATUS RtlUnalignedStringCbLengthW(STRSAFE_PCUNZWCH psz,
                                                 size_t cbMax,
                                                 size_t *pcbLength) {
  return kp_strsafe_length(psz, cbMax, 2, true, pcbLength);
}
#ifndef NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS
FORCEINLINE NTSTATUS RtlStringCbCopyUnicodeString(
    NTSTRSAFE_PWSTR pszDest, size_t cbDest, PCUNICODE_STRING SourceString) {
  return kp_strsafe_copy(pszDest, cbDest, 2, true,
                         kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                         SIZE_MAX, NULL, NULL, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyUnicodeStringEx(
    NTSTRSAFE_PWSTR pszDest, size_t cbDest, PCUNICODE_STRING SourceString,
    NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, DWORD dwFlags) {
  return kp_strsafe_copy(pszDest, cbDest, 2, true,
                         kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                         SIZE_MAX, (void **)ppszDestEnd, pcbRemaining, dwFlags);
}
#endif
#endif /* NTSTRSAFE_NO_CB_FUNCTIONS */

#ifndef NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS
FORCEINLINE NTSTATUS RtlUnicodeStringInit(PUNICODE_STRING DestinationString,
                                          NTSTRSAFE_PCWSTR pszSrc) {
  return kp_ustr_init((kp_counted16_t *)DestinationString, (const uint16_t *)pszSrc, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringInitEx(PUNICODE_STRING DestinationString,
                                            NTSTRSAFE_PCWSTR pszSrc,
                                            DWORD dwFlags) {
  return kp_ustr_init((kp_counted16_t *)DestinationString, (const uint16_t *)pszSrc,
                      dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringValidate(PCUNICODE_STRING SourceString) {
  return kp_ustr_validate((const kp_counted16_t *)SourceString, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringValidateEx(PCUNICODE_STRING SourceString,
                                                DWORD dwFlags) {
  return kp_ustr_validate((const kp_counted16_t *)SourceString, dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCopy(PUNICODE_STRING DestinationString,
                                          PCUNICODE_STRING SourceString) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                      false, SIZE_MAX, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCopyEx(PUNICODE_STRING DestinationString,
                                            PCUNICODE_STRING SourceString,
                                            PUNICODE_STRING RemainingString,
                                            DWORD dwFlags) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                      false, SIZE_MAX, (kp_counted16_t *)RemainingString,
                      dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCopyString(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_sz(pszSrc), false, SIZE_MAX, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCopyStringEx(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
    PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_sz(pszSrc), false, SIZE_MAX,
                      (kp_counted16_t *)RemainingString, dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCchCopyN(PUNICODE_STRING DestinationString,
                                              PCUNICODE_STRING SourceString,
                                              size_t cchToCopy) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                      false, cchToCopy, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCchCopyNEx(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    size_t cchToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                      false, cchToCopy, (kp_counted16_t *)RemainingString,
                      dwFlags);
}
FORCEINLINE NTSTATUS
RtlUnicodeStringCchCopyStringN(PUNICODE_STRING DestinationString,
                               NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_sz(pszSrc), false, cchToCopy, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCchCopyStringNEx(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
    size_t cchToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_sz(pszSrc), false, cchToCopy,
                      (kp_counted16_t *)RemainingString, dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCbCopyN(PUNICODE_STRING DestinationString,
                                             PCUNICODE_STRING SourceString,
                                             size_t cbToCopy) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                      true, cbToCopy, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCbCopyNEx(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    size_t cbToCopy, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                      true, cbToCopy, (kp_counted16_t *)RemainingString,
                      dwFlags);
}
FORCEINLINE NTSTATUS
RtlUnicodeStringCbCopyStringN(PUNICODE_STRING DestinationString,
                              NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_sz(pszSrc), true, cbToCopy, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCbCopyStringNEx(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy,
    PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_copy((kp_counted16_t *)DestinationString,
                      kp_strsafe_sz(pszSrc), true, cbToCopy,
                      (kp_counted16_t *)RemainingString, dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCat(PUNICODE_STRING DestinationString,
                                         PCUNICODE_STRING SourceString) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString,
                     kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                     false, SIZE_MAX, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCatEx(PUNICODE_STRING DestinationString,
                                           PCUNICODE_STRING SourceString,
                                           PUNICODE_STRING RemainingString,
                                           DWORD dwFlags) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString,
                     kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                     false, SIZE_MAX, (kp_counted16_t *)RemainingString,
                     dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCatString(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString, kp_strsafe_sz(pszSrc),
                     false, SIZE_MAX, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCatStringEx(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
    PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString, kp_strsafe_sz(pszSrc),
                     false, SIZE_MAX, (kp_counted16_t *)RemainingString,
                     dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCchCatN(PUNICODE_STRING DestinationString,
                                             PCUNICODE_STRING SourceString,
                                             size_t cchToAppend) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString,
                     kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                     false, cchToAppend, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCchCatNEx(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    size_t cchToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString,
                     kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                     false, cchToAppend, (kp_counted16_t *)RemainingString,
                     dwFlags);
}
FORCEINLINE NTSTATUS
RtlUnicodeStringCchCatStringN(PUNICODE_STRING DestinationString,
                              NTSTRSAFE_PCWSTR pszSrc, size_t cchToAppend) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString, kp_strsafe_sz(pszSrc),
                     false, cchToAppend, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCchCatStringNEx(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
    size_t cchToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString, kp_strsafe_sz(pszSrc),
                     false, cchToAppend, (kp_counted16_t *)RemainingString,
                     dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCbCatN(PUNICODE_STRING DestinationString,
                                            PCUNICODE_STRING SourceString,
                                            size_t cbToAppend) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString,
                     kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                     true, cbToAppend, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCbCatNEx(PUNICODE_STRING DestinationString,
                                              PCUNICODE_STRING SourceString,
                                              size_t cbToAppend,
                                              PUNICODE_STRING RemainingString,
                                              DWORD dwFlags) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString,
                     kp_strsafe_ustr((const kp_counted16_t *)SourceString),
                     true, cbToAppend, (kp_counted16_t *)RemainingString,
                     dwFlags);
}
FORCEINLINE NTSTATUS
RtlUnicodeStringCbCatStringN(PUNICODE_STRING DestinationString,
                             NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString, kp_strsafe_sz(pszSrc),
                     true, cbToAppend, NULL, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCbCatStringNEx(
    PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
    size_t cbToAppend, PUNICODE_STRING RemainingString, DWORD dwFlags) {
  return kp_ustr_cat((kp_counted16_t *)DestinationString, kp_strsafe_sz(pszSrc),
                     true, cbToAppend, (kp_counted16_t *)RemainingString,
                     dwFlags);
}
FORCEINLINE NTSTATUS RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString,
                                             NTSTRSAFE_PCWSTR pszFormat,
                                             va_list argList) {
  return kp_ustr_vprintf((kp_counted16_t *)DestinationString, NULL, 0,
                         (const uint16_t *)pszFormat, argList);
}
FORCEINLINE NTSTATUS RtlUnicodeStringVPrintfEx(
    PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString,
    DWORD dwFlags, NTSTRSAFE_PCWSTR pszFormat, va_list argList) {
  return kp_ustr_vprintf((kp_counted16_t *)DestinationString,
                         (kp_counted16_t *)RemainingString, dwFlags,
                         (const uint16_t *)pszFormat, argList);
}
static inline NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString,
                                              NTSTRSAFE_PCWSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st = kp_ustr_vprintf((kp_counted16_t *)DestinationString, NULL, 0,
                                (const uint16_t *)pszFormat, ap);
  va_end(ap);
  return st;
}
static inline NTSTATUS
RtlUnicodeStringPrintfEx(PUNICODE_STRING DestinationString,
                         PUNICODE_STRING RemainingString, DWORD dwFlags,
                         NTSTRSAFE_PCWSTR pszFormat, ...) {
  va_list ap;
  va_start(ap, pszFormat);
  NTSTATUS st = kp_ustr_vprintf((kp_counted16_t *)DestinationString,
                                (kp_counted16_t *)RemainingString, dwFlags,
                                (const uint16_t *)pszFormat, ap);
  va_end(ap);
  return st;
}
#endif /* NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS */

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_NTSTRSAFE_H */
