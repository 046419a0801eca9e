/**
 * @file kpool/wdk/kp_wdk_gentable.h
 * @brief WDK face (ntddk.h): RTL_SPLAY_LINKS and the splay-link routines
 *        and macros, RTL_GENERIC_TABLE / RTL_AVL_TABLE and the
 *        Rtl*GenericTable* routines, over the core kpool/gentable.h.
 *
 * Included by ntddk.h; including it directly includes ntddk.h first.
 *
 * The table never allocates by itself: for each new element it calls the
 * driver's AllocateRoutine once, asking for the element size plus the
 * table's own header (40 bytes in the splay form: RTL_SPLAY_LINKS +
 * LIST_ENTRY; 32 bytes in the AVL form: RTL_BALANCED_LINKS). The element
 * data is copied right after that header, and the routines return that
 * address. CompareRoutine(Table, Buffer, ElementData) is called to search
 * before AllocateRoutine; RtlDelete* calls FreeRoutine with the pointer
 * AllocateRoutine returned. So a driver's callbacks run unchanged and its
 * pool tag owns every node (a node never deleted is a leak at unload under
 * that tag). See kpool/gentable.h for splaying, insertion order, the AVL
 * sentinel and the other details.
 *
 * Defining RTL_USE_AVL_TABLES before including ntddk.h maps the splay
 * names (RTL_GENERIC_TABLE, RtlInsertElementGenericTable, ...) onto the
 * AVL ones, as the WDK does.
 *
 * Layouts (x64): RTL_SPLAY_LINKS 24 bytes, RTL_GENERIC_TABLE 72,
 * RTL_BALANCED_LINKS 32, RTL_AVL_TABLE 104 (checked in
 * src/wdk/wdk_gentable.c). Not thread-safe, as on Windows: callers
 * serialise access to one table.
 */
#ifndef KPOOL_WDK_KP_WDK_GENTABLE_H
#include "ntddk.h"
#endif

#ifndef KPOOL_WDK_KP_WDK_GENTABLE_H
#define KPOOL_WDK_KP_WDK_GENTABLE_H

#include "../gentable.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A count of bytes in the generic table interfaces (an identical repeated
 *  typedef elsewhere is harmless). */
typedef ULONG CLONG;

/* ===========================================================================
 * Splay links
 * ========================================================================= */

/** RTL_SPLAY_LINKS: a root's Parent points to itself. */
typedef struct _RTL_SPLAY_LINKS {
  struct _RTL_SPLAY_LINKS *Parent;
  struct _RTL_SPLAY_LINKS *LeftChild;
  struct _RTL_SPLAY_LINKS *RightChild;
} RTL_SPLAY_LINKS, *PRTL_SPLAY_LINKS;

/** RtlInitializeSplayLinks: a one-node tree. */
#define RtlInitializeSplayLinks(Links)                                         \
  do {                                                                         \
    PRTL_SPLAY_LINKS kp_links_ = (Links);                                      \
    kp_links_->Parent = kp_links_;                                             \
    kp_links_->LeftChild = NULL;                                               \
    kp_links_->RightChild = NULL;                                              \
  } while (0)
#define RtlParent(Links) ((PRTL_SPLAY_LINKS)(Links)->Parent)
#define RtlLeftChild(Links) ((PRTL_SPLAY_LINKS)(Links)->LeftChild)
#define RtlRightChild(Links) ((PRTL_SPLAY_LINKS)(Links)->RightChild)
#define RtlIsRoot(Links) (RtlParent(Links) == (PRTL_SPLAY_LINKS)(Links))
#define RtlIsLeftChild(Links)                                                  \
  (RtlLeftChild(RtlParent(Links)) == (PRTL_SPLAY_LINKS)(Links))
#define RtlIsRightChild(Links)                                                 \
  (RtlRightChild(RtlParent(Links)) == (PRTL_SPLAY_LINKS)(Links))
/** RtlInsertAsLeftChild / RtlInsertAsRightChild: link a new child. */
#define RtlInsertAsLeftChild(ParentLinks, ChildLinks)                          \
  do {                                                                         \
    PRTL_SPLAY_LINKS kp_parent_ = (ParentLinks);                               \
    PRTL_SPLAY_LINKS kp_child_ = (ChildLinks);                                 \
    kp_parent_->LeftChild = kp_child_;                                         \
    kp_child_->Parent = kp_parent_;                                            \
  } while (0)
