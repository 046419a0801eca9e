/*
 * os_posix.c — the platform contract on POSIX hosts (Linux and macOS):
 * mmap/mprotect/munmap for pages, pthreads for locks, sigaction for faults.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE 1
#endif
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#endif
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* REG_ERR in ucontext_t: a fault's read/write flag */
#endif

#include "kp_os.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif
#if defined(__APPLE__)
#include <sys/ucontext.h> /* ucontext_t, the thread and exception state */
#endif

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(((kpi_mutex_t *)0)->opaque),
               "kpi_mutex_t too small for pthread_mutex_t");

static pthread_mutex_t *os_mutex(kpi_mutex_t *m) {
  return (pthread_mutex_t *)(void *)m->opaque;
}

void kpi_mutex_init(kpi_mutex_t *m) {
  memset(m, 0, sizeof *m);
  if (pthread_mutex_init(os_mutex(m), NULL) != 0) abort();
}
void kpi_mutex_destroy(kpi_mutex_t *m) { pthread_mutex_destroy(os_mutex(m)); }
static inline void os_cpu_relax(void) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_ia32_pause();
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

void kpi_mutex_lock(kpi_mutex_t *m) {
  // Pool critical sections are short: spinning a little before sleeping in
  // the kernel keeps two threads on one pool from paying a futex round
  // trip per operation (PTHREAD_MUTEX_ADAPTIVE_NP would do this, but it is
  // glibc-only).
  for (int i = 0; i < 200; i++) {
    if (pthread_mutex_trylock(os_mutex(m)) == 0) return;
    os_cpu_relax();
  }
  if (pthread_mutex_lock(os_mutex(m)) != 0) abort();
}
void kpi_mutex_unlock(kpi_mutex_t *m) { pthread_mutex_unlock(os_mutex(m)); }
bool kpi_mutex_trylock(kpi_mutex_t *m) {
  return pthread_mutex_trylock(os_mutex(m)) == 0;
}

/* Condition variables: waiters of blocking simulated locks (ERESOURCE, push
 * locks, rundown protection) sleep on the host's. */
_Static_assert(sizeof(pthread_cond_t) <= sizeof(((kpi_cond_t *)0)->opaque),
               "kpi_cond_t too small for pthread_cond_t");

static pthread_cond_t *os_cond(kpi_cond_t *c) {
  return (pthread_cond_t *)(void *)c->opaque;
}

void kpi_cond_init(kpi_cond_t *c) {
  memset(c, 0, sizeof *c);
  if (pthread_cond_init(os_cond(c), NULL) != 0) abort();
}
void kpi_cond_destroy(kpi_cond_t *c) { pthread_cond_destroy(os_cond(c)); }
void kpi_cond_wait(kpi_cond_t *c, kpi_mutex_t *m) {
  if (pthread_cond_wait(os_cond(c), os_mutex(m)) != 0) abort();
}
void kpi_cond_wait_ms(kpi_cond_t *c, kpi_mutex_t *m, uint32_t ms) {
  // CLOCK_REALTIME is the clock pthread_cond_timedwait uses by default on
  // both Linux and macOS (pthread_condattr_setclock is missing on macOS).
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)(ms / 1000u);
  ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(os_cond(c), os_mutex(m), &ts);
}
void kpi_cond_signal(kpi_cond_t *c) { pthread_cond_signal(os_cond(c)); }
void kpi_cond_broadcast(kpi_cond_t *c) { pthread_cond_broadcast(os_cond(c)); }

size_t kpi_os_page_size(void) {
  static size_t cached;
  if (cached == 0) {
    long v = sysconf(_SC_PAGESIZE);
    cached = v > 0 ? (size_t)v : 4096u;
  }
  return cached;
}

