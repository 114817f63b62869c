// SourceBlobReader: the engine's reader of docs/source-blob.md, version 1.
#include "source_blob_reader.h"

#include <cstring>

namespace lx::engine {
namespace {

constexpr uint8_t kMagic[8] = {0x4C, 0x58, 0x53, 0x52, 0x43, 0x00, 0x01, 0x00};

}  // namespace

uint32_t SourceBlobReader::u32_at(std::size_t at) const {
  return static_cast<uint32_t>(blob_[at]) | static_cast<uint32_t>(blob_[at + 1]) << 8 |
         static_cast<uint32_t>(blob_[at + 2]) << 16 | static_cast<uint32_t>(blob_[at + 3]) << 24;
}

bool SourceBlobReader::fail(const char* reason, int64_t item, std::size_t offset) {
  error_ = Error{reason, item, offset};
  file_count_ = arg_count_ = 0;
  return false;
}

bool SourceBlobReader::valid_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxPathBytes) return false;
  if (path.size() < 4 || path.substr(path.size() - 4) != ".lua") return false;
  if (path.find('\0') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::size_t stop = slash == std::string_view::npos ? path.size() : slash;
    std::string_view component = path.substr(start, stop - start);
    if (component.empty() || component == "." || component == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

bool SourceBlobReader::take_field(const FieldRules& rules, int64_t item, std::size_t* at,
                                  std::string_view* field) {
  if (blob_bytes_ - *at < 4) return fail(rules.length_cut_short, item, *at);
  const uint32_t bytes = u32_at(*at);
  if (bytes < rules.min_bytes || bytes > rules.max_bytes) return fail(rules.bad_length, item, *at);
  *at += 4;
  if (blob_bytes_ - *at < bytes) return fail(rules.bytes_cut_short, item, *at);
  *field = std::string_view(reinterpret_cast<const char*>(blob_ + *at), bytes);
  *at += bytes;
  return true;
}

bool SourceBlobReader::parse(const uint8_t* blob, std::size_t blob_bytes) {
  blob_ = blob;
  blob_bytes_ = blob_bytes;
  error_ = Error{};
  if (blob == nullptr || blob_bytes < kHeaderBytes) {
    return fail("shorter than its 16-byte header", -1, 0);
  }
  if (blob_bytes > kMaxBlobBytes) return fail("larger than 64 MiB", -1, 0);
  if (std::memcmp(blob, kMagic, sizeof(kMagic)) != 0) {
    return fail("bad magic (not an lx source blob, version 1)", -1, 0);
  }
  uint32_t files = u32_at(8);
  uint32_t args = u32_at(12);
  if (files > kMaxFiles) return fail("more than 4096 files", -1, 8);
  if (args > kMaxArgs) return fail("more than 4096 arguments", -1, 12);

  std::size_t at = kHeaderBytes;
  std::string_view previous_path;
  bool has_main = false;
  static constexpr FieldRules kPath = {1, kMaxPathBytes, "cut short in a file's path length",
                                       "path length not within 1 to 1024",
                                       "cut short in a file's path"};
  static constexpr FieldRules kData = {0, kMaxFileBytes, "cut short in a file's data length",
                                       "a file larger than 16 MiB", "cut short in a file's data"};
  static constexpr FieldRules kArg = {0, kMaxArgBytes, "cut short in an argument's length",
                                      "an argument longer than 64 KiB", "cut short in an argument"};
  for (uint32_t i = 0; i < files; ++i) {
    std::string_view path;
    std::string_view data;
    const std::size_t path_at = at + 4;
    if (!take_field(kPath, i, &at, &path)) return false;
    if (!valid_path(path)) {
      return fail(
          "bad path (must be relative, '/'-separated, end in .lua, with no empty, '.' or '..' "
          "component and no NUL)",
          i, path_at);
    }
    if (i > 0 && !(previous_path < path)) {
      return fail("paths not in strictly ascending byte order (or a duplicate)", i, path_at);
    }
    if (path == "main.lua") has_main = true;
    previous_path = path;
    if (!take_field(kData, i, &at, &data)) return false;
  }
  for (uint32_t i = 0; i < args; ++i) {
    std::string_view arg;
    if (!take_field(kArg, i, &at, &arg)) return false;
  }
  if (at != blob_bytes) return fail("trailing bytes after the last argument", -1, at);
  if (!has_main) return fail("no main.lua at the top level", -1, at);
  file_count_ = files;
  arg_count_ = args;
  return true;
}

}  // namespace lx::engine
