/**
 * @file examples/secure_config/secure_config.h
 * @brief A tamper-proof driver configuration kept in a secure pool
 *        (Kernel Data Protection), as a Windows driver would write it.
 *
 * Written only against WDK names (<ntddk.h>): the same source builds in a
 * WDK driver project (Windows Server 2022 / Windows 11 and later). Under
 * kpool it links kpool::wdk, and the secure pool is simulated for real: its
 * pages are read-only, so a stray write to the settings is bug check 0xBE
 * ATTEMPTED_WRITE_TO_READONLY_MEMORY instead of a silent corruption.
 *
 * Design:
 * - ScfgCreate makes a private secure pool (ExCreatePool with
 *   POOL_CREATE_FLG_SECURE_POOL) and one secure allocation holding the
 *   SCFG_SETTINGS (ExAllocatePool3 with a PoolExtendedParameterSecurePool
 *   parameter: initial contents, the caller's cookie, FREEABLE and
 *   MODIFIABLE).
 * - The handle, the settings pointer and the cookie live in an ordinary
 *   non-paged SECURE_CONFIG object. That object is writable, so every read
 *   first proves, with ExSecurePoolValidate, that the pointer still names
 *   the genuine secure allocation (handle, tag, address, cookie): a pointer
 *   redirected to forged settings is refused with SCFG_STATUS_TAMPERED.
 * - Changes go through ExSecurePoolUpdate only, after the new values are
 *   range-checked, under a fast mutex so that readers never see a half
 *   written record; Checksum covers the other fields and is checked on
 *   every read as well.
 * - ScfgDestroy frees the allocation with ExFreePool2 (handle and cookie)
 *   and destroys the pool with ExDestroyPool.
 *
 * Pool tags: SCFG_POOL_TAG ("ScfP", the secure pool), SCFG_SETTINGS_TAG
 * ("ScfS", the settings), SCFG_OBJECT_TAG ("ScfO", the SECURE_CONFIG).
 *
 * IRQL: ScfgCreate and ScfgDestroy at PASSIVE_LEVEL (ExCreatePool requires
 * it); ScfgRead and the updates at IRQL <= APC_LEVEL (fast mutex).
 * Thread safety: ScfgRead and the updates may run concurrently on one
 * configuration; ScfgDestroy must not race with them.
 */
#ifndef KPOOL_EXAMPLES_SECURE_CONFIG_SECURE_CONFIG_H
#define KPOOL_EXAMPLES_SECURE_CONFIG_SECURE_CONFIG_H

#include <ntddk.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Tag of the secure pool: "ScfP". */
#define SCFG_POOL_TAG 'PfcS'
/** Tag of the settings allocation in the secure pool: "ScfS". */
#define SCFG_SETTINGS_TAG 'SfcS'
/** Tag of the SECURE_CONFIG object (ordinary non-paged pool): "ScfO". */
#define SCFG_OBJECT_TAG 'OfcS'

/** Customer status (bit 29 set): the configuration failed validation. */
#define SCFG_STATUS_TAMPERED ((NTSTATUS)0xE05C0001L)

/** Current layout version of SCFG_SETTINGS. */
#define SCFG_SETTINGS_VERSION 3u
/** Limits the values must respect. */
#define SCFG_MAX_CONNECTIONS 4096u
#define SCFG_MIN_TIMEOUT_MS 10u
#define SCFG_MAX_TIMEOUT_MS 600000u
/** Flags: the only bits defined. */
#define SCFG_FLAG_AUDIT 0x1u
#define SCFG_FLAG_STRICT 0x2u
#define SCFG_FLAGS_VALID (SCFG_FLAG_AUDIT | SCFG_FLAG_STRICT)

/** The protected configuration. */
typedef struct _SCFG_SETTINGS {
  ULONG Version;        /**< SCFG_SETTINGS_VERSION */
  ULONG MaxConnections; /**< 1..SCFG_MAX_CONNECTIONS */
  ULONG TimeoutMs;      /**< SCFG_MIN_TIMEOUT_MS..SCFG_MAX_TIMEOUT_MS */
  ULONG Flags;          /**< SCFG_FLAG_* */
  UCHAR ServerName[32]; /**< NUL-terminated ASCII */
  ULONG Generation;     /**< bumped by every update (set by the component) */
  ULONG Checksum;       /**< over the fields above (set by the component) */
} SCFG_SETTINGS, *PSCFG_SETTINGS;

/** The driver's handle on its configuration (ordinary non-paged pool). */
typedef struct _SECURE_CONFIG {
  HANDLE Pool;                     /**< from ExCreatePool */
  const SCFG_SETTINGS *Settings;   /**< read-only secure memory */
  ULONG_PTR Cookie;                /**< given to ExAllocatePool3 */
  FAST_MUTEX Lock;                 /**< serialises updates against reads */
  ULONG Updates;                   /**< successful updates */
  ULONG Rejected;                  /**< reads refused for tampering */
} SECURE_CONFIG, *PSECURE_CONFIG;

/**
 * Creates the secure pool and stores @p Initial in it (Generation and
 * Checksum are filled in). @p Cookie is the secret ExSecurePoolValidate
 * will check; a driver derives it from something an attacker cannot read.
 * @return STATUS_SUCCESS and the configuration in @p *Config;
 *         STATUS_INVALID_PARAMETER for NULL arguments or values out of
 *         range; the status of ExCreatePool; STATUS_INSUFFICIENT_RESOURCES.
 *         On failure nothing is left allocated.
 */
NTSTATUS ScfgCreate(const SCFG_SETTINGS *Initial, ULONG_PTR Cookie,
                    PSECURE_CONFIG *Config);

/**
 * Copies the settings to @p Out after validating them: the allocation
 * must be the genuine one (ExSecurePoolValidate) and its checksum right.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for NULLs;
 *         SCFG_STATUS_TAMPERED (and @p Out zeroed) when validation fails.
 */
NTSTATUS ScfgRead(PSECURE_CONFIG Config, PSCFG_SETTINGS Out);

/**
 * Replaces the settings with @p New (range-checked, Generation bumped,
 * Checksum recomputed) through ExSecurePoolUpdate.
 * @return STATUS_SUCCESS; STATUS_INVALID_PARAMETER for bad values;
 *         SCFG_STATUS_TAMPERED when the current settings fail validation;
 *         the status of ExSecurePoolUpdate.
 */
NTSTATUS ScfgUpdate(PSECURE_CONFIG Config, const SCFG_SETTINGS *New);

/** Changes TimeoutMs only (the same checks as ScfgUpdate). */
NTSTATUS ScfgSetTimeout(PSECURE_CONFIG Config, ULONG TimeoutMs);

/** Frees the settings (ExFreePool2), destroys the pool, frees @p Config. */
VOID ScfgDestroy(PSECURE_CONFIG Config);

/** True when @p Settings holds values ScfgCreate / ScfgUpdate accept. */
BOOLEAN ScfgValuesValid(const SCFG_SETTINGS *Settings);

/** The checksum ScfgRead expects in @p Settings. */
ULONG ScfgChecksum(const SCFG_SETTINGS *Settings);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_EXAMPLES_SECURE_CONFIG_SECURE_CONFIG_H */
