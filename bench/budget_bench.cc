// What the instruction budget costs: the same update() in two engines, one
// created without a budget and one with lxrun's default, timed turn about
// (A B A B ...), medians and their ratio printed. The count hook makes Lua
// check a counter at every VM instruction, so this is the price of
// containing runaway apps. Prints numbers; not a test.
//
// Run: build/bin/budget_bench [SAMPLES_DIR] [ROUNDS]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lx/engine_api.h"
#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/source_blob.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Workload {
  const char* name;
  std::string main_lua;  // empty: the http sample, fed pipelined requests
};

// One engine running one workload.
struct Side {
  std::unique_ptr<lx::host::HeapRegion> region;
  std::unique_ptr<lx::host::Engine> engine;
  int32_t chid = -1;
};

std::vector<uint8_t> blob_of(const Workload& w, const std::string& samples) {
  if (w.main_lua.empty()) {
    auto blob = lx::host::read_app_dir(samples + "/http", {});
    if (!blob.ok()) throw std::runtime_error(blob.status().message());
    return std::move(blob).value();
  }
  std::vector<lx::host::SourceFile> files = {
      {"main.lua", std::vector<uint8_t>(w.main_lua.begin(), w.main_lua.end())}};
  auto blob = lx::host::SourceBlob::encode(files, {});
  if (!blob.ok()) throw std::runtime_error(blob.status().message());
  return std::move(blob).value();
}

Side make_side(const lx::host::EngineLibrary& library, uint64_t base, uint64_t budget,
               const std::vector<uint8_t>& blob, bool http) {
  Side side;
  auto region = lx::host::HeapRegion::reserve(base, uint64_t{4} << 30);
  if (!region.ok()) throw std::runtime_error(region.status().message());
  side.region = std::make_unique<lx::host::HeapRegion>(std::move(region).value());
  auto engine = lx::host::Engine::create(library, *side.region, 1, {budget, 0});
  if (!engine.ok()) throw std::runtime_error(engine.status().message());
  side.engine = std::move(engine).value();
  side.engine->set_clock(1.7e9);
  if (side.engine->set_lua_source(blob) != LX_OK) {
    throw std::runtime_error(std::string(side.engine->last_error()));
  }
  if (http) side.chid = side.engine->notify_accept(8080);
  return side;
}

// One update() with its input, then the output drained; returns seconds.
double turn(Side& side, const std::string& requests) {
  Clock::time_point start = Clock::now();
  if (side.chid > 0) {
    side.engine->recv_incoming(
        side.chid, {reinterpret_cast<const uint8_t*>(requests.data()), requests.size()});
  }
  int code = side.engine->invoke_event_update();
  if (code != LX_OK) throw std::runtime_error(std::string(side.engine->last_error()));
  for (int32_t chid : side.engine->channels()) {
    for (;;) {
      std::span<const uint8_t> run = side.engine->peek_outgoing(chid);
      if (run.empty()) break;
      side.engine->sent_outgoing(chid, run.size());
    }
  }
  side.engine->drain_log([](std::string_view) {});
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string samples = argc > 1 ? argv[1] : "samples";
  int rounds = argc > 2 ? std::stoi(argv[2]) : 21;
  auto library = lx::host::EngineLibrary::open(lx::host::EngineLibrary::default_path());
  if (!library.ok()) {
    fmt::print(stderr, "budget_bench: error: {}\n", library.status().message());
    return 4;
  }
  const std::vector<Workload> workloads = {
      {"arithmetic loop", "function update() local s = 0 for i = 1, 3e6 do s = s + i % 7 end end"},
      {"tables and strings", R"lua(
        function update()
          local t, n = {}, 0
          for i = 1, 30000 do t["key" .. i] = string.rep("v", i % 17) .. i end
          for k, v in pairs(t) do n = n + #v + #k end
          local parts = {}
          for i = 1, 20000 do parts[#parts + 1] = string.format("%d:%s", i, "x") end
          return table.concat(parts, ","):gsub("x", "y")
        end)lua"},
      {"samples/http, 400 pipelined GETs", ""},
  };
  std::string requests;
  for (int i = 0; i < 400; ++i) requests += "GET /stats HTTP/1.1\r\nHost: bench\r\n\r\n";
  fmt::print("budget_bench: {} rounds each, budget {} against none (ratio > 1: slower)\n", rounds,
             LX_DEFAULT_INSTRUCTION_BUDGET);
  fmt::print("{:<36} {:>14} {:>14} {:>8}\n", "workload", "no budget ms", "budget ms", "ratio");
  uint64_t base = lx::host::HeapRegion::kDefaultHeapBase;
  for (const Workload& w : workloads) {
    std::vector<uint8_t> blob = blob_of(w, samples);
    bool http = w.main_lua.empty();
    Side off = make_side(*library.value(), base, 0, blob, http);
    Side on = make_side(*library.value(), base + (uint64_t{1} << 40), LX_DEFAULT_INSTRUCTION_BUDGET,
                        blob, http);
    turn(off, requests);  // warm up both
    turn(on, requests);
    std::vector<double> off_s, on_s;
    for (int r = 0; r < rounds; ++r) {  // A B A B ...
      off_s.push_back(turn(off, requests));
      on_s.push_back(turn(on, requests));
    }
    double a = median(off_s) * 1e3, b = median(on_s) * 1e3;
    fmt::print("{:<36} {:>14.3f} {:>14.3f} {:>8.2f}\n", w.name, a, b, b / a);
  }
  return 0;
}
