// The bytes of a log record (docs/wal-format.md): record types, varints,
// little-endian fields, and the encode/parse pair every writer and reader
// shares. Pure functions only: the crash handler and the fuzz tests use them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "lx/event_sink.h"
#include "lx/status.h"

namespace lx::wal {

// ---- Versions and magic numbers (docs/wal-format.md, "Magic numbers") ----

inline constexpr uint16_t kFormatMajor = 1;
inline constexpr uint16_t kFormatMinor = 1;

inline constexpr uint32_t kZstdFrameMagic = 0xFD2FB528u;
inline constexpr uint32_t kSkippableMagicFirst = 0x184D2A50u;  // 0x184D2A50 .. 0x184D2A5F
inline constexpr uint32_t kHeaderFrameMagic = 0x184D2A50u;
inline constexpr uint32_t kIndexFrameMagic = 0x184D2A51u;
inline constexpr uint32_t kTrailerFrameMagic = 0x184D2A52u;
inline constexpr uint32_t kCrashFrameMagic = 0x184D2A53u;

// Payload magics: 8 bytes at the start of each lx skippable frame's payload.
inline constexpr char kHeaderMagic[8] = {'L', 'X', 'W', 'A', 'L', '\0', '\r', '\n'};
inline constexpr char kIndexMagic[8] = {'L', 'X', 'W', 'I', 'N', 'D', 'E', 'X'};
inline constexpr char kTrailerMagic[8] = {'L', 'X', 'W', 'T', 'R', 'A', 'I', 'L'};
inline constexpr char kCrashMagic[8] = {'L', 'X', 'W', 'C', 'R', 'A', 'S', 'H'};

// ---- Limits every reader checks before it trusts a length ----

// Largest record payload: a 64 MiB source blob (docs/source-blob.md) is the
// largest thing an event carries.
inline constexpr uint64_t kMaxPayloadBytes = 64ull << 20;
// type (1 byte) + event (at most 10) + length (at most 4) + CRC (4), rounded up.
inline constexpr size_t kMaxRecordOverheadBytes = 24;
inline constexpr size_t kRecordCrcBytes = 4;
inline constexpr uint64_t kMaxHeaderPayloadBytes = 16u << 10;
inline constexpr size_t kTrailerPayloadBytes = 32;
inline constexpr size_t kTrailerFrameBytes = 8 + kTrailerPayloadBytes;
inline constexpr size_t kCrashPayloadBytes = 16;
inline constexpr size_t kCrashFrameBytes = 8 + kCrashPayloadBytes;

// ---- Record types ----

enum class RecordType : uint8_t {
  kSetClock = 1,
  kSetLuaSource = 2,
  kRecvIncoming = 3,
  kSentOutgoing = 4,
  kNotifyAccept = 5,
  kNotifyClose = 6,
  kInvokeEventUpdate = 7,
  kCheckpoint = 16,
  kAcceptResult = 17,
  kEnd = 18,
};

// Why a log ends (the end record's reason byte).
enum class EndReason : uint8_t {
  kClosed = 1,     // close() after a normal stop
  kTruncated = 2,  // max_log_bytes was reached; the server went on unrecorded
  kLogError = 3,   // an I/O error stopped recording (rarely reaches the file)
  kCrashed = 4,    // a fatal signal; detail is the signal number
};

// True for the seven engine events (types 1..7).
inline constexpr bool is_event(RecordType type) {
  return static_cast<uint8_t>(type) >= 1 && static_cast<uint8_t>(type) <= 7;
}
// True for every type this version knows.
bool is_known_type(uint64_t type);
// Order of records that share an event number: the event, its accept result,
// its checkpoint, the end record. Keys strictly increase through a log.
int record_rank(RecordType type);

// Stable snake_case names ("set_clock", "checkpoint", ...), used by lxdump.
std::string_view record_type_name(RecordType type);
// The type named `name`; false when no type has that name.
bool record_type_from_name(std::string_view name, RecordType* type);
std::string_view end_reason_name(EndReason reason);

// ---- Little-endian fixed fields and LEB128 varints ----

inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline constexpr size_t kMaxVarintBytes = 10;

// Writes v as a minimal LEB128 varint. @return the bytes written (1..10).
inline size_t put_varint(uint8_t* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80u) {
    p[n++] = static_cast<uint8_t>(v) | 0x80u;
    v >>= 7;
  }
  p[n++] = static_cast<uint8_t>(v);
  return n;
}
inline size_t varint_bytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80u) {
    v >>= 7;
    ++n;
  }
  return n;
}

