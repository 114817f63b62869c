// SnapshotTaker: fork, stream from the child, reap without blocking (see
// snapshot_taker.h).
#include "lx/host/snapshot_taker.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "lx/assert.h"

namespace lx::host {
namespace {

// Child exit codes: 0 ok; kExitCompress zstd failed; kExitWriteBase + errno
// when a write failed (errno values fit below 100).
constexpr int kExitCompress = 100;
constexpr int kExitWriteBase = 1;

// Closes every descriptor except keep; async-signal-safe system calls only.
void close_all_but(int keep) {
  if (keep > 0) ::close_range(0, static_cast<unsigned>(keep) - 1, 0);
  ::close_range(static_cast<unsigned>(keep) + 1, UINT_MAX, 0);
}

// Everything the child does. Runs in a copy of a possibly threaded process:
// no allocation, no locks, only async-signal-safe calls and pure computation.
[[noreturn]] void run_child(SnapshotEncoder& encoder, const SnapshotInfo& info,
                            const uint8_t* bytes, int fd) {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &action, nullptr);  // fails harmlessly for numbers that are no signal
  }
  action.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) ::_exit(kExitWriteBase + EPIPE);  // the parent is already gone
  close_all_but(fd);
  int rc = encoder.write(fd, info, bytes, nullptr);
  if (rc == SnapshotEncoder::kCompressFailed) ::_exit(kExitCompress);
  if (rc < 0) ::_exit(kExitWriteBase + (-rc < kExitCompress - 1 ? -rc : kExitCompress - 2));
  ::_exit(0);
}

}  // namespace

Result<std::unique_ptr<SnapshotTaker>> SnapshotTaker::create(Options options) {
  auto encoder = SnapshotEncoder::create(options);
  if (!encoder.ok()) return encoder.status();
  return std::unique_ptr<SnapshotTaker>(new SnapshotTaker(std::move(encoder).value()));
}

SnapshotTaker::~SnapshotTaker() {
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    int status = 0;
    while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<SnapshotInfo> SnapshotTaker::start(const Engine& engine, int fd) {
  if (child_ > 0) {
    return Status::error(ErrorKind::kUsage,
                         fmt::format("cannot start a snapshot: the one of child {} is still "
                                     "being written; poll() until it ends",
                                     child_));
  }
  // Everything the child reads is ready before the fork: the description
  // (a std::string and numbers) and the region's address.
  SnapshotInfo info = engine.snapshot_info();
  const uint8_t* bytes = engine.snapshot_span().data();
  pid_t pid = ::fork();
  if (pid < 0) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot start a snapshot: fork failed: {}; check the "
                                     "process limit (ulimit -u) and memory overcommit",
                                     std::strerror(errno)));
  }
  if (pid == 0) run_child(*encoder_, info, bytes, fd);
  child_ = pid;
  return info;
}

Status SnapshotTaker::outcome(int wait_status) {
  pid_t pid = child_;
  child_ = 0;
  if (WIFEXITED(wait_status)) {
    int code = WEXITSTATUS(wait_status);
    if (code == 0) return Status();
    if (code == kExitCompress) {
      return Status::error(
          ErrorKind::kIo,
          fmt::format("snapshot child {} failed: zstd could not compress a chunk", pid));
    }
    int error = code - kExitWriteBase;
    return Status::error(ErrorKind::kIo,
                         fmt::format("snapshot child {} failed: cannot write the snapshot: {}", pid,
                                     std::strerror(error)));
  }
  if (WIFSIGNALED(wait_status)) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("snapshot child {} was killed by signal {} ({})", pid,
                                     WTERMSIG(wait_status), strsignal(WTERMSIG(wait_status))));
  }
  return Status::error(ErrorKind::kIo, fmt::format("snapshot child {} ended oddly (status {:#x})",
                                                   pid, wait_status));
}

std::optional<Status> SnapshotTaker::poll() {
  if (child_ <= 0) return std::nullopt;
  int status = 0;
  pid_t got = ::waitpid(child_, &status, WNOHANG);
  if (got == 0) return std::nullopt;
  if (got < 0) {
    if (errno == EINTR) return std::nullopt;
    pid_t pid = child_;
    child_ = 0;
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot reap snapshot child {}: {} (is SIGCHLD ignored?)", pid,
                                     std::strerror(errno)));
  }
  return outcome(status);
}

Status SnapshotTaker::wait() {
  if (child_ <= 0) return Status();
  int status = 0;
  for (;;) {
    pid_t got = ::waitpid(child_, &status, 0);
    if (got == child_) return outcome(status);
    if (got < 0 && errno != EINTR) {
      pid_t pid = child_;
      child_ = 0;
      return Status::error(ErrorKind::kIo, fmt::format("cannot reap snapshot child {}: {}", pid,
                                                       std::strerror(errno)));
    }
  }
}

}  // namespace lx::host
