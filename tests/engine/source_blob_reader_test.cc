// SourceBlobReader: docs/source-blob.md's worked example reads back, and
// each rule of the format refuses the blobs that break it.
#include "source_blob_reader.h"

#include <catch2/catch.hpp>
#include <string>

#include "source_blob_builder.h"

using lx::engine::SourceBlobReader;
using lx::test::build_source_blob;

namespace {

bool parses(const std::string& blob, std::string* reason = nullptr) {
  SourceBlobReader reader;
  bool ok = reader.parse(reinterpret_cast<const uint8_t*>(blob.data()), blob.size());
  if (!ok && reason != nullptr) *reason = reader.error().reason;
  return ok;
}

}  // namespace

TEST_CASE("the worked example of docs/source-blob.md reads back", "[blob]") {
  const unsigned char bytes[] = {0x4C, 0x58, 0x53, 0x52, 0x43, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 'm',  'a',
                                 'i',  'n',  '.',  'l',  'u',  'a',  0x04, 0x00, 0x00, 0x00, 'x',
                                 '=',  '1',  '\n', 0x02, 0x00, 0x00, 0x00, 'h',  'i'};
  SourceBlobReader reader;
  REQUIRE(reader.parse(bytes, sizeof(bytes)));
  CHECK(build_source_blob({{"main.lua", "x=1\n"}}, {"hi"}) ==
        std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  int files = 0;
  reader.walk(
      [&](const SourceBlobReader::File& file) {
        ++files;
        CHECK(file.path == "main.lua");
        CHECK(file.data == "x=1\n");
      },
      [](std::string_view arg) { CHECK(arg == "hi"); });
  CHECK(files == 1);
}

TEST_CASE("malformed source blobs are refused with a reason", "[blob]") {
  std::string reason;
  std::string good = build_source_blob({{"a/b.lua", "return 1"}, {"main.lua", ""}}, {"x", ""});
  REQUIRE(parses(good));

  SECTION("bad magic") {
    std::string blob = good;
    blob[6] = 2;  // version 2
    CHECK_FALSE(parses(blob, &reason));
    CHECK_THAT(reason, Catch::Contains("magic"));
  }
  SECTION("trailing bytes") {
    CHECK_FALSE(parses(good + "!", &reason));
    CHECK_THAT(reason, Catch::Contains("trailing"));
  }
  SECTION("every truncation") {
    for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(parses(good.substr(0, n)));
  }
  SECTION("no main.lua") {
    CHECK_FALSE(parses(build_source_blob({{"other.lua", ""}}), &reason));
    CHECK_THAT(reason, Catch::Contains("main.lua"));
  }
  SECTION("bad paths") {
    for (const char* path : {"../x.lua", "a//b.lua", "/abs.lua", "a/./b.lua", "x.txt", ".lua"}) {
      std::string blob = build_source_blob({{path, ""}, {"main.lua", ""}});
      bool ok = parses(blob);
      CHECK(ok == (std::string(path) == ".lua"));  // ".lua" is a (hidden) file name, allowed
    }
  }
  SECTION("files out of order or duplicated") {
    std::string blob("LXSRC\0\1\0", 8);
    auto u32 = [&](uint32_t v) {
      for (int i = 0; i < 4; ++i) blob.push_back(static_cast<char>(v >> (8 * i)));
    };
    u32(2);
    u32(0);
    for (const char* path : {"main.lua", "main.lua"}) {
      u32(8);
      blob += path;
      u32(0);
    }
    CHECK_FALSE(parses(blob, &reason));
    CHECK_THAT(reason, Catch::Contains("ascending"));
  }
}
