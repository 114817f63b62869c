// The one JSON string escaper of the host side: lxdump's, lxreplay's and
// lxdiff's JSON Lines and the timeline's page and trace export all quote
// strings with it, so every tool escapes a byte the same way.
#pragma once

#include <string>
#include <string_view>

namespace lx {

struct JsonEscape {
  // Copy bytes >= 0x80 as they are (the text is known to be valid UTF-8);
  // otherwise each is \u00XX, one code point per byte.
  bool keep_utf8 = false;
  // Also escape < > & (a string inside an HTML <script> element).
  bool for_html = false;
};

// Appends bytes as a JSON string literal, quotes included: " \ and the
// control characters escaped (\n \r \t by name, the others and 0x7f as
// \u00XX), so any bytes give valid JSON.
void append_json_escaped(std::string& out, std::string_view bytes, JsonEscape how = {});

}  // namespace lx
