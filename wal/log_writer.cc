// LogWriter: opening the log, the producer's append, the writer thread's loop
// over the staging ring, and the crash-time flush. The ring (staging_ring.h),
// the frames and index (frame_writer.h) and the raw crash frame
// (crash_frame.h) live in files of their own. Thread roles: the producer
// (driver) appends; the writer thread owns the FrameWriter; they meet in the
// ring, in WriterShared and in the wake eventfd.
#include "lx/wal/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "crash_flush_internal.h"
#include "crash_frame.h"
#include "crash_gate.h"
#include "fd_io.h"
#include "frame_writer.h"
#include "lx/monotonic_clock.h"
#include "lx/wal/crc32c.h"
#include "lx/wal/ring_recovery.h"
#include "ring_file.h"
#include "staging_ring.h"
#include "writer_shared.h"

namespace lx::wal {
LogWriter::LogWriter(std::string path, const LogHeader& header, const WriterOptions& options)
    : path_(std::move(path)),
      header_(header),
      options_(options),
      shared_(std::make_unique<WriterShared>()),
      producer_gate_(std::make_unique<CrashGate>()) {}

Result<std::unique_ptr<LogWriter>> LogWriter::open(const std::string& path, const LogHeader& header,
                                                   const WriterOptions& options) {
  if (options.staging_bytes < (64u << 10)) return Status::usage("staging buffer under 64 KiB");
  if (options.zstd_level < 0 || options.zstd_level > 19)
    return Status::usage("zstd level must be 0 (stored) to 19");
  if (options.flush_ms == 0) return Status::usage("flush interval must be at least 1 ms");
  if (options.max_log_bytes != 0 && options.max_log_bytes < 4096)
    return Status::usage("max log bytes must be 0 (unlimited) or at least 4096");

  // Tests may give no table and still inject faults (file_ops.h).
  WriterOptions resolved = options;
  if (resolved.file_ops == nullptr) resolved.file_ops = file_ops_for_test();
  // O_NOFOLLOW: --force must overwrite the file named, never the target of
  // a symbolic link planted there (O_EXCL alone refuses any link too).
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
  flags |= options.force ? O_TRUNC : O_EXCL;
  const int fd = file_open(resolved.file_ops, path.c_str(), flags, 0600);
  if (fd < 0) {
    const int e = errno;
    struct stat st {};
    if ((e == EEXIST || e == ELOOP) && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return Status::usage("log file " + path +
                           " is a symbolic link; a log is never written through one (it would "
                           "overwrite the file it points to): give the path of a regular file");
    }
    if (e == EEXIST) {
      return Status::usage("log file " + path +
                           " already exists; choose another name or pass --force to overwrite it");
    }
    return Status::io("cannot create log file " + path, e);
  }
  // Held while the writer writes; the kernel drops it when the process dies
  // (even by SIGKILL), which is how a follower knows the writer is gone.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) {
      return Status::usage("log file " + path +
                           " is being written by another process; choose another name");
    }
    return Status::io("cannot lock log file " + path, e);
  }
  if (options.force && ::fchmod(fd, 0600) != 0) {
    const int e = errno;
    ::close(fd);
    return Status::io("cannot set mode 0600 on " + path, e);
  }
  std::unique_ptr<LogWriter> writer(new LogWriter(path, header, resolved));
  Status started = writer->start(fd);
  if (!started.ok()) {
    // A log that never recorded an event is no log: leave no torn header
    // (or bare header) behind for a reader to puzzle over.
    writer.reset();
    ::unlink(path.c_str());
    return started;
  }
  return writer;
}

