// The C ABI table: versions and sizes, argument checks on create, and
// every call's behaviour with a null or bogus engine handle.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "lx/engine_api.h"
#include "region.h"
#include "scripted_driver.h"

using lx::test::Region;

TEST_CASE("the table reports the ABI version, its size and a build id", "[abi]") {
  const lx_engine_wrapper* api = lx_engine_api();
  REQUIRE(api != nullptr);
  CHECK(api == lx_engine_api());
  CHECK(api->abi_version == LX_ENGINE_ABI_VERSION);
  CHECK(api->struct_size == sizeof(lx_engine_wrapper));
  REQUIRE(api->build_id != nullptr);
  CHECK_THAT(std::string(api->build_id), Catch::StartsWith("lxengine-"));
  CHECK(std::strlen(api->build_id) == std::strlen("lxengine-") + 16);
}

TEST_CASE("create checks its configuration", "[abi]") {
  const lx_engine_wrapper* api = lx_engine_api();
  Region region(lx::test::region_base(5), uint64_t{16} << 20);
  lx_engine_config config{};
  config.struct_size = sizeof(config);
  config.heap_base = region.base();
  config.heap_bytes = region.bytes();
  config.seed = 1;
  lx_engine* engine = reinterpret_cast<lx_engine*>(0x1);
  char error[256];

  SECTION("a struct_size from another header is a version error") {
    config.struct_size = sizeof(config) + 8;
    CHECK(api->create(&config, &engine, error, sizeof(error)) == LX_ERR_VERSION);
    CHECK(engine == nullptr);
    CHECK_THAT(std::string(error), Catch::Contains("struct_size"));
  }
  SECTION("reserved must be zero") {
    config.reserved = 1;
    CHECK(api->create(&config, &engine, error, sizeof(error)) == LX_ERR_ARGUMENT);
    CHECK_THAT(std::string(error), Catch::Contains("reserved"));
  }
  SECTION("null arguments") {
    CHECK(api->create(nullptr, &engine, error, sizeof(error)) == LX_ERR_ARGUMENT);
    CHECK(api->create(&config, nullptr, nullptr, 0) == LX_ERR_ARGUMENT);
  }
  SECTION("a misaligned base") {
    config.heap_base = static_cast<char*>(region.base()) + 16;
    config.heap_bytes = region.bytes() - 4096;
    CHECK(api->create(&config, &engine, error, sizeof(error)) == LX_ERR_ARGUMENT);
    CHECK_THAT(std::string(error), Catch::Contains("aligned"));
  }
  SECTION("a region below 8 MiB") {
    config.heap_bytes = uint64_t{4} << 20;
    CHECK(api->create(&config, &engine, error, sizeof(error)) == LX_ERR_ARGUMENT);
    CHECK_THAT(std::string(error), Catch::Contains("8 MiB"));
  }
  SECTION("a region that is not fresh") {
    static_cast<char*>(region.base())[100] = 1;
    CHECK(api->create(&config, &engine, error, sizeof(error)) == LX_ERR_ARGUMENT);
    CHECK_THAT(std::string(error), Catch::Contains("fresh"));
  }
  SECTION("the error text is cut to its capacity") {
    config.reserved = 1;
    char tiny[8];
    std::memset(tiny, 'z', sizeof(tiny));
    CHECK(api->create(&config, &engine, tiny, sizeof(tiny)) == LX_ERR_ARGUMENT);
    CHECK(std::strlen(tiny) == 7);
  }
  SECTION("a good config creates an engine whose state lives in the region") {
    REQUIRE(api->create(&config, &engine, error, sizeof(error)) == LX_OK);
    // The handle is the driver's, on the system heap (it holds the log
    // queue); the state is the region's first snapshot_bytes bytes, which
    // start with the region header.
    auto address = reinterpret_cast<uintptr_t>(engine);
    auto base = reinterpret_cast<uintptr_t>(region.base());
    CHECK((address < base || address >= base + region.bytes()));
    CHECK(api->snapshot_bytes(engine) > 256);
    CHECK(api->snapshot_bytes(engine) < region.bytes());
    CHECK(std::memcmp(region.base(), "lxregn01", 8) == 0);
    CHECK(api->event_count(engine) == 0);
    CHECK(api->heap_bytes_in_use(engine) > 0);
    CHECK(std::string(api->last_error(engine)).empty());
    api->destroy(engine);
  }
}

