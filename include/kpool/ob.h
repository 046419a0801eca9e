/**
 * @file kpool/ob.h
 * @brief The simulated object manager's reference counts (facts §7.1).
 *
 * ObReferenceObject / ObDereferenceObject (and the WithTag forms) on the
 * objects kpool makes: device objects and file objects today (processes,
 * threads and events join as their modules land). A reference keeps the
 * object: a deleted device with references is freed when the last one
 * goes; the last reference to a file object sends IRP_MJ_CLOSE.
 *
 * @par Bug checks
 * - Dereferencing an object whose count is 0: with the verifier's
 *   automatic checks, 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, P1 = 0x3F,
 *   P2 = the object, P3 = (uint64_t)-1; otherwise 0x18
 *   REFERENCE_BY_POINTER, P1 = the object type (3 device, 5 file), P2 = the
 *   object.
 * - Referencing something that is not an object kpool knows: 0x18, P1 =
 *   0, P2 = the address (kpool's choice: Windows would corrupt memory in
 *   front of it). A dereference of an unknown object goes to the
 *   dispatcher's objects (system threads), which raise the same 0x18.
 *
 * Thread-safe.
 */
#ifndef KPOOL_OB_H
#define KPOOL_OB_H

#include "common.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_BUGCHECK_REFERENCE_BY_POINTER 0x00000018u

/** ObReferenceObject(WithTag): adds a reference to @p object. @p tag is
 *  recorded by nothing yet ('tlfD' for the untagged forms). */
KP_API void kp_ob_reference(kp_system_t *sys, void *object, uint32_t tag);

/** ObDereferenceObject(WithTag): drops a reference; see the bug checks. */
KP_API void kp_ob_dereference(kp_system_t *sys, void *object, uint32_t tag);

/** Object kinds for kp_ob_reference_by_pointer. */
#define KP_OB_ANY 0u
#define KP_OB_DEVICE 1u
#define KP_OB_FILE 2u
#define KP_OB_PROCESS 3u
#define KP_OB_THREAD 4u

/**
 * ObReferenceObjectByPointer: references @p object when it is of @p kind
 * (KP_OB_ANY: whatever it is). STATUS_SUCCESS, or
 * STATUS_OBJECT_TYPE_MISMATCH (nothing referenced) when it is another
 * kind. An object kpool does not know is 0x18 as for ObReferenceObject.
 */
KP_API kp_status_t kp_ob_reference_by_pointer(kp_system_t *sys, void *object,
                                              uint32_t kind, uint32_t tag);

/** ZwClose: a handle in the registry's range goes to kp_cm_close (a bad
 *  one is 0x93 with the verifier, STATUS_INVALID_HANDLE without); any
 *  other to the dispatcher's kp_handle_close (system threads; a bad one is
 *  STATUS_INVALID_HANDLE). */
KP_API kp_status_t kp_ob_close(kp_system_t *sys, void *handle);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_OB_H */
