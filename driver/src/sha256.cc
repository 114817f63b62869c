// SHA-256 through libcrypto's one-shot EVP_Digest.
#include "sha256.h"

#include <openssl/evp.h>

#include "lx/assert.h"

namespace lx::driver {

Sha256::Digest Sha256::of(std::span<const uint8_t> bytes) {
  Digest digest{};
  unsigned int size = 0;
  const int ok =
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  // Only a broken libcrypto fails here: there is nothing to recover.
  LX_ASSERT(ok == 1);
  LX_ASSERT_OP(size, ==, kDigestBytes);
  return digest;
}

}  // namespace lx::driver
