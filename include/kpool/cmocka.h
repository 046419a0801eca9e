/**
 * @file kpool/cmocka.h
 * @brief CMocka helpers: assert that a statement raises a given simulated
 *        bug check, raises none, or raises an NTSTATUS exception — each in
 *        one line. Header-only; uses only the cmocka 1.1.5 API
 *        (print_error and _fail, which cmocka 2.x keeps).
 *
 * @code
 *   #include <kpool/cmocka.h> // stdarg, stddef, stdint, setjmp, cmocka
 *
 *   static void test_wrong_tag(void **state) {
 *     kp_system_t *sys = *state;
 *     const kp_tag_t tag1 = KP_TAG('T','a','g','1');
 *     void *volatile p = NULL; // live across KP_ASSERT_BUGCHECK's setjmp
 *     KP_ASSERT_NO_BUGCHECK(sys, p = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED,
 *                                              32, tag1, KP_HERE));
 *     KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A,
 *                        kp_free(sys, p, KP_TAG('T','a','g','2'), KP_HERE));
 *     KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, p, tag1, KP_HERE));
 *     KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
 *                      kp_raise_status(KP_STATUS_INSUFFICIENT_RESOURCES));
 *   }
 *
 *   // IRQL misuse goes to the current system; P4 not checked here:
 *   KP_ASSERT_BUGCHECK_PARAMS(kp_system_current(), 0xC4, 0x30,
 *                             KP_DISPATCH_LEVEL, KP_PASSIVE_LEVEL, KP_ANY,
 *                             kp_irql_raise(KP_PASSIVE_LEVEL));
 * @endcode
 *
 * How the assertions work: each installs a handler on @p sys (saving the
 * previous one) and runs the statement; then it restores the previous
 * handler and only after that checks the result, failing the test with
 * print_error() and _fail() at the assertion's file and line. So they
 * work inside setup and teardown functions, and nest: through function
 * calls, and also within one function (every expansion uses fresh
 * variable names).
 * - KP_ASSERT_BUGCHECK, KP_ASSERT_BUGCHECK_PARAMS and KP_CAPTURE_BUGCHECK
 *   come back with longjmp at the bug check, so the rest of the statement
 *   does not run (as on a real machine). A raise that escapes the
 *   statement behaves as without the assertion: with no enclosing KP_TRY
 *   it is the 0x1E bug check, which the assertion sees like any other;
 *   when an enclosing KP_TRY exists, the assertion registers a frame of
 *   its own in between, restores the handler and raises the same status
 *   again, so it reaches the enclosing KP_EXCEPT. They call setjmp in the
 *   test function (as cmocka's expect_assert_failure does), with the
 *   usual rule: a local assigned in the statement and read after the
 *   assertion must be volatile. gcc's -Wclobbered also flags locals that
 *   are only live across the assertion (a false positive when the
 *   statement does not assign them); declare those volatile too, or build
 *   tests with -Wno-clobbered. Returning instead of jumping is not an
 *   option for these: a bug check raised from a page fault (guard pages)
 *   cannot return to the faulting instruction.
 * - KP_ASSERT_NO_BUGCHECK uses no setjmp, so locals assigned in its
 *   statement need nothing special. Its handler records and returns: after
 *   an unexpected bug check the operation is abandoned as documented
 *   (NULL, no free, ...) and the statement goes on before the test fails.
 *   A raise that leaves its statement for an enclosing KP_TRY would skip
 *   the handler's restore: wrap raising code in KP_ASSERT_RAISES instead.
 *
 * Rules and limits:
 * - Bug checks go to the system that raises them. IRQL, spin lock, fast
 *   mutex and raise misuse goes to the current system: pass
 *   kp_system_current() (or make the test's system current) for those.
 * - Only bug checks raised by the calling thread are caught. One raised on
 *   another thread while an assertion runs is passed to the previous
 *   handler; if there was none (the default handler), it is printed and
 *   the handler returns, so the other thread's operation is abandoned.
 * - The statement must not fail a cmocka assertion or longjmp out by
 *   itself: the handler (and frame) would stay installed.
 * - State changed by the statement before the bug check stays changed
 *   (IRQL, held locks).
 * - KP_ANY (all bits set) cannot be matched as an exact parameter value.
 * - A NULL @p sys fails the assertion without running the statement.
 * - C++: this header wraps <cmocka.h> in extern "C" (cmocka 1.1.5's header
 *   has none). A C++ test that includes <cmocka.h> itself must do the same
 *   or include this header first.
 */
