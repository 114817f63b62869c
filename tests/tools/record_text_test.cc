// The appending forms of the tools' text helpers (append_escaped_bytes,
// append_hex64, append_iso_time) give exactly the text of the forms that
// return a string, after whatever the buffer already holds.
#include "lx/tools/record_text.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "lx/tools/preview_memo.h"

using namespace lx::tools;

namespace {

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

std::string escaped_after(std::string prefix, const std::vector<uint8_t>& bytes, size_t max_bytes) {
  append_escaped_bytes(prefix, bytes, max_bytes);
  return prefix;
}

}  // namespace

TEST_CASE("append_escaped_bytes escapes each kind of byte", "[tools][record_text]") {
  SECTION("printable text is copied as it is") {
    CHECK(escaped_after("", bytes_of("GET / HTTP/1.1"), 64) == "GET / HTTP/1.1");
  }
  SECTION("named escapes") {
    CHECK(escaped_after("", bytes_of("a\\b\"c\rd\ne\tf"), 64) == "a\\\\b\\\"c\\rd\\ne\\tf");
  }
  SECTION("other bytes as \\xHH, lower-case") {
    const std::vector<uint8_t> bytes = {0x00, 'x', 0x1f, 0x7f, 0x80, 0xff};
    CHECK(escaped_after("", bytes, 64) == "\\x00x\\x1f\\x7f\\x80\\xff");
  }
  SECTION("cut after max_bytes input bytes with ...") {
    CHECK(escaped_after("", bytes_of("abc\ndef"), 4) == "abc\\n...");
    CHECK(escaped_after("", bytes_of("abc"), 3) == "abc");
    CHECK(escaped_after("", bytes_of("abc"), 0) == "...");
  }
  SECTION("empty input appends nothing") { CHECK(escaped_after("keep", {}, 64) == "keep"); }
  SECTION("appends after what the buffer holds") {
    CHECK(escaped_after("x=\"", bytes_of("\x01ok"), 64) == "x=\"\\x01ok");
  }
}

TEST_CASE("append_escaped_bytes gives escape_bytes's text for every byte value",
          "[tools][record_text]") {
  std::vector<uint8_t> all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<uint8_t>(b));
  const std::string expected = escape_bytes(all, all.size());
  CHECK(escaped_after("", all, all.size()) == expected);
  // Spot checks of the table against the documented forms.
  CHECK(expected.substr(0, 8) == "\\x00\\x01");
  CHECK(expected.find(" !\\\"#$%&'()") != std::string::npos);
  CHECK(expected.find("[\\\\]^_`") != std::string::npos);
  CHECK(expected.substr(expected.size() - 4) == "\\xff");
}

TEST_CASE("append_escaped_bytes escapes words and chunks as it does single bytes",
          "[tools][record_text]") {
  // It copies eight plain bytes at a time and appends per 256 input bytes;
  // a reference that takes one byte at a time must give the same text for
  // every length, offset and mix of plain and escaped bytes.
  auto one_at_a_time = [](const std::vector<uint8_t>& bytes, size_t max_bytes) {
    std::string out;
    const size_t n = std::min(bytes.size(), max_bytes);
    for (size_t i = 0; i < n; ++i) out += escape_bytes({&bytes[i], 1}, 1);
    if (n < bytes.size()) out += "...";
    return out;
  };
  uint32_t x = 12345;
  auto next = [&x] { return x = x * 1103515245u + 12345u, x >> 16; };
  for (size_t length = 0; length <= 600; length += (length < 40 ? 1 : 37)) {
    for (int mix : {0, 2, 30, 100}) {  // per cent of bytes that need an escape
      std::vector<uint8_t> bytes(length);
      for (uint8_t& b : bytes)
        b = static_cast<int>(next() % 100) < mix ? static_cast<uint8_t>(next() % 256)
                                                 : static_cast<uint8_t>(' ' + next() % 95);
      for (size_t max_bytes : {length, length / 2 + 1, size_t{600}}) {
        INFO("length " << length << ", mix " << mix << ", max_bytes " << max_bytes);
        CHECK(escaped_after("", bytes, max_bytes) == one_at_a_time(bytes, max_bytes));
      }
    }
  }
}

TEST_CASE("append_escaped_bytes writes CRLF pairs as two escapes at every offset",
          "[tools][record_text]") {
  // CRLF is written four characters at once; a lone CR, a lone LF, CRLF cut
  // by max_bytes or across a 16-byte chunk must not change the text.
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const char* pair : {"\r\n", "\r\r\n", "\n\r", "\r"}) {
        std::string text(length, 'a');
        text.replace(at, std::min(std::strlen(pair), length - at), pair, 0,
                     std::min(std::strlen(pair), length - at));
        for (size_t max_bytes : {length, at + 1, size_t{64}}) {
          std::string expected;
          for (size_t i = 0; i < std::min(max_bytes, length); ++i)
            expected += text[i] == '\r' ? "\\r" : text[i] == '\n' ? "\\n" : std::string(1, text[i]);
          if (max_bytes < length) expected += "...";
          INFO("length " << length << ", at " << at << ", max_bytes " << max_bytes);
          CHECK(escaped_after("", bytes_of(text), max_bytes) == expected);
        }
      }
    }
  }
}

