// The source blob's bytes against docs/source-blob.md, and reading app dirs.
#include "lx/host/source_blob.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using lx::host::SourceBlob;
using lx::host::SourceFile;

namespace {

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

// A fresh temporary directory, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "lx-host-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  void write(const std::string& relative, std::string_view text) const {
    fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("blob of the worked example has exactly the documented bytes", "[host][blob]") {
  auto blob = SourceBlob::encode({{"main.lua", bytes_of("x=1\n")}}, {"hi"});
  REQUIRE(blob.ok());
  const std::vector<uint8_t> expected = {
      0x4C, 0x58, 0x53, 0x52, 0x43, 0x00, 0x01, 0x00,  // magic
      0x01, 0x00, 0x00, 0x00,                          // file_count
      0x01, 0x00, 0x00, 0x00,                          // arg_count
      0x08, 0x00, 0x00, 0x00,                          // path_len
      0x6D, 0x61, 0x69, 0x6E, 0x2E, 0x6C, 0x75, 0x61,  // "main.lua"
      0x04, 0x00, 0x00, 0x00,                          // data_len
      0x78, 0x3D, 0x31, 0x0A,                          // "x=1\n"
      0x02, 0x00, 0x00, 0x00,                          // arg_len
      0x68, 0x69};                                     // "hi"
  CHECK(blob.value() == expected);
}

TEST_CASE("blob sorts files by byte order of their paths", "[host][blob]") {
  auto blob = SourceBlob::encode({{"zeta.lua", bytes_of("z")},
                                  {"main.lua", bytes_of("m")},
                                  {"Upper.lua", bytes_of("U")},
                                  {"lib/a.lua", bytes_of("a")},
                                  {"lib.lua", bytes_of("l")}},
                                 {});
  REQUIRE(blob.ok());
  auto decoded = SourceBlob::decode(blob.value());
  REQUIRE(decoded.ok());
  std::vector<std::string> paths;
  for (const SourceFile& file : decoded.value().files) paths.push_back(file.path);
  // '.' (0x2E) sorts before '/' (0x2F); upper case before lower case.
  CHECK(paths ==
        std::vector<std::string>{"Upper.lua", "lib.lua", "lib/a.lua", "main.lua", "zeta.lua"});
}

TEST_CASE("blob round-trips files and arguments", "[host][blob]") {
  std::vector<SourceFile> files = {{"main.lua", bytes_of("print(1)")}, {"m/x.lua", {}}};
  std::vector<std::string> args = {"", "a b", std::string("\0z", 2)};
  auto blob = SourceBlob::encode(files, args);
  REQUIRE(blob.ok());
  auto decoded = SourceBlob::decode(blob.value());
  REQUIRE(decoded.ok());
  CHECK(decoded.value().files == std::vector<SourceFile>{files[1], files[0]});
  CHECK(decoded.value().args == args);
}

TEST_CASE("blob refuses bad paths, duplicates and a missing main.lua", "[host][blob]") {
  auto encode_one = [](const std::string& path) {
    return SourceBlob::encode({{"main.lua", {}}, {path, {}}}, {});
  };
  CHECK_FALSE(encode_one("/abs.lua").ok());
  CHECK_FALSE(encode_one("a/../b.lua").ok());
  CHECK_FALSE(encode_one("a//b.lua").ok());
  CHECK_FALSE(encode_one("./b.lua").ok());
  CHECK_FALSE(encode_one("b.txt").ok());
  CHECK_FALSE(encode_one("main.lua").ok());  // duplicate
  CHECK(encode_one("sub/ok.lua").ok());
  auto no_main = SourceBlob::encode({{"sub/main.lua", {}}}, {});
  REQUIRE_FALSE(no_main.ok());
  CHECK(no_main.status().message().find("main.lua") != std::string::npos);
}

TEST_CASE("blob decoder refuses damaged blobs", "[host][blob]") {
  auto blob = SourceBlob::encode({{"main.lua", bytes_of("x=1\n")}}, {"hi"}).value();
  SECTION("every truncation") {
    for (size_t size = 0; size < blob.size(); ++size) {
      CHECK_FALSE(SourceBlob::decode(std::span(blob.data(), size)).ok());
    }
  }
  SECTION("trailing byte") {
    blob.push_back(0);
    CHECK_FALSE(SourceBlob::decode(blob).ok());
  }
  SECTION("other version") {
    blob[6] = 2;
    CHECK_FALSE(SourceBlob::decode(blob).ok());
  }
}

TEST_CASE("read_app_dir takes .lua files recursively, sorted, skipping dot names", "[host][blob]") {
  TempDir dir;
  dir.write("main.lua", "require 'lib.util'\n");
  dir.write("lib/util.lua", "return {}\n");
  dir.write("b.lua", "b\n");
  dir.write("notes.txt", "not lua\n");
  dir.write(".hidden.lua", "skipped\n");
  dir.write(".git/x.lua", "skipped\n");
  dir.write("sub/.secret/y.lua", "skipped\n");
  auto blob = lx::host::read_app_dir(dir.str(), {"--port", "1"});
  INFO((blob.ok() ? "" : blob.status().message()));
  REQUIRE(blob.ok());
  auto decoded = SourceBlob::decode(blob.value());
  REQUIRE(decoded.ok());
  std::vector<std::string> paths;
  for (const SourceFile& file : decoded.value().files) paths.push_back(file.path);
  CHECK(paths == std::vector<std::string>{"b.lua", "lib/util.lua", "main.lua"});
  CHECK(decoded.value().files[1].data == bytes_of("return {}\n"));
  CHECK(decoded.value().args == std::vector<std::string>{"--port", "1"});
}

TEST_CASE("read_app_dir names the path when main.lua or the directory is missing", "[host][blob]") {
  TempDir dir;
  dir.write("other.lua", "x\n");
  auto no_main = lx::host::read_app_dir(dir.str(), {});
  REQUIRE_FALSE(no_main.ok());
  CHECK(no_main.status().kind() == lx::ErrorKind::kUsage);
  CHECK(no_main.status().message().find(dir.str() + "/main.lua") != std::string::npos);

  auto no_dir = lx::host::read_app_dir(dir.str() + "/nope", {});
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.status().kind() == lx::ErrorKind::kUsage);
  CHECK(no_dir.status().message().find(dir.str() + "/nope") != std::string::npos);
}

