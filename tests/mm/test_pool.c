/*
 * test_pool.c — the pool module: block layout (granules, header, pages),
 * records, canaries, quarantine and poison, the free path's diagnoses,
 * budgets and thread safety.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>

#include "kp_test_util.h"

/* The tests below that read a header, write into a canary or into a
 * quarantined block do on purpose what kpool poisons for AddressSanitizer
 * and Valgrind (kp_config_t::sanitizer_poisoning); they check kpool's own
 * diagnosis, so they run with the poisoning off. Without a sanitizer in
 * the build the knob changes nothing. */
static int setup_unpoisoned(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.sanitizer_poisoning = false;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

static void *alloc_np(kp_system_t *sys, size_t n) {
  return kp_alloc2(sys, KPT_NP, n, KPT_TAG1, KP_HERE);
}

static void test_small_block_layout(void **state) {
  kp_system_t *sys = *state;
  for (size_t n = 1; n <= 4064; n += 37) {
    uint8_t *p = alloc_np(sys, n);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    // A small block never crosses a page, and its header sits in front.
    assert_true(((uintptr_t)p % 4096) + n <= 4096);
    uint32_t tag;
    memcpy(&tag, p - 12, 4);
    assert_int_equal(tag, KPT_TAG1);
    assert_int_equal(kp_block_size(sys, p, NULL), (n + 15) & ~(size_t)15);
    kp_free(sys, p, KPT_TAG1, KP_HERE);
  }
}

static void test_big_block_layout(void **state) {
  kp_system_t *sys = *state;
  size_t sizes[] = {4065, 4070, 4079, 4080, 4096, 4097, 5000, 8192, 65536 + 3};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    uint8_t *p = alloc_np(sys, sizes[i]);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 4096, 0);
    size_t pages = (sizes[i] + 4095) / 4096;
    assert_int_equal(kp_block_size(sys, p, NULL), pages * 4096);
    memset(p, 0x5A, sizes[i]); // the whole request is usable
    kp_free(sys, p, KPT_TAG1, KP_HERE);
  }
}

/* The switch to whole pages: a page minus two 16-byte headers (4064) is
 * the largest small block, as on Windows x64; 4065 takes a page. */
static void test_small_big_boundary(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a = alloc_np(sys, 4064);
  uint8_t *b = alloc_np(sys, 4065);
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal((uintptr_t)a % 4096, 16); // header in front, same page
  assert_int_equal(kp_block_size(sys, a, NULL), 4064);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, a, &info));
  assert_int_equal(info.block_bytes, 4064 + 16);
  assert_int_equal((uintptr_t)b % 4096, 0);
  assert_int_equal(kp_block_size(sys, b, NULL), 4096);
  assert_true(kp_block_query(sys, b, &info));
  assert_int_equal(info.block_bytes, 4096);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
}

/* A quota-charged small block's header carries the quota bit (8) in its
 * PoolType byte (byte 3: PoolType + 1), as Windows' POOL_HEADER does. */
static void test_quota_bit_in_header(void **state) {
  kp_system_t *sys = *state;
  uint8_t *q = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_QUOTA, 1, 100, KPT_TAG1,
                               KP_PRIORITY_NORMAL, KP_HERE);
  uint8_t *n = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, 1, 100, KPT_TAG1,
                               KP_PRIORITY_NORMAL, KP_HERE);
  uint8_t *q2 = kp_alloc2(sys, KPT_NP | KP_POOL_FLAG_USE_QUOTA, 100, KPT_TAG1, KP_HERE);
  uint8_t *n2 = alloc_np(sys, 100);
  assert_non_null(q);
  assert_non_null(n);
  assert_non_null(q2);
  assert_non_null(n2);
  assert_int_equal(q[-16 + 3], 2 | 8);  // PagedPool + 1, quota
  assert_int_equal(n[-16 + 3], 2);      // PagedPool + 1
  assert_int_equal(q2[-16 + 3], 1 | 8); // NonPagedPool + 1, quota
  assert_int_equal(n2[-16 + 3], 1);     // NonPagedPool + 1
  // The header stays consistent: freeing checks it.
  kp_free(sys, q, KPT_TAG1, KP_HERE);
  kp_free(sys, n, KPT_TAG1, KP_HERE);
  kp_free(sys, q2, KPT_TAG1, KP_HERE);
  kp_free(sys, n2, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_bugcheck_count(sys), 0);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)
