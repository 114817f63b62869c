// Opening the log with everything replay needs in its header, the Recorder in
// front of the engine, one report when the log stops, and a clean close.
#include "recording.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>

#include "lx/wal/crash_flush.h"
#include "lx/wal/ring_recovery.h"
#include "lx/wal/segments.h"
#include "run_lxrun.h"
#include "segment_directory.h"
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
  if (options.zstd_level < 0 || options.zstd_level > 19) {
    return Status::usage(fmt::format(
        "--zstd-level {}: out of range; use 0 (stored, no compression) to 19", options.zstd_level));
  }
  const bool directory = records_into_directory(options.path);
  for (const std::string& flag : options.flags_given) {
    if (!directory &&
        (flag == "--segment-bytes" || flag == "--segment-s" || flag == "--keep-segments")) {
      return Status::usage(fmt::format(
          "{}: segments need a directory; give --record DIR/ (with the trailing /)", flag));
    }
  }
  if (directory && options.max_log_bytes != 0) {
    return Status::usage(
        "--max-log-bytes with --record DIR/: a directory of segments is bounded by "
        "--keep-segments K (and --segment-bytes), not by ending the recording");
  }
  if (directory && options.segment_bytes < kMinSegmentBytes) {
    return Status::usage(fmt::format("--segment-bytes {}: too small; use at least {}",
                                     options.segment_bytes, kMinSegmentBytes));
  }
  if (!(options.segment_s >= 0) || options.segment_s > 1e9) {
    return Status::usage(
        fmt::format("--segment-s {}: out of range; give seconds from 0 (no timed rotation) to 1e9",
                    options.segment_s));
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

  header.recording_id = new_recording_id();

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
  std::unique_ptr<Recording> recording(new Recording(options, err));
  recording->writer_options_ = writer_options;
  recording->directory_ = records_into_directory(record.path);
  std::string path = record.path;
  if (recording->directory_) {
    if (Status ready = prepare_segment_directory(record.path, record.force); !ready.ok())
      return ready;
    header.segment = 1;
    path = wal::path_in(record.path, wal::segment_file_name(1));
  }
  recording->header_ = header;
  recording->path_ = path;
  // A recorder killed while writing this path left its staged records in
  // PATH.ring: get them into that log first (it is kept, or overwritten
  // only with --force).
  auto recovered = wal::recover_ring_file(path);
  if (recovered.ok() && !recovered.value().note.empty()) {
    std::fprintf(err, "lxrun: note: %s: %s\n", path.c_str(), recovered.value().note.c_str());
  } else if (!recovered.ok()) {
    std::fprintf(err, "lxrun: warning: %s\n", recovered.status().message().c_str());
  }
  auto writer = wal::LogWriter::open(path, header, writer_options);
  if (!writer.ok()) return writer.status();

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
  // Every segment after the first opens with a snapshot, on schedule or not.
  if (schedule.enabled() || recording->directory_) {
    auto feed = SnapshotFeed::create(schedule, engine, *recording->recorder_, err);
    if (!feed.ok()) return feed.status();
    recording->snapshots_ = std::move(feed).value();
  }
  recording->segment_started_ms_ = uv_hrtime() / 1000000;
  if (recording->directory_) {
    std::fprintf(err, "lxrun: recording to %s (segment 1: %s)\n", record.path.c_str(),
                 path.c_str());
  } else {
    std::fprintf(err, "lxrun: recording to %s\n", record.path.c_str());
  }
  std::fflush(err);
  return recording;
}

Recording::~Recording() { close_log(true); }

bool Recording::after_turn() {
  const uint64_t now_ms = uv_hrtime() / 1000000;
  if (recorder_->event_count() != last_event_count_) {
    last_event_count_ = recorder_->event_count();
    last_append_ms_ = now_ms;
  }
  if (directory_ && !closed_) {
    if (const char* why = rotation_due(now_ms)) rotate(now_ms, why);
  }
  if (snapshots_ && !closed_) snapshots_->after_turn(now_ms);
  if (reported_ || recorder_->recording()) return true;
  report_stop();
  return !(failed_ && options_.record.on_log_error == OnLogError::kStop);
}