TEST_CASE("append_hex64 writes 0x and sixteen lower-case digits", "[tools][record_text]") {
  std::string out = "h=";
  append_hex64(out, 0);
  CHECK(out == "h=0x0000000000000000");
  out.clear();
  append_hex64(out, 0xdeadbeef0123abcdULL);
  CHECK(out == "0xdeadbeef0123abcd");
  CHECK(hex64(std::numeric_limits<uint64_t>::max()) == "0xffffffffffffffff");
}

TEST_CASE("append_iso_time writes UTC with milliseconds", "[tools][record_text]") {
  std::string out = "t=";
  append_iso_time(out, 1795442701.25);
  CHECK(out == "t=2026-11-23T14:05:01.250Z");
  SECTION("the epoch, and padding of every field") {
    CHECK(iso_time(0) == "1970-01-01T00:00:00.000Z");
    CHECK(iso_time(1.007) == "1970-01-01T00:00:01.007Z");
  }
  SECTION("milliseconds that round up to the next second") {
    CHECK(iso_time(59.9996) == "1970-01-01T00:01:00.000Z");
  }
  SECTION("the last second of year 9999") {
    CHECK(iso_time(253402300799.0) == "9999-12-31T23:59:59.000Z");
  }
  SECTION("no sensible time: the number itself") {
    CHECK(iso_time(-1.5) == "-1.5");
    CHECK(iso_time(std::nan("")) == "nan");
    CHECK(iso_time(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(iso_time(253402300800.0) == "253402300800");
  }
}

TEST_CASE("IsoTimeWriter gives iso_time's text as the second changes or repeats",
          "[tools][record_text]") {
  IsoTimeWriter writer;
  auto written = [&writer](double seconds) {
    char text[kIsoTimeCharsMax];
    return std::string(text, writer.write(text, seconds));
  };
  // Repeats of a second, a step back, a number that is no time between two
  // times, milliseconds that round up to the next second, the last second.
  for (double seconds :
       {1795442701.25, 1795442701.999, 1795442701.0, 1795442702.5, 1795442701.5, -1.5, 1795442701.5,
        59.9996, 60.0, 253402300799.0, 253402300799.9996, std::nan(""), 0.0}) {
    INFO("seconds " << seconds);
    CHECK(written(seconds) == iso_time(seconds));
  }
  CHECK(written(1795442701.25) == "2026-11-23T14:05:01.250Z");
  CHECK(written(1795442701.9996) == "2026-11-23T14:05:02.000Z");
}

TEST_CASE("PreviewMemo writes write_escaped_bytes's text for repeated and changed previews",
          "[tools][record_text]") {
  // A repeat is copied from the memo 16 characters at a time; a change, a
  // length change or a preview longer than kMaxBytes is escaped again. Every
  // text must be the escaper's, and no store may reach past
  // escaped_chars_max(n) (the bytes after it stay as they were).
  auto reference = [](const std::vector<uint8_t>& bytes) {
    std::vector<char> text(escaped_chars_max(bytes.size()));
    const char* end = write_escaped_bytes(text.data(), bytes.data(), bytes.size());
    return std::string(static_cast<const char*>(text.data()), end);
  };
  PreviewMemo memo;
  uint32_t x = 777;
  auto next = [&x] { return x = x * 1103515245u + 12345u, x >> 16; };
  std::vector<uint8_t> bytes = bytes_of("GET / HTTP/1.1\r\nHost: 127.0.0.1:18081\r\n\r\n");
  size_t repeats = 0;
  for (int round = 0; round < 3000; ++round) {
    const unsigned step = next() % 8;
    if (step == 0) {  // another length, up to past kMaxBytes
      bytes.resize(next() % (PreviewMemo::kMaxBytes + 40));
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(next() % 4 == 0 ? next() % 256 : 'a');
    } else if (step == 1 && !bytes.empty()) {  // one byte changed, the length kept
      bytes[next() % bytes.size()] ^= static_cast<uint8_t>(1 + next() % 255);
    } else {
      ++repeats;  // the same bytes again
    }
    std::vector<char> out(escaped_chars_max(bytes.size()) + 8, '#');
    const char* end = memo.write(out.data(), bytes.data(), bytes.size());
    const std::string expected = reference(bytes);
    INFO("round " << round << ", " << bytes.size() << " bytes");
    REQUIRE(std::string(static_cast<const char*>(out.data()), end) == expected);
    CHECK(std::all_of(out.end() - 8, out.end(), [](char c) { return c == '#'; }));
  }
  CHECK(repeats > 1000);
}