TEST_CASE("every call copes with a null engine", "[abi]") {
  const lx_engine_wrapper* api = lx_engine_api();
  int32_t chids[4];
  lx_channel_info info;
  const char* target = nullptr;
  size_t size = 0;
  const uint8_t* bytes = nullptr;
  char line[16];
  api->destroy(nullptr);
  CHECK(api->set_clock(nullptr, 1.0) == LX_ERR_ARGUMENT);
  CHECK(api->set_lua_source(nullptr, nullptr, 0) == LX_ERR_ARGUMENT);
  CHECK(api->recv_incoming(nullptr, 0, nullptr, 0) == LX_ERR_ARGUMENT);
  CHECK(api->sent_outgoing(nullptr, 0, 0) == LX_ERR_ARGUMENT);
  CHECK(api->notify_accept(nullptr, 80) == LX_ERR_ARGUMENT);
  CHECK(api->notify_close(nullptr, 0) == LX_ERR_ARGUMENT);
  CHECK(api->invoke_event_update(nullptr) == LX_ERR_ARGUMENT);
  CHECK(api->list_channels(nullptr, chids, 4) == 0);
  CHECK(api->get_channel_info(nullptr, 0, &info) == LX_ERR_ARGUMENT);
  CHECK(api->get_target(nullptr, 0, &target, &size) == LX_ERR_ARGUMENT);
  CHECK(api->peek_outgoing(nullptr, 0, &bytes, &size) == LX_ERR_ARGUMENT);
  CHECK(api->get_rescan_flag(nullptr) == 0);
  CHECK(api->get_stop_flag(nullptr) == 0);
  CHECK(api->memhash(nullptr) == 0);
  CHECK(api->outhash(nullptr) == 0);
  CHECK(api->heap_bytes_in_use(nullptr) == 0);
  CHECK(api->event_count(nullptr) == 0);
  CHECK(std::string(api->last_error(nullptr)).size() > 0);
  CHECK(api->pop_log_line(nullptr, line, sizeof(line)) == -1);
  double wake = 0;
  CHECK(api->next_wake(nullptr, &wake) == 0);
  CHECK(api->peek_outgoing_at(nullptr, 0, 0, &bytes, &size) == LX_ERR_ARGUMENT);
  CHECK(api->app_memory_bytes(nullptr) == 0);
}

TEST_CASE("events count even when they fail, and bad arguments are refused", "[abi]") {
  lx::test::ScriptedDriver driver;
  const lx_engine_wrapper& api = driver.api();
  CHECK(driver.set_clock(1.0 / 0.0) == LX_ERR_ARGUMENT);
  CHECK(driver.events() == 1);
  CHECK(api.recv_incoming(driver.engine(), 0, nullptr, 5) == LX_ERR_ARGUMENT);
  CHECK(api.set_lua_source(driver.engine(), nullptr, 0) == LX_ERR_ARGUMENT);
  CHECK(driver.accept(0) == LX_ERR_ARGUMENT);
  CHECK(driver.accept(70000) == LX_ERR_ARGUMENT);
  CHECK(driver.events() == 5);
  CHECK(api.get_channel_info(driver.engine(), 0, nullptr) == LX_ERR_ARGUMENT);
  CHECK(api.peek_outgoing(driver.engine(), 0, nullptr, nullptr) == LX_ERR_ARGUMENT);
  CHECK(driver.events() == 5);  // queries are not events
  CHECK(driver.set_clock(12.5) == LX_OK);
  CHECK(driver.events() == 6);
}

TEST_CASE("queries change nothing, not even the heap", "[abi][determinism]") {
  lx::test::ScriptedDriver driver;
  REQUIRE(driver.set_source({{"main.lua", "function update() lx.stdio():write('x') end"}}) ==
          LX_OK);
  REQUIRE(driver.update() == LX_OK);
  uint64_t memhash = driver.memhash();
  uint64_t heap = driver.heap_bytes();
  uint64_t events = driver.events();
  for (int i = 0; i < 100; ++i) {
    driver.channels();
    driver.info(0);
    driver.peek(0);
    const char* target;
    size_t size;
    driver.api().get_target(driver.engine(), 0, &target, &size);
    driver.api().get_rescan_flag(driver.engine());
    driver.api().last_error(driver.engine());
    double wake;
    driver.api().next_wake(driver.engine(), &wake);
    const uint8_t* bytes;
    driver.api().peek_outgoing_at(driver.engine(), 0, 0, &bytes, &size);
    driver.api().app_memory_bytes(driver.engine());
  }
  CHECK(driver.memhash() == memhash);
  CHECK(driver.heap_bytes() == heap);
  CHECK(driver.events() == events);
}

TEST_CASE("log lines are popped in order, cut to the buffer, and bounded", "[abi][log]") {
  lx::test::ScriptedDriver driver;
  REQUIRE(driver.set_source({{"main.lua", R"lua(
    function update()
      lx.log("a", 1, nil, true, {1} ~= nil)
      print("via print", 2.5)
      for i = 1, 1500 do lx.log("line " .. i) end
    end)lua"}}) == LX_OK);
  REQUIRE(driver.update() == LX_OK);
  char small[5];
  CHECK(driver.api().pop_log_line(driver.engine(), nullptr, 0) == 17);  // peek at the length
  CHECK(driver.api().pop_log_line(driver.engine(), small, sizeof(small)) == 17);
  CHECK(std::string(small) == "a\t1\t");
  std::vector<std::string> lines = driver.logs();
  REQUIRE(lines.size() == 1000);  // 999 kept lines (1000 with the first) and one marker
  CHECK(lines[0] == "via print\t2.5");
  CHECK(lines[1] == "line 1");
  CHECK(lines[998] == "line 998");
  CHECK_THAT(lines[999], Catch::StartsWith("502 log lines dropped"));
  CHECK(driver.logs().empty());
}
