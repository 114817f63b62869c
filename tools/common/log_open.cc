// Opening logs with damage reports, shared by lxreplay and lxdiff.
#include "lx/tools/log_open.h"

#include <fmt/format.h>

namespace lx::tools {

Result<std::unique_ptr<wal::LogReader>> open_log(const std::string& path, wal::Recovery recovery,
                                                 std::string_view tool, std::FILE* err) {
  wal::ReaderOptions options;
  options.recovery = recovery;
  std::string name(tool);
  options.on_damage = [err, name, path, recovery](const wal::Damage& d) {
    const char* then = d.recovered ? "a crash flush after it holds its records"
                       : recovery == wal::Recovery::kSalvage
                           ? "skipped; reading resumes at the next frame"
                       : recovery == wal::Recovery::kStrict ? "--strict makes this an error"
                       : d.torn                             ? "the log ends there (a torn tail)"
                                                            : "the log is read up to there";
    fmt::print(err, "{}: warning: {}: {} at offset {} ({} bytes dropped); {}\n", name, path,
               d.reason, d.offset, d.dropped_bytes, then);
  };
  return wal::LogReader::open(path, options);
}

void print_log_error(std::FILE* err, std::string_view tool, const Status& status) {
  const char* todo = "check the path and the disk";
  if (status.kind() == ErrorKind::kCorrupt) {
    todo =
        "check that it is an lx log (lxdump --stats FILE shows what is readable; without "
        "--strict a damaged tail is skipped)";
  } else if (status.kind() == ErrorKind::kUsage) {
    todo = "see --help";
  }
  fmt::print(err, "{}: error: {}; {}\n", tool, status.message(), todo);
}

}  // namespace lx::tools
