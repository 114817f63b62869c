// Segments (docs/wal-format.md, "Segments"): a recording rotated into a
// directory by Recorder::rotate reads back as one log, each segment reads
// alone from its first event, a directory that is not one recording is
// refused, and events missing between segments are damage, never skipped.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "lx/wal/log_snapshots.h"
#include "lx/wal/segments.h"
#include "read_trace.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

constexpr RecordingId kRecording = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

struct Recorded {
  std::vector<std::string> paths;  // in event order
  uint64_t events = 0;
};

LogHeader segment_header(uint64_t segment, uint64_t first_event, const RecordingId& id) {
  LogHeader h;
  h.limits = AppLimits{};
  h.segment = segment;
  h.first_event = first_event;
  h.recording_id = id;
  return h;
}

// Records `events` events into dir, a new segment after every `per_segment`
// events, each (but the first) opening with a one-piece snapshot of the
// event before it, as lxrun does.
Recorded record_segments(const std::string& dir, uint64_t events, uint64_t per_segment,
                         const RecordingId& id = kRecording, uint64_t first_segment = 1) {
  ::mkdir(dir.c_str(), 0700);
  Recorded out;
  WriterOptions options;
  options.frame_restart_bytes = 1024;  // several frames per segment
  FakeEngine engine;
  uint64_t segment = first_segment;
  out.paths.push_back(path_in(dir, segment_file_name(1)));
  auto writer = LogWriter::open(out.paths.back(), segment_header(segment, 1, id), options);
  REQUIRE(writer.ok());
  std::unique_ptr<LogWriter> current = std::move(writer).value();
  Recorder recorder(engine, engine, *current, RecorderOptions{10});
  for (uint64_t i = 1; i <= events; ++i) {
    const std::string text = "request " + std::to_string(i);
    recorder.recv_incoming(1,
                           std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    if (i % per_segment != 0 || i == events) continue;
    out.paths.push_back(path_in(dir, segment_file_name(i + 1)));
    auto next = LogWriter::open(out.paths.back(), segment_header(segment + 1, i + 1, id), options);
    REQUIRE(next.ok());
    REQUIRE(recorder.rotate(*next.value(), segment + 1));
    REQUIRE(current->close().ok());
    current = std::move(next).value();
    ++segment;
    const std::vector<uint8_t> stream(100, static_cast<uint8_t>(i));
    auto open = recorder.begin_snapshot(stream.size(), engine.figures());
    REQUIRE(open);
    REQUIRE(recorder.append_snapshot_data(*open, kSnapshotLast, stream));
  }
  recorder.finish();
  REQUIRE(current->close().ok());
  out.events = events;
  return out;
}

struct ReadBack {
  std::vector<Record> records;  // bytes not kept
  std::vector<uint64_t> events;
  std::vector<Damage> damage;
  HealthState health = HealthState::kDamaged;
  std::optional<Record> end;
  lx::Status error = lx::ok_status();
};

ReadBack read_all(const std::string& path, Recovery recovery = Recovery::kTolerant,
                  std::optional<uint64_t> seek = std::nullopt) {
  ReadBack back;
  ReaderOptions options;
  options.recovery = recovery;
  auto reader = LogReader::open(path, options);
  REQUIRE(reader.ok());
  if (seek) REQUIRE(reader.value()->seek_to_event(*seek).ok());
  Record r;
  for (;;) {
    auto more = reader.value()->next(&r);
    if (!more.ok()) {
      back.error = more.status();
      break;
    }
    if (!more.value()) break;
    r.bytes = {};
    back.records.push_back(r);
    if (is_event(r.type)) back.events.push_back(r.event);
  }
  back.damage = reader.value()->damage();
  back.health = reader.value()->health();
  back.end = reader.value()->end_record();
  return back;
}

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t e = from; e <= to; ++e) v.push_back(e);
  return v;
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

