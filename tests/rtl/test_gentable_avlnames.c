/*
 * test_gentable_avlnames.c — a driver compiled with RTL_USE_AVL_TABLES:
 * the splay names (RTL_GENERIC_TABLE, RtlInsertElementGenericTable, ...)
 * must mean the AVL ones. Linked into test_gentable.
 */
#define RTL_USE_AVL_TABLES
#include <ntddk.h>

int kpt_avl_names_run(void);

static RTL_GENERIC_COMPARE_ROUTINE names_compare;
static RTL_GENERIC_ALLOCATE_ROUTINE names_alloc;
static RTL_GENERIC_FREE_ROUTINE names_free;

static RTL_GENERIC_COMPARE_RESULTS NTAPI names_compare(PRTL_GENERIC_TABLE Table,
                                                      PVOID First,
                                                      PVOID Second) {
  (void)Table;
  ULONG a = *(ULONG *)First, b = *(ULONG *)Second;
  return a < b ? GenericLessThan : a > b ? GenericGreaterThan : GenericEqual;
}

static PVOID NTAPI names_alloc(PRTL_GENERIC_TABLE Table, CLONG ByteSize) {
  (void)Table;
  return ExAllocatePool2(POOL_FLAG_PAGED, ByteSize, 'lvAT');
}

static VOID NTAPI names_free(PRTL_GENERIC_TABLE Table, PVOID Buffer) {
  (void)Table;
  ExFreePoolWithTag(Buffer, 'lvAT');
}

int kpt_avl_names_run(void) {
  RTL_GENERIC_TABLE t; // an RTL_AVL_TABLE
  if (sizeof t != sizeof(RTL_AVL_TABLE)) return 1;
  RtlInitializeGenericTable(&t, names_compare, names_alloc, names_free, NULL);
  if (t.BalancedRoot.Parent != &t.BalancedRoot) return 2;
  for (ULONG k = 10; k > 0; k--) {
    BOOLEAN is_new = FALSE;
    if (RtlInsertElementGenericTable(&t, &k, sizeof k, &is_new) == NULL ||
        !is_new)
      return 3;
  }
  if (RtlNumberGenericTableElements(&t) != 10 || t.DepthOfTree != 4) return 4;
  ULONG expect = 1;
  for (ULONG *p = RtlEnumerateGenericTable(&t, TRUE); p != NULL;
       p = RtlEnumerateGenericTable(&t, FALSE))
    if (*p != expect++) return 5;
  // The AVL node header is 32 bytes: the first element's node is the
  // leftmost of the tree hanging off the sentinel.
  ULONG *first = RtlGetElementGenericTable(&t, 0);
  PRTL_BALANCED_LINKS n = t.BalancedRoot.RightChild;
  while (n->LeftChild != NULL) n = n->LeftChild;
  if ((PVOID)((char *)first - 32) != (PVOID)n || *first != 1) return 6;
  for (ULONG k = 1; k <= 10; k++)
    if (!RtlDeleteElementGenericTable(&t, &k)) return 7;
  return RtlIsGenericTableEmpty(&t) ? 0 : 8;
}
