/*
 * apc.c — critical and guarded regions: the per-thread KernelApcDisable and
 * SpecialApcDisable counters (facts §3.3), their queries and checks.
 */
#include "ke/kp_sync.h"
#include "ke/kp_ke.h"

static _Thread_local kpi_apc_state_t apc_state;

// The rule text a DDI compliance bug check points to in P2.
static const char apc_rule_guarded_regions[] = "GuardedRegions";

kpi_apc_state_t *kpi_apc_state(void) { return &apc_state; }

uint32_t kpi_apc_combined(void) {
  return ((uint32_t)(uint16_t)apc_state.special_apc_disable << 16) |
         (uint16_t)apc_state.kernel_apc_disable;
}

bool kpi_normal_apcs_off(void) {
  return apc_state.kernel_apc_disable != 0 ||
         apc_state.special_apc_disable != 0 || kpi_irql() >= KP_APC_LEVEL;
}

void kpi_guarded_enter_raw(void) { apc_state.special_apc_disable--; }
void kpi_guarded_leave_raw(void) { apc_state.special_apc_disable++; }
void kpi_critical_enter_raw(void) { apc_state.kernel_apc_disable--; }
void kpi_critical_leave_raw(void) { apc_state.kernel_apc_disable++; }

uint32_t kp_apc_disable_count(void) { return kpi_apc_combined(); }
bool kp_apcs_disabled(void) {
  return apc_state.kernel_apc_disable != 0 || apc_state.special_apc_disable != 0;
}
bool kp_all_apcs_disabled(void) {
  return apc_state.special_apc_disable != 0 || kpi_irql() >= KP_APC_LEVEL;
}

void kp_critical_region_enter(kp_site_t site) {
  kp_irql_t irql = kpi_irql();
  if (irql > KP_APC_LEVEL) {
    kpi_sync_c4(KP_C4_CRITICAL_ENTER_IRQL, irql, 0, 0, site,
                "KeEnterCriticalRegion called at IRQL %u (%s); it is allowed "
                "at or below APC_LEVEL.",
                (unsigned)irql, kpi_irql_name(irql));
    return;
  }
  kpi_critical_enter_raw();
}

void kp_critical_region_leave(kp_site_t site) {
  kp_irql_t irql = kpi_irql();
  if (irql > KP_APC_LEVEL) {
    kpi_sync_c4(KP_C4_CRITICAL_LEAVE_IRQL, irql, 0, 0, site,
                "KeLeaveCriticalRegion called at IRQL %u (%s); it is allowed "
                "at or below APC_LEVEL.",
                (unsigned)irql, kpi_irql_name(irql));
    return;
  }
  if (apc_state.kernel_apc_disable >= 0) {
#define APC_LEAVE_WHAT                                                         \
  "KeLeaveCriticalRegion without a matching KeEnterCriticalRegion: thread %u " \
  "is in no critical region (KernelApcDisable is 0)."
    if (kpi_sync_verifier())
      kpi_sync_c4(KP_C4_CRITICAL_LEAVE_UNBALANCED, 0, 0, 0, site, APC_LEAVE_WHAT,
                  kp_thread_id());
    else
      kpi_sync_bugcheck(KP_BUGCHECK_APC_INDEX_MISMATCH,
                        (uint64_t)(uintptr_t)site.caller, 0, kpi_apc_combined(),
                        0, site, APC_LEAVE_WHAT, kp_thread_id());
    return;
  }
  kpi_critical_leave_raw();
}

static bool guarded_irql_ok(const char *api, kp_site_t site) {
  kp_irql_t irql = kpi_irql();
  if (irql <= KP_APC_LEVEL) return true;
  kpi_sync_c4(KP_C4_RULE_GUARDED_REGIONS,
              (uint64_t)(uintptr_t)apc_rule_guarded_regions, kpi_apc_combined(),
              0, site,
              "%s called at IRQL %u (%s); guarded regions are entered and left "
              "at or below APC_LEVEL (DDI compliance rule GuardedRegions).",
              api, (unsigned)irql, kpi_irql_name(irql));
  return false;
}

void kp_guarded_region_enter(kp_site_t site) {
  if (!guarded_irql_ok("KeEnterGuardedRegion", site)) return;
  kpi_guarded_enter_raw();
}

void kp_guarded_region_leave(kp_site_t site) {
  if (!guarded_irql_ok("KeLeaveGuardedRegion", site)) return;
  if (apc_state.special_apc_disable >= 0) {
    kpi_sync_c4(KP_C4_RULE_GUARDED_REGIONS,
                (uint64_t)(uintptr_t)apc_rule_guarded_regions,
                kpi_apc_combined(), 0, site,
                "KeLeaveGuardedRegion without a matching KeEnterGuardedRegion: "
                "thread %u is in no guarded region (DDI compliance rule "
                "GuardedRegions).",
                kp_thread_id());
    return;
  }
  kpi_guarded_leave_raw();
}

bool kp_apc_check_balanced(uint32_t expected, const void *routine,
                           uint32_t worker, kp_site_t site) {
  uint32_t now = kpi_apc_combined();
  if (now == expected) return true;
  kpi_sync_bugcheck(KP_BUGCHECK_APC_INDEX_MISMATCH,
                    (uint64_t)(uintptr_t)routine, 0, now, worker, site,
                    "The %s %p returned with CombinedApcDisable 0x%08X instead "
                    "of 0x%08X: a critical region, guarded region or mutex "
                    "was entered and not left (or left twice).",
                    worker ? "worker routine" : "system call", routine,
                    (unsigned)now, (unsigned)expected);
  return false;
}

void kp_sync_thread_reset(void) {
  apc_state.kernel_apc_disable = 0;
  apc_state.special_apc_disable = 0;
  kpi_held_reset();
}

/* Pending call site (kp_site_next / kp_site_take). */
static _Thread_local const char *apc_next_file;
static _Thread_local uint32_t apc_next_line;

void kp_site_next(const char *file, uint32_t line) {
  apc_next_file = file;
  apc_next_line = line;
}

static _Thread_local const void *apc_next_caller;

void kp_site_next_caller(const void *caller) { apc_next_caller = caller; }

kp_site_t kp_site_take(void *caller) {
  const char *file = apc_next_file;
  const void *pending = apc_next_caller;
  if (pending != NULL) {
    apc_next_caller = NULL;
    caller = (void *)(uintptr_t)pending;
  }
  if (file == NULL) return kp_site(NULL, 0, caller);
  apc_next_file = NULL;
  return kp_site(file, apc_next_line, caller);
}
