// zstd frames, the file, the index and the end of a log (see frame_writer.h).
#include "frame_writer.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fd_io.h"

namespace lx::wal {
namespace {

// Upper bound of the bytes zstd emits for raw input bytes in one flush:
// blocks fall back to raw (3-byte header per 128 KiB), plus a frame header.
uint64_t compressed_bound(uint64_t raw) { return raw + (raw >> 10) + 32 + 18; }

}  // namespace

FrameWriter::FrameWriter(int fd, const std::string& path, const WriterOptions& options,
                         uint64_t header_bytes, WriterShared& shared)
    : fd_(fd),
      path_(path),
      options_(options),
      shared_(shared),
      file_bytes_(header_bytes),
      written_bytes_(header_bytes) {
  cctx_ = ZSTD_createCCtx();
  LX_ASSERT(cctx_ != nullptr);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options_.zstd_level);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  out_.resize(ZSTD_CStreamOutSize());
}

FrameWriter::~FrameWriter() { ZSTD_freeCCtx(cctx_); }

size_t FrameWriter::reserve_bytes() const {
  // End record, frame epilogue, the index with one more frame and
  // checkpoint, the trailer, and slack.
  return 40 + 32 +
         (32 + 24 * (index_.frames.size() + 1) + 48 * (index_.checkpoints.size() + 1) + 12) +
         kTrailerFrameBytes + 64;
}

bool FrameWriter::fits(size_t record_bytes) {
  if (options_.max_log_bytes == 0) return true;
  auto estimate = [&] {
    return file_bytes_ + compressed_bound(unflushed_raw_bytes_ + record_bytes) + reserve_bytes();
  };
  if (estimate() <= options_.max_log_bytes) return true;
  if (unflushed_raw_bytes_ != 0 && frame_open_) {
    flush_frame();  // turn the estimate of what is pending into a count
    if (estimate() <= options_.max_log_bytes) return true;
  }
  return false;
}

uint64_t FrameWriter::room_raw_bytes() const {
  if (options_.max_log_bytes == 0) return UINT64_MAX;
  const uint64_t used = file_bytes_ + compressed_bound(unflushed_raw_bytes_) + reserve_bytes();
  if (used >= options_.max_log_bytes) return 0;
  // compressed_bound(x) <= x + x / 1024 + 50: solve for the largest x.
  const uint64_t left = options_.max_log_bytes - used;
  return left > 64 ? (left - 64) - (left - 64) / 1025 : 0;
}

void FrameWriter::add(RecordType type, uint64_t event, std::span<const Part> parts,
                      size_t record_bytes, std::span<const uint8_t> payload) {
  if (!shared_.recording() || end_seen_) return;  // discarded: not recording
  if (!fits(record_bytes)) {
    finish(EndReason::kTruncated, 0, true, 0);
    return;
  }
  if (!frame_open_) {
    frame_open_ = true;
    frame_raw_bytes_ = 0;
    frame_started_ms_ = -1;  // set at the next flush point
    index_.frames.push_back(FrameEntry{file_bytes_, 0, 0});
    first_event_pending_ = true;
  }
  if (is_event(type)) {
    last_event_ = event;
    if (first_event_pending_) {
      index_.frames.back().first_event = event;
      first_event_pending_ = false;
    }
  } else if (type == RecordType::kCheckpoint && !payload.empty()) {
    Record decoded;
    const char* reason = nullptr;
    RawRecord raw{static_cast<uint64_t>(type), event, payload.data(), payload.size(), record_bytes};
    if (decode_record(raw, &decoded, &reason)) {
      index_.checkpoints.push_back(
          CheckpointEntry{event, decoded.figures, static_cast<uint32_t>(index_.frames.size() - 1)});
    }
  } else if (type == RecordType::kEnd) {
    end_seen_ = true;
    Record decoded;
    const char* reason = nullptr;
    RawRecord raw{static_cast<uint64_t>(type), event, payload.data(), payload.size(), record_bytes};
    if (!payload.empty() && decode_record(raw, &decoded, &reason)) end_reason_ = decoded.end_reason;
  }
  for (const Part& part : parts) compress(part.data, part.bytes, ZSTD_e_continue);
  frame_raw_bytes_ += record_bytes;
  unflushed_raw_bytes_ += record_bytes;
  index_.raw_bytes += record_bytes;
  if (frame_raw_bytes_ >= options_.frame_restart_bytes) end_frame();
}

void FrameWriter::flush_point(int64_t now_ms) {
  if (!shared_.recording()) return;
  check_file_due_ = true;
  if (frame_open_) {
    if (frame_started_ms_ < 0) frame_started_ms_ = now_ms;
    if (now_ms - frame_started_ms_ >= options_.frame_restart_ms) {
      end_frame();
    } else {
      flush_frame();
    }
  }
  write_out();
}

void FrameWriter::compress(const uint8_t* data, size_t bytes, int directive) {
  if (shared_.failed()) return;
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

bool FrameWriter::file_still_ours() {
  check_file_due_ = false;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
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
  if (shared_.crash_fallback.load()) return;  // the signal handler owns the file now
  if (check_file_due_ && !file_still_ours()) return;
  int e = 0;
  if (!write_fully(fd_, data, bytes, &e)) {
    shared_.fail("cannot write log file " + path_, e);
    return;
  }
  written_bytes_ += bytes;
  wrote_since_sync_ = true;
}

void FrameWriter::write_out() {
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
  if (::fdatasync(fd_) != 0) {
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
  shared_.set_state(reason == EndReason::kTruncated ? WriterState::kTruncated
                                                    : WriterState::kClosed);
}

}  // namespace lx::wal
