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

ParseStatus parse_record(const uint8_t* p, size_t avail, RecordCrc rule, RawRecord* out,
                         const char** reason) {
  return record_parse::parse(p, avail, rule, out, reason);
}

bool decode_record(const RawRecord& raw, Record* out, const char** reason) {
  return record_parse::decode(raw, out, reason);
}

}  // namespace lx::wal
