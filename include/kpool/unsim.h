/**
 * @file kpool/unsim.h
 * @brief Routines the WDK face declares but kpool does not simulate.
 *
 * A driver's files compile unchanged because the face declares these
 * names (kpool/wdk/kp_wdk_unsim.h, wdmsec.h, fltKernel.h). Calling one
 * stops the test with a clear report: bug check 0x1E
 * KMODE_EXCEPTION_NOT_HANDLED, P1 = STATUS_NOT_IMPLEMENTED (0xC0000002),
 * P2 = the routine's address, naming the routine and saying how to supply
 * a test double.
 *
 * @par Supplying a test double
 * Each default definition is alone in its own object file
 * (src/wdk/unsim/<Name>.c) inside the static kpool_wdk library. A test
 * that defines a function of the same name (a CMocka mock, say) links its
 * own: the linker never pulls the archive member, so there is no
 * duplicate symbol, on ELF and Mach-O alike (no weak symbols needed).
 * With KPOOL_BUILD_SHARED the executable's definition also wins on ELF
 * (symbol interposition); on Mach-O's two-level namespace it does not, so
 * test doubles need the static library there.
 */
#ifndef KPOOL_UNSIM_H
#define KPOOL_UNSIM_H

#include "common.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Reports that @p name (at @p address) is not simulated: bug check 0x1E
 *  on the current system, as described above. Returns only if the
 *  handler returns; the caller then returns STATUS_NOT_IMPLEMENTED (or
 *  its routine's equivalent). */
KP_API void kp_unsimulated(const char *name, const void *address);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_UNSIM_H */
