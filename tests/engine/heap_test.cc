// Heap: the deterministic allocator. Same requests give the same offsets and
// memhash at any base; freed blocks are reused; large blocks coalesce; an
// exhausted budget returns null instead of crashing.
#include "heap.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "region.h"

using lx::engine::Heap;
using lx::test::Region;
using lx::test::region_base;

namespace {

constexpr uint64_t kRegionBytes = uint64_t{64} << 20;

struct Arena {
  explicit Arena(int index, uint64_t bytes = kRegionBytes)
      : region(region_base(index), bytes), heap(Heap::create_in(region.base(), bytes)) {}
  uint64_t offset(const void* p) const { return heap->offset_of(p); }
  Region region;
  Heap* heap;
};

}  // namespace

TEST_CASE("the same requests give the same offsets and memhash at different bases",
          "[heap][determinism]") {
  Arena a(1), b(2);
  std::mt19937_64 random(GENERATE(1u, 2u, 3u));
  std::vector<std::pair<void*, void*>> live;
  std::vector<std::size_t> sizes;
  for (int step = 0; step < 4000; ++step) {
    if (!live.empty() && random() % 3 == 0) {
      std::size_t i = random() % live.size();
      a.heap->deallocate(live[i].first, sizes[i]);
      b.heap->deallocate(live[i].second, sizes[i]);
      live.erase(live.begin() + static_cast<long>(i));
      sizes.erase(sizes.begin() + static_cast<long>(i));
    } else {
      std::size_t size = random() % 7 == 0 ? 4096 + random() % 100000 : 1 + random() % 600;
      void* pa = a.heap->allocate(size, Heap::Budget::kApp);
      void* pb = b.heap->allocate(size, Heap::Budget::kApp);
      REQUIRE(pa != nullptr);
      REQUIRE(a.offset(pa) == b.offset(pb));
      live.emplace_back(pa, pb);
      sizes.push_back(size);
    }
    REQUIRE(a.heap->memhash() == b.heap->memhash());
  }
  CHECK(a.heap->bytes_in_use() == b.heap->bytes_in_use());
  CHECK(a.heap->peak_bytes_in_use() >= a.heap->bytes_in_use());
  CHECK(a.heap->allocation_count() == b.heap->allocation_count());
}

TEST_CASE("the memhash depends on the sequence of requests", "[heap]") {
  Arena a(1), b(2);
  void* x = a.heap->allocate(100, Heap::Budget::kApp);
  void* y = b.heap->allocate(200, Heap::Budget::kApp);
  CHECK(a.heap->memhash() != b.heap->memhash());
  a.heap->deallocate(x, 100);
  b.heap->deallocate(y, 200);
  CHECK(a.heap->memhash() != b.heap->memhash());
}

TEST_CASE("a freed small block is handed out again first", "[heap]") {
  Arena a(1);
  void* first = a.heap->allocate(40, Heap::Budget::kApp);
  void* second = a.heap->allocate(40, Heap::Budget::kApp);
  CHECK(second != first);
  uint64_t in_use = a.heap->bytes_in_use();
  a.heap->deallocate(first, 40);
  CHECK(a.heap->bytes_in_use() == in_use - 48);              // the 48-byte class
  CHECK(a.heap->allocate(33, Heap::Budget::kApp) == first);  // same class, LIFO
  CHECK(a.heap->live_allocations() == 2);
}

TEST_CASE("large blocks coalesce with free neighbours and the top", "[heap]") {
  Arena a(1);
  void* p1 = a.heap->allocate(10000, Heap::Budget::kApp);
  void* p2 = a.heap->allocate(20000, Heap::Budget::kApp);
  void* p3 = a.heap->allocate(30000, Heap::Budget::kApp);
  void* guard = a.heap->allocate(5000, Heap::Budget::kApp);  // keeps p3 away from the top
  uint64_t top = a.heap->top_offset();
  a.heap->deallocate(p2, 20000);
  a.heap->deallocate(p1, 10000);
  a.heap->deallocate(p3, 30000);
  // p1, p2 and p3 are one free block now: a request for nearly all of it fits at p1.
  void* merged = a.heap->allocate(60000, Heap::Budget::kApp);
  CHECK(merged == p1);
  CHECK(a.heap->top_offset() == top);
  a.heap->deallocate(merged, 60000);
  a.heap->deallocate(guard, 5000);
  // Everything large was freed, so it all returned to the top.
  CHECK(a.heap->top_offset() == a.heap->offset_of(p1) - 16);
  CHECK(a.heap->bytes_in_use() == 0);
}

