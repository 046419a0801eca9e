/*
 * query.c — RtlQueryRegistryValues over the simulated registry (facts
 * §5.4): the relative-to roots, the query table's flags, DIRECT storage
 * and QueryRoutine callbacks. Value data is copied out under the lock and
 * handed to the driver without it.
 */
#include <stdlib.h>
#include <string.h>

#include "cm/cm_internal.h"
#include "ke/kp_ke.h"

#define Q_SUBKEY 0x00000001u
#define Q_TOPKEY 0x00000002u
#define Q_REQUIRED 0x00000004u
#define Q_NOVALUE 0x00000008u
#define Q_NOEXPAND 0x00000010u
#define Q_DIRECT 0x00000020u
#define Q_DELETE 0x00000040u
#define Q_TYPECHECK 0x00000100u
#define Q_TYPECHECK_SHIFT 24u

#define R_ABSOLUTE 0u
#define R_SERVICES 1u
#define R_CONTROL 2u
#define R_WINDOWS_NT 3u
#define R_DEVICEMAP 4u
#define R_HANDLE 0x40000000u
#define R_OPTIONAL 0x80000000u

#define TAG_RTL_STRING KP_TAG('R', 't', 'l', 'S')

/* The UNICODE_STRING a DIRECT string entry points to. */
typedef struct ustr {
  uint16_t length;
  uint16_t max_length;
  uint16_t *buffer;
} ustr_t;

