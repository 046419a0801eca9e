/*
 * test_pool_fast.c — the one-pass allocation and free paths (pool.c:
 * kpi_alloc_small_fast, free_fast) leave exactly what the general path
 * leaves, and every misuse they meet still gets its bug check.
 *
 * A heap's first block of a size comes from the bump page (general path);
 * once a block of that size went through the quarantine, the next request
 * of the size is served from the free list (fast path). With a quarantine
 * of one block, the second allocation below reuses the first one's memory,
 * so the two paths are compared on the same address.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kp_test_util.h"

static int setup_fast(void **state) {
  kp_config_t cfg;
  kpt_config(&cfg);
  cfg.sanitizer_poisoning = false; // the tests read headers and canaries
  cfg.quarantine_blocks = 1;
  *state = kpt_system(&cfg);
  return *state != NULL ? 0 : -1;
}

typedef void *(*alloc_fn)(kp_system_t *sys, size_t n, kp_tag_t tag);

static void *via_pool2_np(kp_system_t *sys, size_t n, kp_tag_t tag) {
  return kp_alloc2(sys, KPT_NP, n, tag, KP_HERE);
}
static void *via_pool2_paged_uninit(kp_system_t *sys, size_t n, kp_tag_t tag) {
  return kp_alloc2(sys, KPT_PG | KP_POOL_FLAG_UNINITIALIZED, n, tag, KP_HERE);
}
static void *via_pool2_exec(kp_system_t *sys, size_t n, kp_tag_t tag) {
  return kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED_EXECUTE, n, tag, KP_HERE);
}
static void *via_legacy_nx(kp_system_t *sys, size_t n, kp_tag_t tag) {
  return kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                         KP_POOL_TYPE_NONPAGED_NX, n, tag, KP_PRIORITY_NORMAL,
                         KP_HERE);
}
static void *via_legacy_paged_low(kp_system_t *sys, size_t n, kp_tag_t tag) {
  return kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_PRIORITY,
                         KP_POOL_TYPE_PAGED, n, tag, KP_PRIORITY_LOW, KP_HERE);
}

/* What a block looks like from outside: its info, header and the bytes
 * from its data to the end of its canary. */
typedef struct seen {
  kp_block_info_t info;
  uint8_t header[16];
  uint8_t bytes[160];
  size_t span;
} seen_t;

static void look(kp_system_t *sys, uint8_t *p, size_t n, seen_t *out) {
  assert_true(kp_block_query(sys, p, &out->info));
  memcpy(out->header, p - 16, 16);
  out->span = ((n + 1 + 15) & ~(size_t)15); // data + canary, in granules
  assert_true(out->span <= sizeof out->bytes);
  memcpy(out->bytes, p, out->span);
}

static void same_block(const seen_t *a, const seen_t *b) {
  assert_int_equal(a->info.size, b->info.size);
  assert_int_equal(a->info.block_bytes, b->info.block_bytes);
  assert_int_equal(a->info.tag, b->info.tag);
  assert_int_equal(a->info.pool, b->info.pool);
  assert_int_equal(a->info.node, b->info.node);
  assert_int_equal(a->info.flags, b->info.flags);
  assert_int_equal(a->info.pool_type, b->info.pool_type);
  assert_int_equal(a->info.priority, b->info.priority);
  assert_int_equal(a->info.api, b->info.api);
  assert_int_equal(a->info.thread, b->info.thread);
  assert_int_equal(a->info.quota_charged, b->info.quota_charged);
  assert_int_equal(b->info.sequence, a->info.sequence + 2); // the pusher between
  assert_memory_equal(a->header, b->header, 16);
  assert_int_equal(a->span, b->span);
  assert_memory_equal(a->bytes, b->bytes, a->span);
}

/* The same request twice, the second on the first one's memory: same
 * info (but the sequence: one allocation came between), header, fill and canary, and the counters of
 * the tag and the pool move the same way. */
