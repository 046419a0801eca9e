/*
 * registry.c — the in-memory registry: keys and values, kernel handles,
 * the Zw* key routines and the test-side fill API (facts §5.1-5.3, §7.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm/cm_internal.h"
#include "ke/kp_ke.h"
#include "sim/kp_sim.h"

/* Kernel handles have the high bit set; 4-aligned like Windows'. The
 * registry's range starts above the dispatcher's thread handles
 * (0xFFFFFFFF80000000 + 4n), so ZwClose can tell them apart. */
#define HANDLE_BASE ((uintptr_t)0xFFFFFFFF81000000ull)
#define HANDLE_END (HANDLE_BASE + 4u * (KPI_CM_HANDLES + 1u))
#define STATUS_CANNOT_DELETE ((kp_status_t)0xC0000121u)
#define FULL_FIXED 20u
#define SHORT_FIXED 12u

static void cm_unload_check(kp_system_t *sys, void *state);
static void cm_destroy(kp_system_t *sys, void *state);

static const kpi_module_ops_t cm_ops = {
    .name = "registry",
    .unload_check = cm_unload_check,
    .destroy = cm_destroy,
};

static uint16_t up(uint16_t c) { return c >= 'a' && c <= 'z' ? (uint16_t)(c - 32) : c; }

static bool name_eq(const uint16_t *a, size_t alen, const uint16_t *b, size_t blen) {
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (up(a[i]) != up(b[i])) return false;
  return true;
}

static uint16_t *dup16(const uint16_t *s, size_t len) {
  uint16_t *d = malloc((len + 1) * sizeof *d);
  if (d == NULL) return NULL;
  if (len != 0) memcpy(d, s, len * sizeof *d);
  d[len] = 0;
  return d;
}

static kpi_key_t *key_new(kpi_key_t *parent, const uint16_t *name, size_t len) {
  kpi_key_t *k = calloc(1, sizeof *k);
  if (k == NULL) return NULL;
  k->name = dup16(name, len);
  if (k->name == NULL) {
    free(k);
    return NULL;
  }
  k->len = len;
  k->parent = parent;
  if (parent != NULL) {
    k->sibling = parent->child;
    parent->child = k;
  }
  return k;
}

static void key_free(kpi_key_t *k) {
  while (k->child != NULL) {
    kpi_key_t *c = k->child;
    k->child = c->sibling;
    key_free(c);
  }
  for (kpi_value_t *v = k->values, *n; v != NULL; v = n) {
    n = v->next;
    free(v->name);
    free(v->data);
    free(v);
  }
  free(k->name);
  free(k);
}

kpi_cm_t *kpi_cm(kp_system_t *sys) {
  if (sys == NULL) return NULL;
  kpi_cm_t *cm = kpi_system_module(sys, &cm_ops);
  if (cm != NULL) return cm;
  cm = calloc(1, sizeof *cm);
  if (cm == NULL) return NULL;
  static const uint16_t reg[] = {'R', 'e', 'g', 'i', 's', 't', 'r', 'y'};
  cm->root = key_new(NULL, reg, 8);
  if (cm->root == NULL) {
    free(cm);
    return NULL;
  }
  kpi_mutex_init(&cm->lock);
  if (!kpi_system_add_module(sys, &cm_ops, cm)) {
    kpi_mutex_destroy(&cm->lock);
    key_free(cm->root);
    free(cm);
    return kpi_system_module(sys, &cm_ops);
  }
  return cm;
}

static void cm_destroy(kp_system_t *sys, void *state) {
  (void)sys;
  kpi_cm_t *cm = state;
  key_free(cm->root);
  kpi_mutex_destroy(&cm->lock);
  free(cm);
}

void kpi_cm_path(kpi_key_t *key, char *buf, size_t size) {
  if (key == NULL || size == 0) return;
  kpi_key_t *chain[64];
  size_t n = 0;
  for (kpi_key_t *k = key; k != NULL && n < 64; k = k->parent) chain[n++] = k;
  size_t pos = 0;
  buf[0] = '\0';
  while (n-- > 0 && pos + 2 < size) {
    buf[pos++] = '\\';
    for (size_t i = 0; i < chain[n]->len && pos + 1 < size; i++)
      buf[pos++] = chain[n]->name[i] < 0x80 ? (char)chain[n]->name[i] : '?';
    buf[pos] = '\0';
  }
}

