/*
 * wdk_string.c — the Rtl counted-string routines (kp_wdk_string.h) as real
 * exported functions over kpool/rtl_string.h, with site-taking twins for
 * the call-site macros of the allocating routines and the frees.
 *
 * No logic lives here: UNICODE_STRING and STRING have the layouts of
 * kp_ustring_t and kp_astring_t (checked below), so each routine casts and
 * calls the core.
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/rtl_string.h"
#include "kpool/system.h"

_Static_assert(sizeof(UNICODE_STRING) == sizeof(kp_ustring_t) &&
                   offsetof(UNICODE_STRING, Length) ==
                       offsetof(kp_ustring_t, length) &&
                   offsetof(UNICODE_STRING, MaximumLength) ==
                       offsetof(kp_ustring_t, max_length) &&
                   offsetof(UNICODE_STRING, Buffer) ==
                       offsetof(kp_ustring_t, buffer),
               "UNICODE_STRING and kp_ustring_t share a layout");
_Static_assert(sizeof(STRING) == sizeof(kp_astring_t) &&
                   offsetof(STRING, Length) == offsetof(kp_astring_t, length) &&
                   offsetof(STRING, MaximumLength) ==
                       offsetof(kp_astring_t, max_length) &&
                   offsetof(STRING, Buffer) == offsetof(kp_astring_t, buffer),
               "STRING and kp_astring_t share a layout");
_Static_assert(sizeof(WCHAR) == sizeof(uint16_t), "WCHAR is 16 bits");
_Static_assert(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE ==
                       KP_STRING_DUPLICATE_NULL_TERMINATE &&
                   RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING ==
                       KP_STRING_DUPLICATE_ALLOCATE_NULL_STRING,
               "RtlDuplicateUnicodeString flags");

// The real functions carry the names of the call-site macros: each
// definition puts its name in parentheses so that no macro expands it.

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif
#define WDK_SITE_CALLER() kp_site(NULL, 0, WDK_CALLER())
#define WDK_SITE_AT(file, line) kp_site((file), (uint32_t)(line), WDK_CALLER())

// Casts between the WDK structs and the core's (same layout, see above).
#define US(p) ((kp_ustring_t *)(void *)(p))
#define CUS(p) ((const kp_ustring_t *)(const void *)(p))
#define AS(p) ((kp_astring_t *)(void *)(p))
#define CAS(p) ((const kp_astring_t *)(const void *)(p))
#define CW(p) ((const uint16_t *)(const void *)(p))

/* ---------------------------------------------------------------------------
 * Init, copy, append
 * ------------------------------------------------------------------------- */

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString,
                                PCWSTR SourceString) {
  kp_string_init_unicode(US(DestinationString), CW(SourceString));
}

NTSTATUS NTAPI RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString,
                                      PCWSTR SourceString) {
  return kp_string_init_unicode_ex(US(DestinationString), CW(SourceString));
}

VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString) {
  kp_string_init_ansi(AS(DestinationString), SourceString);
}

NTSTATUS NTAPI RtlInitStringEx(PSTRING DestinationString, PCSZ SourceString) {
  return kp_string_init_ansi_ex(AS(DestinationString), SourceString);
}

VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString,
                             PCSZ SourceString) {
  kp_string_init_ansi(AS(DestinationString), SourceString);
}

NTSTATUS NTAPI RtlInitAnsiStringEx(PANSI_STRING DestinationString,
                                   PCSZ SourceString) {
  return kp_string_init_ansi_ex(AS(DestinationString), SourceString);
}

VOID NTAPI RtlInitUTF8String(PUTF8_STRING DestinationString,
                             PCSZ SourceString) {
  kp_string_init_ansi(AS(DestinationString), SourceString);
}

NTSTATUS NTAPI RtlInitUTF8StringEx(PUTF8_STRING DestinationString,
                                   PCSZ SourceString) {
  return kp_string_init_ansi_ex(AS(DestinationString), SourceString);
}

VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
                                PCUNICODE_STRING SourceString) {
  kp_string_copy_unicode(US(DestinationString), CUS(SourceString));
}

VOID NTAPI RtlCopyString(PSTRING DestinationString,
                         const STRING *SourceString) {
  kp_string_copy_ansi(AS(DestinationString), CAS(SourceString));
}

NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination,
                                              PCUNICODE_STRING Source) {
  return kp_string_append_unicode(US(Destination), CUS(Source));
}

NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination,
                                        PCWSTR Source) {
  return kp_string_append_unicode_z(US(Destination), CW(Source));
}

NTSTATUS NTAPI RtlAppendStringToString(PSTRING Destination,
                                       const STRING *Source) {
  return kp_string_append_ansi(AS(Destination), CAS(Source));
}

/* ---------------------------------------------------------------------------
 * Compare, case
 * ------------------------------------------------------------------------- */

LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1,
                                   PCUNICODE_STRING String2,
                                   BOOLEAN CaseInSensitive) {
  return kp_string_compare_unicode(CUS(String1), CUS(String2),
                                   CaseInSensitive != FALSE);
}

LONG NTAPI RtlCompareString(const STRING *String1, const STRING *String2,
                            BOOLEAN CaseInSensitive) {
  return kp_string_compare_ansi(CAS(String1), CAS(String2),
                                CaseInSensitive != FALSE);
}

BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1,
                                    PCUNICODE_STRING String2,
                                    BOOLEAN CaseInSensitive) {
  return kp_string_equal_unicode(CUS(String1), CUS(String2),
                                 CaseInSensitive != FALSE)
             ? TRUE
             : FALSE;
}

BOOLEAN NTAPI RtlEqualString(const STRING *String1, const STRING *String2,
                             BOOLEAN CaseInSensitive) {
  return kp_string_equal_ansi(CAS(String1), CAS(String2),
                              CaseInSensitive != FALSE)
             ? TRUE
             : FALSE;
}

BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1,
                                     PCUNICODE_STRING String2,
                                     BOOLEAN CaseInSensitive) {
  return kp_string_prefix_unicode(CUS(String1), CUS(String2),
                                  CaseInSensitive != FALSE)
             ? TRUE
             : FALSE;
}

BOOLEAN NTAPI RtlPrefixString(const STRING *String1, const STRING *String2,
                              BOOLEAN CaseInSensitive) {
  return kp_string_prefix_ansi(CAS(String1), CAS(String2),
                               CaseInSensitive != FALSE)
             ? TRUE
             : FALSE;
}

WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter) {
  return (WCHAR)kp_string_upcase_char((uint16_t)SourceCharacter);
}

WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter) {
  return (WCHAR)kp_string_downcase_char((uint16_t)SourceCharacter);
}

CHAR NTAPI RtlUpperChar(CHAR Character) {
  return kp_string_upper_char(Character);
}

VOID NTAPI RtlUpperString(PSTRING DestinationString,
                          const STRING *SourceString) {
  kp_string_upper_ansi(AS(DestinationString), CAS(SourceString));
}

/* ---------------------------------------------------------------------------
 * Numbers, sizes, UTF-8 buffers
 * ------------------------------------------------------------------------- */

NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base,
                                         PUNICODE_STRING String) {
  return kp_string_uint_to_unicode(Value, Base, US(String));
}

NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base,
                                       PUNICODE_STRING String) {
  return kp_string_uint_to_unicode(Value, Base, US(String));
}

NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base,
                                         PULONG Value) {
  return kp_string_unicode_to_uint(CUS(String), Base, Value);
}

NTSTATUS NTAPI RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value) {
  return kp_string_char_to_uint(String, Base, Value);
}

