// The reader's contract, LevelDB-style: every damage reason the reader can
// give is produced by a crafted input here and asserted by name (a reason
// without a case fails the test); read faults from the ByteSource (EIO,
// short reads) behave; everything zstd can decode before damage comes back;
// event numbers stay consecutive across a recovery; the same bytes read the
// same every time. Also the regression inputs of ../shared/regress.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "log_builder.h"
#include "lx/wal/byte_source.h"
#include "lx/wal/crc32c.h"
#include "read_trace.h"
#include "wal_test_util.h"

using namespace lx::wal;
using namespace lx::wal::test;

namespace {

using Read = ReadResult;

Read read_bytes(std::vector<uint8_t> bytes, Recovery recovery = Recovery::kTolerant,
                ReadFaults faults = {}) {
  ReaderOptions options;
  options.recovery = recovery;
  std::unique_ptr<ByteSource> source = memory_source(std::move(bytes));
  if (faults.fail_read != 0 || faults.max_read_bytes != 0)
    source = faulty_source(std::move(source), faults);
  Read r = read_source(std::move(source), options);
  if (!r.opened) r.error = r.open_error;
  return r;
}

// A clean log: events 1..n, a checkpoint, an end record, index and trailer.
LogBuilder clean_log(uint64_t n = 5) {
  LogBuilder b;
  Record cp;
  cp.type = RecordType::kCheckpoint;
  cp.event = n;
  cp.figures.event_count = n;
  b.zstd_frame(concat({clock_records(1, n), record_bytes_of(cp), end_record(n)}));
  b.index_and_trailer(n);
  return b;
}

std::vector<uint8_t> with_frame(const std::vector<uint8_t>& records) {
  LogBuilder b;
  b.zstd_frame(records);
  return b.bytes();
}

struct Case {
  std::string_view reason;
  Recovery recovery;
  std::function<std::vector<uint8_t>()> input;
};

std::vector<Case> cases() {
  return {
      {reason::kTornFrame, Recovery::kTolerant,
       [] {
         auto b = clean_log().bytes();
         b.resize(b.size() - 60);  // inside the frame
         return b;
       }},
      {reason::kNoEndRecord, Recovery::kTolerant, [] { return with_frame(clock_records(1, 4)); }},
      {reason::kNoIndex, Recovery::kTolerant,
       [] {
         return with_frame(concat({clock_records(1, 4), end_record(4)}));
       }},
      {reason::kBadTrailer, Recovery::kTolerant,
       [] {
         auto b = clean_log().bytes();
         b[b.size() - 1] ^= 1;  // the trailer's CRC
         return b;
       }},
      {reason::kBadIndex, Recovery::kTolerant,
       [] {
         auto b = clean_log().bytes();
         b[b.size() - kTrailerFrameBytes - 5] ^= 1;  // inside the index
         return b;
       }},
      {reason::kIndexTooLarge, Recovery::kTolerant,
       [] {
         LogBuilder b;
         b.zstd_frame(concat({clock_records(1, 2), end_record(2)}));
         const uint64_t at = b.size();
         std::vector<uint8_t> big((64u << 20) + 16, 0);
         put_u32(big.data(), kIndexFrameMagic);
         put_u32(big.data() + 4, static_cast<uint32_t>(big.size() - 8));
         b.append(big);
         uint8_t trailer[kTrailerFrameBytes];
         encode_trailer_frame(Trailer{at, big.size()}, trailer);
         b.append({trailer, sizeof trailer});
         return b.bytes();
       }},
      {reason::kFrameChecksum, Recovery::kTolerant,
       [] {
         LogBuilder b;
         b.zstd_frame(concat({clock_records(1, 3), end_record(3)}));
         b.bytes().back() ^= 0x40;  // the frame's content checksum (its last 4 bytes)
         b.index_and_trailer(3);
         return b.bytes();
       }},
      {reason::kNotAFrame, Recovery::kTolerant,
       [] {
         LogBuilder b;
         b.append("garbage!garbage!");
         return b.bytes();
       }},
      {reason::kSecondHeader, Recovery::kTolerant,
       [] {
         LogBuilder b;
         const std::vector<uint8_t> again = LogBuilder().bytes();
         b.append(again);
         return b.bytes();
       }},
      {reason::kBytesAfterTrailer, Recovery::kTolerant,
       [] {
         auto b = clean_log();
         b.append("tail");
         return b.bytes();
       }},
      {reason::kBadCrashMarker, Recovery::kTolerant,
       [] {
         LogBuilder b;
         b.zstd_frame(clock_records(1, 2));
         const uint64_t at = b.crash_flush(clock_records(3, 4));
         b.bytes()[at + 20] ^= 1;  // the marker's CRC
         return b.bytes();
       }},
      {reason::kWindowTooLarge, Recovery::kTolerant,
       [] {
         LogBuilder b;
         // Frame header: magic, descriptor 0 (window descriptor follows), and
         // a window descriptor of exponent 21: 2^31 bytes.
         const uint8_t frame[] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 21 << 3, 0, 0, 0, 0};
         b.append({frame, sizeof frame});
         return b.bytes();
       }},
      {reason::kCorruptFrame, Recovery::kTolerant,
       [] {
         LogBuilder b;
         std::vector<uint8_t> records;
         std::mt19937 rng(5);
         for (int i = 1; i <= 40; ++i) {
           std::string text(200, 'a');
           for (char& c : text) c = static_cast<char>('a' + rng() % 3);
           const auto one = recv_record(static_cast<uint64_t>(i), 1, text);
           records.insert(records.end(), one.begin(), one.end());
         }
         const uint64_t at = b.zstd_frame(records);
         b.bytes()[at + 9] ^= 0xFF;  // the first block's header
         return b.bytes();
       }},
      {reason::kFrameEndsInRecord, Recovery::kTolerant,
       [] {
         auto records = clock_records(1, 3);
         records.resize(records.size() - 5);
         return with_frame(records);
       }},
      {reason::kBadVarint, Recovery::kTolerant,
       [] { return with_frame(std::vector<uint8_t>(16, 0xFF)); }},
      {reason::kBadRecordType, Recovery::kTolerant,
       [] {
         return with_frame(raw_record({0, 1, 0}));
       }},
      {reason::kRecordTooLong, Recovery::kTolerant,
       [] {
         // type 3, event 1, length 2^32 (a varint of five bytes), then nothing.
         return with_frame({3, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0, 0});
       }},
      {reason::kRecordTooLongForType, Recovery::kTolerant,
       [] { return with_frame(recv_record(1, 1, std::string((1u << 20) + 1, 'x'))); }},
      {reason::kRecordChecksum, Recovery::kTolerant,
       [] {
         auto records = clock_records(1, 3);
         records.back() ^= 1;
         return with_frame(records);
       }},
      {reason::kUnknownRecordType, Recovery::kTolerant,
       [] {
         return with_frame(raw_record({50, 1, 0}));
       }},
      {reason::kBadPayload, Recovery::kTolerant,
       [] {
         return with_frame(raw_record({1, 1, 2, 0, 0}));
       }},  // set_clock of 2 bytes
      {reason::kOutOfSequence, Recovery::kTolerant,
       [] {
         return with_frame(concat({clock_records(1, 1), clock_records(3, 3)}));
       }},
      {reason::kAfterEnd, Recovery::kTolerant,
       [] {
         return with_frame(concat({clock_records(1, 2), end_record(2), clock_records(3, 3)}));
       }},
      {reason::kEventGap, Recovery::kTolerant,
       [] {
         LogBuilder b;
         b.zstd_frame(clock_records(1, 3));
         b.append("torn bytes");  // damage, then a crash flush that skips events 4 and 5
         b.crash_flush(concat({clock_records(6, 7), end_record(7, EndReason::kCrashed)}));
         return b.bytes();
       }},
  };
}

