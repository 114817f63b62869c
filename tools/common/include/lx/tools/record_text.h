// How the tools show records and bytes to a person: one-line descriptions of
// events ("recv_incoming chid 3, 17 bytes"), escaped previews of payloads,
// hashes in hex, and shell-quoted paths for the commands a report suggests.
#pragma once

#include <time.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lx/tools/json_line.h"
#include "lx/tools/text_cursor.h"
#include "lx/wal/format.h"

namespace lx::tools {

// The facts about an event a report names, copied out of a Record (whose
// bytes live only until the reader's next call).
struct EventBrief {
  uint64_t event = 0;
  wal::RecordType type = wal::RecordType::kInvokeEventUpdate;
  int32_t chid = 0;    // when the type carries one (wal::kFieldChid)
  int32_t port = 0;    // notify_accept
  uint64_t bytes = 0;  // Record::size_bytes(): payload bytes, or the count sent
};

// Cheap (no allocation): lxreplay keeps one per applied event.
EventBrief brief_of(const wal::Record& record);
// "event 12 recv_incoming chid 3, 17 bytes": number, type, channel, size.
std::string describe_brief(const EventBrief& brief);

// One line for a record without its number: "recv_incoming chid 3, 17 bytes
// \"GET / HTTP/1.1\\r\\n...\"" (a preview of at most preview_bytes bytes of data).
std::string describe_record(const wal::Record& record, size_t preview_bytes = 24);

// bytes as C-style escaped text between no quotes: printable ASCII as is,
// \\ \" \r \n \t, other bytes \xHH; cut after max_bytes input bytes with "...".
std::string escape_bytes(std::span<const uint8_t> bytes, size_t max_bytes);
// The same text as escape_bytes, appended to out (lxdump's lines reuse one
// buffer instead of building a string per payload).
void append_escaped_bytes(std::string& out, std::span<const uint8_t> bytes, size_t max_bytes);
// The most characters put_escaped_bytes writes for n bytes (\xHH is four
// a byte), with the slack its 16-byte stores need.
constexpr size_t escaped_chars_max(size_t n) { return 4 * n + 16; }
// escape_bytes's text of all n bytes (no cut, no "..."), at `at`, which has
// room for escaped_chars_max(n) characters. @return the end of the text.
// (Functions that write at a pointer and return the end, not at a
// TextCursor&, so the caller's cursor can stay in a register.)
char* write_escaped_bytes(char* at, const uint8_t* bytes, size_t n);

// "0x%016x".
std::string hex64(uint64_t value);
// The same text as hex64, appended to out.
void append_hex64(std::string& out, uint64_t value);

// A word a POSIX shell reads back as text: bare when it is only safe
// characters, else in single quotes.
std::string shell_quote(std::string_view text);

// Adds "event", "record_type", and "chid"/"port"/"size_bytes" when the type
// carries them (docs/json.md).
void add_brief(JsonLine& line, const EventBrief& brief);

// Adds a whole record under the keys of docs/json.md: "event",
// "record_type", then what its type carries ("clock_seconds" and "time",
// "chid", "port", "size_bytes", "data"/"data_hex"/"data_truncated" with at
// most preview_bytes bytes, the figures, "reason" and "detail").
void add_record(JsonLine& line, const wal::Record& record, size_t preview_bytes);

// Lower-case hex, two digits a byte.
std::string hex_bytes(std::span<const uint8_t> bytes);

// 2026-11-23T14:05:01.250Z (UTC, milliseconds), or the number itself when it
// is no sensible time.
std::string iso_time(double seconds);
// The same text as iso_time, appended to out.
void append_iso_time(std::string& out, double seconds);
// The most characters write_iso_time writes (a number that is no time
// included).
inline constexpr size_t kIsoTimeCharsMax = 64;
// The same text as iso_time, at `at` (room for kIsoTimeCharsMax).
// @return the end of the text.
char* write_iso_time(char* at, double seconds);

// iso_time's text for times that mostly repeat the second of the one before
// (lxdump's set_clock lines): the date and time of day are worked out only
// when the second changes.
class IsoTimeWriter {
 public:
  // The same text as write_iso_time.
  char* write(char* at, double seconds);

 private:
  bool known_ = false;  // date_time_ holds the text of second_
  time_t second_ = 0;
  char date_time_[24] = {};  // "2026-11-23T14:05:01" (20 characters in year 10000)
  size_t date_time_bytes_ = 0;
};

}  // namespace lx::tools
