// snapshot_stall: how long taking a snapshot stalls the thread that serves
// (SnapshotTaker::start, a fork) for heaps of 1 MB, 100 MB and 1 GiB in use,
// median and p99, against copying the same bytes in place (Engine::snapshot);
// what the copy-on-write faults cost an event while the child runs; and how
// fast the child streams. Prints numbers; not a test.
//
//   snapshot_stall [--engine PATH] [--sizes-mib 1,100,1024] [--counts 300,100,20]
//                  [--level 1] [--touch 2000] [--small-pages]
//
// By default the region asks for transparent huge pages
// (HeapRegion::advise_huge_pages), as a recording with snapshots should:
// fork then copies one page-table entry per 2 MiB instead of per 4 KiB.
// --small-pages measures without.
#include <fcntl.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/snapshot_taker.h"
#include "lx/host/source_blob.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// CPU time of this thread, in ms: the stall without the time spent waiting
// for a CPU on a busy machine.
double thread_cpu_ms() {
  timespec t;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// "nums N" makes an array of N numbers that "touch K" writes K random slots
// of, in place, dirtying pages the way a serving app does; "blob" adds a
// 1 MiB string (a fresh 64 KiB random pattern every 16, so zstd has work).
const char* const kApp = R"lua(
local blobs, nums, base = {}, {}, nil
function update()
  local ch = lx.accept()
  while ch do
    local cmd, arg = ch:readline():match("^(%a+) ?(%d*)")
    if cmd == "nums" then
      for i = 1, tonumber(arg) do nums[i] = i end
    elseif cmd == "blob" then
      if #blobs % 16 == 0 then
        local parts = {}
        for i = 1, 8192 do parts[i] = string.format("%08x", lx.random(0x7fffffff)) end
        base = table.concat(parts)
      end
      blobs[#blobs + 1] = base:rep(16)
    elseif cmd == "touch" then
      local n = #nums
      for i = 1, tonumber(arg) do local j = lx.random(n); nums[j] = nums[j] + 1 end
    end
    ch:close()
    ch = lx.accept()
  end
end
)lua";

void command(lx::host::Engine& engine, const std::string& line) {
  int32_t chid = engine.notify_accept(9);
  std::string text = line + "\n";
  engine.recv_incoming(chid, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  if (engine.invoke_event_update() != LX_OK) {
    std::fprintf(stderr, "snapshot_stall: error: the app failed: %s\n",
                 std::string(engine.last_error()).c_str());
    std::exit(1);
  }
}

struct Stats {
  double median = 0, p99 = 0, max = 0;
};

Stats stats_of(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Stats s;
  s.median = samples[samples.size() / 2];
  size_t p99 = (samples.size() * 99 + 99) / 100;
  s.p99 = samples[std::min(samples.size(), p99) - 1];
  s.max = samples.back();
  return s;
}

std::vector<uint64_t> numbers(const std::string& text) {
  std::vector<uint64_t> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t comma = text.find(',', at);
    out.push_back(std::stoull(text.substr(at, comma - at)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

template <typename T>
T must(lx::Result<T> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "snapshot_stall: error: %s\n", result.status().message().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

}  // namespace

int main(int argc, char** argv) {
  std::string engine_path = lx::host::EngineLibrary::default_path();
  std::vector<uint64_t> sizes = {1, 100, 1024}, counts = {300, 100, 20};
  int level = 1;
  uint64_t touch = 2000;
  bool huge_pages = true;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--small-pages") {
      huge_pages = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) break;
    std::string value = argv[i + 1];
    if (flag == "--engine") engine_path = value;
    if (flag == "--sizes-mib") sizes = numbers(value);
    if (flag == "--counts") counts = numbers(value);
    if (flag == "--level") level = std::atoi(value.c_str());
    if (flag == "--touch") touch = std::stoull(value);
  }
  if (counts.size() < sizes.size()) counts.resize(sizes.size(), counts.back());
  auto library = must(lx::host::EngineLibrary::open(engine_path));
  auto blob = must(lx::host::SourceBlob::encode(
      {{"main.lua", std::vector<uint8_t>(kApp, kApp + std::char_traits<char>::length(kApp))}}, {}));
  int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  lx::host::SnapshotTaker::Options options;
  options.zstd_level = level;
  auto taker = must(lx::host::SnapshotTaker::create(options));

  fmt::print(
      "snapshot stall: fork (SnapshotTaker::start) against a copy in place "
      "(Engine::snapshot); {} pages, zstd level {}, child writes to /dev/null\n",
      huge_pages ? "huge (2 MiB)" : "small (4 KiB)", level);
  fmt::print("{:>9} {:>5} | {:>9} {:>9} {:>9} | {:>9} {:>9} | {:>9} {:>9} | {:>9} {:>9} | {:>6}\n",
             "snapshot", "runs", "fork med", "fork p99", "fork max", "cpu med", "cpu p99",
             "copy med", "copy/fork", "event", "event+CoW", "child MB/s");
  for (size_t s = 0; s < sizes.size(); ++s) {
    auto region = must(lx::host::HeapRegion::reserve());
    if (huge_pages) {
      lx::Status advised = region.advise_huge_pages();
      if (!advised.ok()) std::fprintf(stderr, "snapshot_stall: %s\n", advised.message().c_str());
    }
    auto engine = must(lx::host::Engine::create(*library, region, 1));
    engine->set_clock(1700000000.0);
    engine->set_lua_source(blob);
    command(*engine, "nums 65536");  // 1 MiB of array slots to touch
    while (engine->snapshot_bytes() < sizes[s] << 20) command(*engine, "blob");
    uint64_t used = engine->snapshot_bytes();

    std::vector<double> stall_ms, stall_cpu_ms, copy_ms, event_ms, cow_event_ms, child_mbps;
    for (uint64_t run = 0; run < counts[s]; ++run) {
      auto start = Clock::now();
      double cpu_start = thread_cpu_ms();
      must(taker->start(*engine, null_fd));
      stall_cpu_ms.push_back(thread_cpu_ms() - cpu_start);
      stall_ms.push_back(ms_since(start));
      // The same event with the child alive (copy-on-write faults) ...
      start = Clock::now();
      command(*engine, fmt::format("touch {}", touch));
      cow_event_ms.push_back(ms_since(start));
      lx::Status done = taker->wait();
      double child_ms = ms_since(start);
      if (!done.ok()) {
        std::fprintf(stderr, "snapshot_stall: error: %s\n", done.message().c_str());
        return 1;
      }
      child_mbps.push_back(static_cast<double>(used) / 1e6 / (child_ms / 1e3));
      // ... and without.
      start = Clock::now();
      command(*engine, fmt::format("touch {}", touch));
      event_ms.push_back(ms_since(start));
      if (run < std::max<uint64_t>(3, counts[s] / 10)) {  // copying is slow: fewer runs
        start = Clock::now();
        lx::host::Snapshot copy = engine->snapshot();
        copy_ms.push_back(ms_since(start));
      }
    }
    Stats stall = stats_of(stall_ms), cpu = stats_of(stall_cpu_ms), copy = stats_of(copy_ms);
    fmt::print(
        "{:>6} MB {:>5} | {:>6.3f} ms {:>6.3f} ms {:>6.3f} ms | {:>6.3f} ms {:>6.3f} ms | "
        "{:>6.1f} ms {:>8.0f}x | {:>6.2f} ms {:>6.2f} ms | {:>6.0f}\n",
        used / 1000000, counts[s], stall.median, stall.p99, stall.max, cpu.median, cpu.p99,
        copy.median, copy.median / stall.median, stats_of(event_ms).median,
        stats_of(cow_event_ms).median, stats_of(child_mbps).median);
  }
  fmt::print(
      "snapshot: bytes in the snapshot; fork: wall time of SnapshotTaker::start, cpu: "
      "its thread CPU time (the same without waiting for a CPU); copy: Engine::snapshot "
      "(copy and hash in place); event: a 'touch {}' update, alone and while a child "
      "runs (its copy-on-write faults); child MB/s: snapshot bytes over the time from "
      "the fork to the child's end\n",
      touch);
  ::close(null_fd);
  return 0;
}
