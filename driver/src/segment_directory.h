// The directory lxrun --record DIR/ records into (docs/recording.md,
// "Segments"): made ready before the first segment, and kept to the last
// --keep-segments segments after each rotation. The segment names are the
// wal's (lx/wal/segments.h).
#pragma once

#include <cstdint>
#include <string>

#include "lx/status.h"
#include "lx/wal/log_header.h"

namespace lx::driver {

// True when --record names a directory: it ends in '/' or is one.
bool records_into_directory(const std::string& path);

// Creates dir (mode 0700) when it does not exist. A directory that already
// holds segments is refused (kUsage, saying what to do) unless force, which
// deletes them (and their .ring files) first. kIo when it cannot be made or
// read.
Status prepare_segment_directory(const std::string& dir, bool force);

// Deletes the oldest segments of dir (and their .ring files) until at most
// keep remain. @return how many were deleted, or kIo.
Result<uint64_t> keep_newest_segments(const std::string& dir, uint64_t keep);

// A fresh random name for a recording.
wal::RecordingId new_recording_id();

}  // namespace lx::driver
