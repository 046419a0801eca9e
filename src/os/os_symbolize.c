/*
 * os_symbolize.c — a code address as "function at file:line", with the
 * host's facilities: the sanitizer runtime's symbolizer in ASan builds,
 * else addr2line (Linux) or atos (macOS) on the object dladdr names, else
 * dladdr's nearest symbol. Results are cached per address (process-wide),
 * so each address costs one look-up.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* dladdr */
#endif
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE 1
#endif

#include "kp_os.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SYM_ASAN 1
#endif
#if defined(SYM_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

#define SYM_CACHE 256u

typedef struct sym_entry {
  const void *addr;
  char text[200];
} sym_entry_t;

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static sym_entry_t sym_cache[SYM_CACHE];
static unsigned sym_next;

static const char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b != NULL ? b + 1 : path;
}

/* "func at file:line" from a tool's two lines; false for "??". */
static bool tool_lines(const char *fn, const char *where, char *buf, size_t len) {
  if (fn[0] == '\0' || strncmp(fn, "??", 2) == 0) return false;
  if (where[0] == '\0' || strncmp(where, "??", 2) == 0) {
    snprintf(buf, len, "%s", fn);
    return true;
  }
  // addr2line may add " (discriminator N)".
  char w[256];
  snprintf(w, sizeof w, "%s", base_name(where));
  char *d = strstr(w, " (discriminator");
  if (d != NULL) *d = '\0';
  // Truncation is harmless here: the text is for people.
  if (snprintf(buf, len, "%s at %s", fn, w) < 0) return false;
  return true;
}

#if !defined(SYM_ASAN)
static void chomp(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
}

static bool run_tool(const char *cmd, char *buf, size_t len) {
  FILE *p = popen(cmd, "r");
  if (p == NULL) return false;
  char line1[256] = "", line2[256] = "";
  if (fgets(line1, sizeof line1, p) == NULL) line1[0] = '\0';
  if (fgets(line2, sizeof line2, p) == NULL) line2[0] = '\0';
  // Drain, so that the tool never blocks on a full pipe.
  char sink[256];
  while (fgets(sink, sizeof sink, p) != NULL) {
  }
  int rc = pclose(p);
  if (rc != 0) return false;
  chomp(line1);
  chomp(line2);
#if defined(__APPLE__)
  // atos: "func (in image) (file.c:12)"
  char fn[256];
  snprintf(fn, sizeof fn, "%s", line1);
  char *in = strstr(fn, " (in ");
  char *at = strrchr(line1, '(');
  if (in == NULL || at == NULL || strchr(at, ':') == NULL) return false;
  *in = '\0';
  char where[256];
  snprintf(where, sizeof where, "%s", at + 1);
  char *close = strchr(where, ')');
  if (close != NULL) *close = '\0';
  return tool_lines(fn, where, buf, len);
#else
  return tool_lines(line1, line2, buf, len);
#endif
}

static bool shell_safe(const char *path) {
  for (const char *p = path; *p; p++)
    if (*p == '\'' || *p == '\n') return false;
  return true;
}
#endif

static bool look_up(const void *addr, char *buf, size_t len) {
  // A return address points after the call: its line is the one before.
  const char *pc = (const char *)addr - 1;
#if defined(SYM_ASAN)
  char out[256];
  out[0] = '\0';
  __sanitizer_symbolize_pc((void *)(uintptr_t)pc, "%f\n%S", out, sizeof out);
  char *nl = strchr(out, '\n');
  if (nl != NULL) {
    *nl = '\0';
    if (tool_lines(out, nl + 1, buf, len)) return true;
  }
#endif
  Dl_info info;
  memset(&info, 0, sizeof info);
  if (dladdr(pc, &info) == 0 || info.dli_fname == NULL) return false;
#if !defined(SYM_ASAN)
  if (shell_safe(info.dli_fname)) {
    char cmd[1024];
    uintptr_t off = (uintptr_t)pc - (uintptr_t)info.dli_fbase;
#if defined(__APPLE__)
    snprintf(cmd, sizeof cmd, "atos -o '%s' -l 0x%lx 0x%lx 2>/dev/null", info.dli_fname,
             (unsigned long)(uintptr_t)info.dli_fbase, (unsigned long)(uintptr_t)pc);
    if (run_tool(cmd, buf, len)) return true;
#else
    // Position-independent objects take the offset; a fixed-address
    // executable takes the address itself.
    snprintf(cmd, sizeof cmd, "addr2line -C -f -e '%s' 0x%lx 2>/dev/null",
             info.dli_fname, (unsigned long)off);
    if (run_tool(cmd, buf, len)) return true;
    snprintf(cmd, sizeof cmd, "addr2line -C -f -e '%s' 0x%lx 2>/dev/null",
             info.dli_fname, (unsigned long)(uintptr_t)pc);
    if (run_tool(cmd, buf, len)) return true;
#endif
  }
#endif
  if (info.dli_sname != NULL) {
    snprintf(buf, len, "%s+0x%lx", info.dli_sname,
             (unsigned long)((uintptr_t)addr - (uintptr_t)info.dli_saddr));
    return true;
  }
  snprintf(buf, len, "%s+0x%lx", base_name(info.dli_fname),
           (unsigned long)((uintptr_t)addr - (uintptr_t)info.dli_fbase));
  return true;
}

bool kpi_os_same_image(const void *a, const void *b) {
  Dl_info ia, ib;
  memset(&ia, 0, sizeof ia);
  memset(&ib, 0, sizeof ib);
  if (dladdr(a, &ia) == 0 || dladdr(b, &ib) == 0) return false;
  return ia.dli_fbase == ib.dli_fbase;
}

bool kpi_os_symbolize(const void *addr, char *buf, size_t len) {
  if (addr == NULL || len == 0) return false;
  pthread_mutex_lock(&sym_lock);
  for (unsigned i = 0; i < SYM_CACHE; i++) {
    if (sym_cache[i].addr == addr) {
      snprintf(buf, len, "%s", sym_cache[i].text);
      pthread_mutex_unlock(&sym_lock);
      return buf[0] != '\0';
    }
  }
  pthread_mutex_unlock(&sym_lock);
  char text[200];
  text[0] = '\0';
  if (!look_up(addr, text, sizeof text)) text[0] = '\0';
  pthread_mutex_lock(&sym_lock);
  sym_entry_t *e = &sym_cache[sym_next++ % SYM_CACHE];
  e->addr = addr;
  snprintf(e->text, sizeof e->text, "%s", text);
  pthread_mutex_unlock(&sym_lock);
  snprintf(buf, len, "%s", text);
  return text[0] != '\0';
}
