/**
 * @file fuzz/fuzz_rtl_ds.c
 * @brief Fuzz target: bitmaps and generic tables (splay and AVL) against
 *        independent models.
 *
 * Input layout (front to back):
 *
 *   size     bitmap size in bits, 0..320 (2 bytes)
 *   ops...   a selector byte each, then the operation's parameters
 *
 * Bitmap operations (kpool/bitmap.h) run on a 10-word buffer whose words
 * past the map hold a canary pattern: set / clear ranges (inside the map),
 * find (clear / set, and-flip) with any count and hint, the run routines,
 * counts; each result is compared with a bit-by-bit model and the padding
 * must be untouched. Table operations insert, delete and look up keys
 * 0..63 in a splay table and an AVL table whose callbacks allocate from
 * non-paged pool (tag "Fzgt"); a bool array is the model; the splay tree's
 * order and parent links, the AVL balance factors and DepthOfTree, and the
 * callbacks' sizes (40 + size, 32 + size) are checked. No bug check may
 * happen; at the end the tables are emptied and kp_driver_unload() must be
 * clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kpool/kpool.h>

#include "fuzz_helpers.h"

#define FR_WORDS 10u
#define FR_KEYS 64u
#define FR_CANARY 0xC3A5965Au
#define FR_TAG KP_TAG('F', 'z', 'g', 't')

static kp_system_t *fr_sys;
static uint32_t fr_buf[FR_WORDS];
static uint32_t fr_model[FR_WORDS];
static uint32_t fr_size;

static void fr_quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

static void fr_bugcheck(const kp_bugcheck_t *bc, void *arg) {
  (void)arg;
  kp_bugcheck_print(bc, NULL, NULL);
  fuzz_assert_fail("no bug check", __FILE__, __LINE__);
}

/* ---------------------------------------------------------------------------
 * Bitmap model.
 * ------------------------------------------------------------------------- */

static int m_get(uint32_t i) { return (int)((fr_model[i / 32] >> (i % 32)) & 1u); }

static void m_put(uint32_t i, int v) {
  if (v)
    fr_model[i / 32] |= 1u << (i % 32);
  else
    fr_model[i / 32] &= ~(1u << (i % 32));
}

static bool m_run(uint32_t s, uint32_t n, int v) {
  if ((uint64_t)s + n > fr_size) return false;
  for (uint32_t i = s; i < s + n; i++)
    if (m_get(i) != v) return false;
  return true;
}

static uint32_t m_find(uint32_t n, uint32_t hint, int v) {
  if (n > fr_size) return KP_BITMAP_NOT_FOUND;
  if (hint >= fr_size) hint = 0;
  if (n == 0) return hint & ~7u;
  for (uint32_t s = hint; s + n <= fr_size; s++)
    if (m_run(s, n, v)) return s;
  for (uint32_t s = 0; s < hint && s + n <= fr_size; s++)
    if (m_run(s, n, v)) return s;
  return KP_BITMAP_NOT_FOUND;
}

