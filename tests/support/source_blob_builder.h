// build_source_blob: makes a source blob (docs/source-blob.md) from files in
// memory, the way the driver makes one from an app directory, so tests can
// feed set_lua_source without touching the file system.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lx::test {

// files: path -> contents (std::map keeps the byte order the format wants).
std::string build_source_blob(const std::map<std::string, std::string>& files,
                              const std::vector<std::string>& args = {});

// Reads every .lua file under dir (skipping names that start with '.') into
// a path -> contents map; throws std::runtime_error when dir cannot be read.
std::map<std::string, std::string> read_app_directory(const std::string& dir);

}  // namespace lx::test
