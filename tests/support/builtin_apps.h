// Lua apps built into the test support library, used by lx_script_session
// and the engine tests: each probes one determinism hazard or plays a
// simple server.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lx::test {

// Names: "determinism" (pairs orders, table.sort with equal keys,
// tostring({}), random numbers, interning, coroutines, GC counts, dates),
// "keys" (pairs order for each key type, and %p of a table and of a light
// C function), "echo" (echoes lines on every channel). Throws
// std::invalid_argument for another name.
const std::map<std::string, std::string>& builtin_app(const std::string& name);
std::vector<std::string> builtin_app_names();

}  // namespace lx::test