uint64_t Recording::poll_after_ms() {
  if (closed_) return 0;
  if (snapshots_ && snapshots_->poll_after_ms() != 0) return snapshots_->poll_after_ms();
  if (reported_) return 0;
  const uint64_t now_ms = uv_hrtime() / 1000000;
  uint64_t after_ms = now_ms - last_append_ms_ < kWatchMs ? options_.record.flush_ms : 0;
  auto by = [&](uint64_t at_ms) {
    const uint64_t until_ms = at_ms > now_ms ? at_ms - now_ms : 1;
    if (after_ms == 0 || until_ms < after_ms) after_ms = until_ms;
  };
  const RecordOptions& record = options_.record;
  if (directory_ && recorder_->recording()) {
    if (rotation_requested_) {
      // A SIGHUP that waited for a snapshot (or a retry) is answered even
      // when no event comes after it.
      by(retry_at_ms_);
    } else if (record.segment_s > 0 && segment_holds_events()) {
      // A segment that holds events ends on time even if the server has
      // gone quiet since (an hourly segment is closed on the hour, not at
      // the next request).
      by(std::max(segment_ends_ms(), retry_at_ms_));
    }
  }
  return after_ms;
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

bool Recording::rotate_on_signal() {
  if (!directory_) return false;
  rotation_requested_ = true;
  return true;
}

bool Recording::segment_holds_events() const {
  return recorder_->event_count() >= header_.first_event;
}

uint64_t Recording::segment_ends_ms() const {
  return segment_started_ms_ + static_cast<uint64_t>(options_.record.segment_s * 1000);
}

const char* Recording::rotation_due(uint64_t now_ms) {
  const RecordOptions& record = options_.record;
  // A segment holds at least one event, and one cannot end while a snapshot
  // is being written into it (the rotation waits for it).
  const bool events_since = segment_holds_events();
  if (!recorder_->recording() || snapshots_->busy() || now_ms < retry_at_ms_) return nullptr;
  if (rotation_requested_) {
    if (!events_since) {
      rotation_requested_ = false;
      std::fprintf(err_, "lxrun: SIGHUP: segment %llu holds no event yet; not rotated\n",
                   static_cast<unsigned long long>(header_.segment));
      std::fflush(err_);
      return nullptr;
    }
    return "SIGHUP";
  }
  if (!events_since) return nullptr;
  if (writer_->file_bytes() >= record.segment_bytes) return "--segment-bytes";
  if (record.segment_s > 0 && now_ms >= segment_ends_ms()) return "--segment-s";
  return nullptr;
}

void Recording::rotate(uint64_t now_ms, const char* why) {
  rotation_requested_ = false;
  const uint64_t started_ns = uv_hrtime();
  wal::LogHeader header = header_;
  header.segment = header_.segment + 1;
  header.first_event = recorder_->event_count() + 1;
  header.start_wall_time_ns = 0;  // the writer puts the segment's own start there
  const std::string path =
      wal::path_in(options_.record.path, wal::segment_file_name(header.first_event));
  // On failure the recording goes on in the current segment, and tries
  // again in a while; the first failure of a run of them is said.
  auto failed = [&](const std::string& reason) {
    retry_at_ms_ = now_ms + kRotationRetryMs;
    if (rotation_failures_++ == 0) {
      std::fprintf(err_,
                   "lxrun: warning: cannot start segment %llu (%s); the recording goes on in %s "
                   "and tries again every %llu s\n",
                   static_cast<unsigned long long>(header.segment), reason.c_str(), path_.c_str(),
                   static_cast<unsigned long long>(kRotationRetryMs / 1000));
      std::fflush(err_);
    }
  };
  auto opened = wal::LogWriter::open(path, header, writer_options_);
  if (!opened.ok()) return failed(opened.status().message());
  std::unique_ptr<wal::LogWriter> next = std::move(opened).value();
  if (!recorder_->rotate(*next, header.segment)) {
    // No room left in the current segment for its end (the disk is full).
    (void)next->close();
    ::unlink(path.c_str());
    return failed("no room for the current segment's end");
  }
  std::unique_ptr<wal::LogWriter> old = std::move(writer_);
  writer_ = std::move(next);
  (void)wal::install_crash_flush(*writer_);  // replaces the old writer's
  Status closed = old->close();
  if (!closed.ok() && !failed_) {
    failed_ = true;
    std::fprintf(err_, "lxrun: error: closing segment %s: %s; it may end early\n", path_.c_str(),
                 closed.message().c_str());
  }
  old.reset();
  header_ = header;
  path_ = path;
  segment_started_ms_ = now_ms;
  snapshots_->take_now(now_ms);  // the new segment opens with the state it starts from
  const uint64_t stall_ns = uv_hrtime() - started_ns;
  std::fprintf(err_, "lxrun: segment %llu: %s from event %llu (%s; the switch took %.1f ms)\n",
               static_cast<unsigned long long>(header.segment), path.c_str(),
               static_cast<unsigned long long>(header.first_event), why, stall_ns / 1e6);
  if (rotation_failures_ != 0) {
    std::fprintf(err_, "lxrun: note: segment %llu began after %llu failed tries\n",
                 static_cast<unsigned long long>(header.segment),
                 static_cast<unsigned long long>(rotation_failures_));
    rotation_failures_ = 0;
  }
  if (options_.record.keep_segments != 0) {
    auto deleted = keep_newest_segments(options_.record.path, options_.record.keep_segments);
    if (!deleted.ok()) {
      std::fprintf(err_, "lxrun: warning: --keep-segments: %s\n",
                   deleted.status().message().c_str());
    }
  }
  std::fflush(err_);
}

int Recording::finish() {
  close_log(false);
  // Nothing reached the engine (a busy port): no session, so no log to keep.
  if (recorder_->event_count() == 0) ::unlink(path_.c_str());
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
