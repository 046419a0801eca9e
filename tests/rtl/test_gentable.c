/*
 * test_gentable.c — RTL_GENERIC_TABLE (splay) and RTL_AVL_TABLE through the
 * WDK names, with driver-style callbacks that allocate from pool under the
 * driver's tag: the callback sizes and order, element copies, NewElement,
 * lookup / delete / enumerate / get, the splay and AVL invariants over
 * random operations against a sorted-array model, the splay-link routines,
 * RTL_USE_AVL_TABLES (test_gentable_avlnames.c), and a leak of table nodes
 * reported at unload under the driver's tag.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntddk.h>

#include "kp_test_util.h"

/* The x64 WDK layouts, checked at compile time as a driver would. */
C_ASSERT(sizeof(RTL_SPLAY_LINKS) == 24);
C_ASSERT(sizeof(RTL_GENERIC_TABLE) == 72);
C_ASSERT(FIELD_OFFSET(RTL_GENERIC_TABLE, CompareRoutine) == 0x28);
C_ASSERT(sizeof(RTL_BALANCED_LINKS) == 32);
C_ASSERT(sizeof(RTL_AVL_TABLE) == 104);
C_ASSERT(FIELD_OFFSET(RTL_AVL_TABLE, DeleteCount) == 0x40);

#define DRV_TAG 'lbTG' /* shows as "GTbl" */

static int setup(void **state) {
  if (kpt_setup(state) != 0) return -1;
  kp_system_t *old = kp_system_set_current((kp_system_t *)*state);
  if (old != NULL && old != *state) kp_system_destroy(old);
  return 0;
}

static int teardown(void **state) { return kpt_teardown(state); }

/* ---------------------------------------------------------------------------
 * The driver's side: an element, its callbacks, and a log of the calls.
 * ------------------------------------------------------------------------- */

typedef struct elem {
  ULONG key;
  ULONG value;
  char name[8];
} elem_t;

enum { EV_COMPARE = 1, EV_ALLOC, EV_FREE };
typedef struct event {
  int kind;
  void *table;
  ULONG size;  /* EV_ALLOC: size asked for */
  void *ptr;   /* EV_ALLOC: returned; EV_FREE: passed */
} event_t;

static event_t g_log[64];
static int g_nlog;
static int g_fail_alloc;
static int g_compares;

static void log_reset(void) {
  g_nlog = 0;
  g_compares = 0;
}

static void log_event(int kind, void *table, ULONG size, void *ptr) {
  if (kind == EV_COMPARE) g_compares++;
  if (g_nlog < 64) {
    g_log[g_nlog].kind = kind;
    g_log[g_nlog].table = table;
    g_log[g_nlog].size = size;
    g_log[g_nlog].ptr = ptr;
    g_nlog++;
  }
}

static RTL_GENERIC_COMPARE_RESULTS cmp_keys(ULONG a, ULONG b) {
  return a < b ? GenericLessThan : a > b ? GenericGreaterThan : GenericEqual;
}

static RTL_GENERIC_COMPARE_ROUTINE splay_compare;
static RTL_GENERIC_ALLOCATE_ROUTINE splay_alloc;
static RTL_GENERIC_FREE_ROUTINE splay_free;

static RTL_GENERIC_COMPARE_RESULTS NTAPI splay_compare(PRTL_GENERIC_TABLE Table,
                                                      PVOID First,
                                                      PVOID Second) {
  log_event(EV_COMPARE, Table, 0, NULL);
  return cmp_keys(((elem_t *)First)->key, ((elem_t *)Second)->key);
}

static PVOID NTAPI splay_alloc(PRTL_GENERIC_TABLE Table, CLONG ByteSize) {
  PVOID p = NULL;
  if (!g_fail_alloc) p = ExAllocatePool2(POOL_FLAG_PAGED, ByteSize, DRV_TAG);
  log_event(EV_ALLOC, Table, ByteSize, p);
  return p;
}

static VOID NTAPI splay_free(PRTL_GENERIC_TABLE Table, PVOID Buffer) {
  log_event(EV_FREE, Table, 0, Buffer);
  ExFreePoolWithTag(Buffer, DRV_TAG);
}

