// The reader's contract as checks (see reader_check.h): each rule returns the
// first way it was broken as one line, so a fuzzer can abort on it and a
// test can print it.
#include "reader_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "lx/wal/byte_source.h"
#include "lx/wal/crc32c.h"

namespace lx::fuzz {
namespace {

using wal::Damage;
using wal::HealthState;
using wal::Recovery;

std::string_view mode_name(Recovery recovery) {
  switch (recovery) {
    case Recovery::kTolerant:
      return "tolerant";
    case Recovery::kStrict:
      return "strict";
    case Recovery::kSalvage:
      return "salvage";
  }
  return "unknown";
}

bool known_reason(std::string_view reason) {
  return std::find(std::begin(wal::kAllDamageReasons), std::end(wal::kAllDamageReasons), reason) !=
         std::end(wal::kAllDamageReasons);
}

bool same_damage(const Damage& a, const Damage& b) {
  return a.offset == b.offset && a.dropped_bytes == b.dropped_bytes && a.reason == b.reason &&
         a.torn == b.torn && a.recovered == b.recovered && a.metadata == b.metadata &&
         a.crash_flush == b.crash_flush;
}

std::string describe(const Damage& d) {
  return fmt::format("{{offset {}, dropped {}, '{}'{}{}{}{}}}", d.offset, d.dropped_bytes, d.reason,
                     d.torn ? ", torn" : "", d.recovered ? ", recovered" : "",
                     d.metadata ? ", metadata" : "", d.crash_flush ? ", crash flush" : "");
}

RecordDigest digest_of(const wal::Record& record) {
  const wal::PayloadPrefix prefix = wal::encode_prefix(record);
  uint32_t crc = wal::crc32c(prefix.bytes, prefix.size);
  crc = wal::crc32c_extend(crc, record.bytes.data(), record.bytes.size());
  return RecordDigest{record.type, record.event, record.record_bytes, record.frame_offset, crc};
}

std::string describe(const RecordDigest& r) {
  return fmt::format("{} of event {} ({} bytes, frame at {}, crc {:08x})",
                     wal::record_type_name(r.type), r.event, r.record_bytes, r.frame_offset,
                     r.content_crc);
}

// The rules each delivered record must keep, in order (accept() in
// wal/file_log_reader.cc and docs/wal-format.md, "Reading", rules 4 and 6).
class SequenceCheck {
 public:
  // `first_free`: the first record may carry any key (after a seek).
  // `first_event`: the header's; a segment after the first starts there.
  SequenceCheck(bool first_free, uint64_t first_event)
      : first_free_(first_free),
        last_{first_event - 1, wal::record_rank(wal::RecordType::kCheckpoint)} {}

  // A kEventGap damage was reported: the next record may skip events.
  void gap_reported() { gap_ = true; }

  std::string next(const wal::Record& record, uint64_t log_bytes) {
    const wal::RecordOrder order = wal::record_order(record);
    const bool snapshot = record.info().repeats();
    const bool first = count_++ == 0;
    std::string broken;
    if (end_seen_) {
      broken = "a record after the end record";
    } else if (first && first_free_) {
      // Any key may start a sought read.
    } else if (snapshot && record.snapshot.serial <= last_serial_) {
      broken = fmt::format("snapshot serial {} does not rise after {}", record.snapshot.serial,
                           last_serial_);
    } else if (snapshot && record.event < last_.event) {
      broken =
          fmt::format("a snapshot record of event {} after event {}", record.event, last_.event);
    } else if (!snapshot && order <= last_) {
      broken = fmt::format("(event, rank) ({}, {}) does not rise after ({}, {})", order.event,
                           order.rank, last_.event, last_.rank);
    } else if (!gap_) {
      const uint64_t want = wal::is_event(record.type) ? last_.event + 1 : last_.event;
      if (record.event != want) {
        broken = fmt::format("event {} after event {} with no '{}' reported", record.event,
                             last_.event, wal::reason::kEventGap);
      }
    }
    if (broken.empty() && record.bytes.size() > record.info().max_payload_bytes()) {
      broken = fmt::format("a payload of {} bytes, over its type's limit of {}",
                           record.bytes.size(), record.info().max_payload_bytes());
    }
    if (broken.empty() && record.frame_offset >= log_bytes) {
      broken = fmt::format("a frame offset {} past the input's {} bytes", record.frame_offset,
                           log_bytes);
    }
    if (!broken.empty()) return fmt::format("{}: {}", describe(digest_of(record)), broken);
    if (snapshot) {
      last_serial_ = record.snapshot.serial;
    } else {
      last_ = order;
    }
    end_seen_ = record.type == wal::RecordType::kEnd;
    gap_ = false;
    return {};
  }

