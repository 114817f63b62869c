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

struct ZSTD_DCtx_s;

namespace lx::wal {

class SourceWindow;

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
  // recovers the records a killed recorder left staged in LOG.ring. @return kCorrupt for a missing
  // file, a file that is not an lx log, a torn or bad header, or a newer
  // major version (the message says what to do); kIo for other errors.
  static Result<std::unique_ptr<LogReader>> open(const std::string& path,
                                                 const ReaderOptions& options = {});
  // The same over fd (not owned; e.g. 0 for standard input), from its current
  // position. A pipe cannot seek: index() is null.
  static Result<std::unique_ptr<LogReader>> open_fd(int fd, const ReaderOptions& options = {});
  // The same over any source (memory, faults injected), read from its start.
  static Result<std::unique_ptr<LogReader>> open_source(std::unique_ptr<ByteSource> source,
                                                        const ReaderOptions& options = {});
  ~LogReader();

  const LogHeader& header() const { return header_; }

  // Reads the next record into *out. Record::bytes stays valid until the
  // next call. @return true for a record, false at the end of the log
  // (including a tolerated damage), kCorrupt in strict mode on damage, kIo
  // on a read error.
  Result<bool> next(Record* out);

  // The index of a cleanly closed seekable log, else null.
  const LogIndex* index() const { return index_ ? &*index_ : nullptr; }
  // Positions the reader so that next() returns the records of event
  // `event` and after. Needs index(); kUsage without one.
  Status seek_to_event(uint64_t event);

  const std::vector<Damage>& damage() const { return damage_; }
  HealthState health() const;
  // The end record seen, if any.
  std::optional<Record> end_record() const { return end_; }
  bool trailer_seen() const { return trailer_seen_; }
  // Record bytes decoded so far.
  uint64_t raw_bytes() const { return raw_bytes_; }
  uint64_t file_offset() const;
  // Size of the file (seekable sources), else the bytes read.
  uint64_t file_bytes() const;

 private:
  LogReader(std::unique_ptr<ByteSource> source, uint64_t start_offset,
            const ReaderOptions& options);
  static Result<std::unique_ptr<LogReader>> finish_open(std::unique_ptr<LogReader> reader);
  Status read_header();
  void load_index();
  // One step of the state machine; sets *delivered when *out holds a record.
  Status step(Record* out, bool* delivered);
  Status accept(const RawRecord& raw, Record* out, bool* delivered);
  Status read_frame_start();
  Status begin_zstd_frame();
  Status decode_unit();
  Status at_end_of_input();
  Status skip_bytes(uint64_t n);
  // Records damage at `offset` and recovers per the mode: ends the log,
  // resumes at a crash flush (tolerant), or at the next frame (salvage),
  // scanning from rescan_from.
  Status damaged(uint64_t offset, std::string_view why, bool torn, uint64_t rescan_from);
  // Damage that loses no record (index, trailer, a frame checksum): reported,
  // and the read goes on.
  void damaged_metadata(uint64_t offset, uint64_t bytes, std::string_view why, bool metadata,
                        bool torn = false);
  bool scan_for_resume(bool any_frame);
  void report(size_t damage_index);
  // The file offset of the unit that decoded the byte at records_ position pos.
  uint64_t unit_offset_of(size_t pos) const;

  std::unique_ptr<SourceWindow> source_;
  ReaderOptions options_;
  LogHeader header_;
  std::optional<LogIndex> index_;
  ZSTD_DCtx_s* dctx_ = nullptr;

  // zstd output: a round buffer of the frame's window (ZSTD_decodingBufferSize_min).
  std::vector<uint8_t> window_;
  size_t window_pos_ = 0;
  bool raw_block_ = false;      // the block being decoded is raw (Block_Type 0)
  bool block_started_ = false;  // part of it was taken already
  // Decoded bytes not yet parsed into records, and where they came from.
  std::vector<uint8_t> records_;
  size_t rpos_ = 0;
  size_t wpos_ = 0;
  struct UnitStart {
    size_t pos;       // position in records_ of the unit's first byte
    uint64_t offset;  // its file offset
  };
  std::vector<UnitStart> units_;

  bool in_frame_ = false;
  bool ended_ = false;
  uint64_t frame_offset_ = 0;
  uint64_t last_resume_ = 0;  // where the last resynchronisation resumed
  // The last record accepted. Before the first, key (0, checkpoint): event
  // 1 may come, and so may an end record at event 0 (a log closed before its
  // first event).
  RecordOrder last_order_{0, record_rank(RecordType::kCheckpoint)};
  uint64_t last_serial_ = 0;  // of the last snapshot record
  // After a resynchronisation: records already delivered are skipped, and
  // the first new one must continue the sequence.
  bool resynced_ = false;
  std::optional<size_t> pending_recovery_;  // damage resumed at a crash flush, not yet confirmed
  uint64_t skip_below_event_ = 0;
  bool trailer_seen_ = false;
  bool index_problem_reported_ = false;
  std::optional<Record> end_;
  std::vector<Damage> damage_;
  uint64_t raw_bytes_ = 0;
};

}  // namespace lx::wal
