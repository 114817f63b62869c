// eval and dump_state: the Lua side of inspection. eval compiles the chunk
// with an _ENV that looks names up in `ev`, the app's globals, the upvalues
// of update(), the app's modules and the helpers, in that order; dump_state
// names every table and function the app reaches by its shortest path (a
// breadth-first walk), then prints the tree depth-first with sorted keys.
#include "lua_inspect.h"

#include <lauxlib.h>
#include <lua.h>

#include <cstring>
#include <exception>
#include <map>
#include <new>
#include <set>
#include <vector>

#include "driven_engine.h"
#include "lua_bindings.h"
#include "lua_render.h"

namespace lx::engine {
namespace {

constexpr uint32_t kEvalDepth = 3;
constexpr uint32_t kDumpDepth = 64;
constexpr uint64_t kEvalEntries = 100;
constexpr uint32_t kStringBytes = 200;

RenderLimits limits_for(const lx_inspect_options& options, bool dump) {
  RenderLimits limits;
  limits.json = options.format == LX_RENDER_JSON;
  limits.depth = options.depth != 0 ? options.depth : (dump ? kDumpDepth : kEvalDepth);
  limits.max_entries =
      options.max_entries != 0 ? options.max_entries : (dump ? UINT64_MAX : kEvalEntries);
  limits.max_string_bytes = options.max_string_bytes != 0 ? options.max_string_bytes : kStringBytes;
  return limits;
}

// An upvalue _ENV holding the globals table is how a function reaches
// globals, not state of its own. Expects the upvalue's value on top.
bool is_globals_env(lua_State* L, const char* name) {
  if (std::strcmp(name, "_ENV") != 0) return false;
  lua_pushglobaltable(L);
  bool same = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 1);
  return same;
}

// The app's locals: the upvalues of the global function update() and,
// breadth first, of the Lua functions those upvalues hold, and so on (in
// effect the top-level locals of main.lua that any function update reaches
// uses). For each name met first, calls visit(name, cell, owner) with the
// value on top of the stack, where owner is the path visit gave the
// function holding it ("update" for update()); visit returns the path it
// gives the value. A name met again (another cell, or the same one) is
// skipped: the nearest wins.
template <typename Visit>
void walk_locals(lua_State* L, Visit&& visit) {
  luaL_checkstack(L, 8, "walking the app's locals");
  lua_newtable(L);  // the functions to look into, in order
  int queue = lua_gettop(L);
  std::vector<std::string> owners;
  lua_pushglobaltable(L);
  lua_pushliteral(L, "update");
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1)) {
    lua_rawseti(L, queue, 1);
    owners.push_back("update");
  } else {
    lua_pop(L, 1);
  }
  std::set<std::string> names;
  std::set<const void*> functions;
  for (size_t next = 0; next < owners.size(); ++next) {
    lua_rawgeti(L, queue, static_cast<lua_Integer>(next + 1));
    int function = lua_gettop(L);
    functions.insert(lua_topointer(L, function));
    for (int i = 1;; ++i) {
      const char* name = lua_getupvalue(L, function, i);
      if (name == nullptr) break;
      if (is_globals_env(L, name) || !names.insert(name).second) {
        lua_pop(L, 1);
        continue;
      }
      std::string path = visit(name, lua_upvalueid(L, function, i), owners[next]);
      if (lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1) &&
          functions.insert(lua_topointer(L, -1)).second) {
        owners.push_back(path);
        lua_rawseti(L, queue, static_cast<lua_Integer>(owners.size()));
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

// ---- eval ----

// __index of eval's _ENV: each upvalue (ev, globals, the app's locals,
// modules, helpers) is asked in turn, raw, so a strict-globals metatable on
// _G cannot stop the search.
int eval_index(lua_State* L) {
  for (int u = 1; u <= 5; ++u) {
    if (lua_type(L, lua_upvalueindex(u)) != LUA_TTABLE) continue;
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(u)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  return 1;
}

// upvalues(f): a table of f's upvalues by name (by number for a C function's).
int helper_upvalues(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_newtable(L);
  for (int i = 1;; ++i) {
    const char* name = lua_getupvalue(L, 1, i);
    if (name == nullptr) break;
    if (name[0] == '\0') {
      lua_rawseti(L, -2, i);
    } else {
      lua_setfield(L, -2, name);
    }
  }
  return 1;
}

// Pushes a table of the app's locals by name (walk_locals).
void push_app_locals(lua_State* L) {
  lua_newtable(L);
  int locals = lua_gettop(L);
  walk_locals(L, [&](const char* name, void*, const std::string&) {
    lua_pushvalue(L, -1);
    lua_setfield(L, locals, name);
    return std::string(name);
  });
}

void push_event(lua_State* L, const lx_inspect_event& event) {
  lua_newtable(L);
  lua_pushinteger(L, static_cast<lua_Integer>(event.number));
  lua_setfield(L, -2, "n");
  lua_pushstring(L, event.type != nullptr ? event.type : "");
  lua_setfield(L, -2, "type");
  if (event.has_chid != 0) {
    lua_pushinteger(L, event.chid);
    lua_setfield(L, -2, "chid");
  }
  if (event.has_port != 0) {
    lua_pushinteger(L, event.port);
    lua_setfield(L, -2, "port");
  }
  if (event.has_clock != 0) {
    lua_pushnumber(L, event.clock);
    lua_setfield(L, -2, "clock");
  }
  lua_pushinteger(L, static_cast<lua_Integer>(event.size_bytes));
  lua_setfield(L, -2, "size");
  if (event.has_bytes != 0) {
    lua_pushlstring(L, reinterpret_cast<const char*>(event.bytes), event.byte_count);
    lua_setfield(L, -2, "bytes");
  }
  lua_pushnumber(L, engine_of(L).clock_seconds());
  lua_setfield(L, -2, "time");
}

// Pushes eval's _ENV: an empty table whose __index searches, in order, `ev`,
// the globals, the app's locals, the app's modules and the helpers, and
// whose __newindex is the globals table.
void push_eval_env(lua_State* L, const lx_inspect_event* event) {
  lua_newtable(L);  // the environment
  lua_newtable(L);  // its metatable
  lua_newtable(L);  // 1: ev
  if (event != nullptr) {
    push_event(L, *event);
    lua_setfield(L, -2, "ev");
  }
  lua_pushglobaltable(L);                                // 2
  push_app_locals(L);                                    // 3
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryModules);  // 4
  lua_newtable(L);                                       // 5: helpers
  lua_pushcfunction(L, helper_upvalues);
  lua_setfield(L, -2, "upvalues");
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryModules);
  lua_setfield(L, -2, "modules");
  lua_pushcclosure(L, eval_index, 5);
  lua_setfield(L, -2, "__index");
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
}

// A chunk that is a path ("sessions[42].total") names its value in
// references; anything else is "$".
std::string root_name(std::string_view chunk) {
  while (!chunk.empty() && (chunk.front() == ' ' || chunk.front() == '\t')) chunk.remove_prefix(1);
  while (!chunk.empty() && (chunk.back() == ' ' || chunk.back() == '\t' || chunk.back() == '\n'))
    chunk.remove_suffix(1);
  if (chunk.empty() || chunk.size() > 200) return "$";
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(chunk.front())) return "$";
  for (char c : chunk) {
    bool ok = letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '[' || c == ']' || c == '"';
    if (!ok) return "$";
  }
  return std::string(chunk);
}

