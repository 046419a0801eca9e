/**
 * @file kpool/verifier.h
 * @brief Driver Verifier in user space: special pool with guard pages,
 *        force IRQL checking, low resources simulation (random, Nth,
 *        systematic, fuzzer-driven) and the verifier's counters.
 *
 * The switches are kp_config_t::verifier_flags bits (kpool/system.h) and
 * the kp_config_t fields documented there; this header holds what a test
 * calls at run time.
 *
 * @par Special pool (KP_VERIFY_SPECIAL_POOL; facts §6.2)
 * Which allocations: with the flag set, every allocation of at most
 * KP_SPECIAL_POOL_MAX_SIZE bytes whose tag matches
 * kp_config_t::special_pool_tags or whose size is in
 * [special_pool_min_size, special_pool_max_size]; all of them when neither
 * rule is configured. Also, per allocation, POOL_FLAG_SPECIAL_POOL
 * (kp_alloc2) and the *SpecialPoolOverrun / *SpecialPoolUnderrun
 * priorities (kp_alloc_legacy) ask for it; the priority variant then
 * chooses the placement. Without the flag nothing is special.
 * - Overrun mode (Verify End, the default): the block ends at its page's
 *   end, rounded down to the request's alignment (16 bytes, 64 for cache
 *   aligned), so up to 15 (63) slop bytes follow it; the next page is an
 *   inaccessible guard page.
 * - Underrun mode (Verify Start): the block starts at the page start and
 *   the previous page is the guard page.
 * - The other bytes of the page hold kp_config_t::special_pool_fill,
 *   checked when the block is freed: SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION
 *   (0xC1) with P4 = 0x23 for damage before the block (P1 block, P2 the
 *   damaged byte, P3 0) or P4 = 0x24 for damage after it (P1 block,
 *   P2 bytes requested, P3 the damaged byte). The free is then abandoned.
 * - A touch of a guard page is DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION
 *   (0xD6): P1 the faulting address, P2 0 read / 1 write, P3 the
 *   referencing address (0: kpool does not read the faulting instruction
 *   pointer), P4 0; the report names the block's tag, size and site.
 * - Freed pages stay inaccessible in a FIFO of
 *   kp_config_t::special_pool_freed_pages pages: a touch is
 *   DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xD5) with the same
 *   parameters and both the allocation and the free site.
 * - When all special_pool_pages pages hold live blocks, requests fall back
 *   to normal pool and succeed; kp_verifier_counters_get() then shows
 *   allocations_succeeded above allocations_succeeded_special, as Driver
 *   Verifier's "Pool Allocations Succeeded" and "... SpecialPool" do.
 * - The allocation IRQL rules are checked before special pool is chosen
 *   (0xC4/0x01, 0x02 or 0xC2/0x08), so special pool's own 0xC1/0x30 and
 *   0x31 never fire.
 * - Special-pool blocks count in the tag statistics and against no pool
 *   budget (they have their own); memory pressure set with
 *   kp_pool_set_available() does not fail them.
 * - Faults become bug checks through kpool's SIGSEGV/SIGBUS handler. If a
 *   bug check handler returns instead of jumping away, kpool makes the page
 *   accessible so that the faulting instruction completes (a real machine
 *   would have stopped); that block is no longer guarded.
 * - At most 64 systems with special pool or force IRQL checking may exist
 *   at once; kp_system_create() fails beyond that.
 * - Under Valgrind, Memcheck reports the touch of an inaccessible page as
 *   well ("Invalid read/write"), then kpool's handler raises the bug check.
 *   When a fault is resumed (force IRQL page-ins, a handler that returns),
 *   run Valgrind with --px-default=allregs-at-mem-access: by default it
 *   does not keep every register exact at a faulting access, and the
 *   resumed instruction computes garbage.
 *
 * @par Force IRQL checking (KP_VERIFY_FORCE_IRQL; facts §6.6)
 * Whenever a thread's simulated IRQL rises from below DISPATCH_LEVEL to
 * DISPATCH_LEVEL or above (kp_irql_raise, spin locks, kp_irql_set), kpool
 * "trims" paged pool: the paged arena of every system created with the
 * flag, and its paged special-pool blocks, are made inaccessible
 * (PROT_NONE). When no thread is at DISPATCH_LEVEL or above any more, the
 * protection is lifted. A touch of trimmed memory:
 * - by a thread at DISPATCH_LEVEL or above is
 *   DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1): P1 the address, P2 the IRQL,
 *   P3 0 read / 1 write, P4 0; the report names the block's tag, size and
 *   site when the address is inside a live allocation;
 * - by a thread below DISPATCH_LEVEL "pages the page in": that host page
 *   becomes accessible again and the access completes. On Windows, too,
 *   a trimmed page is brought back by the next fault at a legal IRQL.
 * What it cannot see, with several threads:
 * - once a thread at PASSIVE_LEVEL has paged a page in, a thread at
 *   DISPATCH_LEVEL touching it before the next trim goes unnoticed (the
 *   next rise to DISPATCH_LEVEL by any thread trims everything again);
 * - the trim is per host page (16 KiB on Apple silicon): neighbours of a
 *   page paged in come back with it;
 * - memory outside kpool's paged arena (stack, globals, malloc) is never
 *   trimmed: pageable code and data are not simulated (PAGED_CODE() is
 *   the check for code);
 * - a system call handed trimmed memory (write(fd, paged_buffer, ...))
 *   fails with EFAULT instead of faulting;
 * - a host thread that exits while at DISPATCH_LEVEL keeps paged pool
 *   trimmed until the process ends;
 * - a system created while another thread already holds DISPATCH_LEVEL is
 *   trimmed at the next rise, not at once.
 * kpool's own accesses to paged pool happen at the caller's legal IRQL or
 * are marked internal (kp_verify() at DISPATCH_LEVEL), so they never bug
 * check.
 *
 * @par Deadlock detection (KP_VERIFY_DEADLOCK_DETECTION, 0x20; surface facts §7.2)
 * On by default (part of KP_VERIFY_DEFAULT). Keeps a lock-order graph of
 * spin locks (ordinary and in-stack queued), EX_SPIN_LOCKs, fast and
 * guarded mutexes, ERESOURCEs and push locks per system: acquiring a lock
 * that closes a cycle is 0xC4/0x1001 (P2 the lock asked for, P3 the held
 * lock of the inverted pair) with both orders' sites in the report;
 * using one lock through two families of routines is 0x1008 (acquire) or
 * 0x1009 (release); freeing pool that holds a lock the thread owns is
 * 0x100B; and a resource released by a non-owner is 0x1004 / 0x1007
 * instead of the retail 0xE3. See docs/sync.md and kpool/qspinlock.h.
 *
 * @par Low resources simulation (facts §6.4, §6.5)
 * Every allocation entry point reaches the same place after its own
 * validation and the IRQL check (ExAllocatePool*, ExAllocatePool2/3,
 * lookaside misses), so every one of them can be failed; a failure honours
 * the call: NULL, or a raise of STATUS_INSUFFICIENT_RESOURCES when the call
 * asked for one (POOL_FLAG_RAISE_ON_FAILURE, POOL_RAISE_IF_ALLOCATION_
 * FAILURE, the quota allocators). Modes, which combine (any of them may
 * fail a call):
 * - random (KP_VERIFY_LOW_RESOURCES): kp_config_t::lrs_probability in
 *   1/10000, from lrs_seed, after lrs_delay_allocations candidates and
 *   lrs_delay_ms of virtual time;
 * - Nth (kp_config_t::fail_nth) and every Nth (fail_every_nth), counted
 *   over candidates; also settable at run time (kp_fault_set_nth);
 * - systematic (KP_VERIFY_SYSTEMATIC_LRS): the first call from each site
 *   (file:line when known, else the return address, plus the tag) fails,
 *   later ones pass; sites can be kept in a file across runs
 *   (kp_config_t::systematic_sites_file, scripts/systematic.sh);
 * - fuzzer-driven (kpool/fuzz.h): each candidate consumes one bit of a
 *   buffer handed over by LLVMFuzzerTestOneInput; 1 fails the call.
 * A candidate is an allocation whose tag matches kp_config_t::lrs_tags
 * (all tags by default) while injection is not suspended. Return-address
 * sites are kept relative to kpool's code, so they survive address space
 * randomisation only when kpool is linked statically into the program.
 *
 * Thread safety: every function here is thread-safe. Decisions are taken
 * under one lock per system; with several threads the order in which they
 * ask decides who fails (a random run is reproducible single-threaded).
 */
