/*
 * strsafe.c — ntstrsafe's copy, concatenate, format and length routines
 * over 8-bit and UTF-16 buffers (kpool/strsafe.h). Written from
 * Microsoft's ntstrsafe documentation (facts §8.3); the rules every
 * routine shares are in the header.
 */
#include <string.h>

#include "kpool/strsafe.h"
#include "rtl/kp_format.h"

#define ST_OK ((kp_status_t)KP_STATUS_SUCCESS)
#define ST_OVERFLOW ((kp_status_t)KP_STATUS_BUFFER_OVERFLOW)
#define ST_INVALID ((kp_status_t)KP_STATUS_INVALID_PARAMETER)

/* ---------------------------------------------------------------------------
 * Units of 1 or 2 bytes.
 * ------------------------------------------------------------------------- */
static uint32_t unit_get(const void *p, unsigned unit, size_t i) {
  if (unit == 2) return ((const uint16_t *)p)[i];
  return ((const unsigned char *)p)[i];
}

static void unit_set(void *p, unsigned unit, size_t i, uint32_t v) {
  if (unit == 2)
    ((uint16_t *)p)[i] = (uint16_t)v;
  else
    ((unsigned char *)p)[i] = (unsigned char)v;
}

static void *unit_addr(void *p, unsigned unit, size_t i) {
  return (unsigned char *)p + i * unit;
}

/* ---------------------------------------------------------------------------
 * Argument checks.
 * ------------------------------------------------------------------------- */

/* A size in bytes (Cb) or characters (Cch) -> characters, against @p max. */
static bool size_to_units(size_t size, unsigned unit, bool cb, size_t max,
                          size_t *units) {
  if (cb) {
    if (size > max * unit) return false;
    *units = size / unit;
  } else {
    if (size > max) return false;
    *units = size;
  }
  return true;
}

/* The N forms' limit in units (SIZE_MAX: none). */
static bool limit_to_units(size_t max_copy, unsigned unit, bool cb, size_t max,
                           size_t *units) {
  if (max_copy == SIZE_MAX) {
    *units = SIZE_MAX;
    return true;
  }
  return size_to_units(max_copy, unit, cb, max, units);
}

/* ntstrsafe's UNICODE_STRING rules (RtlUnicodeStringValidate). */
static bool ustr_valid(const kp_counted16_t *s) {
  if ((s->length & 1u) != 0 || (s->maximum_length & 1u) != 0) return false;
  if (s->length > s->maximum_length) return false;
  if (s->maximum_length > KP_STRSAFE_USTR_MAX_CCH * 2u) return false;
  if (s->buffer == NULL && (s->length != 0 || s->maximum_length != 0))
    return false;
  return true;
}

/* A source made concrete: units at @p text, counted or NUL-terminated. */
typedef struct src_view {
  const void *text;
  size_t count;
  bool counted;
} src_view_t;

static bool src_resolve(kp_strsafe_src_t src, uint32_t flags, src_view_t *v) {
  static const uint16_t empty[1] = {0};
  bool ignore_nulls = (flags & KP_STRSAFE_IGNORE_NULLS) != 0;
  v->text = src.text;
  v->count = src.count;
  v->counted = src.kind != KP_STRSAFE_SRC_SZ;
  if (src.text == NULL) {
    // IGNORE_NULLS: a NULL source is the empty string.
    v->text = empty;
    v->count = 0;
    v->counted = true;
    return ignore_nulls;
  }
  if (src.kind == KP_STRSAFE_SRC_USTR) {
    const kp_counted16_t *us = (const kp_counted16_t *)src.text;
    if (!ustr_valid(us)) return false;
    v->text =
        us->buffer != NULL ? (const void *)us->buffer : (const void *)empty;
    v->count = us->length / 2u;
  }
  return true;
}

/* Units of the source, reading at most @p limit of them. */
static size_t src_length(const src_view_t *v, unsigned unit, size_t limit) {
  if (v->counted) return v->count < limit ? v->count : limit;
  size_t n = 0;
  while (n < limit && unit_get(v->text, unit, n) != 0) n++;
  return n;
}

static void copy_units(void *dest, size_t at, const src_view_t *v,
                       unsigned unit, size_t n) {
  if (n != 0) memcpy(unit_addr(dest, unit, at), v->text, n * unit);
}

/* ---------------------------------------------------------------------------
 * NUL-terminated destinations.
 * ------------------------------------------------------------------------- */

/* A checked destination. */
typedef struct dest_view {
  void *buf;
  size_t cch;  /* characters */
  size_t size; /* as given (bytes for Cb) */
  unsigned unit;
  bool cb;
} dest_view_t;

