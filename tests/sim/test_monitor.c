/*
 * test_monitor.c — kpool/monitor.h: the reason of each failed allocation,
 * the monitor's samples and events, the Chrome trace (valid JSON with the
 * promised counters and instants) and the HTML report; and the unload
 * order that puts the root cause first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "kp_test_util.h"

#define MON_TAG KP_TAG('M', 'o', 'n', '1')
#define MON_TAG2 KP_TAG('M', 'o', 'n', '2')

/* ---------------------------------------------------------------------------
 * A buffer for writers, and a small JSON validator (RFC 8259 grammar).
 * ------------------------------------------------------------------------- */
typedef struct buf {
  char *p;
  size_t n, cap;
} buf_t;

static void buf_out(const char *text, void *arg) {
  buf_t *b = arg;
  size_t k = strlen(text);
  if (b->n + k + 1 > b->cap) {
    size_t cap = (b->n + k + 1) * 2;
    char *p = realloc(b->p, cap);
    assert_non_null(p);
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, text, k + 1);
  b->n += k;
}

static const char *json_value(const char *s);

static const char *json_ws(const char *s) {
  while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
  return s;
}

static const char *json_string(const char *s) {
  if (*s != '"') return NULL;
  for (s++; *s != '"'; s++) {
    if ((unsigned char)*s < 0x20) return NULL;
    if (*s == '\\') {
      s++;
      if (*s == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                (s[i] >= 'A' && s[i] <= 'F')))
            return NULL;
        s += 4;
      } else if (strchr("\"\\/bfnrt", *s) == NULL || *s == '\0') {
        return NULL;
      }
    }
  }
  return s + 1;
}

static const char *json_number(const char *s) {
  if (*s == '-') s++;
  if (*s < '0' || *s > '9') return NULL;
  while (*s >= '0' && *s <= '9') s++;
  if (*s == '.') {
    s++;
    if (*s < '0' || *s > '9') return NULL;
    while (*s >= '0' && *s <= '9') s++;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (*s < '0' || *s > '9') return NULL;
    while (*s >= '0' && *s <= '9') s++;
  }
  return s;
}

static const char *json_value(const char *s) {
  s = json_ws(s);
  if (*s == '{') {
    s = json_ws(s + 1);
    if (*s == '}') return s + 1;
    for (;;) {
      s = json_string(json_ws(s));
      if (s == NULL) return NULL;
      s = json_ws(s);
      if (*s != ':') return NULL;
      s = json_value(s + 1);
      if (s == NULL) return NULL;
      s = json_ws(s);
      if (*s == '}') return s + 1;
      if (*s != ',') return NULL;
      s++;
    }
  }
  if (*s == '[') {
    s = json_ws(s + 1);
    if (*s == ']') return s + 1;
    for (;;) {
      s = json_value(s);
      if (s == NULL) return NULL;
      s = json_ws(s);
      if (*s == ']') return s + 1;
      if (*s != ',') return NULL;
      s++;
    }
  }
  if (*s == '"') return json_string(s);
  if (strncmp(s, "true", 4) == 0) return s + 4;
  if (strncmp(s, "false", 5) == 0) return s + 5;
  if (strncmp(s, "null", 4) == 0) return s + 4;
  return json_number(s);
}

static bool json_valid(const char *s) {
  const char *end = json_value(s);
  return end != NULL && *json_ws(end) == '\0';
}

static size_t count_of(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) n++;
  return n;
}

/* ---------------------------------------------------------------------------
 * Failure reasons.
 * ------------------------------------------------------------------------- */
