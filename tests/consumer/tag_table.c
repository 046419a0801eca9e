/* tag_table.c — see tag_table.h. */
#include "tag_table.h"

#include <string.h>

static ULONG TtFind(const TT_TABLE *Table, ULONG Key) {
  ULONG i;
  for (i = 0; i < TT_CAPACITY; i++)
    if (Table->Slots[i] != NULL && Table->Slots[i]->Key == Key) return i;
  return TT_CAPACITY;
}

NTSTATUS TtInsert(TT_TABLE *Table, ULONG Key, const void *Data, SIZE_T Length) {
  TT_ENTRY *entry;
  ULONG slot;
  if (Length == 0) return STATUS_INVALID_PARAMETER;
  slot = TtFind(Table, Key);
  if (slot == TT_CAPACITY) {
    for (slot = 0; slot < TT_CAPACITY && Table->Slots[slot] != NULL; slot++) {
    }
    if (slot == TT_CAPACITY) return STATUS_INSUFFICIENT_RESOURCES;
  }
  entry = (TT_ENTRY *)ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                      FIELD_OFFSET(TT_ENTRY, Data) + Length, TT_TAG);
  if (entry == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  entry->Key = Key;
  entry->Length = Length;
  memcpy(entry->Data, Data, Length);
  if (Table->Slots[slot] != NULL) ExFreePoolWithTag(Table->Slots[slot], TT_TAG);
  Table->Slots[slot] = entry;
  return STATUS_SUCCESS;
}

const TT_ENTRY *TtLookup(const TT_TABLE *Table, ULONG Key) {
  ULONG slot = TtFind(Table, Key);
  return slot == TT_CAPACITY ? NULL : Table->Slots[slot];
}

BOOLEAN TtRemove(TT_TABLE *Table, ULONG Key) {
  ULONG slot = TtFind(Table, Key);
  if (slot == TT_CAPACITY) return FALSE;
  ExFreePoolWithTag(Table->Slots[slot], TT_TAG);
  Table->Slots[slot] = NULL;
  return TRUE;
}

void TtClear(TT_TABLE *Table) {
  ULONG i;
  for (i = 0; i < TT_CAPACITY; i++) {
    if (Table->Slots[i] != NULL) ExFreePoolWithTag(Table->Slots[i], TT_TAG);
    Table->Slots[i] = NULL;
  }
}
