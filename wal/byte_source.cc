// Buffered, bounded reading for LogReader (see byte_source.h).
#include "byte_source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace lx::wal {

ByteSource::ByteSource(int fd, bool owned)
    : fd_(fd), owned_(owned), buffer_(kWindowBytes + kHistoryBytes) {
  struct stat st {};
  seekable_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  if (seekable_) {
    const off_t at = ::lseek(fd_, 0, SEEK_CUR);
    offset_ = at > 0 ? static_cast<uint64_t>(at) : 0;
  }
}

ByteSource::~ByteSource() {
  if (owned_) ::close(fd_);
}

Result<std::unique_ptr<ByteSource>> ByteSource::open_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    const ErrorKind kind = e == ENOENT || e == ENOTDIR ? ErrorKind::kCorrupt : ErrorKind::kIo;
    return Status::error(kind, "cannot open " + path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::corruption("cannot read " + path + ": it is a directory");
  }
  return std::unique_ptr<ByteSource>(new ByteSource(fd, true));
}

std::unique_ptr<ByteSource> ByteSource::from_fd(int fd) {
  return std::unique_ptr<ByteSource>(new ByteSource(fd, false));
}

void ByteSource::set_follow(bool follow, uint32_t poll_ms, uint32_t timeout_ms) {
  // A pipe needs no polling: read() blocks, and its end is the end.
  follow_ = follow && seekable_;
  poll_ms_ = poll_ms == 0 ? 1 : poll_ms;
  timeout_ms_ = timeout_ms;
}

void ByteSource::compact() {
  const size_t keep_from = begin_ > kHistoryBytes ? begin_ - kHistoryBytes : 0;
  if (keep_from == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + keep_from, end_ - keep_from);
  begin_ -= keep_from;
  end_ -= keep_from;
}

size_t ByteSource::fill_more() {
  if (end_ == buffer_.size()) compact();
  if (end_ == buffer_.size()) return 0;
  uint64_t waited_ms = 0;
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return static_cast<size_t>(n);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (error_.ok()) error_ = Status::io(std::string("read failed: ") + std::strerror(errno));
      return 0;
    }
    if (!follow_ || (timeout_ms_ != 0 && waited_ms >= timeout_ms_)) return 0;
    const timespec pause{static_cast<time_t>(poll_ms_ / 1000),
                         static_cast<long>(poll_ms_ % 1000) * 1000000L};
    ::nanosleep(&pause, nullptr);
    waited_ms += poll_ms_;
  }
}

size_t ByteSource::fill(size_t n) {
  if (n > kWindowBytes) n = kWindowBytes;
  while (available() < n) {
    if (buffer_.size() - begin_ < n) compact();
    if (fill_more() == 0) break;
  }
  return available();
}

void ByteSource::consume(size_t n) {
  LX_ASSERT(n <= available());
  begin_ += n;
  offset_ += n;
}

uint64_t ByteSource::skip_to_end() {
  uint64_t skipped = 0;
  for (;;) {
    skipped += available();
    consume(available());
    if (seekable_ && !follow_) {
      const int64_t total = size();
      if (total >= 0 && static_cast<uint64_t>(total) > offset_) {
        skipped += static_cast<uint64_t>(total) - offset_;
        seek(static_cast<uint64_t>(total));
      }
      return skipped;
    }
    if (fill_more() == 0) return skipped;
  }
}

int64_t ByteSource::size() const {
  if (!seekable_) return -1;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return -1;
  return st.st_size;
}

bool ByteSource::seek(uint64_t offset) {
  if (!seekable_) return false;
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) return false;
  begin_ = end_ = 0;
  offset_ = offset;
  return true;
}

uint64_t ByteSource::rewind(uint64_t offset) {
  if (offset >= offset_) return offset_;
  const uint64_t back = offset_ - offset;
  if (back <= begin_) {
    begin_ -= static_cast<size_t>(back);
    offset_ = offset;
  } else if (seekable_) {
    seek(offset);
  } else {
    offset_ -= begin_;
    begin_ = 0;
  }
  return offset_;
}

bool ByteSource::read_at(uint64_t offset, uint8_t* dst, size_t n) const {
  while (n > 0) {
    const ssize_t got = ::pread(fd_, dst, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    dst += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

}  // namespace lx::wal
