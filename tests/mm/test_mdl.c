/*
 * test_mdl.c — MDLs over pool memory through the WDK names: the x64
 * layout, IoAllocateMdl / IoFreeMdl (tag, site, quota, limits),
 * MmBuildMdlForNonPagedPool, MmProbeAndLockPages / MmUnlockPages on pool
 * blocks and registered user buffers (bad ranges raise
 * STATUS_ACCESS_VIOLATION), mapping and MmGetSystemAddressForMdlSafe,
 * partial MDLs, leaks at unload with the caller's site, and every Driver
 * Verifier MDL check with its code and parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include <ntddk.h>

#include "kp_test_util.h"

/* The x64 WDK layout, checked at compile time as a driver would. */
C_ASSERT(sizeof(MDL) == 0x30);
C_ASSERT(FIELD_OFFSET(MDL, MdlFlags) == 0x0A);
C_ASSERT(FIELD_OFFSET(MDL, MappedSystemVa) == 0x18);
C_ASSERT(FIELD_OFFSET(MDL, ByteOffset) == 0x2C);

#define DRV_TAG 'ldMT'
#define AV_P1 ((uint64_t)(int64_t)(int32_t)0xC0000005u)
#define ASSERT_P1 ((uint64_t)(int64_t)(int32_t)0xC0000420u)

static int setup_with(void **state, bool verifier) {
  int rc = verifier ? kpt_setup(state) : kpt_setup_retail(state);
  if (rc != 0) return -1;
  kp_system_t *old = kp_system_set_current((kp_system_t *)*state);
  if (old != NULL && old != *state) kp_system_destroy(old);
  return 0;
}

static int setup(void **state) { return setup_with(state, true); }
static int setup_retail(void **state) { return setup_with(state, false); }
static int teardown(void **state) { return kpt_teardown(state); }

static ULONG pages_of(PVOID va, SIZE_T len) {
  return ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len);
}

/* ---------------------------------------------------------------------------
 * Layout, sizes, MmInitializeMdl.
 * ------------------------------------------------------------------------- */

static void test_layout_and_sizes(void **state) {
  (void)state;
  assert_int_equal(sizeof(MDL), 0x30);
  assert_int_equal(offsetof(MDL, Next), 0x00);
  assert_int_equal(offsetof(MDL, Size), 0x08);
  assert_int_equal(offsetof(MDL, MdlFlags), 0x0A);
  assert_int_equal(offsetof(MDL, Process), 0x10);
  assert_int_equal(offsetof(MDL, MappedSystemVa), 0x18);
  assert_int_equal(offsetof(MDL, StartVa), 0x20);
  assert_int_equal(offsetof(MDL, ByteCount), 0x28);
  assert_int_equal(offsetof(MDL, ByteOffset), 0x2C);
  assert_int_equal(sizeof(PFN_NUMBER), 8);
  assert_int_equal(MDL_MAPPED_TO_SYSTEM_VA, 0x1);
  assert_int_equal(MDL_SOURCE_IS_NONPAGED_POOL, 0x4);
  assert_int_equal(MDL_PARTIAL_HAS_BEEN_MAPPED, 0x20);
  assert_int_equal(MDL_PARENT_MAPPED_SYSTEM_VA, 0x100);
  assert_int_equal(MDL_ALLOCATED_MUST_SUCCEED, 0x4000);
  assert_int_equal(HighPagePriority, 32);
  assert_int_equal(IoModifyAccess, 2);
  // Pages spanned.
  assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x10000, 0), 0);
  assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x10000, 1), 1);
  assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x10000, 0x1000), 1);
  assert_int_equal(ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x10FFF, 2), 2);
  assert_int_equal(COMPUTE_PAGES_SPANNED((PVOID)0x10800, 0x2000), 3);
  assert_int_equal(MmSizeOfMdl((PVOID)0x10800, 0x2000), 0x30 + 3 * 8);
  assert_int_equal(MmSizeOfMdl((PVOID)0x10000, 0), 0x30);
  // MmInitializeMdl on a caller-owned MDL.
  struct {
    MDL mdl;
    PFN_NUMBER pfn[3];
  } m;
  memset(&m, 0xAB, sizeof m);
  MmInitializeMdl(&m.mdl, (PVOID)0x12345, 0x2000);
  assert_null(m.mdl.Next);
  assert_int_equal(m.mdl.Size, 0x30 + 3 * 8);
  assert_int_equal(m.mdl.MdlFlags, 0);
  assert_ptr_equal(m.mdl.StartVa, (PVOID)0x12000);
  assert_int_equal(m.mdl.ByteOffset, 0x345);
  assert_int_equal(m.mdl.ByteCount, 0x2000);
  assert_ptr_equal(MmGetMdlVirtualAddress(&m.mdl), (PVOID)0x12345);
  assert_ptr_equal(MmGetMdlBaseVa(&m.mdl), (PVOID)0x12000);
  assert_int_equal(MmGetMdlByteCount(&m.mdl), 0x2000);
  assert_int_equal(MmGetMdlByteOffset(&m.mdl), 0x345);
  assert_ptr_equal(MmGetMdlPfnArray(&m.mdl), &m.pfn[0]);
  assert_int_equal(m.pfn[0], (PFN_NUMBER)0xABABABABABABABABull); // untouched
}

