// Hash64: the running 64-bit hash behind memhash and outhash. It must give
// the same value for the same inputs in every process on x86-64, so it uses
// only integer arithmetic on explicit little-endian words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lx::engine {

class Hash64 {
 public:
  static constexpr uint64_t kInitial = 0x6c78'2d68'6173'6821ull;

  // A strong 64-bit finalizer (the splitmix64 output function).
  static constexpr uint64_t finalize(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
  }

  // Folds one word into the running state.
  void mix(uint64_t value) { state_ = finalize(state_ + 0x9e3779b97f4a7c15ull + value); }

  // Folds a byte string: its length, then 8-byte little-endian words, then
  // the zero-padded tail.
  void mix_bytes(const void* bytes, std::size_t byte_count) {
    mix(byte_count);
    const auto* p = static_cast<const unsigned char*>(bytes);
    std::size_t i = 0;
    for (; i + 8 <= byte_count; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      state_ = (state_ ^ word) * 0x100000001b3ull;
      state_ ^= state_ >> 29;
    }
    if (i < byte_count) {
      uint64_t word = 0;
      std::memcpy(&word, p + i, byte_count - i);
      state_ = (state_ ^ word) * 0x100000001b3ull;
      state_ ^= state_ >> 29;
    }
    mix(0xb17e5ull);
  }

  uint64_t value() const { return state_; }

 private:
  uint64_t state_ = kInitial;
};

}  // namespace lx::engine
