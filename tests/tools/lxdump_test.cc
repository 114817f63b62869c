// lxdump: exact text lines, JSON Lines that a JSON parser accepts, RANGE
// forms, filters, --stats health, exit codes, follow mode, and 80 damaged
// copies of a log that must never crash or hang the binary.
#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <sstream>
#include <thread>

#include "run_lxdump.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;
using lx::tools::LxdumpOptions;
using lx::tools::run_lxdump;

namespace {

constexpr double kClock = 1795442701.25;  // 2026-11-23T14:05:01.250Z

// A small log with one of each event.
void write_known_log(const std::string& path, WriterOptions options = {}) {
  LogHeader header;
  header.seed = 7;
  header.checkpoint_every = 4;
  auto writer = LogWriter::open(path, header, options);
  REQUIRE(writer.ok());
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value(), RecorderOptions{4});
  const std::string source = "LXSRC";
  recorder.set_lua_source({reinterpret_cast<const uint8_t*>(source.data()), source.size()});
  recorder.set_clock(kClock);
  recorder.notify_accept(8080);
  const std::string hello = "hello \"you\"\n\x01";
  recorder.recv_incoming(1, {reinterpret_cast<const uint8_t*>(hello.data()), hello.size()});
  recorder.sent_outgoing(1, 5);
  recorder.invoke_event_update();
  recorder.notify_close(1);
  recorder.recv_incoming(0, {reinterpret_cast<const uint8_t*>("x"), 1});
  recorder.finish();
  REQUIRE(writer.value()->close().ok());
}

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) s.append(buffer, n);
  std::fclose(f);
  return s;
}

Output dump(const LxdumpOptions& options) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  REQUIRE(out != nullptr);
  REQUIRE(err != nullptr);
  Output o;
  o.code = run_lxdump(options, out, err);
  o.out = slurp(out);
  o.err = slurp(err);
  return o;
}

std::vector<std::string> lines_of(const std::string& text, bool skip_comments = true) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!(skip_comments && !line.empty() && line[0] == '#' && line.rfind("# end", 0) != 0 &&
          (line.size() < 2 || line[1] == ' ')))
      lines.push_back(line);
  return lines;
}

// Event numbers of the "#N type" lines.
std::vector<uint64_t> events_of(const std::string& text) {
  std::vector<uint64_t> events;
  for (const std::string& line : lines_of(text))
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ')
      events.push_back(std::stoull(line.substr(1)));
  return events;
}

std::string lxdump_command(const std::string& args) {
  return std::string("timeout 20 '") + LXDUMP_PATH + "' " + args;
}

}  // namespace

TEST_CASE("lxdump prints a header block and one line per event", "[lxdump]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_known_log(path);
  LxdumpOptions options;
  options.path = path;
  const Output o = dump(options);
  CHECK(o.code == 0);
  CHECK(o.err.empty());
  CHECK_THAT(o.out, Catch::StartsWith("# lx log " + path + " (format 3.0)\n"));
  CHECK_THAT(o.out, Catch::Contains("# seed 7,"));
  CHECK_THAT(o.out, Catch::Contains("\n# limits: none recorded\n"));
  const std::vector<std::string> expected = {
      "#1 set_lua_source 5B \"LXSRC\"",
      "#2 set_clock t=2026-11-23T14:05:01.250Z",
      "#3 notify_accept port=8080 ch=1",
      "#4 recv_incoming ch=1 13B \"hello \\\"you\\\"\\n\\x01\"",
      "#5 sent_outgoing ch=1 5B",
      "#6 invoke_event_update",
      "#7 notify_close ch=1",
      "#8 recv_incoming ch=0 1B \"x\"",
      "# end: closed after #8",
  };
  CHECK(lines_of(o.out) == expected);

  SECTION("--checkpoints adds the checkpoint lines") {
    options.checkpoints = true;
    const Output c = dump(options);
    CHECK_THAT(c.out, Catch::Contains("\n#4 checkpoint events=4 memhash=0x"));
    CHECK_THAT(c.out, Catch::Contains("\n#8 checkpoint events=8 "));
  }
  SECTION("--max-bytes cuts previews and marks the cut") {
    options.max_bytes = 3;
    CHECK_THAT(dump(options).out, Catch::Contains("#4 recv_incoming ch=1 13B \"hel\"...\n"));
  }
}

