// Channels through the C ABI: the accept queue, list order, closes by the
// remote and by the app, lingering output, finished channels, stdio's
// special place, and the ids, targets and spans the driver sees.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine_test_util.h"

using lx::test::eval;
using lx::test::kReplMain;
using lx::test::ScriptedDriver;
using lx::test::start_app;
using Chids = std::vector<int32_t>;

TEST_CASE("accepted channels are listed at once and queued in order", "[channels]") {
  auto d = start_app(kReplMain);
  CHECK(d->channels() == Chids{0});
  CHECK(d->accept(8080) == 1);
  CHECK(d->accept(8081) == 2);
  CHECK(d->channels() == Chids{0, 1, 2});
  CHECK(d->info(1).port == 8080);
  CHECK(d->info(2).outgoing == 0);
  CHECK(eval(*d, "a = lx.accept(); return a:id(), a:port()") == "true 1");
  CHECK(eval(*d, "b = lx.accept(); return b:port()") == "true 8081");
  CHECK(eval(*d, "lx.accept()") == "true nil");
  CHECK(eval(*d, "lx.stdio() == lx.stdio() and lx.stdio():id()") == "true 0");
  CHECK(eval(*d, "a:target()") == "true nil");
  CHECK(eval(*d, "tostring(a)") == "true lx.channel 1");
  CHECK(d->accept(9000) == 3);  // chids are never reused and count up
  CHECK(d->channels() == Chids{0, 1, 2, 3});
}

TEST_CASE("a channel the remote closed keeps its input and stays writable (half-close)",
          "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(d->recv(c, "data\r\nmore") == LX_OK);
  REQUIRE(eval(*d, "c = lx.accept(); return c:available()") == "true 10");
  REQUIRE(d->close(c) == LX_OK);
  // EOF closes only the remote's direction: the channel stays listed, so an
  // answer the app writes later still reaches a client that half-closed.
  CHECK(d->channels() == Chids{0, c});
  CHECK(d->info(c).closed == 1);
  CHECK(eval(*d, "c:closed()") == "true true");
  CHECK(eval(*d, "c:readline()") == "true data");
  CHECK(eval(*d, "c:readline()") == "true nil");
  CHECK(eval(*d, "c:read()") == "true more");
  CHECK(eval(*d, "c:read()") == "true ");
  CHECK(eval(*d, "c:write('late answer')") == "true true");
  CHECK(d->drain(c) == "late answer");
  CHECK(d->channels() == Chids{0, c});  // still the app's until it closes it
  CHECK(d->recv(c, "x") == LX_ERR_NO_CHANNEL);
  // The app lets go: it leaves the list at the end of that event.
  CHECK(eval(*d, "c:close()") == "true nil");
  CHECK(d->channels() == Chids{0});
  CHECK(d->close(c) == LX_ERR_NO_CHANNEL);
  CHECK(d->sent(c, 0) == LX_ERR_NO_CHANNEL);
}

TEST_CASE("a second notify_close makes a closed channel finished: later writes are dropped",
          "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); return c:id()") == "true 1");
  REQUIRE(d->close(c) == LX_OK);
  REQUIRE(d->close(c) == LX_OK);  // the driver found it cannot write there
  CHECK(d->channels() == Chids{0});
  lx_channel_info info;
  CHECK(d->api().get_channel_info(d->engine(), c, &info) == LX_ERR_NO_CHANNEL);
  CHECK(eval(*d, "c:closed()") == "true true");
  CHECK(eval(*d, "c:write('late')") == "true false");  // dropped: nobody will send it
  CHECK(d->channels() == Chids{0});
  CHECK(d->recv(c, "x") == LX_ERR_NO_CHANNEL);
  CHECK(d->close(c) == LX_ERR_NO_CHANNEL);
}

TEST_CASE("ch:shutdown() ends the app's direction and keeps the remote's", "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); return c:write('last words')") == "true true");
  REQUIRE(eval(*d, "c:shutdown()") == "true nil");
  lx_channel_info info = d->info(c);
  CHECK(info.shut_down == 1);
  CHECK(info.closed == 0);
  CHECK(info.deleted == 0);
  CHECK(info.outgoing_bytes == 10);  // what was queued before still goes out
  CHECK(eval(*d, "c:write('more')") == "true false");
  CHECK(eval(*d, "c:shutdown()") == "true nil");  // twice is harmless
  CHECK(d->drain(c) == "last words");
  // The remote still sends; the app still reads.
  CHECK(d->recv(c, "reply") == LX_OK);
  CHECK(eval(*d, "c:read()") == "true reply");
  CHECK(d->channels() == Chids{0, c});
  // Both directions done (remote EOF after the shutdown): out of the list.
  REQUIRE(d->close(c) == LX_OK);
  CHECK(d->channels() == Chids{0});
  CHECK(eval(*d, "c:closed()") == "true true");
  CHECK(eval(*d, "c:close()") == "true nil");
}

