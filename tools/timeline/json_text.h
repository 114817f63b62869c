// JSON text for the timeline's outputs: strings whose every byte survives
// (bytes outside printable ASCII become \u00XX, Latin-1 code points), safe to
// embed in an HTML <script> element, and numbers that are always valid JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace lx::timeline {

// Appends bytes as a quoted JSON string, one code point per byte (bytes
// outside printable ASCII as \u00XX): what the page decodes back to bytes.
// '<', '>' and '&' are escaped too, so the text can sit inside <script>.
void append_json_string(std::string& out, std::string_view bytes);
// The same for text a person wrote (titles, paths, reports): valid UTF-8
// passes through as characters; anything else is escaped as bytes.
void append_json_text(std::string& out, std::string_view text);
// Appends non-negative integers as one quoted JSON string of base-32 digit
// groups (5 bits a character, low digits first; 'A'-'f' end a number, 'g'-'_'
// go on), so 0..31 take one character and no commas. web/timeline.js (V) decodes it.
void append_varint_string(std::string& out, const std::vector<uint64_t>& values);
// A finite double with up to `decimals` decimals, trailing zeros dropped;
// "0" for NaN and infinities (JSON has neither).
std::string json_double(double value, int decimals);

// Text built in memory and written to a FILE in 64 KiB pieces: a page of a
// million events never sits in memory twice.
class BufferedOut {
 public:
  explicit BufferedOut(std::FILE* out) : out_(out) {}
  std::string& text() { return buf_; }  // append here, then call maybe_flush()
  void maybe_flush() {
    if (buf_.size() >= (1u << 16)) flush();
  }
  // Writes what is left and flushes the FILE. @return false if any write failed.
  bool finish();
  uint64_t bytes_written() const { return written_; }

 private:
  void flush();
  std::FILE* out_;
  std::string buf_;
  uint64_t written_ = 0;
  bool ok_ = true;
};

}  // namespace lx::timeline
