/*
 * wdk_debug.c — DbgPrint and friends (with the Windows reading of the
 * format string), the assertion failure path, KeBugCheckEx, ExRaiseStatus
 * and DbgBreakPoint, over kp_printf, kp_bugcheck and kp_raise_status.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kpool/wdk/wdm.h"

#include "kpool/bugcheck.h"
#include "kpool/raise.h"
#include "kpool/system.h"

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif

/* One DbgPrint call sends at most 512 bytes to the debugger. */
#define DBGPRINT_MAX 512u

/* ---------------------------------------------------------------------------
 * Output buffer: silently stops at DBGPRINT_MAX - 1 characters.
 * ------------------------------------------------------------------------- */
typedef struct dbg_out {
  char text[DBGPRINT_MAX];
  size_t len;
} dbg_out_t;

static void out_bytes(dbg_out_t *o, const char *s, size_t n) {
  size_t room = sizeof o->text - 1 - o->len;
  if (n > room) n = room;
  memcpy(o->text + o->len, s, n);
  o->len += n;
  o->text[o->len] = '\0';
}

/* Appends host-printf output; the host format is built by this file, so
 * only well-formed conversions with matching arguments reach vsnprintf. */
static void out_printf(dbg_out_t *o, const char *fmt, ...) KP_PRINTF(2, 3);
static void out_printf(dbg_out_t *o, const char *fmt, ...) {
  size_t room = sizeof o->text - o->len;
  if (room <= 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->text + o->len, room, fmt, ap);
  va_end(ap);
  if (n < 0) {
    o->text[o->len] = '\0';
    return;
  }
  o->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* ---------------------------------------------------------------------------
 * One conversion specification, parsed the way the Windows CRT and the
 * kernel's DbgPrint read it.
 * ------------------------------------------------------------------------- */
enum dbg_len {
  LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_BIG_L, LEN_PTR, LEN_I32,
  LEN_INTMAX, LEN_W
};

typedef struct dbg_spec {
  char flags[8];   /* subset of "-+ #0", NUL-terminated */
  int width;       /* -1 when absent */
  int precision;   /* -1 when absent */
  enum dbg_len len;
  char conv;
} dbg_spec_t;

/* Appends @p s (already converted to UTF-8 / bytes) honouring the width and
 * the '-' flag; the precision was applied by the caller. */
static void out_padded(dbg_out_t *o, const dbg_spec_t *spec, const char *s) {
  // Only '-' matters for strings; "0" or "+" with %s is undefined in C.
  int width = spec->width < 0 ? 0 : spec->width;
  if (strchr(spec->flags, '-') != NULL) width = -width;
  out_printf(o, "%*s", width, s);
}

static bool has_flag(const dbg_spec_t *spec, char flag) {
  return strchr(spec->flags, flag) != NULL;
}

/* Formats an integer given as sign and magnitude, with the C rules for
 * flags, width and precision (done here so that no format string is built
 * at run time). */
static void out_integer(dbg_out_t *o, const dbg_spec_t *spec, bool negative,
                        unsigned long long magnitude) {
  const char *digit_set = spec->conv == 'X' ? "0123456789ABCDEF"
                                            : "0123456789abcdef";
  unsigned base = 10;
  if (spec->conv == 'o') base = 8;
  if (spec->conv == 'x' || spec->conv == 'X') base = 16;
  char digits[32];
  size_t nd = 0;
  for (unsigned long long v = magnitude; v != 0; v /= base) {
    digits[nd++] = digit_set[v % base];
  }
  // Precision is the minimum number of digits; ".0" with 0 prints none.
  size_t min_digits = spec->precision >= 0 ? (size_t)spec->precision : 1;
  if (spec->conv == 'o' && has_flag(spec, '#') && min_digits <= nd) {
    min_digits = nd + 1;
  }
  char prefix[3] = "";
  size_t np = 0;
  bool is_signed = spec->conv == 'd' || spec->conv == 'i';
  if (negative) {
    prefix[np++] = '-';
  } else if (is_signed && has_flag(spec, '+')) {
    prefix[np++] = '+';
  } else if (is_signed && has_flag(spec, ' ')) {
    prefix[np++] = ' ';
  }
  if (base == 16 && has_flag(spec, '#') && magnitude != 0) {
    prefix[np++] = '0';
    prefix[np++] = spec->conv;
  }
  prefix[np] = '\0';
  size_t zeros = min_digits > nd ? min_digits - nd : 0;
  size_t body = np + zeros + nd;
  size_t width = spec->width > 0 ? (size_t)spec->width : 0;
  size_t pad = width > body ? width - body : 0;
  bool left = has_flag(spec, '-');
  // '0' pads with zeros after the sign, unless '-' or a precision is given.
  if (!left && has_flag(spec, '0') && spec->precision < 0) {
    zeros += pad;
    pad = 0;
  }
  if (!left) {
    for (size_t i = 0; i < pad; i++) out_bytes(o, " ", 1);
  }
  out_bytes(o, prefix, np);
  for (size_t i = 0; i < zeros; i++) out_bytes(o, "0", 1);
  while (nd > 0) {
    nd--;
    out_bytes(o, &digits[nd], 1);
  }
  if (left) {
    for (size_t i = 0; i < pad; i++) out_bytes(o, " ", 1);
  }
}

/* Encodes one UTF-16 code unit as UTF-8 (lone surrogates become '?'). */
static size_t utf8_unit(uint16_t u, char out[4]) {
  if (u < 0x80) {
    out[0] = (char)u;
    return 1;
  }
  if (u >= 0xD800 && u <= 0xDFFF) {
    out[0] = '?';
    return 1;
  }
  if (u < 0x800) {
    out[0] = (char)(0xC0 | (u >> 6));
    out[1] = (char)(0x80 | (u & 0x3F));
    return 2;
  }
  out[0] = (char)(0xE0 | (u >> 12));
  out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
  out[2] = (char)(0x80 | (u & 0x3F));
  return 3;
}

/* Converts @p count UTF-16 units (or up to the first NUL when @p count is
 * SIZE_MAX) to UTF-8 in @p buf, at most @p max_chars units. Surrogate
 * pairs are combined. */
static void utf16_to_utf8(const uint16_t *s, size_t count, int max_chars,
                          char *buf, size_t cap) {
  size_t pos = 0;
  size_t limit = max_chars >= 0 ? (size_t)max_chars : SIZE_MAX;
  for (size_t i = 0; i < count && i < limit; i++) {
    uint16_t u = s[i];
    if (count == SIZE_MAX && u == 0) break;
    char enc[4];
    size_t n;
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < count && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      uint32_t cp = 0x10000u + (((uint32_t)u - 0xD800u) << 10) +
                    ((uint32_t)s[i + 1] - 0xDC00u);
      enc[0] = (char)(0xF0 | (cp >> 18));
      enc[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
      enc[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
      enc[3] = (char)(0x80 | (cp & 0x3F));
      n = 4;
      i++;
    } else {
      n = utf8_unit(u, enc);
    }
    if (pos + n >= cap) break;
    memcpy(buf + pos, enc, n);
    pos += n;
  }
  buf[pos] = '\0';
}

static void conv_signed(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  long long v;
  switch (spec->len) {
    case LEN_HH: v = (signed char)va_arg(*ap, int); break;
    case LEN_H: v = (short)va_arg(*ap, int); break;
    case LEN_LL: v = va_arg(*ap, long long); break;
    case LEN_PTR: v = (long long)va_arg(*ap, intptr_t); break;
    case LEN_INTMAX: v = (long long)va_arg(*ap, intmax_t); break;
    // Windows: `l` (and I32) is 32 bits, the width of LONG.
    default: v = va_arg(*ap, int); break;
  }
  // The magnitude of LLONG_MIN does not fit in a long long; compute it
  // in unsigned arithmetic.
  unsigned long long magnitude =
      v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  out_integer(o, spec, v < 0, magnitude);
}

static void conv_unsigned(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  unsigned long long v;
  switch (spec->len) {
    case LEN_HH: v = (unsigned char)va_arg(*ap, unsigned int); break;
    case LEN_H: v = (unsigned short)va_arg(*ap, unsigned int); break;
    case LEN_LL: v = va_arg(*ap, unsigned long long); break;
    case LEN_PTR: v = (unsigned long long)va_arg(*ap, uintptr_t); break;
    case LEN_INTMAX: v = (unsigned long long)va_arg(*ap, uintmax_t); break;
    default: v = va_arg(*ap, unsigned int); break;
  }
  out_integer(o, spec, false, v);
}

/* Floating point: Windows' DbgPrint does not support it; kpool prints it
 * with the width, precision and '-' (other flags are dropped). */
static void conv_float(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  int width = spec->width < 0 ? 0 : spec->width;
  if (has_flag(spec, '-')) width = -width;
  // A negative precision argument means "no precision", as in C.
  int prec = spec->precision;
  long double v = spec->len == LEN_BIG_L ? va_arg(*ap, long double)
                                         : (long double)va_arg(*ap, double);
  switch (spec->conv) {
    case 'e': out_printf(o, "%*.*Le", width, prec, v); break;
    case 'E': out_printf(o, "%*.*LE", width, prec, v); break;
    case 'f': out_printf(o, "%*.*Lf", width, prec, v); break;
    case 'F': out_printf(o, "%*.*LF", width, prec, v); break;
    case 'g': out_printf(o, "%*.*Lg", width, prec, v); break;
    case 'G': out_printf(o, "%*.*LG", width, prec, v); break;
    case 'a': out_printf(o, "%*.*La", width, prec, v); break;
    default: out_printf(o, "%*.*LA", width, prec, v); break;
  }
}

/* %c %C %lc %wc */
static void conv_char(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  bool wide = spec->conv == 'C' || spec->len == LEN_L || spec->len == LEN_W;
  char buf[8];
  if (spec->conv == 'C' && spec->len == LEN_H) wide = false;
  if (wide) {
    uint16_t u = (uint16_t)va_arg(*ap, int);
    utf16_to_utf8(&u, 1, -1, buf, sizeof buf);
  } else {
    buf[0] = (char)va_arg(*ap, int);
    buf[1] = '\0';
  }
  out_padded(o, spec, buf);
}

/* %s %S %ls %ws %hs */
static void conv_string(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  bool wide = spec->conv == 'S' || spec->len == LEN_L || spec->len == LEN_W;
  if (spec->conv == 'S' && spec->len == LEN_H) wide = false;
  char buf[DBGPRINT_MAX * 2];
  if (wide) {
    const uint16_t *s = va_arg(*ap, const uint16_t *);
    if (s == NULL) {
      snprintf(buf, sizeof buf, "(null)");
    } else {
      utf16_to_utf8(s, SIZE_MAX, spec->precision, buf, sizeof buf);
    }
  } else {
    const char *s = va_arg(*ap, const char *);
    if (s == NULL) s = "(null)";
    size_t n = 0;
    size_t limit = spec->precision >= 0 ? (size_t)spec->precision : SIZE_MAX;
    while (n < limit && n + 1 < sizeof buf && s[n] != '\0') n++;
    memcpy(buf, s, n);
    buf[n] = '\0';
  }
  out_padded(o, spec, buf);
}

/* %Z (PCANSI_STRING) and %wZ (PCUNICODE_STRING): counted strings. */
static void conv_counted(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  char buf[DBGPRINT_MAX * 2];
  if (spec->len == LEN_W || spec->len == LEN_L) {
    const UNICODE_STRING *us = va_arg(*ap, const UNICODE_STRING *);
    if (us == NULL || us->Buffer == NULL) {
      snprintf(buf, sizeof buf, "(null)");
    } else {
      utf16_to_utf8(us->Buffer, us->Length / sizeof(WCHAR), spec->precision,
                    buf, sizeof buf);
    }
  } else {
    const STRING *as = va_arg(*ap, const STRING *);
    if (as == NULL || as->Buffer == NULL) {
      snprintf(buf, sizeof buf, "(null)");
    } else {
      size_t n = as->Length;
      if (spec->precision >= 0 && (size_t)spec->precision < n)
        n = (size_t)spec->precision;
      if (n >= sizeof buf) n = sizeof buf - 1;
      memcpy(buf, as->Buffer, n);
      buf[n] = '\0';
    }
  }
  out_padded(o, spec, buf);
}

/* %p: 16 upper-case hex digits, as the kernel prints a pointer on x64. */
static void conv_pointer(dbg_out_t *o, const dbg_spec_t *spec, va_list *ap) {
  const void *p = va_arg(*ap, const void *);
  char buf[24];
  snprintf(buf, sizeof buf, "%016llX", (unsigned long long)(uintptr_t)p);
  out_padded(o, spec, buf);
}

/* Reads flags, width, precision and length after '%'. Returns the position
 * of the conversion character. */
static const char *parse_spec(const char *f, dbg_spec_t *spec, va_list *ap) {
  size_t nflags = 0;
  spec->width = -1;
  spec->precision = -1;
  spec->len = LEN_NONE;
  while (*f != '\0' && strchr("-+ #0", *f) != NULL) {
    if (nflags + 1 < sizeof spec->flags) spec->flags[nflags++] = *f;
    f++;
  }
  spec->flags[nflags] = '\0';
  if (*f == '*') {
    spec->width = va_arg(*ap, int);
    if (spec->width < 0) {
      // A negative width argument means '-' with its absolute value.
      if (nflags + 1 < sizeof spec->flags) {
        spec->flags[nflags++] = '-';
        spec->flags[nflags] = '\0';
      }
      spec->width = spec->width == INT_MIN ? 0 : -spec->width;
    }
    f++;
  } else {
    int w = 0;
    bool any = false;
    while (*f >= '0' && *f <= '9') {
      if (w < 100000) w = w * 10 + (*f - '0');
      any = true;
      f++;
    }
    if (any) spec->width = w;
  }
  if (*f == '.') {
    f++;
    if (*f == '*') {
      spec->precision = va_arg(*ap, int);
      if (spec->precision < 0) spec->precision = -1;
      f++;
    } else {
      int p = 0;
      while (*f >= '0' && *f <= '9') {
        if (p < 100000) p = p * 10 + (*f - '0');
        f++;
      }
      spec->precision = p;
    }
  }
  // Width and precision beyond the 512-byte message are pointless.
  if (spec->width > (int)DBGPRINT_MAX) spec->width = (int)DBGPRINT_MAX;
  if (spec->precision > (int)DBGPRINT_MAX) spec->precision = (int)DBGPRINT_MAX;
  if (f[0] == 'h' && f[1] == 'h') {
    spec->len = LEN_HH;
    f += 2;
  } else if (f[0] == 'h') {
    spec->len = LEN_H;
    f++;
  } else if (f[0] == 'l' && f[1] == 'l') {
    spec->len = LEN_LL;
    f += 2;
  } else if (f[0] == 'l') {
    spec->len = LEN_L;
    f++;
  } else if (f[0] == 'L') {
    spec->len = LEN_BIG_L;
    f++;
  } else if (f[0] == 'I' && f[1] == '6' && f[2] == '4') {
    spec->len = LEN_LL;
    f += 3;
  } else if (f[0] == 'I' && f[1] == '3' && f[2] == '2') {
    spec->len = LEN_I32;
    f += 3;
  } else if (f[0] == 'I' || f[0] == 'z' || f[0] == 't') {
    spec->len = LEN_PTR;
    f++;
  } else if (f[0] == 'j') {
    spec->len = LEN_INTMAX;
    f++;
  } else if (f[0] == 'w') {
    spec->len = LEN_W;
    f++;
  }
  return f;
}

/* Formats @p fmt with the Windows rules into @p o. */
static void dbg_format(dbg_out_t *o, const char *fmt, va_list *ap) {
  const char *f = fmt;
  while (*f != '\0') {
    const char *pct = strchr(f, '%');
    if (pct == NULL) {
      out_bytes(o, f, strlen(f));
      return;
    }
    out_bytes(o, f, (size_t)(pct - f));
    dbg_spec_t spec;
    const char *c = parse_spec(pct + 1, &spec, ap);
    spec.conv = *c;
    switch (*c) {
      case '%': out_bytes(o, "%", 1); break;
      case 'd':
      case 'i': conv_signed(o, &spec, ap); break;
      case 'u':
      case 'o':
      case 'x':
      case 'X': conv_unsigned(o, &spec, ap); break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
      case 'a':
      case 'A': conv_float(o, &spec, ap); break;
      case 'c':
      case 'C': conv_char(o, &spec, ap); break;
      case 's':
      case 'S': conv_string(o, &spec, ap); break;
      case 'Z': conv_counted(o, &spec, ap); break;
      case 'p': conv_pointer(o, &spec, ap); break;
      case 'n':
        // The kernel does not write through %n; consume the argument.
        (void)va_arg(*ap, int *);
        break;
      case '\0':
        // A lone '%' at the end: print what was there.
        out_bytes(o, pct, (size_t)(c - pct));
        return;
      default:
        // Unknown conversion: print it as written, consume nothing.
        out_bytes(o, pct, (size_t)(c - pct) + 1);
        break;
    }
    f = c + 1;
  }
}

/* Formats and writes one message; @p prefix may be NULL. */
static ULONG dbg_emit(const char *prefix, const char *fmt, va_list *ap) {
  dbg_out_t o;
  o.len = 0;
  o.text[0] = '\0';
  if (prefix != NULL) out_bytes(&o, prefix, strlen(prefix));
  if (fmt != NULL) dbg_format(&o, fmt, ap);
  kp_printf(kp_system_current(), "%s", o.text);
  return (ULONG)STATUS_SUCCESS;
}

ULONG DbgPrint(PCSTR Format, ...) {
  va_list ap;
  va_start(ap, Format);
  ULONG r = dbg_emit(NULL, Format, &ap);
  va_end(ap);
  return r;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
  // Every component and level is shown: kpool's debugger has no filter.
  UNREFERENCED_PARAMETER(ComponentId);
  UNREFERENCED_PARAMETER(Level);
  va_list ap;
  va_start(ap, Format);
  ULONG r = dbg_emit(NULL, Format, &ap);
  va_end(ap);
  return r;
}

#if defined(__GNUC__) || defined(__clang__)
ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format,
                  va_list arglist) {
  UNREFERENCED_PARAMETER(ComponentId);
  UNREFERENCED_PARAMETER(Level);
  // va_list may be an array type that decays in a parameter; work on a
  // proper copy so that its address has the type va_list *.
  va_list ap;
  va_copy(ap, arglist);
  ULONG r = dbg_emit(NULL, Format, &ap);
  va_end(ap);
  return r;
}

ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level,
                            PCCH Format, va_list arglist) {
  UNREFERENCED_PARAMETER(ComponentId);
  UNREFERENCED_PARAMETER(Level);
  va_list ap;
  va_copy(ap, arglist);
  ULONG r = dbg_emit(Prefix, Format, &ap);
  va_end(ap);
  return r;
}
#endif

