// CRC32C: the crc32-instruction path and the table path give the same
// values (check vectors, random buffers at every alignment and length, and
// CRCs extended across the two), so a log written on one CPU reads on another.
#include "lx/wal/crc32c.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

using namespace lx::wal;

namespace {

const uint8_t* bytes_of(const char* s) { return reinterpret_cast<const uint8_t*>(s); }

}  // namespace

TEST_CASE("crc32c: the table path gives the standard check values", "[wal][crc32c]") {
  CHECK(crc32c_extend_portable(0, bytes_of("123456789"), 9) == 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0);
  CHECK(crc32c_extend_portable(0, zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720 B.4
  CHECK(crc32c_extend_portable(0, nullptr, 0) == 0u);
}

TEST_CASE("crc32c: the crc32 instruction gives the table's values", "[wal][crc32c]") {
  if (!crc32c_hardware_available()) {
    WARN("no SSE4.2 on this CPU: crc32c() uses the tables; nothing to compare");
    return;
  }
  CHECK(crc32c_extend_hardware(0, bytes_of("123456789"), 9) == 0xE3069283u);
  std::vector<uint8_t> ones(32, 0xFF);
  CHECK(crc32c_extend_hardware(0, ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(crc32c_extend_hardware(0, nullptr, 0) == 0u);
  // Lengths around the 4-byte and 1-byte tails, from a nonzero CRC.
  std::vector<uint8_t> pattern(16);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 31 + 7);
  for (size_t length :
       {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{12}, size_t{13}})
    CHECK(crc32c_extend_hardware(0x12345678u, pattern.data(), length) ==
          crc32c_extend_portable(0x12345678u, pattern.data(), length));

  const uint32_t seed = GENERATE(take(200, random(0u, 0xFFFFFFFFu)));
  CAPTURE(seed);
  std::mt19937 rng(seed);
  std::vector<uint8_t> buffer(40000 + 16);
  for (uint8_t& b : buffer) b = static_cast<uint8_t>(rng());
  // Every start alignment (0..7); lengths around the 8-byte steps, and long
  // enough for many 8-byte steps.
  const size_t offset = rng() % 8;
  const uint32_t kind = rng() % 3;
  const size_t length = kind == 0 ? rng() % 40 : kind == 1 ? rng() % 4096 : rng() % 40000;
  const uint8_t* data = buffer.data() + offset;
  const uint32_t start_crc = rng() % 2 == 0 ? 0u : static_cast<uint32_t>(rng());
  CAPTURE(offset, length, start_crc);
  const uint32_t table = crc32c_extend_portable(start_crc, data, length);
  CHECK(crc32c_extend_hardware(start_crc, data, length) == table);
  CHECK(crc32c_extend(start_crc, data, length) == table);
  // A CRC begun by one path and continued by the other is the whole CRC.
  const size_t cut = length == 0 ? 0 : rng() % length;
  CHECK(crc32c_extend_hardware(crc32c_extend_portable(start_crc, data, cut), data + cut,
                               length - cut) == table);
  CHECK(crc32c_extend_portable(crc32c_extend_hardware(start_crc, data, cut), data + cut,
                               length - cut) == table);
}
