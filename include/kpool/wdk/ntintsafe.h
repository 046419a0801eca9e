/**
 * @file ntintsafe.h (kpool WDK face)
 * @brief The WDK's ntintsafe.h: overflow-checked integer arithmetic and
 *        conversions for kernel-mode code, over kpool/intsafe.h.
 *
 * What it gives (facts §8.4, Microsoft's ntintsafe pages):
 *
 * - `Rtl<Type>Add`, `Rtl<Type>Sub`, `Rtl<Type>Mult(a, b, &result)` for the
 *   unsigned types UChar, UInt8, Byte, UShort, Word, UInt, ULong, DWord,
 *   ULongLong, DWordLong, ULong64, DWord64, UInt64, SizeT, SIZET,
 *   ULongPtr, DWordPtr, UIntPtr and the signed types Int8, Short, Int,
 *   Long, LongLong, Int64, Long64, LongPtr, IntPtr, SSIZET, PtrdiffT.
 *   The WDK compiles the signed arithmetic only with
 *   ENABLE_INTSAFE_SIGNED_FUNCTIONS defined; kpool always provides it.
 * - `Rtl<From>To<To>(value, &result)` for every pair of those types where
 *   the conversion can fail (RtlULongLongToULong, RtlSizeTToULong,
 *   RtlLongToULong, RtlIntToUInt, RtlULongPtrToULong, RtlLongLongToLong,
 *   RtlULongToUShort, ...). Conversions that cannot fail do not exist, as
 *   in the WDK.
 * - Each returns STATUS_SUCCESS with the exact result, or
 *   STATUS_INTEGER_OVERFLOW (0xC0000095) on overflow, underflow or
 *   truncation, with *result set to the type's error value (all ones:
 *   ULONG_ERROR 0xFFFFFFFF, SIZE_T_ERROR 0xFFFFFFFFFFFFFFFF, LONG_ERROR
 *   -1, ...). The docs only say the result "is not valid" on failure; the
 *   error values are the WDK header's.
 * - Sizes are those of 64-bit Windows: SIZE_T, ULONG_PTR and the *Ptr
 *   types are 64 bits (kpool supports 64-bit hosts only), LONG and ULONG
 *   32 bits.
 *
 * Pure computations: any IRQL, thread-safe.
 */
#ifndef KPOOL_WDK_NTINTSAFE_H
#define KPOOL_WDK_NTINTSAFE_H

#include "wdm.h"

#include "../intsafe.h"

/* Types the WDK's ntintsafe.h uses that wdm.h may not declare. A repeated
 * typedef of the same type is valid C11 and C++. */
typedef int INT, *PINT;
typedef unsigned int UINT, *PUINT;
typedef unsigned char BYTE, UINT8, *PUINT8;
typedef signed char INT8, *PINT8;
typedef unsigned short WORD;
typedef ULONG DWORD, *PDWORD;
typedef long long INT64, *PINT64;
typedef unsigned long long UINT64, DWORDLONG, DWORD64, *PUINT64;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR, DWORD_PTR;

C_ASSERT(sizeof(void *) == 8);

#ifndef STATUS_INTEGER_OVERFLOW
#define STATUS_INTEGER_OVERFLOW ((NTSTATUS)0xC0000095L)
#endif

