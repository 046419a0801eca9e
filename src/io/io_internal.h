/*
 * io_internal.h — what the I/O manager's files (driver.c, device.c, irp.c,
 * request.c) share: the per-system module state, the hidden headers in
 * front of device objects and IRPs, and the name table.
 *
 * Locking: one mutex (kpi_io_t.lock) guards every list here. It is never
 * held while driver code runs or a bug check is raised.
 */
#ifndef KPOOL_SRC_IO_IO_INTERNAL_H
#define KPOOL_SRC_IO_IO_INTERNAL_H

#include "kp_types.h"
#include "kpool/io.h"

/* A named object: a device name or a symbolic link. */
enum kpi_io_name_kind { KPI_NAME_DEVICE = 1, KPI_NAME_LINK = 2 };

typedef struct kpi_io_name {
  struct kpi_io_name *next;
  int kind;
  uint16_t *name;         /* canonical: DOS prefixes folded to \??\ */
  size_t len;             /* characters */
  kp_device_t *device;    /* KPI_NAME_DEVICE */
  uint16_t *target;       /* KPI_NAME_LINK: canonical target name */
  size_t target_len;
  kp_driver_t *owner;     /* the driver that created it, or NULL */
} kpi_io_name_t;

enum kpi_drv_state {
  KPI_DRV_LOADING = 1,
  KPI_DRV_LOADED = 2,
  KPI_DRV_UNLOADED = 3,   /* Unload called (or DriverEntry failed) */
  KPI_DRV_CHECKED = 4     /* the unload check has looked at it */
};

/* A driver: the object first, so a kp_driver_t * is the record. */
typedef struct kpi_io_drv {
  kp_driver_t obj;
  kp_driver_ext_t ext;
  struct kpi_io_drv *next;
  int state;
  bool entry_failed;
  char name[64];
  uint16_t driver_name[80];
  uint16_t service_name[64];
} kpi_io_drv_t;

/* The header in front of every device object, in the same pool block;
 * 64 bytes so the object (and the extension after it) stay 16-aligned. */
typedef struct kpi_io_dev {
  struct kpi_io_dev *next;      /* all devices of the system */
  kpi_io_name_t *name;          /* its name entry, or NULL */
  kp_device_t *lower;           /* the device it is attached to */
  uint32_t refs;                /* open files + references */
  uint32_t open_files;
  uint32_t ext_size;
  bool delete_pending;          /* IoDeleteDevice called */
  uint8_t pad[64 - 8 - 8 - 8 - 4 - 4 - 4 - 1];
} kpi_io_dev_t;

static inline kpi_io_dev_t *kpi_dev_hdr(kp_device_t *d) {
  return (kpi_io_dev_t *)(void *)((uint8_t *)d - sizeof(kpi_io_dev_t));
}

enum kpi_irp_kind {
  KPI_IRP_ALLOCATED = 1,  /* IoAllocateIrp: the caller frees it */
  KPI_IRP_USER = 2,       /* a test request: the I/O manager finishes it */
  KPI_IRP_BUILT = 3       /* IoBuild*Request: the I/O manager frees it */
};

/* The header in front of every IRP (80 bytes). */
typedef struct kpi_io_irp {
  struct kpi_io_irp *next;
  struct kpi_io_irp *prev;
  uint64_t serial;
  struct kpi_io_req *request;   /* KPI_IRP_USER */
  uint32_t kind;
  uint8_t completed;            /* completion reached the top */
  uint8_t submit_active;        /* the submitter's IoCallDriver runs */
  uint8_t sent;                 /* IoCallDriver was called at least once */
  uint8_t pad0;
  /* Bitmaps by location (1-based CurrentLocation values): IoMarkIrpPending
   * seen before completion zeroed the location (marked); an IoCallDriver
   * made by the dispatch routine at that location returned STATUS_PENDING
   * (forwarded). */
  uint64_t marked[2];
  uint64_t forwarded[2];
  uint8_t pad1[8];               /* 80 bytes: keeps the IRP 16-aligned */
} kpi_io_irp_t;

static inline kpi_io_irp_t *kpi_irp_hdr(kp_irp_t *irp) {
  return (kpi_io_irp_t *)(void *)((uint8_t *)irp - sizeof(kpi_io_irp_t));
}

/* A user request in flight (kp_io_submit). */
typedef struct kpi_io_req {
  kp_system_t *sys;
  struct kp_io_handle *handle;
  kp_irp_t *irp;
  kp_io_op_t op;
  uint32_t method;              /* transfer method (IOCTL) or by device flags */
  bool buffered_out;            /* copy SystemBuffer back to op.out */
  uint32_t buffered_out_len;
  void *mdl;                    /* kp_mdl_t of a direct-I/O buffer */
  void *user_va;                /* buffer kpool registered as user memory */
  _Atomic int done;             /* the final status is below */
  kp_status_t status;
  uint64_t information;
  bool waiter;                  /* kp_io_submit returned it to the caller */
} kpi_io_req_t;

