// EngineRandom: the engine's own pseudo-random generator (xoshiro256**),
// seeded only from the engine seed, behind lx.random. Its state lives in the
// engine object, so replay with the recorded seed repeats every draw.
#pragma once

#include <cstdint>

namespace lx::engine {

class EngineRandom {
 public:
  explicit EngineRandom(uint64_t seed);

  uint64_t next();
  // A float in [0, 1) with 53 random bits.
  double next_unit();
  // A uniform integer in [0, n], by rejection (no modulo bias).
  uint64_t next_at_most(uint64_t n);

 private:
  uint64_t state_[4];
};

}  // namespace lx::engine
