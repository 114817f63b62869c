// Parsing and comparing dump_state trees (docs/inspect-diff.md).
#include "lx/tools/state_diff.h"

#include <fmt/format.h>

#include "lx/tools/json_line.h"

namespace lx::tools {

Result<StateTree> parse_state_tree(std::string_view text) {
  StateTree tree;
  uint64_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == 0 || tab == std::string_view::npos) {
      return Status::corruption(
          fmt::format("state tree line {} is not PATH<TAB>VALUE", line_number));
    }
    auto [at, added] = tree.emplace(std::string(line.substr(0, tab)), line.substr(tab + 1));
    if (!added) {
      return Status::corruption(
          fmt::format("state tree line {} repeats the path {}", line_number, at->first));
    }
  }
  return tree;
}

StateDiff diff_state_trees(const StateTree& left, const StateTree& right, size_t max_shown) {
  StateDiff diff;
  auto note = [&](const std::string& path, const std::string* l, const std::string* r) {
    ++diff.total;
    if (diff.shown.size() >= max_shown) return;
    StateDifference d;
    d.path = path;
    if (l != nullptr) d.left = *l;
    if (r != nullptr) d.right = *r;
    diff.shown.push_back(std::move(d));
  };
  // Both maps are sorted by path: one merge walk.
  auto l = left.begin();
  auto r = right.begin();
  while (l != left.end() || r != right.end()) {
    if (r == right.end() || (l != left.end() && l->first < r->first)) {
      note(l->first, &l->second, nullptr);
      ++l;
    } else if (l == left.end() || r->first < l->first) {
      note(r->first, nullptr, &r->second);
      ++r;
    } else {
      if (l->second != r->second) note(l->first, &l->second, &r->second);
      ++l;
      ++r;
    }
  }
  return diff;
}

std::string difference_text(const StateDifference& d, std::string_view left_name,
                            std::string_view right_name) {
  return fmt::format("{}: {} ({}) vs {} ({})", d.path, d.left ? *d.left : "absent", left_name,
                     d.right ? *d.right : "absent", right_name);
}

std::string differences_json(const StateDiff& diff) {
  std::string array = "[";
  for (const StateDifference& d : diff.shown) {
    if (array.size() > 1) array += ",";
    JsonLine j;
    j.add_str("path", d.path);
    if (d.left) {
      j.add_str("left", *d.left);
    } else {
      j.add_null("left");
    }
    if (d.right) {
      j.add_str("right", *d.right);
    } else {
      j.add_null("right");
    }
    array += j.str();
  }
  return array + "]";
}

}  // namespace lx::tools