#define RtlInsertAsRightChild(ParentLinks, ChildLinks)                         \
  do {                                                                         \
    PRTL_SPLAY_LINKS kp_parent_ = (ParentLinks);                               \
    PRTL_SPLAY_LINKS kp_child_ = (ChildLinks);                                 \
    kp_parent_->RightChild = kp_child_;                                        \
    kp_child_->Parent = kp_parent_;                                            \
  } while (0)

/** RtlSplay: rotates Links to the root; returns the new root. */
NTSYSAPI PRTL_SPLAY_LINKS NTAPI RtlSplay(PRTL_SPLAY_LINKS Links);
/** RtlDelete: removes Links and splays its parent; returns the new root
 *  (NULL when the tree is now empty). */
NTSYSAPI PRTL_SPLAY_LINKS NTAPI RtlDelete(PRTL_SPLAY_LINKS Links);
/** RtlDeleteNoSplay: removes Links, updating *Root. */
NTSYSAPI VOID NTAPI RtlDeleteNoSplay(PRTL_SPLAY_LINKS Links,
                                     PRTL_SPLAY_LINKS *Root);
/** Successor / predecessor in Links' subtree, or in the whole tree. */
NTSYSAPI PRTL_SPLAY_LINKS NTAPI RtlSubtreeSuccessor(PRTL_SPLAY_LINKS Links);
NTSYSAPI PRTL_SPLAY_LINKS NTAPI RtlSubtreePredecessor(PRTL_SPLAY_LINKS Links);
NTSYSAPI PRTL_SPLAY_LINKS NTAPI RtlRealSuccessor(PRTL_SPLAY_LINKS Links);
NTSYSAPI PRTL_SPLAY_LINKS NTAPI RtlRealPredecessor(PRTL_SPLAY_LINKS Links);

/* ===========================================================================
 * Common table types
 * ========================================================================= */

/** RTL_GENERIC_COMPARE_RESULTS. */
typedef enum _RTL_GENERIC_COMPARE_RESULTS {
  GenericLessThan,
  GenericGreaterThan,
  GenericEqual
} RTL_GENERIC_COMPARE_RESULTS;

/** TABLE_SEARCH_RESULT. */
typedef enum _TABLE_SEARCH_RESULT {
  TableEmptyTree,
  TableFoundNode,
  TableInsertAsLeft,
  TableInsertAsRight
} TABLE_SEARCH_RESULT;

/* ===========================================================================
 * AVL form
 * ========================================================================= */

/** RTL_BALANCED_LINKS. */
typedef struct _RTL_BALANCED_LINKS {
  struct _RTL_BALANCED_LINKS *Parent;
  struct _RTL_BALANCED_LINKS *LeftChild;
  struct _RTL_BALANCED_LINKS *RightChild;
  CHAR Balance;
  UCHAR Reserved[3];
} RTL_BALANCED_LINKS, *PRTL_BALANCED_LINKS;

struct _RTL_AVL_TABLE;

typedef RTL_GENERIC_COMPARE_RESULTS NTAPI RTL_AVL_COMPARE_ROUTINE(
    struct _RTL_AVL_TABLE *Table, PVOID FirstStruct, PVOID SecondStruct);
typedef RTL_AVL_COMPARE_ROUTINE *PRTL_AVL_COMPARE_ROUTINE;
typedef PVOID NTAPI RTL_AVL_ALLOCATE_ROUTINE(struct _RTL_AVL_TABLE *Table,
                                             CLONG ByteSize);
typedef RTL_AVL_ALLOCATE_ROUTINE *PRTL_AVL_ALLOCATE_ROUTINE;
typedef VOID NTAPI RTL_AVL_FREE_ROUTINE(struct _RTL_AVL_TABLE *Table,
                                        PVOID Buffer);
typedef RTL_AVL_FREE_ROUTINE *PRTL_AVL_FREE_ROUTINE;

/** RTL_AVL_TABLE: BalancedRoot is a sentinel; its RightChild is the root. */
typedef struct _RTL_AVL_TABLE {
  RTL_BALANCED_LINKS BalancedRoot;
  PVOID OrderedPointer;
  ULONG WhichOrderedElement;
  ULONG NumberGenericTableElements;
  ULONG DepthOfTree;
  PRTL_BALANCED_LINKS RestartKey;
  ULONG DeleteCount;
  PRTL_AVL_COMPARE_ROUTINE CompareRoutine;
  PRTL_AVL_ALLOCATE_ROUTINE AllocateRoutine;
  PRTL_AVL_FREE_ROUTINE FreeRoutine;
  PVOID TableContext;
} RTL_AVL_TABLE, *PRTL_AVL_TABLE;

