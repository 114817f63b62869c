// Reading a directory of segments as one log (see segment_chain.h).
#include "segment_chain.h"

#include <fmt/format.h>

namespace lx::wal {

Result<std::unique_ptr<LogReader>> SegmentChain::open(const std::string& dir,
                                                      const ReaderOptions& options) {
  if (options.follow) {
    return Status::usage(fmt::format(
        "{}: a directory of segments cannot be followed; follow its last segment instead", dir));
  }
  auto listed = list_segments(dir);
  if (!listed.ok()) return listed.status();
  if (listed.value().empty()) {
    return Status::corruption(fmt::format(
        "{}: no segments in this directory (files named like {}); give a log file, or a "
        "directory that lxrun --record DIR/ wrote",
        dir, segment_file_name(1)));
  }
  std::unique_ptr<SegmentChain> chain(new SegmentChain(dir, options));
  for (SegmentFile& file : listed.value()) {
    // Damage to an index is reported when the segment is read.
    ReaderOptions header_options = options;
    header_options.on_damage = nullptr;
    header_options.on_note = [&options, name = file.name](std::string_view note) {
      if (options.on_note) options.on_note(fmt::format("{}: {}", name, note));
    };
    auto opened = FileLogReader::open_path(file.path, header_options);
    if (!opened.ok()) return opened.status();
    const FileLogReader& reader = *opened.value();
    Segment segment{file, reader.header()};
    segment.file.bytes = reader.file_bytes();  // a staged tail may have been recovered into it
    const LogHeader& h = segment.header;
    if (h.segment == 0) {
      return Status::corruption(
          fmt::format("{}: a log of its own, not a segment of a recording into a directory; "
                      "move it out of {} and read it by its path",
                      file.path, dir));
    }
    if (h.first_event != file.first_event) {
      return Status::corruption(fmt::format(
          "{}: its header says it begins at event {}, its name says {}; give each segment "
          "the name lxrun gave it ({})",
          file.path, h.first_event, file.first_event, segment_file_name(h.first_event)));
    }
    if (!chain->segments_.empty()) {
      const Segment& first = chain->segments_.front();
      if (h.recording_id != first.header.recording_id) {
        return Status::corruption(fmt::format(
            "{}: {} belongs to recording {} and {} to recording {}; a directory holds one "
            "recording: move the other one's segments elsewhere",
            dir, file.name, recording_id_text(h.recording_id), first.file.name,
            recording_id_text(first.header.recording_id)));
      }
      if (h.segment <= chain->segments_.back().header.segment) {
        return Status::corruption(fmt::format(
            "{}: {} is segment {}, but comes after segment {} ({}); give each segment the name "
            "lxrun gave it",
            dir, file.name, h.segment, chain->segments_.back().header.segment,
            chain->segments_.back().file.name));
      }
    }
    chain->merge_index(reader.index());
    chain->segments_.push_back(std::move(segment));
  }
  chain->last_event_ = chain->segments_.front().header.first_event - 1;
  return std::unique_ptr<LogReader>(std::move(chain));
}

void SegmentChain::merge_index(const LogIndex* segment_index) {
  if (index_dropped_) return;
  if (segment_index != nullptr) {
    index_bytes_ += segment_index->frames.size() * sizeof(FrameEntry) +
                    segment_index->checkpoints.size() * sizeof(CheckpointEntry);
  }
  if (segment_index == nullptr || index_bytes_ > kMaxMergedIndexBytes) {
    index_dropped_ = true;
    index_.reset();
    return;
  }
  LogIndex& merged = *index_;
  const auto base = static_cast<uint32_t>(merged.frames.size());
  merged.frames.insert(merged.frames.end(), segment_index->frames.begin(),
                       segment_index->frames.end());
  for (CheckpointEntry checkpoint : segment_index->checkpoints) {
    checkpoint.frame_index += base;
    merged.checkpoints.push_back(checkpoint);
  }
  merged.raw_bytes += segment_index->raw_bytes;
  merged.event_count = segment_index->event_count;
}

Status SegmentChain::open_segment(size_t i) {
  ReaderOptions options = options_;
  options.recover_staged = false;  // open() did it
  options.on_damage = [this, name = segments_[i].file.name](const Damage& d) {
    if (!options_.on_damage) return;
    Damage named = d;
    named.segment = name;
    options_.on_damage(named);
  };
  options.on_note = nullptr;
  auto opened = FileLogReader::open_path(segments_[i].file.path, options);
  if (!opened.ok()) return opened.status();
  reader_ = std::move(opened).value();
  current_ = i;
  return ok_status();
}

void SegmentChain::add_damage(Damage d) {
  damage_.push_back(d);
  if (options_.on_damage) options_.on_damage(damage_.back());
}

Status SegmentChain::end_of_segment() {
  const FileLogReader& reader = *reader_;
  const Segment& segment = segments_[current_];
  for (Damage d : reader.damage()) {
    d.segment = segment.file.name;
    damage_.push_back(std::move(d));
  }
  raw_bytes_done_ += reader.raw_bytes();
  if (reader.end_record() && reader.end_record()->event > last_event_)
    last_event_ = reader.end_record()->event;
  const HealthState health = reader.health();
  auto end_here = [&] {
    ended_ = true;
    end_ = reader.end_record();
    final_health_ = health;
    final_trailer_ = reader.trailer_seen();
    reader_.reset();
    return ok_status();
  };
  if (current_ + 1 == segments_.size()) return end_here();
  if (health == HealthState::kDamaged) {
    damaged_ = true;
    if (options_.recovery != Recovery::kSalvage) return end_here();
  }
  const Segment& next = segments_[current_ + 1];
  const uint64_t expected = last_event_ + 1;
  if (next.header.first_event != expected) {
    Damage gap;
    gap.segment = next.file.name;
    gap.reason = next.header.first_event > expected ? reason::kEventGap : reason::kOutOfSequence;
    damaged_ = true;
    const std::string what =
        next.header.first_event > expected
            ? fmt::format("events {}..{} are in no segment", expected, next.header.first_event - 1)
            : fmt::format("it begins at event {}, after event {} was read", next.header.first_event,
                          last_event_);
    if (options_.recovery == Recovery::kStrict) {
      return Status::corruption(fmt::format("{}: before {}: {}", dir_, next.file.name, what));
    }
    add_damage(gap);
    if (options_.recovery != Recovery::kSalvage) return end_here();
    // Events already read are not read again.
    if (next.header.first_event < expected) skip_below_ = std::max(skip_below_, expected);
  }
  reader_.reset();
  ++current_;
  return ok_status();
}

// The segments' batches, each record through the chain's tests (those kept
// move up in out); next() is the same with a capacity of 1.
Result<size_t> SegmentChain::next_records(Record* out, size_t capacity) {
  for (;;) {
    if (ended_) return size_t{0};
    if (!reader_) {
      if (Status opened = open_segment(current_); !opened.ok()) return opened;
    }
    Result<size_t> got = reader_->next_records(out, capacity);
    if (!got.ok()) return got.status();
    if (got.value() == 0) {
      if (Status s = end_of_segment(); !s.ok()) return s;
      continue;
    }
    size_t kept = 0;
    for (size_t i = 0; i < got.value(); ++i) {
      const Record& r = out[i];
      // The end records between segments are the chain's seams, not its end.
      if (r.type == RecordType::kEnd && current_ + 1 < segments_.size()) continue;
      if (is_event(r.type)) last_event_ = r.event;
      if (r.event < skip_below_) continue;
      if (kept != i) out[kept] = r;
      ++kept;
    }
    if (kept > 0) return kept;
  }
}

Result<bool> SegmentChain::next(Record* out) {
  Result<size_t> got = next_records(out, 1);
  if (!got.ok()) return got.status();
  return got.value() == 1;
}

Status SegmentChain::seek_to_event(uint64_t event) {
  size_t i = 0;
  for (size_t k = 0; k < segments_.size(); ++k)
    if (segments_[k].header.first_event <= event) i = k;
  reader_.reset();
  ended_ = false;
  end_.reset();
  final_health_.reset();
  if (Status opened = open_segment(i); !opened.ok()) return opened;
  last_event_ = std::max(event, segments_[i].header.first_event) - 1;
  skip_below_ = 0;
  if (reader_->can_seek()) return reader_->seek_to_event(event);
  skip_below_ = event;  // read the segment from its start, skipping what comes before
  return ok_status();
}

const std::vector<Damage>& SegmentChain::damage() const {
  all_damage_ = damage_;
  if (reader_) {
    for (Damage d : reader_->damage()) {
      d.segment = segments_[current_].file.name;
      all_damage_.push_back(std::move(d));
    }
  }
  return all_damage_;
}

HealthState SegmentChain::health() const {
  if (damaged_) return HealthState::kDamaged;
  if (final_health_) return *final_health_;
  return reader_ ? reader_->health() : HealthState::kTornTail;
}

bool SegmentChain::trailer_seen() const {
  if (final_health_) return final_trailer_;
  return reader_ && reader_->trailer_seen();
}

uint64_t SegmentChain::raw_bytes() const {
  return raw_bytes_done_ + (reader_ ? reader_->raw_bytes() : 0);
}

uint64_t SegmentChain::file_bytes() const {
  uint64_t bytes = 0;
  for (size_t i = 0; i < segments_.size(); ++i)
    bytes += reader_ && i == current_ ? reader_->file_bytes() : segments_[i].file.bytes;
  return bytes;
}

}  // namespace lx::wal