TEST_CASE("segment names sort as their first events", "[wal][segments]") {
  CHECK(segment_file_name(1) == "00000000000000000001.lxw");
  CHECK(segment_file_name(UINT64_MAX) == "18446744073709551615.lxw");
  uint64_t first = 0;
  CHECK(parse_segment_file_name("00000000000000500001.lxw", &first));
  CHECK(first == 500001);
  CHECK_FALSE(parse_segment_file_name("500001.lxw", &first));
  CHECK_FALSE(parse_segment_file_name("00000000000000000000.lxw", &first));
  CHECK_FALSE(parse_segment_file_name("99999999999999999999.lxw", &first));  // past uint64
  CHECK_FALSE(parse_segment_file_name("00000000000000000001.lxw.ring", &first));
  CHECK(segment_file_name(9) < segment_file_name(10));
  CHECK(path_in("a/", "b") == "a/b");
  CHECK(path_in("a", "b") == "a/b");
}

TEST_CASE("a directory of segments reads as one log", "[wal][segments]") {
  TempDir tmp;
  const std::string dir = tmp.path("rec");
  const Recorded rec = record_segments(dir, 95, 20);
  REQUIRE(rec.paths.size() == 5);

  const ReadBack all = read_all(dir);
  CHECK(all.error.ok());
  CHECK(all.events == range(1, 95));
  CHECK(all.damage.empty());
  CHECK(all.health == HealthState::kClean);
  REQUIRE(all.end);
  CHECK(all.end->end_reason == EndReason::kClosed);
  size_t ends = 0;
  size_t snapshots = 0;
  for (const Record& r : all.records) {
    ends += r.type == RecordType::kEnd;
    snapshots += r.type == RecordType::kSnapshotTaken;
  }
  CHECK(ends == 1);  // the seams are not ends
  CHECK(snapshots == 4);

  auto reader = LogReader::open(dir);
  REQUIRE(reader.ok());
  CHECK(reader.value()->segment_count() == 5);
  CHECK(reader.value()->header().segment == 1);
  CHECK(reader.value()->header().version_major == 3);  // every segment is 3.0
  CHECK(reader.value()->header().version_minor == 0);
  CHECK(reader.value()->header().recording_id == kRecording);
  REQUIRE(reader.value()->index() != nullptr);
  CHECK(reader.value()->index()->event_count == 95);
  CHECK(reader.value()->index()->checkpoints.size() >= 9);
  uint64_t bytes = 0;
  for (const std::string& p : rec.paths) bytes += file_size(p);
  CHECK(reader.value()->file_bytes() == bytes);

  SECTION("seeking lands in the segment that holds the event") {
    const ReadBack from = read_all(dir, Recovery::kTolerant, 67);
    CHECK(from.events == range(67, 95));
    CHECK(from.health == HealthState::kClean);
  }
  SECTION("the last usable snapshot at or before an event is found across segments") {
    auto found = find_snapshot(dir, 75, [](const LogSnapshot&) { return true; });
    REQUIRE(found.ok());
    REQUIRE(found.value());
    CHECK(found.value()->event == 60);
    auto refused = find_snapshot(dir, 75, [](const LogSnapshot& s) { return s.event != 60; });
    REQUIRE(refused.ok());
    REQUIRE(refused.value());
    CHECK(refused.value()->event == 40);
  }
  SECTION("without the last segment's index the chain still seeks") {
    const std::string last = rec.paths.back();
    REQUIRE(::truncate(last.c_str(), static_cast<off_t>(file_size(last) - 40)) == 0);
    auto opened = LogReader::open(dir);
    REQUIRE(opened.ok());
    CHECK(opened.value()->index() == nullptr);
    CHECK(opened.value()->can_seek());
    const ReadBack from = read_all(dir, Recovery::kTolerant, 90);
    CHECK(from.events == range(90, 95));
  }
}

TEST_CASE("a segment reads alone from its first event", "[wal][segments]") {
  TempDir tmp;
  const std::string dir = tmp.path("rec");
  const Recorded rec = record_segments(dir, 95, 20);
  const ReadBack third = read_all(rec.paths[2]);
  CHECK(third.error.ok());
  CHECK(third.events == range(41, 60));
  CHECK(third.damage.empty());
  CHECK(third.health == HealthState::kClean);
  REQUIRE(third.end);
  CHECK(third.end->end_reason == EndReason::kClosed);
  CHECK(third.end->end_detail == 4);
  REQUIRE_FALSE(third.records.empty());
  CHECK(third.records.front().type == RecordType::kSnapshotTaken);
  CHECK(third.records.front().event == 40);
  auto reader = LogReader::open(rec.paths[2]);
  REQUIRE(reader.ok());
  CHECK(reader.value()->header().first_event == 41);
  CHECK(reader.value()->header().segment == 3);
  // A segment that begins after event 1 is 3.0 too (2.0 before format 3).
  CHECK(reader.value()->header().version_major == 3);
  CHECK(reader.value()->segment_count() == 1);
}