// ---- dump_state ----

// Names of the sandbox's base functions: a global of one of these names
// that still holds a C function is the sandbox's, not the app's state.
bool is_base_function_name(std::string_view name) {
  static const char* const kNames[] = {
      "assert",   "collectgarbage", "error",   "getmetatable", "ipairs",       "load",
      "next",     "pairs",          "pcall",   "print",        "rawequal",     "rawget",
      "rawlen",   "rawset",         "require", "select",       "setmetatable", "tonumber",
      "tostring", "type",           "warn",    "xpcall"};
  for (const char* known : kNames) {
    if (name == known) return true;
  }
  return false;
}

// True when the global key -> value (at the top two stack slots: key at -2,
// value at -1) is part of the sandbox rather than of the app.
bool is_sandbox_global(lua_State* L) {
  if (lua_type(L, -2) != LUA_TSTRING) return false;
  size_t bytes = 0;
  const char* text = lua_tolstring(L, -2, &bytes);
  std::string_view name(text, bytes);
  if (name == "_VERSION") return lua_type(L, -1) == LUA_TSTRING;
  if (name == "_G") {
    lua_pushglobaltable(L);
    bool same = lua_rawequal(L, -1, -2) != 0;
    lua_pop(L, 1);
    return same;
  }
  if (is_base_function_name(name)) return lua_iscfunction(L, -1) != 0;
  if (lua_type(L, -1) != LUA_TTABLE) return false;
  bool same = false;
  if (name == "lx") {
    lua_getfield(L, LUA_REGISTRYINDEX, kRegistryApi);
    same = lua_rawequal(L, -1, -2) != 0;
    lua_pop(L, 1);
  } else if (name == "os") {
    lua_pushliteral(L, "time");
    lua_rawget(L, -2);
    same = lua_iscfunction(L, -1) != 0;
    lua_pop(L, 1);
  } else if (name == "string" || name == "table" || name == "math" || name == "coroutine" ||
             name == "utf8") {
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -3);
    lua_rawget(L, -2);
    same = lua_rawequal(L, -1, -3) != 0;
    lua_pop(L, 2);
  }
  return same;
}

