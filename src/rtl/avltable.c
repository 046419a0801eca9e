/*
 * avltable.c — the AVL form of the generic table (RTL_AVL_TABLE and the
 * ...Avl routines). See kpool/gentable.h.
 *
 * The tree hangs off the sentinel t->root: its right child is the real
 * root and its parent is itself. balance = height(right) - height(left).
 */
#include <string.h>

#include "kpool/gentable.h"

_Static_assert(sizeof(void *) != 8 || sizeof(kp_balanced_links_t) == 32,
               "RTL_BALANCED_LINKS is 32 bytes on x64");
_Static_assert(sizeof(void *) != 8 || sizeof(kp_avl_table_t) == 104,
               "RTL_AVL_TABLE is 104 bytes on x64");
_Static_assert(sizeof(void *) != 8 ||
                   offsetof(kp_balanced_links_t, balance) == 0x18,
               "Balance at 0x18");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_avl_table_t, ordered) == 0x20,
               "OrderedPointer at 0x20");
_Static_assert(sizeof(void *) != 8 ||
                   offsetof(kp_avl_table_t, restart_key) == 0x38,
               "RestartKey at 0x38");
_Static_assert(sizeof(void *) != 8 ||
                   offsetof(kp_avl_table_t, delete_count) == 0x40,
               "DeleteCount at 0x40");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_avl_table_t, compare) == 0x48,
               "CompareRoutine at 0x48");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_avl_table_t, context) == 0x60,
               "TableContext at 0x60");
_Static_assert(KP_AVL_NODE_HEADER == sizeof(kp_balanced_links_t) ||
                   sizeof(void *) != 8,
               "AVL node header = RTL_BALANCED_LINKS");

typedef kp_balanced_links_t node_t;

static inline void *node_data(node_t *n) {
  return (uint8_t *)n + KP_AVL_NODE_HEADER;
}

static inline node_t *tree_root(kp_avl_table_t *t) { return t->root.right; }

/* ---------------------------------------------------------------------------
 * Navigation.
 * ------------------------------------------------------------------------- */

static node_t *leftmost(node_t *n) {
  while (n->left != NULL) n = n->left;
  return n;
}

static node_t *rightmost(node_t *n) {
  while (n->right != NULL) n = n->right;
  return n;
}

static node_t *successor(kp_avl_table_t *t, node_t *n) {
  if (n->right != NULL) return leftmost(n->right);
  for (;;) {
    node_t *p = n->parent;
    if (p == &t->root) return NULL;
    if (p->left == n) return p;
    n = p;
  }
}

static node_t *predecessor(kp_avl_table_t *t, node_t *n) {
  if (n->left != NULL) return rightmost(n->left);
  for (;;) {
    node_t *p = n->parent;
    if (p == &t->root) return NULL;
    if (p->right == n) return p;
    n = p;
  }
}

/* ---------------------------------------------------------------------------
 * Rebalancing.
 * ------------------------------------------------------------------------- */

// Puts @repl where @old hangs from @old's parent (the sentinel included).
static void relink_parent(node_t *old, node_t *repl) {
  node_t *p = old->parent;
  if (p->left == old)
    p->left = repl;
  else
    p->right = repl;
  if (repl != NULL) repl->parent = p;
}

static void rotate_left(node_t *x) {
  node_t *y = x->right;
  x->right = y->left;
  if (y->left != NULL) y->left->parent = x;
  relink_parent(x, y);
  y->left = x;
  x->parent = y;
}

static void rotate_right(node_t *x) {
  node_t *y = x->left;
  x->left = y->right;
  if (y->right != NULL) y->right->parent = x;
  relink_parent(x, y);
  y->right = x;
  x->parent = y;
}

// @p has balance +2 or -2. Rotates; returns the subtree's new root and sets
// *shorter when the subtree is now one level lower than before the
// rotation (always after an insert's imbalance; after a delete's unless
// the child was balanced).
static node_t *rebalance(node_t *p, bool *shorter) {
  if (p->balance > 0) {
    node_t *r = p->right;
    if (r->balance >= 0) {
      rotate_left(p);
      if (r->balance == 0) {
        p->balance = 1;
        r->balance = -1;
        *shorter = false;
      } else {
        p->balance = 0;
        r->balance = 0;
        *shorter = true;
      }
      return r;
    }
    node_t *rl = r->left;
    rotate_right(r);
    rotate_left(p);
    p->balance = (int8_t)(rl->balance > 0 ? -1 : 0);
    r->balance = (int8_t)(rl->balance < 0 ? 1 : 0);
    rl->balance = 0;
    *shorter = true;
    return rl;
  }
  node_t *l = p->left;
  if (l->balance <= 0) {
    rotate_right(p);
    if (l->balance == 0) {
      p->balance = -1;
      l->balance = 1;
      *shorter = false;
    } else {
      p->balance = 0;
      l->balance = 0;
      *shorter = true;
    }
    return l;
  }
  node_t *lr = l->right;
  rotate_left(l);
  rotate_right(p);
  p->balance = (int8_t)(lr->balance < 0 ? 1 : 0);
  l->balance = (int8_t)(lr->balance > 0 ? -1 : 0);
  lr->balance = 0;
  *shorter = true;
  return lr;
}

