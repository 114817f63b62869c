// Region: mmap/munmap of a fixed-address engine heap region for tests.
#include "region.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace lx::test {

Region::Region(uintptr_t base, uint64_t bytes) : base_(nullptr), bytes_(bytes) {
  void* wanted = reinterpret_cast<void*>(base);
  void* got = mmap(wanted, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (got == MAP_FAILED) {
    throw std::runtime_error("cannot map the engine region at " + std::to_string(base) + ": " +
                             std::strerror(errno));
  }
  if (got != wanted) {  // kernels before 4.17 treat the flag as a hint
    munmap(got, bytes);
    throw std::runtime_error("the engine region address is taken");
  }
  base_ = got;
}

Region::~Region() { munmap(base_, bytes_); }

uint64_t Region::resident_bytes() const {
  long page = sysconf(_SC_PAGESIZE);
  std::size_t pages = (bytes_ + static_cast<uint64_t>(page) - 1) / static_cast<uint64_t>(page);
  std::vector<unsigned char> flags(pages);
  if (mincore(base_, bytes_, flags.data()) != 0) return 0;
  uint64_t resident = 0;
  for (unsigned char f : flags) resident += (f & 1) ? static_cast<uint64_t>(page) : 0;
  return resident;
}

}  // namespace lx::test