NTSTATUS NTAPI RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength,
                                PSZ String) {
  return kp_string_uint_to_char(Value, Base, OutputLength, String);
}

ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString) {
  return kp_string_unicode_to_ansi_size(CUS(UnicodeString));
}

ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString) {
  return kp_string_ansi_to_unicode_size(CAS(AnsiString));
}

NTSTATUS NTAPI RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination,
                                 ULONG UnicodeStringMaxByteCount,
                                 PULONG UnicodeStringActualByteCount,
                                 PCCH UTF8StringSource,
                                 ULONG UTF8StringByteCount) {
  return kp_string_utf8_to_utf16n(
      (uint16_t *)(void *)UnicodeStringDestination, UnicodeStringMaxByteCount,
      UnicodeStringActualByteCount, UTF8StringSource, UTF8StringByteCount);
}

NTSTATUS NTAPI RtlUnicodeToUTF8N(PCHAR UTF8StringDestination,
                                 ULONG UTF8StringMaxByteCount,
                                 PULONG UTF8StringActualByteCount,
                                 PCWCH UnicodeStringSource,
                                 ULONG UnicodeStringByteCount) {
  return kp_string_utf16_to_utf8n(
      UTF8StringDestination, UTF8StringMaxByteCount, UTF8StringActualByteCount,
      CW(UnicodeStringSource), UnicodeStringByteCount);
}

/* ---------------------------------------------------------------------------
 * Allocating routines and frees: the exported function and its twin.
 * ------------------------------------------------------------------------- */

