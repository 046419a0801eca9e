/*
 * format.c — the kernel's printf dialect for 8-bit and UTF-16 output
 * (kpool/format.h): one engine over a bounded sink that counts every unit
 * it is given, so the return value is the full length and truncation is
 * exact.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kpool/format.h"
#include "rtl/kp_format.h"

/* ---------------------------------------------------------------------------
 * Sink: stores units while there is room for them and the final NUL,
 * counts all of them.
 * ------------------------------------------------------------------------- */
typedef struct sink {
  bool wide;
  bool raw; /* no terminating NUL: all cap units hold text */
  char *b8;
  uint16_t *b16;
  size_t cap; /* units at the buffer, NUL included */
  size_t len; /* units produced so far (may exceed cap) */
} sink_t;

static void put(sink_t *s, uint32_t unit) {
  if (s->len + (s->raw ? 0u : 1u) < s->cap) {
    if (s->wide)
      s->b16[s->len] = (uint16_t)unit;
    else
      s->b8[s->len] = (char)(unsigned char)unit;
  }
  s->len++;
}

static void put_repeat(sink_t *s, uint32_t unit, size_t n) {
  // Once the buffer is full only the count moves, so a huge width costs
  // nothing.
  size_t reserve = s->raw ? 0u : 1u;
  while (n > 0 && s->len + reserve < s->cap) {
    put(s, unit);
    n--;
  }
  s->len += n;
}

static void put_ascii(sink_t *s, const char *text, size_t n) {
  for (size_t i = 0; i < n; i++) put(s, (unsigned char)text[i]);
}

static void sink_finish(sink_t *s) {
  if (s->cap == 0 || s->raw) return;
  size_t end = s->len < s->cap - 1 ? s->len : s->cap - 1;
  if (s->wide)
    s->b16[end] = 0;
  else
    s->b8[end] = '\0';
}

/* ---------------------------------------------------------------------------
 * The format string, 8-bit or UTF-16.
 * ------------------------------------------------------------------------- */
typedef struct fmt_src {
  const char *f8;
  const uint16_t *f16;
} fmt_src_t;

static uint32_t fmt_at(const fmt_src_t *f, size_t i) {
  return f->f16 != NULL ? f->f16[i] : (unsigned char)f->f8[i];
}

/* ---------------------------------------------------------------------------
 * One conversion specification.
 * ------------------------------------------------------------------------- */
enum len_mod {
  LEN_NONE,
  LEN_HH,
  LEN_H,
  LEN_L,
  LEN_LL,
  LEN_BIG_L,
  LEN_PTR,
  LEN_I32,
  LEN_INTMAX,
  LEN_W
};

typedef struct spec {
  bool left, plus, space, alt, zero;
  int width;     /* 0 when absent */
  int precision; /* -1 when absent */
  enum len_mod len;
  uint32_t conv;
} spec_t;

/* ---------------------------------------------------------------------------
 * Text conversion between UTF-16 and 8-bit (UTF-8) units. Each emitter
 * returns how many output units the text takes; with @p s NULL it only
 * counts, which is how a right-justified field learns its padding.
 * ------------------------------------------------------------------------- */

/* UTF-16 units -> output. @p n is the number of source units, or SIZE_MAX
 * for "up to the first NUL"; @p limit caps the units read. */
