/**
 * @file kpool/common.h
 * @brief Basic types shared by every kpool header: the export macro,
 *        NTSTATUS-valued status codes, pool tags and call sites.
 *
 * Public kpool headers include only <stddef.h>, <stdint.h> and <stdbool.h>
 * (plus <setjmp.h> in kpool/raise.h, which needs jmp_buf). No OS header is
 * ever pulled into a user's translation unit.
 */
#ifndef KPOOL_COMMON_H
#define KPOOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------
 * Visibility. KP_BUILDING_SHARED is set privately while building a shared
 * kpool, KP_USING_SHARED on the interface of the shared target.
 * ------------------------------------------------------------------------- */
#if defined(KP_BUILDING_SHARED) && defined(KP_USING_SHARED)
#error "define at most one of KP_BUILDING_SHARED and KP_USING_SHARED"
#endif
#if defined(_WIN32)
#if defined(KP_BUILDING_SHARED)
#define KP_API __declspec(dllexport)
#elif defined(KP_USING_SHARED)
#define KP_API __declspec(dllimport)
#else
#define KP_API
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define KP_API __attribute__((visibility("default")))
#else
#define KP_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define KP_NORETURN __attribute__((noreturn))
#define KP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KP_NORETURN
#define KP_PRINTF(fmt, args)
#endif

/* Site forwarders. A function taking a kp_site_t by value makes its caller
 * build the 32-byte struct with narrow stores and then copy it with wide
 * loads, which stall store forwarding (about 7 ns a call on x86-64). Where
 * the compiler allows it, the hot core entry points that take a site by
 * value (kp_alloc2, kp_free, kp_lookaside_alloc, kp_lookaside_free) are
 * macros over always-inlined forwarders that pass the site by address to
 * their _at function: same arguments, results and recorded sites (inlined
 * also at -O0, so a return address the library records is still the
 * caller's). The exported functions remain for function pointers and other
 * compilers. Being macros, they take a C compound literal as the site only
 * in parentheses, `kp_free(s, p, t, ((kp_site_t){...}))`, and no C++ braced
 * list; KP_HERE, KP_NOSITE and kp_site() are fine. Define
 * KPOOL_NO_SITE_FORWARDERS to call the functions. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(KPOOL_NO_SITE_FORWARDERS)
#define KP_SITE_FORWARDERS 1
#define KP_FORWARDER static inline __attribute__((always_inline))
#else
#define KP_SITE_FORWARDERS 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The simulated machine. Opaque; see kpool/system.h. */
typedef struct kp_system kp_system_t;

/** Output function for reports: receives NUL-terminated text pieces. */
typedef void (*kp_output_fn)(const char *text, void *arg);

/* ---------------------------------------------------------------------------
 * Status codes: real NTSTATUS values, success is >= 0 (NT_SUCCESS).
 * ------------------------------------------------------------------------- */

/** An NTSTATUS value. */
typedef int32_t kp_status_t;

/** True when @p st is a success or informational status (NT_SUCCESS). */
#define KP_SUCCESS(st) ((kp_status_t)(st) >= 0)

/* The codes kpool returns or raises. XX(name, value, text). */
#define KP_STATUS_MAP(XX)                                                      \
  XX(SUCCESS, 0x00000000u, "success")                                          \
  XX(ABANDONED, 0x00000080u, "abandoned (wait 0)")                             \
  XX(USER_APC, 0x000000C0u, "user APC")                                        \
  XX(ALERTED, 0x00000101u, "alerted")                                          \
  XX(TIMEOUT, 0x00000102u, "timeout")                                          \
  XX(PENDING, 0x00000103u, "pending")                                          \
  XX(SOME_NOT_MAPPED, 0x00000107u, "some not mapped")                          \
  XX(DATATYPE_MISALIGNMENT, 0x80000002u, "datatype misalignment")              \
  XX(BREAKPOINT, 0x80000003u, "breakpoint")                                    \
  XX(BUFFER_OVERFLOW, 0x80000005u, "buffer overflow")                          \
  XX(UNSUCCESSFUL, 0xC0000001u, "unsuccessful")                                \
  XX(NOT_IMPLEMENTED, 0xC0000002u, "not implemented")                          \
  XX(ACCESS_VIOLATION, 0xC0000005u, "access violation")                        \
  XX(INVALID_HANDLE, 0xC0000008u, "invalid handle")                            \
  XX(INVALID_PARAMETER, 0xC000000Du, "invalid parameter")                      \
  XX(NO_MEMORY, 0xC0000017u, "no memory")                                      \
  XX(ACCESS_DENIED, 0xC0000022u, "access denied")                              \
  XX(BUFFER_TOO_SMALL, 0xC0000023u, "buffer too small")                        \
  XX(INVALID_PARAMETER_MIX, 0xC0000030u, "invalid parameter mix")              \
  XX(OBJECT_TYPE_MISMATCH, 0xC0000024u, "object type mismatch")              \
  XX(QUOTA_EXCEEDED, 0xC0000044u, "quota exceeded")                            \
  XX(MUTANT_NOT_OWNED, 0xC0000046u, "mutant not owned")                        \
  XX(SEMAPHORE_LIMIT_EXCEEDED, 0xC0000047u, "semaphore limit exceeded")        \
  XX(INTEGER_OVERFLOW, 0xC0000095u, "integer overflow")                        \
  XX(INSUFFICIENT_RESOURCES, 0xC000009Au, "insufficient resources")            \
  XX(NOT_SUPPORTED, 0xC00000BBu, "not supported")                              \
  XX(INVALID_PARAMETER_1, 0xC00000EFu, "invalid parameter 1")                  \
  XX(INVALID_PARAMETER_2, 0xC00000F0u, "invalid parameter 2")                  \
  XX(INVALID_PARAMETER_3, 0xC00000F1u, "invalid parameter 3")                  \
  XX(INVALID_PARAMETER_4, 0xC00000F2u, "invalid parameter 4")                  \
  XX(INVALID_PARAMETER_5, 0xC00000F3u, "invalid parameter 5")                  \
  XX(INVALID_PARAMETER_6, 0xC00000F4u, "invalid parameter 6")                  \
  XX(INVALID_PARAMETER_7, 0xC00000F5u, "invalid parameter 7")                  \
  XX(NAME_TOO_LONG, 0xC0000106u, "name too long")                              \
  XX(CANCELLED, 0xC0000120u, "cancelled")                                      \
  XX(INVALID_ADDRESS, 0xC0000141u, "invalid address")                          \
  XX(MUTANT_LIMIT_EXCEEDED, 0xC0000191u, "mutant limit exceeded")              \
  XX(INVALID_BUFFER_SIZE, 0xC0000206u, "invalid buffer size")                  \
  XX(NOT_FOUND, 0xC0000225u, "not found")                                      \
  XX(HEAP_CORRUPTION, 0xC0000374u, "heap corruption")                          \
  XX(ASSERTION_FAILURE, 0xC0000420u, "assertion failure")

