// LogQueue: the bounded lx.log line queue (system heap, not engine state).
#include "log_queue.h"

#include <charconv>
#include <cstring>

namespace lx::engine {

std::string LogQueue::dropped_text(uint64_t dropped) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), dropped);
  std::string text(digits, result.ptr);
  text += dropped == 1 ? " log line dropped" : " log lines dropped";
  text += " (more than 1000 lines or 1 MiB were waiting for the driver)";
  return text;
}

void LogQueue::note_dropped() noexcept {
  ++dropped_total_;
  if (!lines_.empty() && lines_.back().dropped > 0) {
    ++lines_.back().dropped;
    return;
  }
  try {
    lines_.push_back(Entry{std::string(), 1});
  } catch (...) {
    // Out of system memory: the count in dropped_total_ is all that is left.
  }
}

void LogQueue::push(std::string_view line) noexcept {
  if (line.size() > kMaxLineBytes) line = line.substr(0, kMaxLineBytes);
  bool has_marker = !lines_.empty() && lines_.back().dropped > 0;
  std::size_t kept_lines = lines_.size() - (has_marker ? 1 : 0);
  if (kept_lines >= kMaxLines || pending_bytes_ + line.size() > kMaxPendingBytes) {
    note_dropped();
    return;
  }
  try {
    lines_.push_back(Entry{std::string(line), 0});
    pending_bytes_ += line.size();
  } catch (...) {
    note_dropped();
  }
}

int64_t LogQueue::pop(char* buffer, std::size_t capacity) noexcept {
  if (lines_.empty()) return -1;
  Entry& front = lines_.front();
  if (front.dropped > 0) {  // the count may have grown since the last look
    try {
      front.text = dropped_text(front.dropped);
    } catch (...) {
      front.text = "log lines dropped";
    }
  }
  auto length = static_cast<int64_t>(front.text.size());
  if (capacity == 0 || buffer == nullptr) return length;
  std::size_t copied = front.text.size() < capacity - 1 ? front.text.size() : capacity - 1;
  std::memcpy(buffer, front.text.data(), copied);
  buffer[copied] = '\0';
  if (front.dropped == 0) pending_bytes_ -= front.text.size();
  lines_.pop_front();
  return length;
}

}  // namespace lx::engine