static size_t emit16(sink_t *s, bool wide_out, const uint16_t *src, size_t n,
                     size_t limit) {
  size_t out = 0;
  for (size_t i = 0; i < n && i < limit; i++) {
    uint32_t u = src[i];
    if (n == SIZE_MAX && u == 0) break;
    if (wide_out) {
      if (s != NULL) put(s, u);
      out++;
      continue;
    }
    uint32_t cp = u;
    bool pair = u >= 0xD800 && u <= 0xDBFF && i + 1 < n && i + 1 < limit &&
                src[i + 1] >= 0xDC00 && src[i + 1] <= 0xDFFF;
    if (pair) {
      cp = 0x10000u + ((u - 0xD800u) << 10) + ((uint32_t)src[i + 1] - 0xDC00u);
      i++;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      cp = '?';
    }
    unsigned char enc[4];
    size_t k;
    if (cp < 0x80) {
      enc[0] = (unsigned char)cp;
      k = 1;
    } else if (cp < 0x800) {
      enc[0] = (unsigned char)(0xC0 | (cp >> 6));
      enc[1] = (unsigned char)(0x80 | (cp & 0x3F));
      k = 2;
    } else if (cp < 0x10000) {
      enc[0] = (unsigned char)(0xE0 | (cp >> 12));
      enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      enc[2] = (unsigned char)(0x80 | (cp & 0x3F));
      k = 3;
    } else {
      enc[0] = (unsigned char)(0xF0 | (cp >> 18));
      enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
      enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      enc[3] = (unsigned char)(0x80 | (cp & 0x3F));
      k = 4;
    }
    if (s != NULL) {
      for (size_t j = 0; j < k; j++) put(s, enc[j]);
    }
    out += k;
  }
  return out;
}

/* Length of the valid UTF-8 sequence at @p p (at most @p avail bytes) and
 * its code point, or 0 when the byte does not start one. */
static size_t utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp) {
  unsigned char c = p[0];
  size_t k;
  uint32_t v;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    k = 2;
    v = c & 0x1Fu;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    k = 3;
    v = c & 0x0Fu;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    k = 4;
    v = c & 0x07u;
    min = 0x10000;
  } else {
    return 0;
  }
  if (k > avail) return 0;
  for (size_t j = 1; j < k; j++) {
    if ((p[j] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[j] & 0x3Fu);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return k;
}

/* 8-bit units -> output; @p n and @p limit as for emit16. */
static size_t emit8(sink_t *s, bool wide_out, const char *src, size_t n,
                    size_t limit) {
  size_t len = 0;
  size_t stop = n < limit ? n : limit;
  if (n == SIZE_MAX) {
    while (len < stop && src[len] != '\0') len++;
  } else {
    len = stop;
  }
  if (!wide_out) {
    if (s != NULL) put_ascii(s, src, len);
    return len;
  }
  const unsigned char *u = (const unsigned char *)src;
  size_t out = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp = u[i];
    size_t k = cp < 0x80 ? 0 : utf8_decode(u + i, len - i, &cp);
    if (k == 0) {
      // ASCII, or a byte that starts no valid sequence: itself (Latin-1).
      cp = u[i];
      k = 1;
    }
    i += k;
    if (cp >= 0x10000) {
      if (s != NULL) {
        put(s, 0xD800u + ((cp - 0x10000u) >> 10));
        put(s, 0xDC00u + ((cp - 0x10000u) & 0x3FFu));
      }
      out += 2;
    } else {
      if (s != NULL) put(s, cp);
      out++;
    }
  }
  return out;
}

/* ---------------------------------------------------------------------------
 * Fields.
 * ------------------------------------------------------------------------- */

/* A string field: the text is emitted by @p wide_src ? emit16 : emit8. */
static void field_text(sink_t *s, const spec_t *sp, bool wide_src,
                       const void *src, size_t n) {
  size_t limit = sp->precision >= 0 ? (size_t)sp->precision : SIZE_MAX;
  size_t need = wide_src
                    ? emit16(NULL, s->wide, (const uint16_t *)src, n, limit)
                    : emit8(NULL, s->wide, (const char *)src, n, limit);
  size_t width = (size_t)sp->width;
  size_t pad = width > need ? width - need : 0;
  if (!sp->left) put_repeat(s, ' ', pad);
  if (wide_src)
    emit16(s, s->wide, (const uint16_t *)src, n, limit);
  else
    emit8(s, s->wide, (const char *)src, n, limit);
  if (sp->left) put_repeat(s, ' ', pad);
}

