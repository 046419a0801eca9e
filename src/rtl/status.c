/*
 * status.c — small shared helpers: status names, tag text, version,
 * site text and API names.
 */
#include <stdio.h>
#include <string.h>

#include "kp_internal.h"

_Static_assert(KP_STATUS_INSUFFICIENT_RESOURCES < 0,
               "NTSTATUS error codes must be negative as int32_t");
_Static_assert(sizeof(kp_status_t) == 4, "NTSTATUS is 32 bits");

uint32_t kp_version(void) { return KP_VERSION_NUMBER; }

const char *kp_status_name(kp_status_t st) {
  switch ((uint32_t)st) {
#define KP_STATUS_CASE_(name, value, text)                                     \
  case (value):                                                                \
    return "STATUS_" #name;
    KP_STATUS_MAP(KP_STATUS_CASE_)
#undef KP_STATUS_CASE_
  default:
    return NULL;
  }
}

char *kp_tag_text(kp_tag_t tag, char out[5]) {
  int last = 3;
  // A short tag ('ab' == 0x6162) has trailing zero bytes: print them as
  // spaces, as PoolMon does, instead of as unprintable bytes.
  while (last >= 0 && ((tag >> (8 * last)) & 0xFF) == 0) last--;
  for (int i = 0; i < 4; i++) {
    unsigned c = (tag >> (8 * i)) & 0xFFu;
    if (i > last)
      out[i] = ' ';
    else
      out[i] = (c >= 0x20 && c <= 0x7E) ? (char)c : '.';
  }
  out[4] = '\0';
  return out;
}

const char *kpi_site_text(kp_site_t site, char *buf, size_t len) {
  if (site.file != NULL) {
    const char *base = strrchr(site.file, '/');
    char outer[200];
    if (site.outer != NULL && kpi_os_symbolize(site.outer, outer, sizeof outer))
      snprintf(buf, len, "%s:%u, called from %s", base ? base + 1 : site.file,
               site.line, outer);
    else if (site.outer != NULL)
      snprintf(buf, len, "%s:%u, called from %p", base ? base + 1 : site.file,
               site.line, site.outer);
    else
      snprintf(buf, len, "%s:%u", base ? base + 1 : site.file, site.line);
  } else if (site.caller != NULL) {
    snprintf(buf, len, "caller %p", site.caller);
  } else {
    snprintf(buf, len, "unknown site");
  }
  return buf;
}

const char *kpi_api_name(kp_alloc_api_t api) {
  switch (api) {
  case KP_API_ALLOCATE_POOL: return "ExAllocatePool";
  case KP_API_ALLOCATE_POOL_WITH_TAG: return "ExAllocatePoolWithTag";
  case KP_API_ALLOCATE_POOL_PRIORITY: return "ExAllocatePoolWithTagPriority";
  case KP_API_ALLOCATE_POOL_QUOTA: return "ExAllocatePoolWithQuotaTag";
  case KP_API_ALLOCATE_POOL2: return "ExAllocatePool2";
  case KP_API_ALLOCATE_POOL3: return "ExAllocatePool3";
  case KP_API_LOOKASIDE: return "lookaside list allocate";
  case KP_API_ALLOCATE_POOL_WITH_QUOTA: return "ExAllocatePoolWithQuota";
  case KP_API_COUNT_: break;
  }
  return "unknown allocator";
}
