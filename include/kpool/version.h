/**
 * @file kpool/version.h
 * @brief kpool's version. CMake reads the numbers from this file; no other
 *        file repeats them.
 */
#ifndef KPOOL_VERSION_H
#define KPOOL_VERSION_H

#include "common.h"

#define KP_VERSION_MAJOR 0
#define KP_VERSION_MINOR 1
#define KP_VERSION_PATCH 0
#define KP_VERSION_NUMBER                                                      \
  (KP_VERSION_MAJOR * 10000 + KP_VERSION_MINOR * 100 + KP_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/** KP_VERSION_NUMBER of the library actually linked. */
KP_API uint32_t kp_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_VERSION_H */