static void field_null(sink_t *s, const spec_t *sp) {
  spec_t plain = *sp;
  plain.precision = -1;
  field_text(s, &plain, false, "(null)", SIZE_MAX);
}

/* An integer as sign and magnitude, with the C rules for flags, width and
 * precision. */
static void field_integer(sink_t *s, const spec_t *sp, bool negative,
                          unsigned long long magnitude) {
  const char *digit_set =
      sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  unsigned base = 10;
  if (sp->conv == 'o') base = 8;
  if (sp->conv == 'x' || sp->conv == 'X') base = 16;
  char digits[32];
  size_t nd = 0;
  for (unsigned long long v = magnitude; v != 0; v /= base) {
    digits[nd++] = digit_set[v % base];
  }
  // Precision is the minimum number of digits; ".0" with 0 prints none.
  size_t min_digits = sp->precision >= 0 ? (size_t)sp->precision : 1;
  if (sp->conv == 'o' && sp->alt && min_digits <= nd) min_digits = nd + 1;
  char prefix[3];
  size_t np = 0;
  bool is_signed = sp->conv == 'd' || sp->conv == 'i';
  if (negative) {
    prefix[np++] = '-';
  } else if (is_signed && sp->plus) {
    prefix[np++] = '+';
  } else if (is_signed && sp->space) {
    prefix[np++] = ' ';
  }
  if (base == 16 && sp->alt && magnitude != 0) {
    prefix[np++] = '0';
    prefix[np++] = (char)sp->conv;
  }
  size_t zeros = min_digits > nd ? min_digits - nd : 0;
  size_t body = np + zeros + nd;
  size_t width = (size_t)sp->width;
  size_t pad = width > body ? width - body : 0;
  // '0' pads with zeros after the sign, unless '-' or a precision is given.
  if (!sp->left && sp->zero && sp->precision < 0) {
    zeros += pad;
    pad = 0;
  }
  if (!sp->left) put_repeat(s, ' ', pad);
  put_ascii(s, prefix, np);
  put_repeat(s, '0', zeros);
  while (nd > 0) put(s, (unsigned char)digits[--nd]);
  if (sp->left) put_repeat(s, ' ', pad);
}

static void conv_signed(sink_t *s, const spec_t *sp, va_list *ap) {
  long long v;
  switch (sp->len) {
  case LEN_HH:
    v = (signed char)va_arg(*ap, int);
    break;
  case LEN_H:
    v = (short)va_arg(*ap, int);
    break;
  case LEN_LL:
    v = va_arg(*ap, long long);
    break;
  case LEN_PTR:
    v = (long long)va_arg(*ap, intptr_t);
    break;
  case LEN_INTMAX:
    v = (long long)va_arg(*ap, intmax_t);
    break;
  // Windows: `l` (and I32) is 32 bits, the width of LONG.
  default:
    v = va_arg(*ap, int);
    break;
  }
  // The magnitude of LLONG_MIN does not fit in a long long.
  unsigned long long magnitude =
      v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  field_integer(s, sp, v < 0, magnitude);
}

static void conv_unsigned(sink_t *s, const spec_t *sp, va_list *ap) {
  unsigned long long v;
  switch (sp->len) {
  case LEN_HH:
    v = (unsigned char)va_arg(*ap, unsigned int);
    break;
  case LEN_H:
    v = (unsigned short)va_arg(*ap, unsigned int);
    break;
  case LEN_LL:
    v = va_arg(*ap, unsigned long long);
    break;
  case LEN_PTR:
    v = (unsigned long long)va_arg(*ap, uintptr_t);
    break;
  case LEN_INTMAX:
    v = (unsigned long long)va_arg(*ap, uintmax_t);
    break;
  default:
    v = va_arg(*ap, unsigned int);
    break;
  }
  field_integer(s, sp, false, v);
}

