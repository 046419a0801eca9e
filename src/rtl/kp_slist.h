/*
 * kp_slist.h — the SLIST primitives shared by slist.c (the public
 * kp_slist_* functions, which add the argument checks) and lookaside.c
 * (whose hot path calls them inline, on a header it knows is valid).
 * See include/kpool/slist.h for the contract and the layout.
 */
#ifndef KPOOL_SRC_KP_SLIST_H
#define KPOOL_SRC_KP_SLIST_H

#include <stdatomic.h>

#include "kp_types.h"

/* ---------------------------------------------------------------------------
 * Which implementation. The lock-free one needs a 16-byte compare-and-swap
 * the compiler inlines: x86-64 with -mcx16 (gcc and clang then define
 * __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16) or arm64 (clang inlines it there
 * without defining the macro). gcc's __atomic builtins on 16 bytes would
 * call libatomic instead; its __sync builtin is inlined, so we use that.
 * ------------------------------------------------------------------------- */
#if defined(KP_SLIST_PORTABLE) && KP_SLIST_PORTABLE
#define KPI_SLIST_LOCK_FREE 0
#elif defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
#define KPI_SLIST_LOCK_FREE 1
#elif defined(__clang__) && defined(__aarch64__)
#define KPI_SLIST_LOCK_FREE 1
#else
#define KPI_SLIST_LOCK_FREE 0
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KPI_SLIST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KPI_SLIST_SANITIZED 1
#endif

/* The racy read of a Next link (see kpi_slist_read_next) is kept out of the
 * sanitizers' view. A function with sanitizer attributes different from its
 * caller must not be inlined into it, hence noinline in sanitized builds. */
#if defined(KPI_SLIST_SANITIZED)
#define KPI_SLIST_RACY_READ                                                    \
  static __attribute__((no_sanitize("address", "thread"), noinline))
#else
#define KPI_SLIST_RACY_READ static inline
#endif

/* ---------------------------------------------------------------------------
 * Header arithmetic, shared by both implementations.
 * ------------------------------------------------------------------------- */
#define KPI_SLIST_SEQUENCE_MASK 0xFFFFFFFFFFFFull /* 48 bits */

static inline uint64_t kpi_slist_word_with(uint64_t word, uint64_t depth) {
  uint64_t seq =
      ((word >> KP_SLIST_SEQUENCE_SHIFT) + 1) & KPI_SLIST_SEQUENCE_MASK;
  return (seq << KP_SLIST_SEQUENCE_SHIFT) | (depth & KP_SLIST_DEPTH_MASK);
}

static inline uint64_t kpi_slist_word_push(uint64_t word) {
  return kpi_slist_word_with(word, (word & KP_SLIST_DEPTH_MASK) + 1);
}

static inline uint64_t kpi_slist_word_pop(uint64_t word) {
  return kpi_slist_word_with(word, (word & KP_SLIST_DEPTH_MASK) - 1);
}

/*
 * Reads entry->next while another thread may have popped the entry and be
 * writing into it, or have freed it (it is poisoned for ASan then). The
 * value read is only used if the compare-and-swap proves the entry was
 * still first, i.e. untouched, so the race is benign by construction.
 */
KPI_SLIST_RACY_READ uint64_t kpi_slist_read_next(const kp_slist_entry_t *entry) {
  const volatile uint64_t *link = (const volatile uint64_t *)(const void *)entry;
  return *link;
}

/* The Depth, read atomically (lock-free in both implementations). */
static inline uint16_t kpi_slist_depth(const kp_slist_header_t *head) {
  return (uint16_t)(__atomic_load_n(&head->alignment, __ATOMIC_ACQUIRE) &
                    KP_SLIST_DEPTH_MASK);
}

#if KPI_SLIST_LOCK_FREE
/* ---------------------------------------------------------------------------
 * Lock-free: the whole header changes in one 16-byte compare-and-swap.
 * ------------------------------------------------------------------------- */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the lock-free SLIST assumes a little-endian host"
