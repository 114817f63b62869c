// The fatal-signal handler: one global writer pointer, sigaction with an
// alternate stack, flush through LogWriter::flush_for_signal, re-raise.
// Everything the handler calls is async-signal-safe (write, nanosleep,
// atomics, pure encoding); nothing allocates or locks.
#include "lx/wal/crash_flush.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "crash_flush_internal.h"
#include "lx/wal/log_writer.h"

namespace lx::wal {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
constexpr size_t kAltStackBytes = 64u << 10;

std::atomic<LogWriter*> g_writer{nullptr};
std::atomic<int> g_wait_ms{2000};
std::atomic<int> g_entered{0};
struct sigaction g_previous[sizeof kFatalSignals / sizeof kFatalSignals[0]];
bool g_installed = false;

void on_fatal_signal(int signo, siginfo_t*, void*) {
  const int saved_errno = errno;
  if (g_entered.exchange(1) == 0) {
    LogWriter* writer = g_writer.load();
    if (writer != nullptr) writer->flush_for_signal(signo, g_wait_ms.load());
  }
  errno = saved_errno;
  // SA_RESETHAND restored the default action. The signal is blocked while
  // this handler runs, so raise() leaves it pending until we return: the
  // process then dies of it (a fault also recurs when the instruction
  // re-executes).
  ::raise(signo);
}

thread_local void* t_alt_stack = nullptr;

}  // namespace

Status ensure_alternate_signal_stack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return {};
  void* memory = std::malloc(kAltStackBytes);
  if (memory == nullptr) return Status::io("no memory for a signal stack");
  stack_t stack{};
  stack.ss_sp = memory;
  stack.ss_size = kAltStackBytes;
  if (::sigaltstack(&stack, nullptr) != 0) {
    const int e = errno;
    std::free(memory);
    return Status::io(std::string("sigaltstack failed: ") + std::strerror(e));
  }
  t_alt_stack = memory;  // kept for the thread's life: a handler may run on it at any time
  return {};
}

ThreadAltStack::ThreadAltStack() {
  memory_ = std::malloc(kAltStackBytes);
  if (memory_ == nullptr) return;
  stack_t stack{};
  stack.ss_sp = memory_;
  stack.ss_size = kAltStackBytes;
  if (::sigaltstack(&stack, nullptr) != 0) {
    std::free(memory_);
    memory_ = nullptr;
  }
}

ThreadAltStack::~ThreadAltStack() {
  if (memory_ == nullptr) return;
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  ::sigaltstack(&off, nullptr);
  std::free(memory_);
}

Status install_crash_flush(LogWriter& writer, const CrashFlushOptions& options) {
  Status stack = ensure_alternate_signal_stack();
  if (!stack.ok()) return stack;
  g_wait_ms.store(options.writer_wait_ms);
  g_entered.store(0);
  g_writer.store(&writer);
  if (g_installed) return {};
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    if (::sigaction(kFatalSignals[i], &action, &g_previous[i]) != 0) {
      const int e = errno;
      for (size_t j = 0; j < i; ++j) ::sigaction(kFatalSignals[j], &g_previous[j], nullptr);
      g_writer.store(nullptr);
      return Status::io(std::string("sigaction failed: ") + std::strerror(e));
    }
  }
  g_installed = true;
  return {};
}

void uninstall_crash_flush() {
  g_writer.store(nullptr);
  if (!g_installed) return;
  for (size_t i = 0; i < std::size(kFatalSignals); ++i)
    ::sigaction(kFatalSignals[i], &g_previous[i], nullptr);
  g_installed = false;
}

void crash_flush_detach(LogWriter* writer) {
  LogWriter* expected = writer;
  g_writer.compare_exchange_strong(expected, nullptr);
}

}  // namespace lx::wal
