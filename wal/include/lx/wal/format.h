// The bytes of a log record (docs/wal-format.md): record types, varints,
// little-endian fields, and the encode/parse pair every writer and reader
// shares. Pure functions only: the crash handler and the fuzz tests use them.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

#include "lx/assert.h"
#include "lx/event_sink.h"
#include "lx/status.h"
#include "lx/wal/crc32c.h"

namespace lx::wal {

// ---- Versions and magic numbers (docs/wal-format.md, "Magic numbers") ----

// The newest version this code reads and writes, and the version of every
// file it writes. 1.2 added the snapshot records, 1.3 the header's segment
// fields; 2.0 was a segment that begins after event 1, which no 1.x reader
// can read (its events do not start at 1); 3.0 leaves the event number out of
// each record's CRC (RecordCrc), which no 1.x or 2.0 reader could verify.
inline constexpr uint16_t kFormatMajor = 3;
inline constexpr uint16_t kFormatMinor = 0;

// Which bytes of a record its CRC32C covers (docs/wal-format.md, "Records").
// Formats 1 and 2: every byte before the CRC. Format 3: the same but the
// event number's varint. A record's event number is fixed by the records
// before it (events rise by exactly 1, every other record carries its
// event's number), so the reader's sequence check catches a wrong one; left
// out of the CRC, two records that differ only in their event number have
// the same CRC, and zstd finds the repeats (3.6x -> 12x on an http session).
enum class RecordCrc : uint8_t { kWholeRecord, kWithoutEvent };
constexpr RecordCrc record_crc_for(uint16_t version_major) {
  return version_major >= 3 ? RecordCrc::kWithoutEvent : RecordCrc::kWholeRecord;
}
// The rule of the records this code writes.
inline constexpr RecordCrc kWrittenRecordCrc = record_crc_for(kFormatMajor);

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
// largest thing an event carries. Types carry less (RecordTypeInfo::max_payload_bytes).
inline constexpr uint64_t kMaxPayloadBytes = 64ull << 20;
// Largest recv_incoming payload: lxrun reads 64 KiB at a time; 1 MiB leaves
// room for other drivers and bounds what a hostile log can make a replay hold.
inline constexpr uint64_t kMaxRecvPayloadBytes = 1ull << 20;
// Largest payload of the types without bulk bytes (their fixed fields).
inline constexpr uint64_t kMaxFieldsPayloadBytes = 96;
// type (1 byte) + event (at most 10) + length (at most 4) + CRC (4), rounded up.
inline constexpr size_t kMaxRecordOverheadBytes = 24;
inline constexpr size_t kRecordCrcBytes = 4;
inline constexpr uint64_t kMaxHeaderPayloadBytes = 16u << 10;
inline constexpr size_t kTrailerPayloadBytes = 32;
inline constexpr size_t kTrailerFrameBytes = 8 + kTrailerPayloadBytes;
inline constexpr size_t kCrashPayloadBytes = 16;
inline constexpr size_t kCrashFrameBytes = 8 + kCrashPayloadBytes;

// ---- Record types: the event vocabulary, defined once ----

// What a record's payload carries, in this order on the wire: the clock
// (8 bytes, IEEE-754), a chid or a port (zigzag varint), a byte count
// (varint), checkpoint figures, an end reason and detail, a snapshot's
// serial, event and flags, then the bulk bytes to the end of the payload.
enum RecordField : uint8_t {
  kFieldClock = 1u << 0,     // double clock_seconds
  kFieldChid = 1u << 1,      // int32 chid
  kFieldPort = 1u << 2,      // int32 port
  kFieldCount = 1u << 3,     // uint64 byte_count (the bytes the driver wrote)
  kFieldFigures = 1u << 4,   // EngineFigures (event count, memhash, outhash, heap bytes)
  kFieldEnd = 1u << 5,       // EndReason and int32 detail
  kFieldBytes = 1u << 6,     // the bulk bytes (the rest of the payload)
  kFieldSnapshot = 1u << 7,  // SnapshotFields: serial, the snapshot's event, flags
};

// X(Enumerator, wire value, name, rank, fields, description)
// rank orders the records that share an event number: the event (0), its
// accept result (1), its checkpoint (2), the end record (4). Types 1..7 are
// the seven engine events (rank 0), in the order of engine_api.h. Snapshot
// records (3) stand outside that order: any number of them may come anywhere
// after their event's record and before the next event, ordered among
// themselves by their serial (a snapshot is written while the server goes
// on, so its pieces fall between other records). They have wire values in
// the ignorable range (>= 64), so a reader of format 1.0 or 1.1 skips them
// and still replays the log.
#define LX_WAL_RECORD_TYPES(X)                                                                    \
  X(kSetClock, 1, "set_clock", 0, kFieldClock, "the driver set the engine clock")                 \
  X(kSetLuaSource, 2, "set_lua_source", 0, kFieldBytes, "the app source blob was (re)loaded")     \
  X(kRecvIncoming, 3, "recv_incoming", 0, kFieldChid | kFieldBytes, "bytes arrived on a channel") \
  X(kSentOutgoing, 4, "sent_outgoing", 0, kFieldChid | kFieldCount,                               \
    "the driver wrote bytes of a channel's output")                                               \
  X(kNotifyAccept, 5, "notify_accept", 0, kFieldPort, "a connection arrived on a port")           \
  X(kNotifyClose, 6, "notify_close", 0, kFieldChid, "the remote closed a channel")                \
  X(kInvokeEventUpdate, 7, "invoke_event_update", 0, 0, "the app's update() ran")                 \
  X(kCheckpoint, 16, "checkpoint", 2, kFieldFigures, "the engine's figures after an event")       \
  X(kAcceptResult, 17, "accept_result", 1, kFieldChid, "the chid notify_accept returned")         \
  X(kEnd, 18, "end", 4, kFieldEnd, "the log ends here, and why")                                  \
  X(kSnapshotTaken, 64, "snapshot_taken", 3, kFieldCount | kFieldFigures | kFieldSnapshot,        \
    "the engine's state after this event is being saved (its bytes follow)")                      \
  X(kSnapshotData, 65, "snapshot_data", 3, kFieldSnapshot | kFieldBytes,                          \
    "a piece of a snapshot's stream")

enum class RecordType : uint8_t {
#define LX_WAL_ENUMERATOR(name, wire, text, rank, fields, description) name = wire,
  LX_WAL_RECORD_TYPES(LX_WAL_ENUMERATOR)
#undef LX_WAL_ENUMERATOR
};

// Everything the format says about one record type.
struct RecordTypeInfo {
  RecordType type;
  std::string_view name;  // stable snake_case, used by lxdump --type and in JSON
  int rank;
  uint8_t fields;  // RecordField bits
  std::string_view description;
  // The largest payload a record of this type may have; a reader treats a
  // longer one as damage, and the writer refuses to append it.
  constexpr uint64_t max_payload_bytes() const {
    if (type == RecordType::kRecvIncoming) return kMaxRecvPayloadBytes;
    return (fields & kFieldBytes) != 0 ? kMaxPayloadBytes : kMaxFieldsPayloadBytes;
  }
  constexpr bool is_event() const { return rank == 0; }
  // Snapshot records: outside the rank order, ordered by their serial.
  constexpr bool repeats() const { return (fields & kFieldSnapshot) != 0; }
  constexpr bool has(RecordField field) const { return (fields & field) != 0; }
};

inline constexpr RecordTypeInfo kRecordTypes[] = {
#define LX_WAL_INFO(name, wire, text, rank, fields, description) \
  {RecordType::name, text, rank, static_cast<uint8_t>(fields), description},
    LX_WAL_RECORD_TYPES(LX_WAL_INFO)
#undef LX_WAL_INFO
};

namespace detail {
// kRecordTypes' position of each wire value below 128 (-1: no such type), so
// that the lookups on every append and every read cost one load, not a
// search of the table.
struct RecordTypeIndex {
  int8_t at[128];
};
constexpr bool wire_values_below_128() {
  for (const RecordTypeInfo& info : kRecordTypes)
    if (static_cast<uint8_t>(info.type) >= 128) return false;
  return true;
}
static_assert(wire_values_below_128(), "types above 127 are invalid (docs/wal-format.md)");
constexpr RecordTypeIndex make_record_type_index() {
  RecordTypeIndex index{};
  for (int8_t& at : index.at) at = -1;
  for (size_t i = 0; i < std::size(kRecordTypes); ++i)
    index.at[static_cast<uint8_t>(kRecordTypes[i].type)] = static_cast<int8_t>(i);
  return index;
}
inline constexpr RecordTypeIndex kRecordTypeIndex = make_record_type_index();
}  // namespace detail

// The entry of a known type; null for a wire value this version does not know.
constexpr const RecordTypeInfo* find_record_type(uint64_t wire) {
  if (wire >= std::size(detail::kRecordTypeIndex.at)) return nullptr;
  const int8_t at = detail::kRecordTypeIndex.at[wire];
  return at < 0 ? nullptr : &kRecordTypes[at];
}
// The entry of a type (every RecordType value is in the table).
constexpr const RecordTypeInfo& record_type_info(RecordType type) {
  const RecordTypeInfo* info = find_record_type(static_cast<uint8_t>(type));
  LX_ASSERT(info != nullptr);
  return *info;
}

// True for the seven engine events.
constexpr bool is_event(RecordType type) { return record_type_info(type).is_event(); }
constexpr bool has_field(RecordType type, RecordField field) {
  return record_type_info(type).has(field);
}
// True for every type this version knows.
constexpr bool is_known_type(uint64_t type) { return find_record_type(type) != nullptr; }
constexpr int record_rank(RecordType type) { return record_type_info(type).rank; }
constexpr std::string_view record_type_name(RecordType type) { return record_type_info(type).name; }
// The type named `name`; false when no type has that name.
bool record_type_from_name(std::string_view name, RecordType* type);
// Every type name, comma-separated, in wire order (for usage messages).
std::string record_type_names();

// Types with wire values at or above this are ignorable: a reader that does
// not know one skips it (a newer minor version added it). Below it, an
// unknown type is damage.
inline constexpr uint64_t kFirstIgnorableType = 64;

static_assert(static_cast<uint64_t>(RecordType::kSnapshotTaken) >= kFirstIgnorableType &&
                  static_cast<uint64_t>(RecordType::kSnapshotData) >= kFirstIgnorableType,
              "older readers skip the snapshot records (docs/wal-format.md)");
static_assert(static_cast<uint8_t>(RecordType::kInvokeEventUpdate) == 7,
              "the seven events keep wire values 1..7 (docs/wal-format.md)");

// Why a log ends (the end record's reason byte).
enum class EndReason : uint8_t {
  kClosed = 1,     // close() after a normal stop
  kTruncated = 2,  // max_log_bytes was reached; the server went on unrecorded
  kLogError = 3,   // an I/O error stopped recording (rarely reaches the file)
  kCrashed = 4,    // a fatal signal; detail is the signal number
};
inline constexpr uint8_t kLastEndReason = 4;
// The detail of a segment's end record "closed" when the recording goes on
// in another segment (1.3): that segment's number. 0: the recording ended.
std::string_view end_reason_name(EndReason reason);

// ---- The crash flush's frames (written from a signal handler) ----

// The crash marker: a skippable frame (kCrashFrameMagic) whose payload is
// kCrashMagic, the signal number (u32) and a CRC32C of those 12 bytes.
// Async-signal-safe.
void encode_crash_marker(int signo, uint8_t out[kCrashFrameBytes]);
// True when p[0..avail) starts with a whole, valid crash marker.
bool is_crash_marker(const uint8_t* p, size_t avail);

// The frame header of the crash flush's zstd frame: magic, a frame header
// descriptor of 0 (no checksum, no content size, not single-segment) and a
// window descriptor for 128 KiB (the largest raw block).
inline constexpr uint8_t kRawFrameHeader[6] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x38};
inline constexpr size_t kRawBlockMaxBytes = 128u << 10;
inline constexpr size_t kBlockHeaderBytes = 3;
// Writes the 3-byte header of a raw block of `bytes` (<= kRawBlockMaxBytes).
// Async-signal-safe.
void encode_raw_block_header(uint8_t out[kBlockHeaderBytes], size_t bytes, bool last);

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
namespace detail {
// The varint bytes of a value of each bit width (0..64): 7 bits a byte.
struct VarintBytesByWidth {
  uint8_t of[65];
};
constexpr VarintBytesByWidth make_varint_bytes_by_width() {
  VarintBytesByWidth table{};
  for (int bits = 0; bits <= 64; ++bits)
    table.of[bits] = static_cast<uint8_t>(bits <= 7 ? 1 : (bits + 6) / 7);
  return table;
}
inline constexpr VarintBytesByWidth kVarintBytesByWidth = make_varint_bytes_by_width();
}  // namespace detail
// The bytes put_varint writes for v (one load, no loop).
constexpr size_t varint_bytes(uint64_t v) {
  return detail::kVarintBytesByWidth.of[std::bit_width(v)];
}
static_assert(varint_bytes(0) == 1 && varint_bytes(127) == 1 && varint_bytes(128) == 2 &&
              varint_bytes(16383) == 2 && varint_bytes(16384) == 3 &&
              varint_bytes(~uint64_t{0}) == 10);

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

