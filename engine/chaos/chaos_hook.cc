// The flaws of liblxengine_chaos.so: process-dependent state on the
// deterministic heap at the 100th update, which memhash must catch; a value
// changed in place, which only a snapshot's state hash catches; a crash.
#include "chaos/chaos_hook.h"

#include <lua.h>

#include <cstddef>

#include "heap.h"

namespace lx::engine {

void chaos_before_update(Heap& heap, uint64_t update_number) noexcept {
  if (update_number != kChaosUpdateNumber) return;
  volatile unsigned char marker = 0;
  auto address = reinterpret_cast<uintptr_t>(&marker);
  // The stack's place moves with ASLR (about 30 random bits on x86-64). Mix
  // them all into a size from 16 bytes to 1 MiB, so two processes pick the
  // same size about once in a million pairs.
  uint64_t mixed = static_cast<uint64_t>(address) * 0x9E3779B97F4A7C15ull;
  mixed ^= mixed >> 29;
  std::size_t size = 16 + static_cast<std::size_t>(mixed % (uint64_t{1} << 20));
  // Kept on purpose: the block stays in use until the engine is destroyed.
  (void)heap.allocate(size, Heap::Budget::kInternal);
  marker = 1;
}

void chaos_on_log_in(lua_State* L, std::string_view line) noexcept {
  if (line != kChaosScribbleLine) return;
  if (lua_getglobal(L, kChaosScribbleGlobal) != LUA_TNUMBER) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  volatile unsigned char marker = 0;
  // An integer in an existing slot: the table neither grows nor allocates.
  lua_pushinteger(L, static_cast<lua_Integer>(reinterpret_cast<uintptr_t>(&marker) >> 4));
  lua_setglobal(L, kChaosScribbleGlobal);
  marker = 1;
}

void chaos_on_log(std::string_view line) noexcept {
  if (line != kChaosCrashLine) return;
  // volatile, so the compiler can neither see the address nor drop the store.
  static volatile uintptr_t bad_address = 16;
  *reinterpret_cast<volatile int*>(bad_address) = 1;
}

}  // namespace lx::engine
