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
#include <random>
#include <string>
#include <vector>

#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// An engine that does nothing, so the numbers are the recorder's alone.
class NullEngine : public lx::EventSink, public lx::FiguresSource {
 public:
  int set_clock(double) override { return ++n_, 0; }
  int set_lua_source(std::span<const uint8_t>) override { return ++n_, 0; }
  int recv_incoming(int32_t, std::span<const uint8_t>) override { return ++n_, 0; }
  int sent_outgoing(int32_t, uint64_t) override { return ++n_, 0; }
  int32_t notify_accept(int32_t) override { return static_cast<int32_t>(++n_); }
  int notify_close(int32_t) override { return ++n_, 0; }
  int invoke_event_update() override { return ++n_, 0; }
  lx::EngineFigures figures() const override { return {n_, n_ * 31, n_ * 17, 4096}; }

 private:
  uint64_t n_ = 0;
};

// A chat/HTTP-like mix: requests and lines of text, clock ticks, updates.
void feed(lx::EventSink& sink, uint64_t events) {
  std::mt19937 rng(42);
  static const char* kLines[] = {
      "GET /index.html HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n",
      "PRIVMSG #lx :hello everyone, the build is green again\r\n",
      "{\"op\":\"move\",\"x\":12,\"y\":-3,\"seq\":1023}\n",
      "POST /api/v1/items HTTP/1.1\r\nContent-Length: 27\r\n\r\n{\"name\":\"widget\",\"qty\":3}",
  };
  double clock = 1795442701.0;
  for (uint64_t i = 0; i < events; ++i) {
    const uint32_t pick = rng() % 10;
    if (pick < 4) {
      const char* line = kLines[rng() % 4];
      sink.recv_incoming(
          static_cast<int32_t>(1 + rng() % 64),
          {reinterpret_cast<const uint8_t*>(line), std::char_traits<char>::length(line)});
    } else if (pick < 6) {
      sink.sent_outgoing(static_cast<int32_t>(1 + rng() % 64), 20 + rng() % 200);
    } else if (pick < 7) {
      sink.set_clock(clock += 0.01);
    } else {
      sink.invoke_event_update();
    }
  }
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Compresses raw in chunks of flush_bytes: streaming (one frame, ZSTD_e_flush
// per chunk, a new frame every 4 MiB) or one frame per chunk.
size_t compress_chunks(const std::vector<uint8_t>& raw, size_t flush_bytes, bool frame_per_flush,
                       double* seconds) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::vector<uint8_t> out(ZSTD_compressBound(flush_bytes) + (1 << 17));
  size_t total = 0;
  size_t frame_bytes = 0;
  const auto start = Clock::now();
  for (size_t at = 0; at < raw.size(); at += flush_bytes) {
    const size_t n = std::min(flush_bytes, raw.size() - at);
    frame_bytes += n;
    const bool end = frame_per_flush || frame_bytes >= (4u << 20) || at + n == raw.size();
    if (end) frame_bytes = 0;
    ZSTD_inBuffer in{raw.data() + at, n, 0};
    size_t remaining;
    do {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      remaining = ZSTD_compressStream2(cctx, &o, &in, end ? ZSTD_e_end : ZSTD_e_flush);
      total += o.pos;
    } while (remaining != 0 && !ZSTD_isError(remaining));
  }
  *seconds = seconds_since(start);
  ZSTD_freeCCtx(cctx);
  return total;
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
    feed(recorder, events);
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
  feed(bare, events);
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
    const size_t stream = compress_chunks(raw, flush_bytes, false, &stream_s);
    const size_t frames = compress_chunks(raw, flush_bytes, true, &frames_s);
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
