// The reader's state machine: frames (zstd data frames, lx skippable frames)
// then records inside them, with one recovery path for every kind of damage
// (docs/wal-format.md, "Reading").
#include "lx/wal/log_reader.h"

// For ZSTD_nextSrcSizeToDecompress (exported by libzstd, documented as
// the buffer-less streaming API).
#define ZSTD_STATIC_LINKING_ONLY
#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>

#include "byte_source.h"
#include "lx/wal/crc32c.h"

namespace lx::wal {
namespace {

// Largest zstd window a reader accepts: the writer's levels 1..19 stay at or
// under 8 MiB; a hostile frame asking for more allocates nothing.
constexpr int kMaxWindowLog = 25;
constexpr size_t kOutputStepBytes = 128u << 10;

bool is_lx_skippable(uint32_t magic) {
  return magic >= kHeaderFrameMagic && magic <= kCrashFrameMagic;
}

}  // namespace

std::string_view health_state_name(HealthState state) {
  switch (state) {
    case HealthState::kClean:
      return "clean";
    case HealthState::kTruncated:
      return "truncated";
    case HealthState::kCrashed:
      return "crashed";
    case HealthState::kLogError:
      return "log_error";
    case HealthState::kTornTail:
      return "torn_tail";
    case HealthState::kDamaged:
      return "damaged";
  }
  return "unknown";
}

LogReader::LogReader(std::unique_ptr<ByteSource> source, const ReaderOptions& options)
    : source_(std::move(source)), options_(options) {
  dctx_ = ZSTD_createDCtx();
  LX_ASSERT(dctx_ != nullptr);
  ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, kMaxWindowLog);
  source_->set_follow(options.follow, options.follow_poll_ms, options.follow_timeout_ms);
}

LogReader::~LogReader() { ZSTD_freeDCtx(dctx_); }

Result<std::unique_ptr<LogReader>> LogReader::open(const std::string& path,
                                                   const ReaderOptions& options) {
  auto source = ByteSource::open_path(path);
  if (!source.ok()) return source.status();
  std::unique_ptr<LogReader> reader(new LogReader(std::move(source).value(), options));
  Status header = reader->read_header();
  if (!header.ok()) return Status::error(header.kind(), path + ": " + header.message());
  reader->load_index();
  return reader;
}

Result<std::unique_ptr<LogReader>> LogReader::open_fd(int fd, const ReaderOptions& options) {
  std::unique_ptr<LogReader> reader(new LogReader(ByteSource::from_fd(fd), options));
  Status header = reader->read_header();
  if (!header.ok()) return header;
  reader->load_index();
  return reader;
}

Status LogReader::read_header() {
  ByteSource& src = *source_;
  // In follow mode the header may not be written yet: fill() waits for it.
  const size_t n = src.fill(8);
  if (!src.error().ok()) return src.error();
  if (n < 8)
    return Status::corruption(n == 0 ? "empty file: not an lx log" : "not an lx log (too short)");
  const uint32_t magic = get_u32(src.data());
  if (magic != kHeaderFrameMagic) {
    if (magic == kZstdFrameMagic)
      return Status::corruption("a zstd file, but not an lx log (no lx header)");
    return Status::corruption("not an lx log (no lx header frame)");
  }
  const uint32_t size = get_u32(src.data() + 4);
  if (size > kMaxHeaderPayloadBytes)
    return Status::corruption("not an lx log (header frame too large)");
  if (src.fill(8 + size) < 8 + size)
    return Status::corruption("torn header: the file ends inside it");
  auto header = parse_header_payload({src.data() + 8, size});
  if (!header.ok()) return header.status();
  header_ = std::move(header).value();
  src.consume(8 + size);
  good_offset_ = src.offset();
  return ok_status();
}

