// Test support for the replay tools: records a scripted session of a small
// stateful app through a real engine and a wal::Recorder, the way lxrun
// would (events, accept results, checkpoints), so lxreplay and lxdiff have
// real logs to read without sockets.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lx/host/engine.h"
#include "lx/host/source_blob.h"
#include "lx/status.h"
#include "lx/wal/log_writer.h"

namespace lx::tools::test {

// A small server app that keeps per-client state in a table keyed by
// channels (so its pairs order depends on heap addresses), answers every
// line with a counter, the line upper-cased and a random number, and logs
// one line per client. args[1], when present, prefixes every answer.
std::vector<host::SourceFile> counter_app(const std::string& greeting = "hello");

struct SessionSpec {
  std::string log_path;
  std::string engine_path;  // empty: the engine built beside the tests
  std::vector<host::SourceFile> files = counter_app();
  std::vector<std::string> args;
  uint64_t seed = 42;
  uint64_t checkpoint_every = 10;
  int clients = 3;            // connections accepted on port 7000
  int lines_per_client = 20;  // lines each client sends, one event each
  // When set, the text of client c's line l (without "\r\n"); else
  // "line l from client c".
  std::function<std::string(int client, int line)> make_line;
  // When set, the text client poke_client sends as its line poke_line.
  std::string poke_line;
  int poke_client = 1;
  int poke_line_number = 7;
  wal::WriterOptions writer;
  // A snapshot in the log after the first update every this many events (0:
  // none), as lxrun --snapshot-every takes them (its stream in two pieces,
  // the second after the next event).
  uint64_t snapshot_every = 0;
};

struct SessionResult {
  uint64_t events = 0;                    // events recorded
  uint64_t updates = 0;                   // invoke_event_update events among them
  std::map<int32_t, std::string> output;  // every byte the app wrote, per chid
};

// The files of a test app under tests/tools/apps (LX_TEST_APPS), e.g. "shop".
std::vector<host::SourceFile> test_app(const std::string& name);

// Records the session to spec.log_path (replacing it). The engine's heap
// region is the default one, released before returning.
Result<SessionResult> record_session(const SessionSpec& spec);

// The event number of the n-th invoke_event_update in a log (0 if none).
uint64_t event_of_update(const std::string& log_path, uint64_t n);

// The event number of the first recv_incoming whose payload holds text.
uint64_t event_with_payload(const std::string& log_path, const std::string& text);

// Reads a whole file (empty when missing).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

// A fresh path under the test temporary directory.
std::string temp_path(const std::string& name);

// What a tool's run_* function printed, and its exit code.
struct Captured {
  int code = -1;
  std::string out;
  std::string err;
};
// Calls run(out, err) with in-memory streams and returns what it printed.
Captured capture(const std::function<int(std::FILE*, std::FILE*)>& run);

// Runs a command line through /bin/sh; the exit code, or 128+signal.
Captured run_command(const std::string& command);

}  // namespace lx::tools::test
