/**
 * @file kpool/wdk/fltKernel.h
 * @brief kpool's <fltKernel.h>: the filter manager's common types and
 *        routines, declared so that a minifilter's files compile. The
 *        filter manager itself is not simulated: FltRegisterFilter,
 *        FltStartFiltering, FltUnregisterFilter and the file-name routines
 *        report bug check 0x1E (STATUS_NOT_IMPLEMENTED) naming the
 *        routine, and a test supplies doubles by defining them itself
 *        (kpool/unsim.h). A minifilter's logic (its pre/post callbacks)
 *        can still be unit-tested by calling the callbacks directly with
 *        FLT_CALLBACK_DATA the test builds.
 *
 * The structures carry the fields minifilters name; their layouts are
 * not pinned against Windows (not binary-compatible), and the constant
 * values come from the public filter-manager documentation (UNVERIFIED:
 * they are not in the project's facts files).
 */
#ifndef KPOOL_WDK_FLTKERNEL_H
#define KPOOL_WDK_FLTKERNEL_H

#include "ntifs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _FLT_FILTER *PFLT_FILTER;
typedef struct _FLT_INSTANCE *PFLT_INSTANCE;
typedef struct _FLT_VOLUME *PFLT_VOLUME;
typedef struct _FLT_PORT *PFLT_PORT;
typedef PVOID PFLT_CONTEXT;
typedef ULONG FLT_FILE_NAME_OPTIONS;
typedef USHORT FLT_FILE_NAME_PARSED_FLAGS;
typedef ULONG FLT_OPERATION_REGISTRATION_FLAGS;
typedef ULONG FLT_REGISTRATION_FLAGS;
typedef ULONG FLT_CALLBACK_DATA_FLAGS;
typedef ULONG FLT_POST_OPERATION_FLAGS;
typedef ULONG FLT_INSTANCE_SETUP_FLAGS;
typedef ULONG FLT_INSTANCE_QUERY_TEARDOWN_FLAGS;
typedef ULONG FLT_INSTANCE_TEARDOWN_FLAGS;
typedef ULONG FLT_FILTER_UNLOAD_FLAGS;

#define FLT_REGISTRATION_VERSION 0x0203
#define IRP_MJ_OPERATION_END ((UCHAR)0x80)
#define FLT_FILE_NAME_NORMALIZED 0x01
#define FLT_FILE_NAME_OPENED 0x02
#define FLT_FILE_NAME_SHORT 0x03
#define FLT_FILE_NAME_QUERY_DEFAULT 0x0100
#define FLT_FILE_NAME_QUERY_CACHE_ONLY 0x0200
#define FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY 0x0300
#define FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP 0x0400
#define FLTFL_POST_OPERATION_DRAINING 0x00000001

typedef enum _FLT_PREOP_CALLBACK_STATUS {
  FLT_PREOP_SUCCESS_WITH_CALLBACK,
  FLT_PREOP_SUCCESS_NO_CALLBACK,
  FLT_PREOP_PENDING,
  FLT_PREOP_DISALLOW_FASTIO,
  FLT_PREOP_COMPLETE,
  FLT_PREOP_SYNCHRONIZE,
  FLT_PREOP_DISALLOW_FSFILTER_IO
} FLT_PREOP_CALLBACK_STATUS, *PFLT_PREOP_CALLBACK_STATUS;

typedef enum _FLT_POSTOP_CALLBACK_STATUS {
  FLT_POSTOP_FINISHED_PROCESSING,
  FLT_POSTOP_MORE_PROCESSING_REQUIRED,
  FLT_POSTOP_DISALLOW_FSFILTER_IO
} FLT_POSTOP_CALLBACK_STATUS, *PFLT_POSTOP_CALLBACK_STATUS;

/** The parameters of the operations minifilters handle most. */
typedef union _FLT_PARAMETERS {
  struct {
    PIO_SECURITY_CONTEXT SecurityContext;
    ULONG Options;
    USHORT POINTER_ALIGNMENT FileAttributes;
    USHORT ShareAccess;
    ULONG POINTER_ALIGNMENT EaLength;
    PVOID EaBuffer;
    LARGE_INTEGER AllocationSize;
  } Create;
  struct {
    ULONG Length;
    ULONG POINTER_ALIGNMENT Key;
    LARGE_INTEGER ByteOffset;
    PVOID ReadBuffer;
    PMDL MdlAddress;
  } Read;
  struct {
    ULONG Length;
    ULONG POINTER_ALIGNMENT Key;
    LARGE_INTEGER ByteOffset;
    PVOID WriteBuffer;
    PMDL MdlAddress;
  } Write;
  struct {
    ULONG OutputBufferLength;
    ULONG POINTER_ALIGNMENT InputBufferLength;
    ULONG POINTER_ALIGNMENT IoControlCode;
    PVOID InputBuffer;
    PVOID OutputBuffer;
    PMDL OutputMdlAddress;
  } DeviceIoControl;
  struct {
    ULONG Length;
    ULONG POINTER_ALIGNMENT FileInformationClass;
    PVOID InfoBuffer;
  } SetFileInformation;
  struct {
    PVOID Argument1;
    PVOID Argument2;
    PVOID Argument3;
    PVOID Argument4;
    PVOID Argument5;
    LARGE_INTEGER Argument6;
  } Others;
} FLT_PARAMETERS, *PFLT_PARAMETERS;