static void cm_unload_check(kp_system_t *sys, void *state) {
  kpi_cm_t *cm = state;
  uint32_t open = 0;
  char path[256];
  kpi_mutex_lock(&cm->lock);
  for (uint32_t i = 0; i < KPI_CM_HANDLES; i++) {
    if (cm->handles[i] == NULL) continue;
    open++;
    kpi_cm_path(cm->handles[i], path, sizeof path);
    kp_printf(sys, "kpool: driver unload: registry handle 0x%llX to %s is still "
              "open (ZwClose missing)\n",
              (unsigned long long)(HANDLE_BASE + 4u * (i + 1u)), path);
  }
  kpi_mutex_unlock(&cm->lock);
  atomic_fetch_add(&sys->unload_findings, open);
}

kpi_key_t *kpi_cm_key(kpi_cm_t *cm, void *handle) {
  uintptr_t h = (uintptr_t)handle;
  if (h < HANDLE_BASE + 4u || (h & 3u) != 0) return NULL;
  uintptr_t i = (h - HANDLE_BASE) / 4u - 1u;
  return i < KPI_CM_HANDLES ? cm->handles[i] : NULL;
}

/* Under the lock: a new handle for @p key, or NULL when the table is full. */
static void *handle_new(kpi_cm_t *cm, kpi_key_t *key) {
  for (uint32_t i = 0; i < KPI_CM_HANDLES; i++)
    if (cm->handles[i] == NULL) {
      cm->handles[i] = key;
      key->handles++;
      return (void *)(HANDLE_BASE + 4u * (i + 1u));
    }
  return NULL;
}

kpi_key_t *kpi_cm_walk(kpi_cm_t *cm, kpi_key_t *from, const uint16_t *name,
                       size_t len, bool *missing_parent) {
  *missing_parent = false;
  size_t i = 0;
  kpi_key_t *k = from;
  if (from == NULL) {
    // Absolute: \Registry\...
    if (len == 0 || name[0] != '\\') return NULL;
    i = 1;
    size_t j = i;
    while (j < len && name[j] != '\\') j++;
    if (!name_eq(name + i, j - i, cm->root->name, cm->root->len)) return NULL;
    k = cm->root;
    i = j < len ? j + 1 : j;
  }
  while (i < len) {
    size_t j = i;
    while (j < len && name[j] != '\\') j++;
    kpi_key_t *c = k->child;
    while (c != NULL && (c->deleted || !name_eq(c->name, c->len, name + i, j - i))) c = c->sibling;
    if (c == NULL) {
      *missing_parent = j < len;
      return NULL;
    }
    k = c;
    i = j < len ? j + 1 : j;
  }
  return k;
}

kpi_value_t *kpi_cm_value(kpi_key_t *key, const uint16_t *name, size_t len) {
  for (kpi_value_t *v = key->values; v != NULL; v = v->next)
    if (name_eq(v->name, v->len, name, len)) return v;
  return NULL;
}