static void check_equivalent(kp_system_t *sys, alloc_fn fn, size_t n,
                             kp_pool_kind_t kind) {
  kp_tag_t tag = KP_TAG('F', 'a', 's', (char)('0' + n % 10));
  uint8_t *a = fn(sys, n, tag);
  assert_non_null(a);
  seen_t sa, sb;
  look(sys, a, n, &sa);
  kp_tag_stats_t t1;
  assert_true(kp_stats_tag(sys, tag, kind, &t1));
  kp_free(sys, a, tag, KP_HERE);
  // A second free pushes the first block out of the one-block quarantine.
  uint8_t *pusher = fn(sys, 8, KPT_TAG2);
  assert_non_null(pusher);
  kp_free(sys, pusher, KPT_TAG2, KP_HERE);
  uint8_t *b = fn(sys, n, tag);
  assert_ptr_equal(a, b);
  look(sys, b, n, &sb);
  same_block(&sa, &sb);
  kp_tag_stats_t t2;
  assert_true(kp_stats_tag(sys, tag, kind, &t2));
  assert_int_equal(t2.allocs, t1.allocs + 1);
  assert_int_equal(t2.frees, t1.frees + 1);
  assert_int_equal(t2.bytes, t1.bytes);
  kp_free(sys, b, tag, KP_HERE);
  kp_tag_stats_t t3;
  assert_true(kp_stats_tag(sys, tag, kind, &t3));
  assert_int_equal(t3.bytes, 0);
  assert_int_equal(t3.frees, t2.frees + 1);
  assert_int_equal(kp_verify(sys), KP_STATUS_SUCCESS);
}

static void test_fast_matches_general(void **state) {
  kp_system_t *sys = *state;
  const size_t sizes[] = {1, 15, 16, 17, 64, 100, 4000, 4064};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    if (sizes[i] > 100) continue; // look() keeps 160 bytes
    check_equivalent(sys, via_pool2_np, sizes[i], KP_POOL_NONPAGED);
    check_equivalent(sys, via_pool2_paged_uninit, sizes[i], KP_POOL_PAGED);
    check_equivalent(sys, via_pool2_exec, sizes[i], KP_POOL_NONPAGED);
    check_equivalent(sys, via_legacy_nx, sizes[i], KP_POOL_NONPAGED);
    check_equivalent(sys, via_legacy_paged_low, sizes[i], KP_POOL_PAGED);
  }
  // The largest small blocks too (contents not compared).
  for (size_t n = 4000; n <= 4064; n += 64) {
    uint8_t *a = via_pool2_np(sys, n, KPT_TAG1);
    assert_non_null(a);
    kp_free(sys, a, KPT_TAG1, KP_HERE);
    uint8_t *x = via_pool2_np(sys, 8, KPT_TAG2);
    kp_free(sys, x, KPT_TAG2, KP_HERE);
    uint8_t *b = via_pool2_np(sys, n, KPT_TAG1);
    assert_ptr_equal(a, b);
    assert_int_equal(kp_block_size(sys, b, NULL), (n + 15) & ~(size_t)15);
    kp_free(sys, b, KPT_TAG1, KP_HERE);
  }
}

/* Blocks the fast path served are visited, leak-reported and verified
 * like any other (live blocks are found by scanning the record slots). */
static bool count_live(const kp_block_info_t *info, void *arg) {
  (void)info;
  (*(int *)arg)++;
  return true;
}

static void test_fast_blocks_are_visited(void **state) {
  kp_system_t *sys = *state;
  void *warm = via_pool2_np(sys, 64, KPT_TAG1);
  kp_free(sys, warm, KPT_TAG1, KP_HERE);
  void *p[10];
  for (int i = 0; i < 10; i++) {
    p[i] = via_pool2_np(sys, 64, KPT_TAG1);
    assert_non_null(p[i]);
  }
  int live = 0;
  kp_visit_blocks(sys, count_live, &live);
  assert_int_equal(live, 10);
  // Interior pointers are found by the slot scan too.
  kp_block_info_t info;
  assert_true(kp_block_query(sys, (uint8_t *)p[3] + 40, &info));
  assert_ptr_equal(info.address, p[3]);
  for (int i = 0; i < 10; i += 2) kp_free(sys, p[i], KPT_TAG1, KP_HERE);
  live = 0;
  kp_visit_blocks(sys, count_live, &live);
  assert_int_equal(live, 5);
  for (int i = 1; i < 10; i += 2) kp_free(sys, p[i], KPT_TAG1, KP_HERE);
  live = 0;
  kp_visit_blocks(sys, count_live, &live);
  assert_int_equal(live, 0);
}

/* A block in the fast path's reach (live, small, its heap ready) that is
 * misused: each free is declined by the fast path and diagnosed by the
 * general one. */
