// The crash path's own frame: when the writer thread cannot be asked (it is
// the thread that crashed, or it does not answer in time), the signal handler
// writes every staged record itself, as a crash marker and a zstd frame of
// raw blocks, then an end record "crashed". Async-signal-safe: write() and
// pure encoding only.
#pragma once

#include <cstdint>

#include "lx/wal/file_ops.h"
#include "staging_ring.h"

namespace lx::wal {

// Writes the marker, the staged records in [ring.tail(), ring.head()) and the
// end record "crashed" (detail signo) to fd. last_event: the last event
// already in the file (the end record names the last event of all).
// Writes go through ops (nullptr: the system; lx/wal/file_ops.h). @return
// false if a write failed. Also used to recover a killed writer's ring file
// (ring_recovery.h).
bool write_crash_frame(const FileOps* ops, int fd, const StagingRing& ring, uint64_t last_event,
                       int signo) noexcept;

}  // namespace lx::wal