// The snapshot fields (kFieldSnapshot). A snapshot of the engine's state
// after event `event` is one snapshot_taken record right after that event
// (its figures and the size of the state), then the snapshot stream
// (docs/snapshots.md) in snapshot_data records, which may come after later
// events (the stream is written while the server goes on); the last one has
// kSnapshotLast, or kSnapshotAbandoned when the stream was never finished.
// serial rises by one with every snapshot record of a log, so records that
// share an event number keep an order (and a crash flush's repeats are
// recognised).
struct SnapshotFields {
  uint64_t serial = 0;
  uint64_t event = 0;  // the event whose state it is
  uint8_t flags = 0;   // kSnapshotLast, kSnapshotAbandoned (snapshot_data only)
  bool operator==(const SnapshotFields&) const = default;
};
inline constexpr uint8_t kSnapshotLast = 1;       // the stream is complete
inline constexpr uint8_t kSnapshotAbandoned = 2;  // the stream ends unfinished: ignore it
inline constexpr uint8_t kSnapshotFlagsMask = kSnapshotLast | kSnapshotAbandoned;

// A decoded record. Only the fields its type carries (RecordTypeInfo::fields)
// are set; the others keep their defaults, so two records compare field by
// field exactly. `bytes` points into the reader's buffer: valid until the next
// call that reads.
struct Record {
  RecordType type = RecordType::kInvokeEventUpdate;
  uint64_t event = 0;                         // event number; for non-events, the event it follows
  double clock_seconds = 0;                   // kFieldClock
  int32_t chid = 0;                           // kFieldChid
  int32_t port = 0;                           // kFieldPort
  uint64_t byte_count = 0;                    // kFieldCount
  std::span<const uint8_t> bytes;             // kFieldBytes
  EngineFigures figures;                      // kFieldFigures
  EndReason end_reason = EndReason::kClosed;  // kFieldEnd
  int32_t end_detail = 0;                     // kFieldEnd; kCrashed: the signal number
  SnapshotFields snapshot;                    // kFieldSnapshot
  uint64_t record_bytes = 0;                  // bytes of the encoded record
  uint64_t frame_offset = 0;                  // file offset of the frame that holds it

