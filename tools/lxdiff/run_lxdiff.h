// lxdiff's entry point, callable from tests: compares two logs, writes the
// differences to out and diagnostics to err.
#pragma once

#include <cstdio>

#include "lxdiff_options.h"

namespace lx::tools {

// @return 0 the logs are the same, 1 they differ, 2 usage, 3 a log cannot be
// read, 4 other I/O, 70 internal error.
int run_lxdiff(const LxdiffOptions& options, std::FILE* out, std::FILE* err);

}  // namespace lx::tools
