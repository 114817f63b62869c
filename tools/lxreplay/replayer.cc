// The replay loop: the log's events go into a fresh engine through the same
// C ABI lxrun uses; recorded checkpoints and accept results are compared as
// they come, and the report names the first place the two part.
#include "replayer.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "autopsy.h"
#include "break_point.h"
#include "crash_report.h"
#include "engine_state.h"
#include "lx/assert.h"
#include "lx/exit_code.h"
#include "lx/host/snapshot_stream.h"
#include "lx/host/source_blob.h"
#include "lx/tools/figures_text.h"
#include "lx/tools/json_line.h"
#include "lx/tools/log_open.h"
#include "lx/wal/crash_flush.h"

namespace lx::tools {
namespace {

constexpr const char* kTool = "lxreplay";

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

Replayer::Replayer(const LxreplayOptions& options, std::FILE* out, std::FILE* err)
    : options_(options),
      out_(out),
      diag_(kTool, err),
      report_(options, out),
      text_options_(options),
      stop_at_divergence_(!options.keep_going) {
  text_options_.json = false;
}

Replayer::~Replayer() {
  if (writer_) wal::uninstall_crash_flush();
  // The engine goes before its region and library; the recorder before its writer.
  recorder_.reset();
  writer_.reset();
  engine_.reset();
  region_.reset();
  library_.reset();
}

int Replayer::run() {
  if (int code = start()) return finish(code);
  if (int code = start_from_log_snapshot()) return finish(code);
  const wal::LogIndex* index = reader_->index();
  diag_.start_progress(index != nullptr ? index->event_count : 0);
  int code = advance_to(options_.until ? *options_.until : UINT64_MAX);
  diag_.end_progress();
  if (code == 0) code = verdict();
  autopsy_due_ = code == kExitFinding && report_.first() &&
                 (!options_.app_dir.empty() || !options_.engine_path.empty());
  return finish(code);
}

int Replayer::start() {
  if (int code = check_options()) return code;
  if (int code = open_log()) return code;
  if (int code = open_engine()) return code;
  if (int code = open_record_to()) return code;
  replay_started_ = true;
  crash_hint_ = replay_command();
  if (crash_report_) install_crash_report(crash_hint_.c_str(), options_.json ? out_ : nullptr);
  if (snapshots_) snapshots_->offer(*engine_, 0);
  return 0;
}

void Replayer::enable_snapshots(uint64_t interval, uint64_t max_bytes) {
  snapshots_.emplace(interval, max_bytes);
}

int Replayer::check_options() {
  auto usage = [&](std::string text) {
    error_ = std::move(text);
    diag_.error("{}", error_);
    return kExitUsage;
  };
  if (options_.log_path.empty()) return usage("no log given; usage: lxreplay FILE.lxw [options]");
  if (options_.until && *options_.until == 0)
    return usage("--until 0: events are numbered from 1; give N >= 1");
  if (options_.break_at && *options_.break_at == 0)
    return usage("--break-at 0: events are numbered from 1; give N >= 1");
  if (options_.break_at && options_.until && *options_.break_at > *options_.until) {
    return usage(fmt::format(
        "--break-at {} comes after --until {}: the replay stops before it; drop one or give "
        "--break-at N <= --until",
        *options_.break_at, *options_.until));
  }
  if (options_.log_path == "-" && options_.record_to == "-")
    return usage("--record-to - : standard output is not a log file; name a file");
  return 0;
}

std::string Replayer::replay_command() const {
  std::string command = "lxreplay " + shell_quote(options_.log_path);
  if (!options_.engine_path.empty()) command += " --engine " + shell_quote(options_.engine_path);
  if (!options_.app_dir.empty()) command += " --app " + shell_quote(options_.app_dir);
  return command;
}

int Replayer::open_log() {
  auto reader = tools::open_log(options_.log_path, options_.recovery, diag_);
  if (!reader.ok()) {
    error_ = reader.status().message();
    print_log_error(diag_, reader.status(), true);
    return exit_code_for(reader.status());
  }
  reader_ = std::move(reader).value();
  return 0;
}

int Replayer::open_engine() {
  const wal::LogHeader& header = reader_->header();
  std::string path =
      options_.engine_path.empty() ? host::EngineLibrary::default_path() : options_.engine_path;
  auto library = host::EngineLibrary::open(path);
  if (!library.ok()) {
    // The loader's message already says what to do.
    error_ = library.status().message();
    diag_.error("{}", error_);
    return kExitIo;
  }
  library_ = std::move(library).value();
  const lx_engine_wrapper& api = library_->api();
  if (header.engine_abi_version != api.abi_version) {
    diag_.warning(
        "the log was recorded with engine ABI {}, this engine has ABI {}; expect a divergence",
        header.engine_abi_version, api.abi_version);
  }
  std::string_view build_id = api.build_id != nullptr ? api.build_id : "";
  if (header.engine_build_id != build_id) {
    diag_.warning(
        "engine build differs: recorded with '{}', replaying with '{}' ({}); a divergence may "
        "come from the build, not the app",
        header.engine_build_id, build_id, library_->path());
  }
  auto region = host::HeapRegion::reserve(header.heap_base, header.heap_bytes);
  if (!region.ok()) {
    error_ = fmt::format("cannot reserve the recorded heap region ({} bytes at {}): {}",
                         header.heap_bytes, hex64(header.heap_base), region.status().message());
    diag_.error(
        "{}; the replay needs that exact address (run without sanitizers other than ASan, and "
        "with nothing else mapped there)",
        error_);
    return kExitIo;
  }
  region_.emplace(std::move(region).value());
  // The recording's limits; a 1.0 log recorded none (and no budget): it gets
  // the default budget, so a runaway event ends here too (docs/replay.md).
  limits_ = header.limits ? host::EngineLimits{header.limits->instruction_budget,
                                               header.limits->memory_cap_bytes}
                          : host::EngineLimits{LX_DEFAULT_INSTRUCTION_BUDGET, 0};
  if (!header.limits) {
    diag_.note(
        "the log records no limits (format 1.0); replaying with the default instruction budget "
        "of {} and no memory cap: an event that ran longer than that when recorded stops here "
        "and the replay diverges after it",
        limits_.instruction_budget);
  }
  auto engine = host::Engine::create(*library_, *region_, header.seed, limits_);
  if (!engine.ok()) {
    error_ = "the engine would not start from the log's header: " + engine.status().message();
    diag_.error("{}; check that the log's heap size and engine match", error_);
    return kExitIo;
  }
  engine_ = std::move(engine).value();
  sink_ = engine_.get();
  return 0;
}

int Replayer::open_record_to() {
  if (options_.record_to.empty()) return 0;
  if (same_file(options_.record_to, options_.log_path)) {
    error_ = fmt::format("--record-to {} is the log being replayed", options_.record_to);
    diag_.error("{}; name another file", error_);
    return kExitUsage;
  }
  // The replay's own log: the original header, with this engine, fresh
  // host and time (the writer fills them), and this run's recorder options.
  wal::LogHeader header = reader_->header();
  const lx_engine_wrapper& api = library_->api();
  header.engine_abi_version = api.abi_version;
  header.engine_build_id = api.build_id != nullptr ? api.build_id : "";
  header.host_name.clear();
  header.start_wall_time_ns = 0;
  // Checkpoints as often as asked, else as often as the original log has
  // them, so lxdiff can compare the two logs checkpoint by checkpoint.
  const uint64_t checkpoint_every = options_.checkpoint_every != 0
                                        ? options_.checkpoint_every
                                        : reader_->header().checkpoint_every;
  header.checkpoint_every = checkpoint_every;
  header.options_text += fmt::format("replay_of={}\n", options_.log_path);
  header.limits = wal::AppLimits{limits_.instruction_budget, limits_.memory_cap_bytes};
  if (!options_.app_dir.empty()) {
    // The source differs from the recorded one; its digest is not known here.
    header.app_source_digest.clear();
    header.options_text += fmt::format("what_if_app={}\n", options_.app_dir);
  }
  wal::WriterOptions writer_options;
  writer_options.force = true;
  auto writer = wal::LogWriter::open(options_.record_to, header, writer_options);
  if (!writer.ok()) {
    error_ = "--record-to: " + writer.status().message();
    diag_.error("{}; choose a writable path", error_);
    return writer.status().kind() == ErrorKind::kUsage ? kExitUsage : kExitIo;
  }
  writer_ = std::move(writer).value();
  // A replay that crashes the engine still leaves every event in the new log.
  Status crash = wal::install_crash_flush(*writer_);
  if (!crash.ok()) diag_.warning("no crash flush for --record-to: {}", crash.message());
  wal::RecorderOptions recorder_options;
  recorder_options.checkpoint_every = checkpoint_every;
  recorder_ = std::make_unique<wal::Recorder>(*engine_, *engine_, *writer_, recorder_options);
  sink_ = recorder_.get();
  return 0;
}

int Replayer::next_record(wal::Record* record) {
  if (held_) {
    *record = *held_;
    held_.reset();
    return 1;
  }
  Result<bool> more = reader_->next(record);
  if (!more.ok()) {
    error_ = more.status().message();
    print_log_error(diag_, more.status(), true);
    return -exit_code_for(more.status());
  }
  return more.value() ? 1 : 0;
}

void Replayer::hold(const wal::Record& record) {
  held_bytes_.assign(record.bytes.begin(), record.bytes.end());
  held_ = record;
  held_->bytes = held_bytes_;
}

int Replayer::advance_to(uint64_t event) {
  wal::Record record;
  for (;;) {
    int got = next_record(&record);
    if (got < 0) return -got;
    if (got == 0) {
      at_end_ = true;
      return 0;
    }
    if (wal::is_event(record.type)) {
      if (record.event > event) {
        hold(record);
        if (options_.until && event == *options_.until) stopped_at_until_ = true;
        return 0;
      }
      if (record.event != applied_ + 1 && resume_after_gap(record.event)) continue;
      if (record.event != applied_ + 1) {
        error_ = fmt::format("events {}..{} are missing (a damaged span was skipped)", applied_ + 1,
                             record.event - 1);
        diag_.error(
            "{}: {}, so the replay stops after event {}; events after a gap cannot be applied "
            "faithfully",
            options_.log_path, error_, applied_);
        return kExitUnreadable;
      }
      for (ReplayObserver* observer : observers_) observer->on_record(record);
      uint64_t reports = divergences_;
      if (int code = apply(record)) return code;
      diag_.progress(applied_);
      if (divergences_ > reports && stop_at_divergence_) return kExitFinding;
      continue;
    }
    for (ReplayObserver* observer : observers_) observer->on_record(record);
    uint64_t reports = divergences_;
    switch (record.type) {
      case wal::RecordType::kCheckpoint:
        check_checkpoint(record);
        break;
      case wal::RecordType::kAcceptResult:
        check_accept(record);
        break;
      case wal::RecordType::kEnd:
        note_end(record);
        break;
      case wal::RecordType::kSnapshotTaken:
        check_checkpoint(record);  // its figures are a checkpoint's
        note_snapshot_taken(record);
        break;
      case wal::RecordType::kSnapshotData:
        check_snapshot_piece(record);
        break;
      default:
        break;
    }
    if (divergences_ > reports && stop_at_divergence_) return kExitFinding;
  }
}

int Replayer::seek(uint64_t event) {
  if (event >= applied_) return advance_to(event);
  LX_ASSERT(!recorder_);  // a replay being recorded only goes forward
  const host::Snapshot* snapshot = snapshots_ ? snapshots_->at_or_before(event) : nullptr;
  if (snapshot == nullptr) {
    diag_.error("cannot go back to event {} from event {}: no snapshot at or before it is kept",
                event, applied_);
    return kExitUsage;
  }
  if (int code = rewind_to(*snapshot)) return code;
  return advance_to(event);
}

int Replayer::rewind_to(const host::Snapshot& snapshot) {
  const uint64_t event = snapshot.info.figures.event_count;
  // One region at the recorded base: the engine and its region go first.
  engine_.reset();
  region_.reset();
  auto region = host::HeapRegion::reserve(header().heap_base, header().heap_bytes);
  if (!region.ok()) {
    error_ = "cannot map a region to restore the snapshot into: " + region.status().message();
    diag_.error("{}", error_);
    return kExitIo;
  }
  region_.emplace(std::move(region).value());
  auto engine = host::Engine::restore(*library_, *region_, snapshot);
  if (!engine.ok()) {
    error_ = fmt::format("cannot restore the snapshot of event {}: {}", event,
                         engine.status().message());
    diag_.error("{}", error_);
    return kExitInternal;
  }
  engine_ = std::move(engine).value();
  sink_ = engine_.get();
  // The reader goes to the first record after the snapshot's event.
  held_.reset();
  at_end_ = false;
  Status sought =
      reader_->can_seek() ? reader_->seek_to_event(event + 1) : Status::usage("no index");
  if (!sought.ok()) {
    if (options_.log_path == "-") {
      diag_.error("cannot go back in a log read from standard input; give its path instead");
      return kExitUsage;
    }
    if (int code = open_log()) return code;
    wal::Record record;
    for (;;) {
      int got = next_record(&record);
      if (got < 0) return -got;
      if (got == 0) {
        at_end_ = true;
        break;
      }
      if (wal::is_event(record.type) && record.event > event) {
        hold(record);
        break;
      }
    }
  }
  checked_through_ = furthest_;
  log_snapshots_ = wal::SnapshotAssembler();
  replayed_state_.reset();
  applied_ = event;
  last_event_ = EventBrief{};
  last_event_.event = event;
  accept_chid_.reset();
  for (ReplayObserver* observer : observers_) observer->on_rewind(event);
  return 0;
}

std::optional<uint64_t> Replayer::snapshot_start_target() const {
  // (Another engine build cannot restore the recording's snapshots: the
  // search skips them with a warning.)
  if (options_.from_start || options_.log_path == "-" || !options_.record_to.empty() ||
      !options_.app_dir.empty()) {
    return std::nullopt;
  }
  std::optional<uint64_t> target;
  auto at_most = [&](uint64_t event) { target = target ? std::min(*target, event) : event; };
  if (options_.until) at_most(*options_.until);
  if (options_.break_at) at_most(*options_.break_at - 1);
  if (options_.from) at_most(*options_.from - 1);
  if (target && *target == 0) return std::nullopt;
  return target;
}

std::optional<host::Snapshot> Replayer::restorable(const wal::LogSnapshot& s,
                                                   std::string_view instead) {
  auto decoded = host::decode_snapshot_stream(s.stream);
  std::string why;
  if (!decoded.ok()) {
    why = decoded.status().message();
  } else if (decoded.value().info.figures != s.figures) {
    why = "its figures are not those of its snapshot_taken record";
  } else if (decoded.value().info.build_id != engine_->build_id()) {
    why = fmt::format("it was taken by engine build {}, not this engine's {}",
                      decoded.value().info.build_id, engine_->build_id());
  } else if (decoded.value().info.base != header().heap_base ||
             decoded.value().info.region_bytes != header().heap_bytes) {
    why = "its heap region is not the log header's";
  }
  if (!why.empty()) {
    diag_.warning("the snapshot of event {} in the log cannot be used ({}); {}", s.event, why,
                  instead);
    return std::nullopt;
  }
  return std::move(decoded).value();
}

int Replayer::check_start_after(uint64_t first) {
  // A segment read alone (or a directory whose oldest segments were
  // deleted): events before `first` are not in the log, so the replay
  // starts from its opening snapshot or not at all.
  auto refuse = [&](int code, std::string why, std::string_view todo) {
    error_ =
        fmt::format("{} begins at event {}: {}", log_display_name(options_.log_path), first, why);
    diag_.error("{}; {}", error_, todo);
    return code;
  };
  constexpr std::string_view kWhole = "replay the whole directory of segments instead";
  if (options_.from_start) return refuse(kExitUsage, "--from-start cannot start before it", kWhole);
  if (options_.log_path == "-") {
    return refuse(kExitUsage, "read from standard input, it cannot start from its snapshot",
                  "give its path");
  }
  if (!options_.record_to.empty())
    return refuse(kExitUsage, "--record-to records replays from event 1 only", kWhole);
  if (!options_.app_dir.empty())
    return refuse(kExitUsage, "--app replays from event 1 only", kWhole);
  if (engine_->build_id() != header().engine_build_id) {
    return refuse(kExitUnreadable,
                  fmt::format("its snapshots are of engine build {}, not this engine's {}",
                              header().engine_build_id, engine_->build_id()),
                  "replay it with the engine that recorded it (--engine PATH)");
  }
  return 0;
}

int Replayer::start_from_log_snapshot() {
  const uint64_t first = header().first_event;
  if (first > 1) {
    if (int code = check_start_after(first)) return code;
  }
  std::optional<uint64_t> target = snapshot_start_target();
  if (first > 1) {
    if (!target) target = first - 1;
    if (*target < first - 1) {
      error_ = fmt::format("{} begins at event {}: event {} is not in it",
                           log_display_name(options_.log_path), first, *target + 1);
      diag_.error("{}; give an event from {} on, or replay the whole directory of segments", error_,
                  first);
      return kExitUsage;
    }
  }
  if (!target) return 0;
  if (engine_->build_id() != header().engine_build_id) {
    // The log's snapshots are of the recording's build: none restores here.
    diag_.note(
        "the log's snapshots are of engine build {}, not this engine's {}: replaying "
        "from event 1",
        header().engine_build_id, engine_->build_id());
    return 0;
  }
  std::optional<host::Snapshot> usable;
  auto found = wal::find_snapshot(options_.log_path, *target, [&](const wal::LogSnapshot& s) {
    usable = restorable(s, "looking further back");
    return usable.has_value();
  });
  if (first > 1 && (!found.ok() || !found.value())) {
    error_ = fmt::format(
        "{} begins at event {} and has no usable snapshot at or before event {} to start from{}",
        log_display_name(options_.log_path), first, *target,
        found.ok() ? "" : " (" + found.status().message() + ")");
    diag_.error("{}; replay the whole directory of segments instead", error_);
    return kExitUnreadable;
  }
  if (!found.ok()) {
    diag_.warning("cannot look for snapshots in the log ({}); replaying from event 1",
                  found.status().message());
    return 0;
  }
  if (!found.value()) return 0;
  const uint64_t event = usable->info.figures.event_count;
  if (first > 1) {
    diag_.note("the log begins at event {}: starting from its snapshot of event {}", first, event);
  } else {
    diag_.note(
        "starting from the log's snapshot of event {}, the last one at or before event {} "
        "(--from-start replays from event 1)",
        event, *target);
  }
  if (int code = rewind_to(*usable)) return code;
  furthest_ = event;
  started_from_snapshot_ = event;
  return 0;
}

bool Replayer::resume_after_gap(uint64_t next_event) {
  if (options_.recovery != wal::Recovery::kSalvage || options_.log_path == "-" ||
      !options_.app_dir.empty() || engine_->build_id() != header().engine_build_id) {
    return false;
  }
  std::optional<host::Snapshot> usable;
  auto found = wal::find_snapshot_after(options_.log_path, next_event - 1, wal::Recovery::kSalvage,
                                        [&](const wal::LogSnapshot& s) {
                                          usable = restorable(s, "looking further on");
                                          return usable.has_value();
                                        });
  if (!found.ok() || !found.value()) return false;
  const uint64_t event = usable->info.figures.event_count;
  const uint64_t lost_from = applied_ + 1;
  const std::string skipped =
      event >= next_event
          ? fmt::format(" (events {}..{} are skipped to reach it)", next_event, event)
          : "";
  diag_.warning(
      "{}: events {}..{} are lost to damage; the replay resumes at the log's snapshot of event "
      "{}{} and verifies what follows",
      options_.log_path, lost_from, next_event - 1, event, skipped);
  if (rewind_to(*usable) != 0) return false;
  if (event > furthest_) furthest_ = event;
  resumed_at_.push_back(event);
  return true;
}

void Replayer::note_snapshot_taken(const wal::Record& record) {
  replayed_state_.reset();
  // A what-if replay's state is another app's or engine build's: not
  // comparable.
  if (record.event == applied_ && options_.app_dir.empty() &&
      engine_->build_id() == header().engine_build_id)
    replayed_state_.emplace(record.event, host::state_hash(engine_->snapshot_span()));
  if (log_snapshots_.add(record) == wal::SnapshotAssembler::Outcome::kIncomplete)
    ++snapshots_unusable_;
}

void Replayer::check_snapshot_piece(const wal::Record& record) {
  const wal::SnapshotAssembler::Outcome outcome = log_snapshots_.add(record);
  if (outcome == wal::SnapshotAssembler::Outcome::kIncomplete) {
    ++snapshots_unusable_;
    diag_.note("the snapshot of event {} is incomplete in the log: {}",
               log_snapshots_.incomplete_event(), log_snapshots_.incomplete_reason());
    return;
  }
  if (outcome != wal::SnapshotAssembler::Outcome::kComplete) return;
  wal::LogSnapshot snapshot = log_snapshots_.take();
  auto decoded = host::decode_snapshot_stream(snapshot.stream);
  if (!decoded.ok()) {
    ++snapshots_unusable_;
    diag_.warning("the snapshot of event {} in the log is damaged: {}", snapshot.event,
                  decoded.status().message());
    return;
  }
  if (!replayed_state_ || replayed_state_->first != snapshot.event) return;
  const uint64_t replayed = replayed_state_->second;
  replayed_state_.reset();
  const uint64_t recorded = decoded.value().info.state_hash;
  if (recorded == replayed) {
    if (snapshot.event > checked_through_) ++snapshots_verified_;
    return;
  }
  diag_.end_progress();
  EventBrief at = last_event_;
  at.event = snapshot.event;
  report_divergence([&](DivergenceReport& report) {
    report.state_mismatch(at, last_matched_event_, recorded, replayed);
  });
}

int Replayer::verdict() {
  if (options_.until && !stopped_at_until_ && applied_ < *options_.until)
    diag_.warning("--until {}: the log ends after event {}", *options_.until, applied_);
  if (options_.break_at && *options_.break_at > applied_ && !stopped_at_until_) {
    diag_.warning("--break-at {}: the log ends after event {}, so the replay never stopped there",
                  *options_.break_at, applied_);
  }
  // Damage before the end of the file (not a torn tail) means events were
  // lost: a replay that skipped them, or stopped at them, is never a match,
  // and it outranks a divergence found before it (the replay is incomplete).
  uint64_t skipped_bytes = 0;
  std::string spans;
  for (const wal::Damage& d : reader_->damage()) {
    if (d.recovered || d.torn) continue;
    skipped_bytes += d.dropped_bytes;
    if (!spans.empty()) spans += ", ";
    spans += fmt::format("{} bytes at offset {} ({})", d.dropped_bytes, d.offset, d.reason);
  }
  if (!spans.empty() && !stopped_at_until_ && !held_) {
    error_ = fmt::format("the log is damaged before its end: {}", spans);
    if (options_.recovery == wal::Recovery::kSalvage) {
      std::string resumed;
      for (uint64_t event : resumed_at_)
        resumed += fmt::format("{}{}", resumed.empty() ? "" : ", ", event);
      if (!resumed.empty())
        resumed = fmt::format(" (resuming at the snapshots of events {})", resumed);
      diag_.error(
          "{}: {}; the replay read past it{} and replayed up to event {}, but what the damage "
          "held is lost, so this is not a verified replay",
          options_.log_path, error_, resumed, applied_);
    } else {
      diag_.error(
          "{}: {}; the replay stopped after event {} (lxdump --stats shows the damage; --salvage "
          "reads past it)",
          options_.log_path, error_, applied_);
    }
    return kExitUnreadable;
  }
  return divergences_ > 0 ? kExitFinding : kExitOk;
}

int Replayer::apply(const wal::Record& record) {
  if (options_.break_at && record.event == *options_.break_at) {
    std::fflush(out_);
    diag_.end_progress();
    break_before_event(brief_of(record), diag_.stream());
  }
  last_event_ = brief_of(record);
  note_applying(record.event, wal::record_type_name(record.type));
  for (ReplayObserver* observer : observers_) observer->before_event(record, *engine_);
  accept_chid_.reset();
  int32_t result = 0;
  if (record.type == wal::RecordType::kSetLuaSource && !options_.app_dir.empty()) {
    // A what-if run: the same event with another app's source.
    std::vector<uint8_t> blob;
    int code = 0;
    if (!source_for(record.bytes, &blob, &code)) return code;
    wal::Record what_if = record;
    what_if.bytes = blob;
    result = wal::apply_event(what_if, *sink_);
    if (result == LX_ERR_APP) {
      // The what-if app does not even load: say why, not only that the
      // figures part later.
      diag_.warning("event {}: the --app source fails to load: {}", record.event,
                    engine_->last_error());
    }
  } else {
    result = wal::apply_event(record, *sink_);
    if (record.type == wal::RecordType::kNotifyAccept) accept_chid_ = result;
  }
  applied_ = record.event;
  if (applied_ > furthest_) furthest_ = applied_;
  if (record.type == wal::RecordType::kSetClock) clock_seconds_ = record.clock_seconds;
  drain_app_log();
  for (ReplayObserver* observer : observers_) observer->after_event(record, result, *engine_);
  if (snapshots_) snapshots_->offer(*engine_, applied_);
  if (options_.checkpoint_every != 0 && applied_ % options_.checkpoint_every == 0 &&
      options_.json) {
    JsonLine j;
    j.add_str("kind", "checkpoint").add_u64("event", applied_);
    add_figures(j, engine_->figures());
    j.print(out_);
  }
  return 0;
}

bool Replayer::source_for(std::span<const uint8_t> recorded, std::vector<uint8_t>* blob,
                          int* exit_code) {
  std::vector<std::string> args;
  auto contents = host::SourceBlob::decode(recorded);
  if (contents.ok()) {
    args = contents.value().args;
  } else {
    diag_.warning(
        "event {}: the recorded source blob does not decode ({}); the what-if app runs without "
        "arguments",
        last_event_.event, contents.status().message());
  }
  auto built = host::read_app_dir(options_.app_dir, args);
  if (!built.ok()) {
    error_ = fmt::format("--app {}: {}", options_.app_dir, built.status().message());
    diag_.error("{}; give a directory holding main.lua", error_);
    *exit_code = built.status().kind() == ErrorKind::kIo ? kExitIo : kExitUsage;
    return false;
  }
  *blob = std::move(built).value();
  return true;
}

void Replayer::check_checkpoint(const wal::Record& record) {
  if (record.event != applied_) {
    // A checkpoint always follows its event; anything else is a log that a
    // salvage read stitched together. It cannot be compared.
    diag_.warning("checkpoint for event {} found after event {}; skipped", record.event, applied_);
    return;
  }
  // After a rewind the checkpoints up to checked_through_ come round again:
  // compared, but counted once.
  const bool first_time = record.event > checked_through_;
  if (first_time) ++checkpoints_checked_;
  EngineFigures replayed = engine_->figures();
  if (replayed == record.figures) {
    if (first_time) ++checkpoints_matched_;
    last_matched_event_ = record.event;
    return;
  }
  diag_.end_progress();
  report_divergence([&](DivergenceReport& report) {
    report.checkpoint_mismatch(last_event_, last_matched_event_, record.figures, replayed);
  });
}

void Replayer::check_accept(const wal::Record& record) {
  if (record.event != applied_ || last_event_.type != wal::RecordType::kNotifyAccept ||
      !accept_chid_) {
    diag_.warning("accept_result for event {} does not follow its notify_accept; skipped",
                  record.event);
    return;
  }
  if (record.event > checked_through_) ++accepts_checked_;
  if (*accept_chid_ == record.chid) return;
  diag_.end_progress();
  report_divergence([&](DivergenceReport& report) {
    report.accept_mismatch(last_event_, last_matched_event_, record.chid, *accept_chid_);
  });
}

void Replayer::report_divergence(const std::function<void(DivergenceReport&)>& report) {
  ++divergences_;
  const bool later = divergences_ > 1 && first_divergence_only_ && !options_.keep_going;
  if (print_divergences_ && !later) report(report_);
  if (print_divergences_ && later && divergences_ == 2) {
    diag_.note(
        "the replay goes on past the divergence; later ones are counted, not printed "
        "(--keep-going prints every one)");
  }
  if (observers_.empty()) return;
  char* text = nullptr;
  size_t size = 0;
  std::FILE* memory = ::open_memstream(&text, &size);
  if (memory == nullptr) return;  // out of memory: the observers miss this report's text
  DivergenceReport as_text(text_options_, memory);
  report(as_text);
  std::fclose(memory);
  for (ReplayObserver* observer : observers_)
    observer->on_divergence(last_event_, std::string_view(text, size));
  std::free(text);
}

void Replayer::note_end(const wal::Record& record) {
  end_record_ = record;
  if (record.end_reason == wal::EndReason::kCrashed) {
    diag_.note(
        "the recording ended with a crash (signal {}) after event {}; the replay applied every "
        "recorded event up to there",
        record.end_detail, record.event);
  } else if (record.end_reason == wal::EndReason::kTruncated) {
    diag_.note("the recording was cut at event {} (--max-log-bytes); the server ran on unrecorded",
               record.event);
  }
}

void Replayer::drain_app_log() {
  if (options_.quiet) {
    engine_->drain_log([](std::string_view) {});
    return;
  }
  engine_->drain_log([this](std::string_view line) { diag_.line(fmt::format("app: {}", line)); });
}

int Replayer::finish(int exit_code) { return finish(exit_code, {}); }

int Replayer::finish(int exit_code, std::string_view result) {
  diag_.end_progress();
  if (recorder_) {
    recorder_->finish();
    Status closed = writer_->close();
    wal::uninstall_crash_flush();
    if (!closed.ok()) {
      diag_.error("--record-to {}: {}; check the disk", options_.record_to, closed.message());
      if (exit_code == kExitOk) exit_code = kExitIo;
    }
  }
  if (options_.until && engine_ && replay_started_ && print_state_at_until_)
    print_engine_state(*engine_, options_.json, out_);
  if (autopsy_due_) print_autopsy_of_divergence();
  print_summary(exit_code, result);
  std::fflush(out_);
  return exit_code;
}

void Replayer::print_autopsy_of_divergence() {
  autopsy_due_ = false;
  // One engine at the recorded address at a time: this one goes first.
  engine_.reset();
  region_.reset();
  library_.reset();
  AutopsySide recorded{options_, "recorded"};
  recorded.options.app_dir.clear();
  recorded.options.engine_path.clear();
  AutopsySide replayed{options_, "replayed"};
  const DivergenceReport::First& first = *report_.first();
  AutopsyFindings findings = run_autopsy(recorded, replayed, first.event, first.last_matched,
                                         options_.eval_timeout_s * 1000u);
  if (options_.json) {
    std::string line = autopsy_json(findings);
    // {"kind":"autopsy","left":..,"right":.., then the findings' keys.
    fmt::print(out_, "{{\"kind\":\"autopsy\",\"left\":\"recorded\",\"right\":\"replayed\",{}\n",
               line.substr(1));
    return;
  }
  print_autopsy(findings, recorded.name, replayed.name, "  ", out_);
}

void Replayer::print_summary(int exit_code, std::string_view named) {
  std::string_view result = !named.empty()                                    ? named
                            : exit_code == kExitOk                            ? "match"
                            : exit_code == kExitFinding                       ? "diverged"
                            : exit_code == kExitUnreadable && replay_started_ ? "damaged"
                                                                              : "error";
  if (options_.json) {
    JsonLine j = summary_line(kTool, result, exit_code);
    j.add_str("log", options_.log_path)
        .add_u64("events_replayed", applied_ - started_from_snapshot_)
        .add_u64("last_event", applied_)
        .add_u64("checkpoints_checked", checkpoints_checked_)
        .add_u64("checkpoints_matched", checkpoints_matched_)
        .add_u64("accepts_checked", accepts_checked_)
        .add_u64("snapshots_verified", snapshots_verified_)
        .add_u64("started_from_snapshot", started_from_snapshot_)
        .add_u64("divergences", divergences_)
        .add_bool("stopped_at_until", stopped_at_until_);
    if (reader_) {
      j.add_str("health", stopped_at_until_ || held_ ? "not_read_to_end"
                                                     : wal::health_state_name(reader_->health()));
    }
    if (!error_.empty()) j.add_str("error", error_);
    j.print(out_);
    return;
  }
  // A run that never started replaying has said what went wrong already.
  if (!replay_started_) return;
  if (exit_code == kExitOk && checkpoints_checked_ == 0) {
    diag_.warning(
        "the log holds no checkpoint to compare up to event {}, so the replay is not verified "
        "(record with --checkpoint-every N)",
        applied_);
  }
  std::string replayed = fmt::format("{} events replayed", applied_);
  if (started_from_snapshot_ != 0) {
    replayed = fmt::format("events {}..{} replayed from the log's snapshot of event {}",
                           started_from_snapshot_ + 1, applied_, started_from_snapshot_);
  }
  std::string text = fmt::format(
      "{}: {}; {} of {} checkpoints matched, {} accept results checked, {} divergence(s)", result,
      replayed, checkpoints_matched_, checkpoints_checked_, accepts_checked_, divergences_);
  if (snapshots_verified_ != 0 || snapshots_unusable_ != 0)
    text += fmt::format("; {} snapshot state hash(es) matched", snapshots_verified_);
  if (snapshots_unusable_ != 0)
    text += fmt::format(", {} snapshot(s) incomplete or damaged", snapshots_unusable_);
  if (summary_as_note_) {
    diag_.note("replay {}", text);
  } else {
    fmt::print(out_, "{}: {}\n", kTool, text);
  }
}

}  // namespace lx::tools
