// Gathering snapshot streams from a log's records, and the search for the
// snapshot a replay can start from.
#include "lx/wal/log_snapshots.h"

#include <fmt/format.h>

#include <algorithm>

namespace lx::wal {

SnapshotAssembler::Outcome SnapshotAssembler::give_up(std::string reason) {
  incomplete_event_ = open_->event;
  incomplete_reason_ = std::move(reason);
  open_.reset();
  return Outcome::kIncomplete;
}

SnapshotAssembler::Outcome SnapshotAssembler::add(const Record& record) {
  if (record.type == RecordType::kSnapshotTaken) {
    Outcome outcome = Outcome::kBegun;
    if (open_) outcome = give_up("another snapshot began before its last piece");
    LogSnapshot& s = open_.emplace();
    s.event = record.snapshot.event;
    s.state_bytes = record.byte_count;
    s.figures = record.figures;
    s.frame_offset = record.frame_offset;
    last_serial_ = record.snapshot.serial;
    return outcome;
  }
  if (record.type != RecordType::kSnapshotData) return Outcome::kNone;
  // A piece of a snapshot whose beginning was not read (a read that started
  // after it) is nobody's.
  if (!open_ || record.snapshot.event != open_->event) return Outcome::kNone;
  if (record.snapshot.serial != last_serial_ + 1)
    return give_up(fmt::format("pieces {}..{} of it are missing", last_serial_ + 1,
                               record.snapshot.serial - 1));
  last_serial_ = record.snapshot.serial;
  if ((record.snapshot.flags & kSnapshotAbandoned) != 0)
    return give_up("the recorder abandoned it before its end");
  std::vector<uint8_t>& stream = open_->stream;
  stream.insert(stream.end(), record.bytes.begin(), record.bytes.end());
  if (!keep_bytes_ && stream.size() > kTailBytes)
    stream.erase(stream.begin(), stream.end() - kTailBytes);
  if ((record.snapshot.flags & kSnapshotLast) == 0) return Outcome::kNone;
  done_ = std::move(*open_);
  open_.reset();
  return Outcome::kComplete;
}

namespace {

// Reads from event `lo` (the start without an index) and returns the last
// complete snapshot of an event in [lo, hi], or nullopt.
Result<std::optional<LogSnapshot>> last_complete_in(LogReader& reader, uint64_t lo, uint64_t hi) {
  SnapshotAssembler assembler;
  std::optional<LogSnapshot> last;
  Record record;
  for (;;) {
    Result<bool> more = reader.next(&record);
    if (!more.ok()) return more.status();
    if (!more.value()) break;
    if (is_event(record.type) && record.event > hi && !assembler.open_event()) break;
    if (record.type == RecordType::kSnapshotTaken && record.snapshot.event > hi) break;
    if (assembler.add(record) == SnapshotAssembler::Outcome::kComplete) {
      LogSnapshot done = assembler.take();
      if (done.event >= lo) last = std::move(done);
    }
  }
  return last;
}

}  // namespace

Result<std::optional<LogSnapshot>> find_snapshot(
    const std::string& path, uint64_t event,
    const std::function<bool(const LogSnapshot&)>& usable) {
  ReaderOptions options;
  options.recover_staged = false;  // the replay's own reader did that
  auto opened = LogReader::open(path, options);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<LogReader> reader = std::move(opened).value();
  const bool seekable = reader->can_seek();
  // Nothing lies before a segment's opening snapshot (at its first event
  // less one), so the windows stop there rather than doubling down to 1.
  const uint64_t floor = std::max<uint64_t>(reader->header().first_event, 2) - 1;
  // Without an index every look starts at the log's beginning.
  uint64_t window = 1024;
  uint64_t hi = event;
  while (hi >= floor) {
    const uint64_t lo = seekable && hi > window ? std::max(hi - window + 1, floor) : 1;
    if (seekable) {
      if (Status sought = reader->seek_to_event(lo); !sought.ok()) return sought;
    } else if (lo == 1 && reader->raw_bytes() != 0) {
      auto again = LogReader::open(path, options);
      if (!again.ok()) return again.status();
      reader = std::move(again).value();
    }
    auto found = last_complete_in(*reader, lo, hi);
    if (!found.ok()) return found.status();
    if (found.value()) {
      if (usable(*found.value())) return found;
      hi = found.value()->event - 1;  // look again before the one that is not usable
      continue;
    }
    if (lo <= floor) break;
    hi = lo - 1;
    window *= 2;
  }
  return std::optional<LogSnapshot>();
}

Result<std::optional<LogSnapshot>> find_snapshot_after(
    const std::string& path, uint64_t event, Recovery recovery,
    const std::function<bool(const LogSnapshot&)>& usable) {
  ReaderOptions options;
  options.recover_staged = false;
  options.recovery = recovery;
  auto opened = LogReader::open(path, options);
  if (!opened.ok()) return opened.status();
  LogReader& reader = *opened.value();
  if (reader.can_seek()) {
    if (Status sought = reader.seek_to_event(event); !sought.ok()) return sought;
  }
  SnapshotAssembler assembler;
  Record record;
  for (;;) {
    Result<bool> more = reader.next(&record);
    if (!more.ok()) return more.status();
    if (!more.value()) return std::optional<LogSnapshot>();
    if (assembler.add(record) != SnapshotAssembler::Outcome::kComplete) continue;
    LogSnapshot done = assembler.take();
    if (done.event >= event && usable(done)) return std::optional<LogSnapshot>(std::move(done));
  }
}

}  // namespace lx::wal