TEST_CASE("a closed channel shut down with output queued leaves the list once it is sent",
          "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); return c:id()") == "true 1");
  REQUIRE(d->close(c) == LX_OK);
  REQUIRE(eval(*d, "c:write('answer'); c:shutdown()") == "true nil");
  CHECK(d->channels() == Chids{0, c});
  CHECK(d->info(c).shut_down == 1);
  CHECK(d->drain(c) == "answer");
  CHECK(d->channels() == Chids{0});
}

TEST_CASE("ch:queued() counts what the driver has not taken yet", "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); return c:queued()") == "true 0");
  REQUIRE(eval(*d, "c:write('12345'); c:write('678'); return c:queued()") == "true 8");
  REQUIRE(d->sent(c, 3) == LX_OK);
  CHECK(eval(*d, "c:queued()") == "true 5");
  CHECK(d->drain(c) == "45678");
  CHECK(eval(*d, "c:queued()") == "true 0");
}

TEST_CASE("shutting down stdio or a closed channel object is an error", "[channels]") {
  auto d = start_app(kReplMain);
  CHECK_THAT(eval(*d, "lx.stdio():shutdown()"),
             Catch::Contains("lx.stdio() (channel 0) cannot be shut down"));
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); c:close()") == "true nil");
  CHECK_THAT(eval(*d, "c:shutdown()"),
             Catch::Contains("channel " + std::to_string(c) + " is closed"));
}

TEST_CASE("a closed channel with output stays listed while it is sent", "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); return c:write('reply')") == "true true");
  // The REPL's answer went out on stdio, the reply is still queued.
  REQUIRE(d->close(c) == LX_OK);
  CHECK(d->channels() == Chids{0, c});
  CHECK(d->info(c).closed == 1);
  CHECK(d->info(c).outgoing_bytes == 5);
  CHECK(eval(*d, "c:write(' more')") == "true true");  // still listed: still queued
  CHECK(d->recv(c, "x") == LX_ERR_NO_CHANNEL);         // closed: no more input
  CHECK(d->sent(c, 99) == LX_ERR_ARGUMENT);            // more than queued
  CHECK(d->sent(c, 3) == LX_OK);
  CHECK(d->channels() == Chids{0, c});
  CHECK(d->peek(c) == "ly more");
  CHECK(d->sent(c, 7) == LX_OK);
  CHECK(d->channels() == Chids{0, c});  // drained, and still the app's to write on
  CHECK(eval(*d, "c:write('x')") == "true true");
}

TEST_CASE("notify_close on a closed channel discards its output", "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "c = lx.accept(); return c:write('undeliverable')") == "true true");
  REQUIRE(d->close(c) == LX_OK);
  CHECK(d->info(c).outgoing_bytes == 13);
  REQUIRE(d->close(c) == LX_OK);  // the driver gave up on it
  CHECK(d->channels() == Chids{0});
  CHECK(eval(*d, "c:closed()") == "true true");
}

TEST_CASE("a channel the app closes lingers only while it holds output", "[channels]") {
  auto d = start_app(kReplMain);
  int32_t with_output = d->accept(80);
  int32_t without = d->accept(80);
  REQUIRE(eval(*d, "a = lx.accept(); b = lx.accept(); a:write('bye'); a:close(); b:close()") ==
          "true nil");
  CHECK(d->channels() == Chids{0, with_output});  // b is gone at the end of that event
  CHECK_FALSE(d->listed(without));
  lx_channel_info info = d->info(with_output);
  CHECK(info.deleted == 1);
  CHECK(info.closed == 0);
  CHECK(info.outgoing_bytes == 3);
  std::string error = eval(*d, "a:write('more')");
  CHECK_THAT(error, Catch::StartsWith("false repl:1: channel 1 is closed"));
  CHECK_THAT(eval(*d, "b:read()"), Catch::Contains("channel 2 is closed"));
  CHECK(eval(*d, "a:id()") == "true 1");       // the id stays readable
  CHECK(eval(*d, "a:close()") == "true nil");  // closing twice is harmless
  CHECK(d->recv(with_output, "late") == LX_ERR_NO_CHANNEL);
  CHECK(d->peek(with_output) == "bye");
  CHECK(d->sent(with_output, 3) == LX_OK);
  CHECK(d->channels() == Chids{0});
  CHECK(d->sent(with_output, 0) == LX_ERR_NO_CHANNEL);
}

