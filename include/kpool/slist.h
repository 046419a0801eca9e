/**
 * @file kpool/slist.h
 * @brief Interlocked singly linked lists (SLISTs): the core form of
 *        SLIST_HEADER / SLIST_ENTRY and of InitializeSListHead,
 *        InterlockedPushEntrySList, InterlockedPopEntrySList,
 *        InterlockedFlushSList, ExQueryDepthSList and FirstEntrySList.
 *
 * What is simulated (facts §4): the x64 / arm64 layout and semantics.
 *
 * - kp_slist_header_t is 16 bytes, aligned 16. Its first 64-bit word holds
 *   the Depth (bits 0..15) and a 48-bit Sequence (bits 16..63); its second
 *   word holds NextEntry, the address of the first entry (entries are
 *   16-byte aligned, so the low 4 bits, "Reserved" in the WDK's bit fields,
 *   are always 0). This is HeaderX64 of the WDK's SLIST_HEADER.
 * - kp_slist_entry_t is one pointer, aligned 16 (so 16 bytes), like the
 *   Win64 SLIST_ENTRY. Entries must be 16-byte aligned: pool blocks are.
 * - The list is LIFO. The Depth is exact at every moment: it changes in the
 *   same atomic step as the first-entry pointer, so a concurrent
 *   kp_slist_depth() never sees a depth that does not match the list.
 *   Like the 16-bit field, it counts modulo 65536: the 65536th entry makes
 *   it read 0 again (what Windows does beyond 65535 is UNVERIFIED).
 * - Every push, pop and flush increments the Sequence (ReactOS increments
 *   it on push only and zeroes it on flush; facts §4 say bumping on every
 *   operation is harmless). The Sequence only ever grows, so a header value
 *   never repeats and a stale compare-and-swap always fails (no ABA).
 *
 * Implementation (src/slist.c):
 *
 * - **x86-64**: lock-free, one `lock cmpxchg16b` per operation (the library
 *   is compiled with -mcx16; gcc's __sync builtin inlines the instruction,
 *   so no libatomic is needed).
 * - **arm64**: lock-free, a 128-bit exclusive pair (LDAXP/STLXP, or CASP
 *   with LSE) emitted by the compiler for the same builtin.
 * - **Elsewhere** (or when the library is compiled with
 *   -DKP_SLIST_PORTABLE=1, e.g. CMAKE_C_FLAGS): a portable fallback that
 *   serialises the
 *   operations on one header with one of 64 spin locks chosen by the
 *   header's address. Semantics are identical; only push, pop and flush
 *   take the lock; kp_slist_depth() and kp_slist_first() stay lock-free
 *   reads. kp_slist_lock_free() says which one was built.
 * - A pop reads the Next link of the entry it is about to remove while
 *   another thread may already have removed and reused it. That read is
 *   harmless (the compare-and-swap then fails and the pop retries) and is
 *   excluded from AddressSanitizer and ThreadSanitizer checking. Windows
 *   goes one step further: if that entry's page was unmapped meanwhile, its
 *   page-fault handler restarts the pop. kpool cannot: an entry must stay
 *   mapped while it may be in a list (pool blocks always do; a special-pool
 *   page freed concurrently would fault).
 *
 * Misuse: a header or entry that is not 16-byte aligned raises
 * STATUS_DATATYPE_MISALIGNMENT (the user-mode InitializeSListHead does that
 * for the header on Win64; for an entry Windows would silently drop the low
 * address bits, kpool raises instead); a NULL header or entry raises
 * STATUS_ACCESS_VIOLATION, as touching address 0 does. A raise lands in the
 * innermost KP_TRY of the calling thread or, unhandled, is bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED (kpool/raise.h).
 *
 * Thread safety: push, pop, flush, depth and first may be called from any
 * number of threads at once on the same header (any IRQL; kpool does not
 * check it). kp_slist_init() must not race with other operations on the
 * same header.
 */
#ifndef KPOOL_SLIST_H
#define KPOOL_SLIST_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Alignment specifier for the 16-byte aligned SLIST types (C11 / C++11). */
#if defined(__cplusplus)
#define KP_SLIST_ALIGN16 alignas(16)
#else
#define KP_SLIST_ALIGN16 _Alignas(16)
#endif

