// RegionHeader: stamping a new region and checking a copied one (restore).
#include "region_header.h"

#include <charconv>
#include <cstring>
#include <string_view>

#include "engine_api.h"

namespace lx::engine {
namespace {

std::string hex(uint64_t value) {
  char digits[24] = {'0', 'x'};
  auto result = std::to_chars(digits + 2, digits + sizeof(digits), value, 16);
  return std::string(digits, result.ptr);
}

std::string decimal(uint64_t value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  return std::string(digits, result.ptr);
}

// The header's build id as text (it may lack its NUL if damaged).
std::string_view header_build_id(const RegionHeader& header) {
  const char* end =
      static_cast<const char*>(std::memchr(header.build_id, 0, RegionHeader::kBuildIdBytes));
  return {header.build_id, end != nullptr ? static_cast<std::size_t>(end - header.build_id)
                                          : RegionHeader::kBuildIdBytes};
}

// Stands for the library's read-only data (Lua's static nodes, strings).
constexpr unsigned char kDataAnchor[16] = {'l', 'x', ' ', 'd', 'a', 't', 'a'};

}  // namespace

uint64_t RegionHeader::current_code_address() noexcept {
  return reinterpret_cast<uint64_t>(&RegionHeader::current_code_address);
}

uint64_t RegionHeader::current_data_address() noexcept {
  return reinterpret_cast<uint64_t>(&kDataAnchor[0]);
}

RegionHeader* RegionHeader::stamp(const lx_engine_config& config) noexcept {
  auto* header = static_cast<RegionHeader*>(config.heap_base);
  header->magic = kMagic;
  header->layout_version = kLayoutVersion;
  header->header_bytes = kBytes;
  header->base = reinterpret_cast<uint64_t>(config.heap_base);
  header->region_bytes = config.heap_bytes;
  header->seed = config.seed;
  header->code_address = current_code_address();
  header->engine_offset = 0;
  header->data_address = current_data_address();
  std::string_view id = lx::engine::build_id();
  std::size_t n = id.size() < kBuildIdBytes - 1 ? id.size() : kBuildIdBytes - 1;
  std::memcpy(header->build_id, id.data(), n);
  return header;
}

const RegionHeader* RegionHeader::check(const lx_engine_config& config, std::string* error) {
  const auto* header = static_cast<const RegionHeader*>(config.heap_base);
  uint64_t base = reinterpret_cast<uint64_t>(config.heap_base);
  if (header->magic != kMagic) {
    *error = "the region does not start with an engine snapshot (bad magic " + hex(header->magic) +
             "); copy the snapshot's bytes to the start of the region before restoring";
    return nullptr;
  }
  if (header->layout_version != kLayoutVersion || header->header_bytes != kBytes) {
    *error = "the snapshot has region layout " + decimal(header->layout_version) + " (header of " +
             decimal(header->header_bytes) + " bytes), this engine reads " +
             decimal(kLayoutVersion) + " (" + decimal(kBytes) +
             " bytes); restore it with the engine build that took it (" +
             std::string(header_build_id(*header)) + ")";
    return nullptr;
  }
  std::string_view own = lx::engine::build_id();
  if (header_build_id(*header) != own.substr(0, kBuildIdBytes - 1)) {
    *error = "the snapshot was taken by engine build " + std::string(header_build_id(*header)) +
             ", this engine is build " + std::string(own) +
             "; restore it with the engine library of build " +
             std::string(header_build_id(*header));
    return nullptr;
  }
  if (header->base != base) {
    *error = "the snapshot's region was at " + hex(header->base) + ", this region is at " +
             hex(base) + "; map the region at " + hex(header->base);
    return nullptr;
  }
  if (header->region_bytes != config.heap_bytes) {
    *error = "the snapshot's region was " + decimal(header->region_bytes) + " bytes, this one is " +
             decimal(config.heap_bytes) + "; map a region of " + decimal(header->region_bytes) +
             " bytes";
    return nullptr;
  }
  if (header->seed != config.seed) {
    *error = "the snapshot's engine was created with seed " + decimal(header->seed) +
             ", the config says " + decimal(config.seed) +
             "; pass the seed the recording used (its log header)";
    return nullptr;
  }
  if (header->code_address != current_code_address() ||
      header->data_address != current_data_address()) {
    *error = "the snapshot was taken with this engine's code at " + hex(header->code_address) +
             ", but here it is at " + hex(current_code_address()) +
             "; load the engine library at the address it was linked at (something else "
             "occupied that range, or it is not a fixed-address build)";
    return nullptr;
  }
  if (header->engine_offset < kBytes || header->engine_offset >= header->region_bytes ||
      header->engine_offset % 16 != 0) {
    *error = "the snapshot is damaged: its engine offset " + hex(header->engine_offset) +
             " is outside the region; take the snapshot again";
    return nullptr;
  }
  return header;
}

}  // namespace lx::engine
