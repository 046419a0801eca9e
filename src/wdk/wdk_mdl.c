/*
 * wdk_mdl.c — the WDK MDL names (IoAllocateMdl, IoFreeMdl,
 * MmBuildMdlForNonPagedPool, MmProbeAndLockPages, ...) as real exported
 * functions over kpool/mdl.h, with site-taking twins for the call-site
 * macros of IoAllocateMdl / IoFreeMdl. No logic: MDL and kp_mdl_t share
 * one layout (checked below).
 */
#include "kpool/wdk/ntifs.h"

#include "kpool/mdl.h"
#include "kpool/system.h"

_Static_assert(sizeof(MDL) == sizeof(kp_mdl_t), "MDL size");
_Static_assert(sizeof(void *) != 8 || sizeof(MDL) == 0x30,
               "MDL is 0x30 on x64");
_Static_assert(offsetof(MDL, Size) == offsetof(kp_mdl_t, size) &&
                   offsetof(MDL, MdlFlags) == offsetof(kp_mdl_t, flags) &&
                   offsetof(MDL, Process) == offsetof(kp_mdl_t, process) &&
                   offsetof(MDL, MappedSystemVa) ==
                       offsetof(kp_mdl_t, mapped_va) &&
                   offsetof(MDL, StartVa) == offsetof(kp_mdl_t, start_va) &&
                   offsetof(MDL, ByteCount) == offsetof(kp_mdl_t, byte_count) &&
                   offsetof(MDL, ByteOffset) == offsetof(kp_mdl_t, byte_offset),
               "MDL fields");
_Static_assert(MDL_MAPPED_TO_SYSTEM_VA == KP_MDL_MAPPED_TO_SYSTEM_VA &&
                   MDL_PAGES_LOCKED == KP_MDL_PAGES_LOCKED &&
                   MDL_SOURCE_IS_NONPAGED_POOL ==
                       KP_MDL_SOURCE_IS_NONPAGED_POOL &&
                   MDL_PARTIAL == KP_MDL_PARTIAL &&
                   MDL_PARTIAL_HAS_BEEN_MAPPED ==
                       KP_MDL_PARTIAL_HAS_BEEN_MAPPED &&
                   MDL_WRITE_OPERATION == KP_MDL_WRITE_OPERATION,
               "MDL flags");
_Static_assert(MdlMappingNoWrite == KP_MDL_MAPPING_NO_WRITE &&
                   MdlMappingNoExecute == KP_MDL_MAPPING_NO_EXECUTE,
               "mapping flags");

#if defined(__GNUC__) || defined(__clang__)
#define WDK_CALLER() ((const void *)__builtin_return_address(0))
#else
#define WDK_CALLER() ((const void *)NULL)
#endif
#define WDK_SITE_CALLER() kp_site(NULL, 0, WDK_CALLER())
#define WDK_SITE_AT(file, line) kp_site((file), (uint32_t)(line), WDK_CALLER())

#define M(p) ((kp_mdl_t *)(void *)(p))

// A non-NULL Irp: the core chains the MDL through Irp->MdlAddress.
static PMDL allocate(PVOID va, ULONG length, BOOLEAN secondary,
                     BOOLEAN charge_quota, PIRP irp, kp_site_t site) {
  return (PMDL)(void *)kp_mdl_alloc(kp_system_current(), va, length,
                                    secondary != FALSE, charge_quota != FALSE,
                                    irp != NULL ? (void **)&irp->MdlAddress : NULL,
                                    site);
}

PMDL NTAPI(IoAllocateMdl)(PVOID VirtualAddress, ULONG Length,
                          BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota,
                          PIRP Irp) {
  return allocate(VirtualAddress, Length, SecondaryBuffer, ChargeQuota, Irp,
                  WDK_SITE_CALLER());
}

PMDL kp_wdk_IoAllocateMdl_at(PVOID VirtualAddress, ULONG Length,
                             BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota,
                             PIRP Irp, const char *File, ULONG Line) {
  return allocate(VirtualAddress, Length, SecondaryBuffer, ChargeQuota, Irp,
                  WDK_SITE_AT(File, Line));
}

VOID NTAPI(IoFreeMdl)(PMDL Mdl) {
  kp_mdl_free(kp_system_current(), M(Mdl), WDK_SITE_CALLER());
}

VOID kp_wdk_IoFreeMdl_at(PMDL Mdl, const char *File, ULONG Line) {
  kp_mdl_free(kp_system_current(), M(Mdl), WDK_SITE_AT(File, Line));
}

SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length) {
  return kp_mdl_size_of(Base, Length);
}

VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList) {
  kp_mdl_build_nonpaged(kp_system_current(), M(MemoryDescriptorList),
                        WDK_SITE_CALLER());
}

VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList,
                               KPROCESSOR_MODE AccessMode,
                               LOCK_OPERATION Operation) {
  kp_mdl_probe_and_lock(kp_system_current(), M(MemoryDescriptorList),
                        (int)AccessMode, (int)Operation, WDK_SITE_CALLER());
}

VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList) {
  kp_mdl_unlock(kp_system_current(), M(MemoryDescriptorList),
                WDK_SITE_CALLER());
}

PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList,
                                         KPROCESSOR_MODE AccessMode,
                                         MEMORY_CACHING_TYPE CacheType,
                                         PVOID RequestedAddress,
                                         ULONG BugCheckOnFailure,
                                         ULONG Priority) {
  return kp_mdl_map(kp_system_current(), M(MemoryDescriptorList),
                    (int)AccessMode, (int)CacheType, RequestedAddress,
                    BugCheckOnFailure != 0, Priority, WDK_SITE_CALLER());
}

VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL Mdl) {
  kp_mdl_unmap(kp_system_current(), BaseAddress, M(Mdl), WDK_SITE_CALLER());
}

VOID NTAPI IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl,
                             PVOID VirtualAddress, ULONG Length) {
  kp_mdl_build_partial(kp_system_current(), M(SourceMdl), M(TargetMdl),
                       VirtualAddress, Length, WDK_SITE_CALLER());
}

VOID NTAPI MmPrepareMdlForReuse(PMDL Mdl) {
  kp_mdl_prepare_reuse(kp_system_current(), M(Mdl));
}
