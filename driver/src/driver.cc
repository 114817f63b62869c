// lxrun's loop turn: feed events as callbacks report them, then once per turn
// run update() and reconcile the channels (see driver.h and docs/driver.md).
#include "driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <optional>

#include "connection.h"
#include "lx/host/source_blob.h"
#include "stdio_channel.h"

namespace lx::driver {

Driver::Driver(uv_loop_t* loop, const LxrunOptions& options, host::Engine& engine, std::FILE* err)
    : loop_(loop),
      options_(options),
      engine_(engine),
      sink_(&engine),
      err_(err),
      gate_(AdmissionGate::create(loop, options.max_connections, err)) {
  LX_ASSERT(uv_check_init(loop_, &check_) == 0);
  LX_ASSERT(uv_idle_init(loop_, &idle_) == 0);
  LX_ASSERT(uv_timer_init(loop_, &tick_) == 0);
  LX_ASSERT(uv_timer_init(loop_, &wake_) == 0);
  LX_ASSERT(uv_timer_init(loop_, &housekeeping_) == 0);
  LX_ASSERT(uv_timer_init(loop_, &grace_) == 0);
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(&check_), reinterpret_cast<uv_handle_t*>(&idle_),
        reinterpret_cast<uv_handle_t*>(&tick_), reinterpret_cast<uv_handle_t*>(&wake_),
        reinterpret_cast<uv_handle_t*>(&housekeeping_), reinterpret_cast<uv_handle_t*>(&grace_)}) {
    handles_.push_back(handle);
  }
  for (uv_signal_t& handle : signals_) {
    LX_ASSERT(uv_signal_init(loop_, &handle) == 0);
    handles_.push_back(reinterpret_cast<uv_handle_t*>(&handle));
  }
  for (uv_handle_t* handle : handles_) handle->data = this;
}

Driver::~Driver() {
  LX_ASSERT(finished_);
  LX_ASSERT(endpoints_.empty());
  LX_ASSERT(closing_.empty());
}

Status Driver::listen() {
  if (listening_) return ok_status();
  listening_ = true;
  for (const std::string& text : options_.listen) {
    auto address = HostPort::parse_listen(text);
    LX_ASSERT(address.ok());  // run_lxrun checked the syntax
    listeners_.push_back(std::make_unique<Listener>(
        loop_, gate_, [this](Listener& listener) { on_connection(listener); }));
    Status status = listeners_.back()->listen(address.value());
    if (!status.ok()) {
      finish();
      return status;
    }
  }
  return ok_status();
}

std::vector<std::string> Driver::listen_addresses() const {
  std::vector<std::string> addresses;
  for (const auto& listener : listeners_) addresses.push_back(listener->address());
  return addresses;
}

Status Driver::start(std::span<const uint8_t> blob) {
  if (Status listened = listen(); !listened.ok()) return listened;
  feed_clock();
  int rc = sink_->set_lua_source(blob);
  drain_log();
  if (rc != LX_OK) {
    std::string why(engine_.last_error());
    finish();
    return Status::error(
        ErrorKind::kApp,
        why.empty() ? fmt::format("the engine refused the app (status {})", rc) : why);
  }
  endpoints_[LX_STDIO_CHID] = std::make_unique<StdioChannel>(*this);
  uv_check_start(&check_, &Driver::on_check);
  if (options_.tick_ms > 0) {
    uv_timer_start(&tick_, &Driver::on_tick, options_.tick_ms, options_.tick_ms);
  }
  for (size_t i = 0; i < kHandledSignalCount; ++i) {
    uv_signal_start(&signals_[i], &Driver::on_signal, kHandledSignals[i].signum);
  }
  // Last, so whoever waits for these lines can signal lxrun at once.
  for (const auto& listener : listeners_) {
    std::fprintf(err_, "lxrun: listening on %s\n", listener->address().c_str());
  }
  std::fflush(err_);
  update_wanted_ = true;  // the first update() runs at once
  wake();
  return ok_status();
}

