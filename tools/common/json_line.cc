// JSON Lines output shared by the tools: one object per line, always valid.
#include "lx/tools/json_line.h"

#include <fmt/format.h>

#include <cinttypes>
#include <cmath>
#include <iterator>

#include "lx/json_escape.h"

namespace lx::tools {

std::string JsonLine::quote(std::string_view value) {
  std::string out;
  append_json_escaped(out, value);
  return out;
}

// Keys and values are escaped and formatted straight into text_: lxdump
// --json builds one object per record, and temporary strings were much of
// its time.
void JsonLine::key(std::string_view name) {
  if (text_.size() > 1) text_.push_back(',');
  append_json_escaped(text_, name);
  text_.push_back(':');
}

JsonLine& JsonLine::add_str(std::string_view name, std::string_view value) {
  key(name);
  append_json_escaped(text_, value);
  return *this;
}

JsonLine& JsonLine::add_u64(std::string_view name, uint64_t value) {
  key(name);
  const fmt::format_int digits(value);
  text_.append(digits.data(), digits.size());
  return *this;
}

JsonLine& JsonLine::add_i64(std::string_view name, int64_t value) {
  key(name);
  const fmt::format_int digits(value);
  text_.append(digits.data(), digits.size());
  return *this;
}

JsonLine& JsonLine::add_bool(std::string_view name, bool value) {
  key(name);
  text_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::add_double(std::string_view name, double value) {
  if (!std::isfinite(value)) return add_null(name);
  key(name);
  fmt::format_to(std::back_inserter(text_), "{}", value);
  return *this;
}

JsonLine& JsonLine::add_bytes(std::string_view name, std::span<const uint8_t> bytes) {
  key(name);
  append_json_escaped(text_, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  return *this;
}

JsonLine& JsonLine::add_null(std::string_view name) {
  key(name);
  text_ += "null";
  return *this;
}

JsonLine& JsonLine::add_optional_u64(std::string_view name, std::optional<uint64_t> value) {
  return value ? add_u64(name, *value) : add_null(name);
}

JsonLine& JsonLine::add_optional_str(std::string_view name, std::string_view value) {
  return value.empty() ? add_null(name) : add_str(name, value);
}

JsonLine& JsonLine::add_raw(std::string_view name, std::string_view json) {
  key(name);
  text_ += json;
  return *this;
}

JsonLine& JsonLine::add_hash(std::string_view name, uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, value);
  return add_str(name, buf);
}

void JsonLine::print(std::FILE* out) const {
  std::fwrite(text_.data(), 1, text_.size(), out);
  std::fwrite("}\n", 1, 2, out);
}

JsonLine summary_line(std::string_view tool, std::string_view result, int exit_code) {
  JsonLine j;
  j.add_str("kind", "summary")
      .add_str("tool", tool)
      .add_str("result", result)
      .add_i64("exit_code", exit_code);
  return j;
}

}  // namespace lx::tools
