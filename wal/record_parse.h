// The bodies of parse_record and decode_record (format.h), inline so that
// the reader's record loop (file_log_reader.cc) runs them without a call per
// record; format.cc's out-of-line versions call these, so there is one copy
// of the code.
#pragma once

#include <bit>
#include <cstring>
#include <limits>

#include "lx/wal/crc32c.h"
#include "lx/wal/damage.h"
#include "lx/wal/format.h"

namespace lx::wal {
namespace record_parse {

// get_varint with the varints of the common case (up to 3 bytes) decoded
// inline, byte by byte without a loop: the same results, without a call per
// field.
[[gnu::always_inline]] inline VarintStatus read_varint(const uint8_t* p, size_t avail,
                                                       uint64_t* value, size_t* used) {
  if (avail >= 1 && p[0] < 0x80u) {
    *value = p[0];
    *used = 1;
    return VarintStatus::kOk;
  }
  if (avail >= 2 && p[1] < 0x80u) {
    if (p[1] == 0) return VarintStatus::kBad;  // not minimal
    *value = (p[0] & 0x7Fu) | (uint64_t{p[1]} << 7);
    *used = 2;
    return VarintStatus::kOk;
  }
  if (avail >= 3 && p[2] < 0x80u) {
    if (p[2] == 0) return VarintStatus::kBad;
    *value = (p[0] & 0x7Fu) | (uint64_t{p[1] & 0x7Fu} << 7) | (uint64_t{p[2]} << 14);
    *used = 3;
    return VarintStatus::kOk;
  }
  return get_varint(p, avail, value, used);
}

// The three varints of a record header (type, event, payload length), read
// in order: @return the first that is not kOk, else kOk with *pos after them
// and *event_bytes the event's share.
[[gnu::always_inline]] inline VarintStatus read_header_varints(const uint8_t* p, size_t avail,
                                                               uint64_t fields[3], size_t* pos,
                                                               size_t* event_bytes_out) {
  size_t type_bytes = 0;
  size_t event_bytes = 0;
  size_t length_bytes = 0;
  VarintStatus s = read_varint(p, avail, &fields[0], &type_bytes);
  if (s != VarintStatus::kOk) return s;
  size_t at = type_bytes;
  s = read_varint(p + at, avail - at, &fields[1], &event_bytes);
  if (s != VarintStatus::kOk) return s;
  at += event_bytes;
  s = read_varint(p + at, avail - at, &fields[2], &length_bytes);
  if (s != VarintStatus::kOk) return s;
  *pos = at + length_bytes;
  *event_bytes_out = event_bytes;
  return VarintStatus::kOk;
}

// The type, event and lengths of a record encode_record wrote at p in this
// process (the writer thread's records in the staging ring): its three
// header varints, without parse's other checks or the CRC (the reader checks
// that in the file). False when they do not end, with the record, inside
// avail, or the type is 0 (the ring's padding).
inline bool read_own_record(const uint8_t* p, size_t avail, RawRecord* out) {
  uint64_t fields[3];
  size_t pos = 0;
  size_t event_bytes = 0;
  if (read_header_varints(p, avail, fields, &pos, &event_bytes) != VarintStatus::kOk) return false;
  const uint64_t type = fields[0];
  const uint64_t length = fields[2];
  if (type == 0 || length > avail - pos || avail - pos - length < kRecordCrcBytes) return false;
  out->type = type;
  out->event = fields[1];
  out->payload = p + pos;
  out->payload_bytes = static_cast<size_t>(length);
  out->record_bytes = pos + static_cast<size_t>(length) + kRecordCrcBytes;
  return true;
}

// The largest payload of each wire value below 128: its type's
// max_payload_bytes(), or kMaxPayloadBytes for a type this version does not
// know.
struct MaxPayloadBytesOfWire {
  uint64_t of[128];
  constexpr MaxPayloadBytesOfWire() : of() {
    for (uint64_t& max : of) max = kMaxPayloadBytes;
    for (const RecordTypeInfo& info : kRecordTypes)
      of[static_cast<uint8_t>(info.type)] = info.max_payload_bytes();
  }
};
inline constexpr MaxPayloadBytesOfWire kMaxPayloadBytesOfWire;

// A record's CRC field: get_u32 as one load (x86-64 is little-endian).
inline uint32_t load_crc(const uint8_t* p) {
  static_assert(std::endian::native == std::endian::little);
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Reads a zigzag varint that must fit in int32_t.
inline bool take_int32(const uint8_t*& p, const uint8_t* end, int32_t* value) {
  uint64_t raw = 0;
  size_t used = 0;
  if (read_varint(p, static_cast<size_t>(end - p), &raw, &used) != VarintStatus::kOk) return false;
  const int64_t v = unzigzag(raw);
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    return false;
  *value = static_cast<int32_t>(v);
  p += used;
  return true;
}

inline bool take_u64(const uint8_t*& p, const uint8_t* end, uint64_t* value) {
  size_t used = 0;
  if (read_varint(p, static_cast<size_t>(end - p), value, &used) != VarintStatus::kOk) return false;
  p += used;
  return true;
}

inline bool take_fixed64(const uint8_t*& p, const uint8_t* end, uint64_t* value) {
  if (end - p < 8) return false;
  *value = get_u64(p);
  p += 8;
  return true;
}

// parse_record (format.h).
[[gnu::always_inline]] inline ParseStatus parse(const uint8_t* p, size_t avail, RecordCrc rule,
                                                RawRecord* out, const char** reason) {
  size_t pos = 0;
  size_t event_bytes = 0;
  uint64_t fields[3];
  switch (read_header_varints(p, avail, fields, &pos, &event_bytes)) {
    case VarintStatus::kNeedMore:
      return ParseStatus::kNeedMore;
    case VarintStatus::kBad:
      *reason = reason::kBadVarint.data();
      return ParseStatus::kCorrupt;
    case VarintStatus::kOk:
      break;
  }
  if (fields[0] == 0 || fields[0] > 127) {
    *reason = reason::kBadRecordType.data();
    return ParseStatus::kCorrupt;
  }
  // One compare against the type's limit, which is never above
  // kMaxPayloadBytes (that of the types this version does not know).
  if (fields[2] > kMaxPayloadBytesOfWire.of[fields[0]]) {
    *reason = fields[2] > kMaxPayloadBytes ? reason::kRecordTooLong.data()
                                           : reason::kRecordTooLongForType.data();
    return ParseStatus::kCorrupt;
  }
  const size_t total = pos + static_cast<size_t>(fields[2]) + kRecordCrcBytes;
  if (avail < total) return ParseStatus::kNeedMore;
  const size_t crc_at = total - kRecordCrcBytes;
  // The type is one byte here (1 to 127, a minimal varint).
  if (record_crc(rule, p, event_bytes, crc_at) != load_crc(p + crc_at)) {
    *reason = reason::kRecordChecksum.data();
    return ParseStatus::kCorrupt;
  }
  out->type = fields[0];
  out->event = fields[1];
  out->payload = p + pos;
  out->payload_bytes = static_cast<size_t>(fields[2]);
  out->record_bytes = total;
  return ParseStatus::kOk;
}

// decode_record for a record whose type's entry the caller has found
// (info: find_record_type(raw.type), not null), so it is not looked up again.
[[gnu::always_inline]] inline bool decode_known(const RawRecord& raw, const RecordTypeInfo* info,
                                                Record* out, const char** reason) {
  // Default-initialised: each field gets its default member initialiser as
  // a store (a value-initialised Record{} is a memset, padding included).
  const Record defaults;
  *out = defaults;
  out->type = info->type;
  out->event = raw.event;
  out->record_bytes = raw.record_bytes;
  const uint8_t* p = raw.payload;
  const uint8_t* end = raw.payload + raw.payload_bytes;
  bool ok = true;
  if (info->has(kFieldClock)) {
    uint64_t bits = 0;
    ok = take_fixed64(p, end, &bits);
    out->clock_seconds = std::bit_cast<double>(bits);
  }
  if (ok && info->has(kFieldChid)) ok = take_int32(p, end, &out->chid);
  if (ok && info->has(kFieldPort)) ok = take_int32(p, end, &out->port);
  if (ok && info->has(kFieldCount)) ok = take_u64(p, end, &out->byte_count);
  if (ok && info->has(kFieldFigures)) {
    ok = take_u64(p, end, &out->figures.event_count) &&
         take_fixed64(p, end, &out->figures.memhash) &&
         take_fixed64(p, end, &out->figures.outhash) &&
         take_u64(p, end, &out->figures.heap_bytes_in_use);
  }
  if (ok && info->has(kFieldEnd)) {
    ok = end - p >= 1 && p[0] >= 1 && p[0] <= kLastEndReason;
    if (ok) {
      out->end_reason = static_cast<EndReason>(*p++);
      ok = take_int32(p, end, &out->end_detail);
    }
  }
  if (ok && info->has(kFieldSnapshot)) {
    ok = take_u64(p, end, &out->snapshot.serial) && take_u64(p, end, &out->snapshot.event) &&
         end - p >= 1 && (p[0] & ~kSnapshotFlagsMask) == 0 &&
         p[0] != (kSnapshotLast | kSnapshotAbandoned);
    // A snapshot_taken has no flags and is about the event it follows; the
    // pieces of its stream come after it.
    if (ok && info->type == RecordType::kSnapshotTaken)
      ok = p[0] == 0 && out->snapshot.event == raw.event;
    if (ok && info->type == RecordType::kSnapshotData) ok = out->snapshot.event <= raw.event;
    if (ok) out->snapshot.flags = *p++;
  }
  if (ok && info->has(kFieldBytes)) {
    out->bytes = {p, end};
    p = end;
  }
  if (!ok || p != end) {
    *reason = reason::kBadPayload.data();
    return false;
  }
  return true;
}

// decode_record (format.h).
[[gnu::always_inline]] inline bool decode(const RawRecord& raw, Record* out, const char** reason) {
  const RecordTypeInfo* info = find_record_type(raw.type);
  if (info == nullptr) {
    const Record defaults;  // as decode_known stores first
    *out = defaults;
    *reason = reason::kUnknownRecordType.data();
    return false;
  }
  return decode_known(raw, info, out, reason);
}

}  // namespace record_parse
}  // namespace lx::wal
