// append_bench: what one recorded event costs the thread that records it
// (Recorder::recv_incoming over a null engine), per payload size, back to back
// and in bursts (20 appends, then 2 ms idle), against spdlog's async logger
// writing the same bytes with pattern %v. Prints median, p99 and p99.9 in ns,
// and back to back two floors: the null engine call alone, and that call plus
// the record encoded with its CRC into reused memory (FloorSide).
//
//   append_bench [--quick] [--json] [--dir DIR]
//   append_bench --callgrind ours|spdlog|null [--size N] [--count N] [--dir DIR]
//
// Each (size, mode) pair runs rounds of ours and spdlog alternately (A B A B),
// a fresh log and logger per round, and pools the samples of each side. One
// append is timed with the TSC (lfence; rdtsc), less the timer's own median
// cost. --callgrind runs only the append loop through one non-inlined function
// per side, for `valgrind --tool=callgrind --toggle-collect=lx_bench_*`.
#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "lx/wal/crc32c.h"
#include "lx/wal/format.h"
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

using lx::bench::NullEngine;

inline uint64_t ticks() {
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

struct Timer {
  double ns_per_tick = 1;
  uint64_t overhead_ticks = 0;
  // The smallest step the counter takes (on AMD Zen it advances in steps of
  // about 10 ns): a sample's resolution. Means over many samples are finer.
  uint64_t quantum_ticks = 0;
};

// TSC ticks per ns against the steady clock, and the median cost of an empty
// measurement (subtracted from every sample).
Timer calibrate() {
  Timer timer;
  const auto start = SteadyClock::now();
  const uint64_t t0 = ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const uint64_t t1 = ticks();
  const double ns = std::chrono::duration<double, std::nano>(SteadyClock::now() - start).count();
  timer.ns_per_tick = ns / static_cast<double>(t1 - t0);
  std::vector<uint64_t> empty(20000);
  for (uint64_t& e : empty) {
    const uint64_t a = ticks();
    e = ticks() - a;
  }
  uint64_t quantum = UINT64_MAX;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t a = ticks();
    uint64_t b = ticks();
    while (b == a) b = ticks();
    quantum = std::min(quantum, b - a);
  }
  timer.quantum_ticks = quantum;
  std::nth_element(empty.begin(), empty.begin() + empty.size() / 2, empty.end());
  timer.overhead_ticks = empty[empty.size() / 2];
  return timer;
}

std::string payload_of(size_t bytes) {
  // Text-like bytes that compress about as well as request lines.
  static const char kText[] = "GET /api/v1/items?page=2 HTTP/1.1\r\nHost: example.org\r\n";
  std::string s(bytes, ' ');
  for (size_t i = 0; i < bytes; ++i) s[i] = kText[(i * 7 + i / 64) % (sizeof kText - 1)];
  return s;
}

// One side of a comparison: set up before a round, append, tear down after
// (outside the timed region; tear-down drains the side's background thread).
class Side {
 public:
  virtual ~Side() = default;
  virtual void begin(const std::string& dir) = 0;
  virtual void append(std::string_view bytes) = 0;
  virtual void end() = 0;
};

