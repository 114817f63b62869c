// lx_snapshot_session: plays a random but seed-determined event sequence on
// the real engine through the host API, printing one line per event (code,
// output, figures, state hash). It writes snapshot streams at chosen events, or
// starts from one in a fresh process, so the tests can check that a restored
// engine goes on exactly as the one that took the snapshot.
//
//   lx_snapshot_session --engine PATH --seed N --events N [--app NAME]
//                       [--snapshot-at K --out FILE]... [--taker-at K --out FILE]
//                       [--from FILE] [--block-engine-range]
//
// Exit codes: 0 done; 1 an error (its message on stderr, one line).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/snapshot_stream.h"
#include "lx/host/snapshot_taker.h"
#include "lx/host/source_blob.h"
#include "snapshot_apps.h"

namespace {

using lx::host::Engine;
using lx::host::EngineLibrary;
using lx::host::HeapRegion;

constexpr uint64_t kHeapBytes = uint64_t{1} << 30;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "lx_snapshot_session: error: %s\n", why.c_str());
  std::exit(1);
}

template <typename T>
T must(lx::Result<T> result) {
  if (!result.ok()) fail(result.status().message());
  return std::move(result).value();
}

// splitmix64: the step's own generator, so step i's choice depends only on
// the seed, i and the engine's state (never on what earlier steps drew).
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Feeds event number `event` (from 1) of the sequence, chosen from seed,
// event and the engine's channels, and returns a line describing it.
std::string step(Engine& engine, uint64_t seed, uint64_t event,
                 const std::vector<uint8_t>& source) {
  uint64_t r = mix(seed * 1000003u + event);
  if (event == 1) return "clock " + std::to_string(engine.set_clock(1700000000.0));
  if (event == 2) return "source " + std::to_string(engine.set_lua_source(source));
  std::vector<int32_t> chids = engine.channels();
  std::vector<int32_t> clients;
  for (int32_t chid : chids) {
    auto info = engine.info(chid);
    if (chid != 0 && info && !info->closed && !info->deleted) clients.push_back(chid);
  }
  // Output first: a channel with queued bytes is drained half the time.
  for (int32_t chid : chids) {
    std::span<const uint8_t> out = engine.peek_outgoing(chid);
    if (!out.empty() && (r & 1) == 0) {
      std::string text(reinterpret_cast<const char*>(out.data()), out.size());
      int rc = engine.sent_outgoing(chid, out.size());
      return "sent " + std::to_string(chid) + " " + std::to_string(rc) + " " +
             std::to_string(text.size()) + " " + std::to_string(std::hash<std::string>()(text));
    }
  }
  uint64_t kind = (r >> 8) % 100;
  if (kind < 10 || clients.empty()) {
    return "accept " + std::to_string(engine.notify_accept(7000 + static_cast<int>(r % 3)));
  }
  int32_t chid = clients[(r >> 16) % clients.size()];
  if (kind < 50) {
    static const char* const kLines[] = {"set a 1",  "set b two", "get a",    "incr n",
                                         "incr n",   "del a",     "push l x", "push l yy",
                                         "sum",      "keys",      "rand",     "echo hello",
                                         "big 3000", "big 70000", "drop l",   "time"};
    std::string line = kLines[(r >> 24) % 16];
    line += (r >> 40) % 4 == 0 ? "\r\n" : "\n";
    int rc =
        engine.recv_incoming(chid, {reinterpret_cast<const uint8_t*>(line.data()), line.size()});
    return "recv " + std::to_string(chid) + " " + std::to_string(rc);
  }
  if (kind < 54)
    return "close " + std::to_string(chid) + " " + std::to_string(engine.notify_close(chid));
  if (kind < 60) return "clock " + std::to_string(engine.set_clock(1700000000.0 + event * 0.25));
  return "update " + std::to_string(engine.invoke_event_update());
}

