/*
 * secure_config.c — a tamper-proof configuration in a secure pool, written
 * against WDK names only (see secure_config.h for the design).
 */
#include "secure_config.h"

/* FNV-1a over the bytes before Checksum: cheap, and enough to notice a
 * record that was changed behind the component's back. */
ULONG ScfgChecksum(const SCFG_SETTINGS *Settings) {
  const UCHAR *bytes = (const UCHAR *)Settings;
  ULONG hash = 2166136261u;
  for (ULONG i = 0; i < (ULONG)FIELD_OFFSET(SCFG_SETTINGS, Checksum); i++) {
    hash ^= bytes[i];
    hash *= 16777619u;
  }
  return hash;
}

BOOLEAN ScfgValuesValid(const SCFG_SETTINGS *Settings) {
  if (Settings == NULL) return FALSE;
  if (Settings->Version != SCFG_SETTINGS_VERSION) return FALSE;
  if (Settings->MaxConnections == 0 ||
      Settings->MaxConnections > SCFG_MAX_CONNECTIONS)
    return FALSE;
  if (Settings->TimeoutMs < SCFG_MIN_TIMEOUT_MS ||
      Settings->TimeoutMs > SCFG_MAX_TIMEOUT_MS)
    return FALSE;
  if ((Settings->Flags & ~SCFG_FLAGS_VALID) != 0) return FALSE;
  // The name must be terminated inside its array.
  for (ULONG i = 0; i < sizeof Settings->ServerName; i++)
    if (Settings->ServerName[i] == 0) return TRUE;
  return FALSE;
}

/* The secure-pool parameter for an allocation or a free. */
static VOID ScfgSecureParameter(PPOOL_EXTENDED_PARAMETER Parameter,
                                PPOOL_EXTENDED_PARAMS_SECURE_POOL Secure) {
  RtlZeroMemory(Parameter, sizeof *Parameter);
  Parameter->Type = PoolExtendedParameterSecurePool;
  Parameter->Optional = 0; // a non-secure fallback would defeat the point
  Parameter->SecurePoolParams = Secure;
}