bool has_reason(const Read& r, std::string_view why) {
  for (const Damage& d : r.damage)
    if (d.reason == why) return true;
  return r.error.find(std::string(why)) != std::string::npos;
}

}  // namespace

TEST_CASE("every damage reason is produced by an input and reported by name",
          "[wal][reader][contract]") {
  std::set<std::string_view> covered;
  for (const Case& c : cases()) {
    CAPTURE(c.reason);
    const Read r = read_bytes(c.input(), c.recovery);
    CHECK(r.opened);
    CHECK(has_reason(r, c.reason));
    covered.insert(c.reason);
    // The same bytes read the same way twice.
    const Read again = read_bytes(c.input(), c.recovery);
    CHECK(again.records.size() == r.records.size());
    CHECK(again.damage.size() == r.damage.size());
    // Strict mode makes every reason but a repaired crash flush an error.
    const Read strict = read_bytes(c.input(), Recovery::kStrict);
    CHECK(strict.failed);
  }
  for (std::string_view reason : kAllDamageReasons) {
    CAPTURE(reason);
    CHECK(covered.count(reason) == 1);
  }
}

TEST_CASE("damage that loses no record is reported once and the read goes on",
          "[wal][reader][contract]") {
  SECTION("a damaged trailer: every record, one report, health no_index") {
    auto b = clean_log(6).bytes();
    b[b.size() - 1] ^= 1;
    const Read r = read_bytes(b);
    CHECK(r.records.size() == 8);  // 6 events, checkpoint, end
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].reason == reason::kBadTrailer);
    CHECK(r.damage[0].metadata);
    CHECK(r.health == HealthState::kNoIndex);
  }
  SECTION("a missing trailer reads the same way") {
    const Read r = read_bytes(with_frame(concat({clock_records(1, 6), end_record(6)})));
    CHECK(r.records.size() == 7);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].reason == reason::kNoIndex);
    CHECK(r.health == HealthState::kNoIndex);
  }
  SECTION("a bad frame checksum after verified records") {
    LogBuilder b;
    b.zstd_frame(clock_records(1, 3));
    b.bytes().back() ^= 0x40;
    b.zstd_frame(concat({clock_records(4, 5), end_record(5)}));
    b.index_and_trailer(5);
    const Read r = read_bytes(b.bytes());
    CHECK(r.records.size() == 6);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].reason == reason::kFrameChecksum);
    CHECK(r.health == HealthState::kClean);
  }
}

