// writer_bench: how fast the whole log writer turns records into a file
// (encode and CRC on the producer, staging ring, zstd level 1, write(2),
// flushes, index), against bare ZSTD_compressStream2 level 1 on the identical
// record bytes in the same process (its limit); and the writer at
// zstd_level 0 (stored in raw blocks) against write(2) of the identical
// file bytes to a file (its limit without compression). The events are
// generated before the clock starts, so the figure is the writer's, not a
// generator's.
//
//   writer_bench [--quick] [--json] [--dir DIR] [--events N] [--no-stored]
//
// --no-stored skips the stored rounds (bench/run's callgrind pass, whose
// LogWriter::run() figure is of the level-1 rounds alone).
//
// Rounds alternate (ours, zstd, ours, zstd, ...; then stored, write(2),
// ...); medians are printed.
#include <fcntl.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_support.h"
#include "lx/wal/crc32c.h"
#include "lx/wal/format.h"
#include "lx/wal/log_writer.h"

namespace {

using lx::bench::median;
using lx::bench::seconds_since;
using lx::bench::SteadyClock;

// One preloaded event: its type, number, encoded prefix and bulk bytes.
struct Item {
  lx::wal::RecordType type;
  uint64_t event;
  lx::wal::PayloadPrefix prefix;
  std::span<const uint8_t> bytes;
};

// Turns the benchmark mix (bench_support.h) into numbered, encoded events.
class Preloader : public lx::EventSink {
 public:
  std::vector<Item> items;

  int set_clock(double seconds) override {
    lx::wal::Record r;
    r.clock_seconds = seconds;
    return add(lx::wal::RecordType::kSetClock, r);
  }
  int set_lua_source(std::span<const uint8_t> blob) override {
    lx::wal::Record r;
    r.bytes = blob;
    return add(lx::wal::RecordType::kSetLuaSource, r);
  }
  int recv_incoming(int32_t chid, std::span<const uint8_t> bytes) override {
    lx::wal::Record r;
    r.chid = chid;
    r.bytes = bytes;
    return add(lx::wal::RecordType::kRecvIncoming, r);
  }
  int sent_outgoing(int32_t chid, uint64_t byte_count) override {
    lx::wal::Record r;
    r.chid = chid;
    r.byte_count = byte_count;
    return add(lx::wal::RecordType::kSentOutgoing, r);
  }
  int32_t notify_accept(int32_t port) override {
    lx::wal::Record r;
    r.port = port;
    return add(lx::wal::RecordType::kNotifyAccept, r);
  }
  int notify_close(int32_t chid) override {
    lx::wal::Record r;
    r.chid = chid;
    return add(lx::wal::RecordType::kNotifyClose, r);
  }
  int invoke_event_update() override {
    return add(lx::wal::RecordType::kInvokeEventUpdate, lx::wal::Record{});
  }

 private:
  int add(lx::wal::RecordType type, lx::wal::Record r) {
    r.type = type;
    items.push_back(Item{type, items.size() + 1, lx::wal::encode_prefix(r), r.bytes});
    return 0;
  }
};

std::vector<Item> preload(uint64_t events) {
  Preloader preloader;
  preloader.items.reserve(events);
  lx::bench::feed_mix(preloader, events);
  return std::move(preloader.items);
}

// The record stream the writer receives, byte for byte.
std::vector<uint8_t> encode_all(const std::vector<Item>& items) {
  std::vector<uint8_t> raw;
  for (const Item& item : items) {
    const size_t need =
        lx::wal::record_bytes(item.type, item.event, item.prefix.size + item.bytes.size());
    const size_t at = raw.size();
    raw.resize(at + need);
    lx::wal::encode_record(raw.data() + at, item.type, item.event, item.prefix.span(), item.bytes);
  }
  return raw;
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct OursRound {
  double wall_s = 0;      // first append to close() returning
  double producer_s = 0;  // the appends alone
  double writer_cpu_s = 0;
  uint64_t raw_bytes = 0;
  uint64_t file_bytes = 0;
};

// One round of the whole writer at zstd_level `level`; with keep_file the
// log is left at path (else removed).
OursRound run_ours(const std::vector<Item>& items, const std::string& path, int level = 1,
                   bool keep_file = false) {
  lx::wal::WriterOptions options;
  options.force = true;
  options.zstd_level = level;
  auto opened = lx::wal::LogWriter::open(path, lx::wal::LogHeader{}, options);
  if (!opened.ok()) {
    fmt::print(stderr, "writer_bench: error: {}; pass --dir with a writable folder\n",
               opened.status().message());
    std::exit(4);
  }
  lx::wal::LogWriter& writer = *opened.value();
  // The writer thread's CPU: the process's (which keeps the time of threads
  // that ended) less this thread's.
  const double process_before = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  const double self_before = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  OursRound round;
  const auto start = SteadyClock::now();
  for (const Item& item : items)
    writer.append(item.type, item.event, item.prefix.span(), item.bytes);
  round.producer_s = seconds_since(start);
  const lx::Status closed = writer.close();
  round.wall_s = seconds_since(start);
  round.writer_cpu_s = (cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_before) -
                       (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - self_before);
  if (!closed.ok()) {
    fmt::print(stderr, "writer_bench: error: {}\n", closed.message());
    std::exit(4);
  }
  round.raw_bytes = writer.raw_bytes();
  round.file_bytes = writer.file_bytes();
  if (!keep_file) std::remove(path.c_str());
  return round;
}

// The stored writer's buffer (FrameWriter): a frame header and four blocks.
constexpr size_t kStoredWritePiece =
    sizeof lx::wal::kRawFrameHeader + 4 * (lx::wal::kBlockHeaderBytes + lx::wal::kRawBlockMaxBytes);

// Seconds to create path and write(2) bytes into it in pieces of `piece`
// (the stored writer's buffer), then close it; the file is removed.
double write_file_seconds(const std::vector<uint8_t>& bytes, const std::string& path,
                          size_t piece) {
  const auto start = SteadyClock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    fmt::print(stderr, "writer_bench: error: cannot create {}\n", path);
    std::exit(4);
  }
  for (size_t at = 0; at < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + at, std::min(piece, bytes.size() - at));
    if (n <= 0) {
      fmt::print(stderr, "writer_bench: error: cannot write {}\n", path);
      std::exit(4);
    }
    at += static_cast<size_t>(n);
  }
  ::close(fd);
  const double s = seconds_since(start);
  std::remove(path.c_str());
  return s;
}

