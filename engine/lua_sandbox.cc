// LuaSandbox: state creation on the engine heap, the library set, the
// replaced base functions (load, collectgarbage, print, require) and the
// protected calls the events use.
#include "lua_sandbox.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <cstdarg>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>

#include "app_source.h"
#include "driven_engine.h"
#include "engine_assert.h"
#include "heap.h"
#include "lua_bindings.h"

namespace lx::engine {
namespace {

void* heap_alloc(void* ud, void* block, size_t old_size, size_t new_size) noexcept {
  Heap* heap = static_cast<Heap*>(ud);
  if (new_size == 0) {
    heap->deallocate(block, old_size);
    return nullptr;
  }
  if (block == nullptr) return heap->allocate(new_size, Heap::Budget::kApp);
  return heap->reallocate(block, old_size, new_size, Heap::Budget::kApp);
}

// Every Lua call the engine makes is protected, so a panic is an engine bug.
int panic(lua_State* L) {
  const char* message = lua_tostring(L, -1);
  LX_ENGINE_ASSERT_MSG(false, message != nullptr ? message : "Lua panic");
  return 0;
}

// warn(): each complete warning becomes a log line.
void warning(void* ud, const char* piece, int to_be_continued) {
  static_cast<DrivenEngine*>(ud)->lua_warning(piece, to_be_continued != 0);
}

// load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t": a
// binary chunk can crash the VM, so only source text loads.
int sandbox_load(lua_State* L) {
  if (lua_gettop(L) < 3) lua_settop(L, 3);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// collectgarbage([opt, ...]) limited to options that do not retune the GC.
int sandbox_collectgarbage(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) {
    const char* option = luaL_checkstring(L, 1);
    static const char* const kAllowed[] = {"collect", "count", "step", "isrunning"};
    bool allowed = false;
    for (const char* name : kAllowed) allowed = allowed || std::strcmp(option, name) == 0;
    if (!allowed) {
      raise_error(L,
                  "collectgarbage(\"%s\") is not allowed in the lx sandbox (allowed: collect, "
                  "count, step, isrunning)",
                  option);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// math.randomseed([x [, y]]): with no argument, reseeds from the engine
// PRNG instead of from the time and an address.
int sandbox_randomseed(lua_State* L) {
  if (lua_isnone(L, 1)) {
    EngineRandom& random = engine_of(L).random();
    lua_pushinteger(L, static_cast<lua_Integer>(random.next()));
    lua_pushinteger(L, static_cast<lua_Integer>(random.next()));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// require(name): a module from the app source blob only ("a.b" is a/b.lua),
// run once and cached until the next set_lua_source. The standard
// libraries the sandbox opened are found by their names too.
int sandbox_require(lua_State* L) {
  std::size_t name_bytes = 0;
  const char* name = luaL_checklstring(L, 1, &name_bytes);
  lua_settop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);  // 2: the standard libraries
  if (lua_getfield(L, 2, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryModules);  // 3: the app's modules
  if (lua_getfield(L, 3, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);

  luaL_Buffer path;
  luaL_buffinit(L, &path);
  for (std::size_t i = 0; i < name_bytes; ++i) luaL_addchar(&path, name[i] == '.' ? '/' : name[i]);
  luaL_addstring(&path, ".lua");
  luaL_pushresult(&path);  // 4: the file's path
  std::size_t path_bytes = 0;
  const char* path_text = lua_tolstring(L, 4, &path_bytes);
  std::string_view path_view(path_text, path_bytes);

  auto code = engine_of(L).source().find(path_view);
  if (!code) {
    raise_error(L,
                "module '%s' not found: the app source has no file '%s' (require loads only "
                "the app's own .lua files)",
                name, path_text);
  }
  lua_pushfstring(L, "@%s", path_text);  // 5: chunk name
  int status = luaL_loadbufferx(L, code->data(), code->size(), lua_tostring(L, 5), "t");
  if (status != LUA_OK) {
    raise_error(L, "error loading module '%s' from file '%s':\n\t%s", name, path_text,
                lua_tostring(L, -1));
  }
  lua_pushvalue(L, 1);  // the loader gets (name, path) as Lua's require gives it
  lua_pushvalue(L, 4);
  lua_call(L, 2, 1);
  if (!lua_isnil(L, -1))
    lua_setfield(L, 3, name);
  else
    lua_pop(L, 1);
  if (lua_getfield(L, 3, name) == LUA_TNIL) {
    lua_pushboolean(L, 1);
    lua_copy(L, -1, -2);
    lua_setfield(L, 3, name);
  }
  lua_pushvalue(L, 4);
  return 2;
}

// Replaces base-library functions that reach files or break determinism.
void sandbox_base(lua_State* L) {
  lua_pushnil(L);
  lua_setglobal(L, "dofile");
  lua_pushnil(L);
  lua_setglobal(L, "loadfile");

  lua_getglobal(L, "load");
  lua_pushcclosure(L, sandbox_load, 1);
  lua_setglobal(L, "load");

  lua_getglobal(L, "collectgarbage");
  lua_pushcclosure(L, sandbox_collectgarbage, 1);
  lua_setglobal(L, "collectgarbage");

  lua_pushcfunction(L, lua_log_line);  // print writes to stdout; here it is lx.log
  lua_setglobal(L, "print");

  lua_pushcfunction(L, sandbox_require);
  lua_setglobal(L, "require");

  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
}

void open_libraries(lua_State* L, uint64_t seed) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  lua_pop(L, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  // luaopen_math seeded its generator from time(NULL) and an address; wipe
  // that at once with the engine seed, before any Lua code can draw from it.
  lua_getfield(L, -1, "randomseed");
  lua_pushinteger(L, static_cast<lua_Integer>(seed));
  lua_call(L, 1, 0);
  lua_getfield(L, -1, "randomseed");
  lua_pushcclosure(L, sandbox_randomseed, 1);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_pop(L, 1);

  sandbox_base(L);
  open_os_library(L);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kRegistryModules);
  open_lx_library(L);
}

// Calls the body a protected call carries in its first argument. A C++
// exception from engine code must not unwind into the VM: it fails the
// engine and becomes a Lua error instead.
template <typename Fn>
int trampoline(lua_State* L) {
  // The argument points at LuaSandbox::pending_body_ (in the region), not at
  // the body (on the C stack): no C stack address may enter Lua's memory.
  Fn* body = static_cast<Fn*>(*static_cast<void**>(lua_touserdata(L, 1)));
  lua_settop(L, 0);
  bool out_of_memory = false;
  try {
    (*body)(L);
    return 0;
  } catch (const std::bad_alloc&) {
    out_of_memory = true;
  } catch (const std::exception&) {
  }
  fail_engine_and_raise(L, out_of_memory);
}

}  // namespace

DrivenEngine& engine_of(lua_State* L) {
  return **static_cast<DrivenEngine**>(lua_getextraspace(L));
}

int traceback_handler(lua_State* L) {
  const char* message = lua_tostring(L, 1);
  if (message == nullptr) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, message, 1);
  return 1;
}

void fail_engine_and_raise(lua_State* L, bool out_of_memory) {
  engine_of(L).fail(out_of_memory, out_of_memory
                                       ? "the engine heap is exhausted (engine bookkeeping)"
                                       : "an internal error in engine code called from Lua");
  lua_pushstring(L, "the engine failed (see last_error); no further events will run");
  lua_error(L);
  __builtin_unreachable();
}

void raise_error(lua_State* L, const char* format, ...) {
  va_list args;
  va_start(args, format);
  luaL_where(L, 1);
  lua_pushvfstring(L, format, args);
  va_end(args);
  lua_concat(L, 2);
  lua_error(L);
  __builtin_unreachable();
}

template <typename Fn>
bool LuaSandbox::protect(Fn& body, Failure* failure) {
  lua_State* L = state_;
  int base = lua_gettop(L);
  lua_pushcfunction(L, traceback_handler);
  lua_pushcfunction(L, trampoline<Fn>);
  void* outer_body = pending_body_;
  pending_body_ = &body;
  lua_pushlightuserdata(L, &pending_body_);
  int status = lua_pcall(L, 1, 0, base + 1);
  pending_body_ = outer_body;
  if (status == LUA_OK) {
    lua_settop(L, base);
    return true;
  }
  std::size_t text_bytes = 0;
  const char* text = lua_tolstring(L, -1, &text_bytes);
  std::string_view whole = text != nullptr ? std::string_view(text, text_bytes)
                                           : std::string_view("(error object is not a string)");
  std::size_t cut = whole.find("\nstack traceback:");
  failure->message.assign(whole.substr(0, cut));
  failure->traceback.assign(whole);
  lua_settop(L, base);
  return false;
}

bool LuaSandbox::open(Heap& heap, DrivenEngine& engine, uint64_t seed, std::string* error) {
  LX_ENGINE_ASSERT(state_ == nullptr);
  state_ = lua_newstate(heap_alloc, &heap);
  if (state_ == nullptr) {
    *error = "not enough heap for the Lua state";
    return false;
  }
  *static_cast<DrivenEngine**>(lua_getextraspace(state_)) = &engine;
  lua_atpanic(state_, panic);
  lua_setwarnf(state_, warning, &engine);
  auto body = [seed](lua_State* L) { open_libraries(L, seed); };
  Failure failure;
  if (!protect(body, &failure)) {
    *error = "cannot open the Lua sandbox: " + failure.message;
    return false;
  }
  return true;
}

void LuaSandbox::close() noexcept {
  if (state_ == nullptr) return;
  lua_close(state_);
  state_ = nullptr;
}

bool LuaSandbox::compile(std::string_view code, const char* chunk_name, Failure* failure) {
  bool compiled = false;
  auto body = [&](lua_State* L) {
    int status = luaL_loadbufferx(L, code.data(), code.size(), chunk_name, "t");
    if (status != LUA_OK) {
      std::size_t bytes = 0;
      const char* message = lua_tolstring(L, -1, &bytes);
      failure->message.assign(message != nullptr ? message : "cannot compile", bytes);
      failure->traceback.clear();
      return;
    }
    lua_setfield(L, LUA_REGISTRYINDEX, kRegistryPending);
    compiled = true;
  };
  return protect(body, failure) && compiled;
}

bool LuaSandbox::start_source(const AppSource& source, Failure* failure) {
  auto body = [&source](lua_State* L) {
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, kRegistryModules);
    publish_args(L, source);
  };
  return protect(body, failure);
}

bool LuaSandbox::run_compiled(Failure* failure) {
  auto body = [](lua_State* L) {
    lua_getfield(L, LUA_REGISTRYINDEX, kRegistryPending);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, kRegistryPending);
    LX_ENGINE_ASSERT(lua_isfunction(L, -1));
    lua_call(L, 0, 0);
  };
  return protect(body, failure);
}

bool LuaSandbox::call_global(const char* name, bool* defined, Failure* failure) {
  *defined = false;
  auto body = [name, defined](lua_State* L) {
    if (lua_getglobal(L, name) != LUA_TFUNCTION) return;
    *defined = true;
    lua_call(L, 0, 0);
  };
  return protect(body, failure);
}

}  // namespace lx::engine
