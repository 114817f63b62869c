// AppSource: a copy of the app's source blob on the engine heap, with an index.
#include "app_source.h"

#include <algorithm>

#include "engine_assert.h"

namespace lx::engine {

AppSource::AppSource(Heap& heap)
    : bytes_(eng::Allocator<uint8_t>(heap)),
      files_(eng::Allocator<FileEntry>(heap)),
      args_(eng::Allocator<Span>(heap)) {}

void AppSource::assign(const uint8_t* blob, std::size_t blob_bytes,
                       const SourceBlobReader& reader) {
  eng::vector<uint8_t> bytes(blob, blob + blob_bytes, bytes_.get_allocator());
  eng::vector<FileEntry> files(files_.get_allocator());
  eng::vector<Span> args(args_.get_allocator());
  files.reserve(reader.file_count());
  args.reserve(reader.arg_count());
  auto span_of = [&](std::string_view part) {
    auto offset = static_cast<std::size_t>(reinterpret_cast<const uint8_t*>(part.data()) - blob);
    LX_ENGINE_ASSERT(offset + part.size() <= blob_bytes);
    return Span{static_cast<uint32_t>(offset), static_cast<uint32_t>(part.size())};
  };
  reader.walk(
      [&](const SourceBlobReader::File& file) {
        files.push_back(FileEntry{span_of(file.path), span_of(file.data)});
      },
      [&](std::string_view arg) { args.push_back(span_of(arg)); });
  bytes_.swap(bytes);
  files_.swap(files);
  args_.swap(args);
}

std::string_view AppSource::view(Span span) const {
  return {reinterpret_cast<const char*>(bytes_.data()) + span.offset, span.bytes};
}

std::optional<std::string_view> AppSource::find(std::string_view path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [this](const FileEntry& entry, std::string_view wanted) {
                               return view(entry.path) < wanted;
                             });
  if (it == files_.end() || view(it->path) != path) return std::nullopt;
  return view(it->data);
}

std::string_view AppSource::arg(std::size_t index) const {
  LX_ENGINE_ASSERT(index < args_.size());
  return view(args_[index]);
}

}  // namespace lx::engine
