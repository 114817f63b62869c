// The staging ring, the writer thread and the crash-time flush of LogWriter.
// Thread roles: the producer (driver) owns head_local_/tail_seen_; the writer
// thread owns everything under "Writer-thread state"; they meet in head_,
// tail_, state_ and the wake eventfd.
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
#include <zstd.h>

#include <chrono>
#include <cstring>

#include "crash_flush_internal.h"
#include "lx/wal/crc32c.h"

namespace lx::wal {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// write() until done; EINTR is retried. Async-signal-safe.
bool write_fully(int fd, const uint8_t* data, size_t bytes, int* error_out) noexcept {
  while (bytes > 0) {
    const ssize_t n = ::write(fd, data, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error_out = errno;
      return false;
    }
    data += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

// Upper bound of the bytes zstd emits for raw input bytes in one flush:
// blocks fall back to raw (3-byte header per 128 KiB), plus a frame header.
uint64_t compressed_bound(uint64_t raw) { return raw + (raw >> 10) + 32 + 18; }

}  // namespace

LogWriter::LogWriter(std::string path, const LogHeader& header, const WriterOptions& options)
    : path_(std::move(path)), header_(header), options_(options) {}

Result<std::unique_ptr<LogWriter>> LogWriter::open(const std::string& path, const LogHeader& header,
                                                   const WriterOptions& options) {
  if (options.staging_bytes < (64u << 10)) return Status::usage("staging buffer under 64 KiB");
  if (options.zstd_level < 1 || options.zstd_level > 19)
    return Status::usage("zstd level must be 1 to 19");
  if (options.flush_ms == 0) return Status::usage("flush interval must be at least 1 ms");
  if (options.max_log_bytes != 0 && options.max_log_bytes < 4096)
    return Status::usage("max log bytes must be 0 (unlimited) or at least 4096");

  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  flags |= options.force ? O_TRUNC : O_EXCL;
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status::usage("log file " + path +
                           " already exists; choose another name or pass --force " +
                           "to overwrite it");
    }
    return Status::io("cannot create log file " + path, errno);
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
  std::unique_ptr<LogWriter> writer(new LogWriter(path, header, options));
  Status started = writer->start(fd);
  if (!started.ok()) return started;
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
  if (!write_fully(fd_, frame.data(), frame.size(), &e))
    return Status::io("cannot write the header of " + path_, e);
  file_bytes_ = frame.size();
  file_bytes_published_ = file_bytes_;

  cctx_ = ZSTD_createCCtx();
  LX_ASSERT(cctx_ != nullptr);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options_.zstd_level);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  out_.resize(ZSTD_CStreamOutSize());

  capacity_ = options_.staging_bytes;
  ring_.reset(new uint8_t[capacity_]);
  wake_bytes_ = capacity_ / 8;
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::io("cannot create an eventfd", errno);
  last_sync_ms_ = now_ms();
  thread_ = std::thread([this] { run(); });
  return ok_status();
}

