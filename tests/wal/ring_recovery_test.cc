// A recorder killed with SIGKILL loses nothing it had staged: its records
// survive in LOG.ring (a shared file mapping) and the next open of the log
// appends them. Also: a ring file is removed when it has nothing to add,
// left alone while its writer lives, and in memory from the start; an older
// lx's ring is recovered under its own CRC rule, a newer one's left alone.
#include "lx/wal/ring_recovery.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <string>

#include "lx/wal/log_header.h"
#include "ring_file.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

// A line of /proc/self/smaps that starts a mapping ("START-END perms ...").
bool is_mapping_header(const std::string& line) {
  const size_t space = line.find(' ');
  if (space == std::string::npos || space == 0) return false;
  bool dash = false;
  for (size_t i = 0; i < space; ++i) {
    if (line[i] == '-') {
      dash = true;
    } else if (!std::isxdigit(static_cast<unsigned char>(line[i]))) {
      return false;
    }
  }
  return dash;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// In a child: records `events` events with a flush interval longer than the
// child lives, so none reaches the log file, then dies of SIGKILL.
void record_then_get_killed(const std::string& path, uint64_t events) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    WriterOptions options;
    options.flush_ms = 60000;
    options.staging_bytes = 1u << 20;
    auto writer = LogWriter::open(path, LogHeader{}, options);
    if (!writer.ok()) ::_exit(3);
    // A server killed while it serves: no finish(), no end record.
    FakeEngine engine;
    Recorder recorder(engine, engine, *writer.value(), RecorderOptions{10});
    for (uint64_t i = 1; i <= events; ++i) {
      if (i % 3 == 0) {
        recorder.invoke_event_update();
      } else {
        const std::string text = "request " + std::to_string(i);
        recorder.recv_incoming(1, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
      }
    }
    ::raise(SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

}  // namespace

TEST_CASE("records staged by a recorder killed with SIGKILL are recovered on the next open",
          "[wal][ring][recovery]") {
  TempDir dir;
  const std::string path = dir.path("killed.lxw");
  record_then_get_killed(path, 300);
  REQUIRE(exists(ring_file_path(path)));
  std::string note;
  ReaderOptions options;
  options.on_note = [&](std::string_view line) { note = line; };
  const ReadResult r = read_log(path, options);
  REQUIRE(r.opened);
  CHECK(note.find("recovered") != std::string::npos);
  CHECK_FALSE(exists(ring_file_path(path)));
  uint64_t events = 0;
  for (const OwnedRecord& o : r.records)
    if (is_event(o.record.type)) CHECK(o.record.event == ++events);
  CHECK(events == 300);
  for (const Damage& d : r.damage) {
    CAPTURE(d.reason, d.offset, d.recovered);
    CHECK((d.recovered || d.torn));
  }
  CHECK(r.health == HealthState::kCrashed);
  // The log itself now holds them: a second read needs no ring file.
  const ReadResult again = read_log(path);
  CHECK(again.records.size() == r.records.size());
  CHECK(again.health == HealthState::kCrashed);
}

TEST_CASE("a closed log leaves no ring file, and a stale one is removed", "[wal][ring]") {
  TempDir dir;
  const std::string path = dir.path("closed.lxw");
  write_sample_log(path, 50);
  CHECK_FALSE(exists(ring_file_path(path)));
  // A ring file left by another log of that name (say, overwritten with
  // --force) belongs to that log, not this one.
  const std::string other = dir.path("other.lxw");
  record_then_get_killed(other, 20);
  REQUIRE(::rename(ring_file_path(other).c_str(), ring_file_path(path).c_str()) == 0);
  std::string note;
  ReaderOptions options;
  options.on_note = [&](std::string_view line) { note = line; };
  const ReadResult r = read_log(path, options);
  std::string reasons;
  for (const Damage& d : r.damage) reasons += std::string(d.reason) + "; ";
  INFO(note << " | " << reasons);
  CHECK(r.health == HealthState::kClean);
  CHECK(note.find("belongs to an earlier log") != std::string::npos);
  CHECK_FALSE(exists(ring_file_path(path)));
}

TEST_CASE("the ring file of a live writer is left alone", "[wal][ring]") {
  TempDir dir;
  const std::string path = dir.path("live.lxw");
  WriterOptions options;
  options.flush_ms = 60000;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  record_sample_events(*writer.value(), 10, 1, 5);
  auto recovered = recover_ring_file(path);
  REQUIRE(recovered.ok());
  CHECK(recovered.value().records == 0);
  CHECK(exists(ring_file_path(path)));
  REQUIRE(writer.value()->close().ok());
  CHECK_FALSE(exists(ring_file_path(path)));
  CHECK(read_log(path).health == HealthState::kClean);
}

TEST_CASE("a new ring file is mapped in whole before the first append", "[wal][ring]") {
  // Otherwise the driver thread takes a page fault at its first store into
  // each page (one every 4 KiB of records during the first lap). The
  // writer's mapping of LOG.ring, as /proc/self/smaps counts it: every page
  // in this process's page tables (Rss) already.
  TempDir dir;
  const std::string path = dir.path("fresh.lxw");
  WriterOptions options;
  options.staging_bytes = 1u << 20;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  std::ifstream smaps("/proc/self/smaps");
  REQUIRE(smaps.good());
  const std::string ring = ring_file_path(path);
  std::string line;
  bool in_ring = false;
  uint64_t size_kb = 0;
  uint64_t rss_kb = 0;
  while (std::getline(smaps, line)) {
    if (is_mapping_header(line)) {
      in_ring = line.size() >= ring.size() &&
                line.compare(line.size() - ring.size(), ring.size(), ring) == 0;
      continue;
    }
    if (!in_ring) continue;
    if (line.rfind("Size:", 0) == 0) size_kb = std::stoull(line.substr(5));
    if (line.rfind("Rss:", 0) == 0) rss_kb = std::stoull(line.substr(4));
  }
  REQUIRE(size_kb * 1024 >= options.staging_bytes);
  CHECK(rss_kb == size_kb);
  REQUIRE(writer.value()->close().ok());
}

namespace {

// LOG as an older lx (format 1.3) left it when killed before its first
// frame: the header frame alone, beside LOG.ring holding `events` staged
// events of a ring of `ring_version`, each record's CRC over all its bytes
// before the CRC (formats 1 and 2) when old_crcs.
void leave_old_ring(const std::string& path, uint64_t events, uint32_t ring_version,
                    bool old_crcs) {
  std::vector<uint8_t> frame = encode_header_frame(LogHeader{});
  put_u16(&frame[8 + 8], 1);  // version 1.3, then the header's CRC again
  put_u16(&frame[8 + 10], 3);
  put_u32(&frame[frame.size() - 4], crc32c(frame.data() + 8, frame.size() - 8 - 4));
  write_file(path, frame);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  uint32_t identity = 0;
  REQUIRE(log_identity(nullptr, fd, frame.data(), frame.size(), &identity));
  ::close(fd);
  auto ring = create_ring_file(nullptr, ring_file_path(path), 64u << 10, identity);
  REQUIRE(ring.ok());
  RingMemory& memory = *ring.value();
  uint8_t* at = memory.records();
  const PayloadPrefix chid = prefix_chid(RecordType::kRecvIncoming, 1);
  for (uint64_t event = 1; event <= events; ++event) {
    const std::string text = "request " + std::to_string(event);
    const size_t n = encode_record(at, RecordType::kRecvIncoming, event, {chid.bytes, chid.size},
                                   {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    if (old_crcs) put_u32(at + n - kRecordCrcBytes, crc32c(at, n - kRecordCrcBytes));
    at += n;
  }
  memory.header()->version = ring_version;
  memory.header()->head.store(static_cast<uint64_t>(at - memory.records()));
}

}  // namespace

TEST_CASE("a ring an older lx left (version 1, format 1 and 2 CRCs) is still recovered",
          "[wal][ring][recovery]") {
  TempDir dir;
  const std::string path = dir.path("old.lxw");
  leave_old_ring(path, 40, 1, true);
  std::string note;
  ReaderOptions options;
  options.on_note = [&](std::string_view line) { note = line; };
  const ReadResult r = read_log(path, options);
  REQUIRE(r.opened);
  CHECK_THAT(note, Catch::Contains("recovered 40 staged records"));
  auto reader = LogReader::open(path);
  REQUIRE(reader.ok());
  CHECK(reader.value()->header().version_major == 1);
  uint64_t events = 0;
  for (const OwnedRecord& o : r.records)
    if (is_event(o.record.type)) CHECK(o.record.event == ++events);
  CHECK(events == 40);
  for (const Damage& d : r.damage) FAIL_CHECK("damage at " << d.offset << ": " << d.reason);
  CHECK(r.health == HealthState::kCrashed);
  CHECK_FALSE(exists(ring_file_path(path)));

  SECTION("the version decides the rule: the same records in a version 2 ring do not check") {
    const std::string other = dir.path("mislabelled.lxw");
    leave_old_ring(other, 40, RingHeader::kVersion, true);
    const ReadResult m = read_log(other);
    uint64_t recovered = 0;
    for (const OwnedRecord& o : m.records) recovered += is_event(o.record.type) ? 1 : 0;
    CHECK(recovered == 0);
  }
}

TEST_CASE("a ring of a version this lx does not know is left for the lx that wrote it",
          "[wal][ring][recovery]") {
  TempDir dir;
  const std::string path = dir.path("newer.lxw");
  leave_old_ring(path, 10, RingHeader::kVersion + 1, false);
  std::string note;
  ReaderOptions options;
  options.on_note = [&](std::string_view line) { note = line; };
  const ReadResult r = read_log(path, options);
  CHECK_THAT(note, Catch::Contains("a staging ring of version 3, newer than this lx reads"));
  CHECK(exists(ring_file_path(path)));
}
