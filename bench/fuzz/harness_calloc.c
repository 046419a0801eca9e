/* The baseline side of the fuzz-harness pair (see harness.h): the same
 * allocate + free pairs on the host's calloc / free. */
#include <stdlib.h>

#define HARNESS_ALLOC(n) calloc(1, (n))
#define HARNESS_FREE(p) free(p)
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  harness_pairs(data, size);
  return 0;
}
