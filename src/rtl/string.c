/*
 * string.c — counted strings: the Rtl*String* routines of the run-time
 * library (kpool/rtl_string.h) over kp_ustring_t / kp_astring_t.
 *
 * Sections: helpers and code page 1252; init; copy and append; case;
 * compare; numbers; UTF-8; conversions into counted strings; allocating
 * copies and frees.
 */
#include <string.h>

#include "kpool/kpool.h"

_Static_assert(sizeof(kp_ustring_t) == 2 * sizeof(void *),
               "kp_ustring_t has UNICODE_STRING's layout");
_Static_assert(offsetof(kp_ustring_t, buffer) == sizeof(void *),
               "UNICODE_STRING.Buffer follows the two counts and padding");
_Static_assert(sizeof(kp_astring_t) == sizeof(kp_ustring_t),
               "kp_astring_t has STRING's layout");

#define UNICODE_INIT_MAX_LENGTH (KP_USTRING_MAX_BYTES - 2u) /* 0xFFFC */
#define ANSI_INIT_MAX_LENGTH (KP_ASTRING_MAX_BYTES - 1u)    /* 0xFFFE */
#define REPLACEMENT_CHAR 0xFFFDu

/* ---------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------- */

// A NULL where the kernel would dereference: an access violation, which the
// caller's KP_TRY may catch (unhandled it is bug check 0x1E). Returns true
// when @p p is NULL so that the routine can give up.
static bool string_null(const void *p) {
  if (p != NULL) return false;
  kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
  return true;
}

// A counted string whose Buffer is NULL although @p n bytes of it are to be
// read or written: the kernel would fault on it, so raise as string_null.
static bool string_unbacked(const void *buffer, size_t n) {
  if (n == 0 || buffer != NULL) return false;
  kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
  return true;
}

static size_t wide_len(const uint16_t *s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

static void *string_alloc(kp_system_t *sys, kp_alloc_api_t api, size_t bytes,
                          kp_site_t site) {
  if (sys == NULL) return NULL;
  return kp_alloc_legacy(sys, api, KP_POOL_TYPE_PAGED, bytes, KP_STRING_TAG,
                         KP_PRIORITY_NORMAL, site);
}

// Code page 1252's bytes 0x80-0x9F (facts: the system ANSI code page; the
// 1252 assignments are Unicode's published table). The five unassigned
// bytes map to the C1 control of the same value, as Windows converts them.
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static uint16_t cp1252_to_unicode(unsigned char b) {
  if (b >= 0x80 && b <= 0x9F) return cp1252_high[b - 0x80];
  return b;
}

// The byte for @p c, or '?' when code page 1252 has no such character.
static char unicode_to_cp1252(uint16_t c) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return (char)c;
  for (unsigned i = 0; i < 32; i++) {
    if (cp1252_high[i] == c) return (char)(0x80 + i);
  }
  return '?';
}

/* ---------------------------------------------------------------------------
 * Init
 * ------------------------------------------------------------------------- */

void kp_string_init_unicode(kp_ustring_t *dst, const uint16_t *src) {
  if (string_null(dst)) return;
  size_t bytes = src != NULL ? wide_len(src) * 2 : 0;
  if (bytes > UNICODE_INIT_MAX_LENGTH) bytes = UNICODE_INIT_MAX_LENGTH;
  dst->length = (uint16_t)bytes;
  dst->max_length = src != NULL ? (uint16_t)(bytes + 2) : 0;
  // The struct points at the caller's characters, as on Windows.
  dst->buffer = (uint16_t *)(uintptr_t)src;
}

kp_status_t kp_string_init_unicode_ex(kp_ustring_t *dst, const uint16_t *src) {
  if (string_null(dst)) return KP_STATUS_ACCESS_VIOLATION;
  dst->length = 0;
  dst->max_length = 0;
  dst->buffer = (uint16_t *)(uintptr_t)src;
  if (src == NULL) return KP_STATUS_SUCCESS;
  size_t bytes = wide_len(src) * 2;
  if (bytes > UNICODE_INIT_MAX_LENGTH) return KP_STATUS_NAME_TOO_LONG;
  dst->length = (uint16_t)bytes;
  dst->max_length = (uint16_t)(bytes + 2);
  return KP_STATUS_SUCCESS;
}

