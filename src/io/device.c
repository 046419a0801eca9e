/*
 * device.c — device objects, the object namespace (device names and
 * symbolic links) and device stacks (facts §2).
 */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "ke/kp_ke.h"

/* Cache line size - 1: the initial AlignmentRequirement (facts §2.1). */
#define DEVICE_ALIGNMENT (KPI_CACHE_ALIGN - 1u)
#define LINK_DEPTH_MAX 8

_Static_assert(sizeof(kpi_io_dev_t) == 64, "device header keeps 16-byte alignment");
_Static_assert(sizeof(kp_device_t) == 0x150, "DEVICE_OBJECT is 0x150 bytes");

static uint16_t up(uint16_t c) { return c >= 'a' && c <= 'z' ? (uint16_t)(c - 32) : c; }

static bool prefix_ieq(const uint16_t *s, size_t len, const char *p) {
  size_t n = strlen(p);
  if (len < n) return false;
  for (size_t i = 0; i < n; i++)
    if (up(s[i]) != up((uint8_t)p[i])) return false;
  return true;
}

uint16_t *kpi_io_canon(const uint16_t *name, size_t len, size_t *out_len) {
  static const char *const dos[] = {"\\DosDevices\\", "\\GLOBAL??\\", "\\\\.\\"};
  size_t skip = 0;
  for (size_t i = 0; i < sizeof dos / sizeof dos[0]; i++)
    if (prefix_ieq(name, len, dos[i])) skip = strlen(dos[i]);
  size_t n = skip != 0 ? 4 + (len - skip) : len;
  uint16_t *c = malloc((n + 1) * sizeof *c);
  if (c == NULL) return NULL;
  if (skip != 0) {
    c[0] = '\\';
    c[1] = '?';
    c[2] = '?';
    c[3] = '\\';
    memcpy(c + 4, name + skip, (len - skip) * sizeof *c);
  } else {
    memcpy(c, name, len * sizeof *c);
  }
  c[n] = 0;
  *out_len = n;
  return c;
}

/* STATUS_SUCCESS for a well-formed absolute name. */
static kp_status_t name_check(const uint16_t *name, size_t len) {
  if (name == NULL || len == 0 || name[0] != '\\')
    return KP_STATUS_OBJECT_PATH_SYNTAX_BAD;
  for (size_t i = 0; i < len; i++) {
    if (name[i] == 0) return KP_STATUS_OBJECT_NAME_INVALID;
    if (name[i] == '\\' && (i + 1 == len || name[i + 1] == '\\'))
      return KP_STATUS_OBJECT_NAME_INVALID;
  }
  return KP_STATUS_SUCCESS;
}

static bool name_eq(const uint16_t *a, size_t alen, const uint16_t *b, size_t blen) {
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (up(a[i]) != up(b[i])) return false;
  return true;
}

kpi_io_name_t *kpi_io_name_find(kpi_io_t *io, const uint16_t *name, size_t len) {
  for (kpi_io_name_t *n = io->names; n != NULL; n = n->next)
    if (name_eq(n->name, n->len, name, len)) return n;
  return NULL;
}

kp_device_t *kpi_io_resolve(kpi_io_t *io, const uint16_t *name, size_t len) {
  for (int depth = 0; depth < LINK_DEPTH_MAX; depth++) {
    kpi_io_name_t *n = kpi_io_name_find(io, name, len);
    if (n == NULL) return NULL;
    if (n->kind == KPI_NAME_DEVICE) return n->device;
    name = n->target;
    len = n->target_len;
  }
  return NULL;
}

kpi_io_dev_t *kpi_io_dev_find(kpi_io_t *io, const void *p) {
  for (kpi_io_dev_t *h = io->devices; h != NULL; h = h->next)
    if ((const void *)(h + 1) == p) return h;
  return NULL;
}

bool kp_io_is_device(kp_system_t *sys, const void *p) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || p == NULL) return false;
  kpi_mutex_lock(&io->lock);
  bool live = kpi_io_dev_find(io, p) != NULL;
  kpi_mutex_unlock(&io->lock);
  return live;
}

static bool drv_known(kpi_io_t *io, const kp_driver_t *drv) {
  for (kpi_io_drv_t *d = io->drivers; d != NULL; d = d->next)
    if (&d->obj == drv) return d->state == KPI_DRV_LOADING || d->state == KPI_DRV_LOADED;
  return false;
}

