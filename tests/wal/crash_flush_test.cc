// Crash safety in child processes: a fatal signal flushes every staged event
// (through the writer thread, or by the handler itself when the writer does
// not answer), the process still dies of its signal, and a SIGKILL loses only
// what the flush interval had not yet written.
#include "lx/wal/crash_flush.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <new>
#include <thread>

#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

enum class Death { kRaiseSegv, kFaultWrite, kAbort, kKill };

// Runs in a forked child: records `first` events, waits `pause_ms`, records
// `second` more, then dies as told. Never returns.
[[noreturn]] void child_main(const std::string& path, uint32_t flush_ms, int writer_wait_ms,
                             int first, int pause_ms, int second, Death death) {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  WriterOptions options;
  options.flush_ms = flush_ms;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  if (!writer.ok()) ::_exit(10);
  if (!install_crash_flush(*writer.value(), CrashFlushOptions{writer_wait_ms}).ok()) ::_exit(11);
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value(), RecorderOptions{5});
  const uint8_t hello[] = {'h', 'i', '\n'};
  for (int i = 0; i < first; ++i) recorder.recv_incoming(1, hello);
  if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  for (int i = 0; i < second; ++i) recorder.recv_incoming(2, hello);
  recorder.invoke_event_update();  // the "fatal" event: must be in the log
  switch (death) {
    case Death::kRaiseSegv:
      ::raise(SIGSEGV);
      break;
    case Death::kFaultWrite: {
      // A real fault (not a null pointer, which UBSan would catch first):
      // a store to a page mapped without access.
      void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      volatile int* volatile nowhere = static_cast<int*>(page);
      *nowhere = 1;
      break;
    }
    case Death::kAbort:
      std::abort();
    case Death::kKill:
      ::raise(SIGKILL);
      break;
  }
  ::_exit(12);
}

int run_child(const std::string& path, uint32_t flush_ms, int writer_wait_ms, int first,
              int pause_ms, int second, Death death) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) child_main(path, flush_ms, writer_wait_ms, first, pause_ms, second, death);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  return WTERMSIG(status);
}

uint64_t last_event(const ReadResult& r) {
  uint64_t last = 0;
  for (const OwnedRecord& o : r.records)
    if (is_event(o.record.type)) {
      CHECK(o.record.event == last + 1);
      last = o.record.event;
    }
  return last;
}

}  // namespace

TEST_CASE("a fatal signal flushes every staged event through the writer thread", "[wal][crash]") {
  TempDir dir;
  const std::string path = dir.path("crash.lxw");
  const Death death = GENERATE(Death::kRaiseSegv, Death::kFaultWrite, Death::kAbort);
  const int expected_signal = death == Death::kAbort ? SIGABRT : SIGSEGV;
  // A 10 s flush interval: without the handler nothing would be in the file.
  CHECK(run_child(path, 10000, 2000, 40, 0, 0, death) == expected_signal);
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  CHECK(r.damage.empty());
  CHECK(last_event(r) == 41);
  REQUIRE(!r.records.empty());
  CHECK(r.records.back().record.type == RecordType::kEnd);
  CHECK(r.records.back().record.end_reason == EndReason::kCrashed);
  CHECK(r.records.back().record.end_detail == expected_signal);
  CHECK(r.health == HealthState::kCrashed);
  CHECK(run_command("zstd -q -t '" + path + "'") == 0);  // the writer ended its frame
}

TEST_CASE("when the writer does not answer the handler writes a raw frame itself", "[wal][crash]") {
  TempDir dir;
  const std::string path = dir.path("crash.lxw");
  SECTION("nothing written yet") {
    CHECK(run_child(path, 10000, 0, 30, 0, 0, Death::kRaiseSegv) == SIGSEGV);
    const ReadResult r = read_log(path);
    CHECK(r.damage.empty());
    CHECK(last_event(r) == 31);
    CHECK(r.health == HealthState::kCrashed);
    CHECK(r.records.back().record.end_reason == EndReason::kCrashed);
  }
  SECTION("after a torn compressed frame") {
    // Events 1..30 reach the file in a flushed, unterminated frame; 31..41
    // are only staged when the crash comes.
    CHECK(run_child(path, 10, 0, 30, 300, 10, Death::kRaiseSegv) == SIGSEGV);
    const ReadResult r = read_log(path);
    CHECK(last_event(r) == 41);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].recovered);
    CHECK(r.health == HealthState::kCrashed);
    CHECK(r.records.back().record.type == RecordType::kEnd);
    // Strict mode reads the crash flush too: what any crash leaves, repaired
    // with no event lost, is no error.
    ReaderOptions strict;
    strict.recovery = Recovery::kStrict;
    const ReadResult s = read_log(path, strict);
    CHECK_FALSE(s.failed);
    CHECK(last_event(s) == 41);
  }
}

