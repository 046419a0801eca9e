/**
 * @file kpool/wdk/kp_wdk_mdl.h
 * @brief WDK face (wdm.h): MDL, its flags and accessors, IoAllocateMdl,
 *        IoFreeMdl, MmBuildMdlForNonPagedPool, MmProbeAndLockPages,
 *        MmUnlockPages, MmMapLockedPagesSpecifyCache, MmUnmapLockedPages,
 *        MmGetSystemAddressForMdlSafe, IoBuildPartialMdl,
 *        MmPrepareMdlForReuse, MmSizeOfMdl and MmInitializeMdl, over the
 *        core kpool/mdl.h.
 *
 * Included by wdm.h near its end; including it directly includes wdm.h
 * first.
 *
 * What is simulated, in short (kpool/mdl.h has the full contract and the
 * bug check table):
 *
 * - Page frame numbers are simulated (the host address >> 12); the system
 *   address of pool memory is its own address.
 * - IoAllocateMdl takes the MDL from non-paged pool with the tag "Mdl " and
 *   the caller's file:line (or return address), so a leaked MDL is named
 *   at unload with its site. Length above 4 GB - PAGE_SIZE: NULL.
 * - **Irp:** a non-NULL Irp gets the new MDL chained through
 *   Irp->MdlAddress (SecondaryBuffer FALSE: it becomes Irp->MdlAddress;
 *   TRUE: it is appended to the end of the chain), as the I/O manager
 *   does; IoFreeMdl does not unchain it.
 * - MmProbeAndLockPages accepts a range inside one live pool block (kernel
 *   mode) or inside a user buffer the test registered with
 *   kp_mdl_register_user_buffer(); anything else raises
 *   STATUS_ACCESS_VIOLATION, to be caught with KP_TRY / KP_EXCEPT (the C
 *   spelling of __try / __except), else bug check 0x1E.
 * - Misuse raises the Driver Verifier's 0xC4 subcodes (0x70, 0x76-0x79,
 *   0x7C, 0x7D, 0x7F, 0x82, 0xB0, 0xB2-0xB4, 0xB8), 0x76 for a free with
 *   pages still locked, 0x40 for a partial target too small.
 *
 * Layout: MDL 0x30 bytes (x64 offsets), checked in src/wdk/wdk_mdl.c.
 */
#ifndef KPOOL_WDK_KP_WDK_MDL_H
#include "wdm.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_MDL_H
#define KPOOL_WDK_KP_WDK_MDL_H

#include "../mdl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Types shared with the I/O model and the dispatcher
 * ========================================================================= */

/* IRP is defined by the I/O model (kp_wdk_io.h); an identical typedef here
 * keeps this header usable on its own. */
struct _IRP;
typedef struct _IRP *PIRP;
struct _EPROCESS;

#ifndef KPOOL_WDK_KPROCESSOR_MODE_DEFINED
#define KPOOL_WDK_KPROCESSOR_MODE_DEFINED
/** KPROCESSOR_MODE and its values. */
typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;
#endif

/** LOCK_OPERATION: what MmProbeAndLockPages checks access for. */
typedef enum _LOCK_OPERATION {
  IoReadAccess,
  IoWriteAccess,
  IoModifyAccess
} LOCK_OPERATION;

#ifndef KPOOL_WDK_MEMORY_CACHING_TYPE_DEFINED
#define KPOOL_WDK_MEMORY_CACHING_TYPE_DEFINED
/** MEMORY_CACHING_TYPE (MmMapLockedPagesSpecifyCache's CacheType). */
typedef enum _MEMORY_CACHING_TYPE {
  MmNotMapped = -1,
  MmNonCached = 0,
  MmCached = 1,
  MmWriteCombined = 2,
  MmHardwareCoherentCached = 3,
  MmNonCachedUnordered = 4,
  MmUSWCCached = 5,
  MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;
#endif

/** MM_PAGE_PRIORITY, ORed with the MdlMapping* flags below. */
typedef enum _MM_PAGE_PRIORITY {
  LowPagePriority,
  NormalPagePriority = 16,
  HighPagePriority = 32
} MM_PAGE_PRIORITY;

#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000
#define MdlMappingWithGuardPtes 0x20000000

/** A page frame number. */
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;

/* ===========================================================================
 * MDL
 * ========================================================================= */

/** MDL: this header, followed by the PFN array (MmGetMdlPfnArray). */
typedef struct _MDL {
  struct _MDL *Next;
  CSHORT Size;
  CSHORT MdlFlags;
  struct _EPROCESS *Process;
  PVOID MappedSystemVa;
  PVOID StartVa;
  ULONG ByteCount;
  ULONG ByteOffset;
} MDL, *PMDL;
typedef MDL *PMDLX;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000

/** Pages touched by [Va, Va + Size). */
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)                               \
  ((ULONG)((((ULONG_PTR)(Size)) >> PAGE_SHIFT) +                               \
           ((BYTE_OFFSET(Va) + ((ULONG_PTR)(Size) & (PAGE_SIZE - 1)) +         \
             (PAGE_SIZE - 1)) >>                                               \
            PAGE_SHIFT)))
