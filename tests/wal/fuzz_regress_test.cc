// The log reader over every input the log_reader fuzzer found
// (fuzz/regress/log_reader, docs/fuzzing.md) and the logs of tests/data: each
// must keep the reader's contract (fuzz/reader_check.h) in every recovery
// mode, read the same twice, and hold no more heap than the reader's bound.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "reader_check.h"
#include "wal_test_util.h"

// The heap held through operator new (the reader's buffers are vectors): the
// bytes live now, and the most since peak_bytes was last reset.
namespace {
std::atomic<int64_t> live_bytes{0};
std::atomic<int64_t> peak_bytes{0};

void* counted_new(size_t bytes) {
  void* p = std::malloc(bytes == 0 ? 1 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  const auto usable = static_cast<int64_t>(malloc_usable_size(p));
  const int64_t now = live_bytes.fetch_add(usable) + usable;
  int64_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return p;
}

void counted_delete(void* p) {
  if (p == nullptr) return;
  live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)));
  std::free(p);
}
}  // namespace

void* operator new(size_t bytes) { return counted_new(bytes); }
void* operator new[](size_t bytes) { return counted_new(bytes); }
void* operator new(size_t bytes, const std::nothrow_t&) noexcept {
  try {
    return counted_new(bytes);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t bytes, const std::nothrow_t& tag) noexcept {
  return operator new(bytes, tag);
}
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, size_t) noexcept { counted_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_delete(p); }

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
    const std::vector<uint8_t> bytes = lx::wal::test::read_file(path);
    const int64_t before = live_bytes.load();
    peak_bytes.store(before);
    CHECK(lx::fuzz::check_log(bytes, true) == "");
    CHECK(peak_bytes.load() - before <= lx::fuzz::kReaderHeapBoundBytes);
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
  CHECK(check_every_file(LX_TEST_DATA_DIR "/format-2.0", ".lxw") > 0);
  // Segments after the first begin at a later event than 1.
  CHECK(check_every_file(LX_TEST_DATA_DIR "/format-2.0/segments", ".lxw") == 4);
}
