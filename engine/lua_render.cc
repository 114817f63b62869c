// ValueRenderer and the pieces dump_state shares with it: the key order,
// path segments and how each kind of value reads as text and as JSON.
#include "lua_render.h"

#include <lauxlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "channel_table.h"
#include "driven_engine.h"
#include "hash64.h"
#include "lua_bindings.h"

namespace lx::engine {
namespace {

constexpr size_t kCompactColumns = 80;  // a table that fits stays on one line

std::string decimal(uint64_t value) {
  char text[24];
  auto done = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, done.ptr);
}

// The shortest text that reads back as the same double, Lua-style ("3.0").
std::string float_text(double value, bool json) {
  if (std::isnan(value)) return json ? "{\"lx:number\":\"nan\"}" : "0/0";
  if (std::isinf(value)) {
    if (json) return value > 0 ? "{\"lx:number\":\"inf\"}" : "{\"lx:number\":\"-inf\"}";
    return value > 0 ? "math.huge" : "-math.huge";
  }
  char text[64];
  auto done = std::to_chars(text, text + sizeof(text), value);
  std::string out(text, done.ptr);
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}

std::string number_text(lua_State* L, int index, bool json) {
  if (lua_isinteger(L, index)) {
    char text[24];
    auto done = std::to_chars(text, text + sizeof(text), lua_tointeger(L, index));
    return std::string(text, done.ptr);
  }
  return float_text(lua_tonumber(L, index), json);
}

const char kHex[] = "0123456789abcdef";

// String literal contents: printable ASCII as is, the usual escapes, other
// bytes as \xHH (Lua) or \u00HH (JSON: each byte the code point of its
// value, docs/json.md, so Latin-1 gives the bytes back).
void append_escaped(std::string& out, std::string_view bytes, bool json) {
  for (unsigned char c : bytes) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += json ? "\\u00" : "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
    }
  }
}

void append_lua_escaped(std::string& out, std::string_view bytes) {
  append_escaped(out, bytes, false);
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  append_escaped(out, text, true);
  out += '"';
  return out;
}

// 32 bits of a hash of the whole string, so two cut strings can be told apart.
std::string short_hash(std::string_view bytes) {
  Hash64 hash;
  hash.mix_bytes(bytes.data(), bytes.size());
  uint64_t value = hash.value();
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHex[value & 15];
    value >>= 4;
  }
  return out;
}

std::string string_value(std::string_view bytes, const RenderLimits& limits) {
  bool cut = bytes.size() > limits.max_string_bytes;
  std::string_view shown = cut ? bytes.substr(0, limits.max_string_bytes) : bytes;
  std::string out;
  if (limits.json) {
    if (!cut) return json_quote(bytes);
    out = "{\"lx:string\":" + json_quote(shown) + ",\"lx:bytes\":" + decimal(bytes.size()) +
          ",\"lx:hash\":\"" + short_hash(bytes) + "\"}";
    return out;
  }
  out = "\"";
  append_lua_escaped(out, shown);
  out += '"';
  if (cut) out += "... (" + decimal(bytes.size()) + " bytes, #" + short_hash(bytes) + ")";
  return out;
}

std::string_view string_at(lua_State* L, int index) {
  size_t bytes = 0;
  const char* text = lua_tolstring(L, index, &bytes);
  return {text, bytes};
}

// Where a Lua function was defined: "main.lua:12", or "[C]".
std::string function_where(lua_State* L, int index) {
  if (lua_iscfunction(L, index)) return "[C]";
  lua_Debug ar;
  lua_pushvalue(L, index);
  lua_getinfo(L, ">S", &ar);
  std::string out = ar.short_src;
  if (ar.linedefined > 0) {
    out += ":" + decimal(static_cast<uint64_t>(ar.linedefined));
  } else {
    out += " (main chunk)";
  }
  return out;
}

// The chid of a channel userdata, or nullopt for any other value.
std::optional<int32_t> channel_chid(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TUSERDATA) return std::nullopt;
  void* block = luaL_testudata(L, index, kChannelMetatable);
  if (block == nullptr) return std::nullopt;
  // ChannelRef (lua_lx_api.cc) holds only the chid.
  int32_t chid = 0;
  std::memcpy(&chid, block, sizeof(chid));
  return chid;
}

std::string channel_text(lua_State* L, int32_t chid) {
  std::string out = "<channel " + std::to_string(chid);
  const Channel* channel = engine_of(L).channels().find(chid);
  if (channel == nullptr || channel->finished) {
    out += " gone";
  } else if (channel->deleted) {
    out += " closed by the app";
  } else if (channel->closed) {
    out += " closed by the peer";
  }
  return out + ">";
}

// Sort rank of a key: numbers, strings, booleans, others.
int key_rank(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TNUMBER:
      return 0;
    case LUA_TSTRING:
      return 1;
    case LUA_TBOOLEAN:
      return 2;
    default:
      return 3;
  }
}

