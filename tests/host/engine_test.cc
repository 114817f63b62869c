// The Engine wrapper against the real liblxengine.so (when this tree builds
// it): events forward, queries read, a used region is refused.
#include "lx/host/engine.h"

#include <catch2/catch.hpp>

#include "lx/host/source_blob.h"

#ifdef LX_REAL_ENGINE

using lx::host::Engine;
using lx::host::EngineLibrary;
using lx::host::HeapRegion;

namespace {

constexpr uint64_t kTestBytes = 256ull << 20;

std::vector<uint8_t> app(std::string_view main_lua) {
  return lx::host::SourceBlob::encode({{"main.lua", {main_lua.begin(), main_lua.end()}}}, {})
      .value();
}

// The real engine library, a region, and one engine made in it.
struct EngineFixture {
  EngineFixture()
      : library(EngineLibrary::open(LX_REAL_ENGINE).value()),
        region(HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kTestBytes).value()) {
    auto created = Engine::create(*library, region, 1);
    INFO((created.ok() ? "" : created.status().message()));
    REQUIRE(created.ok());
    engine = std::move(created).value();
  }
  std::unique_ptr<EngineLibrary> library;
  HeapRegion region;
  std::unique_ptr<Engine> engine;
};

}  // namespace

TEST_CASE("engine echoes through the wrapper and logs", "[host][engine]") {
  EngineFixture fixture;
  Engine& e = *fixture.engine;
  CHECK_FALSE(fixture.region.fresh());

  REQUIRE(e.set_clock(1000.5) == LX_OK);
  REQUIRE(e.set_lua_source(app(R"(
    local clients = {}
    lx.log("started")
    function update()
      local ch = lx.accept()
      while ch do clients[#clients + 1] = ch; ch = lx.accept() end
      for _, c in ipairs(clients) do
        local s = c:read()
        if s ~= "" then c:write(s) end
      end
    end)")) == LX_OK);
  int32_t chid = e.notify_accept(7000);
  REQUIRE(chid > 0);
  CHECK(e.channels() == std::vector<int32_t>{0, chid});
  auto info = e.info(chid);
  REQUIRE(info.has_value());
  CHECK(info->port == 7000);
  CHECK_FALSE(info->outgoing);

  const std::string hello = "hello";
  REQUIRE(e.recv_incoming(chid, {reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}) ==
          LX_OK);
  CHECK(e.info(chid)->incoming_bytes == hello.size());
  REQUIRE(e.invoke_event_update() == LX_OK);
  auto out = e.peek_outgoing(chid);
  CHECK(std::string(out.begin(), out.end()) == hello);
  REQUIRE(e.sent_outgoing(chid, 2) == LX_OK);
  out = e.peek_outgoing(chid);
  CHECK(std::string(out.begin(), out.end()) == "llo");
  CHECK(e.event_count() == 6);
  CHECK(e.figures().outhash == e.outhash());

  std::vector<std::string> lines;
  e.drain_log([&](std::string_view line) { lines.emplace_back(line); });
  CHECK(lines == std::vector<std::string>{"started"});
  CHECK_FALSE(e.info(999).has_value());
  CHECK(e.peek_outgoing(999).empty());
}

TEST_CASE("engine refuses a region that was used before", "[host][engine]") {
  EngineFixture fixture;
  fixture.engine.reset();
  auto second = Engine::create(*fixture.library, fixture.region, 1);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("fresh") != std::string::npos);
}

TEST_CASE("engine reports a Lua syntax error with file and line", "[host][engine]") {
  EngineFixture fixture;
  REQUIRE(fixture.engine->set_clock(1) == LX_OK);
  CHECK(fixture.engine->set_lua_source(app("x = 1\nfunction (\n")) == LX_ERR_APP);
  CHECK(fixture.engine->last_error().find("main.lua:2:") != std::string_view::npos);
}

#endif  // LX_REAL_ENGINE
