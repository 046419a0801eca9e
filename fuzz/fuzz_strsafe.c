/*
 * fuzz_strsafe.c — ntstrsafe.h's copy, concatenate, format and length
 * routines (A and W, Cb and Cch, N and Ex forms, every flag), the
 * UNICODE_STRING copy/cat/printf forms and ntintsafe's arithmetic, each checked
 * against a model written here from the documented rules. The model never
 * calls kpool: its expected buffer, status and Ex outputs are computed
 * from scratch (the printf model uses the host's snprintf, the integer
 * model 128-bit arithmetic).
 *
 * Input: a script of operations, each a selector byte and its parameters
 * (fuzz_helpers.h producer); every destination lives in a guarded array
 * whose bytes after the call are compared in full.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_helpers.h"

#include <ntintsafe.h>
#include <ntstrsafe.h>

#define CAP 48             /* destination capacity in units */
#define SLACK 16           /* guard units after it */
#define MAXC 2147483647ull /* NTSTRSAFE_MAX_CCH, restated for the model */
#define NONE ((size_t)-1)

#define M_OK 0x00000000
#define M_OVERFLOW ((NTSTATUS)0x80000005u)
#define M_INVALID ((NTSTATUS)0xC000000Du)

/* ---------------------------------------------------------------------------
 * Unit arrays of 1 or 2 bytes, kept as uint16_t values in the model.
 * ------------------------------------------------------------------------- */
typedef struct units {
  uint16_t v[CAP + SLACK];
  size_t n; /* meaningful for sources */
} units_t;

static void store(void *raw, unsigned unit, const uint16_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (unit == 2)
      ((uint16_t *)raw)[i] = v[i];
    else
      ((uint8_t *)raw)[i] = (uint8_t)v[i];
  }
}

static void load(const void *raw, unsigned unit, uint16_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    v[i] = unit == 2 ? ((const uint16_t *)raw)[i] : ((const uint8_t *)raw)[i];
}

/* A source string: up to 24 units, terminated in storage (at n). */
static void read_source(fuzz_data_t *d, unsigned unit, units_t *s) {
  s->n = (size_t)fuzz_range(d, 0, 24);
  for (size_t i = 0; i < s->n; i++) {
    // Mostly printable, sometimes 0 (an embedded terminator).
    uint8_t b = fuzz_u8(d);
    s->v[i] =
        b < 8 ? 0
              : (uint16_t)(unit == 2 && b > 0xF0 ? 0x100 + b : 'a' + b % 26);
  }
  s->v[s->n] = 0;
}

/* Sizes: mostly small, sometimes the limits (only invalid huge sizes are
 * used, so that nothing can write beyond the real buffer). */
static size_t read_size(fuzz_data_t *d, unsigned unit, bool cb) {
  uint8_t k = fuzz_u8(d);
  size_t max_units_bytes = cb ? (size_t)MAXC * unit : (size_t)MAXC;
  if (k == 0xFF) return max_units_bytes + 1;
  if (k == 0xFE) return SIZE_MAX;
  size_t cap = cb ? (size_t)CAP * unit : CAP;
  return (size_t)(k % (cap + 1));
}

/* ---------------------------------------------------------------------------
 * Model of the NUL-terminated family.
 * ------------------------------------------------------------------------- */
typedef struct expect {
  NTSTATUS st;
  uint16_t buf[CAP + SLACK];
  bool outs;  /* end / remaining set */
  size_t end; /* index of the end, or NONE for a NULL buffer */
  size_t remaining;
} expect_t;

static void model_put(expect_t *e, size_t at, uint16_t v) { e->buf[at] = v; }

/* @p src is NULL for a NULL pointer; @p nlimit NONE for no N limit.
 * is_cat: append. */