static RTL_GENERIC_COMPARE_RESULTS NTAPI avl_compare(PRTL_AVL_TABLE Table,
                                                    PVOID First, PVOID Second) {
  log_event(EV_COMPARE, Table, 0, NULL);
  return cmp_keys(((elem_t *)First)->key, ((elem_t *)Second)->key);
}

static PVOID NTAPI avl_alloc(PRTL_AVL_TABLE Table, CLONG ByteSize) {
  PVOID p = NULL;
  if (!g_fail_alloc) p = ExAllocatePool2(POOL_FLAG_NON_PAGED, ByteSize, DRV_TAG);
  log_event(EV_ALLOC, Table, ByteSize, p);
  return p;
}

static VOID NTAPI avl_free(PRTL_AVL_TABLE Table, PVOID Buffer) {
  log_event(EV_FREE, Table, 0, Buffer);
  ExFreePoolWithTag(Buffer, DRV_TAG);
}

/* Compares only the key's tens: elements 10..19 all "match" 15. */
static RTL_GENERIC_COMPARE_RESULTS NTAPI avl_compare_tens(PRTL_AVL_TABLE Table,
                                                         PVOID First,
                                                         PVOID Second) {
  (void)Table;
  return cmp_keys(((elem_t *)First)->key / 10, ((elem_t *)Second)->key / 10);
}

static elem_t mk(ULONG key) {
  elem_t e;
  memset(&e, 0, sizeof e);
  e.key = key;
  e.value = key * 3u + 1u;
  snprintf(e.name, sizeof e.name, "e%u", (unsigned)(key % 100000u));
  return e;
}

/* ---------------------------------------------------------------------------
 * Layouts.
 * ------------------------------------------------------------------------- */

static void test_layouts(void **state) {
  (void)state;
  assert_int_equal(sizeof(RTL_SPLAY_LINKS), 24);
  assert_int_equal(sizeof(RTL_GENERIC_TABLE), 72);
  assert_int_equal(offsetof(RTL_GENERIC_TABLE, InsertOrderList), 0x08);
  assert_int_equal(offsetof(RTL_GENERIC_TABLE, OrderedPointer), 0x18);
  assert_int_equal(offsetof(RTL_GENERIC_TABLE, WhichOrderedElement), 0x20);
  assert_int_equal(offsetof(RTL_GENERIC_TABLE, NumberGenericTableElements), 0x24);
  assert_int_equal(offsetof(RTL_GENERIC_TABLE, CompareRoutine), 0x28);
  assert_int_equal(offsetof(RTL_GENERIC_TABLE, TableContext), 0x40);
  assert_int_equal(sizeof(RTL_BALANCED_LINKS), 32);
  assert_int_equal(offsetof(RTL_BALANCED_LINKS, Balance), 0x18);
  assert_int_equal(sizeof(RTL_AVL_TABLE), 104);
  assert_int_equal(offsetof(RTL_AVL_TABLE, OrderedPointer), 0x20);
  assert_int_equal(offsetof(RTL_AVL_TABLE, DepthOfTree), 0x30);
  assert_int_equal(offsetof(RTL_AVL_TABLE, RestartKey), 0x38);
  assert_int_equal(offsetof(RTL_AVL_TABLE, DeleteCount), 0x40);
  assert_int_equal(offsetof(RTL_AVL_TABLE, CompareRoutine), 0x48);
  assert_int_equal(offsetof(RTL_AVL_TABLE, TableContext), 0x60);
  assert_int_equal(GenericLessThan, 0);
  assert_int_equal(GenericGreaterThan, 1);
  assert_int_equal(GenericEqual, 2);
  assert_int_equal(TableInsertAsRight, 3);
}

/* ---------------------------------------------------------------------------
 * Splay form.
 * ------------------------------------------------------------------------- */

