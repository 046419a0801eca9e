/**
 * @file fuzz/fuzz_faults.c
 * @brief Fuzz target: low resources simulation (fail-Nth, every-Nth,
 *        random, systematic, fuzzer plans, tag filter, suspend/resume),
 *        optionally with special pool, checked against a model of which
 *        allocation must fail.
 *
 * Input layout (front to back):
 *
 *   mode     bit 0 fail-Nth, 1 every-Nth, 2 random, 3 systematic,
 *            4 fuzzer plan, 5 special pool, 6 tag filter, 7 retail codes
 *   nth      1..16          every   1..8
 *   prob     0, 600, 5000 or 10000 (1/10000)     seed (1 byte)
 *   filter   one of four tag patterns
 *   plan     kp_fuzz_split(): a length byte, then the plan (mode bit 4)
 *   ops...   a selector byte each, then the operation's parameters
 *
 * Operations: kp_alloc2 (paged/non-paged, sizes up to 5000, four tags,
 * eight sites, RAISE_ON_FAILURE under KP_TRY), ExAllocatePoolWithTag-style
 * legacy allocations, ExAllocatePool3 without parameters, frees,
 * kp_fault_suspend / resume, kp_fault_set_nth, kp_fault_systematic_reset,
 * a new fuzzer plan (kp_fuzz_faults_begin) and kp_fuzz_faults_end.
 *
 * The model predicts every deterministic decision (Nth, every-Nth, the
 * plan's bits, systematic sites, the tag filter, suspension); random
 * failures are allowed only when random mode is on. A failure must look
 * like the call's own failure (NULL, or the raise it asked for); the
 * verifier counters must match the model after every operation; no bug
 * check may happen; at the end every block is freed and kp_driver_unload()
 * must be clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/fuzz.h>
#include <kpool/kpool.h>
#include <kpool/pool3.h>

#include "fuzz_helpers.h"

#define FF_MAX_LIVE 64
#define FF_SITES 8
#define FF_TAGS 4

static const kp_tag_t ff_tags[FF_TAGS] = {
    KP_TAG('A', 'b', '0', '1'), KP_TAG('A', 'b', '0', '2'),
    KP_TAG('X', 'y', '0', '1'), KP_TAG('Z', 'z', '9', '9')};

static const char *const ff_filters[4] = {NULL, "Ab*", "?y01", "Ab02 Zz*"};
/* Which tag each filter lets through (the glob rules, worked out by hand). */
static const bool ff_filter_match[4][FF_TAGS] = {{true, true, true, true},
                                                 {true, true, false, false},
                                                 {false, false, true, false},
                                                 {false, true, false, true}};

static const uint32_t ff_probs[4] = {0, 600, 5000, 10000};

typedef struct ff_block {
  void *p;
  kp_tag_t tag;
} ff_block_t;

typedef struct ff_model {
  bool nth_on, every_on, random_on, random, systematic, plan_on;
  uint64_t nth, every, nth_base, every_base;
  uint32_t filter;
  int suspended;
  uint64_t candidates;
  uint64_t injected, by_nth, by_random, by_systematic, by_fuzz;
  uint64_t random_overlap; /* forced failures random may have chosen too */
  uint32_t sites_failed[FF_TAGS]; /* bit per site line */
  uint8_t plan[64];
  uint64_t plan_bits, plan_pos;
  ff_block_t live[FF_MAX_LIVE];
  int live_count;
} ff_model_t;

static kp_system_t *ff_sys;

static void ff_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void ff_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  kp_bugcheck_print(bc, NULL, NULL);
  fuzz_assert_fail("no bug check", __FILE__, __LINE__);
}

/* What the model says about the next allocation: 1 must fail, 0 must not,
 * -1 may (random). Updates the model as the simulator updates itself. */
static int ff_predict(ff_model_t *m, uint32_t tag_index, uint32_t line) {
  if (m->suspended > 0 || !ff_filter_match[m->filter][tag_index]) return 0;
  bool any = m->nth_on || m->every_on || m->random_on || m->systematic || m->plan_on;
  if (!any) return 0;
  uint64_t cand = ++m->candidates;
  unsigned why = 0;
  if (m->plan_on && m->plan_pos < m->plan_bits) {
    uint64_t k = m->plan_pos++;
    if ((m->plan[k / 8] >> (k % 8)) & 1u) why |= 1u;
  }
  if (m->nth_on && cand - m->nth_base == m->nth) why |= 2u;
  if (m->every_on && (cand - m->every_base) % m->every == 0) why |= 2u;
  if (m->systematic && (m->sites_failed[tag_index] & (1u << line)) == 0) {
    m->sites_failed[tag_index] |= 1u << line;
    why |= 4u;
  }
  if (why != 0) {
    m->injected++;
    if (why & 1u) m->by_fuzz++;
    if (why & 2u) m->by_nth++;
    if (why & 4u) m->by_systematic++;
    if (m->random) m->random_overlap++;
    return 1;
  }
  return m->random ? -1 : 0;
}

