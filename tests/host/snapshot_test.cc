// Snapshots through the host API: a snapshot taken in one process restores
// in another and goes on with the same figures, for random event sequences
// and many k; refusals (another build, a library loaded at the wrong
// address, a damaged or mismatched snapshot); the state hash catches what
// memhash cannot; the stream survives nothing but its own bytes; and the
// SnapshotTaker's child writes a snapshot that restores.
#include "lx/host/snapshot.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/snapshot_stream.h"
#include "lx/host/snapshot_taker.h"
#include "lx/host/source_blob.h"
#include "snapshot_apps.h"

#ifdef LX_SNAPSHOT_SESSION

using lx::host::Engine;
using lx::host::EngineLibrary;
using lx::host::HeapRegion;
using lx::host::Snapshot;
using lx::host::SnapshotEncoder;
using lx::host::SnapshotTaker;

namespace {

constexpr uint64_t kTestBytes = 256ull << 20;

std::string temp_dir() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/lx-snapshot-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    return std::string(pattern);
  }();
  return dir;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs lx_snapshot_session with args; stdout and stderr in files.
Run session(const std::string& args) {
  static int count = 0;
  std::string base = temp_dir() + "/run" + std::to_string(++count);
  std::string command =
      std::string(LX_SNAPSHOT_SESSION) + " " + args + " >" + base + ".out 2>" + base + ".err";
  int status = std::system(command.c_str());
  Run run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = read_text(base + ".out");
  run.err = read_text(base + ".err");
  return run;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

uint64_t event_of(const std::string& line) { return std::stoull(line.substr(0, line.find(' '))); }

// The lines of a transcript for events after k.
std::vector<std::string> after(const std::vector<std::string>& lines, uint64_t k) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    if (event_of(line) > k && line.find(" restored ") == std::string::npos) out.push_back(line);
  }
  return out;
}

// The field after `name` in a transcript line ("figures M O H state S").
std::string field(const std::string& line, const std::string& name, int index = 0) {
  std::istringstream in(line.substr(line.find(" " + name + " ") + name.size() + 2));
  std::string value;
  for (int i = 0; i <= index; ++i) in >> value;
  return value;
}

std::vector<uint8_t> app_blob(const std::string& name) {
  return lx::host::SourceBlob::encode(lx::test::snapshot_app(name), {}).value();
}

// An engine of the real library in its own region, with a few events run.
struct Live {
  explicit Live(const std::string& app = "store")
      : library(EngineLibrary::open(LX_REAL_ENGINE).value()),
        region(HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kTestBytes).value()) {
    engine = Engine::create(*library, region, 9).value();
    REQUIRE(engine->set_clock(1700000000.0) == LX_OK);
    REQUIRE(engine->set_lua_source(app_blob(app)) == LX_OK);
  }
  // Feeds n events: accept, lines, updates, drains. Returns their figures.
  std::vector<lx::EngineFigures> feed(int n) {
    std::vector<lx::EngineFigures> figures;
    static const char* const kLines[] = {"set a 1\n", "push l x\n", "big 5000\n", "keys\n",
                                         "incr n\n"};
    for (int i = 0; i < n; ++i) {
      std::vector<int32_t> chids = engine->channels();
      if (i % 10 == 0) {
        engine->notify_accept(7000);
      } else if (i % 3 == 0) {
        engine->invoke_event_update();
      } else if (std::span<const uint8_t> out = engine->peek_outgoing(chids.back()); !out.empty()) {
        engine->sent_outgoing(chids.back(), out.size());
      } else {
        std::string line = kLines[i % 5];
        engine->recv_incoming(chids.back(),
                              {reinterpret_cast<const uint8_t*>(line.data()), line.size()});
      }
      engine->drain_log([](std::string_view) {});
      figures.push_back(engine->figures());
    }
    return figures;
  }
  std::unique_ptr<EngineLibrary> library;
  HeapRegion region;
  std::unique_ptr<Engine> engine;
};

}  // namespace

