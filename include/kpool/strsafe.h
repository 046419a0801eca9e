/**
 * @file kpool/strsafe.h
 * @brief The safe string routines of the WDK's ntstrsafe.h
 *        (RtlStringCb/Cch{Copy,Cat,Printf,Length}..., RtlUnicodeString...)
 *        as core functions over 8-bit and UTF-16 buffers.
 *
 * The WDK face's <ntstrsafe.h> maps every WDK name onto these. Each
 * function takes the unit size (1 for the A forms, 2 for the W forms) and
 * whether sizes are in bytes (Cb) or in characters (Cch).
 *
 * Rules common to all of them (Microsoft's ntstrsafe pages; facts §8.3):
 *
 * - Results: STATUS_SUCCESS; STATUS_BUFFER_OVERFLOW (0x80000005, a
 *   warning, not NT_SUCCESS) when the result was truncated, the buffer
 *   then holding the truncated, NUL-terminated result (UNICODE_STRING
 *   results are never NUL-terminated); STATUS_INVALID_PARAMETER for a
 *   flag outside the valid mask, a size of 0 or above the maximum
 *   (KP_STRSAFE_MAX_CCH characters, KP_STRSAFE_USTR_MAX_CCH for
 *   UNICODE_STRING), a NULL pointer without KP_STRSAFE_IGNORE_NULLS, a Cat
 *   whose destination holds no NUL within its size, a zero-size
 *   destination with a non-empty source, a bad UNICODE_STRING.
 * - On STATUS_INVALID_PARAMETER found while checking the arguments
 *   (flags, sizes, NULL pointers) nothing is written anywhere (kpool's
 *   reading: the WDK leaves the outputs unset).
 * - The Ex outputs (*end, *remaining) are set on success and on
 *   STATUS_BUFFER_OVERFLOW only. *end points at the result's NUL;
 *   *remaining counts the unused units including that NUL (Cb forms: in
 *   bytes, plus an odd byte of a W buffer).
 * - Failure flags (any failure once the destination was found usable):
 *   FILL_ON_FAILURE fills the whole destination with the fill byte (the
 *   low byte of the flags) and NUL-terminates it at its last unit (a fill
 *   byte of 0 leaves it empty); NULL_ON_FAILURE makes it ""; NO_TRUNCATION
 *   makes a Copy "" and leaves a Cat's original string. On success,
 *   FILL_BEHIND_NULL fills every byte after the NUL with the fill byte.
 *
 * Thread-safe (no shared state). Windows requires PASSIVE_LEVEL; kpool
 * does not check the IRQL here.
 */
#ifndef KPOOL_STRSAFE_H
#define KPOOL_STRSAFE_H

#include <stdarg.h>

#include "common.h"
#include "format.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest buffer, in characters (NTSTRSAFE_MAX_CCH, INT_MAX). */
#define KP_STRSAFE_MAX_CCH 2147483647u
/** Largest UNICODE_STRING, in characters (NTSTRSAFE_UNICODE_STRING_MAX_CCH). */
#define KP_STRSAFE_USTR_MAX_CCH 32767u

/** Flags (ntstrsafe's dwFlags); the low byte is the fill byte. */
#define KP_STRSAFE_FILL_MASK 0x000000FFu
#define KP_STRSAFE_IGNORE_NULLS 0x00000100u
#define KP_STRSAFE_FILL_BEHIND_NULL 0x00000200u
#define KP_STRSAFE_FILL_ON_FAILURE 0x00000400u
#define KP_STRSAFE_NULL_ON_FAILURE 0x00000800u
#define KP_STRSAFE_NO_TRUNCATION 0x00001000u
/** UNICODE_STRING spellings of 0x200 and 0x800. */
#define KP_STRSAFE_FILL_BEHIND 0x00000200u
#define KP_STRSAFE_ZERO_LENGTH_ON_FAILURE 0x00000800u
/** Every valid flag. */
#define KP_STRSAFE_VALID_FLAGS 0x00001FFFu

