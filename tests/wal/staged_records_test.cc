// The writer thread's reading of the staging ring a stretch at a time
// (StagingRing::walk_stretches into FrameWriter::add_staged_records, which
// takes runs of records without bookkeeping per record) against the record by
// record reference (parse_record and add_staged for each): the same file, byte
// for byte, through frames that end inside runs, checkpoints, an end record
// with records after it, padding at the ring's wrap, pass budgets and a size
// limit. A wrong frame boundary, first event or missed checkpoint changes the
// file or its index.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "frame_writer.h"
#include "lx/wal/log_header.h"
#include "staging_ring.h"
#include "wal_test_util.h"
#include "writer_shared.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

struct Staged {
  RecordType type;
  uint64_t event;
  PayloadPrefix prefix;
  std::vector<uint8_t> data;
};

struct Stream {
  std::vector<Staged> records;
  size_t checkpoints = 0;  // before the end record
};

// Events with payloads of 0 to 299 bytes (one- and two-byte lengths), an
// accept_result after each accept, a checkpoint every 7 events, and with
// end_after an end record after that many events, more records following it.
Stream make_stream(uint64_t first_event, size_t events, size_t end_after) {
  std::mt19937 rng(11);
  Stream s;
  for (size_t i = 0; i < events; ++i) {
    const uint64_t event = first_event + i;
    switch (rng() % 4) {
      case 0:
        s.records.push_back({RecordType::kRecvIncoming, event,
                             prefix_chid(RecordType::kRecvIncoming, 3),
                             std::vector<uint8_t>(rng() % 300, static_cast<uint8_t>(i))});
        break;
      case 1:
        s.records.push_back({RecordType::kNotifyAccept, event, prefix_notify_accept(8080), {}});
        s.records.push_back(
            {RecordType::kAcceptResult, event, prefix_chid(RecordType::kAcceptResult, 5), {}});
        break;
      case 2:
        s.records.push_back(
            {RecordType::kSentOutgoing, event, prefix_sent_outgoing(3, rng() % 1000), {}});
        break;
      default:
        s.records.push_back({RecordType::kInvokeEventUpdate, event, PayloadPrefix{}, {}});
        break;
    }
    if (i % 7 == 6) {
      lx::EngineFigures figures;
      figures.event_count = event;
      figures.memhash = rng();
      s.records.push_back({RecordType::kCheckpoint, event, prefix_checkpoint(figures), {}});
      if (end_after == 0 || i < end_after) ++s.checkpoints;
    }
    if (i + 1 == end_after)
      s.records.push_back({RecordType::kEnd, event, prefix_end(EndReason::kClosed, 0), {}});
  }
  return s;
}

enum class Walk { kRecordByRecord, kStretches };

// The reference: each record parsed and given to add_staged, stopping at
// the first record boundary at or past budget (the writer's walk before runs).
size_t add_one_by_one(FrameWriter& frames, const uint8_t* records, size_t bytes, uint64_t budget) {
  size_t at = 0;
  while (at < bytes && at < budget) {
    RawRecord raw;
    const char* reason = nullptr;
    if (parse_record(records + at, bytes - at, kWrittenRecordCrc, &raw, &reason) !=
        ParseStatus::kOk)
      break;
    frames.add_staged(static_cast<RecordType>(raw.type), raw.event, records + at, raw.record_bytes,
                      {raw.payload, raw.payload_bytes});
    at += raw.record_bytes;
  }
  return at;
}