TEST_CASE("a snapshot restored in another process goes on with every figure the same",
          "[snapshot][process]") {
  // Random event sequences (by seed) and random k; the straight run writes a
  // snapshot at each k, and each one is resumed by a process of its own.
  uint64_t seed = GENERATE(take(3, random(1, 1000000)));
  const uint64_t kEvents = 400;
  std::mt19937_64 pick(seed);
  std::vector<uint64_t> ks = {2, 3};
  for (int i = 0; i < 8; ++i) ks.push_back(3 + pick() % (kEvents - 3));
  std::string args = "--engine " + std::string(LX_REAL_ENGINE) + " --seed " + std::to_string(seed) +
                     " --events " + std::to_string(kEvents);
  std::string flags;
  for (uint64_t k : ks) {
    flags += " --snapshot-at " + std::to_string(k) + " --out " + temp_dir() + "/s" +
             std::to_string(seed) + "-" + std::to_string(k);
  }
  Run straight = session(args + flags);
  INFO(straight.err);
  REQUIRE(straight.code == 0);
  std::vector<std::string> all = lines_of(straight.out);
  REQUIRE(all.size() == kEvents);
  // The same sequence in a second process gives the same bytes: the state
  // hash is a pure function of the events.
  Run again = session(args);
  CHECK(again.out == straight.out);
  for (uint64_t k : ks) {
    CAPTURE(seed, k);
    Run resumed = session(args + " --from " + temp_dir() + "/s" + std::to_string(seed) + "-" +
                          std::to_string(k));
    INFO(resumed.err);
    REQUIRE(resumed.code == 0);
    std::vector<std::string> lines = lines_of(resumed.out);
    REQUIRE(!lines.empty());
    // The restored engine starts with the figures and state hash of event k.
    CHECK(field(lines[0], "figures") == field(all[k - 1], "figures"));
    CHECK(field(lines[0], "state") == field(all[k - 1], "state"));
    std::vector<std::string> expected = after(all, k), got = after(lines, k);
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == expected[i]);
  }
}

TEST_CASE("the SnapshotTaker's stream restores in another process", "[snapshot][process]") {
  std::string args = "--engine " + std::string(LX_REAL_ENGINE) + " --seed 77 --events 300";
  std::string file = temp_dir() + "/taker-180";
  Run straight = session(args + " --taker-at 180 --out " + file);
  INFO(straight.err);
  REQUIRE(straight.code == 0);
  Run resumed = session(args + " --from " + file);
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK(after(lines_of(resumed.out), 180) == after(lines_of(straight.out), 180));
  CHECK(field(lines_of(resumed.out)[0], "state") == field(lines_of(straight.out)[179], "state"));
}

TEST_CASE("the state hash catches an in-place value change that memhash misses",
          "[snapshot][process]") {
  std::string args = "--engine " + std::string(LX_REAL_ENGINE) + " --seed 5 --events 60";
  Run x17 = session(args + " --app x17");
  Run x18 = session(args + " --app x18");
  Run x17_again = session(args + " --app x17");
  REQUIRE(x17.code == 0);
  REQUIRE(x18.code == 0);
  CHECK(x17_again.out == x17.out);  // the same run: the same state hash, every event
  std::vector<std::string> a = lines_of(x17.out), b = lines_of(x18.out);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == 60);
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i], b[i]);
    // event count, memhash, outhash, heap bytes: all equal ...
    CHECK(field(a[i], "figures", 0) == field(b[i], "figures", 0));
    CHECK(field(a[i], "figures", 1) == field(b[i], "figures", 1));
    CHECK(field(a[i], "figures", 2) == field(b[i], "figures", 2));
    // ... but from the event that set the source on, the bytes differ.
    if (i >= 1) CHECK(field(a[i], "state") != field(b[i], "state"));
  }
}

