/*
 * test_slist.c — SLISTs: layout, push/pop/flush return values, exact depth,
 * the sequence number, misuse, and a small two-thread run (the long one is
 * test_lookaside_stress.c). Core API and WDK names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kpool/cmocka.h"
#include "kpool/kpool.h"
#include <wdm.h>

typedef struct item {
  kp_slist_entry_t link; /* first: the entry is the item's address */
  uint64_t value;
} item_t;

static void *aligned_block(size_t size) {
  size = (size + 15) & ~(size_t)15; /* aligned_alloc wants a multiple */
  void *p = aligned_alloc(16, size);
  if (p == NULL) return NULL;
  memset(p, 0, size);
  return p;
}

/* ---------------------------------------------------------------------------
 * Layout.
 * ------------------------------------------------------------------------- */
static void test_layout(void **state) {
  (void)state;
  assert_int_equal(sizeof(kp_slist_header_t), 16);
  assert_int_equal(_Alignof(kp_slist_header_t), 16);
  assert_int_equal(sizeof(kp_slist_entry_t), 16);
  assert_int_equal(_Alignof(kp_slist_entry_t), 16);
  assert_int_equal(offsetof(kp_slist_header_t, alignment), 0);
  assert_int_equal(offsetof(kp_slist_header_t, region), 8);
  /* The WDK face: same size, alignment and bits. */
  assert_int_equal(sizeof(SLIST_HEADER), 16);
  assert_int_equal(_Alignof(SLIST_HEADER), 16);
  assert_int_equal(sizeof(SLIST_ENTRY), 16);
  assert_int_equal(_Alignof(SLIST_ENTRY), 16);
  assert_int_equal(LOOKASIDE_MINIMUM_BLOCK_SIZE, 8);
}

static void test_header_bits(void **state) {
  (void)state;
  kp_slist_header_t h;
  item_t a, b;
  kp_slist_init(&h);
  assert_int_equal(h.alignment, 0);
  assert_int_equal(h.region, 0);
  kp_slist_push(&h, &a.link);
  kp_slist_push(&h, &b.link);
  /* Depth in bits 0..15, Sequence above, NextEntry = the first entry. */
  assert_int_equal(h.alignment & 0xFFFF, 2);
  assert_int_equal(h.alignment >> 16, 2);
  assert_ptr_equal((void *)(uintptr_t)h.region, &b);
  assert_int_equal(h.region & 15, 0);

  /* The WDK bit fields see the same values. */
  SLIST_HEADER *w = (SLIST_HEADER *)(void *)&h;
  assert_int_equal(w->HeaderX64.Depth, 2);
  assert_int_equal(w->HeaderX64.Sequence, 2);
  assert_int_equal(w->HeaderX64.Reserved, 0);
  assert_ptr_equal((void *)(uintptr_t)(w->HeaderX64.NextEntry << 4), &b);
  assert_int_equal(w->Alignment, h.alignment);
  assert_int_equal(w->Region, h.region);
}

/* ---------------------------------------------------------------------------
 * Return values, LIFO order, exact depth, sequence.
 * ------------------------------------------------------------------------- */
static void test_push_pop_lifo(void **state) {
  (void)state;
  kp_slist_header_t h;
  item_t it[5];
  kp_slist_init(&h);
  assert_int_equal(kp_slist_depth(&h), 0);
  assert_null(kp_slist_first(&h));
  assert_null(kp_slist_pop(&h));

  for (int i = 0; i < 5; i++) {
    it[i].value = (uint64_t)i;
    kp_slist_entry_t *prev = kp_slist_push(&h, &it[i].link);
    /* Push returns the previous first entry (NULL for the first push). */
    if (i == 0)
      assert_null(prev);
    else
      assert_ptr_equal(prev, &it[i - 1].link);
    assert_int_equal(kp_slist_depth(&h), i + 1);
    assert_ptr_equal(kp_slist_first(&h), &it[i].link);
  }
  for (int i = 4; i >= 0; i--) {
    kp_slist_entry_t *e = kp_slist_pop(&h);
    assert_ptr_equal(e, &it[i].link);
    assert_int_equal(((item_t *)(void *)e)->value, (uint64_t)i);
    assert_int_equal(kp_slist_depth(&h), i);
  }
  assert_null(kp_slist_pop(&h));
  assert_int_equal(kp_slist_depth(&h), 0);
}