/* A handle the test opened. */
struct kp_io_handle {
  kp_system_t *sys;
  kp_file_t *file;
  kp_device_t *device;          /* the named device (its stack's top was opened) */
  kp_device_t *top;
  uint32_t access;
  uint32_t outstanding;         /* requests in flight (under io lock) */
  uint32_t file_refs;           /* references to the file object (the
                                   handle's own, ObReferenceObject's) */
  bool cleanup_sent;
  bool handle_closed;           /* no longer counted in open_files */
  bool close_wanted;
  struct kp_io_handle *next;
};

#define KPI_IO_FREED_RING 64u

typedef struct kpi_io {
  kpi_mutex_t lock;
  kpi_io_drv_t *drivers;
  kpi_io_dev_t *devices;
  kpi_io_name_t *names;
  kpi_io_irp_t *irps;           /* live IRPs */
  struct kp_io_handle *handles; /* open handles (and closing ones) */
  uint64_t next_serial;
  kp_irp_t *freed[KPI_IO_FREED_RING];  /* recently freed IRP addresses */
  uint32_t freed_pos;
  void *deleted[KPI_IO_FREED_RING];    /* recently deleted device addresses */
  uint32_t deleted_pos;
  kp_spin_lock_t cancel_lock;
  kp_io_event_fn event_fn;
  uint32_t findings;            /* last unload check's leftovers */
} kpi_io_t;

/* The module state of @p sys, created on first use (NULL when the module
 * table is full or out of memory). */
kpi_io_t *kpi_io(kp_system_t *sys);

/* True when I/O verification checks are on. */
static inline bool kpi_io_verify(const kp_system_t *sys) {
  return (sys->cfg.verifier_flags & KP_VERIFY_IO) != 0;
}

/* Names (device.c). Canonicalises @p name (folding \DosDevices\,
 * \GLOBAL??\ and \\.\ to \??\); returns a malloc'd copy or NULL. */
uint16_t *kpi_io_canon(const uint16_t *name, size_t len, size_t *out_len);
/* Under the lock: the entry named exactly (case-insensitive) or NULL. */
kpi_io_name_t *kpi_io_name_find(kpi_io_t *io, const uint16_t *name,
                                size_t len);
/* Under the lock: the device a canonical name resolves to. */
kp_device_t *kpi_io_resolve(kpi_io_t *io, const uint16_t *name, size_t len);
/* Under the lock: the live device header for @p p, or NULL. */
kpi_io_dev_t *kpi_io_dev_find(kpi_io_t *io, const void *p);
/* Frees a device whose delete is pending and that has no references left
 * (called without the lock). */
void kpi_io_dev_release(kp_system_t *sys, kpi_io_t *io, kp_device_t *dev);

/* IRPs (irp.c). Under the lock: the live IRP header for @p irp or NULL. */
kpi_io_irp_t *kpi_io_irp_find(kpi_io_t *io, const kp_irp_t *irp);
/* Allocates a tracked IRP of @p kind. */
kp_irp_t *kpi_io_irp_new(kp_system_t *sys, int stack_size, uint32_t kind,
                         kp_site_t site);
/* Untracks and frees @p irp (its header is live). */
void kpi_io_irp_delete(kp_system_t *sys, kp_irp_t *irp, kp_site_t site);

/* Places a request's buffers per @p method (request.c): system buffer,
 * MDL, or the caller's addresses; STATUS_SUCCESS or the failure. */
kp_status_t kpi_io_place_buffers(kp_system_t *sys, kp_irp_t *irp,
                                 kpi_io_req_t *req, uint32_t method);
/* Unlocks and frees a request's MDL and forgets its user buffer. */
void kpi_io_release_mdl(kp_system_t *sys, kpi_io_req_t *req);
/* Requests (request.c): the top of the stack has been reached for a user
 * IRP whose submitter has returned: copy back, record, free. */
void kpi_io_request_finish(kp_system_t *sys, kp_irp_t *irp);
/* Sends the CLOSE of handles whose last request finished (PASSIVE_LEVEL). */
void kpi_io_run_closes(kp_system_t *sys);

/* The unload check (driver.c). */
void kpi_io_unload_check(kp_system_t *sys, void *state);

#endif /* KPOOL_SRC_IO_IO_INTERNAL_H */
