/**
 * @file kpool/io.h
 * @brief The simulated I/O manager: drivers, device objects, names,
 *        IRPs, and the requests a test sends as a user-mode caller would.
 *
 * A whole driver runs in a unit test: kp_driver_load() calls its
 * DriverEntry with a simulated driver object; the test opens a device by
 * name (kp_io_open), sends reads, writes and device-control requests
 * (kp_io_read, kp_io_write, kp_io_ioctl, or kp_io_submit for the pending
 * case) and sees the final status, the Information count and the output
 * bytes exactly as DeviceIoControl/ReadFile would return them; then
 * kp_io_unload() calls DriverUnload and runs the unload checks.
 *
 * @par Layout twins
 * The core spells no WDK name, yet drivers read DEVICE_OBJECT, IRP and
 * IO_STACK_LOCATION fields directly. So the structures below are
 * byte-for-byte twins of the WDK ones on x64 (facts §1.3, §2.2, §3.1,
 * §3.2): the WDK face (kpool/wdk/kp_wdk_io.h) declares the same memory
 * with the WDK field names, and src/wdk/wdk_io.c pins every offset the
 * two share with static asserts. Fields the core never touches are
 * reserved byte arrays of the right size. Dispatch, completion and cancel
 * routines are called through the core's function types; the WDK's
 * pointer parameters have the same representation on every ABI kpool
 * supports.
 *
 * @par What the I/O manager simulates (facts §1-§4)
 * - kp_driver_load: the driver object (Type 4, Size 0x150, MajorFunction[]
 *   all the invalid-request routine, which completes with
 *   STATUS_INVALID_DEVICE_REQUEST), the driver extension, DriverName
 *   `\Driver\<name>`, the RegistryPath
 *   `\Registry\Machine\System\CurrentControlSet\Services\<name>` (a copy
 *   poisoned and freed right after DriverEntry returns, so a driver that
 *   keeps the pointer reads 0xCD bytes). On success DO_DEVICE_INITIALIZING
 *   is cleared on every device DriverEntry created and NULL MajorFunction
 *   entries are put back to the default routine (with a warning). On
 *   failure the driver is gone, its Unload is not called, and whatever it
 *   left (devices, links) is reported as leaked by the final unload check.
 * - Devices: IoCreateDevice (object and zeroed extension in one
 *   non-paged pool block tagged 'Devi', so special pool applies to the
 *   extension), names in one object namespace (`\Device\...`), symbolic
 *   links (`\DosDevices\`, `\??\` and `\GLOBAL??\` are one namespace),
 *   exclusive devices, device stacks.
 * - IRPs: allocated from non-paged pool (tag 'Irp '); stack locations
 *   follow the header; IoCallDriver/IoCompleteRequest with completion
 *   routines, pending propagation, cancellation, and the Driver Verifier
 *   I/O checks (KP_VERIFY_IO, in KP_VERIFY_DEFAULT).
 *
 * @par Bug checks raised here
 * 0x44 (IRP completed twice, P1 = IRP), 0x35 (no stack location left,
 * P1 = IRP), 0x48 (cancel routine of a completed IRP), 0xC9
 * DRIVER_VERIFIER_IOMANAGER_VIOLATION with the Level 1 and Enhanced codes
 * of facts §4.2-4.3 (0x05, 0x06, 0x07, 0x0E, 0x10, 0x12, 0x202, 0x224,
 * 0x226, 0x23D, 0x23E, 0x240, 0x245, 0x312, ...), 0xCE at unload for IRPs
 * the driver still owns. Each is documented on the function that raises it.
 *
 * Thread safety: every function may be called from any thread; the I/O
 * manager's tables have one lock, never held while driver code runs.
 */
#ifndef KPOOL_IO_H
#define KPOOL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "common.h"
#include "interlocked.h"
#include "rtl_string.h"
#include "system.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Constants (facts §1.5, §2.3, §3.2, §3.4, §9).
 * ------------------------------------------------------------------------- */
#define KP_IO_TYPE_DEVICE 3
#define KP_IO_TYPE_DRIVER 4
#define KP_IO_TYPE_FILE 5
#define KP_IO_TYPE_IRP 6

/** IRP_MJ_* values used by the core. */
#define KP_IRP_MJ_CREATE 0x00
#define KP_IRP_MJ_CLOSE 0x02
#define KP_IRP_MJ_READ 0x03
#define KP_IRP_MJ_WRITE 0x04
#define KP_IRP_MJ_FLUSH_BUFFERS 0x09
#define KP_IRP_MJ_DEVICE_CONTROL 0x0e
#define KP_IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define KP_IRP_MJ_SHUTDOWN 0x10
#define KP_IRP_MJ_CLEANUP 0x12
#define KP_IRP_MJ_PNP 0x1b
#define KP_IRP_MJ_MAXIMUM_FUNCTION 0x1b
#define KP_IRP_MJ_COUNT 28

/** Device flags (DO_*). */
#define KP_DO_BUFFERED_IO 0x00000004u
#define KP_DO_EXCLUSIVE 0x00000008u
#define KP_DO_DIRECT_IO 0x00000010u
#define KP_DO_DEVICE_INITIALIZING 0x00000080u

/** Stack location Control bits (SL_*). */
#define KP_SL_PENDING_RETURNED 0x01u
#define KP_SL_ERROR_RETURNED 0x02u
#define KP_SL_INVOKE_ON_CANCEL 0x20u
#define KP_SL_INVOKE_ON_SUCCESS 0x40u
#define KP_SL_INVOKE_ON_ERROR 0x80u

