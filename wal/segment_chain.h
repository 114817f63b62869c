// SegmentChain: a directory of segments (segments.h) read as one log. Each
// segment is a whole log of its own; the chain checks at open that they are
// one recording's, then reads them in turn, hiding the end records
// ("rotated") between them and reporting, as damage, events missing between
// two segments (docs/wal-format.md, "Segments").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "file_log_reader.h"
#include "lx/wal/segments.h"

namespace lx::wal {

class SegmentChain final : public LogReader {
 public:
  // Errors (kCorrupt): no segments, segments of different recordings, a file
  // that is not a segment, a header whose first event is not its name's;
  // kUsage: follow mode; kIo.
  static Result<std::unique_ptr<LogReader>> open(const std::string& dir,
                                                 const ReaderOptions& options);

  const LogHeader& header() const override { return segments_.front().header; }
  Result<bool> next(Record* out) override;
  Result<size_t> next_records(Record* out, size_t capacity) override;
  const LogIndex* index() const override { return index_ ? &*index_ : nullptr; }
  bool can_seek() const override { return true; }
  Status seek_to_event(uint64_t event) override;
  const std::vector<Damage>& damage() const override;
  HealthState health() const override;
  std::optional<Record> end_record() const override { return end_; }
  bool trailer_seen() const override;
  uint64_t raw_bytes() const override;
  uint64_t file_offset() const override { return reader_ ? reader_->file_offset() : 0; }
  uint64_t file_bytes() const override;
  size_t segment_count() const override { return segments_.size(); }

 private:
  struct Segment {
    SegmentFile file;
    LogHeader header;
  };
  SegmentChain(std::string dir, const ReaderOptions& options)
      : dir_(std::move(dir)), options_(options) {}
  Status open_segment(size_t i);
  // The current segment has no more records: go on to the next one, or end.
  Status end_of_segment();
  void add_damage(Damage d);
  // Appends a segment's index to the chain's (index_), or drops the chain's
  // for good when a segment has none or the whole would pass the bound.
  void merge_index(const LogIndex* segment_index);
  // The most the merged index may take in memory, as a file's index frame
  // may (wal/file_log_reader.cc), so a reader of a directory stays bounded.
  static constexpr uint64_t kMaxMergedIndexBytes = uint64_t{64} << 20;

  std::string dir_;
  ReaderOptions options_;
  std::vector<Segment> segments_;
  std::optional<LogIndex> index_{LogIndex{}};
  bool index_dropped_ = false;
  uint64_t index_bytes_ = 0;
  size_t current_ = 0;
  std::unique_ptr<FileLogReader> reader_;  // of segments_[current_]
  std::vector<Damage> damage_;             // of segments done, and the gaps between them
  mutable std::vector<Damage> all_damage_;
  std::optional<Record> end_;
  std::optional<HealthState> final_health_;  // of the segment the chain ended in
  bool final_trailer_ = false;
  bool ended_ = false;
  bool damaged_ = false;         // a segment was damaged in its middle, or events are missing
  uint64_t last_event_ = 0;      // of the last event record read
  uint64_t skip_below_ = 0;      // seek_to_event in a segment without an index
  uint64_t raw_bytes_done_ = 0;  // of segments done
};

}  // namespace lx::wal
