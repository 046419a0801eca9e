/**
 * @file kpool/gentable.h
 * @brief Generic tables: the core forms of RTL_GENERIC_TABLE (a splay
 *        tree plus an insertion-order list) and RTL_AVL_TABLE (an AVL
 *        tree), of RTL_SPLAY_LINKS / RTL_BALANCED_LINKS and of the
 *        Rtl*GenericTable* and splay-link routines.
 *
 * What is simulated (surface facts §8.6):
 *
 * - **Layouts** are those of 64-bit Windows and are pinned by static
 *   asserts in src/rtl/gentable.c and src/rtl/avltable.c:
 *   kp_gtable_t (RTL_GENERIC_TABLE) 72 bytes, kp_avl_table_t
 *   (RTL_AVL_TABLE) 104 bytes, kp_splay_links_t 24, kp_balanced_links_t 32.
 * - **Nodes belong to the caller.** The table never allocates by itself:
 *   each new element is one call of the table's allocate routine for
 *   header + user size, where the header is 40 bytes in the splay form
 *   (splay links 24 + insertion-order LIST_ENTRY 16) and 32 bytes in the
 *   AVL form (balanced links). The user data is copied to header start +
 *   40 (or + 32), and that address is what the routines return. Delete calls
 *   the free routine with the pointer the allocate routine returned. So a
 *   driver's callbacks (usually ExAllocatePoolWithTag / ExAllocatePool2 and
 *   ExFreePool) decide the pool and the tag, and leaks of nodes show up
 *   under the driver's tag at unload.
 * - **Call order**, as on Windows: an insert first searches (compare calls,
 *   the new buffer as the first argument and the node's data as the
 *   second), then, only if no element compares equal, allocates, links the
 *   node, copies the data; a delete searches, unlinks, then frees. A user
 *   size whose header sum would not fit in 32 bits fails (NULL) without
 *   calling the allocate routine (kpool's choice; Windows would ask for a
 *   wrapped size).
 * - **Splay form**: insert, lookup (on a hit) and enumerate splay the node
 *   they return to the root, as RtlSplay does; the root's parent link
 *   points to itself. kp_gtable_get() counts in insertion order over the
 *   list, caching the last position (OrderedPointer / WhichOrderedElement);
 *   a delete resets the cache.
 * - **AVL form**: the tree hangs off the sentinel BalancedRoot (its right
 *   child is the real root, its parent points to itself); DepthOfTree is
 *   the height of the tree; lookups never restructure. kp_avl_get()
 *   counts in sort order (an AVL node has no insertion-order links).
 *   DeleteCount counts deletes.
 *
 * Thread safety: none, as on Windows (callers serialise access to a
 * table, for instance with a fast mutex); different tables are
 * independent.
 */
#ifndef KPOOL_GENTABLE_H
#define KPOOL_GENTABLE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** LIST_ENTRY. */
typedef struct kp_list_link {
  struct kp_list_link *flink;
  struct kp_list_link *blink;
} kp_list_link_t;

/** RTL_SPLAY_LINKS. A root's parent is itself. */
typedef struct kp_splay_links {
  struct kp_splay_links *parent;
  struct kp_splay_links *left;
  struct kp_splay_links *right;
} kp_splay_links_t;

/** RTL_BALANCED_LINKS. balance is -1 (left higher), 0 or +1. */
typedef struct kp_balanced_links {
  struct kp_balanced_links *parent;
  struct kp_balanced_links *left;
  struct kp_balanced_links *right;
  int8_t balance;
  uint8_t reserved[3];
} kp_balanced_links_t;

/** RTL_GENERIC_COMPARE_RESULTS. */
typedef enum kp_gt_compare {
  KP_GT_LESS = 0,    /**< GenericLessThan */
  KP_GT_GREATER = 1, /**< GenericGreaterThan */
  KP_GT_EQUAL = 2    /**< GenericEqual */
} kp_gt_compare_t;

/** TABLE_SEARCH_RESULT. */
typedef enum kp_gt_search {
  KP_GT_EMPTY_TREE = 0,   /**< TableEmptyTree */
  KP_GT_FOUND_NODE = 1,   /**< TableFoundNode */
  KP_GT_INSERT_LEFT = 2,  /**< TableInsertAsLeft */
  KP_GT_INSERT_RIGHT = 3  /**< TableInsertAsRight */
} kp_gt_search_t;

