// JSON string literals (see json_escape.h).
#include "lx/json_escape.h"

namespace lx {
namespace {

// What each byte becomes inside the quotes: 0 for the byte itself, 'u' for
// \u00XX, else the character after the backslash. One table for each
// JsonEscape, so the scan asks one question a byte.
struct JsonEscapeTable {
  char code[256];
  constexpr JsonEscapeTable(bool keep_utf8, bool for_html) : code() {
    for (int c = 0; c < 256; ++c) code[c] = (c < 0x20 || c >= 0x7f) ? 'u' : 0;
    code[static_cast<unsigned char>('"')] = '"';
    code[static_cast<unsigned char>('\\')] = '\\';
    code[static_cast<unsigned char>('\n')] = 'n';
    code[static_cast<unsigned char>('\r')] = 'r';
    code[static_cast<unsigned char>('\t')] = 't';
    if (for_html) {
      code[static_cast<unsigned char>('<')] = 'u';
      code[static_cast<unsigned char>('>')] = 'u';
      code[static_cast<unsigned char>('&')] = 'u';
    }
    if (keep_utf8) {
      for (int c = 0x80; c < 256; ++c) code[c] = 0;
    }
  }
};
// Indexed by keep_utf8 * 2 + for_html.
constexpr JsonEscapeTable kEscapeTables[4] = {
    {false, false}, {false, true}, {true, false}, {true, true}};

}  // namespace

void append_json_escaped(std::string& out, std::string_view bytes, JsonEscape how) {
  static const char kHex[] = "0123456789abcdef";
  const char* code = kEscapeTables[(how.keep_utf8 ? 2 : 0) + (how.for_html ? 1 : 0)].code;
  out.reserve(out.size() + bytes.size() + 2);
  out.push_back('"');
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // A run of bytes that need no escape goes in with one append: lxdump
    // --json quotes every payload preview, and most of it is plain text.
    size_t run_end = i;
    while (run_end < n && code[static_cast<unsigned char>(bytes[run_end])] == 0) ++run_end;
    out.append(bytes.data() + i, run_end - i);
    if (run_end == n) break;
    const auto c = static_cast<unsigned char>(bytes[run_end]);
    out.push_back('\\');
    if (code[c] == 'u') {
      out += "u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(code[c]);
    }
    i = run_end + 1;
  }
  out.push_back('"');
}

}  // namespace lx
