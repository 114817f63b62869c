// lxrun's recording: opens the log with a complete header, puts a wal
// Recorder between the driver and the engine (every event is appended before
// it is applied), reports a log that stopped once, and closes the log when
// the server stops (DESIGN.md sections 5 and 7, docs/recording.md).
#pragma once

#include <cstdio>
#include <memory>
#include <span>

#include "loop_watcher.h"
#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/status.h"
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"
#include "lxrun_options.h"
#include "snapshot_feed.h"

namespace lx::driver {

class Recording final : public LoopWatcher {
 public:
  // Checks the recording flags without touching any file: a recording flag
  // without --record, --record - (standard output belongs to the app's
  // stdio channel), an unknown --fsync mode, a zstd level outside 1..19, a
  // --flush-ms of 0, a --max-log-bytes under 4096. @return kUsage with the
  // reason, or ok.
  static Status check(const RecordOptions& options);

  // Creates the log options.record.path (mode 0600), writes its header (the
  // engine's ABI and build id, the seed, the heap region, the SHA-256 of
  // blob, host, time, options), installs the crash flush and prints
  // "lxrun: recording to FILE" on err. library, engine and region must
  // outlive the Recording. Ignores SIGXFSZ, so a file-size limit is a write
  // error rather than the end of the server.
  // @return kUsage (the file exists without --force, bad options) or kIo
  // (cannot create or write it).
  // listen_addresses are the addresses the listeners bound (the header keeps them).
  static Result<std::unique_ptr<Recording>> open(const LxrunOptions& options,
                                                 const std::vector<std::string>& listen_addresses,
                                                 const host::EngineLibrary& library,
                                                 host::Engine& engine,
                                                 const host::HeapRegion& region,
                                                 std::span<const uint8_t> blob, std::FILE* err);

  ~Recording() override;
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  // Where the driver feeds events: the Recorder, which forwards to the engine.
  EventSink& sink() { return *recorder_; }

  // ---- LoopWatcher ----
  // Reports, once, that the log stopped taking records (warning: the server
  // serves on unrecorded; or, with --on-log-error stop, an error and false).
  bool after_turn() override;
  // Ends the log cleanly (end record "closed") before the process exits.
  void before_exit_at_once() override;
  // SIGHUP: with --record DIR/, a new segment after this turn (true).
  bool rotate_on_signal() override;
  // flush_ms for kWatchMs after the last event was appended (the writer
  // writes it, and may fail, within about flush_ms); then 0, so an idle
  // server sleeps; sooner when --segment-s ends a segment that holds events.
  uint64_t poll_after_ms() override;

  // Call once the loop has ended, before the engine is destroyed: final
  // checkpoint, end record, index and trailer. A session that fed no event
  // (a busy port) leaves no file. @return 0, or kExitIo (4) when the log had
  // an I/O error at any time (already reported on err).
  int finish();

 private:
  Recording(const LxrunOptions& options, std::FILE* err) : options_(options), err_(err) {}
  void report_stop();
  // at_once: the process ends right after (a snapshot being written is
  // abandoned rather than waited for).
  void close_log(bool at_once);
  // With --record DIR/: why a new segment is due now (the flag or signal),
  // or null.
  const char* rotation_due(uint64_t now_ms);
  // The current segment holds an event (only then may it end).
  bool segment_holds_events() const;
  // When --segment-s ends the current segment (with segment_s > 0).
  uint64_t segment_ends_ms() const;
  // Ends the current segment and goes on in a new one that opens with a
  // snapshot; on failure the recording goes on where it was.
  void rotate(uint64_t now_ms, const char* why);

  static constexpr uint64_t kMinSegmentBytes = 64u << 10;
  static constexpr uint64_t kRotationRetryMs = 10000;

  const LxrunOptions& options_;
  std::FILE* err_;
  std::unique_ptr<wal::LogWriter> writer_;  // of the current segment
  wal::WriterOptions writer_options_;
  wal::LogHeader header_;   // of the current segment
  std::string path_;        // of the current segment (the log file without DIR/)
  bool directory_ = false;  // --record DIR/
  bool rotation_requested_ = false;
  uint64_t segment_started_ms_ = 0;
  uint64_t retry_at_ms_ = 0;        // a failed rotation is tried again from then
  uint64_t rotation_failures_ = 0;  // since the last segment that began
  std::unique_ptr<wal::Recorder> recorder_;
  // null with --snapshot-every 0 --snapshot-s 0 into a file
  std::unique_ptr<SnapshotFeed> snapshots_;
  static constexpr uint64_t kWatchMs = 2000;
  uint64_t last_event_count_ = 0;
  uint64_t last_append_ms_ = 0;  // uv_hrtime of the turn that saw it, in ms
  bool reported_ = false;        // the end of recording was reported
  bool failed_ = false;          // the log had an I/O error
  bool closed_ = false;
};

}  // namespace lx::driver
