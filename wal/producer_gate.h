// ProducerGate: how the crash handler stops the producer (the driver thread)
// before it flushes, when the fatal signal came on another thread (a libuv
// pool thread, the writer): otherwise the driver would go on applying events,
// and sending their output, that the flush no longer takes. Async-signal-safe
// on the handler's side: atomics and nanosleep only (docs/recording.md,
// "Crash safety").
#pragma once

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace lx::wal {

class ProducerGate {
 public:
  // ---- Producer ----

  // Before an append publishes anything. Once the gate is closed this never
  // returns: the thread sleeps until the process dies of its signal, so the
  // event is neither staged nor applied.
  void enter() noexcept {
    // seq_cst on both sides (Dekker): either the handler sees this store,
    // or this load sees the handler's close.
    inside_.store(1, std::memory_order_seq_cst);
    if (closed_.load(std::memory_order_seq_cst) != 0) park();
  }
  // After the append published its record (or gave up), and before any wait
  // that may block (a full ring, a hand-over): a blocked producer publishes
  // nothing until it enter()s again.
  void leave() noexcept { inside_.store(0, std::memory_order_release); }

  // ---- Crash path (any thread) ----

  // Closes the gate, so every later enter() parks.
  void close() noexcept { closed_.store(1, std::memory_order_seq_cst); }
  // Then, on a thread other than the producer's: waits until the producer is
  // outside an append (its ring head is final), up to wait_ms. @return false
  // if it was still inside (it was preempted for that long: the flush then
  // may miss the one record it was publishing).
  bool wait_until_outside(int wait_ms) const noexcept {
    const timespec step{0, 100000};  // 0.1 ms
    for (int waited = 0; waited < wait_ms * 10; ++waited) {
      if (inside_.load(std::memory_order_seq_cst) == 0) return true;
      ::nanosleep(&step, nullptr);
    }
    return inside_.load(std::memory_order_seq_cst) == 0;
  }

 private:
  [[noreturn]] void park() noexcept {
    leave();
    for (;;) ::pause();
  }

  alignas(64) std::atomic<uint32_t> inside_{0};
  alignas(64) std::atomic<uint32_t> closed_{0};
};

}  // namespace lx::wal
