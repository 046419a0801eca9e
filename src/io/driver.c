/*
 * driver.c — the I/O manager's drivers: the module state, loading a driver
 * (DriverEntry with a simulated DRIVER_OBJECT and RegistryPath), unloading
 * it (DriverUnload, then the one-pass unload report), and the I/O part of
 * that report (facts §1.2-1.7, §4.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "ke/kp_ke.h"
#include "sim/kp_sim.h"
#include "kpool/mdl.h"

#define SERVICES_PREFIX "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"
#define DRIVER_PREFIX "\\Driver\\"
/* Bytes a RegistryPath copy is poisoned with once DriverEntry returned. */
#define POISON_BYTE 0xCD

static void io_destroy(kp_system_t *sys, void *state);

static const kpi_module_ops_t io_ops = {
    .name = "io",
    .unload_check = kpi_io_unload_check,
    .destroy = io_destroy,
};

kpi_io_t *kpi_io(kp_system_t *sys) {
  if (sys == NULL) return NULL;
  kpi_io_t *io = kpi_system_module(sys, &io_ops);
  if (io != NULL) return io;
  io = calloc(1, sizeof *io);
  if (io == NULL) return NULL;
  kpi_mutex_init(&io->lock);
  io->next_serial = 1;
  if (!kpi_system_add_module(sys, &io_ops, io)) {
    // Another thread registered first, or the table is full.
    kpi_mutex_destroy(&io->lock);
    free(io);
    return kpi_system_module(sys, &io_ops);
  }
  return io;
}

static void io_destroy(kp_system_t *sys, void *state) {
  kpi_io_t *io = state;
  // Pool blocks (devices, IRPs, buffers) go with the arenas; only host
  // memory is released here.
  for (kpi_io_name_t *n = io->names, *next; n != NULL; n = next) {
    next = n->next;
    free(n->name);
    free(n->target);
    free(n);
  }
  // Requests that can no longer finish (their driver left them pending).
  for (kpi_io_irp_t *h = io->irps; h != NULL; h = h->next) {
    if (h->request != NULL && h->request->user_va != NULL)
      (void)kp_mdl_unregister_user_buffer(sys, h->request->user_va);
    free(h->request);
  }
  for (kpi_io_drv_t *d = io->drivers, *next; d != NULL; d = next) {
    next = d->next;
    free(d);
  }
  for (struct kp_io_handle *h = io->handles, *next; h != NULL; h = next) {
    next = h->next;
    free(h);
  }
  kpi_mutex_destroy(&io->lock);
  free(io);
}

/* Writes ASCII @p s into @p dst (UTF-16) and returns the characters. */
static size_t ascii_to_u16(uint16_t *dst, const char *s) {
  size_t i = 0;
  for (; s[i] != '\0'; i++) dst[i] = (uint8_t)s[i];
  return i;
}

static bool name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 63) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '\\' || c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

static bool ascii_ieq(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'a' && x <= 'z') x = (char)(x - 32);
    if (y >= 'a' && y <= 'z') y = (char)(y - 32);
    if (x != y) return false;
  }
  return *a == *b;
}

/* The I/O manager's routine for entries a driver does not implement
 * (nt!IopInvalidDeviceRequest; behaviour per facts §1.6). */
static kp_status_t invalid_request(kp_device_t *device, kp_irp_t *irp) {
  (void)device;
  irp->io_status.u.status = KP_STATUS_INVALID_DEVICE_REQUEST;
  irp->io_status.information = 0;
  kp_irp_complete(kpi_current(), irp, 0, KP_NOSITE);
  return KP_STATUS_INVALID_DEVICE_REQUEST;
}

kp_driver_t *kp_driver_find(kp_system_t *sys, const char *name) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || name == NULL) return NULL;
  kp_driver_t *found = NULL;
  kpi_mutex_lock(&io->lock);
  for (kpi_io_drv_t *d = io->drivers; d != NULL; d = d->next)
    if ((d->state == KPI_DRV_LOADED || d->state == KPI_DRV_LOADING) &&
        ascii_ieq(d->name, name))
      found = &d->obj;
  kpi_mutex_unlock(&io->lock);
  return found;
}

