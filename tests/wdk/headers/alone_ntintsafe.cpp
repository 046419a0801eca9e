/* ntintsafe.h compiles on its own (C++17). */
#include <ntintsafe.h>