TEST_CASE("restoring under another engine build is refused, naming the build to use",
          "[snapshot][process]") {
#ifndef LX_CHAOS_ENGINE
  WARN("the chaos engine is not built: skipped");
#else
  std::string file = temp_dir() + "/for-chaos";
  Run straight = session("--engine " + std::string(LX_REAL_ENGINE) +
                         " --seed 3 --events 20 --snapshot-at 20 --out " + file);
  REQUIRE(straight.code == 0);
  Run refused =
      session("--engine " + std::string(LX_CHAOS_ENGINE) + " --seed 3 --events 40 --from " + file);
  CHECK(refused.code == 1);
  std::string own = EngineLibrary::open(LX_REAL_ENGINE).value()->api().build_id;
  CHECK_THAT(refused.err, Catch::Contains("it was taken by engine build " + own));
  CHECK_THAT(refused.err, Catch::Contains("restore it with the engine library of build " + own));
#endif
}

TEST_CASE("an engine library loaded away from its link address is refused", "[snapshot][process]") {
  Run refused = session("--block-engine-range --engine " + std::string(LX_REAL_ENGINE) +
                        " --seed 1 --events 5");
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("cannot use engine " + std::string(LX_REAL_ENGINE) +
                                          ": it was loaded at 0x"));
  CHECK_THAT(refused.err, Catch::Contains("instead of 0x4c7800000000 where it was linked; "));
  // Without the obstacle the same command works.
  CHECK(session("--engine " + std::string(LX_REAL_ENGINE) + " --seed 1 --events 5").code == 0);
}

TEST_CASE("a library not linked at a fixed address is refused", "[snapshot]") {
  // libc is an ordinary position-independent library.
  auto placed = EngineLibrary::check_placement(reinterpret_cast<const void*>(&::write), "libc");
  REQUIRE_FALSE(placed.ok());
  CHECK_THAT(placed.status().message(),
             Catch::StartsWith("cannot use engine libc: it is not linked at a fixed address"));
  auto library = EngineLibrary::open(LX_REAL_ENGINE).value();
  CHECK(library->load_address() == lx::test::kEngineLinkAddress);
}

TEST_CASE("Engine::restore checks the region and the snapshot before adopting it", "[snapshot]") {
  Snapshot snapshot;
  std::vector<lx::EngineFigures> later;
  auto library = EngineLibrary::open(LX_REAL_ENGINE).value();
  {
    Live live;
    live.feed(40);
    snapshot = live.engine->snapshot();
    CHECK(snapshot.info.state_hash == live.engine->state_hash());
    CHECK(snapshot.info.figures == live.engine->figures());
    later = live.feed(30);
  }
  auto fresh = [] { return HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kTestBytes).value(); };
  SECTION("a good snapshot restores and goes on") {
    HeapRegion region = fresh();
    auto engine = Engine::restore(*library, region, snapshot);
    INFO((engine.ok() ? "" : engine.status().message()));
    REQUIRE(engine.ok());
    CHECK(engine.value()->state_hash() == snapshot.info.state_hash);
  }
  SECTION("a used region") {
    HeapRegion region = fresh();
    region.mark_used();
    auto engine = Engine::restore(*library, region, snapshot);
    REQUIRE_FALSE(engine.ok());
    CHECK_THAT(engine.status().message(), Catch::Contains("was used before"));
  }
  SECTION("a region of another size") {
    HeapRegion region = HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kTestBytes * 2).value();
    auto engine = Engine::restore(*library, region, snapshot);
    REQUIRE_FALSE(engine.ok());
    CHECK_THAT(engine.status().message(),
               Catch::Contains("it needs a region of 268435456 bytes at 0x200000000000"));
  }
  SECTION("bytes that do not match their state hash") {
    HeapRegion region = fresh();
    snapshot.bytes[snapshot.bytes.size() / 2] ^= 1;
    auto engine = Engine::restore(*library, region, snapshot);
    REQUIRE_FALSE(engine.ok());
    CHECK(engine.status().kind() == lx::ErrorKind::kCorrupt);
    CHECK_THAT(engine.status().message(), Catch::Contains("do not match its state hash"));
  }
  SECTION("figures that are not the bytes'") {
    HeapRegion region = fresh();
    snapshot.info.figures.memhash ^= 1;
    auto engine = Engine::restore(*library, region, snapshot);
    REQUIRE_FALSE(engine.ok());
    CHECK_THAT(engine.status().message(), Catch::Contains("are not the snapshot's"));
  }
  SECTION("another build") {
    HeapRegion region = fresh();
    snapshot.info.build_id = "lxengine-0000000000000000";
    auto engine = Engine::restore(*library, region, snapshot);
    REQUIRE_FALSE(engine.ok());
    CHECK_THAT(engine.status().message(),
               Catch::Contains("restore it with the engine library of build "
                               "lxengine-0000000000000000"));
  }
}

