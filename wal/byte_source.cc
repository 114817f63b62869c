// The ByteSource kinds: a file descriptor, memory, and a fault-injecting wrapper.
#include "lx/wal/byte_source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "fd_io.h"

namespace lx::wal {
namespace {

class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owned) : fd_(fd), owned_(owned) {
    struct stat st {};
    seekable_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  }
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  ssize_t read(uint8_t* dst, size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, dst, n);
      if (got >= 0) return got;
      if (errno != EINTR) return -errno;
    }
  }
  bool seekable() const override { return seekable_; }
  int64_t size() const override {
    if (!seekable_) return -1;
    struct stat st {};
    return ::fstat(fd_, &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
  }
  bool seek(uint64_t offset) override {
    return seekable_ && ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) >= 0;
  }
  bool read_at(uint64_t offset, uint8_t* dst, size_t n) const override {
    return seekable_ && pread_fully(fd_, offset, dst, n);
  }
  bool writer_alive() const override {
    // A LogWriter holds an exclusive flock on its file while it writes; the
    // kernel drops it when the writer's process dies, even by SIGKILL.
    if (!seekable_) return false;
    if (::flock(fd_, LOCK_SH | LOCK_NB) == 0) {
      ::flock(fd_, LOCK_UN);
      return false;
    }
    return errno == EWOULDBLOCK;
  }

 private:
  int fd_;
  bool owned_;
  bool seekable_ = false;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  ssize_t read(uint8_t* dst, size_t n) override {
    const size_t left = bytes_.size() - std::min<size_t>(at_, bytes_.size());
    const size_t take = std::min(n, left);
    if (take > 0) std::memcpy(dst, bytes_.data() + at_, take);
    at_ += take;
    return static_cast<ssize_t>(take);
  }
  bool seekable() const override { return true; }
  int64_t size() const override { return static_cast<int64_t>(bytes_.size()); }
  bool seek(uint64_t offset) override {
    if (offset > bytes_.size()) return false;
    at_ = static_cast<size_t>(offset);
    return true;
  }
  bool read_at(uint64_t offset, uint8_t* dst, size_t n) const override {
    if (offset > bytes_.size() || bytes_.size() - offset < n) return false;
    if (n > 0) std::memcpy(dst, bytes_.data() + offset, n);
    return true;
  }

 private:
  std::vector<uint8_t> bytes_;
  size_t at_ = 0;
};

class FaultySource final : public ByteSource {
 public:
  FaultySource(std::unique_ptr<ByteSource> inner, ReadFaults faults)
      : inner_(std::move(inner)), faults_(faults) {}
  ssize_t read(uint8_t* dst, size_t n) override {
    ++reads_;
    if (faults_.fail_read != 0 && reads_ >= faults_.fail_read) return -faults_.error_number;
    if (faults_.max_read_bytes != 0) n = std::min(n, faults_.max_read_bytes);
    return inner_->read(dst, n);
  }
  bool seekable() const override { return inner_->seekable(); }
  int64_t size() const override { return inner_->size(); }
  bool seek(uint64_t offset) override { return inner_->seek(offset); }
  bool read_at(uint64_t offset, uint8_t* dst, size_t n) const override {
    if (faults_.fail_read_at && faults_.fail_read != 0 && reads_ >= faults_.fail_read) return false;
    return inner_->read_at(offset, dst, n);
  }
  bool writer_alive() const override { return inner_->writer_alive(); }

 private:
  std::unique_ptr<ByteSource> inner_;
  ReadFaults faults_;
  uint64_t reads_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    const std::string what = "cannot open " + path;
    if (e == ENOENT || e == ENOTDIR) return Status::corruption(what + ": " + std::strerror(e));
    return Status::io(what, e);
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::corruption("cannot read " + path + ": it is a directory");
  }
  return std::unique_ptr<ByteSource>(new FdSource(fd, true));
}

std::unique_ptr<ByteSource> fd_source(int fd) {
  return std::unique_ptr<ByteSource>(new FdSource(fd, false));
}

std::unique_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes) {
  return std::unique_ptr<ByteSource>(new MemorySource(std::move(bytes)));
}

std::unique_ptr<ByteSource> faulty_source(std::unique_ptr<ByteSource> inner, ReadFaults faults) {
  return std::unique_ptr<ByteSource>(new FaultySource(std::move(inner), faults));
}

}  // namespace lx::wal
