/**
 * @file kpool/wdk/kp_wdk_string.h
 * @brief The run-time library's counted strings: UNICODE_STRING,
 *        ANSI_STRING, UTF8_STRING and the Rtl*String* routines, mapped
 *        onto kpool/rtl_string.h. Included by wdm.h.
 *
 * Every routine is the core function of the same behaviour (see
 * kpool/rtl_string.h for the rules: limits, code page 1252, the case
 * ranges, the statuses Windows does not document). What matters here:
 *
 * - The allocating routines (AllocateDestinationString TRUE,
 *   RtlDuplicateUnicodeString, RtlCreateUnicodeString) take paged pool
 *   with the tag 'grtS' ("Strg"); the report of a leak at unload names the
 *   routine and the caller's file:line. Free with RtlFreeUnicodeString,
 *   RtlFreeAnsiString or RtlFreeUTF8String; ExFreePoolWithTag with another
 *   tag is 0xC2/0x0A like any tag mismatch, a second free through a copy of
 *   the struct is the pool's double-free bug check.
 * - Call sites: as for the pool routines, those names (and the three
 *   frees) are also function-like macros passing __FILE__ and __LINE__ to a
 *   kp_wdk_<Name>_at twin; `&RtlFreeUnicodeString` or
 *   `(RtlFreeUnicodeString)(&s)` reach the exported function, which
 *   records its return address instead. KPOOL_NO_CALL_SITES turns the
 *   macros off.
 * - The WDK declares RtlPrefixUnicodeString, RtlUpcaseUnicodeString and
 *   RtlCharToInteger in ntddk.h and RtlCreateUnicodeString,
 *   RtlDuplicateUnicodeString and RtlInitUnicodeStringEx in ntifs.h;
 *   kpool declares all of them with wdm.h (a superset, harmless).
 * - A NULL where Windows dereferences raises STATUS_ACCESS_VIOLATION (bug
 *   check 0x1E when no KP_TRY catches it).
 * - IRQL: the routines do not check the IRQL themselves (Windows'
 *   limits: PASSIVE_LEVEL for compares and conversions, <= DISPATCH_LEVEL
 *   for Init); allocations and frees from paged pool raise the pool's
 *   IRQL bug check above APC_LEVEL.
 *
 * All routines are thread-safe for distinct strings.
 */
/* Included directly: wdm.h first (it includes this header at its end). */
#ifndef KPOOL_WDK_KP_WDK_STRING_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_STRING_H
#define KPOOL_WDK_KP_WDK_STRING_H

/* ===========================================================================
 * Types and limits (facts §8.1)
 * ========================================================================= */

/** OEM and UTF-8 strings share STRING's layout. */
typedef STRING OEM_STRING, *POEM_STRING, UTF8_STRING, *PUTF8_STRING;
typedef const STRING *PCOEM_STRING, *PCUTF8_STRING;

#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
/** Largest Length + terminator of a UNICODE_STRING (ntdef.h). */
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define UNICODE_STRING_MAX_CHARS (32767)
/** Largest MaximumLength RtlInitUnicodeString produces (0xFFFE). */
#ifndef MAX_USTRING
#define MAX_USTRING 0xFFFE
#endif

/** RtlDuplicateUnicodeString: allocate Length + 2 and NUL-terminate. */
#define RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE 0x00000001
/** RtlDuplicateUnicodeString: an empty input still gets a buffer (with
 *  NULL_TERMINATE only). */
#define RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING 0x00000002

/* ===========================================================================
 * Initialisers
 * ========================================================================= */

#ifdef __cplusplus
extern "C++" {
/* String literals are const in C++ and the Buffer fields are not. */
inline PCHAR kp_wdk_constant_buffer_(const char *s) {
  return const_cast<PCHAR>(s);
}
inline PWCH kp_wdk_constant_buffer_(const WCHAR *s) {
  return const_cast<PWCH>(s);
}
}
/**
 * RTL_CONSTANT_STRING(s): an initialiser for a STRING ("...") or a
 * UNICODE_STRING (L"..." under -fshort-wchar, else u"...") from a literal
 * or array: Length = sizeof(s) - sizeof(s[0]), MaximumLength = sizeof(s).
 */
