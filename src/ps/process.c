/*
 * process.c — simulated processes and threads, the events a test fires
 * (create, exit, image load) with the callbacks they run, lookups and
 * references (facts §6.1-6.4, §6.9, §7.1).
 */
#include <stdlib.h>
#include <string.h>

#include "ps/ps_internal.h"
#include "ke/kp_ke.h"
#include "sim/kp_sim.h"
#include "kpool/guarded.h"

_Static_assert(sizeof(kpi_create_info_t) == 72, "PS_CREATE_NOTIFY_INFO is 72 bytes");
_Static_assert(sizeof(kpi_image_info_t) == 40, "IMAGE_INFO is 40 bytes");

/* Properties bits of IMAGE_INFO (facts §6.4). */
#define IMAGE_ADDRESSING_32BIT 3u
#define IMAGE_SYSTEM_MODE (1u << 8)

typedef void (*plain_fn)(void *parent, void *pid, uint8_t create);
typedef void (*ex_fn)(void *process, void *pid, kpi_create_info_t *info);
typedef void (*image_fn)(kp_ustring_t *name, void *pid, kpi_image_info_t *info);

static void ps_unload_check(kp_system_t *sys, void *state);
static void ps_destroy(kp_system_t *sys, void *state);

static const kpi_module_ops_t ps_ops = {
    .name = "ps",
    .unload_check = ps_unload_check,
    .destroy = ps_destroy,
};

kpi_ps_t *kpi_ps(kp_system_t *sys) {
  if (sys == NULL) return NULL;
  kpi_ps_t *ps = kpi_system_module(sys, &ps_ops);
  if (ps != NULL) return ps;
  ps = calloc(1, sizeof *ps);
  if (ps == NULL) return NULL;
  kpi_mutex_init(&ps->lock);
  ps->next_id = 0x100;  // IDs are multiples of 4, as on Windows
  if (!kpi_system_add_module(sys, &ps_ops, ps)) {
    kpi_mutex_destroy(&ps->lock);
    free(ps);
    return kpi_system_module(sys, &ps_ops);
  }
  return ps;
}

static void process_free(kp_process_t *p) {
  free(p->image.buffer);
  free(p->command_line.buffer);
  free(p);
}

static void ps_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  kpi_ps_t *ps = state;
  for (kp_process_t *p = ps->processes, *n; p != NULL; p = n) {
    n = p->next;
    process_free(p);
  }
  for (kp_thread_t *t = ps->threads, *n; t != NULL; t = n) {
    n = t->next;
    free(t);
  }
  kpi_mutex_destroy(&ps->lock);
  free(ps);
}

static void ps_unload_check(kp_system_t *sys, void *state) {
  kpi_ps_t *ps = state;
  kpi_ps_notify_unload_check(sys, ps);
  uint32_t leaked = 0;
  kpi_mutex_lock(&ps->lock);
  for (kp_process_t *p = ps->processes; p != NULL; p = p->next) {
    int32_t extra = p->refs - (p->exited ? 0 : 1);
    if (extra <= 0) continue;
    leaked++;
    kp_printf(sys, "kpool: driver unload: %d reference(s) to process %llu (%s) not "
              "dropped (ObDereferenceObject missing after PsLookupProcessByProcessId)\n",
              (int)extra, (unsigned long long)p->pid, p->image_file_name);
  }
  for (kp_thread_t *t = ps->threads; t != NULL; t = t->next) {
    int32_t extra = t->refs - (t->exited ? 0 : 1);
    if (extra <= 0) continue;
    leaked++;
    kp_printf(sys, "kpool: driver unload: %d reference(s) to thread %llu not dropped\n",
              (int)extra, (unsigned long long)t->tid);
  }
  kpi_mutex_unlock(&ps->lock);
  atomic_fetch_add(&sys->unload_findings, leaked);
}

/* A UNICODE_STRING copy of ASCII @p s (buffer NULL for NULL). */
static bool ustr_from(kp_ustring_t *u, const char *s) {
  memset(u, 0, sizeof *u);
  if (s == NULL) return true;
  size_t n = strlen(s);
  if (n > 0x7FFE) return false;
  u->buffer = malloc((n + 1) * sizeof(uint16_t));
  if (u->buffer == NULL) return false;
  for (size_t i = 0; i < n; i++) u->buffer[i] = (uint8_t)s[i];
  u->buffer[n] = 0;
  u->length = (uint16_t)(n * 2);
  u->max_length = (uint16_t)(n * 2 + 2);
  return true;
}

/* Runs the process routines (create: @p info non-NULL). */
static void fire_process(kpi_ps_t *ps, kp_process_t *p, kpi_create_info_t *info) {
  kpi_notify_slot_t slots[KPI_PS_SLOTS];
  uint32_t n = kpi_ps_snapshot(ps, ps->proc, slots);
  kp_irql_t old = kp_irql_set(KP_PASSIVE_LEVEL);
  // In a critical region, normal kernel APCs disabled (facts §6.1).
  kp_critical_region_enter(KP_HERE);
  for (uint32_t i = 0; i < n; i++) {
    if (slots[i].kind == KP_PS_NOTIFY_EX)
      ((ex_fn)slots[i].routine)(p, (void *)(uintptr_t)p->pid, info);
    else
      ((plain_fn)slots[i].routine)((void *)(uintptr_t)p->parent, (void *)(uintptr_t)p->pid,
                                   info != NULL);
  }
  kp_critical_region_leave(KP_HERE);
  (void)kp_irql_set(old);
}