/* %p: 16 upper-case hex digits, as the kernel prints a pointer on x64. */
static void conv_pointer(sink_t *s, const spec_t *sp, va_list *ap) {
  uintptr_t p = (uintptr_t)va_arg(*ap, void *);
  char text[17];
  for (int i = 15; i >= 0; i--) {
    text[i] = "0123456789ABCDEF"[p & 0xF];
    p >>= 4;
  }
  text[16] = '\0';
  spec_t plain = *sp;
  plain.precision = -1;
  field_text(s, &plain, false, text, 16);
}

/* True when the conversion takes a UTF-16 argument (%S, %ls, %ws, ...):
 * the plain letter follows the output's width, the capital the other. */
static bool wide_argument(const sink_t *s, const spec_t *sp) {
  if (sp->len == LEN_H) return false;
  if (sp->len == LEN_L || sp->len == LEN_W) return true;
  bool capital = sp->conv == 'C' || sp->conv == 'S';
  return s->wide ? !capital : capital;
}

static void conv_char(sink_t *s, const spec_t *sp, va_list *ap) {
  spec_t plain = *sp;
  plain.precision = -1;
  if (wide_argument(s, sp)) {
    uint16_t u = (uint16_t)va_arg(*ap, int);
    field_text(s, &plain, true, &u, 1);
  } else {
    char c = (char)va_arg(*ap, int);
    field_text(s, &plain, false, &c, 1);
  }
}

static void conv_string(sink_t *s, const spec_t *sp, va_list *ap) {
  if (wide_argument(s, sp)) {
    const uint16_t *w = va_arg(*ap, const uint16_t *);
    if (w == NULL)
      field_null(s, sp);
    else
      field_text(s, sp, true, w, SIZE_MAX);
  } else {
    const char *c = va_arg(*ap, const char *);
    if (c == NULL)
      field_null(s, sp);
    else
      field_text(s, sp, false, c, SIZE_MAX);
  }
}

/* %Z (counted 8-bit) and %wZ / %lZ (counted UTF-16). */
static void conv_counted(sink_t *s, const spec_t *sp, va_list *ap) {
  if (sp->len == LEN_W || sp->len == LEN_L) {
    const kp_counted16_t *us = va_arg(*ap, const kp_counted16_t *);
    if (us == NULL || us->buffer == NULL)
      field_null(s, sp);
    else
      field_text(s, sp, true, us->buffer, us->length / 2u);
  } else {
    const kp_counted8_t *as = va_arg(*ap, const kp_counted8_t *);
    if (as == NULL || as->buffer == NULL)
      field_null(s, sp);
    else
      field_text(s, sp, false, as->buffer, as->length);
  }
}

/* Floating point through the host's printf, one literal format per case
 * so that -Wformat=2 checks every call; the C flags other than '#' are
 * applied by conv_float. */
static int float_text(char *text, size_t cap, uint32_t conv, bool alt, int prec,
                      double v) {
  switch (conv) {
  case 'e':
    return alt ? snprintf(text, cap, "%#.*e", prec, v)
               : snprintf(text, cap, "%.*e", prec, v);
  case 'E':
    return alt ? snprintf(text, cap, "%#.*E", prec, v)
               : snprintf(text, cap, "%.*E", prec, v);
  case 'f':
    return alt ? snprintf(text, cap, "%#.*f", prec, v)
               : snprintf(text, cap, "%.*f", prec, v);
  case 'F':
    return alt ? snprintf(text, cap, "%#.*F", prec, v)
               : snprintf(text, cap, "%.*F", prec, v);
  case 'g':
    return alt ? snprintf(text, cap, "%#.*g", prec, v)
               : snprintf(text, cap, "%.*g", prec, v);
  case 'G':
    return alt ? snprintf(text, cap, "%#.*G", prec, v)
               : snprintf(text, cap, "%.*G", prec, v);
  case 'a':
    return alt ? snprintf(text, cap, "%#.*a", prec, v)
               : snprintf(text, cap, "%.*a", prec, v);
  default:
    return alt ? snprintf(text, cap, "%#.*A", prec, v)
               : snprintf(text, cap, "%.*A", prec, v);
  }
}

