// RegionHeader: the first bytes of every engine region. They name the engine
// build, the region's address and size and where the engine object is, so a
// region copied into another process (a snapshot) can be checked and adopted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lx/engine_api.h"

namespace lx::engine {

// Lives at heap_base; the Heap follows it at heap_base + kBytes. Written once
// by stamp() at create and never again, so it is the same in every run of the
// same build with the same config. Layout (docs/snapshots.md), little-endian:
//   0 magic u64 | 8 layout_version u32 | 12 header_bytes u32 | 16 base u64 |
//   24 region_bytes u64 | 32 seed u64 | 40 code_address u64 |
//   48 engine_offset u64 | 56 data_address u64 | 64 build_id char[64] (NUL-padded) |
//   128 reserved to 256 (0).
struct RegionHeader {
  static constexpr uint64_t kMagic = 0x3130'6e67'6572'786cull;  // "lxregn01"
  static constexpr uint32_t kLayoutVersion = 1;
  static constexpr std::size_t kBytes = 256;
  static constexpr std::size_t kBuildIdBytes = 64;

  uint64_t magic;
  uint32_t layout_version;
  uint32_t header_bytes;
  uint64_t base;
  uint64_t region_bytes;
  uint64_t seed;
  // Where this library's code was when the region was made: Lua keeps C
  // function pointers (and the engine its allocator) inside the region, so
  // the region is only valid with the library at the same address.
  uint64_t code_address;
  uint64_t engine_offset;  // the DrivenEngine, from base; 0 until create finishes
  uint64_t data_address;   // the same for the library's read-only data

  char build_id[kBuildIdBytes];
  unsigned char reserved[kBytes - 128];

  // Writes a header for this build into the (zero) first bytes of a region.
  static RegionHeader* stamp(const lx_engine_config& config) noexcept;
  // Checks that config's region starts with a header this library can adopt:
  // the magic and layout, this very build, the same base, size and seed, and
  // this library loaded where it was when the header was stamped. Returns
  // the header, or null with the reason (and what to do) in *error.
  static const RegionHeader* check(const lx_engine_config& config, std::string* error);

  // The addresses of this library's code and read-only data that
  // code_address and data_address record.
  static uint64_t current_code_address() noexcept;
  static uint64_t current_data_address() noexcept;
};

static_assert(sizeof(RegionHeader) == RegionHeader::kBytes, "the header is 256 bytes");
static_assert(offsetof(RegionHeader, build_id) == 64, "docs/snapshots.md gives the layout");

}  // namespace lx::engine
