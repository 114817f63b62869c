// Keeps engine/ pure: no OS headers, clocks, threads, file I/O, environment
// or unordered containers (DESIGN.md section 1). Each banned token names
// what to use instead.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Ban {
  const char* token;
  const char* instead;
};

const Ban kBans[] = {
    {"<thread>", "no threads in the engine: it is driven by one thread"},
    {"<mutex>", "no locks: the engine is single-threaded"},
    {"<atomic>", "no atomics: the engine is single-threaded"},
    {"<condition_variable>", "no threads in the engine"},
    {"<future>", "no threads in the engine"},
    {"<chrono>", "DrivenEngine::clock_seconds() (the clock the driver sets)"},
    {"<ctime>", "CivilTime and the engine clock"},
    {"<time.h>", "CivilTime and the engine clock"},
    {"<random>", "EngineRandom (seeded from the engine seed)"},
    {"std::random_device", "EngineRandom (seeded from the engine seed)"},
    {"<sys/", "nothing: the driver does all OS work"},
    {"<unistd.h>", "nothing: the driver does all OS work"},
    {"<fcntl.h>", "nothing: the driver does all OS work"},
    {"<fstream>", "nothing: the app source arrives as a blob (set_lua_source)"},
    {"<filesystem>", "nothing: the app source arrives as a blob (set_lua_source)"},
    {"<iostream>", "lx.log lines (LogQueue) drained by the driver"},
    {"<cstdio>", "lx.log lines (LogQueue); std::to_chars for numbers"},
    {"<stdio.h>", "lx.log lines (LogQueue); std::to_chars for numbers"},
    {"printf", "std::to_chars / lua_pushfstring"},
    {"fopen", "nothing: the driver reads files"},
    {"getenv", "an lx_engine_config field or an app argument (lx.args)"},
    {"uv.h", "nothing: libuv belongs to the driver"},
    {"std::unordered_", "eng::map or a sorted eng::vector (iteration order must repeat)"},
    {"malloc(", "Heap::allocate / eng:: containers"},
};

}  // namespace

TEST_CASE("engine/ uses no banned header, call or container", "[purity]") {
  namespace fs = std::filesystem;
  std::vector<std::string> findings;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(LX_ENGINE_SOURCE_DIR)) {
    std::string ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      for (const Ban& ban : kBans) {
        if (line.find(ban.token) != std::string::npos) {
          findings.push_back(entry.path().string() + ":" + std::to_string(number) + ": " +
                             ban.token + " -> use " + ban.instead);
        }
      }
    }
  }
  CHECK(files >= 20);
  std::ostringstream report;
  for (const std::string& finding : findings) report << finding << "\n";
  INFO(report.str());
  CHECK(findings.empty());
}
