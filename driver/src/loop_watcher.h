// What the driver's loop tells a party that runs beside the engine (lxrun's
// recording), so that party needs no code inside the loop.
#pragma once

namespace lx::driver {

class LoopWatcher {
 public:
  virtual ~LoopWatcher() = default;
  // After every loop turn, on the loop thread, while stopping too.
  // @return false to stop the server gracefully (as on SIGINT).
  virtual bool after_turn() = 0;
  // A second SIGINT/SIGTERM is about to end the process at once (_Exit):
  // last chance to save what must survive it. Must not block for long.
  virtual void before_exit_at_once() = 0;
  // After after_turn: how long until the watcher wants another turn although
  // nothing happened (it watches something outside the loop, such as the
  // log writer's thread); 0 when it does not. Without a tick an idle loop
  // would otherwise never turn.
  virtual uint64_t poll_after_ms() { return 0; }
  // SIGHUP arrived. @return true when the watcher acts on it (lxrun's
  // recording starts a new segment), false when it means nothing to it.
  virtual bool rotate_on_signal() { return false; }
};

}  // namespace lx::driver
