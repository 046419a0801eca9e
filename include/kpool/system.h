/**
 * @file kpool/system.h
 * @brief The simulated machine: configuration, lifetime, the current
 *        system used by the WDK names, the virtual clock and processors.
 */
#ifndef KPOOL_SYSTEM_H
#define KPOOL_SYSTEM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Driver Verifier switches, with the bit values of `verifier /flags`.
 * ------------------------------------------------------------------------- */
#define KP_VERIFY_SPECIAL_POOL 0x00001u      /**< special pool (issue-level feature) */
#define KP_VERIFY_FORCE_IRQL 0x00002u        /**< force IRQL checking */
#define KP_VERIFY_LOW_RESOURCES 0x00004u     /**< randomized low resources simulation */
#define KP_VERIFY_POOL_TRACKING 0x00008u     /**< pool tracking: leaks at unload (0xC4/0x62) */
#define KP_VERIFY_IO 0x00010u                /**< I/O verification: the 0xC9 checks (kpool/io.h) */
#define KP_VERIFY_DEADLOCK_DETECTION 0x00020u /**< deadlock detection: lock order, lock API mixing (0xC4/0x1001, 0x1008, 0x1009, 0x100B; kpool/deadlock.h) */
#define KP_VERIFY_MISCELLANEOUS 0x00800u     /**< miscellaneous checks (lookaside in freed pool) */
#define KP_VERIFY_SYSTEMATIC_LRS 0x40000u    /**< systematic low resources simulation */
/**
 * The "automatic checks" every verified driver gets. When set, misuse is
 * reported with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) codes; when clear,
 * with the retail codes (BAD_POOL_CALLER 0xC2 and friends). kpool-specific
 * bit (Windows has no flag for it: they are always on under the verifier).
 */
#define KP_VERIFY_AUTOMATIC 0x80000000u
/**
 * kpool-specific: lookaside caching off, as Driver Verifier does by setting
 * the minimum lookaside depth to 0, so every free reaches the Free routine
 * (and the pool's checks). Not part of KP_VERIFY_DEFAULT.
 */
#define KP_VERIFY_LOOKASIDE_DEPTH_ZERO 0x40000000u
/** The default: automatic checks, pool tracking, I/O verification (which
 *  only drivers loaded with kp_driver_load can trip) and deadlock
 *  detection. */
#define KP_VERIFY_DEFAULT                                                      \
  (KP_VERIFY_AUTOMATIC | KP_VERIFY_POOL_TRACKING | KP_VERIFY_IO |              \
   KP_VERIFY_DEADLOCK_DETECTION)

/**
 * Configuration of a simulated system. Fill with kp_config_init(), change
 * what you need, pass to kp_system_create(). The struct is copied.
 */
