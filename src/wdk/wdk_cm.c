/*
 * wdk_cm.c — the WDK face of the registry: Zw* key routines, ZwClose and
 * RtlQueryRegistryValues mapped onto kpool/cm.h. No logic beyond argument
 * conversion.
 */
#include <stddef.h>

#include "kpool/wdk/ntifs.h"

#include "kpool/cm.h"
#include "kpool/ob.h"
#include "kpool/system.h"

_Static_assert(sizeof(OBJECT_ATTRIBUTES) == 48, "OBJECT_ATTRIBUTES");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, ObjectName) == 16, "ObjectName");
_Static_assert(offsetof(OBJECT_ATTRIBUTES, Attributes) == 24, "Attributes");
_Static_assert(sizeof(RTL_QUERY_REGISTRY_TABLE) == 56 && sizeof(kp_query_table_t) == 56, "table");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, Name) == offsetof(kp_query_table_t, name), "Name");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, EntryContext) ==
                   offsetof(kp_query_table_t, entry_context), "EntryContext");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultType) ==
                   offsetof(kp_query_table_t, default_type), "DefaultType");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultData) ==
                   offsetof(kp_query_table_t, default_data), "DefaultData");
_Static_assert(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultLength) ==
                   offsetof(kp_query_table_t, default_length), "DefaultLength");
_Static_assert(offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data) == 12, "Partial.Data");
_Static_assert(offsetof(KEY_VALUE_FULL_INFORMATION, Name) == 20, "Full.Name");

static kp_system_t *cur(void) { return kp_system_current(); }

static kp_status_t open_key(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                            POBJECT_ATTRIBUTES oa, bool create, PULONG Disposition) {
  if (KeyHandle == NULL || oa == NULL || oa->ObjectName == NULL) return STATUS_INVALID_PARAMETER;
  uint32_t disp = 0;
  void *h = NULL;
  kp_status_t st = kp_cm_open_key(cur(), oa->RootDirectory, oa->ObjectName->Buffer,
                                  oa->ObjectName->Length / 2u, DesiredAccess, create, &disp, &h);
  *KeyHandle = h;
  if (KP_SUCCESS(st) && Disposition != NULL) *Disposition = disp;
  return st;
}

NTSTATUS NTAPI ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                         POBJECT_ATTRIBUTES ObjectAttributes) {
  return open_key(KeyHandle, DesiredAccess, ObjectAttributes, false, NULL);
}

NTSTATUS NTAPI ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                           POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex,
                           PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition) {
  (void)TitleIndex;
  (void)Class;
  (void)CreateOptions;  // volatile and non-volatile keys behave alike in memory
  return open_key(KeyHandle, DesiredAccess, ObjectAttributes, true, Disposition);
}

NTSTATUS NTAPI ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                               KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                               PVOID KeyValueInformation, ULONG Length, PULONG ResultLength) {
  return kp_cm_query_value(cur(), KeyHandle, ValueName != NULL ? ValueName->Buffer : NULL,
                           ValueName != NULL ? ValueName->Length / 2u : 0,
                           (uint32_t)KeyValueInformationClass, KeyValueInformation, Length,
                           ResultLength);
}

NTSTATUS NTAPI ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                                   KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                   PVOID KeyValueInformation, ULONG Length,
                                   PULONG ResultLength) {
  return kp_cm_enum_value(cur(), KeyHandle, Index, (uint32_t)KeyValueInformationClass,
                          KeyValueInformation, Length, ResultLength);
}

_Static_assert(offsetof(KEY_BASIC_INFORMATION, Name) == 16, "KEY_BASIC_INFORMATION");
_Static_assert(offsetof(KEY_NODE_INFORMATION, Name) == 24, "KEY_NODE_INFORMATION");

NTSTATUS NTAPI ZwEnumerateKey(HANDLE KeyHandle, ULONG Index,
                              KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation,
                              ULONG Length, PULONG ResultLength) {
  return kp_cm_enum_key(cur(), KeyHandle, Index, (uint32_t)KeyInformationClass, KeyInformation,
                        Length, ResultLength);
}

NTSTATUS NTAPI ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex,
                             ULONG Type, PVOID Data, ULONG DataSize) {
  (void)TitleIndex;
  return kp_cm_set_value(cur(), KeyHandle, ValueName != NULL ? ValueName->Buffer : NULL,
                         ValueName != NULL ? ValueName->Length / 2u : 0, Type, Data, DataSize);
}

NTSTATUS NTAPI ZwDeleteKey(HANDLE KeyHandle) { return kp_cm_delete_key(cur(), KeyHandle); }

NTSTATUS NTAPI ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName) {
  return kp_cm_delete_value(cur(), KeyHandle, ValueName != NULL ? ValueName->Buffer : NULL,
                            ValueName != NULL ? ValueName->Length / 2u : 0);
}

NTSTATUS NTAPI ZwClose(HANDLE Handle) { return kp_ob_close(cur(), Handle); }

NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path,
                                      PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context,
                                      PVOID Environment) {
  return kp_cm_query_values(cur(), RelativeTo, Path, (kp_query_table_t *)QueryTable, Context,
                            Environment);
}
