// The staging ring's storage.
#include "staging_ring.h"

namespace lx::wal {

StagingRing::StagingRing(size_t capacity_bytes)
    : capacity_(capacity_bytes), ring_(new uint8_t[capacity_bytes]) {
  LX_ASSERT_OP(capacity_bytes, >=, size_t{64} << 10);
}

}  // namespace lx::wal
