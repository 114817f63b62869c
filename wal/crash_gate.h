// CrashGate: how the crash handler stops a thread before it flushes, when
// the fatal signal came on another thread. The producer (the driver thread)
// passes one before each append, so that it stops applying events, and
// sending their output, that the flush no longer takes; the writer thread
// passes another before each write to the log, so that none of its writes
// lands after the handler's own frame. Async-signal-safe on the handler's
// side: atomics and nanosleep only (docs/recording.md, "Crash safety").
#pragma once

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace lx::wal {

class CrashGate {
 public:
  // ---- The thread that passes (one only) ----

  // Before it publishes anything (a producer's append). Once the gate is
  // closed this never returns: the thread sleeps until the process dies of
  // its signal, so the event is neither staged nor applied.
  void enter() noexcept {
    if (!try_enter()) park();
  }
  // The same, for a thread that can simply give up (the writer's write):
  // @return false, and stays outside, once the gate is closed.
  bool try_enter() noexcept {
    // seq_cst on both sides (Dekker): either the handler sees this store,
    // or this load sees the handler's close.
    inside_.store(1, std::memory_order_seq_cst);
    if (closed_.load(std::memory_order_seq_cst) == 0) return true;
    leave();
    return false;
  }
  // After it published (or gave up), and before any wait that may block (a
  // full ring, a hand-over): a blocked thread publishes nothing until it
  // enters again.
  void leave() noexcept { inside_.store(0, std::memory_order_release); }

  // ---- Crash path (any thread) ----

  // Closes the gate, so every later enter() parks.
  void close() noexcept { closed_.store(1, std::memory_order_seq_cst); }
  // Then, on a thread other than the one that passes: waits until it is
  // outside (for the producer: its ring head is final), up to wait_ms.
  // @return false if it was still inside (preempted, or stuck in a system
  // call, for that long).
  bool wait_until_outside(int wait_ms) const noexcept {
    const timespec step{0, 100000};  // 0.1 ms
    for (int waited = 0; waited < wait_ms * 10; ++waited) {
      if (inside_.load(std::memory_order_seq_cst) == 0) return true;
      ::nanosleep(&step, nullptr);
    }
    return inside_.load(std::memory_order_seq_cst) == 0;
  }

 private:
  [[noreturn]] static void park() noexcept {
    for (;;) ::pause();
  }

  alignas(64) std::atomic<uint32_t> inside_{0};
  alignas(64) std::atomic<uint32_t> closed_{0};
};

}  // namespace lx::wal
