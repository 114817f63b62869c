// A recording kept as a directory of segments (lxrun --record DIR/): how a
// segment file is named, so that `ls` sorts them in event order, and how a
// directory's segments are listed. One definition for the driver, which
// writes and deletes them, and the reader, which chains them
// (docs/wal-format.md, "Segments").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lx/status.h"

namespace lx::wal {

// The first event number in 20 digits (every uint64 fits, so the names sort
// as the numbers do), then ".lxw": "00000000000000500001.lxw".
std::string segment_file_name(uint64_t first_event);
// True for a name segment_file_name makes, with its first event.
bool parse_segment_file_name(std::string_view name, uint64_t* first_event);

struct SegmentFile {
  std::string path;  // dir/name
  std::string name;
  uint64_t first_event = 0;  // from the name
  uint64_t bytes = 0;        // the file's size when listed
};

// True when path names a directory (following symbolic links).
bool is_directory(const std::string& path);

// The segment files in dir, in event order; other files are left out.
// @return kCorrupt when dir does not exist or is not a directory, kIo when
// it cannot be read.
Result<std::vector<SegmentFile>> list_segments(const std::string& dir);

// dir joined with name ("dir/name", one slash).
std::string path_in(const std::string& dir, std::string_view name);

}  // namespace lx::wal