/* NonPagedPool / NonPagedPoolExecute / POOL_FLAG_NON_PAGED_EXECUTE memory
 * is executable where the host allows it (Linux x86 does): a one-byte
 * "ret" placed there runs. */
static void test_nonpaged_execute_is_executable(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED_EXECUTE, 16, KPT_TAG1, KP_HERE);
  uint8_t *b = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG, 0, 16, KPT_TAG1,
                               KP_PRIORITY_NORMAL, KP_HERE);
  assert_non_null(a);
  assert_non_null(b);
  a[0] = 0xC3; // ret
  b[0] = 0xC3;
  void (*fa)(void) = NULL;
  void (*fb)(void) = NULL;
  memcpy(&fa, &a, sizeof fa);
  memcpy(&fb, &b, sizeof fb);
  fa();
  fb();
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
}
#endif

static void test_record_describes_allocation(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a = kp_alloc2(sys, KPT_PG, 100, KPT_TAG2, KP_HERE);
  int line = __LINE__ - 1;
  uint8_t *b = alloc_np(sys, 10);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, a, &info));
  assert_ptr_equal(info.address, a);
  assert_int_equal(info.size, 100);
  assert_int_equal(info.block_bytes, 16 + 112);
  assert_int_equal(info.tag, KPT_TAG2);
  assert_int_equal(info.pool, KP_POOL_PAGED);
  assert_int_equal(info.api, KP_API_ALLOCATE_POOL2);
  assert_int_equal(info.thread, kp_thread_id());
  assert_int_equal(info.site.line, line);
  assert_non_null(strstr(info.site.file, "test_pool.c"));
  // Interior pointers find their block too.
  assert_true(kp_block_query(sys, a + 50, &info));
  assert_ptr_equal(info.address, a);
  kp_block_info_t info_b;
  assert_true(kp_block_query(sys, b, &info_b));
  assert_true(info_b.sequence > info.sequence);
  int local;
  assert_false(kp_block_query(sys, &local, &info));
  assert_int_equal(kp_block_size(sys, &local, NULL), 0);
  assert_int_equal(kp_block_size(sys, a + 16, NULL), 0);
  kp_free(sys, a, KPT_TAG2, KP_HERE);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
  assert_false(kp_block_query(sys, a, &info));
}

static void test_overrun_into_canary_found_at_free(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 20);
  p[20] = 0; // one byte past the end
  KPT_EXPECT_BUGCHECK(0x19, 0x21, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)p);
  assert_int_equal(kpt_last.p[2], 20);
  assert_int_equal(kpt_last.p[3], 0);
  assert_non_null(strstr(kpt_last.explanation, "past the end"));
  assert_non_null(strstr(kpt_last.explanation, "'Tag1'"));
  // The free was abandoned; repair and free for real.
  p[20] = 0xFD;
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_canary_on_exact_multiple_of_16(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 32);
  p[32] = 1; // sizes that fill their granules still get a canary
  KPT_EXPECT_BUGCHECK(0x19, 0x21, kp_free(sys, p, KPT_TAG1, KP_HERE));
  p[32] = 0xFD;
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_big_block_canary_in_last_page(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 5000);
  p[5000] = 7;
  KPT_EXPECT_BUGCHECK(0x19, 0x21, kp_free(sys, p, KPT_TAG1, KP_HERE));
  p[5000] = 0xFD;
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_header_overwrite(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 40);
  p[-16] ^= 0xFF; // underrun into the header
  KPT_EXPECT_BUGCHECK(0xC2, 0x01, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)(p - 16));
  p[-16] ^= 0xFF;
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_double_free_verifier(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 24);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  int free_line = __LINE__ - 1;
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[2], (uintptr_t)(p - 16));
  assert_true(kpt_last.has_free_site);
  assert_int_equal(kpt_last.free_site.line, free_line);
  assert_true(kpt_last.has_block);
  assert_ptr_equal(kpt_last.block.address, p);
  // Both sites appear in the words of the report.
  assert_non_null(strstr(kpt_last.explanation, "allocated:"));
  assert_non_null(strstr(kpt_last.explanation, "freed:"));
  assert_non_null(strstr(kpt_last.explanation, "twice"));
}

