/*
 * test_lookaside.c — lookaside lists: layout, initial state, the exact
 * counters, routines and their arguments, statuses of
 * ExInitializeLookasideListEx, raises, every lifetime bug check, poisoned
 * cached entries (and, under ASan, the ASan report), reports. Adaptive
 * depth is in test_lookaside_depth.c, threads in test_lookaside_stress.c.
 */
#if !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fork, pipe, dup2 for the ASan test */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpool/cmocka.h"
#include "kpool/kpool.h"
#include <wdm.h>

#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#if defined(T_ASAN)
#include <sanitizer/asan_interface.h>
#include <sys/wait.h>
#include <unistd.h>
/* A "driver" write the test wants the simulator, not ASan, to find. */
#define T_NO_ASAN __attribute__((no_sanitize("address"), noinline))
#else
#define T_NO_ASAN
#endif

#define TAG1 KP_TAG('L', 'a', 'T', '1')
#define TAG2 KP_TAG('L', 'a', 'T', '2')

/* ---------------------------------------------------------------------------
 * Fixture: a fresh current system per test, output captured. No pool
 * tracking, so abandoned operations do not turn into leak bug checks.
 * ------------------------------------------------------------------------- */
static char out_buf[1 << 16];
static size_t out_len;

static void capture(const char *text, void *arg) {
  (void)arg;
  size_t n = strlen(text);
  if (out_len + n >= sizeof out_buf) n = sizeof out_buf - 1 - out_len;
  memcpy(out_buf + out_len, text, n);
  out_len += n;
  out_buf[out_len] = '\0';
}

static kp_system_t *make_system(uint32_t verifier_flags) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.verifier_flags = verifier_flags;
  cfg.out = capture;
  return kp_system_create(&cfg);
}

static int setup(void **state) {
  kp_system_t *sys = make_system(KP_VERIFY_AUTOMATIC);
  if (sys == NULL) return -1;
  kp_system_set_current(sys);
  out_len = 0;
  out_buf[0] = '\0';
  *state = sys;
  return 0;
}

static int teardown(void **state) {
  kp_system_t *sys = *state;
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_system_set_current(NULL);
  kp_system_destroy(sys);
  return 0;
}

T_NO_ASAN static void driver_write(void *p, size_t offset, uint8_t value) {
  ((volatile uint8_t *)p)[offset] = value;
}

T_NO_ASAN static uint8_t driver_read(const void *p, size_t offset) {
  return ((const volatile uint8_t *)p)[offset];
}

/* ---------------------------------------------------------------------------
 * Custom routines that record what they receive.
 * ------------------------------------------------------------------------- */
static struct {
  int allocs;
  int frees;
  uint32_t type;
  size_t size;
  kp_tag_t tag;
  void *list;
  void *freed;
  bool fail;
} rt;

static void rt_reset(void) { memset(&rt, 0, sizeof rt); }

static void *heap16(size_t size) {
  size = (size + 15) & ~(size_t)15;
  return aligned_alloc(16, size);
}

static void *core_alloc_ex(uint32_t type, size_t size, kp_tag_t tag,
                           kp_lookaside_t *list) {
  rt.allocs++;
  rt.type = type;
  rt.size = size;
  rt.tag = tag;
  rt.list = list;
  return rt.fail ? NULL : heap16(size);
}

static void core_free_ex(void *p, kp_lookaside_t *list) {
  rt.frees++;
  rt.freed = p;
  rt.list = list;
  free(p);
}

static PVOID NTAPI wdk_alloc(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  rt.allocs++;
  rt.type = (uint32_t)PoolType;
  rt.size = NumberOfBytes;
  rt.tag = Tag;
  return rt.fail ? NULL : heap16(NumberOfBytes);
}

static VOID NTAPI wdk_free(PVOID Buffer) {
  rt.frees++;
  rt.freed = Buffer;
  free(Buffer);
}

static PVOID NTAPI wdk_alloc_ex(POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                ULONG Tag, PLOOKASIDE_LIST_EX Lookaside) {
  rt.list = Lookaside;
  return wdk_alloc(PoolType, NumberOfBytes, Tag);
}

static VOID NTAPI wdk_free_ex(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside) {
  rt.list = Lookaside;
  wdk_free(Buffer);
}

/* ---------------------------------------------------------------------------
 * Layout and initial state.
 * ------------------------------------------------------------------------- */
static void test_layout(void **state) {
  (void)state;
  assert_int_equal(sizeof(GENERAL_LOOKASIDE), 0x80);
  assert_int_equal(_Alignof(GENERAL_LOOKASIDE), 64);
  assert_int_equal(sizeof(GENERAL_LOOKASIDE_POOL), 0x60);
  assert_int_equal(sizeof(LOOKASIDE_LIST_EX), 0x60);
  assert_int_equal(sizeof(NPAGED_LOOKASIDE_LIST), 0x80);
  assert_int_equal(sizeof(PAGED_LOOKASIDE_LIST), 0x80);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, Depth), 0x10);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, MaximumDepth), 0x12);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, TotalAllocates), 0x14);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, AllocateMisses), 0x18);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, AllocateHits), 0x18);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, TotalFrees), 0x1C);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, FreeMisses), 0x20);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, Type), 0x24);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, Tag), 0x28);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, Size), 0x2C);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, Allocate), 0x30);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, FreeEx), 0x38);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, ListEntry), 0x40);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, LastTotalAllocates), 0x50);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, LastAllocateMisses), 0x54);
  assert_int_equal(offsetof(GENERAL_LOOKASIDE, Future), 0x58);
  assert_int_equal(sizeof(kp_lookaside_t), 0x60);
}

static void test_initial_state_classic(void **state) {
  (void)state;
  NPAGED_LOOKASIDE_LIST np;
  PAGED_LOOKASIDE_LIST pg;
  memset(&np, 0xAB, sizeof np); /* garbage before init */
  memset(&pg, 0xAB, sizeof pg);
  /* The Depth argument (99) is ignored. */
  ExInitializeNPagedLookasideList(&np, NULL, NULL, POOL_NX_ALLOCATION, 48, TAG1, 99);
  ExInitializePagedLookasideList(&pg, NULL, NULL, POOL_RAISE_IF_ALLOCATION_FAILURE,
                                 40, TAG2, 0);
  assert_int_equal(np.L.Depth, 4);
  assert_int_equal(np.L.MaximumDepth, 256);
  assert_int_equal(np.L.TotalAllocates, 0);
  assert_int_equal(np.L.AllocateMisses, 0);
  assert_int_equal(np.L.TotalFrees, 0);
  assert_int_equal(np.L.FreeMisses, 0);
  assert_int_equal(np.L.LastTotalAllocates, 0);
  assert_int_equal(np.L.LastAllocateMisses, 0);
  assert_int_equal(np.L.Type, NonPagedPool | POOL_NX_ALLOCATION);
  assert_int_equal(np.L.Tag, TAG1);
  assert_int_equal(np.L.Size, 48);
  assert_int_equal(ExQueryDepthSList(&np.L.ListHead), 0);
  assert_non_null(np.L.Allocate);
  assert_non_null(np.L.Free);
  assert_int_equal(pg.L.Type, PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE);
  assert_int_equal(pg.L.Depth, 4);
  assert_int_equal(pg.L.MaximumDepth, 256);

  kp_lookaside_info_t info;
  assert_true(kp_lookaside_query(NULL, (kp_lookaside_t *)(void *)&np, &info));
  assert_int_equal(info.kind, KP_LOOKASIDE_NPAGED);
  assert_int_equal(info.pool, KP_POOL_NONPAGED);
  assert_true(info.default_allocate);
  assert_true(info.default_free);
  assert_true(kp_lookaside_query(NULL, (kp_lookaside_t *)(void *)&pg, &info));
  assert_int_equal(info.kind, KP_LOOKASIDE_PAGED);
  assert_int_equal(info.pool, KP_POOL_PAGED);
  ExDeleteNPagedLookasideList(&np);
  ExDeletePagedLookasideList(&pg);
  assert_false(kp_lookaside_query(NULL, (kp_lookaside_t *)(void *)&np, &info));
}

static void test_initial_state_ex(void **state) {
  (void)state;
  LOOKASIDE_LIST_EX l;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx,
                                               EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL,
                                               64, TAG1, 7),
                   STATUS_SUCCESS);
  assert_int_equal(l.L.Depth, 4);
  assert_int_equal(l.L.MaximumDepth, 256);
  assert_int_equal(l.L.Type, NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE);
  assert_int_equal(l.L.Size, 64);
  ExDeleteLookasideListEx(&l);

  rt_reset();
  assert_int_equal(ExInitializeLookasideListEx(&l, wdk_alloc_ex, wdk_free_ex,
                                               PagedPool,
                                               EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
                                               24, TAG2, 0),
                   STATUS_SUCCESS);
  assert_int_equal(l.L.Type, PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE);
  ExDeleteLookasideListEx(&l);
}

/* ---------------------------------------------------------------------------
 * The counters, exactly as Windows moves them.
 * ------------------------------------------------------------------------- */
