// A TCP channel's socket (see connection.h).
#include "connection.h"

#include <fmt/format.h>

#include "host_port.h"
#include "read_buffer.h"

namespace lx::driver {

Connection::Connection(EndpointHost& host, int32_t chid)
    : host_(host), chid_(chid), writer_(host, chid) {}

Connection::~Connection() {
  LX_ASSERT(finished());
  if (addresses_ != nullptr) uv_freeaddrinfo(addresses_);
}

void Connection::init_handle() {
  LX_ASSERT(!handle_open_);
  int rc = uv_tcp_init(host_.loop(), &tcp_);
  LX_ASSERT_OP(rc, ==, 0);
  tcp_.data = this;
  handle_open_ = true;
  handle_closing_ = false;
  writer_.attach(reinterpret_cast<uv_stream_t*>(&tcp_));
}

bool Connection::accept_from(Listener& listener) {
  init_handle();
  int rc = uv_accept(listener.stream(), reinterpret_cast<uv_stream_t*>(&tcp_));
  uv_os_fd_t fd = -1;
  if (rc == 0) rc = uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd);
  if (rc != 0) {
    listener.gate().accept_failed(rc, listener.address());
  } else {
    slot_ = listener.gate().admit(fd, listener.address());
  }
  if (!slot_) {
    state_ = State::kFailed;
    broken_ = true;
    return false;
  }
  uv_tcp_nodelay(&tcp_, 1);
  state_ = State::kOpen;
  return true;
}

void Connection::set_chid(int32_t chid) {
  chid_ = chid;
  writer_.set_chid(chid);
}

void Connection::connect_to(std::string_view target) {
  LX_ASSERT(state_ == State::kIdle);
  auto parsed = HostPort::parse_target(target);
  if (!parsed.ok()) {
    connect_failed();
    return;
  }
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(parsed.value().port());
  resolve_.data = this;
  int rc = uv_getaddrinfo(host_.loop(), &resolve_, &Connection::on_resolved,
                          parsed.value().host().c_str(), port.c_str(), &hints);
  if (rc != 0) {
    connect_failed();
    return;
  }
  resolving_ = true;
  state_ = State::kResolving;
}

void Connection::on_resolved(uv_getaddrinfo_t* request, int status, struct addrinfo* result) {
  auto& self = *static_cast<Connection*>(request->data);
  self.resolving_ = false;
  if (self.released_ || status != 0) {
    if (result != nullptr) uv_freeaddrinfo(result);
    if (!self.released_) self.connect_failed();
    return;
  }
  self.addresses_ = result;
  self.next_address_ = result;
  self.state_ = State::kConnecting;
  self.try_next_address();
}

void Connection::try_next_address() {
  if (next_address_ == nullptr) {
    connect_failed();
    return;
  }
  const struct sockaddr* address = next_address_->ai_addr;
  next_address_ = next_address_->ai_next;
  init_handle();
  connect_.data = this;
  if (uv_tcp_connect(&connect_, &tcp_, address, &Connection::on_connect) != 0) {
    // No callback comes: close this handle and go on with the next address.
    handle_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::on_closed_for_retry);
  }
}

void Connection::on_connect(uv_connect_t* request, int status) {
  auto& self = *static_cast<Connection*>(request->data);
  if (self.released_) return;  // the handle is closing already
  if (status != 0) {
    self.handle_closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&self.tcp_), &Connection::on_closed_for_retry);
    return;
  }
  uv_freeaddrinfo(self.addresses_);
  self.addresses_ = nullptr;
  self.next_address_ = nullptr;
  uv_tcp_nodelay(&self.tcp_, 1);
  self.state_ = State::kOpen;
  self.host_.wake();  // output the app queued while connecting, and reading
}

void Connection::on_closed_for_retry(uv_handle_t* handle) {
  auto& self = *static_cast<Connection*>(handle->data);
  self.handle_open_ = false;
  self.handle_closing_ = false;
  if (self.released_) {
    self.host_.wake();  // the driver may delete it now
  } else {
    self.try_next_address();
  }
}

void Connection::connect_failed() {
  state_ = State::kFailed;
  broken_ = true;
  host_.remote_closed(chid_);
}

bool Connection::can_write() const { return state_ == State::kOpen && !released_ && !broken(); }

void Connection::set_reading(bool on) {
  if (state_ != State::kOpen || released_ || read_done_ || on == reading_) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (on) {
    reading_ = uv_read_start(stream, &alloc_read_buffer, &Connection::on_read) == 0;
  } else {
    uv_read_stop(stream);
    reading_ = false;
  }
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto& self = *static_cast<Connection*>(stream->data);
  if (nread > 0) {
    self.host_.received(self.chid_,
                        {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)});
    // Pause at once rather than at the end of the turn: libuv may read more
    // before then.
    if (!self.released_ && self.host_.input_paused(self.chid_)) self.set_reading(false);
    return;
  }
  if (nread == 0) return;  // EAGAIN
  uv_read_stop(stream);
  self.reading_ = false;
  self.read_done_ = true;
  // EOF leaves the write side open (a half-close); anything else is a reset.
  if (nread != UV_EOF) self.broken_ = true;
  self.host_.remote_closed(self.chid_);
}

bool Connection::start_shutdown() {
  if (write_shut_ || state_ != State::kOpen || broken() || !handle_open_) return false;
  write_shut_ = true;
  shutdown_.data = this;
  // Runs after the queued writes.
  if (uv_shutdown(&shutdown_, reinterpret_cast<uv_stream_t*>(&tcp_), &Connection::on_shutdown) !=
      0) {
    return false;
  }
  shutting_down_ = true;
  return true;
}

void Connection::shutdown_write() {
  if (released_) return;
  start_shutdown();  // a failure shows up as a write error or EOF soon enough
}

void Connection::release(bool graceful) {
  if (!released_) {
    released_ = true;
    writer_.detach();
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_));
    if (reading_) {
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
      reading_ = false;
    }
    // A shutdown already on its way (ch:shutdown()) closes the socket when it
    // calls back; otherwise start one, after which the socket is closed.
    if (graceful && (shutting_down_ || start_shutdown())) return;
  }
  close_handle();
}

void Connection::on_shutdown(uv_shutdown_t* request, int /*status*/) {
  auto& self = *static_cast<Connection*>(request->data);
  self.shutting_down_ = false;
  if (self.released_) self.close_handle();
}

void Connection::close_handle() {
  if (!handle_open_ || handle_closing_) return;
  handle_closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Connection::on_closed);
}

void Connection::on_closed(uv_handle_t* handle) {
  auto& self = *static_cast<Connection*>(handle->data);
  self.handle_open_ = false;
  self.host_.wake();  // the driver may delete it now
}

bool Connection::finished() const {
  return released_ && !handle_open_ && !resolving_ && !shutting_down_;
}

}  // namespace lx::driver
