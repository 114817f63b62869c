// lxdump's entry point, callable from tests with their own output streams.
#pragma once

#include <cstdio>

#include "lxdump_options.h"

namespace lx::tools {

// Prints the log as options say to `out`; diagnostics go to `err`, one line
// each starting "lxdump: ". @return the exit code: 0 ok, 2 usage, 3 a log
// that cannot be read (missing, not an lx log, newer major version, any
// damage with --strict), 4 another I/O error, 70 an internal error.
int run_lxdump(const LxdumpOptions& options, std::FILE* out, std::FILE* err);

}  // namespace lx::tools
