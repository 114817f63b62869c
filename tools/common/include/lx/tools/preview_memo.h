// PreviewMemo: write_escaped_bytes with a memory of the last preview it
// escaped, so a payload that repeats the one before (an HTTP client's same
// request on every keep-alive round, a poll, a heartbeat) costs a compare
// and a copy of the text instead of escaping it again. The text is always
// write_escaped_bytes's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lx/tools/record_text.h"

namespace lx::tools {

class PreviewMemo {
 public:
  // Previews longer than this are escaped every time (and not remembered).
  static constexpr size_t kMaxBytes = 128;

  // write_escaped_bytes(at, bytes, n): at has room for escaped_chars_max(n).
  // @return the end of the text.
  char* write(char* at, const uint8_t* bytes, size_t n) {
    if (n == bytes_ && n != 0 && std::memcmp(bytes, raw_, n) == 0) {
      // 16 characters at a time: escaped_chars_max's slack covers the last
      // store's overshoot (the text is at most 4n characters).
      for (size_t i = 0; i < text_chars_; i += 16) std::memcpy(at + i, text_ + i, 16);
      return at + text_chars_;
    }
    char* const end = write_escaped_bytes(at, bytes, n);
    if (n > kMaxBytes) {
      bytes_ = kNone;
      return end;
    }
    std::memcpy(raw_, bytes, n);
    text_chars_ = static_cast<size_t>(end - at);
    std::memcpy(text_, at, text_chars_);
    bytes_ = n;
    return end;
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;  // nothing remembered
  size_t bytes_ = kNone;                     // the remembered preview's length
  size_t text_chars_ = 0;                    // and its text's
  uint8_t raw_[kMaxBytes];
  char text_[escaped_chars_max(kMaxBytes)];
};

}  // namespace lx::tools