/** How a source operand is given. */
enum kp_strsafe_src_kind {
  KP_STRSAFE_SRC_SZ = 0,  /**< NUL-terminated units at @c text */
  KP_STRSAFE_SRC_COUNTED, /**< @c count units at @c text, NULs included */
  KP_STRSAFE_SRC_USTR     /**< @c text is a kp_counted16_t *, validated as
                               kp_ustr_validate() does */
};

/** A source operand (build it with kp_strsafe_sz / _counted / _ustr). */
typedef struct kp_strsafe_src {
  const void *text; /**< the units or the kp_counted16_t; NULL: none */
  size_t count;     /**< units for KP_STRSAFE_SRC_COUNTED */
  int kind;         /**< enum kp_strsafe_src_kind */
} kp_strsafe_src_t;

/**
 * Copy (RtlStringC{b,ch}Copy{,N}{,Ex}{A,W}, RtlStringC{b,ch}CopyUnicodeString).
 * @param dest      destination (NULL only with IGNORE_NULLS and size 0)
 * @param size      its size, in bytes when @p cb, else in characters
 * @param unit      1 (char) or 2 (WCHAR)
 * @param cb        sizes (@p size, @p max_copy, *@p remaining) are bytes
 * @param src       the source
 * @param max_copy  at most this many units (bytes when @p cb) are taken
 *                  from the source (the N forms); SIZE_MAX for no limit.
 *                  Above the maximum size: STATUS_INVALID_PARAMETER.
 * @param end       optional: receives the address of the result's NUL
 * @param remaining optional: receives the unused size, NUL included
 * @param flags     KP_STRSAFE_* (0 for the non-Ex forms)
 */
KP_API kp_status_t kp_strsafe_copy(void *dest, size_t size, unsigned unit,
                                   bool cb, kp_strsafe_src_t src,
                                   size_t max_copy, void **end,
                                   size_t *remaining, uint32_t flags);

/** Concatenation (RtlStringC{b,ch}Cat{,N}{,Ex}{A,W}): as kp_strsafe_copy,
 *  appending after the NUL already in @p dest. */
KP_API kp_status_t kp_strsafe_cat(void *dest, size_t size, unsigned unit,
                                  bool cb, kp_strsafe_src_t src,
                                  size_t max_copy, void **end,
                                  size_t *remaining, uint32_t flags);

/**
 * Formatting (RtlStringC{b,ch}{,V}Printf{,Ex}{A,W}): kpool/format.h's
 * dialect (floating point included) with @p fmt of @p unit-sized units.
 * A NULL @p fmt is "" with IGNORE_NULLS, else STATUS_INVALID_PARAMETER.
 */
KP_API kp_status_t kp_strsafe_vprintf(void *dest, size_t size, unsigned unit,
                                      bool cb, void **end, size_t *remaining,
                                      uint32_t flags, const void *fmt,
                                      va_list ap);

/**
 * Length (RtlStringC{b,ch}Length{A,W}, RtlUnalignedStringCchLengthW):
 * *@p length (optional) receives the units (bytes when @p cb) before the
 * NUL. STATUS_INVALID_PARAMETER when @p s is NULL, @p max exceeds the
 * maximum, or no NUL is found within @p max; *@p length is then 0.
 */
KP_API kp_status_t kp_strsafe_length(const void *s, size_t max, unsigned unit,
                                     bool cb, size_t *length);

/* ---------------------------------------------------------------------------
 * UNICODE_STRING forms. A kp_counted16_t has UNICODE_STRING's layout.
 * ------------------------------------------------------------------------- */

