/* ntstrsafe.h compiles on its own (C11). */
#include <ntstrsafe.h>