/* A prediction of -1 resolved by what happened. */
static void ff_settle(ff_model_t *m, int predicted, bool failed) {
  if (predicted == 1) FUZZ_ASSERT(failed);
  if (predicted == 0) FUZZ_ASSERT(!failed);
  if (predicted == -1 && failed) {
    m->injected++;
    m->by_random++;
  }
}

static void ff_check_counters(const ff_model_t *m) {
  kp_verifier_counters_t c;
  memset(&c, 0, sizeof c);
  c.size = sizeof c;
  FUZZ_ASSERT(kp_verifier_counters_get(ff_sys, &c));
  FUZZ_ASSERT(c.faults_injected == m->injected);
  FUZZ_ASSERT(c.faults_fuzz == m->by_fuzz);
  FUZZ_ASSERT(c.faults_systematic == m->by_systematic);
  // The simulator counts a random "yes" also when another mode failed the
  // call anyway; the model cannot see those draws.
  FUZZ_ASSERT(c.faults_random >= m->by_random);
  FUZZ_ASSERT(c.faults_random <= m->by_random + m->random_overlap);
  FUZZ_ASSERT(c.fault_candidates == m->candidates);
  FUZZ_ASSERT(c.allocations_failed == m->injected);
}

static void ff_keep(ff_model_t *m, void *p, kp_tag_t tag) {
  if (p == NULL) return;
  if (m->live_count == FF_MAX_LIVE) {
    kp_free(ff_sys, p, tag, KP_NOSITE);
    return;
  }
  m->live[m->live_count].p = p;
  m->live[m->live_count].tag = tag;
  m->live_count++;
}

/* kp_alloc2 with RAISE_ON_FAILURE under a KP_TRY; returns the block or NULL
 * and tells whether a raise came. */
static void *ff_alloc_raising(kp_pool_flags_t flags, size_t size, kp_tag_t tag,
                              kp_site_t site, bool *raised) {
  void *volatile p = NULL;
  volatile bool caught = false;
  KP_TRY {
    p = kp_alloc2(ff_sys, flags | KP_POOL_FLAG_RAISE_ON_FAILURE, size, tag, site);
  }
  KP_EXCEPT(status) {
    FUZZ_ASSERT(status == KP_STATUS_INSUFFICIENT_RESOURCES);
    caught = true;
  }
  KP_END_TRY;
  *raised = caught;
  return p;
}

