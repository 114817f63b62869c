// Replayer: lxreplay's work. Rebuilds the engine from a log's header (seed,
// a fresh heap region at the recorded base), feeds it every recorded event
// through the C ABI, and compares each recorded checkpoint and accept result
// with what the engine does now (DESIGN.md sections 2 and 9).
#pragma once

#include <cstdint>
#include <cstdio>
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
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"
#include "lxreplay_options.h"

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

 private:
  // Each returns 0 or the exit code to stop with, after printing why.
  int check_options();
  int open_log();
  int open_engine();
  int open_record_to();
  // The replay loop proper.
  int replay();
  int apply(const wal::Record& record);
  void check_checkpoint(const wal::Record& record);
  void check_accept(const wal::Record& record);
  // The blob to apply for a recorded set_lua_source (the what-if source with
  // --app). @return false (after printing why) when --app cannot be read.
  bool source_for(std::span<const uint8_t> recorded, std::vector<uint8_t>* blob, int* exit_code);
  void drain_app_log();
  void note_end(const wal::Record& record);
  // The exit code for the end of a replay that applied every event it could.
  int verdict();
  int finish(int exit_code);
  void print_summary(int exit_code);
  // The command that reruns this replay (engine and app included).
  std::string replay_command() const;

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

  uint64_t applied_ = 0;  // number of the last event applied
  EventBrief last_event_;
  // The chid notify_accept returned for last_event_, checked against the
  // accept_result record that follows it.
  std::optional<int32_t> accept_chid_;
  std::optional<uint64_t> last_matched_event_;  // last checkpoint that matched
  uint64_t checkpoints_checked_ = 0;
  uint64_t checkpoints_matched_ = 0;
  uint64_t accepts_checked_ = 0;
  bool stopped_at_until_ = false;
  bool replay_started_ = false;  // past the checks: a summary line is due
  std::string error_;            // why the replay stopped with an error, for --json
  std::string crash_hint_;       // kept alive for the crash handler
  std::optional<wal::Record> end_record_;
  std::vector<char> app_line_;
};

}  // namespace lx::tools
