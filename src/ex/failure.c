/*
 * failure.c — why an allocation failed (kpool/monitor.h): each thread's
 * last failure, the per-system counts by kind, the optional printed line,
 * and the event the monitor records.
 *
 * The check that refuses a request notes its reason just before the entry
 * point returns through kpi_alloc_failed (kpi_fail_note); a failure with
 * no note (the pool's budget, a priority reserve, the quota) is described
 * from its status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ex/kp_ex.h"
#include "rtl/kp_rtl.h"
#include "ke/kp_ke.h"

static const char *const fail_kind_names[KP_FAIL_KIND_COUNT_] = {
    "unknown", "rule", "injected", "pressure", "quota", "node"};

const char *kp_fail_kind_name(kp_fail_kind_t kind) {
  if ((unsigned)kind >= KP_FAIL_KIND_COUNT_) return "unknown";
  return fail_kind_names[kind];
}

void kpi_fail_note(kp_fail_kind_t kind, const char *fmt, ...) {
  kpi_thread_t *t = kpi_thread();
  t->fail_kind = (uint32_t)kind;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(t->fail_detail, sizeof t->fail_detail, fmt, ap);
  va_end(ap);
  if (n < 0) t->fail_detail[0] = '\0';
}

/* Describes a failure nobody noted, from what the caller will see. */
static kp_fail_kind_t infer(const kpi_request_t *rq, kp_status_t status,
                            char *buf, size_t len) {
  if (status == KP_STATUS_QUOTA_EXCEEDED) {
    snprintf(buf, len, "the process pool quota cannot be charged %zu more bytes",
             rq->size);
    return KP_FAIL_QUOTA;
  }
  if (rq->node_strict) {
    snprintf(buf, len,
             "NUMA node %u was required and cannot serve %zu bytes (budget, "
             "priority reserve or no such node)",
             (unsigned)rq->node, rq->size);
    return KP_FAIL_NODE;
  }
  snprintf(buf, len,
           "the %s pool cannot serve %zu bytes at %s priority: its budget or "
           "the priority's reserve is exhausted (kp_report shows the pressure)",
           rq->kind == KP_POOL_PAGED ? "paged" : "non-paged", rq->size,
           rq->priority == KP_PRIORITY_LOW || rq->priority == KP_PRIORITY_LOW_SPECIAL_OVERRUN ||
                   rq->priority == KP_PRIORITY_LOW_SPECIAL_UNDERRUN
               ? "low"
           : rq->priority == KP_PRIORITY_HIGH || rq->priority == KP_PRIORITY_HIGH_SPECIAL_OVERRUN ||
                   rq->priority == KP_PRIORITY_HIGH_SPECIAL_UNDERRUN
               ? "high"
               : "normal");
  return KP_FAIL_PRESSURE;
}

void kpi_fail_record(kp_system_t *sys, const kpi_request_t *rq,
                     kp_status_t status) {
  kpi_thread_t *t = kpi_thread();
  kp_fail_info_t *f = &t->last_fail;
  memset(f, 0, sizeof *f);
  if (t->fail_kind != KP_FAIL_NONE) {
    f->kind = (kp_fail_kind_t)t->fail_kind;
    _Static_assert(sizeof t->fail_detail <= sizeof f->reason,
                   "a noted reason fits the failure record");
    memcpy(f->reason, t->fail_detail, sizeof t->fail_detail);
    f->reason[sizeof t->fail_detail - 1] = '\0';
    t->fail_kind = KP_FAIL_NONE;
  } else {
    f->kind = infer(rq, status, f->reason, sizeof f->reason);
  }
  f->status = status;
  f->tag = rq->tag;
  f->size = rq->size;
  f->site = rq->site;
  f->api = kpi_api_name(rq->api);
  atomic_fetch_add(&sys->fail_by_kind[f->kind], 1);
  if (sys->cfg.print_failures) {
    char tag[5];
    char site[256];
    kpi_site_text(f->site, site, sizeof site);
    kp_printf(sys,
              "kpool: %s('%s', %zu bytes) at %s by thread %u failed (%s): %s\n",
              f->api, kp_tag_text(f->tag, tag), f->size, site, kp_thread_id(),
              kp_fail_kind_name(f->kind), f->reason);
  }
  kpi_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = KPI_EVENT_ALLOC_FAILED;
  ev.request = rq;
  ev.status = status;
  ev.fail = f;
  kpi_event(sys, &ev);
}

bool kp_last_failure(kp_fail_info_t *out) {
  const kp_fail_info_t *f = &kpi_thread()->last_fail;
  if (out != NULL) *out = *f;
  return f->kind != KP_FAIL_NONE;
}

void kp_last_failure_clear(void) {
  kpi_thread_t *t = kpi_thread();
  memset(&t->last_fail, 0, sizeof t->last_fail);
  t->fail_kind = KP_FAIL_NONE;
}

void kp_fail_counts(kp_system_t *sys, uint64_t counts[KP_FAIL_KIND_COUNT_]) {
  for (unsigned i = 0; i < KP_FAIL_KIND_COUNT_; i++)
    counts[i] = sys != NULL ? atomic_load(&sys->fail_by_kind[i]) : 0;
}
