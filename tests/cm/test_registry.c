/*
 * test_registry.c — the simulated registry through the WDK names: keys,
 * values, ZwQueryValueKey's buffer-size rules, handles (0x93, leaks at
 * unload) and RtlQueryRegistryValues (facts §5, §7.2, §7.3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <wdm.h>

#include "kp_test_util.h"

#define U(s) ((PWCH)(uintptr_t)(u##s))
#define SERVICE "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Demo"

static int fill(void **state, int rc) {
  if (rc != 0) return rc;
  kp_system_set_current(*state);
  uint32_t level = 3;
  kp_registry_set_value(*state, SERVICE "\\Parameters", "Level", KP_REG_DWORD, &level, 4);
  kp_registry_set_string(*state, SERVICE "\\Parameters", "Name", "kpool");
  return 0;
}

static int setup(void **state) { return fill(state, kpt_setup(state)); }
static int setup_retail(void **state) { return fill(state, kpt_setup_retail(state)); }

static int teardown(void **state) {
  kp_system_set_current(NULL);
  return kpt_teardown(state);
}

static HANDLE open_params(void) {
  UNICODE_STRING path;
  OBJECT_ATTRIBUTES oa;
  RtlInitUnicodeString(&path, U("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"
                                "Demo\\Parameters"));
  InitializeObjectAttributes(&oa, &path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
  HANDLE h = NULL;
  assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_SUCCESS);
  return h;
}

static void test_object_attributes(void **state) {
  (void)state;
  OBJECT_ATTRIBUTES oa;
  UNICODE_STRING n;
  RtlInitUnicodeString(&n, U("\\Registry"));
  oa.SecurityQualityOfService = (PVOID)1;
  InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE, (HANDLE)2, (PVOID)3);
  assert_int_equal(oa.Length, 48);
  assert_ptr_equal(oa.ObjectName, &n);
  assert_int_equal(oa.Attributes, 0x200);
  assert_ptr_equal(oa.RootDirectory, (HANDLE)2);
  assert_ptr_equal(oa.SecurityDescriptor, (PVOID)3);
  assert_null(oa.SecurityQualityOfService);
}

static void test_open_create_and_dispositions(void **state) {
  (void)state;
  HANDLE params = open_params();
  UNICODE_STRING sub, missing, deep;
  OBJECT_ATTRIBUTES oa;
  RtlInitUnicodeString(&sub, U("Cache"));
  InitializeObjectAttributes(&oa, &sub, OBJ_KERNEL_HANDLE, params, NULL);
  HANDLE h = NULL;
  ULONG disp = 0;
  assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_NOT_FOUND);
  assert_null(h);
  assert_int_equal(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp), STATUS_SUCCESS);
  assert_int_equal(disp, REG_CREATED_NEW_KEY);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
  assert_int_equal(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp), STATUS_SUCCESS);
  assert_int_equal(disp, REG_OPENED_EXISTING_KEY);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
  assert_true(kp_registry_key_exists(kp_system_current(), SERVICE "\\Parameters\\CACHE"));
  // No intermediate keys: a missing parent is PATH_NOT_FOUND.
  RtlInitUnicodeString(&deep, U("A\\B"));
  InitializeObjectAttributes(&oa, &deep, OBJ_KERNEL_HANDLE, params, NULL);
  assert_int_equal(ZwCreateKey(&h, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp),
                   STATUS_OBJECT_PATH_NOT_FOUND);
  RtlInitUnicodeString(&missing, U("\\Registry\\Machine\\Nope\\X"));
  InitializeObjectAttributes(&oa, &missing, OBJ_KERNEL_HANDLE, NULL, NULL);
  assert_int_equal(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_PATH_NOT_FOUND);
  assert_int_equal(ZwClose(params), STATUS_SUCCESS);
}

static void test_query_value_buffer_rules(void **state) {
  (void)state;
  HANDLE h = open_params();
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, U("Name"));
  UCHAR buf[64];
  ULONG got = 0;
  // "kpool" + NUL = 12 bytes of data; Partial needs 12 + 12.
  memset(buf, 0xEE, sizeof buf);
  assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buf, 11, &got),
                   STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(got, 24);
  assert_int_equal(buf[0], 0xEE);  // nothing written
  assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buf, 16, &got),
                   STATUS_BUFFER_OVERFLOW);
  assert_int_equal(got, 24);
  PKEY_VALUE_PARTIAL_INFORMATION pi = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
  assert_int_equal(pi->Type, REG_SZ);
  assert_int_equal(pi->DataLength, 12);
  assert_memory_equal(pi->Data, u"kp", 4);
  assert_int_equal(buf[16], 0xEE);  // only what fits
  assert_int_equal(ZwQueryValueKey(h, &name, KeyValuePartialInformation, buf, 24, &got),
                   STATUS_SUCCESS);
  assert_memory_equal(pi->Data, u"kpool", 12);
  // Basic: the name; Full: name, then the data at DataOffset.
  assert_int_equal(ZwQueryValueKey(h, &name, KeyValueBasicInformation, buf, sizeof buf, &got),
                   STATUS_SUCCESS);
  PKEY_VALUE_BASIC_INFORMATION bi = (PKEY_VALUE_BASIC_INFORMATION)buf;
  assert_int_equal(got, 12 + 8);
  assert_int_equal(bi->NameLength, 8);
  assert_memory_equal(bi->Name, u"Name", 8);
  assert_int_equal(ZwQueryValueKey(h, &name, KeyValueFullInformation, buf, sizeof buf, &got),
                   STATUS_SUCCESS);
  PKEY_VALUE_FULL_INFORMATION fi = (PKEY_VALUE_FULL_INFORMATION)buf;
  assert_int_equal(fi->DataOffset, 28);
  assert_int_equal(fi->DataLength, 12);
  assert_int_equal(got, 40);
  assert_memory_equal(buf + fi->DataOffset, u"kpool", 12);
  assert_int_equal(ZwQueryValueKey(h, &name, KeyValueFullInformation, buf, 19, &got),
                   STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(ZwQueryValueKey(h, &name, (KEY_VALUE_INFORMATION_CLASS)9, buf, 64, &got),
                   STATUS_INVALID_PARAMETER);
  UNICODE_STRING none;
  RtlInitUnicodeString(&none, U("Missing"));
  assert_int_equal(ZwQueryValueKey(h, &none, KeyValuePartialInformation, buf, 64, &got),
                   STATUS_OBJECT_NAME_NOT_FOUND);
  // Enumeration in creation order.
  assert_int_equal(ZwEnumerateValueKey(h, 0, KeyValueBasicInformation, buf, 64, &got), 0);
  assert_memory_equal(bi->Name, u"Level", 10);
  assert_int_equal(ZwEnumerateValueKey(h, 2, KeyValueBasicInformation, buf, 64, &got),
                   STATUS_NO_MORE_ENTRIES);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void test_enumerate_keys(void **state) {
  kp_system_t *sys = *state;
  kp_registry_create_key(sys, SERVICE "\\Parameters\\First");
  kp_registry_create_key(sys, SERVICE "\\Parameters\\Second");
  HANDLE h = open_params();
  UCHAR buf[64];
  ULONG got = 0;
  assert_int_equal(ZwEnumerateKey(h, 0, KeyBasicInformation, buf, sizeof buf, &got), 0);
  PKEY_BASIC_INFORMATION bi = (PKEY_BASIC_INFORMATION)buf;
  assert_int_equal(got, 16 + 10);
  assert_int_equal(bi->NameLength, 10);
  assert_memory_equal(bi->Name, u"First", 10);
  assert_int_equal(ZwEnumerateKey(h, 1, KeyNodeInformation, buf, sizeof buf, &got), 0);
  PKEY_NODE_INFORMATION ni = (PKEY_NODE_INFORMATION)buf;
  assert_int_equal(ni->NameLength, 12);
  assert_memory_equal(ni->Name, u"Second", 12);
  assert_int_equal(ZwEnumerateKey(h, 1, KeyBasicInformation, buf, 18, &got), STATUS_BUFFER_OVERFLOW);
  assert_int_equal(got, 28);
  assert_int_equal(ZwEnumerateKey(h, 1, KeyBasicInformation, buf, 15, &got), STATUS_BUFFER_TOO_SMALL);
  assert_int_equal(ZwEnumerateKey(h, 2, KeyBasicInformation, buf, sizeof buf, &got),
                   STATUS_NO_MORE_ENTRIES);
  assert_int_equal(ZwEnumerateKey(h, 0, KeyFullInformation, buf, sizeof buf, &got),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void test_set_delete_and_deleted_keys(void **state) {
  kp_system_t *sys = *state;
  HANDLE h = open_params();
  UNICODE_STRING name;
  RtlInitUnicodeString(&name, U("Mode"));
  ULONG v = 7;
  assert_int_equal(ZwSetValueKey(h, &name, 0, REG_DWORD, &v, 4), STATUS_SUCCESS);
  uint32_t type = 0, out = 0, need = 0;
  assert_int_equal(kp_registry_get_value(sys, SERVICE "\\Parameters", "mode", &type, &out, 4,
                                         &need),
                   STATUS_SUCCESS);
  assert_int_equal(type, REG_DWORD);
  assert_int_equal(out, 7);
  assert_int_equal(ZwDeleteValueKey(h, &name), STATUS_SUCCESS);
  assert_int_equal(ZwDeleteValueKey(h, &name), STATUS_OBJECT_NAME_NOT_FOUND);
  // A key with subkeys cannot go; a leaf can, and its handles then fail.
  kp_registry_create_key(sys, SERVICE "\\Parameters\\Leaf");
  assert_int_equal(ZwDeleteKey(h), STATUS_CANNOT_DELETE);
  UNICODE_STRING leaf;
  OBJECT_ATTRIBUTES oa;
  RtlInitUnicodeString(&leaf, U("Leaf"));
  InitializeObjectAttributes(&oa, &leaf, OBJ_KERNEL_HANDLE, h, NULL);
  HANDLE lh = NULL;
  assert_int_equal(ZwOpenKey(&lh, KEY_ALL_ACCESS, &oa), STATUS_SUCCESS);
  assert_int_equal(ZwDeleteKey(lh), STATUS_SUCCESS);
  assert_int_equal(ZwSetValueKey(lh, &name, 0, REG_DWORD, &v, 4), STATUS_KEY_DELETED);
  assert_false(kp_registry_key_exists(sys, SERVICE "\\Parameters\\Leaf"));
  assert_int_equal(ZwClose(lh), STATUS_SUCCESS);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void test_close_twice_is_0x93(void **state) {
  kp_system_t *sys = *state;
  HANDLE h = open_params();
  assert_int_equal(kp_registry_open_handles(sys), 1);
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
  kpt_reset_caught();
  assert_int_equal(ZwClose(h), STATUS_INVALID_HANDLE);
  assert_int_equal(kpt_last.code, 0x93);
  assert_int_equal(kpt_last.p[0], (uintptr_t)h);
  assert_int_equal(kpt_last.p[1], 1);
}

static void test_close_twice_retail_returns_status(void **state) {
  (void)state;
  HANDLE h = open_params();
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
  kpt_reset_caught();
  assert_int_equal(ZwClose(h), STATUS_INVALID_HANDLE);
  assert_int_equal(kpt_last.count, 0);
}

static void test_handle_leaked_at_unload(void **state) {
  kp_system_t *sys = *state;
  HANDLE h = open_params();
  kpt_output_reset();
  assert_int_equal(kp_driver_unload(sys), KP_STATUS_SUCCESS);  // no pool leak
  assert_true(kp_io_unload_findings(sys) >= 1);
  assert_non_null(strstr(kpt_output, "registry handle"));
  assert_non_null(strstr(kpt_output, "Demo\\Parameters is still open"));
  assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

/* RtlQueryRegistryValues. */
static ULONG g_calls;
static NTSTATUS CountRoutine(PWSTR ValueName, ULONG ValueType, PVOID ValueData,
                             ULONG ValueLength, PVOID Context, PVOID EntryContext) {
  (void)ValueName;
  (void)ValueData;
  (void)Context;
  (void)EntryContext;
  g_calls++;
  if (ValueType == REG_SZ) assert_true(ValueLength >= 2);
  return STATUS_SUCCESS;
}