static uint8_t *fast_block(kp_system_t *sys) {
  uint8_t *w = via_pool2_np(sys, 48, KPT_TAG1);
  kp_free(sys, w, KPT_TAG1, KP_HERE);
  uint8_t *x = via_pool2_np(sys, 8, KPT_TAG2);
  kp_free(sys, x, KPT_TAG2, KP_HERE);
  uint8_t *p = via_pool2_np(sys, 48, KPT_TAG1);
  assert_ptr_equal(p, w); // served from the free list: the fast path
  return p;
}

static void test_fast_double_free(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = fast_block(sys);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  bool caught;
  KPT_CATCH(caught, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_true(caught);
  assert_true(kpt_last.code == KP_BUGCHECK_BAD_POOL_CALLER ||
              kpt_last.code == KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION);
  assert_true(kpt_last.has_free_site);
}

static void test_fast_tag_mismatch(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = fast_block(sys);
  bool caught;
  KPT_CATCH(caught, kp_free(sys, p, KPT_TAG2, KP_HERE));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_BAD_POOL_CALLER);
  assert_int_equal(kpt_last.p[0], 0x0A);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_fast_canary(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = fast_block(sys);
  p[48] = 0x11; // one byte past the request
  bool caught;
  KPT_CATCH(caught, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_BAD_POOL_HEADER);
  assert_int_equal(kpt_last.p[0], 0x21);
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)p);
  // The rejected free changed nothing: repaired, the block frees.
  p[48] = 0xFD;
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_fast_header(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = fast_block(sys);
  p[-3] ^= 0x40; // a byte of the header's tag field
  bool caught;
  KPT_CATCH(caught, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_BAD_POOL_CALLER);
  assert_int_equal(kpt_last.p[0], 0x01);
  p[-3] ^= 0x40;
  kp_free(sys, p, KPT_TAG1, KP_HERE);
}

static void test_fast_use_after_free(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = fast_block(sys);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  p[5] = 0x42; // written while quarantined
  // The next free pushes it out of the one-block quarantine.
  uint8_t *q = via_pool2_np(sys, 48, KPT_TAG1);
  bool caught;
  KPT_CATCH(caught, kp_free(sys, q, KPT_TAG1, KP_HERE));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL);
  assert_int_equal(kpt_last.p[0], (uint64_t)(uintptr_t)(p + 5));
}

/* At DISPATCH_LEVEL paged pool is refused whatever the path. */
static void test_fast_irql(void **state) {
  kp_system_t *sys = *state;
  void *w = via_pool2_paged_uninit(sys, 32, KPT_TAG1);
  kp_free(sys, w, KPT_TAG1, KP_HERE);
  kp_irql_t old = kp_irql_raise(KP_DISPATCH_LEVEL);
  bool caught;
  KPT_CATCH(caught, (void)via_pool2_paged_uninit(sys, 32, KPT_TAG1));
  kp_irql_lower(old);
  assert_true(caught);
}

/* A block that left the quarantine keeps its record, marked released, for
 * its next allocation: meanwhile it is no block for any lookup, walk or
 * free, exactly as before records were kept. */
static void test_released_block_is_no_block(void **state) {
  kp_system_t *sys = *state;
  uint8_t *p = via_pool2_np(sys, 40, KPT_TAG1);
  kp_free(sys, p, KPT_TAG1, KP_HERE);
  // Another size pushes it out of the one-block quarantine.
  uint8_t *other = via_pool2_np(sys, 200, KPT_TAG2);
  kp_free(sys, other, KPT_TAG2, KP_HERE);
  kp_block_info_t info;
  assert_false(kp_block_query(sys, p, &info));
  assert_false(kp_block_query(sys, p + 8, &info));
  int live = 0;
  kp_visit_blocks(sys, count_live, &live);
  assert_int_equal(live, 0);
  assert_int_equal(kp_verify(sys), 0);
  // Freed again: the verdict of an address that holds no block (the bug
  // check an interior pointer gets too, but with no block to name).
  bool caught;
  KPT_CATCH(caught, kp_free(sys, p, KPT_TAG1, KP_HERE));
  assert_true(caught);
  assert_false(kpt_last.has_block);
  uint32_t released_code = kpt_last.code;
  uint64_t released_p0 = kpt_last.p[0];
  uint8_t *never = via_pool2_np(sys, 300, KPT_TAG2);
  KPT_CATCH(caught, kp_free(sys, never + 64, KPT_TAG2, KP_HERE));
  assert_true(caught);
  assert_true(kpt_last.has_block); // the block the pointer lies in
  assert_int_equal(kpt_last.code, released_code);
  assert_int_equal(kpt_last.p[0], released_p0);
  kp_free(sys, never, KPT_TAG2, KP_HERE);
  // Its next allocation reuses the record with the new request's fields.
  uint8_t *q = via_pool2_np(sys, 33, KPT_TAG2);
  assert_ptr_equal(q, p);
  assert_true(kp_block_query(sys, q, &info));
  assert_int_equal(info.size, 33);
  assert_int_equal(info.tag, KPT_TAG2);
  kp_free(sys, q, KPT_TAG2, KP_HERE);
}

