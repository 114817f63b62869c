// zstd frames, the file, the index and the end of a log (see frame_writer.h).
#include "frame_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "fd_io.h"
#include "record_parse.h"

namespace lx::wal {
namespace {

// Upper bound of the bytes zstd emits for raw input bytes in one flush:
// blocks fall back to raw (3-byte header per 128 KiB), plus a frame header.
// It bounds a stored frame (zstd_level 0) too: a block header per 128 KiB
// and per buffer written, the frame header and a last block.
uint64_t compressed_bound(uint64_t raw) { return raw + (raw >> 10) + 32 + 18; }

// The types whose records the writer reads beyond their header: a
// checkpoint (the index lists it) and the end record (its reason).
constexpr bool noted_by_writer(RecordType type) {
  return type == RecordType::kCheckpoint || type == RecordType::kEnd;
}

// What a run (FrameWriter::add_run) does with a record of each wire value
// below 128: an event notes its number; a record the writer notes, and any
// wire value no type has, ends the run (add_staged takes it).
enum RunKind : uint8_t { kRunEnds = 0, kRunEvent = 1, kRunPlain = 2 };
constexpr std::array<uint8_t, 128> make_run_kinds() {
  std::array<uint8_t, 128> kinds{};
  for (const RecordTypeInfo& info : kRecordTypes) {
    const bool ends = noted_by_writer(info.type);
    kinds[static_cast<uint8_t>(info.type)] = ends              ? kRunEnds
                                             : info.is_event() ? kRunEvent
                                                               : kRunPlain;
  }
  return kinds;
}
constexpr std::array<uint8_t, 128> kRunKinds = make_run_kinds();

// The event number of the record at p (its varint ends inside 8 bytes).
uint64_t event_of_record(const uint8_t* p) {
  uint64_t event = 0;
  size_t used = 0;
  (void)record_parse::read_varint(p + 1, 8, &event, &used);
  return event;
}

uint64_t file_size_rlimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace

FrameWriter::FrameWriter(int fd, const std::string& path, const WriterOptions& options,
                         uint64_t header_bytes, uint64_t events_before, WriterShared& shared)
    : fd_(fd),
      path_(path),
      options_(options),
      shared_(shared),
      stored_(options.zstd_level == 0),
      file_bytes_(header_bytes),
      written_bytes_(header_bytes) {
  if (stored_) {
    // Room for a frame header and four whole raw blocks per write.
    out_.resize(sizeof kRawFrameHeader + 4 * (kBlockHeaderBytes + kRawBlockMaxBytes));
  } else {
    cctx_ = ZSTD_createCCtx();
    LX_ASSERT(cctx_ != nullptr);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options_.zstd_level);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
    out_.resize(ZSTD_CStreamOutSize());
  }
  allocated_end_ = header_bytes;
  rlimit_bytes_ = file_size_rlimit();
  last_event_ = events_before;
  index_.event_count = events_before;
}

FrameWriter::~FrameWriter() { ZSTD_freeCCtx(cctx_); }

size_t FrameWriter::reserve_bytes() const {
  // End record, frame epilogue, the index with one more frame and
  // checkpoint, the trailer, and slack.
  return 40 + 32 +
         (32 + 24 * (index_.frames.size() + 1) + 48 * (index_.checkpoints.size() + 1) + 12) +
         kTrailerFrameBytes + 64;
}

uint64_t FrameWriter::limit_bytes() const {
  if (unlimited()) return UINT64_MAX;
  uint64_t limit = options_.max_log_bytes != 0 ? options_.max_log_bytes : UINT64_MAX;
  limit = std::min(limit, rlimit_bytes_);
  if (space_exhausted_) limit = std::min(limit, allocated_end_);
  return limit;
}

EndReason FrameWriter::full_reason() const {
  return options_.max_log_bytes != 0 && options_.max_log_bytes == limit_bytes()
             ? EndReason::kTruncated
             : EndReason::kLogError;
}

void FrameWriter::reserve_space(uint64_t extra_raw_bytes) {
  if (!space_reservable_ || space_exhausted_ || end_seen_ || shared_.failed()) return;
  // Everything the ring can hold (head runs at most a ring ahead of the tail
  // that the fit limit was computed from, plus half a ring for the record
  // being appended), what is compressed but not yet flushed, and the end.
  const uint64_t ahead_raw = options_.staging_bytes + options_.staging_bytes / 2 + (64u << 10);
  const uint64_t needed =
      std::min(file_bytes_ + compressed_bound(unflushed_raw_bytes_ + extra_raw_bytes + ahead_raw) +
                   reserve_bytes(),
               limit_bytes());
  if (allocated_end_ >= needed) return;
  // Ask for half as much again, so that the writer does not call fallocate
  // at every flush point.
  const uint64_t target = std::min(needed + ahead_raw / 2, limit_bytes());
  uint64_t step = target - allocated_end_;
  while (allocated_end_ < target) {
    step = std::min(step, target - allocated_end_);
    if (file_fallocate(options_.file_ops, fd_, FALLOC_FL_KEEP_SIZE,
                       static_cast<off_t>(allocated_end_), static_cast<off_t>(step)) == 0) {
      allocated_end_ += step;
      continue;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EOPNOTSUPP || e == ENOSYS || e == EINVAL) {
      // No fallocate (or not this mode) on this file system: the log is
      // written unprotected, as before reservations.
      space_reservable_ = false;
      space_note_ = "cannot reserve space for log file " + path_ +
                    " (fallocate: " + std::strerror(e) +
                    "); a full disk will end it without its last checkpoint";
      return;
    }
    if (e != ENOSPC && e != EDQUOT && e != EFBIG) {
      // EIO and the like: the disk is failing, not full. Writing on would
      // hide it (nobody reads space_note() after open).
      shared_.fail("cannot reserve space for log file " + path_, e);
      return;
    }
    space_errno_ = e;
    if (step <= 4096) break;
    step /= 2;  // take what is left, in smaller pieces
  }
  // Short of what the ring may need: the disk is (nearly) full, and the log
  // must end inside what it holds.
  if (allocated_end_ < needed) {
    space_exhausted_ = true;
    if (space_errno_ == 0) space_errno_ = ENOSPC;
  }
}

void FrameWriter::release_space() {
  if (!space_reservable_ || allocated_end_ <= written_bytes_) return;
  release_blocks_past_end(options_.file_ops, fd_);
  allocated_end_ = written_bytes_;
}

bool FrameWriter::fits_limit(size_t record_bytes) {
  const uint64_t limit = limit_bytes();
  if (limit == UINT64_MAX) return true;
  auto estimate = [&] {
    return file_bytes_ + compressed_bound(unflushed_raw_bytes_ + record_bytes) + reserve_bytes();
  };
  if (estimate() <= limit) return true;
  if (unflushed_raw_bytes_ != 0 && frame_open_) {
    flush_frame();  // turn the estimate of what is pending into a count
    if (estimate() <= limit) return true;
  }
  return false;
}

uint64_t FrameWriter::room_raw_bytes() const {
  const uint64_t limit = limit_bytes();
  if (limit == UINT64_MAX) return UINT64_MAX;
  const uint64_t used = file_bytes_ + compressed_bound(unflushed_raw_bytes_) + reserve_bytes();
  if (used >= limit) return 0;
  // compressed_bound(x) <= x + x / 1024 + 50: solve for the largest x.
  const uint64_t left = limit - used;
  return left > 64 ? (left - 64) - (left - 64) / 1025 : 0;
}

// Inlined into add and add_staged: it runs per record, and as a call its
// prologue and epilogue were a third of its cost.
__attribute__((always_inline)) inline bool FrameWriter::accept(RecordType type, uint64_t event,
                                                               size_t record_bytes,
                                                               std::span<const uint8_t> payload) {
  if (!shared_.recording() || end_seen_) return false;  // discarded: not recording
  if (!fits(record_bytes)) {
    finish(full_reason(), 0, true, 0);
    return false;
  }
  if (!frame_open_) open_frame();
  if (is_event(type)) {
    last_event_ = event;
    if (first_event_pending_) {
      index_.frames.back().first_event = event;
      first_event_pending_ = false;
    }
  } else if (noted_by_writer(type)) {
    note_checkpoint_or_end(type, event, record_bytes, payload);
  }
  return true;
}

void FrameWriter::open_frame() {
  frame_open_ = true;
  frame_raw_bytes_ = 0;
  frame_started_ms_ = -1;  // set at the next flush point
  index_.frames.push_back(FrameEntry{file_bytes_, 0, 0});
  first_event_pending_ = true;
}

void FrameWriter::note_checkpoint_or_end(RecordType type, uint64_t event, size_t record_bytes,
                                         std::span<const uint8_t> payload) {
  if (type == RecordType::kEnd) end_seen_ = true;
  if (payload.empty()) return;
  Record decoded;
  const char* reason = nullptr;
  const RawRecord raw{static_cast<uint64_t>(type), event, payload.data(), payload.size(),
                      record_bytes};
  if (!decode_record(raw, &decoded, &reason)) return;
  if (type == RecordType::kEnd) {
    end_reason_ = decoded.end_reason;
  } else {
    index_.checkpoints.push_back(
        CheckpointEntry{event, decoded.figures, static_cast<uint32_t>(index_.frames.size() - 1)});
  }
}

void FrameWriter::added(size_t record_bytes) {
  frame_raw_bytes_ += record_bytes;
  unflushed_raw_bytes_ += record_bytes;
  added_since_point_ = true;
  index_.raw_bytes += record_bytes;
  if (frame_raw_bytes_ >= options_.frame_restart_bytes) end_frame();
}

void FrameWriter::add(RecordType type, uint64_t event, std::span<const Part> parts,
                      size_t record_bytes, std::span<const uint8_t> payload) {
  if (!accept(type, event, record_bytes, payload)) return;
  for (const Part& part : parts) compress(part.data, part.bytes, ZSTD_e_continue);
  added(record_bytes);
}

void FrameWriter::add_staged(RecordType type, uint64_t event, const uint8_t* record,
                             size_t record_bytes, std::span<const uint8_t> payload) {
  if (!accept(type, event, record_bytes, payload)) return;
  stage(record, record_bytes);
  added(record_bytes);
}

void FrameWriter::stage(const uint8_t* record, size_t bytes) {
  if (staged_bytes_ != 0 && staged_ + staged_bytes_ != record) compress_staged();
  if (staged_bytes_ == 0) staged_ = record;
  staged_bytes_ += bytes;
}

size_t FrameWriter::add_staged_records(const uint8_t* records, size_t bytes, uint64_t budget) {
  size_t at = 0;
  while (at < bytes && at < budget) {
    if (runs_allowed()) {
      const size_t run_end = add_run(records, at, bytes, budget);
      if (run_end != at) {
        at = run_end;
        continue;
      }
    }
    // A record the run does not take (a checkpoint, an end record, any
    // record under a size limit), or the padding that ends the stretch.
    RawRecord raw;
    if (!record_parse::read_own_record(records + at, bytes - at, &raw)) break;
    add_staged(static_cast<RecordType>(raw.type), raw.event, records + at, raw.record_bytes,
               {raw.payload, raw.payload_bytes});
    at += raw.record_bytes;
  }
  return at;
}

size_t FrameWriter::add_run(const uint8_t* records, size_t from, size_t bytes, uint64_t budget) {
  // The run ends with the record that makes the frame frame_restart_bytes
  // long, as added() would end the frame after it.
  const uint64_t in_frame = frame_open_ ? frame_raw_bytes_ : 0;
  if (in_frame >= options_.frame_restart_bytes) return from;
  const uint64_t room = options_.frame_restart_bytes - in_frame;
  const uint64_t limit = room < budget - from ? from + room : budget;
  const uint8_t* first_event = nullptr;
  const uint8_t* last_event = nullptr;
  size_t at = from;
  // Per record: the type byte, the end of the event varint (found in one
  // 8-byte load, not decoded) and the payload length; a record near the
  // stretch's end, or one with a longer header, is left to add_staged.
  while (at < limit && bytes - at >= 9) {
    const uint8_t* p = records + at;
    const size_t avail = bytes - at;
    // The producer wrote these bytes on another core a moment ago; this loop
    // is the first to read them, one record's length after another, so
    // without a prefetch it waits on each cache line in turn (zstd then reads
    // them from the cache). 1 KiB ahead: the writer thread's CPU per MB of
    // records fell by 15 % (writer_bench, Xeon, 2 Dec); 512 B to 4 KiB gave
    // the same.
    __builtin_prefetch(p + 1024);
    const uint8_t kind = p[0] < kRunKinds.size() ? kRunKinds[p[0]] : uint8_t{kRunEnds};
    if (kind == kRunEnds) break;
    uint64_t word;
    std::memcpy(&word, p + 1, sizeof word);
    const size_t event_bytes =
        static_cast<size_t>(std::countr_zero(~word & 0x8080808080808080ull) >> 3) + 1;
    if (event_bytes > 7) break;
    const size_t header = 1 + event_bytes;
    uint64_t length = 0;
    size_t length_bytes = 0;
    if (record_parse::read_varint(p + header, avail - header, &length, &length_bytes) !=
            VarintStatus::kOk ||
        length > avail)
      break;
    const size_t total = header + length_bytes + static_cast<size_t>(length) + kRecordCrcBytes;
    if (total > avail) break;
    if (kind == kRunEvent) {
      if (first_event == nullptr) first_event = p;
      last_event = p;
    }
    at += total;
  }
  if (at != from) take_run(records + from, at - from, first_event, last_event);
  return at;
}

void FrameWriter::take_run(const uint8_t* run, size_t bytes, const uint8_t* first_event,
                           const uint8_t* last_event) {
  if (!frame_open_) open_frame();
  if (last_event != nullptr) {
    last_event_ = event_of_record(last_event);
    if (first_event_pending_) {
      index_.frames.back().first_event = event_of_record(first_event);
      first_event_pending_ = false;
    }
  }
  stage(run, bytes);
  added(bytes);
}

void FrameWriter::compress_staged() {
  if (staged_bytes_ == 0) return;
  const uint8_t* data = staged_;
  const size_t bytes = staged_bytes_;
  staged_bytes_ = 0;
  compress_now(data, bytes, ZSTD_e_continue);
}

void FrameWriter::flush_point(int64_t now_ms) {
  if (!shared_.recording()) return;
  check_file_due_ = true;
  // A frame that got no record since the last point stays open: its records
  // are flushed, and ending it on time would write bytes (a block and the
  // checksum) into the log of an idle server. It ends at the first point
  // after its next record instead.
  if (frame_open_ && added_since_point_) {
    if (frame_started_ms_ < 0) frame_started_ms_ = now_ms;
    if (now_ms - frame_started_ms_ >= options_.frame_restart_ms) {
      end_frame();
    } else {
      flush_frame();
    }
  }
  added_since_point_ = false;
  write_out();
  acknowledge_written();
}

void FrameWriter::acknowledge_written() {
  // Every record added so far is now in the file, unless a write failed or
  // the crash path took the file over (then the gate stays closed).
  if (!shared_.failed() && shared_.write_gate.try_enter()) {
    shared_.file_last_event.store(last_event_);
    shared_.write_gate.leave();
  }
}

void FrameWriter::compress(const uint8_t* data, size_t bytes, int directive) {
  compress_staged();  // what came before goes first
  compress_now(data, bytes, directive);
}

void FrameWriter::compress_now(const uint8_t* data, size_t bytes, int directive) {
  if (shared_.failed()) return;
  if (stored_) {
    store_now(data, bytes, directive);
    return;
  }
  const auto mode = static_cast<ZSTD_EndDirective>(directive);
  ZSTD_inBuffer in{data, bytes, 0};
  for (;;) {
    ZSTD_outBuffer out{out_.data(), out_.size(), out_used_};
    const size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(remaining)) {
      shared_.fail(std::string("zstd compression failed: ") + ZSTD_getErrorName(remaining), 0);
      return;
    }
    file_bytes_ += out.pos - out_used_;
    out_used_ = out.pos;
    if (out_used_ == out_.size()) {
      write_out();
      if (shared_.failed()) return;
    }
    const bool done = mode == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
    if (done) return;
  }
}

