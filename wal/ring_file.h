// The file-backed staging ring: the ring's header and records in a shared
// mapping of LOG.ring, so a killed process leaves them in the page cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lx/status.h"
#include "lx/wal/file_ops.h"
#include "staging_ring.h"

namespace lx::wal {

// Creates (truncating) path, mode 0600, allocates it for capacity_bytes of
// records (so no store into the mapping can fault on a full disk), maps it
// shared and stamps its header with log_identity. The file calls go through
// ops (nullptr: the system). On failure the file is gone.
Result<std::unique_ptr<RingMemory>> create_ring_file(const FileOps* ops, const std::string& path,
                                                     size_t capacity_bytes, uint32_t log_identity);

// What ties a ring file to its log: the CRC32C of the log's header frame
// extended over the log file's device and inode numbers (fd is the open log),
// so neither a log with the same header nor a ring file moved beside another
// log is mistaken for its own. @return false (errno set) when fd cannot be
// examined: then there is no identity to stamp or compare.
bool log_identity(const FileOps* ops, int fd, const uint8_t* header_frame, size_t bytes,
                  uint32_t* identity);

}  // namespace lx::wal