static void test_double_free_big_block(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 8192);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x13, kp_free(sys, p, KPT_TAG1, KP_HERE));
  // A page-run block has no header: P3 and P4 are 0, not stack garbage.
  assert_int_equal(kpt_last.p[1], 0);
  assert_int_equal(kpt_last.p[2], 0);
  assert_int_equal(kpt_last.p[3], 0);
  assert_true(kpt_last.has_free_site);
}

static void test_double_free_retail(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 24);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC2, 0x07, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[3], (uintptr_t)p);
}

static void test_free_wild_pointer(void **state) {
  kp_system_t *sys = *state;
  int local;
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free(sys, &local, 0, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)&local);
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free(sys, NULL, 0, KP_HERE));
  assert_int_equal(kpt_last.p[1], 0);
}

static void test_free_wild_pointer_retail(void **state) {
  kp_system_t *sys = *state;
  int local;
  KPT_EXPECT_BUGCHECK(0xC2, 0x42, kp_free(sys, &local, 0, KP_HERE));
  uint8_t *p = alloc_np(sys, 64);
  KPT_EXPECT_BUGCHECK(0xC2, 0x99, kp_free(sys, p + 8, 0, KP_HERE));
  kp_free(sys, p, 0, KP_HERE);
}

static void test_free_interior_pointer(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 64);
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free(sys, p + 8, KPT_TAG1, KP_HERE));
  assert_int_equal(kpt_last.p[1], (uintptr_t)(p + 8));
  assert_non_null(strstr(kpt_last.explanation, "8 bytes into"));
  assert_ptr_equal(kpt_last.block.address, p);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_free_foreign_system_pointer(void **state) {
  kp_system_t *sys = *state;
  kp_config_t cfg;
  kpt_config(&cfg);
  kp_system_t *other = kp_system_create(&cfg);
  assert_non_null(other);
  void *q = kp_alloc2(other, KPT_NP, 16, KPT_TAG1, KP_HERE);
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, kp_free(sys, q, KPT_TAG1, KP_HERE));
  kp_free(other, q, KPT_TAG1, KP_HERE);
  kp_system_destroy(other);
}

static void test_handler_that_returns_abandons_free(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = alloc_np(sys, 8);
  kpt_reset_caught();
  kp_free(sys, p, KPT_TAG2, KP_HERE); // wrong tag; handler returns
  assert_int_equal(kpt_last.count, 1);
  assert_int_equal(kpt_last.code, 0xC2);
  assert_int_equal(kp_block_size(sys, p, NULL), 16); // still allocated
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_block_size(sys, p, NULL), 0);
}

