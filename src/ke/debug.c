/*
 * debug.c — the kernel debugger's side of a driver (kpool/debug.h): the
 * Kd_<Component>_Mask filter of DbgPrintEx, the 512-byte message, and the
 * bug check of a failed assertion. Per-system state is a registered module
 * created on the first change of a mask; until then the defaults apply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ke/kp_ke.h"
#include "sim/kp_sim.h"
#include "rtl/kp_rtl.h"
#include "kpool/debug.h"
#include "kpool/format.h"
#include "rtl/kp_format.h"

/* Kd_WIN2000_Mask's default: DPFLTR_ERROR_LEVEL messages always show. */
#define DEBUG_WIN2000_DEFAULT 0x1u
/* DPFLTR_MASK: the marker bit of a level given as a bit field. */
#define DEBUG_LEVEL_MASK_MARKER 0x80000000u

typedef struct debug_state {
  _Atomic uint32_t mask[KP_DEBUG_COMPONENTS];
  _Atomic uint32_t win2000;
} debug_state_t;

static void debug_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  free(state);
}

static const kpi_module_ops_t debug_ops = {
    .name = "debug print filter",
    .destroy = debug_destroy,
};

static debug_state_t *state_get(kp_system_t *sys, bool create) {
  debug_state_t *st = kpi_system_module(sys, &debug_ops);
  if (st != NULL || !create) return st;
  st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  for (uint32_t i = 0; i < KP_DEBUG_COMPONENTS; i++)
    atomic_init(&st->mask[i], 0u);
  atomic_init(&st->win2000, DEBUG_WIN2000_DEFAULT);
  if (!kpi_system_add_module(sys, &debug_ops, st)) {
    // Another thread registered first (or the table is full).
    free(st);
    return kpi_system_module(sys, &debug_ops);
  }
  return st;
}

/* The bits a level stands for. */
static uint32_t level_bits(uint32_t level) {
  if (level <= 31) return 1u << level;
  return level & ~DEBUG_LEVEL_MASK_MARKER;
}

static bool component_known(uint32_t component) {
  return component < KP_DEBUG_COMPONENTS || component == KP_DEBUG_WIN2000;
}

kp_status_t kp_debug_filter_set(kp_system_t *sys, uint32_t component,
                                uint32_t mask) {
  if (sys == NULL) return KP_STATUS_INVALID_PARAMETER_1;
  if (!component_known(component)) return KP_STATUS_INVALID_PARAMETER_2;
  debug_state_t *st = state_get(sys, true);
  if (st == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (component == KP_DEBUG_WIN2000)
    atomic_store(&st->win2000, mask);
  else
    atomic_store(&st->mask[component], mask);
  return KP_STATUS_SUCCESS;
}

uint32_t kp_debug_filter_get(kp_system_t *sys, uint32_t component) {
  if (sys == NULL || !component_known(component)) return 0;
  debug_state_t *st = state_get(sys, false);
  if (component == KP_DEBUG_WIN2000)
    return st != NULL ? atomic_load(&st->win2000) : DEBUG_WIN2000_DEFAULT;
  return st != NULL ? atomic_load(&st->mask[component]) : 0u;
}

kp_status_t kp_debug_filter_query(kp_system_t *sys, uint32_t component,
                                  uint32_t level) {
  if (sys == NULL) sys = kpi_current();
  if (!component_known(component)) return KP_STATUS_INVALID_PARAMETER_1;
  uint32_t mask = kp_debug_filter_get(sys, KP_DEBUG_WIN2000);
  if (component != KP_DEBUG_WIN2000)
    mask |= kp_debug_filter_get(sys, component);
  return (level_bits(level) & mask) != 0 ? 1 : 0;
}

kp_status_t kp_debug_filter_state(kp_system_t *sys, uint32_t component,
                                  uint32_t level, bool state) {
  if (sys == NULL) sys = kpi_current();
  if (!component_known(component)) return KP_STATUS_INVALID_PARAMETER_1;
  debug_state_t *st = state_get(sys, true);
  if (st == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  _Atomic uint32_t *m =
      component == KP_DEBUG_WIN2000 ? &st->win2000 : &st->mask[component];
  if (state)
    atomic_fetch_or(m, level_bits(level));
  else
    atomic_fetch_and(m, ~level_bits(level));
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_debug_vprint(kp_system_t *sys, uint32_t component,
                            uint32_t level, const char *prefix, const char *fmt,
                            va_list ap, kp_site_t site) {
  if (sys == NULL) sys = kpi_current();
  // Filtered out (or an unknown component): nothing is sent, and the
  // caller still sees STATUS_SUCCESS, as on Windows.
  if (kp_debug_filter_query(sys, component, level) != 1)
    return KP_STATUS_SUCCESS;
  kp_irql_t irql = kpi_irql();
  if (irql > KP_APC_LEVEL && kpi_format_has_wide(fmt)) {
    char where[256];
    kpi_site_text(site, where, sizeof where);
    kpi_bugcheck_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.site = site;
    // P3 = 8: the fault is an instruction fetch from the paged-out
    // conversion code.
    kpi_bugcheck_raise(
        sys, KP_BUGCHECK_DRIVER_IRQL_NOT_LESS_OR_EQUAL,
        (uint64_t)(uintptr_t)site.caller, irql, 8,
        (uint64_t)(uintptr_t)site.caller, &ctx,
        "  DbgPrint with a UTF-16 conversion (%%C %%S %%lc %%ls %%wc %%ws\n"
        "  %%wZ) ran at IRQL %u from %s. Its conversion code is pageable:\n"
        "  Microsoft documents these formats for PASSIVE_LEVEL only.\n"
        "  Format: \"%.120s\"",
        (unsigned)irql, where, fmt);
  }
  char text[KP_DEBUG_MESSAGE_MAX];
  size_t used = 0;
  if (prefix != NULL) {
    size_t n = strlen(prefix);
    if (n > sizeof text - 1) n = sizeof text - 1;
    memcpy(text, prefix, n);
    used = n;
  }
  text[used] = '\0';
  kp_vformat(text + used, sizeof text - used, KP_FORMAT_NO_FLOAT, fmt, ap);
  kpi_out(sys, text);
  return KP_STATUS_SUCCESS;
}

void kp_debug_assert_failed(kp_system_t *sys, const char *expression,
                            const char *message, kp_site_t site) {
  if (sys == NULL) sys = kpi_current();
  char where[256];
  kpi_site_text(site, where, sizeof where);
  // The first two lines are what RtlAssert prints on a checked kernel.
  kpi_bugcheck_ctx_t ctx;
  memset(&ctx, 0, sizeof ctx);
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED,
      (uint64_t)(int64_t)KP_STATUS_ASSERTION_FAILURE,
      (uint64_t)(uintptr_t)site.caller, 0, 0, &ctx,
      "  *** Assertion failed: %s%s%s\n"
      "  ***   Source File: %s\n"
      "  assertion:  %s\n"
      "  message:    %s\n"
      "  at:         %s\n"
      "  A driver assertion (ASSERT / NT_ASSERT / RtlAssert) failed. On\n"
      "  Windows the STATUS_ASSERTION_FAILURE exception it raises is not\n"
      "  handled when no kernel debugger is attached, which is this bug\n"
      "  check.",
      message != NULL ? message : "", message != NULL ? " " : "",
      expression != NULL ? expression : "(unknown)", where,
      expression != NULL ? expression : "(unknown)",
      message != NULL ? message : "(none)", where);
}
