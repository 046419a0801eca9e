/*
 * kp_test_util.h — shared helpers for kpool's own CMocka tests: a system
 * per test with its output captured, and a bug check catcher that records
 * everything (code, parameters, explanation, sites) and longjmps back.
 *
 * Include after <cmocka.h>.
 */
#ifndef KPOOL_TESTS_KP_TEST_UTIL_H
#define KPOOL_TESTS_KP_TEST_UTIL_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpool/kpool.h"

/* Everything the last caught bug check said. */
typedef struct kpt_caught {
  int count;
  uint32_t code;
  uint64_t p[4];
  char name[80];
  char stop_line[200];
  char explanation[4096];
  bool has_block;
  kp_block_info_t block;
  bool has_free_site;
  kp_site_t free_site;
} kpt_caught_t;

static kpt_caught_t kpt_last;
/* volatile, with a signal fence after the statement, so that the compiler
 * cannot move the store that disarms the catcher above a faulting write. */
static jmp_buf *volatile kpt_jump;
static char kpt_output[1 << 16];
static size_t kpt_output_len;

static inline void kpt_capture(const char *text, void *arg) {
  (void)arg;
  size_t n = strlen(text);
  if (kpt_output_len + n >= sizeof kpt_output) n = sizeof kpt_output - 1 - kpt_output_len;
  memcpy(kpt_output + kpt_output_len, text, n);
  kpt_output_len += n;
  kpt_output[kpt_output_len] = '\0';
}

static inline void kpt_output_reset(void) {
  kpt_output_len = 0;
  kpt_output[0] = '\0';
}

/* Records the bug check; longjmps when a KPT_CATCH is active, else returns
 * (the simulator then abandons the operation). */
static inline void kpt_handler(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  kpt_last.count++;
  kpt_last.code = bc->code;
  memcpy(kpt_last.p, bc->params, sizeof kpt_last.p);
  snprintf(kpt_last.name, sizeof kpt_last.name, "%s", bc->name);
  snprintf(kpt_last.stop_line, sizeof kpt_last.stop_line, "%s", bc->stop_line);
  snprintf(kpt_last.explanation, sizeof kpt_last.explanation, "%s",
           bc->explanation ? bc->explanation : "");
  kpt_last.has_block = bc->block != NULL;
  if (bc->block != NULL) kpt_last.block = *bc->block;
  kpt_last.has_free_site = bc->free_site != NULL;
  if (bc->free_site != NULL) kpt_last.free_site = *bc->free_site;
  if (kpt_jump != NULL) {
    jmp_buf *j = kpt_jump;
    kpt_jump = NULL;
    longjmp(*j, 1);
  }
}

static inline void kpt_reset_caught(void) { memset(&kpt_last, 0, sizeof kpt_last); }

/* Runs STMT; true when it bug checked (and kpt_last says how). */
#define KPT_CATCH(caught, stmt)                                                \
  do {                                                                         \
    jmp_buf kpt_env_;                                                          \
    kpt_reset_caught();                                                        \
    (caught) = false;                                                          \
    kpt_jump = &kpt_env_;                                                      \
    if (setjmp(kpt_env_) == 0) {                                               \
      stmt;                                                                    \
      atomic_signal_fence(memory_order_seq_cst);                               \
      kpt_jump = NULL;                                                         \
    } else {                                                                   \
      (caught) = true;                                                         \
    }                                                                          \
  } while (0)

/* Asserts that STMT bug checks with CODE and P1. */
#define KPT_EXPECT_BUGCHECK(code_, p1_, stmt)                                  \
  do {                                                                         \
    bool kpt_caught_;                                                          \
    KPT_CATCH(kpt_caught_, stmt);                                              \
    if (!kpt_caught_) fail_msg("no bug check from: %s", #stmt);               \
    assert_int_equal(kpt_last.code, (code_));                                  \
    assert_int_equal(kpt_last.p[0], (p1_));                                    \
  } while (0)

/* A config with captured output and small pools, for tests. */
static inline void kpt_config(kp_config_t *cfg) {
  kp_config_init(cfg);
  cfg->out = kpt_capture;
  cfg->paged_pool_bytes = (size_t)8 << 20;
  cfg->nonpaged_pool_bytes = (size_t)8 << 20;
}

static inline kp_system_t *kpt_system(const kp_config_t *cfg) {
  kp_system_t *sys = kp_system_create(cfg);
  if (sys != NULL) kp_bugcheck_set_handler(sys, kpt_handler, NULL, NULL, NULL);
  kpt_output_reset();
  kpt_reset_caught();
  return sys;
}

/* CMocka setup/teardown with the default test config. */
static inline int kpt_setup(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static inline int kpt_setup_retail(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.verifier_flags &= ~KP_VERIFY_AUTOMATIC;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static inline int kpt_teardown(void **state) {
  kp_system_t *sys = *state;
  // Tests clean up after themselves; a leak here is a test bug, reported by
  // the 0xC4/0x62 bug check the handler records.
  (void)kp_irql_set(KP_PASSIVE_LEVEL);
  kpt_last.count = 0;
  jmp_buf env;
  kpt_jump = &env;
  if (setjmp(env) == 0) {
    kp_system_destroy(sys);
    kpt_jump = NULL;
    return 0;
  }
  print_error("teardown: the test leaked pool (0xC4/0x62):\n%s\n", kpt_output);
  kp_system_destroy(sys);
  return -1;
}

#define KPT_TAG1 KP_TAG('T', 'a', 'g', '1')
#define KPT_TAG2 KP_TAG('T', 'a', 'g', '2')
#define KPT_NP KP_POOL_FLAG_NON_PAGED
#define KPT_PG KP_POOL_FLAG_PAGED

#endif /* KPOOL_TESTS_KP_TEST_UTIL_H */
