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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// What escape_bytes writes for each byte: the byte itself, \\ \" \r \n \t,
// or \xHH; text holds up to four characters, size how many count.
struct EscapeForms {
  char text[256][4];
  uint8_t size[256];
  constexpr EscapeForms() : text(), size() {
    for (int c = 0; c < 256; ++c) {
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
        text[c][0] = static_cast<char>(c);
        size[c] = 1;
        continue;
      }
      const char named = c == '\\'   ? '\\'
                         : c == '"'  ? '"'
                         : c == '\r' ? 'r'
                         : c == '\n' ? 'n'
                         : c == '\t' ? 't'
                                     : 0;
      text[c][0] = '\\';
      if (named != 0) {
        text[c][1] = named;
        size[c] = 2;
      } else {
        text[c][1] = 'x';
        text[c][2] = kHexDigits[c >> 4];
        text[c][3] = kHexDigits[c & 15];
        size[c] = 4;
      }
    }
  }
};
constexpr EscapeForms kEscapes;

// Bit i is set when chunk[i] needs an escape (its form is not the byte
// itself), for the 16 bytes at chunk.
inline uint32_t escape_mask16(const uint8_t* chunk) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk));
  // Compared as signed bytes, "below 0x20" also takes 0x80 to 0xff.
  const __m128i below_space = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
  const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i any = _mm_or_si128(_mm_or_si128(below_space, del), _mm_or_si128(backslash, quote));
  return static_cast<uint32_t>(_mm_movemask_epi8(any));
#else
  uint32_t mask = 0;
  for (int i = 0; i < 16; ++i) mask |= uint32_t{kEscapes.size[chunk[i]] != 1} << i;
  return mask;
#endif
}

// The text of the 16 bytes at chunk, whose escapes mask names, at p, which
// has room for 4 * 16 + 16 characters; each plain run is copied 16 bytes at
// a time, so chunk must have 16 more readable bytes after it (read from the
// input itself: a copy into a buffer would make those wide loads wait on
// the copy's store). @return the end of the text.
inline char* write_escaped_chunk(char* p, const uint8_t* chunk, uint32_t mask) {
  size_t from = 0;
  while (mask != 0) {
    const size_t at = static_cast<size_t>(__builtin_ctz(mask));
    mask &= mask - 1;
    std::memcpy(p, chunk + from, 16);
    p += at - from;
    const uint8_t c = chunk[at];
    if (c == '\r' && at + 1 < 16 && chunk[at + 1] == '\n') {
      // CRLF, two escapes on every line of a text protocol: written at once
      // (the '\n' is the next bit of mask).
      std::memcpy(p, "\\r\\n", 4);
      p += 4;
      mask &= mask - 1;
      from = at + 2;
      continue;
    }
    std::memcpy(p, kEscapes.text[c], 4);
    p += kEscapes.size[c];
    from = at + 1;
  }
  std::memcpy(p, chunk + from, 16);
  return p + (16 - from);
}

// The text of n bytes a byte at a time (for the last bytes, where the
// 16-byte loads would read past the input). p has room for 4 * n + 3.
inline char* write_escaped_bytewise(char* p, const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = bytes[i];
    std::memcpy(p, kEscapes.text[c], 4);
    p += kEscapes.size[c];
  }
  return p;
}

// escape_bytes's text of all n bytes at p, which has room for
// escaped_chars_max(n). @return the end of the text.
char* write_escaped(char* p, const uint8_t* bytes, size_t n) {
  size_t i = 0;
  for (; n - i >= 16; i += 16) {
    const uint32_t mask = escape_mask16(bytes + i);
    if (mask == 0) {  // the common case of plain text: copied as it is
      std::memcpy(p, bytes + i, 16);
      p += 16;
    } else if (n - i >= 32) {
      p = write_escaped_chunk(p, bytes + i, mask);
    } else {
      p = write_escaped_bytewise(p, bytes + i, 16);
    }
  }
  return write_escaped_bytewise(p, bytes + i, n - i);
}

// seconds as whole seconds and milliseconds, rounded as iso_time shows
// them; false when it is no sensible time.
bool split_time(double seconds, time_t* whole, long* ms) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) return false;
  *whole = static_cast<time_t>(std::floor(seconds));
  *ms = std::lround((seconds - static_cast<double>(*whole)) * 1000.0);
  if (*ms == 1000) {
    ++*whole;
    *ms = 0;
  }
  return true;
}

// What iso_time shows for no sensible time: the number itself.
char* write_number_time(char* at, double seconds) {
  const auto written = fmt::format_to_n(at, kIsoTimeCharsMax, "{}", seconds);
  return at + std::min(written.size, kIsoTimeCharsMax);
}

// "2026-11-23T14:05:01", UTC (at most 20 characters: year 10000 has five digits).
char* write_date_time(char* at, time_t whole) {
  TextCursor cursor(at);
  tm utc{};
  ::gmtime_r(&whole, &utc);
  cursor.put_padded(static_cast<uint32_t>(utc.tm_year + 1900), 4);
  cursor.put('-');
  cursor.put_padded(static_cast<uint32_t>(utc.tm_mon + 1), 2);
  cursor.put('-');
  cursor.put_padded(static_cast<uint32_t>(utc.tm_mday), 2);
  cursor.put('T');
  cursor.put_padded(static_cast<uint32_t>(utc.tm_hour), 2);
  cursor.put(':');
  cursor.put_padded(static_cast<uint32_t>(utc.tm_min), 2);
  cursor.put(':');
  cursor.put_padded(static_cast<uint32_t>(utc.tm_sec), 2);
  return cursor.end();
}

char* write_milliseconds(char* at, long ms) {
  TextCursor cursor(at);
  cursor.put('.');
  cursor.put_padded(static_cast<uint32_t>(ms), 3);
  cursor.put('Z');
  return cursor.end();
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
  // chunk.
  constexpr size_t kChunk = 256;
  char buffer[escaped_chars_max(kChunk)];
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t count = n - i < kChunk ? n - i : kChunk;
    const char* end = write_escaped(buffer, bytes.data() + i, count);
    out.append(buffer, static_cast<size_t>(end - buffer));
  }
  if (n < bytes.size()) out += "...";
}

char* write_escaped_bytes(char* at, const uint8_t* bytes, size_t n) {
  return write_escaped(at, bytes, n);
}

std::string hex64(uint64_t value) {
  std::string out;
  append_hex64(out, value);
  return out;
}

void append_hex64(std::string& out, uint64_t value) {
  char text[kHex64Chars];
  TextCursor cursor(text);
  cursor.put_hex64(value);
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
  char text[kIsoTimeCharsMax];
  const char* end = write_iso_time(text, seconds);
  out.append(text, static_cast<size_t>(end - text));
}

char* write_iso_time(char* at, double seconds) {
  time_t whole;
  long ms;
  if (!split_time(seconds, &whole, &ms)) return write_number_time(at, seconds);
  return write_milliseconds(write_date_time(at, whole), ms);
}

char* IsoTimeWriter::write(char* at, double seconds) {
  time_t whole;
  long ms;
  if (!split_time(seconds, &whole, &ms)) return write_number_time(at, seconds);
  if (!known_ || whole != second_) {
    date_time_bytes_ = static_cast<size_t>(write_date_time(date_time_, whole) - date_time_);
    second_ = whole;
    known_ = true;
  }
  std::memcpy(at, date_time_, sizeof date_time_);  // the unused end too: room for it is reserved
  return write_milliseconds(at + date_time_bytes_, ms);
}

}  // namespace lx::tools
