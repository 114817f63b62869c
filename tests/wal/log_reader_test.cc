// The reader on real logs: a full round trip, a cut at every byte offset,
// flipped bytes, hostile lengths, strict and salvage modes, seeking through
// the index, standard input and follow mode.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "lx/wal/crc32c.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

// Small frames, so a small log has several and the index has work to do.
WriterOptions small_frames() {
  WriterOptions options;
  options.frame_restart_bytes = 2048;
  options.staging_bytes = 64u << 10;
  return options;
}

void check_prefix(const std::vector<OwnedRecord>& got, const std::vector<OwnedRecord>& full) {
  REQUIRE(got.size() <= full.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].record.type == full[i].record.type);
    CHECK(got[i].record.event == full[i].record.event);
    CHECK(got[i].bytes == full[i].bytes);
  }
}

}  // namespace

TEST_CASE("a closed log reads back every record in order", "[wal][reader]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 500, 7, small_frames());
  ReadResult r = read_log(path);
  REQUIRE(r.opened);
  CHECK(r.damage.empty());
  CHECK(r.health == HealthState::kClean);
  uint64_t events = 0;
  uint64_t checkpoints = 0;
  for (const OwnedRecord& o : r.records) {
    if (is_event(o.record.type)) CHECK(o.record.event == ++events);
    if (o.record.type == RecordType::kCheckpoint) {
      ++checkpoints;
      CHECK(o.record.figures.event_count == o.record.event);
    }
  }
  CHECK(events == 500);
  CHECK(checkpoints == 50);
  REQUIRE(!r.records.empty());
  CHECK(r.records.back().record.type == RecordType::kEnd);
  CHECK(r.records.back().record.end_reason == EndReason::kClosed);
  CHECK(r.records.back().record.event == 500);
}

TEST_CASE("a log cut at every byte offset reads back as a prefix with the cut reported",
          "[wal][reader][recovery]") {
  TempDir dir;
  const std::string path = dir.path("full.lxw");
  write_sample_log(path, 60, 3, small_frames());
  const std::vector<uint8_t> bytes = read_file(path);
  const ReadResult full = read_log(path);
  REQUIRE(full.damage.empty());
  auto reader = LogReader::open(path);
  REQUIRE(reader.ok());
  REQUIRE(reader.value()->index() != nullptr);
  const size_t header_bytes = 8 + get_u32(bytes.data() + 4);
  const std::string cut_path = dir.path("cut.lxw");
  size_t previous_count = 0;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    CAPTURE(cut);
    write_file(cut_path, {bytes.begin(), bytes.begin() + static_cast<long>(cut)});
    const ReadResult r = read_log(cut_path);
    if (cut < header_bytes) {
      CHECK_FALSE(r.opened);
      continue;
    }
    REQUIRE(r.opened);
    CHECK_FALSE(r.failed);
    check_prefix(r.records, full.records);
    REQUIRE(r.damage.size() == 1);  // the cut is always reported
    CHECK(r.damage[0].torn);
    CHECK(r.damage[0].offset <= cut);
    CHECK(r.damage[0].offset + r.damage[0].dropped_bytes == cut);
    // Cut after the end record's frame, only the index and trailer are missing.
    CHECK(r.health == (r.damage[0].reason == reason::kNoIndex ? HealthState::kNoIndex
                                                              : HealthState::kTornTail));
    if (r.damage[0].reason == reason::kNoIndex) CHECK(r.records.size() == full.records.size());
    CHECK(r.records.size() >= previous_count);  // more bytes never give fewer records
    previous_count = r.records.size();
    // Strict mode makes the same cut an error.
    ReaderOptions strict;
    strict.recovery = Recovery::kStrict;
    CHECK(read_log(cut_path, strict).failed);
  }
  CHECK(previous_count >= full.records.size() - 1);
}

