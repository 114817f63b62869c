// LuaSandbox: the engine's Lua 5.4 state, allocated on the engine heap, with
// only the libraries and functions that cannot reach the outside world or a
// source of nondeterminism (docs/determinism.md, docs/lua-api.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct lua_State;

namespace lx::engine {

class AppSource;
class DrivenEngine;
class Heap;

class LuaSandbox {
 public:
  // An app error: the message ("main.lua:3: boom") and the whole text with
  // its stack traceback (empty for syntax errors).
  struct Failure {
    std::string message;
    std::string traceback;
  };

  LuaSandbox() = default;
  ~LuaSandbox() { close(); }
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  // Creates the state on heap (app budget), stores engine in its extra space
  // and opens the sandbox. Returns false with a reason in *error.
  bool open(Heap& heap, DrivenEngine& engine, uint64_t seed, std::string* error);
  // Closes the state (runs finalizers). Safe to call twice.
  void close() noexcept;
  lua_State* state() const { return state_; }

  // Compiles a text chunk and keeps it for run_compiled(). False on a syntax
  // error (or no memory), with the message in failure.
  bool compile(std::string_view code, const char* chunk_name, Failure* failure);
  // Drops the module cache and publishes lx.args for a new app source.
  bool start_source(const AppSource& source, Failure* failure);
  // Runs the chunk compile() kept.
  bool run_compiled(Failure* failure);
  // Calls the global function name with no arguments. *defined is false (and
  // nothing runs) when the global is not a function.
  bool call_global(const char* name, bool* defined, Failure* failure);

 private:
  template <typename Fn>
  bool protect(Fn& body, Failure* failure);

  lua_State* state_ = nullptr;
  // The body of the protected call running now; null between calls. The
  // region holds a C stack address only while the call runs, so the bytes
  // of the region between events are the same in every process.
  void* pending_body_ = nullptr;
};

// The engine a Lua state belongs to (kept in the state's extra space).
DrivenEngine& engine_of(lua_State* L);

}  // namespace lx::engine
