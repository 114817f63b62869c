// I/O faults under the log writer, enumerated as SQLite does (issue 9 item
// 3): the k-th open, write, fdatasync, fallocate, ftruncate, fstat or close of
// a recording fails (EIO, ENOSPC, a short count, no progress), for every k;
// each case checks what the producer saw and what the log reads back.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "file_faults.h"
#include "lx/wal/crash_flush.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

// Every case records the same events in kBatches batches, each waiting for
// the flush point that writes it, so that a recording makes about kBatches
// writes (and fstats, and fdatasyncs with fsync always), about as many in
// every run. Frames end every 4 KiB of records; the log outgrows the space
// reserved at open, so the writer reserves more as it goes.
constexpr uint64_t kBatches = 30;
constexpr uint64_t kBatchEvents = 75;
constexpr uint32_t kSeed = 9;

// One batch: 70 sample events (SampleEvents) and 5 incompressible requests
// of 1,000 bytes; batches 10 and 20 add one of 200,000 bytes, larger than
// half the ring (handed over whole) and than the writer's output buffer
// (written in pieces, one of them in the middle of the record).
class Workload {
 public:
  void feed_batch(Recorder& recorder, uint64_t batch) {
    for (int i = 0; i < 70; ++i) sample_.feed(recorder);
    for (int i = 0; i < 5; ++i) recorder.recv_incoming(2, noise(1000));
    if (batch == 10 || batch == 20) recorder.recv_incoming(3, noise(200000));
  }
  static constexpr uint64_t kEvents = kBatches * kBatchEvents + 2;

 private:
  const std::vector<uint8_t>& noise(size_t bytes) {
    noise_.resize(bytes);
    for (uint8_t& b : noise_) b = static_cast<uint8_t>((x_ = x_ * 6364136223846793005u + 1) >> 56);
    return noise_;
  }
  SampleEvents sample_{kSeed};
  uint64_t x_ = kSeed;
  std::vector<uint8_t> noise_;
};

// Aborts the test, naming the case, when one runs far longer than it should
// (about 50 ms): a producer or writer blocked for ever. Not a measurement.
class Watchdog {
 public:
  explicit Watchdog(std::string what) : what_(std::move(what)), thread_([this] { watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::seconds(60), [this] { return done_; })) return;
    std::fprintf(stderr, "io_fault_test: %s has not ended after 60 s: something is blocked\n",
                 what_.c_str());
    std::abort();
  }

  std::string what_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

// What one recording saw and left.
struct Outcome {
  bool opened = false;
  lx::Status open_status;  // when LogWriter::open failed
  std::string staging_note;
  uint64_t events_fed = 0;  // events the Recorder forwarded
  // written_event() and state() when the recording stopped (before close).
  uint64_t acknowledged = 0;
  WriterState state = WriterState::kRecording;
  bool append_refused = false;  // an append after a failure returned false
  lx::Status close_status;
  bool log_left = false;
  bool ring_left = false;
  ReadResult log;
};

