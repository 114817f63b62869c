// A listening socket (see listener.h).
#include "listener.h"

#include <fmt/format.h>

#include <cstdio>

namespace lx::driver {

Listener::Listener(uv_loop_t* loop, OnConnection on_connection)
    : on_connection_(std::move(on_connection)) {
  int rc = uv_tcp_init(loop, &tcp_);
  LX_ASSERT_OP(rc, ==, 0);
  tcp_.data = this;
  handle_open_ = true;
}

Listener::~Listener() { LX_ASSERT(closed()); }

Status Listener::listen(const HostPort& address) {
  struct sockaddr_storage storage {};
  int rc = address.ipv6() ? uv_ip6_addr(address.host().c_str(), address.port(),
                                        reinterpret_cast<struct sockaddr_in6*>(&storage))
                          : uv_ip4_addr(address.host().c_str(), address.port(),
                                        reinterpret_cast<struct sockaddr_in*>(&storage));
  if (rc == 0) rc = uv_tcp_bind(&tcp_, reinterpret_cast<const struct sockaddr*>(&storage), 0);
  // A port in use shows up at bind or at listen, depending on the kernel.
  constexpr int kBacklog = 511;
  if (rc == 0) rc = uv_listen(stream(), kBacklog, &Listener::on_connection);
  if (rc != 0) {
    std::string what = rc == UV_EADDRINUSE ? "; stop the other server or choose another port"
                       : rc == UV_EACCES   ? "; ports below 1024 need privileges"
                                           : "";
    return Status::io(fmt::format("cannot listen on {} (port {}): {}{}", address.str(),
                                  address.port(), uv_strerror(rc), what));
  }
  struct sockaddr_storage bound {};
  int size = sizeof(bound);
  rc = uv_tcp_getsockname(&tcp_, reinterpret_cast<struct sockaddr*>(&bound), &size);
  LX_ASSERT_OP(rc, ==, 0);
  int port = bound.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port)
                 : ntohs(reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
  bound_ = address.with_port(port);
  return ok_status();
}

void Listener::on_connection(uv_stream_t* server, int status) {
  auto& self = *static_cast<Listener*>(server->data);
  if (status != 0) {
    // Out of descriptors and the like: the connection is lost, the listener stays.
    std::fprintf(stderr, "lxrun: error: accept on %s: %s\n", self.address().c_str(),
                 uv_strerror(status));
    return;
  }
  self.on_connection_(self);
}

void Listener::close() {
  if (!handle_open_ || handle_closing_) return;
  handle_closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Listener::on_closed);
}

void Listener::on_closed(uv_handle_t* handle) {
  static_cast<Listener*>(handle->data)->handle_open_ = false;
}

}  // namespace lx::driver
