/*
 * ps_internal.h — what process.c (processes, threads, lookups) and
 * notify.c (callback tables) share.
 */
#ifndef KPOOL_SRC_PS_PS_INTERNAL_H
#define KPOOL_SRC_PS_PS_INTERNAL_H

#include "kp_types.h"
#include "kpool/io.h"
#include "kpool/ps.h"

#define KPI_PS_SLOTS 64u
#define KPI_PROCESS_MAGIC 0x636f7250u /* "Proc" */
#define KPI_THREAD_MAGIC 0x64726854u  /* "Thrd" */

struct kp_process {
  uint32_t magic;
  int32_t refs;             /* the system's 1 while alive, plus lookups */
  uint64_t pid;
  uint64_t parent;
  bool exited;
  kp_ustring_t image;
  kp_ustring_t command_line;
  char image_file_name[16];
  struct kp_process *next;
};

struct kp_thread {
  uint32_t magic;
  int32_t refs;
  uint64_t tid;
  uint64_t pid;
  bool exited;
  struct kp_thread *next;
};

/* PS_CREATE_NOTIFY_INFO's twin (72 bytes). */
typedef struct kpi_create_info {
  size_t size;
  uint32_t flags;
  uint32_t reserved0;
  void *parent_process_id;
  void *creating_process;
  void *creating_thread;
  void *file_object;
  const kp_ustring_t *image_file_name;
  const kp_ustring_t *command_line;
  kp_status_t creation_status;
  uint32_t reserved1;
} kpi_create_info_t;

/* IMAGE_INFO's twin (40 bytes). */
typedef struct kpi_image_info {
  uint32_t properties;
  uint32_t reserved0;
  void *image_base;
  uint32_t image_selector;
  uint32_t reserved1;
  size_t image_size;
  uint32_t image_section_number;
  uint32_t reserved2;
} kpi_image_info_t;

typedef struct kpi_notify_slot {
  void (*routine)(void);
  uint32_t kind;
} kpi_notify_slot_t;

typedef struct kpi_ps {
  kpi_mutex_t lock;
  kp_process_t *processes;
  kp_thread_t *threads;
  uint64_t next_id;
  bool no_integrity;
  kpi_notify_slot_t proc[KPI_PS_SLOTS];
  kpi_notify_slot_t thread[KPI_PS_SLOTS];
  kpi_notify_slot_t image[KPI_PS_SLOTS];
} kpi_ps_t;

kpi_ps_t *kpi_ps(kp_system_t *sys);
/* Snapshot of a table (under no lock afterwards). */
uint32_t kpi_ps_snapshot(kpi_ps_t *ps, const kpi_notify_slot_t *table,
                         kpi_notify_slot_t *out);
/* Unload check for the callback tables (notify.c). */
void kpi_ps_notify_unload_check(kp_system_t *sys, kpi_ps_t *ps);

#endif /* KPOOL_SRC_PS_PS_INTERNAL_H */
