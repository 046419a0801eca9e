/**
 * @file kpool/mdl.h
 * @brief Memory descriptor lists over simulated memory: the core form of
 *        MDL and of IoAllocateMdl, IoFreeMdl, MmBuildMdlForNonPagedPool,
 *        MmProbeAndLockPages, MmUnlockPages, MmMapLockedPagesSpecifyCache,
 *        MmUnmapLockedPages, MmGetSystemAddressForMdlSafe,
 *        IoBuildPartialMdl, MmPrepareMdlForReuse, MmSizeOfMdl and
 *        MmInitializeMdl.
 *
 * What is simulated (surface facts §9):
 *
 * - **Layout.** kp_mdl_t is the x64 MDL (0x30 bytes: Next, Size, MdlFlags,
 *   Process, MappedSystemVa, StartVa, ByteCount, ByteOffset), followed by
 *   the PFN array (one uintptr_t per page spanned).
 * - **Page frame numbers** are simulated: the PFN of an address is its
 *   host address >> 12 (kp_mdl_pfn()). Pool memory is already mapped in
 *   the host process, so every "system address" kpool hands out is the
 *   buffer's own address (StartVa + ByteOffset).
 * - **What memory is valid.** A range [va, va + length) is valid when it
 *   lies inside the requested bytes of one live pool block (paged or
 *   non-paged, special and secure pools included), or inside one user
 *   buffer a test registered with kp_mdl_register_user_buffer() (a
 *   stand-in for a user-mode buffer of the simulated process). Anything
 *   else (the stack, a freed block, a block's slack or canary, host memory
 *   kpool does not know) is not valid. A user-mode probe (access mode 1)
 *   accepts only registered user buffers, since user mode cannot reach
 *   kernel pool; a write or modify probe of a read-only user buffer fails.
 * - **IoAllocateMdl** allocates the MDL (header + PFN array, MmSizeOfMdl
 *   bytes) from non-paged pool with the tag "Mdl " (the tag Windows'
 *   pooltag list gives the I/O manager's MDLs), recording the caller's
 *   site, so an MDL never freed is a leak reported at unload under that tag
 *   and site. The PFN array is not filled. MdlFlags is 0. A length above
 *   4 GB - PAGE_SIZE gives NULL (the documented Windows 7+ limit), as does
 *   an allocation failure. With a charge-quota request the MDL is charged
 *   to the simulated process quota (drivers must pass FALSE; kpool honours
 *   TRUE anyway) and fails with NULL when the quota is exhausted.
 * - **IRP chaining** (SecondaryBuffer): kp_mdl_alloc() takes the address
 *   of an IRP's MdlAddress field. Primary: the MDL is stored there.
 *   Secondary: it is appended to the end of the chain that starts there.
 *
 * Misuse and its bug checks (0xC4 subcodes from the Bug Check 0xC4 page;
 * P2..P4 as documented there). Windows' own checks live in Driver
 * Verifier; without it the same mistakes corrupt the PFN database and
 * crash later with an unrelated code. kpool raises the Verifier's
 * diagnosis whether or not KP_VERIFY_AUTOMATIC is set (kpool's choice),
 * except 0x82, which is a Verifier-only rule:
 *
 * | P1   | raised by                                  | P2, P3, P4                 |
 * |------|--------------------------------------------|----------------------------|
 * | 0x70 | probe and lock at IRQL > DISPATCH_LEVEL    | IRQL, MDL, access mode     |
 * | 0x76 | kernel-mode map at IRQL > DISPATCH_LEVEL   | IRQL, MDL, access mode     |
 * | 0x77 | user-mode map at IRQL > APC_LEVEL          | IRQL, MDL, access mode     |
 * | 0x78 | unlock at IRQL > DISPATCH_LEVEL            | IRQL, MDL, 0               |
 * | 0x79 | unmap at IRQL > DISPATCH_LEVEL             | IRQL, address, MDL         |
 * | 0x7C | unlock of an MDL never locked              | MDL, flags, 0              |
 * | 0x7D | unlock of a non-paged-pool MDL             | MDL, flags, 0              |
 * | 0x7F | MmBuildMdlForNonPagedPool on memory that is not non-paged pool | IRQL, MDL, flags |
 * | 0x82 | map with BugCheckOnFailure TRUE (Verifier) | MDL, flags, 0              |
 * | 0xB0 | probe and lock of an MDL already locked or built for non-paged pool / partial | MDL, flags, the wrong flags |
 * | 0xB2 | kernel map of an MDL already mapped or built for non-paged pool; unmap of an address that is not the MDL's mapping (kpool's choice) | MDL, flags, the wrong flags |
 * | 0xB3 | map of an MDL neither locked nor partial   | MDL, flags, the missing flags |
 * | 0xB4 | unlock of a partial MDL                    | MDL, flags, MDL_PARTIAL    |
 * | 0xB8 | free of an MDL still mapped                | MDL, flags, 0              |
 *
 * Also: freeing an MDL whose pages are still locked raises 0x76
 * PROCESS_HAS_LOCKED_PAGES (P1 0, P2 the MDL's Process, P3 the number of
 * locked pages, P4 0) at the free (Windows notices at process exit; kpool
 * reports it where the mistake is); IoBuildPartialMdl with a target too
 * small raises 0x40 TARGET_MDL_TOO_SMALL (no parameters); a partial range
 * outside the source, or a source neither locked, built for non-paged pool
 * nor partial, is the ASSERT of a checked kernel: 0x1E with
 * P1 = STATUS_ASSERTION_FAILURE, P2 the source MDL, P3 the address, P4 the
 * length. After a bug check whose handler returns, the call changes
 * nothing.
 *
 * A bad range in kp_mdl_probe_and_lock() raises STATUS_ACCESS_VIOLATION
 * (kp_raise_status semantics: caught by KP_TRY / KP_EXCEPT, else bug
 * check 0x1E) and leaves the MDL unchanged.
 *
 * Thread safety: the routines are thread-safe with respect to the
 * simulator; one MDL must not be used by two threads at once (as on
 * Windows).
 */