static kp_status_t dest_check(void *dest, size_t size, unsigned unit, bool cb,
                              uint32_t flags, dest_view_t *d) {
  if ((flags & ~KP_STRSAFE_VALID_FLAGS) != 0) return ST_INVALID;
  if (unit != 1 && unit != 2) return ST_INVALID;
  d->buf = dest;
  d->size = size;
  d->unit = unit;
  d->cb = cb;
  if (!size_to_units(size, unit, cb, KP_STRSAFE_MAX_CCH, &d->cch))
    return ST_INVALID;
  if ((flags & KP_STRSAFE_IGNORE_NULLS) != 0) {
    // NULL is allowed only with a zero size.
    if (dest == NULL && d->cch != 0) return ST_INVALID;
  } else {
    if (dest == NULL || d->cch == 0) return ST_INVALID;
  }
  return ST_OK;
}

/* The failure and fill flags, then the Ex outputs. @p len is the length of
 * the result, @p orig the string a Cat started from. */
static kp_status_t dest_finish(const dest_view_t *d, kp_status_t st, size_t len,
                               size_t orig, bool is_cat, uint32_t flags,
                               void **end, size_t *remaining) {
  unsigned char fill = (unsigned char)(flags & KP_STRSAFE_FILL_MASK);
  bool usable = d->buf != NULL && d->cch != 0;
  if (st == ST_OK) {
    if (usable && (flags & KP_STRSAFE_FILL_BEHIND_NULL) != 0 &&
        len + 1 < d->cch) {
      memset(unit_addr(d->buf, d->unit, len + 1), fill,
             (d->cch - len - 1) * d->unit);
    }
  } else if (usable) {
    if ((flags & KP_STRSAFE_FILL_ON_FAILURE) != 0) {
      memset(d->buf, fill, d->cch * d->unit);
      len = fill == 0 ? 0 : d->cch - 1;
      unit_set(d->buf, d->unit, len, 0);
    }
    if ((flags & KP_STRSAFE_NULL_ON_FAILURE) != 0) {
      len = 0;
      unit_set(d->buf, d->unit, 0, 0);
    } else if ((flags & KP_STRSAFE_NO_TRUNCATION) != 0) {
      // A Copy leaves "", a Cat the string it started with.
      len = is_cat ? orig : 0;
      unit_set(d->buf, d->unit, len, 0);
    }
  }
  if (st == ST_OK || st == ST_OVERFLOW) {
    if (end != NULL)
      *end = d->buf != NULL ? unit_addr(d->buf, d->unit, len) : NULL;
    if (remaining != NULL) {
      size_t rem = d->cch - len;
      *remaining = d->cb ? rem * d->unit + d->size % d->unit : rem;
    }
  }
  return st;
}

/* Puts the source after @p start units of the destination. */
static kp_status_t put_source(const dest_view_t *d, size_t start,
                              const src_view_t *v, size_t limit, size_t *len) {
  if (d->cch == 0) {
    // Only IGNORE_NULLS gets here: an empty source is fine.
    *len = 0;
    if (src_length(v, d->unit, limit < 1 ? limit : 1) == 0) return ST_OK;
    return d->buf == NULL ? ST_INVALID : ST_OVERFLOW;
  }
  size_t room = d->cch - start - 1;
  size_t want = limit < room + 1 ? limit : room + 1;
  size_t n = src_length(v, d->unit, want);
  kp_status_t st = ST_OK;
  if (n > room) {
    n = room;
    st = ST_OVERFLOW;
  }
  copy_units(d->buf, start, v, d->unit, n);
  unit_set(d->buf, d->unit, start + n, 0);
  *len = start + n;
  return st;
}

kp_status_t kp_strsafe_copy(void *dest, size_t size, unsigned unit, bool cb,
                            kp_strsafe_src_t src, size_t max_copy, void **end,
                            size_t *remaining, uint32_t flags) {
  dest_view_t d;
  kp_status_t st = dest_check(dest, size, unit, cb, flags, &d);
  if (st != ST_OK) return st;
  size_t limit;
  if (!limit_to_units(max_copy, unit, cb, KP_STRSAFE_MAX_CCH, &limit))
    return ST_INVALID;
  src_view_t v;
  if (!src_resolve(src, flags, &v)) return ST_INVALID;
  size_t len = 0;
  st = put_source(&d, 0, &v, limit, &len);
  return dest_finish(&d, st, len, 0, false, flags, end, remaining);
}