TEST_CASE("snapshot streams round-trip at every compression level and chunk size",
          "[snapshot][stream]") {
  Live live;
  live.feed(60);
  Snapshot snapshot = live.engine->snapshot();
  int level = GENERATE(0, 1, 3);
  uint32_t chunk = GENERATE(4096u, 65536u, 1u << 20);
  CAPTURE(level, chunk);
  auto encoder = SnapshotEncoder::create({level, chunk}).value();
  std::vector<uint8_t> stream = encoder->encode(snapshot.info, snapshot.bytes.data()).value();
  if (level > 0) CHECK(stream.size() < snapshot.bytes.size() / 2);
  auto decoded = lx::host::decode_snapshot_stream(stream);
  INFO((decoded.ok() ? "" : decoded.status().message()));
  REQUIRE(decoded.ok());
  CHECK(decoded.value().info == snapshot.info);
  CHECK(decoded.value().bytes == snapshot.bytes);
}

TEST_CASE("a damaged snapshot stream is refused, never crashes", "[snapshot][stream]") {
  static const std::vector<uint8_t> stream = [] {
    Live live;
    live.feed(30);
    Snapshot snapshot = live.engine->snapshot();
    auto encoder = SnapshotEncoder::create({1, 16384}).value();
    return encoder->encode(snapshot.info, snapshot.bytes.data()).value();
  }();
  uint64_t seed = GENERATE(take(200, random(uint64_t{0}, uint64_t{1} << 40)));
  CAPTURE(seed);
  std::mt19937_64 random(seed);
  std::vector<uint8_t> damaged = stream;
  if (seed % 2 == 0) {
    damaged.resize(random() % stream.size());  // cut short anywhere
  } else {
    damaged[random() % stream.size()] ^= static_cast<uint8_t>(1 + random() % 255);
  }
  auto decoded = lx::host::decode_snapshot_stream(damaged);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().kind() == lx::ErrorKind::kCorrupt);
  CHECK_THAT(decoded.status().message(), Catch::Contains("snapshot"));
}

TEST_CASE("a stream header that claims a huge snapshot gets no memory for it",
          "[snapshot][stream]") {
  Live live;
  Snapshot snapshot = live.engine->snapshot();
  auto encoder = SnapshotEncoder::create({0, 4096}).value();
  std::vector<uint8_t> stream = encoder->encode(snapshot.info, snapshot.bytes.data()).value();
  // Claim 32 TiB in a 64 TiB region, with a valid header checksum.
  uint64_t region = uint64_t{1} << 46, claimed = uint64_t{1} << 45;
  std::memcpy(&stream[24], &region, 8);
  std::memcpy(&stream[40], &claimed, 8);
  uint64_t checksum = lx::host::state_hash({stream.data(), 184});
  std::memcpy(&stream[184], &checksum, 8);
  auto decoded = lx::host::decode_snapshot_stream(stream);
  REQUIRE_FALSE(decoded.ok());  // and it returned: nothing asked for 32 TiB
  CHECK_THAT(decoded.status().message(), Catch::Contains("chunk"));
}

