/*
 * test_secure_config.c — CMocka tests of the secure configuration on kpool.
 *
 * The component (secure_config.c) uses WDK names only; so do these tests,
 * plus what a test cannot do without: a fresh simulated system per test
 * (kp_system_*), the secure pool counters (kp_secure_pool_query), and the
 * bug check assertions of <kpool/cmocka.h>. One test shows the point of
 * the secure pool: a direct write to the settings is caught as bug check
 * 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY and changes nothing. Others show
 * a forged settings pointer refused by ExSecurePoolValidate, and two
 * teardown mistakes kpool diagnoses (ExFreePool on secure memory, a
 * forgotten ExDestroyPool).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <kpool/cmocka.h>
#include <kpool/kpool.h>
#include <kpool/secure.h>

#include "secure_config.h"

#define COOKIE ((ULONG_PTR)0x5EC0C0FFEE15ull)

/* ---------------------------------------------------------------------------
 * Fixture: a fresh current system per test; teardown requires a clean
 * driver unload (nothing leaked, no secure pool left, no bug check).
 * ------------------------------------------------------------------------- */

static char g_out[8192];

static void capture(const char *text, void *arg) {
  (void)arg;
  size_t len = strlen(g_out);
  size_t n = strlen(text);
  if (n > sizeof g_out - 1 - len) n = sizeof g_out - 1 - len;
  memcpy(g_out + len, text, n);
  g_out[len + n] = '\0';
}

static void unexpected_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  print_error("unexpected bug check:\n%s\n%s\n%s\n", bc->stop_line, bc->name,
              bc->explanation != NULL ? bc->explanation : "");
  fail();
}

static int setup(void **state) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = capture;
  cfg.driver_name = "securecfg.sys";
  cfg.nonpaged_pool_bytes = (size_t)4 << 20;
  cfg.paged_pool_bytes = (size_t)1 << 20;
  kp_system_t *sys = kp_system_create(&cfg);
  if (sys == NULL) return -1;
  kp_bugcheck_set_handler(sys, unexpected_bugcheck, NULL, NULL, NULL);
  kp_system_t *old = kp_system_set_current(sys);
  if (old != NULL) kp_system_destroy(old);
  g_out[0] = '\0';
  *state = sys;
  return 0;
}

static int teardown(void **state) {
  kp_system_t *sys = *state;
  kp_irql_set(PASSIVE_LEVEL);
  int rc = 0;
  if (kp_driver_unload(sys) != STATUS_SUCCESS) {
    print_error("driver unload was not clean:\n%s\n", g_out);
    rc = -1;
  }
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
  return rc;
}

static SCFG_SETTINGS sample(void) {
  SCFG_SETTINGS s;
  RtlZeroMemory(&s, sizeof s);
  s.Version = SCFG_SETTINGS_VERSION;
  s.MaxConnections = 128;
  s.TimeoutMs = 5000;
  s.Flags = SCFG_FLAG_AUDIT;
  memcpy(s.ServerName, "update.contoso.example", sizeof "update.contoso.example");
  return s;
}

/* ---------------------------------------------------------------------------
 * The life cycle
 * ------------------------------------------------------------------------- */

static void test_create_read_destroy(void **state) {
  kp_system_t *sys = *state;
  SCFG_SETTINGS in = sample();
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  assert_non_null(cfg);
  SCFG_SETTINGS out;
  assert_int_equal(ScfgRead(cfg, &out), STATUS_SUCCESS);
  assert_int_equal(out.MaxConnections, 128);
  assert_int_equal(out.TimeoutMs, 5000);
  assert_string_equal((const char *)out.ServerName, "update.contoso.example");
  assert_int_equal(out.Generation, 1);
  assert_int_equal(out.Checksum, ScfgChecksum(&out));
  // The settings sit in a secure pool, validated by their cookie.
  assert_true(ExSecurePoolValidate(cfg->Pool, SCFG_SETTINGS_TAG,
                                   (PVOID)(ULONG_PTR)cfg->Settings, COOKIE));
  kp_secure_pool_info_t info;
  assert_true(kp_secure_pool_query(sys, (kp_secure_pool_t)cfg->Pool, &info));
  assert_int_equal(info.allocations, 1);
  assert_int_equal(info.tag, SCFG_POOL_TAG);
  ScfgDestroy(cfg);
  kp_secure_totals_t tot;
  kp_secure_get_totals(sys, &tot);
  assert_int_equal(tot.pools, 0);
}

static void test_create_rejects_bad_values(void **state) {
  (void)state;
  PSECURE_CONFIG cfg = (PSECURE_CONFIG)(ULONG_PTR)1;
  SCFG_SETTINGS s = sample();
  assert_int_equal(ScfgCreate(NULL, COOKIE, &cfg), STATUS_INVALID_PARAMETER);
  assert_null(cfg);
  assert_int_equal(ScfgCreate(&s, COOKIE, NULL), STATUS_INVALID_PARAMETER);
  s.MaxConnections = 0;
  assert_int_equal(ScfgCreate(&s, COOKIE, &cfg), STATUS_INVALID_PARAMETER);
  s = sample();
  s.TimeoutMs = SCFG_MAX_TIMEOUT_MS + 1;
  assert_int_equal(ScfgCreate(&s, COOKIE, &cfg), STATUS_INVALID_PARAMETER);
  s = sample();
  s.Flags = 0x80;
  assert_int_equal(ScfgCreate(&s, COOKIE, &cfg), STATUS_INVALID_PARAMETER);
  s = sample();
  memset(s.ServerName, 'x', sizeof s.ServerName); // not terminated
  assert_int_equal(ScfgCreate(&s, COOKIE, &cfg), STATUS_INVALID_PARAMETER);
  assert_null(cfg);
}

