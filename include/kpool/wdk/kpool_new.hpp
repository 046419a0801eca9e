/**
 * @file kpool/wdk/kpool_new.hpp
 * @brief Pool-aware operator new for driver C++: `new (flags, tag) T(...)`
 *        from ExAllocatePool2, `new (flags, tag, priority) T(...)` from
 *        ExAllocatePool3 with a priority parameter, the matching deletes,
 *        and a base class that gives a type pool-backed new and delete.
 *
 * Header-only, WDK names only, no exception, no RTTI, no standard library:
 * the same header suits a real kernel build.
 *
 * @code
 *   Foo *f = new (POOL_FLAG_NON_PAGED, 'ooFD') Foo(1, 2);   // nullptr on failure
 *   kpool::PoolDelete(f, 'ooFD');                            // ~Foo, ExFreePoolWithTag
 *
 *   struct Bar : kpool::PoolAllocated<'raBD', POOL_FLAG_PAGED> { ... };
 *   Bar *b = new Bar;        // ExAllocatePool2(POOL_FLAG_PAGED, sizeof(Bar), 'raBD')
 *   delete b;                // ~Bar, ExFreePoolWithTag(b, 'raBD')
 * @endcode
 *
 * **The global operator delete is not replaced.** A kernel driver usually
 * defines `operator delete(void *)` itself to call ExFreePool; in a
 * user-mode test process that would hand every std::vector buffer to the
 * pool. So this header only adds placement forms (extra parameters), which
 * replace nothing: std::vector and friends keep using the C++ runtime's
 * allocator in the same program. An object made with the placement new is
 * therefore destroyed with kpool::PoolDelete (not `delete`), or derives from
 * kpool::PoolAllocated, whose class-level operators make plain `new` and
 * `delete` pool-backed for that type only.
 *
 * All allocation functions are noexcept: a failed allocation gives nullptr
 * and no constructor runs (with POOL_FLAG_RAISE_ON_FAILURE the pool raises
 * instead, as the WDK routine does). Arrays are not provided: the ABI's
 * array cookie would make the pointer to free differ from the one returned.
 * Memory comes with the pool's alignment: 16 bytes (64 with
 * POOL_FLAG_CACHE_ALIGNED); do not use these for types that need more.
 */
#ifndef KPOOL_WDK_KPOOL_NEW_HPP
#define KPOOL_WDK_KPOOL_NEW_HPP

#include <wdm.h>

/** `new (Flags, Tag) T(...)`: ExAllocatePool2(Flags, sizeof(T), Tag). */
inline void *operator new(SIZE_T size, POOL_FLAGS flags, ULONG tag) noexcept {
  return (ExAllocatePool2)(flags, size, tag);
}

/** Matching delete (called only when a constructor throws). */
inline void operator delete(void *p, POOL_FLAGS, ULONG tag) noexcept {
  if (p != nullptr) (ExFreePoolWithTag)(p, tag);
}

/**
 * `new (Flags, Tag, Priority) T(...)`: ExAllocatePool3 with one
 * PoolExtendedParameterPriority parameter, so the allocation fails early
 * under memory pressure when @p priority is low.
 */
inline void *operator new(SIZE_T size, POOL_FLAGS flags, ULONG tag,
                          EX_POOL_PRIORITY priority) noexcept {
  POOL_EXTENDED_PARAMETER param = {};
  param.Type = PoolExtendedParameterPriority;
  param.Optional = 0;
  param.Priority = priority;
  return (ExAllocatePool3)(flags, size, tag, &param, 1);
}

/** Matching delete (called only when a constructor throws). */
inline void operator delete(void *p, POOL_FLAGS, ULONG tag,
                            EX_POOL_PRIORITY) noexcept {
  if (p != nullptr) (ExFreePoolWithTag)(p, tag);
}

namespace kpool {

/**
 * Destroys an object made with the pool placement new and frees its block
 * with ExFreePoolWithTag(@p object, @p tag) (a @p tag of 0 skips the tag
 * check, as ExFreePool). A null @p object does nothing.
 */
template <typename T>
inline void PoolDelete(T *object, ULONG tag) noexcept {
  if (object == nullptr) return;
  object->~T();
  (ExFreePoolWithTag)(const_cast<void *>(static_cast<const volatile void *>(object)),
                      tag);
}

/**
 * Base class giving a type pool-backed `new` and `delete`: plain
 * `new Derived(...)` allocates with ExAllocatePool2(Flags, size, Tag) and
 * `delete p` frees with ExFreePoolWithTag(p, Tag). `new (flags, tag)
 * Derived` uses other flags or another tag (then delete still frees without
 * a mismatch only if the tag is the same: pass Tag). Only this type and its
 * subclasses are affected; a subclass destroyed through a base pointer needs
 * a virtual destructor, as always.
 */
template <ULONG Tag, POOL_FLAGS Flags = POOL_FLAG_NON_PAGED>
struct PoolAllocated {
  static void *operator new(SIZE_T size) noexcept {
    return (ExAllocatePool2)(Flags, size, Tag);
  }
  static void *operator new(SIZE_T size, POOL_FLAGS flags, ULONG tag) noexcept {
    return (ExAllocatePool2)(flags, size, tag);
  }
  static void operator delete(void *p) noexcept {
    if (p != nullptr) (ExFreePoolWithTag)(p, Tag);
  }
  static void operator delete(void *p, POOL_FLAGS, ULONG tag) noexcept {
    if (p != nullptr) (ExFreePoolWithTag)(p, tag);
  }
};

}  // namespace kpool

#endif /* KPOOL_WDK_KPOOL_NEW_HPP */