TEST_CASE("flipped bytes are detected and never crash the reader", "[wal][reader][recovery]") {
  TempDir dir;
  const std::string path = dir.path("full.lxw");
  write_sample_log(path, 200, 11, small_frames());
  const std::vector<uint8_t> bytes = read_file(path);
  const ReadResult full = read_log(path);
  const uint32_t seed = GENERATE(take(200, random(0u, 0xFFFFFFFFu)));
  CAPTURE(seed);
  std::mt19937 rng(seed);
  std::vector<uint8_t> damaged = bytes;
  const size_t at = rng() % damaged.size();
  damaged[at] ^= static_cast<uint8_t>(1 + rng() % 255);
  CAPTURE(at);
  const std::string bad = dir.path("bad.lxw");
  write_file(bad, damaged);
  for (Recovery mode : {Recovery::kTolerant, Recovery::kSalvage, Recovery::kStrict}) {
    ReaderOptions options;
    options.recovery = mode;
    const ReadResult r = read_log(bad, options);
    if (!r.opened) continue;  // the header was hit: refused cleanly
    if (mode == Recovery::kTolerant) {
      check_prefix(r.records, full.records);
      // The damage is seen unless the flip hit only the index (read
      // through the trailer, which front-to-back reading skips).
      if (r.damage.empty()) CHECK(r.records.size() == full.records.size());
    }
    if (mode == Recovery::kStrict && r.records.size() < full.records.size()) CHECK(r.failed);
  }
}

TEST_CASE("salvage mode skips a damaged frame and reads the frames after it",
          "[wal][reader][recovery]") {
  TempDir dir;
  const std::string path = dir.path("full.lxw");
  write_sample_log(path, 300, 5, small_frames());
  auto reader = LogReader::open(path);
  REQUIRE(reader.ok());
  const LogIndex* index = reader.value()->index();
  REQUIRE(index != nullptr);
  REQUIRE(index->frames.size() >= 4);
  std::vector<uint8_t> bytes = read_file(path);
  const FrameEntry& victim = index->frames[1];
  bytes[victim.file_offset + 40] ^= 0xFF;  // inside the second frame's compressed data
  const std::string bad = dir.path("bad.lxw");
  write_file(bad, bytes);

  const ReadResult tolerant = read_log(bad);
  ReaderOptions salvage;
  salvage.recovery = Recovery::kSalvage;
  const ReadResult salvaged = read_log(bad, salvage);
  REQUIRE(tolerant.damage.size() == 1);
  CHECK_FALSE(tolerant.damage[0].torn);
  CHECK(tolerant.health == HealthState::kDamaged);
  REQUIRE(salvaged.damage.size() >= 1);
  CHECK(salvaged.records.size() > tolerant.records.size());
  REQUIRE(!salvaged.records.empty());
  CHECK(salvaged.records.back().record.type == RecordType::kEnd);
  // Events after the resync point come in order.
  uint64_t last = 0;
  for (const OwnedRecord& o : salvaged.records) {
    CHECK(o.record.event >= last);
    last = o.record.event;
  }
}

TEST_CASE("a record length field claiming 4 GiB allocates nothing", "[wal][reader][hostile]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 5, 1);
  std::vector<uint8_t> bytes = read_file(path);
  const size_t header_bytes = 8 + get_u32(bytes.data() + 4);
  bytes.resize(header_bytes);
  // A raw zstd frame holding one record header that claims 4 GiB of payload.
  uint8_t record[32];
  size_t n = put_varint(record, 3);
  n += put_varint(record + n, 1);
  n += put_varint(record + n, 4ull << 30);
  const uint8_t frame_header[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x38};
  bytes.insert(bytes.end(), frame_header, frame_header + 6);
  const uint32_t block = static_cast<uint32_t>(n << 3) | 1u;
  bytes.push_back(static_cast<uint8_t>(block));
  bytes.push_back(static_cast<uint8_t>(block >> 8));
  bytes.push_back(static_cast<uint8_t>(block >> 16));
  bytes.insert(bytes.end(), record, record + n);
  const std::string bad = dir.path("big.lxw");
  write_file(bad, bytes);
  const ReadResult r = read_log(bad);
  REQUIRE(r.opened);
  CHECK(r.records.empty());
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].reason == "record length over the 64 MiB limit");
}

