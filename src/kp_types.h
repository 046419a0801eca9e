/*
 * kp_types.h — the types the core's folders share: per-thread state, the
 * allocation request, the pool's out-of-band records, heaps and pools, the
 * module operations, events and struct kp_system. Types, constants and
 * inline helpers that read only these types; the functions are declared in
 * one small header per folder (ke/kp_ke.h, mm/kp_mm.h, ex/kp_ex.h,
 * sim/kp_sim.h, rtl/kp_rtl.h, vf/kp_verifier.h).
 */
#ifndef KPOOL_SRC_KP_TYPES_H
#define KPOOL_SRC_KP_TYPES_H

#include <stdatomic.h>

#include "kpool/kpool.h"
#include "os/kp_os.h"

#define KPI_PAGE_SIZE 4096u
#define KPI_PAGE_SHIFT 12u
#define KPI_GRANULE 16u
#define KPI_HEADER_SIZE 16u
#define KPI_CACHE_ALIGN 64u
/* Smallest canary kept after a block whose size is a multiple of 16. */
#define KPI_MIN_CANARY 1u

#define KPI_MAX_NODES 64u
#define KPI_MAX_PROCESSORS_PER_NODE 64u

/* ---------------------------------------------------------------------------
 * Per-thread state (thread-local, shared by every system).
 * ------------------------------------------------------------------------- */
typedef struct kpi_thread {
  uint32_t id;               /* kp_thread_id(), 1.. */
  kp_irql_t irql;            /* simulated IRQL */
  uint32_t processor;        /* simulated processor number */
  kp_try_frame_t *try_top;   /* innermost KP_TRY frame */
  uint32_t spin_locks_held;  /* for force-IRQL bookkeeping */
  /* Why this thread's last allocation failed (kpi_fail_note): a static
   * string kind plus a formatted detail, consumed by kpi_alloc_failed. */
  uint32_t fail_kind;        /* kp_fail_kind_t; 0 = none pending */
  char fail_detail[160];
  kp_fail_info_t last_fail;  /* kp_last_failure() */
  /* A bug check whose handler returned while this thread ran raised or
   * held spin locks: the operation it stopped was abandoned in that state,
   * and later reports on this thread say they follow from it (bugcheck.c).
   * Forgotten when the thread is back at PASSIVE_LEVEL with no spin lock. */
  bool abandoned;
  uint32_t abandoned_code;
  uint64_t abandoned_p1;
  kp_irql_t abandoned_irql;
  uint32_t abandoned_locks;
  /* Allocation sequence numbers taken in batches from the system's
   * counter, so a thread's allocations stay in order (in every pool)
   * without a shared atomic per allocation. Valid for @seq_system only. */
  uint64_t seq_system;       /* kp_system generation the batch belongs to */
  uint64_t seq_next;
  uint64_t seq_end;
  /* Lookaside hits (src/ex/kp_lookaside_internal.h): the entry this
   * thread's last hit met and its tracking node, in the system of
   * generation @la_system (the node is used only while that system lives:
   * its nodes are freed with it). A hint, validated by the node's state. */
  uint64_t la_system;
  uintptr_t la_entry;
  void *la_node;
} kpi_thread_t;

/* ---------------------------------------------------------------------------
 * Allocation request: every entry point fills one and calls kpi_alloc().
 * ------------------------------------------------------------------------- */
typedef struct kpi_request {
  kp_alloc_api_t api;
  kp_pool_flags_t flags;      /* effective POOL_FLAGS (legacy types mapped) */
  uint32_t pool_type;         /* POOL_TYPE for reports and bug check params */
  kp_pool_kind_t kind;        /* paged or non-paged */
  size_t size;                /* bytes requested (0 already handled) */
  kp_tag_t tag;
  kp_priority_t priority;
  uint32_t node;              /* preferred NUMA node, or KPI_NODE_CURRENT */
  bool node_strict;           /* fail instead of falling back to other nodes */
  bool zero;                  /* zero the block (else uninit_fill) */
  bool raise;                 /* raise STATUS_INSUFFICIENT_RESOURCES on failure */
  bool quota;                 /* charge process quota */
  size_t align;               /* 16 or 64 (cache aligned) */
  kp_site_t site;
} kpi_request_t;