 private:
  bool first_free_;
  uint64_t count_ = 0;
  // The reader's start: the header's first event (rank 0) comes first, or an
  // end record at the event before it (a log or segment closed before its
  // first event). The header refuses a first event of 0.
  wal::RecordOrder last_;
  uint64_t last_serial_ = 0;
  bool end_seen_ = false;
  bool gap_ = false;
};

// Rules on the damage list of a finished read.
std::string check_damage(const std::vector<Damage>& damage, const std::vector<Damage>& reported,
                         uint64_t log_bytes) {
  if (reported.size() != damage.size()) {
    return fmt::format("{} damage spans kept but {} reported through on_damage", damage.size(),
                       reported.size());
  }
  for (size_t i = 0; i < damage.size(); ++i) {
    const Damage& d = damage[i];
    if (!same_damage(d, reported[i])) {
      return fmt::format("damage {} reported as {} but kept as {}", i, describe(reported[i]),
                         describe(d));
    }
    if (!known_reason(d.reason)) return fmt::format("damage {} has an unknown reason", i);
    if (d.offset > log_bytes || d.dropped_bytes > log_bytes - d.offset) {
      return fmt::format("damage {} {} lies outside the input's {} bytes", i, describe(d),
                         log_bytes);
    }
  }
  // Resumes happen at frame magics (4 bytes that cannot overlap one another),
  // each strictly after the last: per 4 bytes at most one resumed damage, one
  // gap after it and one frame checksum, plus the index, trailer and end.
  const uint64_t bound = 3 * log_bytes / 4 + 8;
  if (damage.size() > bound) {
    return fmt::format("{} damage spans in {} bytes (at most {})", damage.size(), log_bytes, bound);
  }
  return {};
}

std::string check_health(const ReadOutcome& out, const wal::LogReader& reader, Recovery recovery) {
  bool lost = false;  // an unrecovered, untorn, non-metadata damage
  for (const Damage& d : out.damage) lost = lost || (!d.recovered && !d.torn && !d.metadata);
  if (lost && out.health != HealthState::kDamaged) {
    return fmt::format("records were lost to damage but health is {}",
                       wal::health_state_name(out.health));
  }
  if (out.damage.empty() &&
      (out.health == HealthState::kDamaged || out.health == HealthState::kTornTail ||
       out.health == HealthState::kNoIndex)) {
    return fmt::format("no damage reported but health is {}", wal::health_state_name(out.health));
  }
  if (out.health == HealthState::kClean) {
    for (const Damage& d : out.damage) {
      if (!d.recovered || d.metadata) return "health clean over damage " + describe(d);
    }
    if (!reader.trailer_seen()) return "health clean without a trailer";
    if (!reader.end_record() || reader.end_record()->end_reason != wal::EndReason::kClosed)
      return "health clean without a 'closed' end record";
  }
  const bool repaired_only = std::all_of(out.damage.begin(), out.damage.end(), [](const Damage& d) {
    return d.crash_flush && d.recovered;
  });
  if (recovery == Recovery::kStrict && out.failed == repaired_only) {
    return out.failed ? "strict mode failed over damage a crash flush repaired: " + out.error
                      : "strict mode ended without an error over damage";
  }
  if (recovery != Recovery::kStrict && out.failed) {
    return fmt::format("next() failed in {} mode on a memory source: {}", mode_name(recovery),
                       out.error);
  }
  return {};
}

// Reads on to the end from where `reader` is, checking each record.
std::string read_records(wal::LogReader& reader, SequenceCheck& sequence,
                         const std::vector<Damage>& reported, size_t* gaps_seen, uint64_t log_bytes,
                         ReadOutcome* out) {
  wal::Record record;
  for (;;) {
    auto more = reader.next(&record);
    if (!more.ok()) {
      out->failed = true;
      out->error = more.status().message();
      if (more.status().kind() != ErrorKind::kCorrupt)
        return "next() failed with an error that is not kCorrupt: " + out->error;
      return {};
    }
    if (!more.value()) return {};
    for (; *gaps_seen < reported.size(); ++*gaps_seen) {
      if (reported[*gaps_seen].reason == wal::reason::kEventGap) sequence.gap_reported();
    }
    std::string broken = sequence.next(record, log_bytes);
    if (!broken.empty()) return broken;
    out->records.push_back(digest_of(record));
    if (reader.damage().empty()) out->clean_prefix = out->records.size();
  }
}

}  // namespace

std::string read_and_check(std::span<const uint8_t> log, Recovery recovery, ReadOutcome* out) {
  *out = ReadOutcome{};
  std::vector<Damage> reported;
  wal::ReaderOptions options;
  options.recovery = recovery;
  options.on_damage = [&reported](const Damage& d) { reported.push_back(d); };
  auto opened = wal::LogReader::open_source(wal::memory_source({log.begin(), log.end()}), options);
  if (!opened.ok()) {
    out->open_error = opened.status().message();
    if (opened.status().kind() != ErrorKind::kCorrupt)
      return "open failed with an error that is not kCorrupt: " + out->open_error;
    return {};
  }
  out->opened = true;
  wal::LogReader& reader = *opened.value();
  if (reader.index() != nullptr) out->index = *reader.index();
  SequenceCheck sequence(false, reader.header().first_event);
  size_t gaps_seen = 0;
  std::string broken = read_records(reader, sequence, reported, &gaps_seen, log.size(), out);
  out->damage = reader.damage();
  out->health = reader.health();
  if (broken.empty()) broken = check_damage(out->damage, reported, log.size());
  if (broken.empty()) broken = check_health(*out, reader, recovery);
  return broken;
}

std::string check_modes_agree(const ReadOutcome& tolerant, const ReadOutcome& strict,
                              const ReadOutcome& salvage) {
  const std::pair<const ReadOutcome*, std::string_view> others[] = {{&strict, "strict"},
                                                                    {&salvage, "salvage"}};
  for (const auto& [other, name] : others) {
    if (other->opened != tolerant.opened || other->open_error != tolerant.open_error)
      return fmt::format("tolerant and {} modes open differently", name);
    if (other->clean_prefix != tolerant.clean_prefix) {
      return fmt::format("tolerant mode gives {} records before damage, {} mode {}",
                         tolerant.clean_prefix, name, other->clean_prefix);
    }
    for (size_t i = 0; i < tolerant.clean_prefix; ++i) {
      if (!(other->records[i] == tolerant.records[i])) {
        return fmt::format("record {} before damage: tolerant mode gives {}, {} mode {}", i,
                           describe(tolerant.records[i]), name, describe(other->records[i]));
      }
    }
    if (other->damage.empty() != tolerant.damage.empty())
      return fmt::format("tolerant and {} modes disagree on whether there is damage", name);
    if (tolerant.damage.empty()) {
      if (other->records != tolerant.records || other->health != tolerant.health)
        return fmt::format("without damage, tolerant and {} modes read differently", name);
    } else if (other->damage[0].offset != tolerant.damage[0].offset ||
               other->damage[0].reason != tolerant.damage[0].reason) {
      return fmt::format("first damage: tolerant mode {}, {} mode {}", describe(tolerant.damage[0]),
                         name, describe(other->damage[0]));
    }
  }
  return {};
}

std::string seek_and_check(std::span<const uint8_t> log, const ReadOutcome& full, uint64_t event) {
  std::vector<Damage> reported;
  wal::ReaderOptions options;
  options.on_damage = [&reported](const Damage& d) { reported.push_back(d); };
  auto opened = wal::LogReader::open_source(wal::memory_source({log.begin(), log.end()}), options);
  if (!opened.ok()) return "a second open failed: " + opened.status().message();
  wal::LogReader& reader = *opened.value();
  if (reader.index() == nullptr) return "a second open found no index";
  Status sought = reader.seek_to_event(event);
  // A seek through a damaged (or hostile but CRC-valid) index may fail; it
  // must fail cleanly, which reaching here shows.
  if (!sought.ok()) return {};
  ReadOutcome out;
  SequenceCheck sequence(true, reader.header().first_event);
  size_t gaps_seen = 0;
  std::string broken = read_records(reader, sequence, reported, &gaps_seen, log.size(), &out);
  if (broken.empty()) broken = check_damage(reader.damage(), reported, log.size());
  for (const RecordDigest& r : out.records) {
    if (!broken.empty()) break;
    if (r.event < event) broken = describe(r) + " delivered after a seek to a later event";
  }
  if (!broken.empty()) return fmt::format("after a seek to event {}: {}", event, broken);
  // The index names the frames the full read saw: the seek must give what the
  // full read gave from `event` on.
  if (full.health != HealthState::kClean || !full.index) return {};
  std::set<uint64_t> frames_seen;
  for (const RecordDigest& r : full.records) frames_seen.insert(r.frame_offset);
  for (const wal::FrameEntry& f : full.index->frames) {
    if (frames_seen.count(f.file_offset) == 0) return {};
  }
  std::vector<RecordDigest> want;
  for (const RecordDigest& r : full.records) {
    if (r.event >= event) want.push_back(r);
  }
  if (out.records != want) {
    return fmt::format(
        "a seek to event {} of a clean log gives {} records where the full read gives {}", event,
        out.records.size(), want.size());
  }
  return {};
}

std::string compare_reads(const ReadOutcome& a, const ReadOutcome& b) {
  if (a.opened != b.opened || a.open_error != b.open_error) return "the two opens differ";
  if (a.records.size() != b.records.size())
    return fmt::format("{} records, then {}", a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    if (!(a.records[i] == b.records[i]))
      return fmt::format("record {}: {}, then {}", i, describe(a.records[i]),
                         describe(b.records[i]));
  }
  if (a.damage.size() != b.damage.size())
    return fmt::format("{} damage spans, then {}", a.damage.size(), b.damage.size());
  for (size_t i = 0; i < a.damage.size(); ++i) {
    if (!same_damage(a.damage[i], b.damage[i]))
      return fmt::format("damage {}: {}, then {}", i, describe(a.damage[i]), describe(b.damage[i]));
  }
  if (a.health != b.health || a.failed != b.failed || a.error != b.error)
    return "health or the final error differ";
  return {};
}

std::string check_log(std::span<const uint8_t> log, bool twice) {
  ReadOutcome outcomes[3];
  const Recovery modes[3] = {Recovery::kTolerant, Recovery::kStrict, Recovery::kSalvage};
  for (int i = 0; i < 3; ++i) {
    std::string broken = read_and_check(log, modes[i], &outcomes[i]);
    if (!broken.empty()) return fmt::format("{} mode: {}", mode_name(modes[i]), broken);
  }
  std::string broken = check_modes_agree(outcomes[0], outcomes[1], outcomes[2]);
  if (!broken.empty()) return broken;
  const ReadOutcome& tolerant = outcomes[0];
  if (tolerant.index && !tolerant.index->frames.empty()) {
    // One seek per input (each reader costs as much as a whole small read):
    // into a frame the size picks, at or a few events past its start.
    const std::vector<wal::FrameEntry>& frames = tolerant.index->frames;
    const uint64_t event = frames[log.size() % frames.size()].first_event + log.size() % 5;
    broken = seek_and_check(log, tolerant, event);
    if (!broken.empty()) return "tolerant mode: " + broken;
  }
  if (twice) {
    ReadOutcome again;
    broken = read_and_check(log, Recovery::kTolerant, &again);
    if (broken.empty()) broken = compare_reads(tolerant, again);
    if (!broken.empty()) return "a second tolerant read: " + broken;
  }
  return {};
}

}  // namespace lx::fuzz
