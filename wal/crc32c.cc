// Slice-by-8 CRC32C: eight 256-entry tables built at compile time, eight
// input bytes per step. About 1.5 GB/s on one core, far above zstd level 1.
#include "lx/wal/crc32c.h"

#include <cstring>

namespace lx::wal {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

struct Tables {
  uint32_t t[8][256];
};

constexpr Tables make_tables() {
  Tables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    tables.t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) {
      const uint32_t prev = tables.t[k - 1][i];
      tables.t[k][i] = (prev >> 8) ^ tables.t[0][prev & 0xFFu];
    }
  }
  return tables;
}

constexpr Tables kTables = make_tables();
static_assert(kTables.t[0][1] == 0xF26B8303u, "CRC32C table");

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t n) {
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(data) & 7u) != 0) {
    c = t[0][(c ^ *data++) & 0xFFu] ^ (c >> 8);
    --n;
  }
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);  // little-endian hosts only (x86-64, as the design says)
    word ^= c;
    c = t[7][word & 0xFFu] ^ t[6][(word >> 8) & 0xFFu] ^ t[5][(word >> 16) & 0xFFu] ^
        t[4][(word >> 24) & 0xFFu] ^ t[3][(word >> 32) & 0xFFu] ^ t[2][(word >> 40) & 0xFFu] ^
        t[1][(word >> 48) & 0xFFu] ^ t[0][word >> 56];
    data += 8;
    n -= 8;
  }
  while (n > 0) {
    c = t[0][(c ^ *data++) & 0xFFu] ^ (c >> 8);
    --n;
  }
  return ~c;
}

}  // namespace lx::wal
