// Whole reads and writes on a descriptor, retrying EINTR. write_fully is
// async-signal-safe, so the writer thread and the crash path share it.
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace lx::wal {

// @return false with *error_out set to errno on a failed write.
inline bool write_fully(int fd, const uint8_t* data, size_t bytes, int* error_out) noexcept {
  while (bytes > 0) {
    const ssize_t n = ::write(fd, data, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error_out = errno;
      return false;
    }
    data += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

// pread() until n bytes from offset are in dst. @return false on an error
// or end of file first.
inline bool pread_fully(int fd, uint64_t offset, uint8_t* dst, size_t n) noexcept {
  while (n > 0) {
    const ssize_t got = ::pread(fd, dst, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    dst += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

}  // namespace lx::wal