Outcome record(const std::string& path, FsyncMode fsync, const FileFaults& faults) {
  Outcome out;
  WriterOptions options;
  options.staging_bytes = 64u << 10;
  options.flush_ms = 1;
  options.frame_restart_bytes = 4096;
  options.fsync = fsync;
  options.file_ops = faults.ops();
  auto opened = LogWriter::open(path, LogHeader{}, options);
  if (!opened.ok()) {
    out.open_status = opened.status();
  } else {
    out.opened = true;
    LogWriter& writer = *opened.value();
    out.staging_note = writer.staging_note();
    FakeEngine engine;
    Recorder recorder(engine, engine, writer, RecorderOptions{25});
    Workload workload;
    for (uint64_t batch = 0; batch < kBatches; ++batch) {
      workload.feed_batch(recorder, batch);
      while (writer.accepting() && writer.written_event() < recorder.event_count())
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    out.events_fed = recorder.event_count();
    out.acknowledged = writer.written_event();
    out.state = writer.state();
    if (out.state != WriterState::kRecording) {
      out.append_refused =
          !writer.append(RecordType::kInvokeEventUpdate, out.events_fed + 1, {}, {});
    }
    recorder.finish();
    out.close_status = writer.close();
  }
  struct stat st {};
  out.log_left = ::stat(path.c_str(), &st) == 0;
  out.ring_left = ::stat((path + ".ring").c_str(), &st) == 0;
  if (out.log_left) out.log = read_log(path);
  return out;
}

// The fault-free recording every case is compared with, and the most calls
// of each kind that three fault-free runs made (they vary by a few: the
// flush timer or the ring's wake-up may split a batch).
struct Reference {
  std::vector<OwnedRecord> events;                    // its event records, in order
  std::map<uint64_t, lx::EngineFigures> checkpoints;  // figures by event
  uint64_t most_calls[kFileCallKinds] = {};
};

Reference make_reference(FsyncMode fsync) {
  Reference ref;
  for (int run = 0; run < 3; ++run) {
    TempDir dir;
    const FileFaults counting;
    Outcome o = record(dir.path("reference.lxw"), fsync, counting);
    REQUIRE(o.opened);
    REQUIRE(o.close_status.ok());
    REQUIRE(o.log.health == HealthState::kClean);
    for (int i = 0; i < kFileCallKinds; ++i)
      ref.most_calls[i] = std::max(ref.most_calls[i], counting.calls(static_cast<FileCall>(i)));
    if (run > 0) continue;
    for (OwnedRecord& r : o.log.records) {
      if (r.record.type == RecordType::kCheckpoint)
        ref.checkpoints[r.record.event] = r.record.figures;
      if (is_event(r.record.type)) ref.events.push_back(std::move(r));
    }
  }
  REQUIRE(ref.events.size() == Workload::kEvents);
  return ref;
}

// Checks that the log's records are the reference's as far as they go:
// events numbered from 1 with no gap, each the same as the reference's, and
// every checkpoint with its event's figures. @return the events read, or a
// description of the first difference in *mismatch.
uint64_t matching_events(const ReadResult& log, const Reference& ref, std::string* mismatch) {
  uint64_t events = 0;
  for (const OwnedRecord& o : log.records) {
    const Record& r = o.record;
    if (is_event(r.type)) {
      if (events == ref.events.size()) {
        *mismatch = "more events than were recorded";
        return events;
      }
      const Record& want = ref.events[events].record;
      if (r.event != events + 1 || r.type != want.type || r.chid != want.chid ||
          r.port != want.port || r.byte_count != want.byte_count ||
          r.clock_seconds != want.clock_seconds || o.bytes != ref.events[events].bytes) {
        *mismatch = "event " + std::to_string(events + 1) + " differs (read event " +
                    std::to_string(r.event) + ")";
        return events;
      }
      ++events;
    } else if (r.type == RecordType::kCheckpoint) {
      const auto it = ref.checkpoints.find(r.event);
      // The Recorder's checkpoint of its last event before an early end
      // (a full disk) is one the reference may not have; its count must hold.
      if ((it != ref.checkpoints.end() && !(it->second == r.figures)) ||
          r.figures.event_count != r.event) {
        *mismatch = "the checkpoint at event " + std::to_string(r.event) + " differs";
        return events;
      }
    }
  }
  return events;
}

enum class Seen { kNotFired, kOpenFailed, kFailed, kNoted, kUnaffected };

const char* seen_name(Seen seen) {
  static constexpr const char* kNames[] = {"not reached", "open failed", "log failed", "noted",
                                           "no effect"};
  return kNames[static_cast<int>(seen)];
}

Seen classify(const Outcome& o, const FileFaults& faults) {
  if (!faults.fired()) return Seen::kNotFired;
  if (!o.opened) return Seen::kOpenFailed;
  if (o.state == WriterState::kFailed || !o.close_status.ok()) return Seen::kFailed;
  if (!o.staging_note.empty()) return Seen::kNoted;
  return Seen::kUnaffected;
}

bool one_line(const std::string& message) { return message.find('\n') == std::string::npos; }

// Checks one case; @return what it came to.
Seen check_case(const std::string& path, const FileFaults& faults, const Outcome& o,
                const Reference& ref) {
  const FileFault& fault = faults.fault();
  const Seen seen = classify(o, faults);
  const std::string why = std::strerror(reported_errno(fault));
  INFO("fault " << file_fault_text(fault) << " on '" << faults.fired_path() << "' (mode "
                << faults.fired_mode() << "): " << seen_name(seen));
  INFO("open: " << o.open_status.message() << "; close: " << o.close_status.message()
                << "; note: " << o.staging_note);
  INFO("events fed " << o.events_fed << ", acknowledged " << o.acknowledged << ", read "
                     << o.log.records.size() << " records, health "
                     << health_state_name(o.log.health));
  std::string damage;
  for (const Damage& d : o.log.damage)
    damage += " [at " + std::to_string(d.offset) + ": " + std::string(d.reason) +
              (d.torn ? ", torn]" : "]");
  INFO("damage:" << damage);

  // Whatever happened, what is on the disk reads as a prefix of the
  // recording, and any damage is the tail's, never the middle's.
  if (seen == Seen::kOpenFailed) {
    CHECK(o.open_status.kind() == lx::ErrorKind::kIo);
    CHECK_THAT(o.open_status.message(), Catch::Contains(path) && Catch::Contains(why));
    CHECK(one_line(o.open_status.message()));
    CHECK_FALSE(o.log_left);  // no torn header or bare header is left behind
    CHECK_FALSE(o.ring_left);
    return seen;
  }
  REQUIRE(o.log_left);
  CHECK_FALSE(o.ring_left);
  REQUIRE(o.log.opened);
  CHECK_FALSE(o.log.failed);
  CHECK(o.log.health != HealthState::kDamaged);
  for (const Damage& d : o.log.damage) CHECK((d.torn || d.metadata));
  std::string mismatch;
  const uint64_t events_read = matching_events(o.log, ref, &mismatch);
  CHECK(mismatch == "");
  const bool complete = events_read == ref.events.size();
  // No write call at all came after the fault: the log was whole by then.
  const bool after_last_write = fault.call != FileCall::kWrite &&
                                faults.writes_before_fault() == faults.calls(FileCall::kWrite);

  switch (seen) {
    case Seen::kNotFired:
    case Seen::kNoted:
    case Seen::kUnaffected:
      // The recording went on as if nothing happened: a clean log of every
      // event, no error. Only some calls may fail without the log failing.
      CHECK(o.close_status.ok());
      CHECK(o.log.health == HealthState::kClean);
      CHECK(complete);
      if (seen == Seen::kNoted) {
        // The ring file could not be made: records are staged in memory.
        CHECK((fault.call == FileCall::kOpen || fault.call == FileCall::kAllocate ||
               fault.call == FileCall::kStat));
        CHECK_THAT(o.staging_note, Catch::Contains(why) && Catch::Contains("staging in memory"));
      }
      if (seen == Seen::kUnaffected) {
        const bool absorbed =
            fault.effect == FaultEffect::kShortThenOk ||  // write_fully goes on
            (fault.call == FileCall::kAllocate && !fault.persistent &&
             (fault.error_number == ENOSPC || fault.error_number == EDQUOT));  // a smaller step
        // Else only best-effort calls at close (giving reserved blocks back).
        CHECK((absorbed || (after_last_write && fault.call != FileCall::kSync &&
                            fault.call != FileCall::kClose)));
      }
      break;
    case Seen::kFailed: {
      // The producer was told (appends refused), the error names the file
      // and the cause in one line, nothing was written after the fault, and
      // every acknowledged event is in the log.
      const std::string& message = o.close_status.message();
      CHECK_FALSE(o.close_status.ok());
      CHECK(o.close_status.kind() == lx::ErrorKind::kIo);
      CHECK_THAT(message, Catch::Contains(path) && Catch::Contains(why));
      CHECK(one_line(message));
      if (o.state == WriterState::kFailed) CHECK(o.append_refused);
      CHECK(events_read >= o.acknowledged);
      if (fault.call == FileCall::kAllocate && fault.persistent) {
        // A full disk ends the log inside its reservation, with a last
        // checkpoint and an end record "log_error" (docs/recording.md).
        CHECK(o.log.health == HealthState::kLogError);
        CHECK(o.log.damage.empty());
        CHECK_THAT(message, Catch::Contains("no more space"));
        break;
      }
      CHECK(faults.writes_after_fault(path) == 0);
      if (o.log.health == HealthState::kClean) {
        // Only a fault after the log was whole (its last sync, its close)
        // leaves it clean; a failed write never does.
        CHECK(after_last_write);
        CHECK(complete);
      } else {
        CHECK((o.log.health == HealthState::kTornTail || o.log.health == HealthState::kNoIndex));
        CHECK_FALSE(o.log.damage.empty());
      }
      break;
    }
    case Seen::kOpenFailed:
      break;
  }
  return seen;
}

// Fails the k-th call of fault.call for every k a recording reaches (up to
// the most calls of that kind a fault-free run made, and on while the fault
// still fires) and checks each case. Prints one line of figures for
// docs/reliability.md. Under LX_TEST_STRIDE=S (case_stride): k = 1, 1+S,
// 1+2S, ... instead of every k.
void enumerate(FileFault fault, FsyncMode fsync) {
  const Reference ref = make_reference(fsync);
  const uint64_t stride = case_stride();
  const uint64_t most_calls = ref.most_calls[static_cast<int>(fault.call)];
  REQUIRE(most_calls > 0);
  std::map<Seen, int> tally;
  uint64_t k = 1;
  for (;; k += stride) {
    fault.nth = k;
    const FileFaults faults(fault);
    TempDir dir;
    const std::string path = dir.path("fault.lxw");
    Outcome outcome;
    {
      const Watchdog watchdog("the case " + file_fault_text(fault));
      outcome = record(path, fsync, faults);
    }
    const Seen seen = check_case(path, faults, outcome, ref);
    ++tally[seen];
    if (seen == Seen::kNotFired && k > most_calls) break;
  }
  std::string figures;
  for (const auto& [seen, count] : tally)
    figures +=
        std::string(figures.empty() ? "" : ", ") + seen_name(seen) + " " + std::to_string(count);
  fault.nth = 1;
  std::printf("io faults: %-22s k = 1..%-3llu every %llu (fault-free: up to %llu calls): %s\n",
              file_fault_text(fault).c_str(), static_cast<unsigned long long>(k),
              static_cast<unsigned long long>(stride), static_cast<unsigned long long>(most_calls),
              figures.c_str());
  std::fflush(stdout);
}

FileFault fault_of(FileCall call, FaultEffect effect, int error_number, bool persistent = false) {
  FileFault fault;
  fault.call = call;
  fault.effect = effect;
  fault.error_number = error_number;
  fault.persistent = persistent;
  return fault;
}

}  // namespace