typedef struct kp_config {
  size_t size; /**< sizeof(kp_config_t); set by kp_config_init() */

  /** Verifier switches, KP_VERIFY_* (=KP_VERIFY_DEFAULT). */
  uint32_t verifier_flags;
  /** Name of the simulated driver, shown in reports and 0xC4/0x62 P2 (="kpool-driver.sys"). */
  const char *driver_name;

  /** Budget of the paged pool in bytes (=256 MiB). */
  size_t paged_pool_bytes;
  /** Budget of the non-paged pool of each NUMA node, in bytes (=128 MiB). */
  size_t nonpaged_pool_bytes;
  /** Memory pressure (facts §2.4): with less than this percentage of the
   *  pool's available bytes left free after the allocation, LowPoolPriority
   *  requests fail (=20). */
  uint32_t low_priority_reserve_percent;
  /** Likewise for NormalPoolPriority (=5). HighPoolPriority fails only when
   *  the pool cannot hold the block at all. */
  uint32_t normal_priority_reserve_percent;
  /** Simulated process pool quota in bytes for quota allocations (=64 MiB). */
  size_t quota_limit;
  /** Number of simulated NUMA nodes, 1..64 (=1). */
  uint32_t numa_nodes;
  /** Simulated processors per node, 1..64 (=2). */
  uint32_t processors_per_node;

  /** Byte written over memory returned uninitialised (=0xCD). Non-zero so
   *  that code relying on zeroed memory fails in tests. */
  uint8_t uninit_fill;
  /** Byte written over freed blocks while they sit in quarantine (=0xDD). */
  uint8_t free_fill;
  /** Byte of the trailing canary after each block (=0xFD). */
  uint8_t canary_fill;
  /** Freed blocks kept poisoned before reuse (=256; 0 disables quarantine),
   *  per thread cache of a pool (one per allocating thread). */
  uint32_t quarantine_blocks;
  /** Upper bound of bytes in quarantine (=4 MiB), per thread cache. */
  size_t quarantine_bytes;

  /** Where reports (leaks, PoolMon, bug check text) go (=stderr). */
  kp_output_fn out;
  void *out_arg;

  /** Lookaside depth constants (facts §3.5), configurable. */
  uint16_t lookaside_minimum_depth;    /**< (=4) */
  uint16_t lookaside_maximum_depth;    /**< (=256) */
  uint32_t lookaside_alloc_threshold;  /**< allocations per second (=25) */
  uint16_t lookaside_idle_decrement;   /**< (=10) */
  uint16_t lookaside_lowmiss_decrement;/**< (=1) */
  uint16_t lookaside_grow_base;        /**< (=5) */
  uint16_t lookaside_grow_max;         /**< (=30) */
  uint32_t lookaside_scan_period;      /**< seconds between scans of one list (=3) */

  /* --- Driver Verifier: special pool (KP_VERIFY_SPECIAL_POOL; kpool/verifier.h) --- */
  /** Tags that get special pool: patterns separated by spaces, each
   *  matched against the tag's text ("Tag1"); `?` matches one character,
   *  `*` any run; "*" alone means every tag (=NULL). When neither this nor
   *  a size range is set, every allocation that fits in a page gets special
   *  pool, as for a driver verified with the Special Pool option. */
  const char *special_pool_tags;
  /** Size range (bytes requested, inclusive) that gets special pool; 0/0
   *  means no size rule (=0, =0). A request gets special pool when its tag
   *  matches special_pool_tags OR its size is in the range. */
  size_t special_pool_min_size;
  size_t special_pool_max_size;
  /** Special pool size, in pages: each allocation takes one page plus one
   *  guard page of address space; live and recently freed blocks share
   *  this budget. When it is exhausted, allocations fall back to normal
   *  pool and still succeed (=4096, 1..1048576). */
  uint32_t special_pool_pages;
  /** Freed special-pool pages kept inaccessible (a FIFO) so that a use
   *  after free faults with 0xD5; shrinks when live blocks need the pages
   *  (=1024). */
  uint32_t special_pool_freed_pages;
  /** Verify Start: place blocks at the page start with the guard page
   *  before them (underruns fault at once); false is Verify End, the
   *  Windows default: block at the page end, guard after (=false). The
   *  *SpecialPoolOverrun / *SpecialPoolUnderrun priorities override this
   *  per allocation. */
  bool special_pool_underrun;
  /** Byte written around each block in its page, checked at free: 0xC1
   *  with P4 0x23 (before the block) or 0x24 (after it) (=0x5A). */
  uint8_t special_pool_fill;

  /* --- Driver Verifier: low resources simulation (kpool/verifier.h) --- */
  /** Random failures (KP_VERIFY_LOW_RESOURCES): the seed of the
   *  simulator's generator, so a failing run can be replayed (=1). */
  uint64_t lrs_seed;
  /** Random failures: probability in units of 1/10000 (=600, 6 %, as in
   *  Driver Verifier; 0..10000). */
  uint32_t lrs_probability;
  /** Only allocations whose tag matches one of these patterns (as for
   *  special_pool_tags) are failed, by every fault injection mode; NULL
   *  means all tags (=NULL). */
  const char *lrs_tags;
  /** Random failures start only after this many candidate allocations
   *  (=0)... */
  uint64_t lrs_delay_allocations;
  /** ...and once the virtual clock has reached this many milliseconds.
   *  Windows waits 8 minutes after boot; kpool's clock only moves when a
   *  test moves it, so the default is 0 (=0). */
  uint64_t lrs_delay_ms;
  /** Fail the Nth candidate allocation (1-based, once); 0 is off (=0).
   *  Active without any verifier flag. */
  uint64_t fail_nth;
  /** Fail every Nth candidate allocation; 0 is off (=0). */
  uint64_t fail_every_nth;
  /** Systematic failures (KP_VERIFY_SYSTEMATIC_LRS): each call site (file
   *  and line, else return address; plus the tag) fails once. When set,
   *  the sites already failed are loaded from this file at creation and
   *  each newly failed site is appended to it at once, so that
   *  scripts/systematic.sh can rerun a test until no new site fails
   *  (=NULL: in memory only). The string is copied. */
  const char *systematic_sites_file;

  /* --- Sanitizers --- */
  /** Describe pool memory to AddressSanitizer and Valgrind when kpool is
   *  built with either (poisoned headers, canaries, quarantine, special
   *  pool pattern bytes, lookaside-cached entries). Turn it off in a test
   *  that overruns into a canary on purpose to see kpool's own bug check:
   *  with it on, the tool reports the overrun first (=true). */
  bool sanitizer_poisoning;

  /* --- Reports (kpool/monitor.h) --- */
  /** Print a line for each failed allocation: API, tag, size, site, thread
   *  and the reason, e.g. "extended parameter 0 (type 2): the Reserved
   *  bits are not zero" (=false). The reason is kept either way
   *  (kp_last_failure) and counted (kp_fail_counts). */
  bool print_failures;
  /** Start the monitor at creation and write a Chrome trace (Perfetto UI,
   *  chrome://tracing) to this file at kp_driver_unload, or at destroy if
   *  unload never ran (=NULL: off). The string is copied. */
  const char *trace_path;
  /** Likewise for the self-contained HTML report (=NULL: off). */
  const char *html_report_path;
  /* --- Time (kpool/dispatch.h) --- */
  /** KeQueryTimeIncrement: 100 ns units per simulated clock tick, 5000..156250
   *  (=156250, 15.625 ms, the usual x64 tick). KeQueryTickCount is the
   *  interrupt time divided by it. */
  uint32_t time_increment;
  /** KeQuerySystemTime at boot (virtual clock 0), in 100 ns units since
   *  1601-01-01 UTC (=133485408000000000, 2024-01-01 00:00:00 UTC). Absolute
   *  due times and timeouts are measured against it. */
  int64_t boot_system_time;

  /** Reserved for later fields; keep zero. */
  uint64_t reserved[16];
} kp_config_t;