TEST_CASE("a directory that is not one recording is refused", "[wal][segments]") {
  TempDir tmp;
  const std::string dir = tmp.path("rec");
  auto refused = [](const std::string& path) {
    auto reader = LogReader::open(path);
    REQUIRE_FALSE(reader.ok());
    return reader.status().message();
  };
  SECTION("empty") {
    ::mkdir(dir.c_str(), 0700);
    CHECK_THAT(refused(dir), Catch::Contains("no segments in this directory"));
  }
  SECTION("two recordings") {
    record_segments(dir, 30, 20);
    const std::string other = tmp.path("other");
    const RecordingId other_id = {9};
    const Recorded rec = record_segments(other, 80, 20, other_id);
    REQUIRE(::rename(rec.paths[3].c_str(), path_in(dir, segment_file_name(61)).c_str()) == 0);
    CHECK_THAT(refused(dir), Catch::Contains("a directory holds one recording"));
  }
  SECTION("a log of its own") {
    ::mkdir(dir.c_str(), 0700);
    auto writer = LogWriter::open(path_in(dir, segment_file_name(1)), LogHeader{}, WriterOptions{});
    REQUIRE(writer.ok());
    REQUIRE(writer.value()->close().ok());
    CHECK_THAT(refused(dir), Catch::Contains("not a segment"));
  }
  SECTION("a renamed segment") {
    const Recorded rec = record_segments(dir, 50, 20);
    REQUIRE(::rename(rec.paths[1].c_str(), path_in(dir, segment_file_name(30)).c_str()) == 0);
    CHECK_THAT(refused(dir), Catch::Contains("its header says it begins at event 21"));
  }
  SECTION("follow mode") {
    record_segments(dir, 30, 20);
    ReaderOptions options;
    options.follow = true;
    auto reader = LogReader::open(dir, options);
    REQUIRE_FALSE(reader.ok());
    CHECK(reader.status().kind() == lx::ErrorKind::kUsage);
  }
}

TEST_CASE("events missing between segments are damage", "[wal][segments]") {
  TempDir tmp;
  const std::string dir = tmp.path("rec");
  const Recorded rec = record_segments(dir, 95, 20);

  SECTION("a missing middle segment") {
    REQUIRE(::unlink(rec.paths[2].c_str()) == 0);
    const ReadBack tolerant = read_all(dir);
    CHECK(tolerant.events == range(1, 40));
    CHECK(tolerant.health == HealthState::kDamaged);
    REQUIRE(tolerant.damage.size() == 1);
    CHECK(tolerant.damage[0].reason == reason::kEventGap);
    CHECK(tolerant.damage[0].segment == segment_file_name(61));

    const ReadBack salvage = read_all(dir, Recovery::kSalvage);
    std::vector<uint64_t> expected = range(1, 40);
    for (uint64_t e : range(61, 95)) expected.push_back(e);
    CHECK(salvage.events == expected);
    CHECK(salvage.health == HealthState::kDamaged);

    const ReadBack strict = read_all(dir, Recovery::kStrict);
    REQUIRE_FALSE(strict.error.ok());
    CHECK_THAT(strict.error.message(), Catch::Contains("events 41..60 are in no segment"));
  }
  SECTION("a damaged middle segment") {
    const std::string second = rec.paths[1];
    flip_byte(second, file_size(second) / 2);
    const ReadBack tolerant = read_all(dir);
    CHECK(tolerant.health == HealthState::kDamaged);
    REQUIRE_FALSE(tolerant.events.empty());
    CHECK(tolerant.events.back() < 40);
    CHECK(tolerant.events == range(1, tolerant.events.back()));
    REQUIRE_FALSE(tolerant.damage.empty());
    CHECK(tolerant.damage.front().segment == segment_file_name(21));

    const ReadBack salvage = read_all(dir, Recovery::kSalvage);
    CHECK(salvage.health == HealthState::kDamaged);
    REQUIRE_FALSE(salvage.events.empty());
    CHECK(salvage.events.back() == 95);
    // Every event of the segments after the damaged one.
    for (uint64_t e : range(41, 95))
      CHECK(std::count(salvage.events.begin(), salvage.events.end(), e) == 1);
    for (size_t i = 1; i < salvage.events.size(); ++i)
      CHECK(salvage.events[i] > salvage.events[i - 1]);
  }
  SECTION("the oldest segments deleted: the directory begins at its first segment") {
    REQUIRE(::unlink(rec.paths[0].c_str()) == 0);
    REQUIRE(::unlink(rec.paths[1].c_str()) == 0);
    const ReadBack rest = read_all(dir);
    CHECK(rest.events == range(41, 95));
    CHECK(rest.damage.empty());
    CHECK(rest.health == HealthState::kClean);
  }
}

