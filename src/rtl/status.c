/*
 * status.c — small shared helpers: status names, tag text, version,
 * site text and API names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpool/kpool.h"
#include "os/kp_os.h"
#include "rtl/kp_rtl.h"

_Static_assert(KP_STATUS_INSUFFICIENT_RESOURCES < 0,
               "NTSTATUS error codes must be negative as int32_t");
_Static_assert(sizeof(kp_status_t) == 4, "NTSTATUS is 32 bits");

uint32_t kp_version(void) { return KP_VERSION_NUMBER; }

// The statuses of the WDK face (facts §10.2, the values of Microsoft's
// ntstatus.h), sorted by value for the binary search below. A value with two
// names is listed once, under the name reports print.
typedef struct status_name {
  uint32_t value;
  const char *name;
} status_name_t;

static const status_name_t status_names[] = {
    {0x00000000u, "STATUS_SUCCESS"},
    {0x00000001u, "STATUS_WAIT_1"},
    {0x00000002u, "STATUS_WAIT_2"},
    {0x00000003u, "STATUS_WAIT_3"},
    {0x0000003Fu, "STATUS_WAIT_63"},
    {0x00000080u, "STATUS_ABANDONED"},
    {0x000000BFu, "STATUS_ABANDONED_WAIT_63"},
    {0x000000C0u, "STATUS_USER_APC"},
    {0x00000100u, "STATUS_KERNEL_APC"},
    {0x00000101u, "STATUS_ALERTED"},
    {0x00000102u, "STATUS_TIMEOUT"},
    {0x00000103u, "STATUS_PENDING"},
    {0x00000104u, "STATUS_REPARSE"},
    {0x00000105u, "STATUS_MORE_ENTRIES"},
    {0x00000106u, "STATUS_NOT_ALL_ASSIGNED"},
    {0x00000107u, "STATUS_SOME_NOT_MAPPED"},
    {0x00000108u, "STATUS_OPLOCK_BREAK_IN_PROGRESS"},
    {0x00000109u, "STATUS_VOLUME_MOUNTED"},
    {0x0000010Bu, "STATUS_NOTIFY_CLEANUP"},
    {0x0000010Cu, "STATUS_NOTIFY_ENUM_DIR"},
    {0x00000367u, "STATUS_WAIT_FOR_OPLOCK"},
    {0x40000000u, "STATUS_OBJECT_NAME_EXISTS"},
    {0x40000001u, "STATUS_THREAD_WAS_SUSPENDED"},
    {0x40000003u, "STATUS_IMAGE_NOT_AT_BASE"},
    {0x80000001u, "STATUS_GUARD_PAGE_VIOLATION"},
    {0x80000002u, "STATUS_DATATYPE_MISALIGNMENT"},
    {0x80000003u, "STATUS_BREAKPOINT"},
    {0x80000004u, "STATUS_SINGLE_STEP"},
    {0x80000005u, "STATUS_BUFFER_OVERFLOW"},
    {0x80000006u, "STATUS_NO_MORE_FILES"},
    {0x8000000Bu, "STATUS_NO_INHERITANCE"},
    {0x8000000Eu, "STATUS_DEVICE_PAPER_EMPTY"},
    {0x8000000Fu, "STATUS_DEVICE_POWERED_OFF"},
    {0x80000010u, "STATUS_DEVICE_OFF_LINE"},
    {0x80000011u, "STATUS_DEVICE_BUSY"},
    {0x80000012u, "STATUS_NO_MORE_EAS"},
    {0x80000013u, "STATUS_INVALID_EA_NAME"},
    {0x8000001Au, "STATUS_NO_MORE_ENTRIES"},
    {0x8000002Du, "STATUS_STOPPED_ON_SYMLINK"},
    {0xC0000001u, "STATUS_UNSUCCESSFUL"},
    {0xC0000002u, "STATUS_NOT_IMPLEMENTED"},
    {0xC0000003u, "STATUS_INVALID_INFO_CLASS"},
    {0xC0000004u, "STATUS_INFO_LENGTH_MISMATCH"},
    {0xC0000005u, "STATUS_ACCESS_VIOLATION"},
    {0xC0000006u, "STATUS_IN_PAGE_ERROR"},
    {0xC0000007u, "STATUS_PAGEFILE_QUOTA"},
    {0xC0000008u, "STATUS_INVALID_HANDLE"},
    {0xC000000Bu, "STATUS_INVALID_CID"},
    {0xC000000Cu, "STATUS_TIMER_NOT_CANCELED"},
    {0xC000000Du, "STATUS_INVALID_PARAMETER"},
    {0xC000000Eu, "STATUS_NO_SUCH_DEVICE"},
    {0xC000000Fu, "STATUS_NO_SUCH_FILE"},
    {0xC0000010u, "STATUS_INVALID_DEVICE_REQUEST"},
    {0xC0000011u, "STATUS_END_OF_FILE"},
    {0xC0000013u, "STATUS_NO_MEDIA_IN_DEVICE"},
    {0xC0000016u, "STATUS_MORE_PROCESSING_REQUIRED"},
    {0xC0000017u, "STATUS_NO_MEMORY"},
    {0xC0000018u, "STATUS_CONFLICTING_ADDRESSES"},
    {0xC000001Du, "STATUS_ILLEGAL_INSTRUCTION"},
    {0xC000001Eu, "STATUS_INVALID_LOCK_SEQUENCE"},
    {0xC000001Fu, "STATUS_INVALID_VIEW_SIZE"},
    {0xC0000021u, "STATUS_ALREADY_COMMITTED"},
    {0xC0000022u, "STATUS_ACCESS_DENIED"},
    {0xC0000023u, "STATUS_BUFFER_TOO_SMALL"},
    {0xC0000024u, "STATUS_OBJECT_TYPE_MISMATCH"},
    {0xC0000025u, "STATUS_NONCONTINUABLE_EXCEPTION"},
    {0xC0000026u, "STATUS_INVALID_DISPOSITION"},
    {0xC0000027u, "STATUS_UNWIND"},
    {0xC0000028u, "STATUS_BAD_STACK"},
    {0xC000002Au, "STATUS_NOT_LOCKED"},
    {0xC000002Du, "STATUS_NOT_COMMITTED"},
    {0xC0000030u, "STATUS_INVALID_PARAMETER_MIX"},
    {0xC0000033u, "STATUS_OBJECT_NAME_INVALID"},
    {0xC0000034u, "STATUS_OBJECT_NAME_NOT_FOUND"},
    {0xC0000035u, "STATUS_OBJECT_NAME_COLLISION"},
    {0xC0000037u, "STATUS_PORT_DISCONNECTED"},
    {0xC0000038u, "STATUS_DEVICE_ALREADY_ATTACHED"},
    {0xC0000039u, "STATUS_OBJECT_PATH_INVALID"},
    {0xC000003Au, "STATUS_OBJECT_PATH_NOT_FOUND"},
    {0xC000003Bu, "STATUS_OBJECT_PATH_SYNTAX_BAD"},
    {0xC000003Cu, "STATUS_DATA_OVERRUN"},
    {0xC000003Eu, "STATUS_DATA_ERROR"},
    {0xC000003Fu, "STATUS_CRC_ERROR"},
    {0xC0000043u, "STATUS_SHARING_VIOLATION"},
    {0xC0000044u, "STATUS_QUOTA_EXCEEDED"},
    {0xC0000045u, "STATUS_INVALID_PAGE_PROTECTION"},
    {0xC0000046u, "STATUS_MUTANT_NOT_OWNED"},
    {0xC0000047u, "STATUS_SEMAPHORE_LIMIT_EXCEEDED"},
    {0xC000004Bu, "STATUS_THREAD_IS_TERMINATING"},
    {0xC0000054u, "STATUS_FILE_LOCK_CONFLICT"},
    {0xC0000055u, "STATUS_LOCK_NOT_GRANTED"},
    {0xC0000056u, "STATUS_DELETE_PENDING"},
    {0xC0000061u, "STATUS_PRIVILEGE_NOT_HELD"},
    {0xC000006Du, "STATUS_LOGON_FAILURE"},
    {0xC0000078u, "STATUS_INVALID_SID"},
    {0xC0000079u, "STATUS_INVALID_SECURITY_DESCR"},
    {0xC000007Au, "STATUS_PROCEDURE_NOT_FOUND"},
    {0xC000007Bu, "STATUS_INVALID_IMAGE_FORMAT"},
    {0xC000007Fu, "STATUS_DISK_FULL"},
    {0xC000008Cu, "STATUS_ARRAY_BOUNDS_EXCEEDED"},
    {0xC000008Eu, "STATUS_FLOAT_DIVIDE_BY_ZERO"},
    {0xC0000094u, "STATUS_INTEGER_DIVIDE_BY_ZERO"},
    {0xC0000095u, "STATUS_INTEGER_OVERFLOW"},
    {0xC0000096u, "STATUS_PRIVILEGED_INSTRUCTION"},
    {0xC000009Au, "STATUS_INSUFFICIENT_RESOURCES"},
    {0xC000009Cu, "STATUS_DEVICE_DATA_ERROR"},
    {0xC000009Du, "STATUS_DEVICE_NOT_CONNECTED"},
    {0xC000009Eu, "STATUS_DEVICE_POWER_FAILURE"},
    {0xC00000A0u, "STATUS_MEMORY_NOT_ALLOCATED"},
    {0xC00000A1u, "STATUS_WORKING_SET_QUOTA"},
    {0xC00000A2u, "STATUS_MEDIA_WRITE_PROTECTED"},
    {0xC00000A3u, "STATUS_DEVICE_NOT_READY"},
    {0xC00000AAu, "STATUS_INSTRUCTION_MISALIGNMENT"},
    {0xC00000AEu, "STATUS_PIPE_BUSY"},
    {0xC00000B5u, "STATUS_IO_TIMEOUT"},
    {0xC00000BAu, "STATUS_FILE_IS_A_DIRECTORY"},
    {0xC00000BBu, "STATUS_NOT_SUPPORTED"},
    {0xC00000BDu, "STATUS_DUPLICATE_NAME"},
    {0xC00000BEu, "STATUS_BAD_NETWORK_PATH"},
    {0xC00000C0u, "STATUS_DEVICE_DOES_NOT_EXIST"},
    {0xC00000CBu, "STATUS_BAD_DEVICE_TYPE"},
    {0xC00000CCu, "STATUS_BAD_NETWORK_NAME"},
    {0xC00000D4u, "STATUS_NOT_SAME_DEVICE"},
    {0xC00000D8u, "STATUS_CANT_WAIT"},
    {0xC00000E5u, "STATUS_INTERNAL_ERROR"},
    {0xC00000E8u, "STATUS_INVALID_USER_BUFFER"},
    {0xC00000E9u, "STATUS_UNEXPECTED_IO_ERROR"},
    {0xC00000EFu, "STATUS_INVALID_PARAMETER_1"},
    {0xC00000F0u, "STATUS_INVALID_PARAMETER_2"},
    {0xC00000F1u, "STATUS_INVALID_PARAMETER_3"},
    {0xC00000F2u, "STATUS_INVALID_PARAMETER_4"},
    {0xC00000F3u, "STATUS_INVALID_PARAMETER_5"},
    {0xC00000F4u, "STATUS_INVALID_PARAMETER_6"},
    {0xC00000F5u, "STATUS_INVALID_PARAMETER_7"},
    {0xC00000F6u, "STATUS_INVALID_PARAMETER_8"},
    {0xC00000F7u, "STATUS_INVALID_PARAMETER_9"},
    {0xC00000F8u, "STATUS_INVALID_PARAMETER_10"},
    {0xC00000F9u, "STATUS_INVALID_PARAMETER_11"},
    {0xC00000FAu, "STATUS_INVALID_PARAMETER_12"},
    {0xC00000FDu, "STATUS_STACK_OVERFLOW"},
    {0xC0000101u, "STATUS_DIRECTORY_NOT_EMPTY"},
    {0xC0000102u, "STATUS_FILE_CORRUPT_ERROR"},
    {0xC0000103u, "STATUS_NOT_A_DIRECTORY"},
    {0xC0000106u, "STATUS_NAME_TOO_LONG"},
    {0xC0000107u, "STATUS_FILES_OPEN"},
    {0xC000010Au, "STATUS_PROCESS_IS_TERMINATING"},
    {0xC0000120u, "STATUS_CANCELLED"},
    {0xC0000121u, "STATUS_CANNOT_DELETE"},
    {0xC0000123u, "STATUS_FILE_DELETED"},
    {0xC000012Du, "STATUS_COMMITMENT_LIMIT"},
    {0xC0000135u, "STATUS_DLL_NOT_FOUND"},
    {0xC0000139u, "STATUS_ENTRYPOINT_NOT_FOUND"},
    {0xC0000141u, "STATUS_INVALID_ADDRESS"},
    {0xC0000182u, "STATUS_DEVICE_CONFIGURATION_ERROR"},
    {0xC0000183u, "STATUS_DRIVER_INTERNAL_ERROR"},
    {0xC0000184u, "STATUS_INVALID_DEVICE_STATE"},
    {0xC0000185u, "STATUS_IO_DEVICE_ERROR"},
    {0xC0000186u, "STATUS_DEVICE_PROTOCOL_ERROR"},
    {0xC0000189u, "STATUS_TOO_LATE"},
    {0xC0000191u, "STATUS_MUTANT_LIMIT_EXCEEDED"},
    {0xC0000206u, "STATUS_INVALID_BUFFER_SIZE"},
    {0xC000020Du, "STATUS_CONNECTION_RESET"},
    {0xC000021Bu, "STATUS_DATA_NOT_ACCEPTED"},
    {0xC0000225u, "STATUS_NOT_FOUND"},
    {0xC000022Bu, "STATUS_OBJECTID_EXISTS"},
    {0xC000022Du, "STATUS_RETRY"},
    {0xC0000235u, "STATUS_HANDLE_NOT_CLOSABLE"},
    {0xC0000236u, "STATUS_CONNECTION_REFUSED"},
    {0xC000023Cu, "STATUS_NETWORK_UNREACHABLE"},
    {0xC000023Du, "STATUS_HOST_UNREACHABLE"},
    {0xC0000240u, "STATUS_REQUEST_ABORTED"},
    {0xC0000241u, "STATUS_CONNECTION_ABORTED"},
    {0xC000026Cu, "STATUS_DRIVER_UNABLE_TO_LOAD"},
    {0xC0000275u, "STATUS_NOT_A_REPARSE_POINT"},
    {0xC00002B6u, "STATUS_DEVICE_REMOVED"},
    {0xC00002B9u, "STATUS_NOINTERFACE"},
    {0xC00002D3u, "STATUS_POWER_STATE_INVALID"},
    {0xC0000366u, "STATUS_DEVICE_ENUMERATION_ERROR"},
    {0xC0000369u, "STATUS_INVALID_DEVICE_OBJECT_PARAMETER"},
    {0xC0000374u, "STATUS_HEAP_CORRUPTION"},
    {0xC0000409u, "STATUS_STACK_BUFFER_OVERRUN"},
    {0xC0000420u, "STATUS_ASSERTION_FAILURE"},
    {0xC0000425u, "STATUS_HIVE_UNLOADED"},
    {0xC0000428u, "STATUS_INVALID_IMAGE_HASH"},
    {0xC0000429u, "STATUS_NOT_CAPABLE"},
    {0xC000042Bu, "STATUS_IMPLEMENTATION_LIMIT"},
    {0xC0000450u, "STATUS_DRIVER_PROCESS_TERMINATED"},
    {0xC0000708u, "STATUS_RESOURCE_IN_USE"},
    {0xC0000718u, "STATUS_ALREADY_REGISTERED"},
    {0xC000A000u, "STATUS_INVALID_SIGNATURE"},
    {0xC01C0001u, "STATUS_FLT_NO_HANDLER_DEFINED"},
};

static int status_name_cmp(const void *key, const void *elem) {
  uint32_t v = *(const uint32_t *)key;
  const status_name_t *e = elem;
  return v < e->value ? -1 : (v > e->value ? 1 : 0);
}

const char *kp_status_name(kp_status_t st) {
  switch ((uint32_t)st) {
#define KP_STATUS_CASE_(name, value, text)                                     \
  case (value):                                                                \
    return "STATUS_" #name;
    KP_STATUS_MAP(KP_STATUS_CASE_)
#undef KP_STATUS_CASE_
  default:
    break;
  }
  uint32_t key = (uint32_t)st;
  const status_name_t *hit =
      bsearch(&key, status_names, sizeof status_names / sizeof status_names[0],
              sizeof status_names[0], status_name_cmp);
  return hit != NULL ? hit->name : NULL;
}

char *kp_tag_text(kp_tag_t tag, char out[5]) {
  int last = 3;
  // A short tag ('ab' == 0x6162) has trailing zero bytes: print them as
  // spaces, as PoolMon does, instead of as unprintable bytes.
  while (last >= 0 && ((tag >> (8 * last)) & 0xFF) == 0) last--;
  for (int i = 0; i < 4; i++) {
    unsigned c = (tag >> (8 * i)) & 0xFFu;
    if (i > last)
      out[i] = ' ';
    else
      out[i] = (c >= 0x20 && c <= 0x7E) ? (char)c : '.';
  }
  out[4] = '\0';
  return out;
}

const char *kpi_site_text(kp_site_t site, char *buf, size_t len) {
  if (site.file != NULL) {
    const char *base = strrchr(site.file, '/');
    char outer[200];
    // The caller of the function at file:line is worth naming when it is
    // the driver's own code (the same image as that function): main's
    // caller in the C library, or a test runner's, is not.
    if (site.outer != NULL && site.caller != NULL &&
        !kpi_os_same_image(site.outer, site.caller))
      site.outer = NULL;
    if (site.outer != NULL && kpi_os_symbolize(site.outer, outer, sizeof outer))
      snprintf(buf, len, "%s:%u, called from %s", base ? base + 1 : site.file,
               site.line, outer);
    else if (site.outer != NULL)
      snprintf(buf, len, "%s:%u, called from %p", base ? base + 1 : site.file,
               site.line, site.outer);
    else
      snprintf(buf, len, "%s:%u", base ? base + 1 : site.file, site.line);
  } else if (site.caller != NULL) {
    // No call-site macro: the return address, and where it is in source
    // when the host can say (spin locks, fast mutexes, calls through a
    // function pointer).
    char where[200];
    if (kpi_os_symbolize(site.caller, where, sizeof where))
      snprintf(buf, len, "caller %p in %s", site.caller, where);
    else
      snprintf(buf, len, "caller %p", site.caller);
  } else {
    snprintf(buf, len, "unknown site");
  }
  return buf;
}

const char *kpi_api_name(kp_alloc_api_t api) {
  switch (api) {
  case KP_API_ALLOCATE_POOL: return "ExAllocatePool";
  case KP_API_ALLOCATE_POOL_WITH_TAG: return "ExAllocatePoolWithTag";
  case KP_API_ALLOCATE_POOL_PRIORITY: return "ExAllocatePoolWithTagPriority";
  case KP_API_ALLOCATE_POOL_QUOTA: return "ExAllocatePoolWithQuotaTag";
  case KP_API_ALLOCATE_POOL2: return "ExAllocatePool2";
  case KP_API_ALLOCATE_POOL3: return "ExAllocatePool3";
  case KP_API_LOOKASIDE: return "lookaside list allocate";
  case KP_API_ALLOCATE_POOL_WITH_QUOTA: return "ExAllocatePoolWithQuota";
  case KP_API_RTL_ANSI_TO_UNICODE: return "RtlAnsiStringToUnicodeString";
  case KP_API_RTL_UNICODE_TO_ANSI: return "RtlUnicodeStringToAnsiString";
  case KP_API_RTL_UTF8_TO_UNICODE: return "RtlUTF8StringToUnicodeString";
  case KP_API_RTL_UNICODE_TO_UTF8: return "RtlUnicodeStringToUTF8String";
  case KP_API_RTL_UPCASE_UNICODE: return "RtlUpcaseUnicodeString";
  case KP_API_RTL_DOWNCASE_UNICODE: return "RtlDowncaseUnicodeString";
  case KP_API_RTL_DUPLICATE_UNICODE: return "RtlDuplicateUnicodeString";
  case KP_API_RTL_CREATE_UNICODE: return "RtlCreateUnicodeString";
  case KP_API_COUNT_: break;
  }
  return "unknown allocator";
}
