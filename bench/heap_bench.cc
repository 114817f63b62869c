// heap_bench: the engine's deterministic heap against glibc malloc behind the
// same lua_Alloc interface, on one allocation-heavy Lua script (tables,
// strings, concatenation, garbage). The same Lua build (lx_lua, fixed seed),
// the same script; only the allocator differs. The engine is not changed: the
// benchmark links lx_engine_core for its Heap and gives it to lua_newstate
// exactly as engine/lua_sandbox.cc does.
//
//   heap_bench [--quick] [--json] [--iterations N]
//   heap_bench --only heap|malloc [--iterations N]     (one run, for callgrind)
#include <fmt/format.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.h"
#include "heap.h"

namespace {

using lx::bench::median;
using lx::bench::SteadyClock;
using lx::engine::Heap;

constexpr uint64_t kRegionBytes = uint64_t{4} << 30;  // reserved, touched only as used

// The engine's allocator function (engine/lua_sandbox.cc, heap_alloc).
void* heap_alloc(void* ud, void* block, size_t old_size, size_t new_size) noexcept {
  Heap* heap = static_cast<Heap*>(ud);
  if (new_size == 0) {
    heap->deallocate(block, old_size);
    return nullptr;
  }
  if (block == nullptr) return heap->allocate(new_size, Heap::Budget::kApp);
  return heap->reallocate(block, old_size, new_size, Heap::Budget::kApp);
}

// Lua's own allocator (lauxlib.c, l_alloc): glibc realloc and free.
void* malloc_alloc(void*, void* block, size_t, size_t new_size) noexcept {
  if (new_size == 0) {
    std::free(block);
    return nullptr;
  }
  return std::realloc(block, new_size);
}

// Allocation-heavy and typical of a server: short-lived request tables and
// strings, a bounded set of live objects that churns, and bursts of
// concatenation. Returns a checksum so both allocators are seen to agree.
constexpr const char* kScript = R"lua(
local n = ...
local keep = {}
local acc = 0
for i = 1, n do
  local request = { id = i, path = "/items/" .. i, headers = { host = "example.org", n = i } }
  keep[i % 4096 + 1] = request
  local line = string.format("%d %s %s", i, request.path, request.headers.host)
  acc = acc + #line
  if i % 64 == 0 then
    local parts = {}
    for j = 1, 32 do parts[j] = line .. j end
    acc = acc + #table.concat(parts, ",")
  end
end
return acc
)lua";

struct Run {
  double seconds = 0;
  long long checksum = 0;
};

Run run_script(bool use_heap, long long iterations) {
  void* region = nullptr;
  Heap* heap = nullptr;
  if (use_heap) {
    region = ::mmap(nullptr, kRegionBytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
      fmt::print(stderr, "heap_bench: error: cannot map a {} GiB region; free memory\n",
                 kRegionBytes >> 30);
      std::exit(4);
    }
    heap = Heap::create_in(region, kRegionBytes);
  }
  const auto start = SteadyClock::now();
  lua_State* L = use_heap ? lua_newstate(heap_alloc, heap) : lua_newstate(malloc_alloc, nullptr);
  // The libraries the engine's sandbox builds on (lx_lua has no linit.c).
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  lua_settop(L, 0);
  Run run;
  if (luaL_loadstring(L, kScript) != LUA_OK) {
    fmt::print(stderr, "heap_bench: error: {}\n", lua_tostring(L, -1));
    std::exit(70);
  }
  lua_pushinteger(L, iterations);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fmt::print(stderr, "heap_bench: error: the script failed: {}\n", lua_tostring(L, -1));
    std::exit(70);
  }
  run.checksum = static_cast<long long>(lua_tointeger(L, -1));
  lua_close(L);
  run.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (region != nullptr) ::munmap(region, kRegionBytes);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  lx::bench::CommonFlags flags;
  long long iterations = 0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (lx::bench::take_common_flag(argc, argv, i, &flags)) continue;
    const std::string_view arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      iterations = std::atoll(argv[++i]);
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      fmt::print(stderr,
                 "heap_bench: error: unknown argument {}; usage: heap_bench [--quick] [--json] "
                 "[--iterations N] [--only heap|malloc]\n",
                 arg);
      return 2;
    }
  }
  const bool quick = flags.quick, json = flags.json;
  if (iterations <= 0) iterations = quick ? 200000 : 500000;
  if (!only.empty()) {
    if (only != "heap" && only != "malloc") {
      fmt::print(stderr, "heap_bench: error: --only {}: use heap or malloc\n", only);
      return 2;
    }
    const Run run = run_script(only == "heap", iterations);
    fmt::print("{}: {:.3f} s, checksum {}\n", only, run.seconds, run.checksum);
    return 0;
  }
  const int rounds = quick ? 3 : 7;
  std::vector<double> heap_s, malloc_s;
  long long heap_sum = 0, malloc_sum = 0;
  for (int r = 0; r < rounds; ++r) {
    const Run h = run_script(true, iterations);
    const Run m = run_script(false, iterations);
    heap_s.push_back(h.seconds);
    malloc_s.push_back(m.seconds);
    heap_sum = h.checksum;
    malloc_sum = m.checksum;
  }
  if (heap_sum != malloc_sum) {
    fmt::print(stderr, "heap_bench: error: the script's checksum differs: heap {} malloc {}\n",
               heap_sum, malloc_sum);
    return 70;
  }
  if (json) {
    fmt::print(
        "{{\"bench\": \"heap\", \"iterations\": {}, \"rounds\": {}, \"heap_s\": {:.4f}, "
        "\"malloc_s\": {:.4f}}}\n",
        iterations, rounds, median(heap_s), median(malloc_s));
  } else {
    fmt::print("heap_bench: {} iterations, {} rounds each (heap, malloc alternating), medians\n",
               iterations, rounds);
    fmt::print(
        "deterministic heap  {:.3f} s\nglibc malloc        {:.3f} s\nmalloc/heap         "
        "{:.2f} (above 1: the heap is faster)\n",
        median(heap_s), median(malloc_s), median(malloc_s) / median(heap_s));
  }
  return 0;
}
