// Taking snapshots on schedule and moving their streams from the child's pipe
// into the log, a bounded amount per loop turn.
#include "snapshot_feed.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstring>

namespace lx::driver {

Result<std::unique_ptr<SnapshotFeed>> SnapshotFeed::create(const SnapshotSchedule& schedule,
                                                           const host::Engine& engine,
                                                           wal::Recorder& recorder,
                                                           std::FILE* err) {
  auto taker = host::SnapshotTaker::create();
  if (!taker.ok()) return taker.status();
  std::unique_ptr<SnapshotFeed> feed(new SnapshotFeed(schedule, engine, recorder, err));
  feed->taker_ = std::move(taker).value();
  feed->piece_.reserve(kPieceBytes);
  return feed;
}

SnapshotFeed::~SnapshotFeed() { close_pipe(); }

bool SnapshotFeed::due(uint64_t now_ms) const {
  const uint64_t events = recorder_.event_count();
  if (events == last_event_ || !recorder_.recording()) return false;
  if (schedule_.every_events != 0 && events - last_event_ >= schedule_.every_events) return true;
  return schedule_.every_ms != 0 && now_ms - last_ms_ >= schedule_.every_ms;
}

void SnapshotFeed::after_turn(uint64_t now_ms) {
  if (!started_clock_) {
    started_clock_ = true;
    last_ms_ = now_ms;
  }
  if (read_fd_ >= 0) move(false);
  if (read_fd_ < 0 && due(now_ms)) start(now_ms);
}

void SnapshotFeed::take_now(uint64_t now_ms) {
  LX_ASSERT(!busy());
  started_clock_ = true;
  start(now_ms);
}

void SnapshotFeed::start(uint64_t now_ms) {
  last_event_ = recorder_.event_count();
  last_ms_ = now_ms;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    abandon(std::string("cannot make a pipe for it: ") + std::strerror(errno));
    return;
  }
  // A larger pipe lets the child run ahead by more than a turn's reading.
  (void)::fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(kTurnBytes));
  // pipe2 made both ends non-blocking; the child's end must block (it
  // waits while the log is behind), the loop's end must not.
  (void)::fcntl(fds[1], F_SETFL, 0);
  const uint64_t before = uv_hrtime();
  auto info = taker_->start(engine_, fds[1]);
  const uint64_t stall = uv_hrtime() - before;
  ::close(fds[1]);
  if (!info.ok()) {
    ::close(fds[0]);
    abandon(info.status().message());
    return;
  }
  if (stall > longest_stall_ns_) longest_stall_ns_ = stall;
  read_fd_ = fds[0];
  open_ = recorder_.begin_snapshot(info.value().snapshot_bytes, info.value().figures);
  // No room in the log for it (or the log stopped): the child's stream is
  // read and dropped.
}

void SnapshotFeed::move(bool block) {
  // While the writer thread is behind (half its ring staged), leave the rest
  // in the pipe: the child waits, the events do not.
  size_t budget = kTurnBytes;
  const wal::LogWriter& writer = recorder_.writer();
  if (!block && writer.staged_bytes() > writer.staging_capacity() / 2) budget = 0;
  while (budget > 0 || block) {
    if (piece_.size() == kPieceBytes) {
      if (open_ && !recorder_.append_snapshot_data(*open_, 0, piece_)) {
        open_.reset();
        ++abandoned_;
      }
      piece_.clear();
    }
    const size_t want = std::min(kPieceBytes - piece_.size(), block ? kPieceBytes : budget);
    const size_t at = piece_.size();
    piece_.resize(at + want);
    const ssize_t got = ::read(read_fd_, piece_.data() + at, want);
    piece_.resize(at + (got > 0 ? static_cast<size_t>(got) : 0));
    if (got > 0) {
      if (!block) budget -= static_cast<size_t>(got);
      continue;
    }
    if (got == 0) {
      end_stream();
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      abandon(std::string("cannot read the snapshot child's pipe: ") + std::strerror(errno));
      return;
    }
    if (!block) return;
    // finish(): wait for the child to write more (poll: the descriptor
    // may be above select's limit on a server with many connections).
    struct pollfd readable {
      read_fd_, POLLIN, 0
    };
    (void)::poll(&readable, 1, -1);
  }
}

void SnapshotFeed::end_stream() {
  Status outcome = taker_->wait();  // the child closed its end: it is exiting
  if (!outcome.ok()) {
    abandon(outcome.message());
    return;
  }
  if (open_) {
    if (recorder_.append_snapshot_data(*open_, wal::kSnapshotLast, piece_))
      ++complete_;
    else
      ++abandoned_;
  }
  open_.reset();
  piece_.clear();
  close_pipe();
}

void SnapshotFeed::abandon(const std::string& why) {
  if (open_) (void)recorder_.append_snapshot_data(*open_, wal::kSnapshotAbandoned, {});
  open_.reset();
  piece_.clear();
  ++abandoned_;
  close_pipe();
  if (taker_->running()) (void)taker_->wait();
  if (!warned_) {
    warned_ = true;
    std::fprintf(err_, "lxrun: warning: a snapshot of event %llu was not saved: %s\n",
                 static_cast<unsigned long long>(last_event_), why.c_str());
    std::fflush(err_);
  }
}

void SnapshotFeed::close_pipe() {
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = -1;
}

void SnapshotFeed::finish(bool at_once) {
  if (read_fd_ < 0) return;
  if (at_once) {
    if (taker_->running()) ::kill(taker_->child(), SIGKILL);
    abandon("lxrun was stopped at once while it was being written");
    return;
  }
  move(true);
}

}  // namespace lx::driver
