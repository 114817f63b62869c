// What a reader reports when part of a log cannot be used: one Damage per
// span, with one of a fixed set of reasons (as LevelDB's log reader reports
// each dropped span with a fixed reason), so tests, tools and people can
// tell every failure apart by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lx::wal {

// Every reason a reader gives, defined once: X(constant, text).
#define LX_WAL_DAMAGE_REASONS(X)                                                 \
  /* the input ends inside something (a torn tail) */                            \
  X(kTornFrame, "torn frame at end of file")                                     \
  X(kNoEndRecord, "log ends without an end record")                              \
  /* the end record is there, the index and trailer are not (or are unusable) */ \
  X(kNoIndex, "log ends without its index and trailer")                          \
  X(kBadTrailer, "bad trailer")                                                  \
  X(kBadIndex, "the index is damaged")                                           \
  X(kIndexTooLarge, "the index is larger than a reader accepts")                 \
  X(kFrameChecksum, "frame checksum mismatch (every record in it verified)")     \
  /* frames */                                                                   \
  X(kNotAFrame, "not a zstd frame")                                              \
  X(kSecondHeader, "a second header frame")                                      \
  X(kBytesAfterTrailer, "bytes after the trailer")                               \
  X(kBadCrashMarker, "bad crash marker")                                         \
  X(kWindowTooLarge, "zstd frame asks for a window over 32 MiB")                 \
  X(kCorruptFrame, "corrupt zstd frame")                                         \
  X(kFrameEndsInRecord, "frame ends inside a record")                            \
  /* records (parse_record, decode_record) */                                    \
  X(kBadVarint, "bad varint in record header")                                   \
  X(kBadRecordType, "bad record type")                                           \
  X(kRecordTooLong, "record length over the 64 MiB limit")                       \
  X(kRecordTooLongForType, "record length over the limit of its type")           \
  X(kRecordChecksum, "record checksum mismatch")                                 \
  X(kUnknownRecordType, "unknown record type")                                   \
  X(kBadPayload, "record payload does not match its type")                       \
  /* sequence */                                                                 \
  X(kOutOfSequence, "record out of sequence")                                    \
  X(kAfterEnd, "record after the end record")                                    \
  X(kEventGap, "events missing after damage")

namespace reason {
#define LX_WAL_REASON_CONSTANT(name, text) inline constexpr std::string_view name = text;
LX_WAL_DAMAGE_REASONS(LX_WAL_REASON_CONSTANT)
#undef LX_WAL_REASON_CONSTANT
}  // namespace reason

inline constexpr std::string_view kAllDamageReasons[] = {
#define LX_WAL_REASON_ENTRY(name, text) text,
    LX_WAL_DAMAGE_REASONS(LX_WAL_REASON_ENTRY)
#undef LX_WAL_REASON_ENTRY
};

// A span of the file the reader could not use.
struct Damage {
  uint64_t offset = 0;         // file offset where usable data stopped (a zstd unit's start)
  uint64_t dropped_bytes = 0;  // file bytes skipped from there (to the end, or to a resync point)
  std::string_view reason;     // one of the reason:: constants
  bool torn = false;           // the input ended inside it (a torn tail, not corruption)
  // No record was lost: a crash flush after it holds its records, or only
  // the index, the trailer or a frame checksum is damaged.
  bool recovered = false;
  bool metadata = false;     // only the index or trailer: every record was read
  bool crash_flush = false;  // recovered by the crash flush after it (what a crash leaves)
  // Of a directory read as one log: the segment file it is in (its name);
  // offset is in that file. Empty for a log of one file.
  std::string segment;
};

}  // namespace lx::wal
