/*
 * fuzz_strings.c — the counted-string conversions (kpool/rtl_string.h)
 * against an independent model: a strict UTF-8 validator, round trips and
 * size queries.
 *
 * Input: byte 0 picks a truncated buffer size (0..255 units/bytes), the
 * rest is converted both as UTF-8 and as UTF-16 units. Checked:
 * - UTF-8 -> UTF-16: STATUS_SOME_NOT_MAPPED exactly when the model finds
 *   the input invalid; valid input round-trips to the same bytes; the size
 *   query equals what a large buffer receives; a small buffer receives a
 *   prefix of the full result, whole characters only, and reports
 *   STATUS_BUFFER_TOO_SMALL exactly when the result did not fit.
 * - UTF-16 -> UTF-8 -> UTF-16: exact when no surrogate is unpaired.
 * - ANSI (1252) -> Unicode -> ANSI: every byte string round-trips.
 * - numbers: every 32-bit value round-trips through each base.
 * - allocating forms on a fresh system: the buffer is a 'grtS' block and
 *   the free leaves no allocation behind.
 */
#include <string.h>

#include "fuzz_helpers.h"
#include "kpool/kpool.h"

// Independent model: true when @p s is well-formed UTF-8 (Unicode §3.9,
// Table 3-7).
static bool model_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = s[i];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b <= 0x7F) {
      i++;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      len = 3;
    } else if (b == 0xED) {
      len = 3, hi = 0x9F;
    } else if (b == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = 4;
    } else if (b == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k < len; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
    i += len;
  }
  return true;
}

static bool model_utf16_paired(const uint16_t *u, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (u[i] >= 0xD800 && u[i] <= 0xDBFF) {
      if (i + 1 >= n || u[i + 1] < 0xDC00 || u[i + 1] > 0xDFFF) return false;
      i++;
    } else if (u[i] >= 0xDC00 && u[i] <= 0xDFFF) {
      return false;
    }
  }
  return true;
}

enum { MAX_IN = 4096 };
static uint16_t wide[MAX_IN * 2 + 8];
static uint16_t wide2[MAX_IN * 2 + 8];
static char narrow[MAX_IN * 4 + 8];
static char narrow2[MAX_IN * 4 + 8];

static void check_utf8(const uint8_t *in, uint32_t n, uint32_t small) {
  uint32_t need = 0, got = 0;
  kp_status_t st =
      kp_string_utf8_to_utf16n(NULL, 0, &need, (const char *)in, n);
  bool valid = model_utf8_valid(in, n);
  FUZZ_ASSERT(st == (valid ? KP_STATUS_SUCCESS : KP_STATUS_SOME_NOT_MAPPED));
  FUZZ_ASSERT(need % 2 == 0 && need <= (uint32_t)n * 2);
  st = kp_string_utf8_to_utf16n(wide, sizeof wide, &got, (const char *)in, n);
  FUZZ_ASSERT(got == need);
  FUZZ_ASSERT(model_utf16_paired(wide, got / 2));
  if (valid) {
    uint32_t back = 0;
    st = kp_string_utf16_to_utf8n(narrow, sizeof narrow, &back, wide, got);
    FUZZ_ASSERT(st == KP_STATUS_SUCCESS && back == n);
    FUZZ_ASSERT(memcmp(narrow, in, n) == 0);
  }
  // A small buffer: a prefix of whole characters.
  uint32_t part = 0;
  memset(wide2, 0xA5, sizeof wide2);
  st = kp_string_utf8_to_utf16n(wide2, small, &part, (const char *)in, n);
  FUZZ_ASSERT(part <= small && part <= need);
  FUZZ_ASSERT(memcmp(wide2, wide, part) == 0);
  if (need > (small & ~1u)) {
    FUZZ_ASSERT(st == KP_STATUS_BUFFER_TOO_SMALL);
    FUZZ_ASSERT(part + 4 > (small & ~1u)); // at most one character short
    if (part > 0)
      FUZZ_ASSERT(
          !(wide[part / 2 - 1] >= 0xD800 && wide[part / 2 - 1] <= 0xDBFF));
  } else {
    FUZZ_ASSERT(st != KP_STATUS_BUFFER_TOO_SMALL && part == need);
  }
}

static void check_utf16(const uint8_t *in, uint32_t n, uint32_t small) {
  uint32_t units = n / 2;
  uint16_t *u = wide2;
  for (uint32_t i = 0; i < units; i++)
    u[i] = (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8));
  uint32_t need = 0, got = 0;
  kp_status_t st = kp_string_utf16_to_utf8n(NULL, 0, &need, u, units * 2);
  bool paired = model_utf16_paired(u, units);
  FUZZ_ASSERT(st == (paired ? KP_STATUS_SUCCESS : KP_STATUS_SOME_NOT_MAPPED));
  st = kp_string_utf16_to_utf8n(narrow, sizeof narrow, &got, u, units * 2);
  FUZZ_ASSERT(got == need);
  FUZZ_ASSERT(model_utf8_valid((const uint8_t *)narrow, got));
  if (paired) {
    uint32_t back = 0;
    st = kp_string_utf8_to_utf16n(wide, sizeof wide, &back, narrow, got);
    FUZZ_ASSERT(st == KP_STATUS_SUCCESS && back == units * 2);
    FUZZ_ASSERT(memcmp(wide, u, back) == 0);
  }
  uint32_t part = 0;
  st = kp_string_utf16_to_utf8n(narrow2, small, &part, u, units * 2);
  FUZZ_ASSERT(part <= small && memcmp(narrow2, narrow, part) == 0);
  FUZZ_ASSERT((st == KP_STATUS_BUFFER_TOO_SMALL) == (need > small));
  if (units * 2 != n)
    FUZZ_ASSERT(kp_string_utf16_to_utf8n(narrow, sizeof narrow, &got, u, n) ==
                KP_STATUS_INVALID_PARAMETER_5);
}

