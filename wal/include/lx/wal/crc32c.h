// CRC32C (Castagnoli), which guards every record, header, index and trailer
// of a log. Written here (slice-by-8) so the library needs no extra package;
// pure and async-signal-safe, so the crash handler may call it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lx::wal {

// Extends `crc` (the CRC of earlier bytes, 0 for none) over n bytes at data.
// @return the CRC32C of the earlier bytes followed by these.
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t n);

// @return the CRC32C of n bytes at data ("123456789" gives 0xE3069283).
inline uint32_t crc32c(const uint8_t* data, size_t n) { return crc32c_extend(0, data, n); }

}  // namespace lx::wal