void FrameWriter::store_now(const uint8_t* data, size_t bytes, int directive) {
  while (bytes != 0) {
    if (!block_open_) begin_block();
    const size_t n = std::min({bytes, kRawBlockMaxBytes - block_bytes_, out_.size() - out_used_});
    put_out(data, n);
    block_bytes_ += n;
    data += n;
    bytes -= n;
    if (block_bytes_ == kRawBlockMaxBytes || out_used_ == out_.size()) close_block(false);
    if (out_used_ == out_.size()) {
      write_out();
      if (shared_.failed()) return;
    }
  }
  if (directive == ZSTD_e_flush && block_open_) close_block(false);
  if (directive == ZSTD_e_end) {
    // The last block: the open one, or an empty one (valid zstd).
    if (!block_open_) begin_block();
    close_block(true);
    stored_frame_begun_ = false;
  }
}

void FrameWriter::begin_block() {
  // Room for the frame header, the block header and one byte of the block.
  if (out_.size() - out_used_ < sizeof kRawFrameHeader + kBlockHeaderBytes + 1) write_out();
  if (!stored_frame_begun_) {
    put_out(kRawFrameHeader, sizeof kRawFrameHeader);
    stored_frame_begun_ = true;
  }
  block_open_ = true;
  block_at_ = out_used_;
  block_bytes_ = 0;
  out_used_ += kBlockHeaderBytes;
  file_bytes_ += kBlockHeaderBytes;
}