#ifndef KPOOL_CMOCKA_H
#define KPOOL_CMOCKA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
/* cmocka 1.1.5's header has no extern "C" of its own. */
#ifdef __cplusplus
extern "C" {
#endif
#include <cmocka.h>
#ifdef __cplusplus
}
#endif

#include "bugcheck.h"
#include "raise.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Wildcard for a bug check parameter that the assertion does not check. */
#define KP_ANY (~(uint64_t)0)

/* ---------------------------------------------------------------------------
 * The recorder: a ready-made handler that copies each bug check into a
 * kp_bugcheck_record_t, for tests that inspect P2..P4 or the text.
 * ------------------------------------------------------------------------- */

/** What kp_bugcheck_record_handler keeps of the last bug check. */
typedef struct kp_bugcheck_record {
  uint32_t count;          /**< bug checks recorded since kp_bugcheck_record_init */
  uint32_t code;           /**< last code, 0 if none */
  uint64_t params[4];      /**< last P1..P4 */
  kp_system_t *system;     /**< system that raised it (may be NULL) */
  uint32_t thread;         /**< kp_thread_id() of the thread that raised it */
  char name[64];           /**< "BAD_POOL_CALLER" (truncated if longer) */
  char stop_line[160];     /**< "*** STOP: 0x000000C2 (...)" */
  char explanation[4096];  /**< the report in words (truncated if longer) */
  /** When not NULL, the handler longjmps here (value 1) after recording;
   *  when NULL it returns, and the operation that bug checked is abandoned. */
  jmp_buf *jump;
} kp_bugcheck_record_t;

/** Empties @p rec (count 0, code 0, empty texts, no jump). */
static inline void kp_bugcheck_record_init(kp_bugcheck_record_t *rec) {
  if (rec == NULL) return;
  rec->count = 0;
  rec->code = 0;
  for (int i = 0; i < 4; i++) rec->params[i] = 0;
  rec->system = NULL;
  rec->thread = 0;
  rec->name[0] = '\0';
  rec->stop_line[0] = '\0';
  rec->explanation[0] = '\0';
  rec->jump = NULL;
}

static inline void kp_cmocka_copy_text_(char *dst, size_t cap,
                                        const char *src) {
  size_t i = 0;
  if (src != NULL)
    for (; i + 1 < cap && src[i] != '\0'; i++) dst[i] = src[i];
  dst[i] = '\0';
}

/**
 * A bug check handler: records @p bc into the kp_bugcheck_record_t passed
 * as @p arg, then longjmps to rec->jump if set, else returns. Install it
 * with kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, ...).
 * Not thread-safe: one record per thread.
 */
static inline void kp_bugcheck_record_handler(const kp_bugcheck_t *bc,
                                              void *arg) {
  kp_bugcheck_record_t *rec = (kp_bugcheck_record_t *)arg;
  if (rec == NULL || bc == NULL) return;
  rec->count++;
  rec->code = bc->code;
  for (int i = 0; i < 4; i++) rec->params[i] = bc->params[i];
  rec->system = bc->system;
  rec->thread = kp_thread_id();
  kp_cmocka_copy_text_(rec->name, sizeof rec->name, bc->name);
  kp_cmocka_copy_text_(rec->stop_line, sizeof rec->stop_line, bc->stop_line);
  kp_cmocka_copy_text_(rec->explanation, sizeof rec->explanation,
                       bc->explanation);
  if (rec->jump != NULL) longjmp(*rec->jump, 1);
}

/**
 * True when @p rec holds at least one bug check and the last one has
 * @p code and parameters @p p1..@p p4, each compared unless it is KP_ANY.
 * This is the test the assertions below make.
 */
