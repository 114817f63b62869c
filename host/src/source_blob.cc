// Encoding and decoding the app source blob (docs/source-blob.md), and reading
// an app directory into one.
#include "lx/host/source_blob.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace lx::host {
namespace {

constexpr uint8_t kMagic[8] = {'L', 'X', 'S', 'R', 'C', 0x00, 0x01, 0x00};

void put_u32(std::vector<uint8_t>& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void put_bytes(std::vector<uint8_t>& out, const void* bytes, size_t size) {
  const auto* p = static_cast<const uint8_t*>(bytes);
  out.insert(out.end(), p, p + size);
}

// Reads little-endian fields from a blob, refusing to run past its end.
class BlobReader {
 public:
  explicit BlobReader(std::span<const uint8_t> blob) : blob_(blob) {}
  bool u32(uint32_t& value) {
    if (blob_.size() - at_ < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(blob_[at_ + i]) << (8 * i);
    at_ += 4;
    return true;
  }
  bool bytes(size_t size, std::span<const uint8_t>& out) {
    if (blob_.size() - at_ < size) return false;
    out = blob_.subspan(at_, size);
    at_ += size;
    return true;
  }
  bool done() const { return at_ == blob_.size(); }

 private:
  std::span<const uint8_t> blob_;
  size_t at_ = 0;
};

Status corrupt(const std::string& why) {
  return Status::error(ErrorKind::kCorrupt, "bad source blob: " + why);
}

}  // namespace

std::string SourceBlob::check_path(const std::string& path) {
  if (path.empty() || path.size() > kMaxPathBytes) {
    return fmt::format("path length {} is not 1 to {}", path.size(), kMaxPathBytes);
  }
  if (path.front() == '/') return "path starts with '/'";
  if (path.find('\0') != std::string::npos) return "path holds a NUL byte";
  if (path.size() < 4 || path.compare(path.size() - 4, 4, ".lua") != 0) {
    return "path does not end in .lua";
  }
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string_view part(path.data() + start,
                          (slash == std::string::npos ? path.size() : slash) - start);
    if (part.empty() || part == "." || part == "..") {
      return "path has an empty, '.' or '..' component";
    }
    if (slash == std::string::npos) return {};
    start = slash + 1;
  }
}

Result<std::vector<uint8_t>> SourceBlob::encode(std::vector<SourceFile> files,
                                                const std::vector<std::string>& args) {
  auto usage = [](const std::string& why) { return Status::error(ErrorKind::kUsage, why); };
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  if (files.size() > kMaxFiles) {
    return usage(fmt::format("{} app files, at most {} are allowed", files.size(), kMaxFiles));
  }
  if (args.size() > kMaxArgs) {
    return usage(fmt::format("{} app arguments, at most {} are allowed", args.size(), kMaxArgs));
  }
  bool has_main = false;
  uint64_t total_bytes = 16;
  for (size_t i = 0; i < files.size(); ++i) {
    const SourceFile& file = files[i];
    if (std::string why = check_path(file.path); !why.empty()) {
      return usage(fmt::format("app file {}: {}", file.path, why));
    }
    if (i > 0 && files[i - 1].path == file.path) {
      return usage(fmt::format("app file {} appears twice", file.path));
    }
    if (file.data.size() > kMaxFileBytes) {
      return usage(fmt::format("app file {} has {} bytes, at most {} are allowed", file.path,
                               file.data.size(), kMaxFileBytes));
    }
    has_main = has_main || file.path == "main.lua";
    total_bytes += 8 + file.path.size() + file.data.size();
  }
  if (!has_main) return usage("the app has no main.lua at its top level");
  for (const std::string& arg : args) {
    if (arg.size() > kMaxArgBytes) {
      return usage(fmt::format("an app argument has {} bytes, at most {} are allowed", arg.size(),
                               kMaxArgBytes));
    }
    total_bytes += 4 + arg.size();
  }
  if (total_bytes > kMaxBlobBytes) {
    return usage(fmt::format("the app source is {} bytes, at most {} are allowed", total_bytes,
                             kMaxBlobBytes));
  }
  std::vector<uint8_t> blob;
  blob.reserve(total_bytes);
  put_bytes(blob, kMagic, sizeof(kMagic));
  put_u32(blob, static_cast<uint32_t>(files.size()));
  put_u32(blob, static_cast<uint32_t>(args.size()));
  for (const SourceFile& file : files) {
    put_u32(blob, static_cast<uint32_t>(file.path.size()));
    put_bytes(blob, file.path.data(), file.path.size());
    put_u32(blob, static_cast<uint32_t>(file.data.size()));
    put_bytes(blob, file.data.data(), file.data.size());
  }
  for (const std::string& arg : args) {
    put_u32(blob, static_cast<uint32_t>(arg.size()));
    put_bytes(blob, arg.data(), arg.size());
  }
  LX_ASSERT_OP(blob.size(), ==, total_bytes);
  return blob;
}

Result<SourceBlob::Contents> SourceBlob::decode(std::span<const uint8_t> blob) {
  if (blob.size() > kMaxBlobBytes) return corrupt("larger than 64 MiB");
  BlobReader reader(blob);
  std::span<const uint8_t> magic;
  if (!reader.bytes(sizeof(kMagic), magic) || std::memcmp(magic.data(), kMagic, 8) != 0) {
    return corrupt("no LXSRC version 1 magic");
  }
  uint32_t file_count = 0;
  uint32_t arg_count = 0;
  if (!reader.u32(file_count) || !reader.u32(arg_count)) return corrupt("truncated header");
  if (file_count > kMaxFiles || arg_count > kMaxArgs) return corrupt("too many files or args");
  Contents contents;
  bool has_main = false;
  for (uint32_t i = 0; i < file_count; ++i) {
    uint32_t path_bytes = 0;
    uint32_t data_bytes = 0;
    std::span<const uint8_t> path;
    std::span<const uint8_t> data;
    if (!reader.u32(path_bytes) || path_bytes > kMaxPathBytes || !reader.bytes(path_bytes, path) ||
        !reader.u32(data_bytes) || data_bytes > kMaxFileBytes || !reader.bytes(data_bytes, data)) {
      return corrupt(fmt::format("file {} is truncated or too large", i));
    }
    SourceFile file{std::string(path.begin(), path.end()),
                    std::vector<uint8_t>(data.begin(), data.end())};
    if (std::string why = check_path(file.path); !why.empty()) {
      return corrupt(fmt::format("file {}: {}", i, why));
    }
    if (!contents.files.empty() && !(contents.files.back().path < file.path)) {
      return corrupt(fmt::format("file {} ({}) is out of order or repeated", i, file.path));
    }
    has_main = has_main || file.path == "main.lua";
    contents.files.push_back(std::move(file));
  }
  for (uint32_t i = 0; i < arg_count; ++i) {
    uint32_t arg_bytes = 0;
    std::span<const uint8_t> arg;
    if (!reader.u32(arg_bytes) || arg_bytes > kMaxArgBytes || !reader.bytes(arg_bytes, arg)) {
      return corrupt(fmt::format("argument {} is truncated or too large", i));
    }
    contents.args.emplace_back(arg.begin(), arg.end());
  }
  if (!reader.done()) return corrupt("trailing bytes");
  if (!has_main) return corrupt("no main.lua");
  return contents;
}

namespace {

// True when path (absolute, canonical) is root or lies under it.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto [in_root, in_path] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  (void)in_path;
  return in_root == root.end();
}

}  // namespace

