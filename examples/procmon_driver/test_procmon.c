/*
 * test_procmon.c — the process monitor example driver, loaded whole by
 * kpool: registry parameter, simulated processes, IOCTLs with buffered
 * and direct I/O, the veto, a clean unload, and Driver Verifier catching
 * the seeded double completion (0x44).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "procmon.h"

#include <kpool/cmocka.h>
#include <kpool/kpool.h>

#define PARAMS "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\ProcMon\\Parameters"

typedef struct fixture {
  kp_system_t *sys;
  kp_driver_t *drv;
  kp_io_handle_t *h;
} fixture_t;

static void quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static int setup(void **state) {
  static fixture_t f;
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  f.sys = kp_system_create(&cfg);
  if (f.sys == NULL) return -1;
  kp_system_set_current(f.sys);
  uint32_t max = 2;
  kp_registry_set_value(f.sys, PARAMS, "MaxProcesses", KP_REG_DWORD, &max, 4);
  ProcMonSeedDoubleCompletion = FALSE;
  if (kp_driver_load(f.sys, "ProcMon", (kp_driver_init_fn)ProcMonDriverEntry, &f.drv) != 0)
    return -1;
  if (kp_io_open(f.sys, "\\\\.\\ProcMon", KP_GENERIC_READ, &f.h) != 0) return -1;
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  if (f->h != NULL) kp_io_close(f->h);
  kp_status_t st = kp_io_unload(f->sys, f->drv);
  uint32_t bugchecks = kp_bugcheck_count(f->sys);
  kp_system_set_current(NULL);
  kp_system_destroy(f->sys);
  return st == KP_STATUS_SUCCESS && bugchecks == 0 ? 0 : -1;
}

static ULONG count(fixture_t *f) {
  ULONG n = 0;
  uint64_t info = 0;
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_GET_COUNT, NULL, 0, &n, sizeof n, &info), 0);
  assert_int_equal(info, sizeof n);
  return n;
}

static void test_tracks_processes_up_to_the_registry_limit(void **state) {
  fixture_t *f = *state;
  uint64_t a = 0, b = 0, c = 0;
  assert_int_equal(kp_ps_process_create(f->sys, 4, "\\??\\C:\\Windows\\explorer.exe", NULL, &a), 0);
  assert_int_equal(kp_ps_process_create(f->sys, a, "\\??\\C:\\Tools\\editor.exe", "editor x", &b), 0);
  assert_int_equal(kp_ps_process_create(f->sys, a, "\\??\\C:\\Tools\\third.exe", NULL, &c), 0);
  assert_int_equal(count(f), 2);  // MaxProcesses = 2 from the registry
  PROCMON_INFO info;
  uint64_t got = 0;
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_QUERY, &b, sizeof b, &info, sizeof info, &got), 0);
  assert_int_equal(got, sizeof info);
  assert_int_equal(info.ProcessId, b);
  assert_int_equal(info.ParentId, a);
  assert_int_equal(info.ImageLength, 23);
  assert_memory_equal(info.Image, u"\\??\\C:\\Tools\\editor.exe", 23 * 2);
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_QUERY, &c, sizeof c, &info, sizeof info, &got),
                   STATUS_NOT_FOUND);
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_QUERY, &c, 2, &info, sizeof info, &got),
                   STATUS_BUFFER_TOO_SMALL);
  // Direct I/O: the list lands in the caller's buffer through an MDL.
  uint64_t ids[4] = {0, 0, 0, 0};
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_LIST, NULL, 0, ids, sizeof ids, &got), 0);
  assert_int_equal(got, 2 * sizeof(uint64_t));
  assert_int_equal(ids[0], a);
  assert_int_equal(ids[1], b);
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_LIST, NULL, 0, ids, sizeof ids[0], &got),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(got, sizeof(uint64_t));
  // Exits free the entries (back to the lookaside list).
  assert_int_equal(kp_ps_process_exit(f->sys, b), 0);
  assert_int_equal(count(f), 1);
  assert_int_equal(kp_ps_process_exit(f->sys, a), 0);
  assert_int_equal(kp_ps_process_exit(f->sys, c), 0);
  assert_int_equal(count(f), 0);
}

static void test_vetoes_blocked_images(void **state) {
  fixture_t *f = *state;
  uint64_t pid = 1;
  assert_int_equal(kp_ps_process_create(f->sys, 4, "\\??\\C:\\Temp\\BLOCKED.exe", NULL, &pid),
                   STATUS_ACCESS_DENIED);
  assert_int_equal(pid, 0);
  assert_int_equal(count(f), 0);
}

static void test_clear_needs_write_access(void **state) {
  fixture_t *f = *state;
  uint64_t pid = 0;
  assert_int_equal(kp_ps_process_create(f->sys, 4, "\\??\\C:\\a.exe", NULL, &pid), 0);
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_CLEAR, NULL, 0, NULL, 0, NULL),
                   STATUS_ACCESS_DENIED);
  kp_io_handle_t *w = NULL;
  assert_int_equal(kp_io_open(f->sys, "\\DosDevices\\ProcMon", KP_GENERIC_WRITE, &w), 0);
  assert_int_equal(kp_io_ioctl(w, IOCTL_PROCMON_CLEAR, NULL, 0, NULL, 0, NULL), 0);
  assert_int_equal(kp_io_close(w), 0);
  assert_int_equal(count(f), 0);
  assert_int_equal(kp_ps_process_exit(f->sys, pid), 0);
}

static uint32_t g_code;
static uint64_t g_p1;
static int g_count;
static void record(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  g_count++;
  g_code = bc->code;
  g_p1 = bc->params[0];
}

static void test_seeded_double_completion_is_caught(void **state) {
  fixture_t *f = *state;
  // A handler that returns: the driver's second IoCompleteRequest comes
  // back, the request finishes, and the test goes on.
  kp_bugcheck_set_handler(f->sys, record, NULL, NULL, NULL);
  ProcMonSeedDoubleCompletion = TRUE;
  ULONG n = 0;
  uint64_t info = 0;
  assert_int_equal(kp_io_ioctl(f->h, IOCTL_PROCMON_GET_COUNT, NULL, 0, &n, sizeof n, &info), 0);
  ProcMonSeedDoubleCompletion = FALSE;
  assert_int_equal(g_count, 1);
  assert_int_equal(g_code, 0x44);  // MULTIPLE_IRP_COMPLETE_REQUESTS
  assert_int_not_equal(g_p1, 0);   // P1 = the IRP
  // Everything else is still clean: close and unload find nothing.
  assert_int_equal(kp_io_close(f->h), 0);
  f->h = NULL;
  assert_int_equal(kp_io_unload(f->sys, f->drv), KP_STATUS_SUCCESS);
  assert_int_equal(g_count, 1);
  kp_system_set_current(NULL);
  kp_system_destroy(f->sys);
  // A fresh system for the teardown.
  assert_int_equal(setup(state), 0);
}

static void test_leaves_nothing_when_the_callback_is_refused(void **state) {
  (void)state;
  // A system whose image lacks /INTEGRITYCHECK: DriverEntry fails cleanly
  // (no device, link, handle or pool left). Its own system: the driver's
  // globals belong to one loaded instance at a time.
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  kp_system_t *sys = kp_system_create(&cfg);
  kp_system_set_current(sys);
  kp_bugcheck_set_handler(sys, record, NULL, NULL, NULL);
  g_count = 0;
  kp_ps_set_force_integrity(sys, false);
  kp_driver_t *drv = NULL;
  assert_int_equal(kp_driver_load(sys, "ProcMon", (kp_driver_init_fn)ProcMonDriverEntry, &drv),
                   STATUS_ACCESS_DENIED);
  kp_status_t st = kp_driver_unload(sys);
  if (g_count != 0) print_error("bug check 0x%X P1 0x%llX\n", g_code, (unsigned long long)g_p1);
  assert_int_equal(st, KP_STATUS_SUCCESS);
  assert_int_equal(kp_io_unload_findings(sys), 0);
  assert_int_equal(g_count, 0);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_tracks_processes_up_to_the_registry_limit),
      T(test_vetoes_blocked_images),
      T(test_clear_needs_write_access),
      T(test_seeded_double_completion_is_caught),
      cmocka_unit_test(test_leaves_nothing_when_the_callback_is_refused),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