void kp_string_init_ansi(kp_astring_t *dst, const char *src) {
  if (string_null(dst)) return;
  size_t bytes = src != NULL ? strlen(src) : 0;
  if (bytes > ANSI_INIT_MAX_LENGTH) bytes = ANSI_INIT_MAX_LENGTH;
  dst->length = (uint16_t)bytes;
  dst->max_length = src != NULL ? (uint16_t)(bytes + 1) : 0;
  dst->buffer = (char *)(uintptr_t)src;
}

kp_status_t kp_string_init_ansi_ex(kp_astring_t *dst, const char *src) {
  if (string_null(dst)) return KP_STATUS_ACCESS_VIOLATION;
  dst->length = 0;
  dst->max_length = 0;
  dst->buffer = (char *)(uintptr_t)src;
  if (src == NULL) return KP_STATUS_SUCCESS;
  size_t bytes = strlen(src);
  if (bytes > ANSI_INIT_MAX_LENGTH) return KP_STATUS_NAME_TOO_LONG;
  dst->length = (uint16_t)bytes;
  dst->max_length = (uint16_t)(bytes + 1);
  return KP_STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------
 * Copy and append
 * ------------------------------------------------------------------------- */

void kp_string_copy_unicode(kp_ustring_t *dst, const kp_ustring_t *src) {
  if (string_null(dst)) return;
  if (src == NULL) {
    dst->length = 0;
    return;
  }
  uint16_t n = src->length < dst->max_length ? src->length : dst->max_length;
  if (string_unbacked(src->buffer, n) || string_unbacked(dst->buffer, n))
    return;
  if (n > 0) memmove(dst->buffer, src->buffer, n);
  dst->length = n;
  if ((uint32_t)n + 2 <= dst->max_length) {
    memset((char *)dst->buffer + n, 0, 2);
  }
}

void kp_string_copy_ansi(kp_astring_t *dst, const kp_astring_t *src) {
  if (string_null(dst)) return;
  if (src == NULL) {
    dst->length = 0;
    return;
  }
  uint16_t n = src->length < dst->max_length ? src->length : dst->max_length;
  if (string_unbacked(src->buffer, n) || string_unbacked(dst->buffer, n))
    return;
  if (n > 0) memmove(dst->buffer, src->buffer, n);
  dst->length = n;
  if (n < dst->max_length) dst->buffer[n] = '\0';
}

// Appends @p n bytes at @p bytes to the counted buffer; @p nul_bytes of
// zeros follow when they fit (2 for Unicode, 0 for RtlAppendStringToString).
static kp_status_t append_bytes(uint16_t *length, uint16_t max, void *buffer,
                                const void *bytes, size_t n, size_t nul_bytes) {
  if ((size_t)*length + n > max) return KP_STATUS_BUFFER_TOO_SMALL;
  if (string_unbacked(bytes, n) || string_unbacked(buffer, n))
    return KP_STATUS_ACCESS_VIOLATION;
  char *end = (char *)buffer + *length;
  // memmove: the source may be the destination's own characters.
  if (n > 0) memmove(end, bytes, n);
  *length = (uint16_t)(*length + n);
  if (nul_bytes > 0 && (size_t)*length + nul_bytes <= max) {
    memset(end + n, 0, nul_bytes);
  }
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_string_append_unicode(kp_ustring_t *dst,
                                     const kp_ustring_t *src) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  return append_bytes(&dst->length, dst->max_length, dst->buffer, src->buffer,
                      src->length, 2);
}

kp_status_t kp_string_append_unicode_z(kp_ustring_t *dst, const uint16_t *src) {
  if (string_null(dst)) return KP_STATUS_ACCESS_VIOLATION;
  if (src == NULL) return KP_STATUS_SUCCESS;
  return append_bytes(&dst->length, dst->max_length, dst->buffer, src,
                      wide_len(src) * 2, 2);
}

kp_status_t kp_string_append_ansi(kp_astring_t *dst, const kp_astring_t *src) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  return append_bytes(&dst->length, dst->max_length, dst->buffer, src->buffer,
                      src->length, 0);
}

/* ---------------------------------------------------------------------------
 * Case. The ranges are those rtl_string.h promises.
 * ------------------------------------------------------------------------- */

