/*
 * fuzz_tag_table.c — a driver component's fuzz harness built with the
 * installed package's kpool_add_fuzzer(): a libFuzzer binary where the
 * compiler can, and always a corpus replay test. Each input is a script of
 * insert / lookup / remove operations on a fresh simulated system, checked
 * against a model; kp_driver_unload() at the end bug checks on any leak.
 */
#include <string.h>

#include <kpool/kpool.h>

#include "fuzz_helpers.h"
#include "tag_table.h"

static void quiet(const char *text, void *arg) {
  (void)text;
  (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_data_t d = fuzz_data_init(data, size);
  kp_config_t cfg;
  kp_config_init(&cfg);
  cfg.out = quiet;
  kp_system_t *sys = kp_system_create(&cfg);
  FUZZ_ASSERT(sys != NULL);
  kp_system_t *old = kp_system_set_current(sys);

  TT_TABLE table;
  memset(&table, 0, sizeof table);
  // The model: which keys (0..15) are present, and the first byte stored.
  int present[16] = {0};
  uint8_t first[16] = {0};
  int count = 0;

  for (int step = 0; step < 64 && !fuzz_data_empty(&d); step++) {
    uint8_t op = fuzz_u8(&d) % 3;
    ULONG key = (ULONG)fuzz_range(&d, 0, 15);
    if (op == 0) {
      size_t got = 0;
      const uint8_t *bytes = fuzz_bytes(&d, (size_t)fuzz_range(&d, 0, 64), &got);
      NTSTATUS st = TtInsert(&table, key, bytes, got);
      if (got == 0) {
        FUZZ_ASSERT(st == STATUS_INVALID_PARAMETER);
      } else if (!present[key] && count == TT_CAPACITY) {
        FUZZ_ASSERT(st == STATUS_INSUFFICIENT_RESOURCES);
      } else {
        FUZZ_ASSERT(st == STATUS_SUCCESS);
        if (!present[key]) count++;
        present[key] = 1;
        first[key] = bytes[0];
      }
    } else if (op == 1) {
      const TT_ENTRY *e = TtLookup(&table, key);
      FUZZ_ASSERT((e != NULL) == (present[key] != 0));
      if (e != NULL) FUZZ_ASSERT(e->Data[0] == first[key]);
    } else {
      FUZZ_ASSERT(TtRemove(&table, key) == (present[key] != 0));
      if (present[key]) count--;
      present[key] = 0;
    }
  }
  TtClear(&table);
  FUZZ_ASSERT(kp_driver_unload(sys) == STATUS_SUCCESS);
  kp_system_set_current(old);
  kp_system_destroy(sys);
  return 0;
}
