/*
 * test_cpp_lookaside.cpp — the C++17 wrappers (kpool_lookaside.hpp) and
 * the pool-aware new/delete (kpool_new.hpp), with std::vector working in
 * the same program: the global operator new/delete are not replaced.
 */
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <vector>
extern "C" {
#include <cmocka.h>
}

#include "kpool/lookaside.h"
#include "kpool/pool.h"
#include "kpool/stats.h"
#include "kpool/system.h"
#include <wdm.h>
#include "kpool_lookaside.hpp"
#include "kpool_new.hpp"

namespace {

constexpr ULONG kTag = KP_TAG('C', 'p', 'p', '1');
constexpr ULONG kTag2 = KP_TAG('C', 'p', 'p', '2');

int constructed = 0;
int destroyed = 0;

struct Widget {
  ULONG id;
  ULONG value;
  UCHAR payload[40];
  Widget(ULONG i, ULONG v) : id(i), value(v), payload() { constructed++; }
  ~Widget() { destroyed++; }
};

struct Tiny {  // smaller than LOOKASIDE_MINIMUM_BLOCK_SIZE
  UCHAR b;
};

struct Pooled : kpool::PoolAllocated<kTag2, POOL_FLAG_PAGED> {
  int x;
  explicit Pooled(int v) : x(v) { constructed++; }
  ~Pooled() { destroyed++; }
};

int setup(void **state) {
  kp_config_t cfg;
  kp_config_init(&cfg);
  kp_system_t *sys = kp_system_create(&cfg);  // pool tracking on: leaks bug check
  if (sys == nullptr) return -1;
  kp_system_set_current(sys);
  constructed = destroyed = 0;
  *state = sys;
  return 0;
}

int teardown(void **state) {
  kp_system_t *sys = static_cast<kp_system_t *>(*state);
  kp_system_set_current(nullptr);
  kp_system_destroy(sys);  // 0xC4/0x62 (abort) if a test leaked pool
  return 0;
}

/* Live blocks of one pool kind in the current system. */
uint64_t live_blocks(kp_pool_kind_t kind) {
  kp_stats_t st;
  st.size = sizeof st;
  st.version = KP_STATS_VERSION;
  assert_true(kp_stats_get(kp_system_current(), &st));
  return st.pool[kind].live_blocks;
}

bool is_pool_block(const void *p, kp_block_info_t *info) {
  return kp_block_query(kp_system_current(), p, info);
}

void test_lookaside_ex_wrapper(void **state) {
  (void)state;
  std::vector<Widget *> live;  // the runtime's allocator, in the same test
  {
    kpool::LookasideListEx<Widget> cache(kTag);
    assert_int_equal(cache.Status(), STATUS_SUCCESS);
    LOOKASIDE_LIST_EX *l = cache.Get();
    assert_int_equal(l->L.Size, sizeof(Widget));
    assert_int_equal(l->L.Type, NonPagedPoolNx);
    assert_int_equal(l->L.Depth, 4);

    for (ULONG i = 0; i < 10; i++) {
      Widget *w = cache.New(i, i * 10);
      assert_non_null(w);
      assert_int_equal(w->id, i);
      assert_int_equal(w->value, i * 10);
      live.push_back(w);
    }
    assert_int_equal(constructed, 10);
    assert_int_equal(l->L.TotalAllocates, 10);
    assert_int_equal(l->L.AllocateMisses, 10);
    kp_block_info_t info;
    assert_true(is_pool_block(live[0], &info));
    assert_int_equal(info.tag, kTag);
    // The vector's buffer is not a pool block.
    assert_false(is_pool_block(live.data(), &info));

    for (Widget *w : live) cache.Delete(w);
    assert_int_equal(destroyed, 10);
    assert_int_equal(l->L.TotalFrees, 10);
    assert_int_equal(l->L.FreeMisses, 6);
    assert_int_equal(ExQueryDepthSList(&l->L.ListHead), 4);
    // LIFO reuse of the last entry the list kept (the fourth; the other six
    // went back to pool).
    Widget *again = cache.New(99u, 1u);
    assert_ptr_equal(again, live[3]);
    cache.Delete(again);
    cache.Delete(nullptr);
    live.clear();
  }
  // The destructor deleted the list and its cached entries went back to
  // pool (teardown's leak check would abort otherwise).
  assert_int_equal(live_blocks(KP_POOL_NONPAGED), 0);
}

void test_lookaside_wrapper_failure_constructs_nothing(void **state) {
  (void)state;
  // A bad pool type: the wrapper reports the status and hands out nothing.
  kpool::LookasideListEx<Widget> bad(kTag, static_cast<POOL_TYPE>(3));
  assert_int_equal(bad.Status(), STATUS_INVALID_PARAMETER_4);
  assert_null(bad.New(1u, 2u));
  assert_null(bad.Allocate());
  bad.Free(nullptr);
  bad.Flush();
  assert_int_equal(constructed, 0);

  // A failing allocate routine: nullptr, no constructor.
  PALLOCATE_FUNCTION_EX fail = [](POOL_TYPE, SIZE_T, ULONG, PLOOKASIDE_LIST_EX) -> PVOID {
    return nullptr;
  };
  kpool::LookasideListEx<Widget> failing(kTag, NonPagedPoolNx, 0, fail, nullptr);
  assert_int_equal(failing.Status(), STATUS_SUCCESS);
  assert_null(failing.New(1u, 2u));
  assert_int_equal(constructed, 0);
  assert_int_equal(failing.Get()->L.AllocateMisses, 1);
}

void test_classic_wrappers(void **state) {
  (void)state;
  {
    kpool::NPagedLookasideList<Widget> np(kTag);
    kpool::PagedLookasideList<Tiny> pg(kTag2);
    assert_int_equal(alignof(decltype(np)), 64);
    assert_int_equal(np.Get()->L.Type, NonPagedPool | POOL_NX_ALLOCATION);
    assert_int_equal(pg.Get()->L.Type, PagedPool);
    // Entries are at least the SLIST link.
    assert_int_equal(pg.Get()->L.Size, LOOKASIDE_MINIMUM_BLOCK_SIZE);
    Widget *w = np.New(5u, 6u);
    Tiny *t = pg.New();
    assert_non_null(w);
    assert_non_null(t);
    assert_int_equal(w->value, 6);
    kp_block_info_t info;
    assert_true(is_pool_block(t, &info));
    assert_int_equal(info.pool, KP_POOL_PAGED);
    np.Delete(w);
    pg.Delete(t);
    assert_int_equal(ExQueryDepthSList(&np.Get()->L.ListHead), 1);
  }
  assert_int_equal(destroyed, 1);
  assert_int_equal(live_blocks(KP_POOL_NONPAGED), 0);
  assert_int_equal(live_blocks(KP_POOL_PAGED), 0);
}

void test_pool_new_and_delete(void **state) {
  (void)state;
  std::vector<int> v;
  for (int i = 0; i < 1000; i++) v.push_back(i);  // global new/delete untouched

  Widget *w = new (POOL_FLAG_NON_PAGED, kTag) Widget(1u, 2u);
  assert_non_null(w);
  assert_int_equal(constructed, 1);
  kp_block_info_t info;
  assert_true(is_pool_block(w, &info));
  assert_int_equal(info.tag, kTag);
  assert_int_equal(info.size, sizeof(Widget));
  assert_int_equal(info.api, KP_API_ALLOCATE_POOL2);
  // ExAllocatePool2 zeroes: the payload the constructor left alone is 0.
  assert_int_equal(w->payload[39], 0);
  kpool::PoolDelete(w, kTag);
  assert_int_equal(destroyed, 1);
  assert_false(is_pool_block(w, &info));

  // With a priority: ExAllocatePool3.
  Widget *h = new (POOL_FLAG_PAGED, kTag2, HighPoolPriority) Widget(3u, 4u);
  assert_non_null(h);
  assert_true(is_pool_block(h, &info));
  assert_int_equal(info.api, KP_API_ALLOCATE_POOL3);
  assert_int_equal(info.priority, KP_PRIORITY_HIGH);
  assert_int_equal(info.pool, KP_POOL_PAGED);
  kpool::PoolDelete(h, kTag2);

  // A failed allocation (tag 0 is refused by ExAllocatePool2): nullptr, no
  // constructor call.
  Widget *none = new (POOL_FLAG_NON_PAGED, 0u) Widget(5u, 6u);
  assert_null(none);
  assert_int_equal(constructed, 2);
  kpool::PoolDelete(none, kTag);

  assert_int_equal(v[999], 999);
  v.clear();
  v.shrink_to_fit();
}

void test_pool_allocated_base(void **state) {
  (void)state;
  Pooled *p = new Pooled(42);
  assert_non_null(p);
  kp_block_info_t info;
  assert_true(is_pool_block(p, &info));
  assert_int_equal(info.tag, kTag2);
  assert_int_equal(info.pool, KP_POOL_PAGED);
  assert_int_equal(p->x, 42);
  delete p;
  assert_int_equal(destroyed, 1);
  assert_false(is_pool_block(p, &info));

  Pooled *q = new (POOL_FLAG_NON_PAGED, kTag2) Pooled(7);
  assert_true(is_pool_block(q, &info));
  assert_int_equal(info.pool, KP_POOL_NONPAGED);
  delete q;

  // The runtime's allocator still serves everything else.
  std::vector<Pooled *> ptrs;
  for (int i = 0; i < 8; i++) ptrs.push_back(new Pooled(i));
  assert_false(is_pool_block(ptrs.data(), &info));
  for (Pooled *x : ptrs) delete x;
}

void test_wrapper_in_pool_memory(void **state) {
  (void)state;
  // A list living in pool memory: destroying it first means no 0xC4/0xCC.
  auto *cache = new (POOL_FLAG_NON_PAGED, kTag) kpool::LookasideListEx<Widget>(kTag2);
  assert_non_null(cache);
  assert_int_equal(cache->Status(), STATUS_SUCCESS);
  Widget *w = cache->New(1u, 1u);
  cache->Delete(w);
  kpool::PoolDelete(cache, kTag);
  assert_int_equal(live_blocks(KP_POOL_NONPAGED), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lookaside_ex_wrapper, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lookaside_wrapper_failure_constructs_nothing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_classic_wrappers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool_new_and_delete, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool_allocated_base, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrapper_in_pool_memory, setup, teardown),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
