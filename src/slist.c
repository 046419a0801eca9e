/*
 * slist.c — interlocked singly linked lists (SLIST_HEADER), lock-free with
 * a 16-byte compare-and-swap on x86-64 and arm64, with a striped-lock
 * fallback elsewhere. See include/kpool/slist.h for the contract.
 */
#include <stdatomic.h>

#include "kp_internal.h"

/* ---------------------------------------------------------------------------
 * Which implementation. The lock-free one needs a 16-byte compare-and-swap
 * the compiler inlines: x86-64 with -mcx16 (gcc and clang then define
 * __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16) or arm64 (clang inlines it there
 * without defining the macro). gcc's __atomic builtins on 16 bytes would
 * call libatomic instead; its __sync builtin is inlined, so we use that.
 * ------------------------------------------------------------------------- */
#if defined(KP_SLIST_PORTABLE) && KP_SLIST_PORTABLE
#define SLIST_LOCK_FREE 0
#elif defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
#define SLIST_LOCK_FREE 1
#elif defined(__clang__) && defined(__aarch64__)
#define SLIST_LOCK_FREE 1
#else
#define SLIST_LOCK_FREE 0
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SLIST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SLIST_SANITIZED 1
#endif

/* The racy read of a Next link (see read_next) is kept out of the
 * sanitizers' view. A function with sanitizer attributes different from its
 * caller must not be inlined into it, hence noinline in sanitized builds. */
#if defined(SLIST_SANITIZED)
#define SLIST_RACY_READ                                                        \
  static __attribute__((no_sanitize("address", "thread"), noinline))
#else
#define SLIST_RACY_READ static inline
#endif

_Static_assert(sizeof(kp_slist_header_t) == 16, "SLIST_HEADER is 16 bytes");
_Static_assert(_Alignof(kp_slist_header_t) == 16, "SLIST_HEADER is aligned 16");
_Static_assert(sizeof(kp_slist_entry_t) == 16 || sizeof(void *) != 8,
               "SLIST_ENTRY is 16 bytes on 64-bit hosts");
_Static_assert(_Alignof(kp_slist_entry_t) == 16, "SLIST_ENTRY is aligned 16");

/* ---------------------------------------------------------------------------
 * Header arithmetic, shared by both implementations.
 * ------------------------------------------------------------------------- */
#define SLIST_SEQUENCE_MASK 0xFFFFFFFFFFFFull /* 48 bits */

static inline uint64_t word_with(uint64_t word, uint64_t depth) {
  uint64_t seq = ((word >> KP_SLIST_SEQUENCE_SHIFT) + 1) & SLIST_SEQUENCE_MASK;
  return (seq << KP_SLIST_SEQUENCE_SHIFT) | (depth & KP_SLIST_DEPTH_MASK);
}

static inline uint64_t word_push(uint64_t word) {
  return word_with(word, (word & KP_SLIST_DEPTH_MASK) + 1);
}

static inline uint64_t word_pop(uint64_t word) {
  return word_with(word, (word & KP_SLIST_DEPTH_MASK) - 1);
}

/* Raises for a header the hardware could not swap. False when raised (a
 * raise normally does not return; a bug check handler may make it). */
static bool header_ok(const kp_slist_header_t *head) {
  if (head == NULL) {
    kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
    return false;
  }
  if (((uintptr_t)head & 15u) != 0) {
    kp_raise_status(KP_STATUS_DATATYPE_MISALIGNMENT);
    return false;
  }
  return true;
}

static bool entry_ok(const kp_slist_entry_t *entry) {
  if (entry == NULL) {
    kp_raise_status(KP_STATUS_ACCESS_VIOLATION);
    return false;
  }
  if (((uintptr_t)entry & 15u) != 0) {
    kp_raise_status(KP_STATUS_DATATYPE_MISALIGNMENT);
    return false;
  }
  return true;
}

/*
 * Reads entry->next while another thread may have popped the entry and be
 * writing into it, or have freed it (it is poisoned for ASan then). The
 * value read is only used if the compare-and-swap proves the entry was
 * still first, i.e. untouched, so the race is benign by construction.
 */
SLIST_RACY_READ uint64_t read_next(const kp_slist_entry_t *entry) {
  const volatile uint64_t *link = (const volatile uint64_t *)(const void *)entry;
  return *link;
}

void kp_slist_init(kp_slist_header_t *head) {
  if (!header_ok(head)) return;
  __atomic_store_n(&head->region, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&head->alignment, 0, __ATOMIC_RELEASE);
}

uint16_t kp_slist_depth(const kp_slist_header_t *head) {
  if (!header_ok(head)) return 0;
  return (uint16_t)(__atomic_load_n(&head->alignment, __ATOMIC_ACQUIRE) &
                    KP_SLIST_DEPTH_MASK);
}

kp_slist_entry_t *kp_slist_first(const kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  return (kp_slist_entry_t *)(uintptr_t)__atomic_load_n(&head->region,
                                                        __ATOMIC_ACQUIRE);
}

uint64_t kp_slist_sequence(const kp_slist_header_t *head) {
  if (!header_ok(head)) return 0;
  return __atomic_load_n(&head->alignment, __ATOMIC_ACQUIRE) >>
         KP_SLIST_SEQUENCE_SHIFT;
}

bool kp_slist_lock_free(void) { return SLIST_LOCK_FREE != 0; }

