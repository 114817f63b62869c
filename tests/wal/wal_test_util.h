// Helpers shared by the wal and lxdump tests: a temporary directory, a fake
// engine that answers events and figures, a sample log writer that returns
// what it recorded, and a reader that collects every record with its bytes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "lx/event_sink.h"
#include "lx/wal/log_reader.h"
#include "lx/wal/log_writer.h"
#include "lx/wal/recorder.h"

namespace lx::wal::test {

// How many of the cases of an exhaustive or randomised test to step over:
// LX_TEST_STRIDE=S (the sanitizer passes of the CI set it, where each case
// runs 5 to 10 times slower) runs cases 0, S, 2S, ...; 1 (every case) when
// unset.
uint64_t case_stride();

// A fresh directory under $TMPDIR (or /tmp), removed with its files at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

// Stands in for the engine: counts events, hands out chids 1, 2, ..., and
// mixes every argument into memhash/outhash so checkpoints differ.
class FakeEngine : public EventSink, public FiguresSource {
 public:
  int set_clock(double seconds) override;
  int set_lua_source(std::span<const uint8_t> blob) override;
  int recv_incoming(int32_t chid, std::span<const uint8_t> bytes) override;
  int sent_outgoing(int32_t chid, uint64_t byte_count) override;
  int32_t notify_accept(int32_t port) override;
  int notify_close(int32_t chid) override;
  int invoke_event_update() override;
  EngineFigures figures() const override { return figures_; }

 private:
  void mix(uint64_t v);
  EngineFigures figures_;
  int32_t next_chid_ = 1;
};

// A record with its own copy of the bytes.
struct OwnedRecord {
  Record record;
  std::vector<uint8_t> bytes;
};

// A realistic mix of events (accepts, requests of up to 200 bytes, sends,
// closes, clock ticks, updates), the same for the same seed; the first is
// set_lua_source.
class SampleEvents {
 public:
  explicit SampleEvents(uint32_t seed) : rng_(seed) {}
  // Feeds the next event to the recorder.
  void feed(Recorder& recorder);

 private:
  std::mt19937 rng_;
  uint64_t fed_ = 0;
  double clock_ = 1795000000.25;
  std::vector<uint8_t> data_;
};

// Feeds `event_count` events (SampleEvents from `seed`) through a Recorder
// over a FakeEngine into `writer`, then finish(). Does not close.
void record_sample_events(LogWriter& writer, uint64_t event_count, uint32_t seed,
                          uint64_t checkpoint_every = 10);

// Writes a complete log at `path` (checkpoint every 10 events). Asserts success.
void write_sample_log(const std::string& path, uint64_t event_count, uint32_t seed = 1,
                      WriterOptions options = {});

struct ReadResult {
  bool opened = false;
  std::string open_error;
  std::vector<OwnedRecord> records;
  std::vector<Damage> damage;
  bool failed = false;  // next() returned an error
  std::string error;    // its message
  HealthState health = HealthState::kDamaged;
};
ReadResult read_log(const std::string& path, ReaderOptions options = {});
// Seeks reader to each event and checks that next() then gives that event.
void check_seeks(LogReader& reader, std::initializer_list<uint64_t> events);
ReadResult read_source(std::unique_ptr<ByteSource> source, ReaderOptions options = {});

std::vector<uint8_t> read_file(const std::string& path);
void write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// Runs a shell command; @return its exit status (WEXITSTATUS, or 128+signal).
int run_command(const std::string& command);

}  // namespace lx::wal::test
