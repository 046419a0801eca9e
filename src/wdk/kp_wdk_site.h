/*
 * kp_wdk_site.h — how the WDK face's site-taking functions build the site
 * of a call that came through a call-site macro: the macro's file and line,
 * the return address into the function that expands it, and (allocation
 * macros) that function's own return address, which the macro left in
 * kp_wdk_outer_caller (wdm.h). Internal to src/wdk.
 */
#ifndef KPOOL_SRC_WDK_KP_WDK_SITE_H
#define KPOOL_SRC_WDK_KP_WDK_SITE_H

#include "kpool/common.h"

#if defined(__GNUC__) || defined(__clang__)
extern __thread const void *kp_wdk_outer_caller;
/* Reads and clears the outer caller an allocation macro recorded. */
static inline const void *kp_wdk_take_outer(void) {
  const void *o = kp_wdk_outer_caller;
  if (o != NULL) kp_wdk_outer_caller = NULL;
  return o;
}
#else
static inline const void *kp_wdk_take_outer(void) { return NULL; }
#endif

#define WDK_SITE_AT(file, line)                                                \
  kp_site_outer((file), (uint32_t)(line), WDK_CALLER(), kp_wdk_take_outer())

#endif /* KPOOL_SRC_WDK_KP_WDK_SITE_H */
