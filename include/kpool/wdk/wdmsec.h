/**
 * @file kpool/wdk/wdmsec.h
 * @brief kpool's <wdmsec.h>: IoCreateDeviceSecure and the SDDL strings
 *        drivers pass to it.
 *
 * IoCreateDeviceSecure is IoCreateDevice (kp_io_create_device) with the
 * security descriptor string and class GUID accepted and ignored: kpool
 * has no security model. A NULL DefaultSDDLString is
 * STATUS_INVALID_PARAMETER, as the DDI page requires one.
 */
#ifndef KPOOL_WDK_WDMSEC_H
#define KPOOL_WDK_WDMSEC_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SDDL strings (UTF-16 literals; char16_t in C++). */
#define SDDL_DEVOBJ_KERNEL_ONLY ((PCWSTR)(const void *)u"D:P")
#define SDDL_DEVOBJ_SYS_ALL ((PCWSTR)(const void *)u"D:P(A;;GA;;;SY)")
#define SDDL_DEVOBJ_SYS_ALL_ADM_ALL ((PCWSTR)(const void *)u"D:P(A;;GA;;;SY)(A;;GA;;;BA)")
#define SDDL_DEVOBJ_SYS_ALL_ADM_RX ((PCWSTR)(const void *)u"D:P(A;;GA;;;SY)(A;;GRGX;;;BA)")

/** IoCreateDeviceSecure: see the file comment. */
NTKERNELAPI NTSTATUS NTAPI IoCreateDeviceSecure(PDRIVER_OBJECT DriverObject,
                                                ULONG DeviceExtensionSize,
                                                PUNICODE_STRING DeviceName,
                                                DEVICE_TYPE DeviceType,
                                                ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                                PCUNICODE_STRING DefaultSDDLString,
                                                LPCGUID DeviceClassGuid,
                                                PDEVICE_OBJECT *DeviceObject);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_WDMSEC_H */
