// lxdump --stats.
#include "dump_stats.h"

#include <fmt/format.h>

#include "lx/tools/json_line.h"
#include "lx/tools/record_text.h"

namespace lx::tools {
namespace {

uint64_t dropped_bytes(const wal::LogReader& reader) {
  uint64_t dropped = 0;
  for (const wal::Damage& d : reader.damage()) dropped += d.dropped_bytes;
  return dropped;
}

}  // namespace

void DumpStats::count(const wal::Record& r, std::optional<int32_t> accepted_chid) {
  ++per_type_[r.type];
  if (r.type == wal::RecordType::kCheckpoint) {
    ++checkpoints_;
    return;
  }
  if (r.type == wal::RecordType::kSnapshotTaken) ++snapshots_;
  if (r.type == wal::RecordType::kSnapshotData) {
    snapshot_bytes_ += r.bytes.size();
    if ((r.snapshot.flags & wal::kSnapshotLast) != 0) ++snapshots_complete_;
  }
  if (!wal::is_event(r.type)) return;
  ++events_;
  if (r.type == wal::RecordType::kSetClock) {
    if (!first_clock_) first_clock_ = r.clock_seconds;
    last_clock_ = r.clock_seconds;
  }
  if (r.info().has(wal::kFieldChid)) {
    ChannelStats& c = channels_[r.chid];
    ++c.events;
    if (r.type == wal::RecordType::kRecvIncoming) c.recv_bytes += r.bytes.size();
    if (r.type == wal::RecordType::kSentOutgoing) c.sent_bytes += r.byte_count;
  }
  if (accepted_chid) ++channels_[*accepted_chid].events;
}

std::string health_detail(const wal::LogReader& reader) {
  const auto end = reader.end_record();
  switch (reader.health()) {
    case wal::HealthState::kClean:
      return "closed cleanly, index present";
    case wal::HealthState::kTruncated:
      return "stopped at --max-log-bytes";
    case wal::HealthState::kCrashed:
      // Signal 0: no crash flush ran (SIGKILL); the staged records were
      // recovered from LOG.ring when the log was next opened.
      if (end && end->end_detail == 0)
        return "the recorder was killed; its staged events were recovered from its ring file";
      return fmt::format("the recorder died of signal {}; staged events were flushed",
                         end ? end->end_detail : 0);
    case wal::HealthState::kLogError:
      return "recording stopped on an I/O error";
    case wal::HealthState::kNoIndex: {
      std::string why = "every record was read; the index and trailer are missing";
      for (const wal::Damage& d : reader.damage())
        if (d.metadata)
          why = fmt::format("every record was read; {} at offset {}", d.reason, d.offset);
      return why;
    }
    case wal::HealthState::kTornTail:
      return fmt::format("the file stops mid-write; {} bytes dropped", dropped_bytes(reader));
    case wal::HealthState::kDamaged:
      return fmt::format("{} damaged span(s), {} bytes dropped", reader.damage().size(),
                         dropped_bytes(reader));
  }
  return "unknown";
}

void DumpStats::print(const wal::LogReader& reader, bool json, std::FILE* out) const {
  const uint64_t file_bytes = reader.file_bytes();
  const uint64_t raw_bytes = reader.raw_bytes();
  const double ratio =
      file_bytes == 0 ? 0.0 : static_cast<double>(raw_bytes) / static_cast<double>(file_bytes);
  const double duration = first_clock_ ? *last_clock_ - *first_clock_ : 0.0;
  const double rate = duration > 0 ? static_cast<double>(events_) / duration : 0.0;
  const std::string_view health = wal::health_state_name(reader.health());
  const auto end = reader.end_record();
  if (json) {
    JsonLine types;
    for (const auto& [type, n] : per_type_) types.add_u64(wal::record_type_name(type), n);
    std::string channels = "[";
    for (const auto& [chid, c] : channels_) {
      JsonLine cj;
      cj.add_i64("chid", chid)
          .add_u64("events", c.events)
          .add_u64("recv_bytes", c.recv_bytes)
          .add_u64("sent_bytes", c.sent_bytes);
      if (channels.size() > 1) channels += ",";
      channels += cj.str();
    }
    channels += "]";
    JsonLine j;
    j.add_str("kind", "stats")
        .add_u64("events", events_)
        .add_raw("per_type", types.str())
        .add_raw("channels", channels)
        .add_double("duration_s", duration)
        .add_double("events_per_s", rate)
        .add_u64("file_bytes", file_bytes)
        .add_u64("raw_bytes", raw_bytes)
        .add_double("compression_ratio", ratio)
        .add_u64("checkpoints", checkpoints_)
        .add_u64("snapshots", snapshots_)
        .add_u64("snapshots_complete", snapshots_complete_)
        .add_u64("snapshot_bytes", snapshot_bytes_)
        .add_str("health", health)
        .add_optional_str("end_reason", end ? wal::end_reason_name(end->end_reason) : "")
        .add_i64("signal", end && end->end_reason == wal::EndReason::kCrashed ? end->end_detail : 0)
        .add_u64("damaged_spans", reader.damage().size())
        .add_u64("dropped_bytes", dropped_bytes(reader));
    j.print(out);
    return;
  }
  fmt::print(out, "events: {}\n", events_);
  for (const auto& [type, n] : per_type_) {
    if (!wal::is_event(type)) continue;
    fmt::print(out, "  {:<20} {}\n", wal::record_type_name(type), n);
  }
  fmt::print(out, "channels: {}\n", channels_.size());
  for (const auto& [chid, c] : channels_)
    fmt::print(out, "  ch={:<6} events {:<8} recv {}B sent {}B\n", chid, c.events, c.recv_bytes,
               c.sent_bytes);
  if (first_clock_) {
    fmt::print(out, "duration: {:.3f} s ({} to {})\n", duration, iso_time(*first_clock_),
               iso_time(*last_clock_));
    fmt::print(out, "events/s: {:.1f}\n", rate);
  } else {
    fmt::print(out, "duration: unknown (no set_clock)\n");
  }
  fmt::print(out, "size: {} file bytes, {} record bytes, compression ratio {:.2f}\n", file_bytes,
             raw_bytes, ratio);
  fmt::print(out, "checkpoints: {}\n", checkpoints_);
  if (snapshots_ != 0) {
    fmt::print(out,
               "snapshots: {} ({} complete), {} bytes of record payload ({:.1f}% of the "
               "record bytes)\n",
               snapshots_, snapshots_complete_, snapshot_bytes_,
               raw_bytes != 0
                   ? 100.0 * static_cast<double>(snapshot_bytes_) / static_cast<double>(raw_bytes)
                   : 0.0);
  }
  fmt::print(out, "health: {} ({})\n", health, health_detail(reader));
}

}  // namespace lx::tools