static void test_updates(void **state) {
  kp_system_t *sys = *state;
  SCFG_SETTINGS in = sample();
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  assert_int_equal(ScfgSetTimeout(cfg, 250), STATUS_SUCCESS);
  SCFG_SETTINGS out;
  assert_int_equal(ScfgRead(cfg, &out), STATUS_SUCCESS);
  assert_int_equal(out.TimeoutMs, 250);
  assert_int_equal(out.Generation, 2);
  // Out of range: refused, nothing changes.
  assert_int_equal(ScfgSetTimeout(cfg, 1), STATUS_INVALID_PARAMETER);
  SCFG_SETTINGS next = sample();
  next.MaxConnections = SCFG_MAX_CONNECTIONS + 1;
  assert_int_equal(ScfgUpdate(cfg, &next), STATUS_INVALID_PARAMETER);
  next = sample();
  next.Flags = SCFG_FLAG_STRICT;
  memcpy(next.ServerName, "backup.example", sizeof "backup.example");
  assert_int_equal(ScfgUpdate(cfg, &next), STATUS_SUCCESS);
  assert_int_equal(ScfgRead(cfg, &out), STATUS_SUCCESS);
  assert_int_equal(out.Flags, SCFG_FLAG_STRICT);
  assert_string_equal((const char *)out.ServerName, "backup.example");
  assert_int_equal(out.Generation, 3);
  assert_int_equal(cfg->Updates, 2);
  kp_secure_pool_info_t info;
  kp_secure_pool_query(sys, (kp_secure_pool_t)cfg->Pool, &info);
  assert_int_equal(info.updates, 2);
  ScfgDestroy(cfg);
}

/* ---------------------------------------------------------------------------
 * What the secure pool buys
 * ------------------------------------------------------------------------- */

/* A driver bug: code that "fixes up" the settings in place. */
static void buggy_raise_limit(PSECURE_CONFIG cfg) {
  PSCFG_SETTINGS writable = (PSCFG_SETTINGS)(ULONG_PTR)cfg->Settings;
  writable->MaxConnections = SCFG_MAX_CONNECTIONS * 2;
}

static void test_direct_write_is_bugcheck_0xbe(void **state) {
  kp_system_t *sys = *state;
  SCFG_SETTINGS in = sample();
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  const SCFG_SETTINGS *settings = cfg->Settings;
  // The page is read-only: the write faults and kpool reports bug check
  // 0xBE with the address written (P1), the secure pool (P3) and the
  // allocation (P4).
  KP_ASSERT_BUGCHECK_PARAMS(
      sys, 0xBE, (uint64_t)(uintptr_t)&settings->MaxConnections, 0,
      (uint64_t)(uintptr_t)cfg->Pool, (uint64_t)(uintptr_t)settings,
      buggy_raise_limit(cfg));
  // Nothing changed, and the configuration still validates.
  SCFG_SETTINGS out;
  assert_int_equal(ScfgRead(cfg, &out), STATUS_SUCCESS);
  assert_int_equal(out.MaxConnections, 128);
  kp_secure_pool_info_t info;
  kp_secure_pool_query(sys, (kp_secure_pool_t)cfg->Pool, &info);
  assert_int_equal(info.write_faults, 1);
  ScfgDestroy(cfg);
}

static void test_forged_settings_are_refused(void **state) {
  (void)state;
  SCFG_SETTINGS in = sample();
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  // An attacker (or a wild write) points the ordinary, writable
  // SECURE_CONFIG object at forged settings with a valid checksum.
  SCFG_SETTINGS forged = sample();
  forged.MaxConnections = SCFG_MAX_CONNECTIONS;
  forged.Generation = 1;
  forged.Checksum = ScfgChecksum(&forged);
  const SCFG_SETTINGS *genuine = cfg->Settings;
  cfg->Settings = &forged;
  SCFG_SETTINGS out;
  assert_int_equal(ScfgRead(cfg, &out), SCFG_STATUS_TAMPERED);
  assert_int_equal(out.MaxConnections, 0); // nothing leaked out
  assert_int_equal(ScfgSetTimeout(cfg, 100), SCFG_STATUS_TAMPERED);
  // A wrong cookie fails the same way.
  cfg->Settings = genuine;
  cfg->Cookie = COOKIE + 1;
  assert_int_equal(ScfgRead(cfg, &out), SCFG_STATUS_TAMPERED);
  assert_int_equal(cfg->Rejected, 3);
  cfg->Cookie = COOKIE;
  assert_int_equal(ScfgRead(cfg, &out), STATUS_SUCCESS);
  ScfgDestroy(cfg);
}

