// ByteSource: where a LogReader's bytes come from: a file, a pipe, memory, or
// any of those with faults injected (the I/O fault tests and the fuzzers).
// The reader owns its source and reads it from one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lx/status.h"

namespace lx::wal {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to n (> 0) bytes at the current position into dst.
  // @return the bytes read (> 0), 0 at the end of the input (for now: a file
  // may grow), or -errno on a read error.
  virtual ssize_t read(uint8_t* dst, size_t n) = 0;
  // True for a regular file: it has a size, seeks, and may grow while its
  // writer holds the lock (follow mode).
  virtual bool seekable() const = 0;
  // Current size of a seekable input, else -1.
  virtual int64_t size() const = 0;
  // Moves to offset. @return false when not seekable or on an error.
  virtual bool seek(uint64_t offset) = 0;
  // Reads n bytes at offset without moving. @return false when short or on
  // an error (and for inputs that cannot seek).
  virtual bool read_at(uint64_t offset, uint8_t* dst, size_t n) const = 0;
  // True while a LogWriter still holds the input open for writing (its
  // advisory lock), so a follower should wait for more instead of ending.
  virtual bool writer_alive() const { return false; }
};

// A file by path. kCorrupt when it does not exist or is a directory (a
// missing log is an unreadable log), kIo for other failures.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path);
// An open descriptor (not owned, not closed), from its current position.
std::unique_ptr<ByteSource> fd_source(int fd);

// Bytes in memory, seekable (their size never changes).
std::unique_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes);

// Faults to inject into reads, counted from the first read() call (1-based).
struct ReadFaults {
  uint64_t fail_read = 0;     // this read (and every one after) fails with error_number; 0: none
  int error_number = 5;       // EIO
  size_t max_read_bytes = 0;  // every read returns at most this many bytes; 0: no limit
  bool fail_read_at = false;  // read_at() fails too once a read failed
};
// Wraps inner so its reads fail or come short as faults say.
std::unique_ptr<ByteSource> faulty_source(std::unique_ptr<ByteSource> inner, ReadFaults faults);

}  // namespace lx::wal
