// The writer: file mode and overwrite rules, the zstd CLI's view of a log,
// the staging ring under pressure, oversize records, max_log_bytes, and a
// full disk (RLIMIT_FSIZE in a child process).
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

// The log at path ends with a checkpoint of its last event and an end
// record of reason `reason`, and reads without damage.
void check_ends_with_checkpoint_of_last_event(const std::string& path, EndReason reason) {
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  CHECK(r.damage.empty());
  REQUIRE(r.records.size() >= 3);
  const Record& end = r.records.back().record;
  const Record& checkpoint = r.records[r.records.size() - 2].record;
  const Record& last = r.records[r.records.size() - 3].record;
  CHECK(end.type == RecordType::kEnd);
  CHECK(end.end_reason == reason);
  CHECK(checkpoint.type == RecordType::kCheckpoint);
  CHECK(is_event(last.type));
  CHECK(checkpoint.event == last.event);
  CHECK(checkpoint.figures.event_count == last.event);
}

}  // namespace

TEST_CASE("log files are created with mode 0600 and never overwritten without force",
          "[wal][writer]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  const mode_t old_umask = ::umask(0);
  write_sample_log(path, 10);
  ::umask(old_umask);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto again = LogWriter::open(path, LogHeader{}, WriterOptions{});
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().kind() == lx::ErrorKind::kUsage);
  CHECK_THAT(again.status().message(), Catch::Contains("already exists"));
  CHECK(read_log(path).health == HealthState::kClean);  // untouched

  ::chmod(path.c_str(), 0644);
  WriterOptions force;
  force.force = true;
  write_sample_log(path, 3, 1, force);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(read_log(path).records.size() < 10);
}

TEST_CASE("a log is never written through a symbolic link, with force or without",
          "[wal][writer][symlink]") {
  TempDir dir;
  const std::string target = dir.path("precious");
  write_file(target, {'k', 'e', 'e', 'p'});
  const std::string link = dir.path("a.lxw");
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  WriterOptions options;
  options.force = GENERATE(false, true);
  auto writer = LogWriter::open(link, LogHeader{}, options);
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.status().kind() == lx::ErrorKind::kUsage);
  CHECK_THAT(writer.status().message(), Catch::Contains("is a symbolic link"));
  CHECK(read_file(target) == std::vector<uint8_t>{'k', 'e', 'e', 'p'});
}

TEST_CASE("the zstd CLI accepts a closed log and prints its record stream", "[wal][writer]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.frame_restart_bytes = 4096;  // several frames
  write_sample_log(path, 300, 4, options);
  CHECK(run_command("zstd -q -t '" + path + "'") == 0);
  const std::string raw_path = dir.path("raw.bin");
  REQUIRE(run_command("zstd -q -dc '" + path + "' > '" + raw_path + "'") == 0);
  // The raw stream is exactly the records, back to back.
  const std::vector<uint8_t> raw = read_file(raw_path);
  auto reader = LogReader::open(path);
  REQUIRE(reader.ok());
  size_t at = 0;
  size_t count = 0;
  while (at < raw.size()) {
    RawRecord record;
    const char* reason = nullptr;
    REQUIRE(parse_record(raw.data() + at, raw.size() - at, kWrittenRecordCrc, &record, &reason) ==
            ParseStatus::kOk);
    at += record.record_bytes;
    ++count;
  }
  CHECK(count == read_log(path).records.size());
  REQUIRE(reader.value()->index() != nullptr);
  CHECK(reader.value()->index()->raw_bytes == raw.size());
  CHECK(reader.value()->index()->frames.size() > 1);
}

TEST_CASE("the header records what replay needs and the writer's options", "[wal][writer]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  LogHeader header;
  header.engine_abi_version = 1;
  header.engine_build_id = "abc";
  header.seed = 99;
  header.heap_base = 0x200000000000ull;
  header.heap_bytes = 1ull << 34;
  header.checkpoint_every = 10;
  WriterOptions options;
  options.zstd_level = 3;
  options.fsync = FsyncMode::kAlways;
  auto writer = LogWriter::open(path, header, options);
  REQUIRE(writer.ok());
  REQUIRE(writer.value()->close().ok());
  auto reader = LogReader::open(path);
  REQUIRE(reader.ok());
  const LogHeader& h = reader.value()->header();
  CHECK(h.seed == 99);
  CHECK(h.heap_base == 0x200000000000ull);
  CHECK(h.engine_build_id == "abc");
  CHECK(h.zstd_level == 3);
  CHECK(h.fsync == FsyncMode::kAlways);
  CHECK_FALSE(h.host_name.empty());
  CHECK(h.start_wall_time_ns > 0);
  CHECK(h.version_major == kFormatMajor);  // every log is 3.0
  CHECK(h.version_minor == kFormatMinor);
}

