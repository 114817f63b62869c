// lxdump: reads a log with LogReader and prints each selected event as one
// line of text or JSON, or statistics about the whole selection. Output
// formats are documented in docs/recording.md ("Reading a log with lxdump").
#include "lxdump.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "lx/wal/log_reader.h"

namespace lx::tools {
namespace {

using wal::Record;
using wal::RecordType;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;
constexpr int kExitIo = 4;

struct Range {
  uint64_t first = 1;
  uint64_t last = UINT64_MAX;
  bool end = false;
};

bool parse_number(const std::string& text, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = v;
  return true;
}

// N, N-M, N-, -M or "end".
bool parse_range(const std::string& text, Range* range) {
  if (text.empty()) return true;
  if (text == "end") {
    range->end = true;
    return true;
  }
  const size_t dash = text.find('-');
  if (dash == std::string::npos) {
    if (!parse_number(text, &range->first)) return false;
    range->last = range->first;
  } else {
    const std::string a = text.substr(0, dash);
    const std::string b = text.substr(dash + 1);
    if (a.empty() && b.empty()) return false;
    if (!a.empty() && !parse_number(a, &range->first)) return false;
    if (!b.empty() && !parse_number(b, &range->last)) return false;
  }
  return range->first >= 1 && range->first <= range->last;
}

// Printable ASCII as is; quote, backslash and \n \r \t escaped; any other
// byte as \xHH (text) or \u00HH (JSON: the code point of the same value,
// so bytes round trip through Latin-1).
std::string escape(std::string_view bytes, bool json) {
  std::string s;
  for (unsigned char b : bytes) {
    switch (b) {
      case '"':
        s += "\\\"";
        break;
      case '\\':
        s += "\\\\";
        break;
      case '\n':
        s += "\\n";
        break;
      case '\r':
        s += "\\r";
        break;
      case '\t':
        s += "\\t";
        break;
      default:
        if (b >= 0x20 && b < 0x7F) {
          s += static_cast<char>(b);
        } else {
          s += json ? fmt::format("\\u{:04x}", b) : fmt::format("\\x{:02x}", b);
        }
    }
  }
  return s;
}

std::string escape_text(std::span<const uint8_t> bytes) {
  return escape({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, false);
}

std::string json_string(std::string_view bytes) { return "\"" + escape(bytes, true) + "\""; }

std::string json_bytes(std::span<const uint8_t> bytes) {
  return json_string({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

std::string hex(std::span<const uint8_t> bytes) {
  std::string s;
  for (uint8_t b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

// 2026-11-23T14:05:01.250Z, or the raw number when it is no sensible time.
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

std::string json_number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : std::string("null");
}

bool has_chid(RecordType type) {
  return type == RecordType::kRecvIncoming || type == RecordType::kSentOutgoing ||
         type == RecordType::kNotifyClose;
}

struct ChannelStats {
  uint64_t events = 0;
  uint64_t recv_bytes = 0;
  uint64_t sent_bytes = 0;
};

class Dumper {
 public:
  Dumper(const LxdumpOptions& options, const Range& range, std::FILE* out)
      : options_(options), range_(range), out_(out) {}

  void print_header(const wal::LogHeader& h, const std::string& name);
  // Takes every record in log order.
  void take(const Record& record);
  void finish();  // flushes a pending accept
  void print_stats(const wal::LogReader& reader);
  bool past_range(const Record& record) const {
    return wal::is_event(record.type) && record.event > range_.last;
  }

 private:
  bool selected(const Record& record, int32_t accepted_chid) const;
  void emit(const Record& record, std::optional<int32_t> accepted_chid);
  void count(const Record& record, std::optional<int32_t> accepted_chid);
  std::string preview(const Record& record, bool json) const;

  const LxdumpOptions& options_;
  const Range range_;
  std::FILE* out_;
  std::optional<Record> pending_accept_;  // waits for its accept_result
  // Statistics over the selected records.
  uint64_t per_type_[32] = {};
  std::map<int32_t, ChannelStats> channels_;
  uint64_t events_ = 0;
  uint64_t checkpoints_ = 0;
  std::optional<double> first_clock_, last_clock_;
};

void Dumper::print_header(const wal::LogHeader& h, const std::string& name) {
  if (options_.stats) return;
  if (options_.json) {
    fmt::print(out_,
               "{{\"kind\":\"header\",\"file\":{},\"format\":\"{}.{}\",\"engine_abi_version\":{},"
               "\"engine_build_id\":{},\"seed\":\"{}\",\"heap_base\":\"0x{:x}\",\"heap_bytes\":{},"
               "\"app_source_digest\":\"{}\",\"host_name\":{},\"start_time\":\"{}\","
               "\"checkpoint_every\":{},\"flush_ms\":{},\"fsync\":\"{}\",\"zstd_level\":{},"
               "\"max_log_bytes\":{},\"frame_restart_bytes\":{},\"options\":{},\"limits\":{}}}\n",
               json_string(name), h.version_major, h.version_minor, h.engine_abi_version,
               json_string(h.engine_build_id), h.seed, h.heap_base, h.heap_bytes,
               hex(h.app_source_digest), json_string(h.host_name),
               iso_time(static_cast<double>(h.start_wall_time_ns) / 1e9), h.checkpoint_every,
               h.flush_ms, wal::fsync_mode_name(h.fsync), h.zstd_level, h.max_log_bytes,
               h.frame_restart_bytes, json_string(h.options_text),
               h.limits ? fmt::format("{{\"instruction_budget\":{},\"memory_cap_bytes\":{}}}",
                                      h.limits->instruction_budget, h.limits->memory_cap_bytes)
                        : std::string("null"));
    return;
  }
  fmt::print(out_, "# lx log {} (format {}.{})\n", name, h.version_major, h.version_minor);
  fmt::print(out_, "# engine abi {}, build {}\n", h.engine_abi_version,
             h.engine_build_id.empty()
                 ? "-"
                 : escape_text({reinterpret_cast<const uint8_t*>(h.engine_build_id.data()),
                                h.engine_build_id.size()}));
  fmt::print(out_, "# seed {}, heap 0x{:x} + {} bytes, app source digest {}\n", h.seed, h.heap_base,
             h.heap_bytes, h.app_source_digest.empty() ? "-" : hex(h.app_source_digest));
  fmt::print(
      out_, "# recorded on {} at {}\n",
      escape_text({reinterpret_cast<const uint8_t*>(h.host_name.data()), h.host_name.size()}),
      iso_time(static_cast<double>(h.start_wall_time_ns) / 1e9));
  fmt::print(out_,
             "# recorder: checkpoint_every={} flush_ms={} fsync={} zstd_level={} "
             "max_log_bytes={} frame_restart_bytes={}\n",
             h.checkpoint_every, h.flush_ms, wal::fsync_mode_name(h.fsync), h.zstd_level,
             h.max_log_bytes, h.frame_restart_bytes);
  fmt::print(out_, "# limits: {}\n", wal::app_limits_text(h.limits));
  size_t at = 0;
  while (at < h.options_text.size()) {
    size_t nl = h.options_text.find('\n', at);
    if (nl == std::string::npos) nl = h.options_text.size();
    const std::string_view line(h.options_text.data() + at, nl - at);
    if (!line.empty())
      fmt::print(out_, "# option {}\n",
                 escape_text({reinterpret_cast<const uint8_t*>(line.data()), line.size()}));
    at = nl + 1;
  }
}

bool Dumper::selected(const Record& r, int32_t accepted_chid) const {
  if (r.event < range_.first || r.event > range_.last) return false;
  const bool is_checkpoint = r.type == RecordType::kCheckpoint;
  if (!options_.type.empty() && wal::record_type_name(r.type) != options_.type) return false;
  if (is_checkpoint && !options_.checkpoints && options_.type != "checkpoint" && !options_.stats)
    return false;
  if (options_.channel) {
    if (r.type == RecordType::kNotifyAccept) return accepted_chid == *options_.channel;
    if (!has_chid(r.type)) return false;
    return r.chid == *options_.channel;
  }
  return true;
}

std::string Dumper::preview(const Record& r, bool json) const {
  const size_t n = std::min(r.bytes.size(), options_.max_bytes);
  const auto shown = r.bytes.first(n);
  const bool truncated = n < r.bytes.size();
  if (json) {
    return fmt::format(",\"data\":{},\"data_hex\":\"{}\",\"data_truncated\":{}", json_bytes(shown),
                       hex(shown), truncated ? "true" : "false");
  }
  return fmt::format(" \"{}\"{}", escape_text(shown), truncated ? "..." : "");
}

void Dumper::take(const Record& r) {
  if (pending_accept_) {
    const Record accept = *pending_accept_;
    pending_accept_.reset();
    if (r.type == RecordType::kAcceptResult && r.event == accept.event) {
      if (selected(accept, r.chid)) emit(accept, r.chid);
      return;
    }
    if (selected(accept, INT32_MIN)) emit(accept, std::nullopt);
  }
  switch (r.type) {
    case RecordType::kNotifyAccept:
      pending_accept_ = r;
      return;
    case RecordType::kAcceptResult:
      return;  // its accept was not seen (a seek)
    case RecordType::kEnd:
      if (options_.stats) return;
      if (options_.json) {
        fmt::print(out_, "{{\"kind\":\"end\",\"event\":{},\"reason\":\"{}\",\"detail\":{}}}\n",
                   r.event, wal::end_reason_name(r.end_reason), r.end_detail);
      } else if (r.end_reason == wal::EndReason::kCrashed) {
        fmt::print(out_, "# end: crashed (signal {}) after #{}\n", r.end_detail, r.event);
      } else {
        fmt::print(out_, "# end: {} after #{}\n", wal::end_reason_name(r.end_reason), r.event);
      }
      return;
    default:
      if (selected(r, INT32_MIN)) emit(r, std::nullopt);
  }
}

void Dumper::finish() {
  if (!pending_accept_) return;
  const Record accept = *pending_accept_;
  pending_accept_.reset();
  if (selected(accept, INT32_MIN)) emit(accept, std::nullopt);
}

void Dumper::count(const Record& r, std::optional<int32_t> accepted_chid) {
  const auto type = static_cast<size_t>(r.type);
  if (type < std::size(per_type_)) ++per_type_[type];
  if (r.type == RecordType::kCheckpoint) {
    ++checkpoints_;
    return;
  }
  ++events_;
  if (r.type == RecordType::kSetClock) {
    if (!first_clock_) first_clock_ = r.clock_seconds;
    last_clock_ = r.clock_seconds;
  }
  if (has_chid(r.type)) {
    ChannelStats& c = channels_[r.chid];
    ++c.events;
    if (r.type == RecordType::kRecvIncoming) c.recv_bytes += r.bytes.size();
    if (r.type == RecordType::kSentOutgoing) c.sent_bytes += r.byte_count;
  }
  if (accepted_chid) ++channels_[*accepted_chid].events;
}

void Dumper::emit(const Record& r, std::optional<int32_t> accepted_chid) {
  if (options_.stats) {
    count(r, accepted_chid);
    return;
  }
  const bool json = options_.json;
  const std::string_view name = wal::record_type_name(r.type);
  std::string line;
  if (json) {
    line = fmt::format("{{\"kind\":\"{}\",\"event\":{}",
                       r.type == RecordType::kCheckpoint ? "checkpoint" : "event", r.event);
    if (r.type != RecordType::kCheckpoint) line += fmt::format(",\"type\":\"{}\"", name);
  } else {
    line = fmt::format("#{} {}", r.event, name);
  }
  switch (r.type) {
    case RecordType::kSetClock:
      line += json ? fmt::format(",\"t\":{},\"time\":\"{}\"", json_number(r.clock_seconds),
                                 iso_time(r.clock_seconds))
                   : fmt::format(" t={}", iso_time(r.clock_seconds));
      break;
    case RecordType::kSetLuaSource:
      line += json ? fmt::format(",\"size_bytes\":{}", r.bytes.size())
                   : fmt::format(" {}B", r.bytes.size());
      line += preview(r, json);
      break;
    case RecordType::kRecvIncoming:
      line += json ? fmt::format(",\"chid\":{},\"size_bytes\":{}", r.chid, r.bytes.size())
                   : fmt::format(" ch={} {}B", r.chid, r.bytes.size());
      line += preview(r, json);
      break;
    case RecordType::kSentOutgoing:
      line += json ? fmt::format(",\"chid\":{},\"size_bytes\":{}", r.chid, r.byte_count)
                   : fmt::format(" ch={} {}B", r.chid, r.byte_count);
      break;
    case RecordType::kNotifyAccept: {
      const std::string chid =
          accepted_chid ? std::to_string(*accepted_chid) : std::string(json ? "null" : "?");
      line += json ? fmt::format(",\"port\":{},\"chid\":{}", r.port, chid)
                   : fmt::format(" port={} ch={}", r.port, chid);
      break;
    }
    case RecordType::kNotifyClose:
      line += json ? fmt::format(",\"chid\":{}", r.chid) : fmt::format(" ch={}", r.chid);
      break;
    case RecordType::kCheckpoint:
      line += json ? fmt::format(
                         ",\"event_count\":{},\"memhash\":\"0x{:016x}\",\"outhash\":\"0x{:016x}\","
                         "\"heap_bytes\":{}",
                         r.figures.event_count, r.figures.memhash, r.figures.outhash,
                         r.figures.heap_bytes_in_use)
                   : fmt::format(" events={} memhash=0x{:016x} outhash=0x{:016x} heap={}B",
                                 r.figures.event_count, r.figures.memhash, r.figures.outhash,
                                 r.figures.heap_bytes_in_use);
      break;
    default:
      break;
  }
  if (json) line += "}";
  line += "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  if (options_.follow) std::fflush(out_);
}

void Dumper::print_stats(const wal::LogReader& reader) {
  const uint64_t file_bytes = reader.file_bytes();
  const uint64_t raw_bytes = reader.raw_bytes();
  const double ratio =
      file_bytes == 0 ? 0.0 : static_cast<double>(raw_bytes) / static_cast<double>(file_bytes);
  const double duration = first_clock_ ? *last_clock_ - *first_clock_ : 0.0;
  const double rate = duration > 0 ? static_cast<double>(events_) / duration : 0.0;
  const std::string health(wal::health_state_name(reader.health()));
  uint64_t dropped = 0;
  for (const wal::Damage& d : reader.damage()) dropped += d.dropped_bytes;
  const auto end = reader.end_record();
  if (options_.json) {
    std::string types, channels;
    for (size_t t = 0; t < std::size(per_type_); ++t) {
      if (per_type_[t] == 0) continue;
      types += fmt::format("{}\"{}\":{}", types.empty() ? "" : ",",
                           wal::record_type_name(static_cast<RecordType>(t)), per_type_[t]);
    }
    for (const auto& [chid, c] : channels_) {
      channels +=
          fmt::format("{}{{\"chid\":{},\"events\":{},\"recv_bytes\":{},\"sent_bytes\":{}}}",
                      channels.empty() ? "" : ",", chid, c.events, c.recv_bytes, c.sent_bytes);
    }
    fmt::print(out_,
               "{{\"kind\":\"stats\",\"events\":{},\"per_type\":{{{}}},\"channels\":[{}],"
               "\"duration_s\":{},\"events_per_s\":{},\"file_bytes\":{},\"raw_bytes\":{},"
               "\"compression_ratio\":{},\"checkpoints\":{},\"health\":\"{}\","
               "\"end_reason\":{},\"signal\":{},\"damaged_spans\":{},\"dropped_bytes\":{}}}\n",
               events_, types, channels, json_number(duration), json_number(rate), file_bytes,
               raw_bytes, json_number(ratio), checkpoints_, health,
               end ? "\"" + std::string(wal::end_reason_name(end->end_reason)) + "\"" : "null",
               end && end->end_reason == wal::EndReason::kCrashed ? end->end_detail : 0,
               reader.damage().size(), dropped);
    return;
  }
  fmt::print(out_, "events: {}\n", events_);
  for (size_t t = 0; t < std::size(per_type_); ++t) {
    if (per_type_[t] == 0 || t == static_cast<size_t>(RecordType::kCheckpoint)) continue;
    fmt::print(out_, "  {:<20} {}\n", wal::record_type_name(static_cast<RecordType>(t)),
               per_type_[t]);
  }
  fmt::print(out_, "channels: {}\n", channels_.size());
  for (const auto& [chid, c] : channels_)
    fmt::print(out_, "  ch={:<6} events {:<8} recv {}B sent {}B\n", chid, c.events, c.recv_bytes,
               c.sent_bytes);
  if (first_clock_) {
    fmt::print(out_, "duration: {:.3f} s ({} to {})\n", duration, iso_time(*first_clock_),
               iso_time(*last_clock_));
    fmt::print(out_, "events/s: {:.1f}\n", rate);
  } else {
    fmt::print(out_, "duration: unknown (no set_clock)\n");
  }
  fmt::print(out_, "size: {} file bytes, {} record bytes, compression ratio {:.2f}\n", file_bytes,
             raw_bytes, ratio);
  fmt::print(out_, "checkpoints: {}\n", checkpoints_);
  std::string detail;
  switch (reader.health()) {
    case wal::HealthState::kClean:
      detail = "closed cleanly, index present";
      break;
    case wal::HealthState::kTruncated:
      detail = "stopped at --max-log-bytes";
      break;
    case wal::HealthState::kCrashed:
      detail = fmt::format("the recorder died of signal {}; staged events were flushed",
                           end ? end->end_detail : 0);
      break;
    case wal::HealthState::kLogError:
      detail = "recording stopped on an I/O error";
      break;
    case wal::HealthState::kTornTail:
      detail = fmt::format("the file stops mid-write; {} bytes dropped", dropped);
      break;
    case wal::HealthState::kDamaged:
      detail = fmt::format("{} damaged span(s), {} bytes dropped", reader.damage().size(), dropped);
      break;
  }
  fmt::print(out_, "health: {} ({})\n", health, detail);
}

// Progress on a terminal only, at most twice a second.
class Progress {
 public:
  explicit Progress(std::FILE* err) : err_(err), on_(::isatty(::fileno(err)) == 1) {}
  void tick(uint64_t records, uint64_t offset) {
    if (!on_ || (records & 1023) != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    shown_ = true;
    std::fprintf(err_, "\rlxdump: %llu records, %.1f MB read",
                 static_cast<unsigned long long>(records), static_cast<double>(offset) / 1e6);
  }
  ~Progress() {
    if (shown_) std::fprintf(err_, "\r\033[K");
  }

 private:
  std::FILE* err_;
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

struct OwnedRecord {
  Record record;
  std::vector<uint8_t> bytes;
};

}  // namespace

int run_lxdump(const LxdumpOptions& options, std::FILE* out, std::FILE* err) {
  auto usage = [&](const std::string& what) {
    fmt::print(err, "lxdump: error: {}; see lxdump --help\n", what);
    return kExitUsage;
  };
  Range range;
  if (!parse_range(options.range, &range))
    return usage(fmt::format("bad range '{}': use N, N-M, N-, -M or end", options.range));
  if (options.strict && options.salvage) return usage("--strict and --salvage exclude each other");
  wal::RecordType unused;
  if (!options.type.empty() && !wal::record_type_from_name(options.type, &unused))
    return usage(
        fmt::format("unknown type '{}': use set_clock, set_lua_source, recv_incoming, "
                    "sent_outgoing, notify_accept, notify_close, invoke_event_update "
                    "or checkpoint",
                    options.type));
  if (options.path.empty()) return usage("no log file given");

  const std::string name = options.path == "-" ? "<stdin>" : options.path;
  wal::ReaderOptions reader_options;
  reader_options.recovery = options.strict    ? wal::Recovery::kStrict
                            : options.salvage ? wal::Recovery::kSalvage
                                              : wal::Recovery::kTolerant;
  reader_options.follow = options.follow;
  reader_options.on_damage = [&](const wal::Damage& d) {
    if (options.strict) return;  // reported once, as the error
    if (d.recovered) {
      fmt::print(err,
                 "lxdump: note: {}: a torn frame at offset {} was replaced by the crash flush "
                 "after it; no event lost\n",
                 name, d.offset);
    } else {
      fmt::print(err, "lxdump: warning: {}: {} at offset {}; {} bytes dropped{}\n", name, d.reason,
                 d.offset, d.dropped_bytes,
                 options.salvage ? "" : " (--salvage reads on past damage)");
    }
  };
  auto opened = options.path == "-" ? wal::LogReader::open_fd(0, reader_options)
                                    : wal::LogReader::open(options.path, reader_options);
  if (!opened.ok()) {
    const Status& s = opened.status();
    fmt::print(err, "lxdump: error: {}{}\n", s.message(),
               s.message().find(';') != std::string::npos ? ""
               : s.message().find("cannot open") != std::string::npos
                   ? "; check the path"
                   : "; this file cannot be read as an lx log");
    return s.kind() == ErrorKind::kIo ? kExitIo : kExitUnreadable;
  }
  wal::LogReader& reader = *opened.value();
  if (range.end && reader.index() != nullptr) {
    range.first = range.last = reader.index()->event_count;
    range.end = false;
  }
  if (range.first > 1 && reader.index() != nullptr && !options.stats) {
    Status seek = reader.seek_to_event(range.first);
    (void)seek;  // without the index the reader reads from the start, as before
  }
  Dumper dumper(options, range, out);
  dumper.print_header(reader.header(), name);
  Progress progress(err);
  std::vector<OwnedRecord> last_group;  // "end" without an index: the last event's records
  Record record;
  uint64_t records = 0;
  for (;;) {
    auto more = reader.next(&record);
    if (!more.ok()) {
      const Status& s = more.status();
      fmt::print(
          err, "lxdump: error: {}: {}{}\n", name, s.message(),
          s.kind() == ErrorKind::kCorrupt ? "; run without --strict to read what is readable" : "");
      std::fflush(out);
      return s.kind() == ErrorKind::kCorrupt ? kExitUnreadable : kExitIo;
    }
    if (!more.value()) break;
    progress.tick(++records, reader.file_offset());
    if (range.end) {
      if (wal::is_event(record.type)) last_group.clear();
      last_group.push_back({record, {record.bytes.begin(), record.bytes.end()}});
      continue;
    }
    if (!options.stats && dumper.past_range(record)) break;
    dumper.take(record);
  }
  if (range.end && !last_group.empty()) {
    Range last{last_group.front().record.event, last_group.front().record.event, false};
    Dumper tail(options, last, out);
    for (OwnedRecord& o : last_group) {
      o.record.bytes = o.bytes;
      tail.take(o.record);
    }
    tail.finish();
    if (options.stats) tail.print_stats(reader);
    std::fflush(out);
    return kExitOk;
  }
  dumper.finish();
  if (options.stats) dumper.print_stats(reader);
  std::fflush(out);
  return kExitOk;
}

}  // namespace lx::tools