TEST_CASE("the k-th write of a recording fails, for every k", "[wal][io-faults]") {
  const FileFault fault = GENERATE(fault_of(FileCall::kWrite, FaultEffect::kError, EIO),
                                   fault_of(FileCall::kWrite, FaultEffect::kError, ENOSPC),
                                   fault_of(FileCall::kWrite, FaultEffect::kShortThenError, ENOSPC),
                                   fault_of(FileCall::kWrite, FaultEffect::kShortThenOk, 0),
                                   fault_of(FileCall::kWrite, FaultEffect::kNoProgress, 0, true));
  enumerate(fault, FsyncMode::kNever);
}

TEST_CASE("the k-th fdatasync of a recording fails, for every k", "[wal][io-faults]") {
  enumerate(fault_of(FileCall::kSync, FaultEffect::kError, EIO), FsyncMode::kAlways);
}

TEST_CASE("the k-th open, fallocate, ftruncate, fstat or close fails, for every k",
          "[wal][io-faults]") {
  const FileFault fault = GENERATE(fault_of(FileCall::kOpen, FaultEffect::kError, EIO),
                                   fault_of(FileCall::kAllocate, FaultEffect::kError, EIO),
                                   fault_of(FileCall::kAllocate, FaultEffect::kError, ENOSPC),
                                   fault_of(FileCall::kAllocate, FaultEffect::kError, ENOSPC, true),
                                   fault_of(FileCall::kTruncate, FaultEffect::kError, EIO),
                                   fault_of(FileCall::kStat, FaultEffect::kError, EIO),
                                   fault_of(FileCall::kClose, FaultEffect::kError, EIO));
  enumerate(fault, FsyncMode::kNever);
}

