// The checkpoint figures (event count, memhash, outhash, heap bytes) as the
// tools show them: a side-by-side table that marks the rows that differ, and
// a JSON object.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "lx/event_sink.h"
#include "lx/tools/json_line.h"

namespace lx::tools {

// Prints a header row with the two titles, then one row per figure, each
// line starting with indent; rows that differ end with "<- differs".
void print_figures_side_by_side(std::FILE* out, std::string_view indent,
                                std::string_view left_title, const EngineFigures& left,
                                std::string_view right_title, const EngineFigures& right);

// One figure as text: hashes as 0x%016x, counts in decimal.
std::string figure_text(const FigureInfo& figure, const EngineFigures& figures);

// Adds every figure under its ABI name (hashes as "0x..." strings).
void add_figures(JsonLine& line, const EngineFigures& figures);

// {"event_count":N,"memhash":"0x...","outhash":"0x...","heap_bytes_in_use":N}
std::string figures_json(const EngineFigures& figures);

// The names of the figures that differ, comma-separated ("memhash,heap_bytes_in_use").
std::string differing_figures(const EngineFigures& a, const EngineFigures& b);

}  // namespace lx::tools