#ifndef KPOOL_VERIFIER_H
#define KPOOL_VERIFIER_H

#include "common.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Special pool.
 * ------------------------------------------------------------------------- */

/** Largest request special pool serves (a page minus a pool header, as on
 *  x64 Windows); bigger ones always come from normal pool. */
#define KP_SPECIAL_POOL_MAX_SIZE 4080u

/** Subtypes (P4) of bug check 0xC1 that special pool raises. */
#define KP_C1_NOT_ALLOCATED 0x20u     /**< freeing special pool that is not a block (retail) */
#define KP_C1_PATTERN_BEFORE 0x23u    /**< bytes before the block overwritten */
#define KP_C1_PATTERN_AFTER 0x24u     /**< bytes after the block (slop) overwritten */

/** Where a special-pool block sits. */
typedef struct kp_special_info {
  void *block;         /**< the address the driver got */
  size_t size;         /**< bytes requested */
  void *page;          /**< start of the data page (host page) */
  size_t page_size;    /**< bytes of that page (4096, or the host page) */
  void *guard;         /**< start of the guard page */
  bool underrun;       /**< true: Verify Start (guard before the block) */
  size_t slop;         /**< pattern bytes between the block's end and the guard (overrun mode) */
  uint8_t fill;        /**< the pattern byte */
} kp_special_info_t;

