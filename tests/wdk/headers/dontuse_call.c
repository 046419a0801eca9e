/* A driver that calls a name <dontuse.h> deprecates: the compiler must
 * name the safe routine (test_wdk_dontuse_flags_calls). */
#include <dontuse.h>

char *copy_unsafely(char *dest, const char *src);
char *copy_unsafely(char *dest, const char *src) { return strcpy(dest, src); }
