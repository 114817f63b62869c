// The snapshot records (docs/wal-format.md, "Snapshots"): written between
// other records by the Recorder, read back in order, gathered into streams,
// and found again at or before an event, with and without an index.
#include "lx/wal/log_snapshots.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "log_builder.h"
#include "lx/wal/byte_source.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

// The bytes of the stream of the snapshot of `event`: recognisable pieces.
std::vector<uint8_t> stream_of(uint64_t event, size_t bytes) {
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(event * 31 + i * 7);
  return out;
}

struct Plan {
  uint64_t events = 1000;
  uint64_t every = 100;           // a snapshot after every N events
  uint64_t pieces = 3;            // each in this many pieces
  uint64_t lag = 2;               // one piece every `lag` events after it
  uint64_t abandon_event = 300;   // this one is abandoned halfway
  uint64_t checkpoint_every = 7;  // so checkpoints and pieces share events
};

// Records plan.events events through a Recorder, taking snapshots as lxrun
// does: snapshot_taken right after the event, its pieces after later events.
void record_with_snapshots(const std::string& path, const Plan& plan, WriterOptions options = {}) {
  options.frame_restart_bytes = 2048;  // many frames, so seeks have a choice
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value(), RecorderOptions{plan.checkpoint_every});
  std::optional<SnapshotFields> open;
  std::vector<uint8_t> stream;
  uint64_t next_piece = 0;
  for (uint64_t i = 1; i <= plan.events; ++i) {
    std::string text = "request " + std::to_string(i);
    recorder.recv_incoming(1,
                           std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    if (open && (i - open->event) % plan.lag == 0) {
      const size_t piece = stream.size() / plan.pieces;
      const size_t from = next_piece * piece;
      const bool last = next_piece + 1 == plan.pieces;
      if (open->event == plan.abandon_event && next_piece == 1) {
        CHECK(recorder.append_snapshot_data(*open, kSnapshotAbandoned, {}));
        open.reset();
      } else {
        const size_t to = last ? stream.size() : from + piece;
        CHECK(recorder.append_snapshot_data(*open, last ? kSnapshotLast : 0,
                                            std::span(stream).subspan(from, to - from)));
        if (++next_piece == plan.pieces) open.reset();
      }
    }
    if (!open && i % plan.every == 0) {
      stream = stream_of(i, 1000 + i);
      open = recorder.begin_snapshot(stream.size() * 4, engine.figures());
      REQUIRE(open);
      CHECK(open->event == i);
      next_piece = 0;
    }
  }
  recorder.finish();
  REQUIRE(writer.value()->close().ok());
}

std::optional<LogSnapshot> find(const std::string& path, uint64_t event,
                                std::optional<uint64_t> refuse = std::nullopt) {
  auto found = find_snapshot(path, event, [&](const LogSnapshot& s) { return s.event != refuse; });
  REQUIRE(found.ok());
  return found.value();
}

}  // namespace

TEST_CASE("snapshot records come back in order among the other records", "[wal][snapshot]") {
  TempDir dir;
  const std::string path = dir.path("snap.lxw");
  record_with_snapshots(path, Plan{});
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  CHECK(r.damage.empty());
  CHECK(r.health == HealthState::kClean);
  uint64_t serial = 0;
  uint64_t last_event = 0;
  SnapshotAssembler assembler;
  std::vector<uint64_t> complete, incomplete;
  for (const OwnedRecord& owned : r.records) {
    Record record = owned.record;
    record.bytes = owned.bytes;
    if (is_event(record.type)) last_event = record.event;
    if (!record.info().repeats()) continue;
    CHECK(record.event == last_event);          // a snapshot record follows its event
    CHECK(record.snapshot.serial == ++serial);  // and the serial rises by one
    CHECK(record.snapshot.event <= record.event);
    switch (assembler.add(record)) {
      case SnapshotAssembler::Outcome::kComplete: {
        LogSnapshot s = assembler.take();
        CHECK(s.stream == stream_of(s.event, 1000 + s.event));
        CHECK(s.state_bytes == s.stream.size() * 4);
        complete.push_back(s.event);
        break;
      }
      case SnapshotAssembler::Outcome::kIncomplete:
        incomplete.push_back(assembler.incomplete_event());
        CHECK_THAT(assembler.incomplete_reason(), Catch::Contains("abandoned"));
        break;
      default:
        break;
    }
  }
  CHECK(complete == std::vector<uint64_t>{100, 200, 400, 500, 600, 700, 800, 900});
  CHECK(incomplete == std::vector<uint64_t>{300});
}

