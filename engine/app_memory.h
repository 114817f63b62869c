// AppMemory: what the app holds (its Lua allocations, the output it queued,
// its pending wake times) against the cap of lx_engine_config, so that an
// app that grows without bound gets Lua's "not enough memory" error instead
// of eating the heap region and failing the engine.
#pragma once

#include <cstdint>

#include "engine_assert.h"

namespace lx::engine {

// Lives inside the engine (on the heap region), so it is state like the rest
// and repeats in replay. Single-threaded, as the engine is.
class AppMemory {
 public:
  // cap_bytes 0: no cap (the heap region's app budget is the only limit).
  explicit AppMemory(uint64_t cap_bytes) noexcept : cap_bytes_(cap_bytes) {}

  // True when charging more_bytes would stay within the cap.
  bool fits(uint64_t more_bytes) const {
    return cap_bytes_ == 0 || (more_bytes <= cap_bytes_ && used_bytes_ <= cap_bytes_ - more_bytes);
  }
  void charge(uint64_t bytes) { used_bytes_ += bytes; }
  void release(uint64_t bytes) {
    LX_ENGINE_ASSERT(bytes <= used_bytes_);
    used_bytes_ -= bytes;
  }
  uint64_t used_bytes() const { return used_bytes_; }
  uint64_t cap_bytes() const { return cap_bytes_; }

 private:
  uint64_t cap_bytes_;
  uint64_t used_bytes_ = 0;
};

}  // namespace lx::engine
