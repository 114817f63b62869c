// JSON string literals (see json_escape.h).
#include "lx/json_escape.h"

namespace lx {

void append_json_escaped(std::string& out, std::string_view bytes, JsonEscape how) {
  static const char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + bytes.size() + 2);
  out.push_back('"');
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (how.keep_utf8 && c >= 0x80) {
      out.push_back(ch);
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f || (how.for_html && (c == '<' || c == '>' || c == '&'))) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

}  // namespace lx