/** An entry of an SLIST, embedded by the caller in its own structure. */
typedef struct kp_slist_entry {
  KP_SLIST_ALIGN16 struct kp_slist_entry *next; /**< the next entry or NULL */
} kp_slist_entry_t;

/** The head of an SLIST (see the file comment for the bit layout). */
typedef struct kp_slist_header {
  /** Depth (bits 0..15) and Sequence (bits 16..63): the WDK's "Alignment". */
  KP_SLIST_ALIGN16 uint64_t alignment;
  /** NextEntry: address of the first entry (low 4 bits 0): the WDK's "Region". */
  uint64_t region;
} kp_slist_header_t;

/** Mask of the Depth bits in kp_slist_header_t::alignment. */
#define KP_SLIST_DEPTH_MASK 0xFFFFull
/** Shift of the Sequence in kp_slist_header_t::alignment. */
#define KP_SLIST_SEQUENCE_SHIFT 16u

/**
 * Simulates InitializeSListHead / ExInitializeSListHead: an empty list with
 * Depth 0 and Sequence 0.
 * @raise STATUS_DATATYPE_MISALIGNMENT when @p head is not 16-byte aligned;
 *        STATUS_ACCESS_VIOLATION when it is NULL.
 */
KP_API void kp_slist_init(kp_slist_header_t *head);

/**
 * Simulates InterlockedPushEntrySList (and ExInterlockedPushEntrySList,
 * whose lock argument Windows ignores on x64): makes @p entry the first
 * entry. Depth + 1.
 * @return the previous first entry, or NULL if the list was empty.
 * @raise STATUS_DATATYPE_MISALIGNMENT for an unaligned @p head or @p entry;
 *        STATUS_ACCESS_VIOLATION for a NULL one.
 */
KP_API kp_slist_entry_t *kp_slist_push(kp_slist_header_t *head,
                                       kp_slist_entry_t *entry);

/**
 * Simulates InterlockedPushListSList (kernel, ntifs.h) and
 * InterlockedPushListSListEx (user mode, same contract): pushes the chain
 * @p first .. @p last, already linked through their next fields, of
 * @p count entries, at the head in one atomic step. Depth + @p count
 * (modulo 65536; the Depth growth is UNVERIFIED, facts §1.3 / 9).
 * @return the previous first entry, or NULL if the list was empty.
 * @raise STATUS_ACCESS_VIOLATION / STATUS_DATATYPE_MISALIGNMENT for a NULL
 *        or unaligned @p head, @p first or @p last;
 *        STATUS_INVALID_PARAMETER for @p count 0 (kpool's choice).
 */
KP_API kp_slist_entry_t *kp_slist_push_list(kp_slist_header_t *head,
                                            kp_slist_entry_t *first,
                                            kp_slist_entry_t *last,
                                            uint32_t count);

/**
 * Simulates InterlockedPopEntrySList: removes the first entry. Depth - 1.
 * @return the removed entry, or NULL if the list was empty.
 * @raise as kp_slist_push() for @p head.
 */
KP_API kp_slist_entry_t *kp_slist_pop(kp_slist_header_t *head);

/**
 * Simulates InterlockedFlushSList: empties the list in one step (Depth 0).
 * The entries stay linked to each other; the caller now owns them.
 * @return the old first entry, or NULL if the list was empty.
 * @raise as kp_slist_push() for @p head.
 */
KP_API kp_slist_entry_t *kp_slist_flush(kp_slist_header_t *head);

/**
 * Simulates ExQueryDepthSList / QueryDepthSList: the number of entries
 * (modulo 65536), read atomically. Lock-free in every build.
 * @raise as kp_slist_push() for @p head.
 */
KP_API uint16_t kp_slist_depth(const kp_slist_header_t *head);

/**
 * Simulates FirstEntrySList: the first entry without removing it, or NULL.
 * The result may be stale as soon as it is returned (Windows documents the
 * routine as not atomic with respect to other operations).
 * @raise as kp_slist_push() for @p head.
 */
KP_API kp_slist_entry_t *kp_slist_first(const kp_slist_header_t *head);

/** The Sequence number of @p head (for tests and debugging). */
KP_API uint64_t kp_slist_sequence(const kp_slist_header_t *head);

/**
 * True when this build uses the lock-free 16-byte compare-and-swap, false
 * when it uses the portable striped-lock fallback.
 */
KP_API bool kp_slist_lock_free(void);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_SLIST_H */
