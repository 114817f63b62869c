// LogReader: reads a log front to back from a file or a pipe, tolerant of a
// torn tail by default (every record before the damage, and a report of what
// was dropped), strict or salvaging on request, seeking through the index
// when the log has one, and following a log that is still being written.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lx/status.h"
#include "lx/wal/format.h"
#include "lx/wal/log_header.h"
#include "lx/wal/log_index.h"

struct ZSTD_DCtx_s;

namespace lx::wal {

class ByteSource;

// A span of the file the reader could not use.
struct Damage {
  uint64_t offset = 0;         // file offset where usable data stopped (zstd block granularity)
  uint64_t dropped_bytes = 0;  // file bytes skipped from there (to the end, or to a resync point)
  std::string_view reason;     // a fixed string, e.g. "torn frame at end of file"
  bool torn = false;           // the input ended inside it (a torn tail, not corruption)
  bool recovered = false;      // a crash flush after it holds its records
};

enum class Recovery {
  kTolerant,  // stop at the first damage (a crash flush that follows is used), report it
  kStrict,    // any damage makes next() fail (kCorrupt)
  kSalvage,   // skip a damaged span and resynchronise at the next frame
};

struct ReaderOptions {
  Recovery recovery = Recovery::kTolerant;
  // Follow a log being written: at the end of the file wait for more; stop
  // after the end record. follow_timeout_ms > 0 gives up after that long
  // without growth.
  bool follow = false;
  uint32_t follow_poll_ms = 100;
  uint32_t follow_timeout_ms = 0;
  // Called once per damaged span as it is found (also kept in damage()).
  std::function<void(const Damage&)> on_damage;
};

// How a log ended, as far as the reader got.
enum class HealthState {
  kClean,      // end record "closed", index and trailer, no damage
  kTruncated,  // end record "truncated" (max_log_bytes), no damage
  kCrashed,    // end record "crashed" (a fatal signal; the crash flush ran)
  kLogError,   // end record "log_error"
  kTornTail,   // the file stops inside a frame or record, or has no end record
  kDamaged,    // corruption before the end of the file
};
std::string_view health_state_name(HealthState state);

class LogReader {
 public:
  // Opens a log by path and reads its header (and, for a regular file that
  // ends in a valid trailer, its index). @return kCorrupt for a missing
  // file, a file that is not an lx log, a torn or bad header, or a newer
  // major version (the message says what to do); kIo for other errors.
  static Result<std::unique_ptr<LogReader>> open(const std::string& path,
                                                 const ReaderOptions& options = {});
  // The same over fd (not owned; e.g. 0 for standard input), from its current
  // position. A pipe cannot seek: index() is null.
  static Result<std::unique_ptr<LogReader>> open_fd(int fd, const ReaderOptions& options = {});
  ~LogReader();

  const LogHeader& header() const { return header_; }

  // Reads the next record into *out. Record::bytes stays valid until the
  // next call. @return true for a record, false at the end of the log
  // (including a tolerated damage), kCorrupt in strict mode on damage, kIo
  // on a read error.
  Result<bool> next(Record* out);

  // The index of a cleanly closed regular file, else null.
  const LogIndex* index() const { return index_ ? &*index_ : nullptr; }
  // Positions the reader so that next() returns the records of event
  // `event` and after. Needs index(); kUsage without one.
  Status seek_to_event(uint64_t event);

  const std::vector<Damage>& damage() const { return damage_; }
  HealthState health() const;
  // The end record seen, if any.
  std::optional<Record> end_record() const { return end_; }
  bool trailer_seen() const { return trailer_seen_; }
  // Record bytes decoded and file bytes consumed so far.
  uint64_t raw_bytes() const { return raw_bytes_; }
  uint64_t file_offset() const;
  // Size of the file (regular files), else the bytes read.
  uint64_t file_bytes() const;

 private:
  LogReader(std::unique_ptr<ByteSource> source, const ReaderOptions& options);
  Status read_header();
  void load_index();
  // One step of the state machine; sets *delivered when *out holds a record.
  Status step(Record* out, bool* delivered);
  Status accept(const RawRecord& raw, Record* out, bool* delivered);
  Status read_frame_start();
  Status decompress_step();
  Status at_end_of_input();
  Status skip_bytes(uint64_t n);
  // Reports damage at `offset` and recovers per the mode (ends the log,
  // resumes after a crash flush, or resynchronises).
  Status damaged(uint64_t offset, std::string_view reason, bool torn);
  bool scan_for_resume(bool any_frame);
  bool crash_marker_at(const uint8_t* p, size_t avail) const;

  std::unique_ptr<ByteSource> source_;
  ReaderOptions options_;
  LogHeader header_;
  std::optional<LogIndex> index_;
  ZSTD_DCtx_s* dctx_ = nullptr;

  std::vector<uint8_t> records_;  // decompressed, not yet parsed
  size_t rpos_ = 0;
  size_t wpos_ = 0;
  bool in_frame_ = false;
  const char* frame_error_ = nullptr;  // the frame failed after the records in records_
  bool ended_ = false;
  uint64_t frame_offset_ = 0;
  uint64_t good_offset_ = 0;
  uint64_t last_resume_ = 0;  // where the last resynchronisation resumed  // file offset up to
                              // which every record was delivered
  uint64_t last_event_ = 0;
  int last_rank_ = 3;
  bool resynced_ = false;  // after a skip: drop records already delivered
  uint64_t skip_below_event_ = 0;
  bool trailer_seen_ = false;
  std::optional<Record> end_;
  std::vector<Damage> damage_;
  uint64_t raw_bytes_ = 0;
};

}  // namespace lx::wal
