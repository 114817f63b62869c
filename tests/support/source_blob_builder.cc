// build_source_blob: the test-side writer of docs/source-blob.md.
#include "source_blob_builder.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lx::test {
namespace {

void put_u32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

std::string build_source_blob(const std::map<std::string, std::string>& files,
                              const std::vector<std::string>& args) {
  std::string out("LXSRC\0\1\0", 8);
  put_u32(out, static_cast<uint32_t>(files.size()));
  put_u32(out, static_cast<uint32_t>(args.size()));
  for (const auto& [path, data] : files) {
    put_u32(out, static_cast<uint32_t>(path.size()));
    out += path;
    put_u32(out, static_cast<uint32_t>(data.size()));
    out += data;
  }
  for (const std::string& arg : args) {
    put_u32(out, static_cast<uint32_t>(arg.size()));
    out += arg;
  }
  return out;
}

std::map<std::string, std::string> read_app_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    fs::path relative = fs::relative(entry.path(), dir);
    bool hidden = false;
    for (const auto& part : relative) hidden = hidden || part.string().starts_with(".");
    if (hidden || relative.extension() != ".lua") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + entry.path().string());
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[relative.generic_string()] = bytes.str();
  }
  return files;
}

}  // namespace lx::test
