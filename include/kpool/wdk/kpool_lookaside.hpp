/**
 * @file kpool/wdk/kpool_lookaside.hpp
 * @brief C++17 wrappers of the lookaside lists for driver code: typed
 *        allocation, and initialisation and deletion tied to the object's
 *        lifetime.
 *
 * Header-only, written against the WDK names only (ExInitializeLookasideListEx,
 * LOOKASIDE_LIST_EX, ...), with no exception, no RTTI and no standard
 * library, so the same header compiles in a real kernel build (where
 * <wdm.h> is Microsoft's) and in a kpool test build (where it is kpool's).
 *
 * @code
 *   struct Request { ULONG Id; UCHAR Data[40]; Request(ULONG id) : Id(id) {} };
 *
 *   kpool::LookasideListEx<Request> cache('qeRD');       // NonPagedPoolNx
 *   if (!NT_SUCCESS(cache.Status())) return cache.Status();
 *   Request *r = cache.New(7);    // constructed in a lookaside entry, or nullptr
 *   ...
 *   cache.Delete(r);              // destroyed, entry back to the list
 *   // ~LookasideListEx: ExDeleteLookasideListEx
 * @endcode
 *
 * Rules, as for the lists themselves (kpool/lookaside.h): the wrapper must
 * live in non-paged memory at a 16-byte aligned address and must not move
 * (copying and moving are deleted); entries are 16-byte aligned, so T may
 * not need more; every entry must be given back before the wrapper dies
 * (deletion frees only the cached entries, as Windows does). Like the
 * lists, the wrappers are thread-safe for New/Allocate/Delete/Free;
 * construction and destruction are not.
 */
#ifndef KPOOL_WDK_KPOOL_LOOKASIDE_HPP
#define KPOOL_WDK_KPOOL_LOOKASIDE_HPP

#include <wdm.h>

namespace kpool {

namespace detail {

/** A tag type so that constructing in place needs no <new>. */
struct InPlace {};

/** The entry size for T: at least the SLIST link (LOOKASIDE_MINIMUM_BLOCK_SIZE). */
template <typename T>
constexpr SIZE_T EntrySize() {
  return sizeof(T) < LOOKASIDE_MINIMUM_BLOCK_SIZE ? LOOKASIDE_MINIMUM_BLOCK_SIZE
                                                  : sizeof(T);
}

/** Forwarding without <utility>. */
template <typename A>
constexpr A &&Forward(A &a) noexcept {
  return static_cast<A &&>(a);
}

}  // namespace detail
}  // namespace kpool

/** Placement form used by the wrappers (a private tag, so it can clash with
 *  no other placement new, <new>'s included). */
inline void *operator new(SIZE_T, kpool::detail::InPlace, void *where) noexcept {
  return where;
}
/** Its matching delete (only called if a constructor throws). */
inline void operator delete(void *, kpool::detail::InPlace, void *) noexcept {}

namespace kpool {

/** What the three list wrappers share: typed New/Delete on top of the
 *  raw Allocate/Free the derived class provides. */
template <typename Derived, typename T>
class TypedLookaside {
 public:
  static_assert(alignof(T) <= MEMORY_ALLOCATION_ALIGNMENT,
                "lookaside entries are only 16-byte aligned");

  /** Allocates an entry and constructs a T in it with @p args; nullptr
   *  when the list's allocate routine failed (nothing constructed). */
  template <typename... Args>
  T *New(Args &&...args) noexcept {
    void *p = static_cast<Derived *>(this)->Allocate();
    if (p == nullptr) return nullptr;
    return ::new (detail::InPlace{}, p) T(detail::Forward<Args>(args)...);
  }

  /** Destroys @p object (if not null) and gives its entry back. */
  void Delete(T *object) noexcept {
    if (object == nullptr) return;
    object->~T();
    static_cast<Derived *>(this)->Free(object);
  }
};

/**
 * A LOOKASIDE_LIST_EX of entries sized for T. The constructor calls
 * ExInitializeLookasideListEx (check Status()); the destructor calls
 * ExDeleteLookasideListEx when initialisation succeeded.
 */
template <typename T>
class LookasideListEx : public TypedLookaside<LookasideListEx<T>, T> {
 public:
  /**
   * @param tag       the pool tag of the entries
   * @param pool_type NonPagedPoolNx by default (PagedPool for a paged list)
   * @param flags     0, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL or
   *                  EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE
   * @param allocate, free optional routines (nullptr: the defaults)
   */
  explicit LookasideListEx(ULONG tag, POOL_TYPE pool_type = NonPagedPoolNx,
                           ULONG flags = 0,
                           PALLOCATE_FUNCTION_EX allocate = nullptr,
                           PFREE_FUNCTION_EX free = nullptr) noexcept
      : status_((ExInitializeLookasideListEx)(&list_, allocate, free, pool_type,
                                              flags, detail::EntrySize<T>(), tag,
                                              0)) {}

