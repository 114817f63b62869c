// Diagnostics on a terminal: a warning clears the progress line first, so it
// never runs into it ("event 253952lxreplay: warning"). Checked through a
// pseudo-terminal.
#include "lx/tools/diagnostics.h"

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

namespace {

std::string drain(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("a warning clears the progress line before it is printed", "[tools][diagnostics]") {
  int master = -1;
  int slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  std::FILE* err = ::fdopen(slave, "w");
  REQUIRE(err != nullptr);
  {
    lx::tools::Diagnostics diag("lxtest", err);
    REQUIRE(diag.terminal());
    diag.start_progress(100000);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    for (uint64_t i = 1; i <= 4096; ++i) diag.progress(i);
    diag.warning("something {}", 42);
    diag.note("done");
  }
  std::fclose(err);
  const std::string out = drain(master);
  ::close(master);
  INFO(out);
  CHECK(out.find("lxtest: event 4096 of 100000") != std::string::npos);
  // The terminal turns "\n" into "\r\n".
  CHECK(out.find("\r\033[Klxtest: warning: something 42\r\n") != std::string::npos);
  CHECK(out.find("100000 (4%)lxtest") == std::string::npos);
  CHECK(out.find("lxtest: note: done") != std::string::npos);
}

TEST_CASE("no progress is drawn when stderr is not a terminal", "[tools][diagnostics]") {
  std::FILE* err = std::tmpfile();
  {
    lx::tools::Diagnostics diag("lxtest", err);
    CHECK_FALSE(diag.terminal());
    diag.start_progress(10);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    for (uint64_t i = 1; i <= 8192; ++i) diag.progress(i);
    diag.warning("plain");
  }
  std::rewind(err);
  char buffer[256] = {};
  const size_t n = std::fread(buffer, 1, sizeof buffer - 1, err);
  std::fclose(err);
  CHECK(std::string(buffer, n) == "lxtest: warning: plain\n");
}