typedef struct _FLT_IO_PARAMETER_BLOCK {
  ULONG IrpFlags;
  UCHAR MajorFunction;
  UCHAR MinorFunction;
  UCHAR OperationFlags;
  UCHAR Reserved;
  PFILE_OBJECT TargetFileObject;
  PFLT_INSTANCE TargetInstance;
  FLT_PARAMETERS Parameters;
} FLT_IO_PARAMETER_BLOCK, *PFLT_IO_PARAMETER_BLOCK;

typedef struct _FLT_CALLBACK_DATA {
  FLT_CALLBACK_DATA_FLAGS Flags;
  PETHREAD Thread;
  PFLT_IO_PARAMETER_BLOCK Iopb;
  IO_STATUS_BLOCK IoStatus;
  PVOID TagData;
  KPROCESSOR_MODE RequestorMode;
} FLT_CALLBACK_DATA, *PFLT_CALLBACK_DATA;

typedef struct _FLT_RELATED_OBJECTS {
  USHORT Size;
  USHORT TransactionContext;
  PFLT_FILTER Filter;
  PFLT_VOLUME Volume;
  PFLT_INSTANCE Instance;
  PFILE_OBJECT FileObject;
  PVOID Transaction;
} FLT_RELATED_OBJECTS, *PFLT_RELATED_OBJECTS;
typedef const FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;

typedef struct _FLT_FILE_NAME_INFORMATION {
  USHORT Size;
  FLT_FILE_NAME_PARSED_FLAGS NamesParsed;
  FLT_FILE_NAME_OPTIONS Format;
  UNICODE_STRING Name;
  UNICODE_STRING Volume;
  UNICODE_STRING Share;
  UNICODE_STRING Extension;
  UNICODE_STRING Stream;
  UNICODE_STRING FinalComponent;
  UNICODE_STRING ParentDir;
} FLT_FILE_NAME_INFORMATION, *PFLT_FILE_NAME_INFORMATION;

typedef FLT_PREOP_CALLBACK_STATUS (*PFLT_PRE_OPERATION_CALLBACK)(
    PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects, PVOID *CompletionContext);
typedef FLT_POSTOP_CALLBACK_STATUS (*PFLT_POST_OPERATION_CALLBACK)(
    PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects, PVOID CompletionContext,
    FLT_POST_OPERATION_FLAGS Flags);
typedef NTSTATUS (*PFLT_FILTER_UNLOAD_CALLBACK)(FLT_FILTER_UNLOAD_FLAGS Flags);
typedef NTSTATUS (*PFLT_INSTANCE_SETUP_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
                                                 FLT_INSTANCE_SETUP_FLAGS Flags,
                                                 DEVICE_TYPE VolumeDeviceType,
                                                 ULONG VolumeFilesystemType);
typedef NTSTATUS (*PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK)(
    PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);
typedef VOID (*PFLT_INSTANCE_TEARDOWN_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_TEARDOWN_FLAGS Reason);

typedef struct _FLT_OPERATION_REGISTRATION {
  UCHAR MajorFunction;
  FLT_OPERATION_REGISTRATION_FLAGS Flags;
  PFLT_PRE_OPERATION_CALLBACK PreOperation;
  PFLT_POST_OPERATION_CALLBACK PostOperation;
  PVOID Reserved1;
} FLT_OPERATION_REGISTRATION, *PFLT_OPERATION_REGISTRATION;

typedef struct _FLT_CONTEXT_REGISTRATION {
  USHORT ContextType;
  USHORT Flags;
  PVOID ContextCleanupCallback;
  SIZE_T Size;
  ULONG PoolTag;
  PVOID ContextAllocateCallback;
  PVOID ContextFreeCallback;
  PVOID Reserved1;
} FLT_CONTEXT_REGISTRATION, *PFLT_CONTEXT_REGISTRATION;

typedef struct _FLT_REGISTRATION {
  USHORT Size;
  USHORT Version;
  FLT_REGISTRATION_FLAGS Flags;
  const FLT_CONTEXT_REGISTRATION *ContextRegistration;
  const FLT_OPERATION_REGISTRATION *OperationRegistration;
  PFLT_FILTER_UNLOAD_CALLBACK FilterUnloadCallback;
  PFLT_INSTANCE_SETUP_CALLBACK InstanceSetupCallback;
  PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK InstanceQueryTeardownCallback;
  PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownStartCallback;
  PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownCompleteCallback;
  PVOID GenerateFileNameCallback;
  PVOID NormalizeNameComponentCallback;
  PVOID NormalizeContextCleanupCallback;
  PVOID TransactionNotificationCallback;
  PVOID NormalizeNameComponentExCallback;
  PVOID SectionNotificationCallback;
} FLT_REGISTRATION, *PFLT_REGISTRATION;

/* Not simulated: bug check 0x1E naming the routine (kpool/unsim.h). */
NTKERNELAPI NTSTATUS NTAPI FltRegisterFilter(PDRIVER_OBJECT Driver,
                                             const FLT_REGISTRATION *Registration,
                                             PFLT_FILTER *RetFilter);
NTKERNELAPI NTSTATUS NTAPI FltStartFiltering(PFLT_FILTER Filter);
NTKERNELAPI VOID NTAPI FltUnregisterFilter(PFLT_FILTER Filter);
NTKERNELAPI NTSTATUS NTAPI FltGetFileNameInformation(PFLT_CALLBACK_DATA CallbackData,
                                                     FLT_FILE_NAME_OPTIONS NameOptions,
                                                     PFLT_FILE_NAME_INFORMATION *FileNameInformation);
NTKERNELAPI VOID NTAPI FltReleaseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation);
NTKERNELAPI NTSTATUS NTAPI FltParseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_FLTKERNEL_H */
