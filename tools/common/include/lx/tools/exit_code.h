// The exit codes every lx tool shares (DESIGN.md section 5, STYLE.md), and
// the mapping from an operating error to one of them.
#pragma once

#include <cstdio>
#include <functional>

#include "lx/status.h"

namespace lx::tools {

enum ExitCode : int {
  kExitOk = 0,          // success, or "same"
  kExitFinding = 1,     // a divergence or a difference
  kExitUsage = 2,       // a bad flag or argument
  kExitUnreadable = 3,  // a log that cannot be read (missing, foreign, damaged)
  kExitIo = 4,          // any other I/O failure
  kExitInternal = 70,   // a bug in the tool
};

// kUsage -> 2, kCorrupt -> 3, kIo -> 4, anything else -> 70. status must
// have failed.
int exit_code_for(const Status& status);

// Runs a tool's body and returns its exit code; an exception that escapes it
// (a bug) becomes one "<tool>: error: internal: ..." line on err and 70.
int run_guarded(const char* tool, std::FILE* out, std::FILE* err, const std::function<int()>& body);

}  // namespace lx::tools