TEST_CASE("files that are not lx logs are refused at open", "[wal][reader][hostile]") {
  TempDir dir;
  CHECK_FALSE(LogReader::open(dir.path("missing.lxw")).ok());
  CHECK(LogReader::open(dir.path("missing.lxw")).status().kind() == lx::ErrorKind::kCorrupt);
  write_file(dir.path("text.lxw"), {'h', 'e', 'l', 'l', 'o', '\n', 0, 0, 0, 0});
  auto text = LogReader::open(dir.path("text.lxw"));
  REQUIRE_FALSE(text.ok());
  CHECK_THAT(text.status().message(), Catch::Contains("not an lx log"));
  write_file(dir.path("empty.lxw"), {});
  CHECK_FALSE(LogReader::open(dir.path("empty.lxw")).ok());
  // A skippable frame header claiming 4 GiB.
  write_file(dir.path("huge.lxw"), {0x50, 0x2A, 0x4D, 0x18, 0xFF, 0xFF, 0xFF, 0xFF});
  CHECK_FALSE(LogReader::open(dir.path("huge.lxw")).ok());
}

TEST_CASE("seek_to_event uses the index to start at any event", "[wal][reader][index]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 400, 9, small_frames());
  const ReadResult full = read_log(path);
  auto opened = LogReader::open(path);
  REQUIRE(opened.ok());
  LogReader& reader = *opened.value();
  const LogIndex* index = reader.index();
  REQUIRE(index != nullptr);
  CHECK(index->event_count == 400);
  CHECK(index->checkpoints.size() == 40);
  CHECK(index->checkpoints[3].event == 40);
  const uint64_t target = GENERATE(1, 2, 77, 199, 200, 201, 399, 400);
  CAPTURE(target);
  REQUIRE(reader.seek_to_event(target).ok());
  Record record;
  auto more = reader.next(&record);
  REQUIRE(more.ok());
  REQUIRE(more.value());
  CHECK(record.event == target);
  CHECK(is_event(record.type));
  size_t expected_at = 0;
  while (!(full.records[expected_at].record.event == target &&
           is_event(full.records[expected_at].record.type)))
    ++expected_at;
  CHECK(record.type == full.records[expected_at].record.type);
  size_t count = 1;
  while (reader.next(&record).value()) ++count;
  CHECK(count == full.records.size() - expected_at);
  CHECK(reader.damage().empty());
}

TEST_CASE("seek_to_event after reading to the end reads the rest again, undamaged",
          "[wal][reader][index]") {
  // The REPL goes back after the replay reached the trailer: the reader must
  // not take the frames after the seek for bytes after the trailer.
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 120, 9, small_frames());
  auto opened = LogReader::open(path);
  REQUIRE(opened.ok());
  LogReader& reader = *opened.value();
  Record record;
  size_t first_read = 0;
  while (reader.next(&record).value()) ++first_read;
  REQUIRE(reader.trailer_seen());
  const uint64_t target = GENERATE(1, 60, 120);
  CAPTURE(target);
  for (int round = 0; round < 2; ++round) {
    REQUIRE(reader.seek_to_event(target).ok());
    uint64_t events = 0;
    bool ended = false;
    for (;;) {
      auto more = reader.next(&record);
      REQUIRE(more.ok());
      if (!more.value()) break;
      if (is_event(record.type)) CHECK(record.event == target + events++);
      if (record.type == RecordType::kEnd) ended = true;
    }
    CHECK(events == 120 - target + 1);
    CHECK(ended);
    CHECK(reader.damage().empty());
    CHECK(reader.health() == HealthState::kClean);
  }
}

