/*
 * wdk_crt.c — the kernel C run-time's wide-string functions over 16-bit
 * WCHAR, and the Microsoft case-insensitive compares (kp_wdk_crt.h). The
 * host's wcs* functions use its 4-byte wchar_t, so the WDK face needs its
 * own; these are the C library's contracts, not kernel behaviour.
 */
#include "kpool/wdk/wdm.h"

// This file defines the functions the macros name; keep the host's names
// out of the way of those macros.
#undef wcslen
#undef wcsnlen
#undef wcscmp
#undef wcsncmp
#undef wcscpy
#undef wcsncpy
#undef wcscat
#undef wcsncat
#undef wcschr
#undef wcsrchr
#undef wcsstr

size_t kp_wdk_wcslen(const WCHAR *s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

size_t kp_wdk_wcsnlen(const WCHAR *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != 0) n++;
  return n;
}

int kp_wdk_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return (int)a[i] - (int)b[i];
    if (a[i] == 0) break;
  }
  return 0;
}

int kp_wdk_wcscmp(const WCHAR *a, const WCHAR *b) {
  return kp_wdk_wcsncmp(a, b, SIZE_MAX);
}

WCHAR *kp_wdk_wcscpy(WCHAR *dst, const WCHAR *src) {
  size_t i = 0;
  do {
    dst[i] = src[i];
  } while (src[i++] != 0);
  return dst;
}

WCHAR *kp_wdk_wcsncpy(WCHAR *dst, const WCHAR *src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i] != 0; i++) dst[i] = src[i];
  for (; i < n; i++) dst[i] = 0;
  return dst;
}

WCHAR *kp_wdk_wcscat(WCHAR *dst, const WCHAR *src) {
  kp_wdk_wcscpy(dst + kp_wdk_wcslen(dst), src);
  return dst;
}

WCHAR *kp_wdk_wcsncat(WCHAR *dst, const WCHAR *src, size_t n) {
  WCHAR *end = dst + kp_wdk_wcslen(dst);
  size_t i = 0;
  for (; i < n && src[i] != 0; i++) end[i] = src[i];
  end[i] = 0;
  return dst;
}

WCHAR *kp_wdk_wcschr(const WCHAR *s, WCHAR c) {
  for (;; s++) {
    // The C contract returns a non-const pointer into a const string.
    if (*s == c) return (WCHAR *)(uintptr_t)s;
    if (*s == 0) return NULL;
  }
}

WCHAR *kp_wdk_wcsrchr(const WCHAR *s, WCHAR c) {
  const WCHAR *hit = NULL;
  for (;; s++) {
    if (*s == c) hit = s;
    if (*s == 0) break;
  }
  return (WCHAR *)(uintptr_t)hit;
}

WCHAR *kp_wdk_wcsstr(const WCHAR *s, const WCHAR *sub) {
  size_t n = kp_wdk_wcslen(sub);
  for (;; s++) {
    if (kp_wdk_wcsncmp(s, sub, n) == 0) return (WCHAR *)(uintptr_t)s;
    if (*s == 0) return NULL;
  }
}

static unsigned fold(unsigned c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int kp_wdk_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned x = fold(a[i]), y = fold(b[i]);
    if (x != y) return (int)x - (int)y;
    if (x == 0) break;
  }
  return 0;
}

int kp_wdk_wcsicmp(const WCHAR *a, const WCHAR *b) {
  return kp_wdk_wcsnicmp(a, b, SIZE_MAX);
}

int kp_wdk_strnicmp(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned x = fold((unsigned char)a[i]), y = fold((unsigned char)b[i]);
    if (x != y) return (int)x - (int)y;
    if (x == 0) break;
  }
  return 0;
}

int kp_wdk_stricmp(const char *a, const char *b) {
  return kp_wdk_strnicmp(a, b, SIZE_MAX);
}
