// ReadTrace: everything a read of a log shows, in the order it shows it:
// each record delivered (every field and its bytes, described as they are
// when handed out) and each damage reported through on_damage, then the
// error, the damage list, the health, the end record and the byte count.
// Reading the same log one record at a time (LogReader::next) and in
// batches (next_records) must give equal traces.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "lx/wal/log_reader.h"

namespace lx::wal::test {

inline std::string describe_record(const Record& r) {
  std::ostringstream s;
  s << "R " << static_cast<int>(r.type) << " #" << r.event
    << " clock=" << std::bit_cast<uint64_t>(r.clock_seconds) << " ch=" << r.chid
    << " port=" << r.port << " count=" << r.byte_count << " fig=" << r.figures.event_count << ","
    << r.figures.memhash << "," << r.figures.outhash << "," << r.figures.heap_bytes_in_use
    << " end=" << static_cast<int>(r.end_reason) << "," << r.end_detail
    << " snap=" << r.snapshot.serial << "," << r.snapshot.event << ","
    << static_cast<int>(r.snapshot.flags) << " rb=" << r.record_bytes << " fo=" << r.frame_offset
    << " bytes=" << r.bytes.size() << ":";
  for (uint8_t b : r.bytes)
    s << static_cast<char>('a' + (b & 15)) << static_cast<char>('a' + (b >> 4));
  return s.str();
}

inline std::string describe_damage(const Damage& d) {
  std::ostringstream s;
  s << "D " << d.reason << " at " << d.offset << " dropped " << d.dropped_bytes << " torn "
    << d.torn << " recovered " << d.recovered << " metadata " << d.metadata << " crash "
    << d.crash_flush << " segment " << d.segment;
  return s.str();
}

struct ReadTrace {
  bool opened = false;
  std::vector<std::string> items;  // records and on_damage reports, interleaved as they came
  std::string error;               // of the call that failed, if one did
  std::vector<std::string> damage;
  HealthState health = HealthState::kDamaged;
  std::optional<std::string> end;
  uint64_t raw_bytes = 0;
  size_t calls = 0;  // next() or next_records() calls made
  bool operator==(const ReadTrace& o) const {
    return opened == o.opened && items == o.items && error == o.error && damage == o.damage &&
           health == o.health && end == o.end && raw_bytes == o.raw_bytes;
  }
};

using OpenReader = std::function<Result<std::unique_ptr<LogReader>>(const ReaderOptions& options)>;

// capacity 0: next(); else next_records with that capacity. before_read
// (optional) runs on the opened reader first (a seek).
inline ReadTrace trace_read(const OpenReader& open, ReaderOptions options, size_t capacity,
                            const std::function<void(LogReader&)>& before_read = {}) {
  ReadTrace t;
  options.on_damage = [&t](const Damage& d) { t.items.push_back(describe_damage(d)); };
  auto opened = open(options);
  if (!opened.ok()) {
    t.error = opened.status().message();
    return t;
  }
  t.opened = true;
  LogReader& reader = *opened.value();
  if (before_read) before_read(reader);
  std::vector<Record> batch(capacity == 0 ? 1 : capacity);
  for (;;) {
    ++t.calls;
    if (capacity == 0) {
      auto more = reader.next(&batch[0]);
      if (!more.ok()) {
        t.error = more.status().message();
        break;
      }
      if (!more.value()) break;
      t.items.push_back(describe_record(batch[0]));
    } else {
      auto got = reader.next_records(batch.data(), capacity);
      if (!got.ok()) {
        t.error = got.status().message();
        break;
      }
      if (got.value() == 0) break;
      if (got.value() > capacity) {
        t.error = "next_records returned more than its capacity";
        break;
      }
      for (size_t i = 0; i < got.value(); ++i) t.items.push_back(describe_record(batch[i]));
    }
  }
  for (const Damage& d : reader.damage()) t.damage.push_back(describe_damage(d));
  t.health = reader.health();
  if (auto end = reader.end_record()) t.end = describe_record(*end);
  t.raw_bytes = reader.raw_bytes();
  return t;
}

}  // namespace lx::wal::test
