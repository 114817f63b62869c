// The SHA-256 of the app's source blob, which lxrun puts in the log header
// (lxdiff compares it between logs). Computed by OpenSSL's libcrypto (EVP):
// nothing hand-written that a well-kept library does.
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
};

}  // namespace lx::driver
