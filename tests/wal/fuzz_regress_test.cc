// The log reader over every input the log_reader fuzzer found
// (fuzz/regress/log_reader, docs/fuzzing.md) and the logs of tests/data: each
// must keep the reader's contract (fuzz/reader_check.h) in every recovery
// mode and read the same twice.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "reader_check.h"
#include "wal_test_util.h"

namespace {

// Regular files in dir (none when it does not exist) ending in `suffix`, sorted.
std::vector<std::string> files_in(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> paths;
  if (!std::filesystem::is_directory(dir)) return paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && path.size() >= suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// @return how many files were checked.
size_t check_every_file(const std::string& dir, const std::string& suffix) {
  const std::vector<std::string> paths = files_in(dir, suffix);
  for (const std::string& path : paths) {
    INFO(path);
    CHECK(lx::fuzz::check_log(lx::wal::test::read_file(path), true) == "");
  }
  return paths.size();
}

}  // namespace

TEST_CASE("the reader keeps its contract on every fuzz finding", "[wal][fuzz]") {
  // Every file there is an input (libFuzzer names them crash-<sha1>, ...).
  check_every_file(LX_FUZZ_REGRESS_DIR "/log_reader", "");
}

TEST_CASE("the reader keeps its contract on the logs of tests/data", "[wal][fuzz]") {
  CHECK(check_every_file(LX_TEST_DATA_DIR "/regress", ".lxw") > 0);
  CHECK(check_every_file(LX_TEST_DATA_DIR "/format-1.0", ".lxw") > 0);
}