int Driver::run() {
  uv_run(loop_, UV_RUN_DEFAULT);
  LX_ASSERT(finished_);
  reap_closing();
  LX_ASSERT(closing_.empty());
  return exit_code_;
}

// ---- Events reported by endpoints ----

void Driver::received(int32_t chid, std::span<const uint8_t> bytes) {
  check(sink_->recv_incoming(chid, bytes), "recv_incoming");
  update_wanted_ = true;
}

void Driver::sent(int32_t chid, uint64_t byte_count) {
  // Not a reason to run update(): the app cannot observe it. But the channel
  // may leave the list with it (a closed channel, drained): reconcile again
  // on the next turn, which nothing else may bring when there is no tick.
  check(sink_->sent_outgoing(chid, byte_count), "sent_outgoing");
  wake();
}

void Driver::remote_closed(int32_t chid) {
  deferred_closes_.push_back(chid);
  wake();
}

void Driver::output_failed(int32_t chid) {
  auto info = engine_.info(chid);
  if (!info) return;
  if (!info->closed) check(sink_->notify_close(chid), "notify_close");
  info = engine_.info(chid);
  // On a closed channel notify_close drops the output nobody can deliver.
  if (info && info->outgoing_bytes > 0) check(sink_->notify_close(chid), "notify_close");
  update_wanted_ = true;
}

void Driver::wake() {
  wake_wanted_ = true;
  if (!finished_) uv_idle_start(&idle_, [](uv_idle_t*) {});
}

bool Driver::input_paused(int32_t chid) const {
  if (stopping_) return true;
  auto info = engine_.info(chid);
  return !info || over_bounds(*info);
}

bool Driver::over_bounds(const lx_channel_info& info) const {
  // A deleted or closed channel takes no more input: reading it would only
  // feed events the engine drops.
  return total_paused_ || info.deleted || info.closed ||
         info.incoming_bytes >= kIncomingPauseBytes || info.outgoing_bytes >= kOutgoingPauseBytes;
}

void Driver::check(int status, const char* event) {
  if (status != LX_ERR_FAILED && status != LX_ERR_NO_MEMORY) return;
  if (engine_failed_) return;
  engine_failed_ = true;
  exit_code_ = 1;
  std::fprintf(err_, "lxrun: error: the engine failed at %s (status %d): %.*s; stopping\n", event,
               status, static_cast<int>(engine_.last_error().size()), engine_.last_error().data());
  wake();
}

namespace {

double wall_seconds() {
  uv_timeval64_t now;
  LX_ASSERT(uv_gettimeofday(&now) == 0);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_usec) / 1e6;
}

}  // namespace

void Driver::feed_clock() {
  double seconds = wall_seconds();
  check(sink_->set_clock(seconds), "set_clock");
  clock_fed_ = true;
  clock_fed_seconds_ = seconds;
}

bool Driver::wake_due() const {
  std::optional<double> wake = engine_.next_wake();
  return wake && *wake <= wall_seconds();
}

void Driver::refresh_clock() {
  double now = wall_seconds();
  bool stale =
      !clock_fed_ || now - clock_fed_seconds_ >= kClockStepSeconds || now < clock_fed_seconds_;
  if (stale || wake_due()) feed_clock();
}

void Driver::arm_wake_timer() {
  std::optional<double> wake = engine_.next_wake();
  if (!wake || stopping_ || finished_) {
    uv_timer_stop(&wake_);
    return;
  }
  double delay_seconds = *wake - wall_seconds();
  uint64_t delay_ms = 0;
  if (delay_seconds > 0) {
    double ms = std::ceil(delay_seconds * 1000);
    delay_ms =
        ms >= static_cast<double>(kMaxWakeDelayMs) ? kMaxWakeDelayMs : static_cast<uint64_t>(ms);
  }
  uv_update_time(loop_);  // an update() may have run long: count from now
  uv_timer_start(&wake_, &Driver::on_wake_timer, delay_ms, 0);
}

