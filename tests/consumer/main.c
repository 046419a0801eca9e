/*
 * A user's test program, built against the installed package through
 * find_package(kpool CONFIG REQUIRED) and kpool::wdk: WDK names from
 * <ntddk.h>, the core API from <kpool/kpool.h>.
 */
#include <ntddk.h>

#include <kpool/kpool.h>

#include <stdio.h>

int main(void) {
  unsigned char *p = NULL;
  size_t i;

  p = (unsigned char *)ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'nsCK');
  if (p == NULL) {
    fprintf(stderr, "consumer: ExAllocatePool2 returned NULL\n");
    return 1;
  }
  // ExAllocatePool2 zeroes unless POOL_FLAG_UNINITIALIZED is given.
  for (i = 0; i < 100; i++) {
    if (p[i] != 0) {
      fprintf(stderr, "consumer: byte %zu is not zero\n", i);
      return 1;
    }
  }
  ExFreePoolWithTag(p, 'nsCK');

  if (kp_version() != KP_VERSION_NUMBER) {
    fprintf(stderr, "consumer: header and library versions differ\n");
    return 1;
  }
  printf("consumer: kpool %d.%d.%d found and working\n", KP_VERSION_MAJOR,
         KP_VERSION_MINOR, KP_VERSION_PATCH);
  return 0;
}