TEST_CASE("a crash flush that continues the sequence recovers; one that skips events does not",
          "[wal][reader][contract][recovery]") {
  SECTION("consecutive: recovered, no event lost") {
    LogBuilder b;
    b.zstd_frame(clock_records(1, 3));
    b.append("torn");
    b.crash_flush(concat({clock_records(2, 5), end_record(5, EndReason::kCrashed)}));
    const Read r = read_bytes(b.bytes());
    REQUIRE(r.records.size() == 6);
    for (uint64_t e = 1; e <= 5; ++e) CHECK(r.records[e - 1].record.event == e);
    REQUIRE(r.damage.size() == 1);
    CHECK(r.damage[0].recovered);
    CHECK(r.health == HealthState::kCrashed);
  }
  SECTION("a gap: reported, the read stops at it (tolerant) or goes on (salvage)") {
    LogBuilder b;
    b.zstd_frame(clock_records(1, 3));
    b.append("torn");
    b.crash_flush(concat({clock_records(6, 7), end_record(7, EndReason::kCrashed)}));
    const Read r = read_bytes(b.bytes());
    CHECK(r.records.size() == 3);
    CHECK(has_reason(r, reason::kEventGap));
    CHECK(r.health == HealthState::kDamaged);
    for (const Damage& d : r.damage) CHECK_FALSE(d.recovered);
    const Read s = read_bytes(b.bytes(), Recovery::kSalvage);
    CHECK(s.records.size() == 6);
    CHECK(s.health == HealthState::kDamaged);
  }
}

TEST_CASE("the regression log crash-marker-gap.lxw reports its gap", "[wal][reader][regress]") {
  // ../shared/regress: one byte changed at offset 394 of a crashed log; the
  // reader used to jump to the crash marker and call the result clean.
  const Read damaged = read_bytes(read_file(LX_REGRESS_DIR "/crash-marker-gap.lxw"));
  CHECK(has_reason(damaged, reason::kEventGap));
  CHECK(damaged.health == HealthState::kDamaged);
  uint64_t expect = 1;
  for (const OwnedRecord& o : damaged.records)
    if (is_event(o.record.type)) CHECK(o.record.event == expect++);
  const Read original = read_bytes(read_file(LX_REGRESS_DIR "/crash-marker-gap.original.lxw"));
  CHECK(original.health == HealthState::kCrashed);
  CHECK(original.records.size() > damaged.records.size());
}

TEST_CASE("the regression log uninit-step.lxw reads the same every time",
          "[wal][reader][regress]") {
  // A fuzzed log whose dump used to depend on uninitialised memory (the
  // streaming decoder was asked for its next input size before it had one).
  const std::vector<uint8_t> bytes = read_file(LX_REGRESS_DIR "/uninit-step.lxw");
  const Read first = read_bytes(bytes);
  for (int i = 0; i < 5; ++i) {
    const Read again = read_bytes(bytes);
    REQUIRE(again.records.size() == first.records.size());
    for (size_t k = 0; k < first.records.size(); ++k)
      CHECK(again.records[k].bytes == first.records[k].bytes);
    CHECK(again.damage.size() == first.damage.size());
  }
}

