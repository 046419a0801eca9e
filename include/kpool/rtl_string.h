/**
 * @file kpool/rtl_string.h
 * @brief Counted strings: the run-time library's UNICODE_STRING,
 *        ANSI_STRING and UTF8_STRING routines (Rtl*String*), in the core.
 *
 * The WDK face (kp_wdk_string.h) maps every Rtl string routine onto these
 * functions; the structs here have the exact layout of UNICODE_STRING and
 * STRING (two 16-bit byte counts, then the buffer pointer: 16 bytes on a
 * 64-bit host), so the face only casts.
 *
 * What the simulator does (facts §8.1, §8.2; choices in docs/decisions.md):
 *
 * - **Lengths are bytes**; Length excludes any terminating NUL and the
 *   buffer need not be NUL-terminated. A Unicode string with an odd
 *   Length is processed as Length / 2 characters (the odd byte is ignored
 *   by compares, case mapping and conversions; byte copies copy it).
 * - **Limits.** A Unicode string holds at most MAX_USTRING = 0xFFFE bytes,
 *   an 8-bit string MAXUSHORT = 0xFFFF. The Init routines clamp
 *   (Unicode: Length 0xFFFC, MaximumLength 0xFFFE; 8-bit: 0xFFFE / 0xFFFF);
 *   the Ex forms return STATUS_NAME_TOO_LONG; a conversion whose result
 *   needs more than MAXUSHORT bytes returns STATUS_INVALID_PARAMETER_2.
 * - **Allocations.** Routines with an @c allocate argument (and
 *   kp_string_create_unicode / kp_string_duplicate_unicode) take their
 *   buffer from the simulated **paged pool** with the tag 'grtS' (shown
 *   "Strg", KP_STRING_TAG, the kernel's string-allocation tag), recorded
 *   with the caller's @p site and the routine's name (kp_alloc_api_t), so
 *   a leak at unload names both. They raise the paged-pool IRQL bug check
 *   above APC_LEVEL like any paged allocation. Free them with
 *   kp_string_free_unicode / kp_string_free_ansi (RtlFree*String), which
 *   free with the tag 'grtS': a buffer the driver allocated itself is
 *   BAD_POOL_CALLER 0xC2/0x0A there (kpool's choice), a second free of the
 *   same buffer (through a copy of the struct) is the pool's double-free
 *   bug check, and ExFreePoolWithTag with another tag on a string buffer is
 *   0xC2/0x0A as for any block.
 * - **The ANSI code page** is Windows-1252 (the system ANSI code page of
 *   an en-US Windows): bytes 0x00-0x7F and 0xA0-0xFF are Latin-1, 0x80-0x9F
 *   the 1252 punctuation and letters; the five unassigned bytes (0x81,
 *   0x8D, 0x8F, 0x90, 0x9D) map to U+0081.. as Windows does. A character
 *   the code page lacks converts to '?'; each UTF-16 unit is one byte (a
 *   surrogate pair gives "??").
 * - **Case mapping** (upcase / downcase / case-insensitive compares):
 *   ASCII, Latin-1 (U+00E0-U+00FE except U+00F7, and U+00FF -> U+0178),
 *   Latin Extended-A (U+0100-U+017F case pairs, U+0131 and U+0130 and
 *   U+0149, U+0138, U+017F unchanged), basic Greek (U+03B1-U+03C9,
 *   final sigma U+03C2 -> U+03A3) and Cyrillic (U+0430-U+045F). Every
 *   other character maps to itself. Windows' own table (l_intl.nls) covers
 *   more of Unicode; these ranges are what kpool guarantees.
 * - **A NULL where Windows requires a pointer** (a destination struct, a
 *   source struct that is not optional, or the Buffer of a string whose
 *   bytes the routine must read or write: Length > 0, or the room a result
 *   needs) is an access violation in the kernel: kpool raises
 *   STATUS_ACCESS_VIOLATION (kp_raise_status), which KP_TRY catches and
 *   which, unhandled, is bug check 0x1E with P1 = 0xC0000005. The routine
 *   then returns without effect (nothing allocated, nothing written).
 *
 * Thread safety: the routines touch only their arguments (and, for the
 * allocating ones, the thread-safe pool); two threads must not write the
 * same string at once.
 */
#ifndef KPOOL_RTL_STRING_H
#define KPOOL_RTL_STRING_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A counted UTF-16 string, laid out as UNICODE_STRING. */
typedef struct kp_ustring {
  uint16_t length;     /**< bytes in use, without a terminating NUL */
  uint16_t max_length; /**< bytes available at @c buffer */
  uint16_t *buffer;    /**< the characters (need not be NUL-terminated) */
} kp_ustring_t;