static void test_reason_reserved_bits_in_extended_parameter(void **state) {
  kp_system_t *sys = *state;
  kp_last_failure_clear();
  assert_false(kp_last_failure(NULL));
  kp_pool_param_t param;
  memset(&param, 0, sizeof param);
  param.type = KP_PARAM_PRIORITY;
  param.reserved = 1;
  param.value.priority = KP_PRIORITY_NORMAL;
  void *p = kp_alloc3(sys, KPT_NP, 64, MON_TAG, &param, 1, KP_HERE);
  assert_null(p);
  kp_fail_info_t f;
  assert_true(kp_last_failure(&f));
  assert_int_equal(f.kind, KP_FAIL_RULE);
  assert_string_equal(f.reason, "extended parameter 0 (type 1): the Reserved bits are not zero");
  assert_string_equal(f.api, "ExAllocatePool3");
  assert_int_equal(f.tag, MON_TAG);
  assert_int_equal(f.size, 64);
  assert_non_null(f.site.file);
  assert_int_equal(f.status, KP_STATUS_INSUFFICIENT_RESOURCES);
  uint64_t counts[KP_FAIL_KIND_COUNT_];
  kp_fail_counts(sys, counts);
  assert_int_equal(counts[KP_FAIL_RULE], 1);
  // Silent by default, as on Windows.
  assert_null(strstr(kpt_output, "failed"));
}

static void test_reason_flags_and_tag(void **state) {
  kp_system_t *sys = *state;
  assert_null(kp_alloc2(sys, KPT_NP | KPT_PG, 16, MON_TAG, KP_HERE));
  kp_fail_info_t f;
  assert_true(kp_last_failure(&f));
  assert_int_equal(f.kind, KP_FAIL_RULE);
  assert_non_null(strstr(f.reason, "names 2 pool types, not one"));
  assert_null(kp_alloc2(sys, 0, 16, MON_TAG, KP_HERE));
  assert_true(kp_last_failure(&f));
  assert_non_null(strstr(f.reason, "names no pool type"));
  assert_null(kp_alloc2(sys, KPT_NP, 16, 0, KP_HERE));
  assert_true(kp_last_failure(&f));
  assert_string_equal(f.reason, "the tag is 0");
  assert_string_equal(kp_fail_kind_name(KP_FAIL_RULE), "rule");
  assert_string_equal(kp_fail_kind_name((kp_fail_kind_t)99), "unknown");
}

static void test_reason_pressure_and_print(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.print_failures = true;
  kp_system_t *sys = kpt_system(&cfg);
  assert_non_null(sys);
  assert_null(kp_alloc2(sys, KPT_NP, (size_t)64 << 20, MON_TAG, KP_HERE));
  kp_fail_info_t f;
  assert_true(kp_last_failure(&f));
  assert_int_equal(f.kind, KP_FAIL_PRESSURE);
  assert_non_null(strstr(f.reason, "non-paged pool cannot serve 67108864 bytes"));
  // The printed line names the API, tag, site and reason.
  assert_non_null(strstr(kpt_output, "kpool: ExAllocatePool2('Mon1', 67108864 bytes) at "));
  assert_non_null(strstr(kpt_output, "test_monitor.c:"));
  assert_non_null(strstr(kpt_output, "failed (pressure)"));
  // The verifier-style report counts failures by reason.
  kpt_output_reset();
  kp_verifier_report(sys, NULL, NULL);
  assert_non_null(strstr(kpt_output, "Failed by pool pressure                 1"));
  assert_non_null(strstr(kpt_output, "Failed by rule (flags, tag, parameters) 0"));
  kp_system_destroy(sys);
}

static void test_reason_injected_and_quota(void **state) {
  (void)state;
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.fail_nth = 1;
  cfg.quota_limit = 4096;
  kp_system_t *sys = kpt_system(&cfg);
  assert_non_null(sys);
  assert_null(kp_alloc2(sys, KPT_NP, 32, MON_TAG, KP_HERE));
  kp_fail_info_t f;
  assert_true(kp_last_failure(&f));
  assert_int_equal(f.kind, KP_FAIL_INJECTED);
  assert_non_null(strstr(f.reason, "low resources simulation (fail the Nth allocation)"));
  assert_null(kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 8192, MON_TAG, KP_HERE));
  assert_true(kp_last_failure(&f));
  assert_int_equal(f.kind, KP_FAIL_QUOTA);
  assert_non_null(strstr(f.reason, "quota"));
  uint64_t counts[KP_FAIL_KIND_COUNT_];
  kp_fail_counts(sys, counts);
  assert_int_equal(counts[KP_FAIL_INJECTED], 1);
  assert_int_equal(counts[KP_FAIL_QUOTA], 1);
  // A success leaves the last failure in place until cleared.
  void *p = kp_alloc2(sys, KPT_NP, 32, MON_TAG, KP_HERE);
  assert_non_null(p);
  assert_true(kp_last_failure(NULL));
  kp_last_failure_clear();
  assert_false(kp_last_failure(&f));
  assert_int_equal(f.kind, KP_FAIL_NONE);
  kp_free(sys, p, MON_TAG, KP_HERE);
  kp_system_destroy(sys);
}

