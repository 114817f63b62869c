// lxrun's event loop: owns every libuv handle, feeds the engine's events
// through an EventSink (the engine, or a Recorder in front of it), and
// after each loop turn that fed events runs the app's update() once and
// reconciles the channels (docs/driver.md).
#pragma once

#include <uv.h>

#include <cstdio>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "endpoint.h"
#include "endpoint_host.h"
#include "host_port.h"
#include "listener.h"
#include "loop_watcher.h"
#include "lx/event_sink.h"
#include "lx/host/engine.h"
#include "lxrun_options.h"
#include "lxrun_signals.h"

namespace lx::driver {

class Driver final : public EndpointHost {
 public:
  // Back-pressure bounds (docs/driver.md): reading a channel pauses while the
  // app has this much unread input on it, or this much unsent output on it,
  // or while all channels together hold kTotalOutgoingPauseBytes unsent.
  static constexpr uint64_t kIncomingPauseBytes = 1 << 20;
  static constexpr uint64_t kOutgoingPauseBytes = 1 << 20;
  static constexpr uint64_t kTotalOutgoingPauseBytes = 64 << 20;
  // How long stopping waits for output to drain.
  static constexpr uint64_t kStopGraceMs = 1000;
  // How long a released socket may wait for its last writes before it is cut,
  // and how long a channel the app closed may hold output its peer does not
  // take before the driver gives that output up (notify_close).
  static constexpr uint64_t kLingerMs = 10000;
  // Without a tick, the clock an update() sees is at most this old (a due
  // wake time refreshes it whatever its age).
  static constexpr double kClockStepSeconds = 0.001;
  // The longest the wake timer waits in one go; it re-arms after that.
  static constexpr uint64_t kMaxWakeDelayMs = 3600 * 1000;
  // How often a failed re-read of the app (rescan) is retried.
  static constexpr uint64_t kRescanRetryMs = 1000;

  // engine answers queries and takes events until set_sink names another
  // sink (a Recorder in front of it). Both, and loop, outlive the Driver.
  // Diagnostics go to err.
  Driver(uv_loop_t* loop, const LxrunOptions& options, host::Engine& engine, std::FILE* err);
  ~Driver() override;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Opens the listeners (before any event, so a log's header can name the
  // ports they bound). On failure (kIo: a port) run() must still be called.
  Status listen();
  // "host:port" of every listener, with the port it bound.
  std::vector<std::string> listen_addresses() const;
  // Where events go from now on. Call before start().
  void set_sink(EventSink& sink) { sink_ = &sink; }
  // Closes what listen() opened without starting; run() must still be called.
  void abandon() { finish(); }

  // Opens the listeners unless listen() did, feeds set_clock then
  // set_lua_source(blob), opens stdio, and starts the tick and the signal
  // handlers. On failure the returned status says why (kIo: a port; kApp:
  // the app's start failed) and run() must still be called to close what
  // was opened.
  Status start(std::span<const uint8_t> blob);
  // Runs the loop until the driver stops (a stopping signal, lx.stop(), a
  // failed engine, or a failed start) and every handle is closed. Returns
  // the exit code.
  int run();

  // Tells watcher about every loop turn and a second signal (lxrun's
  // recording). Optional; watcher must outlive the Driver.
  void set_watcher(LoopWatcher* watcher) { watcher_ = watcher; }

  // ---- EndpointHost ----
  uv_loop_t* loop() override { return loop_; }
  const host::Engine& engine() const override { return engine_; }
  void received(int32_t chid, std::span<const uint8_t> bytes) override;
  void sent(int32_t chid, uint64_t byte_count) override;
  void remote_closed(int32_t chid) override;
  void output_failed(int32_t chid) override;
  void wake() override;
  bool input_paused(int32_t chid) const override;

 private:
  static void on_check(uv_check_t* handle);
  static void on_tick(uv_timer_t* handle);
  static void on_wake_timer(uv_timer_t* handle);
  static void on_grace_over(uv_timer_t* handle);
  static void on_signal(uv_signal_t* handle, int signum);
  void on_connection(Listener& listener);
  void run_turn();
  void reconcile();
  Endpoint* open_outgoing(int32_t chid);
  void reap_closing();
  void drain_log();
  void rescan();
  void report_rescan_error(const std::string& message);
  void begin_stop();
  void retire(std::unique_ptr<Endpoint> endpoint, bool graceful);
  bool drained() const;
  void finish();
  void check(int status, const char* event);
  // True when reading a channel must pause (back-pressure, or it takes no input).
  bool over_bounds(const lx_channel_info& info) const;
  // Feeds set_clock(wall clock seconds).
  void feed_clock();
  // Without a tick (--tick-ms 0), before each update(): feeds the clock
  // when it moved on by kClockStepSeconds or more since it was last fed, or
  // when a wake time the app asked for is due (so update() sees it due).
  void refresh_clock();
  // Without a tick: sets the wake timer for the app's next wake time.
  void arm_wake_timer();
  // Sets the housekeeping timer for the driver's own deadlines (a socket's
  // linger, a rescan retry, the watcher's poll), so they pass even while the
  // loop is idle.
  void arm_housekeeping();
  bool wake_due() const;

  uv_loop_t* loop_;
  const LxrunOptions& options_;
  host::Engine& engine_;
  EventSink* sink_;
  bool listening_ = false;
  std::FILE* err_;
  LoopWatcher* watcher_ = nullptr;

  uv_check_t check_{};         // runs the turn's update and reconcile after poll
  uv_idle_t idle_{};           // keeps poll from blocking while a turn is owed
  uv_timer_t tick_{};          // feeds set_clock every tick_ms (when tick_ms > 0)
  uv_timer_t wake_{};          // without a tick: fires at the app's next wake time
  uv_timer_t housekeeping_{};  // the driver's own deadlines; feeds no event
  uv_timer_t grace_{};         // bounds the drain when stopping
  // One per kHandledSignals entry, in the same order.
  uv_signal_t signals_[kHandledSignalCount]{};
  std::vector<uv_handle_t*> handles_;  // the above, once initialised

  std::shared_ptr<AdmissionGate> gate_;  // --max-connections, shared by listeners and connections
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::map<int32_t, std::unique_ptr<Endpoint>> endpoints_;  // by chid; 0 is stdio
  struct Closing {
    std::unique_ptr<Endpoint> endpoint;
    uint64_t released_ms;  // uv_now() at release, for kLingerMs
  };
  std::vector<Closing> closing_;          // released, not finished
  std::vector<int32_t> deferred_closes_;  // remote_closed this turn, fed after update
  std::vector<int32_t> chids_;            // list_channels, reused

  bool update_wanted_ = false;  // an event (other than sent_outgoing) was fed
  bool clock_fed_ = false;
  double clock_fed_seconds_ = 0;  // the last set_clock fed
  bool wake_wanted_ = false;
  bool total_paused_ = false;  // all channels together hold too much output
  bool stopping_ = false;
  bool finished_ = false;
  bool engine_failed_ = false;  // an event returned LX_ERR_FAILED or LX_ERR_NO_MEMORY
  int exit_code_ = 0;
  bool rescan_read_failed_ = false;  // the last re-read of the app failed
  uint64_t rescan_failed_ms_ = 0;    // when, to retry slowly
  std::string rescan_error_;         // the last rescan error reported
};

}  // namespace lx::driver