void FrameWriter::close_block(bool last) {
  encode_raw_block_header(out_.data() + block_at_, block_bytes_, last);
  block_open_ = false;
}

void FrameWriter::put_out(const uint8_t* data, size_t bytes) {
  std::memcpy(out_.data() + out_used_, data, bytes);
  out_used_ += bytes;
  file_bytes_ += bytes;
}

bool FrameWriter::file_still_ours() {
  check_file_due_ = false;
  struct stat st {};
  if (file_fstat(options_.file_ops, fd_, &st) != 0) {
    shared_.fail("cannot examine log file " + path_, errno);
    return false;
  }
  if (st.st_nlink == 0) {
    shared_.fail("log file " + path_ + " was deleted while recording", 0);
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) < written_bytes_) {
    shared_.fail("log file " + path_ + " was truncated while recording (" +
                     std::to_string(st.st_size) + " bytes left of " +
                     std::to_string(written_bytes_) + " written)",
                 0);
    return false;
  }
  return true;
}

void FrameWriter::write_raw(const uint8_t* data, size_t bytes) {
  if (shared_.failed()) return;
  if (check_file_due_ && !file_still_ours()) return;
  if (!shared_.write_gate.try_enter()) return;  // the signal handler owns the file now
  if (options_.before_write_for_test != nullptr) options_.before_write_for_test(++write_count_);
  int e = 0;
  const bool written = write_fully(options_.file_ops, fd_, data, bytes, &e);
  shared_.write_gate.leave();
  if (!written) {
    shared_.fail("cannot write log file " + path_, e);
    return;
  }
  written_bytes_ += bytes;
  wrote_since_sync_ = true;
}