/* ---------------------------------------------------------------------------
 * IoAllocateMdl / IoFreeMdl.
 * ------------------------------------------------------------------------- */

static void test_allocate_and_free(void **state) {
  kp_system_t *sys = *state;
  PUCHAR buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, DRV_TAG);
  assert_non_null(buf);
  PVOID va = buf + 100;
  PMDL mdl = IoAllocateMdl(va, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  int line = __LINE__ - 1;
  assert_non_null(mdl);
  assert_null(mdl->Next);
  assert_int_equal(mdl->MdlFlags, 0);
  assert_int_equal(mdl->Size, (CSHORT)MmSizeOfMdl(va, 2 * PAGE_SIZE));
  assert_ptr_equal(mdl->StartVa, PAGE_ALIGN(va));
  assert_int_equal(mdl->ByteOffset, BYTE_OFFSET(va));
  assert_int_equal(mdl->ByteCount, 2 * PAGE_SIZE);
  // The MDL itself: non-paged pool, tag "Mdl ", this line as its site.
  kp_block_info_t info;
  assert_true(kp_block_query(sys, mdl, &info));
  assert_ptr_equal(info.address, mdl);
  assert_int_equal(info.tag, KP_TAG('M', 'd', 'l', ' '));
  assert_int_equal(info.pool, KP_POOL_NONPAGED);
  assert_int_equal(info.size, MmSizeOfMdl(va, 2 * PAGE_SIZE));
  assert_false(info.quota_charged);
  assert_non_null(info.site.file);
  assert_non_null(strstr(info.site.file, "test_mdl.c"));
  assert_int_equal(info.site.line, (uint32_t)line);
  IoFreeMdl(mdl);
  assert_false(kp_block_query(sys, mdl, &info));
  // ChargeQuota: charged to the simulated process.
  mdl = IoAllocateMdl(va, 64, FALSE, TRUE, NULL);
  assert_non_null(mdl);
  assert_true(kp_block_query(sys, mdl, &info));
  assert_true(info.quota_charged);
  IoFreeMdl(mdl);
  // A length past 4 GB - PAGE_SIZE: NULL.
  assert_null(IoAllocateMdl(va, 0xFFFFF001u, FALSE, FALSE, NULL));
  assert_null(IoAllocateMdl(va, 0xFFFFFFFFu, FALSE, FALSE, NULL));
  // Zero length: an MDL with no pages.
  mdl = IoAllocateMdl(buf, 0, FALSE, FALSE, NULL);
  assert_non_null(mdl);
  assert_int_equal(mdl->Size, sizeof(MDL));
  IoFreeMdl(mdl);
  // No non-paged memory left: NULL, counted as a failed allocation.
  kp_tag_stats_t before, after;
  assert_true(kp_stats_tag(sys, KP_TAG('M', 'd', 'l', ' '), KP_POOL_NONPAGED,
                           &before));
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, 0),
                   STATUS_SUCCESS);
  assert_null(IoAllocateMdl(va, 64, FALSE, FALSE, NULL));
  assert_true(kp_stats_tag(sys, KP_TAG('M', 'd', 'l', ' '), KP_POOL_NONPAGED,
                           &after));
  assert_int_equal(after.failures, before.failures + 1);
  assert_int_equal(after.allocs, before.allocs);
  assert_int_equal(kp_pool_set_available(sys, KP_POOL_NONPAGED, 0, SIZE_MAX),
                   STATUS_SUCCESS);
  // The real exported function records the return address instead.
  mdl = (IoAllocateMdl)(va, 16, FALSE, FALSE, NULL);
  assert_non_null(mdl);
  assert_true(kp_block_query(sys, mdl, &info));
  assert_null(info.site.file);
  assert_non_null(info.site.caller);
  (IoFreeMdl)(mdl);
  ExFreePoolWithTag(buf, DRV_TAG);
}

