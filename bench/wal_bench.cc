// wal_bench: what recording costs the driver thread (ns per event), how fast
// the writer thread drains (MB/s of record bytes), how our file compares with
// the zstd CLI on the same bytes, and whether streaming flushes beat one
// frame per flush, and what the writer's check of the log file (fstat) costs.
// Usage: wal_bench [EVENTS] [DIR]
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bench_support.h"
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"

namespace {

using lx::bench::NullEngine;
using lx::bench::seconds_since;
using Clock = lx::bench::SteadyClock;

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  const std::string log_path = fmt::format("{}/wal_bench_{}.lxw", dir, ::getpid());
  const std::string raw_path = log_path + ".raw";
  const std::string cli_path = log_path + ".raw.zst";

  // 1. The driver thread's cost per event and the writer's throughput, with
  //    the staging ring in LOG.ring (the default) and in private memory.
  struct Run {
    double append_s = 0, total_s = 0;
    uint64_t raw_bytes = 0, file_bytes = 0;
  };
  auto record = [&](bool ring_file) -> std::optional<Run> {
    lx::wal::WriterOptions options;
    options.force = true;
    options.ring_file = ring_file;
    auto writer = lx::wal::LogWriter::open(log_path, lx::wal::LogHeader{}, options);
    if (!writer.ok()) {
      fmt::print(stderr, "wal_bench: error: {}\n", writer.status().message());
      return std::nullopt;
    }
    NullEngine engine;
    lx::wal::Recorder recorder(engine, engine, *writer.value());
    Run run;
    const auto start = Clock::now();
    lx::bench::feed_mix(recorder, events);
    run.append_s = seconds_since(start);
    recorder.finish();
    const lx::Status closed = writer.value()->close();
    run.total_s = seconds_since(start);
    if (!closed.ok()) {
      fmt::print(stderr, "wal_bench: error: {}\n", closed.message());
      return std::nullopt;
    }
    run.raw_bytes = writer.value()->raw_bytes();
    run.file_bytes = writer.value()->file_bytes();
    return run;
  };
  const std::optional<Run> in_memory = record(false);
  const std::optional<Run> ring = record(true);
  if (!in_memory || !ring) return 4;
  NullEngine bare;
  const auto bare_start = Clock::now();
  lx::bench::feed_mix(bare, events);
  const double bare_s = seconds_since(bare_start);
  const double append_s = ring->append_s, total_s = ring->total_s;
  const double raw_mb = static_cast<double>(ring->raw_bytes) / 1e6;
  const double file_mb = static_cast<double>(ring->file_bytes) / 1e6;
  fmt::print("events                 {}\n", events);
  fmt::print("record bytes           {:.1f} MB ({:.1f} B/event)\n", raw_mb,
             raw_mb * 1e6 / static_cast<double>(events));
  fmt::print("append, driver thread  {:.0f} ns/event (feeding a null engine alone: {:.0f} ns)\n",
             (append_s - bare_s) * 1e9 / static_cast<double>(events),
             bare_s * 1e9 / static_cast<double>(events));
  fmt::print("writer throughput      {:.0f} MB/s of record bytes (append to close: {:.2f} s)\n",
             raw_mb / total_s, total_s);
  fmt::print("ring in LOG.ring / in memory: append {:.2f}, append to close {:.2f}\n",
             (append_s - bare_s) / (in_memory->append_s - bare_s), total_s / in_memory->total_s);
  fmt::print("lx log file            {:.2f} MB, ratio {:.2f}\n", file_mb, raw_mb / file_mb);
  // The writer fstats the log before the first write after each flush point
  // (a deleted or truncated log stops the recording): what one costs.
  if (const int fd = ::open(log_path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    constexpr int kStats = 1000000;
    struct stat st {};
    const auto stat_start = Clock::now();
    for (int i = 0; i < kStats; ++i) ::fstat(fd, &st);
    const double stat_ns = seconds_since(stat_start) * 1e9 / kStats;
    ::close(fd);
    fmt::print(
        "fstat of the log       {:.0f} ns (one per flush that writes: {:.4f} % of a 50 ms "
        "flush interval)\n",
        stat_ns, stat_ns / 50e6 * 100);
  }

  // 2. The zstd CLI on the same record bytes, same level.
  if (std::system(fmt::format("zstd -q -dc '{}' > '{}'", log_path, raw_path).c_str()) != 0) {
    fmt::print(stderr, "wal_bench: error: zstd -dc failed; is the zstd CLI installed?\n");
    return 4;
  }
  const std::vector<uint8_t> raw = read_all(raw_path);
  const auto cli_start = Clock::now();
  const int cli =
      std::system(fmt::format("zstd -q -1 -f -c '{}' > '{}'", raw_path, cli_path).c_str());
  const double cli_s = seconds_since(cli_start);
  const double cli_mb = static_cast<double>(read_all(cli_path).size()) / 1e6;
  if (cli == 0) {
    fmt::print("zstd -1 CLI            {:.2f} MB, ratio {:.2f}, {:.0f} MB/s (process included)\n",
               cli_mb, raw_mb / cli_mb, raw_mb / cli_s);
    fmt::print("lx file / CLI file     {:.3f}\n", file_mb / cli_mb);
  }

  // 3. Streaming flushes against one frame per flush, for a light and a busy
  //    server (record bytes written per 50 ms flush).
  for (size_t flush_bytes : {size_t{512}, size_t{4096}, size_t{65536}}) {
    double stream_s = 0, frames_s = 0;
    const size_t stream = lx::bench::compress_chunks(raw, flush_bytes, false, &stream_s);
    const size_t frames = lx::bench::compress_chunks(raw, flush_bytes, true, &frames_s);
    fmt::print(
        "flush every {:>6} B    streaming: ratio {:.2f}, {:.0f} MB/s | frame per flush: ratio "
        "{:.2f}, {:.0f} MB/s\n",
        flush_bytes, static_cast<double>(raw.size()) / static_cast<double>(stream),
        static_cast<double>(raw.size()) / 1e6 / stream_s,
        static_cast<double>(raw.size()) / static_cast<double>(frames),
        static_cast<double>(raw.size()) / 1e6 / frames_s);
  }
  std::remove(log_path.c_str());
  std::remove(raw_path.c_str());
  std::remove(cli_path.c_str());
  return 0;
}