void FrameWriter::write_out() {
  if (block_open_) close_block(false);  // its header must be final when written
  if (out_used_ == 0) return;
  const size_t n = out_used_;
  out_used_ = 0;
  write_raw(out_.data(), n);
}

void FrameWriter::flush_frame() {
  compress(nullptr, 0, ZSTD_e_flush);
  unflushed_raw_bytes_ = 0;
}

void FrameWriter::end_frame() {
  compress(nullptr, 0, ZSTD_e_end);
  if (!index_.frames.empty()) {
    FrameEntry& f = index_.frames.back();
    f.raw_bytes = frame_raw_bytes_;
    if (first_event_pending_) f.first_event = last_event_ + 1;
  }
  first_event_pending_ = false;
  frame_open_ = false;
  unflushed_raw_bytes_ = 0;
}

void FrameWriter::sync_if_due(int64_t now_ms, bool force) {
  if (options_.fsync == FsyncMode::kNever || !wrote_since_sync_) return;
  if (shared_.failed()) return;
  const bool due = force || options_.fsync == FsyncMode::kAlways ||
                   now_ms - last_sync_ms_ >= static_cast<int64_t>(options_.fsync_interval_ms);
  if (!due) return;
  if (file_fdatasync(options_.file_ops, fd_) != 0) {
    shared_.fail("cannot sync log file " + path_, errno);
    return;
  }
  last_sync_ms_ = now_ms;
  wrote_since_sync_ = false;
}

