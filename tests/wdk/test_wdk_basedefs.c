/*
 * test_wdk_basedefs.c — the WDK's basic definitions in C: calling
 * conventions, declaration and structure macros, min/max,
 * DEFINE_ENUM_FLAG_OPERATORS (nothing in C), SAL annotations, the C
 * run-time names visible after <ntddk.h> alone, WCHAR and wide literals.
 *
 * Built twice: test_wdk_basedefs (the host's 4-byte wchar_t: WCHAR is
 * uint16_t, literals u"...") and test_wdk_basedefs_short (-fshort-wchar:
 * WCHAR is wchar_t and L"..." literals work, as in a WDK build).
 *
 * No <string.h> here: the CRT functions must come from <ntddk.h>.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ntddk.h>

#if KPOOL_SHORT_WCHAR
#define W(s) L##s
#else
#define W(s) u##s
#endif

/* ---------------------------------------------------------------------------
 * Calling conventions and SAL: these declarations must compile as written
 * in driver sources.
 * ------------------------------------------------------------------------- */

static int __cdecl cdecl_fn(int a) { return a + 1; }
static int __stdcall stdcall_fn(int a) { return a + 2; }
static int __fastcall fastcall_fn(int a) { return a + 3; }
static LONG NTAPI ntapi_fn(_In_ LONG a) { return a + 4; }
static LONG FASTCALL fastcall2_fn(_In_ LONG a) { return a + 5; }
static int CDECL cdecl2_fn(int a) { return a + 6; }

_IRQL_requires_max_(DISPATCH_LEVEL)
_Must_inspect_result_
_Success_(return != 0)
_When_(Flags != 0, _Out_writes_to_(Size, *Written))
static BOOLEAN annotated(_In_ ULONG Flags,
                         _Out_writes_bytes_to_(Size, *Written) PUCHAR Out,
                         _In_ ULONG Size, _Out_ _Deref_out_range_(0, Size)
                         PULONG Written,
                         _In_reads_or_z_(Size) PCSTR In,
                         _Inout_updates_opt_(1) PULONG Extra,
                         _Outptr_result_maybenull_ PVOID *Ptr,
                         _In_ _Printf_format_string_ PCSTR Fmt) {
  UNREFERENCED_PARAMETER(Flags);
  UNREFERENCED_PARAMETER(In);
  UNREFERENCED_PARAMETER(Extra);
  UNREFERENCED_PARAMETER(Fmt);
  *Written = Size > 0 ? 1 : 0;
  if (Size > 0) Out[0] = 1;
  *Ptr = NULL;
  return TRUE;
}

/* Old-style and __drv annotations, as pre-2010 drivers write them (C). */
static VOID __drv_maxIRQL(APC_LEVEL) __drv_sameIRQL
old_style(__in ULONG a, __out PULONG b, __inout_opt PULONG c,
          __in_bcount(a) PVOID d, __out_ecount_opt(1) PULONG e) {
  UNREFERENCED_PARAMETER(c);
  UNREFERENCED_PARAMETER(d);
  UNREFERENCED_PARAMETER(e);
  *b = a;
}

typedef struct _ANNOTATED_STRUCT {
  _Field_range_(0, 8) ULONG Count;
  _Field_size_(Count) PULONG Items;
  _Field_size_bytes_part_(16, Count) PUCHAR Bytes;
  _Guarded_by_(Lock) ULONG Guarded;
  KSPIN_LOCK Lock;
} ANNOTATED_STRUCT;

_Dispatch_type_(IRP_MJ_CREATE) _Function_class_(DRIVER_DISPATCH)
static NTSTATUS dispatch_like(_In_ PVOID Device, _Inout_ PVOID Irp) {
  UNREFERENCED_PARAMETER(Device);
  UNREFERENCED_PARAMETER(Irp);
  return STATUS_SUCCESS;
}

