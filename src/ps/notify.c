/*
 * notify.c — the process, thread and image notification tables:
 * registration rules and the unload check (facts §6.1-6.4, §6.7, §6.8).
 */
#include <string.h>

#include "ps/ps_internal.h"
#include "ke/kp_ke.h"

uint32_t kpi_ps_snapshot(kpi_ps_t *ps, const kpi_notify_slot_t *table,
                         kpi_notify_slot_t *out) {
  uint32_t n = 0;
  kpi_mutex_lock(&ps->lock);
  for (uint32_t i = 0; i < KPI_PS_SLOTS; i++)
    if (table[i].routine != NULL) out[n++] = table[i];
  kpi_mutex_unlock(&ps->lock);
  return n;
}

/* Adds or removes @p routine in @p table; the statuses differ by table. */
static kp_status_t table_set(kpi_ps_t *ps, kpi_notify_slot_t *table, void (*routine)(void),
                             uint32_t kind, bool remove, bool unique,
                             kp_status_t full_status) {
  kp_status_t st = KP_STATUS_SUCCESS;
  kpi_mutex_lock(&ps->lock);
  int found = -1, free_slot = -1;
  for (uint32_t i = 0; i < KPI_PS_SLOTS; i++) {
    if (table[i].routine == routine && found < 0) found = (int)i;
    if (table[i].routine == NULL && free_slot < 0) free_slot = (int)i;
  }
  if (remove) {
    if (found < 0) st = KP_STATUS_PROCEDURE_NOT_FOUND;
    else table[found].routine = NULL;
  } else if (unique && found >= 0) {
    st = KP_STATUS_INVALID_PARAMETER;
  } else if (free_slot < 0) {
    st = full_status;
  } else {
    table[free_slot].routine = routine;
    table[free_slot].kind = kind;
  }
  kpi_mutex_unlock(&ps->lock);
  return st;
}

kp_status_t kp_ps_set_process_notify(kp_system_t *sys, void (*routine)(void), uint32_t kind,
                                     bool remove) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (routine == NULL || kind > KP_PS_NOTIFY_EX) return KP_STATUS_INVALID_PARAMETER;
  if (kind == KP_PS_NOTIFY_EX && !remove && ps->no_integrity) return KP_STATUS_ACCESS_DENIED;
  return table_set(ps, ps->proc, routine, kind, remove, true, KP_STATUS_INVALID_PARAMETER);
}

kp_status_t kp_ps_set_thread_notify(kp_system_t *sys, void (*routine)(void), bool remove) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (routine == NULL) return KP_STATUS_INVALID_PARAMETER;
  return table_set(ps, ps->thread, routine, 0, remove, false, KP_STATUS_INSUFFICIENT_RESOURCES);
}

kp_status_t kp_ps_set_image_notify(kp_system_t *sys, void (*routine)(void), bool remove) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (routine == NULL) return KP_STATUS_INVALID_PARAMETER;
  return table_set(ps, ps->image, routine, 0, remove, false, KP_STATUS_INSUFFICIENT_RESOURCES);
}

void kp_ps_set_force_integrity(kp_system_t *sys, bool present) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps != NULL) ps->no_integrity = !present;
}

void kpi_ps_notify_unload_check(kp_system_t *sys, kpi_ps_t *ps) {
  static const char *const what[] = {"process", "thread", "image-load"};
  kpi_notify_slot_t left[3][KPI_PS_SLOTS];
  uint32_t n[3];
  n[0] = kpi_ps_snapshot(ps, ps->proc, left[0]);
  n[1] = kpi_ps_snapshot(ps, ps->thread, left[1]);
  n[2] = kpi_ps_snapshot(ps, ps->image, left[2]);
  for (int t = 0; t < 3; t++) {
    for (uint32_t i = 0; i < n[t]; i++) {
      uintptr_t fn = (uintptr_t)left[t][i].routine;
      atomic_fetch_add(&sys->unload_findings, 1);
      if (kpi_verifier(sys))
        kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
                           fn, 0, fn, 0, NULL,
                           "The driver unloaded with its %s notify routine %p still "
                           "registered: the next notification would call unloaded code "
                           "(remove it in the Unload routine).", what[t], (void *)fn);
      else
        kp_printf(sys, "kpool: driver unload: %s notify routine %p is still registered\n",
                  what[t], (void *)fn);
    }
  }
}
