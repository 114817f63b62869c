// TextCursor writes the same decimal and hex text as the standard library,
// at every digit-count boundary, and its unchecked stores end exactly where
// the text does.
#include "lx/tools/text_cursor.h"

#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <string>

using lx::tools::TextCursor;

namespace {

std::string u64_text(uint64_t value) {
  char buffer[lx::tools::kMaxDecimalChars + 1];
  TextCursor cursor(buffer);
  cursor.put_u64(value);
  return {buffer, cursor.end()};
}

std::string i64_text(int64_t value) {
  char buffer[lx::tools::kMaxDecimalChars + 1];
  TextCursor cursor(buffer);
  cursor.put_i64(value);
  return {buffer, cursor.end()};
}

}  // namespace

TEST_CASE("put_u64 writes what std::to_string does at every digit boundary",
          "[tools][text_cursor]") {
  CHECK(u64_text(0) == "0");
  CHECK(u64_text(9) == "9");
  CHECK(u64_text(10) == "10");
  CHECK(u64_text(99) == "99");
  CHECK(u64_text(100) == "100");
  CHECK(u64_text(std::numeric_limits<uint64_t>::max()) == "18446744073709551615");
  // Each power of ten, one below it and one above it, and each power of two
  // with its neighbours (where the digit count is guessed from the bits).
  uint64_t power = 1;
  for (int digits = 1; digits <= 20; ++digits) {
    for (uint64_t value : {power - 1, power, power + 1}) {
      INFO("value " << value);
      CHECK(u64_text(value) == std::to_string(value));
    }
    if (digits < 20) power *= 10;
  }
  for (int bit = 0; bit < 64; ++bit) {
    const uint64_t two = uint64_t{1} << bit;
    for (uint64_t value : {two - 1, two, two + 1}) {
      INFO("value " << value);
      CHECK(u64_text(value) == std::to_string(value));
    }
  }
}

TEST_CASE("put_i64 writes signed values as std::to_string does", "[tools][text_cursor]") {
  for (int64_t value :
       {int64_t{0}, int64_t{-1}, int64_t{-9}, int64_t{-10}, int64_t{42},
        int64_t{std::numeric_limits<int32_t>::min()}, int64_t{std::numeric_limits<int32_t>::max()},
        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    INFO("value " << value);
    CHECK(i64_text(value) == std::to_string(value));
  }
}

TEST_CASE("put_padded, put_hex64 and the string forms", "[tools][text_cursor]") {
  char buffer[64];
  TextCursor cursor(buffer);
  cursor.put_padded(7, 3);
  cursor.put('|');
  cursor.put_padded(12345, 2);
  cursor.put_literal("|");
  cursor.put_padded(0, 4);
  cursor.put(std::string_view("|x"));
  cursor.put_hex64(0xdeadbeef0123abcdULL);
  CHECK(std::string(buffer, cursor.end()) == "007|12345|0000|x0xdeadbeef0123abcd");
  TextCursor hex(buffer);
  hex.put_hex64(0);
  CHECK(std::string(buffer, hex.end()) == "0x0000000000000000");
}