/** IRP Flags (IRP_*). */
#define KP_IRP_BUFFERED_IO 0x00000010u
#define KP_IRP_DEALLOCATE_BUFFER 0x00000020u
#define KP_IRP_INPUT_OPERATION 0x00000040u
#define KP_IRP_CREATE_OPERATION 0x00000080u
#define KP_IRP_READ_OPERATION 0x00000100u
#define KP_IRP_WRITE_OPERATION 0x00000200u
#define KP_IRP_CLOSE_OPERATION 0x00000400u

/** IOCTL transfer methods and access bits. */
#define KP_METHOD_BUFFERED 0u
#define KP_METHOD_IN_DIRECT 1u
#define KP_METHOD_OUT_DIRECT 2u
#define KP_METHOD_NEITHER 3u
#define KP_FILE_ANY_ACCESS 0u
#define KP_FILE_READ_ACCESS 1u
#define KP_FILE_WRITE_ACCESS 2u

/** Access rights a test opens a device with (FILE_READ_DATA ...). */
#define KP_FILE_READ_DATA 0x0001u
#define KP_FILE_WRITE_DATA 0x0002u
#define KP_GENERIC_READ 0x80000000u
#define KP_GENERIC_WRITE 0x40000000u
#define KP_GENERIC_ALL 0x10000000u

/** Bug checks of the I/O manager. */
#define KP_BUGCHECK_NO_MORE_IRP_STACK_LOCATIONS 0x00000035u
#define KP_BUGCHECK_MULTIPLE_IRP_COMPLETE_REQUESTS 0x00000044u
#define KP_BUGCHECK_CANCEL_STATE_IN_COMPLETED_IRP 0x00000048u
#define KP_BUGCHECK_DRIVER_VERIFIER_IOMANAGER_VIOLATION 0x000000C9u

/** NTSTATUS values of the I/O manager (facts §9; mingw ntstatus.h). */
#define KP_STATUS_INVALID_DEVICE_REQUEST ((kp_status_t)0xC0000010u)
#define KP_STATUS_MORE_PROCESSING_REQUIRED ((kp_status_t)0xC0000016u)
#define KP_STATUS_OBJECT_NAME_INVALID ((kp_status_t)0xC0000033u)
#define KP_STATUS_OBJECT_NAME_NOT_FOUND ((kp_status_t)0xC0000034u)
#define KP_STATUS_OBJECT_NAME_COLLISION ((kp_status_t)0xC0000035u)
#define KP_STATUS_OBJECT_PATH_SYNTAX_BAD ((kp_status_t)0xC000003Bu)
#define KP_STATUS_OBJECT_TYPE_MISMATCH ((kp_status_t)0xC0000024u)
#define KP_STATUS_DELETE_PENDING ((kp_status_t)0xC0000056u)
#define KP_STATUS_SHARING_VIOLATION ((kp_status_t)0xC0000043u)
#define KP_STATUS_DEVICE_BUSY ((kp_status_t)0x80000011u)

/** Pool tags of the I/O manager's blocks (kpool's choice, facts §3.5:
 *  "a recognisable tag"): device object + extension, IRP, METHOD_BUFFERED
 *  system buffer, file object, names. */
#define KP_IO_TAG_DEVICE KP_TAG('D', 'e', 'v', 'i')
#define KP_IO_TAG_IRP KP_TAG('I', 'r', 'p', ' ')
#define KP_IO_TAG_SYSTEM_BUFFER KP_TAG('I', 'o', 'S', 'b')
#define KP_IO_TAG_FILE KP_TAG('F', 'i', 'l', 'e')
#define KP_IO_TAG_NAME KP_TAG('I', 'o', 'N', 'm')

/* ---------------------------------------------------------------------------
 * Layout twins of the WDK structures (x64 offsets in the comments).
 * ------------------------------------------------------------------------- */
typedef struct kp_driver kp_driver_t;
typedef struct kp_device kp_device_t;
typedef struct kp_irp kp_irp_t;
typedef struct kp_file kp_file_t;

/* kp_ustring_t (UNICODE_STRING's twin) comes from rtl_string.h. */

/* kp_list_entry_t (LIST_ENTRY's twin) comes from interlocked.h. */

/** IO_STATUS_BLOCK (16 bytes). */
typedef struct kp_io_status {
  union {
    kp_status_t status;
    void *pointer;
  } u;
  uintptr_t information;
} kp_io_status_t;

typedef kp_status_t (*kp_driver_init_fn)(kp_driver_t *driver,
                                         kp_ustring_t *registry_path);
typedef void (*kp_driver_unload_fn)(kp_driver_t *driver);
typedef kp_status_t (*kp_dispatch_fn)(kp_device_t *device, kp_irp_t *irp);
typedef void (*kp_cancel_fn)(kp_device_t *device, kp_irp_t *irp);
typedef kp_status_t (*kp_completion_fn)(kp_device_t *device, kp_irp_t *irp,
                                        void *context);

/** IO_STACK_LOCATION (0x48 bytes). Parameters are viewed as four words;
 *  the face names them per request. */
