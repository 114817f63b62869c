// One listening TCP socket (--listen). Each connection that arrives is passed
// to a callback, which accepts it into a Connection and calls notify_accept.
#pragma once

#include <uv.h>

#include <functional>
#include <string>

#include "host_port.h"
#include "lx/status.h"

namespace lx::driver {

class Listener {
 public:
  using OnConnection = std::function<void(Listener&)>;

  // The owner keeps the Listener until closed() is true (libuv holds the handle).
  Listener(uv_loop_t* loop, OnConnection on_connection);
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
  // Stops listening; closed() turns true once libuv has let go of the handle.
  void close();
  bool closed() const { return !handle_open_; }

 private:
  static void on_connection(uv_stream_t* server, int status);
  static void on_closed(uv_handle_t* handle);

  OnConnection on_connection_;
  uv_tcp_t tcp_{};
  HostPort bound_;
  bool handle_open_ = false;
  bool handle_closing_ = false;
};

}  // namespace lx::driver