#define RTL_CONSTANT_STRING(s)                                                 \
  {                                                                            \
    (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s),                   \
        kp_wdk_constant_buffer_(s)                                             \
  }
#else
#define RTL_CONSTANT_STRING(s)                                                 \
  { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (s) }
#endif

/**
 * DECLARE_CONST_UNICODE_STRING(var, literal): a UNICODE_STRING @p var (and
 * its buffer var_buffer) holding @p literal. The struct is const; the
 * buffer array is not (kpool's spelling avoids casting const away).
 */
#define DECLARE_CONST_UNICODE_STRING(_var, _string)                            \
  WCHAR _var##_buffer[] = _string;                                             \
  const UNICODE_STRING _var = {(USHORT)(sizeof(_string) - sizeof(WCHAR)),      \
                               (USHORT)sizeof(_string), _var##_buffer}

/**
 * DECLARE_UNICODE_STRING_SIZE(var, chars): an empty UNICODE_STRING @p var
 * over a WCHAR array var_buffer of @p chars characters.
 */
#define DECLARE_UNICODE_STRING_SIZE(_var, _size)                               \
  WCHAR _var##_buffer[_size];                                                  \
  UNICODE_STRING _var = {0, (USHORT)((_size) * sizeof(WCHAR)), _var##_buffer}

/** RtlInitEmptyUnicodeString: Length 0 over @p Buffer of @p BufferSize
 *  bytes. */
FORCEINLINE VOID RtlInitEmptyUnicodeString(PUNICODE_STRING UnicodeString,
                                           PWCHAR Buffer, USHORT BufferSize) {
  UnicodeString->Length = 0;
  UnicodeString->MaximumLength = BufferSize;
  UnicodeString->Buffer = Buffer;
}

/** RtlInitEmptyAnsiString: Length 0 over @p Buffer of @p BufferSize bytes. */
FORCEINLINE VOID RtlInitEmptyAnsiString(PANSI_STRING AnsiString, PCHAR Buffer,
                                        USHORT BufferSize) {
  AnsiString->Length = 0;
  AnsiString->MaximumLength = BufferSize;
  AnsiString->Buffer = Buffer;
}

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Routines. Each maps onto the kp_string_* function named; statuses and
 * edge cases are documented there (kpool/rtl_string.h).
 * ========================================================================= */

/** RtlInitUnicodeString: kp_string_init_unicode (clamps at 0xFFFC). */
NTSYSAPI VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString,
                                         PCWSTR SourceString);
/** RtlInitUnicodeStringEx: kp_string_init_unicode_ex; STATUS_SUCCESS or
 *  STATUS_NAME_TOO_LONG (UNVERIFIED for this routine, facts §8.2). */
NTSYSAPI NTSTATUS NTAPI
RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString);
/** RtlInitString: kp_string_init_ansi (clamps at 0xFFFE). */
NTSYSAPI VOID NTAPI RtlInitString(PSTRING DestinationString, PCSZ SourceString);
/** RtlInitStringEx: kp_string_init_ansi_ex; STATUS_NAME_TOO_LONG. */
NTSYSAPI NTSTATUS NTAPI RtlInitStringEx(PSTRING DestinationString,
                                        PCSZ SourceString);
/** RtlInitAnsiString: kp_string_init_ansi. */
NTSYSAPI VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString,
                                      PCSZ SourceString);
/** RtlInitAnsiStringEx: kp_string_init_ansi_ex. */
NTSYSAPI NTSTATUS NTAPI RtlInitAnsiStringEx(PANSI_STRING DestinationString,
                                            PCSZ SourceString);