static void test_counters_and_lifo(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0,
                                               32, TAG1, 0),
                   STATUS_SUCCESS);
  void *e[6];
  /* Empty list: every allocation misses and reaches the pool. */
  for (int i = 0; i < 6; i++) {
    e[i] = ExAllocateFromLookasideListEx(&l);
    assert_non_null(e[i]);
    assert_int_equal(l.L.TotalAllocates, i + 1);
    assert_int_equal(l.L.AllocateMisses, i + 1);
  }
  kp_block_info_t bi;
  assert_true(kp_block_query(sys, e[0], &bi));
  assert_int_equal(bi.tag, TAG1);
  assert_int_equal(bi.size, 32);
  assert_int_equal(bi.api, KP_API_LOOKASIDE);
  /* Frees push while the list holds fewer than Depth (4) entries. */
  for (int i = 0; i < 6; i++) {
    ExFreeToLookasideListEx(&l, e[i]);
    assert_int_equal(l.L.TotalFrees, i + 1);
    assert_int_equal(l.L.FreeMisses, i < 4 ? 0 : i - 3);
    assert_int_equal(ExQueryDepthSList(&l.L.ListHead), i < 4 ? i + 1 : 4);
  }
  /* The two free misses went back to pool. */
  assert_false(kp_block_query(sys, e[4], &bi));
  assert_false(kp_block_query(sys, e[5], &bi));
  assert_true(kp_block_query(sys, e[3], &bi));
  /* LIFO hits: e[3], e[2], e[1], e[0]; then a miss. */
  for (int i = 3; i >= 0; i--) {
    assert_ptr_equal(ExAllocateFromLookasideListEx(&l), e[i]);
    assert_int_equal(l.L.AllocateMisses, 6);
  }
  assert_int_equal(l.L.TotalAllocates, 10);
  void *m = ExAllocateFromLookasideListEx(&l);
  assert_non_null(m);
  assert_int_equal(l.L.TotalAllocates, 11);
  assert_int_equal(l.L.AllocateMisses, 7);
  for (int i = 0; i < 4; i++) ExFreeToLookasideListEx(&l, e[i]);
  ExFreeToLookasideListEx(&l, m);
  assert_int_equal(l.L.TotalFrees, 11);
  assert_int_equal(l.L.FreeMisses, 3);
  /* Nothing in the scan fields until the balance set manager runs. */
  assert_int_equal(l.L.LastTotalAllocates, 0);
  assert_int_equal(l.L.LastAllocateMisses, 0);
  ExDeleteLookasideListEx(&l);
  /* Delete gave the four cached entries back to pool. */
  for (int i = 0; i < 4; i++) assert_false(kp_block_query(sys, e[i], &bi));
}

static void test_depth_limits_the_cache(void **state) {
  kp_system_t *sys = *state;
  kp_lookaside_t *l = aligned_alloc(16, sizeof *l);
  assert_non_null(l);
  assert_int_equal(kp_lookaside_init_ex(sys, l, NULL, NULL, 0, 0, 32, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_true(kp_lookaside_set_depth(sys, l, 1));
  assert_int_equal(l->depth, 1);
  void *a = kp_lookaside_alloc(sys, l, KP_HERE);
  void *b = kp_lookaside_alloc(sys, l, KP_HERE);
  kp_lookaside_free(sys, l, a, KP_HERE);
  kp_lookaside_free(sys, l, b, KP_HERE);
  assert_int_equal(kp_lookaside_cached(l), 1);
  assert_int_equal(l->free_misses, 1);
  /* Clamped to MaximumDepth. */
  assert_true(kp_lookaside_set_depth(sys, l, 5000));
  assert_int_equal(l->depth, 256);
  kp_lookaside_delete(sys, l, KP_HERE);
  assert_false(kp_lookaside_set_depth(sys, l, 3));
  free(l);
}

/* ---------------------------------------------------------------------------
 * Routines and what they receive.
 * ------------------------------------------------------------------------- */
static void test_core_routines_receive_type_flags_and_list(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  rt_reset();
  assert_int_equal(kp_lookaside_init_ex(sys, &l, core_alloc_ex, core_free_ex,
                                        KP_POOL_TYPE_PAGED,
                                        KP_LOOKASIDE_EX_FLAGS_RAISE_ON_FAIL, 100,
                                        TAG2, 0, KP_HERE),
                   KP_STATUS_SUCCESS);
  void *p = kp_lookaside_alloc(sys, &l, KP_HERE);
  assert_non_null(p);
  assert_int_equal(rt.allocs, 1);
  assert_int_equal(rt.type, KP_POOL_TYPE_PAGED | KP_POOL_RAISE_IF_ALLOCATION_FAILURE);
  assert_int_equal(rt.size, 100);
  assert_int_equal(rt.tag, TAG2);
  assert_ptr_equal(rt.list, &l);
  kp_lookaside_free(sys, &l, p, KP_HERE);
  assert_int_equal(rt.frees, 0); /* cached */
  kp_lookaside_flush(sys, &l, KP_HERE);
  assert_int_equal(rt.frees, 1);
  assert_ptr_equal(rt.freed, p);
  assert_ptr_equal(rt.list, &l);
  /* Flush moves no counter. */
  assert_int_equal(l.total_allocates, 1);
  assert_int_equal(l.total_frees, 1);
  assert_int_equal(l.free_misses, 0);
  assert_int_equal(kp_lookaside_cached(&l), 0);
  /* A failing routine: NULL, counted as a miss. */
  rt.fail = true;
  assert_null(kp_lookaside_alloc(sys, &l, KP_HERE));
  assert_int_equal(l.total_allocates, 2);
  assert_int_equal(l.allocate_misses, 2);
  kp_lookaside_delete(sys, &l, KP_HERE);
}

static void test_wdk_routines_classic_and_ex(void **state) {
  (void)state;
  NPAGED_LOOKASIDE_LIST np;
  PAGED_LOOKASIDE_LIST pg;
  LOOKASIDE_LIST_EX ex;
  rt_reset();
  ExInitializeNPagedLookasideList(&np, wdk_alloc, wdk_free,
                                  POOL_NX_ALLOCATION | POOL_RAISE_IF_ALLOCATION_FAILURE,
                                  56, TAG1, 0);
  void *p = ExAllocateFromNPagedLookasideList(&np);
  assert_non_null(p);
  assert_int_equal(rt.type, NonPagedPool | POOL_NX_ALLOCATION |
                                POOL_RAISE_IF_ALLOCATION_FAILURE);
  assert_int_equal(rt.size, 56);
  assert_int_equal(rt.tag, TAG1);
  ExFreeToNPagedLookasideList(&np, p);
  ExDeleteNPagedLookasideList(&np);
  assert_int_equal(rt.frees, 1);
  assert_ptr_equal(rt.freed, p);

  rt_reset();
  ExInitializePagedLookasideList(&pg, wdk_alloc, wdk_free, 0, 24, TAG2, 0);
  p = ExAllocateFromPagedLookasideList(&pg);
  assert_int_equal(rt.type, PagedPool);
  ExFreeToPagedLookasideList(&pg, p);
  ExDeletePagedLookasideList(&pg);
  assert_int_equal(rt.frees, 1);

  rt_reset();
  assert_int_equal(ExInitializeLookasideListEx(&ex, wdk_alloc_ex, wdk_free_ex,
                                               NonPagedPoolNxCacheAligned, 0, 72,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  p = ExAllocateFromLookasideListEx(&ex);
  assert_int_equal(rt.type, NonPagedPoolNxCacheAligned);
  assert_ptr_equal(rt.list, &ex);
  ExFreeToLookasideListEx(&ex, p);
  ExFlushLookasideListEx(&ex);
  assert_int_equal(rt.frees, 1);
  assert_ptr_equal(rt.list, &ex);
  ExDeleteLookasideListEx(&ex);

  /* The real functions (taking the address, or parentheses) work too. */
  PVOID (*alloc_fn)(PLOOKASIDE_LIST_EX) = ExAllocateFromLookasideListEx;
  assert_int_equal((ExInitializeLookasideListEx)(&ex, NULL, NULL, PagedPool, 0, 32,
                                                 TAG2, 0),
                   STATUS_SUCCESS);
  p = alloc_fn(&ex);
  assert_non_null(p);
  (ExFreeToLookasideListEx)(&ex, p);
  (ExDeleteLookasideListEx)(&ex);
}

static void test_default_allocator_raise_on_fail(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  /* Larger than the 128 MiB non-paged budget: the default allocation fails. */
  const SIZE_T huge = (SIZE_T)512 << 20;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx,
                                               EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL,
                                               huge, TAG1, 0),
                   STATUS_SUCCESS);
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES, ExAllocateFromLookasideListEx(&l));
  /* Counted before the routine ran, as on Windows. */
  assert_int_equal(l.L.TotalAllocates, 1);
  assert_int_equal(l.L.AllocateMisses, 1);
  ExDeleteLookasideListEx(&l);

  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0,
                                               huge, TAG1, 0),
                   STATUS_SUCCESS);
  KP_ASSERT_NO_BUGCHECK(sys, assert_null(ExAllocateFromLookasideListEx(&l)));
  ExDeleteLookasideListEx(&l);

  NPAGED_LOOKASIDE_LIST np;
  ExInitializeNPagedLookasideList(&np, NULL, NULL, POOL_RAISE_IF_ALLOCATION_FAILURE,
                                  huge, TAG1, 0);
  KP_ASSERT_RAISES(KP_STATUS_INSUFFICIENT_RESOURCES,
                   ExAllocateFromNPagedLookasideList(&np));
  ExDeleteNPagedLookasideList(&np);
}