/**
 * Tells whether @p p points into a live special-pool block of @p sys and,
 * when @p info is not NULL, where it sits. Returns false for anything else
 * (normal pool, freed special pool, NULL).
 */
KP_API bool kp_special_pool_query(kp_system_t *sys, const void *p,
                                  kp_special_info_t *info);

/* ---------------------------------------------------------------------------
 * Low resources simulation (fault injection).
 * ------------------------------------------------------------------------- */

/**
 * Suspends fault injection on @p sys (nesting: each call needs one
 * kp_fault_resume). While suspended no allocation is a candidate: none
 * fails, none is counted for Nth, none consumes fuzzer bits or systematic
 * sites. Use it around a test's own setup. On a system without fault
 * injection it adds the (idle) module, so that injection enabled later
 * (kp_fault_set_nth, kpool/fuzz.h) starts suspended.
 */
KP_API void kp_fault_suspend(kp_system_t *sys);
/** Undoes one kp_fault_suspend(). Extra calls are ignored. */
KP_API void kp_fault_resume(kp_system_t *sys);

/**
 * Fails the @p nth candidate allocation from now (1 = the next one; 0 =
 * off) and every @p every_nth candidate from now (0 = off), replacing the
 * configured kp_config_t::fail_nth / fail_every_nth. Enables fault
 * injection on a system created without it.
 * @return STATUS_SUCCESS, STATUS_INVALID_PARAMETER_1 for a NULL system,
 *         STATUS_INSUFFICIENT_RESOURCES when the module cannot be added.
 */
KP_API kp_status_t kp_fault_set_nth(kp_system_t *sys, uint64_t nth,
                                    uint64_t every_nth);

/**
 * Forgets the sites systematic simulation has failed in this run (those
 * loaded from the sites file stay, as do exclusions), so each fails once
 * more.
 */
KP_API void kp_fault_systematic_reset(kp_system_t *sys);

/**
 * Excludes a site from systematic simulation (Driver Verifier's
 * `excludestack`): calls from @p site with @p tag always pass. @p site is
 * matched by file and line, or by return address when it has no file.
 * @return STATUS_SUCCESS, STATUS_INVALID_PARAMETER_1 (NULL system),
 *         STATUS_INSUFFICIENT_RESOURCES (no fault injection, no memory).
 */
KP_API kp_status_t kp_fault_systematic_exclude(kp_system_t *sys,
                                               kp_site_t site, kp_tag_t tag);

/** One call site fault injection has failed (or loaded from the file). */
typedef struct kp_fault_site {
  kp_site_t site;        /**< file/line, or caller (relative address when loaded) */
  kp_tag_t tag;
  uint64_t faults;       /**< failures injected at this site in this run */
  bool systematic;       /**< in the systematic "already failed" set */
  bool loaded;           /**< that entry came from the sites file */
  bool excluded;         /**< excluded with kp_fault_systematic_exclude */
} kp_fault_site_t;