static void test_splay_callbacks(void **state) {
  kp_system_t *sys = *state;
  RTL_GENERIC_TABLE t;
  int ctx = 0;
  RtlInitializeGenericTable(&t, splay_compare, splay_alloc, splay_free, &ctx);
  assert_ptr_equal(t.TableContext, &ctx);
  assert_null(t.TableRoot);
  assert_ptr_equal(t.OrderedPointer, &t.InsertOrderList);
  assert_true(RtlIsGenericTableEmpty(&t));

  // First insert: no compare (empty tree), one allocate of 40 + size.
  log_reset();
  elem_t e = mk(50);
  BOOLEAN is_new = 0x55;
  elem_t *p = RtlInsertElementGenericTable(&t, &e, sizeof e, &is_new);
  assert_non_null(p);
  assert_int_equal(is_new, TRUE);
  assert_int_equal(g_nlog, 1);
  assert_int_equal(g_log[0].kind, EV_ALLOC);
  assert_ptr_equal(g_log[0].table, &t);
  assert_int_equal(g_log[0].size, sizeof(elem_t) + 40);
  assert_ptr_equal((char *)g_log[0].ptr + 40, p);
  assert_ptr_not_equal(p, &e);
  assert_memory_equal(p, &e, sizeof e);
  // The node is the driver's pool block, under the driver's tag.
  kp_block_info_t info;
  assert_true(kp_block_query(sys, g_log[0].ptr, &info));
  assert_int_equal(info.tag, (kp_tag_t)DRV_TAG);
  assert_int_equal(info.size, sizeof(elem_t) + 40);

  // Second insert: compares first, then allocates.
  log_reset();
  e = mk(30);
  p = RtlInsertElementGenericTable(&t, &e, sizeof e, &is_new);
  assert_int_equal(g_nlog, 2);
  assert_int_equal(g_log[0].kind, EV_COMPARE);
  assert_int_equal(g_log[1].kind, EV_ALLOC);
  assert_int_equal(p->value, 91u);
  // A new element is splayed to the root.
  assert_ptr_equal(t.TableRoot, (char *)p - 40);
  assert_true(RtlIsRoot(t.TableRoot));

  // Equal key: the existing element, NewElement FALSE, no allocate.
  log_reset();
  elem_t dup = mk(50);
  dup.value = 999;
  elem_t *q = RtlInsertElementGenericTable(&t, &dup, sizeof dup, &is_new);
  assert_int_equal(is_new, FALSE);
  assert_int_equal(q->key, 50u);
  assert_int_equal(q->value, 151u); // not overwritten
  for (int i = 0; i < g_nlog; i++) assert_int_equal(g_log[i].kind, EV_COMPARE);
  // NewElement may be NULL.
  e = mk(70);
  assert_non_null(RtlInsertElementGenericTable(&t, &e, sizeof e, NULL));
  assert_int_equal(RtlNumberGenericTableElements(&t), 3);

  // Delete: compares, then frees the pointer the allocate returned.
  elem_t *node70 = RtlLookupElementGenericTable(&t, &e);
  assert_non_null(node70);
  log_reset();
  assert_true(RtlDeleteElementGenericTable(&t, &e));
  assert_true(g_nlog >= 1);
  assert_int_equal(g_log[g_nlog - 1].kind, EV_FREE);
  assert_ptr_equal(g_log[g_nlog - 1].ptr, (char *)node70 - 40);
  for (int i = 0; i < g_nlog - 1; i++) assert_int_equal(g_log[i].kind, EV_COMPARE);
  assert_false(RtlDeleteElementGenericTable(&t, &e));
  assert_int_equal(RtlNumberGenericTableElements(&t), 2);

  // Allocate failure: NULL, NewElement untouched, nothing linked.
  g_fail_alloc = 1;
  e = mk(5);
  is_new = 0x55;
  assert_null(RtlInsertElementGenericTable(&t, &e, sizeof e, &is_new));
  g_fail_alloc = 0;
  assert_int_equal(is_new, 0x55);
  assert_int_equal(RtlNumberGenericTableElements(&t), 2);
  assert_null(RtlLookupElementGenericTable(&t, &e));

  // Empty it.
  e = mk(50);
  assert_true(RtlDeleteElementGenericTable(&t, &e));
  e = mk(30);
  assert_true(RtlDeleteElementGenericTable(&t, &e));
  assert_true(RtlIsGenericTableEmpty(&t));
  assert_null(t.TableRoot);
  assert_null(RtlEnumerateGenericTable(&t, TRUE));
}

