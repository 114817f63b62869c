// ByteSource: the reader's window onto a file or a pipe, with bounded memory
// (a 1 MiB window), optional seeking (regular files), and a follow mode that
// waits for a growing file instead of ending.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lx/status.h"

namespace lx::wal {

class ByteSource {
 public:
  static constexpr size_t kWindowBytes = 1u << 20;
  // Consumed bytes kept behind the read position for rewind().
  static constexpr size_t kHistoryBytes = 256u << 10;

  // Opens `path` read-only. kCorrupt when it does not exist (a missing log
  // is an unreadable log), kIo for other failures.
  static Result<std::unique_ptr<ByteSource>> open_path(const std::string& path);
  // Reads fd (not owned, not closed) from its current position.
  static std::unique_ptr<ByteSource> from_fd(int fd);
  ~ByteSource();

  // Follow mode: at the end of the input, wait poll_ms and read again; give
  // up (end of input) after timeout_ms without growth (0: never give up).
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
  // File offset of data()[0].
  uint64_t offset() const { return offset_; }
  // Consumes everything to the end of the input. @return the bytes consumed.
  uint64_t skip_to_end();

  bool seekable() const { return seekable_; }
  // Current size of a regular file (it may grow), else -1.
  int64_t size() const;
  // Repositions a seekable source. @return false when not seekable or past the end.
  bool seek(uint64_t offset);
  // Moves back to `offset`, which may be up to kHistoryBytes before offset()
  // (kept in the buffer, so this works on pipes) or anywhere in a seekable
  // file. @return the offset it reached (the oldest it can, if not that far).
  uint64_t rewind(uint64_t offset);
  // Reads n bytes at offset without moving. @return false when short.
  bool read_at(uint64_t offset, uint8_t* dst, size_t n) const;
  // The first read error, if any (a read error ends the input).
  const Status& error() const { return error_; }

 private:
  ByteSource(int fd, bool owned);
  // Moves unread bytes (and up to kHistoryBytes before them) to the front.
  void compact();

  int fd_;
  bool owned_;
  bool seekable_ = false;
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
