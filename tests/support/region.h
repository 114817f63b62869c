// Region: a fresh, zero-filled engine heap region mapped at a fixed address,
// as lxrun and lxreplay map it (MAP_FIXED_NOREPLACE | MAP_NORESERVE). Tests
// that run two engines at once give each its own address (region_base(i)).
#pragma once

#include <cstdint>

namespace lx::test {

// The driver's address (DESIGN.md section 9).
inline constexpr uintptr_t kDefaultRegionBase = 0x200000000000ull;
// The k-th test engine's address: 1 TiB apart, so regions never overlap.
constexpr uintptr_t region_base(int index) {
  return kDefaultRegionBase + static_cast<uintptr_t>(index) * 0x10000000000ull;
}

class Region {
 public:
  // Maps bytes at base; throws std::runtime_error (with errno's text) if the
  // address is taken or the mapping fails.
  Region(uintptr_t base, uint64_t bytes);
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  void* base() const { return base_; }
  uint64_t bytes() const { return bytes_; }
  // Bytes of the region the kernel has backed with memory (from mincore).
  uint64_t resident_bytes() const;

 private:
  void* base_;
  uint64_t bytes_;
};

}  // namespace lx::test