typedef struct kp_io_stack {
  uint8_t major;                 /* 0x00 */
  uint8_t minor;                 /* 0x01 */
  uint8_t flags;                 /* 0x02 */
  uint8_t control;               /* 0x03 */
  uint32_t reserved0;            /* 0x04 */
  union {                        /* 0x08 */
    uintptr_t word[4];
    struct {
      void *security_context;
      uint32_t options;
      uint32_t pad0;
      uint16_t file_attributes;
      uint16_t share_access;
      uint32_t pad1;
      uint32_t ea_length;
      uint32_t pad2;
    } create;
    struct {
      uint32_t length;
      uint32_t pad0;
      uint32_t key;
      uint32_t flags;
      int64_t byte_offset;
    } rw;
    struct {
      uint32_t output_length;
      uint32_t pad0;
      uint32_t input_length;
      uint32_t pad1;
      uint32_t code;
      uint32_t pad2;
      void *type3_input;
    } ioctl;
  } parameters;
  kp_device_t *device;           /* 0x28 */
  kp_file_t *file;               /* 0x30 */
  kp_completion_fn completion;   /* 0x38 */
  void *context;                 /* 0x40 */
} kp_io_stack_t;

/** IRP header (0xD0 bytes); the stack locations follow it. */
struct kp_irp {
  int16_t type;                  /* 0x00 */
  uint16_t size;                 /* 0x02 */
  uint16_t allocation_processor; /* 0x04 */
  uint16_t reserved0;            /* 0x06 */
  void *mdl;                     /* 0x08 */
  uint32_t flags;                /* 0x10 */
  uint32_t reserved1;            /* 0x14 */
  union {                        /* 0x18 */
    kp_irp_t *master_irp;
    int32_t irp_count;
    void *system_buffer;
  } associated;
  kp_list_entry_t thread_list;   /* 0x20 */
  kp_io_status_t io_status;      /* 0x30 */
  int8_t requestor_mode;         /* 0x40 */
  uint8_t pending_returned;      /* 0x41 */
  int8_t stack_count;            /* 0x42 */
  int8_t current_location;       /* 0x43 */
  uint8_t cancel;                /* 0x44 */
  uint8_t cancel_irql;           /* 0x45 */
  int8_t apc_environment;        /* 0x46 */
  uint8_t allocation_flags;      /* 0x47 */
  kp_io_status_t *user_iosb;     /* 0x48 */
  void *user_event;              /* 0x50 */
  uint8_t overlay[16];           /* 0x58 */
  kp_cancel_fn cancel_routine;   /* 0x68, exchanged atomically */
  void *user_buffer;             /* 0x70 */
  union {                        /* 0x78 */
    struct {
      void *driver_context[4];   /* 0x78 (union with DeviceQueueEntry) */
      void *thread;              /* 0x98 */
      char *auxiliary_buffer;    /* 0xA0 */
      kp_list_entry_t list;      /* 0xA8 */
      kp_io_stack_t *current;    /* 0xB8 */
      kp_file_t *original_file;  /* 0xC0 */
    } overlay;
    uint8_t apc[0x58];
    void *completion_key;
  } tail;
};

/** DEVICE_OBJECT (0x150 bytes, 16-byte aligned); the extension follows. */
struct kp_device {
  int16_t type;                  /* 0x00 */
  uint16_t size;                 /* 0x02 */
  int32_t reference_count;       /* 0x04 */
  kp_driver_t *driver;           /* 0x08 */
  kp_device_t *next_device;      /* 0x10 */
  kp_device_t *attached_device;  /* 0x18 */
  kp_irp_t *current_irp;         /* 0x20 */
  void *timer;                   /* 0x28 */
  uint32_t flags;                /* 0x30 */
  uint32_t characteristics;      /* 0x34 */
  void *vpb;                     /* 0x38 */
  void *extension;               /* 0x40 */
  uint32_t device_type;          /* 0x48 */
  int8_t stack_size;             /* 0x4C */
  uint8_t reserved0[3];          /* 0x4D */
  uint8_t queue[0x48];           /* 0x50 */
  uint32_t alignment;            /* 0x98 */
  uint32_t reserved1;            /* 0x9C */
  uint8_t device_queue[0x28];    /* 0xA0 */
  uint8_t dpc[0x40];             /* 0xC8 */
  uint32_t active_thread_count;  /* 0x108 */
  uint32_t reserved2;            /* 0x10C */
  void *security_descriptor;     /* 0x110 */
  uint8_t device_lock[0x18];     /* 0x118 */
  uint16_t sector_size;          /* 0x130 */
  uint16_t spare1;               /* 0x132 */
  uint32_t reserved3;            /* 0x134 */
  void *device_object_extension; /* 0x138 */
  void *reserved4;               /* 0x140 */
  void *reserved5;               /* 0x148: padding to 0x150 */
};

/** DRIVER_EXTENSION (0x28 bytes). */
typedef struct kp_driver_ext {
  kp_driver_t *driver;           /* 0x00 */
  void *add_device;              /* 0x08 */
  uint32_t count;                /* 0x10 */
  uint32_t reserved0;            /* 0x14 */
  kp_ustring_t service_key_name; /* 0x18 */
} kp_driver_ext_t;

/** DRIVER_OBJECT (0x150 bytes). */
struct kp_driver {
  int16_t type;                  /* 0x00 */
  int16_t size;                  /* 0x02 */
  uint32_t reserved0;            /* 0x04 */
  kp_device_t *device;           /* 0x08 */
  uint32_t flags;                /* 0x10 */
  uint32_t reserved1;            /* 0x14 */
  void *driver_start;            /* 0x18 */
  uint32_t driver_size;          /* 0x20 */
  uint32_t reserved2;            /* 0x24 */
  void *driver_section;          /* 0x28 */
  kp_driver_ext_t *extension;    /* 0x30 */
  kp_ustring_t driver_name;      /* 0x38 */
  kp_ustring_t *hardware_database; /* 0x48 */
  void *fast_io_dispatch;        /* 0x50 */
  kp_driver_init_fn driver_init; /* 0x58 */
  void *driver_start_io;         /* 0x60 */
  kp_driver_unload_fn driver_unload; /* 0x68 */
  kp_dispatch_fn major_function[KP_IRP_MJ_COUNT]; /* 0x70 */
};

