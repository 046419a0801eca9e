/*
 * kp_format.h — what format.c shares with the rest of rtl/.
 */
#ifndef KPOOL_SRC_RTL_KP_FORMAT_H
#define KPOOL_SRC_RTL_KP_FORMAT_H

#include <stdarg.h>

#include "kpool/format.h"

/* kp_vformat16 without a terminator: up to @p count units of text (a
 * UNICODE_STRING's buffer); returns the full length in units. */
size_t kpi_vformat16_raw(uint16_t *buf, size_t count, const uint16_t *fmt,
                         va_list ap);

/* True when the 8-bit format @p fmt has a conversion that reads UTF-16
 * text (%C %S %lc %ls %wc %ws %wZ %lZ): DbgPrint allows those only where
 * pageable code may run. */
bool kpi_format_has_wide(const char *fmt);

#endif /* KPOOL_SRC_RTL_KP_FORMAT_H */