NTSTATUS
NTAPI(RtlAnsiStringToUnicodeString)(PUNICODE_STRING DestinationString,
                                    PCANSI_STRING SourceString,
                                    BOOLEAN AllocateDestinationString) {
  return kp_string_ansi_to_unicode(
      kp_system_current(), US(DestinationString), CAS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlAnsiStringToUnicodeString_at(
    PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line) {
  return kp_string_ansi_to_unicode(
      kp_system_current(), US(DestinationString), CAS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_AT(File, Line));
}

NTSTATUS
NTAPI(RtlUnicodeStringToAnsiString)(PANSI_STRING DestinationString,
                                    PCUNICODE_STRING SourceString,
                                    BOOLEAN AllocateDestinationString) {
  return kp_string_unicode_to_ansi(
      kp_system_current(), AS(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlUnicodeStringToAnsiString_at(
    PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line) {
  return kp_string_unicode_to_ansi(
      kp_system_current(), AS(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_AT(File, Line));
}

NTSTATUS
NTAPI(RtlUTF8StringToUnicodeString)(PUNICODE_STRING DestinationString,
                                    PCUTF8_STRING SourceString,
                                    BOOLEAN AllocateDestinationString) {
  return kp_string_utf8_to_unicode(
      kp_system_current(), US(DestinationString), CAS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlUTF8StringToUnicodeString_at(
    PUNICODE_STRING DestinationString, PCUTF8_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line) {
  return kp_string_utf8_to_unicode(
      kp_system_current(), US(DestinationString), CAS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_AT(File, Line));
}

NTSTATUS
NTAPI(RtlUnicodeStringToUTF8String)(PUTF8_STRING DestinationString,
                                    PCUNICODE_STRING SourceString,
                                    BOOLEAN AllocateDestinationString) {
  return kp_string_unicode_to_utf8(
      kp_system_current(), AS(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlUnicodeStringToUTF8String_at(
    PUTF8_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line) {
  return kp_string_unicode_to_utf8(
      kp_system_current(), AS(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_AT(File, Line));
}

NTSTATUS NTAPI(RtlUpcaseUnicodeString)(PUNICODE_STRING DestinationString,
                                       PCUNICODE_STRING SourceString,
                                       BOOLEAN AllocateDestinationString) {
  return kp_string_upcase_unicode(
      kp_system_current(), US(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlUpcaseUnicodeString_at(PUNICODE_STRING DestinationString,
                                          PCUNICODE_STRING SourceString,
                                          BOOLEAN AllocateDestinationString,
                                          const char *File, ULONG Line) {
  return kp_string_upcase_unicode(
      kp_system_current(), US(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_AT(File, Line));
}

NTSTATUS NTAPI(RtlDowncaseUnicodeString)(PUNICODE_STRING DestinationString,
                                         PCUNICODE_STRING SourceString,
                                         BOOLEAN AllocateDestinationString) {
  return kp_string_downcase_unicode(
      kp_system_current(), US(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlDowncaseUnicodeString_at(PUNICODE_STRING DestinationString,
                                            PCUNICODE_STRING SourceString,
                                            BOOLEAN AllocateDestinationString,
                                            const char *File, ULONG Line) {
  return kp_string_downcase_unicode(
      kp_system_current(), US(DestinationString), CUS(SourceString),
      AllocateDestinationString != FALSE, WDK_SITE_AT(File, Line));
}

NTSTATUS NTAPI(RtlDuplicateUnicodeString)(ULONG Flags,
                                          PCUNICODE_STRING StringIn,
                                          PUNICODE_STRING StringOut) {
  return kp_string_duplicate_unicode(kp_system_current(), Flags, CUS(StringIn),
                                     US(StringOut), WDK_SITE_CALLER());
}

NTSTATUS kp_wdk_RtlDuplicateUnicodeString_at(ULONG Flags,
                                             PCUNICODE_STRING StringIn,
                                             PUNICODE_STRING StringOut,
                                             const char *File, ULONG Line) {
  return kp_string_duplicate_unicode(kp_system_current(), Flags, CUS(StringIn),
                                     US(StringOut), WDK_SITE_AT(File, Line));
}

BOOLEAN NTAPI(RtlCreateUnicodeString)(PUNICODE_STRING DestinationString,
                                      PCWSTR SourceString) {
  return kp_string_create_unicode(kp_system_current(), US(DestinationString),
                                  CW(SourceString), WDK_SITE_CALLER())
             ? TRUE
             : FALSE;
}

BOOLEAN kp_wdk_RtlCreateUnicodeString_at(PUNICODE_STRING DestinationString,
                                         PCWSTR SourceString, const char *File,
                                         ULONG Line) {
  return kp_string_create_unicode(kp_system_current(), US(DestinationString),
                                  CW(SourceString), WDK_SITE_AT(File, Line))
             ? TRUE
             : FALSE;
}

VOID NTAPI(RtlFreeUnicodeString)(PUNICODE_STRING UnicodeString) {
  kp_string_free_unicode(kp_system_current(), US(UnicodeString),
                         WDK_SITE_CALLER());
}

VOID kp_wdk_RtlFreeUnicodeString_at(PUNICODE_STRING UnicodeString,
                                    const char *File, ULONG Line) {
  kp_string_free_unicode(kp_system_current(), US(UnicodeString),
                         WDK_SITE_AT(File, Line));
}

VOID NTAPI(RtlFreeAnsiString)(PANSI_STRING AnsiString) {
  kp_string_free_ansi(kp_system_current(), AS(AnsiString), WDK_SITE_CALLER());
}

VOID kp_wdk_RtlFreeAnsiString_at(PANSI_STRING AnsiString, const char *File,
                                 ULONG Line) {
  kp_string_free_ansi(kp_system_current(), AS(AnsiString),
                      WDK_SITE_AT(File, Line));
}

VOID NTAPI(RtlFreeUTF8String)(PUTF8_STRING Utf8String) {
  kp_string_free_ansi(kp_system_current(), AS(Utf8String), WDK_SITE_CALLER());
}

VOID kp_wdk_RtlFreeUTF8String_at(PUTF8_STRING Utf8String, const char *File,
                                 ULONG Line) {
  kp_string_free_ansi(kp_system_current(), AS(Utf8String),
                      WDK_SITE_AT(File, Line));
}