TEST_CASE("a log closed before its first event reads clean", "[wal][writer]") {
  // Its end record is at event 0: the event it follows is none. Readers took
  // that for a record out of sequence and called the log damaged (so did a
  // log the disk filled up before its first event; io_fault_test).
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  auto writer = LogWriter::open(path, LogHeader{}, WriterOptions{});
  REQUIRE(writer.ok());
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value());
  recorder.finish();
  REQUIRE(writer.value()->close().ok());
  const ReadResult r = read_log(path);
  CHECK(r.damage.empty());
  CHECK(r.health == HealthState::kClean);
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].record.type == RecordType::kEnd);
  CHECK(r.records[0].record.event == 0);
  ReaderOptions strict;
  strict.recovery = Recovery::kStrict;
  CHECK_FALSE(read_log(path, strict).failed);
}

TEST_CASE("an idle writer adds no byte to the file, not even a frame's end", "[wal][writer]") {
  // A frame older than frame_restart_ms used to end at the next flush point
  // whether or not a record had come: 7 bytes (a last block and the
  // checksum) in the log of a server that had nothing to do.
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.flush_ms = 1;
  options.frame_restart_ms = 1;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  LogWriter& log = *writer.value();
  FakeEngine engine;
  Recorder recorder(engine, engine, log);
  auto wait_written = [&] {
    while (log.written_event() < recorder.event_count())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  auto file_size = [&] {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<uint64_t>(st.st_size);
  };
  CHECK(recorder.notify_accept(8080) == 1);
  wait_written();
  const uint64_t before = file_size();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // 200 flush points
  CHECK(file_size() == before);
  CHECK(log.file_bytes() == before);
  // The next record ends the old frame: a restart point, and nothing lost.
  CHECK(recorder.notify_close(1) == 0);
  wait_written();
  CHECK(file_size() > before);
  recorder.finish();
  REQUIRE(log.close().ok());
  const ReadResult r = read_log(path);
  CHECK(r.damage.empty());
  uint64_t events = 0;
  for (const OwnedRecord& o : r.records) events += is_event(o.record.type) ? 1 : 0;
  CHECK(events == 2);
}

TEST_CASE("a small staging ring wraps many times and loses nothing", "[wal][writer]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.staging_bytes = 64u << 10;
  options.flush_ms = 1;
  write_sample_log(path, 20000, 8, options);
  const ReadResult r = read_log(path);
  CHECK(r.damage.empty());
  uint64_t events = 0;
  for (const OwnedRecord& o : r.records)
    if (is_event(o.record.type)) CHECK(o.record.event == ++events);
  CHECK(events == 20000);
}

TEST_CASE("the writer's passes over the ring change no record, frame or index entry",
          "[wal][writer]") {
  // The writer thread takes the ring in passes of an eighth of it, and gives
  // zstd each run of adjacent records at once: a 64 KiB ring (8 KiB passes,
  // runs cut at every wrap) and the default 16 MiB one must give the same
  // records, and both indexes must lead a seek to every checkpoint.
  TempDir dir;
  auto write = [&](const std::string& name, size_t staging_bytes) {
    WriterOptions options;
    options.staging_bytes = staging_bytes;
    options.frame_restart_bytes = 4096;  // frames end inside passes and runs
    write_sample_log(dir.path(name), 30000, 21, options);
    return read_log(dir.path(name));
  };
  const ReadResult small = write("small.lxw", 64u << 10);
  const ReadResult large = write("large.lxw", 16u << 20);
  CHECK(small.damage.empty());
  CHECK(large.damage.empty());
  REQUIRE(small.records.size() == large.records.size());
  size_t differ = 0;
  for (size_t i = 0; i < small.records.size(); ++i) {
    const OwnedRecord& a = small.records[i];
    const OwnedRecord& b = large.records[i];
    if (a.record.type != b.record.type || a.record.event != b.record.event || a.bytes != b.bytes)
      ++differ;
  }
  CHECK(differ == 0);
  ReaderOptions strict;
  strict.recovery = Recovery::kStrict;
  for (const char* name : {"small.lxw", "large.lxw"}) {
    INFO(name);
    CHECK_FALSE(read_log(dir.path(name), strict).failed);
    auto opened = LogReader::open(dir.path(name));
    REQUIRE(opened.ok());
    LogReader& reader = *opened.value();
    REQUIRE(reader.can_seek());
    CHECK(reader.index()->checkpoints.size() == 3000);  // one per 10 events
    CHECK(reader.index()->frames.size() > 100);
    check_seeks(reader, {1, 4095, 17777, 29990});
  }
}

TEST_CASE("a record larger than half the staging ring is handed over whole", "[wal][writer]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.staging_bytes = 64u << 10;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  std::vector<uint8_t> blob(300000);
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<uint8_t>(i * 13);
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value());
  recorder.set_clock(1.0);
  recorder.set_lua_source(blob);
  recorder.recv_incoming(0, blob);
  recorder.invoke_event_update();
  recorder.finish();
  REQUIRE(writer.value()->close().ok());
  const ReadResult r = read_log(path);
  CHECK(r.damage.empty());
  REQUIRE(r.records.size() == 6);  // 4 events, final checkpoint, end
  CHECK(r.records[1].bytes == blob);
  CHECK(r.records[2].bytes == blob);
  CHECK(r.records[2].record.chid == 0);
  CHECK(r.records[3].record.type == RecordType::kInvokeEventUpdate);
}

