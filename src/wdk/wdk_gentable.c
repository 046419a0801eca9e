/*
 * wdk_gentable.c — the WDK generic table and splay-link names as real
 * exported functions over kpool/gentable.h. No logic: the WDK structures
 * and the core ones share one layout (checked below), so the driver's
 * CompareRoutine / AllocateRoutine / FreeRoutine, stored in the table, are
 * called by the core with the table's own address.
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/gentable.h"

_Static_assert(sizeof(RTL_SPLAY_LINKS) == sizeof(kp_splay_links_t),
               "RTL_SPLAY_LINKS");
_Static_assert(sizeof(RTL_GENERIC_TABLE) == sizeof(kp_gtable_t),
               "RTL_GENERIC_TABLE");
_Static_assert(offsetof(RTL_GENERIC_TABLE, InsertOrderList) ==
                       offsetof(kp_gtable_t, insert_order) &&
                   offsetof(RTL_GENERIC_TABLE, OrderedPointer) ==
                       offsetof(kp_gtable_t, ordered) &&
                   offsetof(RTL_GENERIC_TABLE, NumberGenericTableElements) ==
                       offsetof(kp_gtable_t, count) &&
                   offsetof(RTL_GENERIC_TABLE, CompareRoutine) ==
                       offsetof(kp_gtable_t, compare) &&
                   offsetof(RTL_GENERIC_TABLE, FreeRoutine) ==
                       offsetof(kp_gtable_t, free_routine) &&
                   offsetof(RTL_GENERIC_TABLE, TableContext) ==
                       offsetof(kp_gtable_t, context),
               "RTL_GENERIC_TABLE fields");
_Static_assert(sizeof(RTL_BALANCED_LINKS) == sizeof(kp_balanced_links_t) &&
                   offsetof(RTL_BALANCED_LINKS, Balance) ==
                       offsetof(kp_balanced_links_t, balance),
               "RTL_BALANCED_LINKS");
_Static_assert(sizeof(RTL_AVL_TABLE) == sizeof(kp_avl_table_t) &&
                   offsetof(RTL_AVL_TABLE, OrderedPointer) ==
                       offsetof(kp_avl_table_t, ordered) &&
                   offsetof(RTL_AVL_TABLE, DepthOfTree) ==
                       offsetof(kp_avl_table_t, depth) &&
                   offsetof(RTL_AVL_TABLE, RestartKey) ==
                       offsetof(kp_avl_table_t, restart_key) &&
                   offsetof(RTL_AVL_TABLE, DeleteCount) ==
                       offsetof(kp_avl_table_t, delete_count) &&
                   offsetof(RTL_AVL_TABLE, CompareRoutine) ==
                       offsetof(kp_avl_table_t, compare) &&
                   offsetof(RTL_AVL_TABLE, TableContext) ==
                       offsetof(kp_avl_table_t, context),
               "RTL_AVL_TABLE fields");
_Static_assert((int)GenericLessThan == KP_GT_LESS &&
                   (int)GenericGreaterThan == KP_GT_GREATER &&
                   (int)GenericEqual == KP_GT_EQUAL,
               "RTL_GENERIC_COMPARE_RESULTS");
_Static_assert((int)TableEmptyTree == KP_GT_EMPTY_TREE &&
                   (int)TableFoundNode == KP_GT_FOUND_NODE &&
                   (int)TableInsertAsLeft == KP_GT_INSERT_LEFT &&
                   (int)TableInsertAsRight == KP_GT_INSERT_RIGHT,
               "TABLE_SEARCH_RESULT");

#define SL(p) ((kp_splay_links_t *)(void *)(p))
#define GT(p) ((kp_gtable_t *)(void *)(p))
#define AT(p) ((kp_avl_table_t *)(void *)(p))

// The driver's routines have the WDK types; the core stores and calls them
// through its own pointer types of the same shape (the lookaside face does
// the same with its custom allocators).
#define AS(type, fn) ((type)(void (*)(void))(fn))

/* ---------------------------------------------------------------------------
 * Splay links
 * ------------------------------------------------------------------------- */

PRTL_SPLAY_LINKS NTAPI RtlSplay(PRTL_SPLAY_LINKS Links) {
  return (PRTL_SPLAY_LINKS)(void *)kp_splay(SL(Links));
}