static void test_splay_enumerate_and_get(void **state) {
  (void)state;
  RTL_GENERIC_TABLE t;
  RtlInitializeGenericTable(&t, splay_compare, splay_alloc, splay_free, NULL);
  static const ULONG keys[] = {40, 10, 70, 20, 60, 30, 50};
  for (size_t i = 0; i < 7; i++) {
    elem_t e = mk(keys[i]);
    assert_non_null(RtlInsertElementGenericTable(&t, &e, sizeof e, NULL));
  }
  // Sort order, each returned element splayed to the root.
  ULONG expect = 10;
  for (elem_t *p = RtlEnumerateGenericTable(&t, TRUE); p != NULL;
       p = RtlEnumerateGenericTable(&t, FALSE)) {
    assert_int_equal(p->key, expect);
    assert_ptr_equal(t.TableRoot, (char *)p - 40);
    expect += 10;
  }
  assert_int_equal(expect, 80);
  // Without splaying: the root stays.
  PRTL_SPLAY_LINKS root = t.TableRoot;
  PVOID key = NULL;
  expect = 10;
  for (elem_t *p = RtlEnumerateGenericTableWithoutSplaying(&t, &key); p != NULL;
       p = RtlEnumerateGenericTableWithoutSplaying(&t, &key)) {
    assert_int_equal(p->key, expect);
    expect += 10;
  }
  assert_int_equal(expect, 80);
  assert_ptr_equal(t.TableRoot, root);
  // A hit splays; a miss does not.
  elem_t probe = mk(20);
  elem_t *hit = RtlLookupElementGenericTable(&t, &probe);
  assert_ptr_equal(t.TableRoot, (char *)hit - 40);
  probe = mk(25);
  assert_null(RtlLookupElementGenericTable(&t, &probe));
  assert_ptr_equal(t.TableRoot, (char *)hit - 40);
  // Full forms: where a new node would go, then insert there.
  PVOID where = NULL;
  TABLE_SEARCH_RESULT sr = TableFoundNode;
  assert_null(RtlLookupElementGenericTableFull(&t, &probe, &where, &sr));
  assert_true(sr == TableInsertAsLeft || sr == TableInsertAsRight);
  assert_non_null(where);
  BOOLEAN is_new = FALSE;
  elem_t *ins = RtlInsertElementGenericTableFull(&t, &probe, sizeof probe,
                                                 &is_new, where, sr);
  assert_int_equal(is_new, TRUE);
  assert_int_equal(ins->key, 25u);
  assert_ptr_equal(RtlLookupElementGenericTableFull(&t, &probe, &where, &sr), ins);
  assert_int_equal(sr, TableFoundNode);
  // Insertion order: 40 10 70 20 60 30 50 25.
  static const ULONG order[] = {40, 10, 70, 20, 60, 30, 50, 25};
  for (ULONG i = 0; i < 8; i++)
    assert_int_equal(((elem_t *)RtlGetElementGenericTable(&t, i))->key, order[i]);
  for (ULONG i = 8; i-- > 0;) // backwards uses the cached position
    assert_int_equal(((elem_t *)RtlGetElementGenericTable(&t, i))->key, order[i]);
  assert_int_equal(((elem_t *)RtlGetElementGenericTable(&t, 6))->key, 50u);
  assert_int_equal(t.WhichOrderedElement, 7);
  assert_null(RtlGetElementGenericTable(&t, 8));
  assert_null(RtlGetElementGenericTable(&t, 0xFFFFFFFFu));
  // A delete shifts the later indexes and resets the cache.
  probe = mk(70);
  assert_true(RtlDeleteElementGenericTable(&t, &probe));
  assert_int_equal(t.WhichOrderedElement, 0);
  assert_int_equal(((elem_t *)RtlGetElementGenericTable(&t, 2))->key, 20u);
  assert_int_equal(((elem_t *)RtlGetElementGenericTable(&t, 6))->key, 25u);
  assert_null(RtlGetElementGenericTable(&t, 7));
  // Clean up through enumeration of keys.
  while (!RtlIsGenericTableEmpty(&t)) {
    elem_t *p = RtlGetElementGenericTable(&t, 0);
    elem_t k = *p;
    assert_true(RtlDeleteElementGenericTable(&t, &k));
  }
  assert_int_equal(RtlNumberGenericTableElements(&t), 0);
}