static inline bool kp_bugcheck_record_matches(const kp_bugcheck_record_t *rec,
                                              uint32_t code, uint64_t p1,
                                              uint64_t p2, uint64_t p3,
                                              uint64_t p4) {
  if (rec == NULL || rec->count == 0 || rec->code != code) return false;
  const uint64_t want[4] = {p1, p2, p3, p4};
  for (int i = 0; i < 4; i++)
    if (want[i] != KP_ANY && want[i] != rec->params[i]) return false;
  return true;
}

/* ---------------------------------------------------------------------------
 * The machinery behind the assertions. Use the macros, not these.
 * ------------------------------------------------------------------------- */

/** One running assertion (lives on the test's stack). */
typedef struct kp_cmocka_catch {
  kp_try_frame_t frame;       /**< env gets bug checks (and raises, if registered) */
  kp_bugcheck_record_t record;
  kp_system_t *sys;
  kp_bugcheck_fn prev_fn;
  void *prev_arg;
  uint32_t thread;
  bool active;                /**< handler installed */
  bool framed;                /**< frame registered (an enclosing KP_TRY exists) */
} kp_cmocka_catch_t;

static inline void kp_cmocka_catch_handler_(const kp_bugcheck_t *bc,
                                            void *arg) {
  kp_cmocka_catch_t *c = (kp_cmocka_catch_t *)arg;
  if (kp_thread_id() != c->thread) {
    // Not ours to catch: the test's stack is on another thread.
    if (c->prev_fn != NULL) {
      c->prev_fn(bc, c->prev_arg);
    } else {
      kp_bugcheck_print(bc, NULL, NULL);
    }
    return;
  }
  kp_bugcheck_record_handler(bc, &c->record);
}

/* Installs the handler; bug checks longjmp to c->frame.env when
 * @p jumps. With @p jumps and an enclosing KP_TRY, also registers the frame
 * so that a raise cannot skip the restore. False for a NULL system. */
static inline bool kp_cmocka_begin_(kp_cmocka_catch_t *c, kp_system_t *sys,
                                    bool jumps) {
  kp_bugcheck_record_init(&c->record);
  c->record.jump = jumps ? &c->frame.env : NULL;
  c->sys = sys;
  c->prev_fn = NULL;
  c->prev_arg = NULL;
  c->thread = kp_thread_id();
  c->active = false;
  c->framed = false;
  if (sys == NULL) return false;
  kp_bugcheck_set_handler(sys, kp_cmocka_catch_handler_, c, &c->prev_fn,
                          &c->prev_arg);
  c->active = true;
  if (jumps && kp_try_active()) {
    kp_try_enter(&c->frame);
    c->framed = true;
  }
  return true;
}

/* Unregisters the frame (and any inner frame the statement left behind
 * when a bug check cut it short) and restores the previous handler. */
static inline void kp_cmocka_end_(kp_cmocka_catch_t *c) {
  if (!c->active) return;
  c->active = false;
  if (c->framed) kp_try_leave(&c->frame);
  c->framed = false;
  kp_bugcheck_set_handler(c->sys, c->prev_fn, c->prev_arg, NULL, NULL);
}

/*
 * Called after longjmp landed in c->frame.env. A bug check: clean up. A
 * raise (only possible when the frame was registered; the raise already
 * unregistered it): restore the handler and raise the status again, so it
 * reaches the enclosing frame as if this assertion were not there.
 */
static inline void kp_cmocka_landed_(kp_cmocka_catch_t *c) {
  if (c->record.count == 0 && c->framed) {
    kp_status_t st = c->frame.status;
    c->framed = false;
    kp_cmocka_end_(c);
    kp_raise_status(st);
    return;
  }
  kp_cmocka_end_(c);
}

static inline void kp_cmocka_report_(const kp_bugcheck_record_t *r) {
  print_error("  got: %s %s\n", r->stop_line, r->name);
  if (r->explanation[0] != '\0') print_error("%s\n", r->explanation);
}

