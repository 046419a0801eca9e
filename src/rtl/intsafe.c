/*
 * intsafe.c — overflow-checked integer arithmetic (kpool/intsafe.h), in
 * plain C (no compiler builtins) so that every compiler gets the same
 * answers.
 */
#include "kpool/intsafe.h"

#define ST_OK ((kp_status_t)KP_STATUS_SUCCESS)
#define ST_OVERFLOW ((kp_status_t)KP_STATUS_INTEGER_OVERFLOW)

static kp_status_t ufail(uint64_t *r) {
  *r = UINT64_MAX;
  return ST_OVERFLOW;
}

static kp_status_t sfail(int64_t *r) {
  *r = -1;
  return ST_OVERFLOW;
}

kp_status_t kp_int_uadd(uint64_t a, uint64_t b, uint64_t max,
                        uint64_t *result) {
  if (a > max || b > max - a) return ufail(result);
  *result = a + b;
  return ST_OK;
}

kp_status_t kp_int_usub(uint64_t a, uint64_t b, uint64_t *result) {
  if (b > a) return ufail(result);
  *result = a - b;
  return ST_OK;
}

kp_status_t kp_int_umul(uint64_t a, uint64_t b, uint64_t max,
                        uint64_t *result) {
  if (a != 0 && b > max / a) return ufail(result);
  if (a * b > max) return ufail(result);
  *result = a * b;
  return ST_OK;
}

kp_status_t kp_int_sadd(int64_t a, int64_t b, int64_t min, int64_t max,
                        int64_t *result) {
  // Checked in terms of the bounds, never by overflowing int64_t.
  if (b > 0 ? a > max - b : a < min - b) return sfail(result);
  int64_t r = a + b;
  if (r < min || r > max) return sfail(result);
  *result = r;
  return ST_OK;
}

kp_status_t kp_int_ssub(int64_t a, int64_t b, int64_t min, int64_t max,
                        int64_t *result) {
  if (b < 0 ? a > max + b : a < min + b) return sfail(result);
  int64_t r = a - b;
  if (r < min || r > max) return sfail(result);
  *result = r;
  return ST_OK;
}

kp_status_t kp_int_smul(int64_t a, int64_t b, int64_t min, int64_t max,
                        int64_t *result) {
  if (a == 0 || b == 0) {
    *result = 0;
    return ST_OK;
  }
  // Magnitudes in unsigned arithmetic (|INT64_MIN| fits in uint64_t).
  uint64_t ma = a < 0 ? 0u - (uint64_t)a : (uint64_t)a;
  uint64_t mb = b < 0 ? 0u - (uint64_t)b : (uint64_t)b;
  bool negative = (a < 0) != (b < 0);
  uint64_t limit = negative ? 0u - (uint64_t)min : (uint64_t)max;
  if (ma > limit / mb) return sfail(result);
  uint64_t m = ma * mb;
  if (m > limit) return sfail(result);
  *result = negative ? (int64_t)(0u - m) : (int64_t)m;
  return ST_OK;
}

kp_status_t kp_int_utou(uint64_t v, uint64_t max, uint64_t *result) {
  if (v > max) return ufail(result);
  *result = v;
  return ST_OK;
}

kp_status_t kp_int_stou(int64_t v, uint64_t max, uint64_t *result) {
  if (v < 0 || (uint64_t)v > max) return ufail(result);
  *result = (uint64_t)v;
  return ST_OK;
}

kp_status_t kp_int_stos(int64_t v, int64_t min, int64_t max, int64_t *result) {
  if (v < min || v > max) return sfail(result);
  *result = v;
  return ST_OK;
}
