// lxdiff over scripted sessions: a log and its re-record are the same; one
// changed payload byte, another seed, or a late difference in large logs are
// named exactly; --json is JSON Lines; unreadable logs exit 3.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "header_diff.h"
#include "lx/exit_code.h"
#include "lxreplay_session.h"
#include "run_lxdiff.h"
#include "run_lxreplay.h"

namespace lx::tools::test {
namespace {

Captured diff(const std::string& a, const std::string& b, bool json = false, bool full = false) {
  LxdiffOptions o;
  o.a_path = a;
  o.b_path = b;
  o.json = json;
  o.full = full;
  return capture([&](std::FILE* out, std::FILE* err) { return run_lxdiff(o, out, err); });
}

std::string record(const std::string& name, SessionSpec spec = {}) {
  spec.log_path = temp_path(name);
  auto result = record_session(spec);
  REQUIRE(result.ok());
  return spec.log_path;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The value of "key":<number> in a JSON line, or -1.
long long json_number(const std::string& text, const std::string& key) {
  size_t at = text.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + key.size() + 3));
}

}  // namespace

TEST_CASE("a log and its re-record by lxreplay are the same", "[lxdiff]") {
  std::string original = record("diff_original.lxw");
  std::string copy = temp_path("diff_rerecord.lxw");
  LxreplayOptions r;
  r.log_path = original;
  r.record_to = copy;
  r.checkpoint_every = 10;
  r.quiet = true;
  Captured replay =
      capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(r, out, err); });
  REQUIRE(replay.code == kExitOk);
  Captured d = diff(original, copy);
  INFO(d.out << d.err);
  CHECK(d.code == kExitOk);
  CHECK(has(d.out, "lxdiff: same:"));
  CHECK(has(d.out, "no event differs"));
  CHECK(has(d.out, "no checkpoint differs (22 compared)"));
  // options_text names the original: a recorder field, noted, not counted.
  CHECK(has(d.out, "not counted"));
  CHECK_FALSE(has(d.out, "header differs"));
}

TEST_CASE("lxdiff names the event whose payload differs by one byte", "[lxdiff]") {
  SessionSpec base;
  base.poke_line = "line 7 from client 1";
  std::string a = record("diff_byte_a.lxw", base);
  SessionSpec changed = base;
  changed.poke_line = "line 7 frXm client 1";
  std::string b = record("diff_byte_b.lxw", changed);
  uint64_t event = event_with_payload(b, "frXm");
  REQUIRE(event > 0);
  REQUIRE(event == event_with_payload(a, "line 7 from client 1"));

  Captured d = diff(a, b);
  INFO(d.out << d.err);
  CHECK(d.code == kExitFinding);
  CHECK(has(d.out,
            "first differing event: " + std::to_string(event) + ": payload differs at byte 9\n"));
  CHECK(has(d.out, "A bytes from 1: \"ine 7 from client 1\\r\\n\""));
  CHECK(has(d.out, "B bytes from 1: \"ine 7 frXm client 1\\r\\n\""));
  // The changed line is echoed upper-cased, so outhash parts at the next checkpoint.
  CHECK(has(d.out, "first differing checkpoint: after event"));
  CHECK(has(d.out, "(differs: outhash)"));
  // Context rows from both logs, the differing one marked.
  CHECK(has(d.out, "    > " + std::string(8 - std::to_string(event).size(), ' ') +
                       std::to_string(event) + "  recv_incoming"));

  SECTION("--json gives JSON Lines that jq reads") {
    Captured j = diff(a, b, true);
    CHECK(j.code == kExitFinding);
    CHECK(has(j.out, "{\"kind\":\"event_diff\",\"event\":" + std::to_string(event) +
                         ",\"what\":\"payload differs at byte 9\",\"offset\":9"));
    CHECK(json_number(j.out, "first_event_diff") == static_cast<long long>(event));
    std::string path = temp_path("diff.jsonl");
    write_file(path, j.out);
    Captured jq = run_command(
        "command -v jq >/dev/null || exit 77; jq -e -s "
        "'length > 3 and all(.[]; has(\"kind\"))' < " +
        path);
    if (jq.code == 77) {
      WARN("jq is not installed; JSON Lines not checked by a parser");
    } else {
      CHECK(jq.code == 0);
      CHECK(has(jq.out, "true"));
    }
  }
}