/** A counted 8-bit (ANSI, OEM or UTF-8) string, laid out as STRING. */
typedef struct kp_astring {
  uint16_t length;     /**< bytes in use, without a terminating NUL */
  uint16_t max_length; /**< bytes available at @c buffer */
  char *buffer;        /**< the bytes (need not be NUL-terminated) */
} kp_astring_t;

/** The tag of every buffer the string routines allocate: 'grtS', shown
 *  "Strg" (facts §8.2, the kernel's ExpAllocateStringRoutine). */
#define KP_STRING_TAG KP_TAG('S', 't', 'r', 'g')
/** Largest byte count of a Unicode string (MAX_USTRING). */
#define KP_USTRING_MAX_BYTES 0xFFFEu
/** Largest byte count of an 8-bit string (MAXUSHORT). */
#define KP_ASTRING_MAX_BYTES 0xFFFFu

/* ---------------------------------------------------------------------------
 * Initialising
 * ------------------------------------------------------------------------- */

/**
 * Simulates RtlInitUnicodeString: @p dst points at @p src (not copied);
 * Length = its bytes without the NUL, MaximumLength = Length + 2. @p src
 * NULL gives 0, 0, NULL. A string of more than 0xFFFC bytes is clamped to
 * Length 0xFFFC, MaximumLength 0xFFFE.
 */
KP_API void kp_string_init_unicode(kp_ustring_t *dst, const uint16_t *src);

/**
 * Simulates RtlInitUnicodeStringEx: as kp_string_init_unicode, but a
 * string of more than 0xFFFC bytes returns STATUS_NAME_TOO_LONG and leaves
 * Length = MaximumLength = 0 (Buffer = @p src).
 * @return STATUS_SUCCESS or STATUS_NAME_TOO_LONG.
 */
KP_API kp_status_t kp_string_init_unicode_ex(kp_ustring_t *dst,
                                             const uint16_t *src);

/**
 * Simulates RtlInitAnsiString, RtlInitString and RtlInitUTF8String: byte
 * lengths; NULL gives 0, 0, NULL; more than 0xFFFE bytes is clamped to
 * Length 0xFFFE, MaximumLength 0xFFFF.
 */
KP_API void kp_string_init_ansi(kp_astring_t *dst, const char *src);

/**
 * Simulates RtlInitStringEx, RtlInitAnsiStringEx and RtlInitUTF8StringEx:
 * more than 0xFFFE bytes returns STATUS_NAME_TOO_LONG with Length =
 * MaximumLength = 0.
 */
KP_API kp_status_t kp_string_init_ansi_ex(kp_astring_t *dst, const char *src);

/* ---------------------------------------------------------------------------
 * Copying and appending
 * ------------------------------------------------------------------------- */

/**
 * Simulates RtlCopyUnicodeString: copies min(src Length, dst
 * MaximumLength) bytes (silently truncating), sets dst Length, and adds a
 * NUL when two bytes remain. @p src NULL sets dst Length to 0. dst Buffer
 * and MaximumLength never change.
 */
KP_API void kp_string_copy_unicode(kp_ustring_t *dst, const kp_ustring_t *src);

/** Simulates RtlCopyString: kp_string_copy_unicode for 8-bit strings (a
 *  NUL is added when one byte remains). */
KP_API void kp_string_copy_ansi(kp_astring_t *dst, const kp_astring_t *src);

/**
 * Simulates RtlAppendUnicodeStringToString: appends @p src's bytes.
 * @return STATUS_SUCCESS (a NUL is added when two bytes remain), or
 *         STATUS_BUFFER_TOO_SMALL when the result exceeds dst
 *         MaximumLength (dst unchanged).
 */
KP_API kp_status_t kp_string_append_unicode(kp_ustring_t *dst,
                                            const kp_ustring_t *src);

/** Simulates RtlAppendUnicodeToString: appends the NUL-terminated @p src
 *  (its NUL not counted; NULL appends nothing). Statuses as above. */
KP_API kp_status_t kp_string_append_unicode_z(kp_ustring_t *dst,
                                              const uint16_t *src);

/** Simulates RtlAppendStringToString: the 8-bit form (no NUL is added, as
 *  on Windows). Statuses as above. */
KP_API kp_status_t kp_string_append_ansi(kp_astring_t *dst,
                                         const kp_astring_t *src);