namespace {

constexpr int kCrashEvents = 31;

// In a forked child: records kCrashEvents events with a 10 s flush interval
// (nothing but the header is written) and dies of SIGSEGV with the crash
// handler told not to wait for the writer, so the handler writes the crash
// frame itself, through faults. Never returns.
[[noreturn]] void crash_child(const std::string& path, const FileFaults& faults) {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  WriterOptions options;
  options.flush_ms = 10000;
  options.file_ops = faults.ops();
  auto writer = LogWriter::open(path, LogHeader{}, options);
  if (!writer.ok()) ::_exit(10);
  if (!install_crash_flush(*writer.value(), CrashFlushOptions{0}).ok()) ::_exit(11);
  FakeEngine engine;
  Recorder recorder(engine, engine, *writer.value(), RecorderOptions{10});
  const uint8_t hello[] = {'h', 'i', '\n'};
  for (int i = 1; i < kCrashEvents; ++i) recorder.recv_incoming(1, hello);
  recorder.invoke_event_update();
  ::raise(SIGSEGV);
  ::_exit(12);
}

// The events of r are 1, 2, ... with no gap; @return the last.
uint64_t consecutive_events(const ReadResult& r) {
  uint64_t last = 0;
  for (const OwnedRecord& o : r.records)
    if (is_event(o.record.type) && o.record.event == last + 1) ++last;
  return last;
}

}  // namespace

