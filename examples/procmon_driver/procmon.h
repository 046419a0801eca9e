/*
 * procmon.h — the process monitor example driver's interface: its device
 * names, IOCTLs and the record it returns. Written with WDK names only.
 */
#ifndef KPOOL_EXAMPLES_PROCMON_H
#define KPOOL_EXAMPLES_PROCMON_H

#include <ntifs.h>

#define PROCMON_DEVICE_TYPE 0x8001
/** Number of processes tracked: ULONG out (METHOD_BUFFERED). */
#define IOCTL_PROCMON_GET_COUNT CTL_CODE(PROCMON_DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
/** One process by ID: ULONG64 in, PROCMON_INFO out (METHOD_BUFFERED). */
#define IOCTL_PROCMON_QUERY CTL_CODE(PROCMON_DEVICE_TYPE, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
/** Every tracked process ID, ULONG64 each (METHOD_OUT_DIRECT). */
#define IOCTL_PROCMON_LIST CTL_CODE(PROCMON_DEVICE_TYPE, 0x802, METHOD_OUT_DIRECT, FILE_READ_ACCESS)
/** Forget every tracked process (METHOD_BUFFERED, needs write access). */
#define IOCTL_PROCMON_CLEAR CTL_CODE(PROCMON_DEVICE_TYPE, 0x803, METHOD_BUFFERED, FILE_WRITE_ACCESS)

#define PROCMON_IMAGE_CHARS 32

typedef struct PROCMON_INFO {
  ULONG64 ProcessId;
  ULONG64 ParentId;
  ULONG ImageLength;                     /* characters in Image */
  WCHAR Image[PROCMON_IMAGE_CHARS];      /* the last characters of the image path */
} PROCMON_INFO, *PPROCMON_INFO;

/** The driver's entry point. */
DRIVER_INITIALIZE ProcMonDriverEntry;

/** Seeded bug for the tests and the demo: IOCTL_PROCMON_GET_COUNT completes
 *  its IRP twice when TRUE (Driver Verifier's 0x44). */
extern BOOLEAN ProcMonSeedDoubleCompletion;

#endif /* KPOOL_EXAMPLES_PROCMON_H */