TEST_CASE("read faults: EIO is an I/O error, short reads change nothing",
          "[wal][reader][contract][faults]") {
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.frame_restart_bytes = 4096;
  write_sample_log(path, 300, 9, options);
  const std::vector<uint8_t> bytes = read_file(path);
  const Read full = read_bytes(bytes);
  REQUIRE(full.damage.empty());
  SECTION("short reads of 1, 7 and 4093 bytes give the same records") {
    for (size_t max : {size_t{1}, size_t{7}, size_t{4093}}) {
      CAPTURE(max);
      ReadFaults faults;
      faults.max_read_bytes = max;
      const Read r = read_bytes(bytes, Recovery::kTolerant, faults);
      CHECK(r.damage.empty());
      CHECK(r.records.size() == full.records.size());
    }
  }
  SECTION("the k-th read failing, for every k, is an I/O error after a prefix") {
    for (uint64_t k = 1; k <= 40; ++k) {
      CAPTURE(k);
      ReadFaults faults;
      faults.fail_read = k;
      faults.max_read_bytes = 256;
      const Read r = read_bytes(bytes, Recovery::kTolerant, faults);
      if (!r.opened) {
        CHECK(r.error.find("read failed") != std::string::npos);
        continue;
      }
      CHECK(r.failed);
      CHECK(r.error.find("read failed") != std::string::npos);
      CHECK(r.records.size() <= full.records.size());
      for (size_t i = 0; i < r.records.size(); ++i)
        CHECK(r.records[i].bytes == full.records[i].bytes);
    }
  }
}

TEST_CASE("damage anywhere loses nothing that a cut at the same offset keeps",
          "[wal][reader][contract][recovery]") {
  // Everything zstd can decode before the damage comes back: the records of
  // a byte flipped at X include those of the file cut at X.
  TempDir dir;
  const std::string path = dir.path("a.lxw");
  WriterOptions options;
  options.frame_restart_bytes = 64u << 10;
  write_sample_log(path, 3000, 4, options);
  const std::vector<uint8_t> bytes = read_file(path);
  std::mt19937 rng(Catch::rngSeed());
  for (int i = 0; i < 150; ++i) {
    const size_t x = 300 + rng() % (bytes.size() - 400);
    CAPTURE(x);
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(x));
    std::vector<uint8_t> flipped = bytes;
    flipped[x] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const Read a = read_bytes(cut);
    const Read b = read_bytes(flipped);
    CHECK(b.records.size() >= a.records.size());
    for (size_t k = 0; k < a.records.size() && k < b.records.size(); ++k)
      CHECK(b.records[k].bytes == a.records[k].bytes);
  }
}

TEST_CASE("a format 3 record whose event number alone was changed is out of sequence",
          "[wal][reader][contract]") {
  // Format 3's CRC leaves the event number out: the sequence check is what
  // refuses a wrong one. Events 1..5, the third's number rewritten to 4 with
  // its CRC kept (one varint byte either way).
  std::vector<uint8_t> records = clock_records(1, 5);
  size_t at = 0;
  for (int i = 0; i < 2; ++i) {
    RawRecord raw;
    const char* why = nullptr;
    REQUIRE(parse_record(records.data() + at, records.size() - at, kWrittenRecordCrc, &raw, &why) ==
            ParseStatus::kOk);
    at += raw.record_bytes;
  }
  REQUIRE(records[at + 1] == 3);
  records[at + 1] = 4;
  const Read r = read_bytes(with_frame(records), Recovery::kTolerant);
  REQUIRE(r.opened);
  CHECK(r.records.size() == 2);
  CHECK(has_reason(r, reason::kOutOfSequence));
  CHECK_FALSE(has_reason(r, reason::kRecordChecksum));
}

TEST_CASE(
    "next_records gives next()'s records and damage reports, in the same order, for every damage "
    "reason",
    "[wal][reader][contract][next_records]") {
  // Each input holds a few records before its damage: a batch must stop
  // before the damage and leave its report to the next call.
  for (const Case& c : cases()) {
    for (Recovery recovery : {Recovery::kTolerant, Recovery::kStrict, Recovery::kSalvage}) {
      const OpenReader open = [&](const ReaderOptions& options) {
        return LogReader::open_source(memory_source(c.input()), options);
      };
      ReaderOptions options;
      options.recovery = recovery;
      const ReadTrace one = trace_read(open, options, 0);
      for (size_t capacity : {1, 2, 3, 64}) {
        CAPTURE(c.reason, static_cast<int>(recovery), capacity);
        const ReadTrace batched = trace_read(open, options, capacity);
        CHECK(batched.items == one.items);
        CHECK(batched.error == one.error);
        CHECK(batched == one);
      }
    }
  }
}
