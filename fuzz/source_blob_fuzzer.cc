// libFuzzer harness "source_blob": the engine's source-blob parser
// (engine/source_blob_reader.*) checked against the host's decoder and
// encoder, which implement the same format (docs/source-blob.md) apart.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lx/host/source_blob.h"
#include "source_blob_reader.h"

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "source_blob: %s\n", what.c_str());
  std::abort();
}

bool inside(std::string_view part, const uint8_t* data, size_t size) {
  const auto* begin = reinterpret_cast<const uint8_t*>(part.data());
  return part.empty() || (begin >= data && begin + part.size() <= data + size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lx::engine::SourceBlobReader;
  SourceBlobReader reader;
  const bool parsed = reader.parse(data, size);
  auto decoded = lx::host::SourceBlob::decode({data, size});
  if (parsed != decoded.ok()) {
    broken(parsed ? "the engine accepts a blob the host refuses: " + decoded.status().message()
                  : std::string("the engine refuses a blob the host accepts: ") +
                        reader.error().reason);
  }
  if (!parsed) {
    const SourceBlobReader::Error& error = reader.error();
    if (error.reason == nullptr || error.offset > size || reader.file_count() != 0 ||
        reader.arg_count() != 0) {
      broken("a refusal without a reason, past the blob, or with items left");
    }
    return 0;
  }
  const lx::host::SourceBlob::Contents& contents = decoded.value();
  if (reader.file_count() != contents.files.size() || reader.arg_count() != contents.args.size())
    broken("the engine and the host count different files or arguments");
  size_t file = 0;
  size_t arg = 0;
  std::string_view previous;
  bool has_main = false;
  reader.walk(
      [&](const SourceBlobReader::File& f) {
        if (!inside(f.path, data, size) || !inside(f.data, data, size))
          broken("a file's path or data lies outside the blob");
        if (!SourceBlobReader::valid_path(f.path) || (file > 0 && !(previous < f.path)))
          broken("an accepted blob holds a bad or unordered path");
        const lx::host::SourceFile& want = contents.files[file++];
        if (f.path != want.path ||
            f.data !=
                std::string_view(reinterpret_cast<const char*>(want.data.data()), want.data.size()))
          broken("the engine and the host read a file differently");
        has_main = has_main || f.path == "main.lua";
        previous = f.path;
      },
      [&](std::string_view a) {
        if (!inside(a, data, size)) broken("an argument lies outside the blob");
        if (a != contents.args[arg++]) broken("the engine and the host read an argument apart");
      });
  if (!has_main) broken("an accepted blob without main.lua");
  // The format is canonical: encoding what was read gives the same bytes.
  auto encoded = lx::host::SourceBlob::encode(contents.files, contents.args);
  if (!encoded.ok())
    broken("the host cannot encode what it decoded: " + encoded.status().message());
  if (encoded.value() != std::vector<uint8_t>(data, data + size))
    broken("encoding an accepted blob again gives other bytes");
  return 0;
}