class StateDumper {
 public:
  StateDumper(lua_State* L, const RenderLimits& limits) : L_(L), limits_(limits) {}

  void run(std::string* out) {
    out_ = out;
    luaL_checkstack(L_, 16, "dumping the state");
    lua_newtable(L_);  // every value met, by number: keeps them reachable by index
    values_ = lua_gettop(L_);
    collect_roots();
    name_everything();
    for (const Item& root : roots_) {
      push_value(root.slot);
      print(lua_gettop(L_), root.path, 1);
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }

 private:
  struct Item {
    int slot;  // in values_
    std::string path;
    uint32_t depth;
  };

  int keep(int index) {
    index = lua_absindex(L_, index);
    lua_pushvalue(L_, index);
    lua_rawseti(L_, values_, ++kept_);
    return kept_;
  }
  void push_value(int slot) { lua_rawgeti(L_, values_, slot); }

  // The roots: the app's globals and its locals (walk_locals; merged,
  // sorted by path), then its modules.
  void collect_roots() {
    std::vector<Item> named;
    lua_pushglobaltable(L_);
    int globals = lua_gettop(L_);
    int count = push_sorted_keys(L_, globals);
    int keys = lua_gettop(L_);
    for (int i = 1; i <= count; ++i) {
      lua_rawgeti(L_, keys, i);
      lua_pushvalue(L_, -1);
      lua_rawget(L_, globals);
      if (!is_sandbox_global(L_)) {
        std::string path = lua_type(L_, -2) == LUA_TSTRING && is_lua_name(lua_tostring(L_, -2))
                               ? std::string(lua_tostring(L_, -2))
                               : "_G" + path_segment(L_, -2);
        named.push_back({keep(-1), path, 1});
      }
      lua_pop(L_, 2);
    }
    lua_pop(L_, 1);  // keys
    walk_locals(L_, [&](const char* name, void* cell, const std::string& owner) {
      lua_pushstring(L_, name);
      bool shadowed = lua_rawget(L_, globals) != LUA_TNIL;
      lua_pop(L_, 1);
      std::string path = shadowed ? "upvalues(" + owner + ")." + name : std::string(name);
      upvalue_paths_[cell] = path;
      root_cells_.insert(cell);
      named.push_back({keep(-1), path, 1});
      return path;
    });
    lua_pop(L_, 1);  // globals
    std::stable_sort(named.begin(), named.end(),
                     [](const Item& a, const Item& b) { return a.path < b.path; });
    roots_ = std::move(named);

    lua_getfield(L_, LUA_REGISTRYINDEX, kRegistryModules);
    if (lua_type(L_, -1) == LUA_TTABLE) {
      int modules = lua_gettop(L_);
      count = push_sorted_keys(L_, modules);
      keys = lua_gettop(L_);
      for (int i = 1; i <= count; ++i) {
        lua_rawgeti(L_, keys, i);
        lua_pushvalue(L_, -1);
        lua_rawget(L_, modules);
        roots_.push_back({keep(-1), "modules" + path_segment(L_, -2), 2});
        lua_pop(L_, 2);
      }
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }

  // Breadth first from the roots: each table and function gets the first
  // (so the shortest) path it is reached by, and so does each upvalue cell.
  void name_everything() {
    std::vector<Item> queue = roots_;
    for (size_t next = 0; next < queue.size(); ++next) {
      const Item item = queue[next];
      push_value(item.slot);
      int value = lua_gettop(L_);
      int type = lua_type(L_, value);
      const void* object = lua_topointer(L_, value);
      if ((type != LUA_TTABLE && (type != LUA_TFUNCTION || lua_iscfunction(L_, value))) ||
          paths_.count(object) != 0) {
        lua_pop(L_, 1);
        continue;
      }
      paths_[object] = item.path;
      if (item.depth < limits_.depth) {
        if (type == LUA_TTABLE) {
          int count = push_sorted_keys(L_, value);
          int keys = lua_gettop(L_);
          for (int i = 1; i <= count; ++i) {
            lua_rawgeti(L_, keys, i);
            lua_pushvalue(L_, -1);
            lua_rawget(L_, value);
            queue.push_back({keep(-1), item.path + path_segment(L_, -2), item.depth + 1});
            lua_pop(L_, 2);
          }
          lua_pop(L_, 1);
        } else {
          for (int i = 1;; ++i) {
            const char* name = lua_getupvalue(L_, value, i);
            if (name == nullptr) break;
            void* id = lua_upvalueid(L_, value, i);
            if (is_globals_env(L_, name) || upvalue_paths_.count(id) != 0) {
              lua_pop(L_, 1);
              continue;
            }
            std::string path = "upvalues(" + item.path + ")." + name;
            upvalue_paths_[id] = path;
            queue.push_back({keep(-1), path, item.depth + 1});
            lua_pop(L_, 1);
          }
        }
      }
      lua_pop(L_, 1);
    }
  }

  void line(const std::string& path, const std::string& value) {
    if (limits_.json) {
      *out_ += "{\"path\":" + json_string(path) + ",\"value\":" + value + "}\n";
    } else {
      *out_ += path + "\t" + value + "\n";
    }
  }

  std::string reference(const std::string& to, bool cycle) {
    if (limits_.json) {
      return std::string(cycle ? "{\"lx:cycle\":" : "{\"lx:same_as\":") + json_string(to) + "}";
    }
    return std::string(cycle ? "<cycle: " : "<same as ") + to + ">";
  }

  // True when the value on top is a table or Lua function whose path is not path.
  bool named_elsewhere(const std::string& path) {
    int type = lua_type(L_, -1);
    if (type != LUA_TTABLE && (type != LUA_TFUNCTION || lua_iscfunction(L_, -1))) return false;
    auto named = paths_.find(lua_topointer(L_, -1));
    return named != paths_.end() && named->second != path;
  }

  void print(int value, const std::string& path, uint32_t depth) {
    int type = lua_type(L_, value);
    bool lua_function = type == LUA_TFUNCTION && !lua_iscfunction(L_, value);
    if (type != LUA_TTABLE && !lua_function) {
      line(path, render_leaf(L_, value, limits_));
      return;
    }
    const void* object = lua_topointer(L_, value);
    auto named = paths_.find(object);
    if (named == paths_.end() || named->second != path) {
      if (named != paths_.end()) {
        line(path, reference(named->second, open_.count(object) != 0));
      } else {  // deeper than the walk went
        uint64_t entries = type == LUA_TTABLE ? table_entry_count(L_, value) : 0;
        line(path, type == LUA_TTABLE
                       ? (limits_.json ? "{\"lx:entries\":" + std::to_string(entries) + "}"
                                       : "{...} (" + std::to_string(entries) + " entries)")
                       : render_leaf(L_, value, limits_));
      }
      return;
    }
    open_.insert(object);
    if (type == LUA_TTABLE) {
      print_table(value, path, depth);
    } else {
      line(path, render_leaf(L_, value, limits_));
      for (int i = 1;; ++i) {
        const char* name = lua_getupvalue(L_, value, i);
        if (name == nullptr) break;
        void* id = lua_upvalueid(L_, value, i);
        auto cell = root_cells_.count(id) != 0 ? upvalue_paths_.end() : upvalue_paths_.find(id);
        std::string own = "upvalues(" + path + ")." + name;
        // An upvalue that holds a table or function shown elsewhere adds
        // nothing but a reference: left out (functions share module tables).
        if (cell != upvalue_paths_.end() && cell->second == own && !named_elsewhere(own)) {
          print(lua_gettop(L_), own, depth + 1);
        }
        lua_pop(L_, 1);
      }
    }
    open_.erase(object);
  }

  void print_table(int table, const std::string& path, uint32_t depth) {
    luaL_checkstack(L_, 6, "dumping the state");
    int count = push_sorted_keys(L_, table);
    int keys = lua_gettop(L_);
    if (count == 0) line(path, "{}");
    uint64_t shown = std::min<uint64_t>(static_cast<uint64_t>(count), limits_.max_entries);
    for (uint64_t i = 1; i <= shown; ++i) {
      lua_rawgeti(L_, keys, static_cast<lua_Integer>(i));
      lua_pushvalue(L_, -1);
      lua_rawget(L_, table);
      print(lua_gettop(L_), path + path_segment(L_, -2), depth + 1);
      lua_pop(L_, 2);
    }
    if (shown < static_cast<uint64_t>(count)) {
      uint64_t more = static_cast<uint64_t>(count) - shown;
      line(path + "[...]", limits_.json ? "{\"lx:more\":" + std::to_string(more) + "}"
                                        : "(" + std::to_string(more) + " more)");
    }
    lua_pop(L_, 1);
  }

  lua_State* L_;
  RenderLimits limits_;
  std::string* out_ = nullptr;
  int values_ = 0;
  int kept_ = 0;
  std::vector<Item> roots_;
  std::map<const void*, std::string> paths_;          // table or function -> its path
  std::map<const void*, std::string> upvalue_paths_;  // upvalue cell -> its path
  std::set<const void*> root_cells_;                  // update()'s upvalues: printed as roots
  std::set<const void*> open_;                        // being printed (ancestors)
};

}  // namespace

int check_inspect_options(const lx_inspect_options* options, std::string* why) {
  if (options == nullptr) {
    *why = "options must not be null";
    return LX_ERR_ARGUMENT;
  }
  if (options->struct_size != sizeof(lx_inspect_options)) {
    *why = "options->struct_size does not match this engine's lx_inspect_options";
    return LX_ERR_VERSION;
  }
  if (options->format != LX_RENDER_TEXT && options->format != LX_RENDER_JSON) {
    *why = "options->format must be LX_RENDER_TEXT or LX_RENDER_JSON";
    return LX_ERR_ARGUMENT;
  }
  if ((options->flags & ~LX_INSPECT_COMPILE_ONLY) != 0 ||
      (options->event != nullptr && options->event->reserved != 0)) {
    *why = "unknown flags and reserved fields must be zero";
    return LX_ERR_ARGUMENT;
  }
  return LX_OK;
}

int inspect_eval(DrivenEngine& engine, std::string_view chunk, const lx_inspect_options& options,
                 std::string* out) {
  out->clear();
  int code = LX_OK;
  RenderLimits limits = limits_for(options, false);
  auto body = [&](lua_State* state) {
    std::string expression = "return " + std::string(chunk);
    int status = luaL_loadbufferx(state, expression.data(), expression.size(), "=(eval)", "t");
    if (status != LUA_OK) {
      lua_pop(state, 1);
      status = luaL_loadbufferx(state, chunk.data(), chunk.size(), "=(eval)", "t");
    }
    if (status != LUA_OK) {
      size_t bytes = 0;
      const char* text = lua_tolstring(state, -1, &bytes);
      out->assign(text != nullptr ? text : "the chunk does not compile", bytes);
      code = LX_ERR_ARGUMENT;
      return;
    }
    if ((options.flags & LX_INSPECT_COMPILE_ONLY) != 0) return;
    int function = lua_gettop(state);
    push_eval_env(state, options.event);
    lua_setupvalue(state, function, 1);
    status = lua_pcall(state, 0, LUA_MULTRET, 0);
    if (status != LUA_OK) {
      size_t bytes = 0;
      const char* text = lua_tolstring(state, -1, &bytes);
      out->assign(text != nullptr ? std::string_view(text, bytes)
                                  : std::string_view("(the error object is not a string)"));
      code = LX_ERR_APP;
      return;
    }
    int results = lua_gettop(state) - function + 1;
    ValueRenderer renderer(state, limits);
    std::string root = root_name(chunk);
    if (limits.json) *out += "[";
    for (int i = 0; i < results; ++i) {
      if (i > 0) *out += limits.json ? "," : ", ";
      std::string path = results == 1 ? root : "$" + std::to_string(i + 1);
      *out += renderer.render(function + i, path);
    }
    if (limits.json) *out += "]";
    if (!limits.json && results == 0) *out = "(no value)";
  };
  LuaSandbox::Failure failure;
  if (!engine.sandbox().run_inspection("eval", body, &failure)) {
    *out = failure.message;
    return LX_ERR_APP;
  }
  return code;
}

int inspect_dump(DrivenEngine& engine, const lx_inspect_options& options, std::string* out) {
  out->clear();
  RenderLimits limits = limits_for(options, true);
  auto body = [&](lua_State* state) {
    StateDumper dumper(state, limits);
    dumper.run(out);
  };
  LuaSandbox::Failure failure;
  if (!engine.sandbox().run_inspection("dump_state", body, &failure)) {
    *out = failure.message;
    return LX_ERR_APP;
  }
  return LX_OK;
}

}  // namespace lx::engine
