// lxreplay's entry point, callable from tests: replays options.log_path,
// writes results (reports, state, JSON Lines) to out and diagnostics to err.
#pragma once

#include <cstdio>

#include "lxreplay_options.h"

namespace lx::tools {

// @return the exit code: 0 every checkpoint and accept matched, 1 divergence,
// 2 usage, 3 a log that cannot be read, 4 other I/O (engine, region, output
// log), 70 an internal error.
int run_lxreplay(const LxreplayOptions& options, std::FILE* out, std::FILE* err);

}  // namespace lx::tools
