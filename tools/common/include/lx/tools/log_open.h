// Opening a log for a tool: the reader with the chosen recovery mode, each
// damaged span reported on stderr as a one-line warning, and an error line in
// the tools' form when the log cannot be opened.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "lx/status.h"
#include "lx/wal/log_reader.h"

namespace lx::tools {

// Opens path with recovery; every damaged span the reader meets later is
// printed to err as "<tool>: warning: <path>: ...". err must outlive the
// reader. Errors are the reader's (kCorrupt: missing, foreign, torn header;
// kIo: other).
Result<std::unique_ptr<wal::LogReader>> open_log(const std::string& path, wal::Recovery recovery,
                                                 std::string_view tool, std::FILE* err);

// Prints "<tool>: error: <message>; <what to do>" for a failed open or read.
void print_log_error(std::FILE* err, std::string_view tool, const Status& status);

}  // namespace lx::tools