TEST_CASE("lxdump --json prints JSON Lines a parser accepts", "[lxdump][json]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_known_log(path);
  const std::string json_path = dir.path("out.jsonl");
  REQUIRE(run_command(
              lxdump_command("--json --checkpoints '" + path + "' > '" + json_path + "'")) == 0);
  // Every line parses; the bytes survive the Latin-1 mapping; keys are stable.
  const std::string check =
      "python3 -c \"\n"
      "import json, sys\n"
      "rows = [json.loads(l) for l in open(sys.argv[1])]\n"
      "assert rows[0]['kind'] == 'header' and rows[0]['seed'] == '7', rows[0]\n"
      "ev = [r for r in rows if r['kind'] == 'event']\n"
      "assert [r['event'] for r in ev] == list(range(1, 9)), ev\n"
      "assert ev[1]['time'] == '2026-11-23T14:05:01.250Z' and ev[1]['clock_seconds'] == "
      "1795442701.25\n"
      "assert ev[2]['port'] == 8080 and ev[2]['chid'] == 1\n"
      "assert ev[3]['data'].encode('latin-1') == b'hello \\\"you\\\"\\\\n\\\\x01', ev[3]\n"
      "assert bytes.fromhex(ev[3]['data_hex']) == ev[3]['data'].encode('latin-1')\n"
      "assert [r['event'] for r in rows if r['kind'] == 'checkpoint'] == [4, 8]\n"
      "assert rows[-2] == {'kind': 'end', 'event': 8, 'record_type': 'end', 'reason': 'closed', "
      "'detail': 0}, rows[-2]\n"
      "assert rows[-1]['kind'] == 'summary' and rows[-1]['result'] == 'ok', rows[-1]\n"
      "\" '" +
      json_path + "'";
  CHECK(run_command(check) == 0);
}

TEST_CASE("lxdump takes every RANGE form", "[lxdump][range]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_sample_log(path, 120, 3);
  LxdumpOptions options;
  options.path = path;
  auto events_for = [&](const std::string& range) {
    options.range = range;
    const Output o = dump(options);
    CHECK(o.code == 0);
    return events_of(o.out);
  };
  auto seq = [](uint64_t a, uint64_t b) {
    std::vector<uint64_t> v;
    for (uint64_t i = a; i <= b; ++i) v.push_back(i);
    return v;
  };
  CHECK(events_for("7") == seq(7, 7));
  CHECK(events_for("10-15") == seq(10, 15));
  CHECK(events_for("115-") == seq(115, 120));
  CHECK(events_for("1-3") == seq(1, 3));
  CHECK(events_for("end") == seq(120, 120));
  CHECK(events_for("") == seq(1, 120));
  options.range = "9-3";
  CHECK(dump(options).code == 2);
  options.range = "x";
  CHECK(dump(options).code == 2);
  // "-M" on the command line (it looks like a flag).
  const std::string out_path = dir.path("out.txt");
  REQUIRE(run_command(lxdump_command("'" + path + "' -4 > '" + out_path + "'")) == 0);
  const std::vector<uint8_t> out = read_file(out_path);
  CHECK(events_of({out.begin(), out.end()}) == seq(1, 4));
  // "end" without an index (standard input).
  REQUIRE(run_command(lxdump_command("- end < '" + path + "' > '" + out_path + "'")) == 0);
  const std::vector<uint8_t> tail = read_file(out_path);
  CHECK(events_of({tail.begin(), tail.end()}) == seq(120, 120));
}

TEST_CASE("lxdump filters by channel and by type", "[lxdump][filter]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_known_log(path);
  LxdumpOptions options;
  options.path = path;
  options.channel = 1;
  CHECK(events_of(dump(options).out) == std::vector<uint64_t>{3, 4, 5, 7});
  options.channel.reset();
  options.type = "recv_incoming";
  CHECK(events_of(dump(options).out) == std::vector<uint64_t>{4, 8});
  options.type = "checkpoint";
  CHECK(events_of(dump(options).out) == std::vector<uint64_t>{4, 8});
  options.type = "nonsense";
  const Output bad = dump(options);
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::StartsWith("lxdump: error: unknown type 'nonsense'"));
}

TEST_CASE("lxdump --stats reports counts and the file's health", "[lxdump][stats]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_known_log(path);
  LxdumpOptions options;
  options.path = path;
  options.stats = true;
  const Output o = dump(options);
  CHECK(o.code == 0);
  CHECK_THAT(o.out, Catch::Contains("events: 8\n"));
  CHECK_THAT(o.out, Catch::Contains("  recv_incoming        2\n"));
  CHECK_THAT(o.out, Catch::Contains("  ch=1      events 4        recv 13B sent 5B\n"));
  CHECK_THAT(o.out, Catch::Contains("checkpoints: 2\n"));
  CHECK_THAT(o.out, Catch::Contains("compression ratio"));
  CHECK_THAT(o.out, Catch::Contains("health: clean"));

  SECTION("a torn tail") {
    std::vector<uint8_t> bytes = read_file(path);
    bytes.resize(bytes.size() - 60);
    write_file(dir.path("torn.lxw"), bytes);
    options.path = dir.path("torn.lxw");
    const Output t = dump(options);
    CHECK(t.code == 0);
    CHECK_THAT(t.out, Catch::Contains("health: torn_tail"));
    CHECK_THAT(t.err, Catch::StartsWith("lxdump: warning: "));
  }
  SECTION("truncated by max_log_bytes") {
    WriterOptions limited;
    limited.max_log_bytes = 4096;
    auto writer = LogWriter::open(dir.path("cut.lxw"), LogHeader{}, limited);
    REQUIRE(writer.ok());
    record_sample_events(*writer.value(), 5000, 2);
    const lx::Status closed = writer.value()->close();
    INFO(closed.message());
    REQUIRE(closed.ok());
    options.path = dir.path("cut.lxw");
    options.json = true;
    const Output t = dump(options);
    CHECK(t.code == 0);
    CHECK_THAT(t.out, Catch::Contains("\"health\":\"truncated\""));
    CHECK_THAT(t.out, Catch::Contains("\"end_reason\":\"truncated\""));
  }
  SECTION("damage in the middle") {
    std::vector<uint8_t> bytes = read_file(path);
    const size_t header_bytes = 8 + get_u32(bytes.data() + 4);
    bytes[header_bytes + 20] ^= 0x55;
    write_file(dir.path("bad.lxw"), bytes);
    options.path = dir.path("bad.lxw");
    CHECK_THAT(dump(options).out, Catch::Contains("health: damaged"));
    options.strict = true;
    const Output strict = dump(options);
    CHECK(strict.code == 3);
    CHECK_THAT(strict.err, Catch::StartsWith("lxdump: error: "));
  }
}