/* The error values (all ones in the type). */
#define BYTE_ERROR 0xffu
#define UCHAR_ERROR 0xffu
#define USHORT_ERROR 0xffffu
#define WORD_ERROR 0xffffu
#define UINT_ERROR 0xffffffffu
#define ULONG_ERROR 0xffffffffUL
#define DWORD_ERROR 0xffffffffUL
#define ULONGLONG_ERROR 0xffffffffffffffffULL
#define DWORDLONG_ERROR 0xffffffffffffffffULL
#define ULONG64_ERROR 0xffffffffffffffffULL
#define DWORD64_ERROR 0xffffffffffffffffULL
#define UINT64_ERROR 0xffffffffffffffffULL
#define SIZE_T_ERROR ((SIZE_T)-1)
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)
#define DWORD_PTR_ERROR ((DWORD_PTR)-1)
#define UINT_PTR_ERROR ((UINT_PTR)-1)
#define INT8_ERROR (-1)
#define SHORT_ERROR (-1)
#define INT_ERROR (-1)
#define LONG_ERROR (-1L)
#define LONGLONG_ERROR (-1LL)
#define INT64_ERROR (-1LL)
#define LONG64_ERROR (-1LL)
#define LONG_PTR_ERROR (-1L)
#define INT_PTR_ERROR (-1)
#define SSIZE_T_ERROR (-1L)

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Arithmetic: unsigned types ---- */
FORCEINLINE NTSTATUS RtlUCharAdd(UCHAR a, UCHAR b, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUCharSub(UCHAR a, UCHAR b, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUCharMult(UCHAR a, UCHAR b, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt8Add(UINT8 a, UINT8 b, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt8Sub(UINT8 a, UINT8 b, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt8Mult(UINT8 a, UINT8 b, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlByteAdd(BYTE a, BYTE b, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlByteSub(BYTE a, BYTE b, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlByteMult(BYTE a, BYTE b, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortAdd(USHORT a, USHORT b, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortSub(USHORT a, USHORT b, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortMult(USHORT a, USHORT b, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordAdd(WORD a, WORD b, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordSub(WORD a, WORD b, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordMult(WORD a, WORD b, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntAdd(UINT a, UINT b, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntSub(UINT a, UINT b, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntMult(UINT a, UINT b, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongAdd(ULONG a, ULONG b, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongSub(ULONG a, ULONG b, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongMult(ULONG a, ULONG b, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordAdd(DWORD a, DWORD b, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordSub(DWORD a, DWORD b, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordMult(DWORD a, DWORD b, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongAdd(ULONGLONG a, ULONGLONG b,
                                     ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongSub(ULONGLONG a, ULONGLONG b,
                                     ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongMult(ULONGLONG a, ULONGLONG b,
                                      ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongAdd(DWORDLONG a, DWORDLONG b,
                                     DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongSub(DWORDLONG a, DWORDLONG b,
                                     DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongMult(DWORDLONG a, DWORDLONG b,
                                      DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64Add(ULONG64 a, ULONG64 b, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64Sub(ULONG64 a, ULONG64 b, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64Mult(ULONG64 a, ULONG64 b, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64Add(DWORD64 a, DWORD64 b, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64Sub(DWORD64 a, DWORD64 b, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64Mult(DWORD64 a, DWORD64 b, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64Add(UINT64 a, UINT64 b, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64Sub(UINT64 a, UINT64 b, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64Mult(UINT64 a, UINT64 b, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTAdd(size_t a, size_t b, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTSub(size_t a, size_t b, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTMult(size_t a, size_t b, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETAdd(SIZE_T a, SIZE_T b, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETSub(SIZE_T a, SIZE_T b, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETMult(SIZE_T a, SIZE_T b, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrAdd(ULONG_PTR a, ULONG_PTR b,
                                    ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrSub(ULONG_PTR a, ULONG_PTR b,
                                    ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrMult(ULONG_PTR a, ULONG_PTR b,
                                     ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrAdd(DWORD_PTR a, DWORD_PTR b,
                                    DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrSub(DWORD_PTR a, DWORD_PTR b,
                                    DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrMult(DWORD_PTR a, DWORD_PTR b,
                                     DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrAdd(UINT_PTR a, UINT_PTR b, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_uadd(a, b, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrSub(UINT_PTR a, UINT_PTR b, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_usub(a, b, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrMult(UINT_PTR a, UINT_PTR b, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_umul(a, b, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
/* ---- Arithmetic: signed types ---- */
FORCEINLINE NTSTATUS RtlInt8Add(INT8 a, INT8 b, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8Sub(INT8 a, INT8 b, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8Mult(INT8 a, INT8 b, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortAdd(SHORT a, SHORT b, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortSub(SHORT a, SHORT b, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortMult(SHORT a, SHORT b, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntAdd(INT a, INT b, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntSub(INT a, INT b, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntMult(INT a, INT b, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongAdd(LONG a, LONG b, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongSub(LONG a, LONG b, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongMult(LONG a, LONG b, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongAdd(LONGLONG a, LONGLONG b, LONGLONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongSub(LONGLONG a, LONGLONG b, LONGLONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongMult(LONGLONG a, LONGLONG b, LONGLONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64Add(INT64 a, INT64 b, INT64 *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64Sub(INT64 a, INT64 b, INT64 *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64Mult(INT64 a, INT64 b, INT64 *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64Add(LONG64 a, LONG64 b, LONG64 *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64Sub(LONG64 a, LONG64 b, LONG64 *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64Mult(LONG64 a, LONG64 b, LONG64 *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INT64_MIN, INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrAdd(LONG_PTR a, LONG_PTR b, LONG_PTR *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrSub(LONG_PTR a, LONG_PTR b, LONG_PTR *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrMult(LONG_PTR a, LONG_PTR b, LONG_PTR *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrAdd(INT_PTR a, INT_PTR b, INT_PTR *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrSub(INT_PTR a, INT_PTR b, INT_PTR *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrMult(INT_PTR a, INT_PTR b, INT_PTR *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETAdd(SSIZE_T a, SSIZE_T b, SSIZE_T *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETSub(SSIZE_T a, SSIZE_T b, SSIZE_T *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETMult(SSIZE_T a, SSIZE_T b, SSIZE_T *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTAdd(ptrdiff_t a, ptrdiff_t b,
                                    ptrdiff_t *result) {
  int64_t r;
  NTSTATUS st = kp_int_sadd(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTSub(ptrdiff_t a, ptrdiff_t b,
                                    ptrdiff_t *result) {
  int64_t r;
  NTSTATUS st = kp_int_ssub(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTMult(ptrdiff_t a, ptrdiff_t b,
                                     ptrdiff_t *result) {
  int64_t r;
  NTSTATUS st = kp_int_smul(a, b, INTPTR_MIN, INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
/* ---- Conversions that can fail ---- */
FORCEINLINE NTSTATUS RtlUCharToInt8(UCHAR v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt8ToInt8(UINT8 v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlByteToInt8(BYTE v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortToUChar(USHORT v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortToUInt8(USHORT v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortToByte(USHORT v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortToInt8(USHORT v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUShortToShort(USHORT v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordToUChar(WORD v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordToUInt8(WORD v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordToByte(WORD v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordToInt8(WORD v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlWordToShort(WORD v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToUChar(UINT v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToUInt8(UINT v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToByte(UINT v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToUShort(UINT v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToWord(UINT v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToInt8(UINT v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToShort(UINT v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToInt(UINT v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntToLong(UINT v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToUChar(ULONG v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToUInt8(ULONG v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToByte(ULONG v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToUShort(ULONG v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToWord(ULONG v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToInt8(ULONG v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToShort(ULONG v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToInt(ULONG v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongToLong(ULONG v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToUChar(DWORD v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToUInt8(DWORD v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToByte(DWORD v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToUShort(DWORD v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToWord(DWORD v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToInt8(DWORD v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToShort(DWORD v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToInt(DWORD v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordToLong(DWORD v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToUChar(ULONGLONG v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToUInt8(ULONGLONG v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToByte(ULONGLONG v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToUShort(ULONGLONG v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToWord(ULONGLONG v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToUInt(ULONGLONG v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToULong(ULONGLONG v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToDWord(ULONGLONG v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToInt8(ULONGLONG v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToShort(ULONGLONG v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToInt(ULONGLONG v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToLong(ULONGLONG v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToLongLong(ULONGLONG v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToInt64(ULONGLONG v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToLong64(ULONGLONG v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToLongPtr(ULONGLONG v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToIntPtr(ULONGLONG v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToSSIZET(ULONGLONG v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongLongToPtrdiffT(ULONGLONG v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToUChar(DWORDLONG v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToUInt8(DWORDLONG v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToByte(DWORDLONG v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToUShort(DWORDLONG v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToWord(DWORDLONG v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToUInt(DWORDLONG v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToULong(DWORDLONG v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToDWord(DWORDLONG v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToInt8(DWORDLONG v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToShort(DWORDLONG v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToInt(DWORDLONG v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToLong(DWORDLONG v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToLongLong(DWORDLONG v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToInt64(DWORDLONG v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToLong64(DWORDLONG v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToLongPtr(DWORDLONG v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToIntPtr(DWORDLONG v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToSSIZET(DWORDLONG v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordLongToPtrdiffT(DWORDLONG v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToUChar(ULONG64 v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToUInt8(ULONG64 v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToByte(ULONG64 v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToUShort(ULONG64 v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToWord(ULONG64 v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToUInt(ULONG64 v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToULong(ULONG64 v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToDWord(ULONG64 v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToInt8(ULONG64 v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToShort(ULONG64 v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToInt(ULONG64 v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToLong(ULONG64 v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToLongLong(ULONG64 v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToInt64(ULONG64 v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToLong64(ULONG64 v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToLongPtr(ULONG64 v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToIntPtr(ULONG64 v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToSSIZET(ULONG64 v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULong64ToPtrdiffT(ULONG64 v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToUChar(DWORD64 v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToUInt8(DWORD64 v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToByte(DWORD64 v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToUShort(DWORD64 v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToWord(DWORD64 v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToUInt(DWORD64 v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToULong(DWORD64 v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToDWord(DWORD64 v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToInt8(DWORD64 v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToShort(DWORD64 v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToInt(DWORD64 v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToLong(DWORD64 v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToLongLong(DWORD64 v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToInt64(DWORD64 v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToLong64(DWORD64 v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToLongPtr(DWORD64 v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToIntPtr(DWORD64 v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToSSIZET(DWORD64 v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWord64ToPtrdiffT(DWORD64 v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToUChar(UINT64 v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToUInt8(UINT64 v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToByte(UINT64 v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToUShort(UINT64 v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToWord(UINT64 v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToUInt(UINT64 v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToULong(UINT64 v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToDWord(UINT64 v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToInt8(UINT64 v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToShort(UINT64 v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToInt(UINT64 v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToLong(UINT64 v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToLongLong(UINT64 v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToInt64(UINT64 v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToLong64(UINT64 v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToLongPtr(UINT64 v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToIntPtr(UINT64 v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToSSIZET(UINT64 v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUInt64ToPtrdiffT(UINT64 v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToUChar(size_t v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToUInt8(size_t v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToByte(size_t v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToUShort(size_t v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToWord(size_t v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToUInt(size_t v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToULong(size_t v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToDWord(size_t v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToInt8(size_t v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToShort(size_t v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToInt(size_t v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToLong(size_t v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToLongLong(size_t v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToInt64(size_t v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToLong64(size_t v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToLongPtr(size_t v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToIntPtr(size_t v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToSSIZET(size_t v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSizeTToPtrdiffT(size_t v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToUChar(SIZE_T v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToUInt8(SIZE_T v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToByte(SIZE_T v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToUShort(SIZE_T v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToWord(SIZE_T v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToUInt(SIZE_T v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToULong(SIZE_T v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToDWord(SIZE_T v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToInt8(SIZE_T v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToShort(SIZE_T v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToInt(SIZE_T v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToLong(SIZE_T v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToLongLong(SIZE_T v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToInt64(SIZE_T v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToLong64(SIZE_T v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToLongPtr(SIZE_T v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToIntPtr(SIZE_T v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToSSIZET(SIZE_T v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSIZETToPtrdiffT(SIZE_T v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToUChar(ULONG_PTR v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToUInt8(ULONG_PTR v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToByte(ULONG_PTR v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToUShort(ULONG_PTR v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToWord(ULONG_PTR v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToUInt(ULONG_PTR v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToULong(ULONG_PTR v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToDWord(ULONG_PTR v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToInt8(ULONG_PTR v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToShort(ULONG_PTR v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToInt(ULONG_PTR v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToLong(ULONG_PTR v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToLongLong(ULONG_PTR v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToInt64(ULONG_PTR v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToLong64(ULONG_PTR v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToLongPtr(ULONG_PTR v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToIntPtr(ULONG_PTR v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToSSIZET(ULONG_PTR v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlULongPtrToPtrdiffT(ULONG_PTR v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToUChar(DWORD_PTR v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToUInt8(DWORD_PTR v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToByte(DWORD_PTR v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToUShort(DWORD_PTR v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToWord(DWORD_PTR v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToUInt(DWORD_PTR v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToULong(DWORD_PTR v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToDWord(DWORD_PTR v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToInt8(DWORD_PTR v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToShort(DWORD_PTR v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToInt(DWORD_PTR v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToLong(DWORD_PTR v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToLongLong(DWORD_PTR v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToInt64(DWORD_PTR v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToLong64(DWORD_PTR v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToLongPtr(DWORD_PTR v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToIntPtr(DWORD_PTR v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToSSIZET(DWORD_PTR v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlDWordPtrToPtrdiffT(DWORD_PTR v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToUChar(UINT_PTR v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToUInt8(UINT_PTR v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToByte(UINT_PTR v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToUShort(UINT_PTR v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToWord(UINT_PTR v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToUInt(UINT_PTR v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToULong(UINT_PTR v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToDWord(UINT_PTR v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToInt8(UINT_PTR v, INT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToShort(UINT_PTR v, SHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToInt(UINT_PTR v, INT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToLong(UINT_PTR v, LONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToLongLong(UINT_PTR v, LONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToInt64(UINT_PTR v, INT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (INT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToLong64(UINT_PTR v, LONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INT64_MAX, &r);
  *result = (LONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToLongPtr(UINT_PTR v, LONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (LONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToIntPtr(UINT_PTR v, INT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (INT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToSSIZET(UINT_PTR v, SSIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (SSIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlUIntPtrToPtrdiffT(UINT_PTR v, ptrdiff_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_utou(v, (uint64_t)INTPTR_MAX, &r);
  *result = (ptrdiff_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToUChar(INT8 v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToUInt8(INT8 v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToByte(INT8 v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToUShort(INT8 v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToWord(INT8 v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToUInt(INT8 v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToULong(INT8 v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToDWord(INT8 v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToULongLong(INT8 v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToDWordLong(INT8 v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToULong64(INT8 v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToDWord64(INT8 v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToUInt64(INT8 v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToSizeT(INT8 v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToSIZET(INT8 v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToULongPtr(INT8 v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToDWordPtr(INT8 v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt8ToUIntPtr(INT8 v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToUChar(SHORT v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToUInt8(SHORT v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToByte(SHORT v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToUShort(SHORT v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToWord(SHORT v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToUInt(SHORT v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToULong(SHORT v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToDWord(SHORT v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToULongLong(SHORT v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToDWordLong(SHORT v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToULong64(SHORT v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToDWord64(SHORT v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToUInt64(SHORT v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToSizeT(SHORT v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToSIZET(SHORT v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToULongPtr(SHORT v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToDWordPtr(SHORT v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToUIntPtr(SHORT v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlShortToInt8(SHORT v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToUChar(INT v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToUInt8(INT v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToByte(INT v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToUShort(INT v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToWord(INT v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToUInt(INT v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToULong(INT v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToDWord(INT v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToULongLong(INT v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToDWordLong(INT v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToULong64(INT v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToDWord64(INT v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToUInt64(INT v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToSizeT(INT v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToSIZET(INT v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToULongPtr(INT v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToDWordPtr(INT v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToUIntPtr(INT v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToInt8(INT v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntToShort(INT v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToUChar(LONG v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToUInt8(LONG v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToByte(LONG v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToUShort(LONG v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToWord(LONG v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToUInt(LONG v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToULong(LONG v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToDWord(LONG v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToULongLong(LONG v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToDWordLong(LONG v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToULong64(LONG v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToDWord64(LONG v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToUInt64(LONG v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToSizeT(LONG v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToSIZET(LONG v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToULongPtr(LONG v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToDWordPtr(LONG v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToUIntPtr(LONG v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToInt8(LONG v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongToShort(LONG v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToUChar(LONGLONG v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToUInt8(LONGLONG v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToByte(LONGLONG v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToUShort(LONGLONG v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToWord(LONGLONG v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToUInt(LONGLONG v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToULong(LONGLONG v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToDWord(LONGLONG v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToULongLong(LONGLONG v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToDWordLong(LONGLONG v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToULong64(LONGLONG v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToDWord64(LONGLONG v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToUInt64(LONGLONG v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToSizeT(LONGLONG v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToSIZET(LONGLONG v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToULongPtr(LONGLONG v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToDWordPtr(LONGLONG v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToUIntPtr(LONGLONG v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToInt8(LONGLONG v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToShort(LONGLONG v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToInt(LONGLONG v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongLongToLong(LONGLONG v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToUChar(INT64 v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToUInt8(INT64 v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToByte(INT64 v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToUShort(INT64 v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToWord(INT64 v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToUInt(INT64 v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToULong(INT64 v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToDWord(INT64 v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToULongLong(INT64 v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToDWordLong(INT64 v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToULong64(INT64 v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToDWord64(INT64 v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToUInt64(INT64 v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToSizeT(INT64 v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToSIZET(INT64 v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToULongPtr(INT64 v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToDWordPtr(INT64 v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToUIntPtr(INT64 v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToInt8(INT64 v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToShort(INT64 v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToInt(INT64 v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlInt64ToLong(INT64 v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToUChar(LONG64 v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToUInt8(LONG64 v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToByte(LONG64 v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToUShort(LONG64 v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToWord(LONG64 v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToUInt(LONG64 v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToULong(LONG64 v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToDWord(LONG64 v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToULongLong(LONG64 v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToDWordLong(LONG64 v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToULong64(LONG64 v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToDWord64(LONG64 v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToUInt64(LONG64 v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToSizeT(LONG64 v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToSIZET(LONG64 v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToULongPtr(LONG64 v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToDWordPtr(LONG64 v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToUIntPtr(LONG64 v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToInt8(LONG64 v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToShort(LONG64 v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToInt(LONG64 v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLong64ToLong(LONG64 v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToUChar(LONG_PTR v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToUInt8(LONG_PTR v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToByte(LONG_PTR v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToUShort(LONG_PTR v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToWord(LONG_PTR v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToUInt(LONG_PTR v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToULong(LONG_PTR v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToDWord(LONG_PTR v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToULongLong(LONG_PTR v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToDWordLong(LONG_PTR v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToULong64(LONG_PTR v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToDWord64(LONG_PTR v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToUInt64(LONG_PTR v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToSizeT(LONG_PTR v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToSIZET(LONG_PTR v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToULongPtr(LONG_PTR v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToDWordPtr(LONG_PTR v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToUIntPtr(LONG_PTR v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToInt8(LONG_PTR v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToShort(LONG_PTR v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToInt(LONG_PTR v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlLongPtrToLong(LONG_PTR v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToUChar(INT_PTR v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToUInt8(INT_PTR v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToByte(INT_PTR v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToUShort(INT_PTR v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToWord(INT_PTR v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToUInt(INT_PTR v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToULong(INT_PTR v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToDWord(INT_PTR v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToULongLong(INT_PTR v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToDWordLong(INT_PTR v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToULong64(INT_PTR v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToDWord64(INT_PTR v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToUInt64(INT_PTR v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToSizeT(INT_PTR v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToSIZET(INT_PTR v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToULongPtr(INT_PTR v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToDWordPtr(INT_PTR v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToUIntPtr(INT_PTR v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToInt8(INT_PTR v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToShort(INT_PTR v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToInt(INT_PTR v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlIntPtrToLong(INT_PTR v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToUChar(SSIZE_T v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToUInt8(SSIZE_T v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToByte(SSIZE_T v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToUShort(SSIZE_T v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToWord(SSIZE_T v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToUInt(SSIZE_T v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToULong(SSIZE_T v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToDWord(SSIZE_T v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToULongLong(SSIZE_T v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToDWordLong(SSIZE_T v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToULong64(SSIZE_T v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToDWord64(SSIZE_T v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToUInt64(SSIZE_T v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToSizeT(SSIZE_T v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToSIZET(SSIZE_T v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToULongPtr(SSIZE_T v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToDWordPtr(SSIZE_T v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToUIntPtr(SSIZE_T v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToInt8(SSIZE_T v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToShort(SSIZE_T v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToInt(SSIZE_T v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlSSIZETToLong(SSIZE_T v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToUChar(ptrdiff_t v, UCHAR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UCHAR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToUInt8(ptrdiff_t v, UINT8 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (UINT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToByte(ptrdiff_t v, BYTE *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFu, &r);
  *result = (BYTE)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToUShort(ptrdiff_t v, USHORT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (USHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToWord(ptrdiff_t v, WORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFu, &r);
  *result = (WORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToUInt(ptrdiff_t v, UINT *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (UINT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToULong(ptrdiff_t v, ULONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (ULONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToDWord(ptrdiff_t v, DWORD *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, 0xFFFFFFFFu, &r);
  *result = (DWORD)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToULongLong(ptrdiff_t v, ULONGLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONGLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToDWordLong(ptrdiff_t v, DWORDLONG *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORDLONG)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToULong64(ptrdiff_t v, ULONG64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (ULONG64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToDWord64(ptrdiff_t v, DWORD64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (DWORD64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToUInt64(ptrdiff_t v, UINT64 *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINT64_MAX, &r);
  *result = (UINT64)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToSizeT(ptrdiff_t v, size_t *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (size_t)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToSIZET(ptrdiff_t v, SIZE_T *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (SIZE_T)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToULongPtr(ptrdiff_t v, ULONG_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (ULONG_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToDWordPtr(ptrdiff_t v, DWORD_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (DWORD_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToUIntPtr(ptrdiff_t v, UINT_PTR *result) {
  uint64_t r;
  NTSTATUS st = kp_int_stou(v, UINTPTR_MAX, &r);
  *result = (UINT_PTR)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToInt8(ptrdiff_t v, INT8 *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-128), 127, &r);
  *result = (INT8)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToShort(ptrdiff_t v, SHORT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-32768), 32767, &r);
  *result = (SHORT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToInt(ptrdiff_t v, INT *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (INT)r;
  return st;
}
FORCEINLINE NTSTATUS RtlPtrdiffTToLong(ptrdiff_t v, LONG *result) {
  int64_t r;
  NTSTATUS st = kp_int_stos(v, (-2147483647 - 1), 2147483647, &r);
  *result = (LONG)r;
  return st;
}

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_NTINTSAFE_H */
