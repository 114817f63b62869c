// The raw crash frame (see crash_frame.h).
#include "crash_frame.h"

#include "fd_io.h"

namespace lx::wal {

bool write_crash_frame(const FileOps* ops, int fd, const StagingRing& ring, uint64_t last_event,
                       int signo) noexcept {
  int e = 0;
  uint8_t marker[kCrashFrameBytes];
  encode_crash_marker(signo, marker);
  if (!write_fully(ops, fd, marker, sizeof marker, &e) ||
      !write_fully(ops, fd, kRawFrameHeader, sizeof kRawFrameHeader, &e))
    return false;
  bool ok = true;
  auto write_block = [&](const uint8_t* data, size_t bytes, bool last) {
    uint8_t header[kBlockHeaderBytes];
    encode_raw_block_header(header, bytes, last);
    ok = ok && write_fully(ops, fd, header, sizeof header, &e) &&
         write_fully(ops, fd, data, bytes, &e);
  };
  // Contiguous runs of records go out as raw blocks of at most 128 KiB.
  const uint8_t* run = nullptr;
  size_t run_bytes = 0;
  auto emit_run = [&] {
    for (size_t done = 0; done < run_bytes; done += kRawBlockMaxBytes)
      write_block(run + done, std::min(kRawBlockMaxBytes, run_bytes - done), false);
    run_bytes = 0;
  };
  bool end_staged = false;  // the producer ended the log itself (finish, truncation)
  ring.walk(ring.tail(), ring.head(), [&](const RawRecord& raw, const uint8_t* at) {
    if (raw.type == static_cast<uint64_t>(RecordType::kEnd)) end_staged = true;
    // Every record carries its event (a non-event the one it follows).
    if (raw.event > last_event) last_event = raw.event;
    if (run_bytes != 0 && run + run_bytes != at) emit_run();
    if (run_bytes == 0) run = at;
    run_bytes += raw.record_bytes;
  });
  emit_run();
  if (end_staged) {
    write_block(nullptr, 0, true);  // the log has its end record already
    return ok;
  }
  const PayloadPrefix prefix = prefix_end(EndReason::kCrashed, signo);
  uint8_t record[kMaxRecordOverheadBytes + sizeof prefix.bytes];
  // Under the ring's rule: an older lx's ring ends that lx's log.
  const size_t n = encode_record(record, RecordType::kEnd, last_event, prefix.span(), {},
                                 ring.record_crc_rule());
  write_block(record, n, true);
  return ok;
}

}  // namespace lx::wal