TEST_CASE("the k-th write of a crash frame fails, for every k: LOG.ring recovers it",
          "[wal][io-faults][crash]") {
  // Write 1 is the header; the handler's frame is the marker, the raw frame
  // header, a block header and the records, and the last block with the end
  // record: writes 2 to 7. A fault there leaves a torn crash frame and the
  // ring file unsettled; the next open appends the staged records again.
  FileFault fault = GENERATE(fault_of(FileCall::kWrite, FaultEffect::kError, EIO),
                             fault_of(FileCall::kWrite, FaultEffect::kShortThenError, ENOSPC),
                             fault_of(FileCall::kWrite, FaultEffect::kNoProgress, 0, true));
  std::map<std::string, int> tally;
  uint64_t last_k = 0;
  for (uint64_t k = 2;; ++k) {
    fault.nth = k;
    last_k = k;
    INFO("fault " << file_fault_text(fault));
    TempDir dir;
    const std::string path = dir.path("crash.lxw");
    const FileFaults faults(fault);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) crash_child(path, faults);
    int status = 0;
    {
      const Watchdog watchdog("the crashing child of " + file_fault_text(fault));
      REQUIRE(::waitpid(pid, &status, 0) == pid);
    }
    // The handler never hangs on a failing write, and the process still
    // dies of its signal.
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSEGV);

    ReaderOptions no_recovery;
    no_recovery.recover_staged = false;
    const ReadResult torn = read_log(path, no_recovery);
    REQUIRE(torn.opened);
    CHECK_FALSE(torn.failed);
    for (const Damage& d : torn.damage) CHECK(d.torn);
    const uint64_t torn_events = consecutive_events(torn);
    uint64_t all_events = 0;
    for (const OwnedRecord& o : torn.records) all_events += is_event(o.record.type) ? 1 : 0;
    CHECK(all_events == torn_events);
    // Read again, recovering LOG.ring first (as lxdump and lxreplay do).
    const ReadResult recovered = read_log(path);
    if (torn.health == HealthState::kCrashed) {
      // The fault came after the frame (k past its writes): all there, and
      // nothing to recover.
      CHECK(torn_events == kCrashEvents);
      CHECK(recovered.records.size() == torn.records.size());
      // Past the frame's last write: no k before it may leave it whole.
      CHECK(k >= 7);
      ++tally["whole (k past the frame)"];
      break;
    }
    // Else the frame is torn (its end record at least is missing) and the
    // next open appends the staged records again: every event, the torn
    // frame reported as recovered by the crash frame after it.
    CHECK(torn.health == HealthState::kTornTail);
    CHECK(consecutive_events(recovered) == kCrashEvents);
    CHECK(recovered.health == HealthState::kCrashed);
    for (const Damage& d : recovered.damage) CHECK(d.recovered);
    ++tally[torn_events == 0              ? "torn, no event"
            : torn_events == kCrashEvents ? "torn, every event"
                                          : "torn, some events"];
  }
  std::string figures;
  for (const auto& [what, count] : tally)
    figures += (figures.empty() ? "" : ", ") + what + " " + std::to_string(count);
  fault.nth = 2;
  std::printf("io faults: crash frame, %-22s k = 2..%llu: %s\n", file_fault_text(fault).c_str(),
              static_cast<unsigned long long>(last_k), figures.c_str());
  std::fflush(stdout);
}