// After @n was linked as a leaf.
static void insert_fixup(kp_avl_table_t *t, node_t *n) {
  node_t *child = n;
  node_t *p = n->parent;
  while (p != &t->root) {
    p->balance = (int8_t)(p->balance + (p->left == child ? -1 : 1));
    if (p->balance == 0) return;
    if (p->balance == 2 || p->balance == -2) {
      bool shorter;
      (void)rebalance(p, &shorter);
      return; // an insert's rotation restores the subtree's height
    }
    child = p;
    p = p->parent;
  }
  t->depth++;
}

// The subtree on @left_side of @p lost one level.
static void delete_fixup(kp_avl_table_t *t, node_t *p, bool left_side) {
  while (p != &t->root) {
    p->balance = (int8_t)(p->balance + (left_side ? 1 : -1));
    if (p->balance == 1 || p->balance == -1) return;
    node_t *top = p;
    if (p->balance != 0) {
      bool shorter;
      top = rebalance(p, &shorter);
      if (!shorter) return;
    }
    left_side = top->parent->left == top;
    p = top->parent;
  }
  t->depth--;
}

/* ---------------------------------------------------------------------------
 * The table.
 * ------------------------------------------------------------------------- */

void kp_avl_init(kp_avl_table_t *t, kp_avl_compare_fn compare,
                 kp_avl_allocate_fn allocate, kp_avl_free_fn free_routine,
                 void *context) {
  memset(t, 0, sizeof *t);
  t->root.parent = &t->root;
  t->compare = compare;
  t->allocate = allocate;
  t->free_routine = free_routine;
  t->context = context;
}

static kp_gt_search_t find_node_or_parent(kp_avl_table_t *t, const void *buffer,
                                          node_t **out) {
  *out = NULL;
  if (tree_root(t) == NULL) return KP_GT_EMPTY_TREE;
  node_t *n = tree_root(t);
  for (;;) {
    kp_gt_compare_t r = t->compare(t, (void *)(uintptr_t)buffer, node_data(n));
    if (r == KP_GT_LESS) {
      if (n->left == NULL) {
        *out = n;
        return KP_GT_INSERT_LEFT;
      }
      n = n->left;
    } else if (r == KP_GT_GREATER) {
      if (n->right == NULL) {
        *out = n;
        return KP_GT_INSERT_RIGHT;
      }
      n = n->right;
    } else {
      *out = n;
      return KP_GT_FOUND_NODE;
    }
  }
}

void *kp_avl_insert_full(kp_avl_table_t *t, const void *buffer, uint32_t size,
                         bool *new_element, void *node_or_parent,
                         kp_gt_search_t search) {
  node_t *where = node_or_parent;
  if (search == KP_GT_FOUND_NODE) {
    if (new_element != NULL) *new_element = false;
    return node_data(where);
  }
  if (size > UINT32_MAX - KP_AVL_NODE_HEADER) return NULL;
  node_t *n = t->allocate(t, size + KP_AVL_NODE_HEADER);
  if (n == NULL) return NULL;
  memset(n, 0, sizeof *n);
  t->count++;
  // Sort-order indexes after the new element shift: restart the cache.
  t->ordered = NULL;
  t->which_ordered = 0;
  if (search == KP_GT_EMPTY_TREE) {
    t->root.right = n;
    n->parent = &t->root;
  } else if (search == KP_GT_INSERT_LEFT) {
    where->left = n;
    n->parent = where;
  } else {
    where->right = n;
    n->parent = where;
  }
  if (size != 0) memcpy(node_data(n), buffer, size);
  insert_fixup(t, n);
  if (new_element != NULL) *new_element = true;
  return node_data(n);
}

void *kp_avl_insert(kp_avl_table_t *t, const void *buffer, uint32_t size,
                    bool *new_element) {
  node_t *where = NULL;
  kp_gt_search_t s = find_node_or_parent(t, buffer, &where);
  return kp_avl_insert_full(t, buffer, size, new_element, where, s);
}