static inline void kp_cmocka_expect_bugcheck_(const kp_cmocka_catch_t *c,
                                              uint32_t code, uint64_t p1,
                                              uint64_t p2, uint64_t p3,
                                              uint64_t p4, const char *text,
                                              const char *file, int line) {
  const kp_bugcheck_record_t *r = &c->record;
  if (c->sys == NULL) {
    print_error("%s:%d: KP_ASSERT_BUGCHECK on a NULL system: `%s` not run\n",
                file, line, text);
    _fail(file, line);
    return;
  }
  if (kp_bugcheck_record_matches(r, code, p1, p2, p3, p4)) return;
  const uint64_t want[4] = {p1, p2, p3, p4};
  print_error("%s:%d: `%s` should raise bug check 0x%08X with", file, line,
              text, (unsigned)code);
  int checked = 0;
  for (int i = 0; i < 4; i++) {
    if (want[i] == KP_ANY) continue;
    print_error("%s P%d 0x%llX", checked++ ? "," : "", i + 1,
                (unsigned long long)want[i]);
  }
  print_error("%s\n", checked ? "" : " any parameters");
  if (r->count == 0)
    print_error("  got: no bug check\n");
  else
    kp_cmocka_report_(r);
  _fail(file, line);
}

static inline void kp_cmocka_expect_none_(const kp_cmocka_catch_t *c,
                                          const char *text, const char *file,
                                          int line) {
  if (c->sys == NULL) {
    print_error("%s:%d: KP_ASSERT_NO_BUGCHECK on a NULL system: `%s` not "
                "run\n",
                file, line, text);
    _fail(file, line);
    return;
  }
  if (c->record.count == 0) return;
  print_error("%s:%d: `%s` should raise no bug check; it raised %u, the "
              "last one:\n",
              file, line, text, (unsigned)c->record.count);
  kp_cmocka_report_(&c->record);
  _fail(file, line);
}

static inline void kp_cmocka_expect_raise_(bool raised, kp_status_t got,
                                           kp_status_t want, const char *text,
                                           const char *file, int line) {
  if (raised && got == want) return;
  const char *want_name = kp_status_name(want);
  if (!raised) {
    print_error("%s:%d: `%s` should raise 0x%08X (%s) but returned normally\n",
                file, line, text, (unsigned)(uint32_t)want,
                want_name != NULL ? want_name : "?");
  } else {
    const char *got_name = kp_status_name(got);
    print_error("%s:%d: `%s` should raise 0x%08X (%s) but raised 0x%08X (%s)\n",
                file, line, text, (unsigned)(uint32_t)want,
                want_name != NULL ? want_name : "?", (unsigned)(uint32_t)got,
                got_name != NULL ? got_name : "?");
  }
  _fail(file, line);
}

#define KP_CMOCKA_CAT2_(a, b) a##b
#define KP_CMOCKA_CAT_(a, b) KP_CMOCKA_CAT2_(a, b)
#if defined(__COUNTER__)
#define KP_CMOCKA_NAME_(base) KP_CMOCKA_CAT_(base, __COUNTER__)
#else
#define KP_CMOCKA_NAME_(base) KP_CMOCKA_CAT_(base, __LINE__)
#endif

/* Runs the statement under catch @c_. setjmp is the whole controlling
 * expression's operand of ==, one of the forms C allows. */
#define KP_CMOCKA_RUN_(c_, sys_, ...)                                          \
  if (kp_cmocka_begin_(&(c_), (sys_), true)) {                                 \
    if (setjmp((c_).frame.env) == 0) {                                         \
      __VA_ARGS__;                                                             \
      kp_cmocka_end_(&(c_));                                                   \
    } else {                                                                   \
      kp_cmocka_landed_(&(c_));                                                \
    }                                                                          \
  }

#define KP_CMOCKA_BUGCHECK_(c_, sys_, code_, p1_, p2_, p3_, p4_, text_, ...)   \
  do {                                                                         \
    kp_cmocka_catch_t c_;                                                      \
    KP_CMOCKA_RUN_(c_, sys_, __VA_ARGS__)                                      \
    kp_cmocka_expect_bugcheck_(&(c_), (uint32_t)(code_), (uint64_t)(p1_),      \
                               (uint64_t)(p2_), (uint64_t)(p3_), (uint64_t)(p4_), \
                               text_, __FILE__, __LINE__);                     \
  } while (0)

