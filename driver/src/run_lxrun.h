// lxrun's whole job, callable from main.cc and from tests.
#pragma once

#include <cstdio>

#include "lx/exit_code.h"
#include "lxrun_options.h"

namespace lx::driver {

// Exit codes: lx/exit_code.h (lxrun's meanings are in its table; docs/driver.md).

// Loads the engine, reserves its heap, reads the app, listens, and drives the
// engine until it stops. Diagnostics go to err, one line each, starting with
// "lxrun: ". Returns the exit code.
int run_lxrun(const LxrunOptions& options, std::FILE* err);

}  // namespace lx::driver
