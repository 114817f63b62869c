// Buffered, bounded reading for LogReader (see source_window.h).
#include "source_window.h"

#include <time.h>

#include <cstring>

namespace lx::wal {

SourceWindow::SourceWindow(std::unique_ptr<ByteSource> source, uint64_t start_offset)
    : source_(std::move(source)), buffer_(kWindowBytes + kHistoryBytes), offset_(start_offset) {}

void SourceWindow::set_follow(bool follow, uint32_t poll_ms, uint32_t timeout_ms) {
  // A pipe needs no polling: read() blocks, and its end is the end.
  follow_ = follow && source_->seekable();
  poll_ms_ = poll_ms == 0 ? 1 : poll_ms;
  timeout_ms_ = timeout_ms;
}

void SourceWindow::compact() {
  const size_t keep_from = begin_ > kHistoryBytes ? begin_ - kHistoryBytes : 0;
  if (keep_from == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + keep_from, end_ - keep_from);
  begin_ -= keep_from;
  end_ -= keep_from;
}

size_t SourceWindow::fill_more() {
  if (end_ == buffer_.size()) compact();
  if (end_ == buffer_.size()) return 0;
  if (!error_.ok()) return 0;
  uint64_t waited_ms = 0;
  for (;;) {
    const ssize_t n = source_->read(buffer_.data() + end_, buffer_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return static_cast<size_t>(n);
    }
    if (n < 0) {
      error_ = Status::io("read failed", static_cast<int>(-n));
      return 0;
    }
    if (!follow_ || (timeout_ms_ != 0 && waited_ms >= timeout_ms_)) return 0;
    // The writer is gone (it closed the log, or died): what is there is all.
    // An empty file gets a second to be claimed: a writer creates the file
    // and locks it a moment later.
    const bool starting = offset_ + (end_ - begin_) == 0 && waited_ms < 1000;
    if (!starting && !source_->writer_alive()) {
      const ssize_t last = source_->read(buffer_.data() + end_, buffer_.size() - end_);
      if (last > 0) {
        end_ += static_cast<size_t>(last);
        return static_cast<size_t>(last);
      }
      return 0;
    }
    const timespec pause{static_cast<time_t>(poll_ms_ / 1000),
                         static_cast<long>(poll_ms_ % 1000) * 1000000L};
    ::nanosleep(&pause, nullptr);
    waited_ms += poll_ms_;
  }
}

size_t SourceWindow::fill(size_t n) {
  if (n > kWindowBytes) n = kWindowBytes;
  while (available() < n) {
    if (buffer_.size() - begin_ < n) compact();
    if (fill_more() == 0) break;
  }
  return available();
}

void SourceWindow::consume(size_t n) {
  LX_ASSERT(n <= available());
  begin_ += n;
  offset_ += n;
}

uint64_t SourceWindow::skip_to_end() {
  uint64_t skipped = 0;
  for (;;) {
    skipped += available();
    consume(available());
    if (source_->seekable() && !follow_) {
      const int64_t total = size();
      if (total >= 0 && static_cast<uint64_t>(total) > offset_) {
        skipped += static_cast<uint64_t>(total) - offset_;
        seek(static_cast<uint64_t>(total));
      }
      return skipped;
    }
    if (fill_more() == 0) return skipped;
  }
}

bool SourceWindow::seek(uint64_t offset) {
  if (!source_->seek(offset)) return false;
  begin_ = end_ = 0;
  offset_ = offset;
  return true;
}

uint64_t SourceWindow::rewind(uint64_t offset) {
  if (offset >= offset_) return offset_;
  const uint64_t back = offset_ - offset;
  if (back <= begin_) {
    begin_ -= static_cast<size_t>(back);
    offset_ = offset;
  } else if (source_->seekable()) {
    seek(offset);
  } else {
    offset_ -= begin_;
    begin_ = 0;
  }
  return offset_;
}

}  // namespace lx::wal