/* Under the lock: sets (creates or replaces) a value. */
static kp_status_t value_set(kpi_key_t *key, const uint16_t *name, size_t len,
                             uint32_t type, const void *data, uint32_t size) {
  uint8_t *copy = NULL;
  if (size != 0) {
    copy = malloc(size);
    if (copy == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
    memcpy(copy, data, size);
  }
  kpi_value_t *v = kpi_cm_value(key, name, len);
  if (v == NULL) {
    v = calloc(1, sizeof *v);
    uint16_t *n = dup16(name, len);
    if (v == NULL || n == NULL) {
      free(v);
      free(n);
      free(copy);
      return KP_STATUS_INSUFFICIENT_RESOURCES;
    }
    v->name = n;
    v->len = len;
    kpi_value_t **tail = &key->values;
    while (*tail != NULL) tail = &(*tail)->next;
    *tail = v;
  }
  free(v->data);
  v->data = copy;
  v->size = size;
  v->type = type;
  return KP_STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------
 * Test side.
 * ------------------------------------------------------------------------- */
static uint16_t *ascii16(const char *s, size_t *len) {
  size_t n = strlen(s);
  uint16_t *u = malloc((n + 1) * sizeof *u);
  if (u == NULL) return NULL;
  for (size_t i = 0; i < n; i++) u[i] = (uint8_t)s[i];
  u[n] = 0;
  *len = n;
  return u;
}

/* Under the lock: the key at ASCII @p path, created (with its parents)
 * when @p create. */
static kpi_key_t *path_key(kpi_cm_t *cm, const char *path, bool create, kp_status_t *st) {
  *st = KP_STATUS_SUCCESS;
  if (path == NULL || strncmp(path, "\\Registry", 9) != 0 ||
      (path[9] != '\0' && path[9] != '\\')) {
    *st = KP_STATUS_OBJECT_PATH_SYNTAX_BAD;
    return NULL;
  }
  kpi_key_t *k = cm->root;
  const char *p = path + 9;
  while (*p == '\\') {
    p++;
    const char *e = strchr(p, '\\');
    size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
    if (n == 0) break;
    uint16_t comp[256];
    if (n > 255) {
      *st = KP_STATUS_OBJECT_NAME_INVALID;
      return NULL;
    }
    for (size_t i = 0; i < n; i++) comp[i] = (uint8_t)p[i];
    kpi_key_t *c = k->child;
    while (c != NULL && (c->deleted || !name_eq(c->name, c->len, comp, n))) c = c->sibling;
    if (c == NULL) {
      if (!create) {
        *st = KP_STATUS_OBJECT_NAME_NOT_FOUND;
        return NULL;
      }
      c = key_new(k, comp, n);
      if (c == NULL) {
        *st = KP_STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
      }
    }
    k = c;
    p += n;
  }
  return k;
}

kp_status_t kp_registry_create_key(kp_system_t *sys, const char *path) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  (void)path_key(cm, path, true, &st);
  kpi_mutex_unlock(&cm->lock);
  return st;
}

bool kp_registry_key_exists(kp_system_t *sys, const char *path) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return false;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  bool found = path_key(cm, path, false, &st) != NULL;
  kpi_mutex_unlock(&cm->lock);
  return found;
}

kp_status_t kp_registry_set_value(kp_system_t *sys, const char *path, const char *name,
                                  uint32_t type, const void *data, uint32_t size) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (name == NULL || (size != 0 && data == NULL)) return KP_STATUS_INVALID_PARAMETER;
  size_t len = 0;
  uint16_t *n = ascii16(name, &len);
  if (n == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = path_key(cm, path, true, &st);
  if (k != NULL) st = value_set(k, n, len, type, data, size);
  kpi_mutex_unlock(&cm->lock);
  free(n);
  return st;
}

kp_status_t kp_registry_set_string(kp_system_t *sys, const char *path, const char *name,
                                   const char *text) {
  if (text == NULL) return KP_STATUS_INVALID_PARAMETER;
  size_t len = 0;
  uint16_t *u = ascii16(text, &len);
  if (u == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st = kp_registry_set_value(sys, path, name, KP_REG_SZ, u,
                                         (uint32_t)((len + 1) * sizeof *u));
  free(u);
  return st;
}

kp_status_t kp_registry_get_value(kp_system_t *sys, const char *path, const char *name,
                                  uint32_t *type, void *data, uint32_t size,
                                  uint32_t *needed) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL || name == NULL) return KP_STATUS_INVALID_PARAMETER;
  size_t len = 0;
  uint16_t *n = ascii16(name, &len);
  if (n == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = path_key(cm, path, false, &st);
  kpi_value_t *v = k != NULL ? kpi_cm_value(k, n, len) : NULL;
  if (k != NULL && v == NULL) st = KP_STATUS_OBJECT_NAME_NOT_FOUND;
  if (v != NULL) {
    if (type != NULL) *type = v->type;
    if (needed != NULL) *needed = v->size;
    uint32_t c = v->size < size ? v->size : size;
    if (c != 0 && data != NULL) memcpy(data, v->data, c);
    st = v->size <= size ? KP_STATUS_SUCCESS : KP_STATUS_BUFFER_OVERFLOW;
  }
  kpi_mutex_unlock(&cm->lock);
  free(n);
  return st;
}