Status LogWriter::start(int fd) {
  fd_ = fd;
  LogHeader& h = header_;
  h.version_major = kFormatMajor;
  h.version_minor = kFormatMinor;
  if (h.host_name.empty()) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) h.host_name = name;
  }
  if (h.start_wall_time_ns == 0) {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    h.start_wall_time_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
  h.flush_ms = options_.flush_ms;
  h.zstd_level = options_.zstd_level;
  h.fsync = options_.fsync;
  h.max_log_bytes = options_.max_log_bytes;
  h.frame_restart_bytes = options_.frame_restart_bytes;

  const std::vector<uint8_t> frame = encode_header_frame(h);
  if (options_.max_log_bytes != 0 && frame.size() + 1024 > options_.max_log_bytes)
    return Status::usage("max log bytes too small for the header");
  int e = 0;
  if (!write_fully(options_.file_ops, fd_, frame.data(), frame.size(), &e))
    return Status::io("cannot write the header of " + path_, e);
  file_bytes_published_ = frame.size();

  frames_ = std::make_unique<FrameWriter>(fd_, path_, options_, frame.size(), h.first_event - 1,
                                          *shared_);
  shared_->file_last_event.store(h.first_event - 1);
  if (options_.ring_file) {
    ring_path_ = ring_file_path(path_);
    uint32_t identity = 0;
    auto memory =
        log_identity(options_.file_ops, fd_, frame.data(), frame.size(), &identity)
            ? create_ring_file(options_.file_ops, ring_path_, options_.staging_bytes, identity)
            : Status::io("cannot examine log file " + path_ + " to tie " + ring_path_ + " to it",
                         errno);
    if (memory.ok()) {
      ring_ = std::make_unique<StagingRing>(std::move(memory).value());
    } else {
      // Record anyway, staging in memory: a SIGKILL may then lose the last
      // flush interval (a crash handler still flushes on a fault).
      staging_note_ = memory.status().message() +
                      "; staging in memory instead (a SIGKILL may lose the last flush interval)";
      ring_path_.clear();
      ring_ = std::make_unique<StagingRing>(heap_ring_memory(options_.staging_bytes));
    }
  } else {
    ring_ = std::make_unique<StagingRing>(heap_ring_memory(options_.staging_bytes));
  }
  // After the ring file, which is all or nothing: the reservation makes do
  // with what the disk has left.
  frames_->reserve_space(0);
  if (shared_->failed()) return shared_->error();  // fallocate had an I/O error
  shared_->fit_limit.store(fit_limit());
  shared_->full_reason.store(static_cast<uint8_t>(frames_->full_reason()));
  if (!frames_->space_note().empty()) {
    staging_note_ += (staging_note_.empty() ? "" : "; ") + frames_->space_note();
  }
  wake_bytes_ = options_.staging_bytes / 8;
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::io("cannot create an eventfd", errno);
  thread_ = std::thread([this] { run(); });
  return ok_status();
}

