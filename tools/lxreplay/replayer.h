// Replayer: lxreplay's work. Rebuilds the engine from a log's header (seed,
// a fresh heap region at the recorded base), feeds it every recorded event
// through the C ABI, and compares each recorded checkpoint and accept result
// with what the engine does now (DESIGN.md sections 2 and 9).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "divergence_report.h"
#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/tools/diagnostics.h"
#include "lx/tools/record_text.h"
#include "lx/wal/log_reader.h"
#include "lx/wal/log_snapshots.h"
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"
#include "lxreplay_options.h"
#include "replay_observer.h"
#include "snapshot_store.h"

namespace lx::tools {

class Replayer {
 public:
  // options, out and err must outlive the Replayer. One run per Replayer.
  Replayer(const LxreplayOptions& options, std::FILE* out, std::FILE* err);
  ~Replayer();
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  // Replays the whole log (or up to --until). @return the exit code.
  int run();

  // ---- The pieces the inspection modes are built of (run() uses them too) ----

  // Checks the options, opens the log, the engine and --record-to. @return
  // 0, or the exit code to pass to finish() (after printing why).
  int start();
  // Replays until the engine holds the state right after event `event` (0:
  // before the first) and the records that follow it (its checkpoint and
  // accept result) are checked, or until the log ends (at_end()). Observers
  // see every record. @return 0, or the exit code to stop with: damage, a
  // gap, or a divergence while stop_at_divergence() holds (after printing
  // why; the report of a divergence is printed either way).
  int advance_to(uint64_t event);
  // The state right after `event`, forward or back: back goes through the
  // snapshot store (enable_snapshots) to the last snapshot at or before it,
  // then forward from there, so it costs at most one snapshot interval.
  // (The lead's log snapshots, issue 10, will be one more place to start
  // from.) @return as advance_to; usage (2) when going back is not possible.
  int seek(uint64_t event);
  // The exit code of a replay that reached the end or --until: damage,
  // divergences, warnings about --until and --break-at past the end.
  int verdict();
  // Ends the run: closes --record-to, prints the engine state (--until,
  // unless print_state_at_until(false)) and the summary. @return the exit code.
  int finish(int exit_code);
  // The same, with the summary's result named (an inspection that failed
  // exits 1 without a divergence: result "inspect_failed").
  int finish(int exit_code, std::string_view result);

  // Views that follow the replay (not owned; must outlive the Replayer).
  void add_observer(ReplayObserver* observer) { observers_.push_back(observer); }
  // Keep a snapshot every `interval` events in memory (at most max_bytes of
  // them; past that every other one is dropped and the interval doubles), so
  // seek() can go back. Call before start().
  void enable_snapshots(uint64_t interval, uint64_t max_bytes);
  // false: go on after a divergence (report it, keep replaying), as the
  // inspection modes do. Default: stop unless --keep-going.
  void set_stop_at_divergence(bool stop) { stop_at_divergence_ = stop; }
  void set_print_state_at_until(bool print) { print_state_at_until_ = print; }
  // false: count divergences and tell the observers, without printing the
  // reports (a what-if app whose figures are expected to part, --responses).
  void set_print_divergences(bool print) { print_divergences_ = print; }
  // true: print the first divergence report only and count the rest (unless
  // --keep-going), for views that go on past a divergence.
  void set_print_first_divergence_only(bool first) { first_divergence_only_ = first; }
  // The text summary as a note on stderr, so stdout holds only what an
  // inspection printed (--json keeps it on stdout: it ends every run).
  void set_summary_as_note(bool note) { summary_as_note_ = note; }
  // false: install no crash report (a replay inside another one, such as
  // an autopsy's, leaves the outer one's in place). Call before start().
  void set_crash_report(bool install) { crash_report_ = install; }

  host::Engine& engine() { return *engine_; }
  const wal::LogHeader& header() const { return reader_->header(); }
  Diagnostics& diag() { return diag_; }
  // The last event applied (0 before the first).
  uint64_t applied() const { return applied_; }
  // The furthest event applied so far (seek can go back from it).
  uint64_t furthest() const { return furthest_; }
  // The log has no more events.
  bool at_end() const { return at_end_; }
  // The clock the last set_clock set, 0 before one.
  double clock_seconds() const { return clock_seconds_; }
  // The last event applied, as a report names it.
  const EventBrief& last_event() const { return last_event_; }
  uint64_t divergences() const { return divergences_; }
  const SnapshotStore* snapshots() const { return snapshots_ ? &*snapshots_ : nullptr; }