std::vector<uint8_t> read_whole_file(const std::string& path) {
  std::vector<uint8_t> bytes;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

// GB/s of crc32c over `buffer` through one implementation.
double crc_gbps(uint32_t (*extend)(uint32_t, const uint8_t*, size_t),
                const std::vector<uint8_t>& buffer, uint32_t* sink) {
  const auto start = SteadyClock::now();
  *sink += extend(0, buffer.data(), buffer.size());
  return static_cast<double>(buffer.size()) / 1e9 / seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  lx::bench::CommonFlags flags;
  uint64_t events_flag = 0;
  bool stored_rounds = true;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--no-stored") {
      stored_rounds = false;
    } else if (std::string_view(argv[i]) == "--events" && i + 1 < argc) {
      events_flag = std::strtoull(argv[++i], nullptr, 10);
    } else if (!lx::bench::take_common_flag(argc, argv, i, &flags)) {
      const std::string_view arg = argv[i];
      fmt::print(stderr,
                 "writer_bench: error: unknown argument {}; usage: writer_bench [--quick] "
                 "[--json] [--dir DIR] [--events N] [--no-stored]\n",
                 arg);
      return 2;
    }
  }
  const bool quick = flags.quick, json = flags.json;
  const uint64_t events = events_flag != 0 ? events_flag : quick ? 1000000 : 3000000;
  const int rounds = quick ? 3 : 5;
  const std::vector<Item> items = preload(events);
  const std::vector<uint8_t> raw = encode_all(items);
  const std::string path = fmt::format("{}/writer_bench_{}.lxw", flags.dir, ::getpid());

  std::vector<double> ours_mbps, zstd_mbps, producer_mbps, writer_cpu_mbps;
  OursRound last;
  size_t zstd_bytes = 0;
  for (int r = 0; r < rounds; ++r) {
    last = run_ours(items, path);
    const double raw_mb = static_cast<double>(last.raw_bytes) / 1e6;
    ours_mbps.push_back(raw_mb / last.wall_s);
    producer_mbps.push_back(raw_mb / last.producer_s);
    if (last.writer_cpu_s > 0) writer_cpu_mbps.push_back(raw_mb / last.writer_cpu_s);
    // The same bytes in the writer's wake-up size (2 MiB), a frame every 4 MiB.
    double s = 0;
    zstd_bytes = lx::bench::compress_chunks(raw, 2u << 20, false, &s);
    zstd_mbps.push_back(static_cast<double>(raw.size()) / 1e6 / s);
  }
  // Stored (zstd_level 0) against write(2) of the same file bytes, in the
  // stored writer's write size (four raw blocks), alternating.
  const std::string copy_path = path + ".write";
  std::vector<uint8_t> stored_file;
  if (stored_rounds) {
    run_ours(items, path, 0, true);
    stored_file = read_whole_file(path);
    std::remove(path.c_str());
  }
  std::vector<double> stored_mbps, write_mbps, stored_producer_mbps, stored_cpu_mbps;
  OursRound stored_last;
  for (int r = 0; stored_rounds && r < rounds; ++r) {
    stored_last = run_ours(items, path, 0);
    const double stored_mb = static_cast<double>(stored_last.raw_bytes) / 1e6;
    stored_mbps.push_back(stored_mb / stored_last.wall_s);
    stored_producer_mbps.push_back(stored_mb / stored_last.producer_s);
    if (stored_last.writer_cpu_s > 0)
      stored_cpu_mbps.push_back(stored_mb / stored_last.writer_cpu_s);
    const double s = write_file_seconds(stored_file, copy_path, kStoredWritePiece);
    // The same measure as the writer's: record bytes per second.
    write_mbps.push_back(stored_mb / s);
  }
  // CRC32C alone: the crc32 instruction against the tables, alternating.
  std::vector<double> crc_hw, crc_table;
  std::vector<uint8_t> buffer(64u << 20);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  uint32_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    if (lx::wal::crc32c_hardware_available())
      crc_hw.push_back(crc_gbps(lx::wal::crc32c_extend_hardware, buffer, &sink));
    crc_table.push_back(crc_gbps(lx::wal::crc32c_extend_portable, buffer, &sink));
  }
  const double hw_gbps = crc_hw.empty() ? 0 : median(crc_hw);
  const double raw_mb = static_cast<double>(raw.size()) / 1e6;
  const double writer_cpu = writer_cpu_mbps.empty() ? 0 : median(writer_cpu_mbps);
  auto median_or_0 = [](const std::vector<double>& v) { return v.empty() ? 0 : median(v); };
  const double stored_cpu = median_or_0(stored_cpu_mbps);
  if (json) {
    fmt::print(
        "{{\"bench\": \"writer\", \"events\": {}, \"raw_mb\": {:.2f}, \"rounds\": {}, "
        "\"ours_mbps\": {:.1f}, \"zstd_mbps\": {:.1f}, \"producer_mbps\": {:.1f}, "
        "\"writer_cpu_mbps\": {:.1f}, \"ours_file_bytes\": {}, \"zstd_bytes\": {}, "
        "\"crc_hw_gbps\": {:.2f}, \"crc_table_gbps\": {:.2f}, \"crc_sink\": {}, "
        "\"stored_mbps\": {:.1f}, \"write_mbps\": {:.1f}, \"stored_file_bytes\": {}, "
        "\"stored_producer_mbps\": {:.1f}, \"stored_writer_cpu_mbps\": {:.1f}}}\n",
        events, raw_mb, rounds, median(ours_mbps), median(zstd_mbps), median(producer_mbps),
        writer_cpu, last.file_bytes, zstd_bytes, hw_gbps, median(crc_table), sink,
        median_or_0(stored_mbps), median_or_0(write_mbps), stored_last.file_bytes,
        median_or_0(stored_producer_mbps), stored_cpu);
  } else {
    fmt::print("writer_bench: {} events, {:.1f} MB of records, {} rounds each, medians\n", events,
               raw_mb, rounds);
    fmt::print("whole writer (append to close)   {:.0f} MB/s of records\n", median(ours_mbps));
    fmt::print("  producer appends alone         {:.0f} MB/s\n", median(producer_mbps));
    fmt::print("  writer thread, per CPU second  {:.0f} MB/s\n", writer_cpu);
    fmt::print("bare ZSTD_compressStream2 -1     {:.0f} MB/s\n", median(zstd_mbps));
    fmt::print("ratio                            {:.2f}\n", median(ours_mbps) / median(zstd_mbps));
    fmt::print("file {} B, bare zstd {} B\n", last.file_bytes, zstd_bytes);
    if (stored_rounds) {  // with --no-stored there is nothing to show
      fmt::print("stored writer (zstd_level 0)     {:.0f} MB/s of records\n", median(stored_mbps));
      fmt::print("  producer appends alone         {:.0f} MB/s\n", median(stored_producer_mbps));
      fmt::print("  writer thread, per CPU second  {:.0f} MB/s\n", stored_cpu);
      fmt::print("write(2) of the same file bytes  {:.0f} MB/s\n", median(write_mbps));
      fmt::print("ratio                            {:.2f}\n",
                 median(stored_mbps) / median(write_mbps));
      fmt::print("stored file {} B\n", stored_last.file_bytes);
    }
    fmt::print("crc32c: crc32 instruction {:.2f} GB/s, tables {:.2f} GB/s (checksum {:08x})\n",
               hw_gbps, median(crc_table), sink);
  }
  return 0;
}
