// Opening logs with damage reports, shared by lxdump, lxreplay and lxdiff.
#include "lx/tools/log_open.h"

#include "lx/wal/segments.h"

namespace lx::tools {
namespace {

std::string_view damage_consequence(const wal::Damage& d, wal::Recovery recovery) {
  if (d.metadata) return "every record is still read, front to back, without the index";
  if (d.reason == wal::reason::kFrameChecksum) return "no record is lost";
  if (d.recovered) return "a crash flush after it holds its records; no event lost";
  switch (recovery) {
    case wal::Recovery::kSalvage:
      return "skipped; reading resumes at the next frame";
    case wal::Recovery::kStrict:
      return "--strict makes this an error";
    case wal::Recovery::kTolerant:
      break;
  }
  // In a directory a torn segment is not the end of the log: the chain
  // reads on if the next segment begins where the torn one's events end.
  if (d.torn && !d.segment.empty())
    return "the segment ends there (a torn tail); the next one is read on if no event is missing "
           "between them";
  return d.torn ? "the log ends there (a torn tail)"
                : "the log is read up to there (--salvage reads past it)";
}

}  // namespace

std::string log_display_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

Result<std::unique_ptr<wal::LogReader>> open_log(const std::string& path,
                                                 wal::ReaderOptions options, Diagnostics& diag) {
  const std::string name = log_display_name(path);
  const wal::Recovery recovery = options.recovery;
  options.on_note = [&diag, name](std::string_view note) { diag.note("{}: {}", name, note); };
  options.on_damage = [&diag, name, recovery](const wal::Damage& d) {
    // --strict reports the damage once, as the error that ends the read.
    if (recovery == wal::Recovery::kStrict && !d.recovered) return;
    const std::string where = d.segment.empty() ? name : wal::path_in(name, d.segment);
    diag.warning("{}: {} at offset {} ({} bytes dropped); {}", where, d.reason, d.offset,
                 d.dropped_bytes, damage_consequence(d, recovery));
  };
  if (path == "-") {
    auto reader = wal::LogReader::open_fd(0, options);
    if (!reader.ok()) return reader.status().with_context(name);
    return reader;
  }
  return wal::LogReader::open(path, options);
}

Result<std::unique_ptr<wal::LogReader>> open_log(const std::string& path, wal::Recovery recovery,
                                                 Diagnostics& diag) {
  wal::ReaderOptions options;
  options.recovery = recovery;
  return open_log(path, options, diag);
}

void print_log_error(Diagnostics& diag, const Status& status, bool has_recovery_flags) {
  std::string_view todo = "check the path and the disk";
  if (status.kind() == ErrorKind::kCorrupt) {
    todo = has_recovery_flags
               ? "check that it is an lx log (lxdump --stats FILE shows what is readable; "
                 "without --strict a damaged tail is skipped)"
               : "check that it is an lx log (lxdump --stats FILE shows what is readable)";
  } else if (status.kind() == ErrorKind::kUsage) {
    todo = "see --help";
  }
  // A message that already says what to do keeps its own advice.
  if (status.message().find("; ") != std::string::npos) {
    diag.error("{}", status.message());
    return;
  }
  diag.error("{}; {}", status.message(), todo);
}

}  // namespace lx::tools
