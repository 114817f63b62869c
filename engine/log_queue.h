// LogQueue: the lx.log lines waiting for the driver to drain them. It lives
// on the system heap on purpose: debug output is not engine state, and how
// fast the driver drains it must not change the deterministic heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace lx::engine {

class LogQueue {
 public:
  static constexpr std::size_t kMaxLines = 1000;
  static constexpr std::size_t kMaxPendingBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;

  // Queues one line, cut to kMaxLineBytes. When kMaxLines lines or
  // kMaxPendingBytes bytes are already pending, drops it instead and counts
  // it in a single "N log lines dropped" line queued after the last kept one.
  // Never throws: a line that cannot be stored is counted as dropped.
  void push(std::string_view line) noexcept;
  // Moves the oldest line into buffer (NUL-terminated, cut to capacity - 1)
  // and returns its full length; -1 when empty. With capacity 0 it only
  // returns the length, leaving the line queued.
  int64_t pop(char* buffer, std::size_t capacity) noexcept;
  std::size_t pending_lines() const { return lines_.size(); }
  uint64_t dropped_total() const { return dropped_total_; }

 private:
  struct Entry {
    std::string text;
    uint64_t dropped = 0;  // > 0: this entry stands for that many dropped lines
  };
  void note_dropped() noexcept;
  static std::string dropped_text(uint64_t dropped);

  std::deque<Entry> lines_;
  std::size_t pending_bytes_ = 0;
  uint64_t dropped_total_ = 0;
};

}  // namespace lx::engine
