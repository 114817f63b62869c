// StreamBuffer: the channel FIFO. peek() spans stay valid across appends;
// lines end in \n or \r\n, even across chunk boundaries; consume and read
// cross chunks; a failed append changes nothing.
#include "stream_buffer.h"

#include <catch2/catch.hpp>
#include <string>

#include "heap.h"
#include "region.h"

using lx::engine::Heap;
using lx::engine::StreamBuffer;

namespace {

struct Fixture {
  explicit Fixture(uint64_t bytes = uint64_t{64} << 20)
      : region(lx::test::region_base(3), bytes), heap(Heap::create_in(region.base(), bytes)) {}
  lx::test::Region region;
  Heap* heap;
};

std::string to_string(std::span<const uint8_t> span) {
  return std::string(reinterpret_cast<const char*>(span.data()), span.size());
}

std::string as_string(const lx::engine::eng::string& s) { return std::string(s.data(), s.size()); }

}  // namespace

TEST_CASE("a peeked span stays valid and unchanged while more is appended", "[stream_buffer]") {
  Fixture f;
  StreamBuffer buffer(*f.heap);
  buffer.append("first run of bytes", 18);
  std::span<const uint8_t> span = buffer.peek();
  const uint8_t* kept = span.data();
  REQUIRE(span.size() == 18);
  std::string expected = to_string(span);
  std::string appended;
  for (int i = 0; i < 5000; ++i) {
    std::string more =
        "chunk " + std::to_string(i) + " " + std::string(static_cast<size_t>(i % 300), 'x');
    buffer.append(more.data(), more.size());
    appended += more;
  }
  CHECK(std::string(reinterpret_cast<const char*>(kept), 18) == expected);
  CHECK(buffer.peek().data() == kept);
  CHECK(buffer.size() == 18 + appended.size());
  CHECK(buffer.chunk_count() > 100);
  buffer.consume(18);
  CHECK(as_string(buffer.read(appended.size())) == appended);
  CHECK(buffer.empty());
}

TEST_CASE("readline splits on \\n and \\r\\n, also across chunks", "[stream_buffer]") {
  Fixture f;
  StreamBuffer buffer(*f.heap);
  CHECK_FALSE(buffer.readline());
  buffer.append("no end yet", 10);
  CHECK_FALSE(buffer.readline());
  CHECK(buffer.size() == 10);
  buffer.append("\r\nunix\n\r\nlast", 13);
  CHECK(as_string(*buffer.readline()) == "no end yet");
  CHECK(as_string(*buffer.readline()) == "unix");
  CHECK(as_string(*buffer.readline()) == "");
  CHECK_FALSE(buffer.readline());
  CHECK(as_string(buffer.read(100)) == "last");

  SECTION("a \\r at the end of one chunk and \\n at the start of the next") {
    std::string filler(4096 - 32 - 1, 'a');  // fills the first chunk up to its last byte
    buffer.append(filler.data(), filler.size());
    buffer.append("\r", 1);
    buffer.append("\nrest", 5);
    REQUIRE(buffer.chunk_count() == 2);
    std::optional<StreamBuffer::LineSpan> line = buffer.find_line();
    REQUIRE(line);
    CHECK(line->content_bytes == filler.size());
    CHECK(line->total_bytes == filler.size() + 2);
    CHECK(as_string(*buffer.readline()) == filler);
    CHECK(as_string(buffer.read(10)) == "rest");
  }
}

TEST_CASE("consume and read work across chunk boundaries and free the chunks", "[stream_buffer]") {
  Fixture f;
  uint64_t baseline = f.heap->bytes_in_use();
  {
    StreamBuffer buffer(*f.heap);
    std::string data;
    for (int i = 0; i < 20000; ++i) data += static_cast<char>('a' + i % 26);
    for (std::size_t at = 0; at < data.size(); at += 777) {
      buffer.append(data.data() + at, std::min<std::size_t>(777, data.size() - at));
    }
    CHECK(buffer.size() == data.size());
    buffer.consume(5000);
    char copy[3000];
    CHECK(buffer.copy_out(copy, sizeof(copy)) == sizeof(copy));
    CHECK(std::string(copy, sizeof(copy)) == data.substr(5000, 3000));
    CHECK(as_string(buffer.read(9000)) == data.substr(5000, 9000));
    CHECK(buffer.peek().size() > 0);
    CHECK(to_string(buffer.peek()) == data.substr(14000, buffer.peek().size()));
    buffer.consume(buffer.size());
    CHECK(buffer.empty());
    CHECK(buffer.peek().empty());
  }
  CHECK(f.heap->bytes_in_use() == baseline);
}

TEST_CASE("a failed append leaves the buffer unchanged", "[stream_buffer]") {
  Fixture f(uint64_t{8} << 20);
  StreamBuffer buffer(*f.heap, Heap::Budget::kApp);
  buffer.append("keep", 4);
  std::string huge(uint64_t{8} << 20, 'h');  // more than the app's share of the region
  CHECK_THROWS_AS(buffer.append(huge.data(), huge.size()), std::bad_alloc);
  CHECK(buffer.size() == 4);
  CHECK(to_string(buffer.peek()) == "keep");
  buffer.append("!", 1);
  CHECK(as_string(buffer.read(10)) == "keep!");
}