/* ---------------------------------------------------------------------------
 * Assertions, bug checks, raising
 * ------------------------------------------------------------------------- */

void kp_wdk_assert_failed(const char *expression, const char *message,
                          const char *file, ULONG line) {
  const void *caller = WDK_CALLER();
  char text[1024];
  snprintf(text, sizeof text,
           "  assertion:  %s\n"
           "  message:    %s\n"
           "  at:         %s:%lu\n"
           "  A driver assertion (ASSERT / NT_ASSERT) failed. On Windows the\n"
           "  STATUS_ASSERTION_FAILURE exception it raises is not handled when\n"
           "  no kernel debugger is attached, which is this bug check.\n",
           expression != NULL ? expression : "(unknown)",
           message != NULL ? message : "(none)",
           file != NULL ? file : "(unknown file)", (unsigned long)line);
  // P1 carries the exception code sign-extended, as x64 Windows passes an
  // NTSTATUS in a ULONG_PTR (and as kp_raise_status reports every raise).
  kp_bugcheck(kp_system_current(), KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED,
              (uint64_t)(int64_t)STATUS_ASSERTION_FAILURE,
              (uint64_t)(uintptr_t)caller, 0, 0, text);
}

VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
                        ULONG_PTR BugCheckParameter2,
                        ULONG_PTR BugCheckParameter3,
                        ULONG_PTR BugCheckParameter4) {
  char text[128];
  snprintf(text, sizeof text, "  The driver called KeBugCheckEx (from %p).\n",
           WDK_CALLER());
  kp_bugcheck(kp_system_current(), BugCheckCode, BugCheckParameter1,
              BugCheckParameter2, BugCheckParameter3, BugCheckParameter4,
              text);
}

VOID NTAPI KeBugCheck(ULONG BugCheckCode) {
  char text[128];
  snprintf(text, sizeof text, "  The driver called KeBugCheck (from %p).\n",
           WDK_CALLER());
  kp_bugcheck(kp_system_current(), BugCheckCode, 0, 0, 0, 0, text);
}

VOID NTAPI ExRaiseStatus(NTSTATUS Status) { kp_raise_status(Status); }

VOID NTAPI ExRaiseAccessViolation(VOID) {
  kp_raise_status(STATUS_ACCESS_VIOLATION);
}

VOID NTAPI ExRaiseDatatypeMisalignment(VOID) {
  kp_raise_status(STATUS_DATATYPE_MISALIGNMENT);
}

VOID NTAPI DbgBreakPoint(VOID) { kp_raise_status(STATUS_BREAKPOINT); }
