/*
 * wdk_rtl.c — the Rtl memory routines that are real exports
 * (RtlCompareMemory), the memset/memcpy/memmove/memcmp fallbacks wdm.h uses
 * with compilers that lack the builtins, and the LIST_ENTRY corruption
 * report of the inline list helpers.
 */
#include <stdio.h>
#include <string.h>

#include "kpool/wdk/wdm.h"

#include "kpool/bugcheck.h"
#include "kpool/system.h"

/* KERNEL_SECURITY_CHECK_FAILURE and its "LIST_ENTRY corrupted" type. */
#define WDK_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE 0x00000139u
#define WDK_FAST_FAIL_CORRUPT_LIST_ENTRY 3u

SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2,
                              SIZE_T Length) {
  const UCHAR *a = (const UCHAR *)Source1;
  const UCHAR *b = (const UCHAR *)Source2;
  SIZE_T same = 0;
  while (same < Length && a[same] == b[same]) {
    same++;
  }
  return same;
}

void *kp_wdk_memset(void *dst, int value, size_t n) {
  return memset(dst, value, n);
}

void *kp_wdk_memcpy(void *dst, const void *src, size_t n) {
  return memcpy(dst, src, n);
}

void *kp_wdk_memmove(void *dst, const void *src, size_t n) {
  return memmove(dst, src, n);
}

int kp_wdk_memcmp(const void *a, const void *b, size_t n) {
  return memcmp(a, b, n);
}

void kp_wdk_fatal_list_entry_error(const void *entry) {
  char text[256];
  snprintf(text, sizeof text,
           "  KERNEL_SECURITY_CHECK_FAILURE: a LIST_ENTRY is corrupted at %p.\n"
           "  Its neighbours do not point back at it (a double remove, an\n"
           "  entry that was never inserted, a list head never initialised,\n"
           "  or memory overwritten). The list was left unchanged.\n",
           entry);
  kp_bugcheck(kp_system_current(), WDK_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE,
              WDK_FAST_FAIL_CORRUPT_LIST_ENTRY, (uint64_t)(uintptr_t)entry, 0,
              0, text);
}