#define KPI_NODE_CURRENT 0xFFFFFFFFu

/* kpi_alloc's *why when the request already raised a bug check (IRQL):
 * the caller must neither count a failure nor raise. Customer bit set, so
 * it can never be a real NTSTATUS. */
#define KPI_STATUS_BUGCHECKED ((kp_status_t)0xE0000001u)

/* ---------------------------------------------------------------------------
 * Out-of-band record of one block (live or quarantined): 56 bytes, kept in
 * per-heap slabs and linked by slot numbers (slot + 1; 0 = none). Sites
 * are interned (pool_record.c), so a record holds a 32-bit site number; the
 * kp_block_info_t a query or a report needs is rebuilt from the record and
 * its heap. Packed words (mm/kp_pool_internal.h has the accessors):
 *   w0: size (bits 0-40), POOL_TYPE (41-56), state (57-58), quota (59),
 *       page run (60)
 *   w1: sequence (0-39), priority (40-45), API (46-51), POOL_FLAGS bits
 *       32-39 (52-59)
 * ------------------------------------------------------------------------- */
/* A small block's record outlives its quarantine: when the block goes back
 * to its free list the record stays in the hash, bound to the address, as
 * RELEASED, and the next allocation of that block reuses it (no hash insert
 * or removal, no slot taken or given per block). Only LIVE and QUARANTINED
 * records are blocks for every lookup, walk and report. */
enum kpi_block_state {
  KPI_BLOCK_LIVE = 1,
  KPI_BLOCK_QUARANTINED = 2,
  KPI_BLOCK_RELEASED = 3
};

typedef struct kpi_record {
  uint8_t *address;                /* data address (the hash key) */
  uint64_t w0;
  uint64_t w1;
  uint32_t flags_lo;               /* POOL_FLAGS bits 0-31 */
  kp_tag_t tag;
  uint32_t thread;                 /* allocating thread */
  uint32_t site;                   /* interned allocation site */
  uint32_t hash_next;              /* address hash chain */
  uint32_t link_a;                 /* live: 0 (live blocks are not linked);
                                      quarantined: next in the FIFO; free
                                      slot: next free slot */
  uint32_t link_b;                 /* live: 0; quarantined: free site */
  uint32_t free_thread;            /* quarantined: freeing thread */
} kpi_record_t;

/* Per tag x pool x node counters, the kernel's pool tracker table. */
typedef struct kpi_tag_stat {
  kp_tag_t tag;
  uint32_t used;                   /* slot in use */
  uint64_t allocs;
  uint64_t frees;
  uint64_t bytes;                  /* block bytes outstanding */
  uint64_t peak_bytes;
  uint64_t failures;               /* allocations of this tag that failed */
} kpi_tag_stat_t;

/* A small block on its free list (written over its header): the next free
 * block of its size, the slot of the RELEASED record bound to it (0: none)
 * and a check word over both, the block's address and its size class. A
 * block leaves its list only when the check holds, so an overrun of the
 * block in front (or any stray write) that reached this header is reported
 * (BAD_POOL_HEADER 0x19/0x3) instead of being followed. */
typedef struct kpi_free_block {
  struct kpi_free_block *next;
  uint32_t rec_id;
  uint32_t check;
} kpi_free_block_t;

/* ---------------------------------------------------------------------------
 * A pool: one page-owning arena (paged, or non-paged of one node) whose
 * small and big blocks are served by per-processor caches ("heaps").
 *
 * Windows keeps per-processor lookaside lists in front of its pools; kpool
 * gives each simulated processor context (one per host thread, by thread
 * number modulo KPI_HEAPS) its own heap: free lists, bump page, the
 * out-of-band records of the blocks it carved, their quarantine, per-tag
 * counters and a budget credit, behind its own lock. A block freed on
 * another thread finds its heap from the page it lies in (page_owner) and
 * is checked and quarantined there. No lock is global: the pool lock only
 * guards the exact budget (taken when a heap's credit does not cover a
 * request) and heap creation; the page lock only the page bitmap.
 *
 * Lock order: pool->lock, then heap locks (in index order); a heap lock,
 * then pool->page_lock. Nothing that holds a heap lock takes pool->lock.
 * ------------------------------------------------------------------------- */
#define KPI_HEAPS 16u

