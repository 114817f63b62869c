// Recovery of a killed recorder's staged records. LogWriter stages records in
// a file-backed ring beside the log (LOG.ring), so what a process had staged
// but not yet written when it died (SIGKILL, the OOM killer: no crash handler
// runs) is still in the page cache. The next open of the log (lxdump,
// lxreplay, lxdiff, lxrun --record) appends those records to it, as the crash
// flush would have, and removes the ring file.
#pragma once

#include <cstdint>
#include <string>

#include "lx/status.h"

namespace lx::wal {

// LOG.ring for LOG.
std::string ring_file_path(const std::string& log_path);

struct RingRecovery {
  bool ring_found = false;  // LOG.ring existed
  uint64_t records = 0;     // records appended to the log from it
  uint64_t record_bytes = 0;
  std::string note;  // one line for the user when something was done or skipped
};

// If LOG.ring exists and no writer holds the log: appends its staged records
// to the log (a crash marker, a raw frame, an end record "crashed" with
// detail 0), syncs, and removes the ring file. A ring file that belongs to
// another log (its identity differs) or that the log already holds (settled)
// is removed. Leaves everything alone while a writer holds the log's lock.
// @return what was done, or kIo (cannot write the log: read-only, say) with
// the log untouched.
Result<RingRecovery> recover_ring_file(const std::string& log_path);

}  // namespace lx::wal