LogWriter::~LogWriter() {
  (void)close();
  crash_flush_detach(this);
  if (cctx_ != nullptr) ZSTD_freeCCtx(cctx_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status LogWriter::error() const {
  std::lock_guard<std::mutex> lock(error_mutex_);
  return error_;
}

// ---------------------------------------------------------------- producer --

void LogWriter::wake_writer() noexcept {
  const uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already awake
  (void)ignored;
}

void LogWriter::wait_for_space(size_t bytes) {
  LX_ASSERT(bytes <= capacity_);
  while (capacity_ - (head_local_ - tail_seen_) < bytes) {
    tail_seen_ = tail_.load(std::memory_order_acquire);
    if (capacity_ - (head_local_ - tail_seen_) >= bytes) break;
    wake_writer();
    tail_.wait(tail_seen_, std::memory_order_acquire);
  }
}

bool LogWriter::append(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                       std::span<const uint8_t> data) {
  LX_ASSERT(!closed_);
  if (!accepting()) return false;
  const uint64_t payload_bytes = prefix.size() + data.size();
  if (payload_bytes > kMaxPayloadBytes) {
    // Recording such a record would make the log unreadable: stop recording.
    fail("a record of " + std::to_string(payload_bytes) + " bytes exceeds the 64 MiB limit", 0);
    return false;
  }
  const size_t need = record_bytes(type, event, payload_bytes);
  if (need > capacity_ / 2) return append_oversize(type, event, prefix, data);
  size_t pos = head_local_ % capacity_;
  const size_t pad = capacity_ - pos < need ? capacity_ - pos : 0;
  wait_for_space(pad + need);
  if (pad != 0) {
    ring_[pos] = 0;  // type 0 does not exist: the writer skips to the ring's start
    head_local_ += pad;
    pos = 0;
  }
  const size_t written = encode_record(&ring_[pos], type, event, prefix, data);
  LX_ASSERT_OP(written, ==, need);
  head_local_ += need;
  head_.store(head_local_, std::memory_order_release);
  if (head_local_ - wake_mark_ >= wake_bytes_) {
    wake_mark_ = head_local_;
    wake_writer();
  }
  return true;
}

bool LogWriter::append_oversize(RecordType type, uint64_t event, std::span<const uint8_t> prefix,
                                std::span<const uint8_t> data) {
  // Wait until the writer has every staged record in the file, then lend it
  // the caller's bytes and wait until it has compressed them.
  for (;;) {
    tail_seen_ = tail_.load(std::memory_order_acquire);
    if (tail_seen_ == head_local_) break;
    wake_writer();
    tail_.wait(tail_seen_, std::memory_order_acquire);
  }
  oversize_ = Oversize{type, event, prefix, data};
  oversize_pending_.store(1, std::memory_order_release);
  wake_writer();
  while (oversize_pending_.load(std::memory_order_acquire) != 0)
    oversize_pending_.wait(1, std::memory_order_acquire);
  return true;
}

Status LogWriter::close() {
  if (closed_) return error();
  closed_ = true;
  closing_.store(true);
  if (wake_fd_ >= 0) wake_writer();
  if (thread_.joinable()) thread_.join();
  crash_flush_detach(this);
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  int expected = kRecordingValue;
  state_.compare_exchange_strong(expected, static_cast<int>(WriterState::kClosed));
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

  frame_started_ms_ = now_ms();
  int64_t next_flush_ms = now_ms() + options_.flush_ms;
  for (;;) {
    const int64_t wait_ms = next_flush_ms - now_ms();
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
    process_ring();
    if (oversize_pending_.load(std::memory_order_acquire) != 0) process_oversize();
    if (state_.load() == kRecordingValue) {
      if (frame_open_ && now_ms() - frame_started_ms_ >= options_.frame_restart_ms) {
        end_frame();
      } else if (frame_open_) {
        flush_frame();
      }
      write_out();
      sync_if_due(false);
    }
    release_ring();
    if (now_ms() >= next_flush_ms) next_flush_ms = now_ms() + options_.flush_ms;
    if (closing && head_.load() == tail_local_ && oversize_pending_.load() == 0) break;
  }
  if (state_.load() == kRecordingValue) finish_log(EndReason::kClosed, 0, true);
}

void LogWriter::release_ring() {
  file_bytes_published_.store(file_bytes_);
  if (tail_.load(std::memory_order_relaxed) != tail_local_) {
    tail_.store(tail_local_, std::memory_order_release);
    tail_.notify_all();
  }
}

void LogWriter::process_ring() {
  const uint64_t head = head_.load(std::memory_order_acquire);
  uint64_t t = tail_local_;
  while (t < head) {
    const size_t pos = t % capacity_;
    if (ring_[pos] == 0) {
      t += capacity_ - pos;
      continue;
    }
    RawRecord raw;
    const char* reason = nullptr;
    const size_t avail = static_cast<size_t>(std::min<uint64_t>(capacity_ - pos, head - t));
    // The producer wrote these bytes; checking them again costs one CRC pass
    // and catches memory corruption before it reaches the file.
    const ParseStatus parsed = parse_record(&ring_[pos], avail, &raw, &reason);
    LX_ASSERT(parsed == ParseStatus::kOk);
    const Part whole{&ring_[pos], raw.record_bytes};
    consume_record(static_cast<RecordType>(raw.type), raw.event, {&whole, 1}, raw.record_bytes,
                   {raw.payload, raw.payload_bytes});
    t += raw.record_bytes;
  }
  tail_local_ = t;
}

void LogWriter::process_oversize() {
  const Oversize& o = oversize_;
  const uint64_t payload_bytes = o.prefix.size() + o.data.size();
  uint8_t header[kMaxRecordOverheadBytes];
  size_t n = put_varint(header, static_cast<uint8_t>(o.type));
  n += put_varint(header + n, o.event);
  n += put_varint(header + n, payload_bytes);
  uint32_t crc = crc32c_extend(0, header, n);
  crc = crc32c_extend(crc, o.prefix.data(), o.prefix.size());
  crc = crc32c_extend(crc, o.data.data(), o.data.size());
  uint8_t crc_bytes[4];
  put_u32(crc_bytes, crc);
  const Part parts[4] = {{header, n},
                         {o.prefix.data(), o.prefix.size()},
                         {o.data.data(), o.data.size()},
                         {crc_bytes, 4}};
  // Only set_lua_source and recv_incoming get this large; neither is read
  // back by the writer, so the payload span may stay empty.
  consume_record(o.type, o.event, parts, n + payload_bytes + 4, {});
  if (state_.load() == kRecordingValue && frame_open_) flush_frame();
  write_out();
  oversize_pending_.store(0, std::memory_order_release);
  oversize_pending_.notify_all();
}

size_t LogWriter::reserve_bytes() const {
  // End record, frame epilogue, the index with one more frame and
  // checkpoint, the trailer, and slack.
  return 40 + 32 +
         (32 + 24 * (index_.frames.size() + 1) + 48 * (index_.checkpoints.size() + 1) + 12) +
         kTrailerFrameBytes + 64;
}

bool LogWriter::fits(size_t record_bytes) {
  if (options_.max_log_bytes == 0) return true;
  auto estimate = [&] {
    return file_bytes_ + compressed_bound(unflushed_raw_bytes_ + record_bytes) + reserve_bytes();
  };
  if (estimate() <= options_.max_log_bytes) return true;
  if (unflushed_raw_bytes_ != 0 && frame_open_) {
    flush_frame();  // turn the estimate of what is pending into a count
    if (estimate() <= options_.max_log_bytes) return true;
  }
  return false;
}

void LogWriter::consume_record(RecordType type, uint64_t event, std::span<const Part> parts,
                               size_t record_bytes, std::span<const uint8_t> payload) {
  if (state_.load() != kRecordingValue || end_seen_) return;  // discarded: not recording
  if (!fits(record_bytes)) {
    finish_log(EndReason::kTruncated, 0, true);
    return;
  }
  if (!frame_open_) {
    frame_open_ = true;
    frame_raw_bytes_ = 0;
    frame_started_ms_ = now_ms();
    index_.frames.push_back(FrameEntry{file_bytes_, 0, 0});
    first_event_pending_ = true;
  }
  if (is_event(type)) {
    last_event_.store(event, std::memory_order_relaxed);
    if (first_event_pending_) {
      index_.frames.back().first_event = event;
      first_event_pending_ = false;
    }
  } else if (type == RecordType::kCheckpoint && !payload.empty()) {
    Record decoded;
    const char* reason = nullptr;
    RawRecord raw{static_cast<uint64_t>(type), event, payload.data(), payload.size(), record_bytes};
    if (decode_record(raw, &decoded, &reason)) {
      index_.checkpoints.push_back(
          CheckpointEntry{event, decoded.figures, static_cast<uint32_t>(index_.frames.size() - 1)});
    }
  } else if (type == RecordType::kEnd) {
    end_seen_ = true;
  }
  for (const Part& part : parts) compress(part.data, part.bytes, ZSTD_e_continue);
  frame_raw_bytes_ += record_bytes;
  unflushed_raw_bytes_ += record_bytes;
  index_.raw_bytes += record_bytes;
  raw_bytes_total_.store(index_.raw_bytes, std::memory_order_relaxed);
  if (frame_raw_bytes_ >= options_.frame_restart_bytes) end_frame();
}

void LogWriter::compress(const uint8_t* data, size_t bytes, int directive) {
  if (state_.load() == static_cast<int>(WriterState::kFailed)) return;
  const auto mode = static_cast<ZSTD_EndDirective>(directive);
  ZSTD_inBuffer in{data, bytes, 0};
  for (;;) {
    ZSTD_outBuffer out{out_.data(), out_.size(), out_used_};
    const size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(remaining)) {
      fail(std::string("zstd compression failed: ") + ZSTD_getErrorName(remaining), 0);
      return;
    }
    file_bytes_ += out.pos - out_used_;
    out_used_ = out.pos;
    if (out_used_ == out_.size()) {
      write_out();
      if (state_.load() == static_cast<int>(WriterState::kFailed)) return;
    }
    const bool done = mode == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
    if (done) return;
  }
}

void LogWriter::write_raw(const uint8_t* data, size_t bytes) {
  if (state_.load() == static_cast<int>(WriterState::kFailed)) return;
  if (crash_fallback_.load()) return;  // the signal handler owns the file now
  int e = 0;
  if (!write_fully(fd_, data, bytes, &e)) {
    fail("cannot write log file " + path_, e);
    return;
  }
  wrote_since_sync_ = true;
}

void LogWriter::write_out() {
  if (out_used_ == 0) return;
  const size_t n = out_used_;
  out_used_ = 0;
  write_raw(out_.data(), n);
}

void LogWriter::flush_frame() {
  compress(nullptr, 0, ZSTD_e_flush);
  unflushed_raw_bytes_ = 0;
}

void LogWriter::end_frame() {
  compress(nullptr, 0, ZSTD_e_end);
  if (!index_.frames.empty()) {
    FrameEntry& f = index_.frames.back();
    f.raw_bytes = frame_raw_bytes_;
    if (first_event_pending_) f.first_event = last_event_.load() + 1;
  }
  first_event_pending_ = false;
  frame_open_ = false;
  unflushed_raw_bytes_ = 0;
}

void LogWriter::sync_if_due(bool force) {
  if (options_.fsync == FsyncMode::kNever || !wrote_since_sync_) return;
  if (state_.load() == static_cast<int>(WriterState::kFailed)) return;
  const int64_t now = now_ms();
  const bool due = force || options_.fsync == FsyncMode::kAlways ||
                   now - last_sync_ms_ >= static_cast<int64_t>(options_.fsync_interval_ms);
  if (!due) return;
  if (::fdatasync(fd_) != 0) {
    fail("cannot sync log file " + path_, errno);
    return;
  }
  last_sync_ms_ = now;
  wrote_since_sync_ = false;
}

void LogWriter::finish_log(EndReason reason, int32_t detail, bool write_index) {
  if (!end_seen_) {
    const PayloadPrefix prefix = prefix_end(reason, detail);
    uint8_t record[kMaxRecordOverheadBytes + sizeof prefix.bytes];
    const uint64_t event = last_event_.load();
    const size_t n = encode_record(record, RecordType::kEnd, event, prefix.span(), {});
    if (!frame_open_) {
      frame_open_ = true;
      index_.frames.push_back(FrameEntry{file_bytes_, event + 1, 0});
      first_event_pending_ = false;
      frame_raw_bytes_ = 0;
    }
    compress(record, n, ZSTD_e_continue);
    frame_raw_bytes_ += n;
    index_.raw_bytes += n;
    raw_bytes_total_.store(index_.raw_bytes);
    end_seen_ = true;
  }
  if (frame_open_) end_frame();
  write_out();
  if (write_index) {
    index_.event_count = last_event_.load();
    const std::vector<uint8_t> index_frame = encode_index_frame(index_);
    uint8_t trailer[kTrailerFrameBytes];
    encode_trailer_frame(Trailer{file_bytes_, index_frame.size()}, trailer);
    write_raw(index_frame.data(), index_frame.size());
    write_raw(trailer, sizeof trailer);
    file_bytes_ += index_frame.size() + sizeof trailer;
  }
  sync_if_due(true);
  file_bytes_published_.store(file_bytes_);
  if (state_.load() != static_cast<int>(WriterState::kFailed)) {
    const WriterState next =
        reason == EndReason::kTruncated ? WriterState::kTruncated : WriterState::kClosed;
    state_.store(static_cast<int>(next));
  }
}

void LogWriter::fail(std::string what, int errno_value) {
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (error_.ok()) {
      error_ = errno_value != 0 ? Status::io(what, errno_value) : Status::io(std::move(what));
    }
  }
  state_.store(static_cast<int>(WriterState::kFailed));
}

