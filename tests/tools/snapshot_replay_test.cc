// lxreplay and the snapshots in a log: a salvage replay that meets damage in
// the middle of a log resumes at the first snapshot after it and verifies
// the rest; without --salvage it stops at the damage.
#include <catch2/catch.hpp>
#include <string>

#include "lx/exit_code.h"
#include "lx/wal/log_reader.h"
#include "lxreplay_session.h"
#include "run_lxreplay.h"

namespace lx::tools::test {
namespace {

// A session with a snapshot every 25 events in small frames, and a copy of
// it with a byte flipped in a frame in its middle. @return the copy's path.
std::string damaged_log_with_snapshots(std::string* intact) {
  SessionSpec spec;
  spec.log_path = temp_path("salvage_snapshots.lxw");
  spec.lines_per_client = 60;
  spec.checkpoint_every = 5;
  spec.snapshot_every = 25;
  spec.writer.frame_restart_bytes = 2048;
  auto recorded = record_session(spec);
  REQUIRE(recorded.ok());
  *intact = spec.log_path;
  auto reader = wal::LogReader::open(spec.log_path);
  REQUIRE(reader.ok());
  const wal::LogIndex* index = reader.value()->index();
  REQUIRE(index != nullptr);
  REQUIRE(index->frames.size() >= 8);
  const wal::FrameEntry& middle = index->frames[index->frames.size() / 2];
  std::string bytes = read_file(spec.log_path);
  bytes[middle.file_offset + 40] = static_cast<char>(bytes[middle.file_offset + 40] ^ 0x5A);
  const std::string damaged = temp_path("salvage_snapshots_damaged.lxw");
  write_file(damaged, bytes);
  return damaged;
}

}  // namespace

TEST_CASE("a salvage replay resumes at the first snapshot after damage", "[lxreplay][snapshot]") {
  std::string intact;
  const std::string damaged = damaged_log_with_snapshots(&intact);
  LxreplayOptions o;
  o.log_path = damaged;
  o.quiet = true;
  SECTION("without --salvage the replay stops at the damage") {
    Captured c = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
    INFO(c.out << c.err);
    CHECK(c.code == kExitUnreadable);
    CHECK(c.err.find("resumes at") == std::string::npos);
  }
  SECTION("with --salvage it goes on from the next snapshot, and still exits 3") {
    o.recovery = wal::Recovery::kSalvage;
    Captured c = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
    INFO(c.out << c.err);
    CHECK(c.code == kExitUnreadable);
    CHECK(c.err.find("are lost to damage; the replay resumes at the log's snapshot of event") !=
          std::string::npos);
    CHECK(c.err.find("resuming at the snapshots of events") != std::string::npos);
    CHECK(c.out.find("DIVERGENCE") == std::string::npos);  // what follows verifies
    CHECK(c.out.find(" 0 divergence(s)") != std::string::npos);
    // It replayed to the log's last event, as the intact log's replay does.
    LxreplayOptions whole;
    whole.log_path = intact;
    whole.quiet = true;
    whole.json = true;
    Captured w =
        capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(whole, out, err); });
    REQUIRE(w.code == kExitOk);
    o.json = true;
    Captured j = capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(o, out, err); });
    auto last_event = [](const std::string& json) {
      const size_t at = json.rfind("\"last_event\":");
      REQUIRE(at != std::string::npos);
      return std::stoull(json.substr(at + 13));
    };
    CHECK(last_event(j.out) == last_event(w.out));
    CHECK(j.out.find("\"divergences\":0") != std::string::npos);
  }
}

}  // namespace lx::tools::test