static kp_process_t *find_process(kpi_ps_t *ps, uint64_t pid) {
  for (kp_process_t *p = ps->processes; p != NULL; p = p->next)
    if (p->pid == pid && !p->exited) return p;
  return NULL;
}

static void exit_process(kp_system_t *sys, kpi_ps_t *ps, kp_process_t *p) {
  fire_process(ps, p, NULL);
  kpi_mutex_lock(&ps->lock);
  p->exited = true;
  kpi_mutex_unlock(&ps->lock);
  (void)kp_ps_object_reference(sys, p, -1);  // the system's reference
}

kp_status_t kp_ps_process_create(kp_system_t *sys, uint64_t parent_pid, const char *image,
                                 const char *command_line, uint64_t *pid) {
  if (pid != NULL) *pid = 0;
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (image == NULL || pid == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_process_t *p = calloc(1, sizeof *p);
  if (p == NULL || !ustr_from(&p->image, image) || !ustr_from(&p->command_line, command_line)) {
    if (p != NULL) process_free(p);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  p->magic = KPI_PROCESS_MAGIC;
  p->refs = 1;
  p->parent = parent_pid;
  // EPROCESS ImageFileName: the last path component, 15 characters.
  const char *base = strrchr(image, '\\');
  base = base != NULL ? base + 1 : image;
  strncpy(p->image_file_name, base, 15);
  p->image_file_name[15] = '\0';
  kpi_mutex_lock(&ps->lock);
  p->pid = ps->next_id;
  ps->next_id += 4;
  p->next = ps->processes;
  ps->processes = p;
  kpi_mutex_unlock(&ps->lock);
  kpi_create_info_t info;
  memset(&info, 0, sizeof info);
  info.size = sizeof info;
  info.flags = 1u;  // FileOpenNameAvailable
  info.parent_process_id = (void *)(uintptr_t)parent_pid;
  info.creating_process = (void *)(uintptr_t)parent_pid;
  info.image_file_name = &p->image;
  info.command_line = command_line != NULL ? &p->command_line : NULL;
  info.creation_status = KP_STATUS_SUCCESS;
  fire_process(ps, p, &info);
  if (!KP_SUCCESS(info.creation_status)) {
    // Vetoed: the process ends at once (kpool's choice: with its exit
    // notification, so drivers release what they set up for it).
    exit_process(sys, ps, p);
    return info.creation_status;
  }
  *pid = p->pid;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_ps_process_exit(kp_system_t *sys, uint64_t pid) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_mutex_lock(&ps->lock);
  kp_process_t *p = find_process(ps, pid);
  kpi_mutex_unlock(&ps->lock);
  if (p == NULL) return KP_STATUS_INVALID_CID;
  exit_process(sys, ps, p);
  return KP_STATUS_SUCCESS;
}

static void fire_thread(kpi_ps_t *ps, kp_thread_t *t, bool create) {
  kpi_notify_slot_t slots[KPI_PS_SLOTS];
  uint32_t n = kpi_ps_snapshot(ps, ps->thread, slots);
  kp_irql_t old = kp_irql_set(KP_PASSIVE_LEVEL);
  for (uint32_t i = 0; i < n; i++)
    ((plain_fn)slots[i].routine)((void *)(uintptr_t)t->pid, (void *)(uintptr_t)t->tid, create);
  (void)kp_irql_set(old);
}

kp_status_t kp_ps_thread_create(kp_system_t *sys, uint64_t pid, uint64_t *tid) {
  if (tid != NULL) *tid = 0;
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (tid == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_thread_t *t = calloc(1, sizeof *t);
  if (t == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_mutex_lock(&ps->lock);
  bool ok = find_process(ps, pid) != NULL;
  if (ok) {
    t->magic = KPI_THREAD_MAGIC;
    t->refs = 1;
    t->pid = pid;
    t->tid = ps->next_id;
    ps->next_id += 4;
    t->next = ps->threads;
    ps->threads = t;
  }
  kpi_mutex_unlock(&ps->lock);
  if (!ok) {
    free(t);
    return KP_STATUS_INVALID_CID;
  }
  fire_thread(ps, t, true);
  *tid = t->tid;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_ps_thread_exit(kp_system_t *sys, uint64_t tid) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_thread_t *t = NULL;
  kpi_mutex_lock(&ps->lock);
  for (kp_thread_t *x = ps->threads; x != NULL; x = x->next)
    if (x->tid == tid && !x->exited) t = x;
  kpi_mutex_unlock(&ps->lock);
  if (t == NULL) return KP_STATUS_INVALID_CID;
  fire_thread(ps, t, false);
  kpi_mutex_lock(&ps->lock);
  t->exited = true;
  kpi_mutex_unlock(&ps->lock);
  (void)kp_ps_object_reference(sys, t, -1);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_ps_image_load(kp_system_t *sys, uint64_t pid, const char *name, uintptr_t base,
                             size_t size) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (name == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (pid != 0) {
    kpi_mutex_lock(&ps->lock);
    bool ok = find_process(ps, pid) != NULL;
    kpi_mutex_unlock(&ps->lock);
    if (!ok) return KP_STATUS_INVALID_CID;
  }
  kp_ustring_t u;
  if (!ustr_from(&u, name)) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_image_info_t info;
  memset(&info, 0, sizeof info);
  info.properties = IMAGE_ADDRESSING_32BIT | (pid == 0 ? IMAGE_SYSTEM_MODE : 0u);
  info.image_base = (void *)base;
  info.image_size = size;
  kpi_notify_slot_t slots[KPI_PS_SLOTS];
  uint32_t n = kpi_ps_snapshot(ps, ps->image, slots);
  kp_irql_t old = kp_irql_set(KP_PASSIVE_LEVEL);
  kp_critical_region_enter(KP_HERE);
  for (uint32_t i = 0; i < n; i++)
    ((image_fn)slots[i].routine)(&u, (void *)(uintptr_t)pid, &info);
  kp_critical_region_leave(KP_HERE);
  (void)kp_irql_set(old);
  free(u.buffer);
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_ps_lookup_process(kp_system_t *sys, uint64_t pid, kp_process_t **out) {
  if (out != NULL) *out = NULL;
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL || out == NULL) return KP_STATUS_INVALID_PARAMETER;
  kpi_mutex_lock(&ps->lock);
  kp_process_t *p = find_process(ps, pid);
  if (p != NULL) p->refs++;
  kpi_mutex_unlock(&ps->lock);
  if (p == NULL) return KP_STATUS_INVALID_CID;
  *out = p;
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_ps_lookup_thread(kp_system_t *sys, uint64_t tid, kp_thread_t **out) {
  if (out != NULL) *out = NULL;
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL || out == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_thread_t *t = NULL;
  kpi_mutex_lock(&ps->lock);
  for (kp_thread_t *x = ps->threads; x != NULL; x = x->next)
    if (x->tid == tid && !x->exited) t = x;
  if (t != NULL) t->refs++;
  kpi_mutex_unlock(&ps->lock);
  if (t == NULL) return KP_STATUS_INVALID_CID;
  *out = t;
  return KP_STATUS_SUCCESS;
}

uint64_t kp_ps_process_id(const kp_process_t *process) {
  return process != NULL ? process->pid : 0;
}
uint64_t kp_ps_thread_id(const kp_thread_t *thread) { return thread != NULL ? thread->tid : 0; }
uint64_t kp_ps_thread_process_id(const kp_thread_t *thread) {
  return thread != NULL ? thread->pid : 0;
}
char *kp_ps_process_image_file_name(kp_process_t *process) {
  return process != NULL ? process->image_file_name : NULL;
}

bool kp_ps_object_reference(kp_system_t *sys, void *object, int delta) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL || object == NULL) return false;
  int32_t *refs = NULL;
  bool exited = false;
  kpi_mutex_lock(&ps->lock);
  for (kp_process_t *p = ps->processes; p != NULL && refs == NULL; p = p->next)
    if ((void *)p == object) {
      refs = &p->refs;
      exited = p->exited;
    }
  for (kp_thread_t *t = ps->threads; t != NULL && refs == NULL; t = t->next)
    if ((void *)t == object) {
      refs = &t->refs;
      exited = t->exited;
    }
  bool under = refs != NULL && *refs + delta < 0;
  if (refs != NULL && !under) *refs += delta;
  (void)exited;
  kpi_mutex_unlock(&ps->lock);
  if (refs == NULL) return false;
  if (under) {
    if (kpi_verifier(sys))
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F,
                         (uintptr_t)object, UINT64_MAX, 0, NULL,
                         "ObDereferenceObject on process/thread %p, whose reference "
                         "count is already 0.", object);
    else
      kpi_bugcheck_raise(sys, 0x18u, 0, (uintptr_t)object, 0, 0, NULL,
                         "ObDereferenceObject on process/thread %p, whose reference "
                         "count is already 0.", object);
  }
  // Objects stay allocated until system destroy, so that a late
  // dereference is diagnosed instead of touching freed memory.
  return true;
}

int kp_ps_object_kind(kp_system_t *sys, const void *object) {
  kpi_ps_t *ps = kpi_ps(sys);
  if (ps == NULL || object == NULL) return 0;
  int kind = 0;
  kpi_mutex_lock(&ps->lock);
  for (kp_process_t *p = ps->processes; p != NULL && kind == 0; p = p->next)
    if ((const void *)p == object) kind = 1;
  for (kp_thread_t *t = ps->threads; t != NULL && kind == 0; t = t->next)
    if ((const void *)t == object) kind = 2;
  kpi_mutex_unlock(&ps->lock);
  return kind;
}