static void test_core_irp_chaining(void **state) {
  kp_system_t *sys = *state;
  // The I/O model passes &Irp->MdlAddress; here a stand-in slot.
  void *slot = NULL;
  kp_mdl_t *a = kp_mdl_alloc(sys, (void *)0x10000, 10, false, false, &slot,
                             KP_HERE);
  assert_ptr_equal(slot, a);
  kp_mdl_t *b = kp_mdl_alloc(sys, (void *)0x20000, 10, true, false, &slot,
                             KP_HERE);
  kp_mdl_t *c = kp_mdl_alloc(sys, (void *)0x30000, 10, true, false, &slot,
                             KP_HERE);
  assert_ptr_equal(slot, a);
  assert_ptr_equal(a->next, b);
  assert_ptr_equal(b->next, c);
  assert_null(c->next);
  // Primary again: replaces the slot's head.
  kp_mdl_t *d = kp_mdl_alloc(sys, (void *)0x40000, 10, false, false, &slot,
                             KP_HERE);
  assert_ptr_equal(slot, d);
  // IoFreeMdl frees one MDL, never the chain.
  kp_mdl_free(sys, a, KP_HERE);
  kp_block_info_t info;
  assert_true(kp_block_query(sys, b, &info));
  kp_mdl_free(sys, b, KP_HERE);
  kp_mdl_free(sys, c, KP_HERE);
  kp_mdl_free(sys, d, KP_HERE);
  // IoAllocateMdl's chaining through a real IRP: tests/io/test_irp.c.
}

static void test_leak_reported_with_site(void **state) {
  kp_system_t *sys = *state;
  PVOID buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, DRV_TAG);
  PMDL mdl = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
  int line = __LINE__ - 1;
  assert_non_null(mdl);
  ExFreePoolWithTag(buf, DRV_TAG);
  kpt_output_reset();
  KPT_EXPECT_BUGCHECK(0xC4, 0x62, (void)kp_driver_unload(sys));
  assert_int_equal(kpt_last.p[3], 1);
  assert_non_null(strstr(kpt_output, "Mdl "));
  char where[64];
  snprintf(where, sizeof where, "test_mdl.c:%d", line);
  assert_non_null(strstr(kpt_output, where));
}

/* ---------------------------------------------------------------------------
 * Non-paged pool MDLs.
 * ------------------------------------------------------------------------- */

static void test_build_for_nonpaged_pool(void **state) {
  (void)state;
  PUCHAR buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, DRV_TAG);
  PUCHAR va = buf + 0x800;
  PMDL mdl = IoAllocateMdl(va, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  MmBuildMdlForNonPagedPool(mdl);
  assert_int_equal(mdl->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
  assert_ptr_equal(mdl->MappedSystemVa, va);
  PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
  ULONG n = pages_of(va, 2 * PAGE_SIZE);
  assert_int_equal(n, 3);
  for (ULONG i = 0; i < n; i++)
    assert_int_equal(pfn[i], ((ULONG_PTR)PAGE_ALIGN(va) >> PAGE_SHIFT) + i);
  // MmGetSystemAddressForMdlSafe just returns the address, any priority.
  assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), va);
  assert_ptr_equal(MmGetSystemAddressForMdlSafe(
                       mdl, HighPagePriority | MdlMappingNoExecute | MdlMappingNoWrite),
                   va);
  assert_int_equal(mdl->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
  // A user-mode mapping of it is allowed and leaves no flag.
  PVOID u = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, NULL, FALSE,
                                         NormalPagePriority);
  assert_ptr_equal(u, va);
  MmUnmapLockedPages(u, mdl);
  assert_int_equal(mdl->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(buf, DRV_TAG);
}

