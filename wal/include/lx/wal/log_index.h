// The index a cleanly closed log ends with (frame offsets, first event of each
// frame, every checkpoint) and the fixed-size trailer that points at it, so a
// tool can seek to an event or compare checkpoints without decompressing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lx/event_sink.h"
#include "lx/status.h"

namespace lx::wal {

struct FrameEntry {
  uint64_t file_offset = 0;  // where the zstd frame starts
  uint64_t first_event = 0;  // the first event record in it, or (none) the next event number
  uint64_t raw_bytes = 0;    // record bytes it decompresses to
  bool operator==(const FrameEntry&) const = default;
};

struct CheckpointEntry {
  uint64_t event = 0;  // the checkpoint follows this event
  EngineFigures figures;
  uint32_t frame_index = 0;  // the frame that holds the checkpoint record
  bool operator==(const CheckpointEntry&) const = default;
};

struct LogIndex {
  uint64_t event_count = 0;  // the number of the last event in the log
  uint64_t raw_bytes = 0;    // record bytes in all frames
  std::vector<FrameEntry> frames;
  std::vector<CheckpointEntry> checkpoints;
  bool operator==(const LogIndex&) const = default;
  // The frame to start decoding at to reach event `event`: the last frame
  // whose first_event <= event. LX_ASSERT(!frames.empty()).
  size_t frame_for_event(uint64_t event) const;
};

// Encodes the whole index skippable frame.
std::vector<uint8_t> encode_index_frame(const LogIndex& index);
// Parses an index payload; sizes must match the counts exactly. kCorrupt on error.
Result<LogIndex> parse_index_payload(std::span<const uint8_t> payload);

struct Trailer {
  uint64_t index_offset = 0;       // file offset of the index frame
  uint64_t index_frame_bytes = 0;  // its size including the 8-byte frame header
};
// Writes the 40-byte trailer frame to out.
void encode_trailer_frame(const Trailer& trailer, uint8_t* out);
// Checks the frame magic, size, payload magic, reserved zero and CRC.
bool parse_trailer_frame(const uint8_t* in, Trailer* out);

}  // namespace lx::wal
