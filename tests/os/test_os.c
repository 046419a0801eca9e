/*
 * test_os.c — the host layer's promises (src/os/kp_os.h) that differ
 * between Linux and macOS, x86-64 and arm64:
 * - kpi_os_discard: discarded pages read back as zero;
 * - the fault handler tells a read from a write (the P2 of 0xD5, 0xD6,
 *   0xBE and 0xD1 depends on it) on Linux and macOS, x86-64 and arm64;
 * - the arm64 syndrome decoding and the Linux arm64 signal-frame walk,
 *   which are plain arithmetic and so checked on every host.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "kp_os.h"

/* The hosts whose signal context says read or write (os_fault_is_write). */
#if (defined(__linux__) || defined(__APPLE__)) && (defined(__x86_64__) || defined(__aarch64__))
#define TO_KNOWS_DIRECTION 1
#endif

static void test_discarded_pages_read_zero(void **state) {
  (void)state;
  size_t page = kpi_os_page_size();
  size_t size = 4 * page;
  unsigned char *p = kpi_os_reserve(size, page);
  assert_non_null(p);
  for (int round = 0; round < 3; round++) {
    assert_int_equal(kpi_os_protect(p, size, KPI_PROT_READWRITE), KP_STATUS_SUCCESS);
    for (size_t i = 0; i < size; i++) assert_int_equal(p[i], 0);
    memset(p, 0xA5 + round, size);
    assert_int_equal(kpi_os_protect(p, size, KPI_PROT_NONE), KP_STATUS_SUCCESS);
    kpi_os_discard(p, size);
  }
  // A part of a range: the rest keeps its contents.
  assert_int_equal(kpi_os_protect(p, size, KPI_PROT_READWRITE), KP_STATUS_SUCCESS);
  memset(p, 0x5A, size);
  assert_int_equal(kpi_os_protect(p + page, page, KPI_PROT_NONE), KP_STATUS_SUCCESS);
  kpi_os_discard(p + page, page);
  assert_int_equal(kpi_os_protect(p + page, page, KPI_PROT_READWRITE), KP_STATUS_SUCCESS);
  for (size_t i = 0; i < size; i++)
    assert_int_equal(p[i], (i >= page && i < 2 * page) ? 0 : 0x5A);
  kpi_os_release(p, size);
}

static void test_esr_decoding(void **state) {
  (void)state;
  const uint64_t dabt_lower = UINT64_C(0x24) << 26, dabt_same = UINT64_C(0x25) << 26;
  const uint64_t wnr = UINT64_C(1) << 6, il = UINT64_C(1) << 25;
  assert_int_equal(kpi_os_esr_access(dabt_lower | il | 0x0F), 0);       // read, permission fault
  assert_int_equal(kpi_os_esr_access(dabt_lower | il | wnr | 0x0F), 1); // write
  assert_int_equal(kpi_os_esr_access(dabt_same | il | wnr | 0x07), 1);
  assert_int_equal(kpi_os_esr_access(dabt_same | 0x07), 0);
  // Not a data abort: an instruction abort (0x20) or an SVC (0x15), even
  // with bit 6 set, says nothing about a data access.
  assert_int_equal(kpi_os_esr_access((UINT64_C(0x20) << 26) | wnr), -1);
  assert_int_equal(kpi_os_esr_access((UINT64_C(0x15) << 26) | wnr), -1);
  assert_int_equal(kpi_os_esr_access(0), -1);
}

/* Appends a record (magic, size, payload) to a frame under construction. */
static size_t put_record(unsigned char *area, size_t off, uint32_t magic, uint32_t size,
                         uint64_t payload) {
  memcpy(area + off, &magic, 4);
  memcpy(area + off + 4, &size, 4);
  if (size >= 16) memcpy(area + off + 8, &payload, 8);
  return off + size;
}

static void test_linux_arm64_frame_walk(void **state) {
  (void)state;
  _Alignas(16) unsigned char area[4096];
  uint64_t esr = 0;
  const uint64_t want = (UINT64_C(0x24) << 26) | (UINT64_C(1) << 6) | 0x0F;

  // FPSIMD record (0x46508001, 528 bytes) first, then ESR, then the end.
  memset(area, 0, sizeof area);
  size_t off = put_record(area, 0, 0x46508001u, 528, 0);
  off = put_record(area, off, 0x45535201u, 16, want);
  (void)put_record(area, off, 0, 0, 0);
  assert_true(kpi_os_find_esr(area, sizeof area, &esr));
  assert_true(esr == want);
  assert_int_equal(kpi_os_esr_access(esr), 1);

  // No ESR record (the kernel adds one only for faults): not found.
  memset(area, 0, sizeof area);
  off = put_record(area, 0, 0x46508001u, 528, 0);
  (void)put_record(area, off, 0, 0, 0);
  assert_false(kpi_os_find_esr(area, sizeof area, &esr));

  // Malformed lists end the walk instead of running off the area.
  memset(area, 0, sizeof area);
  (void)put_record(area, 0, 0x46508001u, 4, 0); // size below a header
  assert_false(kpi_os_find_esr(area, sizeof area, &esr));
  (void)put_record(area, 0, 0x46508001u, 8192, 0); // past the end
  assert_false(kpi_os_find_esr(area, sizeof area, &esr));
  (void)put_record(area, 0, 0x45535201u, 8, 0); // ESR record without its value
  assert_false(kpi_os_find_esr(area, sizeof area, &esr));
}

/* The fault callback: records the direction, opens the page and retries. */
static unsigned char *to_page;
static size_t to_page_size;
static volatile int to_faults;
static volatile int to_write;

static bool to_fault(void *addr, int write, void *arg) {
  (void)arg;
  unsigned char *a = (unsigned char *)addr;
  if (a < to_page || a >= to_page + to_page_size) return false;
  to_faults++;
  to_write = write;
  (void)kpi_os_protect(to_page, to_page_size, KPI_PROT_READWRITE);
  return true;
}

static void test_fault_direction(void **state) {
  (void)state;
  to_page_size = kpi_os_page_size();
  to_page = kpi_os_reserve(to_page_size, to_page_size);
  assert_non_null(to_page);
  assert_true(kpi_os_fault_register(to_fault, NULL));
  kpi_os_fault_rearm(); // CMocka installs its own handler around each test

  // A read of an inaccessible page.
  to_faults = 0;
  to_write = -2;
  unsigned char v = ((volatile unsigned char *)to_page)[100];
  assert_int_equal(v, 0);
  assert_int_equal(to_faults, 1);
  int read_seen = to_write;

  // A write to a read-only page.
  assert_int_equal(kpi_os_protect(to_page, to_page_size, KPI_PROT_READ), KP_STATUS_SUCCESS);
  to_faults = 0;
  to_write = -2;
  ((volatile unsigned char *)to_page)[200] = 7;
  assert_int_equal(to_faults, 1);
  assert_int_equal(to_page[200], 7);
  int write_seen = to_write;

  kpi_os_fault_unregister(to_fault, NULL);
  kpi_os_release(to_page, to_page_size);
#if defined(TO_KNOWS_DIRECTION)
  assert_int_equal(read_seen, 0);
  assert_int_equal(write_seen, 1);
#else
  // Other hosts report "unknown", never a wrong direction.
  assert_int_equal(read_seen, -1);
  assert_int_equal(write_seen, -1);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_discarded_pages_read_zero),
      cmocka_unit_test(test_esr_decoding),
      cmocka_unit_test(test_linux_arm64_frame_walk),
      cmocka_unit_test(test_fault_direction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