Result<std::vector<uint8_t>> read_app_dir(const std::string& dir,
                                          const std::vector<std::string>& args,
                                          AppSymlinks symlinks) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return Status::error(ErrorKind::kUsage,
                         fmt::format("app directory {} does not exist or is not a directory; "
                                     "pass --app with a directory holding main.lua",
                                     dir));
  }
  if (!fs::is_regular_file(fs::path(dir) / "main.lua", error)) {
    return Status::error(
        ErrorKind::kUsage,
        fmt::format("app directory {} has no main.lua; an app needs {}/main.lua", dir, dir));
  }
  const fs::path root = fs::canonical(dir, error);
  if (error) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot resolve app directory {}: {}", dir, error.message()));
  }
  std::vector<SourceFile> files;
  fs::recursive_directory_iterator it(dir, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::directory_entry& entry = *it;
    std::string name = entry.path().filename().string();
    if (!name.empty() && name.front() == '.') {
      if (entry.is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(error) || entry.path().extension() != ".lua") continue;
    std::string relative = entry.path().lexically_relative(dir).generic_string();
    if (symlinks == AppSymlinks::kInsideOnly && entry.is_symlink(error)) {
      std::error_code resolve_error;
      const fs::path real = fs::canonical(entry.path(), resolve_error);
      if (resolve_error || !is_within(real, root)) {
        return Status::error(
            ErrorKind::kUsage,
            fmt::format("app file {} is a symbolic link to {}, outside the app directory {}; "
                        "only files inside it are read (they go into the log): copy the file in, "
                        "or pass --app-follow-symlinks to lxrun",
                        entry.path().string(),
                        resolve_error ? fs::read_symlink(entry.path(), resolve_error).string()
                                      : real.string(),
                        root.string()));
      }
    }
    if (uintmax_t size = entry.file_size(error); !error && size > SourceBlob::kMaxFileBytes) {
      return Status::error(ErrorKind::kUsage,
                           fmt::format("app file {} has {} bytes, at most {} are allowed",
                                       entry.path().string(), size, SourceBlob::kMaxFileBytes));
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> data;
    if (in.is_open()) {
      data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!in.is_open() || in.bad()) {
      return Status::error(
          ErrorKind::kIo,
          fmt::format("cannot read app file {}; check its permissions", entry.path().string()));
    }
    files.push_back({std::move(relative), std::move(data)});
    if (files.size() > SourceBlob::kMaxFiles) break;  // encode reports the limit
  }
  if (error) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot list app directory {}: {}", dir, error.message()));
  }
  return SourceBlob::encode(std::move(files), args);
}

}  // namespace lx::host