struct KeySlot {
  int rank = 0;
  bool integer = false;
  lua_Integer i = 0;
  double d = 0;
  std::string_view text;  // strings: the key's own bytes (anchored in the key table)
  int64_t chid = -1;      // channels: the chid; others -1
  int type = 0;           // others: the Lua type
  const void* pointer = nullptr;
  int slot = 0;  // position in the unsorted key table
};

bool number_less(const KeySlot& a, const KeySlot& b) {
  if (a.integer && b.integer) return a.i < b.i;
  long double x = a.integer ? static_cast<long double>(a.i) : a.d;
  long double y = b.integer ? static_cast<long double>(b.i) : b.d;
  if (x != y) return x < y;
  return a.integer && !b.integer;
}

bool key_less(const KeySlot& a, const KeySlot& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  switch (a.rank) {
    case 0:
      return number_less(a, b);
    case 1:
      return a.text < b.text;
    case 2:
      return a.i < b.i;
    default:
      if ((a.chid >= 0) != (b.chid >= 0)) return a.chid >= 0;
      if (a.chid != b.chid) return a.chid < b.chid;
      if (a.type != b.type) return a.type < b.type;
      return std::less<const void*>()(a.pointer, b.pointer);
  }
}

std::string compact_or_lines(const std::vector<std::string>& items) {
  std::string compact = "{";
  bool multiline = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) compact += ", ";
    compact += items[i];
    multiline = multiline || items[i].find('\n') != std::string::npos;
  }
  compact += "}";
  if (!multiline && compact.size() <= kCompactColumns) return compact;
  std::string out = "{\n";
  for (const std::string& item : items) {
    out += "  ";
    for (char c : item) {
      out += c;
      if (c == '\n') out += "  ";
    }
    out += ",\n";
  }
  out += "}";
  return out;
}

}  // namespace

std::string json_string(std::string_view text) { return json_quote(text); }

bool is_lua_name(std::string_view text) {
  static const char* const kReserved[] = {"and",   "break", "do",       "else", "elseif", "end",
                                          "false", "for",   "function", "goto", "if",     "in",
                                          "local", "nil",   "not",      "or",   "repeat", "return",
                                          "then",  "true",  "until",    "while"};
  if (text.empty()) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(text[0])) return false;
  for (char c : text) {
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  }
  for (const char* word : kReserved) {
    if (text == word) return false;
  }
  return true;
}

int push_sorted_keys(lua_State* L, int table_index) {
  table_index = lua_absindex(L, table_index);
  luaL_checkstack(L, 4, "inspecting a table");
  lua_newtable(L);  // the keys, unsorted; keeps string keys alive while sorting
  int keys = lua_gettop(L);
  std::vector<KeySlot> slots;
  lua_pushnil(L);
  while (lua_next(L, table_index) != 0) {
    lua_pop(L, 1);  // the value
    KeySlot slot;
    slot.slot = static_cast<int>(slots.size()) + 1;
    slot.rank = key_rank(L, -1);
    switch (slot.rank) {
      case 0:
        slot.integer = lua_isinteger(L, -1) != 0;
        if (slot.integer) {
          slot.i = lua_tointeger(L, -1);
        } else {
          slot.d = lua_tonumber(L, -1);
        }
        break;
      case 1:
        slot.text = string_at(L, -1);
        break;
      case 2:
        slot.i = lua_toboolean(L, -1);
        break;
      default:
        slot.type = lua_type(L, -1);
        slot.pointer = lua_topointer(L, -1);
        if (std::optional<int32_t> chid = channel_chid(L, -1)) slot.chid = *chid;
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, slot.slot);
    slots.push_back(slot);
  }
  std::sort(slots.begin(), slots.end(), key_less);
  lua_createtable(L, static_cast<int>(slots.size()), 0);
  for (size_t i = 0; i < slots.size(); ++i) {
    lua_rawgeti(L, keys, slots[i].slot);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_remove(L, keys);
  return static_cast<int>(slots.size());
}

uint64_t table_entry_count(lua_State* L, int index) {
  index = lua_absindex(L, index);
  luaL_checkstack(L, 3, "inspecting a table");
  uint64_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    ++count;
  }
  return count;
}

std::string key_text(lua_State* L, int key_index) {
  switch (lua_type(L, key_index)) {
    case LUA_TSTRING: {
      std::string out = "\"";
      append_lua_escaped(out, string_at(L, key_index));
      return out + "\"";
    }
    case LUA_TNUMBER:
      return number_text(L, key_index, false);
    case LUA_TBOOLEAN:
      return lua_toboolean(L, key_index) ? "true" : "false";
    default:
      break;
  }
  if (std::optional<int32_t> chid = channel_chid(L, key_index)) return channel_text(L, *chid);
  char address[24];
  auto done = std::to_chars(address, address + sizeof(address),
                            reinterpret_cast<uintptr_t>(lua_topointer(L, key_index)), 16);
  return std::string("<") + luaL_typename(L, key_index) + ": 0x" + std::string(address, done.ptr) +
         ">";
}

