// Whole reads and writes on a descriptor, retrying EINTR, and giving back
// reserved blocks. write_fully is async-signal-safe, so the writer thread
// and the crash path share it.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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

// Gives back the blocks reserved past the end of the file (fallocate with
// FALLOC_FL_KEEP_SIZE): tmpfs frees them by a punched hole, ext4 by a
// truncate to the same size. Best effort; the file's bytes are untouched.
inline void release_blocks_past_end(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  const off_t allocated = static_cast<off_t>(st.st_blocks) * 512;
  if (allocated <= st.st_size) return;
  (void)::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                    allocated - st.st_size + (off_t{1} << 20));
  (void)::ftruncate(fd, st.st_size);
}

}  // namespace lx::wal