uint32_t kp_registry_open_handles(kp_system_t *sys) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return 0;
  uint32_t n = 0;
  kpi_mutex_lock(&cm->lock);
  for (uint32_t i = 0; i < KPI_CM_HANDLES; i++) n += cm->handles[i] != NULL;
  kpi_mutex_unlock(&cm->lock);
  return n;
}

/* ---------------------------------------------------------------------------
 * Driver side.
 * ------------------------------------------------------------------------- */
kp_status_t kp_cm_open_key(kp_system_t *sys, void *root, const uint16_t *name, size_t len,
                           uint32_t access, bool create, uint32_t *disposition,
                           void **handle) {
  (void)access;  // kpool grants every access (no security descriptors)
  if (handle != NULL) *handle = NULL;
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (handle == NULL || (name == NULL && len != 0)) return KP_STATUS_INVALID_PARAMETER;
  if (root == NULL && (len == 0 || name[0] != '\\')) return KP_STATUS_OBJECT_PATH_SYNTAX_BAD;
  kp_status_t st = KP_STATUS_SUCCESS;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *from = NULL;
  if (root != NULL) {
    from = kpi_cm_key(cm, root);
    if (from == NULL) st = KP_STATUS_INVALID_HANDLE;
    else if (from->deleted) st = KP_STATUS_KEY_DELETED;
  }
  kpi_key_t *k = NULL;
  uint32_t disp = KP_REG_OPENED_EXISTING_KEY;
  if (KP_SUCCESS(st)) {
    bool missing_parent = false;
    k = kpi_cm_walk(cm, from, name, len, &missing_parent);
    if (k == NULL && missing_parent) {
      st = KP_STATUS_OBJECT_PATH_NOT_FOUND;
    } else if (k == NULL && !create) {
      st = KP_STATUS_OBJECT_NAME_NOT_FOUND;
    } else if (k == NULL) {
      // Only the last component may be new (facts §5.1).
      size_t cut = len;
      while (cut > 0 && name[cut - 1] != '\\') cut--;
      kpi_key_t *parent = from;
      if (cut > 0) parent = kpi_cm_walk(cm, from, name, cut - 1, &missing_parent);
      if (parent == NULL || cut == len) {
        st = KP_STATUS_OBJECT_PATH_NOT_FOUND;
      } else {
        k = key_new(parent, name + cut, len - cut);
        if (k == NULL) st = KP_STATUS_INSUFFICIENT_RESOURCES;
        disp = KP_REG_CREATED_NEW_KEY;
      }
    }
  }
  void *h = NULL;
  if (KP_SUCCESS(st)) {
    h = handle_new(cm, k);
    if (h == NULL) st = KP_STATUS_INSUFFICIENT_RESOURCES;
  }
  kpi_mutex_unlock(&cm->lock);
  if (!KP_SUCCESS(st)) return st;
  *handle = h;
  if (disposition != NULL) *disposition = disp;
  return st;
}

