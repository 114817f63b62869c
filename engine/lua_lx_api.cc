// The `lx` table and the channel methods: the app's whole window onto the
// driver (DESIGN.md section 4, docs/lua-api.md). A channel userdata holds
// only its chid and looks the channel up on every call, so it never dangles.
#include <lauxlib.h>
#include <lua.h>

#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "channel_table.h"
#ifdef LX_CHAOS
#include "chaos/chaos_hook.h"
#endif
#include "driven_engine.h"
#include "lua_bindings.h"
#include "lx/engine_api.h"

namespace lx::engine {
namespace {

struct ChannelRef {
  int32_t chid;
};

constexpr int32_t kNoChannel = -1;          // a userdata not (yet) bound to a channel
constexpr double kMaxWakeSeconds = 9.0e15;  // as set_clock's bound

// Pushes a new channel userdata. Callers make it before they create or pop
// a channel, so a Lua memory error cannot leave a channel nobody can reach.
ChannelRef* new_ref(lua_State* L, int32_t chid) {
  auto* ref = static_cast<ChannelRef*>(lua_newuserdatauv(L, sizeof(ChannelRef), 0));
  ref->chid = chid;
  luaL_setmetatable(L, kChannelMetatable);
  return ref;
}

ChannelRef& check_ref(lua_State* L) {
  return *static_cast<ChannelRef*>(luaL_checkudata(L, 1, kChannelMetatable));
}

// The channel behind argument 1; an error once the app closed it.
Channel& check_channel(lua_State* L) {
  ChannelRef& ref = check_ref(L);
  Channel* channel = engine_of(L).channels().find(ref.chid);
  if (channel == nullptr || channel->deleted) {
    raise_error(L, "channel %d is closed: ch:close() was called on it, so it can no longer be used",
                static_cast<int>(ref.chid));
  }
  return *channel;
}

// ---- lx.* ----

int lx_now(lua_State* L) {
  lua_pushnumber(L, engine_of(L).clock_seconds());
  return 1;
}

int lx_accept(lua_State* L) {
  ChannelRef* ref = new_ref(L, kNoChannel);
  std::optional<int32_t> chid = engine_of(L).channels().pop_accepted();
  if (!chid) {
    lua_pushnil(L);
  } else {
    ref->chid = *chid;
  }
  return 1;
}

// "host:port": a non-empty host (any text without NUL or whitespace; an IPv6
// address in brackets) and a decimal port from 1 to 65535.
bool valid_target(std::string_view target) {
  if (target.size() > 1024) return false;
  std::size_t colon = target.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size()) return false;
  for (char c : target.substr(0, colon)) {
    if (c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  }
  std::string_view port = target.substr(colon + 1);
  if (port.size() > 5) return false;
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

int lx_connect(lua_State* L) {
  std::size_t bytes = 0;
  const char* text = luaL_checklstring(L, 1, &bytes);
  std::string_view target(text, bytes);
  if (!valid_target(target)) {
    raise_error(L, "lx.connect: bad target '%s' (want \"host:port\" with a port from 1 to 65535)",
                text);
  }
  ChannelRef* ref = new_ref(L, kNoChannel);
  std::optional<int32_t> chid = engine_of(L).channels().open_outgoing(target);
  if (!chid) raise_error(L, "lx.connect: channel ids are exhausted");
  ref->chid = *chid;
  return 1;
}

int lx_stdio(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryStdio);
  return 1;
}

int lx_stop(lua_State* L) {
  engine_of(L).request_stop();
  return 0;
}

int lx_rescan(lua_State* L) {
  engine_of(L).request_rescan();
  return 0;
}

// Runs attempt(), which returns false when the app's memory cannot hold what
// it adds; then, as Lua does for its own allocations, collects garbage once
// and tries again. Returns what the last attempt returned.
template <typename Attempt>
bool with_collection_retry(lua_State* L, Attempt&& attempt) {
  if (attempt()) return true;
  lua_gc(L, LUA_GCCOLLECT);
  return attempt();
}

// Queues a wake time; raises when the app's memory cannot hold it.
void push_wake(lua_State* L, const char* name, double seconds) {
  if (!with_collection_retry(L, [&] { return engine_of(L).wakes().push(seconds); })) {
    raise_error(L, "%s: not enough memory to remember another wake time", name);
  }
  lua_pushnumber(L, seconds);
}

// lx.wake_at(t): run update() again once the engine clock reaches t.
int lx_wake_at(lua_State* L) {
  double seconds = luaL_checknumber(L, 1);
  luaL_argcheck(L, std::isfinite(seconds) && std::fabs(seconds) <= kMaxWakeSeconds, 1,
                "a finite engine time (seconds, as lx.now()) is required");
  push_wake(L, "lx.wake_at", seconds);
  return 1;
}

// lx.after(s): run update() again s seconds (>= 0) from the engine clock.
int lx_after(lua_State* L) {
  double delay = luaL_checknumber(L, 1);
  luaL_argcheck(L, std::isfinite(delay) && delay >= 0 && delay <= kMaxWakeSeconds, 1,
                "a finite number of seconds, at least 0, is required");
  push_wake(L, "lx.after", engine_of(L).clock_seconds() + delay);
  return 1;
}

// lx.random([m [, n]]): math.random's contract on the engine's own generator.
int lx_random(lua_State* L) {
  EngineRandom& random = engine_of(L).random();
  lua_Integer low = 1;
  lua_Integer up = 0;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, random.next_unit());
      return 1;
    case 1:
      up = luaL_checkinteger(L, 1);
      if (up == 0) {
        lua_pushinteger(L, static_cast<lua_Integer>(random.next()));
        return 1;
      }
      break;
    case 2:
      low = luaL_checkinteger(L, 1);
      up = luaL_checkinteger(L, 2);
      break;
    default:
      raise_error(L, "lx.random: wrong number of arguments");
  }
  luaL_argcheck(L, low <= up, 1, "interval is empty");
  uint64_t span = static_cast<uint64_t>(up) - static_cast<uint64_t>(low);
  lua_pushinteger(L,
                  static_cast<lua_Integer>(random.next_at_most(span) + static_cast<uint64_t>(low)));
  return 1;
}

