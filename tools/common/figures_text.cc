// Side-by-side and JSON forms of checkpoint figures.
#include "lx/tools/figures_text.h"

#include <fmt/format.h>

#include "lx/tools/json_line.h"
#include "lx/tools/record_text.h"

namespace lx::tools {
namespace {

struct Row {
  const char* name;
  std::string left;
  std::string right;
};

}  // namespace

void print_figures_side_by_side(std::FILE* out, std::string_view indent,
                                std::string_view left_title, const EngineFigures& left,
                                std::string_view right_title, const EngineFigures& right) {
  const Row rows[] = {
      {"event_count", std::to_string(left.event_count), std::to_string(right.event_count)},
      {"memhash", hex64(left.memhash), hex64(right.memhash)},
      {"outhash", hex64(left.outhash), hex64(right.outhash)},
      {"heap_bytes_in_use", std::to_string(left.heap_bytes_in_use),
       std::to_string(right.heap_bytes_in_use)},
  };
  fmt::print(out, "{}{:<18}  {:<20}  {:<20}\n", indent, "", left_title, right_title);
  for (const Row& row : rows) {
    fmt::print(out, "{}{:<18}  {:<20}  {:<20}{}\n", indent, row.name, row.left, row.right,
               row.left == row.right ? "" : "  <- differs");
  }
}

std::string figures_json(const EngineFigures& figures) {
  JsonLine j;
  j.add_u64("event_count", figures.event_count)
      .add_hash("memhash", figures.memhash)
      .add_hash("outhash", figures.outhash)
      .add_u64("heap_bytes_in_use", figures.heap_bytes_in_use);
  return j.str();
}

std::string differing_figures(const EngineFigures& a, const EngineFigures& b) {
  std::string out;
  auto note = [&](bool differs, const char* name) {
    if (!differs) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  note(a.event_count != b.event_count, "event_count");
  note(a.memhash != b.memhash, "memhash");
  note(a.outhash != b.outhash, "outhash");
  note(a.heap_bytes_in_use != b.heap_bytes_in_use, "heap_bytes_in_use");
  return out;
}

}  // namespace lx::tools
