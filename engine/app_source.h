// AppSource: the app's current source blob, copied onto the engine heap and
// indexed, so require() can find a module and lx.args can be rebuilt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "eng_containers.h"
#include "source_blob_reader.h"

namespace lx::engine {

class AppSource {
 public:
  explicit AppSource(Heap& heap);

  // Replaces the held source with a copy of the blob reader has parsed.
  // Throws std::bad_alloc (and then keeps the previous source).
  void assign(const uint8_t* blob, std::size_t blob_bytes, const SourceBlobReader& reader);
  bool empty() const { return bytes_.empty(); }
  // The bytes of the file at path, or nullopt when the blob has no such file.
  std::optional<std::string_view> find(std::string_view path) const;
  std::size_t arg_count() const { return args_.size(); }
  std::string_view arg(std::size_t index) const;

 private:
  struct Span {
    uint32_t offset;
    uint32_t bytes;
  };
  struct FileEntry {
    Span path;
    Span data;
  };
  std::string_view view(Span span) const;

  eng::vector<uint8_t> bytes_;
  eng::vector<FileEntry> files_;  // in blob order, which is ascending by path
  eng::vector<Span> args_;
};

}  // namespace lx::engine