static void test_splay_links_routines(void **state) {
  (void)state;
  RTL_SPLAY_LINKS n[5];
  for (int i = 0; i < 5; i++) RtlInitializeSplayLinks(&n[i]);
  assert_true(RtlIsRoot(&n[0]));
  assert_null(RtlLeftChild(&n[0]));
  // Tree: 2 is the root; 1 < 2 with 0 < 1; 3 > 2 with 4 > 3.
  RtlInsertAsLeftChild(&n[2], &n[1]);
  RtlInsertAsLeftChild(&n[1], &n[0]);
  RtlInsertAsRightChild(&n[2], &n[3]);
  RtlInsertAsRightChild(&n[3], &n[4]);
  assert_true(RtlIsLeftChild(&n[1]));
  assert_true(RtlIsRightChild(&n[4]));
  assert_ptr_equal(RtlParent(&n[0]), &n[1]);
  assert_ptr_equal(RtlRealSuccessor(&n[1]), &n[2]);
  assert_ptr_equal(RtlRealSuccessor(&n[2]), &n[3]);
  assert_null(RtlRealSuccessor(&n[4]));
  assert_ptr_equal(RtlRealPredecessor(&n[3]), &n[2]);
  assert_null(RtlRealPredecessor(&n[0]));
  assert_ptr_equal(RtlSubtreeSuccessor(&n[2]), &n[3]);
  assert_ptr_equal(RtlSubtreePredecessor(&n[2]), &n[1]);
  assert_null(RtlSubtreeSuccessor(&n[4]));
  // Splaying a leaf makes it the root, in-order unchanged.
  assert_ptr_equal(RtlSplay(&n[4]), &n[4]);
  assert_true(RtlIsRoot(&n[4]));
  PRTL_SPLAY_LINKS p = &n[4];
  while (RtlLeftChild(p) != NULL) p = RtlLeftChild(p);
  for (int i = 0; i < 5; i++) {
    assert_ptr_equal(p, &n[i]);
    p = RtlRealSuccessor(p);
  }
  assert_null(p);
  // RtlDelete of the root with two children returns a valid root.
  PRTL_SPLAY_LINKS root = RtlSplay(&n[2]);
  root = RtlDelete(root);
  assert_non_null(root);
  assert_true(RtlIsRoot(root));
  p = root;
  while (RtlLeftChild(p) != NULL) p = RtlLeftChild(p);
  static const int left[] = {0, 1, 3, 4};
  for (int i = 0; i < 4; i++) {
    assert_ptr_equal(p, &n[left[i]]);
    p = RtlRealSuccessor(p);
  }
  // RtlDeleteNoSplay keeps the root where it can.
  PRTL_SPLAY_LINKS r2 = root;
  RtlDeleteNoSplay(&n[0], &r2);
  assert_ptr_equal(r2, root);
  assert_ptr_equal(RtlRealPredecessor(&n[1]), NULL);
}

/* ---------------------------------------------------------------------------
 * AVL form.
 * ------------------------------------------------------------------------- */

/* Height of the subtree, asserting parents, balance factors and order. */
static int avl_check(PRTL_BALANCED_LINKS n, PRTL_BALANCED_LINKS parent) {
  if (n == NULL) return 0;
  assert_ptr_equal(n->Parent, parent);
  if (n->LeftChild != NULL)
    assert_true(((elem_t *)(n->LeftChild + 1))->key < ((elem_t *)(n + 1))->key);
  if (n->RightChild != NULL)
    assert_true(((elem_t *)(n->RightChild + 1))->key > ((elem_t *)(n + 1))->key);
  int hl = avl_check(n->LeftChild, n);
  int hr = avl_check(n->RightChild, n);
  assert_int_equal(n->Balance, hr - hl);
  assert_true(n->Balance >= -1 && n->Balance <= 1);
  return 1 + (hl > hr ? hl : hr);
}

static void avl_check_table(PRTL_AVL_TABLE t) {
  assert_ptr_equal(t->BalancedRoot.Parent, &t->BalancedRoot);
  assert_null(t->BalancedRoot.LeftChild);
  int h = avl_check(t->BalancedRoot.RightChild, &t->BalancedRoot);
  assert_int_equal((int)t->DepthOfTree, h);
}

