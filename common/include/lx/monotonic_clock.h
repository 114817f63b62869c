// Milliseconds on the monotonic clock, for the host side's timeouts,
// intervals and progress (never for anything the engine sees).
#pragma once

#include <chrono>
#include <cstdint>

namespace lx {

inline int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace lx