TEST_CASE("the recorder appends before forwarding and checkpoints every N events",
          "[wal][recorder]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  auto writer = LogWriter::open(path, LogHeader{}, WriterOptions{});
  REQUIRE(writer.ok());
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value(), RecorderOptions{2});
  CHECK(recorder.notify_accept(8080) == 1);
  CHECK(recorder.notify_accept(8080) == 2);
  CHECK(recorder.notify_close(1) == 0);
  recorder.finish();
  CHECK(recorder.event_count() == 3);
  REQUIRE(writer.value()->close().ok());
  const ReadResult r = read_log(path);
  std::vector<std::pair<RecordType, uint64_t>> got;
  for (const OwnedRecord& o : r.records) got.emplace_back(o.record.type, o.record.event);
  const std::vector<std::pair<RecordType, uint64_t>> expected = {
      {RecordType::kNotifyAccept, 1}, {RecordType::kAcceptResult, 1},
      {RecordType::kNotifyAccept, 2}, {RecordType::kAcceptResult, 2},
      {RecordType::kCheckpoint, 2},   {RecordType::kNotifyClose, 3},
      {RecordType::kCheckpoint, 3},   {RecordType::kEnd, 3}};
  CHECK(got == expected);
  CHECK(r.records[1].record.chid == 1);
  CHECK(r.records[3].record.chid == 2);
  CHECK(r.records[4].record.figures.event_count == 2);
  CHECK(r.records[0].record.port == 8080);
}

TEST_CASE("max_log_bytes truncates to a readable prefix with a truncated end record",
          "[wal][writer][limit]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.max_log_bytes = 20000;
  options.flush_ms = 1;
  options.frame_restart_bytes = 8192;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  LogWriter& w = *writer.value();
  FakeEngine engine;
  Recorder recorder(engine, engine, w);
  std::vector<uint8_t> noise(500);
  uint32_t x = 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  uint64_t sent = 0;
  while (recorder.recording() && std::chrono::steady_clock::now() < deadline) {
    for (auto& b : noise) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
    recorder.recv_incoming(1, noise);  // incompressible: the limit comes quickly
    ++sent;
  }
  REQUIRE_FALSE(recorder.recording());
  CHECK(w.state() == WriterState::kTruncated);
  // The server keeps going: events are still forwarded, nothing appended.
  CHECK(recorder.invoke_event_update() == 0);
  CHECK(recorder.event_count() == sent + 1);
  recorder.finish();
  CHECK(w.close().ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_size) <= options.max_log_bytes);
  CHECK(static_cast<uint64_t>(st.st_size) > options.max_log_bytes / 2);
  const ReadResult r = read_log(path);
  CHECK(r.damage.empty());
  CHECK(r.health == HealthState::kTruncated);
  REQUIRE(!r.records.empty());
  CHECK(r.records.back().record.type == RecordType::kEnd);
  CHECK(r.records.back().record.end_reason == EndReason::kTruncated);
  CHECK(run_command("zstd -q -t '" + path + "'") == 0);
}

