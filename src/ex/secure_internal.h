/*
 * secure_internal.h — what params.c (ExAllocatePool3 / ExFreePool2) needs
 * from secure.c (the secure pools and the pool3 module's registration).
 */
#ifndef KPOOL_SRC_SECURE_INTERNAL_H
#define KPOOL_SRC_SECURE_INTERNAL_H

#include "kp_types.h"
#include "kpool/pool3.h"
#include "kpool/secure.h"

/* Registers the pool3/secure module with @sys if it is not yet (so that
 * its report and unload hooks run). Returns false when the module table is
 * full or memory is short. */
bool kpi_pool3_attach(kp_system_t *sys);

/* True when @h names a live secure pool of @sys. Takes the module lock. */
bool kpi_secure_handle_valid(kp_system_t *sys, kp_secure_pool_t h);

/* True when @p lies in the arena of a live secure pool of @sys; its handle
 * goes to @owner (may be NULL). */
bool kpi_secure_contains(kp_system_t *sys, const void *p,
                         kp_secure_pool_t *owner);

/* Allocates @rq from the secure pool named in @sp (flags, tag and size
 * already validated by the caller; IRQL checked here). Returns NULL with
 * @why set on failure (KPI_STATUS_BUGCHECKED after an IRQL bug check). */
void *kpi_secure_alloc(kp_system_t *sys, const kpi_request_t *rq,
                       const kp_secure_params_t *sp, kp_status_t *why);

/* ExFreePool2 of @p with a well-formed secure parameter (handle, cookie):
 * checks handle, block, tag, cookie, FREEABLE and IRQL, raising the
 * documented bug check, then frees. */
void kpi_secure_free(kp_system_t *sys, void *p, kp_tag_t tag,
                     kp_secure_pool_t pool, uintptr_t cookie, kp_site_t site);

/* Raises BAD_POOL_CALLER / KP_C2_SECURE_FREED_WITHOUT_PARAMS for a free of
 * secure memory without the secure parameter (@api names the routine). */
void kpi_secure_free_without_params(kp_system_t *sys, void *p, kp_tag_t tag,
                                    kp_secure_pool_t owner, const char *api,
                                    kp_site_t site);

#endif /* KPOOL_SRC_SECURE_INTERNAL_H */
