// Preparing, pruning and naming a directory of segments (see segment_directory.h).
#include "segment_directory.h"

#include <errno.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>

#include "lx/wal/segments.h"

namespace lx::driver {
namespace {

Status delete_segment(const wal::SegmentFile& segment) {
  if (::unlink(segment.path.c_str()) != 0 && errno != ENOENT)
    return Status::io("cannot delete " + segment.path, errno);
  const std::string ring = segment.path + ".ring";
  if (::unlink(ring.c_str()) != 0 && errno != ENOENT)
    return Status::io("cannot delete " + ring, errno);
  return ok_status();
}

}  // namespace

bool records_into_directory(const std::string& path) {
  return (!path.empty() && path.back() == '/') || wal::is_directory(path);
}

Status prepare_segment_directory(const std::string& dir, bool force) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::io("cannot make the directory " + dir, errno);
  if (!wal::is_directory(dir)) {
    return Status::usage(
        fmt::format("--record {}: not a directory; name a directory to record segments into, "
                    "or a file without the trailing /",
                    dir));
  }
  auto listed = wal::list_segments(dir);
  if (!listed.ok()) return Status::io(listed.status().message());
  if (listed.value().empty()) return ok_status();
  if (!force) {
    return Status::usage(fmt::format(
        "--record {}: the directory holds {} segment(s) of a recording already; record into an "
        "empty directory, or add --force to delete them",
        dir, listed.value().size()));
  }
  for (const wal::SegmentFile& segment : listed.value()) {
    if (Status deleted = delete_segment(segment); !deleted.ok()) return deleted;
  }
  return ok_status();
}

Result<uint64_t> keep_newest_segments(const std::string& dir, uint64_t keep) {
  auto listed = wal::list_segments(dir);
  if (!listed.ok()) return Status::io(listed.status().message());
  const std::vector<wal::SegmentFile>& segments = listed.value();
  uint64_t deleted = 0;
  for (size_t i = 0; i + keep < segments.size(); ++i) {
    if (Status s = delete_segment(segments[i]); !s.ok()) return s;
    ++deleted;
  }
  return deleted;
}

wal::RecordingId new_recording_id() {
  wal::RecordingId id{};
  if (uv_random(nullptr, nullptr, id.data(), id.size(), 0, nullptr) != 0) {
    // No entropy source: the time and the process still tell recordings apart.
    uv_timeval64_t now;
    (void)uv_gettimeofday(&now);
    const uint64_t a = static_cast<uint64_t>(now.tv_sec) * 1000000 + now.tv_usec;
    const uint64_t b = static_cast<uint64_t>(::getpid()) ^ uv_hrtime();
    std::memcpy(id.data(), &a, 8);
    std::memcpy(id.data() + 8, &b, 8);
  }
  return id;
}

}  // namespace lx::driver