static void model_string_op(expect_t *e, const uint16_t *initial,
                            bool dest_null, size_t size, unsigned unit, bool cb,
                            const units_t *src, size_t nlimit, uint32_t flags,
                            bool is_cat) {
  memcpy(e->buf, initial, sizeof e->buf);
  e->outs = false;
  e->end = NONE;
  e->remaining = 0;
  size_t limit_cch = (size_t)MAXC;
  if ((flags & ~0x1FFFu) != 0) {
    e->st = M_INVALID;
    return;
  }
  if (cb ? size > limit_cch * unit : size > limit_cch) {
    e->st = M_INVALID;
    return;
  }
  size_t cch = cb ? size / unit : size;
  bool ignore = (flags & 0x100u) != 0;
  if (dest_null ? (!ignore || cch != 0) : (cch == 0 && !ignore)) {
    e->st = M_INVALID;
    return;
  }
  size_t nl = NONE;
  if (nlimit != NONE) {
    if (cb ? nlimit > limit_cch * unit : nlimit > limit_cch) {
      e->st = M_INVALID;
      return;
    }
    nl = cb ? nlimit / unit : nlimit;
  }
  if (src == NULL && !ignore) {
    e->st = M_INVALID;
    return;
  }
  size_t srclen = 0;
  if (src != NULL) {
    while (srclen < src->n && src->v[srclen] != 0) srclen++;
  }
  size_t take = nl != NONE && nl < srclen ? nl : srclen;
  size_t orig = 0;
  size_t len = 0;
  NTSTATUS st = M_OK;
  bool unterminated = false;
  if (is_cat && cch != 0) {
    while (orig < cch && e->buf[orig] != 0) orig++;
    if (orig == cch) unterminated = true;
  }
  if (unterminated) {
    st = M_INVALID;
    orig = 0;
  } else if (cch == 0) {
    if (take != 0) st = dest_null ? M_INVALID : M_OVERFLOW;
  } else {
    size_t room = cch - 1 - orig;
    size_t n = take;
    if (n > room) {
      n = room;
      st = M_OVERFLOW;
    }
    for (size_t i = 0; i < n; i++) model_put(e, orig + i, src->v[i]);
    model_put(e, orig + n, 0);
    len = orig + n;
  }
  uint16_t fill = (uint16_t)(flags & 0xFF);
  uint16_t fill_unit = unit == 2 ? (uint16_t)(fill | fill << 8) : fill;
  if (st == M_OK) {
    if ((flags & 0x200u) != 0 && !dest_null && cch != 0) {
      for (size_t i = len + 1; i < cch; i++) model_put(e, i, fill_unit);
    }
  } else if (!dest_null && cch != 0) {
    if ((flags & 0x400u) != 0) {
      for (size_t i = 0; i < cch; i++) model_put(e, i, fill_unit);
      len = fill == 0 ? 0 : cch - 1;
      model_put(e, len, 0);
    }
    if ((flags & 0x800u) != 0) {
      len = 0;
      model_put(e, 0, 0);
    } else if ((flags & 0x1000u) != 0) {
      len = is_cat ? orig : 0;
      model_put(e, len, 0);
    }
  }
  e->st = st;
  if (st == M_OK || st == M_OVERFLOW) {
    e->outs = true;
    e->end = dest_null ? NONE : len;
    e->remaining = cb ? (cch - len) * unit + size % unit : cch - len;
  }
}