 private:
  // Each returns 0 or the exit code to stop with, after printing why.
  int check_options();
  int open_log();
  int open_engine();
  int open_record_to();
  // Takes the next record (the one held back by the last advance_to, else
  // the reader's). @return 1 a record, 0 the end of the log, or minus the
  // exit code after printing why.
  int next_record(wal::Record* record);
  void hold(const wal::Record& record);
  // Replaces the engine by one restored from snapshot and puts the reader
  // just after its event. @return 0 or the exit code.
  int rewind_to(const host::Snapshot& snapshot);
  // --until, --break-at, --from: the last event a snapshot to start from may
  // be of; nullopt when the replay starts at event 1 (--from-start, a
  // what-if, --record-to, standard input, or nothing to reach).
  std::optional<uint64_t> snapshot_start_target() const;
  // Restores the log's last usable snapshot at or before the target and
  // goes on from there. @return 0 (also when there is none) or the exit code.
  int start_from_log_snapshot();
  // A log that begins after event 1 (a segment): refuses what cannot start
  // from its snapshot. @return 0 or the exit code.
  int check_start_after(uint64_t first);
  // The snapshot a log holds, decoded, when this replay can restore it; else
  // nullopt after a warning that ends with `instead` (what happens next).
  std::optional<host::Snapshot> restorable(const wal::LogSnapshot& snapshot,
                                           std::string_view instead);
  // --salvage met a gap before event next_event: restores the first usable
  // snapshot after it and puts the reader after its event. @return false
  // (nothing changed) when there is none or resuming is not possible.
  bool resume_after_gap(uint64_t next_event);
  // snapshot_taken: the replay's state hash now, for the stream that follows.
  void note_snapshot_taken(const wal::Record& record);
  // snapshot_data: at the last piece, checks the stream and its state hash.
  void check_snapshot_piece(const wal::Record& record);
  int apply(const wal::Record& record);
  void check_checkpoint(const wal::Record& record);
  void check_accept(const wal::Record& record);
  // Counts a divergence, prints it (print_divergences_) through `report`
  // and hands its text to the observers.
  void report_divergence(const std::function<void(DivergenceReport&)>& report);
  // The blob to apply for a recorded set_lua_source (the what-if source with
  // --app). @return false (after printing why) when --app cannot be read.
  bool source_for(std::span<const uint8_t> recorded, std::vector<uint8_t>* blob, int* exit_code);
  void drain_app_log();
  void note_end(const wal::Record& record);
  // The exit code for the end of a replay that applied every event it could.
  void print_summary(int exit_code, std::string_view result);
  // The command that reruns this replay (engine and app included).
  std::string replay_command() const;
  // After a what-if replay (--app, --engine) diverged: releases the engine
  // and replays the recorded and the what-if side again to name the state
  // paths that differ and the event after which the states part.
  void print_autopsy_of_divergence();

  const LxreplayOptions& options_;
  std::FILE* out_;
  Diagnostics diag_;

  std::unique_ptr<wal::LogReader> reader_;
  std::unique_ptr<host::EngineLibrary> library_;
  std::optional<host::HeapRegion> region_;
  std::unique_ptr<host::Engine> engine_;
  host::EngineLimits limits_;  // what the engine runs the app under
  std::unique_ptr<wal::LogWriter> writer_;
  std::unique_ptr<wal::Recorder> recorder_;
  EventSink* sink_ = nullptr;  // the recorder, or the engine itself
  DivergenceReport report_;
  LxreplayOptions text_options_;  // options_ in text form: the observers' report text
  uint64_t divergences_ = 0;
  bool print_divergences_ = true;
  bool first_divergence_only_ = false;

  std::vector<ReplayObserver*> observers_;
  std::optional<SnapshotStore> snapshots_;
  bool stop_at_divergence_;
  bool print_state_at_until_ = true;
  bool summary_as_note_ = false;
  bool crash_report_ = true;
  bool autopsy_due_ = false;  // run() ends with an autopsy when a what-if replay diverged
  // The record advance_to read past its target, to apply next; it owns its bytes.
  std::optional<wal::Record> held_;
  std::vector<uint8_t> held_bytes_;
  bool at_end_ = false;
  uint64_t furthest_ = 0;         // the furthest event applied
  uint64_t checked_through_ = 0;  // checkpoints up to here were counted (a rewind replays them)
  double clock_seconds_ = 0;

  uint64_t applied_ = 0;  // number of the last event applied
  EventBrief last_event_;
  // The chid notify_accept returned for last_event_, checked against the
  // accept_result record that follows it.
  std::optional<int32_t> accept_chid_;
  std::optional<uint64_t> last_matched_event_;  // last checkpoint that matched
  uint64_t checkpoints_checked_ = 0;
  uint64_t checkpoints_matched_ = 0;
  uint64_t accepts_checked_ = 0;
  // The log's snapshots (docs/snapshots.md): gathered while replaying, and
  // each one's state hash compared with the replay's at its event.
  wal::SnapshotAssembler log_snapshots_;
  std::optional<std::pair<uint64_t, uint64_t>> replayed_state_;  // event, state hash
  uint64_t snapshots_verified_ = 0;
  uint64_t snapshots_unusable_ = 0;  // incomplete or damaged in the log
  uint64_t started_from_snapshot_ = 0;
  std::vector<uint64_t> resumed_at_;  // snapshots a salvage resumed at, after gaps  // the event of
                                      // the snapshot the replay began at (0: none)
  bool stopped_at_until_ = false;
  bool replay_started_ = false;  // past the checks: a summary line is due
  std::string error_;            // why the replay stopped with an error, for --json
  std::string crash_hint_;       // kept alive for the crash handler
  std::optional<wal::Record> end_record_;
  std::vector<char> app_line_;
};

}  // namespace lx::tools
