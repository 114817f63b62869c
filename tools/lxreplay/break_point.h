// --break-at: stops lxreplay under a debugger just before an event is
// applied, by raising SIGTRAP (docs/debugging.md has the gdb recipe).
#pragma once

#include <cstdio>

#include "lx/tools/record_text.h"

namespace lx::tools {

// The PID of the process tracing this one (a debugger), 0 when none, -1 when
// /proc/self/status cannot be read.
int tracer_pid();

// Says on err which event is next and whether a debugger is attached, then
// raises SIGTRAP. Without a debugger SIGTRAP ends the process (exit by
// signal, maybe a core dump): that is documented, and said here. Kept out of
// line under this name so `break lx::tools::break_before_event` works too.
void break_before_event(const EventBrief& next_event, std::FILE* err);

}  // namespace lx::tools
