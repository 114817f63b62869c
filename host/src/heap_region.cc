// Reserving the engine's fixed-address heap (see heap_region.h).
#include "lx/host/heap_region.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace lx::host {

Result<HeapRegion> HeapRegion::reserve(uint64_t base, uint64_t bytes) {
  const uint64_t page_bytes = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  if (base == 0 || base % page_bytes != 0 || bytes == 0 || bytes % page_bytes != 0) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot reserve the engine heap at {:#x} ({} bytes): base "
                                     "and size must be non-zero multiples of the page size ({})",
                                     base, bytes, page_bytes));
  }
  void* wanted = reinterpret_cast<void*>(base);
  void* got = ::mmap(wanted, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (got == MAP_FAILED) {
    int error = errno;
    if (error == EEXIST) {
      return Status::error(
          ErrorKind::kIo,
          fmt::format("cannot reserve the engine heap at {:#x} ({} GiB): the range is already "
                      "mapped (another engine in this process, a sanitizer, or the ASLR "
                      "layout); try another --heap-base",
                      base, bytes >> 30));
    }
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot reserve the engine heap at {:#x} ({} GiB): {}; "
                                     "check ulimit -v, or try another --heap-base",
                                     base, bytes >> 30, std::strerror(error)));
  }
  if (got != wanted) {
    // A kernel older than 4.17 takes MAP_FIXED_NOREPLACE as a mere hint.
    ::munmap(got, bytes);
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot reserve the engine heap at {:#x}: the kernel placed "
                                     "it at {} instead (Linux 4.17 or later is needed, or the "
                                     "range is taken); try another --heap-base",
                                     base, fmt::ptr(got)));
  }
  return HeapRegion(got, bytes);
}

Status HeapRegion::advise_huge_pages() {
  LX_ASSERT(base_ != nullptr);
  if (::madvise(base_, bytes_, MADV_HUGEPAGE) != 0) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot ask for huge pages in the engine heap at {}: {}; "
                                     "snapshots will stall the server longer (docs/snapshots.md)",
                                     base_, std::strerror(errno)));
  }
  return Status();
}

HeapRegion::HeapRegion(HeapRegion&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      fresh_(other.fresh_) {}

HeapRegion& HeapRegion::operator=(HeapRegion&& other) noexcept {
  if (this != &other) {
    release();
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    fresh_ = other.fresh_;
  }
  return *this;
}

HeapRegion::~HeapRegion() { release(); }

void HeapRegion::release() {
  if (base_ != nullptr) {
    int rc = ::munmap(base_, bytes_);
    LX_ASSERT(rc == 0);
    base_ = nullptr;
    bytes_ = 0;
  }
}

}  // namespace lx::host