#define COMPUTE_PAGES_SPANNED(Va, Size) ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)

/** MmGetMdlPfnArray: the PFN array right after the header. */
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))
/** MmGetMdlBaseVa: StartVa (page-aligned). */
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
/** MmGetMdlVirtualAddress: StartVa + ByteOffset. */
#define MmGetMdlVirtualAddress(Mdl)                                            \
  ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)

/** MmSizeOfMdl: sizeof(MDL) + sizeof(PFN_NUMBER) per page spanned. */
NTKERNELAPI SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length);

/** MmInitializeMdl: the header for [BaseVa, BaseVa + Length); PFNs untouched. */
FORCEINLINE VOID MmInitializeMdl(PMDL MemoryDescriptorList, PVOID BaseVa,
                                 SIZE_T Length) {
  kp_mdl_init((kp_mdl_t *)(void *)MemoryDescriptorList, BaseVa, Length);
}

/**
 * IoAllocateMdl: an MDL for [VirtualAddress, +Length) from non-paged pool
 * (tag "Mdl "), PFN array not filled; NULL above 4 GB - PAGE_SIZE or when
 * out of memory / quota. Irp: see the file comment (chained through
 * Irp->MdlAddress).
 */
NTKERNELAPI PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length,
                                     BOOLEAN SecondaryBuffer,
                                     BOOLEAN ChargeQuota, PIRP Irp);
/** IoFreeMdl: frees this MDL only. @bugcheck 0xC4/0xB8 still mapped; 0x76
 *  pages still locked; pool free checks for a pointer that is no block. */
NTKERNELAPI VOID NTAPI IoFreeMdl(PMDL Mdl);
/** MmBuildMdlForNonPagedPool. @bugcheck 0xC4/0x7F for memory that is not
 *  one live non-paged pool block. */
NTKERNELAPI VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);
/** MmProbeAndLockPages: raises STATUS_ACCESS_VIOLATION for a bad range.
 *  @bugcheck 0xC4/0x70 above DISPATCH_LEVEL; 0xC4/0xB0 wrong flags. */
NTKERNELAPI VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList,
                                           KPROCESSOR_MODE AccessMode,
                                           LOCK_OPERATION Operation);
/** MmUnlockPages. @bugcheck 0xC4/0x78, 0xB4, 0x7D, 0x7C. */
NTKERNELAPI VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList);
/** MmMapLockedPagesSpecifyCache. @bugcheck 0xC4/0x76, 0x77, 0x82 (Verifier),
 *  0xB2, 0xB3. NULL for a bad CacheType or Priority. */
NTKERNELAPI PVOID NTAPI MmMapLockedPagesSpecifyCache(
    PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
    MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
    ULONG BugCheckOnFailure, ULONG Priority);
/** MmUnmapLockedPages. @bugcheck 0xC4/0x79, 0xB2. */
NTKERNELAPI VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL Mdl);
/** IoBuildPartialMdl. @bugcheck 0x40 target too small; 0x1E (assertion)
 *  for a range outside the source or a source without page numbers. */
NTKERNELAPI VOID NTAPI IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl,
                                         PVOID VirtualAddress, ULONG Length);
/** MmPrepareMdlForReuse: releases a partial MDL's own mapping. */
NTKERNELAPI VOID NTAPI MmPrepareMdlForReuse(PMDL Mdl);

/** MmGetSystemAddressForMdlSafe: MappedSystemVa when mapped or built for
 *  non-paged pool, else a cached kernel-mode mapping with Priority (which
 *  may carry MdlMappingNoWrite / MdlMappingNoExecute). */
FORCEINLINE PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority) {
  if ((Mdl->MdlFlags &
       (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) != 0) {
    return Mdl->MappedSystemVa;
  }
  return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE,
                                      Priority);
}

/* Site-taking twins for the call-site macros below. */
KP_API PMDL kp_wdk_IoAllocateMdl_at(PVOID VirtualAddress, ULONG Length,
                                    BOOLEAN SecondaryBuffer,
                                    BOOLEAN ChargeQuota, PIRP Irp,
                                    const char *File, ULONG Line);
KP_API VOID kp_wdk_IoFreeMdl_at(PMDL Mdl, const char *File, ULONG Line);

#ifdef __cplusplus
}
#endif

#if !defined(KPOOL_NO_CALL_SITES)
#define IoAllocateMdl(VirtualAddress, Length, SecondaryBuffer, ChargeQuota,    \
                      Irp)                                                     \
  kp_wdk_IoAllocateMdl_at((VirtualAddress), (Length), (SecondaryBuffer),       \
                          (ChargeQuota), (Irp), __FILE__, __LINE__)
#define IoFreeMdl(Mdl) kp_wdk_IoFreeMdl_at((Mdl), __FILE__, __LINE__)
#endif

#endif /* KPOOL_WDK_KP_WDK_MDL_H */