void FrameWriter::finish(EndReason reason, int32_t detail, bool write_index, int64_t now_ms) {
  check_file_due_ = true;
  if (end_seen_) reason = end_reason_;  // the log says why it ended already
  if (!end_seen_) {
    const PayloadPrefix prefix = prefix_end(reason, detail);
    uint8_t record[kMaxRecordOverheadBytes + sizeof prefix.bytes];
    const size_t n = encode_record(record, RecordType::kEnd, last_event_, prefix.span(), {});
    if (!frame_open_) {
      frame_open_ = true;
      index_.frames.push_back(FrameEntry{file_bytes_, last_event_ + 1, 0});
      first_event_pending_ = false;
      frame_raw_bytes_ = 0;
    }
    compress(record, n, ZSTD_e_continue);
    frame_raw_bytes_ += n;
    index_.raw_bytes += n;
    end_seen_ = true;
  }
  if (frame_open_) end_frame();
  write_out();
  acknowledge_written();
  if (write_index) {
    index_.event_count = last_event_;
    const std::vector<uint8_t> index_frame = encode_index_frame(index_);
    uint8_t trailer[kTrailerFrameBytes];
    encode_trailer_frame(Trailer{file_bytes_, index_frame.size()}, trailer);
    write_raw(index_frame.data(), index_frame.size());
    write_raw(trailer, sizeof trailer);
    file_bytes_ += index_frame.size() + sizeof trailer;
  }
  sync_if_due(now_ms, true);
  if (reason == EndReason::kLogError) {
    // The log ended cleanly at its limit, but the limit was not the user's:
    // an error, said once (lxrun exits 4).
    if (rlimit_bytes_ == limit_bytes()) {
      shared_.fail("log file " + path_ + " ends before the file size limit of " +
                       std::to_string(rlimit_bytes_) + " bytes (ulimit -f)",
                   EFBIG);
    } else {
      shared_.fail("no more space for log file " + path_ + " after " +
                       std::to_string(allocated_end_) + " bytes",
                   space_errno_ != 0 ? space_errno_ : ENOSPC);
    }
    return;
  }
  shared_.set_state(reason == EndReason::kTruncated ? WriterState::kTruncated
                                                    : WriterState::kClosed);
}

}  // namespace lx::wal
