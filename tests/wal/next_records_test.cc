// LogReader::next_records against next(): the same records (every field,
// and bytes still valid when the batch is handed out), the same damage
// reported between the same records, the same error, health, end record and
// byte count, over clean, cut, bit-flipped and crash-flushed logs in every
// recovery mode, after seeks, in follow mode, and through the default
// implementation a LogReader gets when it does not override next_records.
#include <catch2/catch.hpp>
#include <random>

#include "log_builder.h"
#include "lx/wal/byte_source.h"
#include "lx/wal/log_writer.h"
#include "read_trace.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

constexpr Recovery kModes[] = {Recovery::kTolerant, Recovery::kStrict, Recovery::kSalvage};

OpenReader from_bytes(const std::vector<uint8_t>& bytes) {
  return [bytes](const ReaderOptions& options) {
    return LogReader::open_source(memory_source(bytes), options);
  };
}

// next() and next_records at several capacities give one trace.
void check_same_reads(const OpenReader& open, Recovery recovery,
                      const std::function<void(LogReader&)>& before_read = {}) {
  ReaderOptions options;
  options.recovery = recovery;
  const ReadTrace one = trace_read(open, options, 0, before_read);
  for (size_t capacity : {1, 2, 7, 64, 1000}) {
    CAPTURE(static_cast<int>(recovery), capacity);
    const ReadTrace batched = trace_read(open, options, capacity, before_read);
    REQUIRE(batched.items.size() == one.items.size());
    for (size_t i = 0; i < one.items.size(); ++i) {
      CAPTURE(i);
      CHECK(batched.items[i] == one.items[i]);
    }
    CHECK(batched.error == one.error);
    CHECK(batched.damage == one.damage);
    CHECK(batched.health == one.health);
    CHECK(batched.end == one.end);
    CHECK(batched.raw_bytes == one.raw_bytes);
    // Many records a call, not one.
    if (capacity >= 64 && one.items.size() > 500) CHECK(batched.calls * 20 < one.calls);
  }
}

std::vector<uint8_t> recv_records(uint64_t first, uint64_t last) {
  std::vector<uint8_t> out;
  for (uint64_t e = first; e <= last; ++e) {
    const auto one = recv_record(e, static_cast<int32_t>(e % 5), "request " + std::to_string(e));
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

std::vector<uint8_t> sample_log(TempDir& dir, uint64_t events, uint64_t frame_restart_bytes) {
  const std::string path = dir.path("sample.lxw");
  WriterOptions options;
  options.frame_restart_bytes = frame_restart_bytes;
  write_sample_log(path, events, 3, options);
  return read_file(path);
}

}  // namespace

TEST_CASE("next_records reads a clean log as next() does", "[wal][reader][next_records]") {
  TempDir dir;
  const auto bytes = sample_log(dir, 4000, 16u << 10);
  for (Recovery recovery : kModes) check_same_reads(from_bytes(bytes), recovery);
}

TEST_CASE("next_records over cut, flipped and zeroed logs matches next()",
          "[wal][reader][next_records][recovery]") {
  TempDir dir;
  const auto bytes = sample_log(dir, 3000, 8u << 10);
  std::mt19937 rng(Catch::rngSeed() + 11);
  // Under LX_TEST_STRIDE=S, every S-th round (each round damages the log
  // three ways; every recovery mode still comes round while S is not a
  // multiple of 3).
  const uint64_t stride = case_stride();
  for (int i = 0; i < 40; ++i) {
    const size_t x = 100 + rng() % (bytes.size() - 150);
    const uint32_t bit = rng() % 8;
    const size_t zeros = 1 + rng() % 400;
    if (i % stride != 0) continue;
    CAPTURE(i, x);
    std::vector<uint8_t> flipped = bytes;
    flipped[x] ^= static_cast<uint8_t>(1u << bit);
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(x));
    std::vector<uint8_t> zeroed = bytes;
    for (size_t k = x; k < std::min(zeroed.size(), x + zeros); ++k) zeroed[k] = 0;
    const Recovery recovery = kModes[i % 3];
    check_same_reads(from_bytes(flipped), recovery);
    check_same_reads(from_bytes(cut), recovery);
    check_same_reads(from_bytes(zeroed), recovery);
  }
}

TEST_CASE("next_records stops before damage in the middle of a decoded block",
          "[wal][reader][next_records][recovery]") {
  // Each frame: good records, then one that is damage (a bad CRC, a bad
  // payload, out of sequence, after the end, a gap after a crash flush),
  // then more; plus an ignorable unknown type, which is skipped silently.
  std::vector<std::vector<uint8_t>> logs;
  {
    auto records = recv_records(1, 30);
    records[records.size() / 2] ^= 1;
    LogBuilder b;
    b.zstd_frame(records);
    b.zstd_frame(concat({recv_records(31, 40), end_record(40)}));
    logs.push_back(b.bytes());
  }
  {
    LogBuilder b;
    b.zstd_frame(concat({recv_records(1, 20), raw_record({1, 21, 2, 0, 0}), recv_records(21, 30)}));
    logs.push_back(b.bytes());
  }
  {
    LogBuilder b;
    b.zstd_frame(concat({recv_records(1, 20), recv_records(22, 30), end_record(30)}));
    logs.push_back(b.bytes());
  }
  {
    LogBuilder b;
    b.zstd_frame(concat({recv_records(1, 20), end_record(20), recv_records(21, 25)}));
    logs.push_back(b.bytes());
  }
  {
    LogBuilder b;
    b.zstd_frame(concat(
        {recv_records(1, 10), raw_record({70, 10, 0}), recv_records(11, 20), end_record(20)}));
    b.index_and_trailer(20);
    logs.push_back(b.bytes());
  }
  {
    LogBuilder b;  // a crash flush that repeats records already read, then continues
    b.zstd_frame(recv_records(1, 30));
    b.append("torn");
    b.crash_flush(concat({recv_records(20, 45), end_record(45, EndReason::kCrashed)}));
    logs.push_back(b.bytes());
  }
  {
    LogBuilder b;  // one that skips events
    b.zstd_frame(recv_records(1, 30));
    b.append("torn");
    b.crash_flush(concat({recv_records(33, 45), end_record(45, EndReason::kCrashed)}));
    b.zstd_frame(recv_records(46, 50));
    logs.push_back(b.bytes());
  }
  for (size_t i = 0; i < logs.size(); ++i) {
    CAPTURE(i);
    for (Recovery recovery : kModes) check_same_reads(from_bytes(logs[i]), recovery);
  }
}

