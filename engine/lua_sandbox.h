// LuaSandbox: the engine's Lua 5.4 state, allocated on the engine heap, with
// only the libraries and functions that cannot reach the outside world or a
// source of nondeterminism (docs/determinism.md, docs/lua-api.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct lua_State;

namespace lx::engine {

class AppMemory;
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

  // Creates the state on heap (app budget, charged to memory), stores engine
  // in its extra space and opens the sandbox. instruction_budget (0:
  // unlimited) bounds each entry point (run_compiled, call_global). heap,
  // memory and engine must outlive the state. Returns false with a reason in
  // *error.
  bool open(Heap& heap, AppMemory& memory, DrivenEngine& engine, uint64_t seed,
            uint64_t instruction_budget, std::string* error);
  // Closes the state (runs finalizers). Safe to call twice.
  void close() noexcept;
  lua_State* state() const { return state_; }

  // Compiles a text chunk and keeps it for run_compiled(). False on a syntax
  // error (or no memory), with the message in failure.
  bool compile(std::string_view code, const char* chunk_name, Failure* failure);
  // Drops the module cache and publishes lx.args for a new app source.
  bool start_source(const AppSource& source, Failure* failure);
  // Runs the chunk compile() kept, as the entry point named entry (which the
  // instruction budget's message names: "main.lua").
  bool run_compiled(const char* entry, Failure* failure);
  // Calls the global function name with no arguments, as the entry point
  // "name()". *defined is false (and nothing runs) when the global is not a
  // function.
  bool call_global(const char* name, bool* defined, Failure* failure);

  // The Lua allocator's work: the heap's app budget, within the app's memory
  // cap. Never refuses a shrink (Lua relies on that).
  void* allocate(void* block, std::size_t old_size, std::size_t new_size) noexcept;
  // Called by the count hook every few thousand instructions of the running
  // entry point: counts them and, past the budget, raises the budget error
  // (and keeps raising it at every instruction until the entry point ends).
  void count_instructions(lua_State* L);
  // True from the budget error until its entry point has returned.
  bool budget_exhausted() const { return budget_exhausted_; }
  // Raises the budget error in L (budget_exhausted() must be true).
  [[noreturn]] void raise_budget_error(lua_State* L);

 private:
  template <typename Fn>
  bool protect(Fn& body, Failure* failure);
  // protect() under the instruction budget, for the entry point entry.
  template <typename Fn>
  bool run_entry(const char* entry, Fn& body, Failure* failure);
  // Pushes the budget error's message ("where: instruction budget of N
  // exceeded in entry").
  void push_budget_message(lua_State* L);

  lua_State* state_ = nullptr;
  // The body of the protected call running now; null between calls. The
  // region holds a C stack address only while the call runs, so the bytes
  // of the region between events are the same in every process.
  void* pending_body_ = nullptr;
  Heap* heap_ = nullptr;
  AppMemory* memory_ = nullptr;
  uint64_t instruction_budget_ = 0;  // 0: unlimited (no hook installed)
  uint64_t instructions_used_ = 0;   // by the running entry point, in whole hook slices
  bool in_entry_ = false;            // an entry point is running
  char entry_[64] = {};              // its name: "main.lua", "update()"
  bool budget_exhausted_ = false;    // raised; raising again at every instruction
  char stop_where_[128] = {};        // "main.lua:3: " where the budget ran out
};

// The engine a Lua state belongs to (kept in the state's extra space).
DrivenEngine& engine_of(lua_State* L);

}  // namespace lx::engine
