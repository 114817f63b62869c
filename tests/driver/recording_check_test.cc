// Recording::check turns bad recording flags into usage errors (exit 2)
// before lxrun loads the engine or touches the log file.
#include <catch2/catch.hpp>

#include "recording.h"

using lx::driver::Recording;
using lx::driver::RecordOptions;

TEST_CASE("recording flags without --record are a usage error", "[driver][record]") {
  RecordOptions options;
  CHECK(Recording::check(options).ok());  // no recording, no flags
  options.flags_given = {"--flush-ms", "--force"};
  const lx::Status status = Recording::check(options);
  REQUIRE_FALSE(status.ok());
  CHECK(status.kind() == lx::ErrorKind::kUsage);
  CHECK(status.message().find("--flush-ms, --force") != std::string::npos);
  CHECK(status.message().find("add --record FILE.lxw") != std::string::npos);
  options.path = "x.lxw";
  CHECK(Recording::check(options).ok());
}

TEST_CASE("recording flags out of range are usage errors", "[driver][record]") {
  RecordOptions options;
  options.path = "x.lxw";
  SECTION("fsync") {
    options.fsync = "sometimes";
    CHECK(Recording::check(options).message().find("--fsync sometimes") != std::string::npos);
  }
  SECTION("zstd level") {
    options.zstd_level = 20;
    CHECK(Recording::check(options).message().find("--zstd-level 20") != std::string::npos);
  }
  SECTION("flush interval") {
    options.flush_ms = 0;
    CHECK(Recording::check(options).message().find("--flush-ms 0") != std::string::npos);
  }
  SECTION("max log bytes") {
    options.max_log_bytes = 4095;
    CHECK(Recording::check(options).message().find("--max-log-bytes 4095") != std::string::npos);
    options.max_log_bytes = 4096;
    CHECK(Recording::check(options).ok());
  }
}
