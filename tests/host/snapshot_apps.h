// The apps the snapshot tests run, shared by lx_snapshot_session and the
// tests that drive it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lx/host/source_blob.h"

namespace lx::test {

// Where liblxengine.so is linked (engine/CMakeLists.txt, LINK_ADDRESS).
inline constexpr uint64_t kEngineLinkAddress = 0x4c7800000000ull;

// "store": a line-protocol key-value store with lists, sorting, random draws,
// big allocations and garbage (state that changes in every way).
// "x17", "x18": `x = 17` / `x = 18` and an update() that does nothing: the
// same allocations, one value different.
// Throws std::invalid_argument for another name.
std::vector<host::SourceFile> snapshot_app(const std::string& name);

}  // namespace lx::test