/** RtlInitUTF8String: kp_string_init_ansi. */
NTSYSAPI VOID NTAPI RtlInitUTF8String(PUTF8_STRING DestinationString,
                                      PCSZ SourceString);
/** RtlInitUTF8StringEx: kp_string_init_ansi_ex. */
NTSYSAPI NTSTATUS NTAPI RtlInitUTF8StringEx(PUTF8_STRING DestinationString,
                                            PCSZ SourceString);

/** RtlCopyUnicodeString: kp_string_copy_unicode (truncates silently). */
NTSYSAPI VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString,
                                         PCUNICODE_STRING SourceString);
/** RtlCopyString: kp_string_copy_ansi. */
NTSYSAPI VOID NTAPI RtlCopyString(PSTRING DestinationString,
                                  const STRING *SourceString);
/** RtlAppendUnicodeStringToString: STATUS_SUCCESS or
 *  STATUS_BUFFER_TOO_SMALL (Destination unchanged). */
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeStringToString(
    PUNICODE_STRING Destination, PCUNICODE_STRING Source);
/** RtlAppendUnicodeToString: appends a NUL-terminated @p Source (NULL:
 *  nothing); STATUS_BUFFER_TOO_SMALL. */
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination,
                                                 PCWSTR Source);
/** RtlAppendStringToString: STATUS_SUCCESS or STATUS_BUFFER_TOO_SMALL. */
NTSYSAPI NTSTATUS NTAPI RtlAppendStringToString(PSTRING Destination,
                                                const STRING *Source);

/** RtlCompareUnicodeString: < 0, 0, > 0. */
NTSYSAPI LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1,
                                            PCUNICODE_STRING String2,
                                            BOOLEAN CaseInSensitive);
/** RtlCompareString: < 0, 0, > 0. */
NTSYSAPI LONG NTAPI RtlCompareString(const STRING *String1,
                                     const STRING *String2,
                                     BOOLEAN CaseInSensitive);
/** RtlEqualUnicodeString. */
NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1,
                                             PCUNICODE_STRING String2,
                                             BOOLEAN CaseInSensitive);
/** RtlEqualString. */
NTSYSAPI BOOLEAN NTAPI RtlEqualString(const STRING *String1,
                                      const STRING *String2,
                                      BOOLEAN CaseInSensitive);
/** RtlPrefixUnicodeString: TRUE when @p String1 is a prefix of
 *  @p String2. */
NTSYSAPI BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1,
                                              PCUNICODE_STRING String2,
                                              BOOLEAN CaseInSensitive);
/** RtlPrefixString: TRUE when @p String1 is a prefix of @p String2. */
NTSYSAPI BOOLEAN NTAPI RtlPrefixString(const STRING *String1,
                                       const STRING *String2,
                                       BOOLEAN CaseInSensitive);

/** RtlUpcaseUnicodeChar: kp_string_upcase_char. */
NTSYSAPI WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter);
/** RtlDowncaseUnicodeChar: kp_string_downcase_char. */
NTSYSAPI WCHAR NTAPI RtlDowncaseUnicodeChar(WCHAR SourceCharacter);
/** RtlUpperChar: kp_string_upper_char (code page 1252). */
NTSYSAPI CHAR NTAPI RtlUpperChar(CHAR Character);
/** RtlUpcaseUnicodeString: kp_string_upcase_unicode; STATUS_SUCCESS,
 *  STATUS_BUFFER_OVERFLOW, STATUS_NO_MEMORY. */
NTSYSAPI NTSTATUS NTAPI RtlUpcaseUnicodeString(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString);
/** RtlDowncaseUnicodeString: kp_string_downcase_unicode. */
NTSYSAPI NTSTATUS NTAPI RtlDowncaseUnicodeString(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString);
/** RtlUpperString: kp_string_upper_ansi. */
NTSYSAPI VOID NTAPI RtlUpperString(PSTRING DestinationString,
                                   const STRING *SourceString);