#if SLIST_LOCK_FREE
/* ---------------------------------------------------------------------------
 * Lock-free: the whole header changes in one 16-byte compare-and-swap.
 * ------------------------------------------------------------------------- */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the lock-free SLIST assumes a little-endian host"
#endif

/* may_alias: the header is also read through its two uint64_t words. */
__extension__ typedef unsigned __int128 __attribute__((may_alias)) slist_u128;

static inline slist_u128 make(uint64_t word, uint64_t next) {
  return ((slist_u128)next << 64) | word;
}

/* One compare-and-swap of the whole header (a full barrier). On failure
 * *word / *next receive the value found, for the retry. */
static inline bool swap_header(kp_slist_header_t *head, uint64_t *word,
                               uint64_t *next, uint64_t new_word,
                               uint64_t new_next) {
  slist_u128 *cell = (slist_u128 *)(void *)head;
  slist_u128 old = make(*word, *next);
  slist_u128 seen = __sync_val_compare_and_swap(cell, old, make(new_word, new_next));
  if (seen == old) return true;
  *word = (uint64_t)seen;
  *next = (uint64_t)(seen >> 64);
  return false;
}

/* The first guess of the header: two 8-byte reads, which may be torn; a
 * torn guess only makes the first compare-and-swap fail. */
static inline void load_header(const kp_slist_header_t *head, uint64_t *word,
                               uint64_t *next) {
  *word = __atomic_load_n(&head->alignment, __ATOMIC_ACQUIRE);
  *next = __atomic_load_n(&head->region, __ATOMIC_ACQUIRE);
}

kp_slist_entry_t *kp_slist_push(kp_slist_header_t *head,
                                kp_slist_entry_t *entry) {
  if (!header_ok(head) || !entry_ok(entry)) return NULL;
  uint64_t word, next;
  load_header(head, &word, &next);
  for (;;) {
    // Written before the swap publishes the entry; the swap is a barrier.
    entry->next = (kp_slist_entry_t *)(uintptr_t)next;
    if (swap_header(head, &word, &next, word_push(word),
                    (uint64_t)(uintptr_t)entry))
      return (kp_slist_entry_t *)(uintptr_t)next;
  }
}

kp_slist_entry_t *kp_slist_pop(kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  uint64_t word, next;
  load_header(head, &word, &next);
  for (;;) {
    if (next == 0) return NULL;
    const kp_slist_entry_t *first = (const kp_slist_entry_t *)(uintptr_t)next;
    uint64_t second = read_next(first);
    if (swap_header(head, &word, &next, word_pop(word), second))
      return (kp_slist_entry_t *)(uintptr_t)next;
  }
}

kp_slist_entry_t *kp_slist_flush(kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  uint64_t word, next;
  load_header(head, &word, &next);
  for (;;) {
    if (next == 0) return NULL;
    if (swap_header(head, &word, &next, word_with(word, 0), 0))
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
#define SLIST_STRIPES 64u

typedef struct slist_stripe {
  atomic_bool held;
  char pad[KPI_CACHE_ALIGN - sizeof(atomic_bool)];
} slist_stripe_t;

static slist_stripe_t slist_stripes[SLIST_STRIPES];

static slist_stripe_t *stripe_of(const kp_slist_header_t *head) {
  uintptr_t a = (uintptr_t)head >> 4;
  return &slist_stripes[(a ^ (a >> 6) ^ (a >> 12)) % SLIST_STRIPES];
}

static void stripe_lock(slist_stripe_t *s) {
  unsigned spins = 0;
  while (atomic_exchange_explicit(&s->held, true, memory_order_acquire)) {
    if (++spins % 64u == 0) kpi_os_yield();
  }
}

static void stripe_unlock(slist_stripe_t *s) {
  atomic_store_explicit(&s->held, false, memory_order_release);
}

static void store_header(kp_slist_header_t *head, uint64_t word,
                         uint64_t next) {
  __atomic_store_n(&head->region, next, __ATOMIC_RELEASE);
  __atomic_store_n(&head->alignment, word, __ATOMIC_RELEASE);
}

kp_slist_entry_t *kp_slist_push(kp_slist_header_t *head,
                                kp_slist_entry_t *entry) {
  if (!header_ok(head) || !entry_ok(entry)) return NULL;
  slist_stripe_t *s = stripe_of(head);
  stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  entry->next = (kp_slist_entry_t *)(uintptr_t)next;
  store_header(head, word_push(word), (uint64_t)(uintptr_t)entry);
  stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}

kp_slist_entry_t *kp_slist_pop(kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  slist_stripe_t *s = stripe_of(head);
  stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  if (next != 0) {
    uint64_t second = read_next((const kp_slist_entry_t *)(uintptr_t)next);
    store_header(head, word_pop(word), second);
  }
  stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}

kp_slist_entry_t *kp_slist_flush(kp_slist_header_t *head) {
  if (!header_ok(head)) return NULL;
  slist_stripe_t *s = stripe_of(head);
  stripe_lock(s);
  uint64_t word = __atomic_load_n(&head->alignment, __ATOMIC_RELAXED);
  uint64_t next = __atomic_load_n(&head->region, __ATOMIC_RELAXED);
  if (next != 0) store_header(head, word_with(word, 0), 0);
  stripe_unlock(s);
  return (kp_slist_entry_t *)(uintptr_t)next;
}
#endif
