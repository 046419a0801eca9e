/* dontuse.h compiles on its own (C++17). */
#include <dontuse.h>
