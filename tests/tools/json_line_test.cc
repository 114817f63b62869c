// JSON Lines objects (JsonLine) and the one JSON string escaper they use:
// exact text for every byte value and each value kind, and a JsonLine that
// is cleared and reused gives the same objects as fresh ones.
#include "lx/tools/json_line.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "lx/json_escape.h"

using lx::append_json_escaped;
using lx::JsonEscape;
using lx::tools::JsonLine;

namespace {

// json_escape.h's rules, one byte at a time, written out as the header
// states them.
std::string expected_escape(unsigned char c, JsonEscape how) {
  static const char kHex[] = "0123456789abcdef";
  if (how.keep_utf8 && c >= 0x80) return std::string(1, static_cast<char>(c));
  if (c == '"') return "\\\"";
  if (c == '\\') return "\\\\";
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  if (c < 0x20 || c >= 0x7f || (how.for_html && (c == '<' || c == '>' || c == '&')))
    return std::string("\\u00") + kHex[c >> 4] + kHex[c & 15];
  return std::string(1, static_cast<char>(c));
}

}  // namespace

TEST_CASE("append_json_escaped escapes every byte value as documented", "[tools][json]") {
  const JsonEscape how = GENERATE(JsonEscape{false, false}, JsonEscape{true, false},
                                  JsonEscape{false, true}, JsonEscape{true, true});
  std::string all;
  std::string expected = "\"";
  for (int b = 0; b < 256; ++b) {
    all.push_back(static_cast<char>(b));
    expected += expected_escape(static_cast<unsigned char>(b), how);
  }
  expected += "\"";
  std::string out = "x:";
  append_json_escaped(out, all, how);
  INFO("keep_utf8 " << how.keep_utf8 << " for_html " << how.for_html);
  CHECK(out == "x:" + expected);
}

TEST_CASE("append_json_escaped keeps runs of plain text whole", "[tools][json]") {
  std::string out;
  append_json_escaped(out, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(out == "\"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n\"");
  out.clear();
  append_json_escaped(out, "");
  CHECK(out == "\"\"");
  out.clear();
  append_json_escaped(out, "\x01");
  CHECK(out == "\"\\u0001\"");
}

TEST_CASE("JsonLine writes each kind of value", "[tools][json]") {
  JsonLine j;
  const std::vector<uint8_t> bytes = {'o', 'k', 0, 0xff};
  j.add_str("s", "a\"b")
      .add_u64("u", std::numeric_limits<uint64_t>::max())
      .add_i64("i", std::numeric_limits<int64_t>::min())
      .add_bool("b", false)
      .add_double("d", 0.1)
      .add_double("nan", std::numeric_limits<double>::quiet_NaN())
      .add_bytes("bytes", bytes)
      .add_null("n")
      .add_hash("h", 0xabc)
      .add_raw("r", "[1]");
  CHECK(j.str() ==
        "{\"s\":\"a\\\"b\",\"u\":18446744073709551615,\"i\":-9223372036854775808,"
        "\"b\":false,\"d\":0.1,\"nan\":null,\"bytes\":\"ok\\u0000\\u00ff\",\"n\":null,"
        "\"h\":\"0x0000000000000abc\",\"r\":[1]}");
}

TEST_CASE("a cleared JsonLine builds the next object from scratch", "[tools][json]") {
  JsonLine j;
  j.add_u64("event", 1).add_str("record_type", "set_clock");
  std::string out = "first:";
  j.append_to(out);
  CHECK(out == "first:{\"event\":1,\"record_type\":\"set_clock\"}");
  j.clear();
  CHECK(j.str() == "{}");
  j.add_u64("event", 2);
  out.clear();
  j.append_to(out);
  CHECK(out == "{\"event\":2}");
}

TEST_CASE("JsonLine::print writes the object and a newline", "[tools][json]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  JsonLine j;
  j.add_i64("exit_code", 0);
  j.print(file);
  std::rewind(file);
  char text[64] = {};
  const size_t n = std::fread(text, 1, sizeof(text) - 1, file);
  std::fclose(file);
  CHECK(std::string(text, n) == "{\"exit_code\":0}\n");
}