/** RtlIntegerToUnicodeString: kp_string_uint_to_unicode; STATUS_SUCCESS,
 *  STATUS_BUFFER_OVERFLOW, STATUS_INVALID_PARAMETER (base). */
NTSYSAPI NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base,
                                                  PUNICODE_STRING String);
/** RtlInt64ToUnicodeString: the ULONGLONG form. */
NTSYSAPI NTSTATUS NTAPI RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base,
                                                PUNICODE_STRING String);
/** RtlUnicodeStringToInteger: kp_string_unicode_to_uint. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String,
                                                  ULONG Base, PULONG Value);
/** RtlCharToInteger: kp_string_char_to_uint. */
NTSYSAPI NTSTATUS NTAPI RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value);
/** RtlIntegerToChar: kp_string_uint_to_char. */
NTSYSAPI NTSTATUS NTAPI RtlIntegerToChar(ULONG Value, ULONG Base,
                                         LONG OutputLength, PSZ String);

/** RtlxUnicodeStringToAnsiSize: characters + 1. */
NTSYSAPI ULONG NTAPI
RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString);
/** RtlxAnsiStringToUnicodeSize: (Length + 1) * 2. */
NTSYSAPI ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString);
/** RtlUnicodeStringToAnsiSize / RtlAnsiStringToUnicodeSize: the x forms
 *  (the ANSI code page is single-byte). */
#define RtlUnicodeStringToAnsiSize(STRING) RtlxUnicodeStringToAnsiSize(STRING)
#define RtlAnsiStringToUnicodeSize(STRING) RtlxAnsiStringToUnicodeSize(STRING)

/** RtlAnsiStringToUnicodeString: kp_string_ansi_to_unicode. */
NTSYSAPI NTSTATUS NTAPI RtlAnsiStringToUnicodeString(
    PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
    BOOLEAN AllocateDestinationString);
/** RtlUnicodeStringToAnsiString: kp_string_unicode_to_ansi. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToAnsiString(
    PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString);
/** RtlUTF8StringToUnicodeString: kp_string_utf8_to_unicode. */
NTSYSAPI NTSTATUS NTAPI RtlUTF8StringToUnicodeString(
    PUNICODE_STRING DestinationString, PCUTF8_STRING SourceString,
    BOOLEAN AllocateDestinationString);
/** RtlUnicodeStringToUTF8String: kp_string_unicode_to_utf8. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToUTF8String(
    PUTF8_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString);
/** RtlUTF8ToUnicodeN: kp_string_utf8_to_utf16n. */
NTSYSAPI NTSTATUS NTAPI RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination,
                                          ULONG UnicodeStringMaxByteCount,
                                          PULONG UnicodeStringActualByteCount,
                                          PCCH UTF8StringSource,
                                          ULONG UTF8StringByteCount);
/** RtlUnicodeToUTF8N: kp_string_utf16_to_utf8n. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeToUTF8N(PCHAR UTF8StringDestination,
                                          ULONG UTF8StringMaxByteCount,
                                          PULONG UTF8StringActualByteCount,
                                          PCWCH UnicodeStringSource,
                                          ULONG UnicodeStringByteCount);

/** RtlDuplicateUnicodeString: kp_string_duplicate_unicode. */
NTSYSAPI NTSTATUS NTAPI RtlDuplicateUnicodeString(ULONG Flags,
                                                  PCUNICODE_STRING StringIn,
                                                  PUNICODE_STRING StringOut);
/** RtlCreateUnicodeString: kp_string_create_unicode. */
NTSYSAPI BOOLEAN NTAPI RtlCreateUnicodeString(PUNICODE_STRING DestinationString,
                                              PCWSTR SourceString);
/** RtlFreeUnicodeString: kp_string_free_unicode (zeroes the struct). */
NTSYSAPI VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString);
/** RtlFreeAnsiString: kp_string_free_ansi. */
NTSYSAPI VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString);
/** RtlFreeUTF8String: kp_string_free_ansi. */
NTSYSAPI VOID NTAPI RtlFreeUTF8String(PUTF8_STRING Utf8String);