TEST_CASE("a channel the app drops is deleted by the garbage collector", "[channels]") {
  auto d = start_app(kReplMain);
  int32_t c = d->accept(80);
  REQUIRE(eval(*d, "lx.accept():write('fire and forget')") == "true true");
  CHECK(d->info(c).deleted == 0);
  REQUIRE(eval(*d, "collectgarbage()") == "true 0");
  CHECK(d->info(c).deleted == 1);
  CHECK(d->peek(c) == "fire and forget");
  d->drain();
  CHECK(d->channels() == Chids{0});
}

TEST_CASE("stdio cannot be deleted and outlives its own close", "[channels]") {
  auto d = start_app(R"lua(
    local io_ch = lx.stdio()
    ok, message = pcall(function() io_ch:close() end)
    function update()
      io_ch:write("closed=" .. tostring(io_ch:closed()) .. " queued=" .. tostring(io_ch:write("")) .. "\n")
    end)lua");
  CHECK(d->update() == LX_OK);
  CHECK(d->drain().size() == 1);
  REQUIRE(d->close(LX_STDIO_CHID) == LX_OK);  // stdin reached its end
  CHECK(d->channels() == Chids{0});
  CHECK(d->update() == LX_OK);
  d->drain();
  CHECK(d->output(0) == "closed=false queued=true\nclosed=true queued=true\n");
  CHECK(d->recv(LX_STDIO_CHID, "x") == LX_ERR_NO_CHANNEL);
  REQUIRE(d->close(LX_STDIO_CHID) == LX_OK);  // stdout failed: output is dropped from now on
  CHECK(d->update() == LX_OK);
  CHECK(d->info(0).outgoing_bytes == 0);
  CHECK(d->channels() == Chids{0});
}

TEST_CASE("closing stdio from Lua is an error with a clear message", "[channels]") {
  auto d = start_app(kReplMain);
  CHECK_THAT(eval(*d, "lx.stdio():close()"),
             Catch::Contains("lx.stdio() (channel 0) cannot be closed"));
  CHECK(d->channels() == Chids{0});
}

TEST_CASE("lx.connect makes an outgoing channel with its target", "[channels]") {
  auto d = start_app(kReplMain);
  REQUIRE(eval(*d, "o = lx.connect('example.com:443'); return o:id()") == "true 1");
  CHECK(d->channels() == Chids{0, 1});
  CHECK(d->info(1).outgoing == 1);
  CHECK(d->info(1).port == 0);
  const char* target = nullptr;
  size_t target_bytes = 0;
  REQUIRE(d->api().get_target(d->engine(), 1, &target, &target_bytes) == LX_OK);
  CHECK(std::string(target, target_bytes) == "example.com:443");
  REQUIRE(d->api().get_target(d->engine(), 0, &target, &target_bytes) == LX_OK);
  CHECK(target_bytes == 0);
  CHECK(eval(*d, "o:target()") == "true example.com:443");
  CHECK(eval(*d, "p = lx.connect('[::1]:8080'); return p:id()") == "true 2");
  for (const char* bad : {"nohost", ":80", "host:", "host:0", "host:65536", "host:8a", "a b:1"}) {
    CAPTURE(bad);
    CHECK_THAT(eval(*d, std::string("lx.connect('") + bad + "')"),
               Catch::StartsWith("false repl:1: lx.connect: bad target"));
  }
  CHECK(d->channels() == Chids{0, 1, 2});
}

TEST_CASE("a peeked outgoing span stays valid while the app appends", "[channels]") {
  auto d = start_app(R"lua(
    local n = 0
    function update()
      n = n + 1
      lx.stdio():write(string.rep(string.char(64 + n % 26), 1000))
    end)lua");
  REQUIRE(d->update() == LX_OK);
  const uint8_t* first = nullptr;
  size_t first_bytes = 0;
  REQUIRE(d->api().peek_outgoing(d->engine(), 0, &first, &first_bytes) == LX_OK);
  REQUIRE(first_bytes == 1000);
  std::string before(reinterpret_cast<const char*>(first), first_bytes);
  for (int i = 0; i < 200; ++i) REQUIRE(d->update() == LX_OK);
  CHECK(std::string(reinterpret_cast<const char*>(first), first_bytes) == before);
  const uint8_t* again = nullptr;
  size_t again_bytes = 0;
  REQUIRE(d->api().peek_outgoing(d->engine(), 0, &again, &again_bytes) == LX_OK);
  CHECK(again == first);
  CHECK(again_bytes >= first_bytes);
  CHECK(d->info(0).outgoing_bytes == 201000);
}