/* ---------------------------------------------------------------------------
 * The monitor.
 * ------------------------------------------------------------------------- */
static void test_monitor_start_bad_input(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_monitor_start(NULL, NULL), KP_STATUS_INVALID_PARAMETER_1);
  kp_monitor_options_t o;
  kp_monitor_options_init(&o);
  o.max_samples = 8;
  assert_int_equal(kp_monitor_start(sys, &o), KP_STATUS_INVALID_PARAMETER_2);
  kp_monitor_options_init(&o);
  o.size = 3;
  assert_int_equal(kp_monitor_start(sys, &o), KP_STATUS_INVALID_PARAMETER_2);
  assert_false(kp_monitor_active(sys));
  kp_monitor_counts_t c;
  assert_false(kp_monitor_counts(sys, &c));
  assert_int_equal(kp_trace_write(sys, buf_out, NULL), KP_STATUS_UNSUCCESSFUL);
  assert_int_equal(kp_html_report(sys, buf_out, NULL), KP_STATUS_UNSUCCESSFUL);
  assert_int_equal(kp_trace_write(NULL, buf_out, NULL), KP_STATUS_INVALID_PARAMETER_1);
  // Marks and samples are harmless when it does not run.
  kp_monitor_mark(sys, "nothing");
  kp_monitor_sample(sys);
  assert_int_equal(kp_monitor_start(sys, NULL), KP_STATUS_SUCCESS);
  assert_true(kp_monitor_active(sys));
  assert_int_equal(kp_monitor_start(sys, NULL), KP_STATUS_UNSUCCESSFUL);
  assert_int_equal(kp_trace_write_file(sys, NULL), KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_trace_write_file(sys, "/nonexistent-dir/x/trace.json"),
                   KP_STATUS_ACCESS_DENIED);
}

static void test_monitor_samples_are_bounded(void **state) {
  kp_system_t *sys = *state;
  kp_monitor_options_t o;
  kp_monitor_options_init(&o);
  o.max_samples = 16;
  o.max_events = 16;
  assert_int_equal(kp_monitor_start(sys, &o), KP_STATUS_SUCCESS);
  void *p[40];
  for (int i = 0; i < 40; i++) {
    p[i] = kp_alloc2(sys, KPT_NP, 100, MON_TAG, KP_HERE);
    kp_clock_advance(sys, 1000);  // one tick: one sample
  }
  kp_monitor_counts_t c;
  assert_true(kp_monitor_counts(sys, &c));
  assert_int_equal(c.samples_taken, 41);
  assert_true(c.samples <= 16);
  assert_true(c.samples >= 8);
  assert_int_equal(c.series, 1);
  for (int i = 0; i < 20; i++) kp_monitor_mark(sys, "m");
  assert_true(kp_monitor_counts(sys, &c));
  assert_int_equal(c.events, 16);
  assert_int_equal(c.events_dropped, 4);
  // The whole span stays visible: the first sample is still at 0 ms.
  buf_t b = {0};
  assert_int_equal(kp_trace_write(sys, buf_out, &b), KP_STATUS_SUCCESS);
  assert_true(json_valid(b.p));
  assert_non_null(strstr(b.p, "{\"name\":\"pool bytes\",\"ph\":\"C\",\"ts\":0,"));
  assert_non_null(strstr(b.p, "\"ts\":40000000,"));
  assert_non_null(strstr(b.p, "\"events_dropped\":4"));
  free(b.p);
  for (int i = 0; i < 40; i++) kp_free(sys, p[i], MON_TAG, KP_HERE);
}