static int setup_small_quarantine(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.quarantine_blocks = 1;
  cfg.sanitizer_poisoning = false; // writes into a quarantined block
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_write_after_free_found_at_quarantine_exit(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a = alloc_np(sys, 48);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  a[5] = 0x42; // use after free, while a sits in quarantine
  uint8_t *b = alloc_np(sys, 48);
  uint8_t *c = alloc_np(sys, 48);
  // Quarantine holds one block: freeing b pushes a out and checks it.
  KPT_EXPECT_BUGCHECK(0xC6, (uintptr_t)(a + 5), kp_free(sys, b, KPT_TAG1, KP_HERE));
  kp_free(sys, c, KPT_TAG1, KP_HERE);
  assert_int_equal(kpt_last.p[1], 1);
  assert_true(kpt_last.has_free_site);
  assert_non_null(strstr(kpt_last.explanation, "0x42"));
}

static void test_verify_finds_poison_and_canary(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
  uint8_t *a = alloc_np(sys, 48);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  a[0] = 1;
  KPT_EXPECT_BUGCHECK(0xC6, (uintptr_t)a, kp_verify(sys));
  // The handler returning makes kp_verify report the corruption.
  uint8_t *b = alloc_np(sys, 10);
  b[12] = 0;
  kpt_reset_caught();
  assert_int_equal(kp_verify(sys), KP_STATUS_HEAP_CORRUPTION);
  assert_int_equal(kpt_last.code, 0x19);
  b[12] = 0xFD;
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
}

static int setup_no_quarantine(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.quarantine_blocks = 0;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_reuse_without_quarantine(void **state) {
  kp_system_t *sys = *state;
  void *a = alloc_np(sys, 100);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  void *b = alloc_np(sys, 100);
  assert_ptr_equal(a, b); // LIFO reuse of the exact size
  kp_free(sys, b, KPT_TAG1, KP_HERE);
}

static void test_quarantine_delays_reuse(void **state) {
  kp_system_t *sys = *state;
  void *a = alloc_np(sys, 100);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  void *b = alloc_np(sys, 100);
  assert_ptr_not_equal(a, b);
  kp_free(sys, b, KPT_TAG1, KP_HERE);
}

static int setup_tiny_budget(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.nonpaged_pool_bytes = 64 * 1024;
  cfg.quarantine_blocks = 0;
  *state = kpt_system(&cfg);
  return *state ? 0 : -1;
}

static void test_budget_exhaustion_and_recovery(void **state) {
  kp_system_t *sys = *state;
  void *blocks[200];
  size_t n = 0;
  while (n < 200) {
    void *p = kp_alloc2(sys, KPT_NP, 1000, KPT_TAG1, KP_HERE);
    if (p == NULL) break;
    blocks[n++] = p;
  }
  assert_true(n > 10 && n < 200);
  kp_tag_stats_t st;
  assert_true(kp_stats_tag(sys, KPT_TAG1, KP_POOL_NONPAGED, &st));
  assert_int_equal(st.failures, 1);
  assert_int_equal(st.allocs, n);
  for (size_t i = 0; i < n; i++) kp_free(sys, blocks[i], KPT_TAG1, KP_HERE);
  void *again = kp_alloc2(sys, KPT_NP, 1000, KPT_TAG1, KP_HERE);
  assert_non_null(again);
  kp_free(sys, again, KPT_TAG1, KP_HERE);
}

static void test_priority_under_pressure(void **state) {
  kp_system_t *sys = *state;
  // 64 KiB available; Low needs 20 % left free, Normal 5 %, High nothing.
  void *big = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 48 * 1024,
                              KPT_TAG1, KP_PRIORITY_HIGH, KP_HERE);
  assert_non_null(big);
  // 48 KiB used: 16 KiB free (25 %). Low may take 2 KiB (leaves ~22 %),
  // but not 4 KiB (would leave 18.75 %).
  void *low_ok = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 2032,
                                 KPT_TAG1, KP_PRIORITY_LOW, KP_HERE);
  assert_non_null(low_ok);
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 4096,
                              KPT_TAG1, KP_PRIORITY_LOW, KP_HERE));
  void *normal = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 8192,
                                 KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE);
  assert_non_null(normal);
  assert_null(kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 4096,
                              KPT_TAG1, KP_PRIORITY_NORMAL, KP_HERE));
  void *high = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY, 0, 4096,
                               KPT_TAG1, KP_PRIORITY_HIGH, KP_HERE);
  assert_non_null(high);
  kp_free(sys, big, 0, KP_HERE);
  kp_free(sys, low_ok, 0, KP_HERE);
  kp_free(sys, normal, 0, KP_HERE);
  kp_free(sys, high, 0, KP_HERE);
}