static void ff_op(ff_model_t *m, fuzz_data_t *d) {
  uint32_t sel = fuzz_u8(d) % 11;
  switch (sel) {
  case 0:   /* ExAllocatePool2 */
  case 1:   /* legacy */
  case 2: { /* ExAllocatePool3 */
    bool paged = fuzz_bool(d);
    size_t size = (size_t)fuzz_range(d, 1, fuzz_bool(d) ? 5000 : 200);
    uint32_t ti = (uint32_t)fuzz_range(d, 0, FF_TAGS - 1);
    uint32_t line = (uint32_t)fuzz_range(d, 0, FF_SITES - 1);
    bool raise = sel == 0 && fuzz_bool(d);
    kp_site_t site = kp_site("fuzz_faults.c", line, NULL);
    int predicted = ff_predict(m, ti, line);
    void *p = NULL;
    bool raised = false;
    kp_pool_flags_t flags = paged ? KP_POOL_FLAG_PAGED : KP_POOL_FLAG_NON_PAGED;
    if (sel == 0 && raise)
      p = ff_alloc_raising(flags, size, ff_tags[ti], site, &raised);
    else if (sel == 0)
      p = kp_alloc2(ff_sys, flags, size, ff_tags[ti], site);
    else if (sel == 1)
      p = kp_alloc_legacy(ff_sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                          paged ? KP_POOL_TYPE_PAGED : KP_POOL_TYPE_NONPAGED_NX, size,
                          ff_tags[ti], KP_PRIORITY_NORMAL, site);
    else
      p = kp_alloc3(ff_sys, flags, size, ff_tags[ti], NULL, 0, site);
    bool failed = p == NULL;
    FUZZ_ASSERT(raised == (raise && failed)); // failures raise iff asked
    ff_settle(m, predicted, failed);
    ff_keep(m, p, ff_tags[ti]);
    break;
  }
  case 3: { /* free */
    if (m->live_count == 0) break;
    int i = (int)fuzz_range(d, 0, (uint64_t)m->live_count - 1);
    kp_free(ff_sys, m->live[i].p, m->live[i].tag, KP_NOSITE);
    m->live[i] = m->live[--m->live_count];
    break;
  }
  case 4:
    kp_fault_suspend(ff_sys);
    m->suspended++;
    break;
  case 5:
    kp_fault_resume(ff_sys);
    if (m->suspended > 0) m->suspended--;
    break;
  case 6: { /* kp_fault_set_nth */
    uint64_t nth = fuzz_range(d, 0, 8);
    uint64_t every = fuzz_range(d, 0, 4);
    FUZZ_ASSERT(kp_fault_set_nth(ff_sys, nth, every) == KP_STATUS_SUCCESS);
    m->nth_on = nth != 0;
    m->nth = nth;
    m->nth_base = m->candidates;
    m->every_on = every != 0;
    m->every = every;
    m->every_base = m->candidates;
    break;
  }
  case 7: /* systematic reset */
    kp_fault_systematic_reset(ff_sys);
    memset(m->sites_failed, 0, sizeof m->sites_failed);
    break;
  case 8: { /* a new plan */
    size_t got = 0;
    const uint8_t *bytes = fuzz_bytes(d, (size_t)fuzz_range(d, 0, 8), &got);
    FUZZ_ASSERT(kp_fuzz_faults_begin(ff_sys, bytes, got) == KP_STATUS_SUCCESS);
    if (got != 0) memcpy(m->plan, bytes, got);
    m->plan_bits = (uint64_t)got * 8u;
    m->plan_pos = 0;
    m->plan_on = true;
    break;
  }
  case 9: { /* end of the plan */
    uint64_t used = kp_fuzz_faults_end(ff_sys);
    FUZZ_ASSERT(used == (m->plan_on ? m->plan_pos : 0));
    m->plan_on = false;
    m->plan_bits = m->plan_pos = 0;
    break;
  }
  default: /* the block sizes the simulator reports for live blocks */
    for (int i = 0; i < m->live_count; i++)
      FUZZ_ASSERT(kp_block_size(ff_sys, m->live[i].p, NULL) != 0);
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_data_t d = fuzz_data_init(data, size);
  uint8_t mode = fuzz_u8(&d);
  uint64_t nth = fuzz_range(&d, 1, 16);
  uint64_t every = fuzz_range(&d, 1, 8);
  uint32_t prob = ff_probs[fuzz_range(&d, 0, 3)];
  uint8_t seed = fuzz_u8(&d);
  uint32_t filter = (mode & 0x40u) ? (uint32_t)fuzz_range(&d, 0, 3) : 0;

  static ff_model_t m;
  memset(&m, 0, sizeof m);
  m.nth_on = (mode & 0x01u) != 0;
  m.nth = nth;
  m.every_on = (mode & 0x02u) != 0;
  m.every = every;
  m.random_on = (mode & 0x04u) != 0; // candidates are counted even at 0
  m.random = m.random_on && prob != 0;
  m.systematic = (mode & 0x08u) != 0;
  m.filter = filter;

  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = ff_quiet;
  cfg.paged_pool_bytes = (size_t)4 << 20;
  cfg.nonpaged_pool_bytes = (size_t)4 << 20;
  cfg.quarantine_blocks = 16;
  cfg.fail_nth = m.nth_on ? nth : 0;
  cfg.fail_every_nth = m.every_on ? every : 0;
  cfg.lrs_probability = prob;
  cfg.lrs_seed = seed;
  cfg.lrs_tags = ff_filters[filter];
  cfg.special_pool_pages = 128;
  if (mode & 0x04u) cfg.verifier_flags |= KP_VERIFY_LOW_RESOURCES;
  if (mode & 0x08u) cfg.verifier_flags |= KP_VERIFY_SYSTEMATIC_LRS;
  if (mode & 0x20u) cfg.verifier_flags |= KP_VERIFY_SPECIAL_POOL;
  if (mode & 0x80u) cfg.verifier_flags &= ~KP_VERIFY_AUTOMATIC;
  ff_sys = kp_system_create(&cfg);
  FUZZ_ASSERT(ff_sys != NULL);
  kp_bugcheck_set_handler(ff_sys, ff_bugcheck, NULL, NULL, NULL);
  (void)kp_irql_set(KP_PASSIVE_LEVEL);

  const uint8_t *plan, *rest;
  size_t plan_size, rest_size;
  kp_fuzz_split(d.data, d.size, &plan, &plan_size, &rest, &rest_size);
  if (mode & 0x10u) {
    if (plan_size > sizeof m.plan) plan_size = sizeof m.plan;
    FUZZ_ASSERT(kp_fuzz_faults_begin(ff_sys, plan, plan_size) == KP_STATUS_SUCCESS);
    if (plan_size != 0) memcpy(m.plan, plan, plan_size);
    m.plan_bits = (uint64_t)plan_size * 8u;
    m.plan_on = true;
  }
  fuzz_data_t ops = fuzz_data_init(rest, rest_size);
  int count = 0;
  while (!fuzz_data_empty(&ops) && count++ < 512) {
    ff_op(&m, &ops);
    ff_check_counters(&m);
  }

  for (int i = 0; i < m.live_count; i++)
    kp_free(ff_sys, m.live[i].p, m.live[i].tag, KP_NOSITE);
  FUZZ_ASSERT(kp_verify(ff_sys) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(kp_driver_unload(ff_sys) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(kp_bugcheck_count(ff_sys) == 0);
  kp_system_destroy(ff_sys);
  ff_sys = NULL;
  return 0;
}