#endif

/* may_alias: the header is also read through its two uint64_t words. */
__extension__ typedef unsigned __int128 __attribute__((may_alias)) kpi_slist_u128;

static inline kpi_slist_u128 kpi_slist_make(uint64_t word, uint64_t next) {
  return ((kpi_slist_u128)next << 64) | word;
}

/* One compare-and-swap of the whole header (a full barrier). On failure
 * *word / *next receive the value found, for the retry. */
static inline bool kpi_slist_swap(kp_slist_header_t *head, uint64_t *word,
                                  uint64_t *next, uint64_t new_word,
                                  uint64_t new_next) {
  kpi_slist_u128 *cell = (kpi_slist_u128 *)(void *)head;
  kpi_slist_u128 old = kpi_slist_make(*word, *next);
  kpi_slist_u128 seen =
      __sync_val_compare_and_swap(cell, old, kpi_slist_make(new_word, new_next));
  if (seen == old) return true;
  *word = (uint64_t)seen;
  *next = (uint64_t)(seen >> 64);
  return false;
}

/* The first guess of the header: two 8-byte reads, which may be torn; a
 * torn guess only makes the first compare-and-swap fail. */
static inline void kpi_slist_load(const kp_slist_header_t *head,
                                  uint64_t *word, uint64_t *next) {
  *word = __atomic_load_n(&head->alignment, __ATOMIC_ACQUIRE);
  *next = __atomic_load_n(&head->region, __ATOMIC_ACQUIRE);
}

static inline kp_slist_entry_t *kpi_slist_push(kp_slist_header_t *head,
                                               kp_slist_entry_t *entry) {
  uint64_t word, next;
  kpi_slist_load(head, &word, &next);
  for (;;) {
    // Written before the swap publishes the entry; the swap is a barrier.
    entry->next = (kp_slist_entry_t *)(uintptr_t)next;
    if (kpi_slist_swap(head, &word, &next, kpi_slist_word_push(word),
                       (uint64_t)(uintptr_t)entry))
      return (kp_slist_entry_t *)(uintptr_t)next;
  }
}

static inline kp_slist_entry_t *kpi_slist_pop(kp_slist_header_t *head) {
  uint64_t word, next;
  kpi_slist_load(head, &word, &next);
  for (;;) {
    if (next == 0) return NULL;
    const kp_slist_entry_t *first = (const kp_slist_entry_t *)(uintptr_t)next;
    uint64_t second = kpi_slist_read_next(first);
    if (kpi_slist_swap(head, &word, &next, kpi_slist_word_pop(word), second))
      return (kp_slist_entry_t *)(uintptr_t)next;
  }
}

/* Pushes the linked chain @first..@last (@count entries) in one swap. */
static inline kp_slist_entry_t *kpi_slist_push_list(kp_slist_header_t *head,
                                                    kp_slist_entry_t *first,
                                                    kp_slist_entry_t *last,
                                                    uint32_t count) {
  uint64_t word, next;
  kpi_slist_load(head, &word, &next);
  for (;;) {
    last->next = (kp_slist_entry_t *)(uintptr_t)next;
    uint64_t depth = ((word & KP_SLIST_DEPTH_MASK) + count) & KP_SLIST_DEPTH_MASK;
    if (kpi_slist_swap(head, &word, &next, kpi_slist_word_with(word, depth),
                       (uint64_t)(uintptr_t)first))
      return (kp_slist_entry_t *)(uintptr_t)next;
  }
}

static inline kp_slist_entry_t *kpi_slist_flush(kp_slist_header_t *head) {
  uint64_t word, next;
  kpi_slist_load(head, &word, &next);
  for (;;) {
    if (next == 0) return NULL;
    if (kpi_slist_swap(head, &word, &next, kpi_slist_word_with(word, 0), 0))
      return (kp_slist_entry_t *)(uintptr_t)next;
  }
}