/* The general path takes a released block too (a cache-aligned request
 * whose data falls on a cache line) and makes it the request's block.
 * (That it reuses the block's record rather than taking a new slot is not
 * visible through the API; the instruction count shows it.) */
static void test_general_path_takes_released(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a[8];
  int aligned = -1;
  for (int i = 0; i < 8; i++) {
    a[i] = via_pool2_np(sys, 48, KPT_TAG1);
    if (aligned < 0 && (uintptr_t)a[i] % 64 == 0) aligned = i;
  }
  assert_true(aligned >= 0); // 80-byte blocks: one in four is on a line
  kp_free(sys, a[aligned], KPT_TAG1, KP_HERE);
  uint8_t *other = via_pool2_np(sys, 200, KPT_TAG2);
  kp_free(sys, other, KPT_TAG2, KP_HERE); // a[aligned] leaves the quarantine
  uint8_t *got = kp_alloc_legacy(sys, KP_API_ALLOCATE_POOL_WITH_TAG,
                                 KP_POOL_TYPE_NONPAGED_CACHE_ALIGNED, 48,
                                 KPT_TAG2, KP_PRIORITY_NORMAL, KP_HERE);
  assert_ptr_equal(got, a[aligned]);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, got, &info));
  assert_int_equal(info.size, 48);
  assert_int_equal(info.tag, KPT_TAG2);
  assert_int_equal(info.flags & KP_POOL_FLAG_CACHE_ALIGNED,
                   KP_POOL_FLAG_CACHE_ALIGNED);
  int live = 0;
  kp_visit_blocks(sys, count_live, &live);
  assert_int_equal(live, 8);
  assert_int_equal(kp_verify(sys), 0);
  kp_free(sys, got, KPT_TAG2, KP_HERE);
  for (int i = 0; i < 8; i++)
    if (i != aligned) kp_free(sys, a[i], KPT_TAG1, KP_HERE);
}

/* Two neighbouring 48-byte blocks (80 bytes apart, carved one after the
 * other from a bump page); @b is freed and pushed out of the one-block
 * quarantine onto its free list. */
static void neighbours_with_free_second(kp_system_t *sys, uint8_t **a,
                                        uint8_t **b) {
  uint8_t *run[40];
  int pair = -1;
  for (int i = 0; i < 40; i++) {
    run[i] = via_pool2_np(sys, 48, KPT_TAG1);
    if (pair < 0 && i > 0 && run[i] == run[i - 1] + 80) pair = i - 1;
  }
  assert_true(pair >= 0);
  *a = run[pair];
  *b = run[pair + 1];
  for (int i = 0; i < 40; i++)
    if (i != pair && i != pair + 1) kp_free(sys, run[i], KPT_TAG1, KP_HERE);
  kp_free(sys, *b, KPT_TAG1, KP_HERE);
  uint8_t *other = via_pool2_np(sys, 200, KPT_TAG2);
  kp_free(sys, other, KPT_TAG2, KP_HERE); // *b leaves the quarantine
  kp_block_info_t info;
  assert_false(kp_block_query(sys, *b, &info)); // released: on its free list
}

/* One overrun of @width bytes past a's canary (test below). A function of
 * its own: KPT_CATCH's setjmp inside a loop confused gcc's ASan scope
 * checks. */