static void test_trace_content(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_monitor_start(sys, NULL), KP_STATUS_SUCCESS);
  _Alignas(16) kp_lookaside_t list;
  memset(&list, 0, sizeof list);
  kp_lookaside_init(sys, &list, KP_LOOKASIDE_NPAGED, NULL, NULL, 0, 48, MON_TAG2, 0,
                    KP_HERE);
  void *a = kp_alloc2(sys, KPT_PG, 200, MON_TAG, KP_HERE);
  void *e = kp_lookaside_alloc(sys, &list, KP_HERE);
  kp_lookaside_free(sys, &list, e, KP_HERE);
  e = kp_lookaside_alloc(sys, &list, KP_HERE);  // a hit
  kp_clock_advance(sys, 2000);
  assert_null(kp_alloc2(sys, KPT_NP, 16, 0, KP_HERE));  // fails by rule
  kp_monitor_mark(sys, "phase \"two\"");
  bool caught;
  KPT_CATCH(caught, kp_free(sys, a, MON_TAG2, KP_HERE));  // 0xC2/0x0A
  assert_true(caught);
  buf_t b = {0};
  assert_int_equal(kp_trace_write(sys, buf_out, &b), KP_STATUS_SUCCESS);
  assert_true(json_valid(b.p));
  assert_true(strncmp(b.p, "{\"traceEvents\":[", 16) == 0);
  assert_non_null(strstr(b.p, "\"displayTimeUnit\":\"ms\""));
  assert_non_null(strstr(b.p, "{\"name\":\"tag Mon1 bytes\",\"ph\":\"C\""));
  assert_non_null(strstr(b.p, "\"ph\":\"C\",\"ts\":2000000,\"pid\":1,\"tid\":0,\"args\":{\"paged\":224}"));
  assert_non_null(strstr(b.p, "{\"name\":\"lookaside Mon2@"));
  assert_non_null(strstr(b.p, "\"hit_percent\":50.0"));
  assert_non_null(strstr(b.p, "\"name\":\"alloc failed      (rule)\""));
  assert_non_null(strstr(b.p, "\"reason\":\"the tag is 0\""));
  assert_non_null(strstr(b.p, "\"injected\":false"));
  assert_non_null(strstr(b.p, "\"name\":\"bugcheck 0xC2 BAD_POOL_CALLER\""));
  assert_non_null(strstr(b.p, "\"p1\":\"0xA\""));
  assert_non_null(strstr(b.p, "\"name\":\"phase \\\"two\\\"\",\"cat\":\"mark\""));
  assert_non_null(strstr(b.p, "\"host_us\":"));
  assert_non_null(strstr(b.p, "\"ts\":2000000,"));
  kp_monitor_counts_t c;
  assert_true(kp_monitor_counts(sys, &c));
  assert_int_equal(c.bugchecks, 1);
  assert_int_equal(c.failures, 1);
  assert_int_equal(c.lists, 1);
  free(b.p);
  kp_lookaside_free(sys, &list, e, KP_HERE);
  kp_lookaside_delete(sys, &list, KP_HERE);
  kp_free(sys, a, MON_TAG, KP_HERE);
}

