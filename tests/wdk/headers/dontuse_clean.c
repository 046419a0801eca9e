/* A driver that includes <dontuse.h> and <ntstrsafe.h> but calls no
 * deprecated name compiles without a diagnostic. */
#include <dontuse.h>
#include <ntstrsafe.h>
#include <string.h>

NTSTATUS copy_safely(char *dest, size_t size, const char *src);
NTSTATUS copy_safely(char *dest, size_t size, const char *src) {
  if (strlen(src) == 0) return STATUS_INVALID_PARAMETER;
  return RtlStringCchCopyA(dest, size, src);
}