TEST_CASE("a full disk gives a clear error and later appends do not block",
          "[wal][writer][disk-full]") {
  TempDir dir;
  const std::string path = dir.path("full.lxw");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: a 64 KiB file size limit, SIGXFSZ ignored so write() fails
    // with EFBIG as on a full disk. Exit codes tell the parent what happened.
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64u << 10, 64u << 10};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    WriterOptions options;
    options.flush_ms = 1;
    options.staging_bytes = 64u << 10;
    auto writer = LogWriter::open(path, LogHeader{}, options);
    if (!writer.ok()) ::_exit(10);
    LogWriter& w = *writer.value();
    FakeEngine engine;
    Recorder recorder(engine, engine, w);
    std::vector<uint8_t> noise(1000);
    uint32_t x = 7;
    const auto start = std::chrono::steady_clock::now();
    while (recorder.recording()) {
      for (auto& b : noise) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
      recorder.recv_incoming(1, noise);
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) ::_exit(11);
    }
    // Not recording: a million more events must not block (or append).
    const auto before = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000000; ++i) recorder.recv_incoming(1, noise);
    if (std::chrono::steady_clock::now() - before > std::chrono::seconds(5)) ::_exit(12);
    if (w.state() != WriterState::kFailed) ::_exit(13);
    const lx::Status error = w.close();
    if (error.ok()) ::_exit(14);
    if (error.message().find("File too large") == std::string::npos) ::_exit(15);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The limit was known (RLIMIT_FSIZE), so the log ended inside it: a
  // checkpoint of its last event, an end record "log_error", the index.
  check_ends_with_checkpoint_of_last_event(path, EndReason::kLogError);
  CHECK(read_log(path).health == HealthState::kLogError);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_size) <= (64u << 10));
}

namespace {

// Runs body in a child process that has a tmpfs of tmpfs_bytes mounted on
// dir (in a mount namespace of its own, so nothing outside sees it). The
// child's exit code comes back; -1 when no namespace or tmpfs could be had.
int in_small_tmpfs(const std::string& dir, size_t tmpfs_bytes, const std::function<int()>& body) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) ::_exit(99);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(99);
    const std::string options = "size=" + std::to_string(tmpfs_bytes);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) ::_exit(99);
    ::_exit(body());
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status) == 99 ? -1 : WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("a really full disk (ENOSPC on a small tmpfs) ends the log with its last checkpoint",
          "[wal][writer][disk-full]") {
  TempDir dir;
  const std::string mount_point = dir.path("small");
  REQUIRE(::mkdir(mount_point.c_str(), 0700) == 0);
  const std::string copy = dir.path("copy.lxw");
  // 1 MiB of tmpfs for a ring of 64 KiB in the file beside the log (it takes
  // its share first) and the log; incompressible events until it is full.
  const int code = in_small_tmpfs(mount_point, 1u << 20, [&]() -> int {
    const std::string path = mount_point + "/full.lxw";
    WriterOptions options;
    options.flush_ms = 1;
    options.staging_bytes = 64u << 10;
    auto writer = LogWriter::open(path, LogHeader{}, options);
    if (!writer.ok()) return 10;
    LogWriter& w = *writer.value();
    if (!w.staging_note().empty()) return 11;  // the ring file and the reservation fit
    FakeEngine engine;
    Recorder recorder(engine, engine, w, RecorderOptions{50});
    std::vector<uint8_t> noise(1000);
    uint32_t x = 11;
    const auto start = std::chrono::steady_clock::now();
    uint64_t sent = 0;
    while (recorder.recording()) {
      for (auto& b : noise) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
      recorder.recv_incoming(1, noise);
      ++sent;
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) return 12;
    }
    if (sent < 100) return 13;  // it filled up, it did not refuse at once
    if (!recorder.ended_early()) return 14;
    const lx::Status error = w.close();
    if (error.message().find("No space left on device") == std::string::npos) return 15;
    if (error.message().find(path) == std::string::npos) return 16;
    // Out of the namespace, for the parent to read.
    write_file(copy, read_file(path));
    return 0;
  });
  if (code == -1) {
    WARN("no mount namespace or tmpfs here: the real ENOSPC case was not run");
    return;
  }
  REQUIRE(code == 0);
  check_ends_with_checkpoint_of_last_event(copy, EndReason::kLogError);
  const ReadResult r = read_log(copy);
  CHECK(r.health == HealthState::kLogError);
  CHECK(r.damage.empty());
  CHECK(run_command("zstd -q -t '" + copy + "'") == 0);
}

TEST_CASE("a closed log keeps no blocks reserved past its end", "[wal][writer][disk-full]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 2000);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  // The default ring reserves about 24 MiB ahead while recording.
  INFO("size " << st.st_size << ", allocated " << st.st_blocks * 512);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 <=
        static_cast<uint64_t>(st.st_size) + (1u << 20));
}
