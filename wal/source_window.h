// SourceWindow: the reader's bounded window onto a ByteSource (at most
// kWindowBytes ahead plus kHistoryBytes behind the read position, so memory
// stays bounded whatever the input), with rewinding for resynchronisation
// and a follow mode that waits while the log's writer is alive.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "lx/status.h"
#include "lx/wal/byte_source.h"

namespace lx::wal {

class SourceWindow {
 public:
  static constexpr size_t kWindowBytes = 1u << 20;
  // Consumed bytes kept behind the read position for rewind().
  static constexpr size_t kHistoryBytes = 256u << 10;

  // start_offset: the offset of the source's current position (0 for a
  // fresh file; a descriptor may be positioned already).
  SourceWindow(std::unique_ptr<ByteSource> source, uint64_t start_offset);

  // Follow mode: at the end of the input, wait poll_ms and read again while
  // the writer is alive; give up after timeout_ms without growth (0: never).
  // Only a seekable source (a file) can grow; a pipe's end is the end.
  void set_follow(bool follow, uint32_t poll_ms, uint32_t timeout_ms);
  bool following() const { return follow_; }

  // Makes at least n (<= kWindowBytes) bytes available unless the input ends
  // first. @return available().
  size_t fill(size_t n);
  // Reads more if there is room; @return the bytes newly available (0: end).
  size_t fill_more();
  const uint8_t* data() const { return buffer_.data() + begin_; }
  size_t available() const { return end_ - begin_; }
  void consume(size_t n);
  // Offset in the input of data()[0].
  uint64_t offset() const { return offset_; }
  // Consumes everything to the end of the input. @return the bytes consumed.
  uint64_t skip_to_end();

  bool seekable() const { return source_->seekable(); }
  // Current size of a seekable input (it may grow), else -1.
  int64_t size() const { return source_->size(); }
  // Repositions a seekable input. @return false when not seekable or past the end.
  bool seek(uint64_t offset);
  // Moves back to `offset`, which may be up to kHistoryBytes before offset()
  // (kept in the buffer, so this works on pipes) or anywhere in a seekable
  // input. @return the offset it reached (the oldest it can, if not that far).
  uint64_t rewind(uint64_t offset);
  // Reads n bytes at offset without moving. @return false when short.
  bool read_at(uint64_t offset, uint8_t* dst, size_t n) const {
    return source_->read_at(offset, dst, n);
  }
  // The first read error, if any (a read error ends the input).
  const Status& error() const { return error_; }

 private:
  // Moves unread bytes (and up to kHistoryBytes before them) to the front.
  void compact();

  std::unique_ptr<ByteSource> source_;
  bool follow_ = false;
  uint32_t poll_ms_ = 100;
  uint32_t timeout_ms_ = 0;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t offset_ = 0;
  Status error_;
};

}  // namespace lx::wal