static void test_build_for_nonpaged_pool_misuse(void **state) {
  (void)state;
  PUCHAR paged = ExAllocatePool2(POOL_FLAG_PAGED, 256, DRV_TAG);
  PMDL mdl = IoAllocateMdl(paged, 256, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x7F, MmBuildMdlForNonPagedPool(mdl));
  assert_int_equal(kpt_last.p[1], PASSIVE_LEVEL);
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)mdl);
  assert_int_equal(kpt_last.p[3], 0);
  assert_non_null(strstr(kpt_last.explanation, "paged pool"));
  assert_int_equal(mdl->MdlFlags, 0); // nothing changed
  IoFreeMdl(mdl);
  // A stack buffer, and a range past the end of a non-paged block.
  UCHAR stack[64];
  mdl = IoAllocateMdl(stack, sizeof stack, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x7F, MmBuildMdlForNonPagedPool(mdl));
  IoFreeMdl(mdl);
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, DRV_TAG);
  mdl = IoAllocateMdl(np, 101, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x7F, MmBuildMdlForNonPagedPool(mdl));
  IoFreeMdl(mdl);
  ExFreePoolWithTag(np, DRV_TAG);
  ExFreePoolWithTag(paged, DRV_TAG);
}

/* ---------------------------------------------------------------------------
 * Probe and lock.
 * ------------------------------------------------------------------------- */

static void test_probe_lock_map_unlock_pool(void **state) {
  (void)state;
  PUCHAR buf = ExAllocatePool2(POOL_FLAG_PAGED, 2 * PAGE_SIZE, DRV_TAG);
  PMDL mdl = IoAllocateMdl(buf + 8, PAGE_SIZE, FALSE, FALSE, NULL);
  volatile NTSTATUS st = STATUS_SUCCESS;
  KP_TRY { MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess); }
  KP_EXCEPT(code) { st = code; }
  KP_END_TRY;
  assert_int_equal(st, STATUS_SUCCESS);
  assert_int_equal(mdl->MdlFlags, MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
  PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
  assert_int_equal(pfn[0], (ULONG_PTR)(buf + 8) >> PAGE_SHIFT);
  assert_int_equal(pfn[1], ((ULONG_PTR)(buf + 8) >> PAGE_SHIFT) + 1);
  // Mapping: once, then the mapped address is returned without remapping.
  PUCHAR sysva = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
  assert_ptr_equal(sysva, buf + 8);
  assert_int_equal(mdl->MdlFlags,
                   MDL_PAGES_LOCKED | MDL_WRITE_OPERATION | MDL_MAPPED_TO_SYSTEM_VA);
  assert_ptr_equal(mdl->MappedSystemVa, sysva);
  sysva[0] = 0x42;
  assert_int_equal(buf[8], 0x42);
  assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, LowPagePriority), sysva);
  // Unlock releases the mapping first.
  MmUnlockPages(mdl);
  assert_int_equal(mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA), 0);
  // Read access does not set MDL_WRITE_OPERATION... on a fresh MDL.
  IoFreeMdl(mdl);
  mdl = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  KP_TRY { MmProbeAndLockPages(mdl, KernelMode, IoReadAccess); }
  KP_EXCEPT(code) { st = code; }
  KP_END_TRY;
  assert_int_equal(mdl->MdlFlags, MDL_PAGES_LOCKED);
  // Explicit map / unmap.
  PVOID m = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmNonCached, NULL,
                                         FALSE, HighPagePriority);
  assert_ptr_equal(m, buf);
  MmUnmapLockedPages(m, mdl);
  assert_int_equal(mdl->MdlFlags, MDL_PAGES_LOCKED);
  // Bad cache type or priority bits: NULL, nothing mapped.
  assert_null(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmMaximumCacheType,
                                           NULL, FALSE, NormalPagePriority));
  assert_null(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL,
                                           FALSE, 0x00001000));
  assert_int_equal(mdl->MdlFlags, MDL_PAGES_LOCKED);
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(buf, DRV_TAG);
  assert_int_equal(st, STATUS_SUCCESS);
}

/* Probes @va / @len and returns the status raised (STATUS_SUCCESS if none);
 * on success the MDL is unlocked again. */
static NTSTATUS probe(PVOID va, ULONG len, KPROCESSOR_MODE mode,
                      LOCK_OPERATION op, USHORT *flags_after) {
  PMDL mdl = IoAllocateMdl(va, len, FALSE, FALSE, NULL);
  assert_non_null(mdl);
  volatile NTSTATUS st = STATUS_SUCCESS;
  KP_TRY { MmProbeAndLockPages(mdl, mode, op); }
  KP_EXCEPT(code) { st = code; }
  KP_END_TRY;
  if (flags_after != NULL) *flags_after = (USHORT)mdl->MdlFlags;
  if (st == STATUS_SUCCESS) MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  return st;
}