static int long_float_text(char *text, size_t cap, uint32_t conv, bool alt,
                           int prec, long double v) {
  switch (conv) {
  case 'e':
    return alt ? snprintf(text, cap, "%#.*Le", prec, v)
               : snprintf(text, cap, "%.*Le", prec, v);
  case 'E':
    return alt ? snprintf(text, cap, "%#.*LE", prec, v)
               : snprintf(text, cap, "%.*LE", prec, v);
  case 'f':
    return alt ? snprintf(text, cap, "%#.*Lf", prec, v)
               : snprintf(text, cap, "%.*Lf", prec, v);
  case 'F':
    return alt ? snprintf(text, cap, "%#.*LF", prec, v)
               : snprintf(text, cap, "%.*LF", prec, v);
  case 'g':
    return alt ? snprintf(text, cap, "%#.*Lg", prec, v)
               : snprintf(text, cap, "%.*Lg", prec, v);
  case 'G':
    return alt ? snprintf(text, cap, "%#.*LG", prec, v)
               : snprintf(text, cap, "%.*LG", prec, v);
  case 'a':
    return alt ? snprintf(text, cap, "%#.*La", prec, v)
               : snprintf(text, cap, "%.*La", prec, v);
  default:
    return alt ? snprintf(text, cap, "%#.*LA", prec, v)
               : snprintf(text, cap, "%.*LA", prec, v);
  }
}

static void conv_float(sink_t *s, const spec_t *sp, va_list *ap) {
  char text[512];
  int n;
  // Windows' long double is double; the host's may be wider, so `L` alone
  // takes a long double argument.
  if (sp->len == LEN_BIG_L)
    n = long_float_text(text, sizeof text, sp->conv, sp->alt, sp->precision,
                        va_arg(*ap, long double));
  else
    n = float_text(text, sizeof text, sp->conv, sp->alt, sp->precision,
                   va_arg(*ap, double));
  if (n < 0) n = 0;
  size_t len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
  // Split into sign, "0x" prefix (for %a) and digits, then pad.
  const char *body = text;
  char sign = 0;
  if (*body == '-') {
    sign = '-';
    body++;
    len--;
  } else if (sp->plus) {
    sign = '+';
  } else if (sp->space) {
    sign = ' ';
  }
  size_t hex = 0;
  if ((sp->conv == 'a' || sp->conv == 'A') && len >= 2 && body[0] == '0')
    hex = 2;
  bool finite = len > 0 && body[0] >= '0' && body[0] <= '9';
  size_t total = (sign != 0 ? 1u : 0u) + len;
  size_t width = (size_t)sp->width;
  size_t pad = width > total ? width - total : 0;
  size_t zeros = 0;
  if (!sp->left && sp->zero && finite) {
    zeros = pad;
    pad = 0;
  }
  if (!sp->left) put_repeat(s, ' ', pad);
  if (sign != 0) put(s, (unsigned char)sign);
  put_ascii(s, body, hex);
  put_repeat(s, '0', zeros);
  put_ascii(s, body + hex, len - hex);
  if (sp->left) put_repeat(s, ' ', pad);
}

/* Reads a decimal number, saturating far beyond any useful width. */
static int read_number(const fmt_src_t *f, size_t *i) {
  int v = 0;
  uint32_t c = fmt_at(f, *i);
  while (c >= '0' && c <= '9') {
    if (v < 100000000) v = v * 10 + (int)(c - '0');
    (*i)++;
    c = fmt_at(f, *i);
  }
  return v;
}

/* Parses flags, width, precision and size after '%' at @p *i; leaves *i on
 * the conversion character. */