static void overrun_once(kp_system_t *sys, size_t width) {
  kp_config_t defaults;
  kp_config_init(&defaults);
  uint8_t *a, *b;
  neighbours_with_free_second(sys, &a, &b);
  memset(a + 48, 0x41, 16 + width); // a's canary, then b's header
  uint64_t link;
  memcpy(&link, b - 16, 8);
  bool caught;
  KPT_CATCH(caught, (void)via_pool2_np(sys, 48, KPT_TAG2));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_BAD_POOL_HEADER);
  assert_int_equal(kpt_last.p[0], 0x3);
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)(b - 16));
  assert_int_equal(kpt_last.p[2], link);
  assert_true(kpt_last.has_block); // the block in front: the overrun
  assert_ptr_equal(kpt_last.block.address, a);
  assert_int_equal(kpt_last.block.tag, KPT_TAG1);
  assert_non_null(strstr(kpt_last.explanation, "written past its end"));
  // The list was dropped: b is never handed out, allocation goes on.
  for (int i = 0; i < 8; i++) {
    uint8_t *d = via_pool2_np(sys, 48, KPT_TAG2);
    assert_non_null(d);
    assert_ptr_not_equal(d, b);
    kp_free(sys, d, KPT_TAG2, KP_HERE);
  }
  // a's own free still reports its canary, then frees once repaired.
  KPT_CATCH(caught, kp_free(sys, a, KPT_TAG1, KP_HERE));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_BAD_POOL_HEADER);
  assert_int_equal(kpt_last.p[0], 0x21);
  memset(a + 48, defaults.canary_fill, 16);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  assert_int_equal(kp_verify(sys), 0);
}

/* An overrun of a live block through its canary into the header of the
 * free block behind it (that block's free-list entry) is BAD_POOL_HEADER
 * 0x19/0x3 when the free block would leave its list, naming the block in
 * front; kpool neither follows the overwritten link nor hands the block
 * out, and the system goes on after the report. Every width that reaches
 * the entry is caught (8 bytes: the link alone). */
static void test_overrun_into_free_block_header(void **state) {
  kp_system_t *sys = *state;
  overrun_once(sys, 8);
  overrun_once(sys, 12);
  overrun_once(sys, 16);
}

/* One flipped bit of a free block's entry (its check word), with no
 * overrun: reported when the block would leave its list, through the
 * legacy API as through ExAllocatePool2; the whole list is dropped, the
 * intact block behind the damaged one included. */
static void test_stray_write_into_free_entry(void **state) {
  kp_system_t *sys = *state;
  uint8_t *a, *b;
  neighbours_with_free_second(sys, &a, &b);
  kp_free(sys, a, KPT_TAG1, KP_HERE);
  uint8_t *other = via_pool2_np(sys, 200, KPT_TAG2);
  kp_free(sys, other, KPT_TAG2, KP_HERE); // a leaves too: the list is a, b
  a[-4] ^= 0x10;
  bool caught;
  KPT_CATCH(caught, (void)via_legacy_nx(sys, 48, KPT_TAG2));
  assert_true(caught);
  assert_int_equal(kpt_last.code, KP_BUGCHECK_BAD_POOL_HEADER);
  assert_int_equal(kpt_last.p[0], 0x3);
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)(a - 16));
  // Named only if a block in use ends right in front of a.
  if (kpt_last.has_block) {
    assert_ptr_equal((uint8_t *)kpt_last.block.address + 64, a - 16);
    assert_non_null(strstr(kpt_last.explanation, "written past its end"));
  } else {
    assert_non_null(strstr(kpt_last.explanation, "stale or wild pointer"));
  }
  for (int i = 0; i < 8; i++) {
    uint8_t *d = via_legacy_nx(sys, 48, KPT_TAG2);
    assert_non_null(d);
    assert_ptr_not_equal(d, a);
    assert_ptr_not_equal(d, b);
    kp_free(sys, d, KPT_TAG2, KP_HERE);
  }
  assert_int_equal(kp_verify(sys), 0);
}

/* Sequence numbers rise with every allocation of a thread, fast path or
 * not, whichever pool it comes from (kp_block_info_t::sequence). */
static void test_sequence_rises(void **state) {
  kp_system_t *sys = *state;
  uint64_t last = 0;
  for (int i = 0; i < 300; i++) {
    size_t n = (size_t)(16 + (i % 3) * 100);
    uint8_t *p = i % 2 != 0 ? via_pool2_np(sys, n, KPT_TAG1)
                            : via_pool2_paged_uninit(sys, n, KPT_TAG1);
    kp_block_info_t info;
    assert_true(kp_block_query(sys, p, &info));
    assert_true(info.sequence > last);
    last = info.sequence;
    kp_free(sys, p, KPT_TAG1, KP_HERE);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fast_matches_general, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_blocks_are_visited, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_double_free, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_tag_mismatch, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_canary, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_header, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_use_after_free, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_fast_irql, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_released_block_is_no_block, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_general_path_takes_released, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_sequence_rises, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_overrun_into_free_block_header, setup_fast, kpt_teardown),
      cmocka_unit_test_setup_teardown(test_stray_write_into_free_entry, setup_fast, kpt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
