// Implementation of the shared test helpers (see wal_test_util.h).
#include "wal_test_util.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace lx::wal::test {

uint64_t case_stride() {
  const char* text = std::getenv("LX_TEST_STRIDE");
  const uint64_t stride = text != nullptr ? std::strtoull(text, nullptr, 10) : 1;
  return stride == 0 ? 1 : stride;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/lx-wal-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  REQUIRE(::mkdtemp(buffer.data()) != nullptr);
  dir_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void FakeEngine::mix(uint64_t v) {
  figures_.memhash = (figures_.memhash ^ v) * 0x100000001B3ull;
  figures_.outhash = (figures_.outhash + v) * 0x9E3779B97F4A7C15ull;
}
int FakeEngine::set_clock(double seconds) {
  ++figures_.event_count;
  mix(static_cast<uint64_t>(seconds * 1000));
  return 0;
}
int FakeEngine::set_lua_source(std::span<const uint8_t> blob) {
  ++figures_.event_count;
  mix(blob.size());
  figures_.heap_bytes_in_use += blob.size();
  return 0;
}
int FakeEngine::recv_incoming(int32_t chid, std::span<const uint8_t> bytes) {
  ++figures_.event_count;
  mix(static_cast<uint64_t>(chid) * 31 + bytes.size());
  figures_.heap_bytes_in_use += bytes.size();
  return 0;
}
int FakeEngine::sent_outgoing(int32_t chid, uint64_t byte_count) {
  ++figures_.event_count;
  mix(static_cast<uint64_t>(chid) + byte_count);
  return 0;
}
int32_t FakeEngine::notify_accept(int32_t port) {
  ++figures_.event_count;
  mix(static_cast<uint64_t>(port));
  return next_chid_++;
}
int FakeEngine::notify_close(int32_t chid) {
  ++figures_.event_count;
  mix(static_cast<uint64_t>(chid) << 3);
  return 0;
}
int FakeEngine::invoke_event_update() {
  ++figures_.event_count;
  mix(7);
  return 0;
}

void SampleEvents::feed(Recorder& recorder) {
  static const std::vector<uint8_t> blob = {'L', 'X', 'S', 'R', 'C', 0, 1, 0, 'x', '=', '1', '\n'};
  const uint32_t pick = fed_++ == 0 ? 99 : rng_() % 10;
  switch (pick) {
    case 99:
      recorder.set_lua_source(blob);
      break;
    case 0:
      recorder.set_clock(clock_ += 0.05);
      break;
    case 1:
      recorder.notify_accept(8080);
      break;
    case 2:
    case 3:
    case 4: {
      data_.resize(rng_() % 200);
      for (auto& b : data_) b = static_cast<uint8_t>("GET /index.html HTTP/1.1\r\n"[rng_() % 26]);
      if (!data_.empty() && rng_() % 4 == 0) data_[0] = static_cast<uint8_t>(rng_());  // binary
      recorder.recv_incoming(static_cast<int32_t>(rng_() % 4), data_);
      break;
    }
    case 5:
      recorder.sent_outgoing(static_cast<int32_t>(rng_() % 4), rng_() % 5000);
      break;
    case 6:
      recorder.notify_close(static_cast<int32_t>(1 + rng_() % 3));
      break;
    default:
      recorder.invoke_event_update();
      break;
  }
}

void record_sample_events(LogWriter& writer, uint64_t event_count, uint32_t seed,
                          uint64_t checkpoint_every) {
  FakeEngine engine;
  Recorder recorder(engine, engine, writer, RecorderOptions{checkpoint_every});
  SampleEvents events(seed);
  for (uint64_t i = 0; i < event_count; ++i) events.feed(recorder);
  recorder.finish();
}

void write_sample_log(const std::string& path, uint64_t event_count, uint32_t seed,
                      WriterOptions options) {
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  record_sample_events(*writer.value(), event_count, seed);
  REQUIRE(writer.value()->close().ok());
}

namespace {

ReadResult read_all(Result<std::unique_ptr<LogReader>> reader);

}  // namespace

ReadResult read_log(const std::string& path, ReaderOptions options) {
  return read_all(LogReader::open(path, options));
}

void check_seeks(LogReader& reader, std::initializer_list<uint64_t> events) {
  for (const uint64_t event : events) {
    INFO(event);
    REQUIRE(reader.seek_to_event(event).ok());
    Record record;
    auto next = reader.next(&record);
    REQUIRE(next.ok());
    REQUIRE(next.value());
    CHECK(record.event == event);
  }
}

ReadResult read_source(std::unique_ptr<ByteSource> source, ReaderOptions options) {
  return read_all(LogReader::open_source(std::move(source), options));
}

namespace {

ReadResult read_all(Result<std::unique_ptr<LogReader>> reader) {
  ReadResult result;
  if (!reader.ok()) {
    result.open_error = reader.status().message();
    return result;
  }
  result.opened = true;
  Record record;
  for (;;) {
    auto more = reader.value()->next(&record);
    if (!more.ok()) {
      result.failed = true;
      result.error = more.status().message();
      break;
    }
    if (!more.value()) break;
    OwnedRecord owned{record, {record.bytes.begin(), record.bytes.end()}};
    owned.record.bytes = {};
    result.records.push_back(std::move(owned));
  }
  result.damage = reader.value()->damage();
  result.health = reader.value()->health();
  return result;
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

int run_command(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace lx::wal::test