// ---- Channel methods ----

int channel_read(lua_State* L) {
  Channel& channel = check_channel(L);
  std::size_t wanted = channel.in.size();
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0, 2, "negative byte count");
    if (static_cast<uint64_t>(n) < wanted) wanted = static_cast<std::size_t>(n);
  }
  luaL_Buffer out;
  char* space = luaL_buffinitsize(L, &out, wanted);
  channel.in.copy_out(space, wanted);
  luaL_pushresultsize(&out, wanted);
  channel.in.consume(wanted);  // only once the string exists: a memory error loses nothing
  return 1;
}

int channel_readline(lua_State* L) {
  Channel& channel = check_channel(L);
  std::optional<StreamBuffer::LineSpan> line = channel.in.find_line();
  if (!line) {
    lua_pushnil(L);
    return 1;
  }
  luaL_Buffer out;
  char* space = luaL_buffinitsize(L, &out, line->content_bytes);
  channel.in.copy_out(space, line->content_bytes);
  luaL_pushresultsize(&out, line->content_bytes);
  channel.in.consume(line->total_bytes);
  return 1;
}

int channel_write(lua_State* L) {
  Channel& channel = check_channel(L);
  std::size_t bytes = 0;
  const char* text = luaL_checklstring(L, 2, &bytes);
  bool queued = false;
  bool stored = with_collection_retry(L, [&] {
    try {
      queued = engine_of(L).channels().write(channel, text, bytes);
      return true;
    } catch (const std::bad_alloc&) {
      return false;  // the app's memory is used up: a Lua error, not a failure
    }
  });
  if (!stored) {
    raise_error(L, "not enough memory to queue %d bytes of output", static_cast<int>(bytes));
  }
  lua_pushboolean(L, queued);
  return 1;
}

int channel_available(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(check_channel(L).in.size()));
  return 1;
}

// Bytes written and not yet taken by the driver: an app can stop producing
// output for a reader that does not keep up. It changes only through events
// (sent_outgoing), so a replay sees the same numbers.
int channel_queued(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(check_channel(L).out.size()));
  return 1;
}

int channel_closed(lua_State* L) {
  lua_pushboolean(L, check_channel(L).closed);
  return 1;
}

int channel_close(lua_State* L) {
  ChannelRef& ref = check_ref(L);
  if (ref.chid == LX_STDIO_CHID) {
    raise_error(L, "lx.stdio() (channel 0) cannot be closed: it lives as long as the engine");
  }
  Channel* channel = engine_of(L).channels().find(ref.chid);
  if (channel != nullptr && !channel->deleted) engine_of(L).channels().delete_by_app(*channel);
  return 0;
}

int channel_shutdown(lua_State* L) {
  Channel& channel = check_channel(L);
  if (channel.chid == LX_STDIO_CHID) {
    raise_error(L, "lx.stdio() (channel 0) cannot be shut down: it lives as long as the engine");
  }
  engine_of(L).channels().shut_down_by_app(channel);
  return 0;
}

int channel_id(lua_State* L) {
  lua_pushinteger(L, check_ref(L).chid);
  return 1;
}

int channel_port(lua_State* L) {
  Channel& channel = check_channel(L);
  if (channel.port == 0) {
    lua_pushnil(L);
  } else {
    lua_pushinteger(L, channel.port);
  }
  return 1;
}

