// The writer's system calls on its files, each through a FileOps table when
// one is given (tests inject faults that way; lx/wal/file_ops.h) and straight
// to the system otherwise; plus whole reads and writes, retrying EINTR, and
// giving back reserved blocks. write_fully is async-signal-safe (when the
// table's write is), so the writer thread and the crash path share it.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "lx/wal/file_ops.h"

namespace lx::wal {

inline int file_open(const FileOps* ops, const char* path, int flags, mode_t mode) noexcept {
  return ops == nullptr ? ::open(path, flags, mode) : ops->open(ops->context, path, flags, mode);
}
inline ssize_t file_write(const FileOps* ops, int fd, const void* data, size_t bytes) noexcept {
  return ops == nullptr ? ::write(fd, data, bytes) : ops->write(ops->context, fd, data, bytes);
}
inline int file_fdatasync(const FileOps* ops, int fd) noexcept {
  return ops == nullptr ? ::fdatasync(fd) : ops->fdatasync(ops->context, fd);
}
inline int file_fallocate(const FileOps* ops, int fd, int mode, off_t offset,
                          off_t bytes) noexcept {
  return ops == nullptr ? ::fallocate(fd, mode, offset, bytes)
                        : ops->fallocate(ops->context, fd, mode, offset, bytes);
}
// @return 0 or an error number (errno is not set), as posix_fallocate.
inline int file_posix_fallocate(const FileOps* ops, int fd, off_t offset, off_t bytes) noexcept {
  return ops == nullptr ? ::posix_fallocate(fd, offset, bytes)
                        : ops->posix_fallocate(ops->context, fd, offset, bytes);
}
inline int file_ftruncate(const FileOps* ops, int fd, off_t length) noexcept {
  return ops == nullptr ? ::ftruncate(fd, length) : ops->ftruncate(ops->context, fd, length);
}
inline int file_fstat(const FileOps* ops, int fd, struct stat* st) noexcept {
  return ops == nullptr ? ::fstat(fd, st) : ops->fstat(ops->context, fd, st);
}
inline int file_close(const FileOps* ops, int fd) noexcept {
  return ops == nullptr ? ::close(fd) : ops->close(ops->context, fd);
}

// Writes all of data, going on after short counts. @return false with
// *error_out set to errno on a failed write, or to EIO when a write makes
// no progress (returns 0: no regular file should, but a FUSE file system
// may, and retrying would spin for ever).
inline bool write_fully(const FileOps* ops, int fd, const uint8_t* data, size_t bytes,
                        int* error_out) noexcept {
  while (bytes > 0) {
    const ssize_t n = file_write(ops, fd, data, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error_out = errno;
      return false;
    }
    if (n == 0) {
      *error_out = EIO;
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
inline void release_blocks_past_end(const FileOps* ops, int fd) noexcept {
  struct stat st {};
  if (file_fstat(ops, fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  const off_t allocated = static_cast<off_t>(st.st_blocks) * 512;
  if (allocated <= st.st_size) return;
  (void)file_fallocate(ops, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                       allocated - st.st_size + (off_t{1} << 20));
  (void)file_ftruncate(ops, fd, st.st_size);
}

}  // namespace lx::wal