static void test_html_content(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_monitor_start(sys, NULL), KP_STATUS_SUCCESS);
  _Alignas(16) kp_lookaside_t list;
  memset(&list, 0, sizeof list);
  kp_lookaside_init(sys, &list, KP_LOOKASIDE_NPAGED, NULL, NULL, 0, 48, MON_TAG2, 0,
                    KP_HERE);
  void *a = kp_alloc2(sys, KPT_NP, 100, MON_TAG, KP_HERE);
  void *e = kp_lookaside_alloc(sys, &list, KP_HERE);
  kp_clock_advance(sys, 3000);
  assert_null(kp_alloc2(sys, KPT_NP, 16, 0, KP_HERE));
  bool caught;
  KPT_CATCH(caught, kp_free(sys, a, MON_TAG2, KP_HERE));
  assert_true(caught);
  buf_t b = {0};
  assert_int_equal(kp_html_report(sys, buf_out, &b), KP_STATUS_SUCCESS);
  assert_true(strncmp(b.p, "<!DOCTYPE html>", 15) == 0);
  assert_non_null(strstr(b.p, "</html>"));
  // Self-contained: no external resource of any kind.
  assert_null(strstr(b.p, "src="));
  assert_null(strstr(b.p, "href="));
  assert_null(strstr(b.p, "@import"));
  assert_null(strstr(b.p, "url("));
  // Every chart that the page promises.
  assert_non_null(strstr(b.p, "id=\"kp-pools\""));
  assert_non_null(strstr(b.p, "id=\"kp-tags\""));
  assert_non_null(strstr(b.p, "id=\"kp-list-0\""));
  assert_non_null(strstr(b.p, "id=\"kp-list-hit-0\""));
  assert_int_equal(count_of(b.p, "<svg class=\"kp-chart\""), 4);
  assert_true(count_of(b.p, "<polyline class=\"kp-line\"") >= 6);
  // The tables and the bug check with its report.
  assert_non_null(strstr(b.p, "<h2 id=\"poolmon\">PoolMon</h2>"));
  assert_non_null(strstr(b.p, "<code>Mon1</code></td><td class=\"l\">Nonp</td><td>1</td>"));
  assert_non_null(strstr(b.p, "<b>0x000000C2 BAD_POOL_CALLER</b>"));
  assert_non_null(strstr(b.p, "*** STOP: 0x000000C2 (0x000000000000000A"));
  assert_non_null(strstr(b.p, "the tag is 0"));
  assert_non_null(strstr(b.p, "Outstanding allocations by tag and site"));
  assert_non_null(strstr(b.p, "test_monitor.c:"));
  assert_non_null(strstr(b.p, "<div id=\"kp-check\">"));
  free(b.p);
  kp_lookaside_free(sys, &list, e, KP_HERE);
  kp_lookaside_delete(sys, &list, KP_HERE);
  kp_free(sys, a, MON_TAG, KP_HERE);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  buf_t b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
    chunk[n] = '\0';
    buf_out(chunk, &b);
  }
  fclose(f);
  return b.p;
}

/* Files named in the configuration are written at unload, before the first
 * bug check is raised, with every unload finding in them once. */
static void test_files_written_at_unload(void **state) {
  (void)state;
  char trace[64], html[64];
  snprintf(trace, sizeof trace, "kp-monitor-%d.json", (int)kp_thread_id());
  snprintf(html, sizeof html, "kp-monitor-%d.html", (int)kp_thread_id());
  remove(trace);
  remove(html);
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.trace_path = trace;
  cfg.html_report_path = html;
  kp_system_t *sys = kpt_system(&cfg);
  assert_non_null(sys);
  assert_true(kp_monitor_active(sys));
  void *a = kp_alloc2(sys, KPT_NP, 10, MON_TAG, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  char *t = slurp(trace);
  char *h = slurp(html);
  assert_non_null(t);
  assert_non_null(h);
  assert_true(json_valid(t));
  assert_int_equal(count_of(t, "\"name\":\"bugcheck 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION\""), 1);
  assert_non_null(strstr(t, "\"name\":\"driver unload kpool-driver.sys\""));
  assert_non_null(strstr(h, "0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION</b> (0x62"));
  assert_non_null(strstr(kpt_output, "HTML report written to"));
  free(t);
  free(h);
  kp_free(sys, a, MON_TAG, KP_HERE);
  kp_system_destroy(sys);
  remove(trace);
  remove(html);
}

/* ---------------------------------------------------------------------------
 * Root cause first at unload.
 * ------------------------------------------------------------------------- */
static void test_undeleted_lookaside_list_is_the_root_cause(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t list;
  memset(&list, 0, sizeof list);
  kp_lookaside_init(sys, &list, KP_LOOKASIDE_NPAGED, NULL, NULL, 0, 48, MON_TAG2, 0,
                    KP_HERE);
  void *e1 = kp_lookaside_alloc(sys, &list, KP_HERE);
  void *e2 = kp_lookaside_alloc(sys, &list, KP_HERE);
  kp_lookaside_free(sys, &list, e1, KP_HERE);  // cached
  kp_lookaside_free(sys, &list, e2, KP_HERE);  // cached
  void *own = kp_alloc2(sys, KPT_NP, 24, MON_TAG, KP_HERE);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC7, kpt_last.p[0], (void)kp_driver_unload(sys));
  assert_int_equal(kpt_last.code, 0xC7);
  assert_non_null(strstr(kpt_last.explanation, "finding 1 of 2"));
  // The leak report separates the driver's own leak from the entries the
  // list holds, and names the list.
  assert_non_null(strstr(kpt_output, "3 outstanding allocations: 1 the driver's own, 2 held by objects reported above"));
  assert_non_null(strstr(kpt_output, "Tag 'Mon1'"));
  assert_int_equal(count_of(kpt_output, "(tag \"Mon2\"), which was never deleted (a consequence"), 2);
  assert_true(strstr(kpt_output, "lookaside list is still active") <
              strstr(kpt_output, "outstanding allocations"));
  kp_lookaside_delete(sys, &list, KP_HERE);
  kp_free(sys, own, MON_TAG, KP_HERE);
}