void LogReader::load_index() {
  ByteSource& src = *source_;
  if (!src.seekable() || options_.follow) return;
  const int64_t size = src.size();
  if (size < static_cast<int64_t>(kTrailerFrameBytes) + static_cast<int64_t>(src.offset())) return;
  uint8_t trailer_bytes[kTrailerFrameBytes];
  Trailer trailer;
  if (!src.read_at(static_cast<uint64_t>(size) - kTrailerFrameBytes, trailer_bytes,
                   kTrailerFrameBytes) ||
      !parse_trailer_frame(trailer_bytes, &trailer))
    return;
  // The index must lie between the header and the trailer, exactly.
  if (trailer.index_offset < src.offset() || trailer.index_frame_bytes < 8 ||
      trailer.index_offset + trailer.index_frame_bytes !=
          static_cast<uint64_t>(size) - kTrailerFrameBytes)
    return;
  std::vector<uint8_t> frame(trailer.index_frame_bytes);  // bounded by the file's size
  if (!src.read_at(trailer.index_offset, frame.data(), frame.size())) return;
  if (get_u32(frame.data()) != kIndexFrameMagic || get_u32(frame.data() + 4) != frame.size() - 8)
    return;
  auto index = parse_index_payload({frame.data() + 8, frame.size() - 8});
  if (index.ok()) index_ = std::move(index).value();
}

uint64_t LogReader::file_offset() const { return source_->offset(); }

uint64_t LogReader::file_bytes() const {
  const int64_t size = source_->size();
  return size >= 0 ? static_cast<uint64_t>(size) : source_->offset();
}

HealthState LogReader::health() const {
  bool torn = false;
  for (const Damage& d : damage_) {
    if (d.recovered) continue;
    if (!d.torn) return HealthState::kDamaged;
    torn = true;
  }
  if (torn || !end_) return HealthState::kTornTail;
  switch (end_->end_reason) {
    case EndReason::kClosed:
      return HealthState::kClean;
    case EndReason::kTruncated:
      return HealthState::kTruncated;
    case EndReason::kCrashed:
      return HealthState::kCrashed;
    case EndReason::kLogError:
      return HealthState::kLogError;
  }
  return HealthState::kDamaged;
}

Status LogReader::seek_to_event(uint64_t event) {
  if (!index_ || index_->frames.empty()) return Status::usage("the log has no index to seek with");
  const FrameEntry& frame = index_->frames[index_->frame_for_event(event)];
  if (!source_->seek(frame.file_offset)) return Status::io("seek failed");
  in_frame_ = false;
  ended_ = false;
  rpos_ = wpos_ = 0;
  last_event_ = frame.first_event == 0 ? 0 : frame.first_event - 1;
  last_rank_ = 0;
  skip_below_event_ = event;
  good_offset_ = frame.file_offset;
  return ok_status();
}

Result<bool> LogReader::next(Record* out) {
  for (;;) {
    if (ended_) {
      for (const Damage& d : damage_) {
        if (options_.recovery == Recovery::kStrict)
          return Status::corruption(fmt::format("damaged log at offset {}: {} ({} bytes dropped)",
                                                d.offset, d.reason, d.dropped_bytes));
      }
      if (!source_->error().ok()) return source_->error();
      return false;
    }
    bool delivered = false;
    Status s = step(out, &delivered);
    if (!s.ok()) return s;
    if (delivered) return true;
  }
}

Status LogReader::step(Record* out, bool* delivered) {
  if (rpos_ < wpos_) {
    RawRecord raw;
    const char* reason = nullptr;
    switch (parse_record(records_.data() + rpos_, wpos_ - rpos_, &raw, &reason)) {
      case ParseStatus::kOk:
        rpos_ += raw.record_bytes;
        raw_bytes_ += raw.record_bytes;
        if (rpos_ == wpos_) good_offset_ = source_->offset();
        return accept(raw, out, delivered);
      case ParseStatus::kCorrupt:
        return damaged(good_offset_, reason, false);
      case ParseStatus::kNeedMore:
        if (!in_frame_ && frame_error_ == nullptr)
          return damaged(good_offset_, "frame ends inside a record", false);
        break;
    }
  }
  if (frame_error_ != nullptr) return damaged(good_offset_, frame_error_, false);
  if (in_frame_) return decompress_step();
  return read_frame_start();
}

Status LogReader::accept(const RawRecord& raw, Record* out, bool* delivered) {
  if (!is_known_type(raw.type)) {
    if (raw.type >= 64) return ok_status();  // ignorable: added by a newer minor version
    return damaged(good_offset_, "unknown record type", false);
  }
  Record record;
  const char* reason = nullptr;
  if (!decode_record(raw, &record, &reason)) return damaged(good_offset_, reason, false);
  const int rank = record_rank(record.type);
  const bool after =
      record.event > last_event_ || (record.event == last_event_ && rank > last_rank_);
  if (resynced_) {
    if (!after) return ok_status();  // already delivered before the damaged span
  } else {
    const bool in_sequence = is_event(record.type) ? record.event == last_event_ + 1
                                                   : record.event == last_event_ && after;
    if (!in_sequence) return damaged(good_offset_, "record out of sequence", false);
  }
  if (end_) return damaged(good_offset_, "record after the end record", false);
  last_event_ = record.event;
  last_rank_ = rank;
  record.frame_offset = frame_offset_;
  if (record.type == RecordType::kEnd) {
    end_ = record;
    if (options_.follow) ended_ = true;  // the index and trailer are not needed
  }
  if (record.event < skip_below_event_) return ok_status();
  *out = record;
  *delivered = true;
  return ok_status();
}

