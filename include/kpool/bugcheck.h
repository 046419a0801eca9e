/**
 * @file kpool/bugcheck.h
 * @brief Simulated bug checks: the codes, what a handler receives, how to
 *        install one, and KeBugCheckEx.
 *
 * Misuse of the pool raises a simulated bug check with the real code and
 * four parameters. The default handler prints
 *
 *     *** STOP: 0x000000C2 (0x000000000000000A,0x00007F2A1C003010,0x0000000031676154,0x0000000032676154)
 *     BAD_POOL_CALLER
 *
 * then an explanation (tag as text, size, pool, allocation site and thread,
 * free site for a double free), and aborts.
 *
 * A handler may return or longjmp. The simulator never holds one of its
 * locks while it calls the handler, so a longjmp leaves the system usable.
 * If the handler returns, the operation that bug checked is abandoned: an
 * allocation returns NULL, a free does nothing (the block stays allocated),
 * and the call returns to the driver, which a real machine would not do.
 */
#ifndef KPOOL_BUGCHECK_H
#define KPOOL_BUGCHECK_H

#include "common.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bug check codes kpool raises (values from bugcodes.h). */
#define KP_BUGCHECK_APC_INDEX_MISMATCH 0x00000001u
#define KP_BUGCHECK_IRQL_NOT_GREATER_OR_EQUAL 0x00000009u
#define KP_BUGCHECK_IRQL_NOT_LESS_OR_EQUAL 0x0000000Au
#define KP_BUGCHECK_MAXIMUM_WAIT_OBJECTS_EXCEEDED 0x0000000Cu
#define KP_BUGCHECK_REFERENCE_BY_POINTER 0x00000018u
#define KP_BUGCHECK_BAD_POOL_HEADER 0x00000019u
#define KP_BUGCHECK_KMODE_EXCEPTION_NOT_HANDLED 0x0000001Eu
#define KP_BUGCHECK_KERNEL_APC_PENDING_DURING_EXIT 0x00000020u
#define KP_BUGCHECK_MUST_SUCCEED_POOL_EMPTY 0x00000041u
#define KP_BUGCHECK_SYSTEM_THREAD_EXCEPTION_NOT_HANDLED 0x0000007Eu
#define KP_BUGCHECK_ATTEMPTED_SWITCH_FROM_DPC 0x000000B8u
#define KP_BUGCHECK_ATTEMPTED_WRITE_TO_READONLY_MEMORY 0x000000BEu
#define KP_BUGCHECK_SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION 0x000000C1u
#define KP_BUGCHECK_BAD_POOL_CALLER 0x000000C2u
#define KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4u
#define KP_BUGCHECK_DRIVER_CORRUPTED_EXPOOL 0x000000C5u
#define KP_BUGCHECK_DRIVER_CAUGHT_MODIFYING_FREED_POOL 0x000000C6u
#define KP_BUGCHECK_TIMER_OR_DPC_INVALID 0x000000C7u
#define KP_BUGCHECK_PAGE_FAULT_IN_FREED_SPECIAL_POOL 0x000000CCu
#define KP_BUGCHECK_PAGE_FAULT_BEYOND_END_OF_ALLOCATION 0x000000CDu
#define KP_BUGCHECK_DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS 0x000000CEu
#define KP_BUGCHECK_DRIVER_IRQL_NOT_LESS_OR_EQUAL 0x000000D1u
#define KP_BUGCHECK_DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL 0x000000D5u
#define KP_BUGCHECK_DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION 0x000000D6u
#define KP_BUGCHECK_WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1u
#define KP_BUGCHECK_MANUALLY_INITIATED_CRASH 0x000000E2u
#define KP_BUGCHECK_RESOURCE_NOT_OWNED 0x000000E3u
#define KP_BUGCHECK_WORKER_INVALID 0x000000E4u
#define KP_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE 0x00000139u
#define KP_BUGCHECK_THREAD_TERMINATE_HELD_MUTEX 0x4000008Au

/**
 * One bug check, as passed to the handler. Pointers are valid only during
 * the handler call.
 */
typedef struct kp_bugcheck_s {
  uint32_t code;           /**< e.g. 0xC2 */
  uint64_t params[4];      /**< P1..P4 as Windows documents them */
  const char *name;        /**< "BAD_POOL_CALLER" */
  const char *stop_line;   /**< "*** STOP: 0x000000C2 (...)" without newline */
  const char *explanation; /**< what happened, in words, several lines */
  /** The allocation concerned, when there is one (else NULL). */
  const kp_block_info_t *block;
  /** Where it was freed before, for a double free or use after free. */
  const kp_site_t *free_site;
  uint32_t free_thread;    /**< thread of that free, 0 if none */
  kp_system_t *system;     /**< the system that bug checked (may be NULL) */
} kp_bugcheck_t;

/** A bug check handler. It may return, or longjmp out (never unwind C++). */
typedef void (*kp_bugcheck_fn)(const kp_bugcheck_t *bc, void *arg);

/**
 * Installs @p fn (NULL restores the default: print and abort) for bug
 * checks raised by @p sys. Returns the previous handler and its argument
 * through @p old_fn / @p old_arg (both may be NULL). Thread-safe.
 */
KP_API void kp_bugcheck_set_handler(kp_system_t *sys, kp_bugcheck_fn fn,
                                    void *arg, kp_bugcheck_fn *old_fn,
                                    void **old_arg);

/**
 * Installs the handler used for bug checks that belong to no system (an
 * unhandled raise with no current system, for instance). NULL restores the
 * default. Thread-safe.
 */
KP_API void kp_bugcheck_set_global_handler(kp_bugcheck_fn fn, void *arg);

/** Writes the default report of @p bc (stop line, name, explanation). */
KP_API void kp_bugcheck_print(const kp_bugcheck_t *bc, kp_output_fn out,
                              void *out_arg);

/** The name of a bug check code ("BAD_POOL_CALLER"), or "UNKNOWN_BUGCHECK". */
KP_API const char *kp_bugcheck_name(uint32_t code);

/**
 * Raises a bug check, as KeBugCheckEx does. With the default handler this
 * does not return. @p explanation may be NULL.
 */
KP_API void kp_bugcheck(kp_system_t *sys, uint32_t code, uint64_t p1,
                        uint64_t p2, uint64_t p3, uint64_t p4,
                        const char *explanation);

/** Number of bug checks @p sys has raised so far (all handlers). */
KP_API uint32_t kp_bugcheck_count(const kp_system_t *sys);

/** The last bug check raised by @p sys (code 0 if none): code and params. */
KP_API void kp_bugcheck_last(const kp_system_t *sys, uint32_t *code,
                             uint64_t params[4]);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_BUGCHECK_H */