kp_status_t kp_driver_load(kp_system_t *sys, const char *name,
                           kp_driver_init_fn entry, kp_driver_t **driver) {
  if (driver != NULL) *driver = NULL;
  if (sys == NULL || name == NULL || entry == NULL || !name_ok(name))
    return KP_STATUS_INVALID_PARAMETER;
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (kp_driver_find(sys, name) != NULL) return KP_STATUS_OBJECT_NAME_COLLISION;

  kpi_io_drv_t *d = calloc(1, sizeof *d);
  if (d == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  snprintf(d->name, sizeof d->name, "%s", name);
  kp_driver_t *obj = &d->obj;
  obj->type = KP_IO_TYPE_DRIVER;
  obj->size = (int16_t)sizeof(kp_driver_t);
  obj->extension = &d->ext;
  obj->driver_init = entry;
  // kpool has no image: the driver object itself stands for the range.
  obj->driver_start = (void *)d;
  obj->driver_size = (uint32_t)sizeof *d;
  d->ext.driver = obj;
  size_t n = ascii_to_u16(d->driver_name, DRIVER_PREFIX);
  n += ascii_to_u16(d->driver_name + n, name);
  obj->driver_name.buffer = d->driver_name;
  obj->driver_name.length = (uint16_t)(n * 2);
  obj->driver_name.max_length = (uint16_t)(n * 2);
  n = ascii_to_u16(d->service_name, name);
  d->ext.service_key_name.buffer = d->service_name;
  d->ext.service_key_name.length = (uint16_t)(n * 2);
  d->ext.service_key_name.max_length = (uint16_t)(n * 2);
  for (int i = 0; i < KP_IRP_MJ_COUNT; i++) obj->major_function[i] = invalid_request;
  d->state = KPI_DRV_LOADING;

  // The RegistryPath lives only while DriverEntry runs (facts §1.2).
  size_t plen = strlen(SERVICES_PREFIX) + strlen(name);
  uint16_t *path = malloc((plen + 1) * sizeof(uint16_t));
  if (path == NULL) {
    free(d);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  n = ascii_to_u16(path, SERVICES_PREFIX);
  n += ascii_to_u16(path + n, name);
  path[n] = 0;
  kp_ustring_t reg = {(uint16_t)(n * 2), (uint16_t)(n * 2 + 2), path};

  kpi_mutex_lock(&io->lock);
  d->next = io->drivers;
  io->drivers = d;
  kpi_mutex_unlock(&io->lock);

  kp_irql_t old = kp_irql_set(KP_PASSIVE_LEVEL);
  kp_status_t st = entry(obj, &reg);
  (void)kp_irql_set(old);
  memset(path, POISON_BYTE, (plen + 1) * sizeof(uint16_t));
  free(path);

  if (!KP_SUCCESS(st)) {
    // Not loaded; Unload is not called; what DriverEntry left behind is
    // the unload check's to report.
    kpi_mutex_lock(&io->lock);
    d->state = KPI_DRV_UNLOADED;
    d->entry_failed = true;
    kpi_mutex_unlock(&io->lock);
    kp_printf(sys, "kpool: driver %s: DriverEntry failed with 0x%08X (%s); "
              "the driver is not loaded and its Unload routine is not called\n",
              name, (unsigned)st, kp_status_name(st));
    return st;
  }
  for (int i = 0; i < KP_IRP_MJ_COUNT; i++) {
    if (obj->major_function[i] == NULL) {
      kp_printf(sys, "kpool: driver %s: DriverEntry set MajorFunction[0x%02x] "
                "to NULL; the I/O manager's invalid-request routine is put "
                "back (drivers should not touch entries they do not "
                "implement)\n", name, i);
      obj->major_function[i] = invalid_request;
    }
  }
  kpi_mutex_lock(&io->lock);
  // Devices created in DriverEntry are ready now (facts §1.2).
  for (kp_device_t *dev = obj->device; dev != NULL; dev = dev->next_device)
    dev->flags &= ~KP_DO_DEVICE_INITIALIZING;
  d->state = KPI_DRV_LOADED;
  kpi_mutex_unlock(&io->lock);
  if (driver != NULL) *driver = obj;
  return st;
}

static kpi_io_drv_t *drv_find(kpi_io_t *io, const kp_driver_t *obj) {
  for (kpi_io_drv_t *d = io->drivers; d != NULL; d = d->next)
    if (&d->obj == obj) return d;
  return NULL;
}

kp_status_t kp_io_unload(kp_system_t *sys, kp_driver_t *driver) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || driver == NULL) return KP_STATUS_INVALID_PARAMETER;
  kpi_io_run_closes(sys);
  kpi_mutex_lock(&io->lock);
  kpi_io_drv_t *d = drv_find(io, driver);
  bool loaded = d != NULL && d->state == KPI_DRV_LOADED;
  uint32_t open = 0;
  for (kpi_io_dev_t *h = io->devices; loaded && h != NULL; h = h->next) {
    kp_device_t *dev = (kp_device_t *)(void *)(h + 1);
    if (dev->driver == driver) open += h->open_files;
  }
  kpi_mutex_unlock(&io->lock);
  if (!loaded) return KP_STATUS_INVALID_PARAMETER;
  if (open != 0) {
    kp_printf(sys, "kpool: driver %s: unload refused: %u handle(s) to its "
              "devices are still open (the I/O manager waits for them "
              "before calling Unload)\n", d->name, (unsigned)open);
    return KP_STATUS_DEVICE_BUSY;
  }
  if (driver->driver_unload == NULL) {
    kp_printf(sys, "kpool: driver %s: no Unload routine: the driver cannot "
              "be unloaded (Driver Verifier fails such drivers)\n", d->name);
    return KP_STATUS_INVALID_DEVICE_REQUEST;
  }
  driver->flags |= 0x1u;  // DRVO_UNLOAD_INVOKED
  kp_irql_t old = kp_irql_set(KP_PASSIVE_LEVEL);
  driver->driver_unload(driver);
  (void)kp_irql_set(old);
  kpi_mutex_lock(&io->lock);
  d->state = KPI_DRV_UNLOADED;
  bool last = true;
  for (kpi_io_drv_t *o = io->drivers; o != NULL; o = o->next)
    if (o->state == KPI_DRV_LOADED || o->state == KPI_DRV_LOADING) last = false;
  kpi_mutex_unlock(&io->lock);
  if (!last) return KP_STATUS_SUCCESS;
  atomic_store(&sys->unload_findings, 0);
  kp_status_t st = kp_driver_unload(sys);
  return st == KP_STATUS_SUCCESS && atomic_load(&sys->unload_findings) == 0
             ? KP_STATUS_SUCCESS
             : KP_STATUS_UNSUCCESSFUL;
}

