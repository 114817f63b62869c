// JsonLine: builds one JSON object for the tools' --json output (JSON Lines:
// one object per line, read by jq). Bytes that are not printable ASCII are
// escaped as \u00XX, so any payload gives valid JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lx::tools {

class JsonLine {
 public:
  // Each add_* appends "key": value. Keys are written as given (quoted).
  JsonLine& add_str(std::string_view key, std::string_view value);
  JsonLine& add_u64(std::string_view key, uint64_t value);
  JsonLine& add_i64(std::string_view key, int64_t value);
  JsonLine& add_bool(std::string_view key, bool value);
  // A finite double in its shortest exact form; NaN and infinities as null.
  JsonLine& add_double(std::string_view key, double value);
  // Raw bytes as a string: each byte as the code point of its value
  // (printable ASCII as is, others \u00XX), so bytes round trip via Latin-1.
  JsonLine& add_bytes(std::string_view key, std::span<const uint8_t> bytes);
  JsonLine& add_null(std::string_view key);
  // The value, or null when absent (empty for the string form).
  JsonLine& add_optional_u64(std::string_view key, std::optional<uint64_t> value);
  JsonLine& add_optional_str(std::string_view key, std::string_view value);
  // value must already be JSON (an object or array built elsewhere).
  JsonLine& add_raw(std::string_view key, std::string_view json);
  // A 64-bit hash as a "0x%016x" string: JSON numbers lose bits past 2^53.
  JsonLine& add_hash(std::string_view key, uint64_t value);

  // The object, "{...}", without a newline.
  std::string str() const { return text_ + "}"; }
  // Appends the object, without a newline, to out.
  void append_to(std::string& out) const {
    out += text_;
    out.push_back('}');
  }
  // Empties the object and keeps its buffer, so one JsonLine can build many
  // lines without allocating for each.
  void clear() { text_.assign(1, '{'); }
  // Writes the object and a newline to out.
  void print(std::FILE* out) const;

  // value as a JSON string literal, quotes included.
  static std::string quote(std::string_view value);

 private:
  void key(std::string_view name);
  std::string text_ = "{";
};

// The start of a tool's one summary line (docs/json.md): "kind":"summary",
// "tool", "result" and "exit_code"; the tool adds its own figures.
JsonLine summary_line(std::string_view tool, std::string_view result, int exit_code);

}  // namespace lx::tools
