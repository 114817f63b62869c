// The state hash (see snapshot.h).
#include "lx/host/snapshot.h"

#include <xxhash.h>

namespace lx::host {

uint64_t state_hash(std::span<const uint8_t> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace lx::host
