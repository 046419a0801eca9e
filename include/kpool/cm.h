/**
 * @file kpool/cm.h
 * @brief The simulated registry (configuration manager, facts §5): an
 *        in-memory tree a test fills before it loads a driver, the Zw*
 *        key routines over kernel handles, and RtlQueryRegistryValues.
 *
 * Paths are absolute (`\Registry\Machine\System\...`); key and value names
 * compare case-insensitively (ASCII letters). Values hold raw bytes of any
 * REG_* type, as given. kp_driver_load does not create the service key:
 * a test that wants one calls kp_registry_set_value (or
 * kp_registry_create_key) first.
 *
 * @par Handles
 * Handles are kernel handles of the current system (values with the high
 * bit set, as Windows' kernel handles). An unknown or already closed
 * handle passed to ZwClose is bug check 0x93 INVALID_KERNEL_HANDLE, P1 =
 * the handle, P2 = 1, when the verifier's automatic checks are on (kpool's
 * choice for the "bad handle detection" case the 0x93 page describes); with
 * them off ZwClose returns STATUS_INVALID_HANDLE, as its DDI page says.
 * Other routines return STATUS_INVALID_HANDLE for a bad handle. Handles
 * still open at the unload check are reported (a finding, no bug check).
 *
 * @par ZwQueryValueKey buffer sizes (facts §5.2)
 * Length below the fixed part (12 bytes for Basic and Partial, 20 for
 * Full) is STATUS_BUFFER_TOO_SMALL with nothing written; a buffer holding
 * the fixed part but not all the name/data gets the fixed part and as much
 * as fits, and STATUS_BUFFER_OVERFLOW. Both set *ResultLength to the size
 * needed. KeyValueFullInformation puts the data after the name at the next
 * 4-byte boundary (DataOffset).
 *
 * Thread-safe: one lock per system, never held while a QueryRoutine runs.
 */
#ifndef KPOOL_CM_H
#define KPOOL_CM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KP_REG_NONE 0u
#define KP_REG_SZ 1u
#define KP_REG_EXPAND_SZ 2u
#define KP_REG_BINARY 3u
#define KP_REG_DWORD 4u
#define KP_REG_MULTI_SZ 7u
#define KP_REG_QWORD 11u

#define KP_KEY_VALUE_BASIC 0u
#define KP_KEY_VALUE_FULL 1u
#define KP_KEY_VALUE_PARTIAL 2u

#define KP_REG_CREATED_NEW_KEY 1u
#define KP_REG_OPENED_EXISTING_KEY 2u

#define KP_BUGCHECK_INVALID_KERNEL_HANDLE 0x00000093u
#define KP_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE 0x00000139u

/** STATUS_OBJECT_PATH_NOT_FOUND (a missing parent key). */
#define KP_STATUS_OBJECT_PATH_NOT_FOUND ((kp_status_t)0xC000003Au)
#define KP_STATUS_NO_MORE_ENTRIES ((kp_status_t)0x8000001Au)
#define KP_STATUS_KEY_DELETED ((kp_status_t)0xC000017Cu)

/* ---------------------------------------------------------------------------
 * Test side: fill and inspect the registry (ASCII paths and names).
 * ------------------------------------------------------------------------- */

/** Creates @p path and every missing key above it. STATUS_SUCCESS, or
 *  STATUS_OBJECT_PATH_SYNTAX_BAD for a path not starting with
 *  `\Registry\`, STATUS_INSUFFICIENT_RESOURCES. */
KP_API kp_status_t kp_registry_create_key(kp_system_t *sys, const char *path);

/** Sets value @p name ("" = the default value) of @p path (created as
 *  needed) to @p size bytes of @p data with @p type. */
KP_API kp_status_t kp_registry_set_value(kp_system_t *sys, const char *path,
                                         const char *name, uint32_t type,
                                         const void *data, uint32_t size);

/** Sets a REG_SZ value from ASCII @p text (stored as UTF-16 with its
 *  terminating NUL, as drivers expect). */
KP_API kp_status_t kp_registry_set_string(kp_system_t *sys, const char *path,
                                          const char *name, const char *text);

/** Reads value @p name of @p path: copies up to @p size bytes to @p data,
 *  sets *@p type and *@p needed (both optional). STATUS_SUCCESS,
 *  STATUS_BUFFER_OVERFLOW (partial), STATUS_OBJECT_NAME_NOT_FOUND. */
KP_API kp_status_t kp_registry_get_value(kp_system_t *sys, const char *path,
                                         const char *name, uint32_t *type,
                                         void *data, uint32_t size,
                                         uint32_t *needed);

/** True when key @p path exists. */
KP_API bool kp_registry_key_exists(kp_system_t *sys, const char *path);

/** Number of registry handles open now. */
KP_API uint32_t kp_registry_open_handles(kp_system_t *sys);

/* ---------------------------------------------------------------------------
 * Driver side (the Zw* face): UTF-16 names with lengths in characters.
 * ------------------------------------------------------------------------- */

