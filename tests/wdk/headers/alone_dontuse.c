/* dontuse.h compiles on its own (C11). */
#include <dontuse.h>
