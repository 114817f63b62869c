// Helpers for the engine tests that drive liblxengine.so through the C ABI:
// start an app from inline Lua, and evaluate Lua in a running app (a small
// REPL app reads chunks from stdio and writes "ok result" lines back).
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "scripted_driver.h"

namespace lx::test {

// A REPL: each stdio line is a Lua expression (or, failing that, a
// statement); update() answers "<pcall ok> <tostring(result)>" per line.
inline const char* const kReplMain = R"lua(
local io_ch = lx.stdio()
function update()
  local line = io_ch:readline()
  while line do
    local chunk = load("return " .. line, "=repl") or load(line, "=repl")
    local ok, result
    if chunk then ok, result = pcall(chunk) else ok, result = false, "syntax error" end
    io_ch:write(tostring(ok) .. " " .. tostring(result) .. "\n")
    line = io_ch:readline()
  end
end
)lua";

inline std::unique_ptr<ScriptedDriver> start_app(
    const std::string& main_lua, std::map<std::string, std::string> files = {},
    ScriptedDriver::Options options = ScriptedDriver::Options{},
    const std::vector<std::string>& args = {}) {
  auto driver = std::make_unique<ScriptedDriver>(options);
  files["main.lua"] = main_lua;
  int code = driver->set_source(files, args);
  INFO(driver->last_error());
  REQUIRE(code == LX_OK);
  return driver;
}

// Sends one line to the REPL app and returns its answer without the newline.
inline std::string eval(ScriptedDriver& driver, const std::string& lua) {
  REQUIRE(driver.recv(LX_STDIO_CHID, lua + "\n") == LX_OK);
  int code = driver.update();
  INFO(driver.last_error());
  REQUIRE(code == LX_OK);
  std::string all = driver.drain(LX_STDIO_CHID);  // other channels keep their output
  REQUIRE(!all.empty());
  REQUIRE(all.back() == '\n');
  all.pop_back();
  return all;
}

}  // namespace lx::test
