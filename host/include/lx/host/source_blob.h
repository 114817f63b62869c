// The app source blob (docs/source-blob.md): the app's .lua files and its
// arguments as one byte string, which set_lua_source takes and the log keeps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lx/status.h"

namespace lx::host {

// One app file: its path relative to the app directory ('/'-separated) and bytes.
struct SourceFile {
  std::string path;
  std::vector<uint8_t> data;
  bool operator==(const SourceFile&) const = default;
};

// Encoder and (for tests and tools) decoder of version 1 of the blob.
class SourceBlob {
 public:
  static constexpr uint32_t kMaxFiles = 4096;
  static constexpr uint32_t kMaxArgs = 4096;
  static constexpr uint32_t kMaxPathBytes = 1024;
  static constexpr uint32_t kMaxFileBytes = 16u << 20;
  static constexpr uint32_t kMaxArgBytes = 64u << 10;
  static constexpr uint64_t kMaxBlobBytes = 64u << 20;

  struct Contents {
    std::vector<SourceFile> files;
    std::vector<std::string> args;
  };

  // Sorts files by path and encodes them with args. Fails (kUsage) on a limit,
  // a bad or duplicate path, or a missing top-level main.lua.
  static Result<std::vector<uint8_t>> encode(std::vector<SourceFile> files,
                                             const std::vector<std::string>& args);
  // Parses a blob, applying every rule a reader must (kCorrupt on failure).
  static Result<Contents> decode(std::span<const uint8_t> blob);
  // Empty when path is acceptable in a blob, else why not.
  static std::string check_path(const std::string& path);
};

// Which *.lua files of an app directory may be symbolic links.
enum class AppSymlinks {
  kInsideOnly,  // a link whose real path is outside the app directory is refused
  kFollowAll,   // any link is read (lxrun --app-follow-symlinks)
};

// Reads every regular *.lua file under dir (recursively, skipping names that
// start with '.'; symbolic links to directories are not entered) and encodes
// them with args. A missing directory or main.lua is ErrorKind::kUsage with
// the path in the message, and so is, under kInsideOnly, a file whose real
// path lies outside the real path of dir (the message names the file and
// where it leads): the blob goes into the log, so a link must not carry
// /etc/shadow into it. A read failure is kIo.
Result<std::vector<uint8_t>> read_app_dir(const std::string& dir,
                                          const std::vector<std::string>& args,
                                          AppSymlinks symlinks = AppSymlinks::kInsideOnly);

}  // namespace lx::host
