/**
 * @file kpool/intsafe.h
 * @brief Overflow-checked integer arithmetic and conversions, the logic of
 *        the WDK's ntintsafe.h (RtlULongAdd, RtlSizeTMult,
 *        RtlULongLongToULong, ...), on 64-bit values with the target
 *        type's range as a parameter.
 *
 * Each function returns KP_STATUS_SUCCESS with the exact result, or
 * KP_STATUS_INTEGER_OVERFLOW (0xC0000095) when the result does not fit in
 * [min, max] (overflow, underflow, truncation, a negative value for an
 * unsigned type). On failure *result is all ones, which converted to the
 * target type is the WDK's error value: ULONG_ERROR 0xFFFFFFFF,
 * ULONGLONG_ERROR / SIZE_T_ERROR 0xFF..FF, LONG_ERROR / INT_ERROR -1
 * (facts §8.4). Pure, thread-safe, any IRQL.
 */
#ifndef KPOOL_INTSAFE_H
#define KPOOL_INTSAFE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** a + b for an unsigned type whose largest value is @p max. */
KP_API kp_status_t kp_int_uadd(uint64_t a, uint64_t b, uint64_t max,
                               uint64_t *result);
/** a - b for an unsigned type (fails when b > a). */
KP_API kp_status_t kp_int_usub(uint64_t a, uint64_t b, uint64_t *result);
/** a * b for an unsigned type whose largest value is @p max. */
KP_API kp_status_t kp_int_umul(uint64_t a, uint64_t b, uint64_t max,
                               uint64_t *result);
/** a + b for a signed type with range [@p min, @p max]. */
KP_API kp_status_t kp_int_sadd(int64_t a, int64_t b, int64_t min, int64_t max,
                               int64_t *result);
/** a - b for a signed type with range [@p min, @p max]. */
KP_API kp_status_t kp_int_ssub(int64_t a, int64_t b, int64_t min, int64_t max,
                               int64_t *result);
/** a * b for a signed type with range [@p min, @p max]. */
KP_API kp_status_t kp_int_smul(int64_t a, int64_t b, int64_t min, int64_t max,
                               int64_t *result);
/** An unsigned value converted to a type whose largest value is @p max
 *  (a signed type's max for unsigned -> signed). */
KP_API kp_status_t kp_int_utou(uint64_t v, uint64_t max, uint64_t *result);
/** A signed value converted to an unsigned type (fails when negative or
 *  above @p max). */
KP_API kp_status_t kp_int_stou(int64_t v, uint64_t max, uint64_t *result);
/** A signed value converted to a signed type with range [@p min, @p max]. */
KP_API kp_status_t kp_int_stos(int64_t v, int64_t min, int64_t max,
                               int64_t *result);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_INTSAFE_H */
