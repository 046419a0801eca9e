/**
 * @file kpool/wdk/kp_wdk_lookaside.h
 * @brief WDK face: SLIST_HEADER / SLIST_ENTRY and the lookaside lists.
 *
 * Placeholder: the lookaside module fills this header. Included by wdm.h
 * near its end, after the basic types, POOL_TYPE and POOL_FLAGS.
 */
#ifndef KPOOL_WDK_KP_WDK_LOOKASIDE_H
#define KPOOL_WDK_KP_WDK_LOOKASIDE_H

#include "wdm.h"

#endif /* KPOOL_WDK_KP_WDK_LOOKASIDE_H */