static void test_flush(void **state) {
  (void)state;
  kp_slist_header_t h;
  item_t it[3];
  kp_slist_init(&h);
  assert_null(kp_slist_flush(&h));
  for (int i = 0; i < 3; i++) kp_slist_push(&h, &it[i].link);
  kp_slist_entry_t *old = kp_slist_flush(&h);
  /* Flush returns the old first entry; the chain stays linked. */
  assert_ptr_equal(old, &it[2].link);
  assert_ptr_equal(old->next, &it[1].link);
  assert_ptr_equal(old->next->next, &it[0].link);
  assert_null(old->next->next->next);
  assert_int_equal(kp_slist_depth(&h), 0);
  assert_null(kp_slist_first(&h));
  assert_null(kp_slist_pop(&h));
}

static void test_sequence_moves_on_every_change(void **state) {
  (void)state;
  kp_slist_header_t h;
  item_t a;
  kp_slist_init(&h);
  assert_int_equal(kp_slist_sequence(&h), 0);
  kp_slist_push(&h, &a.link);
  assert_int_equal(kp_slist_sequence(&h), 1);
  kp_slist_pop(&h);
  assert_int_equal(kp_slist_sequence(&h), 2);
  /* Popping or flushing an empty list changes nothing. */
  kp_slist_pop(&h);
  kp_slist_flush(&h);
  assert_int_equal(kp_slist_sequence(&h), 2);
  kp_slist_push(&h, &a.link);
  kp_slist_flush(&h);
  assert_int_equal(kp_slist_sequence(&h), 4);
  /* The same entry pushed again gives a header never seen before: the
   * property that defeats ABA. */
  uint64_t w1 = h.alignment;
  kp_slist_push(&h, &a.link);
  kp_slist_pop(&h);
  assert_int_equal(h.alignment & 0xFFFF, w1 & 0xFFFF);
  assert_int_not_equal(h.alignment, w1);
}

static void test_depth_counts_modulo_65536(void **state) {
  (void)state;
  const size_t n = 65536 + 3;
  kp_slist_header_t h;
  kp_slist_entry_t *entries = aligned_block(n * sizeof *entries);
  assert_non_null(entries);
  kp_slist_init(&h);
  for (size_t i = 0; i < n; i++) kp_slist_push(&h, &entries[i]);
  /* The 16-bit Depth field wraps, as the WDK's does. */
  assert_int_equal(kp_slist_depth(&h), 3);
  size_t popped = 0;
  while (kp_slist_pop(&h) != NULL) popped++;
  assert_int_equal(popped, n);
  assert_int_equal(kp_slist_depth(&h), 0);
  free(entries);
}

/* ---------------------------------------------------------------------------
 * Misuse.
 * ------------------------------------------------------------------------- */
static void test_misaligned_header_raises(void **state) {
  (void)state;
  _Alignas(16) unsigned char raw[48];
  kp_slist_header_t *bad = (kp_slist_header_t *)(void *)(raw + 8);
  item_t a;
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, kp_slist_init(bad));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, kp_slist_push(bad, &a.link));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, kp_slist_pop(bad));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, kp_slist_flush(bad));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, kp_slist_depth(bad));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, kp_slist_first(bad));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT, InitializeSListHead((PSLIST_HEADER)bad));
}

static void test_misaligned_or_null_entry_raises(void **state) {
  (void)state;
  kp_slist_header_t h;
  _Alignas(16) unsigned char raw[48];
  kp_slist_init(&h);
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT,
                   kp_slist_push(&h, (kp_slist_entry_t *)(void *)(raw + 8)));
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION, kp_slist_push(&h, NULL));
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION, kp_slist_pop(NULL));
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION, kp_slist_init(NULL));
  /* Nothing was pushed by the failed calls. */
  assert_int_equal(kp_slist_depth(&h), 0);
  assert_int_equal(kp_slist_sequence(&h), 0);
}

static void test_unhandled_raise_is_bugcheck_0x1e(void **state) {
  (void)state;
  kp_system_t *sys = kp_system_current();
  _Alignas(16) unsigned char raw[48];
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0x1E, 0xFFFFFFFF80000002ull, KP_ANY, KP_ANY, KP_ANY,
                            kp_slist_init((kp_slist_header_t *)(void *)(raw + 4)));
}

/* ---------------------------------------------------------------------------
 * The WDK names.
 * ------------------------------------------------------------------------- */
typedef struct witem {
  SLIST_ENTRY Link;
  ULONG Value;
} WITEM;

