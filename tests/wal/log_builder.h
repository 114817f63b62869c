// LogBuilder: assembles a log byte by byte (header, zstd frames of chosen
// records, raw crash frames, crash markers, index and trailer, garbage), so
// each reader error path can be produced exactly, in memory.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "lx/wal/format.h"
#include "lx/wal/log_header.h"
#include "lx/wal/log_index.h"

namespace lx::wal::test {

// One encoded record: event records by type, or any bytes.
std::vector<uint8_t> record_bytes_of(const Record& record);
std::vector<uint8_t> event_record(RecordType type, uint64_t event);  // fields left at defaults
std::vector<uint8_t> recv_record(uint64_t event, int32_t chid, std::string_view bytes);
std::vector<uint8_t> end_record(uint64_t event, EndReason reason = EndReason::kClosed);
// events first..last as set_clock records.
std::vector<uint8_t> clock_records(uint64_t first, uint64_t last);
// Any header and payload bytes (a one-byte type, then the event varint)
// with a valid CRC under the written rule after them.
std::vector<uint8_t> raw_record(std::vector<uint8_t> head_and_payload);
// The parts, one after another.
std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts);

class LogBuilder {
 public:
  LogBuilder();  // starts with a valid header frame
  // A zstd frame (level 1, content checksum) of the given record bytes.
  // @return the frame's offset in the log.
  uint64_t zstd_frame(const std::vector<uint8_t>& records);
  // A crash marker and a raw-block frame of the record bytes, as the crash flush writes.
  uint64_t crash_flush(const std::vector<uint8_t>& records, int signo = 11);
  // The index of the frames added so far and the trailer.
  void index_and_trailer(uint64_t event_count);
  void append(std::span<const uint8_t> bytes);
  void append(std::string_view text);
  std::vector<uint8_t>& bytes() { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
  LogIndex index_;
};

}  // namespace lx::wal::test