bool kp_avl_delete(kp_avl_table_t *t, const void *buffer) {
  node_t *n = NULL;
  if (find_node_or_parent(t, buffer, &n) != KP_GT_FOUND_NODE) return false;
  // An enumeration standing on @n continues after it.
  if (t->restart_key == n) t->restart_key = predecessor(t, n);
  // The node actually unlinked has at most one child: @n itself, or its
  // successor (balance >= 0) or predecessor (left-heavy) which then takes
  // @n's place.
  node_t *easy = n;
  if (n->left != NULL && n->right != NULL)
    easy = n->balance >= 0 ? leftmost(n->right) : rightmost(n->left);
  node_t *child = easy->left != NULL ? easy->left : easy->right;
  node_t *p = easy->parent;
  bool left_side = p->left == easy;
  relink_parent(easy, child);
  delete_fixup(t, p, left_side);
  if (easy != n) {
    // Put @easy where @n now is (the fixup may have rotated @n).
    easy->left = n->left;
    easy->right = n->right;
    easy->balance = n->balance;
    if (easy->left != NULL) easy->left->parent = easy;
    if (easy->right != NULL) easy->right->parent = easy;
    relink_parent(n, easy);
  }
  t->count--;
  t->delete_count++;
  t->ordered = NULL;
  t->which_ordered = 0;
  t->free_routine(t, n);
  return true;
}

void *kp_avl_lookup_full(kp_avl_table_t *t, const void *buffer,
                         void **node_or_parent, kp_gt_search_t *search) {
  node_t *n = NULL;
  kp_gt_search_t s = find_node_or_parent(t, buffer, &n);
  *node_or_parent = n;
  *search = s;
  return s == KP_GT_FOUND_NODE ? node_data(n) : NULL;
}

void *kp_avl_lookup(kp_avl_table_t *t, const void *buffer) {
  void *n = NULL;
  kp_gt_search_t s;
  return kp_avl_lookup_full(t, buffer, &n, &s);
}

void *kp_avl_lookup_first_matching(kp_avl_table_t *t, const void *buffer,
                                   void **key) {
  node_t *n = NULL;
  *key = NULL;
  if (find_node_or_parent(t, buffer, &n) != KP_GT_FOUND_NODE) return NULL;
  // Equal elements are neighbours in sort order: walk back to the first.
  for (;;) {
    node_t *prev = predecessor(t, n);
    if (prev == NULL || t->compare(t, (void *)(uintptr_t)buffer,
                                   node_data(prev)) != KP_GT_EQUAL)
      break;
    n = prev;
  }
  *key = n;
  return node_data(n);
}

void *kp_avl_enumerate_nosplay(kp_avl_table_t *t, void **key) {
  if (tree_root(t) == NULL) return NULL;
  node_t *n =
      *key == NULL ? leftmost(tree_root(t)) : successor(t, (node_t *)*key);
  if (n == NULL) return NULL;
  *key = n;
  return node_data(n);
}

void *kp_avl_enumerate(kp_avl_table_t *t, bool restart) {
  if (restart) t->restart_key = NULL;
  void *key = t->restart_key;
  void *data = kp_avl_enumerate_nosplay(t, &key);
  t->restart_key = key;
  return data;
}

void *kp_avl_get(kp_avl_table_t *t, uint32_t index) {
  if (index == UINT32_MAX || index >= t->count) return NULL;
  uint32_t need = index + 1u;
  node_t *n = NULL;
  uint32_t at = 0;
  uint32_t from_tail = t->count - need;
  uint32_t from_cache = UINT32_MAX;
  if (t->ordered != NULL && t->which_ordered != 0)
    from_cache = need > t->which_ordered ? need - t->which_ordered
                                         : t->which_ordered - need;
  if (from_cache < need - 1u && from_cache <= from_tail) {
    n = t->ordered;
    at = t->which_ordered;
  } else if (from_tail < need - 1u) {
    n = rightmost(tree_root(t));
    at = t->count;
  } else {
    n = leftmost(tree_root(t));
    at = 1;
  }
  while (at < need) {
    n = successor(t, n);
    at++;
  }
  while (at > need) {
    n = predecessor(t, n);
    at--;
  }
  t->ordered = n;
  t->which_ordered = need;
  return node_data(n);
}

uint32_t kp_avl_count(const kp_avl_table_t *t) { return t->count; }

bool kp_avl_empty(const kp_avl_table_t *t) { return t->count == 0; }
