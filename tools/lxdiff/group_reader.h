// GroupReader: reads a log as event groups (an event and the accept result,
// checkpoint and end record that follow it), copied out of the reader so two
// logs can be walked side by side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lx/event_sink.h"
#include "lx/status.h"
#include "lx/tools/record_text.h"
#include "lx/wal/log_reader.h"
#include "lx/wal/log_snapshots.h"

namespace lx::tools {

struct EventGroup {
  uint64_t event = 0;      // the event number (0: records before the first event)
  bool has_event = false;  // false only for a group of records before any event
  wal::RecordType type = wal::RecordType::kInvokeEventUpdate;
  double clock_seconds = 0;
  int32_t chid = 0;
  int32_t port = 0;
  uint64_t byte_count = 0;
  std::vector<uint8_t> bytes;  // recv_incoming and set_lua_source payloads
  std::string text;            // describe_record() of the event
  std::optional<int32_t> accept_chid;
  std::optional<EngineFigures> checkpoint;
  std::optional<wal::EndReason> end;

  EventBrief brief() const;
};

// A snapshot whose stream is complete in the log: what lxdiff compares.
struct SnapshotBrief {
  uint64_t event = 0;                  // the state after this event
  uint64_t state_bytes = 0;            // what its snapshot_taken record says
  std::optional<uint64_t> state_hash;  // from its stream's end; null when it does not decode
};

class GroupReader {
 public:
  // reader must outlive the GroupReader.
  explicit GroupReader(wal::LogReader& reader) : reader_(reader) {}

  // The next group. @return true for a group, false at the end of the log,
  // or the reader's error.
  Result<bool> next(EventGroup* out);
  // The snapshots completed since the last call, in log order (a snapshot
  // completes after its event: its pieces come while the server goes on).
  std::vector<SnapshotBrief> take_snapshots() { return std::move(completed_); }

 private:
  void start_group(const wal::Record& record, EventGroup* group);

  wal::LogReader& reader_;
  EventGroup pending_;
  bool has_pending_ = false;
  bool done_ = false;
  wal::SnapshotAssembler snapshots_{false};  // only the stream's end is kept
  std::vector<SnapshotBrief> completed_;
};

}  // namespace lx::tools