/* ---------------------------------------------------------------------------
 * Bad values: statuses and raises.
 * ------------------------------------------------------------------------- */
static void test_ex_init_statuses(void **state) {
  (void)state;
  LOOKASIDE_LIST_EX l;
  static const uint32_t bad_types[] = {2, 3, 6, 7, 8, 16, 34, 35, 38, 513,
                                       0 | POOL_RAISE_IF_ALLOCATION_FAILURE,
                                       1 | POOL_COLD_ALLOCATION, 0x10000};
  for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
    memset(&l, 0x5A, sizeof l);
    assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL,
                                                 (POOL_TYPE)bad_types[i], 0, 32,
                                                 TAG1, 0),
                     STATUS_INVALID_PARAMETER_4);
    /* The list is left untouched. */
    assert_int_equal(l.L.Depth, 0x5A5A);
  }
  static const uint32_t good_types[] = {0, 1, 4, 5, 512, 516, 32, 33, 36, 37, 544};
  for (size_t i = 0; i < sizeof good_types / sizeof good_types[0]; i++) {
    assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL,
                                                 (POOL_TYPE)good_types[i], 0, 32,
                                                 TAG1, 0),
                     STATUS_SUCCESS);
    ExDeleteLookasideListEx(&l);
  }
  /* Flags: both, unknown bits, FAIL_NO_RAISE with the default allocator. */
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 3, 32,
                                               TAG1, 0),
                   STATUS_INVALID_PARAMETER_5);
  assert_int_equal(ExInitializeLookasideListEx(&l, wdk_alloc_ex, NULL, NonPagedPoolNx,
                                               4, 32, TAG1, 0),
                   STATUS_INVALID_PARAMETER_5);
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx,
                                               EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
                                               32, TAG1, 0),
                   STATUS_INVALID_PARAMETER_5);
  /* Pool type is checked before the flags. */
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, (POOL_TYPE)3, 3, 32,
                                               TAG1, 0),
                   STATUS_INVALID_PARAMETER_4);
  /* Size must fit the ULONG field. */
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0,
                                               (SIZE_T)1 << 32, TAG1, 0),
                   STATUS_INVALID_PARAMETER_6);
}

static void test_classic_bad_flags_raise(void **state) {
  (void)state;
  NPAGED_LOOKASIDE_LIST np;
  PAGED_LOOKASIDE_LIST pg;
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER_4,
                   ExInitializeNPagedLookasideList(&np, NULL, NULL, 1, 32, TAG1, 0));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER_4,
                   ExInitializePagedLookasideList(&pg, NULL, NULL,
                                                  POOL_QUOTA_FAIL_INSTEAD_OF_RAISE,
                                                  32, TAG1, 0));
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER_5,
                   ExInitializeNPagedLookasideList(&np, NULL, NULL, 0,
                                                   (SIZE_T)1 << 33, TAG1, 0));
  /* None of them became active. */
  kp_lookaside_info_t info;
  assert_false(kp_lookaside_query(NULL, (kp_lookaside_t *)(void *)&np, &info));
  assert_false(kp_lookaside_query(NULL, (kp_lookaside_t *)(void *)&pg, &info));
}

static void test_classic_init_of_ex_kind_raises(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  memset(&l, 0, sizeof l);
  KP_ASSERT_RAISES(KP_STATUS_INVALID_PARAMETER,
                   kp_lookaside_init(sys, &l, KP_LOOKASIDE_EX, NULL, NULL, 0, 32,
                                     TAG1, 0, KP_HERE));
  kp_lookaside_info_t info;
  assert_false(kp_lookaside_query(sys, &l, &info));
}

static void test_null_and_misaligned_raise(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) unsigned char raw[0x80];
  kp_lookaside_t *bad = (kp_lookaside_t *)(void *)(raw + 8);
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION, kp_lookaside_alloc(sys, NULL, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION,
                   kp_lookaside_init_ex(sys, NULL, NULL, NULL, 0, 0, 32, TAG1, 0, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT,
                   kp_lookaside_init_ex(sys, bad, NULL, NULL, 0, 0, 32, TAG1, 0, KP_HERE));
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION, ExDeleteLookasideListEx(NULL));

  LOOKASIDE_LIST_EX l;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  void *p = ExAllocateFromLookasideListEx(&l);
  KP_ASSERT_RAISES(KP_STATUS_ACCESS_VIOLATION, ExFreeToLookasideListEx(&l, NULL));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT,
                   ExFreeToLookasideListEx(&l, (char *)p + 8));
  /* Nothing was counted by the refused frees. */
  assert_int_equal(l.L.TotalFrees, 0);
  ExFreeToLookasideListEx(&l, p);
  ExDeleteLookasideListEx(&l);
}

/* ---------------------------------------------------------------------------
 * Lifetime bug checks.
 * ------------------------------------------------------------------------- */
static void test_reinit_active_is_0xCA(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  NPAGED_LOOKASIDE_LIST np;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  void *p = ExAllocateFromLookasideListEx(&l);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCA, (uintptr_t)&l, 0, 0,
                            ExInitializeLookasideListEx(&l, NULL, NULL, PagedPool,
                                                        0, 64, TAG2, 0));
  /* The active list was not touched. */
  assert_int_equal(l.L.Size, 32);
  assert_int_equal(l.L.TotalAllocates, 1);
  ExInitializeNPagedLookasideList(&np, NULL, NULL, 0, 32, TAG1, 0);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCA, (uintptr_t)&np, 0, 0,
                            ExInitializeNPagedLookasideList(&np, NULL, NULL, 0, 32,
                                                            TAG1, 0));
  ExFreeToLookasideListEx(&l, p);
  ExDeleteLookasideListEx(&l);
  ExDeleteNPagedLookasideList(&np);
  /* After delete, initialising again is fine. */
  KP_ASSERT_NO_BUGCHECK(sys, ExInitializeNPagedLookasideList(&np, NULL, NULL, 0, 32,
                                                             TAG1, 0));
  ExDeleteNPagedLookasideList(&np);
}

static void test_delete_or_use_uninitialised_is_0xCB(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  memset(&l, 0, sizeof l);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 0, 0,
                            ExDeleteLookasideListEx(&l));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 1, 0,
                            ExAllocateFromLookasideListEx(&l));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 2, 0,
                            ExFreeToLookasideListEx(&l, &l));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 3, 0,
                            ExFlushLookasideListEx(&l));
  /* Deleted twice. */
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  ExDeleteLookasideListEx(&l);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 0, 0,
                            ExDeleteLookasideListEx(&l));
  /* A copy of an active list is not a list. */
  NPAGED_LOOKASIDE_LIST a, b;
  ExInitializeNPagedLookasideList(&a, NULL, NULL, 0, 32, TAG1, 0);
  memcpy(&b, &a, sizeof a);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&b, 1, 0,
                            ExAllocateFromNPagedLookasideList(&b));
  ExDeleteNPagedLookasideList(&a);
}

static void test_list_of_another_system_is_0xCB(void **state) {
  kp_system_t *sys = *state;
  kp_system_t *other = make_system(KP_VERIFY_AUTOMATIC);
  assert_non_null(other);
  _Alignas(16) kp_lookaside_t l;
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 32, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  KP_ASSERT_BUGCHECK_PARAMS(other, 0xC4, 0xCB, (uintptr_t)&l, 1, 0,
                            kp_lookaside_alloc(other, &l, KP_HERE));
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(other);
}

static void test_hint_overwritten_still_found(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 32, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  uint32_t f0 = l.future[0], f1 = l.future[1];
  /* A driver scribbling over Future[] does not break the simulation. */
  l.future[0] = 0xFFFFFFFFu;
  l.future[1] = 12345;
  void *p = kp_lookaside_alloc(sys, &l, KP_HERE);
  assert_non_null(p);
  assert_int_equal(l.future[0], f0); /* repaired */
  assert_int_equal(l.future[1], f1);
  kp_lookaside_free(sys, &l, p, KP_HERE);
  kp_lookaside_delete(sys, &l, KP_HERE);
}

static void test_freeing_pool_with_active_list_is_0xCC(void **state) {
  kp_system_t *sys = *state;
  PLOOKASIDE_LIST_EX l = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *l, TAG2);
  assert_non_null(l);
  assert_int_equal(ExInitializeLookasideListEx(l, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCC, (uintptr_t)l, (uintptr_t)l, sizeof *l,
                            ExFreePoolWithTag(l, TAG2));
  /* The free was abandoned: the list still works; delete, then free. */
  void *p = ExAllocateFromLookasideListEx(l);
  ExFreeToLookasideListEx(l, p);
  ExDeleteLookasideListEx(l);
  KP_ASSERT_NO_BUGCHECK(sys, ExFreePoolWithTag(l, TAG2));

  /* A list embedded inside a bigger block is found too. */
  struct holder {
    char head[40];
    NPAGED_LOOKASIDE_LIST list;
  } *h = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, sizeof *h,
                         TAG2);
  assert_non_null(h);
  ExInitializeNPagedLookasideList(&h->list, NULL, NULL, 0, 32, TAG1, 0);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCC, (uintptr_t)&h->list, (uintptr_t)h,
                            sizeof *h, ExFreePool(h));
  ExDeleteNPagedLookasideList(&h->list);
  ExFreePool(h);
}

