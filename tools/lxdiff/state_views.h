// lxdiff --state and --html: what lxdiff does after comparing the records of
// two logs of one session: replay both to where they part and compare their
// Lua states (the autopsy of tools/lxreplay), and draw both sessions on one
// event axis with the divergence marked (tools/timeline).
#pragma once

#include <cstdio>

#include "log_differ.h"
#include "lxdiff_options.h"

namespace lx::tools {

// Prints the state comparison (--state, or --html) and writes the page
// (--html). out and err as in run_lxdiff. @return 0, or the exit code of an
// error (the page cannot be written: 4; a log cannot be read again: 3).
int run_state_views(const LxdiffOptions& options, const LogDivergence& divergence, std::FILE* out,
                    std::FILE* err);

// The event after which two logs' states are compared: the first differing
// checkpoint's, but never past the event before the first differing event
// (from there the logs hold other inputs), unless that event is the app
// source itself (two apps, one session). 0: nothing to compare.
uint64_t state_event_to_compare(const LogDivergence& divergence);

}  // namespace lx::tools
