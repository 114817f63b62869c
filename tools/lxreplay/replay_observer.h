// ReplayObserver: how every view of a replay (probes, the conversation, the
// responses of a what-if app, the REPL's event list, later the timeline's
// SessionModelBuilder) follows it without a replay loop of its own. The
// Replayer calls each observer, in the order they were added, for every
// record it reads and around every event it applies.
#pragma once

#include <cstdint>
#include <string_view>

#include "lx/host/engine.h"
#include "lx/tools/record_text.h"
#include "lx/wal/format.h"

namespace lx::tools {

class ReplayObserver {
 public:
  virtual ~ReplayObserver() = default;

  // Every record read from the log, in log order, before the Replayer acts
  // on it (an event before it is applied). record.bytes is valid only during
  // the call.
  virtual void on_record(const wal::Record& record) { (void)record; }

  // Just before event is applied: engine holds the state after the event
  // before it (so the bytes a sent_outgoing reports are still queued).
  // A query-only view of the engine: nothing here may change it.
  virtual void before_event(const wal::Record& event, const host::Engine& engine) {
    (void)event;
    (void)engine;
  }

  // Right after event was applied (result: what the engine returned) and its
  // lx.log lines drained: engine holds the state after it. Inspecting it
  // must go through a forked copy (Inspector), never change it in place.
  virtual void after_event(const wal::Record& event, int32_t result, host::Engine& engine) {
    (void)event;
    (void)result;
    (void)engine;
  }

  // The engine was replaced by one restored from a snapshot of the state
  // after event `event` (the REPL going back): the events after it will be
  // applied again.
  virtual void on_rewind(uint64_t event) { (void)event; }

  // The replay parted from the recording at the checkpoint or accept result
  // after `event`; report is the divergence report's text (several lines),
  // valid only during the call. Called whether or not the report is printed.
  virtual void on_divergence(const EventBrief& event, std::string_view report) {
    (void)event;
    (void)report;
  }
};

}  // namespace lx::tools