static void parse_spec(const fmt_src_t *f, size_t *i, spec_t *sp, va_list *ap) {
  memset(sp, 0, sizeof *sp);
  sp->precision = -1;
  for (;;) {
    uint32_t c = fmt_at(f, *i);
    if (c == '-')
      sp->left = true;
    else if (c == '+')
      sp->plus = true;
    else if (c == ' ')
      sp->space = true;
    else if (c == '#')
      sp->alt = true;
    else if (c == '0')
      sp->zero = true;
    else
      break;
    (*i)++;
  }
  if (fmt_at(f, *i) == '*') {
    int w = va_arg(*ap, int);
    if (w < 0) {
      // A negative width argument means '-' with its absolute value.
      sp->left = true;
      w = w == INT_MIN ? INT_MAX : -w;
    }
    sp->width = w;
    (*i)++;
  } else {
    sp->width = read_number(f, i);
  }
  if (fmt_at(f, *i) == '.') {
    (*i)++;
    if (fmt_at(f, *i) == '*') {
      int p = va_arg(*ap, int);
      sp->precision = p < 0 ? -1 : p;
      (*i)++;
    } else {
      sp->precision = read_number(f, i);
    }
  }
  uint32_t c0 = fmt_at(f, *i);
  uint32_t c1 = c0 != 0 ? fmt_at(f, *i + 1) : 0;
  uint32_t c2 = c1 != 0 ? fmt_at(f, *i + 2) : 0;
  if (c0 == 'h' && c1 == 'h') {
    sp->len = LEN_HH;
    *i += 2;
  } else if (c0 == 'h') {
    sp->len = LEN_H;
    *i += 1;
  } else if (c0 == 'l' && c1 == 'l') {
    sp->len = LEN_LL;
    *i += 2;
  } else if (c0 == 'l') {
    sp->len = LEN_L;
    *i += 1;
  } else if (c0 == 'L') {
    sp->len = LEN_BIG_L;
    *i += 1;
  } else if (c0 == 'I' && c1 == '6' && c2 == '4') {
    sp->len = LEN_LL;
    *i += 3;
  } else if (c0 == 'I' && c1 == '3' && c2 == '2') {
    sp->len = LEN_I32;
    *i += 3;
  } else if (c0 == 'I' || c0 == 'z' || c0 == 't') {
    sp->len = LEN_PTR;
    *i += 1;
  } else if (c0 == 'j') {
    sp->len = LEN_INTMAX;
    *i += 1;
  } else if (c0 == 'w') {
    sp->len = LEN_W;
    *i += 1;
  }
}

/* Copies format units [from, to) to the output unchanged. */
static void copy_units(sink_t *s, const fmt_src_t *f, size_t from, size_t to) {
  for (size_t k = from; k < to; k++) put(s, fmt_at(f, k));
}

static void engine(sink_t *s, const fmt_src_t *f, uint32_t flags, va_list *ap) {
  size_t i = 0;
  for (;;) {
    uint32_t c = fmt_at(f, i);
    if (c == 0) return;
    if (c != '%') {
      put(s, c);
      i++;
      continue;
    }
    size_t start = i;
    i++;
    spec_t sp;
    parse_spec(f, &i, &sp, ap);
    sp.conv = fmt_at(f, i);
    switch (sp.conv) {
    case '%':
      put(s, '%');
      break;
    case 'd':
    case 'i':
      conv_signed(s, &sp, ap);
      break;
    case 'u':
    case 'o':
    case 'x':
    case 'X':
      conv_unsigned(s, &sp, ap);
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
      if ((flags & KP_FORMAT_NO_FLOAT) != 0) {
        // Unsupported here: consume the argument, show the conversion.
        if (sp.len == LEN_BIG_L)
          (void)va_arg(*ap, long double);
        else
          (void)va_arg(*ap, double);
        copy_units(s, f, start, i + 1);
      } else {
        conv_float(s, &sp, ap);
      }
      break;
    case 'c':
    case 'C':
      conv_char(s, &sp, ap);
      break;
    case 's':
    case 'S':
      conv_string(s, &sp, ap);
      break;
    case 'Z':
      conv_counted(s, &sp, ap);
      break;
    case 'p':
      conv_pointer(s, &sp, ap);
      break;
    case 'n':
      // The kernel never writes through %n; consume the argument.
      (void)va_arg(*ap, int *);
      break;
    case 0:
      // A lone '%' (with its flags) at the end: copy what was there.
      copy_units(s, f, start, i);
      return;
    default:
      // Unknown conversion: copied as written, no argument consumed.
      copy_units(s, f, start, i + 1);
      break;
    }
    i++;
  }
}

