// Opening a log for a tool: a path or "-" (standard input, e.g. a log streamed
// from object storage), the reader with the chosen recovery mode, and every
// damaged span reported as one warning line in the same words by every tool.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lx/status.h"
#include "lx/tools/diagnostics.h"
#include "lx/wal/log_reader.h"

namespace lx::tools {

// How a log is named in messages: the path, or "<stdin>" for "-".
std::string log_display_name(const std::string& path);

// Opens path ("-": standard input) with options; every damaged span the
// reader meets later is printed through diag as "warning: <name>: ...".
// diag must outlive the reader. Errors are the reader's (kCorrupt: missing,
// foreign, torn header; kIo: other), with the name in front.
Result<std::unique_ptr<wal::LogReader>> open_log(const std::string& path,
                                                 wal::ReaderOptions options, Diagnostics& diag);

// The same with only a recovery mode.
Result<std::unique_ptr<wal::LogReader>> open_log(const std::string& path, wal::Recovery recovery,
                                                 Diagnostics& diag);

// Prints "error: <message>; <what to do>" for a failed open or read. The
// advice fits the tool: only tools with --strict/--salvage mention them.
void print_log_error(Diagnostics& diag, const Status& status, bool has_recovery_flags);

}  // namespace lx::tools
