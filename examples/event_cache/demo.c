/*
 * demo.c — kpool_demo: runs the event cache (a driver component written
 * against <ntddk.h> only) on a simulated Windows pool, the way a driver's
 * unit test would, and shows what kpool reports.
 *
 *   1. create a cache for 8 events; three sources post 24 events of
 *      16..600 bytes, four of them retransmissions of an id still cached
 *      (replace), and more than fit (evict);
 *   2. look events up (copy-out under the spin lock);
 *   3. memory pressure: the non-paged pool is limited to what is in use,
 *      an insert fails with STATUS_INSUFFICIENT_RESOURCES and the cache
 *      stays intact;
 *   4. the PoolMon table and the same figures as one JSON line;
 *   5. a deliberate bug: a record freed with the wrong tag. The demo's bug
 *      check handler prints kpool's standard report and returns, so the
 *      run goes on (a real machine would have stopped);
 *   6. teardown and the driver-unload check: nothing leaked. Exit 0.
 *
 *   kpool_demo [--html REPORT.html] [--trace TRACE.json]
 *
 * With --html / --trace the monitor runs (kpool/monitor.h): the virtual
 * clock moves one second between the steps, each step is a mark, and the
 * HTML report and the Chrome trace are written at the driver-unload check.
 *
 * This file is the test harness, so it also uses the core kp_ API (system,
 * handler, reports); event_cache.c uses WDK names only.
 */
#include <stdio.h>
#include <string.h>

#include <kpool/kpool.h>

#include "event_cache.h"

/* What the demo's bug check handler saw. */
typedef struct demo_bugchecks {
  unsigned count;
  uint32_t code;
  uint64_t params[4];
} demo_bugchecks_t;

static void out_stdout(const char *text, void *arg) {
  (void)arg;
  fputs(text, stdout);
}

/* Prints kpool's standard report and returns: the simulator then abandons
 * the operation that bug checked (a free does nothing) and the demo goes
 * on. */
static void demo_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  demo_bugchecks_t *seen = arg;
  seen->count++;
  seen->code = bc->code;
  memcpy(seen->params, bc->params, sizeof seen->params);
  fputs("\n", stdout);
  kp_bugcheck_print(bc, out_stdout, NULL);
  fputs("\n", stdout);
}

static const char *status_text(NTSTATUS status) {
  const char *name = kp_status_name(status);
  return name != NULL ? name : "?";
}

/* Posts the scenario's events: three sources, 24 events; every sixth is a
 * retransmission of the event posted two before (same id: a replace). */
static unsigned post_events(PEVENT_CACHE cache) {
  static const char *const sources[3] = {"disk", "net", "usb"};
  unsigned failures = 0;
  ULONG ids[24];
  ULONG next_id = 1;
  UCHAR payload[600];
  for (ULONG i = 0; i < 24; i++) {
    ids[i] = i % 6 == 5 ? ids[i - 2] : next_id++;
    ULONG length = 16 + (i * 97) % 585;
    int n = snprintf((char *)payload, sizeof payload, "%s event %lu #%lu",
                     sources[i % 3], (unsigned long)ids[i], (unsigned long)i);
    if (n < 0) n = 0;
    if (length < (ULONG)n) length = (ULONG)n;
    memset(payload + n, '.', length - (ULONG)n);
    NTSTATUS status = EvcInsert(cache, ids[i], i % 3, payload, length);
    if (!NT_SUCCESS(status)) failures++;
  }
  return failures;
}

static void show_lookup(PEVENT_CACHE cache, ULONG id) {
  char buffer[64];
  ULONG length = 0, kind = 0;
  NTSTATUS status = EvcLookup(cache, id, buffer, sizeof buffer - 1, &length, &kind);
  if (status == STATUS_BUFFER_TOO_SMALL) {
    // Ask again with a buffer of the size the cache reported.
    static char big[EVC_MAX_DATA + 1];
    status = EvcLookup(cache, id, big, sizeof big - 1, &length, &kind);
    if (NT_SUCCESS(status))
      printf("  event %2lu: kind %lu, %3lu bytes (buffer too small, asked again): "
             "\"%.24s...\"\n",
             (unsigned long)id, (unsigned long)kind, (unsigned long)length, big);
    return;
  }
  if (!NT_SUCCESS(status)) {
    printf("  event %2lu: %s\n", (unsigned long)id, status_text(status));
    return;
  }
  buffer[length] = '\0';
  printf("  event %2lu: kind %lu, %3lu bytes: \"%.24s...\"\n", (unsigned long)id,
         (unsigned long)kind, (unsigned long)length, buffer);
}

static void show_stats(PEVENT_CACHE cache) {
  EVC_STATISTICS st;
  EvcQueryStatistics(cache, &st);
  printf("  cache: %lu/%lu records, %llu inserted, %llu replaced, %llu evicted, "
         "%llu allocation failures\n",
         (unsigned long)st.Count, (unsigned long)st.Capacity,
         (unsigned long long)st.Inserted, (unsigned long long)st.Replaced,
         (unsigned long long)st.Evicted, (unsigned long long)st.AllocationFailures);
}