/** FILE_OBJECT (0xD8 bytes), the fields the core uses. */
struct kp_file {
  int16_t type;                  /* 0x00 */
  int16_t size;                  /* 0x02 */
  uint32_t reserved0;            /* 0x04 */
  kp_device_t *device;           /* 0x08 */
  void *vpb;                     /* 0x10 */
  void *fs_context;              /* 0x18 */
  void *fs_context2;             /* 0x20 */
  void *section_object_pointer;  /* 0x28 */
  void *private_cache_map;       /* 0x30 */
  kp_status_t final_status;      /* 0x38 */
  uint32_t reserved1;            /* 0x3C */
  kp_file_t *related_file;       /* 0x40 */
  uint8_t lock_operation;        /* 0x48 */
  uint8_t delete_pending;        /* 0x49 */
  uint8_t read_access;           /* 0x4A */
  uint8_t write_access;          /* 0x4B */
  uint8_t delete_access;         /* 0x4C */
  uint8_t shared_read;           /* 0x4D */
  uint8_t shared_write;          /* 0x4E */
  uint8_t shared_delete;         /* 0x4F */
  uint32_t flags;                /* 0x50 */
  uint32_t reserved2;            /* 0x54 */
  kp_ustring_t file_name;        /* 0x58 */
  int64_t current_byte_offset;   /* 0x68 */
  uint32_t waiters;              /* 0x70 */
  uint32_t busy;                 /* 0x74 */
  void *last_lock;               /* 0x78 */
  uint8_t lock[0x18];            /* 0x80 */
  uint8_t event[0x18];           /* 0x98 */
  void *completion_context;      /* 0xB0 */
  uintptr_t irp_list_lock;       /* 0xB8 */
  kp_list_entry_t irp_list;      /* 0xC0 */
  void *file_object_extension;   /* 0xD0 */
};

/* ---------------------------------------------------------------------------
 * Drivers (facts §1).
 * ------------------------------------------------------------------------- */

/**
 * Loads a driver: builds its driver object and calls @p entry
 * (DriverEntry) at PASSIVE_LEVEL with it and the RegistryPath
 * `\Registry\Machine\System\CurrentControlSet\Services\<name>`.
 * @param name   service name, ASCII, 1..63 characters, no backslash.
 * @param driver receives the driver object on success, NULL on failure.
 * @return DriverEntry's status; STATUS_INVALID_PARAMETER for bad
 *         arguments, STATUS_OBJECT_NAME_COLLISION when a driver of that
 *         name is loaded, STATUS_INSUFFICIENT_RESOURCES. When DriverEntry
 *         fails (NT_SUCCESS false) the driver object is deleted and Unload
 *         is not called; device objects and links it did not delete are
 *         reported by the unload check (they stay, as on Windows).
 * Call at PASSIVE_LEVEL.
 */
KP_API kp_status_t kp_driver_load(kp_system_t *sys, const char *name,
                                  kp_driver_init_fn entry,
                                  kp_driver_t **driver);

/**
 * Unloads a driver as the I/O manager does (facts §1.7): refuses with
 * STATUS_DEVICE_BUSY (nothing called) while a handle to one of its
 * devices is open; otherwise calls DriverUnload at PASSIVE_LEVEL and
 * marks the driver unloaded. When this was the last loaded driver, runs
 * the one-pass unload report, kp_driver_unload(): pool leaks (0xC4/0x62)
 * and every module's checks, including the I/O manager's: device objects
 * and symbolic links not deleted, IRPs still owned by an unloaded driver
 * (0xCE, P1 = the driver routine the IRP would call, P3 = the same, with
 * verifier checks; reported otherwise), devices still attached.
 * A driver with no Unload routine cannot unload: STATUS_INVALID_DEVICE_REQUEST
 * (Driver Verifier fails such drivers, facts §1.2).
 * @return STATUS_SUCCESS when everything was clean, STATUS_UNSUCCESSFUL
 *         when a check found something (the report says what).
 */
KP_API kp_status_t kp_io_unload(kp_system_t *sys, kp_driver_t *driver);

/** The driver loaded under @p name, or NULL. */
KP_API kp_driver_t *kp_driver_find(kp_system_t *sys, const char *name);

/** Number of leftovers (devices, links, IRPs, registry handles,
 *  callbacks) the last unload check reported; 0 when clean. */
KP_API uint32_t kp_io_unload_findings(kp_system_t *sys);

/* ---------------------------------------------------------------------------
 * Devices and names (facts §2). Names are UTF-16 code units with a length
 * in characters; comparisons are case-insensitive for ASCII letters.
 * ------------------------------------------------------------------------- */