/* ---------------------------------------------------------------------------
 * Public entry points.
 * ------------------------------------------------------------------------- */
size_t kp_vformat(char *buf, size_t size, uint32_t flags, const char *fmt,
                  va_list ap) {
  sink_t s = {false, false, buf, NULL, buf != NULL ? size : 0, 0};
  fmt_src_t f = {fmt != NULL ? fmt : "", NULL};
  // va_list may be an array type that decays in a parameter: work on a copy
  // whose address has the type va_list *.
  va_list cp;
  va_copy(cp, ap);
  engine(&s, &f, flags, &cp);
  va_end(cp);
  sink_finish(&s);
  return s.len;
}

size_t kp_format(char *buf, size_t size, uint32_t flags, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = kp_vformat(buf, size, flags, fmt, ap);
  va_end(ap);
  return n;
}

size_t kp_vformat16(uint16_t *buf, size_t count, uint32_t flags,
                    const uint16_t *fmt, va_list ap) {
  static const uint16_t empty[1] = {0};
  sink_t s = {true, false, NULL, buf, buf != NULL ? count : 0, 0};
  fmt_src_t f = {NULL, fmt != NULL ? fmt : empty};
  va_list cp;
  va_copy(cp, ap);
  engine(&s, &f, flags, &cp);
  va_end(cp);
  sink_finish(&s);
  return s.len;
}

size_t kp_format16(uint16_t *buf, size_t count, uint32_t flags,
                   const uint16_t *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = kp_vformat16(buf, count, flags, fmt, ap);
  va_end(ap);
  return n;
}

size_t kpi_vformat16_raw(uint16_t *buf, size_t count, const uint16_t *fmt,
                         va_list ap) {
  static const uint16_t empty[1] = {0};
  sink_t s = {true, true, NULL, buf, buf != NULL ? count : 0, 0};
  fmt_src_t f = {NULL, fmt != NULL ? fmt : empty};
  va_list cp;
  va_copy(cp, ap);
  engine(&s, &f, 0, &cp);
  va_end(cp);
  return s.len;
}

bool kpi_format_has_wide(const char *fmt) {
  if (fmt == NULL) return false;
  for (const char *f = fmt; *f != '\0'; f++) {
    if (*f != '%') continue;
    f++;
    while (*f != '\0' && strchr("-+ #0123456789.*", *f) != NULL) f++;
    char len = 0;
    if (*f == 'h' || *f == 'l' || *f == 'w') {
      len = *f;
      f++;
      if (len == 'h' && *f == 'h') f++;
      if (len == 'l' && *f == 'l') {
        len = 'L'; // ll: an integer size, never text
        f++;
      }
    }
    if (*f == '\0') return false;
    bool string_like = *f == 'c' || *f == 's' || *f == 'Z';
    // %C and %S take UTF-16 in an 8-bit format unless `h` says otherwise;
    // `l` or `w` make %c, %s and %Z UTF-16.
    if ((*f == 'C' || *f == 'S') && len != 'h') return true;
    if (string_like && (len == 'l' || len == 'w')) return true;
  }
  return false;
}