TEST_CASE("the SnapshotTaker returns at once, streams from its child and is reaped later",
          "[snapshot][taker]") {
  Live live;
  live.feed(50);
  lx::EngineFigures at_snapshot = live.engine->figures();
  uint64_t hash = live.engine->state_hash();
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  ::fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096);  // smaller than any stream: the child must wait
  auto taker = SnapshotTaker::create({}).value();
  auto info = taker->start(*live.engine, pipe_fds[1]);
  REQUIRE(info.ok());
  ::close(pipe_fds[1]);
  CHECK(info.value().figures == at_snapshot);
  CHECK(info.value().state_hash == 0);  // the child computes it
  CHECK(taker->running());
  // The child is blocked on the full pipe (the stream is larger than it).
  CHECK_FALSE(taker->poll().has_value());
  auto again = taker->start(*live.engine, pipe_fds[1]);
  REQUIRE_FALSE(again.ok());
  CHECK_THAT(again.status().message(), Catch::Contains("is still being written"));
  // The engine goes on while the child writes what it was at the fork.
  std::vector<lx::EngineFigures> later = live.feed(40);
  auto read = lx::host::read_snapshot_stream_fd(pipe_fds[0]);
  ::close(pipe_fds[0]);
  INFO((read.ok() ? "" : read.status().message()));
  REQUIRE(read.ok());
  lx::Status done = taker->wait();
  CHECK(done.ok());
  CHECK_FALSE(taker->running());
  CHECK(read.value().info.figures == at_snapshot);
  CHECK(read.value().info.state_hash == hash);
  // It restores into the state of the fork and goes on as the original did.
  live.engine.reset();
  { HeapRegion unmapped = std::move(live.region); }
  live.region = HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kTestBytes).value();
  auto restored = Engine::restore(*live.library, live.region, read.value());
  REQUIRE(restored.ok());
  live.engine = std::move(restored).value();
  CHECK(live.feed(40) == later);
}

TEST_CASE("a snapshot child whose reader went away fails with EPIPE", "[snapshot][taker]") {
  Live live;
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  ::close(pipe_fds[0]);
  auto taker = SnapshotTaker::create({}).value();
  REQUIRE(taker->start(*live.engine, pipe_fds[1]).ok());
  ::close(pipe_fds[1]);
  lx::Status done = taker->wait();
  REQUIRE_FALSE(done.ok());
  CHECK_THAT(done.message(), Catch::Contains("cannot write the snapshot: Broken pipe"));
  CHECK_FALSE(taker->poll().has_value());  // reported once
}

TEST_CASE("a snapshot child holds none of the parent's other descriptors", "[snapshot][taker]") {
  Live live;
  live.feed(20);
  int pipe_fds[2], sockets[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  ::fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096);
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets) == 0);
  auto taker = SnapshotTaker::create({}).value();
  REQUIRE(taker->start(*live.engine, pipe_fds[1]).ok());
  ::close(pipe_fds[1]);
  // The child still runs (blocked on the pipe). Closing our end of the socket
  // pair must be seen by the peer now: the child did not keep a copy open.
  REQUIRE_FALSE(taker->poll().has_value());
  ::close(sockets[0]);
  struct pollfd p = {sockets[1], POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  char byte;
  CHECK(::read(sockets[1], &byte, 1) == 0);  // end of file, not a hang
  ::close(sockets[1]);
  pid_t child = taker->child();
  taker.reset();  // kills and reaps the child still blocked on the pipe
  CHECK(::kill(child, 0) == -1);
  CHECK(errno == ESRCH);
  ::close(pipe_fds[0]);
}

TEST_CASE("advise_huge_pages keeps a region's bytes and the engine's figures", "[snapshot]") {
  auto library = EngineLibrary::open(LX_REAL_ENGINE).value();
  std::vector<uint64_t> hashes;
  for (bool huge : {false, true}) {
    HeapRegion region = HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kTestBytes).value();
    if (huge) REQUIRE(region.advise_huge_pages().ok());
    auto engine = Engine::create(*library, region, 9).value();
    REQUIRE(engine->set_lua_source(app_blob("store")) == LX_OK);
    hashes.push_back(engine->state_hash());
  }
  CHECK(hashes[0] == hashes[1]);
}

#endif  // LX_SNAPSHOT_SESSION