/**
 * IoCreateDevice. The object and its extension (@p ext_size bytes,
 * zeroed, directly after the object; NULL when 0) are one non-paged pool
 * block tagged 'Devi'. The new device has Type 3, Size 0x150 + ext_size,
 * StackSize 1, AlignmentRequirement 63 (cache line - 1), Flags
 * DO_DEVICE_INITIALIZING (| DO_EXCLUSIVE when @p exclusive), and is
 * inserted at the head of the driver's device list.
 * @return STATUS_SUCCESS; STATUS_OBJECT_NAME_COLLISION when the name
 *         exists; STATUS_OBJECT_PATH_SYNTAX_BAD for a name not starting
 *         with '\'; STATUS_OBJECT_NAME_INVALID for an empty component;
 *         STATUS_INSUFFICIENT_RESOURCES; STATUS_INVALID_PARAMETER for an
 *         unknown driver. *@p device is NULL on failure.
 * IRQL <= APC_LEVEL (facts §2.1).
 */
KP_API kp_status_t kp_io_create_device(kp_system_t *sys, kp_driver_t *driver,
                                       uint32_t ext_size,
                                       const uint16_t *name, size_t name_len,
                                       uint32_t device_type,
                                       uint32_t characteristics,
                                       bool exclusive, kp_device_t **device);

/**
 * IoDeleteDevice. Removes the name, unlinks the device from its driver and
 * frees it once no file object references it (delete pending until then).
 * @bugcheck 0xC9, P1 = 0x240, P2 = caller, P3 = @p device: deleted twice
 *           (or not a device object); 0xC9, P1 = 0x201: a device is still
 *           attached below it (IoDetachDevice missing), with I/O verification.
 */
KP_API void kp_io_delete_device(kp_system_t *sys, kp_device_t *device,
                                kp_site_t site);

/**
 * IoCreateSymbolicLink: @p link names @p target (a device name or another
 * link). STATUS_OBJECT_NAME_COLLISION when @p link exists;
 * STATUS_OBJECT_PATH_SYNTAX_BAD for a name without a leading '\'.
 * @p driver (may be NULL) is recorded as the owner for the unload report.
 */
KP_API kp_status_t kp_io_create_link(kp_system_t *sys, kp_driver_t *driver,
                                     const uint16_t *link, size_t link_len,
                                     const uint16_t *target,
                                     size_t target_len);

/** IoDeleteSymbolicLink: STATUS_OBJECT_NAME_NOT_FOUND when absent. */
KP_API kp_status_t kp_io_delete_link(kp_system_t *sys, const uint16_t *link,
                                     size_t link_len);

/**
 * Resolves a name (following symbolic links) to the named device object,
 * not the top of its stack. NULL when absent.
 */
KP_API kp_device_t *kp_io_lookup_device(kp_system_t *sys,
                                        const uint16_t *name,
                                        size_t name_len);

/**
 * IoAttachDeviceToDeviceStack: attaches @p source on top of the highest
 * device of @p target's stack; sets source's StackSize to lower + 1 and
 * its AlignmentRequirement to the lower one's. Returns the device
 * attached to, or NULL when the top is still initializing or is being
 * deleted, or @p source is already attached.
 */
KP_API kp_device_t *kp_io_attach(kp_system_t *sys, kp_device_t *source,
                                 kp_device_t *target);

/**
 * IoDetachDevice(@p lower): detaches whatever is attached on top of
 * @p lower. @bugcheck 0xC9, P1 = 0x202, P2 = caller, P3 = @p lower when
 * nothing is attached (double detach).
 */
KP_API void kp_io_detach(kp_system_t *sys, kp_device_t *lower,
                         kp_site_t site);

/** The top of @p device's stack (IoGetAttachedDevice). */
KP_API kp_device_t *kp_io_top_device(kp_system_t *sys, kp_device_t *device);

/** Device references (ObReferenceObject on a device object); a device
 *  with references is not freed by kp_io_delete_device until the last
 *  one goes. */
KP_API void kp_io_device_reference(kp_system_t *sys, kp_device_t *device);
KP_API void kp_io_device_dereference(kp_system_t *sys, kp_device_t *device);

/** True when @p p is a live device object of @p sys. */
KP_API bool kp_io_is_device(kp_system_t *sys, const void *p);

/* ---------------------------------------------------------------------------
 * IRPs (facts §3).
 * ------------------------------------------------------------------------- */

/** Size of an IRP with @p stack_size locations: 0xD0 + n * 0x48. */
static inline size_t kp_irp_size(int stack_size) {
  return sizeof(kp_irp_t) + (size_t)stack_size * sizeof(kp_io_stack_t);
}

/** The current stack location. */
static inline kp_io_stack_t *kp_irp_current(kp_irp_t *irp) {
  return irp->tail.overlay.current;
}

/** The next-lower location (where the caller sets up the request). */
static inline kp_io_stack_t *kp_irp_next(kp_irp_t *irp) {
  return irp->tail.overlay.current - 1;
}

/**
 * IoAllocateIrp: a zeroed IRP from non-paged pool (tag 'Irp ') with
 * @p stack_size locations (1..127), CurrentLocation = stack_size + 1.
 * NULL for a bad size or when the pool is exhausted.
 */
KP_API kp_irp_t *kp_irp_alloc(kp_system_t *sys, int stack_size,
                              kp_site_t site);

/**
 * IoFreeIrp. @bugcheck 0xC9, P1 = 0x01 when @p irp is not an IRP;
 * 0xC9, P1 = 0x20A, P3 = @p irp when it is still in use (sent to a driver
 * and neither completed nor taken back by a completion routine);
 * 0xC9, P1 = 0x20C for an IRP of a user request (the I/O manager frees it).
 */
KP_API void kp_irp_free(kp_system_t *sys, kp_irp_t *irp, kp_site_t site);

