// Snapshots at the C ABI: the region's first snapshot_bytes() bytes are the
// whole engine, a restore from them goes on exactly as the original, restore
// refuses a region it cannot adopt (and says why), and between calls the
// region holds no address of anything outside it and the engine library.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine_test_util.h"

using lx::test::ScriptedDriver;

namespace {

// Channels, tables keyed by channels, sorting, random draws, string
// building, coroutines, caught errors, garbage: state of every kind.
const char* const kStatefulApp = R"lua(
local seen, words, log = {}, {}, {}
local gen = coroutine.wrap(function() local i = 0 while true do i = i + 1 coroutine.yield(i) end end)
function update()
  local ch = lx.accept()
  while ch do seen[ch] = 0 ; ch = lx.accept() end
  for c, n in pairs(seen) do
    local line = c:readline()
    while line do
      seen[c] = n + 1
      words[line] = (words[line] or 0) + 1
      local keys = {}
      for k in pairs(words) do keys[#keys + 1] = k end
      table.sort(keys)
      local ok, err = pcall(error, "bad " .. line)
      log[#log + 1] = string.format("%s %d %s", line, gen(), tostring(err))
      if #log > 50 then log = {} ; collectgarbage("step") end
      c:write(table.concat(keys, ",") .. " " .. lx.random(1000) .. " " .. string.rep(line, 3) .. "\n")
      line = c:readline()
    end
    if c:closed() then seen[c] = nil ; c:close() end
  end
end
)lua";

// Step i of a fixed script (i from 1): one event, and every fifth step also
// the drain of all output (more events), returning a line with the result,
// the output and the figures after it.
std::string play(ScriptedDriver& d, int i) {
  std::string what;
  if (i == 1) {
    what = "clock " + std::to_string(d.set_clock(1700000000.0));
  } else if (i == 2) {
    what = "source " + std::to_string(d.set_source({{"main.lua", kStatefulApp}}));
  } else if (i % 17 == 3) {
    what = "accept " + std::to_string(d.accept(8000));
  } else if (i % 7 == 0) {
    what = "update " + std::to_string(d.update());
  } else if (i % 29 == 0 && d.listed(1)) {
    what = "close " + std::to_string(d.close(1));
  } else {
    std::vector<int32_t> chids = d.channels();
    int32_t chid = chids.size() > 1 ? chids[1 + i % (chids.size() - 1)] : 0;
    static const char* const kLines[] = {"apple\n", "pear\r\nplum\n", "fig\n", "kiwi\n"};
    what = "recv " + std::to_string(d.recv(chid, kLines[i % 4]));
  }
  std::string out;
  if (i % 5 == 0) {
    for (auto& run : d.drain()) out += std::to_string(run.first) + ":" + run.second;
  }
  return what + " | " + out + " | " + std::to_string(d.events()) + " " +
         std::to_string(d.memhash()) + " " + std::to_string(d.outhash()) + " " +
         std::to_string(d.heap_bytes());
}

ScriptedDriver::Options small_options() {
  ScriptedDriver::Options options;
  options.heap_bytes = uint64_t{64} << 20;
  return options;
}

// The snapshot of the engine after events 1..k of play().
std::vector<uint8_t> snapshot_after(int k, ScriptedDriver::Options options = small_options()) {
  ScriptedDriver d(options);
  for (int i = 1; i <= k; ++i) play(d, i);
  return d.snapshot();
}

struct Restored {
  int code = 0;
  std::string error;
};

// Maps a region at base of bytes, copies snapshot in and calls restore.
Restored try_restore(const std::vector<uint8_t>& snapshot, uintptr_t base, uint64_t bytes,
                     uint64_t seed) {
  const lx_engine_wrapper* api = lx_engine_api();
  lx::test::Region region(base, bytes);
  if (!snapshot.empty()) std::memcpy(region.base(), snapshot.data(), snapshot.size());
  lx_engine_config config{};
  config.struct_size = sizeof(config);
  config.heap_base = region.base();
  config.heap_bytes = bytes;
  config.seed = seed;
  lx_engine* engine = reinterpret_cast<lx_engine*>(&config);  // must be cleared on failure
  char error[512] = {0};
  Restored result;
  result.code = api->restore(&config, &engine, error, sizeof(error));
  result.error = error;
  if (result.code == LX_OK) {
    api->destroy(engine);
  } else {
    CHECK(engine == nullptr);
  }
  return result;
}

}  // namespace

TEST_CASE("a restored engine goes on exactly as the one that took the snapshot", "[snapshot]") {
  const int kEvents = 160;
  int k = GENERATE(2, 3, 9, 40, 77, 120, 159);
  CAPTURE(k);
  std::vector<uint8_t> snapshot;
  uint64_t events_at_snapshot = 0;
  std::vector<std::string> straight;
  {
    ScriptedDriver d(small_options());
    for (int i = 1; i <= kEvents; ++i) {
      if (i == k + 1) {
        snapshot = d.snapshot();
        events_at_snapshot = d.events();
      }
      std::string line = play(d, i);
      if (i > k) straight.push_back(line);
    }
  }  // the region is unmapped: the restore gets a fresh one at the same base
  ScriptedDriver r(small_options(), snapshot);
  CHECK(r.events() == events_at_snapshot);
  CHECK(r.snapshot() == snapshot);  // adopting changes nothing
  std::vector<std::string> resumed;
  for (int i = k + 1; i <= kEvents; ++i) resumed.push_back(play(r, i));
  REQUIRE(resumed.size() == straight.size());
  for (size_t j = 0; j < resumed.size(); ++j) {
    CAPTURE(k + 1 + j);
    REQUIRE(resumed[j] == straight[j]);
  }
}

TEST_CASE("snapshot_bytes is a query and never shrinks", "[snapshot]") {
  auto d = lx::test::start_app(
      "big = nil\nfunction update() big = big and nil or string.rep('x', 5000000) end", {},
      small_options());
  uint64_t before = d->snapshot_bytes();
  for (int i = 0; i < 10; ++i) CHECK(d->snapshot_bytes() == before);
  CHECK(d->events() == 1);
  REQUIRE(d->update() == LX_OK);  // 5 MB at the top of the heap
  uint64_t grown = d->snapshot_bytes();
  CHECK(grown > before + 5000000);
  REQUIRE(d->update() == LX_OK);  // dropped (and collected, at some point)
  REQUIRE(d->set_source({{"main.lua", "big = nil collectgarbage() function update() end"}}) ==
          LX_OK);
  // Bytes the heap handed out once stay in the snapshot: they are not zero
  // any more, and a fresh region would be.
  CHECK(d->snapshot_bytes() >= grown);
}

TEST_CASE("restore refuses a region it cannot adopt, saying what to do", "[snapshot]") {
  ScriptedDriver::Options options = small_options();
  std::vector<uint8_t> good = snapshot_after(30, options);
  uintptr_t base = options.base;
  uint64_t bytes = options.heap_bytes;
  uint64_t seed = options.seed;

  SECTION("the snapshot itself restores") {
    CHECK(try_restore(good, base, bytes, seed).code == LX_OK);
  }
  SECTION("a fresh region") {
    Restored r = try_restore({}, base, bytes, seed);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK_THAT(r.error, Catch::StartsWith("restore: the region does not start with an engine "
                                          "snapshot (bad magic"));
  }
  SECTION("another engine build") {
    std::vector<uint8_t> other = good;
    std::string id(reinterpret_cast<const char*>(&other[64]));
    other[64 + id.size() - 1] ^= 1;  // the last digit of "lxengine-<digest>"
    std::string other_id(reinterpret_cast<const char*>(&other[64]));
    Restored r = try_restore(other, base, bytes, seed);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK(r.error == "restore: the snapshot was taken by engine build " + other_id +
                         ", this engine is build " + lx_engine_api()->build_id +
                         "; restore it with the engine library of build " + other_id);
  }
  SECTION("another base") {
    Restored r = try_restore(good, lx::test::region_base(3), bytes, seed);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK_THAT(r.error, Catch::Contains("; map the region at 0x200000000000"));
  }
  SECTION("another size") {
    Restored r = try_restore(good, base, bytes * 2, seed);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK_THAT(r.error, Catch::Contains("map a region of 67108864 bytes"));
  }
  SECTION("another seed") {
    Restored r = try_restore(good, base, bytes, seed + 1);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK_THAT(r.error, Catch::Contains("created with seed 42, the config says 43"));
  }
  SECTION("the engine's code elsewhere") {
    std::vector<uint8_t> moved = good;
    moved[41] ^= 0x10;  // code_address, as if the library had loaded 4 KiB away
    Restored r = try_restore(moved, base, bytes, seed);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK_THAT(r.error, Catch::Contains("load the engine library at the address it was linked at"));
  }
  SECTION("a damaged engine offset") {
    std::vector<uint8_t> damaged = good;
    damaged[48] ^= 0x40;
    Restored r = try_restore(damaged, base, bytes, seed);
    CHECK(r.code == LX_ERR_SNAPSHOT);
    CHECK_THAT(r.error, Catch::Contains("the snapshot is damaged"));
  }
  SECTION("a bad config") {
    const lx_engine_wrapper* api = lx_engine_api();
    lx_engine* engine = nullptr;
    char error[128] = {0};
    CHECK(api->restore(nullptr, &engine, error, sizeof(error)) == LX_ERR_ARGUMENT);
    CHECK_THAT(std::string(error), Catch::StartsWith("restore: config and out"));
  }
}

TEST_CASE("a failed engine restores failed, with its reason", "[snapshot][heap]") {
  ScriptedDriver::Options options;
  options.heap_bytes = uint64_t{8} << 20;
  std::vector<uint8_t> snapshot;
  std::string reason;
  {
    ScriptedDriver d(options);
    CHECK(d.recv(0, std::string(uint64_t{9} << 20, 'x')) == LX_ERR_NO_MEMORY);
    CHECK(d.set_clock(1) == LX_ERR_FAILED);
    reason = d.last_error();
    snapshot = d.snapshot();
  }
  ScriptedDriver r(options, snapshot);
  CHECK(r.last_error().empty());  // last_error belongs to the handle
  CHECK(r.set_clock(2) == LX_ERR_FAILED);
  CHECK(r.last_error() == reason);  // the failure's reason is state
  CHECK(r.events() == 3);
}

TEST_CASE("pending log lines stay with the handle that queued them", "[snapshot]") {
  std::vector<uint8_t> snapshot;
  {
    auto d = lx::test::start_app("lx.log('started')\nfunction update() lx.log('tick') end", {},
                                 small_options());
    REQUIRE(d->update() == LX_OK);
    snapshot = d->snapshot();
    CHECK(d->logs() == std::vector<std::string>{"started", "tick"});
  }
  ScriptedDriver r(small_options(), snapshot);
  CHECK(r.logs().empty());
  REQUIRE(r.update() == LX_OK);
  CHECK(r.logs() == std::vector<std::string>{"tick"});
}

namespace {

struct Mapping {
  uint64_t start, end;
  std::string name;
};

// The mappings of this process that the region must never point into: the
// stacks, the malloc heap, and every file mapped but the engine library.
std::vector<Mapping> foreign_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::vector<Mapping> out;
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    std::string range, perms, offset, device, inode, name;
    in >> range >> perms >> offset >> device >> inode;
    std::getline(in >> std::ws, name);
    bool file = !name.empty() && name[0] == '/';
    if (name != "[stack]" && name != "[heap]" && !file) continue;
    if (file && name.find("liblxengine") != std::string::npos) continue;
    size_t dash = range.find('-');
    out.push_back({std::stoull(range.substr(0, dash), nullptr, 16),
                   std::stoull(range.substr(dash + 1), nullptr, 16), name});
  }
  return out;
}

}  // namespace

TEST_CASE(
    "between calls the region holds no address of the stack, the malloc heap or another "
    "library",
    "[snapshot][determinism]") {
  ScriptedDriver d(small_options());
  for (int i = 1; i <= 200; ++i) play(d, i);
  d.logs();
  std::vector<uint8_t> bytes = d.snapshot();
  std::vector<Mapping> foreign = foreign_mappings();
  REQUIRE(foreign.size() > 2);
  std::vector<std::string> found;
  for (size_t at = 0; at + 8 <= bytes.size(); at += 8) {
    uint64_t word;
    std::memcpy(&word, &bytes[at], 8);
    for (const Mapping& m : foreign) {
      if (word >= m.start && word < m.end && found.size() < 20) {
        char text[160];
        std::snprintf(text, sizeof(text), "offset %#zx holds %#llx, inside %s", at,
                      static_cast<unsigned long long>(word), m.name.c_str());
        found.emplace_back(text);
      }
    }
  }
  std::string report;
  for (const std::string& f : found) report += f + "\n";
  INFO(report);
  CHECK(found.empty());
}