/**
 * Calls @p fn for each site that fault injection failed, loaded or
 * excluded, in the order first seen, until it returns false. @p fn must
 * not allocate from @p sys.
 */
typedef bool (*kp_fault_site_fn)(const kp_fault_site_t *site, void *arg);
KP_API void kp_fault_visit_sites(kp_system_t *sys, kp_fault_site_fn fn,
                                 void *arg);

/**
 * Writes which sites were failed, and how often, with the totals per mode
 * ("Faults Injected" as `!verifier` shows it). @p out NULL means the
 * system's output function; it runs under the fault injection lock and
 * must not allocate from @p sys.
 */
KP_API void kp_fault_report(kp_system_t *sys, kp_output_fn out, void *arg);

/* ---------------------------------------------------------------------------
 * Counters.
 * ------------------------------------------------------------------------- */

/** Driver Verifier's pool counters and kpool's own, for one system. */
typedef struct kp_verifier_counters {
  size_t size;                       /**< sizeof(kp_verifier_counters_t); set by the caller */
  uint64_t allocations_attempted;    /**< "Pool Allocations Attempted": succeeded + failed */
  uint64_t allocations_succeeded;    /**< "Pool Allocations Succeeded" (every pool) */
  uint64_t allocations_succeeded_special; /**< "Pool Allocations Succeeded SpecialPool" */
  uint64_t allocations_with_no_tag;  /**< "Pool Allocations With No Tag" */
  uint64_t allocations_failed;       /**< "Pool Allocations Failed" (any reason) */
  uint64_t faults_injected;          /**< "Resource Allocations Failed Deliberately" */
  uint64_t faults_random;            /**< ...of which by random simulation */
  uint64_t faults_nth;               /**< ...by fail-Nth / every-Nth */
  uint64_t faults_systematic;        /**< ...by systematic simulation */
  uint64_t faults_fuzz;              /**< ...by fuzzer decisions */
  uint64_t fault_candidates;         /**< allocations that fault injection considered */
  uint64_t special_eligible;         /**< requests that wanted special pool */
  uint64_t special_fallbacks;        /**< ...that got normal pool: special pool was full */
  uint64_t special_live;             /**< special-pool blocks allocated now */
  uint64_t special_freed_kept;       /**< freed special pages still inaccessible */
  uint64_t special_pages;            /**< the configured budget, in pages */
  uint64_t force_irql_trims;         /**< times paged pool was made inaccessible */
  uint64_t force_irql_page_ins;      /**< faults at a legal IRQL that paged a page back in */
} kp_verifier_counters_t;

/**
 * Fills @p out (whose @c size must be sizeof(kp_verifier_counters_t)).
 * Returns false, leaving @p out untouched, for a NULL argument or a size
 * mismatch.
 */
KP_API bool kp_verifier_counters_get(kp_system_t *sys, kp_verifier_counters_t *out);

/**
 * Writes the counters as `!verifier` lists them, the special pool's state
 * (and the "fewer than 95 % of allocations came from special pool"
 * warning Driver Verifier gives), and the fault injection report.
 * @p out NULL means the system's output function.
 */
KP_API void kp_verifier_report(kp_system_t *sys, kp_output_fn out, void *arg);

/* ---------------------------------------------------------------------------
 * Force IRQL checking.
 * ------------------------------------------------------------------------- */

/**
 * Makes sure kpool's page-fault handler is installed, so that a touch of a
 * guard page, freed special pool or trimmed paged pool becomes its bug
 * check. Test frameworks may replace the process's SIGSEGV handler (CMocka
 * installs its own around every setup, test and teardown). kpool
 * re-installs its handler, keeping the framework's for faults that are not
 * kpool's, when a system with special pool or force IRQL checking is
 * created, on every special-pool allocation and on every trim. Call this
 * before a touch that must bug check when none of those ran in the current
 * test function (a block allocated in a setup fixture). Thread-safe.
 */
KP_API void kp_verifier_arm_fault_handler(void);

/** Host threads whose simulated IRQL is DISPATCH_LEVEL or above now. */
KP_API uint32_t kp_force_irql_raised_threads(void);

/** True while @p sys has force IRQL checking on and its paged pool is
 *  trimmed (some thread is at DISPATCH_LEVEL or above). */
KP_API bool kp_force_irql_trimmed(kp_system_t *sys);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_VERIFIER_H */
