/**
 * @file examples/procmon_driver/fuzz_procmon.c
 * @brief libFuzzer harness for the process monitor driver's IOCTL
 *        interface, with fuzzer-driven allocation failures (kpool/fuzz.h).
 *
 * Input: kp_fuzz_split() gives the fault plan (one bit per allocation,
 * 1 = fail; the driver's, the I/O manager's and the registry's) and the
 * script: MaxProcesses, then operations chosen by a selector byte: start
 * a process, end one, or send an IOCTL whose control code (one of the
 * driver's, or any 32-bit value), input and output sizes and input bytes
 * come from the input. Every call must return a documented status and no
 * bug check may happen; at the end the driver unloads and the unload
 * check must be clean (no leak on any failure path, DriverEntry's
 * included).
 *
 * Built as fuzz_procmon (libFuzzer, clang with KPOOL_BUILD_FUZZERS=ON) and
 * fuzz_procmon_regress (any compiler; CTest replays fuzz_corpus/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/fuzz.h>
#include <kpool/kpool.h>

#include "fuzz_helpers.h"
#include "procmon.h"

#define FP_MAX_PIDS 8
#define FP_MAX_BUF 96

static void fp_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void fp_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  kp_bugcheck_print(bc, NULL, NULL);
  fuzz_assert_fail("no bug check (driver misuse, or a leak at unload)", __FILE__, __LINE__);
}

static const uint32_t fp_codes[] = {IOCTL_PROCMON_GET_COUNT, IOCTL_PROCMON_QUERY,
                                    IOCTL_PROCMON_LIST, IOCTL_PROCMON_CLEAR};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = fp_quiet;
  cfg.paged_pool_bytes = (size_t)4 << 20;
  cfg.nonpaged_pool_bytes = (size_t)4 << 20;
  kp_system_t *sys = kp_system_create(&cfg);
  FUZZ_ASSERT(sys != NULL);
  kp_bugcheck_set_handler(sys, fp_bugcheck, NULL, NULL, NULL);
  kp_system_t *old = kp_system_set_current(sys);

  const uint8_t *plan = NULL, *rest = NULL;
  size_t plan_size = 0, rest_size = 0;
  kp_fuzz_split(data, size, &plan, &plan_size, &rest, &rest_size);
  fuzz_data_t d = fuzz_data_init(rest, rest_size);
  uint32_t max = (uint32_t)fuzz_range(&d, 0, 6);
  (void)kp_registry_set_value(sys, "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"
                              "ProcMon\\Parameters", "MaxProcesses", KP_REG_DWORD, &max, 4);
  FUZZ_ASSERT(kp_fuzz_faults_begin(sys, plan, plan_size) == STATUS_SUCCESS);

  kp_driver_t *drv = NULL;
  kp_status_t st = kp_driver_load(sys, "ProcMon", (kp_driver_init_fn)ProcMonDriverEntry, &drv);
  FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_INSUFFICIENT_RESOURCES);
  kp_io_handle_t *h = NULL;
  if (drv != NULL) {
    st = kp_io_open(sys, "\\\\.\\ProcMon", KP_GENERIC_READ | KP_GENERIC_WRITE, &h);
    FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_INSUFFICIENT_RESOURCES);
  }
  uint64_t pids[FP_MAX_PIDS];
  size_t npids = 0;
  uint8_t in[FP_MAX_BUF], out[FP_MAX_BUF];
  while (!fuzz_data_empty(&d)) {
    switch (fuzz_u8(&d) % 3) {
      case 0: {  // start a process (a few are vetoed)
        if (npids == FP_MAX_PIDS) break;
        const char *img = fuzz_bool(&d) ? "\\??\\C:\\x\\blocked.exe" : "\\??\\C:\\x\\tool.exe";
        uint64_t pid = 0;
        st = kp_ps_process_create(sys, 4, img, NULL, &pid);
        FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_ACCESS_DENIED ||
                    st == STATUS_INSUFFICIENT_RESOURCES);
        if (st == STATUS_SUCCESS) pids[npids++] = pid;
        break;
      }
      case 1: {  // end one
        if (npids == 0) break;
        size_t i = (size_t)fuzz_range(&d, 0, npids - 1);
        FUZZ_ASSERT(kp_ps_process_exit(sys, pids[i]) == STATUS_SUCCESS);
        pids[i] = pids[--npids];
        break;
      }
      default: {  // an IOCTL
        if (h == NULL) break;
        uint32_t code = fuzz_bool(&d) ? fp_codes[fuzz_range(&d, 0, 3)] : (uint32_t)fuzz_u32(&d);
        uint32_t in_len = (uint32_t)fuzz_range(&d, 0, FP_MAX_BUF);
        uint32_t out_len = (uint32_t)fuzz_range(&d, 0, FP_MAX_BUF);
        for (uint32_t i = 0; i < in_len; i++) in[i] = fuzz_u8(&d);
        if (in_len >= 8 && npids != 0 && fuzz_bool(&d)) memcpy(in, &pids[0], 8);
        uint64_t info = 0;
        st = kp_io_ioctl(h, code, in_len ? in : NULL, in_len, out_len ? out : NULL, out_len, &info);
        FUZZ_ASSERT(st == STATUS_SUCCESS || st == STATUS_BUFFER_TOO_SMALL ||
                    st == STATUS_BUFFER_OVERFLOW || st == STATUS_NOT_FOUND ||
                    st == STATUS_INVALID_DEVICE_REQUEST || st == STATUS_INSUFFICIENT_RESOURCES ||
                    st == STATUS_ACCESS_DENIED || st == STATUS_ACCESS_VIOLATION);
        FUZZ_ASSERT(info <= out_len || (code & 3u) == METHOD_NEITHER);
        break;
      }
    }
  }
  (void)kp_fuzz_faults_end(sys);
  for (size_t i = 0; i < npids; i++) FUZZ_ASSERT(kp_ps_process_exit(sys, pids[i]) == STATUS_SUCCESS);
  if (h != NULL) FUZZ_ASSERT(kp_io_close(h) == STATUS_SUCCESS);
  if (drv != NULL) FUZZ_ASSERT(kp_io_unload(sys, drv) == STATUS_SUCCESS);
  else FUZZ_ASSERT(kp_driver_unload(sys) == STATUS_SUCCESS && kp_io_unload_findings(sys) == 0);
  kp_system_set_current(old);
  kp_system_destroy(sys);
  return 0;
}
