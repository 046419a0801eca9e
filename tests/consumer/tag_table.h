/*
 * tag_table.h — a tiny "driver component" for the consumer project: a
 * fixed-capacity table of named entries in non-paged pool, written against
 * <ntddk.h> only, as a driver's code would be. Its CMocka test
 * (test_tag_table.c, kpool_add_test) and its fuzz harness
 * (fuzz_tag_table.c, kpool_add_fuzzer) show the installed helpers.
 */
#ifndef KPOOL_CONSUMER_TAG_TABLE_H
#define KPOOL_CONSUMER_TAG_TABLE_H

#include <ntddk.h>

#define TT_TAG 'bTtT'
#define TT_CAPACITY 8

typedef struct TT_ENTRY {
  ULONG Key;
  SIZE_T Length;
  UCHAR Data[1]; /* Length bytes */
} TT_ENTRY;

typedef struct TT_TABLE {
  TT_ENTRY *Slots[TT_CAPACITY];
} TT_TABLE;

/* Stores a copy of Data under Key (replacing an older one).
 * STATUS_INVALID_PARAMETER for Length 0, STATUS_INSUFFICIENT_RESOURCES when
 * the pool is exhausted or the table is full. */
NTSTATUS TtInsert(TT_TABLE *Table, ULONG Key, const void *Data, SIZE_T Length);
/* The entry for Key, or NULL. */
const TT_ENTRY *TtLookup(const TT_TABLE *Table, ULONG Key);
/* Frees the entry for Key; FALSE when there is none. */
BOOLEAN TtRemove(TT_TABLE *Table, ULONG Key);
/* Frees every entry. */
void TtClear(TT_TABLE *Table);

#endif
