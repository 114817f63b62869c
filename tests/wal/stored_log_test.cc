// zstd_level 0 (stored): the writer builds raw-block frames by hand. The
// same records, frames, index and limits as a compressed log, and a stream
// that libzstd and the zstd CLI decode to exactly the records.
#include <zstd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

// Every frame of the file decoded by ZSTD_decompressStream (the header,
// index and trailer are skippable frames: they add nothing).
std::vector<uint8_t> decompress_file(const std::string& path) {
  const std::vector<uint8_t> file = read_file(path);
  ZSTD_DStream* stream = ZSTD_createDStream();
  REQUIRE(stream != nullptr);
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in{file.data(), file.size(), 0};
  size_t last = 0;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream, &o, &in);
    REQUIRE_FALSE(ZSTD_isError(last));
    out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(o.pos));
  }
  ZSTD_freeDStream(stream);
  CHECK(last == 0);  // the file ends at the end of a frame
  return out;
}

bool same_records(const ReadResult& a, const ReadResult& b) {
  if (a.records.size() != b.records.size()) return false;
  for (size_t i = 0; i < a.records.size(); ++i) {
    const OwnedRecord& x = a.records[i];
    const OwnedRecord& y = b.records[i];
    if (x.record.type != y.record.type || x.record.event != y.record.event || x.bytes != y.bytes)
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a stored log (zstd_level 0) holds the records, frames and index of a compressed one",
          "[wal][writer][stored]") {
  TempDir dir;
  // 4 KiB frames (restarts, flushes inside frames) and the default 4 MiB
  // ones (whole 128 KiB blocks, buffers written mid-block).
  const uint64_t restart = GENERATE(uint64_t{4096}, uint64_t{4} << 20);
  INFO(restart);
  auto write = [&](const std::string& name, int level) {
    WriterOptions options;
    options.zstd_level = level;
    options.frame_restart_bytes = restart;
    write_sample_log(dir.path(name), 20000, 5, options);
    return dir.path(name);
  };
  const std::string stored = write("stored.lxw", 0);
  const std::string packed = write("packed.lxw", 1);
  const ReadResult s = read_log(stored);
  const ReadResult p = read_log(packed);
  CHECK(s.damage.empty());
  CHECK(s.health == HealthState::kClean);
  CHECK(same_records(s, p));
  ReaderOptions strict;
  strict.recovery = Recovery::kStrict;
  CHECK_FALSE(read_log(stored, strict).failed);

  auto opened = LogReader::open(stored);
  REQUIRE(opened.ok());
  LogReader& reader = *opened.value();
  CHECK(reader.header().zstd_level == 0);
  auto opened_packed = LogReader::open(packed);
  REQUIRE(opened_packed.ok());
  REQUIRE(reader.can_seek());
  const LogIndex& index = *reader.index();
  const LogIndex& packed_index = *opened_packed.value()->index();
  // The frames restart at the same records; each starts with the raw frame header.
  REQUIRE(index.frames.size() == packed_index.frames.size());
  CHECK(index.checkpoints.size() == packed_index.checkpoints.size());
  CHECK(index.checkpoints.size() == 2000);
  const std::vector<uint8_t> file = read_file(stored);
  for (size_t i = 0; i < index.frames.size(); ++i) {
    const FrameEntry& f = index.frames[i];
    const FrameEntry& g = packed_index.frames[i];
    CHECK(f.first_event == g.first_event);
    CHECK(f.raw_bytes == g.raw_bytes);
    REQUIRE(f.file_offset + sizeof kRawFrameHeader <= file.size());
    CHECK(std::memcmp(file.data() + f.file_offset, kRawFrameHeader, sizeof kRawFrameHeader) == 0);
  }
  if (restart == 4096) CHECK(index.frames.size() > 100);
  // Stored: the file is the records plus a few bytes a block and frame,
  // the index (24 bytes a frame, 48 a checkpoint) and the header.
  CHECK(file.size() > index.raw_bytes);
  CHECK(file.size() < index.raw_bytes + index.raw_bytes / 50 + 36 * index.frames.size() +
                          48 * index.checkpoints.size() + 16 * 1024);
  CHECK(read_file(packed).size() < file.size());

  check_seeks(reader, {1, 4095, 13333, 19990});

  // libzstd and the CLI decode it to the record stream, byte for byte.
  const std::vector<uint8_t> raw = decompress_file(stored);
  CHECK(raw.size() == index.raw_bytes);
  CHECK(raw == decompress_file(packed));
  CHECK(run_command("zstd -q -t '" + stored + "'") == 0);
  REQUIRE(run_command("zstd -q -dc '" + stored + "' > '" + dir.path("raw.bin") + "'") == 0);
  CHECK(read_file(dir.path("raw.bin")) == raw);
}

TEST_CASE("max_log_bytes truncates a stored log as it does a compressed one",
          "[wal][writer][stored]") {
  TempDir dir;
  WriterOptions options;
  options.zstd_level = 0;
  options.max_log_bytes = 64 * 1024;
  options.frame_restart_bytes = 8192;
  write_sample_log(dir.path("a.lxw"), 20000, 3, options);
  const ReadResult r = read_log(dir.path("a.lxw"));
  CHECK(r.damage.empty());
  REQUIRE_FALSE(r.records.empty());
  CHECK(r.records.back().record.type == RecordType::kEnd);
  CHECK(r.records.back().record.end_reason == EndReason::kTruncated);
  CHECK(read_file(dir.path("a.lxw")).size() <= options.max_log_bytes);
  CHECK(read_file(dir.path("a.lxw")).size() > options.max_log_bytes - 4096);
  CHECK(run_command("zstd -q -t '" + dir.path("a.lxw") + "'") == 0);
}

TEST_CASE("zstd_level is 0 to 19", "[wal][writer][stored]") {
  TempDir dir;
  WriterOptions options;
  options.zstd_level = GENERATE(-1, 20);
  auto writer = LogWriter::open(dir.path("a.lxw"), LogHeader{}, options);
  REQUIRE_FALSE(writer.ok());
  CHECK_THAT(writer.status().message(), Catch::Contains("0 (stored) to 19"));
}
