/**
 * @file kpool/wdk/kp_wdk_ob.h
 * @brief WDK face of object references: ObReferenceObject,
 *        ObDereferenceObject and the WithTag forms (kpool/ob.h).
 *
 * Included by wdm.h near its end. The plain forms record the default tag
 * 'tlfD' ("Dflt"), as Windows 7 and later do (facts §7.1). Each returns
 * 0 (drivers treat the result as VOID). IRQL <= DISPATCH_LEVEL.
 * @bugcheck an underflow is 0xC4/0x3F with the verifier, else 0x18; an
 * unknown object is 0x18 with P1 = 0 (kpool/ob.h).
 */
/* The base header first, outside the guard: it includes this one in its
 * place, so a driver may include this header alone. */
#include "wdm.h"

#ifndef KPOOL_WDK_KP_WDK_OB_H
#define KPOOL_WDK_KP_WDK_OB_H

#ifdef __cplusplus
extern "C" {
#endif

NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObject(PVOID Object);
#ifndef KP_WDK_OB_HANDLE_ROUTINES_DECLARED
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object);
#endif
NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObjectWithTag(PVOID Object, ULONG Tag);
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag);
#define ObReferenceObject(Object) ObfReferenceObject(Object)
#ifndef ObDereferenceObject
#define ObDereferenceObject(o) ObfDereferenceObject(o)
#endif
#ifndef KP_WDK_OBJECT_TYPE_DEFINED
#define KP_WDK_OBJECT_TYPE_DEFINED
typedef struct _OBJECT_TYPE *POBJECT_TYPE;
typedef struct _OBJECT_HANDLE_INFORMATION *POBJECT_HANDLE_INFORMATION;
#endif
/** Object types drivers pass to ObReferenceObjectByPointer (threads:
 *  *PsThreadType, declared with the dispatcher). */
extern KP_API POBJECT_TYPE *PsProcessType;
extern KP_API POBJECT_TYPE *IoFileObjectType;
extern KP_API POBJECT_TYPE *IoDeviceObjectType;
/** ObReferenceObjectByPointer: kp_ob_reference_by_pointer.
 *  STATUS_OBJECT_TYPE_MISMATCH when @p ObjectType is given and differs. */
NTKERNELAPI NTSTATUS NTAPI ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
                                                      POBJECT_TYPE ObjectType,
                                                      KPROCESSOR_MODE AccessMode);
#define ObReferenceObjectWithTag(Object, Tag) ObfReferenceObjectWithTag(Object, Tag)
#define ObDereferenceObjectWithTag(Object, Tag) ObfDereferenceObjectWithTag(Object, Tag)

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_OB_H */