_Requires_lock_held_(*Lock) _Releases_lock_(*Lock)
static VOID lock_annotated(_Inout_ PKSPIN_LOCK Lock) { UNREFERENCED_PARAMETER(Lock); }

static void test_calling_conventions_and_sal(void **state) {
  (void)state;
  assert_int_equal(cdecl_fn(1), 2);
  assert_int_equal(stdcall_fn(1), 3);
  assert_int_equal(fastcall_fn(1), 4);
  assert_int_equal(ntapi_fn(1), 5);
  assert_int_equal(fastcall2_fn(1), 6);
  assert_int_equal(cdecl2_fn(1), 7);
  UCHAR out[4] = {0};
  ULONG written = 9, extra = 0;
  PVOID p = &extra;
  assert_true(annotated(0, out, sizeof out, &written, "x", &extra, &p, "%d"));
  assert_int_equal(written, 1);
  assert_null(p);
  ULONG b = 0;
  old_style(7, &b, NULL, out, NULL);
  assert_int_equal(b, 7);
  assert_int_equal(dispatch_like(NULL, NULL), STATUS_SUCCESS);
  KSPIN_LOCK l = 0;
  lock_annotated(&l);
  /* A function pointer through the convention macros. */
  LONG(NTAPI * fp)(LONG) = ntapi_fn;
  assert_int_equal(fp(0), 4);
}

/* ---------------------------------------------------------------------------
 * Structure, alignment and page macros
 * ------------------------------------------------------------------------- */

typedef struct _REC {
  ULONG A;
  UCHAR B[6];
  LIST_ENTRY Link;
  ULONGLONG C;
} REC;

C_ASSERT(sizeof(ULONG) == 4);
C_ASSERT(FIELD_OFFSET(REC, Link) == 16);

static void test_structure_macros(void **state) {
  (void)state;
  assert_int_equal(FIELD_OFFSET(REC, A), 0);
  assert_int_equal(FIELD_OFFSET(REC, B), 4);
  assert_int_equal(FIELD_OFFSET(REC, C), 32);
  assert_int_equal(RTL_FIELD_SIZE(REC, B), 6);
  assert_int_equal(RTL_SIZEOF_THROUGH_FIELD(REC, B), 10);
  assert_int_equal(RTL_SIZEOF_THROUGH_FIELD(REC, C), 40);
  REC r;
  assert_ptr_equal(CONTAINING_RECORD(&r.Link, REC, Link), &r);
  assert_ptr_equal(CONTAINING_RECORD(&r.C, REC, C), &r);
  ULONG arr[7];
  assert_int_equal(RTL_NUMBER_OF(arr), 7);
  assert_int_equal(ARRAYSIZE(arr), 7);
  assert_true(ARGUMENT_PRESENT(&r));
  assert_false(ARGUMENT_PRESENT((PVOID)NULL));
  UNREFERENCED_PARAMETER(arr);
}

static void test_alignment_and_pages(void **state) {
  (void)state;
  assert_int_equal(ALIGN_DOWN_BY(17, 16), 16);
  assert_int_equal(ALIGN_UP_BY(17, 16), 32);
  assert_int_equal(ALIGN_UP_BY(32, 16), 32);
  assert_int_equal(ALIGN_UP_BY(0, 8), 0);
  assert_int_equal(ALIGN_DOWN(13, ULONG), 12);
  assert_int_equal(ALIGN_UP(13, ULONG), 16);
  assert_int_equal(ALIGN_UP(9, ULONGLONG), 16);
  assert_ptr_equal(ALIGN_DOWN_POINTER_BY((PVOID)0x1237, 16), (PVOID)0x1230);
  assert_ptr_equal(ALIGN_UP_POINTER_BY((PVOID)0x1231, 16), (PVOID)0x1240);
  assert_ptr_equal(ALIGN_DOWN_POINTER((PVOID)0x1237, ULONG), (PVOID)0x1234);
  assert_ptr_equal(ALIGN_UP_POINTER((PVOID)0x1231, ULONGLONG), (PVOID)0x1238);
  assert_ptr_equal(ALIGN_UP_POINTER((PVOID)0x1238, ULONGLONG), (PVOID)0x1238);
  assert_int_equal(ROUND_TO_PAGES(1), PAGE_SIZE);
  assert_int_equal(ROUND_TO_PAGES(PAGE_SIZE), PAGE_SIZE);
  assert_int_equal(ROUND_TO_PAGES(PAGE_SIZE + 1), 2 * PAGE_SIZE);
  assert_int_equal(BYTES_TO_PAGES(0), 0);
  assert_int_equal(BYTES_TO_PAGES(1), 1);
  assert_int_equal(BYTES_TO_PAGES(2 * PAGE_SIZE), 2);
  assert_int_equal(BYTES_TO_PAGES(2 * PAGE_SIZE + 1), 3);
  assert_ptr_equal(PAGE_ALIGN((PVOID)0x12345), (PVOID)0x12000);
  assert_int_equal(BYTE_OFFSET((PVOID)0x12345), 0x345);
}