kp_status_t kp_io_create_device(kp_system_t *sys, kp_driver_t *driver,
                                uint32_t ext_size, const uint16_t *name,
                                size_t name_len, uint32_t device_type,
                                uint32_t characteristics, bool exclusive,
                                kp_device_t **device) {
  if (device != NULL) *device = NULL;
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || driver == NULL || device == NULL)
    return KP_STATUS_INVALID_PARAMETER;
  if (ext_size > 0xFFFFu - sizeof(kp_device_t)) return KP_STATUS_INVALID_PARAMETER;
  uint16_t *canon = NULL;
  size_t clen = 0;
  if (name != NULL) {
    kp_status_t st = name_check(name, name_len);
    if (!KP_SUCCESS(st)) return st;
    canon = kpi_io_canon(name, name_len, &clen);
    if (canon == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  kpi_io_name_t *entry = NULL;
  if (canon != NULL) {
    entry = calloc(1, sizeof *entry);
    if (entry == NULL) {
      free(canon);
      return KP_STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  size_t total = sizeof(kpi_io_dev_t) + sizeof(kp_device_t) + ext_size;
  uint8_t *block = kp_alloc2(sys, KP_POOL_FLAG_NON_PAGED, total,
                             KP_IO_TAG_DEVICE, KP_HERE);
  if (block == NULL) {
    free(canon);
    free(entry);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  kpi_io_dev_t *h = (kpi_io_dev_t *)(void *)block;
  kp_device_t *dev = (kp_device_t *)(void *)(h + 1);
  h->ext_size = ext_size;
  dev->type = KP_IO_TYPE_DEVICE;
  dev->size = (uint16_t)(sizeof(kp_device_t) + ext_size);
  dev->driver = driver;
  dev->flags = KP_DO_DEVICE_INITIALIZING | (exclusive ? KP_DO_EXCLUSIVE : 0u);
  dev->characteristics = characteristics;
  dev->extension = ext_size != 0 ? (void *)(dev + 1) : NULL;
  dev->device_type = device_type;
  dev->stack_size = 1;
  dev->alignment = DEVICE_ALIGNMENT;

  kp_status_t st = KP_STATUS_SUCCESS;
  kpi_mutex_lock(&io->lock);
  if (!drv_known(io, driver)) {
    st = KP_STATUS_INVALID_PARAMETER;
  } else if (canon != NULL && kpi_io_name_find(io, canon, clen) != NULL) {
    st = KP_STATUS_OBJECT_NAME_COLLISION;
  } else {
    if (entry != NULL) {
      entry->kind = KPI_NAME_DEVICE;
      entry->name = canon;
      entry->len = clen;
      entry->device = dev;
      entry->owner = driver;
      entry->next = io->names;
      io->names = entry;
      h->name = entry;
    }
    // New devices go to the head of the driver's list (facts §2.1).
    dev->next_device = driver->device;
    driver->device = dev;
    h->next = io->devices;
    io->devices = h;
    for (uint32_t i = 0; i < KPI_IO_FREED_RING; i++)
      if (io->deleted[i] == (void *)dev) io->deleted[i] = NULL;
  }
  kpi_mutex_unlock(&io->lock);
  if (!KP_SUCCESS(st)) {
    free(canon);
    free(entry);
    kp_free(sys, block, KP_IO_TAG_DEVICE, KP_HERE);
    return st;
  }
  *device = dev;
  return KP_STATUS_SUCCESS;
}

/* Under the lock: unlinks @p h from the device list. */
static void dev_unlink(kpi_io_t *io, kpi_io_dev_t *h) {
  for (kpi_io_dev_t **pp = &io->devices; *pp != NULL; pp = &(*pp)->next)
    if (*pp == h) {
      *pp = h->next;
      return;
    }
}

void kpi_io_dev_release(kp_system_t *sys, kpi_io_t *io, kp_device_t *dev) {
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *h = kpi_io_dev_find(io, dev);
  bool free_it = h != NULL && h->delete_pending && h->refs == 0;
  if (free_it) {
    dev_unlink(io, h);
    io->deleted[io->deleted_pos++ % KPI_IO_FREED_RING] = dev;
  }
  kpi_mutex_unlock(&io->lock);
  if (free_it) kp_free(sys, h, KP_IO_TAG_DEVICE, KP_HERE);
}

void kp_io_delete_device(kp_system_t *sys, kp_device_t *device, kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return;
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *h = kpi_io_dev_find(io, device);
  bool twice = h == NULL || h->delete_pending;
  bool attached_below = h != NULL && !twice && h->lower != NULL;
  kpi_io_name_t *nm = NULL;
  if (!twice && !attached_below) {
    h->delete_pending = true;
    nm = h->name;
    h->name = NULL;
    if (nm != NULL)
      for (kpi_io_name_t **pp = &io->names; *pp != NULL; pp = &(*pp)->next)
        if (*pp == nm) {
          *pp = nm->next;
          break;
        }
    kp_driver_t *drv = device->driver;
    for (kp_device_t **pp = &drv->device; *pp != NULL; pp = &(*pp)->next_device)
      if (*pp == device) {
        *pp = device->next_device;
        break;
      }
  }
  bool verify = kpi_io_verify(sys);
  kpi_mutex_unlock(&io->lock);
  if (nm != NULL) {
    free(nm->name);
    free(nm);
  }
  uintptr_t caller = (uintptr_t)site.caller;
  if (twice) {
    if (verify)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                         0x240, caller, (uintptr_t)device, 0,
                         &(kpi_bugcheck_ctx_t){.site = site},
                         "IoDeleteDevice on a device object %p that is already "
                         "deleted (or was never a device object).",
                         (void *)device);
    else
      kp_printf(sys, "kpool: IoDeleteDevice(%p): not a live device object; "
                "ignored\n", (void *)device);
    return;
  }
  if (attached_below) {
    if (verify)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                         0x201, caller, (uintptr_t)device, 0,
                         &(kpi_bugcheck_ctx_t){.site = site},
                         "IoDeleteDevice on device %p while it is still "
                         "attached to a lower device (IoDetachDevice missing).",
                         (void *)device);
    else
      kp_printf(sys, "kpool: IoDeleteDevice(%p): still attached to a lower "
                "device; not deleted\n", (void *)device);
    return;
  }
  kpi_io_dev_release(sys, io, device);
}

kp_status_t kp_io_create_link(kp_system_t *sys, kp_driver_t *driver,
                              const uint16_t *link, size_t link_len,
                              const uint16_t *target, size_t target_len) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st = name_check(link, link_len);
  if (!KP_SUCCESS(st)) return st;
  st = name_check(target, target_len);
  if (!KP_SUCCESS(st)) return st;
  kpi_io_name_t *e = calloc(1, sizeof *e);
  if (e == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  e->kind = KPI_NAME_LINK;
  e->owner = driver;
  e->name = kpi_io_canon(link, link_len, &e->len);
  e->target = kpi_io_canon(target, target_len, &e->target_len);
  if (e->name == NULL || e->target == NULL) {
    free(e->name);
    free(e->target);
    free(e);
    return KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  kpi_mutex_lock(&io->lock);
  bool exists = kpi_io_name_find(io, e->name, e->len) != NULL;
  if (!exists) {
    e->next = io->names;
    io->names = e;
  }
  kpi_mutex_unlock(&io->lock);
  if (exists) {
    free(e->name);
    free(e->target);
    free(e);
    return KP_STATUS_OBJECT_NAME_COLLISION;
  }
  return KP_STATUS_SUCCESS;
}

kp_status_t kp_io_delete_link(kp_system_t *sys, const uint16_t *link,
                              size_t link_len) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st = name_check(link, link_len);
  if (!KP_SUCCESS(st)) return st;
  size_t clen = 0;
  uint16_t *canon = kpi_io_canon(link, link_len, &clen);
  if (canon == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_io_name_t *found = NULL;
  kpi_mutex_lock(&io->lock);
  for (kpi_io_name_t **pp = &io->names; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->kind == KPI_NAME_LINK && name_eq((*pp)->name, (*pp)->len, canon, clen)) {
      found = *pp;
      *pp = found->next;
      break;
    }
  kpi_mutex_unlock(&io->lock);
  free(canon);
  if (found == NULL) return KP_STATUS_OBJECT_NAME_NOT_FOUND;
  free(found->name);
  free(found->target);
  free(found);
  return KP_STATUS_SUCCESS;
}

kp_device_t *kp_io_lookup_device(kp_system_t *sys, const uint16_t *name,
                                 size_t name_len) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || name == NULL || name_len == 0) return NULL;
  size_t clen = 0;
  uint16_t *canon = kpi_io_canon(name, name_len, &clen);
  if (canon == NULL) return NULL;
  kpi_mutex_lock(&io->lock);
  kp_device_t *dev = kpi_io_resolve(io, canon, clen);
  kpi_mutex_unlock(&io->lock);
  free(canon);
  return dev;
}

kp_device_t *kp_io_top_device(kp_system_t *sys, kp_device_t *device) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || device == NULL) return NULL;
  kpi_mutex_lock(&io->lock);
  kp_device_t *top = device;
  while (top->attached_device != NULL) top = top->attached_device;
  kpi_mutex_unlock(&io->lock);
  return top;
}