static void test_wdk_names(void **state) {
  (void)state;
  SLIST_HEADER h;
  WITEM a, b, c;
  KSPIN_LOCK lock = 0;
  InitializeSListHead(&h);
  assert_int_equal(ExQueryDepthSList(&h), 0);
  assert_int_equal(QueryDepthSList(&h), 0);
  assert_null(InterlockedPushEntrySList(&h, &a.Link));
  assert_ptr_equal(InterlockedPushEntrySList(&h, &b.Link), &a.Link);
  /* The lock argument of the ExInterlocked forms is ignored. */
  assert_ptr_equal(ExInterlockedPushEntrySList(&h, &c.Link, &lock), &b.Link);
  assert_int_equal(ExQueryDepthSList(&h), 3);
  assert_ptr_equal(FirstEntrySList(&h), &c.Link);
  assert_ptr_equal(ExInterlockedPopEntrySList(&h, &lock), &c.Link);
  assert_ptr_equal(InterlockedPopEntrySList(&h), &b.Link);
  assert_int_equal(ExQueryDepthSList(&h), 1);
  assert_ptr_equal(InterlockedPushEntrySList(&h, &b.Link), &a.Link);
  assert_ptr_equal(InterlockedFlushSList(&h), &b.Link);
  assert_int_equal(ExQueryDepthSList(&h), 0);
  ExInitializeSListHead(&h);
  assert_null(ExInterlockedFlushSList(&h));
  assert_null(FirstEntrySList(&h));
  assert_int_equal(lock, 0);
}

/* ---------------------------------------------------------------------------
 * Two threads: items move between a shared list and each thread; nothing is
 * lost or duplicated and the depth matches at the end.
 * ------------------------------------------------------------------------- */
#define SMALL_ITEMS 64
#define SMALL_ROUNDS 20000

typedef struct small_run {
  kp_slist_header_t *head;
  long pops;
  long pushes;
  int bad;
} small_run_t;

static void *small_worker(void *arg) {
  small_run_t *r = arg;
  item_t *held[4];
  for (int round = 0; round < SMALL_ROUNDS; round++) {
    int n = 0;
    for (; n < 4; n++) {
      kp_slist_entry_t *e = kp_slist_pop(r->head);
      if (e == NULL) break;
      held[n] = (item_t *)(void *)e;
      r->pops++;
      /* Each item is owned by one thread at a time: mark and check. */
      if (held[n]->value & 1) r->bad++;
      held[n]->value |= 1;
    }
    while (n > 0) {
      n--;
      held[n]->value &= ~(uint64_t)1;
      kp_slist_push(r->head, &held[n]->link);
      r->pushes++;
    }
  }
  return NULL;
}

static void test_two_threads_small(void **state) {
  (void)state;
  kp_slist_header_t h;
  item_t *items = aligned_block(SMALL_ITEMS * sizeof *items);
  assert_non_null(items);
  kp_slist_init(&h);
  for (int i = 0; i < SMALL_ITEMS; i++) {
    items[i].value = (uint64_t)i << 1;
    kp_slist_push(&h, &items[i].link);
  }
  small_run_t runs[2] = {{&h, 0, 0, 0}, {&h, 0, 0, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, small_worker, &runs[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);

  assert_int_equal(runs[0].bad + runs[1].bad, 0);
  assert_int_equal(runs[0].pops, runs[0].pushes);
  assert_int_equal(runs[1].pops, runs[1].pushes);
  assert_int_equal(kp_slist_depth(&h), SMALL_ITEMS);
  /* Every item is back exactly once. */
  int seen[SMALL_ITEMS] = {0};
  kp_slist_entry_t *e;
  while ((e = kp_slist_pop(&h)) != NULL) {
    uint64_t v = ((item_t *)(void *)e)->value >> 1;
    assert_true(v < SMALL_ITEMS);
    seen[v]++;
  }
  for (int i = 0; i < SMALL_ITEMS; i++) assert_int_equal(seen[i], 1);
  free(items);
}

static void test_lock_free_where_promised(void **state) {
  (void)state;
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(KP_SLIST_PORTABLE)
  assert_true(kp_slist_lock_free());
#else
  (void)kp_slist_lock_free();
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),
      cmocka_unit_test(test_header_bits),
      cmocka_unit_test(test_push_pop_lifo),
      cmocka_unit_test(test_flush),
      cmocka_unit_test(test_sequence_moves_on_every_change),
      cmocka_unit_test(test_depth_counts_modulo_65536),
      cmocka_unit_test(test_misaligned_header_raises),
      cmocka_unit_test(test_misaligned_or_null_entry_raises),
      cmocka_unit_test(test_unhandled_raise_is_bugcheck_0x1e),
      cmocka_unit_test(test_wdk_names),
      cmocka_unit_test(test_two_threads_small),
      cmocka_unit_test(test_lock_free_where_promised),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