TEST_CASE("a log reads from a pipe (standard input)", "[wal][reader]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 300, 2, small_frames());
  const ReadResult full = read_log(path);
  const std::vector<uint8_t> bytes = read_file(path);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::thread feeder([&] {
    size_t at = 0;
    while (at < bytes.size()) {
      const ssize_t n =
          ::write(fds[1], bytes.data() + at, std::min<size_t>(999, bytes.size() - at));
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    ::close(fds[1]);
  });
  auto reader = LogReader::open_fd(fds[0]);
  REQUIRE(reader.ok());
  CHECK(reader.value()->index() == nullptr);
  Record record;
  size_t count = 0;
  while (reader.value()->next(&record).value()) ++count;
  feeder.join();
  ::close(fds[0]);
  CHECK(count == full.records.size());
  CHECK(reader.value()->damage().empty());
  CHECK(reader.value()->health() == HealthState::kClean);
}

TEST_CASE("follow mode sees events as they are written and ends at the end record",
          "[wal][reader][follow]") {
  TempDir dir;
  const std::string path = dir.path("live.lxw");
  WriterOptions options;
  options.flush_ms = 10;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  LogWriter& w = *writer.value();
  ReaderOptions follow;
  follow.follow = true;
  follow.follow_poll_ms = 5;
  follow.follow_timeout_ms = 20000;  // a bound for the test only
  auto reader = LogReader::open(path, follow);
  REQUIRE(reader.ok());
  Record record;
  for (uint64_t event = 1; event <= 5; ++event) {
    const PayloadPrefix prefix = prefix_set_clock(static_cast<double>(event));
    REQUIRE(w.append(RecordType::kSetClock, event, prefix.span(), {}));
    // The reader returns the event while the writer is still open.
    auto more = reader.value()->next(&record);
    REQUIRE(more.ok());
    REQUIRE(more.value());
    CHECK(record.event == event);
    CHECK(record.clock_seconds == static_cast<double>(event));
  }
  REQUIRE(w.close().ok());
  auto last = reader.value()->next(&record);
  REQUIRE(last.ok());
  REQUIRE(last.value());
  CHECK(record.type == RecordType::kEnd);
  CHECK_FALSE(reader.value()->next(&record).value());
}

TEST_CASE("records cut where zstd's window wraps read back whole, short or long", "[wal][reader]") {
  // The reader parses records where zstd decoded them. When a block goes
  // back to the start of the window, the unparsed end of the one before
  // moves just before the window (up to 128 KiB) or, longer, is copied out
  // with the blocks after it. Payloads of every size from a few bytes to
  // past a block, that room and the window, raw (level 0) and compressed,
  // must come back byte for byte.
  for (const int level : {0, 1, 3}) {
    INFO("zstd level " << level);
    TempDir dir;
    const std::string path = dir.path("wrap.lxw");
    WriterOptions options;
    options.zstd_level = level;
    std::vector<std::vector<uint8_t>> sent;
    {
      auto writer = LogWriter::open(path, LogHeader{}, options);
      REQUIRE(writer.ok());
      FakeEngine engine;
      Recorder recorder(engine, engine, *writer.value(), RecorderOptions{10});
      std::mt19937 rng(static_cast<uint32_t>(level) + 7);
      for (int i = 0; i < 240; ++i) {
        const size_t size = i % 12 == 5   ? 100'000 + rng() % 948'000  // up to 1 MiB
                            : i % 12 == 9 ? 120'000 + rng() % 20'000   // about the room
                                          : rng() % 3000;
        std::vector<uint8_t> bytes(size);
        // Half repeats (so zstd compresses), half noise (so blocks are full).
        for (size_t j = 0; j < size; ++j)
          bytes[j] = (j / 512) % 2 == 0 ? static_cast<uint8_t>(j * 7) : static_cast<uint8_t>(rng());
        recorder.recv_incoming(1, bytes);
        sent.push_back(std::move(bytes));
      }
      recorder.finish();
      REQUIRE(writer.value()->close().ok());
    }
    ReadResult r = read_log(path);
    REQUIRE(r.opened);
    CHECK(r.damage.empty());
    CHECK(r.health == HealthState::kClean);
    std::vector<std::vector<uint8_t>> got;
    for (const OwnedRecord& o : r.records)
      if (o.record.type == RecordType::kRecvIncoming) got.push_back(o.bytes);
    REQUIRE(got.size() == sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      INFO("record " << i << " of " << sent[i].size() << " bytes");
      CHECK(got[i] == sent[i]);
    }
  }
}
