/**
 * @file kpool/wdk/kp_wdk_pool3.h
 * @brief WDK face: POOL_EXTENDED_PARAMETER, ExAllocatePool3, ExFreePool2,
 *        ExCreatePool and the secure pool.
 *
 * Placeholder: the Pool3 module fills this header. Included by wdm.h near
 * its end, after the basic types, POOL_TYPE and POOL_FLAGS.
 */
#ifndef KPOOL_WDK_KP_WDK_POOL3_H
#define KPOOL_WDK_KP_WDK_POOL3_H

#include "wdm.h"

#endif /* KPOOL_WDK_KP_WDK_POOL3_H */
