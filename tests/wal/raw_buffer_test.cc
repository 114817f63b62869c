// RawBuffer (common/include/lx/raw_buffer.h), lxdump's line buffer:
// growing keeps exactly the elements asked for and never shrinks.
#include "lx/raw_buffer.h"

#include <catch2/catch.hpp>
#include <cstring>

TEST_CASE("RawBuffer grows keeping the bytes it is told to keep", "[raw_buffer]") {
  lx::RawBuffer<uint8_t> buffer(4);
  REQUIRE(buffer.size() == 4);
  for (uint8_t i = 0; i < 4; ++i) buffer[i] = static_cast<uint8_t>(10 + i);
  const uint8_t* const before = buffer.data();

  buffer.grow(2, 4);  // smaller: nothing changes
  CHECK(buffer.size() == 4);
  CHECK(buffer.data() == before);

  buffer.grow(1000, 3);
  REQUIRE(buffer.size() == 1000);
  CHECK(buffer.data()[0] == 10);
  CHECK(buffer.data()[1] == 11);
  CHECK(buffer.data()[2] == 12);

  // keep beyond the old size copies only what there was.
  buffer[999] = 7;
  buffer.grow(5000, 100000);
  REQUIRE(buffer.size() == 5000);
  CHECK(buffer.data()[0] == 10);
  CHECK(buffer.data()[999] == 7);
}

TEST_CASE("RawBuffer of characters, as lxdump's line buffer", "[raw_buffer]") {
  lx::RawBuffer<char> lines;
  CHECK(lines.size() == 0);
  lines.grow(8, 0);
  std::memcpy(lines.data(), "abcdefgh", 8);
  lines.grow(64, 5);
  CHECK(std::memcmp(lines.data(), "abcde", 5) == 0);
}
