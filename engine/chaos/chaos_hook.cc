// The one flaw of liblxengine_chaos.so: process-dependent state on the
// deterministic heap at the 100th update, which memhash must catch.
#include "chaos/chaos_hook.h"

#include <cstddef>

#include "heap.h"

namespace lx::engine {

void chaos_before_update(Heap& heap, uint64_t update_number) noexcept {
  if (update_number != kChaosUpdateNumber) return;
  volatile unsigned char marker = 0;
  auto address = reinterpret_cast<uintptr_t>(&marker);
  // The stack's place moves with ASLR at page and sub-page granularity; mix
  // both so two processes almost never pick the same size.
  std::size_t size = 16 + static_cast<std::size_t>(((address >> 4) ^ (address >> 12)) % 4080);
  // Kept on purpose: the block stays in use until the engine is destroyed.
  (void)heap.allocate(size, Heap::Budget::kInternal);
  marker = 1;
}

}  // namespace lx::engine