/** ZwOpenKey / ZwCreateKey. @p root is a key handle or NULL (then @p name
 *  must be absolute). @p create false: STATUS_OBJECT_NAME_NOT_FOUND when
 *  the key is missing, STATUS_OBJECT_PATH_NOT_FOUND when a key above it
 *  is. @p create true: creates the last component only (a missing parent
 *  is STATUS_OBJECT_PATH_NOT_FOUND) and sets *@p disposition (optional). */
KP_API kp_status_t kp_cm_open_key(kp_system_t *sys, void *root,
                                  const uint16_t *name, size_t len,
                                  uint32_t access, bool create,
                                  uint32_t *disposition, void **handle);

/** ZwQueryValueKey (classes KP_KEY_VALUE_*; others STATUS_INVALID_PARAMETER). */
KP_API kp_status_t kp_cm_query_value(kp_system_t *sys, void *handle,
                                     const uint16_t *name, size_t len,
                                     uint32_t info_class, void *buf,
                                     uint32_t buf_len, uint32_t *result_len);

/** ZwEnumerateValueKey: the @p index-th value (creation order);
 *  STATUS_NO_MORE_ENTRIES past the end. Same buffer rules. */
KP_API kp_status_t kp_cm_enum_value(kp_system_t *sys, void *handle,
                                    uint32_t index, uint32_t info_class,
                                    void *buf, uint32_t buf_len,
                                    uint32_t *result_len);

#define KP_KEY_BASIC 0u
#define KP_KEY_NODE 1u

/** ZwEnumerateKey: the @p index-th subkey (creation order), as
 *  KeyBasicInformation (fixed part 16 bytes) or KeyNodeInformation (24; no
 *  class: ClassOffset = ClassLength = 0); LastWriteTime is 0 (not kept).
 *  Other classes STATUS_INVALID_PARAMETER (not simulated);
 *  STATUS_NO_MORE_ENTRIES past the end; the buffer rules of
 *  ZwQueryValueKey. */
KP_API kp_status_t kp_cm_enum_key(kp_system_t *sys, void *handle, uint32_t index,
                                  uint32_t info_class, void *buf, uint32_t buf_len,
                                  uint32_t *result_len);

/** ZwSetValueKey: creates or replaces the value. */
KP_API kp_status_t kp_cm_set_value(kp_system_t *sys, void *handle,
                                   const uint16_t *name, size_t len,
                                   uint32_t type, const void *data,
                                   uint32_t size);

/** ZwDeleteValueKey: STATUS_OBJECT_NAME_NOT_FOUND when absent. */
KP_API kp_status_t kp_cm_delete_value(kp_system_t *sys, void *handle,
                                      const uint16_t *name, size_t len);

/** ZwDeleteKey: marks the key deleted (it must have no subkeys:
 *  STATUS_CANNOT_DELETE 0xC0000121 otherwise); later operations on its
 *  handles get STATUS_KEY_DELETED; the handle must still be closed. */
KP_API kp_status_t kp_cm_delete_key(kp_system_t *sys, void *handle);

/** True when @p handle is an open registry handle of @p sys. */
KP_API bool kp_cm_is_handle(kp_system_t *sys, void *handle);

/** ZwClose on a registry handle; see the file comment for a bad handle. */
KP_API kp_status_t kp_cm_close(kp_system_t *sys, void *handle);

/** RTL_QUERY_REGISTRY_TABLE's twin (56 bytes). */
typedef kp_status_t (*kp_query_routine_fn)(uint16_t *value_name,
                                           uint32_t value_type,
                                           void *value_data,
                                           uint32_t value_length,
                                           void *context, void *entry_context);
typedef struct kp_query_table {
  kp_query_routine_fn routine;
  uint32_t flags;
  uint32_t reserved0;
  uint16_t *name;
  void *entry_context;
  uint32_t default_type;
  uint32_t reserved1;
  void *default_data;
  uint32_t default_length;
  uint32_t reserved2;
} kp_query_table_t;

/**
 * RtlQueryRegistryValues (facts §5.4): RTL_REGISTRY_ABSOLUTE, _SERVICES,
 * _CONTROL, _WINDOWS_NT, _DEVICEMAP, | _HANDLE, | _OPTIONAL; table flags
 * SUBKEY, TOPKEY, REQUIRED, NOVALUE, NOEXPAND, DIRECT, DELETE, TYPECHECK.
 * DIRECT strings go into the UNICODE_STRING at EntryContext (its buffer
 * allocated from paged pool, tag 'RtlS', when NULL; freed with
 * ExFreePool/RtlFreeUnicodeString). REG_EXPAND_SZ is never expanded
 * (kernel drivers must pass NOEXPAND; kpool has no environment).
 * @bugcheck 0x139, P1 = 9: DIRECT without TYPECHECK on a key outside the
 * system hives (HARDWARE, SOFTWARE, SYSTEM, SECURITY, SAM).
 */
KP_API kp_status_t kp_cm_query_values(kp_system_t *sys, uint32_t relative_to,
                                      const uint16_t *path,
                                      kp_query_table_t *table, void *context,
                                      void *environment);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_CM_H */
