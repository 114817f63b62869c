// FileLogReader: the LogReader of one file, pipe or ByteSource (see
// log_reader.h for the contract): frames, zstd units, records, the index and
// every recovery path.
#pragma once

#include "lx/wal/log_reader.h"

struct ZSTD_DCtx_s;

namespace lx::wal {

class SourceWindow;

class FileLogReader final : public LogReader {
 public:
  static Result<std::unique_ptr<FileLogReader>> open_path(const std::string& path,
                                                          const ReaderOptions& options);
  static Result<std::unique_ptr<FileLogReader>> open_source_at(std::unique_ptr<ByteSource> source,
                                                               uint64_t start_offset,
                                                               const ReaderOptions& options);
  ~FileLogReader() override;

  const LogHeader& header() const override { return header_; }
  Result<bool> next(Record* out) override;
  Result<size_t> next_records(Record* out, size_t capacity) override;
  const LogIndex* index() const override { return index_ ? &*index_ : nullptr; }
  bool can_seek() const override { return index() != nullptr; }
  Status seek_to_event(uint64_t event) override;
  const std::vector<Damage>& damage() const override { return damage_; }
  HealthState health() const override;
  std::optional<Record> end_record() const override { return end_; }
  bool trailer_seen() const override { return trailer_seen_; }
  uint64_t raw_bytes() const override { return raw_bytes_; }
  uint64_t file_offset() const override;
  uint64_t file_bytes() const override;

 private:
  FileLogReader(std::unique_ptr<ByteSource> source, uint64_t start_offset,
                const ReaderOptions& options);
  Status read_header();
  void load_index();
  // next() (capacity 1) and next_records(): decodes until records are
  // delivered into out, at most capacity. @return how many; 0 at the end.
  Result<size_t> read_records(Record* out, size_t capacity);
  // Parses and accepts the records already decoded, one after another, until
  // capacity are delivered into out, more bytes are needed or damage ends
  // them (the state says which). Once one is in out it stops before a
  // record or bytes that would report damage (left for the next call).
  // @return how many.
  size_t take_decoded_records(Record* out, size_t capacity);
  // What accept did with a record.
  enum class Taken {
    kDelivered,  // into *out
    kSkipped,    // not delivered (already delivered, before the seek, ignorable, damaged)
    kStopped,    // not looked at: it would report damage and may_report was false
  };
  // Checks a parsed record's payload and order. May report damage only when
  // may_report; otherwise it stops, with the reader unchanged, at the first
  // step that would.
  Taken accept(const RawRecord& raw, Record* out, bool may_report);
  // next() and next_records() at the end: the error strict mode makes of
  // the damage, or the source's read error, else ok (no more records).
  Status end_status() const;
  Status read_frame_start();
  Status begin_zstd_frame();
  Status decode_unit();
  // Before a block goes back to the window's start: moves the unparsed bytes
  // just before the window (or, too long for the room there, to records_).
  void keep_unparsed_before_window();
  // records_ holds at least bytes (bounded by kMaxRecordsBytes).
  void grow_records(size_t bytes);
  Status at_end_of_input();
  Status skip_bytes(uint64_t n);
  // Records damage at `offset` and recovers per the mode: ends the log,
  // resumes at a crash flush (tolerant), or at the next frame (salvage),
  // scanning from rescan_from.
  Status damaged(uint64_t offset, std::string_view why, bool torn, uint64_t rescan_from);
  // The same, for callers that return no Status (damaged() always succeeds).
  void note_damage(uint64_t offset, std::string_view why, bool torn, uint64_t rescan_from);
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
  RecordCrc crc_rule_ = kWrittenRecordCrc;  // what the records' CRCs cover, by header_'s version
  std::optional<LogIndex> index_;
  ZSTD_DCtx_s* dctx_ = nullptr;

  // zstd output: kWindowPad bytes, then a round buffer of the frame's window
  // (ZSTD_decodingBufferSize_min), where window_pos_ counts from.
  std::vector<uint8_t> window_;
  size_t window_pos_ = 0;
  // Room before the window for the unparsed end of the last block when the
  // next one goes back to the window's start, so a record across the wrap is
  // still parsed where zstd wrote it (longer ones are copied to records_).
  static constexpr size_t kWindowPad = size_t{128} << 10;
  bool raw_block_ = false;      // the block being decoded is raw (Block_Type 0)
  bool block_started_ = false;  // part of it was taken already
  // Decoded bytes not yet parsed into records, at [rpos_, wpos_) of window_
  // (in_place_: where zstd wrote them, or just before the window) or of
  // records_ (copied there after a record longer than kWindowPad was cut by
  // the window's wrap), and where they came from.
  bool in_place_ = true;
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