static void test_size_below_minimum_is_0xCD(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  NPAGED_LOOKASIDE_LIST np;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCD, (uintptr_t)&l, 7, 8,
                            ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx,
                                                        0, 7, TAG1, 0));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCD, (uintptr_t)&np, 0, 8,
                            ExInitializeNPagedLookasideList(&np, NULL, NULL, 0, 0,
                                                            TAG1, 0));
  kp_lookaside_info_t info;
  assert_false(kp_lookaside_query(sys, (kp_lookaside_t *)(void *)&l, &info));
  /* The minimum itself is fine. */
  KP_ASSERT_NO_BUGCHECK(sys, ExInitializeNPagedLookasideList(
                                 &np, NULL, NULL, 0, LOOKASIDE_MINIMUM_BLOCK_SIZE,
                                 TAG1, 0));
  void *p = ExAllocateFromNPagedLookasideList(&np);
  ExFreeToNPagedLookasideList(&np, p);
  assert_int_equal(ExQueryDepthSList(&np.L.ListHead), 1);
  ExDeleteNPagedLookasideList(&np);
}

static void test_entry_from_another_list_is_0xCE(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX a, b;
  assert_int_equal(ExInitializeLookasideListEx(&a, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  assert_int_equal(ExInitializeLookasideListEx(&b, NULL, NULL, NonPagedPoolNx, 0, 64,
                                               TAG2, 0),
                   STATUS_SUCCESS);
  void *e = ExAllocateFromLookasideListEx(&a);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCE, (uintptr_t)&b, (uintptr_t)e, 32,
                            ExFreeToLookasideListEx(&b, e));
  assert_int_equal(b.L.TotalFrees, 0);
  /* A pool block of another size, never seen by any list. */
  void *blk = ExAllocatePoolWithTag(NonPagedPoolNx, 40, TAG1);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCE, (uintptr_t)&a, (uintptr_t)blk, 40,
                            ExFreeToLookasideListEx(&a, blk));
  /* One of the right size is accepted, and freed by delete. */
  void *ok = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TAG1);
  KP_ASSERT_NO_BUGCHECK(sys, ExFreeToLookasideListEx(&a, ok));
  KP_ASSERT_NO_BUGCHECK(sys, ExFreeToLookasideListEx(&a, e));
  assert_int_equal(ExQueryDepthSList(&a.L.ListHead), 2);
  ExDeleteLookasideListEx(&a);
  ExDeleteLookasideListEx(&b);
  kp_block_info_t bi;
  assert_false(kp_block_query(sys, ok, &bi));
  ExFreePool(blk);
}

static void test_double_free_of_cached_entry(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  void *e = ExAllocateFromLookasideListEx(&l);
  ExFreeToLookasideListEx(&l, e);
  /* Again to the list. */
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)e,
                            ExFreeToLookasideListEx(&l, e));
  assert_int_equal(ExQueryDepthSList(&l.L.ListHead), 1);
  /* To pool while cached. */
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)e,
                            ExFreePool(e));
  kp_block_info_t bi;
  assert_true(kp_block_query(sys, e, &bi)); /* the pool free was abandoned */
  ExDeleteLookasideListEx(&l);
  assert_false(kp_block_query(sys, e, &bi));
}

static void test_double_free_retail_codes(void **state) {
  (void)state;
  kp_system_t *sys = make_system(0);
  assert_non_null(sys);
  _Alignas(16) kp_lookaside_t l;
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 32, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  void *e = kp_lookaside_alloc(sys, &l, KP_HERE);
  kp_lookaside_free(sys, &l, e, KP_HERE);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, 0x07, 0, (uintptr_t)&l, (uintptr_t)e,
                            kp_free(sys, e, 0, KP_HERE));
  /* Paged list above APC_LEVEL in retail: BAD_POOL_CALLER 0x08 / 0x09. */
  _Alignas(16) kp_lookaside_t pl;
  kp_lookaside_init(sys, &pl, KP_LOOKASIDE_PAGED, NULL, NULL, 0, 48, TAG2, 0, KP_HERE);
  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC2, 0x08, 2, 1, 48,
                            kp_lookaside_alloc(sys, &pl, KP_HERE));
  kp_irql_set(KP_PASSIVE_LEVEL);
  kp_lookaside_delete(sys, &pl, KP_HERE);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_system_destroy(sys);
}

static void test_irql_rules(void **state) {
  kp_system_t *sys = *state;
  PAGED_LOOKASIDE_LIST pg;
  LOOKASIDE_LIST_EX pex, nex;
  ExInitializePagedLookasideList(&pg, NULL, NULL, 0, 48, TAG1, 0);
  assert_int_equal(ExInitializeLookasideListEx(&pex, NULL, NULL, PagedPool, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  assert_int_equal(ExInitializeLookasideListEx(&nex, NULL, NULL, NonPagedPoolNx, 0,
                                               32, TAG1, 0),
                   STATUS_SUCCESS);
  void *p = ExAllocateFromPagedLookasideList(&pg);

  /* APC_LEVEL is fine for paged lists. */
  kp_irql_set(KP_APC_LEVEL);
  KP_ASSERT_NO_BUGCHECK(sys, ExFreeToPagedLookasideList(&pg, p));
  KP_ASSERT_NO_BUGCHECK(sys, p = ExAllocateFromPagedLookasideList(&pg));

  kp_irql_set(KP_DISPATCH_LEVEL);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x01, 2, PagedPool, 48,
                            ExAllocateFromPagedLookasideList(&pg));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x11, 2, PagedPool, (uintptr_t)p,
                            ExFreeToPagedLookasideList(&pg, p));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x01, 2, PagedPool, 32,
                            ExAllocateFromLookasideListEx(&pex));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x11, 2, PagedPool, (uintptr_t)&pex,
                            ExDeleteLookasideListEx(&pex));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x11, 2, PagedPool, (uintptr_t)&pex,
                            ExFlushLookasideListEx(&pex));
  PAGED_LOOKASIDE_LIST pg2;
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x01, 2, PagedPool, 16,
                            ExInitializePagedLookasideList(&pg2, NULL, NULL, 0, 16,
                                                           TAG1, 0));
  /* Non-paged lists work at DISPATCH_LEVEL (the cache hit and miss). */
  void *q = NULL;
  KP_ASSERT_NO_BUGCHECK(sys, q = ExAllocateFromLookasideListEx(&nex));
  KP_ASSERT_NO_BUGCHECK(sys, ExFreeToLookasideListEx(&nex, q));
  kp_irql_set(KP_DISPATCH_LEVEL + 1);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x02, 3, NonPagedPoolNx, 32,
                            ExAllocateFromLookasideListEx(&nex));
  kp_irql_set(KP_PASSIVE_LEVEL);

  /* Nothing was counted by the refused calls. */
  assert_int_equal(pg.L.TotalAllocates, 2);
  assert_int_equal(pg.L.TotalFrees, 1);
  ExFreeToPagedLookasideList(&pg, p);
  ExDeletePagedLookasideList(&pg);
  ExDeleteLookasideListEx(&pex);
  ExDeleteLookasideListEx(&nex);
}

static void test_unload_with_active_lists_is_0xC7(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX a;
  NPAGED_LOOKASIDE_LIST b;
  assert_int_equal(ExInitializeLookasideListEx(&a, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  ExInitializeNPagedLookasideList(&b, NULL, NULL, 0, 64, TAG2, 0);
  out_len = 0;
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, kp_driver_unload(sys));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC7, 3, (uintptr_t)&a, TAG1, 2));
  assert_string_equal(rec.name, "TIMER_OR_DPC_INVALID");
  /* The report names both lists and where they were initialised. */
  assert_non_null(strstr(out_buf, "2 lookaside lists are still active"));
  assert_non_null(strstr(out_buf, "tag \"LaT1\""));
  assert_non_null(strstr(out_buf, "tag \"LaT2\""));
  assert_non_null(strstr(out_buf, "test_lookaside.c"));
  ExDeleteLookasideListEx(&a);
  ExDeleteNPagedLookasideList(&b);
  /* With every list deleted, unload is clean. */
  KP_ASSERT_NO_BUGCHECK(sys, assert_int_equal(kp_driver_unload(sys), STATUS_SUCCESS));
}