static void test_probe_bad_ranges_raise(void **state) {
  kp_system_t *sys = *state;
  USHORT flags = 0xFFFF;
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, DRV_TAG);
  assert_int_equal(probe(np, 100, KernelMode, IoModifyAccess, NULL), STATUS_SUCCESS);
  // Past the requested bytes, before the block, on the stack, freed memory.
  assert_int_equal(probe(np, 101, KernelMode, IoReadAccess, &flags),
                   STATUS_ACCESS_VIOLATION);
  assert_int_equal(flags, 0); // the MDL is unchanged
  assert_int_equal(probe(np - 16, 32, KernelMode, IoReadAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  UCHAR stack[32];
  assert_int_equal(probe(stack, sizeof stack, KernelMode, IoReadAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  // User mode cannot reach kernel pool.
  assert_int_equal(probe(np, 16, UserMode, IoReadAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  ExFreePoolWithTag(np, DRV_TAG);
  assert_int_equal(probe(np, 16, KernelMode, IoReadAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  // Registered user buffers: readable ones accept reads only.
  static UCHAR user_ro[3 * 4096], user_rw[512];
  assert_int_equal(kp_mdl_register_user_buffer(sys, user_ro, sizeof user_ro, false),
                   STATUS_SUCCESS);
  assert_int_equal(kp_mdl_register_user_buffer(sys, user_rw, sizeof user_rw, true),
                   STATUS_SUCCESS);
  assert_int_equal(probe(user_ro + 10, 5000, UserMode, IoReadAccess, &flags),
                   STATUS_SUCCESS);
  assert_int_equal(flags, MDL_PAGES_LOCKED);
  assert_int_equal(probe(user_ro, 10, UserMode, IoWriteAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  assert_int_equal(probe(user_ro, 10, KernelMode, IoModifyAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  assert_int_equal(probe(user_rw, 512, UserMode, IoWriteAccess, &flags),
                   STATUS_SUCCESS);
  assert_int_equal(flags, MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
  assert_int_equal(probe(user_rw, 513, UserMode, IoReadAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  // Registration rules.
  assert_int_equal(kp_mdl_register_user_buffer(sys, user_rw + 8, 8, true),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_mdl_register_user_buffer(sys, user_rw, 0, true),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_mdl_register_user_buffer(NULL, user_rw, 8, true),
                   STATUS_INVALID_PARAMETER);
  assert_int_equal(kp_mdl_unregister_user_buffer(sys, user_rw), STATUS_SUCCESS);
  assert_int_equal(kp_mdl_unregister_user_buffer(sys, user_rw), STATUS_NOT_FOUND);
  assert_int_equal(probe(user_rw, 8, UserMode, IoReadAccess, NULL),
                   STATUS_ACCESS_VIOLATION);
  assert_int_equal(kp_mdl_unregister_user_buffer(sys, user_ro), STATUS_SUCCESS);
  // Unhandled: bug check 0x1E with the status.
  PMDL mdl = IoAllocateMdl(stack, 8, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0x1E, AV_P1, MmProbeAndLockPages(mdl, KernelMode, IoReadAccess));
  IoFreeMdl(mdl);
}

/* ---------------------------------------------------------------------------
 * Partial MDLs.
 * ------------------------------------------------------------------------- */

static void test_partial_mdls(void **state) {
  (void)state;
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 4 * PAGE_SIZE, DRV_TAG);
  PMDL src = IoAllocateMdl(np + 0x100, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
  MmBuildMdlForNonPagedPool(src);
  PMDL part = IoAllocateMdl(np + 0x100, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
  PUCHAR pva = np + PAGE_SIZE + 0x200;
  IoBuildPartialMdl(src, part, pva, 0x1000);
  assert_int_equal(part->MdlFlags, MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL);
  assert_ptr_equal(MmGetMdlVirtualAddress(part), pva);
  assert_int_equal(part->ByteCount, 0x1000);
  assert_ptr_equal(part->MappedSystemVa, pva);
  assert_ptr_equal(MmGetSystemAddressForMdlSafe(part, NormalPagePriority), pva);
  assert_int_equal(MmGetMdlPfnArray(part)[0], (ULONG_PTR)pva >> PAGE_SHIFT);
  assert_int_equal(MmGetMdlPfnArray(part)[1], ((ULONG_PTR)pva >> PAGE_SHIFT) + 1);
  // Length 0: to the end of the source.
  IoBuildPartialMdl(src, part, pva, 0);
  assert_int_equal(part->ByteCount, (np + 0x100 + 3 * PAGE_SIZE) - pva);
  // Unlocking a partial MDL is the Verifier's 0xB4.
  KPT_EXPECT_BUGCHECK(0xC4, 0xB4, MmUnlockPages(part));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)part);
  assert_int_equal(kpt_last.p[3], MDL_PARTIAL);
  // Target too small: 0x40 TARGET_MDL_TOO_SMALL.
  PMDL tiny = IoAllocateMdl(np, 16, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0x40, 0, IoBuildPartialMdl(src, tiny, pva, 0x1000));
  assert_string_equal(kpt_last.name, "TARGET_MDL_TOO_SMALL");
  // Outside the source, and a source with no page numbers: assertions.
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, IoBuildPartialMdl(src, part, np, 0x10));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)src);
  PMDL bare = IoAllocateMdl(np, PAGE_SIZE, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0x1E, ASSERT_P1, IoBuildPartialMdl(bare, part, np, 0x10));
  IoFreeMdl(bare);
  IoFreeMdl(tiny);
  IoFreeMdl(part);
  IoFreeMdl(src);
  // From a locked, unmapped source: the partial MDL gets its own mapping,
  // released by MmPrepareMdlForReuse (or IoFreeMdl).
  PUCHAR pg = ExAllocatePool2(POOL_FLAG_PAGED, 2 * PAGE_SIZE, DRV_TAG);
  src = IoAllocateMdl(pg, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  MmProbeAndLockPages(src, KernelMode, IoReadAccess);
  part = IoAllocateMdl(pg, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  IoBuildPartialMdl(src, part, pg + 10, 100);
  assert_int_equal(part->MdlFlags, MDL_PARTIAL);
  assert_ptr_equal(MmGetSystemAddressForMdlSafe(part, NormalPagePriority), pg + 10);
  assert_int_equal(part->MdlFlags,
                   MDL_PARTIAL | MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
  MmPrepareMdlForReuse(part);
  assert_int_equal(part->MdlFlags, MDL_PARTIAL);
  (void)MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
  IoFreeMdl(part); // unmaps a mapped partial MDL itself: no bug check
  // A mapped source passes its mapping on.
  (void)MmGetSystemAddressForMdlSafe(src, NormalPagePriority);
  part = IoAllocateMdl(pg, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  IoBuildPartialMdl(src, part, pg + PAGE_SIZE, 0);
  assert_int_equal(part->MdlFlags, MDL_PARTIAL | MDL_MAPPED_TO_SYSTEM_VA);
  assert_ptr_equal(part->MappedSystemVa, pg + PAGE_SIZE);
  IoFreeMdl(part);
  MmUnlockPages(src);
  IoFreeMdl(src);
  ExFreePoolWithTag(pg, DRV_TAG);
  ExFreePoolWithTag(np, DRV_TAG);
}

/* ---------------------------------------------------------------------------
 * Verifier checks.
 * ------------------------------------------------------------------------- */

static void test_verifier_unlock_checks(void **state) {
  (void)state;
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, DRV_TAG);
  PMDL mdl = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
  KPT_EXPECT_BUGCHECK(0xC4, 0x7C, MmUnlockPages(mdl));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)mdl);
  assert_int_equal(kpt_last.p[2], 0);
  assert_int_equal(kpt_last.p[3], 0);
  MmBuildMdlForNonPagedPool(mdl);
  KPT_EXPECT_BUGCHECK(0xC4, 0x7D, MmUnlockPages(mdl));
  assert_int_equal(kpt_last.p[2], MDL_SOURCE_IS_NONPAGED_POOL);
  // Probe and lock of an MDL built for non-paged pool: 0xB0.
  KPT_EXPECT_BUGCHECK(0xC4, 0xB0, MmProbeAndLockPages(mdl, KernelMode, IoReadAccess));
  assert_int_equal(kpt_last.p[3], MDL_SOURCE_IS_NONPAGED_POOL);
  // Kernel mapping of it: 0xB2.
  KPT_EXPECT_BUGCHECK(0xC4, 0xB2,
                      (void)MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached,
                                                         NULL, FALSE,
                                                         NormalPagePriority));
  assert_int_equal(kpt_last.p[3], MDL_SOURCE_IS_NONPAGED_POOL);
  // Unmapping an address that is not a mapping of it: 0xB2 (kpool's check).
  KPT_EXPECT_BUGCHECK(0xC4, 0xB2, MmUnmapLockedPages(np + 1, mdl));
  IoFreeMdl(mdl);
  // Locked twice: 0xB0 with MDL_PAGES_LOCKED.
  mdl = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
  MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  KPT_EXPECT_BUGCHECK(0xC4, 0xB0, MmProbeAndLockPages(mdl, KernelMode, IoReadAccess));
  assert_int_equal(kpt_last.p[3], MDL_PAGES_LOCKED);
  MmUnlockPages(mdl);
  // Unlocked twice: 0x7C.
  KPT_EXPECT_BUGCHECK(0xC4, 0x7C, MmUnlockPages(mdl));
  // Mapping pages that are not locked: 0xB3.
  KPT_EXPECT_BUGCHECK(0xC4, 0xB3,
                      (void)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority));
  assert_int_equal(kpt_last.p[3], MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(np, DRV_TAG);
}

static void test_verifier_free_checks(void **state) {
  (void)state;
  PUCHAR pg = ExAllocatePool2(POOL_FLAG_PAGED, 3 * PAGE_SIZE, DRV_TAG);
  PMDL mdl = IoAllocateMdl(pg + 1, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
  MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  (void)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  // Still mapped: 0xB8, and the MDL stays allocated.
  KPT_EXPECT_BUGCHECK(0xC4, 0xB8, IoFreeMdl(mdl));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)mdl);
  assert_int_equal(kpt_last.p[2], MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA);
  MmUnmapLockedPages(mdl->MappedSystemVa, mdl);
  // Still locked: 0x76 PROCESS_HAS_LOCKED_PAGES with the page count.
  KPT_EXPECT_BUGCHECK(0x76, 0, IoFreeMdl(mdl));
  assert_int_equal(kpt_last.p[2], 3);
  assert_string_equal(kpt_last.name, "PROCESS_HAS_LOCKED_PAGES");
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  // Not an MDL block at all: the pool's free check.
  UCHAR stack[64];
  KPT_EXPECT_BUGCHECK(0xC4, 0x10, IoFreeMdl((PMDL)(void *)stack));
  ExFreePoolWithTag(pg, DRV_TAG);
}

static void test_verifier_irql_checks(void **state) {
  (void)state;
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, DRV_TAG);
  PMDL mdl = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  KPT_EXPECT_BUGCHECK(0xC4, 0x70, MmProbeAndLockPages(mdl, KernelMode, IoReadAccess));
  assert_int_equal(kpt_last.p[1], HIGH_LEVEL);
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)mdl);
  assert_int_equal(kpt_last.p[3], KernelMode);
  KeLowerIrql(old);
  MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  KeRaiseIrql(HIGH_LEVEL, &old);
  KPT_EXPECT_BUGCHECK(0xC4, 0x78, MmUnlockPages(mdl));
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)mdl);
  KPT_EXPECT_BUGCHECK(0xC4, 0x76,
                      (void)MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached,
                                                         NULL, FALSE,
                                                         NormalPagePriority));
  KeLowerIrql(old);
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KPT_EXPECT_BUGCHECK(0xC4, 0x77,
                      (void)MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached,
                                                         NULL, FALSE,
                                                         NormalPagePriority));
  assert_int_equal(kpt_last.p[3], UserMode);
  // At DISPATCH_LEVEL a kernel mapping is fine.
  PVOID va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE,
                                          NormalPagePriority);
  assert_ptr_equal(va, np);
  KeLowerIrql(old);
  KeRaiseIrql(HIGH_LEVEL, &old);
  KPT_EXPECT_BUGCHECK(0xC4, 0x79, MmUnmapLockedPages(va, mdl));
  assert_int_equal(kpt_last.p[2], (uint64_t)(uintptr_t)va);
  assert_int_equal(kpt_last.p[3], (uint64_t)(uintptr_t)mdl);
  // IoAllocateMdl above DISPATCH_LEVEL: the pool's 0xC4/0x02.
  KPT_EXPECT_BUGCHECK(0xC4, 0x02, (void)IoAllocateMdl(np, 8, FALSE, FALSE, NULL));
  KeLowerIrql(old);
  MmUnmapLockedPages(va, mdl);
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(np, DRV_TAG);
}

static void test_bugcheck_on_failure(void **state) {
  (void)state;
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, DRV_TAG);
  PMDL mdl = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
  MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  KPT_EXPECT_BUGCHECK(0xC4, 0x82,
                      (void)MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached,
                                                         NULL, TRUE,
                                                         NormalPagePriority));
  assert_int_equal(kpt_last.p[1], (uint64_t)(uintptr_t)mdl);
  assert_int_equal(kpt_last.p[2], MDL_PAGES_LOCKED);
  assert_int_equal(mdl->MdlFlags, MDL_PAGES_LOCKED);
  MmUnlockPages(mdl);
  IoFreeMdl(mdl);
  ExFreePoolWithTag(np, DRV_TAG);
}