TEST_CASE("a last segment that got no event ends after the event before it", "[wal][segments]") {
  // lxrun rotates on SIGHUP and then stops before another event comes.
  TempDir tmp;
  const std::string dir = tmp.path("rec");
  ::mkdir(dir.c_str(), 0700);
  FakeEngine engine;
  const std::string first = path_in(dir, segment_file_name(1));
  const std::string second = path_in(dir, segment_file_name(6));
  auto a = LogWriter::open(first, segment_header(1, 1, kRecording), WriterOptions{});
  REQUIRE(a.ok());
  Recorder recorder(engine, engine, *a.value());
  for (int i = 0; i < 5; ++i) recorder.invoke_event_update();
  auto b = LogWriter::open(second, segment_header(2, 6, kRecording), WriterOptions{});
  REQUIRE(b.ok());
  REQUIRE(recorder.rotate(*b.value(), 2));
  REQUIRE(a.value()->close().ok());
  recorder.finish();
  REQUIRE(b.value()->close().ok());

  auto alone = LogReader::open(second);
  REQUIRE(alone.ok());
  REQUIRE(alone.value()->index() != nullptr);
  CHECK(alone.value()->index()->event_count == 5);
  const ReadBack back = read_all(second);
  CHECK(back.events.empty());
  CHECK(back.damage.empty());
  CHECK(back.health == HealthState::kClean);
  REQUIRE(back.end);
  CHECK(back.end->event == 5);
  const ReadBack whole = read_all(dir);
  CHECK(whole.events == range(1, 5));
  CHECK(whole.health == HealthState::kClean);
  auto chain = LogReader::open(dir);
  REQUIRE(chain.ok());
  CHECK(chain.value()->index()->event_count == 5);
}

TEST_CASE("a directory of segments reads the same through next_records",
          "[wal][segments][next_records]") {
  // The chain's batches: the seams' end records hidden, events before a
  // seek skipped, a gap between segments and a damaged segment reported
  // between the same records as next() reports them.
  TempDir dir;
  const std::string logs = dir.path("rec");
  const Recorded rec = record_segments(logs, 600, 150);
  REQUIRE(rec.paths.size() == 4);
  const OpenReader open = [&](const ReaderOptions& o) { return LogReader::open(logs, o); };
  auto same = [&](Recovery recovery, const std::function<void(LogReader&)>& before = {}) {
    ReaderOptions options;
    options.recovery = recovery;
    const ReadTrace one = trace_read(open, options, 0, before);
    CHECK_FALSE(one.items.empty());
    for (size_t capacity : {1, 3, 64}) {
      CAPTURE(static_cast<int>(recovery), capacity);
      CHECK(trace_read(open, options, capacity, before) == one);
    }
  };
  CHECK(trace_read(open, {}, 64).items.size() > 600);  // every event and more
  for (Recovery recovery : {Recovery::kTolerant, Recovery::kStrict, Recovery::kSalvage})
    same(recovery);
  for (uint64_t event : {1, 149, 150, 151, 450, 600})
    same(Recovery::kTolerant, [event](LogReader& r) { REQUIRE(r.seek_to_event(event).ok()); });
  flip_byte(rec.paths[1], file_size(rec.paths[1]) / 2);
  for (Recovery recovery : {Recovery::kTolerant, Recovery::kStrict, Recovery::kSalvage})
    same(recovery);
  REQUIRE(::unlink(rec.paths[2].c_str()) == 0);
  for (Recovery recovery : {Recovery::kTolerant, Recovery::kSalvage}) same(recovery);
}
