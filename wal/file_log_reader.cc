// The reader's state machine: frames (zstd data frames, lx skippable frames),
// zstd units inside a data frame (decoded one at a time with zstd's
// buffer-less API, so a unit that fails never takes the output of the ones
// before it), then records inside the decoded bytes, with one recovery path
// for every kind of damage (docs/wal-format.md, "Reading").
#include "file_log_reader.h"

// The buffer-less streaming API (ZSTD_decompressBegin, ZSTD_decompressContinue,
// ZSTD_nextSrcSizeToDecompress, ZSTD_getFrameHeader) is exported by libzstd
// and documented in zstd.h's advanced section.
#define ZSTD_STATIC_LINKING_ONLY
#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>

#include "lx/wal/crc32c.h"
#include "lx/wal/ring_recovery.h"
#include "record_parse.h"
#include "source_window.h"

namespace lx::wal {
namespace {

// Largest zstd window a reader accepts: the writer's levels 1..19 stay at or
// under 8 MiB; a hostile frame asking for more allocates nothing.
constexpr uint64_t kMaxWindowBytes = uint64_t{1} << 25;
// Largest index frame a reader loads (about a million checkpoints).
constexpr uint64_t kMaxIndexFrameBytes = uint64_t{64} << 20;
constexpr size_t kBlockMaxBytes = ZSTD_BLOCKSIZE_MAX;
// Largest the decoded-bytes buffer grows: less than one record waits
// unparsed when a block's output is added.
constexpr size_t kMaxRecordsBytes = kMaxPayloadBytes + kMaxRecordOverheadBytes + kBlockMaxBytes;

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
    case HealthState::kNoIndex:
      return "no_index";
    case HealthState::kTornTail:
      return "torn_tail";
    case HealthState::kDamaged:
      return "damaged";
  }
  return "unknown";
}

FileLogReader::FileLogReader(std::unique_ptr<ByteSource> source, uint64_t start_offset,
                             const ReaderOptions& options)
    : source_(std::make_unique<SourceWindow>(std::move(source), start_offset)), options_(options) {
  dctx_ = ZSTD_createDCtx();
  LX_ASSERT(dctx_ != nullptr);
  source_->set_follow(options.follow, options.follow_poll_ms, options.follow_timeout_ms);
}

FileLogReader::~FileLogReader() { ZSTD_freeDCtx(dctx_); }

Result<std::unique_ptr<FileLogReader>> FileLogReader::open_source_at(
    std::unique_ptr<ByteSource> source, uint64_t start_offset, const ReaderOptions& options) {
  std::unique_ptr<FileLogReader> reader(
      new FileLogReader(std::move(source), start_offset, options));
  Status header = reader->read_header();
  if (!header.ok()) return header;
  reader->load_index();
  return reader;
}

Result<std::unique_ptr<FileLogReader>> FileLogReader::open_path(const std::string& path,
                                                                const ReaderOptions& options) {
  if (options.recover_staged) {
    auto recovered = recover_ring_file(path);
    const std::string note = recovered.ok()
                                 ? recovered.value().note
                                 : recovered.status().message() + "; reading the log without them";
    if (!note.empty() && options.on_note) options.on_note(note);
  }
  auto source = open_file_source(path);
  if (!source.ok()) return source.status();
  auto reader = open_source_at(std::move(source).value(), 0, options);
  if (!reader.ok()) return reader.status().with_context(path);
  return reader;
}

Status FileLogReader::read_header() {
  SourceWindow& src = *source_;
  // In follow mode the header may not be written yet: fill() waits for it.
  const size_t n = src.fill(8);
  if (!src.error().ok()) return src.error();
  if (n < 8) {
    return Status::corruption(n == 0 ? "empty file: not an lx log" : "not an lx log (too short)");
  }
  const uint32_t magic = get_u32(src.data());
  if (magic != kHeaderFrameMagic) {
    if (magic == kZstdFrameMagic)
      return Status::corruption("a zstd file, but not an lx log (no lx header)");
    return Status::corruption("not an lx log (no lx header frame)");
  }
  const uint32_t size = get_u32(src.data() + 4);
  if (size > kMaxHeaderPayloadBytes)
    return Status::corruption("not an lx log (header frame too large)");
  if (src.fill(8 + size) < 8 + size) {
    if (!src.error().ok()) return src.error();
    return Status::corruption("torn header: the file ends inside it");
  }
  auto header = parse_header_payload({src.data() + 8, size});
  if (!header.ok()) return header.status();
  header_ = std::move(header).value();
  crc_rule_ = record_crc_for(header_.version_major);
  // A segment starts after the event its opening snapshot is of.
  last_order_ = RecordOrder{header_.first_event - 1, record_rank(RecordType::kCheckpoint)};
  src.consume(8 + size);
  return ok_status();
}