PRTL_SPLAY_LINKS NTAPI RtlDelete(PRTL_SPLAY_LINKS Links) {
  return (PRTL_SPLAY_LINKS)(void *)kp_splay_delete(SL(Links));
}

VOID NTAPI RtlDeleteNoSplay(PRTL_SPLAY_LINKS Links, PRTL_SPLAY_LINKS *Root) {
  kp_splay_delete_nosplay(SL(Links), (kp_splay_links_t **)(void *)Root);
}

PRTL_SPLAY_LINKS NTAPI RtlSubtreeSuccessor(PRTL_SPLAY_LINKS Links) {
  return (PRTL_SPLAY_LINKS)(void *)kp_splay_subtree_successor(SL(Links));
}

PRTL_SPLAY_LINKS NTAPI RtlSubtreePredecessor(PRTL_SPLAY_LINKS Links) {
  return (PRTL_SPLAY_LINKS)(void *)kp_splay_subtree_predecessor(SL(Links));
}

PRTL_SPLAY_LINKS NTAPI RtlRealSuccessor(PRTL_SPLAY_LINKS Links) {
  return (PRTL_SPLAY_LINKS)(void *)kp_splay_real_successor(SL(Links));
}

PRTL_SPLAY_LINKS NTAPI RtlRealPredecessor(PRTL_SPLAY_LINKS Links) {
  return (PRTL_SPLAY_LINKS)(void *)kp_splay_real_predecessor(SL(Links));
}

/* ---------------------------------------------------------------------------
 * Splay form
 * ------------------------------------------------------------------------- */

VOID NTAPI RtlInitializeGenericTable(
    PRTL_GENERIC_TABLE Table, PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine,
    PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine,
    PRTL_GENERIC_FREE_ROUTINE FreeRoutine, PVOID TableContext) {
  kp_gtable_init(GT(Table), AS(kp_gtable_compare_fn, CompareRoutine),
                 AS(kp_gtable_allocate_fn, AllocateRoutine),
                 AS(kp_gtable_free_fn, FreeRoutine), TableContext);
}

// BOOLEAN is one byte on every host; the core reports a bool.
static void put_new(PBOOLEAN out, bool value, bool set) {
  if (out != NULL && set) *out = value ? TRUE : FALSE;
}

PVOID NTAPI RtlInsertElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer,
                                         CLONG BufferSize,
                                         PBOOLEAN NewElement) {
  bool is_new = false;
  PVOID r = kp_gtable_insert(GT(Table), Buffer, BufferSize, &is_new);
  put_new(NewElement, is_new, r != NULL);
  return r;
}

PVOID NTAPI RtlInsertElementGenericTableFull(PRTL_GENERIC_TABLE Table,
                                             PVOID Buffer, CLONG BufferSize,
                                             PBOOLEAN NewElement,
                                             PVOID NodeOrParent,
                                             TABLE_SEARCH_RESULT SearchResult) {
  bool is_new = false;
  PVOID r = kp_gtable_insert_full(GT(Table), Buffer, BufferSize, &is_new,
                                  NodeOrParent, (kp_gt_search_t)SearchResult);
  put_new(NewElement, is_new, r != NULL);
  return r;
}

BOOLEAN NTAPI RtlDeleteElementGenericTable(PRTL_GENERIC_TABLE Table,
                                           PVOID Buffer) {
  return kp_gtable_delete(GT(Table), Buffer) ? TRUE : FALSE;
}

PVOID NTAPI RtlLookupElementGenericTable(PRTL_GENERIC_TABLE Table,
                                         PVOID Buffer) {
  return kp_gtable_lookup(GT(Table), Buffer);
}

PVOID NTAPI RtlLookupElementGenericTableFull(
    PRTL_GENERIC_TABLE Table, PVOID Buffer, PVOID *NodeOrParent,
    TABLE_SEARCH_RESULT *SearchResult) {
  kp_gt_search_t s = KP_GT_EMPTY_TREE;
  PVOID r = kp_gtable_lookup_full(GT(Table), Buffer, NodeOrParent, &s);
  *SearchResult = (TABLE_SEARCH_RESULT)s;
  return r;
}

PVOID NTAPI RtlEnumerateGenericTable(PRTL_GENERIC_TABLE Table,
                                     BOOLEAN Restart) {
  return kp_gtable_enumerate(GT(Table), Restart != FALSE);
}