/* ---------------------------------------------------------------------------
 * min / max and DEFINE_ENUM_FLAG_OPERATORS in C
 * ------------------------------------------------------------------------- */

typedef enum _MY_FLAGS { MyNone = 0, MyA = 1, MyB = 2 } MY_FLAGS;
DEFINE_ENUM_FLAG_OPERATORS(MY_FLAGS) /* nothing in C */

static int g_evaluations;
static int counted(int v) {
  g_evaluations++;
  return v;
}

static void test_min_max_and_enum_flags(void **state) {
  (void)state;
#ifndef min
  fail_msg("min is a macro after <ntddk.h> unless NOMINMAX");
#endif
  assert_int_equal(min(3, 5), 3);
  assert_int_equal(max(3, 5), 5);
  assert_int_equal(min(-1, 1), -1);
  assert_true(max(2.5, 1.0) == 2.5);
  // A macro, as in the WDK: the chosen argument is evaluated twice.
  g_evaluations = 0;
  assert_int_equal(max(counted(1), counted(2)), 2);
  assert_int_equal(g_evaluations, 3);
  MY_FLAGS f = MyA | MyB; // C enums combine as integers already
  assert_int_equal(f, 3);
}

/* ---------------------------------------------------------------------------
 * The C run-time after <ntddk.h>
 * ------------------------------------------------------------------------- */

static void test_crt_names_visible(void **state) {
  (void)state;
  char a[16];
  memset(a, 0, sizeof a);
  memcpy(a, "abc", 4);
  assert_int_equal(strlen(a), 3);
  assert_int_equal(strcmp(a, "abc"), 0);
  assert_true(memcmp(a, "abd", 3) < 0);
  memmove(a + 1, a, 4);
  assert_int_equal(strcmp(a, "aabc"), 0);
  strncpy(a, "xy", sizeof a);
  assert_int_equal(strcmp(a, "xy"), 0);
  assert_int_equal(strncmp("abcd", "abef", 2), 0);
  assert_non_null(strchr(a, 'y'));
  assert_non_null(strstr("hello", "ll"));
  assert_int_equal(_stricmp("HeLLo", "hello"), 0);
  assert_true(_stricmp("a", "B") < 0);
  assert_true(_stricmp("b", "A") > 0);
  assert_int_equal(_strnicmp("ABCx", "abcy", 3), 0);
  assert_true(_strnicmp("ABCx", "abcy", 4) < 0);
  // Non-ASCII bytes do not fold (the "C" locale).
  assert_true(_stricmp("\xC9", "\xE9") != 0);
}