/* ---------------------------------------------------------------------------
 * Comparing
 * ------------------------------------------------------------------------- */

/**
 * Simulates RtlCompareUnicodeString: < 0, 0, > 0 as @p a sorts before,
 * with or after @p b, character by character (UTF-16 code units, upcased
 * first when @p case_insensitive), then by length. The magnitude is the
 * first difference (unspecified on Windows).
 */
KP_API int32_t kp_string_compare_unicode(const kp_ustring_t *a,
                                         const kp_ustring_t *b,
                                         bool case_insensitive);
/** Simulates RtlCompareString: bytes as unsigned, upcased with
 *  kp_string_upper_char when @p case_insensitive. */
KP_API int32_t kp_string_compare_ansi(const kp_astring_t *a,
                                      const kp_astring_t *b,
                                      bool case_insensitive);
/** Simulates RtlEqualUnicodeString. */
KP_API bool kp_string_equal_unicode(const kp_ustring_t *a,
                                    const kp_ustring_t *b,
                                    bool case_insensitive);
/** Simulates RtlEqualString. */
KP_API bool kp_string_equal_ansi(const kp_astring_t *a, const kp_astring_t *b,
                                 bool case_insensitive);
/** Simulates RtlPrefixUnicodeString: true when @p prefix is a prefix of
 *  @p s (an empty prefix always is). */
KP_API bool kp_string_prefix_unicode(const kp_ustring_t *prefix,
                                     const kp_ustring_t *s,
                                     bool case_insensitive);
/** Simulates RtlPrefixString. */
KP_API bool kp_string_prefix_ansi(const kp_astring_t *prefix,
                                  const kp_astring_t *s, bool case_insensitive);

/* ---------------------------------------------------------------------------
 * Case
 * ------------------------------------------------------------------------- */

/** Simulates RtlUpcaseUnicodeChar (the ranges in the file comment). */
KP_API uint16_t kp_string_upcase_char(uint16_t c);
/** Simulates RtlDowncaseUnicodeChar: the inverse mapping. */
KP_API uint16_t kp_string_downcase_char(uint16_t c);
/** Simulates RtlUpperChar: the 1252 byte upcased through Unicode (0xE9 ->
 *  0xC9, 0x9A -> 0x8A, 0xFF -> 0x9F); a byte whose capital is not in
 *  the code page stays. */
KP_API char kp_string_upper_char(char c);

/**
 * Simulates RtlUpcaseUnicodeString. With @p allocate, dst gets a new
 * paged-pool buffer of src Length bytes (MaximumLength = Length, no NUL;
 * an empty source gives Buffer NULL); else dst's buffer is used and may be
 * src's own (in-place upcase).
 * @return STATUS_SUCCESS; STATUS_BUFFER_OVERFLOW when dst MaximumLength <
 *         src Length (nothing written); STATUS_NO_MEMORY when the
 *         allocation fails (dst unchanged).
 */
KP_API kp_status_t kp_string_upcase_unicode(kp_system_t *sys, kp_ustring_t *dst,
                                            const kp_ustring_t *src,
                                            bool allocate, kp_site_t site);
/** Simulates RtlDowncaseUnicodeString: as kp_string_upcase_unicode. */
KP_API kp_status_t kp_string_downcase_unicode(kp_system_t *sys,
                                              kp_ustring_t *dst,
                                              const kp_ustring_t *src,
                                              bool allocate, kp_site_t site);
/** Simulates RtlUpperString: copies min(src Length, dst MaximumLength)
 *  bytes upcased (kp_string_upper_char), as RtlCopyString truncates. */
KP_API void kp_string_upper_ansi(kp_astring_t *dst, const kp_astring_t *src);

/* ---------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------- */

/**
 * Simulates RtlIntegerToChar: @p value in @p base (0 means 10; 2, 8, 10,
 * 16; upper-case hex digits, no prefix, no sign) into @p out.
 * @return STATUS_SUCCESS (NUL-terminated when a byte remains after the
 *         digits); STATUS_INVALID_PARAMETER for another base;
 *         STATUS_BUFFER_OVERFLOW when the digits exceed @p out_len (a
 *         negative @p out_len counts as 0; nothing written).
 */
KP_API kp_status_t kp_string_uint_to_char(uint32_t value, uint32_t base,
                                          int32_t out_len, char *out);