PVOID NTAPI RtlEnumerateGenericTableWithoutSplaying(PRTL_GENERIC_TABLE Table,
                                                    PVOID *RestartKey) {
  return kp_gtable_enumerate_nosplay(GT(Table), RestartKey);
}

PVOID NTAPI RtlGetElementGenericTable(PRTL_GENERIC_TABLE Table, ULONG I) {
  return kp_gtable_get(GT(Table), I);
}

ULONG NTAPI RtlNumberGenericTableElements(PRTL_GENERIC_TABLE Table) {
  return kp_gtable_count(GT(Table));
}

BOOLEAN NTAPI RtlIsGenericTableEmpty(PRTL_GENERIC_TABLE Table) {
  return kp_gtable_empty(GT(Table)) ? TRUE : FALSE;
}

/* ---------------------------------------------------------------------------
 * AVL form
 * ------------------------------------------------------------------------- */

VOID NTAPI RtlInitializeGenericTableAvl(
    PRTL_AVL_TABLE Table, PRTL_AVL_COMPARE_ROUTINE CompareRoutine,
    PRTL_AVL_ALLOCATE_ROUTINE AllocateRoutine,
    PRTL_AVL_FREE_ROUTINE FreeRoutine, PVOID TableContext) {
  kp_avl_init(AT(Table), AS(kp_avl_compare_fn, CompareRoutine),
              AS(kp_avl_allocate_fn, AllocateRoutine),
              AS(kp_avl_free_fn, FreeRoutine), TableContext);
}

PVOID NTAPI RtlInsertElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer,
                                            CLONG BufferSize,
                                            PBOOLEAN NewElement) {
  bool is_new = false;
  PVOID r = kp_avl_insert(AT(Table), Buffer, BufferSize, &is_new);
  put_new(NewElement, is_new, r != NULL);
  return r;
}

PVOID NTAPI RtlInsertElementGenericTableFullAvl(
    PRTL_AVL_TABLE Table, PVOID Buffer, CLONG BufferSize, PBOOLEAN NewElement,
    PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult) {
  bool is_new = false;
  PVOID r = kp_avl_insert_full(AT(Table), Buffer, BufferSize, &is_new,
                               NodeOrParent, (kp_gt_search_t)SearchResult);
  put_new(NewElement, is_new, r != NULL);
  return r;
}

BOOLEAN NTAPI RtlDeleteElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                              PVOID Buffer) {
  return kp_avl_delete(AT(Table), Buffer) ? TRUE : FALSE;
}

PVOID NTAPI RtlLookupElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                            PVOID Buffer) {
  return kp_avl_lookup(AT(Table), Buffer);
}

PVOID NTAPI RtlLookupElementGenericTableFullAvl(
    PRTL_AVL_TABLE Table, PVOID Buffer, PVOID *NodeOrParent,
    TABLE_SEARCH_RESULT *SearchResult) {
  kp_gt_search_t s = KP_GT_EMPTY_TREE;
  PVOID r = kp_avl_lookup_full(AT(Table), Buffer, NodeOrParent, &s);
  *SearchResult = (TABLE_SEARCH_RESULT)s;
  return r;
}

PVOID NTAPI RtlLookupFirstMatchingElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                                         PVOID Buffer,
                                                         PVOID *RestartKey) {
  return kp_avl_lookup_first_matching(AT(Table), Buffer, RestartKey);
}

PVOID NTAPI RtlEnumerateGenericTableAvl(PRTL_AVL_TABLE Table, BOOLEAN Restart) {
  return kp_avl_enumerate(AT(Table), Restart != FALSE);
}

PVOID NTAPI RtlEnumerateGenericTableWithoutSplayingAvl(PRTL_AVL_TABLE Table,
                                                       PVOID *RestartKey) {
  return kp_avl_enumerate_nosplay(AT(Table), RestartKey);
}

PVOID NTAPI RtlGetElementGenericTableAvl(PRTL_AVL_TABLE Table, ULONG I) {
  return kp_avl_get(AT(Table), I);
}

ULONG NTAPI RtlNumberGenericTableElementsAvl(PRTL_AVL_TABLE Table) {
  return kp_avl_count(AT(Table));
}

BOOLEAN NTAPI RtlIsGenericTableEmptyAvl(PRTL_AVL_TABLE Table) {
  return kp_avl_empty(AT(Table)) ? TRUE : FALSE;
}
