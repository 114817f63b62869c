// SourceBlobReader: checks and walks a source blob (docs/source-blob.md), the
// app's .lua files and arguments as the driver hands them to set_lua_source.
// It reads the caller's bytes in place and allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lx::engine {

class SourceBlobReader {
 public:
  static constexpr uint32_t kMaxFiles = 4096;
  static constexpr uint32_t kMaxArgs = 4096;
  static constexpr uint32_t kMaxPathBytes = 1024;
  static constexpr uint32_t kMaxFileBytes = uint32_t{16} << 20;
  static constexpr uint32_t kMaxArgBytes = 64 * 1024;
  static constexpr std::size_t kMaxBlobBytes = std::size_t{64} << 20;
  static constexpr std::size_t kHeaderBytes = 16;

  struct File {
    std::string_view path;
    std::string_view data;
  };

  // Why a blob was refused: a fixed reason, the file or argument it concerns
  // (-1 for the blob as a whole) and the byte offset where reading stopped.
  struct Error {
    const char* reason = nullptr;
    int64_t item = -1;
    std::size_t offset = 0;
  };

  // Checks every rule of the format. blob must stay alive while the reader
  // is used. Returns false and fills error() when the blob is malformed.
  bool parse(const uint8_t* blob, std::size_t blob_bytes);
  const Error& error() const { return error_; }

  uint32_t file_count() const { return file_count_; }
  uint32_t arg_count() const { return arg_count_; }
  // Calls visit(File) for each file in blob order, then visit_arg(string_view)
  // for each argument. Only after a successful parse().
  template <typename FileVisitor, typename ArgVisitor>
  void walk(FileVisitor&& visit, ArgVisitor&& visit_arg) const {
    std::size_t at = kHeaderBytes;
    for (uint32_t i = 0; i < file_count_; ++i) {
      uint32_t path_bytes = u32_at(at);
      std::string_view path(reinterpret_cast<const char*>(blob_ + at + 4), path_bytes);
      at += 4 + path_bytes;
      uint32_t data_bytes = u32_at(at);
      std::string_view data(reinterpret_cast<const char*>(blob_ + at + 4), data_bytes);
      at += 4 + data_bytes;
      visit(File{path, data});
    }
    for (uint32_t i = 0; i < arg_count_; ++i) {
      uint32_t arg_bytes = u32_at(at);
      visit_arg(std::string_view(reinterpret_cast<const char*>(blob_ + at + 4), arg_bytes));
      at += 4 + arg_bytes;
    }
  }

  // True when path follows the blob's path rules (relative, '/'-separated,
  // ends in ".lua", no empty, "." or ".." component, no NUL).
  static bool valid_path(std::string_view path);

 private:
  uint32_t u32_at(std::size_t at) const;
  // Reads one length-prefixed field of item `item` at *at: its u32 length
  // must be within [min_bytes, max_bytes] and its bytes inside the blob. On
  // success stores the bytes in *field, moves *at past them and returns
  // true; otherwise fails with one of the three reasons.
  struct FieldRules {
    uint32_t min_bytes;
    uint32_t max_bytes;
    const char* length_cut_short;
    const char* bad_length;
    const char* bytes_cut_short;
  };
  bool take_field(const FieldRules& rules, int64_t item, std::size_t* at, std::string_view* field);
  bool fail(const char* reason, int64_t item, std::size_t offset);

  const uint8_t* blob_ = nullptr;
  std::size_t blob_bytes_ = 0;
  uint32_t file_count_ = 0;
  uint32_t arg_count_ = 0;
  Error error_;
};

}  // namespace lx::engine
