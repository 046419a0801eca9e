/*
 * kp_rtl.h — what rtl/ (status.c) shares with the rest of the core: the
 * text of sites and allocation APIs for reports.
 */
#ifndef KPOOL_SRC_RTL_KP_RTL_H
#define KPOOL_SRC_RTL_KP_RTL_H

#include <stddef.h>

#include "kpool/common.h"
#include "kpool/pool.h"

/* Formats a site as "file:line" or "caller 0x..." or "unknown site". */
const char *kpi_site_text(kp_site_t site, char *buf, size_t len);
/* The name of an allocation API ("ExAllocatePool2"). */
const char *kpi_api_name(kp_alloc_api_t api);

#endif /* KPOOL_SRC_RTL_KP_RTL_H */