void FileLogReader::load_index() {
  SourceWindow& src = *source_;
  if (!src.seekable() || options_.follow) return;
  const int64_t size = src.size();
  if (size < static_cast<int64_t>(kTrailerFrameBytes) + static_cast<int64_t>(src.offset())) return;
  const uint64_t trailer_at = static_cast<uint64_t>(size) - kTrailerFrameBytes;
  uint8_t trailer_bytes[kTrailerFrameBytes];
  if (!src.read_at(trailer_at, trailer_bytes, kTrailerFrameBytes)) return;
  // No trailer magic at the end: a log without one (a crash); the front-to-
  // back read decides whether it was due.
  if (get_u32(trailer_bytes) != kTrailerFrameMagic) return;
  Trailer trailer;
  if (!parse_trailer_frame(trailer_bytes, &trailer)) {
    damaged_metadata(trailer_at, kTrailerFrameBytes, reason::kBadTrailer, true);
    return;
  }
  // The index must lie between the header and the trailer, exactly.
  if (trailer.index_offset < src.offset() || trailer.index_frame_bytes < 8 ||
      trailer.index_offset + trailer.index_frame_bytes != trailer_at) {
    damaged_metadata(trailer_at, kTrailerFrameBytes, reason::kBadTrailer, true);
    return;
  }
  if (trailer.index_frame_bytes > kMaxIndexFrameBytes) {
    damaged_metadata(trailer.index_offset, trailer.index_frame_bytes, reason::kIndexTooLarge, true);
    return;
  }
  std::vector<uint8_t> frame(trailer.index_frame_bytes);  // bounded above
  if (!src.read_at(trailer.index_offset, frame.data(), frame.size()) ||
      get_u32(frame.data()) != kIndexFrameMagic || get_u32(frame.data() + 4) != frame.size() - 8) {
    damaged_metadata(trailer.index_offset, frame.size(), reason::kBadIndex, true);
    return;
  }
  auto index = parse_index_payload({frame.data() + 8, frame.size() - 8});
  if (!index.ok()) {
    damaged_metadata(trailer.index_offset, frame.size(), reason::kBadIndex, true);
    return;
  }
  index_ = std::move(index).value();
}

uint64_t FileLogReader::file_offset() const { return source_->offset(); }

uint64_t FileLogReader::file_bytes() const {
  const int64_t size = source_->size();
  return size >= 0 ? static_cast<uint64_t>(size) : source_->offset();
}

