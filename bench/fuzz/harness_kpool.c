/* The kpool side of the fuzz-harness pair (see harness.h): a fresh system
 * per input, as every fuzz target under fuzz/ does. */
#include <ntddk.h>

#include <kpool/kpool.h>

#define HARNESS_ALLOC(n) ExAllocatePool2(POOL_FLAG_NON_PAGED, (n), 'zzuF')
#define HARNESS_FREE(p) ExFreePoolWithTag((p), 'zzuF')
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kp_system_t *sys = kp_system_create(NULL);
  if (sys == NULL) return 0;
  kp_system_t *old = kp_system_set_current(sys);
  harness_pairs(data, size);
  kp_system_set_current(old);
  kp_system_destroy(sys);
  return 0;
}