static void test_wide_crt_on_wchar(void **state) {
  (void)state;
  const WCHAR *hello = W("Hello");
  assert_int_equal(wcslen(hello), 5);
  assert_int_equal(wcsnlen(hello, 3), 3);
  assert_int_equal(wcsnlen(hello, 9), 5);
  WCHAR buf[16];
  wcscpy(buf, hello);
  assert_int_equal(wcscmp(buf, hello), 0);
  wcscat(buf, W(" W"));
  assert_int_equal(wcslen(buf), 7);
  assert_int_equal(wcscmp(buf, W("Hello W")), 0);
  wcsncat(buf, W("orld!!"), 4);
  assert_int_equal(wcscmp(buf, W("Hello World")), 0);
  assert_true(wcscmp(W("a"), W("b")) < 0);
  assert_true(wcsncmp(W("abX"), W("abY"), 2) == 0);
  assert_ptr_equal(wcschr(buf, W('o')), buf + 4);
  assert_ptr_equal(wcsrchr(buf, W('o')), buf + 7);
  assert_ptr_equal(wcschr(buf, 0), buf + 11);
  assert_null(wcschr(buf, W('z')));
  assert_ptr_equal(wcsstr(buf, W("World")), buf + 6);
  assert_ptr_equal(wcsstr(buf, W("")), buf);
  assert_null(wcsstr(buf, W("xyz")));
  WCHAR pad[6];
  for (int i = 0; i < 6; i++) pad[i] = 0x7777;
  wcsncpy(pad, W("ab"), 5);
  assert_int_equal(pad[1], W('b'));
  assert_int_equal(pad[4], 0); // padded with NULs
  assert_int_equal(pad[5], 0x7777);
  assert_int_equal(_wcsicmp(W("DEVICE"), W("device")), 0);
  assert_true(_wcsicmp(W("a"), W("B")) < 0);
  assert_int_equal(_wcsnicmp(W("\\Device\\X"), W("\\DEVICE\\y"), 8), 0);
  // 16-bit units: U+00E9 does not fold, U+FFFF compares above ASCII.
  static const WCHAR hi[] = {0xFFFF, 0};
  assert_true(wcscmp(hi, W("a")) > 0);
  // The address of a wide function is kpool's.
  size_t (*len)(const WCHAR *) = wcslen;
  assert_int_equal(len(hello), 5);
}

/* ---------------------------------------------------------------------------
 * WCHAR and wide literals
 * ------------------------------------------------------------------------- */

static void test_wchar_and_literals(void **state) {
  (void)state;
  assert_int_equal(sizeof(WCHAR), 2);
  assert_true((WCHAR)-1 == 0xFFFF); // unsigned, as on Windows
  WCHAR buf[] = W("x\u00e9");
  assert_int_equal(sizeof buf, 6);
  assert_int_equal(buf[1], 0x00E9);
  UNICODE_STRING s;
  RtlInitUnicodeString(&s, W("abc"));
  assert_int_equal(s.Length, 6);
  UNICODE_STRING k = RTL_CONSTANT_STRING(W("Key"));
  assert_int_equal(k.Length, 6);
  assert_int_equal(k.MaximumLength, 8);
  DECLARE_CONST_UNICODE_STRING(dev, W("\\Device\\Kp"));
  assert_int_equal(dev.Length, 10 * 2);
#if KPOOL_SHORT_WCHAR
  // -fshort-wchar: WCHAR is wchar_t, L"..." is a PCWSTR.
  assert_int_equal(sizeof(wchar_t), 2);
  const wchar_t *w = L"same type";
  PCWSTR p = w;
  assert_ptr_equal(p, w);
#else
  // The host's 4-byte wchar_t: WCHAR is 16-bit, u"..." is the literal.
  assert_int_equal(sizeof(wchar_t), 4);
  PCWSTR p = u"u16";
  assert_int_equal(p[2], u'6');
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_calling_conventions_and_sal),
      cmocka_unit_test(test_structure_macros),
      cmocka_unit_test(test_alignment_and_pages),
      cmocka_unit_test(test_min_max_and_enum_flags),
      cmocka_unit_test(test_crt_names_visible),
      cmocka_unit_test(test_wide_crt_on_wchar),
      cmocka_unit_test(test_wchar_and_literals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