void *kpi_os_reserve(size_t size, size_t align) {
  if (size == 0 || (align & (align - 1)) != 0) return NULL;
  size_t host = kpi_os_page_size();
  if (align < host) align = host;
  // Over-reserve, then trim, so the arena is aligned without MAP_ALIGNED
  // (which only some BSDs have).
  size_t total = size + align;
  void *raw = mmap(NULL, total, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  uintptr_t start = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
  size_t head = start - (uintptr_t)raw;
  size_t tail = total - head - size;
  if (head != 0) munmap(raw, head);
  if (tail != 0) munmap((void *)(start + size), tail);
  return (void *)start;
}

kp_status_t kpi_os_protect(void *addr, size_t size, kpi_prot_t prot) {
  int p = PROT_NONE;
  if (prot == KPI_PROT_READ) p = PROT_READ;
  if (prot == KPI_PROT_READWRITE) p = PROT_READ | PROT_WRITE;
  if (prot == KPI_PROT_READWRITE_EXEC) p = PROT_READ | PROT_WRITE | PROT_EXEC;
  if (mprotect(addr, size, p) != 0) return KP_STATUS_INVALID_PARAMETER;
  return KP_STATUS_SUCCESS;
}

/* Linux: MADV_DONTNEED on a private anonymous mapping drops the pages and
 * the next touch maps the zero page (documented Linux behaviour, the same
 * as before). Elsewhere (macOS) MADV_DONTNEED may leave the old contents in
 * place, so the range is replaced by a fresh anonymous mapping, which POSIX
 * guarantees reads as zero and which gives the memory back at once. Should
 * that mmap fail, the pages are zeroed by hand and offered back with
 * MADV_FREE: a page the kernel reclaims reads as zero, one it keeps holds
 * the zeros just written, so the promise holds either way.
 * KPI_OS_DISCARD_BY_REMAP selects the portable path on Linux too (used to
 * check it on Linux). */
void kpi_os_discard(void *addr, size_t size) {
#if defined(__linux__) && defined(MADV_DONTNEED) && !defined(KPI_OS_DISCARD_BY_REMAP)
  (void)madvise(addr, size, MADV_DONTNEED);
#else
  void *p = mmap(addr, size, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  if (p == addr) return;
  if (mprotect(addr, size, PROT_READ | PROT_WRITE) != 0) abort();
  memset(addr, 0, size);
#if defined(MADV_FREE)
  (void)madvise(addr, size, MADV_FREE);
#endif
  (void)mprotect(addr, size, PROT_NONE);
#endif
}

void kpi_os_release(void *addr, size_t size) {
  if (addr != NULL) munmap(addr, size);
}

uint64_t kpi_os_thread_id(void) {
#if defined(__linux__) && defined(SYS_gettid)
  return (uint64_t)syscall(SYS_gettid);
#elif defined(__APPLE__)
  uint64_t tid = 0;
  pthread_threadid_np(NULL, &tid);
  return tid;
#else
  return (uint64_t)(uintptr_t)pthread_self();
#endif
}

void kpi_os_yield(void) { sched_yield(); }

uint64_t kpi_os_monotonic_us(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void kpi_os_sleep_ms(uint32_t ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

_Static_assert(sizeof(pthread_t) <= sizeof(((kpi_os_thread_t *)0)->opaque),
               "kpi_os_thread_t too small for pthread_t");

bool kpi_os_thread_start(kpi_os_thread_t *t, void *(*fn)(void *), void *arg) {
  pthread_t th;
  if (pthread_create(&th, NULL, fn, arg) != 0) return false;
  memcpy(t->opaque, &th, sizeof th);
  return true;
}

void kpi_os_thread_join(kpi_os_thread_t *t) {
  pthread_t th;
  memcpy(&th, t->opaque, sizeof th);
  pthread_join(th, NULL);
}

/* ---------------------------------------------------------------------------
 * Fault handling.
 * ------------------------------------------------------------------------- */
#define OS_MAX_FAULT_FNS 8
static struct {
  _Atomic(kpi_fault_fn) fn;
  _Atomic(void *) arg;
} os_fault_table[OS_MAX_FAULT_FNS];
static pthread_mutex_t os_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static bool os_fault_installed;
static struct sigaction os_prev_segv;
static struct sigaction os_prev_bus;

/* Arm64 exception syndrome (ESR_ELx): EC in bits 31:26; 0x24 is a data
 * abort from a lower exception level (user space), 0x25 one from the same
 * level; for those, WnR (bit 6) is 1 for a write and 0 for a read. */
int kpi_os_esr_access(uint64_t esr) {
  uint32_t ec = (uint32_t)((esr >> 26) & 0x3Fu);
  if (ec != 0x24u && ec != 0x25u) return -1;
  return (esr & (UINT64_C(1) << 6)) != 0 ? 1 : 0;
}

/* Linux arm64 signal frames: uc_mcontext.__reserved holds a list of
 * records, each starting with a 32-bit magic and a 32-bit total size
 * (struct _aarch64_ctx), ended by a record of magic 0. The ESR record
 * (ESR_MAGIC, 0x45535201) carries the 64-bit ESR right after its header
 * (struct esr_context). Walked by hand: <asm/sigcontext.h> clashes with
 * <signal.h> on some libcs. */
bool kpi_os_find_esr(const void *area, size_t size, uint64_t *esr) {
  const unsigned char *p = (const unsigned char *)area;
  size_t off = 0;
  while (off + 8 <= size) {
    uint32_t magic, len;
    memcpy(&magic, p + off, 4);
    memcpy(&len, p + off + 4, 4);
    if (magic == 0 || len < 8 || len > size - off) return false;
    if (magic == 0x45535201u) {
      if (len < 16) return false;
      memcpy(esr, p + off + 8, 8);
      return true;
    }
    off += len;
  }
  return false;
}

/* 1 for a write, 0 for a read, -1 when the host does not say. Each branch
 * reads the hardware's own record of the access from the signal context:
 *   Linux x86-64   the page-fault error code, bit 1 (W/R) in REG_ERR
 *   Linux arm64    the ESR record in uc_mcontext.__reserved
 *   macOS x86-64   uc_mcontext->__es.__err, bit 1, for trap 14 (#PF)
 *   macOS arm64    uc_mcontext->__es.__esr */
static int os_fault_is_write(void *uctx) {
#if defined(__linux__) && defined(__x86_64__) && defined(REG_ERR)
  ucontext_t *uc = (ucontext_t *)uctx;
  return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
#elif defined(__linux__) && defined(__aarch64__)
  ucontext_t *uc = (ucontext_t *)uctx;
  uint64_t esr = 0;
  if (!kpi_os_find_esr(uc->uc_mcontext.__reserved, sizeof uc->uc_mcontext.__reserved, &esr))
    return -1;
  return kpi_os_esr_access(esr);
#elif defined(__APPLE__) && defined(__aarch64__)
  ucontext_t *uc = (ucontext_t *)uctx;
  if (uc == NULL || uc->uc_mcontext == NULL) return -1;
  return kpi_os_esr_access((uint64_t)uc->uc_mcontext->__es.__esr);
#elif defined(__APPLE__) && defined(__x86_64__)
  ucontext_t *uc = (ucontext_t *)uctx;
  if (uc == NULL || uc->uc_mcontext == NULL) return -1;
  if (uc->uc_mcontext->__es.__trapno != 14) return -1;
  return (uc->uc_mcontext->__es.__err & 2) ? 1 : 0;
#else
  (void)uctx;
  return -1;
#endif
}

static void os_fault_forward(int sig, siginfo_t *info, void *uctx) {
  struct sigaction *prev = sig == SIGBUS ? &os_prev_bus : &os_prev_segv;
  if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction != NULL) {
    prev->sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev->sa_handler == SIG_IGN) return;
  if (prev->sa_handler != SIG_DFL && prev->sa_handler != NULL) {
    prev->sa_handler(sig);
    return;
  }
  // Default action: restore it and let the fault happen again.
  signal(sig, SIG_DFL);
}

static void os_fault_handler(int sig, siginfo_t *info, void *uctx) {
  void *addr = info != NULL ? info->si_addr : NULL;
  // SA_NODEFER is not always what the handler runs with: ThreadSanitizer
  // installs its own wrapper with every signal blocked. A bug check
  // handler may longjmp out of here, which must not leave the fault
  // signals blocked (the next fault would kill the process).
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGSEGV);
  sigaddset(&unblock, SIGBUS);
  pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
  int write = os_fault_is_write(uctx);
  for (int i = 0; i < OS_MAX_FAULT_FNS; i++) {
    kpi_fault_fn fn = atomic_load(&os_fault_table[i].fn);
    if (fn != NULL && fn(addr, write, atomic_load(&os_fault_table[i].arg)))
      return;
  }
  os_fault_forward(sig, info, uctx);
}

bool kpi_os_fault_register(kpi_fault_fn fn, void *arg) {
  bool ok = false;
  pthread_mutex_lock(&os_fault_lock);
  for (int i = 0; i < OS_MAX_FAULT_FNS; i++) {
    if (atomic_load(&os_fault_table[i].fn) == NULL) {
      atomic_store(&os_fault_table[i].arg, arg);
      atomic_store(&os_fault_table[i].fn, fn);
      ok = true;
      break;
    }
  }
  if (ok && !os_fault_installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = os_fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &os_prev_segv);
    sigaction(SIGBUS, &sa, &os_prev_bus);
    os_fault_installed = true;
  }
  pthread_mutex_unlock(&os_fault_lock);
  return ok;
}

/* Installs os_fault_handler for @sig unless it is already the handler;
 * the handler it replaces becomes the one faults are passed on to. */
static void os_fault_rearm_one(int sig, struct sigaction *prev) {
  struct sigaction cur;
  if (sigaction(sig, NULL, &cur) != 0) return;
  if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == os_fault_handler)
    return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = os_fault_handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, prev);
}

void kpi_os_fault_rearm(void) {
  pthread_mutex_lock(&os_fault_lock);
  if (os_fault_installed) {
    os_fault_rearm_one(SIGSEGV, &os_prev_segv);
    os_fault_rearm_one(SIGBUS, &os_prev_bus);
  }
  pthread_mutex_unlock(&os_fault_lock);
}

void kpi_os_fault_unregister(kpi_fault_fn fn, void *arg) {
  pthread_mutex_lock(&os_fault_lock);
  for (int i = 0; i < OS_MAX_FAULT_FNS; i++) {
    if (atomic_load(&os_fault_table[i].fn) == fn &&
        atomic_load(&os_fault_table[i].arg) == arg) {
      atomic_store(&os_fault_table[i].fn, NULL);
      atomic_store(&os_fault_table[i].arg, NULL);
    }
  }
  pthread_mutex_unlock(&os_fault_lock);
}
