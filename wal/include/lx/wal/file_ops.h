// FileOps: the system calls a LogWriter makes on its files, behind one table
// of function pointers, so that a test can make the k-th call of each kind
// fail (tests/wal/file_faults.h; docs/reliability.md, "I/O faults").
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>

namespace lx::wal {

// Each member behaves as the system call it is named after: the same
// arguments after `context`, the same result, errno set on failure
// (posix_fallocate returns the error number, as the real one does). write
// is called from the crash handler too, so it must be async-signal-safe.
// A WriterOptions without a table (nullptr, the production case) makes the
// writer call the system directly: nothing is added to its I/O.
struct FileOps {
  int (*open)(void* context, const char* path, int flags, mode_t mode);
  ssize_t (*write)(void* context, int fd, const void* data, size_t bytes);
  int (*fdatasync)(void* context, int fd);
  int (*fallocate)(void* context, int fd, int mode, off_t offset, off_t bytes);
  int (*posix_fallocate)(void* context, int fd, off_t offset, off_t bytes);
  int (*ftruncate)(void* context, int fd, off_t length);
  int (*fstat)(void* context, int fd, struct stat* st);
  int (*close)(void* context, int fd);
  void* context;
};

namespace detail {
inline std::atomic<const FileOps*> g_file_ops_for_test{nullptr};
}  // namespace detail

// Tests only: the table a LogWriter opened from now on uses when its
// WriterOptions name none (nullptr: the system). This is how a test build of
// lxrun (tests/driver/lxrun_iofaults.cc) injects faults under the unchanged
// driver; nothing in a production binary calls it, and no environment
// variable reaches it. `ops` must outlive every writer opened with it.
inline void set_file_ops_for_test(const FileOps* ops) noexcept {
  detail::g_file_ops_for_test.store(ops);
}
inline const FileOps* file_ops_for_test() noexcept { return detail::g_file_ops_for_test.load(); }

}  // namespace lx::wal
