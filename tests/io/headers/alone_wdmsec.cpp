/* wdmsec.h compiles alone (C11 / C++17, the project's warnings). */
#include <wdmsec.h>