/* The uint32_t -> int32_t conversion is implementation-defined before C23;
 * every compiler kpool supports wraps, and status.c checks it statically. */
#define KP_STATUS_ENUM_(name, value, text) KP_STATUS_##name = (kp_status_t)(value),
/** Named NTSTATUS values (KP_STATUS_INSUFFICIENT_RESOURCES, ...). */
enum kp_status_code { KP_STATUS_MAP(KP_STATUS_ENUM_) KP_STATUS_LAST_ = 0 };
#undef KP_STATUS_ENUM_

/**
 * The symbolic name of a status ("STATUS_INSUFFICIENT_RESOURCES"), or NULL
 * for a value kpool does not know. Knows every KP_STATUS_* code and every
 * status of the WDK face (the ~190 statuses drivers commonly use, facts
 * §10.2); for values with two names (STATUS_WAIT_0, STATUS_ABANDONED_WAIT_0)
 * it gives the first (STATUS_SUCCESS, STATUS_ABANDONED). Thread-safe.
 */
KP_API const char *kp_status_name(kp_status_t st);

/* ---------------------------------------------------------------------------
 * Pool tags.
 * ------------------------------------------------------------------------- */

/**
 * A pool tag: a ULONG whose four bytes, in memory order, are the text that
 * PoolMon and the debugger show. The C literal 'gaT1' is 0x67615431, whose
 * bytes are "1Tag".
 */
typedef uint32_t kp_tag_t;

/**
 * Builds the tag that *displays* as the four characters a, b, c, d.
 * KP_TAG('T','a','g','1') == 'gaT1' == 0x67615431, shown as "Tag1".
 * Use it where multi-character literals are unwelcome (they are
 * implementation-defined in C; gcc, clang and MSVC agree on their value).
 */
#define KP_TAG(a, b, c, d)                                                     \
  ((kp_tag_t)((uint32_t)(uint8_t)(a) | ((uint32_t)(uint8_t)(b) << 8) |         \
              ((uint32_t)(uint8_t)(c) << 16) | ((uint32_t)(uint8_t)(d) << 24)))

/**
 * Writes the tag as text into @p out (5 bytes: four characters and a NUL),
 * in memory order, as PoolMon prints it. Bytes outside 0x20..0x7E print as
 * '.', except trailing NUL bytes of a short tag, which print as spaces.
 * Returns @p out. Thread-safe.
 */
KP_API char *kp_tag_text(kp_tag_t tag, char out[5]);

/* ---------------------------------------------------------------------------
 * Call sites.
 * ------------------------------------------------------------------------- */

/**
 * Where a call into the pool came from. @c file and @c line are set by the
 * call-site macros (the WDK face records them by default); @c caller is the
 * return address, used when no file is known. @c outer is the return
 * address of the function that contains file:line (who called it), which
 * the WDK face's allocation macros record: reports show it as "called from
 * <function> at <file:line>" and group leaks by it, so that allocations
 * made through a driver's own wrapper are told apart by the wrapper's
 * callers. All fields may be zero.
 */
typedef struct kp_site_s {
  const char *file;   /**< source file, or NULL */
  uint32_t line;      /**< source line, 0 when unknown */
  const void *caller; /**< return address in the caller, or NULL */
  const void *outer;  /**< return address of file:line's function, or NULL */
} kp_site_t;

/** Makes a kp_site_t (works in C and C++); no outer caller. */
static inline kp_site_t kp_site(const char *file, uint32_t line,
                                const void *caller) {
  kp_site_t s;
  s.file = file;
  s.line = line;
  s.caller = caller;
  s.outer = NULL;
  return s;
}

/** Makes a kp_site_t with the outer caller (see kp_site_t::outer). */
static inline kp_site_t kp_site_outer(const char *file, uint32_t line,
                                      const void *caller, const void *outer) {
  kp_site_t s = kp_site(file, line, caller);
  s.outer = outer;
  return s;
}

/** The current source position as a kp_site_t. */
#define KP_HERE kp_site(__FILE__, (uint32_t)__LINE__, NULL)

/** A site that says nothing: the simulator falls back to "unknown". */
#define KP_NOSITE kp_site(NULL, 0, NULL)

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_COMMON_H */
