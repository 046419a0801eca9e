/* ntstrsafe.h compiles on its own (C++17). */
#include <ntstrsafe.h>
