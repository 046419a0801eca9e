/* kp_wdk_io.h compiles alone (C11 / C++17, the project's warnings). */
#include <kp_wdk_io.h>