NTSTATUS ScfgCreate(const SCFG_SETTINGS *Initial, ULONG_PTR Cookie,
                    PSECURE_CONFIG *Config) {
  if (Config == NULL) return STATUS_INVALID_PARAMETER;
  *Config = NULL;
  if (!ScfgValuesValid(Initial)) return STATUS_INVALID_PARAMETER;

  PSECURE_CONFIG config = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *config,
                                          SCFG_OBJECT_TAG);
  if (config == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  ExInitializeFastMutex(&config->Lock);
  config->Cookie = Cookie;

  POOL_CREATE_EXTENDED_PARAMS create;
  RtlZeroMemory(&create, sizeof create);
  create.Version = POOL_CREATE_PARAMS_VERSION;
  NTSTATUS status = ExCreatePool(POOL_CREATE_FLG_SECURE_POOL, SCFG_POOL_TAG,
                                 &create, &config->Pool);
  if (!NT_SUCCESS(status)) {
    ExFreePoolWithTag(config, SCFG_OBJECT_TAG);
    return status;
  }

  // The initial contents are copied in by the allocator: after this call
  // nothing, not even this driver, can write the record directly.
  SCFG_SETTINGS initial = *Initial;
  initial.Generation = 1;
  initial.Checksum = ScfgChecksum(&initial);
  POOL_EXTENDED_PARAMS_SECURE_POOL secure;
  RtlZeroMemory(&secure, sizeof secure);
  secure.SecurePoolHandle = config->Pool;
  secure.Buffer = &initial;
  secure.Cookie = Cookie;
  secure.SecurePoolFlags = SECURE_POOL_FLAGS_FREEABLE | SECURE_POOL_FLAGS_MODIFIABLE;
  POOL_EXTENDED_PARAMETER parameter;
  ScfgSecureParameter(&parameter, &secure);
  config->Settings = ExAllocatePool3(POOL_FLAG_NON_PAGED, sizeof(SCFG_SETTINGS),
                                     SCFG_SETTINGS_TAG, &parameter, 1);
  if (config->Settings == NULL) {
    ExDestroyPool(config->Pool);
    ExFreePoolWithTag(config, SCFG_OBJECT_TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *Config = config;
  return STATUS_SUCCESS;
}

/* Validates the current record (mutex held). */
static BOOLEAN ScfgGenuine(PSECURE_CONFIG Config) {
  // The SECURE_CONFIG object is ordinary memory: prove that Settings is
  // still the allocation this pool made with this cookie before trusting
  // a byte of it, then check the record itself.
  if (!ExSecurePoolValidate(Config->Pool, SCFG_SETTINGS_TAG,
                            (PVOID)(ULONG_PTR)Config->Settings, Config->Cookie))
    return FALSE;
  return Config->Settings->Checksum == ScfgChecksum(Config->Settings);
}

NTSTATUS ScfgRead(PSECURE_CONFIG Config, PSCFG_SETTINGS Out) {
  if (Config == NULL || Out == NULL) return STATUS_INVALID_PARAMETER;
  NTSTATUS status = STATUS_SUCCESS;
  ExAcquireFastMutex(&Config->Lock);
  if (ScfgGenuine(Config)) {
    RtlCopyMemory(Out, Config->Settings, sizeof *Out);
  } else {
    RtlZeroMemory(Out, sizeof *Out);
    Config->Rejected++;
    status = SCFG_STATUS_TAMPERED;
  }
  ExReleaseFastMutex(&Config->Lock);
  return status;
}

NTSTATUS ScfgUpdate(PSECURE_CONFIG Config, const SCFG_SETTINGS *New) {
  if (Config == NULL || !ScfgValuesValid(New)) return STATUS_INVALID_PARAMETER;
  NTSTATUS status;
  ExAcquireFastMutex(&Config->Lock);
  if (!ScfgGenuine(Config)) {
    Config->Rejected++;
    status = SCFG_STATUS_TAMPERED;
  } else {
    SCFG_SETTINGS next = *New;
    next.Generation = Config->Settings->Generation + 1;
    next.Checksum = ScfgChecksum(&next);
    status = ExSecurePoolUpdate(Config->Pool, SCFG_SETTINGS_TAG,
                                (PVOID)(ULONG_PTR)Config->Settings,
                                Config->Cookie, 0, sizeof next, &next);
    if (NT_SUCCESS(status)) Config->Updates++;
  }
  ExReleaseFastMutex(&Config->Lock);
  return status;
}

NTSTATUS ScfgSetTimeout(PSECURE_CONFIG Config, ULONG TimeoutMs) {
  SCFG_SETTINGS current;
  NTSTATUS status = ScfgRead(Config, &current);
  if (!NT_SUCCESS(status)) return status;
  current.TimeoutMs = TimeoutMs;
  // A concurrent update between the read and this one is overwritten with
  // the values read here; callers that mix updates serialise them.
  return ScfgUpdate(Config, &current);
}

VOID ScfgDestroy(PSECURE_CONFIG Config) {
  if (Config == NULL) return;
  // A secure allocation is freed by ExFreePool2 with its pool's handle and
  // its cookie (Buffer NULL, flags 0); ExFreePool would bug check.
  POOL_EXTENDED_PARAMS_SECURE_POOL secure;
  RtlZeroMemory(&secure, sizeof secure);
  secure.SecurePoolHandle = Config->Pool;
  secure.Cookie = Config->Cookie;
  POOL_EXTENDED_PARAMETER parameter;
  ScfgSecureParameter(&parameter, &secure);
  ExFreePool2((PVOID)(ULONG_PTR)Config->Settings, SCFG_SETTINGS_TAG, &parameter, 1);
  ExDestroyPool(Config->Pool);
  ExFreePoolWithTag(Config, SCFG_OBJECT_TAG);
}