#ifndef KPOOL_MDL_H
#define KPOOL_MDL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The x64 MDL header; the PFN array follows it. */
typedef struct kp_mdl {
  struct kp_mdl *next;     /**< Next: chains the MDLs of one IRP */
  int16_t size;            /**< Size: header + PFN array, in bytes */
  int16_t flags;           /**< MdlFlags (KP_MDL_*) */
  void *process;           /**< Process */
  void *mapped_va;         /**< MappedSystemVa */
  void *start_va;          /**< StartVa: page-aligned */
  uint32_t byte_count;     /**< ByteCount */
  uint32_t byte_offset;    /**< ByteOffset: offset in the first page */
} kp_mdl_t;

/* MdlFlags values (WDK wdm.h). */
#define KP_MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define KP_MDL_PAGES_LOCKED 0x0002
#define KP_MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define KP_MDL_ALLOCATED_FIXED_SIZE 0x0008
#define KP_MDL_PARTIAL 0x0010
#define KP_MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define KP_MDL_IO_PAGE_READ 0x0040
#define KP_MDL_WRITE_OPERATION 0x0080
#define KP_MDL_PARENT_MAPPED_SYSTEM_VA 0x0100
#define KP_MDL_FREE_EXTRA_PTES 0x0200
#define KP_MDL_DESCRIBES_AWE 0x0400
#define KP_MDL_IO_SPACE 0x0800
#define KP_MDL_NETWORK_HEADER 0x1000
#define KP_MDL_MAPPING_CAN_FAIL 0x2000
#define KP_MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define KP_MDL_INTERNAL 0x8000

/* Mapping priority flags ORed into MM_PAGE_PRIORITY. */
#define KP_MDL_MAPPING_NO_WRITE 0x80000000u
#define KP_MDL_MAPPING_NO_EXECUTE 0x40000000u
#define KP_MDL_MAPPING_WITH_GUARD_PTES 0x20000000u