  const RecordTypeInfo& info() const { return record_type_info(type); }
  // The bytes the record is about: the bulk bytes' length, or the count the
  // driver wrote (sent_outgoing); 0 for types with neither.
  uint64_t size_bytes() const { return info().has(kFieldCount) ? byte_count : bytes.size(); }
};

// The fixed small part of a payload (every field but the bulk bytes); the
// bulk bytes travel beside it as a span.
struct PayloadPrefix {
  uint8_t bytes[80];
  size_t size = 0;
  std::span<const uint8_t> span() const { return {bytes, size}; }
};

// The prefix of `fields` as record.type lays it out (RecordField order).
// Async-signal-safe. Inline: where the type is a constant (the recorder's
// calls, the prefix_* helpers below), the tests of its fields fold away.
[[gnu::always_inline]] inline PayloadPrefix encode_prefix(const Record& r) {
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

inline PayloadPrefix prefix_set_clock(double seconds) {
  Record r;
  r.type = RecordType::kSetClock;
  r.clock_seconds = seconds;
  return encode_prefix(r);
}
// recv_incoming, notify_close, accept_result.
inline PayloadPrefix prefix_chid(RecordType type, int32_t chid) {
  Record r;
  r.type = type;
  r.chid = chid;
  return encode_prefix(r);
}
inline PayloadPrefix prefix_sent_outgoing(int32_t chid, uint64_t byte_count) {
  Record r;
  r.type = RecordType::kSentOutgoing;
  r.chid = chid;
  r.byte_count = byte_count;
  return encode_prefix(r);
}
inline PayloadPrefix prefix_notify_accept(int32_t port) {
  Record r;
  r.type = RecordType::kNotifyAccept;
  r.port = port;
  return encode_prefix(r);
}
inline PayloadPrefix prefix_checkpoint(const EngineFigures& figures) {
  Record r;
  r.type = RecordType::kCheckpoint;
  r.figures = figures;
  return encode_prefix(r);
}
inline PayloadPrefix prefix_end(EndReason reason, int32_t detail) {
  Record r;
  r.type = RecordType::kEnd;
  r.end_reason = reason;
  r.end_detail = detail;
  return encode_prefix(r);
}

// snapshot_taken: the state after event fields.event, of state_bytes bytes.
inline PayloadPrefix prefix_snapshot_taken(const SnapshotFields& fields, uint64_t state_bytes,
                                           const EngineFigures& figures) {
  Record r;
  r.type = RecordType::kSnapshotTaken;
  r.snapshot = fields;
  r.byte_count = state_bytes;
  r.figures = figures;
  return encode_prefix(r);
}
inline PayloadPrefix prefix_snapshot_data(const SnapshotFields& fields) {
  Record r;
  r.type = RecordType::kSnapshotData;
  r.snapshot = fields;
  return encode_prefix(r);
}

// Where a record stands in a log's order: (event, rank) rises strictly from
// each record to the next, leaving the snapshot records aside (their serial
// rises instead, across the whole log, and their event is the last event's).
struct RecordOrder {
  uint64_t event = 0;
  int rank = 0;
  auto operator<=>(const RecordOrder&) const = default;
};
inline RecordOrder record_order(const Record& r) { return {r.event, record_rank(r.type)}; }

// Bytes a record takes with a payload of payload_bytes.
inline size_t record_bytes(RecordType type, uint64_t event, uint64_t payload_bytes) {
  return varint_bytes(static_cast<uint8_t>(type)) + varint_bytes(event) +
         varint_bytes(payload_bytes) + static_cast<size_t>(payload_bytes) + kRecordCrcBytes;
}

// Encodes a record's header (type, event, payload length) at dst, which must
// hold kMaxRecordOverheadBytes. Async-signal-safe. @return the bytes written.
[[gnu::always_inline]] inline size_t encode_record_header(uint8_t* dst, RecordType type,
                                                          uint64_t event, uint64_t payload_bytes) {
  // Every wire type is below 128 (detail::wire_values_below_128): one byte.
  dst[0] = static_cast<uint8_t>(type);
  size_t n = 1;
  n += put_varint(dst + n, event);
  n += put_varint(dst + n, payload_bytes);
  return n;
}

// The CRC32C of each one-byte record type (every wire type is below 128),
// where a record's CRC starts.
inline constexpr auto kRecordTypeCrc = [] {
  std::array<uint32_t, 128> crcs{};
  for (size_t t = 0; t < crcs.size(); ++t) crcs[t] = crc32c_of_byte(static_cast<uint8_t>(t));
  return crcs;
}();

// The CRC32C under `rule` of the first `bytes` bytes of the record at p
// (its header, then as much of its payload as it holds), whose type takes one
// byte and whose event varint takes event_bytes: crc32c_extend it over the
// rest of the payload. The one definition of what the CRC covers, for every
// writer and reader.
[[gnu::always_inline]] inline uint32_t record_crc(RecordCrc rule, const uint8_t* p,
                                                  size_t event_bytes, size_t bytes) {
  if (rule == RecordCrc::kWholeRecord) return crc32c(p, bytes);
  const size_t skip = 1 + event_bytes;
  return crc32c_extend(kRecordTypeCrc[p[0] & 0x7Fu], p + skip, bytes - skip);
}

// Encodes one record (type, event, length, prefix then data, CRC32C under
// `rule`: this code's own unless it ends an older lx's log) at dst, which must
// hold record_bytes(type, event, prefix.size() + data.size()).
// Async-signal-safe. @return the bytes written.
// Inline, so that the append path makes no call but the payload's memcpy and
// the CRC's.
[[gnu::always_inline]] inline size_t encode_record(uint8_t* dst, RecordType type, uint64_t event,
                                                   std::span<const uint8_t> prefix,
                                                   std::span<const uint8_t> data,
                                                   RecordCrc rule = kWrittenRecordCrc) {
  const uint64_t payload_bytes = prefix.size() + data.size();
  uint8_t* p = dst + encode_record_header(dst, type, event, payload_bytes);
  // A prefix is a few bytes (at most sizeof PayloadPrefix::bytes): a loop
  // costs less than a call to memcpy.
  for (const uint8_t byte : prefix) *p++ = byte;
  if (!data.empty()) std::memcpy(p, data.data(), data.size());
  p += data.size();
  put_u32(p, record_crc(rule, dst, varint_bytes(event), static_cast<size_t>(p - dst)));
  p += kRecordCrcBytes;
  return static_cast<size_t>(p - dst);
}

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
// kCorrupt: *reason is set to a fixed string. Checks the CRC (under `rule`:
// the file's, record_crc_for its major version), not the payload.
ParseStatus parse_record(const uint8_t* p, size_t avail, RecordCrc rule, RawRecord* out,
                         const char** reason);

// Decodes the payload of a known type. @return false and a fixed reason when
// the payload does not match its type's layout.
bool decode_record(const RawRecord& raw, Record* out, const char** reason);

}  // namespace lx::wal
