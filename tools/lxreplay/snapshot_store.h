// SnapshotStore: the in-memory snapshots the REPL goes back through. Every
// `interval` events the Replayer offers the engine; the store keeps a copy of
// its state (Engine::snapshot), so going back to any event seen costs one
// restore and at most one interval of replay. Memory is bounded: past
// max_bytes every other snapshot is dropped and the interval doubles.
#pragma once

#include <cstdint>
#include <map>

#include "lx/host/engine.h"
#include "lx/host/snapshot.h"

namespace lx::tools {

class SnapshotStore {
 public:
  // interval >= 1 events; max_bytes bounds the bytes kept (at least two
  // snapshots are always kept).
  SnapshotStore(uint64_t interval, uint64_t max_bytes);

  // Called after every event (and once before the first, with event 0):
  // takes a snapshot when event is a multiple of the interval and none is
  // held for it yet.
  void offer(const host::Engine& engine, uint64_t event);

  // The snapshot of the latest event at or before `event`, or null.
  const host::Snapshot* at_or_before(uint64_t event) const;

  uint64_t interval() const { return interval_; }
  uint64_t bytes() const { return bytes_; }
  size_t count() const { return snapshots_.size(); }

 private:
  void thin_out();

  uint64_t interval_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::map<uint64_t, host::Snapshot> snapshots_;  // by event
};

}  // namespace lx::tools