/** The pool tag of MDLs from kp_mdl_alloc(): "Mdl ". */
#define KP_TAG_MDL KP_TAG('M', 'd', 'l', ' ')
/** The largest length kp_mdl_alloc() accepts: 4 GB - PAGE_SIZE. */
#define KP_MDL_MAX_LENGTH 0xFFFFF000u

/** Access modes (KPROCESSOR_MODE) and lock operations (LOCK_OPERATION). */
#define KP_MODE_KERNEL 0
#define KP_MODE_USER 1
#define KP_LOCK_READ 0
#define KP_LOCK_WRITE 1
#define KP_LOCK_MODIFY 2

/** The simulated page frame number of @p va (host address >> 12). */
KP_API uintptr_t kp_mdl_pfn(const void *va);
/** ADDRESS_AND_SIZE_TO_SPAN_PAGES: pages touched by [va, va + size). */
KP_API size_t kp_mdl_pages_spanned(const void *va, size_t size);
/** MmSizeOfMdl: header + one PFN per page spanned. */
KP_API size_t kp_mdl_size_of(const void *base, size_t length);
/** The PFN array that follows @p mdl (MmGetMdlPfnArray). */
KP_API uintptr_t *kp_mdl_pfns(kp_mdl_t *mdl);

/**
 * MmInitializeMdl: Next NULL, Size = kp_mdl_size_of (truncated to 16 bits
 * as the WDK's CSHORT cast does), MdlFlags 0, StartVa the page of @p base,
 * ByteOffset its offset, ByteCount @p length (low 32 bits). The PFN array
 * is not touched.
 */
KP_API void kp_mdl_init(kp_mdl_t *mdl, void *base, size_t length);

/**
 * IoAllocateMdl (see the file comment). @p irp_mdl_slot is the address of
 * an IRP's MdlAddress, or NULL for no IRP; @p secondary chooses primary
 * (store) or secondary (append) when it is not NULL. @p site is the
 * caller's, recorded as the allocation site of the MDL's block.
 * @return the MDL, or NULL (length above KP_MDL_MAX_LENGTH, no memory, no
 *         quota).
 * @bugcheck the pool's IRQL rules for a non-paged allocation (0xC4/0x02
 *           above DISPATCH_LEVEL).
 */
KP_API kp_mdl_t *kp_mdl_alloc(kp_system_t *sys, void *va, uint32_t length,
                              bool secondary, bool charge_quota,
                              void **irp_mdl_slot, kp_site_t site);

/**
 * IoFreeMdl: frees one MDL (never the rest of its chain). A partial MDL
 * that was mapped is unmapped first.
 * @bugcheck 0xC4/0xB8 when the MDL is still mapped to a system address;
 *           0x76 when its pages are still locked; the pool's free checks
 *           (0xC2/0xC4) when @p mdl is not a live pool block.
 */
KP_API void kp_mdl_free(kp_system_t *sys, kp_mdl_t *mdl, kp_site_t site);

/**
 * MmBuildMdlForNonPagedPool: fills the PFN array, sets MappedSystemVa =
 * StartVa + ByteOffset and MDL_SOURCE_IS_NONPAGED_POOL.
 * @bugcheck 0xC4/0x7F when the range is not inside one live non-paged pool
 *           block (paged pool, a user buffer, the stack, freed memory).
 */
KP_API void kp_mdl_build_nonpaged(kp_system_t *sys, kp_mdl_t *mdl,
                                  kp_site_t site);

/**
 * MmProbeAndLockPages: checks the range (see "What memory is valid"),
 * fills the PFN array, sets MDL_PAGES_LOCKED (and MDL_WRITE_OPERATION for
 * a write or modify operation). Raises STATUS_ACCESS_VIOLATION for a bad
 * range, leaving the MDL unchanged.
 * @bugcheck 0xC4/0x70 above DISPATCH_LEVEL; 0xC4/0xB0 when the MDL is
 *           already locked, built for non-paged pool or partial.
 */