NTSYSAPI VOID NTAPI RtlInitializeGenericTableAvl(
    PRTL_AVL_TABLE Table, PRTL_AVL_COMPARE_ROUTINE CompareRoutine,
    PRTL_AVL_ALLOCATE_ROUTINE AllocateRoutine,
    PRTL_AVL_FREE_ROUTINE FreeRoutine, PVOID TableContext);
NTSYSAPI PVOID NTAPI RtlInsertElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                                     PVOID Buffer,
                                                     CLONG BufferSize,
                                                     PBOOLEAN NewElement);
NTSYSAPI PVOID NTAPI RtlInsertElementGenericTableFullAvl(
    PRTL_AVL_TABLE Table, PVOID Buffer, CLONG BufferSize, PBOOLEAN NewElement,
    PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult);
NTSYSAPI BOOLEAN NTAPI RtlDeleteElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                                       PVOID Buffer);
NTSYSAPI PVOID NTAPI RtlLookupElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                                     PVOID Buffer);
NTSYSAPI PVOID NTAPI RtlLookupElementGenericTableFullAvl(
    PRTL_AVL_TABLE Table, PVOID Buffer, PVOID *NodeOrParent,
    TABLE_SEARCH_RESULT *SearchResult);
/** The lowest element comparing equal; *RestartKey is set for
 *  RtlEnumerateGenericTableWithoutSplayingAvl. */
NTSYSAPI PVOID NTAPI RtlLookupFirstMatchingElementGenericTableAvl(
    PRTL_AVL_TABLE Table, PVOID Buffer, PVOID *RestartKey);
NTSYSAPI PVOID NTAPI RtlEnumerateGenericTableAvl(PRTL_AVL_TABLE Table,
                                                 BOOLEAN Restart);
NTSYSAPI PVOID NTAPI RtlEnumerateGenericTableWithoutSplayingAvl(
    PRTL_AVL_TABLE Table, PVOID *RestartKey);
/** The I-th element in sort order (0-based), or NULL. */
NTSYSAPI PVOID NTAPI RtlGetElementGenericTableAvl(PRTL_AVL_TABLE Table,
                                                  ULONG I);
NTSYSAPI ULONG NTAPI RtlNumberGenericTableElementsAvl(PRTL_AVL_TABLE Table);
NTSYSAPI BOOLEAN NTAPI RtlIsGenericTableEmptyAvl(PRTL_AVL_TABLE Table);

/* ===========================================================================
 * Splay form (or, with RTL_USE_AVL_TABLES, the AVL form under its names)
 * ========================================================================= */

#if defined(RTL_USE_AVL_TABLES)

#define RTL_GENERIC_COMPARE_ROUTINE RTL_AVL_COMPARE_ROUTINE
#define PRTL_GENERIC_COMPARE_ROUTINE PRTL_AVL_COMPARE_ROUTINE
#define RTL_GENERIC_ALLOCATE_ROUTINE RTL_AVL_ALLOCATE_ROUTINE
#define PRTL_GENERIC_ALLOCATE_ROUTINE PRTL_AVL_ALLOCATE_ROUTINE
#define RTL_GENERIC_FREE_ROUTINE RTL_AVL_FREE_ROUTINE
#define PRTL_GENERIC_FREE_ROUTINE PRTL_AVL_FREE_ROUTINE
#define RTL_GENERIC_TABLE RTL_AVL_TABLE
#define PRTL_GENERIC_TABLE PRTL_AVL_TABLE
#define RtlInitializeGenericTable RtlInitializeGenericTableAvl
#define RtlInsertElementGenericTable RtlInsertElementGenericTableAvl
#define RtlInsertElementGenericTableFull RtlInsertElementGenericTableFullAvl
#define RtlDeleteElementGenericTable RtlDeleteElementGenericTableAvl
#define RtlLookupElementGenericTable RtlLookupElementGenericTableAvl
#define RtlLookupElementGenericTableFull RtlLookupElementGenericTableFullAvl
#define RtlEnumerateGenericTable RtlEnumerateGenericTableAvl
#define RtlEnumerateGenericTableWithoutSplaying                                \
  RtlEnumerateGenericTableWithoutSplayingAvl
#define RtlGetElementGenericTable RtlGetElementGenericTableAvl
#define RtlNumberGenericTableElements RtlNumberGenericTableElementsAvl
#define RtlIsGenericTableEmpty RtlIsGenericTableEmptyAvl

#else /* !RTL_USE_AVL_TABLES */

struct _RTL_GENERIC_TABLE;