/**
 * IoReuseIrp: reinitialises @p irp (keeping its allocation) with
 * IoStatus.Status = @p status.
 */
KP_API void kp_irp_reuse(kp_system_t *sys, kp_irp_t *irp, kp_status_t status);

/**
 * IofCallDriver: moves @p irp to the next stack location, stores @p device
 * there, and calls the driver's dispatch routine for that location's
 * major function; returns its status.
 * @bugcheck
 * - 0x35, P1 = @p irp: no stack location left.
 * - 0xC9 (with I/O verification): 0x03 not an IRP; 0x04 not a device;
 *   0x10 called above DISPATCH_LEVEL (P2 = IRQL); 0x203 cancel routine
 *   still set; 0x05 / 0x12 the dispatch routine returned at another
 *   IRQL (P2 = device or routine, P3 = IRQL before, P4 = after);
 *   0x23D STATUS_PENDING returned without IoMarkIrpPending (P4 = status);
 *   0x23E marked pending but returned another status (P4 = status);
 *   0x224 returned a status different from IoStatus.Status after
 *   completing (P3 = IRP, P4 = IoStatus.Status);
 *   0x226 returned without completing, passing down, or pending.
 */
KP_API kp_status_t kp_irp_call(kp_system_t *sys, kp_device_t *device,
                               kp_irp_t *irp, kp_site_t site);

/**
 * IofCompleteRequest: runs the completion routines from the current
 * location up (facts §3.6), propagates PendingReturned, stops when one
 * returns STATUS_MORE_PROCESSING_REQUIRED, and finishes the request at the
 * top (user requests: copy back, status to the caller, free).
 * @bugcheck
 * - 0x44, P1 = @p irp: already completed.
 * - 0xC9 with I/O verification: 0x06 status STATUS_PENDING or -1
 *   (P2 = status, P3 = IRP); 0x07 cancel routine still set (P2 = routine,
 *   P3 = IRP); 0x0E IRQL above DISPATCH_LEVEL (P2 = IRQL, P3 = IRP);
 *   0x312 Information larger than the METHOD_BUFFERED output length.
 */
KP_API void kp_irp_complete(kp_system_t *sys, kp_irp_t *irp, int8_t boost,
                            kp_site_t site);

/**
 * IoCancelIrp: sets Cancel, takes the cancel routine (atomic exchange with
 * NULL) and, if there was one, calls it with the cancel spin lock held at
 * DISPATCH_LEVEL (Irp->CancelIrql = the IRQL to restore). Returns true
 * when a routine was called.
 * @bugcheck 0x48, P1 = @p irp, P2 = the routine: the IRP was completed
 * with a cancel routine still set and is now cancelled.
 */
KP_API bool kp_irp_cancel(kp_system_t *sys, kp_irp_t *irp);

/**
 * IoSetCompletionRoutineEx: like setting the next location's completion
 * routine, through a small non-paged block (tag 'IoCx') that lives until
 * the routine runs; an IRP set up this way must be sent, or the block is
 * reported as a leak at unload. @p flags are KP_SL_INVOKE_ON_*.
 * STATUS_SUCCESS or STATUS_INSUFFICIENT_RESOURCES.
 */
KP_API kp_status_t kp_irp_set_completion_ex(kp_system_t *sys,
                                            kp_device_t *device,
                                            kp_irp_t *irp,
                                            kp_completion_fn routine,
                                            void *context, uint8_t flags);

/**
 * IoInitializeIrp. On an IRP kpool handed out (IoAllocateIrp, a request)
 * it is Driver Verifier's 0xC9, P1 = 0x20D, P2 = caller, P3 = @p irp.
 * On driver memory the IRP is initialised (header, empty stack) but kpool
 * does not track it, so sending it is 0xC9/0x03: IRPs a driver carves
 * from its own pool are not simulated (docs/driver-model.md).
 */
KP_API void kp_irp_initialize(kp_system_t *sys, kp_irp_t *irp, uint16_t size,
                              int stack_size, kp_site_t site);

/** IoAcquireCancelSpinLock / IoReleaseCancelSpinLock. */
KP_API kp_irql_t kp_io_cancel_lock(kp_system_t *sys);
KP_API void kp_io_cancel_unlock(kp_system_t *sys, kp_irql_t irql);

/**
 * IoBuildDeviceIoControlRequest / IoBuildSynchronousFsdRequest: an IRP
 * for @p device's stack (StackSize locations) with the next location set
 * up, RequestorMode KernelMode, buffers placed per method (§3.5). The I/O
 * manager frees it when it completes, after copying the status to
 * @p iosb and (METHOD_BUFFERED) the output bytes, and signalling @p event
 * (a KEVENT, kpool/dispatch.h) with KeSetEvent. NULL on a bad argument or
 * no memory; a buffer that is not valid system memory for a direct method
 * is also 0xC9, P1 = 0x09 (ioctl) / 0x08 (fsd), P2 = device, P3 = code or
 * major, P4 = STATUS_ACCESS_VIOLATION, with I/O verification.
 */
KP_API kp_irp_t *kp_irp_build_ioctl(kp_system_t *sys, uint32_t code,
                                    kp_device_t *device, void *in,
                                    uint32_t in_len, void *out,
                                    uint32_t out_len, bool internal,
                                    void *event, kp_io_status_t *iosb);
