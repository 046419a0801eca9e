/*
 * cm_internal.h — the registry's tree and handle table, shared by
 * registry.c (keys, values, Zw*) and query.c (RtlQueryRegistryValues).
 */
#ifndef KPOOL_SRC_CM_CM_INTERNAL_H
#define KPOOL_SRC_CM_CM_INTERNAL_H

#include "kp_types.h"
#include "kpool/cm.h"

typedef struct kpi_value {
  struct kpi_value *next;
  uint16_t *name;
  size_t len;
  uint32_t type;
  uint32_t size;
  uint8_t *data;
} kpi_value_t;

typedef struct kpi_key {
  struct kpi_key *parent;
  struct kpi_key *child;   /* first subkey */
  struct kpi_key *sibling;
  kpi_value_t *values;     /* creation order */
  uint16_t *name;
  size_t len;
  uint32_t handles;        /* open handles */
  bool deleted;
} kpi_key_t;

#define KPI_CM_HANDLES 256u

typedef struct kpi_cm {
  kpi_mutex_t lock;
  kpi_key_t *root;         /* \Registry */
  kpi_key_t *handles[KPI_CM_HANDLES];
} kpi_cm_t;

kpi_cm_t *kpi_cm(kp_system_t *sys);
/* Under the lock: the key of @p handle, or NULL. */
kpi_key_t *kpi_cm_key(kpi_cm_t *cm, void *handle);
/* Under the lock: the key at @p name below @p from (absolute when @p from
 * is NULL); *missing_parent tells NAME_NOT_FOUND from PATH_NOT_FOUND. */
kpi_key_t *kpi_cm_walk(kpi_cm_t *cm, kpi_key_t *from, const uint16_t *name,
                       size_t len, bool *missing_parent);
kpi_value_t *kpi_cm_value(kpi_key_t *key, const uint16_t *name, size_t len);
/* Writes the absolute path of @p key as ASCII into @p buf. */
void kpi_cm_path(kpi_key_t *key, char *buf, size_t size);

#endif /* KPOOL_SRC_CM_CM_INTERNAL_H */
