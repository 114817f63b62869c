// JSON strings and numbers for the trace export and the timeline page.
#include "json_text.h"

#include <cmath>
#include <cstdio>

#include "lx/json_escape.h"

namespace lx::timeline {

namespace {

// True when text is well-formed UTF-8 (no overlongs, no surrogates).
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9) return false;
    uint32_t cp = n == 0 ? c : c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= text.size()) return false;
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  append_json_escaped(out, bytes, {.keep_utf8 = false, .for_html = true});
}

void append_json_text(std::string& out, std::string_view text) {
  append_json_escaped(out, text, {.keep_utf8 = valid_utf8(text), .for_html = true});
}

void append_varint_string(std::string& out, const std::vector<uint64_t>& values) {
  static const char kLast[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
  static const char kMore[] = "ghijklmnopqrstuvwxyz0123456789-_";
  out.push_back('"');
  for (uint64_t v : values) {
    while (v >= 32) {
      out.push_back(kMore[v & 31]);
      v >>= 5;
    }
    out.push_back(kLast[v]);
  }
  out.push_back('"');
}

std::string json_double(double value, int decimals) {
  if (!std::isfinite(value)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

void BufferedOut::flush() {
  if (buf_.empty()) return;
  if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) ok_ = false;
  written_ += buf_.size();
  buf_.clear();
}

bool BufferedOut::finish() {
  flush();
  if (std::fflush(out_) != 0) ok_ = false;
  return ok_;
}

}  // namespace lx::timeline
