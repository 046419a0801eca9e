/*
 * gentable.c — splay links (RtlSplay, RtlDelete, successors) and the splay
 * form of the generic table (RTL_GENERIC_TABLE). See kpool/gentable.h.
 */
#include <string.h>

#include "kpool/gentable.h"

_Static_assert(sizeof(void *) != 8 || sizeof(kp_splay_links_t) == 24,
               "RTL_SPLAY_LINKS is 24 bytes on x64");
_Static_assert(sizeof(void *) != 8 || sizeof(kp_gtable_t) == 72,
               "RTL_GENERIC_TABLE is 72 bytes on x64");
_Static_assert(sizeof(void *) != 8 ||
                   offsetof(kp_gtable_t, insert_order) == 0x08,
               "InsertOrderList at 0x08");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_gtable_t, compare) == 0x28,
               "CompareRoutine at 0x28");
_Static_assert(sizeof(void *) != 8 || offsetof(kp_gtable_t, context) == 0x40,
               "TableContext at 0x40");
_Static_assert(sizeof(void *) != 8 ||
                   KP_GTABLE_NODE_HEADER ==
                       sizeof(kp_splay_links_t) + sizeof(kp_list_link_t),
               "splay node header: links + LIST_ENTRY = 40 bytes");

/* A node: splay links, then the insertion-order link, then user data. */
typedef struct gt_node {
  kp_splay_links_t links;
  kp_list_link_t order;
} gt_node_t;

static inline void *node_data(kp_splay_links_t *n) {
  return (uint8_t *)n + KP_GTABLE_NODE_HEADER;
}

static inline bool is_root(const kp_splay_links_t *n) { return n->parent == n; }

/* ---------------------------------------------------------------------------
 * Splay links.
 * ------------------------------------------------------------------------- */

void kp_splay_init(kp_splay_links_t *links) {
  links->parent = links;
  links->left = NULL;
  links->right = NULL;
}

// Rotates @x above its parent.
static void rotate_up(kp_splay_links_t *x) {
  kp_splay_links_t *p = x->parent;
  kp_splay_links_t *g = p->parent;
  if (p->left == x) {
    p->left = x->right;
    if (x->right != NULL) x->right->parent = p;
    x->right = p;
  } else {
    p->right = x->left;
    if (x->left != NULL) x->left->parent = p;
    x->left = p;
  }
  if (g == p) {
    x->parent = x; // p was the root
  } else {
    x->parent = g;
    if (g->left == p)
      g->left = x;
    else
      g->right = x;
  }
  p->parent = x;
}

kp_splay_links_t *kp_splay(kp_splay_links_t *x) {
  while (!is_root(x)) {
    kp_splay_links_t *p = x->parent;
    if (is_root(p)) {
      rotate_up(x); // zig
    } else {
      kp_splay_links_t *g = p->parent;
      bool zigzig = (g->left == p) == (p->left == x);
      if (zigzig) {
        rotate_up(p);
        rotate_up(x);
      } else {
        rotate_up(x);
        rotate_up(x);
      }
    }
  }
  return x;
}

kp_splay_links_t *kp_splay_subtree_successor(kp_splay_links_t *n) {
  kp_splay_links_t *q = n->right;
  if (q == NULL) return NULL;
  while (q->left != NULL) q = q->left;
  return q;
}

kp_splay_links_t *kp_splay_subtree_predecessor(kp_splay_links_t *n) {
  kp_splay_links_t *q = n->left;
  if (q == NULL) return NULL;
  while (q->right != NULL) q = q->right;
  return q;
}

kp_splay_links_t *kp_splay_real_successor(kp_splay_links_t *n) {
  kp_splay_links_t *q = kp_splay_subtree_successor(n);
  if (q != NULL) return q;
  while (!is_root(n)) {
    kp_splay_links_t *p = n->parent;
    if (p->left == n) return p;
    n = p;
  }
  return NULL;
}

kp_splay_links_t *kp_splay_real_predecessor(kp_splay_links_t *n) {
  kp_splay_links_t *q = kp_splay_subtree_predecessor(n);
  if (q != NULL) return q;
  while (!is_root(n)) {
    kp_splay_links_t *p = n->parent;
    if (p->right == n) return p;
    n = p;
  }
  return NULL;
}

