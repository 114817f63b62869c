// lxrun's recording flags (--record and the recorder options of DESIGN.md
// section 5) as plain data: main.cc fills them, Recording checks and uses them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lx::driver {

// What lxrun does when the log cannot be written (disk full, I/O error).
enum class OnLogError {
  kContinue,  // warn once and serve on unrecorded; exit 4 at the end
  kStop,      // stop the server gracefully; exit 4
};

struct RecordOptions {
  static constexpr uint32_t kDefaultFlushMs = 50;
  static constexpr int kDefaultZstdLevel = 1;
  static constexpr uint64_t kDefaultCheckpointEvery = 1000;  // wal::RecorderOptions' default
  // docs/recording.md, "Snapshots", has the measurements behind these.
  static constexpr uint64_t kDefaultSnapshotEvery = 500000;
  static constexpr double kDefaultSnapshotSeconds = 600;
  // docs/recording.md, "Segments".
  static constexpr uint64_t kDefaultSegmentBytes = 256ull << 20;

  std::string path;                                     // --record FILE.lxw; empty: no recording
  uint32_t flush_ms = kDefaultFlushMs;                  // --flush-ms MS
  std::string fsync = "never";                          // --fsync never|interval|always
  uint64_t checkpoint_every = kDefaultCheckpointEvery;  // --checkpoint-every N (0: at the end only)
  int zstd_level = kDefaultZstdLevel;                   // --zstd-level L (0 stored, 1..19)
  uint64_t snapshot_every = kDefaultSnapshotEvery;  // --snapshot-every N events (0: not by events)
  double snapshot_s = kDefaultSnapshotSeconds;      // --snapshot-s S (0: not by time)
  uint64_t max_log_bytes = 0;                       // --max-log-bytes N[K|M|G]; 0: no limit
  // --record DIR/ only (a directory of segments):
  uint64_t segment_bytes = kDefaultSegmentBytes;  // --segment-bytes N[K|M|G]: a new segment past it
  double segment_s = 0;                           // --segment-s S: a new one every S s (0: no)
  uint64_t keep_segments = 0;  // --keep-segments K: delete all but K (0: keep all)
  bool force = false;          // --force: overwrite an existing log
  OnLogError on_log_error = OnLogError::kContinue;  // --on-log-error continue|stop
  // The recording flags given on the command line (e.g. "--flush-ms"), so
  // that using them without --record can be refused.
  std::vector<std::string> flags_given;
};

}  // namespace lx::driver