static size_t wlen(const uint16_t *s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

static bool is_string(uint32_t type) {
  return type == KP_REG_SZ || type == KP_REG_EXPAND_SZ || type == KP_REG_MULTI_SZ;
}

/* A copy of one value (or a default), owned by the caller. */
typedef struct qval {
  uint32_t type;
  uint32_t size;
  uint8_t *data;
} qval_t;

/* DIRECT: stores @p v at @p entry (facts §5.4). */
static kp_status_t store_direct(kp_system_t *sys, const qval_t *v, void *entry) {
  if (entry == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (is_string(v->type)) {
    ustr_t *us = entry;
    if (v->size > 0xFFFEu) return KP_STATUS_BUFFER_TOO_SMALL;
    uint16_t bytes = (uint16_t)v->size;
    if (us->buffer == NULL) {
      us->buffer = kp_alloc2(sys, KP_POOL_FLAG_PAGED, bytes != 0 ? bytes : 2u,
                             TAG_RTL_STRING, KP_HERE);
      if (us->buffer == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
      us->max_length = bytes != 0 ? bytes : 2u;
    } else if (us->max_length < bytes) {
      return KP_STATUS_BUFFER_TOO_SMALL;
    }
    if (bytes != 0) memcpy(us->buffer, v->data, bytes);
    // Length excludes the terminating NUL when there is one.
    uint16_t len = bytes;
    if (len >= 2 && us->buffer[len / 2 - 1] == 0) len = (uint16_t)(len - 2);
    us->length = len;
    return KP_STATUS_SUCCESS;
  }
  if (v->size <= sizeof(uint32_t)) {
    memcpy(entry, v->data, v->size);
    return KP_STATUS_SUCCESS;
  }
  int32_t first;
  memcpy(&first, entry, sizeof first);
  uint8_t *out = entry;
  if (first < 0) {
    if ((uint32_t)-first < v->size) return KP_STATUS_BUFFER_TOO_SMALL;
    memcpy(out, v->data, v->size);
    return KP_STATUS_SUCCESS;
  }
  if ((uint32_t)first < v->size + 8u) return KP_STATUS_BUFFER_TOO_SMALL;
  uint32_t hdr[2] = {v->size, v->type};
  memcpy(out, hdr, sizeof hdr);
  memcpy(out + 8, v->data, v->size);
  return KP_STATUS_SUCCESS;
}

/* Calls the routine (once per string of a REG_MULTI_SZ without NOEXPAND). */
static kp_status_t call_routine(const kp_query_table_t *e, uint16_t *name, const qval_t *v,
                                void *context) {
  if (v->type == KP_REG_MULTI_SZ && !(e->flags & Q_NOEXPAND)) {
    uint16_t *s = (uint16_t *)(void *)v->data;
    size_t n = v->size / 2u;
    size_t i = 0;
    while (i < n && s[i] != 0) {
      size_t len = 0;
      while (i + len < n && s[i + len] != 0) len++;
      kp_status_t st = e->routine(name, KP_REG_SZ, s + i, (uint32_t)((len + 1) * 2u), context,
                                  e->entry_context);
      if (!KP_SUCCESS(st)) return st;
      i += len + 1;
    }
    return KP_STATUS_SUCCESS;
  }
  return e->routine(name, v->type, v->data, v->size, context, e->entry_context);
}

/* True for keys in a system hive (facts §5.4, 0x139/9). */
static bool system_hive(kpi_key_t *key) {
  static const char *const hives[] = {"\\Registry\\Machine\\Hardware", "\\Registry\\Machine\\Software",
                                      "\\Registry\\Machine\\System", "\\Registry\\Machine\\Security",
                                      "\\Registry\\Machine\\Sam"};
  char path[512];
  kpi_cm_path(key, path, sizeof path);
  for (size_t i = 0; i < sizeof hives / sizeof hives[0]; i++) {
    size_t n = strlen(hives[i]);
    bool eq = strlen(path) >= n && (path[n] == '\0' || path[n] == '\\');
    for (size_t j = 0; eq && j < n; j++) {
      char a = path[j], b = hives[i][j];
      if (a >= 'a' && a <= 'z') a = (char)(a - 32);
      if (b >= 'a' && b <= 'z') b = (char)(b - 32);
      eq = a == b;
    }
    if (eq) return true;
  }
  return false;
}

/* Under no lock: copies value @p name of @p key (found = false when absent). */
static kp_status_t fetch(kpi_cm_t *cm, kpi_key_t *key, const uint16_t *name, qval_t *out,
                         bool *found) {
  kpi_mutex_lock(&cm->lock);
  kpi_value_t *v = kpi_cm_value(key, name, wlen(name));
  *found = v != NULL;
  kp_status_t st = KP_STATUS_SUCCESS;
  if (v != NULL) {
    out->type = v->type;
    out->size = v->size;
    out->data = malloc(v->size != 0 ? v->size : 1u);
    if (out->data == NULL) st = KP_STATUS_INSUFFICIENT_RESOURCES;
    else if (v->size != 0) memcpy(out->data, v->data, v->size);
  }
  kpi_mutex_unlock(&cm->lock);
  return st;
}

/* One entry with a Name. */
static kp_status_t query_one(kp_system_t *sys, kpi_cm_t *cm, kpi_key_t *key,
                             kp_query_table_t *e, void *context) {
  qval_t v = {0, 0, NULL};
  bool found = false;
  kp_status_t st = fetch(cm, key, e->name, &v, &found);
  if (!KP_SUCCESS(st)) return st;
  uint32_t def_type = e->default_type & 0x00FFFFFFu;
  uint32_t want = (e->default_type >> Q_TYPECHECK_SHIFT) & 0xFFu;
  if (!found) {
    if (e->flags & Q_REQUIRED) return KP_STATUS_OBJECT_NAME_NOT_FOUND;
    if (def_type == KP_REG_NONE || e->default_data == NULL) return KP_STATUS_SUCCESS;
    // The default stands in for the value (length 0 for strings: compute it).
    v.type = def_type;
    v.size = e->default_length;
    if (v.size == 0 && is_string(def_type))
      v.size = (uint32_t)((wlen(e->default_data) + 1u) * 2u);
    v.data = malloc(v.size != 0 ? v.size : 1u);
    if (v.data == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
    memcpy(v.data, e->default_data, v.size);
  }
  if ((e->flags & Q_TYPECHECK) && v.type != want) {
    free(v.data);
    return KP_STATUS_OBJECT_TYPE_MISMATCH;
  }
  if (e->flags & Q_DIRECT) {
    if (!(e->flags & Q_TYPECHECK) && !system_hive(key)) {
      free(v.data);
      kpi_bugcheck_raise(sys, KP_BUGCHECK_KERNEL_SECURITY_CHECK_FAILURE, 9, 0, 0, 0, NULL,
                         "RtlQueryRegistryValues with RTL_QUERY_REGISTRY_DIRECT and "
                         "without RTL_QUERY_REGISTRY_TYPECHECK on a key outside the "
                         "system hives.");
      return KP_STATUS_INVALID_PARAMETER;
    }
    if (v.type == KP_REG_MULTI_SZ && !(e->flags & Q_NOEXPAND)) {
      free(v.data);
      return KP_STATUS_INVALID_PARAMETER;
    }
    st = store_direct(sys, &v, e->entry_context);
  } else {
    st = call_routine(e, e->name, &v, context);
  }
  free(v.data);
  if (KP_SUCCESS(st) && found && (e->flags & Q_DELETE)) {
    kpi_mutex_lock(&cm->lock);
    kpi_value_t **pp = &key->values;
    size_t n = wlen(e->name);
    while (*pp != NULL && (*pp != kpi_cm_value(key, e->name, n))) pp = &(*pp)->next;
    if (*pp != NULL) {
      kpi_value_t *dead = *pp;
      *pp = dead->next;
      free(dead->name);
      free(dead->data);
      free(dead);
    }
    kpi_mutex_unlock(&cm->lock);
  }
  return st;
}

/* An entry with a routine and no name: every value of the key. */
static kp_status_t query_all(kpi_cm_t *cm, kpi_key_t *key, kp_query_table_t *e, void *context) {
  for (uint32_t i = 0;; i++) {
    qval_t v = {0, 0, NULL};
    uint16_t *name = NULL;
    kpi_mutex_lock(&cm->lock);
    kpi_value_t *val = key->values;
    for (uint32_t j = 0; val != NULL && j < i; j++) val = val->next;
    if (val != NULL) {
      v.type = val->type;
      v.size = val->size;
      v.data = malloc(val->size != 0 ? val->size : 1u);
      name = malloc((val->len + 1) * 2u);
      if (v.data != NULL && name != NULL) {
        if (val->size != 0) memcpy(v.data, val->data, val->size);
        memcpy(name, val->name, val->len * 2u);
        name[val->len] = 0;
      }
    }
    kpi_mutex_unlock(&cm->lock);
    if (val == NULL) return KP_STATUS_SUCCESS;
    kp_status_t st = v.data != NULL && name != NULL ? call_routine(e, name, &v, context)
                                                    : KP_STATUS_INSUFFICIENT_RESOURCES;
    free(v.data);
    free(name);
    if (!KP_SUCCESS(st) && st != KP_STATUS_BUFFER_TOO_SMALL) return st;
  }
}

/* The key RelativeTo and Path name (under the lock). */
static kpi_key_t *base_key(kpi_cm_t *cm, uint32_t relative_to, const uint16_t *path,
                           kp_status_t *st) {
  *st = KP_STATUS_SUCCESS;
  if (relative_to & R_HANDLE) {
    kpi_key_t *k = kpi_cm_key(cm, (void *)(uintptr_t)path);
    if (k == NULL) *st = KP_STATUS_INVALID_HANDLE;
    return k;
  }
  static const char *const roots[] = {
      "", "\\Registry\\Machine\\System\\CurrentControlSet\\Services",
      "\\Registry\\Machine\\System\\CurrentControlSet\\Control",
      "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
      "\\Registry\\Machine\\Hardware\\DeviceMap"};
  uint32_t rel = relative_to & 0xFFFFu;
  if (rel > R_DEVICEMAP || path == NULL) {
    *st = KP_STATUS_INVALID_PARAMETER;
    return NULL;
  }
  size_t plen = wlen(path);
  size_t rlen = strlen(roots[rel]);
  bool absolute = rel == R_ABSOLUTE || (plen != 0 && path[0] == '\\');
  uint16_t *full = malloc((rlen + 1 + plen + 1) * 2u);
  if (full == NULL) {
    *st = KP_STATUS_INSUFFICIENT_RESOURCES;
    return NULL;
  }
  size_t n = 0;
  if (!absolute) {
    for (size_t i = 0; i < rlen; i++) full[n++] = (uint8_t)roots[rel][i];
    if (plen != 0) full[n++] = '\\';
  }
  memcpy(full + n, path, plen * 2u);
  n += plen;
  bool missing_parent = false;
  kpi_key_t *k = kpi_cm_walk(cm, NULL, full, n, &missing_parent);
  free(full);
  if (k == NULL) *st = KP_STATUS_OBJECT_NAME_NOT_FOUND;
  return k;
}

kp_status_t kp_cm_query_values(kp_system_t *sys, uint32_t relative_to, const uint16_t *path,
                               kp_query_table_t *table, void *context, void *environment) {
  (void)environment;  // kpool never expands REG_EXPAND_SZ
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (table == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *top = base_key(cm, relative_to, path, &st);
  kpi_mutex_unlock(&cm->lock);
  if (top == NULL) {
    if ((relative_to & R_OPTIONAL) && st == KP_STATUS_OBJECT_NAME_NOT_FOUND)
      return KP_STATUS_SUCCESS;
    return st;
  }
  kpi_key_t *key = top;
  for (kp_query_table_t *e = table; e->routine != NULL || e->name != NULL; e++) {
    if ((e->flags & Q_DIRECT) && (e->routine != NULL || e->name == NULL))
      return KP_STATUS_INVALID_PARAMETER;
    if (e->flags & Q_TOPKEY) key = top;
    if (e->flags & Q_SUBKEY) {
      if (e->name == NULL) return KP_STATUS_INVALID_PARAMETER;
      bool missing_parent = false;
      kpi_mutex_lock(&cm->lock);
      kpi_key_t *sub = kpi_cm_walk(cm, top, e->name, wlen(e->name), &missing_parent);
      kpi_mutex_unlock(&cm->lock);
      if (sub == NULL) {
        if (e->flags & Q_REQUIRED) return KP_STATUS_OBJECT_NAME_NOT_FOUND;
        continue;
      }
      key = sub;
      if (e->routine == NULL) continue;
      st = query_all(cm, key, e, context);
    } else if (e->flags & Q_NOVALUE) {
      st = e->routine != NULL ? e->routine(e->name, KP_REG_NONE, NULL, 0, context,
                                           e->entry_context)
                              : KP_STATUS_INVALID_PARAMETER;
    } else if (e->name == NULL) {
      st = query_all(cm, key, e, context);
    } else {
      st = query_one(sys, cm, key, e, context);
    }
    // A routine's STATUS_BUFFER_TOO_SMALL is ignored (facts §5.4).
    if (!KP_SUCCESS(st) && !(st == KP_STATUS_BUFFER_TOO_SMALL && !(e->flags & Q_DIRECT)))
      return st;
  }
  return KP_STATUS_SUCCESS;
}