/* Fills one KEY_VALUE_* record; see the buffer rules in kpool/cm.h. */
static kp_status_t value_info(const kpi_value_t *v, uint32_t cls, void *buf,
                              uint32_t buf_len, uint32_t *result_len) {
  uint8_t *out = buf;
  uint32_t name_bytes = (uint32_t)(v->len * 2u);
  uint32_t fixed, need, data_off = 0;
  if (cls == KP_KEY_VALUE_BASIC) {
    fixed = SHORT_FIXED;
    need = fixed + name_bytes;
  } else if (cls == KP_KEY_VALUE_FULL) {
    fixed = FULL_FIXED;
    data_off = (fixed + name_bytes + 3u) & ~3u;
    need = data_off + v->size;
  } else if (cls == KP_KEY_VALUE_PARTIAL) {
    fixed = SHORT_FIXED;
    need = fixed + v->size;
  } else {
    return KP_STATUS_INVALID_PARAMETER;
  }
  if (result_len != NULL) *result_len = need;
  if (buf_len < fixed || buf == NULL) return KP_STATUS_BUFFER_TOO_SMALL;
  uint32_t hdr[5] = {0, v->type, 0, 0, 0};
  if (cls == KP_KEY_VALUE_BASIC) {
    hdr[2] = name_bytes;
  } else if (cls == KP_KEY_VALUE_FULL) {
    hdr[2] = data_off;
    hdr[3] = v->size;
    hdr[4] = name_bytes;
  } else {
    hdr[2] = v->size;
  }
  memcpy(out, hdr, fixed);
  uint32_t room = buf_len - fixed;
  if (cls == KP_KEY_VALUE_PARTIAL) {
    uint32_t n = v->size < room ? v->size : room;
    if (n != 0) memcpy(out + fixed, v->data, n);
  } else {
    uint32_t n = name_bytes < room ? name_bytes : room;
    if (n != 0) memcpy(out + fixed, v->name, n);
    if (cls == KP_KEY_VALUE_FULL && buf_len > data_off) {
      uint32_t d = v->size < buf_len - data_off ? v->size : buf_len - data_off;
      if (d != 0) memcpy(out + data_off, v->data, d);
    }
  }
  return buf_len >= need ? KP_STATUS_SUCCESS : KP_STATUS_BUFFER_OVERFLOW;
}

/* Under the lock: the live key of @p handle, or the status why not. */
static kpi_key_t *handle_key(kpi_cm_t *cm, void *handle, kp_status_t *st) {
  kpi_key_t *k = kpi_cm_key(cm, handle);
  *st = k == NULL ? KP_STATUS_INVALID_HANDLE : k->deleted ? KP_STATUS_KEY_DELETED
                                                           : KP_STATUS_SUCCESS;
  return KP_SUCCESS(*st) ? k : NULL;
}

kp_status_t kp_cm_query_value(kp_system_t *sys, void *handle, const uint16_t *name,
                              size_t len, uint32_t info_class, void *buf, uint32_t buf_len,
                              uint32_t *result_len) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (result_len == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = handle_key(cm, handle, &st);
  if (k != NULL) {
    kpi_value_t *v = kpi_cm_value(k, name, name != NULL ? len : 0);
    st = v == NULL ? KP_STATUS_OBJECT_NAME_NOT_FOUND
                   : value_info(v, info_class, buf, buf_len, result_len);
  }
  kpi_mutex_unlock(&cm->lock);
  return st;
}

kp_status_t kp_cm_enum_value(kp_system_t *sys, void *handle, uint32_t index,
                             uint32_t info_class, void *buf, uint32_t buf_len,
                             uint32_t *result_len) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (result_len == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = handle_key(cm, handle, &st);
  if (k != NULL) {
    kpi_value_t *v = k->values;
    for (uint32_t i = 0; v != NULL && i < index; i++) v = v->next;
    st = v == NULL ? KP_STATUS_NO_MORE_ENTRIES
                   : value_info(v, info_class, buf, buf_len, result_len);
  }
  kpi_mutex_unlock(&cm->lock);
  return st;
}

kp_status_t kp_cm_enum_key(kp_system_t *sys, void *handle, uint32_t index, uint32_t info_class,
                           void *buf, uint32_t buf_len, uint32_t *result_len) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (result_len == NULL) return KP_STATUS_INVALID_PARAMETER;
  if (info_class != KP_KEY_BASIC && info_class != KP_KEY_NODE) return KP_STATUS_INVALID_PARAMETER;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = handle_key(cm, handle, &st);
  if (k != NULL) {
    // Subkeys are kept newest first: count, then take the index-th oldest.
    uint32_t n = 0;
    for (kpi_key_t *c = k->child; c != NULL; c = c->sibling) n += !c->deleted;
    kpi_key_t *hit = NULL;
    if (index < n) {
      uint32_t want = n - 1u - index, i = 0;
      for (kpi_key_t *c = k->child; c != NULL && hit == NULL; c = c->sibling)
        if (!c->deleted && i++ == want) hit = c;
    }
    if (hit == NULL) {
      st = KP_STATUS_NO_MORE_ENTRIES;
    } else {
      uint32_t fixed = info_class == KP_KEY_BASIC ? 16u : 24u;
      uint32_t name_bytes = (uint32_t)(hit->len * 2u);
      *result_len = fixed + name_bytes;
      if (buf == NULL || buf_len < fixed) {
        st = KP_STATUS_BUFFER_TOO_SMALL;
      } else {
        // LastWriteTime (8), TitleIndex, [ClassOffset, ClassLength,] NameLength.
        uint32_t hdr[6] = {0, 0, 0, 0, 0, 0};
        if (info_class == KP_KEY_BASIC) hdr[3] = name_bytes;
        else hdr[5] = name_bytes;
        memcpy(buf, hdr, fixed);
        uint32_t room = buf_len - fixed, c = name_bytes < room ? name_bytes : room;
        if (c != 0) memcpy((uint8_t *)buf + fixed, hit->name, c);
        st = buf_len >= fixed + name_bytes ? KP_STATUS_SUCCESS : KP_STATUS_BUFFER_OVERFLOW;
      }
    }
  }
  kpi_mutex_unlock(&cm->lock);
  return st;
}

