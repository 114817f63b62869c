// Records scripted sessions for the lxreplay, lxdiff and chaos tests.
#include "lxreplay_session.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/snapshot_stream.h"
#include "lx/wal/log_reader.h"
#include "lx/wal/recorder.h"

namespace lx::tools::test {
namespace {

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

// Feeds events the way a driver does: after each input event an update,
// then every queued output byte reported as sent.
class ScriptedDriver {
 public:
  ScriptedDriver(EventSink& sink, host::Engine& engine, SessionResult& result)
      : sink_(sink), engine_(engine), result_(result) {}

  void event_done() { ++result_.events; }
  void update() {
    sink_.invoke_event_update();
    ++result_.events;
    ++result_.updates;
    flush();
    if (after_update) after_update();
  }
  std::function<void()> after_update;
  void flush() {
    for (int32_t chid : engine_.channels()) {
      std::span<const uint8_t> out = engine_.peek_outgoing(chid);
      while (!out.empty()) {
        result_.output[chid].append(reinterpret_cast<const char*>(out.data()), out.size());
        sink_.sent_outgoing(chid, out.size());
        ++result_.events;
        out = engine_.peek_outgoing(chid);
      }
    }
    engine_.drain_log([](std::string_view) {});
  }

  EventSink& sink_;
  host::Engine& engine_;
  SessionResult& result_;
};

}  // namespace

std::vector<host::SourceFile> counter_app(const std::string& greeting) {
  std::string main_lua = R"(
local util = require "util"
local clients = {}
local total = 0
local greeting = lx.args[1] or "GREETING"
function update()
  while true do
    local ch = lx.accept()
    if not ch then break end
    clients[ch] = { n = 0, seen = {} }
    lx.log("accepted " .. ch:id() .. " on port " .. ch:port())
  end
  for ch, st in pairs(clients) do
    local line = ch:readline()
    while line do
      st.n = st.n + 1
      total = total + 1
      st.seen[#st.seen + 1] = { line = line }
      ch:write(util.answer(greeting, st.n, total, line, lx.random(1000)))
      line = ch:readline()
    end
    if ch:closed() then
      clients[ch] = nil
      ch:close()
    end
  end
end
)";
  std::string util_lua =
      "local M = {}\n"
      "function M.answer(g, n, total, line, r)\n"
      "  return string.format('%s %d %d %s %d %s\\n', g, n, total, line:upper(), r, '" +
      greeting + "')\nend\nreturn M\n";
  for (size_t i = main_lua.find("GREETING"); i != std::string::npos;
       i = main_lua.find("GREETING")) {
    main_lua.replace(i, 8, greeting);
  }
  return {{"main.lua", bytes_of(main_lua)}, {"util.lua", bytes_of(util_lua)}};
}

std::vector<host::SourceFile> test_app(const std::string& name) {
  std::vector<host::SourceFile> files;
  std::string dir = std::string(LX_TEST_APPS) + "/" + name;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".lua") continue;
    files.push_back({entry.path().filename().string(), bytes_of(read_file(entry.path().string()))});
  }
  std::sort(files.begin(), files.end(),
            [](const host::SourceFile& a, const host::SourceFile& b) { return a.path < b.path; });
  return files;
}

