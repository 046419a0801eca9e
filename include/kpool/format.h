/**
 * @file kpool/format.h
 * @brief The kernel's printf dialect (DbgPrint, RtlStringCbPrintf,
 *        RtlUnicodeStringPrintf): a bounded formatter that reads a format
 *        string the Windows way, for 8-bit and UTF-16 output.
 *
 * The conversions are those of the Windows kernel's CRT, not the host's:
 *
 * | spec | argument | notes |
 * |---|---|---|
 * | `%d %i %u %o %x %X` | int / unsigned | sizes below |
 * | `hh h l ll L I32 I64 I z t j` | size prefixes | `l` and `I32` are **32 bits** (Windows' LONG), `ll`/`I64` 64, `I`/`z`/`t` pointer-sized, `j` intmax_t, `hh` char, `h` short |
 * | `%c` / `%C` | char / WCHAR | in a UTF-16 format `%c` is a WCHAR and `%C` a char; `%hc` is always a char, `%lc` / `%wc` always a WCHAR |
 * | `%s` / `%S` | char * / WCHAR * | swapped in a UTF-16 format as for `%c`; `%hs` always char *, `%ls` / `%ws` always WCHAR * |
 * | `%Z` / `%wZ` | counted 8-bit / UTF-16 string (ANSI_STRING *, UNICODE_STRING *: kp_counted8_t, kp_counted16_t) | Length bytes, no terminator needed |
 * | `%p` | void * | 16 upper-case hex digits (x64) |
 * | `%e %E %f %F %g %G %a %A` | double (`L`: long double) | only without KP_FORMAT_NO_FLOAT |
 * | `%n` | int * | consumed, never written (the kernel ignores it) |
 * | `%%` | | a percent sign |
 *
 * Flags `- + space # 0`, width and precision (both may be `*`, taken from
 * the arguments as int; a negative width means `-`, a negative precision
 * none) follow C. A NULL string or counted string (or one whose Buffer is
 * NULL) prints "(null)". An unknown conversion is copied as written and
 * consumes no argument.
 *
 * Mixed widths: UTF-16 text put into 8-bit output is encoded as UTF-8
 * (a lone surrogate becomes '?'); 8-bit text put into UTF-16 output is
 * decoded as UTF-8, a byte that does not start a valid sequence standing
 * for itself (Latin-1), so ASCII is exact both ways. Windows converts with
 * the ANSI code page instead; kpool's choice keeps the host's UTF-8 text
 * readable. A precision counts source units (bytes, or UTF-16 units) and a
 * width counts output units.
 *
 * Truncation is exact: a buffer of @c size units receives the first
 * size - 1 units of the full output and a terminating NUL (also when a
 * multi-byte sequence is cut), nothing beyond. The return value is always
 * the length the whole output needs, without its NUL, so
 * kp_format(NULL, 0, ...) measures.
 *
 * Thread-safe; no allocation; pure function of its arguments.
 */
#ifndef KPOOL_FORMAT_H
#define KPOOL_FORMAT_H

#include <stdarg.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A counted 8-bit string, laid out as the WDK's STRING / ANSI_STRING:
 *  lengths in bytes, no terminator required. */
typedef struct kp_counted8 {
  uint16_t length;         /**< bytes in use */
  uint16_t maximum_length; /**< bytes in the buffer */
  char *buffer;
} kp_counted8_t;

/** A counted UTF-16 string, laid out as the WDK's UNICODE_STRING: lengths
 *  in bytes, no terminator required. */
typedef struct kp_counted16 {
  uint16_t length;         /**< bytes in use (even) */
  uint16_t maximum_length; /**< bytes in the buffer (even) */
  uint16_t *buffer;
} kp_counted16_t;

/** Floating point conversions are not supported (DbgPrint: Microsoft's
 *  documentation says it supports none of them). Such a conversion then
 *  consumes its double and is copied into the output as written ("%f"),
 *  so the unsupported call is visible. */
#define KP_FORMAT_NO_FLOAT 0x1u

/**
 * Formats @p fmt with @p ap into the 8-bit buffer @p buf of @p size bytes.
 * @param buf   destination; may be NULL only when @p size is 0
 * @param size  bytes at @p buf, NUL included; 0 writes nothing
 * @param flags 0 or KP_FORMAT_NO_FLOAT
 * @param fmt   the format; NULL formats as ""
 * @return the length of the complete output in bytes, without the NUL
 *         (larger than size - 1 when it was truncated)
 */
KP_API size_t kp_vformat(char *buf, size_t size, uint32_t flags,
                         const char *fmt, va_list ap);
/** kp_vformat with a variable argument list. */
KP_API size_t kp_format(char *buf, size_t size, uint32_t flags,
                        const char *fmt, ...);

/**
 * kp_vformat for UTF-16: the format and the output are UTF-16 code units
 * (`%s` is then a UTF-16 string, `%S` an 8-bit one). @p count is the
 * buffer's size in units, NUL included; the return value counts units.
 */
KP_API size_t kp_vformat16(uint16_t *buf, size_t count, uint32_t flags,
                           const uint16_t *fmt, va_list ap);
/** kp_vformat16 with a variable argument list. */
KP_API size_t kp_format16(uint16_t *buf, size_t count, uint32_t flags,
                          const uint16_t *fmt, ...);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_FORMAT_H */