/* ---------------------------------------------------------------------------
 * Teardown mistakes kpool diagnoses
 * ------------------------------------------------------------------------- */

static void test_freeing_with_exfreepool_is_bad_pool_caller(void **state) {
  kp_system_t *sys = *state;
  SCFG_SETTINGS in = sample();
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  // A teardown written for ordinary pool: ExFreePool on the settings.
  KP_ASSERT_BUGCHECK(sys, 0xC2, KP_C2_SECURE_FREED_WITHOUT_PARAMS,
                     ExFreePool((PVOID)(ULONG_PTR)cfg->Settings));
  // And ExFreePool2 with the wrong cookie.
  POOL_EXTENDED_PARAMS_SECURE_POOL secure;
  RtlZeroMemory(&secure, sizeof secure);
  secure.SecurePoolHandle = cfg->Pool;
  secure.Cookie = 42;
  POOL_EXTENDED_PARAMETER p;
  RtlZeroMemory(&p, sizeof p);
  p.Type = PoolExtendedParameterSecurePool;
  p.SecurePoolParams = &secure;
  KP_ASSERT_BUGCHECK(sys, 0xC2, KP_C2_SECURE_BAD_COOKIE,
                     ExFreePool2((PVOID)(ULONG_PTR)cfg->Settings, SCFG_SETTINGS_TAG, &p, 1));
  ScfgDestroy(cfg); // the right way still works
}

static void test_forgotten_destroy_pool_is_reported_at_unload(void **state) {
  kp_system_t *sys = *state;
  SCFG_SETTINGS in = sample();
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  // A teardown that frees the settings and the object but forgets the pool.
  POOL_EXTENDED_PARAMS_SECURE_POOL secure;
  RtlZeroMemory(&secure, sizeof secure);
  secure.SecurePoolHandle = cfg->Pool;
  secure.Cookie = COOKIE;
  POOL_EXTENDED_PARAMETER p;
  RtlZeroMemory(&p, sizeof p);
  p.Type = PoolExtendedParameterSecurePool;
  p.SecurePoolParams = &secure;
  ExFreePool2((PVOID)(ULONG_PTR)cfg->Settings, SCFG_SETTINGS_TAG, &p, 1);
  HANDLE pool = cfg->Pool;
  ExFreePoolWithTag(cfg, SCFG_OBJECT_TAG);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, KP_C4_SECURE_POOL_NOT_DESTROYED, 1, 0, 0,
                            (void)kp_driver_unload(sys));
  assert_non_null(strstr(g_out, "never destroyed"));
  // Clean up so that the fixture's own unload check passes.
  ExDestroyPool(pool);
}

/* ---------------------------------------------------------------------------
 * Readers and an updater on several threads
 * ------------------------------------------------------------------------- */

typedef struct reader {
  PSECURE_CONFIG cfg;
  ULONG reads;
  ULONG bad;
} reader_t;

static atomic_int g_stop;

static void *reader_main(void *arg) {
  reader_t *r = arg;
  while (!atomic_load(&g_stop) || r->reads < 100) {
    SCFG_SETTINGS s;
    if (ScfgRead(r->cfg, &s) != STATUS_SUCCESS || s.Checksum != ScfgChecksum(&s) ||
        s.TimeoutMs != 1000u + s.Generation)
      r->bad++;
    r->reads++;
  }
  return NULL;
}

static void test_concurrent_reads_and_updates(void **state) {
  (void)state;
  SCFG_SETTINGS in = sample();
  in.TimeoutMs = 1001; // TimeoutMs == 1000 + Generation throughout
  PSECURE_CONFIG cfg = NULL;
  assert_int_equal(ScfgCreate(&in, COOKIE, &cfg), STATUS_SUCCESS);
  atomic_store(&g_stop, 0);
  pthread_t th[3];
  reader_t readers[3];
  for (int i = 0; i < 3; i++) {
    readers[i].cfg = cfg;
    readers[i].reads = 0;
    readers[i].bad = 0;
    assert_int_equal(pthread_create(&th[i], NULL, reader_main, &readers[i]), 0);
  }
  ULONG failed = 0;
  for (ULONG g = 2; g <= 200; g++) {
    SCFG_SETTINGS next = sample();
    next.TimeoutMs = 1000 + g;
    if (ScfgUpdate(cfg, &next) != STATUS_SUCCESS) failed++;
  }
  atomic_store(&g_stop, 1);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  assert_int_equal(failed, 0);
  for (int i = 0; i < 3; i++) assert_int_equal(readers[i].bad, 0);
  SCFG_SETTINGS out;
  assert_int_equal(ScfgRead(cfg, &out), STATUS_SUCCESS);
  assert_int_equal(out.Generation, 200);
  ScfgDestroy(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_read_destroy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_rejects_bad_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_updates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_direct_write_is_bugcheck_0xbe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forged_settings_are_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_freeing_with_exfreepool_is_bad_pool_caller, setup, teardown),
      cmocka_unit_test_setup_teardown(test_forgotten_destroy_pool_is_reported_at_unload, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_reads_and_updates, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
