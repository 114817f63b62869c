// write() until every byte is written, retrying EINTR: async-signal-safe, so
// the writer thread and the crash path share it.
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

}  // namespace lx::wal