std::string path_segment(lua_State* L, int key_index) {
  if (lua_type(L, key_index) == LUA_TSTRING) {
    std::string_view text = string_at(L, key_index);
    if (is_lua_name(text)) return "." + std::string(text);
  }
  return "[" + key_text(L, key_index) + "]";
}

std::string render_leaf(lua_State* L, int index, const RenderLimits& limits) {
  const bool json = limits.json;
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return json ? "null" : "nil";
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    case LUA_TNUMBER:
      return number_text(L, index, json);
    case LUA_TSTRING:
      return string_value(string_at(L, index), limits);
    case LUA_TFUNCTION: {
      std::string where = function_where(L, index);
      return json ? "{\"lx:function\":" + json_quote(where) + "}" : "<function " + where + ">";
    }
    case LUA_TUSERDATA:
      if (std::optional<int32_t> chid = channel_chid(L, index)) {
        return json ? "{\"lx:channel\":" + std::to_string(*chid) + "}" : channel_text(L, *chid);
      }
      return json ? "{\"lx:userdata\":\"userdata\"}" : "<userdata>";
    case LUA_TLIGHTUSERDATA:
      return json ? "{\"lx:userdata\":\"light\"}" : "<light userdata>";
    case LUA_TTHREAD:
      return json ? "{\"lx:coroutine\":\"coroutine\"}" : "<coroutine>";
    default:
      return json ? "{\"lx:table\":\"table\"}" : "<table>";
  }
}

std::string ValueRenderer::render(int index, const std::string& path) {
  return render_at(lua_absindex(L_, index), path, 0);
}

std::string ValueRenderer::render_at(int index, const std::string& path, uint32_t depth) {
  if (lua_type(L_, index) != LUA_TTABLE) return render_leaf(L_, index, limits_);
  const void* table = lua_topointer(L_, index);
  auto shown = shown_.find(table);
  if (shown != shown_.end()) {
    bool cycle = open_.count(table) != 0;
    if (limits_.json) {
      return std::string(cycle ? "{\"lx:cycle\":" : "{\"lx:same_as\":") +
             json_quote(shown->second) + "}";
    }
    return std::string(cycle ? "<cycle: " : "<same as ") + shown->second + ">";
  }
  if (depth >= limits_.depth) {
    uint64_t entries = table_entry_count(L_, index);
    if (entries == 0) return "{}";
    if (limits_.json) return "{\"lx:entries\":" + decimal(entries) + "}";
    return "{...} (" + decimal(entries) + (entries == 1 ? " entry)" : " entries)");
  }
  shown_.emplace(table, path);
  open_.insert(table);
  std::string out = render_table(index, path, depth);
  open_.erase(table);
  return out;
}

std::string ValueRenderer::render_table(int index, const std::string& path, uint32_t depth) {
  luaL_checkstack(L_, 6, "inspecting a table");
  int count = push_sorted_keys(L_, index);
  int keys = lua_gettop(L_);
  uint64_t shown_count = std::min<uint64_t>(static_cast<uint64_t>(count), limits_.max_entries);
  uint64_t more = static_cast<uint64_t>(count) - shown_count;
  // Keys 1, 2, 3, ... from the first on are positional: shown without a key
  // (text), or as a JSON array when every key is.
  bool sequence = true;
  std::vector<std::string> items;
  std::vector<std::string> json_keys;
  for (uint64_t i = 1; i <= shown_count; ++i) {
    lua_rawgeti(L_, keys, static_cast<lua_Integer>(i));  // key
    lua_pushvalue(L_, -1);
    lua_rawget(L_, index);  // value
    int key = lua_gettop(L_) - 1;
    sequence =
        sequence && lua_isinteger(L_, key) && lua_tointeger(L_, key) == static_cast<lua_Integer>(i);
    std::string value = render_at(lua_gettop(L_), path + path_segment(L_, key), depth + 1);
    bool is_name = lua_type(L_, key) == LUA_TSTRING && is_lua_name(string_at(L_, key));
    if (limits_.json) {
      json_keys.push_back(lua_type(L_, key) == LUA_TSTRING
                              ? json_quote(string_at(L_, key))
                              : json_quote("[" + key_text(L_, key) + "]"));
      items.push_back(std::move(value));
    } else if (sequence) {
      items.push_back(std::move(value));
    } else if (is_name) {
      items.push_back(std::string(string_at(L_, key)) + " = " + value);
    } else {
      items.push_back("[" + key_text(L_, key) + "] = " + value);
    }
    lua_pop(L_, 2);
  }
  lua_pop(L_, 1);  // keys
  if (!limits_.json) {
    if (more > 0) items.push_back("... (" + decimal(more) + " more)");
    return compact_or_lines(items);
  }
  if (sequence && more == 0 && !items.empty()) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i > 0 ? "," : "") + items[i];
    return out + "]";
  }
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i > 0 ? "," : "") + json_keys[i] + ":" + items[i];
  }
  if (more > 0) out += std::string(items.empty() ? "" : ",") + "\"lx:more\":" + decimal(more);
  return out + "}";
}

}  // namespace lx::engine
