// The state diff (tools/common/state_diff.cc): two dump_state trees in, the
// paths that differ, were added or removed out, sorted and bounded.
#include "lx/tools/state_diff.h"

#include <catch2/catch.hpp>
#include <string>

namespace lx::tools {
namespace {

StateTree tree(const std::string& text) {
  auto parsed = parse_state_tree(text);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

}  // namespace

TEST_CASE("a state diff lists changed, added and removed paths by path", "[state_diff]") {
  StateTree recorded =
      tree("orders\t1\nsessions[42].total\t17\nsessions[42].ch\t<channel 42>\nstats.old\ttrue\n");
  StateTree replayed =
      tree("orders\t1\nsessions[42].total\t18\nsessions[42].ch\t<channel 42>\nstats.new\t\"x\"\n");
  StateDiff diff = diff_state_trees(recorded, replayed, 10);
  REQUIRE(diff.total == 3);
  REQUIRE(diff.shown.size() == 3);
  CHECK(difference_text(diff.shown[0], "recorded", "replayed") ==
        "sessions[42].total: 17 (recorded) vs 18 (replayed)");
  CHECK(difference_text(diff.shown[1], "recorded", "replayed") ==
        "stats.new: absent (recorded) vs \"x\" (replayed)");
  CHECK(difference_text(diff.shown[2], "recorded", "replayed") ==
        "stats.old: true (recorded) vs absent (replayed)");
  CHECK(differences_json(diff) ==
        "[{\"path\":\"sessions[42].total\",\"left\":\"17\",\"right\":\"18\"},"
        "{\"path\":\"stats.new\",\"left\":null,\"right\":\"\\\"x\\\"\"},"
        "{\"path\":\"stats.old\",\"left\":\"true\",\"right\":null}]");
}

TEST_CASE("a state diff of equal trees is empty", "[state_diff]") {
  StateTree a = tree("a\t1\nb.c\t{}\n");
  StateDiff diff = diff_state_trees(a, a, 10);
  CHECK(diff.same());
  CHECK(diff.shown.empty());
  CHECK(differences_json(diff) == "[]");
  CHECK(diff_state_trees(tree(""), tree(""), 10).same());
}

TEST_CASE("a state diff shows the first K differences and counts them all", "[state_diff]") {
  std::string left, right;
  for (int i = 0; i < 50; ++i) {
    char path[16];
    std::snprintf(path, sizeof path, "t[%02d]", i);
    left += std::string(path) + "\t" + std::to_string(i) + "\n";
    right += std::string(path) + "\t" + std::to_string(i + 1) + "\n";
  }
  StateDiff diff = diff_state_trees(tree(left), tree(right), 5);
  CHECK(diff.total == 50);
  REQUIRE(diff.shown.size() == 5);
  CHECK(diff.shown[0].path == "t[00]");
  CHECK(diff.shown[4].path == "t[04]");
}

TEST_CASE("a state tree that is not PATH<TAB>VALUE lines is refused", "[state_diff]") {
  auto no_tab = parse_state_tree("a\t1\njust text\n");
  REQUIRE_FALSE(no_tab.ok());
  CHECK(no_tab.status().message() == "state tree line 2 is not PATH<TAB>VALUE");
  auto no_path = parse_state_tree("\t1\n");
  CHECK_FALSE(no_path.ok());
  auto repeated = parse_state_tree("a\t1\na\t2\n");
  REQUIRE_FALSE(repeated.ok());
  CHECK(repeated.status().message() == "state tree line 2 repeats the path a");
}

TEST_CASE("a value holding a tab keeps it: only the first tab splits", "[state_diff]") {
  StateTree t = tree("s\t\"a\tb\"\n");
  REQUIRE(t.count("s") == 1);
  CHECK(t.at("s") == "\"a\tb\"");
}

}  // namespace lx::tools
