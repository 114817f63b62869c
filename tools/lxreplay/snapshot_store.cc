// SnapshotStore: taking, finding and thinning out in-memory snapshots.
#include "snapshot_store.h"

#include "lx/assert.h"

namespace lx::tools {

SnapshotStore::SnapshotStore(uint64_t interval, uint64_t max_bytes)
    : interval_(interval), max_bytes_(max_bytes) {
  LX_ASSERT(interval >= 1);
}

void SnapshotStore::offer(const host::Engine& engine, uint64_t event) {
  if (event % interval_ != 0 || snapshots_.count(event) != 0) return;
  host::Snapshot snapshot = engine.snapshot();
  bytes_ += snapshot.bytes.size();
  snapshots_.emplace(event, std::move(snapshot));
  while (bytes_ > max_bytes_ && snapshots_.size() > 2) thin_out();
}

void SnapshotStore::thin_out() {
  // Keep the multiples of the doubled interval (event 0 always is one).
  interval_ *= 2;
  for (auto it = snapshots_.begin(); it != snapshots_.end();) {
    if (it->first % interval_ != 0) {
      bytes_ -= it->second.bytes.size();
      it = snapshots_.erase(it);
    } else {
      ++it;
    }
  }
}

const host::Snapshot* SnapshotStore::at_or_before(uint64_t event) const {
  auto it = snapshots_.upper_bound(event);
  if (it == snapshots_.begin()) return nullptr;
  return &std::prev(it)->second;
}

}  // namespace lx::tools