uint16_t kp_string_upcase_char(uint16_t c) {
  if (c >= 'a' && c <= 'z') return (uint16_t)(c - 0x20);
  if (c < 0xB5) return c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return (uint16_t)(c - 0x20);
  if (c == 0xFF) return 0x0178;
  if (c >= 0x0100 && c <= 0x017F) {
    // Latin Extended-A pairs capital/small as even/odd in 0x100-0x137 and
    // 0x14A-0x177, odd/even in 0x139-0x148 and 0x179-0x17E.
    if ((c <= 0x0137 || (c >= 0x014A && c <= 0x0177)) && (c & 1) != 0 &&
        c != 0x0131)
      return (uint16_t)(c - 1);
    if (((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) &&
        (c & 1) == 0)
      return (uint16_t)(c - 1);
    return c;
  }
  if (c >= 0x03B1 && c <= 0x03C9) {
    if (c == 0x03C2) return 0x03A3; // final sigma
    return (uint16_t)(c - 0x20);
  }
  if (c >= 0x0430 && c <= 0x044F) return (uint16_t)(c - 0x20);
  if (c >= 0x0450 && c <= 0x045F) return (uint16_t)(c - 0x50);
  return c;
}

uint16_t kp_string_downcase_char(uint16_t c) {
  if (c >= 'A' && c <= 'Z') return (uint16_t)(c + 0x20);
  if (c < 0xC0) return c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return (uint16_t)(c + 0x20);
  if (c == 0x0178) return 0x00FF;
  if (c >= 0x0100 && c <= 0x017F) {
    if ((c <= 0x0137 || (c >= 0x014A && c <= 0x0177)) && (c & 1) == 0 &&
        c != 0x0130)
      return (uint16_t)(c + 1);
    if (((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) &&
        (c & 1) != 0)
      return (uint16_t)(c + 1);
    return c;
  }
  // U+03A2 is unassigned: it has no small letter.
  if (c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) return (uint16_t)(c + 0x20);
  if (c >= 0x0410 && c <= 0x042F) return (uint16_t)(c + 0x20);
  if (c >= 0x0400 && c <= 0x040F) return (uint16_t)(c + 0x50);
  return c;
}

char kp_string_upper_char(char c) {
  uint16_t u = cp1252_to_unicode((unsigned char)c);
  uint16_t up = kp_string_upcase_char(u);
  if (up == u) return c;
  char back = unicode_to_cp1252(up);
  // A capital the code page lacks (U+0178 has 0x9F; U+039C for U+00B5 would
  // not): keep the byte rather than turning a letter into '?'.
  return back == '?' ? c : back;
}

static kp_status_t case_map(kp_system_t *sys, kp_ustring_t *dst,
                            const kp_ustring_t *src, bool allocate,
                            kp_site_t site, kp_alloc_api_t api,
                            uint16_t (*map)(uint16_t)) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  size_t chars = src->length / 2;
  uint16_t bytes = (uint16_t)(chars * 2);
  if (string_unbacked(src->buffer, bytes)) return KP_STATUS_ACCESS_VIOLATION;
  uint16_t *out = dst->buffer;
  if (allocate) {
    out = NULL;
    if (bytes > 0) {
      out = string_alloc(sys, api, bytes, site);
      if (out == NULL) return KP_STATUS_NO_MEMORY;
    }
  } else if (dst->max_length < bytes) {
    return KP_STATUS_BUFFER_OVERFLOW;
  } else if (string_unbacked(out, bytes)) {
    return KP_STATUS_ACCESS_VIOLATION;
  }
  // Index by index, so that dst may be src (an in-place upcase).
  for (size_t i = 0; i < chars; i++) out[i] = map(src->buffer[i]);
  if (allocate) {
    dst->buffer = out;
    dst->max_length = bytes;
  }
  dst->length = bytes;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_string_upcase_unicode(kp_system_t *sys, kp_ustring_t *dst,
                                     const kp_ustring_t *src, bool allocate,
                                     kp_site_t site) {
  return case_map(sys, dst, src, allocate, site, KP_API_RTL_UPCASE_UNICODE,
                  kp_string_upcase_char);
}

kp_status_t kp_string_downcase_unicode(kp_system_t *sys, kp_ustring_t *dst,
                                       const kp_ustring_t *src, bool allocate,
                                       kp_site_t site) {
  return case_map(sys, dst, src, allocate, site, KP_API_RTL_DOWNCASE_UNICODE,
                  kp_string_downcase_char);
}

void kp_string_upper_ansi(kp_astring_t *dst, const kp_astring_t *src) {
  if (string_null(dst) || string_null(src)) return;
  uint16_t n = src->length < dst->max_length ? src->length : dst->max_length;
  if (string_unbacked(src->buffer, n) || string_unbacked(dst->buffer, n))
    return;
  for (uint16_t i = 0; i < n; i++)
    dst->buffer[i] = kp_string_upper_char(src->buffer[i]);
  dst->length = n;
}

/* ---------------------------------------------------------------------------
 * Compare
 * ------------------------------------------------------------------------- */

int32_t kp_string_compare_unicode(const kp_ustring_t *a, const kp_ustring_t *b,
                                  bool case_insensitive) {
  if (string_null(a) || string_null(b)) return 0;
  size_t na = a->length / 2, nb = b->length / 2;
  size_t n = na < nb ? na : nb;
  if (string_unbacked(a->buffer, n) || string_unbacked(b->buffer, n)) return 0;
  for (size_t i = 0; i < n; i++) {
    uint16_t ca = a->buffer[i], cb = b->buffer[i];
    if (case_insensitive) {
      ca = kp_string_upcase_char(ca);
      cb = kp_string_upcase_char(cb);
    }
    if (ca != cb) return (int32_t)ca - (int32_t)cb;
  }
  return (int32_t)na - (int32_t)nb;
}

int32_t kp_string_compare_ansi(const kp_astring_t *a, const kp_astring_t *b,
                               bool case_insensitive) {
  if (string_null(a) || string_null(b)) return 0;
  size_t n = a->length < b->length ? a->length : b->length;
  if (string_unbacked(a->buffer, n) || string_unbacked(b->buffer, n)) return 0;
  for (size_t i = 0; i < n; i++) {
    char xa = a->buffer[i], xb = b->buffer[i];
    if (case_insensitive) {
      xa = kp_string_upper_char(xa);
      xb = kp_string_upper_char(xb);
    }
    if (xa != xb)
      return (int32_t)(unsigned char)xa - (int32_t)(unsigned char)xb;
  }
  return (int32_t)a->length - (int32_t)b->length;
}

bool kp_string_equal_unicode(const kp_ustring_t *a, const kp_ustring_t *b,
                             bool case_insensitive) {
  if (string_null(a) || string_null(b)) return false;
  if (a->length / 2 != b->length / 2) return false;
  return kp_string_compare_unicode(a, b, case_insensitive) == 0;
}

bool kp_string_equal_ansi(const kp_astring_t *a, const kp_astring_t *b,
                          bool case_insensitive) {
  if (string_null(a) || string_null(b)) return false;
  if (a->length != b->length) return false;
  return kp_string_compare_ansi(a, b, case_insensitive) == 0;
}

bool kp_string_prefix_unicode(const kp_ustring_t *prefix, const kp_ustring_t *s,
                              bool case_insensitive) {
  if (string_null(prefix) || string_null(s)) return false;
  if (prefix->length / 2 > s->length / 2) return false;
  kp_ustring_t head = *s;
  head.length = (uint16_t)(prefix->length & ~1u);
  return kp_string_compare_unicode(prefix, &head, case_insensitive) == 0;
}

bool kp_string_prefix_ansi(const kp_astring_t *prefix, const kp_astring_t *s,
                           bool case_insensitive) {
  if (string_null(prefix) || string_null(s)) return false;
  if (prefix->length > s->length) return false;
  kp_astring_t head = *s;
  head.length = prefix->length;
  return kp_string_compare_ansi(prefix, &head, case_insensitive) == 0;
}

/* ---------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------- */

static bool base_valid(uint32_t base) {
  return base == 0 || base == 2 || base == 8 || base == 10 || base == 16;
}

// Writes the digits of @p value (most significant first) into @p out (at
// least 65 bytes); returns how many.
static size_t format_digits(uint64_t value, uint32_t base, char *out) {
  char rev[64];
  size_t n = 0;
  do {
    rev[n++] = "0123456789ABCDEF"[value % base];
    value /= base;
  } while (value != 0);
  for (size_t i = 0; i < n; i++) out[i] = rev[n - 1 - i];
  return n;
}

kp_status_t kp_string_uint_to_char(uint32_t value, uint32_t base,
                                   int32_t out_len, char *out) {
  if (!base_valid(base)) return KP_STATUS_INVALID_PARAMETER;
  if (base == 0) base = 10;
  char digits[65];
  size_t n = format_digits(value, base, digits);
  size_t room = out_len > 0 ? (size_t)out_len : 0;
  if (n > room) return KP_STATUS_BUFFER_OVERFLOW;
  if (string_null(out)) return KP_STATUS_ACCESS_VIOLATION;
  memcpy(out, digits, n);
  if (n < room) out[n] = '\0';
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_string_uint_to_unicode(uint64_t value, uint32_t base,
                                      kp_ustring_t *dst) {
  if (string_null(dst)) return KP_STATUS_ACCESS_VIOLATION;
  if (!base_valid(base)) return KP_STATUS_INVALID_PARAMETER;
  if (base == 0) base = 10;
  char digits[65];
  size_t n = format_digits(value, base, digits);
  if ((n + 1) * 2 > dst->max_length) return KP_STATUS_BUFFER_OVERFLOW;
  if (string_unbacked(dst->buffer, (n + 1) * 2))
    return KP_STATUS_ACCESS_VIOLATION;
  for (size_t i = 0; i < n; i++) dst->buffer[i] = (uint16_t)digits[i];
  dst->buffer[n] = 0;
  dst->length = (uint16_t)(n * 2);
  return KP_STATUS_SUCCESS;
}

static int digit_value(uint32_t c) {
  if (c >= '0' && c <= '9') return (int)(c - '0');
  if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
  return 99;
}

// The parser both RtlCharToInteger and RtlUnicodeStringToInteger use, over
// @p count characters fetched by @p at (a NUL also ends the string).
static kp_status_t parse_uint(const void *s, size_t count,
                              uint32_t (*at)(const void *, size_t),
                              uint32_t base, uint32_t *value) {
  if (!base_valid(base)) return KP_STATUS_INVALID_PARAMETER;
  size_t i = 0;
  while (i < count &&
         (at(s, i) == ' ' || (at(s, i) >= '\t' && at(s, i) <= '\r')))
    i++;
  bool negative = false;
  if (i < count && (at(s, i) == '+' || at(s, i) == '-')) {
    negative = at(s, i) == '-';
    i++;
  }
  if (base == 0) {
    base = 10;
    if (i + 1 < count && at(s, i) == '0') {
      uint32_t p = at(s, i + 1);
      uint32_t chosen = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
      if (chosen != 0) {
        base = chosen;
        i += 2;
      }
    }
  }
  uint32_t result = 0;
  for (; i < count; i++) {
    int d = digit_value(at(s, i));
    if (d >= (int)base) break;
    // Unsigned arithmetic: overflow wraps, as Windows does not detect it.
    result = result * base + (uint32_t)d;
  }
  *value = negative ? 0u - result : result;
  return KP_STATUS_SUCCESS;
}

static uint32_t at_char(const void *s, size_t i) {
  return (unsigned char)((const char *)s)[i];
}

static uint32_t at_wide(const void *s, size_t i) {
  return ((const uint16_t *)s)[i];
}

kp_status_t kp_string_char_to_uint(const char *s, uint32_t base,
                                   uint32_t *value) {
  if (string_null(s) || string_null(value)) return KP_STATUS_ACCESS_VIOLATION;
  if (!base_valid(base)) return KP_STATUS_INVALID_PARAMETER;
  if (s[0] == '\0') return KP_STATUS_INVALID_PARAMETER;
  return parse_uint(s, strlen(s), at_char, base, value);
}

kp_status_t kp_string_unicode_to_uint(const kp_ustring_t *s, uint32_t base,
                                      uint32_t *value) {
  if (string_null(s) || string_null(value)) return KP_STATUS_ACCESS_VIOLATION;
  if (!base_valid(base)) return KP_STATUS_INVALID_PARAMETER;
  size_t count = s->length / 2;
  if (count == 0) return KP_STATUS_INVALID_PARAMETER;
  if (string_unbacked(s->buffer, count)) return KP_STATUS_ACCESS_VIOLATION;
  // A NUL inside the counted length ends the number too.
  size_t n = 0;
  while (n < count && s->buffer[n] != 0) n++;
  return parse_uint(s->buffer, n, at_wide, base, value);
}

/* ---------------------------------------------------------------------------
 * UTF-8 <-> UTF-16
 * ------------------------------------------------------------------------- */

// Decodes one code point at @p s (@p n bytes left). Returns the bytes
// consumed (>= 1) and sets *cp, or REPLACEMENT_CHAR with *bad = true for a
// maximal invalid subpart (Unicode 15 §3.9, "U+FFFD substitution of
// maximal subparts").
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp,
                          bool *bad) {
  unsigned char b0 = s[0];
  *bad = false;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t need;
  uint32_t v;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    v = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    v = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0; // no overlong forms
    if (b0 == 0xED) hi = 0x9F; // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    v = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90; // no overlong forms
    if (b0 == 0xF4) hi = 0x8F; // nothing above U+10FFFF
  } else {
    *cp = REPLACEMENT_CHAR; // C0, C1, F5..FF, a stray continuation
    *bad = true;
    return 1;
  }
  size_t i = 1;
  for (; i <= need; i++) {
    if (i >= n) break;
    unsigned char b = s[i];
    unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
    if (b < min || b > max) break;
    v = (v << 6) | (b & 0x3Fu);
  }
  if (i <= need) {
    *cp = REPLACEMENT_CHAR;
    *bad = true;
    return i; // the valid prefix and the lead byte: one replacement
  }
  *cp = v;
  return need + 1;
}

kp_status_t kp_string_utf8_to_utf16n(uint16_t *dst, uint32_t dst_max,
                                     uint32_t *actual, const char *src,
                                     uint32_t src_bytes) {
  if (src == NULL) return KP_STATUS_INVALID_PARAMETER_4;
  if (dst == NULL && actual == NULL) return KP_STATUS_INVALID_PARAMETER;
  const unsigned char *s = (const unsigned char *)src;
  size_t units_max = dst_max / 2;
  size_t written = 0; // UTF-16 units produced (or needed, when dst is NULL)
  bool replaced = false, full = false;
  size_t i = 0;
  while (i < src_bytes) {
    uint32_t cp;
    bool bad;
    i += utf8_decode(s + i, src_bytes - i, &cp, &bad);
    replaced |= bad;
    size_t units = cp >= 0x10000 ? 2 : 1;
    if (dst != NULL) {
      if (written + units > units_max) {
        full = true;
        break;
      }
      if (units == 2) {
        dst[written] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
        dst[written + 1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
      } else {
        dst[written] = (uint16_t)cp;
      }
    }
    written += units;
  }
  if (actual != NULL) *actual = (uint32_t)(written * 2);
  if (full) return KP_STATUS_BUFFER_TOO_SMALL;
  return replaced ? KP_STATUS_SOME_NOT_MAPPED : KP_STATUS_SUCCESS;
}

kp_status_t kp_string_utf16_to_utf8n(char *dst, uint32_t dst_max,
                                     uint32_t *actual, const uint16_t *src,
                                     uint32_t src_bytes) {
  if (src == NULL) return KP_STATUS_INVALID_PARAMETER_4;
  if (dst == NULL && actual == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (src_bytes % 2 != 0) return KP_STATUS_INVALID_PARAMETER_5;
  size_t count = src_bytes / 2;
  size_t written = 0;
  bool replaced = false, full = false;
  for (size_t i = 0; i < count; i++) {
    uint32_t cp = src[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < count && src[i + 1] >= 0xDC00 &&
        src[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (src[i + 1] - 0xDC00u);
      i++;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = REPLACEMENT_CHAR; // an unpaired surrogate
      replaced = true;
    }
    unsigned char enc[4];
    size_t len;
    if (cp < 0x80) {
      enc[0] = (unsigned char)cp;
      len = 1;
    } else if (cp < 0x800) {
      enc[0] = (unsigned char)(0xC0 | (cp >> 6));
      enc[1] = (unsigned char)(0x80 | (cp & 0x3F));
      len = 2;
    } else if (cp < 0x10000) {
      enc[0] = (unsigned char)(0xE0 | (cp >> 12));
      enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      enc[2] = (unsigned char)(0x80 | (cp & 0x3F));
      len = 3;
    } else {
      enc[0] = (unsigned char)(0xF0 | (cp >> 18));
      enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
      enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      enc[3] = (unsigned char)(0x80 | (cp & 0x3F));
      len = 4;
    }
    if (dst != NULL) {
      if (written + len > dst_max) {
        full = true;
        break;
      }
      memcpy(dst + written, enc, len);
    }
    written += len;
  }
  if (actual != NULL) *actual = (uint32_t)written;
  if (full) return KP_STATUS_BUFFER_TOO_SMALL;
  return replaced ? KP_STATUS_SOME_NOT_MAPPED : KP_STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------
 * Conversions into counted strings
 * ------------------------------------------------------------------------- */

uint32_t kp_string_unicode_to_ansi_size(const kp_ustring_t *src) {
  if (string_null(src)) return 0;
  return (uint32_t)(src->length / 2) + 1;
}

uint32_t kp_string_ansi_to_unicode_size(const kp_astring_t *src) {
  if (string_null(src)) return 0;
  return ((uint32_t)src->length + 1) * 2;
}

// Gets the destination buffer of a conversion whose result, NUL included,
// is @p size bytes: a new paged-pool block, or dst's own when it is big
// enough. Returns the status the routine reports on failure.
static kp_status_t target_buffer(kp_system_t *sys, kp_alloc_api_t api,
                                 bool allocate, const void *dst_buffer,
                                 uint16_t dst_max, size_t size, kp_site_t site,
                                 void **out) {
  *out = NULL;
  if (size > 0xFFFFu) return KP_STATUS_INVALID_PARAMETER_2;
  if (!allocate) {
    if (dst_max < size) return KP_STATUS_BUFFER_OVERFLOW;
    return string_unbacked(dst_buffer, size) ? KP_STATUS_ACCESS_VIOLATION
                                             : KP_STATUS_SUCCESS;
  }
  *out = string_alloc(sys, api, size, site);
  return *out != NULL ? KP_STATUS_SUCCESS : KP_STATUS_NO_MEMORY;
}

kp_status_t kp_string_ansi_to_unicode(kp_system_t *sys, kp_ustring_t *dst,
                                      const kp_astring_t *src, bool allocate,
                                      kp_site_t site) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  if (string_unbacked(src->buffer, src->length))
    return KP_STATUS_ACCESS_VIOLATION;
  size_t size = ((size_t)src->length + 1) * 2;
  void *fresh = NULL;
  kp_status_t st =
      target_buffer(sys, KP_API_RTL_ANSI_TO_UNICODE, allocate, dst->buffer,
                    dst->max_length, size, site, &fresh);
  if (!KP_SUCCESS(st)) return st;
  uint16_t *out = allocate ? fresh : dst->buffer;
  for (size_t i = 0; i < src->length; i++)
    out[i] = cp1252_to_unicode((unsigned char)src->buffer[i]);
  out[src->length] = 0;
  if (allocate) {
    dst->buffer = out;
    dst->max_length = (uint16_t)size;
  }
  dst->length = (uint16_t)(size - 2);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_string_unicode_to_ansi(kp_system_t *sys, kp_astring_t *dst,
                                      const kp_ustring_t *src, bool allocate,
                                      kp_site_t site) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  if (string_unbacked(src->buffer, src->length))
    return KP_STATUS_ACCESS_VIOLATION;
  size_t chars = src->length / 2;
  size_t size = chars + 1;
  void *fresh = NULL;
  kp_status_t st =
      target_buffer(sys, KP_API_RTL_UNICODE_TO_ANSI, allocate, dst->buffer,
                    dst->max_length, size, site, &fresh);
  if (!KP_SUCCESS(st)) return st;
  char *out = allocate ? fresh : dst->buffer;
  for (size_t i = 0; i < chars; i++) out[i] = unicode_to_cp1252(src->buffer[i]);
  out[chars] = '\0';
  if (allocate) {
    dst->buffer = out;
    dst->max_length = (uint16_t)size;
  }
  dst->length = (uint16_t)chars;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_string_utf8_to_unicode(kp_system_t *sys, kp_ustring_t *dst,
                                      const kp_astring_t *src, bool allocate,
                                      kp_site_t site) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  if (string_unbacked(src->buffer, src->length))
    return KP_STATUS_ACCESS_VIOLATION;
  uint32_t needed = 0;
  const char *bytes = src->buffer != NULL ? src->buffer : "";
  kp_status_t mapped =
      kp_string_utf8_to_utf16n(NULL, 0, &needed, bytes, src->length);
  size_t size = (size_t)needed + 2;
  void *fresh = NULL;
  kp_status_t st =
      target_buffer(sys, KP_API_RTL_UTF8_TO_UNICODE, allocate, dst->buffer,
                    dst->max_length, size, site, &fresh);
  if (!KP_SUCCESS(st)) return st;
  uint16_t *out = allocate ? fresh : dst->buffer;
  uint32_t written = 0;
  (void)kp_string_utf8_to_utf16n(out, needed, &written, bytes, src->length);
  out[needed / 2] = 0;
  if (allocate) {
    dst->buffer = out;
    dst->max_length = (uint16_t)size;
  }
  dst->length = (uint16_t)needed;
  return mapped;
}

kp_status_t kp_string_unicode_to_utf8(kp_system_t *sys, kp_astring_t *dst,
                                      const kp_ustring_t *src, bool allocate,
                                      kp_site_t site) {
  if (string_null(dst) || string_null(src)) return KP_STATUS_ACCESS_VIOLATION;
  if (string_unbacked(src->buffer, src->length))
    return KP_STATUS_ACCESS_VIOLATION;
  uint32_t needed = 0;
  static const uint16_t empty[1] = {0};
  const uint16_t *chars = src->buffer != NULL ? src->buffer : empty;
  uint32_t src_bytes = (uint32_t)(src->length & ~1u);
  kp_status_t mapped =
      kp_string_utf16_to_utf8n(NULL, 0, &needed, chars, src_bytes);
  size_t size = (size_t)needed + 1;
  void *fresh = NULL;
  kp_status_t st =
      target_buffer(sys, KP_API_RTL_UNICODE_TO_UTF8, allocate, dst->buffer,
                    dst->max_length, size, site, &fresh);
  if (!KP_SUCCESS(st)) return st;
  char *out = allocate ? fresh : dst->buffer;
  uint32_t written = 0;
  (void)kp_string_utf16_to_utf8n(out, needed, &written, chars, src_bytes);
  out[needed] = '\0';
  if (allocate) {
    dst->buffer = out;
    dst->max_length = (uint16_t)size;
  }
  dst->length = (uint16_t)needed;
  return mapped;
}

/* ---------------------------------------------------------------------------
 * Allocating copies and frees
 * ------------------------------------------------------------------------- */

kp_status_t kp_string_duplicate_unicode(kp_system_t *sys, uint32_t flags,
                                        const kp_ustring_t *in,
                                        kp_ustring_t *out, kp_site_t site) {
  bool terminate = (flags & KP_STRING_DUPLICATE_NULL_TERMINATE) != 0;
  if ((flags & ~3u) != 0 || flags == KP_STRING_DUPLICATE_ALLOCATE_NULL_STRING ||
      in == NULL || out == NULL || in->length > in->max_length ||
      (in->length == 0 && in->max_length > 0 && in->buffer == NULL) ||
      (in->length > 0 && in->buffer == NULL))
    return KP_STATUS_INVALID_PARAMETER;
  if (in->length == 0 && flags != 3u) {
    out->length = 0;
    out->max_length = 0;
    out->buffer = NULL;
    return KP_STATUS_SUCCESS;
  }
  size_t size = (size_t)in->length + (terminate ? 2 : 0);
  if (size > 0xFFFFu) return KP_STATUS_NAME_TOO_LONG;
  uint16_t *buf = string_alloc(sys, KP_API_RTL_DUPLICATE_UNICODE, size, site);
  if (buf == NULL) return KP_STATUS_NO_MEMORY;
  if (in->length > 0) memcpy(buf, in->buffer, in->length);
  if (terminate) memset((char *)buf + in->length, 0, 2);
  out->buffer = buf;
  out->length = in->length;
  out->max_length = (uint16_t)size;
  return KP_STATUS_SUCCESS;
}

bool kp_string_create_unicode(kp_system_t *sys, kp_ustring_t *dst,
                              const uint16_t *src, kp_site_t site) {
  if (string_null(dst)) return false;
  if (src == NULL) return false;
  size_t size = (wide_len(src) + 1) * 2;
  if (size > KP_USTRING_MAX_BYTES) return false;
  uint16_t *buf = string_alloc(sys, KP_API_RTL_CREATE_UNICODE, size, site);
  if (buf == NULL) return false;
  memcpy(buf, src, size);
  dst->buffer = buf;
  dst->length = (uint16_t)(size - 2);
  dst->max_length = (uint16_t)size;
  return true;
}

void kp_string_free_unicode(kp_system_t *sys, kp_ustring_t *s, kp_site_t site) {
  if (string_null(s)) return;
  // Without a system there is no pool to give the block back to: leave the
  // struct as it is rather than lose the pointer.
  if (sys == NULL) return;
  void *buf = s->buffer;
  // Zero first: if the free bug checks and the handler returns, the struct
  // no longer points at the block either way.
  s->buffer = NULL;
  s->length = 0;
  s->max_length = 0;
  if (buf != NULL) kp_free(sys, buf, KP_STRING_TAG, site);
}

void kp_string_free_ansi(kp_system_t *sys, kp_astring_t *s, kp_site_t site) {
  if (string_null(s)) return;
  // Without a system there is no pool to give the block back to: leave the
  // struct as it is rather than lose the pointer.
  if (sys == NULL) return;
  void *buf = s->buffer;
  s->buffer = NULL;
  s->length = 0;
  s->max_length = 0;
  if (buf != NULL) kp_free(sys, buf, KP_STRING_TAG, site);
}
