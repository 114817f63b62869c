// Text forms of records for lxreplay's and lxdiff's reports.
#include "lx/tools/record_text.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "lx/tools/figures_text.h"

namespace lx::tools {

EventBrief brief_of(const wal::Record& record) {
  EventBrief b;
  b.event = record.event;
  b.type = record.type;
  b.chid = record.chid;
  b.port = record.port;
  b.bytes = record.size_bytes();
  return b;
}

std::string describe_brief(const EventBrief& brief) {
  const wal::RecordTypeInfo& info = wal::record_type_info(brief.type);
  std::string out = fmt::format("event {} {}", brief.event, info.name);
  if (info.has(wal::kFieldChid)) out += fmt::format(" chid {}", brief.chid);
  if (info.has(wal::kFieldPort)) out += fmt::format(" port {}", brief.port);
  if (info.has(wal::kFieldBytes) || info.has(wal::kFieldCount))
    out += fmt::format(", {} bytes", brief.bytes);
  return out;
}

std::string describe_record(const wal::Record& record, size_t preview_bytes) {
  const wal::RecordTypeInfo& info = record.info();
  std::string out(info.name);
  if (info.has(wal::kFieldClock)) out += fmt::format(" {:.6f}", record.clock_seconds);
  if (info.has(wal::kFieldChid)) out += fmt::format(" chid {}", record.chid);
  if (info.has(wal::kFieldPort)) out += fmt::format(" port {}", record.port);
  if (info.has(wal::kFieldCount) || info.has(wal::kFieldBytes))
    out += fmt::format("{} {} bytes", info.has(wal::kFieldChid) ? "," : "", record.size_bytes());
  // The app source is a blob, not a message: its size says enough.
  if (info.has(wal::kFieldBytes) && info.has(wal::kFieldChid))
    out += fmt::format(" \"{}\"", escape_bytes(record.bytes, preview_bytes));
  if (info.has(wal::kFieldFigures)) {
    out += fmt::format(" memhash {} outhash {} heap {}", hex64(record.figures.memhash),
                       hex64(record.figures.outhash), record.figures.heap_bytes_in_use);
  }
  if (info.has(wal::kFieldEnd)) out += fmt::format(" {}", wal::end_reason_name(record.end_reason));
  if (info.has(wal::kFieldSnapshot)) {
    out += fmt::format(" of event {} (serial {})", record.snapshot.event, record.snapshot.serial);
    if ((record.snapshot.flags & wal::kSnapshotLast) != 0) out += " last";
    if ((record.snapshot.flags & wal::kSnapshotAbandoned) != 0) out += " abandoned";
  }
  return out;
}

std::string escape_bytes(std::span<const uint8_t> bytes, size_t max_bytes) {
  std::string out;
  size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = bytes[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  if (n < bytes.size()) out += "...";
  return out;
}

std::string hex64(uint64_t value) { return fmt::format("0x{:016x}", value); }

std::string shell_quote(std::string_view text) {
  bool safe = !text.empty();
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == ':' || c == '=' ||
              c == ',';
    if (!ok) safe = false;
  }
  if (safe) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

void add_brief(JsonLine& line, const EventBrief& brief) {
  const wal::RecordTypeInfo& info = wal::record_type_info(brief.type);
  line.add_u64("event", brief.event);
  line.add_str("record_type", info.name);
  if (info.has(wal::kFieldChid)) line.add_i64("chid", brief.chid);
  if (info.has(wal::kFieldPort)) line.add_i64("port", brief.port);
  if (info.has(wal::kFieldBytes) || info.has(wal::kFieldCount))
    line.add_u64("size_bytes", brief.bytes);
}

void add_record(JsonLine& line, const wal::Record& record, size_t preview_bytes) {
  const wal::RecordTypeInfo& info = record.info();
  line.add_u64("event", record.event);
  line.add_str("record_type", info.name);
  if (info.has(wal::kFieldClock)) {
    line.add_double("clock_seconds", record.clock_seconds);
    line.add_str("time", iso_time(record.clock_seconds));
  }
  if (info.has(wal::kFieldChid)) line.add_i64("chid", record.chid);
  if (info.has(wal::kFieldPort)) line.add_i64("port", record.port);
  if (info.has(wal::kFieldBytes) || info.has(wal::kFieldCount))
    line.add_u64("size_bytes", record.size_bytes());
  // A snapshot's bytes are a piece of a compressed stream: no preview.
  if (info.has(wal::kFieldBytes) && !info.has(wal::kFieldSnapshot)) {
    const auto shown = record.bytes.first(std::min(record.bytes.size(), preview_bytes));
    line.add_bytes("data", shown);
    line.add_str("data_hex", hex_bytes(shown));
    line.add_bool("data_truncated", shown.size() < record.bytes.size());
  }
  if (info.has(wal::kFieldFigures)) add_figures(line, record.figures);
  if (info.has(wal::kFieldEnd)) {
    line.add_str("reason", wal::end_reason_name(record.end_reason));
    line.add_i64("detail", record.end_detail);
  }
  if (info.has(wal::kFieldSnapshot)) {
    line.add_u64("snapshot_event", record.snapshot.event);
    line.add_u64("snapshot_serial", record.snapshot.serial);
    if (record.type == wal::RecordType::kSnapshotData) {
      line.add_bool("snapshot_last", (record.snapshot.flags & wal::kSnapshotLast) != 0);
      line.add_bool("snapshot_abandoned", (record.snapshot.flags & wal::kSnapshotAbandoned) != 0);
    }
  }
}

std::string hex_bytes(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string iso_time(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0)
    return fmt::format("{}", seconds);
  time_t whole = static_cast<time_t>(std::floor(seconds));
  long ms = std::lround((seconds - static_cast<double>(whole)) * 1000.0);
  if (ms == 1000) {
    ++whole;
    ms = 0;
  }
  tm utc{};
  ::gmtime_r(&whole, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
}

}  // namespace lx::tools
