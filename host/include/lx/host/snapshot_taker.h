// SnapshotTaker: takes a snapshot of a live engine without stalling the
// thread that serves: it forks, and the child (a copy-on-write image of the
// region, frozen at the call) streams the snapshot into a descriptor while the
// parent goes on with the next event, as Redis's BGSAVE does.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>

#include "lx/host/engine.h"
#include "lx/host/snapshot_stream.h"
#include "lx/status.h"

namespace lx::host {

// One child at a time. Not thread-safe: call it from the thread that drives
// the engine, between events. The destructor kills (SIGKILL) and reaps a child
// still running, so none outlives the taker.
//
// Fork hazards, and what the child does about them: the parent has other
// threads (the log writer, libuv's pool) that may hold locks, so the child
// runs only code that takes none and allocates nothing (SnapshotEncoder::write,
// which the taker prepared in create()), plus async-signal-safe system calls:
// it resets every signal handler to the default (a handler the parent installed,
// such as the recorder's crash flush, must not run in the child), ignores
// SIGPIPE (a closed reader is an error code, not a death), closes every
// descriptor but the output one (so the child keeps no socket or log file of
// the parent open), asks to be killed if the parent dies, writes, and _exits.
class SnapshotTaker {
 public:
  using Options = SnapshotEncoder::Options;

  // Prepares the encoder the children will use. Errors are kUsage (options).
  static Result<std::unique_ptr<SnapshotTaker>> create(Options options = {});
  ~SnapshotTaker();
  SnapshotTaker(const SnapshotTaker&) = delete;
  SnapshotTaker& operator=(const SnapshotTaker&) = delete;

  // Forks a child that writes a snapshot stream of engine as it is now to fd
  // and exits. Returns as soon as the child exists, with the snapshot's
  // description (its state hash is 0: the child computes it and writes it in
  // the stream's end record). fd stays the caller's: the child writes through
  // its own copy, so the caller may read it (a pipe) or close it at once.
  // Errors: kUsage while an earlier child runs (poll it first), kIo when fork
  // fails.
  Result<SnapshotInfo> start(const Engine& engine, int fd);

  // True from start() until poll() or wait() reports the child's end.
  bool running() const { return child_ > 0; }
  pid_t child() const { return child_; }

  // Reaps the child without blocking: nullopt while it runs (or none was
  // started), then its outcome, once: ok, or kIo saying why it failed (the
  // errno of its write, a compression failure, the signal that ended it).
  std::optional<Status> poll();
  // Blocks until the child ends and returns its outcome (ok when no child).
  Status wait();

 private:
  explicit SnapshotTaker(std::unique_ptr<SnapshotEncoder> encoder) : encoder_(std::move(encoder)) {}
  Status outcome(int wait_status);

  std::unique_ptr<SnapshotEncoder> encoder_;
  pid_t child_ = 0;
};

}  // namespace lx::host
