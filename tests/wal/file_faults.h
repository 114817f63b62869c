// FileFaults: a FileOps table (lx/wal/file_ops.h) that passes every call to
// the system and counts the calls of each kind, but makes one chosen call,
// the k-th of its kind, fail, come short or make no progress: what the I/O
// fault enumeration (io_fault_test.cc) and the test build of lxrun
// (tests/driver/lxrun_iofaults.cc) inject under the log writer.
#pragma once

#include <errno.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lx/wal/file_ops.h"

namespace lx::wal::test {

// The kinds of call counted apart (a fault names one, and its k).
enum class FileCall : int {
  kOpen,      // open
  kWrite,     // write
  kSync,      // fdatasync
  kAllocate,  // fallocate and posix_fallocate
  kTruncate,  // ftruncate
  kStat,      // fstat
  kClose,     // close
};
inline constexpr int kFileCallKinds = 7;
// "open", "write", "sync", "allocate", "truncate", "stat", "close".
std::string_view file_call_name(FileCall call);

enum class FaultEffect {
  kError,           // the call fails with error_number; the calls after it succeed
  kShortThenError,  // (write) half the bytes are written; the next write fails with error_number
  kShortThenOk,     // (write) half the bytes are written; the writes after it succeed
  kNoProgress,      // (write) returns 0: nothing written, no error
};

struct FileFault {
  FileCall call = FileCall::kWrite;
  uint64_t nth = 0;  // which call of that kind, from 1; 0: none (only counting)
  FaultEffect effect = FaultEffect::kError;
  int error_number = EIO;
  // kError and kNoProgress: every later call of that kind fails too (a
  // disk that stays full, a device that never takes a byte), not just the nth.
  bool persistent = false;
};

// "write:5:EIO" (KIND:N:EFFECT; N+ for a persistent fault; EFFECT one of
// EIO, ENOSPC, EDQUOT, EFBIG, short-EIO, short-ENOSPC, short-ok,
// no-progress; the short ones and no-progress for write only, the short
// ones never persistent). @return nothing for anything else.
std::optional<FileFault> parse_file_fault(std::string_view text);
// The fault as that text, e.g. "write:5:short-ENOSPC".
std::string file_fault_text(const FileFault& fault);
// The errno the writer reports for it (EIO for no progress).
int reported_errno(const FileFault& fault);

class FileFaults {
 public:
  explicit FileFaults(FileFault fault = {});
  FileFaults(const FileFaults&) = delete;
  FileFaults& operator=(const FileFaults&) = delete;

  const FileOps* ops() const { return &ops_; }
  const FileFault& fault() const { return fault_; }
  // Calls of that kind so far (the faulted one included).
  uint64_t calls(FileCall call) const;
  bool fired() const { return fired_.load() != 0; }
  // The path the faulted call was made on (as it was opened through this
  // table; "" for a descriptor it did not open), and, for fallocate, its
  // mode (-1 for posix_fallocate).
  std::string fired_path() const;
  int fired_mode() const { return fired_mode_.load(); }
  // Write calls, on any file, made before the fault fired and in all.
  uint64_t writes_before_fault() const { return writes_before_fault_.load(); }
  // Write calls that wrote bytes to `path` after the fault fired (the rest
  // of a short write included).
  uint64_t writes_after_fault(const std::string& path) const;

 private:
  struct OpenFile {
    std::atomic<int> fd{-1};
    char path[512] = {};
    std::atomic<uint64_t> writes_after_fault{0};
  };
  static constexpr int kMaxFiles = 64;

  // Counts the call; @return true when it is the one to fault (it fires).
  bool take(FileCall call, int fd, int mode) noexcept;
  OpenFile* find(int fd) noexcept;
  const OpenFile* find_path(const std::string& path) const;

  static int do_open(void* self, const char* path, int flags, mode_t mode);
  static ssize_t do_write(void* self, int fd, const void* data, size_t bytes);
  static int do_fdatasync(void* self, int fd);
  static int do_fallocate(void* self, int fd, int mode, off_t offset, off_t bytes);
  static int do_posix_fallocate(void* self, int fd, off_t offset, off_t bytes);
  static int do_ftruncate(void* self, int fd, off_t length);
  static int do_fstat(void* self, int fd, struct stat* st);
  static int do_close(void* self, int fd);

  const FileFault fault_;
  FileOps ops_;
  std::atomic<uint64_t> counts_[kFileCallKinds] = {};
  std::atomic<int> fired_{0};
  std::atomic<int> fired_fd_{-1};
  std::atomic<int> fired_mode_{0};
  std::atomic<uint64_t> writes_before_fault_{0};
  std::atomic<int> next_write_fails_{0};  // after kShortThenError
  OpenFile files_[kMaxFiles];
  std::atomic<int> file_count_{0};
};

}  // namespace lx::wal::test
