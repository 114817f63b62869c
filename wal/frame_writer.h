// FrameWriter: the writer thread's side of a log: streams records into zstd
// frames (a flush makes everything so far decodable; a frame ends every
// frame_restart_bytes or frame_restart_ms), compressed, or at zstd_level 0
// stored in raw blocks built here, writes them to the file, keeps
// the index, applies the fsync policy and the size limits (--max-log-bytes,
// RLIMIT_FSIZE, the space it reserves ahead on the disk), and ends the log
// (end record, index, trailer). Used from the writer thread only (and from
// LogWriter::start before that thread runs).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lx/wal/format.h"
#include "lx/wal/log_index.h"
#include "lx/wal/log_writer.h"
#include "writer_shared.h"

struct ZSTD_CCtx_s;

namespace lx::wal {

class FrameWriter {
 public:
  // A piece of one encoded record (a record arrives whole, or in pieces
  // when it was handed over without being staged).
  struct Part {
    const uint8_t* data;
    size_t bytes;
  };

  // fd is the log, positioned after its header of header_bytes. fd, path,
  // options and shared must outlive the FrameWriter.
  // events_before: the events of the recording before this file (a
  // segment's first_event - 1), so an end record the writer adds follows
  // the right event even when no event came.
  FrameWriter(int fd, const std::string& path, const WriterOptions& options, uint64_t header_bytes,
              uint64_t events_before, WriterShared& shared);
  ~FrameWriter();
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  // Takes one encoded record. payload is its payload when the caller has it
  // in one piece (the index needs a checkpoint's figures). Ends the log
  // "truncated" when the record would take the file past max_log_bytes.
  // Does nothing once the log is not recording, or after the end record.
  void add(RecordType type, uint64_t event, std::span<const Part> parts, size_t record_bytes,
           std::span<const uint8_t> payload);
  // Like add, for a whole record that stays where it is until
  // compress_staged(): records adjacent in memory are given to zstd as one
  // run (any other call that compresses takes the run first).
  void add_staged(RecordType type, uint64_t event, const uint8_t* record, size_t record_bytes,
                  std::span<const uint8_t> payload);
  // add_staged for each record this process encoded at records[0, bytes)
  // (a stretch of the staging ring: whole records, then maybe a 0 byte of
  // padding), with no work per record beyond reading its header: the
  // records that need nothing but their frame and event number are taken as
  // runs (one count, one note of the frame's first event and of the last),
  // and the others (checkpoints and end records for the index and the end,
  // every record while a size limit applies or once not recording) one by
  // one. The same file results, byte for byte. @return the bytes of the
  // whole records taken: it stops at a 0 byte, at a record that does not end
  // inside bytes, and at the first record boundary at or past budget.
  size_t add_staged_records(const uint8_t* records, size_t bytes, uint64_t budget);
  // Compresses the run that add_staged gathered.
  void compress_staged();
  // Makes every record so far decodable and writes it out (the flush
  // point), or ends the frame when it is older than frame_restart_ms. With no
  // record since the last point it writes nothing: an idle log does not grow.
  void flush_point(int64_t now_ms);
  void sync_if_due(int64_t now_ms, bool force);
  // Ends the log: an end record (unless one was added), the frame, and with
  // write_index the index and trailer; then a sync unless fsync is never.
  void finish(EndReason reason, int32_t detail, bool write_index, int64_t now_ms);

  // ---- Space (docs/recording.md, "Errors and limits") ----

  // The file never grows past limit_bytes(): max_log_bytes, the process's
  // file-size limit (RLIMIT_FSIZE, read at open), and, once the file system
  // could give no more, the end of the space reserved. UINT64_MAX: none.
  uint64_t limit_bytes() const;
  // What the log ends with when limit_bytes() stops it: kTruncated for
  // max_log_bytes, kLogError for the file-size limit or a full disk.
  EndReason full_reason() const;
  // Keeps blocks allocated (fallocate, FALLOC_FL_KEEP_SIZE) past the end of
  // the file for everything the staging ring can hold and extra_raw_bytes
  // more (a record handed over whole), however badly it compresses, plus
  // the end of the log. Writes into allocated blocks cannot fail for want of
  // space, so when the disk fills up, the log ends cleanly inside what was
  // reserved: the limit becomes the reservation's end. Halves its request on
  // ENOSPC or EDQUOT down to a page; a file system without fallocate leaves
  // the log unprotected (space_note() says so).
  void reserve_space(uint64_t extra_raw_bytes);
  // Gives back the blocks reserved past the end of the file (at close).
  void release_space();
  // Why the log is not protected against a full disk, or empty.
  const std::string& space_note() const { return space_note_; }

  uint64_t last_event() const { return last_event_; }
  uint64_t raw_bytes() const { return index_.raw_bytes; }
  uint64_t file_bytes() const { return file_bytes_; }
  bool end_seen() const { return end_seen_; }
  // Record bytes that surely still fit under max_log_bytes (with room for
  // the end of the log), however badly they compress; 0 when full.
  uint64_t room_raw_bytes() const;
  // The reason of the end record added (when end_seen()).
  EndReason end_reason() const { return end_reason_; }