#else
/* ---------------------------------------------------------------------------
 * Portable fallback: one of 64 spin locks, chosen by the header's address,
 * serialises push, pop and flush. The two header words are still written
 * with atomic stores so that kp_slist_depth() and kp_slist_first() need no
 * lock: the Depth changes in a single store, so it is exact at every moment.
 * ------------------------------------------------------------------------- */
#define KPI_SLIST_STRIPES 64u

typedef struct kpi_slist_stripe {
  atomic_bool held;
  char pad[KPI_CACHE_ALIGN - sizeof(atomic_bool)];
} kpi_slist_stripe_t;

/* Defined in slist.c: one set of locks for the whole process. */
extern kpi_slist_stripe_t kpi_slist_stripes[KPI_SLIST_STRIPES];

static inline kpi_slist_stripe_t *
kpi_slist_stripe_of(const kp_slist_header_t *head) {
  uintptr_t a = (uintptr_t)head >> 4;
  return &kpi_slist_stripes[(a ^ (a >> 6) ^ (a >> 12)) % KPI_SLIST_STRIPES];
}

static inline void kpi_slist_stripe_lock(kpi_slist_stripe_t *s) {
  unsigned spins = 0;
  while (atomic_exchange_explicit(&s->held, true, memory_order_acquire)) {
    if (++spins % 64u == 0) kpi_os_yield();
  }
}

static inline void kpi_slist_stripe_unlock(kpi_slist_stripe_t *s) {
  atomic_store_explicit(&s->held, false, memory_order_release);
}

static inline void kpi_slist_store(kp_slist_header_t *head, uint64_t word,
                                   uint64_t next) {
  __atomic_store_n(&head->region, next, __ATOMIC_RELEASE);
  __atomic_store_n(&head->alignment, word, __ATOMIC_RELEASE);
}

static inline kp_slist_entry_t *kpi_slist_push(kp_slist_header_t *head,
                                               kp_slist_entry_t *entry) {
  kpi_slist_stripe_t *s = kpi_slist_stripe_of(head);
  kpi_slist_stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  entry->next = (kp_slist_entry_t *)(uintptr_t)next;
  kpi_slist_store(head, kpi_slist_word_push(word), (uint64_t)(uintptr_t)entry);
  kpi_slist_stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}

static inline kp_slist_entry_t *kpi_slist_pop(kp_slist_header_t *head) {
  kpi_slist_stripe_t *s = kpi_slist_stripe_of(head);
  kpi_slist_stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  if (next != 0) {
    uint64_t second =
        kpi_slist_read_next((const kp_slist_entry_t *)(uintptr_t)next);
    kpi_slist_store(head, kpi_slist_word_pop(word), second);
  }
  kpi_slist_stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}

static inline kp_slist_entry_t *kpi_slist_push_list(kp_slist_header_t *head,
                                                    kp_slist_entry_t *first,
                                                    kp_slist_entry_t *last,
                                                    uint32_t count) {
  kpi_slist_stripe_t *s = kpi_slist_stripe_of(head);
  kpi_slist_stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  last->next = (kp_slist_entry_t *)(uintptr_t)next;
  uint64_t depth = ((word & KP_SLIST_DEPTH_MASK) + count) & KP_SLIST_DEPTH_MASK;
  kpi_slist_store(head, kpi_slist_word_with(word, depth),
                  (uint64_t)(uintptr_t)first);
  kpi_slist_stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}

static inline kp_slist_entry_t *kpi_slist_flush(kp_slist_header_t *head) {
  kpi_slist_stripe_t *s = kpi_slist_stripe_of(head);
  kpi_slist_stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  if (next != 0) kpi_slist_store(head, kpi_slist_word_with(word, 0), 0);
  kpi_slist_stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}
#endif

#endif /* KPOOL_SRC_KP_SLIST_H */