kp_status_t kp_strsafe_cat(void *dest, size_t size, unsigned unit, bool cb,
                           kp_strsafe_src_t src, size_t max_copy, void **end,
                           size_t *remaining, uint32_t flags) {
  dest_view_t d;
  kp_status_t st = dest_check(dest, size, unit, cb, flags, &d);
  if (st != ST_OK) return st;
  size_t limit;
  if (!limit_to_units(max_copy, unit, cb, KP_STRSAFE_MAX_CCH, &limit))
    return ST_INVALID;
  src_view_t v;
  if (!src_resolve(src, flags, &v)) return ST_INVALID;
  size_t orig = 0;
  if (d.cch != 0) {
    while (orig < d.cch && unit_get(dest, unit, orig) != 0) orig++;
    if (orig == d.cch) {
      // No terminator within the buffer: there is nothing to append to.
      return dest_finish(&d, ST_INVALID, 0, 0, true, flags, end, remaining);
    }
  }
  size_t len = orig;
  st = put_source(&d, orig, &v, limit, &len);
  return dest_finish(&d, st, len, orig, true, flags, end, remaining);
}

kp_status_t kp_strsafe_vprintf(void *dest, size_t size, unsigned unit, bool cb,
                               void **end, size_t *remaining, uint32_t flags,
                               const void *fmt, va_list ap) {
  static const uint16_t empty[1] = {0};
  dest_view_t d;
  kp_status_t st = dest_check(dest, size, unit, cb, flags, &d);
  if (st != ST_OK) return st;
  if (fmt == NULL) {
    if ((flags & KP_STRSAFE_IGNORE_NULLS) == 0) return ST_INVALID;
    fmt = empty;
  }
  va_list cp;
  va_copy(cp, ap);
  size_t n;
  // The WDK formats with the kernel's _vsnprintf, which supports floating
  // point on x64; so does kpool here (DbgPrint does not).
  if (unit == 2)
    n = kp_vformat16((uint16_t *)d.buf, d.cch, 0, (const uint16_t *)fmt, cp);
  else
    n = kp_vformat((char *)d.buf, d.cch, 0, (const char *)fmt, cp);
  va_end(cp);
  size_t len = n;
  if (d.cch == 0) {
    len = 0;
    if (n != 0) st = d.buf == NULL ? ST_INVALID : ST_OVERFLOW;
  } else if (n > d.cch - 1) {
    len = d.cch - 1;
    st = ST_OVERFLOW;
  }
  return dest_finish(&d, st, len, 0, false, flags, end, remaining);
}

kp_status_t kp_strsafe_length(const void *s, size_t max, unsigned unit, bool cb,
                              size_t *length) {
  size_t cch = 0;
  if (length != NULL) *length = 0;
  if (s == NULL || (unit != 1 && unit != 2)) return ST_INVALID;
  if (!size_to_units(max, unit, cb, KP_STRSAFE_MAX_CCH, &cch))
    return ST_INVALID;
  size_t n = 0;
  while (n < cch && unit_get(s, unit, n) != 0) n++;
  if (n == cch) return ST_INVALID;
  if (length != NULL) *length = cb ? n * unit : n;
  return ST_OK;
}

/* ---------------------------------------------------------------------------
 * UNICODE_STRING destinations: no terminator, Length in bytes.
 * ------------------------------------------------------------------------- */

kp_status_t kp_ustr_init(kp_counted16_t *dest, const uint16_t *src,
                         uint32_t flags) {
  if ((flags & ~KP_STRSAFE_IGNORE_NULLS) != 0) return ST_INVALID;
  if (dest == NULL) {
    // Only RtlUnicodeStringInitEx with IGNORE_NULLS accepts a NULL
    // destination, and then only with a NULL source (Microsoft's page).
    bool ok = (flags & KP_STRSAFE_IGNORE_NULLS) != 0 && src == NULL;
    return ok ? ST_OK : ST_INVALID;
  }
  dest->length = 0;
  dest->maximum_length = 0;
  dest->buffer = NULL;
  if (src == NULL) return ST_OK;
  size_t n = 0;
  // MaximumLength = Length + 2 must stay within the 32767-character limit.
  while (n < KP_STRSAFE_USTR_MAX_CCH && src[n] != 0) n++;
  if (n >= KP_STRSAFE_USTR_MAX_CCH) return ST_INVALID;
  dest->length = (uint16_t)(n * 2u);
  dest->maximum_length = (uint16_t)(n * 2u + 2u);
  dest->buffer = (uint16_t *)(uintptr_t)src;
  return ST_OK;
}

kp_status_t kp_ustr_validate(const kp_counted16_t *s, uint32_t flags) {
  if ((flags & ~KP_STRSAFE_IGNORE_NULLS) != 0) return ST_INVALID;
  if (s == NULL)
    return (flags & KP_STRSAFE_IGNORE_NULLS) != 0 ? ST_OK : ST_INVALID;
  return ustr_valid(s) ? ST_OK : ST_INVALID;
}

/* The UNICODE_STRING failure and fill flags, the new Length and the
 * remaining string. */
