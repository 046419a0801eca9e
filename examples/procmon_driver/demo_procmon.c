/*
 * demo_procmon.c — runs the process monitor driver under kpool: loads it
 * with a registry parameter, starts and ends simulated processes, asks it
 * through IOCTLs what it saw (buffered and direct I/O), shows a vetoed
 * process creation, then turns on its seeded bug so Driver Verifier's
 * double-completion check (bug check 0x44) fires, and unloads cleanly.
 * Exit status 0 when everything happened as described.
 */
#include <stdio.h>
#include <string.h>

#include <kpool/kpool.h>

#include "procmon.h"

#define PARAMS "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\ProcMon\\Parameters"

static void out(const char *text, void *arg) {
  (void)arg;
  fputs(text, stdout);
}

static unsigned g_seen;
static void on_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  g_seen = bc->code;
  printf("\n%s\n%s\n%s\n\n", bc->stop_line, bc->name, bc->explanation);
}

int main(void) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = out;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) return 1;
  kp_system_set_current(sys);
  kp_bugcheck_set_handler(sys, on_bugcheck, NULL, NULL, NULL);
  int failures = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("demo: FAILED: %s (line %d)\n", #cond, __LINE__);                 \
      failures++;                                                              \
    }                                                                          \
  } while (0)

  uint32_t max = 8;
  kp_registry_set_value(sys, PARAMS, "MaxProcesses", KP_REG_DWORD, &max, 4);
  kp_driver_t *drv = NULL;
  kp_status_t st = kp_driver_load(sys, "ProcMon", (kp_driver_init_fn)ProcMonDriverEntry, &drv);
  printf("DriverEntry -> 0x%08X (MaxProcesses = %u from the registry)\n", (unsigned)st, max);
  CHECK(st == 0);
  kp_io_handle_t *h = NULL;
  CHECK(kp_io_open(sys, "\\\\.\\ProcMon", KP_GENERIC_READ, &h) == 0);

  uint64_t shell = 0, editor = 0, blocked = 0;
  CHECK(kp_ps_process_create(sys, 4, "\\??\\C:\\Windows\\explorer.exe", NULL, &shell) == 0);
  CHECK(kp_ps_process_create(sys, shell, "\\??\\C:\\Tools\\editor.exe", "editor a.txt", &editor) == 0);
  st = kp_ps_process_create(sys, shell, "\\??\\C:\\Temp\\blocked.exe", NULL, &blocked);
  printf("process create of blocked.exe -> 0x%08X (vetoed by the driver's callback)\n",
         (unsigned)st);
  CHECK(st == (kp_status_t)0xC0000022u);

  ULONG n = 0;
  uint64_t info = 0;
  CHECK(kp_io_ioctl(h, IOCTL_PROCMON_GET_COUNT, NULL, 0, &n, sizeof n, &info) == 0);
  printf("IOCTL_PROCMON_GET_COUNT (buffered) -> %lu processes, Information %llu\n",
         (unsigned long)n, (unsigned long long)info);
  CHECK(n == 2);
  uint64_t ids[8];
  CHECK(kp_io_ioctl(h, IOCTL_PROCMON_LIST, NULL, 0, ids, sizeof ids, &info) == 0);
  printf("IOCTL_PROCMON_LIST (out-direct, an MDL on the caller's buffer) -> %llu bytes:",
         (unsigned long long)info);
  for (uint64_t i = 0; i < info / 8; i++) printf(" %llu", (unsigned long long)ids[i]);
  printf("\n");
  PROCMON_INFO pi;
  CHECK(kp_io_ioctl(h, IOCTL_PROCMON_QUERY, &editor, sizeof editor, &pi, sizeof pi, &info) == 0);
  printf("IOCTL_PROCMON_QUERY %llu -> parent %llu, image \"", (unsigned long long)editor,
         (unsigned long long)pi.ParentId);
  for (ULONG i = 0; i < pi.ImageLength; i++) putchar((char)pi.Image[i]);
  printf("\"\n");

  printf("\nNow the seeded bug: IOCTL_PROCMON_GET_COUNT completes its IRP twice.\n");
  ProcMonSeedDoubleCompletion = TRUE;
  (void)kp_io_ioctl(h, IOCTL_PROCMON_GET_COUNT, NULL, 0, &n, sizeof n, &info);
  ProcMonSeedDoubleCompletion = FALSE;
  CHECK(g_seen == 0x44);

  CHECK(kp_ps_process_exit(sys, editor) == 0);
  CHECK(kp_ps_process_exit(sys, shell) == 0);
  CHECK(kp_io_close(h) == 0);
  st = kp_io_unload(sys, drv);
  printf("Unload -> 0x%08X (devices, links, callbacks, handles and pool all released)\n",
         (unsigned)st);
  CHECK(st == 0);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
  printf(failures == 0 ? "demo: ok\n" : "demo: %d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