TEST_CASE("lxdiff reports a header difference between seeds", "[lxdiff]") {
  SessionSpec one;
  one.seed = 1;
  SessionSpec two;
  two.seed = 2;
  std::string a = record("diff_seed_1.lxw", one);
  std::string b = record("diff_seed_2.lxw", two);
  Captured d = diff(a, b);
  INFO(d.out << d.err);
  CHECK(d.code == kExitFinding);
  CHECK(has(d.out, "lxdiff: header differs: seed: A 1, B 2"));
  Captured j = diff(a, b, true);
  CHECK(has(j.out,
            "{\"kind\":\"header_diff\",\"field\":\"seed\",\"a_value\":\"1\",\"b_value\":\"2\","
            "\"counted\":true}"));
}

TEST_CASE("two large logs that differ late are diffed from the indexes", "[lxdiff][index]") {
  SessionSpec spec;
  spec.lines_per_client = 1500;
  spec.checkpoint_every = 100;
  spec.writer.frame_restart_bytes = 16u << 10;
  spec.poke_line_number = 1400;
  spec.poke_line = "line 1400 from client 1";
  std::string a = record("diff_large_a.lxw", spec);
  spec.poke_line = "line 1400 from client 9";
  std::string b = record("diff_large_b.lxw", spec);
  uint64_t event = event_with_payload(b, "client 9");
  REQUIRE(event > 0);

  Captured fast = diff(a, b, true);
  INFO(fast.out << fast.err);
  CHECK(fast.code == kExitFinding);
  CHECK(json_number(fast.out, "first_event_diff") == static_cast<long long>(event));
  CHECK(has(fast.out, "\"indexes_used\":true"));
  long long decoded = json_number(fast.out, "decoded_bytes_a");
  long long total = json_number(fast.out, "record_bytes_a");
  REQUIRE(total > 0);
  // The difference is at about 93% of the log: only the frames from the last
  // agreeing checkpoint on are decoded.
  CHECK(decoded * 5 < total);

  Captured full = diff(a, b, true, true);
  CHECK(json_number(full.out, "first_event_diff") == static_cast<long long>(event));
  CHECK(json_number(full.out, "decoded_bytes_a") > total * 9 / 10);
}

TEST_CASE("lxdiff exits 3 on a log it cannot read", "[lxdiff]") {
  std::string good = record("diff_good.lxw");
  std::string junk = temp_path("junk.lxw");
  write_file(junk, "this is not a log at all, just some text\n");
  Captured missing = diff(good, temp_path("no_such.lxw"));
  CHECK(missing.code == kExitUnreadable);
  CHECK(has(missing.err, "lxdiff: error: cannot open"));
  Captured foreign = diff(junk, good);
  CHECK(foreign.code == kExitUnreadable);
  CHECK(has(foreign.err, "not an lx log"));
}

TEST_CASE("lxdiff notes a different format version but does not count it", "[lxdiff]") {
  // A 1.3 log and its replay recorded as 3.0 hold the same session: only
  // their bytes are encoded differently.
  wal::LogHeader a;
  a.version_major = 1;
  a.version_minor = 3;
  wal::LogHeader b = a;
  b.version_major = 3;
  b.version_minor = 0;
  const std::vector<HeaderFieldDiff> diffs = diff_headers(a, b);
  REQUIRE(diffs.size() == 2);
  for (const HeaderFieldDiff& d : diffs) {
    CAPTURE(d.field);
    CHECK_FALSE(d.counted);
  }
  CHECK(diffs[0].field == "format_version_major");
  CHECK(diffs[0].a == "1");
  CHECK(diffs[0].b == "3");
  b = a;
  b.seed = a.seed + 1;
  REQUIRE(diff_headers(a, b).size() == 1);
  CHECK(diff_headers(a, b)[0].counted);
}

}  // namespace lx::tools::test
