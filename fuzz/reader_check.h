// The log reader's contract (docs/wal-format.md, "Reading") as checks over one
// input held in memory, shared by the log_reader fuzzer and
// tests/wal/fuzz_regress_test.cc, so both hold the reader to the same rules.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lx/wal/log_reader.h"

namespace lx::fuzz {

// The most heap a reader may hold whatever its input says
// (wal/include/lx/wal/log_reader.h: "memory stays bounded (under 200 MiB").
inline constexpr int64_t kReaderHeapBoundBytes = int64_t{200} << 20;

// One delivered record, reduced to what two reads can be compared by.
struct RecordDigest {
  wal::RecordType type = wal::RecordType::kInvokeEventUpdate;
  uint64_t event = 0;
  uint64_t record_bytes = 0;
  uint64_t frame_offset = 0;
  uint32_t content_crc = 0;  // CRC32C of the decoded fields and bulk bytes
  bool operator==(const RecordDigest&) const = default;
};

// What one read of a log from its start to its end gave.
struct ReadOutcome {
  bool opened = false;
  std::string open_error;
  std::vector<RecordDigest> records;
  // Records delivered while damage() was still empty: what every recovery
  // mode must deliver alike.
  size_t clean_prefix = 0;
  std::vector<wal::Damage> damage;
  bool failed = false;  // next() returned an error (strict mode, on damage)
  std::string error;
  wal::HealthState health = wal::HealthState::kDamaged;
  std::optional<wal::LogIndex> index;  // as loaded at open
};

// Reads `log` to its end in `recovery` mode and checks, on the way and at the
// end, every rule the reader promises for a memory source: opening fails only
// as kCorrupt; next() never fails except in strict mode, and then only as
// kCorrupt over unrepaired damage; (event, rank) keys rise (snapshot records: their serial) and
// events are consecutive unless an "events missing after damage" was reported just before; nothing
// follows the end record; payloads keep their type's limit; each damage is reported once, as it
// stays, within the input, with a known reason, and there are at most 3/4 of the input's size plus
// 8 of them; health agrees with the damage (a clean log has a closed end record, its trailer and no
// unrecovered damage). Fills *out either way.
// @return "" when every rule held, else the first one broken, in one line.
std::string read_and_check(std::span<const uint8_t> log, wal::Recovery recovery, ReadOutcome* out);

// Checks that the three modes agree before any damage: the same open result,
// the same clean prefix of records, the same first damage (offset, reason),
// and, without damage, the same records and health.
std::string check_modes_agree(const ReadOutcome& tolerant, const ReadOutcome& strict,
                              const ReadOutcome& salvage);

// With an index: seeks a fresh tolerant reader to `event` and reads on,
// checking the same rules as read_and_check from the first record it gives
// and that none is before `event`; when `full` is a clean read whose frames
// the index names, the records must be exactly full's from `event` on.
std::string seek_and_check(std::span<const uint8_t> log, const ReadOutcome& full, uint64_t event);

// "" when two reads of the same bytes gave the same outcome, else the first
// difference (the same damaged file must give the same output every time).
std::string compare_reads(const ReadOutcome& a, const ReadOutcome& b);

// Everything above for one input: a read in each mode, the modes' agreement,
// a seek when an index loads (to an event the input's size picks), and with
// `twice` a second tolerant read compared with the first. @return "" or the first rule broken,
// prefixed by its mode.
std::string check_log(std::span<const uint8_t> log, bool twice);

}  // namespace lx::fuzz