KP_API void kp_mdl_probe_and_lock(kp_system_t *sys, kp_mdl_t *mdl,
                                  int access_mode, int operation,
                                  kp_site_t site);

/**
 * MmUnlockPages: releases a system mapping first, then clears
 * MDL_PAGES_LOCKED. @bugcheck 0xC4/0x78, 0xB4, 0x7D, 0x7C (table above).
 */
KP_API void kp_mdl_unlock(kp_system_t *sys, kp_mdl_t *mdl, kp_site_t site);

/**
 * MmMapLockedPagesSpecifyCache. Kernel mode: sets MappedSystemVa and
 * MDL_MAPPED_TO_SYSTEM_VA (plus MDL_PARTIAL_HAS_BEEN_MAPPED for a partial
 * MDL) and returns StartVa + ByteOffset. User mode: returns the same
 * address (the simulated process shares the address space) and changes no
 * flag. @p cache_type must be below 6 (MmMaximumCacheType) and @p priority
 * may hold only a priority in its low byte and the KP_MDL_MAPPING_* flags:
 * otherwise NULL (kpool's choice). The no-write / no-execute flags are
 * accepted but not enforced (the address is the buffer's own).
 * @bugcheck 0xC4/0x76, 0x77, 0x82, 0xB2, 0xB3 (table above).
 */
KP_API void *kp_mdl_map(kp_system_t *sys, kp_mdl_t *mdl, int access_mode,
                        int cache_type, void *requested_address,
                        bool bugcheck_on_failure, uint32_t priority,
                        kp_site_t site);

/** MmUnmapLockedPages. @bugcheck 0xC4/0x79 above DISPATCH_LEVEL; 0xC4/0xB2
 *  when @p base is neither the MDL's system mapping nor its user address. */
KP_API void kp_mdl_unmap(kp_system_t *sys, void *base, kp_mdl_t *mdl,
                         kp_site_t site);

/**
 * MmGetSystemAddressForMdlSafe: MappedSystemVa when the MDL is mapped or
 * built for non-paged pool, else a kernel-mode kp_mdl_map() (cached) with
 * @p priority.
 */
KP_API void *kp_mdl_system_address(kp_system_t *sys, kp_mdl_t *mdl,
                                   uint32_t priority, kp_site_t site);

/**
 * IoBuildPartialMdl: @p target describes [@p va, @p va + @p length) of
 * @p source (length 0: to the end of the source), with MDL_PARTIAL, the
 * source's SOURCE_IS_NONPAGED_POOL / MAPPED_TO_SYSTEM_VA / IO_PAGE_READ
 * bits, MappedSystemVa offset into the source's mapping, and the PFNs
 * copied. @bugcheck 0x40 when @p target's PFN array is too small; 0x1E
 * (assertion) as in the file comment.
 */
KP_API void kp_mdl_build_partial(kp_system_t *sys, kp_mdl_t *source,
                                 kp_mdl_t *target, void *va, uint32_t length,
                                 kp_site_t site);

/** MmPrepareMdlForReuse: releases a partial MDL's own mapping. */
KP_API void kp_mdl_prepare_reuse(kp_system_t *sys, kp_mdl_t *mdl);

/**
 * Registers [@p addr, @p addr + @p length) as a user-mode buffer of the
 * simulated process, for kp_mdl_probe_and_lock(). @p writable false makes
 * write and modify probes fail. The memory stays the caller's.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for a NULL system or
 *         address, a zero length or a range overlapping a registered one;
 *         STATUS_INSUFFICIENT_RESOURCES when out of host memory.
 * Thread-safe.
 */
KP_API kp_status_t kp_mdl_register_user_buffer(kp_system_t *sys, void *addr,
                                               size_t length, bool writable);
/** Forgets the user buffer starting at @p addr. STATUS_NOT_FOUND when there
 *  is none. Thread-safe. */
KP_API kp_status_t kp_mdl_unregister_user_buffer(kp_system_t *sys,
                                                 void *addr);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_MDL_H */