/* One call of the NUL-terminated family through the WDK names. */
static void run_string_op(fuzz_data_t *d, uint8_t op) {
  unsigned unit = fuzz_bool(d) ? 2u : 1u;
  bool cb = fuzz_bool(d);
  bool is_cat = (op & 1u) != 0;
  bool use_n = fuzz_bool(d);
  bool ex = fuzz_bool(d);
  bool dest_null = fuzz_u8(d) < 8;
  bool src_null = fuzz_u8(d) < 8;
  uint32_t flags = 0;
  if (ex) {
    flags = fuzz_u8(d) | ((uint32_t)(fuzz_u8(d) & 0x1F) << 8);
    if (fuzz_u8(d) < 4) flags |= 0x2000u;
  }
  size_t size = read_size(d, unit, cb);
  if (dest_null && fuzz_bool(d)) size = 0;
  size_t nlimit = NONE;
  if (use_n) {
    uint8_t k = fuzz_u8(d);
    nlimit =
        k == 0xFF ? (cb ? (size_t)MAXC * unit + 1 : (size_t)MAXC + 1) : k % 32u;
  }
  units_t src;
  read_source(d, unit, &src);
  uint16_t initial[CAP + SLACK];
  // The destination: an existing string (for Cat) then garbage, then guard.
  size_t pre = (size_t)fuzz_range(d, 0, CAP);
  for (size_t i = 0; i < CAP + SLACK; i++)
    initial[i] = (uint16_t)(unit == 2 ? 0x7E7E : 0x7E);
  for (size_t i = 0; i < pre && i < CAP; i++)
    initial[i] = (uint16_t)('A' + i % 26);
  if (pre < CAP && fuzz_u8(d) > 16) initial[pre] = 0;

  uint8_t raw_dest[(CAP + SLACK) * 2];
  uint8_t raw_src[(CAP + SLACK) * 2];
  store(raw_dest, unit, initial, CAP + SLACK);
  store(raw_src, unit, src.v, src.n + 1);
  void *dest = dest_null ? NULL : raw_dest;
  const void *s = src_null ? NULL : raw_src;
  void *end = (void *)raw_src; // sentinels: untouched outputs keep them
  size_t rem = 0xA5A5;
  NTSTATUS st;
  // Dispatch to the 32 WDK names (Cb/Cch x A/W x Copy/Cat x plain/N, each
  // plain or Ex); the non-Ex forms take flags 0.
  if (!ex) flags = 0;
  if (!is_cat && !use_n && !ex) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCopyA((char *)dest, size, (const char *)s);
      else
        st = RtlStringCbCopyW((WCHAR *)dest, size, (const WCHAR *)s);
    } else {
      if (unit == 1)
        st = RtlStringCchCopyA((char *)dest, size, (const char *)s);
      else
        st = RtlStringCchCopyW((WCHAR *)dest, size, (const WCHAR *)s);
    }
  } else if (!is_cat && !use_n) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCopyExA((char *)dest, size, (const char *)s,
                                (char **)&end, &rem, flags);
      else
        st = RtlStringCbCopyExW((WCHAR *)dest, size, (const WCHAR *)s,
                                (WCHAR **)&end, &rem, flags);
    } else {
      if (unit == 1)
        st = RtlStringCchCopyExA((char *)dest, size, (const char *)s,
                                 (char **)&end, &rem, flags);
      else
        st = RtlStringCchCopyExW((WCHAR *)dest, size, (const WCHAR *)s,
                                 (WCHAR **)&end, &rem, flags);
    }
  } else if (!is_cat && !ex) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCopyNA((char *)dest, size, (const char *)s, nlimit);
      else
        st = RtlStringCbCopyNW((WCHAR *)dest, size, (const WCHAR *)s, nlimit);
    } else {
      if (unit == 1)
        st = RtlStringCchCopyNA((char *)dest, size, (const char *)s, nlimit);
      else
        st = RtlStringCchCopyNW((WCHAR *)dest, size, (const WCHAR *)s, nlimit);
    }
  } else if (!is_cat) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCopyNExA((char *)dest, size, (const char *)s, nlimit,
                                 (char **)&end, &rem, flags);
      else
        st = RtlStringCbCopyNExW((WCHAR *)dest, size, (const WCHAR *)s, nlimit,
                                 (WCHAR **)&end, &rem, flags);
    } else {
      if (unit == 1)
        st = RtlStringCchCopyNExA((char *)dest, size, (const char *)s, nlimit,
                                  (char **)&end, &rem, flags);
      else
        st = RtlStringCchCopyNExW((WCHAR *)dest, size, (const WCHAR *)s, nlimit,
                                  (WCHAR **)&end, &rem, flags);
    }
  } else if (!use_n && !ex) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCatA((char *)dest, size, (const char *)s);
      else
        st = RtlStringCbCatW((WCHAR *)dest, size, (const WCHAR *)s);
    } else {
      if (unit == 1)
        st = RtlStringCchCatA((char *)dest, size, (const char *)s);
      else
        st = RtlStringCchCatW((WCHAR *)dest, size, (const WCHAR *)s);
    }
  } else if (!use_n) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCatExA((char *)dest, size, (const char *)s,
                               (char **)&end, &rem, flags);
      else
        st = RtlStringCbCatExW((WCHAR *)dest, size, (const WCHAR *)s,
                               (WCHAR **)&end, &rem, flags);
    } else {
      if (unit == 1)
        st = RtlStringCchCatExA((char *)dest, size, (const char *)s,
                                (char **)&end, &rem, flags);
      else
        st = RtlStringCchCatExW((WCHAR *)dest, size, (const WCHAR *)s,
                                (WCHAR **)&end, &rem, flags);
    }
  } else if (!ex) {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCatNA((char *)dest, size, (const char *)s, nlimit);
      else
        st = RtlStringCbCatNW((WCHAR *)dest, size, (const WCHAR *)s, nlimit);
    } else {
      if (unit == 1)
        st = RtlStringCchCatNA((char *)dest, size, (const char *)s, nlimit);
      else
        st = RtlStringCchCatNW((WCHAR *)dest, size, (const WCHAR *)s, nlimit);
    }
  } else {
    if (cb) {
      if (unit == 1)
        st = RtlStringCbCatNExA((char *)dest, size, (const char *)s, nlimit,
                                (char **)&end, &rem, flags);
      else
        st = RtlStringCbCatNExW((WCHAR *)dest, size, (const WCHAR *)s, nlimit,
                                (WCHAR **)&end, &rem, flags);
    } else {
      if (unit == 1)
        st = RtlStringCchCatNExA((char *)dest, size, (const char *)s, nlimit,
                                 (char **)&end, &rem, flags);
      else
        st = RtlStringCchCatNExW((WCHAR *)dest, size, (const WCHAR *)s, nlimit,
                                 (WCHAR **)&end, &rem, flags);
    }
  }
  expect_t e;
  model_string_op(&e, initial, dest_null, size, unit, cb,
                  src_null ? NULL : &src, use_n ? nlimit : NONE, flags, is_cat);
  FUZZ_ASSERT(st == e.st);
  uint16_t got[CAP + SLACK];
  load(raw_dest, unit, got, CAP + SLACK);
  FUZZ_ASSERT(memcmp(got, e.buf, sizeof got) == 0);
  if (ex) {
    if (e.outs) {
      void *want_end = e.end == NONE ? NULL : raw_dest + e.end * unit;
      FUZZ_ASSERT(end == want_end);
      FUZZ_ASSERT(rem == e.remaining);
    } else {
      FUZZ_ASSERT(end == (void *)raw_src);
      FUZZ_ASSERT(rem == 0xA5A5);
    }
  }
}