static void bitmap_op(kp_bitmap_t *bm, fuzz_data_t *d, uint8_t sel) {
  uint32_t n = (uint32_t)fuzz_range(d, 0, fr_size + 2);
  uint32_t hint = (uint32_t)fuzz_range(d, 0, fr_size + 2);
  switch (sel % 6) {
  case 0: { // set or clear a range inside the map
    if (fr_size == 0) break;
    uint32_t s = hint % fr_size;
    uint32_t c = n % (fr_size - s + 1);
    int v = (sel / 6) & 1;
    if (v)
      kp_bitmap_set_bits(bm, s, c);
    else
      kp_bitmap_clear_bits(bm, s, c);
    for (uint32_t i = s; i < s + c; i++) m_put(i, v);
    break;
  }
  case 1:
    FUZZ_ASSERT(kp_bitmap_find_clear(bm, n, hint) == m_find(n, hint, 0));
    FUZZ_ASSERT(kp_bitmap_find_set(bm, n, hint) == m_find(n, hint, 1));
    break;
  case 2: { // find and flip
    int v = (sel / 6) & 1;
    uint32_t want = m_find(n, hint, v);
    uint32_t got = v ? kp_bitmap_find_set_and_clear(bm, n, hint)
                     : kp_bitmap_find_clear_and_set(bm, n, hint);
    FUZZ_ASSERT(got == want);
    if (want != KP_BITMAP_NOT_FOUND)
      for (uint32_t i = want; i < want + n; i++) m_put(i, !v);
    break;
  }
  case 3: { // are-bits
    bool clear = n != 0 && m_run(hint, n, 0);
    bool set = n != 0 && m_run(hint, n, 1);
    FUZZ_ASSERT(kp_bitmap_are_clear(bm, hint, n) == clear);
    FUZZ_ASSERT(kp_bitmap_are_set(bm, hint, n) == set);
    break;
  }
  case 4: { // forward and backward runs
    uint32_t st = 0, ms = hint;
    while (ms < fr_size && m_get(ms)) ms++;
    uint32_t me = ms;
    while (me < fr_size && !m_get(me)) me++;
    uint32_t len = kp_bitmap_next_run_clear(bm, hint, &st);
    FUZZ_ASSERT(len == (ms < fr_size ? me - ms : 0));
    FUZZ_ASSERT(st == (ms < fr_size ? ms : fr_size));
    len = kp_bitmap_last_run_clear_backward(bm, hint, &st);
    if (hint >= fr_size) {
      FUZZ_ASSERT(len == 0 && st == 0);
    } else {
      int64_t e = hint;
      while (e >= 0 && m_get((uint32_t)e)) e--;
      int64_t b = e;
      while (b >= 0 && !m_get((uint32_t)b)) b--;
      FUZZ_ASSERT(len == (e < 0 ? 0u : (uint32_t)(e - b)));
      FUZZ_ASSERT(st == (e < 0 ? 0u : (uint32_t)(b + 1)));
    }
    break;
  }
  default: { // counts and the longest run
    uint32_t set = 0, best = 0, best_at = 0;
    for (uint32_t i = 0; i < fr_size; i++) set += (uint32_t)m_get(i);
    for (uint32_t i = 0; i < fr_size;) {
      if (m_get(i)) {
        i++;
        continue;
      }
      uint32_t j = i;
      while (j < fr_size && !m_get(j)) j++;
      if (j - i > best) {
        best = j - i;
        best_at = i;
      }
      i = j;
    }
    FUZZ_ASSERT(kp_bitmap_count_set(bm) == set);
    FUZZ_ASSERT(kp_bitmap_count_clear(bm) == fr_size - set);
    uint32_t st = 0;
    FUZZ_ASSERT(kp_bitmap_longest_run_clear(bm, &st) == best);
    FUZZ_ASSERT(st == best_at);
    break;
  }
  }
  // Map bits equal the model; padding bits and words untouched.
  for (uint32_t w = 0; w < FR_WORDS; w++) {
    uint32_t map_bits = 0;
    if (fr_size >= (w + 1) * 32)
      map_bits = 0xFFFFFFFFu;
    else if (fr_size > w * 32)
      map_bits = (1u << (fr_size - w * 32)) - 1u;
    FUZZ_ASSERT((fr_buf[w] & map_bits) == (fr_model[w] & map_bits));
    FUZZ_ASSERT((fr_buf[w] & ~map_bits) == (FR_CANARY & ~map_bits));
  }
}

/* ---------------------------------------------------------------------------
 * Tables.
 * ------------------------------------------------------------------------- */

typedef struct fr_elem {
  uint32_t key;
  uint32_t check;
} fr_elem_t;

static uint32_t fr_expect_size;

static kp_gt_compare_t fr_cmp(uint32_t a, uint32_t b) {
  return a < b ? KP_GT_LESS : a > b ? KP_GT_GREATER : KP_GT_EQUAL;
}

static kp_gt_compare_t s_cmp(kp_gtable_t *t, void *a, void *b) {
  (void)t;
  return fr_cmp(((fr_elem_t *)a)->key, ((fr_elem_t *)b)->key);
}

static void *s_alloc(kp_gtable_t *t, uint32_t size) {
  (void)t;
  FUZZ_ASSERT(size == fr_expect_size + KP_GTABLE_NODE_HEADER);
  return kp_alloc2(fr_sys, KP_POOL_FLAG_NON_PAGED, size, FR_TAG, KP_HERE);
}

static void s_free(kp_gtable_t *t, void *p) {
  (void)t;
  kp_free(fr_sys, p, FR_TAG, KP_HERE);
}

static kp_gt_compare_t a_cmp(kp_avl_table_t *t, void *a, void *b) {
  (void)t;
  return fr_cmp(((fr_elem_t *)a)->key, ((fr_elem_t *)b)->key);
}

static void *a_alloc(kp_avl_table_t *t, uint32_t size) {
  (void)t;
  FUZZ_ASSERT(size == fr_expect_size + KP_AVL_NODE_HEADER);
  return kp_alloc2(fr_sys, KP_POOL_FLAG_NON_PAGED, size, FR_TAG, KP_HERE);
}

static void a_free(kp_avl_table_t *t, void *p) {
  (void)t;
  kp_free(fr_sys, p, FR_TAG, KP_HERE);
}

static uint32_t key_of(void *node, uint32_t header) {
  return ((fr_elem_t *)(void *)((uint8_t *)node + header))->key;
}