void Driver::arm_housekeeping() {
  std::optional<uint64_t> due_ms;
  auto sooner = [&due_ms](uint64_t at_ms) {
    if (!due_ms || at_ms < *due_ms) due_ms = at_ms;
  };
  for (const Closing& closing : closing_) sooner(closing.released_ms + kLingerMs + 1);
  if (rescan_read_failed_ && !stopping_) sooner(rescan_failed_ms_ + kRescanRetryMs);
  if (watcher_ != nullptr) {
    if (uint64_t poll_ms = watcher_->poll_after_ms(); poll_ms != 0) sooner(uv_now(loop_) + poll_ms);
  }
  if (!due_ms || finished_) {
    uv_timer_stop(&housekeeping_);
    return;
  }
  uint64_t now_ms = uv_now(loop_);
  // The timer only makes the loop turn; run_turn does the work. Its callback
  // asks for the turn (wake): an empty one ran in the timers phase and left
  // the loop to block in its poll before the check phase, for good when no
  // other timer was due. That happens whenever the turn that armed it took
  // longer than the wait (uv_now is the loop's cached time, taken before
  // it): a rotation's opening snapshot on a server that went quiet was
  // never read from its child until the next event.
  uv_timer_start(
      &housekeeping_, [](uv_timer_t* timer) { static_cast<Driver*>(timer->data)->wake(); },
      *due_ms > now_ms ? *due_ms - now_ms : 0, 0);
}

// ---- Handles ----

void Driver::on_check(uv_check_t* handle) { static_cast<Driver*>(handle->data)->run_turn(); }

void Driver::on_tick(uv_timer_t* handle) {
  auto& self = *static_cast<Driver*>(handle->data);
  self.feed_clock();
  self.update_wanted_ = true;
}

void Driver::on_wake_timer(uv_timer_t* handle) {
  auto& self = *static_cast<Driver*>(handle->data);
  if (self.stopping_ || self.finished_) return;
  if (self.wake_due()) {
    self.update_wanted_ = true;
    self.wake();
  } else {
    self.arm_wake_timer();  // early (the wall clock moved, or a long wait): wait on
  }
}

void Driver::on_grace_over(uv_timer_t* handle) { static_cast<Driver*>(handle->data)->finish(); }

void Driver::on_signal(uv_signal_t* handle, int signum) {
  auto& self = *static_cast<Driver*>(handle->data);
  const HandledSignal& handled = kHandledSignals[handle - self.signals_];
  LX_ASSERT_OP(handled.signum, ==, signum);
  if (handled.action == SignalAction::kRotate && self.watcher_ != nullptr &&
      self.watcher_->rotate_on_signal()) {
    std::fprintf(self.err_, "lxrun: %s: a new segment\n", handled.name);
    std::fflush(self.err_);
    self.wake();  // a turn, so the rotation happens even while idle
    return;
  }
  if (handled.action != SignalAction::kStop) {
    std::fprintf(self.err_, "lxrun: %s: %s; ignored\n", handled.name, handled.ignored_because);
    std::fflush(self.err_);
    return;
  }
  if (self.stopping_) {
    std::fprintf(self.err_, "lxrun: second %s: exiting at once\n", handled.name);
    if (self.watcher_ != nullptr) self.watcher_->before_exit_at_once();
    uv_tty_reset_mode();
    std::_Exit(1);
  }
  std::fprintf(self.err_, "lxrun: stopping on %s\n", handled.name);
  self.begin_stop();
}