KP_API kp_irp_t *kp_irp_build_fsd(kp_system_t *sys, uint32_t major,
                                  kp_device_t *device, void *buffer,
                                  uint32_t length, const int64_t *offset,
                                  void *event, kp_io_status_t *iosb);

/** Replaces how a built IRP's UserEvent is signalled at completion
 *  (default: the dispatcher's KeSetEvent); NULL restores the default. */
typedef void (*kp_io_event_fn)(void *event);
KP_API void kp_io_set_event_signal(kp_system_t *sys, kp_io_event_fn fn);

/**
 * IoGetDeviceObjectPointer: opens @p name as a kernel caller (CREATE, then
 * at once CLEANUP, as the handle is closed) and returns the top of the
 * device's stack and the referenced file object. kp_io_file_dereference
 * (ObDereferenceObject) of the last reference sends the CLOSE.
 * STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_NAME_INVALID,
 * STATUS_INVALID_PARAMETER, or the CREATE's failure status.
 */
KP_API kp_status_t kp_io_get_device_pointer(kp_system_t *sys,
                                            const uint16_t *name,
                                            size_t name_len, uint32_t access,
                                            kp_file_t **file,
                                            kp_device_t **device);

/** References to a file object kpool made (ObReferenceObject /
 *  ObDereferenceObject); false when @p file is not one. The last
 *  dereference sends IRP_MJ_CLOSE (at PASSIVE_LEVEL; deferred otherwise). */
KP_API bool kp_io_file_reference(kp_system_t *sys, kp_file_t *file);
KP_API bool kp_io_file_dereference(kp_system_t *sys, kp_file_t *file);

/* ---------------------------------------------------------------------------
 * Cancel-safe IRP queues (IoCsq*, facts §3.10). The driver supplies the
 * queue and its lock through six callbacks; kpool supplies the cancel
 * routine. Layout twins of IO_CSQ (64 bytes) and IO_CSQ_IRP_CONTEXT (24).
 * ------------------------------------------------------------------------- */
#define KP_IO_TYPE_CSQ_IRP_CONTEXT 1u
#define KP_IO_TYPE_CSQ 2u
#define KP_IO_TYPE_CSQ_EX 3u

typedef struct kp_csq kp_csq_t;
typedef void (*kp_csq_insert_fn)(kp_csq_t *csq, kp_irp_t *irp);
typedef kp_status_t (*kp_csq_insert_ex_fn)(kp_csq_t *csq, kp_irp_t *irp,
                                           void *insert_context);
typedef void (*kp_csq_remove_fn)(kp_csq_t *csq, kp_irp_t *irp);
typedef kp_irp_t *(*kp_csq_peek_fn)(kp_csq_t *csq, kp_irp_t *irp,
                                    void *peek_context);
typedef void (*kp_csq_acquire_fn)(kp_csq_t *csq, kp_irql_t *irql);
typedef void (*kp_csq_release_fn)(kp_csq_t *csq, kp_irql_t irql);
typedef void (*kp_csq_complete_fn)(kp_csq_t *csq, kp_irp_t *irp);

struct kp_csq {
  uint32_t type;                 /* KP_IO_TYPE_CSQ or _CSQ_EX */
  uint32_t reserved0;
  union {
    kp_csq_insert_fn plain;      /* KP_IO_TYPE_CSQ */
    kp_csq_insert_ex_fn ex;      /* KP_IO_TYPE_CSQ_EX */
  } insert;
  kp_csq_remove_fn remove;
  kp_csq_peek_fn peek;
  kp_csq_acquire_fn acquire;
  kp_csq_release_fn release;
  kp_csq_complete_fn complete_canceled;
  void *reserve;
};

typedef struct kp_csq_irp_context {
  uint32_t type;                 /* KP_IO_TYPE_CSQ_IRP_CONTEXT */
  uint32_t reserved0;
  kp_irp_t *irp;
  kp_csq_t *csq;
} kp_csq_irp_context_t;

/** IoCsqInitialize(Ex): fills @p csq; @p insert is a kp_csq_insert_fn
 *  (KP_IO_TYPE_CSQ) or a kp_csq_insert_ex_fn (KP_IO_TYPE_CSQ_EX), passed
 *  as a generic function pointer. STATUS_INVALID_PARAMETER when a
 *  callback is NULL or @p type is neither. */
KP_API kp_status_t kp_csq_initialize(kp_csq_t *csq, uint32_t type,
                                     void (*insert)(void),
                                     kp_csq_remove_fn remove,
                                     kp_csq_peek_fn peek,
                                     kp_csq_acquire_fn acquire,
                                     kp_csq_release_fn release,
                                     kp_csq_complete_fn complete_canceled);

/**
 * IoCsqInsertIrp(Ex): under the queue lock, inserts @p irp (the Ex
 * callback may refuse: its status is returned and nothing else happens),
 * marks it pending and makes it cancelable (the IRP's DriverContext[3]
 * holds @p context or @p csq). If the IRP was already cancelled, it is
 * taken out again and CompleteCanceledIrp runs (after the lock is
 * released). Returns STATUS_SUCCESS or the Ex callback's status.
 */
KP_API kp_status_t kp_csq_insert(kp_system_t *sys, kp_csq_t *csq, kp_irp_t *irp,
                                 kp_csq_irp_context_t *context,
                                 void *insert_context);

/** IoCsqRemoveNextIrp: the first queued IRP PeekNextIrp offers that is not
 *  being cancelled, removed and no longer cancelable; NULL if none. */
KP_API kp_irp_t *kp_csq_remove_next(kp_system_t *sys, kp_csq_t *csq,
                                    void *peek_context);

