// The sandbox's `os` library: os.time, os.clock and os.date answered from
// the engine clock (the last set_clock), in UTC, without the C library's
// time functions. Nothing else of `os` exists in the sandbox.
#include <lauxlib.h>
#include <lua.h>

#include <cmath>
#include <cstring>
#include <optional>

#include "civil_time.h"
#include "driven_engine.h"
#include "lua_bindings.h"

namespace lx::engine {
namespace {

// The engine clock as whole seconds (rounded down).
lua_Integer clock_whole_seconds(lua_State* L) {
  return static_cast<lua_Integer>(std::floor(engine_of(L).clock_seconds()));
}

lua_Integer checked_time(lua_State* L, int arg) {
  if (lua_isnoneornil(L, arg)) return clock_whole_seconds(L);
  lua_Integer t = luaL_checkinteger(L, arg);
  luaL_argcheck(L, t >= -CivilTime::kMaxAbsSeconds && t <= CivilTime::kMaxAbsSeconds, arg,
                "time out-of-bounds");
  return t;
}

void set_field(lua_State* L, const char* key, lua_Integer value) {
  lua_pushinteger(L, value);
  lua_setfield(L, -2, key);
}

// Fills the table on top of the stack with the fields of os.date("*t").
void set_all_fields(lua_State* L, const CivilTime& t) {
  set_field(L, "year", t.year);
  set_field(L, "month", t.month);
  set_field(L, "day", t.day);
  set_field(L, "hour", t.hour);
  set_field(L, "min", t.minute);
  set_field(L, "sec", t.second);
  set_field(L, "yday", t.year_day + 1);
  set_field(L, "wday", t.weekday + 1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "isdst");
}

// Reads an integer field of the os.time table; a missing field takes
// default_value, or is an error when default_value is empty.
int64_t get_field(lua_State* L, const char* key, std::optional<int64_t> default_value) {
  int type = lua_getfield(L, 1, key);
  int is_number = 0;
  lua_Integer value = lua_tointegerx(L, -1, &is_number);
  lua_pop(L, 1);
  if (!is_number) {
    if (type != LUA_TNIL) raise_error(L, "field '%s' is not an integer", key);
    if (!default_value) raise_error(L, "field '%s' missing in date table", key);
    return *default_value;
  }
  if (value > (lua_Integer{1} << 31) || value < -(lua_Integer{1} << 31)) {
    raise_error(L, "field '%s' is out-of-bound", key);
  }
  return value;
}

int os_time(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_pushinteger(L, clock_whole_seconds(L));
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  int64_t year = get_field(L, "year", std::nullopt);
  int64_t month = get_field(L, "month", std::nullopt);
  int64_t day = get_field(L, "day", std::nullopt);
  int64_t hour = get_field(L, "hour", 12);
  int64_t minute = get_field(L, "min", 0);
  int64_t second = get_field(L, "sec", 0);
  int64_t t = CivilTime::to_unix(year, month, day, hour, minute, second);
  // Like Lua's os.time, normalize the table's fields to the date it denotes.
  set_all_fields(L, CivilTime::from_unix(t));
  lua_pushinteger(L, t);
  return 1;
}

int os_clock(lua_State* L) {
  lua_pushnumber(L, engine_of(L).clock_seconds());
  return 1;
}

int os_date(lua_State* L) {
  std::size_t format_bytes = 0;
  const char* format = luaL_optlstring(L, 1, "%c", &format_bytes);
  lua_Integer t = checked_time(L, 2);
  const char* end = format + format_bytes;
  if (format < end && *format == '!') ++format;  // always UTC
  CivilTime civil = CivilTime::from_unix(t);
  if (end - format >= 2 && format[0] == '*' && format[1] == 't') {
    lua_createtable(L, 0, 9);
    set_all_fields(L, civil);
    return 1;
  }
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  while (format < end) {
    if (*format != '%') {
      luaL_addchar(&out, *format++);
      continue;
    }
    ++format;
    char conversion = format < end ? *format++ : '\0';
    // Modifiers E and O select alternative representations; in the C locale
    // they are the plain conversions.
    const char* valid_after = conversion == 'E'   ? "cCxXyY"
                              : conversion == 'O' ? "deHImMSuUVwWy"
                                                  : nullptr;
    if (valid_after != nullptr) {
      char modified = format < end ? *format : '\0';
      if (modified == '\0' || std::strchr(valid_after, modified) == nullptr) {
        raise_error(L, "bad argument #1 to 'date' (invalid conversion specifier '%%%c%c')",
                    conversion, modified != '\0' ? modified : ' ');
      }
      conversion = modified;
      ++format;
    }
    char piece[CivilTime::kMaxConversionBytes];
    std::optional<std::size_t> length =
        conversion == '\0' ? std::nullopt : civil.format_conversion(conversion, piece);
    if (!length) {
      raise_error(L, "bad argument #1 to 'date' (invalid conversion specifier '%%%c')",
                  conversion != '\0' ? conversion : ' ');
    }
    luaL_addlstring(&out, piece, *length);
  }
  luaL_pushresult(&out);
  return 1;
}

}  // namespace

void open_os_library(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"time", os_time}, {"clock", os_clock}, {"date", os_date}, {nullptr, nullptr}};
  luaL_newlib(L, kFunctions);
  lua_setglobal(L, "os");
}

}  // namespace lx::engine