static void test_handler_returning_abandons(void **state) {
  kp_system_t *sys = *state;
  kp_bugcheck_record_t rec;
  kp_bugcheck_record_init(&rec);
  kp_bugcheck_set_handler(sys, kp_bugcheck_record_handler, &rec, NULL, NULL);
  LOOKASIDE_LIST_EX l;
  memset(&l, 0, sizeof l);
  assert_null(ExAllocateFromLookasideListEx(&l));
  assert_int_equal(rec.code, 0xC4);
  assert_int_equal(rec.params[0], 0xCB);
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 4,
                                               TAG1, 0),
                   STATUS_UNSUCCESSFUL);
  assert_int_equal(rec.params[0], 0xCD);
  assert_int_equal(rec.count, 2);
  kp_bugcheck_set_handler(sys, NULL, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------------------
 * Poisoned cached entries.
 * ------------------------------------------------------------------------- */
static void test_cached_entries_are_filled(void **state) {
  (void)state;
  LOOKASIDE_LIST_EX l;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 44,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  uint8_t *e = ExAllocateFromLookasideListEx(&l);
  memset(e, 0x11, 44);
  ExFreeToLookasideListEx(&l, e);
  /* The link word holds the next entry (none); the rest up to the last whole
   * 8-byte granule holds the fill; the tail is untouched. */
  for (size_t i = 8; i < 40; i++) assert_int_equal(driver_read(e, i), KP_LOOKASIDE_FILL);
  for (size_t i = 40; i < 44; i++) assert_int_equal(driver_read(e, i), 0x11);
#if defined(T_ASAN)
  assert_false(__asan_address_is_poisoned(e));
  assert_true(__asan_address_is_poisoned(e + 8));
  assert_true(__asan_address_is_poisoned(e + 39));
  assert_false(__asan_address_is_poisoned(e + 40));
#endif
  uint8_t *again = ExAllocateFromLookasideListEx(&l);
  assert_ptr_equal(again, e);
#if defined(T_ASAN)
  assert_false(__asan_address_is_poisoned(e + 8));
  assert_null(__asan_region_is_poisoned(e, 44));
#endif
  ExFreeToLookasideListEx(&l, again);
  ExDeleteLookasideListEx(&l);
}

static void test_modified_cached_entry_is_0xC6(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 64,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  uint8_t *e = ExAllocateFromLookasideListEx(&l);
  int free_line = __LINE__ + 1;
  ExFreeToLookasideListEx(&l, e);
  driver_write(e, 20, 0x42); /* use after free-to-list */
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, ExAllocateFromLookasideListEx(&l));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC6, (uintptr_t)(e + 20), 1, 0,
                                         (uintptr_t)&l));
  assert_string_equal(rec.name, "DRIVER_CAUGHT_MODIFYING_FREED_POOL");
  /* Counted as Windows counts it: TotalAllocates first, then the pop (a
   * hit, so no miss). */
  assert_int_equal(l.L.TotalAllocates, 2);
  assert_int_equal(l.L.AllocateMisses, 1);
  char where[64];
  snprintf(where, sizeof where, "test_lookaside.c:%d", free_line);
  assert_non_null(strstr(rec.explanation, where));
  assert_non_null(strstr(rec.explanation, "\"LaT1\""));
  assert_non_null(strstr(rec.explanation, "0x42"));
  /* The damaged entry was not handed out: it went back to pool. */
  kp_block_info_t bi;
  assert_false(kp_block_query(sys, e, &bi));
  assert_int_equal(ExQueryDepthSList(&l.L.ListHead), 0);

  /* Found by a flush too, after every entry was freed. */
  uint8_t *x = ExAllocateFromLookasideListEx(&l);
  uint8_t *y = ExAllocateFromLookasideListEx(&l);
  ExFreeToLookasideListEx(&l, x);
  ExFreeToLookasideListEx(&l, y);
  driver_write(x, 63 - 7, 0);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)(x + 56), 1, 0, (uintptr_t)&l,
                            ExFlushLookasideListEx(&l));
  assert_false(kp_block_query(sys, x, &bi));
  assert_false(kp_block_query(sys, y, &bi));

  /* And by kp_lookaside_verify without taking it off the list. */
  x = ExAllocateFromLookasideListEx(&l);
  ExFreeToLookasideListEx(&l, x);
  KP_ASSERT_NO_BUGCHECK(sys, assert_int_equal(kp_lookaside_verify(sys), 0));
  driver_write(x, 9, 1);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)(x + 9), 1, 0, (uintptr_t)&l,
                            kp_lookaside_verify(sys));
  driver_write(x, 9, KP_LOOKASIDE_FILL);
  ExDeleteLookasideListEx(&l);
}

static void test_options_off_is_bare_windows(void **state) {
  kp_system_t *sys = *state;
  assert_int_equal(kp_lookaside_set_options(sys, 0), KP_LOOKASIDE_OPT_DEFAULT);
  LOOKASIDE_LIST_EX a, b;
  assert_int_equal(ExInitializeLookasideListEx(&a, NULL, NULL, NonPagedPoolNx, 0, 32,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  assert_int_equal(ExInitializeLookasideListEx(&b, NULL, NULL, NonPagedPoolNx, 0, 64,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  uint8_t *e = ExAllocateFromLookasideListEx(&a);
  memset(e, 0x33, 32);
  ExFreeToLookasideListEx(&a, e);
  /* No fill: only the link word changed. */
  assert_int_equal(e[8], 0x33);
  assert_int_equal(e[31], 0x33);
  /* No origin check either: Windows takes the entry. */
  assert_ptr_equal(ExAllocateFromLookasideListEx(&a), e);
  KP_ASSERT_NO_BUGCHECK(sys, ExFreeToLookasideListEx(&b, e));
  ExDeleteLookasideListEx(&a);
  ExDeleteLookasideListEx(&b);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT), 0);
}

/* ---------------------------------------------------------------------------
 * Verifier mode: caching off.
 * ------------------------------------------------------------------------- */
static void test_verifier_depth_zero(void **state) {
  (void)state;
  for (int variant = 0; variant < 2; variant++) {
    kp_config_t cfg;
    kp_config_init(&cfg);
    cfg.verifier_flags = KP_VERIFY_AUTOMATIC;
    if (variant == 0)
      cfg.verifier_flags |= KP_VERIFY_LOOKASIDE_DEPTH_ZERO;
    else
      cfg.lookaside_minimum_depth = 0;
    kp_system_t *sys = kp_system_create(&cfg);
    assert_non_null(sys);
    _Alignas(16) kp_lookaside_t l;
    assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 32, TAG1, 0,
                                          KP_HERE),
                     KP_STATUS_SUCCESS);
    assert_int_equal(l.depth, 0);
    for (int i = 0; i < 200; i++) {
      void *p = kp_lookaside_alloc(sys, &l, KP_HERE);
      kp_lookaside_free(sys, &l, p, KP_HERE);
    }
    /* Every free reached the pool; a scan keeps Depth at 0. */
    assert_int_equal(l.allocate_misses, 200);
    assert_int_equal(l.free_misses, 200);
    assert_int_equal(kp_lookaside_cached(&l), 0);
    kp_clock_advance(sys, 3000);
    assert_int_equal(l.depth, 0);
    kp_lookaside_delete(sys, &l, KP_HERE);
    kp_system_destroy(sys);
  }
}

/* ---------------------------------------------------------------------------
 * Reports.
 * ------------------------------------------------------------------------- */
static bool count_visit(const kp_lookaside_info_t *info, void *arg) {
  (void)info;
  (*(int *)arg)++;
  return true;
}

static void test_reports(void **state) {
  kp_system_t *sys = *state;
  LOOKASIDE_LIST_EX l;
  PAGED_LOOKASIDE_LIST pg;
  assert_int_equal(ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 48,
                                               TAG1, 0),
                   STATUS_SUCCESS);
  ExInitializePagedLookasideList(&pg, NULL, NULL, 0, 16, TAG2, 0);
  void *e[5];
  for (int i = 0; i < 5; i++) e[i] = ExAllocateFromLookasideListEx(&l);
  for (int i = 0; i < 5; i++) ExFreeToLookasideListEx(&l, e[i]);
  e[0] = ExAllocateFromLookasideListEx(&l); /* a hit */

  kp_lookaside_info_t info;
  assert_true(kp_lookaside_query(sys, (kp_lookaside_t *)(void *)&l, &info));
  assert_int_equal(info.current_depth, 3);
  assert_int_equal(info.depth, 4);
  assert_int_equal(info.maximum_depth, 256);
  assert_int_equal(info.total_allocates, 6);
  assert_int_equal(info.allocate_misses, 5);
  assert_int_equal(info.total_frees, 5);
  assert_int_equal(info.free_misses, 1);
  assert_int_equal(info.tag, TAG1);
  assert_int_equal(info.size, 48);
  assert_true(info.allocate_hit_rate > 16.6 && info.allocate_hit_rate < 16.7);
  assert_true(info.free_hit_rate > 79.9 && info.free_hit_rate < 80.1);
  assert_non_null(info.init_site.file);

  int n = 0;
  assert_int_equal(kp_lookaside_visit(sys, count_visit, &n), 2);
  assert_int_equal(n, 2);

  out_len = 0;
  kp_report_lookaside(sys, (kp_lookaside_t *)(void *)&l, NULL, NULL);
  assert_non_null(strstr(out_buf, "Tag(hex): 0x"));
  assert_non_null(strstr(out_buf, "\"LaT1\""));
  assert_non_null(strstr(out_buf, "Type           =       0200 NonPagedPoolNx"));
  assert_non_null(strstr(out_buf, "Current Depth  =          3   Max Depth  =          4"));
  assert_non_null(strstr(out_buf, "Size           =         48   Max Alloc  =        192"));
  assert_non_null(strstr(out_buf, "AllocateMisses =          5   FreeMisses =          1"));
  assert_non_null(strstr(out_buf, "TotalAllocates =          6   TotalFrees =          5"));
  assert_non_null(strstr(out_buf, "Hit Rate       =        16%   Hit Rate   =        80%"));

  out_len = 0;
  kp_report_lookaside(sys, NULL, capture, NULL);
  assert_non_null(strstr(out_buf, "\"LaT2\""));
  assert_non_null(strstr(out_buf, "Type           =       0001 PagedPool"));
  assert_non_null(strstr(out_buf, "kpool: 2 lookaside lists, 3 entries cached"));

  ExFreeToLookasideListEx(&l, e[0]);
  ExDeleteLookasideListEx(&l);
  ExDeletePagedLookasideList(&pg);
  out_len = 0;
  kp_report_lookaside(sys, NULL, capture, NULL);
  assert_non_null(strstr(out_buf, "kpool: 0 lookaside lists"));
}

