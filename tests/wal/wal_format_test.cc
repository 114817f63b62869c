// The record format: CRC32C vectors, varints, record encode/parse round trips
// as properties, payload layouts, and the header, index and trailer frames.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "lx/wal/crc32c.h"
#include "lx/wal/format.h"
#include "lx/wal/log_header.h"
#include "lx/wal/log_index.h"

using namespace lx::wal;

TEST_CASE("crc32c matches the standard check values", "[wal][format]") {
  const char* check = "123456789";
  CHECK(crc32c(reinterpret_cast<const uint8_t*>(check), 9) == 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0);
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);  // RFC 3720 B.4
  std::vector<uint8_t> ones(32, 0xFF);
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  // Extending in pieces (at every misalignment) gives the same CRC.
  std::vector<uint8_t> data(100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  const uint32_t whole = crc32c(data.data(), data.size());
  for (size_t cut = 0; cut <= data.size(); ++cut)
    CHECK(crc32c_extend(crc32c(data.data(), cut), data.data() + cut, data.size() - cut) == whole);
}

TEST_CASE("varints round trip and reject bad encodings", "[wal][format]") {
  const uint32_t seed = GENERATE(take(200, random(0u, 0xFFFFFFFFu)));
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const uint64_t value = rng() >> (rng() % 64);
  uint8_t buffer[kMaxVarintBytes];
  const size_t n = put_varint(buffer, value);
  CHECK(n == varint_bytes(value));
  uint64_t back = 0;
  size_t used = 0;
  REQUIRE(get_varint(buffer, n, &back, &used) == VarintStatus::kOk);
  CHECK(back == value);
  CHECK(used == n);
  for (size_t cut = 0; cut < n; ++cut)
    CHECK(get_varint(buffer, cut, &back, &used) == VarintStatus::kNeedMore);
  const int64_t signed_value = static_cast<int64_t>(rng());
  CHECK(unzigzag(zigzag(signed_value)) == signed_value);
}

