/*
 * unsim.c — the report for a WDK routine kpool declares but does not
 * simulate (kpool/unsim.h).
 */
#include "ke/kp_ke.h"
#include "kpool/unsim.h"

void kp_unsimulated(const char *name, const void *address) {
  kp_system_t *sys = kpi_current();
  kpi_bugcheck_raise(
      sys, KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED, (uint32_t)KP_STATUS_NOT_IMPLEMENTED,
      (uintptr_t)address, 0, 0, NULL,
      "The driver called %s, which kpool declares (so the driver compiles) but does "
      "not simulate. Supply a test double: define a function named %s with the WDK "
      "signature in your test (for example a CMocka mock returning mock_type()); the "
      "library's default is alone in its own archive member, so yours wins at link "
      "time. See docs/driver-model.md, \"Routines kpool does not simulate\".",
      name != NULL ? name : "(unknown)", name != NULL ? name : "(unknown)");
}
