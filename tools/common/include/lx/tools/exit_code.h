// The exit codes every lx tool shares (DESIGN.md section 5, STYLE.md), and
// the mapping from an operating error to one of them.
#pragma once

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

}  // namespace lx::tools
