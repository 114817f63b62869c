// SHA-256 (FIPS 180-4), so lxrun can put a digest of the app's source blob in
// the log header without a crypto library: lxdiff compares it between logs.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace lx::driver {

class Sha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  using Digest = std::array<uint8_t, kDigestBytes>;

  // The digest of bytes, in one call (the blob is in memory anyway).
  static Digest of(std::span<const uint8_t> bytes);

 private:
  Sha256();
  void update(std::span<const uint8_t> bytes);
  Digest finish();
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_{};
  size_t block_used_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace lx::driver
