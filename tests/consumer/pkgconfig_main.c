/*
 * Compiled by scripts/test.sh with nothing but the flags of the installed
 * kpool.pc:  cc pkgconfig_main.c $(pkg-config --cflags --libs kpool)
 */
#include <ntddk.h>

#include <stdio.h>

int main(void) {
  void *p = ExAllocatePool2(POOL_FLAG_PAGED, 32, 'cpKP');
  if (p == NULL) {
    fprintf(stderr, "pkg-config consumer: ExAllocatePool2 returned NULL\n");
    return 1;
  }
  ExFreePoolWithTag(p, 'cpKP');
  printf("pkg-config consumer: ok\n");
  return 0;
}
