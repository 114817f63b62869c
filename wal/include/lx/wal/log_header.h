// The log's file header: what a replay needs to rebuild the engine exactly
// (seed, heap, engine ABI) and what a reader of the log wants to know (host,
// time, recorder options). Encoded as the first skippable frame of the file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lx/status.h"

namespace lx::wal {

// When written bytes reach the disk (docs/recording.md).
enum class FsyncMode : uint8_t {
  kNever = 0,     // the kernel decides; survives a process crash, not a power cut
  kInterval = 1,  // fdatasync at most once per fsync_interval_ms, after a write
  kAlways = 2,    // fdatasync after every flush (every flush_ms at most)
};
std::string_view fsync_mode_name(FsyncMode mode);
// Parses "never" | "interval" | "always". @return false for anything else.
bool fsync_mode_from_name(std::string_view name, FsyncMode* mode);

// The limits the engine ran the app under (lx_engine_config's ABI 2 fields),
// recorded since format 1.1 so a replay creates the engine with them.
struct AppLimits {
  uint64_t instruction_budget = 0;  // VM instructions per entry point; 0 unlimited
  uint64_t memory_cap_bytes = 0;    // the app's memory; 0 no cap but the region
  bool operator==(const AppLimits&) const = default;
};
// "instruction_budget=N memory_cap_bytes=M", or "none recorded" for a log
// older than format 1.1.
std::string app_limits_text(const std::optional<AppLimits>& limits);

// The random 128-bit name of one recording, shared by all of its segments.
using RecordingId = std::array<uint8_t, 16>;
// 32 lowercase hex digits.
std::string recording_id_text(const RecordingId& id);

struct LogHeader {
  // Format version of the file; set by the writer, read back by the reader.
  uint16_t version_major = 0;
  uint16_t version_minor = 0;
  // The engine the events were recorded against.
  uint32_t engine_abi_version = 0;
  std::string engine_build_id;  // at most 256 bytes
  uint64_t seed = 0;
  uint64_t heap_base = 0;
  uint64_t heap_bytes = 0;
  std::vector<uint8_t>
      app_source_digest;           // the driver's digest of the source blob; at most 64 bytes
  std::string host_name;           // at most 256 bytes; the writer fills it when empty
  int64_t start_wall_time_ns = 0;  // Unix time; the writer fills it when 0
  // Recorder options. checkpoint_every comes from the driver (RecorderOptions);
  // the writer overwrites the rest with the WriterOptions it runs with.
  uint64_t checkpoint_every = 0;
  uint32_t flush_ms = 0;
  int32_t zstd_level = 0;
  FsyncMode fsync = FsyncMode::kNever;
  uint64_t max_log_bytes = 0;
  uint64_t frame_restart_bytes = 0;
  // Anything else the driver wants a reader to see, as "key=value" lines
  // (listen addresses, tick_ms, the command line). At most 4096 bytes.
  std::string options_text;
  // Format 1.1: the app's limits. Absent in a 1.0 log (recorded with none).
  std::optional<AppLimits> limits;
  // Format 1.3: where the file stands in its recording. A recording into one
  // file holds it all: first_event 1, segment 0. A recording into a directory
  // is a chain of segments (docs/wal-format.md, "Segments"), numbered from 1;
  // each names the recording it belongs to and the first event it holds, and
  // all but the first begin with a snapshot of the event before that. A log
  // older than 1.3 reads as first_event 1, segment 0, recording_id zero.
  uint64_t first_event = 1;
  uint64_t segment = 0;
  RecordingId recording_id{};

  bool operator==(const LogHeader&) const = default;
};

// Encodes the whole header skippable frame (magic, size, payload).
// Strings longer than their limit are cut to it.
std::vector<uint8_t> encode_header_frame(const LogHeader& header);

// Parses a header frame's payload (after the 8-byte skippable frame header).
// Errors (kCorrupt): wrong magic ("not an lx log"), bad CRC, a newer major
// version (the message says which reader to use), fields past the payload.
Result<LogHeader> parse_header_payload(std::span<const uint8_t> payload);

// Builds a skippable frame around a payload: magic (LE), size (LE), payload.
std::vector<uint8_t> skippable_frame(uint32_t magic, std::span<const uint8_t> payload);

}  // namespace lx::wal