/** Header bytes in front of the user data of a node. */
#define KP_GTABLE_NODE_HEADER 40u
#define KP_AVL_NODE_HEADER 32u

typedef struct kp_gtable kp_gtable_t;
typedef struct kp_avl_table kp_avl_table_t;

typedef kp_gt_compare_t (*kp_gtable_compare_fn)(kp_gtable_t *table,
                                                void *first, void *second);
typedef void *(*kp_gtable_allocate_fn)(kp_gtable_t *table, uint32_t size);
typedef void (*kp_gtable_free_fn)(kp_gtable_t *table, void *buffer);
typedef kp_gt_compare_t (*kp_avl_compare_fn)(kp_avl_table_t *table,
                                             void *first, void *second);
typedef void *(*kp_avl_allocate_fn)(kp_avl_table_t *table, uint32_t size);
typedef void (*kp_avl_free_fn)(kp_avl_table_t *table, void *buffer);

/** RTL_GENERIC_TABLE (x64 field order). */
struct kp_gtable {
  kp_splay_links_t *root;          /**< TableRoot */
  kp_list_link_t insert_order;     /**< InsertOrderList */
  kp_list_link_t *ordered;         /**< OrderedPointer */
  uint32_t which_ordered;          /**< WhichOrderedElement (1-based; 0 head) */
  uint32_t count;                  /**< NumberGenericTableElements */
  kp_gtable_compare_fn compare;    /**< CompareRoutine */
  kp_gtable_allocate_fn allocate;  /**< AllocateRoutine */
  kp_gtable_free_fn free_routine;  /**< FreeRoutine */
  void *context;                   /**< TableContext */
};

/** RTL_AVL_TABLE (x64 field order). */
struct kp_avl_table {
  kp_balanced_links_t root;        /**< BalancedRoot (sentinel) */
  void *ordered;                   /**< OrderedPointer */
  uint32_t which_ordered;          /**< WhichOrderedElement */
  uint32_t count;                  /**< NumberGenericTableElements */
  uint32_t depth;                  /**< DepthOfTree */
  kp_balanced_links_t *restart_key;/**< RestartKey */
  uint32_t delete_count;           /**< DeleteCount */
  kp_avl_compare_fn compare;       /**< CompareRoutine */
  kp_avl_allocate_fn allocate;     /**< AllocateRoutine */
  kp_avl_free_fn free_routine;     /**< FreeRoutine */
  void *context;                   /**< TableContext */
};

/* ---------------------------------------------------------------------------
 * Splay links (RtlInitializeSplayLinks, RtlSplay, RtlDelete, ...).
 * ------------------------------------------------------------------------- */

/** RtlInitializeSplayLinks: a one-node tree (parent = itself). */
KP_API void kp_splay_init(kp_splay_links_t *links);
/** RtlSplay: rotates @p links to the root of its tree; returns it. */
KP_API kp_splay_links_t *kp_splay(kp_splay_links_t *links);
/** RtlDelete: removes @p links from its tree, splays its parent; returns
 *  the new root (NULL when the tree is now empty). */
KP_API kp_splay_links_t *kp_splay_delete(kp_splay_links_t *links);
/** RtlDeleteNoSplay: removes @p links, updating *@p root, no splaying. */
KP_API void kp_splay_delete_nosplay(kp_splay_links_t *links,
                                    kp_splay_links_t **root);
/** RtlSubtreeSuccessor / RtlSubtreePredecessor: within @p links' subtree
 *  (NULL when none). */
KP_API kp_splay_links_t *kp_splay_subtree_successor(kp_splay_links_t *links);
KP_API kp_splay_links_t *kp_splay_subtree_predecessor(kp_splay_links_t *links);
/** RtlRealSuccessor / RtlRealPredecessor: in the whole tree. */
KP_API kp_splay_links_t *kp_splay_real_successor(kp_splay_links_t *links);
KP_API kp_splay_links_t *kp_splay_real_predecessor(kp_splay_links_t *links);

/* ---------------------------------------------------------------------------
 * Splay generic table.
 * ------------------------------------------------------------------------- */

/** RtlInitializeGenericTable: an empty table with these routines. */
KP_API void kp_gtable_init(kp_gtable_t *t, kp_gtable_compare_fn compare,
                           kp_gtable_allocate_fn allocate,
                           kp_gtable_free_fn free_routine, void *context);
