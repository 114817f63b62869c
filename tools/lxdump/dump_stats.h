// DumpStats: lxdump --stats: events per type, bytes per channel, duration
// and rate, size and compression, checkpoints, and the log's health.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>

#include "lx/wal/format.h"
#include "lx/wal/log_reader.h"

namespace lx::tools {

class DumpStats {
 public:
  // Counts a selected record (accepted_chid: the chid a notify_accept made).
  void count(const wal::Record& record, std::optional<int32_t> accepted_chid);
  void print(const wal::LogReader& reader, bool json, std::FILE* out) const;

 private:
  struct ChannelStats {
    uint64_t events = 0;
    uint64_t recv_bytes = 0;
    uint64_t sent_bytes = 0;
  };
  std::map<wal::RecordType, uint64_t> per_type_;
  std::map<int32_t, ChannelStats> channels_;
  uint64_t events_ = 0;
  uint64_t checkpoints_ = 0;
  uint64_t snapshots_ = 0;           // snapshot_taken records
  uint64_t snapshot_bytes_ = 0;      // bytes of their streams in snapshot_data records
  uint64_t snapshots_complete_ = 0;  // snapshot_data records marked last
  std::optional<double> first_clock_, last_clock_;
};

// What the reader knows of the log's health, in words ("closed cleanly,
// index present", "2 damaged span(s), 310 bytes dropped").
std::string health_detail(const wal::LogReader& reader);

}  // namespace lx::tools