static kp_status_t ustr_finish(kp_counted16_t *dest, size_t cch, kp_status_t st,
                               size_t len, size_t orig, bool is_cat,
                               uint32_t flags, kp_counted16_t *remaining) {
  unsigned char fill = (unsigned char)(flags & KP_STRSAFE_FILL_MASK);
  bool usable = dest != NULL && cch != 0;
  if (st == ST_OK) {
    if (usable && (flags & KP_STRSAFE_FILL_BEHIND) != 0 && len < cch)
      memset(dest->buffer + len, fill, (cch - len) * 2u);
  } else if (usable) {
    if ((flags & KP_STRSAFE_FILL_ON_FAILURE) != 0) {
      // Without a terminator the filled buffer is the string, unless the
      // fill is zero.
      memset(dest->buffer, fill, cch * 2u);
      len = fill == 0 ? 0 : cch;
    }
    if ((flags & KP_STRSAFE_ZERO_LENGTH_ON_FAILURE) != 0) {
      len = 0;
    } else if ((flags & KP_STRSAFE_NO_TRUNCATION) != 0) {
      len = is_cat ? orig : 0;
    }
  }
  if (dest != NULL && (st == ST_OK || usable))
    dest->length = (uint16_t)(len * 2u);
  if ((st == ST_OK || st == ST_OVERFLOW) && remaining != NULL) {
    remaining->buffer =
        dest != NULL && dest->buffer != NULL ? dest->buffer + len : NULL;
    remaining->length = 0;
    remaining->maximum_length = (uint16_t)((cch - len) * 2u);
  }
  return st;
}

/* Checks of a UNICODE_STRING destination and the N limit. */
static kp_status_t ustr_check(kp_counted16_t *dest, bool cb, size_t max_copy,
                              uint32_t flags, size_t *cch, size_t *limit) {
  if ((flags & ~KP_STRSAFE_VALID_FLAGS) != 0) return ST_INVALID;
  *cch = 0;
  if (dest == NULL) {
    if ((flags & KP_STRSAFE_IGNORE_NULLS) == 0) return ST_INVALID;
  } else {
    if (!ustr_valid(dest)) return ST_INVALID;
    *cch = dest->maximum_length / 2u;
  }
  if (!limit_to_units(max_copy, 2, cb, KP_STRSAFE_USTR_MAX_CCH, limit))
    return ST_INVALID;
  return ST_OK;
}

static kp_status_t ustr_put(kp_counted16_t *dest, size_t cch, bool is_cat,
                            kp_strsafe_src_t src, bool cb, size_t max_copy,
                            kp_counted16_t *remaining, uint32_t flags) {
  (void)cb;
  size_t limit = 0;
  kp_status_t st = ustr_check(dest, cb, max_copy, flags, &cch, &limit);
  if (st != ST_OK) return st;
  src_view_t v;
  if (!src_resolve(src, flags, &v)) return ST_INVALID;
  size_t orig = is_cat && dest != NULL ? dest->length / 2u : 0;
  size_t room = cch - orig;
  size_t want = limit < room + 1 ? limit : room + 1;
  size_t n = src_length(&v, 2, want);
  if (n > room) {
    n = room;
    st = dest == NULL ? ST_INVALID : ST_OVERFLOW;
  }
  if (n != 0) memcpy(dest->buffer + orig, v.text, n * 2u);
  return ustr_finish(dest, cch, st, orig + n, orig, is_cat, flags, remaining);
}

kp_status_t kp_ustr_copy(kp_counted16_t *dest, kp_strsafe_src_t src, bool cb,
                         size_t max_copy, kp_counted16_t *remaining,
                         uint32_t flags) {
  return ustr_put(dest, 0, false, src, cb, max_copy, remaining, flags);
}

kp_status_t kp_ustr_cat(kp_counted16_t *dest, kp_strsafe_src_t src, bool cb,
                        size_t max_copy, kp_counted16_t *remaining,
                        uint32_t flags) {
  return ustr_put(dest, 0, true, src, cb, max_copy, remaining, flags);
}

kp_status_t kp_ustr_vprintf(kp_counted16_t *dest, kp_counted16_t *remaining,
                            uint32_t flags, const uint16_t *fmt, va_list ap) {
  static const uint16_t empty[1] = {0};
  size_t cch = 0;
  size_t limit = 0;
  kp_status_t st = ustr_check(dest, false, SIZE_MAX, flags, &cch, &limit);
  if (st != ST_OK) return st;
  if (fmt == NULL) {
    if ((flags & KP_STRSAFE_IGNORE_NULLS) == 0) return ST_INVALID;
    fmt = empty;
  }
  va_list cp;
  va_copy(cp, ap);
  size_t n =
      kpi_vformat16_raw(dest != NULL ? dest->buffer : NULL, cch, fmt, cp);
  va_end(cp);
  if (n > cch) {
    n = cch;
    st = dest == NULL ? ST_INVALID : ST_OVERFLOW;
  }
  return ustr_finish(dest, cch, st, n, 0, false, flags, remaining);
}