#if defined(T_ASAN)
/* Under ASan, touching a cached entry is reported at once, and kpool adds
 * which list, tag and free site it belongs to. Checked in a child process,
 * since ASan ends the process that touched it. */
static void test_asan_reports_touch_of_cached_entry(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    LOOKASIDE_LIST_EX l;
    ExInitializeLookasideListEx(&l, NULL, NULL, NonPagedPoolNx, 0, 64, TAG1, 0);
    volatile uint8_t *e = ExAllocateFromLookasideListEx(&l);
    ExFreeToLookasideListEx(&l, (void *)(uintptr_t)e);
    e[24] = 1; /* ASan stops here */
    _exit(0);
  }
  close(fds[1]);
  char buf[16384];
  size_t len = 0;
  ssize_t r;
  while (len + 1 < sizeof buf && (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t)r;
  buf[len] = '\0';
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_non_null(strstr(buf, "AddressSanitizer: use-after-poison"));
  assert_non_null(strstr(buf, "cached in the lookaside list"));
  assert_non_null(strstr(buf, "tag \"LaT1\""));
  assert_non_null(strstr(buf, "byte 24 of the entry"));
  assert_non_null(strstr(buf, "test_lookaside.c:"));
}
#endif

/* The WDK face's entry points: the current system, the site's fields as
 * arguments, the same checks and reports as the _at functions. */
static void test_site_entry_points(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 64, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  void *e = kp_lookaside_alloc_site(&l, "driver.c", 77, NULL);
  assert_non_null(e);
  assert_int_equal(l.total_allocates, 1);
  assert_int_equal(l.allocate_misses, 1);
  kp_lookaside_free_site(&l, e, "driver.c", 88, NULL);
  assert_int_equal(kp_lookaside_cached(&l), 1);
  assert_int_equal(l.total_frees, 1);
  /* Freed again while cached: the report names the first free's site. */
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, kp_lookaside_free_site(&l, e, "driver.c", 99, NULL));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC4, 0x13, 0, (uintptr_t)&l,
                                         (uintptr_t)e));
  assert_non_null(strstr(rec.explanation, "driver.c:88"));
  assert_int_equal(kp_lookaside_cached(&l), 1);
  /* A hit, then a wrong list: an entry of another size. */
  assert_ptr_equal(kp_lookaside_alloc_site(&l, "driver.c", 100, NULL), e);
  void *blk = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, 32, TAG1, KP_HERE);
  assert_non_null(blk);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCE, (uintptr_t)&l, (uintptr_t)blk, 32,
                            kp_lookaside_free_site(&l, blk, "driver.c", 101, NULL));
  kp_free(sys, blk, 0, KP_HERE);
  kp_lookaside_free_site(&l, e, "driver.c", 102, NULL);
  kp_lookaside_delete(sys, &l, KP_HERE);
  /* A deleted list, and a bad pointer. */
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 1, 0,
                            kp_lookaside_alloc_site(&l, "driver.c", 103, NULL));
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCB, (uintptr_t)&l, 2, 0,
                            kp_lookaside_free_site(&l, e, "driver.c", 104, NULL));
  KP_ASSERT_RAISES(KP_STATUS_DATATYPE_MISALIGNMENT,
                   kp_lookaside_alloc_site((kp_lookaside_t *)((char *)&l + 8),
                                           "driver.c", 105, NULL));
}

/* Many entries tracked at once: the lock-free hint table grows (and its
 * slots are shared by several entries), and every check still holds for
 * every entry: double frees while cached, frees of handed-out entries to
 * pool, damage found when each entry leaves the list. */
#define MANY 1500
static void test_many_tracked_entries(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 48, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_true(kp_lookaside_set_depth(sys, &l, 256));
  uint16_t depth = l.depth;
  assert_true(depth >= 64);
  static void *e[MANY];
  for (int i = 0; i < MANY; i++) {
    e[i] = kp_lookaside_alloc(sys, &l, KP_HERE);
    assert_non_null(e[i]);
  }
  assert_int_equal(l.allocate_misses, MANY);
  /* The first @depth frees are cached, the rest go back to pool. */
  for (int i = 0; i < MANY; i++) kp_lookaside_free(sys, &l, e[i], KP_HERE);
  assert_int_equal(kp_lookaside_cached(&l), depth);
  assert_int_equal(l.free_misses, MANY - depth);
  /* Each cached entry, freed again, is caught; nothing changes. */
  unsigned before = kp_bugcheck_count(sys);
  for (int i = 0; i < depth; i++) {
    KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)e[i],
                              kp_lookaside_free(sys, &l, e[i], KP_HERE));
  }
  assert_int_equal(kp_bugcheck_count(sys) - before, depth);
  assert_int_equal(kp_lookaside_cached(&l), depth);
  /* Damage one cached entry, then empty the list with allocations (hits):
   * 0xC6 for exactly that one. */
  void *victim = e[depth / 2];
  uint8_t *v = victim;
  driver_write(v, 30, 0x17);
  int damaged = 0;
  for (int i = 0; i < depth; i++) {
    kp_bugcheck_record_t rec;
    void *volatile got = NULL;
    KP_CAPTURE_BUGCHECK(sys, &rec, got = kp_lookaside_alloc(sys, &l, KP_HERE));
    if (rec.count != 0) {
      assert_true(kp_bugcheck_record_matches(&rec, 0xC6, (uintptr_t)(v + 30), 1, 0,
                                             (uintptr_t)&l));
      damaged++;
      continue;
    }
    assert_non_null(got);
    /* Handed out: freeing it to pool is legal and forgets it. */
    KP_ASSERT_NO_BUGCHECK(sys, kp_free(sys, got, 0, KP_HERE));
  }
  assert_int_equal(damaged, 1);
  assert_int_equal(kp_lookaside_cached(&l), 0);
  assert_int_equal(kp_lookaside_verify(sys), KP_STATUS_SUCCESS);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_tag_stats_t ts;
  assert_true(kp_stats_tag(sys, TAG1, KP_POOL_NONPAGED, &ts));
  assert_int_equal(ts.allocs, ts.frees);
}

/* ---------------------------------------------------------------------------
 * The hit paths' shortcuts (docs/decisions.md, "lookaside hit, second
 * pass"): the fill at every size and byte, options changed under active
 * lists, records beyond the first chunk, the thread's last entry.
 * ------------------------------------------------------------------------- */

/* The fill is written and checked 16 bytes at a time with an overlapping
 * last 16: every size class, and damage at its first, middle and last byte
 * and in the overlap, is found at the exact byte. */
static void test_fill_every_size_and_byte(void **state) {
  kp_system_t *sys = *state;
  static const uint32_t sizes[] = {8,  12, 16, 20, 23, 24, 31,  32,   40,  48,
                                   56, 63, 64, 72, 88, 100, 256, 1000, 4000, 6000};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    uint32_t size = sizes[s];
    size_t end = size & ~(size_t)7; /* the fill is [8, end) */
    _Alignas(16) kp_lookaside_t l;
    assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, size, TAG1, 0,
                                          KP_HERE),
                     KP_STATUS_SUCCESS);
    size_t spots[4] = {8, end - 1, 8 + (end - 8) / 2, end >= 32 ? end - 12 : 8};
    for (int k = 0; k < 4; k++) {
      uint8_t *volatile e = kp_lookaside_alloc(sys, &l, KP_HERE);
      assert_non_null(e);
      memset(e, 0x11, size);
      kp_lookaside_free(sys, &l, e, KP_HERE);
      for (size_t i = 8; i < end; i++) assert_int_equal(driver_read(e, i), KP_LOOKASIDE_FILL);
      for (size_t i = end > 8 ? end : 8; i < size; i++)
        assert_int_equal(driver_read(e, i), 0x11);
      if (end <= 8) {
        /* No fill to check: the entry comes back. */
        KP_ASSERT_NO_BUGCHECK(sys, assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e));
        kp_lookaside_free(sys, &l, e, KP_HERE);
        break;
      }
      driver_write(e, spots[k], 0x5A);
      KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)(e + spots[k]), 1, 0, (uintptr_t)&l,
                                kp_lookaside_alloc(sys, &l, KP_HERE));
      /* Not handed out: back to pool, the list is empty. */
      assert_int_equal(kp_lookaside_cached(&l), 0);
      kp_block_info_t bi;
      assert_false(kp_block_query(sys, e, &bi));
    }
    /* Intact: a hit hands it out again. */
    uint8_t *volatile e = kp_lookaside_alloc(sys, &l, KP_HERE);
    kp_lookaside_free(sys, &l, e, KP_HERE);
    KP_ASSERT_NO_BUGCHECK(sys, assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e));
    kp_lookaside_free(sys, &l, e, KP_HERE);
    kp_lookaside_delete(sys, &l, KP_HERE);
  }
}