static void test_set_available_simulates_pressure(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_pool_available(sys, KP_POOL_NONPAGED, 0), 64 * 1024);
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, 8192),
                   KP_STATUS_SUCCESS);
  assert_null(kp_alloc2(sys, KPT_NP, 8192, KPT_TAG1, KP_HERE));
  void *p = kp_alloc2(sys, KPT_NP, 4000, KPT_TAG1, KP_HERE);
  assert_non_null(p);
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, SIZE_MAX),
                   KP_STATUS_SUCCESS);
  assert_int_equal(kp_pool_available(sys, KP_POOL_NONPAGED, 0), 64 * 1024);
  assert_int_equal(kp_pool_set_available(NULL, KP_POOL_NONPAGED, 0, 1),
                   KP_STATUS_INVALID_PARAMETER_1);
  assert_int_equal(kp_pool_set_available(sys, (kp_pool_kind_t)7, 0, 1),
                   KP_STATUS_INVALID_PARAMETER_2);
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 5, 1),
                   KP_STATUS_INVALID_PARAMETER_3);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

typedef struct worker {
  kp_system_t *sys;
  kp_tag_t tag;
  int iterations;
  int failures;
} worker_t;

static void *worker_main(void *arg) {
  worker_t *w = arg;
  void *live[16] = {0};
  for (int i = 0; i < w->iterations; i++) {
    int slot = i % 16;
    if (live[slot] != NULL) kp_free(w->sys, live[slot], w->tag, KP_HERE);
    size_t size = 8 + (size_t)(i % 300);
    live[slot] = kp_alloc2(w->sys, (i & 1) ? KPT_NP : KPT_PG, size, w->tag, KP_HERE);
    if (live[slot] == NULL) w->failures++;
    else memset(live[slot], i, size);
  }
  for (int s = 0; s < 16; s++)
    if (live[s] != NULL) kp_free(w->sys, live[s], w->tag, KP_HERE);
  return NULL;
}

static void test_threads_share_a_system(void **state) {
  kp_system_t *sys = *state;
  worker_t w[2] = {{sys, KPT_TAG1, 100000, 0}, {sys, KPT_TAG2, 100000, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_int_equal(w[0].failures, 0);
  assert_int_equal(w[1].failures, 0);
  kp_stats_t st = KP_STATS_INIT;
  assert_true(kp_stats_get(sys, &st));
  assert_int_equal(st.pool[KP_POOL_PAGED].allocs + st.pool[KP_POOL_NONPAGED].allocs, 200000);
  assert_int_equal(st.pool[KP_POOL_PAGED].frees + st.pool[KP_POOL_NONPAGED].frees, 200000);
  assert_int_equal(st.pool[KP_POOL_PAGED].live_blocks + st.pool[KP_POOL_NONPAGED].live_blocks, 0);
  assert_int_equal(st.pool[KP_POOL_PAGED].bytes + st.pool[KP_POOL_NONPAGED].bytes, 0);
  assert_int_equal(kp_bugcheck_count(sys), 0);
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_small_block_layout, setup_unpoisoned, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_big_block_layout, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_small_big_boundary, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quota_bit_in_header, setup_unpoisoned, kpt_teardown),
#if (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)
      cmocka_unit_test_setup_teardown(test_nonpaged_execute_is_executable, kpt_setup, kpt_teardown),
#endif
      cmocka_unit_test_setup_teardown(test_record_describes_allocation, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_overrun_into_canary_found_at_free, setup_unpoisoned, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_canary_on_exact_multiple_of_16, setup_unpoisoned, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_big_block_canary_in_last_page, setup_unpoisoned, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_header_overwrite, setup_unpoisoned, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_double_free_verifier, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_double_free_big_block, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_double_free_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_wild_pointer, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_wild_pointer_retail, kpt_setup_retail, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_interior_pointer, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_free_foreign_system_pointer, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_handler_that_returns_abandons_free, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_write_after_free_found_at_quarantine_exit, setup_small_quarantine, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_verify_finds_poison_and_canary, setup_unpoisoned, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_reuse_without_quarantine, setup_no_quarantine, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_quarantine_delays_reuse, kpt_setup, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_budget_exhaustion_and_recovery, setup_tiny_budget, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_priority_under_pressure, setup_tiny_budget, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_set_available_simulates_pressure, setup_tiny_budget, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_threads_share_a_system, kpt_setup, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