// Replaces @old by @repl (which may be NULL) in @old's parent; returns the
// new root when @old was the root.
static void replace_child(kp_splay_links_t *old, kp_splay_links_t *repl,
                          kp_splay_links_t **root) {
  if (is_root(old)) {
    if (repl != NULL) repl->parent = repl;
    *root = repl;
    return;
  }
  kp_splay_links_t *p = old->parent;
  if (p->left == old)
    p->left = repl;
  else
    p->right = repl;
  if (repl != NULL) repl->parent = p;
}

// Unlinks @n; returns the node whose subtree lost a node (the parent of
// the position that changed), or NULL when that was the root position.
static kp_splay_links_t *unlink_node(kp_splay_links_t *n,
                                     kp_splay_links_t **root) {
  if (n->left != NULL && n->right != NULL) {
    // Two children: the in-order predecessor (no right child) takes @n's
    // place, as RtlDelete swaps with the subtree predecessor.
    kp_splay_links_t *pred = kp_splay_subtree_predecessor(n);
    kp_splay_links_t *changed = pred->parent == n ? pred : pred->parent;
    if (pred->parent != n) {
      replace_child(pred, pred->left, root);
      pred->left = n->left;
      n->left->parent = pred;
    }
    pred->right = n->right;
    n->right->parent = pred;
    replace_child(n, pred, root);
    return changed;
  }
  kp_splay_links_t *child = n->left != NULL ? n->left : n->right;
  kp_splay_links_t *parent = is_root(n) ? NULL : n->parent;
  replace_child(n, child, root);
  return parent;
}

kp_splay_links_t *kp_splay_delete(kp_splay_links_t *links) {
  kp_splay_links_t *root = links;
  while (!is_root(root)) root = root->parent;
  kp_splay_links_t *changed = unlink_node(links, &root);
  if (changed != NULL) return kp_splay(changed);
  return root;
}

void kp_splay_delete_nosplay(kp_splay_links_t *links, kp_splay_links_t **root) {
  (void)unlink_node(links, root);
}

/* ---------------------------------------------------------------------------
 * The table.
 * ------------------------------------------------------------------------- */

static void list_init(kp_list_link_t *h) { h->flink = h->blink = h; }

void kp_gtable_init(kp_gtable_t *t, kp_gtable_compare_fn compare,
                    kp_gtable_allocate_fn allocate,
                    kp_gtable_free_fn free_routine, void *context) {
  t->root = NULL;
  list_init(&t->insert_order);
  t->ordered = &t->insert_order;
  t->which_ordered = 0;
  t->count = 0;
  t->compare = compare;
  t->allocate = allocate;
  t->free_routine = free_routine;
  t->context = context;
}