class OursSide : public Side {
 public:
  void begin(const std::string& dir) override {
    path_ = fmt::format("{}/append_bench_{}.lxw", dir, ::getpid());
    lx::wal::WriterOptions options;
    options.force = true;
    auto writer = lx::wal::LogWriter::open(path_, lx::wal::LogHeader{}, options);
    if (!writer.ok()) {
      fmt::print(stderr, "append_bench: error: {}: {}; pass --dir with a writable folder\n", path_,
                 writer.status().message());
      std::exit(4);
    }
    writer_ = std::move(writer.value());
    recorder_ = std::make_unique<lx::wal::Recorder>(engine_, engine_, *writer_);
  }
  void append(std::string_view bytes) override {
    recorder_->recv_incoming(7, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  void end() override {
    recorder_->finish();
    const lx::Status closed = writer_->close();
    if (!closed.ok()) {
      fmt::print(stderr, "append_bench: error: {}\n", closed.message());
      std::exit(4);
    }
    recorder_.reset();
    writer_.reset();
    std::remove(path_.c_str());
  }

 private:
  NullEngine engine_;
  std::string path_;
  std::unique_ptr<lx::wal::LogWriter> writer_;
  std::unique_ptr<lx::wal::Recorder> recorder_;
};

// The engine call alone, without recording: the floor under OursSide.
class NullSide : public Side {
 public:
  void begin(const std::string&) override {}
  void append(std::string_view bytes) override {
    sink_->recv_incoming(7, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  void end() override {}

 private:
  NullEngine engine_;
  lx::EventSink* sink_ = &engine_;
};

// The least any design that checks each record by a CRC taken on the
// recording thread pays: the engine call, then the record encoded with its
// CRC32C into memory that is reused (no ring, gate, writer or file).
class FloorSide : public Side {
 public:
  void begin(const std::string&) override { event_ = 0; }
  void append(std::string_view bytes) override {
    sink_->recv_incoming(7, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    const uint8_t chid[1] = {7};  // the channel's varint, as recv_incoming's prefix
    const size_t need = lx::wal::record_bytes(lx::wal::RecordType::kRecvIncoming, ++event_,
                                              sizeof chid + bytes.size());
    if (buffer_.size() < need) buffer_.resize(need);
    lx::wal::encode_record(buffer_.data(), lx::wal::RecordType::kRecvIncoming, event_, chid,
                           {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  void end() override {}

 private:
  NullEngine engine_;
  lx::EventSink* sink_ = &engine_;
  std::vector<uint8_t> buffer_;
  uint64_t event_ = 0;
};

class SpdlogSide : public Side {
 public:
  void begin(const std::string& dir) override {
    path_ = fmt::format("{}/append_bench_{}.spdlog", dir, ::getpid());
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path_, true);
    logger_ = std::make_shared<spdlog::async_logger>("bench", sink, spdlog::thread_pool(),
                                                     spdlog::async_overflow_policy::block);
    logger_->set_pattern("%v");
  }
  void append(std::string_view bytes) override {
    // The string_view overload: no formatting, the bytes as they are.
    logger_->log(spdlog::level::info, spdlog::string_view_t(bytes.data(), bytes.size()));
  }
  void end() override {
    logger_->flush();
    while (spdlog::thread_pool()->queue_size() != 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    logger_.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::remove(path_.c_str());
  }

 private:
  std::string path_;
  std::shared_ptr<spdlog::async_logger> logger_;
};

enum class Mode { kBackToBack, kBurst };
constexpr int kBurstAppends = 20;
constexpr auto kBurstIdle = std::chrono::milliseconds(2);

// One round: `count` appends, each timed; in bursts of 20 with 2 ms idle.
void run_round(Side& side, const std::string& dir, std::string_view bytes, Mode mode, size_t count,
               const Timer& timer, std::vector<double>* samples_ns) {
  samples_ns->reserve(samples_ns->size() + count);
  side.begin(dir);
  for (size_t i = 0; i < count; ++i) {
    if (mode == Mode::kBurst && i % kBurstAppends == 0 && i != 0)
      std::this_thread::sleep_for(kBurstIdle);
    const uint64_t t0 = ticks();
    side.append(bytes);
    const uint64_t t1 = ticks();
    const uint64_t spent = t1 - t0 > timer.overhead_ticks ? t1 - t0 - timer.overhead_ticks : 0;
    samples_ns->push_back(static_cast<double>(spent) * timer.ns_per_tick);
  }
  side.end();
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double percentile(std::vector<double>& v, double p) {
  const size_t at = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return v[at];
}

// The callgrind entry points: one append each, never inlined, C names so a
// --toggle-collect pattern finds them.
Side* g_side = nullptr;
std::string_view g_bytes;
}  // namespace

extern "C" __attribute__((noinline)) void lx_bench_append_once() { g_side->append(g_bytes); }

namespace {

int run_callgrind(const std::string& which, size_t size, size_t count, const std::string& dir) {
  OursSide ours;
  SpdlogSide spd;
  NullSide null;
  Side* side = which == "ours"     ? static_cast<Side*>(&ours)
               : which == "spdlog" ? static_cast<Side*>(&spd)
               : which == "null"   ? static_cast<Side*>(&null)
                                   : nullptr;
  if (side == nullptr) {
    fmt::print(stderr,
               "append_bench: error: --callgrind {}: unknown side; use ours, spdlog or null\n",
               which);
    return 2;
  }
  const std::string bytes = payload_of(size);
  g_side = side;
  g_bytes = bytes;
  side->begin(dir);
  for (size_t i = 0; i < count; ++i) lx_bench_append_once();
  side->end();
  fmt::print("{} appends of {} B through {}\n", count, size, which);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  lx::bench::CommonFlags flags;
  std::string callgrind;
  size_t size = 64, count = 100000;
  for (int i = 1; i < argc; ++i) {
    if (lx::bench::take_common_flag(argc, argv, i, &flags)) continue;
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "append_bench: error: {} needs a value; see the usage in the source\n",
                   arg);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--callgrind") {
      callgrind = value();
    } else if (arg == "--size") {
      size = std::stoul(value());
    } else if (arg == "--count") {
      count = std::stoul(value());
    } else {
      fmt::print(stderr,
                 "append_bench: error: unknown argument {}; usage: append_bench [--quick] "
                 "[--json] [--dir DIR] | --callgrind ours|spdlog|null [--size N] [--count N]\n",
                 arg);
      return 2;
    }
  }
  spdlog::init_thread_pool(8192, 1);
  const bool quick = flags.quick, json = flags.json;
  const std::string& dir = flags.dir;
  if (!callgrind.empty()) return run_callgrind(callgrind, size, count, dir);

  const Timer timer = calibrate();
  const int rounds = quick ? 3 : 5;
  if (!json) {
    fmt::print(
        "append_bench: TSC {:.3f} ns/tick, steps of {} ticks, timer overhead {} ticks "
        "subtracted; crc32c: {}\n",
        timer.ns_per_tick, timer.quantum_ticks, timer.overhead_ticks,
        lx::wal::crc32c_hardware_available() ? "sse4.2" : "tables");
    fmt::print(
        "{:>6} {:>12} {:>7} | {:>9} {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} {:>9} | {:>9} {:>9} "
        "{:>9}\n",
        "bytes", "mode", "samples", "ours p50", "p99", "p99.9", "mean", "spdlog", "p99", "p99.9",
        "mean", "null p50", "floor p50", "mean");
  }
  for (const size_t bytes : {size_t{16}, size_t{64}, size_t{512}, size_t{65536}}) {
    const std::string payload = payload_of(bytes);
    for (const Mode mode : {Mode::kBackToBack, Mode::kBurst}) {
      const size_t per_round = mode == Mode::kBurst ? (quick ? 1000 : 2000)
                               : bytes >= 65536     ? (quick ? 300 : 1000)
                                                    : (quick ? 20000 : 50000);
      std::vector<double> ours_ns, spdlog_ns, null_ns, floor_ns;
      OursSide ours;
      SpdlogSide spd;
      NullSide null;
      FloorSide floor;
      for (int r = 0; r < rounds; ++r) {
        run_round(ours, dir, payload, mode, per_round, timer, &ours_ns);
        run_round(spd, dir, payload, mode, per_round, timer, &spdlog_ns);
        if (mode == Mode::kBackToBack) {
          run_round(null, dir, payload, mode, per_round, timer, &null_ns);
          run_round(floor, dir, payload, mode, per_round, timer, &floor_ns);
        }
      }
      const char* mode_name = mode == Mode::kBurst ? "burst" : "back_to_back";
      const double o50 = percentile(ours_ns, 0.5), o99 = percentile(ours_ns, 0.99),
                   o999 = percentile(ours_ns, 0.999);
      const double s50 = percentile(spdlog_ns, 0.5), s99 = percentile(spdlog_ns, 0.99),
                   s999 = percentile(spdlog_ns, 0.999);
      const double n50 = null_ns.empty() ? 0 : percentile(null_ns, 0.5);
      const double f50 = floor_ns.empty() ? 0 : percentile(floor_ns, 0.5);
      if (json) {
        fmt::print(
            "{{\"bench\": \"append\", \"bytes\": {}, \"mode\": \"{}\", \"samples\": {}, "
            "\"ours_p50_ns\": {:.1f}, \"ours_p99_ns\": {:.1f}, \"ours_p999_ns\": {:.1f}, "
            "\"spdlog_p50_ns\": {:.1f}, \"spdlog_p99_ns\": {:.1f}, \"spdlog_p999_ns\": {:.1f}, "
            "\"null_p50_ns\": {:.1f}, \"ours_mean_ns\": {:.1f}, \"spdlog_mean_ns\": {:.1f}, "
            "\"null_mean_ns\": {:.1f}, \"floor_p50_ns\": {:.1f}, \"floor_mean_ns\": {:.1f}, "
            "\"tsc_quantum_ns\": {:.1f}}}\n",
            bytes, mode_name, ours_ns.size(), o50, o99, o999, s50, s99, s999, n50, mean(ours_ns),
            mean(spdlog_ns), null_ns.empty() ? 0.0 : mean(null_ns), f50,
            floor_ns.empty() ? 0.0 : mean(floor_ns),
            static_cast<double>(timer.quantum_ticks) * timer.ns_per_tick);
      } else {
        fmt::print(
            "{:>6} {:>12} {:>7} | {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} | {:>9.1f} {:>9.1f} {:>9.1f} "
            "{:>9.1f} | {:>9.1f} {:>9.1f} {:>9.1f}\n",
            bytes, mode_name, ours_ns.size(), o50, o99, o999, mean(ours_ns), s50, s99, s999,
            mean(spdlog_ns), n50, f50, floor_ns.empty() ? 0.0 : mean(floor_ns));
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