Status LogReader::decompress_step() {
  ByteSource& src = *source_;
  if (rpos_ > 0) {
    std::memmove(records_.data(), records_.data() + rpos_, wpos_ - rpos_);
    wpos_ -= rpos_;
    rpos_ = 0;
  }
  // Grows only as decompressed bytes arrive: a length field never sizes it.
  if (records_.size() - wpos_ < kOutputStepBytes) records_.resize(wpos_ + kOutputStepBytes);
  // Feed one decoding step (a block header or a block) per call: when a call
  // fails, zstd does not report the output it already wrote, so a call must
  // never hold a good block and a bad one together.
  const size_t step_bytes = std::max<size_t>(1, ZSTD_nextSrcSizeToDecompress(dctx_));
  ZSTD_inBuffer in{src.data(), std::min(src.available(), step_bytes), 0};
  ZSTD_outBuffer outb{records_.data() + wpos_, records_.size() - wpos_, 0};
  const size_t result = ZSTD_decompressStream(dctx_, &outb, &in);
  wpos_ += outb.pos;
  if (ZSTD_isError(result)) {
    // Deliver the records that came out before the error, then report it.
    in_frame_ = false;
    frame_error_ = "corrupt zstd frame";
    return ok_status();
  }
  src.consume(in.pos);
  if (result == 0) {
    in_frame_ = false;
    if (rpos_ == wpos_) good_offset_ = src.offset();
    return ok_status();
  }
  if (in.pos == 0 && outb.pos == 0 && src.fill_more() == 0) {
    if (!src.error().ok()) return src.error();
    return damaged(good_offset_, "torn frame at end of file", true);
  }
  return ok_status();
}

Status LogReader::skip_bytes(uint64_t n) {
  ByteSource& src = *source_;
  while (n > 0) {
    if (src.available() == 0 && src.fill_more() == 0)
      return damaged(good_offset_, "torn frame at end of file", true);
    const size_t step = static_cast<size_t>(std::min<uint64_t>(n, src.available()));
    src.consume(step);
    n -= step;
  }
  good_offset_ = src.offset();
  return ok_status();
}

Status LogReader::at_end_of_input() {
  if (!source_->error().ok()) return source_->error();
  if (!end_) return damaged(source_->offset(), "log ends without an end record", true);
  if (!trailer_seen_ && end_->end_reason != EndReason::kCrashed &&
      end_->end_reason != EndReason::kLogError)
    return damaged(source_->offset(), "log ends without its index and trailer", true);
  ended_ = true;
  return ok_status();
}

Status LogReader::read_frame_start() {
  ByteSource& src = *source_;
  const size_t n = src.fill(8);
  if (n == 0) return at_end_of_input();
  if (n < 4) return damaged(src.offset(), "torn frame at end of file", true);
  if (trailer_seen_) return damaged(src.offset(), "bytes after the trailer", false);
  const uint32_t magic = get_u32(src.data());
  if (magic == kZstdFrameMagic) {
    ZSTD_DCtx_reset(dctx_, ZSTD_reset_session_only);
    in_frame_ = true;
    frame_offset_ = src.offset();
    return ok_status();
  }
  if ((magic & 0xFFFFFFF0u) != kSkippableMagicFirst)
    return damaged(src.offset(), "not a zstd frame", false);
  if (n < 8) return damaged(src.offset(), "torn frame at end of file", true);
  const uint64_t size = get_u32(src.data() + 4);
  const int64_t file_size = src.size();
  if (file_size >= 0 && !src.following() &&
      src.offset() + 8 + size > static_cast<uint64_t>(file_size))
    return damaged(src.offset(), "torn frame at end of file", true);
  switch (magic) {
    case kHeaderFrameMagic:
      return damaged(src.offset(), "a second header frame", false);
    case kTrailerFrameMagic: {
      if (size != kTrailerPayloadBytes) return damaged(src.offset(), "bad trailer", false);
      if (src.fill(kTrailerFrameBytes) < kTrailerFrameBytes)
        return damaged(src.offset(), "torn frame at end of file", true);
      Trailer trailer;
      if (!parse_trailer_frame(src.data(), &trailer))
        return damaged(src.offset(), "bad trailer", false);
      src.consume(kTrailerFrameBytes);
      good_offset_ = src.offset();
      trailer_seen_ = true;
      return ok_status();
    }
    case kCrashFrameMagic: {
      if (src.fill(kCrashFrameBytes) < kCrashFrameBytes)
        return damaged(src.offset(), "torn frame at end of file", true);
      if (!crash_marker_at(src.data(), src.available()))
        return damaged(src.offset(), "bad crash marker", false);
      src.consume(kCrashFrameBytes);
      resynced_ = true;  // the raw frame after it repeats records already read
      good_offset_ = src.offset();
      return ok_status();
    }
    default:  // the index (read through the trailer) and unknown skippable frames
      src.consume(8);
      return skip_bytes(size);
  }
}