/** Fills @p cfg with the defaults documented on each field. */
KP_API void kp_config_init(kp_config_t *cfg);

/**
 * Creates a simulated system. @p cfg may be NULL for the defaults.
 * Returns NULL when the configuration is invalid (out-of-range field,
 * wrong size) or the host cannot reserve the pools' address space.
 * Thread-safe. Cheap enough to call per fuzz input or per test (a few
 * allocation pairs): the pools' address space and tables of destroyed
 * systems are kept in a small process-wide cache and reused.
 */
KP_API kp_system_t *kp_system_create(const kp_config_t *cfg);

/**
 * Destroys a system and releases all its memory (its pools' address space
 * and tables go to the process-wide cache kp_system_create takes from; a
 * run's pages beyond 1 MiB are given back to the host, and systems with
 * force IRQL checking release theirs).
 *
 * With KP_VERIFY_POOL_TRACKING, outstanding allocations are first reported
 * (grouped by tag and by allocation site) and then raise bug check 0xC4 with
 * P1 = 0x62, exactly as kp_driver_unload() does, unless kp_driver_unload()
 * already ran. If a handler returns or longjmps from that bug check, a later
 * kp_system_destroy() call frees everything without checking again.
 * If @p sys is the current system, the current system becomes NULL.
 * Not thread-safe with respect to other calls on @p sys.
 */
KP_API void kp_system_destroy(kp_system_t *sys);

/**
 * The system used by the WDK-named functions. Created lazily with the
 * defaults on first use if none was set. Thread-safe.
 */
KP_API kp_system_t *kp_system_current(void);

/**
 * Makes @p sys the current system (NULL clears it; the next use of a WDK
 * name then creates a fresh default system). Returns the previous one,
 * which the caller now owns. Thread-safe, but threads still working on the
 * previous system must be finished first.
 */
KP_API kp_system_t *kp_system_set_current(kp_system_t *sys);

/** The configuration @p sys was created with (read-only). */
KP_API const kp_config_t *kp_system_config(const kp_system_t *sys);

/**
 * Simulates unloading the verified driver (DriverUnload returned): runs the
 * unload checks Driver Verifier runs. Outstanding allocations are reported
 * through the output function, grouped by tag and by allocation site, then
 * bug check 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION is raised with
 * P1 = 0x62, P2 = address of the driver name, P3 = 0, P4 = number of
 * allocations not freed. Undeleted lookaside lists raise 0xC7 (see
 * kpool/lookaside.h), secure pools not destroyed 0xC4 (kpool/secure.h).
 * Needs KP_VERIFY_POOL_TRACKING for the leak check.
 *
 * One pass: every check runs and prints its findings first (while a
 * collecting handler holds their bug checks back); then, when there is
 * more than one finding, a list of them; then the findings are raised in
 * that order, root causes first: each module's objects the driver did not
 * delete (lookaside lists, secure pools, ...), then the leaks, whose report
 * lists the blocks those objects hold (a never-deleted lookaside list's
 * cached entries) after the driver's own leaks, each naming its owner as a
 * consequence rather than a separate leak. With the default handler
 * the first one stops the machine after everything was printed; a handler
 * that longjmps sees the first; a handler that returns sees each. Bug
 * checks other threads raise on @p sys during the checks are collected
 * with them. Returns STATUS_SUCCESS when nothing was found, else (after a
 * handler returned) STATUS_UNSUCCESSFUL.
 */
