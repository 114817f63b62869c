// The pieces the sandbox's Lua libraries share: the library openers, the
// error helpers, and the guard that keeps C++ exceptions from unwinding
// into the Lua VM.
#pragma once

#include <lauxlib.h>
#include <lua.h>

#include <exception>
#include <new>

#include "app_source.h"
#include "driven_engine.h"

namespace lx::engine {

// Registry keys of the sandbox.
inline constexpr const char* kRegistryModules = "lx.modules";  // require's cache
inline constexpr const char* kRegistryApi = "lx.api";          // the lx table
inline constexpr const char* kRegistryStdio = "lx.stdio";      // channel 0's userdata
inline constexpr const char* kRegistryPending = "lx.pending";  // a compiled main.lua
inline constexpr const char* kChannelMetatable = "lx.channel";

// Sets the global `os` to the sandbox's clock-only os library.
void open_os_library(lua_State* L);
// Sets the global `lx` (and the registry's copy) and makes stdio's userdata.
void open_lx_library(lua_State* L);
// Stores lx.args for the current source in the registry's lx table.
void publish_args(lua_State* L, const AppSource& source);
// lx.log(...) and the sandbox's print(...): one log line, arguments joined by tabs.
int lua_log_line(lua_State* L);
// The message handler of every protected call: message plus stack traceback.
int traceback_handler(lua_State* L);

// Raises a Lua error prefixed with the caller's position, like luaL_error,
// but declared [[noreturn]] so C++ control flow knows it.
[[noreturn]] void raise_error(lua_State* L, const char* format, ...);

// Puts the engine into its failed state after a C++ exception in engine code
// and raises a Lua error, so the VM unwinds to the event's protected call.
[[noreturn]] void fail_engine_and_raise(lua_State* L, bool out_of_memory);

// Wraps a lua_CFunction that calls engine C++ code which may throw: a
// std::bad_alloc from engine bookkeeping puts the engine into its failed
// state and becomes a Lua error; a Lua error passes through untouched (it is
// not a std::exception).
template <lua_CFunction F>
int guarded(lua_State* L) {
  bool out_of_memory = false;
  try {
    return F(L);
  } catch (const std::bad_alloc&) {
    out_of_memory = true;
  } catch (const std::exception&) {
  }
  fail_engine_and_raise(L, out_of_memory);
}

}  // namespace lx::engine
