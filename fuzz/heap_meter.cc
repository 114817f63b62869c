// Heap accounting for the log_reader fuzzer, and a cache of large blocks:
// ASan's allocator maps every block over 128 KiB afresh and unmaps it when
// freed, so each reader's 1.25 MiB input window, zstd window and record
// buffer cost page faults on every input (two thirds of the fuzzer's time
// under perf; a mutated frame header asks for a 32 MiB window). This
// operator new keeps freed blocks of 64 KiB to 40 MiB (in 64 KiB steps, 192
// MiB in all) and hands them out again, poisoned while free and past the
// size asked for, so ASan still reports overflows and uses after free there.
#include "heap_meter.h"

#include <sanitizer/allocator_interface.h>
#include <sanitizer/asan_interface.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace lx::fuzz {
namespace {

constexpr size_t kLargeBytes = size_t{64} << 10;
constexpr size_t kMaxCachedBytes = size_t{40} << 20;
constexpr size_t kCachedBlocks = 32;
constexpr size_t kMaxCachedTotalBytes = size_t{192} << 20;

std::atomic<int64_t> live{0};
std::atomic<int64_t> peak{0};
// Set around the cache's own malloc and free, which the hooks must not count
// (volatile: the compiler knows malloc and free and would drop plain stores).
thread_local volatile bool quiet = false;

struct Block {
  void* p = nullptr;
  size_t bytes = 0;
};
Block cache[kCachedBlocks];
size_t cached_bytes = 0;
size_t next_evicted = 0;
std::atomic_flag cache_lock = ATOMIC_FLAG_INIT;

class CacheLock {
 public:
  CacheLock() {
    while (cache_lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~CacheLock() { cache_lock.clear(std::memory_order_release); }
};

void add(int64_t bytes) {
  const int64_t now = live.fetch_add(bytes) + bytes;
  int64_t most = peak.load(std::memory_order_relaxed);
  while (now > most && !peak.compare_exchange_weak(most, now)) {
  }
}

void on_malloc(const volatile void*, size_t bytes) {
  if (!quiet) add(static_cast<int64_t>(bytes));
}

void on_free(const volatile void* p) {
  if (quiet || p == nullptr || !__sanitizer_get_ownership(p)) return;
  add(-static_cast<int64_t>(__sanitizer_get_allocated_size(p)));
}

void* quiet_malloc(size_t bytes) {
  quiet = true;
  void* p = std::malloc(bytes);
  quiet = false;
  return p;
}

void quiet_free(void* p, size_t bytes) {
  __asan_unpoison_memory_region(p, bytes);
  quiet = true;
  std::free(p);
  quiet = false;
}

void* take_cached(size_t bytes) {
  CacheLock lock;
  for (Block& block : cache) {
    if (block.p != nullptr && block.bytes == bytes) {
      void* p = block.p;
      block = Block{};
      cached_bytes -= bytes;
      return p;
    }
  }
  return nullptr;
}

void keep_cached(void* p, size_t bytes) {
  __asan_poison_memory_region(p, bytes);
  Block evicted[kCachedBlocks];
  size_t evicted_count = 0;
  {
    CacheLock lock;
    // Evict the oldest blocks until there is a slot and room for this one.
    for (;;) {
      Block* slot = nullptr;
      for (Block& block : cache) {
        if (block.p == nullptr) {
          slot = &block;
          break;
        }
      }
      if (slot != nullptr && cached_bytes + bytes <= kMaxCachedTotalBytes) {
        *slot = Block{p, bytes};
        cached_bytes += bytes;
        break;
      }
      Block& oldest = cache[next_evicted];
      next_evicted = (next_evicted + 1) % kCachedBlocks;
      if (oldest.p == nullptr) continue;
      cached_bytes -= oldest.bytes;
      evicted[evicted_count++] = oldest;
      oldest = Block{};
    }
  }
  for (size_t i = 0; i < evicted_count; ++i) quiet_free(evicted[i].p, evicted[i].bytes);
}

void* allocate(size_t n) {
  if (n < kLargeBytes || n > kMaxCachedBytes) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const size_t bytes = (n + kLargeBytes - 1) / kLargeBytes * kLargeBytes;
  void* p = take_cached(bytes);
  if (p == nullptr) p = quiet_malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  __asan_unpoison_memory_region(p, n);
  if (bytes > n) __asan_poison_memory_region(static_cast<char*>(p) + n, bytes - n);
  add(static_cast<int64_t>(bytes));
  return p;
}

void deallocate(void* p) {
  if (p == nullptr) return;
  const size_t bytes = __sanitizer_get_allocated_size(p);
  if (bytes < kLargeBytes || bytes > kMaxCachedBytes) {
    std::free(p);
    return;
  }
  add(-static_cast<int64_t>(bytes));
  keep_cached(p, bytes);
}

}  // namespace

void heap_meter_start() { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
int64_t heap_live_bytes() { return live.load(); }
int64_t heap_peak_bytes() { return peak.load(); }
void heap_peak_reset() { peak.store(live.load()); }

}  // namespace lx::fuzz

void* operator new(size_t n) { return lx::fuzz::allocate(n); }
void* operator new[](size_t n) { return lx::fuzz::allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return lx::fuzz::allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p) noexcept { lx::fuzz::deallocate(p); }
void operator delete[](void* p) noexcept { lx::fuzz::deallocate(p); }
void operator delete(void* p, size_t) noexcept { lx::fuzz::deallocate(p); }
void operator delete[](void* p, size_t) noexcept { lx::fuzz::deallocate(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { lx::fuzz::deallocate(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { lx::fuzz::deallocate(p); }