KP_API kp_status_t kp_driver_unload(kp_system_t *sys);

/* ---------------------------------------------------------------------------
 * Virtual clock. Time in the simulator moves only when a test moves it, so
 * everything that depends on time (lookaside depth) is deterministic.
 * ------------------------------------------------------------------------- */

/**
 * Advances the virtual clock by @p milliseconds. Each whole simulated second
 * crossed runs the balance set manager once (lookaside depth adjustment).
 * The clock moves in steps: to each due time of a timer or a wait timeout
 * inside the interval (whole milliseconds, rounded up), and at every step
 * the expired timers are signalled, their DPCs and every other queued DPC
 * run on the calling thread at DISPATCH_LEVEL, and waiters whose timeout
 * has come return STATUS_TIMEOUT (see kpool/dispatch.h). Calls from
 * several threads are serialised. Must not be called from a DPC.
 * Thread-safe.
 */
KP_API void kp_clock_advance(kp_system_t *sys, uint64_t milliseconds);

/** Milliseconds of virtual time since the system was created. */
KP_API uint64_t kp_clock_now(const kp_system_t *sys);

/**
 * Real-time mode, for long-running tests: a host thread advances the
 * virtual clock by one simulated second every @p period_ms milliseconds of
 * real time (0 means 1000: the balance set manager's 1 Hz), so lookaside
 * depths adapt as they would on a running machine. Deterministic tests
 * should use kp_clock_advance() instead. kp_system_destroy() stops it.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 for a NULL system;
 *         STATUS_UNSUCCESSFUL when it is already running;
 *         STATUS_INSUFFICIENT_RESOURCES when the host cannot start a thread.
 * Thread-safe with respect to kp_clock_advance().
 */
KP_API kp_status_t kp_clock_start_realtime(kp_system_t *sys, uint32_t period_ms);

/** Stops real-time mode and waits for its thread; harmless when it is not
 *  running. Not to be called from a ticker (it would wait for itself). */
KP_API void kp_clock_stop_realtime(kp_system_t *sys);

/** True while real-time mode runs. */
KP_API bool kp_clock_realtime(const kp_system_t *sys);

/**
 * A function run once per simulated second by the clock (after the built-in
 * balance set work). Returns an id for kp_clock_remove_ticker, or 0 when the
 * table (16 entries) is full.
 */
typedef void (*kp_ticker_fn)(kp_system_t *sys, void *arg);
KP_API uint32_t kp_clock_add_ticker(kp_system_t *sys, kp_ticker_fn fn, void *arg);
KP_API void kp_clock_remove_ticker(kp_system_t *sys, uint32_t id);

/* ---------------------------------------------------------------------------
 * Simulated processors. Each host thread runs on one simulated processor
 * (processor 0 until changed); the node is processor / processors_per_node.
 * The processor belongs to the host thread, not to a system: a thread moved
 * to processor 5 of one system is still on processor 5 when it uses another
 * system (whose node for it is then 0 if that system has fewer processors).
 * Tests that change it should set it back.
 * ------------------------------------------------------------------------- */

/** Moves the calling thread to simulated processor @p cpu. Returns
 *  STATUS_INVALID_PARAMETER when @p cpu is out of range for @p sys. */
KP_API kp_status_t kp_thread_set_processor(kp_system_t *sys, uint32_t cpu);
/** The simulated processor of the calling thread. */
KP_API uint32_t kp_thread_processor(void);
/** The simulated NUMA node of the calling thread in @p sys. */
KP_API uint32_t kp_thread_node(const kp_system_t *sys);
/** A small number naming the calling thread in reports (1, 2, ...). */
KP_API uint32_t kp_thread_id(void);

/** Writes text through the system's output function (printf format). */
KP_API void kp_printf(kp_system_t *sys, const char *fmt, ...) KP_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_SYSTEM_H */