void print_figures(const Engine& engine, const std::string& what) {
  lx::EngineFigures f = engine.figures();
  std::printf("%llu %s figures %016llx %016llx %llu state %016llx\n",
              static_cast<unsigned long long>(f.event_count), what.c_str(),
              static_cast<unsigned long long>(f.memhash),
              static_cast<unsigned long long>(f.outhash),
              static_cast<unsigned long long>(f.heap_bytes_in_use),
              static_cast<unsigned long long>(engine.state_hash()));
}

int open_output(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create " + path + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string engine_path, from, app = "store";
  uint64_t seed = 1, events = 100;
  std::map<uint64_t, std::string> snapshot_at, taker_at;
  bool block = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--block-engine-range") {
      block = true;
      continue;
    }
    if (i + 1 >= argc) fail(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--engine") {
      engine_path = value;
    } else if (flag == "--seed") {
      seed = std::stoull(value);
    } else if (flag == "--events") {
      events = std::stoull(value);
    } else if (flag == "--app") {
      app = value;
    } else if (flag == "--from") {
      from = value;
    } else if (flag == "--snapshot-at" || flag == "--taker-at") {
      if (i + 2 >= argc || std::string(argv[i + 1]) != "--out") fail(flag + " K needs --out FILE");
      (flag == "--snapshot-at" ? snapshot_at : taker_at)[std::stoull(value)] = argv[i + 2];
      i += 2;
    } else {
      fail("unknown flag " + flag);
    }
  }
  if (block) {  // take the engine's link range, so the loader must put it elsewhere
    void* at = reinterpret_cast<void*>(lx::test::kEngineLinkAddress);
    if (::mmap(at, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
        at) {
      fail("cannot occupy the engine's link address");
    }
  }
  auto library = must(EngineLibrary::open(engine_path));
  std::vector<uint8_t> source = must(lx::host::SourceBlob::encode(lx::test::snapshot_app(app), {}));
  std::unique_ptr<HeapRegion> region;
  std::unique_ptr<Engine> engine;
  uint64_t first = 1;
  if (from.empty()) {
    region = std::make_unique<HeapRegion>(
        must(HeapRegion::reserve(HeapRegion::kDefaultHeapBase, kHeapBytes)));
    engine = must(Engine::create(*library, *region, seed));
  } else {
    int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open " + from + ": " + std::strerror(errno));
    lx::host::Snapshot snapshot = must(lx::host::read_snapshot_stream_fd(fd));
    ::close(fd);
    region = std::make_unique<HeapRegion>(
        must(HeapRegion::reserve(snapshot.info.base, snapshot.info.region_bytes)));
    engine = must(Engine::restore(*library, *region, snapshot));
    first = snapshot.info.figures.event_count + 1;
    print_figures(*engine, "restored");
  }
  auto encoder = must(lx::host::SnapshotEncoder::create({}));
  auto taker = must(lx::host::SnapshotTaker::create({}));
  for (uint64_t event = first; event <= events; ++event) {
    std::string what = step(*engine, seed, event, source);
    engine->drain_log([](std::string_view) {});
    print_figures(*engine, what);
    if (auto it = snapshot_at.find(event); it != snapshot_at.end()) {
      int fd = open_output(it->second);
      lx::host::Snapshot snapshot = engine->snapshot();
      if (encoder->write(fd, snapshot.info, snapshot.bytes.data(), nullptr) != 0) {
        fail("cannot write " + it->second);
      }
      ::close(fd);
    }
    if (auto it = taker_at.find(event); it != taker_at.end()) {
      if (taker->running()) {
        lx::Status taken = taker->wait();
        if (!taken.ok()) fail(taken.message());
      }
      int fd = open_output(it->second);
      must(taker->start(*engine, fd));
      ::close(fd);  // the child has its own copy
    }
  }
  lx::Status taken = taker->wait();
  if (!taken.ok()) fail(taken.message());
  return 0;
}
