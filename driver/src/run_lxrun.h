// lxrun's whole job, callable from main.cc and from tests.
#pragma once

#include <cstdio>

#include "lxrun_options.h"

namespace lx::driver {

// Exit codes (docs/driver.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // port in use, app failed to start, engine failed
inline constexpr int kExitUsage = 2;   // bad flags, bad --listen, missing app or main.lua
inline constexpr int kExitIo = 4;      // engine, heap region or log file unavailable; log I/O error

// Loads the engine, reserves its heap, reads the app, listens, and drives the
// engine until it stops. Diagnostics go to err, one line each, starting with
// "lxrun: ". Returns the exit code.
int run_lxrun(const LxrunOptions& options, std::FILE* err);

}  // namespace lx::driver