#define KP_CMOCKA_NO_BUGCHECK_(c_, sys_, text_, ...)                           \
  do {                                                                         \
    kp_cmocka_catch_t c_;                                                      \
    if (kp_cmocka_begin_(&(c_), (sys_), false)) {                              \
      __VA_ARGS__;                                                             \
      kp_cmocka_end_(&(c_));                                                   \
    }                                                                          \
    kp_cmocka_expect_none_(&(c_), text_, __FILE__, __LINE__);                  \
  } while (0)

#define KP_CMOCKA_CAPTURE_(c_, sys_, rec_, ...)                                \
  do {                                                                         \
    kp_cmocka_catch_t c_;                                                      \
    KP_CMOCKA_RUN_(c_, sys_, __VA_ARGS__)                                      \
    *(rec_) = (c_).record;                                                     \
    (rec_)->jump = NULL;                                                       \
  } while (0)

#define KP_CMOCKA_RAISES_(f_, status_, text_, ...)                             \
  do {                                                                         \
    kp_try_frame_t f_;                                                         \
    kp_try_enter(&(f_));                                                       \
    if (setjmp((f_).env) == 0) {                                               \
      __VA_ARGS__;                                                             \
      kp_try_leave(&(f_));                                                     \
      kp_cmocka_expect_raise_(false, 0, (kp_status_t)(status_), text_, __FILE__, \
                              __LINE__);                                       \
    } else {                                                                   \
      kp_cmocka_expect_raise_(true, (f_).status, (kp_status_t)(status_), text_, \
                              __FILE__, __LINE__);                             \
    }                                                                          \
  } while (0)

/* ---------------------------------------------------------------------------
 * The assertions. The statement comes last and may contain commas.
 * ------------------------------------------------------------------------- */

/**
 * Runs the statement and fails the test unless it raised, on @p sys, bug
 * check @p code with Parameter 1 @p p1 (P2..P4 not checked).
 * Example: KP_ASSERT_BUGCHECK(sys, 0xC2, 0x0A, kp_free_tag(sys, p, wrong, KP_HERE));
 */
#define KP_ASSERT_BUGCHECK(sys, code, p1, ...)                                 \
  KP_CMOCKA_BUGCHECK_(KP_CMOCKA_NAME_(kp_cmocka_c_), sys, code, p1, KP_ANY,    \
                      KP_ANY, KP_ANY, #__VA_ARGS__, __VA_ARGS__)

/**
 * Like KP_ASSERT_BUGCHECK, also checking P2..P4; pass KP_ANY for a
 * parameter that is not to be checked.
 */
#define KP_ASSERT_BUGCHECK_PARAMS(sys, code, p1, p2, p3, p4, ...)              \
  KP_CMOCKA_BUGCHECK_(KP_CMOCKA_NAME_(kp_cmocka_c_), sys, code, p1, p2, p3,    \
                      p4, #__VA_ARGS__, __VA_ARGS__)

/**
 * Runs the statement and fails the test if it raised any bug check on
 * @p sys (the last report is printed). No setjmp: the handler returns, so
 * the statement runs to its end even after a bug check.
 */
#define KP_ASSERT_NO_BUGCHECK(sys, ...)                                        \
  KP_CMOCKA_NO_BUGCHECK_(KP_CMOCKA_NAME_(kp_cmocka_c_), sys, #__VA_ARGS__,     \
                         __VA_ARGS__)

/**
 * Runs the statement and copies what it raised on @p sys into the
 * kp_bugcheck_record_t pointed to by @p rec (count 0 when nothing; jump
 * NULL). Asserts nothing: check the record's fields afterwards.
 */
#define KP_CAPTURE_BUGCHECK(sys, rec, ...)                                     \
  KP_CMOCKA_CAPTURE_(KP_CMOCKA_NAME_(kp_cmocka_c_), sys, rec, __VA_ARGS__)

/**
 * Runs the statement inside a KP_TRY frame and fails the test unless it
 * raised exactly @p status (an NTSTATUS, e.g. KP_STATUS_INSUFFICIENT_RESOURCES).
 */
#define KP_ASSERT_RAISES(status, ...)                                          \
  KP_CMOCKA_RAISES_(KP_CMOCKA_NAME_(kp_cmocka_f_), status, #__VA_ARGS__,       \
                    __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_CMOCKA_H */