TEST_CASE("the high-water mark covers every byte ever handed out, after the top drops",
          "[heap][snapshot]") {
  Arena a(1);
  CHECK(a.heap->high_water_offset() == a.heap->top_offset());
  void* big = a.heap->allocate(1 << 20, Heap::Budget::kApp);
  std::memset(big, 0xab, 1 << 20);
  uint64_t end = a.heap->offset_of(big) + (1 << 20);
  CHECK(a.heap->high_water_offset() >= end);
  a.heap->deallocate(big, 1 << 20);
  CHECK(a.heap->top_offset() < end);          // the block went back to the top...
  CHECK(a.heap->high_water_offset() >= end);  // ...but its bytes are not zero any more
  // Everything at or beyond the mark is still as mapped.
  const auto* region = static_cast<const unsigned char*>(a.region.base());
  for (uint64_t at = a.heap->high_water_offset(); at < a.heap->high_water_offset() + 65536; ++at) {
    REQUIRE(region[at] == 0);
  }
  // Growing in place at the top raises it too.
  void* p = a.heap->allocate(10000, Heap::Budget::kApp);
  void* grown = a.heap->reallocate(p, 10000, 3 << 20, Heap::Budget::kApp);
  CHECK(grown == p);
  CHECK(a.heap->high_water_offset() >= a.heap->offset_of(p) + (3 << 20));
}

TEST_CASE("reallocate grows at the top and shrinks in place", "[heap]") {
  Arena a(1);
  auto* p = static_cast<unsigned char*>(a.heap->allocate(8000, Heap::Budget::kApp));
  std::memset(p, 0xab, 8000);
  void* grown = a.heap->reallocate(p, 8000, 50000, Heap::Budget::kApp);
  CHECK(grown == p);  // it was the last block: it grew into the top
  CHECK(p[7999] == 0xab);
  void* shrunk = a.heap->reallocate(grown, 50000, 9000, Heap::Budget::kApp);
  CHECK(shrunk == p);
  void* moved = a.heap->reallocate(shrunk, 9000, 100, Heap::Budget::kApp);  // to a small class
  CHECK(moved != p);
  CHECK(static_cast<unsigned char*>(moved)[99] == 0xab);
  a.heap->deallocate(moved, 100);
  CHECK(a.heap->bytes_in_use() == 0);
}

TEST_CASE("random traffic never hands out overlapping blocks", "[heap][property]") {
  Arena a(1);
  std::mt19937_64 random(1234);
  std::map<unsigned char*, std::pair<std::size_t, unsigned char>> live;
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(random() % 4);
    if (op == 0 && !live.empty()) {
      auto it = std::next(live.begin(), static_cast<long>(random() % live.size()));
      for (std::size_t i = 0; i < it->second.first; i += 97)
        REQUIRE(it->first[i] == it->second.second);
      a.heap->deallocate(it->first, it->second.first);
      live.erase(it);
    } else if (op == 1 && !live.empty()) {
      auto it = std::next(live.begin(), static_cast<long>(random() % live.size()));
      std::size_t old_size = it->second.first;
      std::size_t new_size = 1 + random() % 20000;
      unsigned char fill = it->second.second;
      auto* q = static_cast<unsigned char*>(
          a.heap->reallocate(it->first, old_size, new_size, Heap::Budget::kApp));
      REQUIRE(q != nullptr);
      for (std::size_t i = 0; i < std::min(old_size, new_size); i += 97) REQUIRE(q[i] == fill);
      live.erase(it);
      std::memset(q, fill, new_size);
      live[q] = {new_size, fill};
    } else {
      std::size_t size = random() % 5 == 0 ? 1 + random() % 70000 : 1 + random() % 300;
      auto* p = static_cast<unsigned char*>(a.heap->allocate(size, Heap::Budget::kApp));
      REQUIRE(p != nullptr);
      auto fill = static_cast<unsigned char>(random());
      std::memset(p, fill, size);
      live[p] = {size, fill};
    }
  }
  unsigned char* end = nullptr;
  for (const auto& [p, info] : live) {
    REQUIRE(p >= end);  // sorted by address: each block starts after the previous one ends
    end = p + info.first;
  }
}

TEST_CASE("an exhausted budget returns null, and the reserve is for the engine only", "[heap]") {
  constexpr uint64_t kSmall = uint64_t{8} << 20;
  Arena a(1, kSmall);
  CHECK(a.heap->reserve_bytes() == uint64_t{1} << 20);
  std::vector<void*> blocks;
  for (;;) {
    void* p = a.heap->allocate(100000, Heap::Budget::kApp);
    if (p == nullptr) break;
    blocks.push_back(p);
  }
  CHECK(a.heap->failed_allocation_count() == 1);
  CHECK(blocks.size() >= 60);
  CHECK(a.heap->allocate(uint64_t{1} << 40, Heap::Budget::kInternal) == nullptr);
  // The engine's own bookkeeping can still allocate from the reserve.
  CHECK(a.heap->allocate(100000, Heap::Budget::kInternal) != nullptr);
  CHECK(a.heap->allocate(600000, Heap::Budget::kInternal) != nullptr);
  // Freed app memory is available to the app again.
  a.heap->deallocate(blocks.back(), 100000);
  CHECK(a.heap->allocate(100000, Heap::Budget::kApp) == blocks.back());
}

TEST_CASE("small size classes touch only what they hand out", "[heap]") {
  Arena a(1, uint64_t{1} << 30);
  for (int i = 0; i < 28; ++i)
    a.heap->allocate(static_cast<std::size_t>(16 + i * 140), Heap::Budget::kApp);
  // One 64 KiB slab per class used; nothing beyond the top has been written.
  CHECK(a.heap->top_offset() < uint64_t{2} << 20);
  CHECK(a.region.resident_bytes() <= uint64_t{256} << 10);
}
