// How inspection shows Lua values (docs/inspect.md): readable text or JSON,
// tables to a depth with their keys in one fixed order (so the same state
// always prints the same), tables met again named by the path they were first
// shown at, functions by source and line, long strings cut with their length.
// Only inspection uses it: it pushes onto the Lua stack and allocates there.
#pragma once

#include <lua.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace lx::engine {

struct RenderLimits {
  bool json = false;
  uint32_t depth = 3;               // tables deeper than this show their entry count only
  uint64_t max_entries = 100;       // entries shown per table; the rest are counted
  uint32_t max_string_bytes = 200;  // longer strings are cut, their length shown
};

// Pushes a new sequence of the keys of the table at table_index in the
// inspection order: numbers by value, then strings bytewise, then false and
// true, then other values (channels by chid, then by type and address; an
// address repeats in every replay of a log, since the heap is at a fixed
// address). Returns how many keys there are.
int push_sorted_keys(lua_State* L, int table_index);

// The text that names a key inside brackets: "\"a b\"", "42", "1.5", "true",
// "<channel 3>", "<table: 0x...>".
std::string key_text(lua_State* L, int key_index);
// The path segment that follows a table's path to reach the key: ".name"
// for a name Lua accepts after a dot, else "[" key_text "]".
std::string path_segment(lua_State* L, int key_index);
// True for a string Lua accepts as a name (not a reserved word).
bool is_lua_name(std::string_view text);

// text as a JSON string literal, each byte the code point of its value
// (docs/json.md).
std::string json_string(std::string_view text);

// A value that is not a table, as text or JSON ("nil", "17", "1.5", a quoted
// string, "<function main.lua:12>", "<channel 3>").
std::string render_leaf(lua_State* L, int index, const RenderLimits& limits);

// Renders whole values, remembering which tables it has shown so that a
// table met again prints as "<same as PATH>" (or "<cycle: PATH>" inside
// itself). One renderer per eval: what it remembers spans every value.
class ValueRenderer {
 public:
  ValueRenderer(lua_State* L, const RenderLimits& limits) : L_(L), limits_(limits) {}

  // The value at index; path names it in references to it.
  std::string render(int index, const std::string& path);

 private:
  std::string render_at(int index, const std::string& path, uint32_t depth);
  std::string render_table(int index, const std::string& path, uint32_t depth);

  lua_State* L_;
  RenderLimits limits_;
  std::map<const void*, std::string> shown_;  // table -> the path it was shown at
  std::set<const void*> open_;                // tables being shown (ancestors)
};

// The number of entries of the table at index (raw, without __pairs).
uint64_t table_entry_count(lua_State* L, int index);

}  // namespace lx::engine