static void test_retail_mode(void **state) {
  (void)state;
  PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, DRV_TAG);
  PMDL mdl = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
  MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  // BugCheckOnFailure TRUE is allowed without the Verifier.
  PVOID va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, TRUE,
                                          NormalPagePriority);
  assert_ptr_equal(va, np);
  assert_int_equal(kpt_last.count, 0);
  MmUnlockPages(mdl);
  // The other MDL checks stay on (kpool's choice).
  KPT_EXPECT_BUGCHECK(0xC4, 0x7C, MmUnlockPages(mdl));
  IoFreeMdl(mdl);
  ExFreePoolWithTag(np, DRV_TAG);
}

/* ---------------------------------------------------------------------------
 * Threads: MDL calls and user-buffer registrations from several threads.
 * ------------------------------------------------------------------------- */

typedef struct mdl_worker {
  kp_system_t *sys;
  int index;
  int failures;
} mdl_worker_t;

static void *mdl_worker_main(void *arg) {
  mdl_worker_t *w = arg;
  static UCHAR user[4][2048];
  for (int i = 0; i < 200; i++) {
    PUCHAR np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 300 + i, DRV_TAG);
    PMDL a = IoAllocateMdl(np, 300 + i, FALSE, FALSE, NULL);
    if (np == NULL || a == NULL) {
      w->failures++;
      continue;
    }
    MmBuildMdlForNonPagedPool(a);
    if (MmGetSystemAddressForMdlSafe(a, NormalPagePriority) != np) w->failures++;
    IoFreeMdl(a);
    if (kp_mdl_register_user_buffer(w->sys, user[w->index], sizeof user[0],
                                    true) != STATUS_SUCCESS)
      w->failures++;
    PMDL b = IoAllocateMdl(user[w->index] + i, 100, FALSE, FALSE, NULL);
    volatile NTSTATUS st = STATUS_SUCCESS;
    KP_TRY { MmProbeAndLockPages(b, UserMode, IoWriteAccess); }
    KP_EXCEPT(code) { st = code; }
    KP_END_TRY;
    if (st != STATUS_SUCCESS) w->failures++;
    MmUnlockPages(b);
    IoFreeMdl(b);
    if (kp_mdl_unregister_user_buffer(w->sys, user[w->index]) != STATUS_SUCCESS)
      w->failures++;
    ExFreePoolWithTag(np, DRV_TAG);
  }
  return NULL;
}

static void test_threads(void **state) {
  kp_system_t *sys = *state;
  mdl_worker_t w[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    w[i].sys = sys;
    w[i].index = i;
    w[i].failures = 0;
    assert_int_equal(pthread_create(&th[i], NULL, mdl_worker_main, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(w[i].failures, 0);
  assert_int_equal(kpt_last.count, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_layout_and_sizes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_allocate_and_free, setup, teardown),
      cmocka_unit_test_setup_teardown(test_core_irp_chaining, setup, teardown),
      cmocka_unit_test_setup_teardown(test_leak_reported_with_site, setup, teardown),
      cmocka_unit_test_setup_teardown(test_build_for_nonpaged_pool, setup, teardown),
      cmocka_unit_test_setup_teardown(test_build_for_nonpaged_pool_misuse, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_probe_lock_map_unlock_pool, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_probe_bad_ranges_raise, setup, teardown),
      cmocka_unit_test_setup_teardown(test_partial_mdls, setup, teardown),
      cmocka_unit_test_setup_teardown(test_verifier_unlock_checks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_verifier_free_checks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_verifier_irql_checks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bugcheck_on_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_retail_mode, setup_retail, teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