TEST_CASE("next_records after a seek, and a seek between batches", "[wal][reader][next_records]") {
  TempDir dir;
  const auto bytes = sample_log(dir, 5000, 4u << 10);
  for (uint64_t event : {1, 2, 999, 1000, 1001, 2500, 4999, 5000, 6000}) {
    CAPTURE(event);
    check_same_reads(from_bytes(bytes), Recovery::kTolerant, [event](LogReader& reader) {
      REQUIRE(reader.can_seek());
      REQUIRE(reader.seek_to_event(event).ok());
    });
  }
  // A batch, then a seek back: the records after it as next() gives them
  // after the same records and the same seek.
  for (size_t capacity : {1, 5, 64}) {
    CAPTURE(capacity);
    auto a = LogReader::open_source(memory_source(bytes));
    auto b = LogReader::open_source(memory_source(bytes));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    std::vector<Record> batch(capacity);
    auto got = a.value()->next_records(batch.data(), capacity);
    REQUIRE(got.ok());
    REQUIRE(got.value() >= 1);
    Record r;
    for (size_t i = 0; i < got.value(); ++i) {
      REQUIRE(b.value()->next(&r).value());
      CHECK(describe_record(r) == describe_record(batch[i]));
    }
    REQUIRE(a.value()->seek_to_event(1200).ok());
    REQUIRE(b.value()->seek_to_event(1200).ok());
    size_t compared = 0;
    for (;;) {
      got = a.value()->next_records(batch.data(), capacity);
      REQUIRE(got.ok());
      if (got.value() == 0) break;
      for (size_t i = 0; i < got.value(); ++i) {
        REQUIRE(b.value()->next(&r).value());
        CHECK(describe_record(r) == describe_record(batch[i]));
        ++compared;
      }
    }
    CHECK_FALSE(b.value()->next(&r).value());
    CHECK(compared > 3000);
  }
}

TEST_CASE("next_records in follow mode on a finished log", "[wal][reader][next_records]") {
  TempDir dir;
  const std::string path = dir.path("follow.lxw");
  WriterOptions options;
  options.frame_restart_bytes = 8u << 10;
  write_sample_log(path, 2000, 5, options);
  const OpenReader open = [&](const ReaderOptions& o) { return LogReader::open(path, o); };
  ReaderOptions follow;
  follow.follow = true;
  follow.follow_timeout_ms = 2000;
  const ReadTrace one = trace_read(open, follow, 0);
  const ReadTrace batched = trace_read(open, follow, 64);
  CHECK(one.items.size() > 2000);
  CHECK(batched == one);
}

namespace {

// A LogReader that only forwards next(): it gets LogReader's own next_records.
class ForwardingReader final : public LogReader {
 public:
  explicit ForwardingReader(std::unique_ptr<LogReader> inner) : inner_(std::move(inner)) {}
  const LogHeader& header() const override { return inner_->header(); }
  lx::Result<bool> next(Record* out) override { return inner_->next(out); }
  const LogIndex* index() const override { return inner_->index(); }
  bool can_seek() const override { return inner_->can_seek(); }
  lx::Status seek_to_event(uint64_t event) override { return inner_->seek_to_event(event); }
  const std::vector<Damage>& damage() const override { return inner_->damage(); }
  HealthState health() const override { return inner_->health(); }
  std::optional<Record> end_record() const override { return inner_->end_record(); }
  bool trailer_seen() const override { return inner_->trailer_seen(); }
  uint64_t raw_bytes() const override { return inner_->raw_bytes(); }
  uint64_t file_offset() const override { return inner_->file_offset(); }
  uint64_t file_bytes() const override { return inner_->file_bytes(); }

 private:
  std::unique_ptr<LogReader> inner_;
};

}  // namespace

TEST_CASE("LogReader's default next_records is next() one record a call",
          "[wal][reader][next_records]") {
  TempDir dir;
  auto bytes = sample_log(dir, 1500, 8u << 10);
  bytes[bytes.size() / 2] ^= 4;
  for (Recovery recovery : kModes) {
    const OpenReader open =
        [&](const ReaderOptions& options) -> lx::Result<std::unique_ptr<LogReader>> {
      auto inner = LogReader::open_source(memory_source(bytes), options);
      if (!inner.ok()) return inner.status();
      return std::unique_ptr<LogReader>(new ForwardingReader(std::move(inner).value()));
    };
    ReaderOptions options;
    options.recovery = recovery;
    const ReadTrace one = trace_read(open, options, 0);
    const ReadTrace batched = trace_read(open, options, 64);
    CHECK(batched == one);
    CHECK(batched.calls == one.calls);  // one record a call
  }
}
