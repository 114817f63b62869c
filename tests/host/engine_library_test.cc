// The engine loader refuses what is not a matching lx engine, saying why.
#include "lx/host/engine_library.h"

#include <catch2/catch.hpp>

using lx::host::EngineLibrary;

TEST_CASE("loader rejects a missing file", "[host][loader]") {
  auto library = EngineLibrary::open("/nonexistent/liblxengine.so");
  REQUIRE_FALSE(library.ok());
  CHECK(library.status().kind() == lx::ErrorKind::kIo);
  CHECK(library.status().message().find("/nonexistent/liblxengine.so") != std::string::npos);
}

TEST_CASE("loader rejects a file that is not a shared library", "[host][loader]") {
  auto library = EngineLibrary::open("/etc/hostname");
  REQUIRE_FALSE(library.ok());
  CHECK(library.status().message().find("cannot load engine /etc/hostname") != std::string::npos);
}

TEST_CASE("loader rejects a library without lx_engine_api", "[host][loader]") {
  auto library = EngineLibrary::open(LX_FAKE_NO_SYMBOL);
  REQUIRE_FALSE(library.ok());
  CHECK(library.status().message().find("does not export lx_engine_api") != std::string::npos);
}

TEST_CASE("loader rejects another ABI version", "[host][loader]") {
  auto library = EngineLibrary::open(LX_FAKE_WRONG_ABI);
  REQUIRE_FALSE(library.ok());
  CHECK(library.status().kind() == lx::ErrorKind::kEngine);
  CHECK(library.status().message().find("ABI version") != std::string::npos);
}

TEST_CASE("loader rejects a function table smaller than this host's", "[host][loader]") {
  auto library = EngineLibrary::open(LX_FAKE_SMALL_TABLE);
  REQUIRE_FALSE(library.ok());
  CHECK(library.status().message().find("function table of 8 bytes") != std::string::npos);
}

TEST_CASE("default engine path is liblxengine.so beside the executable", "[host][loader]") {
  std::string path = EngineLibrary::default_path();
  CHECK(path.size() > 15);
  CHECK(path.substr(path.size() - 15) == "/liblxengine.so");
  CHECK(path.front() == '/');
}
