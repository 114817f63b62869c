// WriterShared: the little state a LogWriter's threads share: whether the log
// still takes records, its first error, the gate the crash path closes when
// it takes the file over, and whether the writer asks the producer to end the log soon (it is
// near --max-log-bytes, the file-size limit or a full disk). Every member is
// safe to use from any thread.
#pragma once

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

#include "crash_gate.h"
#include "lx/status.h"
#include "lx/wal/log_writer.h"

namespace lx::wal {

class WriterShared {
 public:
  WriterState state() const { return static_cast<WriterState>(state_.load()); }
  bool recording() const { return state_.load(std::memory_order_relaxed) == kRecording; }
  // kRecording -> next; a failed log stays failed.
  void set_state(WriterState next) {
    if (state() != WriterState::kFailed) state_.store(static_cast<int>(next));
  }
  // Ends recording with an I/O error (errno_value 0: what says it all). The
  // first error is kept.
  void fail(const std::string& what, int errno_value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error_.ok()) error_ = errno_value != 0 ? Status::io(what, errno_value) : Status::io(what);
    }
    state_.store(static_cast<int>(WriterState::kFailed));
  }
  bool failed() const { return state() == WriterState::kFailed; }
  Status error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

  // The writer thread passes it for each write to the file; the crash path
  // closes it when it writes the file itself: nobody else may then.
  CrashGate write_gate;
  // The last event whose record is wholly in the file (flushed and
  // written), stored inside write_gate: what a crash frame's end record
  // names when the handler takes the file over.
  std::atomic<uint64_t> file_last_event{0};
  // With max_log_bytes: the staging ring position up to which staged records
  // surely fit in the file (a pessimistic bound the writer thread raises as
  // it writes), so the producer can end the log while its last checkpoint
  // and end record still fit.
  std::atomic<uint64_t> fit_limit{UINT64_MAX};
  // The end reason when fit_limit stops the log (an EndReason).
  std::atomic<uint8_t> full_reason{static_cast<uint8_t>(EndReason::kTruncated)};

 private:
  static constexpr int kRecording = static_cast<int>(WriterState::kRecording);
  std::atomic<int> state_{kRecording};
  mutable std::mutex mutex_;
  Status error_;
};

}  // namespace lx::wal