static void test_avl_callbacks(void **state) {
  kp_system_t *sys = *state;
  RTL_AVL_TABLE t;
  RtlInitializeGenericTableAvl(&t, avl_compare, avl_alloc, avl_free, &t);
  assert_ptr_equal(t.BalancedRoot.Parent, &t.BalancedRoot);
  assert_true(RtlIsGenericTableEmptyAvl(&t));
  log_reset();
  elem_t e = mk(8);
  BOOLEAN is_new = FALSE;
  elem_t *p = RtlInsertElementGenericTableAvl(&t, &e, sizeof e, &is_new);
  assert_int_equal(is_new, TRUE);
  assert_int_equal(g_nlog, 1);
  assert_int_equal(g_log[0].kind, EV_ALLOC);
  assert_int_equal(g_log[0].size, sizeof(elem_t) + 32);
  assert_ptr_equal((char *)g_log[0].ptr + 32, p);
  assert_memory_equal(p, &e, sizeof e);
  assert_ptr_equal(t.BalancedRoot.RightChild, g_log[0].ptr);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, g_log[0].ptr, &info));
  assert_int_equal(info.tag, (kp_tag_t)DRV_TAG);
  assert_int_equal(info.pool, KP_POOL_NONPAGED);
  log_reset();
  e = mk(9);
  (void)RtlInsertElementGenericTableAvl(&t, &e, sizeof e, &is_new);
  assert_int_equal(g_log[0].kind, EV_COMPARE);
  assert_int_equal(g_log[1].kind, EV_ALLOC);
  // Duplicate: no allocate, FALSE.
  log_reset();
  e = mk(8);
  assert_ptr_equal(RtlInsertElementGenericTableAvl(&t, &e, sizeof e, &is_new), p);
  assert_int_equal(is_new, FALSE);
  for (int i = 0; i < g_nlog; i++) assert_int_equal(g_log[i].kind, EV_COMPARE);
  // Allocate failure.
  g_fail_alloc = 1;
  e = mk(1);
  is_new = 0x55;
  assert_null(RtlInsertElementGenericTableAvl(&t, &e, sizeof e, &is_new));
  g_fail_alloc = 0;
  assert_int_equal(is_new, 0x55);
  assert_int_equal(RtlNumberGenericTableElementsAvl(&t), 2);
  // Delete frees the header pointer, after comparing.
  log_reset();
  e = mk(8);
  assert_true(RtlDeleteElementGenericTableAvl(&t, &e));
  assert_int_equal(g_log[g_nlog - 1].kind, EV_FREE);
  assert_ptr_equal(g_log[g_nlog - 1].ptr, (char *)p - 32);
  assert_int_equal(t.DeleteCount, 1);
  assert_false(RtlDeleteElementGenericTableAvl(&t, &e));
  e = mk(9);
  assert_true(RtlDeleteElementGenericTableAvl(&t, &e));
  assert_true(RtlIsGenericTableEmptyAvl(&t));
  assert_int_equal(t.DepthOfTree, 0);
  assert_null(RtlEnumerateGenericTableAvl(&t, TRUE));
}