static kp_gt_search_t find_node_or_parent(kp_gtable_t *t, const void *buffer,
                                          kp_splay_links_t **out) {
  *out = NULL;
  if (t->root == NULL) return KP_GT_EMPTY_TREE;
  kp_splay_links_t *n = t->root;
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

void *kp_gtable_insert_full(kp_gtable_t *t, const void *buffer, uint32_t size,
                            bool *new_element, void *node_or_parent,
                            kp_gt_search_t search) {
  kp_splay_links_t *where = node_or_parent;
  kp_splay_links_t *n = NULL;
  if (search == KP_GT_FOUND_NODE) {
    if (new_element != NULL) *new_element = false;
    n = where;
  } else {
    if (size > UINT32_MAX - KP_GTABLE_NODE_HEADER) return NULL;
    n = t->allocate(t, size + KP_GTABLE_NODE_HEADER);
    if (n == NULL) return NULL;
    gt_node_t *node = (gt_node_t *)(void *)n;
    kp_splay_init(n);
    // Appended at the tail: the cached insertion-order position stays valid.
    node->order.flink = &t->insert_order;
    node->order.blink = t->insert_order.blink;
    t->insert_order.blink->flink = &node->order;
    t->insert_order.blink = &node->order;
    t->count++;
    if (search == KP_GT_EMPTY_TREE) {
      t->root = n;
    } else if (search == KP_GT_INSERT_LEFT) {
      where->left = n;
      n->parent = where;
    } else {
      where->right = n;
      n->parent = where;
    }
    if (size != 0) memcpy(node_data(n), buffer, size);
    if (new_element != NULL) *new_element = true;
  }
  t->root = kp_splay(n);
  return node_data(n);
}

void *kp_gtable_insert(kp_gtable_t *t, const void *buffer, uint32_t size,
                       bool *new_element) {
  kp_splay_links_t *where = NULL;
  kp_gt_search_t s = find_node_or_parent(t, buffer, &where);
  return kp_gtable_insert_full(t, buffer, size, new_element, where, s);
}

bool kp_gtable_delete(kp_gtable_t *t, const void *buffer) {
  kp_splay_links_t *n = NULL;
  if (find_node_or_parent(t, buffer, &n) != KP_GT_FOUND_NODE) return false;
  t->root = kp_splay_delete(n);
  gt_node_t *node = (gt_node_t *)(void *)n;
  node->order.blink->flink = node->order.flink;
  node->order.flink->blink = node->order.blink;
  t->count--;
  // Indexes after the deleted element shift: restart the cache.
  t->ordered = &t->insert_order;
  t->which_ordered = 0;
  t->free_routine(t, n);
  return true;
}

void *kp_gtable_lookup_full(kp_gtable_t *t, const void *buffer,
                            void **node_or_parent, kp_gt_search_t *search) {
  kp_splay_links_t *n = NULL;
  kp_gt_search_t s = find_node_or_parent(t, buffer, &n);
  *node_or_parent = n;
  *search = s;
  if (s != KP_GT_FOUND_NODE) return NULL;
  t->root = kp_splay(n);
  return node_data(n);
}

void *kp_gtable_lookup(kp_gtable_t *t, const void *buffer) {
  void *n = NULL;
  kp_gt_search_t s;
  return kp_gtable_lookup_full(t, buffer, &n, &s);
}

void *kp_gtable_enumerate(kp_gtable_t *t, bool restart) {
  if (t->root == NULL) return NULL;
  kp_splay_links_t *n = NULL;
  if (restart) {
    n = t->root;
    while (n->left != NULL) n = n->left;
  } else {
    // The element returned last was splayed to the root.
    n = kp_splay_real_successor(t->root);
    if (n == NULL) return NULL;
  }
  t->root = kp_splay(n);
  return node_data(n);
}

void *kp_gtable_enumerate_nosplay(kp_gtable_t *t, void **key) {
  if (t->root == NULL) return NULL;
  kp_splay_links_t *n = NULL;
  if (*key == NULL) {
    n = t->root;
    while (n->left != NULL) n = n->left;
  } else {
    n = kp_splay_real_successor((kp_splay_links_t *)*key);
  }
  if (n == NULL) return NULL;
  *key = n;
  return node_data(n);
}

void *kp_gtable_get(kp_gtable_t *t, uint32_t index) {
  if (index == UINT32_MAX || index >= t->count) return NULL;
  uint32_t need = index + 1u; // 1-based, as WhichOrderedElement
  // Walk from the nearest of: the head, the tail, the cached position.
  kp_list_link_t *p = &t->insert_order;
  uint32_t at = 0;
  uint32_t from_cache = need > t->which_ordered ? need - t->which_ordered
                                                : t->which_ordered - need;
  uint32_t from_tail = t->count - need;
  if (from_cache < need && from_cache <= from_tail) {
    p = t->ordered;
    at = t->which_ordered;
  } else if (from_tail < need) {
    p = t->insert_order.blink;
    at = t->count;
  }
  while (at < need) {
    p = p->flink;
    at++;
  }
  while (at > need) {
    p = p->blink;
    at--;
  }
  t->ordered = p;
  t->which_ordered = need;
  return (uint8_t *)p + sizeof(kp_list_link_t);
}

uint32_t kp_gtable_count(const kp_gtable_t *t) { return t->count; }

bool kp_gtable_empty(const kp_gtable_t *t) { return t->root == NULL; }