/* Printf: "%s|%d" (W: "%S|%d") checked against the host's snprintf, with
 * the truncation rules of the copy model. */
static void run_printf(fuzz_data_t *d) {
  unsigned unit = fuzz_bool(d) ? 2u : 1u;
  bool cb = fuzz_bool(d);
  uint32_t flags = fuzz_u8(d) | ((uint32_t)(fuzz_u8(d) & 0x1F) << 8);
  size_t size = read_size(d, unit, cb);
  char text[25];
  size_t tn = (size_t)fuzz_range(d, 0, 24);
  for (size_t i = 0; i < tn; i++) text[i] = (char)('!' + fuzz_u8(d) % 90);
  text[tn] = '\0';
  int value = (int)fuzz_u32(d);
  char whole[64];
  int wn = snprintf(whole, sizeof whole, "%s|%d", text, value);
  units_t src;
  src.n = (size_t)wn;
  for (size_t i = 0; i < src.n; i++) src.v[i] = (unsigned char)whole[i];
  src.v[src.n] = 0;
  uint16_t initial[CAP + SLACK];
  for (size_t i = 0; i < CAP + SLACK; i++)
    initial[i] = (uint16_t)(unit == 2 ? 0x7E7E : 0x7E);
  uint8_t raw[(CAP + SLACK) * 2];
  store(raw, unit, initial, CAP + SLACK);
  void *end = NULL;
  size_t rem = 0xA5A5;
  NTSTATUS st;
  static const WCHAR wfmt[] = {'%', 'S', '|', '%', 'd', 0};
  if (unit == 1) {
    st = cb ? RtlStringCbPrintfExA((char *)raw, size, (char **)&end, &rem,
                                   flags, "%s|%d", text, value)
            : RtlStringCchPrintfExA((char *)raw, size, (char **)&end, &rem,
                                    flags, "%s|%d", text, value);
  } else {
    st = cb ? RtlStringCbPrintfExW((WCHAR *)raw, size, (WCHAR **)&end, &rem,
                                   flags, wfmt, text, value)
            : RtlStringCchPrintfExW((WCHAR *)raw, size, (WCHAR **)&end, &rem,
                                    flags, wfmt, text, value);
  }
  expect_t e;
  model_string_op(&e, initial, false, size, unit, cb, &src, NONE, flags, false);
  FUZZ_ASSERT(st == e.st);
  uint16_t got[CAP + SLACK];
  load(raw, unit, got, CAP + SLACK);
  FUZZ_ASSERT(memcmp(got, e.buf, sizeof got) == 0);
  if (e.outs) FUZZ_ASSERT(rem == e.remaining);
}

