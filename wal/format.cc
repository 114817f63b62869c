// Record encoding and parsing shared by the writer, the crash handler and the
// reader, kept free of allocation so the signal path can use it.
#include "lx/wal/format.h"

#include <bit>

#include "lx/wal/crc32c.h"
#include "record_parse.h"

namespace lx::wal {

bool record_type_from_name(std::string_view name, RecordType* type) {
  for (const RecordTypeInfo& info : kRecordTypes) {
    if (info.name == name) {
      *type = info.type;
      return true;
    }
  }
  return false;
}

std::string record_type_names() {
  std::string names;
  for (const RecordTypeInfo& info : kRecordTypes) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

std::string_view end_reason_name(EndReason reason) {
  switch (reason) {
    case EndReason::kClosed:
      return "closed";
    case EndReason::kTruncated:
      return "truncated";
    case EndReason::kLogError:
      return "log_error";
    case EndReason::kCrashed:
      return "crashed";
  }
  return "unknown";
}

VarintStatus get_varint(const uint8_t* p, size_t avail, uint64_t* value, size_t* used) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i == avail) return VarintStatus::kNeedMore;
    const uint8_t byte = p[i];
    if (i == kMaxVarintBytes - 1 && byte > 1) return VarintStatus::kBad;  // beyond 64 bits
    v |= static_cast<uint64_t>(byte & 0x7Fu) << (7 * i);
    if ((byte & 0x80u) == 0) {
      if (i > 0 && byte == 0) return VarintStatus::kBad;  // not minimal
      *value = v;
      *used = i + 1;
      return VarintStatus::kOk;
    }
  }
  return VarintStatus::kBad;
}

PayloadPrefix encode_prefix(const Record& r) {
  const RecordTypeInfo& info = record_type_info(r.type);
  PayloadPrefix prefix;
  uint8_t* p = prefix.bytes;
  if (info.has(kFieldClock)) {
    put_u64(p, std::bit_cast<uint64_t>(r.clock_seconds));
    p += 8;
  }
  if (info.has(kFieldChid)) p += put_varint(p, zigzag(r.chid));
  if (info.has(kFieldPort)) p += put_varint(p, zigzag(r.port));
  if (info.has(kFieldCount)) p += put_varint(p, r.byte_count);
  if (info.has(kFieldFigures)) {
    p += put_varint(p, r.figures.event_count);
    put_u64(p, r.figures.memhash);
    put_u64(p + 8, r.figures.outhash);
    p += 16;
    p += put_varint(p, r.figures.heap_bytes_in_use);
  }
  if (info.has(kFieldEnd)) {
    *p++ = static_cast<uint8_t>(r.end_reason);
    p += put_varint(p, zigzag(r.end_detail));
  }
  if (info.has(kFieldSnapshot)) {
    p += put_varint(p, r.snapshot.serial);
    p += put_varint(p, r.snapshot.event);
    *p++ = r.snapshot.flags;
  }
  prefix.size = static_cast<size_t>(p - prefix.bytes);
  LX_ASSERT_OP(prefix.size, <=, sizeof prefix.bytes);
  return prefix;
}

static_assert(kRawFrameHeader[0] == (kZstdFrameMagic & 0xFFu) &&
                  kRawFrameHeader[1] == ((kZstdFrameMagic >> 8) & 0xFFu) &&
                  kRawFrameHeader[2] == ((kZstdFrameMagic >> 16) & 0xFFu) &&
                  kRawFrameHeader[3] == (kZstdFrameMagic >> 24),
              "the crash flush's frame starts with the zstd magic");
// Window descriptor 0x38: exponent 7, mantissa 0: 2^(10+7) = 128 KiB.
static_assert(kRawBlockMaxBytes == (size_t{1} << (10 + (kRawFrameHeader[5] >> 3))),
              "the raw frame's window holds its largest block");
static_assert(kCrashPayloadBytes == sizeof kCrashMagic + 4 + 4,
              "crash marker payload: magic, signal, CRC");

void encode_crash_marker(int signo, uint8_t out[kCrashFrameBytes]) {
  put_u32(out, kCrashFrameMagic);
  put_u32(out + 4, kCrashPayloadBytes);
  std::memcpy(out + 8, kCrashMagic, sizeof kCrashMagic);
  put_u32(out + 16, static_cast<uint32_t>(signo));
  put_u32(out + 20, crc32c(out + 8, 12));
}

bool is_crash_marker(const uint8_t* p, size_t avail) {
  return avail >= kCrashFrameBytes && get_u32(p) == kCrashFrameMagic &&
         get_u32(p + 4) == kCrashPayloadBytes && std::memcmp(p + 8, kCrashMagic, 8) == 0 &&
         crc32c(p + 8, 12) == get_u32(p + 20);
}

void encode_raw_block_header(uint8_t out[kBlockHeaderBytes], size_t bytes, bool last) {
  // Block_Header: bit 0 Last_Block, bits 1-2 Block_Type (0: raw), bits 3-23 Block_Size.
  const uint32_t header = (static_cast<uint32_t>(bytes) << 3) | (last ? 1u : 0u);
  out[0] = static_cast<uint8_t>(header);
  out[1] = static_cast<uint8_t>(header >> 8);
  out[2] = static_cast<uint8_t>(header >> 16);
}

size_t encode_record_header(uint8_t* dst, RecordType type, uint64_t event, uint64_t payload_bytes) {
  uint8_t* p = dst;
  p += put_varint(p, static_cast<uint8_t>(type));
  p += put_varint(p, event);
  p += put_varint(p, payload_bytes);
  return static_cast<size_t>(p - dst);
}

size_t encode_record(uint8_t* dst, RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                     std::span<const uint8_t> data) {
  const uint64_t payload_bytes = prefix.size() + data.size();
  uint8_t* p = dst + encode_record_header(dst, type, event, payload_bytes);
  if (!prefix.empty()) std::memcpy(p, prefix.data(), prefix.size());
  p += prefix.size();
  if (!data.empty()) std::memcpy(p, data.data(), data.size());
  p += data.size();
  put_u32(p, crc32c(dst, static_cast<size_t>(p - dst)));
  p += kRecordCrcBytes;
  return static_cast<size_t>(p - dst);
}

ParseStatus parse_record(const uint8_t* p, size_t avail, RawRecord* out, const char** reason) {
  return record_parse::parse(p, avail, out, reason);
}

bool decode_record(const RawRecord& raw, Record* out, const char** reason) {
  return record_parse::decode(raw, out, reason);
}

}  // namespace lx::wal