/**
 * RtlInsertElementGenericTable: the element comparing equal to @p buffer
 * (*@p new_element false), or a new node holding a copy of @p size bytes
 * (*@p new_element true). NULL when the allocate routine returned NULL
 * (*@p new_element untouched). @p new_element may be NULL.
 */
KP_API void *kp_gtable_insert(kp_gtable_t *t, const void *buffer,
                              uint32_t size, bool *new_element);
/** RtlInsertElementGenericTableFull: as kp_gtable_insert() with the
 *  result of an earlier kp_gtable_lookup_full() for @p buffer. */
KP_API void *kp_gtable_insert_full(kp_gtable_t *t, const void *buffer,
                                   uint32_t size, bool *new_element,
                                   void *node_or_parent,
                                   kp_gt_search_t search);
/** RtlDeleteElementGenericTable: true when an element compared equal and
 *  was removed and freed. */
KP_API bool kp_gtable_delete(kp_gtable_t *t, const void *buffer);
/** RtlLookupElementGenericTable: the element's data, or NULL. */
KP_API void *kp_gtable_lookup(kp_gtable_t *t, const void *buffer);
/** RtlLookupElementGenericTableFull: also the node or would-be parent and
 *  where a new node would go. */
KP_API void *kp_gtable_lookup_full(kp_gtable_t *t, const void *buffer,
                                   void **node_or_parent,
                                   kp_gt_search_t *search);
/** RtlEnumerateGenericTable: the first (@p restart) or next element in
 *  sort order, splayed to the root; NULL at the end. */
KP_API void *kp_gtable_enumerate(kp_gtable_t *t, bool restart);
/** RtlEnumerateGenericTableWithoutSplaying: start with *@p key = NULL. */
KP_API void *kp_gtable_enumerate_nosplay(kp_gtable_t *t, void **key);
/** RtlGetElementGenericTable: the @p index-th element in insertion order
 *  (0-based), or NULL. */
KP_API void *kp_gtable_get(kp_gtable_t *t, uint32_t index);
/** RtlNumberGenericTableElements / RtlIsGenericTableEmpty. */
KP_API uint32_t kp_gtable_count(const kp_gtable_t *t);
KP_API bool kp_gtable_empty(const kp_gtable_t *t);

/* ---------------------------------------------------------------------------
 * AVL generic table (the ...Avl routines).
 * ------------------------------------------------------------------------- */

KP_API void kp_avl_init(kp_avl_table_t *t, kp_avl_compare_fn compare,
                        kp_avl_allocate_fn allocate,
                        kp_avl_free_fn free_routine, void *context);
KP_API void *kp_avl_insert(kp_avl_table_t *t, const void *buffer,
                           uint32_t size, bool *new_element);
KP_API void *kp_avl_insert_full(kp_avl_table_t *t, const void *buffer,
                                uint32_t size, bool *new_element,
                                void *node_or_parent, kp_gt_search_t search);
KP_API bool kp_avl_delete(kp_avl_table_t *t, const void *buffer);
KP_API void *kp_avl_lookup(kp_avl_table_t *t, const void *buffer);
KP_API void *kp_avl_lookup_full(kp_avl_table_t *t, const void *buffer,
                                void **node_or_parent,
                                kp_gt_search_t *search);
/**
 * RtlLookupFirstMatchingElementGenericTableAvl: the lowest element (in
 * sort order) that compares equal to @p buffer, or NULL; *@p key is set to
 * its node (NULL when none), ready for kp_avl_enumerate_nosplay().
 */
KP_API void *kp_avl_lookup_first_matching(kp_avl_table_t *t,
                                          const void *buffer, void **key);
/** RtlEnumerateGenericTableAvl: uses the table's RestartKey. */
KP_API void *kp_avl_enumerate(kp_avl_table_t *t, bool restart);
KP_API void *kp_avl_enumerate_nosplay(kp_avl_table_t *t, void **key);
/** RtlGetElementGenericTableAvl: the @p index-th element in sort order. */
KP_API void *kp_avl_get(kp_avl_table_t *t, uint32_t index);
KP_API uint32_t kp_avl_count(const kp_avl_table_t *t);
KP_API bool kp_avl_empty(const kp_avl_table_t *t);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_GENTABLE_H */
