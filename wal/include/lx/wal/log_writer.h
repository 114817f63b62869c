// LogWriter: the driver thread appends records into a bounded staging ring
// (staging_ring.h) with no lock, no allocation and no system call; a writer
// thread compresses them into zstd frames, writes, flushes and fsyncs
// (frame_writer.h), and on close writes the index and trailer; a fatal
// signal gets every staged record into the file (crash_frame.h).
// docs/recording.md explains the design and the numbers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "lx/status.h"
#include "lx/wal/format.h"
#include "lx/wal/log_header.h"
#include "lx/wal/log_index.h"

namespace lx::wal {

struct FileOps;  // lx/wal/file_ops.h

struct WriterOptions {
  // Bytes of staging ring between the driver thread and the writer thread.
  // Records larger than half of it are handed over synchronously (docs).
  size_t staging_bytes = 16u << 20;
  // Longest time an appended record waits before it is written to the file.
  uint32_t flush_ms = 50;
  FsyncMode fsync = FsyncMode::kNever;
  // kInterval: fdatasync at most this often, and only after a write.
  uint32_t fsync_interval_ms = 1000;
  int zstd_level = 1;  // 1..19; 0 stores the records in raw blocks
  // A frame ends (a restart point) after this many record bytes or this long.
  uint64_t frame_restart_bytes = 4u << 20;
  uint32_t frame_restart_ms = 10000;
  // 0 = unlimited. Otherwise at least 4096: the file never grows past it;
  // when the next record would not fit, the log ends "truncated".
  uint64_t max_log_bytes = 0;
  bool force = false;  // overwrite an existing file (else it is an error)
  // Stage records in LOG.ring, a shared file mapping beside the log, so what
  // a killed process (SIGKILL, the OOM killer) had staged survives it and the
  // next open of the log recovers it (ring_recovery.h). Off: plain memory.
  bool ring_file = true;
  // Tests only (nullptr otherwise): the writer thread calls it before each
  // write to the log after the header, with the count of such writes so
  // far, 1 for the first, where nothing else can write the file; a test
  // makes it fault (a crash inside the writer) or stall.
  void (*before_write_for_test)(uint64_t write_number) = nullptr;
  // Tests only: the crash handler calls it right before it writes the
  // crash frame itself (it must be async-signal-safe); a test makes it
  // sleep, so that a live writer thread runs on meanwhile.
  void (*before_crash_frame_for_test)() = nullptr;
  // Tests only: the table the writer makes its file calls through (every
  // call on the log and its ring file but flock, fchmod and mmap; the crash
  // frame's writes too), which fails the calls a test chooses
  // (lx/wal/file_ops.h). nullptr: the system, with nothing added.
  const FileOps* file_ops = nullptr;
};

enum class WriterState : int {
  kRecording = 0,  // appends are written
  kTruncated = 1,  // max_log_bytes reached; the file is closed and readable
  kFailed = 2,     // an I/O error; error() says which; the file ends with what was written
  kClosed = 3,     // close() ran
};

class StagingRing;
class FrameWriter;
class WriterShared;
class CrashGate;

class LogWriter {
 public:
  // Creates `path` (mode 0600; O_EXCL unless options.force), locks it (a
  // follower sees the writer alive while the lock is held), writes the
  // header and starts the writer thread. Fills header.host_name and
  // start_wall_time_ns when empty and the writer fields from options.
  // @return the writer, or kUsage (bad options; the file exists without
  // force; another process writes it) or kIo (cannot create or write it).
  static Result<std::unique_ptr<LogWriter>> open(const std::string& path, const LogHeader& header,
                                                 const WriterOptions& options);

  // Closes the log if close() was not called (ignoring its status).
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // ---- Producer API: one thread (the driver's) only ----

  // Appends one record: the payload is prefix followed by data. Never drops a
  // record while recording: blocks only while the writer thread is a whole
  // staging buffer behind. @return false (and does nothing) once the writer
  // is not recording: truncated, failed or closed.
  bool append(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
              std::span<const uint8_t> data);

  // False when record_bytes more bytes of records might not fit in the file
  // (a pessimistic bound): under max_log_bytes, under the file-size limit,
  // or, once the disk is full, in the space the writer reserved ahead. The
  // producer then ends the log with a last checkpoint and an end record
  // (full_reason()), for which the bound keeps room. A record too large for
  // the ring first has the writer reserve space for it (a hand-over: this
  // may block). (Recorder does.)
  bool has_room(size_t record_bytes);
  // Bytes appended that the writer thread has not taken yet, and the
  // ring's size: a producer with bulk to append (a snapshot's stream) holds
  // it back while the ring is half full rather than block in append().
  size_t staged_bytes() const;
  size_t staging_capacity() const;
  // The end reason for a log has_room() refused: kTruncated at
  // max_log_bytes, kLogError at the file-size limit or a full disk.
  EndReason full_reason() const;
  // Bytes the bound keeps for that last checkpoint and end record.
  static constexpr size_t kEndRecordsBytes = 128;

