/**
 * @file kpool/kpool.h
 * @brief Umbrella header of kpool's core (`kp_`) API.
 *
 * kpool simulates the Windows kernel pool allocator in user space. The core
 * API never spells a WDK name; the WDK face (kpool::wdk, <wdm.h>, <ntddk.h>,
 * <ntifs.h>) maps the real names onto it.
 */
#ifndef KPOOL_KPOOL_H
#define KPOOL_KPOOL_H

#include "common.h"
#include "version.h"
#include "system.h"
#include "pool.h"
#include "bugcheck.h"
#include "raise.h"
#include "irql.h"
#include "stats.h"
#include "pool3.h"
#include "secure.h"
#include "slist.h"
#include "lookaside.h"
#include "rtl_string.h"
#include "verifier.h"
#include "monitor.h"
#include "bitmap.h"
#include "gentable.h"
#include "mdl.h"
#include "io.h"
#include "ob.h"
#include "cm.h"
#include "ps.h"
#include "unsim.h"
#include "format.h"
#include "strsafe.h"
#include "intsafe.h"
#include "debug.h"
#include "guarded.h"
#include "qspinlock.h"
#include "exspinlock.h"
#include "pushlock.h"
#include "rundown.h"
#include "interlocked.h"
#include "deadlock.h"
#include "resource.h"
#include "dispatch.h"
#include "workitem.h"

#endif /* KPOOL_KPOOL_H */
