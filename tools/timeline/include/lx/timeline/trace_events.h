// The session as a Chrome Trace Event file (JSON object format), which
// Perfetto's UI and chrome://tracing open: a track per channel, a span per
// exchange, instant events for accepts, closes, checkpoints and snapshots.
#pragma once

#include <cstdint>
#include <cstdio>

#include "lx/status.h"
#include "lx/timeline/session_model.h"

namespace lx::timeline {

// What write_trace_events wrote, for a summary line and for tests.
struct TraceCounts {
  uint64_t tracks = 0;    // thread_name metadata events: the session track and one per lane
  uint64_t spans = 0;     // "X" events: one per exchange
  uint64_t instants = 0;  // "i" events: marks
};

// Writes the whole trace to out. Times are microseconds on the model's axis
// (axis_time_of) from the session's first clock; each event's args carry
// its event numbers, byte counts and the recorded clock. A span that would
// overlap the next one on its track (pipelined replies) is cut at the next
// one's start, its true end kept in args. @return kIo when writing fails.
Status write_trace_events(const SessionModel& model, std::FILE* out, TraceCounts* counts = nullptr);

}  // namespace lx::timeline