/* An Ex list of @size-byte entries (non-paged, default depth). */
static void init_ex_list(kp_system_t *sys, kp_lookaside_t *l, size_t size) {
  assert_int_equal(kp_lookaside_init_ex(sys, l, NULL, NULL, 0, 0, size, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
}

/* Three cached entries, freed e[0], e[1], e[2]: the list is e[2], e[1],
 * e[0] (each link the entry freed before it). */
static void cache_three(kp_system_t *sys, kp_lookaside_t *l, uint8_t *e[3]) {
  for (int i = 0; i < 3; i++) e[i] = kp_lookaside_alloc(sys, l, KP_HERE);
  for (int i = 0; i < 3; i++) kp_lookaside_free(sys, l, e[i], KP_HERE);
  assert_int_equal(kp_lookaside_cached(l), 3);
}

static uint64_t link_of(const uint8_t *e) {
  uint64_t w;
  memcpy(&w, e, 8);
  return w;
}

static void set_link(uint8_t *e, uint64_t w) { memcpy(e, &w, 8); }

/* A cached entry's first 8 bytes are the list's link, which the fill
 * cannot cover. Written after the free, they are found when a hit pops the
 * entry (0xC6 naming it, the values found and expected), the list is
 * relinked past it with the link kpool wrote, and nothing follows the
 * written value: the entries behind it are still handed out. */
static void test_link_overwritten_while_cached(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  init_ex_list(sys, &l, 64);
  uint8_t *e[3];
  cache_three(sys, &l, e);
  uint64_t good = link_of(e[1]);
  assert_int_equal(good, (uint64_t)(uintptr_t)e[0]);
  set_link(e[1], 0x4141414141414141ull);
  assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e[2]);
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, kp_lookaside_alloc(sys, &l, KP_HERE));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC6, (uintptr_t)e[1], 1, 0,
                                         (uintptr_t)&l));
  assert_non_null(strstr(rec.explanation, "first 8 bytes"));
  assert_non_null(strstr(rec.explanation, "0x4141414141414141"));
  char want[40];
  snprintf(want, sizeof want, "0x%016llX", (unsigned long long)good);
  assert_non_null(strstr(rec.explanation, want));
  // The entry went to the free routine (pool), not to the driver.
  kp_block_info_t bi;
  assert_false(kp_block_query(sys, e[1], &bi));
  // The list goes on past it.
  assert_int_equal(kp_lookaside_cached(&l), 1);
  assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e[0]);
  assert_int_equal(kp_lookaside_cached(&l), 0);
  uint8_t *miss = kp_lookaside_alloc(sys, &l, KP_HERE);
  assert_non_null(miss);
  kp_lookaside_free(sys, &l, miss, KP_HERE);
  kp_lookaside_free(sys, &l, e[0], KP_HERE);
  kp_lookaside_free(sys, &l, e[2], KP_HERE);
  KP_ASSERT_NO_BUGCHECK(sys, assert_int_equal(kp_lookaside_verify(sys), 0));
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_delete(sys, &l, KP_HERE));
}

/* The entry's node is found even when the lock-free hint table has lost
 * it (the table is replaced by an empty, larger one as tracked entries
 * grow) and the thread's last entry is another one: the written link is
 * still reported, not followed (review: it used to be). */
static void test_link_overwritten_after_hint_table_grew(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l, l2;
  init_ex_list(sys, &l, 64);
  init_ex_list(sys, &l2, 96);
  uint8_t *a = kp_lookaside_alloc(sys, &l, KP_HERE);
  uint8_t *b = kp_lookaside_alloc(sys, &l, KP_HERE);
  kp_lookaside_free(sys, &l, b, KP_HERE);
  kp_lookaside_free(sys, &l, a, KP_HERE); // the list: a, then b
  static void *other[200];
  for (int i = 0; i < 200; i++) other[i] = kp_lookaside_alloc(sys, &l2, KP_HERE);
  for (int i = 0; i < 200; i++) kp_lookaside_free(sys, &l2, other[i], KP_HERE);
  void *c = kp_lookaside_alloc(sys, &l2, KP_HERE); // the thread's last entry
  kp_lookaside_free(sys, &l2, c, KP_HERE);
  static _Alignas(16) uint8_t fake[128];
  set_link(a, (uint64_t)(uintptr_t)fake);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)a, 1, 0, (uintptr_t)&l,
                            kp_lookaside_alloc(sys, &l, KP_HERE));
  assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), b);
  kp_lookaside_free(sys, &l, b, KP_HERE);
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_delete(sys, &l, KP_HERE));
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_delete(sys, &l2, KP_HERE));
}

/* The same damage found by a flush (every entry still goes to the free
 * routine, the one behind the damaged link too), by kp_lookaside_verify
 * (the list left as it is), and not followed by an options change, whose
 * walk re-fills the entries. */
static void test_link_overwritten_found_by_walks(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  init_ex_list(sys, &l, 64);
  uint8_t *e[3];
  kp_block_info_t bi;
  cache_three(sys, &l, e);
  set_link(e[2], 0x4242424242424240ull);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)e[2], 1, 0, (uintptr_t)&l,
                            kp_lookaside_flush(sys, &l, KP_HERE));
  for (int i = 0; i < 3; i++) assert_false(kp_block_query(sys, e[i], &bi));
  assert_int_equal(kp_lookaside_cached(&l), 0);

  cache_three(sys, &l, e);
  uint64_t good = link_of(e[2]);
  set_link(e[2], 0x10);
  KP_ASSERT_BUGCHECK_PARAMS(
      sys, 0xC6, (uintptr_t)e[2], 1, 0, (uintptr_t)&l,
      assert_int_equal(kp_lookaside_verify(sys), KP_STATUS_HEAP_CORRUPTION));
  assert_int_equal(kp_lookaside_cached(&l), 3);
  // An options change walks the list without following the link; the
  // next hit still reports it.
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_TRACK),
                   KP_LOOKASIDE_OPT_DEFAULT);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT),
                   KP_LOOKASIDE_OPT_TRACK);
  assert_int_equal(kp_lookaside_cached(&l), 3);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)e[2], 1, 0, (uintptr_t)&l,
                            kp_lookaside_alloc(sys, &l, KP_HERE));
  assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e[1]);
  kp_lookaside_free(sys, &l, e[1], KP_HERE);
  (void)good;

  // Tracking switched off with a damaged link cached: kpool relinks it
  // (nothing would check it any more) and the list stays whole.
  cache_three(sys, &l, e);
  good = link_of(e[1]);
  set_link(e[1], 0x20);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_POISON),
                   KP_LOOKASIDE_OPT_DEFAULT);
  assert_int_equal(link_of(e[1]), good);
  for (int i = 3; i-- > 0;)
    assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e[i]);
  for (int i = 0; i < 3; i++) kp_lookaside_free(sys, &l, e[i], KP_HERE);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT),
                   KP_LOOKASIDE_OPT_POISON);
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_delete(sys, &l, KP_HERE));
}

/* kp_lookaside_set_options reaches lists that are already active (each
 * record keeps a copy), both ways. */
static void test_options_change_reaches_active_lists(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  init_ex_list(sys, &l, 32);
  uint8_t *e = kp_lookaside_alloc(sys, &l, KP_HERE);
  memset(e, 0x33, 32);
  assert_int_equal(kp_lookaside_set_options(sys, 0), KP_LOOKASIDE_OPT_DEFAULT);
  kp_lookaside_free(sys, &l, e, KP_HERE);
  assert_int_equal(e[8], 0x33); /* no fill */
  assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT), 0);
  kp_lookaside_free(sys, &l, e, KP_HERE);
  assert_int_equal(driver_read(e, 8), KP_LOOKASIDE_FILL);
  /* Tracked again: a second free is a double free. */
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)e,
                            kp_lookaside_free(sys, &l, e, KP_HERE));
  assert_int_equal(kp_lookaside_cached(&l), 1);
  kp_lookaside_delete(sys, &l, KP_HERE);
  /* Poison only, on a list already active: the fill, checked. */
  init_ex_list(sys, &l, 32);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_POISON),
                   KP_LOOKASIDE_OPT_DEFAULT);
  e = kp_lookaside_alloc(sys, &l, KP_HERE);
  memset(e, 0x44, 32);
  kp_lookaside_free(sys, &l, e, KP_HERE);
  assert_int_equal(driver_read(e, 31), KP_LOOKASIDE_FILL);
  driver_write(e, 31, 0);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC6, (uintptr_t)(e + 31), 1, 0, (uintptr_t)&l,
                            kp_lookaside_alloc(sys, &l, KP_HERE));
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT),
                   KP_LOOKASIDE_OPT_POISON);
  kp_lookaside_delete(sys, &l, KP_HERE);
}

/* Options changed while a list holds cached entries: the entries follow
 * the new options. Tracking switched off forgets them (a delete or flush
 * then frees them without a false double free); the fill switched on fills
 * them (their next hit finds nothing modified); switched off, it opens
 * them for ASan (no hit opens them any more). */