typedef RTL_GENERIC_COMPARE_RESULTS NTAPI RTL_GENERIC_COMPARE_ROUTINE(
    struct _RTL_GENERIC_TABLE *Table, PVOID FirstStruct, PVOID SecondStruct);
typedef RTL_GENERIC_COMPARE_ROUTINE *PRTL_GENERIC_COMPARE_ROUTINE;
typedef PVOID NTAPI RTL_GENERIC_ALLOCATE_ROUTINE(
    struct _RTL_GENERIC_TABLE *Table, CLONG ByteSize);
typedef RTL_GENERIC_ALLOCATE_ROUTINE *PRTL_GENERIC_ALLOCATE_ROUTINE;
typedef VOID NTAPI RTL_GENERIC_FREE_ROUTINE(struct _RTL_GENERIC_TABLE *Table,
                                            PVOID Buffer);
typedef RTL_GENERIC_FREE_ROUTINE *PRTL_GENERIC_FREE_ROUTINE;

/** RTL_GENERIC_TABLE: a splay tree of elements plus their insertion order. */
typedef struct _RTL_GENERIC_TABLE {
  PRTL_SPLAY_LINKS TableRoot;
  LIST_ENTRY InsertOrderList;
  PLIST_ENTRY OrderedPointer;
  ULONG WhichOrderedElement;
  ULONG NumberGenericTableElements;
  PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine;
  PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine;
  PRTL_GENERIC_FREE_ROUTINE FreeRoutine;
  PVOID TableContext;
} RTL_GENERIC_TABLE, *PRTL_GENERIC_TABLE;

/** RtlInitializeGenericTable: an empty table with the driver's routines. */
NTSYSAPI VOID NTAPI RtlInitializeGenericTable(
    PRTL_GENERIC_TABLE Table, PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine,
    PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine,
    PRTL_GENERIC_FREE_ROUTINE FreeRoutine, PVOID TableContext);
/**
 * RtlInsertElementGenericTable: the existing element that compares equal
 * (*NewElement FALSE, AllocateRoutine not called), or a new element with a
 * copy of BufferSize bytes of Buffer (*NewElement TRUE); NULL when
 * AllocateRoutine returned NULL. NewElement may be NULL.
 */
NTSYSAPI PVOID NTAPI RtlInsertElementGenericTable(PRTL_GENERIC_TABLE Table,
                                                  PVOID Buffer,
                                                  CLONG BufferSize,
                                                  PBOOLEAN NewElement);
NTSYSAPI PVOID NTAPI RtlInsertElementGenericTableFull(
    PRTL_GENERIC_TABLE Table, PVOID Buffer, CLONG BufferSize,
    PBOOLEAN NewElement, PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult);
/** RtlDeleteElementGenericTable: TRUE when found, unlinked and freed. */
NTSYSAPI BOOLEAN NTAPI RtlDeleteElementGenericTable(PRTL_GENERIC_TABLE Table,
                                                    PVOID Buffer);
/** RtlLookupElementGenericTable: the element (splayed to the root). */
NTSYSAPI PVOID NTAPI RtlLookupElementGenericTable(PRTL_GENERIC_TABLE Table,
                                                  PVOID Buffer);
NTSYSAPI PVOID NTAPI RtlLookupElementGenericTableFull(
    PRTL_GENERIC_TABLE Table, PVOID Buffer, PVOID *NodeOrParent,
    TABLE_SEARCH_RESULT *SearchResult);
/** RtlEnumerateGenericTable: first (Restart) or next element in sort order,
 *  splaying each one to the root. */
NTSYSAPI PVOID NTAPI RtlEnumerateGenericTable(PRTL_GENERIC_TABLE Table,
                                              BOOLEAN Restart);
NTSYSAPI PVOID NTAPI RtlEnumerateGenericTableWithoutSplaying(
    PRTL_GENERIC_TABLE Table, PVOID *RestartKey);
/** RtlGetElementGenericTable: the I-th element in insertion order. */
NTSYSAPI PVOID NTAPI RtlGetElementGenericTable(PRTL_GENERIC_TABLE Table,
                                               ULONG I);
NTSYSAPI ULONG NTAPI RtlNumberGenericTableElements(PRTL_GENERIC_TABLE Table);
NTSYSAPI BOOLEAN NTAPI RtlIsGenericTableEmpty(PRTL_GENERIC_TABLE Table);

#endif /* RTL_USE_AVL_TABLES */

#ifdef __cplusplus
}
#endif

#endif /* KPOOL_WDK_KP_WDK_GENTABLE_H */
