// A snapshot of an engine: the used bytes of its heap region and what they
// need to be adopted again (docs/snapshots.md). The state hash lives here too:
// a content hash of those bytes, which catches divergence memhash cannot see.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lx/event_sink.h"

namespace lx::host {

// Everything a snapshot says about itself besides its bytes.
struct SnapshotInfo {
  std::string build_id;         // the engine build that took it; restore needs the same
  uint64_t base = 0;            // the region's address
  uint64_t region_bytes = 0;    // the region's size
  uint64_t seed = 0;            // the engine's seed (the config restore passes)
  uint64_t snapshot_bytes = 0;  // bytes of the region from base that are the state
  EngineFigures figures;        // after event figures.event_count
  uint64_t state_hash = 0;      // state_hash() of the bytes
  bool operator==(const SnapshotInfo&) const = default;
};

// A snapshot held in memory. Owns its bytes: bytes.size() == info.snapshot_bytes.
struct Snapshot {
  SnapshotInfo info;
  std::vector<uint8_t> bytes;
};

// The state hash: XXH3-64 (seed 0) of the bytes. Fresh zero pages and the
// same events give the same bytes, so the same hash, in every process.
uint64_t state_hash(std::span<const uint8_t> bytes);

}  // namespace lx::host
