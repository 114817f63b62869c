// EngineRandom: xoshiro256** seeded through splitmix64.
#include "engine_random.h"

namespace lx::engine {
namespace {

uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t splitmix_next(uint64_t& x) {
  x += 0x9e3779b97f4a7c15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

EngineRandom::EngineRandom(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& word : state_) word = splitmix_next(x);
}

uint64_t EngineRandom::next() {
  uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
  uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotate_left(state_[3], 45);
  return result;
}

double EngineRandom::next_unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t EngineRandom::next_at_most(uint64_t n) {
  if ((n & (n + 1)) == 0) return next() & n;  // n + 1 is a power of two
  uint64_t mask = n;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  for (;;) {
    uint64_t value = next() & mask;
    if (value <= n) return value;
  }
}

}  // namespace lx::engine