TEST_CASE("varint decoding rejects overlong and oversized encodings", "[wal][format]") {
  uint64_t v = 0;
  size_t used = 0;
  const uint8_t not_minimal[] = {0x80, 0x00};
  CHECK(get_varint(not_minimal, 2, &v, &used) == VarintStatus::kBad);
  const uint8_t eleven[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  CHECK(get_varint(eleven, sizeof eleven, &v, &used) == VarintStatus::kBad);
  const uint8_t too_big[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  CHECK(get_varint(too_big, sizeof too_big, &v, &used) == VarintStatus::kBad);
  const uint8_t max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  REQUIRE(get_varint(max, sizeof max, &v, &used) == VarintStatus::kOk);
  CHECK(v == UINT64_MAX);
}

namespace {

// Encodes a random record of every type; returns its bytes and expectations.
struct Sample {
  std::vector<uint8_t> bytes;
  Record expected;
  std::vector<uint8_t> data;
};

Sample random_record(std::mt19937_64& rng) {
  static const RecordType kTypes[] = {RecordType::kSetClock,          RecordType::kSetLuaSource,
                                      RecordType::kRecvIncoming,      RecordType::kSentOutgoing,
                                      RecordType::kNotifyAccept,      RecordType::kNotifyClose,
                                      RecordType::kInvokeEventUpdate, RecordType::kCheckpoint,
                                      RecordType::kAcceptResult,      RecordType::kEnd,
                                      RecordType::kSnapshotTaken,     RecordType::kSnapshotData};
  Sample s;
  Record& e = s.expected;
  e.type = kTypes[rng() % std::size(kTypes)];
  e.event = rng() >> (rng() % 64);
  const auto chid = static_cast<int32_t>(rng());
  PayloadPrefix prefix;
  switch (e.type) {
    case RecordType::kSetClock:
      e.clock_seconds = static_cast<double>(rng() % 4000000000ull) / 3.0;
      prefix = prefix_set_clock(e.clock_seconds);
      break;
    case RecordType::kSetLuaSource:
    case RecordType::kRecvIncoming:
      s.data.resize(rng() % 3000);
      for (auto& b : s.data) b = static_cast<uint8_t>(rng());
      if (e.type == RecordType::kRecvIncoming) {
        e.chid = chid;
        prefix = prefix_chid(e.type, chid);
      }
      break;
    case RecordType::kSentOutgoing:
      e.chid = chid;
      e.byte_count = rng();
      prefix = prefix_sent_outgoing(chid, e.byte_count);
      break;
    case RecordType::kNotifyAccept:
      e.port = chid;
      prefix = prefix_notify_accept(chid);
      break;
    case RecordType::kNotifyClose:
    case RecordType::kAcceptResult:
      e.chid = chid;
      prefix = prefix_chid(e.type, chid);
      break;
    case RecordType::kInvokeEventUpdate:
      break;
    case RecordType::kCheckpoint:
      e.figures = {rng(), rng(), rng(), rng()};
      prefix = prefix_checkpoint(e.figures);
      break;
    case RecordType::kEnd:
      e.end_reason = static_cast<EndReason>(1 + rng() % 4);
      e.end_detail = chid;
      prefix = prefix_end(e.end_reason, e.end_detail);
      break;
    case RecordType::kSnapshotTaken:
      e.snapshot = {rng(), e.event, 0};
      e.byte_count = rng();
      e.figures = {rng(), rng(), rng(), rng()};
      prefix = prefix_snapshot_taken(e.snapshot, e.byte_count, e.figures);
      break;
    case RecordType::kSnapshotData:
      e.snapshot = {rng(), e.event == 0 ? 0 : rng() % e.event,
                    static_cast<uint8_t>(rng() % 3)};  // none, last or abandoned
      s.data.resize(rng() % 3000);
      for (auto& b : s.data) b = static_cast<uint8_t>(rng());
      prefix = prefix_snapshot_data(e.snapshot);
      break;
  }
  s.bytes.resize(record_bytes(e.type, e.event, prefix.size + s.data.size()));
  const size_t n = encode_record(s.bytes.data(), e.type, e.event, prefix.span(), s.data);
  REQUIRE(n == s.bytes.size());
  return s;
}

}  // namespace

TEST_CASE("records round trip through encode, parse and decode", "[wal][format]") {
  const uint32_t seed = GENERATE(take(200, random(0u, 0xFFFFFFFFu)));
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const Sample s = random_record(rng);
  RawRecord raw;
  const char* reason = nullptr;
  REQUIRE(parse_record(s.bytes.data(), s.bytes.size(), kWrittenRecordCrc, &raw, &reason) ==
          ParseStatus::kOk);
  CHECK(raw.record_bytes == s.bytes.size());
  Record r;
  REQUIRE(decode_record(raw, &r, &reason));
  const Record& e = s.expected;
  CHECK(r.type == e.type);
  CHECK(r.event == e.event);
  CHECK(r.chid == e.chid);
  CHECK(r.port == e.port);
  CHECK(r.byte_count == e.byte_count);
  CHECK(r.clock_seconds == e.clock_seconds);
  CHECK(r.figures == e.figures);
  CHECK(r.snapshot == e.snapshot);
  if (e.type == RecordType::kEnd) {
    CHECK(r.end_reason == e.end_reason);
    CHECK(r.end_detail == e.end_detail);
  }
  CHECK(std::vector<uint8_t>(r.bytes.begin(), r.bytes.end()) == s.data);
  // Every proper prefix needs more bytes; never a false record.
  for (size_t cut = 0; cut < s.bytes.size(); ++cut)
    CHECK(parse_record(s.bytes.data(), cut, kWrittenRecordCrc, &raw, &reason) != ParseStatus::kOk);
  // Any flipped bit is caught (CRC or a header check), but in the event
  // number: format 3's CRC leaves it out, so a record may parse with another
  // event, which the reader's sequence check refuses (reader_contract_test).
  std::vector<uint8_t> flipped = s.bytes;
  const size_t at = rng() % flipped.size();
  flipped[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
  CAPTURE(at);
  const bool in_event = at >= 1 && at < 1 + varint_bytes(e.event);
  const ParseStatus status =
      parse_record(flipped.data(), flipped.size(), kWrittenRecordCrc, &raw, &reason);
  if (in_event && status == ParseStatus::kOk) {
    CHECK(raw.event != e.event);
  } else {
    CHECK(status != ParseStatus::kOk);
  }
}

TEST_CASE("format 3's record CRC leaves out the event number; formats 1 and 2's covers it",
          "[wal][format]") {
  // docs/wal-format.md's worked example: set_clock #1 of 2026-11-23T14:05:01.250Z.
  const std::vector<uint8_t> body = {0x01, 0x01, 0x08, 0x00, 0x00, 0x50,
                                     0x03, 0x12, 0xc1, 0xda, 0x41};
  CHECK(record_crc(RecordCrc::kWholeRecord, body.data(), 1, body.size()) == 0x45ee44e7u);
  CHECK(record_crc(RecordCrc::kWithoutEvent, body.data(), 1, body.size()) == 0x9b93f5b5u);
  CHECK(record_crc_for(1) == RecordCrc::kWholeRecord);
  CHECK(record_crc_for(2) == RecordCrc::kWholeRecord);
  CHECK(record_crc_for(3) == RecordCrc::kWithoutEvent);
  // The same record at event 7 and at event 300 (a longer varint): the same
  // CRC bytes, so zstd sees them repeat; under the old rule they differ.
  const uint8_t text[] = {'h', 'i'};
  const PayloadPrefix chid = prefix_chid(RecordType::kRecvIncoming, 3);
  uint8_t a[64];
  uint8_t b[64];
  const size_t na = encode_record(a, RecordType::kRecvIncoming, 7, {chid.bytes, chid.size}, text);
  const size_t nb = encode_record(b, RecordType::kRecvIncoming, 300, {chid.bytes, chid.size}, text);
  REQUIRE(nb == na + 1);
  CHECK(get_u32(a + na - 4) == get_u32(b + nb - 4));
  const size_t oa = encode_record(a, RecordType::kRecvIncoming, 7, {chid.bytes, chid.size}, text,
                                  RecordCrc::kWholeRecord);
  const size_t ob = encode_record(b, RecordType::kRecvIncoming, 300, {chid.bytes, chid.size}, text,
                                  RecordCrc::kWholeRecord);
  CHECK(get_u32(a + oa - 4) != get_u32(b + ob - 4));
  CHECK(get_u32(a + oa - 4) == crc32c(a, oa - 4));
  // Each rule refuses the other's record.
  RawRecord raw;
  const char* reason = nullptr;
  CHECK(parse_record(a, oa, RecordCrc::kWithoutEvent, &raw, &reason) == ParseStatus::kCorrupt);
  CHECK(parse_record(a, oa, RecordCrc::kWholeRecord, &raw, &reason) == ParseStatus::kOk);
}

TEST_CASE("a record length claiming 4 GiB is corrupt at once", "[wal][format][hostile]") {
  uint8_t bytes[16];
  size_t n = put_varint(bytes, 3);
  n += put_varint(bytes + n, 1);
  n += put_varint(bytes + n, 4ull << 30);
  RawRecord raw;
  const char* reason = nullptr;
  CHECK(parse_record(bytes, n, kWrittenRecordCrc, &raw, &reason) == ParseStatus::kCorrupt);
  CHECK(std::string(reason) == "record length over the 64 MiB limit");
}

TEST_CASE("payloads that do not match their type are refused", "[wal][format]") {
  const uint8_t short_clock[] = {1, 2, 3};
  RawRecord raw{static_cast<uint64_t>(RecordType::kSetClock), 1, short_clock, 3, 10};
  Record r;
  const char* reason = nullptr;
  CHECK_FALSE(decode_record(raw, &r, &reason));
  const uint8_t trailing[] = {2, 9};  // chid 1 then an extra byte
  RawRecord close{static_cast<uint64_t>(RecordType::kNotifyClose), 1, trailing, 2, 10};
  CHECK_FALSE(decode_record(close, &r, &reason));
  const uint8_t big_chid[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};  // beyond int32
  RawRecord accept{static_cast<uint64_t>(RecordType::kAcceptResult), 1, big_chid, 5, 10};
  CHECK_FALSE(decode_record(accept, &r, &reason));
}

TEST_CASE("the header frame round trips and checks its version", "[wal][format]") {
  LogHeader h;
  h.version_major = 3;  // every log is written as 3.0 (record CRCs without the event number)
  h.version_minor = 0;
  h.engine_abi_version = 1;
  h.engine_build_id = "build-1234";
  h.seed = 42;
  h.heap_base = 0x200000000000ull;
  h.heap_bytes = 16ull << 30;
  h.app_source_digest = {1, 2, 3, 4};
  h.host_name = "box";
  h.start_wall_time_ns = 1795000000123456789;
  h.checkpoint_every = 1000;
  h.flush_ms = 50;
  h.zstd_level = 3;
  h.fsync = FsyncMode::kInterval;
  h.max_log_bytes = 1 << 20;
  h.frame_restart_bytes = 4 << 20;
  h.options_text = "listen=127.0.0.1:8080\n";
  h.limits = AppLimits{200000000, 1ull << 30};
  const std::vector<uint8_t> frame = encode_header_frame(h);
  REQUIRE(get_u32(frame.data()) == kHeaderFrameMagic);
  REQUIRE(get_u32(frame.data() + 4) == frame.size() - 8);
  auto back = parse_header_payload({frame.data() + 8, frame.size() - 8});
  REQUIRE(back.ok());
  CHECK(back.value() == h);

  SECTION("1.1 appends the limits as two u64, 1.3 the segment fields, before the CRC") {
    std::vector<uint8_t> payload(frame.begin() + 8, frame.end());
    const size_t limits_at = payload.size() - 4 - 32 - 16;
    CHECK(get_u64(&payload[limits_at]) == 200000000);
    CHECK(get_u64(&payload[limits_at + 8]) == 1ull << 30);
  }
  SECTION("1.3's segment fields round trip; a 1.2 header reads as a whole recording") {
    LogHeader seg = h;
    seg.first_event = 500001;
    seg.segment = 3;
    for (size_t i = 0; i < seg.recording_id.size(); ++i)
      seg.recording_id[i] = static_cast<uint8_t>(0xa0 + i);
    // A segment that begins later is 3.0 as well (it was 2.0 while a log
    // that begins at event 1 was 1.3).
    const std::vector<uint8_t> seg_frame = encode_header_frame(seg);
    auto seg_back = parse_header_payload({seg_frame.data() + 8, seg_frame.size() - 8});
    REQUIRE(seg_back.ok());
    CHECK(seg_back.value() == seg);
    CHECK(recording_id_text(seg.recording_id) == "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    // As a 1.2 writer wrote it: the limits end the fields.
    std::vector<uint8_t> payload(seg_frame.begin() + 8, seg_frame.end() - 4 - 32);
    put_u16(&payload[8], 1);
    put_u16(&payload[10], 2);
    uint8_t crc[4];
    put_u32(crc, crc32c(payload.data(), payload.size()));
    payload.insert(payload.end(), crc, crc + 4);
    auto back12 = parse_header_payload(payload);
    REQUIRE(back12.ok());
    CHECK(back12.value().first_event == 1);
    CHECK(back12.value().segment == 0);
    CHECK(back12.value().recording_id == RecordingId{});
    CHECK(back12.value().limits == h.limits);
    // A first event of 0 is no segment's.
    std::vector<uint8_t> zero(seg_frame.begin() + 8, seg_frame.end() - 4);
    put_u64(&zero[zero.size() - 32], 0);
    put_u32(crc, crc32c(zero.data(), zero.size()));
    zero.insert(zero.end(), crc, crc + 4);
    auto bad = parse_header_payload(zero);
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.status().message(), Catch::Contains("first event 0"));
  }
  SECTION("a 1.0 header has no limits and reads back without them") {
    LogHeader old = h;
    old.limits.reset();
    const std::vector<uint8_t> old_frame = encode_header_frame(old);
    CHECK(old_frame.size() == frame.size() - 16 - 32);
    std::vector<uint8_t> payload(old_frame.begin() + 8, old_frame.end() - 4);
    put_u16(&payload[8], 1);  // as a 1.0 writer wrote it
    put_u16(&payload[10], 0);
    uint8_t crc[4];
    put_u32(crc, crc32c(payload.data(), payload.size()));
    payload.insert(payload.end(), crc, crc + 4);
    auto back_old = parse_header_payload(payload);
    REQUIRE(back_old.ok());
    CHECK_FALSE(back_old.value().limits.has_value());
    CHECK(back_old.value().options_text == h.options_text);
    CHECK(app_limits_text(back_old.value().limits) == "none recorded");
    CHECK(app_limits_text(h.limits) == "instruction_budget=200000000 memory_cap_bytes=1073741824");
  }
  SECTION("a newer major version is refused with what to do") {
    std::vector<uint8_t> payload(frame.begin() + 8, frame.end());
    put_u16(&payload[8], kFormatMajor + 1);
    auto newer = parse_header_payload(payload);
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.status().kind() == lx::ErrorKind::kCorrupt);
    CHECK_THAT(newer.status().message(), Catch::Contains("newer than this reader"));
    CHECK_THAT(newer.status().message(), Catch::Contains("read it with"));
  }
  SECTION("a newer minor version with extra fields is read") {
    std::vector<uint8_t> payload(frame.begin() + 8, frame.end() - 4);
    put_u16(&payload[10], 4);  // 1.4
    payload.push_back(0xAB);   // a field this reader does not know
    uint8_t crc[4];
    put_u32(crc, crc32c(payload.data(), payload.size()));
    payload.insert(payload.end(), crc, crc + 4);
    auto newer = parse_header_payload(payload);
    REQUIRE(newer.ok());
    CHECK(newer.value().seed == 42);
  }
  SECTION("reserved bits must be zero") {
    std::vector<uint8_t> payload(frame.begin() + 8, frame.end() - 4);
    payload[12] = 1;
    uint8_t crc[4];
    put_u32(crc, crc32c(payload.data(), payload.size()));
    payload.insert(payload.end(), crc, crc + 4);
    CHECK_FALSE(parse_header_payload(payload).ok());
  }
  SECTION("a flipped byte is caught") {
    std::vector<uint8_t> payload(frame.begin() + 8, frame.end());
    payload[30] ^= 0x10;
    CHECK_FALSE(parse_header_payload(payload).ok());
  }
}

TEST_CASE("the index and trailer round trip and refuse bad sizes", "[wal][format]") {
  LogIndex index;
  index.event_count = 77;
  index.raw_bytes = 12345;
  index.frames = {{100, 1, 5000}, {900, 40, 7345}};
  index.checkpoints = {{10, {10, 1, 2, 3}, 0}, {50, {50, 4, 5, 6}, 1}};
  const std::vector<uint8_t> frame = encode_index_frame(index);
  auto back = parse_index_payload({frame.data() + 8, frame.size() - 8});
  REQUIRE(back.ok());
  CHECK(back.value() == index);
  CHECK(index.frame_for_event(1) == 0);
  CHECK(index.frame_for_event(39) == 0);
  CHECK(index.frame_for_event(40) == 1);
  CHECK(index.frame_for_event(1000) == 1);

  std::vector<uint8_t> lying(frame.begin() + 8, frame.end());
  put_u32(&lying[8], 0xFFFFFFFFu);  // claims 4 billion frames: refused, nothing allocated
  CHECK_FALSE(parse_index_payload(lying).ok());

  uint8_t trailer[kTrailerFrameBytes];
  encode_trailer_frame(Trailer{1234, 567}, trailer);
  Trailer t;
  REQUIRE(parse_trailer_frame(trailer, &t));
  CHECK(t.index_offset == 1234);
  CHECK(t.index_frame_bytes == 567);
  trailer[20] ^= 1;
  CHECK_FALSE(parse_trailer_frame(trailer, &t));
}

TEST_CASE("type names round trip", "[wal][format]") {
  for (uint8_t t = 0; t < 64; ++t) {
    if (!is_known_type(t)) continue;
    RecordType back;
    REQUIRE(record_type_from_name(record_type_name(static_cast<RecordType>(t)), &back));
    CHECK(static_cast<uint8_t>(back) == t);
  }
  RecordType unused;
  CHECK_FALSE(record_type_from_name("nope", &unused));
}