kp_status_t kp_cm_set_value(kp_system_t *sys, void *handle, const uint16_t *name, size_t len,
                            uint32_t type, const void *data, uint32_t size) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  if (size != 0 && data == NULL) return KP_STATUS_INVALID_PARAMETER;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = handle_key(cm, handle, &st);
  if (k != NULL) st = value_set(k, name, name != NULL ? len : 0, type, data, size);
  kpi_mutex_unlock(&cm->lock);
  return st;
}

kp_status_t kp_cm_delete_value(kp_system_t *sys, void *handle, const uint16_t *name,
                               size_t len) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = handle_key(cm, handle, &st);
  if (k != NULL) {
    st = KP_STATUS_OBJECT_NAME_NOT_FOUND;
    for (kpi_value_t **pp = &k->values; *pp != NULL; pp = &(*pp)->next)
      if (name_eq((*pp)->name, (*pp)->len, name, name != NULL ? len : 0)) {
        kpi_value_t *v = *pp;
        *pp = v->next;
        free(v->name);
        free(v->data);
        free(v);
        st = KP_STATUS_SUCCESS;
        break;
      }
  }
  kpi_mutex_unlock(&cm->lock);
  return st;
}

kp_status_t kp_cm_delete_key(kp_system_t *sys, void *handle) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kp_status_t st;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = handle_key(cm, handle, &st);
  if (k != NULL) {
    bool has_children = false;
    for (kpi_key_t *c = k->child; c != NULL; c = c->sibling) has_children |= !c->deleted;
    if (has_children || k == cm->root) st = STATUS_CANNOT_DELETE;
    else k->deleted = true;  // freed with the tree; its handles see KEY_DELETED
  }
  kpi_mutex_unlock(&cm->lock);
  return st;
}

bool kp_cm_is_handle(kp_system_t *sys, void *handle) {
  (void)sys;
  // The registry's handle range, open or not (a double close is its own).
  return (uintptr_t)handle >= HANDLE_BASE && (uintptr_t)handle < HANDLE_END;
}

kp_status_t kp_cm_close(kp_system_t *sys, void *handle) {
  kpi_cm_t *cm = kpi_cm(sys);
  if (cm == NULL) return KP_STATUS_INSUFFICIENT_RESOURCES;
  kpi_mutex_lock(&cm->lock);
  kpi_key_t *k = kpi_cm_key(cm, handle);
  if (k != NULL) {
    uintptr_t i = ((uintptr_t)handle - HANDLE_BASE) / 4u - 1u;
    cm->handles[i] = NULL;
    k->handles--;
  }
  kpi_mutex_unlock(&cm->lock);
  if (k != NULL) return KP_STATUS_SUCCESS;
  if (kpi_verifier(sys)) {
    kpi_bugcheck_raise(sys, KP_BUGCHECK_INVALID_KERNEL_HANDLE, (uintptr_t)handle, 1, 0, 0,
                       NULL, "ZwClose on handle %p, which is not an open kernel handle "
                       "(closed twice, or never opened).", handle);
  }
  return KP_STATUS_INVALID_HANDLE;
}
