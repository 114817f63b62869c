// lxrun's snapshots in the log (--snapshot-every, --snapshot-s): when one is
// due, a forked child streams the engine's state into a pipe while the server
// goes on (host::SnapshotTaker), and each loop turn moves what the child wrote
// into the log as snapshot_data records (docs/recording.md, "Snapshots").
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "lx/host/engine.h"
#include "lx/host/snapshot_taker.h"
#include "lx/status.h"
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"

namespace lx::driver {

struct SnapshotSchedule {
  uint64_t every_events = 0;  // 0: not by events
  uint64_t every_ms = 0;      // 0: not by time
  bool enabled() const { return every_events != 0 || every_ms != 0; }
};

class SnapshotFeed {
 public:
  // engine, recorder and err outlive the feed; the records go to the
  // recorder's writer of the moment (a rotation changes it). Errors: kUsage
  // (the encoder's options).
  static Result<std::unique_ptr<SnapshotFeed>> create(const SnapshotSchedule& schedule,
                                                      const host::Engine& engine,
                                                      wal::Recorder& recorder, std::FILE* err);
  ~SnapshotFeed();
  SnapshotFeed(const SnapshotFeed&) = delete;
  SnapshotFeed& operator=(const SnapshotFeed&) = delete;

  // After each loop turn (between events), at now_ms (a monotonic clock):
  // moves what the child wrote into the log, and starts a snapshot when one
  // is due and none is being written. A snapshot is due every_events events
  // or every_ms after the last one (or the start), whichever comes first,
  // and only if an event came since: an idle server takes none.
  void after_turn(uint64_t now_ms);
  // 1 while a snapshot is being written (the loop must turn to move it),
  // else 0.
  uint64_t poll_after_ms() const { return taker_->running() || read_fd_ >= 0 ? 1 : 0; }
  // True while a snapshot is being written (a segment cannot end meanwhile).
  bool busy() const { return read_fd_ >= 0; }
  // Starts a snapshot of the state as it is now, whatever the schedule (a
  // new segment opens with one). Needs !busy().
  void take_now(uint64_t now_ms);
  // Before the log is closed. at_once false: waits for the snapshot being
  // written and moves all of it into the log; true (the process ends at
  // once): kills the child and marks the snapshot abandoned.
  void finish(bool at_once);

  // What the feed did, for lxrun's summary line and the tests.
  uint64_t snapshots_complete() const { return complete_; }
  uint64_t snapshots_abandoned() const { return abandoned_; }
  // The longest time start() held the serving thread (the fork), in ns.
  uint64_t longest_stall_ns() const { return longest_stall_ns_; }

 private:
  SnapshotFeed(const SnapshotSchedule& schedule, const host::Engine& engine,
               wal::Recorder& recorder, std::FILE* err)
      : schedule_(schedule), engine_(engine), recorder_(recorder), err_(err) {}
  bool due(uint64_t now_ms) const;
  void start(uint64_t now_ms);
  // Reads what the pipe holds (at most kTurnBytes, less while the writer is
  // behind), appends it; at the end of the stream, the last piece.
  // block: wait for the child to write (finish()).
  void move(bool block);
  void end_stream();
  void abandon(const std::string& why);
  void close_pipe();

  static constexpr size_t kPieceBytes = 256u << 10;  // bytes per snapshot_data record
  static constexpr size_t kTurnBytes = 1u << 20;     // at most this much per loop turn

  const SnapshotSchedule schedule_;
  const host::Engine& engine_;
  wal::Recorder& recorder_;
  std::FILE* err_;
  std::unique_ptr<host::SnapshotTaker> taker_;
  int read_fd_ = -1;
  std::optional<wal::SnapshotFields> open_;  // the snapshot being written
  std::vector<uint8_t> piece_;
  uint64_t last_event_ = 0;  // event of the last snapshot (0: none yet)
  uint64_t last_ms_ = 0;     // when it was taken (or the feed created)
  bool started_clock_ = false;
  uint64_t complete_ = 0;
  uint64_t abandoned_ = 0;
  uint64_t longest_stall_ns_ = 0;
  bool warned_ = false;
};

}  // namespace lx::driver