void LogWriter::crash_cooperate() {
  const int signo = crash_signal_.load();
  process_ring();
  if (state_.load() == kRecordingValue) {
    // No index: a crashed log is read front to back. fsync unless "never".
    finish_log(EndReason::kCrashed, signo, false);
  }
  crash_done_.store(1);
}

// ------------------------------------------------------------- signal path --

void LogWriter::flush_for_signal(int signo, int wait_ms) noexcept {
  if (state_.load() != kRecordingValue) return;  // closed, truncated or failed: nothing to add
  const int self = static_cast<int>(::gettid());
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
  write_raw_frame_from_signal(signo);
}

void LogWriter::write_raw_frame_from_signal(int signo) noexcept {
  crash_fallback_.store(true);
  const uint64_t head = head_.load(std::memory_order_acquire);
  const uint64_t tail = tail_.load(std::memory_order_acquire);
  int e = 0;
  uint8_t marker[kCrashFrameBytes];
  encode_crash_marker(signo, marker);
  // A zstd frame of raw blocks: no checksum, 128 KiB window (the block limit).
  if (!write_fully(fd_, marker, sizeof marker, &e) ||
      !write_fully(fd_, kRawFrameHeader, sizeof kRawFrameHeader, &e))
    return;
  auto write_block = [&](const uint8_t* data, size_t bytes, bool last) {
    uint8_t block_header[kBlockHeaderBytes];
    encode_raw_block_header(block_header, bytes, last);
    return write_fully(fd_, block_header, sizeof block_header, &e) &&
           write_fully(fd_, data, bytes, &e);
  };
  constexpr size_t kBlockMax = kRawBlockMaxBytes;
  uint64_t last_event = last_event_.load();
  uint64_t t = tail;
  while (t < head) {
    const size_t pos = t % capacity_;
    if (ring_[pos] == 0) {
      t += capacity_ - pos;
      continue;
    }
    // Find the run of records up to the ring's end or head, noting events.
    const size_t run_end = static_cast<size_t>(std::min<uint64_t>(capacity_, pos + (head - t)));
    size_t p = pos;
    while (p < run_end && ring_[p] != 0) {
      RawRecord raw;
      const char* reason = nullptr;
      if (parse_record(&ring_[p], run_end - p, &raw, &reason) != ParseStatus::kOk) break;
      if (is_event(static_cast<RecordType>(raw.type)) && raw.event > last_event)
        last_event = raw.event;
      p += raw.record_bytes;
    }
    for (size_t q = pos; q < p; q += kBlockMax) {
      if (!write_block(&ring_[q], std::min(kBlockMax, p - q), false)) return;
    }
    t += (p - pos) + (p == run_end ? 0 : capacity_ - p);
    if (p != run_end && ring_[p] != 0) break;  // unparsable: stop here
  }
  const PayloadPrefix prefix = prefix_end(EndReason::kCrashed, signo);
  uint8_t record[kMaxRecordOverheadBytes + sizeof prefix.bytes];
  const size_t n = encode_record(record, RecordType::kEnd, last_event, prefix.span(), {});
  write_block(record, n, true);
}

}  // namespace lx::wal