TEST_CASE("the last usable snapshot at or before an event is found, with an index or without",
          "[wal][snapshot]") {
  TempDir dir;
  const std::string path = dir.path("snap.lxw");
  record_with_snapshots(path, Plan{});
  // Without its index and trailer the log reads from the start.
  const std::string plain = dir.path("plain.lxw");
  {
    std::vector<uint8_t> bytes = read_file(path);
    Trailer trailer;
    REQUIRE(parse_trailer_frame(bytes.data() + bytes.size() - kTrailerFrameBytes, &trailer));
    bytes.resize(trailer.index_offset);
    write_file(plain, bytes);
  }
  for (const std::string& log : {path, plain}) {
    CAPTURE(log);
    CHECK(find(log, 99) == std::nullopt);
    CHECK(find(log, 100)->event == 100);
    CHECK(find(log, 650)->event == 600);
    CHECK(find(log, 350)->event == 200);  // 300 was abandoned
    CHECK(find(log, 1000)->event == 900);
    CHECK(find(log, 5000)->event == 900);
    // One the caller cannot use: the one before it.
    CHECK(find(log, 1000, 900)->event == 800);
    CHECK(find(log, 150, 100) == std::nullopt);
    const auto s = find(log, 777);
    CHECK(s->stream == stream_of(700, 1700));
  }
}

TEST_CASE("a snapshot whose pieces are interrupted by the end of the log is incomplete",
          "[wal][snapshot]") {
  TempDir dir;
  const std::string path = dir.path("snap.lxw");
  Plan plan;
  plan.events = 905;  // the snapshot of 900 gets 2 of its 3 pieces
  record_with_snapshots(path, plan);
  CHECK(find(path, 1000)->event == 800);
  const ReadResult r = read_log(path);
  CHECK(r.damage.empty());
  CHECK(r.health == HealthState::kClean);
}

TEST_CASE("snapshot records out of order are damage", "[wal][snapshot][hostile]") {
  auto snapshot_record = [](RecordType type, uint64_t event, uint64_t serial, uint64_t of) {
    Record r;
    r.type = type;
    r.event = event;
    r.snapshot = {serial, of, 0};
    return record_bytes_of(r);
  };
  auto log_of = [](const std::vector<std::vector<uint8_t>>& records) {
    std::vector<uint8_t> all;
    for (const auto& r : records) all.insert(all.end(), r.begin(), r.end());
    LogBuilder b;
    b.zstd_frame(all);
    b.index_and_trailer(2);
    return read_source(memory_source(b.bytes()));
  };
  const auto taken = snapshot_record(RecordType::kSnapshotTaken, 1, 1, 1);
  SECTION("in order: read") {
    auto r = log_of({event_record(RecordType::kInvokeEventUpdate, 1), taken,
                     snapshot_record(RecordType::kSnapshotData, 1, 2, 1),
                     event_record(RecordType::kInvokeEventUpdate, 2),
                     snapshot_record(RecordType::kSnapshotData, 2, 3, 1), end_record(2)});
    CHECK(r.damage.empty());
    CHECK(r.records.size() == 6);
  }
  SECTION("a serial that does not rise") {
    auto r = log_of({event_record(RecordType::kInvokeEventUpdate, 1), taken,
                     snapshot_record(RecordType::kSnapshotData, 1, 1, 1), end_record(1)});
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].reason == reason::kOutOfSequence);
  }
  SECTION("a snapshot record before its event") {
    auto r = log_of({event_record(RecordType::kInvokeEventUpdate, 1),
                     snapshot_record(RecordType::kSnapshotData, 2, 1, 1), end_record(1)});
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].reason == reason::kOutOfSequence);
  }
  SECTION("a snapshot_taken about another event than its own is a bad payload") {
    auto r = log_of({event_record(RecordType::kInvokeEventUpdate, 1),
                     snapshot_record(RecordType::kSnapshotTaken, 1, 1, 0), end_record(1)});
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].reason == reason::kBadPayload);
  }
}