HealthState FileLogReader::health() const {
  bool torn = false;
  bool metadata = false;
  for (const Damage& d : damage_) {
    if (d.metadata) {
      metadata = true;
      continue;
    }
    if (d.recovered) continue;
    if (!d.torn) return HealthState::kDamaged;
    torn = true;
  }
  if (torn || !end_) return HealthState::kTornTail;
  if (metadata) return HealthState::kNoIndex;
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

Status FileLogReader::seek_to_event(uint64_t event) {
  if (!index_ || index_->frames.empty()) return Status::usage("the log has no index to seek with");
  const FrameEntry& frame = index_->frames[index_->frame_for_event(event)];
  if (!source_->seek(frame.file_offset)) return Status::io("seek failed");
  in_frame_ = false;
  ended_ = false;
  rpos_ = wpos_ = 0;
  units_.clear();
  last_order_ = RecordOrder{frame.first_event == 0 ? 0 : frame.first_event - 1, 0};
  last_serial_ = 0;
  skip_below_event_ = event;
  // Reading on from here is reading that part of the file again: the
  // trailer, the end record and any resynchronisation are still ahead.
  trailer_seen_ = false;
  end_.reset();
  resynced_ = false;
  pending_recovery_.reset();
  last_resume_ = frame.file_offset;
  return ok_status();
}

// Inlined into take_decoded_records, its only caller: the per-record path makes no call
// but the CRC.
// With may_report false (next_records, once a record is in its batch) every
// step that would report damage, or change the reader's state on the way
// to it, returns kStopped first instead.
[[gnu::always_inline]] inline FileLogReader::Taken FileLogReader::accept(const RawRecord& raw,
                                                                         Record* out,
                                                                         bool may_report) {
  // The damage is where the unit that decoded the record began: looked up
  // only when there is damage.
  const size_t record_pos = rpos_ - raw.record_bytes;
  const RecordTypeInfo* info = find_record_type(raw.type);
  if (info == nullptr) {
    if (raw.type >= kFirstIgnorableType) return Taken::kSkipped;  // added by a newer minor version
    if (!may_report) return Taken::kStopped;
    note_damage(unit_offset_of(record_pos), reason::kUnknownRecordType, false, frame_offset_ + 1);
    return Taken::kSkipped;
  }
  // Decoded straight into *out (the caller's record): a record that is then
  // not delivered leaves it changed, as LogReader::next allows. (A copy from
  // a record of the reader's own cost a copy per record, and its wide loads
  // waited on the narrow stores that had just filled the fields.)
  Record& record = *out;
  const char* why = nullptr;
  if (!record_parse::decode_known(raw, info, &record, &why)) {
    if (!may_report) return Taken::kStopped;
    note_damage(unit_offset_of(record_pos), why, false, frame_offset_ + 1);
    return Taken::kSkipped;
  }
  const RecordOrder order{record.event, info->rank};
  const bool snapshot = info->repeats();
  // After the last record delivered (a crash flush's repeat is not). A
  // snapshot record goes by its serial, which rises across the whole log.
  const bool after =
      snapshot ? record.event > last_order_.event ||
                     (record.event == last_order_.event && record.snapshot.serial > last_serial_)
               : order > last_order_;
  // Events follow each other one by one; every other record follows its
  // event.
  const bool in_sequence = info->is_event() ? record.event == last_order_.event + 1
                                            : record.event == last_order_.event && after;
  if (resynced_) {
    // A crash flush repeats records already read; skip them. The first new
    // record must continue the sequence, or events were lost.
    if (!after) return Taken::kSkipped;
    if (!may_report) return Taken::kStopped;
    resynced_ = false;
    if (!in_sequence) {
      Damage gap;
      gap.offset = unit_offset_of(record_pos);
      gap.reason = reason::kEventGap;
      gap.dropped_bytes = 0;
      if (pending_recovery_) {
        // The crash flush did not hold what the damage took.
        damage_[*pending_recovery_].recovered = false;
        report(*pending_recovery_);
        pending_recovery_.reset();
      }
      damage_.push_back(gap);
      report(damage_.size() - 1);
      if (options_.recovery != Recovery::kSalvage) {
        ended_ = true;
        return Taken::kSkipped;
      }
    } else if (pending_recovery_) {
      damage_[*pending_recovery_].recovered = true;
      report(*pending_recovery_);
      pending_recovery_.reset();
    }
  } else if (!in_sequence) {
    if (!may_report) return Taken::kStopped;
    note_damage(unit_offset_of(record_pos), reason::kOutOfSequence, false, frame_offset_ + 1);
    return Taken::kSkipped;
  }
  if (end_) {
    if (!may_report) return Taken::kStopped;
    note_damage(unit_offset_of(record_pos), reason::kAfterEnd, false, frame_offset_ + 1);
    return Taken::kSkipped;
  }
  if (snapshot) {
    last_serial_ = record.snapshot.serial;
  } else {
    last_order_ = order;
  }
  record.frame_offset = frame_offset_;
  if (record.type == RecordType::kEnd) {
    end_ = record;
    if (options_.follow) ended_ = true;  // the index and trailer are not needed
  }
  if (record.event < skip_below_event_) return Taken::kSkipped;
  return Taken::kDelivered;
}

// Inlined into read_records, its only caller: parses and accepts the
// records already decoded until capacity are delivered, more bytes are
// needed or damage ends them (the state says which). After a record is
// delivered it leaves whatever would report damage (may_report: nothing is
// in out yet); a record or bytes left so are parsed again by the next call,
// which reports the damage: the same bytes, the same state. With capacity 1
// (next()) nothing is ever left so.
[[gnu::always_inline]] inline size_t FileLogReader::take_decoded_records(Record* out,
                                                                         size_t capacity) {
  size_t n = 0;
  const uint8_t* const unparsed = in_place_ ? window_.data() : records_.data();
  while (n < capacity && rpos_ < wpos_ && !ended_) {
    RawRecord raw;
    const char* why = nullptr;
    switch (record_parse::parse(unparsed + rpos_, wpos_ - rpos_, crc_rule_, &raw, &why)) {
      case ParseStatus::kOk:
        rpos_ += raw.record_bytes;
        raw_bytes_ += raw.record_bytes;
        switch (accept(raw, out + n, n == 0)) {
          case Taken::kDelivered:
            ++n;
            break;
          case Taken::kSkipped:
            break;
          case Taken::kStopped:  // for the next call, as if not parsed
            rpos_ -= raw.record_bytes;
            raw_bytes_ -= raw.record_bytes;
            return n;
        }
        break;
      case ParseStatus::kCorrupt:
        if (n > 0) return n;
        note_damage(unit_offset_of(rpos_), why, false, frame_offset_ + 1);
        return 0;
      case ParseStatus::kNeedMore:
        if (!in_frame_) {
          if (n > 0) return n;
          note_damage(unit_offset_of(rpos_), reason::kFrameEndsInRecord, false, frame_offset_ + 1);
        }
        return n;
    }
  }
  return n;
}

Status FileLogReader::end_status() const {
  if (options_.recovery == Recovery::kStrict) {
    for (const Damage& d : damage_) {
      if (d.crash_flush && d.recovered) continue;  // what any crash leaves, repaired
      return Status::corruption(fmt::format("damaged log at offset {}: {} ({} bytes dropped)",
                                            d.offset, d.reason, d.dropped_bytes));
    }
  }
  return source_->error();
}

// next()'s and next_records()'s loop: the records decoded, decoding more
// until some are delivered or the log ends. No more bytes are decoded once
// a record is in out (that would move the bytes it points into).
[[gnu::always_inline]] inline Result<size_t> FileLogReader::read_records(Record* out,
                                                                         size_t capacity) {
  for (;;) {
    if (ended_) {
      if (Status s = end_status(); !s.ok()) return s;
      return size_t{0};
    }
    if (const size_t n = take_decoded_records(out, capacity); n > 0) return n;
    if (ended_) continue;
    Status s = in_frame_ ? decode_unit() : read_frame_start();
    if (!s.ok()) return s;
  }
}

Result<bool> FileLogReader::next(Record* out) {
  Result<size_t> n = read_records(out, 1);
  if (!n.ok()) return n.status();
  return n.value() == 1;
}

Result<size_t> FileLogReader::next_records(Record* out, size_t capacity) {
  LX_ASSERT(capacity > 0);
  return read_records(out, capacity);
}

uint64_t FileLogReader::unit_offset_of(size_t pos) const {
  uint64_t offset = frame_offset_;
  for (const UnitStart& u : units_) {
    if (u.pos > pos) break;
    offset = u.offset;
  }
  return offset;
}

Status FileLogReader::begin_zstd_frame() {
  SourceWindow& src = *source_;
  frame_offset_ = src.offset();
  // The frame header says how large a window the frame needs: check it
  // before anything is allocated for it.
  ZSTD_frameHeader zfh;
  size_t need = ZSTD_FRAMEHEADERSIZE_MAX;
  size_t got = src.fill(need);
  const size_t rc = ZSTD_getFrameHeader(&zfh, src.data(), got);
  if (ZSTD_isError(rc))
    return damaged(frame_offset_, reason::kCorruptFrame, false, frame_offset_ + 1);
  if (rc > 0) {
    if (!src.error().ok()) return src.error();
    return damaged(frame_offset_, reason::kTornFrame, true, frame_offset_ + 1);
  }
  if (zfh.frameType != ZSTD_frame || zfh.windowSize > kMaxWindowBytes)
    return damaged(frame_offset_, reason::kWindowTooLarge, false, frame_offset_ + 1);
  const size_t window_bytes = ZSTD_decodingBufferSize_min(zfh.windowSize, zfh.frameContentSize);
  if (ZSTD_isError(window_bytes) || window_bytes > kMaxWindowBytes + 4 * kBlockMaxBytes)
    return damaged(frame_offset_, reason::kWindowTooLarge, false, frame_offset_ + 1);
  // Grows to the largest window seen; never shrinks (a log uses one level).
  if (window_.size() < kWindowPad + window_bytes) window_.resize(kWindowPad + window_bytes);
  window_pos_ = 0;
  raw_block_ = false;
  block_started_ = false;
  const size_t begun = ZSTD_decompressBegin(dctx_);
  LX_ASSERT(!ZSTD_isError(begun));
  in_frame_ = true;
  return ok_status();
}

Status FileLogReader::decode_unit() {
  SourceWindow& src = *source_;
  const size_t need = ZSTD_nextSrcSizeToDecompress(dctx_);
  if (need == 0) {  // the frame is complete
    in_frame_ = false;
    return ok_status();
  }
  const uint64_t unit_offset = src.offset();
  const ZSTD_nextInputType_e unit = ZSTD_nextInputType(dctx_);
  const bool block = unit == ZSTDnit_block || unit == ZSTDnit_lastBlock;
  size_t feed = need;
  if (src.fill(need) < need) {
    if (!src.error().ok()) return src.error();
    // A raw block may be taken in part (zstd copies it as it comes): what a
    // torn raw block holds is not lost. Any other unit needs all its bytes.
    if (!(block && raw_block_ && src.available() > 0))
      return damaged(unit_offset, reason::kTornFrame, true, frame_offset_ + 1);
    feed = src.available();
  }
  // A round buffer of the window: each block goes next to the previous one,
  // or back at the start when it would not fit (zstd.h, buffer-less API); a
  // block taken in parts stays where it began.
  const size_t window_bytes = window_.size() - kWindowPad;
  if (block && !block_started_ && window_bytes - window_pos_ < kBlockMaxBytes) {
    window_pos_ = 0;
    // Before zstd writes over them, the unparsed bytes go where the block's
    // will follow them.
    if (rpos_ < wpos_) keep_unparsed_before_window();
  }
  uint8_t* const window = window_.data() + kWindowPad;
  const size_t produced = ZSTD_decompressContinue(dctx_, window + window_pos_,
                                                  window_bytes - window_pos_, src.data(), feed);
  if (ZSTD_isError(produced)) {
    if (unit == ZSTDnit_checksum && rpos_ == wpos_) {
      // Every record of the frame was delivered and verified by its own CRC:
      // only the frame's checksum bytes are bad. Nothing is lost.
      src.consume(need);
      in_frame_ = false;
      damaged_metadata(unit_offset, need, reason::kFrameChecksum, false);
      return ok_status();
    }
    return damaged(unit_offset, reason::kCorruptFrame, false, frame_offset_ + 1);
  }
  if (unit == ZSTDnit_blockHeader) raw_block_ = ((src.data()[0] >> 1) & 3u) == 0;  // Block_Type 0
  block_started_ = block && feed < need;
  src.consume(feed);
  if (produced == 0) return ok_status();
  // The block's output joins the bytes waiting to be parsed: where zstd
  // wrote it when they end there (or there are none), else copied after them.
  if (rpos_ == wpos_) {
    in_place_ = true;
    rpos_ = wpos_ = kWindowPad + window_pos_;
    units_.clear();
  }
  if (in_place_) {
    // keep_unparsed_before_window keeps this so at every wrap; a frame ends
    // with no bytes unparsed (they are damage) before the next one begins.
    LX_ASSERT_OP(wpos_, ==, kWindowPad + window_pos_);
  } else {
    if (rpos_ > (records_.size() / 2) || (rpos_ > 0 && records_.size() - wpos_ < produced)) {
      // Unparsed bytes move to the front before the buffer grows, so it
      // never holds more than one record and one block's output.
      std::memmove(records_.data(), records_.data() + rpos_, wpos_ - rpos_);
      for (UnitStart& u : units_) u.pos = u.pos >= rpos_ ? u.pos - rpos_ : 0;
      wpos_ -= rpos_;
      rpos_ = 0;
    }
    grow_records(wpos_ + produced);
    std::memcpy(records_.data() + wpos_, window + window_pos_, produced);
  }
  // Only units that still hold unparsed bytes are kept.
  while (units_.size() > 1 && units_[1].pos <= rpos_) units_.erase(units_.begin());
  units_.push_back(UnitStart{wpos_, unit_offset});
  wpos_ += produced;
  window_pos_ += produced;
  return ok_status();
}

void FileLogReader::keep_unparsed_before_window() {
  const size_t unparsed = wpos_ - rpos_;
  const uint8_t* const from = (in_place_ ? window_.data() : records_.data()) + rpos_;
  size_t to = 0;
  if (unparsed <= kWindowPad) {
    // Just before the window: the block zstd writes at its start follows
    // them, and zstd never looks there.
    to = kWindowPad - unparsed;
    // (memmove: after a wrap into a small window they may start in this room.)
    std::memmove(window_.data() + to, from, unparsed);
    in_place_ = true;
  } else if (in_place_) {
    // Longer than the room before the window (a large record): copied out,
    // and the blocks after it are copied after it until none is unparsed.
    grow_records(unparsed);
    std::memcpy(records_.data(), from, unparsed);
    in_place_ = false;
  } else {
    std::memmove(records_.data(), from, unparsed);
  }
  for (UnitStart& u : units_) u.pos = u.pos >= rpos_ ? u.pos - rpos_ + to : to;
  rpos_ = to;
  wpos_ = to + unparsed;
}

void FileLogReader::grow_records(size_t bytes) {
  if (records_.size() >= bytes) return;
  LX_ASSERT_OP(bytes, <=, kMaxRecordsBytes);
  const size_t grown =
      std::max(bytes, std::min(std::max(2 * records_.size(), kBlockMaxBytes), kMaxRecordsBytes));
  records_.reserve(grown);  // exactly: resize() alone may double the capacity
  records_.resize(grown);
}

Status FileLogReader::skip_bytes(uint64_t n) {
  SourceWindow& src = *source_;
  const uint64_t start = src.offset();
  while (n > 0) {
    if (src.available() == 0 && src.fill_more() == 0) {
      if (!src.error().ok()) return src.error();
      return damaged(start, reason::kTornFrame, true, start + 1);
    }
    const size_t step = static_cast<size_t>(std::min<uint64_t>(n, src.available()));
    src.consume(step);
    n -= step;
  }
  return ok_status();
}

Status FileLogReader::at_end_of_input() {
  if (!source_->error().ok()) return source_->error();
  if (pending_recovery_) {
    // The crash flush held only records already read: nothing was lost.
    damage_[*pending_recovery_].recovered = true;
    report(*pending_recovery_);
    pending_recovery_.reset();
  }
  if (!end_) return damaged(source_->offset(), reason::kNoEndRecord, true, source_->offset());
  if (!trailer_seen_ && !index_problem_reported_ && end_->end_reason != EndReason::kCrashed &&
      end_->end_reason != EndReason::kLogError) {
    // The file ends early (torn), but every record is there.
    damaged_metadata(source_->offset(), 0, reason::kNoIndex, true, true);
  }
  ended_ = true;
  return ok_status();
}

Status FileLogReader::read_frame_start() {
  SourceWindow& src = *source_;
  const size_t n = src.fill(8);
  if (n == 0) return at_end_of_input();
  const uint64_t at = src.offset();
  if (n < 4) return damaged(at, reason::kTornFrame, true, at + 1);
  if (trailer_seen_) return damaged(at, reason::kBytesAfterTrailer, false, at + 1);
  const uint32_t magic = get_u32(src.data());
  if (magic == kZstdFrameMagic) return begin_zstd_frame();
  if ((magic & 0xFFFFFFF0u) != kSkippableMagicFirst)
    return damaged(at, reason::kNotAFrame, false, at + 1);
  if (n < 8) return damaged(at, reason::kTornFrame, true, at + 1);
  frame_offset_ = at;
  const uint64_t size = get_u32(src.data() + 4);
  const int64_t file_size = src.size();
  if (file_size >= 0 && !src.following() && at + 8 + size > static_cast<uint64_t>(file_size))
    return damaged(at, reason::kTornFrame, true, at + 1);
  switch (magic) {
    case kHeaderFrameMagic:
      return damaged(at, reason::kSecondHeader, false, at + 1);
    case kTrailerFrameMagic: {
      Trailer trailer;
      const bool whole =
          size == kTrailerPayloadBytes && src.fill(kTrailerFrameBytes) >= kTrailerFrameBytes;
      if (!whole || !parse_trailer_frame(src.data(), &trailer)) {
        // Reported once: at open, when load_index found the same trailer bad.
        if (index_problem_reported_) {
          src.consume(8);
          return skip_bytes(size);
        }
        return damaged(at, reason::kBadTrailer, false, at + 1);
      }
      src.consume(kTrailerFrameBytes);
      trailer_seen_ = true;
      return ok_status();
    }
    case kCrashFrameMagic: {
      if (src.fill(kCrashFrameBytes) < kCrashFrameBytes)
        return damaged(at, reason::kTornFrame, true, at + 1);
      if (!is_crash_marker(src.data(), src.available()))
        return damaged(at, reason::kBadCrashMarker, false, at + 1);
      src.consume(kCrashFrameBytes);
      resynced_ = true;  // the raw frame after it repeats records already read
      return ok_status();
    }
    default:  // the index (read through the trailer) and unknown skippable frames
      src.consume(8);
      return skip_bytes(size);
  }
}

bool FileLogReader::scan_for_resume(bool any_frame) {
  SourceWindow& src = *source_;
  for (;;) {
    const size_t avail = src.fill(SourceWindow::kWindowBytes);
    if (avail < 4) return false;
    const uint8_t* p = src.data();
    size_t i = 0;
    for (; i + 4 <= avail; ++i) {
      const uint32_t magic = get_u32(p + i);
      const bool candidate = magic == kCrashFrameMagic ||
                             (any_frame && (magic == kZstdFrameMagic || is_lx_skippable(magic)));
      if (!candidate) continue;
      // Near the end of a full window, refill before deciding.
      if (avail - i < kCrashFrameBytes && avail == SourceWindow::kWindowBytes) break;
      if (magic == kCrashFrameMagic && is_crash_marker(p + i, avail - i)) {
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

void FileLogReader::report(size_t damage_index) {
  if (options_.on_damage) options_.on_damage(damage_[damage_index]);
}

void FileLogReader::damaged_metadata(uint64_t offset, uint64_t bytes, std::string_view why,
                                     bool metadata, bool torn) {
  Damage d;
  d.torn = torn;
  d.offset = offset;
  d.dropped_bytes = bytes;
  d.reason = why;
  d.recovered = true;
  d.metadata = metadata;
  if (metadata) index_problem_reported_ = true;
  damage_.push_back(d);
  report(damage_.size() - 1);
}

Status FileLogReader::damaged(uint64_t offset, std::string_view why, bool torn,
                              uint64_t rescan_from) {
  note_damage(offset, why, torn, rescan_from);
  return ok_status();
}

void FileLogReader::note_damage(uint64_t offset, std::string_view why, bool torn,
                                uint64_t rescan_from) {
  SourceWindow& src = *source_;
  in_frame_ = false;
  rpos_ = wpos_ = 0;
  units_.clear();
  Damage d;
  d.offset = offset;
  d.reason = why;
  d.torn = torn;
  if (pending_recovery_) {
    // A second damage before the crash flush proved it held everything.
    report(*pending_recovery_);
    pending_recovery_.reset();
  }
  bool resumed = false;
  if (!(options_.follow && torn)) {
    // Look again from just after where the damage began (a crash flush, or
    // when salvaging any frame, may start inside what the decoder took in),
    // but always past the last resume point: every damage moves the reader
    // forward.
    const uint64_t from = std::max(rescan_from, last_resume_ + 1);
    LX_ASSERT_OP(from, >, last_resume_);
    if (src.offset() >= from) {
      src.rewind(from);
    } else {
      const uint64_t ahead = from - src.offset();
      src.consume(static_cast<size_t>(std::min<uint64_t>(
          ahead,
          src.fill(static_cast<size_t>(std::min<uint64_t>(ahead, SourceWindow::kWindowBytes))))));
    }
    resumed = scan_for_resume(options_.recovery == Recovery::kSalvage);
    if (resumed) {
      LX_ASSERT_OP(src.offset(), >, last_resume_);
      last_resume_ = src.offset();
      d.dropped_bytes = src.offset() > offset ? src.offset() - offset : 0;
      resynced_ = true;
    }
  }
  if (!resumed) {
    const uint64_t end = src.offset() + src.skip_to_end();
    d.dropped_bytes = end > offset ? end - offset : 0;
    ended_ = true;
  }
  damage_.push_back(d);
  if (resumed && is_crash_marker(src.data(), src.available())) {
    // Recovered only if the crash flush continues the sequence: decided at
    // its first new record (accept) or at the end of the input.
    damage_.back().crash_flush = true;
    pending_recovery_ = damage_.size() - 1;
  } else {
    report(damage_.size() - 1);
  }
}

}  // namespace lx::wal