static void test_avl_balance_and_order(void **state) {
  (void)state;
  RTL_AVL_TABLE t;
  RtlInitializeGenericTableAvl(&t, avl_compare, avl_alloc, avl_free, NULL);
  // Ascending inserts would make a list of an unbalanced tree.
  for (ULONG k = 1; k <= 1023; k++) {
    elem_t e = mk(k);
    assert_non_null(RtlInsertElementGenericTableAvl(&t, &e, sizeof e, NULL));
  }
  avl_check_table(&t);
  assert_int_equal(t.DepthOfTree, 10); // a perfect tree of 1023 nodes
  // Lookups do not restructure.
  PRTL_BALANCED_LINKS root = t.BalancedRoot.RightChild;
  elem_t probe = mk(700);
  assert_int_equal(((elem_t *)RtlLookupElementGenericTableAvl(&t, &probe))->value,
                   2101u);
  assert_ptr_equal(t.BalancedRoot.RightChild, root);
  // Sort order for enumerate and get.
  ULONG k = 1;
  for (elem_t *p = RtlEnumerateGenericTableAvl(&t, TRUE); p != NULL;
       p = RtlEnumerateGenericTableAvl(&t, FALSE))
    assert_int_equal(p->key, k++);
  assert_int_equal(k, 1024);
  assert_int_equal(((elem_t *)RtlGetElementGenericTableAvl(&t, 0))->key, 1u);
  assert_int_equal(((elem_t *)RtlGetElementGenericTableAvl(&t, 511))->key, 512u);
  assert_int_equal(((elem_t *)RtlGetElementGenericTableAvl(&t, 513))->key, 514u);
  assert_int_equal(((elem_t *)RtlGetElementGenericTableAvl(&t, 1022))->key, 1023u);
  assert_null(RtlGetElementGenericTableAvl(&t, 1023));
  // Delete every even key.
  for (ULONG d = 2; d <= 1022; d += 2) {
    elem_t e = mk(d);
    assert_true(RtlDeleteElementGenericTableAvl(&t, &e));
  }
  avl_check_table(&t);
  assert_int_equal(RtlNumberGenericTableElementsAvl(&t), 512);
  assert_int_equal(t.DeleteCount, 511);
  assert_int_equal(((elem_t *)RtlGetElementGenericTableAvl(&t, 10))->key, 21u);
  // Full forms.
  PVOID where = NULL;
  TABLE_SEARCH_RESULT sr = TableEmptyTree;
  probe = mk(4);
  assert_null(RtlLookupElementGenericTableFullAvl(&t, &probe, &where, &sr));
  assert_true(sr == TableInsertAsLeft || sr == TableInsertAsRight);
  BOOLEAN is_new = FALSE;
  elem_t *ins = RtlInsertElementGenericTableFullAvl(&t, &probe, sizeof probe,
                                                    &is_new, where, sr);
  assert_int_equal(is_new, TRUE);
  assert_int_equal(ins->key, 4u);
  avl_check_table(&t);
  // Enumerate without splaying with a caller's key.
  PVOID key = NULL;
  elem_t *first = RtlEnumerateGenericTableWithoutSplayingAvl(&t, &key);
  assert_int_equal(first->key, 1u);
  assert_int_equal(((elem_t *)RtlEnumerateGenericTableWithoutSplayingAvl(&t, &key))->key,
                   3u);
  // Delete everything.
  while (!RtlIsGenericTableEmptyAvl(&t)) {
    elem_t e = *(elem_t *)RtlGetElementGenericTableAvl(&t, 0);
    assert_true(RtlDeleteElementGenericTableAvl(&t, &e));
  }
  assert_int_equal(t.DepthOfTree, 0);
  assert_null(t.BalancedRoot.RightChild);
}

static void test_avl_first_matching(void **state) {
  (void)state;
  RTL_AVL_TABLE t;
  RtlInitializeGenericTableAvl(&t, avl_compare, avl_alloc, avl_free, NULL);
  for (ULONG k = 5; k < 40; k += 2) {
    elem_t e = mk(k);
    assert_non_null(RtlInsertElementGenericTableAvl(&t, &e, sizeof e, NULL));
  }
  // Look up by tens: the first element of 10..19 is 11.
  t.CompareRoutine = avl_compare_tens;
  elem_t probe = mk(15);
  PVOID key = (PVOID)1;
  elem_t *m = RtlLookupFirstMatchingElementGenericTableAvl(&t, &probe, &key);
  assert_non_null(m);
  assert_int_equal(m->key, 11u);
  assert_ptr_equal(key, (char *)m - 32);
  assert_int_equal(((elem_t *)RtlEnumerateGenericTableWithoutSplayingAvl(&t, &key))->key,
                   13u);
  probe = mk(45);
  assert_null(RtlLookupFirstMatchingElementGenericTableAvl(&t, &probe, &key));
  assert_null(key);
  t.CompareRoutine = avl_compare;
  while (!RtlIsGenericTableEmptyAvl(&t)) {
    elem_t e = *(elem_t *)RtlGetElementGenericTableAvl(&t, 0);
    assert_true(RtlDeleteElementGenericTableAvl(&t, &e));
  }
}

/* ---------------------------------------------------------------------------
 * Random operations against a sorted-array model, both forms.
 * ------------------------------------------------------------------------- */

static uint64_t rng = 0x243F6A8885A308D3ull;
static ULONG rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (ULONG)(rng >> 20);
}

/* BST order and parent links of a splay tree; returns the node count. */
static ULONG splay_check(PRTL_SPLAY_LINKS n, PRTL_SPLAY_LINKS parent) {
  if (n == NULL) return 0;
  assert_ptr_equal(n->Parent, parent != NULL ? parent : n);
  if (n->LeftChild != NULL)
    assert_true(((elem_t *)((char *)n->LeftChild + 40))->key <
                ((elem_t *)((char *)n + 40))->key);
  if (n->RightChild != NULL)
    assert_true(((elem_t *)((char *)n->RightChild + 40))->key >
                ((elem_t *)((char *)n + 40))->key);
  return 1 + splay_check(n->LeftChild, n) + splay_check(n->RightChild, n);
}

