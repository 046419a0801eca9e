/* ntintsafe.h compiles on its own (C11). */
#include <ntintsafe.h>
