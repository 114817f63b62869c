// Side-by-side and JSON forms of checkpoint figures.
#include "lx/tools/figures_text.h"

#include <fmt/format.h>

#include "lx/tools/json_line.h"
#include "lx/tools/record_text.h"

namespace lx::tools {

std::string figure_text(const FigureInfo& figure, const EngineFigures& figures) {
  const uint64_t value = figures.*figure.field;
  return figure.is_hash ? hex64(value) : std::to_string(value);
}

void print_figures_side_by_side(std::FILE* out, std::string_view indent,
                                std::string_view left_title, const EngineFigures& left,
                                std::string_view right_title, const EngineFigures& right) {
  fmt::print(out, "{}{:<18}  {:<20}  {:<20}\n", indent, "", left_title, right_title);
  for (const FigureInfo& figure : kEngineFigures) {
    const std::string a = figure_text(figure, left);
    const std::string b = figure_text(figure, right);
    fmt::print(out, "{}{:<18}  {:<20}  {:<20}{}\n", indent, figure.name, a, b,
               a == b ? "" : "  <- differs");
  }
}

void add_figures(JsonLine& line, const EngineFigures& figures) {
  for (const FigureInfo& figure : kEngineFigures) {
    if (figure.is_hash) {
      line.add_hash(figure.name, figures.*figure.field);
    } else {
      line.add_u64(figure.name, figures.*figure.field);
    }
  }
}

std::string figures_json(const EngineFigures& figures) {
  JsonLine j;
  add_figures(j, figures);
  return j.str();
}

std::string differing_figures(const EngineFigures& a, const EngineFigures& b) {
  std::string out;
  for (const FigureInfo& figure : kEngineFigures) {
    if (a.*figure.field == b.*figure.field) continue;
    if (!out.empty()) out += ",";
    out += figure.name;
  }
  return out;
}

}  // namespace lx::tools