TEST_CASE("read_app_dir refuses a *.lua link leading outside the app unless told to follow",
          "[host][blob][symlink]") {
  TempDir outside;
  outside.write("secret.lua", "return 'secret'\n");
  TempDir dir;
  dir.write("main.lua", "x\n");
  dir.write("sub/real.lua", "return 1\n");
  // Inside the app: read, with the bytes of the file it leads to.
  fs::create_symlink(fs::path(dir.str()) / "sub/real.lua", fs::path(dir.str()) / "inside.lua");
  auto inside = lx::host::read_app_dir(dir.str(), {});
  INFO((inside.ok() ? "" : inside.status().message()));
  REQUIRE(inside.ok());
  auto decoded = SourceBlob::decode(inside.value());
  REQUIRE(decoded.ok());
  REQUIRE(decoded.value().files.size() == 3);
  CHECK(decoded.value().files[0].path == "inside.lua");
  CHECK(decoded.value().files[0].data == bytes_of("return 1\n"));

  const fs::path link = fs::path(dir.str()) / "sub/leak.lua";
  const std::string target =
      GENERATE(std::string("outside"), std::string("/etc/passwd"), std::string("relative"));
  const fs::path secret = fs::path(outside.str()) / "secret.lua";
  if (target == "outside") fs::create_symlink(secret, link);
  if (target == "/etc/passwd") fs::create_symlink("/etc/passwd", link);
  // ../../ from sub/ climbs out of the app directory.
  if (target == "relative") fs::create_symlink(fs::relative(secret, link.parent_path()), link);
  auto refused = lx::host::read_app_dir(dir.str(), {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().kind() == lx::ErrorKind::kUsage);
  const std::string& message = refused.status().message();
  INFO(message);
  CHECK(message.find("app file " + link.string() + " is a symbolic link to ") == 0);
  CHECK(message.find("outside the app directory " + fs::canonical(dir.str()).string()) !=
        std::string::npos);
  CHECK(message.find("--app-follow-symlinks") != std::string::npos);

  auto followed = lx::host::read_app_dir(dir.str(), {}, lx::host::AppSymlinks::kFollowAll);
  INFO((followed.ok() ? "" : followed.status().message()));
  CHECK(followed.ok());
}