/* The next step: a second of virtual time and a mark in the trace. */
static void step(kp_system_t *sys, const char *title) {
  kp_clock_advance(sys, 1000);
  kp_monitor_mark(sys, title);
}

int main(int argc, char **argv) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.driver_name = "evcache.sys";
  cfg.out = out_stdout;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--html") == 0) {
      cfg.html_report_path = argv[i + 1];
    } else if (strcmp(argv[i], "--trace") == 0) {
      cfg.trace_path = argv[i + 1];
    } else {
      fprintf(stderr, "usage: kpool_demo [--html REPORT.html] [--trace TRACE.json]\n");
      return 2;
    }
  }
  if (argc % 2 == 0) {
    fprintf(stderr, "usage: kpool_demo [--html REPORT.html] [--trace TRACE.json]\n");
    return 2;
  }
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) {
    fprintf(stderr, "kpool_demo: cannot create the simulated system\n");
    return 1;
  }
  // The WDK names act on the current system.
  kp_system_t *previous = kp_system_set_current(sys);
  demo_bugchecks_t seen;
  memset(&seen, 0, sizeof seen);
  kp_bugcheck_set_handler(sys, demo_bugcheck, &seen, NULL, NULL);
  int exit_code = 0;

  printf("kpool demo: an event cache (driver code written against <ntddk.h>)\n"
         "on a simulated Windows pool with Driver Verifier's checks on.\n\n");

  printf("1. Create a cache for 8 events; 3 sources post 24 events.\n");
  step(sys, "1. create and post");
  PEVENT_CACHE cache = NULL;
  NTSTATUS status = EvcCreate(8, &cache);
  if (!NT_SUCCESS(status)) {
    printf("  EvcCreate: %s\n", status_text(status));
    exit_code = 1;
  } else {
    unsigned failures = post_events(cache);
    printf("  %u inserts failed\n", failures);
    show_stats(cache);

    step(sys, "2. look up");
    printf("\n2. Look events up (the payload is copied out under the spin lock).\n");
    show_lookup(cache, 19); // posted twice: the retransmission replaced it
    show_lookup(cache, 13); // the oldest still cached
    show_lookup(cache, 5);  // evicted: only the 8 newest are kept

    step(sys, "3. memory pressure");
    printf("\n3. Memory pressure: non-paged pool limited to what is in use.\n");
    kp_stats_t st = KP_STATS_INIT;
    (void)kp_stats_get(sys, &st);
    kp_pool_set_available(sys, KP_POOL_NONPAGED, 0,
                          (size_t)st.pool[KP_POOL_NONPAGED].bytes);
    UCHAR small[32] = "late event";
    status = EvcInsert(cache, 99, 0, small, sizeof small);
    printf("  EvcInsert(99): %s\n", status_text(status));
    show_stats(cache);
    show_lookup(cache, 13); // the oldest is still there: nothing was evicted
    kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, SIZE_MAX);
    status = EvcInsert(cache, 99, 0, small, sizeof small);
    printf("  pressure gone, EvcInsert(99): %s\n", status_text(status));

    step(sys, "4. PoolMon");
    printf("\n4. PoolMon, as the driver developer knows it:\n\n");
    kp_report_poolmon(sys, out_stdout, NULL);
    printf("\n   and the same figures as JSON:\n\n");
    kp_report_json(sys, out_stdout, NULL);

    step(sys, "5. a bug");
    printf("\n5. A bug: EvcDropOldestWithWrongTag frees a record with the\n"
           "   cache's tag 'EvCc' instead of 'EvC1'. On Windows, a blue screen:\n");
    (void)EvcDropOldestWithWrongTag(cache);
    if (seen.count == 1 && seen.code == KP_BUGCHECK_BAD_POOL_CALLER &&
        seen.params[0] == 0x0A) {
      // The handler returned, so kpool abandoned the free: the record is
      // still allocated. Free it with the right tag to finish cleanly.
      printf("   kpool caught it. The handler returned, so the free was abandoned;\n"
             "   the demo now frees the record with the right tag.\n");
      ExFreePoolWithTag((PVOID)(uintptr_t)seen.params[1], EVC_RECORD_TAG);
    } else {
      printf("   expected BAD_POOL_CALLER 0x0A, saw %u bug check(s)\n", seen.count);
      exit_code = 1;
    }

    step(sys, "6. teardown");
    printf("\n6. Teardown and the driver-unload check.\n");
    EvcDestroy(cache);
  }
  status = kp_driver_unload(sys);
  printf("  kp_driver_unload: %s (%u bug check%s in this run, all shown above)\n",
         status_text(status), seen.count, seen.count == 1 ? "" : "s");
  if (!NT_SUCCESS(status) || seen.count != 1) exit_code = 1;

  kp_system_set_current(previous);
  kp_system_destroy(sys);
  return exit_code;
}
