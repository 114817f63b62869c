// LogReader: reads a log front to back from a file, a pipe or any ByteSource,
// tolerant of a torn tail by default (every record before the damage, and a
// report of what was dropped), strict or salvaging on request, seeking
// through the index when the log has one, and following a log that is still
// being written. The contract (docs/wal-format.md, "Reading"):
//
// - Everything zstd can decode up to a damaged unit comes back: frames are
//   decoded one unit (frame header, block, checksum) at a time, so a good
//   block is never lost to a bad one after it.
// - Event numbers are consecutive across any recovery; a gap is reported as
//   damage (reason::kEventGap), never skipped silently.
// - Every damage moves the reader forward; memory stays bounded (under 200
//   MiB: a 32 MiB zstd window, the 64 MiB record limit and, while that
//   buffer grows, half of it again, a 1.25 MiB input window, a 64 MiB index)
//   whatever the length fields say.
// - The same bytes give the same records and the same damage every time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lx/status.h"
#include "lx/wal/byte_source.h"
#include "lx/wal/damage.h"
#include "lx/wal/format.h"
#include "lx/wal/log_header.h"
#include "lx/wal/log_index.h"

namespace lx::wal {

enum class Recovery {
  kTolerant,  // stop at the first damage (a crash flush that follows is used), report it
  kStrict,    // any damage a crash flush does not repair makes next() fail (kCorrupt)
  kSalvage,   // skip a damaged span and resynchronise at the next frame
};

struct ReaderOptions {
  Recovery recovery = Recovery::kTolerant;
  // Follow a log being written: at the end of the file wait for more while
  // its writer is alive (it holds a lock on the file); stop after the end
  // record, or when the writer is gone. follow_timeout_ms > 0 also gives up
  // after that long without growth.
  bool follow = false;
  uint32_t follow_poll_ms = 100;
  uint32_t follow_timeout_ms = 0;
  // Called once per damaged span as soon as its outcome is known (also kept
  // in damage()).
  std::function<void(const Damage&)> on_damage;
  // Called with one line when opening did something worth saying: records a
  // killed recorder had staged were recovered into the log (ring_recovery.h).
  std::function<void(std::string_view)> on_note;
  // Recover LOG.ring into the log before reading it (open by path only).
  bool recover_staged = true;
};

// How a log ended, as far as the reader got.
enum class HealthState {
  kClean,      // end record "closed", index and trailer, no damage
  kTruncated,  // end record "truncated" (max_log_bytes), no damage
  kCrashed,    // end record "crashed" (a fatal signal; the crash flush ran)
  kLogError,   // end record "log_error"
  kNoIndex,    // every record to the end record, but the index or trailer is missing or damaged
  kTornTail,   // the file stops inside a frame or record, or has no end record
  kDamaged,    // corruption before the end of the file: records were lost
};
std::string_view health_state_name(HealthState state);

class LogReader {
 public:
  // Opens a log by path and reads its header (and, for a regular file that
  // ends in a valid trailer, its index). First, unless options say not to,
  // recovers the records a killed recorder left staged in LOG.ring. A
  // directory is read as the chain of segments it holds (segments.h):
  // one log from the first segment's first event to the last one's end.
  // @return kCorrupt for a missing file, a file that is not an lx log, a
  // torn or bad header, a newer major version, or a directory whose
  // segments do not make one recording (the message says what to do); kIo
  // for other errors.
  static Result<std::unique_ptr<LogReader>> open(const std::string& path,
                                                 const ReaderOptions& options = {});
  // The same over fd (not owned; e.g. 0 for standard input), from its current
  // position. A pipe cannot seek: index() is null.
  static Result<std::unique_ptr<LogReader>> open_fd(int fd, const ReaderOptions& options = {});
  // The same over any source (memory, faults injected), read from its start.
  static Result<std::unique_ptr<LogReader>> open_source(std::unique_ptr<ByteSource> source,
                                                        const ReaderOptions& options = {});
  virtual ~LogReader() = default;

  // The header of the file (of a chain: its first segment's).
  virtual const LogHeader& header() const = 0;

  // Reads the next record into *out. Record::bytes stays valid until the
  // next call. @return true for a record, false at the end of the log
  // (including a tolerated damage), kCorrupt in strict mode on damage, kIo
  // on a read error; unless it returns true, *out holds nothing to use (a
  // reader may have decoded a record there that it did not deliver).
  virtual Result<bool> next(Record* out) = 0;

  // Reads the next records into out[0..n), at most capacity (>= 1) of them:
  // the records next() would return one call at a time, the same ones in
  // the same order, for a loop that takes many per call (lxdump). Damage is
  // reported (on_damage, damage()) at the same point in the records as
  // next() reports it: a call that has put a record in out returns before
  // it would report any, so damage met after a record is reported in a
  // later call, after that record was handed out. The bytes of every record
  // in out stay valid until the next call of next() or next_records().
  // @return n >= 1; 0 at the end of the log (including a tolerated damage);
  // kCorrupt or kIo as next() (with no records: they come in the calls
  // before). Unless it returns n, out holds nothing to use. This default
  // returns one record a call, through next().
  virtual Result<size_t> next_records(Record* out, size_t capacity);

  // The index of a cleanly closed seekable log (of a chain: every
  // segment's, merged, when each has one), else null.
  virtual const LogIndex* index() const = 0;
  // True when seek_to_event works: a file with an index, or a chain (it
  // seeks to the segment, then inside it).
  virtual bool can_seek() const = 0;
  // Positions the reader so that next() returns the records of event
  // `event` and after. kUsage when !can_seek().
  virtual Status seek_to_event(uint64_t event) = 0;

  virtual const std::vector<Damage>& damage() const = 0;
  virtual HealthState health() const = 0;
  // The end record seen, if any (of a chain: the last segment's).
  virtual std::optional<Record> end_record() const = 0;
  virtual bool trailer_seen() const = 0;
  // Record bytes decoded so far.
  virtual uint64_t raw_bytes() const = 0;
  // Where the reader is in the file being read (of a chain: in the segment
  // being read).
  virtual uint64_t file_offset() const = 0;
  // Size of the file (seekable sources), else the bytes read; of a chain,
  // of all its segments.
  virtual uint64_t file_bytes() const = 0;
  // The segments read as this log: 1 for a file.
  virtual size_t segment_count() const { return 1; }
};

}  // namespace lx::wal