/* Site-taking twins of the allocating routines and the frees. */
KP_API NTSTATUS kp_wdk_RtlAnsiStringToUnicodeString_at(
    PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_RtlUnicodeStringToAnsiString_at(
    PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_RtlUTF8StringToUnicodeString_at(
    PUNICODE_STRING DestinationString, PCUTF8_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_RtlUnicodeStringToUTF8String_at(
    PUTF8_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_RtlUpcaseUnicodeString_at(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_RtlDowncaseUnicodeString_at(
    PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
    BOOLEAN AllocateDestinationString, const char *File, ULONG Line);
KP_API NTSTATUS kp_wdk_RtlDuplicateUnicodeString_at(ULONG Flags,
                                                    PCUNICODE_STRING StringIn,
                                                    PUNICODE_STRING StringOut,
                                                    const char *File,
                                                    ULONG Line);
KP_API BOOLEAN kp_wdk_RtlCreateUnicodeString_at(
    PUNICODE_STRING DestinationString, PCWSTR SourceString, const char *File,
    ULONG Line);
KP_API VOID kp_wdk_RtlFreeUnicodeString_at(PUNICODE_STRING UnicodeString,
                                           const char *File, ULONG Line);
KP_API VOID kp_wdk_RtlFreeAnsiString_at(PANSI_STRING AnsiString,
                                        const char *File, ULONG Line);
KP_API VOID kp_wdk_RtlFreeUTF8String_at(PUTF8_STRING Utf8String,
                                        const char *File, ULONG Line);

#ifdef __cplusplus
}
#endif

/* Call-site macros (see wdm.h's file comment). */
#if !defined(KPOOL_NO_CALL_SITES)
#define RtlAnsiStringToUnicodeString(D, S, A)                                  \
  kp_wdk_RtlAnsiStringToUnicodeString_at((D), (S), (A), __FILE__, __LINE__)
#define RtlUnicodeStringToAnsiString(D, S, A)                                  \
  kp_wdk_RtlUnicodeStringToAnsiString_at((D), (S), (A), __FILE__, __LINE__)
#define RtlUTF8StringToUnicodeString(D, S, A)                                  \
  kp_wdk_RtlUTF8StringToUnicodeString_at((D), (S), (A), __FILE__, __LINE__)
#define RtlUnicodeStringToUTF8String(D, S, A)                                  \
  kp_wdk_RtlUnicodeStringToUTF8String_at((D), (S), (A), __FILE__, __LINE__)
#define RtlUpcaseUnicodeString(D, S, A)                                        \
  kp_wdk_RtlUpcaseUnicodeString_at((D), (S), (A), __FILE__, __LINE__)
#define RtlDowncaseUnicodeString(D, S, A)                                      \
  kp_wdk_RtlDowncaseUnicodeString_at((D), (S), (A), __FILE__, __LINE__)
#define RtlDuplicateUnicodeString(F, I, O)                                     \
  kp_wdk_RtlDuplicateUnicodeString_at((F), (I), (O), __FILE__, __LINE__)
#define RtlCreateUnicodeString(D, S)                                           \
  kp_wdk_RtlCreateUnicodeString_at((D), (S), __FILE__, __LINE__)
#define RtlFreeUnicodeString(S)                                                \
  kp_wdk_RtlFreeUnicodeString_at((S), __FILE__, __LINE__)
#define RtlFreeAnsiString(S)                                                   \
  kp_wdk_RtlFreeAnsiString_at((S), __FILE__, __LINE__)
#define RtlFreeUTF8String(S)                                                   \
  kp_wdk_RtlFreeUTF8String_at((S), __FILE__, __LINE__)
#endif /* !KPOOL_NO_CALL_SITES */

#endif /* KPOOL_WDK_KP_WDK_STRING_H */