uint32_t kp_io_unload_findings(kp_system_t *sys) {
  return sys != NULL ? atomic_load(&sys->unload_findings) : 0;
}

/* Writes a device's name (or "(unnamed)") into @p buf as ASCII. */
static void dev_name_text(kpi_io_dev_t *h, char *buf, size_t len) {
  if (h->name == NULL) {
    snprintf(buf, len, "(unnamed)");
    return;
  }
  size_t i = 0;
  for (; i < h->name->len && i + 1 < len; i++) {
    uint16_t c = h->name->name[i];
    buf[i] = c < 0x80 ? (char)c : '?';
  }
  buf[i] = '\0';
}

static void u16_text(const uint16_t *s, size_t n, char *buf, size_t len) {
  size_t i = 0;
  for (; i < n && i + 1 < len; i++) buf[i] = s[i] < 0x80 ? (char)s[i] : '?';
  buf[i] = '\0';
}

/* An IRP still owned by @p drv: the routine it would call next. */
typedef struct owned_irp {
  kp_irp_t *irp;
  uintptr_t routine;
  uint8_t major;
} owned_irp_t;

#define OWNED_MAX 16u

void kpi_io_unload_check(kp_system_t *sys, void *state) {
  kpi_io_t *io = state;
  owned_irp_t owned[OWNED_MAX];
  uint32_t n_owned = 0, n_found = 0;
  char text[160], text2[160];
  kpi_mutex_lock(&io->lock);
  for (kpi_io_drv_t *d = io->drivers; d != NULL; d = d->next) {
    if (d->state != KPI_DRV_UNLOADED) continue;
    d->state = KPI_DRV_CHECKED;
    for (kpi_io_dev_t *h = io->devices; h != NULL; h = h->next) {
      kp_device_t *dev = (kp_device_t *)(void *)(h + 1);
      if (dev->driver != &d->obj) continue;
      if (h->delete_pending) {
        // Deleted, but a reference keeps it (ObReferenceObject or
        // IoGetAttachedDeviceReference without ObDereferenceObject).
        n_found++;
        kp_printf(sys, "kpool: driver unload: %u reference(s) to deleted device object "
                  "%p of %s not dropped (ObDereferenceObject missing)\n",
                  (unsigned)h->refs, (void *)dev, d->name);
        continue;
      }
      n_found++;
      dev_name_text(h, text, sizeof text);
      kp_printf(sys, "kpool: driver unload: %s did not delete device object "
                "%p %s%s (IoDeleteDevice missing%s)\n", d->name, (void *)dev,
                text, h->lower != NULL ? ", still attached to a lower device" : "",
                d->entry_failed ? " on the DriverEntry failure path" : "");
    }
    for (kpi_io_name_t **pp = &io->names; *pp != NULL;) {
      kpi_io_name_t *nm = *pp;
      if (nm->kind != KPI_NAME_LINK || nm->owner != &d->obj) {
        pp = &nm->next;
        continue;
      }
      n_found++;
      u16_text(nm->name, nm->len, text, sizeof text);
      u16_text(nm->target, nm->target_len, text2, sizeof text2);
      kp_printf(sys, "kpool: driver unload: %s did not delete symbolic link "
                "%s -> %s (IoDeleteSymbolicLink missing); kpool removes it\n",
                d->name, text, text2);
      *pp = nm->next;
      free(nm->name);
      free(nm->target);
      free(nm);
    }
    for (kpi_io_irp_t *r = io->irps; r != NULL; r = r->next) {
      kp_irp_t *irp = (kp_irp_t *)(void *)(r + 1);
      if (r->completed || !r->sent) continue;
      if (irp->current_location < 1 || irp->current_location > irp->stack_count)
        continue;
      kp_io_stack_t *loc = irp->tail.overlay.current;
      if (loc->device == NULL || loc->device->driver != &d->obj) continue;
      n_found++;
      if (n_owned < OWNED_MAX) {
        kp_cancel_fn cr = __atomic_load_n(&irp->cancel_routine, __ATOMIC_ACQUIRE);
        owned[n_owned].irp = irp;
        owned[n_owned].major = loc->major;
        owned[n_owned].routine =
            cr != NULL ? (uintptr_t)cr
                       : (uintptr_t)d->obj.major_function[loc->major % KP_IRP_MJ_COUNT];
        n_owned++;
      }
    }
  }
  atomic_fetch_add(&sys->unload_findings, n_found);
  bool verify = kpi_io_verify(sys);
  kpi_mutex_unlock(&io->lock);
  for (uint32_t i = 0; i < n_owned; i++) {
    if (verify)
      kpi_bugcheck_raise(
          sys, KP_BUGCHECK_DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
          owned[i].routine, 0, owned[i].routine, 0, NULL,
          "The driver unloaded while it still owned IRP %p (major function "
          "0x%02x), neither completed nor cancelled: the next thing to run "
          "for it (its cancel routine, or its dispatch code) is unloaded "
          "code.", (void *)owned[i].irp, owned[i].major);
    else
      kp_printf(sys, "kpool: driver unload: IRP %p (major 0x%02x) is still "
                "pending in the unloaded driver\n", (void *)owned[i].irp,
                owned[i].major);
  }
}