static uint32_t splay_check(kp_splay_links_t *n, kp_splay_links_t *parent) {
  if (n == NULL) return 0;
  FUZZ_ASSERT(n->parent == (parent != NULL ? parent : n));
  if (n->left != NULL)
    FUZZ_ASSERT(key_of(n->left, KP_GTABLE_NODE_HEADER) <
                key_of(n, KP_GTABLE_NODE_HEADER));
  if (n->right != NULL)
    FUZZ_ASSERT(key_of(n->right, KP_GTABLE_NODE_HEADER) >
                key_of(n, KP_GTABLE_NODE_HEADER));
  return 1 + splay_check(n->left, n) + splay_check(n->right, n);
}

static int avl_height(kp_balanced_links_t *n, kp_balanced_links_t *parent,
                      uint32_t *count) {
  if (n == NULL) return 0;
  FUZZ_ASSERT(n->parent == parent);
  (*count)++;
  int hl = avl_height(n->left, n, count);
  int hr = avl_height(n->right, n, count);
  FUZZ_ASSERT(n->balance == hr - hl);
  FUZZ_ASSERT(n->balance >= -1 && n->balance <= 1);
  return 1 + (hl > hr ? hl : hr);
}

static void table_op(kp_gtable_t *s, kp_avl_table_t *a, bool *present,
                     fuzz_data_t *d, uint8_t sel) {
  fr_elem_t e;
  e.key = (uint32_t)fuzz_range(d, 0, FR_KEYS - 1);
  e.check = e.key * 2654435761u;
  fr_expect_size = sizeof e;
  switch (sel % 3) {
  case 0: {
    bool ns = false, na = false;
    fr_elem_t *ps = kp_gtable_insert(s, &e, sizeof e, &ns);
    fr_elem_t *pa = kp_avl_insert(a, &e, sizeof e, &na);
    FUZZ_ASSERT(ps != NULL && pa != NULL);
    FUZZ_ASSERT(ns == !present[e.key] && na == !present[e.key]);
    FUZZ_ASSERT(ps->check == e.check && pa->check == e.check);
    present[e.key] = true;
    break;
  }
  case 1:
    FUZZ_ASSERT(kp_gtable_delete(s, &e) == present[e.key]);
    FUZZ_ASSERT(kp_avl_delete(a, &e) == present[e.key]);
    present[e.key] = false;
    break;
  default:
    FUZZ_ASSERT((kp_gtable_lookup(s, &e) != NULL) == present[e.key]);
    FUZZ_ASSERT((kp_avl_lookup(a, &e) != NULL) == present[e.key]);
    break;
  }
  uint32_t count = 0;
  for (uint32_t k = 0; k < FR_KEYS; k++) count += present[k];
  FUZZ_ASSERT(kp_gtable_count(s) == count && kp_avl_count(a) == count);
  FUZZ_ASSERT(splay_check(s->root, NULL) == count);
  uint32_t n = 0;
  int h = avl_height(a->root.right, &a->root, &n);
  FUZZ_ASSERT(n == count && (uint32_t)h == a->depth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_data_t d = fuzz_data_init(data, size);
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = fr_quiet;
  cfg.paged_pool_bytes = (size_t)1 << 20;
  cfg.nonpaged_pool_bytes = (size_t)2 << 20;
  fr_sys = kp_system_create(&cfg);
  FUZZ_ASSERT(fr_sys != NULL);
  kp_bugcheck_set_handler(fr_sys, fr_bugcheck, NULL, NULL, NULL);

  fr_size = (uint32_t)fuzz_range(&d, 0, 32 * FR_WORDS);
  for (uint32_t w = 0; w < FR_WORDS; w++) fr_buf[w] = FR_CANARY;
  memcpy(fr_model, fr_buf, sizeof fr_buf);
  kp_bitmap_t bm;
  kp_bitmap_init(&bm, fr_buf, fr_size);
  kp_gtable_t s;
  kp_avl_table_t a;
  kp_gtable_init(&s, s_cmp, s_alloc, s_free, NULL);
  kp_avl_init(&a, a_cmp, a_alloc, a_free, NULL);
  bool present[FR_KEYS];
  memset(present, 0, sizeof present);

  int count = 0;
  while (!fuzz_data_empty(&d) && count++ < 1024) {
    uint8_t sel = fuzz_u8(&d);
    if (sel & 0x80u)
      table_op(&s, &a, present, &d, sel);
    else
      bitmap_op(&bm, &d, sel);
  }

  for (uint32_t k = 0; k < FR_KEYS; k++) {
    fr_elem_t e = {k, 0};
    FUZZ_ASSERT(kp_gtable_delete(&s, &e) == present[k]);
    FUZZ_ASSERT(kp_avl_delete(&a, &e) == present[k]);
  }
  FUZZ_ASSERT(kp_gtable_empty(&s) && kp_avl_empty(&a) && a.depth == 0);
  FUZZ_ASSERT(kp_driver_unload(fr_sys) == KP_STATUS_SUCCESS);
  FUZZ_ASSERT(kp_bugcheck_count(fr_sys) == 0);
  kp_system_destroy(fr_sys);
  fr_sys = NULL;
  return 0;
}