int channel_target(lua_State* L) {
  Channel& channel = check_channel(L);
  if (channel.target.empty()) {
    lua_pushnil(L);
  } else {
    lua_pushlstring(L, channel.target.data(), channel.target.size());
  }
  return 1;
}

int channel_tostring(lua_State* L) {
  ChannelRef& ref = check_ref(L);
  Channel* channel = engine_of(L).channels().find(ref.chid);
  bool usable = channel != nullptr && !channel->deleted;
  lua_pushfstring(L, "lx.channel %d%s", static_cast<int>(ref.chid),
                  usable ? "" : " (closed by the app)");
  return 1;
}

// A channel the app can no longer reach is deleted, as ch:close() would.
int channel_gc(lua_State* L) {
  DrivenEngine& engine = engine_of(L);
  auto* ref = static_cast<ChannelRef*>(luaL_testudata(L, 1, kChannelMetatable));
  if (ref == nullptr || engine.closing() || ref->chid == LX_STDIO_CHID) return 0;
  Channel* channel = engine.channels().find(ref->chid);
  if (channel != nullptr && !channel->deleted) engine.channels().delete_by_app(*channel);
  return 0;
}

}  // namespace

int lua_log_line(lua_State* L) {
  int count = lua_gettop(L);
  std::string line;
  try {
    for (int i = 1; i <= count; ++i) {
      std::size_t bytes = 0;
      const char* text = luaL_tolstring(L, i, &bytes);
      if (i > 1) line += '\t';
      line.append(text, bytes);
      lua_pop(L, 1);
    }
  } catch (const std::bad_alloc&) {
    line = "(a log line was lost: the system heap is exhausted)";
  }
#ifdef LX_CHAOS
  chaos_on_log(line);  // tests only: engine/chaos
  chaos_on_log_in(L, line);
#endif
  engine_of(L).log().push(line);
  return 0;
}

void publish_args(lua_State* L, const AppSource& source) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRegistryApi);
  lua_createtable(L, static_cast<int>(source.arg_count()), 0);
  for (std::size_t i = 0; i < source.arg_count(); ++i) {
    std::string_view arg = source.arg(i);
    lua_pushlstring(L, arg.data(), arg.size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, "args");
  lua_pop(L, 1);
}

// Channel methods added after engine ABI 1. They are not in the method table
// but found by name when a lookup misses it: registering them would intern
// their names when the engine starts, which changes the heap, and so every
// memhash, of the logs recorded before them, and those logs must still replay.
const luaL_Reg kLateMethods[] = {{"queued", channel_queued}, {"shutdown", channel_shutdown}};

// __index of the method table (its own metatable): a late method, or nil.
// Light C functions: pushing one allocates nothing.
int channel_late_method(lua_State* L) {
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char* name = lua_tostring(L, 2);
    for (const luaL_Reg& method : kLateMethods) {
      if (std::strcmp(name, method.name) == 0) {
        lua_pushcfunction(L, method.func);
        return 1;
      }
    }
  }
  lua_pushnil(L);
  return 1;
}

void open_lx_library(lua_State* L) {
  static const luaL_Reg kMethods[] = {{"read", channel_read},
                                      {"readline", channel_readline},
                                      {"write", guarded<channel_write>},
                                      {"available", channel_available},
                                      {"closed", channel_closed},
                                      {"close", channel_close},
                                      {"id", channel_id},
                                      {"port", channel_port},
                                      {"target", channel_target},
                                      {nullptr, nullptr}};
  luaL_newmetatable(L, kChannelMetatable);
  luaL_newlib(L, kMethods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, channel_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, channel_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "lx.channel");
  lua_setfield(L, -2, "__metatable");  // apps cannot reach or replace it
  // The same tables as engine ABI 1 built; then the method table becomes its
  // own metatable, with __index finding the late methods. Neither step
  // allocates: "__index" is interned already and the table has room for it.
  lua_getfield(L, -1, "__index");
  lua_pushcfunction(L, channel_late_method);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, -1);
  lua_setmetatable(L, -2);
  lua_pop(L, 2);

  new_ref(L, LX_STDIO_CHID);  // stdio's one userdata, so lx.stdio() == lx.stdio()
  lua_setfield(L, LUA_REGISTRYINDEX, kRegistryStdio);

  static const luaL_Reg kFunctions[] = {
      {"now", lx_now},       {"accept", lx_accept}, {"connect", guarded<lx_connect>},
      {"stdio", lx_stdio},   {"stop", lx_stop},     {"rescan", lx_rescan},
      {"random", lx_random}, {"log", lua_log_line}, {"wake_at", lx_wake_at},
      {"after", lx_after},   {nullptr, nullptr}};
  luaL_newlib(L, kFunctions);
  lua_newtable(L);
  lua_setfield(L, -2, "args");
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kRegistryApi);
  lua_setglobal(L, "lx");
}

}  // namespace lx::engine