/**
 * Simulates RtlCharToInteger on a NUL-terminated string: skips leading
 * white space (space, \\t..\\r), takes a '+' or '-' sign, then with
 * @p base 0 a "0x", "0o" or "0b" prefix (lower case) selects 16, 8 or 2,
 * else 10; digits are read up to the first character that is not a digit
 * of the base (hex digits in either case). A '-' negates modulo 2^32;
 * overflow wraps silently, as on Windows. A string with no digits gives 0.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a base other than
 *         0, 2, 8, 10, 16, or an empty string (kpool's choice).
 */
KP_API kp_status_t kp_string_char_to_uint(const char *s, uint32_t base,
                                          uint32_t *value);

/**
 * Simulates RtlIntegerToUnicodeString (and, with a 64-bit @p value,
 * RtlInt64ToUnicodeString): the digits as kp_string_uint_to_char, written
 * into @p dst with a NUL; Length = digits * 2.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a bad base;
 *         STATUS_BUFFER_OVERFLOW when MaximumLength < (digits + 1) * 2
 *         (dst unchanged).
 */
KP_API kp_status_t kp_string_uint_to_unicode(uint64_t value, uint32_t base,
                                             kp_ustring_t *dst);

/**
 * Simulates RtlUnicodeStringToInteger: the rules of kp_string_char_to_uint
 * on the counted string (a NUL character ends it as well). "+678abc" in
 * base 16 gives 6785724, "789" in base 8 gives 7.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a bad base or a
 *         string of Length 0.
 */
KP_API kp_status_t kp_string_unicode_to_uint(const kp_ustring_t *s,
                                             uint32_t base, uint32_t *value);

/* ---------------------------------------------------------------------------
 * Conversions
 * ------------------------------------------------------------------------- */

/** Simulates RtlxUnicodeStringToAnsiSize / RtlUnicodeStringToAnsiSize:
 *  the bytes the ANSI form needs, NUL included (characters + 1). */
KP_API uint32_t kp_string_unicode_to_ansi_size(const kp_ustring_t *src);
/** Simulates RtlxAnsiStringToUnicodeSize / RtlAnsiStringToUnicodeSize:
 *  (Length + 1) * 2. */
KP_API uint32_t kp_string_ansi_to_unicode_size(const kp_astring_t *src);

/**
 * Simulates RtlAnsiStringToUnicodeString (code page 1252). The result is
 * NUL-terminated. With @p allocate, a paged-pool buffer of
 * (Length + 1) * 2 bytes becomes dst's (MaximumLength = that size).
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER_2 when the result needs
 *         more than MAXUSHORT bytes; STATUS_BUFFER_OVERFLOW when dst
 *         MaximumLength is smaller than the result with its NUL (dst
 *         unchanged); STATUS_NO_MEMORY when the allocation fails.
 */
KP_API kp_status_t kp_string_ansi_to_unicode(kp_system_t *sys,
                                             kp_ustring_t *dst,
                                             const kp_astring_t *src,
                                             bool allocate, kp_site_t site);

/**
 * Simulates RtlUnicodeStringToAnsiString (code page 1252, unmappable
 * characters become '?'). NUL-terminated; allocation of characters + 1
 * bytes. Statuses as kp_string_ansi_to_unicode.
 */
KP_API kp_status_t kp_string_unicode_to_ansi(kp_system_t *sys,
                                             kp_astring_t *dst,
                                             const kp_ustring_t *src,
                                             bool allocate, kp_site_t site);

/**
 * Simulates RtlUTF8ToUnicodeN. Converts @p src_bytes bytes of UTF-8
 * (NULs included) to UTF-16. An invalid sequence (a stray continuation
 * byte, a truncated sequence, an overlong form, a surrogate, a value
 * above U+10FFFF) becomes one U+FFFD per maximal invalid subpart (the
 * Unicode-recommended practice). With @p dst NULL, *@p actual gets the
 * bytes the whole result needs; else only whole characters that fit in
 * @p dst_max bytes are written and *@p actual (if not NULL) gets the bytes
 * written.
 * @return STATUS_SUCCESS; STATUS_SOME_NOT_MAPPED (success) when a
 *         replacement was made; STATUS_BUFFER_TOO_SMALL when the result
 *         did not fit (what fits is written); STATUS_INVALID_PARAMETER
 *         when @p dst and @p actual are both NULL; STATUS_INVALID_PARAMETER_4
 *         when @p src is NULL.
 */
KP_API kp_status_t kp_string_utf8_to_utf16n(uint16_t *dst, uint32_t dst_max,
                                            uint32_t *actual, const char *src,
                                            uint32_t src_bytes);