kp_device_t *kp_io_attach(kp_system_t *sys, kp_device_t *source,
                          kp_device_t *target) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL || source == NULL || target == NULL) return NULL;
  kp_device_t *top = NULL;
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *sh = kpi_io_dev_find(io, source);
  kpi_io_dev_t *th = kpi_io_dev_find(io, target);
  if (sh != NULL && th != NULL && sh->lower == NULL && !sh->delete_pending) {
    top = target;
    while (top->attached_device != NULL) top = top->attached_device;
    kpi_io_dev_t *toph = kpi_io_dev_find(io, top);
    // ReactOS refuses a top that is still initializing or being deleted.
    if (top == source || toph == NULL || toph->delete_pending ||
        (top->flags & KP_DO_DEVICE_INITIALIZING) != 0) {
      top = NULL;
    } else {
      top->attached_device = source;
      sh->lower = top;
      toph->refs++;
      source->stack_size = (int8_t)(top->stack_size + 1);
      source->alignment = top->alignment;
    }
  }
  kpi_mutex_unlock(&io->lock);
  return top;
}

void kp_io_detach(kp_system_t *sys, kp_device_t *lower, kp_site_t site) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return;
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *lh = kpi_io_dev_find(io, lower);
  kp_device_t *upper = lh != NULL ? lower->attached_device : NULL;
  if (upper != NULL) {
    kpi_io_dev_t *uh = kpi_io_dev_find(io, upper);
    lower->attached_device = NULL;
    if (uh != NULL) uh->lower = NULL;
    lh->refs--;
  }
  bool verify = kpi_io_verify(sys);
  kpi_mutex_unlock(&io->lock);
  if (upper == NULL) {
    if (verify)
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                         0x202, (uintptr_t)site.caller, (uintptr_t)lower, 0,
                         &(kpi_bugcheck_ctx_t){.site = site},
                         "IoDetachDevice(%p): nothing is attached to this "
                         "device (detached twice?).", (void *)lower);
    else
      kp_printf(sys, "kpool: IoDetachDevice(%p): nothing attached\n", (void *)lower);
    return;
  }
  kpi_io_dev_release(sys, io, lower);
}