enum class VarintStatus { kOk, kNeedMore, kBad };
// Reads a varint from at most `avail` bytes. kBad: longer than 10 bytes, more
// than 64 bits, or not minimal (a last byte of 0 after the first).
VarintStatus get_varint(const uint8_t* p, size_t avail, uint64_t* value, size_t* used);

inline uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1u);
}

// ---- Records ----

// The fixed small part of a payload (varints, a double, hashes); the bulk
// bytes of recv_incoming and set_lua_source travel beside it as a span.
struct PayloadPrefix {
  uint8_t bytes[40];
  size_t size = 0;
  std::span<const uint8_t> span() const { return {bytes, size}; }
};

PayloadPrefix prefix_set_clock(double seconds);
PayloadPrefix prefix_chid(int32_t chid);  // recv_incoming, notify_close, accept_result
PayloadPrefix prefix_sent_outgoing(int32_t chid, uint64_t byte_count);
PayloadPrefix prefix_notify_accept(int32_t port);
PayloadPrefix prefix_checkpoint(const EngineFigures& figures);
PayloadPrefix prefix_end(EndReason reason, int32_t detail);

// Bytes a record takes with a payload of payload_bytes.
inline size_t record_bytes(RecordType type, uint64_t event, uint64_t payload_bytes) {
  return varint_bytes(static_cast<uint8_t>(type)) + varint_bytes(event) +
         varint_bytes(payload_bytes) + static_cast<size_t>(payload_bytes) + kRecordCrcBytes;
}

// Encodes one record (type, event, length, prefix then data, CRC32C) at dst,
// which must hold record_bytes(type, event, prefix.size() + data.size()).
// Async-signal-safe. @return the bytes written.
size_t encode_record(uint8_t* dst, RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                     std::span<const uint8_t> data);

// A record found in a byte stream, before its payload is decoded.
struct RawRecord {
  uint64_t type = 0;
  uint64_t event = 0;
  const uint8_t* payload = nullptr;
  size_t payload_bytes = 0;
  size_t record_bytes = 0;  // header + payload + CRC
};

enum class ParseStatus { kOk, kNeedMore, kCorrupt };
// Finds the record at p[0..avail). kNeedMore: the bytes end inside it (the
// length is already checked against kMaxPayloadBytes, so waiting is bounded).
// kCorrupt: *reason is set to a fixed string. Checks the CRC, not the payload.
ParseStatus parse_record(const uint8_t* p, size_t avail, RawRecord* out, const char** reason);

// A decoded record. `bytes` points into the reader's buffer: valid until the
// next call that reads.
struct Record {
  RecordType type = RecordType::kInvokeEventUpdate;
  uint64_t event = 0;        // event number; for non-events, the event it follows
  double clock_seconds = 0;  // set_clock
  int32_t chid = 0;          // recv_incoming, sent_outgoing, notify_close, accept_result
  int32_t port = 0;          // notify_accept
  uint64_t byte_count = 0;   // sent_outgoing; bytes.size() for recv_incoming/set_lua_source
  std::span<const uint8_t> bytes;
  EngineFigures figures;  // checkpoint
  EndReason end_reason = EndReason::kClosed;
  int32_t end_detail = 0;     // kCrashed: the signal number
  uint64_t record_bytes = 0;  // bytes of the encoded record
  uint64_t frame_offset = 0;  // file offset of the frame that holds it
};

// Decodes the payload of a known type. @return false and a fixed reason when
// the payload does not match its type's layout.
bool decode_record(const RawRecord& raw, Record* out, const char** reason);

}  // namespace lx::wal