static void test_options_change_with_cached_entries(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l;
  init_ex_list(sys, &l, 48);
  uint8_t *a = kp_lookaside_alloc(sys, &l, KP_HERE);
  uint8_t *b = kp_lookaside_alloc(sys, &l, KP_HERE);
  kp_lookaside_free(sys, &l, a, KP_HERE);
  kp_lookaside_free(sys, &l, b, KP_HERE);
  assert_int_equal(kp_lookaside_cached(&l), 2);
  // Tracking off (the fill stays): the cached entries are forgotten.
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_POISON),
                   KP_LOOKASIDE_OPT_DEFAULT);
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_flush(sys, &l, KP_HERE));
  assert_int_equal(kp_lookaside_cached(&l), 0);
  // Cached while the fill is off, then switched on: filled now.
  uint8_t *c = kp_lookaside_alloc(sys, &l, KP_HERE);
  assert_int_equal(kp_lookaside_set_options(sys, 0), KP_LOOKASIDE_OPT_POISON);
  memset(c, 0x55, 48);
  kp_lookaside_free(sys, &l, c, KP_HERE);
  assert_int_equal(driver_read(c, 20), 0x55);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT), 0);
  for (size_t i = 8; i < 48; i++) assert_int_equal(driver_read(c, i), KP_LOOKASIDE_FILL);
  uint8_t *again = NULL;
  KP_ASSERT_NO_BUGCHECK(sys, again = kp_lookaside_alloc(sys, &l, KP_HERE));
  assert_ptr_equal(again, c);
  // Cached with the fill on, then switched off: the driver may touch the
  // entry after its next hit (under ASan too).
  kp_lookaside_free(sys, &l, c, KP_HERE);
  assert_int_equal(kp_lookaside_set_options(sys, 0), KP_LOOKASIDE_OPT_DEFAULT);
#if defined(T_ASAN)
  assert_false(__asan_address_is_poisoned(c + 8));
#endif
  again = kp_lookaside_alloc(sys, &l, KP_HERE);
  assert_ptr_equal(again, c);
  memset(again, 0x66, 48);
  kp_lookaside_free(sys, &l, again, KP_HERE);
  assert_int_equal(kp_lookaside_set_options(sys, KP_LOOKASIDE_OPT_DEFAULT), 0);
  // The entry was cached untracked: the delete frees it, no false report.
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_delete(sys, &l, KP_HERE));
}

/* More lists at once than the first (static) chunk of records holds: every
 * list is found from its hint and checked as usual. */
#define LISTS 300
static void test_lists_beyond_the_first_records(void **state) {
  kp_system_t *sys = *state;
  static _Alignas(16) kp_lookaside_t ls[LISTS];
  static void *es[LISTS];
  for (int i = 0; i < LISTS; i++)
    assert_int_equal(kp_lookaside_init_ex(sys, &ls[i], NULL, NULL, 0, 0,
                                          32 + (size_t)(i % 4) * 16, TAG1, 0, KP_HERE),
                     KP_STATUS_SUCCESS);
  for (int i = 0; i < LISTS; i++) {
    es[i] = kp_lookaside_alloc(sys, &ls[i], KP_HERE);
    kp_lookaside_free(sys, &ls[i], es[i], KP_HERE);
    assert_ptr_equal(kp_lookaside_alloc(sys, &ls[i], KP_HERE), es[i]);
    kp_lookaside_free(sys, &ls[i], es[i], KP_HERE);
  }
  unsigned before = kp_bugcheck_count(sys);
  for (int i = 0; i < LISTS; i++)
    KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x13, 0, (uintptr_t)&ls[i], (uintptr_t)es[i],
                              kp_lookaside_free(sys, &ls[i], es[i], KP_HERE));
  assert_int_equal(kp_bugcheck_count(sys) - before, LISTS);
  /* An entry of list 0 (32 bytes) freed to list 1 (48 bytes). */
  void *x = kp_lookaside_alloc(sys, &ls[0], KP_HERE);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCE, (uintptr_t)&ls[1], (uintptr_t)x, 32,
                            kp_lookaside_free(sys, &ls[1], x, KP_HERE));
  kp_lookaside_free(sys, &ls[0], x, KP_HERE);
  for (int i = 0; i < LISTS; i++) {
    assert_int_equal(ls[i].total_allocates, 2 + (i == 0));
    assert_int_equal(kp_lookaside_cached(&ls[i]), 1);
    kp_lookaside_delete(sys, &ls[i], KP_HERE);
  }
  assert_int_equal(kp_lookaside_verify(sys), KP_STATUS_SUCCESS);
}

/* The thread's last entry is a shortcut, not the truth: a double free is
 * caught whether the entry is the last one the thread's hits met (its
 * compare-and-swap fails on a CACHED node) or not (the hint table), with
 * the first free's site in the report; a wrong list likewise. */
static void test_double_free_with_and_without_last_entry(void **state) {
  kp_system_t *sys = *state;
  _Alignas(16) kp_lookaside_t l, big;
  assert_int_equal(kp_lookaside_init_ex(sys, &l, NULL, NULL, 0, 0, 32, TAG1, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  assert_int_equal(kp_lookaside_init_ex(sys, &big, NULL, NULL, 0, 0, 64, TAG2, 0,
                                        KP_HERE),
                   KP_STATUS_SUCCESS);
  void *a = kp_lookaside_alloc(sys, &l, KP_HERE);
  void *b = kp_lookaside_alloc(sys, &l, KP_HERE);
  int line_a = __LINE__ + 1;
  kp_lookaside_free(sys, &l, a, KP_HERE);
  int line_b = __LINE__ + 1;
  kp_lookaside_free(sys, &l, b, KP_HERE);
  char where[64];
  kp_bugcheck_record_t rec;
  KP_CAPTURE_BUGCHECK(sys, &rec, kp_lookaside_free(sys, &l, b, KP_HERE));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)b));
  snprintf(where, sizeof where, "test_lookaside.c:%d", line_b);
  assert_non_null(strstr(rec.explanation, where));
  KP_CAPTURE_BUGCHECK(sys, &rec, kp_lookaside_free(sys, &l, a, KP_HERE));
  assert_true(kp_bugcheck_record_matches(&rec, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)a));
  snprintf(where, sizeof where, "test_lookaside.c:%d", line_a);
  assert_non_null(strstr(rec.explanation, where));
  assert_int_equal(kp_lookaside_cached(&l), 2);
  /* b is the thread's last entry again after this hit; to the wrong list. */
  assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), b);
  KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0xCE, (uintptr_t)&big, (uintptr_t)b, 32,
                            kp_lookaside_free(sys, &big, b, KP_HERE));
  KP_ASSERT_NO_BUGCHECK(sys, kp_lookaside_free(sys, &l, b, KP_HERE));
  assert_int_equal(kp_lookaside_cached(&l), 2);
  assert_int_equal(kp_lookaside_cached(&big), 0);
  kp_lookaside_delete(sys, &l, KP_HERE);
  kp_lookaside_delete(sys, &big, KP_HERE);
}

/* The thread's last entry belongs to one system: after that system is
 * destroyed (its nodes freed), a list of the next system (possibly at the
 * same addresses) never uses it (AddressSanitizer would see the freed
 * node), and its own checks work. */
static void test_last_entry_does_not_outlive_its_system(void **state) {
  (void)state;
  for (int round = 0; round < 3; round++) {
    kp_system_t *sys = make_system(KP_VERIFY_AUTOMATIC);
    assert_non_null(sys);
    _Alignas(16) kp_lookaside_t l;
    init_ex_list(sys, &l, 48);
    void *e = kp_lookaside_alloc(sys, &l, KP_HERE);
    kp_lookaside_free(sys, &l, e, KP_HERE);
    assert_ptr_equal(kp_lookaside_alloc(sys, &l, KP_HERE), e);
    kp_lookaside_free(sys, &l, e, KP_HERE);
    KP_ASSERT_BUGCHECK_PARAMS(sys, 0xC4, 0x13, 0, (uintptr_t)&l, (uintptr_t)e,
                              kp_lookaside_free(sys, &l, e, KP_HERE));
    kp_lookaside_delete(sys, &l, KP_HERE);
    kp_system_destroy(sys);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),
      cmocka_unit_test_setup_teardown(test_initial_state_classic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_initial_state_ex, setup, teardown),
      cmocka_unit_test_setup_teardown(test_counters_and_lifo, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_limits_the_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_core_routines_receive_type_flags_and_list,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_wdk_routines_classic_and_ex, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_allocator_raise_on_fail, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_ex_init_statuses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_classic_bad_flags_raise, setup, teardown),
      cmocka_unit_test_setup_teardown(test_classic_init_of_ex_kind_raises, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_null_and_misaligned_raise, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reinit_active_is_0xCA, setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete_or_use_uninitialised_is_0xCB, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_list_of_another_system_is_0xCB, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_hint_overwritten_still_found, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_freeing_pool_with_active_list_is_0xCC, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_size_below_minimum_is_0xCD, setup, teardown),
      cmocka_unit_test_setup_teardown(test_entry_from_another_list_is_0xCE, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_double_free_of_cached_entry, setup, teardown),
      cmocka_unit_test_setup_teardown(test_double_free_retail_codes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_irql_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unload_with_active_lists_is_0xC7, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_handler_returning_abandons, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cached_entries_are_filled, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_overwritten_while_cached, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_overwritten_found_by_walks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_overwritten_after_hint_table_grew, setup, teardown),
      cmocka_unit_test_setup_teardown(test_modified_cached_entry_is_0xC6, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_options_off_is_bare_windows, setup, teardown),
      cmocka_unit_test(test_verifier_depth_zero),
      cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
      cmocka_unit_test_setup_teardown(test_site_entry_points, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_tracked_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fill_every_size_and_byte, setup, teardown),
      cmocka_unit_test_setup_teardown(test_options_change_reaches_active_lists, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_options_change_with_cached_entries, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_lists_beyond_the_first_records, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_double_free_with_and_without_last_entry,
                                      setup, teardown),
      cmocka_unit_test(test_last_entry_does_not_outlive_its_system),
#if defined(T_ASAN)
      cmocka_unit_test_setup_teardown(test_asan_reports_touch_of_cached_entry, setup,
                                      teardown),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