LogWriter::~LogWriter() {
  (void)close();
  crash_flush_detach(this);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool LogWriter::accepting() const { return shared_->recording(); }
WriterState LogWriter::state() const { return shared_->state(); }
Status LogWriter::error() const { return shared_->error(); }
size_t LogWriter::staged_bytes() const {
  return static_cast<size_t>(ring_->produced() - ring_->tail());
}
size_t LogWriter::staging_capacity() const { return ring_->capacity(); }

uint64_t LogWriter::written_event() const { return shared_->file_last_event.load(); }
bool LogWriter::has_room(size_t record_bytes) {
  if (record_bytes > ring_->max_record_bytes() && accepting()) {
    // Not staged, so the space reserved ahead for the ring does not cover
    // it: have the writer reserve room for it first (and say if it cannot).
    room_request_bytes_.store(record_bytes, std::memory_order_release);
    producer_sleeps();
    while (uint64_t asked = room_request_bytes_.load(std::memory_order_acquire))
      room_request_bytes_.wait(asked, std::memory_order_acquire);
    producer_gate_->enter();
    producer_gate_->leave();
  }
  return ring_->produced() + record_bytes + kEndRecordsBytes <=
         shared_->fit_limit.load(std::memory_order_acquire);
}

EndReason LogWriter::full_reason() const {
  return static_cast<EndReason>(shared_->full_reason.load(std::memory_order_relaxed));
}

uint64_t LogWriter::fit_limit() const {
  if (frames_->limit_bytes() == UINT64_MAX) return UINT64_MAX;
  return tail_local_ + frames_->room_raw_bytes();
}

// ---------------------------------------------------------------- producer --

void LogWriter::wake_writer() noexcept {
  const uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already awake
  (void)ignored;
}

void LogWriter::producer_sleeps() noexcept {
  wake_writer();
  producer_gate_->leave();  // publishes nothing while blocked
}

bool LogWriter::append(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                       std::span<const uint8_t> data) {
  LX_ASSERT(!closed_);
  if (!producer_known_) {
    producer_known_ = true;
    producer_tid_.store(static_cast<int>(::gettid()));
  }
  // Before anything else: after a crash on another thread the flush may
  // have ended the log, and accepting() turned false; the event must not be
  // applied unlogged then, so the gate parks this thread first.
  producer_gate_->enter();
  const bool appended = append_inside(type, event, prefix, data);
  producer_gate_->leave();
  return appended;
}

bool LogWriter::append_inside(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                              std::span<const uint8_t> data) {
  if (!accepting()) [[unlikely]]
    return false;
  const uint64_t payload_bytes = prefix.size() + data.size();
  if (payload_bytes > record_type_info(type).max_payload_bytes()) [[unlikely]]
    return refuse_payload(type, payload_bytes);
  const size_t need = record_bytes(type, event, payload_bytes);
  if (need > ring_->max_record_bytes()) return append_oversize(type, event, prefix, data);
  uint8_t* at = ring_->reserve(
      need, [this] { producer_sleeps(); }, [this] { producer_gate_->enter(); });
  const size_t written = encode_record(at, type, event, prefix, data);
  LX_ASSERT_OP(written, ==, need);
  ring_->commit(need);
  if (ring_->produced() - wake_mark_ >= wake_bytes_) {
    wake_mark_ = ring_->produced();
    wake_writer();
  }
  return true;
}

bool LogWriter::refuse_payload(RecordType type, uint64_t payload_bytes) {
  // Recording such a record would make the log unreadable: stop recording.
  shared_->fail("a " + std::string(record_type_name(type)) + " record of " +
                    std::to_string(payload_bytes) + " bytes exceeds the limit of " +
                    std::to_string(record_type_info(type).max_payload_bytes()) + " bytes",
                0);
  return false;
}

bool LogWriter::append_oversize(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                                std::span<const uint8_t> data) {
  // Wait until the writer has every staged record in the file, then lend it
  // the caller's bytes and wait until it has compressed them.
  ring_->wait_until_drained([this] { producer_sleeps(); }, [this] { producer_gate_->enter(); });
  oversize_ = Oversize{type, event, prefix, data};
  oversize_pending_.store(1, std::memory_order_release);
  producer_sleeps();
  while (oversize_pending_.load(std::memory_order_acquire) != 0)
    oversize_pending_.wait(1, std::memory_order_acquire);
  // A crash meanwhile (on another thread) may have flushed without this
  // record: then the event must not be applied, so park at the gate.
  producer_gate_->enter();
  return true;
}

Status LogWriter::close() {
  if (closed_) return error();
  closed_ = true;
  closing_.store(true);
  if (wake_fd_ >= 0) wake_writer();
  if (thread_.joinable()) thread_.join();
  crash_flush_detach(this);
  // Every staged record is in the log (or the log failed): the ring file has
  // nothing left to recover.
  if (ring_) ring_->header().settled.store(1);
  if (!ring_path_.empty()) ::unlink(ring_path_.c_str());
  if (fd_ >= 0) {
    // Drops the lock. A network file system may report a write it deferred
    // only here: that is an error of the log like any other.
    if (file_close(options_.file_ops, fd_) != 0 && errno != EINTR)
      shared_->fail("cannot close log file " + path_, errno);
    fd_ = -1;
  }
  shared_->set_state(WriterState::kClosed);
  return error();
}

// ------------------------------------------------------------ writer thread --

void LogWriter::run() {
  writer_tid_.store(static_cast<int>(::gettid()));
  // Asynchronous signals belong to the driver thread; faults stay deliverable.
  sigset_t block;
  sigfillset(&block);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGXFSZ}) sigdelset(&block, s);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  ThreadAltStack alt_stack;

  int64_t next_flush_ms = monotonic_ms() + options_.flush_ms;
  for (;;) {
    const int64_t wait_ms = next_flush_ms - monotonic_ms();
    pollfd pfd{wake_fd_, POLLIN, 0};
    if (wait_ms > 0) ::poll(&pfd, 1, static_cast<int>(wait_ms));
    uint64_t count = 0;
    ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
    (void)ignored;
    if (crash_signal_.load() != 0) {
      crash_cooperate();
      for (;;) ::pause();  // the process is dying; write nothing more
    }
    const bool closing = closing_.load();
    // A pass takes at most a wake-up's worth, so the producer gets ring space
    // back while the writer compresses the rest (not after a whole ring).
    const bool more = process_ring(wake_bytes_);
    if (room_request_bytes_.load(std::memory_order_acquire) != 0) answer_room_request();
    if (oversize_pending_.load(std::memory_order_acquire) != 0) process_oversize();
    const int64_t now = monotonic_ms();
    if (shared_->recording() && frames_->end_seen()) {
      // The producer ended the log (closing, or a truncated log's last
      // checkpoint and end record): finish it now, index and all.
      frames_->finish(frames_->end_reason(), 0, true, now);
    }
    frames_->flush_point(now);
    frames_->sync_if_due(now, false);
    publish();
    if (now >= next_flush_ms) next_flush_ms = now + options_.flush_ms;
    if (more) next_flush_ms = now;  // no wait: the rest of the ring comes next
    if (closing && ring_->head() == tail_local_ && oversize_pending_.load() == 0) break;
  }
  if (shared_->recording()) frames_->finish(EndReason::kClosed, 0, true, monotonic_ms());
  publish();
  frames_->release_space();
}

void LogWriter::answer_room_request() {
  frames_->reserve_space(room_request_bytes_.load(std::memory_order_acquire));
  publish();
  room_request_bytes_.store(0, std::memory_order_release);
  room_request_bytes_.notify_all();
}