/* A spin lock for the short heap and page critical sections (a pthread
 * mutex costs two locked instructions and a call per round trip). */
typedef struct kpi_spin {
  atomic_flag busy;
} kpi_spin_t;

typedef struct kpi_heap {
  _Alignas(64) kpi_spin_t lock;
  struct kpi_pool *pool;
  uint32_t index;
  /* Budget bytes reserved in the pool and not used by a block yet. Usable
   * without the pool lock only while @roomy (granted when even a
   * LowPoolPriority request would pass with all of it used). */
  size_t credit;
  bool roomy;
  /* Small blocks: exact-size free lists, by granule count, and a bump page. */
  kpi_free_block_t *small_free[KPI_PAGE_SIZE / KPI_GRANULE + 1];
  uint8_t *bump;
  uint8_t *bump_end;
  /* Counters of this heap's blocks (summed by the readers). */
  size_t used;
  size_t peak;
  uint64_t allocs;
  uint64_t frees;
  uint64_t failures;
  /* Records: slab chunks of KPI_SLAB records (never moved), address hash
   * of slot numbers, quarantine FIFO, free slots (live blocks are found
   * by scanning the slots: a walk is rare, a list costs every free). */
  kpi_record_t **chunks;
  uint32_t chunk_count;
  uint32_t chunk_cap;
  uint32_t slots_used;             /* slots ever handed out */
  uint32_t free_slot;              /* head of the free slots */
  uint32_t *buckets;
  size_t bucket_count;             /* power of two */
  size_t record_count;             /* in the hash: live, quarantined and
                                      released (bound to a free block) */
  size_t live_count;
  uint32_t q_head;
  struct kpi_record *q_tail;       /* NULL when q_head is 0 */
  size_t q_count;
  size_t q_bytes;
  /* Tag table: open addressing, power-of-two size. */
  kpi_tag_stat_t *tags;
  size_t tag_slots;
  size_t tag_count;
  kpi_tag_stat_t *tag_last;        /* last slot used (NULL: none) */
} kpi_heap_t;

#define KPI_SLAB_SHIFT 8u
#define KPI_SLAB (1u << KPI_SLAB_SHIFT)

typedef struct kpi_pool {
  kpi_mutex_t lock;                /* budget, heap creation */
  kp_pool_kind_t kind;
  uint32_t node;
  uint32_t index;                  /* position in sys->pools */
  /* Address space. */
  uint8_t *base;
  size_t pages;                    /* pages reserved */
  size_t span;                     /* pages * KPI_PAGE_SIZE */
  /* The first four bytes of every small block header of this pool, without
   * BlockSize and the quota bit: PoolIndex (node) and PoolType + 1. */
  uint32_t header_base;
  kpi_spin_t page_lock;            /* page_map, page_owner, page_hint, ... */
  uint64_t *page_map;              /* bit set = page in use */
  _Atomic(uint8_t) *page_owner;    /* heap index + 1 of a page in use, or 0 */
  size_t page_hint;                /* where the next page search starts */
  size_t pages_in_use;
  /* Pages [0, page_top) have been handed out at least once (the sanitizer
   * shadow to clear before the arena is released). */
  size_t page_top;
  /* Budget (bytes of blocks, headers included). reserved = bytes of live
   * blocks + every heap's credit. */
  size_t budget;
  size_t available;                /* <= budget; lowered to simulate pressure */
  size_t reserved;
  uint64_t failures;               /* failures not charged to a heap */
  _Atomic(kpi_heap_t *) heaps[KPI_HEAPS];
  /* The arena's pages are executable (non-paged pool on a host that allows
   * writable+executable pages). */
  bool executable;
  /* Never parked for reuse (its pages may have been protected). */
  bool no_cache;
} kpi_pool_t;

/* Hash of a tag into an open-addressed table of @mask + 1 slots. */
static inline size_t kpi_tag_hash(kp_tag_t tag, size_t mask) {
  return (size_t)(tag * 0x9E3779B1u) & mask;
}

/* ---------------------------------------------------------------------------
 * Modules with per-system state register here (lookaside registry, secure
 * pools, fault injection, ...). Each hook may be NULL.
 * ------------------------------------------------------------------------- */
