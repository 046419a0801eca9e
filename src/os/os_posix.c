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

void kpi_os_discard(void *addr, size_t size) {
#if defined(MADV_DONTNEED)
  (void)madvise(addr, size, MADV_DONTNEED);
#else
  (void)addr;
  (void)size;
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

static int os_fault_is_write(void *uctx) {
#if defined(__linux__) && defined(__x86_64__) && defined(REG_ERR)
  ucontext_t *uc = (ucontext_t *)uctx;
  return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
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