static void check_ansi_and_numbers(const uint8_t *in, uint32_t n) {
  uint16_t len = (uint16_t)(n < 4000 ? n : 4000);
  kp_astring_t a = {len, len, (char *)(uintptr_t)in};
  kp_ustring_t u = {0, (uint16_t)sizeof wide, wide};
  FUZZ_ASSERT(kp_string_ansi_to_unicode(NULL, &u, &a, false, KP_NOSITE) ==
              KP_STATUS_SUCCESS);
  FUZZ_ASSERT(u.length == len * 2);
  kp_astring_t back = {0, (uint16_t)sizeof narrow, narrow};
  FUZZ_ASSERT(kp_string_unicode_to_ansi(NULL, &back, &u, false, KP_NOSITE) ==
              KP_STATUS_SUCCESS);
  FUZZ_ASSERT(back.length == len && memcmp(narrow, in, len) == 0);

  if (n >= 4) {
    uint32_t v = (uint32_t)in[0] | ((uint32_t)in[1] << 8) |
                 ((uint32_t)in[2] << 16) | ((uint32_t)in[3] << 24);
    static const uint32_t bases[] = {2, 8, 10, 16};
    for (int i = 0; i < 4; i++) {
      kp_ustring_t s = {0, 80, wide};
      FUZZ_ASSERT(kp_string_uint_to_unicode(v, bases[i], &s) ==
                  KP_STATUS_SUCCESS);
      uint32_t parsed = ~v;
      FUZZ_ASSERT(kp_string_unicode_to_uint(&s, bases[i], &parsed) ==
                  KP_STATUS_SUCCESS);
      FUZZ_ASSERT(parsed == v);
    }
  }
  // Any text parses without harm; the value is whatever the digits say.
  char text[64];
  size_t t = n < sizeof text - 1 ? n : sizeof text - 1;
  memcpy(text, in, t);
  text[t] = '\0';
  uint32_t value = 0;
  kp_status_t st = kp_string_char_to_uint(text, 0, &value);
  FUZZ_ASSERT(st == (t == 0 || text[0] == '\0' ? KP_STATUS_INVALID_PARAMETER
                                               : KP_STATUS_SUCCESS));
}

static void check_allocating(const uint8_t *in, uint32_t n) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.paged_pool_bytes = (size_t)1 << 20;
  cfg.nonpaged_pool_bytes = (size_t)1 << 20;
  kp_system_t *sys = kp_system_create(&cfg);
  FUZZ_ASSERT(sys != NULL);
  uint16_t len = (uint16_t)(n < 2000 ? n : 2000);
  kp_astring_t a = {len, len, (char *)(uintptr_t)in};
  kp_ustring_t u = {0, 0, NULL};
  kp_status_t st = kp_string_utf8_to_unicode(sys, &u, &a, true, KP_HERE);
  FUZZ_ASSERT(KP_SUCCESS(st) && u.buffer != NULL);
  FUZZ_ASSERT(u.max_length == u.length + 2 && u.buffer[u.length / 2] == 0);
  kp_block_info_t info;
  FUZZ_ASSERT(kp_block_query(sys, u.buffer, &info));
  FUZZ_ASSERT(info.tag == KP_STRING_TAG && info.pool == KP_POOL_PAGED);
  kp_ustring_t up = {0, 0, NULL};
  st = kp_string_upcase_unicode(sys, &up, &u, true, KP_HERE);
  FUZZ_ASSERT(st == KP_STATUS_SUCCESS && up.length == u.length);
  for (uint16_t i = 0; i < up.length / 2; i++)
    FUZZ_ASSERT(kp_string_upcase_char(up.buffer[i]) == up.buffer[i]);
  FUZZ_ASSERT(kp_string_equal_unicode(&up, &u, true));
  kp_string_free_unicode(sys, &up, KP_HERE);
  kp_string_free_unicode(sys, &u, KP_HERE);
  FUZZ_ASSERT(u.buffer == NULL);
  FUZZ_ASSERT(kp_driver_unload(sys) == KP_STATUS_SUCCESS);
  kp_system_destroy(sys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  uint32_t small = data[0];
  const uint8_t *in = data + 1;
  uint32_t n = (uint32_t)(size - 1 < MAX_IN ? size - 1 : MAX_IN);
  check_utf8(in, n, small);
  check_utf16(in, n, small);
  check_ansi_and_numbers(in, n);
  check_allocating(in, n);
  return 0;
}
