/**
 * @file kpool/fuzz.h
 * @brief Fuzzer-driven low resources simulation: hand libFuzzer the
 *        decision of which allocation fails, so that it explores a
 *        driver's failure paths as it explores its inputs.
 *
 * @code
 *   #include <kpool/kpool.h>
 *   #include <kpool/fuzz.h>
 *
 *   int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
 *     kp_system_t *sys = kp_system_create(NULL);
 *     kp_system_t *old = kp_system_set_current(sys);  // for the WDK names
 *     const uint8_t *plan, *ops;
 *     size_t plan_size, ops_size;
 *     kp_fuzz_split(data, size, &plan, &plan_size, &ops, &ops_size);
 *     kp_fuzz_faults_begin(sys, plan, plan_size);
 *     run_driver_operations(ops, ops_size);            // allocations may fail
 *     kp_fuzz_faults_end(sys);
 *     driver_cleanup();
 *     kp_driver_unload(sys);                           // a leak bug checks
 *     kp_system_set_current(old);
 *     kp_system_destroy(sys);
 *     return 0;
 *   }
 * @endcode
 *
 * Each candidate allocation (see kpool/verifier.h: tag filter, not
 * suspended) consumes one bit of the plan, least significant bit of the
 * first byte first; a 1 fails the allocation (NULL, or a raise when the
 * call asked for one). Past the end of the plan nothing fails. The plan
 * combines with the other fault injection modes configured on the system.
 *
 * This header needs only the core library; it is kept apart from
 * kpool/verifier.h because only fuzz targets include it.
 */
#ifndef KPOOL_FUZZ_H
#define KPOOL_FUZZ_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Installs @p plan (copied; @p size bytes, may be 0) as the fault plan of
 * @p sys and starts consuming it with the next candidate allocation.
 * Enables fault injection on a system created without it. Replaces a plan
 * already installed.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_1 for a NULL system;
 *         STATUS_INVALID_PARAMETER_2 for a NULL @p plan with a non-zero
 *         @p size; STATUS_INSUFFICIENT_RESOURCES when the copy or the
 *         module cannot be made.
 */
KP_API kp_status_t kp_fuzz_faults_begin(kp_system_t *sys, const uint8_t *plan,
                                        size_t size);

/**
 * Stops using the plan (later allocations are not failed by it) and
 * returns how many decisions (bits) were consumed.
 */
KP_API uint64_t kp_fuzz_faults_end(kp_system_t *sys);

/** Decisions consumed from the current plan so far. */
KP_API uint64_t kp_fuzz_faults_consumed(kp_system_t *sys);

/**
 * Splits a fuzzer input into a fault plan and the rest: the first byte
 * gives the plan's length (capped by what follows), the plan follows, then
 * the rest for the harness's own operations. An empty input gives two
 * empty parts. Pure function, thread-safe.
 */
static inline void kp_fuzz_split(const uint8_t *data, size_t size,
                                 const uint8_t **plan, size_t *plan_size,
                                 const uint8_t **rest, size_t *rest_size) {
  size_t n = 0;
  if (data != NULL && size > 0) {
    n = data[0];
    if (n > size - 1) n = size - 1;
    *plan = data + 1;
    *plan_size = n;
    *rest = data + 1 + n;
    *rest_size = size - 1 - n;
    return;
  }
  *plan = data;
  *plan_size = 0;
  *rest = data;
  *rest_size = 0;
}

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_FUZZ_H */