namespace {

// What a child tells its parent through shared memory before it dies.
struct ChildReport {
  std::atomic<uint64_t> applied{0};  // events the engine finished applying
};

ChildReport* shared_report() {
  void* memory = ::mmap(nullptr, sizeof(ChildReport), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(memory != MAP_FAILED);
  return new (memory) ChildReport{};
}

// The engine as the driver sees it: an event is applied (and its output may
// be sent) once the call returns, which the report counts.
class CountingEngine : public lx::EventSink {
 public:
  CountingEngine(FakeEngine& engine, ChildReport& report) : engine_(engine), report_(report) {}
  int set_clock(double seconds) override { return done(engine_.set_clock(seconds)); }
  int set_lua_source(std::span<const uint8_t> blob) override {
    return done(engine_.set_lua_source(blob));
  }
  int recv_incoming(int32_t chid, std::span<const uint8_t> bytes) override {
    return done(engine_.recv_incoming(chid, bytes));
  }
  int sent_outgoing(int32_t chid, uint64_t byte_count) override {
    return done(engine_.sent_outgoing(chid, byte_count));
  }
  int32_t notify_accept(int32_t port) override { return done(engine_.notify_accept(port)); }
  int notify_close(int32_t chid) override { return done(engine_.notify_close(chid)); }
  int invoke_event_update() override { return done(engine_.invoke_event_update()); }

 private:
  int32_t done(int32_t result) {
    report_.applied.fetch_add(1);
    return result;
  }
  FakeEngine& engine_;
  ChildReport& report_;
};

// A real fault (a store to a page mapped without access), not raise(): the
// kernel delivers it to the faulting thread.
void fault_here() {
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  volatile int* volatile nowhere = static_cast<int*>(page);
  *nowhere = 1;
}

// Feeds events as fast as it can until the process dies: the driver thread
// of a busy server.
[[noreturn]] void feed_until_death(Recorder& recorder) {
  const uint8_t request[] = "GET / HTTP/1.1\r\n\r\n";
  for (uint64_t i = 0;; ++i) {
    recorder.recv_incoming(1 + static_cast<int32_t>(i % 8), request);
    if (i % 4 == 3) recorder.invoke_event_update();
  }
}

// The writer thread's test hook (WriterOptions::before_write_for_test), set
// up by each child before it records. Globals: a hook is a plain function.
std::atomic<uint64_t> g_fault_at_write{0};  // fault at this write (0: never)
std::atomic<bool> g_armed{false};           // count writes from now on
std::atomic<uint64_t> g_armed_writes{0};
std::atomic<uint64_t> g_fault_at_armed_write{0};  // fault at this write after arming
std::atomic<int> g_stall_ms{0};                   // sleep this long in every armed write
std::atomic<bool> g_armed_write_started{false};

void writer_hook(uint64_t write_number) {
  if (write_number == g_fault_at_write.load()) fault_here();
  if (!g_armed.load()) return;
  const uint64_t n = g_armed_writes.fetch_add(1) + 1;
  g_armed_write_started.store(true);
  if (n == g_fault_at_armed_write.load()) fault_here();
  if (const int ms = g_stall_ms.load(); ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

struct CrashedChild {
  uint64_t applied = 0;
  int signal = 0;
};

// Forks; the child runs body (which must die), the parent waits for it and
// returns what it reported.
template <typename Body>
CrashedChild run_crashing_child(ChildReport* report, Body&& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    body();
    ::_exit(20);  // it did not die
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  return {report->applied.load(), WTERMSIG(status)};
}

// The handler's test hook (WriterOptions::before_crash_frame_for_test):
// 30 ms in which a live writer thread runs on.
void handler_pause() {
  const timespec pause{0, 30000000};
  ::nanosleep(&pause, nullptr);
}

// In a child: opens the log (1 ms flushes, the writer hook) and installs the
// crash flush; exits at once if either fails.
std::unique_ptr<LogWriter> open_child_writer(const std::string& path, size_t staging_bytes,
                                             int writer_wait_ms) {
  WriterOptions options;
  options.flush_ms = 1;
  options.staging_bytes = staging_bytes;
  options.before_write_for_test = writer_hook;
  options.before_crash_frame_for_test = handler_pause;
  auto writer = LogWriter::open(path, LogHeader{}, options);
  if (!writer.ok()) ::_exit(10);
  if (!install_crash_flush(*writer.value(), CrashFlushOptions{writer_wait_ms}).ok()) ::_exit(11);
  return std::move(writer).value();
}

}  // namespace

TEST_CASE(
    "a fault on another thread stops the producer before the flush: every applied event "
    "is in the log",
    "[wal][crash]") {
  TempDir dir;
  const std::string path = dir.path("other-thread.lxw");
  // The writer flushes; the handler does; the handler does while the writer
  // is alive and in the middle of a write (it stalls there 50 ms).
  enum class Flush { kByWriter, kByHandler, kByHandlerWriterMidWrite };
  const Flush flush =
      GENERATE(Flush::kByWriter, Flush::kByHandler, Flush::kByHandlerWriterMidWrite);
  ChildReport* report = shared_report();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    auto writer = open_child_writer(path, WriterOptions{}.staging_bytes,
                                    flush == Flush::kByWriter ? 2000 : 0);
    FakeEngine fake;
    CountingEngine engine(fake, *report);
    Recorder recorder(engine, fake, *writer, RecorderOptions{100});
    // A libuv pool thread, say, that faults while the driver serves.
    std::thread other([flush] {
      if (!ensure_alternate_signal_stack().ok()) ::_exit(12);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (flush == Flush::kByHandlerWriterMidWrite) {
        g_stall_ms.store(50);
        g_armed.store(true);
        while (!g_armed_write_started.load()) std::this_thread::yield();
      }
      fault_here();
    });
    feed_until_death(recorder);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
  const uint64_t applied = report->applied.load();
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  const uint64_t logged = last_event(r);
  INFO("flush " << static_cast<int>(flush) << ": applied " << applied << ", in the log " << logged);
  CHECK(applied > 1000);  // the driver was busy when the fault came
  // Appended before applied, and nothing applied after the flush: at most the
  // one event appended when the process died is in the log unapplied.
  CHECK(logged >= applied);
  CHECK(logged <= applied + 1);
  CHECK(r.health == HealthState::kCrashed);
  for (const Damage& d : r.damage) CHECK(d.recovered);
  ::munmap(report, sizeof(ChildReport));
}

TEST_CASE("a fault inside the writer thread: the handler writes the staged records itself",
          "[wal][crash][writer-crash]") {
  TempDir dir;
  const std::string path = dir.path("writer-fault.lxw");
  // The first write (nothing of the frames in the file yet), early ones, a
  // later one, with the producer feeding all the while.
  const uint64_t fault_at = GENERATE(1, 2, 3, 8, 40);
  ChildReport* report = shared_report();
  const CrashedChild child = run_crashing_child(report, [&] {
    g_fault_at_write.store(fault_at);
    // The writer would be asked first if the fault were elsewhere: 2 s.
    auto writer = open_child_writer(path, 256u << 10, 2000);
    FakeEngine fake;
    CountingEngine engine(fake, *report);
    Recorder recorder(engine, fake, *writer, RecorderOptions{100});
    feed_until_death(recorder);
  });
  CHECK(child.signal == SIGSEGV);
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  const uint64_t logged = last_event(r);
  INFO("fault at write " << fault_at << ": applied " << child.applied << ", in the log " << logged
                         << ", damage reports " << r.damage.size());
  CHECK(child.applied > 0);
  CHECK(logged >= child.applied);
  CHECK(logged <= child.applied + 1);
  CHECK(r.health == HealthState::kCrashed);
  for (const Damage& d : r.damage) CHECK(d.recovered);
  REQUIRE(!r.records.empty());
  CHECK(r.records.back().record.type == RecordType::kEnd);
  CHECK(r.records.back().record.end_detail == SIGSEGV);
  ::munmap(report, sizeof(ChildReport));
}

TEST_CASE("an oversize record in flight at a crash is complete in the log or absent",
          "[wal][crash][writer-crash]") {
  TempDir dir;
  const std::string path = dir.path("oversize.lxw");
  // 1 MiB of noise against a 64 KiB ring: handed over whole, and compressed
  // into about eight writes.
  std::vector<uint8_t> blob(1u << 20);
  uint32_t x = 5;
  for (auto& b : blob) b = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
  enum class How { kWriterFaultsMidRecord, kOtherThreadWriterAnswers, kOtherThreadWriterTooSlow };
  const How how = GENERATE(How::kWriterFaultsMidRecord, How::kOtherThreadWriterAnswers,
                           How::kOtherThreadWriterTooSlow);
  ChildReport* report = shared_report();
  const CrashedChild child = run_crashing_child(report, [&] {
    auto writer =
        open_child_writer(path, 64u << 10, how == How::kOtherThreadWriterTooSlow ? 50 : 2000);
    FakeEngine fake;
    CountingEngine engine(fake, *report);
    Recorder recorder(engine, fake, *writer, RecorderOptions{100});
    const uint8_t hello[] = {'h', 'i', '\n'};
    for (int i = 0; i < 20; ++i) recorder.recv_incoming(1, hello);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // written
    std::thread other;
    if (how == How::kWriterFaultsMidRecord) {
      g_fault_at_armed_write.store(3);
    } else {
      // The writer stalls in each write of the record; another thread
      // faults once the first has begun.
      g_stall_ms.store(how == How::kOtherThreadWriterAnswers ? 20 : 300);
      other = std::thread([] {
        if (!ensure_alternate_signal_stack().ok()) ::_exit(12);
        while (!g_armed_write_started.load()) std::this_thread::yield();
        fault_here();
      });
    }
    g_armed.store(true);
    recorder.set_lua_source(blob);  // event 21
    ::_exit(13);                    // the producer must never get here: the process dies first
  });
  CHECK(child.signal == SIGSEGV);
  // Event 21 was never applied: its append did not return.
  CHECK(child.applied == 20);
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  const uint64_t logged = last_event(r);
  INFO("logged " << logged << ", damage reports " << r.damage.size());
  CHECK(r.health == HealthState::kCrashed);
  for (const Damage& d : r.damage) CHECK(d.recovered);
  const OwnedRecord* oversize = nullptr;
  for (const OwnedRecord& o : r.records)
    if (o.record.type == RecordType::kSetLuaSource) oversize = &o;
  if (how == How::kOtherThreadWriterAnswers) {
    // The writer finished the record, then the crash flush: complete.
    CHECK(logged == 21);
    REQUIRE(oversize != nullptr);
    CHECK(oversize->bytes == blob);
    CHECK(r.damage.empty());
  } else {
    // Torn in the file by the fault, or cut off by the handler taking the
    // file over: absent, and the read says the crash flush recovered all.
    CHECK(logged == 20);
    CHECK(oversize == nullptr);
    CHECK(r.damage.size() == 1);
  }
  ::munmap(report, sizeof(ChildReport));
}

TEST_CASE("SIGKILL after the flush interval keeps the events", "[wal][crash]") {
  TempDir dir;
  const std::string path = dir.path("killed.lxw");
  // 25 events, a pause of six flush intervals, then SIGKILL at once.
  CHECK(run_child(path, 50, 2000, 24, 300, 0, Death::kKill) == SIGKILL);
  const ReadResult r = read_log(path);
  REQUIRE(r.opened);
  // The file-backed staging ring kept what the writer had not written: every
  // event, the update right before the kill included, recovered on open.
  CHECK(last_event(r) == 25);
  CHECK(r.health == HealthState::kCrashed);
  for (const Damage& d : r.damage) CHECK((d.recovered || d.torn));
}