/* Length. */
static void run_length(fuzz_data_t *d) {
  unsigned unit = fuzz_bool(d) ? 2u : 1u;
  bool cb = fuzz_bool(d);
  units_t s;
  read_source(d, unit, &s);
  uint8_t raw[(CAP + SLACK) * 2];
  store(raw, unit, s.v, s.n + 1);
  size_t max = (size_t)fuzz_range(d, 0, cb ? (s.n + 1) * unit + 2 : s.n + 2);
  if (fuzz_u8(d) == 0xFF) max = cb ? (size_t)MAXC * unit + 1 : (size_t)MAXC + 1;
  size_t got = 77;
  NTSTATUS st;
  if (unit == 1)
    st = cb ? RtlStringCbLengthA((const char *)raw, max, &got)
            : RtlStringCchLengthA((const char *)raw, max, &got);
  else
    st = cb ? RtlStringCbLengthW((const WCHAR *)raw, max, &got)
            : RtlStringCchLengthW((const WCHAR *)raw, max, &got);
  size_t n = 0;
  while (s.v[n] != 0) n++;
  bool size_ok = cb ? max <= MAXC * unit : max <= MAXC;
  size_t cmax = cb ? max / unit : max;
  if (size_ok && n < cmax) {
    FUZZ_ASSERT(st == M_OK);
    FUZZ_ASSERT(got == (cb ? n * unit : n));
  } else {
    FUZZ_ASSERT(st == M_INVALID);
    FUZZ_ASSERT(got == 0);
  }
}

/* ---------------------------------------------------------------------------
 * UNICODE_STRING copy / cat.
 * ------------------------------------------------------------------------- */
static bool model_ustr_valid(USHORT len, USHORT max, bool null_buf) {
  if ((len & 1) || (max & 1) || len > max || max > 65534) return false;
  if (null_buf && (len != 0 || max != 0)) return false;
  return true;
}

