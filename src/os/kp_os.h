/*
 * kp_os.h — the platform contract. Only src/os/ includes OS headers; the
 * rest of the simulator reaches pages, locks, threads and fault handling
 * through these functions. os_posix.c implements them for Linux and macOS.
 */
#ifndef KPOOL_SRC_OS_KP_OS_H
#define KPOOL_SRC_OS_KP_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpool/common.h"

/* A mutex with storage big enough for the host's (pthread_mutex_t is 40
 * bytes on glibc x86-64, 64 on macOS); os_posix.c checks statically. */
typedef struct kpi_mutex {
  _Alignas(16) unsigned char opaque[64];
} kpi_mutex_t;

void kpi_mutex_init(kpi_mutex_t *m);
void kpi_mutex_destroy(kpi_mutex_t *m);
void kpi_mutex_lock(kpi_mutex_t *m);
void kpi_mutex_unlock(kpi_mutex_t *m);
/* True when the lock was taken. */
bool kpi_mutex_trylock(kpi_mutex_t *m);

/* A condition variable used with a kpi_mutex_t (storage for
 * pthread_cond_t: 48 bytes on glibc and macOS; os_posix.c checks). Used by
 * the dispatcher's blocking waits and the work-item queue. */
typedef struct kpi_cond {
  _Alignas(16) unsigned char opaque[64];
} kpi_cond_t;

void kpi_cond_init(kpi_cond_t *c);
void kpi_cond_destroy(kpi_cond_t *c);
/* Releases @m, sleeps until signalled (or spuriously), re-takes @m. */
void kpi_cond_wait(kpi_cond_t *c, kpi_mutex_t *m);
/* As kpi_cond_wait, giving up after about @ms milliseconds of real time. */
void kpi_cond_wait_ms(kpi_cond_t *c, kpi_mutex_t *m, uint32_t ms);
void kpi_cond_signal(kpi_cond_t *c);
void kpi_cond_broadcast(kpi_cond_t *c);

/* Page protection for kpi_os_protect. */
typedef enum kpi_prot {
  KPI_PROT_NONE = 0,
  KPI_PROT_READ = 1,
  KPI_PROT_READWRITE = 3,
  /* Read, write and execute (the executable non-paged pool types). Hosts
   * that refuse writable+executable mappings (macOS on Apple silicon
   * without MAP_JIT, SELinux execmem denials) return an error; the caller
   * falls back to KPI_PROT_READWRITE. */
  KPI_PROT_READWRITE_EXEC = 7
} kpi_prot_t;

/* The host page size (4096 on Linux x86-64, 16384 on Apple silicon). */
size_t kpi_os_page_size(void);
/* Reserves @size bytes (a multiple of the host page size) of inaccessible
 * address space aligned to @align (a power of two >= host page). NULL on
 * failure. */
void *kpi_os_reserve(size_t size, size_t align);
/* Changes protection of [addr, addr+size); both host-page aligned.
 * Returns STATUS_SUCCESS or STATUS_INVALID_PARAMETER. */
kp_status_t kpi_os_protect(void *addr, size_t size, kpi_prot_t prot);
/* Gives the pages' memory back to the host. Call it on pages protected
 * KPI_PROT_NONE: they stay inaccessible, and read as zero once made
 * accessible again, on every host (Linux: MADV_DONTNEED; macOS, whose
 * MADV_DONTNEED does not promise zeros: a fresh anonymous mapping over the
 * range). Host-page aligned. */
void kpi_os_discard(void *addr, size_t size);
/* Releases a reservation made by kpi_os_reserve. */
void kpi_os_release(void *addr, size_t size);

/* An identifier of the calling host thread, for reports. */
uint64_t kpi_os_thread_id(void);
/* Lets other threads run (spin-wait back-off). */
void kpi_os_yield(void);
/* A code address as "function at file.c:12" (or "function+0x1c", or
 * "image+0x1234"), with the host's facilities; cached per address. False
 * (and an empty @buf) when nothing is known. Not for signal handlers. */
bool kpi_os_symbolize(const void *addr, char *buf, size_t len);
/* True when both code addresses lie in the same loaded image (executable
 * or shared library). */
bool kpi_os_same_image(const void *a, const void *b);
/* Microseconds of a monotonic host clock (an arbitrary origin). */
uint64_t kpi_os_monotonic_us(void);
/* Sleeps for about @ms milliseconds of real time. */
void kpi_os_sleep_ms(uint32_t ms);

/* A host thread (storage for pthread_t; os_posix.c checks the size). */
typedef struct kpi_os_thread {
  _Alignas(8) unsigned char opaque[16];
} kpi_os_thread_t;
/* Starts @fn(@arg) on a new host thread. False when the host refuses. */
bool kpi_os_thread_start(kpi_os_thread_t *t, void *(*fn)(void *), void *arg);
/* Waits for the thread to end. */
void kpi_os_thread_join(kpi_os_thread_t *t);

/* Fault handling: a callback that decides whether a fault at @addr is the
 * simulator's. It returns true after handling it (normally it raises a
 * simulated bug check, which does not return with the default handler);
 * false passes the fault to the previous handler. @write is -1 when the
 * host cannot tell. */
typedef bool (*kpi_fault_fn)(void *addr, int write, void *arg);
/* The access direction in an arm64 exception syndrome (ESR): 1 write,
 * 0 read, -1 when it is not a data abort. Used by the fault handler on
 * Linux and macOS arm64; plain arithmetic, so it is tested everywhere. */
int kpi_os_esr_access(uint64_t esr);
/* Finds the ESR record (ESR_MAGIC) in a Linux arm64 signal frame's
 * uc_mcontext.__reserved area of @size bytes; false when there is none or
 * the record list is malformed. Tested everywhere on built frames. */
bool kpi_os_find_esr(const void *area, size_t size, uint64_t *esr);
/* Installs the process-wide SIGSEGV/SIGBUS handler once; up to 8
 * callbacks may be registered. Returns false when the table is full. */
bool kpi_os_fault_register(kpi_fault_fn fn, void *arg);
void kpi_os_fault_unregister(kpi_fault_fn fn, void *arg);
/* Re-installs the handler if something replaced it since (test frameworks
 * such as CMocka install their own SIGSEGV handler around every test and
 * restore the old one after). The replacing handler becomes the one that
 * faults outside the simulator are passed on to. No-op before the first
 * kpi_os_fault_register. */
void kpi_os_fault_rearm(void);

#endif /* KPOOL_SRC_OS_KP_OS_H */
