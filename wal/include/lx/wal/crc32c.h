// CRC32C (Castagnoli), which guards every record, header, index and trailer
// of a log. Written here (the SSE4.2 crc32 instruction, slice-by-8 tables
// where the CPU lacks it) so the library needs no extra package; pure and
// async-signal-safe, so the crash handler may call it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lx::wal {

// Extends `crc` (the CRC of earlier bytes, 0 for none) over n bytes at data.
// @return the CRC32C of the earlier bytes followed by these.
// Uses the crc32 instruction when the CPU has SSE4.2, else the tables.
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t n);

// The two implementations behind crc32c_extend, for tests and benchmarks;
// they give the same values. crc32c_extend_hardware requires
// crc32c_hardware_available() (asserted).
uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t n);
uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t n);
// True when this CPU has the SSE4.2 crc32 instruction (cpuid, read once by
// libgcc at start-up).
bool crc32c_hardware_available();

// @return the CRC32C of n bytes at data ("123456789" gives 0xE3069283).
inline uint32_t crc32c(const uint8_t* data, size_t n) { return crc32c_extend(0, data, n); }

// The CRC32C of the one byte b, bit by bit, for tables built when compiling
// (crc32c_extend(crc32c_of_byte(b), data, n) is the CRC of b then data).
constexpr uint32_t crc32c_of_byte(uint8_t b) {
  uint32_t c = 0xFFFFFFFFu ^ b;
  for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  return ~c;
}

}  // namespace lx::wal