static void test_random_against_model(void **state) {
  (void)state;
  enum { N = 200 };
  bool present[N];
  memset(present, 0, sizeof present);
  ULONG count = 0;
  RTL_GENERIC_TABLE s;
  RTL_AVL_TABLE a;
  RtlInitializeGenericTable(&s, splay_compare, splay_alloc, splay_free, NULL);
  RtlInitializeGenericTableAvl(&a, avl_compare, avl_alloc, avl_free, NULL);
  for (int op = 0; op < 6000; op++) {
    ULONG k = rnd() % N;
    elem_t e = mk(k);
    BOOLEAN ns = FALSE, na = FALSE;
    switch (rnd() % 3) {
    case 0: {
      elem_t *ps = RtlInsertElementGenericTable(&s, &e, sizeof e, &ns);
      elem_t *pa = RtlInsertElementGenericTableAvl(&a, &e, sizeof e, &na);
      assert_int_equal(ns, !present[k]);
      assert_int_equal(na, !present[k]);
      assert_int_equal(ps->key, k);
      assert_int_equal(pa->key, k);
      if (!present[k]) count++;
      present[k] = true;
      break;
    }
    case 1:
      assert_int_equal(RtlDeleteElementGenericTable(&s, &e), present[k]);
      assert_int_equal(RtlDeleteElementGenericTableAvl(&a, &e), present[k]);
      if (present[k]) count--;
      present[k] = false;
      break;
    default:
      assert_int_equal(RtlLookupElementGenericTable(&s, &e) != NULL, present[k]);
      assert_int_equal(RtlLookupElementGenericTableAvl(&a, &e) != NULL, present[k]);
      break;
    }
    assert_int_equal(RtlNumberGenericTableElements(&s), count);
    assert_int_equal(RtlNumberGenericTableElementsAvl(&a), count);
    if (op % 97 == 0) {
      assert_int_equal(splay_check(s.TableRoot, NULL), count);
      avl_check_table(&a);
      ULONG i = 0, kk = 0;
      for (elem_t *p = RtlEnumerateGenericTable(&s, TRUE); p != NULL;
           p = RtlEnumerateGenericTable(&s, FALSE), i++) {
        while (!present[kk]) kk++;
        assert_int_equal(p->key, kk);
        assert_int_equal(((elem_t *)RtlGetElementGenericTableAvl(&a, i))->key, kk);
        kk++;
      }
      assert_int_equal(i, count);
    }
  }
  for (ULONG k = 0; k < N; k++) {
    elem_t e = mk(k);
    assert_int_equal(RtlDeleteElementGenericTable(&s, &e), present[k]);
    assert_int_equal(RtlDeleteElementGenericTableAvl(&a, &e), present[k]);
  }
  assert_true(RtlIsGenericTableEmpty(&s));
  assert_true(RtlIsGenericTableEmptyAvl(&a));
}

/* ---------------------------------------------------------------------------
 * Leaks, and RTL_USE_AVL_TABLES.
 * ------------------------------------------------------------------------- */

static void test_leaked_nodes_reported_at_unload(void **state) {
  kp_system_t *sys = *state;
  RTL_GENERIC_TABLE t;
  RtlInitializeGenericTable(&t, splay_compare, splay_alloc, splay_free, NULL);
  for (ULONG k = 0; k < 3; k++) {
    elem_t e = mk(k);
    assert_non_null(RtlInsertElementGenericTable(&t, &e, sizeof e, NULL));
  }
  // The driver "forgets" to empty its table before unloading.
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[3], 3);
  assert_non_null(strstr(kpt_output, "GTbl"));
  assert_non_null(strstr(kpt_output, "test_gentable.c"));
}

/* In test_gentable_avlnames.c, compiled with RTL_USE_AVL_TABLES. */
int kpt_avl_names_run(void);

static void test_rtl_use_avl_tables(void **state) {
  (void)state;
  assert_int_equal(kpt_avl_names_run(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_layouts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_splay_callbacks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_splay_enumerate_and_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_splay_links_routines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_avl_callbacks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_avl_balance_and_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_avl_first_matching, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
      cmocka_unit_test_setup_teardown(test_leaked_nodes_reported_at_unload, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_rtl_use_avl_tables, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