typedef struct kpi_module_ops {
  const char *name;
  /* Once per simulated second, in registration order. */
  void (*tick)(kp_system_t *sys, void *state);
  /* kp_driver_unload: report and bug check what the module still holds.
   * Called without locks; may raise. */
  void (*unload_check)(kp_system_t *sys, void *state);
  /* Before a pool block is freed (no locks held; may raise a bug check,
   * after which the free is abandoned if the handler returns). Used for
   * "freeing pool that contains an active lookaside list" (0xC4/0xCC). */
  void (*before_free)(kp_system_t *sys, void *state,
                      const kp_block_info_t *block);
  /* Allocation hook, run by kpi_alloc after the IRQL check and before the
   * regular pools, in registration order: return true when the module
   * handled the request (then *result is the block, or NULL with *why set).
   * Used by fault injection (fail it) and special pool (serve it). No
   * locks held; may raise. */
  bool (*alloc_hook)(kp_system_t *sys, void *state, const kpi_request_t *rq,
                     void **result, kp_status_t *why);
  /* Free hook for addresses outside the regular pools: return true when the
   * address is the module's (secure pool, special pool) and it handled the
   * free (or raised). No locks held. */
  bool (*free_hook)(kp_system_t *sys, void *state, void *p, kp_tag_t tag,
                    bool check_tag, kp_site_t site);
  /* kp_block_query / kp_block_size for the module's own blocks: return true
   * and fill @info when @p is in one of them. */
  bool (*query_hook)(kp_system_t *sys, void *state, const void *p,
                     kp_block_info_t *info);
  /* kp_visit_blocks (and so leak reports) over the module's live blocks:
   * return false when @fn asked to stop. */
  bool (*visit_hook)(kp_system_t *sys, void *state, kp_block_visitor_fn fn,
                     void *arg);
  /* Extra lines for the text reports (may be NULL). */
  void (*report)(kp_system_t *sys, void *state, kp_output_fn out, void *arg);
  /* kp_system_destroy: release everything. */
  void (*destroy)(kp_system_t *sys, void *state);
  /* The leak report at unload: return true, with a description in @why,
   * when @block is held by an object of the module that its own unload
   * check reports (a cached entry of an undeleted lookaside list), so the
   * report shows it as a consequence of that finding, not as the driver's
   * own leak. No locks held. */
  bool (*leak_owner)(kp_system_t *sys, void *state, const kp_block_info_t *block,
                     char *why, size_t len);
  /* The virtual clock reached @now_ms (kp_clock_advance calls it at the
   * start and at every step, on the advancing thread, no locks held):
   * expire what is due and run what must run then (timers, DPCs, wait
   * timeouts). Returns the next time, in ms, at which the module has
   * something due (> @now_ms), or UINT64_MAX; the clock stops there. */
  uint64_t (*clock)(kp_system_t *sys, void *state, uint64_t now_ms);
  /* Whether @before_free could find anything now (objects it watches
   * exist): a few atomic loads, no lock. NULL: always. Asked on every free
   * of a system with before_free hooks, so that the free takes its slower
   * checked path (the block's info built, the hooks run) only while some
   * module has something to find. */
  bool (*before_free_wanted)(kp_system_t *sys, void *state);
} kpi_module_ops_t;

#define KPI_MAX_MODULES 32u
#define KPI_MAX_TICKERS 16u

typedef struct kpi_module_slot {
  const kpi_module_ops_t *ops;
  void *state;
} kpi_module_slot_t;

/* ---------------------------------------------------------------------------
 * Events: what lower layers (bug checks, allocation failures, driver load
 * and unload) report to the monitor (sim/monitor.c) through a hook on the
 * system, so that no lower layer calls sim/ by name.
 * ------------------------------------------------------------------------- */
typedef enum kpi_event_kind {
  KPI_EVENT_BUGCHECK = 1,     /* .bugcheck */
  KPI_EVENT_ALLOC_FAILED,     /* .request, .status, .fail */
  KPI_EVENT_DRIVER_LOAD,      /* .name, .status */
  KPI_EVENT_DRIVER_UNLOAD,    /* .name */
  KPI_EVENT_MARK              /* .name (kp_monitor_mark) */
} kpi_event_kind_t;