 private:
  // No size limit applies (the common case): max_log_bytes 0, no file-size
  // limit, and the disk not full. limit_bytes() is UINT64_MAX exactly then;
  // it and fits() both ask here first.
  bool unlimited() const {
    return options_.max_log_bytes == 0 && rlimit_bytes_ == UINT64_MAX && !space_exhausted_;
  }
  // Whether a record of record_bytes fits under limit_bytes(); without a
  // limit nothing is estimated per record.
  bool fits(size_t record_bytes) { return unlimited() || fits_limit(record_bytes); }
  // Whether add_staged_records may take runs: recording, before the end
  // record, with no size limit (the records then need only a frame).
  bool runs_allowed() const { return shared_.recording() && !end_seen_ && unlimited(); }
  // Takes the records from records + from on as one run, while they are
  // events or other records that need only a frame (not a checkpoint or an
  // end record), up to the one that fills the frame (frame_restart_bytes) or
  // reaches budget. @return where the run ends (from when it took none).
  size_t add_run(const uint8_t* records, size_t from, size_t bytes, uint64_t budget);
  // The run's bookkeeping: its frame, the frame's first event and the last
  // event (the records at first_event and last_event, or none), and its
  // place beside the run gathered so far.
  void take_run(const uint8_t* run, size_t bytes, const uint8_t* first_event,
                const uint8_t* last_event);
  // Gathers record bytes adjacent to the run so far (compressing that run
  // first when they are not).
  void stage(const uint8_t* record, size_t bytes);
  bool fits_limit(size_t record_bytes);
  // add's bookkeeping (limits, frames, index); false when the record is not
  // to be written. Then the caller compresses it and calls added().
  bool accept(RecordType type, uint64_t event, size_t record_bytes,
              std::span<const uint8_t> payload);
  void open_frame();
  // The index's checkpoint entry, or the end record's reason. Out of line:
  // its decoded Record would give accept, which runs per record, a large
  // frame to set up and tear down every time.
  __attribute__((noinline)) void note_checkpoint_or_end(RecordType type, uint64_t event,
                                                        size_t record_bytes,
                                                        std::span<const uint8_t> payload);
  void added(size_t record_bytes);
  void compress_now(const uint8_t* data, size_t bytes, int directive);
  // compress_now at zstd_level 0: the bytes go into raw blocks of at most
  // kRawBlockMaxBytes after a kRawFrameHeader (as the crash frame's); a
  // flush closes the open block, the end of the frame a last block.
  void store_now(const uint8_t* data, size_t bytes, int directive);
  // Reserves the header of a raw block in out_ (after the frame header when
  // the frame has none yet); close_block writes it once the size is known.
  void begin_block();
  void close_block(bool last);
  // Appends bytes to out_ (counted in file_bytes_); they must fit.
  void put_out(const uint8_t* data, size_t bytes);
  // fstat before the first write after a flush point: a log file deleted
  // (no link left) or truncated (shorter than what was written) under the
  // writer ends recording with an error instead of writing on unnoticed.
  // @return false when it did (the log has failed).
  bool file_still_ours();
  void compress(const uint8_t* data, size_t bytes, int directive);
  void write_out();
  // After the writes of a flush point (or of the end): every record added
  // so far is in the file; WriterShared::file_last_event says so.
  void acknowledge_written();
  void write_raw(const uint8_t* data, size_t bytes);
  void flush_frame();
  void end_frame();
  size_t reserve_bytes() const;

  const int fd_;
  const std::string& path_;
  const WriterOptions& options_;
  WriterShared& shared_;
  ZSTD_CCtx_s* cctx_ = nullptr;      // none when stored_
  const bool stored_;                // zstd_level 0: raw blocks, no compression
  bool stored_frame_begun_ = false;  // its frame header is out
  bool block_open_ = false;          // a raw block's header waits at out_[block_at_]
  size_t block_at_ = 0;
  size_t block_bytes_ = 0;
  std::vector<uint8_t> out_;
  size_t out_used_ = 0;
  uint64_t file_bytes_ = 0;      // emitted: written plus waiting in out_
  uint64_t written_bytes_ = 0;   // written to the file (the header included)
  uint64_t write_count_ = 0;     // writes so far (before_write_for_test)
  bool check_file_due_ = false;  // a flush point passed since the last fstat
  bool frame_open_ = false;
  uint64_t frame_raw_bytes_ = 0;
  const uint8_t* staged_ = nullptr;  // the run add_staged gathered, not yet compressed
  size_t staged_bytes_ = 0;
  uint64_t unflushed_raw_bytes_ = 0;
  bool added_since_point_ = false;  // a record came since the last flush point
  int64_t frame_started_ms_ = 0;
  int64_t last_sync_ms_ = 0;
  bool wrote_since_sync_ = false;
  // Space: where the blocks allocated for the file end, and why it stops.
  uint64_t allocated_end_ = 0;
  bool space_reservable_ = true;  // fallocate works on this file system
  bool space_exhausted_ = false;  // it refused more: allocated_end_ is the limit
  int space_errno_ = 0;
  uint64_t rlimit_bytes_ = UINT64_MAX;  // RLIMIT_FSIZE
  std::string space_note_;
  bool end_seen_ = false;
  EndReason end_reason_ = EndReason::kClosed;
  bool first_event_pending_ = false;
  uint64_t last_event_ = 0;
  LogIndex index_;
};

}  // namespace lx::wal