void LogWriter::publish() {
  frames_->reserve_space(0);
  shared_->full_reason.store(static_cast<uint8_t>(frames_->full_reason()),
                             std::memory_order_relaxed);
  file_bytes_published_.store(frames_->file_bytes());
  raw_bytes_published_.store(frames_->raw_bytes());
  shared_->fit_limit.store(fit_limit(), std::memory_order_release);
  // Ring space goes back only for records that are in the file. Once the
  // crash path has taken the file over (the gate is closed), this thread's
  // writes since may have been given up, and the crash frame takes their
  // records from the ring: releasing them would lose them.
  if (shared_->write_gate.try_enter()) {
    ring_->release(tail_local_);
    shared_->write_gate.leave();
  }
}

bool LogWriter::process_ring(uint64_t max_bytes) {
  const uint64_t head = ring_->head();
  // The producer encoded these records (CRC included) in this process:
  // FrameWriter reads each stretch of the ring itself, their headers only,
  // and compresses each run of adjacent records in one call (not a zstd call
  // per 34-byte record).
  const uint64_t reached = ring_->walk_stretches(
      tail_local_, head,
      [&](const uint8_t* records, size_t bytes, uint64_t budget) {
        return frames_->add_staged_records(records, bytes, budget);
      },
      max_bytes);
  frames_->compress_staged();  // before the ring space is released
  // The producer wrote these bytes with encode_record: anything that does not
  // parse is memory corruption, which must not reach the file.
  LX_ASSERT(reached == head || reached - tail_local_ >= max_bytes);
  tail_local_ = reached;
  return reached != head;
}

void LogWriter::process_oversize() {
  const Oversize& o = oversize_;
  const uint64_t payload_bytes = o.prefix.size() + o.data.size();
  uint8_t header[kMaxRecordOverheadBytes];
  const size_t n = encode_record_header(header, o.type, o.event, payload_bytes);
  uint32_t crc = record_crc(kWrittenRecordCrc, header, varint_bytes(o.event), n);
  crc = crc32c_extend(crc, o.prefix.data(), o.prefix.size());
  crc = crc32c_extend(crc, o.data.data(), o.data.size());
  uint8_t crc_bytes[kRecordCrcBytes];
  put_u32(crc_bytes, crc);
  const FrameWriter::Part parts[4] = {{header, n},
                                      {o.prefix.data(), o.prefix.size()},
                                      {o.data.data(), o.data.size()},
                                      {crc_bytes, sizeof crc_bytes}};
  // Only set_lua_source and recv_incoming get this large; neither is read
  // back by the writer, so the payload span may stay empty.
  frames_->add(o.type, o.event, parts, n + payload_bytes + kRecordCrcBytes, {});
  frames_->flush_point(monotonic_ms());
  oversize_pending_.store(0, std::memory_order_release);
  oversize_pending_.notify_all();
}

void LogWriter::crash_cooperate() {
  const int signo = crash_signal_.load();
  process_ring();
  if (shared_->recording()) {
    // No index: a crashed log is read front to back. fsync unless "never".
    frames_->finish(EndReason::kCrashed, signo, false, monotonic_ms());
  }
  ring_->header().settled.store(1);
  crash_done_.store(1);
}

// ------------------------------------------------------------- signal path --

void LogWriter::flush_for_signal(int signo, int wait_ms) noexcept {
  if (!shared_->recording()) return;  // closed, truncated or failed: nothing to add
  const int self = static_cast<int>(::gettid());
  // First stop the producer: on another thread it would go on staging and
  // applying events (and sending their output) that this flush misses.
  producer_gate_->close();
  if (self != producer_tid_.load()) (void)producer_gate_->wait_until_outside(kProducerWaitMs);
  const bool writer_answers = self != writer_tid_.load() && wait_ms > 0 && thread_.joinable();
  if (writer_answers) {
    crash_signal_.store(signo);
    wake_writer();
    const timespec step{0, 1000000};  // 1 ms
    for (int waited = 0; waited < wait_ms; ++waited) {
      if (crash_done_.load() != 0) return;
      ::nanosleep(&step, nullptr);
    }
  }
  // The writer thread writes nothing more into the file, and a write of its
  // in progress ends first (unless this is the writer thread, crashed).
  shared_->write_gate.close();
  if (self != writer_tid_.load()) (void)shared_->write_gate.wait_until_outside(kWriterWaitMs);
  if (options_.before_crash_frame_for_test != nullptr) options_.before_crash_frame_for_test();
  if (write_crash_frame(options_.file_ops, fd_, *ring_, shared_->file_last_event.load(), signo))
    ring_->header().settled.store(1);
}

}  // namespace lx::wal
