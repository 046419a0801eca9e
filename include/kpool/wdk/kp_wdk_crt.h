/**
 * @file kpool/wdk/kp_wdk_crt.h
 * @brief The C run-time string functions a WDK build sees after <wdm.h>,
 *        with Windows' 16-bit wide characters. Included by wdm.h.
 *
 * The WDK's wdm.h includes its km/crt <string.h> (facts §8.9), so driver
 * code calls memcpy, strlen, strcmp, wcslen, wcscmp, _wcsicmp ... without
 * including anything. kpool's wdm.h includes the host's <string.h> and
 * <wchar.h> for the byte functions, which behave the same everywhere, and
 * maps the rest here:
 *
 * - **Wide functions** (wcslen, wcsnlen, wcscmp, wcsncmp, wcscpy, wcsncpy,
 *   wcscat, wcsncat, wcschr, wcsrchr, wcsstr) work on WCHAR, 16 bits, as
 *   on Windows. The host's versions work on its own wchar_t (32 bits on
 *   Linux and macOS, even under -fshort-wchar, where the library was
 *   compiled with 4 bytes), so they would miscount a driver's strings.
 *   In C, and in C++ built with -fshort-wchar, each name is a macro for
 *   kpool's function (`wcslen` -> kp_wdk_wcslen), so taking the address
 *   works too; `std::wcslen` then does not exist. In C++ without
 *   -fshort-wchar, where WCHAR is char16_t, kpool adds overloads for
 *   `const WCHAR *` beside the host's wchar_t functions instead, so
 *   <string>, <cwchar> and std::wstring keep working.
 *   Define KPOOL_HOST_WIDE_CRT before including to keep the host's
 *   functions under their names (kp_wdk_wcslen ... stay available).
 * - **_stricmp, _strnicmp, _wcsicmp, _wcsnicmp** (Microsoft's, absent
 *   from POSIX): macros for kpool's functions. They compare after folding
 *   A-Z to a-z only (the "C" locale of the kernel CRT) and return the
 *   difference of the first differing folded characters (< 0, 0, > 0).
 *   The facts file does not list these four; they are provided because
 *   drivers call them.
 *
 * All functions are thread-safe (they touch only their arguments).
 */
/* Included directly: wdm.h first (it includes this header at its end). */
#ifndef KPOOL_WDK_KP_WDK_CRT_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_CRT_H
#define KPOOL_WDK_KP_WDK_CRT_H

#ifdef __cplusplus
extern "C" {
#endif

/** wcslen: characters before the NUL. */
KP_API size_t kp_wdk_wcslen(const WCHAR *s);
/** wcsnlen: wcslen, at most @p max. */
KP_API size_t kp_wdk_wcsnlen(const WCHAR *s, size_t max);
/** wcscmp: compares as unsigned 16-bit units. */
KP_API int kp_wdk_wcscmp(const WCHAR *a, const WCHAR *b);
/** wcsncmp: wcscmp over at most @p n characters. */
KP_API int kp_wdk_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n);
/** wcscpy. */
KP_API WCHAR *kp_wdk_wcscpy(WCHAR *dst, const WCHAR *src);
/** wcsncpy: copies at most @p n characters, pads with NULs (no NUL when
 *  @p src has @p n or more). */
KP_API WCHAR *kp_wdk_wcsncpy(WCHAR *dst, const WCHAR *src, size_t n);
/** wcscat. */
KP_API WCHAR *kp_wdk_wcscat(WCHAR *dst, const WCHAR *src);
/** wcsncat: appends at most @p n characters, then a NUL. */
KP_API WCHAR *kp_wdk_wcsncat(WCHAR *dst, const WCHAR *src, size_t n);
/** wcschr: the first @p c (the NUL itself when @p c is 0), or NULL. */
KP_API WCHAR *kp_wdk_wcschr(const WCHAR *s, WCHAR c);
/** wcsrchr: the last @p c, or NULL. */
KP_API WCHAR *kp_wdk_wcsrchr(const WCHAR *s, WCHAR c);
/** wcsstr: the first occurrence of @p sub (@p s itself for an empty one). */
KP_API WCHAR *kp_wdk_wcsstr(const WCHAR *s, const WCHAR *sub);
/** _wcsicmp: wcscmp after folding A-Z. */
KP_API int kp_wdk_wcsicmp(const WCHAR *a, const WCHAR *b);
/** _wcsnicmp: _wcsicmp over at most @p n characters. */
KP_API int kp_wdk_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n);
/** _stricmp: strcmp (as unsigned char) after folding A-Z. */
KP_API int kp_wdk_stricmp(const char *a, const char *b);
/** _strnicmp: _stricmp over at most @p n bytes. */
KP_API int kp_wdk_strnicmp(const char *a, const char *b, size_t n);

#ifdef __cplusplus
}
#endif

#define _stricmp kp_wdk_stricmp
#define _strnicmp kp_wdk_strnicmp
#define _wcsicmp kp_wdk_wcsicmp
#define _wcsnicmp kp_wdk_wcsnicmp

#if !defined(KPOOL_HOST_WIDE_CRT)
#if !defined(__cplusplus) || KPOOL_SHORT_WCHAR
#define wcslen kp_wdk_wcslen
#define wcsnlen kp_wdk_wcsnlen
#define wcscmp kp_wdk_wcscmp
#define wcsncmp kp_wdk_wcsncmp
#define wcscpy kp_wdk_wcscpy
#define wcsncpy kp_wdk_wcsncpy
#define wcscat kp_wdk_wcscat
#define wcsncat kp_wdk_wcsncat
#define wcschr kp_wdk_wcschr
#define wcsrchr kp_wdk_wcsrchr
#define wcsstr kp_wdk_wcsstr
#else
/* C++ with WCHAR = char16_t: overloads beside the host's functions. */
extern "C++" {
inline size_t wcslen(const WCHAR *s) { return kp_wdk_wcslen(s); }
inline size_t wcsnlen(const WCHAR *s, size_t max) {
  return kp_wdk_wcsnlen(s, max);
}
inline int wcscmp(const WCHAR *a, const WCHAR *b) {
  return kp_wdk_wcscmp(a, b);
}
inline int wcsncmp(const WCHAR *a, const WCHAR *b, size_t n) {
  return kp_wdk_wcsncmp(a, b, n);
}
inline WCHAR *wcscpy(WCHAR *d, const WCHAR *s) { return kp_wdk_wcscpy(d, s); }
inline WCHAR *wcsncpy(WCHAR *d, const WCHAR *s, size_t n) {
  return kp_wdk_wcsncpy(d, s, n);
}
inline WCHAR *wcscat(WCHAR *d, const WCHAR *s) { return kp_wdk_wcscat(d, s); }
inline WCHAR *wcsncat(WCHAR *d, const WCHAR *s, size_t n) {
  return kp_wdk_wcsncat(d, s, n);
}
inline WCHAR *wcschr(const WCHAR *s, WCHAR c) { return kp_wdk_wcschr(s, c); }
inline WCHAR *wcsrchr(const WCHAR *s, WCHAR c) { return kp_wdk_wcsrchr(s, c); }
inline WCHAR *wcsstr(const WCHAR *s, const WCHAR *sub) {
  return kp_wdk_wcsstr(s, sub);
}
}
#endif
#endif /* !KPOOL_HOST_WIDE_CRT */

#endif /* KPOOL_WDK_KP_WDK_CRT_H */