// Stages the stream into a 64 KiB ring and takes it as LogWriter::run does
// (a pass, compress, release, flush point, the end when the log says so),
// in passes of sizes and at times from a fixed seed. @return the file.
std::vector<uint8_t> write_log(const std::string& path, const Stream& stream,
                               const WriterOptions& options, uint64_t first_event, Walk walk,
                               std::vector<uint64_t>* reached) {
  LogHeader header;
  header.first_event = first_event;
  if (first_event != 1) {  // a later segment of a recording
    header.limits = AppLimits{};
    header.segment = 2;
  }
  header.version_major = kFormatMajor;
  header.version_minor = kFormatMinor;
  header.frame_restart_bytes = options.frame_restart_bytes;
  header.max_log_bytes = options.max_log_bytes;
  const std::vector<uint8_t> header_frame = encode_header_frame(header);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, header_frame.data(), header_frame.size()) ==
          static_cast<ssize_t>(header_frame.size()));
  {
    WriterShared shared;
    FrameWriter frames(fd, path, options, header_frame.size(), first_event - 1, shared);
    StagingRing ring(heap_ring_memory(64u << 10));
    std::mt19937 rng(7);  // the same passes for both walks
    uint64_t tail = 0;
    int64_t now = 0;
    size_t next = 0;
    while (tail < ring.head() || next < stream.records.size()) {
      for (size_t batch = rng() % 400; batch > 0 && next < stream.records.size(); --batch) {
        const Staged& r = stream.records[next];
        const size_t need = record_bytes(r.type, r.event, r.prefix.size + r.data.size());
        if (ring.capacity() - (ring.produced() - tail) < 2 * need) break;  // padding included
        uint8_t* at = ring.reserve(
            need, [] {}, [] {});
        encode_record(at, r.type, r.event, r.prefix.span(), r.data);
        ring.commit(need);
        ++next;
      }
      const uint64_t budgets[] = {40, 1000, 8192, UINT64_MAX};
      const uint64_t budget = budgets[rng() % 4];
      const uint64_t head = ring.head();
      const uint64_t to = ring.walk_stretches(
          tail, head,
          [&](const uint8_t* records, size_t bytes, uint64_t left) {
            return walk == Walk::kStretches ? frames.add_staged_records(records, bytes, left)
                                            : add_one_by_one(frames, records, bytes, left);
          },
          budget);
      frames.compress_staged();
      REQUIRE((to == head || to - tail >= budget));
      reached->push_back(to);
      ring.release(to);
      tail = to;
      now += static_cast<int64_t>(rng() % 4);
      if (shared.recording() && frames.end_seen()) frames.finish(frames.end_reason(), 0, true, now);
      frames.flush_point(now);
    }
    if (shared.recording()) frames.finish(EndReason::kClosed, 0, true, now);
    REQUIRE_FALSE(shared.failed());
  }
  ::close(fd);
  return read_file(path);
}

// Both walks give the same file and passes; the file reads clean with every
// checkpoint in its index.
void check_same_file(const Stream& stream, WriterOptions options, uint64_t first_event) {
  TempDir dir;
  options.frame_restart_ms = 5;
  std::vector<uint64_t> reached_one, reached_runs;
  const std::vector<uint8_t> one = write_log(dir.path("one.lxw"), stream, options, first_event,
                                             Walk::kRecordByRecord, &reached_one);
  const std::vector<uint8_t> runs = write_log(dir.path("runs.lxw"), stream, options, first_event,
                                              Walk::kStretches, &reached_runs);
  CHECK(reached_runs == reached_one);
  REQUIRE(runs.size() == one.size());
  CHECK(runs == one);
  const ReadResult r = read_log(dir.path("runs.lxw"));
  CHECK(r.damage.empty());
  auto opened = LogReader::open(dir.path("runs.lxw"));
  REQUIRE(opened.ok());
  REQUIRE(opened.value()->index() != nullptr);
  if (options.max_log_bytes == 0) {
    CHECK(opened.value()->index()->checkpoints.size() == stream.checkpoints);
  }
}

}  // namespace

TEST_CASE("the writer's runs of staged records write what record by record writes",
          "[wal][writer][ring]") {
  WriterOptions options;
  SECTION("frames of 1000 bytes, ending inside runs") {
    options.frame_restart_bytes = 1000;
    check_same_file(make_stream(1, 3000, 0), options, 1);
  }
  SECTION("frames of 50 bytes, six-byte event numbers, an end record with records after it") {
    options.frame_restart_bytes = 50;
    check_same_file(make_stream(uint64_t{1} << 40, 2000, 1500), options, uint64_t{1} << 40);
  }
  SECTION("a frame per record (frame_restart_bytes 0)") {
    options.frame_restart_bytes = 0;
    check_same_file(make_stream(1, 400, 0), options, 1);
  }
  SECTION("the default 4 MiB frames") { check_same_file(make_stream(1, 3000, 0), options, 1); }
  SECTION("max_log_bytes truncates record by record") {
    options.frame_restart_bytes = 4096;
    options.max_log_bytes = 30000;
    check_same_file(make_stream(1, 3000, 0), options, 1);
  }
}
