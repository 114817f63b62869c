// The writer: file mode and overwrite rules, the zstd CLI's view of a log,
// the staging ring under pressure, oversize records, max_log_bytes, and a
// full disk (RLIMIT_FSIZE in a child process).
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

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
    REQUIRE(parse_record(raw.data() + at, raw.size() - at, &record, &reason) == ParseStatus::kOk);
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
  CHECK(h.version_major == kFormatMajor);
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
  // What reached the file reads back as a prefix with a torn tail.
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  CHECK_FALSE(r.records.empty());
  CHECK(r.health == HealthState::kTornTail);
}