static void test_query_registry_values(void **state) {
  kp_system_t *sys = *state;
  ULONG level = 0, missing = 42, def = 99;
  UNICODE_STRING name = {0, 0, NULL};
  RTL_QUERY_REGISTRY_TABLE t[5];
  memset(t, 0, sizeof t);
  t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK | RTL_QUERY_REGISTRY_REQUIRED;
  t[0].Name = U("Level");
  t[0].EntryContext = &level;
  t[0].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
  t[1].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
  t[1].Name = U("Name");
  t[1].EntryContext = &name;
  t[1].DefaultType = (REG_SZ << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE;
  t[2].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
  t[2].Name = U("Absent");
  t[2].EntryContext = &missing;
  t[2].DefaultType = (REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_DWORD;
  t[2].DefaultData = &def;
  t[2].DefaultLength = 4;
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, U("Demo\\Parameters"), t, NULL,
                                          NULL),
                   STATUS_SUCCESS);
  assert_int_equal(level, 3);
  assert_int_equal(missing, 99);
  assert_int_equal(name.Length, 10);
  assert_memory_equal(name.Buffer, u"kpool", 10);
  ExFreePool(name.Buffer);
  // REQUIRED and missing; type mismatch; absolute path; optional key.
  t[0].Name = U("Absent");
  t[1].Name = NULL;
  t[1].Flags = 0;
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, U("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Demo\\Parameters"), t,
                                          NULL, NULL),
                   STATUS_OBJECT_NAME_NOT_FOUND);
  memset(t, 0, sizeof t);
  t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
  t[0].Name = U("Name");
  t[0].EntryContext = &level;
  t[0].DefaultType = REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, U("Demo\\Parameters"), t, NULL,
                                          NULL),
                   STATUS_OBJECT_TYPE_MISMATCH);
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, U("NoSuch"), t, NULL, NULL),
                   STATUS_OBJECT_NAME_NOT_FOUND);
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL,
                                          U("NoSuch"), t, NULL, NULL),
                   STATUS_SUCCESS);
  // A routine with no name sees every value.
  memset(t, 0, sizeof t);
  t[0].QueryRoutine = CountRoutine;
  g_calls = 0;
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, U("Demo\\Parameters"), t, NULL,
                                          NULL),
                   STATUS_SUCCESS);
  assert_int_equal(g_calls, 2);
  // REG_MULTI_SZ without NOEXPAND: once per string.
  static const WCHAR multi[] = {'a', 0, 'b', 'c', 0, 0};
  kp_registry_set_value(sys, SERVICE "\\Parameters", "Multi", KP_REG_MULTI_SZ, multi,
                        sizeof multi);
  t[0].Name = U("Multi");
  g_calls = 0;
  assert_int_equal(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, U("Demo\\Parameters"), t, NULL,
                                          NULL),
                   STATUS_SUCCESS);
  assert_int_equal(g_calls, 2);
  // DIRECT without TYPECHECK outside the system hives: 0x139 / 9.
  kp_registry_set_value(sys, "\\Registry\\User\\S-1\\App", "V", KP_REG_DWORD, &def, 4);
  memset(t, 0, sizeof t);
  t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
  t[0].Name = U("V");
  t[0].EntryContext = &level;
  kpt_reset_caught();
  (void)RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, U("\\Registry\\User\\S-1\\App"), t, NULL,
                               NULL);
  assert_int_equal(kpt_last.code, 0x139);
  assert_int_equal(kpt_last.p[0], 9);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_object_attributes),
      T(test_open_create_and_dispositions),
      T(test_query_value_buffer_rules),
      T(test_enumerate_keys),
      T(test_set_delete_and_deleted_keys),
      T(test_close_twice_is_0x93),
      cmocka_unit_test_setup_teardown(test_close_twice_retail_returns_status, setup_retail,
                                      teardown),
      T(test_handle_leaked_at_unload),
      T(test_query_registry_values),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