typedef struct kpi_event {
  kpi_event_kind_t kind;
  const kp_bugcheck_t *bugcheck;
  const struct kpi_request *request;
  kp_status_t status;
  const kp_fail_info_t *fail;
  const char *name;
} kpi_event_t;

typedef void (*kpi_event_fn)(kp_system_t *sys, const kpi_event_t *ev);

/* ---------------------------------------------------------------------------
 * The system.
 * ------------------------------------------------------------------------- */
struct kp_system {
  kp_config_t cfg;
  kpi_pool_t *pools;               /* [0] paged, [1 + n] non-paged node n */
  uint32_t pool_count;
  /* Allocation sequence numbers, taken in batches (POOL_SEQ_BATCH) by every
   * allocating thread: alone on its cache line (64 bytes of padding on
   * either side, whatever the system's alignment), so that a batch taken
   * on one processor does not evict the configuration and pool fields
   * around it, which every allocation and free reads on every processor. */
  char pad_sequence_[64];
  atomic_uint_fast64_t sequence;
  char pad_sequence_after_[64];

  kpi_mutex_t lock;                /* handler, modules, tickers, clock */
  kp_bugcheck_fn bugcheck_fn;
  void *bugcheck_arg;
  atomic_uint bugcheck_count;
  uint32_t last_bugcheck_code;
  uint64_t last_bugcheck_params[4];

  uint64_t clock_ms;
  kp_ticker_fn ticker_fn[KPI_MAX_TICKERS];
  void *ticker_arg[KPI_MAX_TICKERS];
  uint32_t ticker_id[KPI_MAX_TICKERS];
  uint32_t next_ticker_id;

  kpi_module_slot_t modules[KPI_MAX_MODULES];
  atomic_uint module_count;        /* slots below it are immutable */

  /* Real-time clock mode (kp_clock_start_realtime). */
  kpi_os_thread_t rt_thread;
  atomic_bool rt_running;
  atomic_bool rt_stop;
  uint32_t rt_period_ms;

  bool unload_checked;             /* kp_driver_unload ran its checks */
  bool destroy_checked;            /* destroy already reported leaks */
  /* Counters not tied to one pool. */
  atomic_uint_fast64_t untagged_allocs;   /* legacy tagged API with tag 0 */
  atomic_uint_fast64_t failed_allocs;     /* NULL or raise returned */
  atomic_uint_fast64_t quota_used;        /* bytes charged to process quota */
  atomic_uint before_free_hooks;          /* modules with a before_free op */
  atomic_uint alloc_hooks;                /* modules with an alloc_hook */
  atomic_uint foreign_hooks;              /* modules with free/query/visit hooks */

  /* --- Events and failure reasons (sim/monitor.c, kpool/monitor.h) --- */
  _Atomic(kpi_event_fn) event_hook;       /* the monitor, when started */
  void *event_state;
  atomic_uint_fast64_t fail_by_kind[KP_FAIL_KIND_COUNT_]; /* failures by reason */
  /* --- Execution surface (dispatch) --- */
  /* Serialises kp_clock_advance: the kp_thread_id() of the advancing
   * thread, 0 when none. Not a mutex: a bug check handler may longjmp out
   * of a DPC run inside the advance; the same thread's next advance then
   * takes the abandoned ownership over. */
  atomic_uint advance_owner;
  /* Engine (issue 11): a process-wide number naming this system's lifetime
   * (systems reuse memory, so a pointer does not name one). */
  uint64_t generation;

  /* --- Driver model (io/, cm/, ps/): leftovers the unload checks reported
   * that are no bug check (a device or link not deleted, a handle left
   * open); kp_io_unload turns a non-zero count into STATUS_UNSUCCESSFUL. */
  atomic_uint unload_findings;
};

/* True when the verifier's automatic checks choose 0xC4 codes. */
static inline bool kpi_verifier(const kp_system_t *sys) {
  return (sys->cfg.verifier_flags & KP_VERIFY_AUTOMATIC) != 0;
}

/* Reports @ev to the monitor, when one is started on @sys. */
static inline void kpi_event(kp_system_t *sys, const kpi_event_t *ev) {
  kpi_event_fn fn = atomic_load_explicit(&sys->event_hook, memory_order_acquire);
  if (fn != NULL) fn(sys, ev);
}

#endif /* KPOOL_SRC_KP_TYPES_H */
