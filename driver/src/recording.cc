// Opening the log with everything replay needs in its header, the Recorder in
// front of the engine, one report when the log stops, and a clean close.
#include "recording.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include "lx/wal/crash_flush.h"
#include "lx/wal/ring_recovery.h"
#include "run_lxrun.h"
#include "sha256.h"

namespace lx::driver {

static_assert(RecordOptions::kDefaultCheckpointEvery == wal::RecorderOptions{}.checkpoint_every,
              "lxrun's --checkpoint-every default is the wal's");

namespace {

// The command line's settings that the header has no field for, as the
// "key=value" lines lxdump prints.
std::string options_text(const LxrunOptions& options,
                         const std::vector<std::string>& listen_addresses,
                         const std::string& engine_path) {
  std::string text = fmt::format("app={}\n", options.app_dir);
  for (const std::string& listen : listen_addresses) text += fmt::format("listen={}\n", listen);
  text += fmt::format("tick_ms={}\nmax_connections={}\nengine={}\n", options.tick_ms,
                      options.max_connections, engine_path);
  text += fmt::format("snapshot_every={}\nsnapshot_s={}\n", options.record.snapshot_every,
                      options.record.snapshot_s);
  text += fmt::format("on_log_error={}\n",
                      options.record.on_log_error == OnLogError::kStop ? "stop" : "continue");
  return text;
}

}  // namespace

Status Recording::check(const RecordOptions& options) {
  if (options.path.empty()) {
    if (options.flags_given.empty()) return ok_status();
    return Status::usage(fmt::format("{}: a recording flag without --record; add --record FILE.lxw",
                                     fmt::join(options.flags_given, ", ")));
  }
  if (options.path == "-") {
    return Status::usage(
        "--record -: standard output is the app's stdio channel, so the log cannot go there; "
        "give a file path (lxdump, lxreplay and lxdiff read a log from - )");
  }
  wal::FsyncMode mode;
  if (!wal::fsync_mode_from_name(options.fsync, &mode)) {
    return Status::usage(
        fmt::format("--fsync {}: unknown mode; use never, interval or always", options.fsync));
  }
  if (options.flush_ms == 0) return Status::usage("--flush-ms 0: must be at least 1");
  if (!(options.snapshot_s >= 0) || options.snapshot_s > 1e9) {
    return Status::usage(fmt::format(
        "--snapshot-s {}: out of range; give seconds from 0 (no timed snapshots) to 1e9",
        options.snapshot_s));
  }
  if (options.zstd_level < 1 || options.zstd_level > 19) {
    return Status::usage(
        fmt::format("--zstd-level {}: out of range; use 1 to 19", options.zstd_level));
  }
  if (options.max_log_bytes != 0 && options.max_log_bytes < 4096) {
    return Status::usage(fmt::format(
        "--max-log-bytes {}: too small; use 0 (no limit) or at least 4096", options.max_log_bytes));
  }
  return ok_status();
}

Result<std::unique_ptr<Recording>> Recording::open(const LxrunOptions& options,
                                                   const std::vector<std::string>& listen_addresses,
                                                   const host::EngineLibrary& library,
                                                   host::Engine& engine,
                                                   const host::HeapRegion& region,
                                                   std::span<const uint8_t> blob, std::FILE* err) {
  const RecordOptions& record = options.record;
  LX_ASSERT(!record.path.empty());
  LX_ASSERT(check(record).ok());

  wal::LogHeader header;
  header.engine_abi_version = library.api().abi_version;
  header.engine_build_id = std::string(engine.build_id());
  header.seed = options.seed;
  header.heap_base = reinterpret_cast<uint64_t>(region.base());
  header.heap_bytes = region.bytes();
  const Sha256::Digest digest = Sha256::of(blob);
  header.app_source_digest.assign(digest.begin(), digest.end());
  char host_name[UV_MAXHOSTNAMESIZE] = {};
  size_t host_name_bytes = sizeof host_name;
  if (uv_os_gethostname(host_name, &host_name_bytes) == 0) header.host_name = host_name;
  uv_timeval64_t now;
  LX_ASSERT(uv_gettimeofday(&now) == 0);
  header.start_wall_time_ns = now.tv_sec * 1000000000 + int64_t{now.tv_usec} * 1000;
  header.checkpoint_every = record.checkpoint_every;
  header.options_text = options_text(options, listen_addresses, library.path());
  const host::EngineLimits limits = engine_limits(options);
  header.limits = wal::AppLimits{limits.instruction_budget, limits.memory_cap_bytes};

  wal::WriterOptions writer_options;
  writer_options.flush_ms = record.flush_ms;
  const bool known_fsync = wal::fsync_mode_from_name(record.fsync, &writer_options.fsync);
  LX_ASSERT(known_fsync);  // check() ran
  writer_options.zstd_level = record.zstd_level;
  writer_options.max_log_bytes = record.max_log_bytes;
  writer_options.force = record.force;

  // A file-size limit (RLIMIT_FSIZE) must make a write fail with EFBIG, which
  // the writer reports, instead of killing the server it records.
  ::signal(SIGXFSZ, SIG_IGN);
  // A recorder killed while writing this path left its staged records in
  // PATH.ring: get them into that log first (it is kept, or overwritten
  // only with --force).
  auto recovered = wal::recover_ring_file(record.path);
  if (recovered.ok() && !recovered.value().note.empty()) {
    std::fprintf(err, "lxrun: note: %s: %s\n", record.path.c_str(), recovered.value().note.c_str());
  }
  auto writer = wal::LogWriter::open(record.path, header, writer_options);
  if (!writer.ok()) return writer.status();

  std::unique_ptr<Recording> recording(new Recording(options, err));
  recording->writer_ = std::move(writer).value();
  if (!recording->writer_->staging_note().empty()) {
    std::fprintf(err, "lxrun: warning: %s\n", recording->writer_->staging_note().c_str());
  }
  // After open, on the driver thread: a crash in the engine still gets the
  // event that caused it into the file.
  Status crash = wal::install_crash_flush(*recording->writer_);
  if (!crash.ok()) {
    std::fprintf(err,
                 "lxrun: warning: no crash flush: %s; a crash may lose the last %u ms of "
                 "events\n",
                 crash.message().c_str(), record.flush_ms);
  }
  wal::RecorderOptions recorder_options;
  recorder_options.checkpoint_every = record.checkpoint_every;
  recording->recorder_ =
      std::make_unique<wal::Recorder>(engine, engine, *recording->writer_, recorder_options);
  SnapshotSchedule schedule;
  schedule.every_events = record.snapshot_every;
  schedule.every_ms = static_cast<uint64_t>(record.snapshot_s * 1000);
  if (schedule.enabled()) {
    auto feed =
        SnapshotFeed::create(schedule, engine, *recording->recorder_, *recording->writer_, err);
    if (!feed.ok()) return feed.status();
    recording->snapshots_ = std::move(feed).value();
  }
  std::fprintf(err, "lxrun: recording to %s\n", record.path.c_str());
  std::fflush(err);
  return recording;
}

Recording::~Recording() { close_log(true); }

bool Recording::after_turn() {
  if (recorder_->event_count() != last_event_count_) {
    last_event_count_ = recorder_->event_count();
    last_append_ms_ = uv_hrtime() / 1000000;
  }
  if (snapshots_ && !closed_) snapshots_->after_turn(uv_hrtime() / 1000000);
  if (reported_ || recorder_->recording()) return true;
  report_stop();
  return !(failed_ && options_.record.on_log_error == OnLogError::kStop);
}

uint64_t Recording::poll_after_ms() {
  if (closed_) return 0;
  if (snapshots_ && snapshots_->poll_after_ms() != 0) return snapshots_->poll_after_ms();
  if (reported_) return 0;
  return uv_hrtime() / 1000000 - last_append_ms_ < kWatchMs ? options_.record.flush_ms : 0;
}

void Recording::report_stop() {
  reported_ = true;
  const RecordOptions& record = options_.record;
  switch (writer_->state()) {
    case wal::WriterState::kTruncated:
      std::fprintf(err_,
                   "lxrun: warning: recording stopped: %s reached --max-log-bytes (%llu bytes) "
                   "and ends there as a truncated log; the server keeps running unrecorded\n",
                   record.path.c_str(), static_cast<unsigned long long>(record.max_log_bytes));
      break;
    case wal::WriterState::kFailed:
      failed_ = true;
      if (record.on_log_error == OnLogError::kStop) {
        std::fprintf(err_,
                     "lxrun: error: recording stopped: %s; stopping the server "
                     "(--on-log-error stop)\n",
                     writer_->error().message().c_str());
      } else {
        std::fprintf(err_,
                     "lxrun: warning: recording stopped: %s; the server keeps running "
                     "unrecorded\n",
                     writer_->error().message().c_str());
      }
      break;
    case wal::WriterState::kRecording:
    case wal::WriterState::kClosed:
      break;
  }
  std::fflush(err_);
}

void Recording::before_exit_at_once() { close_log(true); }

int Recording::finish() {
  close_log(false);
  // Nothing reached the engine (a busy port): no session, so no log to keep.
  if (recorder_->event_count() == 0) ::unlink(options_.record.path.c_str());
  return failed_ ? kExitIo : kExitOk;
}

void Recording::close_log(bool at_once) {
  if (closed_ || writer_ == nullptr) return;
  closed_ = true;
  if (snapshots_) snapshots_->finish(at_once);
  if (!reported_ && !recorder_->recording()) report_stop();
  recorder_->finish();
  Status status = writer_->close();
  wal::uninstall_crash_flush();
  if (!status.ok() && !failed_) {
    failed_ = true;
    std::fprintf(err_, "lxrun: error: closing the log: %s; the log may end early\n",
                 status.message().c_str());
  }
}

}  // namespace lx::driver
