// Text forms of records for lxreplay's and lxdiff's reports.
#include "lx/tools/record_text.h"

#include <fmt/format.h>

#include <cinttypes>
#include <cstdio>

namespace lx::tools {

EventBrief brief_of(const wal::Record& record) {
  using wal::RecordType;
  EventBrief b;
  b.event = record.event;
  b.type = record.type;
  switch (record.type) {
    case RecordType::kRecvIncoming:
      b.has_chid = true;
      b.chid = record.chid;
      b.bytes = record.bytes.size();
      break;
    case RecordType::kSentOutgoing:
      b.has_chid = true;
      b.chid = record.chid;
      b.bytes = record.byte_count;
      break;
    case RecordType::kNotifyClose:
    case RecordType::kAcceptResult:
      b.has_chid = true;
      b.chid = record.chid;
      break;
    case RecordType::kNotifyAccept:
      b.port = record.port;
      break;
    case RecordType::kSetLuaSource:
      b.bytes = record.bytes.size();
      break;
    default:
      break;
  }
  return b;
}

std::string describe_brief(const EventBrief& brief) {
  using wal::RecordType;
  std::string out = fmt::format("event {} {}", brief.event, wal::record_type_name(brief.type));
  if (brief.has_chid) out += fmt::format(" chid {}", brief.chid);
  if (brief.type == RecordType::kNotifyAccept) out += fmt::format(" port {}", brief.port);
  if (brief.type == RecordType::kRecvIncoming || brief.type == RecordType::kSentOutgoing ||
      brief.type == RecordType::kSetLuaSource) {
    out += fmt::format(", {} bytes", brief.bytes);
  }
  return out;
}

std::string describe_record(const wal::Record& record, size_t preview_bytes) {
  using wal::RecordType;
  std::string name(wal::record_type_name(record.type));
  switch (record.type) {
    case RecordType::kSetClock:
      return fmt::format("{} {:.6f}", name, record.clock_seconds);
    case RecordType::kSetLuaSource:
      return fmt::format("{} {} bytes", name, record.bytes.size());
    case RecordType::kRecvIncoming:
      return fmt::format("{} chid {}, {} bytes \"{}\"", name, record.chid, record.bytes.size(),
                         escape_bytes(record.bytes, preview_bytes));
    case RecordType::kSentOutgoing:
      return fmt::format("{} chid {}, {} bytes", name, record.chid, record.byte_count);
    case RecordType::kNotifyAccept:
      return fmt::format("{} port {}", name, record.port);
    case RecordType::kNotifyClose:
    case RecordType::kAcceptResult:
      return fmt::format("{} chid {}", name, record.chid);
    case RecordType::kInvokeEventUpdate:
      return name;
    case RecordType::kCheckpoint:
      return fmt::format("{} memhash {} outhash {} heap {}", name, hex64(record.figures.memhash),
                         hex64(record.figures.outhash), record.figures.heap_bytes_in_use);
    case RecordType::kEnd:
      return fmt::format("{} {}", name, wal::end_reason_name(record.end_reason));
  }
  return name;
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
  line.add_u64("event", brief.event);
  line.add_str("event_type", wal::record_type_name(brief.type));
  if (brief.has_chid) line.add_i64("chid", brief.chid);
  if (brief.type == wal::RecordType::kNotifyAccept) line.add_i64("port", brief.port);
  if (brief.type == wal::RecordType::kRecvIncoming ||
      brief.type == wal::RecordType::kSentOutgoing ||
      brief.type == wal::RecordType::kSetLuaSource) {
    line.add_u64("bytes", brief.bytes);
  }
}

}  // namespace lx::tools