static void run_ustr(fuzz_data_t *d) {
  bool is_cat = fuzz_bool(d);
  bool cb = fuzz_bool(d);
  bool use_n = fuzz_bool(d);
  uint8_t kind = fuzz_u8(d) % 3; // 0 UNICODE_STRING, 1 PCWSTR, 2 printf
  bool src_is_ustr = kind == 0;
  bool is_printf = kind == 2;
  if (is_printf) {
    // RtlUnicodeStringPrintfEx: a copy of the formatted text.
    is_cat = false;
    use_n = false;
  }
  uint32_t flags = fuzz_u8(d) | ((uint32_t)(fuzz_u8(d) & 0x1F) << 8);
  if (fuzz_u8(d) < 4) flags |= 0x4000u;
  WCHAR dbuf[CAP + SLACK];
  for (size_t i = 0; i < CAP + SLACK; i++) dbuf[i] = 0x7E7E;
  UNICODE_STRING dest;
  dest.MaximumLength = (USHORT)fuzz_range(d, 0, CAP * 2 + 1);
  dest.Length = (USHORT)fuzz_range(d, 0, (uint64_t)dest.MaximumLength + 2);
  bool dest_nullbuf = fuzz_u8(d) < 8;
  dest.Buffer = dest_nullbuf ? NULL : dbuf;
  bool dest_null = fuzz_u8(d) < 6;
  units_t src;
  read_source(d, 2, &src);
  WCHAR sbuf[CAP + SLACK];
  store(sbuf, 2, src.v, src.n + 1);
  UNICODE_STRING us;
  us.Buffer = sbuf;
  us.Length = (USHORT)fuzz_range(d, 0, src.n * 2 + 1);
  us.MaximumLength = (USHORT)((src.n + 1) * 2);
  bool src_null = fuzz_u8(d) < 6 && !is_printf;
  // The printf text: the source's units as 8-bit text ("%S" of a narrow
  // string), ASCII only so that the model needs no UTF-8 decoding.
  char ptext[CAP + SLACK];
  size_t plen = 0;
  while (is_printf && plen < src.n && src.v[plen] != 0) {
    ptext[plen] = (char)('a' + src.v[plen] % 26);
    src.v[plen] = (uint16_t)(unsigned char)ptext[plen];
    plen++;
  }
  ptext[plen] = '\0';
  size_t nlimit = NONE;
  if (use_n) {
    uint8_t k = fuzz_u8(d);
    nlimit = k == 0xFF ? (cb ? 32767u * 2 + 1 : 32768u) : k % 32u;
  }
  UNICODE_STRING rest;
  memset(&rest, 0xA5, sizeof rest);
  const UNICODE_STRING before_rest = rest;
  UNICODE_STRING *dp = dest_null ? NULL : &dest;
  const USHORT len_before = dest.Length;
  NTSTATUS st;
  static const WCHAR pfmt[] = {'%', 'S', 0};
  if (is_printf) {
    st = RtlUnicodeStringPrintfEx(dp, &rest, flags, pfmt, ptext);
  } else if (src_is_ustr) {
    const UNICODE_STRING *sp = src_null ? NULL : &us;
    if (is_cat)
      st = use_n
               ? (cb ? RtlUnicodeStringCbCatNEx(dp, sp, nlimit, &rest, flags)
                     : RtlUnicodeStringCchCatNEx(dp, sp, nlimit, &rest, flags))
               : RtlUnicodeStringCatEx(dp, sp, &rest, flags);
    else
      st = use_n
               ? (cb ? RtlUnicodeStringCbCopyNEx(dp, sp, nlimit, &rest, flags)
                     : RtlUnicodeStringCchCopyNEx(dp, sp, nlimit, &rest, flags))
               : RtlUnicodeStringCopyEx(dp, sp, &rest, flags);
  } else {
    const WCHAR *sp = src_null ? NULL : sbuf;
    if (is_cat)
      st = use_n ? (cb ? RtlUnicodeStringCbCatStringNEx(dp, sp, nlimit, &rest,
                                                        flags)
                       : RtlUnicodeStringCchCatStringNEx(dp, sp, nlimit, &rest,
                                                         flags))
                 : RtlUnicodeStringCatStringEx(dp, sp, &rest, flags);
    else
      st = use_n ? (cb ? RtlUnicodeStringCbCopyStringNEx(dp, sp, nlimit, &rest,
                                                         flags)
                       : RtlUnicodeStringCchCopyStringNEx(dp, sp, nlimit, &rest,
                                                          flags))
                 : RtlUnicodeStringCopyStringEx(dp, sp, &rest, flags);
  }
  // The model.
  uint16_t want[CAP + SLACK];
  for (size_t i = 0; i < CAP + SLACK; i++) want[i] = 0x7E7E;
  NTSTATUS mst = M_OK;
  bool ignore = (flags & 0x100u) != 0;
  size_t cch = 0;
  bool args_ok = (flags & ~0x1FFFu) == 0;
  if (args_ok) {
    if (dest_null)
      args_ok = ignore;
    else
      args_ok = model_ustr_valid(len_before, dest.MaximumLength, dest_nullbuf);
  }
  size_t nl = NONE;
  if (args_ok && nlimit != NONE) {
    args_ok = cb ? nlimit <= 32767u * 2 : nlimit <= 32767u;
    nl = cb ? nlimit / 2 : nlimit;
  }
  size_t srclen = 0;
  if (args_ok) {
    if (src_null) {
      args_ok = ignore;
    } else if (is_printf) {
      srclen = plen;
    } else if (src_is_ustr) {
      args_ok = model_ustr_valid(us.Length, us.MaximumLength, false);
      srclen = us.Length / 2u;
    } else {
      while (src.v[srclen] != 0) srclen++;
    }
  }
  if (!args_ok) {
    FUZZ_ASSERT(st == M_INVALID);
    if (!dest_null) FUZZ_ASSERT(dest.Length == len_before);
    FUZZ_ASSERT(memcmp(&rest, &before_rest, sizeof rest) == 0);
    FUZZ_ASSERT(memcmp(dbuf, want, sizeof want) == 0);
    return;
  }
  if (!dest_null) cch = dest.MaximumLength / 2u;
  size_t orig = is_cat && !dest_null ? len_before / 2u : 0;
  size_t take = nl != NONE && nl < srclen ? nl : srclen;
  size_t room = cch - orig;
  size_t n = take;
  if (n > room) {
    n = room;
    mst = dest_null ? M_INVALID : M_OVERFLOW;
  }
  for (size_t i = 0; i < n; i++) want[orig + i] = src.v[i];
  size_t len = orig + n;
  uint16_t fill = (uint16_t)(flags & 0xFF);
  uint16_t fill_unit = (uint16_t)(fill | fill << 8);
  bool usable = !dest_null && cch != 0;
  if (mst == M_OK) {
    if (usable && (flags & 0x200u) != 0)
      for (size_t i = len; i < cch; i++) want[i] = fill_unit;
  } else if (usable) {
    if ((flags & 0x400u) != 0) {
      for (size_t i = 0; i < cch; i++) want[i] = fill_unit;
      len = fill == 0 ? 0 : cch;
    }
    if ((flags & 0x800u) != 0)
      len = 0;
    else if ((flags & 0x1000u) != 0)
      len = is_cat ? orig : 0;
  }
  FUZZ_ASSERT(st == mst);
  FUZZ_ASSERT(memcmp(dbuf, want, sizeof want) == 0);
  if (!dest_null && (mst == M_OK || usable))
    FUZZ_ASSERT(dest.Length == len * 2);
  if (mst == M_OK || mst == M_OVERFLOW) {
    FUZZ_ASSERT(rest.Length == 0);
    FUZZ_ASSERT(rest.MaximumLength == (cch - len) * 2);
    FUZZ_ASSERT(rest.Buffer == (dest_null || dest_nullbuf ? NULL : dbuf + len));
  }
}