  // Drains every appended record, writes an end record (kClosed) unless one
  // was appended, ends the frame, writes the index and trailer, fsyncs
  // (unless kNever), closes the file and removes LOG.ring. Idempotent.
  // @return the first I/O error of the log's life, or ok.
  Status close();

  // ---- Any thread ----

  // True while appends are written (state() == kRecording).
  bool accepting() const;
  WriterState state() const;
  // The first I/O error (one line: "<what>: <why>"), or ok.
  Status error() const;
  const LogHeader& header() const { return header_; }
  // Why records are staged in memory although a ring file was asked for
  // (e.g. "cannot allocate the staging file LOG.ring: No space left on
  // device; ..."), else empty.
  const std::string& staging_note() const { return staging_note_; }
  const std::string& path() const { return path_; }
  // Record bytes and file bytes so far (exact after close()). Both count
  // what the writer compressed, which may not be in the file yet.
  uint64_t raw_bytes() const { return raw_bytes_published_.load(); }
  uint64_t file_bytes() const { return file_bytes_published_.load(); }
  // What the log acknowledges: the last event whose record, with every
  // record before it, the writer has written in full and flushed through
  // zstd, so that a reader decodes it from the file (in the page cache;
  // on the disk too only after a sync, --fsync). Moves at each flush point
  // and stops for good when the log fails. 0 before the first.
  uint64_t written_event() const;

  // ---- Crash path (crash_flush.cc) ----

  // Async-signal-safe: first stops the producer (on another thread, waits
  // until its append in progress has published; any later append sleeps
  // until the process dies), then gets every appended record into the file,
  // waiting up to wait_ms for the writer thread, else writing them itself
  // as a raw zstd frame after a crash marker. Then the writer writes
  // nothing more.
  void flush_for_signal(int signo, int wait_ms) noexcept;

 private:
  LogWriter(std::string path, const LogHeader& header, const WriterOptions& options);
  Status start(int fd);

  // Producer side.
  bool append_inside(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                     std::span<const uint8_t> data);
  bool append_oversize(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                       std::span<const uint8_t> data);
  // A payload over its type's limit: fails the log. @return false. Out of
  // line, so that the append path has no string to set up.
  __attribute__((noinline, cold)) bool refuse_payload(RecordType type, uint64_t payload_bytes);
  void wake_writer() noexcept;
  // Before the producer blocks (a full ring, a hand-over): wakes the writer
  // and steps out of the gate.
  void producer_sleeps() noexcept;

  // Writer thread.
  void run();
  // Takes the staged records into the log, about max_bytes of them at most
  // (a pass of the writer loop: the ring space goes back after each).
  // @return true when more were staged than it took.
  bool process_ring(uint64_t max_bytes = UINT64_MAX);
  void process_oversize();
  void answer_room_request();
  void publish();
  // The fit limit for the current position (UINT64_MAX without max_log_bytes).
  uint64_t fit_limit() const;
  void crash_cooperate();

  const std::string path_;
  LogHeader header_;
  const WriterOptions options_;

  int fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<int> writer_tid_{0};
  std::unique_ptr<WriterShared> shared_;
  std::unique_ptr<StagingRing> ring_;
  std::string ring_path_;  // LOG.ring when the ring is file-backed
  std::string staging_note_;
  std::unique_ptr<FrameWriter> frames_;  // writer thread only
  // Stops the producer before a crash flush (crash_gate.h). Its thread is
  // the one that appends first.
  std::unique_ptr<CrashGate> producer_gate_;
  std::atomic<int> producer_tid_{0};
  bool producer_known_ = false;  // producer-only
  // How long the crash handler waits for an append in progress to finish.
  static constexpr int kProducerWaitMs = 1000;
  // How long it waits for a write of the writer thread in progress to end
  // before it writes the staged records itself.
  static constexpr int kWriterWaitMs = 1000;

  // Producer-only.
  uint64_t wake_mark_ = 0;
  size_t wake_bytes_ = 0;
  bool closed_ = false;

  // Oversize hand-over (the producer waits on oversize_pending_).
  struct Oversize {
    RecordType type;
    uint64_t event;
    std::span<const uint8_t> prefix, data;
  } oversize_{};
  std::atomic<uint32_t> oversize_pending_{0};
  // Space for a record too large for the ring, asked of the writer before
  // it is appended (has_room); 0 when nothing is asked.
  std::atomic<uint64_t> room_request_bytes_{0};

  std::atomic<bool> closing_{false};
  std::atomic<int> crash_signal_{0};
  std::atomic<int> crash_done_{0};
  uint64_t tail_local_ = 0;  // writer thread: ring position taken
  std::atomic<uint64_t> raw_bytes_published_{0};
  std::atomic<uint64_t> file_bytes_published_{0};
};

}  // namespace lx::wal