void Driver::on_connection(Listener& listener) {
  if (stopping_ || finished_) return;
  auto connection = std::make_unique<Connection>(*this, -1);
  if (!connection->accept_from(listener)) {  // refused or failed: the listener's gate said so
    retire(std::move(connection), false);
    return;
  }
  int32_t chid = sink_->notify_accept(listener.port());
  update_wanted_ = true;
  if (chid < 0) {
    check(chid, "notify_accept");
    std::fprintf(err_, "lxrun: error: the engine refused a connection on %s (status %d)\n",
                 listener.address().c_str(), chid);
    retire(std::move(connection), false);
    return;
  }
  connection->set_chid(chid);
  if (auto old = endpoints_.find(chid); old != endpoints_.end()) {
    retire(std::move(old->second), false);  // a reused chid the driver had not seen go
    endpoints_.erase(old);
  }
  Connection* raw = connection.get();
  endpoints_[chid] = std::move(connection);
  raw->set_reading(!input_paused(chid));
}

// ---- The loop turn ----

void Driver::run_turn() {
  if (finished_) return;
  wake_wanted_ = false;
  if (update_wanted_ && !stopping_ && !engine_failed_) {
    update_wanted_ = false;
    if (options_.tick_ms == 0) refresh_clock();
    check(sink_->invoke_event_update(), "invoke_event_update");
  }
  // Closes seen this turn go in after update(), so the app has already
  // answered what arrived with them (a request followed by a half-close).
  if (!deferred_closes_.empty()) {
    std::vector<int32_t> closes;
    closes.swap(deferred_closes_);
    for (int32_t chid : closes) {
      auto info = engine_.info(chid);
      if (info && !info->closed) check(sink_->notify_close(chid), "notify_close");
    }
    update_wanted_ = true;
  }
  if (!engine_failed_) reconcile();
  drain_log();
  if (watcher_ != nullptr && !watcher_->after_turn()) begin_stop();
  if (!stopping_ && !engine_failed_) {
    if (engine_.stop_requested()) {
      begin_stop();
    } else if (engine_.rescan_requested()) {
      rescan();
    }
  }
  if (engine_failed_ || (stopping_ && drained())) {
    finish();
    return;
  }
  if (options_.tick_ms == 0) arm_wake_timer();
  arm_housekeeping();
  if ((update_wanted_ && !stopping_) || wake_wanted_ || !deferred_closes_.empty()) {
    uv_idle_start(&idle_, [](uv_idle_t*) {});
  } else {
    uv_idle_stop(&idle_);
  }
}

void Driver::reconcile() {
  engine_.channels(chids_);
  // Channels the engine let go of: close their sockets once their queued
  // writes are done. stdio stays until the driver stops.
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    if (it->first != LX_STDIO_CHID &&
        !std::binary_search(chids_.begin(), chids_.end(), it->first)) {
      retire(std::move(it->second), true);
      it = endpoints_.erase(it);
    } else {
      ++it;
    }
  }
  uint64_t total_outgoing_bytes = 0;
  for (int32_t chid : chids_) {
    auto info = engine_.info(chid);
    if (!info) continue;
    auto found = endpoints_.find(chid);
    Endpoint* endpoint = found == endpoints_.end() ? nullptr : found->second.get();
    if (endpoint == nullptr) {
      if (!info->outgoing || info->closed || stopping_) {
        total_outgoing_bytes += info->outgoing_bytes;
        continue;
      }
      endpoint = open_outgoing(chid);
    }
    if (info->outgoing_bytes > 0) {
      // A channel the app closed whose peer takes nothing (it does not read)
      // would hold its output, and its connection, for ever: give it up.
      const bool stuck = info->deleted &&
                         endpoint->output_stuck_ms(uv_now(loop_), info->outgoing_bytes) > kLingerMs;
      if (endpoint->broken() || stuck) {
        output_failed(chid);
        if (stuck) endpoint->release(false);  // cut at once: its peer takes nothing
      } else if (endpoint->can_write()) {
        endpoint->flush();
      }
      info = engine_.info(chid);
      if (!info) continue;
    }
    total_outgoing_bytes += info->outgoing_bytes;
    if (info->shut_down && info->outgoing_bytes == 0) endpoint->shutdown_write();
    if (!stopping_) endpoint->set_reading(!over_bounds(*info));
  }
  total_paused_ = total_outgoing_bytes >= kTotalOutgoingPauseBytes;
  reap_closing();
}

