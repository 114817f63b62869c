// Text forms of records for lxreplay's and lxdiff's reports.
#include "lx/tools/record_text.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>

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

namespace {

// What escape_bytes writes for each byte: 0 for the byte itself, 'x' for
// \xHH, else the letter after the backslash.
struct EscapeTable {
  char code[256];
  constexpr EscapeTable() : code() {
    for (int c = 0; c < 256; ++c) code[c] = (c >= 0x20 && c < 0x7f) ? 0 : 'x';
    code[static_cast<unsigned char>('\\')] = '\\';
    code[static_cast<unsigned char>('"')] = '"';
    code[static_cast<unsigned char>('\r')] = 'r';
    code[static_cast<unsigned char>('\n')] = 'n';
    code[static_cast<unsigned char>('\t')] = 't';
  }
};
constexpr EscapeTable kEscapes;
constexpr char kHexDigits[] = "0123456789abcdef";

// Eight bytes at a time, with bit tricks on a 64-bit word: the high bit of
// a byte is set in escape_bits(w) when that byte needs an escape in
// kEscapes. A borrow or carry can only set bits above a byte that truly
// needs one, so the lowest set bit names the first such byte exactly.
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;
constexpr uint64_t zero_bytes(uint64_t w) { return (w - kOnes) & ~w & kHighBits; }
constexpr uint64_t escape_bits(uint64_t w) {
  const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighBits;
  const uint64_t above_tilde = ((w + kOnes * (0x7f - 0x7e)) | w) & kHighBits;
  return below_space | above_tilde | zero_bytes(w ^ (kOnes * '\\')) | zero_bytes(w ^ (kOnes * '"'));
}
// escape_bits agrees with the table for every byte value in every position,
// and finds the first of two bytes that need escapes.
constexpr bool escape_bits_match_table() {
  for (int c = 0; c < 256; ++c) {
    for (int at = 0; at < 8; ++at) {
      const uint64_t shift = 8u * static_cast<unsigned>(at);
      const uint64_t w = (kOnes * 'a' & ~(0xffull << shift)) | (static_cast<uint64_t>(c) << shift);
      const uint64_t bits = escape_bits(w);
      if ((bits == 0) != (kEscapes.code[c] == 0)) return false;
      if (bits != 0 && __builtin_ctzll(bits) / 8 != at) return false;
      const uint64_t two = (w & ~(0xffull << 56)) | (uint64_t{0x0a} << 56);  // and a '\n' last
      if (at < 7 && kEscapes.code[c] != 0 && __builtin_ctzll(escape_bits(two)) / 8 != at)
        return false;
    }
  }
  return true;
}
static_assert(escape_bits_match_table());

// value in decimal with at least `width` digits (leading zeros); value < 10^9.
void append_padded(std::string& out, uint32_t value, int width) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < 10);
  while (n < width) digits[n++] = '0';
  while (n > 0) out.push_back(digits[--n]);
}

}  // namespace

std::string escape_bytes(std::span<const uint8_t> bytes, size_t max_bytes) {
  std::string out;
  append_escaped_bytes(out, bytes, max_bytes);
  return out;
}

void append_escaped_bytes(std::string& out, std::span<const uint8_t> bytes, size_t max_bytes) {
  const size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  // Escaped into a local buffer a chunk at a time and appended once per
  // chunk: a byte costs a table load and a store, not a checked push_back
  // per character (an http request's CRLFs made four of those each).
  constexpr size_t kChunk = 256;
  char buffer[kChunk * 4 + 8];  // \xHH: at most four characters a byte, and a word's slack
  size_t i = 0;
  while (i < n) {
    const size_t chunk_end = n - i < kChunk ? n : i + kChunk;
    char* p = buffer;
    while (i < chunk_end) {
      if (chunk_end - i >= 8) {
        // The word goes in whole; only its bytes before the first that
        // needs an escape count.
        uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        std::memcpy(p, &word, 8);
        const uint64_t bits = escape_bits(word);
        const size_t plain = bits == 0 ? 8 : static_cast<size_t>(__builtin_ctzll(bits)) / 8;
        p += plain;
        i += plain;
        if (plain == 8) continue;
      }
      const uint8_t c = bytes[i++];
      const char code = kEscapes.code[c];
      if (code == 0) {
        *p++ = static_cast<char>(c);
        continue;
      }
      p[0] = '\\';
      p[1] = code;
      if (code == 'x') {
        p[2] = kHexDigits[c >> 4];
        p[3] = kHexDigits[c & 15];
        p += 4;
      } else {
        p += 2;
      }
    }
    out.append(buffer, static_cast<size_t>(p - buffer));
  }
  if (n < bytes.size()) out += "...";
}

std::string hex64(uint64_t value) {
  std::string out;
  append_hex64(out, value);
  return out;
}

void append_hex64(std::string& out, uint64_t value) {
  char text[18] = {'0', 'x'};
  for (int i = 17; i >= 2; --i, value >>= 4) text[i] = kHexDigits[value & 15];
  out.append(text, sizeof(text));
}

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
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
  return out;
}

std::string iso_time(double seconds) {
  std::string out;
  append_iso_time(out, seconds);
  return out;
}

void append_iso_time(std::string& out, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) {
    fmt::format_to(std::back_inserter(out), "{}", seconds);
    return;
  }
  time_t whole = static_cast<time_t>(std::floor(seconds));
  long ms = std::lround((seconds - static_cast<double>(whole)) * 1000.0);
  if (ms == 1000) {
    ++whole;
    ms = 0;
  }
  tm utc{};
  ::gmtime_r(&whole, &utc);
  // Digits by hand rather than through a format string: lxdump writes one
  // of these on every set_clock line.
  append_padded(out, static_cast<uint32_t>(utc.tm_year + 1900), 4);
  out.push_back('-');
  append_padded(out, static_cast<uint32_t>(utc.tm_mon + 1), 2);
  out.push_back('-');
  append_padded(out, static_cast<uint32_t>(utc.tm_mday), 2);
  out.push_back('T');
  append_padded(out, static_cast<uint32_t>(utc.tm_hour), 2);
  out.push_back(':');
  append_padded(out, static_cast<uint32_t>(utc.tm_min), 2);
  out.push_back(':');
  append_padded(out, static_cast<uint32_t>(utc.tm_sec), 2);
  out.push_back('.');
  append_padded(out, static_cast<uint32_t>(ms), 3);
  out.push_back('Z');
}

}  // namespace lx::tools