  ~LookasideListEx() {
    if (NT_SUCCESS(status_)) (ExDeleteLookasideListEx)(&list_);
  }

  LookasideListEx(const LookasideListEx &) = delete;
  LookasideListEx &operator=(const LookasideListEx &) = delete;

  /** What ExInitializeLookasideListEx returned. */
  NTSTATUS Status() const noexcept { return status_; }

  /** An uninitialised entry (ExAllocateFromLookasideListEx), or nullptr. */
  void *Allocate() noexcept {
    return NT_SUCCESS(status_) ? (ExAllocateFromLookasideListEx)(&list_) : nullptr;
  }

  /** Gives an entry back (ExFreeToLookasideListEx). */
  void Free(void *entry) noexcept {
    if (entry != nullptr && NT_SUCCESS(status_))
      (ExFreeToLookasideListEx)(&list_, entry);
  }

  /** Frees every cached entry (ExFlushLookasideListEx). */
  void Flush() noexcept {
    if (NT_SUCCESS(status_)) (ExFlushLookasideListEx)(&list_);
  }

  /** The list itself, for the WDK routines and for reports. */
  LOOKASIDE_LIST_EX *Get() noexcept { return &list_; }
  const LOOKASIDE_LIST_EX *Get() const noexcept { return &list_; }

 private:
  LOOKASIDE_LIST_EX list_;
  NTSTATUS status_;
};

/**
 * A classic NPAGED_LOOKASIDE_LIST of entries sized for T
 * (ExInitializeNPagedLookasideList / ExDeleteNPagedLookasideList). The
 * object is cache aligned (64), as the structure is.
 */
template <typename T>
class NPagedLookasideList : public TypedLookaside<NPagedLookasideList<T>, T> {
 public:
  /** @p flags: 0, POOL_RAISE_IF_ALLOCATION_FAILURE, POOL_NX_ALLOCATION. */
  explicit NPagedLookasideList(ULONG tag, ULONG flags = POOL_NX_ALLOCATION,
                               PALLOCATE_FUNCTION allocate = nullptr,
                               PFREE_FUNCTION free = nullptr) noexcept {
    (ExInitializeNPagedLookasideList)(&list_, allocate, free, flags,
                                      detail::EntrySize<T>(), tag, 0);
  }
  ~NPagedLookasideList() { (ExDeleteNPagedLookasideList)(&list_); }

  NPagedLookasideList(const NPagedLookasideList &) = delete;
  NPagedLookasideList &operator=(const NPagedLookasideList &) = delete;

  void *Allocate() noexcept { return (ExAllocateFromNPagedLookasideList)(&list_); }
  void Free(void *entry) noexcept {
    if (entry != nullptr) (ExFreeToNPagedLookasideList)(&list_, entry);
  }
  NPAGED_LOOKASIDE_LIST *Get() noexcept { return &list_; }
  const NPAGED_LOOKASIDE_LIST *Get() const noexcept { return &list_; }

 private:
  NPAGED_LOOKASIDE_LIST list_;
};

/**
 * A classic PAGED_LOOKASIDE_LIST of entries sized for T
 * (ExInitializePagedLookasideList / ExDeletePagedLookasideList). Use it at
 * IRQL <= APC_LEVEL only.
 */
template <typename T>
class PagedLookasideList : public TypedLookaside<PagedLookasideList<T>, T> {
 public:
  /** @p flags: 0 or POOL_RAISE_IF_ALLOCATION_FAILURE. */
  explicit PagedLookasideList(ULONG tag, ULONG flags = 0,
                              PALLOCATE_FUNCTION allocate = nullptr,
                              PFREE_FUNCTION free = nullptr) noexcept {
    (ExInitializePagedLookasideList)(&list_, allocate, free, flags,
                                     detail::EntrySize<T>(), tag, 0);
  }
  ~PagedLookasideList() { (ExDeletePagedLookasideList)(&list_); }

  PagedLookasideList(const PagedLookasideList &) = delete;
  PagedLookasideList &operator=(const PagedLookasideList &) = delete;

  void *Allocate() noexcept { return (ExAllocateFromPagedLookasideList)(&list_); }
  void Free(void *entry) noexcept {
    if (entry != nullptr) (ExFreeToPagedLookasideList)(&list_, entry);
  }
  PAGED_LOOKASIDE_LIST *Get() noexcept { return &list_; }
  const PAGED_LOOKASIDE_LIST *Get() const noexcept { return &list_; }

 private:
  PAGED_LOOKASIDE_LIST list_;
};

}  // namespace kpool

#endif /* KPOOL_WDK_KPOOL_LOOKASIDE_HPP */
