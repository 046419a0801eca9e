/*
 * wdk_minmax_clash.cpp — compiled, not run, by two CTest entries: without
 * NOMINMAX it must FAIL to compile (the WDK's min/max macros break
 * <algorithm> included after <ntddk.h>, as with the real WDK); with
 * -DNOMINMAX it must compile. The pair shows that the failure is the
 * documented min/max collision and nothing else.
 *
 * <cstddef> comes first on purpose: libstdc++'s c++config.h #undefs min
 * and max the first time it is included, so with <ntddk.h> as the very
 * first include the collision would be hidden (and the driver's own min()
 * silently gone). libc++ protects its headers with push_macro and never
 * collides, so CMake registers this check only for libstdc++ hosts.
 */
#include <cstddef>

#include <ntddk.h>

#include <algorithm>

int clash_probe(int a, int b) { return std::min(a, b) + std::max(a, b); }