Endpoint* Driver::open_outgoing(int32_t chid) {
  auto connection = std::make_unique<Connection>(*this, chid);
  Connection* raw = connection.get();
  endpoints_[chid] = std::move(connection);
  raw->connect_to(engine_.target(chid));
  return raw;
}

void Driver::retire(std::unique_ptr<Endpoint> endpoint, bool graceful) {
  endpoint->release(graceful);
  closing_.push_back({std::move(endpoint), uv_now(loop_)});
}

void Driver::reap_closing() {
  uint64_t now_ms = uv_now(loop_);
  for (Closing& closing : closing_) {
    if (now_ms - closing.released_ms > kLingerMs) closing.endpoint->release(false);
  }
  std::erase_if(closing_, [](const Closing& closing) { return closing.endpoint->finished(); });
}

void Driver::drain_log() {
  engine_.drain_log([this](std::string_view line) {
    std::fprintf(err_, "lxrun: %.*s\n", static_cast<int>(line.size()), line.data());
  });
}

void Driver::rescan() {
  uint64_t now_ms = uv_now(loop_);
  if (rescan_read_failed_ && now_ms - rescan_failed_ms_ < kRescanRetryMs) return;
  auto blob = host::read_app_dir(options_.app_dir, options_.app_args, app_symlinks(options_));
  rescan_read_failed_ = !blob.ok();
  if (!blob.ok()) {
    // The flag stays set (no set_lua_source cleared it): retry every kRetryMs.
    rescan_failed_ms_ = now_ms;
    report_rescan_error(blob.status().message());
    return;
  }
  int rc = sink_->set_lua_source(blob.value());
  update_wanted_ = true;
  drain_log();
  if (rc == LX_ERR_APP) {
    report_rescan_error(std::string(engine_.last_error()));
  } else {
    check(rc, "set_lua_source");
    if (rc == LX_OK) rescan_error_.clear();
  }
}

void Driver::report_rescan_error(const std::string& message) {
  // An app that keeps asking for a rescan of broken code says the same thing
  // every turn: report each reason once.
  if (message == rescan_error_) return;
  rescan_error_ = message;
  std::fprintf(err_, "lxrun: error: rescan: %s; the previous code keeps running\n",
               message.c_str());
}

// ---- Stopping ----

void Driver::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  for (const auto& listener : listeners_) listener->close();
  uv_timer_stop(&tick_);
  uv_timer_stop(&wake_);
  for (const auto& [chid, endpoint] : endpoints_) endpoint->set_reading(false);
  uv_timer_start(&grace_, &Driver::on_grace_over, kStopGraceMs, 0);
  wake();
}

bool Driver::drained() const {
  for (const auto& [chid, endpoint] : endpoints_) {
    if (endpoint->pending_write_bytes() > 0) return false;
    auto info = engine_.info(chid);
    if (info && info->outgoing_bytes > 0 && !endpoint->broken()) return false;
  }
  for (const Closing& closing : closing_) {
    if (closing.endpoint->pending_write_bytes() > 0) return false;
  }
  return true;
}

void Driver::finish() {
  if (finished_) return;
  finished_ = true;
  for (const auto& listener : listeners_) listener->close();
  for (auto& [chid, endpoint] : endpoints_) retire(std::move(endpoint), false);
  endpoints_.clear();
  for (Closing& closing : closing_) closing.endpoint->release(false);
  for (uv_handle_t* handle : handles_) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
  }
  // Closing the signal handles put back the default actions, which would let
  // a late signal kill lxrun while it closes its log. What is left
  // (destroying the engine, closing the log) is short: finish it.
  for (const HandledSignal& handled : kHandledSignals) std::signal(handled.signum, SIG_IGN);
}

}  // namespace lx::driver