/* ---------------------------------------------------------------------------
 * ntintsafe: the core against 128-bit arithmetic, and the WDK error values.
 * ------------------------------------------------------------------------- */
/* 128-bit integers (a gcc/clang extension; fuzz code only). */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

typedef struct int_type {
  bool is_signed;
  i128 min, max;
} int_type_t;

static const int_type_t kTypes[] = {
    {false, 0, 0xFF},
    {false, 0, 0xFFFF},
    {false, 0, 0xFFFFFFFFu},
    {false, 0, (i128)UINT64_MAX},
    {true, -128, 127},
    {true, -32768, 32767},
    {true, INT32_MIN, INT32_MAX},
    {true, INT64_MIN, INT64_MAX},
};

static void run_int(fuzz_data_t *d) {
  const int_type_t *t =
      &kTypes[fuzz_range(d, 0, sizeof kTypes / sizeof kTypes[0] - 1)];
  uint8_t op = fuzz_u8(d) % 4;
  uint64_t ra = fuzz_u64(d);
  uint64_t rb = fuzz_u64(d);
  // Operands inside the type (the WDK's typed parameters guarantee it).
  u128 span = (u128)(t->max - t->min) + 1;
  i128 a = t->min + (i128)((u128)ra % span);
  i128 b = t->min + (i128)((u128)rb % span);
  NTSTATUS st;
  if (t->is_signed) {
    // |a * b| < 2^126: exact in i128.
    i128 exact = op == 0 ? a + b : op == 1 ? a - b : a * b;
    int64_t r = 0;
    if (op == 0)
      st = kp_int_sadd((int64_t)a, (int64_t)b, (int64_t)t->min, (int64_t)t->max,
                       &r);
    else if (op == 1)
      st = kp_int_ssub((int64_t)a, (int64_t)b, (int64_t)t->min, (int64_t)t->max,
                       &r);
    else if (op == 2)
      st = kp_int_smul((int64_t)a, (int64_t)b, (int64_t)t->min, (int64_t)t->max,
                       &r);
    else {
      // Conversion of a wider signed value into this type.
      exact = (i128)(int64_t)ra;
      st = kp_int_stos((int64_t)ra, (int64_t)t->min, (int64_t)t->max, &r);
    }
    bool fits = exact >= t->min && exact <= t->max;
    FUZZ_ASSERT(st == (fits ? M_OK : (NTSTATUS)0xC0000095u));
    FUZZ_ASSERT(r == (fits ? (int64_t)exact : -1));
  } else {
    u128 ua = (u128)a;
    u128 ub = (u128)b;
    u128 umax = (u128)t->max;
    bool fits;
    u128 exact = 0;
    uint64_t r = 0;
    if (op == 0) {
      exact = ua + ub;
      fits = exact <= umax;
      st = kp_int_uadd((uint64_t)ua, (uint64_t)ub, (uint64_t)umax, &r);
    } else if (op == 1) {
      fits = ub <= ua;
      exact = fits ? ua - ub : 0;
      st = kp_int_usub((uint64_t)ua, (uint64_t)ub, &r);
    } else if (op == 2) {
      exact = ua * ub; // < 2^128: exact in u128
      fits = exact <= umax;
      st = kp_int_umul((uint64_t)ua, (uint64_t)ub, (uint64_t)umax, &r);
    } else {
      // Conversion of a signed 64-bit value into this unsigned type.
      int64_t v = (int64_t)ra;
      fits = v >= 0 && (u128)v <= umax;
      exact = fits ? (u128)v : 0;
      st = kp_int_stou(v, (uint64_t)umax, &r);
    }
    FUZZ_ASSERT(st == (fits ? M_OK : (NTSTATUS)0xC0000095u));
    FUZZ_ASSERT(r == (fits ? (uint64_t)exact : UINT64_MAX));
  }
  // A few WDK names: the result is the error value on failure.
  ULONG ul = 0;
  st = RtlULongAdd((ULONG)ra, (ULONG)rb, &ul);
  bool ok = (uint64_t)(ULONG)ra + (ULONG)rb <= 0xFFFFFFFFu;
  FUZZ_ASSERT(st == (ok ? M_OK : (NTSTATUS)0xC0000095u));
  FUZZ_ASSERT(ul == (ok ? (ULONG)((ULONG)ra + (ULONG)rb) : 0xFFFFFFFFu));
  LONG l = 0;
  st = RtlLongLongToLong((LONGLONG)ra, &l);
  ok = (LONGLONG)ra >= INT32_MIN && (LONGLONG)ra <= INT32_MAX;
  FUZZ_ASSERT(st == (ok ? M_OK : (NTSTATUS)0xC0000095u));
  FUZZ_ASSERT(l == (ok ? (LONG)(LONGLONG)ra : -1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_data_t d = fuzz_data_init(data, size);
  for (int steps = 0; steps < 64 && !fuzz_data_empty(&d); steps++) {
    uint8_t op = fuzz_u8(&d) % 8;
    switch (op) {
    case 0:
    case 1:
    case 2:
    case 3:
      run_string_op(&d, op);
      break;
    case 4:
      run_printf(&d);
      break;
    case 5:
      run_length(&d);
      break;
    case 6:
      run_ustr(&d);
      break;
    default:
      run_int(&d);
      break;
    }
  }
  return 0;
}