/**
 * Simulates RtlUnicodeToUTF8N: as kp_string_utf8_to_utf16n the other way;
 * an unpaired surrogate becomes U+FFFD (EF BF BD) with
 * STATUS_SOME_NOT_MAPPED; an odd @p src_bytes is STATUS_INVALID_PARAMETER_5.
 */
KP_API kp_status_t kp_string_utf16_to_utf8n(char *dst, uint32_t dst_max,
                                            uint32_t *actual,
                                            const uint16_t *src,
                                            uint32_t src_bytes);

/**
 * Simulates RtlUTF8StringToUnicodeString: kp_string_utf8_to_utf16n over a
 * counted string into a NUL-terminated counted result.
 * @return STATUS_SUCCESS or STATUS_SOME_NOT_MAPPED (replacements made);
 *         STATUS_INVALID_PARAMETER_2 (result above MAXUSHORT bytes);
 *         STATUS_BUFFER_OVERFLOW (dst too small, unchanged);
 *         STATUS_NO_MEMORY.
 */
KP_API kp_status_t kp_string_utf8_to_unicode(kp_system_t *sys,
                                             kp_ustring_t *dst,
                                             const kp_astring_t *src,
                                             bool allocate, kp_site_t site);

/** Simulates RtlUnicodeStringToUTF8String: the other way; statuses as
 *  kp_string_utf8_to_unicode. */
KP_API kp_status_t kp_string_unicode_to_utf8(kp_system_t *sys,
                                             kp_astring_t *dst,
                                             const kp_ustring_t *src,
                                             bool allocate, kp_site_t site);

/* ---------------------------------------------------------------------------
 * Allocating copies and freeing
 * ------------------------------------------------------------------------- */

/** RtlDuplicateUnicodeString: allocate Length + 2 and NUL-terminate. */
#define KP_STRING_DUPLICATE_NULL_TERMINATE 0x1u
/** RtlDuplicateUnicodeString: an empty input still gets a buffer (only
 *  together with KP_STRING_DUPLICATE_NULL_TERMINATE). */
#define KP_STRING_DUPLICATE_ALLOCATE_NULL_STRING 0x2u

/**
 * Simulates RtlDuplicateUnicodeString (facts §8.2, UNVERIFIED details).
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for flags other than
 *         0..3, flag 2 alone, a NULL @p in or @p out, in Length >
 *         MaximumLength, Length 0 with MaximumLength > 0 and a NULL
 *         Buffer, or Length > 0 with a NULL Buffer (kpool's addition); STATUS_NAME_TOO_LONG when Length + 2 exceeds MAXUSHORT
 *         with flag 1 (kpool's choice); STATUS_NO_MEMORY. An empty input
 *         without both flags gives 0, 0, NULL.
 */
KP_API kp_status_t kp_string_duplicate_unicode(kp_system_t *sys, uint32_t flags,
                                               const kp_ustring_t *in,
                                               kp_ustring_t *out,
                                               kp_site_t site);

/**
 * Simulates RtlCreateUnicodeString: a paged-pool copy of @p src with its
 * NUL (MaximumLength = Length + 2).
 * @return true; false when the allocation fails, the copy would exceed
 *         MAX_USTRING bytes, or @p src is NULL (kpool's choice; dst then
 *         unchanged).
 */
KP_API bool kp_string_create_unicode(kp_system_t *sys, kp_ustring_t *dst,
                                     const uint16_t *src, kp_site_t site);

/**
 * Simulates RtlFreeUnicodeString: frees a buffer the string routines
 * allocated (kp_free with KP_STRING_TAG) and zeroes the struct, so a second
 * call on the same struct does nothing. Buffer NULL does nothing; a NULL
 * @p sys leaves the struct untouched.
 * @bugcheck 0xC2/0x0A when the buffer is a pool block with another tag
 *           (not allocated by a string routine); the pool's double-free
 *           check when it was already freed (through a copy of the
 *           struct); the pool's bad-pointer check for a buffer that is
 *           not a pool block (a stack array, a literal).
 */
KP_API void kp_string_free_unicode(kp_system_t *sys, kp_ustring_t *s,
                                   kp_site_t site);

/** Simulates RtlFreeAnsiString and RtlFreeUTF8String: as
 *  kp_string_free_unicode. */
KP_API void kp_string_free_ansi(kp_system_t *sys, kp_astring_t *s,
                                kp_site_t site);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_RTL_STRING_H */