/**
 * RtlUnicodeStringInit(Ex): @p dest describes @p src (Buffer = src,
 * Length = its bytes, MaximumLength = Length + 2; NULL src: all zero).
 * STATUS_INVALID_PARAMETER when the string has KP_STRSAFE_USTR_MAX_CCH
 * characters or more (MaximumLength would not fit; @p dest is then
 * zeroed), when a flag other than IGNORE_NULLS is given, or when @p dest
 * is NULL — except with IGNORE_NULLS and a NULL @p src, which succeeds
 * doing nothing (RtlUnicodeStringInitEx).
 */
KP_API kp_status_t kp_ustr_init(kp_counted16_t *dest, const uint16_t *src,
                                uint32_t flags);

/**
 * RtlUnicodeStringValidate(Ex): STATUS_INVALID_PARAMETER when Length or
 * MaximumLength is odd, Length > MaximumLength, MaximumLength exceeds
 * KP_STRSAFE_USTR_MAX_CCH * 2, or Buffer is NULL with a non-zero length;
 * a NULL @p s is invalid unless IGNORE_NULLS; a flag other than
 * IGNORE_NULLS is invalid.
 */
KP_API kp_status_t kp_ustr_validate(const kp_counted16_t *s, uint32_t flags);

/**
 * RtlUnicodeString{Copy,CopyString,C{b,ch}CopyN,C{b,ch}CopyStringN}(Ex):
 * copies @p src into @p dest's buffer and sets its Length. @p max_copy
 * limits the units taken (bytes when @p cb; SIZE_MAX: none; above the
 * UNICODE_STRING maximum: STATUS_INVALID_PARAMETER). @p remaining
 * (optional) receives Buffer = the end of the result, Length = 0,
 * MaximumLength = the bytes left. Failure flags: FILL_ON_FAILURE fills the
 * whole buffer (Length = MaximumLength, or 0 for fill byte 0);
 * ZERO_LENGTH_ON_FAILURE and NO_TRUNCATION set Length 0. FILL_BEHIND fills
 * after the result on success.
 */
KP_API kp_status_t kp_ustr_copy(kp_counted16_t *dest, kp_strsafe_src_t src,
                                bool cb, size_t max_copy,
                                kp_counted16_t *remaining, uint32_t flags);

/** RtlUnicodeString{Cat,CatString,C{b,ch}CatN,C{b,ch}CatStringN}(Ex): as
 *  kp_ustr_copy, appending; NO_TRUNCATION keeps the original Length. */
KP_API kp_status_t kp_ustr_cat(kp_counted16_t *dest, kp_strsafe_src_t src,
                               bool cb, size_t max_copy,
                               kp_counted16_t *remaining, uint32_t flags);

/** RtlUnicodeString{,V}Printf(Ex): formats the UTF-16 @p fmt into
 *  @p dest's buffer (not NUL-terminated) and sets Length. */
KP_API kp_status_t kp_ustr_vprintf(kp_counted16_t *dest,
                                   kp_counted16_t *remaining, uint32_t flags,
                                   const uint16_t *fmt, va_list ap);

/** A NUL-terminated source for the functions above. */
static inline kp_strsafe_src_t kp_strsafe_sz(const void *text) {
  kp_strsafe_src_t s;
  s.text = text;
  s.count = 0;
  s.kind = KP_STRSAFE_SRC_SZ;
  return s;
}

/** A counted source of @p count units (a UNICODE_STRING's Length / 2). */
static inline kp_strsafe_src_t kp_strsafe_counted(const void *text,
                                                  size_t count) {
  kp_strsafe_src_t s;
  s.text = text;
  s.count = count;
  s.kind = KP_STRSAFE_SRC_COUNTED;
  return s;
}

/** A UNICODE_STRING source (NULL allowed only with IGNORE_NULLS; an
 *  invalid one gives STATUS_INVALID_PARAMETER). */
static inline kp_strsafe_src_t kp_strsafe_ustr(const kp_counted16_t *us) {
  kp_strsafe_src_t s;
  s.text = us;
  s.count = 0;
  s.kind = KP_STRSAFE_SRC_USTR;
  return s;
}

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_STRSAFE_H */
