// One listening TCP socket (--listen), and the admission rule all of them
// share (--max-connections, and the file-descriptor limit): each connection
// that arrives is passed to a callback, which accepts it into a Connection
// and calls notify_accept, or is closed at once when lxrun is full.
#pragma once

#include <uv.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "host_port.h"
#include "lx/status.h"

namespace lx::driver {

// Counts the accepted connections lxrun holds (from accept until their
// socket is closed) and decides whether a new one may stay. A refused
// connection is closed at once (the client reads EOF) and counted. Shedding
// is reported on stderr once when it starts and once when it ends, with the
// count: it ends at the first connection admitted a second or more after the
// last refusal, or when lxrun stops. Shared by every Listener and every
// accepted Connection (a Slot), so it lives as long as the last of them.
// Single-threaded (the loop's thread).
class AdmissionGate : public std::enable_shared_from_this<AdmissionGate> {
 public:
  // Descriptors kept free beyond the connections (the log, stdio, libuv's
  // own, outgoing lx.connect sockets): a connection whose descriptor is this
  // close to the limit (ulimit -n) is refused like one over max_connections.
  static constexpr uint64_t kReservedFds = 32;

  // A connection's place in the count; given back when it is destroyed.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::shared_ptr<AdmissionGate> gate) : gate_(std::move(gate)) {}
    Slot(Slot&&) = default;
    Slot& operator=(Slot&&) = default;
    ~Slot();
    explicit operator bool() const { return gate_ != nullptr; }

   private:
    std::shared_ptr<AdmissionGate> gate_;
  };

  // Raises the soft descriptor limit toward the hard one when max_connections
  // needs more, and warns once on err when even the hard limit is too low
  // (connections are then refused near the limit instead of failing).
  static std::shared_ptr<AdmissionGate> create(uv_loop_t* loop, uint64_t max_connections,
                                               std::FILE* err);
  ~AdmissionGate();
  AdmissionGate(const AdmissionGate&) = delete;
  AdmissionGate& operator=(const AdmissionGate&) = delete;

  // A connection was accepted on descriptor fd at address: a Slot when it
  // may stay, an empty one when it must be closed at once (counted).
  Slot admit(int fd, const std::string& address);
  // Accepting on address failed (status, a libuv error): descriptors ran out
  // (counted as shed) or another error (reported, rate-limited the same way).
  void accept_failed(int status, const std::string& address);

  uint64_t open_connections() const { return open_; }
  uint64_t max_connections() const { return max_connections_; }
  uint64_t fd_limit() const { return fd_limit_; }

 private:
  AdmissionGate(uv_loop_t* loop, uint64_t max_connections, uint64_t fd_limit, std::FILE* err);
  void shed(const std::string& why);
  void end_episode();

  uv_loop_t* loop_;
  const uint64_t max_connections_;
  const uint64_t fd_limit_;  // soft RLIMIT_NOFILE after create() raised it
  std::FILE* err_;
  uint64_t open_ = 0;
  bool shedding_ = false;  // a start line was printed, its end line not yet
  uint64_t shed_count_ = 0;
  uint64_t last_shed_ms_ = 0;
};

class Listener {
 public:
  using OnConnection = std::function<void(Listener&)>;

  // The owner keeps the Listener until closed() is true (libuv holds the
  // handle). gate decides which accepted connections may stay.
  Listener(uv_loop_t* loop, std::shared_ptr<AdmissionGate> gate, OnConnection on_connection);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens. Fails (ErrorKind::kIo) with a message naming the
  // address, the reason and what to do; call close() afterwards either way.
  Status listen(const HostPort& address);
  // The port actually bound (the ephemeral one for port 0).
  int32_t port() const { return bound_.port(); }
  // "127.0.0.1:PORT" or "[::1]:PORT", with the bound port.
  std::string address() const { return bound_.str(); }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  AdmissionGate& gate() { return *gate_; }
  // Stops listening; closed() turns true once libuv has let go of the handle.
  void close();
  bool closed() const { return !handle_open_; }

 private:
  static void on_connection(uv_stream_t* server, int status);
  static void on_closed(uv_handle_t* handle);

  std::shared_ptr<AdmissionGate> gate_;
  OnConnection on_connection_;
  uv_tcp_t tcp_{};
  HostPort bound_;
  bool handle_open_ = false;
  bool handle_closing_ = false;
};

}  // namespace lx::driver