TEST_CASE("lxdump exit codes: 3 for unreadable logs, 2 for usage", "[lxdump][exit]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  write_known_log(path);
  write_file(dir.path("garbage.lxw"), {'n', 'o', 'p', 'e', '\n', 1, 2, 3, 4, 5, 6, 7, 8});
  const std::string quiet = " > /dev/null 2>&1";
  CHECK(run_command(lxdump_command("'" + dir.path("missing.lxw") + "'" + quiet)) == 3);
  CHECK(run_command(lxdump_command("'" + dir.path("garbage.lxw") + "'" + quiet)) == 3);
  CHECK(run_command(lxdump_command("--no-such-flag '" + path + "'" + quiet)) == 2);
  CHECK(run_command(lxdump_command("'" + path + "' --max-bytes abc" + quiet)) == 2);
  CHECK(run_command(lxdump_command(quiet)) == 2);
  CHECK(run_command(lxdump_command("--strict --salvage '" + path + "'" + quiet)) == 2);
  CHECK(run_command(lxdump_command("'" + path + "'" + quiet)) == 0);
  CHECK(run_command(lxdump_command("- < '" + path + "'" + quiet)) == 0);
  // One line on stderr, in the house format.
  const std::string err_path = dir.path("err.txt");
  run_command(lxdump_command("'" + dir.path("garbage.lxw") + "' 2> '" + err_path + "'"));
  const std::vector<uint8_t> err = read_file(err_path);
  const std::string err_text(err.begin(), err.end());
  CHECK_THAT(err_text, Catch::StartsWith("lxdump: error: "));
  CHECK(std::count(err_text.begin(), err_text.end(), '\n') == 1);
}

TEST_CASE("lxdump --follow prints events as they are written and exits at close",
          "[lxdump][follow]") {
  TempDir dir;
  const std::string path = dir.path("live.lxw");
  const std::string out_path = dir.path("out.txt");
  WriterOptions options;
  options.flush_ms = 10;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  REQUIRE(writer.ok());
  int code = -1;
  std::thread follower(
      [&] { code = run_command(lxdump_command("--follow '" + path + "' > '" + out_path + "'")); });
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value());
  for (int i = 0; i < 5; ++i) {
    recorder.set_clock(kClock + i);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Before the close, the events already show.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::vector<uint8_t> early = read_file(out_path);
  CHECK(events_of({early.begin(), early.end()}).size() == 5);
  recorder.finish();
  REQUIRE(writer.value()->close().ok());
  follower.join();
  CHECK(code == 0);
  const std::vector<uint8_t> out = read_file(out_path);
  CHECK_THAT(std::string(out.begin(), out.end()), Catch::EndsWith("# end: closed after #5\n"));
}

TEST_CASE("80 truncated or bit-flipped logs never crash or hang lxdump", "[lxdump][fuzz]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.frame_restart_bytes = 4096;
  write_sample_log(path, 400, 12, options);
  const std::vector<uint8_t> bytes = read_file(path);
  std::mt19937 rng(20261123);
  const std::string bad = dir.path("bad.lxw");
  for (int i = 0; i < 80; ++i) {
    std::vector<uint8_t> copy = bytes;
    if (i % 2 == 0) {
      copy.resize(rng() % copy.size());
    } else {
      for (uint32_t flips = 1 + rng() % 4; flips > 0; --flips)
        copy[rng() % copy.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    write_file(bad, copy);
    for (const char* flags : {"", "--stats --salvage", "--json --strict"}) {
      const int code =
          run_command(lxdump_command(std::string(flags) + " '" + bad + "' > /dev/null 2>&1"));
      INFO("copy " << i << " flags '" << flags << "'");
      CHECK((code == 0 || code == 3));  // never a signal (128+n) or the timeout (124)
    }
  }
}