bool LogReader::crash_marker_at(const uint8_t* p, size_t avail) const {
  return avail >= kCrashFrameBytes && get_u32(p) == kCrashFrameMagic &&
         get_u32(p + 4) == kCrashPayloadBytes && std::memcmp(p + 8, kCrashMagic, 8) == 0 &&
         crc32c(p + 8, 12) == get_u32(p + 20);
}

bool LogReader::scan_for_resume(bool any_frame) {
  ByteSource& src = *source_;
  for (;;) {
    const size_t avail = src.fill(ByteSource::kWindowBytes);
    if (avail < 4) return false;
    const uint8_t* p = src.data();
    size_t i = 0;
    for (; i + 4 <= avail; ++i) {
      const uint32_t magic = get_u32(p + i);
      const bool candidate = magic == kCrashFrameMagic ||
                             (any_frame && (magic == kZstdFrameMagic || is_lx_skippable(magic)));
      if (!candidate) continue;
      if (avail - i < kCrashFrameBytes && avail == ByteSource::kWindowBytes) break;  // refill
      if (magic == kCrashFrameMagic && crash_marker_at(p + i, avail - i)) {
        src.consume(i);
        return true;
      }
      if (any_frame && magic != kCrashFrameMagic && magic != kHeaderFrameMagic) {
        src.consume(i);
        return true;
      }
    }
    src.consume(i);
    if (i == 0 && src.fill_more() == 0) return false;
  }
}

Status LogReader::damaged(uint64_t offset, std::string_view reason, bool torn) {
  ByteSource& src = *source_;
  in_frame_ = false;
  frame_error_ = nullptr;
  rpos_ = wpos_ = 0;
  Damage d;
  d.offset = offset;
  d.reason = reason;
  d.torn = torn;
  bool resumed = false;
  if (options_.recovery != Recovery::kStrict && !(options_.follow && torn)) {
    // Look again from just after where the damaged frame began: a crash
    // flush (or, salvaging, any frame) may start inside what the decoder
    // swallowed.
    // Strictly after the damaged frame's start and the last resume point,
    // so every damage moves the reader forward.
    const uint64_t from = std::max({frame_offset_ + 1, good_offset_, last_resume_ + 1});
    if (src.offset() >= from) {
      src.rewind(from);
    } else {
      const uint64_t ahead = from - src.offset();  // at most one byte past a frame start
      src.consume(std::min<uint64_t>(ahead, src.fill(static_cast<size_t>(ahead))));
    }
    const bool any = options_.recovery == Recovery::kSalvage;
    resumed = scan_for_resume(any);
    if (resumed) {
      last_resume_ = src.offset();
      d.dropped_bytes = src.offset() > offset ? src.offset() - offset : 0;
      d.recovered = crash_marker_at(src.data(), src.available());
      resynced_ = true;
      good_offset_ = src.offset();
    }
  }
  if (!resumed) {
    const uint64_t end = src.offset() + src.skip_to_end();
    d.dropped_bytes = end > offset ? end - offset : 0;
    ended_ = true;
  }
  damage_.push_back(d);
  if (options_.on_damage) options_.on_damage(d);
  return ok_status();
}

}  // namespace lx::wal