TEST_CASE("the k-th read of a recorded log fails, for every k", "[wal][io-faults][reader]") {
  // The reader's side (ByteSource): the recording above, read through a
  // source whose reads come 4,093 bytes at most and whose k-th read fails.
  TempDir dir;
  const std::string path = dir.path("log.lxw");
  const FileFaults counting;
  const Outcome o = record(path, FsyncMode::kNever, counting);
  REQUIRE(o.log.health == HealthState::kClean);
  const std::vector<uint8_t> bytes = read_file(path);
  uint64_t k = 1;
  int opened_failures = 0;
  int read_failures = 0;
  for (;; ++k) {
    INFO("read " << k << " fails");
    ReadFaults faults;
    faults.fail_read = k;
    faults.max_read_bytes = 4093;
    const ReadResult r = read_source(faulty_source(memory_source(bytes), faults));
    if (!r.opened) {
      // Before the first record: open says so (kIo), with no record.
      CHECK_THAT(r.open_error, Catch::Contains("read failed"));
      ++opened_failures;
      continue;
    }
    if (!r.failed) {
      // Past the last read: the whole log, clean.
      CHECK(r.health == HealthState::kClean);
      CHECK(r.records.size() == o.log.records.size());
      break;
    }
    // An I/O error, never an end (clean or torn): a prefix, then the error.
    ++read_failures;
    CHECK_THAT(r.error, Catch::Contains("read failed"));
    REQUIRE(r.records.size() <= o.log.records.size());  // all, when only the index is left
    bool prefix = true;
    for (size_t i = 0; i < r.records.size(); ++i)
      prefix = prefix && r.records[i].bytes == o.log.records[i].bytes &&
               r.records[i].record.event == o.log.records[i].record.event;
    CHECK(prefix);
  }
  std::printf(
      "io faults: read:k:EIO of a %zu-byte log: k = 1..%llu: open failed %d, read failed %d\n",
      bytes.size(), static_cast<unsigned long long>(k), opened_failures, read_failures);
  std::fflush(stdout);
}