/** IoCsqRemoveIrp: the IRP @p context describes, removed; NULL when it
 *  has been cancelled (or was already removed). */
KP_API kp_irp_t *kp_csq_remove(kp_system_t *sys, kp_csq_t *csq,
                               kp_csq_irp_context_t *context);

/* ---------------------------------------------------------------------------
 * Requests from the test, as a user-mode caller (facts §3.4, §3.5).
 * ------------------------------------------------------------------------- */
typedef struct kp_io_handle kp_io_handle_t;
typedef struct kp_io_request kp_io_request_t;

/**
 * CreateFile on a device name (`\Device\X`, `\DosDevices\X`, `\??\X`, or
 * `\\.\X`): sends IRP_MJ_CREATE to the top of the device's stack with a
 * new file object; returns the final status. @p access is the desired
 * access (KP_FILE_READ_DATA | KP_FILE_WRITE_DATA, or GENERIC_*).
 * STATUS_OBJECT_NAME_NOT_FOUND for an unknown name; STATUS_ACCESS_DENIED
 * when the device is exclusive and already open; STATUS_DELETE_PENDING
 * for a device being deleted.
 */
KP_API kp_status_t kp_io_open(kp_system_t *sys, const char *name,
                              uint32_t access, kp_io_handle_t **handle);

/**
 * CloseHandle: IRP_MJ_CLEANUP, then IRP_MJ_CLOSE (when no request is
 * outstanding on the file object, else when the last one finishes).
 * Returns STATUS_SUCCESS whatever the driver's CLEANUP returned, as
 * CloseHandle does; STATUS_INVALID_HANDLE for NULL or a handle closed
 * already. @p handle is gone afterwards (kpool frees it when the CLOSE
 * has been sent).
 */
KP_API kp_status_t kp_io_close(kp_io_handle_t *handle);

/** The file object of @p handle (its FsContext is the driver's). */
KP_API kp_file_t *kp_io_handle_file(kp_io_handle_t *handle);

/** One request: what DeviceIoControl / ReadFile / WriteFile take. */
typedef struct kp_io_op {
  uint32_t major;        /**< KP_IRP_MJ_READ, _WRITE, _DEVICE_CONTROL, _FLUSH_BUFFERS */
  uint32_t code;         /**< IOCTL code (device control) */
  const void *in;        /**< input buffer (write data, IOCTL input) */
  uint32_t in_len;
  void *out;             /**< output buffer (read data, IOCTL output) */
  uint32_t out_len;
  int64_t offset;        /**< read/write byte offset */
} kp_io_op_t;

/**
 * Sends @p op on @p handle. Buffers as the I/O manager places them: READ
 * and WRITE by the device's DO_BUFFERED_IO / DO_DIRECT_IO, IOCTLs by the
 * code's method: METHOD_BUFFERED copies the input into a non-paged system
 * buffer of max(in, out) bytes (tag 'IoSb', so special pool guards its
 * end) and copies Information bytes back when the status is not an error;
 * IN/OUT_DIRECT copy the input and describe the output buffer with an MDL
 * (tag 'Mdl ', kpool/mdl.h) probed and locked in UserMode, for read
 * (IN_DIRECT, DO_DIRECT_IO writes) or write (OUT_DIRECT, reads): the
 * test's buffer is registered as a user buffer for the request's lifetime
 * (unless the test registered it already); a probe failure fails the
 * request with STATUS_ACCESS_VIOLATION without calling the driver; NEITHER passes the caller's addresses
 * (Type3InputBuffer, UserBuffer). The IOCTL's access bits are checked
 * against the handle's access first: STATUS_ACCESS_DENIED without calling
 * the driver.
 * @param request NULL to wait for the final status; otherwise receives a
 *        request to wait for (kp_io_wait) when the driver returned
 *        STATUS_PENDING, NULL when it completed at once.
 * @return the final status, or STATUS_PENDING with *@p request set.
 * @p information receives the final Information (may be NULL).
 */
KP_API kp_status_t kp_io_submit(kp_io_handle_t *handle, const kp_io_op_t *op,
                                uint64_t *information,
                                kp_io_request_t **request);

/**
 * Waits up to @p timeout_ms (UINT32_MAX: forever) of real time for a
 * pending request. Returns STATUS_TIMEOUT when it did not finish, else the
 * final status (then *@p information is set and the request is freed).
 */
KP_API kp_status_t kp_io_wait(kp_io_request_t *request, uint32_t timeout_ms,
                              uint64_t *information);

/** CancelIoEx on a pending request: IoCancelIrp on its IRP. Returns true
 *  when a cancel routine ran. */
KP_API bool kp_io_cancel(kp_io_request_t *request);

/** The IRP of a pending request (for tests that inspect it). */
KP_API kp_irp_t *kp_io_request_irp(kp_io_request_t *request);

/** Convenience wrappers over kp_io_submit that wait. */
KP_API kp_status_t kp_io_read(kp_io_handle_t *handle, void *buf, uint32_t len,
                              int64_t offset, uint64_t *information);
KP_API kp_status_t kp_io_write(kp_io_handle_t *handle, const void *buf,
                               uint32_t len, int64_t offset,
                               uint64_t *information);
KP_API kp_status_t kp_io_ioctl(kp_io_handle_t *handle, uint32_t code,
                               const void *in, uint32_t in_len, void *out,
                               uint32_t out_len, uint64_t *information);

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_IO_H */
