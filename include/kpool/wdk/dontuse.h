/**
 * @file dontuse.h (kpool WDK face)
 * @brief The WDK's dontuse.h: marks the C library's unbounded string
 *        routines as deprecated, pointing at their ntstrsafe.h
 *        replacements.
 *
 * The WDK's header deprecates the names (MSVC's `#pragma deprecated`), so a
 * driver that includes it still compiles as long as it does not call them,
 * and a call is a diagnostic naming the safe routine. kpool does the same
 * with gcc and clang: each routine is redeclared with
 * `__attribute__((deprecated("use RtlStringCbCopyA or RtlStringCchCopyA")))`,
 * so a call warns under -Wdeprecated-declarations (on by default; an error
 * with -Werror) and merely including the header changes nothing else.
 * `#pragma GCC poison` was not used: it would also reject the names where
 * a later system header declares them.
 *
 * Deprecated: strcpy, wcscpy, strcat, wcscat, strncpy, wcsncpy, strncat,
 * wcsncat, sprintf, vsprintf. The redeclarations come after <string.h>,
 * <stdio.h> and <wchar.h> (included here, as the WDK's wdm.h includes its
 * CRT's <string.h>), so their attributes and exception specifications are
 * the host's. Where the host defines one of the names as a macro or an
 * inline wrapper first (glibc's _FORTIFY_SOURCE with clang, macOS's
 * default fortify), calls go through it and may not be flagged: the
 * header then stays harmless but silent.
 * Define KPOOL_DONTUSE_OFF to include the header without effect.
 */
#ifndef KPOOL_WDK_DONTUSE_H
#define KPOOL_WDK_DONTUSE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#if (defined(__GNUC__) || defined(__clang__)) && !defined(KPOOL_DONTUSE_OFF)

#define KP_WDK_DONTUSE_(alternatives) __attribute__((deprecated(alternatives)))

/* With _FORTIFY_SOURCE, glibc defines some of these inline (or as macros)
 * before this point; clang then warns that the attribute comes after the
 * definition. Quiet that: the header must stay harmless to include. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wignored-attributes"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The names are parenthesised so that a function-like macro of the host's
 * C library cannot expand them here. */
char *(strcpy)(char *, const char *)
    KP_WDK_DONTUSE_("use RtlStringCbCopyA or RtlStringCchCopyA");
wchar_t *(wcscpy)(wchar_t *, const wchar_t *)
    KP_WDK_DONTUSE_("use RtlStringCbCopyW or RtlStringCchCopyW");
char *(strcat)(char *, const char *)
    KP_WDK_DONTUSE_("use RtlStringCbCatA or RtlStringCchCatA");
wchar_t *(wcscat)(wchar_t *, const wchar_t *)
    KP_WDK_DONTUSE_("use RtlStringCbCatW or RtlStringCchCatW");
char *(strncpy)(char *, const char *, size_t)
    KP_WDK_DONTUSE_("use RtlStringCbCopyNA or RtlStringCchCopyNA");
wchar_t *(wcsncpy)(wchar_t *, const wchar_t *, size_t)
    KP_WDK_DONTUSE_("use RtlStringCbCopyNW or RtlStringCchCopyNW");
char *(strncat)(char *, const char *, size_t)
    KP_WDK_DONTUSE_("use RtlStringCbCatNA or RtlStringCchCatNA");
wchar_t *(wcsncat)(wchar_t *, const wchar_t *, size_t)
    KP_WDK_DONTUSE_("use RtlStringCbCatNW or RtlStringCchCatNW");
int(sprintf)(char *, const char *, ...)
    KP_WDK_DONTUSE_("use RtlStringCbPrintfA or RtlStringCchPrintfA");
int(vsprintf)(char *, const char *, va_list)
    KP_WDK_DONTUSE_("use RtlStringCbVPrintfA or RtlStringCchVPrintfA");

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

#undef KP_WDK_DONTUSE_

#endif

#endif /* KPOOL_WDK_DONTUSE_H */
