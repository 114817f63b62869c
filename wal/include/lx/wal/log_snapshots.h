// The snapshots a log holds (docs/wal-format.md, "Snapshots"): gathering a
// snapshot's stream from its records as a log is read, and finding the last
// usable snapshot at or before an event, so a replay can start there instead
// of at event 1. The stream's bytes are the host's (docs/snapshots.md); this
// file only moves them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lx/status.h"
#include "lx/wal/format.h"
#include "lx/wal/log_reader.h"

namespace lx::wal {

// A snapshot whose stream is complete in the log.
struct LogSnapshot {
  uint64_t event = 0;           // the state after this event
  uint64_t state_bytes = 0;     // what snapshot_taken said the state holds
  EngineFigures figures;        // the engine's figures after `event`
  uint64_t frame_offset = 0;    // the frame that holds its snapshot_taken record
  std::vector<uint8_t> stream;  // the snapshot stream, every piece in order
};

// Gathers snapshots from records in log order. Snapshot streams do not
// interleave: a snapshot_taken ends a previous snapshot still open (it is
// then incomplete).
class SnapshotAssembler {
 public:
  enum class Outcome {
    kNone,        // not a snapshot record, or a piece of an open snapshot
    kBegun,       // a snapshot_taken: a snapshot is open
    kComplete,    // its last piece: take() it
    kIncomplete,  // a snapshot ended unfinished (abandoned, replaced, or pieces missing)
  };
  // `keep_bytes` false: track the pieces keeping only the stream's last
  // kTailBytes (its end record: what lxdump shows of it).
  static constexpr size_t kTailBytes = 24;
  explicit SnapshotAssembler(bool keep_bytes = true) : keep_bytes_(keep_bytes) {}
  Outcome add(const Record& record);
  // The snapshot that add() reported complete (moved out).
  LogSnapshot take() { return std::move(done_); }
  // The event of the snapshot add() last reported incomplete, and why.
  uint64_t incomplete_event() const { return incomplete_event_; }
  const std::string& incomplete_reason() const { return incomplete_reason_; }
  // The event of the open snapshot, if one is open.
  std::optional<uint64_t> open_event() const {
    return open_ ? std::optional<uint64_t>(open_->event) : std::nullopt;
  }

 private:
  Outcome give_up(std::string reason);

  bool keep_bytes_;
  std::optional<LogSnapshot> open_;
  uint64_t last_serial_ = 0;  // of the open snapshot's last record
  LogSnapshot done_;
  uint64_t incomplete_event_ = 0;
  std::string incomplete_reason_;
};

// Finds the last snapshot at or before `event` in the log at `path` whose
// stream `usable` accepts (it decodes and checks it), reading the log with a
// reader of its own. With an index it reads backwards from `event` in
// windows that double, so it decodes about one snapshot interval of the log;
// without one it reads from the start. @return nullopt when there is none;
// kCorrupt or kIo when the log cannot be read.
Result<std::optional<LogSnapshot>> find_snapshot(
    const std::string& path, uint64_t event, const std::function<bool(const LogSnapshot&)>& usable);

// The first snapshot of an event at or after `event` whose stream `usable`
// accepts, reading the log with a reader of its own in `recovery` mode (a
// salvage read gets past damage: where a replay that met a gap can resume).
// @return nullopt when there is none; kCorrupt or kIo when the log cannot be
// read.
Result<std::optional<LogSnapshot>> find_snapshot_after(
    const std::string& path, uint64_t event, Recovery recovery,
    const std::function<bool(const LogSnapshot&)>& usable);

}  // namespace lx::wal
