// A recorder killed with SIGKILL loses nothing it had staged: its records
// survive in LOG.ring (a shared file mapping) and the next open of the log
// appends them. Also: a ring file is removed when it has nothing to add, and
// left alone while its writer lives.
#include "lx/wal/ring_recovery.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

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