/* Samples, marks and writers while other threads allocate, fail and free:
 * the TSan build checks the monitor's locking. */
typedef struct churn {
  kp_system_t *sys;
  int failures;
} churn_t;

static void *churn_thread(void *arg) {
  churn_t *c = arg;
  for (int i = 0; i < 2000; i++) {
    void *p = kp_alloc2(c->sys, KPT_NP, (size_t)(16 + i % 200), MON_TAG, KP_HERE);
    if (i % 100 == 0 && kp_alloc2(c->sys, KPT_NP, 16, 0, KP_HERE) == NULL) c->failures++;
    if (p != NULL) kp_free(c->sys, p, MON_TAG, KP_HERE);
  }
  return NULL;
}

static void sink(const char *text, void *arg) {
  (void)text;
  (*(size_t *)arg)++;
}

static void test_monitor_threads(void **state) {
  kp_system_t *sys = *state;
  kp_monitor_options_t o;
  kp_monitor_options_init(&o);
  o.max_samples = 32;
  assert_int_equal(kp_monitor_start(sys, &o), KP_STATUS_SUCCESS);
  churn_t c[2] = {{sys, 0}, {sys, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, churn_thread, &c[i]), 0);
  size_t pieces = 0;
  for (int i = 0; i < 40; i++) {
    kp_monitor_sample(sys);
    kp_monitor_mark(sys, "tick");
    if (i % 10 == 0) {
      assert_int_equal(kp_trace_write(sys, sink, &pieces), KP_STATUS_SUCCESS);
      assert_int_equal(kp_html_report(sys, sink, &pieces), KP_STATUS_SUCCESS);
    }
  }
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
  assert_true(pieces > 0);
  kp_monitor_counts_t mc;
  assert_true(kp_monitor_counts(sys, &mc));
  assert_int_equal(mc.failures, (uint32_t)(c[0].failures + c[1].failures));
  assert_true(mc.samples <= 32);
  uint64_t counts[KP_FAIL_KIND_COUNT_];
  kp_fail_counts(sys, counts);
  assert_int_equal(counts[KP_FAIL_RULE], 40);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_reason_reserved_bits_in_extended_parameter,
                                      kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_reason_flags_and_tag, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_reason_pressure_and_print),
      cmocka_unit_test(test_reason_injected_and_quota),
      cmocka_unit_test_setup_teardown(test_monitor_start_bad_input, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_monitor_samples_are_bounded, kpt_setup,
                                      kpt_teardown),
      cmocka_unit_test_setup_teardown(test_trace_content, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_html_content, kpt_setup, kpt_teardown),
      cmocka_unit_test(test_files_written_at_unload),
      cmocka_unit_test_setup_teardown(test_undeleted_lookaside_list_is_the_root_cause,
                                      kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_monitor_threads, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
