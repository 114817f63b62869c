// Segment names and directory listing (see segments.h).
#include "lx/wal/segments.h"

#include <dirent.h>
#include <errno.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace lx::wal {
namespace {

constexpr size_t kDigits = 20;
constexpr std::string_view kSuffix = ".lxw";

}  // namespace

std::string segment_file_name(uint64_t first_event) {
  return fmt::format("{:0{}}{}", first_event, kDigits, kSuffix);
}

bool parse_segment_file_name(std::string_view name, uint64_t* first_event) {
  if (name.size() != kDigits + kSuffix.size() || name.substr(kDigits) != kSuffix) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < kDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;  // past uint64
    value = value * 10 + digit;
  }
  if (value == 0 || segment_file_name(value) != name) return false;
  *first_event = value;
  return true;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string path_in(const std::string& dir, std::string_view name) {
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path.back() != '/') path += '/';
  path += name;
  return path;
}

Result<std::vector<SegmentFile>> list_segments(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    const int e = errno;
    const std::string what = "cannot list " + dir;
    if (e == ENOENT || e == ENOTDIR) return Status::corruption(what + ": " + std::strerror(e));
    return Status::io(what, e);
  }
  std::vector<SegmentFile> segments;
  errno = 0;
  while (const dirent* entry = ::readdir(d)) {
    SegmentFile file;
    if (!parse_segment_file_name(entry->d_name, &file.first_event)) continue;
    file.name = entry->d_name;
    file.path = path_in(dir, file.name);
    struct stat st {};
    if (::stat(file.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    file.bytes = static_cast<uint64_t>(st.st_size);
    segments.push_back(std::move(file));
  }
  const int e = errno;
  ::closedir(d);
  if (e != 0) return Status::io("cannot list " + dir, e);
  std::sort(segments.begin(), segments.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.first_event < b.first_event;
  });
  return segments;
}

}  // namespace lx::wal