Result<SessionResult> record_session(const SessionSpec& spec) {
  std::string engine_path =
      spec.engine_path.empty() ? host::EngineLibrary::default_path() : spec.engine_path;
  auto library = host::EngineLibrary::open(engine_path);
  if (!library.ok()) return library.status();
  auto region = host::HeapRegion::reserve();
  if (!region.ok()) return region.status();
  auto engine = host::Engine::create(*library.value(), region.value(), spec.seed);
  if (!engine.ok()) return engine.status();

  wal::LogHeader header;
  header.engine_abi_version = library.value()->api().abi_version;
  header.engine_build_id = std::string(engine.value()->build_id());
  header.seed = spec.seed;
  header.heap_base = host::HeapRegion::kDefaultHeapBase;
  header.heap_bytes = host::HeapRegion::kDefaultHeapBytes;
  header.checkpoint_every = spec.checkpoint_every;
  header.options_text = "test=scripted session\n";
  header.limits = wal::AppLimits{0, 0};  // what Engine::create above ran with
  wal::WriterOptions writer_options = spec.writer;
  writer_options.force = true;
  auto writer = wal::LogWriter::open(spec.log_path, header, writer_options);
  if (!writer.ok()) return writer.status();
  wal::RecorderOptions recorder_options;
  recorder_options.checkpoint_every = spec.checkpoint_every;
  SessionResult result;
  {
    wal::Recorder recorder(*engine.value(), *engine.value(), *writer.value(), recorder_options);
    ScriptedDriver driver(recorder, *engine.value(), result);
    // Snapshots as lxrun takes them: snapshot_taken after the event, the
    // stream's pieces after later events.
    std::unique_ptr<host::SnapshotEncoder> encoder;
    if (spec.snapshot_every != 0) {
      auto created = host::SnapshotEncoder::create({});
      if (!created.ok()) return created.status();
      encoder = std::move(created).value();
    }
    std::optional<wal::SnapshotFields> open;
    std::vector<uint8_t> rest;
    uint64_t last_snapshot = 0;
    auto finish_snapshot = [&] {
      if (open) (void)recorder.append_snapshot_data(*open, wal::kSnapshotLast, rest);
      open.reset();
    };
    Status snapshot_status;
    driver.after_update = [&] {
      finish_snapshot();
      if (!encoder || recorder.event_count() - last_snapshot < spec.snapshot_every) return;
      last_snapshot = recorder.event_count();
      const host::SnapshotInfo info = engine.value()->snapshot_info();
      auto stream = encoder->encode(info, engine.value()->snapshot_span().data());
      if (!stream.ok()) {
        snapshot_status = stream.status();
        return;
      }
      open = recorder.begin_snapshot(info.snapshot_bytes, info.figures);
      if (!open) return;
      const size_t half = stream.value().size() / 2;
      (void)recorder.append_snapshot_data(*open, 0, std::span(stream.value()).first(half));
      rest.assign(stream.value().begin() + static_cast<std::ptrdiff_t>(half), stream.value().end());
    };
    auto blob = host::SourceBlob::encode(spec.files, spec.args);
    if (!blob.ok()) return blob.status();
    double now = 1700000000.0;
    recorder.set_clock(now);
    driver.event_done();
    recorder.set_lua_source(blob.value());
    driver.event_done();
    driver.update();
    std::vector<int32_t> chids;
    for (int c = 0; c < spec.clients; ++c) {
      chids.push_back(recorder.notify_accept(7000));
      driver.event_done();
      driver.update();
    }
    for (int line = 0; line < spec.lines_per_client; ++line) {
      now += 0.25;
      recorder.set_clock(now);
      driver.event_done();
      for (size_t c = 0; c < chids.size(); ++c) {
        std::string text =
            spec.make_line ? spec.make_line(static_cast<int>(c), line)
                           : "line " + std::to_string(line) + " from client " + std::to_string(c);
        if (static_cast<int>(c) == spec.poke_client && line == spec.poke_line_number &&
            !spec.poke_line.empty())
          text = spec.poke_line;
        text += "\r\n";
        recorder.recv_incoming(chids[c], bytes_of(text));
        driver.event_done();
        driver.update();
      }
    }
    for (int32_t chid : chids) {
      recorder.notify_close(chid);
      driver.event_done();
      driver.update();
    }
    finish_snapshot();
    if (!snapshot_status.ok()) return snapshot_status;
    recorder.finish();
  }
  Status closed = writer.value()->close();
  if (!closed.ok()) return closed;
  return result;
}

uint64_t event_with_payload(const std::string& log_path, const std::string& text) {
  auto reader = wal::LogReader::open(log_path);
  if (!reader.ok()) return 0;
  wal::Record record;
  for (;;) {
    Result<bool> more = reader.value()->next(&record);
    if (!more.ok() || !more.value()) return 0;
    std::string_view payload(reinterpret_cast<const char*>(record.bytes.data()),
                             record.bytes.size());
    if (record.type == wal::RecordType::kRecvIncoming && payload.find(text) != payload.npos) {
      return record.event;
    }
  }
}

uint64_t event_of_update(const std::string& log_path, uint64_t n) {
  auto reader = wal::LogReader::open(log_path);
  if (!reader.ok()) return 0;
  wal::Record record;
  uint64_t seen = 0;
  for (;;) {
    Result<bool> more = reader.value()->next(&record);
    if (!more.ok() || !more.value()) return 0;
    if (record.type == wal::RecordType::kInvokeEventUpdate && ++seen == n) return record.event;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

namespace {

// One directory per test process, removed when the process exits (kept, and
// named on stderr, when LX_TEST_KEEP_TEMP is set).
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lx_tools_test_XXXXXX";
    const char* made = mkdtemp(tmpl);
    LX_ASSERT(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    if (std::getenv("LX_TEST_KEEP_TEMP") != nullptr) {
      std::fprintf(stderr, "test files kept in %s\n", path_.c_str());
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string temp_path(const std::string& name) {
  static const TempDir dir;
  return dir.path() + "/" + name;
}

Captured capture(const std::function<int(std::FILE*, std::FILE*)>& run) {
  char* out_buf = nullptr;
  size_t out_size = 0;
  char* err_buf = nullptr;
  size_t err_size = 0;
  std::FILE* out = open_memstream(&out_buf, &out_size);
  std::FILE* err = open_memstream(&err_buf, &err_size);
  LX_ASSERT(out != nullptr && err != nullptr);
  Captured c;
  c.code = run(out, err);
  std::fclose(out);
  std::fclose(err);
  c.out.assign(out_buf, out_size);
  c.err.assign(err_buf, err_size);
  std::free(out_buf);
  std::free(err_buf);
  return c;
}

Captured run_command(const std::string& command) {
  std::string err_path = temp_path("command.stderr");
  std::string full = "(" + command + ") 2>" + err_path;
  Captured c;
  std::FILE* pipe = popen(full.c_str(), "r");
  LX_ASSERT(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) c.out.append(buf, n);
  int status = pclose(pipe);
  c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.err = read_file(err_path);
  return c;
}

}  // namespace lx::tools::test