void kp_io_device_reference(kp_system_t *sys, kp_device_t *device) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return;
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *h = kpi_io_dev_find(io, device);
  if (h != NULL) h->refs++;
  kpi_mutex_unlock(&io->lock);
}

void kp_io_device_dereference(kp_system_t *sys, kp_device_t *device) {
  kpi_io_t *io = kpi_io(sys);
  if (io == NULL) return;
  kpi_mutex_lock(&io->lock);
  kpi_io_dev_t *h = kpi_io_dev_find(io, device);
  bool under = h == NULL || h->refs == 0;
  if (!under) h->refs--;
  kpi_mutex_unlock(&io->lock);
  if (under) {
    // Facts §7.1: 0xC4/0x3F under the verifier, else 0x18.
    if (kpi_verifier(sys))
      kpi_bugcheck_raise(sys, KP_BUGCHECK_DRIVER_VERIFIER_DETECTED_VIOLATION,
                         0x3F, (uintptr_t)device, UINT64_MAX, 0, NULL,
                         "ObDereferenceObject on device object %p, whose "
                         "reference count is already 0.", (void *)device);
    else
      kpi_bugcheck_raise(sys, 0x18u, KP_IO_TYPE_DEVICE, (uintptr_t)device, 0, 0,
                         NULL, "ObDereferenceObject on device object %p, whose "
                         "reference count is already 0.", (void *)device);
    return;
  }
  kpi_io_dev_release(sys, io, device);
}
