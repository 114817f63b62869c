// The fault-injecting FileOps table (see file_faults.h). The write path uses
// atomics and write() only: the crash handler may call it.
#include "file_faults.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "lx/assert.h"

namespace lx::wal::test {
namespace {

constexpr std::string_view kCallNames[kFileCallKinds] = {"open",     "write", "sync", "allocate",
                                                         "truncate", "stat",  "close"};

struct EffectName {
  std::string_view text;
  FaultEffect effect;
  int error_number;
};
constexpr EffectName kEffects[] = {
    {"EIO", FaultEffect::kError, EIO},
    {"ENOSPC", FaultEffect::kError, ENOSPC},
    {"EDQUOT", FaultEffect::kError, EDQUOT},
    {"EFBIG", FaultEffect::kError, EFBIG},
    {"short-EIO", FaultEffect::kShortThenError, EIO},
    {"short-ENOSPC", FaultEffect::kShortThenError, ENOSPC},
    {"short-ok", FaultEffect::kShortThenOk, 0},
    {"no-progress", FaultEffect::kNoProgress, 0},
};

FileFaults& self_of(void* context) { return *static_cast<FileFaults*>(context); }

}  // namespace

std::string_view file_call_name(FileCall call) { return kCallNames[static_cast<int>(call)]; }

std::optional<FileFault> parse_file_fault(std::string_view text) {
  const size_t first = text.find(':');
  const size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  FileFault fault;
  const std::string_view kind = text.substr(0, first);
  std::string_view nth = text.substr(first + 1, second - first - 1);
  const std::string_view effect = text.substr(second + 1);
  bool kind_found = false;
  for (int i = 0; i < kFileCallKinds; ++i) {
    if (kCallNames[i] == kind) {
      fault.call = static_cast<FileCall>(i);
      kind_found = true;
    }
  }
  if (!kind_found) return std::nullopt;
  if (nth.ends_with('+')) {
    fault.persistent = true;
    nth.remove_suffix(1);
  }
  if (nth.empty() || nth.size() > 9) return std::nullopt;
  for (char c : nth) {
    if (c < '0' || c > '9') return std::nullopt;
    fault.nth = fault.nth * 10 + static_cast<uint64_t>(c - '0');
  }
  if (fault.nth == 0) return std::nullopt;
  for (const EffectName& e : kEffects) {
    if (e.text != effect) continue;
    if (e.effect != FaultEffect::kError && fault.call != FileCall::kWrite) return std::nullopt;
    if (fault.persistent && e.effect != FaultEffect::kError && e.effect != FaultEffect::kNoProgress)
      return std::nullopt;
    fault.effect = e.effect;
    fault.error_number = e.error_number;
    return fault;
  }
  return std::nullopt;
}

std::string file_fault_text(const FileFault& fault) {
  std::string text = std::string(file_call_name(fault.call)) + ":" + std::to_string(fault.nth) +
                     (fault.persistent ? "+:" : ":");
  for (const EffectName& e : kEffects) {
    if (e.effect == fault.effect &&
        (e.effect == FaultEffect::kShortThenOk || e.effect == FaultEffect::kNoProgress ||
         e.error_number == fault.error_number))
      return text + std::string(e.text);
  }
  return text + "errno " + std::to_string(fault.error_number);
}

int reported_errno(const FileFault& fault) {
  return fault.effect == FaultEffect::kNoProgress ? EIO : fault.error_number;
}

FileFaults::FileFaults(FileFault fault) : fault_(fault) {
  LX_ASSERT(fault.effect == FaultEffect::kError || fault.call == FileCall::kWrite);
  LX_ASSERT(!fault.persistent || fault.effect == FaultEffect::kError ||
            fault.effect == FaultEffect::kNoProgress);
  ops_ = FileOps{do_open,      do_write, do_fdatasync, do_fallocate, do_posix_fallocate,
                 do_ftruncate, do_fstat, do_close,     this};
}

uint64_t FileFaults::calls(FileCall call) const { return counts_[static_cast<int>(call)].load(); }

bool FileFaults::take(FileCall call, int fd, int mode) noexcept {
  const uint64_t n = counts_[static_cast<int>(call)].fetch_add(1) + 1;
  if (call != fault_.call || n < fault_.nth || fault_.nth == 0) return false;
  if (n > fault_.nth) return fault_.persistent;  // fired already
  writes_before_fault_.store(counts_[static_cast<int>(FileCall::kWrite)].load() -
                             (call == FileCall::kWrite ? 1 : 0));
  fired_fd_.store(fd);
  fired_mode_.store(mode);
  fired_.store(1);
  return true;
}

FileFaults::OpenFile* FileFaults::find(int fd) noexcept {
  // The latest file opened with that number: descriptors are reused.
  for (int i = file_count_.load(std::memory_order_acquire) - 1; i >= 0; --i)
    if (files_[i].fd.load() == fd) return &files_[i];
  return nullptr;
}

const FileFaults::OpenFile* FileFaults::find_path(const std::string& path) const {
  for (int i = file_count_.load(std::memory_order_acquire) - 1; i >= 0; --i)
    if (path == files_[i].path) return &files_[i];
  return nullptr;
}

std::string FileFaults::fired_path() const {
  if (!fired()) return "";
  if (fault_.call == FileCall::kOpen) return "";  // nothing was opened
  for (int i = file_count_.load(std::memory_order_acquire) - 1; i >= 0; --i)
    if (files_[i].fd.load() == fired_fd_.load()) return files_[i].path;
  return "";
}

uint64_t FileFaults::writes_after_fault(const std::string& path) const {
  const OpenFile* file = find_path(path);
  return file == nullptr ? 0 : file->writes_after_fault.load();
}

int FileFaults::do_open(void* context, const char* path, int flags, mode_t mode) {
  FileFaults& self = self_of(context);
  if (self.take(FileCall::kOpen, -1, 0)) {
    errno = self.fault_.error_number;
    return -1;
  }
  const int fd = ::open(path, flags, mode);
  if (fd < 0) return fd;
  const int slot = self.file_count_.load();
  LX_ASSERT(slot < kMaxFiles);
  std::strncpy(self.files_[slot].path, path, sizeof self.files_[slot].path - 1);
  self.files_[slot].fd.store(fd);
  self.file_count_.store(slot + 1, std::memory_order_release);
  return fd;
}

ssize_t FileFaults::do_write(void* context, int fd, const void* data, size_t bytes) {
  FileFaults& self = self_of(context);
  const bool was_fired = self.fired();
  if (self.next_write_fails_.exchange(0) != 0) {
    self.counts_[static_cast<int>(FileCall::kWrite)].fetch_add(1);
    errno = self.fault_.error_number;
    return -1;
  }
  if (self.take(FileCall::kWrite, fd, 0)) {
    const bool is_short = self.fault_.effect == FaultEffect::kShortThenError ||
                          self.fault_.effect == FaultEffect::kShortThenOk;
    // A single byte cannot come short: it fails instead.
    const FaultEffect effect = is_short && bytes < 2 ? FaultEffect::kError : self.fault_.effect;
    switch (effect) {
      case FaultEffect::kError:
        errno = self.fault_.error_number;
        return -1;
      case FaultEffect::kNoProgress:
        return 0;
      case FaultEffect::kShortThenError:
        self.next_write_fails_.store(1);
        return ::write(fd, data, bytes / 2);
      case FaultEffect::kShortThenOk:
        return ::write(fd, data, bytes / 2);
    }
  }
  const ssize_t n = ::write(fd, data, bytes);
  if (was_fired && n > 0) {
    if (OpenFile* file = self.find(fd)) file->writes_after_fault.fetch_add(1);
  }
  return n;
}

int FileFaults::do_fdatasync(void* context, int fd) {
  FileFaults& self = self_of(context);
  if (self.take(FileCall::kSync, fd, 0)) {
    errno = self.fault_.error_number;
    return -1;
  }
  return ::fdatasync(fd);
}

int FileFaults::do_fallocate(void* context, int fd, int mode, off_t offset, off_t bytes) {
  FileFaults& self = self_of(context);
  if (self.take(FileCall::kAllocate, fd, mode)) {
    errno = self.fault_.error_number;
    return -1;
  }
  return ::fallocate(fd, mode, offset, bytes);
}

int FileFaults::do_posix_fallocate(void* context, int fd, off_t offset, off_t bytes) {
  FileFaults& self = self_of(context);
  if (self.take(FileCall::kAllocate, fd, -1)) return self.fault_.error_number;
  return ::posix_fallocate(fd, offset, bytes);
}

int FileFaults::do_ftruncate(void* context, int fd, off_t length) {
  FileFaults& self = self_of(context);
  if (self.take(FileCall::kTruncate, fd, 0)) {
    errno = self.fault_.error_number;
    return -1;
  }
  return ::ftruncate(fd, length);
}

int FileFaults::do_fstat(void* context, int fd, struct stat* st) {
  FileFaults& self = self_of(context);
  if (self.take(FileCall::kStat, fd, 0)) {
    errno = self.fault_.error_number;
    return -1;
  }
  return ::fstat(fd, st);
}

int FileFaults::do_close(void* context, int fd) {
  FileFaults& self = self_of(context);
  // A close that reports an error has still closed the descriptor (Linux).
  const int result = ::close(fd);
  if (self.take(FileCall::kClose, fd, 0)) {
    errno = self.fault_.error_number;
    return -1;
  }
  return result;
}

}  // namespace lx::wal::test
